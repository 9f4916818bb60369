/* GstP2pHttpFetch: one HTTP request to the CDN or origin, and its response.
 *
 * Threads: the SoupMessage and its body stream live on the GstP2pLoop thread
 * (send, read, callbacks). The consumer side (wait_response, pop, cancel) is
 * called from streaming threads. What both sides touch is under @lock; the
 * response metadata is written once before have_response is set and never
 * changed after, so getters read it without the lock.
 *
 * The loop reads the body ahead into a queue of chunks bounded by
 * max_queued bytes and stops reading while the queue is full, so a slow
 * consumer costs at most that much memory and TCP pushes back on the server.
 *
 * Chunks are GstBuffers from a process-wide pool, read into directly and
 * pushed downstream as they are: memory is recycled instead of being
 * allocated on one thread and freed (and returned to the kernel) on another
 * for every read. Reads that fill little of a pool buffer are copied out so
 * a trickle of small reads cannot pin many large buffers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "http/gstp2phttpfetch.h"

GST_DEBUG_CATEGORY_STATIC (p2p_http_fetch_debug);
#define GST_CAT_DEFAULT p2p_http_fetch_debug

#define READ_CHUNK_SIZE (256 * 1024)
#define CHUNK_POOL_MAX_BUFFERS 32
/* A read smaller than this share of a pool buffer is copied out of it. */
#define COPY_BELOW (READ_CHUNK_SIZE / 4)
#define DEFAULT_MAX_QUEUED (1024 * 1024)

struct _GstP2pHttpFetch
{
  gint refcount;
  GstP2pHttpSession *session;
  GstP2pLoop *loop;
  GCancellable *cancellable;
  guint64 id;

  /* The request, immutable after new() */
  gchar *uri;
  gchar *method;
  guint64 range_start;
  guint64 range_stop;
  GstStructure *extra_headers;
  gchar *user_agent;
  gchar **cookies;
  gchar *user_id;
  gchar *user_pw;
  gchar *proxy_id;
  gchar *proxy_pw;
  gboolean compress;
  gboolean keep_alive;
  gboolean automatic_redirect;
  gboolean ssl_strict;
  gboolean iradio_mode;
  SoupLoggerLogLevel log_level;
  gsize max_queued;

  /* Loop thread only */
  SoupMessage *msg;
  GInputStream *stream;
  GstBuffer *read_buffer;       /* being read into */
  GstMapInfo read_map;
  gboolean redirects_permanent;
  gboolean redirected;

  /* Written once on the loop before have_response, read-only afterwards */
  guint status;
  gchar *reason;
  gchar *final_uri;
  SoupMessageHeaders *request_headers;
  SoupMessageHeaders *response_headers;
  gint64 content_length;

  /* Shared */
  GMutex lock;
  GCond cond;
  gboolean started;
  gboolean have_response;
  gboolean finished;            /* body complete (EOS) or failed (error) */
  gboolean cancelled;
  gboolean released;            /* the consumer is gone */
  guint waiters;
  GError *error;
  GQueue chunks;
  gsize queued;
  gboolean read_paused;
  GstP2pHttpFetchTimes times;
};

static void read_next_chunk (GstP2pHttpFetch * fetch);

static GstBufferPool *chunk_pool;

static void
init_once (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GstStructure *config;

    GST_DEBUG_CATEGORY_INIT (p2p_http_fetch_debug, "p2p-http-fetch", 0,
        "gst-p2p CDN fetches");
    chunk_pool = gst_buffer_pool_new ();
    config = gst_buffer_pool_get_config (chunk_pool);
    gst_buffer_pool_config_set_params (config, NULL, READ_CHUNK_SIZE, 0,
        CHUNK_POOL_MAX_BUFFERS);
    gst_buffer_pool_set_config (chunk_pool, config);
    gst_buffer_pool_set_active (chunk_pool, TRUE);
    g_once_init_leave (&done, 1);
  }
}

/* With the lock held: wakes consumers, if any wait (a futex call saved per
 * chunk otherwise). */
static void
wake_locked (GstP2pHttpFetch * fetch)
{
  if (fetch->waiters)
    g_cond_broadcast (&fetch->cond);
}

/**
 * gst_p2p_http_fetch_new:
 * @session: the session to send on
 * @request: what to ask for; copied
 *
 * Returns: (transfer full): a fetch, not yet started.
 */
GstP2pHttpFetch *
gst_p2p_http_fetch_new (GstP2pHttpSession * session,
    const GstP2pHttpRequest * request)
{
  static guint64 next_id = 1;
  GstP2pHttpFetch *fetch;

  init_once ();

  fetch = g_new0 (GstP2pHttpFetch, 1);
  fetch->refcount = 1;
  fetch->session = gst_p2p_http_session_ref (session);
  fetch->loop = gst_p2p_http_session_get_loop (session);
  fetch->cancellable = g_cancellable_new ();
  fetch->id = __atomic_fetch_add (&next_id, 1, __ATOMIC_RELAXED);

  fetch->uri = g_strdup (request->uri);
  fetch->method = g_strdup (request->method ? request->method : "GET");
  fetch->range_start = request->range_start;
  fetch->range_stop = request->range_stop;
  fetch->extra_headers = request->extra_headers ?
      gst_structure_copy (request->extra_headers) : NULL;
  fetch->user_agent = g_strdup (request->user_agent);
  fetch->cookies = g_strdupv ((gchar **) request->cookies);
  fetch->user_id = g_strdup (request->user_id);
  fetch->user_pw = g_strdup (request->user_pw);
  fetch->proxy_id = g_strdup (request->proxy_id);
  fetch->proxy_pw = g_strdup (request->proxy_pw);
  fetch->compress = request->compress;
  fetch->keep_alive = request->keep_alive;
  fetch->automatic_redirect = request->automatic_redirect;
  fetch->ssl_strict = request->ssl_strict;
  fetch->iradio_mode = request->iradio_mode;
  fetch->log_level = request->log_level;
  fetch->max_queued = request->max_queued ? request->max_queued :
      DEFAULT_MAX_QUEUED;
  fetch->content_length = -1;
  fetch->redirects_permanent = TRUE;

  g_mutex_init (&fetch->lock);
  g_cond_init (&fetch->cond);
  g_queue_init (&fetch->chunks);

  return fetch;
}

GstP2pHttpFetch *
gst_p2p_http_fetch_ref (GstP2pHttpFetch * fetch)
{
  g_atomic_int_inc (&fetch->refcount);
  return fetch;
}

static gboolean
fetch_free (gpointer data)
{
  GstP2pHttpFetch *fetch = data;

  g_clear_object (&fetch->stream);
  g_clear_object (&fetch->msg);
  g_clear_object (&fetch->cancellable);
  g_clear_pointer (&fetch->request_headers, soup_message_headers_unref);
  g_clear_pointer (&fetch->response_headers, soup_message_headers_unref);
  g_clear_pointer (&fetch->extra_headers, gst_structure_free);
  g_queue_clear_full (&fetch->chunks, (GDestroyNotify) gst_buffer_unref);
  g_clear_error (&fetch->error);
  g_free (fetch->uri);
  g_free (fetch->method);
  g_free (fetch->user_agent);
  g_strfreev (fetch->cookies);
  g_free (fetch->user_id);
  g_free (fetch->user_pw);
  g_free (fetch->proxy_id);
  g_free (fetch->proxy_pw);
  g_free (fetch->reason);
  g_free (fetch->final_uri);
  g_mutex_clear (&fetch->lock);
  g_cond_clear (&fetch->cond);
  gst_p2p_http_session_unref (fetch->session);
  g_free (fetch);
  return G_SOURCE_REMOVE;
}

void
gst_p2p_http_fetch_unref (GstP2pHttpFetch * fetch)
{
  if (!g_atomic_int_dec_and_test (&fetch->refcount))
    return;

  /* The message and its stream belong to the loop thread. */
  if (fetch->msg && !gst_p2p_loop_is_current (fetch->loop))
    gst_p2p_loop_invoke (fetch->loop, fetch_free, fetch, NULL);
  else
    fetch_free (fetch);
}

/* Loop thread. Ends the fetch: EOS when @error is NULL. Takes @error. */
static void
finish (GstP2pHttpFetch * fetch, GError * error)
{
  g_mutex_lock (&fetch->lock);
  if (!fetch->finished) {
    fetch->finished = TRUE;
    fetch->error = error;
    error = NULL;
    fetch->times.finished = g_get_monotonic_time ();
    wake_locked (fetch);
  }
  g_mutex_unlock (&fetch->lock);
  g_clear_error (&error);
}

static void
append_header_value (SoupMessageHeaders * headers, const gchar * name,
    const GValue * value)
{
  if (G_VALUE_HOLDS_STRING (value)) {
    if (g_value_get_string (value))
      soup_message_headers_append (headers, name, g_value_get_string (value));
  } else if (GST_VALUE_HOLDS_ARRAY (value)) {
    guint i, n = gst_value_array_get_size (value);

    for (i = 0; i < n; i++)
      append_header_value (headers, name, gst_value_array_get_value (value, i));
  } else if (GST_VALUE_HOLDS_LIST (value)) {
    guint i, n = gst_value_list_get_size (value);

    for (i = 0; i < n; i++)
      append_header_value (headers, name, gst_value_list_get_value (value, i));
  } else if (G_VALUE_HOLDS (value, G_TYPE_STRV)) {
    const gchar *const *strv = g_value_get_boxed (value);

    for (; strv && *strv; strv++)
      soup_message_headers_append (headers, name, *strv);
  } else {
    GValue str = G_VALUE_INIT;

    g_value_init (&str, G_TYPE_STRING);
    if (g_value_transform (value, &str) && g_value_get_string (&str))
      soup_message_headers_append (headers, name, g_value_get_string (&str));
    else
      GST_WARNING ("extra header %s: cannot turn a %s into a string", name,
          G_VALUE_TYPE_NAME (value));
    g_value_unset (&str);
  }
}

static gboolean
append_extra_header (GQuark field, const GValue * value, gpointer user_data)
{
  append_header_value (user_data, g_quark_to_string (field), value);
  return TRUE;
}

static gboolean
on_authenticate (SoupMessage * msg, SoupAuth * auth, gboolean retrying,
    GstP2pHttpFetch * fetch)
{
  const gchar *id, *pw;

  /* A second challenge means the credentials were refused: give the 401
   * to the caller instead of asking again. */
  if (retrying)
    return FALSE;

  if (soup_auth_is_for_proxy (auth)) {
    id = fetch->proxy_id;
    pw = fetch->proxy_pw;
  } else {
    id = fetch->user_id;
    pw = fetch->user_pw;
  }
  if (!id || !pw)
    return FALSE;

  soup_auth_authenticate (auth, id, pw);
  return TRUE;
}

static gboolean
on_accept_certificate (SoupMessage * msg, GTlsCertificate * certificate,
    GTlsCertificateFlags errors, GstP2pHttpFetch * fetch)
{
  GST_WARNING ("fetch %" G_GUINT64_FORMAT ": TLS certificate errors 0x%x, %s",
      fetch->id, errors, fetch->ssl_strict ? "refused" : "accepted (ssl-strict "
      "is off)");
  return !fetch->ssl_strict;
}

static void
on_restarted (SoupMessage * msg, GstP2pHttpFetch * fetch)
{
  guint status = soup_message_get_status (msg);

  if (SOUP_STATUS_IS_REDIRECTION (status)) {
    fetch->redirected = TRUE;
    if (status != SOUP_STATUS_MOVED_PERMANENTLY
        && status != SOUP_STATUS_PERMANENT_REDIRECT)
      fetch->redirects_permanent = FALSE;
  }
}

static void
read_chunk_cb (GObject * object, GAsyncResult * result, gpointer user_data)
{
  GstP2pHttpFetch *fetch = user_data;
  GError *error = NULL;
  GstBuffer *buf = fetch->read_buffer;
  gssize nread;
  gboolean more;

  nread = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (nread > 0 && nread < COPY_BELOW) {
    GstBuffer *small = gst_buffer_new_memdup (fetch->read_map.data, nread);

    gst_buffer_unmap (buf, &fetch->read_map);
    gst_buffer_unref (buf);
    buf = small;
  } else {
    gst_buffer_unmap (buf, &fetch->read_map);
    if (nread > 0)
      gst_buffer_resize (buf, 0, nread);
  }
  fetch->read_buffer = NULL;

  if (nread <= 0) {
    gst_buffer_unref (buf);
    if (nread < 0) {
      GST_DEBUG ("fetch %" G_GUINT64_FORMAT ": read failed after %"
          G_GUINT64_FORMAT " bytes: %s", fetch->id, fetch->times.bytes,
          error->message);
    } else if (fetch->content_length >= 0
        && fetch->times.bytes != (guint64) fetch->content_length) {
      /* libsoup checks Content-Length too; this catches a decoder or a
       * framing path that would let a short body through as a clean end. */
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
          "body ended after %" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT
          " bytes", fetch->times.bytes, fetch->content_length);
    } else {
      GST_DEBUG ("fetch %" G_GUINT64_FORMAT ": body complete, %"
          G_GUINT64_FORMAT " bytes", fetch->id, fetch->times.bytes);
    }
    finish (fetch, error);
    goto out;
  }

  g_mutex_lock (&fetch->lock);
  if (fetch->times.bytes == 0)
    fetch->times.first_byte = g_get_monotonic_time ();
  fetch->times.bytes += nread;
  if (fetch->released) {
    /* Nobody will pop it: only reading on to the end is left. */
    gst_buffer_unref (buf);
  } else {
    g_queue_push_tail (&fetch->chunks, buf);
    fetch->queued += nread;
    wake_locked (fetch);
  }
  /* Once every announced byte is in, read on regardless of the bound: the
   * last read only sees the end, and completing the message is what puts
   * the connection back in the pool for the next fragment. */
  more = fetch->queued < fetch->max_queued || (fetch->content_length >= 0
      && fetch->times.bytes >= (guint64) fetch->content_length);
  if (!more)
    fetch->read_paused = TRUE;
  g_mutex_unlock (&fetch->lock);

  if (more)
    read_next_chunk (fetch);

out:
  gst_p2p_http_fetch_unref (fetch);
}

/* Loop thread. */
static void
read_next_chunk (GstP2pHttpFetch * fetch)
{
  GstBufferPoolAcquireParams params = { 0, };
  GstBuffer *buf = NULL;

  params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT;
  if (gst_buffer_pool_acquire_buffer (chunk_pool, &buf, &params)
      != GST_FLOW_OK)
    buf = gst_buffer_new_allocate (NULL, READ_CHUNK_SIZE, NULL);

  fetch->read_buffer = buf;
  gst_buffer_map (buf, &fetch->read_map, GST_MAP_WRITE);
  g_input_stream_read_async (fetch->stream, fetch->read_map.data,
      fetch->read_map.size, G_PRIORITY_DEFAULT, fetch->cancellable,
      read_chunk_cb, gst_p2p_http_fetch_ref (fetch));
}

static gboolean
resume_reading (gpointer data)
{
  GstP2pHttpFetch *fetch = data;

  if (!g_cancellable_is_cancelled (fetch->cancellable))
    read_next_chunk (fetch);
  return G_SOURCE_REMOVE;
}

static gint64
response_body_length (GstP2pHttpFetch * fetch, SoupMessageHeaders * headers)
{
  if (soup_message_headers_get_encoding (headers) !=
      SOUP_ENCODING_CONTENT_LENGTH)
    return -1;
  /* The content decoder changes the length of what we read. */
  if (fetch->compress
      && soup_message_headers_get_one (headers, "Content-Encoding"))
    return -1;
  return soup_message_headers_get_content_length (headers);
}

static void
send_cb (GObject * object, GAsyncResult * result, gpointer user_data)
{
  GstP2pHttpFetch *fetch = user_data;
  GError *error = NULL;
  GInputStream *stream;
  GUri *uri;
  gboolean want_body;

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);

  g_mutex_lock (&fetch->lock);
  fetch->times.headers = g_get_monotonic_time ();
  if (stream) {
    fetch->stream = stream;
    fetch->status = soup_message_get_status (fetch->msg);
    fetch->reason = g_strdup (soup_message_get_reason_phrase (fetch->msg));
    uri = soup_message_get_uri (fetch->msg);
    fetch->final_uri = g_uri_to_string (uri);
    fetch->request_headers =
        soup_message_headers_ref (soup_message_get_request_headers
        (fetch->msg));
    fetch->response_headers =
        soup_message_headers_ref (soup_message_get_response_headers
        (fetch->msg));
    fetch->content_length = response_body_length (fetch,
        fetch->response_headers);
    fetch->have_response = TRUE;
    wake_locked (fetch);
  }
  g_mutex_unlock (&fetch->lock);

  if (!stream) {
    GST_DEBUG ("fetch %" G_GUINT64_FORMAT ": no response: %s", fetch->id,
        error->message);
    finish (fetch, error);
    goto out;
  }

  GST_DEBUG ("fetch %" G_GUINT64_FORMAT ": %u %s, length %" G_GINT64_FORMAT
      "%s", fetch->id, fetch->status, fetch->reason, fetch->content_length,
      fetch->redirected ? ", redirected" : "");

  /* The body of an error or a redirect is of no use to anyone; reading it
   * would only keep the connection busy. HEAD has none. */
  want_body = SOUP_STATUS_IS_SUCCESSFUL (fetch->status)
      && g_strcmp0 (fetch->method, "HEAD") != 0;
  if (!want_body) {
    finish (fetch, NULL);
    goto out;
  }

  read_next_chunk (fetch);

out:
  gst_p2p_http_fetch_unref (fetch);
}

static gboolean
start_on_loop (gpointer data)
{
  GstP2pHttpFetch *fetch = data;
  SoupMessageHeaders *headers;
  GError *error = NULL;
  GUri *uri;
  gchar **cookie;

  uri = g_uri_parse (fetch->uri, SOUP_HTTP_URI_FLAGS, &error);
  if (uri)
    fetch->msg = soup_message_new_from_uri (fetch->method, uri);
  g_clear_pointer (&uri, g_uri_unref);
  if (!fetch->msg) {
    if (!error)
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "not an HTTP URI: %s", fetch->uri);
    finish (fetch, error);
    return G_SOURCE_REMOVE;
  }

  headers = soup_message_get_request_headers (fetch->msg);
  if (fetch->range_start > 0 || fetch->range_stop != (guint64) - 1)
    soup_message_headers_set_range (headers, fetch->range_start,
        fetch->range_stop == (guint64) - 1 ? (goffset) - 1 :
        (goffset) (fetch->range_stop - 1));
  if (fetch->user_agent) {
    if (g_str_has_suffix (fetch->user_agent, " ")) {
      gchar *ua = g_strdup_printf ("%slibsoup/%u.%u.%u", fetch->user_agent,
          soup_get_major_version (), soup_get_minor_version (),
          soup_get_micro_version ());

      soup_message_headers_replace (headers, "User-Agent", ua);
      g_free (ua);
    } else {
      soup_message_headers_replace (headers, "User-Agent", fetch->user_agent);
    }
  }
  if (!fetch->compress) {
    soup_message_disable_feature (fetch->msg, SOUP_TYPE_CONTENT_DECODER);
    soup_message_headers_replace (headers, "Accept-Encoding", "identity");
  }
  if (!fetch->keep_alive)
    soup_message_headers_replace (headers, "Connection", "close");
  if (fetch->iradio_mode)
    soup_message_headers_replace (headers, "icy-metadata", "1");
  for (cookie = fetch->cookies; cookie && *cookie; cookie++)
    soup_message_headers_append (headers, "Cookie", *cookie);
  if (fetch->extra_headers)
    gst_structure_foreach (fetch->extra_headers, append_extra_header, headers);
  if (!fetch->automatic_redirect)
    soup_message_add_flags (fetch->msg, SOUP_MESSAGE_NO_REDIRECT);
  if (fetch->log_level != SOUP_LOGGER_LOG_NONE)
    g_object_set_data (G_OBJECT (fetch->msg), "gst-p2p-log-level",
        GINT_TO_POINTER (fetch->log_level));

  g_signal_connect (fetch->msg, "authenticate", G_CALLBACK (on_authenticate),
      fetch);
  g_signal_connect (fetch->msg, "accept-certificate",
      G_CALLBACK (on_accept_certificate), fetch);
  g_signal_connect (fetch->msg, "restarted", G_CALLBACK (on_restarted), fetch);

  GST_DEBUG ("fetch %" G_GUINT64_FORMAT ": %s %s range %" G_GUINT64_FORMAT
      "-%" G_GINT64_FORMAT, fetch->id, fetch->method, fetch->uri,
      fetch->range_start, (gint64) fetch->range_stop);

  soup_session_send_async (gst_p2p_http_session_get_soup (fetch->session),
      fetch->msg, G_PRIORITY_DEFAULT, fetch->cancellable, send_cb,
      gst_p2p_http_fetch_ref (fetch));
  return G_SOURCE_REMOVE;
}

/**
 * gst_p2p_http_fetch_start:
 *
 * Sends the request from the network thread. Returns at once.
 */
void
gst_p2p_http_fetch_start (GstP2pHttpFetch * fetch)
{
  g_mutex_lock (&fetch->lock);
  g_return_if_fail (!fetch->started);
  fetch->started = TRUE;
  fetch->times.started = g_get_monotonic_time ();
  g_mutex_unlock (&fetch->lock);

  gst_p2p_loop_invoke (fetch->loop, start_on_loop,
      gst_p2p_http_fetch_ref (fetch),
      (GDestroyNotify) gst_p2p_http_fetch_unref);
}

/**
 * gst_p2p_http_fetch_interrupt:
 *
 * Wakes every waiter, now and later, with GST_P2P_FETCH_CANCELLED, without
 * stopping the transfer: what happens to it is decided by release(). This
 * is an element's unlock, which basesrc also calls on every PAUSED to READY
 * after a complete range, when the connection is still worth keeping.
 * Safe from any thread, at any time, repeatedly.
 */
void
gst_p2p_http_fetch_interrupt (GstP2pHttpFetch * fetch)
{
  g_mutex_lock (&fetch->lock);
  fetch->cancelled = TRUE;
  wake_locked (fetch);
  g_mutex_unlock (&fetch->lock);
}

/**
 * gst_p2p_http_fetch_cancel:
 *
 * Interrupts the waiters and stops the transfer.
 */
void
gst_p2p_http_fetch_cancel (GstP2pHttpFetch * fetch)
{
  gst_p2p_http_fetch_interrupt (fetch);
  g_cancellable_cancel (fetch->cancellable);
}

/**
 * gst_p2p_http_fetch_release:
 *
 * The consumer is done with the fetch. A body that is complete but for its
 * end is read to the end so the connection is kept for the next request;
 * anything else is cancelled. Drops the caller's reference.
 */
void
gst_p2p_http_fetch_release (GstP2pHttpFetch * fetch)
{
  gboolean complete;

  g_mutex_lock (&fetch->lock);
  fetch->released = TRUE;
  g_queue_clear_full (&fetch->chunks, (GDestroyNotify) gst_buffer_unref);
  fetch->queued = 0;
  complete = fetch->finished || (fetch->content_length >= 0
      && fetch->times.bytes >= (guint64) fetch->content_length);
  g_mutex_unlock (&fetch->lock);

  if (!complete)
    gst_p2p_http_fetch_cancel (fetch);
  gst_p2p_http_fetch_unref (fetch);
}

/* With the lock held: waits for @ready or the end, until @deadline. */
static GstP2pFetchResult
wait_locked (GstP2pHttpFetch * fetch, gboolean (*ready) (GstP2pHttpFetch *),
    gint64 timeout_us, GError ** error)
{
  gint64 deadline = timeout_us > 0 ? g_get_monotonic_time () + timeout_us : 0;

  while (!fetch->cancelled && !ready (fetch)) {
    if (fetch->finished) {
      if (fetch->error) {
        g_propagate_error (error, g_error_copy (fetch->error));
        return GST_P2P_FETCH_ERROR;
      }
      return GST_P2P_FETCH_EOS;
    }
    fetch->waiters++;
    if (!deadline) {
      g_cond_wait (&fetch->cond, &fetch->lock);
      fetch->waiters--;
    } else if (!g_cond_wait_until (&fetch->cond, &fetch->lock, deadline)) {
      fetch->waiters--;
      if (!fetch->cancelled && !ready (fetch) && !fetch->finished) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
            "no data from %s for %" G_GINT64_FORMAT " ms", fetch->uri,
            timeout_us / 1000);
        return GST_P2P_FETCH_TIMEOUT;
      }
    } else {
      fetch->waiters--;
    }
  }
  if (fetch->cancelled) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "fetch cancelled");
    return GST_P2P_FETCH_CANCELLED;
  }
  return GST_P2P_FETCH_OK;
}

static gboolean
response_ready (GstP2pHttpFetch * fetch)
{
  return fetch->have_response;
}

static gboolean
chunk_ready (GstP2pHttpFetch * fetch)
{
  return !g_queue_is_empty (&fetch->chunks);
}

/**
 * gst_p2p_http_fetch_wait_response:
 *
 * Returns: GST_P2P_FETCH_OK once the status line and headers arrived, or
 * how the fetch ended before that.
 */
GstP2pFetchResult
gst_p2p_http_fetch_wait_response (GstP2pHttpFetch * fetch, gint64 timeout_us,
    GError ** error)
{
  GstP2pFetchResult res;

  g_mutex_lock (&fetch->lock);
  res = wait_locked (fetch, response_ready, timeout_us, error);
  g_mutex_unlock (&fetch->lock);
  return res;
}

/**
 * gst_p2p_http_fetch_pop:
 * @chunk: (out) (transfer full): the next piece of the body, ready to be
 *   pushed downstream
 *
 * Returns: GST_P2P_FETCH_OK with a chunk, GST_P2P_FETCH_EOS when the body
 * is complete and consumed, or the reason it cannot continue.
 */
GstP2pFetchResult
gst_p2p_http_fetch_pop (GstP2pHttpFetch * fetch, gint64 timeout_us,
    GstBuffer ** chunk, GError ** error)
{
  GstP2pFetchResult res;
  gboolean resume = FALSE;

  *chunk = NULL;
  g_mutex_lock (&fetch->lock);
  res = wait_locked (fetch, chunk_ready, timeout_us, error);
  if (res == GST_P2P_FETCH_OK) {
    *chunk = g_queue_pop_head (&fetch->chunks);
    fetch->queued -= gst_buffer_get_size (*chunk);
    /* Resume at half the bound so the loop reads in bursts, not per chunk. */
    if (fetch->read_paused && fetch->queued <= fetch->max_queued / 2) {
      fetch->read_paused = FALSE;
      resume = TRUE;
    }
  }
  g_mutex_unlock (&fetch->lock);

  if (resume)
    gst_p2p_loop_invoke (fetch->loop, resume_reading,
        gst_p2p_http_fetch_ref (fetch),
        (GDestroyNotify) gst_p2p_http_fetch_unref);
  return res;
}

guint
gst_p2p_http_fetch_get_status (GstP2pHttpFetch * fetch)
{
  return fetch->status;
}

const gchar *
gst_p2p_http_fetch_get_reason (GstP2pHttpFetch * fetch)
{
  return fetch->reason;
}

const gchar *
gst_p2p_http_fetch_get_uri (GstP2pHttpFetch * fetch)
{
  return fetch->uri;
}

const gchar *
gst_p2p_http_fetch_get_final_uri (GstP2pHttpFetch * fetch)
{
  return fetch->final_uri;
}

gboolean
gst_p2p_http_fetch_is_redirect_permanent (GstP2pHttpFetch * fetch)
{
  return fetch->redirected && fetch->redirects_permanent;
}

SoupMessageHeaders *
gst_p2p_http_fetch_get_request_headers (GstP2pHttpFetch * fetch)
{
  return fetch->request_headers;
}

SoupMessageHeaders *
gst_p2p_http_fetch_get_response_headers (GstP2pHttpFetch * fetch)
{
  return fetch->response_headers;
}

gint64
gst_p2p_http_fetch_get_content_length (GstP2pHttpFetch * fetch)
{
  return fetch->content_length;
}

gboolean
gst_p2p_http_fetch_get_content_range (GstP2pHttpFetch * fetch,
    guint64 * start, guint64 * stop, gint64 * total)
{
  goffset s, e, t;

  if (!fetch->response_headers || fetch->status != SOUP_STATUS_PARTIAL_CONTENT)
    return FALSE;
  if (!soup_message_headers_get_content_range (fetch->response_headers,
          &s, &e, &t) || s < 0 || e < s)
    return FALSE;
  *start = s;
  *stop = e + 1;
  *total = t;
  return TRUE;
}

void
gst_p2p_http_fetch_get_times (GstP2pHttpFetch * fetch,
    GstP2pHttpFetchTimes * times)
{
  g_mutex_lock (&fetch->lock);
  *times = fetch->times;
  g_mutex_unlock (&fetch->lock);
}
