/* Private helpers of the engine's peer side (not installed): plain
 * functions without engine state, so they are easy to read and test.
 *
 *  - our tracker peer id, chosen by the engine so the scheduler knows its
 *    own wire id (the seeding rank) before the tracker confirms it;
 *  - the fault-injection hook GST_P2P_FAULT_CORRUPT_UPLOADS (tests and the
 *    lab only): copies of segments with flipped bytes, for uploads.
 *
 * Threads: any; no shared state.
 */
#ifndef __GST_P2P_ENGINE_PEER_H__
#define __GST_P2P_ENGINE_PEER_H__

#include <glib.h>

G_BEGIN_DECLS
/* Test and lab hook: probability (0..1) that a segment this viewer uploads
 * has bytes flipped. Never affects what it plays. docs/configuration.md */
#define GST_P2P_ENGINE_ENV_FAULT_CORRUPT_UPLOADS "GST_P2P_FAULT_CORRUPT_UPLOADS"
/* Local addresses ICE gathers on (comma separated numeric IPs); default:
 * every interface. */
#define GST_P2P_ENGINE_ENV_ICE_ADDRESSES "GST_P2P_ICE_ADDRESSES"
    G_GNUC_INTERNAL gchar * gst_p2p_engine_make_peer_id (void);
G_GNUC_INTERNAL gdouble gst_p2p_engine_fault_corrupt_probability (void);
G_GNUC_INTERNAL
    GBytes * gst_p2p_engine_corrupt_copy (GBytes * bytes, GRand * rand);
G_GNUC_INTERNAL gchar ** gst_p2p_engine_ice_addresses_from_env (void);

G_END_DECLS
#endif /* __GST_P2P_ENGINE_PEER_H__ */
