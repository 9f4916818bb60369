/* libgstp2p: peer-assisted HLS/DASH delivery engine for GStreamer.
 *
 * Umbrella header and library initialisation. Every public entry point calls
 * gst_p2p_init() itself, so applications only need it to be sure the debug
 * categories exist before they set thresholds.
 */
#ifndef __GST_P2P_H__
#define __GST_P2P_H__

#include <gst/gst.h>

G_BEGIN_DECLS

void gst_p2p_init (void);

G_END_DECLS

#endif /* __GST_P2P_H__ */
