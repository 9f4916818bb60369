/* GstP2pSwarm: this viewer's membership of one swarm (one rendition), and
 * its links to the other viewers in it.
 *
 * It joins through a GstP2pTrackerClient (tracker URL + join token) under
 * the short swarm name (the first 16 hex characters of the 32-byte id, the
 * name the stream index gives and the publisher uses), takes
 * the peer lists the tracker hands out, and decides whom to link to
 * (GstP2pConnPolicy: limits on links and handshakes, the lower tracker id
 * initiates, backoff after failures, bans for protocol violations). It
 * carries each GstP2pLink's signalling lines (ICE credentials, trickled
 * candidates, DTLS fingerprint) through the tracker, and runs one GstP2pPeer
 * per link. It announces HAVE / FETCHING for us, serves peers from the
 * segment store through the upload gate, and fetches byte ranges from peers
 * as asynchronous operations with progress and a deadline. The operator's
 * publish messages (signed segment hashes) are relayed up as a signal.
 *
 * The signalling payloads it exchanges through the tracker (JSON objects,
 * docs/swarm.md):
 *   {"t":"knock"}                              "please link to me"
 *   {"t":"sig","s":SESSION,"l":[LINE, ...]}    link signalling lines
 *   {"t":"bye","s":SESSION,"r":REASON}         attempt refused or ended
 *
 * Threads: a swarm lives on the process network thread (GstP2pLoop), since
 * its tracker client does. Create it, call every function, connect to its
 * signals and drop the last reference on that thread
 * (gst_p2p_loop_invoke()/gst_p2p_loop_invoke_sync()). Signals and fetch
 * callbacks are emitted there. The segment store may be shared with other
 * threads (it locks itself).
 */
#ifndef __GST_P2P_SWARM_H__
#define __GST_P2P_SWARM_H__

#include <glib-object.h>
#include <gio/gio.h>

#include "protocol/gstp2pwire.h"
#include "scheduler/gstp2puploadgate.h"
#include "store/gstp2psegmentstore.h"
#include "swarm/gstp2pconnpolicy.h"
#include "swarm/gstp2ppeer.h"
#include "transport/gstp2plink.h"

G_BEGIN_DECLS

/* Streams per direction on our links: 64 requests of each parity plus the
 * control stream (docs/protocol.md asks for at least 129). */
#define GST_P2P_SWARM_LINK_STREAMS        130
/* Outgoing bytes a link buffers before it pushes back on uploads. */
#define GST_P2P_SWARM_LINK_MAX_BUFFERED   (2 * 1024 * 1024)
/* Remote peers remembered (linked or not). */
#define GST_P2P_SWARM_MAX_KNOWN           256
/* Hex characters of the tracker swarm name: the short form of the 32-byte
 * swarm id, as gst/stream gives it (GST_P2P_STREAM_SWARM_ID_LEN) and the
 * publisher publishes to (docs/trust.md). */
#define GST_P2P_SWARM_TRACKER_NAME_LEN    16
/* Segments we announce. */
#define GST_P2P_SWARM_MAX_HAVES           4096

/**
 * GstP2pSwarmStats:
 * @peers: peers ready now (HELLO exchanged)
 * @pending: links in their handshake now
 * @known: remote peers known
 * @banned: remote peers banned now
 * @bytes_from_peers: DATA payload bytes received
 * @bytes_to_peers: DATA payload bytes sent
 * @links_initiated: links we started
 * @links_accepted: links the other side started
 * @links_refused: link attempts we refused (full, banned)
 * @link_failures: links that failed (before HELLO, or died without BYE)
 * @protocol_errors: protocol violations by peers (each closes a link)
 * @bans: bans issued
 * @fetches: fetches started
 * @fetches_ok: fetches completed
 * @fetches_failed: fetches failed (any reason)
 * @bad_signals: malformed signalling payloads from other peers
 * @tracker_errors: errors the tracker reported
 */
typedef struct
{
  guint peers;
  guint pending;
  guint known;
  guint banned;
  guint64 bytes_from_peers;
  guint64 bytes_to_peers;
  guint64 links_initiated;
  guint64 links_accepted;
  guint64 links_refused;
  guint64 link_failures;
  guint64 protocol_errors;
  guint64 bans;
  guint64 fetches;
  guint64 fetches_ok;
  guint64 fetches_failed;
  guint64 bad_signals;
  guint64 tracker_errors;
} GstP2pSwarmStats;

/**
 * GstP2pSwarmPeerInfo:
 * @id: the peer's tracker id
 * @state: its protocol state
 * @n_haves: segments it announced
 * @in_flight: our requests outstanding there
 * @free_slots: requests it takes from us now
 * @stats: its counters (RTT, throughput, bytes, errors)
 */
typedef struct
{
  gchar *id;
  GstP2pPeerState state;
  guint n_haves;
  guint in_flight;
  guint free_slots;
  GstP2pPeerStats stats;
} GstP2pSwarmPeerInfo;

void gst_p2p_swarm_peer_info_free (GstP2pSwarmPeerInfo * info);

#define GST_P2P_TYPE_SWARM (gst_p2p_swarm_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pSwarm, gst_p2p_swarm, GST_P2P, SWARM, GObject)

/**
 * GstP2pSwarmProgress:
 * @received: bytes of the range received so far
 * @segment_size: the whole segment's size
 *
 * Progress of a fetch, on the network thread.
 */
typedef void (*GstP2pSwarmProgress) (GstP2pSwarm * swarm, guint64 received,
    guint32 segment_size, gpointer data);


GstP2pSwarm * gst_p2p_swarm_new           (const guint8 * swarm_id,
                                           const gchar * tracker_url,
                                           const gchar * token,
                                           GstP2pSegmentStore * store);
void          gst_p2p_swarm_set_link_config (GstP2pSwarm * swarm,
                                           const GstP2pLinkConfig * config);
void          gst_p2p_swarm_set_upload_gate (GstP2pSwarm * swarm,
                                           GstP2pUploadGate * gate);
void          gst_p2p_swarm_start         (GstP2pSwarm * swarm);
void          gst_p2p_swarm_stop          (GstP2pSwarm * swarm);

void          gst_p2p_swarm_announce_have (GstP2pSwarm * swarm,
                                           guint64 segment_id);
void          gst_p2p_swarm_announce_fetching (GstP2pSwarm * swarm,
                                           guint64 segment_id,
                                           gboolean aborted);

void          gst_p2p_swarm_fetch_async   (GstP2pSwarm * swarm,
                                           guint64 segment_id,
                                           guint32 start,
                                           guint32 end,
                                           gint64 deadline,
                                           const gchar * peer_id,
                                           GCancellable * cancellable,
                                           GstP2pSwarmProgress progress,
                                           gpointer progress_data,
                                           GDestroyNotify progress_notify,
                                           GAsyncReadyCallback callback,
                                           gpointer user_data);
GBytes *      gst_p2p_swarm_fetch_finish  (GstP2pSwarm * swarm,
                                           GAsyncResult * result,
                                           guint32 * segment_size,
                                           gchar ** peer_id,
                                           GBytes ** partial,
                                           GError ** error);

gchar **      gst_p2p_swarm_get_holders   (GstP2pSwarm * swarm,
                                           guint64 segment_id);
GPtrArray *   gst_p2p_swarm_get_peers     (GstP2pSwarm * swarm);
GstP2pPeer *  gst_p2p_swarm_get_peer      (GstP2pSwarm * swarm,
                                           const gchar * peer_id);
const gchar * gst_p2p_swarm_get_peer_id   (GstP2pSwarm * swarm);
const gchar * gst_p2p_swarm_get_tracker_name (GstP2pSwarm * swarm);
const gchar * gst_p2p_swarm_get_last_tracker_error (GstP2pSwarm * swarm,
                                           const gchar ** message);
gboolean      gst_p2p_swarm_ban_peer      (GstP2pSwarm * swarm,
                                           const gchar * peer_id,
                                           const gchar * reason,
                                           gint64 duration_us);
gboolean      gst_p2p_swarm_is_banned     (GstP2pSwarm * swarm,
                                           const gchar * peer_id);
void          gst_p2p_swarm_get_stats     (GstP2pSwarm * swarm,
                                           GstP2pSwarmStats * stats);

void          gst_p2p_swarm_peer_wire_id  (const gchar * tracker_id,
                                           guint8 * wire_id);

G_END_DECLS

#endif /* __GST_P2P_SWARM_H__ */
