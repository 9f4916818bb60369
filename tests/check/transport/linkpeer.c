/* link-peer: the remote side of a GstP2pLink in its own process, for tests.
 *
 * Signalling travels over stdin/stdout, one line each:
 *   in:  "sig <line>"            a remote signalling line
 *   out: "sig <line>"            a local signalling line
 *        "state <name> <reason>" every state change
 *        "progress <bytes>"      received so far (about every MiB)
 *        "result ok|fail <text>" the end of a --send run
 * Modes: --echo sends every message back on its stream; --sink only counts;
 * --send N sends an N-byte blob on stream 1 and waits for it to come back
 * byte-exact, then exits 0 (1 on any failure).
 *
 * Threads: the link lives on the process network loop
 * (gst_p2p_loop_get_default()), as in the product; the main thread only
 * reads stdin and hands each line over with gst_p2p_loop_invoke().
 */
#include <gst/gst.h>
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gstp2p.h"
#include "net/gstp2ploop.h"
#include "transport/gstp2plink.h"

static GstP2pLink *link_;
static GMainLoop *main_loop;
static gboolean echo, sink;
static gint64 send_size;
static GBytes *sent_blob;
static guint64 received, last_progress;
static GQueue echo_backlog = G_QUEUE_INIT;
static gint exit_code = 1;
static gboolean finished;

static void
out (const gchar * fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

static gboolean
quit_main (gpointer data)
{
  g_main_loop_quit (main_loop);
  return G_SOURCE_REMOVE;
}

static void
finish (gint code, const gchar * what)
{
  if (finished)
    return;
  finished = TRUE;
  out ("result %s %s", code == 0 ? "ok" : "fail", what);
  exit_code = code;
  g_main_context_invoke (NULL, quit_main, NULL);
}

static GBytes *
make_blob (gsize size)
{
  guint8 *data = g_malloc (size);
  guint32 x = 0x12345678;
  gsize i;

  for (i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return g_bytes_new_take (data, size);
}

static void
flush_echo (void)
{
  while (!g_queue_is_empty (&echo_backlog)) {
    GBytes *b = g_queue_peek_head (&echo_backlog);
    guint stream = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (link_),
            "echo-stream"));
    if (!gst_p2p_link_send (link_, stream, b, NULL))
      return;
    g_bytes_unref (g_queue_pop_head (&echo_backlog));
  }
}

static void
on_message (GstP2pLink * link, guint stream, GBytes * msg, gpointer data)
{
  received += g_bytes_get_size (msg);
  if (received - last_progress >= (1 << 20)) {
    last_progress = received;
    out ("progress %" G_GUINT64_FORMAT, received);
  }
  if (echo) {
    g_object_set_data (G_OBJECT (link), "echo-stream",
        GUINT_TO_POINTER (stream));
    g_queue_push_tail (&echo_backlog, g_bytes_ref (msg));
    flush_echo ();
  } else if (sent_blob) {
    finish (g_bytes_equal (msg, sent_blob) ? 0 : 1, g_bytes_equal (msg,
            sent_blob) ? "echo matches" : "echo differs");
  }
}

static void
on_writable (GstP2pLink * link, gpointer data)
{
  flush_echo ();
}

static void
on_local_signal (GstP2pLink * link, const gchar * line, gpointer data)
{
  out ("sig %s", line);
}

static void
on_state (GstP2pLink * link, GstP2pLinkState state, const gchar * reason,
    gpointer data)
{
  GEnumClass *k = g_type_class_ref (GST_P2P_TYPE_LINK_STATE);
  GstP2pLinkStats st;

  out ("state %s %s", g_enum_get_value (k, state)->value_nick,
      reason ? reason : "");
  g_type_class_unref (k);
  if (state == GST_P2P_LINK_STATE_CONNECTED) {
    gst_p2p_link_get_stats (link, &st);
    out ("selected %s %s", st.selected_local, st.selected_remote);
    if (send_size > 0) {
      GError *err = NULL;
      sent_blob = make_blob (send_size);
      if (!gst_p2p_link_send (link, 1, sent_blob, &err)) {
        finish (1, err->message);
        g_clear_error (&err);
      }
    }
  } else if (state == GST_P2P_LINK_STATE_CLOSED
      || state == GST_P2P_LINK_STATE_FAILED) {
    if (send_size > 0)
      finish (1, reason ? reason : "link ended");
    else
      g_main_context_invoke (NULL, quit_main, NULL);
  }
}

static gboolean
add_signal (gpointer data)
{
  GError *err = NULL;

  if (link_ && !gst_p2p_link_add_remote_signal (link_, data, &err)) {
    out ("rejected %s", err->message);
    g_clear_error (&err);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
on_stdin (GIOChannel * ch, GIOCondition cond, gpointer data)
{
  gchar *line = NULL;
  gsize len, term;
  GIOStatus st = g_io_channel_read_line (ch, &line, &len, &term, NULL);

  if (st == G_IO_STATUS_EOF || st == G_IO_STATUS_ERROR) {
    /* the test is gone: so are we */
    g_main_loop_quit (main_loop);
    return G_SOURCE_REMOVE;
  }
  if (line) {
    line[term] = '\0';
    if (g_str_has_prefix (line, "sig "))
      gst_p2p_loop_invoke (gst_p2p_loop_get_default (), add_signal,
          g_strdup (line + 4), g_free);
    g_free (line);
  }
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  GstP2pLinkConfig *config;
  GMutex lock;
  GCond cond;
  gboolean done;
} Setup;

static gboolean
create_link (gpointer data)
{
  Setup *s = data;
  GError *err = NULL;

  link_ = gst_p2p_link_new (s->config, NULL, &err);
  if (!link_) {
    out ("result fail %s", err->message);
    exit (1);
  }
  g_signal_connect (link_, "local-signal", G_CALLBACK (on_local_signal), NULL);
  g_signal_connect (link_, "state-changed", G_CALLBACK (on_state), NULL);
  g_signal_connect (link_, "message", G_CALLBACK (on_message), NULL);
  g_signal_connect (link_, "writable", G_CALLBACK (on_writable), NULL);
  if (!gst_p2p_link_start (link_, &err)) {
    out ("result fail %s", err->message);
    exit (1);
  }
  g_mutex_lock (&s->lock);
  s->done = TRUE;
  g_cond_signal (&s->cond);
  g_mutex_unlock (&s->lock);
  return G_SOURCE_REMOVE;
}

static gboolean
destroy_link (gpointer data)
{
  Setup *s = data;

  if (link_) {
    gst_p2p_link_close (link_);
    g_object_unref (link_);
    link_ = NULL;
  }
  g_mutex_lock (&s->lock);
  s->done = TRUE;
  g_cond_signal (&s->cond);
  g_mutex_unlock (&s->lock);
  return G_SOURCE_REMOVE;
}

static void
run_on_loop (GSourceFunc func, Setup * s)
{
  s->done = FALSE;
  gst_p2p_loop_invoke (gst_p2p_loop_get_default (), func, s, NULL);
  g_mutex_lock (&s->lock);
  while (!s->done)
    g_cond_wait (&s->cond, &s->lock);
  g_mutex_unlock (&s->lock);
}

int
main (int argc, char **argv)
{
  gboolean initiator = FALSE, force_relay = FALSE;
  gchar **local = NULL;
  gint peer_timeout = 0, connect_timeout = 0;
  GOptionEntry entries[] = {
    {"initiator", 0, 0, G_OPTION_ARG_NONE, &initiator, "ICE controlling",
        NULL},
    {"local-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &local,
        "gather on this address only", "IP"},
    {"force-relay", 0, 0, G_OPTION_ARG_NONE, &force_relay, "relay only",
        NULL},
    {"echo", 0, 0, G_OPTION_ARG_NONE, &echo, "echo messages back", NULL},
    {"sink", 0, 0, G_OPTION_ARG_NONE, &sink, "count messages", NULL},
    {"send", 0, 0, G_OPTION_ARG_INT64, &send_size, "send a blob, await echo",
        "BYTES"},
    {"peer-timeout", 0, 0, G_OPTION_ARG_INT, &peer_timeout, "ms", NULL},
    {"connect-timeout", 0, 0, G_OPTION_ARG_INT, &connect_timeout, "ms", NULL},
    {NULL}
  };
  GOptionContext *opts = g_option_context_new ("- remote side of a p2p link");
  GError *err = NULL;
  GstP2pLinkConfig config;
  GIOChannel *in;
  Setup s;

  gst_init (NULL, NULL);
  gst_p2p_init ();
  g_option_context_add_main_entries (opts, entries, NULL);
  if (!g_option_context_parse (opts, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (opts);

  gst_p2p_link_config_init (&config);   /* GST_P2P_STUN / GST_P2P_TURN */
  config.initiator = initiator;
  config.ice.force_relay = force_relay;
  config.ice.local_addresses = local;
  config.peer_timeout_ms = peer_timeout;
  config.connect_timeout_ms = connect_timeout;

  main_loop = g_main_loop_new (NULL, FALSE);
  in = g_io_channel_unix_new (0);
  g_io_add_watch (in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);

  memset (&s, 0, sizeof (s));
  g_mutex_init (&s.lock);
  g_cond_init (&s.cond);
  s.config = &config;
  run_on_loop (create_link, &s);
  g_main_loop_run (main_loop);
  run_on_loop (destroy_link, &s);

  g_io_channel_unref (in);
  g_main_loop_unref (main_loop);
  gst_p2p_link_config_clear (&config);
  if (sent_blob)
    g_bytes_unref (sent_blob);
  return sink || echo ? 0 : exit_code;
}
