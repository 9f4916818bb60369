/* GstP2pEngineFetch: the engine's own CDN fetches (prefetch and seeding).
 * See gstp2penginefetch.h.
 *
 * Threads: the blocking consumer of the GstP2pHttpFetch runs on a worker of
 * a process-wide GThreadPool; the result is handed to the network thread
 * (GstP2pLoop), where the callback runs and the fetch is freed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "engine/gstp2penginefetch.h"
#include "net/gstp2ploop.h"

GST_DEBUG_CATEGORY_EXTERN (p2p_engine_debug);
#define GST_CAT_DEFAULT p2p_engine_debug

/* Workers: prefetches are few (the scheduler runs one seeding fetch at a
 * time per swarm, plus deadline fetches); more would only compete with the
 * player's own requests for the CDN connection pool. */
#define MAX_WORKERS 4

struct _GstP2pEngineFetch
{
  GstP2pEngineHttpTemplate *tmpl;
  gchar *uri;
  guint64 start;
  guint64 stop;
  gsize max_size;
  gint64 timeout_us;
  GstP2pEngineFetchCallback callback;
  gpointer user_data;
  GDestroyNotify notify;

  GMutex lock;
  gboolean cancelled;
  GstP2pHttpFetch *http;        /* while the worker runs it */

  /* result, handed to the loop */
  GBytes *body;
  gint64 total_size;
  gchar *content_type;
  GError *error;
};

GstP2pEngineHttpTemplate *
gst_p2p_engine_http_template_new (GstP2pHttpSession * session,
    const GstP2pHttpRequest * http)
{
  GstP2pEngineHttpTemplate *t = g_new0 (GstP2pEngineHttpTemplate, 1);

  t->ref = 1;
  t->session = gst_p2p_http_session_ref (session);
  t->user_agent = g_strdup (http->user_agent);
  t->cookies = g_strdupv ((gchar **) http->cookies);
  t->extra_headers = http->extra_headers ?
      gst_structure_copy (http->extra_headers) : NULL;
  t->user_id = g_strdup (http->user_id);
  t->user_pw = g_strdup (http->user_pw);
  t->proxy_id = g_strdup (http->proxy_id);
  t->proxy_pw = g_strdup (http->proxy_pw);
  t->compress = http->compress;
  t->keep_alive = http->keep_alive;
  t->automatic_redirect = http->automatic_redirect;
  t->ssl_strict = http->ssl_strict;
  return t;
}

GstP2pEngineHttpTemplate *
gst_p2p_engine_http_template_ref (GstP2pEngineHttpTemplate * t)
{
  g_atomic_int_inc (&t->ref);
  return t;
}

void
gst_p2p_engine_http_template_unref (GstP2pEngineHttpTemplate * t)
{
  if (!t || !g_atomic_int_dec_and_test (&t->ref))
    return;
  gst_p2p_http_session_unref (t->session);
  g_free (t->user_agent);
  g_strfreev (t->cookies);
  g_clear_pointer (&t->extra_headers, gst_structure_free);
  g_free (t->user_id);
  g_free (t->user_pw);
  g_free (t->proxy_id);
  g_free (t->proxy_pw);
  g_free (t);
}

/* @request borrows the template's strings. */
void
gst_p2p_engine_http_template_fill (GstP2pEngineHttpTemplate * t,
    GstP2pHttpRequest * r)
{
  memset (r, 0, sizeof (*r));
  r->extra_headers = t->extra_headers;
  r->user_agent = t->user_agent;
  r->cookies = (const gchar * const *) t->cookies;
  r->user_id = t->user_id;
  r->user_pw = t->user_pw;
  r->proxy_id = t->proxy_id;
  r->proxy_pw = t->proxy_pw;
  r->compress = t->compress;
  r->keep_alive = t->keep_alive;
  r->automatic_redirect = t->automatic_redirect;
  r->ssl_strict = t->ssl_strict;
  r->log_level = SOUP_LOGGER_LOG_HEADERS;
}

static void
fetch_free (GstP2pEngineFetch * f)
{
  if (f->notify)
    f->notify (f->user_data);
  gst_p2p_engine_http_template_unref (f->tmpl);
  g_free (f->uri);
  g_clear_pointer (&f->body, g_bytes_unref);
  g_free (f->content_type);
  g_clear_error (&f->error);
  g_mutex_clear (&f->lock);
  g_free (f);
}

/* Network thread: report, then free. */
static gboolean
fetch_report (gpointer data)
{
  GstP2pEngineFetch *f = data;

  f->callback (f, f->body, f->total_size, f->content_type, f->error,
      f->user_data);
  return G_SOURCE_REMOVE;
}

static void
fail (GstP2pEngineFetch * f, GError * error, const gchar * what)
{
  if (error) {
    f->error = error;
  } else {
    f->error = g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "%s", what);
  }
}

/* Worker thread: the whole fetch, blocking with deadlines. */
static void
fetch_run (gpointer data, gpointer pool_data)
{
  GstP2pEngineFetch *f = data;
  GstP2pHttpRequest request;
  GstP2pHttpFetch *http;
  GError *error = NULL;
  GByteArray *body = NULL;
  guint status;
  guint64 cr_start, cr_stop;
  gint64 total = -1, length;
  SoupMessageHeaders *headers;

  g_mutex_lock (&f->lock);
  if (f->cancelled) {
    g_mutex_unlock (&f->lock);
    fail (f, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"), NULL);
    goto report;
  }
  gst_p2p_engine_http_template_fill (f->tmpl, &request);
  request.uri = f->uri;
  request.range_start = f->start;
  request.range_stop = f->stop;
  http = f->http = gst_p2p_http_fetch_new (f->tmpl->session, &request);
  g_mutex_unlock (&f->lock);

  GST_DEBUG ("prefetch %s bytes %" G_GUINT64_FORMAT "-%" G_GINT64_FORMAT,
      f->uri, f->start, (gint64) f->stop);
  gst_p2p_http_fetch_start (http);
  if (gst_p2p_http_fetch_wait_response (http, f->timeout_us, &error) !=
      GST_P2P_FETCH_OK) {
    fail (f, error, "no response");
    goto done;
  }
  status = gst_p2p_http_fetch_get_status (http);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    fail (f, NULL, "HTTP error status");
    goto done;
  }
  if (gst_p2p_http_fetch_get_content_range (http, &cr_start, &cr_stop, &total)) {
    if (cr_start != f->start) {
      fail (f, NULL, "the server answered another range");
      goto done;
    }
  } else if (f->start > 0) {
    /* a 200 to a ranged request: the server ignores ranges */
    fail (f, NULL, "the server ignored the range");
    goto done;
  } else {
    total = gst_p2p_http_fetch_get_content_length (http);
  }
  length = gst_p2p_http_fetch_get_content_length (http);
  if (length > 0 && (guint64) length > f->max_size) {
    fail (f, NULL, "segment larger than the store allows");
    goto done;
  }
  headers = gst_p2p_http_fetch_get_response_headers (http);
  if (headers)
    f->content_type = g_strdup (soup_message_headers_get_content_type (headers,
            NULL));

  body = g_byte_array_sized_new (length > 0 ? length : 64 * 1024);
  for (;;) {
    GstBuffer *chunk = NULL;
    GstP2pFetchResult res = gst_p2p_http_fetch_pop (http, f->timeout_us,
        &chunk, &error);

    if (res == GST_P2P_FETCH_EOS)
      break;
    if (res != GST_P2P_FETCH_OK) {
      fail (f, error, "body failed");
      goto done;
    }
    if (body->len + gst_buffer_get_size (chunk) > f->max_size) {
      gst_buffer_unref (chunk);
      fail (f, NULL, "segment larger than the store allows");
      goto done;
    }
    {
      GstMapInfo map;

      gst_buffer_map (chunk, &map, GST_MAP_READ);
      g_byte_array_append (body, map.data, map.size);
      gst_buffer_unmap (chunk, &map);
    }
    gst_buffer_unref (chunk);
  }
  /* a range we asked for must come back whole, and no more */
  if (f->stop != (guint64) - 1) {
    if (body->len < f->stop - f->start) {
      fail (f, NULL, "short body");
      goto done;
    }
    g_byte_array_set_size (body, f->stop - f->start);
  }
  if (body->len == 0) {
    fail (f, NULL, "empty body");
    goto done;
  }
  f->total_size = total;
  f->body = g_byte_array_free_to_bytes (body);
  body = NULL;

done:
  if (body)
    g_byte_array_unref (body);
  g_mutex_lock (&f->lock);
  f->http = NULL;
  g_mutex_unlock (&f->lock);
  gst_p2p_http_fetch_release (http);
report:
  if (f->error)
    GST_DEBUG ("prefetch %s failed: %s", f->uri, f->error->message);
  gst_p2p_loop_invoke (gst_p2p_loop_get_default (), fetch_report, f,
      (GDestroyNotify) fetch_free);
}

static GThreadPool *
get_pool (void)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool)) {
    GThreadPool *p = g_thread_pool_new (fetch_run, NULL, MAX_WORKERS, FALSE,
        NULL);
    g_once_init_leave (&pool, p);
  }
  return pool;
}

/**
 * gst_p2p_engine_fetch_start:
 * @stop: exclusive, (guint64) -1 for the whole resource
 * @max_size: largest body accepted
 * @timeout_us: idle timeout of the response and of the body
 * @callback: called once on the network thread; the fetch is freed after
 *
 * Returns: (transfer none): the fetch, valid until its callback returned.
 */
GstP2pEngineFetch *
gst_p2p_engine_fetch_start (GstP2pEngineHttpTemplate * tmpl,
    const gchar * uri, guint64 start, guint64 stop, gsize max_size,
    gint64 timeout_us, GstP2pEngineFetchCallback callback, gpointer user_data,
    GDestroyNotify notify)
{
  GstP2pEngineFetch *f = g_new0 (GstP2pEngineFetch, 1);

  f->tmpl = gst_p2p_engine_http_template_ref (tmpl);
  f->uri = g_strdup (uri);
  f->start = start;
  f->stop = stop;
  f->max_size = max_size;
  f->timeout_us = timeout_us;
  f->callback = callback;
  f->user_data = user_data;
  f->notify = notify;
  f->total_size = -1;
  g_mutex_init (&f->lock);
  g_thread_pool_push (get_pool (), f, NULL);
  return f;
}

/* Network thread, before the callback ran. */
void
gst_p2p_engine_fetch_cancel (GstP2pEngineFetch * f)
{
  g_mutex_lock (&f->lock);
  f->cancelled = TRUE;
  if (f->http)
    gst_p2p_http_fetch_cancel (f->http);
  g_mutex_unlock (&f->lock);
}
