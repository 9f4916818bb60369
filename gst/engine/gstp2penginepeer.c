/* Private helpers of the engine's peer side. See gstp2penginepeer.h.
 *
 * Threads: any; no shared state (the GRand is the caller's).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "engine/gstp2penginepeer.h"
#include "signalling/gstp2ptoken.h"

/**
 * gst_p2p_engine_make_peer_id:
 *
 * Returns: a random tracker peer id: 22 characters of base64url from 128
 * random bits, as the tracker makes them.
 */
gchar *
gst_p2p_engine_make_peer_id (void)
{
  guint8 raw[16];
  guint i;

  for (i = 0; i < sizeof (raw); i += 4) {
    guint32 r = g_random_int ();
    memcpy (raw + i, &r, 4);
  }
  return gst_p2p_token_base64url (raw, sizeof (raw));
}

/**
 * gst_p2p_engine_fault_corrupt_probability:
 *
 * Returns: GST_P2P_FAULT_CORRUPT_UPLOADS clamped to 0..1; 0 when unset or
 * not a number.
 */
gdouble
gst_p2p_engine_fault_corrupt_probability (void)
{
  const gchar *v = g_getenv (GST_P2P_ENGINE_ENV_FAULT_CORRUPT_UPLOADS);
  gchar *end = NULL;
  gdouble p;

  if (!v || !*v)
    return 0.0;
  p = g_ascii_strtod (v, &end);
  if (end == v || *end != '\0' || p != p)
    return 0.0;
  return CLAMP (p, 0.0, 1.0);
}

/**
 * gst_p2p_engine_corrupt_copy:
 *
 * Returns: (transfer full): a copy of @bytes, same size, with up to 16
 * bytes inverted at random, distinct places (at least one).
 */
GBytes *
gst_p2p_engine_corrupt_copy (GBytes * bytes, GRand * rand)
{
  gsize size, i, n;
  guint8 *copy = g_bytes_unref_to_data (g_bytes_ref (bytes), &size);

  if (size == 0)
    return g_bytes_new_take (copy, 0);
  /* one flip per stride: distinct places, so no two flips cancel */
  n = MIN (16, size);
  for (i = 0; i < n; i++) {
    gsize stride = size / n;
    copy[i * stride + g_rand_int_range (rand, 0, (gint32) MIN (stride,
                G_MAXINT32))] ^= 0xff;
  }
  return g_bytes_new_take (copy, size);
}

/**
 * gst_p2p_engine_ice_addresses_from_env:
 *
 * Returns: (transfer full) (nullable): GST_P2P_ICE_ADDRESSES split at
 * commas, or NULL when unset.
 */
gchar **
gst_p2p_engine_ice_addresses_from_env (void)
{
  const gchar *v = g_getenv (GST_P2P_ENGINE_ENV_ICE_ADDRESSES);
  gchar **parts, **out;
  guint i, n = 0;

  if (!v || !*v)
    return NULL;
  parts = g_strsplit (v, ",", 16);
  out = g_new0 (gchar *, g_strv_length (parts) + 1);
  for (i = 0; parts[i]; i++) {
    gchar *a = g_strstrip (parts[i]);
    if (*a)
      out[n++] = g_strdup (a);
  }
  g_strfreev (parts);
  if (n == 0) {
    g_free (out);
    return NULL;
  }
  return out;
}
