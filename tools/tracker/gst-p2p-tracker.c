/* gst-p2p-tracker: tracker and signalling server of gst-p2p.
 *
 * Command line, configuration, TLS, signals and logging around
 * GstP2pTrackerServer; `--make-token` issues join tokens. Operating it is
 * described in docs/tracker.md, the protocol in docs/signalling.md.
 *
 * Threads: one. The server runs on the default main context; SIGINT and
 * SIGTERM are delivered there through g_unix_signal_add().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gio/gio.h>

#include "gstp2ptrackerconfig.h"
#include "gstp2ptrackerserver.h"
#include "gstp2ptrackersecret.h"

static gboolean verbose;

static void
log_to_stderr (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  const gchar *tag = "info";
  GDateTime *now;
  gchar *stamp;

  if ((level & G_LOG_LEVEL_DEBUG) && !verbose)
    return;
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    tag = "error";
  else if (level & G_LOG_LEVEL_WARNING)
    tag = "warning";
  else if (level & G_LOG_LEVEL_DEBUG)
    tag = "debug";

  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  fprintf (stderr, "%s gst-p2p-tracker[%d] %s: %s\n", stamp, (int) getpid (),
      tag, message);
  g_free (stamp);
  g_date_time_unref (now);
}

/* Parses HOST:PORT, [IPV6]:PORT or :PORT. Host names are resolved once at
 * start-up. */
static GSocketAddress *
parse_listen (const gchar * listen, GError ** error)
{
  GSocketConnectable *conn;
  GSocketAddressEnumerator *en;
  GSocketAddress *addr;
  gchar *str = g_str_has_prefix (listen, ":") ?
      g_strconcat ("0.0.0.0", listen, NULL) : g_strdup (listen);

  conn = g_network_address_parse (str, 0, error);
  g_free (str);
  if (!conn)
    return NULL;
  if (g_network_address_get_port (G_NETWORK_ADDRESS (conn)) == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "--listen needs HOST:PORT, got '%s'", listen);
    g_object_unref (conn);
    return NULL;
  }
  en = g_socket_connectable_enumerate (conn);
  addr = g_socket_address_enumerator_next (en, NULL, error);
  g_object_unref (en);
  g_object_unref (conn);
  return addr;
}

/* Each client is a file descriptor: lift the soft limit as far as allowed,
 * and say so if max-clients still does not fit. */
static void
raise_fd_limit (guint max_clients)
{
  struct rlimit rl;
  rlim_t want = (rlim_t) max_clients + 64;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return;
  if (rl.rlim_cur >= want)
    return;
  if (rl.rlim_max < want) {
    struct rlimit more = { want, want };

    /* Only privileged processes may raise the hard limit. */
    if (setrlimit (RLIMIT_NOFILE, &more) == 0)
      return;
  }
  rl.rlim_cur = MIN (want, rl.rlim_max);
  setrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want)
    g_warning ("open files limited to %lu: fewer than max-clients=%u "
        "clients will fit", (unsigned long) rl.rlim_cur, max_clients);
}

/* GMainContext walks every source and polls every descriptor at each
 * iteration, so with one WebSocket per viewer every iteration costs
 * O(clients) (perf at 10k clients: g_main_context_check/prepare/query,
 * g_source_ref and the kernel's sock_poll dominate; the tracker's own work
 * is noise). Spacing polls by loop-batch-us-per-client per descriptor,
 * capped at loop-batch-max-ms, lets messages accumulate and be dispatched by
 * one iteration: fewer iterations, the same work per message, and a few
 * tens of milliseconds of added relay latency at 10k clients. */
static guint batch_max_us;
static guint batch_us_per_fd;
static gint64 last_poll_us;

static gint
batched_poll (GPollFD * fds, guint nfds, gint timeout)
{
  gint64 spacing = MIN ((gint64) nfds * batch_us_per_fd,
      (gint64) batch_max_us);
  gint64 wait = last_poll_us + spacing - g_get_monotonic_time ();
  gint ret;

  if (wait > 0 && timeout != 0) {
    g_usleep (wait);
    if (timeout > 0)
      timeout = MAX (0, timeout - (gint) (wait / 1000));
  }
  ret = g_poll (fds, nfds, timeout);
  last_poll_us = g_get_monotonic_time ();
  return ret;
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
make_token (const gchar * secret_file, const gchar * swarm, gint64 ttl,
    gint64 expiry, const gchar * role)
{
  GError *err = NULL;
  GBytes *secret;
  gchar *token;
  GstP2pTokenRole r;

  if (!secret_file || !swarm) {
    g_printerr ("--make-token needs --secret-file and --swarm\n");
    return 2;
  }
  if (!role || strcmp (role, "viewer") == 0) {
    r = GST_P2P_TOKEN_ROLE_VIEWER;
  } else if (strcmp (role, "publisher") == 0) {
    r = GST_P2P_TOKEN_ROLE_PUBLISHER;
  } else {
    g_printerr ("--role is 'viewer' or 'publisher'\n");
    return 2;
  }
  secret = gst_p2p_tracker_secret_load (secret_file, &err);
  if (!secret) {
    g_printerr ("%s\n", err->message);
    g_error_free (err);
    return 1;
  }
  if (expiry < 0)
    expiry = g_get_real_time () / G_USEC_PER_SEC + ttl;
  token = gst_p2p_token_make (secret, swarm, expiry, r);
  g_print ("%s\n", token);
  g_free (token);
  g_bytes_unref (secret);
  return 0;
}

int
main (int argc, char **argv)
{
  gchar *listen = NULL, *tls_cert = NULL, *tls_key = NULL;
  gchar *secret_file = NULL, *config_file = NULL, *swarm = NULL;
  gchar *role = NULL;
  gboolean do_make_token = FALSE, version = FALSE;
  gint64 ttl = 3600, expiry = -1;
  GOptionEntry entries[] = {
    {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
        "Address to listen on (default 127.0.0.1:8460)", "HOST:PORT"},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
        "PEM certificate (chain): serve wss:// and https://", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
        "PEM private key of --tls-cert", "FILE"},
    {"secret-file", 0, 0, G_OPTION_ARG_FILENAME, &secret_file,
        "Secret that signs join tokens (none: open tracker)", "FILE"},
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file,
        "Key file with a [tracker] group (docs/tracker.md)", "FILE"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
        "Log every connection and reject", NULL},
    {"make-token", 0, 0, G_OPTION_ARG_NONE, &do_make_token,
        "Print a join token and exit", NULL},
    {"swarm", 0, 0, G_OPTION_ARG_STRING, &swarm,
        "Swarm id of --make-token", "ID"},
    {"ttl", 0, 0, G_OPTION_ARG_INT64, &ttl,
        "Lifetime of --make-token in seconds (default 3600)", "SECONDS"},
    {"expiry", 0, 0, G_OPTION_ARG_INT64, &expiry,
          "Absolute expiry of --make-token (Unix time), overrides --ttl",
        "UNIXTIME"},
    {"role", 0, 0, G_OPTION_ARG_STRING, &role,
        "Role of --make-token: viewer (default) or publisher", "ROLE"},
    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print version", NULL},
    {NULL}
  };
  GOptionContext *ctx;
  GstP2pTrackerConfig config;
  GstP2pTrackerServer *server;
  GSocketAddress *addr;
  GTlsCertificate *cert = NULL;
  GBytes *secret = NULL;
  GMainLoop *loop;
  GError *err = NULL;
  gint64 deadline;
  int ret = 1;

  g_log_set_default_handler (log_to_stderr, NULL);

  ctx = g_option_context_new ("- gst-p2p tracker and signalling server");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    g_error_free (err);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  if (version) {
    g_print ("gst-p2p-tracker %s\n", PACKAGE_VERSION);
    return 0;
  }
  if (do_make_token)
    return make_token (secret_file, swarm, ttl, expiry, role);

  gst_p2p_tracker_config_init (&config);
  if (config_file && !gst_p2p_tracker_config_load (&config, config_file, &err)) {
    g_critical ("%s", err->message);
    g_error_free (err);
    goto out;
  }
  /* Flags win over the file. */
  if (listen) {
    g_free (config.listen);
    config.listen = g_strdup (listen);
  }
  if (tls_cert) {
    g_free (config.tls_cert);
    config.tls_cert = g_strdup (tls_cert);
  }
  if (tls_key) {
    g_free (config.tls_key);
    config.tls_key = g_strdup (tls_key);
  }
  if (secret_file) {
    g_free (config.secret_file);
    config.secret_file = g_strdup (secret_file);
  }

  if (config.secret_file) {
    secret = gst_p2p_tracker_secret_load (config.secret_file, &err);
    if (!secret) {
      g_critical ("%s", err->message);
      g_error_free (err);
      goto out;
    }
  } else {
    g_warning ("no --secret-file: this is an OPEN tracker, anyone may join "
        "any swarm and nobody may publish");
  }

  if (!!config.tls_cert != !!config.tls_key) {
    g_critical ("--tls-cert and --tls-key go together");
    goto out;
  }
  if (config.tls_cert) {
    cert = g_tls_certificate_new_from_files (config.tls_cert, config.tls_key,
        &err);
    if (!cert) {
      g_critical ("TLS: %s", err->message);
      g_error_free (err);
      goto out;
    }
  }

  addr = parse_listen (config.listen, &err);
  if (!addr) {
    g_critical ("--listen %s: %s", config.listen,
        err ? err->message : "no address");
    g_clear_error (&err);
    goto out;
  }

  raise_fd_limit (config.max_clients);
  /* A peer that vanishes mid-write must not kill the process. */
  signal (SIGPIPE, SIG_IGN);

  batch_max_us = config.loop_batch_max_ms * 1000;
  batch_us_per_fd = config.loop_batch_us_per_client;
  if (batch_max_us && batch_us_per_fd)
    g_main_context_set_poll_func (NULL, batched_poll);
  loop = g_main_loop_new (NULL, FALSE);
  server = gst_p2p_tracker_server_new (&config, secret);
  if (!gst_p2p_tracker_server_listen (server, addr, cert, &err)) {
    g_critical ("listen on %s: %s", config.listen, err->message);
    g_error_free (err);
    gst_p2p_tracker_server_free (server);
    g_object_unref (addr);
    g_main_loop_unref (loop);
    goto out;
  }
  g_object_unref (addr);
  g_message ("listening on %s://%s/ (metrics %s), max-clients=%u",
      cert ? "wss" : "ws", config.listen, config.metrics ? "/metrics" : "off",
      config.max_clients);

  g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  g_main_loop_run (loop);

  /* Say goodbye to every client, give the closes up to 2 s to go out. */
  gst_p2p_tracker_server_shutdown (server);
  deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (gst_p2p_tracker_server_get_n_clients (server) > 0
      && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  gst_p2p_tracker_server_free (server);
  g_main_loop_unref (loop);
  g_message ("stopped");
  ret = 0;

out:
  g_clear_object (&cert);
  g_clear_pointer (&secret, g_bytes_unref);
  gst_p2p_tracker_config_clear (&config);
  g_free (listen);
  g_free (tls_cert);
  g_free (tls_key);
  g_free (secret_file);
  g_free (config_file);
  g_free (swarm);
  g_free (role);
  return ret;
}
