/* GstP2pSwarm: tracker membership, links and peers of one swarm. See
 * gstp2pswarm.h and docs/swarm.md.
 *
 * Threads: everything runs on the GstP2pLoop thread (the tracker client
 * requires it); links, peers and timers are attached to its context.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "gstp2p.h"
#include "net/gstp2ploop.h"
#include "scheduler/gstp2ppeerselect.h"
#include "signalling/gstp2psignalmessage.h"
#include "signalling/gstp2ptrackerclient.h"
#include "swarm/gstp2pswarm.h"

GST_DEBUG_CATEGORY_STATIC (p2p_swarm_debug);
#define GST_CAT_DEFAULT p2p_swarm_debug

#define TICK_MS 250
/* Lines per signalling payload: 12 lines of at most 1 KiB stay below the
 * tracker's 16 KiB message limit. */
#define MAX_LINES_PER_SIGNAL 12
#define MAX_LINES_IN 32
#define MAX_SIGNAL_IN (16 * 1024)
#define KNOCK_INTERVAL_US (3 * G_USEC_PER_SEC)
#define FORGET_AFTER_US (300 * G_USEC_PER_SEC)
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_PEER_TIMEOUT_MS 5000
#define DEFAULT_SIZE_GUESS (2 * 1024 * 1024)

#define DEFAULT_MAX_REQUESTS GST_P2P_PEER_DEFAULT_MAX_REQUESTS
#define DEFAULT_UPLOAD_ENABLED TRUE
#define DEFAULT_MAX_UPLOADS GST_P2P_UPLOAD_GATE_DEFAULT_MAX_UPLOADS
#define DEFAULT_UPLOAD_RATE 0
#define DEFAULT_STALL_TIMEOUT GST_P2P_PEER_DEFAULT_STALL_TIMEOUT_MS
#define DEFAULT_HELLO_TIMEOUT GST_P2P_PEER_DEFAULT_HELLO_TIMEOUT_MS

typedef struct _Remote Remote;

struct _GstP2pSwarm
{
  GObject parent;

  guint8 swarm_id[GST_P2P_WIRE_SWARM_ID_SIZE];
  gchar *swarm_hex;
  gchar *tracker_url;
  gchar *token;
  gchar *requested_peer_id;
  GstP2pSegmentStore *store;
  GMainContext *context;

  GstP2pTrackerClient *tracker;
  gchar *local_id;
  guint8 local_wire_id[GST_P2P_WIRE_PEER_ID_SIZE];

  GstP2pLinkConfig link_config;
  GstP2pConnLimits limits;
  GstP2pUploadGate own_gate;
  GstP2pUploadGate *gate;
  gboolean upload_enabled;
  guint max_uploads;
  guint64 upload_rate;
  guint max_requests;
  guint stall_timeout;
  guint hello_timeout;

  GHashTable *remotes;          /* id -> Remote */
  GTree *haves;                 /* guint64* -> NULL: what we announced */
  GSource *tick;
  GRand *rand;
  gboolean started;

  gchar *last_error;
  gchar *last_error_message;
  GstP2pSwarmStats stats;
  guint64 closed_bytes_in;
  guint64 closed_bytes_out;
};

struct _Remote
{
  GstP2pSwarm *swarm;
  gchar *id;
  guint8 wire_id[GST_P2P_WIRE_PEER_ID_SIZE];
  GstP2pConnEntry entry;
  GstP2pLink *link;
  GstP2pPeer *peer;
  gchar *session;
  gboolean initiator;
  GPtrArray *out_lines;
  GSource *flush;
  gchar *refused_session;
};

typedef struct
{
  GstP2pSwarm *swarm;
  GstP2pPeer *peer;
  gchar *peer_id;
  guint32 request_id;
  guint32 segment_size;
  GBytes *partial;
  GstP2pSwarmProgress progress;
  gpointer progress_data;
  GDestroyNotify progress_notify;
  GCancellable *cancellable;
  gulong cancel_id;
  gboolean done;
} Fetch;

enum
{
  PROP_0,
  PROP_PEER_ID,
  PROP_MAX_PEERS,
  PROP_MAX_PENDING,
  PROP_MAX_REQUESTS,
  PROP_UPLOAD_ENABLED,
  PROP_MAX_UPLOADS,
  PROP_UPLOAD_RATE,
  PROP_STALL_TIMEOUT,
  PROP_HELLO_TIMEOUT,
  PROP_BAN_DURATION,
  N_PROPS
};

enum
{
  SIGNAL_JOINED,
  SIGNAL_PEER_ADDED,
  SIGNAL_PEER_REMOVED,
  SIGNAL_HAVE,
  SIGNAL_FETCHING,
  SIGNAL_PUBLISH,
  SIGNAL_TRACKER_ERROR,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (GstP2pSwarm, gst_p2p_swarm, G_TYPE_OBJECT);

static void maybe_connect (GstP2pSwarm * self);

/* ---- helpers ---------------------------------------------------------- */

static gint
cmp_u64 (gconstpointer a, gconstpointer b, gpointer unused)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * gst_p2p_swarm_peer_wire_id:
 * @tracker_id: a peer id the tracker handed out
 * @wire_id: (out caller-allocates): 16 bytes
 *
 * The peer id in HELLO: the first 16 bytes of SHA-256 of the tracker id,
 * so both sides derive it from the signalling and a peer cannot claim
 * another's identity on a link.
 */
void
gst_p2p_swarm_peer_wire_id (const gchar * tracker_id, guint8 * wire_id)
{
  GChecksum *c = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof (digest);

  g_checksum_update (c, (const guchar *) tracker_id, strlen (tracker_id));
  g_checksum_get_digest (c, digest, &len);
  g_checksum_free (c);
  memcpy (wire_id, digest, GST_P2P_WIRE_PEER_ID_SIZE);
}

static gchar *
random_session (GstP2pSwarm * self)
{
  return g_strdup_printf ("%08x%08x", g_rand_int (self->rand),
      g_rand_int (self->rand));
}

static void
clear_source (GSource ** s)
{
  if (*s) {
    g_source_destroy (*s);
    g_source_unref (*s);
    *s = NULL;
  }
}

static void
count_links (GstP2pSwarm * self, guint * n_links, guint * n_pending)
{
  GHashTableIter it;
  Remote *r;

  *n_links = *n_pending = 0;
  g_hash_table_iter_init (&it, self->remotes);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r)) {
    if (r->entry.state != GST_P2P_CONN_IDLE)
      (*n_links)++;
    if (r->entry.state == GST_P2P_CONN_PENDING)
      (*n_pending)++;
  }
}

/* ---- signalling out --------------------------------------------------- */

static void
send_payload (GstP2pSwarm * self, const gchar * to, JsonBuilder * b)
{
  JsonNode *root;
  gchar *text;

  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = gst_p2p_signal_node_to_string (root);
  json_node_unref (root);
  g_object_unref (b);
  if (self->tracker)
    gst_p2p_tracker_client_send_signal (self->tracker, to, text);
  g_free (text);
}

static JsonBuilder *
payload_begin (const gchar * type, const gchar * session)
{
  JsonBuilder *b = json_builder_new_immutable ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "t");
  json_builder_add_string_value (b, type);
  if (session) {
    json_builder_set_member_name (b, "s");
    json_builder_add_string_value (b, session);
  }
  return b;
}

static void
send_bye (GstP2pSwarm * self, const gchar * to, const gchar * session,
    const gchar * reason)
{
  JsonBuilder *b = payload_begin ("bye", session ? session : "");

  json_builder_set_member_name (b, "r");
  json_builder_add_string_value (b, reason);
  send_payload (self, to, b);
}

static gboolean
flush_lines_cb (gpointer data)
{
  Remote *r = data;
  guint i = 0;

  clear_source (&r->flush);
  while (r->session && i < r->out_lines->len) {
    JsonBuilder *b = payload_begin ("sig", r->session);
    guint n;

    json_builder_set_member_name (b, "l");
    json_builder_begin_array (b);
    for (n = 0; n < MAX_LINES_PER_SIGNAL && i < r->out_lines->len; n++, i++)
      json_builder_add_string_value (b, g_ptr_array_index (r->out_lines, i));
    json_builder_end_array (b);
    send_payload (r->swarm, r->id, b);
  }
  g_ptr_array_set_size (r->out_lines, 0);
  return G_SOURCE_REMOVE;
}

/* Lines of one main-loop iteration travel together: fewer tracker
 * messages, and the tracker rate-limits messages. */
static void
on_local_signal (GstP2pLink * link, const gchar * line, Remote * r)
{
  g_ptr_array_add (r->out_lines, g_strdup (line));
  if (!r->flush) {
    r->flush = g_idle_source_new ();
    g_source_set_callback (r->flush, flush_lines_cb, r, NULL);
    g_source_attach (r->flush, r->swarm->context);
  }
}

/* ---- remotes and their links ------------------------------------------ */

static void
remote_detach (Remote * r)
{
  if (r->peer) {
    GstP2pPeerStats ps;

    gst_p2p_peer_get_stats (r->peer, &ps);
    r->swarm->closed_bytes_in += ps.bytes_in;
    r->swarm->closed_bytes_out += ps.bytes_out;
    g_signal_handlers_disconnect_by_data (r->peer, r);
    /* Closing sends BYE and lets the link linger; a no-op if closed. */
    gst_p2p_peer_close (r->peer, GST_P2P_WIRE_BYE_NORMAL, "leaving");
    g_clear_object (&r->peer);
  }
  if (r->link) {
    g_signal_handlers_disconnect_by_data (r->link, r);
    g_clear_object (&r->link);
  }
  clear_source (&r->flush);
  g_ptr_array_set_size (r->out_lines, 0);
  g_clear_pointer (&r->session, g_free);
}

static void
remote_free (Remote * r)
{
  remote_detach (r);
  g_ptr_array_unref (r->out_lines);
  g_free (r->refused_session);
  g_free (r->id);
  g_free (r);
}

static Remote *
ensure_remote (GstP2pSwarm * self, const gchar * id, gint64 now)
{
  Remote *r = g_hash_table_lookup (self->remotes, id);

  if (r)
    return r;
  if (!self->local_id || strcmp (id, self->local_id) == 0)
    return NULL;
  if (g_hash_table_size (self->remotes) >= GST_P2P_SWARM_MAX_KNOWN) {
    /* Forget the idle, unbanned peer seen longest ago. */
    GHashTableIter it;
    Remote *x, *victim = NULL;

    g_hash_table_iter_init (&it, self->remotes);
    while (g_hash_table_iter_next (&it, NULL, (gpointer *) & x))
      if (x->entry.state == GST_P2P_CONN_IDLE
          && !gst_p2p_conn_is_banned (&x->entry, now)
          && (!victim || x->entry.last_seen < victim->entry.last_seen))
        victim = x;
    if (!victim)
      return NULL;
    g_hash_table_remove (self->remotes, victim->id);
  }
  r = g_new0 (Remote, 1);
  r->swarm = self;
  r->id = g_strdup (id);
  gst_p2p_swarm_peer_wire_id (id, r->wire_id);
  r->out_lines = g_ptr_array_new_with_free_func (g_free);
  r->entry.last_seen = now;
  g_hash_table_insert (self->remotes, r->id, r);
  return r;
}

static GBytes *
provide (GstP2pPeer * peer, guint64 segment_id, gpointer data)
{
  GstP2pSwarm *self = data;

  return gst_p2p_segment_store_get (self->store, self->swarm_id, segment_id,
      NULL, g_get_monotonic_time ());
}

static void
send_haves (GstP2pSwarm * self, GstP2pPeer * peer)
{
  guint n = g_tree_nnodes (self->haves);
  GTreeNode *first, *last, *node;
  guint64 base, span;

  if (n == 0)
    return;
  first = g_tree_node_first (self->haves);
  last = g_tree_node_last (self->haves);
  base = *(guint64 *) g_tree_node_key (first);
  span = *(guint64 *) g_tree_node_key (last) - base + 1;
  if (span <= GST_P2P_WIRE_MAX_BITFIELD_BITS) {
    guint8 *bitmap = g_malloc0 ((span + 7) / 8);

    for (node = first; node; node = g_tree_node_next (node)) {
      guint64 i = *(guint64 *) g_tree_node_key (node) - base;
      bitmap[i / 8] |= 0x80 >> (i % 8);
    }
    gst_p2p_peer_send_bitfield (peer, base, span, bitmap);
    g_free (bitmap);
  } else {
    /* Sparse ids ($Time$): one HAVE each. */
    for (node = first; node; node = g_tree_node_next (node))
      gst_p2p_peer_send_have (peer, *(guint64 *) g_tree_node_key (node));
  }
}

static void
on_peer_ready (GstP2pPeer * peer, Remote * r)
{
  GstP2pSwarm *self = r->swarm;

  gst_p2p_conn_connected (&r->entry);
  GST_INFO_OBJECT (self, "peer %s ready", r->id);
  send_haves (self, peer);
  g_signal_emit (self, signals[SIGNAL_PEER_ADDED], 0, r->id);
}

static void
on_peer_closed (GstP2pPeer * peer, GstP2pPeerEnd end, guint reason,
    const gchar * text, Remote * r)
{
  GstP2pSwarm *self = r->swarm;
  gboolean was_ready = r->entry.state == GST_P2P_CONN_CONNECTED;
  gint64 now = g_get_monotonic_time ();
  gchar *id = g_strdup (r->id);
  GstP2pPeerStats ps;

  gst_p2p_peer_get_stats (peer, &ps);
  GST_INFO_OBJECT (self, "peer %s gone (%s)", r->id, text ? text : "");
  if (ps.protocol_errors > 0) {
    self->stats.protocol_errors += ps.protocol_errors;
    self->stats.bans++;
    gst_p2p_conn_ban (&self->limits, &r->entry, now);
    GST_WARNING_OBJECT (self, "banned peer %s: %s", r->id, text ? text : "");
  } else if (end == GST_P2P_PEER_END_LINK || !was_ready) {
    self->stats.link_failures++;
    gst_p2p_conn_failed (&self->limits, &r->entry, now,
        g_rand_double (self->rand));
  } else {
    gst_p2p_conn_closed (&self->limits, &r->entry, now);
  }
  remote_detach (r);
  if (was_ready)
    g_signal_emit (self, signals[SIGNAL_PEER_REMOVED], 0, id, text ? text : "");
  g_free (id);
  maybe_connect (self);
}

static void
on_peer_have (GstP2pPeer * peer, guint64 seg, Remote * r)
{
  g_signal_emit (r->swarm, signals[SIGNAL_HAVE], 0, r->id, seg);
}

static void
on_peer_fetching (GstP2pPeer * peer, guint64 seg, gboolean aborted, Remote * r)
{
  g_signal_emit (r->swarm, signals[SIGNAL_FETCHING], 0, r->id, seg, aborted);
}

static gboolean
start_link (GstP2pSwarm * self, Remote * r, gboolean initiator,
    const gchar * session)
{
  GstP2pLinkConfig config = self->link_config;
  GstP2pPeerConfig pc;
  GError *err = NULL;

  config.initiator = initiator;
  config.dtls_role = GST_P2P_LINK_DTLS_ROLE_AUTO;
  r->link = gst_p2p_link_new (&config, self->context, &err);
  if (!r->link) {
    GST_WARNING_OBJECT (self, "cannot create a link to %s: %s", r->id,
        err->message);
    g_clear_error (&err);
    gst_p2p_conn_failed (&self->limits, &r->entry, g_get_monotonic_time (),
        g_rand_double (self->rand));
    self->stats.link_failures++;
    return FALSE;
  }
  r->initiator = initiator;
  r->session = session ? g_strdup (session) : random_session (self);
  r->entry.state = GST_P2P_CONN_PENDING;
  if (initiator)
    self->stats.links_initiated++;
  else
    self->stats.links_accepted++;

  gst_p2p_peer_config_init (&pc);
  memcpy (pc.swarm_id, self->swarm_id, sizeof (pc.swarm_id));
  memcpy (pc.local_id, self->local_wire_id, sizeof (pc.local_id));
  memcpy (pc.remote_id, r->wire_id, sizeof (pc.remote_id));
  pc.check_remote_id = TRUE;
  /* The initiator is the DTLS client (role AUTO): even streams. */
  pc.even_streams = initiator;
  pc.n_streams = config.n_streams;
  pc.max_requests = self->upload_enabled ? self->max_requests : 0;
  pc.stall_timeout_ms = self->stall_timeout;
  pc.hello_timeout_ms = self->hello_timeout;
  pc.gate = self->gate;
  r->peer = gst_p2p_peer_new (r->link, self->context, &pc, r->id);
  gst_p2p_peer_set_provider (r->peer, provide, self, NULL);
  g_signal_connect (r->peer, "ready", G_CALLBACK (on_peer_ready), r);
  g_signal_connect (r->peer, "closed", G_CALLBACK (on_peer_closed), r);
  g_signal_connect (r->peer, "have", G_CALLBACK (on_peer_have), r);
  g_signal_connect (r->peer, "fetching", G_CALLBACK (on_peer_fetching), r);
  g_signal_connect (r->link, "local-signal", G_CALLBACK (on_local_signal), r);

  GST_INFO_OBJECT (self, "%s link %s with %s", initiator ? "starting" :
      "accepting", r->session, r->id);
  if (!gst_p2p_link_start (r->link, &err)) {
    /* The link failed: the peer's "closed" handler has cleaned up. */
    GST_WARNING_OBJECT (self, "link to %s did not start: %s", r->id,
        err ? err->message : "?");
    g_clear_error (&err);
    return FALSE;
  }
  return TRUE;
}

static void
maybe_connect (GstP2pSwarm * self)
{
  GHashTableIter it;
  Remote *r;
  guint n_links, n_pending;
  gint64 now = g_get_monotonic_time ();
  GPtrArray *order;
  guint i;

  if (!self->started || !self->local_id)
    return;
  count_links (self, &n_links, &n_pending);
  if (n_links >= self->limits.max_peers
      || n_pending >= self->limits.max_pending)
    return;

  /* Random order: every viewer must not pile onto the same few peers. */
  order = g_ptr_array_new ();
  g_hash_table_iter_init (&it, self->remotes);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r))
    g_ptr_array_add (order, r);
  for (i = order->len; i > 1; i--) {
    guint j = g_rand_int_range (self->rand, 0, i);
    gpointer t = order->pdata[i - 1];
    order->pdata[i - 1] = order->pdata[j];
    order->pdata[j] = t;
  }
  for (i = 0; i < order->len; i++) {
    r = order->pdata[i];
    if (gst_p2p_conn_may_connect (&self->limits, &r->entry, n_links,
            n_pending, now) != GST_P2P_CONN_OK)
      continue;
    if (gst_p2p_conn_we_initiate (self->local_id, r->id)) {
      if (start_link (self, r, TRUE, NULL)) {
        n_links++;
        n_pending++;
      }
    } else {
      /* The lower id initiates: ask it to. */
      JsonBuilder *b = payload_begin ("knock", NULL);

      send_payload (self, r->id, b);
      r->entry.next_attempt = now + KNOCK_INTERVAL_US;
    }
    if (n_links >= self->limits.max_peers
        || n_pending >= self->limits.max_pending)
      break;
  }
  g_ptr_array_unref (order);
}

/* ---- signalling in ---------------------------------------------------- */

static void
refuse (GstP2pSwarm * self, Remote * r, const gchar * session,
    GstP2pConnVerdict v)
{
  if (session && r->refused_session
      && strcmp (r->refused_session, session) == 0)
    return;
  g_free (r->refused_session);
  r->refused_session = g_strdup (session);
  self->stats.links_refused++;
  GST_INFO_OBJECT (self, "refusing a link from %s: %s", r->id,
      gst_p2p_conn_verdict_get_name (v));
  send_bye (self, r->id, session, gst_p2p_conn_verdict_get_name (v));
}

static void
handle_knock (GstP2pSwarm * self, Remote * r, gint64 now)
{
  guint n_links, n_pending;
  GstP2pConnVerdict v;

  if (!gst_p2p_conn_we_initiate (self->local_id, r->id)) {
    self->stats.bad_signals++;
    return;
  }
  count_links (self, &n_links, &n_pending);
  v = gst_p2p_conn_may_accept (&self->limits, &r->entry, n_links, n_pending,
      now);
  if (v == GST_P2P_CONN_OK)
    start_link (self, r, TRUE, NULL);
  else if (v != GST_P2P_CONN_BUSY)
    refuse (self, r, NULL, v);
}

static gboolean
lines_start_attempt (JsonArray * lines)
{
  guint i;

  for (i = 0; i < json_array_get_length (lines); i++) {
    const gchar *l = json_array_get_string_element (lines, i);
    if (l && g_str_has_prefix (l, "a=ice-ufrag:"))
      return TRUE;
  }
  return FALSE;
}

static void
handle_sig (GstP2pSwarm * self, Remote * r, const gchar * session,
    JsonArray * lines, gint64 now)
{
  guint i, n = json_array_get_length (lines);

  if (n == 0 || n > MAX_LINES_IN) {
    self->stats.bad_signals++;
    return;
  }
  for (i = 0; i < n; i++) {
    JsonNode *e = json_array_get_element (lines, i);
    if (!JSON_NODE_HOLDS_VALUE (e)
        || json_node_get_value_type (e) != G_TYPE_STRING) {
      self->stats.bad_signals++;
      return;
    }
  }

  if (r->link && r->session && strcmp (r->session, session) != 0) {
    /* A new attempt by the rightful initiator replaces ours; anything else
     * is a stale line of an earlier attempt. */
    if (gst_p2p_conn_we_initiate (self->local_id, r->id)
        || !lines_start_attempt (lines))
      return;
    GST_INFO_OBJECT (self, "%s restarted its link (%s -> %s)", r->id,
        r->session, session);
    remote_detach (r);
    r->entry.state = GST_P2P_CONN_IDLE;
  }
  if (!r->link) {
    guint n_links, n_pending;
    GstP2pConnVerdict v;

    if (gst_p2p_conn_we_initiate (self->local_id, r->id)
        || !lines_start_attempt (lines))
      return;
    count_links (self, &n_links, &n_pending);
    v = gst_p2p_conn_may_accept (&self->limits, &r->entry, n_links,
        n_pending, now);
    if (v != GST_P2P_CONN_OK) {
      refuse (self, r, session, v);
      return;
    }
    if (!start_link (self, r, FALSE, session) || !r->link)
      return;
  }
  for (i = 0; i < n && r->link; i++) {
    GError *err = NULL;
    const gchar *line = json_array_get_string_element (lines, i);

    if (!gst_p2p_link_add_remote_signal (r->link, line, &err)) {
      self->stats.bad_signals++;
      GST_DEBUG_OBJECT (self, "line from %s refused: %s", r->id,
          err ? err->message : "");
      g_clear_error (&err);
    }
  }
}

static void
handle_bye (GstP2pSwarm * self, Remote * r, const gchar * session,
    const gchar * reason, gint64 now)
{
  GST_INFO_OBJECT (self, "%s refused or ended link %s: %s", r->id, session,
      reason);
  if (!*session) {
    /* Our knock was refused. */
    if (r->entry.state == GST_P2P_CONN_IDLE)
      gst_p2p_conn_failed (&self->limits, &r->entry, now,
          g_rand_double (self->rand));
    return;
  }
  if (r->peer && r->session && strcmp (r->session, session) == 0
      && r->entry.state == GST_P2P_CONN_PENDING) {
    gchar *text = g_strdup_printf ("refused by the peer: %s", reason);
    /* -> on_peer_closed: counted as a failed attempt, backoff */
    gst_p2p_peer_close (r->peer, GST_P2P_WIRE_BYE_NORMAL, text);
    g_free (text);
  }
}

static void
on_tracker_signal (GstP2pTrackerClient * tracker, const gchar * from,
    const gchar * payload, GstP2pSwarm * self)
{
  JsonObject *obj;
  const gchar *type = NULL, *session = NULL, *reason = NULL;
  JsonNode *lines;
  Remote *r;
  gint64 now = g_get_monotonic_time ();

  obj = gst_p2p_signal_message_parse (payload, strlen (payload),
      MAX_SIGNAL_IN, 4, NULL);
  if (!obj) {
    self->stats.bad_signals++;
    return;
  }
  if (!gst_p2p_signal_message_get_string (obj, "t", TRUE, 16, &type, NULL)
      || !gst_p2p_signal_message_get_string (obj, "s", FALSE, 32, &session,
          NULL)
      || !(r = ensure_remote (self, from, now))) {
    self->stats.bad_signals++;
    json_object_unref (obj);
    return;
  }
  r->entry.last_seen = now;
  if (strcmp (type, "knock") == 0) {
    handle_knock (self, r, now);
  } else if (strcmp (type, "sig") == 0 && session
      && (lines = json_object_get_member (obj, "l"))
      && JSON_NODE_HOLDS_ARRAY (lines)) {
    handle_sig (self, r, session, json_node_get_array (lines), now);
  } else if (strcmp (type, "bye") == 0 && session
      && gst_p2p_signal_message_get_string (obj, "r", TRUE, 64, &reason,
          NULL)) {
    handle_bye (self, r, session, reason, now);
  } else {
    self->stats.bad_signals++;
  }
  json_object_unref (obj);
}

static void
on_tracker_joined (GstP2pTrackerClient * tracker, const gchar * peer_id,
    GstP2pSwarm * self)
{
  if (g_strcmp0 (self->local_id, peer_id) != 0) {
    g_free (self->local_id);
    self->local_id = g_strdup (peer_id);
    gst_p2p_swarm_peer_wire_id (peer_id, self->local_wire_id);
  }
  GST_INFO_OBJECT (self, "joined swarm %s as %s", self->swarm_hex, peer_id);
  g_signal_emit (self, signals[SIGNAL_JOINED], 0, peer_id);
  maybe_connect (self);
}

static void
on_tracker_peers (GstP2pTrackerClient * tracker, gchar ** ids, gchar ** caps,
    GstP2pSwarm * self)
{
  gint64 now = g_get_monotonic_time ();
  guint i;

  for (i = 0; ids && ids[i]; i++) {
    Remote *r = ensure_remote (self, ids[i], now);
    if (r)
      gst_p2p_conn_seen (&self->limits, &r->entry, now);
  }
  maybe_connect (self);
}

static void
on_tracker_publish (GstP2pTrackerClient * tracker, const gchar * from,
    const gchar * payload, GstP2pSwarm * self)
{
  g_signal_emit (self, signals[SIGNAL_PUBLISH], 0, from, payload);
}

static void
on_tracker_error (GstP2pTrackerClient * tracker, const gchar * reason,
    const gchar * message, GstP2pSwarm * self)
{
  /* unknown-peer answers a signal to a peer that left: routine */
  self->stats.tracker_errors++;
  g_free (self->last_error);
  g_free (self->last_error_message);
  self->last_error = g_strdup (reason);
  self->last_error_message = g_strdup (message);
  GST_WARNING_OBJECT (self, "tracker error %s: %s", reason, message);
  g_signal_emit (self, signals[SIGNAL_TRACKER_ERROR], 0, reason, message);
}

static gboolean
tick_cb (gpointer data)
{
  GstP2pSwarm *self = data;
  GHashTableIter it;
  Remote *r;
  gint64 now = g_get_monotonic_time ();

  /* Forget idle peers nobody mentioned for a long time (bans stay until
   * they expire). */
  g_hash_table_iter_init (&it, self->remotes);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r))
    if (r->entry.state == GST_P2P_CONN_IDLE
        && !gst_p2p_conn_is_banned (&r->entry, now)
        && now - r->entry.last_seen > FORGET_AFTER_US)
      g_hash_table_iter_remove (&it);
  maybe_connect (self);
  return G_SOURCE_CONTINUE;
}

/* ---- fetch ------------------------------------------------------------ */

static void
fetch_free (Fetch * f)
{
  if (f->cancellable) {
    g_cancellable_disconnect (f->cancellable, f->cancel_id);
    g_object_unref (f->cancellable);
  }
  if (f->progress_notify)
    f->progress_notify (f->progress_data);
  if (f->peer)
    g_object_unref (f->peer);
  if (f->partial)
    g_bytes_unref (f->partial);
  g_free (f->peer_id);
  g_free (f);
}

static void
fetch_progress (GstP2pPeer * peer, guint32 id, guint64 received,
    guint32 segment_size, gpointer data)
{
  GTask *task = data;
  Fetch *f = g_task_get_task_data (task);

  f->segment_size = segment_size;
  if (f->progress)
    f->progress (f->swarm, received, segment_size, f->progress_data);
}

static void
fetch_done (GstP2pPeer * peer, guint32 id, GBytes * bytes,
    guint32 segment_size, const GError * error, gpointer data)
{
  GTask *task = data;
  Fetch *f = g_task_get_task_data (task);
  GstP2pSwarm *self = f->swarm;

  f->done = TRUE;
  f->segment_size = segment_size;
  if (error) {
    self->stats.fetches_failed++;
    if (bytes)
      f->partial = g_bytes_ref (bytes);
    g_task_return_error (task, g_error_copy (error));
  } else {
    self->stats.fetches_ok++;
    g_task_return_pointer (task, g_bytes_ref (bytes),
        (GDestroyNotify) g_bytes_unref);
  }
  g_object_unref (task);
}

static gboolean
fetch_cancel_cb (gpointer data)
{
  GTask *task = data;
  Fetch *f = g_task_get_task_data (task);

  if (!f->done && f->peer)
    gst_p2p_peer_cancel (f->peer, f->request_id);
  return G_SOURCE_REMOVE;
}

/* Any thread: hop to the swarm's context. */
static void
on_fetch_cancelled (GCancellable * c, gpointer data)
{
  GTask *task = data;
  Fetch *f = g_task_get_task_data (task);

  g_main_context_invoke_full (f->swarm->context, G_PRIORITY_DEFAULT,
      fetch_cancel_cb, g_object_ref (task), g_object_unref);
}

static GstP2pPeer *
pick_peer (GstP2pSwarm * self, guint64 seg, guint64 bytes, gint64 time_left,
    gchar ** id)
{
  GHashTableIter it;
  Remote *r;
  GPtrArray *rs = g_ptr_array_new ();
  GArray *cands = g_array_new (FALSE, FALSE, sizeof (GstP2pPeerCandidate));
  GstP2pPeerSelectParams params = { 0.1, 1000 * 1000, 100 * 1000 };
  GstP2pPeer *peer = NULL;
  gint pick;

  g_hash_table_iter_init (&it, self->remotes);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r)) {
    GstP2pPeerCandidate c;
    GstP2pPeerStats ps;

    if (!r->peer || gst_p2p_peer_get_state (r->peer) !=
        GST_P2P_PEER_STATE_READY || !gst_p2p_peer_has (r->peer, seg)
        || gst_p2p_peer_get_free_slots (r->peer) == 0)
      continue;
    gst_p2p_peer_get_stats (r->peer, &ps);
    c.throughput = ps.throughput;
    c.rtt = ps.rtt;
    c.in_flight = gst_p2p_peer_get_in_flight (r->peer);
    g_array_append_val (cands, c);
    g_ptr_array_add (rs, r);
  }
  pick = gst_p2p_peer_select ((GstP2pPeerCandidate *) cands->data, cands->len,
      bytes, time_left, &params, self->rand, NULL);
  if (pick >= 0) {
    r = rs->pdata[pick];
    peer = g_object_ref (r->peer);
    *id = g_strdup (r->id);
  }
  g_array_unref (cands);
  g_ptr_array_unref (rs);
  return peer;
}

/**
 * gst_p2p_swarm_fetch_async:
 * @segment_id: the segment
 * @start: first byte
 * @end: byte after the last, or GST_P2P_WIRE_RANGE_END_OPEN
 * @deadline: monotonic time by which the range must be here
 * @peer_id: (nullable): the peer to ask; %NULL picks among the ready peers
 *   that announced the segment and have a free slot, by projected delivery
 *   time (GstP2pPeerSelect)
 * @cancellable: (nullable): cancel from any thread
 * @progress: (nullable): called as bytes arrive
 * @callback: called on completion, on the network thread
 *
 * One request to one peer; no retry here (the scheduler decides what to do
 * after a failure). Errors are GST_P2P_PEER_ERROR codes, or
 * G_IO_ERROR_NOT_FOUND when no peer can serve it.
 */
void
gst_p2p_swarm_fetch_async (GstP2pSwarm * self, guint64 segment_id,
    guint32 start, guint32 end, gint64 deadline, const gchar * peer_id,
    GCancellable * cancellable, GstP2pSwarmProgress progress,
    gpointer progress_data, GDestroyNotify progress_notify,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  Fetch *f;
  GError *err = NULL;
  gint64 now = g_get_monotonic_time ();

  g_return_if_fail (GST_P2P_IS_SWARM (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gst_p2p_swarm_fetch_async);
  f = g_new0 (Fetch, 1);
  f->swarm = self;
  f->progress = progress;
  f->progress_data = progress_data;
  f->progress_notify = progress_notify;
  g_task_set_task_data (task, f, (GDestroyNotify) fetch_free);
  self->stats.fetches++;

  if (peer_id) {
    Remote *r = g_hash_table_lookup (self->remotes, peer_id);
    if (r && r->peer) {
      f->peer = g_object_ref (r->peer);
      f->peer_id = g_strdup (peer_id);
    }
  } else {
    guint64 guess = end != GST_P2P_WIRE_RANGE_END_OPEN ? end - start :
        DEFAULT_SIZE_GUESS;
    f->peer = pick_peer (self, segment_id, guess, deadline - now, &f->peer_id);
  }
  if (!f->peer) {
    self->stats.fetches_failed++;
    if (peer_id)
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
          "peer %s is not linked", peer_id);
    else
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
          "no ready peer holds segment %" G_GUINT64_FORMAT
          " with a free slot", segment_id);
    g_object_unref (task);
    return;
  }
  /* The task reference below belongs to the request until fetch_done. */
  f->request_id = gst_p2p_peer_request (f->peer, segment_id, start, end,
      deadline, fetch_progress, fetch_done, task, &err);
  if (!f->request_id) {
    self->stats.fetches_failed++;
    g_task_return_error (task, err);
    g_object_unref (task);
    return;
  }
  if (cancellable) {
    f->cancellable = g_object_ref (cancellable);
    f->cancel_id = g_cancellable_connect (cancellable,
        G_CALLBACK (on_fetch_cancelled), task, NULL);
  }
}

/**
 * gst_p2p_swarm_fetch_finish:
 * @segment_size: (out) (optional): the whole segment's size (0 if unknown)
 * @peer_id: (out) (optional) (transfer full): the peer that was asked
 * @partial: (out) (optional) (transfer full): on error, the bytes received
 *   from @start before it (a resume point), or %NULL
 *
 * Returns: (transfer full): the requested range, or %NULL with @error.
 */
GBytes *
gst_p2p_swarm_fetch_finish (GstP2pSwarm * self, GAsyncResult * result,
    guint32 * segment_size, gchar ** peer_id, GBytes ** partial,
    GError ** error)
{
  Fetch *f;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  f = g_task_get_task_data (G_TASK (result));
  if (segment_size)
    *segment_size = f->segment_size;
  if (peer_id)
    *peer_id = g_strdup (f->peer_id);
  if (partial)
    *partial = f->partial ? g_bytes_ref (f->partial) : NULL;
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- GObject ---------------------------------------------------------- */

static void
gst_p2p_swarm_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstP2pSwarm *self = GST_P2P_SWARM (object);

  switch (prop_id) {
    case PROP_PEER_ID:
      g_free (self->requested_peer_id);
      self->requested_peer_id = g_value_dup_string (value);
      break;
    case PROP_MAX_PEERS:
      self->limits.max_peers = g_value_get_uint (value);
      break;
    case PROP_MAX_PENDING:
      self->limits.max_pending = g_value_get_uint (value);
      break;
    case PROP_MAX_REQUESTS:
      self->max_requests = g_value_get_uint (value);
      break;
    case PROP_UPLOAD_ENABLED:
      self->upload_enabled = g_value_get_boolean (value);
      self->own_gate.enabled = self->upload_enabled;
      break;
    case PROP_MAX_UPLOADS:
      self->max_uploads = g_value_get_uint (value);
      self->own_gate.max_uploads = MAX (1, self->max_uploads);
      break;
    case PROP_UPLOAD_RATE:
      self->upload_rate = g_value_get_uint64 (value);
      gst_p2p_rate_cap_set_rate (&self->own_gate.bucket, self->upload_rate,
          MAX (16 * 1024, self->upload_rate / 4), g_get_monotonic_time ());
      break;
    case PROP_STALL_TIMEOUT:
      self->stall_timeout = g_value_get_uint (value);
      break;
    case PROP_HELLO_TIMEOUT:
      self->hello_timeout = g_value_get_uint (value);
      break;
    case PROP_BAN_DURATION:
      self->limits.ban_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_p2p_swarm_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstP2pSwarm *self = GST_P2P_SWARM (object);

  switch (prop_id) {
    case PROP_PEER_ID:
      g_value_set_string (value, self->local_id ? self->local_id :
          self->requested_peer_id);
      break;
    case PROP_MAX_PEERS:
      g_value_set_uint (value, self->limits.max_peers);
      break;
    case PROP_MAX_PENDING:
      g_value_set_uint (value, self->limits.max_pending);
      break;
    case PROP_MAX_REQUESTS:
      g_value_set_uint (value, self->max_requests);
      break;
    case PROP_UPLOAD_ENABLED:
      g_value_set_boolean (value, self->upload_enabled);
      break;
    case PROP_MAX_UPLOADS:
      g_value_set_uint (value, self->max_uploads);
      break;
    case PROP_UPLOAD_RATE:
      g_value_set_uint64 (value, self->upload_rate);
      break;
    case PROP_STALL_TIMEOUT:
      g_value_set_uint (value, self->stall_timeout);
      break;
    case PROP_HELLO_TIMEOUT:
      g_value_set_uint (value, self->hello_timeout);
      break;
    case PROP_BAN_DURATION:
      g_value_set_uint (value, self->limits.ban_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_p2p_swarm_dispose (GObject * object)
{
  GstP2pSwarm *self = GST_P2P_SWARM (object);

  gst_p2p_swarm_stop (self);
  G_OBJECT_CLASS (gst_p2p_swarm_parent_class)->dispose (object);
}

static void
gst_p2p_swarm_finalize (GObject * object)
{
  GstP2pSwarm *self = GST_P2P_SWARM (object);

  g_hash_table_unref (self->remotes);
  g_tree_unref (self->haves);
  g_rand_free (self->rand);
  gst_p2p_segment_store_unref (self->store);
  gst_p2p_link_config_clear (&self->link_config);
  g_main_context_unref (self->context);
  g_free (self->swarm_hex);
  g_free (self->tracker_url);
  g_free (self->token);
  g_free (self->requested_peer_id);
  g_free (self->local_id);
  g_free (self->last_error);
  g_free (self->last_error_message);
  G_OBJECT_CLASS (gst_p2p_swarm_parent_class)->finalize (object);
}

static void
gst_p2p_swarm_class_init (GstP2pSwarmClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  gobject_class->set_property = gst_p2p_swarm_set_property;
  gobject_class->get_property = gst_p2p_swarm_get_property;
  gobject_class->dispose = gst_p2p_swarm_dispose;
  gobject_class->finalize = gst_p2p_swarm_finalize;

  /**
   * GstP2pSwarm:peer-id:
   *
   * Tracker peer id to ask for (set before start; NULL: the tracker picks);
   * once joined, the id the tracker confirmed.
   */
  props[PROP_PEER_ID] = g_param_spec_string ("peer-id", "Peer id",
      "Our peer id in the swarm", NULL, rw);
  /**
   * GstP2pSwarm:max-peers:
   *
   * Links at once, connecting or connected.
   */
  props[PROP_MAX_PEERS] = g_param_spec_uint ("max-peers", "Max peers",
      "Links at once", 1, 256, GST_P2P_CONN_DEFAULT_MAX_PEERS, rw);
  /**
   * GstP2pSwarm:max-pending:
   *
   * Links in their handshake at once.
   */
  props[PROP_MAX_PENDING] = g_param_spec_uint ("max-pending", "Max pending",
      "Handshakes at once", 1, 256, GST_P2P_CONN_DEFAULT_MAX_PENDING, rw);
  /**
   * GstP2pSwarm:max-requests:
   *
   * Requests of one peer we serve at once (HELLO max_requests); more is a
   * protocol error. Applies to links made afterwards.
   */
  props[PROP_MAX_REQUESTS] = g_param_spec_uint ("max-requests",
      "Max requests", "Requests per peer served at once", 1,
      GST_P2P_WIRE_MAX_REQUESTS, DEFAULT_MAX_REQUESTS, rw);
  /**
   * GstP2pSwarm:upload-enabled:
   *
   * Serve peers at all (off: ABSENT busy, and max_requests 0 in HELLO of
   * new links). Acts on the swarm's own gate only.
   */
  props[PROP_UPLOAD_ENABLED] = g_param_spec_boolean ("upload-enabled",
      "Upload enabled", "Serve segments to peers", DEFAULT_UPLOAD_ENABLED, rw);
  /**
   * GstP2pSwarm:max-uploads:
   *
   * Uploads at once over all peers (the swarm's own gate).
   */
  props[PROP_MAX_UPLOADS] = g_param_spec_uint ("max-uploads", "Max uploads",
      "Concurrent uploads", 1, 1024, DEFAULT_MAX_UPLOADS, rw);
  /**
   * GstP2pSwarm:upload-rate:
   *
   * Upload cap in bytes per second, 0 for none (the swarm's own gate).
   */
  props[PROP_UPLOAD_RATE] = g_param_spec_uint64 ("upload-rate", "Upload rate",
      "Upload cap (bytes/s, 0 = none)", 0, G_MAXUINT64, DEFAULT_UPLOAD_RATE,
      rw);
  /**
   * GstP2pSwarm:stall-timeout:
   *
   * Milliseconds without a byte after which a fetch fails (STALLED).
   */
  props[PROP_STALL_TIMEOUT] = g_param_spec_uint ("stall-timeout",
      "Stall timeout", "Fetch stall timeout (ms)", 50, 600000,
      DEFAULT_STALL_TIMEOUT, rw);
  /**
   * GstP2pSwarm:hello-timeout:
   *
   * Milliseconds a new link may take to exchange HELLO once it is up.
   */
  props[PROP_HELLO_TIMEOUT] = g_param_spec_uint ("hello-timeout",
      "HELLO timeout", "HELLO deadline (ms)", 50, 600000,
      DEFAULT_HELLO_TIMEOUT, rw);
  /**
   * GstP2pSwarm:ban-duration:
   *
   * Milliseconds of the first ban of a peer that broke the protocol
   * (doubled for each repeat).
   */
  props[PROP_BAN_DURATION] = g_param_spec_uint ("ban-duration",
      "Ban duration", "First ban (ms)", 1, GST_P2P_CONN_MAX_BAN_MS,
      GST_P2P_CONN_DEFAULT_BAN_MS, rw);
  g_object_class_install_properties (gobject_class, N_PROPS, props);

  /**
   * GstP2pSwarm::joined:
   * @peer_id: our id in the swarm
   */
  signals[SIGNAL_JOINED] = g_signal_new ("joined", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstP2pSwarm::peer-added:
   * @peer_id: a peer is ready (HELLO exchanged)
   */
  signals[SIGNAL_PEER_ADDED] = g_signal_new ("peer-added",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstP2pSwarm::peer-removed:
   * @peer_id: a ready peer is gone
   * @reason: why
   */
  signals[SIGNAL_PEER_REMOVED] = g_signal_new ("peer-removed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstP2pSwarm::have:
   * @peer_id: who
   * @segment_id: announced HAVE
   */
  signals[SIGNAL_HAVE] = g_signal_new ("have", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_UINT64);
  /**
   * GstP2pSwarm::fetching:
   * @peer_id: who
   * @segment_id: what it fetches from the CDN
   * @aborted: it withdrew the announcement
   */
  signals[SIGNAL_FETCHING] = g_signal_new ("fetching",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT64, G_TYPE_BOOLEAN);
  /**
   * GstP2pSwarm::publish:
   * @from: the operator's publisher
   * @payload: its JSON object (signed segment hashes), unverified here
   */
  signals[SIGNAL_PUBLISH] = g_signal_new ("publish",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstP2pSwarm::tracker-error:
   * @reason: the tracker's stable reason, e.g. "token-expired"
   * @message: its text
   */
  signals[SIGNAL_TRACKER_ERROR] = g_signal_new ("tracker-error",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  GST_DEBUG_CATEGORY_INIT (p2p_swarm_debug, "p2p-swarm", 0, "gst-p2p swarm");
}

static void
gst_p2p_swarm_init (GstP2pSwarm * self)
{
  self->context = g_main_context_ref (gst_p2p_loop_get_context
      (gst_p2p_loop_get_default ()));
  self->remotes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) remote_free);
  self->haves = g_tree_new_full (cmp_u64, NULL, g_free, NULL);
  self->rand = g_rand_new ();
  gst_p2p_conn_limits_init (&self->limits);
  self->upload_enabled = DEFAULT_UPLOAD_ENABLED;
  self->max_uploads = DEFAULT_MAX_UPLOADS;
  self->upload_rate = DEFAULT_UPLOAD_RATE;
  self->max_requests = DEFAULT_MAX_REQUESTS;
  self->stall_timeout = DEFAULT_STALL_TIMEOUT;
  self->hello_timeout = DEFAULT_HELLO_TIMEOUT;
  gst_p2p_upload_gate_init (&self->own_gate, self->upload_enabled,
      self->max_uploads, 0, 16 * 1024, g_get_monotonic_time ());
  self->gate = &self->own_gate;
  gst_p2p_link_config_init (&self->link_config);
  self->link_config.n_streams = GST_P2P_SWARM_LINK_STREAMS;
  self->link_config.max_buffered = GST_P2P_SWARM_LINK_MAX_BUFFERED;
  self->link_config.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
  self->link_config.peer_timeout_ms = DEFAULT_PEER_TIMEOUT_MS;
  self->link_config.max_message = 256 * 1024;
}

/* ---- API -------------------------------------------------------------- */

/**
 * gst_p2p_swarm_new:
 * @swarm_id: 32 bytes (docs/protocol.md), carried whole in HELLO; joins the
 *   tracker swarm named by the first GST_P2P_SWARM_TRACKER_NAME_LEN
 *   characters of its lower-case hex (the short name of gst/stream and the
 *   publisher: one token per rendition)
 * @tracker_url: ws:// or wss:// URL of gst-p2p-tracker
 * @token: (nullable): join token
 * @store: (nullable): segments we serve; %NULL makes a private one
 *
 * Call on the GstP2pLoop thread.
 *
 * Returns: (transfer full): a stopped swarm.
 */
GstP2pSwarm *
gst_p2p_swarm_new (const guint8 * swarm_id, const gchar * tracker_url,
    const gchar * token, GstP2pSegmentStore * store)
{
  GstP2pSwarm *self;
  GString *hex;
  guint i;

  g_return_val_if_fail (swarm_id != NULL && tracker_url != NULL, NULL);
  gst_p2p_init ();
  self = g_object_new (GST_P2P_TYPE_SWARM, NULL);
  memcpy (self->swarm_id, swarm_id, GST_P2P_WIRE_SWARM_ID_SIZE);
  /* Viewers of two ids sharing the short name meet at the tracker; HELLO
   * compares the whole id and parts them with BYE(wrong-swarm). */
  hex = g_string_sized_new (GST_P2P_SWARM_TRACKER_NAME_LEN);
  for (i = 0; i < GST_P2P_SWARM_TRACKER_NAME_LEN / 2; i++)
    g_string_append_printf (hex, "%02x", swarm_id[i]);
  self->swarm_hex = g_string_free (hex, FALSE);
  self->tracker_url = g_strdup (tracker_url);
  self->token = g_strdup (token);
  self->store = store ? gst_p2p_segment_store_ref (store) :
      gst_p2p_segment_store_new (0);
  return self;
}

/**
 * gst_p2p_swarm_set_link_config:
 * @config: copied, for links made from now on. Zero n_streams,
 *   max_buffered, connect and peer timeouts keep the swarm's defaults
 *   (130 streams, 2 MiB, 10 s, 5 s); initiator and DTLS role are set per
 *   link.
 */
void
gst_p2p_swarm_set_link_config (GstP2pSwarm * self,
    const GstP2pLinkConfig * config)
{
  GstP2pLinkConfig old = self->link_config;

  g_return_if_fail (GST_P2P_IS_SWARM (self));
  self->link_config = *config;
  gst_p2p_ice_config_copy (&self->link_config.ice, &config->ice);
  if (!config->n_streams)
    self->link_config.n_streams = old.n_streams;
  if (!config->max_buffered)
    self->link_config.max_buffered = old.max_buffered;
  if (!config->connect_timeout_ms)
    self->link_config.connect_timeout_ms = old.connect_timeout_ms;
  if (!config->peer_timeout_ms)
    self->link_config.peer_timeout_ms = old.peer_timeout_ms;
  if (!config->max_message)
    self->link_config.max_message = old.max_message;
  gst_p2p_link_config_clear (&old);
}

/**
 * gst_p2p_swarm_set_upload_gate:
 * @gate: (nullable): the device's gate, shared by its swarms, owned by the
 *   caller and alive as long as the swarm; %NULL: the swarm's own
 *
 * For links made from now on.
 */
void
gst_p2p_swarm_set_upload_gate (GstP2pSwarm * self, GstP2pUploadGate * gate)
{
  g_return_if_fail (GST_P2P_IS_SWARM (self));
  self->gate = gate ? gate : &self->own_gate;
}

/**
 * gst_p2p_swarm_start:
 *
 * Joins through the tracker; links follow as peers are listed.
 */
void
gst_p2p_swarm_start (GstP2pSwarm * self)
{
  g_return_if_fail (GST_P2P_IS_SWARM (self));
  if (self->started)
    return;
  self->started = TRUE;
  self->tracker = g_object_new (GST_P2P_TYPE_TRACKER_CLIENT, "url",
      self->tracker_url, "swarm", self->swarm_hex, "token", self->token,
      "peer-id", self->requested_peer_id, NULL);
  g_signal_connect (self->tracker, "joined", G_CALLBACK (on_tracker_joined),
      self);
  g_signal_connect (self->tracker, "peers", G_CALLBACK (on_tracker_peers),
      self);
  g_signal_connect (self->tracker, "signal", G_CALLBACK (on_tracker_signal),
      self);
  g_signal_connect (self->tracker, "publish",
      G_CALLBACK (on_tracker_publish), self);
  g_signal_connect (self->tracker, "tracker-error",
      G_CALLBACK (on_tracker_error), self);
  self->tick = g_timeout_source_new (TICK_MS);
  g_source_set_callback (self->tick, tick_cb, self, NULL);
  g_source_attach (self->tick, self->context);
  gst_p2p_tracker_client_start (self->tracker);
}

/**
 * gst_p2p_swarm_stop:
 *
 * BYE(shutting-down) to every peer, then leaves the tracker. Running
 * fetches fail with GST_P2P_PEER_ERROR_CLOSED.
 */
void
gst_p2p_swarm_stop (GstP2pSwarm * self)
{
  GHashTableIter it;
  Remote *r;

  g_return_if_fail (GST_P2P_IS_SWARM (self));
  if (!self->started)
    return;
  self->started = FALSE;
  clear_source (&self->tick);
  g_hash_table_iter_init (&it, self->remotes);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r)) {
    if (r->peer) {
      GstP2pPeer *peer = g_object_ref (r->peer);

      g_signal_handlers_disconnect_by_data (peer, r);
      gst_p2p_peer_close (peer, GST_P2P_WIRE_BYE_SHUTTING_DOWN, "leaving");
      g_object_unref (peer);
    }
    remote_detach (r);
    r->entry.state = GST_P2P_CONN_IDLE;
  }
  if (self->tracker) {
    g_signal_handlers_disconnect_by_data (self->tracker, self);
    gst_p2p_tracker_client_stop (self->tracker);
    g_clear_object (&self->tracker);
  }
}

/**
 * gst_p2p_swarm_announce_have:
 *
 * We hold @segment_id, whole and verified, in the store: HAVE to every
 * ready peer (and in the BITFIELD of peers that link later). The oldest
 * announcements beyond GST_P2P_SWARM_MAX_HAVES are forgotten.
 */
void
gst_p2p_swarm_announce_have (GstP2pSwarm * self, guint64 segment_id)
{
  GHashTableIter it;
  Remote *r;
  guint64 *key;

  g_return_if_fail (GST_P2P_IS_SWARM (self));
  if (g_tree_lookup_extended (self->haves, &segment_id, NULL, NULL))
    return;
  if (g_tree_nnodes (self->haves) >= GST_P2P_SWARM_MAX_HAVES)
    g_tree_remove (self->haves,
        g_tree_node_key (g_tree_node_first (self->haves)));
  key = g_new (guint64, 1);
  *key = segment_id;
  g_tree_insert (self->haves, key, NULL);
  g_hash_table_iter_init (&it, self->remotes);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r))
    if (r->peer)
      gst_p2p_peer_send_have (r->peer, segment_id);
}

/**
 * gst_p2p_swarm_announce_fetching:
 * @aborted: withdraw the announcement (the CDN fetch failed)
 *
 * We are fetching @segment_id from the CDN (live seeding): FETCHING to
 * every ready peer.
 */
void
gst_p2p_swarm_announce_fetching (GstP2pSwarm * self, guint64 segment_id,
    gboolean aborted)
{
  GHashTableIter it;
  Remote *r;

  g_return_if_fail (GST_P2P_IS_SWARM (self));
  g_hash_table_iter_init (&it, self->remotes);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r))
    if (r->peer)
      gst_p2p_peer_send_fetching (r->peer, segment_id, aborted);
}

/**
 * gst_p2p_swarm_get_holders:
 *
 * Returns: (transfer full): ids of the ready peers that announced
 * @segment_id.
 */
gchar **
gst_p2p_swarm_get_holders (GstP2pSwarm * self, guint64 segment_id)
{
  GPtrArray *ids = g_ptr_array_new ();
  GHashTableIter it;
  Remote *r;

  g_return_val_if_fail (GST_P2P_IS_SWARM (self), NULL);
  g_hash_table_iter_init (&it, self->remotes);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r))
    if (r->peer && gst_p2p_peer_get_state (r->peer) ==
        GST_P2P_PEER_STATE_READY && gst_p2p_peer_has (r->peer, segment_id))
      g_ptr_array_add (ids, g_strdup (r->id));
  g_ptr_array_add (ids, NULL);
  return (gchar **) g_ptr_array_free (ids, FALSE);
}

void
gst_p2p_swarm_peer_info_free (GstP2pSwarmPeerInfo * info)
{
  g_free (info->id);
  g_free (info);
}

/**
 * gst_p2p_swarm_get_peers:
 *
 * Returns: (transfer full) (element-type GstP2pSwarmPeerInfo): every peer
 * with a link, ready or not.
 */
GPtrArray *
gst_p2p_swarm_get_peers (GstP2pSwarm * self)
{
  GPtrArray *arr = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_p2p_swarm_peer_info_free);
  GHashTableIter it;
  Remote *r;

  g_return_val_if_fail (GST_P2P_IS_SWARM (self), arr);
  g_hash_table_iter_init (&it, self->remotes);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r)) {
    GstP2pSwarmPeerInfo *info;

    if (!r->peer)
      continue;
    info = g_new0 (GstP2pSwarmPeerInfo, 1);
    info->id = g_strdup (r->id);
    info->state = gst_p2p_peer_get_state (r->peer);
    info->n_haves = gst_p2p_peer_get_n_haves (r->peer);
    info->in_flight = gst_p2p_peer_get_in_flight (r->peer);
    info->free_slots = gst_p2p_peer_get_free_slots (r->peer);
    gst_p2p_peer_get_stats (r->peer, &info->stats);
    g_ptr_array_add (arr, info);
  }
  return arr;
}

/**
 * gst_p2p_swarm_get_peer:
 *
 * Returns: (transfer none) (nullable): the peer object of a linked peer.
 */
GstP2pPeer *
gst_p2p_swarm_get_peer (GstP2pSwarm * self, const gchar * peer_id)
{
  Remote *r;

  g_return_val_if_fail (GST_P2P_IS_SWARM (self), NULL);
  r = g_hash_table_lookup (self->remotes, peer_id);
  return r ? r->peer : NULL;
}

/**
 * gst_p2p_swarm_get_peer_id:
 *
 * Returns: (nullable): our id, once joined.
 */
const gchar *
gst_p2p_swarm_get_peer_id (GstP2pSwarm * self)
{
  g_return_val_if_fail (GST_P2P_IS_SWARM (self), NULL);
  return self->local_id;
}

/**
 * gst_p2p_swarm_get_last_tracker_error:
 * @message: (out) (optional): its text
 *
 * Returns: (nullable): the reason of the last error the tracker reported
 * (e.g. "token-expired"), the way a refused join surfaces.
 */
const gchar *
gst_p2p_swarm_get_last_tracker_error (GstP2pSwarm * self,
    const gchar ** message)
{
  g_return_val_if_fail (GST_P2P_IS_SWARM (self), NULL);
  if (message)
    *message = self->last_error_message;
  return self->last_error;
}

/**
 * gst_p2p_swarm_get_tracker_name:
 *
 * Returns: the tracker swarm name joined (GST_P2P_SWARM_TRACKER_NAME_LEN
 * hex characters).
 */
const gchar *
gst_p2p_swarm_get_tracker_name (GstP2pSwarm * self)
{
  g_return_val_if_fail (GST_P2P_IS_SWARM (self), NULL);
  return self->swarm_hex;
}

/**
 * gst_p2p_swarm_ban_peer:
 * @peer_id: the peer's tracker id
 * @reason: why, for the log and its BYE
 * @duration_us: how long; <= 0 applies the swarm's own rule
 *   (#GstP2pSwarm:ban-duration, doubling per repeat)
 *
 * Bans a peer for a reason found above the protocol (e.g. a segment it
 * served failed verification): its link, if any, is closed with
 * BYE(protocol-error), and until the ban expires its attempts are refused
 * at signalling time, before any link or handshake work, and we do not
 * link to it. Counted in @bans.
 *
 * Returns: FALSE if it cannot be recorded (not joined yet, our own id, or
 * the table of known peers is full of linked or banned ones).
 */
gboolean
gst_p2p_swarm_ban_peer (GstP2pSwarm * self, const gchar * peer_id,
    const gchar * reason, gint64 duration_us)
{
  gint64 now = g_get_monotonic_time ();
  Remote *r;

  g_return_val_if_fail (GST_P2P_IS_SWARM (self), FALSE);
  g_return_val_if_fail (peer_id != NULL, FALSE);
  r = ensure_remote (self, peer_id, now);
  if (!r)
    return FALSE;
  self->stats.bans++;
  GST_WARNING_OBJECT (self, "banning peer %s: %s", peer_id,
      reason ? reason : "");
  /* Banned before closing: the closed handler reconnects to whom it may. */
  gst_p2p_conn_ban_for (&self->limits, &r->entry, now, duration_us);
  if (r->peer && gst_p2p_peer_get_state (r->peer) != GST_P2P_PEER_STATE_CLOSED)
    gst_p2p_peer_close (r->peer, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        reason ? reason : "banned");
  else if (r->link || r->peer)
    remote_detach (r);
  r->entry.state = GST_P2P_CONN_IDLE;
  return TRUE;
}

gboolean
gst_p2p_swarm_is_banned (GstP2pSwarm * self, const gchar * peer_id)
{
  Remote *r;

  g_return_val_if_fail (GST_P2P_IS_SWARM (self), FALSE);
  r = g_hash_table_lookup (self->remotes, peer_id);
  return r && gst_p2p_conn_is_banned (&r->entry, g_get_monotonic_time ());
}

void
gst_p2p_swarm_get_stats (GstP2pSwarm * self, GstP2pSwarmStats * stats)
{
  GHashTableIter it;
  Remote *r;
  gint64 now = g_get_monotonic_time ();

  g_return_if_fail (GST_P2P_IS_SWARM (self));
  *stats = self->stats;
  stats->bytes_from_peers = self->closed_bytes_in;
  stats->bytes_to_peers = self->closed_bytes_out;
  stats->known = g_hash_table_size (self->remotes);
  g_hash_table_iter_init (&it, self->remotes);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r)) {
    if (gst_p2p_conn_is_banned (&r->entry, now))
      stats->banned++;
    if (r->entry.state == GST_P2P_CONN_CONNECTED)
      stats->peers++;
    else if (r->entry.state == GST_P2P_CONN_PENDING)
      stats->pending++;
    if (r->peer) {
      GstP2pPeerStats ps;
      gst_p2p_peer_get_stats (r->peer, &ps);
      stats->bytes_from_peers += ps.bytes_in;
      stats->bytes_to_peers += ps.bytes_out;
    }
  }
}
