/* GstP2pConnPolicy unit tests: who initiates, limits, backoff, giving up,
 * bans and their expiry, with the clock passed in.
 *
 * Threads: the test thread only.
 */
#include <gst/check/gstcheck.h>

#include "swarm/gstp2pconnpolicy.h"

#define S G_USEC_PER_SEC

GST_START_TEST (test_initiator)
{
  fail_unless (gst_p2p_conn_we_initiate ("Abc", "abc"));
  fail_if (gst_p2p_conn_we_initiate ("abc", "Abc"));
  fail_if (gst_p2p_conn_we_initiate ("abc", "abc"));
  /* exactly one side of any pair initiates */
  fail_unless (gst_p2p_conn_we_initiate ("-x", "0")
      != gst_p2p_conn_we_initiate ("0", "-x"));
}

GST_END_TEST;

GST_START_TEST (test_limits)
{
  GstP2pConnLimits l;
  GstP2pConnEntry e = { 0, };

  gst_p2p_conn_limits_init (&l);
  fail_unless_equals_int (gst_p2p_conn_may_connect (&l, &e, 0, 0, 0),
      GST_P2P_CONN_OK);
  fail_unless_equals_int (gst_p2p_conn_may_connect (&l, &e, l.max_peers, 0,
          0), GST_P2P_CONN_FULL);
  fail_unless_equals_int (gst_p2p_conn_may_connect (&l, &e, 1,
          l.max_pending, 0), GST_P2P_CONN_PENDING_FULL);
  fail_unless_equals_int (gst_p2p_conn_may_accept (&l, &e, l.max_peers, 0,
          0), GST_P2P_CONN_FULL);
  e.state = GST_P2P_CONN_PENDING;
  fail_unless_equals_int (gst_p2p_conn_may_connect (&l, &e, 1, 1, 0),
      GST_P2P_CONN_BUSY);
  fail_unless_equals_int (gst_p2p_conn_may_accept (&l, &e, 1, 1, 0),
      GST_P2P_CONN_BUSY);
}

GST_END_TEST;

GST_START_TEST (test_backoff)
{
  GstP2pConnLimits l;
  GstP2pConnEntry e = { 0, };
  gint64 now = 100 * S, prev = 0;
  guint i;

  gst_p2p_conn_limits_init (&l);
  for (i = 0; i < l.max_failures; i++) {
    gint64 wait;

    fail_unless_equals_int (gst_p2p_conn_may_connect (&l, &e, 0, 0, now),
        GST_P2P_CONN_OK);
    e.state = GST_P2P_CONN_PENDING;
    gst_p2p_conn_failed (&l, &e, now, 0.999);
    fail_unless_equals_int (e.state, GST_P2P_CONN_IDLE);
    wait = e.next_attempt - now;
    fail_unless (wait >= (gint64) l.retry_min_ms * 1000 / 2);
    fail_unless (wait <= (gint64) l.retry_max_ms * 1000);
    fail_unless (wait >= prev, "backoff shrank");
    prev = wait;
    /* accepting the peer's own attempt is not subject to backoff */
    fail_unless_equals_int (gst_p2p_conn_may_accept (&l, &e, 0, 0, now),
        GST_P2P_CONN_OK);
    if (i + 1 < l.max_failures)
      fail_unless_equals_int (gst_p2p_conn_may_connect (&l, &e, 0, 0, now),
          GST_P2P_CONN_BACKOFF);
    now = e.next_attempt;
  }
  fail_unless_equals_int (gst_p2p_conn_may_connect (&l, &e, 0, 0, now),
      GST_P2P_CONN_GAVE_UP);
  /* listed again by the tracker: one more attempt */
  gst_p2p_conn_seen (&l, &e, now);
  fail_unless_equals_int (gst_p2p_conn_may_connect (&l, &e, 0, 0, now),
      GST_P2P_CONN_OK);
  /* a success ends the streak */
  gst_p2p_conn_connected (&e);
  fail_unless_equals_int (e.failures, 0);
  gst_p2p_conn_closed (&l, &e, now);
  fail_unless_equals_int (gst_p2p_conn_may_connect (&l, &e, 0, 0, now),
      GST_P2P_CONN_BACKOFF);
  fail_unless_equals_int (gst_p2p_conn_may_connect (&l, &e, 0, 0,
          now + l.retry_min_ms * 1000), GST_P2P_CONN_OK);
}

GST_END_TEST;

GST_START_TEST (test_bans)
{
  GstP2pConnLimits l;
  GstP2pConnEntry e = { 0, };
  gint64 now = 10 * S;

  gst_p2p_conn_limits_init (&l);
  l.ban_ms = 1000;
  e.state = GST_P2P_CONN_CONNECTED;
  gst_p2p_conn_ban (&l, &e, now);
  fail_unless_equals_int (e.state, GST_P2P_CONN_IDLE);
  fail_unless (gst_p2p_conn_is_banned (&e, now));
  fail_unless_equals_int (gst_p2p_conn_may_connect (&l, &e, 0, 0, now),
      GST_P2P_CONN_BANNED);
  fail_unless_equals_int (gst_p2p_conn_may_accept (&l, &e, 0, 0, now + S - 1),
      GST_P2P_CONN_BANNED);
  /* expires */
  fail_unless_equals_int (gst_p2p_conn_may_accept (&l, &e, 0, 0, now + S),
      GST_P2P_CONN_OK);
  /* a repeat offender is banned twice as long, up to the cap */
  now += S;
  gst_p2p_conn_ban (&l, &e, now);
  fail_unless (gst_p2p_conn_is_banned (&e, now + 2 * S - 1));
  fail_if (gst_p2p_conn_is_banned (&e, now + 2 * S));
  e.bans = 60;
  gst_p2p_conn_ban (&l, &e, now);
  fail_unless_equals_int64 (e.banned_until - now,
      (gint64) GST_P2P_CONN_MAX_BAN_MS * 1000);
  /* being listed again does not lift a ban */
  gst_p2p_conn_seen (&l, &e, now);
  fail_unless (gst_p2p_conn_is_banned (&e, now));
}

GST_END_TEST;

/* Bans from outside the link (the engine's hash mismatch): an explicit
 * duration, a running longer ban kept, the cap, and the doubling rule when
 * no duration is given; the link state is the caller's. */
GST_START_TEST (test_ban_for)
{
  GstP2pConnLimits l;
  GstP2pConnEntry e = { 0, };
  gint64 now = 10 * S;

  gst_p2p_conn_limits_init (&l);
  l.ban_ms = 1000;
  e.state = GST_P2P_CONN_CONNECTED;
  gst_p2p_conn_ban_for (&l, &e, now, 5 * S);
  fail_unless_equals_int (e.state, GST_P2P_CONN_CONNECTED);
  fail_unless_equals_int (e.bans, 1);
  fail_unless (gst_p2p_conn_is_banned (&e, now + 5 * S - 1));
  fail_if (gst_p2p_conn_is_banned (&e, now + 5 * S));
  e.state = GST_P2P_CONN_IDLE;
  fail_unless_equals_int (gst_p2p_conn_may_accept (&l, &e, 0, 0, now + S),
      GST_P2P_CONN_BANNED);
  /* a shorter ban does not cut a running one short */
  gst_p2p_conn_ban_for (&l, &e, now, S);
  fail_unless (gst_p2p_conn_is_banned (&e, now + 5 * S - 1));
  /* capped */
  gst_p2p_conn_ban_for (&l, &e, now, G_MAXINT64 / 2);
  fail_unless_equals_int64 (e.banned_until - now,
      (gint64) GST_P2P_CONN_MAX_BAN_MS * 1000);
  /* no duration: ban_ms doubled per earlier ban (3 so far: 8 s) */
  e.banned_until = 0;
  gst_p2p_conn_ban_for (&l, &e, now, 0);
  fail_unless_equals_int64 (e.banned_until - now, 8 * S);
}

GST_END_TEST;

static Suite *
policy_suite (void)
{
  Suite *s = suite_create ("swarm-policy");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_initiator);
  tcase_add_test (tc, test_limits);
  tcase_add_test (tc, test_backoff);
  tcase_add_test (tc, test_bans);
  tcase_add_test (tc, test_ban_for);
  return s;
}

GST_CHECK_MAIN (policy);
