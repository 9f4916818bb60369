/* Tracker test helpers. See trackertest.h.
 *
 * Threads: the test's main thread, global default main context.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "trackertest.h"

const gchar *
test_tracker_binary (void)
{
  static gchar *path;
  const gchar *root = g_getenv ("GST_P2P_BUILD_ROOT");

  if (!root)
    g_error ("GST_P2P_BUILD_ROOT is not set: run through meson test");
  if (!path)
    path = g_build_filename (root, "tools", "tracker", "gst-p2p-tracker", NULL);
  return path;
}

static void
write_datum (const gchar * path, gnutls_datum_t * d)
{
  g_assert_true (g_file_set_contents (path, (const gchar *) d->data, d->size,
          NULL));
  gnutls_free (d->data);
}

/**
 * test_make_certificate:
 * @cert_path: where to write the PEM certificate
 * @key_path: where to write the PEM private key
 *
 * A self-signed ECDSA P-256 certificate for 127.0.0.1, valid for a day,
 * made with GnuTLS so the tests need no openssl binary.
 */
void
test_make_certificate (const gchar * cert_path, const gchar * key_path)
{
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t out;
  const guint8 serial[] = { 0x01, 0x02, 0x03 };
  const guint8 lo[] = { 127, 0, 0, 1 };
  time_t now = time (NULL);

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
          GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  gnutls_x509_crt_set_version (crt, 3);
  gnutls_x509_crt_set_serial (crt, serial, sizeof (serial));
  gnutls_x509_crt_set_activation_time (crt, now - 60);
  gnutls_x509_crt_set_expiration_time (crt, now + 86400);
  gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
      "127.0.0.1", 9);
  gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, lo,
      sizeof (lo), GNUTLS_FSAN_SET);
  gnutls_x509_crt_set_key (crt, key);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256,
          0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out),
      ==, 0);
  write_datum (cert_path, &out);
  g_assert_cmpint (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM,
          &out), ==, 0);
  write_datum (key_path, &out);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
}

static guint16
free_port (void)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound;
  guint16 port;

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (any);
  g_object_unref (lo);
  g_socket_close (s, NULL);
  g_object_unref (s);
  return port;
}

/**
 * test_tracker_new:
 * @config_lines: (nullable): extra "key=value" lines for the [tracker] group
 * @with_secret: write a secret file and pass it
 *
 * Prepares a tracker in a fresh temporary directory; start it with
 * test_tracker_start().
 */
TestTracker *
test_tracker_new (const gchar * config_lines, gboolean with_secret)
{
  TestTracker *t = g_new0 (TestTracker, 1);
  gchar *config;

  t->dir = g_dir_make_tmp ("p2p-tracker-XXXXXX", NULL);
  g_assert_nonnull (t->dir);
  t->port = free_port ();
  t->url = g_strdup_printf ("ws://127.0.0.1:%u/", t->port);
  t->metrics_url = g_strdup_printf ("http://127.0.0.1:%u/metrics", t->port);
  t->config_path = g_build_filename (t->dir, "tracker.conf", NULL);
  t->log_path = g_build_filename (t->dir, "tracker.log", NULL);
  config = g_strdup_printf ("[tracker]\nmax-clients-per-ip=0\n%s\n",
      config_lines ? config_lines : "");
  g_assert_true (g_file_set_contents (t->config_path, config, -1, NULL));
  g_free (config);
  if (with_secret) {
    t->secret_path = g_build_filename (t->dir, "secret", NULL);
    g_assert_true (g_file_set_contents (t->secret_path,
            "test-secret-0123456789abcdef\n", -1, NULL));
    g_chmod (t->secret_path, 0600);
  }
  return t;
}

static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
can_connect (gpointer data)
{
  TestTracker *t = data;
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", t->port, NULL,
      NULL);
  g_object_unref (client);
  if (!conn)
    return FALSE;
  g_object_unref (conn);
  return TRUE;
}

/**
 * test_tracker_start:
 * @t: a prepared tracker
 *
 * Spawns the tracker (again, after a kill: same port) and waits until it
 * accepts connections.
 *
 * Returns: TRUE if it is up within 5 s.
 */
gboolean
test_tracker_start (TestTracker * t)
{
  GSubprocessLauncher *l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  gchar *listen = g_strdup_printf ("127.0.0.1:%u", t->port);
  const gchar *argv[16] = { test_tracker_binary (), "--listen", listen,
    "--config", t->config_path, "--verbose", NULL
  };
  GError *err = NULL;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  gboolean up = FALSE;

  guint n = 6;

  if (t->secret_path) {
    argv[n++] = "--secret-file";
    argv[n++] = t->secret_path;
  }
  if (t->cert_path) {
    argv[n++] = "--tls-cert";
    argv[n++] = t->cert_path;
    argv[n++] = "--tls-key";
    argv[n++] = t->key_path;
  }
  g_clear_object (&t->proc);
  g_subprocess_launcher_set_child_setup (l, child_setup, NULL, NULL);
  g_subprocess_launcher_set_stderr_file_path (l, t->log_path);
  t->proc = g_subprocess_launcher_spawnv (l, argv, &err);
  g_assert_no_error (err);
  g_object_unref (l);
  g_free (listen);

  while (!up && g_get_monotonic_time () < deadline) {
    up = can_connect (t);
    if (!up)
      g_usleep (20000);
  }
  return up;
}

/**
 * test_tracker_kill:
 * @t: a tracker
 * @sig: the signal to send
 */
void
test_tracker_kill (TestTracker * t, gint sig)
{
  if (t->proc)
    g_subprocess_send_signal (t->proc, sig);
}

static void
wait_done (GObject * src, GAsyncResult * res, gpointer data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (src), res, NULL);
  *(gboolean *) data = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

/**
 * test_tracker_wait:
 * @t: a tracker
 * @timeout_ms: how long to wait for its exit
 *
 * Returns: its exit code, 128 + signal if killed, -1 on timeout.
 */
gint
test_tracker_wait (TestTracker * t, guint timeout_ms)
{
  gboolean done = FALSE;
  gint ret;

  g_subprocess_wait_async (t->proc, NULL, wait_done, &done);
  if (!test_spin_until (is_true, &done, timeout_ms))
    return -1;
  if (g_subprocess_get_if_exited (t->proc))
    ret = g_subprocess_get_exit_status (t->proc);
  else
    ret = 128 + g_subprocess_get_term_sig (t->proc);
  g_clear_object (&t->proc);
  return ret;
}

/**
 * test_tracker_free:
 * @t: a tracker; killed if still running, its directory removed
 */
void
test_tracker_free (TestTracker * t)
{
  if (t->proc) {
    test_tracker_kill (t, SIGKILL);
    g_subprocess_wait (t->proc, NULL, NULL);
    g_clear_object (&t->proc);
  }
  g_unlink (t->config_path);
  g_unlink (t->log_path);
  if (t->secret_path)
    g_unlink (t->secret_path);
  if (t->cert_path) {
    g_unlink (t->cert_path);
    g_unlink (t->key_path);
  }
  g_rmdir (t->dir);
  g_free (t->cert_path);
  g_free (t->key_path);
  g_free (t->dir);
  g_free (t->config_path);
  g_free (t->secret_path);
  g_free (t->log_path);
  g_free (t->url);
  g_free (t->metrics_url);
  g_free (t);
}

/**
 * test_tracker_metrics:
 * @t: a running tracker
 *
 * Returns: (transfer full): the body of GET /metrics; the test fails if the
 * status is not 200 or the type is not Prometheus text.
 */
gchar *
test_tracker_metrics (TestTracker * t)
{
  SoupSession *s = soup_session_new ();
  SoupMessage *msg = soup_message_new ("GET", t->metrics_url);
  GError *err = NULL;
  GBytes *body = soup_session_send_and_read (s, msg, NULL, &err);
  gchar *text;

  g_assert_no_error (err);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type
          (soup_message_get_response_headers (msg), NULL), "text/plain"));
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_bytes_unref (body);
  g_object_unref (msg);
  g_object_unref (s);
  return text;
}

/**
 * test_metric:
 * @metrics: a /metrics body
 * @series: series name with labels, e.g. rejects_total{reason="bad-json"}
 *   (the gst_p2p_tracker_ prefix is added)
 *
 * Returns: the value; the test fails if the series is absent.
 */
guint64
test_metric (const gchar * metrics, const gchar * series)
{
  gchar *needle = g_strdup_printf ("\ngst_p2p_tracker_%s ", series);
  const gchar *p = strstr (metrics, needle);
  guint64 v;

  if (!p)
    g_error ("metric %s missing from:\n%s", series, metrics);
  v = g_ascii_strtoull (p + strlen (needle), NULL, 10);
  g_free (needle);
  return v;
}

/**
 * test_tracker_token:
 * @t: a tracker with a secret
 * @swarm: swarm id
 * @extra_arg: (nullable): one more argument, e.g. "--role=publisher"
 *
 * Runs `gst-p2p-tracker --make-token` like an operator would.
 */
gchar *
test_tracker_token (TestTracker * t, const gchar * swarm,
    const gchar * extra_arg)
{
  const gchar *argv[] = { test_tracker_binary (), "--make-token",
    "--secret-file", t->secret_path, "--swarm", swarm, extra_arg, NULL
  };
  gchar *out = NULL;
  gint status;
  GError *err = NULL;

  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
      &out, NULL, &status, &err);
  g_assert_no_error (err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_strstrip (out);
  g_assert_true (g_str_has_prefix (out, "v1."));
  return out;
}

/* ---------------------------------------------------------------- */

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/**
 * test_spin_until:
 * @cond: predicate
 * @data: its argument
 * @timeout_ms: deadline
 *
 * Iterates the default main context until @cond holds.
 *
 * Returns: FALSE on timeout.
 */
gboolean
test_spin_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000LL;
  guint id = g_timeout_add (5, tick, NULL);
  gboolean ok;

  while (!(ok = cond (data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
  return ok;
}

static void
on_ws_message (SoupWebsocketConnection * conn, gint type, GBytes * message,
    TestWs * ws)
{
  g_queue_push_tail (&ws->messages, g_strndup (g_bytes_get_data (message,
              NULL), g_bytes_get_size (message)));
}

static void
on_ws_closed (SoupWebsocketConnection * conn, TestWs * ws)
{
  ws->closed = TRUE;
  ws->close_code = soup_websocket_connection_get_close_code (conn);
}

typedef struct
{
  gboolean done;
  SoupWebsocketConnection *conn;
  GError *error;
} ConnectResult;

static void
on_connect (GObject * src, GAsyncResult * res, gpointer data)
{
  ConnectResult *r = data;

  r->conn = soup_session_websocket_connect_finish (SOUP_SESSION (src), res,
      &r->error);
  r->done = TRUE;
}

static gboolean
connect_done (gpointer data)
{
  return ((ConnectResult *) data)->done;
}

/**
 * test_ws_connect:
 * @url: ws:// URL
 *
 * Returns: (nullable): a connected client, or NULL if the handshake failed.
 */
/* Trusts exactly @trusted: the tracker's self-signed test certificate. */
static gboolean
accept_pinned (SoupMessage * msg, GTlsCertificate * cert,
    GTlsCertificateFlags errors, gpointer trusted)
{
  return g_tls_certificate_is_same (cert, trusted);
}

TestWs *
test_ws_connect (const gchar * url)
{
  return test_ws_connect_tls (url, NULL);
}

/**
 * test_ws_connect_tls:
 * @url: ws:// or wss:// URL
 * @trusted: (nullable): the only certificate accepted for wss://
 *
 * Returns: (nullable): a connected client, or NULL if the handshake failed.
 */
TestWs *
test_ws_connect_tls (const gchar * url, GTlsCertificate * trusted)
{
  TestWs *ws = g_new0 (TestWs, 1);
  SoupMessage *msg = soup_message_new ("GET", url);
  ConnectResult r = { 0 };

  if (trusted)
    g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_pinned),
        trusted);
  ws->session = soup_session_new ();
  soup_session_websocket_connect_async (ws->session, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, NULL, on_connect, &r);
  g_object_unref (msg);
  g_assert_true (test_spin_until (connect_done, &r, 5000));
  if (!r.conn) {
    g_clear_error (&r.error);
    g_object_unref (ws->session);
    g_free (ws);
    return NULL;
  }
  ws->conn = r.conn;
  g_queue_init (&ws->messages);
  /* Big enough for any frame the tests provoke. */
  soup_websocket_connection_set_max_incoming_payload_size (ws->conn,
      4 * 1024 * 1024);
  g_signal_connect (ws->conn, "message", G_CALLBACK (on_ws_message), ws);
  g_signal_connect (ws->conn, "closed", G_CALLBACK (on_ws_closed), ws);
  return ws;
}

void
test_ws_send (TestWs * ws, const gchar * text)
{
  soup_websocket_connection_send_text (ws->conn, text);
}

void
test_ws_send_binary (TestWs * ws, gsize size)
{
  gpointer data = g_malloc0 (size);

  soup_websocket_connection_send_binary (ws->conn, data, size);
  g_free (data);
}

static gboolean
has_message_or_closed (gpointer data)
{
  TestWs *ws = data;

  return ws->messages.length > 0 || ws->closed;
}

/**
 * test_ws_recv:
 * @ws: a client
 * @timeout_ms: deadline
 *
 * Returns: (transfer full) (nullable): the next message, NULL on timeout or
 * close. A message that is not a JSON object fails the test.
 */
JsonObject *
test_ws_recv (TestWs * ws, guint timeout_ms)
{
  gchar *text;
  JsonParser *p;
  JsonObject *obj;
  GError *err = NULL;

  test_spin_until (has_message_or_closed, ws, timeout_ms);
  text = g_queue_pop_head (&ws->messages);
  if (!text)
    return NULL;
  p = json_parser_new ();
  json_parser_load_from_data (p, text, -1, &err);
  g_assert_no_error (err);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)));
  obj = json_object_ref (json_node_get_object (json_parser_get_root (p)));
  g_object_unref (p);
  g_free (text);
  return obj;
}

/**
 * test_ws_expect:
 * @ws: a client
 * @type: the type the next message must have
 * @timeout_ms: deadline
 *
 * Returns: (transfer full): the message; the test fails otherwise.
 */
JsonObject *
test_ws_expect (TestWs * ws, const gchar * type, guint timeout_ms)
{
  JsonObject *obj = test_ws_recv (ws, timeout_ms);

  if (!obj)
    g_error ("expected a '%s' message, got none (closed: %d)", type,
        ws->closed);
  if (g_strcmp0 (test_json_str (obj, "type"), type) != 0) {
    JsonNode *n = json_node_init_object (json_node_alloc (), obj);
    gchar *s = json_to_string (n, FALSE);

    g_error ("expected a '%s' message, got %s", type, s);
  }
  return obj;
}

static gboolean
is_closed (gpointer data)
{
  return ((TestWs *) data)->closed;
}

gboolean
test_ws_wait_closed (TestWs * ws, guint timeout_ms)
{
  return test_spin_until (is_closed, ws, timeout_ms);
}

void
test_ws_free (TestWs * ws)
{
  if (!ws)
    return;
  if (!ws->closed) {
    soup_websocket_connection_close (ws->conn, SOUP_WEBSOCKET_CLOSE_NORMAL,
        NULL);
    test_ws_wait_closed (ws, 2000);
  }
  g_signal_handlers_disconnect_by_data (ws->conn, ws);
  g_object_unref (ws->conn);
  g_object_unref (ws->session);
  g_queue_clear_full (&ws->messages, g_free);
  g_free (ws);
}

/**
 * test_json_str:
 * @obj: an object
 * @member: member name
 *
 * Returns: (nullable): the string member, NULL if absent or not a string.
 */
const gchar *
test_json_str (JsonObject * obj, const gchar * member)
{
  JsonNode *n = json_object_get_member (obj, member);

  if (!n || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}
