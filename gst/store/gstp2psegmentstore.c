/* GstP2pSegmentStore: bounded in-memory store of verified segments.
 * See gstp2psegmentstore.h.
 *
 * Threads: any; one mutex guards everything.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/gst.h>

#include "store/gstp2psegmentstore.h"

GST_DEBUG_CATEGORY_STATIC (p2p_store_debug);
#define GST_CAT_DEFAULT p2p_store_debug

#define SWARM_SIZE GST_P2P_SEGMENT_STORE_SWARM_ID_SIZE

typedef struct
{
  guint8 swarm_id[SWARM_SIZE];
  guint64 segment_id;
  GBytes *data;
  guint8 sha256[GST_P2P_SEGMENT_STORE_SHA256_SIZE];
  gint64 stored_at;
  gint64 used_at;
  GList link;                   /* in store->lru; head = least recently used */
} Entry;

typedef struct
{
  guint8 swarm_id[SWARM_SIZE];
  guint64 oldest_live_id;
} LiveWindow;

struct _GstP2pSegmentStore
{
  gint refcount;
  GMutex lock;
  GHashTable *entries;          /* Entry* -> Entry* (key is the entry) */
  GQueue lru;
  GArray *windows;              /* LiveWindow, one per swarm; few swarms */
  GstP2pSegmentStoreStats stats;
};

static void
ensure_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (p2p_store_debug, "p2p-store", 0,
        "gst-p2p segment store");
    g_once_init_leave (&done, 1);
  }
}

static guint
entry_hash (gconstpointer p)
{
  const Entry *e = p;
  guint h = 2166136261u;
  guint i;

  for (i = 0; i < SWARM_SIZE; i++)
    h = (h ^ e->swarm_id[i]) * 16777619u;
  return h ^ g_int64_hash (&e->segment_id);
}

static gboolean
entry_equal (gconstpointer a, gconstpointer b)
{
  const Entry *ea = a, *eb = b;

  return ea->segment_id == eb->segment_id &&
      memcmp (ea->swarm_id, eb->swarm_id, SWARM_SIZE) == 0;
}

static void
entry_free (Entry * e)
{
  g_bytes_unref (e->data);
  g_free (e);
}

/**
 * gst_p2p_segment_store_new:
 * @max_bytes: the byte budget, 0 for the default (64 MiB)
 *
 * Returns: (transfer full): a new, empty store.
 */
GstP2pSegmentStore *
gst_p2p_segment_store_new (guint64 max_bytes)
{
  GstP2pSegmentStore *store = g_new0 (GstP2pSegmentStore, 1);

  ensure_debug ();
  store->refcount = 1;
  g_mutex_init (&store->lock);
  store->entries = g_hash_table_new_full (entry_hash, entry_equal, NULL,
      (GDestroyNotify) entry_free);
  g_queue_init (&store->lru);
  store->windows = g_array_new (FALSE, TRUE, sizeof (LiveWindow));
  store->stats.max_bytes = max_bytes ? max_bytes :
      GST_P2P_SEGMENT_STORE_DEFAULT_MAX_BYTES;
  return store;
}

GstP2pSegmentStore *
gst_p2p_segment_store_ref (GstP2pSegmentStore * store)
{
  g_return_val_if_fail (store != NULL, NULL);
  g_atomic_int_inc (&store->refcount);
  return store;
}

void
gst_p2p_segment_store_unref (GstP2pSegmentStore * store)
{
  g_return_if_fail (store != NULL);
  if (!g_atomic_int_dec_and_test (&store->refcount))
    return;
  g_hash_table_destroy (store->entries);
  g_array_free (store->windows, TRUE);
  g_mutex_clear (&store->lock);
  g_free (store);
}

/* lock held */
static LiveWindow *
find_window (GstP2pSegmentStore * store, const guint8 * swarm_id)
{
  guint i;

  for (i = 0; i < store->windows->len; i++) {
    LiveWindow *w = &g_array_index (store->windows, LiveWindow, i);
    if (memcmp (w->swarm_id, swarm_id, SWARM_SIZE) == 0)
      return w;
  }
  return NULL;
}

/* lock held */
static gboolean
entry_is_stale (GstP2pSegmentStore * store, Entry * e)
{
  LiveWindow *w = find_window (store, e->swarm_id);

  return w != NULL && e->segment_id < w->oldest_live_id;
}

/* lock held */
static void
remove_entry (GstP2pSegmentStore * store, Entry * e)
{
  g_queue_unlink (&store->lru, &e->link);
  store->stats.bytes -= g_bytes_get_size (e->data);
  store->stats.n_segments--;
  g_hash_table_remove (store->entries, e);
}

/* lock held. Evicts one entry: the least recently used of those out of the
 * live window, else the least recently used of all. FALSE if empty. */
static gboolean
evict_one (GstP2pSegmentStore * store)
{
  GList *l;
  Entry *victim = NULL;
  gboolean stale = FALSE;

  for (l = store->lru.head; l; l = l->next) {
    if (entry_is_stale (store, l->data)) {
      victim = l->data;
      stale = TRUE;
      break;
    }
  }
  if (!victim && store->lru.head)
    victim = store->lru.head->data;
  if (!victim)
    return FALSE;

  GST_DEBUG ("evicting segment %" G_GUINT64_FORMAT " (%" G_GSIZE_FORMAT
      " bytes, %s)", victim->segment_id, g_bytes_get_size (victim->data),
      stale ? "out of the live window" : "least recently used");
  store->stats.evictions++;
  if (stale)
    store->stats.evictions_stale++;
  remove_entry (store, victim);
  return TRUE;
}

/* lock held */
static void
shrink_to (GstP2pSegmentStore * store, guint64 limit)
{
  while (store->stats.bytes > limit && evict_one (store));
}

/**
 * gst_p2p_segment_store_set_max_bytes:
 * @max_bytes: the new budget, 0 for the default
 *
 * Evicts at once if the store holds more than the new budget.
 */
void
gst_p2p_segment_store_set_max_bytes (GstP2pSegmentStore * store,
    guint64 max_bytes)
{
  g_return_if_fail (store != NULL);
  g_mutex_lock (&store->lock);
  store->stats.max_bytes = max_bytes ? max_bytes :
      GST_P2P_SEGMENT_STORE_DEFAULT_MAX_BYTES;
  shrink_to (store, store->stats.max_bytes);
  g_mutex_unlock (&store->lock);
}

/**
 * gst_p2p_segment_store_put:
 * @swarm_id: GST_P2P_SEGMENT_STORE_SWARM_ID_SIZE bytes
 * @segment_id: the segment
 * @data: (transfer none): the whole segment, already verified
 * @sha256: (nullable): its SHA-256, GST_P2P_SEGMENT_STORE_SHA256_SIZE bytes
 * @now: monotonic time in microseconds
 *
 * Stores a segment, replacing an existing entry with the same key, evicting
 * others as needed.
 *
 * Returns: FALSE if the segment alone exceeds the budget (not stored).
 */
gboolean
gst_p2p_segment_store_put (GstP2pSegmentStore * store,
    const guint8 * swarm_id, guint64 segment_id, GBytes * data,
    const guint8 * sha256, gint64 now)
{
  Entry key, *e;
  gsize size;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (swarm_id != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  size = g_bytes_get_size (data);
  g_mutex_lock (&store->lock);
  if (size > store->stats.max_bytes) {
    store->stats.refused++;
    g_mutex_unlock (&store->lock);
    GST_WARNING ("segment %" G_GUINT64_FORMAT " of %" G_GSIZE_FORMAT
        " bytes exceeds the store budget", segment_id, size);
    return FALSE;
  }

  memcpy (key.swarm_id, swarm_id, SWARM_SIZE);
  key.segment_id = segment_id;
  e = g_hash_table_lookup (store->entries, &key);
  if (e)
    remove_entry (store, e);

  shrink_to (store, store->stats.max_bytes - size);

  e = g_new0 (Entry, 1);
  memcpy (e->swarm_id, swarm_id, SWARM_SIZE);
  e->segment_id = segment_id;
  e->data = g_bytes_ref (data);
  if (sha256)
    memcpy (e->sha256, sha256, sizeof (e->sha256));
  e->stored_at = e->used_at = now;
  e->link.data = e;
  g_queue_push_tail_link (&store->lru, &e->link);
  g_hash_table_add (store->entries, e);
  store->stats.bytes += size;
  store->stats.n_segments++;
  g_mutex_unlock (&store->lock);

  GST_LOG ("stored segment %" G_GUINT64_FORMAT " (%" G_GSIZE_FORMAT " bytes)",
      segment_id, size);
  return TRUE;
}

/**
 * gst_p2p_segment_store_get:
 * @sha256_out: (out caller-allocates) (optional): receives the SHA-256
 * @now: monotonic time in microseconds
 *
 * Looks a segment up, counting a hit or a miss, and marks it recently used.
 *
 * Returns: (transfer full) (nullable): the segment's bytes.
 */
GBytes *
gst_p2p_segment_store_get (GstP2pSegmentStore * store,
    const guint8 * swarm_id, guint64 segment_id, guint8 * sha256_out,
    gint64 now)
{
  Entry key, *e;
  GBytes *data = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (swarm_id != NULL, NULL);

  memcpy (key.swarm_id, swarm_id, SWARM_SIZE);
  key.segment_id = segment_id;
  g_mutex_lock (&store->lock);
  e = g_hash_table_lookup (store->entries, &key);
  if (e) {
    store->stats.hits++;
    e->used_at = now;
    g_queue_unlink (&store->lru, &e->link);
    g_queue_push_tail_link (&store->lru, &e->link);
    data = g_bytes_ref (e->data);
    if (sha256_out)
      memcpy (sha256_out, e->sha256, sizeof (e->sha256));
  } else {
    store->stats.misses++;
  }
  g_mutex_unlock (&store->lock);
  return data;
}

/**
 * gst_p2p_segment_store_contains:
 *
 * Returns: whether the segment is held. Counts neither hit nor miss and does
 * not touch the recency order (the scheduler asks this often).
 */
gboolean
gst_p2p_segment_store_contains (GstP2pSegmentStore * store,
    const guint8 * swarm_id, guint64 segment_id)
{
  Entry key;
  gboolean ret;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (swarm_id != NULL, FALSE);

  memcpy (key.swarm_id, swarm_id, SWARM_SIZE);
  key.segment_id = segment_id;
  g_mutex_lock (&store->lock);
  ret = g_hash_table_contains (store->entries, &key);
  g_mutex_unlock (&store->lock);
  return ret;
}

/**
 * gst_p2p_segment_store_remove:
 *
 * Drops one segment (for example when the engine learns it was bad).
 *
 * Returns: whether it was held.
 */
gboolean
gst_p2p_segment_store_remove (GstP2pSegmentStore * store,
    const guint8 * swarm_id, guint64 segment_id)
{
  Entry key, *e;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (swarm_id != NULL, FALSE);

  memcpy (key.swarm_id, swarm_id, SWARM_SIZE);
  key.segment_id = segment_id;
  g_mutex_lock (&store->lock);
  e = g_hash_table_lookup (store->entries, &key);
  if (e)
    remove_entry (store, e);
  g_mutex_unlock (&store->lock);
  return e != NULL;
}

/**
 * gst_p2p_segment_store_set_live_window:
 * @oldest_live_id: the oldest segment id the playlist still lists
 *
 * Segments of @swarm_id below @oldest_live_id are out of the live window:
 * nobody will play them again, so they are the first to be evicted. They
 * stay servable until room is needed.
 */
void
gst_p2p_segment_store_set_live_window (GstP2pSegmentStore * store,
    const guint8 * swarm_id, guint64 oldest_live_id)
{
  LiveWindow *w;

  g_return_if_fail (store != NULL);
  g_return_if_fail (swarm_id != NULL);

  g_mutex_lock (&store->lock);
  w = find_window (store, swarm_id);
  if (!w) {
    LiveWindow nw;
    memcpy (nw.swarm_id, swarm_id, SWARM_SIZE);
    nw.oldest_live_id = oldest_live_id;
    g_array_append_val (store->windows, nw);
  } else {
    w->oldest_live_id = oldest_live_id;
  }
  g_mutex_unlock (&store->lock);
}

/**
 * gst_p2p_segment_store_drop_stale:
 *
 * Drops every segment out of its swarm's live window at once (a memory
 * pressure hook; not needed for correctness).
 *
 * Returns: the number of segments dropped.
 */
guint
gst_p2p_segment_store_drop_stale (GstP2pSegmentStore * store)
{
  GList *l, *next;
  guint n = 0;

  g_return_val_if_fail (store != NULL, 0);
  g_mutex_lock (&store->lock);
  for (l = store->lru.head; l; l = next) {
    next = l->next;
    if (entry_is_stale (store, l->data)) {
      remove_entry (store, l->data);
      store->stats.evictions++;
      store->stats.evictions_stale++;
      n++;
    }
  }
  g_mutex_unlock (&store->lock);
  return n;
}

void
gst_p2p_segment_store_get_stats (GstP2pSegmentStore * store,
    GstP2pSegmentStoreStats * stats)
{
  g_return_if_fail (store != NULL);
  g_return_if_fail (stats != NULL);
  g_mutex_lock (&store->lock);
  *stats = store->stats;
  g_mutex_unlock (&store->lock);
}
