/* GstP2pEngineRequest: one fragment request of a source, and its answer.
 *
 * p2phttpsrc asks the engine before it fetches a fragment:
 *
 *   req = gst_p2p_engine_request_fragment (engine, uri, start, stop,
 *       session, &http_request);
 *   switch (gst_p2p_engine_request_wait (req, deadline)) {
 *     case GST_P2P_ENGINE_ANSWER_SERVE:      push get_data() downstream
 *     case GST_P2P_ENGINE_ANSWER_CDN:        fetch it as usual; if
 *                                            wants_bytes(), hand the body
 *                                            to finish() so it is stored
 *     case GST_P2P_ENGINE_ANSWER_CANCELLED:  unlock(): flushing
 *   }
 *   gst_p2p_engine_request_finish (req, ok, bytes_from_cdn, body);
 *   gst_p2p_engine_request_unref (req);
 *
 * The engine answers on the network thread: at once (served from the
 * store, or "fetch it"), or later, when the transfer the request waits for
 * completes or fails, or when its wait runs out (the scheduler's time, at
 * most the player's deadline). The waiting thread never waits longer than
 * its own deadline: if the engine has not answered by then the answer is
 * CDN (a deadline miss). Playback first: every path ends in data.
 *
 * The request also carries a copy of the source's HTTP settings (session,
 * user agent, cookies, extra headers, credentials): the engine fetches
 * segments ahead of the demuxer with the same ones.
 *
 * Threads: any thread; wait() blocks the calling (streaming) thread on its
 * own mutex and condition until its deadline at most; cancel() may be
 * called from any thread to end a wait.
 */
#ifndef __GST_P2P_ENGINE_REQUEST_H__
#define __GST_P2P_ENGINE_REQUEST_H__

#include <gst/gst.h>

#include "engine/gstp2pengine.h"
#include "http/gstp2phttpfetch.h"

G_BEGIN_DECLS

typedef enum
{
  GST_P2P_ENGINE_ANSWER_PENDING,
  GST_P2P_ENGINE_ANSWER_SERVE,
  GST_P2P_ENGINE_ANSWER_CDN,
  GST_P2P_ENGINE_ANSWER_CANCELLED,
} GstP2pEngineAnswer;

typedef struct _GstP2pEngineRequest GstP2pEngineRequest;

GstP2pEngineRequest * gst_p2p_engine_request_fragment (GstP2pEngine * engine,
                                                       const gchar * uri,
                                                       guint64 start,
                                                       guint64 stop,
                                                       GstP2pHttpSession * session,
                                                       const GstP2pHttpRequest * http);
GstP2pEngineRequest * gst_p2p_engine_request_ref   (GstP2pEngineRequest * req);
void                  gst_p2p_engine_request_unref (GstP2pEngineRequest * req);

GstP2pEngineAnswer    gst_p2p_engine_request_wait  (GstP2pEngineRequest * req,
                                                    gint64 deadline);
void                  gst_p2p_engine_request_cancel (GstP2pEngineRequest * req);

/* Valid after wait() returned. */
GBytes *              gst_p2p_engine_request_get_data    (GstP2pEngineRequest * req);
gint64                gst_p2p_engine_request_get_total_size (GstP2pEngineRequest * req);
const gchar *         gst_p2p_engine_request_get_content_type (GstP2pEngineRequest * req);
gboolean              gst_p2p_engine_request_wants_bytes (GstP2pEngineRequest * req);
gboolean              gst_p2p_engine_request_is_segment  (GstP2pEngineRequest * req);
const gchar *         gst_p2p_engine_request_get_reason  (GstP2pEngineRequest * req);
gboolean              gst_p2p_engine_request_missed_deadline (GstP2pEngineRequest * req);

/* Once, when the source is done with it: @ok the fragment was delivered
 * completely; @cdn_bytes the bytes it fetched from the CDN itself; @body
 * (nullable) the complete body when wants_bytes(); @total_size and
 * @content_type of the CDN response (-1 / NULL if unknown). */
void                  gst_p2p_engine_request_finish (GstP2pEngineRequest * req,
                                                     gboolean ok,
                                                     guint64 cdn_bytes,
                                                     GBytes * body,
                                                     gint64 total_size,
                                                     const gchar * content_type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pEngineRequest, gst_p2p_engine_request_unref)

G_END_DECLS

#endif /* __GST_P2P_ENGINE_REQUEST_H__ */
