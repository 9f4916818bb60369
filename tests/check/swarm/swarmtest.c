/* Swarm test helpers. See swarmtest.h.
 *
 * Threads: TestViewer fields marked (loop) are touched on the network
 * thread only; the test thread reads results under v->lock.
 */
#include <string.h>

#include <gst/gst.h>

#include "net/gstp2ploop.h"
#include "swarmtest.h"

struct _TestViewer
{
  GstP2pSwarm *swarm;           /* (loop) */
  GstP2pSegmentStore *store;
  guint8 swarm_id[GST_P2P_WIRE_SWARM_ID_SIZE];
  GMutex lock;
  GHashTable *gets;             /* seg -> Get, (loop) and lock */
  gchar *peer_id;
  gchar *tracker_error;
  TestGetDone on_get;
  gpointer on_get_data;
};

typedef struct
{
  TestViewer *v;
  guint64 seg;
  gint64 give_up;
  gchar *peer_id;
  GBytes *bytes;
  gchar *error;
  gboolean done;
  guint attempts;
  GSource *retry;               /* (loop) */
} Get;

GBytes *
test_blob (guint seed, gsize size)
{
  guint8 *data = g_malloc (size);
  guint32 x = seed * 2654435761u + 1;
  gsize i;

  /* position-dependent: a shifted or repeated chunk cannot compare equal */
  for (i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return g_bytes_new_take (data, size);
}

gchar *
test_sha256 (GBytes * bytes)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

void
test_swarm_id (const gchar * name, guint8 * id)
{
  GChecksum *c = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = GST_P2P_WIRE_SWARM_ID_SIZE;

  g_checksum_update (c, (const guchar *) name, -1);
  g_checksum_get_digest (c, id, &len);
  g_checksum_free (c);
}

gchar *
test_swarm_hex (const guint8 * id)
{
  GString *s = g_string_new (NULL);
  guint i;

  /* the tracker swarm name: the short form GstP2pSwarm joins under */
  for (i = 0; i < GST_P2P_SWARM_TRACKER_NAME_LEN / 2; i++)
    g_string_append_printf (s, "%02x", id[i]);
  return g_string_free (s, FALSE);
}

void
test_loop_config (GstP2pLinkConfig * config)
{
  static gchar *loopback[] = { (gchar *) "127.0.0.1", NULL };

  gst_p2p_link_config_init (config);
  config->ice.local_addresses = g_strdupv (loopback);
}

typedef struct
{
  GSourceFunc func;
  gpointer data;
} Call;

void
test_on_loop (GSourceFunc func, gpointer data)
{
  gst_p2p_loop_invoke_sync (gst_p2p_loop_get_default (), func, data);
}

/* ---- viewer ----------------------------------------------------------- */

static void
on_joined (GstP2pSwarm * swarm, const gchar * id, TestViewer * v)
{
  g_mutex_lock (&v->lock);
  g_free (v->peer_id);
  v->peer_id = g_strdup (id);
  g_mutex_unlock (&v->lock);
}

static void
on_tracker_error (GstP2pSwarm * swarm, const gchar * reason,
    const gchar * message, TestViewer * v)
{
  g_mutex_lock (&v->lock);
  g_free (v->tracker_error);
  v->tracker_error = g_strdup (reason);
  g_mutex_unlock (&v->lock);
}

typedef struct
{
  TestViewer *v;
  const gchar *url;
  const gchar *token;
  const gchar *peer_id;
  const gchar *first_prop;
  va_list *args;
} NewArgs;

static gboolean
new_on_loop (gpointer data)
{
  NewArgs *a = data;
  TestViewer *v = a->v;
  GstP2pLinkConfig config;

  v->swarm = gst_p2p_swarm_new (v->swarm_id, a->url, a->token, v->store);
  if (a->peer_id)
    g_object_set (v->swarm, "peer-id", a->peer_id, NULL);
  if (a->first_prop)
    g_object_set_valist (G_OBJECT (v->swarm), a->first_prop, *a->args);
  test_loop_config (&config);
  gst_p2p_swarm_set_link_config (v->swarm, &config);
  gst_p2p_link_config_clear (&config);
  g_signal_connect (v->swarm, "joined", G_CALLBACK (on_joined), v);
  g_signal_connect (v->swarm, "tracker-error", G_CALLBACK (on_tracker_error),
      v);
  return G_SOURCE_REMOVE;
}

static void
get_free (Get * g)
{
  if (g->retry) {
    g_source_destroy (g->retry);
    g_source_unref (g->retry);
  }
  if (g->bytes)
    g_bytes_unref (g->bytes);
  g_free (g->error);
  g_free (g->peer_id);
  g_free (g);
}

TestViewer *
test_viewer_new (const guint8 * swarm_id, const gchar * url,
    const gchar * token, const gchar * peer_id, const gchar * first_prop, ...)
{
  TestViewer *v = g_new0 (TestViewer, 1);
  va_list args;
  NewArgs a = { v, url, token, peer_id, first_prop, &args };

  memcpy (v->swarm_id, swarm_id, GST_P2P_WIRE_SWARM_ID_SIZE);
  g_mutex_init (&v->lock);
  v->store = gst_p2p_segment_store_new (256 * 1024 * 1024);
  v->gets = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
      (GDestroyNotify) get_free);
  va_start (args, first_prop);
  test_on_loop (new_on_loop, &a);
  va_end (args);
  return v;
}

static gboolean
start_on_loop (gpointer data)
{
  TestViewer *v = data;
  gst_p2p_swarm_start (v->swarm);
  return G_SOURCE_REMOVE;
}

void
test_viewer_start (TestViewer * v)
{
  test_on_loop (start_on_loop, v);
}

static gboolean
free_on_loop (gpointer data)
{
  TestViewer *v = data;

  GstP2pSwarm *swarm = v->swarm;
  guint i;

  g_signal_handlers_disconnect_by_data (swarm, v);
  /* Fetches still running fail now; their callbacks may come from idles:
   * let them run while the Gets exist, seeing v->swarm NULL. */
  v->swarm = NULL;
  gst_p2p_swarm_stop (swarm);
  for (i = 0; i < 100 && g_main_context_iteration
      (gst_p2p_loop_get_context (gst_p2p_loop_get_default ()), FALSE); i++);
  g_object_unref (swarm);
  g_hash_table_remove_all (v->gets);
  return G_SOURCE_REMOVE;
}

void
test_viewer_free (TestViewer * v)
{
  test_on_loop (free_on_loop, v);
  g_hash_table_unref (v->gets);
  gst_p2p_segment_store_unref (v->store);
  g_free (v->peer_id);
  g_free (v->tracker_error);
  g_mutex_clear (&v->lock);
  g_free (v);
}

GstP2pSwarm *
test_viewer_swarm (TestViewer * v)
{
  return v->swarm;
}

gchar *
test_viewer_peer_id (TestViewer * v)
{
  gchar *id;

  g_mutex_lock (&v->lock);
  id = g_strdup (v->peer_id);
  g_mutex_unlock (&v->lock);
  return id;
}

typedef struct
{
  TestViewer *v;
  guint64 seg;
  GBytes *bytes;
} PutArgs;

static gboolean
put_on_loop (gpointer data)
{
  PutArgs *a = data;

  g_assert_true (gst_p2p_segment_store_put (a->v->store, a->v->swarm_id,
          a->seg, a->bytes, NULL, g_get_monotonic_time ()));
  gst_p2p_swarm_announce_have (a->v->swarm, a->seg);
  return G_SOURCE_REMOVE;
}

void
test_viewer_put (TestViewer * v, guint64 seg, GBytes * bytes)
{
  PutArgs a = { v, seg, bytes };
  test_on_loop (put_on_loop, &a);
}

static void get_attempt (Get * g);

static gboolean
retry_cb (gpointer data)
{
  Get *g = data;

  g_source_unref (g->retry);
  g->retry = NULL;
  get_attempt (g);
  return G_SOURCE_REMOVE;
}

static void
get_finish (Get * g)
{
  TestViewer *v = g->v;

  g_mutex_lock (&v->lock);
  g->done = TRUE;
  g_mutex_unlock (&v->lock);
  if (v->on_get)
    v->on_get (v, g->seg, g->bytes, g->error, v->on_get_data);
}

static void
on_fetched (GObject * source, GAsyncResult * res, gpointer data)
{
  Get *g = data;
  GError *err = NULL;
  GBytes *bytes;
  GSource *s;

  if (!g->v->swarm) {
    bytes = gst_p2p_swarm_fetch_finish (GST_P2P_SWARM (source), res, NULL,
        NULL, NULL, NULL);
    if (bytes)
      g_bytes_unref (bytes);
    return;
  }
  bytes = gst_p2p_swarm_fetch_finish (GST_P2P_SWARM (source), res, NULL,
      NULL, NULL, &err);
  if (bytes) {
    g_mutex_lock (&g->v->lock);
    g->bytes = bytes;
    g_mutex_unlock (&g->v->lock);
    get_finish (g);
    return;
  }
  g_mutex_lock (&g->v->lock);
  g_free (g->error);
  g->error = g_strdup (err->message);
  g_mutex_unlock (&g->v->lock);
  GST_INFO ("get %" G_GUINT64_FORMAT " attempt %u: %s", g->seg, g->attempts,
      err->message);
  g_error_free (err);
  /* Busy, not linked yet, no holder yet: try again shortly. */
  g->retry = s = g_timeout_source_new (100);
  g_source_set_callback (s, retry_cb, g, NULL);
  g_source_attach (s, gst_p2p_loop_get_context (gst_p2p_loop_get_default ()));
}

static void
get_attempt (Get * g)
{
  if (!g->v->swarm)
    return;
  if (g_get_monotonic_time () >= g->give_up) {
    get_finish (g);
    return;
  }
  g->attempts++;
  gst_p2p_swarm_fetch_async (g->v->swarm, g->seg, 0,
      GST_P2P_WIRE_RANGE_END_OPEN, g->give_up, g->peer_id, NULL, NULL, NULL,
      NULL, on_fetched, g);
}

typedef struct
{
  TestViewer *v;
  guint64 seg;
  guint timeout_ms;
  const gchar *peer_id;
} GetArgs;

static gboolean
get_on_loop (gpointer data)
{
  GetArgs *a = data;
  Get *g = g_new0 (Get, 1);

  g->v = a->v;
  g->seg = a->seg;
  g->give_up = g_get_monotonic_time () + a->timeout_ms * 1000LL;
  g->peer_id = g_strdup (a->peer_id);
  g_mutex_lock (&a->v->lock);
  g_hash_table_insert (a->v->gets, &g->seg, g);
  g_mutex_unlock (&a->v->lock);
  get_attempt (g);
  return G_SOURCE_REMOVE;
}

/**
 * test_viewer_get:
 *
 * Fetches the whole segment, from @peer_id or any holder, retrying every
 * 100 ms after a failure (busy, no holder yet) until @timeout_ms.
 */
void
test_viewer_get (TestViewer * v, guint64 seg, guint timeout_ms,
    const gchar * peer_id)
{
  GetArgs a = { v, seg, timeout_ms, peer_id };
  test_on_loop (get_on_loop, &a);
}

void
test_viewer_on_get (TestViewer * v, TestGetDone done, gpointer data)
{
  v->on_get = done;
  v->on_get_data = data;
}

gboolean
test_viewer_wait_get (TestViewer * v, guint64 seg, guint timeout_ms,
    GBytes ** bytes, gchar ** error)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000LL;
  gboolean done = FALSE;

  while (!done) {
    Get *g;

    g_mutex_lock (&v->lock);
    g = g_hash_table_lookup (v->gets, &seg);
    if (g && g->done) {
      done = TRUE;
      if (bytes)
        *bytes = g->bytes ? g_bytes_ref (g->bytes) : NULL;
      if (error)
        *error = g_strdup (g->error);
    }
    g_mutex_unlock (&v->lock);
    if (done || g_get_monotonic_time () > deadline)
      break;
    g_usleep (10 * 1000);
  }
  return done;
}

typedef struct
{
  TestViewer *v;
  guint64 seg;
  guint n;
  gboolean ok;
} Check;

static gboolean
check_peers (gpointer data)
{
  Check *c = data;
  GstP2pSwarmStats s;

  gst_p2p_swarm_get_stats (c->v->swarm, &s);
  c->ok = s.peers >= c->n;
  return G_SOURCE_REMOVE;
}

static gboolean
check_holders (gpointer data)
{
  Check *c = data;
  gchar **ids = gst_p2p_swarm_get_holders (c->v->swarm, c->seg);

  c->ok = g_strv_length (ids) >= c->n;
  g_strfreev (ids);
  return G_SOURCE_REMOVE;
}

static gboolean
poll_until (GSourceFunc check, Check * c, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000LL;

  for (;;) {
    test_on_loop (check, c);
    if (c->ok || g_get_monotonic_time () > deadline)
      return c->ok;
    g_usleep (20 * 1000);
  }
}

gboolean
test_viewer_wait_peers (TestViewer * v, guint n, guint timeout_ms)
{
  Check c = { v, 0, n, FALSE };
  return poll_until (check_peers, &c, timeout_ms);
}

gboolean
test_viewer_wait_holders (TestViewer * v, guint64 seg, guint n,
    guint timeout_ms)
{
  Check c = { v, seg, n, FALSE };
  return poll_until (check_holders, &c, timeout_ms);
}

gboolean
test_viewer_wait_joined (TestViewer * v, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000LL;
  gchar *id;

  while (!(id = test_viewer_peer_id (v)) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_free (id);
  return id != NULL;
}

gchar *
test_viewer_wait_tracker_error (TestViewer * v, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000LL;
  gchar *reason = NULL;

  while (g_get_monotonic_time () < deadline) {
    g_mutex_lock (&v->lock);
    reason = g_strdup (v->tracker_error);
    g_mutex_unlock (&v->lock);
    if (reason)
      break;
    g_usleep (10 * 1000);
  }
  return reason;
}

typedef struct
{
  TestViewer *v;
  GstP2pSwarmStats *stats;
  const gchar *peer_id;
  gboolean banned;
} StatsArgs;

static gboolean
stats_on_loop (gpointer data)
{
  StatsArgs *a = data;

  if (a->stats)
    gst_p2p_swarm_get_stats (a->v->swarm, a->stats);
  if (a->peer_id)
    a->banned = gst_p2p_swarm_is_banned (a->v->swarm, a->peer_id);
  return G_SOURCE_REMOVE;
}

void
test_viewer_stats (TestViewer * v, GstP2pSwarmStats * stats)
{
  StatsArgs a = { v, stats, NULL, FALSE };
  test_on_loop (stats_on_loop, &a);
}

typedef struct
{
  TestViewer *v;
  const gchar *peer_id;
  gint64 duration_us;
  gboolean ok;
} BanArgs;

static gboolean
ban_on_loop (gpointer data)
{
  BanArgs *a = data;

  a->ok = gst_p2p_swarm_ban_peer (a->v->swarm, a->peer_id, "test ban",
      a->duration_us);
  return G_SOURCE_REMOVE;
}

gboolean
test_viewer_ban (TestViewer * v, const gchar * peer_id, gint64 duration_us)
{
  BanArgs a = { v, peer_id, duration_us, FALSE };
  test_on_loop (ban_on_loop, &a);
  return a.ok;
}

typedef struct
{
  TestViewer *v;
  gchar *name;
} NameArgs;

static gboolean
name_on_loop (gpointer data)
{
  NameArgs *a = data;

  a->name = g_strdup (gst_p2p_swarm_get_tracker_name (a->v->swarm));
  return G_SOURCE_REMOVE;
}

gchar *
test_viewer_tracker_name (TestViewer * v)
{
  NameArgs a = { v, NULL };
  test_on_loop (name_on_loop, &a);
  return a.name;
}

gboolean
test_viewer_is_banned (TestViewer * v, const gchar * peer_id)
{
  StatsArgs a = { v, NULL, peer_id, FALSE };
  test_on_loop (stats_on_loop, &a);
  return a.banned;
}
