/* gst-p2p-play: plays a URI with playbin and reports what p2phttpsrc fetched.
 *
 * The viewer of the live-event demo and of the lab (tests/lab, docs/lab.md),
 * and an example of using the plugin from an application: nothing
 * p2p-specific is needed to play, playbin picks p2phttpsrc by rank; the
 * application only listens to what it reports.
 *
 * It behaves like a real player: it plays in real time (fakesinks with
 * sync=TRUE), pauses when playbin's buffering drops below 100 % and resumes
 * at 100 %, and counts that time as stalls. With --no-decode the sinks
 * accept the demuxed elementary streams, so nothing is decoded but the
 * timing stays real. With --json it prints one JSON object per line on
 * stdout: "start", "fetch" (each fragment request), "first-frame", "stall",
 * "tick" (every second, with the latest p2p-stats of the engine),
 * "warning"/"error", and a final "summary".
 *
 * Threads: counters are updated from streaming threads (pad probes, the
 * video sink's handoff) under a mutex; everything else runs on the main
 * thread's GMainLoop.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>
#include <gst/gst.h>
#include <glib-unix.h>

#define N_KINDS 8
/* A pause between two rendered video frames longer than this, while
 * PLAYING and not paused for buffering, is an underrun the buffering
 * messages did not report: it counts as a stall too. */
#define GAP_STALL_US (G_USEC_PER_SEC / 2)

typedef struct
{
  GMutex lock;
  guint64 bytes[N_KINDS];
  guint requests[N_KINDS];
  gboolean verbose;
  gboolean json;
  gboolean no_p2p;
  gboolean handle_buffering;
  guint stats_interval;
  GMainLoop *loop;
  GstElement *playbin;
  gint exit_code;
  gint64 t0;                    /* monotonic, process start */
  gint64 play_requested;        /* monotonic, set_state (PLAYING) */

  /* video rendering (handoff, under lock) */
  guint64 frames;
  gint64 first_frame;           /* monotonic, 0 = none yet */
  GstClockTime first_pts;
  GstClockTime last_pts;
  gint64 last_frame;            /* monotonic */
  guint gap_stalls;
  gint64 gap_stall_us;
  gboolean pending_gap;         /* reported by the next tick */
  gint64 pending_gap_us;
  gchar *first_fragment;        /* URI of the first fragment request */

  /* buffering (main thread; buffering_now also read under lock) */
  gint buffer_percent;
  gboolean buffering_now;       /* paused for buffering */
  gboolean target_playing;
  guint stalls;
  gint64 stall_start;
  gint64 stall_us;
  gint64 startup_buffer_us;
  gint64 buffering_started;     /* any buffering period, for bookkeeping */

  const gchar *manifest_caps;   /* forced on the manifest's typefind */
  GstStructure *p2p_stats;      /* latest p2p-stats (main thread) */
  guint p2p_messages;
  guint warnings;
} Viewer;

static Viewer viewer;

static gdouble
since_start (gint64 t)
{
  return (t - viewer.t0) / (gdouble) G_USEC_PER_SEC;
}

static void
json_string (GString * s, const gchar * str)
{
  const gchar *p;

  g_string_append_c (s, '"');
  for (p = str ? str : ""; *p; p++) {
    guchar c = *p;

    if (c == '"' || c == '\\')
      g_string_append_printf (s, "\\%c", c);
    else if (c < 0x20)
      g_string_append_printf (s, "\\u%04x", c);
    else
      g_string_append_c (s, c);
  }
  g_string_append_c (s, '"');
}

static gboolean
json_field (GQuark field, const GValue * value, gpointer user_data)
{
  GString *s = user_data;
  GType t = G_VALUE_TYPE (value);

  if (s->str[s->len - 1] != '{')
    g_string_append_c (s, ',');
  json_string (s, g_quark_to_string (field));
  g_string_append_c (s, ':');
  if (t == G_TYPE_INT)
    g_string_append_printf (s, "%d", g_value_get_int (value));
  else if (t == G_TYPE_UINT)
    g_string_append_printf (s, "%u", g_value_get_uint (value));
  else if (t == G_TYPE_INT64)
    g_string_append_printf (s, "%" G_GINT64_FORMAT, g_value_get_int64 (value));
  else if (t == G_TYPE_UINT64)
    g_string_append_printf (s, "%" G_GUINT64_FORMAT,
        g_value_get_uint64 (value));
  else if (t == G_TYPE_LONG)
    g_string_append_printf (s, "%ld", g_value_get_long (value));
  else if (t == G_TYPE_ULONG)
    g_string_append_printf (s, "%lu", g_value_get_ulong (value));
  else if (t == G_TYPE_DOUBLE || t == G_TYPE_FLOAT) {
    gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
    gdouble d = t == G_TYPE_DOUBLE ? g_value_get_double (value) :
        g_value_get_float (value);

    g_string_append (s, isfinite (d) ? g_ascii_dtostr (buf, sizeof (buf), d) :
        "null");
  } else if (t == G_TYPE_BOOLEAN)
    g_string_append (s, g_value_get_boolean (value) ? "true" : "false");
  else if (t == G_TYPE_STRING)
    json_string (s, g_value_get_string (value));
  else {
    gchar *str = gst_value_serialize (value);

    json_string (s, str);
    g_free (str);
  }
  return TRUE;
}

static void
json_structure (GString * s, const GstStructure * st)
{
  g_string_append_c (s, '{');
  if (st)
    gst_structure_foreach (st, json_field, s);
  g_string_append_c (s, '}');
}

/* Starts a JSON line: {"event":"<event>","t":<seconds since start>,
 * "wall":<unix time> */
static GString *
json_begin (const gchar * event)
{
  GString *s = g_string_new ("{\"event\":");
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  json_string (s, event);
  g_string_append_printf (s, ",\"t\":%.3f,\"wall\":%s",
      since_start (g_get_monotonic_time ()),
      g_ascii_formatd (buf, sizeof (buf), "%.3f",
          g_get_real_time () / (gdouble) G_USEC_PER_SEC));
  return s;
}

static void
json_end (GString * s)
{
  g_string_append (s, "}\n");
  fputs (s->str, stdout);
  fflush (stdout);
  g_string_free (s, TRUE);
}

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
      const gchar *uri = gst_structure_get_string (s, "uri");
      const gchar *name = kind_name (kind);
      gboolean fragment = g_strcmp0 (name, "fragment") == 0;

      g_object_set_data (G_OBJECT (pad), "p2p-kind", GINT_TO_POINTER (kind));
      g_mutex_lock (&viewer.lock);
      viewer.requests[kind]++;
      if (fragment && !viewer.first_fragment)
        viewer.first_fragment = g_strdup (uri);
      g_mutex_unlock (&viewer.lock);
      if (viewer.json && (fragment || viewer.verbose)) {
        GString *j = json_begin ("fetch");

        g_string_append (j, ",\"kind\":");
        json_string (j, name);
        g_string_append (j, ",\"uri\":");
        json_string (j, uri);
        json_end (j);
      } else if (viewer.verbose) {
        g_print ("fetch %-10s %s\n", name, uri);
      }
    }
  }
  return GST_PAD_PROBE_OK;
}

static void
setup_source (GstElement * element)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (element);

  /* Properties of the engine-enabled p2phttpsrc; older builds lack them. */
  if (viewer.no_p2p && g_object_class_find_property (klass, "p2p"))
    g_object_set (element, "p2p", FALSE, NULL);
  if (viewer.stats_interval
      && g_object_class_find_property (klass, "stats-interval"))
    g_object_set (element, "stats-interval", viewer.stats_interval, NULL);
}

/* GStreamer 1.22's typefinder reports ffmpeg's dynamic MPD (a root tag
 * longer than ~512 bytes) as application/xml; like a real application, the
 * viewer forces the type it knows from the URL on uridecodebin's typefind. */
static void
force_manifest_caps (GstElement * typefind)
{
  GstObject *parent = gst_object_get_parent (GST_OBJECT (typefind));

  if (parent && g_str_has_prefix (G_OBJECT_TYPE_NAME (parent),
          "GstURIDecodeBin") && viewer.manifest_caps) {
    GstCaps *caps = gst_caps_from_string (viewer.manifest_caps);

    g_object_set (typefind, "force-caps", caps, NULL);
    gst_caps_unref (caps);
  }
  if (parent)
    gst_object_unref (parent);
}

static void
on_deep_element_added (GstBin * bin, GstBin * sub_bin, GstElement * element,
    gpointer user_data)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  GstPad *pad;

  if (factory && g_strcmp0 (GST_OBJECT_NAME (factory), "typefind") == 0) {
    force_manifest_caps (element);
    return;
  }
  if (!factory || g_strcmp0 (GST_OBJECT_NAME (factory), "p2phttpsrc") != 0)
    return;
  if (g_object_get_data (G_OBJECT (element), "p2p-play-seen"))
    return;
  g_object_set_data (G_OBJECT (element), "p2p-play-seen", GINT_TO_POINTER (1));
  setup_source (element);
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

/* Streaming thread: a video frame (or, with --no-decode, access unit) is
 * rendered now. */
static void
on_video_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad,
    gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  gboolean first = FALSE;
  GstClockTime pts = GST_BUFFER_PTS (buf);

  g_mutex_lock (&viewer.lock);
  if (!viewer.first_frame) {
    viewer.first_frame = now;
    viewer.first_pts = pts;
    first = TRUE;
  } else if (now - viewer.last_frame > GAP_STALL_US && !viewer.buffering_now
      && viewer.stall_start == 0
      && viewer.buffering_started < viewer.last_frame) {
    viewer.gap_stalls++;
    viewer.gap_stall_us += now - viewer.last_frame;
    viewer.pending_gap = TRUE;
    viewer.pending_gap_us = now - viewer.last_frame;
  }
  viewer.frames++;
  if (GST_CLOCK_TIME_IS_VALID (pts))
    viewer.last_pts = pts;
  viewer.last_frame = now;
  g_mutex_unlock (&viewer.lock);

  if (first) {
    if (viewer.json) {
      GString *j = json_begin ("first-frame");

      g_mutex_lock (&viewer.lock);
      g_string_append_printf (j, ",\"ttff\":%.3f,\"ttff_play\":%.3f,"
          "\"pts\":%.3f,\"fragment\":", since_start (now),
          (now - viewer.play_requested) / (gdouble) G_USEC_PER_SEC,
          GST_CLOCK_TIME_IS_VALID (pts) ? pts / (gdouble) GST_SECOND : -1.0);
      json_string (j, viewer.first_fragment);
      g_mutex_unlock (&viewer.lock);
      json_end (j);
    } else if (viewer.verbose) {
      g_print ("first frame after %.3f s\n", since_start (now));
    }
  }
}

static GstElement *
make_sink (gboolean video, gboolean decode, gboolean sync)
{
  GstElement *sink;

  if (decode) {
    sink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (sink, "sync", sync, NULL);
  } else {
    /* playbin stops autoplugging as soon as the sink accepts the caps: a
     * sink that accepts the demuxer's elementary streams gets them
     * undecoded, still timestamped, still rendered in real time. */
    gchar *desc = g_strdup_printf ("capsfilter caps=\"%s\" ! "
        "fakesink name=sink sync=%s",
        video ? "video/x-h264; video/x-h265; video/x-vp9; video/x-av1" :
        "audio/mpeg; audio/x-ac3; audio/x-eac3; audio/x-opus",
        sync ? "true" : "false");
    GError *err = NULL;

    sink = gst_parse_bin_from_description (desc, TRUE, &err);
    g_free (desc);
    if (!sink) {
      g_printerr ("cannot make sink: %s\n", err->message);
      exit (1);
    }
  }
  return sink;
}

static void
connect_handoff (GstElement * sink)
{
  GstElement *fake = GST_IS_BIN (sink) ?
      gst_bin_get_by_name (GST_BIN (sink), "sink") : gst_object_ref (sink);

  g_object_set (fake, "signal-handoffs", TRUE, NULL);
  g_signal_connect (fake, "handoff", G_CALLBACK (on_video_handoff), NULL);
  gst_object_unref (fake);
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
  g_print ("first frame %.3f s, stalls %u (%.3f s), underruns %u (%.3f s)\n",
      viewer.first_frame ? since_start (viewer.first_frame) : -1.0,
      viewer.stalls, viewer.stall_us / (gdouble) G_USEC_PER_SEC,
      viewer.gap_stalls, viewer.gap_stall_us / (gdouble) G_USEC_PER_SEC);
  g_mutex_unlock (&viewer.lock);
  if (viewer.p2p_stats) {
    gchar *s = gst_structure_to_string (viewer.p2p_stats);

    g_print ("%s\n", s);
    g_free (s);
  }
}

/* Appends the counters common to "tick" and "summary"; takes the lock. */
static void
json_counters (GString * j)
{
  gint64 now = g_get_monotonic_time ();
  gint64 stall_us;
  gint k;

  g_mutex_lock (&viewer.lock);
  stall_us = viewer.stall_us + (viewer.stall_start ? now - viewer.stall_start :
      0);
  g_string_append_printf (j, ",\"frames\":%" G_GUINT64_FORMAT
      ",\"pts\":%.3f,\"first_pts\":%.3f,\"since_frame\":%.3f,"
      "\"buffer_percent\":%d,\"buffering\":%s,"
      "\"stalls\":%u,\"stall_s\":%.3f,\"underruns\":%u,\"underrun_s\":%.3f,"
      "\"startup_buffering_s\":%.3f,\"ttff\":%.3f,\"warnings\":%u",
      viewer.frames,
      GST_CLOCK_TIME_IS_VALID (viewer.last_pts) ?
      viewer.last_pts / (gdouble) GST_SECOND : -1.0,
      GST_CLOCK_TIME_IS_VALID (viewer.first_pts) ?
      viewer.first_pts / (gdouble) GST_SECOND : -1.0,
      viewer.first_frame ? (now - viewer.last_frame) /
      (gdouble) G_USEC_PER_SEC : -1.0,
      viewer.buffer_percent, viewer.buffering_now ? "true" : "false",
      viewer.stalls, stall_us / (gdouble) G_USEC_PER_SEC,
      viewer.gap_stalls, viewer.gap_stall_us / (gdouble) G_USEC_PER_SEC,
      viewer.startup_buffer_us / (gdouble) G_USEC_PER_SEC,
      viewer.first_frame ? since_start (viewer.first_frame) : -1.0,
      viewer.warnings);
  g_string_append (j, ",\"fetched\":{");
  for (k = 0; k < N_KINDS; k++) {
    if (!viewer.requests[k])
      continue;
    if (j->str[j->len - 1] != '{')
      g_string_append_c (j, ',');
    json_string (j, kind_name (k));
    g_string_append_printf (j, ":{\"requests\":%u,\"bytes\":%"
        G_GUINT64_FORMAT "}", viewer.requests[k], viewer.bytes[k]);
  }
  g_string_append (j, "},\"first_fragment\":");
  json_string (j, viewer.first_fragment);
  g_mutex_unlock (&viewer.lock);
  g_string_append (j, ",\"p2p\":");
  if (viewer.p2p_stats)
    json_structure (j, viewer.p2p_stats);
  else
    g_string_append (j, "null");
}

static gboolean
on_tick (gpointer data)
{
  GString *j;
  gboolean gap;
  gint64 gap_us;

  g_mutex_lock (&viewer.lock);
  gap = viewer.pending_gap;
  gap_us = viewer.pending_gap_us;
  viewer.pending_gap = FALSE;
  g_mutex_unlock (&viewer.lock);
  if (gap) {
    j = json_begin ("underrun");
    g_string_append_printf (j, ",\"seconds\":%.3f",
        gap_us / (gdouble) G_USEC_PER_SEC);
    json_end (j);
  }
  j = json_begin ("tick");
  json_counters (j);
  json_end (j);
  return G_SOURCE_CONTINUE;
}

static void
handle_buffering (gint percent)
{
  gint64 now = g_get_monotonic_time ();
  gboolean started;

  viewer.buffer_percent = percent;
  if (!viewer.handle_buffering)
    return;
  g_mutex_lock (&viewer.lock);
  started = viewer.first_frame != 0;
  g_mutex_unlock (&viewer.lock);

  if (percent < 100 && !viewer.buffering_now) {
    g_mutex_lock (&viewer.lock);
    viewer.buffering_now = TRUE;
    viewer.buffering_started = now;
    if (started) {
      viewer.stalls++;
      viewer.stall_start = now;
    }
    g_mutex_unlock (&viewer.lock);
    if (viewer.target_playing)
      gst_element_set_state (viewer.playbin, GST_STATE_PAUSED);
    if (started && viewer.json) {
      GString *j = json_begin ("stall");

      g_string_append_printf (j, ",\"percent\":%d", percent);
      json_end (j);
    }
  } else if (percent >= 100 && viewer.buffering_now) {
    gint64 took;

    g_mutex_lock (&viewer.lock);
    viewer.buffering_now = FALSE;
    took = now - viewer.buffering_started;
    if (viewer.stall_start) {
      viewer.stall_us += now - viewer.stall_start;
      viewer.stall_start = 0;
    } else {
      viewer.startup_buffer_us += took;
    }
    /* the next frame's gap is this pause, already counted */
    viewer.last_frame = MAX (viewer.last_frame, now);
    g_mutex_unlock (&viewer.lock);
    if (viewer.target_playing)
      gst_element_set_state (viewer.playbin, GST_STATE_PLAYING);
    if (started && viewer.json) {
      GString *j = json_begin ("resume");

      g_string_append_printf (j, ",\"seconds\":%.3f",
          took / (gdouble) G_USEC_PER_SEC);
      json_end (j);
    }
  }
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      if (viewer.json)
        json_end (json_begin ("eos"));
      else
        g_print ("end of stream\n");
      g_main_loop_quit (viewer.loop);
      break;
    case GST_MESSAGE_BUFFERING:{
      gint percent;

      gst_message_parse_buffering (msg, &percent);
      handle_buffering (percent);
      break;
    }
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);

      /* The engine's figures are process-wide: every source posts them,
       * the latest one is the current state. */
      if (s && gst_structure_has_name (s, "p2p-stats")) {
        if (viewer.p2p_stats)
          gst_structure_free (viewer.p2p_stats);
        viewer.p2p_stats = gst_structure_copy (s);
        viewer.p2p_messages++;
      }
      break;
    }
    case GST_MESSAGE_WARNING:
    case GST_MESSAGE_ERROR:{
      GError *err;
      gchar *dbg;
      gboolean error = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR;

      if (error)
        gst_message_parse_error (msg, &err, &dbg);
      else
        gst_message_parse_warning (msg, &err, &dbg);
      if (viewer.json) {
        GString *j = json_begin (error ? "error" : "warning");

        g_string_append (j, ",\"source\":");
        json_string (j, GST_OBJECT_NAME (msg->src));
        g_string_append (j, ",\"message\":");
        json_string (j, err->message);
        g_string_append (j, ",\"debug\":");
        json_string (j, dbg);
        json_end (j);
      } else {
        g_printerr ("%s from %s: %s\n%s\n", error ? "error" : "warning",
            GST_OBJECT_NAME (msg->src), err->message, dbg ? dbg : "");
      }
      g_clear_error (&err);
      g_free (dbg);
      if (error) {
        viewer.exit_code = 1;
        g_main_loop_quit (viewer.loop);
      } else {
        viewer.warnings++;
      }
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
  gboolean no_sync = FALSE, no_decode = FALSE, no_buffering = FALSE;
  gint stats_interval = 1;
  gchar **uris = NULL;
  GOptionEntry entries[] = {
    {"duration", 'd', 0, G_OPTION_ARG_INT, &duration,
        "Stop after this many seconds (0: at the end)", "S"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &viewer.verbose,
        "Print every request", NULL},
    {"no-sync", 0, 0, G_OPTION_ARG_NONE, &no_sync,
        "Do not play in real time (VOD, tests)", NULL},
    {"json", 'j', 0, G_OPTION_ARG_NONE, &viewer.json,
          "Print metrics as JSON lines (tick every second, final summary)",
        NULL},
    {"no-decode", 0, 0, G_OPTION_ARG_NONE, &no_decode,
        "Render the demuxed streams without decoding them (saves CPU, keeps "
          "the timing)", NULL},
    {"no-buffering", 0, 0, G_OPTION_ARG_NONE, &no_buffering,
        "Do not pause while playbin buffers below 100 %", NULL},
    {"no-p2p", 0, 0, G_OPTION_ARG_NONE, &viewer.no_p2p,
        "Switch peer delivery off (p2p=false on every p2phttpsrc)", NULL},
    {"stats-interval", 0, 0, G_OPTION_ARG_INT, &stats_interval,
        "Seconds between p2p-stats messages of the sources (0: theirs)", "S"},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &uris, NULL, "URI"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("URI - play through gst-p2p");
  GError *error = NULL;
  GstElement *vsink, *asink;
  GstBus *bus;
  GstMessage *msg;

  viewer.t0 = g_get_monotonic_time ();
  viewer.first_pts = viewer.last_pts = GST_CLOCK_TIME_NONE;
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !uris || !uris[0]) {
    g_printerr ("%s\n", error ? error->message : "a URI is needed");
    return 2;
  }
  g_option_context_free (ctx);
  viewer.handle_buffering = !no_buffering;
  viewer.stats_interval = CLAMP (stats_interval, 0, 3600);

  {
    gchar *path = NULL;
    GUri *u = g_uri_parse (uris[0], G_URI_FLAGS_NONE, NULL);

    if (u)
      path = g_ascii_strdown (g_uri_get_path (u), -1);
    if (path && g_str_has_suffix (path, ".mpd"))
      viewer.manifest_caps = "application/dash+xml";
    else if (path && g_str_has_suffix (path, ".m3u8"))
      viewer.manifest_caps = "application/x-hls";
    g_free (path);
    if (u)
      g_uri_unref (u);
  }

  g_mutex_init (&viewer.lock);
  viewer.loop = g_main_loop_new (NULL, FALSE);
  viewer.playbin = gst_element_factory_make ("playbin", NULL);
  if (!viewer.playbin) {
    g_printerr ("playbin is missing (gstreamer1.0-plugins-base)\n");
    return 1;
  }
  vsink = make_sink (TRUE, !no_decode, !no_sync);
  asink = make_sink (FALSE, !no_decode, !no_sync);
  connect_handoff (vsink);
  g_object_set (viewer.playbin, "uri", uris[0], "video-sink", vsink,
      "audio-sink", asink, NULL);
  g_signal_connect (viewer.playbin, "deep-element-added",
      G_CALLBACK (on_deep_element_added), NULL);
  g_signal_connect (viewer.playbin, "source-setup",
      G_CALLBACK (on_source_setup), NULL);

  bus = gst_element_get_bus (viewer.playbin);
  gst_bus_add_watch (bus, on_bus_message, NULL);
  g_unix_signal_add (SIGINT, on_stop, NULL);
  g_unix_signal_add (SIGTERM, on_stop, NULL);
  if (duration > 0)
    g_timeout_add_seconds (duration, on_stop, NULL);
  if (viewer.json) {
    GString *j = json_begin ("start");

    g_string_append_printf (j, ",\"pid\":%d,\"uri\":", (int) getpid ());
    json_string (j, uris[0]);
    g_string_append_printf (j, ",\"decode\":%s,\"p2p\":%s",
        no_decode ? "false" : "true", viewer.no_p2p ? "false" : "true");
    json_end (j);
    g_timeout_add_seconds (1, on_tick, NULL);
  }

  viewer.play_requested = g_get_monotonic_time ();
  viewer.target_playing = TRUE;
  if (gst_element_set_state (viewer.playbin, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("cannot play %s\n", uris[0]);
    return 1;
  }
  g_main_loop_run (viewer.loop);
  viewer.target_playing = FALSE;
  gst_element_set_state (viewer.playbin, GST_STATE_NULL);
  /* statistics the sources posted while stopping are the freshest */
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (s && gst_structure_has_name (s, "p2p-stats")) {
      if (viewer.p2p_stats)
        gst_structure_free (viewer.p2p_stats);
      viewer.p2p_stats = gst_structure_copy (s);
    }
    gst_message_unref (msg);
  }
  gst_object_unref (bus);

  if (viewer.json) {
    GString *j = json_begin ("summary");

    g_string_append_printf (j, ",\"exit_code\":%d", viewer.exit_code);
    json_counters (j);
    json_end (j);
  } else {
    print_summary ();
  }

  if (viewer.p2p_stats)
    gst_structure_free (viewer.p2p_stats);
  g_free (viewer.first_fragment);
  gst_object_unref (viewer.playbin);
  g_main_loop_unref (viewer.loop);
  g_strfreev (uris);
  return viewer.exit_code;
}
