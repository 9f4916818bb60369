/* gst-p2p test support: a real nginx origin (the "CDN") started by a test.
 *
 * GstP2pTestOrigin runs /usr/sbin/nginx in the foreground on 127.0.0.1 with a
 * free port, serving one docroot, with a JSON-lines access log that is the
 * truth for the bytes the CDN served (see gstp2ptestaccesslog.h). The nginx
 * child gets PR_SET_PDEATHSIG, so it dies with the thread that started it even
 * if the test crashes: start it from the test's main thread.
 *
 * Not thread-safe; use one origin from one thread.
 */
#ifndef __GST_P2P_TEST_ORIGIN_H__
#define __GST_P2P_TEST_ORIGIN_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GstP2pTestOrigin GstP2pTestOrigin;

/* GET answers the origin's current time as an ISO 8601 xs:dateTime (the
 * DASH UTCTiming "urn:mpeg:dash:utc:http-xsdate:2014" scheme); every answer
 * also carries a Date header (for "http-head"). */
#define GST_P2P_TEST_ORIGIN_TIME_PATH "/p2p-time"

/* Path of the nginx binary (Debian package nginx-light or nginx). */
#define GST_P2P_TEST_NGINX_PATH "/usr/sbin/nginx"

gboolean            gst_p2p_test_origin_is_available (void);

GstP2pTestOrigin *  gst_p2p_test_origin_start      (const gchar * docroot,
                                                    GError ** error);

/* "http://127.0.0.1:PORT", no trailing slash. */
const gchar *       gst_p2p_test_origin_get_base_uri (GstP2pTestOrigin * origin);

guint16             gst_p2p_test_origin_get_port   (GstP2pTestOrigin * origin);

const gchar *       gst_p2p_test_origin_get_docroot (GstP2pTestOrigin * origin);

/* One JSON object per line, written when each request completes. Fields:
 * msec, method, uri, args, request, status, bytes_sent, body_bytes_sent,
 * range, request_time, connection, connection_requests, user_agent, referer.
 * Valid until gst_p2p_test_origin_free(), also after _stop(). */
const gchar *       gst_p2p_test_origin_get_access_log_path (GstP2pTestOrigin * origin);

const gchar *       gst_p2p_test_origin_get_error_log_path (GstP2pTestOrigin * origin);

/* Kills nginx (SIGTERM, then SIGKILL after 5 s) and waits for it.
 * Idempotent. The logs stay readable until gst_p2p_test_origin_free(). */
void                gst_p2p_test_origin_stop       (GstP2pTestOrigin * origin);

/* Stops if needed, deletes the origin's private directory (config, logs),
 * never the docroot. */
void                gst_p2p_test_origin_free       (GstP2pTestOrigin * origin);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pTestOrigin, gst_p2p_test_origin_free)

G_END_DECLS

#endif /* __GST_P2P_TEST_ORIGIN_H__ */
