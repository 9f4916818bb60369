/* GstP2pPeerSelect: which peer to download a segment from.
 *
 * Among the peers that announced HAVE for a segment, pick the one projected
 * to deliver it soonest (RTT + bytes / measured throughput, shared by our
 * requests already in flight to it), but with probability explore_prob pick
 * a random feasible one instead, unmeasured peers first, so that new or
 * recovered peers get measured. Peers that cannot finish before the time
 * left are never picked. The randomness is a GRand passed in (seeded in
 * tests and in the simulator).
 *
 * Threads: plain functions; any thread.
 */
#ifndef __GST_P2P_PEER_SELECT_H__
#define __GST_P2P_PEER_SELECT_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 throughput;           /* measured EWMA, bytes/s; 0 = unmeasured */
  gint64 rtt;                   /* microseconds; 0 = unknown */
  guint in_flight;              /* our requests to this peer now */
} GstP2pPeerCandidate;

typedef struct
{
  gdouble explore_prob;         /* 0..1 */
  guint64 prior_throughput;     /* assumed for unmeasured peers, bytes/s */
  gint64 default_rtt;           /* assumed when rtt is 0, microseconds */
} GstP2pPeerSelectParams;

gint64 gst_p2p_peer_select_eta (const GstP2pPeerCandidate * cand,
                                guint64 bytes,
                                const GstP2pPeerSelectParams * params);

gint   gst_p2p_peer_select     (const GstP2pPeerCandidate * cands,
                                guint n_cands,
                                guint64 bytes,
                                gint64 time_left,
                                const GstP2pPeerSelectParams * params,
                                GRand * rand,
                                gboolean * explored);

G_END_DECLS

#endif /* __GST_P2P_PEER_SELECT_H__ */
