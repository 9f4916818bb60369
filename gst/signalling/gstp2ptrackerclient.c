/* GstP2pTrackerClient: one membership of a swarm on gst-p2p-tracker. See
 * gstp2ptrackerclient.h and docs/signalling.md.
 *
 * Threads: everything runs on the GstP2pLoop thread; its GMainContext is the
 * thread-default context there, so the SoupSession created in start()
 * dispatches its callbacks on it, and our own timers are attached to it
 * explicitly (g_timeout_add() would use the global default context).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "gstp2p.h"
#include "net/gstp2ploop.h"
#include "signalling/gstp2pbackoff.h"
#include "signalling/gstp2psignalmessage.h"
#include "signalling/gstp2ptrackerclient.h"

GST_DEBUG_CATEGORY_STATIC (p2p_tracker_debug);
#define GST_CAT_DEFAULT p2p_tracker_debug

/* Peer lists of up to 1000 peers with 1 KiB of capabilities each fit. */
#define MAX_INCOMING (1024 * 1024)
/* A signal older than this is useless: ICE would have timed out. */
#define QUEUE_MAX_AGE_US (10 * G_USEC_PER_SEC)
/* The tracker is declared dead after this many ping intervals of silence. */
#define DEAD_INTERVALS 3

#define DEFAULT_PEERS_INTERVAL 30
#define DEFAULT_BACKOFF_MIN 500
#define DEFAULT_BACKOFF_MAX 30000
#define DEFAULT_MAX_QUEUE 64
#define DEFAULT_PING_INTERVAL 15

typedef struct
{
  gint64 queued_us;
  gchar *text;
} Pending;

struct _GstP2pTrackerClient
{
  GObject parent;

  /* properties */
  gchar *url;
  gchar *swarm;
  gchar *token;
  gchar *requested_peer_id;
  JsonNode *caps;
  guint peers_interval;
  guint backoff_min;
  guint backoff_max;
  guint max_queue;
  GTlsDatabase *tls_database;

  GstP2pTrackerClientState state;
  gchar *peer_id;
  GMainContext *context;
  SoupSession *session;
  SoupWebsocketConnection *conn;
  GCancellable *cancel;
  GSource *retry_source;
  GSource *ping_source;
  GSource *peers_source;
  guint attempt;
  guint ping_interval;
  guint max_message_size;
  gint64 last_rx_us;
  GQueue pending;               /* Pending*, bounded by max_queue */
  GstP2pTrackerClientStats stats;
};

enum
{
  PROP_0,
  PROP_URL,
  PROP_SWARM,
  PROP_TOKEN,
  PROP_PEER_ID,
  PROP_CAPS,
  PROP_STATE,
  PROP_PEERS_INTERVAL,
  PROP_BACKOFF_MIN,
  PROP_BACKOFF_MAX,
  PROP_MAX_QUEUE,
  PROP_TLS_DATABASE,
  N_PROPS
};

enum
{
  SIGNAL_JOINED,
  SIGNAL_PEERS,
  SIGNAL_SIGNAL,
  SIGNAL_PUBLISH,
  SIGNAL_TRACKER_ERROR,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (GstP2pTrackerClient, gst_p2p_tracker_client, G_TYPE_OBJECT);

GType
gst_p2p_tracker_client_state_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_P2P_TRACKER_CLIENT_STOPPED, "Stopped", "stopped"},
    {GST_P2P_TRACKER_CLIENT_CONNECTING, "Connecting", "connecting"},
    {GST_P2P_TRACKER_CLIENT_JOINING, "Joining", "joining"},
    {GST_P2P_TRACKER_CLIENT_JOINED, "Joined", "joined"},
    {GST_P2P_TRACKER_CLIENT_BACKOFF, "Waiting to reconnect", "backoff"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstP2pTrackerClientState", values));
  return type;
}

static void connect_now (GstP2pTrackerClient * self);

static gboolean
on_loop (void)
{
  return gst_p2p_loop_is_current (gst_p2p_loop_get_default ());
}

static void
set_state (GstP2pTrackerClient * self, GstP2pTrackerClientState state)
{
  if (self->state == state)
    return;
  GST_DEBUG_OBJECT (self, "state %d -> %d", self->state, state);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

static GSource *
add_timeout (GstP2pTrackerClient * self, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

static void
clear_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static void
pending_free (Pending * p)
{
  g_free (p->text);
  g_free (p);
}

static void
drop_connection (GstP2pTrackerClient * self, gushort code, const gchar * why)
{
  clear_source (&self->ping_source);
  clear_source (&self->peers_source);
  if (self->conn) {
    g_signal_handlers_disconnect_by_data (self->conn, self);
    if (soup_websocket_connection_get_state (self->conn) ==
        SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (self->conn, code, why);
    g_clear_object (&self->conn);
  }
}

static gboolean
retry_cb (gpointer data)
{
  GstP2pTrackerClient *self = data;

  clear_source (&self->retry_source);
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (GstP2pTrackerClient * self)
{
  guint ms = gst_p2p_backoff_delay_ms (self->attempt, self->backoff_min,
      self->backoff_max, g_random_double ());

  self->attempt++;
  set_state (self, GST_P2P_TRACKER_CLIENT_BACKOFF);
  clear_source (&self->retry_source);
  GST_INFO_OBJECT (self, "reconnecting to %s in %u ms (attempt %u)",
      self->url, ms, self->attempt);
  self->retry_source = add_timeout (self, ms, retry_cb);
}

/* Connection lost or given up: forget it and try again later. */
static void
lose_connection (GstP2pTrackerClient * self, const gchar * why)
{
  GST_WARNING_OBJECT (self, "tracker connection lost: %s", why);
  if (self->conn)
    self->stats.disconnects++;
  drop_connection (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, why);
  schedule_reconnect (self);
}

static void
send_text (GstP2pTrackerClient * self, const gchar * text)
{
  soup_websocket_connection_send_text (self->conn, text);
}

static gchar *
builder_to_text (JsonBuilder * b)
{
  JsonNode *root = json_builder_get_root (b);
  gchar *text = gst_p2p_signal_node_to_string (root);

  json_node_unref (root);
  g_object_unref (b);
  return text;
}

static void
flush_pending (GstP2pTrackerClient * self)
{
  gint64 now = g_get_monotonic_time ();
  Pending *p;

  while ((p = g_queue_pop_head (&self->pending))) {
    if (now - p->queued_us > QUEUE_MAX_AGE_US) {
      self->stats.signals_dropped++;
    } else {
      send_text (self, p->text);
      self->stats.signals_sent++;
    }
    pending_free (p);
  }
}

static gboolean
ping_cb (gpointer data)
{
  GstP2pTrackerClient *self = data;
  gint64 silent = g_get_monotonic_time () - self->last_rx_us;

  if (silent > (gint64) DEAD_INTERVALS * self->ping_interval * G_USEC_PER_SEC) {
    lose_connection (self, "no message from the tracker");
    return G_SOURCE_REMOVE;
  }
  send_text (self, "{\"type\":\"ping\"}");
  return G_SOURCE_CONTINUE;
}

static gboolean
peers_cb (gpointer data)
{
  gst_p2p_tracker_client_request_peers (data);
  return G_SOURCE_CONTINUE;
}

static void
handle_welcome (GstP2pTrackerClient * self, JsonObject * msg)
{
  const gchar *peer = NULL;
  gint64 ping = DEFAULT_PING_INTERVAL, max_size = self->max_message_size;

  if (!gst_p2p_signal_message_get_string (msg, "peer", TRUE,
          GST_P2P_SIGNAL_MAX_PEER_ID_LEN, &peer, NULL)
      || !gst_p2p_signal_valid_peer_id (peer)
      || !gst_p2p_signal_message_get_int (msg, "ping_interval", FALSE, 1, 3600,
          &ping, NULL)
      || !gst_p2p_signal_message_get_int (msg, "max_message_size", FALSE, 256,
          MAX_INCOMING, &max_size, NULL)) {
    self->stats.malformed++;
    lose_connection (self, "malformed welcome");
    return;
  }
  g_free (self->peer_id);
  self->peer_id = g_strdup (peer);
  self->ping_interval = ping;
  self->max_message_size = max_size;
  self->attempt = 0;
  self->stats.joins++;

  clear_source (&self->ping_source);
  clear_source (&self->peers_source);
  self->ping_source = add_timeout (self, self->ping_interval * 1000, ping_cb);
  self->peers_source = add_timeout (self, self->peers_interval * 1000,
      peers_cb);

  GST_INFO_OBJECT (self, "joined swarm %s as %s", self->swarm, self->peer_id);
  set_state (self, GST_P2P_TRACKER_CLIENT_JOINED);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PEER_ID]);
  g_signal_emit (self, signals[SIGNAL_JOINED], 0, self->peer_id);
  flush_pending (self);
}

static void
handle_peers (GstP2pTrackerClient * self, JsonObject * msg)
{
  JsonNode *node = json_object_get_member (msg, "peers");
  JsonArray *arr;
  GPtrArray *ids, *caps;
  guint i, n;

  if (!node || !JSON_NODE_HOLDS_ARRAY (node)) {
    self->stats.malformed++;
    return;
  }
  arr = json_node_get_array (node);
  n = json_array_get_length (arr);
  ids = g_ptr_array_new_with_free_func (g_free);
  caps = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; i < n; i++) {
    JsonNode *e = json_array_get_element (arr, i);
    const gchar *id = NULL;
    JsonNode *c = NULL;

    if (!JSON_NODE_HOLDS_OBJECT (e)
        || !gst_p2p_signal_message_get_string (json_node_get_object (e), "id",
            TRUE, GST_P2P_SIGNAL_MAX_PEER_ID_LEN, &id, NULL)
        || !gst_p2p_signal_valid_peer_id (id)
        || !gst_p2p_signal_message_get_object (json_node_get_object (e),
            "caps", FALSE, &c, NULL)) {
      self->stats.malformed++;
      continue;
    }
    g_ptr_array_add (ids, g_strdup (id));
    g_ptr_array_add (caps, c ? gst_p2p_signal_node_to_string (c) :
        g_strdup ("{}"));
  }
  g_ptr_array_add (ids, NULL);
  g_ptr_array_add (caps, NULL);
  self->stats.peer_lists++;
  g_signal_emit (self, signals[SIGNAL_PEERS], 0, ids->pdata, caps->pdata);
  g_ptr_array_unref (ids);
  g_ptr_array_unref (caps);
}

static void
handle_relayed (GstP2pTrackerClient * self, JsonObject * msg, guint signal_id)
{
  const gchar *from = NULL;
  JsonNode *payload = NULL;
  gchar *text;

  if (!gst_p2p_signal_message_get_string (msg, "from", TRUE,
          GST_P2P_SIGNAL_MAX_PEER_ID_LEN, &from, NULL)
      || !gst_p2p_signal_valid_peer_id (from)
      || !gst_p2p_signal_message_get_object (msg, "payload", TRUE, &payload,
          NULL)) {
    self->stats.malformed++;
    return;
  }
  text = gst_p2p_signal_node_to_string (payload);
  if (signal_id == SIGNAL_SIGNAL)
    self->stats.signals_received++;
  else
    self->stats.publishes_received++;
  g_signal_emit (self, signals[signal_id], 0, from, text);
  g_free (text);
}

static void
handle_error (GstP2pTrackerClient * self, JsonObject * msg)
{
  const gchar *reason = NULL, *message = NULL, *ref = NULL;

  if (!gst_p2p_signal_message_get_string (msg, "reason", TRUE, 64, &reason,
          NULL)
      || !gst_p2p_signal_message_get_string (msg, "message", FALSE, 1024,
          &message, NULL)
      || !gst_p2p_signal_message_get_string (msg, "ref", FALSE, 32, &ref, NULL)) {
    self->stats.malformed++;
    return;
  }
  self->stats.tracker_errors++;
  GST_WARNING_OBJECT (self, "tracker error %s: %s", reason,
      message ? message : "");
  g_signal_emit (self, signals[SIGNAL_TRACKER_ERROR], 0, reason,
      message ? message : "");

  /* A refused join leaves us connected but useless: retry later, perhaps
   * with a new token set meanwhile. */
  if (self->state == GST_P2P_TRACKER_CLIENT_JOINING && ref
      && strcmp (ref, "join") == 0) {
    /* Our old connection may still hold the id: let the tracker pick. */
    if (strcmp (reason, "peer-id-taken") == 0) {
      g_clear_pointer (&self->peer_id, g_free);
      g_clear_pointer (&self->requested_peer_id, g_free);
    }
    lose_connection (self, reason);
  }
}

static void
on_message (SoupWebsocketConnection * conn, gint type, GBytes * message,
    GstP2pTrackerClient * self)
{
  gsize size;
  const gchar *data = g_bytes_get_data (message, &size);
  JsonObject *msg;
  const gchar *t = NULL;
  GError *err = NULL;

  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    self->stats.malformed++;
    return;
  }
  /* Handlers may drop the connection; keep it alive until we return. */
  g_object_ref (conn);
  msg = gst_p2p_signal_message_parse (data, size, MAX_INCOMING,
      GST_P2P_SIGNAL_DEFAULT_MAX_DEPTH, &err);
  if (!msg) {
    self->stats.malformed++;
    GST_WARNING_OBJECT (self, "bad frame from tracker: %s", err->message);
    g_error_free (err);
    g_object_unref (conn);
    return;
  }
  self->last_rx_us = g_get_monotonic_time ();

  if (!gst_p2p_signal_message_get_string (msg, "type", TRUE, 32, &t, NULL)) {
    self->stats.malformed++;
  } else if (strcmp (t, "welcome") == 0) {
    handle_welcome (self, msg);
  } else if (strcmp (t, "peers") == 0) {
    handle_peers (self, msg);
  } else if (strcmp (t, "signal") == 0) {
    handle_relayed (self, msg, SIGNAL_SIGNAL);
  } else if (strcmp (t, "publish") == 0) {
    handle_relayed (self, msg, SIGNAL_PUBLISH);
  } else if (strcmp (t, "error") == 0) {
    handle_error (self, msg);
  } else {
    /* pong, left, and types from newer trackers. */
    GST_LOG_OBJECT (self, "ignoring message of type %s", t);
  }
  json_object_unref (msg);
  g_object_unref (conn);
}

static void
on_closed (SoupWebsocketConnection * conn, GstP2pTrackerClient * self)
{
  gchar *why = g_strdup_printf ("closed by the tracker (%u %s)",
      soup_websocket_connection_get_close_code (conn),
      soup_websocket_connection_get_close_data (conn) ?
      soup_websocket_connection_get_close_data (conn) : "");

  g_object_ref (conn);
  lose_connection (self, why);
  g_object_unref (conn);
  g_free (why);
}

static gchar *
join_text (GstP2pTrackerClient * self)
{
  JsonBuilder *b = json_builder_new_immutable ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "join");
  json_builder_set_member_name (b, "swarm");
  json_builder_add_string_value (b, self->swarm);
  /* After a reconnect keep the id the tracker gave us, so peers that knew
   * us can still reach us. */
  if (self->peer_id || self->requested_peer_id) {
    json_builder_set_member_name (b, "peer");
    json_builder_add_string_value (b, self->peer_id ? self->peer_id :
        self->requested_peer_id);
  }
  if (self->token) {
    json_builder_set_member_name (b, "token");
    json_builder_add_string_value (b, self->token);
  }
  if (self->caps) {
    json_builder_set_member_name (b, "caps");
    json_builder_add_value (b, json_node_copy (self->caps));
  }
  json_builder_end_object (b);
  return builder_to_text (b);
}

static void
on_connected (GObject * source, GAsyncResult * res, gpointer data)
{
  GstP2pTrackerClient *self = data;
  GError *err = NULL;
  SoupWebsocketConnection *conn;
  gchar *text;

  conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), res,
      &err);
  if (!conn) {
    if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      self->stats.connect_failures++;
      GST_WARNING_OBJECT (self, "connecting to %s failed: %s", self->url,
          err->message);
      schedule_reconnect (self);
    }
    g_error_free (err);
    g_object_unref (self);
    return;
  }
  if (self->state != GST_P2P_TRACKER_CLIENT_CONNECTING) {
    /* Stopped meanwhile. */
    soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    g_object_unref (conn);
    g_object_unref (self);
    return;
  }

  self->stats.connects++;
  self->conn = conn;
  self->last_rx_us = g_get_monotonic_time ();
  soup_websocket_connection_set_max_incoming_payload_size (conn, MAX_INCOMING);
  soup_websocket_connection_set_keepalive_interval (conn, 0);
  g_signal_connect (conn, "message", G_CALLBACK (on_message), self);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), self);

  set_state (self, GST_P2P_TRACKER_CLIENT_JOINING);
  text = join_text (self);
  send_text (self, text);
  g_free (text);
  /* The ping timer doubles as the join timeout until the welcome. */
  self->ping_interval = DEFAULT_PING_INTERVAL;
  self->ping_source = add_timeout (self, self->ping_interval * 1000, ping_cb);
  g_object_unref (self);
}

/* Signals are small and latency-bound: switch Nagle off as soon as the TCP
 * connection exists (libsoup leaves it on). */
static void
on_network_event (SoupMessage * msg, GSocketClientEvent event,
    GIOStream * connection, gpointer data)
{
  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection))
    g_socket_set_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION
            (connection)), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static void
connect_now (GstP2pTrackerClient * self)
{
  SoupMessage *msg = soup_message_new ("GET", self->url);

  if (!msg) {
    GST_ERROR_OBJECT (self, "invalid tracker URL %s", self->url);
    self->stats.connect_failures++;
    schedule_reconnect (self);
    return;
  }
  g_signal_connect (msg, "network-event", G_CALLBACK (on_network_event), NULL);
  set_state (self, GST_P2P_TRACKER_CLIENT_CONNECTING);
  g_clear_object (&self->cancel);
  self->cancel = g_cancellable_new ();
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, self->cancel, on_connected, g_object_ref (self));
  g_object_unref (msg);
}

/**
 * gst_p2p_tracker_client_new:
 * @url: ws:// or wss:// URL of the tracker
 * @swarm: swarm id to join
 * @token: (nullable): join token, if the tracker needs one
 *
 * Call on the GstP2pLoop thread only.
 *
 * Returns: (transfer full): a stopped client.
 */
GstP2pTrackerClient *
gst_p2p_tracker_client_new (const gchar * url, const gchar * swarm,
    const gchar * token)
{
  return g_object_new (GST_P2P_TYPE_TRACKER_CLIENT, "url", url, "swarm", swarm,
      "token", token, NULL);
}

/**
 * gst_p2p_tracker_client_start:
 * @client: a client
 *
 * Connects and joins; from then on the client reconnects by itself until
 * gst_p2p_tracker_client_stop().
 */
void
gst_p2p_tracker_client_start (GstP2pTrackerClient * self)
{
  g_return_if_fail (GST_P2P_IS_TRACKER_CLIENT (self));
  g_return_if_fail (on_loop ());

  if (self->state != GST_P2P_TRACKER_CLIENT_STOPPED)
    return;
  if (!self->session) {
    self->session = soup_session_new_with_options ("timeout", 15,
        "user-agent", "gst-p2p/" PACKAGE_VERSION " ", "tls-database",
        self->tls_database, NULL);
    /* The tracker never negotiates permessage-deflate: don't offer it. */
    soup_session_remove_feature_by_type (self->session,
        SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
  }
  self->attempt = 0;
  connect_now (self);
}

/**
 * gst_p2p_tracker_client_stop:
 * @client: a client
 *
 * Leaves the swarm and closes the connection; queued signals are dropped.
 */
void
gst_p2p_tracker_client_stop (GstP2pTrackerClient * self)
{
  g_return_if_fail (GST_P2P_IS_TRACKER_CLIENT (self));
  g_return_if_fail (on_loop ());

  if (self->cancel)
    g_cancellable_cancel (self->cancel);
  g_clear_object (&self->cancel);
  clear_source (&self->retry_source);
  if (self->conn && self->state == GST_P2P_TRACKER_CLIENT_JOINED)
    send_text (self, "{\"type\":\"leave\"}");
  drop_connection (self, SOUP_WEBSOCKET_CLOSE_NORMAL, "bye");
  self->stats.signals_dropped += self->pending.length;
  g_queue_clear_full (&self->pending, (GDestroyNotify) pending_free);
  set_state (self, GST_P2P_TRACKER_CLIENT_STOPPED);
}

static gboolean
enqueue_or_send (GstP2pTrackerClient * self, gchar * text)
{
  if (strlen (text) > self->max_message_size) {
    GST_WARNING_OBJECT (self, "message of %" G_GSIZE_FORMAT " bytes exceeds "
        "the tracker's limit", strlen (text));
    self->stats.signals_dropped++;
    g_free (text);
    return FALSE;
  }
  if (self->state == GST_P2P_TRACKER_CLIENT_JOINED) {
    send_text (self, text);
    self->stats.signals_sent++;
    g_free (text);
    return TRUE;
  }
  if (self->state == GST_P2P_TRACKER_CLIENT_STOPPED
      || self->pending.length >= self->max_queue) {
    self->stats.signals_dropped++;
    g_free (text);
    return FALSE;
  } else {
    Pending *p = g_new (Pending, 1);

    p->queued_us = g_get_monotonic_time ();
    p->text = text;
    g_queue_push_tail (&self->pending, p);
    return TRUE;
  }
}

static gchar *
relay_text (const gchar * type, const gchar * to, const gchar * payload_json)
{
  JsonObject *payload;
  JsonBuilder *b;
  JsonNode *node;

  payload = gst_p2p_signal_message_parse (payload_json, strlen (payload_json),
      MAX_INCOMING, GST_P2P_SIGNAL_DEFAULT_MAX_DEPTH, NULL);
  if (!payload)
    return NULL;
  node = json_node_init_object (json_node_alloc (), payload);
  json_object_unref (payload);

  b = json_builder_new_immutable ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  if (to) {
    json_builder_set_member_name (b, "to");
    json_builder_add_string_value (b, to);
  }
  json_builder_set_member_name (b, "payload");
  json_builder_add_value (b, node);
  json_builder_end_object (b);
  return builder_to_text (b);
}

/**
 * gst_p2p_tracker_client_send_signal:
 * @client: a client
 * @to: peer id of a member of the same swarm
 * @payload_json: a JSON object (ICE credentials, a candidate,
 *   end-of-candidates, the DTLS fingerprint; docs/signalling.md)
 *
 * Sends at once when joined, otherwise queues (bounded, 10 s at most) until
 * the next join.
 *
 * Returns: FALSE if the arguments are invalid or the signal was dropped.
 */
gboolean
gst_p2p_tracker_client_send_signal (GstP2pTrackerClient * self,
    const gchar * to, const gchar * payload_json)
{
  gchar *text;

  g_return_val_if_fail (GST_P2P_IS_TRACKER_CLIENT (self), FALSE);
  g_return_val_if_fail (on_loop (), FALSE);
  g_return_val_if_fail (to != NULL && payload_json != NULL, FALSE);

  if (!gst_p2p_signal_valid_peer_id (to)
      || !(text = relay_text ("signal", to, payload_json))) {
    self->stats.signals_dropped++;
    return FALSE;
  }
  return enqueue_or_send (self, text);
}

/**
 * gst_p2p_tracker_client_publish:
 * @client: a client that joined with a publisher token
 * @payload_json: a JSON object relayed to every viewer of the swarm
 *
 * Returns: FALSE if the payload is invalid or was dropped.
 */
gboolean
gst_p2p_tracker_client_publish (GstP2pTrackerClient * self,
    const gchar * payload_json)
{
  gchar *text;

  g_return_val_if_fail (GST_P2P_IS_TRACKER_CLIENT (self), FALSE);
  g_return_val_if_fail (on_loop (), FALSE);
  g_return_val_if_fail (payload_json != NULL, FALSE);

  if (!(text = relay_text ("publish", NULL, payload_json))) {
    self->stats.signals_dropped++;
    return FALSE;
  }
  return enqueue_or_send (self, text);
}

/**
 * gst_p2p_tracker_client_request_peers:
 * @client: a client
 *
 * Asks for a fresh random subset of the swarm; the answer arrives as the
 * #GstP2pTrackerClient::peers signal. Does nothing unless joined.
 */
void
gst_p2p_tracker_client_request_peers (GstP2pTrackerClient * self)
{
  g_return_if_fail (GST_P2P_IS_TRACKER_CLIENT (self));
  g_return_if_fail (on_loop ());

  if (self->state == GST_P2P_TRACKER_CLIENT_JOINED)
    send_text (self, "{\"type\":\"peers\"}");
}

GstP2pTrackerClientState
gst_p2p_tracker_client_get_state (GstP2pTrackerClient * self)
{
  g_return_val_if_fail (GST_P2P_IS_TRACKER_CLIENT (self),
      GST_P2P_TRACKER_CLIENT_STOPPED);
  return self->state;
}

/**
 * gst_p2p_tracker_client_get_peer_id:
 * @client: a client
 *
 * Returns: (nullable): the id the tracker confirmed at the last join.
 */
const gchar *
gst_p2p_tracker_client_get_peer_id (GstP2pTrackerClient * self)
{
  g_return_val_if_fail (GST_P2P_IS_TRACKER_CLIENT (self), NULL);
  return self->peer_id;
}

/**
 * gst_p2p_tracker_client_get_stats:
 * @client: a client
 * @stats: (out caller-allocates): the counters
 */
void
gst_p2p_tracker_client_get_stats (GstP2pTrackerClient * self,
    GstP2pTrackerClientStats * stats)
{
  g_return_if_fail (GST_P2P_IS_TRACKER_CLIENT (self));
  *stats = self->stats;
}

static void
set_caps (GstP2pTrackerClient * self, const gchar * caps)
{
  JsonObject *obj;

  g_clear_pointer (&self->caps, json_node_unref);
  if (!caps)
    return;
  obj = gst_p2p_signal_message_parse (caps, strlen (caps),
      GST_P2P_SIGNAL_DEFAULT_MAX_SIZE, GST_P2P_SIGNAL_DEFAULT_MAX_DEPTH, NULL);
  if (!obj) {
    g_warning ("GstP2pTrackerClient: caps is not a JSON object, ignored");
    return;
  }
  self->caps = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
}

static void
gst_p2p_tracker_client_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstP2pTrackerClient *self = GST_P2P_TRACKER_CLIENT (object);

  switch (prop_id) {
    case PROP_URL:
      g_free (self->url);
      self->url = g_value_dup_string (value);
      break;
    case PROP_SWARM:
      g_free (self->swarm);
      self->swarm = g_value_dup_string (value);
      break;
    case PROP_TOKEN:
      g_free (self->token);
      self->token = g_value_dup_string (value);
      break;
    case PROP_PEER_ID:
      g_free (self->requested_peer_id);
      self->requested_peer_id = g_value_dup_string (value);
      break;
    case PROP_CAPS:
      set_caps (self, g_value_get_string (value));
      break;
    case PROP_PEERS_INTERVAL:
      self->peers_interval = g_value_get_uint (value);
      break;
    case PROP_BACKOFF_MIN:
      self->backoff_min = g_value_get_uint (value);
      break;
    case PROP_BACKOFF_MAX:
      self->backoff_max = g_value_get_uint (value);
      break;
    case PROP_MAX_QUEUE:
      self->max_queue = g_value_get_uint (value);
      break;
    case PROP_TLS_DATABASE:
      g_clear_object (&self->tls_database);
      self->tls_database = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_p2p_tracker_client_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstP2pTrackerClient *self = GST_P2P_TRACKER_CLIENT (object);

  switch (prop_id) {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_SWARM:
      g_value_set_string (value, self->swarm);
      break;
    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;
    case PROP_PEER_ID:
      g_value_set_string (value, self->peer_id ? self->peer_id :
          self->requested_peer_id);
      break;
    case PROP_CAPS:
      g_value_take_string (value, self->caps ?
          gst_p2p_signal_node_to_string (self->caps) : NULL);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_PEERS_INTERVAL:
      g_value_set_uint (value, self->peers_interval);
      break;
    case PROP_BACKOFF_MIN:
      g_value_set_uint (value, self->backoff_min);
      break;
    case PROP_BACKOFF_MAX:
      g_value_set_uint (value, self->backoff_max);
      break;
    case PROP_MAX_QUEUE:
      g_value_set_uint (value, self->max_queue);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_p2p_tracker_client_dispose (GObject * object)
{
  GstP2pTrackerClient *self = GST_P2P_TRACKER_CLIENT (object);

  if (self->state != GST_P2P_TRACKER_CLIENT_STOPPED)
    gst_p2p_tracker_client_stop (self);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (gst_p2p_tracker_client_parent_class)->dispose (object);
}

static void
gst_p2p_tracker_client_finalize (GObject * object)
{
  GstP2pTrackerClient *self = GST_P2P_TRACKER_CLIENT (object);

  g_free (self->url);
  g_free (self->swarm);
  g_free (self->token);
  g_free (self->requested_peer_id);
  g_free (self->peer_id);
  g_clear_pointer (&self->caps, json_node_unref);
  g_clear_object (&self->tls_database);
  G_OBJECT_CLASS (gst_p2p_tracker_client_parent_class)->finalize (object);
}

static void
gst_p2p_tracker_client_init (GstP2pTrackerClient * self)
{
  self->context = gst_p2p_loop_get_context (gst_p2p_loop_get_default ());
  self->peers_interval = DEFAULT_PEERS_INTERVAL;
  self->backoff_min = DEFAULT_BACKOFF_MIN;
  self->backoff_max = DEFAULT_BACKOFF_MAX;
  self->max_queue = DEFAULT_MAX_QUEUE;
  self->ping_interval = DEFAULT_PING_INTERVAL;
  self->max_message_size = GST_P2P_SIGNAL_DEFAULT_MAX_SIZE;
  g_queue_init (&self->pending);
}

static void
gst_p2p_tracker_client_class_init (GstP2pTrackerClientClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags rwc = rw | G_PARAM_CONSTRUCT_ONLY;

  gst_p2p_init ();
  GST_DEBUG_CATEGORY_INIT (p2p_tracker_debug, "p2p-tracker", 0,
      "gst-p2p tracker client");

  gobject_class->set_property = gst_p2p_tracker_client_set_property;
  gobject_class->get_property = gst_p2p_tracker_client_get_property;
  gobject_class->dispose = gst_p2p_tracker_client_dispose;
  gobject_class->finalize = gst_p2p_tracker_client_finalize;

  /**
   * GstP2pTrackerClient:url:
   *
   * ws:// or wss:// URL of gst-p2p-tracker.
   */
  props[PROP_URL] = g_param_spec_string ("url", "URL", "Tracker URL", NULL,
      rwc);
  /**
   * GstP2pTrackerClient:swarm:
   *
   * Swarm id to join (1..128 printable ASCII characters).
   */
  props[PROP_SWARM] = g_param_spec_string ("swarm", "Swarm", "Swarm id",
      NULL, rwc);
  /**
   * GstP2pTrackerClient:token:
   *
   * Join token; a new value is used from the next (re)join on.
   */
  props[PROP_TOKEN] = g_param_spec_string ("token", "Token", "Join token",
      NULL, rw);
  /**
   * GstP2pTrackerClient:peer-id:
   *
   * Peer id to ask for (NULL: the tracker picks one); once joined, the id
   * the tracker confirmed.
   */
  props[PROP_PEER_ID] = g_param_spec_string ("peer-id", "Peer id",
      "Peer id in the swarm", NULL, rwc);
  /**
   * GstP2pTrackerClient:caps:
   *
   * JSON object of capabilities shown to other peers in peer lists.
   */
  props[PROP_CAPS] = g_param_spec_string ("caps", "Capabilities",
      "JSON object shown to other peers", NULL, rwc);
  /**
   * GstP2pTrackerClient:state:
   *
   * Where the client is in its connection life cycle.
   */
  props[PROP_STATE] = g_param_spec_enum ("state", "State", "Connection state",
      GST_P2P_TYPE_TRACKER_CLIENT_STATE, GST_P2P_TRACKER_CLIENT_STOPPED,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * GstP2pTrackerClient:peers-interval:
   *
   * Seconds between automatic peer list requests.
   */
  props[PROP_PEERS_INTERVAL] = g_param_spec_uint ("peers-interval",
      "Peers interval", "Seconds between peer list requests", 1, 3600,
      DEFAULT_PEERS_INTERVAL, rwc);
  /**
   * GstP2pTrackerClient:backoff-min:
   *
   * Milliseconds of the first reconnection window.
   */
  props[PROP_BACKOFF_MIN] = g_param_spec_uint ("backoff-min", "Backoff min",
      "First reconnection window (ms)", 1, 3600000, DEFAULT_BACKOFF_MIN, rwc);
  /**
   * GstP2pTrackerClient:backoff-max:
   *
   * Cap of the reconnection window in milliseconds.
   */
  props[PROP_BACKOFF_MAX] = g_param_spec_uint ("backoff-max", "Backoff max",
      "Largest reconnection window (ms)", 1, 3600000, DEFAULT_BACKOFF_MAX, rwc);
  /**
   * GstP2pTrackerClient:max-queue:
   *
   * Outgoing messages kept while not joined; more are dropped.
   */
  props[PROP_MAX_QUEUE] = g_param_spec_uint ("max-queue", "Max queue",
      "Messages queued while not joined", 0, 4096, DEFAULT_MAX_QUEUE, rwc);
  /**
   * GstP2pTrackerClient:tls-database:
   *
   * Certificate database for wss:// (NULL: the system's).
   */
  props[PROP_TLS_DATABASE] = g_param_spec_object ("tls-database",
      "TLS database", "Certificate database for wss://", G_TYPE_TLS_DATABASE,
      rwc);
  g_object_class_install_properties (gobject_class, N_PROPS, props);

  /**
   * GstP2pTrackerClient::joined:
   * @client: the client
   * @peer_id: our id in the swarm
   *
   * Emitted at every successful (re)join.
   */
  signals[SIGNAL_JOINED] = g_signal_new ("joined", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstP2pTrackerClient::peers:
   * @client: the client
   * @ids: peer ids, a random subset of the swarm
   * @caps: their capabilities as JSON objects, same order
   */
  signals[SIGNAL_PEERS] = g_signal_new ("peers", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRV,
      G_TYPE_STRV);
  /**
   * GstP2pTrackerClient::signal:
   * @client: the client
   * @from: peer id of the sender
   * @payload: the JSON object it sent
   */
  signals[SIGNAL_SIGNAL] = g_signal_new ("signal", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_STRING);
  /**
   * GstP2pTrackerClient::publish:
   * @client: the client
   * @from: peer id of the operator's publisher
   * @payload: the JSON object it published (signed segment hashes)
   */
  signals[SIGNAL_PUBLISH] = g_signal_new ("publish", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_STRING);
  /**
   * GstP2pTrackerClient::tracker-error:
   * @client: the client
   * @reason: stable reason (docs/signalling.md), e.g. "token-expired"
   * @message: human-readable text
   */
  signals[SIGNAL_TRACKER_ERROR] = g_signal_new ("tracker-error",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}
