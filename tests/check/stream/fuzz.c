/* Seeded random mutations of valid playlists and MPDs, fed to the parsers
 * and to the stream index: every input must end in a result or a clean
 * error, never a crash, hang or leak. Each run uses fixed seeds so a
 * failure reproduces; GST_P2P_FUZZ_ITERATIONS raises the count.
 *
 * Threads: everything runs on the test's own thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "stream/gstp2phlsplaylist.h"
#include "stream/gstp2pdashmpd.h"
#include "stream/gstp2pstreamindex.h"

static const gchar *hls_inputs[] = {
  "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n"
      "#EXT-X-MEDIA-SEQUENCE:1000\n#EXT-X-DISCONTINUITY-SEQUENCE:3\n"
      "#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000Z\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"https://k.example/key?t=1\",IV=0x1234\n"
      "#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"600@0\"\n"
      "#EXTINF:4.000,\n#EXT-X-BYTERANGE:1000@600\nmedia.mp4\n"
      "#EXTINF:4.000,\n#EXT-X-BYTERANGE:1000\nmedia.mp4\n"
      "#EXT-X-DISCONTINUITY\n#EXT-X-KEY:METHOD=NONE\n#EXTINF:3.5,title\n"
      "seg3.ts?token=abc\n#EXT-X-GAP\n#EXTINF:4,\nseg4.ts\n#EXT-X-ENDLIST\n",
  "#EXTM3U\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",LANGUAGE=\"en\",NAME=\"English\","
      "DEFAULT=YES,AUTOSELECT=YES,URI=\"audio/en.m3u8\"\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=1280000,AVERAGE-BANDWIDTH=1000000,"
      "CODECS=\"avc1.4d401f,mp4a.40.2\",RESOLUTION=640x360,AUDIO=\"aac\"\n"
      "low/index.m3u8?token=abc\n"
      "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,URI=\"low/iframe.m3u8\"\n"
      "#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI=\"skd://k\"\n",
};

static const gchar *mpd_inputs[] = {
  "<?xml version=\"1.0\"?><MPD type=\"static\" mediaPresentationDuration=\"PT20S\">"
      "<BaseURL>http://cdn.example/root/</BaseURL><Period id=\"p0\" duration=\"PT10S\">"
      "<AdaptationSet id=\"1\" mimeType=\"video/mp4\"><SegmentTemplate timescale=\"1000\" "
      "media=\"$RepresentationID$/t$Time$.m4s\" initialization=\"$RepresentationID$/i.mp4\">"
      "<SegmentTimeline><S t=\"0\" d=\"2000\" r=\"2\"/><S d=\"1000\" r=\"-1\"/>"
      "</SegmentTimeline></SegmentTemplate><Representation id=\"v1\" bandwidth=\"500000\" "
      "width=\"640\" height=\"360\"/></AdaptationSet></Period><Period id=\"p1\">"
      "<AdaptationSet><Representation id=\"a\" bandwidth=\"64000\"><BaseURL>audio/</BaseURL>"
      "<SegmentList timescale=\"10\" duration=\"20\"><Initialization sourceURL=\"i.mp4\" "
      "range=\"0-99\"/><SegmentURL media=\"a.mp4\" mediaRange=\"100-199\"/>"
      "<SegmentURL mediaRange=\"200-299\"/></SegmentList></Representation>"
      "<Representation id=\"b\" bandwidth=\"1\"><SegmentBase indexRange=\"8-9\"/>"
      "</Representation></AdaptationSet></Period></MPD>",
  "<MPD type=\"dynamic\" availabilityStartTime=\"2024-01-01T00:00:00Z\" "
      "timeShiftBufferDepth=\"PT30S\" suggestedPresentationDelay=\"PT4S\">"
      "<Period start=\"PT10S\"><AdaptationSet><ContentProtection><Laurl>"
      "https://lic.example/x</Laurl></ContentProtection><SegmentTemplate "
      "duration=\"180000\" timescale=\"90000\" startNumber=\"5\" "
      "media=\"$RepresentationID$/$Number%05d$_$Bandwidth$.m4s\"/>"
      "<Representation id=\"hi\" bandwidth=\"2000000\"/></AdaptationSet></Period></MPD>",
};

static const gchar *tokens[] = {
  "0", "-1", "18446744073709551615", "18446744073709551616",
  "99999999999999999999999", "\"", ",", "=", "@", "\n", "$", "%0999d", "<",
  ">", "</", "/>", "&amp;", "PT", "r=\"-1\"", "\xff", "#EXTINF:1,\n",
  "#EXT-X-BYTERANGE:5\n", "<S d=\"1\" r=\"1000000000\"/>", "<x>", "\0",
};

/* One random edit of @s: flip, delete, duplicate or insert a token. */
static void
mutate (GRand * rand, GString * s)
{
  guint pos = s->len ? g_rand_int_range (rand, 0, s->len) : 0;
  guint len = g_rand_int_range (rand, 1, 16);

  switch (g_rand_int_range (rand, 0, 5)) {
    case 0:
      if (s->len)
        s->str[pos] = g_rand_int_range (rand, 0, 256);
      break;
    case 1:
      g_string_erase (s, pos, MIN (len, s->len - pos));
      break;
    case 2:{
      gchar *copy = g_strndup (s->str + pos, MIN (len * 4, s->len - pos));

      g_string_insert_len (s, g_rand_int_range (rand, 0, s->len + 1), copy,
          strlen (copy));
      g_free (copy);
      break;
    }
    case 3:{
      const gchar *t = tokens[g_rand_int_range (rand, 0,
              G_N_ELEMENTS (tokens))];

      g_string_insert_len (s, pos, t, MAX (strlen (t), 1));
      break;
    }
    default:
      /* Replace a number with another. */
      while (pos < s->len && !g_ascii_isdigit (s->str[pos]))
        pos++;
      if (pos < s->len)
        g_string_insert (s, pos, tokens[g_rand_int_range (rand, 0, 5)]);
      break;
  }
}

static guint
iterations (guint def)
{
  const gchar *env = g_getenv ("GST_P2P_FUZZ_ITERATIONS");

  gint v = env ? atoi (env) : 0;

  return v > 0 ? (guint) v : def;
}

GST_START_TEST (test_fuzz_hls)
{
  GRand *rand = g_rand_new_with_seed (0x5eed);
  guint i, n = iterations (50000), ok = 0, bad = 0;

  for (i = 0; i < n; i++) {
    GString *s = g_string_new (hls_inputs[i % G_N_ELEMENTS (hls_inputs)]);
    guint edits = g_rand_int_range (rand, 1, 6), e;
    GstP2pHlsPlaylist *pl;
    GError *err = NULL;

    for (e = 0; e < edits; e++)
      mutate (rand, s);
    pl = gst_p2p_hls_playlist_parse (s->str, s->len,
        "http://h.example/a/b.m3u8", NULL, &err);
    fail_unless ((pl == NULL) != (err == NULL));
    if (pl) {
      guint j;

      ok++;
      /* Whatever was accepted holds together. */
      for (j = 0; j < pl->segments->len; j++) {
        GstP2pHlsSegment *seg = &g_array_index (pl->segments,
            GstP2pHlsSegment, j);

        fail_unless (seg->uri != NULL);
        fail_unless_equals_uint64 (seg->sequence, pl->media_sequence + j);
        fail_unless (!seg->range.set || seg->range.length > 0);
        fail_unless (seg->range.offset + seg->range.length >=
            seg->range.offset);
      }
    } else {
      fail_unless (err->domain == GST_P2P_STREAM_ERROR);
      bad++;
    }
    gst_p2p_hls_playlist_free (pl);
    g_clear_error (&err);
    g_string_free (s, TRUE);
  }
  GST_INFO ("%u accepted, %u refused", ok, bad);
  fail_unless (ok > n / 20 && bad > n / 20, "%u accepted, %u refused", ok, bad);
  g_rand_free (rand);
}

GST_END_TEST;

GST_START_TEST (test_fuzz_dash)
{
  GRand *rand = g_rand_new_with_seed (0xda54);
  guint i, n = iterations (20000), ok = 0, bad = 0;
  gint64 now = G_GINT64_CONSTANT (1704067200000000) + 120 * G_USEC_PER_SEC;

  for (i = 0; i < n; i++) {
    GString *s = g_string_new (mpd_inputs[i % G_N_ELEMENTS (mpd_inputs)]);
    guint edits = g_rand_int_range (rand, 1, 4), e;
    GstP2pDashMpd *mpd;
    GError *err = NULL;

    for (e = 0; e < edits; e++)
      mutate (rand, s);
    mpd = gst_p2p_dash_mpd_parse (s->str, s->len, "http://h.example/m.mpd",
        now, NULL, &err);
    fail_unless ((mpd == NULL) != (err == NULL));
    if (mpd)
      ok++;
    else
      bad++;
    gst_p2p_dash_mpd_free (mpd);
    g_clear_error (&err);
    g_string_free (s, TRUE);
  }
  GST_INFO ("%u accepted, %u refused", ok, bad);
  fail_unless (ok > n / 20 && bad > n / 20, "%u accepted, %u refused", ok, bad);
  g_rand_free (rand);
}

GST_END_TEST;

/* Mutated bodies into one long-lived index, with lookups in between: the
 * index stays consistent and bounded. */
GST_START_TEST (test_fuzz_index)
{
  GRand *rand = g_rand_new_with_seed (0x1de4);
  GstP2pStreamIndexConfig config;
  GstP2pStreamIndex *index;
  GstP2pStreamIndexStats stats;
  guint i, n = iterations (10000);
  gint64 now = G_GINT64_CONSTANT (1704067200000000);

  gst_p2p_stream_index_config_init (&config);
  config.max_renditions = 8;
  config.max_entries = 200;
  index = gst_p2p_stream_index_new (&config, NULL);
  for (i = 0; i < n; i++) {
    gboolean dash = g_rand_boolean (rand);
    GString *s = g_string_new (dash ? mpd_inputs[i % 2] : hls_inputs[i % 2]);
    gchar *uri = g_strdup_printf ("http://h.example/%s/%u.%s", dash ? "d" :
        "a", g_rand_int_range (rand, 0, 12), dash ? "mpd" : "m3u8");
    GstP2pStreamSegmentInfo info[4];
    guint e, edits = g_rand_int_range (rand, 0, 3), got;

    for (e = 0; e < edits; e++)
      mutate (rand, s);
    now += g_rand_int_range (rand, 0, 3 * G_USEC_PER_SEC);
    gst_p2p_stream_index_add_manifest (index, uri, NULL, s->str, s->len, now,
        NULL);
    gst_p2p_stream_index_lookup (index, "http://h.example/a/media.mp4", NULL,
        now, NULL);
    got = gst_p2p_stream_index_next_segments (index,
        "http://cdn.example/root/v1/t0.m4s", NULL, now, 4, info);
    for (e = 0; e < got; e++)
      gst_p2p_stream_segment_info_clear (&info[e]);
    gst_p2p_stream_index_get_stats (index, &stats);
    fail_unless (stats.renditions <= 8);
    fail_unless (stats.entries <= 200 + 50);
    g_free (uri);
    g_string_free (s, TRUE);
  }
  gst_p2p_stream_index_get_stats (index, &stats);
  fail_unless (stats.manifests > n / 10);
  gst_p2p_stream_index_free (index);
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
stream_fuzz_suite (void)
{
  Suite *s = suite_create ("stream-fuzz");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 100);
  tcase_add_test (tc, test_fuzz_hls);
  tcase_add_test (tc, test_fuzz_dash);
  tcase_add_test (tc, test_fuzz_index);
  return s;
}

GST_CHECK_MAIN (stream_fuzz);
