/* p2phttpsrc: HTTP/HTTPS source for players, peer-assisted for fragments.
 *
 * Toward the demuxers it behaves like souphttpsrc 1.22 (same properties,
 * errors, messages, queries, byte ranges), so it can be ranked above it and
 * picked by gst_element_make_from_uri() in any existing pipeline. What it
 * adds is knowing what each request is (GstP2pRequestKind): only media
 * fragments will ever be exchanged with peers.
 *
 * Threads: properties are set from the application thread under the object
 * lock; start/stop/do_seek/create run on the streaming thread; unlock runs
 * on the thread changing state and only cancels the current fetch. Network
 * work happens on the gst-p2p network thread (GstP2pLoop): create() waits on
 * the fetch with a deadline, so nothing here can block forever.
 */

/**
 * SECTION:element-p2phttpsrc
 * @title: p2phttpsrc
 *
 * Reads from an http or https URI like souphttpsrc. Inside hlsdemux and
 * dashdemux it fetches each media fragment; playlists, manifests, keys and
 * clock sync requests are recognised and always go to the origin.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 p2phttpsrc location=https://example.com/ ! fakesink
 * gst-launch-1.0 playbin uri=https://example.com/live/master.m3u8
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <libsoup/soup.h>

#include "gstp2p.h"
#include "gstp2prequestkind.h"
#include "http/gstp2phttpfetch.h"
#include "http/gstp2phttpsession.h"
#include "net/gstp2ploop.h"
#include "engine/gstp2pengine.h"
#include "engine/gstp2penginerequest.h"
#include "gstp2phttpsrc.h"

GST_DEBUG_CATEGORY_STATIC (p2phttpsrc_debug);
#define GST_CAT_DEFAULT p2phttpsrc_debug

#define DEFAULT_LOCATION ""
#define DEFAULT_IS_LIVE FALSE
#define DEFAULT_AUTOMATIC_REDIRECT TRUE
#define DEFAULT_PROXY ""
#define DEFAULT_USER_ID ""
#define DEFAULT_USER_PW ""
#define DEFAULT_PROXY_ID ""
#define DEFAULT_PROXY_PW ""
#define DEFAULT_IRADIO_MODE TRUE
#define DEFAULT_TIMEOUT 15
#define DEFAULT_SOUP_LOG_LEVEL SOUP_LOGGER_LOG_HEADERS
#define DEFAULT_COMPRESS FALSE
#define DEFAULT_KEEP_ALIVE TRUE
#define DEFAULT_SSL_STRICT TRUE
#define DEFAULT_SSL_USE_SYSTEM_CA_FILE TRUE
/* souphttpsrc starts with FALSE although its pspec says TRUE; so do we. */
#define INITIAL_SSL_USE_SYSTEM_CA_FILE FALSE
#define DEFAULT_RETRIES 3
#define DEFAULT_METHOD NULL
#define DEFAULT_P2P TRUE
#define DEFAULT_STORE_SIZE (64 * 1024 * 1024)
#define DEFAULT_UPLOAD TRUE
#define DEFAULT_UPLOAD_RATE 0
#define DEFAULT_MAX_UPLOADS 1
#define DEFAULT_STATS_INTERVAL 5
/* Store-served fragments go downstream in chunks of this size. */
#define SERVE_CHUNK (64 * 1024)
/* The largest fragment whose CDN bytes are handed to the engine. */
#define MAX_TEE_SIZE (64 * 1024 * 1024)

/* souphttpsrc's prefix stays first: CDNs that sniff for GStreamer players
 * keep working; ours follows so logs can tell the two apart. A trailing
 * space appends libsoup's version, as in souphttpsrc. */
#define DEFAULT_USER_AGENT "GStreamer souphttpsrc 1.22.0 p2phttpsrc/" \
  PACKAGE_VERSION " "

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_IS_LIVE,
  PROP_USER_AGENT,
  PROP_AUTOMATIC_REDIRECT,
  PROP_PROXY,
  PROP_USER_ID,
  PROP_USER_PW,
  PROP_PROXY_ID,
  PROP_PROXY_PW,
  PROP_COOKIES,
  PROP_IRADIO_MODE,
  PROP_TIMEOUT,
  PROP_EXTRA_HEADERS,
  PROP_SOUP_LOG_LEVEL,
  PROP_COMPRESS,
  PROP_KEEP_ALIVE,
  PROP_SSL_STRICT,
  PROP_SSL_CA_FILE,
  PROP_SSL_USE_SYSTEM_CA_FILE,
  PROP_TLS_DATABASE,
  PROP_TLS_INTERACTION,
  PROP_RETRIES,
  PROP_METHOD,
  PROP_REQUEST_KIND,
  PROP_P2P,
  PROP_TRACKER,
  PROP_TRACKER_TOKEN,
  PROP_TRUST_KEY,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_SWARM_ID,
  PROP_STORE_SIZE,
  PROP_UPLOAD,
  PROP_UPLOAD_RATE,
  PROP_MAX_UPLOADS,
  PROP_STATS_INTERVAL,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

struct _GstP2pHttpSrc
{
  GstPushSrc parent;

  /* Properties, under the object lock */
  gchar *location;
  gchar *redirection_uri;
  gboolean redirection_permanent;
  gchar *user_agent;
  gboolean automatic_redirect;
  gchar *proxy;
  gchar *user_id;
  gchar *user_pw;
  gchar *proxy_id;
  gchar *proxy_pw;
  gchar **cookies;
  gboolean iradio_mode;
  guint timeout;
  GstStructure *extra_headers;
  SoupLoggerLogLevel log_level;
  gboolean compress;
  gboolean keep_alive;
  gboolean ssl_strict;
  gchar *ssl_ca_file;
  gboolean ssl_use_system_ca_file;
  GTlsDatabase *tls_database;
  GTlsInteraction *tls_interaction;
  gint retries;
  gchar *method;
  GstP2pRequestKind kind;

  /* Streaming thread; fetch and flushing also under the object lock so
   * unlock() can cancel */
  GstP2pHttpSession *session;
  GstP2pHttpFetch *fetch;
  gboolean flushing;
  GstP2pRequestKind position_kind;      /* from the parent, per start() */
  guint64 read_position;
  guint64 stop_position;        /* exclusive, -1: to the end */
  gint64 content_size;          /* of the whole resource, -1: unknown */
  gboolean seekable;
  gint retry_count;
  GstEvent *http_headers_event;
  guint64 fetches;

  /* P2P properties, under the object lock */
  gboolean p2p;
  gchar *tracker;
  gchar *tracker_token;
  gchar *trust_key;
  gchar *stun_server;
  gchar *turn_server;
  gchar *swarm_id;
  guint64 store_size;
  gboolean upload;
  guint64 upload_rate;
  guint max_uploads;
  guint stats_interval;

  /* The engine given by a context (object lock); NULL in a context means
   * P2P off for the pipeline */
  gboolean have_context;
  GstP2pEngine *context_engine;
  gboolean asked_context;       /* streaming thread */

  /* Streaming thread, per start(): the engine for this request, the
   * engine's answer (engine_req also under the object lock for unlock()),
   * the store's bytes being served, the CDN bytes being teed into the
   * engine, the manifest body being collected */
  GstP2pEngine *engine;
  GstP2pEngineRequest *engine_req;
  gboolean engine_asked;
  GBytes *served;
  guint64 served_start;
  gboolean tee_on;
  GByteArray *tee;
  guint64 tee_start;
  guint64 cdn_bytes;            /* of this fragment, from the CDN */
  gint64 cdn_total_size;
  gchar *cdn_content_type;
  gint manifest_state;          /* 0 undecided, 1 collecting, -1 not */
  GByteArray *manifest;

  /* Per-source statistics, under the object lock */
  guint64 st_bytes_from_cdn;
  guint64 st_bytes_from_store;
  guint64 st_segments_from_cdn;
  guint64 st_segments_from_store;
  guint64 st_deadline_misses;
  guint64 st_cdn_fallbacks;
  guint64 st_fragments;
  GSource *stats_timer;
};

static void gst_p2p_http_src_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

#define gst_p2p_http_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstP2pHttpSrc, gst_p2p_http_src, GST_TYPE_PUSH_SRC,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_p2p_http_src_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (p2phttpsrc, "p2phttpsrc",
    GST_RANK_PRIMARY + 1, GST_TYPE_P2P_HTTP_SRC, gst_p2p_init ());

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* ---------------------------------------------------------------------- */
/* URI handler                                                            */

static GstURIType
gst_p2p_http_src_uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static const gchar *const *
gst_p2p_http_src_uri_get_protocols (GType type)
{
  static const gchar *protocols[] = { "http", "https", NULL };
  return protocols;
}

static gchar *
gst_p2p_http_src_uri_get_uri (GstURIHandler * handler)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (handler);
  gchar *uri;

  GST_OBJECT_LOCK (src);
  /* Like souphttpsrc: the URI we were asked for, not where it redirected. */
  uri = g_strdup (src->location);
  GST_OBJECT_UNLOCK (src);
  return uri;
}

static gboolean
gst_p2p_http_src_set_location (GstP2pHttpSrc * src, const gchar * uri,
    GError ** error)
{
  if (uri && *uri && !g_uri_is_valid (uri, SOUP_HTTP_URI_FLAGS, NULL)) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "Invalid URI '%s'", uri);
    return FALSE;
  }
  if (uri && *uri && !g_str_has_prefix (uri, "http://")
      && !g_str_has_prefix (uri, "https://")) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL,
        "Not an http or https URI: '%s'", uri);
    return FALSE;
  }

  GST_OBJECT_LOCK (src);
  g_free (src->location);
  src->location = g_strdup (uri);
  g_clear_pointer (&src->redirection_uri, g_free);
  src->redirection_permanent = FALSE;
  GST_OBJECT_UNLOCK (src);
  return TRUE;
}

static gboolean
gst_p2p_http_src_uri_set_uri (GstURIHandler * handler, const gchar * uri,
    GError ** error)
{
  return gst_p2p_http_src_set_location (GST_P2P_HTTP_SRC (handler), uri, error);
}

static void
gst_p2p_http_src_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = gst_p2p_http_src_uri_get_type;
  iface->get_protocols = gst_p2p_http_src_uri_get_protocols;
  iface->get_uri = gst_p2p_http_src_uri_get_uri;
  iface->set_uri = gst_p2p_http_src_uri_set_uri;
}

/* ---------------------------------------------------------------------- */
/* Fetch life cycle                                                       */

static void
gst_p2p_http_src_drop_fetch (GstP2pHttpSrc * src)
{
  GstP2pHttpFetch *fetch;

  GST_OBJECT_LOCK (src);
  fetch = src->fetch;
  src->fetch = NULL;
  GST_OBJECT_UNLOCK (src);

  if (fetch)
    gst_p2p_http_fetch_release (fetch);
  gst_clear_event (&src->http_headers_event);
}

static const gchar *
nonempty (const gchar * s)
{
  return s && *s ? s : NULL;
}

/* With the object lock: the request for the current range, borrowing the
 * properties' strings. */
static void
gst_p2p_http_src_fill_request (GstP2pHttpSrc * src, GstP2pHttpRequest * request)
{
  memset (request, 0, sizeof (*request));
  request->uri = src->location;
  request->method = src->method;
  request->range_start = src->read_position;
  request->range_stop = src->stop_position;
  request->extra_headers = src->extra_headers;
  request->user_agent = src->user_agent;
  request->cookies = (const gchar * const *) src->cookies;
  request->user_id = nonempty (src->user_id);
  request->user_pw = nonempty (src->user_pw);
  request->proxy_id = nonempty (src->proxy_id);
  request->proxy_pw = nonempty (src->proxy_pw);
  request->compress = src->compress;
  request->keep_alive = src->keep_alive;
  request->automatic_redirect = src->automatic_redirect;
  request->ssl_strict = src->ssl_strict;
  request->iradio_mode = src->iradio_mode;
  request->log_level = src->log_level;
  request->log_object = G_OBJECT (src);
}

/* Streaming thread. Builds and starts the request for the current range. */
static GstFlowReturn
gst_p2p_http_src_start_fetch (GstP2pHttpSrc * src)
{
  GstP2pHttpRequest request = { 0, };
  GstP2pHttpFetch *fetch;

  GST_OBJECT_LOCK (src);
  if (src->flushing) {
    GST_OBJECT_UNLOCK (src);
    return GST_FLOW_FLUSHING;
  }
  gst_p2p_http_src_fill_request (src, &request);

  fetch = gst_p2p_http_fetch_new (src->session, &request);
  src->fetch = fetch;
  src->fetches++;
  GST_OBJECT_UNLOCK (src);

  GST_INFO_OBJECT (src, "request %" G_GUINT64_FORMAT ": %s %s bytes %"
      G_GUINT64_FORMAT "-%" G_GINT64_FORMAT " (%s)", src->fetches,
      src->method ? src->method : "GET", src->location, src->read_position,
      (gint64) src->stop_position,
      gst_p2p_request_kind_to_string (src->position_kind));

  gst_p2p_http_fetch_start (fetch);
  return GST_FLOW_OK;
}

static gint64
gst_p2p_http_src_timeout_us (GstP2pHttpSrc * src)
{
  guint timeout;

  GST_OBJECT_LOCK (src);
  timeout = src->timeout;
  GST_OBJECT_UNLOCK (src);
  return timeout ? timeout * G_USEC_PER_SEC : 0;
}

static gboolean
gst_p2p_http_src_may_retry (GstP2pHttpSrc * src)
{
  gint retries;

  GST_OBJECT_LOCK (src);
  retries = src->retries;
  GST_OBJECT_UNLOCK (src);
  return retries < 0 || src->retry_count < retries;
}

/* ---------------------------------------------------------------------- */
/* http-headers                                                           */

static void
insert_header (const gchar * name, const gchar * value, gpointer user_data)
{
  GstStructure *headers = user_data;
  const GValue *existing;
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, value);

  /* A repeated header becomes an array, as souphttpsrc does. */
  existing = gst_structure_get_value (headers, name);
  if (!existing) {
    gst_structure_take_value (headers, name, &v);
  } else if (GST_VALUE_HOLDS_ARRAY (existing)) {
    GValue array = G_VALUE_INIT;

    g_value_init (&array, GST_TYPE_ARRAY);
    g_value_copy (existing, &array);
    gst_value_array_append_and_take_value (&array, &v);
    gst_structure_take_value (headers, name, &array);
  } else {
    GValue array = G_VALUE_INIT, first = G_VALUE_INIT;

    g_value_init (&array, GST_TYPE_ARRAY);
    g_value_init (&first, G_TYPE_STRING);
    g_value_copy (existing, &first);
    gst_value_array_append_and_take_value (&array, &first);
    gst_value_array_append_and_take_value (&array, &v);
    gst_structure_take_value (headers, name, &array);
  }
}

static GstStructure *
headers_to_structure (const gchar * name, SoupMessageHeaders * headers)
{
  GstStructure *s = gst_structure_new_empty (name);

  if (headers)
    soup_message_headers_foreach (headers, insert_header, s);
  return s;
}

/* Posts the http-headers message now and keeps the sticky event to push
 * before the first buffer of this response. */
static void
gst_p2p_http_src_announce_headers (GstP2pHttpSrc * src, GstP2pHttpFetch * fetch)
{
  GstStructure *s, *req, *resp;
  const gchar *uri = gst_p2p_http_fetch_get_uri (fetch);

  s = gst_structure_new ("http-headers",
      "uri", G_TYPE_STRING, uri,
      "http-status-code", G_TYPE_UINT, gst_p2p_http_fetch_get_status (fetch),
      NULL);
  GST_OBJECT_LOCK (src);
  if (src->redirection_uri)
    gst_structure_set (s, "redirection-uri", G_TYPE_STRING,
        src->redirection_uri, NULL);
  GST_OBJECT_UNLOCK (src);
  req = headers_to_structure ("request-headers",
      gst_p2p_http_fetch_get_request_headers (fetch));
  resp = headers_to_structure ("response-headers",
      gst_p2p_http_fetch_get_response_headers (fetch));
  gst_structure_set (s, "request-headers", GST_TYPE_STRUCTURE, req,
      "response-headers", GST_TYPE_STRUCTURE, resp, NULL);
  gst_structure_free (req);
  gst_structure_free (resp);

  gst_element_post_message (GST_ELEMENT_CAST (src),
      gst_message_new_element (GST_OBJECT_CAST (src), gst_structure_copy (s)));
  gst_clear_event (&src->http_headers_event);
  src->http_headers_event =
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

static void
gst_p2p_http_src_push_headers_event (GstP2pHttpSrc * src)
{
  GstEvent *event = src->http_headers_event;

  src->http_headers_event = NULL;
  if (event)
    gst_pad_push_event (GST_BASE_SRC_PAD (src), event);
}

/* ---------------------------------------------------------------------- */
/* Errors                                                                 */

static void
gst_p2p_http_src_post_status_error (GstP2pHttpSrc * src,
    GstP2pHttpFetch * fetch)
{
  guint status = gst_p2p_http_fetch_get_status (fetch);
  const gchar *reason = gst_p2p_http_fetch_get_reason (fetch);
  const gchar *uri = gst_p2p_http_fetch_get_uri (fetch);
  const gchar *location = NULL;
  SoupMessageHeaders *headers = gst_p2p_http_fetch_get_response_headers (fetch);
  gchar *redirect;

  if (SOUP_STATUS_IS_REDIRECTION (status) && headers)
    location = soup_message_headers_get_one (headers, "Location");
  else if (g_strcmp0 (gst_p2p_http_fetch_get_final_uri (fetch), uri) != 0)
    location = gst_p2p_http_fetch_get_final_uri (fetch);
  redirect = location ? g_strdup_printf (", Redirect to: %s", location) :
      g_strdup ("");

#define STATUS_ERROR(code) \
  GST_ELEMENT_ERROR_WITH_DETAILS (src, RESOURCE, code, \
      ("%s (%u), URL: %s%s", reason ? reason : "Error", status, uri, \
          redirect), \
      ("HTTP %u for %s", status, uri), \
      ("http-status-code", G_TYPE_UINT, status, \
          "http-redirect-uri", G_TYPE_STRING, location, NULL))

  switch (status) {
    case SOUP_STATUS_NOT_FOUND:
      STATUS_ERROR (NOT_FOUND);
      break;
    case SOUP_STATUS_UNAUTHORIZED:
    case SOUP_STATUS_PAYMENT_REQUIRED:
    case SOUP_STATUS_FORBIDDEN:
    case SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED:
      STATUS_ERROR (NOT_AUTHORIZED);
      break;
    default:
      STATUS_ERROR (OPEN_READ);
      break;
  }
#undef STATUS_ERROR
  g_free (redirect);
}

/* No usable response, or the body broke off, after all retries. */
static void
gst_p2p_http_src_post_transport_error (GstP2pHttpSrc * src, GError * error,
    gboolean mid_body)
{
  if (error && error->domain == G_RESOLVER_ERROR) {
    GST_ELEMENT_ERROR (src, RESOURCE, NOT_FOUND,
        ("Could not resolve server name."), ("%s: %s", src->location,
            error->message));
  } else if (error && error->domain == G_TLS_ERROR) {
    GST_ELEMENT_ERROR (src, RESOURCE, OPEN_READ,
        ("Secure connection setup failed."), ("%s: %s", src->location,
            error->message));
  } else if (mid_body) {
    GST_ELEMENT_ERROR (src, RESOURCE, READ,
        ("A network error occurred, or the server closed the connection "
            "unexpectedly."), ("%s: %s", src->location,
            error ? error->message : "unknown"));
  } else {
    GST_ELEMENT_ERROR (src, RESOURCE, OPEN_READ,
        ("Could not establish connection to server."), ("%s: %s",
            src->location, error ? error->message : "unknown"));
  }
}

/* ---------------------------------------------------------------------- */
/* Responses                                                              */

static void
gst_p2p_http_src_set_kind (GstP2pHttpSrc * src, GstP2pRequestKind kind)
{
  gboolean changed;

  GST_OBJECT_LOCK (src);
  changed = src->kind != kind;
  src->kind = kind;
  GST_OBJECT_UNLOCK (src);

  GST_INFO_OBJECT (src, "request %" G_GUINT64_FORMAT " is a %s: %s",
      src->fetches, gst_p2p_request_kind_to_string (kind), src->location);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (src), properties[PROP_REQUEST_KIND]);
}

static void
gst_p2p_http_src_update_size (GstP2pHttpSrc * src, gint64 size)
{
  GstBaseSrc *basesrc = GST_BASE_SRC (src);

  if (size < 0 || size == src->content_size)
    return;
  src->content_size = size;
  GST_DEBUG_OBJECT (src, "size %" G_GINT64_FORMAT, size);
  GST_OBJECT_LOCK (src);
  basesrc->segment.duration = size;
  GST_OBJECT_UNLOCK (src);
  gst_element_post_message (GST_ELEMENT (src),
      gst_message_new_duration_changed (GST_OBJECT (src)));
}

static void
gst_p2p_http_src_handle_icy (GstP2pHttpSrc * src, SoupMessageHeaders * headers)
{
  const gchar *metaint = soup_message_headers_get_one (headers, "icy-metaint");
  static const struct
  {
    const gchar *header;
    const gchar *tag;
  } icy_tags[] = {
    {"icy-name", GST_TAG_ORGANIZATION},
    {"icy-genre", GST_TAG_GENRE},
    {"icy-url", GST_TAG_LOCATION},
  };
  GstTagList *tags = NULL;
  guint i;

  if (metaint) {
    gint64 interval = g_ascii_strtoll (metaint, NULL, 10);

    if (interval > 0 && interval <= G_MAXINT) {
      GstCaps *caps = gst_caps_new_simple ("application/x-icy",
          "metadata-interval", G_TYPE_INT, (gint) interval, NULL);

      gst_base_src_set_caps (GST_BASE_SRC (src), caps);
      gst_caps_unref (caps);
    }
  }
  for (i = 0; i < G_N_ELEMENTS (icy_tags); i++) {
    const gchar *value = soup_message_headers_get_one (headers,
        icy_tags[i].header);
    gchar *utf8;

    if (!value)
      continue;
    /* Shoutcast servers send Latin-1 more often than UTF-8. */
    utf8 = g_utf8_validate (value, -1, NULL) ? g_strdup (value) :
        g_convert (value, -1, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
    if (!utf8)
      continue;
    if (!tags)
      tags = gst_tag_list_new_empty ();
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, icy_tags[i].tag, utf8, NULL);
    g_free (utf8);
  }
  if (tags)
    gst_pad_push_event (GST_BASE_SRC_PAD (src), gst_event_new_tag (tags));
}

/* Streaming thread, once the status line and headers of @fetch are known.
 * Returns OK to read the body, EOS, or ERROR (posted). */
static GstFlowReturn
gst_p2p_http_src_handle_response (GstP2pHttpSrc * src, GstP2pHttpFetch * fetch)
{
  guint status = gst_p2p_http_fetch_get_status (fetch);
  SoupMessageHeaders *headers = gst_p2p_http_fetch_get_response_headers (fetch);
  const gchar *final_uri = gst_p2p_http_fetch_get_final_uri (fetch);
  gboolean is_head = src->method
      && g_ascii_strcasecmp (src->method, "HEAD") == 0;
  guint64 start, stop;
  gint64 total;

  GST_OBJECT_LOCK (src);
  if (final_uri && g_strcmp0 (final_uri, src->location) != 0) {
    g_free (src->redirection_uri);
    src->redirection_uri = g_strdup (final_uri);
    src->redirection_permanent = gst_p2p_http_fetch_is_redirect_permanent
        (fetch);
  }
  GST_OBJECT_UNLOCK (src);

  GST_DEBUG_OBJECT (src, "request %" G_GUINT64_FORMAT ": HTTP %u",
      src->fetches, status);

  if (is_head) {
    /* Clock sync reads the Date header; the status does not matter. */
    gst_p2p_http_src_set_kind (src, src->position_kind ==
        GST_P2P_REQUEST_UNKNOWN ? GST_P2P_REQUEST_CLOCK_SYNC :
        src->position_kind);
    gst_p2p_http_src_announce_headers (src, fetch);
    gst_p2p_http_src_push_headers_event (src);
    return GST_FLOW_EOS;
  }

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE
      && src->read_position > 0) {
    /* Asked for bytes at or past the end: there are none left. */
    GST_DEBUG_OBJECT (src, "416 at %" G_GUINT64_FORMAT ": EOS",
        src->read_position);
    return GST_FLOW_EOS;
  }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    gst_p2p_http_src_announce_headers (src, fetch);
    gst_p2p_http_src_post_status_error (src, fetch);
    return GST_FLOW_ERROR;
  }

  if (gst_p2p_http_fetch_get_content_range (fetch, &start, &stop, &total)) {
    if (start != src->read_position) {
      GST_ELEMENT_ERROR_WITH_DETAILS (src, RESOURCE, SEEK,
          ("Server answered a different range, URL: %s", src->location),
          ("asked for %" G_GUINT64_FORMAT ", got %" G_GUINT64_FORMAT,
              src->read_position, start),
          ("http-status-code", G_TYPE_UINT, status, NULL));
      return GST_FLOW_ERROR;
    }
    gst_p2p_http_src_update_size (src, total);
  } else if (status == SOUP_STATUS_PARTIAL_CONTENT || src->read_position > 0) {
    /* A 200 to a Range request: the server ignores ranges. Reading from 0
     * and dropping bytes would hand the demuxer the wrong data if the
     * resource changed, so do as souphttpsrc: refuse. */
    src->seekable = FALSE;
    GST_ELEMENT_ERROR_WITH_DETAILS (src, RESOURCE, SEEK,
        ("Server does not accept Range HTTP header, URL: %s, Redirect to: %s",
            src->location, final_uri),
        ("HTTP %u to a request from byte %" G_GUINT64_FORMAT, status,
            src->read_position),
        ("http-status-code", G_TYPE_UINT, status, NULL));
    return GST_FLOW_ERROR;
  } else {
    gint64 length = gst_p2p_http_fetch_get_content_length (fetch);

    /* With no Range sent, a 200 body is the whole resource. */
    if (src->stop_position == (guint64) - 1)
      gst_p2p_http_src_update_size (src, length);
    else if (length >= 0)
      gst_p2p_http_src_update_size (src, length);
  }

  if (soup_message_headers_get_one (headers, "Accept-Ranges")
      && g_ascii_strcasecmp (soup_message_headers_get_one (headers,
              "Accept-Ranges"), "none") == 0)
    src->seekable = FALSE;

  if (src->iradio_mode)
    gst_p2p_http_src_handle_icy (src, headers);

  gst_p2p_http_src_announce_headers (src, fetch);
  return GST_FLOW_OK;
}

/* Streaming thread: decides a downloader request's kind from the response
 * and the first chunk, before anything goes downstream. */
static void
gst_p2p_http_src_classify (GstP2pHttpSrc * src, GstP2pHttpFetch * fetch,
    GstBuffer * head)
{
  GstP2pRequestKind kind = src->position_kind;

  if (kind == GST_P2P_REQUEST_UNKNOWN) {
    SoupMessageHeaders *headers =
        gst_p2p_http_fetch_get_response_headers (fetch);
    GstMapInfo map = GST_MAP_INFO_INIT;

    if (head)
      gst_buffer_map (head, &map, GST_MAP_READ);
    kind = gst_p2p_request_kind_from_response (src->method,
        gst_p2p_http_fetch_get_final_uri (fetch),
        headers ? soup_message_headers_get_content_type (headers, NULL) : NULL,
        gst_p2p_http_fetch_get_content_length (fetch), map.data, map.size);
    if (head)
      gst_buffer_unmap (head, &map);
  }
  gst_p2p_http_src_set_kind (src, kind);
}

/* ---------------------------------------------------------------------- */
/* P2P: the engine                                                        */

/* Any thread: a context set by a bin (or the application) brings the
 * pipeline's engine, or says P2P is off for it. */
static void
gst_p2p_http_src_set_context (GstElement * element, GstContext * context)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (element);
  GstP2pEngine *engine;

  if (gst_p2p_engine_context_get (context, &engine)) {
    GST_OBJECT_LOCK (src);
    g_clear_object (&src->context_engine);
    src->context_engine = engine;
    src->have_context = TRUE;
    GST_OBJECT_UNLOCK (src);
    GST_DEBUG_OBJECT (src, "engine from context: %p", engine);
  }
  GST_ELEMENT_CLASS (parent_class)->set_context (element, context);
}

/* Streaming thread, from start(): which engine serves this source, if any.
 * In order: the p2p switch; an engine from a context (the pipeline's, set
 * by the application or by the first source that made one); an engine made
 * from our own properties (which default to the environment), which is then
 * announced as a context so the pipeline's other sources — including the
 * demuxers' parentless downloader sources — share it. No tracker, no
 * engine: a plain CDN source. */
static GstP2pEngine *
gst_p2p_http_src_resolve_engine (GstP2pHttpSrc * src)
{
  GstP2pEngineConfig config;
  GstP2pEngine *engine = NULL;
  GError *error = NULL;
  gboolean have_context;

  GST_OBJECT_LOCK (src);
  if (!src->p2p) {
    GST_OBJECT_UNLOCK (src);
    return NULL;
  }
  have_context = src->have_context;
  GST_OBJECT_UNLOCK (src);

  if (!have_context && !src->asked_context) {
    src->asked_context = TRUE;
    /* bins answer synchronously with gst_element_set_context() */
    gst_element_post_message (GST_ELEMENT (src),
        gst_message_new_need_context (GST_OBJECT (src),
            GST_P2P_ENGINE_CONTEXT_TYPE));
  }

  GST_OBJECT_LOCK (src);
  if (src->have_context) {
    engine = src->context_engine ? g_object_ref (src->context_engine) : NULL;
    GST_OBJECT_UNLOCK (src);
    return engine;
  }
  if (!nonempty (src->tracker)) {
    GST_OBJECT_UNLOCK (src);
    return NULL;
  }
  gst_p2p_engine_config_init (&config);
  config.tracker = src->tracker;
  config.tracker_token = nonempty (src->tracker_token);
  config.trust_key = nonempty (src->trust_key);
  config.stun_server = nonempty (src->stun_server);
  config.turn_server = nonempty (src->turn_server);
  config.swarm_id = nonempty (src->swarm_id);
  config.store_size = src->store_size;
  config.upload = src->upload;
  config.upload_rate = src->upload_rate;
  config.max_uploads = src->max_uploads;
  engine = gst_p2p_engine_get_shared (&config, &error);
  GST_OBJECT_UNLOCK (src);

  if (!engine) {
    GST_ELEMENT_WARNING (src, RESOURCE, SETTINGS,
        ("P2P configuration refused, playing from the CDN only"), ("%s",
            error->message));
    g_clear_error (&error);
    return NULL;
  }

  {
    GstContext *context = gst_p2p_engine_context_new (engine);

    GST_OBJECT_LOCK (src);
    g_clear_object (&src->context_engine);
    src->context_engine = g_object_ref (engine);
    src->have_context = TRUE;
    GST_OBJECT_UNLOCK (src);
    GST_INFO_OBJECT (src, "P2P engine %p, tracker %s", engine,
        gst_p2p_engine_get_tracker (engine));
    gst_element_post_message (GST_ELEMENT (src),
        gst_message_new_have_context (GST_OBJECT (src), context));
  }
  return engine;
}

/* ---------------------------------------------------------------------- */
/* P2P: statistics                                                        */

static GstStructure *
gst_p2p_http_src_stats (GstP2pHttpSrc * src, GstP2pEngine * engine)
{
  GstP2pEngineStats est;
  GstStructure *s;

  gst_p2p_engine_get_stats (engine, &est);
  s = gst_p2p_engine_stats_to_structure (&est, "p2p-stats");
  GST_OBJECT_LOCK (src);
  gst_structure_set (s,
      "source-bytes-from-cdn", G_TYPE_UINT64, src->st_bytes_from_cdn,
      "source-bytes-from-store", G_TYPE_UINT64, src->st_bytes_from_store,
      "source-segments-from-cdn", G_TYPE_UINT64, src->st_segments_from_cdn,
      "source-segments-from-store", G_TYPE_UINT64,
      src->st_segments_from_store,
      "source-deadline-misses", G_TYPE_UINT64, src->st_deadline_misses,
      "source-cdn-fallbacks", G_TYPE_UINT64, src->st_cdn_fallbacks,
      "source-fragments", G_TYPE_UINT64, src->st_fragments, NULL);
  GST_OBJECT_UNLOCK (src);
  return s;
}

static void
gst_p2p_http_src_post_stats (GstP2pHttpSrc * src, GstP2pEngine * engine)
{
  gst_element_post_message (GST_ELEMENT (src),
      gst_message_new_element (GST_OBJECT (src),
          gst_p2p_http_src_stats (src, engine)));
}

typedef struct
{
  GWeakRef src;
  GstP2pEngine *engine;
} StatsTimer;

static void
stats_timer_free (StatsTimer * t)
{
  g_weak_ref_clear (&t->src);
  g_object_unref (t->engine);
  g_free (t);
}

/* Network thread: the periodic p2p-stats while the source exists. */
static gboolean
gst_p2p_http_src_stats_tick (gpointer data)
{
  StatsTimer *t = data;
  GstP2pHttpSrc *src = g_weak_ref_get (&t->src);

  if (!src)
    return G_SOURCE_REMOVE;
  gst_p2p_http_src_post_stats (src, t->engine);
  gst_object_unref (src);
  return G_SOURCE_CONTINUE;
}

/* Streaming thread: a source that carries fragments reports every
 * stats-interval seconds from now on. */
static void
gst_p2p_http_src_start_stats (GstP2pHttpSrc * src, GstP2pEngine * engine)
{
  StatsTimer *t;
  guint interval;

  GST_OBJECT_LOCK (src);
  interval = src->stats_interval;
  if (src->stats_timer || interval == 0) {
    GST_OBJECT_UNLOCK (src);
    return;
  }
  t = g_new0 (StatsTimer, 1);
  g_weak_ref_init (&t->src, src);
  t->engine = g_object_ref (engine);
  src->stats_timer = g_timeout_source_new_seconds (interval);
  g_source_set_callback (src->stats_timer, gst_p2p_http_src_stats_tick, t,
      (GDestroyNotify) stats_timer_free);
  g_source_attach (src->stats_timer,
      gst_p2p_loop_get_context (gst_p2p_loop_get_default ()));
  GST_OBJECT_UNLOCK (src);
}

/* ---------------------------------------------------------------------- */
/* P2P: fragments                                                         */

/* Streaming thread: the source is done with the engine's answer for this
 * range; @complete says the fragment was delivered whole. */
static void
gst_p2p_http_src_engine_end (GstP2pHttpSrc * src, gboolean complete)
{
  GstP2pEngineRequest *req;
  GBytes *body = NULL;

  GST_OBJECT_LOCK (src);
  req = src->engine_req;
  src->engine_req = NULL;
  GST_OBJECT_UNLOCK (src);

  if (req) {
    gboolean served = src->served != NULL;

    if (complete && src->tee_on && src->tee)
      body = g_byte_array_free_to_bytes (g_steal_pointer (&src->tee));
    GST_OBJECT_LOCK (src);
    if (complete) {
      src->st_fragments++;
      if (served)
        src->st_segments_from_store++;
      else if (src->cdn_bytes > 0)
        src->st_segments_from_cdn++;
    }
    GST_OBJECT_UNLOCK (src);
    gst_p2p_engine_request_finish (req, complete, src->cdn_bytes, body,
        src->cdn_total_size, src->cdn_content_type);
    g_clear_pointer (&body, g_bytes_unref);
    gst_p2p_engine_request_unref (req);
  }
  g_clear_pointer (&src->served, g_bytes_unref);
  if (src->tee) {
    g_byte_array_unref (src->tee);
    src->tee = NULL;
  }
  src->tee_on = FALSE;
  src->cdn_bytes = 0;
  src->cdn_total_size = -1;
  g_clear_pointer (&src->cdn_content_type, g_free);
  src->engine_asked = FALSE;
}

/* The http-headers of a fragment served from the store: the structure a
 * CDN response would have (200 or 206, Content-Length, Content-Range), so
 * the demuxer and the application see the same shape. */
static void
gst_p2p_http_src_announce_served (GstP2pHttpSrc * src, GstP2pEngineRequest *
    req, gsize size)
{
  GstStructure *s, *rq, *rs;
  gboolean ranged = src->read_position > 0
      || src->stop_position != (guint64) - 1;
  gint64 total = gst_p2p_engine_request_get_total_size (req);
  const gchar *ctype = gst_p2p_engine_request_get_content_type (req);
  gchar *v;

  rq = gst_structure_new_empty ("request-headers");
  rs = gst_structure_new_empty ("response-headers");
  GST_OBJECT_LOCK (src);
  s = gst_structure_new ("http-headers", "uri", G_TYPE_STRING, src->location,
      "http-status-code", G_TYPE_UINT, ranged ? 206 : 200, NULL);
  if (src->user_agent)
    gst_structure_set (rq, "User-Agent", G_TYPE_STRING,
        g_strchomp (g_strdup (src->user_agent)), NULL);
  if (!src->compress)
    gst_structure_set (rq, "Accept-Encoding", G_TYPE_STRING, "identity", NULL);
  if (src->cookies && src->cookies[0]) {
    v = g_strjoinv ("; ", src->cookies);
    gst_structure_set (rq, "Cookie", G_TYPE_STRING, v, NULL);
    g_free (v);
  }
  if (src->extra_headers) {
    guint i, n = gst_structure_n_fields (src->extra_headers);

    for (i = 0; i < n; i++) {
      const gchar *name = gst_structure_nth_field_name (src->extra_headers, i);
      const GValue *value = gst_structure_get_value (src->extra_headers, name);

      if (G_VALUE_HOLDS_STRING (value))
        gst_structure_set_value (rq, name, value);
    }
  }
  GST_OBJECT_UNLOCK (src);
  if (ranged) {
    v = src->stop_position != (guint64) - 1 ?
        g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
        src->read_position, src->stop_position - 1) :
        g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", src->read_position);
    gst_structure_set (rq, "Range", G_TYPE_STRING, v, NULL);
    g_free (v);
    v = total >= 0 ? g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%"
        G_GUINT64_FORMAT "/%" G_GINT64_FORMAT, src->read_position,
        src->read_position + size - 1, total) :
        g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
        "/*", src->read_position, src->read_position + size - 1);
    gst_structure_set (rs, "Content-Range", G_TYPE_STRING, v, NULL);
    g_free (v);
  }
  v = g_strdup_printf ("%" G_GSIZE_FORMAT, size);
  gst_structure_set (rs, "Content-Length", G_TYPE_STRING, v, NULL);
  g_free (v);
  if (ctype)
    gst_structure_set (rs, "Content-Type", G_TYPE_STRING, ctype, NULL);
  gst_structure_set (rs, "Accept-Ranges", G_TYPE_STRING, "bytes", NULL);
  gst_structure_set (s, "request-headers", GST_TYPE_STRUCTURE, rq,
      "response-headers", GST_TYPE_STRUCTURE, rs, NULL);
  gst_structure_free (rq);
  gst_structure_free (rs);

  gst_element_post_message (GST_ELEMENT_CAST (src),
      gst_message_new_element (GST_OBJECT_CAST (src), gst_structure_copy (s)));
  gst_clear_event (&src->http_headers_event);
  src->http_headers_event =
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);

  if (!ranged)
    gst_p2p_http_src_update_size (src, size);
  else if (total >= 0)
    gst_p2p_http_src_update_size (src, total);
}

/* Streaming thread, before the first byte of a fragment: asks the engine.
 * Returns OK (serve from src->served, or fetch from the CDN as usual) or
 * FLUSHING. */
static GstFlowReturn
gst_p2p_http_src_ask_engine (GstP2pHttpSrc * src)
{
  GstP2pHttpRequest request;
  GstP2pEngineRequest *req;
  GstP2pEngineAnswer answer;
  gint64 timeout = gst_p2p_http_src_timeout_us (src);

  src->engine_asked = TRUE;
  src->tee_start = src->read_position;
  src->cdn_bytes = 0;
  src->cdn_total_size = -1;
  GST_OBJECT_LOCK (src);
  if (src->flushing) {
    GST_OBJECT_UNLOCK (src);
    src->engine_asked = FALSE;
    return GST_FLOW_FLUSHING;
  }
  gst_p2p_http_src_fill_request (src, &request);
  req = gst_p2p_engine_request_fragment (src->engine, src->location,
      src->read_position, src->stop_position, src->session, &request);
  src->engine_req = req;
  GST_OBJECT_UNLOCK (src);

  gst_p2p_http_src_start_stats (src, src->engine);

  /* the engine's own waits end by the player's deadline; ours is the
   * element's timeout (as for a CDN response), 15 s if none */
  answer = gst_p2p_engine_request_wait (req, g_get_monotonic_time () +
      (timeout > 0 ? timeout : 15 * G_USEC_PER_SEC));
  GST_DEBUG_OBJECT (src, "engine says %s (%s) for %s",
      answer == GST_P2P_ENGINE_ANSWER_SERVE ? "serve" :
      answer == GST_P2P_ENGINE_ANSWER_CDN ? "cdn" : "cancelled",
      gst_p2p_engine_request_get_reason (req), src->location);

  switch (answer) {
    case GST_P2P_ENGINE_ANSWER_SERVE:{
      GBytes *data = gst_p2p_engine_request_get_data (req);
      gsize size = g_bytes_get_size (data);

      if (src->stop_position != (guint64) - 1
          && size != src->stop_position - src->read_position) {
        /* cannot happen: the store holds exactly the range; be safe */
        GST_WARNING_OBJECT (src, "stored size %" G_GSIZE_FORMAT " is not "
            "the range's, CDN", size);
        g_bytes_unref (data);
        break;
      }
      src->served = data;
      src->served_start = src->read_position;
      gst_p2p_http_src_set_kind (src, GST_P2P_REQUEST_FRAGMENT);
      gst_p2p_http_src_announce_served (src, req, size);
      break;
    }
    case GST_P2P_ENGINE_ANSWER_CDN:
      if (gst_p2p_engine_request_missed_deadline (req)) {
        GST_OBJECT_LOCK (src);
        src->st_deadline_misses++;
        GST_OBJECT_UNLOCK (src);
      } else if (g_strcmp0 (gst_p2p_engine_request_get_reason (req),
              "wait expired") == 0) {
        GST_OBJECT_LOCK (src);
        src->st_cdn_fallbacks++;
        GST_OBJECT_UNLOCK (src);
      }
      if (gst_p2p_engine_request_wants_bytes (req)) {
        src->tee_on = TRUE;
        src->tee = g_byte_array_new ();
      }
      break;
    case GST_P2P_ENGINE_ANSWER_CANCELLED:
    default:
      gst_p2p_http_src_engine_end (src, FALSE);
      return GST_FLOW_FLUSHING;
  }
  return GST_FLOW_OK;
}

/* Streaming thread: the next chunk of a fragment served from the store. */
static GstFlowReturn
gst_p2p_http_src_serve (GstP2pHttpSrc * src, GstBuffer ** outbuf)
{
  gsize size, offset, n;
  const guint8 *data = g_bytes_get_data (src->served, &size);
  GstBuffer *buf;

  offset = src->read_position - src->served_start;
  if (offset >= size)
    return GST_FLOW_EOS;
  n = MIN (size - offset, SERVE_CHUNK);
  buf = gst_buffer_new ();
  gst_buffer_append_memory (buf,
      gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, (gpointer) data, size,
          offset, n, g_bytes_ref (src->served),
          (GDestroyNotify) g_bytes_unref));
  gst_p2p_http_src_push_headers_event (src);
  GST_BUFFER_OFFSET (buf) = src->read_position;
  GST_BUFFER_OFFSET_END (buf) = src->read_position + n;
  src->read_position += n;
  GST_OBJECT_LOCK (src);
  src->st_bytes_from_store += n;
  GST_OBJECT_UNLOCK (src);
  *outbuf = buf;
  return GST_FLOW_OK;
}

/* Streaming thread: a CDN chunk of a fragment: counted, and kept for the
 * engine when it wants the bytes. */
static void
gst_p2p_http_src_tee (GstP2pHttpSrc * src, GstBuffer * buf)
{
  gsize size = gst_buffer_get_size (buf);

  src->cdn_bytes += size;
  GST_OBJECT_LOCK (src);
  src->st_bytes_from_cdn += size;
  GST_OBJECT_UNLOCK (src);
  if (src->cdn_total_size < 0 && src->content_size >= 0)
    src->cdn_total_size = src->content_size;
  if (!src->tee_on)
    return;
  if (src->tee->len + size > MAX_TEE_SIZE) {
    GST_INFO_OBJECT (src, "fragment larger than %u bytes, not stored",
        MAX_TEE_SIZE);
    src->tee_on = FALSE;
    g_byte_array_set_size (src->tee, 0);
    return;
  }
  {
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_byte_array_append (src->tee, map.data, map.size);
    gst_buffer_unmap (buf, &map);
  }
}

/* ---------------------------------------------------------------------- */
/* P2P: manifests and playlists                                           */

/* Does this look like a playlist or an MPD (not a progressive file)? */
static gboolean
looks_like_manifest (GstBuffer * buf)
{
  GstMapInfo map;
  gboolean yes = FALSE;
  gsize i = 0;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return FALSE;
  if (map.size >= 3 && memcmp (map.data, "\xef\xbb\xbf", 3) == 0)
    i = 3;
  while (i < map.size && g_ascii_isspace (map.data[i]))
    i++;
  yes = (map.size - i >= 7 && memcmp (map.data + i, "#EXTM3U", 7) == 0) ||
      (i < map.size && map.data[i] == '<');
  gst_buffer_unmap (buf, &map);
  return yes;
}

/* Streaming thread: each buffer of a manifest/playlist response; the body
 * goes downstream unchanged and, bounded, into a copy for the engine. */
static void
gst_p2p_http_src_collect_manifest (GstP2pHttpSrc * src, GstBuffer * buf)
{
  GstMapInfo map;

  if (src->manifest_state == 0) {
    GstP2pRequestKind kind;

    GST_OBJECT_LOCK (src);
    kind = src->kind;
    GST_OBJECT_UNLOCK (src);
    /* keys, clock sync, fragments never; a progressive file neither */
    src->manifest_state = (kind == GST_P2P_REQUEST_MANIFEST
        || kind == GST_P2P_REQUEST_PLAYLIST) && GST_BUFFER_OFFSET (buf) == 0
        && looks_like_manifest (buf) ? 1 : -1;
    if (src->manifest_state == 1)
      src->manifest = g_byte_array_new ();
  }
  if (src->manifest_state != 1)
    return;
  if (src->manifest->len + gst_buffer_get_size (buf) >
      GST_P2P_ENGINE_MAX_MANIFEST_SIZE) {
    GST_INFO_OBJECT (src, "%s: larger than %u bytes, not given to the engine",
        src->location, GST_P2P_ENGINE_MAX_MANIFEST_SIZE);
    gst_p2p_engine_note_manifest_too_large (src->engine);
    src->manifest_state = -1;
    g_clear_pointer (&src->manifest, g_byte_array_unref);
    return;
  }
  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_byte_array_append (src->manifest, map.data, map.size);
  gst_buffer_unmap (buf, &map);
}

/* Streaming thread, at the end of a manifest/playlist response. */
static void
gst_p2p_http_src_feed_manifest (GstP2pHttpSrc * src)
{
  GBytes *body;
  gchar *final_uri;

  if (src->manifest_state != 1 || !src->manifest || src->manifest->len == 0) {
    g_clear_pointer (&src->manifest, g_byte_array_unref);
    return;
  }
  body = g_byte_array_free_to_bytes (g_steal_pointer (&src->manifest));
  GST_OBJECT_LOCK (src);
  final_uri = g_strdup (src->redirection_uri ? src->redirection_uri :
      src->location);
  GST_OBJECT_UNLOCK (src);
  GST_DEBUG_OBJECT (src, "%s: %" G_GSIZE_FORMAT " bytes to the engine",
      src->location, g_bytes_get_size (body));
  gst_p2p_engine_feed_manifest (src->engine, src->location, final_uri, body,
      g_get_real_time ());
  g_free (final_uri);
  g_bytes_unref (body);
  src->manifest_state = -1;
}

/* ---------------------------------------------------------------------- */
/* GstBaseSrc                                                             */

static GTlsDatabase *
gst_p2p_http_src_tls_database (GstP2pHttpSrc * src)
{
  GError *error = NULL;
  GTlsDatabase *db;

  if (src->tls_database)
    return g_object_ref (src->tls_database);
  if (!src->ssl_ca_file)
    return NULL;
  db = g_tls_file_database_new (src->ssl_ca_file, &error);
  if (!db) {
    GST_WARNING_OBJECT (src, "ssl-ca-file %s: %s", src->ssl_ca_file,
        error->message);
    g_clear_error (&error);
  }
  return db;
}

static gboolean
gst_p2p_http_src_start (GstBaseSrc * basesrc)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (basesrc);
  GstP2pHttpSessionConfig config = { 0, };
  const gchar *env_proxy = g_getenv ("http_proxy");
  GstP2pHttpSession *session;

  GST_OBJECT_LOCK (src);
  if (!src->location || !*src->location) {
    GST_OBJECT_UNLOCK (src);
    GST_ELEMENT_ERROR (src, RESOURCE, OPEN_READ, ("No URL set."),
        ("Missing location property"));
    return FALSE;
  }
  /* The default proxy (http_proxy) is libsoup's own resolver, which also
   * honours no_proxy; only a proxy set by the application pins one. */
  if (g_strcmp0 (src->proxy, env_proxy ? env_proxy : DEFAULT_PROXY) != 0)
    config.proxy = src->proxy;
  config.tls_database = gst_p2p_http_src_tls_database (src);
  config.tls_interaction = src->tls_interaction ?
      g_object_ref (src->tls_interaction) : NULL;
  config.lax_tls = !src->ssl_strict;
  config.user_id = nonempty (src->user_id);
  config.user_pw = nonempty (src->user_pw);
  config.proxy_id = nonempty (src->proxy_id);
  config.proxy_pw = nonempty (src->proxy_pw);
  session = gst_p2p_http_session_get (&config);
  GST_OBJECT_UNLOCK (src);
  g_clear_object (&config.tls_database);
  g_clear_object (&config.tls_interaction);

  /* Kept until the next start() or finalize, not dropped in stop(): an
   * adaptive demuxer cycles its source through READY for every fragment,
   * and a private session (credentials, proxy) would lose its connections
   * each time. Getting the new one first keeps a shared one alive. */
  if (src->session)
    gst_p2p_http_session_unref (src->session);
  src->session = session;

  src->position_kind = gst_p2p_request_kind_from_parent (GST_ELEMENT (src));
  src->read_position = 0;
  src->stop_position = -1;
  src->content_size = -1;
  src->seekable = TRUE;
  src->retry_count = 0;

  gst_p2p_http_src_engine_end (src, FALSE);
  g_clear_pointer (&src->manifest, g_byte_array_unref);
  src->manifest_state = 0;
  g_clear_object (&src->engine);
  src->engine = gst_p2p_http_src_resolve_engine (src);

  GST_DEBUG_OBJECT (src, "started, position says %s",
      src->position_kind == GST_P2P_REQUEST_UNKNOWN ? "downloader" :
      gst_p2p_request_kind_to_string (src->position_kind));
  return TRUE;
}

static gboolean
gst_p2p_http_src_stop (GstBaseSrc * basesrc)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (basesrc);

  gst_p2p_http_src_drop_fetch (src);
  gst_p2p_http_src_engine_end (src, FALSE);
  g_clear_pointer (&src->manifest, g_byte_array_unref);
  src->manifest_state = 0;
  g_clear_object (&src->engine);
  return TRUE;
}

static gboolean
gst_p2p_http_src_unlock (GstBaseSrc * basesrc)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (basesrc);

  GST_OBJECT_LOCK (src);
  src->flushing = TRUE;
  if (src->fetch)
    gst_p2p_http_fetch_interrupt (src->fetch);
  if (src->engine_req)
    gst_p2p_engine_request_cancel (src->engine_req);
  GST_OBJECT_UNLOCK (src);
  return TRUE;
}

static gboolean
gst_p2p_http_src_unlock_stop (GstBaseSrc * basesrc)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (basesrc);

  GST_OBJECT_LOCK (src);
  src->flushing = FALSE;
  GST_OBJECT_UNLOCK (src);
  return TRUE;
}

static gboolean
gst_p2p_http_src_get_size (GstBaseSrc * basesrc, guint64 * size)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (basesrc);

  if (src->content_size < 0)
    return FALSE;
  *size = src->content_size;
  return TRUE;
}

static gboolean
gst_p2p_http_src_is_seekable (GstBaseSrc * basesrc)
{
  return GST_P2P_HTTP_SRC (basesrc)->seekable;
}

static gboolean
gst_p2p_http_src_do_seek (GstBaseSrc * basesrc, GstSegment * segment)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (basesrc);
  guint64 stop = segment->stop == (guint64) - 1 ? (guint64) - 1 : segment->stop;

  GST_DEBUG_OBJECT (src, "seek to %" G_GUINT64_FORMAT "-%" G_GINT64_FORMAT,
      segment->start, (gint64) stop);

  if (segment->format != GST_FORMAT_BYTES)
    return FALSE;

  /* The initial seek to 0, or a seek to where we are: keep the response. */
  if (segment->start == src->read_position && stop == src->stop_position)
    return TRUE;

  if (!src->seekable && segment->start != src->read_position) {
    GST_WARNING_OBJECT (src, "server does not support ranges");
    return FALSE;
  }

  gst_p2p_http_src_drop_fetch (src);
  gst_p2p_http_src_engine_end (src, FALSE);
  src->read_position = segment->start;
  src->stop_position = stop;
  src->retry_count = 0;
  return TRUE;
}

static gboolean
gst_p2p_http_src_query (GstBaseSrc * basesrc, GstQuery * query)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (basesrc);
  gboolean ret;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_URI:
      GST_OBJECT_LOCK (src);
      gst_query_set_uri (query, src->location);
      if (src->redirection_uri) {
        gst_query_set_uri_redirection (query, src->redirection_uri);
        gst_query_set_uri_redirection_permanent (query,
            src->redirection_permanent);
      }
      GST_OBJECT_UNLOCK (src);
      ret = TRUE;
      break;
    default:
      ret = GST_BASE_SRC_CLASS (parent_class)->query (basesrc, query);
      break;
  }

  if (GST_QUERY_TYPE (query) == GST_QUERY_SCHEDULING) {
    GstSchedulingFlags flags;
    gint minsize, maxsize, align;

    gst_query_parse_scheduling (query, &flags, &minsize, &maxsize, &align);
    flags |= GST_SCHEDULING_FLAG_BANDWIDTH_LIMITED;
    gst_query_set_scheduling (query, flags, minsize, maxsize, align);
  }
  return ret;
}

/* Streaming thread: opens the response for the current range, with
 * retries. Returns OK when a body can be read. */
static GstFlowReturn
gst_p2p_http_src_open (GstP2pHttpSrc * src)
{
  GError *error = NULL;
  GstFlowReturn ret;

  for (;;) {
    GstP2pFetchResult res;

    ret = gst_p2p_http_src_start_fetch (src);
    if (ret != GST_FLOW_OK)
      return ret;

    res = gst_p2p_http_fetch_wait_response (src->fetch,
        gst_p2p_http_src_timeout_us (src), &error);
    switch (res) {
      case GST_P2P_FETCH_OK:
        ret = gst_p2p_http_src_handle_response (src, src->fetch);
        if (ret != GST_FLOW_OK)
          gst_p2p_http_src_drop_fetch (src);
        return ret;
      case GST_P2P_FETCH_CANCELLED:
        g_clear_error (&error);
        gst_p2p_http_src_drop_fetch (src);
        return GST_FLOW_FLUSHING;
      case GST_P2P_FETCH_EOS:
        /* Finished without a response cannot happen; treat as an error. */
      case GST_P2P_FETCH_ERROR:
      case GST_P2P_FETCH_TIMEOUT:
        gst_p2p_http_src_drop_fetch (src);
        if (gst_p2p_http_src_may_retry (src)) {
          src->retry_count++;
          GST_WARNING_OBJECT (src, "request failed (%s), retry %d",
              error ? error->message : "no response", src->retry_count);
          g_clear_error (&error);
          continue;
        }
        gst_p2p_http_src_post_transport_error (src, error, FALSE);
        g_clear_error (&error);
        return GST_FLOW_ERROR;
    }
  }
}

static GstFlowReturn
gst_p2p_http_src_create_from_cdn (GstPushSrc * pushsrc, GstBuffer ** outbuf)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (pushsrc);
  GError *error = NULL;
  GstBuffer *buf = NULL;
  GstFlowReturn ret;
  gsize size;

  for (;;) {
    GstP2pFetchResult res;

    if (src->stop_position != (guint64) - 1
        && src->read_position >= src->stop_position)
      return GST_FLOW_EOS;
    if (src->content_size >= 0
        && src->read_position >= (guint64) src->content_size && !src->fetch)
      return GST_FLOW_EOS;

    if (!src->fetch) {
      ret = gst_p2p_http_src_open (src);
      if (ret != GST_FLOW_OK)
        return ret;
    }

    res = gst_p2p_http_fetch_pop (src->fetch,
        gst_p2p_http_src_timeout_us (src), &buf, &error);
    if (res == GST_P2P_FETCH_OK) {
      if (src->http_headers_event) {
        /* First chunk of a response: its kind is known now. */
        gst_p2p_http_src_classify (src, src->fetch, buf);
      }
      break;
    }
    if (res == GST_P2P_FETCH_CANCELLED) {
      g_clear_error (&error);
      gst_p2p_http_src_drop_fetch (src);
      return GST_FLOW_FLUSHING;
    }
    if (res == GST_P2P_FETCH_EOS) {
      if (src->http_headers_event) {
        /* An empty body: still tell downstream what it was. */
        gst_p2p_http_src_classify (src, src->fetch, NULL);
        gst_p2p_http_src_push_headers_event (src);
      }
      gst_p2p_http_src_drop_fetch (src);
      GST_DEBUG_OBJECT (src, "request %" G_GUINT64_FORMAT " complete at %"
          G_GUINT64_FORMAT, src->fetches, src->read_position);
      if (src->content_size < 0 && src->stop_position == (guint64) - 1)
        gst_p2p_http_src_update_size (src, src->read_position);
      return GST_FLOW_EOS;
    }

    /* The body broke off or stalled: resume from where we are. */
    gst_p2p_http_src_drop_fetch (src);
    if (!gst_p2p_http_src_may_retry (src)) {
      gst_p2p_http_src_post_transport_error (src, error, TRUE);
      g_clear_error (&error);
      return GST_FLOW_ERROR;
    }
    src->retry_count++;
    GST_WARNING_OBJECT (src, "read failed at %" G_GUINT64_FORMAT " (%s), "
        "resuming, retry %d", src->read_position, error ? error->message :
        "?", src->retry_count);
    g_clear_error (&error);
  }

  /* A server that sends more than the range we asked for (a 200 to a
   * request with a stop) must not push past the stop. */
  size = gst_buffer_get_size (buf);
  if (src->stop_position != (guint64) - 1
      && src->read_position + size > src->stop_position) {
    size = src->stop_position - src->read_position;
    gst_buffer_resize (buf, 0, size);
  }

  gst_p2p_http_src_push_headers_event (src);

  GST_BUFFER_OFFSET (buf) = src->read_position;
  GST_BUFFER_OFFSET_END (buf) = src->read_position + size;
  src->read_position += size;
  src->retry_count = 0;
  *outbuf = buf;
  return GST_FLOW_OK;
}

/* Streaming thread. Fragments ask the engine first (served from the store,
 * or from the CDN with the bytes handed back); manifests and playlists are
 * collected for the engine; everything else, and every source without an
 * engine, is the plain CDN path. */
static GstFlowReturn
gst_p2p_http_src_create (GstPushSrc * pushsrc, GstBuffer ** outbuf)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (pushsrc);
  gboolean fragment;
  GstFlowReturn ret;

  if (!src->engine)
    return gst_p2p_http_src_create_from_cdn (pushsrc, outbuf);

  fragment = src->position_kind == GST_P2P_REQUEST_FRAGMENT
      && (!src->method || g_ascii_strcasecmp (src->method, "GET") == 0);
  if (fragment) {
    if (!src->engine_asked && !src->fetch && !src->served) {
      ret = gst_p2p_http_src_ask_engine (src);
      if (ret != GST_FLOW_OK)
        return ret;
    }
    if (src->served) {
      ret = gst_p2p_http_src_serve (src, outbuf);
      if (ret == GST_FLOW_EOS) {
        gst_p2p_http_src_engine_end (src, TRUE);
        gst_p2p_http_src_post_stats (src, src->engine);
      }
      return ret;
    }
  }

  ret = gst_p2p_http_src_create_from_cdn (pushsrc, outbuf);
  if (fragment && src->engine_asked) {
    if (ret == GST_FLOW_OK) {
      gst_p2p_http_src_tee (src, *outbuf);
    } else if (ret == GST_FLOW_EOS) {
      gboolean complete = src->stop_position == (guint64) - 1
          || src->read_position >= src->stop_position;

      /* only the exact range may enter the store */
      if (src->tee_on && src->tee && src->stop_position != (guint64) - 1
          && src->tee->len != src->stop_position - src->tee_start)
        src->tee_on = FALSE;
      if (src->tee_on && src->tee && src->stop_position == (guint64) - 1
          && (src->tee_start != 0 || (src->content_size >= 0
                  && src->tee->len != (guint64) src->content_size)))
        src->tee_on = FALSE;
      gst_p2p_http_src_engine_end (src, complete);
      gst_p2p_http_src_post_stats (src, src->engine);
    }
  } else if (!fragment) {
    if (ret == GST_FLOW_OK)
      gst_p2p_http_src_collect_manifest (src, *outbuf);
    else if (ret == GST_FLOW_EOS)
      gst_p2p_http_src_feed_manifest (src);
  }
  return ret;
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                */

static void
gst_p2p_http_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (object);

  switch (prop_id) {
    case PROP_LOCATION:{
      GError *error = NULL;

      if (!gst_p2p_http_src_set_location (src, g_value_get_string (value),
              &error)) {
        GST_WARNING_OBJECT (src, "%s", error->message);
        g_clear_error (&error);
      }
      return;
    }
    case PROP_IS_LIVE:
      gst_base_src_set_live (GST_BASE_SRC (src), g_value_get_boolean (value));
      return;
    default:
      break;
  }

  GST_OBJECT_LOCK (src);
  switch (prop_id) {
    case PROP_USER_AGENT:
      g_free (src->user_agent);
      src->user_agent = g_value_dup_string (value);
      break;
    case PROP_AUTOMATIC_REDIRECT:
      src->automatic_redirect = g_value_get_boolean (value);
      break;
    case PROP_PROXY:
      g_free (src->proxy);
      src->proxy = g_value_dup_string (value);
      break;
    case PROP_USER_ID:
      g_free (src->user_id);
      src->user_id = g_value_dup_string (value);
      break;
    case PROP_USER_PW:
      g_free (src->user_pw);
      src->user_pw = g_value_dup_string (value);
      break;
    case PROP_PROXY_ID:
      g_free (src->proxy_id);
      src->proxy_id = g_value_dup_string (value);
      break;
    case PROP_PROXY_PW:
      g_free (src->proxy_pw);
      src->proxy_pw = g_value_dup_string (value);
      break;
    case PROP_COOKIES:
      g_strfreev (src->cookies);
      src->cookies = g_value_dup_boxed (value);
      break;
    case PROP_IRADIO_MODE:
      src->iradio_mode = g_value_get_boolean (value);
      break;
    case PROP_TIMEOUT:
      src->timeout = g_value_get_uint (value);
      break;
    case PROP_EXTRA_HEADERS:{
      const GstStructure *s = gst_value_get_structure (value);

      g_clear_pointer (&src->extra_headers, gst_structure_free);
      src->extra_headers = s ? gst_structure_copy (s) : NULL;
      break;
    }
    case PROP_SOUP_LOG_LEVEL:
      src->log_level = g_value_get_enum (value);
      break;
    case PROP_COMPRESS:
      src->compress = g_value_get_boolean (value);
      break;
    case PROP_KEEP_ALIVE:
      src->keep_alive = g_value_get_boolean (value);
      break;
    case PROP_SSL_STRICT:
      src->ssl_strict = g_value_get_boolean (value);
      break;
    case PROP_SSL_CA_FILE:
      g_free (src->ssl_ca_file);
      src->ssl_ca_file = g_value_dup_string (value);
      break;
    case PROP_SSL_USE_SYSTEM_CA_FILE:
      src->ssl_use_system_ca_file = g_value_get_boolean (value);
      break;
    case PROP_TLS_DATABASE:
      g_clear_object (&src->tls_database);
      src->tls_database = g_value_dup_object (value);
      break;
    case PROP_TLS_INTERACTION:
      g_clear_object (&src->tls_interaction);
      src->tls_interaction = g_value_dup_object (value);
      break;
    case PROP_RETRIES:
      src->retries = g_value_get_int (value);
      break;
    case PROP_METHOD:
      g_free (src->method);
      src->method = g_value_dup_string (value);
      break;
    case PROP_P2P:
      src->p2p = g_value_get_boolean (value);
      break;
    case PROP_TRACKER:
      g_free (src->tracker);
      src->tracker = g_value_dup_string (value);
      break;
    case PROP_TRACKER_TOKEN:
      g_free (src->tracker_token);
      src->tracker_token = g_value_dup_string (value);
      break;
    case PROP_TRUST_KEY:
      g_free (src->trust_key);
      src->trust_key = g_value_dup_string (value);
      break;
    case PROP_STUN_SERVER:
      g_free (src->stun_server);
      src->stun_server = g_value_dup_string (value);
      break;
    case PROP_TURN_SERVER:
      g_free (src->turn_server);
      src->turn_server = g_value_dup_string (value);
      break;
    case PROP_SWARM_ID:
      g_free (src->swarm_id);
      src->swarm_id = g_value_dup_string (value);
      break;
    case PROP_STORE_SIZE:
      src->store_size = g_value_get_uint64 (value);
      break;
    case PROP_UPLOAD:
      src->upload = g_value_get_boolean (value);
      break;
    case PROP_UPLOAD_RATE:
      src->upload_rate = g_value_get_uint64 (value);
      break;
    case PROP_MAX_UPLOADS:
      src->max_uploads = g_value_get_uint (value);
      break;
    case PROP_STATS_INTERVAL:
      src->stats_interval = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (src);
}

static void
gst_p2p_http_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (object);

  if (prop_id == PROP_IS_LIVE) {
    g_value_set_boolean (value, gst_base_src_is_live (GST_BASE_SRC (src)));
    return;
  }

  GST_OBJECT_LOCK (src);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, src->location);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, src->user_agent);
      break;
    case PROP_AUTOMATIC_REDIRECT:
      g_value_set_boolean (value, src->automatic_redirect);
      break;
    case PROP_PROXY:
      g_value_set_string (value, src->proxy);
      break;
    case PROP_USER_ID:
      g_value_set_string (value, src->user_id);
      break;
    case PROP_USER_PW:
      g_value_set_string (value, src->user_pw);
      break;
    case PROP_PROXY_ID:
      g_value_set_string (value, src->proxy_id);
      break;
    case PROP_PROXY_PW:
      g_value_set_string (value, src->proxy_pw);
      break;
    case PROP_COOKIES:
      g_value_set_boxed (value, src->cookies);
      break;
    case PROP_IRADIO_MODE:
      g_value_set_boolean (value, src->iradio_mode);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, src->timeout);
      break;
    case PROP_EXTRA_HEADERS:
      gst_value_set_structure (value, src->extra_headers);
      break;
    case PROP_SOUP_LOG_LEVEL:
      g_value_set_enum (value, src->log_level);
      break;
    case PROP_COMPRESS:
      g_value_set_boolean (value, src->compress);
      break;
    case PROP_KEEP_ALIVE:
      g_value_set_boolean (value, src->keep_alive);
      break;
    case PROP_SSL_STRICT:
      g_value_set_boolean (value, src->ssl_strict);
      break;
    case PROP_SSL_CA_FILE:
      g_value_set_string (value, src->ssl_ca_file);
      break;
    case PROP_SSL_USE_SYSTEM_CA_FILE:
      g_value_set_boolean (value, src->ssl_use_system_ca_file);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, src->tls_database);
      break;
    case PROP_TLS_INTERACTION:
      g_value_set_object (value, src->tls_interaction);
      break;
    case PROP_RETRIES:
      g_value_set_int (value, src->retries);
      break;
    case PROP_METHOD:
      g_value_set_string (value, src->method);
      break;
    case PROP_REQUEST_KIND:
      g_value_set_enum (value, src->kind);
      break;
    case PROP_P2P:
      g_value_set_boolean (value, src->p2p);
      break;
    case PROP_TRACKER:
      g_value_set_string (value, src->tracker);
      break;
    case PROP_TRACKER_TOKEN:
      g_value_set_string (value, src->tracker_token);
      break;
    case PROP_TRUST_KEY:
      g_value_set_string (value, src->trust_key);
      break;
    case PROP_STUN_SERVER:
      g_value_set_string (value, src->stun_server);
      break;
    case PROP_TURN_SERVER:
      g_value_set_string (value, src->turn_server);
      break;
    case PROP_SWARM_ID:
      g_value_set_string (value, src->swarm_id);
      break;
    case PROP_STORE_SIZE:
      g_value_set_uint64 (value, src->store_size);
      break;
    case PROP_UPLOAD:
      g_value_set_boolean (value, src->upload);
      break;
    case PROP_UPLOAD_RATE:
      g_value_set_uint64 (value, src->upload_rate);
      break;
    case PROP_MAX_UPLOADS:
      g_value_set_uint (value, src->max_uploads);
      break;
    case PROP_STATS_INTERVAL:
      g_value_set_uint (value, src->stats_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (src);
}

static void
gst_p2p_http_src_finalize (GObject * object)
{
  GstP2pHttpSrc *src = GST_P2P_HTTP_SRC (object);

  g_free (src->location);
  g_free (src->redirection_uri);
  g_free (src->user_agent);
  g_free (src->proxy);
  g_free (src->user_id);
  g_free (src->user_pw);
  g_free (src->proxy_id);
  g_free (src->proxy_pw);
  g_strfreev (src->cookies);
  g_clear_pointer (&src->extra_headers, gst_structure_free);
  g_free (src->ssl_ca_file);
  g_clear_object (&src->tls_database);
  g_clear_object (&src->tls_interaction);
  g_free (src->method);
  gst_p2p_http_src_engine_end (src, FALSE);
  g_clear_pointer (&src->manifest, g_byte_array_unref);
  if (src->stats_timer) {
    g_source_destroy (src->stats_timer);
    g_source_unref (src->stats_timer);
  }
  g_clear_object (&src->engine);
  g_clear_object (&src->context_engine);
  g_free (src->tracker);
  g_free (src->tracker_token);
  g_free (src->trust_key);
  g_free (src->stun_server);
  g_free (src->turn_server);
  g_free (src->swarm_id);
  g_free (src->cdn_content_type);
  g_clear_pointer (&src->session, gst_p2p_http_session_unref);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_p2p_http_src_init (GstP2pHttpSrc * src)
{
  const gchar *env_proxy = g_getenv ("http_proxy");

  /* Like souphttpsrc: unset strings start as NULL, not as the default. */
  src->user_agent = g_strdup (DEFAULT_USER_AGENT);
  src->automatic_redirect = DEFAULT_AUTOMATIC_REDIRECT;
  /* Like souphttpsrc, the property shows the environment's proxy. */
  src->proxy = g_strdup (env_proxy ? env_proxy : DEFAULT_PROXY);
  src->iradio_mode = DEFAULT_IRADIO_MODE;
  src->timeout = DEFAULT_TIMEOUT;
  src->log_level = DEFAULT_SOUP_LOG_LEVEL;
  src->compress = DEFAULT_COMPRESS;
  src->keep_alive = DEFAULT_KEEP_ALIVE;
  src->ssl_strict = DEFAULT_SSL_STRICT;
  src->ssl_use_system_ca_file = INITIAL_SSL_USE_SYSTEM_CA_FILE;
  src->retries = DEFAULT_RETRIES;
  src->method = g_strdup (DEFAULT_METHOD);
  src->kind = GST_P2P_REQUEST_UNKNOWN;
  src->content_size = -1;
  src->stop_position = -1;
  src->seekable = TRUE;

  /* P2P settings start from the environment, so players that cannot set
   * properties on the sources their demuxers create still configure them */
  {
    GstP2pEngineConfig env;

    gst_p2p_engine_config_init_from_env (&env);
    src->p2p = DEFAULT_P2P;
    src->tracker = g_strdup (env.tracker);
    src->tracker_token = g_strdup (env.tracker_token);
    src->trust_key = g_strdup (env.trust_key);
    src->stun_server = g_strdup (env.stun_server);
    src->turn_server = g_strdup (env.turn_server);
    src->swarm_id = g_strdup (env.swarm_id);
    src->store_size = DEFAULT_STORE_SIZE;
    src->upload = env.upload;
    src->upload_rate = DEFAULT_UPLOAD_RATE;
    src->max_uploads = DEFAULT_MAX_UPLOADS;
    src->stats_interval = DEFAULT_STATS_INTERVAL;
    src->cdn_total_size = -1;
  }

  gst_base_src_set_format (GST_BASE_SRC (src), GST_FORMAT_BYTES);
  gst_base_src_set_automatic_eos (GST_BASE_SRC (src), FALSE);
}

static void
gst_p2p_http_src_class_init (GstP2pHttpSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  GST_DEBUG_CATEGORY_INIT (p2phttpsrc_debug, "p2phttpsrc", 0,
      "gst-p2p HTTP source");

  gobject_class->set_property = gst_p2p_http_src_set_property;
  gobject_class->get_property = gst_p2p_http_src_get_property;
  gobject_class->finalize = gst_p2p_http_src_finalize;

  /**
   * GstP2pHttpSrc:location:
   *
   * The http or https URI to read. Set through the URI handler by playbin and
   * the adaptive demuxers.
   */
  properties[PROP_LOCATION] = g_param_spec_string ("location", "Location",
      "Location to read from", DEFAULT_LOCATION, rw);
  /**
   * GstP2pHttpSrc:is-live:
   *
   * Act like a live source (timestamps, no preroll), as souphttpsrc.
   */
  properties[PROP_IS_LIVE] = g_param_spec_boolean ("is-live", "is-live",
      "Act like a live source", DEFAULT_IS_LIVE, rw);
  /**
   * GstP2pHttpSrc:user-agent:
   *
   * The User-Agent request header. A trailing space appends libsoup's
   * version. The default keeps souphttpsrc's prefix and adds p2phttpsrc's.
   */
  properties[PROP_USER_AGENT] = g_param_spec_string ("user-agent",
      "User-Agent", "Value of the User-Agent HTTP request header field",
      DEFAULT_USER_AGENT, rw);
  /**
   * GstP2pHttpSrc:automatic-redirect:
   *
   * Follow 3xx redirects. When off, a redirect is an error carrying
   * http-redirect-uri in its details.
   */
  properties[PROP_AUTOMATIC_REDIRECT] = g_param_spec_boolean
      ("automatic-redirect", "automatic-redirect",
      "Automatically follow HTTP redirects (HTTP Status Code 3xx)",
      DEFAULT_AUTOMATIC_REDIRECT, rw);
  /**
   * GstP2pHttpSrc:proxy:
   *
   * HTTP proxy URI. Defaults to the http_proxy environment variable; an
   * empty string with no http_proxy set means no proxy.
   */
  properties[PROP_PROXY] = g_param_spec_string ("proxy", "Proxy",
      "HTTP proxy server URI", DEFAULT_PROXY, rw);
  /**
   * GstP2pHttpSrc:user-id:
   *
   * User name for HTTP authentication (Basic or Digest) with the server.
   */
  properties[PROP_USER_ID] = g_param_spec_string ("user-id", "user-id",
      "HTTP location URI user id for authentication", DEFAULT_USER_ID, rw);
  /**
   * GstP2pHttpSrc:user-pw:
   *
   * Password for HTTP authentication with the server.
   */
  properties[PROP_USER_PW] = g_param_spec_string ("user-pw", "user-pw",
      "HTTP location URI user password for authentication", DEFAULT_USER_PW,
      rw);
  /**
   * GstP2pHttpSrc:proxy-id:
   *
   * User name for authentication with the proxy.
   */
  properties[PROP_PROXY_ID] = g_param_spec_string ("proxy-id", "proxy-id",
      "HTTP proxy URI user id for authentication", DEFAULT_PROXY_ID, rw);
  /**
   * GstP2pHttpSrc:proxy-pw:
   *
   * Password for authentication with the proxy.
   */
  properties[PROP_PROXY_PW] = g_param_spec_string ("proxy-pw", "proxy-pw",
      "HTTP proxy URI user password for authentication", DEFAULT_PROXY_PW, rw);
  /**
   * GstP2pHttpSrc:cookies:
   *
   * Cookies sent with every request, as "name=value" strings.
   */
  properties[PROP_COOKIES] = g_param_spec_boxed ("cookies", "Cookies",
      "HTTP request cookies", G_TYPE_STRV, rw);
  /**
   * GstP2pHttpSrc:iradio-mode:
   *
   * Ask Shoutcast/Icecast servers for interleaved metadata (icy-metadata)
   * and output application/x-icy when they send it.
   */
  properties[PROP_IRADIO_MODE] = g_param_spec_boolean ("iradio-mode",
      "iradio-mode",
      "Enable internet radio mode (ask server to send shoutcast/icecast "
      "metadata interleaved with the actual stream data)",
      DEFAULT_IRADIO_MODE, rw);
  /**
   * GstP2pHttpSrc:timeout:
   *
   * Seconds without any progress (no response, no byte) after which a
   * request fails; it is then retried (see retries). 0 disables it.
   */
  properties[PROP_TIMEOUT] = g_param_spec_uint ("timeout", "timeout",
      "Value in seconds to timeout a blocking I/O (0 = No timeout).", 0,
      3600, DEFAULT_TIMEOUT, rw);
  /**
   * GstP2pHttpSrc:extra-headers:
   *
   * Extra request headers: each field is a header; array and list values
   * repeat the header.
   */
  properties[PROP_EXTRA_HEADERS] = g_param_spec_boxed ("extra-headers",
      "Extra Headers", "Extra headers to append to the HTTP request",
      GST_TYPE_STRUCTURE, rw);
  /**
   * GstP2pHttpSrc:http-log-level:
   *
   * How much of each HTTP exchange to log, at TRACE level of p2p-http.
   */
  properties[PROP_SOUP_LOG_LEVEL] = g_param_spec_enum ("http-log-level",
      "HTTP log level", "Set log level for soup's HTTP session log",
      SOUP_TYPE_LOGGER_LOG_LEVEL, DEFAULT_SOUP_LOG_LEVEL, rw);
  /**
   * GstP2pHttpSrc:compress:
   *
   * Allow gzip/deflate/br content encodings, decoded before output. Off
   * sends Accept-Encoding: identity.
   */
  properties[PROP_COMPRESS] = g_param_spec_boolean ("compress", "Compress",
      "Allow compressed content encodings", DEFAULT_COMPRESS, rw);
  /**
   * GstP2pHttpSrc:keep-alive:
   *
   * Reuse connections. Off sends Connection: close.
   */
  properties[PROP_KEEP_ALIVE] = g_param_spec_boolean ("keep-alive",
      "keep-alive", "Use HTTP persistent connections", DEFAULT_KEEP_ALIVE, rw);
  /**
   * GstP2pHttpSrc:ssl-strict:
   *
   * Refuse servers whose TLS certificate does not validate.
   */
  properties[PROP_SSL_STRICT] = g_param_spec_boolean ("ssl-strict",
      "SSL Strict", "Strict SSL certificate checking", DEFAULT_SSL_STRICT, rw);
  /**
   * GstP2pHttpSrc:ssl-ca-file:
   *
   * A PEM file of CA certificates to validate servers with, instead of the
   * system's (ignored when tls-database is set).
   */
  properties[PROP_SSL_CA_FILE] = g_param_spec_string ("ssl-ca-file",
      "SSL CA File", "Location of a SSL anchor CA file to use", NULL, rw);
  /**
   * GstP2pHttpSrc:ssl-use-system-ca-file:
   *
   * Kept for compatibility: with libsoup 3 the system CAs are always used
   * unless ssl-ca-file or tls-database replace them.
   */
  properties[PROP_SSL_USE_SYSTEM_CA_FILE] = g_param_spec_boolean
      ("ssl-use-system-ca-file", "Use System CA File", "Use system CA file",
      DEFAULT_SSL_USE_SYSTEM_CA_FILE, rw);
  /**
   * GstP2pHttpSrc:tls-database:
   *
   * The GTlsDatabase used to validate server certificates.
   */
  properties[PROP_TLS_DATABASE] = g_param_spec_object ("tls-database",
      "TLS database",
      "TLS database with anchor certificate authorities used to validate "
      "the server certificate", G_TYPE_TLS_DATABASE, rw);
  /**
   * GstP2pHttpSrc:tls-interaction:
   *
   * The GTlsInteraction for client certificates and passwords.
   */
  properties[PROP_TLS_INTERACTION] = g_param_spec_object ("tls-interaction",
      "TLS interaction",
      "A GTlsInteraction object to be used when the connection or "
      "certificate database need to interact with the user.",
      G_TYPE_TLS_INTERACTION, rw);
  /**
   * GstP2pHttpSrc:retries:
   *
   * How often a failed or stalled request is retried (resuming with a
   * Range from the last byte received) before an error; -1: forever.
   */
  properties[PROP_RETRIES] = g_param_spec_int ("retries", "Retries",
      "Maximum number of retries until giving up (-1=infinite)", -1,
      G_MAXINT, DEFAULT_RETRIES, rw);
  /**
   * GstP2pHttpSrc:method:
   *
   * The HTTP method; NULL means GET. HEAD ends in EOS after the headers
   * and never errors.
   */
  properties[PROP_METHOD] = g_param_spec_string ("method", "HTTP method",
      "The HTTP method to use (GET, HEAD, OPTIONS, etc)", DEFAULT_METHOD, rw);
  /**
   * GstP2pHttpSrc:request-kind:
   *
   * What the current or last request is: a media fragment of an adaptive
   * demuxer (the only kind ever exchanged with peers), the top-level
   * manifest, a playlist, a key, clock sync or another download. Final
   * before the response's http-headers event goes downstream.
   */
  properties[PROP_REQUEST_KIND] = g_param_spec_enum ("request-kind",
      "Request kind", "What the current request is for (only fragments may "
      "come from peers)", GST_TYPE_P2P_REQUEST_KIND, GST_P2P_REQUEST_UNKNOWN,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstP2pHttpSrc:p2p:
   *
   * Master switch of peer-assisted delivery for this source. Off, the
   * source never talks to the engine: a plain CDN source. Sources inside a
   * pipeline share the engine of the first source that made one (a
   * GstContext), so switching it off on playbin's source (source-setup)
   * switches it off for that source only; use a context without engine
   * (gst_p2p_engine_context_new (NULL)) to switch a whole pipeline off.
   */
  properties[PROP_P2P] = g_param_spec_boolean ("p2p", "P2P",
      "Peer-assisted delivery of media fragments (needs a tracker)",
      DEFAULT_P2P, rw);
  /**
   * GstP2pHttpSrc:tracker:
   *
   * URL of the gst-p2p tracker (ws:// or wss://). Without one the source
   * is a plain CDN source. Default: the GST_P2P_TRACKER environment
   * variable.
   */
  properties[PROP_TRACKER] = g_param_spec_string ("tracker", "Tracker",
      "Tracker URL; none = CDN only (default: $GST_P2P_TRACKER)", NULL, rw);
  /**
   * GstP2pHttpSrc:tracker-token:
   *
   * Join token presented to the tracker. Default: GST_P2P_TOKEN.
   */
  properties[PROP_TRACKER_TOKEN] = g_param_spec_string ("tracker-token",
      "Tracker token", "Token for joining the tracker (default: "
      "$GST_P2P_TOKEN)", NULL, rw);
  /**
   * GstP2pHttpSrc:trust-key:
   *
   * The operator's public key(s) (base64 Ed25519 or a file path, comma
   * separated) that sign segment hashes; segments from peers are only used
   * when they match a signed hash. Default: GST_P2P_TRUST_KEY.
   */
  properties[PROP_TRUST_KEY] = g_param_spec_string ("trust-key", "Trust key",
      "Operator public key(s) for segment hashes (default: "
      "$GST_P2P_TRUST_KEY)", NULL, rw);
  /**
   * GstP2pHttpSrc:stun-server:
   *
   * STUN server "host:port" for peer connections. Default: GST_P2P_STUN.
   */
  properties[PROP_STUN_SERVER] = g_param_spec_string ("stun-server",
      "STUN server", "STUN server host:port (default: $GST_P2P_STUN)", NULL,
      rw);
  /**
   * GstP2pHttpSrc:turn-server:
   *
   * TURN server "turn://user:password@host:port" for peer connections
   * behind symmetric NATs. Default: GST_P2P_TURN.
   */
  properties[PROP_TURN_SERVER] = g_param_spec_string ("turn-server",
      "TURN server", "TURN server turn://user:pass@host:port (default: "
      "$GST_P2P_TURN)", NULL, rw);
  /**
   * GstP2pHttpSrc:swarm-id:
   *
   * Overrides how swarm ids are derived: a template with {manifest},
   * {scheme}, {host}, {port}, {path}, {rendition} (docs/stream.md); a fixed
   * string is a fixed id per event. Default: GST_P2P_SWARM_ID.
   */
  properties[PROP_SWARM_ID] = g_param_spec_string ("swarm-id", "Swarm id",
      "Swarm id template override (default: $GST_P2P_SWARM_ID)", NULL, rw);
  /**
   * GstP2pHttpSrc:store-size:
   *
   * Bytes of verified segments kept in memory to serve the player and
   * peers.
   */
  properties[PROP_STORE_SIZE] = g_param_spec_uint64 ("store-size",
      "Store size", "Segment store budget in bytes", 1024 * 1024,
      G_MAXUINT64, DEFAULT_STORE_SIZE, rw);
  /**
   * GstP2pHttpSrc:upload:
   *
   * Serve segments to other viewers. Off on metered links; GST_P2P_UPLOAD=0
   * switches it off by default.
   */
  properties[PROP_UPLOAD] = g_param_spec_boolean ("upload", "Upload",
      "Upload segments to other viewers (default: off if $GST_P2P_UPLOAD=0)",
      DEFAULT_UPLOAD, rw);
  /**
   * GstP2pHttpSrc:upload-rate:
   *
   * Cap of the upload rate in bytes per second, 0 for none.
   */
  properties[PROP_UPLOAD_RATE] = g_param_spec_uint64 ("upload-rate",
      "Upload rate", "Upload cap in bytes/s (0 = none)", 0, G_MAXUINT64,
      DEFAULT_UPLOAD_RATE, rw);
  /**
   * GstP2pHttpSrc:max-uploads:
   *
   * Uploads at the same time (one by default: docs/scheduler.md).
   */
  properties[PROP_MAX_UPLOADS] = g_param_spec_uint ("max-uploads",
      "Max uploads", "Concurrent uploads to other viewers", 1, 64,
      DEFAULT_MAX_UPLOADS, rw);
  /**
   * GstP2pHttpSrc:stats-interval:
   *
   * Seconds between the "p2p-stats" element messages of a source that
   * carries fragments (also posted at the end of each fragment); 0: none
   * periodic.
   */
  properties[PROP_STATS_INTERVAL] = g_param_spec_uint ("stats-interval",
      "Statistics interval", "Seconds between p2p-stats messages (0 = only "
      "at fragment ends)", 0, 3600, DEFAULT_STATS_INTERVAL, rw);

  g_object_class_install_properties (gobject_class, N_PROPERTIES, properties);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "HTTP client source, peer-assisted", "Source/Network",
      "Receives data as a client over the network via HTTP; media fragments "
      "of live HLS/DASH streams may come from other viewers",
      "gst-p2p developers");

  element_class->set_context = GST_DEBUG_FUNCPTR (gst_p2p_http_src_set_context);
  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_p2p_http_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_p2p_http_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_p2p_http_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_p2p_http_src_unlock_stop);
  basesrc_class->get_size = GST_DEBUG_FUNCPTR (gst_p2p_http_src_get_size);
  basesrc_class->is_seekable = GST_DEBUG_FUNCPTR (gst_p2p_http_src_is_seekable);
  basesrc_class->do_seek = GST_DEBUG_FUNCPTR (gst_p2p_http_src_do_seek);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_p2p_http_src_query);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_p2p_http_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_P2P_REQUEST_KIND, 0);
}
