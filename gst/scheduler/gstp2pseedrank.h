/* GstP2pSeedRank: who fetches a brand-new live segment from the CDN.
 *
 * Live seeding without coordination: every viewer ranks itself among the
 * peers it knows by a hash of (peer id, segment id) that every viewer
 * computes the same way, so for each segment one viewer is first and the
 * role rotates from segment to segment. Rank r starts its CDN fetch r steps
 * (plus a little jitter) after it learned of the segment, unless somebody
 * announced FETCHING or HAVE first; so a missing or slow first seeder costs
 * one step, and ranks >= max_rank never seed (they wait for the others, up
 * to their own deadline).
 *
 * The hash is part of the swarm's behaviour, not of one build: peers
 * running different hash functions still work, they only seed twice more
 * often. It is FNV-1a 64 over the 16-byte peer id followed by the segment id
 * in big endian, then the SplitMix64 finaliser.
 *
 * Threads: plain functions; any thread.
 */
#ifndef __GST_P2P_SEED_RANK_H__
#define __GST_P2P_SEED_RANK_H__

#include <glib.h>

G_BEGIN_DECLS

#define GST_P2P_SEED_RANK_PEER_ID_SIZE 16

guint64 gst_p2p_seed_rank_hash (const guint8 * peer_id,
                                guint64 segment_id);

guint   gst_p2p_seed_rank      (const guint8 * self_id,
                                const guint8 * const * peer_ids,
                                guint n_peers,
                                guint64 segment_id);

gint64  gst_p2p_seed_rank_delay (guint rank,
                                 gint64 step,
                                 gint64 jitter,
                                 GRand * rand);

G_END_DECLS

#endif /* __GST_P2P_SEED_RANK_H__ */
