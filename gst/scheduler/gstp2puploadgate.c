/* GstP2pUploadGate: upload admission and pacing. See gstp2puploadgate.h.
 *
 * Threads: owned by the network thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "scheduler/gstp2puploadgate.h"

/**
 * gst_p2p_upload_gate_init:
 * @enabled: whether we upload at all
 * @max_uploads: concurrent uploads, 0 for the default (4)
 * @rate: upload cap in bytes per second, 0 for none
 * @burst: token bucket depth, 0 for a quarter second of @rate
 */
void
gst_p2p_upload_gate_init (GstP2pUploadGate * gate, gboolean enabled,
    guint max_uploads, guint64 rate, guint64 burst, gint64 now)
{
  g_return_if_fail (gate != NULL);
  gate->enabled = enabled;
  gate->max_uploads = max_uploads ? max_uploads :
      GST_P2P_UPLOAD_GATE_DEFAULT_MAX_UPLOADS;
  gate->active = 0;
  gate->refused_off = gate->refused_busy = gate->refused_not_have = 0;
  gate->accepted = 0;
  gst_p2p_rate_cap_init (&gate->bucket, rate, burst, now);
}

/**
 * gst_p2p_upload_gate_admit:
 * @in_store: whether the requested segment is in the store
 *
 * On GST_P2P_UPLOAD_ACCEPT the upload counts as active until
 * gst_p2p_upload_gate_release().
 */
GstP2pUploadVerdict
gst_p2p_upload_gate_admit (GstP2pUploadGate * gate, gboolean in_store)
{
  g_return_val_if_fail (gate != NULL, GST_P2P_UPLOAD_REFUSE_OFF);
  if (!gate->enabled) {
    gate->refused_off++;
    return GST_P2P_UPLOAD_REFUSE_OFF;
  }
  if (!in_store) {
    gate->refused_not_have++;
    return GST_P2P_UPLOAD_REFUSE_NOT_HAVE;
  }
  if (gate->active >= gate->max_uploads) {
    gate->refused_busy++;
    return GST_P2P_UPLOAD_REFUSE_BUSY;
  }
  gate->active++;
  gate->accepted++;
  return GST_P2P_UPLOAD_ACCEPT;
}

void
gst_p2p_upload_gate_release (GstP2pUploadGate * gate)
{
  g_return_if_fail (gate != NULL);
  g_return_if_fail (gate->active > 0);
  gate->active--;
}

/**
 * gst_p2p_upload_gate_pace:
 * @bytes: the DATA payload about to be sent
 *
 * Returns: 0 if it may go now (tokens taken), else the microseconds to wait
 * before asking again.
 */
gint64
gst_p2p_upload_gate_pace (GstP2pUploadGate * gate, guint64 bytes, gint64 now)
{
  g_return_val_if_fail (gate != NULL, 0);
  if (gst_p2p_rate_cap_try_take (&gate->bucket, bytes, now))
    return 0;
  return MAX (gst_p2p_rate_cap_delay (&gate->bucket, bytes, now), 1);
}
