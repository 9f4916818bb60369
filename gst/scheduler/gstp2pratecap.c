/* GstP2pRateCap: token bucket upload rate cap. See gstp2pratecap.h.
 *
 * Threads: one owner at a time.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "scheduler/gstp2pratecap.h"

static void
refill (GstP2pRateCap * tb, gint64 now)
{
  if (now > tb->last) {
    tb->tokens += (gdouble) tb->rate * (now - tb->last) / G_USEC_PER_SEC;
    if (tb->tokens > (gdouble) tb->burst)
      tb->tokens = (gdouble) tb->burst;
  }
  /* A clock going backwards (it should not) never creates tokens. */
  tb->last = now;
}

/**
 * gst_p2p_rate_cap_init:
 * @rate: bytes per second, 0 for no cap
 * @burst: bucket depth in bytes; 0 picks a quarter second of @rate (at least
 *   16 KiB, one DATA payload)
 * @now: microseconds
 *
 * Starts full, so the first @burst bytes go at once.
 */
void
gst_p2p_rate_cap_init (GstP2pRateCap * tb, guint64 rate,
    guint64 burst, gint64 now)
{
  g_return_if_fail (tb != NULL);
  tb->taken = 0;
  tb->tokens = 0;
  tb->last = now;
  gst_p2p_rate_cap_set_rate (tb, rate, burst, now);
  tb->tokens = (gdouble) tb->burst;
}

/**
 * gst_p2p_rate_cap_set_rate:
 *
 * Changes the cap on the fly; tokens already earned are kept up to the new
 * burst.
 */
void
gst_p2p_rate_cap_set_rate (GstP2pRateCap * tb, guint64 rate,
    guint64 burst, gint64 now)
{
  g_return_if_fail (tb != NULL);
  refill (tb, now);
  tb->rate = rate;
  if (burst == 0)
    burst = MAX (rate / 4, 16384);
  tb->burst = burst;
  if (tb->tokens > (gdouble) burst)
    tb->tokens = (gdouble) burst;
}

/**
 * gst_p2p_rate_cap_try_take:
 * @bytes: the size of the message about to be sent
 *
 * Lets @bytes through if the bucket holds MIN (@bytes, burst) tokens; the
 * balance may go negative so that a message larger than the burst still
 * passes (and is paid for by the wait before the next one).
 *
 * Returns: TRUE if the message may go now (tokens taken).
 */
gboolean
gst_p2p_rate_cap_try_take (GstP2pRateCap * tb, guint64 bytes, gint64 now)
{
  g_return_val_if_fail (tb != NULL, FALSE);
  if (tb->rate == 0) {
    tb->taken += bytes;
    return TRUE;
  }
  refill (tb, now);
  if (tb->tokens < (gdouble) MIN (bytes, tb->burst))
    return FALSE;
  tb->tokens -= (gdouble) bytes;
  tb->taken += bytes;
  return TRUE;
}

/**
 * gst_p2p_rate_cap_delay:
 *
 * Returns: microseconds until gst_p2p_rate_cap_try_take() of @bytes
 * will succeed (0 = now).
 */
gint64
gst_p2p_rate_cap_delay (GstP2pRateCap * tb, guint64 bytes, gint64 now)
{
  gdouble need;

  g_return_val_if_fail (tb != NULL, 0);
  if (tb->rate == 0)
    return 0;
  refill (tb, now);
  need = (gdouble) MIN (bytes, tb->burst) - tb->tokens;
  if (need <= 0)
    return 0;
  /* round up so that waiting exactly this long is enough */
  return (gint64) (need * G_USEC_PER_SEC / tb->rate) + 1;
}
