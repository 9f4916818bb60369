/* Error domain and limits of the stream parsers. See gstp2pstreamtypes.h.
 *
 * Threads: no state; callable from any thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "stream/gstp2pstreamtypes.h"

G_DEFINE_QUARK (gst - p2p - stream - error - quark, gst_p2p_stream_error);

/**
 * gst_p2p_stream_error_reason:
 * @code: a #GstP2pStreamError
 *
 * Returns: a short stable string for @code, "unknown" for anything else.
 */
const gchar *
gst_p2p_stream_error_reason (gint code)
{
  static const gchar *reasons[GST_P2P_STREAM_ERROR_N] = {
    "too-large", "too-many", "syntax", "bad-value", "bad-uri", "missing",
    "forbidden", "unsupported"
  };

  if (code < 0 || code >= GST_P2P_STREAM_ERROR_N)
    return "unknown";
  return reasons[code];
}

/**
 * gst_p2p_stream_limits_init:
 * @limits: the limits to fill with the defaults
 *
 * 4 MiB input, 64 KiB lines, 100 000 segments, 4096 items of each other
 * kind, XML depth 32 and 64 MiB of parsed strings.
 */
void
gst_p2p_stream_limits_init (GstP2pStreamLimits * limits)
{
  g_return_if_fail (limits != NULL);

  limits->max_size = GST_P2P_STREAM_DEFAULT_MAX_SIZE;
  limits->max_line = GST_P2P_STREAM_DEFAULT_MAX_LINE;
  limits->max_segments = GST_P2P_STREAM_DEFAULT_MAX_SEGMENTS;
  limits->max_items = GST_P2P_STREAM_DEFAULT_MAX_ITEMS;
  limits->max_depth = GST_P2P_STREAM_DEFAULT_MAX_DEPTH;
  limits->max_output = GST_P2P_STREAM_DEFAULT_MAX_OUTPUT;
}
