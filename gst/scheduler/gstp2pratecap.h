/* GstP2pRateCap: a token bucket capping bytes per second, with a burst.
 *
 * The upload rate cap of issue 4: the engine takes tokens for every DATA
 * payload it sends to peers, and waits gst_p2p_rate_cap_delay() when the
 * bucket is empty. Over any interval T the bytes let through are at most
 * rate * T + burst (+ one message, see gst_p2p_rate_cap_try_take()).
 * A plain struct with the clock passed in (microseconds), so tests and the
 * simulator drive it without waiting.
 *
 * (Not called GstP2pTokenBucket: gst-p2p-tracker has a type of that name.)
 *
 * Threads: no locking; one owner at a time (the network thread).
 */
#ifndef __GST_P2P_RATE_CAP_H__
#define __GST_P2P_RATE_CAP_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 rate;                 /* bytes per second; 0 = no cap */
  guint64 burst;                /* bucket depth in bytes (>= 1) */
  gdouble tokens;               /* may dip below 0 after a large take */
  gint64 last;                  /* time of the last refill, microseconds */
  guint64 taken;                /* total bytes let through */
} GstP2pRateCap;

void     gst_p2p_rate_cap_init     (GstP2pRateCap * tb,
                                        guint64 rate,
                                        guint64 burst,
                                        gint64 now);
void     gst_p2p_rate_cap_set_rate (GstP2pRateCap * tb,
                                        guint64 rate,
                                        guint64 burst,
                                        gint64 now);
gboolean gst_p2p_rate_cap_try_take (GstP2pRateCap * tb,
                                        guint64 bytes,
                                        gint64 now);
gint64   gst_p2p_rate_cap_delay    (GstP2pRateCap * tb,
                                        guint64 bytes,
                                        gint64 now);

G_END_DECLS

#endif /* __GST_P2P_RATE_CAP_H__ */
