/* gst-p2p test support: child processes (nginx, ffmpeg) that never outlive
 * the test.
 *
 * Every child gets PR_SET_PDEATHSIG(SIGKILL): the kernel kills it when the
 * thread that spawned it exits, so a crashed or timed-out test leaves no
 * server behind. Spawn from the test's main thread. Output goes to a log file
 * so a failing test can show what the tool said.
 */
#ifndef __GST_P2P_TEST_PROCESS_H__
#define __GST_P2P_TEST_PROCESS_H__

#include <gio/gio.h>

G_BEGIN_DECLS

GSubprocess * gst_p2p_test_process_spawn (const gchar * const *argv,
                                          const gchar * cwd,
                                          const gchar * log_path,
                                          GError ** error);

/* TRUE once the process has exited (and been reaped), FALSE on timeout. */
gboolean      gst_p2p_test_process_wait  (GSubprocess * process,
                                          guint timeout_ms);

/* SIGTERM, up to 5 s grace, then SIGKILL; always waits for the exit. */
void          gst_p2p_test_process_kill  (GSubprocess * process);

/* Last @max_bytes of a log file, for error messages (never NULL). */
gchar *       gst_p2p_test_process_log_tail (const gchar * log_path,
                                             gsize max_bytes);

G_END_DECLS

#endif /* __GST_P2P_TEST_PROCESS_H__ */
