/* p2p-tracker-bench: how many concurrent viewers one gst-p2p-tracker holds.
 *
 * The coordinator starts the real tracker on a free loopback port and a few
 * load-generator worker processes (this program with --worker), each holding
 * thousands of libsoup WebSocket clients bound to a source address of its
 * own (127.0.0.2, .3, ...: ~28k ephemeral ports per source address). It
 * ramps the number of joined viewers step by step; at each step the viewers
 * behave like real ones (ping every 15 s, peer list every 30 s, spread
 * evenly) and it measures the tracker's RSS (/proc/<pid>/status), its CPU
 * over a steady-state window (/proc/<pid>/stat), and the relay latency of
 * signals between two dedicated clients (p50/p99). The step with no load is
 * the baseline every other row is compared with; wt-tracker's published
 * figure (~100k peers in 1.2 GB at half a core) is the external anchor.
 *
 * Threads: one per process; workers run the default main context, the
 * coordinator blocks on its children's pipes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#define SWARM_SIZE 50
#define PING_PERIOD_S 15
#define PEERS_PERIOD_S 30
#define TICK_MS 100
#define MAX_IN_FLIGHT 128
#define LAT_PERIOD_MS 66

/* ------------------------------------------------------------------ */
/* Worker: holds clients, reports on stdout */

typedef struct _Worker Worker;

typedef struct
{
  Worker *w;
  guint idx;
  SoupWebsocketConnection *conn;
  gboolean joined;
  gboolean dead;
} BClient;

struct _Worker
{
  guint id;
  gchar *url;
  SoupSession *session;
  GPtrArray *clients;           /* BClient* */
  guint target;
  guint in_flight;
  guint joined;
  guint failed;
  guint ping_cursor;
  guint peers_cursor;
  gboolean reported;
  /* latency pair */
  SoupWebsocketConnection *lat_a, *lat_b;
  gboolean lat_a_joined, lat_b_joined;
  GArray *lat_samples;          /* gint64 us */
  guint lat_wanted;
  guint lat_sent;
  guint lat_ticks;
};

static void worker_fill (Worker * w);
static void lat_report (Worker * w);

static void
on_network_event (SoupMessage * msg, GSocketClientEvent event,
    GIOStream * connection, gpointer data)
{
  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection))
    g_socket_set_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION
            (connection)), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static SoupMessage *
ws_message (Worker * w)
{
  SoupMessage *msg = soup_message_new ("GET", w->url);

  g_signal_connect (msg, "network-event", G_CALLBACK (on_network_event), NULL);
  return msg;
}

static void
reply (const gchar * fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

static void
check_target (Worker * w)
{
  if (!w->reported && w->joined + w->failed >= w->target) {
    w->reported = TRUE;
    reply ("held %u failed %u", w->joined, w->failed);
  }
}

static void
on_client_message (SoupWebsocketConnection * conn, gint type, GBytes * msg,
    BClient * c)
{
  gsize n;
  const gchar *d = g_bytes_get_data (msg, &n);

  /* Cheap: the only message a bench client cares about is its welcome. */
  if (!c->joined && n > 16 && memcmp (d, "{\"type\":\"welcome\"", 17) == 0) {
    c->joined = TRUE;
    c->w->joined++;
    check_target (c->w);
  }
}

static void
on_client_closed (SoupWebsocketConnection * conn, BClient * c)
{
  if (c->dead)
    return;
  c->dead = TRUE;
  if (c->joined)
    c->w->joined--;
  c->w->failed++;
  check_target (c->w);
}

static void
on_client_connected (GObject * src, GAsyncResult * res, gpointer data)
{
  BClient *c = data;
  Worker *w = c->w;
  GError *err = NULL;
  gchar *join;

  w->in_flight--;
  c->conn = soup_session_websocket_connect_finish (SOUP_SESSION (src), res,
      &err);
  if (!c->conn) {
    if (w->failed < 5)
      g_printerr ("worker %u: connect failed: %s\n", w->id, err->message);
    g_error_free (err);
    c->dead = TRUE;
    w->failed++;
    check_target (w);
    worker_fill (w);
    return;
  }
  soup_websocket_connection_set_keepalive_interval (c->conn, 0);
  g_signal_connect (c->conn, "message", G_CALLBACK (on_client_message), c);
  g_signal_connect (c->conn, "closed", G_CALLBACK (on_client_closed), c);
  join = g_strdup_printf ("{\"type\":\"join\",\"swarm\":\"bench-%u-%u\","
      "\"peer\":\"w%u-%u\",\"caps\":{\"up\":1}}", w->id,
      c->idx / SWARM_SIZE, w->id, c->idx);
  soup_websocket_connection_send_text (c->conn, join);
  g_free (join);
  worker_fill (w);
}

static void
connect_one (Worker * w, BClient * c)
{
  SoupMessage *msg = ws_message (w);

  w->in_flight++;
  soup_session_websocket_connect_async (w->session, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, NULL, on_client_connected, c);
  g_object_unref (msg);
}

static void
worker_fill (Worker * w)
{
  while (w->clients->len < w->target && w->in_flight < MAX_IN_FLIGHT) {
    BClient *c = g_new0 (BClient, 1);

    c->w = w;
    c->idx = w->clients->len;
    g_ptr_array_add (w->clients, c);
    connect_one (w, c);
  }
}

/* Spreads pings and peer requests evenly over their periods. */
static gboolean
worker_tick (gpointer data)
{
  Worker *w = data;
  guint n = w->clients->len, i;
  guint pings = (n * TICK_MS + PING_PERIOD_S * 1000 - 1) /
      (PING_PERIOD_S * 1000);
  guint peers = (n * TICK_MS + PEERS_PERIOD_S * 1000 - 1) /
      (PEERS_PERIOD_S * 1000);

  for (i = 0; n && i < pings; i++) {
    BClient *c = g_ptr_array_index (w->clients, w->ping_cursor++ % n);

    if (c->joined && !c->dead)
      soup_websocket_connection_send_text (c->conn, "{\"type\":\"ping\"}");
  }
  for (i = 0; n && i < peers; i++) {
    BClient *c = g_ptr_array_index (w->clients, w->peers_cursor++ % n);

    if (c->joined && !c->dead)
      soup_websocket_connection_send_text (c->conn, "{\"type\":\"peers\"}");
  }
  /* The latency pair pings every 5 s: its signals alone already use most of
   * the tracker's default rate limit. */
  if (w->lat_a && w->lat_a_joined && w->lat_b_joined
      && ++w->lat_ticks % (5000 / TICK_MS) == 0) {
    soup_websocket_connection_send_text (w->lat_a, "{\"type\":\"ping\"}");
    soup_websocket_connection_send_text (w->lat_b, "{\"type\":\"ping\"}");
  }
  return G_SOURCE_CONTINUE;
}

static gint
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
on_lat_message (SoupWebsocketConnection * conn, gint type, GBytes * msg,
    Worker * w)
{
  gsize n;
  const gchar *d = g_bytes_get_data (msg, &n);
  gchar *text = g_strndup (d, n);
  const gchar *t;

  if (strstr (text, "\"type\":\"welcome\"")) {
    if (conn == w->lat_a)
      w->lat_a_joined = TRUE;
    else
      w->lat_b_joined = TRUE;
    if (w->lat_a_joined && w->lat_b_joined)
      reply ("lat-ready");
  } else if (conn == w->lat_b && (t = strstr (text, "\"t\":"))) {
    gint64 sent = g_ascii_strtoll (t + 4, NULL, 10);
    gint64 d_us = g_get_monotonic_time () - sent;

    if (w->lat_wanted) {
      g_array_append_val (w->lat_samples, d_us);
      if (w->lat_samples->len == w->lat_wanted)
        lat_report (w);
    }
  }
  g_free (text);
}

static gboolean
lat_send (gpointer data)
{
  Worker *w = data;
  gchar *text;

  if (w->lat_sent >= w->lat_wanted)
    return G_SOURCE_REMOVE;
  w->lat_sent++;
  text = g_strdup_printf ("{\"type\":\"signal\",\"to\":\"lat-b\","
      "\"payload\":{\"candidate\":\"candidate:1 1 UDP 2122260223 "
      "127.0.0.1 50000 typ host\",\"t\":%" G_GINT64_FORMAT "}}",
      g_get_monotonic_time ());
  soup_websocket_connection_send_text (w->lat_a, text);
  g_free (text);
  return G_SOURCE_CONTINUE;
}

static void
on_lat_connected (GObject * src, GAsyncResult * res, gpointer data)
{
  Worker *w = data;
  GError *err = NULL;
  SoupWebsocketConnection *conn =
      soup_session_websocket_connect_finish (SOUP_SESSION (src), res, &err);
  const gchar *id;
  gchar *join;

  if (!conn)
    g_error ("latency client: %s", err->message);
  id = w->lat_a ? "lat-b" : "lat-a";
  if (!w->lat_a)
    w->lat_a = conn;
  else
    w->lat_b = conn;
  g_signal_connect (conn, "message", G_CALLBACK (on_lat_message), w);
  join = g_strdup_printf ("{\"type\":\"join\",\"swarm\":\"lat\","
      "\"peer\":\"%s\"}", id);
  soup_websocket_connection_send_text (conn, join);
  g_free (join);
  if (!w->lat_b) {
    SoupMessage *msg = ws_message (w);

    soup_session_websocket_connect_async (w->session, msg, NULL, NULL,
        G_PRIORITY_DEFAULT, NULL, on_lat_connected, w);
    g_object_unref (msg);
  }
}

static void
lat_report (Worker * w)
{
  gint64 *s = (gint64 *) w->lat_samples->data;
  guint k = w->lat_samples->len;

  g_array_sort (w->lat_samples, cmp_i64);
  if (k == 0)
    reply ("lat 0 0 0");
  else
    reply ("lat %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %u", s[k / 2],
        s[MIN (k - 1, k * 99 / 100)], k);
  w->lat_wanted = 0;
}

/* Signals lost (the tracker dropped them): report what arrived. */
static gboolean
lat_timeout (gpointer data)
{
  Worker *w = data;

  if (w->lat_wanted)
    lat_report (w);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stdin (GIOChannel * ch, GIOCondition cond, gpointer data)
{
  Worker *w = data;
  gchar *line = NULL;
  guint v;

  if (g_io_channel_read_line (ch, &line, NULL, NULL, NULL) !=
      G_IO_STATUS_NORMAL) {
    exit (0);
  }
  if (sscanf (line, "target %u", &v) == 1) {
    w->target = v;
    w->reported = FALSE;
    worker_fill (w);
    check_target (w);
  } else if (strncmp (line, "lat-start", 9) == 0) {
    SoupMessage *msg = ws_message (w);

    soup_session_websocket_connect_async (w->session, msg, NULL, NULL,
        G_PRIORITY_DEFAULT, NULL, on_lat_connected, w);
    g_object_unref (msg);
  } else if (sscanf (line, "lat %u", &v) == 1) {
    g_array_set_size (w->lat_samples, 0);
    w->lat_wanted = v;
    w->lat_sent = 0;
    /* 15 signals per second: latency, not throughput, and below the
     * tracker's default per-connection rate limit (20/s). */
    g_timeout_add (LAT_PERIOD_MS, lat_send, w);
    g_timeout_add (LAT_PERIOD_MS * v + 3000, lat_timeout, w);
  } else if (strncmp (line, "quit", 4) == 0) {
    exit (0);
  }
  g_free (line);
  return G_SOURCE_CONTINUE;
}

static void
raise_nofile (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
  }
}

static int
worker_main (guint id, const gchar * url)
{
  Worker w = { 0 };
  GInetAddress *a;
  GInetSocketAddress *local;
  gchar *src = g_strdup_printf ("127.0.0.%u", 2 + id);
  GIOChannel *ch;
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);

  raise_nofile ();
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  w.id = id;
  w.url = g_strdup (url);
  w.clients = g_ptr_array_new ();
  w.lat_samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  a = g_inet_address_new_from_string (src);
  local = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (a, 0));
  w.session = soup_session_new_with_options ("max-conns", 1000000,
      "max-conns-per-host", 1000000, "local-address", local, "timeout", 60,
      NULL);
  soup_session_remove_feature_by_type (w.session,
      SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
  g_object_unref (local);
  g_object_unref (a);
  g_free (src);

  ch = g_io_channel_unix_new (0);
  g_io_add_watch (ch, G_IO_IN | G_IO_HUP, on_stdin, &w);
  g_timeout_add (TICK_MS, worker_tick, &w);
  reply ("up");
  g_main_loop_run (loop);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Coordinator */

typedef struct
{
  GSubprocess *proc;
  GDataInputStream *out;
  GOutputStream *in;
} Child;

static gchar *
child_read (Child * c)
{
  GError *err = NULL;
  gchar *line = g_data_input_stream_read_line (c->out, NULL, NULL, &err);

  if (!line)
    g_error ("worker died: %s", err ? err->message : "EOF");
  return line;
}

static void
child_write (Child * c, const gchar * line)
{
  gchar *l = g_strconcat (line, "\n", NULL);

  g_output_stream_write_all (c->in, l, strlen (l), NULL, NULL, NULL);
  g_free (l);
}

static guint64
proc_rss_kib (GPid pid)
{
  gchar *path = g_strdup_printf ("/proc/%d/status", pid), *text = NULL, *p;
  guint64 v = 0;

  if (g_file_get_contents (path, &text, NULL, NULL)
      && (p = strstr (text, "VmRSS:")))
    v = g_ascii_strtoull (p + 6, NULL, 10);
  g_free (text);
  g_free (path);
  return v;
}

static guint64
proc_cpu_ticks (GPid pid)
{
  gchar *path = g_strdup_printf ("/proc/%d/stat", pid), *text = NULL;
  gchar **f = NULL;
  guint64 v = 0;

  /* Fields after the ")" of the command name: utime is 14th, stime 15th. */
  if (g_file_get_contents (path, &text, NULL, NULL) && strrchr (text, ')')) {
    f = g_strsplit (strrchr (text, ')') + 2, " ", 0);
    if (g_strv_length (f) > 13)
      v = g_ascii_strtoull (f[11], NULL, 10) + g_ascii_strtoull (f[12], NULL,
          10);
  }
  g_strfreev (f);
  g_free (text);
  g_free (path);
  return v;
}

static guint16
free_port (void)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any = g_inet_socket_address_new (lo, 0), *bound;
  guint16 port;

  g_socket_bind (s, any, FALSE, NULL);
  bound = g_socket_get_local_address (s, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (any);
  g_object_unref (lo);
  g_socket_close (s, NULL);
  g_object_unref (s);
  return port;
}

static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static guint64
tracker_peers (const gchar * metrics_url)
{
  SoupSession *s = soup_session_new ();
  SoupMessage *m = soup_message_new ("GET", metrics_url);
  GBytes *b = soup_session_send_and_read (s, m, NULL, NULL);
  guint64 v = 0;

  if (b) {
    gchar *text = g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
    const gchar *p = strstr (text, "\ngst_p2p_tracker_peers ");

    if (p)
      v = g_ascii_strtoull (p + 23, NULL, 10);
    g_free (text);
    g_bytes_unref (b);
  }
  g_object_unref (m);
  g_object_unref (s);
  return v;
}

static int
coordinator_main (const gchar * tracker, const gchar * steps_arg,
    guint n_workers, guint window_s, guint lat_samples, const gchar * self,
    const gchar * extra_config)
{
  gchar *dir = g_dir_make_tmp ("p2p-tracker-bench-XXXXXX", NULL);
  gchar *conf = g_build_filename (dir, "tracker.conf", NULL);
  gchar *log = g_build_filename (dir, "tracker.log", NULL);
  guint16 port = free_port ();
  gchar *listen = g_strdup_printf ("127.0.0.1:%u", port);
  gchar *url = g_strdup_printf ("ws://%s/", listen);
  gchar *metrics_url = g_strdup_printf ("http://%s/metrics", listen);
  gchar **steps = g_strsplit (steps_arg, ",", -1);
  GSubprocessLauncher *l;
  GSubprocess *tproc;
  Child *kids = g_new0 (Child, n_workers + 1);
  /* The last child only runs the latency pair: a worker busy with thousands
   * of clients would add its own main-loop delay to the figure. */
  Child *lat;
  GPid tpid;
  GError *err = NULL;
  glong hz = sysconf (_SC_CLK_TCK);
  gdouble base_p50 = 0, base_p99 = 0;
  guint64 base_rss = 0;
  guint i, s;
  int ret = 0;

  {
    gchar *c = g_strdup_printf ("[tracker]\nmax-clients=1000000\n"
        "max-clients-per-ip=0\neviction-timeout=120\n%s\n",
        extra_config ? extra_config : "");

    g_strdelimit (c, ";", '\n');
    g_file_set_contents (conf, c, -1, NULL);
    g_free (c);
  }
  l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (l, child_setup, NULL, NULL);
  g_subprocess_launcher_set_stderr_file_path (l, log);
  tproc = g_subprocess_launcher_spawn (l, &err, tracker, "--listen", listen,
      "--config", conf, NULL);
  if (!tproc)
    g_error ("%s: %s", tracker, err->message);
  g_object_unref (l);
  tpid = atoi (g_subprocess_get_identifier (tproc));
  g_usleep (300000);

  for (i = 0; i <= n_workers; i++) {
    gchar *id = g_strdup_printf ("%u", i);
    gchar *line;

    l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_subprocess_launcher_set_child_setup (l, child_setup, NULL, NULL);
    kids[i].proc = g_subprocess_launcher_spawn (l, &err, self, "--worker", id,
        "--url", url, NULL);
    g_assert_no_error (err);
    g_object_unref (l);
    kids[i].out = g_data_input_stream_new (g_subprocess_get_stdout_pipe
        (kids[i].proc));
    kids[i].in = g_subprocess_get_stdin_pipe (kids[i].proc);
    line = child_read (&kids[i]);
    g_free (line);
    g_free (id);
  }
  lat = &kids[n_workers];
  child_write (lat, "lat-start");
  g_free (child_read (lat));

  g_print ("gst-p2p-tracker bench: %u load processes, swarms of %d, "
      "ping every %d s, peers every %d s, CPU window %u s, %u relay samples "
      "per step\n", n_workers, SWARM_SIZE, PING_PERIOD_S, PEERS_PERIOD_S,
      window_s, lat_samples);
  g_print ("%9s %9s %7s %10s %9s %7s %9s %9s %8s %8s\n", "target", "joined",
      "failed", "RSS MiB", "KiB/peer", "CPU %", "p50 ms", "p99 ms",
      "p50 x", "p99 x");

  for (s = 0; steps[s]; s++) {
    guint target = atoi (steps[s]), held = 0, failed = 0;
    guint64 t0, t1, rss;
    gdouble cpu, p50 = 0, p99 = 0, per_peer;
    guint64 joined;

    for (i = 0; i < n_workers; i++) {
      gchar *line = g_strdup_printf ("target %u", target / n_workers +
          (i < target % n_workers));

      child_write (&kids[i], line);
      g_free (line);
    }
    for (i = 0; i < n_workers; i++) {
      gchar *line = child_read (&kids[i]);
      guint h = 0, f = 0;

      sscanf (line, "held %u failed %u", &h, &f);
      held += h;
      failed += f;
      g_free (line);
    }
    /* Let the join burst settle, then measure a steady-state window. */
    g_usleep (2 * G_USEC_PER_SEC);
    t0 = proc_cpu_ticks (tpid);
    g_usleep ((gulong) window_s * G_USEC_PER_SEC);
    t1 = proc_cpu_ticks (tpid);
    rss = proc_rss_kib (tpid);
    cpu = 100.0 * (t1 - t0) / ((gdouble) hz * window_s);
    joined = tracker_peers (metrics_url);

    {
      gchar *line = g_strdup_printf ("lat %u", lat_samples);
      gint64 a = 0, b = 0;
      guint k = 0;

      child_write (lat, line);
      g_free (line);
      line = child_read (lat);
      sscanf (line, "lat %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %u", &a,
          &b, &k);
      g_free (line);
      p50 = a / 1000.0;
      p99 = b / 1000.0;
    }
    if (s == 0) {
      base_p50 = p50;
      base_p99 = p99;
      base_rss = rss;
    }
    per_peer = joined > 2 ? (gdouble) (rss - base_rss) / (joined - 2) : 0;
    g_print ("%9u %9" G_GUINT64_FORMAT " %7u %10.1f %9.2f %7.1f %9.3f %9.3f "
        "%8.2f %8.2f\n", target, joined, failed, rss / 1024.0, per_peer, cpu,
        p50, p99, base_p50 > 0 ? p50 / base_p50 : 0,
        base_p99 > 0 ? p99 / base_p99 : 0);
    if (held < target * 0.99) {
      g_print ("stopping: only %u of %u clients joined\n", held, target);
      ret = 1;
      break;
    }
  }
  g_print ("baseline: first row (KiB/peer is RSS above it per joined peer; "
      "p50 x / p99 x are latency ratios to it).\n"
      "anchor: wt-tracker ~100k peers in 1.2 GB (~12.3 KiB/peer) at ~50 %% "
      "of a core.\n");

  for (i = 0; i <= n_workers; i++) {
    child_write (&kids[i], "quit");
    g_subprocess_wait (kids[i].proc, NULL, NULL);
    g_object_unref (kids[i].out);
    g_object_unref (kids[i].proc);
  }
  g_subprocess_send_signal (tproc, SIGTERM);
  g_subprocess_wait (tproc, NULL, NULL);
  g_print ("tracker exit status %d\n", g_subprocess_get_exit_status (tproc));
  if (g_subprocess_get_exit_status (tproc) != 0)
    ret = 1;
  g_object_unref (tproc);
  g_unlink (conf);
  g_unlink (log);
  g_rmdir (dir);
  return ret;
}

int
main (int argc, char **argv)
{
  gint worker = -1;
  gchar *url = NULL, *tracker = NULL, *extra = NULL;
  gchar *steps = g_strdup ("0,1000,5000,10000,15000,19500");
  gint workers = 2, window = 10, samples = 200;
  GOptionEntry entries[] = {
    {"tracker", 't', 0, G_OPTION_ARG_FILENAME, &tracker,
        "gst-p2p-tracker binary (default: from GST_P2P_BUILD_ROOT)", "PATH"},
    {"steps", 's', 0, G_OPTION_ARG_STRING, &steps,
        "Comma-separated viewer counts (first = baseline)", "N,N,..."},
    {"workers", 'w', 0, G_OPTION_ARG_INT, &workers,
        "Load-generator processes (each < RLIMIT_NOFILE clients)", "N"},
    {"window", 0, 0, G_OPTION_ARG_INT, &window,
        "Seconds of steady state per CPU measurement", "S"},
    {"samples", 0, 0, G_OPTION_ARG_INT, &samples,
        "Relay latency samples per step", "N"},
    {"tracker-config", 0, 0, G_OPTION_ARG_STRING, &extra,
          "Extra tracker config keys, ';'-separated (e.g. loop-batch-max-ms=0)",
        "K=V;K=V"},
    {"worker", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &worker, NULL, NULL},
    {"url", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &url, NULL, NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- tracker load benchmark");
  GError *err = NULL;
  gchar *self;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  signal (SIGPIPE, SIG_IGN);

  if (worker >= 0)
    return worker_main (worker, url);

  if (!tracker) {
    const gchar *root = g_getenv ("GST_P2P_BUILD_ROOT");

    if (!root) {
      g_printerr ("pass --tracker or set GST_P2P_BUILD_ROOT\n");
      return 2;
    }
    tracker = g_build_filename (root, "tools", "tracker", "gst-p2p-tracker",
        NULL);
  }
  self = g_file_read_link ("/proc/self/exe", NULL);
  return coordinator_main (tracker, steps, MAX (workers, 1), MAX (window, 1),
      MAX (samples, 1), self, extra);
}
