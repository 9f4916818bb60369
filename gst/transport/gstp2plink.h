/* GstP2pLink: one peer link, ICE (libnice) -> DTLS (GnuTLS) -> SCTP
 * (usrsctp), carrying reliable ordered messages on several streams.
 *
 * Signalling is a sequence of text lines in SDP attribute syntax, emitted by
 * "local-signal" and fed to gst_p2p_link_add_remote_signal() on the other
 * side, in any order after the credentials (the signalling layer carries
 * them verbatim, each at most 1024 bytes):
 *   a=ice-ufrag:<ufrag>
 *   a=ice-pwd:<pwd>
 *   a=fingerprint:sha-256 <AB:CD:...>
 *   a=candidate:<...>              (trickled, any number up to 64)
 *   a=end-of-candidates
 * The initiator (config.initiator) is ICE-controlling and, unless a DTLS role
 * is forced, the DTLS client.
 *
 * States: NEW -> CONNECTING (gst_p2p_link_start) -> CONNECTED (SCTP
 * association up) -> CLOSED (either side closed) or FAILED (with a reason:
 * ICE failed or timed out, fingerprint mismatch, peer silent, protocol
 * violation). A link never leaves CLOSED/FAILED; make a new one. A failing
 * link releases its resources on its own and never takes the process down.
 *
 * Threads: a link lives on one GMainContext: the process network thread's
 * (gst_p2p_loop_get_default()) unless another is passed to
 * gst_p2p_link_new(). Every function must be called from the thread that
 * iterates that context, and every signal is emitted there. Signal handlers
 * may call any link function, including dropping the last reference.
 */
#ifndef __GST_P2P_LINK_H__
#define __GST_P2P_LINK_H__

#include <glib-object.h>
#include <gio/gio.h>

#include "transport/gstp2pice.h"

G_BEGIN_DECLS typedef enum
{
  GST_P2P_LINK_STATE_NEW,
  GST_P2P_LINK_STATE_CONNECTING,
  GST_P2P_LINK_STATE_CONNECTED,
  GST_P2P_LINK_STATE_CLOSED,
  GST_P2P_LINK_STATE_FAILED,
} GstP2pLinkState;

GType gst_p2p_link_state_get_type (void);
#define GST_P2P_TYPE_LINK_STATE (gst_p2p_link_state_get_type ())

typedef enum
{
  GST_P2P_LINK_DTLS_ROLE_AUTO,  /* client iff ICE-controlling */
  GST_P2P_LINK_DTLS_ROLE_CLIENT,
  GST_P2P_LINK_DTLS_ROLE_SERVER,
} GstP2pLinkDtlsRole;

/**
 * GstP2pLinkConfig:
 * @ice: STUN/TURN servers, force-relay, local addresses, ICE deadline
 * @initiator: this side started the link (ICE-controlling)
 * @dtls_role: force a DTLS role instead of deriving it from ICE
 * @connect_timeout_ms: ICE + DTLS + SCTP must be up within this (0: 15 s)
 * @peer_timeout_ms: a connected peer silent this long is dead (0: 10 s);
 *   SCTP heartbeats every second keep a healthy idle link audible
 * @n_streams: streams per direction (0: 16)
 * @max_buffered: outgoing bytes held before gst_p2p_link_send() refuses,
 *   also bounds incoming reassembly (0: 16 MiB)
 * @max_message: largest message either way (0: 8 MiB)
 *
 * Initialise with gst_p2p_link_config_init(), release with
 * gst_p2p_link_config_clear().
 */
typedef struct
{
  GstP2pIceConfig ice;
  gboolean initiator;
  GstP2pLinkDtlsRole dtls_role;
  guint connect_timeout_ms;
  guint peer_timeout_ms;
  guint n_streams;
  gsize max_buffered;
  gsize max_message;
} GstP2pLinkConfig;

/**
 * GstP2pLinkStats:
 *
 * Counters of one link; candidate types are static strings.
 */
typedef struct
{
  guint bad_signals;
  guint bad_candidates;
  guint fingerprint_mismatches;
  guint protocol_errors;
  guint64 dropped_datagrams;
  guint64 bad_records;
  guint64 oversize_packets;
  guint64 ice_send_errors;
  guint64 ice_rx_dropped;
  guint64 messages_sent;
  guint64 messages_received;
  guint64 bytes_sent;
  guint64 bytes_received;
  gint udp_rcvbuf;
  gboolean udp_rcvbuf_capped;
  const gchar *selected_local;
  const gchar *selected_remote;
  gint64 connect_time_ms;
} GstP2pLinkStats;

/* Liveness decision, a plain function of a clock so it can be tested. */
typedef enum
{
  GST_P2P_LINK_VERDICT_OK,
  GST_P2P_LINK_VERDICT_CONNECT_TIMEOUT,
  GST_P2P_LINK_VERDICT_PEER_SILENT,
} GstP2pLinkVerdict;

typedef struct
{
  gint64 started_us;            /* gst_p2p_link_start(), 0 before */
  gint64 last_rx_us;            /* last datagram from the peer */
  gboolean connected;
  guint connect_timeout_ms;
  guint peer_timeout_ms;
} GstP2pLinkLiveness;

GstP2pLinkVerdict gst_p2p_link_liveness_check (const GstP2pLinkLiveness * l,
    gint64 now_us);

#define GST_P2P_TYPE_LINK (gst_p2p_link_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pLink, gst_p2p_link, GST_P2P, LINK, GObject)
     void gst_p2p_link_config_init (GstP2pLinkConfig * config);
     void gst_p2p_link_config_clear (GstP2pLinkConfig * config);

     GstP2pLink *gst_p2p_link_new (const GstP2pLinkConfig * config,
    GMainContext * context, GError ** error);
     gboolean gst_p2p_link_start (GstP2pLink * link, GError ** error);
     gboolean gst_p2p_link_add_remote_signal (GstP2pLink * link,
    const gchar * line, GError ** error);
     gboolean gst_p2p_link_send (GstP2pLink * link,
    guint stream, GBytes * message, GError ** error);
     gboolean gst_p2p_link_close_stream (GstP2pLink * link, guint stream);
     void gst_p2p_link_close (GstP2pLink * link);

     GstP2pLinkState gst_p2p_link_get_state (GstP2pLink * link,
    const gchar ** reason);
     const gchar *gst_p2p_link_get_local_fingerprint (GstP2pLink * link);
     gsize gst_p2p_link_get_buffered (GstP2pLink * link);
     gsize gst_p2p_link_get_unacked (GstP2pLink * link);
     void gst_p2p_link_get_stats (GstP2pLink * link, GstP2pLinkStats * stats);

G_END_DECLS
#endif /* __GST_P2P_LINK_H__ */
