/* gst-p2p test support: real HLS/DASH/CENC content made by ffmpeg.
 *
 * GstP2pTestPackager runs ffmpeg (lavfi testsrc2 + sine, 320x180, x264
 * ultrafast, AAC) into <docroot>/<name>/ to produce:
 *  - HLS_TS_AES128: MPEG-TS segments, AES-128 encrypted, a master playlist
 *    (master.m3u8) and a media playlist (index.m3u8); the key is served from
 *    its own URI, <docroot>/keys/<name>.key, referenced as "../keys/<name>.key".
 *    VOD or live (real time, sliding window, ENDLIST when ffmpeg ends).
 *  - HLS_FMP4_BYTERANGE: one fragmented MP4 file (media.mp4) addressed with
 *    EXT-X-BYTERANGE, init segment via EXT-X-MAP with BYTERANGE. VOD only.
 *  - DASH_TIMELINE: manifest.mpd with SegmentTemplate + SegmentTimeline, one
 *    video and one audio AdaptationSet. VOD or live (type="dynamic" while
 *    ffmpeg runs, rewritten as "static" when it ends).
 *  - CENC_MP4: one MP4 (cenc.mp4), fragmented (frag_keyframe+empty_moov)
 *    or not (+faststart), encrypted with cenc-aes-ctr; optionally with a ClearKey 'pssh' box
 *    written in place of ffmpeg's 'udta' box (no offset changes).
 * Segments are GOP-aligned (keyframe every segment duration).
 *
 * Live packaging runs ffmpeg in the background (-re) writing into the docroot
 * while the test plays. The ffmpeg child dies with the thread that started it
 * (PR_SET_PDEATHSIG). Not thread-safe: use from one thread.
 */
#ifndef __GST_P2P_TEST_PACKAGER_H__
#define __GST_P2P_TEST_PACKAGER_H__

#include <glib.h>

G_BEGIN_DECLS

#define GST_P2P_TEST_FFMPEG_PATH "/usr/bin/ffmpeg"

/* ClearKey system ID (W3C EME), used for the optional pssh box. */
#define GST_P2P_TEST_CLEARKEY_SYSTEM_ID "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"

typedef enum
{
  GST_P2P_TEST_PACKAGE_HLS_TS_AES128,
  GST_P2P_TEST_PACKAGE_HLS_FMP4_BYTERANGE,
  GST_P2P_TEST_PACKAGE_DASH_TIMELINE,
  GST_P2P_TEST_PACKAGE_CENC_MP4,
} GstP2pTestPackageFormat;

typedef struct _GstP2pTestPackager GstP2pTestPackager;

gboolean             gst_p2p_test_packager_is_available (void);

/* @name: a directory name under @docroot (created), e.g. "hls-vod". */
GstP2pTestPackager * gst_p2p_test_packager_new   (GstP2pTestPackageFormat format,
                                                  const gchar * docroot,
                                                  const gchar * name);

/* Content length in seconds (default 8). */
void     gst_p2p_test_packager_set_duration      (GstP2pTestPackager * self,
                                                  guint seconds);
/* Target segment duration in seconds (default 2). */
void     gst_p2p_test_packager_set_segment_duration (GstP2pTestPackager * self,
                                                  guint seconds);
/* Live: ffmpeg runs in real time; @window is the number of segments in the
 * playlist/MPD (HLS hls_list_size, DASH window_size). */
void     gst_p2p_test_packager_set_live          (GstP2pTestPackager * self,
                                                  gboolean live,
                                                  guint window);
/* Live only: let ffmpeg delete segments that left the window (default FALSE:
 * every segment stays on disk so tests can compare bytes afterwards). */
void     gst_p2p_test_packager_set_delete_segments (GstP2pTestPackager * self,
                                                  gboolean delete_segments);
/* CENC only: add a ClearKey pssh box (default FALSE: ffmpeg's output as is). */
void     gst_p2p_test_packager_set_pssh          (GstP2pTestPackager * self,
                                                  gboolean pssh);

/* DASH only: adds <UTCTiming> with the http-xsdate scheme pointing at @url
 * (e.g. the origin's GST_P2P_TEST_ORIGIN_TIME_PATH). NULL = none (default). */
void     gst_p2p_test_packager_set_utc_timing_url (GstP2pTestPackager * self,
                                                  const gchar * url);
/* CENC only: TRUE (default) for a fragmented MP4 (frag_keyframe+empty_moov),
 * FALSE for a plain MP4 with the moov first (+faststart). Note: ffmpeg 5.1
 * writes the CENC sample auxiliary data (senc/saiz/saio) only into the moov,
 * never into fragments, so in its fragmented output no sample carries an IV
 * and qtdemux 1.22 outputs the samples without GstProtectionMeta. */
void     gst_p2p_test_packager_set_fragmented    (GstP2pTestPackager * self,
                                                  gboolean fragmented);

/* VOD: runs ffmpeg to completion (at most 120 s). */
gboolean gst_p2p_test_packager_run               (GstP2pTestPackager * self,
                                                  GError ** error);
/* Live: starts ffmpeg in the background. */
gboolean gst_p2p_test_packager_start             (GstP2pTestPackager * self,
                                                  GError ** error);
/* Live: waits until the entry file exists and at least @n media segments are
 * complete on disk. */
gboolean gst_p2p_test_packager_wait_for_segments (GstP2pTestPackager * self,
                                                  guint n,
                                                  guint timeout_ms,
                                                  GError ** error);
/* Live: waits for ffmpeg to end (successfully). */
gboolean gst_p2p_test_packager_wait_finished     (GstP2pTestPackager * self,
                                                  guint timeout_ms,
                                                  GError ** error);
/* Kills ffmpeg if still running. */
void     gst_p2p_test_packager_stop              (GstP2pTestPackager * self);

/* Absolute directory <docroot>/<name>. */
const gchar * gst_p2p_test_packager_get_dir      (GstP2pTestPackager * self);
/* Docroot-relative path of what a player opens: "<name>/master.m3u8",
 * "<name>/manifest.mpd" or "<name>/cenc.mp4". */
const gchar * gst_p2p_test_packager_get_entry_path (GstP2pTestPackager * self);
/* HLS: docroot-relative path of the media playlist, "<name>/index.m3u8". */
const gchar * gst_p2p_test_packager_get_media_playlist_path (GstP2pTestPackager * self);
/* HLS_TS_AES128: docroot-relative path of the key, "keys/<name>.key". */
const gchar * gst_p2p_test_packager_get_key_path (GstP2pTestPackager * self);
/* AES-128 / CENC key and (CENC) key ID, 32 lower-case hex digits. */
const gchar * gst_p2p_test_packager_get_key_hex  (GstP2pTestPackager * self);
const gchar * gst_p2p_test_packager_get_kid_hex  (GstP2pTestPackager * self);
/* ffmpeg's combined stdout/stderr. */
const gchar * gst_p2p_test_packager_get_log_path (GstP2pTestPackager * self);

/* Stops ffmpeg; leaves the content in the docroot. */
void     gst_p2p_test_packager_free              (GstP2pTestPackager * self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pTestPackager, gst_p2p_test_packager_free)

G_END_DECLS

#endif /* __GST_P2P_TEST_PACKAGER_H__ */
