/* GstP2pHttpSession: the shared libsoup 3 sessions of the CDN client.
 *
 * Threads: the pool is guarded by a mutex and used from any thread. Each
 * SoupSession is created, used and destroyed on the GstP2pLoop thread only.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "http/gstp2phttpsession.h"

GST_DEBUG_CATEGORY_STATIC (p2p_http_debug);
#define GST_CAT_DEFAULT p2p_http_debug

/* Parallel fetches a viewer makes to one host: audio and video fragments,
 * playlist reloads, keys and, later, prefetches for the swarm. libsoup's
 * default of 2 would serialise them. */
#define MAX_CONNS_PER_HOST 8
#define MAX_CONNS 64

struct _GstP2pHttpSession
{
  gint refcount;
  gchar *key;
  gboolean pinned;
  GstP2pLoop *loop;

  gchar *proxy;
  GTlsDatabase *tls_database;
  GTlsInteraction *tls_interaction;

  SoupSession *soup;            /* loop thread */
};

static GMutex pool_lock;
static GHashTable *pool;        /* key -> GstP2pHttpSession (not owned) */

static SoupLoggerLogLevel
log_filter (SoupLogger * logger, SoupMessage * msg, gpointer user_data)
{
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (msg),
          "gst-p2p-log-level"));
}

static void
log_printer (SoupLogger * logger, SoupLoggerLogLevel level, char direction,
    const char *data, gpointer user_data)
{
  GST_TRACE ("%c %s", direction, data);
}

/* Loop thread, on first use: nobody ever waits for the loop while holding
 * the pool lock (the loop itself takes it when a fetch drops a session). */
static void
create_soup_session (GstP2pHttpSession * session)
{
  GProxyResolver *resolver = NULL;

  if (session->proxy && *session->proxy)
    resolver = g_simple_proxy_resolver_new (session->proxy, NULL);

  /* Timeouts are the element's (per request, idle); the session has none. */
  session->soup = soup_session_new_with_options ("max-conns", MAX_CONNS,
      "max-conns-per-host", MAX_CONNS_PER_HOST,
      "timeout", 0, "idle-timeout", 60,
      "tls-database", session->tls_database,
      "tls-interaction", session->tls_interaction, NULL);
  if (session->proxy) {
    /* "" means no proxy at all, anything else a fixed proxy; NULL keeps
     * libsoup's default resolver, which honours http_proxy/no_proxy. */
    soup_session_set_proxy_resolver (session->soup, resolver);
  }
  g_clear_object (&resolver);

  /* The HTTP log costs a filter call per message: only when someone looks. */
  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_TRACE) {
    SoupLogger *logger = soup_logger_new (SOUP_LOGGER_LOG_BODY);

    soup_logger_set_request_filter (logger, log_filter, NULL, NULL);
    soup_logger_set_response_filter (logger, log_filter, NULL, NULL);
    soup_logger_set_printer (logger, log_printer, NULL, NULL);
    soup_session_add_feature (session->soup, SOUP_SESSION_FEATURE (logger));
    g_object_unref (logger);
  }

  GST_DEBUG ("created session %s", session->key);
}

static gboolean
destroy_soup_session (gpointer data)
{
  GstP2pHttpSession *session = data;

  if (session->soup) {
    soup_session_abort (session->soup);
    g_object_unref (session->soup);
  }
  g_clear_object (&session->tls_database);
  g_clear_object (&session->tls_interaction);
  g_free (session->proxy);
  g_free (session->key);
  g_free (session);
  return G_SOURCE_REMOVE;
}

/* Credentials enter the key only as a digest: keys appear in debug logs. */
static gchar *
session_key (const GstP2pHttpSessionConfig * config)
{
  gchar *secrets, *digest, *key;

  secrets = g_strdup_printf ("%s\n%s\n%s\n%s", config->user_id ?
      config->user_id : "", config->user_pw ? config->user_pw : "",
      config->proxy_id ? config->proxy_id : "",
      config->proxy_pw ? config->proxy_pw : "");
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, secrets, -1);
  key = g_strdup_printf ("proxy=%s;db=%p;interaction=%p;lax-tls=%d;auth=%.16s",
      config->proxy ? config->proxy : "(default)", config->tls_database,
      config->tls_interaction, config->lax_tls, digest);
  g_free (digest);
  g_free (secrets);
  return key;
}

/**
 * gst_p2p_http_session_get:
 * @config: (nullable): per-session settings; NULL for the default session
 *
 * Returns: (transfer full): the session for @config, shared with every other
 * user of the same settings. The default session is never destroyed, so its
 * persistent connections outlive the elements that use them.
 */
GstP2pHttpSession *
gst_p2p_http_session_get (const GstP2pHttpSessionConfig * config)
{
  static GstP2pHttpSessionConfig defaults;
  GstP2pHttpSession *session;
  gchar *key;

  if (!config)
    config = &defaults;

  if (g_once_init_enter (&pool)) {
    GST_DEBUG_CATEGORY_INIT (p2p_http_debug, "p2p-http", 0,
        "gst-p2p CDN client");
    g_once_init_leave (&pool, g_hash_table_new (g_str_hash, g_str_equal));
  }

  key = session_key (config);

  g_mutex_lock (&pool_lock);
  session = g_hash_table_lookup (pool, key);
  if (session) {
    g_atomic_int_inc (&session->refcount);
    g_free (key);
  } else {
    session = g_new0 (GstP2pHttpSession, 1);
    session->refcount = 1;
    session->key = key;
    session->loop = gst_p2p_loop_get_default ();
    session->proxy = g_strdup (config->proxy);
    session->tls_database = config->tls_database ?
        g_object_ref (config->tls_database) : NULL;
    session->tls_interaction = config->tls_interaction ?
        g_object_ref (config->tls_interaction) : NULL;
    session->pinned = !config->proxy && !config->tls_database
        && !config->tls_interaction && !config->lax_tls && !config->user_id
        && !config->proxy_id;
    if (session->pinned)
      session->refcount++;
    g_hash_table_insert (pool, session->key, session);
  }
  g_mutex_unlock (&pool_lock);

  return session;
}

GstP2pHttpSession *
gst_p2p_http_session_ref (GstP2pHttpSession * session)
{
  g_atomic_int_inc (&session->refcount);
  return session;
}

void
gst_p2p_http_session_unref (GstP2pHttpSession * session)
{
  /* The pool lock makes "last ref dropped" and "looked up again" exclusive. */
  g_mutex_lock (&pool_lock);
  if (!g_atomic_int_dec_and_test (&session->refcount)) {
    g_mutex_unlock (&pool_lock);
    return;
  }
  g_hash_table_remove (pool, session->key);
  g_mutex_unlock (&pool_lock);

  gst_p2p_loop_invoke (session->loop, destroy_soup_session, session, NULL);
}

GstP2pLoop *
gst_p2p_http_session_get_loop (GstP2pHttpSession * session)
{
  return session->loop;
}

SoupSession *
gst_p2p_http_session_get_soup (GstP2pHttpSession * session)
{
  g_return_val_if_fail (gst_p2p_loop_is_current (session->loop), NULL);
  if (!session->soup)
    create_soup_session (session);
  return session->soup;
}
