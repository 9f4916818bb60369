/* GstP2pHlsPlaylist: a bounded, total parser of HLS playlists (RFC 8216).
 *
 * p2phttpsrc sees every playlist the demuxer fetches; the engine parses them
 * here to know the renditions (master playlists) and the segments ahead of
 * the demuxer (media playlists): absolute URI, byte range, duration, media
 * sequence number (the segment id on the wire), discontinuity sequence,
 * key and init section. Low-latency parts (EXT-X-PART) are not parsed.
 *
 * The input is hostile: its size, line length, segment count and the bytes
 * of parsed strings are limited (GstP2pStreamLimits), every number is
 * overflow-checked (durations above 24 hours are refused), and any doubt
 * ends in a GST_P2P_STREAM_ERROR. A wrong
 * segment id would make peers exchange the wrong media, so ambiguous input
 * (EXT-X-MEDIA-SEQUENCE after a segment, an implicit byte range offset
 * without a previous range of the same resource) is an error, not a guess.
 *
 * Threads: plain functions and data; a playlist is immutable once parsed
 * and may be read from any thread.
 */
#ifndef __GST_P2P_HLS_PLAYLIST_H__
#define __GST_P2P_HLS_PLAYLIST_H__

#include <gst/gst.h>
#include "stream/gstp2pstreamtypes.h"

G_BEGIN_DECLS

typedef enum
{
  GST_P2P_HLS_PLAYLIST_MASTER,
  GST_P2P_HLS_PLAYLIST_MEDIA,
} GstP2pHlsPlaylistKind;

/* EXT-X-PLAYLIST-TYPE */
typedef enum
{
  GST_P2P_HLS_PLAYLIST_TYPE_NONE,
  GST_P2P_HLS_PLAYLIST_TYPE_EVENT,
  GST_P2P_HLS_PLAYLIST_TYPE_VOD,
} GstP2pHlsPlaylistType;

typedef enum
{
  GST_P2P_HLS_KEY_NONE,
  GST_P2P_HLS_KEY_AES_128,
  GST_P2P_HLS_KEY_SAMPLE_AES,
  GST_P2P_HLS_KEY_SAMPLE_AES_CTR,
  GST_P2P_HLS_KEY_OTHER,
} GstP2pHlsKeyMethod;

typedef enum
{
  GST_P2P_HLS_MEDIA_AUDIO,
  GST_P2P_HLS_MEDIA_VIDEO,
  GST_P2P_HLS_MEDIA_SUBTITLES,
  GST_P2P_HLS_MEDIA_CLOSED_CAPTIONS,
} GstP2pHlsMediaType;

/**
 * GstP2pHlsVariant:
 * @uri: absolute URI of the media playlist
 * @bandwidth: BANDWIDTH, bits/s (0 if absent)
 * @average_bandwidth: AVERAGE-BANDWIDTH (0 if absent)
 * @width: RESOLUTION width (0 if absent)
 * @height: RESOLUTION height (0 if absent)
 * @codecs: CODECS or NULL
 * @audio: AUDIO group id or NULL
 * @video: VIDEO group id or NULL
 * @subtitles: SUBTITLES group id or NULL
 * @iframes_only: from EXT-X-I-FRAME-STREAM-INF
 *
 * One EXT-X-STREAM-INF or EXT-X-I-FRAME-STREAM-INF.
 */
typedef struct
{
  gchar *uri;
  guint64 bandwidth;
  guint64 average_bandwidth;
  guint width;
  guint height;
  gchar *codecs;
  gchar *audio;
  gchar *video;
  gchar *subtitles;
  gboolean iframes_only;
} GstP2pHlsVariant;

/**
 * GstP2pHlsRendition:
 * @type: TYPE
 * @group_id: GROUP-ID
 * @name: NAME
 * @language: LANGUAGE or NULL
 * @uri: absolute URI of its media playlist, NULL when it is muxed into the
 *   variants (or for closed captions)
 * @is_default: DEFAULT=YES
 * @autoselect: AUTOSELECT=YES
 *
 * One EXT-X-MEDIA.
 */
typedef struct
{
  GstP2pHlsMediaType type;
  gchar *group_id;
  gchar *name;
  gchar *language;
  gchar *uri;
  gboolean is_default;
  gboolean autoselect;
} GstP2pHlsRendition;

/**
 * GstP2pHlsSegment:
 * @uri: absolute URI
 * @range: EXT-X-BYTERANGE, with the implicit offset resolved
 * @duration: EXTINF duration
 * @start: sum of the durations of the segments before it in this playlist
 * @sequence: media sequence number: the segment id
 * @discontinuity_sequence: discontinuity sequence number
 * @discontinuity: preceded by EXT-X-DISCONTINUITY
 * @gap: marked EXT-X-GAP (no media to fetch)
 * @program_date_time: wall clock of its first sample, microseconds since
 *   the epoch, from the last EXT-X-PROGRAM-DATE-TIME plus the durations
 *   since; -1 if unknown
 * @key_method: EXT-X-KEY METHOD in force (NONE if none)
 * @key_uri: key URI or NULL (a GRefString shared between segments)
 * @key_format: KEYFORMAT or NULL ("identity" implied; a GRefString)
 * @iv: the IV: explicit, or for AES-128 without IV the media sequence
 *   number as a 128-bit big-endian integer (RFC 8216 5.2)
 * @iv_explicit: @iv came from the IV attribute
 * @init_uri: EXT-X-MAP URI or NULL (a GRefString)
 * @init_range: EXT-X-MAP BYTERANGE (offset 0 when omitted)
 */
typedef struct
{
  gchar *uri;
  GstP2pStreamRange range;
  GstClockTime duration;
  GstClockTime start;
  guint64 sequence;
  guint64 discontinuity_sequence;
  gboolean discontinuity;
  gboolean gap;
  gint64 program_date_time;
  GstP2pHlsKeyMethod key_method;
  gchar *key_uri;
  gchar *key_format;
  guint8 iv[16];
  gboolean iv_explicit;
  gchar *init_uri;
  GstP2pStreamRange init_range;
} GstP2pHlsSegment;

/**
 * GstP2pHlsPlaylist:
 * @kind: master or media playlist
 * @uri: the URI it was parsed against (NULL if none was given)
 * @version: EXT-X-VERSION (1 if absent)
 * @variants: master: array of #GstP2pHlsVariant
 * @renditions: master: array of #GstP2pHlsRendition
 * @target_duration: media: EXT-X-TARGETDURATION (if absent: the longest
 *   segment, rounded up to a second)
 * @media_sequence: media: EXT-X-MEDIA-SEQUENCE (sequence of the first segment)
 * @discontinuity_sequence: media: EXT-X-DISCONTINUITY-SEQUENCE
 * @type: media: EXT-X-PLAYLIST-TYPE
 * @endlist: media: EXT-X-ENDLIST present (the playlist will not change)
 * @iframes_only: media: EXT-X-I-FRAMES-ONLY
 * @segments: media: array of #GstP2pHlsSegment, in playlist order
 * @duration: media: sum of the segment durations
 * @key_uris: every URI of EXT-X-KEY and EXT-X-SESSION-KEY, once each
 *   (strings): they must never be exchanged with peers
 */
typedef struct
{
  GstP2pHlsPlaylistKind kind;
  gchar *uri;
  guint version;

  GArray *variants;
  GArray *renditions;

  GstClockTime target_duration;
  guint64 media_sequence;
  guint64 discontinuity_sequence;
  GstP2pHlsPlaylistType type;
  gboolean endlist;
  gboolean iframes_only;
  GArray *segments;
  GstClockTime duration;

  GPtrArray *key_uris;
} GstP2pHlsPlaylist;

GstP2pHlsPlaylist *gst_p2p_hls_playlist_parse (const gchar * data,
                                               gsize size,
                                               const gchar * uri,
                                               const GstP2pStreamLimits * limits,
                                               GError ** error);
void               gst_p2p_hls_playlist_free  (GstP2pHlsPlaylist * playlist);

/* TRUE if @data starts like an HLS playlist (#EXTM3U, after a BOM and
 * blank lines). */
gboolean           gst_p2p_hls_playlist_detect (const gchar * data,
                                                gsize size);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pHlsPlaylist, gst_p2p_hls_playlist_free)

G_END_DECLS

#endif /* __GST_P2P_HLS_PLAYLIST_H__ */
