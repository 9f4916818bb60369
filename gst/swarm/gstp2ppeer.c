/* GstP2pPeer: the wire protocol with one remote viewer. See gstp2ppeer.h.
 *
 * Threads: everything runs on the link's GMainContext. Callbacks into the
 * owner (request completion, signals) may drop the owner's reference or
 * close the peer: every path that calls out holds its own reference and
 * re-checks the state afterwards.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/gst.h>

#include "gstp2p.h"
#include "net/gstp2ploop.h"
#include "swarm/gstp2ppeer.h"

GST_DEBUG_CATEGORY_STATIC (p2p_peer_debug);
#define GST_CAT_DEFAULT p2p_peer_debug

/* Frames of one DATA message: ~64 KiB, the link's SCTP message size, so a
 * message costs one link call and streams still interleave finely. */
#define FRAMES_PER_MESSAGE 4
/* Bytes one pump may hand to the link before yielding to the main loop. */
#define PUMP_BUDGET (1024 * 1024)
/* Uploads keep at most this much unacknowledged on the link: enough for
 * 35 Mbit/s at 60 ms RTT, little enough that a 2 Mbit/s uplink does not
 * hold a whole segment queued behind the one it is sending. */
#define UPLOAD_WINDOW (256 * 1024)
/* A finished upload keeps its gate slot until the link has this little
 * left unacknowledged: the slot is the uplink, not our queue. */
#define UPLOAD_DRAINED (32 * 1024)
#define WINDOW_POLL_MS 10
#define TICK_MS 100
#define CANCELLED_RING 64
#define EWMA_ALPHA 0.3
/* A cancelled request still counts against the peer's max_requests for a
 * while: our CANCEL and a new REQUEST travel on different streams and may
 * arrive in either order. */
#define COOLING_MIN_US (500 * 1000)
/* Transfers smaller than this say little about throughput. */
#define MIN_THROUGHPUT_SAMPLE (32 * 1024)

typedef struct
{
  guint32 id;
  guint stream;
  guint64 segment_id;
  guint32 start;
  guint32 end;                  /* as sent: exclusive or RANGE_END_OPEN */
  guint64 expected;             /* bytes of the answer, known at first DATA */
  guint32 segment_size;
  GByteArray *buf;
  gint64 deadline;
  gint64 sent_at;
  gint64 first_at;
  gint64 last_at;
  GstP2pPeerProgress progress;
  GstP2pPeerDone done;
  gpointer data;
} Request;

typedef struct
{
  guint32 id;
  guint stream;
  guint64 segment_id;
  GBytes *bytes;
  guint32 size;
  guint32 pos;
  guint32 stop;
  gboolean gated;
} Upload;

typedef struct
{
  guint stream;
  GBytes *bytes;
} Outgoing;

struct _GstP2pPeer
{
  GObject parent;

  GstP2pPeerConfig config;
  gchar *name;
  GstP2pLink *link;
  GMainContext *context;
  GstP2pPeerState state;
  gboolean hello_sent;
  gint64 link_up_at;
  GstP2pWireHello remote;

  GstP2pPeerProvider provider;
  gpointer provider_data;
  GDestroyNotify provider_notify;

  /* our requests, by stream */
  Request **out;
  guint n_out;
  guint max_out;                /* streams of our parity, at most 64 */
  guint32 next_id;
  guint32 cancelled[CANCELLED_RING];
  guint cancelled_pos;
  gint64 cooling[GST_P2P_WIRE_MAX_REQUESTS];
  guint n_cooling;

  /* the peer's requests we serve, by stream, and in round-robin order */
  Upload **in;
  GQueue uploads;
  GBytes *pending;              /* DATA message the link refused */
  guint pending_stream;
  GQueue backlog;               /* Outgoing control frames the link refused */
  gboolean blocked;             /* waiting for "writable" */
  GSource *pace_timer;
  GSource *pump_idle;
  GSource *window_timer;        /* polls the link's unacked bytes */
  guint draining_slots;         /* gate slots of uploads still in flight */
  GSource *tick;

  /* what the peer announced */
  GTree *haves;                 /* guint64* -> NULL */
  GHashTable *fetching;         /* guint64* -> NULL */

  GstP2pPeerStats stats;
};

enum
{
  SIGNAL_READY,
  SIGNAL_CLOSED,
  SIGNAL_HAVE,
  SIGNAL_BITFIELD,
  SIGNAL_FETCHING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (GstP2pPeer, gst_p2p_peer, G_TYPE_OBJECT);

GQuark
gst_p2p_peer_error_quark (void)
{
  return g_quark_from_static_string ("gst-p2p-peer-error-quark");
}

GType
gst_p2p_peer_end_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_P2P_PEER_END_LOCAL, "GST_P2P_PEER_END_LOCAL", "local"},
    {GST_P2P_PEER_END_REMOTE, "GST_P2P_PEER_END_REMOTE", "remote"},
    {GST_P2P_PEER_END_LINK, "GST_P2P_PEER_END_LINK", "link"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&id)) {
    GType t = g_enum_register_static ("GstP2pPeerEnd", values);
    g_once_init_leave (&id, t);
  }
  return id;
}

static void peer_close (GstP2pPeer * self, GstP2pPeerEnd end, guint reason,
    const gchar * text);
static void pump (GstP2pPeer * self);
static void release_draining (GstP2pPeer * self);
static void arm_window_timer (GstP2pPeer * self);

/* ---- small helpers ---------------------------------------------------- */

static gint
cmp_u64 (gconstpointer a, gconstpointer b, gpointer unused)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static guint64 *
u64_new (guint64 v)
{
  guint64 *p = g_new (guint64, 1);
  *p = v;
  return p;
}

static gboolean
is_ours (GstP2pPeer * self, guint stream)
{
  return stream > 0 && stream < self->config.n_streams
      && (stream % 2 == 0) == !!self->config.even_streams;
}

static gboolean
is_theirs (GstP2pPeer * self, guint stream)
{
  return stream > 0 && stream < self->config.n_streams
      && (stream % 2 == 0) != !!self->config.even_streams;
}

static gint64
ewma (gint64 old, gint64 sample)
{
  if (old <= 0)
    return sample;
  return (gint64) (EWMA_ALPHA * sample + (1.0 - EWMA_ALPHA) * old);
}

/* ---- sending ---------------------------------------------------------- */

static void
outgoing_free (Outgoing * o)
{
  g_bytes_unref (o->bytes);
  g_free (o);
}

static gboolean
link_send (GstP2pPeer * self, guint stream, GBytes * bytes)
{
  GError *err = NULL;

  if (gst_p2p_link_send (self->link, stream, bytes, &err))
    return TRUE;
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
    self->blocked = TRUE;
  } else {
    /* Not connected: the link's state change ends us right after. */
    GST_DEBUG_OBJECT (self, "send on stream %u failed: %s", stream,
        err->message);
  }
  g_clear_error (&err);
  return FALSE;
}

/* Control frames keep their order behind earlier refused ones. */
static void
send_bytes (GstP2pPeer * self, guint stream, GBytes * bytes)
{
  Outgoing *o;

  if (!self->blocked && g_queue_is_empty (&self->backlog)) {
    if (link_send (self, stream, bytes) || !self->blocked)
      return;
  }
  if (self->backlog.length >= GST_P2P_PEER_MAX_BACKLOG) {
    /* The peer does not read what we send: nothing more will get through,
     * not even a BYE. */
    peer_close (self, GST_P2P_PEER_END_LINK, GST_P2P_WIRE_BYE_TIMEOUT,
        "send backlog overflow: the peer does not read");
    return;
  }
  o = g_new (Outgoing, 1);
  o->stream = stream;
  o->bytes = g_bytes_ref (bytes);
  g_queue_push_tail (&self->backlog, o);
}

static void
send_frame (GstP2pPeer * self, guint stream, const GstP2pWireFrame * frame)
{
  GByteArray *arr = g_byte_array_sized_new (64);
  GError *err = NULL;
  GBytes *bytes;

  if (!gst_p2p_wire_encode (arr, frame, &err)) {
    /* Our own bug: log loudly, never send garbage. */
    GST_ERROR_OBJECT (self, "cannot encode %s: %s",
        gst_p2p_wire_type_get_name (frame->type), err->message);
    g_clear_error (&err);
    g_byte_array_unref (arr);
    return;
  }
  bytes = g_byte_array_free_to_bytes (arr);
  send_bytes (self, stream, bytes);
  g_bytes_unref (bytes);
}

static void
send_hello (GstP2pPeer * self)
{
  GstP2pWireFrame f = { 0, };

  if (self->hello_sent)
    return;
  self->hello_sent = TRUE;
  f.type = GST_P2P_WIRE_HELLO;
  f.hello.major = GST_P2P_WIRE_VERSION_MAJOR;
  f.hello.minor = GST_P2P_WIRE_VERSION_MINOR;
  f.hello.max_requests = self->config.max_requests;
  f.hello.capabilities = self->config.capabilities;
  memcpy (f.hello.swarm_id, self->config.swarm_id, sizeof (f.hello.swarm_id));
  memcpy (f.hello.peer_id, self->config.local_id, sizeof (f.hello.peer_id));
  send_frame (self, 0, &f);
}

static void
send_reply (GstP2pPeer * self, GstP2pWireType type, guint stream,
    guint32 request_id, guint8 reason)
{
  GstP2pWireFrame f = { 0, };

  f.type = type;
  if (type == GST_P2P_WIRE_CANCEL) {
    f.cancel.request_id = request_id;
  } else {
    f.absent.request_id = request_id;
    f.absent.reason = reason;
  }
  send_frame (self, stream, &f);
}

/* ---- closing ---------------------------------------------------------- */

typedef struct
{
  GstP2pLink *link;
  gint64 started;
  gint64 until;
} Linger;

static void
linger_free (Linger * l)
{
  if (gst_p2p_link_get_state (l->link, NULL) < GST_P2P_LINK_STATE_CLOSED)
    gst_p2p_link_close (l->link);
  g_object_unref (l->link);
  g_free (l);
}

/* Give a BYE time to leave: SCTP ABORT (gst_p2p_link_close) would drop it.
 * Done when the peer closed on its side, our queue drained (plus a little
 * for SCTP's own buffer), or the linger time is up. */
static gboolean
linger_cb (gpointer data)
{
  Linger *l = data;
  gint64 now = g_get_monotonic_time ();

  if (gst_p2p_link_get_state (l->link, NULL) >= GST_P2P_LINK_STATE_CLOSED
      || now >= l->until
      || (gst_p2p_link_get_buffered (l->link) == 0
          && now - l->started >= 100 * 1000))
    return G_SOURCE_REMOVE;
  return G_SOURCE_CONTINUE;
}

static void
linger_link (GstP2pPeer * self, guint ms)
{
  Linger *l = g_new (Linger, 1);
  GSource *s;

  l->link = g_object_ref (self->link);
  l->started = g_get_monotonic_time ();
  l->until = l->started + (gint64) ms *1000;
  s = g_timeout_source_new (20);
  g_source_set_callback (s, linger_cb, l, (GDestroyNotify) linger_free);
  g_source_attach (s, self->context);
  g_source_unref (s);
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
upload_free (GstP2pPeer * self, Upload * u)
{
  if (u->gated && self->config.gate)
    gst_p2p_upload_gate_release (self->config.gate);
  g_bytes_unref (u->bytes);
  g_free (u);
}

static void
upload_remove (GstP2pPeer * self, Upload * u)
{
  g_queue_remove (&self->uploads, u);
  if (self->in[u->stream] == u)
    self->in[u->stream] = NULL;
  upload_free (self, u);
}

static void
request_free (Request * r)
{
  if (r->buf)
    g_byte_array_unref (r->buf);
  g_free (r);
}

/* Takes @r out of the tables and tells its owner; @error NULL = success. */
static void
request_finish (GstP2pPeer * self, Request * r, GError * error)
{
  GBytes *bytes = NULL;

  if (self->out[r->stream] == r) {
    self->out[r->stream] = NULL;
    self->n_out--;
  }
  if (r->buf && (r->buf->len > 0 || !error)) {
    bytes = g_byte_array_free_to_bytes (r->buf);
    r->buf = NULL;
  }
  if (!error) {
    gint64 now = g_get_monotonic_time ();
    gsize len = bytes ? g_bytes_get_size (bytes) : 0;

    self->stats.requests_ok++;
    if (len >= MIN_THROUGHPUT_SAMPLE && now > r->sent_at)
      self->stats.throughput = ewma (self->stats.throughput,
          (gint64) ((gdouble) len * G_USEC_PER_SEC / (now - r->sent_at)));
  } else if (error->code == GST_P2P_PEER_ERROR_CANCELLED) {
    self->stats.requests_cancelled++;
  } else {
    self->stats.requests_failed++;
  }
  GST_DEBUG_OBJECT (self, "request %u (segment %" G_GUINT64_FORMAT ") %s%s",
      r->id, r->segment_id, error ? "failed: " : "done",
      error ? error->message : "");
  if (r->done)
    r->done (self, r->id, bytes, r->segment_size, error, r->data);
  if (bytes)
    g_bytes_unref (bytes);
  if (error)
    g_error_free (error);
  request_free (r);
}

static void
remember_cancelled (GstP2pPeer * self, guint32 id, gint64 now)
{
  gint64 cool = MAX (COOLING_MIN_US, 4 * self->stats.rtt);

  self->cancelled[self->cancelled_pos] = id;
  self->cancelled_pos = (self->cancelled_pos + 1) % CANCELLED_RING;
  if (self->n_cooling < G_N_ELEMENTS (self->cooling))
    self->cooling[self->n_cooling++] = now + cool;
}

static gboolean
was_cancelled (GstP2pPeer * self, guint32 id)
{
  guint i;

  for (i = 0; i < CANCELLED_RING; i++)
    if (self->cancelled[i] == id && id != 0)
      return TRUE;
  return FALSE;
}

/* Ends a request of ours that is still outstanding at the peer. */
static void
request_abort (GstP2pPeer * self, Request * r, GstP2pPeerError code,
    const gchar * msg)
{
  if (self->state == GST_P2P_PEER_STATE_READY) {
    send_reply (self, GST_P2P_WIRE_CANCEL, r->stream, r->id, 0);
    remember_cancelled (self, r->id, g_get_monotonic_time ());
  }
  request_finish (self, r, g_error_new_literal (GST_P2P_PEER_ERROR, code, msg));
}

static void
disconnect_link (GstP2pPeer * self)
{
  g_signal_handlers_disconnect_by_data (self->link, self);
}

/* The one way into CLOSED. @end LOCAL sends BYE(@reason, @text) first. */
static void
peer_close (GstP2pPeer * self, GstP2pPeerEnd end, guint reason,
    const gchar * text)
{
  guint i;
  Upload *u;

  if (self->state == GST_P2P_PEER_STATE_CLOSED)
    return;
  g_object_ref (self);
  GST_INFO_OBJECT (self, "peer %s closed (%s): %s: %s", self->name,
      end == GST_P2P_PEER_END_LOCAL ? "by us" :
      end == GST_P2P_PEER_END_REMOTE ? "by the peer" : "link",
      gst_p2p_wire_bye_reason_get_name (reason), text ? text : "");

  if (end == GST_P2P_PEER_END_LOCAL && self->hello_sent) {
    GstP2pWireFrame f = { 0, };

    f.type = GST_P2P_WIRE_BYE;
    f.bye.reason = reason;
    if (text)
      g_utf8_strncpy (f.bye.text, text, 50);
    /* BYE jumps the queue of DATA but not earlier control frames. */
    self->state = GST_P2P_PEER_STATE_CLOSED;
    send_frame (self, 0, &f);
  }
  self->state = GST_P2P_PEER_STATE_CLOSED;
  disconnect_link (self);
  clear_source (&self->tick);
  clear_source (&self->pace_timer);
  clear_source (&self->pump_idle);
  clear_source (&self->window_timer);
  release_draining (self);

  /* Whatever is still refused is lost; try once more for the BYE. */
  while (!g_queue_is_empty (&self->backlog)) {
    Outgoing *o = g_queue_peek_head (&self->backlog);
    self->blocked = FALSE;
    if (!link_send (self, o->stream, o->bytes))
      break;
    outgoing_free (g_queue_pop_head (&self->backlog));
  }
  g_queue_clear_full (&self->backlog, (GDestroyNotify) outgoing_free);
  g_clear_pointer (&self->pending, g_bytes_unref);

  if (end == GST_P2P_PEER_END_LOCAL)
    linger_link (self, self->config.linger_ms);
  else if (gst_p2p_link_get_state (self->link, NULL) <
      GST_P2P_LINK_STATE_CLOSED)
    gst_p2p_link_close (self->link);

  while ((u = g_queue_pop_head (&self->uploads))) {
    self->in[u->stream] = NULL;
    upload_free (self, u);
  }
  for (i = 0; i < self->config.n_streams; i++) {
    Request *r = self->out[i];
    if (r)
      request_finish (self, r, g_error_new (GST_P2P_PEER_ERROR,
              GST_P2P_PEER_ERROR_CLOSED, "peer closed: %s",
              text ? text : gst_p2p_wire_bye_reason_get_name (reason)));
  }
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, end, reason, text);
  g_object_unref (self);
}

static void
protocol_error (GstP2pPeer * self, guint reason, const gchar * format, ...)
G_GNUC_PRINTF (3, 4);

     static void
         protocol_error (GstP2pPeer * self, guint reason, const gchar * format,
    ...)
{
  va_list args;
  gchar *text;

  if (self->state == GST_P2P_PEER_STATE_CLOSED)
    return;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  self->stats.protocol_errors++;
  GST_WARNING_OBJECT (self, "protocol error from %s: %s", self->name, text);
  peer_close (self, GST_P2P_PEER_END_LOCAL, reason, text);
  g_free (text);
}

/* ---- serving ---------------------------------------------------------- */

static gboolean
pace_cb (gpointer data)
{
  GstP2pPeer *self = data;

  clear_source (&self->pace_timer);
  pump (self);
  return G_SOURCE_REMOVE;
}

static void
release_draining (GstP2pPeer * self)
{
  for (; self->draining_slots > 0; self->draining_slots--)
    if (self->config.gate)
      gst_p2p_upload_gate_release (self->config.gate);
}

static gboolean
window_cb (gpointer data)
{
  GstP2pPeer *self = data;

  clear_source (&self->window_timer);
  if (self->draining_slots > 0
      && gst_p2p_link_get_unacked (self->link) <= UPLOAD_DRAINED) {
    GST_LOG_OBJECT (self, "upload drained: %u gate slots back",
        self->draining_slots);
    release_draining (self);
  }
  pump (self);
  if (self->draining_slots > 0 && self->state == GST_P2P_PEER_STATE_READY)
    arm_window_timer (self);
  return G_SOURCE_REMOVE;
}

static void
arm_window_timer (GstP2pPeer * self)
{
  if (self->window_timer)
    return;
  self->window_timer = g_timeout_source_new (WINDOW_POLL_MS);
  g_source_set_callback (self->window_timer, window_cb, self, NULL);
  g_source_attach (self->window_timer, self->context);
}

static gboolean
pump_idle_cb (gpointer data)
{
  GstP2pPeer *self = data;

  clear_source (&self->pump_idle);
  pump (self);
  return G_SOURCE_REMOVE;
}

/* Builds the next DATA message of @u: up to FRAMES_PER_MESSAGE chunks,
 * each paced by the gate. Returns NULL if the gate wants us to wait
 * (*wait set) before the first chunk. */
static GBytes *
build_data (GstP2pPeer * self, Upload * u, gint64 * wait)
{
  GByteArray *arr = NULL;
  const guint8 *base = g_bytes_get_data (u->bytes, NULL);
  guint n;
  gint64 now = g_get_monotonic_time ();

  *wait = 0;
  for (n = 0; n < FRAMES_PER_MESSAGE && u->pos < u->stop; n++) {
    guint32 len = MIN (GST_P2P_WIRE_MAX_DATA_PAYLOAD, u->stop - u->pos);
    GstP2pWireFrame f = { 0, };
    GError *err = NULL;

    if (self->config.gate) {
      *wait = gst_p2p_upload_gate_pace (self->config.gate, len, now);
      if (*wait > 0)
        break;
    }
    if (!arr)
      arr = g_byte_array_sized_new (FRAMES_PER_MESSAGE *
          GST_P2P_WIRE_MAX_FRAME_SIZE);
    f.type = GST_P2P_WIRE_DATA;
    f.flags = u->pos + len == u->stop ? GST_P2P_WIRE_FLAG_DATA_LAST : 0;
    f.data.request_id = u->id;
    f.data.offset = u->pos;
    f.data.segment_size = u->size;
    f.data.payload_len = len;
    f.data.payload = base + u->pos;
    if (!gst_p2p_wire_encode (arr, &f, &err)) {
      GST_ERROR_OBJECT (self, "cannot encode DATA: %s", err->message);
      g_clear_error (&err);
      u->pos = u->stop;         /* give up on it */
      break;
    }
    u->pos += len;
    self->stats.bytes_out += len;
  }
  return arr ? g_byte_array_free_to_bytes (arr) : NULL;
}

static void
pump (GstP2pPeer * self)
{
  gsize budget = PUMP_BUDGET;

  if (self->state != GST_P2P_PEER_STATE_READY || self->blocked)
    return;
  g_object_ref (self);

  while (!g_queue_is_empty (&self->backlog)) {
    Outgoing *o = g_queue_peek_head (&self->backlog);
    if (!link_send (self, o->stream, o->bytes))
      goto out;
    outgoing_free (g_queue_pop_head (&self->backlog));
  }
  if (self->pending) {
    if (!link_send (self, self->pending_stream, self->pending))
      goto out;
    g_clear_pointer (&self->pending, g_bytes_unref);
  }

  while (budget > 0 && !self->pace_timer
      && self->state == GST_P2P_PEER_STATE_READY) {
    Upload *u = g_queue_pop_head (&self->uploads);
    GBytes *msg;
    gint64 wait;
    guint stream;

    if (!u)
      break;
    if (gst_p2p_link_get_unacked (self->link) >= UPLOAD_WINDOW) {
      /* the path is full: send more as acknowledgements come back */
      g_queue_push_head (&self->uploads, u);
      arm_window_timer (self);
      break;
    }
    msg = build_data (self, u, &wait);
    stream = u->stream;
    if (u->pos >= u->stop) {
      self->stats.served++;
      if (self->in[u->stream] == u)
        self->in[u->stream] = NULL;
      if (u->gated && self->config.gate) {
        /* the requester may reuse the stream; the uplink stays taken */
        u->gated = FALSE;
        self->draining_slots++;
        arm_window_timer (self);
      }
      upload_free (self, u);
    } else {
      g_queue_push_tail (&self->uploads, u);
    }
    if (wait > 0) {
      self->pace_timer = g_timeout_source_new (MAX (1, wait / 1000));
      g_source_set_callback (self->pace_timer, pace_cb, self, NULL);
      g_source_attach (self->pace_timer, self->context);
    }
    if (!msg)
      continue;
    budget -= MIN (budget, g_bytes_get_size (msg));
    if (!link_send (self, stream, msg)) {
      if (self->blocked) {
        self->pending = msg;
        self->pending_stream = stream;
      } else {
        g_bytes_unref (msg);
      }
      goto out;
    }
    g_bytes_unref (msg);
  }
  if (budget == 0 && !g_queue_is_empty (&self->uploads) && !self->pump_idle
      && !self->pace_timer) {
    self->pump_idle = g_idle_source_new ();
    g_source_set_callback (self->pump_idle, pump_idle_cb, self, NULL);
    g_source_attach (self->pump_idle, self->context);
  }
out:
  g_object_unref (self);
}

static void
handle_request (GstP2pPeer * self, guint stream, const GstP2pWireRequest * rq)
{
  GstP2pUploadVerdict verdict;
  GBytes *bytes = NULL;
  gsize size = 0;
  guint32 stop;
  Upload *u;
  GList *l;

  if (!is_theirs (self, stream)) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "REQUEST on stream %u, not one of the requester's", stream);
    return;
  }
  if (self->in[stream]) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "REQUEST on stream %u while request %u is outstanding there", stream,
        self->in[stream]->id);
    return;
  }
  if (self->uploads.length >= self->config.max_requests) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "more than %u outstanding requests", self->config.max_requests);
    return;
  }
  for (l = self->uploads.head; l; l = l->next) {
    if (((Upload *) l->data)->id == rq->request_id) {
      protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
          "request id %u is already outstanding", rq->request_id);
      return;
    }
  }
  if (!(self->config.capabilities & GST_P2P_WIRE_CAP_RANGES)
      && (rq->start != 0 || rq->end != GST_P2P_WIRE_RANGE_END_OPEN)) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "byte range asked without the RANGES capability");
    return;
  }

  if (self->provider)
    bytes = self->provider (self, rq->segment_id, self->provider_data);
  if (bytes) {
    size = g_bytes_get_size (bytes);
    if (size == 0 || size > GST_P2P_WIRE_MAX_SEGMENT_SIZE)
      g_clear_pointer (&bytes, g_bytes_unref);
  }
  if (self->config.gate)
    verdict = gst_p2p_upload_gate_admit (self->config.gate, bytes != NULL);
  else
    verdict = bytes ? GST_P2P_UPLOAD_ACCEPT : GST_P2P_UPLOAD_REFUSE_NOT_HAVE;

  if (verdict != GST_P2P_UPLOAD_ACCEPT) {
    self->stats.refused++;
    send_reply (self, GST_P2P_WIRE_ABSENT, stream, rq->request_id,
        verdict == GST_P2P_UPLOAD_REFUSE_NOT_HAVE ?
        GST_P2P_WIRE_ABSENT_NOT_HAVE : GST_P2P_WIRE_ABSENT_BUSY);
    if (bytes)
      g_bytes_unref (bytes);
    return;
  }
  if (rq->end == GST_P2P_WIRE_RANGE_END_OPEN)
    stop = rq->start < size ? (guint32) MIN (size,
        (guint64) rq->start + GST_P2P_WIRE_MAX_REQUEST_SIZE) : 0;
  else
    stop = rq->end <= size ? rq->end : 0;
  if (rq->start >= size || stop == 0) {
    self->stats.refused++;
    if (self->config.gate)
      gst_p2p_upload_gate_release (self->config.gate);
    send_reply (self, GST_P2P_WIRE_ABSENT, stream, rq->request_id,
        GST_P2P_WIRE_ABSENT_BAD_RANGE);
    g_bytes_unref (bytes);
    return;
  }

  u = g_new0 (Upload, 1);
  u->id = rq->request_id;
  u->stream = stream;
  u->segment_id = rq->segment_id;
  u->bytes = bytes;
  u->size = size;
  u->pos = rq->start;
  u->stop = stop;
  u->gated = self->config.gate != NULL;
  self->in[stream] = u;
  g_queue_push_tail (&self->uploads, u);
  GST_DEBUG_OBJECT (self, "serving request %u: segment %" G_GUINT64_FORMAT
      " [%u, %u) on stream %u", u->id, u->segment_id, u->pos, u->stop, stream);
  pump (self);
}

static void
handle_cancel (GstP2pPeer * self, guint stream, guint32 id)
{
  Upload *u = is_theirs (self, stream) ? self->in[stream] : NULL;

  /* A CANCEL crossing our last DATA is normal: nothing to do then. */
  if (u && u->id == id) {
    self->stats.upload_cancels++;
    upload_remove (self, u);
  }
}

/* ---- our requests ----------------------------------------------------- */

static Request *
find_request (GstP2pPeer * self, guint stream, guint32 id, const gchar * what)
{
  Request *r;

  if (!is_ours (self, stream)) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "%s on stream %u, not one of our request streams", what, stream);
    return NULL;
  }
  r = self->out[stream];
  if (r && r->id == id)
    return r;
  if (was_cancelled (self, id)) {
    self->stats.late_frames++;
    return NULL;
  }
  protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
      "%s for unknown request %u on stream %u", what, id, stream);
  return NULL;
}

static void
note_first (GstP2pPeer * self, Request * r, gint64 now)
{
  if (r->first_at)
    return;
  r->first_at = now;
  self->stats.rtt = ewma (self->stats.rtt, MAX (1, now - r->sent_at));
}

static void
handle_data (GstP2pPeer * self, guint stream, const GstP2pWireData * d,
    guint8 flags)
{
  Request *r = find_request (self, stream, d->request_id, "DATA");
  gint64 now = g_get_monotonic_time ();
  guint64 at;

  if (!r)
    return;
  note_first (self, r, now);
  if (r->segment_size == 0) {
    if (d->segment_size > self->config.max_segment_size) {
      request_abort (self, r, GST_P2P_PEER_ERROR_TOO_LARGE,
          "segment larger than max-segment-size");
      return;
    }
    if (r->start >= d->segment_size || (r->end != GST_P2P_WIRE_RANGE_END_OPEN
            && r->end > d->segment_size)) {
      protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
          "DATA for a range outside the segment (should be ABSENT)");
      return;
    }
    r->segment_size = d->segment_size;
    if (r->end == GST_P2P_WIRE_RANGE_END_OPEN)
      r->expected = MIN ((guint64) d->segment_size - r->start,
          GST_P2P_WIRE_MAX_REQUEST_SIZE);
    else
      r->expected = r->end - r->start;
    /* Grow with what arrives: a peer announcing a huge size costs nothing
     * until it sends the bytes. */
    r->buf = g_byte_array_sized_new (MIN (r->expected, 1024 * 1024));
  } else if (d->segment_size != r->segment_size) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "segment size changed from %u to %u within a response",
        r->segment_size, d->segment_size);
    return;
  }
  at = (guint64) r->start + r->buf->len;
  if (d->offset != at) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "DATA at offset %u, expected %" G_GUINT64_FORMAT, d->offset, at);
    return;
  }
  if (r->buf->len + (guint64) d->payload_len > r->expected) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "DATA beyond the requested range");
    return;
  }
  g_byte_array_append (r->buf, d->payload, d->payload_len);
  r->last_at = now;
  self->stats.bytes_in += d->payload_len;

  if (r->buf->len == r->expected) {
    if (!(flags & GST_P2P_WIRE_FLAG_DATA_LAST)) {
      protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
          "range complete without the LAST flag");
      return;
    }
    request_finish (self, r, NULL);
    return;
  }
  if (flags & GST_P2P_WIRE_FLAG_DATA_LAST) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "LAST after %u of %" G_GUINT64_FORMAT " bytes", r->buf->len,
        r->expected);
    return;
  }
  if (r->progress)
    r->progress (self, r->id, r->buf->len, r->segment_size, r->data);
}

static void
handle_absent (GstP2pPeer * self, guint stream, const GstP2pWireReply * a)
{
  Request *r = find_request (self, stream, a->request_id, "ABSENT");
  GstP2pPeerError code;
  const gchar *what = gst_p2p_wire_absent_reason_get_name (a->reason);

  if (!r)
    return;
  note_first (self, r, g_get_monotonic_time ());
  self->stats.absent++;
  switch (a->reason) {
    case GST_P2P_WIRE_ABSENT_BUSY:
      code = GST_P2P_PEER_ERROR_BUSY;
      break;
    case GST_P2P_WIRE_ABSENT_EVICTED:
      code = GST_P2P_PEER_ERROR_EVICTED;
      break;
    case GST_P2P_WIRE_ABSENT_BAD_RANGE:
      code = GST_P2P_PEER_ERROR_BAD_RANGE;
      break;
    default:
      code = GST_P2P_PEER_ERROR_NOT_HAVE;
      break;
  }
  if (code == GST_P2P_PEER_ERROR_NOT_HAVE || code == GST_P2P_PEER_ERROR_EVICTED) {
    guint64 key = r->segment_id;
    g_tree_remove (self->haves, &key);
  }
  request_finish (self, r, g_error_new (GST_P2P_PEER_ERROR, code,
          "peer answered ABSENT (%s)", what));
}

/* ---- announcements ---------------------------------------------------- */

static void
add_have (GstP2pPeer * self, guint64 seg)
{
  if (g_tree_lookup_extended (self->haves, &seg, NULL, NULL))
    return;
  if (g_tree_nnodes (self->haves) >= GST_P2P_PEER_MAX_HAVES) {
    /* Forget the oldest (lowest id): live segments only move forward. */
    GTreeNode *first = g_tree_node_first (self->haves);
    if (*(guint64 *) g_tree_node_key (first) > seg)
      return;
    g_tree_remove (self->haves, g_tree_node_key (first));
  }
  g_tree_insert (self->haves, u64_new (seg), NULL);
}

static void
handle_have (GstP2pPeer * self, guint64 seg)
{
  add_have (self, seg);
  g_hash_table_remove (self->fetching, &seg);
  g_signal_emit (self, signals[SIGNAL_HAVE], 0, seg);
}

static void
handle_bitfield (GstP2pPeer * self, const GstP2pWireBitfield * b)
{
  guint i;

  g_tree_remove_all (self->haves);
  for (i = 0; i < b->n_bits; i++)
    if (b->bitmap[i / 8] & (0x80 >> (i % 8)))
      add_have (self, b->base + i);
  g_signal_emit (self, signals[SIGNAL_BITFIELD], 0);
}

static void
handle_fetching (GstP2pPeer * self, guint64 seg, gboolean aborted)
{
  if (aborted) {
    g_hash_table_remove (self->fetching, &seg);
  } else if (!g_hash_table_contains (self->fetching, &seg)) {
    if (g_hash_table_size (self->fetching) >= GST_P2P_PEER_MAX_FETCHING) {
      /* A viewer fetches a few segments at once; many is noise. */
      GHashTableIter it;
      gpointer key;
      guint64 oldest = G_MAXUINT64;

      g_hash_table_iter_init (&it, self->fetching);
      while (g_hash_table_iter_next (&it, &key, NULL))
        oldest = MIN (oldest, *(guint64 *) key);
      g_hash_table_remove (self->fetching, &oldest);
    }
    g_hash_table_add (self->fetching, u64_new (seg));
  }
  g_signal_emit (self, signals[SIGNAL_FETCHING], 0, seg, aborted);
}

/* ---- HELLO and frames ------------------------------------------------- */

static void
become_ready (GstP2pPeer * self)
{
  self->state = GST_P2P_PEER_STATE_READY;
  GST_INFO_OBJECT (self, "peer %s ready: max_requests %u, capabilities 0x%x",
      self->name, self->remote.max_requests, self->remote.capabilities);
  g_signal_emit (self, signals[SIGNAL_READY], 0);
}

static void
handle_hello (GstP2pPeer * self, guint stream, const GstP2pWireHello * h)
{
  if (stream != 0) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "HELLO on stream %u", stream);
    return;
  }
  if (self->state == GST_P2P_PEER_STATE_READY) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR, "second HELLO");
    return;
  }
  if (memcmp (h->swarm_id, self->config.swarm_id, sizeof (h->swarm_id))) {
    self->stats.protocol_errors++;
    peer_close (self, GST_P2P_PEER_END_LOCAL, GST_P2P_WIRE_BYE_WRONG_SWARM,
        "HELLO for another swarm");
    return;
  }
  if (self->config.check_remote_id
      && memcmp (h->peer_id, self->config.remote_id, sizeof (h->peer_id))) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "HELLO peer id does not match the signalling");
    return;
  }
  self->remote = *h;
  send_hello (self);
  if (self->state != GST_P2P_PEER_STATE_CLOSED)
    become_ready (self);
}

static void
handle_frame (GstP2pPeer * self, guint stream, const GstP2pWireFrame * f)
{
  if (f->type == GST_P2P_WIRE_HELLO) {
    handle_hello (self, stream, &f->hello);
    return;
  }
  if (f->type == GST_P2P_WIRE_BYE) {
    gchar *text = g_strdup_printf ("peer said BYE (%s) %s",
        gst_p2p_wire_bye_reason_get_name (f->bye.reason), f->bye.text);
    peer_close (self, GST_P2P_PEER_END_REMOTE, f->bye.reason, text);
    g_free (text);
    return;
  }
  if (self->state != GST_P2P_PEER_STATE_READY) {
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
        "%s before HELLO", gst_p2p_wire_type_get_name (f->type));
    return;
  }
  switch (f->type) {
    case GST_P2P_WIRE_HAVE:
    case GST_P2P_WIRE_BITFIELD:
    case GST_P2P_WIRE_FETCHING:
      if (stream != 0) {
        protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
            "%s on stream %u, not the control stream",
            gst_p2p_wire_type_get_name (f->type), stream);
      } else if (f->type == GST_P2P_WIRE_HAVE) {
        handle_have (self, f->have.segment_id);
      } else if (f->type == GST_P2P_WIRE_BITFIELD) {
        handle_bitfield (self, &f->bitfield);
      } else {
        handle_fetching (self, f->fetching.segment_id,
            f->flags & GST_P2P_WIRE_FLAG_FETCHING_ABORTED);
      }
      break;
    case GST_P2P_WIRE_REQUEST:
      handle_request (self, stream, &f->request);
      break;
    case GST_P2P_WIRE_CANCEL:
      handle_cancel (self, stream, f->cancel.request_id);
      break;
    case GST_P2P_WIRE_DATA:
      handle_data (self, stream, &f->data, f->flags);
      break;
    case GST_P2P_WIRE_ABSENT:
      handle_absent (self, stream, &f->absent);
      break;
    default:
      break;
  }
}

static void
on_message (GstP2pLink * link, guint stream, GBytes * msg, GstP2pPeer * self)
{
  gsize len, off = 0;
  const guint8 *data = g_bytes_get_data (msg, &len);

  if (self->state == GST_P2P_PEER_STATE_CLOSED)
    return;
  g_object_ref (self);
  if (len == 0)
    protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR, "empty message");
  while (off < len && self->state != GST_P2P_PEER_STATE_CLOSED) {
    GstP2pWireFrame f;
    GError *err = NULL;
    gsize used = 0;

    switch (gst_p2p_wire_parse (data + off, len - off, &used, &f, &err)) {
      case GST_P2P_WIRE_FRAME:
        off += used;
        handle_frame (self, stream, &f);
        break;
      case GST_P2P_WIRE_SKIPPED:
        off += used;
        self->stats.skipped_frames++;
        break;
      case GST_P2P_WIRE_NEED_MORE:
        protocol_error (self, GST_P2P_WIRE_BYE_PROTOCOL_ERROR,
            "message ends in the middle of a frame");
        break;
      case GST_P2P_WIRE_FAILED:
        protocol_error (self, gst_p2p_wire_error_to_bye_reason (err), "%s",
            err->message);
        g_clear_error (&err);
        break;
    }
    if (used == 0)
      break;
  }
  g_object_unref (self);
}

/* ---- timers and link events ------------------------------------------- */

static gboolean
tick_cb (gpointer data)
{
  GstP2pPeer *self = data;
  gint64 now = g_get_monotonic_time ();
  gint64 stall = (gint64) self->config.stall_timeout_ms * 1000;
  guint i, n;

  g_object_ref (self);
  if (self->state == GST_P2P_PEER_STATE_HELLO
      && now - self->link_up_at >= (gint64) self->config.hello_timeout_ms *
      1000) {
    peer_close (self, GST_P2P_PEER_END_LOCAL, GST_P2P_WIRE_BYE_TIMEOUT,
        "no HELLO in time");
  }
  for (i = 0, n = 0; i < self->n_cooling; i++)
    if (self->cooling[i] > now)
      self->cooling[n++] = self->cooling[i];
  self->n_cooling = n;

  for (i = 0; i < self->config.n_streams
      && self->state == GST_P2P_PEER_STATE_READY; i++) {
    Request *r = self->out[i];

    if (!r)
      continue;
    if (now >= r->deadline) {
      self->stats.timeouts++;
      request_abort (self, r, GST_P2P_PEER_ERROR_TIMEOUT, "deadline passed");
    } else if (now - (r->last_at ? r->last_at : r->sent_at) >= stall) {
      self->stats.stalls++;
      request_abort (self, r, GST_P2P_PEER_ERROR_STALLED,
          "no byte from the peer within the stall timeout");
    }
  }
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static void
start_tick (GstP2pPeer * self)
{
  if (self->tick)
    return;
  self->tick = g_timeout_source_new (TICK_MS);
  g_source_set_callback (self->tick, tick_cb, self, NULL);
  g_source_attach (self->tick, self->context);
}

static void
on_link_up (GstP2pPeer * self)
{
  self->link_up_at = g_get_monotonic_time ();
  self->state = GST_P2P_PEER_STATE_HELLO;
  start_tick (self);
  send_hello (self);
}

static void
on_state_changed (GstP2pLink * link, GstP2pLinkState state,
    const gchar * reason, GstP2pPeer * self)
{
  if (state == GST_P2P_LINK_STATE_CONNECTED) {
    if (self->state == GST_P2P_PEER_STATE_LINKING)
      on_link_up (self);
  } else if (state == GST_P2P_LINK_STATE_CLOSED
      || state == GST_P2P_LINK_STATE_FAILED) {
    gchar *text = g_strdup_printf ("link %s: %s",
        state == GST_P2P_LINK_STATE_FAILED ? "failed" : "closed",
        reason ? reason : "");
    peer_close (self, GST_P2P_PEER_END_LINK, GST_P2P_WIRE_BYE_NORMAL, text);
    g_free (text);
  }
}

static void
on_writable (GstP2pLink * link, GstP2pPeer * self)
{
  self->blocked = FALSE;
  pump (self);
}

/* ---- GObject ---------------------------------------------------------- */

static void
gst_p2p_peer_dispose (GObject * object)
{
  GstP2pPeer *self = GST_P2P_PEER (object);

  if (self->link) {
    if (self->state != GST_P2P_PEER_STATE_CLOSED) {
      /* Dropped without a close: leave politely, nobody is listening. */
      g_signal_handlers_disconnect_matched (self, G_SIGNAL_MATCH_ID,
          signals[SIGNAL_CLOSED], 0, NULL, NULL, NULL);
      peer_close (self, GST_P2P_PEER_END_LOCAL, GST_P2P_WIRE_BYE_NORMAL,
          "leaving");
    }
    g_clear_object (&self->link);
  }
  if (self->provider_notify)
    self->provider_notify (self->provider_data);
  self->provider_notify = NULL;
  self->provider = NULL;
  G_OBJECT_CLASS (gst_p2p_peer_parent_class)->dispose (object);
}

static void
gst_p2p_peer_finalize (GObject * object)
{
  GstP2pPeer *self = GST_P2P_PEER (object);

  g_free (self->out);
  g_free (self->in);
  g_tree_unref (self->haves);
  g_hash_table_unref (self->fetching);
  g_main_context_unref (self->context);
  g_free (self->name);
  G_OBJECT_CLASS (gst_p2p_peer_parent_class)->finalize (object);
}

static void
gst_p2p_peer_class_init (GstP2pPeerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->dispose = gst_p2p_peer_dispose;
  gobject_class->finalize = gst_p2p_peer_finalize;

  /**
   * GstP2pPeer::ready:
   *
   * Both HELLOs were exchanged: requests may be sent.
   */
  signals[SIGNAL_READY] = g_signal_new ("ready", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * GstP2pPeer::closed:
   * @end: #GstP2pPeerEnd, who ended it
   * @reason: the BYE reason sent or received (normal for a link failure)
   * @text: (nullable): what happened
   *
   * Emitted once. The peer's requests have all failed by then.
   */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3,
      GST_P2P_TYPE_PEER_END, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstP2pPeer::have:
   * @segment_id: the peer announced it holds this segment
   */
  signals[SIGNAL_HAVE] = g_signal_new ("have", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT64);
  /**
   * GstP2pPeer::bitfield:
   *
   * The peer replaced everything it announced (see gst_p2p_peer_has()).
   */
  signals[SIGNAL_BITFIELD] = g_signal_new ("bitfield",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 0);
  /**
   * GstP2pPeer::fetching:
   * @segment_id: the segment
   * @aborted: the peer withdrew the announcement
   */
  signals[SIGNAL_FETCHING] = g_signal_new ("fetching",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_BOOLEAN);

  GST_DEBUG_CATEGORY_INIT (p2p_peer_debug, "p2p-peer", 0,
      "gst-p2p peer protocol");
}

static void
gst_p2p_peer_init (GstP2pPeer * self)
{
  self->haves = g_tree_new_full (cmp_u64, NULL, g_free, NULL);
  self->fetching = g_hash_table_new_full (g_int64_hash, g_int64_equal,
      g_free, NULL);
  g_queue_init (&self->uploads);
  g_queue_init (&self->backlog);
}

/* ---- API -------------------------------------------------------------- */

/**
 * gst_p2p_peer_config_init:
 *
 * Zeroes @config and sets the defaults: 4 requests served at once, RANGES
 * and FETCHING capabilities, odd streams, 16 streams.
 */
void
gst_p2p_peer_config_init (GstP2pPeerConfig * config)
{
  memset (config, 0, sizeof (*config));
  config->max_requests = GST_P2P_PEER_DEFAULT_MAX_REQUESTS;
  config->capabilities = GST_P2P_WIRE_CAP_RANGES | GST_P2P_WIRE_CAP_FETCHING;
}

/**
 * gst_p2p_peer_new:
 * @link: the link to the peer, NEW, CONNECTING or CONNECTED; the peer takes
 *   a reference and owns its messages from now on
 * @context: (nullable): the link's context; %NULL for the process network
 *   loop (gst_p2p_loop_get_default())
 * @config: copied
 * @name: for logs (the peer's tracker id)
 *
 * Returns: (transfer full): a peer; HELLO goes out once the link is up.
 */
GstP2pPeer *
gst_p2p_peer_new (GstP2pLink * link, GMainContext * context,
    const GstP2pPeerConfig * config, const gchar * name)
{
  GstP2pPeer *self;
  GstP2pLinkState ls;

  g_return_val_if_fail (GST_P2P_IS_LINK (link), NULL);
  g_return_val_if_fail (config != NULL, NULL);

  gst_p2p_init ();
  self = g_object_new (GST_P2P_TYPE_PEER, NULL);
  self->config = *config;
  if (!self->config.n_streams)
    self->config.n_streams = 16;
  if (self->config.max_requests > GST_P2P_WIRE_MAX_REQUESTS)
    self->config.max_requests = GST_P2P_WIRE_MAX_REQUESTS;
  if (!self->config.hello_timeout_ms)
    self->config.hello_timeout_ms = GST_P2P_PEER_DEFAULT_HELLO_TIMEOUT_MS;
  if (!self->config.stall_timeout_ms)
    self->config.stall_timeout_ms = GST_P2P_PEER_DEFAULT_STALL_TIMEOUT_MS;
  if (!self->config.max_segment_size)
    self->config.max_segment_size = GST_P2P_PEER_DEFAULT_MAX_SEGMENT_SIZE;
  if (!self->config.linger_ms)
    self->config.linger_ms = GST_P2P_PEER_DEFAULT_LINGER_MS;
  self->name = g_strdup (name ? name : "?");
  self->link = g_object_ref (link);
  if (!context)
    context = gst_p2p_loop_get_context (gst_p2p_loop_get_default ());
  self->context = g_main_context_ref (context);
  self->out = g_new0 (Request *, self->config.n_streams);
  self->in = g_new0 (Upload *, self->config.n_streams);
  self->max_out = MIN (GST_P2P_WIRE_MAX_REQUESTS,
      (self->config.n_streams - (self->config.even_streams ? 1 : 0)) / 2);
  self->state = GST_P2P_PEER_STATE_LINKING;

  g_signal_connect (link, "state-changed", G_CALLBACK (on_state_changed), self);
  g_signal_connect (link, "message", G_CALLBACK (on_message), self);
  g_signal_connect (link, "writable", G_CALLBACK (on_writable), self);

  ls = gst_p2p_link_get_state (link, NULL);
  if (ls == GST_P2P_LINK_STATE_CONNECTED)
    on_link_up (self);
  return self;
}

/**
 * gst_p2p_peer_set_provider:
 * @provider: (nullable): where the peer's requests are served from
 */
void
gst_p2p_peer_set_provider (GstP2pPeer * self, GstP2pPeerProvider provider,
    gpointer data, GDestroyNotify notify)
{
  g_return_if_fail (GST_P2P_IS_PEER (self));
  if (self->provider_notify)
    self->provider_notify (self->provider_data);
  self->provider = provider;
  self->provider_data = data;
  self->provider_notify = notify;
}

static guint
n_limit (GstP2pPeer * self)
{
  return MIN (self->remote.max_requests, self->max_out);
}

/**
 * gst_p2p_peer_get_free_slots:
 *
 * Returns: how many more requests the peer accepts from us now (its
 * max_requests minus ours outstanding or recently cancelled).
 */
guint
gst_p2p_peer_get_free_slots (GstP2pPeer * self)
{
  guint used;

  g_return_val_if_fail (GST_P2P_IS_PEER (self), 0);
  if (self->state != GST_P2P_PEER_STATE_READY)
    return 0;
  used = self->n_out + self->n_cooling;
  return used >= n_limit (self) ? 0 : n_limit (self) - used;
}

/**
 * gst_p2p_peer_get_in_flight:
 *
 * Returns: our requests outstanding at this peer.
 */
guint
gst_p2p_peer_get_in_flight (GstP2pPeer * self)
{
  g_return_val_if_fail (GST_P2P_IS_PEER (self), 0);
  return self->n_out;
}

/**
 * gst_p2p_peer_request:
 * @segment_id: the segment
 * @start: first byte wanted
 * @end: byte after the last one wanted, or GST_P2P_WIRE_RANGE_END_OPEN
 * @deadline: monotonic time (g_get_monotonic_time()) by which it must be
 *   complete
 * @progress: (nullable) (scope notified): called as bytes arrive
 * @done: (scope notified): called once, when the request ends
 *
 * Sends a REQUEST on a free stream of ours.
 *
 * Returns: the request id (> 0), or 0 with @error set (NOT_READY, NO_SLOT,
 * or G_IO_ERROR_INVALID_ARGUMENT for a range the protocol forbids); @done
 * is not called then.
 */
guint32
gst_p2p_peer_request (GstP2pPeer * self, guint64 segment_id, guint32 start,
    guint32 end, gint64 deadline, GstP2pPeerProgress progress,
    GstP2pPeerDone done, gpointer data, GError ** error)
{
  GstP2pWireFrame f = { 0, };
  Request *r;
  guint s;

  g_return_val_if_fail (GST_P2P_IS_PEER (self), 0);
  if (self->state != GST_P2P_PEER_STATE_READY) {
    g_set_error (error, GST_P2P_PEER_ERROR, GST_P2P_PEER_ERROR_NOT_READY,
        "peer %s is not ready", self->name);
    return 0;
  }
  if (end == GST_P2P_WIRE_RANGE_END_OPEN ?
      start >= GST_P2P_WIRE_MAX_SEGMENT_SIZE :
      (end <= start || end - start > GST_P2P_WIRE_MAX_REQUEST_SIZE
          || end > GST_P2P_WIRE_MAX_SEGMENT_SIZE)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "range [%u, %u) is not allowed by the protocol", start, end);
    return 0;
  }
  if (!(self->remote.capabilities & GST_P2P_WIRE_CAP_RANGES)
      && (start != 0 || end != GST_P2P_WIRE_RANGE_END_OPEN)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "peer %s serves whole segments only", self->name);
    return 0;
  }
  if (gst_p2p_peer_get_free_slots (self) == 0) {
    g_set_error (error, GST_P2P_PEER_ERROR, GST_P2P_PEER_ERROR_NO_SLOT,
        "peer %s takes no more requests now (%u outstanding, max %u)",
        self->name, self->n_out, n_limit (self));
    return 0;
  }
  for (s = self->config.even_streams ? 2 : 1; s < self->config.n_streams;
      s += 2)
    if (!self->out[s])
      break;
  if (s >= self->config.n_streams) {
    g_set_error (error, GST_P2P_PEER_ERROR, GST_P2P_PEER_ERROR_NO_SLOT,
        "no free stream");
    return 0;
  }

  r = g_new0 (Request, 1);
  if (++self->next_id == 0)
    self->next_id = 1;
  r->id = self->next_id;
  r->stream = s;
  r->segment_id = segment_id;
  r->start = start;
  r->end = end;
  r->deadline = deadline;
  r->sent_at = g_get_monotonic_time ();
  r->progress = progress;
  r->done = done;
  r->data = data;
  self->out[s] = r;
  self->n_out++;
  self->stats.requests_sent++;
  start_tick (self);

  f.type = GST_P2P_WIRE_REQUEST;
  f.request.request_id = r->id;
  f.request.segment_id = segment_id;
  f.request.start = start;
  f.request.end = end;
  GST_DEBUG_OBJECT (self, "request %u to %s: segment %" G_GUINT64_FORMAT
      " [%u, %u) on stream %u", r->id, self->name, segment_id, start, end, s);
  send_frame (self, s, &f);
  return r->id;
}

/**
 * gst_p2p_peer_cancel:
 * @request_id: a request of ours still outstanding
 *
 * Sends CANCEL; the request's done callback runs before this returns, with
 * GST_P2P_PEER_ERROR_CANCELLED. Unknown ids are ignored.
 */
void
gst_p2p_peer_cancel (GstP2pPeer * self, guint32 request_id)
{
  guint i;

  g_return_if_fail (GST_P2P_IS_PEER (self));
  for (i = 0; i < self->config.n_streams; i++) {
    Request *r = self->out[i];
    if (r && r->id == request_id) {
      request_abort (self, r, GST_P2P_PEER_ERROR_CANCELLED, "cancelled");
      return;
    }
  }
}

static void
send_segment_frame (GstP2pPeer * self, GstP2pWireType type, guint64 seg,
    guint8 flags)
{
  GstP2pWireFrame f = { 0, };

  if (self->state != GST_P2P_PEER_STATE_READY)
    return;
  f.type = type;
  f.flags = flags;
  f.have.segment_id = seg;
  send_frame (self, 0, &f);
}

/**
 * gst_p2p_peer_send_have:
 *
 * Announces that we hold @segment_id, whole and verified. Ignored until
 * the peer is ready.
 */
void
gst_p2p_peer_send_have (GstP2pPeer * self, guint64 segment_id)
{
  g_return_if_fail (GST_P2P_IS_PEER (self));
  send_segment_frame (self, GST_P2P_WIRE_HAVE, segment_id, 0);
}

/**
 * gst_p2p_peer_send_fetching:
 * @aborted: withdraw an earlier announcement
 */
void
gst_p2p_peer_send_fetching (GstP2pPeer * self, guint64 segment_id,
    gboolean aborted)
{
  g_return_if_fail (GST_P2P_IS_PEER (self));
  send_segment_frame (self, GST_P2P_WIRE_FETCHING, segment_id,
      aborted ? GST_P2P_WIRE_FLAG_FETCHING_ABORTED : 0);
}

/**
 * gst_p2p_peer_send_bitfield:
 * @n_bits: at most GST_P2P_WIRE_MAX_BITFIELD_BITS
 * @bitmap: (array): (n_bits + 7) / 8 bytes, most significant bit first,
 *   padding bits zero
 */
void
gst_p2p_peer_send_bitfield (GstP2pPeer * self, guint64 base, guint n_bits,
    const guint8 * bitmap)
{
  GstP2pWireFrame f = { 0, };

  g_return_if_fail (GST_P2P_IS_PEER (self));
  g_return_if_fail (n_bits <= GST_P2P_WIRE_MAX_BITFIELD_BITS);
  if (self->state != GST_P2P_PEER_STATE_READY)
    return;
  f.type = GST_P2P_WIRE_BITFIELD;
  f.bitfield.base = base;
  f.bitfield.n_bits = n_bits;
  f.bitfield.bitmap = bitmap;
  send_frame (self, 0, &f);
}

gboolean
gst_p2p_peer_has (GstP2pPeer * self, guint64 segment_id)
{
  g_return_val_if_fail (GST_P2P_IS_PEER (self), FALSE);
  return g_tree_lookup_extended (self->haves, &segment_id, NULL, NULL);
}

gboolean
gst_p2p_peer_is_fetching (GstP2pPeer * self, guint64 segment_id)
{
  g_return_val_if_fail (GST_P2P_IS_PEER (self), FALSE);
  return g_hash_table_contains (self->fetching, &segment_id);
}

guint
gst_p2p_peer_get_n_haves (GstP2pPeer * self)
{
  g_return_val_if_fail (GST_P2P_IS_PEER (self), 0);
  return g_tree_nnodes (self->haves);
}

guint
gst_p2p_peer_get_remote_max_requests (GstP2pPeer * self)
{
  g_return_val_if_fail (GST_P2P_IS_PEER (self), 0);
  return self->remote.max_requests;
}

guint32
gst_p2p_peer_get_remote_capabilities (GstP2pPeer * self)
{
  g_return_val_if_fail (GST_P2P_IS_PEER (self), 0);
  return self->remote.capabilities;
}

/**
 * gst_p2p_peer_close:
 * @reason: the BYE reason to send
 * @text: (nullable): diagnostic for the peer (first 50 characters)
 *
 * Sends BYE, fails our outstanding requests (CLOSED), stops uploads, and
 * closes the link once the BYE had time to leave. Emits "closed".
 */
void
gst_p2p_peer_close (GstP2pPeer * self, GstP2pWireByeReason reason,
    const gchar * text)
{
  g_return_if_fail (GST_P2P_IS_PEER (self));
  peer_close (self, GST_P2P_PEER_END_LOCAL, reason, text);
}

GstP2pPeerState
gst_p2p_peer_get_state (GstP2pPeer * self)
{
  g_return_val_if_fail (GST_P2P_IS_PEER (self), GST_P2P_PEER_STATE_CLOSED);
  return self->state;
}

const gchar *
gst_p2p_peer_get_name (GstP2pPeer * self)
{
  g_return_val_if_fail (GST_P2P_IS_PEER (self), NULL);
  return self->name;
}

/**
 * gst_p2p_peer_get_link:
 *
 * Returns: (transfer none): the link.
 */
GstP2pLink *
gst_p2p_peer_get_link (GstP2pPeer * self)
{
  g_return_val_if_fail (GST_P2P_IS_PEER (self), NULL);
  return self->link;
}

void
gst_p2p_peer_get_stats (GstP2pPeer * self, GstP2pPeerStats * stats)
{
  g_return_if_fail (GST_P2P_IS_PEER (self));
  *stats = self->stats;
}
