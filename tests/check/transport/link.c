/* GstP2pLink in one process: two links on a private GMainContext, talking
 * over loopback with signalling exchanged directly by the test. */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "linkharness.h"
#include "transport/gstp2pdtls.h"

typedef struct
{
  Side *a, *b;
} Pair;

static gboolean
both_connected (gpointer data)
{
  Pair *p = data;
  return side_is_connected (p->a) && side_is_connected (p->b);
}

static gboolean
both_terminal (gpointer data)
{
  Pair *p = data;
  return side_is_terminal (p->a) && side_is_terminal (p->b);
}

static void
pair_start (Pair * p)
{
  GError *err = NULL;

  side_connect_peers (p->a, p->b);
  fail_unless (gst_p2p_link_start (p->a->link, &err));
  g_assert_no_error (err);
  fail_unless (gst_p2p_link_start (p->b->link, &err));
  g_assert_no_error (err);
}

static void
pair_new (Pair * p, GMainContext * ctx, GstP2pLinkConfig * ca,
    GstP2pLinkConfig * cb)
{
  GstP2pLinkConfig da, db;

  if (!ca) {
    harness_config (&da, TRUE);
    ca = &da;
  }
  if (!cb) {
    harness_config (&db, FALSE);
    cb = &db;
  }
  p->a = side_new ("A", ctx, ca);
  p->b = side_new ("B", ctx, cb);
  if (ca == &da)
    gst_p2p_link_config_clear (&da);
  if (cb == &db)
    gst_p2p_link_config_clear (&db);
}

static void
pair_free (Pair * p, GMainContext * ctx)
{
  side_free (p->a);
  side_free (p->b);
  /* let deferred teardowns run */
  while (g_main_context_iteration (ctx, FALSE));
}

/* ---- blobs ------------------------------------------------------------ */

typedef struct
{
  Side *side;
  guint64 expect;
} Want;

static gboolean
got_bytes (gpointer data)
{
  Want *w = data;
  return w[0].side->bytes_received >= w[0].expect
      && w[1].side->bytes_received >= w[1].expect;
}

static void
check_stream (Side * side, guint stream, const guint * seeds,
    const gsize * sizes, guint n)
{
  GPtrArray *arr = g_hash_table_lookup (side->received,
      GUINT_TO_POINTER (stream));
  guint i;

  fail_unless (arr != NULL, "%s got nothing on stream %u", side->name, stream);
  fail_unless_equals_int (arr->len, n);
  for (i = 0; i < n; i++) {
    GBytes *want = make_blob (seeds[i], sizes[i]);
    fail_unless (g_bytes_equal (want, g_ptr_array_index (arr, i)),
        "%s stream %u message %u differs", side->name, stream, i);
    g_bytes_unref (want);
  }
}

GST_START_TEST (test_blobs_several_streams)
{
  GMainContext *ctx = g_main_context_new ();
  Pair p;
  GError *err = NULL;
  /* A -> B: stream 1 one 4 MiB blob, stream 2 three messages, stream 3 a
   * 5 MiB blob and an empty message; B -> A: stream 1 3 MiB. */
  const guint s1_seed[] = { 11 }, s2_seed[] = { 21, 22, 23 },
      s3_seed[] = { 31, 32 }, r1_seed[] = { 41 };
  const gsize s1_size[] = { 4 << 20 }, s2_size[] = { 1 << 20, 777777, 1 },
      s3_size[] = { 5 << 20, 0 }, r1_size[] = { 3 << 20 };
  Want want[2];
  guint i;
  gint64 t0;
  GstP2pLinkStats st;

  g_main_context_push_thread_default (ctx);
  pair_new (&p, ctx, NULL, NULL);
  pair_start (&p);
  fail_unless (harness_iterate_until (ctx, 10000, both_connected, &p));
  fail_unless_equals_int (p.a->state, GST_P2P_LINK_STATE_CONNECTED);
  fail_unless_equals_int (p.b->state, GST_P2P_LINK_STATE_CONNECTED);

  t0 = g_get_monotonic_time ();
#define SEND(side, stream, seeds, sizes) \
  for (i = 0; i < G_N_ELEMENTS (seeds); i++) { \
    GBytes *b = make_blob (seeds[i], sizes[i]); \
    fail_unless (gst_p2p_link_send (side->link, stream, b, &err)); \
    g_assert_no_error (err); \
    g_bytes_unref (b); \
  }
  SEND (p.a, 1, s1_seed, s1_size);
  SEND (p.a, 2, s2_seed, s2_size);
  SEND (p.a, 3, s3_seed, s3_size);
  SEND (p.b, 1, r1_seed, r1_size);

  want[0].side = p.b;
  want[0].expect = (4 << 20) + (1 << 20) + 777777 + 1 + (5 << 20);
  want[1].side = p.a;
  want[1].expect = 3 << 20;
  fail_unless (harness_iterate_until (ctx, 30000, got_bytes, want),
      "only %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT " bytes arrived",
      p.b->bytes_received, p.a->bytes_received);
  GST_INFO ("%.1f MiB both ways in %.2f s",
      (want[0].expect + want[1].expect) / 1048576.0,
      (g_get_monotonic_time () - t0) / 1e6);

  check_stream (p.b, 1, s1_seed, s1_size, 1);
  check_stream (p.b, 2, s2_seed, s2_size, 3);
  check_stream (p.b, 3, s3_seed, s3_size, 2);
  check_stream (p.a, 1, r1_seed, r1_size, 1);

  gst_p2p_link_get_stats (p.b->link, &st);
  fail_unless_equals_int (st.messages_received, 6);
  fail_unless_equals_int (st.protocol_errors, 0);
  fail_unless_equals_int (st.fingerprint_mismatches, 0);
  fail_unless_equals_string (st.selected_local, "host");
  fail_unless (st.udp_rcvbuf >= 4 * 1024 * 1024,
      "UDP rcvbuf only %d", st.udp_rcvbuf);

  /* A clean close is seen by the peer as CLOSED, at once. */
  gst_p2p_link_close (p.a->link);
  fail_unless_equals_int (p.a->state, GST_P2P_LINK_STATE_CLOSED);
  fail_unless (harness_iterate_until (ctx, 2000, both_terminal, &p));
  fail_unless_equals_int (p.b->state, GST_P2P_LINK_STATE_CLOSED);

  pair_free (&p, ctx);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

GST_END_TEST;

static Suite *
transport_suite (void)
{
  Suite *s = suite_create ("transport-link");
  TCase *tc = tcase_create ("link");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_blobs_several_streams);
  return s;
}

GST_CHECK_MAIN (transport);
