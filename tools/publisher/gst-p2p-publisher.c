/* gst-p2p-publisher: the operator's source of trusted segment hashes.
 *
 * Runs next to the tracker. It follows a stream's manifest on the origin
 * (HLS master -> every media playlist; DASH MPD -> every Representation),
 * fetches each new segment (init segments too) exactly once with the CDN
 * client, hashes its exact bytes, signs batches of records with the
 * operator's Ed25519 key, and publishes them through gst-p2p-tracker to the
 * swarm of each rendition — the swarm id comes from the stream index, the
 * same code viewers run. Recent batches are published again periodically
 * for viewers who joined since. docs/trust.md, "The publisher".
 *
 * Threads:
 *  - main: GMainLoop on the default context for SIGINT/SIGTERM and the
 *    periodic stats line;
 *  - "publisher": polls manifests, fetches, hashes and signs (blocking
 *    waits on GstP2pHttpFetch with deadlines; the stream index and the
 *    done-sets are its own);
 *  - p2p-net (GstP2pLoop): the tracker clients, one per swarm, the recent
 *    batches and the re-publish timer; reached with gst_p2p_loop_invoke().
 * Counters are atomics read by the main thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gst/gst.h>

#include "gstp2p.h"
#include "http/gstp2phttpfetch.h"
#include "net/gstp2ploop.h"
#include "signalling/gstp2ptrackerclient.h"
#include "stream/gstp2pdashmpd.h"
#include "stream/gstp2phlsplaylist.h"
#include "stream/gstp2pstreamindex.h"
#include "trust/gstp2phashrecord.h"
#include "gstp2ptrackersecret.h"

/* Bounds: memory stays flat however long the stream runs. */
#define MAX_SWARMS 256
#define DONE_WINDOW 4096        /* segment ids remembered per swarm */
#define MAX_DONE_INIT 64        /* init segments remembered per swarm */
#define MAX_ATTEMPTS 3          /* fetches of a segment before giving up */
#define MAX_PLAYLIST (4 * 1024 * 1024)
#define FETCH_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define TOKEN_TTL (24 * 3600)
#define TOKEN_REFRESH (3600)

typedef struct
{
  gchar *manifest;
  gchar *viewer_manifest;
  gchar *tracker;
  gchar *swarm_template;
  gboolean hls_identity_attributes;
  guint interval_ms;
  guint republish_s;
  guint republish_batches;
  guint batch_records;
  guint stats_s;
  guint64 max_segment_size;
} Options;

typedef struct
{
  guint64 segments;
  guint64 init_segments;
  guint64 bytes_hashed;
  guint64 batches;
  guint64 publishes;
  guint64 republishes;
  guint64 fetch_errors;
  guint64 manifest_errors;
  guint64 sign_errors;
  guint64 publish_dropped;
  guint64 given_up;
} Stats;

/* Worker-side state of a swarm. */
typedef struct
{
  guint8 digest[GST_P2P_STREAM_SWARM_DIGEST_LEN];
  gchar id[GST_P2P_STREAM_SWARM_ID_LEN + 1];
  GHashTable *done;             /* segment id (guint64*) -> attempts or DONE */
  gboolean have_highest;
  guint64 highest;
  GHashTable *done_init;        /* "offset path" -> attempts or DONE */
  GstP2pHashBatch *batch;       /* being filled */
  gint64 last_seen;
} Swarm;

#define DONE G_MAXUINT

/* Loop-side state of a swarm. */
typedef struct
{
  gchar *id;
  GstP2pTrackerClient *client;
  GQueue recent;                /* gchar* payloads, newest last */
  gint64 token_expiry;          /* minted tokens only, else 0 */
} LoopSwarm;

typedef struct
{
  Options opt;
  GstP2pTrustPrivateKey *key;
  GBytes *tracker_secret;       /* mint publisher tokens */
  gchar *token_all;             /* one token for every swarm */
  GHashTable *tokens;           /* swarm id -> token */

  GstP2pHttpSession *session;
  GstP2pLoop *loop;
  GstP2pStreamIndex *index;
  GHashTable *swarms;           /* digest -> Swarm */

  GMutex lock;
  GCond cond;
  gboolean stop;
  GstP2pHttpFetch *current;     /* the fetch to cancel on stop */
  guint64 sequence;

  GHashTable *loop_swarms;      /* loop thread only: id -> LoopSwarm */
  GSource *republish_source;    /* loop thread only */

  Stats stats;
} Publisher;

static gboolean verbose;

static void
log_to_stderr (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  const gchar *tag = "info";
  GDateTime *now;
  gchar *stamp;

  /* --verbose is about our segments, not libsoup's frames. */
  if ((level & G_LOG_LEVEL_DEBUG) && (!verbose
          || g_strcmp0 (domain, G_LOG_DOMAIN) != 0))
    return;
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    tag = "error";
  else if (level & G_LOG_LEVEL_WARNING)
    tag = "warning";
  else if (level & G_LOG_LEVEL_DEBUG)
    tag = "debug";
  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  fprintf (stderr, "%s gst-p2p-publisher[%d] %s: %s\n", stamp, (int) getpid (),
      tag, message);
  fflush (stderr);
  g_free (stamp);
  g_date_time_unref (now);
}

#define STAT_INC(p, field, n) \
  g_atomic_pointer_add ((gpointer *) &(p)->stats.field, (gssize) (n))
#define STAT_GET(p, field) \
  ((guint64) g_atomic_pointer_get ((gpointer *) &(p)->stats.field))

static gboolean
stopping (Publisher * p)
{
  gboolean s;

  g_mutex_lock (&p->lock);
  s = p->stop;
  g_mutex_unlock (&p->lock);
  return s;
}

/* ---- tokens ---- */

static gboolean
load_tokens (Publisher * p, const gchar * arg, GError ** error)
{
  gchar *contents = NULL;
  gchar **lines;
  guint i;

  if (!g_file_test (arg, G_FILE_TEST_IS_REGULAR)) {
    p->token_all = g_strstrip (g_strdup (arg));
    return TRUE;
  }
  if (!g_file_get_contents (arg, &contents, NULL, error))
    return FALSE;
  lines = g_strsplit (contents, "\n", -1);
  g_free (contents);
  for (i = 0; lines[i]; i++) {
    gchar **f;
    gchar *line = g_strstrip (lines[i]);

    if (!*line || *line == '#')
      continue;
    f = g_strsplit_set (line, " \t", 2);
    if (!f[1]) {
      g_free (p->token_all);
      p->token_all = g_strdup (f[0]);
    } else {
      g_hash_table_replace (p->tokens, g_strdup (f[0]),
          g_strstrip (g_strdup (f[1])));
    }
    g_strfreev (f);
  }
  g_strfreev (lines);
  return TRUE;
}

/* Loop thread. */
static gchar *
token_for (Publisher * p, const gchar * swarm, gint64 * expiry)
{
  const gchar *t;

  *expiry = 0;
  if (p->tracker_secret) {
    *expiry = g_get_real_time () / G_USEC_PER_SEC + TOKEN_TTL;
    return gst_p2p_token_make (p->tracker_secret, swarm, *expiry,
        GST_P2P_TOKEN_ROLE_PUBLISHER);
  }
  if ((t = g_hash_table_lookup (p->tokens, swarm)))
    return g_strdup (t);
  return g_strdup (p->token_all);
}

/* ---- the network thread: tracker clients, publishing ---- */

static void
loop_swarm_free (LoopSwarm * ls)
{
  gst_p2p_tracker_client_stop (ls->client);
  g_object_unref (ls->client);
  g_queue_clear_full (&ls->recent, g_free);
  g_free (ls->id);
  g_free (ls);
}

static void
on_tracker_error (GstP2pTrackerClient * client, const gchar * reason,
    const gchar * message, LoopSwarm * ls)
{
  g_warning ("swarm %s: tracker says %s: %s", ls->id, reason, message);
}

static void
on_state (GObject * obj, GParamSpec * pspec, LoopSwarm * ls)
{
  GstP2pTrackerClientState st =
      gst_p2p_tracker_client_get_state (GST_P2P_TRACKER_CLIENT (obj));

  if (st == GST_P2P_TRACKER_CLIENT_JOINED)
    g_message ("swarm %s: joined the tracker as publisher %s", ls->id,
        gst_p2p_tracker_client_get_peer_id (GST_P2P_TRACKER_CLIENT (obj)));
}

static LoopSwarm *
loop_swarm_get (Publisher * p, const gchar * id)
{
  LoopSwarm *ls = g_hash_table_lookup (p->loop_swarms, id);
  gchar *token;

  if (ls)
    return ls;
  if (g_hash_table_size (p->loop_swarms) >= MAX_SWARMS)
    return NULL;
  ls = g_new0 (LoopSwarm, 1);
  ls->id = g_strdup (id);
  token = token_for (p, id, &ls->token_expiry);
  ls->client = gst_p2p_tracker_client_new (p->opt.tracker, id, token);
  g_free (token);
  g_signal_connect (ls->client, "tracker-error", G_CALLBACK (on_tracker_error),
      ls);
  g_signal_connect (ls->client, "notify::state", G_CALLBACK (on_state), ls);
  g_queue_init (&ls->recent);
  g_hash_table_insert (p->loop_swarms, ls->id, ls);
  gst_p2p_tracker_client_start (ls->client);
  g_message ("swarm %s: connecting to %s", id, p->opt.tracker);
  return ls;
}

typedef struct
{
  Publisher *p;
  gchar *swarm;
  gchar *payload;
} PublishJob;

static void
publish_job_free (PublishJob * job)
{
  g_free (job->swarm);
  g_free (job->payload);
  g_free (job);
}

static gboolean
publish_on_loop (gpointer data)
{
  PublishJob *job = data;
  Publisher *p = job->p;
  LoopSwarm *ls = loop_swarm_get (p, job->swarm);

  if (!ls) {
    STAT_INC (p, publish_dropped, 1);
    return G_SOURCE_REMOVE;
  }
  if (gst_p2p_tracker_client_publish (ls->client, job->payload))
    STAT_INC (p, publishes, 1);
  else
    STAT_INC (p, publish_dropped, 1);
  g_queue_push_tail (&ls->recent, job->payload);
  job->payload = NULL;
  while (g_queue_get_length (&ls->recent) > p->opt.republish_batches)
    g_free (g_queue_pop_head (&ls->recent));
  return G_SOURCE_REMOVE;
}

/* Late joiners only get what is published after they joined: send the
 * recent batches again. Viewers ignore what they already hold. */
static gboolean
republish (gpointer data)
{
  Publisher *p = data;
  GHashTableIter it;
  gpointer v;
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;

  g_hash_table_iter_init (&it, p->loop_swarms);
  while (g_hash_table_iter_next (&it, NULL, &v)) {
    LoopSwarm *ls = v;
    GList *l;

    if (ls->token_expiry && ls->token_expiry - now_s < TOKEN_REFRESH) {
      gchar *token = token_for (p, ls->id, &ls->token_expiry);

      /* Used from the next (re)join on. */
      g_object_set (ls->client, "token", token, NULL);
      g_free (token);
    }
    if (p->opt.republish_s == 0 || gst_p2p_tracker_client_get_state
        (ls->client) != GST_P2P_TRACKER_CLIENT_JOINED)
      continue;
    for (l = ls->recent.head; l; l = l->next) {
      if (gst_p2p_tracker_client_publish (ls->client, l->data))
        STAT_INC (p, republishes, 1);
      else
        STAT_INC (p, publish_dropped, 1);
    }
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
loop_start (gpointer data)
{
  Publisher *p = data;

  p->loop_swarms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) loop_swarm_free);
  /* Also renews minted tokens, so it runs even without re-publication. */
  p->republish_source = g_timeout_source_new_seconds (p->opt.republish_s ?
      p->opt.republish_s : 60);
  g_source_set_callback (p->republish_source, republish, p, NULL);
  g_source_attach (p->republish_source, gst_p2p_loop_get_context (p->loop));
  return G_SOURCE_REMOVE;
}

static gboolean
loop_stop (gpointer data)
{
  Publisher *p = data;

  if (p->republish_source) {
    g_source_destroy (p->republish_source);
    g_source_unref (p->republish_source);
    p->republish_source = NULL;
  }
  g_clear_pointer (&p->loop_swarms, g_hash_table_unref);
  return G_SOURCE_REMOVE;
}

/* ---- the publisher thread: fetch, hash, sign ---- */

/* Fetches @uri (or its @range) completely; at most @max bytes. */
static GBytes *
fetch (Publisher * p, const gchar * uri, const GstP2pStreamRange * range,
    gsize max, gchar ** final_uri, GError ** error)
{
  GstP2pHttpRequest req = { 0, };
  GstP2pHttpFetch *f;
  GstP2pFetchResult res;
  GByteArray *body = NULL;
  guint status;
  gint64 cl;

  req.uri = uri;
  req.range_start = 0;
  req.range_stop = (guint64) - 1;
  if (range && range->set) {
    req.range_start = range->offset;
    req.range_stop = range->offset + range->length;
  }
  req.user_agent = "gst-p2p-publisher/" PACKAGE_VERSION;
  /* Exact bytes as served: no content coding. */
  req.compress = FALSE;
  req.keep_alive = TRUE;
  req.automatic_redirect = TRUE;
  req.ssl_strict = TRUE;

  f = gst_p2p_http_fetch_new (p->session, &req);
  g_mutex_lock (&p->lock);
  if (p->stop) {
    g_mutex_unlock (&p->lock);
    gst_p2p_http_fetch_unref (f);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopping");
    return NULL;
  }
  p->current = f;
  g_mutex_unlock (&p->lock);

  gst_p2p_http_fetch_start (f);
  res = gst_p2p_http_fetch_wait_response (f, FETCH_TIMEOUT_US, error);
  if (res != GST_P2P_FETCH_OK) {
    if (error && !*error)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no response");
    goto done;
  }
  status = gst_p2p_http_fetch_get_status (f);
  if (range && range->set ? status != 206 && !(status == 200
          && range->offset == 0) : status != 200) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "HTTP %u %s", status,
        gst_p2p_http_fetch_get_reason (f));
    goto done;
  }
  cl = gst_p2p_http_fetch_get_content_length (f);
  if (cl > (gint64) max) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
        "%" G_GINT64_FORMAT " bytes, more than %" G_GSIZE_FORMAT, cl, max);
    goto done;
  }
  body = g_byte_array_new ();
  for (;;) {
    GstBuffer *chunk = NULL;
    GstMapInfo map;

    res = gst_p2p_http_fetch_pop (f, FETCH_TIMEOUT_US, &chunk, error);
    if (res == GST_P2P_FETCH_EOS)
      break;
    if (res != GST_P2P_FETCH_OK) {
      if (error && !*error)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
            "body stalled or cancelled");
      g_clear_pointer (&body, g_byte_array_unref);
      goto done;
    }
    gst_buffer_map (chunk, &map, GST_MAP_READ);
    if (body->len + map.size > max) {
      gst_buffer_unmap (chunk, &map);
      gst_buffer_unref (chunk);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
          "more than %" G_GSIZE_FORMAT " bytes", max);
      g_clear_pointer (&body, g_byte_array_unref);
      goto done;
    }
    g_byte_array_append (body, map.data, map.size);
    gst_buffer_unmap (chunk, &map);
    gst_buffer_unref (chunk);
  }
  /* A 200 answer to a range from 0 carries the whole resource. */
  if (range && range->set && status == 200) {
    if (body->len < range->length) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "short body");
      g_clear_pointer (&body, g_byte_array_unref);
      goto done;
    }
    g_byte_array_set_size (body, range->length);
  }
  if (range && range->set && body->len != range->length) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "%u bytes for a range of %" G_GUINT64_FORMAT, body->len, range->length);
    g_clear_pointer (&body, g_byte_array_unref);
    goto done;
  }
  if (final_uri)
    *final_uri = g_strdup (gst_p2p_http_fetch_get_final_uri (f));

done:
  g_mutex_lock (&p->lock);
  p->current = NULL;
  g_mutex_unlock (&p->lock);
  gst_p2p_http_fetch_release (f);
  return body ? g_byte_array_free_to_bytes (body) : NULL;
}

/* Swarm digests are SHA-256 outputs: any four bytes hash well. */
static guint
digest_hash (gconstpointer key)
{
  return GST_READ_UINT32_LE (key);
}

static gboolean
digest_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, GST_P2P_STREAM_SWARM_DIGEST_LEN) == 0;
}

static Swarm *
swarm_get (Publisher * p, const GstP2pStreamSegmentInfo * info)
{
  Swarm *s = g_hash_table_lookup (p->swarms, info->swarm_digest);

  if (s)
    return s;
  if (g_hash_table_size (p->swarms) >= MAX_SWARMS) {
    GHashTableIter it;
    gpointer v;
    Swarm *oldest = NULL;

    g_hash_table_iter_init (&it, p->swarms);
    while (g_hash_table_iter_next (&it, NULL, &v))
      if (!oldest || ((Swarm *) v)->last_seen < oldest->last_seen)
        oldest = v;
    g_hash_table_remove (p->swarms, oldest->digest);
  }
  s = g_new0 (Swarm, 1);
  memcpy (s->digest, info->swarm_digest, sizeof (s->digest));
  g_strlcpy (s->id, info->swarm_id, sizeof (s->id));
  s->done = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  s->done_init = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s->batch = g_new0 (GstP2pHashBatch, 1);
  g_hash_table_insert (p->swarms, s->digest, s);
  g_message ("swarm %s: new rendition", s->id);
  return s;
}

static void
swarm_free (Swarm * s)
{
  g_hash_table_unref (s->done);
  g_hash_table_unref (s->done_init);
  g_free (s->batch);
  g_free (s);
}

/* Signs what the swarm's batch holds and hands it to the network thread. */
static void
flush_batch (Publisher * p, Swarm * s)
{
  GError *err = NULL;
  GBytes *signed_batch;
  PublishJob *job;

  if (s->batch->n_records == 0)
    return;
  signed_batch = gst_p2p_hash_batch_sign (s->batch, p->key, &err);
  if (!signed_batch) {
    g_warning ("swarm %s: signing failed: %s", s->id, err->message);
    g_error_free (err);
    STAT_INC (p, sign_errors, 1);
    s->batch->n_records = 0;
    return;
  }
  job = g_new0 (PublishJob, 1);
  job->p = p;
  job->swarm = g_strdup (s->id);
  job->payload = gst_p2p_hash_payload_new (signed_batch);
  g_debug ("swarm %s: batch %" G_GUINT64_FORMAT " of %u records, %"
      G_GSIZE_FORMAT " bytes", s->id, s->batch->sequence, s->batch->n_records,
      g_bytes_get_size (signed_batch));
  g_bytes_unref (signed_batch);
  STAT_INC (p, batches, 1);
  s->batch->n_records = 0;
  gst_p2p_loop_invoke (p->loop, publish_on_loop, job,
      (GDestroyNotify) publish_job_free);
}

static void
add_record (Publisher * p, Swarm * s, const GstP2pHashRecord * r)
{
  if (s->batch->n_records == 0)
    gst_p2p_hash_batch_init (s->batch, s->digest, g_get_real_time (),
        ++p->sequence);
  gst_p2p_hash_batch_add (s->batch, r);
  if (s->batch->n_records >= p->opt.batch_records)
    flush_batch (p, s);
}

static void
prune_done (Swarm * s)
{
  GHashTableIter it;
  gpointer k;

  if (!s->have_highest || s->highest < DONE_WINDOW
      || g_hash_table_size (s->done) <= DONE_WINDOW)
    return;
  g_hash_table_iter_init (&it, s->done);
  while (g_hash_table_iter_next (&it, &k, NULL))
    if (*(guint64 *) k <= s->highest - DONE_WINDOW)
      g_hash_table_iter_remove (&it);
}

/* Fetches and hashes one segment, unless done; TRUE if it added a record. */
static gboolean
hash_segment (Publisher * p, Swarm * s, GstP2pHashKind kind, const gchar * uri,
    const GstP2pStreamRange * range, guint64 segment_id)
{
  GHashTable *done = kind == GST_P2P_HASH_KIND_MEDIA ? s->done : s->done_init;
  GstP2pHashRecord r;
  gchar *init_key = NULL;
  gpointer key, attempts = NULL;
  GError *err = NULL;
  GBytes *bytes;
  gsize size;
  const guint8 *data;

  memset (&r, 0, sizeof (r));
  r.kind = kind;
  gst_p2p_hash_record_set_path (&r, uri);
  r.offset = range && range->set ? range->offset : 0;
  if (kind == GST_P2P_HASH_KIND_MEDIA) {
    r.segment_id = segment_id;
    key = g_memdup2 (&segment_id, sizeof (segment_id));
    if (s->have_highest && s->highest >= DONE_WINDOW
        && segment_id <= s->highest - DONE_WINDOW) {
      g_free (key);
      return FALSE;
    }
  } else {
    if (!r.path[0])
      return FALSE;
    init_key = g_strdup_printf ("%" G_GUINT64_FORMAT " %s", r.offset, r.path);
    key = init_key;
  }
  if (g_hash_table_lookup_extended (done, key, NULL, &attempts)
      && (GPOINTER_TO_UINT (attempts) == DONE
          || GPOINTER_TO_UINT (attempts) >= MAX_ATTEMPTS)) {
    g_free (key);
    return FALSE;
  }
  if (kind == GST_P2P_HASH_KIND_INIT
      && g_hash_table_size (done) >= MAX_DONE_INIT)
    g_hash_table_remove_all (done);

  bytes = fetch (p, uri, range, p->opt.max_segment_size, NULL, &err);
  if (!bytes) {
    guint n = GPOINTER_TO_UINT (attempts) + 1;

    if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      STAT_INC (p, fetch_errors, 1);
      if (n >= MAX_ATTEMPTS) {
        STAT_INC (p, given_up, 1);
        g_warning ("swarm %s: giving up on %s: %s", s->id, uri, err->message);
      } else {
        g_message ("swarm %s: %s: %s (attempt %u)", s->id, uri, err->message,
            n);
      }
      g_hash_table_replace (done, key, GUINT_TO_POINTER (n));
    } else {
      g_free (key);
    }
    g_clear_error (&err);
    return FALSE;
  }
  g_hash_table_replace (done, key, GUINT_TO_POINTER (DONE));
  data = g_bytes_get_data (bytes, &size);
  if (size == 0 || size > GST_P2P_HASH_RECORD_MAX_SIZE) {
    g_warning ("swarm %s: %s: %" G_GSIZE_FORMAT " bytes cannot be published",
        s->id, uri, size);
    STAT_INC (p, fetch_errors, 1);
    g_bytes_unref (bytes);
    return FALSE;
  }
  r.size = size;
  gst_p2p_trust_sha256 (data, size, r.sha256);
  g_bytes_unref (bytes);
  STAT_INC (p, bytes_hashed, size);
  if (kind == GST_P2P_HASH_KIND_MEDIA) {
    STAT_INC (p, segments, 1);
    if (!s->have_highest || segment_id > s->highest) {
      s->highest = segment_id;
      s->have_highest = TRUE;
    }
    prune_done (s);
  } else {
    STAT_INC (p, init_segments, 1);
  }
  g_debug ("swarm %s: %s %" G_GUINT64_FORMAT " %s (%" G_GSIZE_FORMAT
      " bytes)", s->id, kind == GST_P2P_HASH_KIND_MEDIA ? "segment" : "init",
      segment_id, r.path, size);
  add_record (p, s, &r);
  return TRUE;
}

typedef struct
{
  const gchar *uri;
  GstP2pStreamRange range;
  gboolean init;
} Item;

/* The segments of one rendition, as the stream index places them. */
static void
process_items (Publisher * p, const Item * items, guint n)
{
  GstP2pStreamSegmentInfo info = { 0, };
  Swarm *s = NULL;
  gint64 now = g_get_real_time ();
  guint i;

  /* The rendition's swarm, from its first media segment the index knows. */
  for (i = 0; i < n && !s; i++) {
    if (items[i].init)
      continue;
    if (gst_p2p_stream_index_lookup (p->index, items[i].uri,
            &items[i].range, now, &info) == GST_P2P_STREAM_URI_SEGMENT)
      s = swarm_get (p, &info);
    gst_p2p_stream_segment_info_clear (&info);
  }
  if (!s)
    return;
  s->last_seen = now;

  for (i = 0; i < n && !stopping (p); i++) {
    if (items[i].init) {
      hash_segment (p, s, GST_P2P_HASH_KIND_INIT, items[i].uri,
          &items[i].range, 0);
      continue;
    }
    if (gst_p2p_stream_index_lookup (p->index, items[i].uri, &items[i].range,
            now, &info) == GST_P2P_STREAM_URI_SEGMENT) {
      if (memcmp (info.swarm_digest, s->digest, sizeof (s->digest)) == 0)
        hash_segment (p, s, GST_P2P_HASH_KIND_MEDIA, items[i].uri,
            &items[i].range, info.segment_id);
    }
    gst_p2p_stream_segment_info_clear (&info);
  }
  flush_batch (p, s);
}

static void
process_hls_media (Publisher * p, GstP2pHlsPlaylist * pl)
{
  GArray *items = g_array_new (FALSE, TRUE, sizeof (Item));
  GHashTable *inits = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; i < pl->segments->len; i++) {
    GstP2pHlsSegment *seg = &g_array_index (pl->segments, GstP2pHlsSegment, i);
    Item it = { 0, };

    if (seg->gap)
      continue;
    /* Init sections first: a viewer needs them before the media. */
    if (seg->init_uri && !g_hash_table_contains (inits, seg->init_uri)) {
      g_hash_table_add (inits, seg->init_uri);
      it.uri = seg->init_uri;
      it.range = seg->init_range;
      it.init = TRUE;
      g_array_append_val (items, it);
    }
    it.uri = seg->uri;
    it.range = seg->range;
    it.init = FALSE;
    g_array_append_val (items, it);
  }
  process_items (p, (Item *) items->data, items->len);
  g_hash_table_unref (inits);
  g_array_unref (items);
}

static void
process_dash (Publisher * p, GstP2pDashMpd * mpd)
{
  guint pi, ai, ri, i;

  for (pi = 0; pi < mpd->periods->len; pi++) {
    GstP2pDashPeriod *period = &g_array_index (mpd->periods,
        GstP2pDashPeriod, pi);

    for (ai = 0; ai < period->adaptation_sets->len; ai++) {
      GstP2pDashAdaptationSet *as = &g_array_index (period->adaptation_sets,
          GstP2pDashAdaptationSet, ai);

      for (ri = 0; ri < as->representations->len && !stopping (p); ri++) {
        GstP2pDashRepresentation *rep =
            &g_array_index (as->representations, GstP2pDashRepresentation, ri);
        GArray *items = g_array_new (FALSE, TRUE, sizeof (Item));
        Item it = { 0, };

        if (rep->init_uri) {
          it.uri = rep->init_uri;
          it.range = rep->init_range;
          it.init = TRUE;
          g_array_append_val (items, it);
        }
        for (i = 0; i < rep->segments->len; i++) {
          GstP2pDashSegment *seg = &g_array_index (rep->segments,
              GstP2pDashSegment, i);

          it.uri = seg->uri;
          it.range = seg->range;
          it.init = FALSE;
          g_array_append_val (items, it);
        }
        process_items (p, (Item *) items->data, items->len);
        g_array_unref (items);
      }
    }
  }
}

/* Fetches a manifest or playlist and feeds it to the index as a viewer's
 * p2phttpsrc would: @as_uri is the URI the viewer requests. */
static GBytes *
fetch_manifest (Publisher * p, const gchar * uri, const gchar * as_uri,
    gchar ** final_uri)
{
  GError *err = NULL;
  GBytes *body = fetch (p, uri, NULL, MAX_PLAYLIST, final_uri, &err);
  gsize size;
  const gchar *data;

  if (!body) {
    if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_warning ("%s: %s", uri, err->message);
      STAT_INC (p, manifest_errors, 1);
    }
    g_clear_error (&err);
    return NULL;
  }
  data = g_bytes_get_data (body, &size);
  if (!gst_p2p_stream_index_add_manifest (p->index, as_uri, *final_uri, data,
          size, g_get_real_time (), &err)) {
    g_warning ("%s: %s", uri, err->message);
    g_clear_error (&err);
    STAT_INC (p, manifest_errors, 1);
    g_bytes_unref (body);
    g_clear_pointer (final_uri, g_free);
    return NULL;
  }
  return body;
}

/* One round over every rendition. Returns the poll interval to use. */
static guint
poll_once (Publisher * p)
{
  GstP2pStreamLimits limits;
  gchar *final = NULL;
  GBytes *body;
  gsize size;
  const gchar *data;
  GError *err = NULL;
  guint interval = 2000;

  gst_p2p_stream_limits_init (&limits);
  body = fetch_manifest (p, p->opt.manifest, p->opt.viewer_manifest, &final);
  if (!body)
    return interval;
  data = g_bytes_get_data (body, &size);

  if (gst_p2p_hls_playlist_detect (data, size)) {
    GstP2pHlsPlaylist *pl = gst_p2p_hls_playlist_parse (data, size, final,
        &limits, &err);

    if (pl && pl->kind == GST_P2P_HLS_PLAYLIST_MASTER) {
      GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
      GPtrArray *uris = g_ptr_array_new ();
      guint i;

      for (i = 0; i < pl->variants->len; i++) {
        GstP2pHlsVariant *v = &g_array_index (pl->variants,
            GstP2pHlsVariant, i);

        /* I-frame playlists index the same segments; players do not
         * fetch them for playback. */
        if (!v->iframes_only && g_hash_table_add (seen, v->uri))
          g_ptr_array_add (uris, v->uri);
      }
      for (i = 0; i < pl->renditions->len; i++) {
        GstP2pHlsRendition *r = &g_array_index (pl->renditions,
            GstP2pHlsRendition, i);

        if (r->uri && g_hash_table_add (seen, r->uri))
          g_ptr_array_add (uris, r->uri);
      }
      for (i = 0; i < uris->len && !stopping (p); i++) {
        const gchar *uri = g_ptr_array_index (uris, i);
        gchar *mfinal = NULL;
        GBytes *mbody = fetch_manifest (p, uri, uri, &mfinal);
        GstP2pHlsPlaylist *media;
        gsize msize;
        const gchar *mdata;

        if (!mbody)
          continue;
        mdata = g_bytes_get_data (mbody, &msize);
        media = gst_p2p_hls_playlist_parse (mdata, msize, mfinal, &limits,
            &err);
        if (media && media->kind == GST_P2P_HLS_PLAYLIST_MEDIA) {
          process_hls_media (p, media);
          interval = MIN (interval, media->target_duration / GST_MSECOND / 2);
        } else if (!media) {
          g_warning ("%s: %s", uri, err->message);
          g_clear_error (&err);
          STAT_INC (p, manifest_errors, 1);
        }
        g_clear_pointer (&media, gst_p2p_hls_playlist_free);
        g_bytes_unref (mbody);
        g_free (mfinal);
      }
      g_ptr_array_unref (uris);
      g_hash_table_unref (seen);
    } else if (pl) {
      process_hls_media (p, pl);
      interval = pl->target_duration / GST_MSECOND / 2;
    } else {
      g_warning ("%s: %s", p->opt.manifest, err->message);
      g_clear_error (&err);
      STAT_INC (p, manifest_errors, 1);
    }
    g_clear_pointer (&pl, gst_p2p_hls_playlist_free);
  } else if (gst_p2p_dash_mpd_detect (data, size)) {
    GstP2pDashMpd *mpd = gst_p2p_dash_mpd_parse (data, size, final,
        g_get_real_time (), &limits, &err);

    if (mpd) {
      process_dash (p, mpd);
      if (GST_CLOCK_TIME_IS_VALID (mpd->max_segment_duration))
        interval = mpd->max_segment_duration / GST_MSECOND / 2;
      gst_p2p_dash_mpd_free (mpd);
    } else {
      g_warning ("%s: %s", p->opt.manifest, err->message);
      g_clear_error (&err);
      STAT_INC (p, manifest_errors, 1);
    }
  } else {
    g_warning ("%s: neither an HLS playlist nor a DASH MPD", p->opt.manifest);
    STAT_INC (p, manifest_errors, 1);
  }
  g_bytes_unref (body);
  g_free (final);
  if (p->opt.interval_ms)
    return p->opt.interval_ms;
  return CLAMP (interval, 250, 5000);
}

static gpointer
worker (gpointer data)
{
  Publisher *p = data;

  while (!stopping (p)) {
    guint interval = poll_once (p);
    gint64 until = g_get_monotonic_time () + interval * G_TIME_SPAN_MILLISECOND;

    g_mutex_lock (&p->lock);
    while (!p->stop && g_cond_wait_until (&p->cond, &p->lock, until));
    g_mutex_unlock (&p->lock);
  }
  return NULL;
}

/* ---- main thread ---- */

static gboolean
print_stats (gpointer data)
{
  Publisher *p = data;

  g_message ("stats segments_published=%" G_GUINT64_FORMAT
      " init_published=%" G_GUINT64_FORMAT " bytes_hashed=%" G_GUINT64_FORMAT
      " batches=%" G_GUINT64_FORMAT " publishes=%" G_GUINT64_FORMAT
      " republishes=%" G_GUINT64_FORMAT " publish_dropped=%" G_GUINT64_FORMAT
      " fetch_errors=%" G_GUINT64_FORMAT " given_up=%" G_GUINT64_FORMAT
      " manifest_errors=%" G_GUINT64_FORMAT " sign_errors=%" G_GUINT64_FORMAT,
      STAT_GET (p, segments), STAT_GET (p, init_segments),
      STAT_GET (p, bytes_hashed), STAT_GET (p, batches),
      STAT_GET (p, publishes), STAT_GET (p, republishes),
      STAT_GET (p, publish_dropped), STAT_GET (p, fetch_errors),
      STAT_GET (p, given_up), STAT_GET (p, manifest_errors),
      STAT_GET (p, sign_errors));
  return G_SOURCE_CONTINUE;
}

static gboolean
on_quit_signal (gpointer data)
{
  GMainLoop *loop = data;

  g_message ("signal received, shutting down");
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static int
make_key (const gchar * path)
{
  GError *err = NULL;
  GstP2pTrustPrivateKey *key = gst_p2p_trust_private_key_generate (&err);
  gchar *pub;

  if (!key || !gst_p2p_trust_private_key_save (key, path, &err)) {
    g_printerr ("%s\n", err->message);
    g_error_free (err);
    gst_p2p_trust_private_key_free (key);
    return 1;
  }
  pub = gst_p2p_trust_public_key_to_base64
      (gst_p2p_trust_private_key_get_public (key));
  /* stdout: the value of GST_P2P_TRUST_KEY for the viewers. */
  g_print ("%s\n", pub);
  g_printerr ("private key written to %s (keep it secret); give viewers the "
      "public key above as GST_P2P_TRUST_KEY\n", path);
  g_free (pub);
  gst_p2p_trust_private_key_free (key);
  return 0;
}

int
main (int argc, char **argv)
{
  Publisher p = { {0,}, };
  gchar *key_file = NULL, *make_key_file = NULL, *operator_token = NULL;
  gchar *secret_file = NULL;
  gint interval_ms = 0, republish_s = 5, republish_batches = 4;
  gint batch_records = GST_P2P_HASH_BATCH_MAX_RECORDS, stats_s = 30;
  gint64 max_segment_size = 256 * 1024 * 1024;
  GOptionEntry entries[] = {
    {"manifest", 'm', 0, G_OPTION_ARG_STRING, &p.opt.manifest,
        "URL of the stream's master playlist or MPD on the origin", "URL"},
    {"viewer-manifest", 0, 0, G_OPTION_ARG_STRING, &p.opt.viewer_manifest,
        "URL viewers open, when it differs from --manifest (swarm ids hash "
          "it)", "URL"},
    {"tracker", 't', 0, G_OPTION_ARG_STRING, &p.opt.tracker,
        "Tracker WebSocket URL", "ws://HOST:PORT"},
    {"key", 'k', 0, G_OPTION_ARG_FILENAME, &key_file,
        "Operator's Ed25519 private key (PEM)", "FILE"},
    {"operator-token", 0, 0, G_OPTION_ARG_STRING, &operator_token,
        "Publisher join token, or a file of 'SWARM TOKEN' lines (a lone "
          "token applies to every swarm)", "FILE|STRING"},
    {"tracker-secret", 0, 0, G_OPTION_ARG_FILENAME, &secret_file,
          "The tracker's --secret-file: mint a publisher token per swarm",
        "FILE"},
    {"make-key", 0, 0, G_OPTION_ARG_FILENAME, &make_key_file,
        "Write a new key pair to FILE, print the public key, exit", "FILE"},
    {"swarm-template", 0, 0, G_OPTION_ARG_STRING, &p.opt.swarm_template,
        "The viewers' swarm id override (GST_P2P_SWARM_ID)", "TEMPLATE"},
    {"hls-identity-attributes", 0, 0, G_OPTION_ARG_NONE,
          &p.opt.hls_identity_attributes,
        "Viewers identify HLS variants by their attributes", NULL},
    {"interval", 0, 0, G_OPTION_ARG_INT, &interval_ms,
        "Manifest poll interval (default: half a target duration)", "MS"},
    {"republish-interval", 0, 0, G_OPTION_ARG_INT, &republish_s,
        "Publish recent batches again every N seconds (0: never)", "S"},
    {"republish-batches", 0, 0, G_OPTION_ARG_INT, &republish_batches,
        "Recent batches kept per swarm (default 4)", "N"},
    {"batch-records", 0, 0, G_OPTION_ARG_INT, &batch_records,
        "Most records per signed batch (1..32)", "N"},
    {"max-segment-size", 0, 0, G_OPTION_ARG_INT64, &max_segment_size,
        "Largest segment fetched, bytes", "BYTES"},
    {"stats-interval", 0, 0, G_OPTION_ARG_INT, &stats_s,
        "Seconds between stats lines (0: only at exit)", "S"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log every segment",
        NULL},
    {NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  GstP2pStreamIndexConfig icfg;
  GMainLoop *main_loop;
  GThread *thread;
  int ret = 1;

  g_log_set_default_handler (log_to_stderr, NULL);
  ctx = g_option_context_new ("- publish signed segment hashes of a stream");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    g_error_free (err);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);
  gst_init (NULL, NULL);
  gst_p2p_init ();

  if (make_key_file)
    return make_key (make_key_file);
  if (!p.opt.manifest || !p.opt.tracker || !key_file) {
    g_printerr ("--manifest, --tracker and --key are required "
        "(or --make-key FILE)\n");
    return 2;
  }
  if (batch_records < 1 || batch_records > GST_P2P_HASH_BATCH_MAX_RECORDS
      || republish_batches < 1 || republish_batches > 64 || republish_s < 0
      || interval_ms < 0 || stats_s < 0 || max_segment_size < 1
      || (guint64) max_segment_size > GST_P2P_HASH_RECORD_MAX_SIZE) {
    g_printerr ("an option is out of range\n");
    return 2;
  }
  p.opt.interval_ms = interval_ms;
  p.opt.republish_s = republish_s;
  p.opt.republish_batches = republish_batches;
  p.opt.batch_records = batch_records;
  p.opt.stats_s = stats_s;
  p.opt.max_segment_size = max_segment_size;
  if (!p.opt.viewer_manifest)
    p.opt.viewer_manifest = g_strdup (p.opt.manifest);

  p.key = gst_p2p_trust_private_key_load (key_file, &err);
  if (!p.key) {
    g_critical ("%s", err->message);
    g_error_free (err);
    return 1;
  }
  p.tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (secret_file) {
    p.tracker_secret = gst_p2p_tracker_secret_load (secret_file, &err);
    if (!p.tracker_secret) {
      g_critical ("%s", err->message);
      g_error_free (err);
      goto out;
    }
  } else if (operator_token) {
    if (!load_tokens (&p, operator_token, &err)) {
      g_critical ("%s", err->message);
      g_error_free (err);
      goto out;
    }
  } else {
    g_warning ("neither --operator-token nor --tracker-secret: the tracker "
        "will refuse to relay (only publisher tokens may publish)");
  }

  gst_p2p_stream_index_config_init (&icfg);
  icfg.swarm_template = p.opt.swarm_template;
  icfg.hls_identity_attributes = p.opt.hls_identity_attributes;
  p.index = gst_p2p_stream_index_new (&icfg, &err);
  if (!p.index) {
    g_critical ("%s", err->message);
    g_error_free (err);
    goto out;
  }
  {
    gchar *pub = gst_p2p_trust_public_key_to_base64
        (gst_p2p_trust_private_key_get_public (p.key));

    g_message ("publishing hashes of %s to %s, public key %s",
        p.opt.manifest, p.opt.tracker, pub);
    g_free (pub);
  }

  p.swarms = g_hash_table_new_full (digest_hash, digest_equal, NULL,
      (GDestroyNotify) swarm_free);
  g_mutex_init (&p.lock);
  g_cond_init (&p.cond);
  p.session = gst_p2p_http_session_get (NULL);
  p.loop = gst_p2p_http_session_get_loop (p.session);
  gst_p2p_loop_invoke_sync (p.loop, loop_start, &p);

  signal (SIGPIPE, SIG_IGN);
  main_loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_quit_signal, main_loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, main_loop);
  if (stats_s > 0)
    g_timeout_add_seconds (stats_s, print_stats, &p);
  thread = g_thread_new ("publisher", worker, &p);
  g_main_loop_run (main_loop);

  /* Stop the worker: wake its sleep, cancel its fetch, wait for it. */
  g_mutex_lock (&p.lock);
  p.stop = TRUE;
  if (p.current)
    gst_p2p_http_fetch_cancel (p.current);
  g_cond_signal (&p.cond);
  g_mutex_unlock (&p.lock);
  g_thread_join (thread);
  /* Let queued publishes reach the tracker, then leave the swarms. */
  g_usleep (200 * 1000);
  gst_p2p_loop_invoke_sync (p.loop, loop_stop, &p);
  print_stats (&p);
  g_main_loop_unref (main_loop);
  g_hash_table_unref (p.swarms);
  gst_p2p_http_session_unref (p.session);
  g_mutex_clear (&p.lock);
  g_cond_clear (&p.cond);
  g_message ("stopped");
  ret = 0;

out:
  g_clear_pointer (&p.index, gst_p2p_stream_index_free);
  g_clear_pointer (&p.tokens, g_hash_table_unref);
  g_clear_pointer (&p.tracker_secret, g_bytes_unref);
  gst_p2p_trust_private_key_free (p.key);
  g_free (p.token_all);
  g_free (p.opt.manifest);
  g_free (p.opt.viewer_manifest);
  g_free (p.opt.tracker);
  g_free (p.opt.swarm_template);
  g_free (key_file);
  g_free (make_key_file);
  g_free (operator_token);
  g_free (secret_file);
  return ret;
}
