/* GstP2pLoop: the network thread.
 *
 * One thread per process runs a GMainContext that owns everything that talks
 * to the network: the libsoup sessions of the CDN client and, later, the
 * tracker client and the peer links. Streaming threads never touch those
 * objects directly; they hand work to this context and wait on their own
 * deadlines, so a slow network can never block a pad.
 *
 * Threads: the default loop is created on first use and lives until the
 * process exits.
 */
#ifndef __GST_P2P_LOOP_H__
#define __GST_P2P_LOOP_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GstP2pLoop GstP2pLoop;

GstP2pLoop *   gst_p2p_loop_get_default (void);
GMainContext * gst_p2p_loop_get_context (GstP2pLoop * loop);
gboolean       gst_p2p_loop_is_current  (GstP2pLoop * loop);
void           gst_p2p_loop_invoke      (GstP2pLoop * loop,
                                         GSourceFunc func,
                                         gpointer data,
                                         GDestroyNotify notify);
void           gst_p2p_loop_invoke_sync (GstP2pLoop * loop,
                                         GSourceFunc func,
                                         gpointer data);

G_END_DECLS

#endif /* __GST_P2P_LOOP_H__ */
