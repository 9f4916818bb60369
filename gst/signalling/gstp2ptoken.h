/* GstP2pToken: the join tokens of gst-p2p-tracker, in one place for the
 * tracker (which checks them), the publisher (which mints its own) and the
 * engine (which picks the one for each swarm).
 *
 * A token lets its holder join one swarm until an expiry time, as a viewer
 * or as the operator's publisher. It is an HMAC-SHA256 (GLib's GHmac) keyed
 * with the tracker's secret, so the tracker needs no database; anyone with
 * the secret can issue tokens (`gst-p2p-tracker --make-token`).
 *
 *   v1.<role>.<expiry>.<swarm-tag>.<mac>
 *
 * role: "v" viewer, "p" publisher; expiry: Unix seconds, decimal; swarm-tag:
 * base64url of the first 8 bytes of SHA-256(swarm id), so a token for the
 * wrong swarm is told apart from a forged one; mac: base64url (no padding)
 * of HMAC-SHA256(secret, "gst-p2p-token\n" <role> "\n" <expiry> "\n" <swarm>).
 *
 * Threads: plain functions, any thread. The clock is passed in.
 */
#ifndef __GST_P2P_TOKEN_H__
#define __GST_P2P_TOKEN_H__

#include <glib.h>

G_BEGIN_DECLS typedef enum
{
  GST_P2P_TOKEN_ROLE_VIEWER,
  GST_P2P_TOKEN_ROLE_PUBLISHER,
} GstP2pTokenRole;

/* Shortest secret accepted: 128 bits. */
#define GST_P2P_TOKEN_MIN_SECRET_LEN 16

gchar *gst_p2p_token_make (GBytes * secret,
    const gchar * swarm, gint64 expiry, GstP2pTokenRole role);
const gchar *gst_p2p_token_check (GBytes * secret,
    const gchar * token,
    const gchar * swarm, gint64 now, GstP2pTokenRole * role);
gchar *gst_p2p_token_swarm_tag (const gchar * swarm);
gchar *gst_p2p_token_pick (const gchar * tokens, const gchar * swarm);
gchar *gst_p2p_token_base64url (const guint8 * data, gsize len);

G_END_DECLS
#endif /* __GST_P2P_TOKEN_H__ */
