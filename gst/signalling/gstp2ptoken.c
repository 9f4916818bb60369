/* GstP2pToken: the join token format of gst-p2p-tracker. See gstp2ptoken.h.
 *
 * Threads: any; no shared state.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "signalling/gstp2ptoken.h"

#define MAC_LEN 32
#define TAG_LEN 8
/* Longest decimal expiry accepted: year 2286 is 10 digits. */
#define MAX_EXPIRY_DIGITS 12
/* tokens looked at in a list given to gst_p2p_token_pick() */
#define MAX_PICK_TOKENS 64

/**
 * gst_p2p_token_base64url:
 *
 * Returns: (transfer full): @data in base64url without padding, the
 * encoding of tokens and of tracker peer ids.
 */
gchar *
gst_p2p_token_base64url (const guint8 * data, gsize len)
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
 * gst_p2p_token_swarm_tag:
 * @swarm: a tracker swarm name
 *
 * Returns: (transfer full): the swarm tag a token for @swarm carries
 * (base64url of the first 8 bytes of its SHA-256).
 */
gchar *
gst_p2p_token_swarm_tag (const gchar * swarm)
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof (digest);
  gchar *tag;

  g_checksum_update (sum, (const guchar *) swarm, strlen (swarm));
  g_checksum_get_digest (sum, digest, &len);
  g_checksum_free (sum);
  tag = gst_p2p_token_base64url (digest, TAG_LEN);
  return tag;
}

static gchar *
compute_mac (GBytes * secret, const gchar * role, const gchar * expiry,
    const gchar * swarm)
{
  gsize klen;
  const guint8 *key = g_bytes_get_data (secret, &klen);
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, key, klen);
  guint8 digest[MAC_LEN];
  gsize len = sizeof (digest);
  gchar *mac;

  g_hmac_update (hmac, (const guchar *) "gst-p2p-token\n", -1);
  g_hmac_update (hmac, (const guchar *) role, -1);
  g_hmac_update (hmac, (const guchar *) "\n", 1);
  g_hmac_update (hmac, (const guchar *) expiry, -1);
  g_hmac_update (hmac, (const guchar *) "\n", 1);
  g_hmac_update (hmac, (const guchar *) swarm, -1);
  g_hmac_get_digest (hmac, digest, &len);
  g_hmac_unref (hmac);
  mac = gst_p2p_token_base64url (digest, MAC_LEN);
  return mac;
}

/* Compares without an early exit, so timing does not reveal how much of a
 * guessed MAC was right. */
static gboolean
equal_const_time (const gchar * a, const gchar * b)
{
  gsize la = strlen (a), lb = strlen (b), i;
  guint8 diff = la != lb;

  for (i = 0; i < la && i < lb; i++)
    diff |= (guint8) a[i] ^ (guint8) b[i];
  return diff == 0;
}

/**
 * gst_p2p_token_make:
 * @secret: the tracker's secret
 * @swarm: swarm id the token is for
 * @expiry: Unix time (seconds) after which the token is refused
 * @role: viewer or publisher
 *
 * Returns: (transfer full): the token.
 */
gchar *
gst_p2p_token_make (GBytes * secret, const gchar * swarm,
    gint64 expiry, GstP2pTokenRole role)
{
  const gchar *r = role == GST_P2P_TOKEN_ROLE_PUBLISHER ? "p" : "v";
  gchar *exp = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (expiry, 0));
  gchar *tag = gst_p2p_token_swarm_tag (swarm);
  gchar *mac = compute_mac (secret, r, exp, swarm);
  gchar *token = g_strdup_printf ("v1.%s.%s.%s.%s", r, exp, tag, mac);

  g_free (exp);
  g_free (tag);
  g_free (mac);
  return token;
}

/**
 * gst_p2p_token_check:
 * @secret: the tracker's secret
 * @token: (nullable): the token presented
 * @swarm: the swarm the client asks to join
 * @now: current Unix time in seconds
 * @role: (out): the role the token grants, when valid
 *
 * Checks in this order: present, well-formed, for this swarm, authentic,
 * not expired.
 *
 * Returns: (nullable): NULL if valid, else the reject reason:
 * "token-missing", "token-malformed", "token-wrong-swarm", "token-forged" or
 * "token-expired".
 */
const gchar *
gst_p2p_token_check (GBytes * secret, const gchar * token,
    const gchar * swarm, gint64 now, GstP2pTokenRole * role)
{
  gchar **parts;
  const gchar *reason = NULL;
  gchar *tag = NULL, *mac = NULL;
  gint64 expiry;
  gsize i;

  if (!token || !*token)
    return "token-missing";

  parts = g_strsplit (token, ".", 6);
  if (g_strv_length (parts) != 5 || strcmp (parts[0], "v1") != 0
      || (strcmp (parts[1], "v") != 0 && strcmp (parts[1], "p") != 0)
      || !*parts[2] || strlen (parts[2]) > MAX_EXPIRY_DIGITS) {
    reason = "token-malformed";
    goto done;
  }
  for (i = 0; parts[2][i]; i++) {
    if (!g_ascii_isdigit (parts[2][i])) {
      reason = "token-malformed";
      goto done;
    }
  }
  expiry = g_ascii_strtoll (parts[2], NULL, 10);

  tag = gst_p2p_token_swarm_tag (swarm);
  if (strcmp (tag, parts[3]) != 0) {
    reason = "token-wrong-swarm";
    goto done;
  }
  mac = compute_mac (secret, parts[1], parts[2], swarm);
  if (!equal_const_time (mac, parts[4])) {
    reason = "token-forged";
    goto done;
  }
  if (expiry < now) {
    reason = "token-expired";
    goto done;
  }
  *role = parts[1][0] == 'p' ? GST_P2P_TOKEN_ROLE_PUBLISHER :
      GST_P2P_TOKEN_ROLE_VIEWER;

done:
  g_strfreev (parts);
  g_free (tag);
  g_free (mac);
  return reason;
}

/**
 * gst_p2p_token_pick:
 * @tokens: (nullable): one token, or several separated by commas or white
 *   space
 * @swarm_name: the tracker swarm to join
 *
 * Returns: (nullable): the token whose swarm tag (4th dot-separated field)
 * is @swarm_name's; else the first one (an open tracker ignores it, a
 * closed one says token-wrong-swarm, which is the diagnostic we want).
 */
gchar *
gst_p2p_token_pick (const gchar * tokens, const gchar * swarm_name)
{
  gchar **list, *tag, *found = NULL, *first = NULL;
  guint i, n = 0;

  if (!tokens || !*tokens)
    return NULL;
  list = g_strsplit_set (tokens, ", \t\n", -1);
  tag = gst_p2p_token_swarm_tag (swarm_name);
  for (i = 0; list[i] && n < MAX_PICK_TOKENS; i++) {
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
