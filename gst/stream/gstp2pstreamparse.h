/* Private helpers of the stream parsers: strict number, duration and date
 * parsing, URI resolution and the output budget. Not installed.
 *
 * Every function here is total: it accepts any bytes and either produces a
 * value that fits or returns FALSE/NULL; nothing here trusts a number.
 *
 * Threads: no shared state besides the debug category; callable from any
 * thread.
 */
#ifndef __GST_P2P_STREAM_PARSE_H__
#define __GST_P2P_STREAM_PARSE_H__

#include <gst/gst.h>
#include "stream/gstp2pstreamtypes.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL GstDebugCategory *gst_p2p_stream_debug_category (void);

/* Bytes of strings a parse has allocated, against limits->max_output. */
typedef struct
{
  gsize used;
  gsize max;
} GstP2pStreamBudget;

G_GNUC_INTERNAL
gboolean gst_p2p_stream_budget_take (GstP2pStreamBudget * budget, gsize n,
    GError ** error);

/* Decimal digits only, no sign, no space, fits in 64 bits. */
G_GNUC_INTERNAL
gboolean gst_p2p_stream_parse_uint64 (const gchar * s, gsize len,
    guint64 * out);
/* "12", "12.345": non-negative decimal seconds, to nanoseconds; digits
 * beyond nanoseconds are checked and dropped. */
G_GNUC_INTERNAL
gboolean gst_p2p_stream_parse_seconds (const gchar * s, gsize len,
    GstClockTime * out);
/* xs:duration "PnYnMnDTnHnMn.nS" to nanoseconds (Y = 365 days, M = 30
 * days, as dashdemux does); negative durations are refused. */
G_GNUC_INTERNAL
gboolean gst_p2p_stream_parse_xs_duration (const gchar * s,
    GstClockTime * out);
/* ISO 8601 / xs:dateTime, UTC when no zone is given, to microseconds since
 * the Unix epoch. */
G_GNUC_INTERNAL
gboolean gst_p2p_stream_parse_datetime (const gchar * s, gint64 * out_us);

/* @base: an absolute URI, or NULL when @ref must be absolute. Returns a new
 * absolute URI or NULL. */
G_GNUC_INTERNAL
gchar *gst_p2p_stream_resolve_uri (GUri * base, const gchar * ref);

/* The URI without "?query" and "#fragment". */
G_GNUC_INTERNAL
gchar *gst_p2p_stream_uri_strip_query (const gchar * uri);

G_GNUC_INTERNAL
void gst_p2p_stream_set_error (GError ** error, GstP2pStreamError code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

#define GST_CAT_STREAM (gst_p2p_stream_debug_category ())

G_END_DECLS

#endif /* __GST_P2P_STREAM_PARSE_H__ */
