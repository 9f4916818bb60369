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
#include "net/gstp2ploop.h"
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

typedef struct
{
  gchar *uri;
  GstP2pStreamRange range;
  gint64 total_size;
  gchar *content_type;
  guint attempts;               /* engine fetches started */
} SegmentRef;

typedef enum
{
  TRANSFER_SOURCE,              /* a source fetches it for the player */
  TRANSFER_CDN,                 /* our own CDN fetch */
  TRANSFER_PARKED,              /* decided, but we cannot act on it now */
} TransferKind;

typedef struct
{
  guint32 id;
  guint64 segment_id;
  TransferKind kind;
  GstP2pEngineFetch *fetch;     /* TRANSFER_CDN, until its callback */
  GstP2pEngineRequest *req;     /* TRANSFER_SOURCE (ref) */
} Transfer;

typedef struct
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

  GMutex lock;
  GstP2pEngineStats stats;
  GstP2pEngineHttpTemplate *tmpl;       /* the last source's settings */

  /* loop */
  GstP2pStreamIndex *index;
  GstP2pSegmentStore *store;
  GstP2pUploadGate gate;
  GHashTable *swarms;           /* digest (GBytes) -> Swarm */
  guint8 self_id[GST_P2P_SCHEDULER_PEER_ID_SIZE];
  GSource *wake;
  gint64 wake_time;
};

G_DEFINE_TYPE (GstP2pEngine, gst_p2p_engine, G_TYPE_OBJECT);

static GMutex shared_lock;
static GHashTable *shared_engines;      /* key -> GstP2pEngine (weak) */

static void engine_pump_all (GstP2pEngine * engine);

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
  g_ptr_array_unref (s->waiters);
  g_hash_table_destroy (s->transfers);
  g_hash_table_destroy (s->refs);
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
  /* No swarm yet (CDN-only prefetch): nobody to spread seeders apart from,
   * and the demuxer learns of a new segment from the same playlist reload
   * as we do; any delay lets it ask first. */
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
  g_hash_table_insert (engine->swarms, key, s);
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

/* A complete segment (from the CDN: trusted as the player would): into the
 * store, the scheduler told, the waiters served. */
static void
segment_arrived (Swarm * s, guint32 transfer_id, guint64 segment_id,
    GBytes * body, gint64 total_size, const gchar * content_type)
{
  GstP2pEngine *engine = s->engine;
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 sha[32];
  gsize len = sizeof (sha), size;
  const guint8 *data = g_bytes_get_data (body, &size);
  SegmentRef *ref = g_hash_table_lookup (s->refs, &segment_id);
  gint64 now = g_get_monotonic_time ();
  gboolean stored;

  g_checksum_update (sum, data, size);
  g_checksum_get_digest (sum, sha, &len);
  g_checksum_free (sum);
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
  gst_p2p_scheduler_transfer_done (s->sched, transfer_id, stored ?
      GST_P2P_TRANSFER_OK : GST_P2P_TRANSFER_FAILED, stored ? size : 0, now);
  wake_waiters (s, segment_id, body, ref);
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
  /* TODO(swarm): d->announce_fetching -> FETCHING; ABANDON_PEER resumes at
   * d->offset with the bytes the peer transfer left */
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
      /* TODO(swarm): no peers without a swarm; the scheduler cannot pick
       * one. Fail it so the policy falls back. */
      gst_p2p_scheduler_transfer_done (s->sched, d->transfer_id,
          GST_P2P_TRANSFER_ABSENT, 0, g_get_monotonic_time ());
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
      if (!give_to_source (s, req, d.transfer_id, d.reason))
        gst_p2p_scheduler_transfer_done (s->sched, d.transfer_id,
            GST_P2P_TRANSFER_FAILED, 0, now);
      break;
    case GST_P2P_DECISION_FETCH_PEER:
      /* TODO(swarm): start the peer fetch and wait for it like WAIT */
      gst_p2p_scheduler_transfer_done (s->sched, d.transfer_id,
          GST_P2P_TRANSFER_ABSENT, 0, now);
      answer_cdn (req, "no swarm");
      break;
    case GST_P2P_DECISION_WAIT:{
      GHashTableIter it;
      gpointer value;
      WaitCtx *w;

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
      g_ptr_array_add (s->waiters, gst_p2p_engine_request_ref (req));
      w = g_new0 (WaitCtx, 1);
      w->req = gst_p2p_engine_request_ref (req);
      w->swarm_key = g_bytes_new (s->digest, sizeof (s->digest));
      req->wait_timer = g_timeout_source_new ((d.until - now + 999) / 1000);
      g_source_set_callback (req->wait_timer, wait_expired, w,
          (GDestroyNotify) wait_ctx_free);
      g_source_attach (req->wait_timer, gst_p2p_loop_get_context
          (engine->loop));
      GST_DEBUG ("swarm %s segment %" G_GUINT64_FORMAT ": waits %"
          G_GINT64_FORMAT " ms (%s)", s->id, req->segment_id,
          (d.until - now) / 1000, d.reason);
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
      "requests", G_TYPE_UINT64, st->requests, NULL);
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
  guint i;

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
  for (i = 0; i < sizeof (e->self_id); i += 4) {
    guint32 r = g_random_int ();
    memcpy (e->self_id + i, &r, 4);
  }
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
      "%s, prefetch %s", e, GST_STR_NULL (e->tracker), e->store_size,
      e->upload ? "on" : "off", e->prefetch ? "on" : "off");
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
