/* The viewer's trusted segment hashes. See gstp2ptrustdb.h.
 *
 * Threads: every entry point takes db->lock; SHA-256 of segment bytes is
 * computed outside it so a 10 MB segment never blocks the network thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "trust/gstp2ptrustdb.h"

#define GST_CAT_DEFAULT (gst_p2p_trust_debug_category ())

typedef struct
{
  guint64 id;
  /* The operator's record. */
  gboolean op;
  guint64 size;
  guint8 sha256[GST_P2P_TRUST_SHA256_LEN];
  gint64 time;
  /* This viewer's own CDN copy (first-cdn-copy mode). */
  gboolean cdn;
  guint64 cdn_size;
  guint8 cdn_sha256[GST_P2P_TRUST_SHA256_LEN];
  gint64 cdn_time;
} Entry;

typedef struct
{
  gchar path[GST_P2P_HASH_RECORD_MAX_PATH + 1];
  guint64 offset;
  guint64 size;
  guint8 sha256[GST_P2P_TRUST_SHA256_LEN];
  gint64 time;
} InitEntry;

typedef struct
{
  guint8 id[GST_P2P_HASH_SWARM_LEN];
  GTree *segments;              /* &Entry.id -> Entry */
  gboolean have_highest;
  guint64 highest;
  gint64 newest_publish;
  GArray *inits;                /* InitEntry, at most GST_P2P_TRUST_DB_MAX_INIT */
  gint64 last_update;
} Swarm;

struct _GstP2pTrustDb
{
  GMutex lock;
  GstP2pTrustMode mode;
  guint window;
  guint max_swarms;
  GstP2pTrustPublicKey *keys[GST_P2P_TRUST_DB_MAX_KEYS];
  guint n_keys;
  GHashTable *swarms;           /* Swarm.id -> Swarm */
  GstP2pTrustDbStats stats;
};

static guint
swarm_hash (gconstpointer key)
{
  const guint8 *b = key;

  /* The ids are SHA-256 digests: any four bytes are uniform. */
  return GST_READ_UINT32_LE (b);
}

static gboolean
swarm_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, GST_P2P_HASH_SWARM_LEN) == 0;
}

static gint
id_cmp (gconstpointer a, gconstpointer b, gpointer user_data)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static void
swarm_free (Swarm * s)
{
  g_tree_unref (s->segments);
  g_array_unref (s->inits);
  g_free (s);
}

/**
 * gst_p2p_trust_mode_from_string:
 * @str: "operator" or "first-cdn-copy"
 * @mode: (out): the mode
 *
 * Returns: FALSE for any other string.
 */
gboolean
gst_p2p_trust_mode_from_string (const gchar * str, GstP2pTrustMode * mode)
{
  if (!str)
    return FALSE;
  if (strcmp (str, "operator") == 0)
    *mode = GST_P2P_TRUST_MODE_OPERATOR;
  else if (strcmp (str, "first-cdn-copy") == 0)
    *mode = GST_P2P_TRUST_MODE_FIRST_CDN_COPY;
  else
    return FALSE;
  return TRUE;
}

/**
 * gst_p2p_trust_db_config_init:
 * @config: the config to fill
 *
 * Defaults, then the environment: GST_P2P_TRUST_KEY (public keys) and
 * GST_P2P_TRUST_MODE ("operator", "first-cdn-copy"; anything else is
 * ignored with a warning). The strings point into the environment; set
 * properties after this call to override.
 */
void
gst_p2p_trust_db_config_init (GstP2pTrustDbConfig * config)
{
  const gchar *mode;

  g_return_if_fail (config != NULL);

  config->keys = g_getenv (GST_P2P_TRUST_KEY_ENV);
  if (config->keys && !*config->keys)
    config->keys = NULL;
  config->mode = GST_P2P_TRUST_MODE_OPERATOR;
  mode = g_getenv (GST_P2P_TRUST_MODE_ENV);
  if (mode && *mode && !gst_p2p_trust_mode_from_string (mode, &config->mode))
    GST_WARNING ("ignoring %s=%s: 'operator' or 'first-cdn-copy'",
        GST_P2P_TRUST_MODE_ENV, mode);
  config->window = GST_P2P_TRUST_DB_DEFAULT_WINDOW;
  config->max_swarms = GST_P2P_TRUST_DB_DEFAULT_MAX_SWARMS;
}

/**
 * gst_p2p_trust_db_new:
 * @config: the settings
 * @error: return location for a %GST_P2P_TRUST_ERROR_KEY
 *
 * Returns: (transfer full) (nullable): a db, or NULL if a key is invalid
 *   (a misconfigured key must not silently turn verification off)
 */
GstP2pTrustDb *
gst_p2p_trust_db_new (const GstP2pTrustDbConfig * config, GError ** error)
{
  GstP2pTrustDb *db;
  gchar **specs = NULL;
  guint i;

  g_return_val_if_fail (config != NULL, NULL);

  db = g_new0 (GstP2pTrustDb, 1);
  g_mutex_init (&db->lock);
  db->mode = config->mode;
  db->window = MAX (config->window, 1);
  db->max_swarms = MAX (config->max_swarms, 1);
  db->swarms = g_hash_table_new_full (swarm_hash, swarm_equal, NULL,
      (GDestroyNotify) swarm_free);

  if (config->keys)
    specs = g_strsplit (config->keys, ",", -1);
  for (i = 0; specs && specs[i]; i++) {
    GstP2pTrustPublicKey *key;
    gchar *spec = g_strstrip (specs[i]);

    if (!*spec)
      continue;
    if (db->n_keys == GST_P2P_TRUST_DB_MAX_KEYS) {
      g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_KEY,
          "at most %d trust keys", GST_P2P_TRUST_DB_MAX_KEYS);
      goto fail;
    }
    if (!(key = gst_p2p_trust_public_key_parse (spec, error)))
      goto fail;
    db->keys[db->n_keys++] = key;
  }
  g_strfreev (specs);
  if (db->n_keys == 0)
    GST_WARNING ("no operator key: no peer-delivered segment can be verified");
  GST_INFO ("trust db: %u key(s), mode %s, window %u, %u swarms", db->n_keys,
      db->mode == GST_P2P_TRUST_MODE_OPERATOR ? "operator" : "first-cdn-copy",
      db->window, db->max_swarms);
  return db;

fail:
  g_strfreev (specs);
  gst_p2p_trust_db_free (db);
  return NULL;
}

void
gst_p2p_trust_db_free (GstP2pTrustDb * db)
{
  guint i;

  if (!db)
    return;
  for (i = 0; i < db->n_keys; i++)
    gst_p2p_trust_public_key_free (db->keys[i]);
  g_hash_table_unref (db->swarms);
  g_mutex_clear (&db->lock);
  g_free (db);
}

/* Locked. The swarm, created (evicting the least recently updated one)
 * when @create. */
static Swarm *
get_swarm (GstP2pTrustDb * db, const guint8 * id, gboolean create, gint64 now)
{
  Swarm *s = g_hash_table_lookup (db->swarms, id);
  GHashTableIter it;
  gpointer v;

  if (s || !create)
    return s;
  if (g_hash_table_size (db->swarms) >= db->max_swarms) {
    Swarm *oldest = NULL;

    g_hash_table_iter_init (&it, db->swarms);
    while (g_hash_table_iter_next (&it, NULL, &v))
      if (!oldest || ((Swarm *) v)->last_update < oldest->last_update)
        oldest = v;
    db->stats.evicted += g_tree_nnodes (oldest->segments) + oldest->inits->len;
    g_hash_table_remove (db->swarms, oldest->id);
  }
  s = g_new0 (Swarm, 1);
  memcpy (s->id, id, GST_P2P_HASH_SWARM_LEN);
  s->segments = g_tree_new_full (id_cmp, NULL, NULL, g_free);
  s->inits = g_array_new (FALSE, TRUE, sizeof (InitEntry));
  s->newest_publish = G_MININT64;
  s->last_update = now;
  g_hash_table_insert (db->swarms, s->id, s);
  return s;
}

/* Locked. Drops the segment ids at or below highest - window. */
static void
evict_window (GstP2pTrustDb * db, Swarm * s)
{
  GTreeNode *n;

  if (!s->have_highest || s->highest < db->window)
    return;
  while ((n = g_tree_node_first (s->segments))) {
    Entry *e = g_tree_node_value (n);

    if (e->id > s->highest - db->window)
      break;
    g_tree_remove (s->segments, &e->id);
    db->stats.evicted++;
  }
}

static void
note_highest (Swarm * s, guint64 id)
{
  if (!s->have_highest || id > s->highest) {
    s->highest = id;
    s->have_highest = TRUE;
  }
}

static gboolean
below_window (GstP2pTrustDb * db, Swarm * s, guint64 id)
{
  return s->have_highest && s->highest >= db->window
      && id <= s->highest - db->window;
}

static void
check_cdn_copy (GstP2pTrustDb * db, Swarm * s, Entry * e)
{
  if (e->op && e->cdn && (e->size != e->cdn_size
          || memcmp (e->sha256, e->cdn_sha256, GST_P2P_TRUST_SHA256_LEN))) {
    db->stats.cdn_mismatches++;
    GST_WARNING ("segment %" G_GUINT64_FORMAT ": the CDN served other bytes "
        "than the operator hashed", e->id);
  }
}

/* Locked. */
static void
add_media (GstP2pTrustDb * db, Swarm * s, const GstP2pHashRecord * r,
    gint64 time)
{
  Entry *e;

  if (below_window (db, s, r->segment_id)) {
    db->stats.stale++;
    return;
  }
  e = g_tree_lookup (s->segments, &r->segment_id);
  if (e && e->op) {
    if (e->size == r->size && !memcmp (e->sha256, r->sha256,
            GST_P2P_TRUST_SHA256_LEN)) {
      /* A re-publication: nothing new. */
      e->time = MAX (e->time, time);
      return;
    }
    db->stats.conflicts++;
    if (time <= e->time) {
      GST_WARNING ("segment %" G_GUINT64_FORMAT ": ignoring an older record "
          "with another hash", r->segment_id);
      db->stats.stale++;
      return;
    }
    GST_WARNING ("segment %" G_GUINT64_FORMAT ": replaced by a newer record "
        "with another hash", r->segment_id);
  }
  if (!e) {
    e = g_new0 (Entry, 1);
    e->id = r->segment_id;
    g_tree_insert (s->segments, &e->id, e);
  }
  e->op = TRUE;
  e->size = r->size;
  memcpy (e->sha256, r->sha256, GST_P2P_TRUST_SHA256_LEN);
  e->time = time;
  db->stats.records++;
  note_highest (s, r->segment_id);
  check_cdn_copy (db, s, e);
}

/* Locked. */
static void
add_init (GstP2pTrustDb * db, Swarm * s, const GstP2pHashRecord * r,
    gint64 time)
{
  InitEntry *ie = NULL;
  guint i, oldest = 0;

  for (i = 0; i < s->inits->len; i++) {
    InitEntry *c = &g_array_index (s->inits, InitEntry, i);

    if (c->offset == r->offset && strcmp (c->path, r->path) == 0)
      ie = c;
    if (c->time < g_array_index (s->inits, InitEntry, oldest).time)
      oldest = i;
  }
  if (ie) {
    if (ie->size == r->size && !memcmp (ie->sha256, r->sha256,
            GST_P2P_TRUST_SHA256_LEN)) {
      ie->time = MAX (ie->time, time);
      return;
    }
    db->stats.conflicts++;
    if (time <= ie->time) {
      db->stats.stale++;
      return;
    }
  } else if (s->inits->len >= GST_P2P_TRUST_DB_MAX_INIT) {
    ie = &g_array_index (s->inits, InitEntry, oldest);
    db->stats.evicted++;
  } else {
    g_array_set_size (s->inits, s->inits->len + 1);
    ie = &g_array_index (s->inits, InitEntry, s->inits->len - 1);
  }
  g_strlcpy (ie->path, r->path, sizeof (ie->path));
  ie->offset = r->offset;
  ie->size = r->size;
  memcpy (ie->sha256, r->sha256, GST_P2P_TRUST_SHA256_LEN);
  ie->time = time;
  db->stats.records++;
}

/* Locked. A newer batch whose media ids all lie below the window: the
 * stream restarted its numbering (a packager restart) under the same
 * swarm. Old records would make honest peers fail, so they go. */
static void
maybe_restart (GstP2pTrustDb * db, Swarm * s, const GstP2pHashBatch * b)
{
  guint i, media = 0;

  if (!s->have_highest || b->publish_time <= s->newest_publish)
    return;
  for (i = 0; i < b->n_records; i++) {
    if (b->records[i].kind != GST_P2P_HASH_KIND_MEDIA)
      continue;
    media++;
    if (!below_window (db, s, b->records[i].segment_id))
      return;
  }
  if (media == 0)
    return;
  GST_WARNING ("a newer batch restarts segment ids below %" G_GUINT64_FORMAT
      ": dropping %u records of this swarm", s->highest,
      g_tree_nnodes (s->segments));
  db->stats.restarts++;
  db->stats.evicted += g_tree_nnodes (s->segments);
  g_tree_remove_all (s->segments);
  s->have_highest = FALSE;
}

static gint
reject (GstP2pTrustDb * db, GError * err, GError ** error)
{
  g_mutex_lock (&db->lock);
  db->stats.rejected[err->code]++;
  g_mutex_unlock (&db->lock);
  GST_WARNING ("rejected a hash batch: %s (%s)", err->message,
      gst_p2p_trust_error_reason (err->code));
  g_propagate_error (error, err);
  return -1;
}

/**
 * gst_p2p_trust_db_add_batch:
 * @db: the db
 * @data: a signed batch, hostile
 * @size: its length
 * @now: microseconds since the epoch (for swarm eviction)
 * @error: return location for a #GstP2pTrustError
 *
 * Returns: the number of records added or replaced, or -1 if the batch was
 *   refused (counted in stats.rejected).
 */
gint
gst_p2p_trust_db_add_batch (GstP2pTrustDb * db, const guint8 * data,
    gsize size, gint64 now, GError ** error)
{
  GstP2pHashBatch *b;
  GError *err = NULL;
  Swarm *s;
  guint64 before;
  guint i;
  gint added;

  g_return_val_if_fail (db != NULL, -1);

  b = g_new (GstP2pHashBatch, 1);
  g_mutex_lock (&db->lock);
  /* Under the lock: GnuTLS does not promise concurrent use of a key. */
  if (!gst_p2p_hash_batch_parse (data, size,
          (const GstP2pTrustPublicKey * const *) db->keys, db->n_keys, b,
          &err)) {
    g_mutex_unlock (&db->lock);
    g_free (b);
    return reject (db, err, error);
  }
  s = get_swarm (db, b->swarm, TRUE, now);
  s->last_update = now;
  maybe_restart (db, s, b);
  before = db->stats.records;
  for (i = 0; i < b->n_records; i++) {
    if (b->records[i].kind == GST_P2P_HASH_KIND_MEDIA)
      add_media (db, s, &b->records[i], b->publish_time);
    else
      add_init (db, s, &b->records[i], b->publish_time);
  }
  s->newest_publish = MAX (s->newest_publish, b->publish_time);
  evict_window (db, s);
  db->stats.batches++;
  added = db->stats.records - before;
  g_mutex_unlock (&db->lock);
  GST_DEBUG ("batch %" G_GUINT64_FORMAT ": %u records, %d new",
      b->sequence, b->n_records, added);
  g_free (b);
  return added;
}

/**
 * gst_p2p_trust_db_add_payload:
 * @db: the db
 * @payload_json: the payload of a tracker "publish" message, hostile
 * @size: its length
 * @now: microseconds since the epoch
 * @error: return location for a #GstP2pTrustError
 *
 * Returns: as gst_p2p_trust_db_add_batch().
 */
gint
gst_p2p_trust_db_add_payload (GstP2pTrustDb * db, const gchar * payload_json,
    gsize size, gint64 now, GError ** error)
{
  GError *err = NULL;
  GBytes *bytes;
  gsize len;
  const guint8 *d;
  gint ret;

  g_return_val_if_fail (db != NULL, -1);

  bytes = gst_p2p_hash_payload_parse (payload_json, size, &err);
  if (!bytes)
    return reject (db, err, error);
  d = g_bytes_get_data (bytes, &len);
  ret = gst_p2p_trust_db_add_batch (db, d, len, now, error);
  g_bytes_unref (bytes);
  return ret;
}

/* Locked. */
static gboolean
lookup_locked (GstP2pTrustDb * db, const guint8 * swarm, guint64 segment_id,
    gboolean own, GstP2pTrustExpected * out)
{
  Swarm *s = get_swarm (db, swarm, FALSE, 0);
  Entry *e = s ? g_tree_lookup (s->segments, &segment_id) : NULL;

  if (e && e->op) {
    out->size = e->size;
    memcpy (out->sha256, e->sha256, GST_P2P_TRUST_SHA256_LEN);
    out->source = GST_P2P_TRUST_SOURCE_OPERATOR;
    out->publish_time = e->time;
    return TRUE;
  }
  if (e && e->cdn && own) {
    out->size = e->cdn_size;
    memcpy (out->sha256, e->cdn_sha256, GST_P2P_TRUST_SHA256_LEN);
    out->source = GST_P2P_TRUST_SOURCE_CDN_COPY;
    out->publish_time = e->cdn_time;
    return TRUE;
  }
  return FALSE;
}

/**
 * gst_p2p_trust_db_lookup:
 * @db: the db
 * @swarm: the full swarm id
 * @segment_id: the segment id
 * @expected: (out caller-allocates) (optional): the trusted size and hash
 *
 * The operator's record of a media segment; in first-cdn-copy mode, this
 * viewer's own CDN copy when there is no operator record (check
 * @expected->source: only an operator record may vouch for peer bytes).
 *
 * Returns: TRUE if a record is held.
 */
gboolean
gst_p2p_trust_db_lookup (GstP2pTrustDb * db,
    const guint8 swarm[GST_P2P_HASH_SWARM_LEN], guint64 segment_id,
    GstP2pTrustExpected * expected)
{
  GstP2pTrustExpected tmp;
  gboolean ret;

  g_return_val_if_fail (db != NULL && swarm != NULL, FALSE);

  g_mutex_lock (&db->lock);
  ret = lookup_locked (db, swarm, segment_id, TRUE, expected ? expected : &tmp);
  g_mutex_unlock (&db->lock);
  return ret;
}

/**
 * gst_p2p_trust_db_lookup_init:
 * @db: the db
 * @swarm: the full swarm id
 * @path: the init segment's URI path, without query
 * @offset: its first byte in the resource (0 without a byte range)
 * @expected: (out caller-allocates) (optional): the trusted size and hash
 *
 * Returns: TRUE if the operator published a record for this init segment.
 */
gboolean
gst_p2p_trust_db_lookup_init (GstP2pTrustDb * db,
    const guint8 swarm[GST_P2P_HASH_SWARM_LEN], const gchar * path,
    guint64 offset, GstP2pTrustExpected * expected)
{
  Swarm *s;
  gboolean ret = FALSE;
  guint i;

  g_return_val_if_fail (db != NULL && swarm != NULL && path != NULL, FALSE);

  g_mutex_lock (&db->lock);
  s = get_swarm (db, swarm, FALSE, 0);
  for (i = 0; s && i < s->inits->len && !ret; i++) {
    InitEntry *ie = &g_array_index (s->inits, InitEntry, i);

    if (ie->offset == offset && strcmp (ie->path, path) == 0) {
      if (expected) {
        expected->size = ie->size;
        memcpy (expected->sha256, ie->sha256, GST_P2P_TRUST_SHA256_LEN);
        expected->source = GST_P2P_TRUST_SOURCE_OPERATOR;
        expected->publish_time = ie->time;
      }
      ret = TRUE;
    }
  }
  g_mutex_unlock (&db->lock);
  return ret;
}

/* Hashes outside the lock, counts inside. @buffer or @data. */
static GstP2pTrustVerdict
verify (GstP2pTrustDb * db, const guint8 * swarm, guint64 segment_id,
    gconstpointer data, gsize size, GstBuffer * buffer, gboolean own)
{
  GstP2pTrustExpected exp;
  GstP2pTrustVerdict v;
  guint8 digest[GST_P2P_TRUST_SHA256_LEN];
  gboolean known;

  if (buffer)
    size = gst_buffer_get_size (buffer);
  g_mutex_lock (&db->lock);
  known = lookup_locked (db, swarm, segment_id, own, &exp);
  g_mutex_unlock (&db->lock);

  if (!known) {
    v = GST_P2P_TRUST_VERDICT_UNKNOWN;
  } else if (exp.size != size) {
    v = GST_P2P_TRUST_VERDICT_BAD_SIZE;
  } else {
    if (buffer) {
      if (!gst_p2p_trust_sha256_buffer (buffer, digest))
        memset (digest, 0, sizeof (digest));
    } else {
      gst_p2p_trust_sha256 (data, size, digest);
    }
    v = memcmp (digest, exp.sha256, GST_P2P_TRUST_SHA256_LEN) == 0 ?
        GST_P2P_TRUST_VERDICT_OK : GST_P2P_TRUST_VERDICT_MISMATCH;
  }

  g_mutex_lock (&db->lock);
  switch (v) {
    case GST_P2P_TRUST_VERDICT_OK:
      db->stats.verified++;
      db->stats.bytes_verified += size;
      break;
    case GST_P2P_TRUST_VERDICT_UNKNOWN:
      db->stats.unknown++;
      break;
    case GST_P2P_TRUST_VERDICT_MISMATCH:
      db->stats.bytes_verified += size;
      /* fall through */
    default:
      db->stats.failures++;
      break;
  }
  g_mutex_unlock (&db->lock);
  if (v == GST_P2P_TRUST_VERDICT_BAD_SIZE
      || v == GST_P2P_TRUST_VERDICT_MISMATCH)
    GST_WARNING ("segment %" G_GUINT64_FORMAT ": %s (%" G_GSIZE_FORMAT
        " bytes, expected %" G_GUINT64_FORMAT ")", segment_id,
        gst_p2p_trust_verdict_to_string (v), size, exp.size);
  else
    GST_LOG ("segment %" G_GUINT64_FORMAT ": %s", segment_id,
        gst_p2p_trust_verdict_to_string (v));
  return v;
}

/**
 * gst_p2p_trust_db_verify:
 * @db: the db
 * @swarm: the full swarm id
 * @segment_id: the segment id
 * @data: the complete segment as a peer delivered it
 * @size: its length
 *
 * Checks peer bytes against the operator's record (never against a CDN
 * copy). Counted in the stats.
 *
 * Returns: the verdict; only %GST_P2P_TRUST_VERDICT_OK lets the bytes go
 *   downstream.
 */
GstP2pTrustVerdict
gst_p2p_trust_db_verify (GstP2pTrustDb * db,
    const guint8 swarm[GST_P2P_HASH_SWARM_LEN], guint64 segment_id,
    gconstpointer data, gsize size)
{
  g_return_val_if_fail (db != NULL && swarm != NULL,
      GST_P2P_TRUST_VERDICT_UNKNOWN);
  g_return_val_if_fail (data != NULL || size == 0,
      GST_P2P_TRUST_VERDICT_UNKNOWN);

  return verify (db, swarm, segment_id, data, size, NULL, FALSE);
}

/**
 * gst_p2p_trust_db_verify_buffer:
 * @db: the db
 * @swarm: the full swarm id
 * @segment_id: the segment id
 * @buffer: the complete segment (any number of memories)
 *
 * As gst_p2p_trust_db_verify().
 *
 * Returns: the verdict
 */
GstP2pTrustVerdict
gst_p2p_trust_db_verify_buffer (GstP2pTrustDb * db,
    const guint8 swarm[GST_P2P_HASH_SWARM_LEN], guint64 segment_id,
    GstBuffer * buffer)
{
  g_return_val_if_fail (db != NULL && swarm != NULL,
      GST_P2P_TRUST_VERDICT_UNKNOWN);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), GST_P2P_TRUST_VERDICT_UNKNOWN);

  return verify (db, swarm, segment_id, NULL, 0, buffer, FALSE);
}

/**
 * gst_p2p_trust_db_note_cdn_copy:
 * @db: the db
 * @swarm: the full swarm id
 * @segment_id: the segment id
 * @data: the segment exactly as this viewer fetched it from the CDN
 * @size: its length
 * @now: microseconds since the epoch
 *
 * First-cdn-copy mode: remembers the hash of this viewer's own CDN copy,
 * for gst_p2p_trust_db_verify_own() and to detect a CDN that serves other
 * bytes than the operator hashed. Does nothing in the default mode.
 *
 * Returns: TRUE if the copy was noted.
 */
gboolean
gst_p2p_trust_db_note_cdn_copy (GstP2pTrustDb * db,
    const guint8 swarm[GST_P2P_HASH_SWARM_LEN], guint64 segment_id,
    gconstpointer data, gsize size, gint64 now)
{
  guint8 digest[GST_P2P_TRUST_SHA256_LEN];
  Swarm *s;
  Entry *e;

  g_return_val_if_fail (db != NULL && swarm != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  if (db->mode != GST_P2P_TRUST_MODE_FIRST_CDN_COPY || size == 0)
    return FALSE;
  gst_p2p_trust_sha256 (data, size, digest);

  g_mutex_lock (&db->lock);
  s = get_swarm (db, swarm, TRUE, now);
  s->last_update = now;
  if (below_window (db, s, segment_id)) {
    g_mutex_unlock (&db->lock);
    return FALSE;
  }
  e = g_tree_lookup (s->segments, &segment_id);
  if (!e) {
    e = g_new0 (Entry, 1);
    e->id = segment_id;
    g_tree_insert (s->segments, &e->id, e);
  }
  e->cdn = TRUE;
  e->cdn_size = size;
  memcpy (e->cdn_sha256, digest, GST_P2P_TRUST_SHA256_LEN);
  e->cdn_time = now;
  db->stats.cdn_copies++;
  check_cdn_copy (db, s, e);
  note_highest (s, segment_id);
  evict_window (db, s);
  g_mutex_unlock (&db->lock);
  return TRUE;
}

/**
 * gst_p2p_trust_db_verify_own:
 * @db: the db
 * @swarm: the full swarm id
 * @segment_id: the segment id
 * @data: bytes this viewer holds as its own CDN copy (e.g. re-read from
 *   its segment store), never bytes a peer sent
 * @size: their length
 *
 * Against the operator's record if there is one, else (first-cdn-copy
 * mode) against the hash noted when the copy came from the CDN.
 *
 * Returns: the verdict
 */
GstP2pTrustVerdict
gst_p2p_trust_db_verify_own (GstP2pTrustDb * db,
    const guint8 swarm[GST_P2P_HASH_SWARM_LEN], guint64 segment_id,
    gconstpointer data, gsize size)
{
  g_return_val_if_fail (db != NULL && swarm != NULL,
      GST_P2P_TRUST_VERDICT_UNKNOWN);
  g_return_val_if_fail (data != NULL || size == 0,
      GST_P2P_TRUST_VERDICT_UNKNOWN);

  return verify (db, swarm, segment_id, data, size, NULL, TRUE);
}

GstP2pTrustMode
gst_p2p_trust_db_get_mode (GstP2pTrustDb * db)
{
  g_return_val_if_fail (db != NULL, GST_P2P_TRUST_MODE_OPERATOR);
  return db->mode;
}

guint
gst_p2p_trust_db_get_n_keys (GstP2pTrustDb * db)
{
  g_return_val_if_fail (db != NULL, 0);
  return db->n_keys;
}

/**
 * gst_p2p_trust_db_get_stats:
 * @db: the db
 * @stats: (out caller-allocates): a snapshot of the counters
 */
void
gst_p2p_trust_db_get_stats (GstP2pTrustDb * db, GstP2pTrustDbStats * stats)
{
  GHashTableIter it;
  gpointer v;

  g_return_if_fail (db != NULL && stats != NULL);

  g_mutex_lock (&db->lock);
  *stats = db->stats;
  stats->swarms = g_hash_table_size (db->swarms);
  stats->entries = 0;
  g_hash_table_iter_init (&it, db->swarms);
  while (g_hash_table_iter_next (&it, NULL, &v))
    stats->entries += g_tree_nnodes (((Swarm *) v)->segments) +
        ((Swarm *) v)->inits->len;
  g_mutex_unlock (&db->lock);
}

const gchar *
gst_p2p_trust_verdict_to_string (GstP2pTrustVerdict verdict)
{
  switch (verdict) {
    case GST_P2P_TRUST_VERDICT_OK:
      return "ok";
    case GST_P2P_TRUST_VERDICT_UNKNOWN:
      return "unknown";
    case GST_P2P_TRUST_VERDICT_BAD_SIZE:
      return "bad-size";
    case GST_P2P_TRUST_VERDICT_MISMATCH:
      return "mismatch";
  }
  return "invalid";
}
