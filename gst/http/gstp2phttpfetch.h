/* GstP2pHttpFetch: one HTTP request to the CDN or origin, and its response.
 *
 * A fetch is created and consumed by a streaming thread (or the engine) and
 * runs on the GstP2pLoop: the loop sends the request, reads the body ahead
 * into a bounded queue of chunks, and the consumer pops them with a timeout.
 * Every wait has a deadline and every fetch ends in EOS, an error, a timeout
 * or a cancellation: nothing here can block a caller forever.
 *
 * Threads: all functions may be called from any thread; interrupt() and
 * cancel() may be called concurrently with a blocking wait to end it.
 */
#ifndef __GST_P2P_HTTP_FETCH_H__
#define __GST_P2P_HTTP_FETCH_H__

#include <gst/gst.h>
#include <libsoup/soup.h>

#include "http/gstp2phttpsession.h"

G_BEGIN_DECLS

typedef struct _GstP2pHttpFetch GstP2pHttpFetch;

/* What to ask for. Strings are copied by gst_p2p_http_fetch_new(). */
typedef struct
{
  const gchar *uri;
  const gchar *method;          /* NULL: GET */
  guint64 range_start;          /* 0 and range_stop == -1: no Range header */
  guint64 range_stop;           /* exclusive; (guint64) -1: open-ended */
  const GstStructure *extra_headers;    /* field = header; lists repeat it */
  const gchar *user_agent;      /* trailing space appends libsoup's */
  const gchar *const *cookies;  /* "name=value" strings */
  const gchar *user_id;
  const gchar *user_pw;
  const gchar *proxy_id;
  const gchar *proxy_pw;
  gboolean compress;            /* FALSE: Accept-Encoding: identity */
  gboolean keep_alive;          /* FALSE: Connection: close */
  gboolean automatic_redirect;
  gboolean ssl_strict;
  gboolean iradio_mode;         /* icy-metadata: 1 */
  SoupLoggerLogLevel log_level; /* for the session logger, at TRACE */
  GObject *log_object;          /* the object the log lines are attributed to */
  gsize max_queued;             /* read-ahead bound in bytes; 0: default */
} GstP2pHttpRequest;

typedef enum
{
  GST_P2P_FETCH_OK,             /* headers arrived / a chunk is returned */
  GST_P2P_FETCH_EOS,            /* the body ended where it said it would */
  GST_P2P_FETCH_ERROR,          /* transport or protocol error, see GError */
  GST_P2P_FETCH_TIMEOUT,        /* no progress within the timeout */
  GST_P2P_FETCH_CANCELLED,      /* gst_p2p_http_fetch_cancel() */
} GstP2pFetchResult;

/* Timestamps (g_get_monotonic_time) of the milestones of a fetch. */
typedef struct
{
  gint64 started;
  gint64 headers;
  gint64 first_byte;
  gint64 finished;
  guint64 bytes;
} GstP2pHttpFetchTimes;

GstP2pHttpFetch *   gst_p2p_http_fetch_new    (GstP2pHttpSession * session,
                                               const GstP2pHttpRequest * request);
GstP2pHttpFetch *   gst_p2p_http_fetch_ref    (GstP2pHttpFetch * fetch);
void                gst_p2p_http_fetch_unref  (GstP2pHttpFetch * fetch);

void                gst_p2p_http_fetch_start  (GstP2pHttpFetch * fetch);
void                gst_p2p_http_fetch_interrupt (GstP2pHttpFetch * fetch);
void                gst_p2p_http_fetch_cancel (GstP2pHttpFetch * fetch);
void                gst_p2p_http_fetch_release (GstP2pHttpFetch * fetch);

/* Waits until the response headers arrived. timeout_us <= 0: no timeout. */
GstP2pFetchResult   gst_p2p_http_fetch_wait_response (GstP2pHttpFetch * fetch,
                                                      gint64 timeout_us,
                                                      GError ** error);

/* Pops the next body chunk. The timeout is an idle timeout: it fails when no
 * byte arrived for timeout_us while the queue was empty. */
GstP2pFetchResult   gst_p2p_http_fetch_pop    (GstP2pHttpFetch * fetch,
                                               gint64 timeout_us,
                                               GstBuffer ** chunk,
                                               GError ** error);

/* Valid once wait_response() returned GST_P2P_FETCH_OK; never modified after. */
guint               gst_p2p_http_fetch_get_status       (GstP2pHttpFetch * fetch);
const gchar *       gst_p2p_http_fetch_get_reason       (GstP2pHttpFetch * fetch);
const gchar *       gst_p2p_http_fetch_get_uri          (GstP2pHttpFetch * fetch);
const gchar *       gst_p2p_http_fetch_get_final_uri    (GstP2pHttpFetch * fetch);
gboolean            gst_p2p_http_fetch_is_redirect_permanent (GstP2pHttpFetch * fetch);
SoupMessageHeaders * gst_p2p_http_fetch_get_request_headers  (GstP2pHttpFetch * fetch);
SoupMessageHeaders * gst_p2p_http_fetch_get_response_headers (GstP2pHttpFetch * fetch);
/* Body length announced by the server for this response, -1 if unknown. */
gint64              gst_p2p_http_fetch_get_content_length (GstP2pHttpFetch * fetch);
/* Content-Range of a 206: first byte, last byte + 1, total (-1 unknown). */
gboolean            gst_p2p_http_fetch_get_content_range (GstP2pHttpFetch * fetch,
                                                          guint64 * start,
                                                          guint64 * stop,
                                                          gint64 * total);
void                gst_p2p_http_fetch_get_times (GstP2pHttpFetch * fetch,
                                                  GstP2pHttpFetchTimes * times);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pHttpFetch, gst_p2p_http_fetch_unref)

G_END_DECLS

#endif /* __GST_P2P_HTTP_FETCH_H__ */
