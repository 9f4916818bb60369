/* Unit tests of the HLS playlist parser (gst/stream/gstp2phlsplaylist.c):
 * the RFC 8216 examples, byte ranges with implicit offsets, keys and IVs,
 * init sections, discontinuities and dates, real playlists made by ffmpeg
 * (AES-128 TS, fMP4 single file, master, live window), and one error code
 * for each kind of malformed input.
 *
 * Threads: everything runs on the test's own thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "stream/gstp2phlsplaylist.h"
#include "streamtest.h"

#define SEG(pl, i) (&g_array_index ((pl)->segments, GstP2pHlsSegment, (i)))
#define VAR(pl, i) (&g_array_index ((pl)->variants, GstP2pHlsVariant, (i)))
#define REND(pl, i) (&g_array_index ((pl)->renditions, GstP2pHlsRendition, (i)))

static GstP2pHlsPlaylist *
parse_ok (const gchar * text, const gchar * uri)
{
  GError *err = NULL;
  GstP2pHlsPlaylist *pl = gst_p2p_hls_playlist_parse (text, strlen (text),
      uri, NULL, &err);

  fail_unless (pl != NULL, "parse failed: %s", err ? err->message : "?");
  fail_unless (err == NULL);
  return pl;
}

static void
parse_err (const gchar * text, gsize size, gint code)
{
  GError *err = NULL;
  GstP2pHlsPlaylist *pl;

  if (size == (gsize) - 1)
    size = strlen (text);
  pl = gst_p2p_hls_playlist_parse (text, size, "http://h.example/p/x.m3u8",
      NULL, &err);
  fail_unless (pl == NULL, "accepted: %.200s", text);
  fail_unless (err != NULL);
  fail_unless (err->domain == GST_P2P_STREAM_ERROR);
  fail_unless (err->code == code, "code %d (%s), expected %d, for: %.200s",
      err->code, err->message, code, text);
  g_error_free (err);
}

GST_START_TEST (test_rfc_simple_media)
{
  GstP2pHlsPlaylist *pl = parse_ok ("#EXTM3U\n#EXT-X-TARGETDURATION:10\n"
      "#EXT-X-VERSION:3\n#EXTINF:9.009,\nhttp://media.example.com/first.ts\n"
      "#EXTINF:9.009,\nhttp://media.example.com/second.ts\n#EXTINF:3.003,\n"
      "http://media.example.com/third.ts\n#EXT-X-ENDLIST\n", NULL);

  fail_unless_equals_int (pl->kind, GST_P2P_HLS_PLAYLIST_MEDIA);
  fail_unless_equals_int (pl->version, 3);
  fail_unless_equals_uint64 (pl->target_duration, 10 * GST_SECOND);
  fail_unless (pl->endlist);
  fail_unless_equals_int (pl->segments->len, 3);
  fail_unless_equals_string (SEG (pl, 1)->uri,
      "http://media.example.com/second.ts");
  fail_unless_equals_uint64 (SEG (pl, 0)->duration, 9009 * GST_MSECOND);
  fail_unless_equals_uint64 (SEG (pl, 2)->duration, 3003 * GST_MSECOND);
  fail_unless_equals_uint64 (SEG (pl, 2)->start, 18018 * GST_MSECOND);
  fail_unless_equals_uint64 (SEG (pl, 0)->sequence, 0);
  fail_unless_equals_uint64 (SEG (pl, 2)->sequence, 2);
  fail_unless (!SEG (pl, 0)->range.set);
  fail_unless_equals_int (SEG (pl, 0)->key_method, GST_P2P_HLS_KEY_NONE);
  fail_unless (SEG (pl, 0)->key_uri == NULL);
  fail_unless_equals_int64 (SEG (pl, 0)->program_date_time, -1);
  fail_unless_equals_uint64 (pl->duration, 21021 * GST_MSECOND);
  gst_p2p_hls_playlist_free (pl);
}

GST_END_TEST;

GST_START_TEST (test_rfc_live_and_encrypted)
{
  GstP2pHlsPlaylist *pl = parse_ok ("#EXTM3U\n#EXT-X-VERSION:3\n"
      "#EXT-X-MEDIA-SEQUENCE:7794\n#EXT-X-TARGETDURATION:15\n\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"https://priv.example.com/key.php?r=52\"\n"
      "\n#EXTINF:2.833,\nhttp://media.example.com/fileSequence52-A.ts\n"
      "#EXTINF:15.0,\nhttp://media.example.com/fileSequence52-B.ts\n"
      "#EXTINF:13.333,\nhttp://media.example.com/fileSequence52-C.ts\n\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"https://priv.example.com/key.php?r=53\"\n"
      "\n#EXTINF:15.0,\nhttp://media.example.com/fileSequence53-A.ts\n",
      "https://priv.example.com/live.m3u8");
  GstP2pHlsSegment *s;

  fail_unless (!pl->endlist);
  fail_unless_equals_uint64 (pl->media_sequence, 7794);
  fail_unless_equals_int (pl->segments->len, 4);
  s = SEG (pl, 0);
  fail_unless_equals_uint64 (s->sequence, 7794);
  fail_unless_equals_int (s->key_method, GST_P2P_HLS_KEY_AES_128);
  fail_unless_equals_string (s->key_uri,
      "https://priv.example.com/key.php?r=52");
  fail_unless (!s->iv_explicit);
  /* RFC 8216 5.2: IV = media sequence number, 128-bit big-endian. */
  fail_unless_equals_int (s->iv[15], 7794 & 0xff);
  fail_unless_equals_int (s->iv[14], 7794 >> 8);
  fail_unless_equals_int (s->iv[0], 0);
  s = SEG (pl, 3);
  fail_unless_equals_uint64 (s->sequence, 7797);
  fail_unless_equals_string (s->key_uri,
      "https://priv.example.com/key.php?r=53");
  fail_unless_equals_int (s->iv[15], 7797 & 0xff);
  /* Shared, not copied, between the segments under one key. */
  fail_unless (SEG (pl, 0)->key_uri == SEG (pl, 2)->key_uri);
  fail_unless_equals_int (pl->key_uris->len, 2);
  gst_p2p_hls_playlist_free (pl);
}

GST_END_TEST;

GST_START_TEST (test_rfc_master_and_renditions)
{
  GstP2pHlsPlaylist *pl = parse_ok ("#EXTM3U\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",LANGUAGE=\"en\",NAME=\"English\","
      "DEFAULT=YES,AUTOSELECT=YES,URI=\"main/english-audio.m3u8\"\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",LANGUAGE=\"de\",NAME=\"Deutsch\","
      "DEFAULT=NO,AUTOSELECT=YES,URI=\"main/german-audio.m3u8\"\n"
      "#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID=\"cc\",NAME=\"CC1\","
      "INSTREAM-ID=\"CC1\"\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=1280000,AVERAGE-BANDWIDTH=1000000,"
      "CODECS=\"avc1.4d401f,mp4a.40.2\",RESOLUTION=640x360,AUDIO=\"aac\"\n"
      "low/video-only.m3u8?token=abc\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=2560000,CODECS=\"avc1.4d401f\",AUDIO=\"aac\"\n"
      "http://cdn2.example.com/mid.m3u8\n"
      "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,URI=\"low/iframe.m3u8\"\n",
      "http://example.com/live/master.m3u8?session=1");
  GstP2pHlsVariant *v;
  GstP2pHlsRendition *r;

  fail_unless_equals_int (pl->kind, GST_P2P_HLS_PLAYLIST_MASTER);
  fail_unless_equals_int (pl->variants->len, 3);
  v = VAR (pl, 0);
  fail_unless_equals_string (v->uri,
      "http://example.com/live/low/video-only.m3u8?token=abc");
  fail_unless_equals_uint64 (v->bandwidth, 1280000);
  fail_unless_equals_uint64 (v->average_bandwidth, 1000000);
  fail_unless_equals_int (v->width, 640);
  fail_unless_equals_int (v->height, 360);
  fail_unless_equals_string (v->codecs, "avc1.4d401f,mp4a.40.2");
  fail_unless_equals_string (v->audio, "aac");
  fail_unless_equals_string (VAR (pl, 1)->uri,
      "http://cdn2.example.com/mid.m3u8");
  fail_unless (VAR (pl, 2)->iframes_only);
  fail_unless_equals_string (VAR (pl, 2)->uri,
      "http://example.com/live/low/iframe.m3u8");
  fail_unless_equals_int (pl->renditions->len, 3);
  r = REND (pl, 1);
  fail_unless_equals_int (r->type, GST_P2P_HLS_MEDIA_AUDIO);
  fail_unless_equals_string (r->group_id, "aac");
  fail_unless_equals_string (r->name, "Deutsch");
  fail_unless_equals_string (r->language, "de");
  fail_unless (!r->is_default);
  fail_unless (r->autoselect);
  fail_unless_equals_string (r->uri,
      "http://example.com/live/main/german-audio.m3u8");
  fail_unless (REND (pl, 2)->uri == NULL);
  gst_p2p_hls_playlist_free (pl);
}

GST_END_TEST;

GST_START_TEST (test_byterange_implicit_offsets)
{
  GstP2pHlsPlaylist *pl = parse_ok ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n"
      "#EXT-X-VERSION:4\n"
      "#EXT-X-MAP:URI=\"main.mp4\",BYTERANGE=\"720\"\n"
      "#EXTINF:4,\n#EXT-X-BYTERANGE:1000@720\nmain.mp4\n"
      "#EXTINF:4,\n#EXT-X-BYTERANGE:2000\nmain.mp4\n"
      "#EXTINF:4,\n#EXT-X-BYTERANGE:500\nmain.mp4\n"
      "#EXT-X-MAP:URI=\"other.mp4\",BYTERANGE=\"100@50\"\n"
      "#EXTINF:4,\n#EXT-X-BYTERANGE:300@0\nother.mp4\n"
      "#EXTINF:4,\nwhole.ts\n#EXT-X-ENDLIST\n", "http://h.example/a/b.m3u8");

  fail_unless_equals_int (pl->segments->len, 5);
  fail_unless_equals_uint64 (SEG (pl, 0)->range.offset, 720);
  fail_unless_equals_uint64 (SEG (pl, 0)->range.length, 1000);
  fail_unless_equals_uint64 (SEG (pl, 1)->range.offset, 1720);
  fail_unless_equals_uint64 (SEG (pl, 1)->range.length, 2000);
  fail_unless_equals_uint64 (SEG (pl, 2)->range.offset, 3720);
  fail_unless_equals_uint64 (SEG (pl, 2)->range.length, 500);
  fail_unless_equals_string (SEG (pl, 0)->init_uri,
      "http://h.example/a/main.mp4");
  fail_unless (SEG (pl, 0)->init_range.set);
  fail_unless_equals_uint64 (SEG (pl, 0)->init_range.offset, 0);
  fail_unless_equals_uint64 (SEG (pl, 0)->init_range.length, 720);
  fail_unless_equals_string (SEG (pl, 3)->init_uri,
      "http://h.example/a/other.mp4");
  fail_unless_equals_uint64 (SEG (pl, 3)->init_range.offset, 50);
  fail_unless_equals_uint64 (SEG (pl, 3)->range.offset, 0);
  fail_unless (!SEG (pl, 4)->range.set);
  gst_p2p_hls_playlist_free (pl);

  /* No previous sub-range of the same resource: ambiguous, refused. */
  parse_err ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n"
      "#EXT-X-BYTERANGE:100\na.ts\n", -1, GST_P2P_STREAM_ERROR_BAD_VALUE);
  parse_err ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n"
      "#EXT-X-BYTERANGE:100@0\na.ts\n#EXTINF:4,\n#EXT-X-BYTERANGE:100\nb.ts\n",
      -1, GST_P2P_STREAM_ERROR_BAD_VALUE);
  parse_err ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n"
      "#EXTINF:4,\n#EXT-X-BYTERANGE:100@0\na.ts\n#EXTINF:4,\na.ts\n"
      "#EXTINF:4,\n#EXT-X-BYTERANGE:100\na.ts\n", 109,
      GST_P2P_STREAM_ERROR_SYNTAX);
}

GST_END_TEST;

GST_START_TEST (test_keys_dates_discontinuities)
{
  GstP2pHlsPlaylist *pl = parse_ok ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
      "#EXT-X-MEDIA-SEQUENCE:18446744073709551613\n"
      "#EXT-X-DISCONTINUITY-SEQUENCE:7\n#EXT-X-PLAYLIST-TYPE:EVENT\n"
      "#EXT-X-PROGRAM-DATE-TIME:2024-01-02T03:04:05.500Z\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"k1\",IV=0x0102030405060708090a0B0c0d0e0f10\n"
      "#EXTINF:2.0,\ns1.ts\n"
      "#EXT-X-KEY:METHOD=NONE\n#EXT-X-DISCONTINUITY\n#EXTINF:2.0,\ns2.ts\n"
      "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://key42\",KEYFORMAT=\"com.apple.streamingkeydelivery\",IV=0x1\n"
      "#EXT-X-GAP\n#EXTINF:2.0,\ns3.ts\n", "https://h.example/x/y.m3u8?t=1");
  GstP2pHlsSegment *s;

  fail_unless_equals_int (pl->type, GST_P2P_HLS_PLAYLIST_TYPE_EVENT);
  s = SEG (pl, 0);
  fail_unless_equals_string (s->uri, "https://h.example/x/s1.ts");
  fail_unless_equals_uint64 (s->sequence, G_GUINT64_CONSTANT
      (18446744073709551613));
  fail_unless_equals_uint64 (s->discontinuity_sequence, 7);
  fail_unless (s->iv_explicit);
  fail_unless_equals_int (s->iv[0], 1);
  fail_unless_equals_int (s->iv[10], 0x0b);
  fail_unless_equals_int (s->iv[15], 0x10);
  fail_unless_equals_string (s->key_uri, "https://h.example/x/k1");
  fail_unless_equals_int64 (s->program_date_time,
      G_GINT64_CONSTANT (1704164645500000));
  s = SEG (pl, 1);
  fail_unless_equals_int (s->key_method, GST_P2P_HLS_KEY_NONE);
  fail_unless (s->key_uri == NULL);
  fail_unless (s->discontinuity);
  fail_unless_equals_uint64 (s->discontinuity_sequence, 8);
  fail_unless_equals_int64 (s->program_date_time,
      G_GINT64_CONSTANT (1704164647500000));
  s = SEG (pl, 2);
  fail_unless (s->gap);
  fail_unless_equals_int (s->key_method, GST_P2P_HLS_KEY_SAMPLE_AES);
  fail_unless_equals_string (s->key_uri, "skd://key42");
  fail_unless_equals_string (s->key_format, "com.apple.streamingkeydelivery");
  fail_unless_equals_int (s->iv[15], 1);
  fail_unless_equals_uint64 (s->sequence, G_MAXUINT64);
  fail_unless_equals_int (pl->key_uris->len, 2);
  gst_p2p_hls_playlist_free (pl);

  /* One more segment would need sequence number 2^64. */
  parse_err ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
      "#EXT-X-MEDIA-SEQUENCE:18446744073709551615\n#EXTINF:2,\na\n"
      "#EXTINF:2,\nb\n", -1, GST_P2P_STREAM_ERROR_BAD_VALUE);
}

GST_END_TEST;

/* Each line is a complete playlist that must be refused with its code. */
GST_START_TEST (test_malformed)
{
  static const struct
  {
    const gchar *text;
    gint code;
  } cases[] = {
    {"", GST_P2P_STREAM_ERROR_SYNTAX},
    {"\n\n", GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3", GST_P2P_STREAM_ERROR_SYNTAX},
    {"<?xml version=\"1.0\"?><MPD/>", GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\n", GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\na.ts\n", GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\n#EXTINF:1,\n", GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\n#EXTINF:1,\n#EXTINF:1,\na\n", GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n", GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\n#EXTINF:-1,\na\n", GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXTINF:abc,\na\n", GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXTINF:1.,\na\n", GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXTINF:99999999999999999999,\na\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXTINF:86400.001,\na\n", GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-TARGETDURATION:86401\n", GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-TARGETDURATION:99999999999\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-TARGETDURATION:-3\n", GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:18446744073709551616\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXTINF:1,\na\n#EXT-X-MEDIA-SEQUENCE:5\n",
        GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\n#EXTINF:1,\n#EXT-X-BYTERANGE:0@0\na\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXTINF:1,\n#EXT-X-BYTERANGE:10@18446744073709551610\na\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXTINF:1,\n#EXT-X-BYTERANGE:x@1\na\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-KEY:URI=\"k\"\n", GST_P2P_STREAM_ERROR_MISSING},
    {"#EXTM3U\n#EXT-X-KEY:METHOD=AES-128\n", GST_P2P_STREAM_ERROR_MISSING},
    {"#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0xZZ\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x"
          "000102030405060708090a0b0c0d0e0f00\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\n",
        GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"junk\n",
        GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\n#EXT-X-KEY:=x\n", GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\n#EXT-X-MAP:BYTERANGE=\"1@0\"\n", GST_P2P_STREAM_ERROR_MISSING},
    {"#EXTM3U\n#EXT-X-MAP:URI=\"i\",BYTERANGE=1@0\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"x\"\na.m3u8\n",
        GST_P2P_STREAM_ERROR_MISSING},
    {"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=12\na.m3u8\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=99999999999x1\na\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,NAME=\"a\"\n",
        GST_P2P_STREAM_ERROR_MISSING},
    {"#EXTM3U\n#EXT-X-MEDIA:TYPE=SMELL,GROUP-ID=\"g\",NAME=\"a\"\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na\n#EXTINF:1,\nb\n",
        GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\n#EXT-X-PLAYLIST-TYPE:LIVE\n", GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-PROGRAM-DATE-TIME:yesterday\n",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXT-X-VERSION:0\n", GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"#EXTM3U\n#EXTINF:1,\nhttp://[::1\n", GST_P2P_STREAM_ERROR_BAD_URI},
    {"#EXTM3U\n#EXTINF:1,\n\xff\xfe\n", GST_P2P_STREAM_ERROR_SYNTAX},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    parse_err (cases[i].text, strlen (cases[i].text), cases[i].code);

  /* An embedded NUL is not text. */
  parse_err ("#EXTM3U\n#EXTINF:1,\na\0b\n", 23, GST_P2P_STREAM_ERROR_SYNTAX);
}

GST_END_TEST;

GST_START_TEST (test_limits)
{
  GstP2pStreamLimits limits;
  GString *s = g_string_new ("#EXTM3U\n#EXT-X-TARGETDURATION:1\n");
  GError *err = NULL;
  GstP2pHlsPlaylist *pl;
  gchar *big;
  guint i;

  for (i = 0; i < 200; i++)
    g_string_append_printf (s, "#EXTINF:1,\nsegment-%u.ts\n", i);

  gst_p2p_stream_limits_init (&limits);
  limits.max_segments = 199;
  pl = gst_p2p_hls_playlist_parse (s->str, s->len, "http://a.example/",
      &limits, &err);
  fail_unless (pl == NULL);
  fail_unless (g_error_matches (err, GST_P2P_STREAM_ERROR,
          GST_P2P_STREAM_ERROR_TOO_MANY));
  g_clear_error (&err);
  limits.max_segments = 200;
  /* Relative URIs without a base: refused. */
  pl = gst_p2p_hls_playlist_parse (s->str, s->len, NULL, &limits, &err);
  fail_unless (g_error_matches (err, GST_P2P_STREAM_ERROR,
          GST_P2P_STREAM_ERROR_BAD_URI));
  g_clear_error (&err);
  pl = gst_p2p_hls_playlist_parse (s->str, s->len, "http://a.example/",
      &limits, &err);
  fail_unless (pl != NULL);
  fail_unless_equals_int (pl->segments->len, 200);
  fail_unless_equals_uint64 (pl->target_duration, GST_SECOND);
  gst_p2p_hls_playlist_free (pl);

  /* The output budget: a long base URI multiplies every relative line. */
  limits.max_output = 200 * 100;
  big = g_strdup_printf ("http://a.example/%0*d/", 200, 0);
  pl = gst_p2p_hls_playlist_parse (s->str, s->len, big, &limits, &err);
  fail_unless (pl == NULL);
  fail_unless (g_error_matches (err, GST_P2P_STREAM_ERROR,
          GST_P2P_STREAM_ERROR_TOO_LARGE));
  g_clear_error (&err);
  g_free (big);

  /* 10 MB of input, and one line longer than the line limit. */
  big = g_malloc (10 * 1024 * 1024);
  memset (big, 'a', 10 * 1024 * 1024);
  memcpy (big, "#EXTM3U\n#EXTINF:1,\n", 19);
  parse_err (big, 10 * 1024 * 1024, GST_P2P_STREAM_ERROR_TOO_LARGE);
  parse_err (big, 1024 * 1024, GST_P2P_STREAM_ERROR_TOO_LARGE);
  g_free (big);

  /* Too many attributes on one line. */
  g_string_assign (s, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1");
  for (i = 0; i < 40; i++)
    g_string_append_printf (s, ",X-%u=1", i);
  g_string_append (s, "\na.m3u8\n");
  parse_err (s->str, s->len, GST_P2P_STREAM_ERROR_TOO_MANY);
  g_string_free (s, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_garbage_and_truncation)
{
  static const gchar *valid = "#EXTM3U\n#EXT-X-VERSION:7\n"
      "#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:10\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"https://k.example/key?x=1\",IV=0x99\n"
      "#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"600@0\"\n"
      "#EXTINF:4.000,\n#EXT-X-BYTERANGE:1000@600\nmedia.mp4\n"
      "#EXTINF:4.000,\n#EXT-X-BYTERANGE:1000\nmedia.mp4\n" "#EXT-X-ENDLIST\n";
  GRand *rand = g_rand_new_with_seed (42);
  gsize len = strlen (valid), cut;
  guint errors = 0, i;

  /* Every prefix: a clean result or a clean error, never a crash. A
   * prefix that ends inside a segment's tags is detectably truncated. */
  for (cut = 0; cut <= len; cut++) {
    GError *err = NULL;
    GstP2pHlsPlaylist *pl = gst_p2p_hls_playlist_parse (valid, cut,
        "http://h.example/", NULL, &err);

    fail_unless ((pl == NULL) != (err == NULL));
    if (pl == NULL)
      errors++;
    gst_p2p_hls_playlist_free (pl);
    g_clear_error (&err);
  }
  fail_unless (errors > 20, "only %u truncations refused", errors);
  parse_err (valid, strstr (valid, "media.mp4") - valid,
      GST_P2P_STREAM_ERROR_SYNTAX);

  /* Binary garbage. */
  for (i = 0; i < 200; i++) {
    guint8 buf[512];
    guint j, n = g_rand_int_range (rand, 1, sizeof (buf));
    GError *err = NULL;

    for (j = 0; j < n; j++)
      buf[j] = g_rand_int_range (rand, 0, 256);
    if (i % 2)
      memcpy (buf, "#EXTM3U\n", MIN (n, 8));
    fail_if (gst_p2p_hls_playlist_parse ((const gchar *) buf, n, NULL, NULL,
            &err) != NULL);
    fail_unless (err != NULL);
    g_clear_error (&err);
  }
  g_rand_free (rand);
}

GST_END_TEST;

/* ---- real playlists made by ffmpeg ---- */

GST_START_TEST (test_ffmpeg_aes_ts)
{
  gchar *dir = stream_test_tmpdir (), *text, *keyinfo;
  GstP2pHlsPlaylist *pl;
  gsize size;
  guint i;

  keyinfo = g_build_filename (dir, "k.keyinfo", NULL);
  fail_unless (g_file_set_contents (keyinfo,
          "https://keys.example/k.key?token=secret\nk.key\n", -1, NULL));
  {
    gchar *key = g_build_filename (dir, "k.key", NULL);

    fail_unless (g_file_set_contents (key, "0123456789abcdef", 16, NULL));
    g_free (key);
  }
  stream_test_ffmpeg (dir, "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10",
      "-f", "lavfi", "-i", "sine=f=440:sample_rate=8000", "-t", "4",
      "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-c:a", "aac",
      "-f", "hls", "-hls_time", "1", "-hls_key_info_file", "k.keyinfo",
      "-hls_segment_filename", "ts_%03d.ts", "ts.m3u8", NULL);
  text = stream_test_read (dir, "ts.m3u8", &size);
  pl = gst_p2p_hls_playlist_parse (text, size, "http://o.example/live/ts.m3u8",
      NULL, NULL);
  fail_unless (pl != NULL);
  fail_unless (pl->endlist);
  fail_unless (pl->segments->len >= 4);
  for (i = 0; i < pl->segments->len; i++) {
    GstP2pHlsSegment *s = SEG (pl, i);
    const gchar *name = stream_test_relative (s->uri,
        "http://o.example/live/");

    fail_unless (name != NULL && stream_test_exists (dir, name), "%s", s->uri);
    fail_unless_equals_uint64 (s->sequence, i);
    fail_unless_equals_int (s->key_method, GST_P2P_HLS_KEY_AES_128);
    fail_unless_equals_string (s->key_uri,
        "https://keys.example/k.key?token=secret");
    fail_unless (s->duration > 0 && s->duration <= 2 * GST_SECOND);
  }
  fail_unless_equals_int (pl->key_uris->len, 1);
  gst_p2p_hls_playlist_free (pl);
  g_free (text);
  g_free (keyinfo);
  stream_test_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_ffmpeg_fmp4_single_file)
{
  gchar *dir = stream_test_tmpdir (), *text, *path;
  GstP2pHlsPlaylist *pl;
  guint64 expect;
  GStatBuf st;
  gsize size;
  guint i;

  stream_test_ffmpeg (dir, "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10",
      "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10",
      "-f", "hls", "-hls_time", "1", "-hls_segment_type", "fmp4",
      "-hls_flags", "single_file", "sf.m3u8", NULL);
  text = stream_test_read (dir, "sf.m3u8", &size);
  pl = gst_p2p_hls_playlist_parse (text, size, "http://o.example/v/sf.m3u8",
      NULL, NULL);
  fail_unless (pl != NULL);
  fail_unless (pl->segments->len >= 4);
  path = g_build_filename (dir, "sf.m4s", NULL);
  fail_unless (g_stat (path, &st) == 0);
  /* The ranges tile the file: init section, then segment after segment. */
  fail_unless_equals_string (SEG (pl, 0)->init_uri,
      "http://o.example/v/sf.m4s");
  fail_unless (SEG (pl, 0)->init_range.set);
  expect = SEG (pl, 0)->init_range.offset + SEG (pl, 0)->init_range.length;
  for (i = 0; i < pl->segments->len; i++) {
    GstP2pHlsSegment *s = SEG (pl, i);

    fail_unless_equals_string (s->uri, "http://o.example/v/sf.m4s");
    fail_unless (s->range.set);
    fail_unless_equals_uint64 (s->range.offset, expect);
    expect += s->range.length;
  }
  fail_unless_equals_uint64 (expect, st.st_size);
  gst_p2p_hls_playlist_free (pl);
  g_free (path);
  g_free (text);
  stream_test_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_ffmpeg_master_and_live_window)
{
  gchar *dir = stream_test_tmpdir (), *text;
  GstP2pHlsPlaylist *pl;
  gsize size;
  guint i;

  stream_test_ffmpeg (dir, "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10",
      "-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10",
      "-map", "0:v", "-map", "0:v", "-b:v:0", "200k", "-b:v:1", "100k",
      "-s:v:1", "48x32", "-f", "hls", "-hls_time", "1", "-hls_list_size", "3",
      "-hls_flags", "omit_endlist", "-master_pl_name", "master.m3u8",
      "-var_stream_map", "v:0 v:1", "v%v/index.m3u8", NULL);
  text = stream_test_read (dir, "master.m3u8", &size);
  pl = gst_p2p_hls_playlist_parse (text, size,
      "http://o.example/ev/master.m3u8", NULL, NULL);
  fail_unless (pl != NULL);
  fail_unless_equals_int (pl->kind, GST_P2P_HLS_PLAYLIST_MASTER);
  fail_unless_equals_int (pl->variants->len, 2);
  fail_unless_equals_string (VAR (pl, 0)->uri,
      "http://o.example/ev/v0/index.m3u8");
  fail_unless_equals_int (VAR (pl, 1)->width, 48);
  fail_unless (VAR (pl, 0)->bandwidth > VAR (pl, 1)->bandwidth);
  gst_p2p_hls_playlist_free (pl);
  g_free (text);

  /* A live window: 3 segments, not from 0, no ENDLIST. */
  text = stream_test_read (dir, "v1/index.m3u8", &size);
  pl = gst_p2p_hls_playlist_parse (text, size,
      "http://o.example/ev/v1/index.m3u8", NULL, NULL);
  fail_unless (pl != NULL);
  fail_unless (!pl->endlist);
  fail_unless_equals_int (pl->segments->len, 3);
  fail_unless (pl->media_sequence >= 2);
  for (i = 0; i < 3; i++) {
    const gchar *name = stream_test_relative (SEG (pl, i)->uri,
        "http://o.example/ev/");

    fail_unless (name && stream_test_exists (dir, name), "%s",
        SEG (pl, i)->uri);
    fail_unless_equals_uint64 (SEG (pl, i)->sequence, pl->media_sequence + i);
  }
  gst_p2p_hls_playlist_free (pl);
  g_free (text);
  stream_test_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

static Suite *
stream_hls_suite (void)
{
  Suite *s = suite_create ("stream-hls");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rfc_simple_media);
  tcase_add_test (tc, test_rfc_live_and_encrypted);
  tcase_add_test (tc, test_rfc_master_and_renditions);
  tcase_add_test (tc, test_byterange_implicit_offsets);
  tcase_add_test (tc, test_keys_dates_discontinuities);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_limits);
  tcase_add_test (tc, test_garbage_and_truncation);
  tcase_add_test (tc, test_ffmpeg_aes_ts);
  tcase_add_test (tc, test_ffmpeg_fmp4_single_file);
  tcase_add_test (tc, test_ffmpeg_master_and_live_window);
  return s;
}

GST_CHECK_MAIN (stream_hls);
