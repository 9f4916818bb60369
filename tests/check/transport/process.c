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

/* A link to a link-peer --sink process, connected, with the parent
 * sending 1 MiB messages as fast as the link takes them. */
static Side *
start_sending_to_sink (GMainContext * ctx, GstP2pLinkConfig * c,
    guint peer_timeout_ms)
{
  gchar *timeout = g_strdup_printf ("%u", peer_timeout_ms);
  const gchar *argv[] = { peer_path (), "--sink", "--local-address",
    "127.0.0.1", peer_timeout_ms ? "--peer-timeout" : NULL, timeout, NULL
  };
  GError *err = NULL;
  Side *side;

  chunk = make_blob (5, 1 << 20);
  harness_config (c, TRUE);
  if (peer_timeout_ms)
    c->peer_timeout_ms = peer_timeout_ms;
  side = side_new ("parent", ctx, c);
  side->child = child_spawn ("child", argv, &err);
  g_assert_no_error (err);
  side->child->side = side;
  g_free (timeout);
  g_signal_connect (side->link, "writable", G_CALLBACK (keep_sending), NULL);
  fail_unless (gst_p2p_link_start (side->link, &err));
  fail_unless (harness_iterate_until (ctx, 10000, side_and_child_connected,
          side));
  keep_sending (side->link, NULL);
  return side;
}

static void
sink_test_end (GMainContext * ctx, Side * side, GstP2pLinkConfig * c)
{
  child_free (side->child);
  side_free (side);
  g_bytes_unref (chunk);
  gst_p2p_link_config_clear (c);
  while (g_main_context_iteration (ctx, FALSE));
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

typedef struct
{
  gint64 last_us;
  gint64 max_gap_us;
  guint ticks;
} Ticker;

static gboolean
tick (gpointer data)
{
  Ticker *t = data;
  gint64 now = g_get_monotonic_time ();

  if (t->last_us)
    t->max_gap_us = MAX (t->max_gap_us, now - t->last_us);
  t->last_us = now;
  t->ticks++;
  return G_SOURCE_CONTINUE;
}

static gboolean
link_unacked_zero (gpointer data)
{
  return gst_p2p_link_get_unacked (data) == 0;
}

static gboolean
flag_up (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* A link sending as fast as the path takes must leave its context to the
 * other sources on it: in the product that context also runs every other
 * link, the tracker client, the CDN fetches and all deadlines. */
GST_START_TEST (test_process_sender_leaves_context_responsive)
{
  GMainContext *ctx = g_main_context_new ();
  GstP2pLinkConfig c;
  Side *side;
  Ticker ticker = { 0, };
  GSource *timer, *end;
  gboolean done = FALSE;

  g_main_context_push_thread_default (ctx);
  timer = g_timeout_source_new (10);
  g_source_set_callback (timer, tick, &ticker, NULL);
  side = start_sending_to_sink (ctx, &c, 0);
  g_source_attach (timer, ctx);
  /* 3 s of a full-rate transfer, measured by the timer's gaps */
  end = g_timeout_source_new (3000);
  g_source_set_callback (end, flag_up, &done, NULL);
  g_source_attach (end, ctx);
  while (!done)
    g_main_context_iteration (ctx, TRUE);
  g_source_unref (end);
  g_source_destroy (timer);
  g_source_unref (timer);

  GST_INFO ("%u ticks, longest gap %.1f ms, child got %" G_GUINT64_FORMAT
      " bytes", ticker.ticks, ticker.max_gap_us / 1e3, side->child->progress);
  fail_unless_equals_int (side->state, GST_P2P_LINK_STATE_CONNECTED);
  /* the transfer really ran at speed while the timer kept ticking */
  fail_unless (side->child->progress >= (16 << 20), "child got %"
      G_GUINT64_FORMAT " bytes", side->child->progress);
  fail_unless (ticker.max_gap_us < 250 * 1000, "timer starved for %.1f ms",
      ticker.max_gap_us / 1e3);

  /* unacked counts what SCTP holds beyond our own queue, and drains to
   * nothing once the peer has acknowledged everything */
  fail_unless (gst_p2p_link_get_unacked (side->link) >
      gst_p2p_link_get_buffered (side->link));
  g_signal_handlers_disconnect_by_func (side->link, keep_sending, NULL);
  fail_unless (harness_iterate_until (ctx, 5000, link_unacked_zero,
          side->link));

  gst_p2p_link_close (side->link);
  fail_unless (harness_iterate_until (ctx, 5000, child_exited, side->child));
  sink_test_end (ctx, side, &c);
}

GST_END_TEST;

GST_START_TEST (test_process_killed_mid_transfer)
{
  GMainContext *ctx = g_main_context_new ();
  GstP2pLinkConfig c;
  Side *side;
  gint64 t0;

  g_main_context_push_thread_default (ctx);
  side = start_sending_to_sink (ctx, &c, 3000);
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
  sink_test_end (ctx, side, &c);
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
  tcase_add_test (tc, test_process_sender_leaves_context_responsive);
  tcase_add_test (tc, test_process_killed_mid_transfer);
  return s;
}

GST_CHECK_MAIN (transport);
