/* Error domain, debug category and SHA-256 of the trust area. See
 * gstp2ptrusttypes.h.
 *
 * SHA-256 uses GnuTLS (nettle underneath): it picks the CPU's SHA
 * extensions when present, which GLib's portable GChecksum does not; see
 * docs/trust.md for the measured difference.
 *
 * Threads: no state besides the debug category; callable from any thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "trust/gstp2ptrusttypes.h"

G_DEFINE_QUARK (gst - p2p - trust - error - quark, gst_p2p_trust_error);

/**
 * gst_p2p_trust_error_reason:
 * @code: a #GstP2pTrustError
 *
 * Returns: a short stable string for @code, "unknown" for anything else.
 */
const gchar *
gst_p2p_trust_error_reason (gint code)
{
  static const gchar *reasons[GST_P2P_TRUST_ERROR_N] = {
    "truncated", "too-large", "bad-format", "bad-version", "bad-field",
    "unknown-key", "bad-signature", "key", "stale"
  };

  if (code < 0 || code >= GST_P2P_TRUST_ERROR_N)
    return "unknown";
  return reasons[code];
}

GstDebugCategory *
gst_p2p_trust_debug_category (void)
{
  static gsize cat = 0;

  if (g_once_init_enter (&cat)) {
    GstDebugCategory *c = NULL;

    GST_DEBUG_CATEGORY_INIT (c, "p2p-trust", 0,
        "gst-p2p signed segment hashes and their verification");
    g_once_init_leave (&cat, (gsize) c);
  }
  return (GstDebugCategory *) cat;
}

/**
 * gst_p2p_trust_sha256:
 * @data: bytes
 * @size: their number
 * @out: (out caller-allocates): the SHA-256 digest
 */
void
gst_p2p_trust_sha256 (gconstpointer data, gsize size,
    guint8 out[GST_P2P_TRUST_SHA256_LEN])
{
  /* gnutls_hash_fast only fails for unknown algorithms. */
  if (gnutls_hash_fast (GNUTLS_DIG_SHA256, size ? data : "", size, out) < 0)
    g_error ("gnutls_hash_fast (SHA-256) failed");
}

/**
 * gst_p2p_trust_sha256_buffer:
 * @buffer: a buffer, possibly of several memories
 * @out: (out caller-allocates): the SHA-256 digest of all its bytes
 *
 * Returns: FALSE if a memory could not be mapped.
 */
gboolean
gst_p2p_trust_sha256_buffer (GstBuffer * buffer,
    guint8 out[GST_P2P_TRUST_SHA256_LEN])
{
  gnutls_hash_hd_t h;
  guint i, n;
  gboolean ok = TRUE;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);

  n = gst_buffer_n_memory (buffer);
  if (n == 1) {
    GstMapInfo map;

    if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
      return FALSE;
    gst_p2p_trust_sha256 (map.data, map.size, out);
    gst_buffer_unmap (buffer, &map);
    return TRUE;
  }
  if (gnutls_hash_init (&h, GNUTLS_DIG_SHA256) < 0)
    return FALSE;
  for (i = 0; i < n && ok; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buffer, i);
    GstMapInfo map;

    if (!gst_memory_map (mem, &map, GST_MAP_READ)) {
      ok = FALSE;
      break;
    }
    if (map.size)
      ok = gnutls_hash (h, map.data, map.size) >= 0;
    gst_memory_unmap (mem, &map);
  }
  gnutls_hash_deinit (h, out);
  return ok;
}
