/* gst-p2p test support: every URI source created, every response delivered.
 *
 * The tracer hook runs on whatever thread creates an element; pad probes run
 * on the sources' streaming threads. All state is behind the watch's mutex.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ptestsourcewatch.h"
#include "gstp2ptestfs.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (p2p_testsupport_debug);
#define GST_CAT_DEFAULT p2p_testsupport_debug

/* ---- the process-wide tracer ------------------------------------------ */

#define GST_TYPE_P2P_TEST_TRACER (gst_p2p_test_tracer_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pTestTracer, gst_p2p_test_tracer, GST,
    P2P_TEST_TRACER, GstTracer);

struct _GstP2pTestTracer
{
  GstTracer parent;
};

G_DEFINE_TYPE (GstP2pTestTracer, gst_p2p_test_tracer, GST_TYPE_TRACER);

static void
gst_p2p_test_tracer_class_init (GstP2pTestTracerClass * klass)
{
}

static void
gst_p2p_test_tracer_init (GstP2pTestTracer * self)
{
}

struct _GstP2pTestSourceWatch
{
  gint refcount;
  GMutex lock;
  gboolean active;
  GPtrArray *responses;         /* GstP2pTestResponse, owned */
  GPtrArray *created;           /* gchar * factory names */
  gchar *base_uri;
  gchar *docroot;
  guint64 orphan_bytes;
  guint next_index;
};

/* Watches currently interested in new elements. Hooks cannot be removed in
 * GStreamer 1.22, so the tracer lives for the process and dispatches here. */
static GMutex watches_lock;
static GList *watches;
static GstTracer *tracer;

typedef struct
{
  GstP2pTestSourceWatch *watch;
  gchar *factory;
  GstP2pTestResponse *current;  /* owned by watch->responses */
  GChecksum *sum;
  GstEvent *current_event;      /* the http-headers event of current */
} SourceCtx;

static GstP2pTestSourceWatch *
watch_ref (GstP2pTestSourceWatch * w)
{
  g_atomic_int_inc (&w->refcount);
  return w;
}

static void
response_free (GstP2pTestResponse * r)
{
  if (r == NULL)
    return;
  g_free (r->factory);
  g_free (r->element_path);
  g_free (r->uri);
  g_free (r->redirection_uri);
  g_free (r->method);
  g_free (r->request_kind);
  g_free (r->request_headers);
  g_free (r->range);
  g_free (r->sha256);
  g_free (r->local_path);
  g_free (r->expected_sha256_start);
  g_free (r->expected_sha256_end);
  g_free (r->expected_error);
  g_free (r);
}

static GstP2pTestResponse *
response_copy (const GstP2pTestResponse * r)
{
  GstP2pTestResponse *c = g_memdup2 (r, sizeof (*r));

  c->factory = g_strdup (r->factory);
  c->element_path = g_strdup (r->element_path);
  c->uri = g_strdup (r->uri);
  c->redirection_uri = g_strdup (r->redirection_uri);
  c->method = g_strdup (r->method);
  c->request_kind = g_strdup (r->request_kind);
  c->request_headers = g_strdup (r->request_headers);
  c->range = g_strdup (r->range);
  c->sha256 = g_strdup (r->sha256);
  c->local_path = g_strdup (r->local_path);
  c->expected_sha256_start = g_strdup (r->expected_sha256_start);
  c->expected_sha256_end = g_strdup (r->expected_sha256_end);
  c->expected_error = g_strdup (r->expected_error);
  return c;
}

static void
watch_unref (GstP2pTestSourceWatch * w)
{
  if (!g_atomic_int_dec_and_test (&w->refcount))
    return;
  g_ptr_array_unref (w->responses);
  g_ptr_array_unref (w->created);
  g_free (w->base_uri);
  g_free (w->docroot);
  g_mutex_clear (&w->lock);
  g_free (w);
}

static void
source_ctx_free (SourceCtx * ctx)
{
  gst_clear_event (&ctx->current_event);
  if (ctx->sum)
    g_checksum_free (ctx->sum);
  watch_unref (ctx->watch);
  g_free (ctx->factory);
  g_free (ctx);
}

/* ---- expectations from the docroot ------------------------------------ */

/* Maps a response URI to a file under the docroot; NULL if not ours. */
static gchar *
local_path_for_uri (GstP2pTestSourceWatch * w, const gchar * uri)
{
  GUri *parsed;
  gchar *path = NULL;
  const gchar *p;

  if (w->base_uri == NULL || uri == NULL
      || !g_str_has_prefix (uri, w->base_uri))
    return NULL;
  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_PATH, NULL);
  if (parsed == NULL)
    return NULL;
  p = g_uri_get_path (parsed);
  if (p && *p == '/') {
    gchar *unescaped = g_uri_unescape_string (p, "/");
    if (unescaped && strstr (unescaped, "/../") == NULL
        && !g_str_has_suffix (unescaped, "/.."))
      path = g_build_filename (w->docroot, unescaped, NULL);
    g_free (unescaped);
  }
  g_uri_unref (parsed);
  return path;
}

static void
compute_expected (GstP2pTestSourceWatch * w, GstP2pTestResponse * r,
    gboolean at_end)
{
  GError *err = NULL;
  gchar *hex;
  guint64 size = 0;

  if (r->local_path == NULL || g_strcmp0 (r->method, "HEAD") == 0)
    return;
  hex = gst_p2p_test_fs_sha256_range (r->local_path, r->range_start,
      r->range_end, &size, &err);
  if (at_end) {
    r->expected_sha256_end = hex;
    r->expected_size_end = size;
  } else {
    r->expected_sha256_start = hex;
    r->expected_size_start = size;
  }
  if (err) {
    if (r->expected_error == NULL)
      r->expected_error = g_strdup (err->message);
    g_error_free (err);
  }
}

/* "bytes=START-END" (END inclusive) or "bytes=START-". */
static void
parse_range (GstP2pTestResponse * r)
{
  const gchar *s = r->range;
  gchar *end = NULL;
  guint64 a, b;

  r->range_start = 0;
  r->range_end = -1;
  if (s == NULL || !g_str_has_prefix (s, "bytes="))
    return;
  s += 6;
  a = g_ascii_strtoull (s, &end, 10);
  if (end == s || *end != '-')
    return;
  r->range_start = a;
  s = end + 1;
  if (*s == '\0')
    return;
  b = g_ascii_strtoull (s, &end, 10);
  if (end != s && *end == '\0' && b >= a && b < G_MAXINT64)
    r->range_end = (gint64) b + 1;
}

/* ---- the probe -------------------------------------------------------- */

static void
close_current (SourceCtx * ctx, gboolean complete)
{
  GstP2pTestResponse *r = ctx->current;

  if (r == NULL)
    return;
  r->sha256 = g_strdup (g_checksum_get_string (ctx->sum));
  r->complete = complete;
  compute_expected (ctx->watch, r, TRUE);
  GST_INFO ("response #%u %s %s kind=%s status=%u range=%s bytes=%"
      G_GUINT64_FORMAT " complete=%d", r->index, r->factory, r->uri,
      GST_STR_NULL (r->request_kind), r->status, GST_STR_NULL (r->range),
      r->bytes, complete);
  ctx->current = NULL;
  g_checksum_free (ctx->sum);
  ctx->sum = NULL;
}

static gchar *
read_request_kind (GstElement * src)
{
  GParamSpec *ps = g_object_class_find_property (G_OBJECT_GET_CLASS (src),
      "request-kind");
  GEnumValue *ev;
  gint v = 0;

  if (ps == NULL || !G_IS_PARAM_SPEC_ENUM (ps))
    return NULL;
  g_object_get (src, "request-kind", &v, NULL);
  ev = g_enum_get_value (G_PARAM_SPEC_ENUM (ps)->enum_class, v);
  return g_strdup (ev ? ev->value_nick : "(invalid)");
}

static gchar *
read_method (GstElement * src)
{
  gchar *method = NULL;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (src), "method"))
    g_object_get (src, "method", &method, NULL);
  return method ? method : g_strdup ("GET");
}

static void
open_response (SourceCtx * ctx, GstPad * pad, GstEvent * event)
{
  GstP2pTestSourceWatch *w = ctx->watch;
  const GstStructure *s = gst_event_get_structure (event);
  GstElement *src = GST_ELEMENT (gst_pad_get_parent (pad));
  GstObject *parent = src ? gst_object_get_parent (GST_OBJECT (src)) : NULL;
  const GstStructure *req = NULL;
  GstP2pTestResponse *r = g_new0 (GstP2pTestResponse, 1);
  guint status = 0;

  r->factory = g_strdup (ctx->factory);
  r->uri = g_strdup (gst_structure_get_string (s, "uri"));
  r->redirection_uri = g_strdup (gst_structure_get_string (s,
          "redirection-uri"));
  if (gst_structure_get_uint (s, "http-status-code", &status))
    r->status = status;
  if (gst_structure_has_field_typed (s, "request-headers", GST_TYPE_STRUCTURE))
    req = gst_value_get_structure (gst_structure_get_value (s,
            "request-headers"));
  if (req) {
    r->request_headers = gst_structure_to_string (req);
    r->range = g_strdup (gst_structure_get_string (req, "Range"));
  }
  parse_range (r);
  if (src) {
    r->element_path = gst_object_get_path_string (GST_OBJECT (src));
    r->request_kind = read_request_kind (src);
    r->method = read_method (src);
  } else {
    r->method = g_strdup ("GET");
  }
  r->parentless = (parent == NULL);
  r->in_srcbin = parent && g_str_has_prefix (GST_OBJECT_NAME (parent),
      "srcbin-");

  g_mutex_lock (&w->lock);
  r->index = w->next_index++;
  r->local_path = local_path_for_uri (w, r->uri);
  compute_expected (w, r, FALSE);
  g_ptr_array_add (w->responses, r);
  ctx->current = r;
  ctx->sum = g_checksum_new (G_CHECKSUM_SHA256);
  gst_event_replace (&ctx->current_event, event);
  g_mutex_unlock (&w->lock);

  if (parent)
    gst_object_unref (parent);
  if (src)
    gst_object_unref (src);
}

static gboolean
hash_buffer (SourceCtx * ctx, GstBuffer * buf)
{
  GstMapInfo map;

  if (ctx->current == NULL) {
    ctx->watch->orphan_bytes += gst_buffer_get_size (buf);
    return TRUE;
  }
  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_checksum_update (ctx->sum, map.data, map.size);
    ctx->current->bytes += map.size;
    gst_buffer_unmap (buf, &map);
  }
  return TRUE;
}

static gboolean
hash_list_item (GstBuffer ** buf, guint idx, gpointer user_data)
{
  return hash_buffer (user_data, *buf);
}

static GstPadProbeReturn
source_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  SourceCtx *ctx = user_data;
  GstP2pTestSourceWatch *w = ctx->watch;

  if (!g_atomic_int_get (&w->active))
    return GST_PAD_PROBE_REMOVE;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    g_mutex_lock (&w->lock);
    hash_buffer (ctx, GST_PAD_PROBE_INFO_BUFFER (info));
    g_mutex_unlock (&w->lock);
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    g_mutex_lock (&w->lock);
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        hash_list_item, ctx);
    g_mutex_unlock (&w->lock);
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_BOTH) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    switch (GST_EVENT_TYPE (ev)) {
      case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:
        /* Sticky events are re-sent after flushes: same event object, same
         * response. A new object is a new response. */
        if (gst_event_has_name (ev, "http-headers")
            && ev != ctx->current_event) {
          g_mutex_lock (&w->lock);
          close_current (ctx, FALSE);
          g_mutex_unlock (&w->lock);
          open_response (ctx, pad, ev);
        }
        break;
      case GST_EVENT_EOS:
        g_mutex_lock (&w->lock);
        close_current (ctx, TRUE);
        gst_clear_event (&ctx->current_event);
        g_mutex_unlock (&w->lock);
        break;
      case GST_EVENT_FLUSH_START:
        g_mutex_lock (&w->lock);
        close_current (ctx, FALSE);
        gst_clear_event (&ctx->current_event);
        g_mutex_unlock (&w->lock);
        break;
      default:
        break;
    }
  }
  return GST_PAD_PROBE_OK;
}

static void
on_element_new (GstTracer * self, GstClockTime ts, GstElement * element)
{
  GstElementFactory *factory;
  GstPad *pad;
  GList *l;

  if (!GST_IS_URI_HANDLER (element)
      || gst_uri_handler_get_uri_type (GST_URI_HANDLER (element)) !=
      GST_URI_SRC)
    return;
  factory = gst_element_get_factory (element);
  pad = gst_element_get_static_pad (element, "src");

  g_mutex_lock (&watches_lock);
  for (l = watches; l; l = l->next) {
    GstP2pTestSourceWatch *w = l->data;
    const gchar *fname = factory ? GST_OBJECT_NAME (factory) :
        G_OBJECT_TYPE_NAME (element);

    g_mutex_lock (&w->lock);
    g_ptr_array_add (w->created, g_strdup (fname));
    g_mutex_unlock (&w->lock);
    GST_INFO ("new URI source %s (%s)", GST_ELEMENT_NAME (element), fname);

    if (pad) {
      SourceCtx *ctx = g_new0 (SourceCtx, 1);
      ctx->watch = watch_ref (w);
      ctx->factory = g_strdup (fname);
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
          GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM
          | GST_PAD_PROBE_TYPE_EVENT_FLUSH, source_probe, ctx,
          (GDestroyNotify) source_ctx_free);
    }
  }
  g_mutex_unlock (&watches_lock);
  if (pad)
    gst_object_unref (pad);
}

/* ---- public API ------------------------------------------------------- */

GstP2pTestSourceWatch *
gst_p2p_test_source_watch_new (void)
{
  GstP2pTestSourceWatch *w = g_new0 (GstP2pTestSourceWatch, 1);

  w->refcount = 1;
  g_mutex_init (&w->lock);
  w->active = TRUE;
  w->responses = g_ptr_array_new_with_free_func ((GDestroyNotify)
      response_free);
  w->created = g_ptr_array_new_with_free_func (g_free);

  g_mutex_lock (&watches_lock);
  if (tracer == NULL) {
    GST_DEBUG_CATEGORY_INIT (p2p_testsupport_debug, "p2p-testsupport", 0,
        "gst-p2p test support");
    tracer = g_object_new (GST_TYPE_P2P_TEST_TRACER, NULL);
    gst_object_ref_sink (tracer);
    gst_tracing_register_hook (tracer, "element-new",
        G_CALLBACK (on_element_new));
  }
  watches = g_list_prepend (watches, watch_ref (w));
  g_mutex_unlock (&watches_lock);
  return w;
}

void
gst_p2p_test_source_watch_map_docroot (GstP2pTestSourceWatch * w,
    const gchar * base_uri, const gchar * docroot)
{
  g_mutex_lock (&w->lock);
  g_free (w->base_uri);
  g_free (w->docroot);
  w->base_uri = g_strdup (base_uri);
  w->docroot = g_strdup (docroot);
  g_mutex_unlock (&w->lock);
}

GPtrArray *
gst_p2p_test_source_watch_get_responses (GstP2pTestSourceWatch * w)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      response_free);
  guint i;

  g_mutex_lock (&w->lock);
  for (i = 0; i < w->responses->len; i++)
    g_ptr_array_add (out, response_copy (g_ptr_array_index (w->responses, i)));
  g_mutex_unlock (&w->lock);
  return out;
}

GPtrArray *
gst_p2p_test_source_watch_get_created (GstP2pTestSourceWatch * w)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  guint i;

  g_mutex_lock (&w->lock);
  for (i = 0; i < w->created->len; i++)
    g_ptr_array_add (out, g_strdup (g_ptr_array_index (w->created, i)));
  g_mutex_unlock (&w->lock);
  return out;
}

guint
gst_p2p_test_source_watch_count_created (GstP2pTestSourceWatch * w,
    const gchar * factory)
{
  guint i, n = 0;

  g_mutex_lock (&w->lock);
  for (i = 0; i < w->created->len; i++)
    if (g_strcmp0 (g_ptr_array_index (w->created, i), factory) == 0)
      n++;
  g_mutex_unlock (&w->lock);
  return n;
}

guint64
gst_p2p_test_source_watch_get_orphan_bytes (GstP2pTestSourceWatch * w)
{
  guint64 n;

  g_mutex_lock (&w->lock);
  n = w->orphan_bytes;
  g_mutex_unlock (&w->lock);
  return n;
}

gboolean
gst_p2p_test_response_matches_disk (const GstP2pTestResponse * r)
{
  if (r->sha256 == NULL)
    return FALSE;
  return g_strcmp0 (r->sha256, r->expected_sha256_start) == 0
      || g_strcmp0 (r->sha256, r->expected_sha256_end) == 0;
}

gchar *
gst_p2p_test_response_describe (const GstP2pTestResponse * r)
{
  return g_strdup_printf ("#%u %s [%s%s] %s %s status=%u range=%s kind=%s "
      "bytes=%" G_GUINT64_FORMAT " (disk %" G_GUINT64_FORMAT "/%"
      G_GUINT64_FORMAT ") sha=%.12s disk-sha=%.12s/%.12s complete=%d%s%s",
      r->index, r->factory, r->parentless ? "parentless" : "",
      r->in_srcbin ? "srcbin" : "", r->method, GST_STR_NULL (r->uri),
      r->status, GST_STR_NULL (r->range), GST_STR_NULL (r->request_kind),
      r->bytes, r->expected_size_start, r->expected_size_end,
      GST_STR_NULL (r->sha256), GST_STR_NULL (r->expected_sha256_start),
      GST_STR_NULL (r->expected_sha256_end), r->complete,
      r->expected_error ? " disk-error: " : "",
      r->expected_error ? r->expected_error : "");
}

void
gst_p2p_test_source_watch_free (GstP2pTestSourceWatch * w)
{
  GList *link;

  if (w == NULL)
    return;
  g_mutex_lock (&watches_lock);
  link = g_list_find (watches, w);
  if (link) {
    watches = g_list_delete_link (watches, link);
    watch_unref (w);
  }
  g_mutex_unlock (&watches_lock);
  g_atomic_int_set (&w->active, FALSE);
  watch_unref (w);
}
