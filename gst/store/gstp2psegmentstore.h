/* GstP2pSegmentStore: the in-memory store of complete, verified segments.
 *
 * What we keep to serve the player again (the demuxer re-asks after an error)
 * and to upload to peers. Keyed by swarm id (32 bytes, the wire protocol's)
 * and segment id (HLS media sequence number or DASH start time); each entry
 * holds the bytes, their SHA-256 and when it was stored. Only whole segments
 * that passed verification go in: partial transfers stay with the engine.
 *
 * Bounded by a byte budget (default GST_P2P_SEGMENT_STORE_DEFAULT_MAX_BYTES,
 * sized for a set-top box). When a new segment does not fit, the store
 * evicts first what fell out of the live window (segment ids below the
 * oldest id the playlist still lists, see
 * gst_p2p_segment_store_set_live_window()), oldest first, then the least
 * recently used. A segment larger than the whole budget is refused.
 *
 * Threads: every function may be called from any thread. One GMutex guards
 * all state; no callback runs under it and nothing blocks while holding it.
 * Returned GBytes are references: they stay valid after an eviction.
 */
#ifndef __GST_P2P_SEGMENT_STORE_H__
#define __GST_P2P_SEGMENT_STORE_H__

#include <glib.h>

G_BEGIN_DECLS

#define GST_P2P_SEGMENT_STORE_SWARM_ID_SIZE 32
#define GST_P2P_SEGMENT_STORE_SHA256_SIZE   32
/* 64 MiB: about 3 minutes of a 3 Mbit/s rendition, far more than the live
 * window of a few segments, and affordable on a 1 GiB set-top box. */
#define GST_P2P_SEGMENT_STORE_DEFAULT_MAX_BYTES (64u * 1024 * 1024)

typedef struct _GstP2pSegmentStore GstP2pSegmentStore;

typedef struct
{
  guint64 bytes;                /* bytes held now */
  guint64 max_bytes;            /* the budget */
  guint n_segments;             /* segments held now */
  guint64 hits;                 /* lookups that found the segment */
  guint64 misses;               /* lookups that did not */
  guint64 evictions;            /* segments evicted to make room */
  guint64 evictions_stale;      /* ... of which were out of the live window */
  guint64 refused;              /* segments larger than the budget */
} GstP2pSegmentStoreStats;

GstP2pSegmentStore * gst_p2p_segment_store_new   (guint64 max_bytes);
GstP2pSegmentStore * gst_p2p_segment_store_ref   (GstP2pSegmentStore * store);
void                 gst_p2p_segment_store_unref (GstP2pSegmentStore * store);

void     gst_p2p_segment_store_set_max_bytes (GstP2pSegmentStore * store,
                                              guint64 max_bytes);

gboolean gst_p2p_segment_store_put (GstP2pSegmentStore * store,
                                    const guint8 * swarm_id,
                                    guint64 segment_id,
                                    GBytes * data,
                                    const guint8 * sha256,
                                    gint64 now);

GBytes * gst_p2p_segment_store_get (GstP2pSegmentStore * store,
                                    const guint8 * swarm_id,
                                    guint64 segment_id,
                                    guint8 * sha256_out,
                                    gint64 now);

gboolean gst_p2p_segment_store_contains (GstP2pSegmentStore * store,
                                         const guint8 * swarm_id,
                                         guint64 segment_id);

gboolean gst_p2p_segment_store_remove (GstP2pSegmentStore * store,
                                       const guint8 * swarm_id,
                                       guint64 segment_id);

void     gst_p2p_segment_store_set_live_window (GstP2pSegmentStore * store,
                                                const guint8 * swarm_id,
                                                guint64 oldest_live_id);

guint    gst_p2p_segment_store_drop_stale (GstP2pSegmentStore * store);

void     gst_p2p_segment_store_get_stats (GstP2pSegmentStore * store,
                                          GstP2pSegmentStoreStats * stats);

G_END_DECLS

#endif /* __GST_P2P_SEGMENT_STORE_H__ */
