/* GstCheck unit tests of p2phttpsrc against an in-process libsoup 3 server.
 *
 * The server (TestServer) is a real SoupServer on 127.0.0.1, port 0, running
 * in its own thread with its own GMainContext. Tests register a handler per
 * path; well-behaved resources go through SoupServer, misbehaving servers
 * (connection reset, short body, stalls, huge headers, Range ignored) steal
 * the connection and play a small script of raw writes, delays and closes.
 *
 * The element runs either in a pipeline (p2phttpsrc ! appsink, like a
 * gst-launch pipeline or urisourcebin: a "manifest" source) or parentless
 * with a private bus and a pad of ours, the way GstUriDownloader drives it.
 *
 * Threads: the test runs on the check thread; handlers and raw scripts run
 * on the server thread; buffers and events arrive on the element's
 * streaming thread and are collected under Fetch.lock.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <libsoup/soup.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SOUP_DEFAULT_UA "GStreamer souphttpsrc 1.22.0 "

/* P2P_CHECK_ELEMENT=souphttpsrc runs the HTTP tests against the reference
 * element, to tell a wrong test from a wrong element. */
static const gchar *
element_name (void)
{
  const gchar *e = g_getenv ("P2P_CHECK_ELEMENT");

  return e && *e ? e : "p2phttpsrc";
}

/* ------------------------------------------------------------------------ */
/* The server fixture                                                       */
/* ------------------------------------------------------------------------ */

typedef struct _TestServer TestServer;

/* One request as the server saw it. */
typedef struct
{
  gchar *method;
  gchar *path;
  SoupMessageHeaders *headers;
  guint nth;                    /* index among the requests for this path */
  guint remote_port;
  gint64 time_us;
  gboolean has_range;
  gint64 range_start;
  gint64 range_end;             /* inclusive, -1: open */
} TestRequest;

typedef void (*TestHandler) (TestServer * ts, SoupServerMessage * msg,
    const TestRequest * req, gpointer data);

typedef struct
{
  TestHandler func;
  gpointer data;
  GDestroyNotify destroy;
} HandlerEntry;

struct _TestServer
{
  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  SoupServer *server;
  guint port;
  guint tls_port;               /* 0 if TLS could not be set up */
  gchar *ca_pem;                /* the self-signed certificate, PEM */

  GMutex lock;
  GCond cond;
  gboolean ready;
  GHashTable *handlers;         /* path -> HandlerEntry */
  GPtrArray *requests;          /* TestRequest */
  GList *raw_conns;             /* RawConn still running (server thread) */
  GPtrArray *held;              /* GIOStream kept open until the end */
  GPtrArray *held_sockets;      /* their GSockets */
};

static TestServer *server;

static void raw_close_all (TestServer * ts);

static void
test_request_free (TestRequest * r)
{
  g_free (r->method);
  g_free (r->path);
  soup_message_headers_unref (r->headers);
  g_free (r);
}

static void
handler_entry_free (HandlerEntry * e)
{
  if (e->destroy)
    e->destroy (e->data);
  g_free (e);
}

/* "bytes=S-" or "bytes=S-E"; anything else is "no range" for our server. */
static gboolean
parse_range (const gchar * v, gint64 * start, gint64 * end)
{
  gchar *p;

  if (v == NULL || !g_str_has_prefix (v, "bytes="))
    return FALSE;
  v += 6;
  *start = g_ascii_strtoll (v, &p, 10);
  if (p == v || *p != '-')
    return FALSE;
  p++;
  if (*p == '\0') {
    *end = -1;
  } else {
    gchar *q;
    *end = g_ascii_strtoll (p, &q, 10);
    if (q == p || *q != '\0')
      return FALSE;
  }
  return TRUE;
}

static void
server_dispatch (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  TestServer *ts = user_data;
  TestRequest *req = g_new0 (TestRequest, 1);
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  HandlerEntry *entry;
  guint i;

  req->method = g_strdup (soup_server_message_get_method (msg));
  req->path = g_strdup (path);
  req->headers = soup_message_headers_ref (h);
  req->time_us = g_get_monotonic_time ();
  if (remote && G_IS_INET_SOCKET_ADDRESS (remote))
    req->remote_port =
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));
  req->has_range = parse_range (soup_message_headers_get_one (h, "Range"),
      &req->range_start, &req->range_end);

  g_mutex_lock (&ts->lock);
  for (i = 0; i < ts->requests->len; i++) {
    TestRequest *o = g_ptr_array_index (ts->requests, i);
    if (g_str_equal (o->path, path))
      req->nth++;
  }
  g_ptr_array_add (ts->requests, req);
  entry = g_hash_table_lookup (ts->handlers, path);
  g_cond_broadcast (&ts->cond);
  g_mutex_unlock (&ts->lock);

  if (entry == NULL) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
        "no handler\n", 11);
    return;
  }
  /* Entries are only added, never replaced, during a test. */
  entry->func (ts, msg, req, entry->data);
}

/* A self-signed ECDSA certificate for 127.0.0.1 (IP SAN), usable as its own
 * trust anchor. Returns cert + key in PEM; *cert_pem gets the cert alone. */
static gchar *
make_self_signed (gchar ** cert_pem)
{
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t cd = { NULL, 0 }, kd = { NULL, 0 };
  guint8 serial[8];
  const guint8 ip[4] = { 127, 0, 0, 1 };
  time_t now = time (NULL);
  gchar *both;
  guint i;

  for (i = 0; i < sizeof (serial); i++)
    serial[i] = g_random_int_range (1, 256);
  serial[0] &= 0x7f;
  g_assert (gnutls_x509_privkey_init (&key) == 0);
  g_assert (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
          GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0) == 0);
  g_assert (gnutls_x509_crt_init (&crt) == 0);
  g_assert (gnutls_x509_crt_set_version (crt, 3) == 0);
  g_assert (gnutls_x509_crt_set_serial (crt, serial, sizeof (serial)) == 0);
  g_assert (gnutls_x509_crt_set_activation_time (crt, now - 3600) == 0);
  g_assert (gnutls_x509_crt_set_expiration_time (crt, now + 86400) == 0);
  g_assert (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME,
          0, "127.0.0.1", 9) == 0);
  g_assert (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS,
          ip, sizeof (ip), GNUTLS_FSAN_SET) == 0);
  g_assert (gnutls_x509_crt_set_basic_constraints (crt, 1, -1) == 0);
  g_assert (gnutls_x509_crt_set_key_usage (crt,
          GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN) == 0);
  g_assert (gnutls_x509_crt_set_key (crt, key) == 0);
  g_assert (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0) == 0);
  g_assert (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &cd) == 0);
  g_assert (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &kd) == 0);
  *cert_pem = g_strndup ((const gchar *) cd.data, cd.size);
  both = g_strdup_printf ("%s%.*s", *cert_pem, (int) kd.size,
      (const gchar *) kd.data);
  gnutls_free (cd.data);
  gnutls_free (kd.data);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
  return both;
}

static gpointer
server_thread_func (gpointer user_data)
{
  TestServer *ts = user_data;
  GInetAddress *lo;
  GSocketAddress *addr;
  GSList *uris;
  GError *err = NULL;

  g_main_context_push_thread_default (ts->ctx);

  {
    gchar *both = make_self_signed (&ts->ca_pem);
    GTlsCertificate *cert = g_tls_certificate_new_from_pem (both, -1, &err);

    if (cert == NULL) {
      GST_WARNING ("no TLS for the test server: %s", err->message);
      g_clear_error (&err);
    }
    ts->server = soup_server_new ("server-header", "p2p-check-server ",
        "tls-certificate", cert, NULL);
    g_clear_object (&cert);
    g_free (both);
  }
  soup_server_add_handler (ts->server, NULL, server_dispatch, ts, NULL);
  lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (lo, 0);
  if (!soup_server_listen (ts->server, addr, 0, &err))
    g_error ("test server cannot listen: %s", err->message);
  if (!soup_server_listen (ts->server, addr, SOUP_SERVER_LISTEN_HTTPS, &err)) {
    GST_WARNING ("no HTTPS listener: %s", err->message);
    g_clear_error (&err);
  }
  g_object_unref (addr);
  g_object_unref (lo);
  uris = soup_server_get_uris (ts->server);
  g_assert (uris != NULL);
  {
    GSList *l;
    for (l = uris; l; l = l->next) {
      if (g_str_equal (g_uri_get_scheme (l->data), "https"))
        ts->tls_port = g_uri_get_port (l->data);
      else
        ts->port = g_uri_get_port (l->data);
    }
  }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_mutex_lock (&ts->lock);
  ts->ready = TRUE;
  g_cond_broadcast (&ts->cond);
  g_mutex_unlock (&ts->lock);

  g_main_loop_run (ts->loop);

  /* Close everything still open so clients see the end, then let pending
   * async operations finish with their errors. */
  raw_close_all (ts);
  soup_server_disconnect (ts->server);
  while (g_main_context_iteration (ts->ctx, FALSE));
  g_clear_object (&ts->server);
  while (g_main_context_iteration (ts->ctx, FALSE));

  g_main_context_pop_thread_default (ts->ctx);
  return NULL;
}

static TestServer *
test_server_start (void)
{
  TestServer *ts = g_new0 (TestServer, 1);

  g_mutex_init (&ts->lock);
  g_cond_init (&ts->cond);
  ts->ctx = g_main_context_new ();
  ts->loop = g_main_loop_new (ts->ctx, FALSE);
  ts->handlers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) handler_entry_free);
  ts->requests = g_ptr_array_new_with_free_func ((GDestroyNotify)
      test_request_free);
  ts->held = g_ptr_array_new_with_free_func (g_object_unref);
  ts->held_sockets = g_ptr_array_new_with_free_func (g_object_unref);
  ts->thread = g_thread_new ("test-server", server_thread_func, ts);

  g_mutex_lock (&ts->lock);
  while (!ts->ready)
    g_cond_wait (&ts->cond, &ts->lock);
  g_mutex_unlock (&ts->lock);
  return ts;
}

static void
test_server_stop (TestServer * ts)
{
  g_main_loop_quit (ts->loop);
  g_thread_join (ts->thread);
  g_main_loop_unref (ts->loop);
  g_main_context_unref (ts->ctx);
  g_hash_table_unref (ts->handlers);
  g_ptr_array_unref (ts->requests);
  g_ptr_array_unref (ts->held);
  g_ptr_array_unref (ts->held_sockets);
  g_mutex_clear (&ts->lock);
  g_cond_clear (&ts->cond);
  g_free (ts->ca_pem);
  g_free (ts);
}

static void
server_add (TestServer * ts, const gchar * path, TestHandler func,
    gpointer data, GDestroyNotify destroy)
{
  HandlerEntry *e = g_new0 (HandlerEntry, 1);

  e->func = func;
  e->data = data;
  e->destroy = destroy;
  g_mutex_lock (&ts->lock);
  g_hash_table_insert (ts->handlers, g_strdup (path), e);
  g_mutex_unlock (&ts->lock);
}

static gchar *
server_url (TestServer * ts, const gchar * path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", ts->port, path);
}

static guint
server_count (TestServer * ts, const gchar * path)
{
  guint i, n = 0;

  g_mutex_lock (&ts->lock);
  for (i = 0; i < ts->requests->len; i++) {
    TestRequest *r = g_ptr_array_index (ts->requests, i);
    if (path == NULL || g_str_equal (r->path, path))
      n++;
  }
  g_mutex_unlock (&ts->lock);
  return n;
}

/* The nth request for path (a copy of the fields tests look at). Returns a
 * new ref of the headers; NULL if there is no such request. */
static SoupMessageHeaders *
server_request (TestServer * ts, const gchar * path, guint nth,
    TestRequest * out)
{
  SoupMessageHeaders *h = NULL;
  guint i;

  g_mutex_lock (&ts->lock);
  for (i = 0; i < ts->requests->len; i++) {
    TestRequest *r = g_ptr_array_index (ts->requests, i);
    if (g_str_equal (r->path, path) && r->nth == nth) {
      if (out)
        *out = *r;
      h = soup_message_headers_ref (r->headers);
      break;
    }
  }
  g_mutex_unlock (&ts->lock);
  if (out && h) {
    out->method = NULL;
    out->path = NULL;
    out->headers = NULL;
  }
  return h;
}

static gboolean
server_wait_count (TestServer * ts, const gchar * path, guint n,
    gdouble timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (server_count (ts, path) < n) {
    if (g_get_monotonic_time () > deadline)
      return FALSE;
    g_usleep (5000);
  }
  return TRUE;
}

/* --- well-behaved resources ---------------------------------------------- */

typedef struct
{
  GBytes *body;
  gchar *content_type;
  gchar *content_encoding;      /* sent as is; body is already encoded */
  gboolean chunked;
  gchar *basic_auth;            /* "user:pw" required, or NULL */
} Resource;

static void
resource_free (Resource * r)
{
  g_bytes_unref (r->body);
  g_free (r->content_type);
  g_free (r->content_encoding);
  g_free (r->basic_auth);
  g_free (r);
}

static Resource *
resource_new (GBytes * body, const gchar * content_type)
{
  Resource *r = g_new0 (Resource, 1);

  r->body = g_bytes_ref (body);
  r->content_type = g_strdup (content_type ? content_type : "video/mp2t");
  return r;
}

/* Serves r->body, honouring "bytes=S-[E]" with a 206 or a 416. */
static void
resource_serve (TestServer * ts, SoupServerMessage * msg,
    const TestRequest * req, gpointer data)
{
  Resource *r = data;
  SoupMessageHeaders *rh = soup_server_message_get_response_headers (msg);
  gsize total;
  const guint8 *body = g_bytes_get_data (r->body, &total);
  gint64 start = 0, end = (gint64) total - 1;

  soup_message_headers_append (rh, "X-Test-Marker", req->path);
  soup_message_headers_replace (rh, "Accept-Ranges", "bytes");

  if (r->basic_auth) {
    const gchar *auth = soup_message_headers_get_one (req->headers,
        "Authorization");
    gchar *b64 = g_base64_encode ((const guchar *) r->basic_auth,
        strlen (r->basic_auth));
    gchar *expected = g_strconcat ("Basic ", b64, NULL);
    gboolean ok = auth && g_str_equal (auth, expected);

    g_free (b64);
    g_free (expected);
    if (!ok) {
      soup_message_headers_append (rh, "WWW-Authenticate",
          "Basic realm=\"p2p-check\"");
      soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
      soup_server_message_set_response (msg, "text/plain",
          SOUP_MEMORY_STATIC, "unauthorized\n", 13);
      return;
    }
  }

  if (req->has_range) {
    start = req->range_start;
    if (req->range_end >= 0 && req->range_end < end)
      end = req->range_end;
    if (start >= (gint64) total || start > end) {
      gchar *cr = g_strdup_printf ("bytes */%" G_GSIZE_FORMAT, total);
      soup_message_headers_replace (rh, "Content-Range", cr);
      g_free (cr);
      soup_server_message_set_status (msg,
          SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
      return;
    }
    soup_message_headers_set_content_range (rh, start, end, total);
    soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
  } else {
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  }

  if (r->content_encoding)
    soup_message_headers_replace (rh, "Content-Encoding", r->content_encoding);

  if (r->chunked) {
    SoupMessageBody *mb = soup_server_message_get_response_body (msg);
    gint64 pos = start;
    guint n = 0;

    soup_message_headers_set_content_type (rh, r->content_type, NULL);
    soup_message_headers_set_encoding (rh, SOUP_ENCODING_CHUNKED);
    while (pos <= end) {
      /* Uneven chunk sizes, 1..7 KiB. */
      gint64 len = 1024 * (1 + n % 7);

      n++;
      len = MIN (len, end - pos + 1);
      soup_message_body_append (mb, SOUP_MEMORY_COPY, body + pos, len);
      pos += len;
    }
    soup_message_body_complete (mb);
  } else {
    soup_server_message_set_response (msg, r->content_type,
        SOUP_MEMORY_COPY, (const char *) body + start, end - start + 1);
  }
}

/* A fixed status with a small body. data: GUINT_TO_POINTER (status). */
static void
status_serve (TestServer * ts, SoupServerMessage * msg,
    const TestRequest * req, gpointer data)
{
  guint status = GPOINTER_TO_UINT (data);
  gchar *body = g_strdup_printf ("status %u\n", status);

  soup_message_headers_append (soup_server_message_get_response_headers
      (msg), "X-Test-Marker", req->path);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE,
      body, strlen (body));
}

typedef struct
{
  guint status;
  gchar *location;
} Redirect;

static void
redirect_free (Redirect * r)
{
  g_free (r->location);
  g_free (r);
}

static void
redirect_serve (TestServer * ts, SoupServerMessage * msg,
    const TestRequest * req, gpointer data)
{
  Redirect *r = data;
  SoupMessageHeaders *rh = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (rh, "Location", r->location);
  soup_server_message_set_status (msg, r->status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
      "moved\n", 6);
}

static void
add_resource (TestServer * ts, const gchar * path, Resource * r)
{
  server_add (ts, path, resource_serve, r, (GDestroyNotify) resource_free);
}

static void
add_status (TestServer * ts, const gchar * path, guint status)
{
  server_add (ts, path, status_serve, GUINT_TO_POINTER (status), NULL);
}

static void
add_redirect (TestServer * ts, const gchar * path, guint status,
    const gchar * location)
{
  Redirect *r = g_new0 (Redirect, 1);

  r->status = status;
  r->location = g_strdup (location);
  server_add (ts, path, redirect_serve, r, (GDestroyNotify) redirect_free);
}

/* --- misbehaving servers: raw scripts on a stolen connection ------------- */

typedef enum
{
  RAW_WRITE,
  RAW_DELAY,
  RAW_FIN,                      /* shutdown(SHUT_WR) + close */
  RAW_RESET,                    /* SO_LINGER 0 + close: a TCP RST */
  RAW_HOLD,                     /* keep it open, silent, until the end */
} RawOp;

typedef struct
{
  RawOp op;
  GBytes *data;
  guint ms;
} RawStep;

typedef struct
{
  GIOStream *io;                /* first: the teardown closes it */
  GSocket *socket;
  TestServer *ts;
  GQueue steps;
  RawStep *current;
} RawConn;

static void raw_conn_next (RawConn * rc);

static void
raw_step_free (RawStep * s)
{
  if (s->data)
    g_bytes_unref (s->data);
  g_free (s);
}

static void
raw_conn_free (RawConn * rc)
{
  rc->ts->raw_conns = g_list_remove (rc->ts->raw_conns, rc);
  g_queue_clear_full (&rc->steps, (GDestroyNotify) raw_step_free);
  if (rc->current)
    raw_step_free (rc->current);
  g_object_unref (rc->io);
  g_object_unref (rc->socket);
  g_free (rc);
}

static void
raw_written (GObject * source, GAsyncResult * res, gpointer user_data)
{
  RawConn *rc = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL,
          NULL)) {
    /* The client went away: that is allowed. */
    g_io_stream_close (rc->io, NULL, NULL);
    raw_conn_free (rc);
    return;
  }
  raw_conn_next (rc);
}

static gboolean
raw_delay_done (gpointer user_data)
{
  raw_conn_next (user_data);
  return G_SOURCE_REMOVE;
}

static void
raw_conn_next (RawConn * rc)
{
  RawStep *s;

  if (rc->current) {
    raw_step_free (rc->current);
    rc->current = NULL;
  }
  s = g_queue_pop_head (&rc->steps);
  if (s == NULL) {
    g_io_stream_close (rc->io, NULL, NULL);
    raw_conn_free (rc);
    return;
  }
  rc->current = s;
  switch (s->op) {
    case RAW_WRITE:{
      gsize size;
      gconstpointer d = g_bytes_get_data (s->data, &size);
      g_output_stream_write_all_async (g_io_stream_get_output_stream
          (rc->io), d, size, G_PRIORITY_DEFAULT, NULL, raw_written, rc);
      break;
    }
    case RAW_DELAY:{
      GSource *t = g_timeout_source_new (s->ms);
      g_source_set_callback (t, raw_delay_done, rc, NULL);
      g_source_attach (t, rc->ts->ctx);
      g_source_unref (t);
      break;
    }
    case RAW_FIN:
      g_socket_shutdown (rc->socket, FALSE, TRUE, NULL);
      g_io_stream_close (rc->io, NULL, NULL);
      raw_conn_free (rc);
      break;
    case RAW_RESET:{
      struct linger lg = { 1, 0 };
      setsockopt (g_socket_get_fd (rc->socket), SOL_SOCKET, SO_LINGER, &lg,
          sizeof (lg));
      g_socket_close (rc->socket, NULL);
      g_io_stream_close (rc->io, NULL, NULL);
      raw_conn_free (rc);
      break;
    }
    case RAW_HOLD:
      g_ptr_array_add (rc->ts->held, g_object_ref (rc->io));
      g_ptr_array_add (rc->ts->held_sockets, g_object_ref (rc->socket));
      raw_conn_free (rc);
      break;
  }
}

/* Takes the connection away from SoupServer; steps are added with raw_*()
 * and run with raw_run(). Server thread only. */
static RawConn *
raw_steal (TestServer * ts, SoupServerMessage * msg)
{
  RawConn *rc = g_new0 (RawConn, 1);

  rc->ts = ts;
  rc->socket = g_object_ref (soup_server_message_get_socket (msg));
  rc->io = soup_server_message_steal_connection (msg);
  g_queue_init (&rc->steps);
  ts->raw_conns = g_list_prepend (ts->raw_conns, rc);
  return rc;
}

static void
raw_add (RawConn * rc, RawOp op, GBytes * data, guint ms)
{
  RawStep *s = g_new0 (RawStep, 1);

  s->op = op;
  s->data = data;
  s->ms = ms;
  g_queue_push_tail (&rc->steps, s);
}

static void
raw_write_str (RawConn * rc, gchar * str)
{
  raw_add (rc, RAW_WRITE, g_bytes_new_take (str, strlen (str)), 0);
}

static void
raw_write_body (RawConn * rc, GBytes * body, gsize offset, gsize len)
{
  raw_add (rc, RAW_WRITE, g_bytes_new_from_bytes (body, offset, len), 0);
}

static void
raw_run (RawConn * rc)
{
  raw_conn_next (rc);
}

/* Teardown, server thread: closing the sockets ends pending operations. */
static void
raw_close_all (TestServer * ts)
{
  GList *l;
  guint i;

  for (l = ts->raw_conns; l; l = l->next)
    g_socket_close (((RawConn *) l->data)->socket, NULL);
  for (i = 0; i < ts->held_sockets->len; i++)
    g_socket_close (g_ptr_array_index (ts->held_sockets, i), NULL);
}

/* Response head for [start, start + claimed) of a body of total bytes:
 * 200 when start == 0 and there was no Range, 206 otherwise. */
static gchar *
raw_head (const TestRequest * req, gsize total, gsize start, gsize claimed)
{
  if (!req->has_range)
    return g_strdup_printf ("HTTP/1.1 200 OK\r\n"
        "Content-Type: video/mp2t\r\n"
        "Content-Length: %" G_GSIZE_FORMAT "\r\n"
        "X-Test-Marker: %s\r\n\r\n", claimed, req->path);
  return g_strdup_printf ("HTTP/1.1 206 Partial Content\r\n"
      "Content-Type: video/mp2t\r\n"
      "Content-Length: %" G_GSIZE_FORMAT "\r\n"
      "Content-Range: bytes %" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT "/%"
      G_GSIZE_FORMAT "\r\n"
      "X-Test-Marker: %s\r\n\r\n", claimed, start, start + claimed - 1,
      total, req->path);
}

/* Misbehaves on the first `bad` requests (all if bad < 0): announces the
 * rest of the body, sends `cut_first` bytes of it on the first request and
 * `cut_later` on the others (-1: half of what it announced), waits, then
 * ends with `tail` (FIN, RESET or HOLD). Requests after the first `bad` are
 * served properly with Range support. */
typedef struct
{
  Resource *res;
  gint bad;
  gssize cut_first;
  gssize cut_later;
  RawOp tail;
} Broken;

static void
broken_free (Broken * b)
{
  resource_free (b->res);
  g_free (b);
}

static void
broken_serve (TestServer * ts, SoupServerMessage * msg,
    const TestRequest * req, gpointer data)
{
  Broken *b = data;
  gsize total = g_bytes_get_size (b->res->body);
  gsize start = req->has_range ? (gsize) req->range_start : 0;
  gsize claimed, sent;
  gssize cut = req->nth == 0 ? b->cut_first : b->cut_later;
  RawConn *rc;

  if (b->bad >= 0 && req->nth >= (guint) b->bad) {
    resource_serve (ts, msg, req, b->res);
    return;
  }
  if (start >= total) {
    resource_serve (ts, msg, req, b->res);
    return;
  }
  claimed = total - start;
  sent = cut < 0 ? claimed / 2 : MIN ((gsize) cut, claimed);
  rc = raw_steal (ts, msg);
  raw_write_str (rc, raw_head (req, total, start, claimed));
  if (sent > 0)
    raw_write_body (rc, b->res->body, start, sent);
  raw_add (rc, RAW_DELAY, NULL, 150);
  raw_add (rc, b->tail, NULL, 0);
  raw_run (rc);
}

static void
add_broken (TestServer * ts, const gchar * path, GBytes * body, gint bad,
    gssize cut_first, gssize cut_later, RawOp tail)
{
  Broken *b = g_new0 (Broken, 1);

  b->res = resource_new (body, NULL);
  b->bad = bad;
  b->cut_first = cut_first;
  b->cut_later = cut_later;
  b->tail = tail;
  server_add (ts, path, broken_serve, b, (GDestroyNotify) broken_free);
}

/* Reads the request and never answers. */
static void
silent_serve (TestServer * ts, SoupServerMessage * msg,
    const TestRequest * req, gpointer data)
{
  RawConn *rc = raw_steal (ts, msg);

  raw_add (rc, RAW_HOLD, NULL, 0);
  raw_run (rc);
}

/* 200 with the full body whatever the Range said; closes afterwards. */
static void
ignore_range_serve (TestServer * ts, SoupServerMessage * msg,
    const TestRequest * req, gpointer data)
{
  GBytes *body = data;
  RawConn *rc = raw_steal (ts, msg);

  raw_write_str (rc, g_strdup_printf ("HTTP/1.1 200 OK\r\n"
          "Content-Type: video/mp2t\r\n"
          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
          "Connection: close\r\n\r\n", g_bytes_get_size (body)));
  raw_write_body (rc, body, 0, g_bytes_get_size (body));
  raw_add (rc, RAW_FIN, NULL, 0);
  raw_run (rc);
}

/* A status line followed by `data` bytes of header lines. */
static void
huge_headers_serve (TestServer * ts, SoupServerMessage * msg,
    const TestRequest * req, gpointer data)
{
  gsize size = GPOINTER_TO_SIZE (data);
  GString *s = g_string_new ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
  RawConn *rc = raw_steal (ts, msg);
  guint i = 0;

  while (s->len < size) {
    g_string_append_printf (s, "X-Junk-%u: %0998u\r\n", i, i);
    i++;
  }
  g_string_append (s, "\r\nok");
  raw_add (rc, RAW_WRITE, g_string_free_to_bytes (s), 0);
  raw_add (rc, RAW_DELAY, NULL, 500);
  raw_add (rc, RAW_FIN, NULL, 0);
  raw_run (rc);
}

/* ------------------------------------------------------------------------ */
/* Test data                                                                */
/* ------------------------------------------------------------------------ */

/* Deterministic, incompressible-looking bytes; different per seed. */
static GBytes *
make_body (gsize size, guint32 seed)
{
  guint8 *d = g_malloc (size);
  guint32 x = seed * 2654435761u + 1;
  gsize i;

  for (i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    d[i] = x >> 24;
  }
  return g_bytes_new_take (d, size);
}

static GBytes *
make_text (gsize size)
{
  GString *s = g_string_new (NULL);
  guint i = 0;

  while (s->len < size)
    g_string_append_printf (s, "line %u: the quick brown fox jumps\n", i++);
  g_string_truncate (s, size);
  return g_string_free_to_bytes (s);
}

static GBytes *
gzip_bytes (GBytes * in)
{
  GOutputStream *mem = g_memory_output_stream_new_resizable ();
  GConverter *c = G_CONVERTER (g_zlib_compressor_new
      (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1));
  GOutputStream *gz = g_converter_output_stream_new (mem, c);
  gsize size;
  gconstpointer d = g_bytes_get_data (in, &size);
  GBytes *out;

  fail_unless (g_output_stream_write_all (gz, d, size, NULL, NULL, NULL));
  fail_unless (g_output_stream_close (gz, NULL, NULL));
  out = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
  g_object_unref (gz);
  g_object_unref (c);
  g_object_unref (mem);
  return out;
}

/* ------------------------------------------------------------------------ */
/* Running the element                                                      */
/* ------------------------------------------------------------------------ */

typedef enum
{
  MODE_PIPELINE,                /* p2phttpsrc ! appsink, data via callbacks */
  MODE_PIPELINE_PULL,           /* same, the test pulls samples itself */
  MODE_PARENTLESS,              /* no parent, private bus: GstUriDownloader */
} FetchMode;

typedef struct
{
  FetchMode mode;
  GstElement *top;              /* the pipeline, or the source itself */
  GstElement *src;
  GstElement *sink;
  GstPad *own_pad;
  GstBus *bus;
  gchar *uri;

  GMutex lock;
  GByteArray *data;
  guint n_buffers;
  GPtrArray *events;            /* http-headers structures, from events */
  GPtrArray *messages;          /* http-headers structures, from the bus */
  gint buffers_before_event;    /* -1: no http-headers event yet */
  gchar *kind_at_event;
  guint flushes;

  gboolean done;
  gboolean eos;
  GError *error;
  GstStructure *details;
  gchar *debug;
  gint64 t_start;
  gint64 t_end;
} Fetch;

static gchar *
kind_nick (GstElement * src)
{
  GParamSpec *ps = g_object_class_find_property (G_OBJECT_GET_CLASS (src),
      "request-kind");
  GValue v = G_VALUE_INIT;
  gchar *nick = NULL;

  if (ps == NULL)
    return g_strdup ("<no request-kind property>");
  g_value_init (&v, ps->value_type);
  g_object_get_property (G_OBJECT (src), "request-kind", &v);
  if (G_VALUE_HOLDS_ENUM (&v)) {
    GEnumClass *k = g_type_class_ref (ps->value_type);
    GEnumValue *ev = g_enum_get_value (k, g_value_get_enum (&v));
    nick = g_strdup (ev ? ev->value_nick : "<invalid enum value>");
    g_type_class_unref (k);
  } else {
    nick = g_strdup ("<request-kind is not an enum>");
  }
  g_value_unset (&v);
  return nick;
}

static void
fetch_on_event (Fetch * f, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY &&
      gst_event_has_name (event, "http-headers")) {
    /* Read before taking the lock: the property must already be final. */
    gchar *kind = kind_nick (f->src);

    g_mutex_lock (&f->lock);
    g_ptr_array_add (f->events,
        gst_structure_copy (gst_event_get_structure (event)));
    if (f->buffers_before_event < 0) {
      f->buffers_before_event = f->n_buffers;
      f->kind_at_event = kind;
      kind = NULL;
    }
    g_mutex_unlock (&f->lock);
    g_free (kind);
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    g_mutex_lock (&f->lock);
    f->flushes++;
    g_mutex_unlock (&f->lock);
  }
}

static void
fetch_on_buffer (Fetch * f, GstBuffer * buf)
{
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  g_mutex_lock (&f->lock);
  g_byte_array_append (f->data, map.data, map.size);
  f->n_buffers++;
  g_mutex_unlock (&f->lock);
  gst_buffer_unmap (buf, &map);
}

static GstPadProbeReturn
sink_event_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  fetch_on_event (user_data, GST_PAD_PROBE_INFO_EVENT (info));
  return GST_PAD_PROBE_OK;
}

static GstFlowReturn
appsink_new_sample (GstAppSink * sink, gpointer user_data)
{
  GstSample *s = gst_app_sink_pull_sample (sink);

  if (s) {
    fetch_on_buffer (user_data, gst_sample_get_buffer (s));
    gst_sample_unref (s);
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
own_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  fetch_on_buffer (g_object_get_data (G_OBJECT (pad), "fetch"), buf);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static gboolean
own_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  Fetch *f = g_object_get_data (G_OBJECT (pad), "fetch");

  fetch_on_event (f, event);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    gst_bus_post (f->bus, gst_message_new_eos (GST_OBJECT (f->src)));
  gst_event_unref (event);
  return TRUE;
}

static Fetch *
fetch_new (FetchMode mode)
{
  Fetch *f = g_new0 (Fetch, 1);

  g_mutex_init (&f->lock);
  f->mode = mode;
  f->data = g_byte_array_new ();
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  f->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  f->buffers_before_event = -1;

  f->src = gst_element_factory_make (element_name (), NULL);
  fail_unless (f->src != NULL, "no %s element", element_name ());

  if (mode == MODE_PARENTLESS) {
    GstPad *srcpad = gst_element_get_static_pad (f->src, "src");

    gst_object_ref_sink (f->src);
    f->top = gst_object_ref (f->src);
    f->bus = gst_bus_new ();
    gst_element_set_bus (f->src, f->bus);
    f->own_pad = gst_pad_new ("sink", GST_PAD_SINK);
    g_object_set_data (G_OBJECT (f->own_pad), "fetch", f);
    gst_pad_set_chain_function (f->own_pad, own_chain);
    gst_pad_set_event_function (f->own_pad, own_event);
    gst_pad_set_active (f->own_pad, TRUE);
    fail_unless (srcpad != NULL);
    fail_unless_equals_int (gst_pad_link (srcpad, f->own_pad), GST_PAD_LINK_OK);
    gst_object_unref (srcpad);
  } else {
    GstPad *sinkpad;

    f->top = gst_pipeline_new (NULL);
    f->sink = gst_element_factory_make ("appsink", NULL);
    fail_unless (f->sink != NULL);
    g_object_set (f->sink, "sync", FALSE, NULL);
    if (mode == MODE_PIPELINE) {
      GstAppSinkCallbacks cb = { NULL, NULL, appsink_new_sample };
      gst_app_sink_set_callbacks (GST_APP_SINK (f->sink), &cb, f, NULL);
    } else {
      g_object_set (f->sink, "max-buffers", 2, "drop", FALSE, NULL);
    }
    gst_bin_add_many (GST_BIN (f->top), f->src, f->sink, NULL);
    fail_unless (gst_element_link (f->src, f->sink));
    sinkpad = gst_element_get_static_pad (f->sink, "sink");
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
        GST_PAD_PROBE_TYPE_EVENT_FLUSH, sink_event_probe, f, NULL);
    gst_object_unref (sinkpad);
    f->bus = gst_element_get_bus (f->top);
  }
  return f;
}

/* Forgets the results of the previous fetch (the element is reused). */
static void
fetch_reset (Fetch * f)
{
  GstMessage *m;

  while ((m = gst_bus_pop (f->bus)))
    gst_message_unref (m);
  g_mutex_lock (&f->lock);
  g_byte_array_set_size (f->data, 0);
  f->n_buffers = 0;
  g_ptr_array_set_size (f->events, 0);
  g_ptr_array_set_size (f->messages, 0);
  f->buffers_before_event = -1;
  g_clear_pointer (&f->kind_at_event, g_free);
  f->done = f->eos = FALSE;
  g_clear_error (&f->error);
  g_clear_pointer (&f->details, gst_structure_free);
  g_clear_pointer (&f->debug, g_free);
  g_mutex_unlock (&f->lock);
}

static void
fetch_free (Fetch * f)
{
  gst_element_set_state (f->top, GST_STATE_NULL);
  if (f->own_pad) {
    gst_pad_set_active (f->own_pad, FALSE);
    gst_object_unref (f->own_pad);
  }
  gst_object_unref (f->top);
  if (f->mode == MODE_PARENTLESS)
    gst_object_unref (f->src);
  gst_bus_set_flushing (f->bus, TRUE);
  gst_object_unref (f->bus);
  g_byte_array_unref (f->data);
  g_ptr_array_unref (f->events);
  g_ptr_array_unref (f->messages);
  g_free (f->kind_at_event);
  g_clear_error (&f->error);
  if (f->details)
    gst_structure_free (f->details);
  g_free (f->debug);
  g_free (f->uri);
  g_mutex_clear (&f->lock);
  g_free (f);
}

static void
fetch_set_path (Fetch * f, const gchar * path)
{
  g_free (f->uri);
  f->uri = server_url (server, path);
  g_object_set (f->src, "location", f->uri, NULL);
}

static void
fetch_play (Fetch * f)
{
  f->t_start = g_get_monotonic_time ();
  gst_element_set_state (f->top, GST_STATE_PLAYING);
}

/* Handles one bus message; TRUE when the fetch ended (EOS or ERROR). */
static gboolean
fetch_handle_message (Fetch * f, GstMessage * m)
{
  gboolean end = FALSE;

  switch (GST_MESSAGE_TYPE (m)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (m);
      if (s && gst_structure_has_name (s, "http-headers")
          && GST_MESSAGE_SRC (m) == GST_OBJECT (f->src)) {
        g_mutex_lock (&f->lock);
        g_ptr_array_add (f->messages, gst_structure_copy (s));
        g_mutex_unlock (&f->lock);
      }
      break;
    }
    case GST_MESSAGE_ERROR:{
      const GstStructure *details = NULL;
      gst_message_parse_error (m, &f->error, &f->debug);
      gst_message_parse_error_details (m, &details);
      if (details)
        f->details = gst_structure_copy (details);
      GST_INFO ("fetch of %s: error %s (%s)", f->uri, f->error->message,
          GST_STR_NULL (f->debug));
      end = TRUE;
      break;
    }
    case GST_MESSAGE_EOS:
      f->eos = TRUE;
      end = TRUE;
      break;
    default:
      break;
  }
  if (end) {
    f->done = TRUE;
    f->t_end = g_get_monotonic_time ();
  }
  return end;
}

/* Waits for EOS or ERROR; FALSE if neither came within timeout_s. */
static gboolean
fetch_wait (Fetch * f, gdouble timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (!f->done && g_get_monotonic_time () < deadline) {
    GstMessage *m = gst_bus_timed_pop_filtered (f->bus, 10 * GST_MSECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT);
    if (m) {
      fetch_handle_message (f, m);
      gst_message_unref (m);
    }
  }
  return f->done;
}

static gdouble
fetch_elapsed (Fetch * f)
{
  return (f->t_end - f->t_start) / (gdouble) G_USEC_PER_SEC;
}

/* Creates a fetch of path, sets the NULL-terminated properties, plays it
 * and waits up to 10 s for its end. */
static Fetch *
run_fetch (FetchMode mode, const gchar * path, const gchar * first_prop, ...)
{
  Fetch *f = fetch_new (mode);
  va_list ap;

  fetch_set_path (f, path);
  if (first_prop) {
    va_start (ap, first_prop);
    g_object_set_valist (G_OBJECT (f->src), first_prop, ap);
    va_end (ap);
  }
  fetch_play (f);
  fail_unless (fetch_wait (f, 10.0), "fetch of %s neither ended in EOS nor "
      "in ERROR within 10 s (%u bytes received)", path, f->data->len);
  return f;
}

static void
assert_data (Fetch * f, const guint8 * expected, gsize len)
{
  gsize i, n = MIN (len, f->data->len);

  for (i = 0; i < n; i++)
    if (f->data->data[i] != expected[i])
      break;
  fail_unless (f->data->len == len && i == len,
      "%s: got %u bytes, expected %" G_GSIZE_FORMAT ", first difference at "
      "%" G_GSIZE_FORMAT, f->uri, f->data->len, len, i);
}

static void
assert_eos_with (Fetch * f, GBytes * body, gsize offset, gsize len)
{
  fail_unless (f->error == NULL, "%s: unexpected error: %s (%s)", f->uri,
      f->error ? f->error->message : "", GST_STR_NULL (f->debug));
  fail_unless (f->eos, "%s: no EOS", f->uri);
  assert_data (f, (const guint8 *) g_bytes_get_data (body, NULL) + offset, len);
}

static void
assert_error (Fetch * f, GQuark domain, gint code, guint status)
{
  guint got_status = 0;

  fail_unless (f->error != NULL, "%s: expected an error, got %s with %u "
      "bytes", f->uri, f->eos ? "EOS" : "nothing", f->data->len);
  fail_unless (f->error->domain == domain && f->error->code == code,
      "%s: expected error %s/%d, got %s/%d: %s (%s)", f->uri,
      g_quark_to_string (domain), code, g_quark_to_string (f->error->domain),
      f->error->code, f->error->message, GST_STR_NULL (f->debug));
  if (status) {
    fail_unless (f->details != NULL, "%s: error without details", f->uri);
    fail_unless (gst_structure_get_uint (f->details, "http-status-code",
            &got_status), "%s: error details without a guint "
        "http-status-code: %" GST_PTR_FORMAT, f->uri, f->details);
    fail_unless_equals_int (got_status, status);
  }
}

/* Some RESOURCE error, whichever code: for failures with no status. */
static void
assert_resource_error (Fetch * f)
{
  fail_unless (f->error != NULL, "%s: expected an error, got %s with %u "
      "bytes", f->uri, f->eos ? "EOS" : "nothing", f->data->len);
  fail_unless (f->error->domain == GST_RESOURCE_ERROR, "%s: expected a "
      "RESOURCE error, got %s/%d: %s (%s)", f->uri,
      g_quark_to_string (f->error->domain), f->error->code,
      f->error->message, GST_STR_NULL (f->debug));
}

/* A header from a request-headers/response-headers structure, whatever the
 * case of its name; repeated headers (arrays/lists) joined with ", ". */
static gchar *
struct_header (const GstStructure * s, const gchar * name)
{
  gint i, n = gst_structure_n_fields (s);

  for (i = 0; i < n; i++) {
    const gchar *field = gst_structure_nth_field_name (s, i);
    const GValue *v;

    if (g_ascii_strcasecmp (field, name) != 0)
      continue;
    v = gst_structure_get_value (s, field);
    if (G_VALUE_HOLDS_STRING (v))
      return g_value_dup_string (v);
    if (GST_VALUE_HOLDS_ARRAY (v) || GST_VALUE_HOLDS_LIST (v)) {
      GString *out = g_string_new (NULL);
      guint j, m = GST_VALUE_HOLDS_ARRAY (v) ? gst_value_array_get_size (v)
          : gst_value_list_get_size (v);
      for (j = 0; j < m; j++) {
        const GValue *e = GST_VALUE_HOLDS_ARRAY (v) ?
            gst_value_array_get_value (v, j) : gst_value_list_get_value (v, j);
        if (j)
          g_string_append (out, ", ");
        if (G_VALUE_HOLDS_STRING (e))
          g_string_append (out, g_value_get_string (e));
      }
      return g_string_free (out, FALSE);
    }
    return gst_value_serialize (v);
  }
  return NULL;
}

static const GstStructure *
struct_get_struct (const GstStructure * s, const gchar * field)
{
  const GValue *v = gst_structure_get_value (s, field);

  if (v == NULL || !GST_VALUE_HOLDS_STRUCTURE (v))
    return NULL;
  return gst_value_get_structure (v);
}

/* Checks one http-headers structure. */
static void
assert_http_headers (const GstStructure * s, const gchar * uri, guint status,
    const gchar * redirection_uri, const gchar * marker)
{
  const gchar *got_uri;
  guint got_status = 0;
  const GstStructure *req, *resp;

  fail_unless (gst_structure_has_name (s, "http-headers"));
  got_uri = gst_structure_get_string (s, "uri");
  fail_unless (got_uri != NULL, "http-headers without uri: %"
      GST_PTR_FORMAT, s);
  fail_unless_equals_string (got_uri, uri);
  fail_unless (gst_structure_get_uint (s, "http-status-code", &got_status),
      "http-headers without guint http-status-code: %" GST_PTR_FORMAT, s);
  fail_unless_equals_int (got_status, status);
  if (redirection_uri) {
    fail_unless_equals_string (gst_structure_get_string (s,
            "redirection-uri"), redirection_uri);
  } else {
    fail_if (gst_structure_has_field (s, "redirection-uri"),
        "redirection-uri without a redirect: %" GST_PTR_FORMAT, s);
  }
  req = struct_get_struct (s, "request-headers");
  resp = struct_get_struct (s, "response-headers");
  fail_unless (req != NULL, "no request-headers structure: %" GST_PTR_FORMAT,
      s);
  fail_unless (resp != NULL, "no response-headers structure: %"
      GST_PTR_FORMAT, s);
  {
    gchar *ua = struct_header (req, "User-Agent");
    fail_unless (ua != NULL && *ua, "request-headers without User-Agent: %"
        GST_PTR_FORMAT, req);
    g_free (ua);
  }
  if (marker) {
    gchar *m = struct_header (resp, "X-Test-Marker");
    fail_unless (m != NULL, "response-headers without X-Test-Marker: %"
        GST_PTR_FORMAT, resp);
    fail_unless_equals_string (m, marker);
    g_free (m);
  }
}

/* The element message and the sticky event both carry http-headers, the
 * event before the first buffer. */
static void
assert_http_headers_both (Fetch * f, guint n, const gchar * uri,
    guint status, const gchar * redirection_uri, const gchar * marker)
{
  guint i;

  fail_unless (f->messages->len == n, "%s: %u http-headers messages, "
      "expected %u", f->uri, f->messages->len, n);
  fail_unless (f->events->len == n, "%s: %u http-headers events, "
      "expected %u", f->uri, f->events->len, n);
  for (i = 0; i < n; i++) {
    assert_http_headers (g_ptr_array_index (f->messages, i), uri, status,
        redirection_uri, marker);
    assert_http_headers (g_ptr_array_index (f->events, i), uri, status,
        redirection_uri, marker);
  }
  if (n > 0)
    fail_unless (f->buffers_before_event == 0, "%s: http-headers event came "
        "after %d buffers", f->uri, f->buffers_before_event);
}

static gchar *
request_header (const gchar * path, guint nth, const gchar * name)
{
  SoupMessageHeaders *h = server_request (server, path, nth, NULL);
  gchar *v;

  fail_unless (h != NULL, "no request %u for %s", nth, path);
  v = g_strdup (soup_message_headers_get_list (h, name));
  soup_message_headers_unref (h);
  return v;
}

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

static void
server_setup (void)
{
  server = test_server_start ();
}

static void
server_teardown (void)
{
  test_server_stop (server);
  server = NULL;
}

/* ------------------------------------------------------------------------ */
/* Registration and properties                                              */
/* ------------------------------------------------------------------------ */

GST_START_TEST (test_registration)
{
  GstElementFactory *fac = gst_element_factory_find ("p2phttpsrc");
  const gchar *const *protocols;
  const GList *templates;
  GstStaticPadTemplate *t;
  GstCaps *caps;
  const gchar *uris[] = { "http://127.0.0.1:1/a.m3u8",
    "https://127.0.0.1:1/b.mpd"
  };
  guint i;

  fail_unless (fac != NULL, "p2phttpsrc is not registered");
  fail_unless_equals_int (gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE
          (fac)), GST_RANK_PRIMARY + 1);
  fail_unless_equals_string (gst_element_factory_get_metadata (fac,
          GST_ELEMENT_METADATA_KLASS), "Source/Network");
  fail_unless_equals_int (gst_element_factory_get_uri_type (fac), GST_URI_SRC);
  protocols = gst_element_factory_get_uri_protocols (fac);
  fail_unless (protocols != NULL);
  fail_unless (g_strv_contains (protocols, "http"));
  fail_unless (g_strv_contains (protocols, "https"));

  templates = gst_element_factory_get_static_pad_templates (fac);
  fail_unless_equals_int (g_list_length ((GList *) templates), 1);
  t = templates->data;
  fail_unless_equals_string (t->name_template, "src");
  fail_unless_equals_int (t->direction, GST_PAD_SRC);
  fail_unless_equals_int (t->presence, GST_PAD_ALWAYS);
  caps = gst_static_caps_get (&t->static_caps);
  fail_unless (gst_caps_is_any (caps));
  gst_caps_unref (caps);

  for (i = 0; i < G_N_ELEMENTS (uris); i++) {
    GError *err = NULL;
    GstElement *e = gst_element_make_from_uri (GST_URI_SRC, uris[i], NULL,
        &err);
    gchar *loc = NULL;

    fail_unless (e != NULL, "no source for %s: %s", uris[i],
        err ? err->message : "");
    fail_unless_equals_string (GST_OBJECT_NAME (gst_element_get_factory (e)),
        "p2phttpsrc");
    g_object_get (e, "location", &loc, NULL);
    fail_unless_equals_string (loc, uris[i]);
    g_free (loc);
    gst_object_unref (e);
  }
  gst_object_unref (fac);
}

GST_END_TEST;

static gchar *
value_str (const GValue * v)
{
  gchar *s;

  if (G_VALUE_HOLDS_BOXED (v) && g_value_get_boxed (v) == NULL)
    return g_strdup ("NULL");
  if (G_VALUE_HOLDS_OBJECT (v))
    return g_strdup_value_contents (v);
  s = gst_value_serialize (v);

  return s ? s : g_strdup_value_contents (v);
}

/* Records a difference and goes on, so one run lists them all. */
#define MISMATCH(cond, ...) G_STMT_START {                      \
  if (!(cond)) {                                                \
    g_string_append (bad, "\n  ");                              \
    g_string_append_printf (bad, __VA_ARGS__);                  \
  }                                                             \
} G_STMT_END

GST_START_TEST (test_property_parity)
{
  GstElement *soup = gst_element_factory_make ("souphttpsrc", NULL);
  GstElement *p2p = gst_element_factory_make ("p2phttpsrc", NULL);
  GParamSpec **specs;
  GString *bad = g_string_new (NULL);
  guint n, i;

  fail_unless (soup != NULL, "souphttpsrc (gstreamer1.0-plugins-good) is "
      "needed to compare properties");
  fail_unless (p2p != NULL, "no p2phttpsrc element");

  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (soup), &n);
  fail_unless (n > 20);
  for (i = 0; i < n; i++) {
    GParamSpec *ps = specs[i];
    GParamSpec *pp = g_object_class_find_property (G_OBJECT_GET_CLASS (p2p),
        ps->name);
    const GValue *ds, *dp;
    const GParamFlags rw = G_PARAM_READABLE | G_PARAM_WRITABLE;

    if (pp == NULL) {
      g_string_append_printf (bad, "\n  p2phttpsrc lacks property %s",
          ps->name);
      continue;
    }
    if (pp->value_type != ps->value_type) {
      g_string_append_printf (bad, "\n  property %s: type %s, souphttpsrc "
          "has %s", ps->name, g_type_name (pp->value_type),
          g_type_name (ps->value_type));
      continue;
    }
    MISMATCH ((pp->flags & rw) == (ps->flags & rw), "property %s: flags "
        "0x%x, souphttpsrc has 0x%x", ps->name, pp->flags & rw, ps->flags & rw);

    ds = g_param_spec_get_default_value (ps);
    dp = g_param_spec_get_default_value (pp);
    if (g_str_equal (ps->name, "user-agent")) {
      const gchar *sd = g_value_get_string (ds);
      const gchar *pd = g_value_get_string (dp);
      fail_unless (sd && g_str_equal (sd, SOUP_DEFAULT_UA));
      MISMATCH (pd && g_str_has_prefix (pd, sd), "user-agent default "
          "\"%s\" does not start with souphttpsrc's \"%s\"", pd, sd);
      MISMATCH (pd && strlen (pd) > strlen (sd) &&
          strstr (pd + strlen (sd), "p2phttpsrc") != NULL,
          "user-agent default \"%s\" does not name p2phttpsrc", pd);
    } else {
      gchar *a = value_str (ds), *b = value_str (dp);
      MISMATCH (g_param_values_cmp (ps, ds, dp) == 0, "property %s: "
          "default %s, souphttpsrc has %s", ps->name, b, a);
      g_free (a);
      g_free (b);
    }

    /* Numeric ranges carry meaning too (timeout 0..3600, retries -1..). */
    if (G_IS_PARAM_SPEC_INT (ps)) {
      MISMATCH (G_PARAM_SPEC_INT (ps)->minimum ==
          G_PARAM_SPEC_INT (pp)->minimum &&
          G_PARAM_SPEC_INT (ps)->maximum == G_PARAM_SPEC_INT (pp)->maximum,
          "property %s: range differs from souphttpsrc's", ps->name);
    } else if (G_IS_PARAM_SPEC_UINT (ps)) {
      MISMATCH (G_PARAM_SPEC_UINT (ps)->minimum ==
          G_PARAM_SPEC_UINT (pp)->minimum &&
          G_PARAM_SPEC_UINT (ps)->maximum == G_PARAM_SPEC_UINT (pp)->maximum,
          "property %s: range differs from souphttpsrc's", ps->name);
    }

    /* What a fresh instance reports (e.g. proxy from http_proxy). */
    if ((ps->flags & G_PARAM_READABLE) && !g_str_equal (ps->name, "name") &&
        !g_str_equal (ps->name, "parent") &&
        !g_str_equal (ps->name, "user-agent")) {
      GValue vs = G_VALUE_INIT, vp = G_VALUE_INIT;
      gchar *a, *b;

      g_value_init (&vs, ps->value_type);
      g_value_init (&vp, ps->value_type);
      g_object_get_property (G_OBJECT (soup), ps->name, &vs);
      g_object_get_property (G_OBJECT (p2p), ps->name, &vp);
      a = value_str (&vs);
      b = value_str (&vp);
      if (G_VALUE_HOLDS_BOXED (&vs))
        MISMATCH ((g_value_get_boxed (&vs) == NULL) ==
            (g_value_get_boxed (&vp) == NULL), "property %s: initial value "
            "%s, souphttpsrc has %s", ps->name, b, a);
      else
        MISMATCH (g_param_values_cmp (ps, &vs, &vp) == 0, "property %s: "
            "initial value %s, souphttpsrc has %s", ps->name, b, a);
      g_free (a);
      g_free (b);
      g_value_unset (&vs);
      g_value_unset (&vp);
    }
  }
  g_free (specs);
  fail_unless (bad->len == 0, "differences from souphttpsrc:%s", bad->str);
  g_string_free (bad, TRUE);

  /* Every property of ours is documented. */
  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (p2p), &n);
  for (i = 0; i < n; i++) {
    const gchar *blurb = g_param_spec_get_blurb (specs[i]);
    fail_unless (blurb != NULL && *blurb, "property %s has no blurb",
        specs[i]->name);
  }
  g_free (specs);

  /* request-kind: a read-only enum with the documented nicks. */
  {
    GParamSpec *pk = g_object_class_find_property (G_OBJECT_GET_CLASS (p2p),
        "request-kind");
    const gchar *nicks[] = { "unknown", "fragment", "manifest", "playlist",
      "key", "clock-sync", "other"
    };
    GEnumClass *k;
    gchar *nick;

    fail_unless (pk != NULL, "no request-kind property");
    fail_unless (G_IS_PARAM_SPEC_ENUM (pk));
    fail_unless_equals_string (g_type_name (pk->value_type),
        "GstP2pRequestKind");
    fail_unless (pk->flags & G_PARAM_READABLE);
    fail_if (pk->flags & G_PARAM_WRITABLE, "request-kind is writable");
    k = g_type_class_ref (pk->value_type);
    for (i = 0; i < G_N_ELEMENTS (nicks); i++)
      fail_unless (g_enum_get_value_by_nick (k, nicks[i]) != NULL,
          "GstP2pRequestKind has no \"%s\"", nicks[i]);
    fail_unless_equals_int (k->n_values, G_N_ELEMENTS (nicks));
    g_type_class_unref (k);
    nick = kind_nick (p2p);
    fail_unless_equals_string (nick, "unknown");
    g_free (nick);
  }

  gst_object_unref (soup);
  gst_object_unref (p2p);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Status codes and http-headers                                            */
/* ------------------------------------------------------------------------ */

GST_START_TEST (test_get_200)
{
  GBytes *body = make_body (100 * 1024 + 17, 1);
  Fetch *f;
  gchar *ua, *prop_ua = NULL, *ae, *conn;

  add_resource (server, "/data.ts", resource_new (body, "video/mp2t"));
  f = run_fetch (MODE_PIPELINE, "/data.ts", NULL);
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  fail_unless_equals_int (server_count (server, "/data.ts"), 1);
  assert_http_headers_both (f, 1, f->uri, 200, NULL, "/data.ts");

  /* The request headers of the defaults. */
  g_object_get (f->src, "user-agent", &prop_ua, NULL);
  ua = request_header ("/data.ts", 0, "User-Agent");
  fail_unless (ua && g_str_has_prefix (ua, SOUP_DEFAULT_UA), "User-Agent "
      "sent: \"%s\" does not start with souphttpsrc's", ua);
  fail_unless (ua && g_str_has_prefix (ua, prop_ua), "User-Agent sent: "
      "\"%s\", property: \"%s\"", ua, prop_ua);
  if (g_str_has_suffix (prop_ua, " "))
    fail_unless (strstr (ua, "libsoup/") != NULL, "trailing space in "
        "user-agent did not append libsoup's: \"%s\"", ua);
  ae = request_header ("/data.ts", 0, "Accept-Encoding");
  fail_unless_equals_string (ae, "identity");
  g_free (ae);
  /* iradio-mode is on by default: ask for shoutcast metadata. */
  ae = request_header ("/data.ts", 0, "icy-metadata");
  fail_unless_equals_string (ae, "1");
  conn = request_header ("/data.ts", 0, "Connection");
  fail_if (conn && strstr (conn, "close"), "keep-alive is the default, "
      "Connection: %s", conn);
  g_free (ua);
  g_free (prop_ua);
  g_free (ae);
  g_free (conn);

  /* The sticky event's request-headers say what was sent. */
  {
    const GstStructure *req = struct_get_struct (g_ptr_array_index
        (f->events, 0), "request-headers");
    gchar *ev_ua = struct_header (req, "User-Agent");
    gchar *sent = request_header ("/data.ts", 0, "User-Agent");
    fail_unless_equals_string (ev_ua, sent);
    g_free (ev_ua);
    g_free (sent);
  }
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_status_errors)
{
  struct
  {
    guint status;
    gint code;
  } cases[] = {
    {404, GST_RESOURCE_ERROR_NOT_FOUND},
    {401, GST_RESOURCE_ERROR_NOT_AUTHORIZED},
    {402, GST_RESOURCE_ERROR_NOT_AUTHORIZED},
    {403, GST_RESOURCE_ERROR_NOT_AUTHORIZED},
    {407, GST_RESOURCE_ERROR_NOT_AUTHORIZED},
    {410, GST_RESOURCE_ERROR_OPEN_READ},
    {418, GST_RESOURCE_ERROR_OPEN_READ},
    {500, GST_RESOURCE_ERROR_OPEN_READ},
    {502, GST_RESOURCE_ERROR_OPEN_READ},
    {503, GST_RESOURCE_ERROR_OPEN_READ},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *path = g_strdup_printf ("/status/%u", cases[i].status);
    Fetch *f;

    add_status (server, path, cases[i].status);
    f = run_fetch (MODE_PIPELINE, path, "retries", 1, NULL);
    assert_error (f, GST_RESOURCE_ERROR, cases[i].code, cases[i].status);
    fail_unless (f->n_buffers == 0, "%s: the error body was pushed (%u "
        "bytes)", path, f->data->len);
    fail_unless (server_count (server, path) >= 1 &&
        server_count (server, path) <= 2, "%s: %u requests", path,
        server_count (server, path));
    fetch_free (f);
    g_free (path);
  }
}

GST_END_TEST;

/* Fetches path with these credentials (NULL: none) and checks the outcome;
 * on a wrong success says which Authorization the server got. */
static void
check_auth (const gchar * path, GBytes * body, const gchar * id,
    const gchar * pw, gboolean expect_ok)
{
  guint nth = server_count (server, path);
  Fetch *f = id ? run_fetch (MODE_PIPELINE, path, "user-id", id, "user-pw",
      pw, NULL) : run_fetch (MODE_PIPELINE, path, NULL);

  if (expect_ok) {
    assert_eos_with (f, body, 0, g_bytes_get_size (body));
  } else {
    gchar *auth = request_header (path, nth, "Authorization");
    fail_if (f->eos, "%s with user-id=%s user-pw=%s: EOS with %u bytes; the "
        "first request carried Authorization: %s (credentials of an earlier "
        "fetch reused?)", path, GST_STR_NULL (id), GST_STR_NULL (pw),
        f->data->len, GST_STR_NULL (auth));
    g_free (auth);
    assert_error (f, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
        401);
  }
  fetch_free (f);
}

GST_START_TEST (test_basic_auth)
{
  GBytes *body = make_body (5000, 2);
  Resource *r = resource_new (body, NULL);

  r->basic_auth = g_strdup ("alice:s3cret");
  add_resource (server, "/private", r);

  check_auth ("/private", body, NULL, NULL, FALSE);
  check_auth ("/private", body, "alice", "wrong", FALSE);
  check_auth ("/private", body, "alice", "s3cret", TRUE);
  /* Each element uses its own credentials only, like souphttpsrc (one
   * session per element): nothing leaks from the fetch before. */
  check_auth ("/private", body, "alice", "wrong", FALSE);
  check_auth ("/private", body, NULL, NULL, FALSE);
  g_bytes_unref (body);
}

GST_END_TEST;

static void
assert_uri_query (Fetch * f, const gchar * uri, const gchar * redirect,
    gboolean permanent)
{
  GstQuery *q = gst_query_new_uri ();
  gchar *got = NULL, *redir = NULL;
  gboolean perm = !permanent;

  fail_unless (gst_element_query (f->src, q), "URI query failed");
  gst_query_parse_uri (q, &got);
  gst_query_parse_uri_redirection (q, &redir);
  gst_query_parse_uri_redirection_permanent (q, &perm);
  fail_unless_equals_string (got, uri);
  fail_unless_equals_string (redir, redirect);
  if (redirect)
    fail_unless (perm == permanent, "redirection permanent %d, expected %d",
        perm, permanent);
  g_free (got);
  g_free (redir);
  gst_query_unref (q);
}

GST_START_TEST (test_redirects)
{
  GBytes *body = make_body (30000, 3);
  gchar *final = server_url (server, "/final.ts");
  gchar *hop2 = server_url (server, "/hop2");
  Fetch *f;

  add_resource (server, "/final.ts", resource_new (body, NULL));
  /* 302 with a relative Location, then 301 with an absolute one. */
  add_redirect (server, "/hop1", 302, "/hop2");
  add_redirect (server, "/hop2", 301, final);
  add_redirect (server, "/moved", 301, final);

  f = run_fetch (MODE_PIPELINE, "/hop1", NULL);
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  fail_unless_equals_int (server_count (server, "/hop1"), 1);
  fail_unless_equals_int (server_count (server, "/hop2"), 1);
  fail_unless_equals_int (server_count (server, "/final.ts"), 1);
  assert_http_headers_both (f, 1, f->uri, 200, final, "/final.ts");
  /* 302 then 301: the original URI did not move for good. (souphttpsrc
   * reports the last hop's permanence; any temporary hop makes the whole
   * redirection temporary here.) */
  assert_uri_query (f, f->uri, final, FALSE);
  fetch_free (f);

  add_redirect (server, "/found", 302, final);
  f = run_fetch (MODE_PIPELINE, "/found", NULL);
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  assert_uri_query (f, f->uri, final, FALSE);
  fetch_free (f);

  f = run_fetch (MODE_PIPELINE, "/moved", NULL);
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  assert_uri_query (f, f->uri, final, TRUE);
  fetch_free (f);

  /* No redirect: the URI query has no redirection. */
  f = run_fetch (MODE_PIPELINE, "/final.ts", NULL);
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  assert_uri_query (f, f->uri, NULL, FALSE);
  fetch_free (f);

  /* Not followed: an error carrying the target. */
  add_redirect (server, "/temp", 302, hop2);
  f = run_fetch (MODE_PIPELINE, "/temp", "automatic-redirect", FALSE, NULL);
  assert_error (f, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, 302);
  fail_unless_equals_string (gst_structure_get_string (f->details,
          "http-redirect-uri"), hop2);
  fail_unless (f->n_buffers == 0);
  fail_unless_equals_int (server_count (server, "/temp"), 1);
  fail_unless_equals_int (server_count (server, "/hop2"), 1);
  fetch_free (f);

  g_free (final);
  g_free (hop2);
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_request_headers)
{
  GBytes *body = make_body (2000, 4);
  GstStructure *extra;
  GValue arr = G_VALUE_INIT, v = G_VALUE_INIT;
  const gchar *cookies[] = { "session=abc", "pref=1", NULL };
  Fetch *f;
  gchar *h;

  add_resource (server, "/h", resource_new (body, NULL));

  extra = gst_structure_new ("extra-headers", "X-Foo", G_TYPE_STRING, "bar",
      "X-Num", G_TYPE_INT, 42, NULL);
  gst_value_array_init (&arr, 2);
  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, "one");
  gst_value_array_append_value (&arr, &v);
  g_value_set_string (&v, "two");
  gst_value_array_append_value (&arr, &v);
  gst_structure_take_value (extra, "X-Multi", &arr);
  g_value_unset (&v);

  f = run_fetch (MODE_PIPELINE, "/h", "extra-headers", extra,
      "cookies", cookies, "user-agent", "TestAgent/1.0",
      "keep-alive", FALSE, "compress", FALSE, "iradio-mode", FALSE, NULL);
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  h = request_header ("/h", 0, "icy-metadata");
  fail_unless (h == NULL, "iradio-mode=false sent icy-metadata: %s", h);

  h = request_header ("/h", 0, "X-Foo");
  fail_unless_equals_string (h, "bar");
  g_free (h);
  h = request_header ("/h", 0, "X-Num");
  fail_unless_equals_string (h, "42");
  g_free (h);
  h = request_header ("/h", 0, "X-Multi");
  fail_unless_equals_string (h, "one, two");
  g_free (h);
  h = request_header ("/h", 0, "Cookie");
  fail_unless (h && strstr (h, "session=abc") && strstr (h, "pref=1"),
      "Cookie sent: %s", h);
  g_free (h);
  h = request_header ("/h", 0, "User-Agent");
  fail_unless_equals_string (h, "TestAgent/1.0");
  g_free (h);
  h = request_header ("/h", 0, "Accept-Encoding");
  fail_unless_equals_string (h, "identity");
  g_free (h);
  h = request_header ("/h", 0, "Connection");
  fail_unless (h && strstr (h, "close"), "keep-alive=false sent "
      "Connection: %s", h);
  g_free (h);

  /* request-headers of the http-headers event report the same. */
  assert_http_headers_both (f, 1, f->uri, 200, NULL, "/h");
  {
    const GstStructure *req = struct_get_struct (g_ptr_array_index
        (f->events, 0), "request-headers");
    gchar *x = struct_header (req, "X-Foo");
    gchar *c = struct_header (req, "Cookie");
    gchar *ua = struct_header (req, "User-Agent");
    fail_unless_equals_string (x, "bar");
    fail_unless (c && strstr (c, "session=abc"), "request-headers Cookie: %s",
        c);
    fail_unless_equals_string (ua, "TestAgent/1.0");
    g_free (x);
    g_free (c);
    g_free (ua);
  }
  fetch_free (f);
  gst_structure_free (extra);
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_head)
{
  GBytes *body = make_body (4000, 5);
  Fetch *f;
  TestRequest r;
  SoupMessageHeaders *h;

  add_resource (server, "/clock", resource_new (body, "text/plain"));
  f = run_fetch (MODE_PIPELINE, "/clock", "method", "HEAD", NULL);
  fail_unless (f->error == NULL, "HEAD errored: %s", f->error ?
      f->error->message : "");
  fail_unless (f->eos);
  fail_unless_equals_int (f->data->len, 0);
  fail_unless_equals_int (f->messages->len, 1);
  assert_http_headers (g_ptr_array_index (f->messages, 0), f->uri, 200, NULL,
      "/clock");
  h = server_request (server, "/clock", 0, &r);
  fail_unless (h != NULL);
  soup_message_headers_unref (h);
  fetch_free (f);

  /* HEAD never errors, even on 404. */
  f = run_fetch (MODE_PIPELINE, "/absent", "method", "HEAD", NULL);
  fail_unless (f->error == NULL, "HEAD on 404 errored: %s", f->error ?
      f->error->message : "");
  fail_unless (f->eos);
  fail_unless_equals_int (f->data->len, 0);
  fail_unless_equals_int (f->messages->len, 1);
  {
    guint st = 0;
    fail_unless (gst_structure_get_uint (g_ptr_array_index (f->messages, 0),
            "http-status-code", &st));
    fail_unless_equals_int (st, 404);
  }
  fetch_free (f);

  /* The server saw HEADs only. */
  g_mutex_lock (&server->lock);
  {
    guint i;
    for (i = 0; i < server->requests->len; i++) {
      TestRequest *q = g_ptr_array_index (server->requests, i);
      fail_unless_equals_string (q->method, "HEAD");
    }
  }
  g_mutex_unlock (&server->lock);
  g_bytes_unref (body);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Ranges and seeking                                                       */
/* ------------------------------------------------------------------------ */

/* Like adaptivedemux: the seek goes to the source while it is READY, with
 * an exclusive stop (or -1). */
static void
seek_in_ready (Fetch * f, gint64 start, gint64 stop)
{
  GstEvent *seek;

  fail_unless (gst_element_set_state (f->top, GST_STATE_READY) !=
      GST_STATE_CHANGE_FAILURE);
  seek = gst_event_new_seek (1.0, GST_FORMAT_BYTES, GST_SEEK_FLAG_FLUSH,
      GST_SEEK_TYPE_SET, start, GST_SEEK_TYPE_SET, stop);
  fail_unless (gst_element_send_event (f->src, seek), "seek in READY "
      "refused");
}

static void
check_range_fetch (FetchMode mode, const gchar * path, GBytes * body,
    gint64 start, gint64 stop, const gchar * expected_range)
{
  Fetch *f = fetch_new (mode);
  guint before = server_count (server, path);
  gsize total = g_bytes_get_size (body);
  gsize len = (stop < 0 ? (gint64) total : stop) - start;
  gchar *range;

  fetch_set_path (f, path);
  seek_in_ready (f, start, stop);
  fetch_play (f);
  fail_unless (fetch_wait (f, 10.0), "ranged fetch did not end");
  assert_eos_with (f, body, start, len);
  fail_unless (server_count (server, path) == before + 1, "%u requests for "
      "one range", server_count (server, path) - before);
  range = request_header (path, before, "Range");
  fail_unless_equals_string (range, expected_range);
  g_free (range);
  fetch_free (f);
}

GST_START_TEST (test_range_seek_in_ready)
{
  GBytes *body = make_body (50000, 6);

  add_resource (server, "/seg.ts", resource_new (body, NULL));
  check_range_fetch (MODE_PIPELINE, "/seg.ts", body, 1000, 2000,
      "bytes=1000-1999");
  check_range_fetch (MODE_PIPELINE, "/seg.ts", body, 0, 862, "bytes=0-861");
  check_range_fetch (MODE_PIPELINE, "/seg.ts", body, 40000, -1, "bytes=40000-");
  check_range_fetch (MODE_PARENTLESS, "/seg.ts", body, 123, 4567,
      "bytes=123-4566");
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_range_ignored)
{
  GBytes *body = make_body (20000, 7);
  Fetch *f = fetch_new (MODE_PIPELINE);

  server_add (server, "/norange", ignore_range_serve, g_bytes_ref (body),
      (GDestroyNotify) g_bytes_unref);
  fetch_set_path (f, "/norange");
  seek_in_ready (f, 5000, -1);
  fetch_play (f);
  fail_unless (fetch_wait (f, 10.0));
  assert_error (f, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SEEK, 0);
  fail_unless (f->data->len == 0 || memcmp (f->data->data,
          (const guint8 *) g_bytes_get_data (body, NULL) + 5000,
          MIN (f->data->len, 15000)) == 0, "wrong bytes pushed");
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_416)
{
  GBytes *body = make_body (10000, 8);
  Fetch *f;

  add_resource (server, "/r.ts", resource_new (body, NULL));
  /* Starting exactly at the end: nothing more to read, EOS. */
  f = fetch_new (MODE_PIPELINE);
  fetch_set_path (f, "/r.ts");
  seek_in_ready (f, 10000, -1);
  fetch_play (f);
  fail_unless (fetch_wait (f, 10.0));
  fail_unless (f->error == NULL, "416 at the end gave an error: %s (%s)",
      f->error ? f->error->message : "", GST_STR_NULL (f->debug));
  fail_unless (f->eos);
  fail_unless_equals_int (f->data->len, 0);
  fail_unless_equals_int (server_count (server, "/r.ts"), 1);
  fetch_free (f);

  /* A 416 for a request from the start is an error. */
  add_status (server, "/bad416", 416);
  f = run_fetch (MODE_PIPELINE, "/bad416", NULL);
  assert_error (f, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, 416);
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

static GByteArray *
pull_until_eos (Fetch * f, gdouble timeout_s)
{
  GByteArray *out = g_byte_array_new ();
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline) {
    GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (f->sink),
        20 * GST_MSECOND);
    GstMessage *m;

    if (s) {
      GstMapInfo map;
      GstBuffer *b = gst_sample_get_buffer (s);
      gst_buffer_map (b, &map, GST_MAP_READ);
      g_byte_array_append (out, map.data, map.size);
      gst_buffer_unmap (b, &map);
      gst_sample_unref (s);
      continue;
    }
    if (gst_app_sink_is_eos (GST_APP_SINK (f->sink))) {
      f->eos = TRUE;
      break;
    }
    m = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ERROR);
    if (m) {
      fetch_handle_message (f, m);
      gst_message_unref (m);
      break;
    }
  }
  return out;
}

GST_START_TEST (test_seek_while_playing)
{
  const gsize size = 8 * 1024 * 1024, pos = 6 * 1024 * 1024 + 13;
  GBytes *body = make_body (size, 9);
  Fetch *f = fetch_new (MODE_PIPELINE_PULL);
  GstSample *first_sample;
  GByteArray *rest;
  gint64 dur = -1;
  gchar *range;

  add_resource (server, "/big.ts", resource_new (body, NULL));
  fetch_set_path (f, "/big.ts");
  fetch_play (f);
  first_sample = gst_app_sink_try_pull_sample (GST_APP_SINK (f->sink),
      10 * GST_SECOND);
  fail_unless (first_sample != NULL, "no first buffer");
  {
    GstMapInfo map;
    GstBuffer *b = gst_sample_get_buffer (first_sample);
    gst_buffer_map (b, &map, GST_MAP_READ);
    fail_unless (map.size > 0 && memcmp (map.data, g_bytes_get_data (body,
                NULL), map.size) == 0, "first buffer is not the start");
    gst_buffer_unmap (b, &map);
  }
  gst_sample_unref (first_sample);

  /* BYTES duration is known once the headers arrived. */
  fail_unless (gst_element_query_duration (f->src, GST_FORMAT_BYTES, &dur));
  fail_unless_equals_int64 (dur, size);

  fail_unless (gst_element_seek_simple (f->top, GST_FORMAT_BYTES,
          GST_SEEK_FLAG_FLUSH, pos), "seek while playing refused");
  rest = pull_until_eos (f, 20.0);
  fail_unless (f->error == NULL, "error after seek: %s", f->error ?
      f->error->message : "");
  fail_unless (f->eos, "no EOS after the seek");
  fail_unless (rest->len == size - pos && memcmp (rest->data,
          (const guint8 *) g_bytes_get_data (body, NULL) + pos,
          rest->len) == 0, "after the seek: %u bytes, expected %"
      G_GSIZE_FORMAT " from %" G_GSIZE_FORMAT, rest->len, size - pos, pos);
  fail_unless_equals_int (server_count (server, "/big.ts"), 2);
  range = request_header ("/big.ts", 1, "Range");
  fail_unless (range && g_str_has_prefix (range, "bytes=6291469-"),
      "Range after seek: %s", range);
  g_free (range);
  g_byte_array_unref (rest);
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

/* A flushing seek while the body stalls must unlock the source at once and
 * fetch the new range (the stalled response is abandoned). */
GST_START_TEST (test_seek_while_stalled)
{
  const gsize size = 1024 * 1024, pos = 700000;
  GBytes *body = make_body (size, 26);
  Fetch *f = fetch_new (MODE_PIPELINE_PULL);
  GByteArray *rest;
  gsize got = 0;
  gint64 t0, idle_since;
  gdouble dt;
  gchar *range;

  /* First response: 64 KiB then silence; the next ones are served. */
  add_broken (server, "/stuck.ts", body, 1, 64 * 1024, 0, RAW_HOLD);
  fetch_set_path (f, "/stuck.ts");
  fetch_play (f);
  idle_since = g_get_monotonic_time ();
  while (g_get_monotonic_time () - idle_since < 300 * 1000) {
    GstSample *smp = gst_app_sink_try_pull_sample (GST_APP_SINK (f->sink),
        20 * GST_MSECOND);
    if (smp) {
      got += gst_buffer_get_size (gst_sample_get_buffer (smp));
      gst_sample_unref (smp);
      idle_since = g_get_monotonic_time ();
    }
  }
  fail_unless (got == 64 * 1024, "%" G_GSIZE_FORMAT " bytes before the "
      "stall, expected 65536", got);

  t0 = g_get_monotonic_time ();
  fail_unless (gst_element_seek_simple (f->top, GST_FORMAT_BYTES,
          GST_SEEK_FLAG_FLUSH, pos), "seek refused");
  dt = (g_get_monotonic_time () - t0) / (gdouble) G_USEC_PER_SEC;
  g_printerr ("flushing seek during a stall returned in %.3f s\n", dt);
  fail_unless (dt < 1.0, "flushing seek during a stall took %.3f s", dt);

  rest = pull_until_eos (f, 10.0);
  fail_unless (f->error == NULL, "error after seek: %s", f->error ?
      f->error->message : "");
  fail_unless (f->eos, "no EOS after the seek");
  fail_unless (rest->len == size - pos && memcmp (rest->data,
          (const guint8 *) g_bytes_get_data (body, NULL) + pos,
          rest->len) == 0, "after the seek: %u bytes, expected %"
      G_GSIZE_FORMAT, rest->len, size - pos);
  fail_unless_equals_int (server_count (server, "/stuck.ts"), 2);
  range = request_header ("/stuck.ts", 1, "Range");
  fail_unless_equals_string (range, "bytes=700000-");
  g_free (range);
  g_byte_array_unref (rest);
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_reuse_for_several_uris)
{
  GBytes *a = make_body (70000, 10), *b = make_body (3000, 11),
      *c = make_body (250000, 12);
  struct
  {
    const gchar *path;
    GBytes *body;
    gint64 start, stop;
    const gchar *range;
  } seq[] = {
    {"/a.ts", a, 0, -1, NULL},
    {"/b.ts", b, 100, 1100, "bytes=100-1099"},
    {"/c.ts", c, 0, -1, NULL},
    {"/a.ts", a, 60000, -1, "bytes=60000-"},
    {"/c.ts", c, 249000, 250000, "bytes=249000-249999"},
  };
  Fetch *f = fetch_new (MODE_PIPELINE);
  guint i;

  add_resource (server, "/a.ts", resource_new (a, NULL));
  add_resource (server, "/b.ts", resource_new (b, NULL));
  add_resource (server, "/c.ts", resource_new (c, NULL));

  for (i = 0; i < G_N_ELEMENTS (seq); i++) {
    guint before = server_count (server, seq[i].path);
    gsize len = (seq[i].stop < 0 ? (gint64) g_bytes_get_size (seq[i].body)
        : seq[i].stop) - seq[i].start;
    gchar *uri = server_url (server, seq[i].path);
    GError *err = NULL;
    gchar *range;

    fail_unless (gst_element_set_state (f->top, GST_STATE_READY) !=
        GST_STATE_CHANGE_FAILURE);
    fetch_reset (f);
    fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (f->src), uri,
            &err), "set_uri in READY: %s", err ? err->message : "");
    g_free (f->uri);
    f->uri = uri;
    if (seq[i].start || seq[i].stop >= 0)
      seek_in_ready (f, seq[i].start, seq[i].stop);
    fetch_play (f);
    fail_unless (fetch_wait (f, 10.0), "fetch %u did not end", i);
    assert_eos_with (f, seq[i].body, seq[i].start, len);
    fail_unless (server_count (server, seq[i].path) == before + 1,
        "fetch %u: %u requests", i, server_count (server, seq[i].path) -
        before);
    range = request_header (seq[i].path, before, "Range");
    if (seq[i].range) {
      fail_unless_equals_string (range, seq[i].range);
    } else {
      fail_unless (range == NULL || g_str_equal (range, "bytes=0-"),
          "fetch %u: unexpected Range %s", i, range);
    }
    g_free (range);
    assert_http_headers_both (f, 1, uri, seq[i].range ? 206 : 200, NULL,
        seq[i].path);
  }
  fetch_free (f);
  g_bytes_unref (a);
  g_bytes_unref (b);
  g_bytes_unref (c);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Bodies                                                                   */
/* ------------------------------------------------------------------------ */

GST_START_TEST (test_chunked)
{
  GBytes *body = make_body (300 * 1024 + 5, 13);
  Resource *r = resource_new (body, NULL);
  Fetch *f;

  r->chunked = TRUE;
  add_resource (server, "/chunked", r);
  f = run_fetch (MODE_PIPELINE, "/chunked", NULL);
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  fail_unless_equals_int (server_count (server, "/chunked"), 1);
  {
    const GstStructure *resp = struct_get_struct (g_ptr_array_index
        (f->messages, 0), "response-headers");
    gchar *te = struct_header (resp, "Transfer-Encoding");
    fail_unless (te && strstr (te, "chunked"), "not chunked: %s", te);
    g_free (te);
  }
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_gzip)
{
  GBytes *plain = make_text (200 * 1024);
  GBytes *gz = gzip_bytes (plain);
  Resource *r = resource_new (gz, "text/plain");
  Fetch *f;
  gchar *ae;

  fail_unless (g_bytes_get_size (gz) < g_bytes_get_size (plain) / 4);
  r->content_encoding = g_strdup ("gzip");
  add_resource (server, "/text", r);

  /* compress=true: announced, and decoded. */
  f = run_fetch (MODE_PIPELINE, "/text", "compress", TRUE, NULL);
  assert_eos_with (f, plain, 0, g_bytes_get_size (plain));
  ae = request_header ("/text", 0, "Accept-Encoding");
  fail_unless (ae && strstr (ae, "gzip"), "compress=true sent "
      "Accept-Encoding: %s", ae);
  g_free (ae);
  fetch_free (f);

  /* compress=false: identity asked, and what the server sent passes. */
  f = run_fetch (MODE_PIPELINE, "/text", "compress", FALSE, NULL);
  assert_eos_with (f, gz, 0, g_bytes_get_size (gz));
  ae = request_header ("/text", 1, "Accept-Encoding");
  fail_unless_equals_string (ae, "identity");
  g_free (ae);
  fetch_free (f);

  g_bytes_unref (plain);
  g_bytes_unref (gz);
}

GST_END_TEST;

GST_START_TEST (test_large_body)
{
  const gsize size = 12 * 1024 * 1024 + 3;
  GBytes *body = make_body (size, 14);
  Fetch *f;
  gdouble s;

  add_resource (server, "/large.mp4", resource_new (body, "video/mp4"));
  f = run_fetch (MODE_PIPELINE, "/large.mp4", NULL);
  assert_eos_with (f, body, 0, size);
  fail_unless_equals_int (server_count (server, "/large.mp4"), 1);
  s = fetch_elapsed (f);
  g_printerr ("large body: %" G_GSIZE_FORMAT " bytes in %.3f s, %.0f MiB/s, "
      "%u buffers\n", size, s, size / s / (1024 * 1024), f->n_buffers);
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_connection_reset_resumes)
{
  const gsize size = 4 * 1024 * 1024;
  GBytes *body = make_body (size, 15);
  Fetch *f;
  TestRequest r;
  SoupMessageHeaders *h;

  add_broken (server, "/reset.ts", body, 1, 1024 * 1024, -1, RAW_RESET);
  f = run_fetch (MODE_PIPELINE, "/reset.ts", "retries", 3, NULL);
  assert_eos_with (f, body, 0, size);
  fail_unless_equals_int (server_count (server, "/reset.ts"), 2);
  h = server_request (server, "/reset.ts", 1, &r);
  fail_unless (h != NULL);
  fail_unless (r.has_range && r.range_start > 0 &&
      r.range_start <= 1024 * 1024 && r.range_end == -1,
      "resume request: Range %s", soup_message_headers_get_one (h, "Range"));
  g_printerr ("reset after 1 MiB sent: resumed from byte %" G_GINT64_FORMAT
      "\n", r.range_start);
  soup_message_headers_unref (h);
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_short_body_resumes)
{
  const gsize size = 1024 * 1024;
  GBytes *body = make_body (size, 16);
  Fetch *f;
  gchar *range;

  /* Content-Length says 1 MiB, 512 KiB come, then a clean FIN. */
  add_broken (server, "/short.ts", body, 1, 512 * 1024, -1, RAW_FIN);
  f = run_fetch (MODE_PIPELINE, "/short.ts", NULL);
  assert_eos_with (f, body, 0, size);
  fail_unless_equals_int (server_count (server, "/short.ts"), 2);
  range = request_header ("/short.ts", 1, "Range");
  fail_unless_equals_string (range, "bytes=524288-");
  g_free (range);
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_short_body_never_eos)
{
  const gsize size = 256 * 1024;
  GBytes *body = make_body (size, 17);
  Fetch *f;
  guint n;

  /* Every response delivers half of what it announces. */
  add_broken (server, "/liar.ts", body, -1, -1, -1, RAW_FIN);
  f = run_fetch (MODE_PIPELINE, "/liar.ts", "retries", 2, NULL);
  fail_if (f->eos, "truncated body ended in EOS after %u of %" G_GSIZE_FORMAT
      " bytes", f->data->len, size);
  fail_unless (f->error != NULL);
  fail_unless (f->error->domain == GST_RESOURCE_ERROR, "error %s/%d: %s",
      g_quark_to_string (f->error->domain), f->error->code, f->error->message);
  fail_unless (f->data->len < size);
  assert_data (f, g_bytes_get_data (body, NULL), f->data->len);
  n = server_count (server, "/liar.ts");
  fail_unless (n >= 3 && n <= 40, "%u requests", n);
  g_printerr ("lying Content-Length: error %s after %u requests, %u of %"
      G_GSIZE_FORMAT " bytes\n", f->error->message, n, f->data->len, size);
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_oversized_headers)
{
  Fetch *f;

  server_add (server, "/huge", huge_headers_serve,
      GSIZE_TO_POINTER (1024 * 1024), NULL);
  f = run_fetch (MODE_PIPELINE, "/huge", "retries", 1, NULL);
  fail_unless (f->error != NULL, "1 MiB of response headers accepted (%s)",
      f->eos ? "EOS" : "no end");
  assert_resource_error (f);
  fail_unless_equals_int (f->data->len, 0);
  fetch_free (f);
}

GST_END_TEST;

GST_START_TEST (test_connection_refused)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *a = g_inet_socket_address_new (lo, 0), *bound;
  guint port;
  gchar *uri;
  Fetch *f = fetch_new (MODE_PIPELINE);

  /* A port that was just free: nothing listens there. */
  fail_unless (g_socket_bind (s, a, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (s, NULL);
  uri = g_strdup_printf ("http://127.0.0.1:%u/x", port);
  f->uri = uri;
  g_object_set (f->src, "location", uri, "retries", 1, NULL);
  fetch_play (f);
  fail_unless (fetch_wait (f, 10.0));
  assert_resource_error (f);
  fetch_free (f);
  g_object_unref (bound);
  g_object_unref (a);
  g_object_unref (lo);
  g_object_unref (s);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Timeouts and unlock                                                      */
/* ------------------------------------------------------------------------ */

GST_START_TEST (test_timeout_stall_after_headers)
{
  const gsize size = 1024 * 1024, sent = 64 * 1024;
  const guint timeout = 1;
  const gint retries = 2;
  GBytes *body = make_body (size, 18);
  Fetch *f;
  gdouble dt;
  guint i;

  /* Headers and 64 KiB, then silence; retries get headers, then silence. */
  add_broken (server, "/stall.ts", body, -1, sent, 0, RAW_HOLD);
  f = run_fetch (MODE_PIPELINE, "/stall.ts", "timeout", timeout,
      "retries", retries, NULL);
  dt = fetch_elapsed (f);
  g_printerr ("stall after headers, timeout=%u retries=%d: ERROR after "
      "%.2f s (bound %.1f s), %u requests\n", timeout, retries, dt,
      (retries + 1) * timeout + 1.5, server_count (server, "/stall.ts"));
  fail_if (f->eos, "a stalled body ended in EOS");
  assert_resource_error (f);
  fail_unless (dt >= 0.9 * timeout, "error before a timeout elapsed: %.2f s",
      dt);
  fail_unless (dt <= (retries + 1) * timeout + 1.5, "error after %.2f s", dt);
  fail_unless_equals_int (server_count (server, "/stall.ts"), retries + 1);
  /* Every retry resumes where the data stopped. */
  for (i = 1; i < (guint) retries + 1; i++) {
    gchar *range = request_header ("/stall.ts", i, "Range");
    fail_unless_equals_string (range, "bytes=65536-");
    g_free (range);
  }
  assert_data (f, g_bytes_get_data (body, NULL), sent);
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

GST_START_TEST (test_timeout_never_answers)
{
  const guint timeout = 1;
  const gint retries = 1;
  Fetch *f;
  gdouble dt;

  server_add (server, "/silent", silent_serve, NULL, NULL);
  f = run_fetch (MODE_PIPELINE, "/silent", "timeout", timeout,
      "retries", retries, NULL);
  dt = fetch_elapsed (f);
  g_printerr ("server never answers, timeout=%u retries=%d: ERROR after "
      "%.2f s (bound %.1f s), %u requests\n", timeout, retries, dt,
      (retries + 1) * timeout + 1.5, server_count (server, "/silent"));
  fail_unless (f->error != NULL, "no error from a silent server");
  assert_resource_error (f);
  fail_unless (dt >= 0.9 * timeout, "error before a timeout elapsed: %.2f s",
      dt);
  fail_unless (dt <= (retries + 1) * timeout + 1.5, "error after %.2f s", dt);
  fail_unless_equals_int (server_count (server, "/silent"), retries + 1);
  fetch_free (f);
}

GST_END_TEST;

static void
check_unlock (const gchar * path, gboolean wait_buffer)
{
  Fetch *f = fetch_new (MODE_PIPELINE);
  gint64 t0;
  gdouble dt;
  GstStateChangeReturn ret;

  fetch_set_path (f, path);
  fetch_play (f);
  fail_unless (server_wait_count (server, path, 1, 5.0), "no request");
  if (wait_buffer) {
    gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
    while (f->n_buffers == 0 && g_get_monotonic_time () < deadline)
      g_usleep (5000);
    fail_unless (f->n_buffers > 0, "no buffer before the stall");
  }
  g_usleep (300 * 1000);
  fail_if (f->done, "the fetch ended by itself (timeout is 15 s)");

  t0 = g_get_monotonic_time ();
  ret = gst_element_set_state (f->top, GST_STATE_NULL);
  dt = (g_get_monotonic_time () - t0) / (gdouble) G_USEC_PER_SEC;
  g_printerr ("unlock of a stalled fetch (%s): NULL in %.3f s\n", path, dt);
  fail_unless (ret == GST_STATE_CHANGE_SUCCESS);
  fail_unless (dt < 1.0, "setting NULL took %.3f s", dt);
  fetch_free (f);
}

GST_START_TEST (test_unlock_stalled)
{
  GBytes *body = make_body (1024 * 1024, 19);

  server_add (server, "/silent", silent_serve, NULL, NULL);
  add_broken (server, "/stall.ts", body, -1, 64 * 1024, 0, RAW_HOLD);
  check_unlock ("/silent", FALSE);
  check_unlock ("/stall.ts", TRUE);
  g_bytes_unref (body);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Connections and proxy                                                    */
/* ------------------------------------------------------------------------ */

static guint
request_port (const gchar * path, guint nth)
{
  TestRequest r;
  SoupMessageHeaders *h = server_request (server, path, nth, &r);

  fail_unless (h != NULL, "no request %u for %s", nth, path);
  soup_message_headers_unref (h);
  return r.remote_port;
}

/* Fragment after fragment, from one reused element or from new elements,
 * the shared session keeps the connection: no new TCP/TLS handshake per
 * fragment. keep-alive=false closes it every time. */
GST_START_TEST (test_connection_reuse)
{
  GBytes *body = make_body (200 * 1024, 24);
  Fetch *f;
  guint i, p0;

  add_resource (server, "/frag.ts", resource_new (body, NULL));

  f = fetch_new (MODE_PIPELINE);
  for (i = 0; i < 3; i++) {
    fail_unless (gst_element_set_state (f->top, GST_STATE_READY) !=
        GST_STATE_CHANGE_FAILURE);
    fetch_reset (f);
    fetch_set_path (f, "/frag.ts");
    fetch_play (f);
    fail_unless (fetch_wait (f, 10.0));
    assert_eos_with (f, body, 0, g_bytes_get_size (body));
  }
  fetch_free (f);
  for (i = 0; i < 2; i++) {
    f = run_fetch (MODE_PARENTLESS, "/frag.ts", NULL);
    assert_eos_with (f, body, 0, g_bytes_get_size (body));
    fetch_free (f);
  }
  fail_unless_equals_int (server_count (server, "/frag.ts"), 5);
  p0 = request_port ("/frag.ts", 0);
  for (i = 1; i < 5; i++)
    fail_unless (request_port ("/frag.ts", i) == p0, "fetch %u came on a "
        "new connection (client port %u, first was %u)", i,
        request_port ("/frag.ts", i), p0);

  for (i = 0; i < 2; i++) {
    f = run_fetch (MODE_PIPELINE, "/frag.ts", "keep-alive", FALSE, NULL);
    assert_eos_with (f, body, 0, g_bytes_get_size (body));
    fetch_free (f);
  }
  fail_unless (request_port ("/frag.ts", 5) != request_port ("/frag.ts", 6),
      "keep-alive=false reused a connection");
  g_bytes_unref (body);
}

GST_END_TEST;

/* Our server plays the proxy: it receives absolute-URI requests for a host
 * that has nothing listening (127.0.0.2:9) and answers them. */
static void
proxy_serve (TestServer * ts, SoupServerMessage * msg,
    const TestRequest * req, gpointer data)
{
  Resource *r = data;
  const gchar *auth = soup_message_headers_get_one (req->headers,
      "Proxy-Authorization");
  GUri *uri = soup_server_message_get_uri (msg);

  if (uri && g_uri_get_port (uri) != 9) {
    soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
    return;
  }
  if (r->basic_auth) {
    gchar *b64 = g_base64_encode ((const guchar *) r->basic_auth,
        strlen (r->basic_auth));
    gchar *expected = g_strconcat ("Basic ", b64, NULL);
    gboolean ok = auth && g_str_equal (auth, expected);

    g_free (b64);
    g_free (expected);
    if (!ok) {
      soup_message_headers_append (soup_server_message_get_response_headers
          (msg), "Proxy-Authenticate", "Basic realm=\"p2p-proxy\"");
      soup_server_message_set_status (msg,
          SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED, NULL);
      return;
    }
  }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, r->content_type, SOUP_MEMORY_COPY,
      g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body));
}

GST_START_TEST (test_proxy)
{
  GBytes *body = make_body (12345, 25);
  Resource *open = resource_new (body, NULL);
  Resource *closed = resource_new (body, NULL);
  gchar *proxy = g_strdup_printf ("http://127.0.0.1:%u", server->port);
  Fetch *f;

  closed->basic_auth = g_strdup ("bob:proxypw");
  server_add (server, "/via-proxy", proxy_serve, open,
      (GDestroyNotify) resource_free);
  server_add (server, "/via-auth-proxy", proxy_serve, closed,
      (GDestroyNotify) resource_free);

  f = fetch_new (MODE_PIPELINE);
  f->uri = g_strdup ("http://127.0.0.2:9/via-proxy");
  g_object_set (f->src, "location", f->uri, "proxy", proxy, NULL);
  fetch_play (f);
  fail_unless (fetch_wait (f, 10.0));
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  fail_unless_equals_int (server_count (server, "/via-proxy"), 1);
  fetch_free (f);

  f = fetch_new (MODE_PIPELINE);
  f->uri = g_strdup ("http://127.0.0.2:9/via-auth-proxy");
  g_object_set (f->src, "location", f->uri, "proxy", proxy, "retries", 0, NULL);
  fetch_play (f);
  fail_unless (fetch_wait (f, 10.0));
  assert_error (f, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED, 407);
  fetch_free (f);

  f = fetch_new (MODE_PIPELINE);
  f->uri = g_strdup ("http://127.0.0.2:9/via-auth-proxy");
  g_object_set (f->src, "location", f->uri, "proxy", proxy, "proxy-id",
      "bob", "proxy-pw", "proxypw", NULL);
  fetch_play (f);
  fail_unless (fetch_wait (f, 10.0));
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  fetch_free (f);

  g_free (proxy);
  g_bytes_unref (body);
}

GST_END_TEST;

static Fetch *
run_https (const gchar * path, gboolean strict, GTlsDatabase * db)
{
  Fetch *f = fetch_new (MODE_PIPELINE);

  f->uri = g_strdup_printf ("https://127.0.0.1:%u%s", server->tls_port, path);
  g_object_set (f->src, "location", f->uri, "ssl-strict", strict,
      "retries", 0, NULL);
  if (db)
    g_object_set (f->src, "tls-database", db, NULL);
  fetch_play (f);
  fail_unless (fetch_wait (f, 10.0), "https fetch did not end");
  return f;
}

/* A self-signed server: refused when strict, accepted with ssl-strict=false
 * or with a tls-database that trusts it. A connection accepted by a lax
 * fetch must not carry a strict fetch afterwards (shared session). */
GST_START_TEST (test_https)
{
  GBytes *body = make_body (70000, 27);
  gchar *ca_file;
  GTlsDatabase *db;
  GError *err = NULL;
  Fetch *f;
  gint fd;

  fail_unless (server->tls_port != 0, "the test server has no TLS "
      "(glib-networking missing?)");
  add_resource (server, "/secure.ts", resource_new (body, NULL));

  fd = g_file_open_tmp ("p2p-check-ca-XXXXXX.pem", &ca_file, &err);
  fail_unless (fd >= 0, "%s", err ? err->message : "");
  close (fd);
  fail_unless (g_file_set_contents (ca_file, server->ca_pem, -1, NULL));
  db = g_tls_file_database_new (ca_file, &err);
  fail_unless (db != NULL, "%s", err ? err->message : "");

  f = run_https ("/secure.ts", TRUE, NULL);
  fail_unless (f->error != NULL, "self-signed certificate accepted with "
      "ssl-strict=true");
  assert_resource_error (f);
  fail_unless_equals_int (f->data->len, 0);
  fetch_free (f);

  f = run_https ("/secure.ts", FALSE, NULL);
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  assert_http_headers_both (f, 1, f->uri, 200, NULL, "/secure.ts");
  fetch_free (f);

  /* Right after a lax fetch, on the same host and port. */
  f = run_https ("/secure.ts", TRUE, NULL);
  fail_unless (f->error != NULL, "a strict fetch was served (%u bytes) over "
      "the connection an ssl-strict=false fetch accepted", f->data->len);
  fail_unless_equals_int (f->data->len, 0);
  fetch_free (f);

  f = run_https ("/secure.ts", TRUE, db);
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  fetch_free (f);

  g_object_unref (db);
  g_unlink (ca_file);
  g_free (ca_file);
  g_bytes_unref (body);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Queries                                                                  */
/* ------------------------------------------------------------------------ */

GST_START_TEST (test_harness_and_scheduling_query)
{
  GBytes *body = make_body (40000, 20);
  GstHarness *h;
  GstQuery *q;
  GstSchedulingFlags flags = 0;
  GByteArray *got = g_byte_array_new ();
  gboolean saw_headers = FALSE, saw_eos = FALSE;
  gchar *uri;
  gint64 dur = -1;

  add_resource (server, "/h.ts", resource_new (body, NULL));
  h = gst_harness_new (element_name ());
  uri = server_url (server, "/h.ts");
  g_object_set (h->element, "location", uri, NULL);

  gst_harness_play (h);
  while (got->len < g_bytes_get_size (body)) {
    GstBuffer *b = gst_harness_pull (h);
    GstMapInfo map;
    fail_unless (b != NULL, "no buffer after %u bytes", got->len);
    gst_buffer_map (b, &map, GST_MAP_READ);
    g_byte_array_append (got, map.data, map.size);
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
  }
  fail_unless (memcmp (got->data, g_bytes_get_data (body, NULL),
          got->len) == 0 && got->len == g_bytes_get_size (body));
  while (!saw_eos) {
    GstEvent *e = gst_harness_pull_event (h);
    fail_unless (e != NULL, "no EOS");
    if (GST_EVENT_TYPE (e) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY &&
        gst_event_has_name (e, "http-headers"))
      saw_headers = TRUE;
    if (GST_EVENT_TYPE (e) == GST_EVENT_EOS)
      saw_eos = TRUE;
    gst_event_unref (e);
  }
  fail_unless (saw_headers, "no http-headers event before EOS");

  fail_unless (gst_element_query_duration (h->element, GST_FORMAT_BYTES, &dur));
  fail_unless_equals_int64 (dur, g_bytes_get_size (body));

  q = gst_query_new_scheduling ();
  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_scheduling (q, &flags, NULL, NULL, NULL);
  fail_unless (flags & GST_SCHEDULING_FLAG_BANDWIDTH_LIMITED,
      "scheduling flags 0x%x lack BANDWIDTH_LIMITED", flags);
  gst_query_unref (q);

  gst_harness_teardown (h);
  g_byte_array_unref (got);
  g_free (uri);
  g_bytes_unref (body);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* request-kind                                                             */
/* ------------------------------------------------------------------------ */

static GMutex log_lock;
static GPtrArray *log_lines;

static void
capture_log (GstDebugCategory * cat, GstDebugLevel level, const gchar * file,
    const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (level != GST_LEVEL_INFO ||
      g_strcmp0 (gst_debug_category_get_name (cat), "p2phttpsrc") != 0)
    return;
  g_mutex_lock (&log_lock);
  g_ptr_array_add (log_lines, g_strdup (gst_debug_message_get (message)));
  g_mutex_unlock (&log_lock);
}

static gboolean
log_mentions (const gchar * word)
{
  gboolean found = FALSE;
  guint i;

  g_mutex_lock (&log_lock);
  for (i = 0; i < log_lines->len && !found; i++)
    found = strstr (g_ptr_array_index (log_lines, i), word) != NULL;
  g_mutex_unlock (&log_lock);
  return found;
}

static void
check_kind (FetchMode mode, const gchar * path, const gchar * method,
    const gchar * expected)
{
  Fetch *f;
  gchar *after;

  g_mutex_lock (&log_lock);
  g_ptr_array_set_size (log_lines, 0);
  g_mutex_unlock (&log_lock);

  f = method ? run_fetch (mode, path, "method", method, NULL) :
      run_fetch (mode, path, NULL);
  fail_unless (f->error == NULL, "%s: %s", path, f->error ?
      f->error->message : "");
  fail_unless (f->eos);
  fail_unless (f->kind_at_event != NULL, "%s: no http-headers event", path);
  fail_unless (g_str_equal (f->kind_at_event, expected), "%s (%s): "
      "request-kind \"%s\" when http-headers was pushed, expected \"%s\"",
      path, mode == MODE_PARENTLESS ? "parentless" : "in a pipeline",
      f->kind_at_event, expected);
  after = kind_nick (f->src);
  fail_unless_equals_string (after, expected);
  g_free (after);
  fail_unless (log_mentions (expected), "%s: no INFO line in category "
      "p2phttpsrc mentions \"%s\"", path, expected);
  fetch_free (f);
}

GST_START_TEST (test_request_kind)
{
  static const gchar m3u8_text[] = "#EXTM3U\n#EXT-X-VERSION:3\n"
      "#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg0.ts\n";
  static const gchar mpd_text[] = "<?xml version=\"1.0\"?>\n<MPD xmlns="
      "\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\"></MPD>\n";
  GBytes *m3u8 = g_bytes_new_static (m3u8_text, strlen (m3u8_text));
  GBytes *mpd = g_bytes_new_static (mpd_text, strlen (mpd_text));
  GBytes *key = make_body (16, 21);
  GBytes *media = make_body (2 * 1024 * 1024, 22);

  log_lines = g_ptr_array_new_with_free_func (g_free);
  gst_debug_set_threshold_for_name ("p2phttpsrc", GST_LEVEL_INFO);
  gst_debug_add_log_function (capture_log, NULL, NULL);

  add_resource (server, "/live.m3u8", resource_new (m3u8,
          "application/vnd.apple.mpegurl"));
  add_resource (server, "/sniff.txt", resource_new (m3u8, "text/plain"));
  add_resource (server, "/manifest.mpd", resource_new (mpd,
          "application/dash+xml"));
  add_resource (server, "/sniff.bin", resource_new (mpd,
          "application/octet-stream"));
  add_resource (server, "/aes.key", resource_new (key,
          "application/octet-stream"));
  add_resource (server, "/media.ts", resource_new (media, "video/mp2t"));

  /* A source with a parent (pipeline, urisourcebin): the top resource. */
  check_kind (MODE_PIPELINE, "/live.m3u8", NULL, "manifest");
  check_kind (MODE_PIPELINE, "/media.ts", NULL, "manifest");

  /* Parentless, like GstUriDownloader. */
  check_kind (MODE_PARENTLESS, "/live.m3u8", NULL, "playlist");
  check_kind (MODE_PARENTLESS, "/sniff.txt", NULL, "playlist");
  check_kind (MODE_PARENTLESS, "/manifest.mpd", NULL, "playlist");
  check_kind (MODE_PARENTLESS, "/sniff.bin", NULL, "playlist");
  check_kind (MODE_PARENTLESS, "/aes.key", NULL, "key");
  check_kind (MODE_PARENTLESS, "/media.ts", "HEAD", "clock-sync");
  check_kind (MODE_PARENTLESS, "/media.ts", NULL, "other");

  gst_debug_remove_log_function (capture_log);
  g_ptr_array_unref (log_lines);
  g_bytes_unref (m3u8);
  g_bytes_unref (mpd);
  g_bytes_unref (key);
  g_bytes_unref (media);
}

GST_END_TEST;

/* A parentless source delivers its data and the http-headers event like a
 * pipeline one (GstUriDownloader reads Date from it for UTCTiming). */
GST_START_TEST (test_parentless_fetch)
{
  GBytes *body = make_body (90000, 23);
  Fetch *f;

  add_resource (server, "/p.bin", resource_new (body, NULL));
  f = run_fetch (MODE_PARENTLESS, "/p.bin", NULL);
  assert_eos_with (f, body, 0, g_bytes_get_size (body));
  assert_http_headers_both (f, 1, f->uri, 200, NULL, "/p.bin");
  assert_uri_query (f, f->uri, NULL, FALSE);
  fetch_free (f);

  f = run_fetch (MODE_PARENTLESS, "/absent", NULL);
  assert_error (f, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, 404);
  fetch_free (f);
  g_bytes_unref (body);
}

GST_END_TEST;

static Suite *
p2phttpsrc_suite (void)
{
  Suite *s = suite_create ("p2phttpsrc");
  TCase *tc;

  tc = tcase_create ("registration");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_registration);
  tcase_add_test (tc, test_property_parity);

  tc = tcase_create ("http");
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 30);
  tcase_add_checked_fixture (tc, server_setup, server_teardown);
  tcase_add_test (tc, test_get_200);
  tcase_add_test (tc, test_status_errors);
  tcase_add_test (tc, test_basic_auth);
  tcase_add_test (tc, test_redirects);
  tcase_add_test (tc, test_request_headers);
  tcase_add_test (tc, test_head);
  tcase_add_test (tc, test_range_seek_in_ready);
  tcase_add_test (tc, test_range_ignored);
  tcase_add_test (tc, test_416);
  tcase_add_test (tc, test_seek_while_playing);
  tcase_add_test (tc, test_seek_while_stalled);
  tcase_add_test (tc, test_reuse_for_several_uris);
  tcase_add_test (tc, test_chunked);
  tcase_add_test (tc, test_gzip);
  tcase_add_test (tc, test_large_body);
  tcase_add_test (tc, test_connection_reset_resumes);
  tcase_add_test (tc, test_short_body_resumes);
  tcase_add_test (tc, test_short_body_never_eos);
  tcase_add_test (tc, test_oversized_headers);
  tcase_add_test (tc, test_connection_refused);
  tcase_add_test (tc, test_timeout_stall_after_headers);
  tcase_add_test (tc, test_timeout_never_answers);
  tcase_add_test (tc, test_unlock_stalled);
  tcase_add_test (tc, test_connection_reuse);
  tcase_add_test (tc, test_proxy);
  tcase_add_test (tc, test_https);
  tcase_add_test (tc, test_harness_and_scheduling_query);
  tcase_add_test (tc, test_request_kind);
  tcase_add_test (tc, test_parentless_fetch);

  return s;
}

GST_CHECK_MAIN (p2phttpsrc);
