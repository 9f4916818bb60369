/* GstP2pEngineRequest: a source's fragment request and the engine's answer.
 * See gstp2penginerequest.h.
 *
 * Threads: created and waited on by a streaming thread; answered on the
 * network thread; cancel() from the thread changing state.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "engine/gstp2penginepriv.h"

#define GST_CAT_DEFAULT p2p_engine_debug

/**
 * gst_p2p_engine_request_fragment:
 * @engine: the engine
 * @uri: the fragment's URI, as the demuxer set it
 * @start: first byte the demuxer asks for
 * @stop: exclusive end, (guint64) -1 for "to the end"
 * @session: the source's HTTP session (for the engine's own fetches)
 * @http: the source's request settings (copied)
 *
 * Hands the request to the network thread at once; wait() for the answer.
 *
 * Returns: (transfer full): the request.
 */
GstP2pEngineRequest *
gst_p2p_engine_request_fragment (GstP2pEngine * engine, const gchar * uri,
    guint64 start, guint64 stop, GstP2pHttpSession * session,
    const GstP2pHttpRequest * http)
{
  GstP2pEngineRequest *req;

  g_return_val_if_fail (GST_P2P_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (uri != NULL && session != NULL && http != NULL, NULL);

  req = g_new0 (GstP2pEngineRequest, 1);
  req->ref = 1;
  req->engine = g_object_ref (engine);
  g_mutex_init (&req->lock);
  g_cond_init (&req->cond);
  req->uri = g_strdup (uri);
  req->start = start;
  req->stop = stop;
  req->tmpl = gst_p2p_engine_http_template_new (session, http);
  req->total_size = -1;
  req->answer = GST_P2P_ENGINE_ANSWER_PENDING;
  gst_p2p_engine_submit_request (engine, req);
  return req;
}

GstP2pEngineRequest *
gst_p2p_engine_request_ref (GstP2pEngineRequest * req)
{
  g_atomic_int_inc (&req->ref);
  return req;
}

void
gst_p2p_engine_request_unref (GstP2pEngineRequest * req)
{
  if (!req || !g_atomic_int_dec_and_test (&req->ref))
    return;
  /* a request must be finished before its last reference goes: the
   * engine keeps one while it is waiting or transferring */
  g_object_unref (req->engine);
  g_free (req->uri);
  gst_p2p_engine_http_template_unref (req->tmpl);
  g_clear_pointer (&req->data, g_bytes_unref);
  g_free (req->content_type);
  g_mutex_clear (&req->lock);
  g_cond_clear (&req->cond);
  g_free (req);
}

gboolean
gst_p2p_engine_request_resolve (GstP2pEngineRequest * req,
    GstP2pEngineAnswer answer, GBytes * data, gint64 total_size,
    const gchar * content_type, gboolean wants_bytes, const gchar * reason)
{
  gboolean done = FALSE;

  g_mutex_lock (&req->lock);
  if (req->answer == GST_P2P_ENGINE_ANSWER_PENDING) {
    req->answer = answer;
    req->data = data ? g_bytes_ref (data) : NULL;
    req->total_size = total_size;
    req->content_type = g_strdup (content_type);
    req->wants_bytes = wants_bytes;
    req->reason = reason;
    g_cond_broadcast (&req->cond);
    done = TRUE;
  }
  g_mutex_unlock (&req->lock);
  return done;
}

/**
 * gst_p2p_engine_request_wait:
 * @deadline: g_get_monotonic_time() by which the caller must go on
 *
 * Waits for the engine's answer, at most until @deadline. An answer that
 * comes later is too late: the result is then CDN, counted as a deadline
 * miss (without the bytes of a transfer: whatever was coming still enters
 * the store when it completes).
 *
 * Returns: SERVE, CDN or CANCELLED.
 */
GstP2pEngineAnswer
gst_p2p_engine_request_wait (GstP2pEngineRequest * req, gint64 deadline)
{
  GstP2pEngineAnswer answer;
  gboolean missed = FALSE;

  g_mutex_lock (&req->lock);
  while (req->answer == GST_P2P_ENGINE_ANSWER_PENDING) {
    if (!g_cond_wait_until (&req->cond, &req->lock, deadline)
        && req->answer == GST_P2P_ENGINE_ANSWER_PENDING) {
      req->answer = GST_P2P_ENGINE_ANSWER_CDN;
      req->reason = "deadline";
      req->missed = missed = TRUE;
      break;
    }
  }
  answer = req->answer;
  g_mutex_unlock (&req->lock);
  if (missed) {
    GST_INFO ("%s: no answer by the deadline, CDN", req->uri);
    gst_p2p_engine_note_deadline_miss (req->engine);
  }
  return answer;
}

/**
 * gst_p2p_engine_request_cancel:
 *
 * Ends a wait at once with CANCELLED (the source is flushing).
 */
void
gst_p2p_engine_request_cancel (GstP2pEngineRequest * req)
{
  g_mutex_lock (&req->lock);
  if (req->answer == GST_P2P_ENGINE_ANSWER_PENDING) {
    req->answer = GST_P2P_ENGINE_ANSWER_CANCELLED;
    req->reason = "cancelled";
    g_cond_broadcast (&req->cond);
  }
  g_mutex_unlock (&req->lock);
}

GBytes *
gst_p2p_engine_request_get_data (GstP2pEngineRequest * req)
{
  GBytes *data;

  g_mutex_lock (&req->lock);
  data = req->data ? g_bytes_ref (req->data) : NULL;
  g_mutex_unlock (&req->lock);
  return data;
}

gint64
gst_p2p_engine_request_get_total_size (GstP2pEngineRequest * req)
{
  return req->total_size;
}

const gchar *
gst_p2p_engine_request_get_content_type (GstP2pEngineRequest * req)
{
  return req->content_type;
}

gboolean
gst_p2p_engine_request_wants_bytes (GstP2pEngineRequest * req)
{
  gboolean wants;

  g_mutex_lock (&req->lock);
  wants = req->wants_bytes && !req->missed &&
      req->answer == GST_P2P_ENGINE_ANSWER_CDN;
  g_mutex_unlock (&req->lock);
  return wants;
}

gboolean
gst_p2p_engine_request_is_segment (GstP2pEngineRequest * req)
{
  return req->is_segment;
}

const gchar *
gst_p2p_engine_request_get_reason (GstP2pEngineRequest * req)
{
  return req->reason ? req->reason : "pending";
}

gboolean
gst_p2p_engine_request_missed_deadline (GstP2pEngineRequest * req)
{
  return req->missed;
}

/**
 * gst_p2p_engine_request_finish:
 *
 * See gstp2penginerequest.h. Call exactly once; later calls are ignored.
 */
void
gst_p2p_engine_request_finish (GstP2pEngineRequest * req, gboolean ok,
    guint64 cdn_bytes, GBytes * body, gint64 total_size,
    const gchar * content_type)
{
  gboolean first;

  g_mutex_lock (&req->lock);
  first = !req->finished;
  req->finished = TRUE;
  if (req->answer == GST_P2P_ENGINE_ANSWER_PENDING) {
    req->answer = GST_P2P_ENGINE_ANSWER_CANCELLED;
    req->reason = "finished";
  }
  g_mutex_unlock (&req->lock);
  if (first)
    gst_p2p_engine_note_cdn_fragment (req->engine, cdn_bytes, ok);
  if (first)
    gst_p2p_engine_submit_finish (req->engine, req, ok, cdn_bytes, body,
        total_size, content_type);
}
