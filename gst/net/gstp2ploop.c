/* GstP2pLoop: the network thread. See gstp2ploop.h.
 *
 * Threads: the loop thread runs only the GMainContext below; everything else
 * here is called from arbitrary threads.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "net/gstp2ploop.h"

struct _GstP2pLoop
{
  GMainContext *context;
  GMainLoop *main_loop;
  GThread *thread;
};

static gpointer
gst_p2p_loop_thread (gpointer data)
{
  GstP2pLoop *loop = data;

  g_main_context_push_thread_default (loop->context);
  g_main_loop_run (loop->main_loop);
  g_main_context_pop_thread_default (loop->context);
  return NULL;
}

static gboolean
signal_running (gpointer data)
{
  GMutex *lock = ((gpointer *) data)[0];
  GCond *cond = ((gpointer *) data)[1];
  gboolean *running = ((gpointer *) data)[2];

  g_mutex_lock (lock);
  *running = TRUE;
  g_cond_signal (cond);
  g_mutex_unlock (lock);
  return G_SOURCE_REMOVE;
}

static GstP2pLoop *
gst_p2p_loop_new (void)
{
  GstP2pLoop *loop = g_new0 (GstP2pLoop, 1);
  GMutex lock;
  GCond cond;
  gboolean running = FALSE;
  gpointer data[3] = { &lock, &cond, &running };

  loop->context = g_main_context_new ();
  loop->main_loop = g_main_loop_new (loop->context, FALSE);

  /* Wait until the loop runs, so work invoked right after creation is never
   * dispatched from the caller's thread by an idle context. */
  g_mutex_init (&lock);
  g_cond_init (&cond);
  g_main_context_invoke (loop->context, signal_running, data);
  loop->thread = g_thread_new ("p2p-net", gst_p2p_loop_thread, loop);
  g_mutex_lock (&lock);
  while (!running)
    g_cond_wait (&cond, &lock);
  g_mutex_unlock (&lock);
  g_mutex_clear (&lock);
  g_cond_clear (&cond);

  return loop;
}

/**
 * gst_p2p_loop_get_default:
 *
 * Returns: (transfer none): the process-wide network loop, started on first
 * use. It is never stopped: sessions and links may outlive any element.
 */
GstP2pLoop *
gst_p2p_loop_get_default (void)
{
  static GstP2pLoop *loop;

  if (g_once_init_enter (&loop))
    g_once_init_leave (&loop, gst_p2p_loop_new ());

  return loop;
}

GMainContext *
gst_p2p_loop_get_context (GstP2pLoop * loop)
{
  return loop->context;
}

gboolean
gst_p2p_loop_is_current (GstP2pLoop * loop)
{
  return g_thread_self () == loop->thread;
}

/**
 * gst_p2p_loop_invoke:
 *
 * Runs @func on the loop thread: at once when called from it, otherwise as
 * soon as the loop is idle. @func returns G_SOURCE_REMOVE or CONTINUE as any
 * GSourceFunc.
 */
void
gst_p2p_loop_invoke (GstP2pLoop * loop, GSourceFunc func, gpointer data,
    GDestroyNotify notify)
{
  g_main_context_invoke_full (loop->context, G_PRIORITY_DEFAULT, func, data,
      notify);
}

typedef struct
{
  GSourceFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncCall;

static gboolean
run_sync_call (gpointer data)
{
  SyncCall *call = data;

  call->func (call->data);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

/**
 * gst_p2p_loop_invoke_sync:
 *
 * Runs @func once on the loop thread and returns when it has run. Only for
 * short set-up and tear-down work (creating a session): never call it from a
 * streaming thread on the data path.
 */
void
gst_p2p_loop_invoke_sync (GstP2pLoop * loop, GSourceFunc func, gpointer data)
{
  SyncCall call = { func, data };

  if (gst_p2p_loop_is_current (loop)) {
    func (data);
    return;
  }

  g_mutex_init (&call.lock);
  g_cond_init (&call.cond);
  g_main_context_invoke (loop->context, run_sync_call, &call);
  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
}
