/* GstP2pSeedRank: seeder ranking by a shared hash. See gstp2pseedrank.h.
 *
 * Threads: any.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "scheduler/gstp2pseedrank.h"

/**
 * gst_p2p_seed_rank_hash:
 * @peer_id: GST_P2P_SEED_RANK_PEER_ID_SIZE bytes
 *
 * Returns: the peer's ranking key for @segment_id (lower seeds first).
 */
guint64
gst_p2p_seed_rank_hash (const guint8 * peer_id, guint64 segment_id)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  guint i;

  for (i = 0; i < GST_P2P_SEED_RANK_PEER_ID_SIZE; i++)
    h = (h ^ peer_id[i]) * G_GUINT64_CONSTANT (0x100000001b3);
  for (i = 0; i < 8; i++)
    h = (h ^ ((segment_id >> (56 - 8 * i)) & 0xff)) *
        G_GUINT64_CONSTANT (0x100000001b3);
  /* FNV alone mixes the last bytes poorly: finish with SplitMix64 */
  h ^= h >> 30;
  h *= G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  h ^= h >> 27;
  h *= G_GUINT64_CONSTANT (0x94d049bb133111eb);
  h ^= h >> 31;
  return h;
}

/* strict order on (hash, id) so that equal hashes still rank uniquely */
static gboolean
before (guint64 ha, const guint8 * a, guint64 hb, const guint8 * b)
{
  if (ha != hb)
    return ha < hb;
  return memcmp (a, b, GST_P2P_SEED_RANK_PEER_ID_SIZE) < 0;
}

/**
 * gst_p2p_seed_rank:
 * @self_id: our peer id
 * @peer_ids: (array length=n_peers): the peers eligible to seed, without us
 *
 * Returns: how many of @peer_ids rank before us for @segment_id (0 = we are
 * first).
 */
guint
gst_p2p_seed_rank (const guint8 * self_id, const guint8 * const *peer_ids,
    guint n_peers, guint64 segment_id)
{
  guint64 mine = gst_p2p_seed_rank_hash (self_id, segment_id);
  guint i, rank = 0;

  for (i = 0; i < n_peers; i++) {
    if (memcmp (peer_ids[i], self_id, GST_P2P_SEED_RANK_PEER_ID_SIZE) == 0)
      continue;
    if (before (gst_p2p_seed_rank_hash (peer_ids[i], segment_id), peer_ids[i],
            mine, self_id))
      rank++;
  }
  return rank;
}

/**
 * gst_p2p_seed_rank_delay:
 * @step: microseconds per rank: longer than an announcement takes to reach
 *   the others, so rank r+1 hears rank r's FETCHING before its own turn
 * @jitter: a random extra in [0, @jitter) so that viewers who disagree on
 *   the ranking (different peer sets) rarely collide
 *
 * Returns: microseconds after learning of a segment before rank @rank fetches
 * it from the CDN.
 */
gint64
gst_p2p_seed_rank_delay (guint rank, gint64 step, gint64 jitter, GRand * rand)
{
  gint64 d = (gint64) rank * step;

  if (jitter > 0 && rand)
    d += (gint64) (g_rand_double (rand) * jitter);
  return d;
}
