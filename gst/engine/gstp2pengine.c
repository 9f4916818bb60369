/* GstP2pEngine: feeds the stream index and the schedulers, and acts on the
 * schedulers' decisions. See gstp2pengine.h and docs/engine.md.
 *
 * Threads: every field under "loop" is only touched on the network thread
 * (GstP2pLoop); public entry points invoke there. `lock` guards the
 * statistics and the HTTP template.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstp2p.h"
#include "engine/gstp2penginepriv.h"
#include "engine/gstp2penginepeer.h"
#include "signalling/gstp2ptoken.h"
#include "net/gstp2ploop.h"
#include "swarm/gstp2pswarm.h"
#include "trust/gstp2ptrustdb.h"
#include "scheduler/gstp2pscheduler.h"
#include "scheduler/gstp2puploadgate.h"
#include "store/gstp2psegmentstore.h"
#include "stream/gstp2phlsplaylist.h"
#include "stream/gstp2pdashmpd.h"

GST_DEBUG_CATEGORY (p2p_engine_debug);
#define GST_CAT_DEFAULT p2p_engine_debug

#define SEC G_USEC_PER_SEC
/* segments of one playlist fed to a scheduler (its own table holds 512) */
#define MAX_FEED_SEGMENTS 512
/* per swarm: segments whose URI we remember (to fetch them ourselves) */
#define MAX_SEGMENT_REFS 1024
/* engine CDN fetch of one segment: idle timeout, attempts */
#define FETCH_TIMEOUT (10 * SEC)
#define MAX_FETCH_ATTEMPTS 2
/* decisions acted on per wake-up, a bound against a policy loop */
#define MAX_DECISIONS_PER_PUMP 64
/* the largest segment we take into the store or hand back */
#define MAX_SEGMENT_SIZE (64u * 1024 * 1024)
/* housekeeping: statistics from the swarms, RTTs, metered check, expired
 * verification waits */
#define TICK_MS 1000
/* a peer whose segment failed verification is left alone this long */
#define BAN_DURATION (10 * 60 * SEC)
/* a peer segment without an operator record waits at most this long when
 * the scheduler has no deadline for it */
#define DEFAULT_VERIFY_WAIT (4 * SEC)
/* peer fetch deadline when the scheduler has none */
#define DEFAULT_PEER_DEADLINE (8 * SEC)
/* A waiting request's own timer fires this long after the scheduler's CDN
 * fallback time: the scheduler acts first, the timer is the backstop. */
#define WAIT_BACKSTOP_GRACE (250 * G_USEC_PER_SEC / 1000)

typedef struct
{
  gchar *uri;
  GstP2pStreamRange range;
  gint64 total_size;
  gchar *content_type;
  guint attempts;               /* engine fetches started */
  gboolean peer_tried;          /* a peer transfer was started for it */
} SegmentRef;

typedef enum
{
  TRANSFER_SOURCE,              /* a source fetches it for the player */
  TRANSFER_CDN,                 /* our own CDN fetch */
  TRANSFER_PARKED,              /* decided, but we cannot act on it now */
  TRANSFER_PEER,                /* a peer fetch (GstP2pSwarm) */
  TRANSFER_VERIFYING,           /* peer bytes waiting for their record */
} TransferKind;

typedef struct
{
  guint32 id;
  guint64 segment_id;
  TransferKind kind;
  GstP2pEngineFetch *fetch;     /* TRANSFER_CDN, until its callback */
  GstP2pEngineRequest *req;     /* TRANSFER_SOURCE (ref) */
  gboolean announced;           /* we sent FETCHING for it */
  /* TRANSFER_PEER, TRANSFER_VERIFYING */
  GCancellable *cancel;
  gchar *peer;                  /* tracker id */
  guint64 offset;               /* first byte asked for */
  GBytes *prefix;               /* bytes [0, offset) from an earlier peer */
  GBytes *held;                 /* VERIFYING: the whole segment */
  gint64 verify_until;          /* VERIFYING: then the CDN */
} Transfer;

typedef struct _Swarm
{
  GstP2pEngine *engine;
  guint8 digest[GST_P2P_STREAM_SWARM_DIGEST_LEN];
  gchar id[GST_P2P_STREAM_SWARM_ID_LEN + 1];
  GstP2pScheduler *sched;
  GHashTable *refs;             /* guint64* -> SegmentRef */
  GHashTable *transfers;        /* GUINT_TO_POINTER (id) -> Transfer */
  GPtrArray *waiters;           /* GstP2pEngineRequest (refs) on WAIT */
  guint64 oldest;
  gboolean live;

  /* peers (only with peer delivery on) */
  GstP2pSwarm *swarm;
  GHashTable *names;            /* wire id (GBytes) -> tracker id */
  GHashTable *partials;         /* guint64* -> GBytes: unverified peer
                                 * bytes from 0, a resume point */
} Swarm;

struct _GstP2pEngine
{
  GObject parent;

  GstP2pLoop *loop;

  /* configuration, immutable */
  gchar *tracker;
  gchar *tracker_token;
  gchar *trust_key;
  gchar *stun_server;
  gchar *turn_server;
  gchar *swarm_template;
  guint64 store_size;
  gboolean upload;
  guint64 upload_rate;
  guint max_uploads;
  gboolean prefetch;
  gchar *shared_key;

  GstP2pTrustDb *trust;         /* NULL: no operator key */
  gboolean peers_on;            /* tracker and trust: peer delivery */
  gchar *peer_id;               /* our tracker id in every swarm */
  gdouble fault_corrupt;        /* GST_P2P_FAULT_CORRUPT_UPLOADS */
  gchar **ice_addresses;

  GMutex lock;
  GstP2pEngineStats stats;
  GstP2pEngineHttpTemplate *tmpl;       /* the last source's settings */

  /* loop */
  GstP2pStreamIndex *index;
  GstP2pSegmentStore *store;
  GstP2pSegmentStore *upload_store;     /* = store, or corrupted copies */
  GstP2pUploadGate gate;
  GSource *tick;
  GRand *rand;
  gboolean metered;
  GHashTable *swarms;           /* digest (GBytes) -> Swarm */
  guint8 self_id[GST_P2P_SCHEDULER_PEER_ID_SIZE];
  GSource *wake;
  gint64 wake_time;
};

G_DEFINE_TYPE (GstP2pEngine, gst_p2p_engine, G_TYPE_OBJECT);

static GMutex shared_lock;
static GHashTable *shared_engines;      /* key -> GstP2pEngine (weak) */

static void engine_pump_all (GstP2pEngine * engine);
static void swarm_start_peers (GstP2pEngine * engine, gpointer s);
static void swarm_stop_peers (gpointer s);
static void pump (struct _Swarm *s, gint64 now);

/* ---------------------------------------------------------------------- */
/* Configuration                                                          */

/**
 * gst_p2p_engine_config_init:
 *
 * The defaults: no tracker (P2P off), 64 MiB store, upload on at one
 * upload at a time without a rate cap, prefetch on.
 */
void
gst_p2p_engine_config_init (GstP2pEngineConfig * config)
{
  memset (config, 0, sizeof (*config));
  config->store_size = GST_P2P_SEGMENT_STORE_DEFAULT_MAX_BYTES;
  config->upload = TRUE;
  config->max_uploads = GST_P2P_UPLOAD_GATE_DEFAULT_MAX_UPLOADS;
  config->prefetch = TRUE;
}

static const gchar *
env_nonempty (const gchar * name)
{
  const gchar *v = g_getenv (name);

  return v && *v ? v : NULL;
}

/**
 * gst_p2p_engine_config_init_from_env:
 *
 * The defaults, then GST_P2P_TRACKER, GST_P2P_TOKEN, GST_P2P_TRUST_KEY,
 * GST_P2P_STUN, GST_P2P_TURN, GST_P2P_SWARM_ID and GST_P2P_UPLOAD (0, no,
 * off or false switch upload off). The strings point into the environment.
 */
void
gst_p2p_engine_config_init_from_env (GstP2pEngineConfig * config)
{
  const gchar *upload;

  gst_p2p_engine_config_init (config);
  config->tracker = env_nonempty (GST_P2P_ENGINE_ENV_TRACKER);
  config->tracker_token = env_nonempty (GST_P2P_ENGINE_ENV_TOKEN);
  config->trust_key = env_nonempty (GST_P2P_ENGINE_ENV_TRUST_KEY);
  config->stun_server = env_nonempty (GST_P2P_ENGINE_ENV_STUN);
  config->turn_server = env_nonempty (GST_P2P_ENGINE_ENV_TURN);
  config->swarm_id = env_nonempty (GST_P2P_ENGINE_ENV_SWARM_ID);
  upload = env_nonempty (GST_P2P_ENGINE_ENV_UPLOAD);
  if (upload && (g_str_equal (upload, "0") ||
          g_ascii_strcasecmp (upload, "no") == 0 ||
          g_ascii_strcasecmp (upload, "off") == 0 ||
          g_ascii_strcasecmp (upload, "false") == 0))
    config->upload = FALSE;
}

static gchar *
config_key (const GstP2pEngineConfig * c)
{
  /* \x1f cannot appear in a URL or a key: fields cannot run together */
  return g_strdup_printf ("%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%"
      G_GUINT64_FORMAT "\x1f%d\x1f%" G_GUINT64_FORMAT "\x1f%u\x1f%d",
      GST_STR_NULL (c->tracker), GST_STR_NULL (c->tracker_token),
      GST_STR_NULL (c->trust_key), GST_STR_NULL (c->stun_server),
      GST_STR_NULL (c->turn_server), GST_STR_NULL (c->swarm_id),
      c->store_size, c->upload, c->upload_rate, c->max_uploads, c->prefetch);
}

/* ---------------------------------------------------------------------- */
/* Swarms (loop)                                                          */

static void
segment_ref_free (SegmentRef * r)
{
  g_free (r->uri);
  g_free (r->content_type);
  g_free (r);
}

static void
transfer_free (Transfer * t)
{
  if (t->req)
    gst_p2p_engine_request_unref (t->req);
  if (t->cancel) {
    g_cancellable_cancel (t->cancel);
    g_object_unref (t->cancel);
  }
  g_clear_pointer (&t->prefix, g_bytes_unref);
  g_clear_pointer (&t->held, g_bytes_unref);
  g_free (t->peer);
  g_free (t);
}

static void
swarm_free (Swarm * s)
{
  GHashTableIter it;
  gpointer value;
  guint i;

  /* running engine fetches report to a swarm that is gone: cancel them,
   * their callbacks find no transfer */
  g_hash_table_iter_init (&it, s->transfers);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Transfer *t = value;
    if (t->fetch)
      gst_p2p_engine_fetch_cancel (t->fetch);
  }
  for (i = 0; i < s->waiters->len; i++)
    gst_p2p_engine_request_resolve (g_ptr_array_index (s->waiters, i),
        GST_P2P_ENGINE_ANSWER_CDN, NULL, -1, NULL, FALSE, "engine gone");
  swarm_stop_peers (s);
  g_ptr_array_unref (s->waiters);
  g_hash_table_destroy (s->transfers);
  g_hash_table_destroy (s->refs);
  g_hash_table_destroy (s->names);
  g_hash_table_destroy (s->partials);
  gst_p2p_scheduler_free (s->sched);
  g_free (s);
}

static Swarm *
get_swarm (GstP2pEngine * engine, const GstP2pStreamSegmentInfo * info)
{
  GBytes *key = g_bytes_new (info->swarm_digest, sizeof (info->swarm_digest));
  Swarm *s = g_hash_table_lookup (engine->swarms, key);
  GstP2pSchedulerParams params;

  if (s) {
    g_bytes_unref (key);
    return s;
  }
  s = g_new0 (Swarm, 1);
  s->engine = engine;
  memcpy (s->digest, info->swarm_digest, sizeof (s->digest));
  memcpy (s->id, info->swarm_id, sizeof (s->id));
  gst_p2p_scheduler_params_init (&params);
  /* Without peers "seeding" is what fetches new live segments ahead of the
   * demuxer; with prefetch off only the player's requests fetch. */
  params.p2p = engine->prefetch;
  params.seeding = engine->prefetch;
  /* Seeding is fetching a new segment from the CDN for the swarm: a viewer
   * that does not upload (upload off, metered at start) leaves it to
   * others and takes the segment from peers or, in time, from the CDN. */
  if (engine->peers_on && !engine->gate.enabled)
    params.seeding = FALSE;
  /* CDN-only prefetch: nobody to spread seeders apart from, and the
   * demuxer learns of a new segment from the same playlist reload as we
   * do; any delay lets it ask first. With peers the scheduler's default
   * jitter separates viewers of equal rank. */
  if (!engine->peers_on)
    params.seed_jitter = 0;
  s->sched = gst_p2p_scheduler_new (&params, engine->store, s->digest,
      engine->self_id, g_random_int (), g_get_monotonic_time ());
  s->refs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      (GDestroyNotify) segment_ref_free);
  s->transfers = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
      (GDestroyNotify) transfer_free);
  s->waiters = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_p2p_engine_request_unref);
  s->live = info->live;
  s->names = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
      (GDestroyNotify) g_bytes_unref, g_free);
  s->partials = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      (GDestroyNotify) g_bytes_unref);
  g_hash_table_insert (engine->swarms, key, s);
  if (engine->peers_on)
    swarm_start_peers (engine, s);
  g_mutex_lock (&engine->lock);
  engine->stats.swarms = g_hash_table_size (engine->swarms);
  g_mutex_unlock (&engine->lock);
  GST_INFO ("swarm %s (%s)", s->id, info->live ? "live" : "static");
  return s;
}

static SegmentRef *
remember_segment (Swarm * s, const GstP2pStreamSegmentInfo * info)
{
  SegmentRef *r = g_hash_table_lookup (s->refs, &info->segment_id);
  guint64 *key;

  if (r)
    return r;
  if (g_hash_table_size (s->refs) >= MAX_SEGMENT_REFS) {
    /* bounded: forget the oldest half */
    GHashTableIter it;
    gpointer k;
    guint64 min = G_MAXUINT64, max = 0, cut;

    g_hash_table_iter_init (&it, s->refs);
    while (g_hash_table_iter_next (&it, &k, NULL)) {
      min = MIN (min, *(guint64 *) k);
      max = MAX (max, *(guint64 *) k);
    }
    cut = min + (max - min) / 2;
    g_hash_table_iter_init (&it, s->refs);
    while (g_hash_table_iter_next (&it, &k, NULL))
      if (*(guint64 *) k <= cut)
        g_hash_table_iter_remove (&it);
  }
  r = g_new0 (SegmentRef, 1);
  r->uri = g_strdup (info->uri);
  r->range = info->range;
  r->total_size = -1;
  key = g_new (guint64, 1);
  *key = info->segment_id;
  g_hash_table_insert (s->refs, key, r);
  return r;
}

static void
set_oldest (Swarm * s, guint64 oldest)
{
  GHashTableIter it;
  gpointer k;

  if (oldest <= s->oldest)
    return;
  s->oldest = oldest;
  gst_p2p_scheduler_set_live_window (s->sched, oldest);
  gst_p2p_segment_store_set_live_window (s->engine->store, s->digest, oldest);
  g_hash_table_iter_init (&it, s->refs);
  while (g_hash_table_iter_next (&it, &k, NULL))
    if (*(guint64 *) k < oldest)
      g_hash_table_iter_remove (&it);
}

/* ---------------------------------------------------------------------- */
/* Feeding the index (loop)                                               */

typedef struct
{
  GstP2pEngine *engine;
  gchar *uri;
  gchar *final_uri;
  GBytes *body;
  gint64 real_time;
} FeedJob;

static void
feed_job_free (FeedJob * j)
{
  g_object_unref (j->engine);
  g_free (j->uri);
  g_free (j->final_uri);
  g_bytes_unref (j->body);
  g_free (j);
}

typedef struct
{
  Swarm *swarm;
  guint64 min_id;
} Touched;

/* One segment of a parsed playlist or Representation: to its scheduler. */
static void
feed_segment (GstP2pEngine * engine, GHashTable * touched, const gchar * uri,
    const GstP2pStreamRange * range, gint64 real_now, gint64 now)
{
  GstP2pStreamSegmentInfo info;
  Swarm *s;
  Touched *t;

  if (gst_p2p_stream_index_lookup (engine->index, uri, range, real_now,
          &info) != GST_P2P_STREAM_URI_SEGMENT) {
    gst_p2p_stream_segment_info_clear (&info);
    return;
  }
  s = get_swarm (engine, &info);
  s->live = info.live;
  remember_segment (s, &info);
  gst_p2p_scheduler_add_segment (s->sched, info.segment_id,
      (gint64) (info.duration / GST_USECOND),
      info.range.set ? info.range.length : 0, now);
  t = g_hash_table_lookup (touched, s);
  if (!t) {
    t = g_new0 (Touched, 1);
    t->swarm = s;
    t->min_id = info.segment_id;
    g_hash_table_insert (touched, s, t);
  }
  t->min_id = MIN (t->min_id, info.segment_id);
  gst_p2p_stream_segment_info_clear (&info);
}

static void
feed_parsed (GstP2pEngine * engine, FeedJob * j, GHashTable * touched,
    gint64 now)
{
  gsize size;
  const gchar *data = g_bytes_get_data (j->body, &size);
  const gchar *base = j->final_uri ? j->final_uri : j->uri;
  GstP2pStreamLimits limits;
  guint i, k, a, r;

  gst_p2p_stream_limits_init (&limits);
  if (gst_p2p_dash_mpd_detect (data, size)) {
    GstP2pDashMpd *mpd = gst_p2p_dash_mpd_parse (data, size, base,
        j->real_time, &limits, NULL);

    if (!mpd)
      return;
    for (i = 0; i < mpd->periods->len; i++) {
      GstP2pDashPeriod *p = &g_array_index (mpd->periods, GstP2pDashPeriod, i);
      for (a = 0; a < p->adaptation_sets->len; a++) {
        GstP2pDashAdaptationSet *as = &g_array_index (p->adaptation_sets,
            GstP2pDashAdaptationSet, a);
        for (r = 0; r < as->representations->len; r++) {
          GstP2pDashRepresentation *rep = &g_array_index (as->representations,
              GstP2pDashRepresentation, r);
          guint n = rep->segments ? rep->segments->len : 0;

          for (k = n > MAX_FEED_SEGMENTS ? n - MAX_FEED_SEGMENTS : 0; k < n;
              k++) {
            GstP2pDashSegment *seg = &g_array_index (rep->segments,
                GstP2pDashSegment, k);
            feed_segment (engine, touched, seg->uri, &seg->range,
                j->real_time, now);
          }
        }
      }
    }
    gst_p2p_dash_mpd_free (mpd);
  } else {
    GstP2pHlsPlaylist *pl = gst_p2p_hls_playlist_parse (data, size, base,
        &limits, NULL);
    guint n;

    if (!pl)
      return;
    n = pl->kind == GST_P2P_HLS_PLAYLIST_MEDIA ? pl->segments->len : 0;
    for (k = n > MAX_FEED_SEGMENTS ? n - MAX_FEED_SEGMENTS : 0; k < n; k++) {
      GstP2pHlsSegment *seg = &g_array_index (pl->segments, GstP2pHlsSegment,
          k);
      if (!seg->gap)
        feed_segment (engine, touched, seg->uri, &seg->range, j->real_time,
            now);
    }
    gst_p2p_hls_playlist_free (pl);
  }
}

static gboolean
feed_on_loop (gpointer data)
{
  FeedJob *j = data;
  GstP2pEngine *engine = j->engine;
  GError *error = NULL;
  gsize size;
  const gchar *body = g_bytes_get_data (j->body, &size);
  GHashTable *touched;
  GHashTableIter it;
  gpointer value;
  gint64 now = g_get_monotonic_time ();

  if (!gst_p2p_stream_index_add_manifest (engine->index, j->uri, j->final_uri,
          body, size, j->real_time, &error)) {
    GST_INFO ("manifest %s not taken: %s", j->uri, error->message);
    g_clear_error (&error);
    g_mutex_lock (&engine->lock);
    engine->stats.manifests_rejected++;
    g_mutex_unlock (&engine->lock);
    return G_SOURCE_REMOVE;
  }
  g_mutex_lock (&engine->lock);
  engine->stats.manifests++;
  g_mutex_unlock (&engine->lock);

  /* the index knows the swarms and segment ids now; walk the same body
   * again for the segments it lists, in order, for the schedulers */
  touched = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  feed_parsed (engine, j, touched, now);
  g_hash_table_iter_init (&it, touched);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Touched *t = value;
    GST_DEBUG ("swarm %s: playlist from %s, oldest segment %" G_GUINT64_FORMAT,
        t->swarm->id, j->uri, t->min_id);
    set_oldest (t->swarm, t->min_id);
  }
  g_hash_table_destroy (touched);
  engine_pump_all (engine);
  return G_SOURCE_REMOVE;
}

/**
 * gst_p2p_engine_feed_manifest:
 * @uri: the URI the source asked for
 * @final_uri: (nullable): after redirects
 * @body: the complete body
 * @real_time: g_get_real_time() of the fetch
 *
 * A manifest, MPD or playlist a source fetched completely. Asynchronous.
 */
void
gst_p2p_engine_feed_manifest (GstP2pEngine * engine, const gchar * uri,
    const gchar * final_uri, GBytes * body, gint64 real_time)
{
  FeedJob *j;

  g_return_if_fail (GST_P2P_IS_ENGINE (engine));
  g_return_if_fail (uri != NULL && body != NULL);

  j = g_new0 (FeedJob, 1);
  j->engine = g_object_ref (engine);
  j->uri = g_strdup (uri);
  j->final_uri = g_strdup (final_uri);
  j->body = g_bytes_ref (body);
  j->real_time = real_time;
  gst_p2p_loop_invoke (engine->loop, feed_on_loop, j,
      (GDestroyNotify) feed_job_free);
}

void
gst_p2p_engine_note_manifest_too_large (GstP2pEngine * engine)
{
  g_mutex_lock (&engine->lock);
  engine->stats.manifests_too_large++;
  g_mutex_unlock (&engine->lock);
}

/* ---------------------------------------------------------------------- */
/* Store and waiters (loop)                                               */

static void
wake_waiters (Swarm * s, guint64 segment_id, GBytes * data,
    const SegmentRef * ref)
{
  guint i = 0;

  while (i < s->waiters->len) {
    GstP2pEngineRequest *req = g_ptr_array_index (s->waiters, i);

    if (req->segment_id != segment_id) {
      i++;
      continue;
    }
    if (req->wait_timer) {
      g_source_destroy (req->wait_timer);
      g_source_unref (req->wait_timer);
      req->wait_timer = NULL;
    }
    if (gst_p2p_engine_request_resolve (req, GST_P2P_ENGINE_ANSWER_SERVE,
            data, ref ? ref->total_size : -1, ref ? ref->content_type : NULL,
            FALSE, "transfer completed")) {
      g_mutex_lock (&s->engine->lock);
      s->engine->stats.served_from_store++;
      g_mutex_unlock (&s->engine->lock);
    }
    g_ptr_array_remove_index_fast (s->waiters, i);
  }
}

/* A copy for uploads: the fault-injection hook flips bytes in some. */
static void
put_upload_copy (Swarm * s, guint64 segment_id, GBytes * body, gint64 now)
{
  GstP2pEngine *engine = s->engine;
  GBytes *bad;
  guint8 sha[GST_P2P_TRUST_SHA256_LEN];
  gsize size;
  const guint8 *data;

  if (engine->upload_store == engine->store)
    return;
  if (g_rand_double (engine->rand) < engine->fault_corrupt) {
    bad = gst_p2p_engine_corrupt_copy (body, engine->rand);
    GST_WARNING ("swarm %s segment %" G_GUINT64_FORMAT ": fault injection, "
        "uploads of it are corrupted", s->id, segment_id);
  } else {
    bad = g_bytes_ref (body);
  }
  data = g_bytes_get_data (bad, &size);
  gst_p2p_trust_sha256 (data, size, sha);
  gst_p2p_segment_store_put (engine->upload_store, s->digest, segment_id, bad,
      sha, now);
  g_bytes_unref (bad);
}

/* A complete segment (from the CDN: trusted as the player would; from
 * peers: verified against the operator's record): into the store, the
 * scheduler told, HAVE announced, the waiters served. */
static void
store_segment (Swarm * s, guint32 transfer_id, guint64 segment_id,
    GBytes * body, gint64 total_size, const gchar * content_type)
{
  GstP2pEngine *engine = s->engine;
  guint8 sha[GST_P2P_TRUST_SHA256_LEN];
  gsize size;
  const guint8 *data = g_bytes_get_data (body, &size);
  SegmentRef *ref = g_hash_table_lookup (s->refs, &segment_id);
  gint64 now = g_get_monotonic_time ();
  gboolean stored;

  gst_p2p_trust_sha256 (data, size, sha);
  if (ref) {
    if (total_size >= 0)
      ref->total_size = total_size;
    if (content_type && !ref->content_type)
      ref->content_type = g_strdup (content_type);
  }
  stored = gst_p2p_segment_store_put (engine->store, s->digest, segment_id,
      body, sha, now);
  GST_DEBUG ("swarm %s segment %" G_GUINT64_FORMAT ": %" G_GSIZE_FORMAT
      " bytes %s", s->id, segment_id, size, stored ? "stored" : "not stored");
  g_hash_table_remove (s->partials, &segment_id);
  gst_p2p_scheduler_transfer_done (s->sched, transfer_id, stored ?
      GST_P2P_TRANSFER_OK : GST_P2P_TRANSFER_FAILED, stored ? size : 0, now);
  if (stored && s->swarm) {
    put_upload_copy (s, segment_id, body, now);
    gst_p2p_swarm_announce_have (s->swarm, segment_id);
  }
  wake_waiters (s, segment_id, body, ref);
}

static void
segment_arrived (Swarm * s, guint32 transfer_id, guint64 segment_id,
    GBytes * body, gint64 total_size, const gchar * content_type)
{
  store_segment (s, transfer_id, segment_id, body, total_size, content_type);
}

/* ---------------------------------------------------------------------- */
/* Acting on decisions (loop)                                             */

typedef struct
{
  GstP2pEngine *engine;
  GBytes *swarm_key;
  guint32 transfer_id;
} FetchCtx;

static void
fetch_ctx_free (FetchCtx * c)
{
  g_object_unref (c->engine);
  g_bytes_unref (c->swarm_key);
  g_free (c);
}

static void
engine_fetch_done (GstP2pEngineFetch * fetch, GBytes * body, gint64 total,
    const gchar * content_type, const GError * error, gpointer user_data)
{
  FetchCtx *c = user_data;
  GstP2pEngine *engine = c->engine;
  Swarm *s = g_hash_table_lookup (engine->swarms, c->swarm_key);
  Transfer *t;
  guint64 segment_id;

  if (!s)
    return;
  t = g_hash_table_lookup (s->transfers, GUINT_TO_POINTER (c->transfer_id));
  if (!t || t->fetch != fetch)
    return;
  segment_id = t->segment_id;
  if (!body && t->announced && s->swarm)
    gst_p2p_swarm_announce_fetching (s->swarm, segment_id, TRUE);
  g_hash_table_remove (s->transfers, GUINT_TO_POINTER (c->transfer_id));

  g_mutex_lock (&engine->lock);
  if (body) {
    engine->stats.bytes_from_cdn += g_bytes_get_size (body);
    engine->stats.segments_from_cdn++;
    engine->stats.prefetches++;
  } else {
    engine->stats.prefetch_failures++;
  }
  g_mutex_unlock (&engine->lock);

  if (body) {
    segment_arrived (s, c->transfer_id, segment_id, body, total, content_type);
  } else {
    GST_INFO ("swarm %s segment %" G_GUINT64_FORMAT ": prefetch failed: %s",
        s->id, segment_id, error ? error->message : "?");
    gst_p2p_scheduler_transfer_done (s->sched, c->transfer_id,
        GST_P2P_TRANSFER_FAILED, 0, g_get_monotonic_time ());
  }
  engine_pump_all (engine);
}

static GstP2pEngineRequest *
find_waiter (Swarm * s, guint64 segment_id, guint * index)
{
  guint i;

  for (i = 0; i < s->waiters->len; i++) {
    GstP2pEngineRequest *req = g_ptr_array_index (s->waiters, i);
    if (req->segment_id == segment_id) {
      *index = i;
      return req;
    }
  }
  return NULL;
}

static Transfer *
add_transfer (Swarm * s, guint32 id, guint64 segment_id, TransferKind kind)
{
  Transfer *t = g_new0 (Transfer, 1);

  t->id = id;
  t->segment_id = segment_id;
  t->kind = kind;
  g_hash_table_replace (s->transfers, GUINT_TO_POINTER (id), t);
  return t;
}

/* Hands the transfer @d to a source: its request fetches from the CDN and
 * gives the bytes back. FALSE if the request already went on without us. */
static gboolean
give_to_source (Swarm * s, GstP2pEngineRequest * req, guint32 transfer_id,
    const gchar * reason)
{
  Transfer *t;

  if (!gst_p2p_engine_request_resolve (req, GST_P2P_ENGINE_ANSWER_CDN, NULL,
          -1, NULL, TRUE, reason))
    return FALSE;
  req->transfer_id = transfer_id;
  t = add_transfer (s, transfer_id, req->segment_id, TRANSFER_SOURCE);
  t->req = gst_p2p_engine_request_ref (req);
  return TRUE;
}

static void
count_cdn_fallback (GstP2pEngine * engine)
{
  g_mutex_lock (&engine->lock);
  engine->stats.cdn_fallbacks++;
  g_mutex_unlock (&engine->lock);
}

/* ABANDON_PEER: the peer transfer (or the bytes waiting for their record)
 * is dropped; the CDN brings the segment. */
static void
drop_peer_transfer (Swarm * s, guint32 transfer_id)
{
  Transfer *t = g_hash_table_lookup (s->transfers,
      GUINT_TO_POINTER (transfer_id));

  if (!t || (t->kind != TRANSFER_PEER && t->kind != TRANSFER_VERIFYING))
    return;
  GST_INFO ("swarm %s segment %" G_GUINT64_FORMAT ": peer transfer from %s "
      "abandoned for the CDN", s->id, t->segment_id, t->peer);
  /* freeing it cancels the fetch; its callback finds no transfer */
  g_hash_table_remove (s->transfers, GUINT_TO_POINTER (transfer_id));
}

static void
announce_fetching (Swarm * s, const GstP2pDecision * d)
{
  Transfer *t;

  if (!s->swarm || !(d->kind == GST_P2P_DECISION_SEED || d->announce_fetching))
    return;
  t = g_hash_table_lookup (s->transfers, GUINT_TO_POINTER (d->transfer_id));
  if (!t || t->kind == TRANSFER_PARKED)
    return;
  t->announced = TRUE;
  gst_p2p_swarm_announce_fetching (s->swarm, d->segment_id, FALSE);
}

/* FETCH_CDN, SEED, ABANDON_PEER from next(): the segment from the CDN. */
static void
act_cdn (Swarm * s, const GstP2pDecision * d)
{
  GstP2pEngine *engine = s->engine;
  SegmentRef *ref = g_hash_table_lookup (s->refs, &d->segment_id);
  GstP2pEngineHttpTemplate *tmpl;
  GstP2pEngineRequest *waiter;
  guint64 start, stop;
  FetchCtx *c;
  Transfer *t;
  guint wi;

  if (d->kind == GST_P2P_DECISION_ABANDON_PEER)
    drop_peer_transfer (s, d->cancel_transfer_id);
  if (ref && ref->peer_tried) {
    /* counted once per segment */
    ref->peer_tried = FALSE;
    count_cdn_fallback (engine);
  }

  /* a source is waiting for it: it fetches and streams it itself */
  waiter = find_waiter (s, d->segment_id, &wi);
  if (waiter) {
    gst_p2p_engine_request_ref (waiter);
    g_ptr_array_remove_index_fast (s->waiters, wi);
    if (waiter->wait_timer) {
      g_source_destroy (waiter->wait_timer);
      g_source_unref (waiter->wait_timer);
      waiter->wait_timer = NULL;
    }
    if (give_to_source (s, waiter, d->transfer_id, d->reason)) {
      GST_DEBUG ("swarm %s segment %" G_GUINT64_FORMAT ": %s, the waiting "
          "source fetches it", s->id, d->segment_id, d->reason);
      gst_p2p_engine_request_unref (waiter);
      announce_fetching (s, d);
      return;
    }
    gst_p2p_engine_request_unref (waiter);
  }

  g_mutex_lock (&engine->lock);
  tmpl = engine->tmpl ? gst_p2p_engine_http_template_ref (engine->tmpl) : NULL;
  g_mutex_unlock (&engine->lock);

  if (!ref || !tmpl || ref->attempts >= MAX_FETCH_ATTEMPTS) {
    /* We cannot fetch it (no URI or no source settings yet, or it failed
     * before): park the transfer so the policy does not decide it again
     * and again; the player's request for it takes it over. */
    GST_DEBUG ("swarm %s segment %" G_GUINT64_FORMAT ": %s parked (%s)",
        s->id, d->segment_id, d->reason, !ref ? "no uri" : !tmpl ?
        "no source settings yet" : "failed before");
    add_transfer (s, d->transfer_id, d->segment_id, TRANSFER_PARKED);
    if (tmpl)
      gst_p2p_engine_http_template_unref (tmpl);
    return;
  }

  ref->attempts++;
  /* The whole segment, also after a peer transfer left some bytes
   * (d->offset): peer bytes are only usable once the whole segment
   * verifies, and a CDN copy needs no record. */
  start = ref->range.set ? ref->range.offset : 0;
  stop = ref->range.set ? ref->range.offset + ref->range.length : (guint64) - 1;
  c = g_new0 (FetchCtx, 1);
  c->engine = g_object_ref (engine);
  c->swarm_key = g_bytes_new (s->digest, sizeof (s->digest));
  c->transfer_id = d->transfer_id;
  t = add_transfer (s, d->transfer_id, d->segment_id, TRANSFER_CDN);
  GST_DEBUG ("swarm %s segment %" G_GUINT64_FORMAT ": %s (%s), engine fetches "
      "%s", s->id, d->segment_id, d->kind == GST_P2P_DECISION_SEED ? "seed" :
      "cdn", d->reason, ref->uri);
  t->fetch = gst_p2p_engine_fetch_start (tmpl, ref->uri, start, stop,
      MIN (engine->store_size, MAX_SEGMENT_SIZE), FETCH_TIMEOUT,
      engine_fetch_done, c, (GDestroyNotify) fetch_ctx_free);
  gst_p2p_engine_http_template_unref (tmpl);
  announce_fetching (s, d);
}

/* ---------------------------------------------------------------------- */
/* Peers (loop)                                                           */

/* Bans live in the swarm's connection policy (docs/swarm.md), which
 * refuses the peer's attempts before any link work. */
static gboolean
is_banned (Swarm * s, const gchar * name)
{
  return s->swarm && gst_p2p_swarm_is_banned (s->swarm, name);
}

/* A peer whose segment failed verification: banned in the swarm (which
 * closes its link and refuses it until the ban ends) and forgotten by the
 * scheduler. */
static void
ban_peer (Swarm * s, const gchar * name, const gchar * why)
{
  GstP2pEngine *engine = s->engine;
  gint64 now = g_get_monotonic_time ();
  guint8 wire[GST_P2P_WIRE_PEER_ID_SIZE];
  gchar *id = g_strdup (name);

  g_mutex_lock (&engine->lock);
  engine->stats.bans++;
  g_mutex_unlock (&engine->lock);
  GST_WARNING ("swarm %s: peer %s banned: %s", s->id, id, why);
  gst_p2p_swarm_peer_wire_id (id, wire);
  gst_p2p_scheduler_peer_removed (s->sched, wire, now);
  if (s->swarm && !gst_p2p_swarm_ban_peer (s->swarm, id, why, BAN_DURATION))
    GST_WARNING ("swarm %s: could not record the ban of %s", s->id, id);
  g_free (id);
}

static GBytes *
concat_bytes (GBytes * a, GBytes * b)
{
  gsize na, nb;
  const guint8 *pa = g_bytes_get_data (a, &na);
  const guint8 *pb = g_bytes_get_data (b, &nb);
  guint8 *out = g_malloc (na + nb);

  memcpy (out, pa, na);
  memcpy (out + na, pb, nb);
  return g_bytes_new_take (out, na + nb);
}

/* Swarm statistics into the engine's (peers, bytes both ways). */
static void
refresh_peer_stats (GstP2pEngine * engine)
{
  GHashTableIter it;
  gpointer value;
  guint peers = 0;
  guint64 in = 0, out = 0, link_failures = 0;

  g_hash_table_iter_init (&it, engine->swarms);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Swarm *s = value;
    GstP2pSwarmStats st;

    if (!s->swarm)
      continue;
    gst_p2p_swarm_get_stats (s->swarm, &st);
    peers += st.peers;
    in += st.bytes_from_peers;
    out += st.bytes_to_peers;
    link_failures += st.link_failures;
  }
  g_mutex_lock (&engine->lock);
  engine->stats.peers = peers;
  engine->stats.bytes_from_peers = MAX (engine->stats.bytes_from_peers, in);
  engine->stats.bytes_to_peers = MAX (engine->stats.bytes_to_peers, out);
  engine->stats.link_failures = MAX (engine->stats.link_failures,
      link_failures);
  g_mutex_unlock (&engine->lock);
}

/* Verification of a whole segment from peers, before anything else sees
 * it. @t stays in the table (VERIFYING) only when its record is missing. */
static void
verify_peer_segment (Swarm * s, Transfer * t, GBytes * whole)
{
  GstP2pEngine *engine = s->engine;
  gsize size;
  const guint8 *data = g_bytes_get_data (whole, &size);
  GstP2pTrustVerdict v;
  guint32 id = t->id;
  guint64 seg = t->segment_id;
  gint64 now = g_get_monotonic_time ();
  gchar *peer;

  v = gst_p2p_trust_db_verify (engine->trust, s->digest, seg, data, size);
  GST_DEBUG ("swarm %s segment %" G_GUINT64_FORMAT ": %" G_GSIZE_FORMAT
      " bytes from %s: %s", s->id, seg, size, t->peer,
      gst_p2p_trust_verdict_to_string (v));
  switch (v) {
    case GST_P2P_TRUST_VERDICT_OK:
      g_mutex_lock (&engine->lock);
      engine->stats.segments_from_peers++;
      engine->stats.segment_bytes_from_peers += size;
      g_mutex_unlock (&engine->lock);
      g_hash_table_remove (s->transfers, GUINT_TO_POINTER (id));
      store_segment (s, id, seg, whole, -1, NULL);
      break;
    case GST_P2P_TRUST_VERDICT_UNKNOWN:{
      gint64 deadline = gst_p2p_scheduler_get_deadline (s->sched, seg);

      if (t->kind != TRANSFER_VERIFYING) {
        g_mutex_lock (&engine->lock);
        engine->stats.verify_waits++;
        g_mutex_unlock (&engine->lock);
      }
      t->kind = TRANSFER_VERIFYING;
      if (t->held != whole) {
        g_clear_pointer (&t->held, g_bytes_unref);
        t->held = g_bytes_ref (whole);
      }
      if (!t->verify_until)
        t->verify_until = deadline != G_MAXINT64 && deadline > now ?
            deadline : now + DEFAULT_VERIFY_WAIT;
      break;
    }
    default:
      g_mutex_lock (&engine->lock);
      engine->stats.hash_failures++;
      g_mutex_unlock (&engine->lock);
      peer = g_strdup (t->peer);
      g_hash_table_remove (s->transfers, GUINT_TO_POINTER (id));
      g_hash_table_remove (s->partials, &seg);
      gst_p2p_scheduler_transfer_done (s->sched, id, GST_P2P_TRANSFER_FAILED,
          0, now);
      ban_peer (s, peer, v == GST_P2P_TRUST_VERDICT_BAD_SIZE ?
          "segment of the wrong size" : "segment hash mismatch");
      g_free (peer);
      break;
  }
}

/* Records arrived, or time passed: segments waiting for their record. */
static void
recheck_verifying (Swarm * s, gboolean records_arrived)
{
  GHashTableIter it;
  gpointer value;
  gint64 now = g_get_monotonic_time ();
  GPtrArray *ids = g_ptr_array_new ();
  guint i;

  g_hash_table_iter_init (&it, s->transfers);
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (((Transfer *) value)->kind == TRANSFER_VERIFYING)
      g_ptr_array_add (ids, GUINT_TO_POINTER (((Transfer *) value)->id));
  for (i = 0; i < ids->len; i++) {
    Transfer *t = g_hash_table_lookup (s->transfers, ids->pdata[i]);
    GBytes *held;

    if (!t || t->kind != TRANSFER_VERIFYING)
      continue;
    if (records_arrived) {
      held = g_bytes_ref (t->held);
      verify_peer_segment (s, t, held);
      g_bytes_unref (held);
      t = g_hash_table_lookup (s->transfers, ids->pdata[i]);
    }
    if (t && t->kind == TRANSFER_VERIFYING && now >= t->verify_until) {
      guint32 id = t->id;

      GST_INFO ("swarm %s segment %" G_GUINT64_FORMAT ": no record in time, "
          "CDN", s->id, t->segment_id);
      g_hash_table_remove (s->transfers, GUINT_TO_POINTER (id));
      gst_p2p_scheduler_transfer_done (s->sched, id, GST_P2P_TRANSFER_FAILED,
          0, now);
    }
  }
  g_ptr_array_unref (ids);
}

typedef struct
{
  GstP2pEngine *engine;
  GBytes *swarm_key;
  guint32 transfer_id;
  GCancellable *cancel;
} PeerFetchCtx;

static void
peer_fetch_ctx_free (PeerFetchCtx * c)
{
  g_object_unref (c->engine);
  g_bytes_unref (c->swarm_key);
  g_object_unref (c->cancel);
  g_free (c);
}

static Transfer *
peer_fetch_transfer (PeerFetchCtx * c, Swarm ** swarm)
{
  Swarm *s = g_hash_table_lookup (c->engine->swarms, c->swarm_key);
  Transfer *t = s ? g_hash_table_lookup (s->transfers,
      GUINT_TO_POINTER (c->transfer_id)) : NULL;

  *swarm = s;
  if (!t || t->kind != TRANSFER_PEER || t->cancel != c->cancel)
    return NULL;
  return t;
}

static void
peer_fetch_progress (GstP2pSwarm * swarm, guint64 received,
    guint32 segment_size, gpointer data)
{
  PeerFetchCtx *c = data;
  Swarm *s;
  Transfer *t = peer_fetch_transfer (c, &s);

  if (t)
    gst_p2p_scheduler_transfer_progress (s->sched, t->id, t->offset + received,
        segment_size, g_get_monotonic_time ());
}

static void
peer_fetch_done (GObject * source, GAsyncResult * res, gpointer data)
{
  PeerFetchCtx *c = data;
  GstP2pEngine *engine = c->engine;
  GError *err = NULL;
  GBytes *bytes, *partial = NULL;
  guint32 segment_size = 0;
  Swarm *s;
  Transfer *t;

  bytes = gst_p2p_swarm_fetch_finish (GST_P2P_SWARM (source), res,
      &segment_size, NULL, &partial, &err);
  t = peer_fetch_transfer (c, &s);
  if (!t)
    goto out;

  if (bytes) {
    GBytes *whole = t->prefix ? concat_bytes (t->prefix, bytes) :
        g_bytes_ref (bytes);

    g_clear_object (&t->cancel);
    verify_peer_segment (s, t, whole);
    g_bytes_unref (whole);
  } else {
    GstP2pTransferResult result = GST_P2P_TRANSFER_FAILED;
    guint64 held = 0, seg = t->segment_id;
    guint32 id = t->id;

    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
        g_error_matches (err, GST_P2P_PEER_ERROR, GST_P2P_PEER_ERROR_NOT_HAVE)
        || g_error_matches (err, GST_P2P_PEER_ERROR,
            GST_P2P_PEER_ERROR_EVICTED))
      result = GST_P2P_TRANSFER_ABSENT;
    else if (g_error_matches (err, GST_P2P_PEER_ERROR, GST_P2P_PEER_ERROR_BUSY)
        || g_error_matches (err, GST_P2P_PEER_ERROR,
            GST_P2P_PEER_ERROR_NO_SLOT))
      result = GST_P2P_TRANSFER_BUSY;
    if (result == GST_P2P_TRANSFER_FAILED && partial
        && g_bytes_get_size (partial) > 0) {
      GBytes *part = t->prefix ? concat_bytes (t->prefix, partial) :
          g_bytes_ref (partial);
      guint64 *key = g_new (guint64, 1);

      *key = seg;
      held = g_bytes_get_size (part);
      g_hash_table_replace (s->partials, key, part);
    }
    GST_INFO ("swarm %s segment %" G_GUINT64_FORMAT ": peer %s failed: %s "
        "(%" G_GUINT64_FORMAT " bytes held)", s->id, seg, t->peer,
        err ? err->message : "?", held);
    g_mutex_lock (&engine->lock);
    engine->stats.peer_failures++;
    if (result == GST_P2P_TRANSFER_BUSY)
      engine->stats.peer_busy++;
    g_mutex_unlock (&engine->lock);
    g_hash_table_remove (s->transfers, GUINT_TO_POINTER (id));
    gst_p2p_scheduler_transfer_done (s->sched, id, result, held,
        g_get_monotonic_time ());
  }
  refresh_peer_stats (engine);
  engine_pump_all (engine);
out:
  g_clear_error (&err);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_pointer (&partial, g_bytes_unref);
  peer_fetch_ctx_free (c);
}

/* FETCH_PEER: REQUEST [offset, end) from the chosen peer. */
static void
act_peer (Swarm * s, const GstP2pDecision * d)
{
  GstP2pEngine *engine = s->engine;
  GBytes *key = g_bytes_new (d->peer_id, GST_P2P_SCHEDULER_PEER_ID_SIZE);
  const gchar *name = s->swarm ? g_hash_table_lookup (s->names, key) : NULL;
  gint64 now = g_get_monotonic_time (), deadline;
  SegmentRef *ref = g_hash_table_lookup (s->refs, &d->segment_id);
  PeerFetchCtx *c, *pc;
  Transfer *t;

  g_bytes_unref (key);
  if (!name) {
    gst_p2p_scheduler_transfer_done (s->sched, d->transfer_id,
        GST_P2P_TRANSFER_ABSENT, 0, now);
    return;
  }
  if (ref)
    ref->peer_tried = TRUE;
  t = add_transfer (s, d->transfer_id, d->segment_id, TRANSFER_PEER);
  t->peer = g_strdup (name);
  t->cancel = g_cancellable_new ();
  if (d->offset > 0 && d->offset < G_MAXUINT32) {
    GBytes *part = g_hash_table_lookup (s->partials, &d->segment_id);

    /* resume after the bytes an earlier peer left, if we kept them */
    if (part && g_bytes_get_size (part) >= d->offset) {
      t->prefix = g_bytes_new_from_bytes (part, 0, d->offset);
      t->offset = d->offset;
    }
  }
  /* the scheduler abandons the transfer in time on its own; the request's
   * own deadline is a backstop */
  deadline = gst_p2p_scheduler_get_deadline (s->sched, d->segment_id);
  if (deadline == G_MAXINT64 || deadline < now + 2 * SEC)
    deadline = now + DEFAULT_PEER_DEADLINE;
  GST_DEBUG ("swarm %s segment %" G_GUINT64_FORMAT ": from peer %s at %"
      G_GUINT64_FORMAT " (%s)", s->id, d->segment_id, name, t->offset,
      d->reason);

  c = g_new0 (PeerFetchCtx, 1);
  c->engine = g_object_ref (engine);
  c->swarm_key = g_bytes_new (s->digest, sizeof (s->digest));
  c->transfer_id = d->transfer_id;
  c->cancel = g_object_ref (t->cancel);
  pc = g_new0 (PeerFetchCtx, 1);
  pc->engine = g_object_ref (engine);
  pc->swarm_key = g_bytes_ref (c->swarm_key);
  pc->transfer_id = d->transfer_id;
  pc->cancel = g_object_ref (t->cancel);
  gst_p2p_swarm_fetch_async (s->swarm, d->segment_id, (guint32) t->offset,
      GST_P2P_WIRE_RANGE_END_OPEN, deadline, name, t->cancel,
      peer_fetch_progress, pc, (GDestroyNotify) peer_fetch_ctx_free,
      peer_fetch_done, c);
}

/* What a peer announced, for the segments we know of. */
static void
sync_haves (Swarm * s, GstP2pPeer * peer, const guint8 * wire)
{
  GHashTableIter it;
  gpointer k;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&it, s->refs);
  while (g_hash_table_iter_next (&it, &k, NULL))
    if (gst_p2p_peer_has (peer, *(guint64 *) k))
      gst_p2p_scheduler_peer_have (s->sched, wire, *(guint64 *) k, now);
}

static void
on_peer_bitfield (GstP2pPeer * peer, Swarm * s)
{
  const gchar *name = gst_p2p_peer_get_name (peer);
  guint8 wire[GST_P2P_WIRE_PEER_ID_SIZE];

  if (is_banned (s, name))
    return;
  gst_p2p_swarm_peer_wire_id (name, wire);
  sync_haves (s, peer, wire);
  pump (s, g_get_monotonic_time ());
}

static void
on_peer_added (GstP2pSwarm * swarm, const gchar * name, Swarm * s)
{
  GstP2pPeer *peer = gst_p2p_swarm_get_peer (swarm, name);
  guint8 wire[GST_P2P_WIRE_PEER_ID_SIZE];
  guint32 caps;
  gboolean may_seed;

  if (!peer)
    return;
  if (is_banned (s, name)) {
    GST_INFO ("swarm %s: banned peer %s linked again, closing", s->id, name);
    gst_p2p_peer_close (peer, GST_P2P_WIRE_BYE_PROTOCOL_ERROR, "banned");
    return;
  }
  gst_p2p_swarm_peer_wire_id (name, wire);
  g_hash_table_replace (s->names, g_bytes_new (wire, sizeof (wire)),
      g_strdup (name));
  caps = gst_p2p_peer_get_remote_capabilities (peer);
  may_seed = (caps & GST_P2P_WIRE_CAP_FETCHING) &&
      gst_p2p_peer_get_remote_max_requests (peer) > 0;
  gst_p2p_scheduler_peer_added (s->sched, wire, may_seed,
      (caps & GST_P2P_WIRE_CAP_RANGES) != 0, g_get_monotonic_time ());
  g_signal_handlers_disconnect_by_data (peer, s);
  g_signal_connect (peer, "bitfield", G_CALLBACK (on_peer_bitfield), s);
  GST_INFO ("swarm %s: peer %s ready (may seed: %d)", s->id, name, may_seed);
  sync_haves (s, peer, wire);
  refresh_peer_stats (s->engine);
  pump (s, g_get_monotonic_time ());
}

static void
on_peer_removed (GstP2pSwarm * swarm, const gchar * name,
    const gchar * reason, Swarm * s)
{
  guint8 wire[GST_P2P_WIRE_PEER_ID_SIZE];
  GBytes *key;

  gst_p2p_swarm_peer_wire_id (name, wire);
  key = g_bytes_new (wire, sizeof (wire));
  g_hash_table_remove (s->names, key);
  g_bytes_unref (key);
  gst_p2p_scheduler_peer_removed (s->sched, wire, g_get_monotonic_time ());
  GST_INFO ("swarm %s: peer %s gone (%s)", s->id, name, reason);
  refresh_peer_stats (s->engine);
  pump (s, g_get_monotonic_time ());
}

static void
on_peer_have (GstP2pSwarm * swarm, const gchar * name, guint64 seg, Swarm * s)
{
  guint8 wire[GST_P2P_WIRE_PEER_ID_SIZE];

  if (is_banned (s, name))
    return;
  gst_p2p_swarm_peer_wire_id (name, wire);
  gst_p2p_scheduler_peer_have (s->sched, wire, seg, g_get_monotonic_time ());
  pump (s, g_get_monotonic_time ());
}

static void
on_peer_fetching (GstP2pSwarm * swarm, const gchar * name, guint64 seg,
    gboolean aborted, Swarm * s)
{
  guint8 wire[GST_P2P_WIRE_PEER_ID_SIZE];

  if (is_banned (s, name))
    return;
  gst_p2p_swarm_peer_wire_id (name, wire);
  gst_p2p_scheduler_peer_fetching (s->sched, wire, seg, aborted,
      g_get_monotonic_time ());
  pump (s, g_get_monotonic_time ());
}

/* The operator's signed hashes, relayed by GstP2pSwarm::publish (the
 * publisher publishes to the swarm's tracker name). */
static void
on_publish (GObject * from_object, const gchar * from, const gchar * payload,
    Swarm * s)
{
  GstP2pEngine *engine = s->engine;
  GError *err = NULL;
  gint n;

  n = gst_p2p_trust_db_add_payload (engine->trust, payload, strlen (payload),
      g_get_real_time (), &err);
  if (n < 0) {
    GST_INFO ("swarm %s: publish from %s refused: %s", s->id, from,
        err ? err->message : "?");
    g_clear_error (&err);
    return;
  }
  GST_DEBUG ("swarm %s: %d records from %s", s->id, n, from);
  recheck_verifying (s, TRUE);
  pump (s, g_get_monotonic_time ());
}

static void
on_tracker_error (GObject * obj, const gchar * reason, const gchar * message,
    Swarm * s)
{
  GST_WARNING ("swarm %s: tracker error %s: %s", s->id, reason, message);
}

static void
swarm_start_peers (GstP2pEngine * engine, gpointer data)
{
  Swarm *s = data;
  GstP2pLinkConfig lc;
  gchar *token, *host = NULL, *user = NULL, *pass = NULL;
  guint port = 0;

  /* The swarm joins the tracker under the short name (s->id), the one the
   * publisher publishes to (docs/trust.md): one token per rendition, and
   * publish messages arrive on the swarm's own tracker connection. */
  G_STATIC_ASSERT (GST_P2P_SWARM_TRACKER_NAME_LEN ==
      GST_P2P_STREAM_SWARM_ID_LEN);
  /* a viewer may hold several tokens (one per rendition): the one for
   * this swarm's tracker name */
  token = gst_p2p_token_pick (engine->tracker_token, s->id);
  s->swarm = gst_p2p_swarm_new (s->digest, engine->tracker, token,
      engine->upload_store);
  g_free (token);
  g_warn_if_fail (strcmp (gst_p2p_swarm_get_tracker_name (s->swarm),
          s->id) == 0);
  g_object_set (s->swarm, "peer-id", engine->peer_id, "upload-enabled",
      engine->gate.enabled, "max-uploads", MAX (1, engine->max_uploads), NULL);

  /* STUN/TURN: the engine's settings (properties, defaulting to
   * GST_P2P_STUN/GST_P2P_TURN) over what the link reads from the
   * environment */
  gst_p2p_link_config_init (&lc);
  if (engine->stun_server) {
    if (gst_p2p_ice_parse_stun_uri (engine->stun_server, &host, &port)) {
      g_free (lc.ice.stun_host);
      lc.ice.stun_host = host;
      lc.ice.stun_port = port;
    } else {
      GST_WARNING ("stun-server %s: not host:port", engine->stun_server);
    }
  }
  if (engine->turn_server) {
    if (gst_p2p_ice_parse_turn_uri (engine->turn_server, &host, &port, &user,
            &pass)) {
      g_free (lc.ice.turn_host);
      g_free (lc.ice.turn_user);
      g_free (lc.ice.turn_pass);
      lc.ice.turn_host = host;
      lc.ice.turn_port = port;
      lc.ice.turn_user = user;
      lc.ice.turn_pass = pass;
    } else {
      /* never log the value: it holds a password */
      GST_WARNING ("turn-server: not turn://user:pass@host:port");
    }
  }
  if (engine->ice_addresses) {
    g_strfreev (lc.ice.local_addresses);
    lc.ice.local_addresses = g_strdupv (engine->ice_addresses);
  }
  gst_p2p_swarm_set_link_config (s->swarm, &lc);
  gst_p2p_link_config_clear (&lc);
  gst_p2p_swarm_set_upload_gate (s->swarm, &engine->gate);

  g_signal_connect (s->swarm, "peer-added", G_CALLBACK (on_peer_added), s);
  g_signal_connect (s->swarm, "peer-removed", G_CALLBACK (on_peer_removed), s);
  g_signal_connect (s->swarm, "have", G_CALLBACK (on_peer_have), s);
  g_signal_connect (s->swarm, "fetching", G_CALLBACK (on_peer_fetching), s);
  g_signal_connect (s->swarm, "publish", G_CALLBACK (on_publish), s);
  g_signal_connect (s->swarm, "tracker-error", G_CALLBACK (on_tracker_error),
      s);
  GST_INFO ("swarm %s: joining %s as %s", s->id, engine->tracker,
      engine->peer_id);
  gst_p2p_swarm_start (s->swarm);

}

static void
swarm_stop_peers (gpointer data)
{
  Swarm *s = data;

  if (s->swarm) {
    GPtrArray *peers = gst_p2p_swarm_get_peers (s->swarm);
    guint i;

    for (i = 0; i < peers->len; i++) {
      GstP2pSwarmPeerInfo *info = g_ptr_array_index (peers, i);
      GstP2pPeer *peer = gst_p2p_swarm_get_peer (s->swarm, info->id);
      if (peer)
        g_signal_handlers_disconnect_by_data (peer, s);
    }
    g_ptr_array_unref (peers);
    g_signal_handlers_disconnect_by_data (s->swarm, s);
    gst_p2p_swarm_stop (s->swarm);
    g_clear_object (&s->swarm);
  }
}

/* Housekeeping: statistics, RTTs, records that never came, metered. */
static gboolean
tick_cb (gpointer data)
{
  GstP2pEngine *engine = data;
  GHashTableIter it;
  gpointer value;
  gboolean metered, changed = FALSE;

  /* GNetworkMonitor's network-metered: NetworkManager's Metered setting of
   * the default connection (yes / guess-yes), or the portal's answer in a
   * sandbox; FALSE where the platform cannot tell. */
  metered = g_network_monitor_get_network_metered (g_network_monitor_get_default
      ());
  if (metered != engine->metered) {
    engine->metered = metered;
    engine->gate.enabled = engine->upload && !metered;
    changed = TRUE;
    GST_INFO ("network %s metered: upload %s", metered ? "is" : "is not",
        engine->gate.enabled ? "on" : "off");
  }
  g_hash_table_iter_init (&it, engine->swarms);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Swarm *s = value;
    GPtrArray *peers;
    guint i;

    if (!s->swarm)
      continue;
    if (changed) {
      /* links made from now on announce whether we serve (HELLO); the
       * shared gate refuses requests on the others at once */
      g_object_set (s->swarm, "upload-enabled", engine->gate.enabled, NULL);
    }
    peers = gst_p2p_swarm_get_peers (s->swarm);
    for (i = 0; i < peers->len; i++) {
      GstP2pSwarmPeerInfo *info = g_ptr_array_index (peers, i);
      guint8 wire[GST_P2P_WIRE_PEER_ID_SIZE];

      if (info->state != GST_P2P_PEER_STATE_READY || info->stats.rtt <= 0)
        continue;
      gst_p2p_swarm_peer_wire_id (info->id, wire);
      gst_p2p_scheduler_peer_rtt (s->sched, wire, info->stats.rtt);
    }
    g_ptr_array_unref (peers);
    recheck_verifying (s, FALSE);
  }
  refresh_peer_stats (engine);
  g_mutex_lock (&engine->lock);
  engine->stats.upload_enabled = engine->gate.enabled;
  g_mutex_unlock (&engine->lock);
  engine_pump_all (engine);
  return G_SOURCE_CONTINUE;
}

static void
act (Swarm * s, const GstP2pDecision * d)
{
  switch (d->kind) {
    case GST_P2P_DECISION_FETCH_CDN:
    case GST_P2P_DECISION_SEED:
    case GST_P2P_DECISION_ABANDON_PEER:
      act_cdn (s, d);
      break;
    case GST_P2P_DECISION_FETCH_PEER:
      act_peer (s, d);
      break;
    default:
      break;
  }
}

static gboolean
wake_cb (gpointer data)
{
  GstP2pEngine *engine = data;

  g_source_unref (engine->wake);
  engine->wake = NULL;
  engine->wake_time = G_MAXINT64;
  engine_pump_all (engine);
  return G_SOURCE_REMOVE;
}

static void
schedule_wake (GstP2pEngine * engine, gint64 when)
{
  gint64 now = g_get_monotonic_time ();

  if (when == G_MAXINT64)
    return;
  if (engine->wake && engine->wake_time <= when)
    return;
  if (engine->wake) {
    g_source_destroy (engine->wake);
    g_source_unref (engine->wake);
  }
  engine->wake_time = when;
  engine->wake = g_timeout_source_new (when > now ? (when - now + 999) / 1000 :
      0);
  g_source_set_callback (engine->wake, wake_cb, engine, NULL);
  g_source_attach (engine->wake, gst_p2p_loop_get_context (engine->loop));
}

static void
pump (Swarm * s, gint64 now)
{
  GstP2pDecision d;
  guint n = 0;

  while (n++ < MAX_DECISIONS_PER_PUMP && gst_p2p_scheduler_next (s->sched, now,
          &d))
    act (s, &d);
  if (n > MAX_DECISIONS_PER_PUMP)
    schedule_wake (s->engine, now + 100 * 1000);
  schedule_wake (s->engine, gst_p2p_scheduler_next_wakeup (s->sched));
}

static void
engine_pump_all (GstP2pEngine * engine)
{
  GHashTableIter it;
  gpointer value;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&it, engine->swarms);
  while (g_hash_table_iter_next (&it, NULL, &value))
    pump (value, now);
}

/* ---------------------------------------------------------------------- */
/* Fragment requests (loop)                                               */

typedef struct
{
  GstP2pEngineRequest *req;
  GBytes *swarm_key;
} WaitCtx;

static void
wait_ctx_free (WaitCtx * w)
{
  gst_p2p_engine_request_unref (w->req);
  g_bytes_unref (w->swarm_key);
  g_free (w);
}

static gboolean
wait_expired (gpointer data)
{
  WaitCtx *w = data;
  GstP2pEngineRequest *req = w->req;
  GstP2pEngine *engine = req->engine;
  Swarm *s = g_hash_table_lookup (engine->swarms, w->swarm_key);

  if (req->wait_timer) {
    g_source_unref (req->wait_timer);
    req->wait_timer = NULL;
  }
  if (gst_p2p_engine_request_resolve (req, GST_P2P_ENGINE_ANSWER_CDN, NULL,
          -1, NULL, FALSE, "wait expired")) {
    GST_INFO ("%s: the transfer did not come in time, CDN", req->uri);
    gst_p2p_engine_note_deadline_miss (engine);
  }
  if (s)
    g_ptr_array_remove_fast (s->waiters, req);
  return G_SOURCE_REMOVE;
}

/* The request waits for a transfer until @until at most. */
static void
add_waiter (Swarm * s, GstP2pEngineRequest * req, gint64 until, gint64 now,
    const gchar * reason)
{
  WaitCtx *w;

  g_ptr_array_add (s->waiters, gst_p2p_engine_request_ref (req));
  w = g_new0 (WaitCtx, 1);
  w->req = gst_p2p_engine_request_ref (req);
  w->swarm_key = g_bytes_new (s->digest, sizeof (s->digest));
  req->wait_timer = g_timeout_source_new ((until - now + 999) / 1000);
  g_source_set_callback (req->wait_timer, wait_expired, w,
      (GDestroyNotify) wait_ctx_free);
  g_source_attach (req->wait_timer, gst_p2p_loop_get_context (s->engine->loop));
  GST_DEBUG ("swarm %s segment %" G_GUINT64_FORMAT ": waits %"
      G_GINT64_FORMAT " ms (%s)", s->id, req->segment_id, (until - now) / 1000,
      reason);
}

static void
answer_cdn (GstP2pEngineRequest * req, const gchar * reason)
{
  gst_p2p_engine_request_resolve (req, GST_P2P_ENGINE_ANSWER_CDN, NULL, -1,
      NULL, FALSE, reason);
}

static gboolean
request_on_loop (gpointer data)
{
  GstP2pEngineRequest *req = data;
  GstP2pEngine *engine = req->engine;
  GstP2pStreamRange range = { FALSE, 0, 0 };
  GstP2pStreamSegmentInfo info;
  GstP2pStreamUriKind kind;
  GstP2pDecision d;
  Swarm *s;
  SegmentRef *ref;
  Transfer *t;
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&engine->lock);
  engine->stats.requests++;
  if (engine->tmpl)
    gst_p2p_engine_http_template_unref (engine->tmpl);
  engine->tmpl = gst_p2p_engine_http_template_ref (req->tmpl);
  g_mutex_unlock (&engine->lock);

  if (req->stop != (guint64) - 1) {
    if (req->stop <= req->start) {
      answer_cdn (req, "empty range");
      return G_SOURCE_REMOVE;
    }
    range.set = TRUE;
    range.offset = req->start;
    range.length = req->stop - req->start;
  } else if (req->start > 0) {
    /* the rest of a resource: not a segment we know */
    answer_cdn (req, "open range");
    return G_SOURCE_REMOVE;
  }

  kind = gst_p2p_stream_index_lookup (engine->index, req->uri, &range,
      g_get_real_time (), &info);
  if (kind != GST_P2P_STREAM_URI_SEGMENT) {
    GST_DEBUG ("%s: %s, CDN", req->uri, gst_p2p_stream_uri_kind_to_string
        (kind));
    answer_cdn (req, gst_p2p_stream_uri_kind_to_string (kind));
    return G_SOURCE_REMOVE;
  }

  s = get_swarm (engine, &info);
  ref = remember_segment (s, &info);
  req->is_segment = TRUE;
  memcpy (req->swarm_digest, s->digest, sizeof (s->digest));
  req->segment_id = info.segment_id;
  gst_p2p_stream_segment_info_clear (&info);

  gst_p2p_scheduler_player_request (s->sched, req->segment_id, now, &d);
  GST_DEBUG ("swarm %s segment %" G_GUINT64_FORMAT ": player asks, %d (%s)",
      s->id, req->segment_id, d.kind, d.reason);

  switch (d.kind) {
    case GST_P2P_DECISION_SERVE_STORE:{
      GBytes *bytes = gst_p2p_segment_store_get (engine->store, s->digest,
          req->segment_id, NULL, now);

      if (bytes && gst_p2p_engine_request_resolve (req,
              GST_P2P_ENGINE_ANSWER_SERVE, bytes, ref->total_size,
              ref->content_type, FALSE, d.reason)) {
        g_mutex_lock (&engine->lock);
        engine->stats.served_from_store++;
        g_mutex_unlock (&engine->lock);
      } else if (!bytes) {
        answer_cdn (req, "evicted");
      }
      g_clear_pointer (&bytes, g_bytes_unref);
      break;
    }
    case GST_P2P_DECISION_FETCH_CDN:
    case GST_P2P_DECISION_SEED:
    case GST_P2P_DECISION_ABANDON_PEER:
      if (d.kind == GST_P2P_DECISION_ABANDON_PEER)
        drop_peer_transfer (s, d.cancel_transfer_id);
      if (ref->peer_tried) {
        ref->peer_tried = FALSE;
        count_cdn_fallback (engine);
      }
      if (!give_to_source (s, req, d.transfer_id, d.reason))
        gst_p2p_scheduler_transfer_done (s->sched, d.transfer_id,
            GST_P2P_TRANSFER_FAILED, 0, now);
      else
        announce_fetching (s, &d);
      break;
    case GST_P2P_DECISION_FETCH_PEER:{
      gint64 until = gst_p2p_scheduler_get_deadline (s->sched,
          req->segment_id);

      /* the peer transfer brings it (verified) or the scheduler hands the
       * request a CDN transfer; the wait is a backstop */
      act_peer (s, &d);
      if (until == G_MAXINT64 || until < now + 2 * SEC)
        until = now + DEFAULT_PEER_DEADLINE;
      add_waiter (s, req, until, now, d.reason);
      break;
    }
    case GST_P2P_DECISION_WAIT:{
      GHashTableIter it;
      gpointer value;

      /* a transfer we parked: this request takes it over */
      g_hash_table_iter_init (&it, s->transfers);
      t = NULL;
      while (g_hash_table_iter_next (&it, NULL, &value)) {
        Transfer *o = value;
        if (o->segment_id == req->segment_id) {
          t = o;
          break;
        }
      }
      if (t && t->kind == TRANSFER_PARKED) {
        guint32 id = t->id;

        g_hash_table_remove (s->transfers, GUINT_TO_POINTER (id));
        if (!give_to_source (s, req, id, "parked"))
          gst_p2p_scheduler_transfer_done (s->sched, id,
              GST_P2P_TRANSFER_FAILED, 0, now);
        break;
      }
      if (d.until <= now) {
        answer_cdn (req, "nothing to wait for");
        break;
      }
      add_waiter (s, req, d.until + WAIT_BACKSTOP_GRACE, now, d.reason);
      break;
    }
    default:
      answer_cdn (req, "no decision");
      break;
  }
  pump (s, now);
  return G_SOURCE_REMOVE;
}

void
gst_p2p_engine_submit_request (GstP2pEngine * engine, GstP2pEngineRequest * req)
{
  gst_p2p_loop_invoke (engine->loop, request_on_loop,
      gst_p2p_engine_request_ref (req),
      (GDestroyNotify) gst_p2p_engine_request_unref);
}

typedef struct
{
  GstP2pEngineRequest *req;
  gboolean ok;
  guint64 cdn_bytes;
  GBytes *body;
  gint64 total_size;
  gchar *content_type;
} FinishJob;

static void
finish_job_free (FinishJob * f)
{
  gst_p2p_engine_request_unref (f->req);
  g_clear_pointer (&f->body, g_bytes_unref);
  g_free (f->content_type);
  g_free (f);
}

static gboolean
finish_on_loop (gpointer data)
{
  FinishJob *f = data;
  GstP2pEngineRequest *req = f->req;
  GstP2pEngine *engine = req->engine;
  GBytes *key;
  Swarm *s;
  Transfer *t;
  gint64 now = g_get_monotonic_time ();

  if (!req->is_segment)
    return G_SOURCE_REMOVE;
  key = g_bytes_new (req->swarm_digest, sizeof (req->swarm_digest));
  s = g_hash_table_lookup (engine->swarms, key);
  g_bytes_unref (key);
  if (!s)
    return G_SOURCE_REMOVE;

  /* a request that is still waiting (the source gave up): forget it */
  if (g_ptr_array_remove_fast (s->waiters, req) && req->wait_timer) {
    g_source_destroy (req->wait_timer);
    g_source_unref (req->wait_timer);
    req->wait_timer = NULL;
  }

  t = req->transfer_id ? g_hash_table_lookup (s->transfers,
      GUINT_TO_POINTER (req->transfer_id)) : NULL;
  if (t && t->req == req) {
    guint32 id = t->id;
    guint64 segment_id = t->segment_id;

    if (t->announced && s->swarm && !(f->ok && f->body))
      gst_p2p_swarm_announce_fetching (s->swarm, segment_id, TRUE);
    g_hash_table_remove (s->transfers, GUINT_TO_POINTER (id));
    if (f->ok && f->body && g_bytes_get_size (f->body) > 0)
      segment_arrived (s, id, segment_id, f->body, f->total_size,
          f->content_type);
    else
      gst_p2p_scheduler_transfer_done (s->sched, id, GST_P2P_TRANSFER_FAILED,
          0, now);
  }
  pump (s, now);
  return G_SOURCE_REMOVE;
}

void
gst_p2p_engine_submit_finish (GstP2pEngine * engine, GstP2pEngineRequest * req,
    gboolean ok, guint64 cdn_bytes, GBytes * body, gint64 total_size,
    const gchar * content_type)
{
  FinishJob *f = g_new0 (FinishJob, 1);

  f->req = gst_p2p_engine_request_ref (req);
  f->ok = ok;
  f->cdn_bytes = cdn_bytes;
  f->body = body ? g_bytes_ref (body) : NULL;
  f->total_size = total_size;
  f->content_type = g_strdup (content_type);
  gst_p2p_loop_invoke (engine->loop, finish_on_loop, f,
      (GDestroyNotify) finish_job_free);
}

/* Any thread, when a source finishes a request: counted at once, so a
 * p2p-stats message posted right after includes it. */
void
gst_p2p_engine_note_cdn_fragment (GstP2pEngine * engine, guint64 bytes,
    gboolean complete)
{
  g_mutex_lock (&engine->lock);
  engine->stats.bytes_from_cdn += bytes;
  if (complete && bytes > 0)
    engine->stats.segments_from_cdn++;
  g_mutex_unlock (&engine->lock);
}

void
gst_p2p_engine_note_deadline_miss (GstP2pEngine * engine)
{
  g_mutex_lock (&engine->lock);
  engine->stats.deadline_misses++;
  g_mutex_unlock (&engine->lock);
}

/* ---------------------------------------------------------------------- */
/* Statistics and diagnostics                                             */

/**
 * gst_p2p_engine_get_stats:
 * @stats: (out caller-allocates): engine-wide counters since creation
 */
void
gst_p2p_engine_get_stats (GstP2pEngine * engine, GstP2pEngineStats * stats)
{
  g_return_if_fail (GST_P2P_IS_ENGINE (engine));
  g_mutex_lock (&engine->lock);
  *stats = engine->stats;
  g_mutex_unlock (&engine->lock);
}

/**
 * gst_p2p_engine_stats_to_structure:
 * @name: the structure's name, e.g. "p2p-stats"
 *
 * Returns: (transfer full): the counters as fields named like the
 * properties they correspond to (bytes-from-cdn, ...).
 */
GstStructure *
gst_p2p_engine_stats_to_structure (const GstP2pEngineStats * st,
    const gchar * name)
{
  return gst_structure_new (name,
      "bytes-from-cdn", G_TYPE_UINT64, st->bytes_from_cdn,
      "bytes-from-peers", G_TYPE_UINT64, st->bytes_from_peers,
      "bytes-to-peers", G_TYPE_UINT64, st->bytes_to_peers,
      "peers", G_TYPE_UINT, st->peers,
      "segments-from-cdn", G_TYPE_UINT64, st->segments_from_cdn,
      "segments-from-peers", G_TYPE_UINT64, st->segments_from_peers,
      "hash-failures", G_TYPE_UINT64, st->hash_failures,
      "cdn-fallbacks", G_TYPE_UINT64, st->cdn_fallbacks,
      "deadline-misses", G_TYPE_UINT64, st->deadline_misses,
      "served-from-store", G_TYPE_UINT64, st->served_from_store,
      "prefetches", G_TYPE_UINT64, st->prefetches,
      "prefetch-failures", G_TYPE_UINT64, st->prefetch_failures,
      "manifests", G_TYPE_UINT64, st->manifests,
      "manifests-rejected", G_TYPE_UINT64, st->manifests_rejected,
      "manifests-too-large", G_TYPE_UINT64, st->manifests_too_large,
      "swarms", G_TYPE_UINT, st->swarms,
      "requests", G_TYPE_UINT64, st->requests,
      "segment-bytes-from-peers", G_TYPE_UINT64, st->segment_bytes_from_peers,
      "peer-failures", G_TYPE_UINT64, st->peer_failures,
      "peer-busy", G_TYPE_UINT64, st->peer_busy,
      "link-failures", G_TYPE_UINT64, st->link_failures,
      "verify-waits", G_TYPE_UINT64, st->verify_waits,
      "bans", G_TYPE_UINT64, st->bans,
      "upload-enabled", G_TYPE_BOOLEAN, st->upload_enabled, NULL);
}

typedef struct
{
  GstP2pEngine *engine;
  GstP2pStreamIndexStats *index_stats;
  const gchar *uri;
  GstP2pStreamUriKind kind;
  gchar *swarm_id;
  guint64 segment_id;
  GPtrArray *swarms;
} SyncQuery;

static gboolean
index_stats_sync (gpointer data)
{
  SyncQuery *q = data;

  gst_p2p_stream_index_get_stats (q->engine->index, q->index_stats);
  return G_SOURCE_REMOVE;
}

/**
 * gst_p2p_engine_get_index_stats_sync:
 *
 * The stream index's counters. Waits for the network thread: not for the
 * data path.
 */
void
gst_p2p_engine_get_index_stats_sync (GstP2pEngine * engine,
    GstP2pStreamIndexStats * stats)
{
  SyncQuery q = { engine, stats };

  g_return_if_fail (GST_P2P_IS_ENGINE (engine));
  gst_p2p_loop_invoke_sync (engine->loop, index_stats_sync, &q);
}

static gboolean
lookup_sync (gpointer data)
{
  SyncQuery *q = data;
  GstP2pStreamSegmentInfo info;

  q->kind = gst_p2p_stream_index_lookup (q->engine->index, q->uri, NULL,
      g_get_real_time (), &info);
  if (q->kind == GST_P2P_STREAM_URI_SEGMENT) {
    q->swarm_id = g_strdup (info.swarm_id);
    q->segment_id = info.segment_id;
  }
  gst_p2p_stream_segment_info_clear (&info);
  return G_SOURCE_REMOVE;
}

/**
 * gst_p2p_engine_lookup_sync:
 * @uri: a URI (whole resource)
 * @swarm_id: (out) (optional): its swarm's short id for a segment
 * @segment_id: (out) (optional): its segment id for a segment
 *
 * What the index says @uri is. Diagnostics; waits for the network thread.
 */
GstP2pStreamUriKind
gst_p2p_engine_lookup_sync (GstP2pEngine * engine, const gchar * uri,
    gchar swarm_id[GST_P2P_STREAM_SWARM_ID_LEN + 1], guint64 * segment_id)
{
  SyncQuery q = { engine, NULL, uri };

  g_return_val_if_fail (GST_P2P_IS_ENGINE (engine), GST_P2P_STREAM_URI_UNKNOWN);
  gst_p2p_loop_invoke_sync (engine->loop, lookup_sync, &q);
  if (swarm_id)
    g_strlcpy (swarm_id, q.swarm_id ? q.swarm_id : "",
        GST_P2P_STREAM_SWARM_ID_LEN + 1);
  if (segment_id)
    *segment_id = q.segment_id;
  g_free (q.swarm_id);
  return q.kind;
}

static gboolean
list_swarms_sync (gpointer data)
{
  SyncQuery *q = data;
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, q->engine->swarms);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (q->swarms, g_strdup (((Swarm *) value)->id));
  return G_SOURCE_REMOVE;
}

/**
 * gst_p2p_engine_list_swarms_sync:
 *
 * Returns: (transfer full): the short ids of the swarms the engine
 * schedules, NULL-terminated. Diagnostics; waits for the network thread.
 */
gchar **
gst_p2p_engine_list_swarms_sync (GstP2pEngine * engine)
{
  SyncQuery q = { engine };

  g_return_val_if_fail (GST_P2P_IS_ENGINE (engine), NULL);
  q.swarms = g_ptr_array_new ();
  gst_p2p_loop_invoke_sync (engine->loop, list_swarms_sync, &q);
  g_ptr_array_add (q.swarms, NULL);
  return (gchar **) g_ptr_array_free (q.swarms, FALSE);
}

const gchar *
gst_p2p_engine_get_tracker (GstP2pEngine * engine)
{
  g_return_val_if_fail (GST_P2P_IS_ENGINE (engine), NULL);
  return engine->tracker;
}

/* ---------------------------------------------------------------------- */
/* Context                                                                */

/**
 * gst_p2p_engine_context_new:
 * @engine: (nullable): the engine, NULL for "no P2P in this pipeline"
 *
 * Returns: (transfer full): a persistent context of type
 * GST_P2P_ENGINE_CONTEXT_TYPE for gst_element_set_context().
 */
GstContext *
gst_p2p_engine_context_new (GstP2pEngine * engine)
{
  GstContext *context = gst_context_new (GST_P2P_ENGINE_CONTEXT_TYPE, TRUE);
  GstStructure *s = gst_context_writable_structure (context);

  gst_structure_set (s, "engine", GST_P2P_TYPE_ENGINE, engine, NULL);
  return context;
}

/**
 * gst_p2p_engine_context_get:
 * @engine: (out) (transfer full) (nullable): the engine, NULL if the
 *   context switches P2P off
 *
 * Returns: TRUE if @context is an engine context.
 */
gboolean
gst_p2p_engine_context_get (GstContext * context, GstP2pEngine ** engine)
{
  const GstStructure *s;

  *engine = NULL;
  if (!gst_context_has_context_type (context, GST_P2P_ENGINE_CONTEXT_TYPE))
    return FALSE;
  s = gst_context_get_structure (context);
  if (gst_structure_has_field_typed (s, "engine", GST_P2P_TYPE_ENGINE))
    gst_structure_get (s, "engine", GST_P2P_TYPE_ENGINE, engine, NULL);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Life cycle                                                             */

typedef struct
{
  GstP2pEngine *engine;
  GstP2pStreamIndexConfig config;
  GError *error;
} SetupCall;

static gboolean
setup_on_loop (gpointer data)
{
  SetupCall *c = data;
  GstP2pEngine *e = c->engine;

  e->index = gst_p2p_stream_index_new (&c->config, &c->error);
  if (e->index && e->peers_on) {
    e->tick = g_timeout_source_new (TICK_MS);
    g_source_set_callback (e->tick, tick_cb, e, NULL);
    g_source_attach (e->tick, gst_p2p_loop_get_context (e->loop));
  }
  return G_SOURCE_REMOVE;
}

static gboolean
teardown_on_loop (gpointer data)
{
  GstP2pEngine *e = data;

  if (e->wake) {
    g_source_destroy (e->wake);
    g_source_unref (e->wake);
    e->wake = NULL;
  }
  if (e->tick) {
    g_source_destroy (e->tick);
    g_source_unref (e->tick);
    e->tick = NULL;
  }
  g_clear_pointer (&e->swarms, g_hash_table_destroy);
  g_clear_pointer (&e->index, gst_p2p_stream_index_free);
  return G_SOURCE_REMOVE;
}

/**
 * gst_p2p_engine_new:
 * @config: the configuration (copied)
 *
 * A new engine, private to the caller (one viewer). Sources use it when it
 * is given to their pipeline in a context (gst_p2p_engine_context_new()).
 *
 * Returns: (transfer full): the engine, or NULL with @error (a bad swarm-id
 * template).
 */
GstP2pEngine *
gst_p2p_engine_new (const GstP2pEngineConfig * config, GError ** error)
{
  GstP2pEngine *e;
  SetupCall call = { 0, };

  g_return_val_if_fail (config != NULL, NULL);
  gst_p2p_init ();

  e = g_object_new (GST_P2P_TYPE_ENGINE, NULL);
  e->tracker = g_strdup (config->tracker);
  e->tracker_token = g_strdup (config->tracker_token);
  e->trust_key = g_strdup (config->trust_key);
  e->stun_server = g_strdup (config->stun_server);
  e->turn_server = g_strdup (config->turn_server);
  e->swarm_template = g_strdup (config->swarm_id);
  e->store_size = config->store_size ? config->store_size :
      GST_P2P_SEGMENT_STORE_DEFAULT_MAX_BYTES;
  e->upload = config->upload;
  e->upload_rate = config->upload_rate;
  e->max_uploads = config->max_uploads;
  e->prefetch = config->prefetch;
  e->store = gst_p2p_segment_store_new (e->store_size);
  gst_p2p_upload_gate_init (&e->gate, e->upload, e->max_uploads,
      e->upload_rate, 0, g_get_monotonic_time ());
  e->rand = g_rand_new ();
  e->ice_addresses = gst_p2p_engine_ice_addresses_from_env ();

  /* Peer delivery needs a tracker and the operator's key: peer bytes are
   * only used once they match an operator-signed hash (docs/trust.md). */
  if (e->tracker && e->trust_key) {
    GstP2pTrustDbConfig tc;

    gst_p2p_trust_db_config_init (&tc);
    tc.keys = e->trust_key;
    e->trust = gst_p2p_trust_db_new (&tc, error);
    if (!e->trust) {
      g_object_unref (e);
      return NULL;
    }
    e->peers_on = gst_p2p_trust_db_get_n_keys (e->trust) > 0;
  }
  if (e->tracker && !e->peers_on)
    GST_WARNING ("tracker %s but no trust key: peer delivery off, CDN and "
        "prefetch only", e->tracker);
  e->fault_corrupt = gst_p2p_engine_fault_corrupt_probability ();
  if (e->peers_on && e->fault_corrupt > 0) {
    /* test hook: uploads come from a store of (some) corrupted copies */
    g_warning ("gst-p2p: %s=%g: this viewer corrupts what it uploads "
        "(fault injection for tests)",
        GST_P2P_ENGINE_ENV_FAULT_CORRUPT_UPLOADS, e->fault_corrupt);
    e->upload_store = gst_p2p_segment_store_new (e->store_size);
  } else {
    e->upload_store = gst_p2p_segment_store_ref (e->store);
  }
  if (e->peers_on) {
    e->metered = g_network_monitor_get_network_metered
        (g_network_monitor_get_default ());
    e->gate.enabled = e->upload && !e->metered;
  }
  e->peer_id = gst_p2p_engine_make_peer_id ();
  /* the scheduler's own id is our wire id: every viewer computes the same
   * seeding ranks (docs/scheduler.md) */
  gst_p2p_swarm_peer_wire_id (e->peer_id, e->self_id);
  e->stats.upload_enabled = e->peers_on && e->gate.enabled;
  e->swarms = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
      (GDestroyNotify) g_bytes_unref, (GDestroyNotify) swarm_free);
  e->wake_time = G_MAXINT64;

  call.engine = e;
  gst_p2p_stream_index_config_init (&call.config);
  call.config.swarm_template = e->swarm_template;
  gst_p2p_loop_invoke_sync (e->loop, setup_on_loop, &call);
  if (!e->index) {
    g_propagate_error (error, call.error);
    g_object_unref (e);
    return NULL;
  }
  GST_INFO ("engine %p: tracker %s, store %" G_GUINT64_FORMAT " bytes, upload "
      "%s, prefetch %s, peers %s", e, GST_STR_NULL (e->tracker), e->store_size,
      e->upload ? "on" : "off", e->prefetch ? "on" : "off",
      e->peers_on ? "on" : "off");
  return e;
}

static void
shared_engine_gone (gpointer key, GObject * where_the_object_was)
{
  g_mutex_lock (&shared_lock);
  if (shared_engines && g_hash_table_lookup (shared_engines, key) ==
      (gpointer) where_the_object_was)
    g_hash_table_remove (shared_engines, key);
  g_mutex_unlock (&shared_lock);
}

/**
 * gst_p2p_engine_get_shared:
 * @config: the configuration
 *
 * The process's engine for @config: every source with the same
 * configuration shares it, as long as one of them holds it.
 *
 * Returns: (transfer full): the engine, or NULL with @error.
 */
GstP2pEngine *
gst_p2p_engine_get_shared (const GstP2pEngineConfig * config, GError ** error)
{
  gchar *key = config_key (config);
  GstP2pEngine *e;

  g_mutex_lock (&shared_lock);
  if (!shared_engines)
    shared_engines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        NULL);
  e = g_hash_table_lookup (shared_engines, key);
  if (e && g_object_ref (e)) {
    g_mutex_unlock (&shared_lock);
    g_free (key);
    return e;
  }
  e = gst_p2p_engine_new (config, error);
  if (e) {
    e->shared_key = g_strdup (key);
    g_hash_table_replace (shared_engines, g_strdup (key), e);
    g_object_weak_ref (G_OBJECT (e), shared_engine_gone, e->shared_key);
  }
  g_mutex_unlock (&shared_lock);
  g_free (key);
  return e;
}

static void
gst_p2p_engine_finalize (GObject * object)
{
  GstP2pEngine *e = GST_P2P_ENGINE (object);

  gst_p2p_loop_invoke_sync (e->loop, teardown_on_loop, e);
  if (e->store)
    gst_p2p_segment_store_unref (e->store);
  if (e->upload_store)
    gst_p2p_segment_store_unref (e->upload_store);
  if (e->trust)
    gst_p2p_trust_db_free (e->trust);
  if (e->rand)
    g_rand_free (e->rand);
  g_strfreev (e->ice_addresses);
  g_free (e->peer_id);
  if (e->tmpl)
    gst_p2p_engine_http_template_unref (e->tmpl);
  g_free (e->tracker);
  g_free (e->tracker_token);
  g_free (e->trust_key);
  g_free (e->stun_server);
  g_free (e->turn_server);
  g_free (e->swarm_template);
  g_free (e->shared_key);
  g_mutex_clear (&e->lock);
  G_OBJECT_CLASS (gst_p2p_engine_parent_class)->finalize (object);
}

static void
gst_p2p_engine_class_init (GstP2pEngineClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_p2p_engine_finalize;
  if (!p2p_engine_debug)
    GST_DEBUG_CATEGORY_INIT (p2p_engine_debug, "p2p-engine", 0,
        "gst-p2p engine: feeding the index, acting on decisions");
}

static void
gst_p2p_engine_init (GstP2pEngine * e)
{
  g_mutex_init (&e->lock);
  e->loop = gst_p2p_loop_get_default ();
}
