/* gst-p2p-play: plays a URI with playbin and reports what p2phttpsrc fetched.
 *
 * The viewer of the live-event demo and an example of using the plugin from
 * an application: nothing p2p-specific is needed to play, playbin picks
 * p2phttpsrc by rank; the application only listens to what it reports.
 *
 * Threads: counters are updated from streaming threads (pad probes) under a
 * mutex; everything else runs on the main thread's GMainLoop.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <gst/gst.h>
#include <glib-unix.h>

#define N_KINDS 8

typedef struct
{
  GMutex lock;
  guint64 bytes[N_KINDS];
  guint requests[N_KINDS];
  gboolean verbose;
  GMainLoop *loop;
  GstElement *playbin;
  gint exit_code;
} Viewer;

static Viewer viewer;

static gint
current_kind (GstPad * pad)
{
  GstObject *src = gst_pad_get_parent (pad);
  gint kind = 0;

  if (src) {
    g_object_get (src, "request-kind", &kind, NULL);
    gst_object_unref (src);
  }
  return CLAMP (kind, 0, N_KINDS - 1);
}

static const gchar *
kind_name (gint kind)
{
  GEnumClass *klass = g_type_class_ref (g_type_from_name ("GstP2pRequestKind"));
  GEnumValue *v = klass ? g_enum_get_value (klass, kind) : NULL;
  const gchar *name = v ? v->value_nick : "?";

  if (klass)
    g_type_class_unref (klass);
  return name;
}

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    gint kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (pad),
            "p2p-kind"));
    gsize size = gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));

    g_mutex_lock (&viewer.lock);
    viewer.bytes[kind] += size;
    g_mutex_unlock (&viewer.lock);
  } else {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    const GstStructure *s = gst_event_get_structure (event);

    /* Each response starts with its http-headers event. */
    if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY && s
        && gst_structure_has_name (s, "http-headers")) {
      gint kind = current_kind (pad);

      g_object_set_data (G_OBJECT (pad), "p2p-kind", GINT_TO_POINTER (kind));
      g_mutex_lock (&viewer.lock);
      viewer.requests[kind]++;
      g_mutex_unlock (&viewer.lock);
      if (viewer.verbose)
        g_print ("fetch %-10s %s\n", kind_name (kind),
            gst_structure_get_string (s, "uri"));
    }
  }
  return GST_PAD_PROBE_OK;
}

static void
on_deep_element_added (GstBin * bin, GstBin * sub_bin, GstElement * element,
    gpointer user_data)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  GstPad *pad;

  if (!factory || g_strcmp0 (GST_OBJECT_NAME (factory), "p2phttpsrc") != 0)
    return;
  pad = gst_element_get_static_pad (element, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, count_probe, NULL, NULL);
  gst_object_unref (pad);
}

static void
on_source_setup (GstElement * playbin, GstElement * source, gpointer data)
{
  /* The manifest source is added before deep-element-added reaches us. */
  on_deep_element_added (NULL, NULL, source, NULL);
}

static void
print_summary (void)
{
  guint64 total = 0;
  gint k;

  g_mutex_lock (&viewer.lock);
  for (k = 0; k < N_KINDS; k++)
    total += viewer.bytes[k];
  g_print ("\n%-12s %9s %14s\n", "fetched", "requests", "bytes");
  for (k = 0; k < N_KINDS; k++) {
    if (!viewer.requests[k])
      continue;
    g_print ("%-12s %9u %14" G_GUINT64_FORMAT "\n", kind_name (k),
        viewer.requests[k], viewer.bytes[k]);
  }
  g_print ("%-12s %9s %14" G_GUINT64_FORMAT "\n", "total", "", total);
  g_mutex_unlock (&viewer.lock);
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      g_print ("end of stream\n");
      g_main_loop_quit (viewer.loop);
      break;
    case GST_MESSAGE_ERROR:{
      GError *err;
      gchar *dbg;

      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
          err->message, dbg ? dbg : "");
      g_clear_error (&err);
      g_free (dbg);
      viewer.exit_code = 1;
      g_main_loop_quit (viewer.loop);
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stop (gpointer data)
{
  g_main_loop_quit (viewer.loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  gint duration = 0;
  gboolean no_sync = FALSE;
  gchar **uris = NULL;
  GOptionEntry entries[] = {
    {"duration", 'd', 0, G_OPTION_ARG_INT, &duration,
        "Stop after this many seconds (0: at the end)", "S"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &viewer.verbose,
        "Print every request", NULL},
    {"no-sync", 0, 0, G_OPTION_ARG_NONE, &no_sync,
        "Do not play in real time (VOD, tests)", NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &uris, NULL, "URI"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("URI - play through gst-p2p");
  GError *error = NULL;
  GstElement *vsink, *asink;
  GstBus *bus;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !uris || !uris[0]) {
    g_printerr ("%s\n", error ? error->message : "a URI is needed");
    return 2;
  }
  g_option_context_free (ctx);

  g_mutex_init (&viewer.lock);
  viewer.loop = g_main_loop_new (NULL, FALSE);
  viewer.playbin = gst_element_factory_make ("playbin", NULL);
  vsink = gst_element_factory_make ("fakesink", NULL);
  asink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (vsink, "sync", !no_sync, NULL);
  g_object_set (asink, "sync", !no_sync, NULL);
  g_object_set (viewer.playbin, "uri", uris[0], "video-sink", vsink,
      "audio-sink", asink, NULL);
  g_signal_connect (viewer.playbin, "deep-element-added",
      G_CALLBACK (on_deep_element_added), NULL);
  g_signal_connect (viewer.playbin, "source-setup",
      G_CALLBACK (on_source_setup), NULL);

  bus = gst_element_get_bus (viewer.playbin);
  gst_bus_add_watch (bus, on_bus_message, NULL);
  gst_object_unref (bus);
  g_unix_signal_add (SIGINT, on_stop, NULL);
  g_unix_signal_add (SIGTERM, on_stop, NULL);
  if (duration > 0)
    g_timeout_add_seconds (duration, on_stop, NULL);

  if (gst_element_set_state (viewer.playbin, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("cannot play %s\n", uris[0]);
    return 1;
  }
  g_main_loop_run (viewer.loop);
  gst_element_set_state (viewer.playbin, GST_STATE_NULL);
  print_summary ();

  gst_object_unref (viewer.playbin);
  g_main_loop_unref (viewer.loop);
  g_strfreev (uris);
  return viewer.exit_code;
}
