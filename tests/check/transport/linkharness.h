/* Test harness for GstP2pLink: a "side" wraps one link, records what it
 * emits and receives, and forwards its signalling lines to another side (or
 * to a callback) from an idle, as a signalling server would.
 *
 * Threads: everything runs on the GMainContext the side was created with,
 * iterated by the test thread through harness_iterate_until().
 */
#ifndef __LINK_HARNESS_H__
#define __LINK_HARNESS_H__

#include <gst/gst.h>
#include "transport/gstp2plink.h"

G_BEGIN_DECLS

typedef struct _Side Side;
typedef struct _Child Child;
typedef gchar *(*SignalFilter) (Side * from, const gchar * line);

struct _Side
{
  const gchar *name;
  GMainContext *context;
  GstP2pLink *link;
  Side *peer;
  Child *child;                 /* or a link-peer process */
  SignalFilter filter;          /* may rewrite or drop (NULL) a line */
  gboolean drop_candidates;

  GstP2pLinkState state;
  gchar *reason;
  gint64 state_time_us;
  GPtrArray *lines;             /* local lines emitted */
  GHashTable *received;         /* stream -> GPtrArray of GBytes */
  guint64 bytes_received;
  guint writable;
};

Side *   side_new              (const gchar * name, GMainContext * context,
                                GstP2pLinkConfig * config);
void     side_free             (Side * side);
void     side_connect_peers    (Side * a, Side * b);
gboolean harness_iterate_until (GMainContext * context, guint timeout_ms,
                                gboolean (*cond) (gpointer), gpointer data);
gboolean side_is_connected     (gpointer side);
gboolean side_is_terminal      (gpointer side);
GBytes * make_blob             (guint seed, gsize size);
void     harness_config        (GstP2pLinkConfig * config, gboolean initiator);

/* A link-peer process (see linkpeer.c), speaking over its stdin/stdout. */
struct _Child
{
  const gchar *name;
  GSubprocess *proc;
  GOutputStream *in;
  GDataInputStream *out;
  GCancellable *cancel;
  Side *side;                   /* feed its "sig" lines to this link */
  Child *peer;                  /* or to this other process */
  gchar *state;
  gchar *reason;
  gchar *result;
  gchar *selected;
  guint64 progress;
  gboolean eof;
};

Child *  child_spawn           (const gchar * name, const gchar * const *argv,
                                GError ** error);
void     child_send_line       (Child * child, const gchar * line);
void     child_free            (Child * child);
gboolean child_has_result      (gpointer child);
gboolean child_exited          (gpointer child);

G_END_DECLS

#endif
