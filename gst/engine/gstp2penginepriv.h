/* Private: what GstP2pEngine and GstP2pEngineRequest share. Not installed.
 *
 * Threads: fields marked "loop" belong to the network thread; the rest is
 * under the request's own mutex.
 */
#ifndef __GST_P2P_ENGINE_PRIV_H__
#define __GST_P2P_ENGINE_PRIV_H__

#include "engine/gstp2pengine.h"
#include "engine/gstp2penginerequest.h"
#include "engine/gstp2penginefetch.h"
#include "stream/gstp2pstreamindex.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (p2p_engine_debug);

struct _GstP2pEngineRequest
{
  gint ref;
  GstP2pEngine *engine;
  GMutex lock;
  GCond cond;

  /* what was asked: immutable */
  gchar *uri;
  guint64 start;
  guint64 stop;
  GstP2pEngineHttpTemplate *tmpl;

  /* the answer, under lock */
  GstP2pEngineAnswer answer;
  GBytes *data;
  gint64 total_size;
  gchar *content_type;
  const gchar *reason;
  gboolean wants_bytes;
  gboolean is_segment;
  gboolean missed;
  gboolean finished;

  /* loop */
  guint8 swarm_digest[GST_P2P_STREAM_SWARM_DIGEST_LEN];
  guint64 segment_id;
  guint32 transfer_id;
  GSource *wait_timer;
};

G_GNUC_INTERNAL
void gst_p2p_engine_submit_request (GstP2pEngine * engine,
    GstP2pEngineRequest * req);
G_GNUC_INTERNAL
void gst_p2p_engine_submit_finish (GstP2pEngine * engine,
    GstP2pEngineRequest * req, gboolean ok, guint64 cdn_bytes, GBytes * body,
    gint64 total_size, const gchar * content_type);
G_GNUC_INTERNAL
void gst_p2p_engine_note_deadline_miss (GstP2pEngine * engine);
G_GNUC_INTERNAL
void gst_p2p_engine_note_cdn_fragment (GstP2pEngine * engine, guint64 bytes,
    gboolean complete);

/* Any thread: sets the answer once and wakes the waiter. */
G_GNUC_INTERNAL
gboolean gst_p2p_engine_request_resolve (GstP2pEngineRequest * req,
    GstP2pEngineAnswer answer, GBytes * data, gint64 total_size,
    const gchar * content_type, gboolean wants_bytes, const gchar * reason);

G_END_DECLS

#endif /* __GST_P2P_ENGINE_PRIV_H__ */
