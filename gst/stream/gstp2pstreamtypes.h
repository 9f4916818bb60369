/* Types shared by the stream parsers (HLS playlists, DASH MPDs) and the
 * stream index: the error domain, the input limits and the byte range.
 *
 * Every playlist and MPD comes from the network and is hostile: each parser
 * checks its input against a GstP2pStreamLimits before and while it reads,
 * and fails with one GST_P2P_STREAM_ERROR code instead of guessing.
 *
 * Threads: plain data and functions without shared state, callable from any
 * thread.
 */
#ifndef __GST_P2P_STREAM_TYPES_H__
#define __GST_P2P_STREAM_TYPES_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_P2P_STREAM_ERROR (gst_p2p_stream_error_quark ())

/**
 * GstP2pStreamError:
 * @GST_P2P_STREAM_ERROR_TOO_LARGE: the input, a line, or the parsed output
 *   exceeds its size limit
 * @GST_P2P_STREAM_ERROR_TOO_MANY: more segments, variants, periods or
 *   representations than the limits allow
 * @GST_P2P_STREAM_ERROR_SYNTAX: not a playlist/MPD, invalid UTF-8, malformed
 *   line, attribute list or XML, or a truncated document
 * @GST_P2P_STREAM_ERROR_BAD_VALUE: a number, duration, date or attribute that
 *   is malformed, out of range, or overflows 64 bits
 * @GST_P2P_STREAM_ERROR_BAD_URI: a URI that cannot be resolved
 * @GST_P2P_STREAM_ERROR_MISSING: a required tag, attribute or element is
 *   absent
 * @GST_P2P_STREAM_ERROR_FORBIDDEN: a construct refused for safety: DOCTYPE,
 *   entities, nesting deeper than the limit
 * @GST_P2P_STREAM_ERROR_UNSUPPORTED: valid but not understood (e.g. an
 *   unknown $identifier$ in a DASH template)
 *
 * Each code has a stable reason string, gst_p2p_stream_error_reason(), for
 * logs and statistics.
 */
typedef enum
{
  GST_P2P_STREAM_ERROR_TOO_LARGE,
  GST_P2P_STREAM_ERROR_TOO_MANY,
  GST_P2P_STREAM_ERROR_SYNTAX,
  GST_P2P_STREAM_ERROR_BAD_VALUE,
  GST_P2P_STREAM_ERROR_BAD_URI,
  GST_P2P_STREAM_ERROR_MISSING,
  GST_P2P_STREAM_ERROR_FORBIDDEN,
  GST_P2P_STREAM_ERROR_UNSUPPORTED,
} GstP2pStreamError;

#define GST_P2P_STREAM_ERROR_N (GST_P2P_STREAM_ERROR_UNSUPPORTED + 1)

GQuark        gst_p2p_stream_error_quark  (void);
const gchar * gst_p2p_stream_error_reason (gint code);

#define GST_P2P_STREAM_DEFAULT_MAX_SIZE      (4 * 1024 * 1024)
#define GST_P2P_STREAM_DEFAULT_MAX_LINE      (64 * 1024)
#define GST_P2P_STREAM_DEFAULT_MAX_SEGMENTS  100000
#define GST_P2P_STREAM_DEFAULT_MAX_ITEMS     4096
#define GST_P2P_STREAM_DEFAULT_MAX_DEPTH     32
#define GST_P2P_STREAM_DEFAULT_MAX_OUTPUT    (64 * 1024 * 1024)

/**
 * GstP2pStreamLimits:
 * @max_size: largest accepted input, in bytes
 * @max_line: longest HLS line, in bytes
 * @max_segments: most segments in one media playlist or Representation
 *   (DASH timelines and templates stop generating at this count)
 * @max_items: most variants, renditions, periods, adaptation sets,
 *   representations or S elements of one kind
 * @max_depth: deepest XML element nesting accepted in an MPD
 * @max_output: most bytes of strings a parse may allocate (resolved URIs
 *   multiply a short relative line by the length of the base URI)
 */
typedef struct
{
  gsize max_size;
  gsize max_line;
  guint max_segments;
  guint max_items;
  guint max_depth;
  gsize max_output;
} GstP2pStreamLimits;

void          gst_p2p_stream_limits_init  (GstP2pStreamLimits * limits);

/**
 * GstP2pStreamRange:
 * @set: FALSE when the whole resource is meant
 * @offset: first byte
 * @length: number of bytes, at least 1
 *
 * A byte range of a resource, as HLS EXT-X-BYTERANGE "length@offset" and
 * DASH "first-last" both describe it. offset + length never overflows.
 */
typedef struct
{
  gboolean set;
  guint64 offset;
  guint64 length;
} GstP2pStreamRange;

G_END_DECLS

#endif /* __GST_P2P_STREAM_TYPES_H__ */
