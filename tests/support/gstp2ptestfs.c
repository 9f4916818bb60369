/* gst-p2p test support: scratch directories and file-range hashes. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ptestfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

/* Directories made here and not yet deleted. A failing GstCheck test exits
 * its process without running teardown; this removes them at exit. */
static GMutex live_dirs_lock;
static GPtrArray *live_dirs;

static void rm_rf_inner (const gchar * path);

static void
remove_live_dirs_at_exit (void)
{
  guint i;

  g_mutex_lock (&live_dirs_lock);
  if (live_dirs && g_getenv ("GST_P2P_TEST_KEEP_FILES") == NULL)
    for (i = 0; i < live_dirs->len; i++)
      rm_rf_inner (g_ptr_array_index (live_dirs, i));
  g_mutex_unlock (&live_dirs_lock);
}

gchar *
gst_p2p_test_fs_make_tmp_dir (const gchar * tmpl, GError ** error)
{
  gchar *dir = g_dir_make_tmp (tmpl, error);

  if (dir == NULL)
    return NULL;
  g_chmod (dir, 0755);
  g_mutex_lock (&live_dirs_lock);
  if (live_dirs == NULL) {
    live_dirs = g_ptr_array_new_with_free_func (g_free);
    atexit (remove_live_dirs_at_exit);
  }
  g_ptr_array_add (live_dirs, g_strdup (dir));
  g_mutex_unlock (&live_dirs_lock);
  return dir;
}

static void
rm_rf_inner (const gchar * path)
{
  GDir *dir;
  const gchar *name;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK)
      && g_file_test (path, G_FILE_TEST_IS_DIR)) {
    dir = g_dir_open (path, 0, NULL);
    if (dir) {
      while ((name = g_dir_read_name (dir)) != NULL) {
        gchar *child = g_build_filename (path, name, NULL);
        rm_rf_inner (child);
        g_free (child);
      }
      g_dir_close (dir);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

void
gst_p2p_test_fs_rm_rf (const gchar * path)
{
  gchar *tmp;

  if (path == NULL)
    return;
  /* A guard against a bad path wiping something that is not ours. */
  tmp = g_build_filename (g_get_tmp_dir (), "", NULL);
  if (g_str_has_prefix (path, tmp) && strlen (path) > strlen (tmp)
      && strstr (path, "..") == NULL) {
    guint i;

    rm_rf_inner (path);
    g_mutex_lock (&live_dirs_lock);
    for (i = 0; live_dirs && i < live_dirs->len; i++) {
      if (g_strcmp0 (g_ptr_array_index (live_dirs, i), path) == 0) {
        g_ptr_array_remove_index_fast (live_dirs, i);
        break;
      }
    }
    g_mutex_unlock (&live_dirs_lock);
  } else
    g_warning ("refusing to delete %s (not under %s)", path, tmp);
  g_free (tmp);
}

gchar *
gst_p2p_test_fs_sha256_range (const gchar * path, guint64 start, gint64 end,
    guint64 * out_size, GError ** error)
{
  FILE *f;
  GChecksum *sum;
  guint8 buf[64 * 1024];
  guint64 want, done = 0;
  gchar *hex = NULL;

  f = g_fopen (path, "rb");
  if (f == NULL) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot open %s: %s", path, g_strerror (errno));
    return NULL;
  }
  if (fseeko (f, (off_t) start, SEEK_SET) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "cannot seek %s to %" G_GUINT64_FORMAT, path, start);
    fclose (f);
    return NULL;
  }
  want = end < 0 ? G_MAXUINT64 : (guint64) end - start;
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  while (done < want) {
    size_t n = fread (buf, 1, MIN (sizeof (buf), want - done), f);
    if (n == 0)
      break;
    g_checksum_update (sum, buf, n);
    done += n;
  }
  if (end >= 0 && done != want) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s is shorter than range %" G_GUINT64_FORMAT "-%" G_GINT64_FORMAT,
        path, start, end);
  } else {
    hex = g_strdup (g_checksum_get_string (sum));
    if (out_size)
      *out_size = done;
  }
  g_checksum_free (sum);
  fclose (f);
  return hex;
}
