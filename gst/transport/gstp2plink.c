/* GstP2pLink: ICE -> DTLS -> SCTP tied into one peer link. See gstp2plink.h.
 *
 * Threads: everything runs on the link's GMainContext. The layers call back
 * into a private Core rather than into the GObject, so a handler that drops
 * the last reference in the middle of a layer callback is safe: the layers
 * are then freed from an idle source once no layer code is on the stack.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/gst.h>

#include "gstp2p.h"
#include "net/gstp2ploop.h"
#include "transport/gstp2plink.h"
#include "transport/gstp2pdtls.h"
#include "transport/gstp2psctp.h"

GST_DEBUG_CATEGORY_STATIC (p2p_link_debug);
#define GST_CAT_DEFAULT p2p_link_debug

#define DEFAULT_CONNECT_TIMEOUT_MS 15000
#define DEFAULT_PEER_TIMEOUT_MS 10000
#define DEFAULT_MAX_BUFFERED (16 * 1024 * 1024)
#define DEFAULT_MAX_MESSAGE (8 * 1024 * 1024)
#define DTLS_MTU 1200
#define MAX_SIGNAL_LEN 1024
#define MAX_PENDING_CANDIDATES 64
#define LIVENESS_PERIOD_MS 200

typedef struct _Core Core;

struct _GstP2pLink
{
  GObject parent;
  Core *core;
};

struct _Core
{
  GstP2pLink *self;             /* NULL once disposed */
  GMainContext *context;
  GstP2pLinkConfig config;

  GstP2pIce *ice;
  GstP2pDtls *dtls;
  GstP2pSctp *sctp;

  GstP2pLinkState state;
  gchar *reason;
  guint busy;                   /* layer callbacks on the stack */

  gchar *remote_ufrag;
  gchar *remote_pwd;
  gboolean remote_creds_set;
  gboolean remote_done;
  GPtrArray *pending_candidates;

  GstP2pLinkLiveness live;
  GSource *liveness_timer;
  GSource *teardown;

  GstP2pLinkStats stats;
  guint64 oversize_packets;
};

enum
{
  SIGNAL_LOCAL_SIGNAL,
  SIGNAL_STATE_CHANGED,
  SIGNAL_MESSAGE,
  SIGNAL_STREAM_CLOSED,
  SIGNAL_WRITABLE,
  N_SIGNALS
};

enum
{
  PROP_0,
  PROP_STATE,
  PROP_BUFFERED,
  N_PROPS
};

static guint signals[N_SIGNALS];
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (GstP2pLink, gst_p2p_link, G_TYPE_OBJECT);

GType
gst_p2p_link_state_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_P2P_LINK_STATE_NEW, "GST_P2P_LINK_STATE_NEW", "new"},
    {GST_P2P_LINK_STATE_CONNECTING, "GST_P2P_LINK_STATE_CONNECTING",
        "connecting"},
    {GST_P2P_LINK_STATE_CONNECTED, "GST_P2P_LINK_STATE_CONNECTED",
        "connected"},
    {GST_P2P_LINK_STATE_CLOSED, "GST_P2P_LINK_STATE_CLOSED", "closed"},
    {GST_P2P_LINK_STATE_FAILED, "GST_P2P_LINK_STATE_FAILED", "failed"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&id)) {
    GType t = g_enum_register_static ("GstP2pLinkState", values);
    g_once_init_leave (&id, t);
  }
  return id;
}

/**
 * gst_p2p_link_liveness_check:
 * @now_us: monotonic time
 *
 * Returns: whether the link should be declared failed at @now_us: not up
 * within connect_timeout_ms of starting, or up but nothing heard from the
 * peer for peer_timeout_ms.
 */
GstP2pLinkVerdict
gst_p2p_link_liveness_check (const GstP2pLinkLiveness * l, gint64 now_us)
{
  if (l->started_us == 0)
    return GST_P2P_LINK_VERDICT_OK;
  if (!l->connected) {
    if (now_us - l->started_us >= (gint64) l->connect_timeout_ms * 1000)
      return GST_P2P_LINK_VERDICT_CONNECT_TIMEOUT;
    return GST_P2P_LINK_VERDICT_OK;
  }
  if (now_us - l->last_rx_us >= (gint64) l->peer_timeout_ms * 1000)
    return GST_P2P_LINK_VERDICT_PEER_SILENT;
  return GST_P2P_LINK_VERDICT_OK;
}

/* ---- config ----------------------------------------------------------- */

/**
 * gst_p2p_link_config_init:
 *
 * Defaults, plus STUN/TURN from GST_P2P_STUN / GST_P2P_TURN when set (a
 * malformed variable is logged and ignored).
 */
void
gst_p2p_link_config_init (GstP2pLinkConfig * config)
{
  GError *err = NULL;

  memset (config, 0, sizeof (*config));
  if (!gst_p2p_ice_config_from_env (&config->ice, &err)) {
    g_warning ("gst-p2p: %s", err->message);
    g_clear_error (&err);
  }
}

void
gst_p2p_link_config_clear (GstP2pLinkConfig * config)
{
  gst_p2p_ice_config_clear (&config->ice);
}

/* ---- core ------------------------------------------------------------- */

static void
snapshot_stats (Core * core)
{
  if (core->ice) {
    GstP2pIceStats s;
    gst_p2p_ice_get_stats (core->ice, &s);
    core->stats.bad_candidates = s.bad_candidates;
    core->stats.udp_rcvbuf = s.rcvbuf;
    core->stats.udp_rcvbuf_capped = s.rcvbuf_capped;
    core->stats.selected_local = s.selected_local;
    core->stats.selected_remote = s.selected_remote;
    core->stats.ice_send_errors = s.send_errors;
    core->stats.ice_rx_dropped = s.rx_dropped;
  }
  if (core->dtls) {
    GstP2pDtlsStats s;
    gst_p2p_dtls_get_stats (core->dtls, &s);
    core->stats.fingerprint_mismatches = s.fingerprint_mismatches;
    core->stats.dropped_datagrams = s.dropped_datagrams;
    core->stats.bad_records = s.bad_records;
  }
  if (core->sctp) {
    GstP2pSctpStats s;
    gst_p2p_sctp_get_stats (core->sctp, &s);
    core->stats.protocol_errors = s.protocol_errors;
    core->stats.messages_sent = s.messages_sent;
    core->stats.messages_received = s.messages_received;
    core->stats.bytes_sent = s.bytes_sent;
    core->stats.bytes_received = s.bytes_received;
  }
  core->stats.oversize_packets = core->oversize_packets;
}

static void
core_free_layers (Core * core)
{
  snapshot_stats (core);
  /* A failed link still says goodbye if it can (ABORT, close_notify). */
  if (core->sctp)
    gst_p2p_sctp_abort (core->sctp);
  if (core->dtls)
    gst_p2p_dtls_close (core->dtls);
  if (core->liveness_timer) {
    g_source_destroy (core->liveness_timer);
    g_source_unref (core->liveness_timer);
    core->liveness_timer = NULL;
  }
  g_clear_pointer (&core->sctp, gst_p2p_sctp_free);
  g_clear_pointer (&core->dtls, gst_p2p_dtls_free);
  g_clear_pointer (&core->ice, gst_p2p_ice_free);
}

static void
core_free (Core * core)
{
  core_free_layers (core);
  if (core->teardown) {
    g_source_destroy (core->teardown);
    g_source_unref (core->teardown);
  }
  g_ptr_array_unref (core->pending_candidates);
  g_free (core->remote_ufrag);
  g_free (core->remote_pwd);
  g_free (core->reason);
  gst_p2p_link_config_clear (&core->config);
  g_main_context_unref (core->context);
  g_free (core);
}

static gboolean
teardown_cb (gpointer data)
{
  Core *core = data;

  g_source_unref (core->teardown);
  core->teardown = NULL;
  core_free_layers (core);
  return G_SOURCE_REMOVE;
}

static gboolean
is_terminal (Core * core)
{
  return core->state == GST_P2P_LINK_STATE_CLOSED
      || core->state == GST_P2P_LINK_STATE_FAILED;
}

static void
set_state (Core * core, GstP2pLinkState state, const gchar * reason)
{
  GstP2pLink *self = core->self;

  if (core->state == state || is_terminal (core))
    return;
  if (state == GST_P2P_LINK_STATE_FAILED)
    GST_WARNING ("link %p failed: %s", self, reason);
  else
    GST_INFO ("link %p state %d -> %d %s", self, core->state, state,
        reason ? reason : "");
  core->state = state;
  g_free (core->reason);
  core->reason = g_strdup (reason);

  if (is_terminal (core) && !core->teardown) {
    /* Release sockets and buffers soon, from outside any layer callback. */
    core->teardown = g_idle_source_new ();
    g_source_set_callback (core->teardown, teardown_cb, core, NULL);
    g_source_attach (core->teardown, core->context);
  }
  if (self) {
    g_object_ref (self);
    g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state, reason);
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
    g_object_unref (self);
  }
}

static void
fail (Core * core, const gchar * reason)
{
  set_state (core, GST_P2P_LINK_STATE_FAILED, reason);
}

static void
emit_local (Core * core, const gchar * line)
{
  if (core->self)
    g_signal_emit (core->self, signals[SIGNAL_LOCAL_SIGNAL], 0, line);
}

#define ENTER(core) G_STMT_START { (core)->busy++; } G_STMT_END
#define LEAVE(core) G_STMT_START { (core)->busy--; } G_STMT_END

/* ---- SCTP callbacks --------------------------------------------------- */

static void
sctp_send_cb (GstP2pSctp * sctp, const guint8 * buf, gsize len, gpointer data)
{
  Core *core = data;

  if (!core->dtls)
    return;
  if (!gst_p2p_dtls_send (core->dtls, buf, len)) {
    core->oversize_packets++;
    GST_LOG ("SCTP packet of %" G_GSIZE_FORMAT " bytes not sent", len);
  }
}

static void
sctp_state_cb (GstP2pSctp * sctp, GstP2pSctpState state, const gchar * reason,
    gpointer data)
{
  Core *core = data;

  ENTER (core);
  if (state == GST_P2P_SCTP_STATE_CONNECTED) {
    core->live.connected = TRUE;
    core->stats.connect_time_ms =
        (g_get_monotonic_time () - core->live.started_us) / 1000;
    set_state (core, GST_P2P_LINK_STATE_CONNECTED, NULL);
  } else if (state == GST_P2P_SCTP_STATE_CLOSED) {
    set_state (core, GST_P2P_LINK_STATE_CLOSED, reason);
  } else if (state == GST_P2P_SCTP_STATE_FAILED) {
    fail (core, reason);
  }
  LEAVE (core);
}

static void
sctp_message_cb (GstP2pSctp * sctp, guint stream, GBytes * msg, gpointer data)
{
  Core *core = data;

  ENTER (core);
  if (core->self && !is_terminal (core))
    g_signal_emit (core->self, signals[SIGNAL_MESSAGE], 0, stream, msg);
  LEAVE (core);
}

static void
sctp_stream_closed_cb (GstP2pSctp * sctp, guint stream, gpointer data)
{
  Core *core = data;

  ENTER (core);
  if (core->self && !is_terminal (core))
    g_signal_emit (core->self, signals[SIGNAL_STREAM_CLOSED], 0, stream);
  LEAVE (core);
}

static void
sctp_writable_cb (GstP2pSctp * sctp, gpointer data)
{
  Core *core = data;

  ENTER (core);
  if (core->self && !is_terminal (core))
    g_signal_emit (core->self, signals[SIGNAL_WRITABLE], 0);
  LEAVE (core);
}

static const GstP2pSctpCallbacks sctp_callbacks = {
  sctp_send_cb, sctp_state_cb, sctp_message_cb, sctp_stream_closed_cb,
  sctp_writable_cb,
};

/* ---- DTLS callbacks --------------------------------------------------- */

static void
dtls_send_cb (GstP2pDtls * dtls, const guint8 * buf, gsize len, gpointer data)
{
  Core *core = data;

  if (core->ice)
    gst_p2p_ice_send (core->ice, buf, len);
}

static void
start_sctp (Core * core)
{
  GstP2pSctpConfig sc = { 0, };
  GError *err = NULL;

  /* usrsctp's packets come out a few bytes above spp_pathmtu (measured:
   * +9 for 1163): leave room for the common header and round down. */
  sc.mtu = (gst_p2p_dtls_get_data_mtu (core->dtls) - 16) & ~3u;
  sc.n_streams = core->config.n_streams;
  sc.max_buffered = core->config.max_buffered;
  sc.max_message = core->config.max_message;
  core->sctp = gst_p2p_sctp_new (core->context, &sc, &sctp_callbacks, core,
      &err);
  if (!core->sctp || !gst_p2p_sctp_connect (core->sctp, &err)) {
    gchar *r = g_strdup_printf ("SCTP: %s", err->message);
    fail (core, r);
    g_free (r);
    g_clear_error (&err);
  }
}

static void
dtls_state_cb (GstP2pDtls * dtls, GstP2pDtlsState state, const gchar * reason,
    gpointer data)
{
  Core *core = data;

  ENTER (core);
  if (state == GST_P2P_DTLS_STATE_CONNECTED) {
    if (!is_terminal (core))
      start_sctp (core);
  } else if (state == GST_P2P_DTLS_STATE_CLOSED) {
    set_state (core, GST_P2P_LINK_STATE_CLOSED, reason);
  } else if (state == GST_P2P_DTLS_STATE_FAILED) {
    fail (core, reason);
  }
  LEAVE (core);
}

static void
dtls_recv_cb (GstP2pDtls * dtls, const guint8 * buf, gsize len, gpointer data)
{
  Core *core = data;

  ENTER (core);
  if (core->sctp && !is_terminal (core))
    gst_p2p_sctp_receive (core->sctp, buf, len);
  LEAVE (core);
}

static const GstP2pDtlsCallbacks dtls_callbacks = {
  dtls_send_cb, dtls_state_cb, dtls_recv_cb,
};

static void
maybe_start_dtls (Core * core)
{
  GError *err = NULL;
  gboolean client;
  guint remaining;
  gint64 elapsed;

  if (is_terminal (core) || !core->dtls
      || gst_p2p_dtls_get_state (core->dtls) != GST_P2P_DTLS_STATE_NEW
      || gst_p2p_ice_get_state (core->ice) != GST_P2P_ICE_STATE_CONNECTED
      || !gst_p2p_dtls_has_remote_fingerprint (core->dtls))
    return;

  switch (core->config.dtls_role) {
    case GST_P2P_LINK_DTLS_ROLE_CLIENT:
      client = TRUE;
      break;
    case GST_P2P_LINK_DTLS_ROLE_SERVER:
      client = FALSE;
      break;
    default:
      client = gst_p2p_ice_is_controlling (core->ice);
      break;
  }
  elapsed = (g_get_monotonic_time () - core->live.started_us) / 1000;
  remaining = MAX (1000, (gint64) core->config.connect_timeout_ms - elapsed);
  if (!gst_p2p_dtls_start (core->dtls, client, DTLS_MTU, remaining, &err)) {
    fail (core, err->message);
    g_clear_error (&err);
  }
}

/* ---- ICE callbacks ---------------------------------------------------- */

static void
ice_candidate_cb (GstP2pIce * ice, const gchar * sdp, gpointer data)
{
  Core *core = data;

  ENTER (core);
  if (!is_terminal (core))
    emit_local (core, sdp);
  LEAVE (core);
}

static void
ice_state_cb (GstP2pIce * ice, GstP2pIceState state, const gchar * reason,
    gpointer data)
{
  Core *core = data;

  ENTER (core);
  if (state == GST_P2P_ICE_STATE_CONNECTED) {
    core->live.last_rx_us = g_get_monotonic_time ();
    maybe_start_dtls (core);
  } else if (state == GST_P2P_ICE_STATE_FAILED) {
    gchar *r = g_strdup_printf ("ICE: %s", reason);
    fail (core, r);
    g_free (r);
  }
  LEAVE (core);
}

static void
ice_recv_cb (GstP2pIce * ice, const guint8 * buf, gsize len, gpointer data)
{
  Core *core = data;

  ENTER (core);
  core->live.last_rx_us = g_get_monotonic_time ();
  if (core->dtls && !is_terminal (core))
    gst_p2p_dtls_receive (core->dtls, buf, len);
  LEAVE (core);
}

static const GstP2pIceCallbacks ice_callbacks = {
  ice_candidate_cb, ice_state_cb, ice_recv_cb,
};

static gboolean
liveness_cb (gpointer data)
{
  Core *core = data;
  gchar *r;

  ENTER (core);
  switch (gst_p2p_link_liveness_check (&core->live, g_get_monotonic_time ())) {
    case GST_P2P_LINK_VERDICT_CONNECT_TIMEOUT:
      r = g_strdup_printf ("not connected within %u ms (%s)",
          core->config.connect_timeout_ms,
          core->dtls && gst_p2p_dtls_get_state (core->dtls) !=
          GST_P2P_DTLS_STATE_NEW ? "DTLS/SCTP stalled" : "ICE");
      fail (core, r);
      g_free (r);
      break;
    case GST_P2P_LINK_VERDICT_PEER_SILENT:
      r = g_strdup_printf ("peer silent for %u ms",
          core->config.peer_timeout_ms);
      fail (core, r);
      g_free (r);
      break;
    default:
      break;
  }
  LEAVE (core);
  return G_SOURCE_CONTINUE;
}

/* ---- GObject ---------------------------------------------------------- */

static gboolean
return_remove (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
gst_p2p_link_dispose (GObject * object)
{
  GstP2pLink *self = GST_P2P_LINK (object);
  Core *core = self->core;

  if (core) {
    self->core = NULL;
    core->self = NULL;
    /* Tell the peer (ABORT, close_notify) rather than let it time out. */
    if (!is_terminal (core)) {
      core->state = GST_P2P_LINK_STATE_CLOSED;
      if (core->sctp)
        gst_p2p_sctp_abort (core->sctp);
      if (core->dtls)
        gst_p2p_dtls_close (core->dtls);
    }
    if (core->busy == 0) {
      core_free (core);
    } else {
      GSource *s = g_idle_source_new ();
      /* freed once the layer callback that disposed us has returned; the
       * destroy notify also runs if the context goes away first */
      g_source_set_callback (s, return_remove, core,
          (GDestroyNotify) core_free);
      g_source_attach (s, core->context);
      g_source_unref (s);
    }
  }
  G_OBJECT_CLASS (gst_p2p_link_parent_class)->dispose (object);
}

static void
gst_p2p_link_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstP2pLink *self = GST_P2P_LINK (object);

  switch (prop_id) {
    case PROP_STATE:
      g_value_set_enum (value, self->core ? self->core->state :
          GST_P2P_LINK_STATE_CLOSED);
      break;
    case PROP_BUFFERED:
      g_value_set_uint64 (value, gst_p2p_link_get_buffered (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_p2p_link_class_init (GstP2pLinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->dispose = gst_p2p_link_dispose;
  gobject_class->get_property = gst_p2p_link_get_property;

  /**
   * GstP2pLink:state:
   *
   * Current state; "state-changed" carries the reason too.
   */
  props[PROP_STATE] = g_param_spec_enum ("state", "State", "Link state",
      GST_P2P_TYPE_LINK_STATE, GST_P2P_LINK_STATE_NEW,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * GstP2pLink:buffered:
   *
   * Outgoing bytes accepted by gst_p2p_link_send() but not yet handed to
   * SCTP.
   */
  props[PROP_BUFFERED] = g_param_spec_uint64 ("buffered", "Buffered",
      "Outgoing bytes waiting for SCTP", 0, G_MAXUINT64, 0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (gobject_class, N_PROPS, props);

  /**
   * GstP2pLink::local-signal:
   * @line: one signalling line for the peer (see the header comment)
   */
  signals[SIGNAL_LOCAL_SIGNAL] = g_signal_new ("local-signal",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstP2pLink::state-changed:
   * @state: the new #GstP2pLinkState
   * @reason: (nullable): why, for CLOSED and FAILED
   */
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, GST_P2P_TYPE_LINK_STATE, G_TYPE_STRING);
  /**
   * GstP2pLink::message:
   * @stream: stream id
   * @message: the whole message
   */
  signals[SIGNAL_MESSAGE] = g_signal_new ("message",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_BYTES);
  /**
   * GstP2pLink::stream-closed:
   * @stream: the peer closed its side of this stream
   */
  signals[SIGNAL_STREAM_CLOSED] = g_signal_new ("stream-closed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * GstP2pLink::writable:
   *
   * The backlog fell to half of max-buffered after a send was refused.
   */
  signals[SIGNAL_WRITABLE] = g_signal_new ("writable",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  GST_DEBUG_CATEGORY_INIT (p2p_link_debug, "p2p-link", 0, "gst-p2p peer link");
}

static void
gst_p2p_link_init (GstP2pLink * self)
{
}

/* ---- API -------------------------------------------------------------- */

/**
 * gst_p2p_link_new:
 * @config: copied
 * @context: (nullable): where the link lives; %NULL for the process network
 *   loop
 *
 * Returns: (transfer full): a new link in state NEW, or %NULL.
 */
GstP2pLink *
gst_p2p_link_new (const GstP2pLinkConfig * config, GMainContext * context,
    GError ** error)
{
  GstP2pLink *self;
  Core *core;

  gst_p2p_init ();
  if (!context)
    context = gst_p2p_loop_get_context (gst_p2p_loop_get_default ());

  self = g_object_new (GST_P2P_TYPE_LINK, NULL);
  core = self->core = g_new0 (Core, 1);
  core->self = self;
  core->context = g_main_context_ref (context);
  core->config = *config;
  gst_p2p_ice_config_copy (&core->config.ice, &config->ice);
  if (!core->config.connect_timeout_ms)
    core->config.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
  if (!core->config.peer_timeout_ms)
    core->config.peer_timeout_ms = DEFAULT_PEER_TIMEOUT_MS;
  if (!core->config.max_buffered)
    core->config.max_buffered = DEFAULT_MAX_BUFFERED;
  if (!core->config.max_message)
    core->config.max_message = DEFAULT_MAX_MESSAGE;
  /* ICE alone must not outlast the whole connect deadline. */
  if (!core->config.ice.timeout_ms
      || core->config.ice.timeout_ms > core->config.connect_timeout_ms)
    core->config.ice.timeout_ms = MIN (10000, core->config.connect_timeout_ms);
  core->live.connect_timeout_ms = core->config.connect_timeout_ms;
  core->live.peer_timeout_ms = core->config.peer_timeout_ms;
  core->pending_candidates = g_ptr_array_new_with_free_func (g_free);

  core->ice = gst_p2p_ice_new (context, &core->config.ice,
      config->initiator, &ice_callbacks, core);
  if (!core->ice) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "could not create the ICE agent (bad STUN/TURN settings?)");
    g_object_unref (self);
    return NULL;
  }
  core->dtls = gst_p2p_dtls_new (context, &dtls_callbacks, core, error);
  if (!core->dtls) {
    g_object_unref (self);
    return NULL;
  }
  GST_DEBUG ("link %p created (%s)", self,
      config->initiator ? "initiator" : "responder");
  return self;
}

/**
 * gst_p2p_link_start:
 *
 * Emits the local credentials and fingerprint, starts gathering (candidates
 * follow as they are found) and the connect deadline.
 */
gboolean
gst_p2p_link_start (GstP2pLink * link, GError ** error)
{
  Core *core;
  gchar *ufrag = NULL, *pwd = NULL, *line;
  gboolean ok = TRUE;

  g_return_val_if_fail (GST_P2P_IS_LINK (link), FALSE);
  core = link->core;
  g_return_val_if_fail (core->state == GST_P2P_LINK_STATE_NEW, FALSE);

  g_object_ref (link);
  ENTER (core);
  core->live.started_us = g_get_monotonic_time ();
  set_state (core, GST_P2P_LINK_STATE_CONNECTING, NULL);

  gst_p2p_ice_get_local_credentials (core->ice, &ufrag, &pwd);
  line = g_strdup_printf ("a=ice-ufrag:%s", ufrag);
  emit_local (core, line);
  g_free (line);
  line = g_strdup_printf ("a=ice-pwd:%s", pwd);
  emit_local (core, line);
  g_free (line);
  line = g_strdup_printf ("a=fingerprint:sha-256 %s",
      gst_p2p_dtls_get_local_fingerprint (core->dtls));
  emit_local (core, line);
  g_free (line);
  g_free (ufrag);
  g_free (pwd);

  if (!is_terminal (core)) {
    core->liveness_timer = g_timeout_source_new (LIVENESS_PERIOD_MS);
    g_source_set_callback (core->liveness_timer, liveness_cb, core, NULL);
    g_source_attach (core->liveness_timer, core->context);
    if (!gst_p2p_ice_start (core->ice, error)) {
      fail (core, (*error) ? (*error)->message : "ICE could not start");
      ok = FALSE;
    }
  }
  LEAVE (core);
  g_object_unref (link);
  return ok;
}

static void
flush_pending_candidates (Core * core)
{
  guint i;

  for (i = 0; i < core->pending_candidates->len; i++) {
    if (!gst_p2p_ice_add_remote_candidate (core->ice,
            g_ptr_array_index (core->pending_candidates, i), NULL))
      core->stats.bad_signals++;
  }
  g_ptr_array_set_size (core->pending_candidates, 0);
  if (core->remote_done)
    gst_p2p_ice_remote_gathering_done (core->ice);
}

static gboolean
bad_signal (Core * core, GError ** error, const gchar * what)
{
  core->stats.bad_signals++;
  GST_WARNING ("rejected remote signal: %s", what);
  if (error && !*error)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s", what);
  return FALSE;
}

/**
 * gst_p2p_link_add_remote_signal:
 * @line: one line the peer's link emitted
 *
 * Returns: %FALSE (and counts it) if @line is malformed or out of place;
 * the link itself carries on.
 */
gboolean
gst_p2p_link_add_remote_signal (GstP2pLink * link, const gchar * line,
    GError ** error)
{
  Core *core;
  gboolean ok = TRUE;
  const gchar *v;

  g_return_val_if_fail (GST_P2P_IS_LINK (link), FALSE);
  g_return_val_if_fail (line != NULL, FALSE);
  core = link->core;

  if (is_terminal (core) || !core->ice)
    return bad_signal (core, error, "link is closed");
  if (strnlen (line, MAX_SIGNAL_LEN + 1) > MAX_SIGNAL_LEN)
    return bad_signal (core, error, "signalling line too long");

  g_object_ref (link);
  ENTER (core);
  if ((v = g_str_has_prefix (line, "a=ice-ufrag:") ? line + 12 : NULL)) {
    if (core->remote_ufrag)
      ok = bad_signal (core, error, "duplicate ice-ufrag");
    else
      core->remote_ufrag = g_strdup (v);
  } else if ((v = g_str_has_prefix (line, "a=ice-pwd:") ? line + 10 : NULL)) {
    if (core->remote_pwd)
      ok = bad_signal (core, error, "duplicate ice-pwd");
    else
      core->remote_pwd = g_strdup (v);
  } else if ((v = g_str_has_prefix (line, "a=fingerprint:") ? line + 14 : NULL)) {
    if (g_ascii_strncasecmp (v, "sha-256 ", 8) != 0)
      ok = bad_signal (core, error, "fingerprint is not sha-256");
    else if (!gst_p2p_dtls_set_remote_fingerprint (core->dtls, v + 8, error))
      ok = bad_signal (core, error, "bad fingerprint");
    else
      maybe_start_dtls (core);
  } else if (g_str_has_prefix (line, "a=candidate:")) {
    if (core->remote_creds_set) {
      ok = gst_p2p_ice_add_remote_candidate (core->ice, line, error);
      if (!ok)
        bad_signal (core, error, "bad candidate");
    } else if (core->pending_candidates->len >= MAX_PENDING_CANDIDATES) {
      ok = bad_signal (core, error, "too many candidates before credentials");
    } else {
      g_ptr_array_add (core->pending_candidates, g_strdup (line));
    }
  } else if (strcmp (line, "a=end-of-candidates") == 0) {
    core->remote_done = TRUE;
    if (core->remote_creds_set)
      gst_p2p_ice_remote_gathering_done (core->ice);
  } else {
    ok = bad_signal (core, error, "unknown signalling line");
  }

  if (ok && !core->remote_creds_set && core->remote_ufrag && core->remote_pwd) {
    if (!gst_p2p_ice_set_remote_credentials (core->ice, core->remote_ufrag,
            core->remote_pwd, error)) {
      ok = bad_signal (core, error, "bad ICE credentials");
    } else {
      core->remote_creds_set = TRUE;
      flush_pending_candidates (core);
    }
  }
  LEAVE (core);
  g_object_unref (link);
  return ok;
}

/**
 * gst_p2p_link_send:
 * @stream: stream id below config.n_streams
 * @message: (transfer none): kept until sent
 *
 * Returns: %FALSE with G_IO_ERROR_WOULD_BLOCK when the backlog is full
 * (retry on "writable"), G_IO_ERROR_NOT_CONNECTED when not connected.
 */
gboolean
gst_p2p_link_send (GstP2pLink * link, guint stream, GBytes * message,
    GError ** error)
{
  Core *core;
  gboolean ok;

  g_return_val_if_fail (GST_P2P_IS_LINK (link), FALSE);
  core = link->core;
  if (core->state != GST_P2P_LINK_STATE_CONNECTED || !core->sctp) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
        "link is not connected");
    return FALSE;
  }
  g_object_ref (link);
  ENTER (core);
  ok = gst_p2p_sctp_send (core->sctp, stream, message, error);
  LEAVE (core);
  g_object_unref (link);
  return ok;
}

/**
 * gst_p2p_link_close_stream:
 *
 * Closes our side of @stream after what is queued on it; the peer gets
 * "stream-closed". The id may be used again afterwards.
 */
gboolean
gst_p2p_link_close_stream (GstP2pLink * link, guint stream)
{
  Core *core;
  gboolean ok;

  g_return_val_if_fail (GST_P2P_IS_LINK (link), FALSE);
  core = link->core;
  if (core->state != GST_P2P_LINK_STATE_CONNECTED || !core->sctp)
    return FALSE;
  g_object_ref (link);
  ENTER (core);
  ok = gst_p2p_sctp_close_stream (core->sctp, stream);
  LEAVE (core);
  g_object_unref (link);
  return ok;
}

/**
 * gst_p2p_link_close:
 *
 * Aborts the association and closes DTLS, so the peer learns at once;
 * moves to CLOSED.
 */
void
gst_p2p_link_close (GstP2pLink * link)
{
  Core *core;

  g_return_if_fail (GST_P2P_IS_LINK (link));
  core = link->core;
  if (is_terminal (core))
    return;
  g_object_ref (link);
  ENTER (core);
  set_state (core, GST_P2P_LINK_STATE_CLOSED, "closed locally");
  if (core->sctp)
    gst_p2p_sctp_abort (core->sctp);
  if (core->dtls)
    gst_p2p_dtls_close (core->dtls);
  LEAVE (core);
  g_object_unref (link);
}

GstP2pLinkState
gst_p2p_link_get_state (GstP2pLink * link, const gchar ** reason)
{
  g_return_val_if_fail (GST_P2P_IS_LINK (link), GST_P2P_LINK_STATE_FAILED);
  if (reason)
    *reason = link->core->reason;
  return link->core->state;
}

const gchar *
gst_p2p_link_get_local_fingerprint (GstP2pLink * link)
{
  g_return_val_if_fail (GST_P2P_IS_LINK (link), NULL);
  return link->core->dtls ?
      gst_p2p_dtls_get_local_fingerprint (link->core->dtls) : NULL;
}

gsize
gst_p2p_link_get_buffered (GstP2pLink * link)
{
  g_return_val_if_fail (GST_P2P_IS_LINK (link), 0);
  if (!link->core || !link->core->sctp)
    return 0;
  return gst_p2p_sctp_get_buffered (link->core->sctp);
}

/**
 * gst_p2p_link_get_unacked:
 *
 * Bytes handed to the link that the peer has not acknowledged yet (an
 * upper bound): a sender keeping this small sends at the path's rate
 * without queueing seconds of data behind it.
 */
gsize
gst_p2p_link_get_unacked (GstP2pLink * link)
{
  g_return_val_if_fail (GST_P2P_IS_LINK (link), 0);
  if (!link->core || !link->core->sctp)
    return 0;
  return gst_p2p_sctp_get_unacked (link->core->sctp);
}

/**
 * gst_p2p_link_get_stats:
 *
 * Counters so far; layer counters freeze when the link ends.
 */
void
gst_p2p_link_get_stats (GstP2pLink * link, GstP2pLinkStats * stats)
{
  g_return_if_fail (GST_P2P_IS_LINK (link));
  snapshot_stats (link->core);
  *stats = link->core->stats;
}
