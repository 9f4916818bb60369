/* Swarm test helpers: a "viewer" (a GstP2pSwarm with its own segment store
 * and upload gate) driven from the test's thread, and deterministic blobs.
 *
 * Threads: the swarm lives on the GstP2pLoop network thread as in
 * production; every helper hops there with gst_p2p_loop_invoke_sync() and
 * results come back under the viewer's lock, so the test thread only ever
 * waits on a GCond with a deadline.
 */
#ifndef __SWARM_TEST_H__
#define __SWARM_TEST_H__

#include <gio/gio.h>

#include "swarm/gstp2pswarm.h"

G_BEGIN_DECLS

typedef struct _TestViewer TestViewer;

/* Called on the network thread when a get finishes (helper program). */
typedef void (*TestGetDone) (TestViewer * v, guint64 seg, GBytes * bytes,
    const gchar * error, gpointer data);

GBytes *     test_blob             (guint seed, gsize size);
gchar *      test_sha256           (GBytes * bytes);
void         test_swarm_id         (const gchar * name, guint8 * id);
gchar *      test_swarm_hex        (const guint8 * id);
void         test_loop_config      (GstP2pLinkConfig * config);

TestViewer * test_viewer_new       (const guint8 * swarm_id,
                                    const gchar * url,
                                    const gchar * token,
                                    const gchar * peer_id,
                                    const gchar * first_prop, ...);
void         test_viewer_start     (TestViewer * v);
void         test_viewer_free      (TestViewer * v);
GstP2pSwarm *test_viewer_swarm     (TestViewer * v);
gchar *      test_viewer_peer_id   (TestViewer * v);
void         test_viewer_put       (TestViewer * v, guint64 seg,
                                    GBytes * bytes);
void         test_viewer_get       (TestViewer * v, guint64 seg,
                                    guint timeout_ms,
                                    const gchar * peer_id);
void         test_viewer_on_get    (TestViewer * v, TestGetDone done,
                                    gpointer data);
gboolean     test_viewer_wait_get  (TestViewer * v, guint64 seg,
                                    guint timeout_ms, GBytes ** bytes,
                                    gchar ** error);
gboolean     test_viewer_wait_joined (TestViewer * v, guint timeout_ms);
gboolean     test_viewer_wait_peers (TestViewer * v, guint n,
                                    guint timeout_ms);
gboolean     test_viewer_wait_holders (TestViewer * v, guint64 seg,
                                    guint n, guint timeout_ms);
gchar *      test_viewer_wait_tracker_error (TestViewer * v,
                                    guint timeout_ms);
void         test_viewer_stats     (TestViewer * v,
                                    GstP2pSwarmStats * stats);
gboolean     test_viewer_is_banned (TestViewer * v, const gchar * peer_id);
gboolean     test_viewer_ban       (TestViewer * v, const gchar * peer_id,
                                    gint64 duration_us);
gchar *      test_viewer_tracker_name (TestViewer * v);

/* Runs @func(data) on the network thread and waits for it. */
void         test_on_loop          (GSourceFunc func, gpointer data);

G_END_DECLS

#endif
