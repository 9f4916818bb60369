/* GstP2pPeer: one remote viewer, over one GstP2pLink, speaking the wire
 * protocol (docs/protocol.md) on top of the codec (protocol/gstp2pwire.h).
 *
 * What it does:
 *  - HELLO first, both ways, within a deadline; checks the swarm id and,
 *    when the signalling told us who to expect, the peer id;
 *  - tracks what the peer holds (HAVE/BITFIELD) and is fetching from the CDN
 *    (FETCHING), in bounded tables;
 *  - sends our requests, one REQUEST per SCTP stream of our parity, and
 *    reassembles DATA into the requested range with a deadline per request
 *    and stall detection (no byte for stall-timeout); CANCEL; ABSENT;
 *  - serves the peer's requests from a provider callback (the segment
 *    store) through a GstP2pUploadGate (on/off, concurrency, rate cap),
 *    DATA cut at the protocol's chunk size, several chunks per message, and
 *    sent only while the link takes them (its "writable" signal);
 *  - measures the peer's RTT (request to first byte) and throughput (EWMA)
 *    for peer selection, and counts everything per peer.
 *
 * Every frame from the peer is hostile: a malformed frame, a frame before
 * HELLO, a second HELLO, DATA for a request we never made, more requests
 * than we said we serve, a frame on the wrong stream... all end the same
 * way: BYE(protocol-error) (version-mismatch for a version error), the link
 * closed, stats.protocol_errors incremented, "closed" emitted. Never a
 * crash, never unbounded memory.
 *
 * States: LINKING (the link is connecting) -> HELLO (link up, our HELLO
 * sent, waiting for theirs) -> READY -> CLOSED. "ready" is emitted on entry
 * to READY, "closed" exactly once on entry to CLOSED, whoever ended it.
 *
 * Threads: a peer lives on the GMainContext of its link (the process
 * network thread, GstP2pLoop, in production; a test's own context in
 * tests). Call every function from the thread iterating that context; every
 * signal and callback runs there. Callbacks and signal handlers may call
 * any peer function, including gst_p2p_peer_close() and dropping the last
 * reference.
 */
#ifndef __GST_P2P_PEER_H__
#define __GST_P2P_PEER_H__

#include <glib-object.h>
#include <gio/gio.h>

#include "protocol/gstp2pwire.h"
#include "scheduler/gstp2puploadgate.h"
#include "transport/gstp2plink.h"

G_BEGIN_DECLS

/* Defaults of GstP2pPeerConfig. */
#define GST_P2P_PEER_DEFAULT_HELLO_TIMEOUT_MS   5000
#define GST_P2P_PEER_DEFAULT_STALL_TIMEOUT_MS   1500
#define GST_P2P_PEER_DEFAULT_MAX_SEGMENT_SIZE   (64u * 1024 * 1024)
#define GST_P2P_PEER_DEFAULT_MAX_REQUESTS       4
#define GST_P2P_PEER_DEFAULT_LINGER_MS          300
/* What we remember of a peer's announcements. */
#define GST_P2P_PEER_MAX_HAVES                  4096
#define GST_P2P_PEER_MAX_FETCHING               64
/* Frames waiting for the link to take them before the peer is dropped. */
#define GST_P2P_PEER_MAX_BACKLOG                4096

typedef enum
{
  GST_P2P_PEER_STATE_LINKING,
  GST_P2P_PEER_STATE_HELLO,
  GST_P2P_PEER_STATE_READY,
  GST_P2P_PEER_STATE_CLOSED,
} GstP2pPeerState;

/**
 * GstP2pPeerEnd:
 * @GST_P2P_PEER_END_LOCAL: we closed it (and sent BYE with the reason)
 * @GST_P2P_PEER_END_REMOTE: the peer sent BYE
 * @GST_P2P_PEER_END_LINK: the link closed or failed without a BYE
 */
typedef enum
{
  GST_P2P_PEER_END_LOCAL,
  GST_P2P_PEER_END_REMOTE,
  GST_P2P_PEER_END_LINK,
} GstP2pPeerEnd;

GType gst_p2p_peer_end_get_type (void);
#define GST_P2P_TYPE_PEER_END (gst_p2p_peer_end_get_type ())

#define GST_P2P_PEER_ERROR (gst_p2p_peer_error_quark ())

/**
 * GstP2pPeerError:
 * @GST_P2P_PEER_ERROR_NOT_HAVE: ABSENT not-have (or an unknown reason)
 * @GST_P2P_PEER_ERROR_BUSY: ABSENT busy: the peer's upload is full or off
 * @GST_P2P_PEER_ERROR_EVICTED: ABSENT evicted
 * @GST_P2P_PEER_ERROR_BAD_RANGE: ABSENT bad-range
 * @GST_P2P_PEER_ERROR_TIMEOUT: the request's deadline passed
 * @GST_P2P_PEER_ERROR_STALLED: no byte for stall-timeout
 * @GST_P2P_PEER_ERROR_CLOSED: the peer or its link went away
 * @GST_P2P_PEER_ERROR_CANCELLED: gst_p2p_peer_cancel()
 * @GST_P2P_PEER_ERROR_NO_SLOT: the peer serves no more requests of ours now
 * @GST_P2P_PEER_ERROR_NOT_READY: no HELLO exchanged yet
 * @GST_P2P_PEER_ERROR_TOO_LARGE: the segment is above max-segment-size
 * @GST_P2P_PEER_ERROR_PROTOCOL: the peer broke the protocol (link closed)
 */
typedef enum
{
  GST_P2P_PEER_ERROR_NOT_HAVE,
  GST_P2P_PEER_ERROR_BUSY,
  GST_P2P_PEER_ERROR_EVICTED,
  GST_P2P_PEER_ERROR_BAD_RANGE,
  GST_P2P_PEER_ERROR_TIMEOUT,
  GST_P2P_PEER_ERROR_STALLED,
  GST_P2P_PEER_ERROR_CLOSED,
  GST_P2P_PEER_ERROR_CANCELLED,
  GST_P2P_PEER_ERROR_NO_SLOT,
  GST_P2P_PEER_ERROR_NOT_READY,
  GST_P2P_PEER_ERROR_TOO_LARGE,
  GST_P2P_PEER_ERROR_PROTOCOL,
} GstP2pPeerError;

GQuark gst_p2p_peer_error_quark (void);

/**
 * GstP2pPeerConfig:
 * @swarm_id: our swarm; a HELLO with another one gets BYE(wrong-swarm)
 * @local_id: our peer id, sent in HELLO
 * @remote_id: the id the signalling said this peer has
 * @check_remote_id: refuse a HELLO whose peer id is not @remote_id
 * @even_streams: our requests use even streams (we are the DTLS client,
 *   i.e. the link's initiator); otherwise odd ones
 * @n_streams: the link's streams per direction (GstP2pLinkConfig.n_streams)
 * @max_requests: the peer's requests we serve at once, sent in HELLO
 *   (0: we do not upload)
 * @capabilities: GST_P2P_WIRE_CAP_* we announce
 * @hello_timeout_ms: HELLO must arrive this long after the link is up
 * @stall_timeout_ms: a request with no byte for this long fails (STALLED)
 * @max_segment_size: larger segments are refused (CANCEL + TOO_LARGE)
 * @linger_ms: how long a closing peer lets its BYE drain before the link
 *   is closed
 * @gate: (nullable): upload gate shared by every peer of the device; %NULL
 *   serves without limits other than @max_requests
 *
 * Zero for a numeric field means its default.
 */
typedef struct
{
  guint8 swarm_id[GST_P2P_WIRE_SWARM_ID_SIZE];
  guint8 local_id[GST_P2P_WIRE_PEER_ID_SIZE];
  guint8 remote_id[GST_P2P_WIRE_PEER_ID_SIZE];
  gboolean check_remote_id;
  gboolean even_streams;
  guint n_streams;
  guint max_requests;
  guint32 capabilities;
  guint hello_timeout_ms;
  guint stall_timeout_ms;
  guint max_segment_size;
  guint linger_ms;
  GstP2pUploadGate *gate;
} GstP2pPeerConfig;

/**
 * GstP2pPeerStats:
 * @bytes_in: DATA payload bytes received
 * @bytes_out: DATA payload bytes sent
 * @requests_sent: REQUESTs we sent
 * @requests_ok: our requests that completed
 * @requests_failed: our requests that ended in any error but CANCELLED
 * @requests_cancelled: our requests we cancelled
 * @stalls: our requests failed by the stall timer
 * @timeouts: our requests failed by their deadline
 * @absent: ABSENT frames received
 * @served: peer requests answered in full
 * @refused: peer requests answered with ABSENT
 * @upload_cancels: uploads the peer cancelled
 * @protocol_errors: violations detected (0 or 1: the link ends at the first)
 * @late_frames: DATA/ABSENT for requests we had cancelled, dropped
 * @skipped_frames: frames of unknown type skipped
 * @rtt: EWMA of request-to-first-byte, microseconds (0: not measured)
 * @throughput: EWMA of completed transfers, bytes/s (0: not measured)
 */
typedef struct
{
  guint64 bytes_in;
  guint64 bytes_out;
  guint64 requests_sent;
  guint64 requests_ok;
  guint64 requests_failed;
  guint64 requests_cancelled;
  guint64 stalls;
  guint64 timeouts;
  guint64 absent;
  guint64 served;
  guint64 refused;
  guint64 upload_cancels;
  guint protocol_errors;
  guint64 late_frames;
  guint64 skipped_frames;
  gint64 rtt;
  guint64 throughput;
} GstP2pPeerStats;

#define GST_P2P_TYPE_PEER (gst_p2p_peer_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pPeer, gst_p2p_peer, GST_P2P, PEER, GObject)

/**
 * GstP2pPeerProvider:
 * @peer: the peer asking
 * @segment_id: the segment it wants
 * @data: user data
 *
 * Returns: (transfer full) (nullable): the whole, verified segment, or
 * %NULL if we do not hold it.
 */
typedef GBytes *(*GstP2pPeerProvider) (GstP2pPeer * peer, guint64 segment_id,
    gpointer data);

/**
 * GstP2pPeerProgress:
 * @received: bytes of the range received so far
 * @segment_size: the whole segment's size, from the first DATA
 */
typedef void (*GstP2pPeerProgress) (GstP2pPeer * peer, guint32 request_id,
    guint64 received, guint32 segment_size, gpointer data);

/**
 * GstP2pPeerDone:
 * @bytes: (nullable): on success the requested range; on error the part
 *   received before it (possibly %NULL)
 * @segment_size: the whole segment's size (0 if no DATA came)
 * @error: (nullable): why the request failed (GST_P2P_PEER_ERROR)
 *
 * Called exactly once per request.
 */
typedef void (*GstP2pPeerDone) (GstP2pPeer * peer, guint32 request_id,
    GBytes * bytes, guint32 segment_size, const GError * error, gpointer data);

void          gst_p2p_peer_config_init   (GstP2pPeerConfig * config);

GstP2pPeer *  gst_p2p_peer_new           (GstP2pLink * link,
                                          GMainContext * context,
                                          const GstP2pPeerConfig * config,
                                          const gchar * name);
void          gst_p2p_peer_set_provider  (GstP2pPeer * peer,
                                          GstP2pPeerProvider provider,
                                          gpointer data,
                                          GDestroyNotify notify);

guint32       gst_p2p_peer_request       (GstP2pPeer * peer,
                                          guint64 segment_id,
                                          guint32 start,
                                          guint32 end,
                                          gint64 deadline,
                                          GstP2pPeerProgress progress,
                                          GstP2pPeerDone done,
                                          gpointer data,
                                          GError ** error);
void          gst_p2p_peer_cancel        (GstP2pPeer * peer,
                                          guint32 request_id);
guint         gst_p2p_peer_get_free_slots (GstP2pPeer * peer);
guint         gst_p2p_peer_get_in_flight (GstP2pPeer * peer);

void          gst_p2p_peer_send_have     (GstP2pPeer * peer,
                                          guint64 segment_id);
void          gst_p2p_peer_send_bitfield (GstP2pPeer * peer,
                                          guint64 base,
                                          guint n_bits,
                                          const guint8 * bitmap);
void          gst_p2p_peer_send_fetching (GstP2pPeer * peer,
                                          guint64 segment_id,
                                          gboolean aborted);

gboolean      gst_p2p_peer_has           (GstP2pPeer * peer,
                                          guint64 segment_id);
gboolean      gst_p2p_peer_is_fetching   (GstP2pPeer * peer,
                                          guint64 segment_id);
guint         gst_p2p_peer_get_n_haves   (GstP2pPeer * peer);
guint         gst_p2p_peer_get_remote_max_requests (GstP2pPeer * peer);
guint32       gst_p2p_peer_get_remote_capabilities (GstP2pPeer * peer);

void          gst_p2p_peer_close         (GstP2pPeer * peer,
                                          GstP2pWireByeReason reason,
                                          const gchar * text);

GstP2pPeerState gst_p2p_peer_get_state   (GstP2pPeer * peer);
const gchar * gst_p2p_peer_get_name      (GstP2pPeer * peer);
GstP2pLink *  gst_p2p_peer_get_link      (GstP2pPeer * peer);
void          gst_p2p_peer_get_stats     (GstP2pPeer * peer,
                                          GstP2pPeerStats * stats);

G_END_DECLS

#endif /* __GST_P2P_PEER_H__ */
