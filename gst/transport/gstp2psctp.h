/* GstP2pSctp: reliable, ordered, multi-stream messages (usrsctp) over the
 * application data of a DTLS session.
 *
 * usrsctp is a process-wide stack: it is initialised once (refcounted) with
 * AF_CONN sockets and no threads of its own besides a timer thread we run.
 * Each GstP2pSctp is one AF_CONN socket holding one association; the SCTP
 * packets it emits are handed to a send callback (DTLS) and packets from the
 * peer are fed with gst_p2p_sctp_receive().
 *
 * Messages of any size up to a bound are cut into SCTP messages of at most
 * 64 KiB (PPID marks the last part) so a big message never needs the whole
 * send buffer and streams interleave; the receiver reassembles per stream.
 * Outgoing bytes not yet accepted by SCTP are bounded per association:
 * gst_p2p_sctp_send() refuses with G_IO_ERROR_WOULD_BLOCK above the bound
 * and the writable callback fires when the backlog halves.
 *
 * For measurements (tests/bench/link), two environment variables override
 * the tuning without a rebuild: GST_P2P_SCTP_SYSCTL="name=value,..." sets
 * usrsctp sysctls once when the stack starts (rto_min, sack_freq, cc,
 * max_burst, ...: see sysctls[] in gstp2psctp.c) and GST_P2P_SCTP_BUFFER
 * sets the socket send/receive buffers in bytes. GST_DEBUG=p2p-sctp:5 logs
 * cwnd, RTT and RTO once a second.
 *
 * Threads: a GstP2pSctp lives on the GMainContext given at creation; every
 * function must be called from the thread iterating it, and every callback
 * is invoked there. usrsctp's timer thread only queues packets and wakes
 * that context.
 */
#ifndef __GST_P2P_SCTP_H__
#define __GST_P2P_SCTP_H__

#include <glib.h>

G_BEGIN_DECLS typedef struct _GstP2pSctp GstP2pSctp;

typedef enum
{
  GST_P2P_SCTP_STATE_NEW,
  GST_P2P_SCTP_STATE_CONNECTING,
  GST_P2P_SCTP_STATE_CONNECTED,
  GST_P2P_SCTP_STATE_CLOSED,
  GST_P2P_SCTP_STATE_FAILED,
} GstP2pSctpState;

/**
 * GstP2pSctpConfig:
 * @mtu: largest SCTP packet (fits one DTLS record); 0: 1150
 * @n_streams: streams per direction; 0: 16
 * @max_buffered: outgoing bytes we hold before refusing; 0: 8 MiB
 * @max_message: largest message either way; 0: 8 MiB
 * @heartbeat_ms: SCTP heartbeat interval (keeps an idle path visibly
 *   alive); 0: 1000
 */
typedef struct
{
  guint mtu;
  guint n_streams;
  gsize max_buffered;
  gsize max_message;
  guint heartbeat_ms;
} GstP2pSctpConfig;

typedef struct
{
  void (*send) (GstP2pSctp * sctp, const guint8 * buf, gsize len,
      gpointer data);
  void (*state_changed) (GstP2pSctp * sctp, GstP2pSctpState state,
      const gchar * reason, gpointer data);
  void (*message) (GstP2pSctp * sctp, guint stream, GBytes * message,
      gpointer data);
  void (*stream_closed) (GstP2pSctp * sctp, guint stream, gpointer data);
  void (*writable) (GstP2pSctp * sctp, gpointer data);
} GstP2pSctpCallbacks;

/**
 * GstP2pSctpStats:
 * @messages_sent: whole messages handed to SCTP
 * @messages_received: whole messages delivered
 * @bytes_sent: payload bytes handed to SCTP
 * @bytes_received: payload bytes delivered
 * @protocol_errors: peer violations (bad PPID, oversize message, ...)
 */
typedef struct
{
  guint64 messages_sent;
  guint64 messages_received;
  guint64 bytes_sent;
  guint64 bytes_received;
  guint protocol_errors;
} GstP2pSctpStats;

GstP2pSctp *gst_p2p_sctp_new (GMainContext * context,
    const GstP2pSctpConfig * config,
    const GstP2pSctpCallbacks * callbacks, gpointer data, GError ** error);
void gst_p2p_sctp_free (GstP2pSctp * sctp);

gboolean gst_p2p_sctp_connect (GstP2pSctp * sctp, GError ** error);
void gst_p2p_sctp_receive (GstP2pSctp * sctp, const guint8 * buf, gsize len);
gboolean gst_p2p_sctp_open_stream (GstP2pSctp * sctp, guint stream,
    GError ** error);
gboolean gst_p2p_sctp_send (GstP2pSctp * sctp, guint stream,
    GBytes * message, GError ** error);
gboolean gst_p2p_sctp_close_stream (GstP2pSctp * sctp, guint stream);
gsize gst_p2p_sctp_get_buffered (GstP2pSctp * sctp);
gsize gst_p2p_sctp_get_unacked (GstP2pSctp * sctp);
void gst_p2p_sctp_abort (GstP2pSctp * sctp);
GstP2pSctpState gst_p2p_sctp_get_state (GstP2pSctp * sctp);
void gst_p2p_sctp_get_stats (GstP2pSctp * sctp, GstP2pSctpStats * stats);

G_END_DECLS
#endif /* __GST_P2P_SCTP_H__ */
