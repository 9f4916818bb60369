/* Engine tests with peers: a live event on this machine with real parts,
 * and viewers that share segments.
 *
 * Each test starts ffmpeg packaging a live AES-128 HLS stream in real time
 * (2 s segments), nginx serving it (GstP2pTestOrigin), gst-p2p-tracker with
 * a secret (tokens from `gst-p2p-tracker --make-token`) and
 * gst-p2p-publisher with a key from its own --make-key, then viewers:
 *
 *  - inprocess: three viewers in this process, each its own engine given
 *    to its playbin in a context: segments move between them
 *    (bytes-from-peers > 0 for at least two), every response downstream
 *    equals the origin's bytes, every viewer fetched the key from nginx;
 *  - processes: five engine-viewer processes configured only through the
 *    environment (GST_P2P_TRACKER, GST_P2P_TOKEN, GST_P2P_TRUST_KEY): all
 *    play without error, bytes equal the origin's, keys from nginx, and
 *    most segment bytes come from peers (offload measured from nginx's log
 *    against the bytes played, floor asserted, figure printed);
 *  - corrupt: one of three viewer processes has
 *    GST_P2P_FAULT_CORRUPT_UPLOADS=1, the other two upload nothing (so
 *    they do not seed and new segments are offered by the corrupting one
 *    first): they still play the origin's bytes, count hash failures and
 *    ban it.
 *
 * ICE is limited to 127.0.0.1 (GST_P2P_ICE_ADDRESSES): nothing leaves
 * loopback.
 *
 * Threads: the check thread drives and pops the buses; engines live on the
 * process network thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <json-glib/json-glib.h>

#include "engine/gstp2pengine.h"
#include "gstp2ptestorigin.h"
#include "gstp2ptestpackager.h"
#include "gstp2ptestsourcewatch.h"
#include "gstp2ptestaccesslog.h"
#include "gstp2ptestprocess.h"
#include "gstp2ptestfs.h"
#include "trackertest.h"

#define SEGMENT_S 2
#define PUBLISHER_UA "gst-p2p-publisher/"

typedef struct
{
  gchar *docroot;
  gchar *keydir;
  GstP2pTestOrigin *origin;
  GstP2pTestPackager *pk;
  TestTracker *tracker;
  GSubprocess *publisher;
  gchar *publisher_log;
  gchar *pubkey;
  gchar *tokens;                /* viewer token of the rendition's swarm */
  gchar *uri;                   /* the master playlist */
} Event;

static gchar *
build_path (const gchar * dir, const gchar * bin)
{
  return g_build_filename (g_getenv ("GST_P2P_BUILD_ROOT"), dir, bin, NULL);
}

static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gchar *
make_key (const gchar * path)
{
  gchar *bin = build_path ("tools/publisher", "gst-p2p-publisher");
  const gchar *argv[] = { bin, "--make-key", path, NULL };
  gchar *out = NULL, *errout = NULL;
  gint status = -1;
  GError *err = NULL;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, 0, NULL, NULL, &out,
          &errout, &status, &err), "%s", err ? err->message : "?");
  fail_unless (g_spawn_check_wait_status (status, NULL), "--make-key: %s",
      errout);
  g_strstrip (out);
  fail_unless_equals_int (strlen (out), 44);
  g_free (errout);
  g_free (bin);
  return out;
}

/* A live event: ffmpeg + nginx + tracker + publisher; @duration_s of
 * media. Viewers get the tokens of the rendition's swarm. */
static void
event_start (Event * ev, guint duration_s)
{
  GError *err = NULL;
  GSubprocessLauncher *l;
  gchar *bin, *key_path, *swarm_key, *full, *tok_short;

  fail_unless (gst_p2p_test_origin_is_available (), "nginx not installed");
  fail_unless (gst_p2p_test_packager_is_available (), "ffmpeg not installed");
  memset (ev, 0, sizeof (*ev));
  ev->docroot = gst_p2p_test_fs_make_tmp_dir ("p2p-peers-XXXXXX", &err);
  fail_unless (ev->docroot != NULL);
  ev->keydir = g_dir_make_tmp ("p2p-peers-key-XXXXXX", NULL);
  key_path = g_build_filename (ev->keydir, "operator.pem", NULL);
  ev->publisher_log = g_build_filename (ev->keydir, "publisher.log", NULL);

  ev->pk = gst_p2p_test_packager_new (GST_P2P_TEST_PACKAGE_HLS_TS_AES128,
      ev->docroot, "live");
  gst_p2p_test_packager_set_duration (ev->pk, duration_s);
  gst_p2p_test_packager_set_segment_duration (ev->pk, SEGMENT_S);
  gst_p2p_test_packager_set_live (ev->pk, TRUE, 6);
  fail_unless (gst_p2p_test_packager_start (ev->pk, &err), "%s",
      err ? err->message : "?");
  ev->origin = gst_p2p_test_origin_start (ev->docroot, &err);
  fail_unless (ev->origin != NULL, "origin: %s", err ? err->message : "?");
  ev->uri = g_strdup_printf ("%s/%s",
      gst_p2p_test_origin_get_base_uri (ev->origin),
      gst_p2p_test_packager_get_entry_path (ev->pk));

  ev->tracker = test_tracker_new (NULL, TRUE);
  fail_unless (test_tracker_start (ev->tracker), "tracker did not start");

  /* The rendition's swarm (docs/stream.md): SHA-256 of the manifest URL and
   * the rendition identity. Viewers (GstP2pSwarm) and the publisher both
   * use its 16-character short form on the tracker: one token. */
  swarm_key = g_strdup_printf ("%s\nhls:/live/index.m3u8", ev->uri);
  full = g_compute_checksum_for_string (G_CHECKSUM_SHA256, swarm_key, -1);
  full[16] = '\0';
  tok_short = test_tracker_token (ev->tracker, full, NULL);
  ev->tokens = g_strdup (g_strstrip (tok_short));

  ev->pubkey = make_key (key_path);
  bin = build_path ("tools/publisher", "gst-p2p-publisher");
  l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (l, child_setup, NULL, NULL);
  g_subprocess_launcher_set_stderr_file_path (l, ev->publisher_log);
  ev->publisher = g_subprocess_launcher_spawn (l, &err, bin, "--manifest",
      ev->uri, "--tracker", ev->tracker->url, "--key", key_path,
      "--tracker-secret", ev->tracker->secret_path, "--republish-interval",
      "1", "--stats-interval", "5", NULL);
  fail_unless (ev->publisher != NULL, "%s", err ? err->message : "?");
  g_object_unref (l);

  /* viewers start like a player would, a few segments into the event */
  fail_unless (gst_p2p_test_packager_wait_for_segments (ev->pk, 3, 30000,
          &err), "%s", err ? err->message : "?");

  g_free (bin);
  g_free (swarm_key);
  g_free (full);
  g_free (tok_short);
  g_free (key_path);
}

static void
event_stop (Event * ev)
{
  if (ev->publisher) {
    g_subprocess_send_signal (ev->publisher, SIGTERM);
    if (!gst_p2p_test_process_wait (ev->publisher, 5000))
      gst_p2p_test_process_kill (ev->publisher);
    g_clear_object (&ev->publisher);
  }
  g_clear_pointer (&ev->tracker, test_tracker_free);
  if (ev->pk) {
    gst_p2p_test_packager_stop (ev->pk);
    g_clear_pointer (&ev->pk, gst_p2p_test_packager_free);
  }
  g_clear_pointer (&ev->origin, gst_p2p_test_origin_free);
  if (g_getenv ("GST_P2P_TEST_KEEP_FILES") == NULL) {
    gst_p2p_test_fs_rm_rf (ev->docroot);
    gst_p2p_test_fs_rm_rf (ev->keydir);
  }
  g_free (ev->docroot);
  g_free (ev->keydir);
  g_free (ev->publisher_log);
  g_free (ev->pubkey);
  g_free (ev->tokens);
  g_free (ev->uri);
}

/* Segment bytes nginx sent to viewers (the publisher's own fetches are the
 * operator's cost, not the audience's) and how many key fetches. */
static guint64
origin_viewer_segment_bytes (Event * ev, guint * key_fetches)
{
  GError *err = NULL;
  GPtrArray *log = gst_p2p_test_access_log_read
      (gst_p2p_test_origin_get_access_log_path (ev->origin), &err);
  guint64 bytes = 0;
  guint i;

  fail_unless (log != NULL, "%s", err ? err->message : "?");
  *key_fetches = 0;
  for (i = 0; i < log->len; i++) {
    GstP2pTestAccessEntry *e = g_ptr_array_index (log, i);

    if (e->status >= 300 || g_str_has_prefix (e->user_agent, PUBLISHER_UA))
      continue;
    if (g_str_has_prefix (e->uri, "/live/seg") && g_str_has_suffix (e->uri,
            ".ts"))
      bytes += e->body_bytes_sent;
    else if (g_str_has_suffix (e->uri, ".key"))
      (*key_fetches)++;
  }
  g_ptr_array_unref (log);
  return bytes;
}

/* ------------------------------------------------------------------------ */
/* Viewers in this process                                                  */

typedef struct
{
  GstElement *playbin;
  GstBus *bus;
  GstP2pEngine *engine;
  gboolean eos;
} Viewer;

static GstElement *
make_sink (void)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  g_object_set (sink, "sync", TRUE, NULL);
  return sink;
}

static void
run_inprocess (guint n_viewers)
{
  Event ev;
  Viewer *v = g_new0 (Viewer, n_viewers);
  GstP2pTestSourceWatch *watch;
  GPtrArray *responses;
  guint i, j, done = 0, with_peer_bytes = 0, key_fetches, key_responses = 0;
  guint64 origin_bytes, played = 0, from_peers = 0;
  gint64 deadline;

  g_setenv ("GST_P2P_ICE_ADDRESSES", "127.0.0.1", TRUE);
  event_start (&ev, 24);
  watch = gst_p2p_test_source_watch_new ();
  gst_p2p_test_source_watch_map_docroot (watch,
      gst_p2p_test_origin_get_base_uri (ev.origin), ev.docroot);

  for (i = 0; i < n_viewers; i++) {
    GstP2pEngineConfig config;
    GstContext *ctx;
    GError *err = NULL;
    gchar *name = g_strdup_printf ("viewer%u", i);

    gst_p2p_engine_config_init (&config);
    config.tracker = ev.tracker->url;
    config.tracker_token = ev.tokens;
    config.trust_key = ev.pubkey;
    v[i].engine = gst_p2p_engine_new (&config, &err);
    fail_unless (v[i].engine != NULL, "%s", err ? err->message : "?");
    v[i].playbin = gst_element_factory_make ("playbin", name);
    g_object_set (v[i].playbin, "uri", ev.uri, "video-sink", make_sink (),
        "audio-sink", make_sink (), NULL);
    ctx = gst_p2p_engine_context_new (v[i].engine);
    gst_element_set_context (v[i].playbin, ctx);
    gst_context_unref (ctx);
    v[i].bus = gst_element_get_bus (v[i].playbin);
    fail_unless (gst_element_set_state (v[i].playbin, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    g_free (name);
  }

  deadline = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  while (done < n_viewers && g_get_monotonic_time () < deadline) {
    for (i = 0; i < n_viewers; i++) {
      GstMessage *msg;

      while (!v[i].eos && (msg = gst_bus_timed_pop_filtered (v[i].bus,
                  20 * GST_MSECOND, GST_MESSAGE_ERROR | GST_MESSAGE_EOS))) {
        if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
          v[i].eos = TRUE;
          done++;
        } else {
          GError *err = NULL;

          gst_message_parse_error (msg, &err, NULL);
          fail ("viewer %u: ERROR from %s: %s", i,
              GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
        }
        gst_message_unref (msg);
      }
    }
  }
  fail_unless_equals_int (done, n_viewers);

  responses = gst_p2p_test_source_watch_get_responses (watch);
  for (j = 0; j < responses->len; j++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, j);

    if (!r->complete || r->status >= 300)
      continue;
    fail_unless (gst_p2p_test_response_matches_disk (r),
        "%s (%s): bytes differ from the origin's (%s)", r->uri,
        r->request_kind, GST_STR_NULL (r->expected_error));
    if (g_strcmp0 (r->request_kind, "fragment") == 0)
      played += r->bytes;
    else if (g_strcmp0 (r->request_kind, "key") == 0)
      key_responses++;
  }

  for (i = 0; i < n_viewers; i++) {
    GstP2pEngineStats st;

    gst_element_set_state (v[i].playbin, GST_STATE_NULL);
    gst_p2p_engine_get_stats (v[i].engine, &st);
    g_print ("viewer %u: %" G_GUINT64_FORMAT " segments from peers (%"
        G_GUINT64_FORMAT " bytes), %" G_GUINT64_FORMAT " from the CDN, %"
        G_GUINT64_FORMAT " bytes to peers, %u peers, %" G_GUINT64_FORMAT
        " hash failures, %" G_GUINT64_FORMAT " deadline misses, %"
        G_GUINT64_FORMAT " cdn fallbacks, %" G_GUINT64_FORMAT " verify waits\n",
        i, st.segments_from_peers, st.segment_bytes_from_peers,
        st.segments_from_cdn, st.bytes_to_peers, st.peers, st.hash_failures,
        st.deadline_misses, st.cdn_fallbacks, st.verify_waits);
    fail_unless_equals_int (st.hash_failures, 0);
    if (st.segment_bytes_from_peers > 0)
      with_peer_bytes++;
    from_peers += st.segment_bytes_from_peers;
    gst_object_unref (v[i].bus);
    gst_object_unref (v[i].playbin);
    g_object_unref (v[i].engine);
  }

  origin_bytes = origin_viewer_segment_bytes (&ev, &key_fetches);
  g_print ("%u in-process viewers: played %" G_GUINT64_FORMAT " segment "
      "bytes, origin sent %" G_GUINT64_FORMAT " to viewers: offload %.1f %%"
      ", key fetched %u times from nginx\n", n_viewers, played, origin_bytes,
      played ? 100.0 * (1.0 - (gdouble) origin_bytes / played) : 0.0,
      key_fetches);
  fail_unless (with_peer_bytes >= MIN (2, n_viewers - 1),
      "only %u viewers received segments from peers", with_peer_bytes);
  fail_unless (key_fetches >= n_viewers, "key fetched %u times", key_fetches);
  fail_unless (key_responses >= n_viewers);
  fail_unless (from_peers > 0);

  g_ptr_array_unref (responses);
  gst_p2p_test_source_watch_free (watch);
  event_stop (&ev);
  g_free (v);
}

GST_START_TEST (test_inprocess_viewers)
{
  run_inprocess (3);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Viewer processes                                                         */

typedef struct
{
  GSubprocess *proc;
  gchar *out_path;
  gchar *err_path;
  JsonObject *result;
  JsonParser *parser;
} Proc;

static void
spawn_viewers (Event * ev, Proc * p, guint n, gint corrupt_index)
{
  gchar *bin = build_path ("tests/check/engine", "engine-viewer");
  guint i;

  for (i = 0; i < n; i++) {
    GSubprocessLauncher *l = g_subprocess_launcher_new
        (G_SUBPROCESS_FLAGS_NONE);
    GError *err = NULL;

    p[i].out_path = g_strdup_printf ("%s/viewer%u.json", ev->keydir, i);
    p[i].err_path = g_strdup_printf ("%s/viewer%u.log", ev->keydir, i);
    g_subprocess_launcher_set_child_setup (l, child_setup, NULL, NULL);
    g_subprocess_launcher_set_stdout_file_path (l, p[i].out_path);
    g_subprocess_launcher_set_stderr_file_path (l, p[i].err_path);
    g_subprocess_launcher_setenv (l, "GST_P2P_TRACKER", ev->tracker->url, TRUE);
    g_subprocess_launcher_setenv (l, "GST_P2P_TOKEN", ev->tokens, TRUE);
    g_subprocess_launcher_setenv (l, "GST_P2P_TRUST_KEY", ev->pubkey, TRUE);
    g_subprocess_launcher_setenv (l, "GST_P2P_ICE_ADDRESSES", "127.0.0.1",
        TRUE);
    g_subprocess_launcher_unsetenv (l, "GST_P2P_FAULT_CORRUPT_UPLOADS");
    g_subprocess_launcher_unsetenv (l, "GST_P2P_UPLOAD");
    if ((gint) i == corrupt_index) {
      g_subprocess_launcher_setenv (l, "GST_P2P_FAULT_CORRUPT_UPLOADS", "1",
          TRUE);
    } else if (corrupt_index >= 0) {
      /* the others do not upload, hence do not seed: every new segment is
       * first offered by the corrupting viewer (docs/engine.md) */
      g_subprocess_launcher_setenv (l, "GST_P2P_UPLOAD", "0", TRUE);
    }
    p[i].proc = g_subprocess_launcher_spawn (l, &err, bin, ev->uri,
        ev->docroot, gst_p2p_test_origin_get_base_uri (ev->origin), "100",
        NULL);
    fail_unless (p[i].proc != NULL, "%s", err ? err->message : "?");
    g_object_unref (l);
  }
  g_free (bin);
}

/* Waits for every viewer and parses its JSON line. */
static void
collect_viewers (Proc * p, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    gchar *out = NULL;
    GError *err = NULL;

    if (!gst_p2p_test_process_wait (p[i].proc, 110000))
      gst_p2p_test_process_kill (p[i].proc);
    g_file_get_contents (p[i].out_path, &out, NULL, NULL);
    p[i].parser = json_parser_new ();
    if (!out || !json_parser_load_from_data (p[i].parser, out, -1, &err)
        || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p[i].parser))) {
      gchar *tail = gst_p2p_test_process_log_tail (p[i].err_path, 2000);
      fail ("viewer %u printed no result (%s); stderr:\n%s", i,
          err ? err->message : "empty", tail);
    }
    p[i].result = json_node_get_object (json_parser_get_root (p[i].parser));
    g_free (out);
  }
}

static void
free_viewers (Proc * p, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    if (p[i].proc) {
      gst_p2p_test_process_kill (p[i].proc);
      g_object_unref (p[i].proc);
    }
    g_clear_object (&p[i].parser);
    g_free (p[i].out_path);
    g_free (p[i].err_path);
  }
}

static gint64
stat_of (JsonObject * result, const gchar * field)
{
  JsonObject *st = json_object_get_object_member (result, "stats");

  return st && json_object_has_member (st, field) ?
      json_object_get_int_member (st, field) : -1;
}

static void
check_viewer_played (Proc * p, guint i)
{
  JsonObject *r = p->result;
  gchar *tail;

  if (json_object_get_boolean_member (r, "eos") &&
      json_object_get_null_member (r, "error") &&
      json_object_get_int_member (r, "mismatches") == 0 &&
      g_subprocess_get_if_exited (p->proc) &&
      g_subprocess_get_exit_status (p->proc) == 0)
    return;
  tail = gst_p2p_test_process_log_tail (p->err_path, 3000);
  fail ("viewer %u did not play correctly: eos %d, error %s, %"
      G_GINT64_FORMAT " mismatches; stderr:\n%s", i,
      json_object_get_boolean_member (r, "eos"),
      json_object_get_null_member (r, "error") ? "none" :
      json_object_get_string_member (r, "error"),
      json_object_get_int_member (r, "mismatches"), tail);
}

GST_START_TEST (test_viewer_processes)
{
  Event ev;
  Proc p[5] = { {0,}, };
  guint i, n = G_N_ELEMENTS (p), key_fetches;
  guint64 played = 0, origin_bytes;
  gint64 misses = 0;
  gdouble offload;

  event_start (&ev, 30);
  spawn_viewers (&ev, p, n, -1);
  collect_viewers (p, n);
  for (i = 0; i < n; i++) {
    JsonObject *r = p[i].result;

    check_viewer_played (&p[i], i);
    fail_unless (json_object_get_int_member (r, "keys") >= 1,
        "viewer %u never fetched the key", i);
    played += json_object_get_int_member (r, "fragment_bytes");
    misses += MAX (0, stat_of (r, "deadline-misses"));
    g_print ("viewer process %u: %" G_GINT64_FORMAT " fragments, %"
        G_GINT64_FORMAT " segments from peers, %" G_GINT64_FORMAT
        " from the CDN, %" G_GINT64_FORMAT " bytes to peers, %"
        G_GINT64_FORMAT " peers, %" G_GINT64_FORMAT " deadline misses, %"
        G_GINT64_FORMAT " cdn fallbacks\n", i,
        json_object_get_int_member (r, "fragments"),
        stat_of (r, "segments-from-peers"), stat_of (r, "segments-from-cdn"),
        stat_of (r, "bytes-to-peers"), stat_of (r, "peers"),
        stat_of (r, "deadline-misses"), stat_of (r, "cdn-fallbacks"));
    fail_unless_equals_int (stat_of (r, "hash-failures"), 0);
  }
  origin_bytes = origin_viewer_segment_bytes (&ev, &key_fetches);
  offload = played ? 1.0 - (gdouble) origin_bytes / played : 0.0;
  g_print ("%u viewer processes: played %" G_GUINT64_FORMAT " segment bytes, "
      "origin sent %" G_GUINT64_FORMAT " to viewers: offload %.1f %% "
      "(ceiling %.0f %%), %" G_GINT64_FORMAT " deadline misses, key fetched "
      "%u times from nginx\n", n, played, origin_bytes, 100 * offload,
      100.0 * (1.0 - 1.0 / n), misses, key_fetches);
  fail_unless (key_fetches >= n, "key fetched %u times", key_fetches);
  fail_unless (offload >= 0.5, "offload %.1f %% below the 50 %% floor",
      100 * offload);

  free_viewers (p, n);
  event_stop (&ev);
}

GST_END_TEST;

GST_START_TEST (test_corrupt_uploader)
{
  Event ev;
  Proc p[3] = { {0,}, };
  guint i, n = G_N_ELEMENTS (p);
  gint64 failures = 0, bans = 0;

  event_start (&ev, 24);
  spawn_viewers (&ev, p, n, 0);
  collect_viewers (p, n);
  for (i = 1; i < n; i++) {
    JsonObject *r = p[i].result;

    check_viewer_played (&p[i], i);
    g_print ("honest viewer %u: %" G_GINT64_FORMAT " hash failures, %"
        G_GINT64_FORMAT " bans, %" G_GINT64_FORMAT " segments from peers, %"
        G_GINT64_FORMAT " from the CDN, %" G_GINT64_FORMAT " peers\n", i,
        stat_of (r, "hash-failures"), stat_of (r, "bans"),
        stat_of (r, "segments-from-peers"), stat_of (r, "segments-from-cdn"),
        stat_of (r, "peers"));
    failures += MAX (0, stat_of (r, "hash-failures"));
    bans += MAX (0, stat_of (r, "bans"));
  }
  g_print ("corrupting viewer: %" G_GINT64_FORMAT " bytes to peers, %"
      G_GINT64_FORMAT " segments from the CDN, %" G_GINT64_FORMAT " peers\n",
      stat_of (p[0].result, "bytes-to-peers"), stat_of (p[0].result,
          "segments-from-cdn"), stat_of (p[0].result, "peers"));
  fail_unless (failures > 0, "no honest viewer saw a hash failure");
  fail_unless (bans > 0, "nobody banned the corrupting viewer");
  free_viewers (p, n);
  event_stop (&ev);
}

GST_END_TEST;

static Suite *
engine_peers_suite (void)
{
  Suite *s = suite_create ("engine-peers");
  TCase *tc = tcase_create ("live");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 150);
  tcase_add_test (tc, test_inprocess_viewers);
  tcase_add_test (tc, test_viewer_processes);
  tcase_add_test (tc, test_corrupt_uploader);
  return s;
}

GST_CHECK_MAIN (engine_peers);
