/* Unit tests of the DASH MPD parser (gst/stream/gstp2pdashmpd.c): BaseURL
 * resolution at every level, templates ($Number%05d$, $Time$, $Bandwidth$,
 * $$), timelines (r, r=-1 to the Period end and to "now"), multi-period,
 * SegmentList and SegmentBase, live windows at a given wall-clock time,
 * licence URLs, real MPDs made by ffmpeg (static with and without timeline,
 * and a live one snapshotted while ffmpeg runs), and refusal of XXE, entity
 * expansion, deep nesting, truncation, garbage and absurd numbers.
 *
 * Threads: everything runs on the test's own thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "stream/gstp2pdashmpd.h"
#include "streamtest.h"

#define PERIOD(m, i) (&g_array_index ((m)->periods, GstP2pDashPeriod, (i)))
#define ASET(p, i) (&g_array_index ((p)->adaptation_sets, \
      GstP2pDashAdaptationSet, (i)))
#define REP(a, i) (&g_array_index ((a)->representations, \
      GstP2pDashRepresentation, (i)))
#define SEG(r, i) (&g_array_index ((r)->segments, GstP2pDashSegment, (i)))

/* 2024-01-01T00:00:00Z */
#define AST_US G_GINT64_CONSTANT (1704067200000000)

static GstP2pDashMpd *
parse_ok (const gchar * text, const gchar * uri, gint64 now)
{
  GError *err = NULL;
  GstP2pDashMpd *mpd = gst_p2p_dash_mpd_parse (text, strlen (text), uri, now,
      NULL, &err);

  fail_unless (mpd != NULL, "parse failed: %s", err ? err->message : "?");
  return mpd;
}

static void
parse_err_full (const gchar * text, gsize size,
    const GstP2pStreamLimits * limits, gint code)
{
  GError *err = NULL;
  GstP2pDashMpd *mpd = gst_p2p_dash_mpd_parse (text, size,
      "http://h.example/m.mpd", AST_US + 60 * G_USEC_PER_SEC, limits, &err);

  fail_unless (mpd == NULL, "accepted: %.300s", text);
  fail_unless (err != NULL && err->domain == GST_P2P_STREAM_ERROR);
  fail_unless (code < 0 || err->code == code,
      "code %d (%s), expected %d, for: %.300s", err->code, err->message,
      code, text);
  g_error_free (err);
}

static void
parse_err (const gchar * text, gint code)
{
  parse_err_full (text, strlen (text), NULL, code);
}

GST_START_TEST (test_multi_period_base_urls_templates)
{
  GstP2pDashMpd *mpd = parse_ok ("<?xml version=\"1.0\"?>\n"
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" "
      "mediaPresentationDuration=\"PT20S\" minBufferTime=\"PT1.5S\">"
      "<BaseURL>http://cdn.example/root/</BaseURL>"
      "<Period id=\"p0\" duration=\"PT10S\"><BaseURL>p0/</BaseURL>"
      "<AdaptationSet id=\"7\" mimeType=\"video/mp4\" codecs=\"avc1.64001f\">"
      "<BaseURL>video/</BaseURL>"
      "<SegmentTemplate timescale=\"1000\" media=\"$RepresentationID$/t$Time$.m4s\" "
      "initialization=\"$RepresentationID$/init.mp4\"><SegmentTimeline>"
      "<S t=\"0\" d=\"2000\" r=\"-1\"/></SegmentTimeline></SegmentTemplate>"
      "<Representation id=\"v1\" bandwidth=\"500000\" width=\"640\" height=\"360\"/>"
      "</AdaptationSet></Period>"
      "<Period id=\"p1\"><BaseURL>http://other.example/abs/</BaseURL>"
      "<AdaptationSet><Representation id=\"a\" bandwidth=\"64000\" "
      "mimeType=\"audio/mp4\"><BaseURL>audio/</BaseURL>"
      "<SegmentTemplate startNumber=\"100\" timescale=\"48000\" duration=\"96000\" "
      "presentationTimeOffset=\"48000\" "
      "media=\"seg-$Number%05d$-$Bandwidth$.m4s?x=1&amp;y=$$\"/>"
      "</Representation></AdaptationSet></Period></MPD>",
      "http://origin.example/live/m.mpd?token=1", 0);
  GstP2pDashPeriod *p;
  GstP2pDashRepresentation *r;
  guint i;

  fail_unless (!mpd->dynamic);
  fail_unless_equals_uint64 (mpd->min_buffer_time, 1500 * GST_MSECOND);
  fail_unless_equals_int (mpd->periods->len, 2);

  p = PERIOD (mpd, 0);
  fail_unless_equals_string (p->id, "p0");
  fail_unless_equals_uint64 (p->start, 0);
  fail_unless_equals_uint64 (p->duration, 10 * GST_SECOND);
  fail_unless_equals_string (ASET (p, 0)->id, "7");
  r = REP (ASET (p, 0), 0);
  fail_unless_equals_string (r->codecs, "avc1.64001f");
  fail_unless_equals_string (r->mime_type, "video/mp4");
  fail_unless_equals_int (r->width, 640);
  fail_unless_equals_int (r->addressing, GST_P2P_DASH_ADDRESSING_TIMELINE);
  fail_unless (!r->id_is_number);
  fail_unless_equals_string (r->init_uri,
      "http://cdn.example/root/p0/video/v1/init.mp4");
  /* r=-1 repeats to the Period end. */
  fail_unless_equals_int (r->segments->len, 5);
  for (i = 0; i < 5; i++) {
    gchar *uri = g_strdup_printf ("http://cdn.example/root/p0/video/v1/t%u.m4s",
        i * 2000);

    fail_unless_equals_string (SEG (r, i)->uri, uri);
    fail_unless_equals_uint64 (SEG (r, i)->id, i * 2000);
    fail_unless_equals_uint64 (SEG (r, i)->start, i * 2 * GST_SECOND);
    fail_unless_equals_uint64 (SEG (r, i)->duration_ns, 2 * GST_SECOND);
    g_free (uri);
  }

  p = PERIOD (mpd, 1);
  fail_unless_equals_uint64 (p->start, 10 * GST_SECOND);
  fail_unless_equals_uint64 (p->duration, 10 * GST_SECOND);
  r = REP (ASET (p, 0), 0);
  fail_unless_equals_int (r->addressing, GST_P2P_DASH_ADDRESSING_TEMPLATE);
  fail_unless (r->id_is_number);
  fail_unless_equals_int (r->segments->len, 5);
  fail_unless_equals_string (SEG (r, 0)->uri,
      "http://other.example/abs/audio/seg-00100-64000.m4s?x=1&y=$");
  fail_unless_equals_uint64 (SEG (r, 4)->id, 104);
  fail_unless_equals_uint64 (SEG (r, 4)->time, 48000 + 4 * 96000);
  fail_unless_equals_uint64 (SEG (r, 4)->start, 18 * GST_SECOND);
  gst_p2p_dash_mpd_free (mpd);
}

GST_END_TEST;

#define LIVE_TEMPLATE \
    "<MPD type=\"dynamic\" availabilityStartTime=\"2024-01-01T00:00:00Z\" " \
    "publishTime=\"2024-01-01T00:01:00Z\" minimumUpdatePeriod=\"PT2S\" " \
    "suggestedPresentationDelay=\"PT4S\" %s>" \
    "<Period id=\"1\" start=\"PT%uS\"><AdaptationSet>" \
    "<SegmentTemplate timescale=\"90000\" duration=\"180000\" startNumber=\"1\" " \
    "media=\"http://h.example/$RepresentationID$/$Number$.ts\"/>" \
    "<Representation id=\"v\" bandwidth=\"1\"/></AdaptationSet></Period></MPD>"

static void
check_numbers (GstP2pDashRepresentation * r, guint64 lo, guint64 hi)
{
  guint i;

  fail_unless_equals_int (r->segments->len, hi - lo + 1);
  for (i = 0; i < r->segments->len; i++) {
    gchar *uri = g_strdup_printf ("http://h.example/v/%" G_GUINT64_FORMAT
        ".ts", lo + i);

    fail_unless_equals_uint64 (SEG (r, i)->number, lo + i);
    fail_unless_equals_string (SEG (r, i)->uri, uri);
    g_free (uri);
  }
}

GST_START_TEST (test_live_template_at_now)
{
  gchar *text;
  GstP2pDashMpd *mpd;
  GstP2pDashRepresentation *r;
  GstP2pStreamLimits limits;
  GArray *segs;
  GError *err = NULL;

  /* 61.5 s after AST: 30 complete 2 s segments; the last 10 s of them. */
  text = g_strdup_printf (LIVE_TEMPLATE, "timeShiftBufferDepth=\"PT10S\"", 0);
  mpd = parse_ok (text, NULL, AST_US + 61500000);
  fail_unless (mpd->dynamic);
  fail_unless_equals_int64 (mpd->availability_start_time, AST_US);
  fail_unless_equals_int64 (mpd->publish_time, AST_US + 60 * G_USEC_PER_SEC);
  fail_unless_equals_uint64 (mpd->minimum_update_period, 2 * GST_SECOND);
  fail_unless_equals_uint64 (mpd->suggested_presentation_delay, 4 * GST_SECOND);
  fail_unless_equals_uint64 (mpd->time_shift_buffer_depth, 10 * GST_SECOND);
  r = REP (ASET (PERIOD (mpd, 0), 0), 0);
  check_numbers (r, 26, 30);
  fail_unless_equals_uint64 (SEG (r, 4)->start, 58 * GST_SECOND);

  /* Listed again 4 s later: two more, two fewer. */
  segs = g_array_new (FALSE, TRUE, sizeof (GstP2pDashSegment));
  g_array_set_clear_func (segs, (GDestroyNotify) gst_p2p_dash_segment_clear);
  fail_unless (gst_p2p_dash_template_generate (&r->tmpl, AST_US + 65500000,
          100, segs, NULL));
  fail_unless_equals_int (segs->len, 5);
  fail_unless_equals_uint64 (g_array_index (segs, GstP2pDashSegment,
          0).number, 28);
  fail_unless_equals_uint64 (g_array_index (segs, GstP2pDashSegment,
          4).number, 32);
  g_array_unref (segs);
  gst_p2p_dash_mpd_free (mpd);

  /* Before the Period starts nothing; the edge exactly at a boundary. */
  mpd = parse_ok (text, NULL, AST_US - 5 * G_USEC_PER_SEC);
  fail_unless_equals_int (REP (ASET (PERIOD (mpd, 0), 0), 0)->segments->len, 0);
  gst_p2p_dash_mpd_free (mpd);
  mpd = parse_ok (text, NULL, AST_US + 4 * G_USEC_PER_SEC);
  check_numbers (REP (ASET (PERIOD (mpd, 0), 0), 0), 1, 2);
  gst_p2p_dash_mpd_free (mpd);
  g_free (text);

  /* A Period starting 20 s in. */
  text = g_strdup_printf (LIVE_TEMPLATE, "timeShiftBufferDepth=\"PT10S\"", 20);
  mpd = parse_ok (text, NULL, AST_US + 61500000);
  check_numbers (REP (ASET (PERIOD (mpd, 0), 0), 0), 16, 20);
  fail_unless_equals_uint64 (SEG (REP (ASET (PERIOD (mpd, 0), 0), 0),
          0)->start, 50 * GST_SECOND);
  gst_p2p_dash_mpd_free (mpd);
  g_free (text);

  /* No time shift depth: everything since AST, capped to the most recent. */
  text = g_strdup_printf (LIVE_TEMPLATE, "", 0);
  gst_p2p_stream_limits_init (&limits);
  limits.max_segments = 10;
  mpd = gst_p2p_dash_mpd_parse (text, strlen (text), NULL,
      AST_US + G_GINT64_CONSTANT (1000000) * 3600 * 24 * 365 * 20, &limits,
      &err);
  fail_unless (mpd != NULL);
  r = REP (ASET (PERIOD (mpd, 0), 0), 0);
  fail_unless_equals_int (r->segments->len, 10);
  fail_unless_equals_uint64 (SEG (r, 9)->number,
      G_GUINT64_CONSTANT (315360000));
  gst_p2p_dash_mpd_free (mpd);
  g_free (text);
}

GST_END_TEST;

GST_START_TEST (test_live_timeline_to_now)
{
  static const gchar *text =
      "<MPD type=\"dynamic\" availabilityStartTime=\"2024-01-01T00:00:00Z\">"
      "<Period start=\"PT0S\"><AdaptationSet><Representation id=\"r\" "
      "bandwidth=\"5\"><SegmentTemplate media=\"s_$Time$_$Number$.m4s\" "
      "startNumber=\"0\"><SegmentTimeline><S t=\"100\" d=\"2\" r=\"1\"/>"
      "<S d=\"2\" r=\"-1\"/></SegmentTimeline></SegmentTemplate>"
      "</Representation></AdaptationSet></Period></MPD>";
  GstP2pDashMpd *mpd;
  GstP2pDashRepresentation *r;

  /* Ending at or before "now" = 110 s: t = 100, 102, ..., 108. */
  mpd = parse_ok (text, "https://h.example/a/live.mpd",
      AST_US + 110 * G_USEC_PER_SEC);
  r = REP (ASET (PERIOD (mpd, 0), 0), 0);
  fail_unless_equals_int (r->segments->len, 5);
  fail_unless (r->id_is_number);
  fail_unless_equals_string (SEG (r, 4)->uri,
      "https://h.example/a/s_108_4.m4s");
  fail_unless_equals_uint64 (SEG (r, 4)->id, 4);
  gst_p2p_dash_mpd_free (mpd);
  mpd = parse_ok (text, "https://h.example/a/live.mpd",
      AST_US + 109 * G_USEC_PER_SEC);
  fail_unless_equals_int (REP (ASET (PERIOD (mpd, 0), 0), 0)->segments->len, 4);
  gst_p2p_dash_mpd_free (mpd);
}

GST_END_TEST;

GST_START_TEST (test_segment_list_and_base)
{
  GstP2pDashMpd *mpd = parse_ok ("<MPD mediaPresentationDuration=\"PT6S\">"
      "<Period><AdaptationSet mimeType=\"video/mp4\">"
      "<ContentProtection schemeIdUri=\"urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e\">"
      "<dashif:Laurl xmlns:dashif=\"https://dashif.org/CPS\">https://lic.example/ck</dashif:Laurl>"
      "</ContentProtection>"
      "<Representation id=\"l\" bandwidth=\"1\"><BaseURL>http://h.example/f.mp4</BaseURL>"
      "<ContentProtection><ms:laurl xmlns:ms=\"urn:microsoft\" licenseUrl=\"https://lic.example/pr\"/></ContentProtection>"
      "<SegmentList timescale=\"10\" duration=\"20\">"
      "<Initialization sourceURL=\"init.mp4\" range=\"0-99\"/>"
      "<SegmentURL mediaRange=\"100-199\"/><SegmentURL mediaRange=\"200-299\"/>"
      "<SegmentURL media=\"other.mp4\"/></SegmentList></Representation>"
      "<Representation id=\"b\" bandwidth=\"2\"><BaseURL>b.mp4</BaseURL>"
      "<SegmentBase indexRange=\"800-1000\"><Initialization range=\"0-799\"/>"
      "</SegmentBase></Representation></AdaptationSet></Period></MPD>",
      "http://h.example/dir/m.mpd", 0);
  GstP2pDashAdaptationSet *as = ASET (PERIOD (mpd, 0), 0);
  GstP2pDashRepresentation *r = REP (as, 0);

  fail_unless_equals_int (r->addressing, GST_P2P_DASH_ADDRESSING_LIST);
  fail_unless_equals_int (r->segments->len, 3);
  fail_unless_equals_string (SEG (r, 0)->uri, "http://h.example/f.mp4");
  fail_unless_equals_uint64 (SEG (r, 0)->range.offset, 100);
  fail_unless_equals_uint64 (SEG (r, 0)->range.length, 100);
  fail_unless_equals_uint64 (SEG (r, 1)->range.offset, 200);
  fail_unless_equals_string (SEG (r, 2)->uri, "http://h.example/other.mp4");
  fail_unless (!SEG (r, 2)->range.set);
  fail_unless_equals_uint64 (SEG (r, 2)->id, 3);
  fail_unless_equals_uint64 (SEG (r, 2)->start, 4 * GST_SECOND);
  fail_unless_equals_string (r->init_uri, "http://h.example/init.mp4");
  fail_unless_equals_uint64 (r->init_range.length, 100);

  r = REP (as, 1);
  fail_unless_equals_int (r->addressing, GST_P2P_DASH_ADDRESSING_BASE);
  fail_unless_equals_int (r->segments->len, 0);
  fail_unless_equals_string (r->base_uri, "http://h.example/dir/b.mp4");
  fail_unless_equals_string (r->init_uri, "http://h.example/dir/b.mp4");
  fail_unless_equals_uint64 (r->init_range.length, 800);
  fail_unless_equals_uint64 (r->index_range.offset, 800);
  fail_unless_equals_uint64 (r->index_range.length, 201);

  fail_unless_equals_int (mpd->licence_uris->len, 2);
  fail_unless_equals_string (g_ptr_array_index (mpd->licence_uris, 0),
      "https://lic.example/ck");
  fail_unless_equals_string (g_ptr_array_index (mpd->licence_uris, 1),
      "https://lic.example/pr");
  gst_p2p_dash_mpd_free (mpd);
}

GST_END_TEST;

#define WRAP(seg) "<MPD mediaPresentationDuration=\"PT10S\"><Period>" \
  "<AdaptationSet><Representation id=\"r\" bandwidth=\"1\">" seg \
  "</Representation></AdaptationSet></Period></MPD>"

GST_START_TEST (test_malformed)
{
  static const struct
  {
    const gchar *text;
    gint code;
  } cases[] = {
    {"", GST_P2P_STREAM_ERROR_SYNTAX},
    {"<MPD", GST_P2P_STREAM_ERROR_SYNTAX},
    {"<MPD><Period></MPD>", GST_P2P_STREAM_ERROR_SYNTAX},
    {"<NotMPD/>", GST_P2P_STREAM_ERROR_SYNTAX},
    {"#EXTM3U\n", GST_P2P_STREAM_ERROR_SYNTAX},
    {"<MPD>\xff\xfe</MPD>", GST_P2P_STREAM_ERROR_SYNTAX},
    {"<MPD>&undefined;</MPD>", GST_P2P_STREAM_ERROR_SYNTAX},
    /* XXE, external DTD, billion laughs. */
    {"<?xml version=\"1.0\"?><!DOCTYPE MPD [<!ENTITY x SYSTEM "
          "\"file:///etc/passwd\">]><MPD><BaseURL>&x;</BaseURL></MPD>",
        GST_P2P_STREAM_ERROR_FORBIDDEN},
    {"<!DOCTYPE MPD SYSTEM \"http://127.0.0.1:1/evil.dtd\"><MPD/>",
        GST_P2P_STREAM_ERROR_FORBIDDEN},
    {"<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;"
          "&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
          "<MPD><BaseURL>&c;</BaseURL></MPD>", GST_P2P_STREAM_ERROR_FORBIDDEN},
    {"<MPD type=\"live\"/>", GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"<MPD mediaPresentationDuration=\"PT1X\"/>",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"<MPD mediaPresentationDuration=\"-PT1S\"/>",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"<MPD mediaPresentationDuration=\"P99999999999999999999Y\"/>",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"<MPD mediaPresentationDuration=\"PT1M1H\"/>",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"<MPD availabilityStartTime=\"tomorrow\"/>",
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"<MPD><Period duration=\"PT1S\"/><Period start=\"PT0.5S\"/>"
          "<Period start=\"PT0.2S\"/></MPD>", GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"<MPD type=\"dynamic\"><Period/><Period/></MPD>",
        GST_P2P_STREAM_ERROR_MISSING},
    {WRAP (""), -1},
    {"<MPD><Period><AdaptationSet><Representation bandwidth=\"1\"/>"
          "</AdaptationSet></Period></MPD>", GST_P2P_STREAM_ERROR_MISSING},
    {WRAP ("<SegmentTemplate media=\"$Number$\" duration=\"1\" timescale=\"0\"/>"),
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {WRAP ("<SegmentTemplate media=\"$Number$\" duration=\"-1\"/>"),
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {WRAP ("<SegmentTemplate media=\"$Number$\" duration=\"0\"/>"),
        GST_P2P_STREAM_ERROR_MISSING},
    {WRAP ("<SegmentTemplate media=\"$Number$\"/>"),
        GST_P2P_STREAM_ERROR_MISSING},
    {WRAP ("<SegmentTemplate duration=\"1\"/>"), GST_P2P_STREAM_ERROR_MISSING},
    {WRAP ("<SegmentTemplate media=\"$Foo$\" duration=\"1\"/>"),
        GST_P2P_STREAM_ERROR_UNSUPPORTED},
    {WRAP ("<SegmentTemplate media=\"$Number%05x$\" duration=\"1\"/>"),
        GST_P2P_STREAM_ERROR_UNSUPPORTED},
    {WRAP ("<SegmentTemplate media=\"$Number%099d$\" duration=\"1\"/>"),
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {WRAP ("<SegmentTemplate media=\"$RepresentationID%02d$\" duration=\"1\"/>"),
        GST_P2P_STREAM_ERROR_UNSUPPORTED},
    {WRAP ("<SegmentTemplate media=\"$Number\" duration=\"1\"/>"),
        GST_P2P_STREAM_ERROR_SYNTAX},
    {WRAP ("<SegmentTemplate media=\"fixed.m4s\" duration=\"1\"/>"),
        GST_P2P_STREAM_ERROR_UNSUPPORTED},
    {WRAP ("<SegmentTemplate media=\"$Number$\" duration=\"1\" "
              "startNumber=\"18446744073709551615\"/>"),
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {WRAP ("<SegmentTemplate media=\"$Number$\" duration=\"1\" "
              "startNumber=\"18446744073709551616\"/>"),
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {WRAP ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline>"
              "<S d=\"99999999999999999999\"/></SegmentTimeline>"
              "</SegmentTemplate>"), GST_P2P_STREAM_ERROR_BAD_VALUE},
    {WRAP ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline>"
              "<S t=\"0\"/></SegmentTimeline></SegmentTemplate>"),
        GST_P2P_STREAM_ERROR_MISSING},
    {WRAP ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline>"
              "<S d=\"1\" r=\"-2\"/></SegmentTimeline></SegmentTemplate>"),
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {WRAP ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline>"
              "<S d=\"1\" r=\"1000000000000000000\"/></SegmentTimeline>"
              "</SegmentTemplate>"), GST_P2P_STREAM_ERROR_TOO_MANY},
    {WRAP ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline>"
              "<S t=\"18446744073709551000\" d=\"1000\" r=\"1\"/>"
              "</SegmentTimeline></SegmentTemplate>"),
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {WRAP ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline>"
              "<S t=\"10\" d=\"1\"/><S t=\"5\" d=\"1\"/></SegmentTimeline>"
              "</SegmentTemplate>"), GST_P2P_STREAM_ERROR_BAD_VALUE},
    {"<MPD><Period><AdaptationSet><Representation id=\"r\" bandwidth=\"1\">"
          "<SegmentTemplate media=\"$Time$\"><SegmentTimeline><S d=\"1\" "
          "r=\"-1\"/></SegmentTimeline></SegmentTemplate></Representation>"
          "</AdaptationSet></Period></MPD>", GST_P2P_STREAM_ERROR_MISSING},
    {"<MPD type=\"dynamic\"><Period><AdaptationSet><Representation id=\"r\" "
          "bandwidth=\"1\"><SegmentTemplate media=\"$Number$\" duration=\"1\"/>"
          "</Representation></AdaptationSet></Period></MPD>",
        GST_P2P_STREAM_ERROR_MISSING},
    {WRAP ("<SegmentList><SegmentURL mediaRange=\"9-1\"/></SegmentList>"),
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {WRAP ("<SegmentBase indexRange=\"0-18446744073709551615\"/>"),
        GST_P2P_STREAM_ERROR_BAD_VALUE},
    {WRAP ("<BaseURL>http://[::1</BaseURL>"), GST_P2P_STREAM_ERROR_BAD_URI},
    {WRAP ("<SegmentTemplate media=\"$Number$\" duration=\"1\" "
              "timescale=\"1000000\"/>"), GST_P2P_STREAM_ERROR_TOO_MANY},
  };
  GstP2pDashMpd *mpd;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    if (cases[i].code == -1)
      continue;
    parse_err (cases[i].text, cases[i].code);
  }
  /* The same with every limit at its default but segments. */
  {
    GstP2pStreamLimits limits;
    const gchar *t = WRAP ("<SegmentTemplate media=\"$Number$\" "
        "duration=\"1\" timescale=\"1000\"/>");

    gst_p2p_stream_limits_init (&limits);
    limits.max_segments = 9999;
    parse_err_full (t, strlen (t), &limits, GST_P2P_STREAM_ERROR_TOO_MANY);
    limits.max_segments = 10000;
    mpd = gst_p2p_dash_mpd_parse (t, strlen (t), "http://h.example/", 0,
        &limits, NULL);
    fail_unless (mpd != NULL);
    fail_unless_equals_int (REP (ASET (PERIOD (mpd, 0), 0), 0)->segments->len,
        10000);
    gst_p2p_dash_mpd_free (mpd);
  }
}

GST_END_TEST;

GST_START_TEST (test_depth_size_garbage_truncation)
{
  GString *s = g_string_new ("<MPD>");
  GRand *rand = g_rand_new_with_seed (7);
  const gchar *valid = WRAP ("<SegmentTemplate media=\"$Number$.m4s\" "
      "duration=\"2\"/>");
  GstP2pDashMpd *mpd;
  gchar *big;
  gsize cut, end;
  guint i;

  /* Nesting just over the limit, and far beyond libxml2's own. */
  for (i = 0; i < GST_P2P_STREAM_DEFAULT_MAX_DEPTH; i++)
    g_string_append (s, "<x>");
  for (i = 0; i < GST_P2P_STREAM_DEFAULT_MAX_DEPTH; i++)
    g_string_append (s, "</x>");
  g_string_append (s, "</MPD>");
  parse_err (s->str, GST_P2P_STREAM_ERROR_FORBIDDEN);
  g_string_assign (s, "<MPD>");
  for (i = 0; i < 100000; i++)
    g_string_append (s, "<x>");
  parse_err (s->str, -1);
  g_string_free (s, TRUE);

  /* 10 MB. */
  big = g_malloc (10 * 1024 * 1024);
  memset (big, ' ', 10 * 1024 * 1024);
  memcpy (big, "<MPD>", 5);
  memcpy (big + 10 * 1024 * 1024 - 6, "</MPD>", 6);
  parse_err_full (big, 10 * 1024 * 1024, NULL, GST_P2P_STREAM_ERROR_TOO_LARGE);
  g_free (big);

  /* Every strict prefix of a valid MPD is malformed XML. */
  end = strstr (valid, "</MPD>") - valid + 6;
  mpd = gst_p2p_dash_mpd_parse (valid, end, "http://h.example/", 0, NULL, NULL);
  fail_unless (mpd != NULL);
  gst_p2p_dash_mpd_free (mpd);
  for (cut = 0; cut < end; cut++)
    parse_err_full (valid, cut, NULL, -1);

  for (i = 0; i < 300; i++) {
    guint8 buf[512];
    guint j, n = g_rand_int_range (rand, 1, sizeof (buf));

    for (j = 0; j < n; j++)
      buf[j] = g_rand_int_range (rand, 0, 256);
    if (i % 2)
      memcpy (buf, "<MPD>", MIN (n, 5));
    parse_err_full ((const gchar *) buf, n, NULL, -1);
  }
  g_rand_free (rand);
}

GST_END_TEST;

/* ---- real MPDs made by ffmpeg ---- */

static void
check_files (GstP2pDashMpd * mpd, const gchar * dir, const gchar * prefix,
    guint min_segments)
{
  guint i, j, k;

  for (i = 0; i < mpd->periods->len; i++) {
    GstP2pDashPeriod *p = PERIOD (mpd, i);

    for (j = 0; j < p->adaptation_sets->len; j++) {
      GstP2pDashAdaptationSet *as = ASET (p, j);

      for (k = 0; k < as->representations->len; k++) {
        GstP2pDashRepresentation *r = REP (as, k);
        guint s;

        fail_unless (r->init_uri && stream_test_exists (dir,
                stream_test_relative (r->init_uri, prefix)), "%s", r->init_uri);
        fail_unless (r->segments->len >= min_segments, "%u segments",
            r->segments->len);
        fail_unless (r->id_is_number);
        for (s = 0; s < r->segments->len; s++) {
          const gchar *name = stream_test_relative (SEG (r, s)->uri, prefix);

          fail_unless (name && stream_test_exists (dir, name), "%s missing",
              SEG (r, s)->uri);
          if (s > 0)
            fail_unless_equals_uint64 (SEG (r, s)->id, SEG (r, s - 1)->id + 1);
        }
      }
    }
  }
}

GST_START_TEST (test_ffmpeg_static)
{
  gchar *dir = stream_test_tmpdir (), *text;
  GstP2pDashMpd *mpd;
  gsize size;

  stream_test_ffmpeg (dir, "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10",
      "-f", "lavfi", "-i", "sine=f=440:sample_rate=8000", "-t", "4",
      "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-c:a", "aac",
      "-f", "dash", "-seg_duration", "1", "-use_timeline", "1",
      "-use_template", "1", "tl.mpd", NULL);
  text = stream_test_read (dir, "tl.mpd", &size);
  mpd = gst_p2p_dash_mpd_parse (text, size, "http://o.example/d/tl.mpd", 0,
      NULL, NULL);
  fail_unless (mpd != NULL);
  fail_unless (!mpd->dynamic);
  fail_unless_equals_int (PERIOD (mpd, 0)->adaptation_sets->len, 2);
  fail_unless_equals_int (REP (ASET (PERIOD (mpd, 0), 0), 0)->addressing,
      GST_P2P_DASH_ADDRESSING_TIMELINE);
  check_files (mpd, dir, "http://o.example/d/", 4);
  gst_p2p_dash_mpd_free (mpd);
  g_free (text);

  stream_test_ffmpeg (dir, "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10",
      "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10",
      "-f", "dash", "-seg_duration", "1", "-use_timeline", "0",
      "-use_template", "1", "-init_seg_name", "nt-init-$RepresentationID$.m4s",
      "-media_seg_name", "nt-$RepresentationID$-$Number%05d$.m4s", "nt.mpd",
      NULL);
  text = stream_test_read (dir, "nt.mpd", &size);
  mpd = gst_p2p_dash_mpd_parse (text, size, "http://o.example/d/nt.mpd", 0,
      NULL, NULL);
  fail_unless (mpd != NULL);
  fail_unless_equals_int (REP (ASET (PERIOD (mpd, 0), 0), 0)->addressing,
      GST_P2P_DASH_ADDRESSING_TEMPLATE);
  fail_unless_equals_string (SEG (REP (ASET (PERIOD (mpd, 0), 0), 0),
          0)->uri, "http://o.example/d/nt-0-00001.m4s");
  check_files (mpd, dir, "http://o.example/d/", 4);
  gst_p2p_dash_mpd_free (mpd);
  g_free (text);
  stream_test_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

/* A dynamic MPD while ffmpeg writes it in real time: what the parser says
 * is available at the snapshot's time must be on disk. */
static void
live_snapshot (gboolean timeline)
{
  gchar *dir = stream_test_tmpdir (), *text = NULL;
  GSubprocess *ff;
  GstP2pDashMpd *mpd;
  gint64 now = 0;
  gsize size = 0;
  guint i;

  ff = stream_test_ffmpeg_start (dir, "-f", "lavfi", "-i",
      "testsrc=size=96x64:rate=10", "-t", "30", "-c:v", "libx264",
      "-preset", "ultrafast", "-g", "10", "-f", "dash", "-seg_duration", "1",
      "-window_size", "3", "-use_timeline", timeline ? "1" : "0",
      "-use_template", "1", "live.mpd", NULL);
  for (i = 0; i < 100; i++) {
    g_usleep (100 * 1000);
    g_free (text);
    text = NULL;
    if (!stream_test_exists (dir, "live.mpd"))
      continue;
    text = stream_test_read (dir, "live.mpd", &size);
    /* ffmpeg writes a segment shortly after its end time: a second of
     * slack keeps a loaded machine from racing it. */
    now = g_get_real_time () - G_USEC_PER_SEC;
    if (strstr (text, "dynamic") && i >= 45)
      break;
  }
  stream_test_kill (ff);
  fail_unless (text != NULL && strstr (text, "dynamic"), "no live MPD");
  mpd = gst_p2p_dash_mpd_parse (text, size, "http://o.example/l/live.mpd",
      now, NULL, NULL);
  fail_unless (mpd != NULL);
  fail_unless (mpd->dynamic);
  fail_unless (mpd->availability_start_time > 0);
  fail_unless_equals_uint64 (mpd->time_shift_buffer_depth, 3 * GST_SECOND);
  check_files (mpd, dir, "http://o.example/l/", 2);
  fail_unless (REP (ASET (PERIOD (mpd, 0), 0), 0)->segments->len <= 5);
  gst_p2p_dash_mpd_free (mpd);
  g_free (text);
  stream_test_rmdir (dir);
  g_free (dir);
}

GST_START_TEST (test_ffmpeg_live_template)
{
  live_snapshot (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_ffmpeg_live_timeline)
{
  live_snapshot (TRUE);
}

GST_END_TEST;

static Suite *
stream_dash_suite (void)
{
  Suite *s = suite_create ("stream-dash");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_multi_period_base_urls_templates);
  tcase_add_test (tc, test_live_template_at_now);
  tcase_add_test (tc, test_live_timeline_to_now);
  tcase_add_test (tc, test_segment_list_and_base);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_depth_size_garbage_truncation);
  tcase_add_test (tc, test_ffmpeg_static);
  tcase_add_test (tc, test_ffmpeg_live_template);
  tcase_add_test (tc, test_ffmpeg_live_timeline);
  return s;
}

GST_CHECK_MAIN (stream_dash);
