/* The tracker's secret file. See gstp2ptrackersecret.h.
 *
 * Threads: any; no shared state.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include "gstp2ptrackersecret.h"

/**
 * gst_p2p_tracker_secret_load:
 * @path: a file holding the secret (trailing whitespace is ignored)
 *
 * Returns: (transfer full) (nullable): the secret, or NULL if the file can't
 * be read or holds fewer than 16 bytes.
 */
GBytes *
gst_p2p_tracker_secret_load (const gchar * path, GError ** error)
{
  gchar *data = NULL;
  gsize len = 0;
  struct stat st;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  while (len > 0 && g_ascii_isspace (data[len - 1]))
    len--;
  if (len < GST_P2P_TOKEN_MIN_SECRET_LEN) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "secret in %s is shorter than %d bytes", path,
        GST_P2P_TOKEN_MIN_SECRET_LEN);
    g_free (data);
    return NULL;
  }
  if (stat (path, &st) == 0 && (st.st_mode & 0077))
    g_warning ("secret file %s is readable by group or others", path);
  return g_bytes_new_take (data, len);
}
