/* The tracker's secret: the HMAC key of its join tokens
 * (signalling/gstp2ptoken.h), read from a file only its owner can read.
 * Used by gst-p2p-tracker and by gst-p2p-publisher, which mints its own
 * publisher tokens.
 *
 * Threads: any.
 */
#ifndef __GST_P2P_TRACKER_SECRET_H__
#define __GST_P2P_TRACKER_SECRET_H__

#include <glib.h>

#include "signalling/gstp2ptoken.h"

G_BEGIN_DECLS
    GBytes * gst_p2p_tracker_secret_load (const gchar * path, GError ** error);

G_END_DECLS
#endif /* __GST_P2P_TRACKER_SECRET_H__ */
