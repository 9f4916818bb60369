/* p2p-http-bench: p2phttpsrc against souphttpsrc, same nginx, same run.
 *
 * The parent process makes a docroot (large files, small files, a VOD HLS
 * stream), starts one nginx on loopback through GstP2pTestOrigin, then runs
 * every case once per element per repetition, alternating the elements
 * (A B A B ...). Each run is a fresh child process (this program re-executed
 * with --child), so no run inherits another's connections, buffer pools,
 * caches or registry state, and CPU time can be taken for the whole process:
 * the element works on several threads (streaming thread, network thread),
 * so the child measures getrusage (RUSAGE_SELF) deltas around the measured
 * part only, leaving out gst_init and the pipeline set-up.
 *
 * Cases:
 *  - file-<N>M: `SRC location=<N MiB file> ! fakesink`: throughput, CPU per
 *    MiB, time from PLAYING to the first buffer, mean buffer size.
 *  - ranges: one source reused for 1-2 MiB byte ranges of one file the way
 *    the legacy adaptive demuxers drive it (READY, set URI, BYTES seek with
 *    exclusive stop while in READY, PLAYING, EOS dropped by a probe).
 *  - small: the same reused source fetching a 2 KiB file many times:
 *    p50/p99 request time (PLAYING to EOS) and CPU per request.
 *  - hls-demux: `SRC location=master.m3u8 ! hlsdemux ! fakesink`, no
 *    decoding, fragment sources picked by rank (MPEG-TS, AES-128).
 *  - hls-byterange: the same on fMP4 addressed with EXT-X-BYTERANGE, where
 *    every fragment is a range request on one file.
 *  - hls-playbin: playbin with fakesinks (sync=false), decoding included.
 * For the rank-picked sources the child sets p2phttpsrc's rank to NONE for
 * the souphttpsrc runs and to PRIMARY + 1 for the p2phttpsrc runs, and fails
 * the run if any other source element shows up.
 *
 * Threads: the parent is single-threaded apart from what GLib and the test
 * origin start. In a child, the main thread drives the pipeline and waits on
 * a GCond; probes and the bus sync handler run on streaming threads.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gstp2ptestaccesslog.h"
#include "gstp2ptestfs.h"
#include "gstp2ptestorigin.h"
#include "gstp2ptestpackager.h"

#define ELEM_SOUP "souphttpsrc"
#define ELEM_P2P "p2phttpsrc"
#define MIB (1024.0 * 1024.0)
#define N_SMALL_FILES 16
#define CHILD_TIMEOUT_S 150

/* ------------------------------------------------------------------ */
/* Options */

static gint opt_reps = 5;
static gboolean opt_quick = FALSE;
static gboolean opt_markdown = FALSE;
static gchar *opt_sizes = NULL;
static gint opt_range_file = 64;
static gint opt_range_min_kib = 1024;
static gint opt_range_max_kib = 2048;
static gint opt_small_count = 1000;
static gint opt_small_size = 2048;
static gint opt_hls_duration = 60;
static gchar *opt_cases = NULL;
static gchar *opt_docroot = NULL;
static gboolean opt_keep = FALSE;
static gboolean opt_verbose = FALSE;
static gchar *opt_pair = NULL;

/* child-only */
static gchar *opt_child = NULL;
static gchar *opt_element = NULL;
static gchar *opt_uri = NULL;
static gint64 opt_expect = -1;
static gint64 opt_file_size = 0;
static gint opt_count = 0;

static GOptionEntry option_entries[] = {
  {"reps", 'n', 0, G_OPTION_ARG_INT, &opt_reps,
      "Runs per element and case (default 5)", "N"},
  {"quick", 'q', 0, G_OPTION_ARG_NONE, &opt_quick,
      "Smoke run: 1 repetition, small sizes; exit status says if every run "
        "worked", NULL},
  {"markdown", 'm', 0, G_OPTION_ARG_NONE, &opt_markdown,
      "Print a block ready to paste into docs/benchmarks.md", NULL},
  {"sizes", 's', 0, G_OPTION_ARG_STRING, &opt_sizes,
      "Large file sizes in MiB, comma separated (default 64,256)", "LIST"},
  {"range-file", 0, 0, G_OPTION_ARG_INT, &opt_range_file,
      "Size in MiB of the file read by byte ranges (default 64)", "MIB"},
  {"range-min", 0, 0, G_OPTION_ARG_INT, &opt_range_min_kib,
      "Smallest range in KiB (default 1024)", "KIB"},
  {"range-max", 0, 0, G_OPTION_ARG_INT, &opt_range_max_kib,
      "Largest range in KiB (default 2048)", "KIB"},
  {"small-count", 0, 0, G_OPTION_ARG_INT, &opt_small_count,
      "Small-file requests per run (default 1000)", "N"},
  {"small-size", 0, 0, G_OPTION_ARG_INT, &opt_small_size,
      "Small file size in bytes (default 2048)", "BYTES"},
  {"hls-duration", 0, 0, G_OPTION_ARG_INT, &opt_hls_duration,
      "Duration in seconds of the VOD HLS stream (default 60)", "S"},
  {"cases", 'c', 0, G_OPTION_ARG_STRING, &opt_cases,
      "Cases to run, comma separated, among file,ranges,small,hls-demux,"
        "hls-byterange,hls-playbin (default all)", "LIST"},
  {"docroot", 0, 0, G_OPTION_ARG_FILENAME, &opt_docroot,
      "Use (and fill) this docroot instead of a temporary one", "DIR"},
  {"keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep,
      "Keep the temporary docroot", NULL},
  {"pair", 0, 0, G_OPTION_ARG_STRING, &opt_pair,
      "Baseline and candidate elements (default souphttpsrc,p2phttpsrc; "
        "souphttpsrc,souphttpsrc measures the noise floor)", "A,B"},
  {"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
      "Print every run's figures while running", NULL},
  {"child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_child,
      NULL, NULL},
  {"element", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_element,
      NULL, NULL},
  {"uri", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_uri, NULL, NULL},
  {"expect", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &opt_expect,
      NULL, NULL},
  {"file-size", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &opt_file_size,
      NULL, NULL},
  {"count", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &opt_count, NULL, NULL},
  {NULL}
};

/* ------------------------------------------------------------------ */
/* Child side: one measured run of one case with one element. */

typedef struct
{
  GMutex lock;
  GCond cond;

  /* current request, reset by the main thread before each one */
  gint64 first_us;              /* 0 until the first buffer */
  gint64 eos_us;                /* 0 until EOS left the source */
  gboolean eos;                 /* EOS on the measured source pad */
  gboolean bus_eos;             /* EOS message from the pipeline */
  gchar *error;

  guint64 bytes;                /* all source pads, whole run */
  guint64 buffers;
  gboolean drop_eos;            /* reused-source cases */

  GHashTable *factories;        /* factory name -> count of URI sources */
  GstPad *measured;             /* the pad whose EOS ends a request */
} Child;

/* Whole-process usage: every thread of the element counts, including the
 * ones that exited during the run. */
typedef struct
{
  gint64 cpu_us;
  gint64 faults;                /* minor + major page faults */
  gint64 csw;                   /* voluntary + involuntary context switches */
} Usage;

static void
usage_get (Usage * u)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  u->cpu_us = (gint64) ru.ru_utime.tv_sec * G_USEC_PER_SEC +
      ru.ru_utime.tv_usec + (gint64) ru.ru_stime.tv_sec * G_USEC_PER_SEC +
      ru.ru_stime.tv_usec;
  u->faults = ru.ru_minflt + ru.ru_majflt;
  u->csw = ru.ru_nvcsw + ru.ru_nivcsw;
}

/* Page faults and context switches per @unit between two snapshots: they
 * explain CPU differences and hardly depend on the machine's other load. */
static void
append_usage_counts (GString * out, const Usage * u0, const Usage * u1,
    gdouble unit)
{
  if (unit <= 0)
    return;
  g_string_append_printf (out, " faults=%.2f csw=%.2f",
      (u1->faults - u0->faults) / unit, (u1->csw - u0->csw) / unit);
}

static GstPadProbeReturn
src_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Child *c = user_data;
  gint64 now = g_get_monotonic_time ();
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    gsize size = gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));

    g_mutex_lock (&c->lock);
    if (pad == c->measured && c->first_us == 0)
      c->first_us = now;
    c->bytes += size;
    c->buffers++;
    g_mutex_unlock (&c->lock);
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    guint i, n = gst_buffer_list_length (list);
    gsize size = 0;

    for (i = 0; i < n; i++)
      size += gst_buffer_get_size (gst_buffer_list_get (list, i));
    g_mutex_lock (&c->lock);
    if (pad == c->measured && c->first_us == 0)
      c->first_us = now;
    c->bytes += size;
    c->buffers += n;
    g_mutex_unlock (&c->lock);
  } else if ((info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) &&
      GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS &&
      pad == c->measured) {
    g_mutex_lock (&c->lock);
    c->eos_us = now;
    c->eos = TRUE;
    g_cond_broadcast (&c->cond);
    if (c->drop_eos)
      ret = GST_PAD_PROBE_DROP;
    g_mutex_unlock (&c->lock);
  }
  return ret;
}

static GstBusSyncReply
bus_sync (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Child *c = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_mutex_lock (&c->lock);
      if (!c->error)
        c->error = g_strdup_printf ("%s: %s (%s)", GST_MESSAGE_SRC_NAME (msg),
            err->message, dbg ? dbg : "");
      g_cond_broadcast (&c->cond);
      g_mutex_unlock (&c->lock);
      g_clear_error (&err);
      g_free (dbg);
      break;
    }
    case GST_MESSAGE_EOS:
      g_mutex_lock (&c->lock);
      c->bus_eos = TRUE;
      g_cond_broadcast (&c->cond);
      g_mutex_unlock (&c->lock);
      break;
    default:
      break;
  }
  /* Nobody pops this bus: drop everything so nothing piles up. */
  return GST_BUS_DROP;
}

/* Counts every URI source created anywhere in the pipeline and watches its
 * bytes; called on whichever thread adds the element. */
static void
deep_element_added (GstBin * bin, GstBin * sub_bin, GstElement * element,
    gpointer user_data)
{
  Child *c = user_data;
  GstElementFactory *f = gst_element_get_factory (element);
  GstPad *pad;
  const gchar *name;

  if (!GST_IS_URI_HANDLER (element) ||
      gst_uri_handler_get_uri_type (GST_URI_HANDLER (element)) != GST_URI_SRC)
    return;
  name = f ? GST_OBJECT_NAME (f) : G_OBJECT_TYPE_NAME (element);
  g_mutex_lock (&c->lock);
  g_hash_table_insert (c->factories, g_strdup (name),
      GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (c->factories,
                  name)) + 1));
  g_mutex_unlock (&c->lock);
  pad = gst_element_get_static_pad (element, "src");
  if (pad) {
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        src_probe, c, NULL);
    gst_object_unref (pad);
  }
}

static void
child_reset_request (Child * c)
{
  g_mutex_lock (&c->lock);
  c->first_us = 0;
  c->eos_us = 0;
  c->eos = FALSE;
  c->bus_eos = FALSE;
  g_mutex_unlock (&c->lock);
}

/* Waits for EOS on the measured pad (or the pipeline's EOS message when
 * on_bus) or an error. Returns FALSE with a message on error/timeout. */
static gboolean
child_wait (Child * c, gboolean on_bus, gint timeout_s, gchar ** why)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  gboolean ok = FALSE;

  g_mutex_lock (&c->lock);
  while (TRUE) {
    if (c->error) {
      *why = g_strdup (c->error);
      break;
    }
    if (on_bus ? c->bus_eos : c->eos) {
      ok = TRUE;
      break;
    }
    if (!g_cond_wait_until (&c->cond, &c->lock, deadline)) {
      *why = g_strdup_printf ("no EOS after %d s", timeout_s);
      break;
    }
  }
  g_mutex_unlock (&c->lock);
  return ok;
}

/* Makes sure the run uses the element asked for wherever sources are picked
 * by rank (hlsdemux fragments, GstUriDownloader, uridecodebin). */
static gboolean
child_set_ranks (const gchar * element, gchar ** why)
{
  GstPluginFeature *p2p = gst_registry_lookup_feature (gst_registry_get (),
      ELEM_P2P);
  GstPluginFeature *soup = gst_registry_lookup_feature (gst_registry_get (),
      ELEM_SOUP);
  gboolean ok = TRUE;

  if (!soup || (!p2p && g_str_equal (element, ELEM_P2P))) {
    *why = g_strdup_printf ("element %s not found (GST_PLUGIN_PATH=%s)",
        soup ? ELEM_P2P : ELEM_SOUP, g_getenv ("GST_PLUGIN_PATH"));
    ok = FALSE;
  } else if (p2p) {
    gst_plugin_feature_set_rank (p2p, g_str_equal (element, ELEM_P2P) ?
        GST_RANK_PRIMARY + 1 : GST_RANK_NONE);
  }
  if (p2p)
    gst_object_unref (p2p);
  if (soup)
    gst_object_unref (soup);
  return ok;
}

/* Checks that every URI source the run created is the element under test. */
static gboolean
child_check_sources (Child * c, const gchar * element, GString * out,
    gchar ** why)
{
  GHashTableIter it;
  gpointer k, v;
  gboolean ok = TRUE;
  guint n = 0;

  g_hash_table_iter_init (&it, c->factories);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    n += GPOINTER_TO_UINT (v);
    if (!g_str_equal (k, element)) {
      *why = g_strdup_printf ("%u %s created in a %s run",
          GPOINTER_TO_UINT (v), (gchar *) k, element);
      ok = FALSE;
    }
  }
  g_string_append_printf (out, " sources=%u", n);
  if (ok && n == 0) {
    *why = g_strdup ("no URI source was created");
    ok = FALSE;
  }
  return ok;
}

static int
cmp_i64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static gint64
percentile (const gint64 * v, guint n, gdouble q)
{
  guint r = (guint) ceil (q * n);

  if (n == 0)
    return 0;
  if (r < 1)
    r = 1;
  if (r > n)
    r = n;
  return v[r - 1];
}

static GstElement *
child_make_source (const gchar * element, gchar ** why)
{
  GstElement *src = gst_element_factory_make (element, "src");

  if (!src)
    *why = g_strdup_printf ("cannot create %s", element);
  return src;
}

/* `SRC location=... ! fakesink`, once. */
static gboolean
child_file (Child * c, GString * out, gchar ** why)
{
  GstElement *pipe = gst_pipeline_new ("bench");
  GstElement *src, *sink;
  GstBus *bus;
  gint64 t0;
  Usage u0, u1;
  gboolean ok = FALSE;

  if (!(src = child_make_source (opt_element, why)))
    goto done;
  sink = gst_element_factory_make ("fakesink", NULL);
  g_signal_connect (pipe, "deep-element-added",
      G_CALLBACK (deep_element_added), c);
  gst_bin_add_many (GST_BIN (pipe), src, sink, NULL);
  gst_element_link (src, sink);
  g_object_set (src, "location", opt_uri, NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  c->measured = gst_element_get_static_pad (src, "src");
  bus = gst_element_get_bus (pipe);
  gst_bus_set_sync_handler (bus, bus_sync, c, NULL);
  gst_object_unref (bus);

  usage_get (&u0);
  t0 = g_get_monotonic_time ();
  if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    *why = g_strdup ("PLAYING failed");
    goto done;
  }
  if (!child_wait (c, FALSE, CHILD_TIMEOUT_S - 10, why))
    goto done;
  usage_get (&u1);

  if (opt_expect >= 0 && c->bytes != (guint64) opt_expect) {
    *why = g_strdup_printf ("got %" G_GUINT64_FORMAT " bytes, expected %"
        G_GINT64_FORMAT, c->bytes, opt_expect);
    goto done;
  }
  g_string_append_printf (out,
      " mibps=%.3f cpu_ms_per_mib=%.5f first_ms=%.3f buf_kib=%.3f"
      " bytes=%" G_GUINT64_FORMAT,
      c->bytes / MIB / ((c->eos_us - t0) / 1e6),
      (u1.cpu_us - u0.cpu_us) / 1e3 / (c->bytes / MIB),
      (c->first_us - t0) / 1e3,
      c->buffers ? c->bytes / 1024.0 / c->buffers : 0.0, c->bytes);
  append_usage_counts (out, &u0, &u1, c->bytes / MIB);
  ok = child_check_sources (c, opt_element, out, why);

done:
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_clear_object (&c->measured);
  gst_object_unref (pipe);
  return ok;
}

/* One source reused for many requests, the way gstadaptivedemux.c drives
 * its fragment source: READY, new URI, BYTES seek (exclusive stop) while in
 * READY, PLAYING; the EOS is dropped by the probe so the sink never sees it.
 * mode "ranges": consecutive 1-2 MiB ranges over one file;
 * mode "small": opt_count whole small files. */
static gboolean
child_reuse (Child * c, gboolean ranges, GString * out, gchar ** why)
{
  GstElement *pipe = gst_pipeline_new ("bench");
  GstElement *src, *sink;
  GstBus *bus;
  GArray *first = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *total = g_array_new (FALSE, FALSE, sizeof (gint64));
  GRand *rand = g_rand_new_with_seed (42);
  gint64 t0, t1, pos = 0;
  Usage u0, u1;
  guint64 expect = 0;
  gboolean ok = FALSE;
  guint i;

  if (!(src = child_make_source (opt_element, why)))
    goto done;
  sink = gst_element_factory_make ("fakesink", NULL);
  g_signal_connect (pipe, "deep-element-added",
      G_CALLBACK (deep_element_added), c);
  gst_bin_add_many (GST_BIN (pipe), src, sink, NULL);
  gst_element_link (src, sink);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  /* What adaptivedemux sets on its fragment sources. */
  g_object_set (src, "compress", FALSE, "keep-alive", TRUE, NULL);
  gst_element_set_locked_state (src, TRUE);
  c->drop_eos = TRUE;
  c->measured = gst_element_get_static_pad (src, "src");
  bus = gst_element_get_bus (pipe);
  gst_bus_set_sync_handler (bus, bus_sync, c, NULL);
  gst_object_unref (bus);
  if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    *why = g_strdup ("PLAYING failed");
    goto done;
  }

  usage_get (&u0);
  t0 = g_get_monotonic_time ();
  for (i = 0;; i++) {
    gint64 r0, start = -1, stop = -1;
    gchar *uri;
    GError *err = NULL;

    if (ranges) {
      if (pos >= opt_file_size)
        break;
      start = pos;
      stop = MIN (opt_file_size, pos + 1024 * (gint64)
          g_rand_int_range (rand, opt_range_min_kib, opt_range_max_kib + 1));
      pos = stop;
      uri = g_strdup (opt_uri);
      expect += stop - start;
    } else {
      if ((gint) i >= opt_count)
        break;
      /* Rotate among the small files so the URI changes, as fragments do. */
      uri = g_strdup_printf ("%s/small-%02u.bin", opt_uri, i % N_SMALL_FILES);
      expect += opt_file_size;
    }

    if (gst_element_set_state (src, GST_STATE_READY) ==
        GST_STATE_CHANGE_FAILURE) {
      *why = g_strdup ("READY failed");
      g_free (uri);
      goto done;
    }
    child_reset_request (c);
    if (!gst_uri_handler_set_uri (GST_URI_HANDLER (src), uri, &err)) {
      *why = g_strdup_printf ("set_uri %s: %s", uri, err->message);
      g_clear_error (&err);
      g_free (uri);
      goto done;
    }
    g_free (uri);
    if (start >= 0 && !gst_element_send_event (src,
            gst_event_new_seek (1.0, GST_FORMAT_BYTES, GST_SEEK_FLAG_FLUSH,
                GST_SEEK_TYPE_SET, start, GST_SEEK_TYPE_SET, stop))) {
      *why = g_strdup ("seek refused in READY");
      goto done;
    }
    r0 = g_get_monotonic_time ();
    if (gst_element_set_state (src, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
      *why = g_strdup ("PLAYING failed");
      goto done;
    }
    if (!child_wait (c, FALSE, 30, why))
      goto done;
    g_mutex_lock (&c->lock);
    if (c->first_us == 0) {
      g_mutex_unlock (&c->lock);
      *why = g_strdup_printf ("request %u ended without a buffer", i);
      goto done;
    }
    {
      gint64 to_first = c->first_us - r0, to_eos = c->eos_us - r0;

      g_mutex_unlock (&c->lock);
      g_array_append_val (first, to_first);
      g_array_append_val (total, to_eos);
    }
  }
  t1 = g_get_monotonic_time ();
  usage_get (&u1);
  gst_element_set_state (src, GST_STATE_READY);

  if (c->bytes != expect) {
    *why = g_strdup_printf ("got %" G_GUINT64_FORMAT " bytes, expected %"
        G_GUINT64_FORMAT, c->bytes, expect);
    goto done;
  }
  g_array_sort (first, cmp_i64);
  g_array_sort (total, cmp_i64);
  if (ranges) {
    g_string_append_printf (out,
        " mibps=%.3f cpu_ms_per_mib=%.5f first_p50_ms=%.3f first_p99_ms=%.3f"
        " req_p50_ms=%.3f buf_kib=%.3f",
        c->bytes / MIB / ((t1 - t0) / 1e6),
        (u1.cpu_us - u0.cpu_us) / 1e3 / (c->bytes / MIB),
        percentile ((gint64 *) first->data, first->len, 0.50) / 1e3,
        percentile ((gint64 *) first->data, first->len, 0.99) / 1e3,
        percentile ((gint64 *) total->data, total->len, 0.50) / 1e3,
        c->buffers ? c->bytes / 1024.0 / c->buffers : 0.0);
  } else {
    g_string_append_printf (out,
        " req_p50_ms=%.4f req_p99_ms=%.4f first_p50_ms=%.4f"
        " cpu_us_per_req=%.2f reqps=%.1f",
        percentile ((gint64 *) total->data, total->len, 0.50) / 1e3,
        percentile ((gint64 *) total->data, total->len, 0.99) / 1e3,
        percentile ((gint64 *) first->data, first->len, 0.50) / 1e3,
        (gdouble) (u1.cpu_us - u0.cpu_us) / total->len,
        total->len / ((t1 - t0) / 1e6));
  }
  g_string_append_printf (out, " requests=%u bytes=%" G_GUINT64_FORMAT,
      total->len, c->bytes);
  append_usage_counts (out, &u0, &u1, ranges ? c->bytes / MIB : total->len);
  ok = child_check_sources (c, opt_element, out, why);

done:
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_element_set_state (src, GST_STATE_NULL);
  gst_clear_object (&c->measured);
  gst_object_unref (pipe);
  g_array_unref (first);
  g_array_unref (total);
  g_rand_free (rand);
  return ok;
}

static void
demux_pad_added (GstElement * demux, GstPad * pad, gpointer user_data)
{
  GstElement *pipe = user_data;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (pipe), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

/* The VOD HLS stream to the end, with hlsdemux alone or a whole playbin. */
static gboolean
child_hls (Child * c, gboolean playbin, GString * out, gchar ** why)
{
  GstElement *pipe;
  GstBus *bus;
  gint64 t0, t1;
  Usage u0, u1;
  gboolean ok = FALSE;

  if (playbin) {
    GstElement *vsink = gst_element_factory_make ("fakesink", NULL);
    GstElement *asink = gst_element_factory_make ("fakesink", NULL);

    pipe = gst_element_factory_make ("playbin", "bench");
    if (!pipe) {
      *why = g_strdup ("no playbin");
      gst_clear_object (&vsink);
      gst_clear_object (&asink);
      return FALSE;
    }
    g_object_set (vsink, "sync", FALSE, NULL);
    g_object_set (asink, "sync", FALSE, NULL);
    g_object_set (pipe, "uri", opt_uri, "video-sink", vsink,
        "audio-sink", asink, NULL);
    g_signal_connect (pipe, "deep-element-added",
        G_CALLBACK (deep_element_added), c);
  } else {
    GstElement *src, *demux;

    pipe = gst_pipeline_new ("bench");
    g_signal_connect (pipe, "deep-element-added",
        G_CALLBACK (deep_element_added), c);
    if (!(src = child_make_source (opt_element, why)))
      goto done;
    demux = gst_element_factory_make ("hlsdemux", NULL);
    if (!demux) {
      gst_object_unref (src);
      *why = g_strdup ("no hlsdemux");
      goto done;
    }
    gst_bin_add_many (GST_BIN (pipe), src, demux, NULL);
    gst_element_link (src, demux);
    g_object_set (src, "location", opt_uri, NULL);
    g_signal_connect (demux, "pad-added", G_CALLBACK (demux_pad_added), pipe);
  }
  bus = gst_element_get_bus (pipe);
  gst_bus_set_sync_handler (bus, bus_sync, c, NULL);
  gst_object_unref (bus);

  usage_get (&u0);
  t0 = g_get_monotonic_time ();
  if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    *why = g_strdup ("PLAYING failed");
    goto done;
  }
  if (!child_wait (c, TRUE, CHILD_TIMEOUT_S - 10, why))
    goto done;
  t1 = g_get_monotonic_time ();
  usage_get (&u1);

  g_string_append_printf (out,
      " wall_s=%.4f cpu_s=%.4f mib=%.3f cpu_ms_per_mib=%.4f bytes=%"
      G_GUINT64_FORMAT, (t1 - t0) / 1e6, (u1.cpu_us - u0.cpu_us) / 1e6,
      c->bytes / MIB, (u1.cpu_us - u0.cpu_us) / 1e3 / (c->bytes / MIB),
      c->bytes);
  append_usage_counts (out, &u0, &u1, c->bytes / MIB);
  ok = child_check_sources (c, opt_element, out, why);

done:
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  return ok;
}

static int
child_main (void)
{
  Child c = { 0, };
  GString *out = g_string_new ("RESULT");
  gchar *why = NULL;
  gboolean ok;

  /* A hung element must not hang the benchmark. */
  alarm (CHILD_TIMEOUT_S);

  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  c.factories = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (!opt_element || !opt_uri) {
    why = g_strdup ("--element and --uri are required");
    ok = FALSE;
  } else if (!(ok = child_set_ranks (opt_element, &why))) {
  } else if (g_str_equal (opt_child, "file")) {
    ok = child_file (&c, out, &why);
  } else if (g_str_equal (opt_child, "ranges")) {
    ok = child_reuse (&c, TRUE, out, &why);
  } else if (g_str_equal (opt_child, "small")) {
    ok = child_reuse (&c, FALSE, out, &why);
  } else if (g_str_equal (opt_child, "hls-demux")) {
    ok = child_hls (&c, FALSE, out, &why);
  } else if (g_str_equal (opt_child, "hls-playbin")) {
    ok = child_hls (&c, TRUE, out, &why);
  } else {
    why = g_strdup_printf ("unknown case %s", opt_child);
    ok = FALSE;
  }

  if (ok)
    printf ("%s\n", out->str);
  else
    printf ("FAILED %s\n", why ? why : "?");
  fflush (stdout);
  g_free (why);
  g_string_free (out, TRUE);
  g_hash_table_unref (c.factories);
  g_free (c.error);
  /* Leave without tearing down GStreamer: the network thread may still own
   * idle connections, and their teardown is not what we measure. */
  return ok ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* Parent side */

typedef enum
{
  BETTER_HIGHER = 1,
  BETTER_LOWER = -1,
  INFO = 0,
} Direction;

typedef struct
{
  const gchar *key;             /* as printed by the child */
  const gchar *label;
  Direction dir;
} Metric;

static const Metric file_metrics[] = {
  {"mibps", "MiB/s", BETTER_HIGHER},
  {"cpu_ms_per_mib", "CPU ms/MiB", BETTER_LOWER},
  {"first_ms", "first buffer ms", BETTER_LOWER},
  {"buf_kib", "mean buffer KiB", INFO},
  {"faults", "page faults/MiB", INFO},
  {"csw", "context switches/MiB", INFO},
  {"origin_requests", "origin requests", INFO},
  {"origin_conns", "origin connections", INFO},
  {NULL}
};

static const Metric range_metrics[] = {
  {"mibps", "MiB/s", BETTER_HIGHER},
  {"cpu_ms_per_mib", "CPU ms/MiB", BETTER_LOWER},
  {"first_p50_ms", "first byte p50 ms", BETTER_LOWER},
  {"first_p99_ms", "first byte p99 ms", BETTER_LOWER},
  {"req_p50_ms", "request p50 ms", BETTER_LOWER},
  {"buf_kib", "mean buffer KiB", INFO},
  {"faults", "page faults/MiB", INFO},
  {"csw", "context switches/MiB", INFO},
  {"origin_requests", "origin requests", INFO},
  {"origin_conns", "origin connections", INFO},
  {NULL}
};

static const Metric small_metrics[] = {
  {"req_p50_ms", "request p50 ms", BETTER_LOWER},
  {"req_p99_ms", "request p99 ms", BETTER_LOWER},
  {"first_p50_ms", "first byte p50 ms", BETTER_LOWER},
  {"cpu_us_per_req", "CPU us/request", BETTER_LOWER},
  {"faults", "page faults/request", INFO},
  {"csw", "context switches/request", INFO},
  {"origin_requests", "origin requests", INFO},
  {"origin_conns", "origin connections", INFO},
  {NULL}
};

static const Metric hls_metrics[] = {
  {"wall_s", "wall s", BETTER_LOWER},
  {"cpu_s", "CPU s", BETTER_LOWER},
  {"cpu_ms_per_mib", "CPU ms/MiB fetched", BETTER_LOWER},
  {"faults", "page faults/MiB", INFO},
  {"csw", "context switches/MiB", INFO},
  {"mib", "MiB through sources", INFO},
  {"sources", "source elements", INFO},
  {"origin_requests", "origin requests", INFO},
  {"origin_conns", "origin connections", INFO},
  {"origin_mib", "origin MiB", INFO},
  {NULL}
};

typedef struct
{
  gchar *name;                  /* "file-64M", "ranges", ... */
  gchar *kind;                  /* child case */
  gchar *what;                  /* one-line description for the table */
  const Metric *metrics;
  gchar **child_args;           /* extra child arguments */
  GPtrArray *runs[2];           /* GHashTable key -> gdouble*, per element */
  guint failures[2];
  gchar *last_error[2];
} Case;

/* baseline, candidate; --pair swaps in others (e.g. an A/A noise check) */
static gchar *elements[2] = { (gchar *) ELEM_SOUP, (gchar *) ELEM_P2P };

static gchar *self_exe;
static guint total_failures;

static GHashTable *
parse_result (const gchar * line)
{
  GHashTable *h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  gchar **tok = g_strsplit (line, " ", -1);
  guint i;

  for (i = 1; tok[i]; i++) {
    gchar *eq = strchr (tok[i], '=');
    gdouble *v;

    if (!eq)
      continue;
    v = g_new (gdouble, 1);
    *v = g_ascii_strtod (eq + 1, NULL);
    g_hash_table_insert (h, g_strndup (tok[i], eq - tok[i]), v);
  }
  g_strfreev (tok);
  return h;
}

/* What nginx logged for the requests of one run (the entries after @from):
 * requests, distinct connections, body bytes. */
static void
add_origin_figures (GHashTable * res, const gchar * log_path, guint from)
{
  GPtrArray *entries = gst_p2p_test_access_log_read (log_path, NULL);
  GHashTable *conns = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint64 bytes = 0;
  guint by_p2p = 0;
  gdouble *v;
  guint i;

  if (!entries)
    return;
  for (i = from; i < entries->len; i++) {
    GstP2pTestAccessEntry *en = g_ptr_array_index (entries, i);

    bytes += en->body_bytes_sent;
    g_hash_table_add (conns, &en->connection);
    /* p2phttpsrc appends "p2phttpsrc/<version>" to souphttpsrc's agent. */
    if (en->user_agent && strstr (en->user_agent, ELEM_P2P "/"))
      by_p2p++;
  }
  v = g_new (gdouble, 1);
  *v = by_p2p;
  g_hash_table_insert (res, g_strdup ("origin_by_p2p"), v);
  v = g_new (gdouble, 1);
  *v = entries->len > from ? entries->len - from : 0;
  g_hash_table_insert (res, g_strdup ("origin_requests"), v);
  v = g_new (gdouble, 1);
  *v = g_hash_table_size (conns);
  g_hash_table_insert (res, g_strdup ("origin_conns"), v);
  v = g_new (gdouble, 1);
  *v = bytes / MIB;
  g_hash_table_insert (res, g_strdup ("origin_mib"), v);
  g_hash_table_unref (conns);
  g_ptr_array_unref (entries);
}

static gdouble result_get (GHashTable * h, const gchar * key);

/* Every request the origin saw in a run must come from the element under
 * test, including the playlist and key fetches of GstUriDownloader that no
 * bin watch can see: their User-Agent tells. */
static gboolean
origin_agents_match (GHashTable * res, const gchar * element, gchar ** why)
{
  gdouble n = result_get (res, "origin_requests");
  gdouble p2p = result_get (res, "origin_by_p2p");
  gdouble want;

  if (isnan (n) || isnan (p2p))
    return TRUE;                /* no access log: nothing to check */
  if (g_str_equal (element, ELEM_P2P))
    want = n;
  else if (g_str_equal (element, ELEM_SOUP))
    want = 0;
  else
    return TRUE;
  if (n == 0 || p2p != want) {
    *why = g_strdup_printf ("origin saw %.0f requests, %.0f with p2phttpsrc's "
        "User-Agent, in a %s run", n, p2p, element);
    return FALSE;
  }
  return TRUE;
}

static guint
origin_log_len (const gchar * log_path)
{
  GPtrArray *entries = gst_p2p_test_access_log_read (log_path, NULL);
  guint n = entries ? entries->len : 0;

  if (entries)
    g_ptr_array_unref (entries);
  return n;
}

/* Runs one child, returns its parsed RESULT line or NULL with *why set. */
static GHashTable *
run_child (Case * cs, const gchar * element, gchar ** why)
{
  GPtrArray *argv = g_ptr_array_new ();
  GError *err = NULL;
  GPid pid;
  gint out_fd, status;
  struct rusage ru;
  GString *buf = g_string_new (NULL);
  GHashTable *res = NULL;
  gchar chunk[4096], **lines, **l;
  gssize n;
  guint i;

  g_ptr_array_add (argv, self_exe);
  g_ptr_array_add (argv, g_strdup_printf ("--child=%s", cs->kind));
  g_ptr_array_add (argv, g_strdup_printf ("--element=%s", element));
  for (i = 0; cs->child_args[i]; i++)
    g_ptr_array_add (argv, cs->child_args[i]);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_async_with_pipes (NULL, (gchar **) argv->pdata, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL, &out_fd, NULL,
          &err)) {
    *why = g_strdup (err->message);
    g_clear_error (&err);
    goto out;
  }
  while ((n = read (out_fd, chunk, sizeof (chunk))) != 0) {
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    g_string_append_len (buf, chunk, n);
  }
  close (out_fd);
  while (wait4 (pid, &status, 0, &ru) < 0 && errno == EINTR);

  lines = g_strsplit (buf->str, "\n", -1);
  for (l = lines; *l; l++) {
    if (g_str_has_prefix (*l, "RESULT ") && WIFEXITED (status) &&
        WEXITSTATUS (status) == 0) {
      res = parse_result (*l);
      if (opt_verbose)
        g_printerr ("%s ", *l + 7);
    } else if (g_str_has_prefix (*l, "FAILED "))
      *why = g_strdup (*l + 7);
  }
  g_strfreev (lines);
  if (!res && !*why) {
    if (WIFSIGNALED (status))
      *why = g_strdup_printf ("child killed by signal %d%s", WTERMSIG (status),
          WTERMSIG (status) == SIGALRM ? " (timeout)" : "");
    else
      *why = g_strdup_printf ("child exited with %d", WEXITSTATUS (status));
  }

out:
  g_free (argv->pdata[1]);
  g_free (argv->pdata[2]);
  g_ptr_array_unref (argv);
  g_string_free (buf, TRUE);
  return res;
}

static gdouble
result_get (GHashTable * h, const gchar * key)
{
  gdouble *v = g_hash_table_lookup (h, key);

  return v ? *v : NAN;
}

static int
cmp_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

/* Median and spread ((max - min) / 2 / median) of one metric over runs. */
static gboolean
stats_full (GPtrArray * runs, const gchar * key, gdouble * median,
    gdouble * spread, gdouble * lo, gdouble * hi)
{
  gdouble *v = g_new (gdouble, MAX (runs->len, 1));
  guint i, n = 0;

  for (i = 0; i < runs->len; i++) {
    gdouble x = result_get (g_ptr_array_index (runs, i), key);

    if (!isnan (x))
      v[n++] = x;
  }
  if (n == 0) {
    g_free (v);
    return FALSE;
  }
  qsort (v, n, sizeof (gdouble), cmp_double);
  *median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  *spread = *median != 0 ? (v[n - 1] - v[0]) / 2 / fabs (*median) : 0;
  *lo = v[0];
  *hi = v[n - 1];
  g_free (v);
  return TRUE;
}

static gboolean
stats (GPtrArray * runs, const gchar * key, gdouble * median, gdouble * spread)
{
  gdouble lo, hi;

  return stats_full (runs, key, median, spread, &lo, &hi);
}

static void
print_ratio_row (Case * cs, gboolean best)
{
  const Metric *m;

  printf ("| **%s/%s**%s |", elements[1], elements[0],
      best ? " best of runs" : "");
  for (m = cs->metrics; m->key; m++) {
    gdouble m0, m1, s0, s1, lo0, lo1, hi0, hi1;

    if (best && m->dir == INFO) {
      printf (" |");
    } else if (stats_full (cs->runs[0], m->key, &m0, &s0, &lo0, &hi0) &&
        stats_full (cs->runs[1], m->key, &m1, &s1, &lo1, &hi1) && m0 != 0) {
      gdouble r = m1 / m0;
      const gchar *mark = "";

      /* Best of runs: interference from other processes only ever makes a
       * run slower, so the best run is the closest to the element's own
       * cost. */
      if (best && m->dir == BETTER_HIGHER)
        r = hi0 != 0 ? hi1 / hi0 : NAN;
      else if (best)
        r = lo0 != 0 ? lo1 / lo0 : NAN;
      if (m->dir == BETTER_HIGHER)
        mark = r >= 0.95 ? " ok" : " **MISS**";
      else if (m->dir == BETTER_LOWER)
        mark = r <= 1.05 ? " ok" : " **MISS**";
      printf (" %.3f%s |", r, mark);
    } else {
      printf (" n/a |");
    }
  }
  printf (" |\n");
}

static gchar *
fmt_num (gdouble v)
{
  gdouble a = fabs (v);

  if (a >= 100)
    return g_strdup_printf ("%.0f", v);
  if (a >= 10)
    return g_strdup_printf ("%.1f", v);
  if (a >= 1)
    return g_strdup_printf ("%.2f", v);
  if (a >= 0.1)
    return g_strdup_printf ("%.3f", v);
  return g_strdup_printf ("%.4f", v);
}

static void
print_case (Case * cs)
{
  const Metric *m;
  guint e;
  GString *row;

  printf ("\n### %s\n\n%s\n\n", cs->name, cs->what);
  printf ("| element |");
  for (m = cs->metrics; m->key; m++)
    printf (" %s |", m->label);
  printf (" runs |\n|---|");
  for (m = cs->metrics; m->key; m++)
    printf ("---:|");
  printf ("---:|\n");

  for (e = 0; e < 2; e++) {
    row = g_string_new (NULL);
    g_string_append_printf (row, "| %s |", elements[e]);
    for (m = cs->metrics; m->key; m++) {
      gdouble med, spr;

      if (stats (cs->runs[e], m->key, &med, &spr)) {
        gchar *s = fmt_num (med);

        if (m->dir == INFO && med == floor (med))
          g_string_append_printf (row, " %.0f |", med);
        else if (cs->runs[e]->len > 1 && m->dir != INFO)
          g_string_append_printf (row, " %s ±%.0f%% |", s, spr * 100);
        else
          g_string_append_printf (row, " %s |", s);
        g_free (s);
      } else {
        g_string_append (row, " n/a |");
      }
    }
    g_string_append_printf (row, " %u", cs->runs[e]->len);
    if (cs->failures[e])
      g_string_append_printf (row, " (%u failed)", cs->failures[e]);
    g_string_append (row, " |");
    printf ("%s\n", row->str);
    g_string_free (row, TRUE);
  }

  print_ratio_row (cs, FALSE);
  if (cs->runs[0]->len > 1 || cs->runs[1]->len > 1)
    print_ratio_row (cs, TRUE);
  for (e = 0; e < 2; e++)
    if (cs->last_error[e])
      printf ("\n%s failed: %s\n", elements[e], cs->last_error[e]);
}

/* Deterministic incompressible bytes. */
static gboolean
write_random_file (const gchar * path, guint64 size, guint64 seed,
    GError ** error)
{
  FILE *f;
  guint64 *block, x = seed * 0x9E3779B97F4A7C15ull + 1;
  const gsize block_len = 1 << 20;
  guint64 done = 0;
  gboolean ok = TRUE;

  if (g_file_test (path, G_FILE_TEST_EXISTS)) {
    GStatBuf st;

    if (g_stat (path, &st) == 0 && (guint64) st.st_size == size)
      return TRUE;
  }
  f = g_fopen (path, "wb");
  if (!f) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "%s: %s", path, g_strerror (errno));
    return FALSE;
  }
  block = g_malloc (block_len);
  while (done < size) {
    gsize i, len = MIN (block_len, size - done);

    for (i = 0; i < block_len / 8; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      block[i] = x;
    }
    if (fwrite (block, 1, len, f) != len) {
      ok = FALSE;
      break;
    }
    done += len;
  }
  if (fclose (f) != 0)
    ok = FALSE;
  g_free (block);
  if (!ok)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "writing %s failed",
        path);
  return ok;
}

/* VOD content made by ffmpeg through the shared packager helper; returns
 * the docroot-relative entry path (master playlist). */
static gchar *
make_vod (GstP2pTestPackageFormat format, const gchar * docroot,
    const gchar * name, GError ** error)
{
  GstP2pTestPackager *pk = gst_p2p_test_packager_new (format, docroot, name);
  gchar *entry = NULL;

  gst_p2p_test_packager_set_duration (pk, opt_hls_duration);
  if (gst_p2p_test_packager_run (pk, error))
    entry = g_strdup (gst_p2p_test_packager_get_entry_path (pk));
  gst_p2p_test_packager_free (pk);
  return entry;
}

static gboolean
case_enabled (const gchar * name)
{
  gchar **list;
  gboolean on;

  if (!opt_cases)
    return TRUE;
  list = g_strsplit (opt_cases, ",", -1);
  on = g_strv_contains ((const gchar * const *) list, name);
  g_strfreev (list);
  return on;
}

static Case *
case_new (const gchar * name, const gchar * kind, const Metric * metrics,
    gchar * what, ...)
{
  Case *cs = g_new0 (Case, 1);
  GPtrArray *args = g_ptr_array_new ();
  va_list ap;
  const gchar *a;

  cs->name = g_strdup (name);
  cs->kind = g_strdup (kind);
  cs->metrics = metrics;
  cs->what = what;
  va_start (ap, what);
  while ((a = va_arg (ap, const gchar *)))
      g_ptr_array_add (args, g_strdup (a));
  va_end (ap);
  g_ptr_array_add (args, NULL);
  cs->child_args = (gchar **) g_ptr_array_free (args, FALSE);
  cs->runs[0] = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_hash_table_unref);
  cs->runs[1] = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_hash_table_unref);
  return cs;
}

static void
case_free (Case * cs)
{
  g_free (cs->name);
  g_free (cs->kind);
  g_free (cs->what);
  g_strfreev (cs->child_args);
  g_ptr_array_unref (cs->runs[0]);
  g_ptr_array_unref (cs->runs[1]);
  g_free (cs->last_error[0]);
  g_free (cs->last_error[1]);
  g_free (cs);
}

/* The children find our plugin and a registry of their own even when the
 * program is started by hand from the build tree. */
static void
setup_child_env (void)
{
#ifdef P2P_PLUGIN_DIR
  const gchar *path = g_getenv ("GST_PLUGIN_PATH");

  if (!path || !strstr (path, P2P_PLUGIN_DIR)) {
    gchar *p = path && *path ? g_strconcat (P2P_PLUGIN_DIR ":", path, NULL) :
        g_strdup (P2P_PLUGIN_DIR);

    g_setenv ("GST_PLUGIN_PATH", p, TRUE);
    g_free (p);
  }
#endif
#ifdef BENCH_BUILD_DIR
  if (!g_getenv ("GST_REGISTRY"))
    g_setenv ("GST_REGISTRY", BENCH_BUILD_DIR "/registry.bin", TRUE);
#endif
}

static gchar *
read_first_line (const gchar * path, const gchar * prefix)
{
  gchar *contents = NULL, **lines, **l, *res = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (l = lines; *l && !res; l++)
    if (!prefix || g_str_has_prefix (*l, prefix)) {
      gchar *colon = prefix ? strchr (*l, ':') : NULL;

      res = g_strstrip (g_strdup (colon ? colon + 1 : *l));
    }
  g_strfreev (lines);
  g_free (contents);
  return res;
}

static void
print_header (gint argc, gchar ** argv_copy)
{
  struct utsname u;
  gchar *cpu = read_first_line ("/proc/cpuinfo", "model name");
  gchar *load = read_first_line ("/proc/loadavg", NULL);
  gchar *cmd = g_strjoinv (" ", argv_copy);

  uname (&u);
  printf ("Machine: %s, %ld cores, %s %s; load average at start: %s\n\n",
      cpu ? cpu : "?", sysconf (_SC_NPROCESSORS_ONLN), u.sysname, u.release,
      load ? load : "?");
  printf ("Command: `%s`\n\n", cmd);
  printf ("Each cell: median over %d runs per element, ± half the min-max "
      "spread relative to the median; runs alternate %s, %s, %s, %s ... one "
      "child process per run; CPU = user + system time of the whole child "
      "process over the measured part. Ratio rows: of the medians, and of the "
      "best runs (least disturbed by other load). Target: candidate/baseline "
      "within 5 %% (ok / **MISS**).\n", opt_reps, elements[0], elements[1],
      elements[0], elements[1]);
  g_free (cpu);
  g_free (load);
  g_free (cmd);
}

static int
parent_main (gint argc, gchar ** argv_copy)
{
  GstP2pTestOrigin *origin = NULL;
  GError *err = NULL;
  gchar *docroot, *base, *hls_ts = NULL, *hls_br = NULL;
  const gchar *log_path;
  gchar **sizes;
  GPtrArray *cases = g_ptr_array_new_with_free_func ((GDestroyNotify)
      case_free);
  gboolean tmp_docroot = opt_docroot == NULL;
  gint64 started = g_get_monotonic_time ();
  guint i, rep;
  int ret = 0;

  if (opt_quick) {
    opt_reps = 1;
    if (!opt_sizes)
      opt_sizes = g_strdup ("8");
    opt_range_file = MIN (opt_range_file, 8);
    opt_small_count = MIN (opt_small_count, 50);
    opt_hls_duration = MIN (opt_hls_duration, 8);
  }
  if (!opt_sizes)
    opt_sizes = g_strdup ("64,256");
  if (opt_pair) {
    gchar **pair = g_strsplit (opt_pair, ",", -1);

    if (g_strv_length (pair) != 2) {
      g_printerr ("--pair wants two element names\n");
      g_strfreev (pair);
      return 2;
    }
    elements[0] = g_strdup (pair[0]);
    elements[1] = g_strdup (pair[1]);
    g_strfreev (pair);
  }
  if (opt_reps < 1 || opt_range_min_kib < 1 ||
      opt_range_max_kib < opt_range_min_kib || opt_small_count < 1 ||
      opt_small_size < 1 || opt_range_file < 1 || opt_hls_duration < 2) {
    g_printerr ("invalid options\n");
    return 2;
  }

  if (!gst_p2p_test_origin_is_available ()) {
    g_printerr ("SKIP: no nginx at %s\n", GST_P2P_TEST_NGINX_PATH);
    return 77;
  }
  self_exe = g_file_read_link ("/proc/self/exe", NULL);
  if (!self_exe)
    self_exe = g_strdup (argv_copy[0]);
  setup_child_env ();

  if (tmp_docroot) {
    /* World-readable: nginx may read it as another user. */
    docroot = gst_p2p_test_fs_make_tmp_dir ("p2p-http-bench-XXXXXX", &err);
    if (!docroot) {
      g_printerr ("docroot: %s\n", err->message);
      return 1;
    }
  } else {
    docroot = g_strdup (opt_docroot);
    g_mkdir_with_parents (docroot, 0755);
  }

  g_printerr ("Preparing content in %s\n", docroot);
  sizes = g_strsplit (opt_sizes, ",", -1);
  for (i = 0; sizes[i]; i++) {
    guint64 mib = g_ascii_strtoull (sizes[i], NULL, 10);
    gchar *name, *path;

    if (mib == 0)
      continue;
    name = g_strdup_printf ("large-%" G_GUINT64_FORMAT "M.bin", mib);
    path = g_build_filename (docroot, name, NULL);
    if (!write_random_file (path, mib << 20, mib, &err))
      goto fail;
    g_free (path);
    g_free (name);
  }
  {
    gchar *path = g_strdup_printf ("%s/ranges-%dM.bin", docroot,
        opt_range_file);

    if (!write_random_file (path, (guint64) opt_range_file << 20, 7, &err))
      goto fail;
    g_free (path);
    path = g_build_filename (docroot, "small", NULL);
    g_mkdir_with_parents (path, 0755);
    g_free (path);
    for (i = 0; i < N_SMALL_FILES; i++) {
      path = g_strdup_printf ("%s/small/small-%02u.bin", docroot, i);
      if (!write_random_file (path, opt_small_size, 100 + i, &err))
        goto fail;
      g_free (path);
    }
  }

  if (case_enabled ("hls-demux") || case_enabled ("hls-playbin")
      || case_enabled ("hls-byterange")) {
    if (!gst_p2p_test_packager_is_available ()) {
      g_printerr ("SKIP: no ffmpeg at %s\n", GST_P2P_TEST_FFMPEG_PATH);
      ret = 77;
      goto out;
    }
    g_printerr ("Packaging %d s of VOD HLS with ffmpeg\n", opt_hls_duration);
    if (!(hls_ts = make_vod (GST_P2P_TEST_PACKAGE_HLS_TS_AES128, docroot,
                "hls-ts", &err)))
      goto fail;
    if (case_enabled ("hls-byterange") &&
        !(hls_br = make_vod (GST_P2P_TEST_PACKAGE_HLS_FMP4_BYTERANGE,
                docroot, "hls-br", &err)))
      goto fail;
  }

  origin = gst_p2p_test_origin_start (docroot, &err);
  if (!origin) {
    g_printerr ("SKIP: cannot start the nginx origin: %s\n", err->message);
    g_clear_error (&err);
    ret = 77;
    goto out;
  }
  base = g_strdup (gst_p2p_test_origin_get_base_uri (origin));
  log_path = gst_p2p_test_origin_get_access_log_path (origin);
  if (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';

  if (case_enabled ("file")) {
    for (i = 0; sizes[i]; i++) {
      guint64 mib = g_ascii_strtoull (sizes[i], NULL, 10);
      gchar *name, *uri, *size;

      if (mib == 0)
        continue;
      name = g_strdup_printf ("file-%" G_GUINT64_FORMAT "M", mib);
      uri = g_strdup_printf ("--uri=%s/large-%" G_GUINT64_FORMAT "M.bin",
          base, mib);
      size = g_strdup_printf ("--expect=%" G_GUINT64_FORMAT, mib << 20);
      g_ptr_array_add (cases, case_new (name, "file", file_metrics,
              g_strdup_printf ("`SRC location=%s ! fakesink` (one GET of %"
                  G_GUINT64_FORMAT " MiB)", uri + 6, mib), uri, size, NULL));
      g_free (name);
      g_free (uri);
      g_free (size);
    }
  }
  if (case_enabled ("ranges")) {
    gchar *uri = g_strdup_printf ("--uri=%s/ranges-%dM.bin", base,
        opt_range_file);
    gchar *size = g_strdup_printf ("--file-size=%" G_GUINT64_FORMAT,
        (guint64) opt_range_file << 20);

    g_ptr_array_add (cases, case_new ("ranges", "ranges", range_metrics,
            g_strdup_printf ("One source reused as adaptivedemux does (READY, "
                "set URI, BYTES seek with exclusive stop, PLAYING) for "
                "consecutive %d-%d KiB ranges covering a %d MiB file; first "
                "byte = PLAYING to first buffer of each range",
                opt_range_min_kib, opt_range_max_kib, opt_range_file), uri,
            size, NULL));
    g_free (uri);
    g_free (size);
  }
  if (case_enabled ("small")) {
    gchar *uri = g_strdup_printf ("--uri=%s/small", base);
    gchar *size = g_strdup_printf ("--file-size=%d", opt_small_size);
    gchar *count = g_strdup_printf ("--count=%d", opt_small_count);

    g_ptr_array_add (cases, case_new ("small", "small", small_metrics,
            g_strdup_printf ("One reused source, %d requests of %d-byte "
                "files (16 URIs in turn); request = PLAYING to EOS",
                opt_small_count, opt_small_size), uri, size, count, NULL));
    g_free (uri);
    g_free (size);
    g_free (count);
  }
  if (case_enabled ("hls-demux")) {
    gchar *uri = g_strdup_printf ("--uri=%s/%s", base, hls_ts);

    g_ptr_array_add (cases, case_new ("hls-demux", "hls-demux", hls_metrics,
            g_strdup_printf ("`SRC location=%s ! hlsdemux ! fakesink`, "
                "%d s VOD, MPEG-TS, AES-128, 2 s segments (ffmpeg); "
                "fragment, playlist and key sources picked by rank",
                uri + 6, opt_hls_duration), uri, NULL));
    g_free (uri);
  }
  if (case_enabled ("hls-byterange")) {
    gchar *uri = g_strdup_printf ("--uri=%s/%s", base, hls_br);

    g_ptr_array_add (cases, case_new ("hls-byterange", "hls-demux",
            hls_metrics, g_strdup_printf ("`SRC location=%s ! hlsdemux ! "
                "fakesink`, %d s VOD, one fMP4 file addressed with "
                "EXT-X-BYTERANGE (ffmpeg): every fragment is a range request",
                uri + 6, opt_hls_duration), uri, NULL));
    g_free (uri);
  }
  if (case_enabled ("hls-playbin")) {
    gchar *uri = g_strdup_printf ("--uri=%s/%s", base, hls_ts);

    g_ptr_array_add (cases, case_new ("hls-playbin", "hls-playbin",
            hls_metrics, g_strdup_printf ("`playbin uri=%s` with fakesinks "
                "(sync=false), decoding included, %d s VOD", uri + 6,
                opt_hls_duration), uri, NULL));
    g_free (uri);
  }

  for (i = 0; i < cases->len; i++) {
    Case *cs = g_ptr_array_index (cases, i);

    for (rep = 0; rep < (guint) opt_reps; rep++) {
      guint e, log_from;

      for (e = 0; e < 2; e++) {
        gchar *why = NULL;
        GHashTable *res;

        g_printerr ("[%5.1f s] %s %s run %u/%d ... ",
            (g_get_monotonic_time () - started) / 1e6, cs->name, elements[e],
            rep + 1, opt_reps);
        log_from = origin_log_len (log_path);
        res = run_child (cs, elements[e], &why);
        if (res) {
          add_origin_figures (res, log_path, log_from);
          if (!origin_agents_match (res, elements[e], &why))
            g_clear_pointer (&res, g_hash_table_unref);
        }
        if (res) {
          g_ptr_array_add (cs->runs[e], res);
          g_printerr ("ok\n");
        } else {
          g_printerr ("FAILED: %s\n", why);
          cs->failures[e]++;
          total_failures++;
          g_free (cs->last_error[e]);
          cs->last_error[e] = why;
        }
      }
    }
  }

  if (opt_markdown)
    printf ("## p2phttpsrc vs souphttpsrc\n\n");
  print_header (argc, argv_copy);
  for (i = 0; i < cases->len; i++)
    print_case (g_ptr_array_index (cases, i));
  printf ("\nTotal time %.0f s, %u failed runs.\n",
      (g_get_monotonic_time () - started) / 1e6, total_failures);
  ret = total_failures ? 1 : 0;
  g_free (base);
  goto out;

fail:
  g_printerr ("content: %s\n", err->message);
  g_clear_error (&err);
  ret = 1;
out:
  if (origin) {
    gst_p2p_test_origin_stop (origin);
    gst_p2p_test_origin_free (origin);
  }
  if (tmp_docroot && !opt_keep)
    gst_p2p_test_fs_rm_rf (docroot);
  else
    g_printerr ("Docroot kept: %s\n", docroot);
  g_strfreev (sizes);
  g_free (hls_ts);
  g_free (hls_br);
  g_free (docroot);
  g_ptr_array_unref (cases);
  return ret;
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *err = NULL;
  gchar **argv_copy = g_strdupv (argv);
  int ret;

  ctx = g_option_context_new ("- p2phttpsrc against souphttpsrc");
  g_option_context_add_main_entries (ctx, option_entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);

  if (opt_child) {
    gst_init (NULL, NULL);
    ret = child_main ();
  } else {
    /* The parent never initialises GStreamer: children start clean. */
    ret = parent_main (argc, argv_copy);
  }
  g_strfreev (argv_copy);
  return ret;
}
