/* Types shared by the trust area (docs/trust.md): the error domain, the
 * debug category "p2p-trust", and SHA-256 of segment bytes.
 *
 * Peers are untrusted and DRM encryption gives no integrity, so every
 * peer-delivered segment is checked against a SHA-256 of its exact
 * (encrypted) bytes that the operator signed. Everything that can go wrong
 * on the way (a hostile tracker relay, a wrong key, a lying peer) ends in
 * one GST_P2P_TRUST_ERROR code, each with a stable reason string used as a
 * statistics label.
 *
 * Threads: plain functions without shared state; callable from any thread.
 */
#ifndef __GST_P2P_TRUST_TYPES_H__
#define __GST_P2P_TRUST_TYPES_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_P2P_TRUST_ERROR (gst_p2p_trust_error_quark ())

/**
 * GstP2pTrustError:
 * @GST_P2P_TRUST_ERROR_TRUNCATED: the input ends before its declared length
 * @GST_P2P_TRUST_ERROR_TOO_LARGE: the input, a count or a field exceeds its
 *   limit, or bytes follow the end of the record
 * @GST_P2P_TRUST_ERROR_BAD_FORMAT: not a hash batch: bad magic, bad
 *   base64 or JSON wrapper, reserved bits set
 * @GST_P2P_TRUST_ERROR_BAD_VERSION: a version this code does not know
 * @GST_P2P_TRUST_ERROR_BAD_FIELD: a field out of range (kind, size 0,
 *   path not UTF-8 or with control characters, duplicate segment)
 * @GST_P2P_TRUST_ERROR_UNKNOWN_KEY: signed by a key that is not configured
 * @GST_P2P_TRUST_ERROR_BAD_SIGNATURE: the signature does not verify
 * @GST_P2P_TRUST_ERROR_KEY: a key could not be generated, loaded or saved
 * @GST_P2P_TRUST_ERROR_STALE: valid, but older than what is held (replay or
 *   outside the window)
 */
typedef enum
{
  GST_P2P_TRUST_ERROR_TRUNCATED,
  GST_P2P_TRUST_ERROR_TOO_LARGE,
  GST_P2P_TRUST_ERROR_BAD_FORMAT,
  GST_P2P_TRUST_ERROR_BAD_VERSION,
  GST_P2P_TRUST_ERROR_BAD_FIELD,
  GST_P2P_TRUST_ERROR_UNKNOWN_KEY,
  GST_P2P_TRUST_ERROR_BAD_SIGNATURE,
  GST_P2P_TRUST_ERROR_KEY,
  GST_P2P_TRUST_ERROR_STALE,
} GstP2pTrustError;

#define GST_P2P_TRUST_ERROR_N (GST_P2P_TRUST_ERROR_STALE + 1)

/* Bytes of a SHA-256 digest. */
#define GST_P2P_TRUST_SHA256_LEN 32

GQuark        gst_p2p_trust_error_quark  (void);
const gchar * gst_p2p_trust_error_reason (gint code);

void          gst_p2p_trust_sha256       (gconstpointer data,
                                          gsize size,
                                          guint8 out[GST_P2P_TRUST_SHA256_LEN]);
gboolean      gst_p2p_trust_sha256_buffer (GstBuffer * buffer,
                                           guint8 out[GST_P2P_TRUST_SHA256_LEN]);

GstDebugCategory * gst_p2p_trust_debug_category (void);

G_END_DECLS

#endif /* __GST_P2P_TRUST_TYPES_H__ */
