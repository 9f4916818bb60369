/* GstP2pLink across processes: the remote side is link-peer, a separate
 * program whose signalling runs over its stdin/stdout and whose link lives
 * on the process network loop. */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "linkharness.h"

static const gchar *
peer_path (void)
{
  return LINK_PEER_PATH;
}

static gboolean
side_and_child_connected (gpointer data)
{
  Side *side = data;
  return side_is_connected (side) && side->child->state
      && !strcmp (side->child->state, "connected");
}

typedef struct
{
  Side *side;
  guint64 expect;
} Want;

static gboolean
got_bytes (gpointer data)
{
  Want *w = data;
  return w->side->bytes_received >= w->expect || side_is_terminal (w->side);
}

GST_START_TEST (test_process_echo_blob)
{
  GMainContext *ctx = g_main_context_new ();
  const gchar *argv[] = { peer_path (), "--echo", "--local-address",
    "127.0.0.1", NULL
  };
  GstP2pLinkConfig c;
  GError *err = NULL;
  Side *side;
  GBytes *blob = make_blob (99, 8 << 20);
  GPtrArray *arr;
  Want want;

  g_main_context_push_thread_default (ctx);
  harness_config (&c, TRUE);
  side = side_new ("parent", ctx, &c);
  side->child = child_spawn ("child", argv, &err);
  g_assert_no_error (err);
  side->child->side = side;
  fail_unless (gst_p2p_link_start (side->link, &err));
  fail_unless (harness_iterate_until (ctx, 10000, side_and_child_connected,
          side));
  fail_unless_equals_int (side->state, GST_P2P_LINK_STATE_CONNECTED);

  fail_unless (gst_p2p_link_send (side->link, 1, blob, &err));
  g_assert_no_error (err);
  want.side = side;
  want.expect = 8 << 20;
  fail_unless (harness_iterate_until (ctx, 30000, got_bytes, &want));
  arr = g_hash_table_lookup (side->received, GUINT_TO_POINTER (1));
  fail_unless (arr && arr->len == 1);
  fail_unless (g_bytes_equal (blob, g_ptr_array_index (arr, 0)));

  /* our close reaches the other process as a clean CLOSED */
  gst_p2p_link_close (side->link);
  fail_unless (harness_iterate_until (ctx, 3000, child_exited, side->child));
  fail_unless_equals_string (side->child->state, "closed");

  child_free (side->child);
  side_free (side);
  g_bytes_unref (blob);
  gst_p2p_link_config_clear (&c);
  while (g_main_context_iteration (ctx, FALSE));
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

GST_END_TEST;

static GBytes *chunk;

static void
keep_sending (GstP2pLink * link, gpointer data)
{
  while (gst_p2p_link_send (link, 1, chunk, NULL));
}

static gboolean
child_progressed (gpointer data)
{
  Side *side = data;
  return side->child->progress >= (4 << 20) || side_is_terminal (side);
}

GST_START_TEST (test_process_killed_mid_transfer)
{
  GMainContext *ctx = g_main_context_new ();
  const gchar *argv[] = { peer_path (), "--sink", "--local-address",
    "127.0.0.1", "--peer-timeout", "3000", NULL
  };
  GstP2pLinkConfig c;
  GError *err = NULL;
  Side *side;
  gint64 t0;

  g_main_context_push_thread_default (ctx);
  chunk = make_blob (5, 1 << 20);
  harness_config (&c, TRUE);
  c.peer_timeout_ms = 3000;
  side = side_new ("parent", ctx, &c);
  side->child = child_spawn ("child", argv, &err);
  g_assert_no_error (err);
  side->child->side = side;
  g_signal_connect (side->link, "writable", G_CALLBACK (keep_sending), NULL);
  fail_unless (gst_p2p_link_start (side->link, &err));
  fail_unless (harness_iterate_until (ctx, 10000, side_and_child_connected,
          side));

  keep_sending (side->link, NULL);
  fail_unless (harness_iterate_until (ctx, 20000, child_progressed, side));
  fail_unless_equals_int (side->state, GST_P2P_LINK_STATE_CONNECTED);

  /* SIGKILL: no ABORT, no close_notify, the socket just goes away */
  g_subprocess_force_exit (side->child->proc);
  t0 = g_get_monotonic_time ();
  fail_unless (harness_iterate_until (ctx, 8000, side_is_terminal, side));
  fail_unless_equals_int (side->state, GST_P2P_LINK_STATE_FAILED);
  GST_INFO ("kill noticed after %.2f s: %s",
      (side->state_time_us - t0) / 1e6, side->reason);
  fail_unless (side->state_time_us - t0 < 4000 * 1000, "took %.2f s",
      (side->state_time_us - t0) / 1e6);

  child_free (side->child);
  side_free (side);
  g_bytes_unref (chunk);
  gst_p2p_link_config_clear (&c);
  while (g_main_context_iteration (ctx, FALSE));
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

GST_END_TEST;

static Suite *
transport_suite (void)
{
  Suite *s = suite_create ("transport-process");
  TCase *tc = tcase_create ("process");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_process_echo_blob);
  tcase_add_test (tc, test_process_killed_mid_transfer);
  return s;
}

GST_CHECK_MAIN (transport);
