/* GstP2pDtls: DTLS 1.2 (GnuTLS) over the datagrams of an ICE component.
 *
 * Each link generates an ephemeral self-signed ECDSA P-256 certificate; its
 * SHA-256 fingerprint travels through signalling and the remote one is
 * pinned: the handshake fails unless the peer's certificate hashes to it
 * (WebRTC's a=fingerprint model). Datagrams go out through a send callback
 * and come in through gst_p2p_dtls_receive(); handshake retransmissions are
 * driven by a GLib timer from gnutls_dtls_get_timeout().
 *
 * Threads: a GstP2pDtls lives on the GMainContext given at creation; every
 * function must be called from the thread iterating it, and every callback
 * is invoked there.
 */
#ifndef __GST_P2P_DTLS_H__
#define __GST_P2P_DTLS_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GstP2pDtls GstP2pDtls;

/* A SHA-256 fingerprint: 32 bytes, "AB:CD:..." in text (95 chars). */
#define GST_P2P_DTLS_FINGERPRINT_LEN 32

typedef enum
{
  GST_P2P_DTLS_STATE_NEW,
  GST_P2P_DTLS_STATE_HANDSHAKING,
  GST_P2P_DTLS_STATE_CONNECTED,
  GST_P2P_DTLS_STATE_CLOSED,
  GST_P2P_DTLS_STATE_FAILED,
} GstP2pDtlsState;

typedef struct
{
  /* One datagram to put on the wire; may drop it. */
  void (*send) (GstP2pDtls * dtls, const guint8 * buf, gsize len,
      gpointer data);
  void (*state_changed) (GstP2pDtls * dtls, GstP2pDtlsState state,
      const gchar * reason, gpointer data);
  /* Decrypted application data (one DTLS record). */
  void (*recv) (GstP2pDtls * dtls, const guint8 * buf, gsize len,
      gpointer data);
} GstP2pDtlsCallbacks;

/**
 * GstP2pDtlsStats:
 * @fingerprint_mismatches: handshakes refused because the peer's
 *   certificate did not match the pinned fingerprint
 * @dropped_datagrams: incoming datagrams dropped (queue full, too big)
 * @bad_records: records GnuTLS rejected after the handshake
 */
typedef struct
{
  guint fingerprint_mismatches;
  guint64 dropped_datagrams;
  guint64 bad_records;
} GstP2pDtlsStats;

gboolean     gst_p2p_dtls_parse_fingerprint (const gchar * text,
                                             guint8 out[GST_P2P_DTLS_FINGERPRINT_LEN]);

GstP2pDtls * gst_p2p_dtls_new               (GMainContext * context,
                                             const GstP2pDtlsCallbacks * callbacks,
                                             gpointer data,
                                             GError ** error);
void         gst_p2p_dtls_free              (GstP2pDtls * dtls);

const gchar * gst_p2p_dtls_get_local_fingerprint (GstP2pDtls * dtls);
gboolean     gst_p2p_dtls_set_remote_fingerprint (GstP2pDtls * dtls,
                                             const gchar * text,
                                             GError ** error);
gboolean     gst_p2p_dtls_has_remote_fingerprint (GstP2pDtls * dtls);

gboolean     gst_p2p_dtls_start             (GstP2pDtls * dtls,
                                             gboolean client,
                                             guint mtu,
                                             guint timeout_ms,
                                             GError ** error);
void         gst_p2p_dtls_receive           (GstP2pDtls * dtls,
                                             const guint8 * buf, gsize len);
gboolean     gst_p2p_dtls_send              (GstP2pDtls * dtls,
                                             const guint8 * buf, gsize len);
guint        gst_p2p_dtls_get_data_mtu      (GstP2pDtls * dtls);
void         gst_p2p_dtls_close             (GstP2pDtls * dtls);
GstP2pDtlsState gst_p2p_dtls_get_state      (GstP2pDtls * dtls);
void         gst_p2p_dtls_get_stats         (GstP2pDtls * dtls,
                                             GstP2pDtlsStats * stats);

G_END_DECLS

#endif /* __GST_P2P_DTLS_H__ */
