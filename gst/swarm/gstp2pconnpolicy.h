/* GstP2pConnPolicy: whom a swarm connects to, and when it gives up on whom.
 *
 * The decisions of the swarm's connection manager as plain functions over
 * plain structs, with the clock (monotonic microseconds) and randomness
 * passed in, so they are tested without a network:
 *  - who initiates a link: the peer with the lower tracker id (the other
 *    side asks it to, by a "knock" through the tracker), so two viewers
 *    never build two links to each other;
 *  - whether to start or accept one more link: limits on links at once
 *    (connecting + connected) and on handshakes in progress;
 *  - retry with capped exponential backoff and jitter after a failure, and
 *    forgetting a peer after too many failures in a row;
 *  - bans with an expiry, doubling for repeat offenders, for peers that
 *    broke the protocol.
 *
 * Threads: no state of its own; any thread.
 */
#ifndef __GST_P2P_CONN_POLICY_H__
#define __GST_P2P_CONN_POLICY_H__

#include <glib.h>

G_BEGIN_DECLS

#define GST_P2P_CONN_DEFAULT_MAX_PEERS     8
#define GST_P2P_CONN_DEFAULT_MAX_PENDING   4
#define GST_P2P_CONN_DEFAULT_RETRY_MIN_MS  1000
#define GST_P2P_CONN_DEFAULT_RETRY_MAX_MS  60000
#define GST_P2P_CONN_DEFAULT_MAX_FAILURES  5
#define GST_P2P_CONN_DEFAULT_BAN_MS        (10 * 60 * 1000)
#define GST_P2P_CONN_MAX_BAN_MS            (24 * 3600 * 1000)

/**
 * GstP2pConnLimits:
 * @max_peers: links at once, connecting or connected
 * @max_pending: links at once still in their handshake (ICE, DTLS, SCTP,
 *   HELLO)
 * @retry_min_ms: first backoff window after a failure
 * @retry_max_ms: largest backoff window
 * @max_failures: consecutive failures after which the peer is forgotten
 *   until the tracker lists it again
 * @ban_ms: first ban; each further ban of the same peer doubles it
 */
typedef struct
{
  guint max_peers;
  guint max_pending;
  guint retry_min_ms;
  guint retry_max_ms;
  guint max_failures;
  guint ban_ms;
} GstP2pConnLimits;

typedef enum
{
  GST_P2P_CONN_IDLE,            /* known, no link */
  GST_P2P_CONN_PENDING,         /* link in its handshake */
  GST_P2P_CONN_CONNECTED,       /* HELLO exchanged */
} GstP2pConnState;

/**
 * GstP2pConnEntry:
 *
 * What the swarm knows about one remote peer, whatever its link state.
 */
typedef struct
{
  GstP2pConnState state;
  guint failures;               /* consecutive */
  gint64 next_attempt;          /* no attempt (or knock) before */
  guint bans;
  gint64 banned_until;
  gint64 last_seen;             /* in a peer list or a signal */
} GstP2pConnEntry;

typedef enum
{
  GST_P2P_CONN_OK,
  GST_P2P_CONN_FULL,            /* max_peers reached */
  GST_P2P_CONN_PENDING_FULL,    /* max_pending reached */
  GST_P2P_CONN_BANNED,
  GST_P2P_CONN_BACKOFF,         /* too soon after a failure */
  GST_P2P_CONN_GAVE_UP,         /* max_failures reached */
  GST_P2P_CONN_BUSY,            /* already linked or linking */
} GstP2pConnVerdict;

void              gst_p2p_conn_limits_init (GstP2pConnLimits * limits);

gboolean          gst_p2p_conn_we_initiate (const gchar * local_id,
                                            const gchar * remote_id);

GstP2pConnVerdict gst_p2p_conn_may_connect (const GstP2pConnLimits * limits,
                                            const GstP2pConnEntry * entry,
                                            guint n_links,
                                            guint n_pending,
                                            gint64 now);
GstP2pConnVerdict gst_p2p_conn_may_accept  (const GstP2pConnLimits * limits,
                                            const GstP2pConnEntry * entry,
                                            guint n_links,
                                            guint n_pending,
                                            gint64 now);

void              gst_p2p_conn_failed      (const GstP2pConnLimits * limits,
                                            GstP2pConnEntry * entry,
                                            gint64 now,
                                            gdouble random01);
void              gst_p2p_conn_connected   (GstP2pConnEntry * entry);
void              gst_p2p_conn_closed      (const GstP2pConnLimits * limits,
                                            GstP2pConnEntry * entry,
                                            gint64 now);
void              gst_p2p_conn_ban         (const GstP2pConnLimits * limits,
                                            GstP2pConnEntry * entry,
                                            gint64 now);
void              gst_p2p_conn_ban_for     (const GstP2pConnLimits * limits,
                                            GstP2pConnEntry * entry,
                                            gint64 now,
                                            gint64 duration_us);
gboolean          gst_p2p_conn_is_banned   (const GstP2pConnEntry * entry,
                                            gint64 now);
void              gst_p2p_conn_seen        (const GstP2pConnLimits * limits,
                                            GstP2pConnEntry * entry,
                                            gint64 now);

const gchar *     gst_p2p_conn_verdict_get_name (GstP2pConnVerdict verdict);

G_END_DECLS

#endif /* __GST_P2P_CONN_POLICY_H__ */
