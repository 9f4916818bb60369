/* GstP2pTrustKey: the operator's Ed25519 signing key and the public key
 * viewers verify with (GnuTLS).
 *
 * Formats (docs/trust.md, "Keys"):
 *  - private key: a PEM file, "-----BEGIN PRIVATE KEY-----" (PKCS#8,
 *    unencrypted), written with mode 0600; the same format as
 *    `openssl genpkey -algorithm ed25519`;
 *  - public key: the raw 32-byte Ed25519 key in base64 (44 characters),
 *    given inline or in a file; a PEM "PUBLIC KEY" file
 *    (`openssl pkey -pubout`) is accepted too;
 *  - key id: the first 8 bytes of SHA-256 of the raw public key; every
 *    signed batch names its key so viewers holding several (key rotation)
 *    pick the right one and a wrong key is told apart from a forgery.
 *
 * Threads: a key is immutable once created; signing and verifying with the
 * same key from several threads at once is not promised by GnuTLS, so the
 * owners serialise (the trust db holds its lock, the publisher signs from
 * one thread).
 */
#ifndef __GST_P2P_TRUST_KEY_H__
#define __GST_P2P_TRUST_KEY_H__

#include <glib.h>

G_BEGIN_DECLS

#define GST_P2P_TRUST_PUBLIC_KEY_LEN 32
#define GST_P2P_TRUST_KEY_ID_LEN 8
#define GST_P2P_TRUST_SIGNATURE_LEN 64

typedef struct _GstP2pTrustPrivateKey GstP2pTrustPrivateKey;
typedef struct _GstP2pTrustPublicKey GstP2pTrustPublicKey;

GstP2pTrustPrivateKey * gst_p2p_trust_private_key_generate (GError ** error);
GstP2pTrustPrivateKey * gst_p2p_trust_private_key_load     (const gchar * path,
                                                            GError ** error);
gboolean                gst_p2p_trust_private_key_save     (GstP2pTrustPrivateKey * key,
                                                            const gchar * path,
                                                            GError ** error);
const GstP2pTrustPublicKey *
                        gst_p2p_trust_private_key_get_public (GstP2pTrustPrivateKey * key);
gboolean                gst_p2p_trust_private_key_sign     (GstP2pTrustPrivateKey * key,
                                                            const guint8 * data,
                                                            gsize size,
                                                            guint8 signature[GST_P2P_TRUST_SIGNATURE_LEN],
                                                            GError ** error);
void                    gst_p2p_trust_private_key_free     (GstP2pTrustPrivateKey * key);

GstP2pTrustPublicKey *  gst_p2p_trust_public_key_new_raw   (const guint8 raw[GST_P2P_TRUST_PUBLIC_KEY_LEN],
                                                            GError ** error);
GstP2pTrustPublicKey *  gst_p2p_trust_public_key_parse     (const gchar * spec,
                                                            GError ** error);
GstP2pTrustPublicKey *  gst_p2p_trust_public_key_copy      (const GstP2pTrustPublicKey * key);
const guint8 *          gst_p2p_trust_public_key_get_raw   (const GstP2pTrustPublicKey * key);
const guint8 *          gst_p2p_trust_public_key_get_id    (const GstP2pTrustPublicKey * key);
gchar *                 gst_p2p_trust_public_key_to_base64 (const GstP2pTrustPublicKey * key);
gboolean                gst_p2p_trust_public_key_verify    (const GstP2pTrustPublicKey * key,
                                                            const guint8 * data,
                                                            gsize size,
                                                            const guint8 signature[GST_P2P_TRUST_SIGNATURE_LEN]);
void                    gst_p2p_trust_public_key_free      (GstP2pTrustPublicKey * key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pTrustPrivateKey, gst_p2p_trust_private_key_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pTrustPublicKey, gst_p2p_trust_public_key_free)

G_END_DECLS

#endif /* __GST_P2P_TRUST_KEY_H__ */
