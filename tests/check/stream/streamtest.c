/* Helpers of the stream tests. See streamtest.h.
 *
 * Threads: the test's own thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "streamtest.h"

gchar *
stream_test_tmpdir (void)
{
  GError *err = NULL;
  gchar *dir = g_dir_make_tmp ("gst-p2p-stream-XXXXXX", &err);

  fail_unless (dir != NULL, "tmpdir: %s", err ? err->message : "?");
  return dir;
}

void
stream_test_rmdir (const gchar * dir)
{
  GDir *d;
  const gchar *name;

  if (dir == NULL || !g_str_has_prefix (dir, g_get_tmp_dir ()))
    return;
  d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      stream_test_rmdir (path);
    else
      g_unlink (path);
    g_free (path);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static GPtrArray *
collect_args (gboolean realtime, va_list ap)
{
  GPtrArray *argv = g_ptr_array_new ();
  const gchar *a;

  g_ptr_array_add (argv, (gpointer) "ffmpeg");
  g_ptr_array_add (argv, (gpointer) "-nostdin");
  g_ptr_array_add (argv, (gpointer) "-v");
  g_ptr_array_add (argv, (gpointer) "error");
  g_ptr_array_add (argv, (gpointer) "-y");
  if (realtime)
    g_ptr_array_add (argv, (gpointer) "-re");
  while ((a = va_arg (ap, const gchar *)) != NULL)
      g_ptr_array_add (argv, (gpointer) a);
  g_ptr_array_add (argv, NULL);
  return argv;
}

void
stream_test_ffmpeg (const gchar * dir, ...)
{
  GPtrArray *argv;
  GError *err = NULL;
  gchar *out = NULL;
  gint status = 0;
  gboolean ok;
  va_list ap;

  va_start (ap, dir);
  argv = collect_args (FALSE, ap);
  va_end (ap);
  ok = g_spawn_sync (dir, (gchar **) argv->pdata, NULL,
      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
      &out, &status, &err);
  fail_unless (ok, "ffmpeg could not run: %s", err ? err->message : "?");
  fail_unless (g_spawn_check_wait_status (status, NULL),
      "ffmpeg failed: %s", out ? out : "");
  g_free (out);
  g_ptr_array_unref (argv);
}

GSubprocess *
stream_test_ffmpeg_start (const gchar * dir, ...)
{
  GSubprocessLauncher *l;
  GSubprocess *p;
  GPtrArray *argv;
  GError *err = NULL;
  va_list ap;

  va_start (ap, dir);
  argv = collect_args (TRUE, ap);
  va_end (ap);
  l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_cwd (l, dir);
  p = g_subprocess_launcher_spawnv (l, (const gchar * const *) argv->pdata,
      &err);
  fail_unless (p != NULL, "ffmpeg could not start: %s",
      err ? err->message : "?");
  g_object_unref (l);
  g_ptr_array_unref (argv);
  return p;
}

void
stream_test_kill (GSubprocess * process)
{
  if (process == NULL)
    return;
  g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
  g_object_unref (process);
}

gchar *
stream_test_read (const gchar * dir, const gchar * name, gsize * size)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gchar *data = NULL;
  GError *err = NULL;

  fail_unless (g_file_get_contents (path, &data, size, &err), "%s: %s",
      path, err ? err->message : "?");
  g_free (path);
  return data;
}

gboolean
stream_test_exists (const gchar * dir, const gchar * name)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gboolean ok = g_file_test (path, G_FILE_TEST_IS_REGULAR);

  g_free (path);
  return ok;
}

const gchar *
stream_test_relative (const gchar * uri, const gchar * prefix)
{
  if (uri == NULL || !g_str_has_prefix (uri, prefix))
    return NULL;
  return uri + strlen (prefix);
}
