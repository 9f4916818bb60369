/* GstP2pBackoff: reconnection delays, exponential with jitter and a cap.
 *
 * A plain function over plain values with the randomness passed in, so the
 * policy is testable and every reconnecting client in the engine can share it.
 * A whole audience reconnecting to a restarted tracker must not arrive in
 * lock-step: the jitter spreads each attempt over the upper half of its
 * window ("equal jitter").
 *
 * Threads: any.
 */
#ifndef __GST_P2P_BACKOFF_H__
#define __GST_P2P_BACKOFF_H__

#include <glib.h>

G_BEGIN_DECLS

guint gst_p2p_backoff_delay_ms (guint attempt,
                                guint min_ms,
                                guint max_ms,
                                gdouble random01);

G_END_DECLS

#endif /* __GST_P2P_BACKOFF_H__ */
