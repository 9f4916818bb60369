/* GstP2pScheduler: where each segment of one live rendition comes from.
 *
 * The decision logic of peer-assisted live delivery (issue 4), for one
 * swarm (one rendition). The engine feeds it what it learns and asks it what
 * to do; the scheduler never does I/O and never reads a clock: every call
 * takes `now` (monotonic microseconds).
 *
 * Inputs
 *   - playlist:  gst_p2p_scheduler_add_segment() for every segment id of a
 *                parsed media playlist (repeats are cheap), and
 *                gst_p2p_scheduler_set_live_window() with its oldest id;
 *   - peers:     gst_p2p_scheduler_peer_added()/_removed(), _peer_have(),
 *                _peer_fetching() (HAVE/FETCHING/BITFIELD frames), _peer_rtt();
 *   - transfers: gst_p2p_scheduler_transfer_progress()/_done() for every
 *                transfer it started (CDN or peer);
 *   - player:    gst_p2p_scheduler_player_request() when the demuxer asks
 *                for a fragment.
 * Outputs: GstP2pDecision, from _player_request() and from
 *   gst_p2p_scheduler_next(), which the engine calls until it returns FALSE
 *   after any input and again at gst_p2p_scheduler_next_wakeup().
 *
 * Policy (docs/scheduler.md has the why and the numbers):
 *   - the first startup_segments fragments the player asks for, and any
 *     segment whose deadline is closer than a CDN fetch plus cdn_margin,
 *     come from the CDN at once;
 *   - segments ahead of the player are prefetched from peers that have them,
 *     picked by projected delivery time with some exploration
 *     (GstP2pPeerSelect), never more than max_peer_fetches at once;
 *   - a peer transfer that stalls (no progress for stall_timeout) or is
 *     projected to miss its deadline is abandoned for the CDN, resuming at
 *     the bytes already received;
 *   - live seeding: a segment that appears in the playlist after we joined
 *     is fetched from the CDN by the first viewer of a hash ranking
 *     (GstP2pSeedRank), who announces FETCHING; the others wait for its HAVE,
 *     at most fetching_wait_max and never past their CDN fallback time, then
 *     pull it. Deadlines are predicted from the player's request rhythm, so
 *     all this happens well before the demuxer asks.
 *
 * Threads: no locking; a scheduler belongs to one thread (the network
 * thread in the engine). The segment store it reads is thread-safe.
 */
#ifndef __GST_P2P_SCHEDULER_H__
#define __GST_P2P_SCHEDULER_H__

#include <glib.h>
#include "store/gstp2psegmentstore.h"

G_BEGIN_DECLS
#define GST_P2P_SCHEDULER_PEER_ID_SIZE 16
/**
 * GstP2pSchedulerParams:
 *
 * The policy's knobs. gst_p2p_scheduler_params_init() sets the defaults;
 * docs/scheduler.md says why each has its value. Times in microseconds,
 * rates in bytes per second.
 */
    typedef struct
{
  gboolean p2p;                 /* FALSE: CDN only, on request (baseline) */
  gboolean seeding;             /* take part in live seeding */
  guint startup_segments;       /* first player requests served by the CDN */
  gdouble play_reserve_segments;        /* complete this long before play */
  gint64 cdn_margin;            /* safety margin of the CDN fallback */
  gint64 peer_margin;           /* a peer fetch must end this long before */
  guint max_peer_fetches;       /* concurrent downloads from peers */
  guint max_fetches_per_peer;   /* concurrent downloads from one peer */
  guint max_seed_fetches;       /* concurrent seeding CDN fetches */
  gdouble explore_prob;         /* peer choice: exploration probability */
  guint64 prior_peer_throughput;        /* assumed for unmeasured peers */
  gint64 default_peer_rtt;      /* assumed when unknown */
  gdouble ewma_alpha;           /* weight of a new throughput sample */
  gint64 stall_timeout;         /* no progress this long = stalled */
  gint64 busy_backoff;          /* after a peer refused: leave it alone */
  gint64 seed_rank_step;        /* seeding delay per rank */
  gint64 seed_jitter;           /* random extra seeding delay */
  guint seed_max_rank;          /* ranks >= this never seed */
  gint64 fetching_wait_max;     /* longest wait for an announced FETCHING */
  guint64 prior_cdn_throughput; /* until measured */
  gint64 prior_cdn_rtt;         /* until measured */
  guint max_peers;              /* peers tracked; more are refused */
} GstP2pSchedulerParams;

typedef enum
{
  GST_P2P_DECISION_NONE = 0,
  /* the segment is in the store: hand it to the player */
  GST_P2P_DECISION_SERVE_STORE,
  /* GET it from the CDN (Range: bytes=offset- when offset > 0); announce
   * FETCHING first if announce_fetching */
  GST_P2P_DECISION_FETCH_CDN,
  /* live seeding: announce FETCHING, then GET it from the CDN */
  GST_P2P_DECISION_SEED,
  /* REQUEST [offset, end of segment) from peer_id */
  GST_P2P_DECISION_FETCH_PEER,
  /* it is coming (our transfer or a peer's announced FETCHING): hold the
   * player's request; the scheduler acts by `until` at the latest */
  GST_P2P_DECISION_WAIT,
  /* CANCEL transfer cancel_transfer_id (a peer transfer), GET the rest from
   * the CDN from byte `offset` as transfer transfer_id */
  GST_P2P_DECISION_ABANDON_PEER,
} GstP2pDecisionKind;

typedef struct
{
  GstP2pDecisionKind kind;
  guint64 segment_id;
  guint32 transfer_id;          /* the transfer to start, 0 if none */
  guint32 cancel_transfer_id;   /* ABANDON_PEER: the transfer to cancel */
  guint8 peer_id[GST_P2P_SCHEDULER_PEER_ID_SIZE];       /* FETCH_PEER */
  guint64 offset;               /* first byte to fetch */
  gboolean announce_fetching;   /* send FETCHING to peers before the GET */
  gint64 until;                 /* WAIT */
  const gchar *reason;          /* static string, for logs and statistics */
} GstP2pDecision;

typedef enum
{
  GST_P2P_TRANSFER_OK,          /* complete, verified and in the store */
  GST_P2P_TRANSFER_FAILED,      /* error or cancelled; keep bytes_held */
  GST_P2P_TRANSFER_BUSY,        /* the peer refused: busy (ABSENT busy) */
  GST_P2P_TRANSFER_ABSENT,      /* the peer does not have it after all */
} GstP2pTransferResult;

typedef struct
{
  guint64 cdn_fetches;          /* FETCH_CDN + SEED + ABANDON_PEER */
  guint64 cdn_startup;          /* ... because of start-up */
  guint64 cdn_deadline;         /* ... because the deadline was close */
  guint64 seeds;                /* SEED decisions */
  guint64 peer_fetches;         /* FETCH_PEER decisions */
  guint64 explorations;         /* ... that were explorations */
  guint64 abandons_stall;       /* ABANDON_PEER because of a stall */
  guint64 abandons_late;        /* ABANDON_PEER because it would be late */
  guint64 waits_expired;        /* FETCHING waits that ran out */
  guint64 served_from_store;    /* player requests answered from the store */
  guint64 cdn_bytes;            /* bytes reported by CDN transfers */
  guint64 peer_bytes;           /* bytes reported by peer transfers */
  guint64 ignored_announcements;        /* out of window, unknown peer, ... */
} GstP2pSchedulerStats;

typedef struct _GstP2pScheduler GstP2pScheduler;

void gst_p2p_scheduler_params_init (GstP2pSchedulerParams * params);

GstP2pScheduler *gst_p2p_scheduler_new (const GstP2pSchedulerParams * params,
    GstP2pSegmentStore * store,
    const guint8 * swarm_id,
    const guint8 * self_id, guint32 rng_seed, gint64 now);
void gst_p2p_scheduler_free (GstP2pScheduler * sched);

/* playlist */
void gst_p2p_scheduler_add_segment (GstP2pScheduler * sched,
    guint64 segment_id, gint64 duration, guint64 size_hint, gint64 now);
void gst_p2p_scheduler_set_live_window (GstP2pScheduler * sched,
    guint64 oldest_id);

/* peers */
gboolean gst_p2p_scheduler_peer_added (GstP2pScheduler * sched,
    const guint8 * peer_id, gboolean may_seed, gboolean ranges, gint64 now);
void gst_p2p_scheduler_peer_removed (GstP2pScheduler * sched,
    const guint8 * peer_id, gint64 now);
void gst_p2p_scheduler_peer_have (GstP2pScheduler * sched,
    const guint8 * peer_id, guint64 segment_id, gint64 now);
void gst_p2p_scheduler_peer_fetching (GstP2pScheduler * sched,
    const guint8 * peer_id, guint64 segment_id, gboolean aborted, gint64 now);
void gst_p2p_scheduler_peer_rtt (GstP2pScheduler * sched,
    const guint8 * peer_id, gint64 rtt);

/* our transfers */
void gst_p2p_scheduler_transfer_progress (GstP2pScheduler * sched,
    guint32 transfer_id, guint64 bytes_held, guint64 segment_size, gint64 now);
void gst_p2p_scheduler_transfer_done (GstP2pScheduler * sched,
    guint32 transfer_id,
    GstP2pTransferResult result, guint64 bytes_held, gint64 now);

/* player and main loop */
void gst_p2p_scheduler_player_request (GstP2pScheduler * sched,
    guint64 segment_id, gint64 now, GstP2pDecision * decision);
gboolean gst_p2p_scheduler_next (GstP2pScheduler * sched,
    gint64 now, GstP2pDecision * decision);
gint64 gst_p2p_scheduler_next_wakeup (GstP2pScheduler * sched);

gint64 gst_p2p_scheduler_get_deadline (GstP2pScheduler * sched,
    guint64 segment_id);
guint gst_p2p_scheduler_get_n_transfers (GstP2pScheduler * sched);
void gst_p2p_scheduler_get_stats (GstP2pScheduler * sched,
    GstP2pSchedulerStats * stats);

G_END_DECLS
#endif /* __GST_P2P_SCHEDULER_H__ */
