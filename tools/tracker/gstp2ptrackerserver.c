/* GstP2pTrackerServer: swarm registry and signalling relay. See
 * gstp2ptrackerserver.h and docs/signalling.md.
 *
 * Threads: one; the thread-default main context of the creator.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <libsoup/soup.h>

#include "signalling/gstp2psignalmessage.h"
#include "gstp2ptrackerserver.h"
#include "gstp2ptrackersecret.h"
#include "gstp2ptokenbucket.h"

typedef enum
{
  MSG_JOIN,
  MSG_PEERS,
  MSG_SIGNAL,
  MSG_LEAVE,
  MSG_PING,
  MSG_PUBLISH,
  N_MSG
} MsgType;

static const gchar *const msg_names[N_MSG] = {
  "join", "peers", "signal", "leave", "ping", "publish"
};

/* The first entries follow GstP2pSignalError, so its codes index here. */
typedef enum
{
  REJ_TOO_LARGE,
  REJ_BAD_UTF8,
  REJ_TOO_DEEP,
  REJ_BAD_JSON,
  REJ_NOT_OBJECT,
  REJ_MISSING_FIELD,
  REJ_BAD_FIELD,
  REJ_FRAME_TOO_LARGE,
  REJ_PROTOCOL_ERROR,
  REJ_BINARY,
  REJ_UNKNOWN_TYPE,
  REJ_RATE_LIMITED,
  REJ_TOKEN_MISSING,
  REJ_TOKEN_MALFORMED,
  REJ_TOKEN_WRONG_SWARM,
  REJ_TOKEN_FORGED,
  REJ_TOKEN_EXPIRED,
  REJ_NOT_JOINED,
  REJ_ALREADY_JOINED,
  REJ_PEER_ID_TAKEN,
  REJ_UNKNOWN_PEER,
  REJ_PEER_CONGESTED,
  REJ_NOT_OPERATOR,
  REJ_TOO_MANY_SWARMS,
  REJ_SWARM_FULL,
  REJ_TOO_MANY_CLIENTS,
  REJ_TOO_MANY_CLIENTS_PER_IP,
  REJ_CAPS_TOO_LARGE,
  N_REJ
} Reject;

static const gchar *const reject_names[N_REJ] = {
  "too-large", "bad-utf8", "too-deep", "bad-json", "not-object",
  "missing-field", "bad-field", "frame-too-large", "protocol-error",
  "binary-frame", "unknown-type", "rate-limited", "token-missing",
  "token-malformed", "token-wrong-swarm", "token-forged", "token-expired",
  "not-joined", "already-joined", "peer-id-taken", "unknown-peer",
  "peer-congested", "not-operator", "too-many-swarms", "swarm-full",
  "too-many-clients", "too-many-clients-per-ip", "caps-too-large",
};

typedef struct _Swarm Swarm;
typedef struct _Client Client;

struct _Swarm
{
  gchar *id;
  GPtrArray *viewers;           /* Client*, sampled for peer lists */
  GHashTable *by_id;            /* peer id -> Client*, viewers + publishers */
  guint n_publishers;
};

struct _Client
{
  GstP2pTrackerServer *server;
  SoupWebsocketConnection *conn;
  gchar *ip;
  gint fd;

  Swarm *swarm;                 /* NULL until joined */
  gchar *peer_id;
  gchar *caps_json;
  guint index;                  /* in swarm->viewers */
  gboolean publisher;

  GstP2pTokenBucket msg_bucket;
  GstP2pTokenBucket byte_bucket;
  guint violations;
  gint64 last_seen_us;
  gint64 last_rate_error_us;
  gboolean closing;
};

struct _GstP2pTrackerServer
{
  GstP2pTrackerConfig config;
  GBytes *secret;
  SoupServer *soup;
  GHashTable *clients;          /* Client* set */
  GHashTable *swarms;           /* id -> Swarm* */
  GHashTable *per_ip;           /* ip -> count */
  guint evict_source;
  guint n_viewers;
  guint n_publishers;

  guint64 received[N_MSG];
  guint64 relayed_signal;
  guint64 relayed_publish;
  guint64 peer_lists;
  guint64 rejects[N_REJ];
  guint64 relay_dropped;
  guint64 evictions;
  guint64 connections;
  guint64 bytes_in;
  guint64 bytes_out;
};

/* ------------------------------------------------------------------ */
/* Swarms */

static void
swarm_free (Swarm * swarm)
{
  g_free (swarm->id);
  g_ptr_array_unref (swarm->viewers);
  g_hash_table_unref (swarm->by_id);
  g_free (swarm);
}

static void
swarm_remove (Client * c)
{
  GstP2pTrackerServer *server = c->server;
  Swarm *swarm = c->swarm;

  if (!swarm)
    return;

  g_hash_table_remove (swarm->by_id, c->peer_id);
  if (c->publisher) {
    swarm->n_publishers--;
    server->n_publishers--;
  } else {
    /* Swap-remove keeps removal O(1); fix the index of the moved client. */
    g_ptr_array_remove_index_fast (swarm->viewers, c->index);
    if (c->index < swarm->viewers->len) {
      Client *moved = g_ptr_array_index (swarm->viewers, c->index);
      moved->index = c->index;
    }
    server->n_viewers--;
  }
  c->swarm = NULL;
  g_clear_pointer (&c->peer_id, g_free);
  g_clear_pointer (&c->caps_json, g_free);

  if (swarm->viewers->len == 0 && swarm->n_publishers == 0)
    g_hash_table_remove (server->swarms, swarm->id);
}

/* Picks up to @k distinct indices of [0, n) other than @exclude, uniformly.
 * Small populations get a partial Fisher-Yates shuffle, large ones rejection
 * sampling, so the cost is O(k) whatever the swarm size. */
static guint
sample_indices (guint n, guint k, guint exclude, guint * out)
{
  guint got = 0, i;

  if (n <= 2 * k + 1) {
    guint *all = g_newa (guint, n);
    guint m = 0;

    for (i = 0; i < n; i++)
      if (i != exclude)
        all[m++] = i;
    for (i = 0; i < m && got < k; i++) {
      guint j = i + g_random_int_range (0, m - i);
      guint t = all[i];

      all[i] = all[j];
      all[j] = t;
      out[got++] = all[i];
    }
    return got;
  }

  while (got < k) {
    guint cand = g_random_int_range (0, n), j;
    gboolean dup = cand == exclude;

    for (j = 0; j < got && !dup; j++)
      dup = out[j] == cand;
    if (!dup)
      out[got++] = cand;
  }
  return got;
}

/* ------------------------------------------------------------------ */
/* Sending */

/* A client that does not read makes libsoup queue in user space without
 * bound, so relays to a peer whose kernel send buffer is full, or holds more
 * than send-queue-limit bytes, are dropped instead. */
static gboolean
client_congested (Client * c)
{
  struct pollfd pfd = { c->fd, POLLOUT, 0 };
  int outq = 0;
  int r;

  if (c->fd < 0 || c->server->config.send_queue_limit == 0)
    return FALSE;
  r = poll (&pfd, 1, 0);
  if (r == 0 || (r == 1 && !(pfd.revents & POLLOUT)))
    return TRUE;
  if (ioctl (c->fd, SIOCOUTQ, &outq) == 0
      && (guint) outq >= c->server->config.send_queue_limit)
    return TRUE;
  return FALSE;
}

static void
client_send (Client * c, const gchar * text)
{
  if (c->closing || soup_websocket_connection_get_state (c->conn) !=
      SOUP_WEBSOCKET_STATE_OPEN)
    return;
  c->server->bytes_out += strlen (text);
  soup_websocket_connection_send_text (c->conn, text);
}

static void
client_send_error (Client * c, Reject reason, const gchar * ref,
    const gchar * extra, const gchar * message)
{
  gchar *quoted = gst_p2p_signal_quote (message ? message : "");
  gchar *text;

  text = g_strdup_printf ("{\"type\":\"error\",\"reason\":\"%s\","
      "\"message\":%s%s%s%s%s}", reject_names[reason], quoted,
      ref ? ",\"ref\":\"" : "", ref ? ref : "", ref ? "\"" : "",
      extra ? extra : "");
  client_send (c, text);
  g_debug ("client %s: rejected (%s): %s", c->ip, reject_names[reason],
      message ? message : "");
  g_free (text);
  g_free (quoted);
}

/* Counts the reject, then tells the client why. */
static void
client_reject (Client * c, Reject reason, const gchar * ref,
    const gchar * extra, const gchar * message)
{
  c->server->rejects[reason]++;
  client_send_error (c, reason, ref, extra, message);
}

static void
client_close (Client * c, gushort code, const gchar * why)
{
  if (c->closing)
    return;
  swarm_remove (c);
  c->closing = TRUE;
  soup_websocket_connection_close (c->conn, code, why);
}

/* ------------------------------------------------------------------ */
/* Messages */

static gchar *
peers_message (GstP2pTrackerServer * server, Client * c, guint max)
{
  Swarm *swarm = c->swarm;
  guint n = swarm->viewers->len;
  guint total = c->publisher ? n : n - 1;
  guint exclude = c->publisher ? G_MAXUINT : c->index;
  guint k = MIN (max, total);
  guint *picks = g_newa (guint, MAX (k, 1));
  GString *s = g_string_sized_new (64 + k * 48);
  guint i, got;

  got = sample_indices (n, k, exclude, picks);
  g_string_append_printf (s, "{\"type\":\"peers\",\"swarm\":\"%s\","
      "\"total\":%u,\"peers\":[", swarm->id, total);
  for (i = 0; i < got; i++) {
    Client *p = g_ptr_array_index (swarm->viewers, picks[i]);

    g_string_append_printf (s, "%s{\"id\":\"%s\",\"caps\":%s}",
        i ? "," : "", p->peer_id, p->caps_json ? p->caps_json : "{}");
  }
  g_string_append (s, "]}");
  server->peer_lists++;
  return g_string_free (s, FALSE);
}

static gboolean
check_token (Client * c, JsonObject * msg, const gchar * swarm,
    GstP2pTokenRole * role)
{
  GstP2pTrackerServer *server = c->server;
  const gchar *token = NULL, *reason;
  GError *err = NULL;
  guint i;

  *role = GST_P2P_TOKEN_ROLE_VIEWER;
  if (!gst_p2p_signal_message_get_string (msg, "token", FALSE,
          GST_P2P_SIGNAL_MAX_TOKEN_LEN, &token, &err)) {
    client_reject (c, REJ_TOKEN_MALFORMED, "join", NULL, err->message);
    g_error_free (err);
    return FALSE;
  }
  /* An open tracker ignores tokens: everyone is a viewer. */
  if (!server->secret)
    return TRUE;

  reason = gst_p2p_token_check (server->secret, token, swarm,
      g_get_real_time () / G_USEC_PER_SEC, role);
  if (!reason)
    return TRUE;
  for (i = 0; i < N_REJ; i++) {
    if (strcmp (reject_names[i], reason) == 0) {
      const gchar *text = i == REJ_TOKEN_MISSING ? "this tracker needs a token"
          : i == REJ_TOKEN_EXPIRED ? "the token has expired"
          : i == REJ_TOKEN_WRONG_SWARM ? "the token is for another swarm"
          : i == REJ_TOKEN_FORGED ? "the token's signature does not match"
          : "the token is not of the form v1.<role>.<expiry>.<tag>.<mac>";
      client_reject (c, i, "join", NULL, text);
      break;
    }
  }
  return FALSE;
}

static void
handle_join (Client * c, JsonObject * msg)
{
  GstP2pTrackerServer *server = c->server;
  const GstP2pTrackerConfig *cfg = &server->config;
  const gchar *swarm_id = NULL, *peer = NULL;
  JsonNode *caps = NULL;
  gchar *caps_json = NULL, *peer_id = NULL, *text;
  GstP2pTokenRole role;
  GError *err = NULL;
  Swarm *swarm;

  if (c->swarm) {
    client_reject (c, REJ_ALREADY_JOINED, "join", NULL,
        "leave the current swarm first");
    return;
  }
  if (!gst_p2p_signal_message_get_string (msg, "swarm", TRUE,
          GST_P2P_SIGNAL_MAX_SWARM_ID_LEN, &swarm_id, &err)
      || !gst_p2p_signal_message_get_string (msg, "peer", FALSE,
          GST_P2P_SIGNAL_MAX_PEER_ID_LEN, &peer, &err)
      || !gst_p2p_signal_message_get_object (msg, "caps", FALSE, &caps, &err)) {
    client_reject (c, err->code, "join", NULL, err->message);
    g_error_free (err);
    return;
  }
  if (!gst_p2p_signal_valid_swarm_id (swarm_id)) {
    client_reject (c, REJ_BAD_FIELD, "join", NULL,
        "swarm ids are 1..128 printable ASCII characters without spaces, "
        "quotes or backslashes");
    return;
  }
  if (peer && !gst_p2p_signal_valid_peer_id (peer)) {
    client_reject (c, REJ_BAD_FIELD, "join", NULL,
        "peer ids are 1..64 characters of [A-Za-z0-9_-]");
    return;
  }
  if (!check_token (c, msg, swarm_id, &role))
    return;

  if (caps) {
    caps_json = gst_p2p_signal_node_to_string (caps);
    if (strlen (caps_json) > cfg->max_caps_size) {
      client_reject (c, REJ_CAPS_TOO_LARGE, "join", NULL,
          "capabilities exceed max-caps-size");
      g_free (caps_json);
      return;
    }
  }

  swarm = g_hash_table_lookup (server->swarms, swarm_id);
  if (!swarm) {
    if (g_hash_table_size (server->swarms) >= cfg->max_swarms) {
      client_reject (c, REJ_TOO_MANY_SWARMS, "join", NULL,
          "the tracker holds its maximum number of swarms");
      g_free (caps_json);
      return;
    }
    swarm = g_new0 (Swarm, 1);
    swarm->id = g_strdup (swarm_id);
    swarm->viewers = g_ptr_array_new ();
    swarm->by_id = g_hash_table_new (g_str_hash, g_str_equal);
    g_hash_table_insert (server->swarms, swarm->id, swarm);
  } else if (cfg->max_swarm_size
      && swarm->viewers->len + swarm->n_publishers >= cfg->max_swarm_size) {
    client_reject (c, REJ_SWARM_FULL, "join", NULL, "the swarm is full");
    g_free (caps_json);
    return;
  }

  if (peer) {
    if (g_hash_table_contains (swarm->by_id, peer)) {
      client_reject (c, REJ_PEER_ID_TAKEN, "join", NULL,
          "another member of the swarm uses this peer id");
      g_free (caps_json);
      if (swarm->viewers->len == 0 && swarm->n_publishers == 0)
        g_hash_table_remove (server->swarms, swarm->id);
      return;
    }
    peer_id = g_strdup (peer);
  } else {
    /* 128 random bits: collisions are not a concern, but check anyway. */
    do {
      guint32 r[4];
      guint i;

      for (i = 0; i < 4; i++)
        r[i] = g_random_int ();
      g_free (peer_id);
      peer_id = g_base64_encode ((guchar *) r, 16);
      g_strdelimit (peer_id, "+", '-');
      g_strdelimit (peer_id, "/", '_');
      peer_id[22] = '\0';
    } while (g_hash_table_contains (swarm->by_id, peer_id));
  }

  c->swarm = swarm;
  c->peer_id = peer_id;
  c->caps_json = caps_json;
  c->publisher = role == GST_P2P_TOKEN_ROLE_PUBLISHER;
  g_hash_table_insert (swarm->by_id, c->peer_id, c);
  if (c->publisher) {
    swarm->n_publishers++;
    server->n_publishers++;
  } else {
    c->index = swarm->viewers->len;
    g_ptr_array_add (swarm->viewers, c);
    server->n_viewers++;
  }

  text = g_strdup_printf ("{\"type\":\"welcome\",\"swarm\":\"%s\","
      "\"peer\":\"%s\",\"role\":\"%s\",\"ping_interval\":%u,"
      "\"eviction_timeout\":%u,\"max_message_size\":%u,\"max_peers\":%u}",
      swarm->id, c->peer_id, c->publisher ? "publisher" : "viewer",
      cfg->ping_interval, cfg->eviction_timeout, cfg->max_message_size,
      cfg->max_peers_returned);
  client_send (c, text);
  g_free (text);

  text = peers_message (server, c, cfg->max_peers_returned);
  client_send (c, text);
  g_free (text);
}

static void
handle_peers (Client * c, JsonObject * msg)
{
  gint64 max = c->server->config.max_peers_returned;
  GError *err = NULL;
  gchar *text;

  if (!c->swarm) {
    client_reject (c, REJ_NOT_JOINED, "peers", NULL, "join a swarm first");
    return;
  }
  if (!gst_p2p_signal_message_get_int (msg, "max", FALSE, 0, G_MAXINT, &max,
          &err)) {
    client_reject (c, err->code, "peers", NULL, err->message);
    g_error_free (err);
    return;
  }
  text = peers_message (c->server, c,
      MIN ((guint) max, c->server->config.max_peers_returned));
  client_send (c, text);
  g_free (text);
}

static void
handle_signal (Client * c, JsonObject * msg)
{
  const gchar *to = NULL;
  JsonNode *payload = NULL;
  GError *err = NULL;
  Client *target;
  gchar *payload_text, *text, *extra;

  if (!c->swarm) {
    client_reject (c, REJ_NOT_JOINED, "signal", NULL, "join a swarm first");
    return;
  }
  if (!gst_p2p_signal_message_get_string (msg, "to", TRUE,
          GST_P2P_SIGNAL_MAX_PEER_ID_LEN, &to, &err)
      || !gst_p2p_signal_message_get_object (msg, "payload", TRUE, &payload,
          &err)) {
    client_reject (c, err->code, "signal", NULL, err->message);
    g_error_free (err);
    return;
  }
  if (!gst_p2p_signal_valid_peer_id (to)) {
    client_reject (c, REJ_BAD_FIELD, "signal", NULL, "'to' is not a peer id");
    return;
  }
  /* Only members of the sender's own swarm are reachable. */
  target = g_hash_table_lookup (c->swarm->by_id, to);
  extra = g_strdup_printf (",\"to\":\"%s\"", to);
  if (!target || target == c) {
    client_reject (c, REJ_UNKNOWN_PEER, "signal", extra,
        "no such peer in this swarm");
    g_free (extra);
    return;
  }
  if (client_congested (target)) {
    c->server->relay_dropped++;
    client_reject (c, REJ_PEER_CONGESTED, "signal", extra,
        "the peer is not reading its messages");
    g_free (extra);
    return;
  }
  g_free (extra);

  payload_text = gst_p2p_signal_node_to_string (payload);
  text = g_strdup_printf ("{\"type\":\"signal\",\"from\":\"%s\","
      "\"payload\":%s}", c->peer_id, payload_text);
  client_send (target, text);
  c->server->relayed_signal++;
  g_free (text);
  g_free (payload_text);
}

static void
handle_publish (Client * c, JsonObject * msg)
{
  GstP2pTrackerServer *server = c->server;
  JsonNode *payload = NULL;
  GError *err = NULL;
  gchar *payload_text, *text;
  guint i;

  if (!c->swarm || !c->publisher) {
    client_reject (c, REJ_NOT_OPERATOR, "publish", NULL,
        "only a client that joined with a publisher token may publish");
    return;
  }
  if (!gst_p2p_signal_message_get_object (msg, "payload", TRUE, &payload, &err)) {
    client_reject (c, err->code, "publish", NULL, err->message);
    g_error_free (err);
    return;
  }
  payload_text = gst_p2p_signal_node_to_string (payload);
  text = g_strdup_printf ("{\"type\":\"publish\",\"swarm\":\"%s\","
      "\"from\":\"%s\",\"payload\":%s}", c->swarm->id, c->peer_id,
      payload_text);
  for (i = 0; i < c->swarm->viewers->len; i++) {
    Client *v = g_ptr_array_index (c->swarm->viewers, i);

    if (client_congested (v)) {
      server->relay_dropped++;
      continue;
    }
    client_send (v, text);
    server->relayed_publish++;
  }
  g_free (text);
  g_free (payload_text);
}

static void
handle_message (Client * c, const gchar * data, gsize size)
{
  GstP2pTrackerServer *server = c->server;
  const GstP2pTrackerConfig *cfg = &server->config;
  JsonObject *msg;
  const gchar *type = NULL;
  GError *err = NULL;
  gint64 seq = -1;
  guint t;

  msg = gst_p2p_signal_message_parse (data, size, cfg->max_message_size,
      cfg->max_depth, &err);
  if (!msg) {
    client_reject (c, err->code, NULL, NULL, err->message);
    g_error_free (err);
    return;
  }
  if (!gst_p2p_signal_message_get_string (msg, "type", TRUE, 32, &type, &err)) {
    client_reject (c, err->code, NULL, NULL, err->message);
    g_error_free (err);
    goto out;
  }
  for (t = 0; t < N_MSG; t++)
    if (strcmp (type, msg_names[t]) == 0)
      break;
  if (t == N_MSG) {
    client_reject (c, REJ_UNKNOWN_TYPE, NULL, NULL, "unknown message type");
    goto out;
  }

  server->received[t]++;
  c->last_seen_us = g_get_monotonic_time ();

  switch (t) {
    case MSG_JOIN:
      handle_join (c, msg);
      break;
    case MSG_PEERS:
      handle_peers (c, msg);
      break;
    case MSG_SIGNAL:
      handle_signal (c, msg);
      break;
    case MSG_PUBLISH:
      handle_publish (c, msg);
      break;
    case MSG_LEAVE:
      if (c->swarm) {
        gchar *text = g_strdup_printf ("{\"type\":\"left\",\"swarm\":\"%s\"}",
            c->swarm->id);

        swarm_remove (c);
        client_send (c, text);
        g_free (text);
      } else {
        client_reject (c, REJ_NOT_JOINED, "leave", NULL, "not in a swarm");
      }
      break;
    case MSG_PING:
      /* An integer "seq" is echoed so clients can measure round trips. */
      if (gst_p2p_signal_message_get_int (msg, "seq", FALSE, G_MININT64,
              G_MAXINT64, &seq, NULL) && json_object_has_member (msg, "seq")) {
        gchar *text = g_strdup_printf ("{\"type\":\"pong\",\"seq\":%"
            G_GINT64_FORMAT "}", seq);

        client_send (c, text);
        g_free (text);
      } else {
        client_send (c, "{\"type\":\"pong\"}");
      }
      break;
  }

out:
  json_object_unref (msg);
}

/* ------------------------------------------------------------------ */
/* Connections */

static void
client_free (Client * c)
{
  GstP2pTrackerServer *server = c->server;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (server->per_ip, c->ip));

  swarm_remove (c);
  if (n <= 1)
    g_hash_table_remove (server->per_ip, c->ip);
  else
    g_hash_table_insert (server->per_ip, g_strdup (c->ip),
        GUINT_TO_POINTER (n - 1));
  g_signal_handlers_disconnect_by_data (c->conn, c);
  g_object_unref (c->conn);
  g_free (c->ip);
  g_free (c);
}

static void
on_message (SoupWebsocketConnection * conn, gint type, GBytes * message,
    Client * c)
{
  GstP2pTrackerServer *server = c->server;
  const GstP2pTrackerConfig *cfg = &server->config;
  gsize size;
  const gchar *data = g_bytes_get_data (message, &size);
  gint64 now = g_get_monotonic_time ();

  if (c->closing)
    return;
  server->bytes_in += size;

  if (!gst_p2p_token_bucket_take (&c->msg_bucket, 1, now)
      || !gst_p2p_token_bucket_take (&c->byte_bucket, size, now)) {
    server->rejects[REJ_RATE_LIMITED]++;
    c->violations++;
    if (cfg->rate_violations_close
        && c->violations >= cfg->rate_violations_close) {
      client_close (c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
          "rate limit exceeded");
      return;
    }
    /* One error per second at most: the errors must not become the flood. */
    if (now - c->last_rate_error_us >= G_USEC_PER_SEC) {
      c->last_rate_error_us = now;
      client_send_error (c, REJ_RATE_LIMITED, NULL, NULL,
          "too many messages or bytes per second; message dropped");
    }
    return;
  }

  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    client_reject (c, REJ_BINARY, NULL, NULL, "only text frames are accepted");
    return;
  }
  handle_message (c, data, size);
}

static void
on_error (SoupWebsocketConnection * conn, GError * error, Client * c)
{
  if (g_error_matches (error, SOUP_WEBSOCKET_ERROR,
          SOUP_WEBSOCKET_CLOSE_TOO_BIG))
    c->server->rejects[REJ_FRAME_TOO_LARGE]++;
  else
    c->server->rejects[REJ_PROTOCOL_ERROR]++;
  g_debug ("client %s: %s", c->ip, error->message);
}

static void
on_closed (SoupWebsocketConnection * conn, Client * c)
{
  g_debug ("client %s: closed (%u)", c->ip,
      soup_websocket_connection_get_close_code (conn));
  g_hash_table_remove (c->server->clients, c);
}

static void
on_websocket (SoupServer * soup, SoupServerMessage * msg, const gchar * path,
    SoupWebsocketConnection * conn, gpointer user_data)
{
  GstP2pTrackerServer *server = user_data;
  const GstP2pTrackerConfig *cfg = &server->config;
  Client *c = g_new0 (Client, 1);
  const gchar *ip = soup_server_message_get_remote_host (msg);
  GSocket *sock = soup_server_message_get_socket (msg);
  gint64 now = g_get_monotonic_time ();
  guint n_ip;

  c->server = server;
  c->conn = g_object_ref (conn);
  c->ip = g_strdup (ip ? ip : "?");
  c->fd = sock ? g_socket_get_fd (sock) : -1;
  /* Signals are small and latency-bound: no Nagle delay on relays. */
  if (sock)
    g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  c->last_seen_us = now;
  gst_p2p_token_bucket_init (&c->msg_bucket, cfg->rate_messages,
      cfg->rate_messages_burst, now);
  gst_p2p_token_bucket_init (&c->byte_bucket, cfg->rate_bytes,
      MAX (cfg->rate_bytes_burst, cfg->max_frame_size), now);
  server->connections++;

  soup_websocket_connection_set_max_incoming_payload_size (conn,
      cfg->max_frame_size);
  /* Liveness is the client's job (ping messages); no server pings. */
  soup_websocket_connection_set_keepalive_interval (conn, 0);
  g_signal_connect (conn, "message", G_CALLBACK (on_message), c);
  g_signal_connect (conn, "error", G_CALLBACK (on_error), c);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), c);

  n_ip = GPOINTER_TO_UINT (g_hash_table_lookup (server->per_ip, c->ip)) + 1;
  g_hash_table_insert (server->per_ip, g_strdup (c->ip),
      GUINT_TO_POINTER (n_ip));
  g_hash_table_add (server->clients, c);

  if (g_hash_table_size (server->clients) > cfg->max_clients) {
    client_reject (c, REJ_TOO_MANY_CLIENTS, NULL, NULL,
        "the tracker is full, try again later");
    client_close (c, 1013 /* try again later */ , "tracker full");
  } else if (cfg->max_clients_per_ip && n_ip > cfg->max_clients_per_ip) {
    client_reject (c, REJ_TOO_MANY_CLIENTS_PER_IP, NULL, NULL,
        "too many connections from this address");
    client_close (c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
        "too many connections from this address");
  }
}

static gboolean
evict_dead (gpointer data)
{
  GstP2pTrackerServer *server = data;
  gint64 limit = g_get_monotonic_time () -
      (gint64) server->config.eviction_timeout * G_USEC_PER_SEC;
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, server->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    Client *c = key;

    if (!c->closing && c->last_seen_us < limit) {
      server->evictions++;
      client_close (c, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
          "evicted: no message within the eviction timeout");
    }
  }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Metrics */

static void
metric (GString * s, const gchar * name, const gchar * type, const gchar * help)
{
  g_string_append_printf (s, "# HELP %s %s\n# TYPE %s %s\n", name, help,
      name, type);
}

/**
 * gst_p2p_tracker_server_render_metrics:
 * @server: the server
 *
 * Returns: (transfer full): the Prometheus text exposition of the counters.
 */
gchar *
gst_p2p_tracker_server_render_metrics (GstP2pTrackerServer * server)
{
  GString *s = g_string_sized_new (4096);
  guint i;

#define P "gst_p2p_tracker_"
  metric (s, P "clients", "gauge", "Open WebSocket connections.");
  g_string_append_printf (s, P "clients %u\n",
      g_hash_table_size (server->clients));
  metric (s, P "peers", "gauge", "Viewers joined to a swarm.");
  g_string_append_printf (s, P "peers %u\n", server->n_viewers);
  metric (s, P "publishers", "gauge", "Publishers joined to a swarm.");
  g_string_append_printf (s, P "publishers %u\n", server->n_publishers);
  metric (s, P "swarms", "gauge", "Swarms with at least one member.");
  g_string_append_printf (s, P "swarms %u\n",
      g_hash_table_size (server->swarms));
  metric (s, P "connections_total", "counter", "Accepted connections.");
  g_string_append_printf (s, P "connections_total %" G_GUINT64_FORMAT "\n",
      server->connections);
  metric (s, P "messages_received_total", "counter",
      "Valid messages received, by type.");
  for (i = 0; i < N_MSG; i++)
    g_string_append_printf (s, P "messages_received_total{type=\"%s\"} %"
        G_GUINT64_FORMAT "\n", msg_names[i], server->received[i]);
  metric (s, P "messages_relayed_total", "counter",
      "Messages delivered to another client, by type.");
  g_string_append_printf (s, P "messages_relayed_total{type=\"signal\"} %"
      G_GUINT64_FORMAT "\n", server->relayed_signal);
  g_string_append_printf (s, P "messages_relayed_total{type=\"publish\"} %"
      G_GUINT64_FORMAT "\n", server->relayed_publish);
  g_string_append_printf (s, P "messages_relayed_total{type=\"peers\"} %"
      G_GUINT64_FORMAT "\n", server->peer_lists);
  metric (s, P "relay_dropped_total", "counter",
      "Relays dropped because the receiver was not reading.");
  g_string_append_printf (s, P "relay_dropped_total %" G_GUINT64_FORMAT "\n",
      server->relay_dropped);
  metric (s, P "rejects_total", "counter",
      "Rejected messages and connections, by reason.");
  for (i = 0; i < N_REJ; i++)
    g_string_append_printf (s, P "rejects_total{reason=\"%s\"} %"
        G_GUINT64_FORMAT "\n", reject_names[i], server->rejects[i]);
  metric (s, P "evictions_total", "counter",
      "Clients closed for silence beyond the eviction timeout.");
  g_string_append_printf (s, P "evictions_total %" G_GUINT64_FORMAT "\n",
      server->evictions);
  metric (s, P "received_bytes_total", "counter", "WebSocket payload bytes "
      "received.");
  g_string_append_printf (s, P "received_bytes_total %" G_GUINT64_FORMAT
      "\n", server->bytes_in);
  metric (s, P "sent_bytes_total", "counter", "WebSocket payload bytes sent.");
  g_string_append_printf (s, P "sent_bytes_total %" G_GUINT64_FORMAT "\n",
      server->bytes_out);
#undef P
  return g_string_free (s, FALSE);
}

static void
on_metrics (SoupServer * soup, SoupServerMessage * msg, const gchar * path,
    GHashTable * query, gpointer user_data)
{
  GstP2pTrackerServer *server = user_data;
  gchar *body;

  if (strcmp (soup_server_message_get_method (msg), "GET") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  body = gst_p2p_tracker_server_render_metrics (server);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4",
      SOUP_MEMORY_TAKE, body, strlen (body));
}

/* ------------------------------------------------------------------ */
/* Life cycle */

/**
 * gst_p2p_tracker_server_new:
 * @config: settings; copied
 * @secret: (nullable): token secret; NULL makes an open tracker
 *
 * Returns: (transfer full): a server, not yet listening.
 */
GstP2pTrackerServer *
gst_p2p_tracker_server_new (const GstP2pTrackerConfig * config, GBytes * secret)
{
  GstP2pTrackerServer *server = g_new0 (GstP2pTrackerServer, 1);
  guint interval;

  server->config = *config;
  server->config.listen = g_strdup (config->listen);
  server->config.tls_cert = g_strdup (config->tls_cert);
  server->config.tls_key = g_strdup (config->tls_key);
  server->config.secret_file = g_strdup (config->secret_file);
  server->secret = secret ? g_bytes_ref (secret) : NULL;
  server->clients = g_hash_table_new_full (NULL, NULL,
      (GDestroyNotify) client_free, NULL);
  server->swarms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) swarm_free);
  server->per_ip = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);

  server->soup = soup_server_new ("server-header", "gst-p2p-tracker ", NULL);
  /* permessage-deflate costs ~300 KiB of zlib state per connection and lets
   * a small frame inflate past our size checks: never negotiate it. */
  soup_server_remove_websocket_extension (server->soup,
      SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  if (config->metrics)
    soup_server_add_handler (server->soup, "/metrics", on_metrics, server,
        NULL);
  soup_server_add_websocket_handler (server->soup, "/", NULL, NULL,
      on_websocket, server, NULL);

  interval = CLAMP (config->eviction_timeout / 4, 1, 10);
  server->evict_source = g_timeout_add_seconds (interval, evict_dead, server);
  return server;
}

/**
 * gst_p2p_tracker_server_listen:
 * @server: the server
 * @address: where to listen
 * @certificate: (nullable): TLS certificate with its key; enables wss://
 *
 * Returns: FALSE with @error set if the address can't be bound.
 */
gboolean
gst_p2p_tracker_server_listen (GstP2pTrackerServer * server,
    GSocketAddress * address, GTlsCertificate * certificate, GError ** error)
{
  SoupServerListenOptions opts = 0;
  GSocket *sock;
  gboolean ok;

  if (certificate) {
    soup_server_set_tls_certificate (server->soup, certificate);
    opts |= SOUP_SERVER_LISTEN_HTTPS;
  }
  /* Our own socket, because soup_server_listen() keeps GLib's backlog of
   * 10: a crowd reconnecting after a restart would overflow it and wait
   * for SYN retransmissions. The kernel caps it at net.core.somaxconn. */
  sock = g_socket_new (g_socket_address_get_family (address),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (!sock)
    return FALSE;
  g_socket_set_listen_backlog (sock, 4096);
  ok = g_socket_bind (sock, address, TRUE, error)
      && g_socket_listen (sock, error)
      && soup_server_listen_socket (server->soup, sock, opts, error);
  g_object_unref (sock);
  return ok;
}

guint
gst_p2p_tracker_server_get_n_clients (GstP2pTrackerServer * server)
{
  return g_hash_table_size (server->clients);
}

/**
 * gst_p2p_tracker_server_shutdown:
 * @server: the server
 *
 * Stops accepting and sends every client a "going away" close. The caller
 * iterates the main context until gst_p2p_tracker_server_get_n_clients()
 * is 0 (or a deadline passes) before freeing the server.
 */
void
gst_p2p_tracker_server_shutdown (GstP2pTrackerServer * server)
{
  GHashTableIter iter;
  gpointer key;

  soup_server_disconnect (server->soup);
  g_hash_table_iter_init (&iter, server->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    client_close (key, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "tracker shutting "
        "down");
}

/**
 * gst_p2p_tracker_server_free:
 * @server: the server
 */
void
gst_p2p_tracker_server_free (GstP2pTrackerServer * server)
{
  g_source_remove (server->evict_source);
  g_hash_table_unref (server->clients);
  g_hash_table_unref (server->swarms);
  g_hash_table_unref (server->per_ip);
  g_object_unref (server->soup);
  g_clear_pointer (&server->secret, g_bytes_unref);
  gst_p2p_tracker_config_clear (&server->config);
  g_free (server);
}
