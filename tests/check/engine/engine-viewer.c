/* engine-viewer: one viewer process of the engine's multi-viewer tests.
 *
 *   engine-viewer URI DOCROOT BASE_URI TIMEOUT_S
 *
 * Plays URI with playbin in real time (fakesinks, sync) until EOS, like a
 * player: p2phttpsrc is picked by rank and configured from the environment
 * (GST_P2P_TRACKER, GST_P2P_TOKEN, GST_P2P_TRUST_KEY, ...). Every HTTP
 * response p2phttpsrc delivers downstream is hashed
 * (GstP2pTestSourceWatch) and compared with the file under DOCROOT that
 * BASE_URI maps it to. At the end it prints one JSON line on stdout:
 *
 *   {"eos":true,"error":null,"responses":N,"mismatches":M,"fragments":F,
 *    "fragment_bytes":B,"keys":K,"stats":{<last p2p-stats fields>}}
 *
 * and exits 0 only if it reached EOS without an error and every complete
 * response equals the origin's bytes. The test judges the rest (offload,
 * bans) from the numbers.
 *
 * Threads: the main thread pops the bus; the watch's probes run on
 * streaming threads.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <gst/gst.h>

#include "gstp2ptestsourcewatch.h"

static void
append_stats (GString * out, const GstStructure * s)
{
  guint i, n = s ? gst_structure_n_fields (s) : 0;

  g_string_append_c (out, '{');
  for (i = 0; i < n; i++) {
    const gchar *name = gst_structure_nth_field_name (s, i);
    const GValue *v = gst_structure_get_value (s, name);
    guint64 u = 0;

    if (G_VALUE_HOLDS_UINT64 (v))
      u = g_value_get_uint64 (v);
    else if (G_VALUE_HOLDS_UINT (v))
      u = g_value_get_uint (v);
    else if (G_VALUE_HOLDS_BOOLEAN (v))
      u = g_value_get_boolean (v);
    else
      continue;
    g_string_append_printf (out, "%s\"%s\":%" G_GUINT64_FORMAT,
        out->str[out->len - 1] == '{' ? "" : ",", name, u);
  }
  g_string_append_c (out, '}');
}

static GstElement *
make_sink (void)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  g_object_set (sink, "sync", TRUE, NULL);
  return sink;
}

int
main (int argc, char **argv)
{
  GstP2pTestSourceWatch *watch;
  GstElement *playbin;
  GstBus *bus;
  GstStructure *last = NULL;
  gchar *error = NULL;
  gboolean eos = FALSE;
  gint64 deadline;
  GPtrArray *responses;
  guint i, mismatches = 0, fragments = 0, keys = 0, complete = 0;
  guint64 fragment_bytes = 0;
  GString *out;

  gst_init (&argc, &argv);
  if (argc != 5) {
    g_printerr ("usage: %s URI DOCROOT BASE_URI TIMEOUT_S\n", argv[0]);
    return 2;
  }
  watch = gst_p2p_test_source_watch_new ();
  gst_p2p_test_source_watch_map_docroot (watch, argv[3], argv[2]);

  playbin = gst_element_factory_make ("playbin", "viewer");
  g_object_set (playbin, "uri", argv[1], "video-sink", make_sink (),
      "audio-sink", make_sink (), NULL);
  bus = gst_element_get_bus (playbin);
  if (gst_element_set_state (playbin, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    error = g_strdup ("cannot play");

  deadline = g_get_monotonic_time () + atoi (argv[4]) * G_USEC_PER_SEC;
  while (!eos && !error) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *msg;

    if (left <= 0) {
      error = g_strdup ("no EOS in time");
      break;
    }
    msg = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT);
    if (!msg)
      continue;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      eos = TRUE;
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      error = g_strdup_printf ("%s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC
              (msg)), err->message);
      g_clear_error (&err);
    } else {
      const GstStructure *s = gst_message_get_structure (msg);

      if (s && gst_structure_has_name (s, "p2p-stats")) {
        g_clear_pointer (&last, gst_structure_free);
        last = gst_structure_copy (s);
      }
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (playbin, GST_STATE_NULL);

  responses = gst_p2p_test_source_watch_get_responses (watch);
  for (i = 0; i < responses->len; i++) {
    GstP2pTestResponse *r = g_ptr_array_index (responses, i);

    if (!r->complete || r->status >= 300)
      continue;
    complete++;
    if (!gst_p2p_test_response_matches_disk (r)) {
      gchar *d = gst_p2p_test_response_describe (r);
      g_printerr ("MISMATCH %s\n", d);
      g_free (d);
      mismatches++;
    }
    if (g_strcmp0 (r->request_kind, "fragment") == 0) {
      fragments++;
      fragment_bytes += r->bytes;
    } else if (g_strcmp0 (r->request_kind, "key") == 0) {
      keys++;
    }
  }

  out = g_string_new (NULL);
  g_string_append_printf (out, "{\"eos\":%s,\"error\":", eos ? "true" :
      "false");
  if (error) {
    gchar *e = g_strescape (error, NULL);
    g_string_append_printf (out, "\"%s\"", e);
    g_free (e);
  } else {
    g_string_append (out, "null");
  }
  g_string_append_printf (out, ",\"responses\":%u,\"mismatches\":%u,"
      "\"fragments\":%u,\"fragment_bytes\":%" G_GUINT64_FORMAT ",\"keys\":%u,"
      "\"stats\":", complete, mismatches, fragments, fragment_bytes, keys);
  append_stats (out, last);
  g_string_append (out, "}\n");
  g_print ("%s", out->str);

  g_string_free (out, TRUE);
  g_ptr_array_unref (responses);
  g_clear_pointer (&last, gst_structure_free);
  gst_object_unref (bus);
  gst_object_unref (playbin);
  gst_p2p_test_source_watch_free (watch);
  g_free (error);
  return eos && !error && mismatches == 0 && complete > 0 ? 0 : 1;
}
