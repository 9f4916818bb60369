/* GstP2pTrackerClient: one membership of a swarm on gst-p2p-tracker.
 *
 * Connects to the tracker over a WebSocket (libsoup 3), joins a swarm,
 * keeps the connection alive with pings, asks for fresh peer lists
 * periodically, relays signalling payloads (ICE and DTLS parameters of the
 * peer links) to and from other members, and reconnects with capped
 * exponential backoff and jitter whenever the connection is lost. The wire
 * protocol is docs/signalling.md.
 *
 * Nothing here blocks: every operation is asynchronous, outgoing signals
 * wait in a bounded queue while the client is not joined, and errors are
 * counted (gst_p2p_tracker_client_get_stats()).
 *
 * Threads: the client lives on the GstP2pLoop network thread. Create it,
 * call its functions, connect to its signals and drop the last reference
 * only from that thread (gst_p2p_loop_invoke()); signals are emitted there.
 */
#ifndef __GST_P2P_TRACKER_CLIENT_H__
#define __GST_P2P_TRACKER_CLIENT_H__

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * GstP2pTrackerClientState:
 * @GST_P2P_TRACKER_CLIENT_STOPPED: not started, or stopped
 * @GST_P2P_TRACKER_CLIENT_CONNECTING: WebSocket handshake in progress
 * @GST_P2P_TRACKER_CLIENT_JOINING: connected, join sent, no welcome yet
 * @GST_P2P_TRACKER_CLIENT_JOINED: member of the swarm
 * @GST_P2P_TRACKER_CLIENT_BACKOFF: waiting before the next connection
 */
typedef enum
{
  GST_P2P_TRACKER_CLIENT_STOPPED,
  GST_P2P_TRACKER_CLIENT_CONNECTING,
  GST_P2P_TRACKER_CLIENT_JOINING,
  GST_P2P_TRACKER_CLIENT_JOINED,
  GST_P2P_TRACKER_CLIENT_BACKOFF,
} GstP2pTrackerClientState;

GType gst_p2p_tracker_client_state_get_type (void);
#define GST_P2P_TYPE_TRACKER_CLIENT_STATE (gst_p2p_tracker_client_state_get_type ())

/**
 * GstP2pTrackerClientStats:
 * @connects: WebSocket connections established
 * @connect_failures: connection attempts that failed
 * @joins: welcomes received
 * @disconnects: established connections lost
 * @tracker_errors: error messages received from the tracker
 * @malformed: frames from the tracker that failed validation
 * @signals_sent: signals handed to the connection
 * @signals_received: signals delivered to the application
 * @signals_dropped: signals dropped because the queue was full or expired
 * @publishes_received: publish messages delivered to the application
 * @peer_lists: peer lists received
 */
typedef struct
{
  guint64 connects;
  guint64 connect_failures;
  guint64 joins;
  guint64 disconnects;
  guint64 tracker_errors;
  guint64 malformed;
  guint64 signals_sent;
  guint64 signals_received;
  guint64 signals_dropped;
  guint64 publishes_received;
  guint64 peer_lists;
} GstP2pTrackerClientStats;

#define GST_P2P_TYPE_TRACKER_CLIENT (gst_p2p_tracker_client_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pTrackerClient, gst_p2p_tracker_client,
    GST_P2P, TRACKER_CLIENT, GObject)

GstP2pTrackerClient * gst_p2p_tracker_client_new (const gchar * url,
                                                  const gchar * swarm,
                                                  const gchar * token);

void          gst_p2p_tracker_client_start         (GstP2pTrackerClient * client);
void          gst_p2p_tracker_client_stop          (GstP2pTrackerClient * client);

gboolean      gst_p2p_tracker_client_send_signal   (GstP2pTrackerClient * client,
                                                    const gchar * to,
                                                    const gchar * payload_json);
gboolean      gst_p2p_tracker_client_publish       (GstP2pTrackerClient * client,
                                                    const gchar * payload_json);
void          gst_p2p_tracker_client_request_peers (GstP2pTrackerClient * client);

GstP2pTrackerClientState
              gst_p2p_tracker_client_get_state     (GstP2pTrackerClient * client);
const gchar * gst_p2p_tracker_client_get_peer_id   (GstP2pTrackerClient * client);
void          gst_p2p_tracker_client_get_stats     (GstP2pTrackerClient * client,
                                                    GstP2pTrackerClientStats * stats);

G_END_DECLS

#endif /* __GST_P2P_TRACKER_CLIENT_H__ */
