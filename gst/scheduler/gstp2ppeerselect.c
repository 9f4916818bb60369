/* GstP2pPeerSelect: peer choice by throughput with exploration.
 * See gstp2ppeerselect.h.
 *
 * Threads: any.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "scheduler/gstp2ppeerselect.h"

/**
 * gst_p2p_peer_select_eta:
 * @bytes: bytes still to transfer
 *
 * Returns: the projected duration of the transfer, microseconds.
 */
gint64
gst_p2p_peer_select_eta (const GstP2pPeerCandidate * cand, guint64 bytes,
    const GstP2pPeerSelectParams * params)
{
  guint64 tp = cand->throughput ? cand->throughput : params->prior_throughput;
  gint64 rtt = cand->rtt > 0 ? cand->rtt : params->default_rtt;

  tp = MAX (tp, 1);
  /* our requests in flight to the same peer share its upload */
  return rtt + (gint64) ((gdouble) bytes * (cand->in_flight + 1) *
      G_USEC_PER_SEC / tp);
}

/**
 * gst_p2p_peer_select:
 * @cands: (array length=n_cands): peers that have the segment
 * @bytes: bytes to fetch
 * @time_left: microseconds until the transfer must be complete
 * @rand: the randomness for exploration and ties
 * @explored: (out) (optional): TRUE if the pick was an exploration
 *
 * Returns: the index of the chosen candidate, or -1 if none can finish in
 * @time_left.
 */
gint
gst_p2p_peer_select (const GstP2pPeerCandidate * cands, guint n_cands,
    guint64 bytes, gint64 time_left, const GstP2pPeerSelectParams * params,
    GRand * rand, gboolean * explored)
{
  guint i, n_feasible = 0, n_unmeasured = 0, n_best = 0;
  gint best = -1;
  gint64 best_eta = G_MAXINT64;

  g_return_val_if_fail (params != NULL, -1);
  g_return_val_if_fail (rand != NULL, -1);

  if (explored)
    *explored = FALSE;

  for (i = 0; i < n_cands; i++) {
    gint64 eta = gst_p2p_peer_select_eta (&cands[i], bytes, params);

    if (eta > time_left)
      continue;
    n_feasible++;
    if (cands[i].throughput == 0)
      n_unmeasured++;
    if (eta < best_eta) {
      best_eta = eta;
      best = i;
      n_best = 1;
    } else if (eta == best_eta) {
      /* reservoir sampling among equals, so ties spread the load */
      n_best++;
      if (g_rand_int_range (rand, 0, n_best) == 0)
        best = i;
    }
  }
  if (n_feasible == 0)
    return -1;

  if (n_feasible > 1 && g_rand_double (rand) < params->explore_prob) {
    /* explore: a random feasible peer, an unmeasured one if any */
    gboolean only_unmeasured = n_unmeasured > 0;
    guint pick = g_rand_int_range (rand, 0,
        only_unmeasured ? n_unmeasured : n_feasible);

    for (i = 0; i < n_cands; i++) {
      if (gst_p2p_peer_select_eta (&cands[i], bytes, params) > time_left)
        continue;
      if (only_unmeasured && cands[i].throughput != 0)
        continue;
      if (pick-- == 0) {
        if (explored)
          *explored = TRUE;
        return i;
      }
    }
  }
  return best;
}
