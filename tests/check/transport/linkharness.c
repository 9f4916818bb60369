/* Test harness for GstP2pLink. See linkharness.h. */
#include "linkharness.h"

#include <string.h>

typedef struct
{
  Side *to;
  gchar *line;
} Delivery;

static void
delivery_free (gpointer data)
{
  Delivery *d = data;
  g_free (d->line);
  g_free (d);
}

static gboolean
deliver_cb (gpointer data)
{
  Delivery *d = data;
  GError *err = NULL;

  if (d->to->link && !gst_p2p_link_add_remote_signal (d->to->link, d->line,
          &err)) {
    GST_INFO ("%s rejected '%s': %s", d->to->name, d->line, err->message);
    g_clear_error (&err);
  }
  return G_SOURCE_REMOVE;
}

static void
on_local_signal (GstP2pLink * link, const gchar * line, Side * side)
{
  gchar *out;
  Delivery *d;
  GSource *s;

  g_ptr_array_add (side->lines, g_strdup (line));
  if (side->child) {
    child_send_line (side->child, line);
    return;
  }
  if (!side->peer)
    return;
  if (side->drop_candidates && (g_str_has_prefix (line, "a=candidate:")))
    return;
  out = side->filter ? side->filter (side, line) : g_strdup (line);
  if (!out)
    return;
  d = g_new0 (Delivery, 1);
  d->to = side->peer;
  d->line = out;
  s = g_idle_source_new ();
  g_source_set_callback (s, deliver_cb, d, delivery_free);
  g_source_attach (s, side->peer->context);
  g_source_unref (s);
}

static void
on_state_changed (GstP2pLink * link, GstP2pLinkState state,
    const gchar * reason, Side * side)
{
  GST_INFO ("%s: state %d (%s)", side->name, state, reason ? reason : "");
  side->state = state;
  g_free (side->reason);
  side->reason = g_strdup (reason);
  side->state_time_us = g_get_monotonic_time ();
}

static void
on_message (GstP2pLink * link, guint stream, GBytes * msg, Side * side)
{
  GPtrArray *arr = g_hash_table_lookup (side->received,
      GUINT_TO_POINTER (stream));

  if (!arr) {
    arr = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
    g_hash_table_insert (side->received, GUINT_TO_POINTER (stream), arr);
  }
  g_ptr_array_add (arr, g_bytes_ref (msg));
  side->bytes_received += g_bytes_get_size (msg);
}

static void
on_writable (GstP2pLink * link, Side * side)
{
  side->writable++;
}

void
harness_config (GstP2pLinkConfig * config, gboolean initiator)
{
  static gchar *loopback[] = { (gchar *) "127.0.0.1", NULL };

  gst_p2p_link_config_init (config);
  config->initiator = initiator;
  config->ice.local_addresses = g_strdupv (loopback);
}

Side *
side_new (const gchar * name, GMainContext * context, GstP2pLinkConfig * config)
{
  Side *side = g_new0 (Side, 1);
  GError *err = NULL;

  side->name = name;
  side->context = g_main_context_ref (context);
  side->lines = g_ptr_array_new_with_free_func (g_free);
  side->received = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) g_ptr_array_unref);
  side->link = gst_p2p_link_new (config, context, &err);
  g_assert_no_error (err);
  g_signal_connect (side->link, "local-signal", G_CALLBACK (on_local_signal),
      side);
  g_signal_connect (side->link, "state-changed",
      G_CALLBACK (on_state_changed), side);
  g_signal_connect (side->link, "message", G_CALLBACK (on_message), side);
  g_signal_connect (side->link, "writable", G_CALLBACK (on_writable), side);
  return side;
}

void
side_free (Side * side)
{
  if (side->link) {
    g_signal_handlers_disconnect_by_data (side->link, side);
    g_object_unref (side->link);
  }
  g_ptr_array_unref (side->lines);
  g_hash_table_unref (side->received);
  g_free (side->reason);
  g_main_context_unref (side->context);
  g_free (side);
}

void
side_connect_peers (Side * a, Side * b)
{
  a->peer = b;
  b->peer = a;
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
harness_iterate_until (GMainContext * context, guint timeout_ms,
    gboolean (*cond) (gpointer), gpointer data)
{
  gboolean timed_out = FALSE;
  GSource *timer = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timer, set_flag, &timed_out, NULL);
  g_source_attach (timer, context);
  while (!cond (data) && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
  return cond (data);
}

gboolean
side_is_connected (gpointer data)
{
  Side *side = data;
  return side->state == GST_P2P_LINK_STATE_CONNECTED
      || side->state == GST_P2P_LINK_STATE_CLOSED
      || side->state == GST_P2P_LINK_STATE_FAILED;
}

gboolean
side_is_terminal (gpointer data)
{
  Side *side = data;
  return side->state == GST_P2P_LINK_STATE_CLOSED
      || side->state == GST_P2P_LINK_STATE_FAILED;
}

/* Deterministic, position-dependent content: a shifted or duplicated chunk
 * cannot compare equal. */
GBytes *
make_blob (guint seed, gsize size)
{
  guint8 *data = g_malloc (size);
  guint32 x = seed * 2654435761u + 1;
  gsize i;

  for (i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return g_bytes_new_take (data, size);
}

/* ---- link-peer processes ---------------------------------------------- */

static void child_read_next (Child * child);

void
child_send_line (Child * child, const gchar * line)
{
  gchar *msg = g_strdup_printf ("sig %s\n", line);

  /* small writes to a pipe the child drains: blocking is fine */
  if (!child->eof)
    g_output_stream_write_all (child->in, msg, strlen (msg), NULL, NULL, NULL);
  g_free (msg);
}

static void
child_on_line (GObject * src, GAsyncResult * res, gpointer data)
{
  Child *child = data;
  GError *err = NULL;
  gchar *line = g_data_input_stream_read_line_finish_utf8 (child->out, res,
      NULL, &err);

  if (!line) {
    if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      child->eof = TRUE;
    g_clear_error (&err);
    return;
  }
  GST_LOG ("%s: %s", child->name, line);
  if (g_str_has_prefix (line, "sig ")) {
    if (child->side && child->side->link)
      gst_p2p_link_add_remote_signal (child->side->link, line + 4, NULL);
    else if (child->peer)
      child_send_line (child->peer, line + 4);
  } else if (g_str_has_prefix (line, "state ")) {
    gchar **f = g_strsplit (line + 6, " ", 2);
    g_free (child->state);
    g_free (child->reason);
    child->state = g_strdup (f[0]);
    child->reason = g_strdup (f[1]);
    g_strfreev (f);
    GST_INFO ("%s: state %s (%s)", child->name, child->state,
        child->reason ? child->reason : "");
  } else if (g_str_has_prefix (line, "progress ")) {
    child->progress = g_ascii_strtoull (line + 9, NULL, 10);
  } else if (g_str_has_prefix (line, "selected ")) {
    g_free (child->selected);
    child->selected = g_strdup (line + 9);
  } else if (g_str_has_prefix (line, "result ")) {
    g_free (child->result);
    child->result = g_strdup (line + 7);
    GST_INFO ("%s: result %s", child->name, child->result);
  }
  g_free (line);
  child_read_next (child);
}

static void
child_read_next (Child * child)
{
  g_data_input_stream_read_line_async (child->out, G_PRIORITY_DEFAULT,
      child->cancel, child_on_line, child);
}

/* Spawned with the caller's thread-default context for its pipe reads. */
Child *
child_spawn (const gchar * name, const gchar * const *argv, GError ** error)
{
  Child *child = g_new0 (Child, 1);

  child->name = name;
  child->proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
      G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
  if (!child->proc) {
    g_free (child);
    return NULL;
  }
  child->in = g_subprocess_get_stdin_pipe (child->proc);
  child->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe
      (child->proc));
  child->cancel = g_cancellable_new ();
  child_read_next (child);
  return child;
}

gboolean
child_has_result (gpointer data)
{
  return ((Child *) data)->result != NULL;
}

gboolean
child_exited (gpointer data)
{
  return ((Child *) data)->eof;
}

static void
child_waited (GObject * src, GAsyncResult * res, gpointer data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (src), res, NULL);
  *(gboolean *) data = TRUE;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

/* Closing stdin asks the child to close its link and exit; it gets 3 s. */
void
child_free (Child * child)
{
  gboolean waited = FALSE;
  GMainContext *ctx = g_main_context_ref_thread_default ();

  g_output_stream_close (child->in, NULL, NULL);
  g_subprocess_wait_async (child->proc, NULL, child_waited, &waited);
  if (!harness_iterate_until (ctx, 3000, flag_set, &waited)) {
    g_subprocess_force_exit (child->proc);
    harness_iterate_until (ctx, 3000, flag_set, &waited);
  }
  g_cancellable_cancel (child->cancel);
  while (g_main_context_iteration (ctx, FALSE));
  g_main_context_unref (ctx);
  g_object_unref (child->out);
  g_object_unref (child->proc);
  g_object_unref (child->cancel);
  g_free (child->state);
  g_free (child->reason);
  g_free (child->result);
  g_free (child->selected);
  g_free (child);
}
