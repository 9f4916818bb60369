/* gst-p2p test support: child processes that never outlive the test.
 *
 * Runs on the calling thread; GSubprocess reaps children on GLib's worker
 * context, so waiting here only polls and needs no main loop.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ptestprocess.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

static void
child_setup (gpointer user_data)
{
  pid_t expected_parent = GPOINTER_TO_INT (user_data);

  /* Dies with the spawning thread. The getppid() check closes the race where
   * the parent died before prctl() ran. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != expected_parent)
    _exit (127);
}

GSubprocess *
gst_p2p_test_process_spawn (const gchar * const *argv, const gchar * cwd,
    const gchar * log_path, GError ** error)
{
  GSubprocessLauncher *launcher;
  GSubprocess *process;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  /* stdin is /dev/null; stdout and stderr go to the log (or are inherited). */
  launcher = g_subprocess_launcher_new (log_path ?
      G_SUBPROCESS_FLAGS_STDERR_MERGE : G_SUBPROCESS_FLAGS_NONE);
  if (cwd)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  if (log_path)
    g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup,
      GINT_TO_POINTER (getpid ()), NULL);

  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  g_object_unref (launcher);
  return process;
}

gboolean
gst_p2p_test_process_wait (GSubprocess * process, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  /* The identifier turns NULL once the child watch has reaped the process. */
  while (g_subprocess_get_identifier (process) != NULL) {
    if (g_get_monotonic_time () >= deadline)
      return FALSE;
    g_usleep (10 * 1000);
  }
  return TRUE;
}

void
gst_p2p_test_process_kill (GSubprocess * process)
{
  if (process == NULL || g_subprocess_get_identifier (process) == NULL)
    return;

  g_subprocess_send_signal (process, SIGTERM);
  if (gst_p2p_test_process_wait (process, 5000))
    return;
  g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, NULL);
}

gchar *
gst_p2p_test_process_log_tail (const gchar * log_path, gsize max_bytes)
{
  gchar *contents = NULL;
  gsize len = 0;
  gchar *tail;

  if (log_path == NULL
      || !g_file_get_contents (log_path, &contents, &len, NULL))
    return g_strdup ("(no log)");
  if (len <= max_bytes)
    return contents;
  tail = g_strdup (contents + len - max_bytes);
  g_free (contents);
  return tail;
}
