/* GstP2pBackoff: reconnection delays. See gstp2pbackoff.h.
 *
 * Threads: any.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "signalling/gstp2pbackoff.h"

/**
 * gst_p2p_backoff_delay_ms:
 * @attempt: failed attempts so far (0 for the first retry)
 * @min_ms: window of the first retry
 * @max_ms: cap of the window
 * @random01: a uniform random number in [0, 1]
 *
 * The window doubles per attempt from @min_ms up to @max_ms; the delay is
 * drawn from its upper half.
 *
 * Returns: the delay in milliseconds, in [window / 2, window].
 */
guint
gst_p2p_backoff_delay_ms (guint attempt, guint min_ms, guint max_ms,
    gdouble random01)
{
  guint64 window = MAX (min_ms, 1);

  if (max_ms < window)
    max_ms = window;
  /* Shifting by >= 32 would overflow long before the cap matters. */
  while (attempt-- > 0 && window < max_ms)
    window *= 2;
  if (window > max_ms)
    window = max_ms;
  random01 = CLAMP (random01, 0.0, 1.0);
  return (guint) (window / 2 + (window - window / 2) * random01);
}
