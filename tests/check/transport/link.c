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


/* ---- failures ---------------------------------------------------------- */

static gchar *
corrupt_fingerprint (Side * from, const gchar * line)
{
  gchar *out = g_strdup (line);

  /* flip one hex digit of a well-formed fingerprint */
  if (g_str_has_prefix (line, "a=fingerprint:sha-256 "))
    out[22] = out[22] == 'A' ? 'B' : 'A';
  return out;
}

GST_START_TEST (test_fingerprint_mismatch)
{
  GMainContext *ctx = g_main_context_new ();
  Pair p;
  GstP2pLinkStats sa, sb;

  g_main_context_push_thread_default (ctx);
  pair_new (&p, ctx, NULL, NULL);
  p.a->filter = corrupt_fingerprint;    /* B pins a wrong value for A */
  pair_start (&p);
  fail_unless (harness_iterate_until (ctx, 10000, both_terminal, &p));
  /* B refuses A's certificate; A sees the alert (or times out) */
  fail_unless_equals_int (p.b->state, GST_P2P_LINK_STATE_FAILED);
  fail_unless (strstr (p.b->reason, "fingerprint") != NULL, "%s", p.b->reason);
  fail_unless_equals_int (p.a->state, GST_P2P_LINK_STATE_FAILED);
  gst_p2p_link_get_stats (p.b->link, &sb);
  gst_p2p_link_get_stats (p.a->link, &sa);
  fail_unless_equals_int (sb.fingerprint_mismatches, 1);
  fail_unless_equals_int (sa.fingerprint_mismatches, 0);
  fail_unless_equals_int (sb.messages_received, 0);
  pair_free (&p, ctx);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

GST_END_TEST;

static void
short_deadlines (GstP2pLinkConfig * c, gboolean initiator)
{
  harness_config (c, initiator);
  c->ice.timeout_ms = 2000;
  c->connect_timeout_ms = 3000;
  c->peer_timeout_ms = 3000;
}

GST_START_TEST (test_ice_no_remote_candidates)
{
  GMainContext *ctx = g_main_context_new ();
  GstP2pLinkConfig ca, cb;
  Pair p;
  gint64 t0;

  g_main_context_push_thread_default (ctx);
  short_deadlines (&ca, TRUE);
  short_deadlines (&cb, FALSE);
  pair_new (&p, ctx, &ca, &cb);
  p.a->drop_candidates = TRUE;
  p.b->drop_candidates = TRUE;
  t0 = g_get_monotonic_time ();
  pair_start (&p);
  fail_unless (harness_iterate_until (ctx, 6000, both_terminal, &p));
  fail_unless_equals_int (p.a->state, GST_P2P_LINK_STATE_FAILED);
  fail_unless_equals_int (p.b->state, GST_P2P_LINK_STATE_FAILED);
  fail_unless (strstr (p.a->reason, "ICE") != NULL, "%s", p.a->reason);
  /* within the ICE deadline, with a little slack for the loop */
  fail_unless (p.a->state_time_us - t0 < 2600 * 1000);
  fail_unless (p.a->state_time_us - t0 >= 1900 * 1000);
  pair_free (&p, ctx);
  gst_p2p_link_config_clear (&ca);
  gst_p2p_link_config_clear (&cb);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

GST_END_TEST;

/* Every candidate points at a port nobody listens on. */
static gchar *
unreachable_candidates (Side * from, const gchar * line)
{
  gchar **f;
  gchar *out;

  if (!g_str_has_prefix (line, "a=candidate:"))
    return g_strdup (line);
  /* a=candidate:<foundation> <comp> <transport> <prio> <addr> <port> typ .. */
  f = g_strsplit (line, " ", -1);
  fail_unless (g_strv_length (f) >= 8);
  g_free (f[5]);
  f[5] = g_strdup ("9");
  out = g_strjoinv (" ", f);
  g_strfreev (f);
  return out;
}

GST_START_TEST (test_ice_unreachable)
{
  GMainContext *ctx = g_main_context_new ();
  GstP2pLinkConfig ca, cb;
  Pair p;
  gint64 t0;

  g_main_context_push_thread_default (ctx);
  short_deadlines (&ca, TRUE);
  short_deadlines (&cb, FALSE);
  pair_new (&p, ctx, &ca, &cb);
  p.a->filter = unreachable_candidates;
  p.b->filter = unreachable_candidates;
  t0 = g_get_monotonic_time ();
  pair_start (&p);
  fail_unless (harness_iterate_until (ctx, 6000, both_terminal, &p));
  fail_unless_equals_int (p.a->state, GST_P2P_LINK_STATE_FAILED);
  fail_unless_equals_int (p.b->state, GST_P2P_LINK_STATE_FAILED);
  fail_unless (p.a->state_time_us - t0 < 2600 * 1000);
  fail_unless (p.b->state_time_us - t0 < 2600 * 1000);
  pair_free (&p, ctx);
  gst_p2p_link_config_clear (&ca);
  gst_p2p_link_config_clear (&cb);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

GST_END_TEST;

/* Two contexts, iterated in turn while connecting; then A's is frozen: A
 * vanishes without a word, as a crashed or cut-off peer does. */
static gboolean
iterate_two_until (GMainContext * c1, GMainContext * c2, guint timeout_ms,
    gboolean (*cond) (gpointer), gpointer data)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (data) && g_get_monotonic_time () < end) {
    gboolean busy = g_main_context_iteration (c1, FALSE);
    busy |= g_main_context_iteration (c2, FALSE);
    if (!busy)
      g_usleep (500);
  }
  return cond (data);
}

GST_START_TEST (test_remote_vanishes)
{
  GMainContext *ca_ctx = g_main_context_new ();
  GMainContext *cb_ctx = g_main_context_new ();
  GstP2pLinkConfig ca, cb;
  Pair p;
  gint64 t0;
  GBytes *b;

  short_deadlines (&ca, TRUE);
  short_deadlines (&cb, FALSE);
  p.a = side_new ("A", ca_ctx, &ca);
  p.b = side_new ("B", cb_ctx, &cb);
  pair_start (&p);
  fail_unless (iterate_two_until (ca_ctx, cb_ctx, 10000, both_connected, &p));
  fail_unless_equals_int (p.b->state, GST_P2P_LINK_STATE_CONNECTED);

  /* B is in the middle of sending when A goes silent */
  b = make_blob (7, 4 << 20);
  fail_unless (gst_p2p_link_send (p.b->link, 1, b, NULL));
  g_bytes_unref (b);
  t0 = g_get_monotonic_time ();
  fail_unless (harness_iterate_until (cb_ctx, 8000, side_is_terminal, p.b));
  fail_unless_equals_int (p.b->state, GST_P2P_LINK_STATE_FAILED);
  fail_unless (strstr (p.b->reason, "silent") != NULL, "%s", p.b->reason);
  GST_INFO ("noticed after %.2f s", (p.b->state_time_us - t0) / 1e6);
  fail_unless (p.b->state_time_us - t0 < 4000 * 1000);

  side_free (p.a);
  side_free (p.b);
  while (g_main_context_iteration (ca_ctx, FALSE));
  while (g_main_context_iteration (cb_ctx, FALSE));
  gst_p2p_link_config_clear (&ca);
  gst_p2p_link_config_clear (&cb);
  g_main_context_unref (ca_ctx);
  g_main_context_unref (cb_ctx);
}

GST_END_TEST;

GST_START_TEST (test_liveness_decision)
{
  GstP2pLinkLiveness l = { 0, };

  l.connect_timeout_ms = 1000;
  l.peer_timeout_ms = 500;
  /* not started: never fails */
  fail_unless_equals_int (gst_p2p_link_liveness_check (&l, G_MAXINT64 / 2),
      GST_P2P_LINK_VERDICT_OK);
  l.started_us = 10 * G_USEC_PER_SEC;
  fail_unless_equals_int (gst_p2p_link_liveness_check (&l,
          l.started_us + 999 * 1000), GST_P2P_LINK_VERDICT_OK);
  fail_unless_equals_int (gst_p2p_link_liveness_check (&l,
          l.started_us + 1000 * 1000), GST_P2P_LINK_VERDICT_CONNECT_TIMEOUT);
  l.connected = TRUE;
  l.last_rx_us = l.started_us + 2 * G_USEC_PER_SEC;
  fail_unless_equals_int (gst_p2p_link_liveness_check (&l,
          l.last_rx_us + 499 * 1000), GST_P2P_LINK_VERDICT_OK);
  fail_unless_equals_int (gst_p2p_link_liveness_check (&l,
          l.last_rx_us + 500 * 1000), GST_P2P_LINK_VERDICT_PEER_SILENT);
}

GST_END_TEST;

/* ---- signalling input ------------------------------------------------- */

GST_START_TEST (test_bad_signals)
{
  GMainContext *ctx = g_main_context_new ();
  Pair p;
  GError *err = NULL;
  GstP2pLinkStats st;
  gchar *big = g_strnfill (5000, 'x');
  guint8 fp[32];
  const gchar *bad[] = {
    "", "hello", "a=ice-ufrag:", "a=fingerprint:sha-1 00:11",
    "a=fingerprint:sha-256 zz", "a=candidate:garbage",
    "a=candidate:1 1 TCP 2015363327 127.0.0.1 5000 typ host",
    "a=candidate:1 2 UDP 2015363327 127.0.0.1 5000 typ host",
  };
  guint i, n_bad = 0;

  g_main_context_push_thread_default (ctx);
  pair_new (&p, ctx, NULL, NULL);
  pair_start (&p);
  /* credentials first so candidates are parsed at once, not queued */
  fail_unless (harness_iterate_until (ctx, 10000, both_connected, &p));
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    /* after connection: every line is out of place or malformed */
    if (!gst_p2p_link_add_remote_signal (p.b->link, bad[i], &err))
      n_bad++;
    g_clear_error (&err);
  }
  fail_unless (!gst_p2p_link_add_remote_signal (p.b->link, big, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&err);
  fail_unless_equals_int (n_bad, G_N_ELEMENTS (bad));
  gst_p2p_link_get_stats (p.b->link, &st);
  fail_unless (st.bad_signals >= G_N_ELEMENTS (bad) + 1);
  /* a second, different fingerprint never replaces the pinned one */
  fail_unless (!gst_p2p_link_add_remote_signal (p.b->link,
          "a=fingerprint:sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
          "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00", NULL));
  /* the link is unharmed */
  fail_unless_equals_int (p.b->state, GST_P2P_LINK_STATE_CONNECTED);

  fail_unless (gst_p2p_dtls_parse_fingerprint
      (gst_p2p_link_get_local_fingerprint (p.a->link), fp));
  fail_if (gst_p2p_dtls_parse_fingerprint ("00:11", fp));
  fail_if (gst_p2p_dtls_parse_fingerprint
      ("00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
          "00:00:00:00:00:00:00:00:00:00:", fp));

  g_free (big);
  pair_free (&p, ctx);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

GST_END_TEST;

GST_START_TEST (test_env_config)
{
  GstP2pLinkConfig c;
  gchar *h, *u, *pw;
  guint port;

  g_setenv ("GST_P2P_STUN", "127.0.0.1:3479", TRUE);
  g_setenv ("GST_P2P_TURN", "turn://alice:s3:cret@[::1]:3480", TRUE);
  gst_p2p_link_config_init (&c);
  fail_unless_equals_string (c.ice.stun_host, "127.0.0.1");
  fail_unless_equals_int (c.ice.stun_port, 3479);
  fail_unless_equals_string (c.ice.turn_host, "::1");
  fail_unless_equals_int (c.ice.turn_port, 3480);
  fail_unless_equals_string (c.ice.turn_user, "alice");
  fail_unless_equals_string (c.ice.turn_pass, "s3:cret");
  gst_p2p_link_config_clear (&c);
  g_unsetenv ("GST_P2P_STUN");
  g_unsetenv ("GST_P2P_TURN");

  fail_if (gst_p2p_ice_parse_stun_uri ("stun.example.org:3478", &h, &port));
  fail_if (gst_p2p_ice_parse_stun_uri ("127.0.0.1:99999", &h, &port));
  fail_if (gst_p2p_ice_parse_turn_uri ("turn://127.0.0.1:3478", &h, &port,
          &u, &pw));
  fail_if (gst_p2p_ice_parse_turn_uri ("turns://a:b@127.0.0.1", &h, &port,
          &u, &pw));
  fail_unless (gst_p2p_ice_parse_turn_uri ("turn://a:b@127.0.0.1", &h, &port,
          &u, &pw));
  fail_unless_equals_int (port, 3478);
  g_free (h);
  g_free (u);
  g_free (pw);
}

GST_END_TEST;

/* ---- streams and flow control ---------------------------------------- */

static guint closed_stream = G_MAXUINT;

static void
on_stream_closed (GstP2pLink * link, guint stream, gpointer data)
{
  closed_stream = stream;
}

static gboolean
stream_closed_seen (gpointer data)
{
  return closed_stream != G_MAXUINT;
}

static gboolean
writable_seen (gpointer data)
{
  return ((Side *) data)->writable > 0;
}

GST_START_TEST (test_flow_control_and_stream_close)
{
  GMainContext *ctx = g_main_context_new ();
  GstP2pLinkConfig ca;
  Pair p;
  GError *err = NULL;
  GBytes *b = make_blob (3, 256 * 1024);
  GBytes *huge = make_blob (4, (1 << 20) + 1);
  guint accepted = 0;
  Want want[2];

  g_main_context_push_thread_default (ctx);
  harness_config (&ca, TRUE);
  ca.max_buffered = 1 << 20;
  ca.max_message = 1 << 20;
  pair_new (&p, ctx, &ca, NULL);
  g_signal_connect (p.b->link, "stream-closed", G_CALLBACK (on_stream_closed),
      NULL);
  pair_start (&p);
  fail_unless (harness_iterate_until (ctx, 10000, both_connected, &p));

  fail_if (gst_p2p_link_send (p.a->link, 0, huge, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&err);
  fail_if (gst_p2p_link_send (p.a->link, 999, b, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&err);

  /* fill the backlog without iterating: SCTP takes its 1 MiB, we 1 MiB */
  while (gst_p2p_link_send (p.a->link, 2, b, &err))
    accepted++;
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&err);
  fail_unless (accepted >= 4 && accepted <= 12, "%u", accepted);
  fail_unless (gst_p2p_link_get_buffered (p.a->link) <= (1 << 20));
  fail_unless (harness_iterate_until (ctx, 10000, writable_seen, p.a));

  gst_p2p_link_close_stream (p.a->link, 2);
  want[0].side = p.b;
  want[0].expect = (guint64) accepted *256 * 1024;
  want[1].side = p.a;
  want[1].expect = 0;
  fail_unless (harness_iterate_until (ctx, 10000, got_bytes, want));
  fail_unless (harness_iterate_until (ctx, 5000, stream_closed_seen, NULL));
  fail_unless_equals_int (closed_stream, 2);
  /* the id can be used again */
  fail_unless (harness_iterate_until (ctx, 200, stream_closed_seen, NULL));
  fail_unless (gst_p2p_link_send (p.a->link, 2, b, &err));
  g_assert_no_error (err);

  g_bytes_unref (b);
  g_bytes_unref (huge);
  pair_free (&p, ctx);
  gst_p2p_link_config_clear (&ca);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

GST_END_TEST;

/* A handler may drop the last reference from inside a layer callback. */
static void
unref_on_message (GstP2pLink * link, guint stream, GBytes * msg, Side * side)
{
  g_signal_handlers_disconnect_by_data (link, side);
  side->link = NULL;
  side->state = GST_P2P_LINK_STATE_CLOSED;
  g_object_unref (link);
}

GST_START_TEST (test_unref_in_handler)
{
  GMainContext *ctx = g_main_context_new ();
  Pair p;
  guint round;

  g_main_context_push_thread_default (ctx);
  /* twice: usrsctp is finished and initialised again in between */
  for (round = 0; round < 2; round++) {
    GBytes *b = make_blob (round, 100000);

    pair_new (&p, ctx, NULL, NULL);
    pair_start (&p);
    fail_unless (harness_iterate_until (ctx, 10000, both_connected, &p));
    g_signal_connect (p.b->link, "message", G_CALLBACK (unref_on_message), p.b);
    fail_unless (gst_p2p_link_send (p.a->link, 0, b, NULL));
    fail_unless (gst_p2p_link_send (p.a->link, 0, b, NULL));
    g_bytes_unref (b);
    /* B drops itself on the first message; A hears the ABORT */
    fail_unless (harness_iterate_until (ctx, 5000, both_terminal, &p));
    fail_unless_equals_int (p.a->state, GST_P2P_LINK_STATE_CLOSED);
    pair_free (&p, ctx);
  }
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
  tcase_add_test (tc, test_fingerprint_mismatch);
  tcase_add_test (tc, test_ice_no_remote_candidates);
  tcase_add_test (tc, test_ice_unreachable);
  tcase_add_test (tc, test_remote_vanishes);
  tcase_add_test (tc, test_liveness_decision);
  tcase_add_test (tc, test_bad_signals);
  tcase_add_test (tc, test_env_config);
  tcase_add_test (tc, test_flow_control_and_stream_close);
  tcase_add_test (tc, test_unref_in_handler);
  return s;
}

GST_CHECK_MAIN (transport);
