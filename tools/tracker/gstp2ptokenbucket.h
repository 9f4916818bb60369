/* GstP2pTokenBucket: the tracker's per-connection rate limiter.
 *
 * A classic token bucket over a plain struct, the clock passed in by the
 * caller: @rate tokens per second refill up to @burst. Each connection has
 * one for messages and one for bytes.
 *
 * Threads: no locking; each bucket belongs to one connection on the
 * tracker's main context.
 */
#ifndef __GST_P2P_TOKEN_BUCKET_H__
#define __GST_P2P_TOKEN_BUCKET_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gfloat tokens;
  gfloat rate;                  /* per second; 0 = unlimited */
  gfloat burst;
  gint64 last_us;
} GstP2pTokenBucket;

void     gst_p2p_token_bucket_init (GstP2pTokenBucket * bucket,
                                    gdouble rate,
                                    gdouble burst,
                                    gint64 now_us);
gboolean gst_p2p_token_bucket_take (GstP2pTokenBucket * bucket,
                                    gdouble cost,
                                    gint64 now_us);

G_END_DECLS

#endif /* __GST_P2P_TOKEN_BUCKET_H__ */
