/* gst-p2p test support: scratch directories and the on-disk truth for
 * byte-equality checks (SHA-256 of a file or of a byte range of it).
 *
 * Plain functions, callable from any thread.
 */
#ifndef __GST_P2P_TEST_FS_H__
#define __GST_P2P_TEST_FS_H__

#include <glib.h>

G_BEGIN_DECLS

/* A new world-readable directory under g_get_tmp_dir() (nginx may read it
 * as another user). @tmpl as for g_dir_make_tmp(), e.g. "p2p-media-XXXXXX".
 * Deleted at process exit if still there (a failed GstCheck test exits
 * without teardown), unless GST_P2P_TEST_KEEP_FILES is set. */
gchar *   gst_p2p_test_fs_make_tmp_dir   (const gchar * tmpl, GError ** error);

/* Deletes @path recursively. Refuses anything outside g_get_tmp_dir(). */
void      gst_p2p_test_fs_rm_rf          (const gchar * path);

/* Lower-case hex SHA-256 of bytes [@start, @end) of @path; @end < 0 means
 * to the end of the file. NULL (and @error) if the file is missing or shorter
 * than the range. @out_size (optional) receives the number of bytes hashed. */
gchar *   gst_p2p_test_fs_sha256_range   (const gchar * path,
                                          guint64 start,
                                          gint64 end,
                                          guint64 * out_size,
                                          GError ** error);

G_END_DECLS

#endif /* __GST_P2P_TEST_FS_H__ */
