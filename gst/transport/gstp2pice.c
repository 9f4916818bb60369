/* GstP2pIce: the ICE layer of a peer link. See gstp2pice.h.
 *
 * Threads: everything here runs on the GMainContext given at creation; the
 * libnice agent is created on it, so its signals and the receive callback are
 * dispatched there too.
 *
 * Received datagrams are queued and handed up from our own source, a bounded
 * batch per dispatch: libnice's receive callback loops until the socket is
 * empty, and a link that answers every datagram with more data (SACKs in,
 * DATA out) keeps it non-empty, so processing inside that loop would hold
 * the context -- every other link, the tracker, HTTP and all timers -- for
 * as long as a transfer lasts.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <gst/gst.h>
#include <nice/agent.h>

#include "transport/gstp2pice.h"

GST_DEBUG_CATEGORY_STATIC (p2p_ice_debug);
#define GST_CAT_DEFAULT p2p_ice_debug

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_SOCKET_BUFFER (4 * 1024 * 1024)
#define DEFAULT_STUN_PORT 3478
/* Bounds on what a remote peer may push at us through signalling. */
#define MAX_CANDIDATE_LEN 1024
#define MAX_REMOTE_CANDIDATES 64
#define MAX_DATAGRAM 65535
/* Received datagrams waiting for the rx source: about 2.5 MB of full-size
 * DTLS records, more than the 4 MiB socket buffer delivers in one read loop
 * on any path we measured; beyond it they are dropped like a full socket
 * buffer would (SCTP retransmits). */
#define MAX_RX_QUEUED 2048
/* Datagrams handed up per dispatch before other sources get a turn. */
#define RX_BATCH 64

struct _GstP2pIce
{
  GMainContext *context;
  NiceAgent *agent;
  guint stream_id;
  gboolean controlling;
  GstP2pIceConfig config;
  GstP2pIceCallbacks callbacks;
  gpointer data;

  GstP2pIceState state;
  gboolean started;
  gboolean have_remote_credentials;
  GSource *deadline;
  guint n_remote_candidates;
  GstP2pIceStats stats;
  gulong handlers[4];

  GQueue rx;
  GSource *rx_source;
};

static void
ice_init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (p2p_ice_debug, "p2p-ice", 0,
        "gst-p2p ICE (libnice) layer");
    g_once_init_leave (&done, 1);
  }
}

/* ---- configuration ---------------------------------------------------- */

static gboolean
split_host_port (const gchar * hostport, gchar ** host, guint * port)
{
  const gchar *colon;
  gchar *h;
  guint64 p = DEFAULT_STUN_PORT;

  if (hostport[0] == '[') {
    const gchar *end = strchr (hostport, ']');
    if (!end)
      return FALSE;
    h = g_strndup (hostport + 1, end - hostport - 1);
    colon = end[1] == ':' ? end + 1 : NULL;
    if (!colon && end[1] != '\0') {
      g_free (h);
      return FALSE;
    }
  } else {
    colon = strrchr (hostport, ':');
    h = colon ? g_strndup (hostport, colon - hostport) : g_strdup (hostport);
  }
  if (colon && !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &p, NULL)) {
    g_free (h);
    return FALSE;
  }
  /* libnice wants numeric addresses; resolving would block the loop. */
  if (!g_hostname_is_ip_address (h)) {
    g_free (h);
    return FALSE;
  }
  *host = h;
  *port = (guint) p;
  return TRUE;
}

/**
 * gst_p2p_ice_parse_stun_uri:
 * @spec: "host:port", "[v6]:port" or "stun:host:port"; host numeric
 *
 * Returns: %TRUE and the parts, or %FALSE on malformed input.
 */
gboolean
gst_p2p_ice_parse_stun_uri (const gchar * spec, gchar ** host, guint * port)
{
  g_return_val_if_fail (spec != NULL, FALSE);
  if (g_str_has_prefix (spec, "stun:"))
    spec += 5;
  if (strlen (spec) > 256)
    return FALSE;
  return split_host_port (spec, host, port);
}

/**
 * gst_p2p_ice_parse_turn_uri:
 * @spec: "turn://user:pass@host:port"; host numeric
 *
 * Returns: %TRUE and the parts, or %FALSE on malformed input.
 */
gboolean
gst_p2p_ice_parse_turn_uri (const gchar * spec, gchar ** host, guint * port,
    gchar ** user, gchar ** pass)
{
  const gchar *rest, *at, *colon;

  g_return_val_if_fail (spec != NULL, FALSE);
  if (!g_str_has_prefix (spec, "turn://") || strlen (spec) > 512)
    return FALSE;
  rest = spec + 7;
  at = strrchr (rest, '@');
  if (!at)
    return FALSE;
  colon = memchr (rest, ':', at - rest);
  if (!colon || colon == rest)
    return FALSE;
  if (!split_host_port (at + 1, host, port))
    return FALSE;
  *user = g_strndup (rest, colon - rest);
  *pass = g_strndup (colon + 1, at - colon - 1);
  return TRUE;
}

/**
 * gst_p2p_ice_config_from_env:
 * @config: config to fill (fields already set are replaced only when the
 *   variable is present)
 *
 * Reads GST_P2P_STUN="host:port" and GST_P2P_TURN="turn://user:pass@host:port".
 *
 * Returns: %FALSE with @error if a variable is set but malformed.
 */
gboolean
gst_p2p_ice_config_from_env (GstP2pIceConfig * config, GError ** error)
{
  const gchar *stun = g_getenv ("GST_P2P_STUN");
  const gchar *turn = g_getenv ("GST_P2P_TURN");

  if (stun && *stun) {
    gchar *host;
    guint port;
    if (!gst_p2p_ice_parse_stun_uri (stun, &host, &port)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "GST_P2P_STUN must be numeric host:port, got '%s'", stun);
      return FALSE;
    }
    g_free (config->stun_host);
    config->stun_host = host;
    config->stun_port = port;
  }
  if (turn && *turn) {
    gchar *host, *user, *pass;
    guint port;
    if (!gst_p2p_ice_parse_turn_uri (turn, &host, &port, &user, &pass)) {
      /* never echo the value: it holds a password */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "GST_P2P_TURN must be turn://user:pass@numeric-host:port");
      return FALSE;
    }
    g_free (config->turn_host);
    g_free (config->turn_user);
    g_free (config->turn_pass);
    config->turn_host = host;
    config->turn_port = port;
    config->turn_user = user;
    config->turn_pass = pass;
  }
  return TRUE;
}

void
gst_p2p_ice_config_copy (GstP2pIceConfig * dest, const GstP2pIceConfig * src)
{
  *dest = *src;
  dest->stun_host = g_strdup (src->stun_host);
  dest->turn_host = g_strdup (src->turn_host);
  dest->turn_user = g_strdup (src->turn_user);
  dest->turn_pass = g_strdup (src->turn_pass);
  dest->local_addresses = g_strdupv (src->local_addresses);
}

void
gst_p2p_ice_config_clear (GstP2pIceConfig * config)
{
  g_free (config->stun_host);
  g_free (config->turn_host);
  g_free (config->turn_user);
  g_free (config->turn_pass);
  g_strfreev (config->local_addresses);
  memset (config, 0, sizeof (*config));
}

/* ---- state ------------------------------------------------------------ */

static const gchar *
candidate_type_name (NiceCandidateType type)
{
  switch (type) {
    case NICE_CANDIDATE_TYPE_HOST:
      return "host";
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return "srflx";
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return "prflx";
    case NICE_CANDIDATE_TYPE_RELAYED:
      return "relay";
  }
  return "unknown";
}

static void
cancel_deadline (GstP2pIce * ice)
{
  if (ice->deadline) {
    g_source_destroy (ice->deadline);
    g_source_unref (ice->deadline);
    ice->deadline = NULL;
  }
}

static void
set_state (GstP2pIce * ice, GstP2pIceState state, const gchar * reason)
{
  if (ice->state == state || ice->state == GST_P2P_ICE_STATE_FAILED)
    return;
  GST_INFO ("ICE state %d -> %d (%s)", ice->state, state, reason ? reason : "");
  ice->state = state;
  if (state == GST_P2P_ICE_STATE_CONNECTED || state == GST_P2P_ICE_STATE_FAILED)
    cancel_deadline (ice);
  if (ice->callbacks.state_changed)
    ice->callbacks.state_changed (ice, state, reason, ice->data);
}

static gboolean
deadline_cb (gpointer user_data)
{
  GstP2pIce *ice = user_data;
  gchar *reason;

  reason = g_strdup_printf ("ICE did not connect within %u ms%s",
      ice->config.timeout_ms, ice->have_remote_credentials ? "" :
      " (no remote credentials received)");
  g_source_unref (ice->deadline);
  ice->deadline = NULL;
  set_state (ice, GST_P2P_ICE_STATE_FAILED, reason);
  g_free (reason);
  return G_SOURCE_REMOVE;
}

/* libnice never raises the kernel's default 208 KiB, which usrsctp bursts
 * overflow (RcvbufErrors). SO_RCVBUFFORCE works only with CAP_NET_ADMIN;
 * otherwise net.core.rmem_max caps us and we say so. */
static gint
raise_buffer (gint fd, gint opt, gint force_opt, gint wanted)
{
  gint got = 0;
  socklen_t len = sizeof (got);

  if (setsockopt (fd, SOL_SOCKET, opt, &wanted, sizeof (wanted)) < 0)
    GST_WARNING ("setsockopt(%d) failed: %s", opt, g_strerror (errno));
  getsockopt (fd, SOL_SOCKET, opt, &got, &len);
  /* Linux reports twice what was granted (bookkeeping overhead). */
  if (got < wanted) {
    if (setsockopt (fd, SOL_SOCKET, force_opt, &wanted, sizeof (wanted)) == 0) {
      len = sizeof (got);
      getsockopt (fd, SOL_SOCKET, opt, &got, &len);
    }
  }
  return got;
}

static void
raise_socket_buffers (GstP2pIce * ice)
{
  GPtrArray *sockets;
  guint i;
  gint wanted = ice->config.socket_buffer;

  sockets = nice_agent_get_sockets (ice->agent, ice->stream_id, 1);
  if (!sockets)
    return;
  for (i = 0; i < sockets->len; i++) {
    gint fd = g_socket_get_fd (g_ptr_array_index (sockets, i));
    gint rcv = raise_buffer (fd, SO_RCVBUF, SO_RCVBUFFORCE, wanted);
    gint snd = raise_buffer (fd, SO_SNDBUF, SO_SNDBUFFORCE, wanted);

    ice->stats.rcvbuf = rcv;
    ice->stats.sndbuf = snd;
    if (rcv < wanted || snd < wanted) {
      if (!ice->stats.rcvbuf_capped)
        GST_WARNING ("UDP socket buffers capped by the kernel: asked %d, got "
            "rcv %d snd %d (raise net.core.rmem_max / wmem_max)", wanted, rcv,
            snd);
      ice->stats.rcvbuf_capped = TRUE;
    } else {
      GST_DEBUG ("UDP socket buffers rcv %d snd %d", rcv, snd);
    }
  }
  g_ptr_array_unref (sockets);
}

/* ---- libnice callbacks ------------------------------------------------ */

static void
on_new_candidate (NiceAgent * agent, NiceCandidate * cand, gpointer user_data)
{
  GstP2pIce *ice = user_data;
  gchar *sdp;

  if (cand->stream_id != ice->stream_id || cand->component_id != 1)
    return;
  sdp = nice_agent_generate_local_candidate_sdp (agent, cand);
  GST_DEBUG ("local candidate %s", sdp);
  if (ice->callbacks.local_candidate)
    ice->callbacks.local_candidate (ice, sdp, ice->data);
  g_free (sdp);
}

static void
on_gathering_done (NiceAgent * agent, guint stream_id, gpointer user_data)
{
  GstP2pIce *ice = user_data;

  if (stream_id != ice->stream_id)
    return;
  GST_DEBUG ("local gathering done");
  raise_socket_buffers (ice);
  if (ice->callbacks.local_candidate)
    ice->callbacks.local_candidate (ice, "a=end-of-candidates", ice->data);
}

static void
on_component_state (NiceAgent * agent, guint stream_id, guint component_id,
    guint state, gpointer user_data)
{
  GstP2pIce *ice = user_data;

  if (stream_id != ice->stream_id)
    return;
  GST_DEBUG ("component state %s", nice_component_state_to_string (state));
  switch (state) {
    case NICE_COMPONENT_STATE_CONNECTED:
    case NICE_COMPONENT_STATE_READY:
      set_state (ice, GST_P2P_ICE_STATE_CONNECTED, NULL);
      break;
    case NICE_COMPONENT_STATE_FAILED:
      set_state (ice, GST_P2P_ICE_STATE_FAILED,
          ice->state == GST_P2P_ICE_STATE_CONNECTED ?
          "ICE connectivity lost" : "ICE connectivity checks failed");
      break;
    default:
      break;
  }
}

static void
on_selected_pair (NiceAgent * agent, guint stream_id, guint component_id,
    NiceCandidate * local, NiceCandidate * remote, gpointer user_data)
{
  GstP2pIce *ice = user_data;

  if (stream_id != ice->stream_id)
    return;
  ice->stats.selected_local = candidate_type_name (local->type);
  ice->stats.selected_remote = candidate_type_name (remote->type);
  GST_INFO ("selected pair %s -> %s", ice->stats.selected_local,
      ice->stats.selected_remote);
}

static void
on_recv (NiceAgent * agent, guint stream_id, guint component_id, guint len,
    gchar * buf, gpointer user_data)
{
  GstP2pIce *ice = user_data;

  if (len == 0 || ice->state == GST_P2P_ICE_STATE_FAILED)
    return;
  if (ice->rx.length >= MAX_RX_QUEUED) {
    ice->stats.rx_dropped++;
    return;
  }
  g_queue_push_tail (&ice->rx, g_bytes_new (buf, len));
  g_source_set_ready_time (ice->rx_source, 0);
}

static gboolean
rx_dispatch (GSource * source, GSourceFunc callback, gpointer user_data)
{
  GstP2pIce *ice = user_data;
  guint n;

  g_source_set_ready_time (source, -1);
  for (n = 0; n < RX_BATCH && !g_queue_is_empty (&ice->rx); n++) {
    GBytes *b = g_queue_pop_head (&ice->rx);
    gsize len;
    const guint8 *data = g_bytes_get_data (b, &len);

    if (ice->state != GST_P2P_ICE_STATE_FAILED && ice->callbacks.recv)
      ice->callbacks.recv (ice, data, len, ice->data);
    g_bytes_unref (b);
  }
  if (!g_queue_is_empty (&ice->rx))
    g_source_set_ready_time (source, 0);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs rx_funcs = {
  NULL, NULL, rx_dispatch, NULL,
};

/* ---- API -------------------------------------------------------------- */

/**
 * gst_p2p_ice_new:
 * @context: the GMainContext everything runs on
 * @config: settings, copied
 * @controlling: ICE role (the link initiator controls)
 * @callbacks: copied; they must not free @ice
 *
 * Returns: (transfer full): a new ICE layer, or %NULL if libnice refused the
 * configuration.
 */
GstP2pIce *
gst_p2p_ice_new (GMainContext * context, const GstP2pIceConfig * config,
    gboolean controlling, const GstP2pIceCallbacks * callbacks, gpointer data)
{
  GstP2pIce *ice;
  GObjectClass *klass;
  guint i;

  ice_init_debug ();

  ice = g_new0 (GstP2pIce, 1);
  ice->context = g_main_context_ref (context);
  gst_p2p_ice_config_copy (&ice->config, config);
  if (ice->config.timeout_ms == 0)
    ice->config.timeout_ms = DEFAULT_TIMEOUT_MS;
  if (ice->config.socket_buffer == 0)
    ice->config.socket_buffer = DEFAULT_SOCKET_BUFFER;
  ice->callbacks = *callbacks;
  ice->data = data;
  ice->controlling = controlling;

  ice->agent = nice_agent_new_full (context, NICE_COMPATIBILITY_RFC5245,
      NICE_AGENT_OPTION_REGULAR_NOMINATION | NICE_AGENT_OPTION_ICE_TRICKLE);
  klass = G_OBJECT_GET_CLASS (ice->agent);
  g_object_set (ice->agent, "ice-tcp", FALSE, "ice-udp", TRUE,
      "controlling-mode", controlling, "force-relay", config->force_relay,
      NULL);
  if (g_object_class_find_property (klass, "upnp"))
    g_object_set (ice->agent, "upnp", FALSE, NULL);
  if (config->stun_host) {
    g_object_set (ice->agent, "stun-server", config->stun_host,
        "stun-server-port", config->stun_port ? config->stun_port :
        DEFAULT_STUN_PORT, NULL);
  }

  for (i = 0; config->local_addresses && config->local_addresses[i]; i++) {
    NiceAddress addr;

    nice_address_init (&addr);
    if (!nice_address_set_from_string (&addr, config->local_addresses[i])) {
      GST_WARNING ("ignoring bad local address '%s'",
          config->local_addresses[i]);
      continue;
    }
    nice_agent_add_local_address (ice->agent, &addr);
  }

  ice->stream_id = nice_agent_add_stream (ice->agent, 1);
  if (ice->stream_id == 0)
    goto fail;

  if (config->turn_host) {
    if (!nice_agent_set_relay_info (ice->agent, ice->stream_id, 1,
            config->turn_host, config->turn_port ? config->turn_port :
            DEFAULT_STUN_PORT, config->turn_user ? config->turn_user : "",
            config->turn_pass ? config->turn_pass : "",
            NICE_RELAY_TYPE_TURN_UDP)) {
      GST_WARNING ("libnice refused TURN server %s", config->turn_host);
      goto fail;
    }
  } else if (config->force_relay) {
    GST_WARNING ("force-relay without a TURN server can never connect");
  }

  ice->handlers[0] = g_signal_connect (ice->agent, "new-candidate-full",
      G_CALLBACK (on_new_candidate), ice);
  ice->handlers[1] = g_signal_connect (ice->agent, "candidate-gathering-done",
      G_CALLBACK (on_gathering_done), ice);
  ice->handlers[2] = g_signal_connect (ice->agent, "component-state-changed",
      G_CALLBACK (on_component_state), ice);
  ice->handlers[3] = g_signal_connect (ice->agent, "new-selected-pair-full",
      G_CALLBACK (on_selected_pair), ice);

  /* A real callback: with NULL libnice stops reading the socket and STUN
   * replies (hence srflx/relay gathering) are never processed. */
  g_queue_init (&ice->rx);
  ice->rx_source = g_source_new (&rx_funcs, sizeof (GSource));
  g_source_set_name (ice->rx_source, "p2p-ice-rx");
  g_source_set_callback (ice->rx_source, NULL, ice, NULL);
  g_source_attach (ice->rx_source, context);
  nice_agent_attach_recv (ice->agent, ice->stream_id, 1, context, on_recv, ice);

  GST_DEBUG ("created agent %p (%s)", ice->agent,
      controlling ? "controlling" : "controlled");
  return ice;

fail:
  gst_p2p_ice_free (ice);
  return NULL;
}

void
gst_p2p_ice_free (GstP2pIce * ice)
{
  guint i;

  if (!ice)
    return;
  cancel_deadline (ice);
  if (ice->agent) {
    for (i = 0; i < G_N_ELEMENTS (ice->handlers); i++)
      if (ice->handlers[i])
        g_signal_handler_disconnect (ice->agent, ice->handlers[i]);
    if (ice->stream_id) {
      nice_agent_attach_recv (ice->agent, ice->stream_id, 1, ice->context,
          NULL, NULL);
      nice_agent_remove_stream (ice->agent, ice->stream_id);
    }
    /* Releases TURN allocations (lifetime 0 refreshes); the task holds its
     * own reference to the agent until done. */
    nice_agent_close_async (ice->agent, NULL, NULL);
    g_object_unref (ice->agent);
  }
  if (ice->rx_source) {
    g_source_destroy (ice->rx_source);
    g_source_unref (ice->rx_source);
  }
  g_queue_clear_full (&ice->rx, (GDestroyNotify) g_bytes_unref);
  gst_p2p_ice_config_clear (&ice->config);
  g_main_context_unref (ice->context);
  g_free (ice);
}

void
gst_p2p_ice_get_local_credentials (GstP2pIce * ice, gchar ** ufrag,
    gchar ** pwd)
{
  nice_agent_get_local_credentials (ice->agent, ice->stream_id, ufrag, pwd);
}

/**
 * gst_p2p_ice_start:
 *
 * Starts gathering (candidates arrive through the local_candidate callback)
 * and the connect deadline.
 */
gboolean
gst_p2p_ice_start (GstP2pIce * ice, GError ** error)
{
  g_return_val_if_fail (!ice->started, FALSE);

  ice->started = TRUE;
  if (!nice_agent_gather_candidates (ice->agent, ice->stream_id)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "ICE candidate gathering could not start (no usable local address?)");
    return FALSE;
  }
  raise_socket_buffers (ice);
  ice->state = GST_P2P_ICE_STATE_CHECKING;
  ice->deadline = g_timeout_source_new (ice->config.timeout_ms);
  g_source_set_callback (ice->deadline, deadline_cb, ice, NULL);
  g_source_attach (ice->deadline, ice->context);
  return TRUE;
}

static gboolean
valid_ice_chars (const gchar * s, gsize min, gsize max)
{
  gsize n = 0;

  for (; *s; s++, n++) {
    if (n >= max)
      return FALSE;
    if (!g_ascii_isalnum (*s) && *s != '+' && *s != '/')
      return FALSE;
  }
  return n >= min;
}

gboolean
gst_p2p_ice_set_remote_credentials (GstP2pIce * ice, const gchar * ufrag,
    const gchar * pwd, GError ** error)
{
  /* RFC 8839: ufrag 4..256, pwd 22..256 ice-chars. */
  if (!valid_ice_chars (ufrag, 4, 256) || !valid_ice_chars (pwd, 22, 256)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "malformed remote ICE credentials");
    return FALSE;
  }
  if (ice->have_remote_credentials) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "remote ICE credentials already set (no ICE restart)");
    return FALSE;
  }
  if (!nice_agent_set_remote_credentials (ice->agent, ice->stream_id, ufrag,
          pwd)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "libnice refused remote credentials");
    return FALSE;
  }
  ice->have_remote_credentials = TRUE;
  return TRUE;
}

/* libnice's own parser g_critical()s on some malformed lines: check the
 * shape first (RFC 8839 candidate-attribute, UDP, numeric address). */
static const gchar *
check_candidate_syntax (const gchar * sdp)
{
  gchar **f;
  const gchar *why = NULL;
  guint n;
  guint64 v;

  if (!g_str_has_prefix (sdp, "a=candidate:"))
    return "not a candidate line";
  f = g_strsplit (sdp + 12, " ", 32);
  n = g_strv_length (f);
  if (n < 8 || n % 2 != 0)
    why = "candidate has a wrong number of fields";
  else if (!*f[0] || strlen (f[0]) > 32)
    why = "bad candidate foundation";
  else if (!g_ascii_string_to_unsigned (f[1], 10, 1, 256, &v, NULL))
    why = "bad candidate component";
  else if (g_ascii_strcasecmp (f[2], "UDP") != 0)
    why = "non-UDP candidate (ICE-TCP is off)";
  else if (!g_ascii_string_to_unsigned (f[3], 10, 0, G_MAXUINT32, &v, NULL))
    why = "bad candidate priority";
  else if (!g_hostname_is_ip_address (f[4]))
    why = "candidate address is not a numeric IP";
  else if (!g_ascii_string_to_unsigned (f[5], 10, 1, 65535, &v, NULL))
    why = "bad candidate port";
  else if (strcmp (f[6], "typ") != 0 || (strcmp (f[7], "host")
          && strcmp (f[7], "srflx") && strcmp (f[7], "prflx")
          && strcmp (f[7], "relay")))
    why = "bad candidate type";
  g_strfreev (f);
  return why;
}

/**
 * gst_p2p_ice_add_remote_candidate:
 * @sdp: "a=candidate:..." as produced by the remote
 *
 * Returns: %FALSE (and counts it) on a candidate we will not use.
 */
gboolean
gst_p2p_ice_add_remote_candidate (GstP2pIce * ice, const gchar * sdp,
    GError ** error)
{
  NiceCandidate *cand = NULL;
  GSList *list;
  gint added;
  const gchar *why = NULL;

  if (strnlen (sdp, MAX_CANDIDATE_LEN + 1) > MAX_CANDIDATE_LEN)
    why = "candidate too long";
  else if (ice->n_remote_candidates >= MAX_REMOTE_CANDIDATES)
    why = "too many remote candidates";
  else if ((why = check_candidate_syntax (sdp)));
  else if (!(cand = nice_agent_parse_remote_candidate_sdp (ice->agent,
              ice->stream_id, sdp)))
    why = "unparsable candidate";
  else if (cand->component_id != 1)
    why = "candidate for an unknown component";
  else if (cand->transport != NICE_CANDIDATE_TRANSPORT_UDP)
    why = "non-UDP candidate (ICE-TCP is off)";
  else if (nice_address_get_port (&cand->addr) == 0)
    why = "candidate without a port";

  if (why) {
    ice->stats.bad_candidates++;
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s", why);
    if (cand)
      nice_candidate_free (cand);
    return FALSE;
  }

  list = g_slist_append (NULL, cand);
  added = nice_agent_set_remote_candidates (ice->agent, ice->stream_id, 1,
      list);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  if (added < 0) {
    ice->stats.bad_candidates++;
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "libnice refused the candidate");
    return FALSE;
  }
  ice->n_remote_candidates++;
  GST_DEBUG ("remote candidate %s", sdp);
  return TRUE;
}

void
gst_p2p_ice_remote_gathering_done (GstP2pIce * ice)
{
  nice_agent_peer_candidate_gathering_done (ice->agent, ice->stream_id);
}

gboolean
gst_p2p_ice_is_controlling (GstP2pIce * ice)
{
  gboolean controlling;

  g_object_get (ice->agent, "controlling-mode", &controlling, NULL);
  return controlling;
}

/**
 * gst_p2p_ice_send:
 *
 * Sends one datagram on the selected pair. A datagram the socket refuses is
 * dropped (the layers above retransmit); this never blocks.
 *
 * Returns: %FALSE if it was not sent.
 */
gboolean
gst_p2p_ice_send (GstP2pIce * ice, const guint8 * buf, gsize len)
{
  gint sent;

  /* libnice asserts on some error paths: only feed it sane input on a
   * connected component. */
  if (ice->state != GST_P2P_ICE_STATE_CONNECTED || len == 0
      || len > MAX_DATAGRAM)
    return FALSE;
  sent = nice_agent_send (ice->agent, ice->stream_id, 1, len,
      (const gchar *) buf);
  if (sent != (gint) len) {
    ice->stats.send_errors++;
    return FALSE;
  }
  return TRUE;
}

GstP2pIceState
gst_p2p_ice_get_state (GstP2pIce * ice)
{
  return ice->state;
}

void
gst_p2p_ice_get_stats (GstP2pIce * ice, GstP2pIceStats * stats)
{
  *stats = ice->stats;
}
