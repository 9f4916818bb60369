/* GstP2pStreamIndex: what the engine knows about the streams it plays.
 *
 * Fed with every manifest and playlist body p2phttpsrc fetches (complete
 * bytes, the URI asked for, the URI after redirects, and the fetch time), it
 * keeps, per rendition:
 *  - the swarm id: a short hash of the manifest URL without its query,
 *    fragment and (if configured) token-like path segments, plus the
 *    rendition's identity; an operator template can override it;
 *  - the segments of the live window plus a margin, each with its segment
 *    id, byte range, duration and start, keyed by absolute URI (query
 *    stripped, so tokenised URLs still match) and byte range;
 * and the URIs that must never be exchanged with peers: keys, licences,
 * manifests and playlists.
 *
 * Then every fragment request asks it what the fragment is
 * (gst_p2p_stream_index_lookup()), and the scheduler asks for the segments
 * that follow (gst_p2p_stream_index_next_segments()). See docs/stream.md.
 *
 * Memory is bounded: renditions (LRU), entries in total, and per rendition
 * the live window plus a margin.
 *
 * Threads: not thread-safe, no GMainContext: the owner (the engine, on the
 * network thread) serialises calls. The clock is always a parameter.
 */
#ifndef __GST_P2P_STREAM_INDEX_H__
#define __GST_P2P_STREAM_INDEX_H__

#include <gst/gst.h>
#include "stream/gstp2pstreamtypes.h"

G_BEGIN_DECLS

/* Hex characters of the short swarm id. */
#define GST_P2P_STREAM_SWARM_ID_LEN 16
/* Bytes of the full digest, the swarm id of the wire protocol's HELLO. */
#define GST_P2P_STREAM_SWARM_DIGEST_LEN 32

/**
 * GstP2pStreamIndexConfig:
 * @swarm_template: (nullable): what is hashed into a swarm id; NULL for
 *   "{manifest}\n{rendition}". Placeholders: {manifest} (= {scheme}://
 *   {host}{port}{path}), {scheme}, {host}, {port} (":8080" or empty),
 *   {path}, {rendition}; "{{" is a literal "{". A template without
 *   {rendition} gets "\n{rendition}" appended: segment ids are only unique
 *   within a rendition. A fixed string is therefore a fixed per-event id.
 *   Meant for GST_P2P_SWARM_ID / a property.
 * @path_token_pattern: (nullable): a regular expression; path segments of
 *   manifest and playlist URLs that match it entirely are left out of the
 *   swarm id (per-viewer tokens in paths). NULL: none are.
 * @hls_identity_attributes: identify an HLS variant by its BANDWIDTH,
 *   RESOLUTION and CODECS (EXT-X-MEDIA: TYPE, GROUP-ID, NAME, LANGUAGE)
 *   instead of its media playlist path; for servers that put session ids
 *   into playlist names
 * @window_margin: segments kept per rendition behind its live window
 * @max_renditions: renditions kept (least recently updated evicted)
 * @max_entries: segments kept in total
 * @limits: limits of the parsers
 */
typedef struct
{
  const gchar *swarm_template;
  const gchar *path_token_pattern;
  gboolean hls_identity_attributes;
  guint window_margin;
  guint max_renditions;
  guint max_entries;
  GstP2pStreamLimits limits;
} GstP2pStreamIndexConfig;

/* A suggestion for @path_token_pattern: long opaque runs of letters, digits
 * and -_=~ with at least one digit, as CDNs put in tokenised paths. */
#define GST_P2P_STREAM_TOKEN_PATTERN_LONG_OPAQUE \
  "(?=.*[0-9])[A-Za-z0-9_=~-]{24,}"

/**
 * GstP2pStreamUriKind:
 * @GST_P2P_STREAM_URI_UNKNOWN: not in the index
 * @GST_P2P_STREAM_URI_SEGMENT: a media segment: may be exchanged with peers
 * @GST_P2P_STREAM_URI_INIT: an initialization segment (no segment id; from
 *   the origin)
 * @GST_P2P_STREAM_URI_KEY: a content key
 * @GST_P2P_STREAM_URI_LICENCE: a DRM licence server
 * @GST_P2P_STREAM_URI_MANIFEST: a manifest, MPD or playlist
 */
typedef enum
{
  GST_P2P_STREAM_URI_UNKNOWN,
  GST_P2P_STREAM_URI_SEGMENT,
  GST_P2P_STREAM_URI_INIT,
  GST_P2P_STREAM_URI_KEY,
  GST_P2P_STREAM_URI_LICENCE,
  GST_P2P_STREAM_URI_MANIFEST,
} GstP2pStreamUriKind;

/**
 * GstP2pStreamSegmentInfo:
 * @uri: absolute URI as the playlist gave it (owned; free with
 *   gst_p2p_stream_segment_info_clear())
 * @swarm_id: the short swarm id (hex)
 * @swarm_digest: the full SHA-256 swarm id
 * @segment_id: HLS media sequence number, DASH $Number$ or $Time$
 * @range: its byte range
 * @duration: its duration
 * @start: its start on the rendition's timeline (HLS: sum of durations
 *   since the first segment this index saw; DASH: MPD time)
 * @live: the rendition is live (the edge moves with time)
 * @edge_segments: segments between it and the live edge at "now", itself
 *   excluded (for a live rendition, including those published since the
 *   playlist was fetched, estimated from the segment duration)
 * @edge_distance: time from its end to the live edge at "now"
 */
typedef struct
{
  gchar *uri;
  gchar swarm_id[GST_P2P_STREAM_SWARM_ID_LEN + 1];
  guint8 swarm_digest[GST_P2P_STREAM_SWARM_DIGEST_LEN];
  guint64 segment_id;
  GstP2pStreamRange range;
  GstClockTime duration;
  GstClockTime start;
  gboolean live;
  guint64 edge_segments;
  GstClockTime edge_distance;
} GstP2pStreamSegmentInfo;

/**
 * GstP2pStreamIndexStats:
 * @manifests: bodies accepted
 * @rejected: bodies rejected, by #GstP2pStreamError code
 * @renditions: renditions held
 * @entries: segments held
 * @evicted: segments evicted so far
 * @lookups: lookups so far
 * @hits: lookups that found a segment or init segment
 */
typedef struct
{
  guint64 manifests;
  guint64 rejected[GST_P2P_STREAM_ERROR_N];
  guint renditions;
  guint entries;
  guint64 evicted;
  guint64 lookups;
  guint64 hits;
} GstP2pStreamIndexStats;

typedef struct _GstP2pStreamIndex GstP2pStreamIndex;

void                gst_p2p_stream_index_config_init (GstP2pStreamIndexConfig * config);

GstP2pStreamIndex * gst_p2p_stream_index_new         (const GstP2pStreamIndexConfig * config,
                                                      GError ** error);
void                gst_p2p_stream_index_free        (GstP2pStreamIndex * index);

gboolean            gst_p2p_stream_index_add_manifest (GstP2pStreamIndex * index,
                                                       const gchar * uri,
                                                       const gchar * final_uri,
                                                       const gchar * data,
                                                       gsize size,
                                                       gint64 now,
                                                       GError ** error);

GstP2pStreamUriKind gst_p2p_stream_index_lookup      (GstP2pStreamIndex * index,
                                                      const gchar * uri,
                                                      const GstP2pStreamRange * range,
                                                      gint64 now,
                                                      GstP2pStreamSegmentInfo * info);
guint               gst_p2p_stream_index_next_segments (GstP2pStreamIndex * index,
                                                        const gchar * uri,
                                                        const GstP2pStreamRange * range,
                                                        gint64 now,
                                                        guint max,
                                                        GstP2pStreamSegmentInfo * infos);
gboolean            gst_p2p_stream_index_is_forbidden (GstP2pStreamIndex * index,
                                                       const gchar * uri);

gboolean            gst_p2p_stream_index_swarm_id    (GstP2pStreamIndex * index,
                                                      const gchar * manifest_uri,
                                                      const gchar * identity,
                                                      gchar id[GST_P2P_STREAM_SWARM_ID_LEN + 1],
                                                      guint8 digest[GST_P2P_STREAM_SWARM_DIGEST_LEN]);

void                gst_p2p_stream_index_get_stats   (GstP2pStreamIndex * index,
                                                      GstP2pStreamIndexStats * stats);

void                gst_p2p_stream_segment_info_clear (GstP2pStreamSegmentInfo * info);

const gchar *       gst_p2p_stream_uri_kind_to_string (GstP2pStreamUriKind kind);

G_END_DECLS

#endif /* __GST_P2P_STREAM_INDEX_H__ */
