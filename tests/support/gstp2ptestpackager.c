/* gst-p2p test support: real HLS/DASH/CENC content made by ffmpeg.
 *
 * Runs on the calling thread; live ffmpeg runs as a child process while the
 * caller does other work.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ptestpackager.h"
#include "gstp2ptestprocess.h"
#include "gstp2ptestfs.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <string.h>
#include <glib/gstdio.h>

#define FPS 25

struct _GstP2pTestPackager
{
  GstP2pTestPackageFormat format;
  gchar *docroot;
  gchar *name;
  gchar *dir;
  gchar *work_dir;              /* private: key info file, ffmpeg log */
  gchar *log_path;
  gchar *entry_path;
  gchar *media_playlist_path;
  gchar *key_path;
  gchar *key_hex;
  gchar *kid_hex;
  guint8 key[16];

  guint duration;
  guint segment_duration;
  gboolean live;
  guint window;
  gboolean delete_segments;
  gboolean pssh;
  gboolean fragmented;
  gchar *utc_timing_url;

  GSubprocess *ffmpeg;
};

gboolean
gst_p2p_test_packager_is_available (void)
{
  return g_file_test (GST_P2P_TEST_FFMPEG_PATH, G_FILE_TEST_IS_EXECUTABLE);
}

static gchar *
random_hex (guint8 * out16)
{
  GString *s = g_string_new (NULL);
  gint i;

  for (i = 0; i < 16; i++) {
    out16[i] = g_random_int_range (0, 256);
    g_string_append_printf (s, "%02x", out16[i]);
  }
  return g_string_free (s, FALSE);
}

GstP2pTestPackager *
gst_p2p_test_packager_new (GstP2pTestPackageFormat format,
    const gchar * docroot, const gchar * name)
{
  GstP2pTestPackager *self;
  guint8 kid[16];

  g_return_val_if_fail (docroot != NULL && name != NULL, NULL);
  g_return_val_if_fail (strchr (name, '/') == NULL, NULL);

  self = g_new0 (GstP2pTestPackager, 1);
  self->format = format;
  self->docroot = g_strdup (docroot);
  self->name = g_strdup (name);
  self->dir = g_build_filename (docroot, name, NULL);
  self->duration = 8;
  self->segment_duration = 2;
  self->window = 3;
  self->fragmented = TRUE;
  self->key_hex = random_hex (self->key);
  self->kid_hex = random_hex (kid);

  switch (format) {
    case GST_P2P_TEST_PACKAGE_HLS_TS_AES128:
    case GST_P2P_TEST_PACKAGE_HLS_FMP4_BYTERANGE:
      self->entry_path = g_strdup_printf ("%s/master.m3u8", name);
      self->media_playlist_path = g_strdup_printf ("%s/index.m3u8", name);
      if (format == GST_P2P_TEST_PACKAGE_HLS_TS_AES128)
        self->key_path = g_strdup_printf ("keys/%s.key", name);
      break;
    case GST_P2P_TEST_PACKAGE_DASH_TIMELINE:
      self->entry_path = g_strdup_printf ("%s/manifest.mpd", name);
      break;
    case GST_P2P_TEST_PACKAGE_CENC_MP4:
      self->entry_path = g_strdup_printf ("%s/cenc.mp4", name);
      break;
  }
  return self;
}

void
gst_p2p_test_packager_set_duration (GstP2pTestPackager * self, guint seconds)
{
  self->duration = MAX (seconds, 1);
}

void
gst_p2p_test_packager_set_segment_duration (GstP2pTestPackager * self,
    guint seconds)
{
  self->segment_duration = MAX (seconds, 1);
}

void
gst_p2p_test_packager_set_live (GstP2pTestPackager * self, gboolean live,
    guint window)
{
  self->live = live;
  self->window = MAX (window, 1);
}

void
gst_p2p_test_packager_set_delete_segments (GstP2pTestPackager * self,
    gboolean delete_segments)
{
  self->delete_segments = delete_segments;
}

void
gst_p2p_test_packager_set_pssh (GstP2pTestPackager * self, gboolean pssh)
{
  self->pssh = pssh;
}

void
gst_p2p_test_packager_set_fragmented (GstP2pTestPackager * self,
    gboolean fragmented)
{
  self->fragmented = fragmented;
}

void
gst_p2p_test_packager_set_utc_timing_url (GstP2pTestPackager * self,
    const gchar * url)
{
  g_free (self->utc_timing_url);
  self->utc_timing_url = g_strdup (url);
}

static gchar *
abs_path (GstP2pTestPackager * self, const gchar * rel)
{
  return g_build_filename (self->docroot, rel, NULL);
}

/* Builds the ffmpeg command line. Returns NULL + error for unsupported
 * combinations. */
static GPtrArray *
build_argv (GstP2pTestPackager * self, GError ** error)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  guint gop = FPS * self->segment_duration;

#define ADD(...) G_STMT_START { \
    const gchar *_v[] = { __VA_ARGS__ }; guint _i; \
    for (_i = 0; _i < G_N_ELEMENTS (_v); _i++) \
      g_ptr_array_add (a, g_strdup (_v[_i])); \
  } G_STMT_END
#define ADDF(...) g_ptr_array_add (a, g_strdup_printf (__VA_ARGS__))

  ADD (GST_P2P_TEST_FFMPEG_PATH, "-hide_banner", "-nostdin", "-loglevel",
      "warning", "-y");
  /* Outputs are relative: ffmpeg runs in self->dir and writes playlist
   * entries relative to the playlist. -re on each input: live content is produced in real time. */
  if (self->live)
    ADD ("-re");
  ADD ("-f", "lavfi", "-i");
  ADDF ("testsrc2=size=320x180:rate=%d", FPS);
  if (self->live)
    ADD ("-re");
  ADD ("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000");
  ADD ("-t");
  ADDF ("%u", self->duration);
  ADD ("-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast",
      "-pix_fmt", "yuv420p", "-sc_threshold", "0", "-g");
  ADDF ("%u", gop);
  ADD ("-keyint_min");
  ADDF ("%u", gop);
  ADD ("-c:a", "aac", "-b:a", "64k");

  switch (self->format) {
    case GST_P2P_TEST_PACKAGE_HLS_TS_AES128:{
      gchar *keyinfo = g_build_filename (self->work_dir, "keyinfo", NULL);
      gchar *keyfile = abs_path (self, self->key_path);
      gchar *keydir = g_path_get_dirname (keyfile);
      gchar *info;

      /* Line 1: key URI as written in the playlist (relative to it);
       * line 2: where ffmpeg reads the key. No IV line: the IV is then the
       * media sequence number, the HLS default a player must derive. */
      g_mkdir_with_parents (keydir, 0755);
      if (!g_file_set_contents (keyfile, (const gchar *) self->key, 16, error)
          || !(info = g_strdup_printf ("../%s\n%s\n", self->key_path, keyfile))
          || !g_file_set_contents (keyinfo, info, -1, error)) {
        g_free (keyinfo);
        g_free (keyfile);
        g_free (keydir);
        g_ptr_array_unref (a);
        return NULL;
      }
      g_free (info);
      ADD ("-f", "hls", "-hls_time");
      ADDF ("%u", self->segment_duration);
      ADD ("-hls_key_info_file", keyinfo, "-hls_segment_filename");
      ADD ("seg%05d.ts");
      if (self->live) {
        ADD ("-hls_list_size");
        ADDF ("%u", self->window);
        ADD ("-hls_flags", self->delete_segments ?
            "temp_file+delete_segments" : "temp_file");
      } else {
        ADD ("-hls_playlist_type", "vod", "-hls_list_size", "0");
      }
      ADD ("-master_pl_name", "master.m3u8");
      ADD ("index.m3u8");
      g_free (keyinfo);
      g_free (keyfile);
      g_free (keydir);
      break;
    }
    case GST_P2P_TEST_PACKAGE_HLS_FMP4_BYTERANGE:
      if (self->live) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
            "live single-file fMP4 HLS is not supported");
        g_ptr_array_unref (a);
        return NULL;
      }
      ADD ("-f", "hls", "-hls_time");
      ADDF ("%u", self->segment_duration);
      ADD ("-hls_playlist_type", "vod", "-hls_list_size", "0",
          "-hls_segment_type", "fmp4", "-hls_flags", "single_file",
          "-hls_segment_filename");
      ADD ("media.mp4");
      ADD ("-master_pl_name", "master.m3u8");
      ADD ("index.m3u8");
      break;
    case GST_P2P_TEST_PACKAGE_DASH_TIMELINE:
      ADD ("-f", "dash", "-seg_duration");
      ADDF ("%u", self->segment_duration);
      if (self->utc_timing_url)
        ADD ("-utc_timing_url", self->utc_timing_url);
      ADD ("-use_template", "1", "-use_timeline", "1",
          "-init_seg_name", "init-$RepresentationID$.m4s",
          "-media_seg_name", "chunk-$RepresentationID$-$Number%05d$.m4s");
      if (self->live) {
        ADD ("-window_size");
        ADDF ("%u", self->window);
        /* Segments beyond window + extra are deleted by ffmpeg. */
        ADD ("-extra_window_size", self->delete_segments ? "2" : "100000",
            "-remove_at_exit", "0");
      }
      ADD ("manifest.mpd");
      break;
    case GST_P2P_TEST_PACKAGE_CENC_MP4:
      if (self->live) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
            "live CENC is not supported");
        g_ptr_array_unref (a);
        return NULL;
      }
      ADD ("-f", "mp4", "-movflags", self->fragmented ?
          "frag_keyframe+empty_moov" : "+faststart",
          "-encryption_scheme", "cenc-aes-ctr", "-encryption_key",
          self->key_hex, "-encryption_kid", self->kid_hex);
      ADD ("cenc.mp4");
      break;
  }
  g_ptr_array_add (a, NULL);
#undef ADD
#undef ADDF
  return a;
}

/* Reads a big-endian box header at @off; FALSE if it does not fit in
 * [@off, @end). Handles 64-bit sizes; rejects size 0 ("to the end"). */
static gboolean
read_box (const guint8 * d, gsize off, gsize end, gsize * size,
    guint32 * type, gsize * hdr)
{
  guint64 sz;

  if (off + 8 > end)
    return FALSE;
  sz = GST_READ_UINT32_BE (d + off);
  *type = GST_READ_UINT32_BE (d + off + 4);
  *hdr = 8;
  if (sz == 1) {
    if (off + 16 > end)
      return FALSE;
    sz = ((guint64) GST_READ_UINT32_BE (d + off + 8) << 32) |
        GST_READ_UINT32_BE (d + off + 12);
    *hdr = 16;
  }
  if (sz < *hdr || sz > end - off)
    return FALSE;
  *size = sz;
  return TRUE;
}

#define FOURCC(a,b,c,d) (((guint32)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

/* Replaces moov/udta with pssh + free of the same total size, so no offset in
 * the file (tfhd base data offsets, saio, mfra) changes. */
static gboolean
inject_pssh (GstP2pTestPackager * self, GError ** error)
{
  gchar *path = abs_path (self, self->entry_path);
  gchar *data = NULL;
  gsize len = 0, off = 0, size, hdr;
  guint32 type;
  gboolean done = FALSE;

  if (!g_file_get_contents (path, &data, &len, error)) {
    g_free (path);
    return FALSE;
  }
  while (!done && read_box ((guint8 *) data, off, len, &size, &type, &hdr)) {
    if (type == FOURCC ('m', 'o', 'o', 'v')) {
      gsize moff = off + hdr, mend = off + size, msize, mhdr;
      guint32 mtype;

      while (read_box ((guint8 *) data, moff, mend, &msize, &mtype, &mhdr)) {
        if (mtype == FOURCC ('u', 'd', 't', 'a') && msize >= 52 + 8) {
          guint8 *p = (guint8 *) data + moff;
          static const guint8 clearkey[16] = { 0x10, 0x77, 0xef, 0xec, 0xc0,
            0xb2, 0x4d, 0x02, 0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2, 0xfb, 0x4b
          };
          guint8 kid[16];
          gint i;

          for (i = 0; i < 16; i++)
            kid[i] = g_ascii_xdigit_value (self->kid_hex[2 * i]) * 16 +
                g_ascii_xdigit_value (self->kid_hex[2 * i + 1]);
          /* pssh v1: size, 'pssh', version 1 + flags 0, SystemID,
           * KID_count 1, KID, DataSize 0. */
          memset (p, 0, msize);
          GST_WRITE_UINT32_BE (p, 52);
          memcpy (p + 4, "pssh", 4);
          GST_WRITE_UINT32_BE (p + 8, 0x01000000);
          memcpy (p + 12, clearkey, 16);
          GST_WRITE_UINT32_BE (p + 28, 1);
          memcpy (p + 32, kid, 16);
          GST_WRITE_UINT32_BE (p + 48, 0);
          GST_WRITE_UINT32_BE (p + 52, msize - 52);
          memcpy (p + 56, "free", 4);
          done = TRUE;
          break;
        }
        moff += msize;
      }
      break;
    }
    off += size;
  }
  if (!done) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: no moov/udta box of at least 60 bytes to replace", path);
  } else if (!g_file_set_contents (path, data, len, error)) {
    done = FALSE;
  }
  g_free (data);
  g_free (path);
  return done;
}

static gboolean
spawn (GstP2pTestPackager * self, GError ** error)
{
  GPtrArray *argv;

  g_return_val_if_fail (self->ffmpeg == NULL, FALSE);

  if (!gst_p2p_test_packager_is_available ()) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "%s not found (install ffmpeg)", GST_P2P_TEST_FFMPEG_PATH);
    return FALSE;
  }
  if (g_mkdir_with_parents (self->dir, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create %s",
        self->dir);
    return FALSE;
  }
  if (self->work_dir == NULL) {
    self->work_dir = gst_p2p_test_fs_make_tmp_dir ("p2p-packager-XXXXXX",
        error);
    if (self->work_dir == NULL)
      return FALSE;
    self->log_path = g_build_filename (self->work_dir, "ffmpeg.log", NULL);
  }
  argv = build_argv (self, error);
  if (argv == NULL)
    return FALSE;
  self->ffmpeg = gst_p2p_test_process_spawn ((const gchar * const *)
      argv->pdata, self->dir, self->log_path, error);
  g_ptr_array_unref (argv);
  return self->ffmpeg != NULL;
}

static gboolean
check_exit (GstP2pTestPackager * self, GError ** error)
{
  gboolean ok = g_subprocess_get_if_exited (self->ffmpeg)
      && g_subprocess_get_exit_status (self->ffmpeg) == 0;

  if (!ok) {
    gchar *tail = gst_p2p_test_process_log_tail (self->log_path, 2000);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "ffmpeg failed: %s",
        tail);
    g_free (tail);
  }
  g_clear_object (&self->ffmpeg);
  return ok;
}

gboolean
gst_p2p_test_packager_run (GstP2pTestPackager * self, GError ** error)
{
  if (self->live) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "live content is made with gst_p2p_test_packager_start()");
    return FALSE;
  }
  if (!spawn (self, error))
    return FALSE;
  if (!gst_p2p_test_process_wait (self->ffmpeg, 120 * 1000)) {
    gst_p2p_test_process_kill (self->ffmpeg);
    g_clear_object (&self->ffmpeg);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "ffmpeg did not finish in 120 s");
    return FALSE;
  }
  if (!check_exit (self, error))
    return FALSE;
  if (self->format == GST_P2P_TEST_PACKAGE_CENC_MP4 && self->pssh)
    return inject_pssh (self, error);
  return TRUE;
}

gboolean
gst_p2p_test_packager_start (GstP2pTestPackager * self, GError ** error)
{
  if (!self->live) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "VOD content is made with gst_p2p_test_packager_run()");
    return FALSE;
  }
  return spawn (self, error);
}

/* Complete media segments on disk (finished files, never *.tmp). */
static guint
count_segments (GstP2pTestPackager * self)
{
  GDir *dir = g_dir_open (self->dir, 0, NULL);
  const gchar *name;
  guint n = 0;

  if (dir == NULL)
    return 0;
  while ((name = g_dir_read_name (dir)) != NULL) {
    if (self->format == GST_P2P_TEST_PACKAGE_HLS_TS_AES128
        && g_str_has_prefix (name, "seg") && g_str_has_suffix (name, ".ts"))
      n++;
    else if (self->format == GST_P2P_TEST_PACKAGE_DASH_TIMELINE
        && g_str_has_prefix (name, "chunk-0-")
        && g_str_has_suffix (name, ".m4s"))
      n++;
  }
  g_dir_close (dir);
  return n;
}

gboolean
gst_p2p_test_packager_wait_for_segments (GstP2pTestPackager * self, guint n,
    guint timeout_ms, GError ** error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gchar *entry = abs_path (self, self->entry_path);
  gboolean ok = FALSE;

  while (g_get_monotonic_time () < deadline) {
    if (g_file_test (entry, G_FILE_TEST_EXISTS) && count_segments (self) >= n) {
      ok = TRUE;
      break;
    }
    if (self->ffmpeg == NULL || g_subprocess_get_identifier (self->ffmpeg)
        == NULL)
      break;
    g_usleep (20 * 1000);
  }
  if (!ok) {
    gchar *tail = gst_p2p_test_process_log_tail (self->log_path, 2000);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "%s: %u segments not ready (have %u): %s", self->entry_path, n,
        count_segments (self), tail);
    g_free (tail);
  }
  g_free (entry);
  return ok;
}

gboolean
gst_p2p_test_packager_wait_finished (GstP2pTestPackager * self,
    guint timeout_ms, GError ** error)
{
  if (self->ffmpeg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "ffmpeg is not running");
    return FALSE;
  }
  if (!gst_p2p_test_process_wait (self->ffmpeg, timeout_ms)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "ffmpeg still running after %u ms", timeout_ms);
    return FALSE;
  }
  return check_exit (self, error);
}

void
gst_p2p_test_packager_stop (GstP2pTestPackager * self)
{
  if (self->ffmpeg) {
    gst_p2p_test_process_kill (self->ffmpeg);
    g_clear_object (&self->ffmpeg);
  }
}

const gchar *
gst_p2p_test_packager_get_dir (GstP2pTestPackager * self)
{
  return self->dir;
}

const gchar *
gst_p2p_test_packager_get_entry_path (GstP2pTestPackager * self)
{
  return self->entry_path;
}

const gchar *
gst_p2p_test_packager_get_media_playlist_path (GstP2pTestPackager * self)
{
  return self->media_playlist_path;
}

const gchar *
gst_p2p_test_packager_get_key_path (GstP2pTestPackager * self)
{
  return self->key_path;
}

const gchar *
gst_p2p_test_packager_get_key_hex (GstP2pTestPackager * self)
{
  return self->key_hex;
}

const gchar *
gst_p2p_test_packager_get_kid_hex (GstP2pTestPackager * self)
{
  return self->kid_hex;
}

const gchar *
gst_p2p_test_packager_get_log_path (GstP2pTestPackager * self)
{
  return self->log_path;
}

void
gst_p2p_test_packager_free (GstP2pTestPackager * self)
{
  if (self == NULL)
    return;
  gst_p2p_test_packager_stop (self);
  if (self->work_dir && g_getenv ("GST_P2P_TEST_KEEP_FILES") == NULL)
    gst_p2p_test_fs_rm_rf (self->work_dir);
  g_free (self->docroot);
  g_free (self->name);
  g_free (self->dir);
  g_free (self->work_dir);
  g_free (self->log_path);
  g_free (self->entry_path);
  g_free (self->media_playlist_path);
  g_free (self->key_path);
  g_free (self->key_hex);
  g_free (self->kid_hex);
  g_free (self->utc_timing_url);
  g_free (self);
}
