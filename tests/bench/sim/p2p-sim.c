/* p2p-sim: a discrete-event simulation of one live swarm, to tune the
 * delivery policy. SIMULATION, not a measurement of the real system.
 *
 * It runs the real GstP2pScheduler, GstP2pSegmentStore and GstP2pUploadGate
 * (with its GstP2pRateCap) of every viewer on a simulated clock; the network
 * is a model: per-viewer upload and download caps (token buckets, the same
 * code), per-pair RTTs, a CDN with a latency and a per-connection rate, data
 * in 16 KiB chunks, announcements (HAVE/FETCHING) delivered after the
 * one-way delay. Each scenario runs twice with the same random draws: once
 * CDN-only (the baseline: every fragment fetched when the player asks, as
 * souphttpsrc would) and once with the scheduler; offload is measured
 * against that baseline.
 *
 * Two player models (--player). Both start `behind` segments from the end
 * of the playlist, refresh the playlist every target duration (a random
 * phase per viewer), ask only for segments their playlist lists (else at
 * the refresh that shows them), have one request open at a time, start
 * playing when the first segment is complete, play each segment for its
 * duration and stall when the next one is not there when its turn comes.
 * A segment is there once the player's request for it was answered: one
 * the scheduler brought before the player asked (a peer's HAVE can precede
 * our playlist) does not play until the player asks, as a demuxer plays
 * only what it downloaded. They differ in when they ask:
 *
 *  - buffered (default): the next segment as soon as the previous request
 *    is answered (the segment complete in the viewer's store: served from
 *    the store or a transfer done). So it downloads the `behind` segments
 *    of its start back to back, then asks for each new segment the moment a
 *    playlist refresh shows it: downloads at the live edge, a buffer of
 *    about `behind` segments, playback about `behind` segments behind
 *    live. This is what GStreamer 1.22's legacy hlsdemux in playbin does,
 *    measured in the live-event lab (tests/lab), hence the default.
 *  - one-ahead: the next segment when it starts playing one (the
 *    simulator's earlier assumption; kept for comparison).
 *
 * The CDN-only baseline runs the same player model as the P2P run.
 *
 * Threads: one; no GLib main loop.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <gst/gst.h>

#include "store/gstp2psegmentstore.h"
#include "scheduler/gstp2pscheduler.h"
#include "scheduler/gstp2puploadgate.h"
#include "scheduler/gstp2pratecap.h"

#define MS G_GINT64_CONSTANT (1000)
#define SEC G_GINT64_CONSTANT (1000000)
#define CHUNK 16384
#define MAX_VIEWERS 256
#define PLAYLIST_WINDOW 6

/* ---------------------------------------------------------------- config */

typedef struct
{
  const gchar *name;
  guint viewers;
  gint64 duration;              /* simulated time */
  gint64 seg_dur;
  guint64 bitrate;              /* bits/s */
  guint behind;                 /* segments behind the live edge */
  gint64 join_start, join_spread;
  gdouble churn_per_min;        /* share of viewers leaving per minute */
  guint64 down_cap;             /* bits/s */
  guint64 cdn_rate;             /* bits/s per connection */
  gint64 cdn_rtt;
  gint64 rtt_min, rtt_max;
  guint32 seed;
} Scenario;

/* ------------------------------------------------------------- the world */

typedef enum
{
  EV_PLAYLIST, EV_ASK, EV_PLAY, EV_WAKE, EV_SEND, EV_ARRIVE, EV_CDN_SEND,
  EV_ANNOUNCE, EV_REQUEST, EV_REPLY_ABSENT, EV_LEAVE, EV_JOIN
} EvKind;

typedef struct
{
  gint64 at;
  guint64 seq;
  EvKind kind;
  guint v;                      /* viewer (receiver of the event) */
  guint from;
  guint session;                /* viewer session the event belongs to */
  guint64 seg;
  guint64 xfer;                 /* sim transfer id */
  guint64 bytes;
  gint flag;
} Event;

typedef struct
{
  guint64 id;
  guint receiver, rsession;
  gint sender;                  /* -1 = CDN */
  guint ssession;
  guint64 seg;
  guint32 tid;                  /* the scheduler's transfer id */
  guint64 pos;                  /* next byte to send */
  guint64 held;                 /* bytes arrived */
  guint64 size;
  gboolean dead;
  gboolean admitted;            /* holds an upload slot at the sender */
  GstP2pRateCap cdn_cap;
} Xfer;

typedef struct
{
  gboolean present;
  guint session;
  guint8 id[16];
  GstP2pScheduler *sched;
  GstP2pSegmentStore *store;
  GstP2pUploadGate gate;
  GstP2pRateCap down;
  guint64 up_cap;               /* bits/s */
  gint64 phase;
  gint64 join_at;
  gboolean started;
  guint64 next_play;            /* segment to play next */
  gboolean stalled;
  gint64 stall_since;
  guint64 newest_seen;
  gboolean seen_any;
  guint64 pending_ask;          /* asked before it was in our playlist */
  gboolean has_pending_ask;
  gboolean req_open;            /* a player request not answered yet */
  guint64 req_seg;
  gint64 req_at;
  gboolean have_answered;
  guint64 answered;             /* the player downloaded up to this one */
  gint64 wake_at;
  GHashTable *xfers_in;         /* seg -> Xfer* (receiving) */
} Viewer;

typedef struct
{
  const Scenario *sc;
  gboolean p2p;
  GstP2pSchedulerParams params;
  GSequence *events;
  guint64 seq;
  Viewer v[MAX_VIEWERS];
  GHashTable *xfers;            /* id -> Xfer* */
  guint64 next_xfer;
  GRand *rand;                  /* network randomness (same in both runs) */
  guint8 *zeros;
  guint64 max_seg_size;
  /* pre-drawn scenario */
  guint64 up_caps[MAX_VIEWERS];
  gint64 phases[MAX_VIEWERS];
  gint64 joins[MAX_VIEWERS];
  GArray *churn;                /* pairs (leave time, rejoin time, viewer) */
  /* results */
  guint64 cdn_bytes, peer_bytes, played;
  guint stalls, late_asks, asks, edge_asks;
  gint64 stall_time;
  GArray *startups;             /* gint64 */
  GArray *waits;                /* gint64: player request to answer */
  gint64 lag_sum;               /* live edge to playback, summed per play */
  GHashTable *cdn_fetches;      /* seg -> count */
  GHashTable *cdn_reasons;      /* decision reason (static) -> count */
  gdouble present_sum, upload_sum;
  guint samples;
  GstP2pSchedulerStats st;      /* summed over every session */
  guint64 params_seed_min_upload;       /* bits/s */
} World;

typedef struct
{
  guint64 cdn_bytes, peer_bytes;
  guint stalls, late_asks, asks, edge_asks, started;
  guint64 played;
  gint64 stall_time;
  gdouble startup_mean, startup_max;
  gdouble wait_mean, wait_p95;  /* player request to answer, s */
  gdouble lag_mean;             /* live edge to playback, s */
  gdouble cdn_per_seg;
  gdouble ceiling;
} Result;

static gboolean verbose;
static gboolean player_buffered = TRUE;
static gdouble check_min_offload = -1;
static gdouble seed_min_upload_mbit = 5;
static gint max_uploads = 0;

static gint
ev_cmp (gconstpointer a, gconstpointer b, gpointer u)
{
  const Event *x = a, *y = b;
  if (x->at != y->at)
    return x->at < y->at ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static Event *
post (World * w, gint64 at, EvKind kind, guint v)
{
  Event *e = g_new0 (Event, 1);
  e->at = at;
  e->seq = w->seq++;
  e->kind = kind;
  e->v = v;
  e->session = w->v[v].session;
  g_sequence_insert_sorted (w->events, e, ev_cmp, NULL);
  return e;
}

static guint64
seg_size (World * w, guint64 seg)
{
  /* +-10 % around bitrate x duration, fixed per segment */
  guint64 base = w->sc->bitrate / 8 * w->sc->seg_dur / SEC;
  guint32 h = (guint32) (seg * 2654435761u);
  return base * 9 / 10 + (base / 5) * (h % 1000) / 1000;
}

static gint64
pub_time (World * w, guint64 seg)
{
  return (gint64) seg *w->sc->seg_dur;
}

static guint64
newest_published (World * w, gint64 now)
{
  return now / w->sc->seg_dur;
}

static gint64
owd (World * w, guint a, guint b)
{
  guint32 h = (MIN (a, b) * 7919u) ^ (MAX (a, b) * 104729u);
  gint64 span = w->sc->rtt_max - w->sc->rtt_min;
  return (w->sc->rtt_min + (span > 0 ? (gint64) (h % 1000) * span / 1000 :
          0)) / 2;
}

/* -------------------------------------------------------------- actions */

static void act (World * w, guint v, GstP2pDecision * d, gint64 now);

static void
schedule_wake (World * w, guint v, gint64 now)
{
  Viewer *vw = &w->v[v];
  gint64 t = gst_p2p_scheduler_next_wakeup (vw->sched);

  if (t == G_MAXINT64)
    return;
  t = MAX (t, now + 1);
  if (vw->wake_at > now && vw->wake_at <= t)
    return;
  vw->wake_at = t;
  post (w, t, EV_WAKE, v);
}

static void
run_sched (World * w, guint v, gint64 now)
{
  GstP2pDecision d;
  guint guard = 0;

  if (!w->v[v].present)
    return;
  while (gst_p2p_scheduler_next (w->v[v].sched, now, &d) && guard++ < 1000)
    act (w, v, &d, now);
  schedule_wake (w, v, now);
}

static void
count_cdn_fetch (World * w, guint64 seg)
{
  guint c = GPOINTER_TO_UINT (g_hash_table_lookup (w->cdn_fetches,
          GUINT_TO_POINTER (seg + 1)));
  g_hash_table_insert (w->cdn_fetches, GUINT_TO_POINTER (seg + 1),
      GUINT_TO_POINTER (c + 1));
}

static void
broadcast (World * w, guint from, gint kind, guint64 seg, gint64 now)
{
  guint i;
  for (i = 0; i < w->sc->viewers; i++) {
    Event *e;
    if (i == from || !w->v[i].present)
      continue;
    e = post (w, now + owd (w, from, i), EV_ANNOUNCE, i);
    e->from = from;
    e->seg = seg;
    e->flag = kind;             /* 0 FETCHING, 1 HAVE */
    e->xfer = w->v[from].session;
  }
}

static Xfer *
new_xfer (World * w, guint receiver, gint sender, guint64 seg, guint32 tid,
    guint64 offset)
{
  Xfer *x = g_new0 (Xfer, 1);
  x->id = ++w->next_xfer;
  x->receiver = receiver;
  x->rsession = w->v[receiver].session;
  x->sender = sender;
  x->ssession = sender >= 0 ? w->v[sender].session : 0;
  x->seg = seg;
  x->tid = tid;
  x->pos = x->held = offset;
  x->size = seg_size (w, seg);
  g_hash_table_insert (w->xfers, &x->id, x);
  g_hash_table_replace (w->v[receiver].xfers_in, GUINT_TO_POINTER (seg + 1), x);
  return x;
}

static void
xfer_kill (World * w, Xfer * x)
{
  if (x->dead)
    return;
  x->dead = TRUE;
  if (x->admitted && x->sender >= 0 && w->v[x->sender].present &&
      w->v[x->sender].session == x->ssession) {
    gst_p2p_upload_gate_release (&w->v[x->sender].gate);
  }
  x->admitted = FALSE;
  if (w->v[x->receiver].session == x->rsession &&
      g_hash_table_lookup (w->v[x->receiver].xfers_in,
          GUINT_TO_POINTER (x->seg + 1)) == x)
    g_hash_table_remove (w->v[x->receiver].xfers_in,
        GUINT_TO_POINTER (x->seg + 1));
}

static void
start_cdn (World * w, guint v, guint64 seg, guint32 tid, guint64 offset,
    gint64 now)
{
  Xfer *x = new_xfer (w, v, -1, seg, tid, offset);
  Event *e;

  gst_p2p_rate_cap_init (&x->cdn_cap, w->sc->cdn_rate / 8, CHUNK, now);
  count_cdn_fetch (w, seg);
  e = post (w, now + w->sc->cdn_rtt, EV_CDN_SEND, v);
  e->xfer = x->id;
}

static void
act (World * w, guint v, GstP2pDecision * d, gint64 now)
{
  Viewer *vw = &w->v[v];

  switch (d->kind) {
    case GST_P2P_DECISION_ABANDON_PEER:{
      Xfer *old = g_hash_table_lookup (vw->xfers_in,
          GUINT_TO_POINTER (d->segment_id + 1));
      if (old)
        xfer_kill (w, old);
      start_cdn (w, v, d->segment_id, d->transfer_id, d->offset, now);
      break;
    }
    case GST_P2P_DECISION_SEED:
    case GST_P2P_DECISION_FETCH_CDN:
      if (d->reason) {
        gpointer key = (gpointer) (d->kind == GST_P2P_DECISION_SEED ?
            "seed" : d->reason);
        g_hash_table_insert (w->cdn_reasons, key,
            GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup
                    (w->cdn_reasons, key)) + 1));
      }
      if (d->announce_fetching)
        broadcast (w, v, 0, d->segment_id, now);
      start_cdn (w, v, d->segment_id, d->transfer_id, d->offset, now);
      break;
    case GST_P2P_DECISION_FETCH_PEER:{
      guint p;
      for (p = 0; p < w->sc->viewers; p++)
        if (w->v[p].present && memcmp (w->v[p].id, d->peer_id, 16) == 0)
          break;
      if (p == w->sc->viewers) {
        gst_p2p_scheduler_transfer_done (vw->sched, d->transfer_id,
            GST_P2P_TRANSFER_FAILED, d->offset, now);
      } else {
        Xfer *x = new_xfer (w, v, p, d->segment_id, d->transfer_id,
            d->offset);
        Event *e = post (w, now + owd (w, v, p), EV_REQUEST, p);
        e->xfer = x->id;
        e->session = w->v[p].session;
      }
      break;
    }
    default:
      break;
  }
}

/* ---------------------------------------------------------------- viewers */

static gboolean
may_seed (World * w, guint v)
{
  return w->v[v].up_cap >= w->params_seed_min_upload;
}

static void
viewer_join (World * w, guint v, gint64 now)
{
  Viewer *vw = &w->v[v];
  guint i;
  guint8 swarm[32] = { 0 };

  vw->session++;
  vw->present = TRUE;
  memset (vw->id, 0, 16);
  vw->id[0] = v;
  vw->id[1] = vw->session & 0xff;
  vw->id[15] = 0x42;
  vw->store = gst_p2p_segment_store_new (0);
  {
    GstP2pSchedulerParams pp = w->params;
    /* a viewer whose upload cannot feed a few peers does not seed */
    pp.seeding = pp.seeding && may_seed (w, v);
    vw->sched = gst_p2p_scheduler_new (&pp, vw->store, swarm, vw->id,
        w->sc->seed * 1000 + v * 10 + vw->session, now);
  }
  gst_p2p_upload_gate_init (&vw->gate, TRUE, max_uploads, vw->up_cap / 8, 0,
      now);
  gst_p2p_rate_cap_init (&vw->down, w->sc->down_cap / 8, 4 * CHUNK, now);
  vw->xfers_in = g_hash_table_new (NULL, NULL);
  vw->join_at = now;
  vw->started = FALSE;
  vw->stalled = FALSE;
  vw->seen_any = FALSE;
  vw->has_pending_ask = FALSE;
  vw->req_open = FALSE;
  vw->have_answered = FALSE;
  vw->wake_at = 0;
  for (i = 0; i < w->sc->viewers; i++) {
    if (i == v || !w->v[i].present)
      continue;
    gst_p2p_scheduler_peer_added (vw->sched, w->v[i].id, may_seed (w, i),
        TRUE, now);
    gst_p2p_scheduler_peer_added (w->v[i].sched, vw->id, may_seed (w, v),
        TRUE, now);
  }
  /* the first playlist arrives one CDN round trip later */
  post (w, now + w->sc->cdn_rtt, EV_PLAYLIST, v)->flag = 1;
}


static void
add_stats (World * w, GstP2pScheduler * sched)
{
  GstP2pSchedulerStats st;
  guint i;
  guint64 *a = (guint64 *) & w->st, *b = (guint64 *) & st;

  gst_p2p_scheduler_get_stats (sched, &st);
  for (i = 0; i < sizeof (st) / sizeof (guint64); i++)
    a[i] += b[i];
}

/* a stall of playback (not the wait for the first segment) ends at @now;
 * one that took no time (the segment came at the very moment its turn did:
 * simultaneous events) is no stall */
static void
stall_end (World * w, guint v, gint64 now)
{
  Viewer *vw = &w->v[v];

  if (vw->stalled && vw->started && now > vw->stall_since) {
    w->stalls++;
    w->stall_time += now - vw->stall_since;
  }
  vw->stalled = FALSE;
}

static void
viewer_leave (World * w, guint v, gint64 now)
{
  Viewer *vw = &w->v[v];
  GHashTableIter it;
  gpointer val;
  guint i;

  if (!vw->present)
    return;
  stall_end (w, v, now);
  vw->present = FALSE;
  g_hash_table_iter_init (&it, w->xfers);
  while (g_hash_table_iter_next (&it, NULL, &val)) {
    Xfer *x = val;
    if (x->dead)
      continue;
    if (x->receiver == v && x->rsession == vw->session)
      xfer_kill (w, x);
    else if (x->sender == (gint) v && x->ssession == vw->session)
      xfer_kill (w, x);
  }
  for (i = 0; i < w->sc->viewers; i++)
    if (i != v && w->v[i].present) {
      gst_p2p_scheduler_peer_removed (w->v[i].sched, vw->id, now);
      run_sched (w, i, now);
    }
  add_stats (w, vw->sched);
  gst_p2p_scheduler_free (vw->sched);
  gst_p2p_segment_store_unref (vw->store);
  g_hash_table_destroy (vw->xfers_in);
  vw->sched = NULL;
  vw->store = NULL;
}

static gboolean
complete_in_store (World * w, guint v, guint64 seg)
{
  guint8 swarm[32] = { 0 };
  return gst_p2p_segment_store_contains (w->v[v].store, swarm, seg);
}

static void player_ask (World * w, guint v, guint64 seg, gint64 now);
static void play (World * w, guint v, gint64 now);

/* @seg is complete in @v's store: the open request for it is answered, the
 * player has it (a stalled playback resumes); the buffered player asks for
 * the next segment at once */
static void
player_answered (World * w, guint v, guint64 seg, gint64 now)
{
  Viewer *vw = &w->v[v];
  gint64 wait;

  if (!vw->req_open || vw->req_seg != seg)
    return;
  vw->req_open = FALSE;
  vw->have_answered = TRUE;
  vw->answered = seg;
  wait = now - vw->req_at;
  g_array_append_val (w->waits, wait);
  if (vw->stalled && seg == vw->next_play)
    play (w, v, now);
  if (player_buffered)
    player_ask (w, v, seg + 1, now);
}

static void
player_ask (World * w, guint v, guint64 seg, gint64 now)
{
  Viewer *vw = &w->v[v];
  GstP2pDecision d;

  if (!vw->seen_any || seg > vw->newest_seen) {
    /* not in our playlist yet: hlsdemux waits for the next refresh */
    vw->pending_ask = seg;
    vw->has_pending_ask = TRUE;
    return;
  }
  w->asks++;
  if (seg == vw->newest_seen)
    w->edge_asks++;
  vw->req_open = TRUE;
  vw->req_seg = seg;
  vw->req_at = now;
  if (!complete_in_store (w, v, seg))
    w->late_asks++;
  gst_p2p_scheduler_player_request (vw->sched, seg, now, &d);
  act (w, v, &d, now);
  run_sched (w, v, now);
  if (complete_in_store (w, v, seg))
    player_answered (w, v, seg, now);
}

static void
play (World * w, guint v, gint64 now)
{
  Viewer *vw = &w->v[v];
  guint64 seg = vw->next_play;

  /* the demuxer plays what it downloaded: a segment the scheduler brought
   * before the player asked for it waits for the player's request */
  if (!vw->have_answered || seg > vw->answered ||
      !complete_in_store (w, v, seg)) {
    if (!vw->stalled) {
      vw->stalled = TRUE;
      vw->stall_since = now;
    }
    return;
  }
  stall_end (w, v, now);
  if (!vw->started) {
    gint64 st = now - vw->join_at;
    vw->started = TRUE;
    g_array_append_val (w->startups, st);
  }
  w->played++;
  /* segment seg is complete at the origin at pub_time (seg + 1) */
  w->lag_sum += now - pub_time (w, seg + 1);
  vw->next_play = seg + 1;
  if (!player_buffered)
    player_ask (w, v, seg + 1, now);
  post (w, now + w->sc->seg_dur, EV_PLAY, v);
}

static void
segment_complete (World * w, Xfer * x, gint64 now)
{
  Viewer *vw = &w->v[x->receiver];
  guint8 swarm[32] = { 0 };
  GBytes *b = g_bytes_new_static (w->zeros, x->size);

  gst_p2p_segment_store_put (vw->store, swarm, x->seg, b, NULL, now);
  g_bytes_unref (b);
  gst_p2p_scheduler_transfer_done (vw->sched, x->tid, GST_P2P_TRANSFER_OK,
      x->size, now);
  xfer_kill (w, x);
  broadcast (w, x->receiver, 1, x->seg, now);
  player_answered (w, x->receiver, x->seg, now);
  run_sched (w, x->receiver, now);
}

/* a chunk reached the receiver's access link */
static void
arrive (World * w, Xfer * x, guint64 bytes, gint64 now)
{
  Viewer *vw = &w->v[x->receiver];
  gint64 delay;

  if (x->dead)
    return;
  delay = gst_p2p_rate_cap_delay (&vw->down, bytes, now);
  if (delay > 0) {
    Event *e = post (w, now + delay, EV_ARRIVE, x->receiver);
    e->xfer = x->id;
    e->bytes = bytes;
    return;
  }
  gst_p2p_rate_cap_try_take (&vw->down, bytes, now);
  x->held += bytes;
  if (x->sender < 0)
    w->cdn_bytes += bytes;
  else
    w->peer_bytes += bytes;
  gst_p2p_scheduler_transfer_progress (vw->sched, x->tid, x->held, x->size,
      now);
  if (x->held >= x->size)
    segment_complete (w, x, now);
}

static void
send_chunk (World * w, Xfer * x, gint64 now, gboolean cdn)
{
  GstP2pRateCap *cap;
  guint64 n;
  gint64 delay;
  Event *e;

  if (x->dead || x->pos >= x->size)
    return;
  n = MIN (CHUNK, x->size - x->pos);
  cap = cdn ? &x->cdn_cap : &w->v[x->sender].gate.bucket;
  delay = gst_p2p_rate_cap_delay (cap, n, now);
  if (delay > 0) {
    e = post (w, now + delay, cdn ? EV_CDN_SEND : EV_SEND, x->receiver);
    e->xfer = x->id;
    return;
  }
  gst_p2p_rate_cap_try_take (cap, n, now);
  x->pos += n;
  e = post (w, now + (cdn ? 0 : owd (w, x->sender, x->receiver)), EV_ARRIVE,
      x->receiver);
  e->xfer = x->id;
  e->bytes = n;
  if (x->pos < x->size) {
    e = post (w, now, cdn ? EV_CDN_SEND : EV_SEND, x->receiver);
    e->xfer = x->id;
  } else if (!cdn && x->admitted) {
    /* the upload slot frees when the last byte leaves */
    gst_p2p_upload_gate_release (&w->v[x->sender].gate);
    x->admitted = FALSE;
  }
}

static void
playlist_refresh (World * w, guint v, gint64 now, gboolean first)
{
  Viewer *vw = &w->v[v];
  guint64 newest = newest_published (w, now), s, oldest;

  if (newest < 1)
    goto again;
  newest -= 1;                  /* segment k is complete at (k + 1) * dur */
  oldest = newest >= PLAYLIST_WINDOW ? newest - PLAYLIST_WINDOW + 1 : 0;
  for (s = oldest; s <= newest; s++)
    gst_p2p_scheduler_add_segment (vw->sched, s, w->sc->seg_dur,
        w->sc->bitrate / 8 * w->sc->seg_dur / SEC, now);
  gst_p2p_scheduler_set_live_window (vw->sched, oldest);
  {
    guint8 swarm[32] = { 0 };
    gst_p2p_segment_store_set_live_window (vw->store, swarm, oldest);
  }
  vw->newest_seen = newest;
  if (first || !vw->seen_any) {
    guint64 start = newest >= w->sc->behind - 1 ? newest - (w->sc->behind -
        1) : 0;
    vw->seen_any = TRUE;
    vw->next_play = start;
    /* playback starts when the first fragment is complete */
    vw->stalled = TRUE;
    vw->stall_since = now;
    player_ask (w, v, start, now);
  } else if (vw->has_pending_ask && vw->pending_ask <= newest) {
    vw->has_pending_ask = FALSE;
    player_ask (w, v, vw->pending_ask, now);
  }
  run_sched (w, v, now);
again:
  if (first) {
    /* refreshes every target duration, at this viewer's phase */
    gint64 next = (now / w->sc->seg_dur) * w->sc->seg_dur + vw->phase;
    while (next <= now)
      next += w->sc->seg_dur;
    post (w, next, EV_PLAYLIST, v);
  } else {
    post (w, now + w->sc->seg_dur, EV_PLAYLIST, v);
  }
}

/* -------------------------------------------------------------- the loop */

static void
handle (World * w, Event * e)
{
  Viewer *vw = &w->v[e->v];
  Xfer *x = NULL;
  gint64 now = e->at;

  if (e->kind == EV_JOIN) {
    viewer_join (w, e->v, now);
    return;
  }
  if (!vw->present || vw->session != e->session)
    return;
  if (e->xfer)
    x = g_hash_table_lookup (w->xfers, &e->xfer);

  switch (e->kind) {
    case EV_PLAYLIST:
      playlist_refresh (w, e->v, now, e->flag == 1);
      break;
    case EV_PLAY:
      play (w, e->v, now);
      break;
    case EV_WAKE:
      if (vw->wake_at == now)
        vw->wake_at = 0;
      run_sched (w, e->v, now);
      break;
    case EV_SEND:
      if (x && !x->dead)
        send_chunk (w, x, now, FALSE);
      break;
    case EV_CDN_SEND:
      if (x && !x->dead)
        send_chunk (w, x, now, TRUE);
      break;
    case EV_ARRIVE:
      if (x)
        arrive (w, x, e->bytes, now);
      break;
    case EV_ANNOUNCE:{
      Viewer *from = &w->v[e->from];
      if (!from->present || from->session != e->xfer)
        break;
      if (e->flag == 0)
        gst_p2p_scheduler_peer_fetching (vw->sched, from->id, e->seg, FALSE,
            now);
      else
        gst_p2p_scheduler_peer_have (vw->sched, from->id, e->seg, now);
      run_sched (w, e->v, now);
      break;
    }
    case EV_REQUEST:{
      GstP2pUploadVerdict verdict;
      Event *r;
      /* e->v is the sender */
      if (!x || x->dead)
        break;
      verdict = gst_p2p_upload_gate_admit (&vw->gate,
          complete_in_store (w, e->v, x->seg));
      if (verdict == GST_P2P_UPLOAD_ACCEPT) {
        x->admitted = TRUE;
        send_chunk (w, x, now, FALSE);
        break;
      }
      r = post (w, now + owd (w, e->v, x->receiver), EV_REPLY_ABSENT,
          x->receiver);
      r->xfer = x->id;
      r->session = x->rsession;
      r->flag = verdict;
      break;
    }
    case EV_REPLY_ABSENT:
      if (!x || x->dead)
        break;
      xfer_kill (w, x);
      gst_p2p_scheduler_transfer_done (vw->sched, x->tid,
          e->flag == GST_P2P_UPLOAD_REFUSE_NOT_HAVE ? GST_P2P_TRANSFER_ABSENT :
          GST_P2P_TRANSFER_BUSY, x->held, now);
      run_sched (w, e->v, now);
      break;
    case EV_LEAVE:
      viewer_leave (w, e->v, now);
      break;
    default:
      break;
  }
}

static void
draw_scenario (World * w, const Scenario * sc)
{
  GRand *r = g_rand_new_with_seed (sc->seed);
  guint i, n = sc->viewers;
  guint n2 = (guint) (n * 0.3 + 0.5), n10 = (guint) (n * 0.5 + 0.5);

  /* the residential mix: 30 % at 2 Mbit/s, 50 % at 10, 20 % at 50 */
  for (i = 0; i < n; i++)
    w->up_caps[i] = i < n2 ? 2000000 : i < n2 + n10 ? 10000000 : 50000000;
  for (i = n - 1; i > 0; i--) {
    guint j = g_rand_int_range (r, 0, i + 1);
    guint64 t = w->up_caps[i];
    w->up_caps[i] = w->up_caps[j];
    w->up_caps[j] = t;
  }
  for (i = 0; i < n; i++) {
    w->phases[i] = (gint64) (g_rand_double (r) * sc->seg_dur);
    w->joins[i] = sc->join_start +
        (gint64) (g_rand_double (r) * sc->join_spread);
  }
  w->churn = g_array_new (FALSE, FALSE, sizeof (gint64) * 3);
  if (sc->churn_per_min > 0) {
    /* each viewer leaves as a Poisson process and is back 5-15 s later */
    gdouble rate = sc->churn_per_min / 60.0;    /* per second */
    for (i = 0; i < n; i++) {
      gdouble t = w->joins[i] / (gdouble) SEC;
      for (;;) {
        gint64 ev[3];
        t += -log (1.0 - g_rand_double (r)) / rate;
        if (t * SEC >= sc->duration)
          break;
        ev[0] = (gint64) (t * SEC);
        t += 5 + 10 * g_rand_double (r);
        ev[1] = (gint64) (t * SEC);
        ev[2] = i;
        g_array_append_val (w->churn, ev);
      }
    }
  }
  g_rand_free (r);
}

static gint
gint64_cmp (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
run_world (const Scenario * sc, gboolean p2p,
    const GstP2pSchedulerParams * params, Result * res)
{
  World *w = g_new0 (World, 1);
  guint i;
  gint64 now = 0;
  GHashTableIter it;
  gpointer k, val;
  guint n_segs = 0, n_fetch = 0;

  w->sc = sc;
  w->p2p = p2p;
  w->params = *params;
  w->params.p2p = p2p;
  w->params_seed_min_upload = seed_min_upload_mbit * 1000000;
  w->events = g_sequence_new (g_free);
  w->xfers = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  w->rand = g_rand_new_with_seed (sc->seed + 1);
  w->max_seg_size = sc->bitrate / 8 * sc->seg_dur / SEC * 2;
  w->zeros = g_malloc0 (w->max_seg_size);
  w->startups = g_array_new (FALSE, FALSE, sizeof (gint64));
  w->waits = g_array_new (FALSE, FALSE, sizeof (gint64));
  w->cdn_fetches = g_hash_table_new (NULL, NULL);
  w->cdn_reasons = g_hash_table_new (g_str_hash, g_str_equal);
  draw_scenario (w, sc);

  for (i = 0; i < sc->viewers; i++) {
    w->v[i].up_cap = w->up_caps[i];
    w->v[i].phase = w->phases[i];
    post (w, w->joins[i], EV_JOIN, i);
  }
  for (i = 0; i < w->churn->len; i++) {
    gint64 *ev = &g_array_index (w->churn, gint64, i * 3);
    Event *e;
    /* the session check drops a leave for a viewer not (yet) back */
    e = g_new0 (Event, 1);
    e->at = ev[0];
    e->seq = w->seq++;
    e->kind = EV_LEAVE;
    e->v = ev[2];
    e->session = G_MAXUINT;     /* resolved when it fires */
    g_sequence_insert_sorted (w->events, e, ev_cmp, NULL);
    post (w, ev[1], EV_JOIN, ev[2]);
  }

  while (!g_sequence_is_empty (w->events)) {
    GSequenceIter *itr = g_sequence_get_begin_iter (w->events);
    Event *e = g_sequence_get (itr);
    if (e->at > sc->duration)
      break;
    /* sample upload capacity vs demand once per second */
    while (now <= e->at) {
      guint np = 0;
      gdouble up = 0;
      for (i = 0; i < sc->viewers; i++)
        if (w->v[i].present) {
          np++;
          up += w->v[i].up_cap;
        }
      if (np > 0) {
        w->present_sum += np;
        w->upload_sum += up / ((gdouble) np * sc->bitrate);
        w->samples++;
      }
      now += SEC;
    }
    if (e->kind == EV_LEAVE && e->session == G_MAXUINT)
      e->session = w->v[e->v].session;
    if (!(e->kind == EV_JOIN && w->v[e->v].present))
      handle (w, e);
    g_sequence_remove (itr);
  }
  for (i = 0; i < sc->viewers; i++) {
    if (w->v[i].present)
      stall_end (w, i, sc->duration);
    if (w->v[i].present) {
      add_stats (w, w->v[i].sched);
      gst_p2p_scheduler_free (w->v[i].sched);
      gst_p2p_segment_store_unref (w->v[i].store);
      g_hash_table_destroy (w->v[i].xfers_in);
    }
  }

  memset (res, 0, sizeof (*res));
  res->cdn_bytes = w->cdn_bytes;
  res->peer_bytes = w->peer_bytes;
  res->stalls = w->stalls;
  res->stall_time = w->stall_time;
  res->late_asks = w->late_asks;
  res->asks = w->asks;
  res->edge_asks = w->edge_asks;
  res->started = w->startups->len;
  res->played = w->played;
  res->lag_mean = w->played ? w->lag_sum / (gdouble) w->played / SEC : 0;
  if (w->waits->len) {
    g_array_sort (w->waits, gint64_cmp);
    for (i = 0; i < w->waits->len; i++)
      res->wait_mean += g_array_index (w->waits, gint64, i) / (gdouble) SEC;
    res->wait_mean /= w->waits->len;
    res->wait_p95 = g_array_index (w->waits, gint64,
        (w->waits->len - 1) * 95 / 100) / (gdouble) SEC;
  }
  for (i = 0; i < w->startups->len; i++) {
    gdouble st = g_array_index (w->startups, gint64, i) / (gdouble) SEC;
    res->startup_mean += st / w->startups->len;
    res->startup_max = MAX (res->startup_max, st);
  }
  /* CDN fetches per segment, over segments published while the audience
   * was there (after the last first join, before the last 10 s) */
  g_hash_table_iter_init (&it, w->cdn_fetches);
  while (g_hash_table_iter_next (&it, &k, &val)) {
    guint64 seg = GPOINTER_TO_UINT (k) - 1;
    if (pub_time (w, seg) < sc->join_start + sc->join_spread + 10 * SEC ||
        pub_time (w, seg) > sc->duration - 20 * SEC)
      continue;
    n_segs++;
    n_fetch += GPOINTER_TO_UINT (val);
  }
  res->cdn_per_seg = n_segs ? (gdouble) n_fetch / n_segs : 0;
  if (w->samples) {
    gdouble n_avg = w->present_sum / w->samples;
    res->ceiling = MIN (1.0 - 1.0 / n_avg, w->upload_sum / w->samples);
  }

  if (verbose && p2p) {
    g_print ("  decisions: cdn %" G_GUINT64_FORMAT " (start-up %"
        G_GUINT64_FORMAT ", deadline %" G_GUINT64_FORMAT ", seeds %"
        G_GUINT64_FORMAT "), peer %" G_GUINT64_FORMAT " (explore %"
        G_GUINT64_FORMAT "), abandons stall %" G_GUINT64_FORMAT " late %"
        G_GUINT64_FORMAT ", waits expired %" G_GUINT64_FORMAT "\n",
        w->st.cdn_fetches, w->st.cdn_startup, w->st.cdn_deadline,
        w->st.seeds, w->st.peer_fetches, w->st.explorations,
        w->st.abandons_stall, w->st.abandons_late, w->st.waits_expired);
    g_print ("  CDN fetch decisions by reason:");
    g_hash_table_iter_init (&it, w->cdn_reasons);
    while (g_hash_table_iter_next (&it, &k, &val))
      g_print (" %s %u;", (const gchar *) k, GPOINTER_TO_UINT (val));
    g_print ("\n");
    for (i = 0; i < w->startups->len; i++)
      g_print ("  start-up %.2f s\n", g_array_index (w->startups, gint64,
              i) / (gdouble) SEC);
  }
  g_array_free (w->startups, TRUE);
  g_array_free (w->waits, TRUE);
  g_array_free (w->churn, TRUE);
  g_hash_table_destroy (w->cdn_fetches);
  g_hash_table_destroy (w->cdn_reasons);
  g_hash_table_destroy (w->xfers);
  g_sequence_free (w->events);
  g_rand_free (w->rand);
  g_free (w->zeros);
  g_free (w);
}

/* ------------------------------------------------------------------ main */

static void
print_header (void)
{
  g_print ("%-22s %4s %7s %8s %7s %9s %6s %8s %8s %9s %9s %9s %6s %8s\n",
      "scenario", "N", "offload", "ceiling", "cdn/seg", "late-asks", "stalls",
      "stall-s", "base-st", "startup", "start-max", "base-wait", "wait",
      "wait-p95");
}

static void
print_verbose (const gchar * what, const Result * r)
{
  g_print ("  %s: %u asks, %u at the live edge; %" G_GUINT64_FORMAT
      " segments played, %.2f s behind live on average; %u start-ups\n",
      what, r->asks, r->edge_asks, r->played, r->lag_mean, r->started);
}

/* --check: what the smoke test asserts of a steady run. Returns FALSE, with
 * the reasons printed, when one does not hold. */
static gboolean
check_run (const Scenario * sc, const Result * base, const Result * p2p,
    gdouble offload)
{
  gboolean ok = TRUE;
  const Result *r[2] = { base, p2p };
  const gchar *name[2] = { "CDN-only", "P2P" };
  guint i;

#define CHECK(cond, ...) G_STMT_START { \
    if (!(cond)) { g_printerr ("check failed: " __VA_ARGS__); \
      g_printerr ("\n"); ok = FALSE; } } G_STMT_END

  for (i = 0; i < 2; i++) {
    gdouble edge = r[i]->asks ? (gdouble) r[i]->edge_asks / r[i]->asks : 0;
    gdouble lag = r[i]->lag_mean / (sc->seg_dur / (gdouble) SEC);

    CHECK (r[i]->started >= sc->viewers, "%s: %u of %u viewers started",
        name[i], r[i]->started, sc->viewers);
    CHECK (r[i]->stalls == 0, "%s: %u stalls", name[i], r[i]->stalls);
    /* both start `behind` segments from the end of the playlist: the
     * first plays behind - 1 segments plus the refresh phase after it was
     * complete at the origin, and nobody stalls to fall further back */
    CHECK (lag >= sc->behind - 1 && lag <= sc->behind + 0.5,
        "%s: plays %.2f segments behind live, expected %u - 1 to %u + 0.5",
        name[i], lag, sc->behind, sc->behind);
    /* the buffered player asks for new segments as the playlist shows them
     * (all but its first `behind` asks); one-ahead asks as it starts
     * playing the previous one, at the edge about half of the time at 3
     * behind, never at 6 */
    if (player_buffered)
      CHECK (edge >= 0.8, "%s: %.0f %% of the asks at the live edge, "
          "expected >= 80 %% (buffered player)", name[i], 100 * edge);
  }
  CHECK (100 * offload >= check_min_offload, "offload %.1f %% < %.1f %%",
      100 * offload, check_min_offload);
  /* start-up goes to the CDN at once (startup_segments): as fast as
   * CDN-only, within the jitter of peers' traffic on the download link */
  CHECK (p2p->startup_mean <= base->startup_mean + 0.05,
      "start-up %.2f s with P2P, %.2f s CDN-only", p2p->startup_mean,
      base->startup_mean);
#undef CHECK
  return ok;
}

static gboolean
run_scenario (const Scenario * sc, const GstP2pSchedulerParams * params)
{
  Result base, p2p;
  gdouble offload;

  run_world (sc, FALSE, params, &base);
  run_world (sc, TRUE, params, &p2p);
  offload = base.cdn_bytes ? 1.0 - (gdouble) p2p.cdn_bytes / base.cdn_bytes : 0;
  g_print ("%-22s %4u %6.1f%% %7.1f%% %7.2f %4u/%-4u %6u %8.1f %7.2fs %8.2fs "
      "%8.2fs %8.2fs %5.2fs %7.2fs\n", sc->name, sc->viewers, 100 * offload,
      100 * p2p.ceiling, p2p.cdn_per_seg, p2p.late_asks, p2p.asks, p2p.stalls,
      p2p.stall_time / (gdouble) SEC, base.startup_mean, p2p.startup_mean,
      p2p.startup_max, base.wait_mean, p2p.wait_mean, p2p.wait_p95);
  if (base.stalls)
    g_print ("%-22s baseline (CDN only) stalls: %u, %.1f s\n", "",
        base.stalls, base.stall_time / (gdouble) SEC);
  if (verbose) {
    print_verbose ("CDN-only", &base);
    print_verbose ("P2P", &p2p);
  }
  if (check_min_offload >= 0)
    return check_run (sc, &base, &p2p, offload);
  return TRUE;
}

int
main (int argc, char **argv)
{
  gint viewers = 20, behind = 3, seconds = 180, seed = 1;
  gdouble churn = 0, bitrate_mbit = 3;
  gboolean all = FALSE, ok = TRUE;
  gchar *only = NULL, *player = NULL;
  GOptionEntry entries[] = {
    {"viewers", 'n', 0, G_OPTION_ARG_INT, &viewers, "viewers (20)", "N"},
    {"behind", 'k', 0, G_OPTION_ARG_INT, &behind,
        "segments behind live (3)", "K"},
    {"seconds", 't', 0, G_OPTION_ARG_INT, &seconds, "simulated time (180)",
        "S"},
    {"churn", 'c', 0, G_OPTION_ARG_DOUBLE, &churn,
        "share of viewers leaving per minute (0)", "F"},
    {"bitrate", 'b', 0, G_OPTION_ARG_DOUBLE, &bitrate_mbit,
        "segment bitrate, Mbit/s (3)", "M"},
    {"seed", 's', 0, G_OPTION_ARG_INT, &seed, "random seed (1)", "S"},
    {"player", 'p', 0, G_OPTION_ARG_STRING, &player,
        "player model: buffered (hlsdemux as measured in the lab) or "
          "one-ahead (buffered)", "MODEL"},
    {"check", 0, 0, G_OPTION_ARG_DOUBLE, &check_min_offload,
        "exit 1 unless every viewer starts, nobody stalls, start-up is as "
          "fast as CDN-only, the player behaves as its model and offload is "
          "at least PCT % (for the smoke test)", "PCT"},
    {"all", 'a', 0, G_OPTION_ARG_NONE, &all,
        "run the table of docs/benchmarks.md", NULL},
    {"only", 0, 0, G_OPTION_ARG_STRING, &only, "with --all: one scenario",
        "NAME"},
    {"seed-min-upload", 0, 0, G_OPTION_ARG_DOUBLE, &seed_min_upload_mbit,
        "viewers with less upload (Mbit/s) do not seed (5)", "M"},
    {"max-uploads", 0, 0, G_OPTION_ARG_INT, &max_uploads,
        "concurrent uploads per viewer (0 = the gate's default)", "N"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
        "print decision counts and start-up times", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- simulate a live swarm");
  GError *err = NULL;
  GstP2pSchedulerParams params;
  Scenario base = { "custom", 20, 180 * SEC, 2 * SEC, 3000000, 3,
    10 * SEC, 30 * SEC, 0, 100000000, 40000000, 50 * MS, 20 * MS, 80 * MS, 1
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (player && strcmp (player, "one-ahead") == 0) {
    player_buffered = FALSE;
  } else if (player && strcmp (player, "buffered") != 0) {
    g_printerr ("--player buffered|one-ahead\n");
    return 2;
  }
  gst_init (NULL, NULL);
  gst_p2p_scheduler_params_init (&params);

  if (viewers < 2 || viewers > MAX_VIEWERS || behind < 1 || behind > 10 ||
      seconds < 30) {
    g_printerr ("viewers 2..%d, behind 1..10, seconds >= 30\n", MAX_VIEWERS);
    return 2;
  }
  base.viewers = viewers;
  base.behind = behind;
  base.duration = (gint64) seconds *SEC;
  base.churn_per_min = churn;
  base.bitrate = (guint64) (bitrate_mbit * 1e6);
  base.seed = seed;

  g_print ("SIMULATION (tests/bench/sim), not a measurement. %u viewers, "
      "%.1f Mbit/s, 2 s segments, %d s, upload mix 30%%@2/50%%@10/20%%@50 "
      "Mbit/s, download %d Mbit/s, CDN %d ms / %d Mbit/s per connection, "
      "peer RTT 20-80 ms, seed %d, player %s\n", base.viewers, bitrate_mbit,
      seconds, (int) (base.down_cap / 1000000), (int) (base.cdn_rtt / MS),
      (int) (base.cdn_rate / 1000000), seed,
      player_buffered ? "buffered" : "one-ahead");
  print_header ();
  if (!all) {
    ok = run_scenario (&base, &params);
    return ok ? 0 : 1;
  }
  {
    Scenario s[6];
    guint i;
    for (i = 0; i < G_N_ELEMENTS (s); i++)
      s[i] = base;
    s[0].name = "steady, 3 behind";
    s[1].name = "flash crowd (3 s)";
    s[1].join_start = 30 * SEC;
    s[1].join_spread = 3 * SEC;
    s[2].name = "churn 20 %/min";
    s[2].churn_per_min = 0.2;
    s[3].name = "steady, 1 behind";
    s[3].behind = 1;
    s[4].name = "steady, 6 behind";
    s[4].behind = 6;
    s[5].name = "steady, 5 viewers";
    s[5].viewers = 5;
    for (i = 0; i < G_N_ELEMENTS (s); i++)
      if (!only || g_str_has_prefix (s[i].name, only))
        ok = run_scenario (&s[i], &params) && ok;
  }
  return ok ? 0 : 1;
}
