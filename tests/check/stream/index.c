/* Unit tests of the stream index (gst/stream/gstp2pstreamindex.c): swarm
 * ids (tokens in queries and paths, overrides, renditions), lookups of
 * tokenised and ranged fragment URIs, keys/licences/playlists that must
 * never go to peers, "next segments", live-edge distances, eviction of old
 * segments, live DASH templates listed again as time passes, and a real
 * ffmpeg HLS event fed the way p2phttpsrc will feed it.
 *
 * Threads: everything runs on the test's own thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "stream/gstp2pstreamindex.h"
#include "streamtest.h"

#define T0 G_GINT64_CONSTANT (1704067200000000)
#define SEC G_USEC_PER_SEC

static const gchar *master =
    "#EXTM3U\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1\"\n"
    "v0/index.m3u8\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=200000,RESOLUTION=320x180,CODECS=\"avc1\"\n"
    "v1/index.m3u8\n";

static gchar *
media_playlist (guint64 first, guint n, gboolean ended, const gchar * tok)
{
  GString *s = g_string_new ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n");
  guint i;

  g_string_append_printf (s, "#EXT-X-MEDIA-SEQUENCE:%" G_GUINT64_FORMAT "\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"https://keys.example/k?%s\"\n", first,
      tok);
  for (i = 0; i < n; i++)
    g_string_append_printf (s, "#EXTINF:2.0,\nseg%" G_GUINT64_FORMAT
        ".ts?%s\n", first + i, tok);
  if (ended)
    g_string_append (s, "#EXT-X-ENDLIST\n");
  return g_string_free (s, FALSE);
}

static void
add_ok (GstP2pStreamIndex * index, const gchar * uri, const gchar * text,
    gint64 now)
{
  GError *err = NULL;

  fail_unless (gst_p2p_stream_index_add_manifest (index, uri, NULL, text,
          strlen (text), now, &err), "%s: %s", uri, err ? err->message : "?");
}

/* One viewer: master and both variants, with its own token. */
static GstP2pStreamIndex *
viewer (const gchar * tok, const GstP2pStreamIndexConfig * config)
{
  GstP2pStreamIndex *index = gst_p2p_stream_index_new (config, NULL);
  gchar *uri, *pl;
  guint v;

  fail_unless (index != NULL);
  uri = g_strdup_printf ("http://cdn.example/ev/master.m3u8?%s", tok);
  add_ok (index, uri, master, T0);
  g_free (uri);
  for (v = 0; v < 2; v++) {
    uri = g_strdup_printf ("http://cdn.example/ev/v%u/index.m3u8", v);
    pl = media_playlist (100, 5, FALSE, tok);
    add_ok (index, uri, pl, T0);
    g_free (pl);
    g_free (uri);
  }
  return index;
}

static GstP2pStreamUriKind
lookup (GstP2pStreamIndex * index, const gchar * uri,
    GstP2pStreamSegmentInfo * info)
{
  return gst_p2p_stream_index_lookup (index, uri, NULL, T0, info);
}

GST_START_TEST (test_swarm_ids_ignore_tokens)
{
  GstP2pStreamIndex *a = viewer ("token=alice", NULL);
  GstP2pStreamIndex *b = viewer ("token=bob&exp=1", NULL);
  GstP2pStreamSegmentInfo ia, ib, ia1;

  fail_unless_equals_int (lookup (a,
          "http://cdn.example/ev/v0/seg102.ts?token=alice", &ia),
      GST_P2P_STREAM_URI_SEGMENT);
  /* The token is stripped for matching: any query finds the segment. */
  fail_unless_equals_int (lookup (b,
          "http://cdn.example/ev/v0/seg102.ts?token=other", &ib),
      GST_P2P_STREAM_URI_SEGMENT);
  fail_unless_equals_int (strlen (ia.swarm_id), GST_P2P_STREAM_SWARM_ID_LEN);
  fail_unless_equals_string (ia.swarm_id, ib.swarm_id);
  fail_unless (memcmp (ia.swarm_digest, ib.swarm_digest, 32) == 0);
  fail_unless_equals_uint64 (ia.segment_id, 102);
  fail_unless_equals_uint64 (ib.segment_id, 102);
  fail_unless_equals_string (ia.uri,
      "http://cdn.example/ev/v0/seg102.ts?token=alice");

  /* Another rendition, another swarm. */
  fail_unless_equals_int (lookup (a,
          "http://cdn.example/ev/v1/seg102.ts", &ia1),
      GST_P2P_STREAM_URI_SEGMENT);
  fail_unless (strcmp (ia.swarm_id, ia1.swarm_id) != 0);

  /* A viewer that fetched the media playlist before the master joins the
   * same swarm once the master announces it. */
  {
    GstP2pStreamIndex *c = gst_p2p_stream_index_new (NULL, NULL);
    GstP2pStreamSegmentInfo ic;
    gchar *pl = media_playlist (100, 5, FALSE, "token=carol");

    add_ok (c, "http://cdn.example/ev/v0/index.m3u8", pl, T0);
    fail_unless_equals_int (lookup (c, "http://cdn.example/ev/v0/seg102.ts",
            &ic), GST_P2P_STREAM_URI_SEGMENT);
    fail_unless (strcmp (ic.swarm_id, ia.swarm_id) != 0);
    gst_p2p_stream_segment_info_clear (&ic);
    add_ok (c, "http://cdn.example/ev/master.m3u8?token=carol", master, T0);
    add_ok (c, "http://cdn.example/ev/v0/index.m3u8", pl, T0 + SEC);
    fail_unless_equals_int (lookup (c, "http://cdn.example/ev/v0/seg102.ts",
            &ic), GST_P2P_STREAM_URI_SEGMENT);
    fail_unless_equals_string (ic.swarm_id, ia.swarm_id);
    fail_unless_equals_uint64 (ic.segment_id, 102);
    gst_p2p_stream_segment_info_clear (&ic);
    g_free (pl);
    gst_p2p_stream_index_free (c);
  }

  gst_p2p_stream_segment_info_clear (&ia);
  gst_p2p_stream_segment_info_clear (&ib);
  gst_p2p_stream_segment_info_clear (&ia1);
  gst_p2p_stream_index_free (a);
  gst_p2p_stream_index_free (b);
}

GST_END_TEST;

GST_START_TEST (test_swarm_id_rules)
{
  GstP2pStreamIndexConfig config;
  GstP2pStreamIndex *plain, *tokens, *fixed, *attrs;
  gchar id1[17], id2[17], id3[17];
  GError *err = NULL;

  gst_p2p_stream_index_config_init (&config);
  plain = gst_p2p_stream_index_new (&config, NULL);
  config.path_token_pattern = GST_P2P_STREAM_TOKEN_PATTERN_LONG_OPAQUE;
  tokens = gst_p2p_stream_index_new (&config, NULL);

  /* Tokens in the path: only stripped when the rule says so. */
  fail_unless (gst_p2p_stream_index_swarm_id (plain,
          "https://cdn.example/a1B2c3D4e5F6g7H8i9J0k1L2m3/ev/m.m3u8", "r",
          id1, NULL));
  fail_unless (gst_p2p_stream_index_swarm_id (plain,
          "https://cdn.example/zz99yy88xx77ww66vv55uu44tt/ev/m.m3u8", "r",
          id2, NULL));
  fail_unless (strcmp (id1, id2) != 0);
  fail_unless (gst_p2p_stream_index_swarm_id (tokens,
          "https://cdn.example/a1B2c3D4e5F6g7H8i9J0k1L2m3/ev/m.m3u8", "r",
          id1, NULL));
  fail_unless (gst_p2p_stream_index_swarm_id (tokens,
          "https://cdn.example/zz99yy88xx77ww66vv55uu44tt/ev/m.m3u8?x#y", "r",
          id2, NULL));
  fail_unless_equals_string (id1, id2);
  /* Plain words are not tokens; host case and default port do not matter. */
  fail_unless (gst_p2p_stream_index_swarm_id (tokens,
          "https://CDN.example:443/ev/m.m3u8", "r", id2, NULL));
  fail_unless_equals_string (id1, id2);
  fail_unless (gst_p2p_stream_index_swarm_id (tokens,
          "https://cdn.example/events-of-the-year-europe/ev/m.m3u8", "r",
          id3, NULL));
  fail_unless (strcmp (id1, id3) != 0);
  fail_unless (!gst_p2p_stream_index_swarm_id (plain, "not a uri", "r", id3,
          NULL));

  /* A fixed id: hosts no longer matter, renditions still do. */
  config.path_token_pattern = NULL;
  config.swarm_template = "event-42";
  fixed = gst_p2p_stream_index_new (&config, NULL);
  fail_unless (gst_p2p_stream_index_swarm_id (fixed,
          "https://cdn-a.example/x/m.m3u8", "r", id1, NULL));
  fail_unless (gst_p2p_stream_index_swarm_id (fixed,
          "http://cdn-b.example/y/m.m3u8", "r", id2, NULL));
  fail_unless_equals_string (id1, id2);
  fail_unless (gst_p2p_stream_index_swarm_id (fixed,
          "http://cdn-b.example/y/m.m3u8", "other", id3, NULL));
  fail_unless (strcmp (id1, id3) != 0);

  config.swarm_template = "{nope}";
  fail_unless (gst_p2p_stream_index_new (&config, &err) == NULL);
  g_clear_error (&err);
  config.swarm_template = "{path";
  fail_unless (gst_p2p_stream_index_new (&config, &err) == NULL);
  g_clear_error (&err);
  config.swarm_template = NULL;
  config.path_token_pattern = "(";
  fail_unless (gst_p2p_stream_index_new (&config, &err) == NULL);
  g_clear_error (&err);

  /* Attribute identities: session ids in playlist names do not matter. */
  config.path_token_pattern = NULL;
  config.hls_identity_attributes = TRUE;
  attrs = gst_p2p_stream_index_new (&config, NULL);
  {
    const gchar *m1 = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"c\"\n"
        "chunklist_w111.m3u8\n";
    const gchar *m2 = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"c\"\n"
        "chunklist_w222.m3u8\n";
    const gchar *media = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n"
        "s.ts\n";
    GstP2pStreamSegmentInfo i1, i2;

    add_ok (attrs, "http://w.example/app/playlist.m3u8", m1, T0);
    add_ok (attrs, "http://w.example/app/chunklist_w111.m3u8", media, T0);
    fail_unless_equals_int (lookup (attrs, "http://w.example/app/s.ts", &i1),
        GST_P2P_STREAM_URI_SEGMENT);
    add_ok (attrs, "http://w.example/app/playlist.m3u8", m2, T0);
    add_ok (attrs, "http://w.example/app/chunklist_w222.m3u8", media, T0);
    fail_unless_equals_int (lookup (attrs, "http://w.example/app/s.ts", &i2),
        GST_P2P_STREAM_URI_SEGMENT);
    fail_unless_equals_string (i1.swarm_id, i2.swarm_id);
    gst_p2p_stream_segment_info_clear (&i1);
    gst_p2p_stream_segment_info_clear (&i2);
  }

  gst_p2p_stream_index_free (plain);
  gst_p2p_stream_index_free (tokens);
  gst_p2p_stream_index_free (fixed);
  gst_p2p_stream_index_free (attrs);
}

GST_END_TEST;

GST_START_TEST (test_forbidden_and_next)
{
  GstP2pStreamIndex *index = viewer ("t=1", NULL);
  GstP2pStreamSegmentInfo next[10];
  guint n, i;

  fail_unless_equals_int (lookup (index, "https://keys.example/k?t=9", NULL),
      GST_P2P_STREAM_URI_KEY);
  fail_unless (gst_p2p_stream_index_is_forbidden (index,
          "https://keys.example/k"));
  fail_unless_equals_int (lookup (index,
          "http://cdn.example/ev/master.m3u8?t=2", NULL),
      GST_P2P_STREAM_URI_MANIFEST);
  fail_unless_equals_int (lookup (index,
          "http://cdn.example/ev/v1/index.m3u8", NULL),
      GST_P2P_STREAM_URI_MANIFEST);
  fail_unless (gst_p2p_stream_index_is_forbidden (index,
          "http://cdn.example/ev/v0/index.m3u8?x"));
  fail_unless (!gst_p2p_stream_index_is_forbidden (index,
          "http://cdn.example/ev/v0/seg100.ts"));
  fail_unless_equals_int (lookup (index, "http://cdn.example/ev/v0/seg99.ts",
          NULL), GST_P2P_STREAM_URI_UNKNOWN);
  fail_unless_equals_int (lookup (index, "http://other.example/ev/v0/seg100.ts",
          NULL), GST_P2P_STREAM_URI_UNKNOWN);

  n = gst_p2p_stream_index_next_segments (index,
      "http://cdn.example/ev/v0/seg101.ts", NULL, T0, 10, next);
  fail_unless_equals_int (n, 3);
  for (i = 0; i < n; i++) {
    fail_unless_equals_uint64 (next[i].segment_id, 102 + i);
    gst_p2p_stream_segment_info_clear (&next[i]);
  }
  n = gst_p2p_stream_index_next_segments (index,
      "http://cdn.example/ev/v0/seg101.ts", NULL, T0, 2, next);
  fail_unless_equals_int (n, 2);
  gst_p2p_stream_segment_info_clear (&next[0]);
  gst_p2p_stream_segment_info_clear (&next[1]);
  fail_unless_equals_int (gst_p2p_stream_index_next_segments (index,
          "http://cdn.example/ev/v0/nothing.ts", NULL, T0, 2, next), 0);
  gst_p2p_stream_index_free (index);
}

GST_END_TEST;

GST_START_TEST (test_live_edge_and_eviction)
{
  GstP2pStreamIndexConfig config;
  GstP2pStreamIndex *index;
  GstP2pStreamIndexStats stats;
  GstP2pStreamSegmentInfo info;
  const gchar *uri = "http://h.example/live/index.m3u8";
  GstClockTime start3;
  gchar *pl;

  gst_p2p_stream_index_config_init (&config);
  config.window_margin = 2;
  index = gst_p2p_stream_index_new (&config, NULL);

  pl = media_playlist (0, 6, FALSE, "a");
  add_ok (index, uri, pl, T0);
  g_free (pl);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "http://h.example/live/seg5.ts", NULL, T0, &info),
      GST_P2P_STREAM_URI_SEGMENT);
  fail_unless (info.live);
  fail_unless_equals_uint64 (info.edge_segments, 0);
  fail_unless_equals_uint64 (info.edge_distance, 0);
  fail_unless_equals_uint64 (info.start, 10 * GST_SECOND);
  gst_p2p_stream_segment_info_clear (&info);
  gst_p2p_stream_index_lookup (index, "http://h.example/live/seg0.ts", NULL,
      T0 + 4 * SEC, &info);
  fail_unless_equals_uint64 (info.edge_segments, 5 + 2);
  fail_unless_equals_uint64 (info.edge_distance, 14 * GST_SECOND);
  gst_p2p_stream_segment_info_clear (&info);
  gst_p2p_stream_index_lookup (index, "http://h.example/live/seg3.ts", NULL,
      T0, &info);
  start3 = info.start;
  gst_p2p_stream_segment_info_clear (&info);

  /* Reload: the window moved by 3; starts stay on the same timeline. */
  pl = media_playlist (3, 6, FALSE, "a");
  add_ok (index, uri, pl, T0 + 6 * SEC);
  g_free (pl);
  gst_p2p_stream_index_lookup (index, "http://h.example/live/seg3.ts", NULL,
      T0 + 6 * SEC, &info);
  fail_unless_equals_uint64 (info.start, start3);
  gst_p2p_stream_segment_info_clear (&info);
  gst_p2p_stream_index_lookup (index, "http://h.example/live/seg8.ts", NULL,
      T0 + 6 * SEC, &info);
  fail_unless_equals_uint64 (info.start, 16 * GST_SECOND);
  gst_p2p_stream_segment_info_clear (&info);
  /* 0, 1, 2 are behind the window; the margin keeps 1 and 2. */
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "http://h.example/live/seg0.ts", NULL, T0, NULL),
      GST_P2P_STREAM_URI_UNKNOWN);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "http://h.example/live/seg1.ts", NULL, T0, NULL),
      GST_P2P_STREAM_URI_SEGMENT);

  /* A jump far ahead: everything old goes but the margin. */
  pl = media_playlist (1000, 4, TRUE, "a");
  add_ok (index, uri, pl, T0 + 60 * SEC);
  g_free (pl);
  gst_p2p_stream_index_get_stats (index, &stats);
  fail_unless_equals_int (stats.entries, 4 + 2);
  fail_unless_equals_int (stats.renditions, 1);
  fail_unless (stats.evicted >= 7);
  gst_p2p_stream_index_lookup (index, "http://h.example/live/seg1003.ts",
      NULL, T0 + 100 * SEC, &info);
  fail_unless (!info.live);
  fail_unless_equals_uint64 (info.edge_segments, 0);
  gst_p2p_stream_segment_info_clear (&info);

  /* A rejected body changes nothing but the counters. */
  fail_unless (!gst_p2p_stream_index_add_manifest (index, uri, NULL,
          "#EXTM3U\n#EXTINF:x,\n", 19, T0, NULL));
  fail_unless (!gst_p2p_stream_index_add_manifest (index, uri, NULL,
          "hello", 5, T0, NULL));
  gst_p2p_stream_index_get_stats (index, &stats);
  fail_unless_equals_int (stats.entries, 6);
  fail_unless_equals_uint64 (stats.rejected[GST_P2P_STREAM_ERROR_BAD_VALUE], 1);
  fail_unless_equals_uint64 (stats.rejected[GST_P2P_STREAM_ERROR_SYNTAX], 1);
  fail_unless_equals_uint64 (stats.manifests, 3);
  gst_p2p_stream_index_free (index);
}

GST_END_TEST;

GST_START_TEST (test_ranges_queries_renditions_cap)
{
  GstP2pStreamIndexConfig config;
  GstP2pStreamIndex *index;
  GstP2pStreamSegmentInfo info;
  GstP2pStreamRange r = { TRUE, 1720, 2000 };
  GstP2pStreamIndexStats stats;
  guint i;

  gst_p2p_stream_index_config_init (&config);
  config.max_renditions = 3;
  index = gst_p2p_stream_index_new (&config, NULL);
  add_ok (index, "http://h.example/a/b.m3u8", "#EXTM3U\n"
      "#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"main.mp4\",BYTERANGE=\"720\"\n"
      "#EXTINF:4,\n#EXT-X-BYTERANGE:1000@720\nmain.mp4\n"
      "#EXTINF:4,\n#EXT-X-BYTERANGE:2000\nmain.mp4\n#EXT-X-ENDLIST\n", T0);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "http://h.example/a/main.mp4", &r, T0, &info),
      GST_P2P_STREAM_URI_SEGMENT);
  fail_unless_equals_uint64 (info.segment_id, 1);
  gst_p2p_stream_segment_info_clear (&info);
  r.offset = 0;
  r.length = 720;
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "http://h.example/a/main.mp4", &r, T0, NULL),
      GST_P2P_STREAM_URI_INIT);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "http://h.example/a/main.mp4", NULL, T0, NULL),
      GST_P2P_STREAM_URI_UNKNOWN);

  /* URIs that differ only by their query keep it for matching. */
  add_ok (index, "http://h.example/q.m3u8", "#EXTM3U\n"
      "#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nseg.php?n=1\n#EXTINF:4,\n"
      "seg.php?n=2\n", T0);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "http://h.example/seg.php?n=2", NULL, T0, &info),
      GST_P2P_STREAM_URI_SEGMENT);
  fail_unless_equals_uint64 (info.segment_id, 1);
  gst_p2p_stream_segment_info_clear (&info);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "http://h.example/seg.php?n=3", NULL, T0, NULL),
      GST_P2P_STREAM_URI_UNKNOWN);

  /* At most 3 renditions: the least recently updated goes. */
  for (i = 0; i < 3; i++) {
    gchar *u = g_strdup_printf ("http://h.example/r%u.m3u8", i);

    add_ok (index, u, "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nx.ts\n",
        T0 + (i + 1) * SEC);
    g_free (u);
  }
  gst_p2p_stream_index_get_stats (index, &stats);
  fail_unless_equals_int (stats.renditions, 3);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "http://h.example/seg.php?n=2", NULL, T0, NULL),
      GST_P2P_STREAM_URI_UNKNOWN);
  gst_p2p_stream_index_free (index);
}

GST_END_TEST;

GST_START_TEST (test_dash_live_and_identities)
{
  const gchar *mpd =
      "<MPD type=\"dynamic\" availabilityStartTime=\"2024-01-01T00:00:00Z\" "
      "timeShiftBufferDepth=\"PT6S\" minimumUpdatePeriod=\"PT600S\">"
      "<Period id=\"live\" start=\"PT0S\">"
      "<AdaptationSet id=\"v\"><ContentProtection><Laurl>https://lic.example/x"
      "</Laurl></ContentProtection>"
      "<SegmentTemplate duration=\"2\" media=\"$RepresentationID$/$Number$.m4s\" "
      "initialization=\"$RepresentationID$/init.mp4\"/>"
      "<Representation id=\"hi\" bandwidth=\"2000000\"/>"
      "<Representation id=\"lo\" bandwidth=\"500000\"/>"
      "</AdaptationSet></Period></MPD>";
  GstP2pStreamIndex *index = gst_p2p_stream_index_new (NULL, NULL);
  GstP2pStreamIndex *other = gst_p2p_stream_index_new (NULL, NULL);
  GstP2pStreamSegmentInfo a, b, c;
  GstP2pStreamSegmentInfo next[4];

  fail_unless (gst_p2p_stream_index_add_manifest (index,
          "https://o.example/l/m.mpd?tok=1", "https://edge7.example/l/m.mpd",
          mpd, strlen (mpd), T0 + 20 * SEC, NULL));
  fail_unless (gst_p2p_stream_index_add_manifest (other,
          "https://o.example/l/m.mpd?tok=2", NULL, mpd, strlen (mpd),
          T0 + 21 * SEC, NULL));
  /* Relative to the final URI; 20 s in: numbers 7..10. */
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "https://edge7.example/l/hi/10.m4s", NULL, T0 + 20 * SEC, &a),
      GST_P2P_STREAM_URI_SEGMENT);
  fail_unless_equals_uint64 (a.segment_id, 10);
  fail_unless (a.live);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (other,
          "https://o.example/l/hi/10.m4s", NULL, T0 + 21 * SEC, &b),
      GST_P2P_STREAM_URI_SEGMENT);
  fail_unless_equals_string (a.swarm_id, b.swarm_id);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "https://edge7.example/l/lo/10.m4s", NULL, T0 + 20 * SEC, &c),
      GST_P2P_STREAM_URI_SEGMENT);
  fail_unless (strcmp (a.swarm_id, c.swarm_id) != 0);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "https://edge7.example/l/hi/init.mp4", NULL, T0, NULL),
      GST_P2P_STREAM_URI_INIT);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "https://lic.example/x", NULL, T0, NULL), GST_P2P_STREAM_URI_LICENCE);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "https://o.example/l/m.mpd", NULL, T0, NULL),
      GST_P2P_STREAM_URI_MANIFEST);

  /* 30 s later, without an MPD refresh, the template lists 25 too. */
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "https://edge7.example/l/hi/25.m4s", NULL, T0 + 50 * SEC, NULL),
      GST_P2P_STREAM_URI_SEGMENT);
  fail_unless_equals_int (gst_p2p_stream_index_next_segments (index,
          "https://edge7.example/l/hi/22.m4s", NULL, T0 + 50 * SEC, 4, next),
      3);
  fail_unless_equals_uint64 (next[2].segment_id, 25);
  gst_p2p_stream_segment_info_clear (&next[0]);
  gst_p2p_stream_segment_info_clear (&next[1]);
  gst_p2p_stream_segment_info_clear (&next[2]);
  gst_p2p_stream_segment_info_clear (&a);
  gst_p2p_stream_segment_info_clear (&b);
  gst_p2p_stream_segment_info_clear (&c);
  gst_p2p_stream_index_free (index);
  gst_p2p_stream_index_free (other);
}

GST_END_TEST;

/* A real encrypted HLS event as p2phttpsrc will see it: every .ts file
 * ffmpeg wrote is a known segment, the key is never one. */
GST_START_TEST (test_ffmpeg_hls_event)
{
  gchar *dir = stream_test_tmpdir (), *text, *keyinfo, *key;
  GstP2pStreamIndex *index = gst_p2p_stream_index_new (NULL, NULL);
  GstP2pStreamSegmentInfo info;
  GHashTable *swarms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  const gchar *name;
  GDir *d;
  guint v, found = 0;
  gsize size;

  keyinfo = g_build_filename (dir, "k.keyinfo", NULL);
  key = g_build_filename (dir, "k.key", NULL);
  fail_unless (g_file_set_contents (keyinfo,
          "https://keys.example/ev/k.key?token=me\nk.key\n", -1, NULL));
  fail_unless (g_file_set_contents (key, "0123456789abcdef", 16, NULL));
  stream_test_ffmpeg (dir, "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10",
      "-t", "5", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10",
      "-map", "0:v", "-map", "0:v", "-b:v:0", "200k", "-b:v:1", "100k",
      "-f", "hls", "-hls_time", "1", "-hls_key_info_file", "k.keyinfo",
      "-master_pl_name", "master.m3u8", "-var_stream_map", "v:0 v:1",
      "-hls_segment_filename", "v%v_%03d.ts", "v%v.m3u8", NULL);

  text = stream_test_read (dir, "master.m3u8", &size);
  fail_unless (gst_p2p_stream_index_add_manifest (index,
          "http://o.example/ev/master.m3u8?token=me", NULL, text, size, T0,
          NULL));
  g_free (text);
  for (v = 0; v < 2; v++) {
    gchar *n = g_strdup_printf ("v%u.m3u8", v);
    gchar *u = g_strdup_printf ("http://o.example/ev/v%u.m3u8", v);

    text = stream_test_read (dir, n, &size);
    fail_unless (gst_p2p_stream_index_add_manifest (index, u, NULL, text,
            size, T0, NULL));
    g_free (text);
    g_free (n);
    g_free (u);
  }

  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *u;

    if (!g_str_has_suffix (name, ".ts"))
      continue;
    u = g_strdup_printf ("http://o.example/ev/%s?token=me", name);
    fail_unless_equals_int (gst_p2p_stream_index_lookup (index, u, NULL, T0,
            &info), GST_P2P_STREAM_URI_SEGMENT);
    g_hash_table_add (swarms, g_strdup (info.swarm_id));
    gst_p2p_stream_segment_info_clear (&info);
    g_free (u);
    found++;
  }
  g_dir_close (d);
  fail_unless (found >= 8, "%u segments", found);
  fail_unless_equals_int (g_hash_table_size (swarms), 2);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index,
          "https://keys.example/ev/k.key?token=you", NULL, T0, NULL),
      GST_P2P_STREAM_URI_KEY);

  g_hash_table_unref (swarms);
  gst_p2p_stream_index_free (index);
  g_free (keyinfo);
  g_free (key);
  stream_test_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

static Suite *
stream_index_suite (void)
{
  Suite *s = suite_create ("stream-index");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_swarm_ids_ignore_tokens);
  tcase_add_test (tc, test_swarm_id_rules);
  tcase_add_test (tc, test_forbidden_and_next);
  tcase_add_test (tc, test_live_edge_and_eviction);
  tcase_add_test (tc, test_ranges_queries_renditions_cap);
  tcase_add_test (tc, test_dash_live_and_identities);
  tcase_add_test (tc, test_ffmpeg_hls_event);
  return s;
}

GST_CHECK_MAIN (stream_index);
