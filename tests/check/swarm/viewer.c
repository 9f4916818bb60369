/* swarm-viewer: one viewer (GstP2pSwarm) in its own process, for the
 * multi-process swarm tests.
 *
 *   swarm-viewer --tracker URL --swarm NAME [--token T] [--peer-id ID]
 *                [--max-uploads N] [--upload-rate BYTES_PER_S]
 *
 * Commands on stdin, one per line:
 *   put SEG SEED SIZE     store test_blob(SEED, SIZE) as SEG, announce HAVE
 *   get SEG TIMEOUT_MS    fetch SEG from any holder, retrying until TIMEOUT
 *   peers N TIMEOUT_MS    wait until N peers are ready
 *   quit
 * Lines on stdout: "joined ID", "ok put SEG", "peers N" / "fail peers",
 * "got SEG SIZE SHA256" / "fail SEG MESSAGE" (when a get ends, in any
 * order). The process exits when stdin closes; it dies with its parent.
 *
 * Threads: the main thread reads stdin; the swarm runs on the network
 * thread; stdout is written under a lock from both.
 */
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <gst/gst.h>

#include "swarmtest.h"

static GMutex out_lock;

static void
say (const gchar * format, ...)
{
  va_list args;

  g_mutex_lock (&out_lock);
  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  putchar ('\n');
  fflush (stdout);
  g_mutex_unlock (&out_lock);
}

static void
on_get (TestViewer * v, guint64 seg, GBytes * bytes, const gchar * error,
    gpointer data)
{
  if (bytes) {
    gchar *sum = test_sha256 (bytes);
    say ("got %" G_GUINT64_FORMAT " %" G_GSIZE_FORMAT " %s", seg,
        g_bytes_get_size (bytes), sum);
    g_free (sum);
  } else {
    say ("fail %" G_GUINT64_FORMAT " %s", seg, error ? error : "timeout");
  }
}

int
main (int argc, char **argv)
{
  gchar *tracker = NULL, *swarm = NULL, *token = NULL, *peer_id = NULL;
  gint max_uploads = 1;
  gint64 upload_rate = 0;
  GOptionEntry entries[] = {
    {"tracker", 0, 0, G_OPTION_ARG_STRING, &tracker, "Tracker URL", "URL"},
    {"swarm", 0, 0, G_OPTION_ARG_STRING, &swarm, "Swarm name", "NAME"},
    {"token", 0, 0, G_OPTION_ARG_STRING, &token, "Join token", "T"},
    {"peer-id", 0, 0, G_OPTION_ARG_STRING, &peer_id, "Peer id", "ID"},
    {"max-uploads", 0, 0, G_OPTION_ARG_INT, &max_uploads, "Uploads", "N"},
    {"upload-rate", 0, 0, G_OPTION_ARG_INT64, &upload_rate, "Bytes/s", "R"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- one swarm viewer");
  GError *err = NULL;
  guint8 id[32];
  TestViewer *v;
  gchar line[512];
  gchar *me;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  gst_init (&argc, &argv);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || !tracker || !swarm) {
    g_printerr ("%s\n", err ? err->message : "--tracker and --swarm needed");
    return 2;
  }
  g_option_context_free (ctx);

  test_swarm_id (swarm, id);
  v = test_viewer_new (id, tracker, token, peer_id, "max-uploads",
      (guint) max_uploads, "upload-rate", (guint64) upload_rate, NULL);
  test_viewer_on_get (v, on_get, NULL);
  test_viewer_start (v);
  if (!test_viewer_wait_joined (v, 10000)) {
    say ("fail join");
    return 1;
  }
  me = test_viewer_peer_id (v);
  say ("joined %s", me);
  g_free (me);

  while (fgets (line, sizeof (line), stdin)) {
    gchar **w = g_strsplit (g_strstrip (line), " ", 0);
    guint n = g_strv_length (w);

    if (n == 4 && strcmp (w[0], "put") == 0) {
      GBytes *b = test_blob (atoi (w[2]), g_ascii_strtoull (w[3], NULL, 10));
      test_viewer_put (v, g_ascii_strtoull (w[1], NULL, 10), b);
      g_bytes_unref (b);
      say ("ok put %s", w[1]);
    } else if (n == 3 && strcmp (w[0], "get") == 0) {
      test_viewer_get (v, g_ascii_strtoull (w[1], NULL, 10), atoi (w[2]), NULL);
    } else if (n == 3 && strcmp (w[0], "peers") == 0) {
      if (test_viewer_wait_peers (v, atoi (w[1]), atoi (w[2])))
        say ("peers %s", w[1]);
      else
        say ("fail peers");
    } else if (n == 1 && strcmp (w[0], "quit") == 0) {
      g_strfreev (w);
      break;
    } else {
      say ("fail command %s", line);
    }
    g_strfreev (w);
  }
  test_viewer_free (v);
  g_free (tracker);
  g_free (swarm);
  g_free (token);
  g_free (peer_id);
  return 0;
}
