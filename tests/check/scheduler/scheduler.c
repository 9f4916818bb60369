/* Unit tests of the delivery policy (gst/scheduler/) and the segment store
 * (gst/store/): one test per rule of docs/scheduler.md, driven by a clock
 * the test advances (microseconds) and seeded randomness; no network.
 *
 * Threads: the test's own thread, plus the store's concurrency test.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "store/gstp2psegmentstore.h"
#include "scheduler/gstp2pratecap.h"
#include "scheduler/gstp2puploadgate.h"
#include "scheduler/gstp2ppeerselect.h"
#include "scheduler/gstp2pseedrank.h"
#include "scheduler/gstp2pscheduler.h"

#define MS G_GINT64_CONSTANT (1000)
#define SEC G_GINT64_CONSTANT (1000000)
#define SEG_DUR (2 * SEC)
#define SEG_SIZE (750 * 1000)

static const guint8 swarm[32] = { 0x5a, 1, 2, 3 };

static void
make_id (guint8 * id, guint n)
{
  memset (id, 0, GST_P2P_SCHEDULER_PEER_ID_SIZE);
  id[0] = 0xee;
  id[12] = (n >> 24) & 0xff;
  id[13] = (n >> 16) & 0xff;
  id[14] = (n >> 8) & 0xff;
  id[15] = n & 0xff;
}

static GBytes *
make_bytes (gsize n)
{
  return g_bytes_new_take (g_malloc0 (n), n);
}

static void
store_put (GstP2pSegmentStore * store, guint64 id, gsize n, gint64 now)
{
  GBytes *b = make_bytes (n);
  fail_unless (gst_p2p_segment_store_put (store, swarm, id, b, NULL, now));
  g_bytes_unref (b);
}

/* ---------------------------------------------------------------- store */

GST_START_TEST (test_store_eviction_order)
{
  GstP2pSegmentStore *store = gst_p2p_segment_store_new (1000);
  GstP2pSegmentStoreStats st;
  GBytes *b;

  store_put (store, 1, 300, 1);
  store_put (store, 2, 300, 2);
  store_put (store, 3, 300, 3);
  /* 2 becomes the most recently used */
  b = gst_p2p_segment_store_get (store, swarm, 2, NULL, 4);
  fail_unless (b != NULL);
  g_bytes_unref (b);
  /* 4 does not fit: the least recently used (1) goes */
  store_put (store, 4, 300, 5);
  fail_if (gst_p2p_segment_store_contains (store, swarm, 1));
  fail_unless (gst_p2p_segment_store_contains (store, swarm, 2));
  fail_unless (gst_p2p_segment_store_contains (store, swarm, 3));
  /* then 3, not 2 */
  store_put (store, 5, 300, 6);
  fail_if (gst_p2p_segment_store_contains (store, swarm, 3));
  fail_unless (gst_p2p_segment_store_contains (store, swarm, 2));

  /* out of the live window goes first even if recently used: 2 < 3 */
  b = gst_p2p_segment_store_get (store, swarm, 2, NULL, 7);
  g_bytes_unref (b);
  gst_p2p_segment_store_set_live_window (store, swarm, 3);
  store_put (store, 6, 300, 8);
  fail_if (gst_p2p_segment_store_contains (store, swarm, 2));
  fail_unless (gst_p2p_segment_store_contains (store, swarm, 4));
  fail_unless (gst_p2p_segment_store_contains (store, swarm, 5));

  gst_p2p_segment_store_get_stats (store, &st);
  fail_unless_equals_int (st.bytes, 900);
  fail_unless_equals_int (st.n_segments, 3);
  fail_unless_equals_int (st.evictions, 3);
  fail_unless_equals_int (st.evictions_stale, 1);
  fail_unless_equals_int (st.hits, 2);

  b = gst_p2p_segment_store_get (store, swarm, 99, NULL, 9);
  fail_unless (b == NULL);
  /* bigger than the whole budget: refused, nothing evicted */
  b = make_bytes (1001);
  fail_if (gst_p2p_segment_store_put (store, swarm, 7, b, NULL, 10));
  g_bytes_unref (b);
  gst_p2p_segment_store_get_stats (store, &st);
  fail_unless_equals_int (st.misses, 1);
  fail_unless_equals_int (st.refused, 1);
  fail_unless_equals_int (st.n_segments, 3);

  /* a smaller budget evicts at once */
  gst_p2p_segment_store_set_max_bytes (store, 500);
  gst_p2p_segment_store_get_stats (store, &st);
  fail_unless (st.bytes <= 500);
  fail_unless_equals_int (st.n_segments, 1);
  gst_p2p_segment_store_unref (store);
}

GST_END_TEST;

GST_START_TEST (test_store_sha_and_replace)
{
  GstP2pSegmentStore *store = gst_p2p_segment_store_new (0);
  GstP2pSegmentStoreStats st;
  guint8 sha[32], out[32];
  GBytes *b = make_bytes (100), *got;

  memset (sha, 0xab, sizeof (sha));
  fail_unless (gst_p2p_segment_store_put (store, swarm, 1, b, sha, 0));
  fail_unless (gst_p2p_segment_store_put (store, swarm, 1, b, sha, 0));
  g_bytes_unref (b);
  got = gst_p2p_segment_store_get (store, swarm, 1, out, 1);
  fail_unless (memcmp (sha, out, 32) == 0);
  g_bytes_unref (got);
  gst_p2p_segment_store_get_stats (store, &st);
  fail_unless_equals_int (st.bytes, 100);
  fail_unless_equals_int (st.max_bytes,
      GST_P2P_SEGMENT_STORE_DEFAULT_MAX_BYTES);
  fail_unless (gst_p2p_segment_store_remove (store, swarm, 1));
  fail_if (gst_p2p_segment_store_remove (store, swarm, 1));
  gst_p2p_segment_store_unref (store);
}

GST_END_TEST;

static gpointer
store_hammer (gpointer data)
{
  GstP2pSegmentStore *store = data;
  GRand *r = g_rand_new_with_seed (GPOINTER_TO_UINT (g_thread_self ()));
  guint i;

  for (i = 0; i < 20000; i++) {
    guint64 id = g_rand_int_range (r, 0, 64);
    if (g_rand_boolean (r)) {
      GBytes *b = make_bytes (g_rand_int_range (r, 1, 400));
      gst_p2p_segment_store_put (store, swarm, id, b, NULL, i);
      g_bytes_unref (b);
    } else {
      GBytes *b = gst_p2p_segment_store_get (store, swarm, id, NULL, i);
      if (b)
        g_bytes_unref (b);
    }
  }
  g_rand_free (r);
  return NULL;
}

GST_START_TEST (test_store_threads)
{
  GstP2pSegmentStore *store = gst_p2p_segment_store_new (4000);
  GstP2pSegmentStoreStats st;
  GThread *t[4];
  guint i;

  for (i = 0; i < 4; i++)
    t[i] = g_thread_new ("hammer", store_hammer, store);
  for (i = 0; i < 4; i++)
    g_thread_join (t[i]);
  gst_p2p_segment_store_get_stats (store, &st);
  fail_unless (st.bytes <= 4000);
  fail_unless (st.evictions > 0);
  fail_unless_equals_int (st.hits + st.misses > 0, TRUE);
  gst_p2p_segment_store_unref (store);
}

GST_END_TEST;

/* ------------------------------------------------------- rate cap, gate */

GST_START_TEST (test_rate_cap_over_time)
{
  GstP2pRateCap tb;
  gint64 now = 0, end = 10 * SEC;
  guint64 sent = 0;
  guint msgs = 0;

  /* 100 kB/s, 16 KiB burst, 1000-byte messages sent as soon as allowed */
  gst_p2p_rate_cap_init (&tb, 100000, 16384, now);
  while (now < end) {
    if (gst_p2p_rate_cap_try_take (&tb, 1000, now)) {
      sent += 1000;
      msgs++;
      continue;
    }
    now += MAX (gst_p2p_rate_cap_delay (&tb, 1000, now), 1);
  }
  /* rate * T + burst, within one message */
  fail_unless (sent <= 100000 * 10 + 16384 + 1000, "sent %" G_GUINT64_FORMAT,
      sent);
  fail_unless (sent >= 100000 * 10 + 16384 - 2000, "sent %" G_GUINT64_FORMAT,
      sent);

  /* a message larger than the burst still passes, and is paid for */
  gst_p2p_rate_cap_init (&tb, 10000, 1000, 0);
  fail_unless (gst_p2p_rate_cap_try_take (&tb, 5000, 0));
  fail_if (gst_p2p_rate_cap_try_take (&tb, 1000, 0));
  /* 4000 bytes of debt + 1000 for the next = 0.5 s */
  fail_unless (gst_p2p_rate_cap_delay (&tb, 1000, 0) >= 499 * MS);
  fail_unless (gst_p2p_rate_cap_delay (&tb, 1000, 0) <= 501 * MS);
  fail_unless (gst_p2p_rate_cap_try_take (&tb, 1000, 501 * MS));

  /* idle time does not accumulate beyond the burst */
  gst_p2p_rate_cap_init (&tb, 10000, 1000, 0);
  fail_unless (gst_p2p_rate_cap_try_take (&tb, 1000, 100 * SEC));
  fail_if (gst_p2p_rate_cap_try_take (&tb, 1000, 100 * SEC));

  /* rate 0: no cap */
  gst_p2p_rate_cap_init (&tb, 0, 0, 0);
  fail_unless (gst_p2p_rate_cap_try_take (&tb, G_MAXUINT32, 0));
  fail_unless_equals_int (gst_p2p_rate_cap_delay (&tb, G_MAXUINT32, 0), 0);
}

GST_END_TEST;

GST_START_TEST (test_upload_gate)
{
  GstP2pUploadGate gate;
  guint i;

  gst_p2p_upload_gate_init (&gate, FALSE, 2, 0, 0, 0);
  fail_unless_equals_int (gst_p2p_upload_gate_admit (&gate, TRUE),
      GST_P2P_UPLOAD_REFUSE_OFF);

  gst_p2p_upload_gate_init (&gate, TRUE, 2, 50000, 16384, 0);
  fail_unless_equals_int (gst_p2p_upload_gate_admit (&gate, FALSE),
      GST_P2P_UPLOAD_REFUSE_NOT_HAVE);
  for (i = 0; i < 2; i++)
    fail_unless_equals_int (gst_p2p_upload_gate_admit (&gate, TRUE),
        GST_P2P_UPLOAD_ACCEPT);
  fail_unless_equals_int (gst_p2p_upload_gate_admit (&gate, TRUE),
      GST_P2P_UPLOAD_REFUSE_BUSY);
  gst_p2p_upload_gate_release (&gate);
  fail_unless_equals_int (gst_p2p_upload_gate_admit (&gate, TRUE),
      GST_P2P_UPLOAD_ACCEPT);
  /* pacing: the burst goes at once, then 16 KiB per 16384/50000 s */
  fail_unless_equals_int (gst_p2p_upload_gate_pace (&gate, 16384, 0), 0);
  fail_unless (gst_p2p_upload_gate_pace (&gate, 16384, 0) > 300 * MS);
  fail_unless_equals_int (gst_p2p_upload_gate_pace (&gate, 16384, 330 * MS), 0);
}

GST_END_TEST;

/* ----------------------------------------------------------- peer choice */

GST_START_TEST (test_peer_select_throughput)
{
  GstP2pPeerCandidate c[3] = {
    {100000, 20 * MS, 0},       /* slow */
    {5000000, 40 * MS, 0},      /* fast */
    {1000000, 10 * MS, 0},
  };
  GstP2pPeerSelectParams p = { 0.0, 250000, 100 * MS };
  GRand *r = g_rand_new_with_seed (1);
  gboolean explored;
  guint i;

  for (i = 0; i < 100; i++)
    fail_unless_equals_int (gst_p2p_peer_select (c, 3, SEG_SIZE, 10 * SEC,
            &p, r, &explored), 1);
  fail_if (explored);
  /* the fast one is busy with our other request: eta doubles, still best */
  c[1].in_flight = 1;
  fail_unless_equals_int (gst_p2p_peer_select (c, 3, SEG_SIZE, 10 * SEC, &p,
          r, NULL), 1);
  c[1].in_flight = 0;
  /* nobody can make it in 100 ms */
  fail_unless_equals_int (gst_p2p_peer_select (c, 3, SEG_SIZE, 100 * MS, &p,
          r, NULL), -1);
  /* only the fast one can make it in 0.3 s */
  fail_unless_equals_int (gst_p2p_peer_select (c, 3, SEG_SIZE, 300 * MS, &p,
          r, NULL), 1);
  g_rand_free (r);
}

GST_END_TEST;

GST_START_TEST (test_peer_select_exploration)
{
  GstP2pPeerCandidate c[4] = {
    {5000000, 20 * MS, 0},
    {1000000, 20 * MS, 0},
    {0, 0, 0},                  /* unmeasured */
    {800000, 20 * MS, 0},
  };
  GstP2pPeerSelectParams p = { 0.2, 250000, 100 * MS };
  GRand *r = g_rand_new_with_seed (42), *r2;
  guint counts[4] = { 0 }, n_explored = 0, i;
  gint picks[50];

  for (i = 0; i < 10000; i++) {
    gboolean explored;
    gint k = gst_p2p_peer_select (c, 4, SEG_SIZE, 60 * SEC, &p, r, &explored);
    fail_unless (k >= 0);
    counts[k]++;
    n_explored += explored;
    if (explored)
      fail_unless_equals_int (k, 2);    /* unmeasured first */
  }
  /* ~20 % explorations, all to the unmeasured peer; the rest to the best */
  fail_unless (n_explored > 1700 && n_explored < 2300, "%u", n_explored);
  fail_unless_equals_int (counts[0] + counts[2], 10000);
  fail_unless_equals_int (counts[1] + counts[3], 0);

  /* once everyone is measured, exploration spreads over all peers */
  c[2].throughput = 300000;
  memset (counts, 0, sizeof (counts));
  for (i = 0; i < 10000; i++)
    counts[gst_p2p_peer_select (c, 4, SEG_SIZE, 60 * SEC, &p, r, NULL)]++;
  for (i = 1; i < 4; i++)
    fail_unless (counts[i] > 300 && counts[i] < 700, "peer %u: %u", i,
        counts[i]);

  /* the same seed gives the same choices */
  g_rand_set_seed (r, 7);
  r2 = g_rand_new_with_seed (7);
  for (i = 0; i < 50; i++)
    picks[i] = gst_p2p_peer_select (c, 4, SEG_SIZE, 60 * SEC, &p, r, NULL);
  for (i = 0; i < 50; i++)
    fail_unless_equals_int (gst_p2p_peer_select (c, 4, SEG_SIZE, 60 * SEC,
            &p, r2, NULL), picks[i]);
  g_rand_free (r);
  g_rand_free (r2);
}

GST_END_TEST;

/* -------------------------------------------------------------- scheduler */

typedef struct
{
  GstP2pSegmentStore *store;
  GstP2pScheduler *sched;
  GstP2pSchedulerParams params;
  guint8 self[16];
} Fixture;

static void
fixture_init (Fixture * f, guint self, gint64 now)
{
  f->store = gst_p2p_segment_store_new (0);
  gst_p2p_scheduler_params_init (&f->params);
  /* the rules on the bare play clock; test_play_reserve checks the reserve */
  f->params.play_reserve_segments = 0;
  make_id (f->self, self);
  f->sched = gst_p2p_scheduler_new (&f->params, f->store, swarm, f->self,
      1234 + self, now);
}

/* a new scheduler after the test changed f->params */
static void
fixture_reparam (Fixture * f, guint32 seed)
{
  gst_p2p_scheduler_free (f->sched);
  f->sched = gst_p2p_scheduler_new (&f->params, f->store, swarm, f->self,
      seed, 0);
}

static void
fixture_clear (Fixture * f)
{
  gst_p2p_scheduler_free (f->sched);
  gst_p2p_segment_store_unref (f->store);
}

/* first playlist: segments first..last, already published */
static void
add_playlist (Fixture * f, guint64 first, guint64 last, gint64 now)
{
  guint64 i;
  for (i = first; i <= last; i++)
    gst_p2p_scheduler_add_segment (f->sched, i, SEG_DUR, SEG_SIZE, now);
}

/* completes a transfer: stored, reported */
static void
complete (Fixture * f, const GstP2pDecision * d, gint64 now)
{
  store_put (f->store, d->segment_id, SEG_SIZE, now);
  gst_p2p_scheduler_transfer_done (f->sched, d->transfer_id,
      GST_P2P_TRANSFER_OK, SEG_SIZE, now);
}

GST_START_TEST (test_startup_from_cdn)
{
  Fixture f;
  GstP2pDecision d;
  guint8 peer[16];

  fixture_init (&f, 1, 0);
  make_id (peer, 2);
  fail_unless (gst_p2p_scheduler_peer_added (f.sched, peer, TRUE, TRUE, 0));
  add_playlist (&f, 10, 14, 0);
  gst_p2p_scheduler_peer_have (f.sched, peer, 12, 0);
  /* before the player asks: nothing in the old part of the playlist */
  fail_if (gst_p2p_scheduler_next (f.sched, 0, &d));
  /* the first fragment comes from the CDN even though a peer has it */
  gst_p2p_scheduler_player_request (f.sched, 12, 10 * MS, &d);
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_FETCH_CDN);
  fail_unless_equals_string (d.reason, "start-up");
  fail_unless_equals_int (d.offset, 0);
  fail_unless (d.transfer_id != 0);
  /* a second request while it runs: wait for it */
  gst_p2p_scheduler_player_request (f.sched, 12, 20 * MS, &d);
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_WAIT);
  fixture_clear (&f);
}

GST_END_TEST;

/* The legacy hlsdemux of the lab: it starts three segments from the end,
 * takes those at once, then asks for each new segment the moment the
 * playlist shows it. The play clock puts that request's deadline three
 * durations away, so the request waits for the swarm instead of going to
 * the CDN, and a peer that gets the segment in that time serves it. */
GST_START_TEST (test_edge_request_waits_for_the_swarm)
{
  Fixture f;
  GstP2pDecision d;
  guint8 peer[16];
  gint64 now = 0, fallback;
  guint64 id;

  fixture_init (&f, 1, now);
  f.params.seeding = FALSE;
  fixture_reparam (&f, 99);
  make_id (peer, 2);
  gst_p2p_scheduler_peer_added (f.sched, peer, TRUE, TRUE, now);
  add_playlist (&f, 10, 14, now);
  /* start-up: 12, 13, 14 back to back, the demuxer filling its buffer
   * before playing: all from the CDN at once, even though a peer has 13 */
  gst_p2p_scheduler_peer_have (f.sched, peer, 13, now);
  for (id = 12; id <= 14; id++) {
    gst_p2p_scheduler_player_request (f.sched, id, now, &d);
    fail_unless_equals_int (d.kind, GST_P2P_DECISION_FETCH_CDN);
    fail_unless_equals_string (d.reason, "start-up");
    fail_unless_equals_int64 (gst_p2p_scheduler_get_deadline (f.sched, id),
        (id - 12) * SEG_DUR);
    now += 20 * MS;
    complete (&f, &d, now);
  }

  /* 15 appears 2 s later and is asked for at once; it plays after 12, 13
   * and 14, 6 s after the clock started */
  now = 2 * SEC;
  gst_p2p_scheduler_add_segment (f.sched, 15, SEG_DUR, SEG_SIZE, now);
  gst_p2p_scheduler_player_request (f.sched, 15, now, &d);
  fail_unless_equals_int64 (gst_p2p_scheduler_get_deadline (f.sched, 15),
      6 * SEC);
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_WAIT);
  /* the waiter's backstop is the CDN fallback: deadline - CDN - margin */
  fallback = d.until;
  fail_unless (fallback > now + 3 * SEC && fallback < 6 * SEC - 500 * MS,
      "fallback at %" G_GINT64_FORMAT, fallback);
  fail_if (gst_p2p_scheduler_next (f.sched, now, &d));
  fail_unless_equals_int64 (gst_p2p_scheduler_next_wakeup (f.sched), fallback);

  /* a peer announces it 1 s later: fetched from the peer */
  now += SEC;
  gst_p2p_scheduler_peer_have (f.sched, peer, 15, now);
  fail_unless (gst_p2p_scheduler_next (f.sched, now, &d));
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_FETCH_PEER);
  fail_unless_equals_int (d.segment_id, 15);
  complete (&f, &d, now + 400 * MS);
  now += 400 * MS;

  /* 16: nobody ever has it: CDN at the fallback, not before */
  now = 4 * SEC;
  gst_p2p_scheduler_add_segment (f.sched, 16, SEG_DUR, SEG_SIZE, now);
  gst_p2p_scheduler_player_request (f.sched, 16, now, &d);
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_WAIT);
  fallback = d.until;
  fail_if (gst_p2p_scheduler_next (f.sched, fallback - MS, &d));
  fail_unless (gst_p2p_scheduler_next (f.sched, fallback, &d));
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_FETCH_CDN);
  fail_unless_equals_int (d.segment_id, 16);
  fail_unless_equals_string (d.reason, "deadline");
  fixture_clear (&f);
}

GST_END_TEST;

/* The clock is a lower bound: it restarts where it could be wrong. */
GST_START_TEST (test_play_clock_reanchors)
{
  Fixture f;
  GstP2pDecision d;
  gint64 now = 0;

  fixture_init (&f, 1, now);
  add_playlist (&f, 10, 30, now);
  gst_p2p_scheduler_player_request (f.sched, 10, now, &d);
  complete (&f, &d, now + 20 * MS);
  gst_p2p_scheduler_player_request (f.sched, 11, now + 30 * MS, &d);
  fail_unless_equals_int64 (gst_p2p_scheduler_get_deadline (f.sched, 11),
      2 * SEC);

  /* a jump ahead (the demuxer skipped to the live edge): the clock starts
   * again at the request, which may play at once */
  now = 500 * MS;
  gst_p2p_scheduler_player_request (f.sched, 20, now, &d);
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_FETCH_CDN);
  fail_unless_equals_int64 (gst_p2p_scheduler_get_deadline (f.sched, 20), now);
  fail_unless_equals_int64 (gst_p2p_scheduler_get_deadline (f.sched, 22),
      now + 4 * SEC);

  /* asked later than the clock says it plays (the player stalled): the
   * clock moves to the request */
  now = 10 * SEC;
  gst_p2p_scheduler_player_request (f.sched, 21, now, &d);
  fail_unless_equals_int64 (gst_p2p_scheduler_get_deadline (f.sched, 21), now);
  fail_unless_equals_int64 (gst_p2p_scheduler_get_deadline (f.sched, 22),
      now + 2 * SEC);
  fixture_clear (&f);
}

GST_END_TEST;

/* Segments must be complete a reserve before they play: the player
 * rebuffers when its queue runs low, not when it is empty. */
GST_START_TEST (test_play_reserve)
{
  Fixture f;
  GstP2pDecision d;
  gint64 now = 0;
  guint64 id;

  fixture_init (&f, 1, now);
  f.params.play_reserve_segments = 1.0;
  fixture_reparam (&f, 7);
  add_playlist (&f, 10, 12, now);
  for (id = 10; id <= 12; id++) {
    gst_p2p_scheduler_player_request (f.sched, id, now, &d);
    complete (&f, &d, now + 20 * MS);
    now += 25 * MS;
  }
  /* 13 plays 6 s after the clock started: due one duration before */
  now = 2 * SEC;
  gst_p2p_scheduler_add_segment (f.sched, 13, SEG_DUR, SEG_SIZE, now);
  gst_p2p_scheduler_player_request (f.sched, 13, now, &d);
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_WAIT);
  fail_unless_equals_int64 (gst_p2p_scheduler_get_deadline (f.sched, 13),
      4 * SEC);
  fail_unless (d.until < 4 * SEC - f.params.cdn_margin);
  /* never before the request itself: a jump gets the CDN at once */
  now = 3 * SEC;
  gst_p2p_scheduler_player_request (f.sched, 20, now, &d);
  fail_unless_equals_int64 (gst_p2p_scheduler_get_deadline (f.sched, 20), now);
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_FETCH_CDN);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_prefetch_from_peer_and_near_deadline_cdn)
{
  Fixture f;
  GstP2pDecision d;
  guint8 peer[16];
  gint64 now = 0, deadline;
  GstP2pSchedulerStats st;

  fixture_init (&f, 1, now);
  make_id (peer, 2);
  gst_p2p_scheduler_peer_added (f.sched, peer, TRUE, TRUE, now);
  add_playlist (&f, 10, 14, now);
  gst_p2p_scheduler_player_request (f.sched, 12, now, &d);
  complete (&f, &d, now + 300 * MS);
  now += 300 * MS;

  /* 13 plays when 12 has played, 2 s after 12 was asked at the earliest
   * (the play clock): a peer has it, prefetch */
  gst_p2p_scheduler_peer_have (f.sched, peer, 13, now);
  deadline = gst_p2p_scheduler_get_deadline (f.sched, 13);
  fail_unless_equals_int64 (deadline, 2 * SEC);
  fail_unless (gst_p2p_scheduler_next (f.sched, now, &d));
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_FETCH_PEER);
  fail_unless_equals_int (d.segment_id, 13);
  fail_unless (memcmp (d.peer_id, peer, 16) == 0);
  complete (&f, &d, now + 500 * MS);
  now += 500 * MS;

  /* 14: nobody has it, nobody fetches it, it is not a new segment:
   * wait, then CDN just in time (deadline - CDN estimate - margin) */
  fail_if (gst_p2p_scheduler_next (f.sched, now, &d));
  deadline = gst_p2p_scheduler_get_deadline (f.sched, 14);
  fail_unless_equals_int64 (deadline, 4 * SEC);
  fail_unless (gst_p2p_scheduler_next_wakeup (f.sched) < deadline);
  fail_unless (gst_p2p_scheduler_next_wakeup (f.sched) > now);
  now = gst_p2p_scheduler_next_wakeup (f.sched);
  /* even though a peer got it meanwhile: too late for a peer */
  gst_p2p_scheduler_peer_have (f.sched, peer, 14, now);
  fail_unless (gst_p2p_scheduler_next (f.sched, now, &d));
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_FETCH_CDN);
  fail_unless_equals_int (d.segment_id, 14);
  fail_unless_equals_string (d.reason, "deadline");
  gst_p2p_scheduler_get_stats (f.sched, &st);
  fail_unless_equals_int (st.cdn_startup, 1);
  fail_unless_equals_int (st.cdn_deadline, 1);
  fail_unless_equals_int (st.peer_fetches, 1);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_peer_chosen_by_measured_throughput)
{
  Fixture f;
  GstP2pDecision d;
  guint8 fast[16], slow[16];
  gint64 now = 0;
  guint i, n_fast = 0;

  fixture_init (&f, 1, now);
  f.params.explore_prob = 0;
  fixture_reparam (&f, 9);
  make_id (fast, 2);
  make_id (slow, 3);
  gst_p2p_scheduler_peer_added (f.sched, fast, TRUE, TRUE, now);
  gst_p2p_scheduler_peer_added (f.sched, slow, TRUE, TRUE, now);
  add_playlist (&f, 10, 40, now);
  gst_p2p_scheduler_player_request (f.sched, 10, now, &d);
  complete (&f, &d, now);

  /* measure each: 11 from fast (0.1 s), 12 from slow (1.5 s) */
  gst_p2p_scheduler_peer_have (f.sched, fast, 11, now);
  fail_unless (gst_p2p_scheduler_next (f.sched, now, &d));
  fail_unless (memcmp (d.peer_id, fast, 16) == 0);
  complete (&f, &d, now + 100 * MS);
  gst_p2p_scheduler_peer_have (f.sched, slow, 12, now);
  fail_unless (gst_p2p_scheduler_next (f.sched, now, &d));
  fail_unless (memcmp (d.peer_id, slow, 16) == 0);
  now += 1500 * MS;
  complete (&f, &d, now);

  /* from now on both have everything: the fast one is chosen */
  for (i = 13; i <= 40; i++) {
    gst_p2p_scheduler_peer_have (f.sched, fast, i, now);
    gst_p2p_scheduler_peer_have (f.sched, slow, i, now);
  }
  for (i = 13; i <= 40; i++) {
    fail_unless (gst_p2p_scheduler_next (f.sched, now, &d));
    fail_unless_equals_int (d.kind, GST_P2P_DECISION_FETCH_PEER);
    fail_unless_equals_int (d.segment_id, i);
    n_fast += memcmp (d.peer_id, fast, 16) == 0;
    complete (&f, &d, now + 150 * MS);
  }
  fail_if (gst_p2p_scheduler_next (f.sched, now, &d));
  fail_unless_equals_int (n_fast, 28);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_stalled_transfer_abandoned)
{
  Fixture f;
  GstP2pDecision d;
  GstP2pSchedulerStats st;
  guint8 peer[16];
  guint32 tid;
  gint64 now = 0;

  fixture_init (&f, 1, now);
  make_id (peer, 2);
  gst_p2p_scheduler_peer_added (f.sched, peer, TRUE, TRUE, now);
  add_playlist (&f, 10, 14, now);
  gst_p2p_scheduler_player_request (f.sched, 12, now, &d);
  complete (&f, &d, now);
  gst_p2p_scheduler_peer_have (f.sched, peer, 13, now);
  fail_unless (gst_p2p_scheduler_next (f.sched, now, &d));
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_FETCH_PEER);
  tid = d.transfer_id;
  /* 300000 bytes in 0.2 s (fast enough), then silence */
  gst_p2p_scheduler_transfer_progress (f.sched, tid, 300000, SEG_SIZE,
      200 * MS);
  fail_if (gst_p2p_scheduler_next (f.sched, 500 * MS, &d));
  fail_unless (gst_p2p_scheduler_next_wakeup (f.sched) <=
      200 * MS + f.params.stall_timeout);
  now = 200 * MS + f.params.stall_timeout;
  fail_unless (gst_p2p_scheduler_next (f.sched, now, &d));
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_ABANDON_PEER);
  fail_unless_equals_string (d.reason, "stall");
  fail_unless_equals_int (d.cancel_transfer_id, tid);
  fail_unless (d.transfer_id != tid && d.transfer_id != 0);
  fail_unless_equals_int (d.offset, 300000);
  fail_unless_equals_int (gst_p2p_scheduler_get_n_transfers (f.sched), 1);
  /* late reports of the cancelled transfer are ignored */
  gst_p2p_scheduler_transfer_progress (f.sched, tid, 400000, 0, now);
  gst_p2p_scheduler_get_stats (f.sched, &st);
  fail_unless_equals_int (st.abandons_stall, 1);
  fail_unless_equals_int (st.peer_bytes, 300000);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_late_transfer_abandoned)
{
  Fixture f;
  GstP2pDecision d;
  guint8 peer[16];
  guint32 tid;
  gint64 now = 0, t;
  guint64 held = 0;

  fixture_init (&f, 1, now);
  make_id (peer, 2);
  gst_p2p_scheduler_peer_added (f.sched, peer, TRUE, TRUE, now);
  add_playlist (&f, 10, 14, now);
  gst_p2p_scheduler_player_request (f.sched, 12, now, &d);
  complete (&f, &d, now);
  gst_p2p_scheduler_peer_have (f.sched, peer, 13, now);
  fail_unless (gst_p2p_scheduler_next (f.sched, now, &d));
  tid = d.transfer_id;
  /* it trickles at 100 kB/s: 750 kB would take 7.5 s, deadline is 2 s */
  for (t = 100 * MS;; t += 100 * MS) {
    held += 10000;
    gst_p2p_scheduler_transfer_progress (f.sched, tid, held, SEG_SIZE, t);
    if (gst_p2p_scheduler_next (f.sched, t, &d))
      break;
    fail_unless (t < 2 * SEC);
  }
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_ABANDON_PEER);
  fail_unless_equals_string (d.reason, "late");
  fail_unless_equals_int (d.offset, held);
  /* abandoned in time for the CDN to finish the rest before the deadline */
  fail_unless (t + 100 * MS + (SEG_SIZE - held) * SEC / 1250000 < 2 * SEC);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_wait_for_fetching_is_bounded)
{
  Fixture f;
  GstP2pDecision d;
  GstP2pSchedulerStats st;
  guint8 peer[16];
  gint64 now = 0, t;

  fixture_init (&f, 1, now);
  make_id (peer, 2);
  gst_p2p_scheduler_peer_added (f.sched, peer, TRUE, TRUE, now);
  add_playlist (&f, 10, 14, now);
  gst_p2p_scheduler_player_request (f.sched, 12, now, &d);
  complete (&f, &d, now);
  /* a new segment (15) appears; the peer announces FETCHING at once */
  now = 1 * SEC;
  gst_p2p_scheduler_add_segment (f.sched, 15, SEG_DUR, SEG_SIZE, now);
  gst_p2p_scheduler_peer_fetching (f.sched, peer, 15, FALSE, now);
  /* 13 and 14 are not new: nothing to do for them yet; 15: wait */
  for (t = now; t < now + f.params.fetching_wait_max; t += 50 * MS) {
    if (gst_p2p_scheduler_next (f.sched, t, &d))
      fail_if (d.segment_id == 15, "acted on 15 at %" G_GINT64_FORMAT, t);
  }
  /* the HAVE never comes: we seed it ourselves, within one jitter */
  for (;; t += 10 * MS) {
    if (gst_p2p_scheduler_next (f.sched, t, &d) && d.segment_id == 15)
      break;
    fail_unless (t <= now + f.params.fetching_wait_max + f.params.seed_jitter);
  }
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_SEED);
  fail_unless (d.announce_fetching);
  gst_p2p_scheduler_get_stats (f.sched, &st);
  fail_unless_equals_int (st.waits_expired, 1);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_fetching_aborted_falls_back_at_once)
{
  Fixture f;
  GstP2pDecision d;
  guint8 peer[16];
  gint64 now = 0;

  fixture_init (&f, 1, now);
  make_id (peer, 2);
  gst_p2p_scheduler_peer_added (f.sched, peer, TRUE, TRUE, now);
  add_playlist (&f, 10, 14, now);
  gst_p2p_scheduler_player_request (f.sched, 12, now, &d);
  complete (&f, &d, now);
  now += 10 * MS;
  gst_p2p_scheduler_add_segment (f.sched, 15, SEG_DUR, SEG_SIZE, now);
  gst_p2p_scheduler_peer_fetching (f.sched, peer, 15, FALSE, now);
  now += 100 * MS;
  fail_if (gst_p2p_scheduler_next (f.sched, now, &d) && d.segment_id == 15);
  gst_p2p_scheduler_peer_fetching (f.sched, peer, 15, TRUE, now);
  /* the only other seeder withdrew: we are first, one jitter away */
  now += f.params.seed_jitter;
  fail_unless (gst_p2p_scheduler_next (f.sched, now, &d));
  fail_unless_equals_int (d.segment_id, 15);
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_SEED);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_missing_seeder_costs_one_step)
{
  Fixture f;
  GstP2pDecision d;
  guint8 ghost[16], self[16];
  guint64 seg = 15;
  guint n;
  gint64 now = 0, t;

  /* find a ghost that ranks before us for segment 15 */
  make_id (self, 1);
  for (n = 100;; n++) {
    make_id (ghost, n);
    if (gst_p2p_seed_rank_hash (ghost, seg) <
        gst_p2p_seed_rank_hash (self, seg))
      break;
  }
  fixture_init (&f, 1, now);
  gst_p2p_scheduler_peer_added (f.sched, ghost, TRUE, TRUE, now);
  add_playlist (&f, 10, 14, now);
  now = 1 * SEC;
  gst_p2p_scheduler_add_segment (f.sched, seg, SEG_DUR, SEG_SIZE, now);
  /* rank 1: our turn comes one step (plus jitter) after we saw it */
  for (t = now;; t += 10 * MS) {
    if (gst_p2p_scheduler_next (f.sched, t, &d))
      break;
    fail_unless (t <= now + f.params.seed_rank_step + f.params.seed_jitter);
  }
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_SEED);
  fail_unless (t >= now + f.params.seed_rank_step);
  fixture_clear (&f);
}

GST_END_TEST;

/* A swarm of schedulers exchanging announcements with a delay: each new
 * segment must be seeded about once. */
#define SWARM_N 20
#define ONE_WAY (25 * MS)
#define CDN_TIME (400 * MS)
#define PEER_TIME (300 * MS)

typedef struct
{
  gint64 at;
  guint to;                     /* viewer, or SWARM_N = broadcast */
  guint from;
  guint kind;                   /* 0 FETCHING, 1 HAVE, 2 done (self) */
  guint64 seg;
  guint32 tid;
} Msg;

static gint
msg_cmp (gconstpointer a, gconstpointer b, gpointer unused)
{
  const Msg *ma = a, *mb = b;
  return ma->at < mb->at ? -1 : ma->at > mb->at;
}

GST_START_TEST (test_one_seeder_per_segment)
{
  Fixture f[SWARM_N];
  GSequence *q = g_sequence_new (g_free);
  GRand *r = g_rand_new_with_seed (77);
  gint64 phase[SWARM_N], now;
  guint seeds[40] = { 0 }, cdn[40] = { 0 };
  guint i, j, total_seeds = 0, total_cdn = 0, n_segs = 0;
  guint64 s;

  for (i = 0; i < SWARM_N; i++) {
    fixture_init (&f[i], i + 1, 0);
    phase[i] = g_rand_int_range (r, 0, 100) * 10 * MS;
  }
  for (i = 0; i < SWARM_N; i++)
    for (j = 0; j < SWARM_N; j++)
      if (i != j)
        gst_p2p_scheduler_peer_added (f[i].sched, f[j].self, TRUE, TRUE, 0);
  for (i = 0; i < SWARM_N; i++)
    add_playlist (&f[i], 0, 2, 0);

  /* segment s appears at s * 2 s; viewer i sees it phase[i] later */
  for (now = 0; now < 60 * SEC; now += 10 * MS) {
    for (i = 0; i < SWARM_N; i++) {
      GstP2pDecision d;
      s = (now - phase[i]) / SEG_DUR;
      if (now >= phase[i] && s >= 3 && (now - phase[i]) % SEG_DUR == 0)
        gst_p2p_scheduler_add_segment (f[i].sched, s, SEG_DUR, SEG_SIZE, now);
      while (gst_p2p_scheduler_next (f[i].sched, now, &d)) {
        Msg *m;
        fail_unless (d.segment_id < 40);
        if (d.kind == GST_P2P_DECISION_SEED ||
            d.kind == GST_P2P_DECISION_FETCH_CDN) {
          if (d.kind == GST_P2P_DECISION_SEED)
            seeds[d.segment_id]++;
          cdn[d.segment_id]++;
          if (d.announce_fetching) {
            m = g_new0 (Msg, 1);
            *m = (Msg) {
            now + ONE_WAY, SWARM_N, i, 0, d.segment_id, 0};
            g_sequence_insert_sorted (q, m, msg_cmp, NULL);
          }
        }
        m = g_new0 (Msg, 1);
        *m = (Msg) {
        now + (d.kind == GST_P2P_DECISION_FETCH_PEER ? PEER_TIME :
              CDN_TIME), i, i, 2, d.segment_id, d.transfer_id};
        g_sequence_insert_sorted (q, m, msg_cmp, NULL);
      }
    }
    while (!g_sequence_is_empty (q)) {
      GSequenceIter *it = g_sequence_get_begin_iter (q);
      Msg *m = g_sequence_get (it);
      if (m->at > now)
        break;
      if (m->kind == 2) {
        Msg *h = g_new0 (Msg, 1);
        complete (&f[m->to], &(GstP2pDecision) {
            .segment_id = m->seg,.transfer_id = m->tid}
            , now);
        *h = (Msg) {
        now + ONE_WAY, SWARM_N, m->to, 1, m->seg, 0};
        g_sequence_insert_sorted (q, h, msg_cmp, NULL);
      } else {
        for (j = 0; j < SWARM_N; j++) {
          if (j == m->from)
            continue;
          if (m->kind == 0)
            gst_p2p_scheduler_peer_fetching (f[j].sched, f[m->from].self,
                m->seg, FALSE, now);
          else
            gst_p2p_scheduler_peer_have (f[j].sched, f[m->from].self, m->seg,
                now);
        }
      }
      g_sequence_remove (it);
    }
  }
  for (s = 3; s < 28; s++) {
    fail_unless (cdn[s] >= 1, "segment %" G_GUINT64_FORMAT " never fetched", s);
    total_seeds += seeds[s];
    total_cdn += cdn[s];
    n_segs++;
  }
  GST_INFO ("%u segments: %u seeds, %u CDN fetches", n_segs, total_seeds,
      total_cdn);
  /* about one: announcements cross in flight now and then */
  fail_unless (total_cdn <= n_segs * 5 / 4, "%u CDN fetches for %u segments",
      total_cdn, n_segs);
  /* and every viewer got every segment it saw */
  for (i = 0; i < SWARM_N; i++)
    for (s = 3; s < 28; s++)
      fail_unless (gst_p2p_segment_store_contains (f[i].store, swarm, s));
  for (i = 0; i < SWARM_N; i++)
    fixture_clear (&f[i]);
  g_sequence_free (q);
  g_rand_free (r);
}

GST_END_TEST;

GST_START_TEST (test_cdn_only_baseline)
{
  Fixture f;
  GstP2pDecision d;
  guint8 peer[16];

  fixture_init (&f, 1, 0);
  f.params.p2p = FALSE;
  fixture_reparam (&f, 1);
  make_id (peer, 2);
  gst_p2p_scheduler_peer_added (f.sched, peer, TRUE, TRUE, 0);
  add_playlist (&f, 10, 14, 0);
  gst_p2p_scheduler_add_segment (f.sched, 15, SEG_DUR, SEG_SIZE, 0);
  gst_p2p_scheduler_peer_have (f.sched, peer, 13, 0);
  gst_p2p_scheduler_player_request (f.sched, 12, 0, &d);
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_FETCH_CDN);
  fail_if (d.announce_fetching);
  complete (&f, &d, 0);
  fail_if (gst_p2p_scheduler_next (f.sched, 5 * SEC, &d));
  gst_p2p_scheduler_player_request (f.sched, 12, 6 * SEC, &d);
  fail_unless_equals_int (d.kind, GST_P2P_DECISION_SERVE_STORE);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_hostile_announcements_bounded)
{
  Fixture f;
  GstP2pSchedulerStats st;
  guint8 peer[16], other[16];
  guint64 i;

  fixture_init (&f, 1, 0);
  make_id (peer, 2);
  make_id (other, 3);
  gst_p2p_scheduler_peer_added (f.sched, peer, TRUE, TRUE, 0);
  add_playlist (&f, 1000, 1004, 0);
  for (i = 0; i < 100000; i++) {
    gst_p2p_scheduler_peer_have (f.sched, peer, i * 7919, 0);
    gst_p2p_scheduler_peer_fetching (f.sched, peer, 1000 + (i % 100), FALSE, 0);
  }
  /* unknown peers are ignored */
  gst_p2p_scheduler_peer_have (f.sched, other, 1001, 0);
  gst_p2p_scheduler_get_stats (f.sched, &st);
  fail_unless (st.ignored_announcements > 99000);
  /* duplicates and the peer cap */
  fail_if (gst_p2p_scheduler_peer_added (f.sched, peer, TRUE, TRUE, 0));
  for (i = 0; i < 100; i++) {
    make_id (other, 1000 + i);
    gst_p2p_scheduler_peer_added (f.sched, other, TRUE, TRUE, 0);
  }
  make_id (other, 5000);
  fail_if (gst_p2p_scheduler_peer_added (f.sched, other, TRUE, TRUE, 0));
  gst_p2p_scheduler_peer_removed (f.sched, peer, 0);
  fail_unless (gst_p2p_scheduler_peer_added (f.sched, other, TRUE, TRUE, 0));
  fixture_clear (&f);
}

GST_END_TEST;

static Suite *
scheduler_suite (void)
{
  Suite *s = suite_create ("scheduler");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_store_eviction_order);
  tcase_add_test (tc, test_store_sha_and_replace);
  tcase_add_test (tc, test_store_threads);
  tcase_add_test (tc, test_rate_cap_over_time);
  tcase_add_test (tc, test_upload_gate);
  tcase_add_test (tc, test_peer_select_throughput);
  tcase_add_test (tc, test_peer_select_exploration);
  tcase_add_test (tc, test_startup_from_cdn);
  tcase_add_test (tc, test_edge_request_waits_for_the_swarm);
  tcase_add_test (tc, test_play_clock_reanchors);
  tcase_add_test (tc, test_play_reserve);
  tcase_add_test (tc, test_prefetch_from_peer_and_near_deadline_cdn);
  tcase_add_test (tc, test_peer_chosen_by_measured_throughput);
  tcase_add_test (tc, test_stalled_transfer_abandoned);
  tcase_add_test (tc, test_late_transfer_abandoned);
  tcase_add_test (tc, test_wait_for_fetching_is_bounded);
  tcase_add_test (tc, test_fetching_aborted_falls_back_at_once);
  tcase_add_test (tc, test_missing_seeder_costs_one_step);
  tcase_add_test (tc, test_one_seeder_per_segment);
  tcase_add_test (tc, test_cdn_only_baseline);
  tcase_add_test (tc, test_hostile_announcements_bounded);
  return s;
}

GST_CHECK_MAIN (scheduler);
