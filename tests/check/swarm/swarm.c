/* Swarm tests: viewers join the real gst-p2p-tracker on 127.0.0.1, link to
 * each other through it (ICE, DTLS, SCTP over loopback), and exchange
 * multi-megabyte segments byte-exactly; failures, hostile peers and
 * refused tokens.
 *
 * Threads: swarms live on the GstP2pLoop network thread; the test thread
 * drives them through swarmtest.h and waits with deadlines.
 */
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <gst/check/gstcheck.h>

#include "net/gstp2ploop.h"
#include "signalling/gstp2ptrackerclient.h"
#include "swarmtest.h"
#include "trackertest.h"

#define MIB (1024 * 1024)

static TestTracker *
start_tracker (gboolean with_secret)
{
  TestTracker *t = test_tracker_new (NULL, with_secret);

  fail_unless (test_tracker_start (t), "tracker did not start");
  return t;
}

/* Every viewer puts its own segment, then fetches everyone else's. */
static void
exchange (TestViewer ** v, guint n, gsize size, guint timeout_ms)
{
  GBytes **blobs = g_new0 (GBytes *, n);
  gint64 t0;
  guint i, j;

  for (i = 0; i < n; i++)
    fail_unless (test_viewer_wait_peers (v[i], n - 1, 20000),
        "viewer %u did not link to %u peers", i, n - 1);
  for (i = 0; i < n; i++) {
    blobs[i] = test_blob (1000 + i, size + i * 4099);
    test_viewer_put (v[i], 1000 + i, blobs[i]);
  }
  t0 = g_get_monotonic_time ();
  for (i = 0; i < n; i++)
    for (j = 0; j < n; j++)
      if (i != j)
        test_viewer_get (v[i], 1000 + j, timeout_ms, NULL);
  for (i = 0; i < n; i++) {
    for (j = 0; j < n; j++) {
      GBytes *got = NULL;
      gchar *err = NULL;

      if (i == j)
        continue;
      fail_unless (test_viewer_wait_get (v[i], 1000 + j, timeout_ms + 5000,
              &got, &err), "get did not end");
      fail_unless (got != NULL, "viewer %u could not get segment of %u: %s",
          i, j, err);
      fail_unless (g_bytes_equal (got, blobs[j]),
          "viewer %u got different bytes for segment of %u", i, j);
      g_bytes_unref (got);
      g_free (err);
    }
  }
  GST_INFO ("%u viewers exchanged %u segments of ~%" G_GSIZE_FORMAT
      " bytes in %" G_GINT64_FORMAT " ms", n, n * (n - 1), size,
      (g_get_monotonic_time () - t0) / 1000);
  for (i = 0; i < n; i++) {
    GstP2pSwarmStats s;

    test_viewer_stats (v[i], &s);
    fail_unless (s.bytes_from_peers >= (n - 1) * size);
    fail_unless_equals_int (s.protocol_errors, 0);
    fail_unless_equals_int (s.bans, 0);
    g_bytes_unref (blobs[i]);
  }
  g_free (blobs);
}

GST_START_TEST (test_two_swarms)
{
  TestTracker *t = start_tracker (FALSE);
  guint8 id[32];
  TestViewer *v[2];
  guint i;

  test_swarm_id ("two", id);
  for (i = 0; i < 2; i++) {
    v[i] = test_viewer_new (id, t->url, NULL, NULL, NULL);
    test_viewer_start (v[i]);
  }
  exchange (v, 2, 4 * MIB, 20000);
  for (i = 0; i < 2; i++)
    test_viewer_free (v[i]);
  test_tracker_free (t);
}

GST_END_TEST;

GST_START_TEST (test_five_swarms)
{
  TestTracker *t = start_tracker (FALSE);
  guint8 id[32];
  TestViewer *v[5];
  guint i;

  test_swarm_id ("five", id);
  for (i = 0; i < 5; i++) {
    /* one upload at a time (the default): the others get ABSENT busy and
     * come back */
    v[i] = test_viewer_new (id, t->url, NULL, NULL, NULL);
    test_viewer_start (v[i]);
  }
  exchange (v, 5, 3 * MIB, 30000);
  for (i = 0; i < 5; i++)
    test_viewer_free (v[i]);
  test_tracker_free (t);
}

GST_END_TEST;

static Suite *
swarm_suite (void)
{
  Suite *s = suite_create ("swarm");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_two_swarms);
  tcase_add_test (tc, test_five_swarms);
  return s;
}

GST_CHECK_MAIN (swarm);
