/* GstP2pTokenBucket: per-connection rate limiter. See gstp2ptokenbucket.h.
 *
 * Threads: the owner's.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ptokenbucket.h"

/**
 * gst_p2p_token_bucket_init:
 * @bucket: the bucket
 * @rate: tokens added per second, 0 for no limit
 * @burst: bucket size; the bucket starts full
 * @now_us: current monotonic time in microseconds
 */
void
gst_p2p_token_bucket_init (GstP2pTokenBucket * bucket, gdouble rate,
    gdouble burst, gint64 now_us)
{
  bucket->rate = MAX (rate, 0);
  bucket->burst = MAX (burst, 1);
  bucket->tokens = bucket->burst;
  bucket->last_us = now_us;
}

/**
 * gst_p2p_token_bucket_take:
 * @bucket: the bucket
 * @cost: tokens needed
 * @now_us: current monotonic time in microseconds (never decreasing)
 *
 * A cost larger than the burst is never granted.
 *
 * Returns: TRUE and removes @cost tokens if enough are available; FALSE
 * leaves the bucket unchanged.
 */
gboolean
gst_p2p_token_bucket_take (GstP2pTokenBucket * bucket, gdouble cost,
    gint64 now_us)
{
  if (bucket->rate <= 0)
    return TRUE;

  if (now_us > bucket->last_us) {
    gdouble refill = (now_us - bucket->last_us) * (gdouble) bucket->rate / 1e6;

    bucket->tokens = MIN (bucket->burst, bucket->tokens + refill);
    bucket->last_us = now_us;
  }
  if (bucket->tokens < cost)
    return FALSE;
  bucket->tokens -= cost;
  return TRUE;
}
