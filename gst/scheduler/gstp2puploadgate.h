/* GstP2pUploadGate: whether, and how fast, we upload to peers.
 *
 * Three controls of issue 4: upload on/off (off on metered links or by user
 * choice), a cap on concurrent uploads, and a rate cap (a GstP2pRateCap
 * shared by all uploads). The engine asks gst_p2p_upload_gate_admit() for
 * each peer REQUEST (a refusal maps to an ABSENT frame with the returned
 * reason), paces every DATA payload with gst_p2p_upload_gate_pace(), and
 * calls gst_p2p_upload_gate_release() when an upload ends for any reason.
 * One gate per device (upload capacity is the household's, not a swarm's).
 *
 * Threads: no locking; owned by the network thread.
 */
#ifndef __GST_P2P_UPLOAD_GATE_H__
#define __GST_P2P_UPLOAD_GATE_H__

#include <glib.h>
#include "scheduler/gstp2pratecap.h"

G_BEGIN_DECLS

/* One upload at a time: a live segment spreads by store-and-forward (a peer
 * serves it once it holds all of it), and serving copies one after the
 * other at full rate makes the first copies, hence the next sources, exist
 * sooner than sharing the uplink. The simulation (docs/scheduler.md): 86 %
 * offload with 1, 77 % with 2, 63 % with 4, same swarm, no stalls. */
#define GST_P2P_UPLOAD_GATE_DEFAULT_MAX_UPLOADS 1

typedef enum
{
  GST_P2P_UPLOAD_ACCEPT = 0,
  GST_P2P_UPLOAD_REFUSE_OFF,    /* upload switched off: ABSENT busy */
  GST_P2P_UPLOAD_REFUSE_BUSY,   /* concurrency cap reached: ABSENT busy */
  GST_P2P_UPLOAD_REFUSE_NOT_HAVE,       /* not in the store: ABSENT not-have */
} GstP2pUploadVerdict;

typedef struct
{
  gboolean enabled;
  guint max_uploads;
  guint active;
  GstP2pRateCap bucket;
  guint64 refused_off;
  guint64 refused_busy;
  guint64 refused_not_have;
  guint64 accepted;
} GstP2pUploadGate;

void                gst_p2p_upload_gate_init    (GstP2pUploadGate * gate,
                                                 gboolean enabled,
                                                 guint max_uploads,
                                                 guint64 rate,
                                                 guint64 burst,
                                                 gint64 now);
GstP2pUploadVerdict gst_p2p_upload_gate_admit   (GstP2pUploadGate * gate,
                                                 gboolean in_store);
void                gst_p2p_upload_gate_release (GstP2pUploadGate * gate);
gint64              gst_p2p_upload_gate_pace    (GstP2pUploadGate * gate,
                                                 guint64 bytes,
                                                 gint64 now);

G_END_DECLS

#endif /* __GST_P2P_UPLOAD_GATE_H__ */
