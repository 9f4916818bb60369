/* Integration tests: playbin plays real HLS and DASH through p2phttpsrc only.
 *
 * Each test starts a real nginx origin (GstP2pTestOrigin) on a private
 * docroot, makes content with ffmpeg (GstP2pTestPackager: AES-128 HLS TS VOD
 * and live, fMP4 byte-range HLS, DASH SegmentTimeline VOD and live, CENC MP4)
 * and plays it with playbin to EOS. A GstP2pTestSourceWatch sees every URI
 * source the process creates, including GstUriDownloader's parentless ones,
 * and hashes every HTTP response it delivers. The tests then assert:
 *  - every source was the element under test, souphttpsrc never existed;
 *  - every response is byte-identical to the same range of the file on disk;
 *  - classification: media/init segments "fragment", playlists/MPD "playlist"
 *    or "manifest" (the top-level one "manifest"), AES keys "key", the DASH
 *    UTCTiming (http-xsdate) GET neither "fragment" nor "manifest";
 *  - nginx's access log agrees request by request (URI, Range, status, body
 *    bytes, User-Agent) and shows every segment and key was fetched.
 * CENC: explicit "source ! qtdemux" with the element and with souphttpsrc;
 * what qtdemux hands a decryptor (caps, protection events, buffers and their
 * GstProtectionMeta) must be identical.
 *
 * P2P_CHECK_ELEMENT=souphttpsrc runs everything against the reference
 * element (p2phttpsrc's rank is dropped in-process, request-kind checks are
 * skipped): a failure there is the test's fault, not the element's.
 *
 * Threads: tests run on the check thread (which also spawns nginx and ffmpeg,
 * so PR_SET_PDEATHSIG ties them to it); probes run on streaming threads.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>
#include <glib/gstdio.h>

#include "gstp2ptestfixture.h"
#include "gstp2ptestorigin.h"
#include "gstp2ptestpackager.h"
#include "gstp2ptestsourcewatch.h"
#include "gstp2ptestaccesslog.h"
#include "gstp2ptestfs.h"

#define PLAY_TIMEOUT_S 90

static const gchar *
element_name (void)
{
  const gchar *e = g_getenv ("P2P_CHECK_ELEMENT");

  return e && *e ? e : "p2phttpsrc";
}

static gboolean
reference_mode (void)
{
  return g_strcmp0 (element_name (), "p2phttpsrc") != 0;
}

/* ------------------------------------------------------------------------ */
/* Fixture: docroot + origin + watch, one per test                          */
/* ------------------------------------------------------------------------ */

static GstP2pTestFixture *fixture;
/* Shorthands for the fixture's parts, valid between setup and teardown. */
static gchar *docroot;
static GstP2pTestOrigin *origin;
static GstP2pTestSourceWatch *watch;

static void
media_setup (void)
{
  GError *err = NULL;
  GstPluginFeature *p2p;

  fail_unless (gst_p2p_test_origin_is_available (),
      "nginx not installed (apt-get install nginx-light)");
  fail_unless (gst_p2p_test_packager_is_available (),
      "ffmpeg not installed (apt-get install ffmpeg)");

  p2p = gst_registry_lookup_feature (gst_registry_get (), "p2phttpsrc");
  fail_unless (p2p != NULL, "p2phttpsrc is not registered (GST_PLUGIN_PATH)");
  if (reference_mode ())
    gst_plugin_feature_set_rank (p2p, GST_RANK_NONE);
  gst_object_unref (p2p);

  fixture = gst_p2p_test_fixture_new ("p2p-media-XXXXXX", &err);
  fail_unless (fixture != NULL, "fixture: %s", err ? err->message : "?");
  docroot = fixture->docroot;
  origin = fixture->origin;
  watch = fixture->watch;
}

static void
media_teardown (void)
{
  g_clear_pointer (&fixture, gst_p2p_test_fixture_free);
  docroot = NULL;
  origin = NULL;
  watch = NULL;
}

static gchar *
origin_uri (const gchar * rel)
{
  return gst_p2p_test_fixture_uri (fixture, rel);
}

/* ------------------------------------------------------------------------ */
/* Playing with playbin                                                     */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gchar *force_manifest_caps;
  gchar *source_setup_factory;  /* factory of playbin's "source-setup" */
} PlayCtx;

static void
on_source_setup (GstElement * playbin, GstElement * source, PlayCtx * ctx)
{
  GstElementFactory *f = gst_element_get_factory (source);

  g_free (ctx->source_setup_factory);
  ctx->source_setup_factory = g_strdup (f ? GST_OBJECT_NAME (f) : "?");
}

/* GStreamer 1.22's typefinder reports ffmpeg's dynamic MPD (root tag longer
 * than ~512 bytes) as application/xml; an application would force the type
 * it knows from the URL, the way this does. See the report. */
static void
on_deep_element_added (GstBin * bin, GstBin * sub_bin, GstElement * element,
    PlayCtx * ctx)
{
  GstElementFactory *f = gst_element_get_factory (element);
  GstObject *parent;

  if (ctx->force_manifest_caps == NULL || f == NULL
      || g_strcmp0 (GST_OBJECT_NAME (f), "typefind") != 0)
    return;
  parent = gst_object_get_parent (GST_OBJECT (element));
  if (parent && g_str_has_prefix (G_OBJECT_TYPE_NAME (parent),
          "GstURIDecodeBin")) {
    GstCaps *caps = gst_caps_from_string (ctx->force_manifest_caps);
    g_object_set (element, "force-caps", caps, NULL);
    gst_caps_unref (caps);
  }
  if (parent)
    gst_object_unref (parent);
}

static GstElement *
make_fakesink (gboolean sync)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  fail_unless (sink != NULL);
  g_object_set (sink, "sync", sync, NULL);
  return sink;
}

/* Plays @uri to EOS; fails the test on ERROR or timeout. */
static void
play_to_eos (const gchar * uri, gboolean live, const gchar * force_caps)
{
  GstElement *playbin;
  GstBus *bus;
  PlayCtx ctx = { 0, };
  gint64 deadline;
  gboolean eos = FALSE;

  ctx.force_manifest_caps = g_strdup (force_caps);
  playbin = gst_element_factory_make ("playbin", NULL);
  fail_unless (playbin != NULL);
  g_object_set (playbin, "uri", uri, "video-sink", make_fakesink (live),
      "audio-sink", make_fakesink (live), NULL);
  g_signal_connect (playbin, "source-setup", G_CALLBACK (on_source_setup),
      &ctx);
  g_signal_connect (playbin, "deep-element-added",
      G_CALLBACK (on_deep_element_added), &ctx);

  bus = gst_element_get_bus (playbin);
  fail_unless (gst_element_set_state (playbin, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE, "playbin refused to start for %s", uri);

  deadline = g_get_monotonic_time () + PLAY_TIMEOUT_S * G_USEC_PER_SEC;
  while (!eos) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *msg;

    if (left <= 0)
      break;
    msg = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_WARNING);
    if (msg == NULL)
      break;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      eos = TRUE;
    } else {
      GError *err = NULL;
      gchar *dbg = NULL;

      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
        gst_message_parse_error (msg, &err, &dbg);
        GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS (GST_BIN (playbin),
            GST_DEBUG_GRAPH_SHOW_ALL, "media-error");
        fail ("playing %s: ERROR from %s: %s (%s)", uri,
            GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
            GST_STR_NULL (dbg));
      }
      gst_message_parse_warning (msg, &err, &dbg);
      GST_WARNING ("playing %s: WARNING from %s: %s (%s)", uri,
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
          GST_STR_NULL (dbg));
      g_clear_error (&err);
      g_free (dbg);
    }
    gst_message_unref (msg);
  }
  fail_unless (eos, "playing %s: no EOS within %d s", uri, PLAY_TIMEOUT_S);
  fail_unless_equals_string (ctx.source_setup_factory, element_name ());

  gst_element_set_state (playbin, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (playbin);
  g_free (ctx.force_manifest_caps);
  g_free (ctx.source_setup_factory);
}

/* ------------------------------------------------------------------------ */
/* Checks over what the watch saw                                           */
/* ------------------------------------------------------------------------ */

typedef enum
{
  RES_FRAGMENT,
  RES_PLAYLIST,
  RES_KEY,
  RES_CLOCK,
  RES_OTHER,
} ResClass;

/* What a resource is, from its path: the truth the element's request-kind
 * is compared with. "media.mp4" is the single-file fMP4 HLS rendition. */
static ResClass
classify_path (const gchar * path)
{
  if (g_str_has_suffix (path, ".ts") || g_str_has_suffix (path, ".m4s")
      || g_str_has_suffix (path, "/media.mp4"))
    return RES_FRAGMENT;
  if (g_str_has_suffix (path, ".m3u8") || g_str_has_suffix (path, ".mpd"))
    return RES_PLAYLIST;
  if (g_str_has_suffix (path, ".key"))
    return RES_KEY;
  if (g_strcmp0 (path, GST_P2P_TEST_ORIGIN_TIME_PATH) == 0)
    return RES_CLOCK;
  return RES_OTHER;
}

static gchar *
uri_path (const gchar * uri)
{
  GUri *u = g_uri_parse (uri, G_URI_FLAGS_ENCODED_PATH, NULL);
  gchar *p;

  fail_unless (u != NULL, "bad uri %s", uri);
  p = g_uri_unescape_string (g_uri_get_path (u), "/");
  g_uri_unref (u);
  return p;
}

/* Every URI source created was the element under test. */
static void
check_sources_created (void)
{
  GPtrArray *created = gst_p2p_test_source_watch_get_created (watch);
  guint i;

  fail_unless (created->len > 0, "no URI source was created at all");
  for (i = 0; i < created->len; i++)
    fail_unless_equals_string (g_ptr_array_index (created, i), element_name ());
  if (!reference_mode ())
    fail_unless_equals_int (gst_p2p_test_source_watch_count_created (watch,
            "souphttpsrc"), 0);
  g_ptr_array_unref (created);
}

typedef struct
{
  guint n_fragment, n_playlist, n_key, n_clock;
  guint n_parentless;           /* responses from GstUriDownloader sources */
  GHashTable *kinds_seen;       /* nick -> count */
} ResponseStats;

/* Per response: complete, 200/206, byte-identical to disk, classified.
 * Responses still open when the pipeline stopped are tolerated only for
 * live playlists (a reload in flight at EOS). */
static void
check_responses (GPtrArray * responses, gboolean live, ResponseStats * st)
{
  guint i;

  memset (st, 0, sizeof (*st));
  st->kinds_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  fail_unless (responses->len > 0, "no HTTP response seen");
  fail_unless_equals_uint64 (gst_p2p_test_source_watch_get_orphan_bytes
      (watch), 0);

  for (i = 0; i < responses->len; i++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, i);
    gchar *d = gst_p2p_test_response_describe (r);
    gchar *path;
    ResClass cls;

    GST_INFO ("response %s", d);
    fail_unless (r->uri != NULL, "http-headers without uri: %s", d);
    path = uri_path (r->uri);
    cls = classify_path (path);
    fail_unless_equals_string (r->factory, element_name ());

    if (!r->complete) {
      fail_unless (live && cls == RES_PLAYLIST,
          "response did not end in EOS: %s", d);
      g_free (path);
      g_free (d);
      continue;
    }
    fail_unless (r->status == (r->range ? 206u : 200u),
        "unexpected status: %s", d);
    fail_unless (r->local_path != NULL, "not under the origin: %s", d);
    fail_unless (r->bytes > 0, "empty body: %s", d);
    /* The time is generated by nginx: no file to compare with. */
    if (cls != RES_CLOCK)
      fail_unless (gst_p2p_test_response_matches_disk (r),
          "bytes differ from the file on disk: %s", d);

    if (r->parentless)
      st->n_parentless++;
    switch (cls) {
      case RES_FRAGMENT:
        st->n_fragment++;
        fail_unless (r->in_srcbin, "fragment not fetched by the adaptive "
            "demuxer's source: %s", d);
        break;
      case RES_PLAYLIST:
        st->n_playlist++;
        fail_if (r->in_srcbin, "playlist fetched as a fragment: %s", d);
        break;
      case RES_KEY:
        st->n_key++;
        fail_unless (r->parentless, "key not fetched by the downloader: %s", d);
        break;
      case RES_CLOCK:
        st->n_clock++;
        fail_unless (r->parentless, "UTCTiming not fetched by the downloader: "
            "%s", d);
        break;
      case RES_OTHER:
        fail ("unexpected resource: %s", d);
        break;
    }

    if (!reference_mode ()) {
      fail_unless (r->request_kind != NULL, "no request-kind: %s", d);
      g_hash_table_replace (st->kinds_seen, g_strdup (r->request_kind),
          GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup
                  (st->kinds_seen, r->request_kind)) + 1));
      switch (cls) {
        case RES_FRAGMENT:
          fail_unless_equals_string (r->request_kind, "fragment");
          break;
        case RES_PLAYLIST:
          fail_unless (g_strcmp0 (r->request_kind, "playlist") == 0
              || g_strcmp0 (r->request_kind, "manifest") == 0,
              "playlist classified \"%s\": %s", r->request_kind, d);
          /* The top-level resource is the one playbin's source fetched. */
          if (!r->parentless)
            fail_unless_equals_string (r->request_kind, "manifest");
          break;
        case RES_KEY:
          fail_unless_equals_string (r->request_kind, "key");
          break;
        case RES_CLOCK:
          /* DASH UTCTiming http-xsdate is a GET of a tiny text body; the
           * element cannot tell it from a key by the response. Never a
           * fragment, never the manifest. */
          GST_INFO ("UTCTiming http-xsdate GET classified \"%s\"",
              r->request_kind);
          fail_if (g_strcmp0 (r->request_kind, "fragment") == 0
              || g_strcmp0 (r->request_kind, "manifest") == 0,
              "UTCTiming classified \"%s\": %s", r->request_kind, d);
          break;
        default:
          break;
      }
    }
    g_free (path);
    g_free (d);
  }
}

static guint
kind_count (ResponseStats * st, const gchar * kind)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (st->kinds_seen, kind));
}

static void
response_stats_clear (ResponseStats * st)
{
  g_clear_pointer (&st->kinds_seen, g_hash_table_unref);
}

/* nginx's log and the responses agree one to one: every complete response
 * has its log line (same path, Range, status, body bytes), and every log line
 * is a response the watch saw (nothing reached the CDN another way). */
static GPtrArray *
check_access_log (GPtrArray * responses, gboolean live)
{
  GError *err = NULL;
  GPtrArray *log;
  gboolean *used;
  guint i, j, n_incomplete = 0;

  log = gst_p2p_test_access_log_read (gst_p2p_test_origin_get_access_log_path
      (origin), &err);
  fail_unless (log != NULL, "access log: %s", err ? err->message : "?");
  used = g_new0 (gboolean, log->len);

  for (i = 0; i < responses->len; i++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, i);
    gchar *path;
    gboolean found = FALSE;

    if (!r->complete) {
      n_incomplete++;
      continue;
    }
    path = uri_path (r->uri);
    for (j = 0; j < log->len && !found; j++) {
      GstP2pTestAccessEntry *e = g_ptr_array_index (log, j);
      if (!used[j] && g_strcmp0 (e->uri, path) == 0
          && g_strcmp0 (e->range, r->range ? r->range : "") == 0
          && e->status == r->status && e->body_bytes_sent == r->bytes
          && g_strcmp0 (e->method, r->method) == 0) {
        used[j] = found = TRUE;
      }
    }
    if (!found) {
      gchar *d = gst_p2p_test_response_describe (r);
      fail ("no access log line for response %s", d);
      g_free (d);
    }
    g_free (path);
  }

  for (j = 0; j < log->len; j++) {
    GstP2pTestAccessEntry *e = g_ptr_array_index (log, j);

    if (reference_mode ())
      fail_unless (strstr (e->user_agent, "souphttpsrc") != NULL,
          "User-Agent %s", e->user_agent);
    else
      fail_unless (strstr (e->user_agent, "p2phttpsrc/") != NULL,
          "request %s %s from User-Agent \"%s\": not the element",
          e->method, e->uri, e->user_agent);
    if (!used[j]) {
      /* A live segment asked for before it exists: nothing is delivered
       * downstream for an error answer, so the watch has no response. */
      if (live && e->status == 404 && classify_path (e->uri) == RES_FRAGMENT) {
        GST_INFO ("live: %s %s answered 404", e->method, e->uri);
        continue;
      }
      /* Only a request still in flight when we stopped may be unmatched. */
      fail_unless (n_incomplete > 0, "the origin served %s %s (range \"%s\", "
          "status %u, %" G_GUINT64_FORMAT " bytes) but no watched source "
          "delivered it", e->method, e->uri, e->range, e->status,
          e->body_bytes_sent);
      n_incomplete--;
    }
  }
  {
    /* Connection reuse, for the report: nginx numbers its connections. */
    GHashTable *conns = g_hash_table_new (g_int64_hash, g_int64_equal);
    for (j = 0; j < log->len; j++) {
      GstP2pTestAccessEntry *e = g_ptr_array_index (log, j);
      g_hash_table_add (conns, &e->connection);
    }
    GST_INFO ("origin: %u requests over %u connections (%s)", log->len,
        g_hash_table_size (conns), element_name ());
    g_hash_table_unref (conns);
  }
  g_free (used);
  return log;
}

/* Number of complete responses for @rel (docroot-relative). */
static guint
count_fetches (GPtrArray * responses, const gchar * rel)
{
  gchar *want = g_strdup_printf ("/%s", rel);
  guint i, n = 0;

  for (i = 0; i < responses->len; i++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, i);
    gchar *path = uri_path (r->uri);
    if (r->complete && g_strcmp0 (path, want) == 0)
      n++;
    g_free (path);
  }
  g_free (want);
  return n;
}

/* Files in the package directory with @prefix and @suffix, sorted. */
static GPtrArray *
list_files (GstP2pTestPackager * pk, const gchar * prefix, const gchar * suffix)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  GDir *dir = g_dir_open (gst_p2p_test_packager_get_dir (pk), 0, NULL);
  const gchar *name;

  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, prefix) && g_str_has_suffix (name, suffix))
      g_ptr_array_add (out, g_strdup (name));
  g_dir_close (dir);
  g_ptr_array_sort (out, (GCompareFunc) g_strcmp0);
  return out;
}

static gint
cmp_guint64 (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : (x > y ? 1 : 0);
}

/* For live: the segments fetched (names @prefix<number>@suffix) have
 * consecutive numbers, none skipped, and there are at least @min_count.
 * Taken from the responses, since ffmpeg may have deleted old files. */
static void
check_live_segments (GstP2pTestPackager * pk, GPtrArray * responses,
    const gchar * prefix, const gchar * suffix, guint min_count)
{
  const gchar *entry = gst_p2p_test_packager_get_entry_path (pk);
  gchar *dir = g_strdup_printf ("/%.*s/", (gint) (strrchr (entry, '/') - entry),
      entry);
  GArray *numbers = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint i;

  for (i = 0; i < responses->len; i++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, i);
    gchar *path = uri_path (r->uri);
    const gchar *name = path + strlen (dir);

    if (r->complete && g_str_has_prefix (path, dir)
        && g_str_has_prefix (name, prefix) && g_str_has_suffix (name, suffix)) {
      guint64 n = g_ascii_strtoull (name + strlen (prefix), NULL, 10);
      guint k;
      gboolean dup = FALSE;

      for (k = 0; k < numbers->len; k++)
        dup |= g_array_index (numbers, guint64, k) == n;
      if (!dup)
        g_array_append_val (numbers, n);
    }
    g_free (path);
  }
  fail_unless (numbers->len >= min_count,
      "live: only %u %s*%s segments fetched (want >= %u)", numbers->len,
      prefix, suffix, min_count);
  g_array_sort (numbers, (GCompareFunc) cmp_guint64);
  for (i = 1; i < numbers->len; i++)
    fail_unless (g_array_index (numbers, guint64, i) ==
        g_array_index (numbers, guint64, i - 1) + 1,
        "live: %s%" G_GUINT64_FORMAT "%s fetched after %s%" G_GUINT64_FORMAT
        "%s: segments skipped", prefix, g_array_index (numbers, guint64, i),
        suffix, prefix, g_array_index (numbers, guint64, i - 1), suffix);
  GST_INFO ("live: fetched %s%" G_GUINT64_FORMAT "%s .. %s%" G_GUINT64_FORMAT
      "%s", prefix, g_array_index (numbers, guint64, 0), suffix, prefix,
      g_array_index (numbers, guint64, numbers->len - 1), suffix);
  g_array_unref (numbers);
  g_free (dir);
}

/* For VOD: every file with @prefix/@suffix in the package was fetched. */
static void
check_all_fetched (GstP2pTestPackager * pk, GPtrArray * responses,
    const gchar * prefix, const gchar * suffix, guint min_files)
{
  GPtrArray *files = list_files (pk, prefix, suffix);
  const gchar *entry = gst_p2p_test_packager_get_entry_path (pk);
  gchar *dirname = g_strndup (entry, strrchr (entry, '/') - entry);
  guint i;

  fail_unless (files->len >= min_files, "only %u %s*%s files on disk",
      files->len, prefix, suffix);
  for (i = 0; i < files->len; i++) {
    gchar *rel = g_strdup_printf ("%s/%s", dirname,
        (gchar *) g_ptr_array_index (files, i));
    fail_unless (count_fetches (responses, rel) >= 1, "%s never fetched", rel);
    g_free (rel);
  }
  g_free (dirname);
  g_ptr_array_unref (files);
}

static GstP2pTestPackager *
make_vod (GstP2pTestPackageFormat format, const gchar * name)
{
  GstP2pTestPackager *pk = gst_p2p_test_packager_new (format, docroot, name);
  GError *err = NULL;

  fail_unless (gst_p2p_test_packager_run (pk, &err), "packaging %s: %s",
      name, err ? err->message : "?");
  return pk;
}

/* ------------------------------------------------------------------------ */
/* HLS                                                                      */
/* ------------------------------------------------------------------------ */

static void
check_hls_ts_common (GstP2pTestPackager * pk, GPtrArray * responses,
    ResponseStats * st)
{
  /* Master (playbin's source), media playlist and key (downloader). */
  fail_unless (count_fetches (responses,
          gst_p2p_test_packager_get_entry_path (pk)) >= 1);
  fail_unless (count_fetches (responses,
          gst_p2p_test_packager_get_media_playlist_path (pk)) >= 1,
      "media playlist never fetched");
  fail_unless (count_fetches (responses,
          gst_p2p_test_packager_get_key_path (pk)) >= 1, "key never fetched");
  fail_unless (st->n_key >= 1);
  /* GstUriDownloader's parentless sources were the element too. */
  fail_unless (st->n_parentless >= 2, "only %u parentless responses",
      st->n_parentless);
  if (!reference_mode ()) {
    fail_unless (kind_count (st, "key") >= 1, "no response classified key");
    fail_unless (kind_count (st, "fragment") == st->n_fragment);
  }
}

GST_START_TEST (test_hls_ts_aes128_vod)
{
  GstP2pTestPackager *pk = make_vod (GST_P2P_TEST_PACKAGE_HLS_TS_AES128,
      "hls-ts-vod");
  gchar *uri = origin_uri (gst_p2p_test_packager_get_entry_path (pk));
  GPtrArray *responses, *log;
  ResponseStats st;

  play_to_eos (uri, FALSE, NULL);

  check_sources_created ();
  responses = gst_p2p_test_source_watch_get_responses (watch);
  check_responses (responses, FALSE, &st);
  check_hls_ts_common (pk, responses, &st);
  check_all_fetched (pk, responses, "seg", ".ts", 4);
  fail_unless (st.n_fragment >= 4);
  log = check_access_log (responses, FALSE);

  g_ptr_array_unref (log);
  response_stats_clear (&st);
  g_ptr_array_unref (responses);
  g_free (uri);
  gst_p2p_test_packager_free (pk);
}

GST_END_TEST;

GST_START_TEST (test_hls_ts_aes128_live)
{
  GstP2pTestPackager *pk = gst_p2p_test_packager_new
      (GST_P2P_TEST_PACKAGE_HLS_TS_AES128, docroot, "hls-ts-live");
  GError *err = NULL;
  gchar *uri = origin_uri (gst_p2p_test_packager_get_entry_path (pk));
  GPtrArray *responses, *log;
  ResponseStats st;

  gst_p2p_test_packager_set_duration (pk, 10);
  gst_p2p_test_packager_set_live (pk, TRUE, 3);
  /* As a real live packager: segments that left the window are deleted.
   * Expected hashes are taken from disk when each response starts. */
  gst_p2p_test_packager_set_delete_segments (pk, TRUE);
  fail_unless (gst_p2p_test_packager_start (pk, &err), "%s",
      err ? err->message : "?");
  fail_unless (gst_p2p_test_packager_wait_for_segments (pk, 1, 30000, &err),
      "%s", err ? err->message : "?");

  play_to_eos (uri, TRUE, NULL);
  fail_unless (gst_p2p_test_packager_wait_finished (pk, 30000, &err), "%s",
      err ? err->message : "?");

  check_sources_created ();
  responses = gst_p2p_test_source_watch_get_responses (watch);
  check_responses (responses, TRUE, &st);
  check_hls_ts_common (pk, responses, &st);
  /* Reloads of the media playlist while live. */
  fail_unless (count_fetches (responses,
          gst_p2p_test_packager_get_media_playlist_path (pk)) >= 2,
      "the live media playlist was never reloaded");
  check_live_segments (pk, responses, "seg", ".ts", 3);
  log = check_access_log (responses, TRUE);

  g_ptr_array_unref (log);
  response_stats_clear (&st);
  g_ptr_array_unref (responses);
  g_free (uri);
  gst_p2p_test_packager_free (pk);
}

GST_END_TEST;

/* Byte ranges of media.mp4 fetched: they must tile the file exactly (init
 * segment + every media segment, no gap, no overlap). */
static void
check_byteranges_tile (GstP2pTestPackager * pk, GPtrArray * responses)
{
  gchar *file = g_build_filename (gst_p2p_test_packager_get_dir (pk),
      "media.mp4", NULL);
  const gchar *entry = gst_p2p_test_packager_get_entry_path (pk);
  gchar *want = g_strdup_printf ("/%.*s/media.mp4",
      (gint) (strrchr (entry, '/') - entry), entry);
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (guint64) * 2);
  GStatBuf sb;
  guint64 pos = 0;
  guint i;

  fail_unless (g_stat (file, &sb) == 0);
  for (i = 0; i < responses->len; i++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, i);
    gchar *path = uri_path (r->uri);
    if (r->complete && g_strcmp0 (path, want) == 0) {
      guint64 se[2] = { r->range_start, r->range_start + r->bytes };
      fail_unless (r->range != NULL && r->range_end > 0,
          "media.mp4 fetched without a closed Range (%s)",
          GST_STR_NULL (r->range));
      fail_unless ((gint64) se[1] == r->range_end);
      g_array_append_vals (starts, se, 1);
    }
    g_free (path);
  }
  fail_unless (starts->len >= 5, "only %u byte ranges of media.mp4 fetched",
      starts->len);
  /* Sort by start (insertion sort: a handful of entries). */
  for (i = 1; i < starts->len; i++) {
    guint j = i;
    while (j > 0 && ((guint64 *) starts->data)[2 * (j - 1)] >
        ((guint64 *) starts->data)[2 * j]) {
      guint64 t0 = ((guint64 *) starts->data)[2 * j];
      guint64 t1 = ((guint64 *) starts->data)[2 * j + 1];
      ((guint64 *) starts->data)[2 * j] =
          ((guint64 *) starts->data)[2 * (j - 1)];
      ((guint64 *) starts->data)[2 * j + 1] =
          ((guint64 *) starts->data)[2 * (j - 1) + 1];
      ((guint64 *) starts->data)[2 * (j - 1)] = t0;
      ((guint64 *) starts->data)[2 * (j - 1) + 1] = t1;
      j--;
    }
  }
  for (i = 0; i < starts->len; i++) {
    guint64 s = ((guint64 *) starts->data)[2 * i];
    guint64 e = ((guint64 *) starts->data)[2 * i + 1];
    fail_unless (s == pos, "byte range %" G_GUINT64_FORMAT "-%"
        G_GUINT64_FORMAT " does not continue at %" G_GUINT64_FORMAT, s, e, pos);
    pos = e;
  }
  fail_unless_equals_uint64 (pos, (guint64) sb.st_size);
  g_array_unref (starts);
  g_free (want);
  g_free (file);
}

GST_START_TEST (test_hls_fmp4_byterange_vod)
{
  GstP2pTestPackager *pk = make_vod (GST_P2P_TEST_PACKAGE_HLS_FMP4_BYTERANGE,
      "hls-fmp4");
  gchar *uri = origin_uri (gst_p2p_test_packager_get_entry_path (pk));
  GPtrArray *responses, *log;
  ResponseStats st;

  play_to_eos (uri, FALSE, NULL);

  check_sources_created ();
  responses = gst_p2p_test_source_watch_get_responses (watch);
  check_responses (responses, FALSE, &st);
  fail_unless (count_fetches (responses,
          gst_p2p_test_packager_get_media_playlist_path (pk)) >= 1);
  fail_unless (st.n_parentless >= 1);
  check_byteranges_tile (pk, responses);
  log = check_access_log (responses, FALSE);

  g_ptr_array_unref (log);
  response_stats_clear (&st);
  g_ptr_array_unref (responses);
  g_free (uri);
  gst_p2p_test_packager_free (pk);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* DASH                                                                     */
/* ------------------------------------------------------------------------ */

GST_START_TEST (test_dash_timeline_vod)
{
  GstP2pTestPackager *pk = make_vod (GST_P2P_TEST_PACKAGE_DASH_TIMELINE,
      "dash-vod");
  gchar *uri = origin_uri (gst_p2p_test_packager_get_entry_path (pk));
  GPtrArray *responses, *log;
  ResponseStats st;

  play_to_eos (uri, FALSE, NULL);

  check_sources_created ();
  responses = gst_p2p_test_source_watch_get_responses (watch);
  check_responses (responses, FALSE, &st);
  fail_unless (count_fetches (responses,
          gst_p2p_test_packager_get_entry_path (pk)) >= 1);
  check_all_fetched (pk, responses, "init-", ".m4s", 2);
  check_all_fetched (pk, responses, "chunk-", ".m4s", 8);
  log = check_access_log (responses, FALSE);

  g_ptr_array_unref (log);
  response_stats_clear (&st);
  g_ptr_array_unref (responses);
  g_free (uri);
  gst_p2p_test_packager_free (pk);
}

GST_END_TEST;

GST_START_TEST (test_dash_timeline_live)
{
  GstP2pTestPackager *pk = gst_p2p_test_packager_new
      (GST_P2P_TEST_PACKAGE_DASH_TIMELINE, docroot, "dash-live");
  GError *err = NULL;
  gchar *uri = origin_uri (gst_p2p_test_packager_get_entry_path (pk));
  gchar *time_uri;
  GPtrArray *responses, *log;
  ResponseStats st;

  gst_p2p_test_packager_set_duration (pk, 10);
  gst_p2p_test_packager_set_live (pk, TRUE, 4);
  /* dashdemux syncs its clock to the origin's (http-xsdate GETs). */
  time_uri = origin_uri (GST_P2P_TEST_ORIGIN_TIME_PATH + 1);
  gst_p2p_test_packager_set_utc_timing_url (pk, time_uri);
  fail_unless (gst_p2p_test_packager_start (pk, &err), "%s",
      err ? err->message : "?");
  fail_unless (gst_p2p_test_packager_wait_for_segments (pk, 1, 30000, &err),
      "%s", err ? err->message : "?");

  play_to_eos (uri, TRUE, "application/dash+xml");
  fail_unless (gst_p2p_test_packager_wait_finished (pk, 30000, &err), "%s",
      err ? err->message : "?");

  check_sources_created ();
  responses = gst_p2p_test_source_watch_get_responses (watch);
  check_responses (responses, TRUE, &st);
  fail_unless (count_fetches (responses,
          gst_p2p_test_packager_get_entry_path (pk)) >= 2,
      "the live MPD was never refreshed");
  /* MPD refreshes and UTCTiming come from GstUriDownloader's parentless
   * sources. */
  fail_unless (st.n_parentless >= 1);
  fail_unless (st.n_clock >= 1, "UTCTiming never fetched");
  check_all_fetched (pk, responses, "init-", ".m4s", 2);
  check_live_segments (pk, responses, "chunk-0-", ".m4s", 2);
  check_live_segments (pk, responses, "chunk-1-", ".m4s", 2);
  log = check_access_log (responses, TRUE);

  g_ptr_array_unref (log);
  response_stats_clear (&st);
  g_ptr_array_unref (responses);
  g_free (uri);
  g_free (time_uri);
  gst_p2p_test_packager_free (pk);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* The harness itself                                                       */
/* ------------------------------------------------------------------------ */

static void
copy_tree (const gchar * from, const gchar * to)
{
  GDir *dir = g_dir_open (from, 0, NULL);
  const gchar *name;

  fail_unless (dir != NULL, "cannot open %s", from);
  g_mkdir_with_parents (to, 0755);
  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *a = g_build_filename (from, name, NULL);
    gchar *b = g_build_filename (to, name, NULL);

    if (g_file_test (a, G_FILE_TEST_IS_DIR)) {
      copy_tree (a, b);
    } else {
      gchar *data;
      gsize len;
      fail_unless (g_file_get_contents (a, &data, &len, NULL));
      fail_unless (g_file_set_contents (b, data, len, NULL));
      g_free (data);
    }
    g_free (a);
    g_free (b);
  }
  g_dir_close (dir);
}

/* The byte comparison can fail: compared with a docroot where one segment
 * has a single byte flipped, exactly that response must mismatch. */
GST_START_TEST (test_harness_detects_mismatch)
{
  GstP2pTestPackager *pk = make_vod (GST_P2P_TEST_PACKAGE_HLS_TS_AES128,
      "hls-ts-vod");
  gchar *uri = origin_uri (gst_p2p_test_packager_get_entry_path (pk));
  gchar *other = gst_p2p_test_fs_make_tmp_dir ("p2p-media-altered-XXXXXX",
      NULL);
  gchar *victim;
  gchar *data;
  gsize len;
  GPtrArray *responses;
  guint i, n_mismatch = 0, n_match = 0;

  fail_unless (other != NULL);
  victim = g_build_filename (other, "hls-ts-vod", "seg00001.ts", NULL);
  copy_tree (docroot, other);
  fail_unless (g_file_get_contents (victim, &data, &len, NULL) && len > 1000);
  data[len / 2] ^= 0x01;
  fail_unless (g_file_set_contents (victim, data, len, NULL));
  g_free (data);
  gst_p2p_test_source_watch_map_docroot (watch,
      gst_p2p_test_origin_get_base_uri (origin), other);

  play_to_eos (uri, FALSE, NULL);

  responses = gst_p2p_test_source_watch_get_responses (watch);
  for (i = 0; i < responses->len; i++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, i);
    gboolean is_victim = g_str_has_suffix (r->uri, "/seg00001.ts");

    fail_unless (r->complete);
    if (gst_p2p_test_response_matches_disk (r)) {
      fail_if (is_victim, "altered segment compared equal");
      n_match++;
    } else {
      fail_unless (is_victim, "unaltered %s compared different", r->uri);
      n_mismatch++;
    }
  }
  fail_unless_equals_int (n_mismatch, 1);
  fail_unless (n_match >= 6);

  g_ptr_array_unref (responses);
  gst_p2p_test_fs_rm_rf (other);
  g_free (victim);
  g_free (other);
  g_free (uri);
  gst_p2p_test_packager_free (pk);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* CENC: what a decryptor receives does not depend on the source            */
/* ------------------------------------------------------------------------ */

/* qtdemux 1.22 only selects a protection system for which a decryptor element
 * is registered ("could not select preferred system ... no available
 * decryptor" and then "no playable streams"). No ClearKey decryptor ships in
 * Debian, so this registers one that is never instantiated: it stands for
 * the player's CDM. What matters is what qtdemux hands it. */
#define GST_TYPE_P2P_TEST_CLEARKEY_STUB (gst_p2p_test_clearkey_stub_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pTestClearkeyStub, gst_p2p_test_clearkey_stub,
    GST, P2P_TEST_CLEARKEY_STUB, GstElement);

struct _GstP2pTestClearkeyStub
{
  GstElement parent;
};

G_DEFINE_TYPE (GstP2pTestClearkeyStub, gst_p2p_test_clearkey_stub,
    GST_TYPE_ELEMENT);

static GstStaticPadTemplate stub_sink = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-cenc, protection-system=(string)"
        GST_P2P_TEST_CLEARKEY_SYSTEM_ID));
static GstStaticPadTemplate stub_src = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void
gst_p2p_test_clearkey_stub_class_init (GstP2pTestClearkeyStubClass * klass)
{
  GstElementClass *ec = GST_ELEMENT_CLASS (klass);

  gst_element_class_add_static_pad_template (ec, &stub_sink);
  gst_element_class_add_static_pad_template (ec, &stub_src);
  gst_element_class_set_static_metadata (ec, "ClearKey decryptor (test stub)",
      GST_ELEMENT_FACTORY_KLASS_DECRYPTOR, "Never instantiated", "gst-p2p");
}

static void
gst_p2p_test_clearkey_stub_init (GstP2pTestClearkeyStub * self)
{
}

typedef struct
{
  GMutex lock;
  GHashTable *logs;             /* pad name -> GString */
  GstElement *pipeline;
  guint n_context_requests;
  guint n_protection_events;
  guint n_protected_buffers;
} CencRun;

static void
string_free_all (GString * s)
{
  g_string_free (s, TRUE);
}

static gchar *
sha256_of_buffer (GstBuffer * buf)
{
  GstMapInfo map;
  gchar *hex = NULL;

  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, map.data, map.size);
    gst_buffer_unmap (buf, &map);
  }
  return hex;
}

static GstPadProbeReturn
cenc_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  CencRun *run = user_data;
  GString *log;

  g_mutex_lock (&run->lock);
  log = g_hash_table_lookup (run->logs, GST_PAD_NAME (pad));
  if (log == NULL) {
    log = g_string_new (NULL);
    g_hash_table_insert (run->logs, g_strdup (GST_PAD_NAME (pad)), log);
  }

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstProtectionMeta *meta = gst_buffer_get_protection_meta (buf);
    gchar *sha = sha256_of_buffer (buf);
    gchar *ms = meta ? gst_structure_to_string (meta->info) : NULL;

    g_string_append_printf (log, "buffer pts=%" GST_TIME_FORMAT " dts=%"
        GST_TIME_FORMAT " dur=%" GST_TIME_FORMAT " flags=0x%x size=%"
        G_GSIZE_FORMAT " sha256=%s meta=%s\n",
        GST_TIME_ARGS (GST_BUFFER_PTS (buf)),
        GST_TIME_ARGS (GST_BUFFER_DTS (buf)),
        GST_TIME_ARGS (GST_BUFFER_DURATION (buf)),
        GST_BUFFER_FLAGS (buf) & ~(GST_BUFFER_FLAG_DISCONT |
            GST_BUFFER_FLAG_TAG_MEMORY),
        gst_buffer_get_size (buf), sha, ms ? ms : "none");
    if (meta)
      run->n_protected_buffers++;
    g_free (ms);
    g_free (sha);
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *caps;
      gchar *s;

      gst_event_parse_caps (ev, &caps);
      s = gst_caps_to_string (caps);
      g_string_append_printf (log, "caps %s\n", s);
      g_free (s);
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_PROTECTION) {
      const gchar *system_id = NULL, *origin_str = NULL;
      GstBuffer *data = NULL;
      gchar *sha;

      gst_event_parse_protection (ev, &system_id, &data, &origin_str);
      sha = data ? sha256_of_buffer (data) : g_strdup ("none");
      g_string_append_printf (log, "protection system=%s origin=%s "
          "data-sha256=%s\n", system_id, GST_STR_NULL (origin_str), sha);
      run->n_protection_events++;
      g_free (sha);
    }
  }
  g_mutex_unlock (&run->lock);
  return GST_PAD_PROBE_OK;
}

static void
cenc_pad_added (GstElement * demux, GstPad * pad, CencRun * run)
{
  GstElement *sink = make_fakesink (FALSE);
  GstPad *sinkpad;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, cenc_probe, run, NULL);
  gst_bin_add (GST_BIN (run->pipeline), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  fail_unless (gst_pad_link (pad, sinkpad) == GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

/* qtdemux asks which protection system to use when the file has a pssh box;
 * a player answers from its key system (here ClearKey), like an EME app. */
static GstBusSyncReply
cenc_sync_handler (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  CencRun *run = user_data;
  const gchar *type = NULL;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_NEED_CONTEXT
      && gst_message_parse_context_type (msg, &type)
      && g_strcmp0 (type, "drm-preferred-decryption-system-id") == 0) {
    GstContext *ctx = gst_context_new (type, FALSE);

    gst_structure_set (gst_context_writable_structure (ctx),
        "decryption-system-id", G_TYPE_STRING,
        GST_P2P_TEST_CLEARKEY_SYSTEM_ID, NULL);
    gst_element_set_context (GST_ELEMENT (GST_MESSAGE_SRC (msg)), ctx);
    gst_context_unref (ctx);
    g_atomic_int_inc (&run->n_context_requests);
  }
  return GST_BUS_PASS;
}

/* Runs "@src ! qtdemux ! fakesink..." to EOS and returns the per-pad logs. */
static CencRun *
run_cenc (GstElement * src)
{
  CencRun *run = g_new0 (CencRun, 1);
  GstElement *demux;
  GstBus *bus;
  GstMessage *msg;

  g_mutex_init (&run->lock);
  run->logs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) string_free_all);
  run->pipeline = gst_pipeline_new (NULL);
  demux = gst_element_factory_make ("qtdemux", NULL);
  fail_unless (demux != NULL);
  gst_bin_add_many (GST_BIN (run->pipeline), src, demux, NULL);
  fail_unless (gst_element_link (src, demux));
  g_signal_connect (demux, "pad-added", G_CALLBACK (cenc_pad_added), run);

  bus = gst_element_get_bus (run->pipeline);
  gst_bus_set_sync_handler (bus, cenc_sync_handler, run, NULL);
  fail_unless (gst_element_set_state (run->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL, "CENC pipeline: no EOS within 60 s");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;
    gst_message_parse_error (msg, &err, &dbg);
    fail ("CENC pipeline: ERROR from %s: %s (%s)",
        GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
        GST_STR_NULL (dbg));
  }
  gst_message_unref (msg);
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_clear_object (&run->pipeline);
  return run;
}

static void
cenc_run_free (CencRun * run)
{
  g_hash_table_unref (run->logs);
  g_mutex_clear (&run->lock);
  g_free (run);
}

/* Plays the same CENC file through the element under test (picked by rank,
 * as gst_element_make_from_uri() does for an application) and through an
 * explicit souphttpsrc, each into qtdemux, and compares what qtdemux
 * outputs: caps, protection events, every sample's bytes, timestamps and
 * flags, and its GstProtectionMeta. Note: ffmpeg 5.1 writes no senc/saiz/saio
 * into fragments, so qtdemux 1.22 attaches no GstProtectionMeta to these
 * samples (it says "cenc metadata hasn't been parsed yet"); the meta
 * comparison is then trivially equal, the rest is not. */
static void
check_cenc (gboolean pssh)
{
  GstP2pTestPackager *pk = gst_p2p_test_packager_new
      (GST_P2P_TEST_PACKAGE_CENC_MP4, docroot, "cenc");
  GError *err = NULL;
  gchar *uri;
  GstElement *src;
  GstElementFactory *f;
  CencRun *ours, *ref;
  GHashTableIter it;
  gpointer key, value;
  GPtrArray *responses, *log;
  guint i;

  gst_p2p_test_packager_set_duration (pk, 6);
  gst_p2p_test_packager_set_pssh (pk, pssh);
  fail_unless (gst_p2p_test_packager_run (pk, &err), "%s",
      err ? err->message : "?");
  uri = origin_uri (gst_p2p_test_packager_get_entry_path (pk));
  if (pssh)
    fail_unless (gst_element_register (NULL, "p2ptestclearkeystub",
            GST_RANK_MARGINAL, GST_TYPE_P2P_TEST_CLEARKEY_STUB));

  src = gst_element_make_from_uri (GST_URI_SRC, uri, NULL, &err);
  fail_unless (src != NULL, "%s", err ? err->message : "?");
  f = gst_element_get_factory (src);
  fail_unless_equals_string (GST_OBJECT_NAME (f), element_name ());
  ours = run_cenc (src);

  check_sources_created ();
  responses = gst_p2p_test_source_watch_get_responses (watch);
  fail_unless_equals_int (responses->len, 1);
  for (i = 0; i < responses->len; i++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, i);
    gchar *d = gst_p2p_test_response_describe (r);
    fail_unless (r->complete && r->status == 200 && r->range == NULL, "%s", d);
    fail_unless (gst_p2p_test_response_matches_disk (r), "bytes differ: %s", d);
    /* A source in an application's own pipeline fetches the top-level
     * resource. */
    if (!reference_mode ())
      fail_unless_equals_string (r->request_kind, "manifest");
    g_free (d);
  }
  log = check_access_log (responses, FALSE);
  g_ptr_array_unref (log);
  g_ptr_array_unref (responses);

  /* The reference: souphttpsrc, created explicitly. */
  src = gst_element_factory_make ("souphttpsrc", NULL);
  fail_unless (src != NULL);
  g_object_set (src, "location", uri, NULL);
  ref = run_cenc (src);

  /* Sanity: both runs saw the two encrypted streams. */
  fail_unless_equals_int (g_hash_table_size (ours->logs), 2);
  fail_unless_equals_int (g_hash_table_size (ref->logs), 2);
  if (pssh) {
    fail_unless (ours->n_protection_events >= 2,
        "no GST_EVENT_PROTECTION for the pssh box");
    fail_unless (ours->n_context_requests >= 1,
        "qtdemux never asked for the preferred decryption system");
  }
  g_hash_table_iter_init (&it, ours->logs);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    GString *a = value;
    GString *b = g_hash_table_lookup (ref->logs, key);

    fail_unless (strstr (a->str, "caps application/x-cenc") != NULL,
        "pad %s: no application/x-cenc caps:\n%.2000s", (gchar *) key, a->str);
    fail_unless (strstr (a->str, "original-media-type") != NULL);
    if (pssh)
      fail_unless (strstr (a->str, "protection-system=(string)"
              GST_P2P_TEST_CLEARKEY_SYSTEM_ID) != NULL,
          "pad %s: no protection-system in caps", (gchar *) key);
    fail_unless (b != NULL, "souphttpsrc run has no pad %s", (gchar *) key);
    if (!g_string_equal (a, b)) {
      gchar **la = g_strsplit (a->str, "\n", -1);
      gchar **lb = g_strsplit (b->str, "\n", -1);
      guint n;

      for (n = 0; la[n] && lb[n] && g_strcmp0 (la[n], lb[n]) == 0; n++);
      fail ("pad %s: what qtdemux delivers differs at line %u:\n"
          "  %s: %s\n  souphttpsrc: %s", (gchar *) key, n, element_name (),
          GST_STR_NULL (la[n]), GST_STR_NULL (lb[n]));
      g_strfreev (la);
      g_strfreev (lb);
    }
  }
  fail_unless_equals_int (ref->n_protection_events, ours->n_protection_events);
  fail_unless_equals_int (ref->n_protected_buffers, ours->n_protected_buffers);
  GST_INFO ("CENC: %u buffers with GstProtectionMeta, %u protection events",
      ours->n_protected_buffers, ours->n_protection_events);

  cenc_run_free (ours);
  cenc_run_free (ref);
  g_free (uri);
  gst_p2p_test_packager_free (pk);
}

/* The fragmented CENC MP4 ffmpeg makes (frag_keyframe+empty_moov), no pssh:
 * application/x-cenc caps without a protection system. */
GST_START_TEST (test_cenc_fragmented_mp4)
{
  check_cenc (FALSE);
}

GST_END_TEST;

/* The same with a ClearKey pssh box: GST_EVENT_PROTECTION and
 * protection-system in the caps flow as well. */
GST_START_TEST (test_cenc_fragmented_mp4_clearkey_pssh)
{
  check_cenc (TRUE);
}

GST_END_TEST;

static Suite *
media_suite (void)
{
  Suite *s = suite_create ("media");
  TCase *tc = tcase_create ("general");

  /* Live tests play ~10 s of content in real time; packaging and playback
   * share 2 cores with other work. */
  tcase_set_timeout (tc, 180);
  tcase_add_checked_fixture (tc, media_setup, media_teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_hls_ts_aes128_vod);
  tcase_add_test (tc, test_hls_ts_aes128_live);
  tcase_add_test (tc, test_hls_fmp4_byterange_vod);
  tcase_add_test (tc, test_dash_timeline_vod);
  tcase_add_test (tc, test_dash_timeline_live);
  tcase_add_test (tc, test_cenc_fragmented_mp4);
  tcase_add_test (tc, test_harness_detects_mismatch);
  tcase_add_test (tc, test_cenc_fragmented_mp4_clearkey_pssh);
  return s;
}

GST_CHECK_MAIN (media);
