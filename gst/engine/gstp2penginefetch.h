/* GstP2pEngineFetch: a segment the engine fetches from the CDN by itself.
 *
 * When the scheduler says FETCH_CDN or SEED for a segment no source asked
 * for yet, the engine downloads it ahead of the demuxer, with the HTTP
 * settings a source of the same player used last (GstP2pEngineHttpTemplate:
 * session, user agent, cookies, extra headers, credentials), so the CDN
 * sees the same requests it would see from the player.
 *
 * A GstP2pHttpFetch is consumed with blocking waits, which must not run on
 * the network thread that drives it: each engine fetch runs on a worker of
 * a small process-wide thread pool, reads the whole body (bounded by
 * max_size), and reports back on the network thread through its callback,
 * exactly once, also when cancelled or failed.
 *
 * Threads: start() and cancel() from any thread; the callback runs on the
 * network thread (GstP2pLoop).
 */
#ifndef __GST_P2P_ENGINE_FETCH_H__
#define __GST_P2P_ENGINE_FETCH_H__

#include <gst/gst.h>

#include "http/gstp2phttpfetch.h"

G_BEGIN_DECLS

/* The HTTP settings of a source, copied (refcounted, immutable). */
typedef struct
{
  gint ref;
  GstP2pHttpSession *session;
  gchar *user_agent;
  gchar **cookies;
  GstStructure *extra_headers;
  gchar *user_id;
  gchar *user_pw;
  gchar *proxy_id;
  gchar *proxy_pw;
  gboolean compress;
  gboolean keep_alive;
  gboolean automatic_redirect;
  gboolean ssl_strict;
} GstP2pEngineHttpTemplate;

G_GNUC_INTERNAL
GstP2pEngineHttpTemplate *gst_p2p_engine_http_template_new (GstP2pHttpSession *
    session, const GstP2pHttpRequest * http);
G_GNUC_INTERNAL
GstP2pEngineHttpTemplate *gst_p2p_engine_http_template_ref
    (GstP2pEngineHttpTemplate * tmpl);
G_GNUC_INTERNAL
void gst_p2p_engine_http_template_unref (GstP2pEngineHttpTemplate * tmpl);
G_GNUC_INTERNAL
void gst_p2p_engine_http_template_fill (GstP2pEngineHttpTemplate * tmpl,
    GstP2pHttpRequest * request);

typedef struct _GstP2pEngineFetch GstP2pEngineFetch;

/* @body: the complete range, or NULL on failure/cancel (@error says why). */
typedef void (*GstP2pEngineFetchCallback) (GstP2pEngineFetch * fetch,
    GBytes * body, gint64 total_size, const gchar * content_type,
    const GError * error, gpointer user_data);

G_GNUC_INTERNAL
GstP2pEngineFetch *gst_p2p_engine_fetch_start (GstP2pEngineHttpTemplate * tmpl,
    const gchar * uri, guint64 start, guint64 stop, gsize max_size,
    gint64 timeout_us, GstP2pEngineFetchCallback callback, gpointer user_data,
    GDestroyNotify notify);
G_GNUC_INTERNAL
void gst_p2p_engine_fetch_cancel (GstP2pEngineFetch * fetch);

G_END_DECLS

#endif /* __GST_P2P_ENGINE_FETCH_H__ */
