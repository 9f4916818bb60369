/* End to end: the operator's publisher through the real tracker to a viewer.
 *
 * Real parts only: ffmpeg packages a live AES-128 HLS stream in real time,
 * nginx serves it, gst-p2p-tracker relays, gst-p2p-publisher (with a key
 * made by its own --make-key) follows the stream and publishes signed
 * hashes, and a GstP2pTrackerClient in this test — joined with a viewer
 * token to the rendition's swarm, whose id the test computes with the
 * stream index exactly as a viewer does — receives them. The test asserts:
 *  - records arrive for consecutive new segments and carry that swarm id;
 *  - every batch verifies with the operator's public key, and every hash
 *    and size equals the segment file on disk (and the trust db says OK
 *    for those bytes, MISMATCH for a tampered copy);
 *  - a viewer configured with another key rejects every batch;
 *  - a viewer that joins later gets recent records (re-publication);
 *  - SIGTERM stops the publisher cleanly with a final stats line.
 *
 * Threads: the test thread drives; the tracker clients live on the
 * GstP2pLoop thread and hand payloads over under a mutex.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "net/gstp2ploop.h"
#include "signalling/gstp2ptrackerclient.h"
#include "stream/gstp2pstreamindex.h"
#include "trust/gstp2ptrustdb.h"
#include "gstp2ptestfs.h"
#include "gstp2ptestorigin.h"
#include "gstp2ptestpackager.h"
#include "gstp2ptestprocess.h"
#include "trackertest.h"

typedef struct
{
  GMutex lock;
  GPtrArray *payloads;          /* gchar* */
  GstP2pTrackerClient *client;
  gchar *url, *swarm, *token;
} Viewer;

static void
on_publish (GstP2pTrackerClient * client, const gchar * from,
    const gchar * payload, Viewer * v)
{
  g_mutex_lock (&v->lock);
  g_ptr_array_add (v->payloads, g_strdup (payload));
  g_mutex_unlock (&v->lock);
}

static gboolean
viewer_start_on_loop (gpointer data)
{
  Viewer *v = data;

  v->client = gst_p2p_tracker_client_new (v->url, v->swarm, v->token);
  g_signal_connect (v->client, "publish", G_CALLBACK (on_publish), v);
  gst_p2p_tracker_client_start (v->client);
  return G_SOURCE_REMOVE;
}

static gboolean
viewer_stop_on_loop (gpointer data)
{
  Viewer *v = data;

  gst_p2p_tracker_client_stop (v->client);
  g_clear_object (&v->client);
  return G_SOURCE_REMOVE;
}

static Viewer *
viewer_start (const gchar * url, const gchar * swarm, const gchar * token)
{
  Viewer *v = g_new0 (Viewer, 1);

  g_mutex_init (&v->lock);
  v->payloads = g_ptr_array_new_with_free_func (g_free);
  v->url = g_strdup (url);
  v->swarm = g_strdup (swarm);
  v->token = g_strdup (token);
  gst_p2p_loop_invoke_sync (gst_p2p_loop_get_default (), viewer_start_on_loop,
      v);
  return v;
}

static guint
viewer_count (Viewer * v)
{
  guint n;

  g_mutex_lock (&v->lock);
  n = v->payloads->len;
  g_mutex_unlock (&v->lock);
  return n;
}

static void
viewer_free (Viewer * v)
{
  gst_p2p_loop_invoke_sync (gst_p2p_loop_get_default (), viewer_stop_on_loop,
      v);
  g_ptr_array_unref (v->payloads);
  g_mutex_clear (&v->lock);
  g_free (v->url);
  g_free (v->swarm);
  g_free (v->token);
  g_free (v);
}

static gchar *
publisher_binary (void)
{
  return g_build_filename (g_getenv ("GST_P2P_BUILD_ROOT"), "tools",
      "publisher", "gst-p2p-publisher", NULL);
}

/* --make-key: the private key file, and the public key it prints. */
static gchar *
make_key (const gchar * path)
{
  gchar *bin = publisher_binary ();
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

static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* The swarm of the stream's only rendition, computed as a viewer does:
 * master and media playlist fed to a stream index, the first segment
 * looked up. */
static void
viewer_swarm (const gchar * base, GstP2pTestPackager * pk,
    GstP2pStreamSegmentInfo * info)
{
  GstP2pStreamIndexConfig cfg;
  GstP2pStreamIndex *index;
  gchar *master_uri = g_strdup_printf ("%s/%s", base,
      gst_p2p_test_packager_get_entry_path (pk));
  gchar *media_uri = g_strdup_printf ("%s/%s", base,
      gst_p2p_test_packager_get_media_playlist_path (pk));
  gchar *master_path = g_build_filename (gst_p2p_test_packager_get_dir (pk),
      "master.m3u8", NULL);
  gchar *media_path = g_build_filename (gst_p2p_test_packager_get_dir (pk),
      "index.m3u8", NULL);
  gchar *master = NULL, *media = NULL, *seg_start, *line_end, *seg_uri;
  gsize mlen, len;
  GError *err = NULL;

  fail_unless (g_file_get_contents (master_path, &master, &mlen, NULL));
  fail_unless (g_file_get_contents (media_path, &media, &len, NULL));
  gst_p2p_stream_index_config_init (&cfg);
  index = gst_p2p_stream_index_new (&cfg, NULL);
  fail_unless (gst_p2p_stream_index_add_manifest (index, master_uri, NULL,
          master, mlen, g_get_real_time (), &err), "%s",
      err ? err->message : "");
  fail_unless (gst_p2p_stream_index_add_manifest (index, media_uri, NULL,
          media, len, g_get_real_time (), &err), "%s", err ? err->message : "");
  seg_start = strstr (media, "seg");
  fail_unless (seg_start != NULL);
  line_end = strchr (seg_start, '\n');
  seg_uri = g_strdup_printf ("%s/hls-ts-live/%.*s", base,
      (int) (line_end - seg_start), seg_start);
  fail_unless_equals_int (gst_p2p_stream_index_lookup (index, seg_uri, NULL,
          g_get_real_time (), info), GST_P2P_STREAM_URI_SEGMENT);
  g_free (seg_uri);
  gst_p2p_stream_index_free (index);
  g_free (master);
  g_free (media);
  g_free (master_path);
  g_free (media_path);
  g_free (master_uri);
  g_free (media_uri);
}

static GstP2pTrustDb *
db_with_key (const gchar * b64)
{
  GstP2pTrustDbConfig cfg;
  GstP2pTrustDb *db;

  gst_p2p_trust_db_config_init (&cfg);
  cfg.keys = b64;
  cfg.mode = GST_P2P_TRUST_MODE_OPERATOR;
  db = gst_p2p_trust_db_new (&cfg, NULL);
  fail_unless (db != NULL);
  return db;
}

GST_START_TEST (test_publisher_end_to_end)
{
  GError *err = NULL;
  gchar *docroot, *keydir, *key_path, *pub, *log_path, *master_url;
  gchar *bin = publisher_binary ();
  GstP2pTestOrigin *origin;
  GstP2pTestPackager *pk;
  TestTracker *tracker;
  GstP2pStreamSegmentInfo info = { 0, };
  gchar *token, *tail;
  Viewer *viewer, *late;
  GSubprocess *publisher;
  GSubprocessLauncher *launcher;
  GstP2pTrustDb *good, *wrong;
  GstP2pTrustDbStats gst, wst;
  GstP2pTrustPrivateKey *other;
  gchar *other_b64;
  GHashTable *seen;
  guint64 lowest = G_MAXUINT64, highest = 0, n_media = 0, n_init = 0;
  gint64 deadline;
  guint i, j, n;

  fail_unless (gst_p2p_test_origin_is_available (),
      "nginx not installed (apt-get install nginx-light)");
  fail_unless (gst_p2p_test_packager_is_available (),
      "ffmpeg not installed (apt-get install ffmpeg)");

  /* The live stream and its origin. */
  docroot = gst_p2p_test_fs_make_tmp_dir ("p2p-trust-XXXXXX", &err);
  fail_unless (docroot != NULL);
  keydir = g_dir_make_tmp ("p2p-trust-key-XXXXXX", NULL);
  key_path = g_build_filename (keydir, "operator.pem", NULL);
  log_path = g_build_filename (keydir, "publisher.log", NULL);
  pk = gst_p2p_test_packager_new (GST_P2P_TEST_PACKAGE_HLS_TS_AES128, docroot,
      "hls-ts-live");
  gst_p2p_test_packager_set_duration (pk, 40);
  gst_p2p_test_packager_set_segment_duration (pk, 1);
  gst_p2p_test_packager_set_live (pk, TRUE, 5);
  fail_unless (gst_p2p_test_packager_start (pk, &err), "%s",
      err ? err->message : "?");
  origin = gst_p2p_test_origin_start (docroot, &err);
  fail_unless (origin != NULL, "origin: %s", err ? err->message : "?");
  fail_unless (gst_p2p_test_packager_wait_for_segments (pk, 2, 30000, &err),
      "%s", err ? err->message : "?");
  master_url = g_strdup_printf ("%s/%s",
      gst_p2p_test_origin_get_base_uri (origin),
      gst_p2p_test_packager_get_entry_path (pk));

  /* The tracker, with a secret: only publisher tokens may publish. */
  tracker = test_tracker_new (NULL, TRUE);
  fail_unless (test_tracker_start (tracker), "tracker did not start");

  /* The viewer's swarm, and two viewers: the right key and another one. */
  viewer_swarm (gst_p2p_test_origin_get_base_uri (origin), pk, &info);
  token = test_tracker_token (tracker, info.swarm_id, NULL);
  viewer = viewer_start (tracker->url, info.swarm_id, token);
  pub = make_key (key_path);
  good = db_with_key (pub);
  other = gst_p2p_trust_private_key_generate (NULL);
  other_b64 = gst_p2p_trust_public_key_to_base64
      (gst_p2p_trust_private_key_get_public (other));
  wrong = db_with_key (other_b64);

  /* The publisher. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  g_subprocess_launcher_setenv (launcher, "GST_DEBUG", "p2p-trust:4", TRUE);
  publisher = g_subprocess_launcher_spawn (launcher, &err, bin,
      "--manifest", master_url, "--tracker", tracker->url, "--key", key_path,
      "--tracker-secret", tracker->secret_path, "--stats-interval", "1",
      "--republish-interval", "1", "--verbose", NULL);
  fail_unless (publisher != NULL, "%s", err ? err->message : "?");
  g_object_unref (launcher);

  /* Records for at least 6 media segments (segments last 1 s). */
  deadline = g_get_monotonic_time () + 40 * G_USEC_PER_SEC;
  seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  n = 0;
  while (g_hash_table_size (seen) < 6 && g_get_monotonic_time () < deadline) {
    g_usleep (100 * 1000);
    g_mutex_lock (&viewer->lock);
    for (; n < viewer->payloads->len; n++) {
      const gchar *payload = g_ptr_array_index (viewer->payloads, n);
      GBytes *bytes = gst_p2p_hash_payload_parse (payload, strlen (payload),
          &err);
      GstP2pHashBatch *b = g_new0 (GstP2pHashBatch, 1);
      GstP2pTrustPublicKey *pubkey = gst_p2p_trust_public_key_parse (pub,
          NULL);
      gsize len;
      const guint8 *d;

      fail_unless (bytes != NULL, "%s", err ? err->message : "?");
      d = g_bytes_get_data (bytes, &len);
      fail_unless (gst_p2p_hash_batch_parse (d, len,
              (const GstP2pTrustPublicKey * const *) &pubkey, 1, b, &err),
          "batch does not verify: %s", err ? err->message : "?");
      fail_unless (memcmp (b->swarm, info.swarm_digest, 32) == 0,
          "batch for another swarm than the viewer's");
      fail_unless (gst_p2p_trust_db_add_payload (good, payload,
              strlen (payload), g_get_real_time (), NULL) >= 0);
      fail_unless (gst_p2p_trust_db_add_payload (wrong, payload,
              strlen (payload), g_get_real_time (), NULL) == -1);

      for (j = 0; j < b->n_records; j++) {
        GstP2pHashRecord *r = &b->records[j];
        gchar *file = g_build_filename (docroot, r->path, NULL);
        guint64 size = 0;
        gchar *hex = gst_p2p_test_fs_sha256_range (file, r->offset, -1,
            &size, &err);
        gchar *want = g_malloc0 (65);
        guint k;

        fail_unless (hex != NULL, "%s: %s", file, err ? err->message : "?");
        for (k = 0; k < 32; k++)
          g_snprintf (want + 2 * k, 3, "%02x", r->sha256[k]);
        fail_unless_equals_string (hex, want);
        fail_unless_equals_uint64 (size, r->size);
        if (r->kind == GST_P2P_HASH_KIND_MEDIA
            && !g_hash_table_contains (seen, &r->segment_id)) {
          gchar *name = g_strdup_printf ("/hls-ts-live/seg%05" G_GUINT64_FORMAT
              ".ts", r->segment_id);
          gchar *contents = NULL;
          gsize clen;

          /* Segment id = media sequence = ffmpeg's file number. */
          fail_unless_equals_string (r->path, name);
          fail_unless (g_file_get_contents (file, &contents, &clen, NULL));
          fail_unless_equals_int (gst_p2p_trust_db_verify (good,
                  info.swarm_digest, r->segment_id, contents, clen),
              GST_P2P_TRUST_VERDICT_OK);
          contents[clen / 3] ^= 0x01;
          fail_unless_equals_int (gst_p2p_trust_db_verify (good,
                  info.swarm_digest, r->segment_id, contents, clen),
              GST_P2P_TRUST_VERDICT_MISMATCH);
          g_hash_table_add (seen, g_memdup2 (&r->segment_id, 8));
          lowest = MIN (lowest, r->segment_id);
          highest = MAX (highest, r->segment_id);
          g_free (contents);
          g_free (name);
        } else if (r->kind == GST_P2P_HASH_KIND_INIT) {
          n_init++;
        }
        g_free (want);
        g_free (hex);
        g_free (file);
      }
      g_free (b);
      g_bytes_unref (bytes);
      gst_p2p_trust_public_key_free (pubkey);
    }
    g_mutex_unlock (&viewer->lock);
  }
  n_media = g_hash_table_size (seen);
  if (n_media < 6) {
    tail = gst_p2p_test_process_log_tail (log_path, 3000);
    fail ("only %" G_GUINT64_FORMAT " segments published within 40 s; "
        "publisher log:\n%s", n_media, tail);
  }
  /* Consecutive: no new segment skipped. */
  fail_unless_equals_uint64 (highest - lowest + 1, n_media);
  fail_unless_equals_uint64 (n_init, 0);

  gst_p2p_trust_db_get_stats (good, &gst);
  gst_p2p_trust_db_get_stats (wrong, &wst);
  g_print ("viewer: %u payloads, segments %" G_GUINT64_FORMAT "..%"
      G_GUINT64_FORMAT " verified against the files; wrong key: %"
      G_GUINT64_FORMAT " rejected\n", n, lowest, highest,
      wst.rejected[GST_P2P_TRUST_ERROR_UNKNOWN_KEY]);
  fail_unless (gst.batches == n);
  fail_unless (gst.verified == n_media && gst.failures == n_media);
  fail_unless_equals_uint64 (wst.rejected[GST_P2P_TRUST_ERROR_UNKNOWN_KEY], n);
  fail_unless_equals_uint64 (wst.batches, 0);
  fail_unless_equals_int (wst.entries, 0);

  /* A late joiner gets recent records from the re-publication. */
  late = viewer_start (tracker->url, info.swarm_id, token);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (viewer_count (late) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (100 * 1000);
  fail_unless (viewer_count (late) > 0, "the late viewer got nothing");
  g_mutex_lock (&late->lock);
  for (i = 0; i < late->payloads->len; i++) {
    const gchar *payload = g_ptr_array_index (late->payloads, i);

    fail_unless (gst_p2p_trust_db_add_payload (good, payload,
            strlen (payload), g_get_real_time (), NULL) >= 0);
  }
  g_mutex_unlock (&late->lock);

  /* A clean stop on SIGTERM, with a last stats line. */
  g_subprocess_send_signal (publisher, SIGTERM);
  fail_unless (gst_p2p_test_process_wait (publisher, 10000),
      "the publisher ignored SIGTERM");
  fail_unless (g_subprocess_get_if_exited (publisher)
      && g_subprocess_get_exit_status (publisher) == 0);
  tail = gst_p2p_test_process_log_tail (log_path, 4000);
  fail_unless (strstr (tail, "stats segments_published=") != NULL, "%s", tail);
  g_print ("publisher: %s\n", g_strrstr (tail, "stats segments_published="));
  fail_unless (strstr (tail, "stopped") != NULL, "%s", tail);
  g_free (tail);

  viewer_free (late);
  viewer_free (viewer);
  g_object_unref (publisher);
  gst_p2p_trust_db_free (good);
  gst_p2p_trust_db_free (wrong);
  gst_p2p_trust_private_key_free (other);
  g_free (other_b64);
  g_hash_table_unref (seen);
  gst_p2p_stream_segment_info_clear (&info);
  g_free (token);
  test_tracker_free (tracker);
  gst_p2p_test_packager_free (pk);
  gst_p2p_test_origin_free (origin);
  gst_p2p_test_fs_rm_rf (docroot);
  g_unlink (key_path);
  g_unlink (log_path);
  g_rmdir (keydir);
  g_free (keydir);
  g_free (key_path);
  g_free (log_path);
  g_free (docroot);
  g_free (master_url);
  g_free (pub);
  g_free (bin);
}

GST_END_TEST;

/* Live DASH (SegmentTimeline, fMP4): every Representation's init segment
 * and new media segments are fetched and published. Checked through the
 * publisher's own stats line: the viewer side is the same code as above. */
GST_START_TEST (test_publisher_dash_live)
{
  GError *err = NULL;
  gchar *docroot, *keydir, *key_path, *log_path, *mpd_url, *pub, *tail = NULL;
  gchar *bin = publisher_binary ();
  GstP2pTestOrigin *origin;
  GstP2pTestPackager *pk;
  TestTracker *tracker;
  GSubprocess *publisher;
  GSubprocessLauncher *launcher;
  guint64 segments = 0, inits = 0;
  gint64 deadline;

  fail_unless (gst_p2p_test_origin_is_available ());
  fail_unless (gst_p2p_test_packager_is_available ());
  docroot = gst_p2p_test_fs_make_tmp_dir ("p2p-trust-XXXXXX", &err);
  fail_unless (docroot != NULL);
  keydir = g_dir_make_tmp ("p2p-trust-key-XXXXXX", NULL);
  key_path = g_build_filename (keydir, "operator.pem", NULL);
  log_path = g_build_filename (keydir, "publisher.log", NULL);
  pk = gst_p2p_test_packager_new (GST_P2P_TEST_PACKAGE_DASH_TIMELINE, docroot,
      "dash-live");
  gst_p2p_test_packager_set_duration (pk, 40);
  gst_p2p_test_packager_set_segment_duration (pk, 1);
  gst_p2p_test_packager_set_live (pk, TRUE, 5);
  fail_unless (gst_p2p_test_packager_start (pk, &err), "%s",
      err ? err->message : "?");
  origin = gst_p2p_test_origin_start (docroot, &err);
  fail_unless (origin != NULL, "origin: %s", err ? err->message : "?");
  fail_unless (gst_p2p_test_packager_wait_for_segments (pk, 2, 30000, &err),
      "%s", err ? err->message : "?");
  mpd_url = g_strdup_printf ("%s/%s", gst_p2p_test_origin_get_base_uri (origin),
      gst_p2p_test_packager_get_entry_path (pk));
  tracker = test_tracker_new (NULL, TRUE);
  fail_unless (test_tracker_start (tracker), "tracker did not start");
  pub = make_key (key_path);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  publisher = g_subprocess_launcher_spawn (launcher, &err, bin,
      "--manifest", mpd_url, "--tracker", tracker->url, "--key", key_path,
      "--tracker-secret", tracker->secret_path, "--stats-interval", "1", NULL);
  fail_unless (publisher != NULL, "%s", err ? err->message : "?");
  g_object_unref (launcher);

  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while ((segments < 4 || inits < 1) && g_get_monotonic_time () < deadline) {
    const gchar *line;

    g_usleep (500 * 1000);
    g_free (tail);
    tail = gst_p2p_test_process_log_tail (log_path, 2000);
    line = g_strrstr (tail, "stats segments_published=");
    if (line)
      sscanf (line, "stats segments_published=%" G_GUINT64_FORMAT
          " init_published=%" G_GUINT64_FORMAT, &segments, &inits);
  }
  fail_unless (segments >= 4 && inits >= 1, "DASH: %" G_GUINT64_FORMAT
      " segments, %" G_GUINT64_FORMAT " init segments; log:\n%s", segments,
      inits, tail);
  fail_unless (strstr (tail, "fetch_errors=0 ") != NULL, "%s", tail);
  g_print ("DASH publisher: %s\n", g_strrstr (tail, "stats "));

  g_subprocess_send_signal (publisher, SIGTERM);
  fail_unless (gst_p2p_test_process_wait (publisher, 10000));
  fail_unless (g_subprocess_get_if_exited (publisher)
      && g_subprocess_get_exit_status (publisher) == 0);

  g_object_unref (publisher);
  test_tracker_free (tracker);
  gst_p2p_test_packager_free (pk);
  gst_p2p_test_origin_free (origin);
  gst_p2p_test_fs_rm_rf (docroot);
  g_unlink (key_path);
  g_unlink (log_path);
  g_rmdir (keydir);
  g_free (tail);
  g_free (pub);
  g_free (keydir);
  g_free (key_path);
  g_free (log_path);
  g_free (docroot);
  g_free (mpd_url);
  g_free (bin);
}

GST_END_TEST;

static Suite *
trust_publisher_suite (void)
{
  Suite *s = suite_create ("trust-publisher");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_publisher_end_to_end);
  tcase_add_test (tc, test_publisher_dash_live);
  return s;
}

GST_CHECK_MAIN (trust_publisher);
