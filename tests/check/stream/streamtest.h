/* Helpers of the stream tests: scratch directories, ffmpeg runs, files.
 *
 * Threads: the test's own thread.
 */
#ifndef __STREAM_TEST_H__
#define __STREAM_TEST_H__

#include <gio/gio.h>

G_BEGIN_DECLS

gchar *   stream_test_tmpdir       (void);
void      stream_test_rmdir        (const gchar * dir);
/* Runs "ffmpeg -nostdin -v error -y ARGS..." in @dir; fails the test if it
 * cannot run or exits non-zero. */
void      stream_test_ffmpeg       (const gchar * dir, ...) G_GNUC_NULL_TERMINATED;
/* Starts ffmpeg with -re in @dir and returns it running. */
GSubprocess * stream_test_ffmpeg_start (const gchar * dir, ...) G_GNUC_NULL_TERMINATED;
void      stream_test_kill         (GSubprocess * process);
gchar *   stream_test_read         (const gchar * dir, const gchar * name,
                                    gsize * size);
gboolean  stream_test_exists       (const gchar * dir, const gchar * name);
/* The file name of an absolute http(s) URI under @prefix, NULL otherwise. */
const gchar * stream_test_relative (const gchar * uri, const gchar * prefix);

G_END_DECLS

#endif
