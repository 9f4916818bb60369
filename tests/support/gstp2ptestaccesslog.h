/* gst-p2p test support: the origin's access log, parsed.
 *
 * The nginx access log written by GstP2pTestOrigin is the truth for what the
 * CDN served: which URIs, which byte ranges, how many body bytes, to which
 * User-Agent. Plain data, callable from any thread.
 */
#ifndef __GST_P2P_TEST_ACCESS_LOG_H__
#define __GST_P2P_TEST_ACCESS_LOG_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gdouble msec;                 /* request end, seconds since the epoch */
  gchar *method;
  gchar *uri;                   /* path only, decoded by nginx */
  gchar *args;
  guint status;
  guint64 bytes_sent;
  guint64 body_bytes_sent;
  gchar *range;                 /* Range request header, "" if none */
  gdouble request_time;         /* seconds */
  guint64 connection;
  guint64 connection_requests;
  gchar *user_agent;
  gchar *referer;
} GstP2pTestAccessEntry;

/* Parses every complete line; a malformed line is an error (the format is
 * ours). Returns (element-type GstP2pTestAccessEntry) or NULL + @error. */
GPtrArray * gst_p2p_test_access_log_read (const gchar * path,
                                          GError ** error);

/* Sum of body_bytes_sent over entries whose uri starts with @uri_prefix
 * (NULL = all). */
guint64     gst_p2p_test_access_log_body_bytes (GPtrArray * entries,
                                                const gchar * uri_prefix);

void        gst_p2p_test_access_entry_free (GstP2pTestAccessEntry * entry);

G_END_DECLS

#endif /* __GST_P2P_TEST_ACCESS_LOG_H__ */
