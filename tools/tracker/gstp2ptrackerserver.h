/* GstP2pTrackerServer: the swarm registry and signalling relay of
 * gst-p2p-tracker.
 *
 * A libsoup 3 SoupServer accepts WebSocket clients on any path and serves
 * Prometheus metrics on /metrics. Clients join one swarm each, get random
 * subsets of its members, and relay opaque signalling payloads (ICE, DTLS
 * fingerprints) to members of the same swarm only; the operator's publisher
 * broadcasts to a whole swarm. The protocol is in docs/signalling.md.
 *
 * Every frame is bounded before parsing, every connection is rate limited
 * (token buckets for messages and bytes), and clients silent for longer than
 * the eviction timeout are dropped.
 *
 * Threads: single-threaded. Everything runs on the thread-default main
 * context of the thread that created the server.
 */
#ifndef __GST_P2P_TRACKER_SERVER_H__
#define __GST_P2P_TRACKER_SERVER_H__

#include <gio/gio.h>

#include "gstp2ptrackerconfig.h"

G_BEGIN_DECLS

typedef struct _GstP2pTrackerServer GstP2pTrackerServer;

GstP2pTrackerServer * gst_p2p_tracker_server_new      (const GstP2pTrackerConfig * config,
                                                       GBytes * secret);
gboolean              gst_p2p_tracker_server_listen   (GstP2pTrackerServer * server,
                                                       GSocketAddress * address,
                                                       GTlsCertificate * certificate,
                                                       GError ** error);
void                  gst_p2p_tracker_server_shutdown (GstP2pTrackerServer * server);
guint                 gst_p2p_tracker_server_get_n_clients (GstP2pTrackerServer * server);
gchar *               gst_p2p_tracker_server_render_metrics (GstP2pTrackerServer * server);
void                  gst_p2p_tracker_server_free     (GstP2pTrackerServer * server);

G_END_DECLS

#endif /* __GST_P2P_TRACKER_SERVER_H__ */
