/* GstP2pHttpSession: the shared libsoup 3 sessions of the CDN client.
 *
 * libsoup keeps persistent connections per session, so all p2phttpsrc
 * instances of a process share one session and reuse connections fragment
 * after fragment. Settings that libsoup 3 only offers per session (proxy,
 * TLS database, TLS interaction) select a session from a small pool keyed by
 * those settings; everything else is per request.
 *
 * Threads: gst_p2p_http_session_get() and the ref/unref functions may be
 * called from any thread. The SoupSession itself lives on the GstP2pLoop
 * context and must only be used from there.
 */
#ifndef __GST_P2P_HTTP_SESSION_H__
#define __GST_P2P_HTTP_SESSION_H__

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "net/gstp2ploop.h"

G_BEGIN_DECLS

typedef struct _GstP2pHttpSession GstP2pHttpSession;

typedef struct
{
  const gchar *proxy;           /* NULL: the environment (http_proxy), "" : none */
  GTlsDatabase *tls_database;   /* NULL: the system default */
  GTlsInteraction *tls_interaction;
  /* libsoup caches credentials and accepted certificates per session (and
   * per pooled connection): requests that differ in them must not share. */
  gboolean lax_tls;             /* ssl-strict off: accept any certificate */
  const gchar *user_id;
  const gchar *user_pw;
  const gchar *proxy_id;
  const gchar *proxy_pw;
} GstP2pHttpSessionConfig;

GstP2pHttpSession * gst_p2p_http_session_get   (const GstP2pHttpSessionConfig * config);
GstP2pHttpSession * gst_p2p_http_session_ref   (GstP2pHttpSession * session);
void                gst_p2p_http_session_unref (GstP2pHttpSession * session);

GstP2pLoop *        gst_p2p_http_session_get_loop (GstP2pHttpSession * session);
SoupSession *       gst_p2p_http_session_get_soup (GstP2pHttpSession * session);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pHttpSession, gst_p2p_http_session_unref)

G_END_DECLS

#endif /* __GST_P2P_HTTP_SESSION_H__ */
