/* GstP2pIce: the ICE layer of a peer link.
 *
 * One libnice agent in UNRELIABLE mode (datagrams; DTLS and SCTP above do
 * reliability), one stream with one component, trickle ICE with regular
 * nomination, ICE-TCP and UPnP off. Local credentials and candidates are
 * handed out as SDP attribute strings for the signalling layer to carry;
 * remote ones are parsed from the same form. A failure to connect is
 * reported within a deadline, never as a hang.
 *
 * Threads: a GstP2pIce lives on the GMainContext passed to
 * gst_p2p_ice_new(); every function must be called with that context owned
 * (from the thread iterating it) and every callback is invoked there.
 */
#ifndef __GST_P2P_ICE_H__
#define __GST_P2P_ICE_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GstP2pIce GstP2pIce;

/**
 * GstP2pIceConfig:
 * @stun_host: numeric IP of a STUN server, or %NULL
 * @stun_port: its port (3478 if 0)
 * @turn_host: numeric IP of a TURN server (UDP), or %NULL
 * @turn_port: its port (3478 if 0)
 * @turn_user: TURN long-term credential user name
 * @turn_pass: TURN long-term credential password
 * @force_relay: only use relayed candidates
 * @local_addresses: (nullable): numeric IPs to gather host candidates on;
 *   %NULL means every interface
 * @timeout_ms: connect deadline once started (0: 10 s)
 * @socket_buffer: SO_RCVBUF/SO_SNDBUF wanted on the UDP sockets (0: 4 MiB)
 *
 * Plain settings; see gst_p2p_ice_config_from_env().
 */
typedef struct
{
  gchar *stun_host;
  guint stun_port;
  gchar *turn_host;
  guint turn_port;
  gchar *turn_user;
  gchar *turn_pass;
  gboolean force_relay;
  gchar **local_addresses;
  guint timeout_ms;
  guint socket_buffer;
} GstP2pIceConfig;

typedef enum
{
  GST_P2P_ICE_STATE_NEW,
  GST_P2P_ICE_STATE_CHECKING,
  GST_P2P_ICE_STATE_CONNECTED,
  GST_P2P_ICE_STATE_FAILED,
} GstP2pIceState;

typedef struct
{
  /* An "a=candidate:..." string, or "a=end-of-candidates". */
  void (*local_candidate) (GstP2pIce * ice, const gchar * sdp, gpointer data);
  void (*state_changed) (GstP2pIce * ice, GstP2pIceState state,
      const gchar * reason, gpointer data);
  /* One datagram of application data (DTLS records). */
  void (*recv) (GstP2pIce * ice, const guint8 * buf, gsize len, gpointer data);
} GstP2pIceCallbacks;

/**
 * GstP2pIceStats:
 * @bad_candidates: remote candidate strings that failed to parse
 * @rcvbuf: effective SO_RCVBUF of the component sockets (bytes, as the
 *   kernel reports it), 0 until gathered
 * @sndbuf: effective SO_SNDBUF
 * @rcvbuf_capped: the kernel gave less than asked for
 * @selected_local: candidate type of the selected local candidate
 *   ("host", "srflx", "prflx", "relay") or %NULL
 * @selected_remote: same for the remote candidate
 * @send_errors: datagrams the agent refused to send
 * @rx_dropped: received datagrams dropped because the receive queue was full
 */
typedef struct
{
  guint bad_candidates;
  gint rcvbuf;
  gint sndbuf;
  gboolean rcvbuf_capped;
  const gchar *selected_local;
  const gchar *selected_remote;
  guint64 send_errors;
  guint64 rx_dropped;
} GstP2pIceStats;

gboolean    gst_p2p_ice_config_from_env   (GstP2pIceConfig * config,
                                           GError ** error);
gboolean    gst_p2p_ice_parse_stun_uri    (const gchar * spec,
                                           gchar ** host, guint * port);
gboolean    gst_p2p_ice_parse_turn_uri    (const gchar * spec,
                                           gchar ** host, guint * port,
                                           gchar ** user, gchar ** pass);
void        gst_p2p_ice_config_copy       (GstP2pIceConfig * dest,
                                           const GstP2pIceConfig * src);
void        gst_p2p_ice_config_clear      (GstP2pIceConfig * config);

GstP2pIce * gst_p2p_ice_new               (GMainContext * context,
                                           const GstP2pIceConfig * config,
                                           gboolean controlling,
                                           const GstP2pIceCallbacks * callbacks,
                                           gpointer data);
void        gst_p2p_ice_free              (GstP2pIce * ice);

void        gst_p2p_ice_get_local_credentials (GstP2pIce * ice,
                                           gchar ** ufrag, gchar ** pwd);
gboolean    gst_p2p_ice_start             (GstP2pIce * ice, GError ** error);
gboolean    gst_p2p_ice_set_remote_credentials (GstP2pIce * ice,
                                           const gchar * ufrag,
                                           const gchar * pwd,
                                           GError ** error);
gboolean    gst_p2p_ice_add_remote_candidate (GstP2pIce * ice,
                                           const gchar * sdp,
                                           GError ** error);
void        gst_p2p_ice_remote_gathering_done (GstP2pIce * ice);
gboolean    gst_p2p_ice_is_controlling    (GstP2pIce * ice);
gboolean    gst_p2p_ice_send              (GstP2pIce * ice,
                                           const guint8 * buf, gsize len);
GstP2pIceState gst_p2p_ice_get_state      (GstP2pIce * ice);
void        gst_p2p_ice_get_stats         (GstP2pIce * ice,
                                           GstP2pIceStats * stats);

G_END_DECLS

#endif /* __GST_P2P_ICE_H__ */
