/* GstP2pSctp: messages over usrsctp over DTLS. See gstp2psctp.h.
 *
 * Threads: each association is driven from its GMainContext. usrsctp calls
 * us from two places: from inside our own usrsctp_*() calls (that thread)
 * and from the timer thread below (retransmissions, heartbeats). Both only
 * touch the packet queue and the wake-up source under live_lock; all other
 * state is the context's alone.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include <gio/gio.h>
#include <gst/gst.h>
#include <usrsctp.h>

#include "transport/gstp2psctp.h"

GST_DEBUG_CATEGORY_STATIC (p2p_sctp_debug);
#define GST_CAT_DEFAULT p2p_sctp_debug

#define SCTP_PORT 5000
#define CHUNK (64 * 1024)
#define RECV_BUF (CHUNK + 4096)
#define MAX_NOTIFICATION 4096
#define MAX_STREAMS 256
#define SOCKET_BUFFER (1024 * 1024)

/* PPIDs of our SCTP messages: a user message is PART* then END, or one
 * EMPTY (SCTP cannot carry zero bytes). */
#define PPID_PART 0x50325001
#define PPID_END 0x50325002
#define PPID_EMPTY 0x50325003

#define DEFAULT_MTU 1150
#define DEFAULT_STREAMS 16
#define DEFAULT_MAX_BUFFERED (16 * 1024 * 1024)
#define DEFAULT_MAX_MESSAGE (8 * 1024 * 1024)
#define DEFAULT_HEARTBEAT_MS 1000

typedef struct
{
  GQueue messages;              /* GBytes, oldest first */
  gsize offset;                 /* bytes of the head already sent */
  gboolean open;
  gboolean in_rr;
  gboolean closing;             /* reset once the queue drains */
  GByteArray *reasm;            /* incoming message being reassembled */
} Stream;

struct _GstP2pSctp
{
  GMainContext *context;
  GstP2pSctpConfig config;
  GstP2pSctpCallbacks callbacks;
  gpointer data;

  struct socket *sock;
  GSource *source;
  GstP2pSctpState state;

  /* under live_lock: filled by usrsctp from any thread */
  GQueue out_packets;

  Stream *streams;
  GQueue rr;                    /* stream ids with queued data, round robin */
  gsize buffered;
  gboolean want_writable;
  guint n_closing;

  GByteArray *cur;              /* current SCTP message (partial reads) */
  GByteArray *notif;
  gsize reasm_total;
  guint8 *recv_buf;

  GstP2pSctpStats stats;
  gint64 last_log_us;
};

/* ---- the process-wide stack ------------------------------------------ */

static GMutex init_lock;        /* refcount, init/finish, timer thread */
static guint stack_refs;
static gboolean stack_up;
static GThread *timer_thread;
static gint timer_running;

static GMutex live_lock;        /* live set and every out_packets */
static GHashTable *live;

static void
sctp_init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (p2p_sctp_debug, "p2p-sctp", 0,
        "gst-p2p SCTP (usrsctp) layer");
    g_once_init_leave (&done, 1);
  }
}

static void
wake_locked (GstP2pSctp * sctp)
{
  if (sctp->source)
    g_source_set_ready_time (sctp->source, 0);
}

/* usrsctp -> wire. Any thread; usrsctp may hold its own locks here. */
static int
conn_output (void *addr, void *buffer, size_t length, uint8_t tos,
    uint8_t set_df)
{
  GstP2pSctp *sctp = addr;

  g_mutex_lock (&live_lock);
  if (live && g_hash_table_contains (live, sctp)) {
    g_queue_push_tail (&sctp->out_packets, g_bytes_new (buffer, length));
    wake_locked (sctp);
  }
  g_mutex_unlock (&live_lock);
  return 0;
}

static void
upcall (struct socket *sock, void *arg, int flags)
{
  g_mutex_lock (&live_lock);
  if (live && g_hash_table_contains (live, arg))
    wake_locked (arg);
  g_mutex_unlock (&live_lock);
}

static gpointer
timer_thread_func (gpointer unused)
{
  gint64 last = g_get_monotonic_time ();

  /* What usrsctp's own timer thread does, without the raw-socket receive
   * threads usrsctp_init() would also start. */
  while (g_atomic_int_get (&timer_running)) {
    gint64 now;
    g_usleep (10 * 1000);
    now = g_get_monotonic_time ();
    usrsctp_handle_timers ((now - last) / 1000);
    last = now - (now - last) % 1000;
  }
  return NULL;
}

/* GST_P2P_SCTP_SYSCTL="name=value,...": usrsctp sysctls applied after our
 * defaults, for measuring alternatives (tests/bench/link) without a
 * rebuild. Unknown names are logged and ignored. */
typedef struct
{
  const gchar *name;
  int (*set) (uint32_t value);
} Sysctl;

static const Sysctl sysctls[] = {
  {"rto_min", usrsctp_sysctl_set_sctp_rto_min_default},
  {"rto_max", usrsctp_sysctl_set_sctp_rto_max_default},
  {"rto_initial", usrsctp_sysctl_set_sctp_rto_initial_default},
  {"init_rto_max", usrsctp_sysctl_set_sctp_init_rto_max_default},
  {"sack_freq", usrsctp_sysctl_set_sctp_sack_freq_default},
  {"delayed_sack", usrsctp_sysctl_set_sctp_delayed_sack_time_default},
  {"max_burst", usrsctp_sysctl_set_sctp_max_burst_default},
  {"fr_max_burst", usrsctp_sysctl_set_sctp_fr_max_burst_default},
  {"cwnd_maxburst", usrsctp_sysctl_set_sctp_use_cwnd_based_maxburst},
  {"initial_cwnd", usrsctp_sysctl_set_sctp_initial_cwnd},
  {"abc_l", usrsctp_sysctl_set_sctp_L2_abc_variable},
  {"cc", usrsctp_sysctl_set_sctp_default_cc_module},
  {"nrsack", usrsctp_sysctl_set_sctp_nrsack_enable},
  {"cmt", usrsctp_sysctl_set_sctp_cmt_on_off},
  {"sack_immediately", usrsctp_sysctl_set_sctp_enable_sack_immediately},
  {"steady_step", usrsctp_sysctl_set_sctp_steady_step},
  {"rttvar_bw", usrsctp_sysctl_set_sctp_rttvar_bw},
  {"rttvar_rtt", usrsctp_sysctl_set_sctp_rttvar_rtt},
  {"rttvar_eqret", usrsctp_sysctl_set_sctp_rttvar_eqret},
  {"path_rtx_max", usrsctp_sysctl_set_sctp_path_rtx_max_default},
  {"assoc_rtx_max", usrsctp_sysctl_set_sctp_assoc_rtx_max_default},
  {"max_chunks_on_queue", usrsctp_sysctl_set_sctp_max_chunks_on_queue},
};

static void
apply_env_sysctls (void)
{
  const gchar *env = g_getenv ("GST_P2P_SCTP_SYSCTL");
  gchar **items;
  guint i, j;

  if (!env || !*env)
    return;
  items = g_strsplit (env, ",", 64);
  for (i = 0; items[i]; i++) {
    gchar **kv = g_strsplit (items[i], "=", 2);
    guint64 v;
    gboolean done = FALSE;

    if (kv[0] && kv[1] && g_ascii_string_to_unsigned (kv[1], 10, 0,
            G_MAXUINT32, &v, NULL)) {
      for (j = 0; j < G_N_ELEMENTS (sysctls) && !done; j++) {
        if (strcmp (kv[0], sysctls[j].name) == 0) {
          done = TRUE;
          if (sysctls[j].set ((uint32_t) v) != 0)
            GST_WARNING ("usrsctp refused %s=%" G_GUINT64_FORMAT, kv[0], v);
          else
            GST_INFO ("usrsctp sysctl %s=%" G_GUINT64_FORMAT, kv[0], v);
        }
      }
    }
    if (!done)
      GST_WARNING ("ignoring GST_P2P_SCTP_SYSCTL item '%s'", items[i]);
    g_strfreev (kv);
  }
  g_strfreev (items);
}

static void
stack_ref (void)
{
  g_mutex_lock (&init_lock);
  if (stack_refs++ == 0) {
    if (!stack_up) {
      usrsctp_init_nothreads (0, conn_output, NULL);
      /* libdatachannel's settings, tuned for a single DTLS path. */
      usrsctp_sysctl_set_sctp_ecn_enable (0);
      usrsctp_sysctl_set_sctp_init_rtx_max_default (5);
      usrsctp_sysctl_set_sctp_path_rtx_max_default (5);
      usrsctp_sysctl_set_sctp_assoc_rtx_max_default (5);
      usrsctp_sysctl_set_sctp_rto_min_default (200);
      usrsctp_sysctl_set_sctp_rto_max_default (10 * 1000);
      usrsctp_sysctl_set_sctp_rto_initial_default (1000);
      usrsctp_sysctl_set_sctp_init_rto_max_default (10 * 1000);
      usrsctp_sysctl_set_sctp_heartbeat_interval_default (DEFAULT_HEARTBEAT_MS);
      usrsctp_sysctl_set_sctp_max_chunks_on_queue (10 * 1024);
      usrsctp_sysctl_set_sctp_initial_cwnd (10);
      usrsctp_sysctl_set_sctp_delayed_sack_time_default (20);
      usrsctp_sysctl_set_sctp_blackhole (2);
      /* DTLS authenticates every packet: the CRC32c is redundant work. */
      usrsctp_enable_crc32c_offload ();
      /* HighSpeed TCP congestion control: at 50 ms and 0.5 % random loss
       * it reached 2-40 Mbit/s in 10 s runs where the RFC 4960 default
       * stayed at 1.4-2.8 (docs/benchmarks.md); H-TCP stalled outright
       * here, as libdatachannel #354 reports. */
      usrsctp_sysctl_set_sctp_default_cc_module (SCTP_CC_HSTCP);
      apply_env_sysctls ();
      stack_up = TRUE;
      GST_INFO ("usrsctp initialised");
    }
    g_mutex_lock (&live_lock);
    if (!live)
      live = g_hash_table_new (NULL, NULL);
    g_mutex_unlock (&live_lock);
    g_atomic_int_set (&timer_running, 1);
    timer_thread = g_thread_new ("p2p-sctp-timer", timer_thread_func, NULL);
  }
  g_mutex_unlock (&init_lock);
}

static void
stack_unref (void)
{
  guint i;

  g_mutex_lock (&init_lock);
  if (--stack_refs == 0) {
    g_atomic_int_set (&timer_running, 0);
    g_thread_join (timer_thread);
    timer_thread = NULL;
    /* Aborted sockets are freed from timers: give them a moment. */
    for (i = 0; i < 50; i++) {
      if (usrsctp_finish () == 0) {
        stack_up = FALSE;
        GST_INFO ("usrsctp finished");
        break;
      }
      usrsctp_handle_timers (10);
      g_usleep (2000);
    }
    if (stack_up)
      GST_INFO ("usrsctp still has sockets; keeping it initialised");
  }
  g_mutex_unlock (&init_lock);
}

/* ---- per association -------------------------------------------------- */

static void
set_state (GstP2pSctp * sctp, GstP2pSctpState state, const gchar * reason)
{
  if (sctp->state == state || sctp->state == GST_P2P_SCTP_STATE_CLOSED
      || sctp->state == GST_P2P_SCTP_STATE_FAILED)
    return;
  GST_INFO ("SCTP state %d -> %d (%s)", sctp->state, state,
      reason ? reason : "");
  sctp->state = state;
  if (sctp->callbacks.state_changed)
    sctp->callbacks.state_changed (sctp, state, reason, sctp->data);
}

static void
protocol_error (GstP2pSctp * sctp, const gchar * what)
{
  sctp->stats.protocol_errors++;
  GST_WARNING ("peer protocol error: %s", what);
  set_state (sctp, GST_P2P_SCTP_STATE_FAILED, what);
}

static void
flush_output (GstP2pSctp * sctp)
{
  GQueue packets = G_QUEUE_INIT;
  GBytes *b;

  g_mutex_lock (&live_lock);
  packets = sctp->out_packets;
  g_queue_init (&sctp->out_packets);
  g_mutex_unlock (&live_lock);

  while ((b = g_queue_pop_head (&packets))) {
    gsize len;
    const guint8 *data = g_bytes_get_data (b, &len);
    sctp->callbacks.send (sctp, data, len, sctp->data);
    g_bytes_unref (b);
  }
}

static void
deliver (GstP2pSctp * sctp, guint sid, guint32 ppid, const guint8 * data,
    gsize len)
{
  Stream *s;
  GBytes *msg;

  if (sid >= sctp->config.n_streams) {
    protocol_error (sctp, "message on a stream we did not offer");
    return;
  }
  s = &sctp->streams[sid];

  if (ppid == PPID_EMPTY) {
    if (s->reasm && s->reasm->len) {
      protocol_error (sctp, "empty message inside a fragmented one");
      return;
    }
    msg = g_bytes_new (NULL, 0);
  } else if (ppid == PPID_PART || ppid == PPID_END) {
    gsize have = s->reasm ? s->reasm->len : 0;

    if (have + len > sctp->config.max_message) {
      protocol_error (sctp, "incoming message larger than max-message");
      return;
    }
    if (sctp->reasm_total + len >
        sctp->config.max_buffered + sctp->config.max_message) {
      protocol_error (sctp, "incoming messages exceed the buffer bound");
      return;
    }
    if (ppid == PPID_END && have == 0) {
      msg = g_bytes_new (data, len);
    } else {
      if (!s->reasm)
        s->reasm = g_byte_array_new ();
      g_byte_array_append (s->reasm, data, len);
      sctp->reasm_total += len;
      if (ppid == PPID_PART)
        return;
      sctp->reasm_total -= s->reasm->len;
      msg = g_byte_array_free_to_bytes (s->reasm);
      s->reasm = NULL;
    }
  } else {
    protocol_error (sctp, "unknown SCTP payload protocol id");
    return;
  }

  sctp->stats.messages_received++;
  sctp->stats.bytes_received += g_bytes_get_size (msg);
  GST_LOG ("message of %" G_GSIZE_FORMAT " bytes on stream %u",
      g_bytes_get_size (msg), sid);
  if (sctp->callbacks.message)
    sctp->callbacks.message (sctp, sid, msg, sctp->data);
  g_bytes_unref (msg);
}

static void
handle_notification (GstP2pSctp * sctp, const union sctp_notification *n,
    gsize len)
{
  guint i;

  if (len < sizeof (n->sn_header))
    return;
  switch (n->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE:
      if (len < sizeof (n->sn_assoc_change))
        return;
      GST_DEBUG ("assoc change state %u error %u",
          n->sn_assoc_change.sac_state, n->sn_assoc_change.sac_error);
      switch (n->sn_assoc_change.sac_state) {
        case SCTP_COMM_UP:
          set_state (sctp, GST_P2P_SCTP_STATE_CONNECTED, NULL);
          break;
        case SCTP_COMM_LOST:
          set_state (sctp, GST_P2P_SCTP_STATE_CLOSED,
              "SCTP association aborted or lost");
          break;
        case SCTP_SHUTDOWN_COMP:
          set_state (sctp, GST_P2P_SCTP_STATE_CLOSED, "SCTP shut down");
          break;
        case SCTP_CANT_STR_ASSOC:
          set_state (sctp, GST_P2P_SCTP_STATE_FAILED,
              "SCTP association could not start");
          break;
        case SCTP_RESTART:
          protocol_error (sctp, "peer restarted the SCTP association");
          break;
        default:
          break;
      }
      break;
    case SCTP_STREAM_RESET_EVENT:{
      const struct sctp_stream_reset_event *ev = &n->sn_strreset_event;
      guint count;

      if (len < sizeof (*ev) || ev->strreset_length > len)
        return;
      if (ev->strreset_flags & (SCTP_STREAM_RESET_DENIED |
              SCTP_STREAM_RESET_FAILED))
        return;
      count = (ev->strreset_length - sizeof (*ev)) / sizeof (uint16_t);
      for (i = 0; i < count; i++) {
        guint sid = ev->strreset_stream_list[i];
        Stream *s;

        if (sid >= sctp->config.n_streams)
          continue;
        s = &sctp->streams[sid];
        if (ev->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) {
          /* The peer closed its side: drop a half message. */
          if (s->reasm) {
            sctp->reasm_total -= s->reasm->len;
            g_byte_array_unref (s->reasm);
            s->reasm = NULL;
          }
          GST_DEBUG ("peer closed stream %u", sid);
          if (sctp->callbacks.stream_closed)
            sctp->callbacks.stream_closed (sctp, sid, sctp->data);
        }
        if (ev->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN) {
          GST_DEBUG ("our stream %u is reset", sid);
          s->open = FALSE;
        }
      }
      break;
    }
    default:
      break;
  }
}

static void
read_all (GstP2pSctp * sctp)
{
  while (sctp->sock && (sctp->state == GST_P2P_SCTP_STATE_CONNECTING
          || sctp->state == GST_P2P_SCTP_STATE_CONNECTED)) {
    struct sctp_rcvinfo info;
    socklen_t infolen = sizeof (info);
    struct sockaddr_conn from;
    socklen_t fromlen = sizeof (from);
    unsigned int infotype = 0;
    int flags = 0;
    ssize_t n;

    memset (&info, 0, sizeof (info));
    n = usrsctp_recvv (sctp->sock, sctp->recv_buf, RECV_BUF,
        (struct sockaddr *) &from, &fromlen, &info, &infolen, &infotype,
        &flags);
    if (n < 0) {
      if (errno == EWOULDBLOCK || errno == EAGAIN || errno == ENOTCONN)
        break;
      if (errno == ECONNRESET) {
        set_state (sctp, GST_P2P_SCTP_STATE_CLOSED, "SCTP connection reset");
      } else {
        gchar *r = g_strdup_printf ("SCTP receive failed: %s",
            g_strerror (errno));
        set_state (sctp, GST_P2P_SCTP_STATE_FAILED, r);
        g_free (r);
      }
      break;
    }
    if (n == 0) {
      set_state (sctp, GST_P2P_SCTP_STATE_CLOSED, "SCTP shut down by the peer");
      break;
    }

    if (flags & MSG_NOTIFICATION) {
      if (sctp->notif->len + n > MAX_NOTIFICATION) {
        /* not ours to judge; just don't grow */
        g_byte_array_set_size (sctp->notif, 0);
        continue;
      }
      g_byte_array_append (sctp->notif, sctp->recv_buf, n);
      if (flags & MSG_EOR) {
        handle_notification (sctp,
            (const union sctp_notification *) sctp->notif->data,
            sctp->notif->len);
        g_byte_array_set_size (sctp->notif, 0);
      }
      continue;
    }

    if (infotype != SCTP_RECVV_RCVINFO) {
      protocol_error (sctp, "SCTP message without receive info");
      break;
    }
    if (!(flags & MSG_EOR) || sctp->cur->len) {
      /* A partial delivery: our peers never send SCTP messages above
       * CHUNK, so this is bounded by it. */
      if (sctp->cur->len + n > CHUNK) {
        protocol_error (sctp, "SCTP message larger than 64 KiB");
        break;
      }
      g_byte_array_append (sctp->cur, sctp->recv_buf, n);
      if (!(flags & MSG_EOR))
        continue;
      deliver (sctp, info.rcv_sid, ntohl (info.rcv_ppid), sctp->cur->data,
          sctp->cur->len);
      g_byte_array_set_size (sctp->cur, 0);
    } else {
      deliver (sctp, info.rcv_sid, ntohl (info.rcv_ppid), sctp->recv_buf, n);
    }
  }
}

static void
try_reset (GstP2pSctp * sctp, guint sid)
{
  guint8 buf[sizeof (struct sctp_reset_streams) + sizeof (uint16_t)];
  struct sctp_reset_streams *srs = (struct sctp_reset_streams *) buf;
  Stream *s = &sctp->streams[sid];

  memset (buf, 0, sizeof (buf));
  srs->srs_assoc_id = SCTP_ALL_ASSOC;
  srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  srs->srs_number_streams = 1;
  srs->srs_stream_list[0] = sid;
  if (usrsctp_setsockopt (sctp->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs,
          sizeof (buf)) == 0) {
    GST_DEBUG ("reset of stream %u requested", sid);
    s->closing = FALSE;
    sctp->n_closing--;
  } else {
    /* another reset in flight: retried on the next pump */
    GST_LOG ("reset of stream %u deferred: %s", sid, g_strerror (errno));
  }
}

static void
pump (GstP2pSctp * sctp)
{
  guint sid;

  while (sctp->state == GST_P2P_SCTP_STATE_CONNECTED
      && !g_queue_is_empty (&sctp->rr)) {
    Stream *s;
    GBytes *msg;
    gsize len, chunk;
    const guint8 *data;
    struct sctp_sndinfo info;
    guint32 ppid;

    sid = GPOINTER_TO_UINT (g_queue_pop_head (&sctp->rr));
    s = &sctp->streams[sid];
    msg = g_queue_peek_head (&s->messages);
    data = g_bytes_get_data (msg, &len);
    chunk = MIN (CHUNK, len - s->offset);
    if (len == 0) {
      ppid = PPID_EMPTY;
      data = (const guint8 *) "";
      chunk = 1;
    } else {
      ppid = s->offset + chunk == len ? PPID_END : PPID_PART;
      data += s->offset;
    }

    memset (&info, 0, sizeof (info));
    info.snd_sid = sid;
    info.snd_flags = SCTP_EOR;
    info.snd_ppid = htonl (ppid);
    if (usrsctp_sendv (sctp->sock, data, chunk, NULL, 0, &info,
            sizeof (info), SCTP_SENDV_SNDINFO, 0) < 0) {
      if (errno == EWOULDBLOCK || errno == EAGAIN) {
        g_queue_push_head (&sctp->rr, GUINT_TO_POINTER (sid));
        break;
      } else {
        gchar *r = g_strdup_printf ("SCTP send failed: %s",
            g_strerror (errno));
        set_state (sctp, GST_P2P_SCTP_STATE_FAILED, r);
        g_free (r);
        return;
      }
    }

    if (len == 0) {
      s->offset = 0;
    } else {
      s->offset += chunk;
      sctp->buffered -= chunk;
      sctp->stats.bytes_sent += chunk;
    }
    if (s->offset == len) {
      g_bytes_unref (g_queue_pop_head (&s->messages));
      s->offset = 0;
      sctp->stats.messages_sent++;
    }
    if (!g_queue_is_empty (&s->messages))
      g_queue_push_tail (&sctp->rr, GUINT_TO_POINTER (sid));
    else
      s->in_rr = FALSE;
  }

  if (sctp->n_closing && sctp->state == GST_P2P_SCTP_STATE_CONNECTED) {
    for (sid = 0; sid < sctp->config.n_streams && sctp->n_closing; sid++)
      if (sctp->streams[sid].closing && !sctp->streams[sid].in_rr)
        try_reset (sctp, sid);
  }

  if (sctp->want_writable && sctp->buffered <= sctp->config.max_buffered / 2
      && sctp->state == GST_P2P_SCTP_STATE_CONNECTED) {
    sctp->want_writable = FALSE;
    if (sctp->callbacks.writable)
      sctp->callbacks.writable (sctp, sctp->data);
  }
}

/* Once a second at DEBUG level: what usrsctp thinks of the path. */
static void
log_path (GstP2pSctp * sctp)
{
  struct sctp_status st;
  socklen_t len = sizeof (st);
  gint64 now;

  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) < GST_LEVEL_DEBUG
      || !sctp->sock || sctp->state != GST_P2P_SCTP_STATE_CONNECTED)
    return;
  now = g_get_monotonic_time ();
  if (now - sctp->last_log_us < G_USEC_PER_SEC)
    return;
  sctp->last_log_us = now;
  memset (&st, 0, sizeof (st));
  if (usrsctp_getsockopt (sctp->sock, IPPROTO_SCTP, SCTP_STATUS, &st, &len) < 0)
    return;
  GST_DEBUG ("path: cwnd %u srtt %u ms rto %u ms mtu %u; peer rwnd %u, "
      "unacked %u, pending %u, in queue %u", st.sstat_primary.spinfo_cwnd,
      st.sstat_primary.spinfo_srtt, st.sstat_primary.spinfo_rto,
      st.sstat_primary.spinfo_mtu, st.sstat_rwnd, st.sstat_unackdata,
      st.sstat_penddata, st.sstat_instrms);
}

static void
process (GstP2pSctp * sctp)
{
  log_path (sctp);
  read_all (sctp);
  pump (sctp);
  flush_output (sctp);
}

static gboolean
source_dispatch (GSource * source, GSourceFunc callback, gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs source_funcs = {
  NULL, NULL, source_dispatch, NULL,
};

static gboolean
source_cb (gpointer user_data)
{
  process (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
setup_socket (GstP2pSctp * sctp, GError ** error)
{
  struct linger lin = { 1, 0 };
  struct sctp_assoc_value av;
  struct sctp_event ev;
  struct sctp_paddrparams spp;
  struct sctp_initmsg init;
  gint on = 1, level = 0, bufsize = SOCKET_BUFFER;
  const gchar *env_buf = g_getenv ("GST_P2P_SCTP_BUFFER");
  guint64 v;
  const guint16 events[] = { SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT,
    SCTP_SENDER_DRY_EVENT
  };
  const gchar *what = NULL;
  guint i;

  /* a measurement knob like GST_P2P_SCTP_SYSCTL, bounded */
  if (env_buf && g_ascii_string_to_unsigned (env_buf, 10, 64 * 1024,
          64 * 1024 * 1024, &v, NULL))
    bufsize = v;

  sctp->sock = usrsctp_socket (AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL,
      0, NULL);
  if (!sctp->sock) {
    what = "socket";
    goto fail;
  }
  usrsctp_set_upcall (sctp->sock, upcall, sctp);
  if (usrsctp_set_non_blocking (sctp->sock, 1) < 0) {
    what = "non-blocking";
    goto fail;
  }
  /* close() aborts at once: the DTLS below may be gone already. */
  if (usrsctp_setsockopt (sctp->sock, SOL_SOCKET, SO_LINGER, &lin,
          sizeof (lin)) < 0) {
    what = "SO_LINGER";
    goto fail;
  }
  memset (&av, 0, sizeof (av));
  av.assoc_id = SCTP_ALL_ASSOC;
  av.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;
  if (usrsctp_setsockopt (sctp->sock, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET,
          &av, sizeof (av)) < 0) {
    what = "SCTP_ENABLE_STREAM_RESET";
    goto fail;
  }
  if (usrsctp_setsockopt (sctp->sock, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on,
          sizeof (on)) < 0) {
    what = "SCTP_RECVRCVINFO";
    goto fail;
  }
  for (i = 0; i < G_N_ELEMENTS (events); i++) {
    memset (&ev, 0, sizeof (ev));
    ev.se_assoc_id = SCTP_ALL_ASSOC;
    ev.se_on = 1;
    ev.se_type = events[i];
    if (usrsctp_setsockopt (sctp->sock, IPPROTO_SCTP, SCTP_EVENT, &ev,
            sizeof (ev)) < 0) {
      what = "SCTP_EVENT";
      goto fail;
    }
  }
  if (usrsctp_setsockopt (sctp->sock, IPPROTO_SCTP, SCTP_NODELAY, &on,
          sizeof (on)) < 0) {
    what = "SCTP_NODELAY";
    goto fail;
  }
  /* usrsctp does no PMTU discovery: a fixed size that fits one DTLS
   * record; heartbeats keep an idle path visibly alive. */
  memset (&spp, 0, sizeof (spp));
  spp.spp_flags = SPP_HB_ENABLE | SPP_PMTUD_DISABLE;
  spp.spp_hbinterval = sctp->config.heartbeat_ms;
  spp.spp_pathmtu = sctp->config.mtu;
  if (usrsctp_setsockopt (sctp->sock, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS,
          &spp, sizeof (spp)) < 0) {
    what = "SCTP_PEER_ADDR_PARAMS";
    goto fail;
  }
  memset (&init, 0, sizeof (init));
  init.sinit_num_ostreams = sctp->config.n_streams;
  init.sinit_max_instreams = sctp->config.n_streams;
  if (usrsctp_setsockopt (sctp->sock, IPPROTO_SCTP, SCTP_INITMSG, &init,
          sizeof (init)) < 0) {
    what = "SCTP_INITMSG";
    goto fail;
  }
  /* Whole messages, one at a time: partial reads are never interleaved. */
  if (usrsctp_setsockopt (sctp->sock, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE,
          &level, sizeof (level)) < 0) {
    what = "SCTP_FRAGMENT_INTERLEAVE";
    goto fail;
  }
  if (usrsctp_setsockopt (sctp->sock, SOL_SOCKET, SO_RCVBUF, &bufsize,
          sizeof (bufsize)) < 0
      || usrsctp_setsockopt (sctp->sock, SOL_SOCKET, SO_SNDBUF, &bufsize,
          sizeof (bufsize)) < 0) {
    what = "socket buffers";
    goto fail;
  }
  return TRUE;

fail:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
      "usrsctp socket setup (%s) failed: %s", what, g_strerror (errno));
  return FALSE;
}

/**
 * gst_p2p_sctp_new:
 *
 * Creates the socket; nothing is sent before gst_p2p_sctp_connect().
 */
GstP2pSctp *
gst_p2p_sctp_new (GMainContext * context, const GstP2pSctpConfig * config,
    const GstP2pSctpCallbacks * callbacks, gpointer data, GError ** error)
{
  GstP2pSctp *sctp;

  sctp_init_debug ();
  g_return_val_if_fail (callbacks->send != NULL, NULL);

  stack_ref ();

  sctp = g_new0 (GstP2pSctp, 1);
  sctp->context = g_main_context_ref (context);
  sctp->config = *config;
  if (!sctp->config.mtu)
    sctp->config.mtu = DEFAULT_MTU;
  if (!sctp->config.n_streams)
    sctp->config.n_streams = DEFAULT_STREAMS;
  sctp->config.n_streams = MIN (sctp->config.n_streams, MAX_STREAMS);
  if (!sctp->config.max_buffered)
    sctp->config.max_buffered = DEFAULT_MAX_BUFFERED;
  if (!sctp->config.max_message)
    sctp->config.max_message = DEFAULT_MAX_MESSAGE;
  if (!sctp->config.heartbeat_ms)
    sctp->config.heartbeat_ms = DEFAULT_HEARTBEAT_MS;
  sctp->callbacks = *callbacks;
  sctp->data = data;
  sctp->streams = g_new0 (Stream, sctp->config.n_streams);
  g_queue_init (&sctp->rr);
  g_queue_init (&sctp->out_packets);
  sctp->cur = g_byte_array_new ();
  sctp->notif = g_byte_array_new ();
  sctp->recv_buf = g_malloc (RECV_BUF);

  sctp->source = g_source_new (&source_funcs, sizeof (GSource));
  g_source_set_name (sctp->source, "p2p-sctp");
  g_source_set_callback (sctp->source, source_cb, sctp, NULL);
  g_source_attach (sctp->source, context);

  g_mutex_lock (&live_lock);
  g_hash_table_add (live, sctp);
  g_mutex_unlock (&live_lock);
  usrsctp_register_address (sctp);

  if (!setup_socket (sctp, error)) {
    gst_p2p_sctp_free (sctp);
    return NULL;
  }
  return sctp;
}

void
gst_p2p_sctp_free (GstP2pSctp * sctp)
{
  guint i;

  if (!sctp)
    return;

  g_mutex_lock (&live_lock);
  g_hash_table_remove (live, sctp);
  g_mutex_unlock (&live_lock);

  if (sctp->sock) {
    usrsctp_set_upcall (sctp->sock, NULL, NULL);
    usrsctp_close (sctp->sock);
  }
  usrsctp_deregister_address (sctp);
  g_source_destroy (sctp->source);
  g_source_unref (sctp->source);

  g_queue_clear_full (&sctp->out_packets, (GDestroyNotify) g_bytes_unref);
  for (i = 0; i < sctp->config.n_streams; i++) {
    g_queue_clear_full (&sctp->streams[i].messages,
        (GDestroyNotify) g_bytes_unref);
    if (sctp->streams[i].reasm)
      g_byte_array_unref (sctp->streams[i].reasm);
  }
  g_free (sctp->streams);
  g_queue_clear (&sctp->rr);
  g_byte_array_unref (sctp->cur);
  g_byte_array_unref (sctp->notif);
  g_free (sctp->recv_buf);
  g_main_context_unref (sctp->context);
  g_free (sctp);

  stack_unref ();
}

/**
 * gst_p2p_sctp_connect:
 *
 * Both ends connect (simultaneous open), once DTLS is up.
 */
gboolean
gst_p2p_sctp_connect (GstP2pSctp * sctp, GError ** error)
{
  struct sockaddr_conn sconn;

  g_return_val_if_fail (sctp->state == GST_P2P_SCTP_STATE_NEW, FALSE);

  memset (&sconn, 0, sizeof (sconn));
  sconn.sconn_family = AF_CONN;
  sconn.sconn_port = htons (SCTP_PORT);
  sconn.sconn_addr = sctp;
  if (usrsctp_bind (sctp->sock, (struct sockaddr *) &sconn, sizeof (sconn)) < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "usrsctp bind failed: %s", g_strerror (errno));
    return FALSE;
  }
  sctp->state = GST_P2P_SCTP_STATE_CONNECTING;
  if (usrsctp_connect (sctp->sock, (struct sockaddr *) &sconn,
          sizeof (sconn)) < 0 && errno != EINPROGRESS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "usrsctp connect failed: %s", g_strerror (errno));
    return FALSE;
  }
  flush_output (sctp);
  return TRUE;
}

/**
 * gst_p2p_sctp_receive:
 *
 * Feeds one SCTP packet from DTLS. Callbacks may run from here.
 */
void
gst_p2p_sctp_receive (GstP2pSctp * sctp, const guint8 * buf, gsize len)
{
  if (!sctp->sock || (sctp->state != GST_P2P_SCTP_STATE_CONNECTING
          && sctp->state != GST_P2P_SCTP_STATE_CONNECTED))
    return;
  /* usrsctp validates the packet (verification tag, bounds); the CRC is
   * offloaded to DTLS's integrity check. */
  usrsctp_conninput (sctp, buf, len, 0);
  process (sctp);
}

gboolean
gst_p2p_sctp_open_stream (GstP2pSctp * sctp, guint stream, GError ** error)
{
  if (stream >= sctp->config.n_streams) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "stream %u out of range (%u streams)", stream, sctp->config.n_streams);
    return FALSE;
  }
  if (sctp->streams[stream].closing) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PENDING,
        "stream %u is still closing", stream);
    return FALSE;
  }
  sctp->streams[stream].open = TRUE;
  return TRUE;
}

/**
 * gst_p2p_sctp_send:
 * @message: the whole message; a reference is kept until it is sent
 *
 * Queues @message on @stream (opening it). Refuses with
 * G_IO_ERROR_WOULD_BLOCK when the backlog would exceed max-buffered; the
 * writable callback tells when to retry.
 */
gboolean
gst_p2p_sctp_send (GstP2pSctp * sctp, guint stream, GBytes * message,
    GError ** error)
{
  gsize len = g_bytes_get_size (message);
  Stream *s;

  if (sctp->state != GST_P2P_SCTP_STATE_CONNECTED) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
        "SCTP association is not up");
    return FALSE;
  }
  if (len > sctp->config.max_message) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
        "message of %" G_GSIZE_FORMAT " bytes exceeds %" G_GSIZE_FORMAT,
        len, sctp->config.max_message);
    return FALSE;
  }
  if (!gst_p2p_sctp_open_stream (sctp, stream, error))
    return FALSE;
  /* An idle link takes any message up to max-message. */
  if (sctp->buffered > 0 && sctp->buffered + len > sctp->config.max_buffered) {
    sctp->want_writable = TRUE;
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
        "%" G_GSIZE_FORMAT " bytes already buffered", sctp->buffered);
    return FALSE;
  }

  s = &sctp->streams[stream];
  g_queue_push_tail (&s->messages, g_bytes_ref (message));
  sctp->buffered += len;
  if (!s->in_rr) {
    s->in_rr = TRUE;
    g_queue_push_tail (&sctp->rr, GUINT_TO_POINTER (stream));
  }
  pump (sctp);
  flush_output (sctp);
  return TRUE;
}

/**
 * gst_p2p_sctp_close_stream:
 *
 * Resets the outgoing side of @stream once what is queued on it is sent;
 * the peer sees stream_closed.
 */
gboolean
gst_p2p_sctp_close_stream (GstP2pSctp * sctp, guint stream)
{
  Stream *s;

  if (stream >= sctp->config.n_streams)
    return FALSE;
  s = &sctp->streams[stream];
  if (!s->open || s->closing)
    return FALSE;
  s->closing = TRUE;
  sctp->n_closing++;
  pump (sctp);
  flush_output (sctp);
  return TRUE;
}

gsize
gst_p2p_sctp_get_buffered (GstP2pSctp * sctp)
{
  return sctp->buffered;
}

/**
 * gst_p2p_sctp_get_unacked:
 *
 * Bytes sent but not acknowledged by the peer yet: our own backlog plus
 * what usrsctp holds (its chunk counts times the fragmentation point, an
 * upper bound). What a sender that wants to pace by delivery looks at.
 */
gsize
gst_p2p_sctp_get_unacked (GstP2pSctp * sctp)
{
  struct sctp_status st;
  socklen_t len = sizeof (st);

  if (!sctp->sock || sctp->state != GST_P2P_SCTP_STATE_CONNECTED)
    return sctp->buffered;
  memset (&st, 0, sizeof (st));
  if (usrsctp_getsockopt (sctp->sock, IPPROTO_SCTP, SCTP_STATUS, &st, &len) < 0)
    return sctp->buffered;
  return sctp->buffered + ((gsize) st.sstat_unackdata + st.sstat_penddata) *
      MAX (st.sstat_fragmentation_point, 1);
}

/**
 * gst_p2p_sctp_abort:
 *
 * Aborts the association (the peer learns at once if the ABORT gets
 * through) and moves to CLOSED.
 */
void
gst_p2p_sctp_abort (GstP2pSctp * sctp)
{
  if (sctp->sock) {
    usrsctp_set_upcall (sctp->sock, NULL, NULL);
    usrsctp_close (sctp->sock);
    sctp->sock = NULL;
    flush_output (sctp);
  }
  set_state (sctp, GST_P2P_SCTP_STATE_CLOSED, "closed locally");
}

GstP2pSctpState
gst_p2p_sctp_get_state (GstP2pSctp * sctp)
{
  return sctp->state;
}

void
gst_p2p_sctp_get_stats (GstP2pSctp * sctp, GstP2pSctpStats * stats)
{
  *stats = sctp->stats;
}
