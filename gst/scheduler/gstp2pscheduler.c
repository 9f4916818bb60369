/* GstP2pScheduler: the delivery policy of one live swarm.
 * See gstp2pscheduler.h for the API and docs/scheduler.md for the policy.
 *
 * Threads: one owner (the network thread); no locking here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/gst.h>

#include "scheduler/gstp2pscheduler.h"
#include "scheduler/gstp2ppeerselect.h"
#include "scheduler/gstp2pseedrank.h"

GST_DEBUG_CATEGORY_STATIC (p2p_scheduler_debug);
#define GST_CAT_DEFAULT p2p_scheduler_debug

/* requests closer than this before the live edge are a start-up burst */
#define STARTUP_BURST_GAP (1000 * MS)
#define NEVER G_MAXINT64
#define MS (G_GINT64_CONSTANT (1000))
#define SEC G_USEC_PER_SEC
#define PEER_ID_SIZE GST_P2P_SCHEDULER_PEER_ID_SIZE
/* announcements further than this from the segments we know are ignored:
 * a hostile peer must not make our tables grow */
#define ANNOUNCE_WINDOW 64
#define MAX_SEGMENTS 512
#define MAX_PEER_ENTRIES 256
/* segment size assumed before any is known: 2 s at 4 Mbit/s */
#define DEFAULT_SEGMENT_SIZE (1024 * 1024)
#define DEFAULT_DURATION (2 * SEC)
/* a transfer's own rate is trusted once it ran this long */
#define MIN_RATE_WINDOW (200 * MS)
/* re-check running peer transfers at least this often */
#define TRANSFER_CHECK_PERIOD (200 * MS)

typedef struct _Peer Peer;
typedef struct _Segment Segment;
typedef struct _Transfer Transfer;

struct _Peer
{
  guint8 id[PEER_ID_SIZE];
  gboolean may_seed;
  gboolean ranges;
  guint64 throughput;           /* EWMA, bytes/s; 0 = unmeasured */
  gint64 rtt;
  guint in_flight;
  gint64 busy_until;
  GHashTable *have;             /* guint64* set */
  GHashTable *fetching;         /* guint64* -> gint64* announce time; an
                                 * expired wait is stored as NEVER */
};

struct _Segment
{
  guint64 id;
  gint64 duration;
  guint64 size;                 /* exact, 0 = unknown */
  guint64 size_hint;
  gboolean in_playlist;
  gboolean fresh;               /* appeared after we joined: seedable */
  gint64 first_seen;
  gint64 wait_base;             /* seeding ranks count from here */
  gint64 seed_at;               /* -1 = to compute, NEVER = not ours */
  gboolean requested;
  gboolean startup;             /* asked for while the player fills up */
  gint64 request_deadline;
  guint64 resume_offset;        /* bytes held from an interrupted transfer */
  Transfer *transfer;
};

struct _Transfer
{
  guint32 id;
  Segment *segment;
  Peer *peer;                   /* NULL: CDN */
  gboolean seed;
  guint64 start_offset;
  guint64 held;
  gint64 started;
  gint64 first_byte;
  guint64 first_held;           /* bytes held when the first ones came */
  gint64 last_progress;
};

struct _GstP2pScheduler
{
  GstP2pSchedulerParams params;
  GstP2pSegmentStore *store;
  guint8 swarm_id[GST_P2P_SEGMENT_STORE_SWARM_ID_SIZE];
  guint8 self_id[PEER_ID_SIZE];
  GRand *rand;

  GPtrArray *segments;          /* Segment*, sorted by id */
  GPtrArray *peers;             /* Peer* */
  GHashTable *transfers;        /* id -> Transfer* */
  guint32 next_transfer_id;
  guint n_peer_transfers;
  guint n_seed_transfers;

  gboolean have_playlist;
  gint64 first_playlist_time;
  guint64 newest_id;            /* newest id seen in a playlist */
  guint64 oldest_live_id;
  gint64 avg_duration;
  guint64 avg_size;

  guint n_player_requests;
  gboolean reached_edge;        /* the player asked for the newest segment */
  gint64 last_request_time;
  gboolean have_position;
  guint64 position;             /* last segment the player asked for */
  /* the play clock: segment anchor_id plays no earlier than anchor_time */
  gboolean have_anchor;
  guint64 anchor_id;
  gint64 anchor_time;
  guint64 last_request_id;

  guint64 cdn_throughput;
  gint64 cdn_rtt;

  gint64 wake;                  /* from the last next() that said FALSE */
  GstP2pSchedulerStats stats;
};

static void
ensure_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (p2p_scheduler_debug, "p2p-scheduler", 0,
        "gst-p2p delivery scheduler");
    g_once_init_leave (&done, 1);
  }
}

/**
 * gst_p2p_scheduler_params_init:
 *
 * The defaults; docs/scheduler.md explains each and the simulation behind
 * them.
 */
void
gst_p2p_scheduler_params_init (GstP2pSchedulerParams * p)
{
  g_return_if_fail (p != NULL);
  memset (p, 0, sizeof (*p));
  p->p2p = TRUE;
  p->seeding = TRUE;
  p->startup_segments = 1;
  p->play_reserve_segments = 1.0;
  p->cdn_margin = 500 * MS;
  p->peer_margin = 500 * MS;
  p->max_peer_fetches = 3;
  p->max_fetches_per_peer = 1;
  p->max_seed_fetches = 1;
  p->explore_prob = 0.1;
  p->prior_peer_throughput = 1000000;   /* 8 Mbit/s */
  p->default_peer_rtt = 100 * MS;
  p->ewma_alpha = 0.3;
  p->stall_timeout = 2000 * MS;
  p->busy_backoff = 250 * MS;
  p->seed_rank_step = 300 * MS;
  p->seed_jitter = 100 * MS;
  p->seed_max_rank = 8;
  p->fetching_wait_max = 2000 * MS;
  p->prior_cdn_throughput = 1250000;    /* 10 Mbit/s */
  p->prior_cdn_rtt = 100 * MS;
  p->max_peers = 64;
}

/* ------------------------------------------------------------------ */
/* tables */

static guint64 *
id_box (guint64 id)
{
  guint64 *b = g_new (guint64, 1);
  *b = id;
  return b;
}

static gint64 *
time_box (gint64 t)
{
  gint64 *b = g_new (gint64, 1);
  *b = t;
  return b;
}

static void
peer_free (Peer * p)
{
  g_hash_table_destroy (p->have);
  g_hash_table_destroy (p->fetching);
  g_free (p);
}

static Peer *
find_peer (GstP2pScheduler * s, const guint8 * id)
{
  guint i;

  for (i = 0; i < s->peers->len; i++) {
    Peer *p = g_ptr_array_index (s->peers, i);
    if (memcmp (p->id, id, PEER_ID_SIZE) == 0)
      return p;
  }
  return NULL;
}

/* index of the first segment with id >= @id */
static guint
segment_lower_bound (GstP2pScheduler * s, guint64 id)
{
  guint lo = 0, hi = s->segments->len;

  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    Segment *seg = g_ptr_array_index (s->segments, mid);
    if (seg->id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static Segment *
find_segment (GstP2pScheduler * s, guint64 id)
{
  guint i = segment_lower_bound (s, id);

  if (i < s->segments->len) {
    Segment *seg = g_ptr_array_index (s->segments, i);
    if (seg->id == id)
      return seg;
  }
  return NULL;
}

static Segment *
insert_segment (GstP2pScheduler * s, guint64 id, gint64 now)
{
  guint i = segment_lower_bound (s, id);
  Segment *seg = g_new0 (Segment, 1);

  seg->id = id;
  seg->duration = s->avg_duration;
  seg->first_seen = seg->wait_base = now;
  seg->seed_at = -1;
  g_ptr_array_insert (s->segments, i, seg);
  /* bounded: drop the oldest idle segments */
  while (s->segments->len > MAX_SEGMENTS) {
    Segment *old = g_ptr_array_index (s->segments, 0);
    if (old->transfer || old == seg)
      break;
    g_ptr_array_remove_index (s->segments, 0);
  }
  return seg;
}

static gboolean
in_store (GstP2pScheduler * s, Segment * seg)
{
  return s->store && gst_p2p_segment_store_contains (s->store, s->swarm_id,
      seg->id);
}

static guint64
segment_size (GstP2pScheduler * s, Segment * seg)
{
  if (seg->size)
    return seg->size;
  if (seg->size_hint)
    return seg->size_hint;
  return s->avg_size ? s->avg_size : DEFAULT_SEGMENT_SIZE;
}

/* The earliest time segment @id can start playing: the play clock runs from
 * the anchor (a segment and a time it cannot have played before, its
 * request) through the durations of the segments in between. Playback at
 * normal speed cannot get ahead of it; a stall only puts it behind, which
 * makes the deadlines early, never late. */
static gint64
play_time (GstP2pScheduler * s, guint64 id)
{
  gint64 t = s->anchor_time;
  guint64 counted = 0;
  guint i;

  if (id <= s->anchor_id)
    return t;
  i = segment_lower_bound (s, s->anchor_id);
  for (; i < s->segments->len; i++) {
    Segment *o = g_ptr_array_index (s->segments, i);
    if (o->id >= id)
      break;
    t += o->duration;
    counted++;
  }
  /* ids missing from our table (a gap) count at the average duration */
  if (id - s->anchor_id > counted)
    t += (gint64) (id - s->anchor_id - counted) * s->avg_duration;
  return t;
}

/* When the segment must be complete: play_reserve_segments before it can
 * start playing at the earliest. The player rebuffers when its queue runs
 * low, not when it runs empty (the lab's playbin paused 1.4 s before the
 * clock's time). Fixed at the request for a requested one. */
static gint64
reserve_before_play (GstP2pScheduler * s, Segment * seg, gint64 now)
{
  gint64 dur = seg->duration ? seg->duration : s->avg_duration;

  return MAX (now, play_time (s, seg->id) -
      (gint64) (s->params.play_reserve_segments * dur));
}

static gint64
segment_deadline (GstP2pScheduler * s, Segment * seg)
{
  if (seg->requested)
    return seg->request_deadline;
  if (!s->have_anchor || seg->id <= s->position)
    return NEVER;
  return reserve_before_play (s, seg, 0);
}

static gint64
cdn_eta (GstP2pScheduler * s, guint64 bytes)
{
  return s->cdn_rtt + (gint64) ((gdouble) bytes * SEC /
      MAX (s->cdn_throughput, 1));
}

static void
ewma (guint64 * avg, gdouble sample, gdouble alpha)
{
  if (*avg == 0)
    *avg = (guint64) MAX (sample, 1);
  else
    *avg = (guint64) MAX (alpha * sample + (1 - alpha) * (*avg), 1);
}

static gboolean
peer_has (Peer * p, guint64 id)
{
  return g_hash_table_contains (p->have, &id);
}

static gboolean
announce_in_window (GstP2pScheduler * s, guint64 id)
{
  if (id < s->oldest_live_id)
    return FALSE;
  if (s->have_playlist && id > s->newest_id + ANNOUNCE_WINDOW)
    return FALSE;
  if (s->have_playlist && s->newest_id > ANNOUNCE_WINDOW * 4 &&
      id < s->newest_id - ANNOUNCE_WINDOW * 4)
    return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* life cycle */

/**
 * gst_p2p_scheduler_new:
 * @params: (nullable): the policy, NULL for the defaults
 * @store: (nullable): where complete segments are (read only here)
 * @swarm_id: the store's key for this swarm (32 bytes)
 * @self_id: our peer id (16 bytes), for the seeding rank
 * @rng_seed: seed of the scheduler's random choices
 *
 * Returns: (transfer full): a scheduler, freed with gst_p2p_scheduler_free().
 */
GstP2pScheduler *
gst_p2p_scheduler_new (const GstP2pSchedulerParams * params,
    GstP2pSegmentStore * store, const guint8 * swarm_id,
    const guint8 * self_id, guint32 rng_seed, gint64 now)
{
  GstP2pScheduler *s;

  g_return_val_if_fail (swarm_id != NULL, NULL);
  g_return_val_if_fail (self_id != NULL, NULL);

  ensure_debug ();
  s = g_new0 (GstP2pScheduler, 1);
  if (params)
    s->params = *params;
  else
    gst_p2p_scheduler_params_init (&s->params);
  s->params.max_peers = MAX (s->params.max_peers, 1);
  s->params.max_fetches_per_peer = MAX (s->params.max_fetches_per_peer, 1);
  s->store = store ? gst_p2p_segment_store_ref (store) : NULL;
  memcpy (s->swarm_id, swarm_id, sizeof (s->swarm_id));
  memcpy (s->self_id, self_id, sizeof (s->self_id));
  s->rand = g_rand_new_with_seed (rng_seed);
  s->segments = g_ptr_array_new_with_free_func (g_free);
  s->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_free);
  s->transfers = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
      g_free);
  s->next_transfer_id = 1;
  s->wake = NEVER;
  s->avg_duration = DEFAULT_DURATION;
  s->cdn_throughput = s->params.prior_cdn_throughput;
  s->cdn_rtt = s->params.prior_cdn_rtt;
  return s;
}

void
gst_p2p_scheduler_free (GstP2pScheduler * s)
{
  if (!s)
    return;
  g_hash_table_destroy (s->transfers);
  g_ptr_array_free (s->peers, TRUE);
  g_ptr_array_free (s->segments, TRUE);
  g_rand_free (s->rand);
  if (s->store)
    gst_p2p_segment_store_unref (s->store);
  g_free (s);
}

/* ------------------------------------------------------------------ */
/* inputs */

/**
 * gst_p2p_scheduler_add_segment:
 * @duration: microseconds (from EXTINF)
 * @size_hint: expected bytes (byte range length, or bitrate x duration),
 *   0 if unknown
 *
 * Call for every segment of every media playlist update. A segment that
 * appears after the first playlist is live-edge material: we may seed it.
 */
void
gst_p2p_scheduler_add_segment (GstP2pScheduler * s, guint64 segment_id,
    gint64 duration, guint64 size_hint, gint64 now)
{
  Segment *seg;

  g_return_if_fail (s != NULL);
  if (segment_id < s->oldest_live_id)
    return;

  seg = find_segment (s, segment_id);
  if (!seg)
    seg = insert_segment (s, segment_id, now);
  if (!seg->in_playlist) {
    seg->in_playlist = TRUE;
    /* the first playlist (every segment added at the `now` of the first
     * one) is history; later additions at the end are the live edge */
    seg->fresh = s->have_playlist && now > s->first_playlist_time &&
        segment_id > s->newest_id;
    /* the seeding clock starts when we can fetch it: now */
    seg->wait_base = MAX (seg->wait_base, now);
    seg->seed_at = -1;
  }
  if (duration > 0) {
    seg->duration = duration;
    s->avg_duration = (s->avg_duration * 7 + duration) / 8;
  }
  if (size_hint)
    seg->size_hint = size_hint;
  if (!s->have_playlist || segment_id > s->newest_id)
    s->newest_id = segment_id;
  if (!s->have_playlist)
    s->first_playlist_time = now;
  s->have_playlist = TRUE;
}

static void
prune (GstP2pScheduler * s, guint64 below)
{
  guint i;

  while (s->segments->len > 0) {
    Segment *seg = g_ptr_array_index (s->segments, 0);
    if (seg->id >= below || seg->transfer)
      break;
    g_ptr_array_remove_index (s->segments, 0);
  }
  for (i = 0; i < s->peers->len; i++) {
    Peer *p = g_ptr_array_index (s->peers, i);
    GHashTableIter it;
    gpointer key;

    g_hash_table_iter_init (&it, p->have);
    while (g_hash_table_iter_next (&it, &key, NULL))
      if (*(guint64 *) key < below)
        g_hash_table_iter_remove (&it);
    g_hash_table_iter_init (&it, p->fetching);
    while (g_hash_table_iter_next (&it, &key, NULL))
      if (*(guint64 *) key < below)
        g_hash_table_iter_remove (&it);
  }
}

/**
 * gst_p2p_scheduler_set_live_window:
 * @oldest_id: the oldest segment id the playlist lists
 *
 * Forgets everything older (segments, announcements).
 */
void
gst_p2p_scheduler_set_live_window (GstP2pScheduler * s, guint64 oldest_id)
{
  g_return_if_fail (s != NULL);
  if (oldest_id <= s->oldest_live_id)
    return;
  s->oldest_live_id = oldest_id;
  prune (s, oldest_id);
}

/**
 * gst_p2p_scheduler_peer_added:
 * @may_seed: the peer uploads and announces FETCHING (HELLO capability and
 *   max_requests > 0): it takes part in the seeding rank
 * @ranges: the peer serves byte ranges (resumes)
 *
 * Returns: FALSE if refused (max_peers reached or already known).
 */
gboolean
gst_p2p_scheduler_peer_added (GstP2pScheduler * s, const guint8 * peer_id,
    gboolean may_seed, gboolean ranges, gint64 now)
{
  Peer *p;

  g_return_val_if_fail (s != NULL, FALSE);
  g_return_val_if_fail (peer_id != NULL, FALSE);
  if (find_peer (s, peer_id) || s->peers->len >= s->params.max_peers)
    return FALSE;
  p = g_new0 (Peer, 1);
  memcpy (p->id, peer_id, PEER_ID_SIZE);
  p->may_seed = may_seed;
  p->ranges = ranges;
  p->have = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  p->fetching = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      g_free);
  g_ptr_array_add (s->peers, p);
  return TRUE;
}

static void
transfer_remove (GstP2pScheduler * s, Transfer * t)
{
  if (t->peer) {
    t->peer->in_flight--;
    s->n_peer_transfers--;
  }
  if (t->seed)
    s->n_seed_transfers--;
  t->segment->transfer = NULL;
  g_hash_table_remove (s->transfers, GUINT_TO_POINTER (t->id));
}

/**
 * gst_p2p_scheduler_peer_removed:
 *
 * The link is gone. Our transfers from it end as failed; the bytes they
 * received stay the resume offset of their segments (the engine keeps
 * them).
 */
void
gst_p2p_scheduler_peer_removed (GstP2pScheduler * s, const guint8 * peer_id,
    gint64 now)
{
  Peer *p;
  GHashTableIter it;
  gpointer value;

  g_return_if_fail (s != NULL);
  p = find_peer (s, peer_id);
  if (!p)
    return;
again:
  g_hash_table_iter_init (&it, s->transfers);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Transfer *t = value;
    if (t->peer == p) {
      t->segment->resume_offset = t->held;
      transfer_remove (s, t);
      goto again;
    }
  }
  g_ptr_array_remove (s->peers, p);
}

/**
 * gst_p2p_scheduler_peer_have:
 *
 * The peer holds the whole segment (HAVE, or a BITFIELD bit).
 */
void
gst_p2p_scheduler_peer_have (GstP2pScheduler * s, const guint8 * peer_id,
    guint64 segment_id, gint64 now)
{
  Peer *p;

  g_return_if_fail (s != NULL);
  p = find_peer (s, peer_id);
  if (!p || !announce_in_window (s, segment_id) ||
      g_hash_table_size (p->have) >= MAX_PEER_ENTRIES) {
    s->stats.ignored_announcements++;
    return;
  }
  g_hash_table_add (p->have, id_box (segment_id));
  g_hash_table_remove (p->fetching, &segment_id);
  if (!find_segment (s, segment_id))
    insert_segment (s, segment_id, now);
}

/**
 * gst_p2p_scheduler_peer_fetching:
 * @aborted: the FETCHING frame had the ABORTED flag
 *
 * The peer is downloading the segment from the CDN (live seeding), or gave
 * up doing so.
 */
void
gst_p2p_scheduler_peer_fetching (GstP2pScheduler * s, const guint8 * peer_id,
    guint64 segment_id, gboolean aborted, gint64 now)
{
  Peer *p;
  Segment *seg;

  g_return_if_fail (s != NULL);
  p = find_peer (s, peer_id);
  if (!p || !announce_in_window (s, segment_id) ||
      g_hash_table_size (p->fetching) >= MAX_PEER_ENTRIES) {
    s->stats.ignored_announcements++;
    return;
  }
  seg = find_segment (s, segment_id);
  if (!seg)
    seg = insert_segment (s, segment_id, now);
  if (aborted) {
    /* withdrawn: the waiters fall back now, this peer is out of the rank */
    g_hash_table_replace (p->fetching, id_box (segment_id), time_box (NEVER));
    seg->wait_base = MAX (seg->wait_base, now);
    seg->seed_at = -1;
  } else if (!g_hash_table_contains (p->fetching, &segment_id)) {
    g_hash_table_insert (p->fetching, id_box (segment_id), time_box (now));
  }
}

void
gst_p2p_scheduler_peer_rtt (GstP2pScheduler * s, const guint8 * peer_id,
    gint64 rtt)
{
  Peer *p;

  g_return_if_fail (s != NULL);
  p = find_peer (s, peer_id);
  if (p && rtt > 0)
    p->rtt = p->rtt ? (p->rtt * 7 + rtt) / 8 : rtt;
}

/**
 * gst_p2p_scheduler_transfer_progress:
 * @bytes_held: bytes of the segment we now hold, from byte 0
 * @segment_size: the segment's size once known (DATA's segment_size,
 *   Content-Length/Content-Range), else 0
 */
void
gst_p2p_scheduler_transfer_progress (GstP2pScheduler * s,
    guint32 transfer_id, guint64 bytes_held, guint64 segment_size, gint64 now)
{
  Transfer *t;

  g_return_if_fail (s != NULL);
  t = g_hash_table_lookup (s->transfers, GUINT_TO_POINTER (transfer_id));
  if (!t)
    return;
  if (segment_size)
    t->segment->size = segment_size;
  if (bytes_held > t->held) {
    if (t->peer)
      s->stats.peer_bytes += bytes_held - t->held;
    else
      s->stats.cdn_bytes += bytes_held - t->held;
    if (!t->first_byte) {
      t->first_byte = now;
      t->first_held = bytes_held;
    }
    t->held = bytes_held;
    t->last_progress = now;
  }
}

static void
transfer_sample (GstP2pScheduler * s, Transfer * t, gint64 now)
{
  guint64 bytes = t->held > t->start_offset ? t->held - t->start_offset : 0;
  gint64 elapsed = now - t->started;
  gdouble rate;

  if (bytes == 0 || elapsed <= 0)
    return;
  rate = (gdouble) bytes *SEC / elapsed;
  if (t->peer) {
    ewma (&t->peer->throughput, rate, s->params.ewma_alpha);
  } else {
    /* the CDN's latency is time to first byte; its rate excludes it */
    if (t->first_byte > t->started) {
      gint64 lat = t->first_byte - t->started;
      s->cdn_rtt = (s->cdn_rtt * 7 + lat) / 8;
      if (now > t->first_byte)
        rate = (gdouble) bytes *SEC / (now - t->first_byte);
    }
    ewma (&s->cdn_throughput, rate, s->params.ewma_alpha);
  }
}

/**
 * gst_p2p_scheduler_transfer_done:
 * @result: how it ended; GST_P2P_TRANSFER_OK only once the segment is
 *   verified and in the store
 * @bytes_held: bytes of the segment the engine keeps for a resume
 *
 * Ends a transfer the scheduler started.
 */
void
gst_p2p_scheduler_transfer_done (GstP2pScheduler * s, guint32 transfer_id,
    GstP2pTransferResult result, guint64 bytes_held, gint64 now)
{
  Transfer *t;
  Segment *seg;
  Peer *p;

  g_return_if_fail (s != NULL);
  t = g_hash_table_lookup (s->transfers, GUINT_TO_POINTER (transfer_id));
  if (!t)
    return;
  gst_p2p_scheduler_transfer_progress (s, transfer_id, bytes_held, 0, now);
  seg = t->segment;
  p = t->peer;
  switch (result) {
    case GST_P2P_TRANSFER_OK:
      transfer_sample (s, t, now);
      if (!seg->size)
        seg->size = bytes_held;
      ewma (&s->avg_size, seg->size, 0.25);
      seg->resume_offset = 0;
      break;
    case GST_P2P_TRANSFER_FAILED:
      seg->resume_offset = bytes_held;
      if (p) {
        p->throughput /= 2;
        p->busy_until = now + s->params.busy_backoff;
      }
      break;
    case GST_P2P_TRANSFER_BUSY:
      seg->resume_offset = bytes_held;
      if (p)
        p->busy_until = now + s->params.busy_backoff;
      break;
    case GST_P2P_TRANSFER_ABSENT:
      seg->resume_offset = bytes_held;
      if (p)
        g_hash_table_remove (p->have, &seg->id);
      break;
  }
  GST_LOG ("transfer %u of segment %" G_GUINT64_FORMAT " ended: %d",
      transfer_id, seg->id, result);
  transfer_remove (s, t);
}

/* ------------------------------------------------------------------ */
/* decisions */

static void
decide (GstP2pScheduler * s, GstP2pDecision * d, GstP2pDecisionKind kind,
    Segment * seg, Peer * p, const gchar * reason, gint64 now)
{
  Transfer *t;

  memset (d, 0, sizeof (*d));
  d->kind = kind;
  d->segment_id = seg->id;
  d->reason = reason;
  if (kind != GST_P2P_DECISION_FETCH_CDN && kind != GST_P2P_DECISION_SEED &&
      kind != GST_P2P_DECISION_FETCH_PEER &&
      kind != GST_P2P_DECISION_ABANDON_PEER)
    return;

  t = g_new0 (Transfer, 1);
  t->id = s->next_transfer_id++;
  if (s->next_transfer_id == 0)
    s->next_transfer_id = 1;
  t->segment = seg;
  t->peer = p;
  t->seed = kind == GST_P2P_DECISION_SEED;
  t->start_offset = t->held = seg->resume_offset;
  t->started = t->last_progress = now;
  seg->transfer = t;
  g_hash_table_insert (s->transfers, GUINT_TO_POINTER (t->id), t);
  d->transfer_id = t->id;
  d->offset = seg->resume_offset;
  if (p) {
    memcpy (d->peer_id, p->id, PEER_ID_SIZE);
    p->in_flight++;
    s->n_peer_transfers++;
    s->stats.peer_fetches++;
  } else {
    s->stats.cdn_fetches++;
  }
  if (t->seed) {
    s->n_seed_transfers++;
    s->stats.seeds++;
    d->announce_fetching = TRUE;
  }
  GST_DEBUG ("segment %" G_GUINT64_FORMAT ": %s (%s), transfer %u from byte %"
      G_GUINT64_FORMAT, seg->id, kind == GST_P2P_DECISION_FETCH_PEER ? "peer" :
      kind == GST_P2P_DECISION_SEED ? "seed" : "cdn", reason, t->id, d->offset);
}

static gboolean
anyone_has_or_fetches (GstP2pScheduler * s, Segment * seg)
{
  guint i;

  for (i = 0; i < s->peers->len; i++) {
    Peer *p = g_ptr_array_index (s->peers, i);
    gint64 *t;
    if (peer_has (p, seg->id))
      return TRUE;
    t = g_hash_table_lookup (p->fetching, &seg->id);
    if (t && *t != NEVER)
      return TRUE;
  }
  return FALSE;
}

static void
decide_cdn (GstP2pScheduler * s, GstP2pDecision * d, Segment * seg,
    const gchar * reason, gint64 now)
{
  decide (s, d, GST_P2P_DECISION_FETCH_CDN, seg, NULL, reason, now);
  /* nobody else has it: tell them we fetch it, so they wait for us */
  d->announce_fetching = s->params.p2p && s->params.seeding &&
      !anyone_has_or_fetches (s, seg);
}

/* our seeding rank for @seg among the peers that may seed and have not
 * already failed to deliver it */
static guint
seed_rank (GstP2pScheduler * s, Segment * seg)
{
  const guint8 **ids = g_newa (const guint8 *, s->peers->len + 1);
  guint i, n = 0;

  for (i = 0; i < s->peers->len; i++) {
    Peer *p = g_ptr_array_index (s->peers, i);
    if (p->may_seed && !g_hash_table_contains (p->fetching, &seg->id))
      ids[n++] = p->id;
  }
  return gst_p2p_seed_rank (s->self_id, ids, n, seg->id);
}

static void
wake_at (gint64 * wake, gint64 t)
{
  if (wake && t < *wake)
    *wake = t;
}

/* The rules for one segment that is neither stored nor being transferred.
 * Returns TRUE with @d filled (and the transfer recorded) if something is
 * to be done now; else lowers @wake to when the answer may change and
 * leaves in @wait_until when the segment should be there. */
static gboolean
evaluate (GstP2pScheduler * s, Segment * seg, gint64 now, GstP2pDecision * d,
    gint64 * wake, gint64 * wait_until)
{
  const GstP2pSchedulerParams *pp = &s->params;
  gint64 deadline = segment_deadline (s, seg), cdn_latest, fetch_until = 0;
  guint64 size = segment_size (s, seg), rem;
  gboolean needed = seg->requested || deadline != NEVER;
  GstP2pPeerCandidate *cands;
  Peer **cand_peers;
  guint i, n_cands = 0, n_have = 0;

  if (wait_until)
    *wait_until = NEVER;

  if (!pp->p2p) {
    /* the baseline: like souphttpsrc, fetch what the player asks for */
    if (seg->requested) {
      decide_cdn (s, d, seg, "cdn-only", now);
      return TRUE;
    }
    return FALSE;
  }

  rem = size > seg->resume_offset ? size - seg->resume_offset : 1;
  cdn_latest = deadline == NEVER ? NEVER :
      deadline - cdn_eta (s, rem) - pp->cdn_margin;

  if (seg->requested && seg->startup) {
    s->stats.cdn_startup++;
    decide_cdn (s, d, seg, "start-up", now);
    return TRUE;
  }
  if (needed && now >= cdn_latest) {
    s->stats.cdn_deadline++;
    decide_cdn (s, d, seg, "deadline", now);
    return TRUE;
  }

  /* peers that have it */
  cands = g_newa (GstP2pPeerCandidate, s->peers->len + 1);
  cand_peers = g_newa (Peer *, s->peers->len + 1);
  for (i = 0; i < s->peers->len; i++) {
    Peer *p = g_ptr_array_index (s->peers, i);
    if (!peer_has (p, seg->id))
      continue;
    n_have++;
    if (p->busy_until > now) {
      wake_at (wake, p->busy_until);
      continue;
    }
    if (p->in_flight >= pp->max_fetches_per_peer)
      continue;
    if (seg->resume_offset > 0 && !p->ranges)
      continue;
    cands[n_cands].throughput = p->throughput;
    cands[n_cands].rtt = p->rtt;
    cands[n_cands].in_flight = p->in_flight;
    cand_peers[n_cands++] = p;
  }
  if (n_cands > 0 && s->n_peer_transfers < pp->max_peer_fetches) {
    GstP2pPeerSelectParams sp = { pp->explore_prob,
      pp->prior_peer_throughput, pp->default_peer_rtt
    };
    gint64 time_left = deadline == NEVER ? NEVER :
        deadline - pp->peer_margin - now;
    gboolean explored = FALSE;
    gint pick = gst_p2p_peer_select (cands, n_cands, rem, time_left, &sp,
        s->rand, &explored);

    if (pick >= 0) {
      if (explored)
        s->stats.explorations++;
      decide (s, d, GST_P2P_DECISION_FETCH_PEER, seg, cand_peers[pick],
          explored ? "explore" : "throughput", now);
      return TRUE;
    }
  }
  if (n_have > 0) {
    /* a peer has it: wait for a slot or a faster peer, up to the fallback;
     * at the live edge more holders appear every few hundred ms */
    wake_at (wake, cdn_latest);
    if (wait_until)
      *wait_until = cdn_latest;
    return FALSE;
  }

  /* somebody announced FETCHING: wait for the HAVE, boundedly */
  for (i = 0; i < s->peers->len; i++) {
    Peer *p = g_ptr_array_index (s->peers, i);
    gint64 *t = g_hash_table_lookup (p->fetching, &seg->id);
    gint64 until;

    if (!t || *t == NEVER)
      continue;
    until = *t + pp->fetching_wait_max;
    if (until > now) {
      fetch_until = MAX (fetch_until, until);
    } else {
      /* the seeder failed us: out of the rank, ranks restart from here */
      *t = NEVER;
      s->stats.waits_expired++;
      seg->wait_base = MAX (seg->wait_base, until);
      seg->seed_at = -1;
    }
  }
  if (fetch_until > now) {
    gint64 u = MIN (fetch_until, cdn_latest);
    wake_at (wake, u);
    if (wait_until)
      *wait_until = u;
    return FALSE;
  }

  /* live seeding: nobody has it, nobody fetches it */
  if (pp->seeding && seg->fresh && seg->in_playlist) {
    if (seg->seed_at < 0) {
      guint rank = seed_rank (s, seg);
      seg->seed_at = rank < pp->seed_max_rank ? seg->wait_base +
          gst_p2p_seed_rank_delay (rank, pp->seed_rank_step, pp->seed_jitter,
          s->rand) : NEVER;
      GST_LOG ("segment %" G_GUINT64_FORMAT ": seeding rank %u", seg->id, rank);
    }
    if (now >= seg->seed_at && s->n_seed_transfers < pp->max_seed_fetches) {
      decide (s, d, GST_P2P_DECISION_SEED, seg, NULL, "seed", now);
      return TRUE;
    }
    if (seg->seed_at > now)
      wake_at (wake, seg->seed_at);
  }

  /* nobody has it yet: a seeder or a peer may still bring it before the
   * fallback time, which the play clock puts buffer-deep into the future */
  wake_at (wake, cdn_latest);
  if (wait_until)
    *wait_until = cdn_latest;
  return FALSE;
}

/* A running peer transfer: keep it, or abandon it for the CDN. */
static gboolean
check_transfer (GstP2pScheduler * s, Transfer * t, gint64 now,
    GstP2pDecision * d, gint64 * wake)
{
  const GstP2pSchedulerParams *pp = &s->params;
  Segment *seg = t->segment;
  gint64 deadline = segment_deadline (s, seg);
  guint64 size = segment_size (s, seg);
  guint64 rem = size > t->held ? size - t->held : 0;
  const gchar *reason = NULL;
  gdouble rate;
  guint32 old_id = t->id;
  Peer *p = t->peer;

  if (!p)
    return FALSE;

  if (now - t->last_progress >= pp->stall_timeout) {
    reason = "stall";
  } else if (deadline != NEVER) {
    gint64 projected, cdn_end;

    /* the rate since the first bytes: the request's round trip and the
     * first message (64 KiB steps) say nothing of the path's rate */
    if (t->first_byte && now - t->first_byte >= MIN_RATE_WINDOW
        && t->held > t->first_held)
      rate = (gdouble) (t->held - t->first_held) * SEC / (now - t->first_byte);
    else
      rate = p->throughput ? p->throughput : pp->prior_peer_throughput;
    projected = now + (gint64) (rem * SEC / MAX (rate, 1));
    cdn_end = now + cdn_eta (s, rem);
    if (projected > deadline - pp->cdn_margin && cdn_end < projected)
      reason = "late";
    else
      wake_at (wake, now + TRANSFER_CHECK_PERIOD);
  }
  if (!reason) {
    wake_at (wake, t->last_progress + pp->stall_timeout);
    return FALSE;
  }

  /* the peer gets a bad mark: what it achieved, and a rest */
  transfer_sample (s, t, now);
  if (reason[0] == 's') {
    p->throughput /= 2;
    s->stats.abandons_stall++;
  } else {
    s->stats.abandons_late++;
  }
  p->busy_until = now + pp->busy_backoff;
  seg->resume_offset = t->held;
  transfer_remove (s, t);
  decide (s, d, GST_P2P_DECISION_ABANDON_PEER, seg, NULL, reason, now);
  d->cancel_transfer_id = old_id;
  return TRUE;
}

/* Walks everything; returns the first action, or FALSE with @wake set. */
static gboolean
run (GstP2pScheduler * s, gint64 now, GstP2pDecision * d, gint64 * wake)
{
  GHashTableIter it;
  gpointer value;
  guint i;

  *wake = NEVER;
  g_hash_table_iter_init (&it, s->transfers);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    if (check_transfer (s, value, now, d, wake))
      return TRUE;
  }

  /* behind the player's position only what it asked for and waits for: a
   * demuxer that buffers asks for several segments before playing them */
  for (i = 0; i < s->segments->len; i++) {
    Segment *seg = g_ptr_array_index (s->segments, i);

    if (s->have_position && seg->id < s->position && !seg->requested)
      continue;
    if (seg->transfer || in_store (s, seg))
      continue;
    /* before the player's first request, only the live edge matters */
    if (!s->have_position && !seg->fresh)
      continue;
    if (evaluate (s, seg, now, d, wake, NULL))
      return TRUE;
  }
  return FALSE;
}

/**
 * gst_p2p_scheduler_next:
 * @decision: (out caller-allocates): the action to take
 *
 * Call after every input, until it returns FALSE.
 *
 * Returns: TRUE with an action to take now (FETCH_CDN, SEED, FETCH_PEER or
 * ABANDON_PEER; the transfer is counted as running from now), FALSE when
 * there is nothing to do until gst_p2p_scheduler_next_wakeup() or the next
 * input.
 */
gboolean
gst_p2p_scheduler_next (GstP2pScheduler * s, gint64 now,
    GstP2pDecision * decision)
{
  g_return_val_if_fail (s != NULL, FALSE);
  g_return_val_if_fail (decision != NULL, FALSE);
  memset (decision, 0, sizeof (*decision));
  if (run (s, now, decision, &s->wake))
    return TRUE;
  return FALSE;
}

/**
 * gst_p2p_scheduler_next_wakeup:
 *
 * Returns: when gst_p2p_scheduler_next() must be called again if no input
 * arrives before (G_MAXINT64: not needed), as computed by the last call of
 * gst_p2p_scheduler_next() that returned FALSE.
 */
gint64
gst_p2p_scheduler_next_wakeup (GstP2pScheduler * s)
{
  g_return_val_if_fail (s != NULL, NEVER);
  return s->wake;
}

/**
 * gst_p2p_scheduler_player_request:
 * @segment_id: the fragment the demuxer asks for
 * @decision: (out caller-allocates): SERVE_STORE, FETCH_CDN, FETCH_PEER,
 *   SEED or WAIT (a transfer or an announced FETCHING will bring it; the
 *   engine holds the request and serves it from the transfer that
 *   completes it; the scheduler itself falls back to the CDN in time)
 *
 * The player's position also anchors the deadlines of the segments ahead.
 */
void
gst_p2p_scheduler_player_request (GstP2pScheduler * s, guint64 segment_id,
    gint64 now, GstP2pDecision * d)
{
  Segment *seg;
  gint64 wake = NEVER, until = NEVER;

  g_return_if_fail (s != NULL);
  g_return_if_fail (d != NULL);
  memset (d, 0, sizeof (*d));

  s->n_player_requests = MIN (s->n_player_requests + 1, G_MAXUINT - 1);
  seg = find_segment (s, segment_id);
  if (!seg)
    seg = insert_segment (s, segment_id, now);
  seg->requested = TRUE;
  /* Start-up: the first requests, and the demuxer's back-to-back requests
   * that fill its buffer before it first reaches the live edge, come from
   * the CDN: playback starts when that buffer is full. */
  seg->startup = s->n_player_requests <= s->params.startup_segments ||
      (!s->reached_edge && now - s->last_request_time < STARTUP_BURST_GAP);
  if (s->have_playlist && segment_id >= s->newest_id)
    s->reached_edge = TRUE;
  s->last_request_time = now;
  /* Re-anchor the play clock at the start, after a jump (skip, seek, a
   * retried request) and when the player asks later than the clock says
   * it plays: in all three the request time is the safe bound. */
  if (!s->have_anchor || segment_id != s->last_request_id + 1
      || now > play_time (s, segment_id)) {
    s->have_anchor = TRUE;
    s->anchor_id = segment_id;
    s->anchor_time = now;
  }
  s->last_request_id = segment_id;
  seg->request_deadline = reserve_before_play (s, seg, now);
  GST_LOG ("segment %" G_GUINT64_FORMAT ": asked, plays in %" G_GINT64_FORMAT
      " ms", segment_id, (seg->request_deadline - now) / MS);
  if (!s->have_position || segment_id >= s->position) {
    s->have_position = TRUE;
    s->position = segment_id;
    if (segment_id > 16)
      prune (s, MIN (segment_id - 16, s->oldest_live_id ?
              s->oldest_live_id : segment_id - 16));
  }

  if (in_store (s, seg)) {
    s->stats.served_from_store++;
    d->kind = GST_P2P_DECISION_SERVE_STORE;
    d->segment_id = segment_id;
    d->reason = "stored";
    return;
  }
  if (seg->transfer) {
    d->kind = GST_P2P_DECISION_WAIT;
    d->segment_id = segment_id;
    d->until = seg->request_deadline;
    d->reason = seg->transfer->peer ? "peer transfer running" :
        "cdn transfer running";
    return;
  }
  if (evaluate (s, seg, now, d, &wake, &until))
    return;
  /* until: when the scheduler itself hands it to the CDN at the latest */
  d->kind = GST_P2P_DECISION_WAIT;
  d->segment_id = segment_id;
  {
    guint64 size = segment_size (s, seg);
    guint64 rem = size > seg->resume_offset ? size - seg->resume_offset : 1;
    d->until = MAX (now, seg->request_deadline - cdn_eta (s, rem) -
        s->params.cdn_margin);
  }
  d->reason = "waiting for the swarm";
}

/**
 * gst_p2p_scheduler_get_deadline:
 *
 * Returns: when the segment must be complete (the player's deadline, or the
 * predicted time of its request), G_MAXINT64 if not needed or unknown.
 */
gint64
gst_p2p_scheduler_get_deadline (GstP2pScheduler * s, guint64 segment_id)
{
  Segment *seg;

  g_return_val_if_fail (s != NULL, NEVER);
  seg = find_segment (s, segment_id);
  return seg ? segment_deadline (s, seg) : NEVER;
}

guint
gst_p2p_scheduler_get_n_transfers (GstP2pScheduler * s)
{
  g_return_val_if_fail (s != NULL, 0);
  return g_hash_table_size (s->transfers);
}

void
gst_p2p_scheduler_get_stats (GstP2pScheduler * s, GstP2pSchedulerStats * st)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (st != NULL);
  *st = s->stats;
}
