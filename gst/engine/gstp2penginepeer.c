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

/* the tracker's token format (docs/signalling.md, "Tokens") */
#define TOKEN_TAG_LEN 8
#define MAX_TOKENS 64

static gchar *
base64url (const guint8 * data, gsize len)
{
  gchar *s = g_base64_encode (data, len);
  gchar *p;

  for (p = s; *p; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
    else if (*p == '=') {
      *p = '\0';
      break;
    }
  }
  return s;
}

/**
 * gst_p2p_engine_token_tag:
 * @swarm_name: a tracker swarm name
 *
 * Returns: the swarm tag a token for @swarm_name carries (base64url of the
 * first 8 bytes of its SHA-256).
 */
gchar *
gst_p2p_engine_token_tag (const gchar * swarm_name)
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof (digest);

  g_checksum_update (sum, (const guchar *) swarm_name, strlen (swarm_name));
  g_checksum_get_digest (sum, digest, &len);
  g_checksum_free (sum);
  return base64url (digest, TOKEN_TAG_LEN);
}

/**
 * gst_p2p_engine_pick_token:
 * @tokens: (nullable): one token, or several separated by commas or white
 *   space
 * @swarm_name: the tracker swarm to join
 *
 * Returns: (nullable): the token whose swarm tag (4th dot-separated field)
 * is @swarm_name's; else the first one (an open tracker ignores it, a
 * closed one says token-wrong-swarm, which is the diagnostic we want).
 */
gchar *
gst_p2p_engine_pick_token (const gchar * tokens, const gchar * swarm_name)
{
  gchar **list, *tag, *found = NULL, *first = NULL;
  guint i, n = 0;

  if (!tokens || !*tokens)
    return NULL;
  list = g_strsplit_set (tokens, ", \t\n", -1);
  tag = gst_p2p_engine_token_tag (swarm_name);
  for (i = 0; list[i] && n < MAX_TOKENS; i++) {
    gchar **parts;

    if (!*list[i])
      continue;
    n++;
    if (!first)
      first = list[i];
    parts = g_strsplit (list[i], ".", 6);
    if (g_strv_length (parts) == 5 && strcmp (parts[3], tag) == 0)
      found = list[i];
    g_strfreev (parts);
    if (found)
      break;
  }
  found = g_strdup (found ? found : first);
  g_free (tag);
  g_strfreev (list);
  return found;
}

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
  return base64url (raw, sizeof (raw));
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
