/* Engine tests: what p2phttpsrc hands the engine, and what the engine does
 * with it, with a real nginx origin and real ffmpeg content played by
 * playbin (tests/support).
 *
 *  - unit: playlists fed straight to an engine give swarms and segment ids;
 *    a key body is refused, an oversized manifest is counted;
 *  - vod: playbin with the P2P properties set on its source (source-setup):
 *    the engine is shared with the demuxer's sources through a GstContext,
 *    it sees the master and media playlists (swarm ids as computed from the
 *    documented rule, the swarm-id override honoured), never a key, and
 *    every byte downstream equals the origin's;
 *  - live prefetch: an application engine given to playbin in a context, a
 *    live AES-128 HLS event, P2P on but no peers: the engine fetches new
 *    segments from the CDN before the demuxer asks, the demuxer's requests
 *    are served from the store, each segment leaves the origin exactly
 *    once, p2p-stats messages arrive and their numbers agree with nginx's
 *    access log, and the bytes downstream equal the origin's.
 *
 * Threads: tests run on the check thread (which spawns nginx and ffmpeg);
 * bus messages are popped there.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "engine/gstp2pengine.h"
#include "gstp2ptestfixture.h"
#include "gstp2ptestorigin.h"
#include "gstp2ptestpackager.h"
#include "gstp2ptestsourcewatch.h"
#include "gstp2ptestaccesslog.h"
#include "gstp2ptestfs.h"

#define PLAY_TIMEOUT_S 90
/* Nothing listens there: before the swarm lands the engine only needs a
 * tracker URL to be switched on; after, joining fails and it stays in its
 * CDN-only prefetch mode, which is what these tests are about. */
#define NO_TRACKER "ws://127.0.0.1:9/"

static GstP2pTestFixture *fixture;
/* Shorthands for the fixture's parts, valid between setup and teardown. */
static gchar *docroot;
static GstP2pTestOrigin *origin;
static GstP2pTestSourceWatch *watch;

static void
engine_setup (void)
{
  GError *err = NULL;

  fail_unless (gst_p2p_test_origin_is_available (), "nginx not installed");
  fail_unless (gst_p2p_test_packager_is_available (), "ffmpeg not installed");
  fixture = gst_p2p_test_fixture_new ("p2p-engine-XXXXXX", &err);
  fail_unless (fixture != NULL, "fixture: %s", err ? err->message : "?");
  docroot = fixture->docroot;
  origin = fixture->origin;
  watch = fixture->watch;
}

static void
engine_teardown (void)
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

/* The documented rule (docs/stream.md): the first 16 hex characters of
 * SHA-256 ("<manifest URL without query>\n<rendition identity>"), or of the
 * override template with {rendition} appended. */
static gchar *
expected_swarm_id (const gchar * manifest_or_template, const gchar * identity)
{
  gchar *key = g_strdup_printf ("%s\n%s", manifest_or_template, identity);
  gchar *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  gchar *id = g_strndup (sum, 16);

  g_free (sum);
  g_free (key);
  return id;
}

/* ------------------------------------------------------------------------ */
/* Playing                                                                  */

typedef struct
{
  const gchar *tracker;         /* set on playbin's source, or NULL */
  const gchar *swarm_id;        /* set on playbin's source, or NULL */
  GstP2pEngine *engine;         /* given as a context, or NULL */
  GPtrArray *stats;             /* GstStructure: p2p-stats received */
  guint stats_sources;          /* distinct sources that posted them */
  GPtrArray *stats_posters;
} Play;

static void
on_source_setup (GstElement * playbin, GstElement * source, Play * play)
{
  if (play->tracker)
    g_object_set (source, "tracker", play->tracker, NULL);
  if (play->swarm_id)
    g_object_set (source, "swarm-id", play->swarm_id, NULL);
}

static GstElement *
make_fakesink (gboolean sync)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  fail_unless (sink != NULL);
  g_object_set (sink, "sync", sync, NULL);
  return sink;
}

static void
play_to_eos (const gchar * uri, gboolean live, Play * play)
{
  GstElement *playbin = gst_element_factory_make ("playbin", NULL);
  GstBus *bus;
  gint64 deadline;
  gboolean eos = FALSE;

  play->stats = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  play->stats_posters = g_ptr_array_new ();
  g_object_set (playbin, "uri", uri, "video-sink", make_fakesink (live),
      "audio-sink", make_fakesink (live), NULL);
  g_signal_connect (playbin, "source-setup", G_CALLBACK (on_source_setup),
      play);
  if (play->engine) {
    GstContext *ctx = gst_p2p_engine_context_new (play->engine);
    gst_element_set_context (playbin, ctx);
    gst_context_unref (ctx);
  }
  bus = gst_element_get_bus (playbin);
  fail_unless (gst_element_set_state (playbin, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  deadline = g_get_monotonic_time () + PLAY_TIMEOUT_S * G_USEC_PER_SEC;
  while (!eos) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *msg;

    if (left <= 0)
      break;
    msg = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT);
    if (msg == NULL)
      break;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      eos = TRUE;
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      fail ("playing %s: ERROR from %s: %s (%s)", uri,
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
          GST_STR_NULL (dbg));
    } else {
      const GstStructure *s = gst_message_get_structure (msg);

      if (s && gst_structure_has_name (s, "p2p-stats")) {
        g_ptr_array_add (play->stats, gst_structure_copy (s));
        if (!g_ptr_array_find (play->stats_posters, GST_MESSAGE_SRC (msg),
                NULL))
          g_ptr_array_add (play->stats_posters, GST_MESSAGE_SRC (msg));
      }
    }
    gst_message_unref (msg);
  }
  fail_unless (eos, "playing %s: no EOS within %d s", uri, PLAY_TIMEOUT_S);
  gst_element_set_state (playbin, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (playbin);
}

static void
play_clear (Play * play)
{
  g_clear_pointer (&play->stats, g_ptr_array_unref);
  g_clear_pointer (&play->stats_posters, g_ptr_array_unref);
}

/* ------------------------------------------------------------------------ */
/* Checks                                                                   */

/* Every response delivered downstream, from the CDN or from the store, is
 * complete and byte-identical to the file on the origin. */
static guint
check_bytes_equal_origin (GPtrArray * responses)
{
  guint i, n = 0;

  for (i = 0; i < responses->len; i++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, i);

    if (!r->complete || r->status >= 300)
      continue;
    fail_unless (gst_p2p_test_response_matches_disk (r),
        "%s (%s, range %s): bytes differ from the origin's (%s)", r->uri,
        r->request_kind, GST_STR_NULL (r->range),
        GST_STR_NULL (r->expected_error));
    n++;
  }
  return n;
}

static guint
count_kind (GPtrArray * responses, const gchar * kind)
{
  guint i, n = 0;

  for (i = 0; i < responses->len; i++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, i);
    if (r->complete && g_strcmp0 (r->request_kind, kind) == 0)
      n++;
  }
  return n;
}

/* Segment files of @dir in the access log: each fetched at most @max
 * times; returns their body bytes and how many distinct ones. */
static guint64
origin_segment_bytes (GPtrArray * log, const gchar * dir, guint max,
    guint * n_segments)
{
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 bytes = 0;
  guint i;
  gchar *prefix = g_strdup_printf ("/%s/seg", dir);

  for (i = 0; i < log->len; i++) {
    GstP2pTestAccessEntry *e = g_ptr_array_index (log, i);
    guint count;

    if (!g_str_has_prefix (e->uri, prefix) || !g_str_has_suffix (e->uri,
            ".ts") || e->status >= 300)
      continue;
    bytes += e->body_bytes_sent;
    count = GPOINTER_TO_UINT (g_hash_table_lookup (seen, e->uri)) + 1;
    g_hash_table_insert (seen, e->uri, GUINT_TO_POINTER (count));
    fail_unless (count <= max, "%s fetched from the origin %u times", e->uri,
        count);
  }
  *n_segments = g_hash_table_size (seen);
  g_hash_table_destroy (seen);
  g_free (prefix);
  return bytes;
}

static guint64
stats_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, field, &v), "p2p-stats has no %s",
      field);
  return v;
}

/* ------------------------------------------------------------------------ */
/* Unit: feeding an engine directly                                         */

GST_START_TEST (test_feed_playlists)
{
  static const gchar master[] =
      "#EXTM3U\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n"
      "low/index.m3u8?token=abc\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720\n"
      "high/index.m3u8\n";
  static const gchar media[] =
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
      "#EXT-X-MEDIA-SEQUENCE:40\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"../keys/k.key\"\n"
      "#EXTINF:2.0,\nseg40.ts\n#EXTINF:2.0,\nseg41.ts\n"
      "#EXTINF:2.0,\nseg42.ts\n";
  GstP2pEngineConfig config;
  GstP2pEngine *engine;
  GstP2pEngineStats st;
  GstP2pStreamIndexStats ist;
  GBytes *body;
  gchar id[GST_P2P_STREAM_SWARM_ID_LEN + 1];
  gchar *want, **swarms;
  guint64 seg = 0;
  guint8 key[16] = { 1, 2, 3 };

  gst_p2p_engine_config_init (&config);
  config.tracker = NO_TRACKER;
  engine = gst_p2p_engine_new (&config, NULL);
  fail_unless (engine != NULL);

  body = g_bytes_new_static (master, strlen (master));
  gst_p2p_engine_feed_manifest (engine,
      "http://Cdn.Example:8080/live/m.m3u8?t=1", NULL, body,
      g_get_real_time ());
  g_bytes_unref (body);
  body = g_bytes_new_static (media, strlen (media));
  gst_p2p_engine_feed_manifest (engine,
      "http://cdn.example:8080/live/low/index.m3u8?token=abc", NULL, body,
      g_get_real_time ());
  g_bytes_unref (body);
  /* the playlist's key is known as a key: never for peers */
  fail_unless_equals_int (gst_p2p_engine_lookup_sync (engine,
          "http://cdn.example:8080/live/keys/k.key", NULL, NULL),
      GST_P2P_STREAM_URI_KEY);
  /* what a source must never feed, fed anyway: refused by the parsers */
  body = g_bytes_new (key, sizeof (key));
  gst_p2p_engine_feed_manifest (engine,
      "http://cdn.example:8080/live/keys/k.key", NULL, body,
      g_get_real_time ());
  g_bytes_unref (body);
  /* the engine feeds asynchronously: a sync call orders after them */
  gst_p2p_engine_get_index_stats_sync (engine, &ist);
  fail_unless_equals_int (ist.manifests, 2);
  fail_unless_equals_int (ist.entries, 3);

  fail_unless_equals_int (gst_p2p_engine_lookup_sync (engine,
          "http://cdn.example:8080/live/low/seg41.ts?token=zzz", id, &seg),
      GST_P2P_STREAM_URI_SEGMENT);
  fail_unless_equals_int (seg, 41);
  want = expected_swarm_id ("http://cdn.example:8080/live/m.m3u8",
      "hls:/live/low/index.m3u8");
  fail_unless_equals_string (id, want);
  g_free (want);

  swarms = gst_p2p_engine_list_swarms_sync (engine);
  fail_unless_equals_int (g_strv_length (swarms), 1);
  fail_unless_equals_string (swarms[0], id);
  g_strfreev (swarms);

  gst_p2p_engine_get_stats (engine, &st);
  fail_unless_equals_int (st.manifests, 2);
  fail_unless_equals_int (st.manifests_rejected, 1);
  fail_unless_equals_int (st.swarms, 1);

  /* stats as a structure carry every counter */
  {
    GstStructure *s = gst_p2p_engine_stats_to_structure (&st, "p2p-stats");
    fail_unless_equals_int (stats_u64 (s, "manifests"), 2);
    gst_structure_free (s);
  }
  g_object_unref (engine);
}

GST_END_TEST;

/* An engine per configuration, shared while someone holds it; a bad
 * swarm-id template is refused. */
GST_START_TEST (test_shared_engines)
{
  GstP2pEngineConfig a, b;
  GstP2pEngine *e1, *e2, *e3;
  GError *err = NULL;

  gst_p2p_engine_config_init (&a);
  a.tracker = NO_TRACKER;
  b = a;
  b.tracker_token = "other";
  e1 = gst_p2p_engine_get_shared (&a, NULL);
  e2 = gst_p2p_engine_get_shared (&a, NULL);
  e3 = gst_p2p_engine_get_shared (&b, NULL);
  fail_unless (e1 != NULL && e1 == e2);
  fail_unless (e3 != NULL && e3 != e1);
  g_object_unref (e1);
  g_object_unref (e2);
  g_object_unref (e3);

  a.swarm_id = "{nonsense}";
  fail_unless (gst_p2p_engine_new (&a, &err) == NULL);
  fail_unless (err != NULL);
  g_clear_error (&err);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* VOD through properties                                                   */

GST_START_TEST (test_vod_properties)
{
  GstP2pTestPackager *pk = gst_p2p_test_packager_new
      (GST_P2P_TEST_PACKAGE_HLS_TS_AES128, docroot, "vod");
  GError *err = NULL;
  gchar *uri, *seg_uri, *key_uri, *want, **swarms;
  gchar id[GST_P2P_STREAM_SWARM_ID_LEN + 1];
  GstP2pEngineConfig config;
  GstP2pEngine *engine;
  GstP2pEngineStats st;
  GstP2pStreamIndexStats ist;
  GPtrArray *responses, *log;
  Play play = { 0, };
  guint64 cdn, seg_id;
  guint n_segs, i, playlists;

  gst_p2p_test_packager_set_duration (pk, 6);
  fail_unless (gst_p2p_test_packager_run (pk, &err), "%s",
      err ? err->message : "?");
  uri = origin_uri (gst_p2p_test_packager_get_entry_path (pk));

  play.tracker = NO_TRACKER;
  play.swarm_id = "event-42";
  play_to_eos (uri, FALSE, &play);

  /* the engine the top-level source made from its properties was shared
   * with the demuxer's sources through the context: the fragment source
   * reports the playlists the downloader's sources fed */
  responses = gst_p2p_test_source_watch_get_responses (watch);
  fail_unless (check_bytes_equal_origin (responses) >= 4);
  fail_unless (count_kind (responses, "key") >= 1);
  fail_unless (count_kind (responses, "fragment") >= 3);

  /* p2p-stats come from the fragment source only (one srcbin) */
  fail_unless (play.stats->len >= 3, "only %u p2p-stats", play.stats->len);
  fail_unless_equals_int (play.stats_posters->len, 1);
  {
    const GstStructure *last = g_ptr_array_index (play.stats,
        play.stats->len - 1);
    guint64 fragments = stats_u64 (last, "source-fragments");

    fail_unless_equals_int (fragments, count_kind (responses, "fragment"));
    playlists = count_kind (responses, "playlist") + count_kind (responses,
        "manifest");
    fail_unless_equals_int (stats_u64 (last, "manifests"), playlists);
    fail_unless_equals_int (stats_u64 (last, "manifests-rejected"), 0);
    {
      guint n_swarms = 0;
      fail_unless (gst_structure_get_uint (last, "swarms", &n_swarms));
      fail_unless_equals_int (n_swarms, 1);
    }
    fail_unless (stats_u64 (last, "requests") >= fragments);
    cdn = stats_u64 (last, "bytes-from-cdn");
  }

  log = gst_p2p_test_access_log_read (gst_p2p_test_origin_get_access_log_path
      (origin), &err);
  fail_unless (log != NULL, "%s", err ? err->message : "?");
  fail_unless_equals_uint64 (origin_segment_bytes (log, "vod", 1, &n_segs),
      cdn);
  fail_unless (n_segs >= 3);
  g_ptr_array_unref (log);

  /* a new engine with the same settings sees the same swarm id from the
   * same playlists: the documented rule with the override */
  gst_p2p_engine_config_init (&config);
  config.tracker = NO_TRACKER;
  config.swarm_id = "event-42";
  engine = gst_p2p_engine_new (&config, NULL);
  for (i = 0; i < responses->len; i++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, i);
    gchar *path;
    gsize len;
    GBytes *body;
    gchar *data;

    if (g_strcmp0 (r->request_kind, "playlist") != 0 &&
        g_strcmp0 (r->request_kind, "manifest") != 0)
      continue;
    path = g_build_filename (docroot, r->uri +
        strlen (gst_p2p_test_origin_get_base_uri (origin)), NULL);
    fail_unless (g_file_get_contents (path, &data, &len, NULL));
    body = g_bytes_new_take (data, len);
    gst_p2p_engine_feed_manifest (engine, r->uri, NULL, body,
        g_get_real_time ());
    g_bytes_unref (body);
    g_free (path);
  }
  gst_p2p_engine_get_index_stats_sync (engine, &ist);
  fail_unless_equals_int (ist.manifests, 2);
  seg_uri = origin_uri ("vod/seg00000.ts");
  fail_unless_equals_int (gst_p2p_engine_lookup_sync (engine, seg_uri, id,
          &seg_id), GST_P2P_STREAM_URI_SEGMENT);
  want = expected_swarm_id ("event-42", "hls:/vod/index.m3u8");
  fail_unless_equals_string (id, want);
  fail_unless_equals_int (seg_id, 0);
  key_uri = origin_uri (gst_p2p_test_packager_get_key_path (pk));
  fail_unless_equals_int (gst_p2p_engine_lookup_sync (engine, key_uri, NULL,
          NULL), GST_P2P_STREAM_URI_KEY);
  swarms = gst_p2p_engine_list_swarms_sync (engine);
  fail_unless_equals_int (g_strv_length (swarms), 1);
  g_strfreev (swarms);
  gst_p2p_engine_get_stats (engine, &st);
  fail_unless_equals_int (st.manifests_rejected, 0);
  g_object_unref (engine);

  g_free (want);
  g_free (key_uri);
  g_free (seg_uri);
  play_clear (&play);
  g_ptr_array_unref (responses);
  g_free (uri);
  gst_p2p_test_packager_free (pk);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Live: prefetch ahead of the demuxer                                      */

GST_START_TEST (test_live_prefetch)
{
  GstP2pTestPackager *pk = gst_p2p_test_packager_new
      (GST_P2P_TEST_PACKAGE_HLS_TS_AES128, docroot, "live");
  GError *err = NULL;
  gchar *uri, *want, **swarms, *master;
  GstP2pEngineConfig config;
  GstP2pEngine *engine;
  GstP2pEngineStats st;
  GstP2pStreamIndexStats ist;
  GPtrArray *responses, *log;
  Play play = { 0, };
  guint64 origin_bytes, store_bytes = 0;
  guint n_segs, i, fragments, playlists;
  const GstStructure *last;

  gst_p2p_engine_config_init (&config);
  config.tracker = NO_TRACKER;
  engine = gst_p2p_engine_new (&config, NULL);
  fail_unless (engine != NULL);

  gst_p2p_test_packager_set_duration (pk, 16);
  gst_p2p_test_packager_set_live (pk, TRUE, 6);
  fail_unless (gst_p2p_test_packager_start (pk, &err), "%s",
      err ? err->message : "?");
  fail_unless (gst_p2p_test_packager_wait_for_segments (pk, 3, 30000, &err),
      "%s", err ? err->message : "?");
  uri = origin_uri (gst_p2p_test_packager_get_entry_path (pk));

  play.engine = engine;
  play_to_eos (uri, TRUE, &play);
  fail_unless (gst_p2p_test_packager_wait_finished (pk, 30000, &err), "%s",
      err ? err->message : "?");

  responses = gst_p2p_test_source_watch_get_responses (watch);
  fail_unless (check_bytes_equal_origin (responses) >= 6);
  fragments = count_kind (responses, "fragment");
  playlists = count_kind (responses, "playlist") + count_kind (responses,
      "manifest");
  fail_unless (fragments >= 4, "only %u fragments", fragments);

  /* the index saw the master and every media playlist reload, no key */
  gst_p2p_engine_get_index_stats_sync (engine, &ist);
  gst_p2p_engine_get_stats (engine, &st);
  fail_unless_equals_int (st.manifests, playlists);
  fail_unless_equals_int (st.manifests_rejected, 0);
  fail_unless (ist.manifests >= 3, "only %" G_GUINT64_FORMAT " playlists",
      ist.manifests);
  fail_unless (count_kind (responses, "key") >= 1);
  swarms = gst_p2p_engine_list_swarms_sync (engine);
  fail_unless_equals_int (g_strv_length (swarms), 1);
  master = origin_uri ("live/master.m3u8");
  want = expected_swarm_id (master, "hls:/live/index.m3u8");
  fail_unless_equals_string (swarms[0], want);
  g_free (want);
  g_free (master);
  g_strfreev (swarms);

  /* prefetch: the engine fetched segments itself, and the demuxer's
   * requests for them were answered from the store */
  GST_INFO ("engine: %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT
      " prefetches, %" G_GUINT64_FORMAT " served from the store, %"
      G_GUINT64_FORMAT " deadline misses, %" G_GUINT64_FORMAT " bytes from "
      "the CDN", st.requests, st.prefetches, st.served_from_store,
      st.deadline_misses, st.bytes_from_cdn);
  fail_unless (st.prefetches >= 2, "only %" G_GUINT64_FORMAT " prefetches",
      st.prefetches);
  fail_unless (st.served_from_store >= 2, "only %" G_GUINT64_FORMAT
      " requests served from the store", st.served_from_store);
  fail_unless_equals_int (st.deadline_misses, 0);
  fail_unless_equals_int (st.prefetch_failures, 0);

  /* each segment left the origin exactly once, and the engine counted
   * exactly the bytes nginx sent for segments */
  log = gst_p2p_test_access_log_read (gst_p2p_test_origin_get_access_log_path
      (origin), &err);
  fail_unless (log != NULL, "%s", err ? err->message : "?");
  origin_bytes = origin_segment_bytes (log, "live", 1, &n_segs);
  fail_unless (n_segs >= fragments);
  fail_unless_equals_uint64 (st.bytes_from_cdn, origin_bytes);
  fail_unless_equals_uint64 (st.segments_from_cdn, n_segs);

  /* p2p-stats on the bus, from the fragment source, consistent */
  fail_unless (play.stats->len >= 3, "only %u p2p-stats", play.stats->len);
  last = g_ptr_array_index (play.stats, play.stats->len - 1);
  fail_unless (stats_u64 (last, "bytes-from-cdn") <= origin_bytes);
  fail_unless (stats_u64 (last, "bytes-from-cdn") > 0);
  fail_unless_equals_int (stats_u64 (last, "bytes-from-peers"), 0);
  fail_unless_equals_int (stats_u64 (last, "hash-failures"), 0);
  fail_unless_equals_int (stats_u64 (last, "source-fragments"), fragments);
  fail_unless_equals_int (stats_u64 (last, "source-segments-from-store") +
      stats_u64 (last, "source-segments-from-cdn"), fragments);
  for (i = 0; i < play.stats->len; i++)
    store_bytes = MAX (store_bytes, stats_u64 (g_ptr_array_index (play.stats,
                i), "source-bytes-from-store"));
  fail_unless (store_bytes > 0);
  /* what the source took from the CDN plus what it took from the store is
   * what went downstream, and the store only holds what the engine took
   * from the CDN */
  fail_unless (stats_u64 (last, "source-bytes-from-cdn") + store_bytes <=
      origin_bytes + store_bytes);
  fail_unless (stats_u64 (last, "source-bytes-from-cdn") <=
      stats_u64 (last, "bytes-from-cdn"));

  g_ptr_array_unref (log);
  play_clear (&play);
  g_ptr_array_unref (responses);
  g_free (uri);
  gst_p2p_test_packager_free (pk);
  g_object_unref (engine);
}

GST_END_TEST;

static Suite *
engine_suite (void)
{
  Suite *s = suite_create ("engine");
  TCase *unit = tcase_create ("unit");
  TCase *media = tcase_create ("media");

  suite_add_tcase (s, unit);
  tcase_add_test (unit, test_feed_playlists);
  tcase_add_test (unit, test_shared_engines);

  suite_add_tcase (s, media);
  tcase_add_checked_fixture (media, engine_setup, engine_teardown);
  tcase_set_timeout (media, 180);
  tcase_add_test (media, test_vod_properties);
  tcase_add_test (media, test_live_prefetch);
  return s;
}

GST_CHECK_MAIN (engine);
