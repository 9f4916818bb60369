/* p2p-link-bench: goodput and CPU per byte of one GstP2pLink (ICE + DTLS +
 * SCTP) against kernel TCP over the same path, in the same run.
 *
 * Paths:
 *  - loopback: both ends on 127.0.0.1.
 *  - emulated (root only): two network namespaces joined by a TUN device
 *    each; a thread of this program moves IP packets between the two TUN
 *    fds with a fixed one-way delay and random loss. TCP and the link's UDP
 *    go through the very same packet-level emulation, so the TCP figure is
 *    a real kernel TCP (CUBIC, SACK) over the same RTT and loss.
 *
 * Baselines measured in the same run: kernel TCP with the system's
 * congestion control (bbr on these machines) and with cubic (loss-based,
 * the same family as SCTP's), and on loopback raw 1200-byte UDP datagrams
 * (one send()/recv() each, no congestion control): the ceiling of any
 * transport moving one MTU-sized datagram per system call. --rate adds a
 * FIFO bottleneck with a tail-drop queue to the emulated path (residential
 * uplinks). The link rows also count SCTP retransmissions and drops in
 * each layer.
 *
 * Each case runs for --seconds; goodput counts payload bytes the receiver
 * got in that window (slow start included, for both). CPU is the process's
 * user+sys time over the window minus the emulator thread's: the two
 * endpoints' threads plus usrsctp's timer thread (for TCP, softirq work
 * the kernel does not charge to us is missing, which favours TCP).
 *
 * Threads: each end runs in its own thread (its own GMainContext for the
 * link, entered into its namespace with setns() before any socket exists).
 */
#define _GNU_SOURCE
#include <gst/gst.h>
#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "gstp2p.h"
#include "transport/gstp2plink.h"

#include <usrsctp.h>

static gint seconds = 5;
static gint rtt_ms = 50;
static gdouble loss_pct = 0.5;
static gboolean skip_emulated, skip_loopback;
static gchar *ns_prefix;
static gdouble rate_mbit;       /* 0: no bottleneck */
static gint queue_ms = 50;
static gint runs = 1;
static gint link_mtu;
static gchar *tcp_ccs;
static gboolean no_tcp, no_udp;

/* ---- CPU accounting --------------------------------------------------- */

static gdouble
tv_s (struct timeval tv)
{
  return tv.tv_sec + tv.tv_usec / 1e6;
}

static gdouble
cpu_self (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return tv_s (ru.ru_utime) + tv_s (ru.ru_stime);
}

static gdouble
cpu_thread (void)
{
  struct rusage ru;
  getrusage (RUSAGE_THREAD, &ru);
  return tv_s (ru.ru_utime) + tv_s (ru.ru_stime);
}

/* ---- the packet emulator ---------------------------------------------- */

typedef struct
{
  gint64 due;
  gsize len;
  guint8 data[2048];
} Pkt;

typedef struct
{
  gint fd[2];                   /* tun in ns A, tun in ns B */
  GQueue q[2];                  /* packets read from fd[i], for fd[1-i] */
  gint64 one_way_us;
  guint32 loss_ppm;
  gdouble rate_bps;             /* bottleneck each way, 0: none */
  gint64 queue_us;              /* tail-drop when the queue exceeds this */
  gint64 busy_until[2];         /* when the bottleneck finishes the queue */
  guint64 queue_drops;
  gint stop;
  gint64 cpu_us;                /* this thread's CPU, updated as it runs */
  guint64 dropped, forwarded, forwarded_bytes, max_len;
  GRand *rand;
} Emu;

#define EMU_QUEUE_MAX 20000

static gpointer
emu_thread (gpointer data)
{
  Emu *e = data;
  struct pollfd pfd[2];
  gint64 last_cpu = 0;

  pfd[0].fd = e->fd[0];
  pfd[1].fd = e->fd[1];
  pfd[0].events = pfd[1].events = POLLIN;
  while (!g_atomic_int_get (&e->stop)) {
    gint64 now = g_get_monotonic_time (), next = now + 100000;
    gint i, timeout;

    for (i = 0; i < 2; i++) {
      Pkt *p;
      while ((p = g_queue_peek_head (&e->q[i])) && p->due <= now) {
        if (write (e->fd[1 - i], p->data, p->len) < 0)
          e->dropped++;
        else {
          e->forwarded++;
          e->forwarded_bytes += p->len;
          e->max_len = MAX (e->max_len, p->len);
        }
        g_free (g_queue_pop_head (&e->q[i]));
      }
      if (p && p->due < next)
        next = p->due;
    }
    timeout = (next - now + 999) / 1000;
    if (poll (pfd, 2, MAX (timeout, 0)) > 0) {
      now = g_get_monotonic_time ();
      for (i = 0; i < 2; i++) {
        gint n;
        if (!(pfd[i].revents & POLLIN))
          continue;
        /* drain what is there */
        for (n = 0; n < 64; n++) {
          Pkt *p = g_new (Pkt, 1);
          gssize r = read (e->fd[i], p->data, sizeof (p->data));
          if (r <= 0) {
            g_free (p);
            break;
          }
          if (g_rand_int_range (e->rand, 0, 1000000) < (gint32) e->loss_ppm
              || g_queue_get_length (&e->q[i]) >= EMU_QUEUE_MAX) {
            e->dropped++;
            g_free (p);
            continue;
          }
          p->len = r;
          p->due = now + e->one_way_us;
          if (e->rate_bps > 0) {
            /* a FIFO bottleneck with a tail-drop queue of queue_us, then
             * the propagation delay */
            gint64 start = MAX (now, e->busy_until[i]);
            if (start - now > e->queue_us) {
              e->queue_drops++;
              g_free (p);
              continue;
            }
            e->busy_until[i] = start + (gint64) (r * 8 * 1e6 / e->rate_bps);
            p->due = e->busy_until[i] + e->one_way_us;
          }
          g_queue_push_tail (&e->q[i], p);
        }
      }
    }
    if (g_get_monotonic_time () - last_cpu > 50000) {
      last_cpu = g_get_monotonic_time ();
      g_atomic_pointer_set (&e->cpu_us, (gint64) (cpu_thread () * 1e6));
    }
  }
  g_atomic_pointer_set (&e->cpu_us, (gint64) (cpu_thread () * 1e6));
  return NULL;
}

static gint
enter_ns (const gchar * ns)
{
  gchar *path = g_strdup_printf ("/var/run/netns/%s", ns);
  gint fd = open (path, O_RDONLY);
  gint ret;

  g_free (path);
  if (fd < 0)
    return -1;
  /* affects only the calling thread */
  ret = setns (fd, CLONE_NEWNET);
  close (fd);
  return ret;
}

static gint
tun_in_ns (const gchar * ns)
{
  gint self = open ("/proc/thread-self/ns/net", O_RDONLY);
  struct ifreq ifr;
  gint fd = -1;

  if (self < 0 || enter_ns (ns) < 0)
    goto out;
  fd = open ("/dev/net/tun", O_RDWR | O_NONBLOCK);
  if (fd >= 0) {
    memset (&ifr, 0, sizeof (ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    g_strlcpy (ifr.ifr_name, "tun0", IFNAMSIZ);
    if (ioctl (fd, TUNSETIFF, &ifr) < 0) {
      close (fd);
      fd = -1;
    }
  }
  setns (self, CLONE_NEWNET);
out:
  if (self >= 0)
    close (self);
  return fd;
}

static gboolean
sh (const gchar * cmd)
{
  gint status;
  gchar *out = NULL, *err = NULL;
  gboolean ok;

  /* output swallowed: removing a namespace that is not there is normal */
  ok = g_spawn_command_line_sync (cmd, &out, &err, &status, NULL)
      && g_spawn_check_wait_status (status, NULL);
  g_free (out);
  g_free (err);
  return ok;
}

static void
emu_down (void)
{
  gchar *c;

  if (!ns_prefix)
    return;

  c = g_strdup_printf ("ip netns del %s-a", ns_prefix);
  sh (c);
  g_free (c);
  c = g_strdup_printf ("ip netns del %s-b", ns_prefix);
  sh (c);
  g_free (c);
}

static Emu *
emu_up (void)
{
  Emu *e = g_new0 (Emu, 1);
  const gchar *side[2] = { "a", "b" };
  gint i;

  emu_down ();
  for (i = 0; i < 2; i++) {
    gchar *ns = g_strdup_printf ("%s-%s", ns_prefix, side[i]);
    gchar *c = g_strdup_printf ("ip netns add %s", ns);
    if (!sh (c)) {
      g_printerr ("cannot create network namespaces (root needed)\n");
      return NULL;
    }
    g_free (c);
    e->fd[i] = tun_in_ns (ns);
    if (e->fd[i] < 0) {
      g_printerr ("cannot create a TUN device in %s\n", ns);
      return NULL;
    }
    c = g_strdup_printf ("sh -c 'ip -n %s link set lo up && "
        "ip -n %s addr add 10.77.0.%d peer 10.77.0.%d dev tun0 && "
        "ip -n %s link set tun0 up'", ns, ns, i + 1, 2 - i, ns);
    if (!sh (c)) {
      g_printerr ("cannot configure %s\n", ns);
      return NULL;
    }
    g_free (c);
    g_free (ns);
  }
  e->one_way_us = rtt_ms * 1000 / 2;
  e->loss_ppm = loss_pct * 10000;
  e->rate_bps = rate_mbit * 1e6;
  e->queue_us = (gint64) queue_ms *1000;
  e->rand = g_rand_new_with_seed (42);
  g_thread_unref (g_thread_new ("emu", emu_thread, e));
  return e;
}

/* ---- TCP -------------------------------------------------------------- */

typedef struct
{
  const gchar *ns;
  const gchar *addr;
  const gchar *cc;              /* NULL: the system default */
  gint port;
  gint stop;
  guint64 received;
  gint listen_fd;
} Tcp;

static gpointer
tcp_receiver (gpointer data)
{
  Tcp *t = data;
  gint fd = accept (t->listen_fd, NULL, NULL);
  guint8 *buf = g_malloc (256 * 1024);

  while (fd >= 0) {
    gssize n = read (fd, buf, 256 * 1024);
    if (n <= 0)
      break;
    g_atomic_pointer_add (&t->received, n);
  }
  if (fd >= 0)
    close (fd);
  g_free (buf);
  return NULL;
}

static gpointer
tcp_sender (gpointer data)
{
  Tcp *t = data;
  struct sockaddr_in sa = { 0 };
  guint8 *buf = g_malloc0 (256 * 1024);
  gint fd;

  if (t->ns && t->ns[0])
    enter_ns (t->ns);
  fd = socket (AF_INET, SOCK_STREAM, 0);
  if (t->cc && setsockopt (fd, IPPROTO_TCP, TCP_CONGESTION, t->cc,
          strlen (t->cc)) < 0)
    g_printerr ("TCP_CONGESTION %s: %s\n", t->cc, g_strerror (errno));
  sa.sin_family = AF_INET;
  sa.sin_port = htons (t->port);
  inet_pton (AF_INET, t->addr, &sa.sin_addr);
  if (connect (fd, (struct sockaddr *) &sa, sizeof (sa)) < 0) {
    g_printerr ("TCP connect: %s\n", g_strerror (errno));
    close (fd);
    g_free (buf);
    return NULL;
  }
  while (!g_atomic_int_get (&t->stop)) {
    if (write (fd, buf, 256 * 1024) < 0)
      break;
  }
  {
    struct tcp_info ti;
    socklen_t tl = sizeof (ti);
    if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0)
      g_printerr ("  TCP %s: mss %u cwnd %u ssthresh %u rtt %u us retrans %u"
          "\n", t->cc ? t->cc : "(default)", ti.tcpi_snd_mss, ti.tcpi_snd_cwnd,
          ti.tcpi_snd_ssthresh, ti.tcpi_rtt, ti.tcpi_total_retrans);
  }
  shutdown (fd, SHUT_RDWR);
  close (fd);
  g_free (buf);
  return NULL;
}

static gdouble
run_tcp (const gchar * ns_a, const gchar * ns_b, const gchar * addr_b,
    const gchar * cc, gdouble * cpu, Emu * emu)
{
  Tcp t = { 0 };
  struct sockaddr_in sa = { 0 };
  gint one = 1;
  GThread *rx, *tx;
  gdouble c0, e0 = 0;
  guint64 got;
  socklen_t len = sizeof (sa);
  gint self = open ("/proc/thread-self/ns/net", O_RDONLY);

  /* the listener is created inside B's namespace, then we come back */
  if (ns_b)
    enter_ns (ns_b);
  t.listen_fd = socket (AF_INET, SOCK_STREAM, 0);
  setsockopt (t.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  sa.sin_family = AF_INET;
  inet_pton (AF_INET, addr_b, &sa.sin_addr);
  bind (t.listen_fd, (struct sockaddr *) &sa, sizeof (sa));
  listen (t.listen_fd, 1);
  getsockname (t.listen_fd, (struct sockaddr *) &sa, &len);
  setns (self, CLONE_NEWNET);
  close (self);
  t.port = ntohs (sa.sin_port);
  t.addr = addr_b;
  t.ns = ns_a;
  t.cc = cc;

  rx = g_thread_new ("tcp-rx", tcp_receiver, &t);
  c0 = cpu_self ();
  if (emu)
    e0 = g_atomic_pointer_get (&emu->cpu_us) / 1e6;
  tx = g_thread_new ("tcp-tx", tcp_sender, &t);
  g_usleep (seconds * G_USEC_PER_SEC);
  got = g_atomic_pointer_get (&t.received);
  *cpu = cpu_self () - c0;
  if (emu)
    *cpu -= g_atomic_pointer_get (&emu->cpu_us) / 1e6 - e0;
  g_atomic_int_set (&t.stop, 1);
  g_thread_join (tx);
  g_thread_join (rx);
  close (t.listen_fd);
  return got;
}

/* ---- the link ---------------------------------------------------------- */

typedef struct _End End;
struct _End
{
  const gchar *ns;
  const gchar *addr;
  gboolean initiator;
  GMainContext *ctx;
  GMainLoop *loop;
  GThread *thread;
  GstP2pLink *link;
  End *other;
  gboolean sender;
  gint stop;
  guint64 received;
  gint connected;
  GMutex lock;
  GCond cond;
  gboolean ready;
  GstP2pLinkStats stats;
};

static GBytes *chunk;

static void
pump (GstP2pLink * link, End * e)
{
  while (!g_atomic_int_get (&e->stop) && gst_p2p_link_send (link, 1, chunk,
          NULL));
}

static void
on_state (GstP2pLink * link, GstP2pLinkState state, const gchar * reason,
    End * e)
{
  if (state == GST_P2P_LINK_STATE_CONNECTED)
    g_atomic_int_set (&e->connected, 1);
  else if (state == GST_P2P_LINK_STATE_FAILED)
    g_printerr ("link failed: %s\n", reason);
}

static void
on_message (GstP2pLink * link, guint stream, GBytes * msg, End * e)
{
  g_atomic_pointer_add (&e->received, g_bytes_get_size (msg));
}

typedef struct
{
  End *to;
  gchar *line;
} Line;

static gboolean
deliver (gpointer data)
{
  Line *l = data;
  gst_p2p_link_add_remote_signal (l->to->link, l->line, NULL);
  g_free (l->line);
  g_free (l);
  return G_SOURCE_REMOVE;
}

static void
on_signal (GstP2pLink * link, const gchar * line, End * e)
{
  Line *l = g_new (Line, 1);
  l->to = e->other;
  l->line = g_strdup (line);
  g_main_context_invoke (e->other->ctx, deliver, l);
}

static gpointer
end_thread (gpointer data)
{
  End *e = data;
  GstP2pLinkConfig c;
  gchar *addrs[] = { (gchar *) e->addr, NULL };

  if (e->ns)
    enter_ns (e->ns);
  g_main_context_push_thread_default (e->ctx);
  gst_p2p_link_config_init (&c);
  c.initiator = e->initiator;
  c.ice.local_addresses = g_strdupv (addrs);
  c.max_buffered = 8 << 20;
  e->link = gst_p2p_link_new (&c, e->ctx, NULL);
  gst_p2p_link_config_clear (&c);
  g_signal_connect (e->link, "local-signal", G_CALLBACK (on_signal), e);
  g_signal_connect (e->link, "state-changed", G_CALLBACK (on_state), e);
  g_signal_connect (e->link, "message", G_CALLBACK (on_message), e);
  g_signal_connect (e->link, "writable", G_CALLBACK (pump), e);
  g_mutex_lock (&e->lock);
  e->ready = TRUE;
  g_cond_signal (&e->cond);
  g_mutex_unlock (&e->lock);
  g_main_loop_run (e->loop);
  gst_p2p_link_close (e->link);
  g_object_unref (e->link);
  while (g_main_context_iteration (e->ctx, FALSE));
  g_main_context_pop_thread_default (e->ctx);
  return NULL;
}

static gboolean
start_link (gpointer data)
{
  End *e = data;
  gst_p2p_link_start (e->link, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
start_pump (gpointer data)
{
  End *e = data;
  pump (e->link, e);
  return G_SOURCE_REMOVE;
}

static gboolean
quit (gpointer data)
{
  End *e = data;
  gst_p2p_link_get_stats (e->link, &e->stats);
  g_main_loop_quit (e->loop);
  return G_SOURCE_REMOVE;
}

static gdouble
run_link (const gchar * ns_a, const gchar * ns_b, const gchar * addr_a,
    const gchar * addr_b, gdouble * cpu, Emu * emu, gint64 * connect_ms,
    struct sctpstat *s0, struct sctpstat *s1, guint64 * drops)
{
  End a = { 0 }, b = { 0 };
  End *ends[2] = { &a, &b };
  gdouble c0, e0 = 0;
  guint64 got;
  gint i;
  gint64 t0;

  a.ns = ns_a;
  a.addr = addr_a;
  a.initiator = TRUE;
  a.other = &b;
  b.ns = ns_b;
  b.addr = addr_b;
  b.other = &a;
  for (i = 0; i < 2; i++) {
    End *e = ends[i];
    e->ctx = g_main_context_new ();
    e->loop = g_main_loop_new (e->ctx, FALSE);
    g_mutex_init (&e->lock);
    g_cond_init (&e->cond);
    e->thread = g_thread_new ("end", end_thread, e);
    g_mutex_lock (&e->lock);
    while (!e->ready)
      g_cond_wait (&e->cond, &e->lock);
    g_mutex_unlock (&e->lock);
  }
  t0 = g_get_monotonic_time ();
  g_main_context_invoke (a.ctx, start_link, &a);
  g_main_context_invoke (b.ctx, start_link, &b);
  while (!g_atomic_int_get (&a.connected) || !g_atomic_int_get (&b.connected)) {
    if (g_get_monotonic_time () - t0 > 20 * G_USEC_PER_SEC) {
      g_printerr ("link did not connect\n");
      return -1;
    }
    g_usleep (1000);
  }
  *connect_ms = (g_get_monotonic_time () - t0) / 1000;

  c0 = cpu_self ();
  if (emu)
    e0 = g_atomic_pointer_get (&emu->cpu_us) / 1e6;
  /* usrsctp's counters are process-wide (both ends) and reset when the
   * stack is torn down: read them while the link is up */
  usrsctp_get_stat (s0);
  g_main_context_invoke (a.ctx, start_pump, &a);
  g_usleep (seconds * G_USEC_PER_SEC);
  got = g_atomic_pointer_get (&b.received);
  usrsctp_get_stat (s1);
  *cpu = cpu_self () - c0;
  if (emu)
    *cpu -= g_atomic_pointer_get (&emu->cpu_us) / 1e6 - e0;
  g_atomic_int_set (&a.stop, 1);
  for (i = 0; i < 2; i++) {
    g_main_context_invoke (ends[i]->ctx, quit, ends[i]);
    g_thread_join (ends[i]->thread);
    g_main_loop_unref (ends[i]->loop);
    g_main_context_unref (ends[i]->ctx);
  }
  drops[0] = a.stats.dropped_datagrams + b.stats.dropped_datagrams +
      a.stats.ice_rx_dropped + b.stats.ice_rx_dropped;
  drops[1] = a.stats.ice_send_errors + b.stats.ice_send_errors +
      a.stats.oversize_packets + b.stats.oversize_packets;
  return got;
}

/* ---- raw UDP: the ceiling of any one-datagram-per-syscall transport -- */

typedef struct
{
  gint fd;
  gint stop;
  guint64 received;
} Udp;

#define UDP_PAYLOAD 1200

static gpointer
udp_receiver (gpointer data)
{
  Udp *u = data;
  guint8 buf[2048];

  while (!g_atomic_int_get (&u->stop)) {
    gssize n = recv (u->fd, buf, sizeof (buf), 0);
    if (n > 0)
      g_atomic_pointer_add (&u->received, n);
  }
  return NULL;
}

static gpointer
udp_sender (gpointer data)
{
  Udp *u = data;
  guint8 buf[UDP_PAYLOAD] = { 0 };

  while (!g_atomic_int_get (&u->stop))
    send (u->fd, buf, sizeof (buf), 0);
  return NULL;
}

/* 1200-byte datagrams as fast as send() goes, one recv() each, no
 * congestion control: an upper bound for anything that moves one MTU-sized
 * datagram per system call (libnice does) on this machine. */
static gdouble
run_udp (gdouble * cpu)
{
  Udp rx = { 0 }, tx = { 0 };
  struct sockaddr_in sa = { 0 };
  socklen_t len = sizeof (sa);
  struct timeval tv = { 0, 100000 };
  gint buf = 4 << 20;
  GThread *r, *t;
  gdouble c0;
  guint64 got;

  rx.fd = socket (AF_INET, SOCK_DGRAM, 0);
  tx.fd = socket (AF_INET, SOCK_DGRAM, 0);
  setsockopt (rx.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof (buf));
  setsockopt (tx.fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof (buf));
  setsockopt (rx.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
  sa.sin_family = AF_INET;
  inet_pton (AF_INET, "127.0.0.1", &sa.sin_addr);
  bind (rx.fd, (struct sockaddr *) &sa, sizeof (sa));
  getsockname (rx.fd, (struct sockaddr *) &sa, &len);
  connect (tx.fd, (struct sockaddr *) &sa, sizeof (sa));

  r = g_thread_new ("udp-rx", udp_receiver, &rx);
  c0 = cpu_self ();
  t = g_thread_new ("udp-tx", udp_sender, &tx);
  g_usleep (seconds * G_USEC_PER_SEC);
  got = g_atomic_pointer_get (&rx.received);
  *cpu = cpu_self () - c0;
  g_atomic_int_set (&tx.stop, 1);
  g_atomic_int_set (&rx.stop, 1);
  g_thread_join (t);
  g_thread_join (r);
  close (rx.fd);
  close (tx.fd);
  return got;
}

/* ---- main -------------------------------------------------------------- */

static gdouble tcp_ref[2];
static gchar *tcp_ref_name[2];

static void
row (const gchar * path, const gchar * what, gdouble bytes, gdouble cpu,
    const gchar * notes)
{
  gdouble mbit = bytes * 8 / seconds / 1e6;
  gdouble cpb = bytes > 0 ? cpu / (bytes / 1048576.0) * 1000 : 0;
  gchar pct[2][32];
  gint i;

  for (i = 0; i < 2; i++) {
    if (tcp_ref[i] > 0)
      g_snprintf (pct[i], sizeof (pct[i]), "%.0f %%", 100 * bytes / tcp_ref[i]);
    else
      g_strlcpy (pct[i], "-", sizeof (pct[i]));
  }
  g_print ("| %s | %s | %.1f | %s | %s | %.2f | %s |\n", path, what, mbit,
      pct[0], pct[1], cpb, notes ? notes : "");
}

static void
tcp_rows (const gchar * path, const gchar * na, const gchar * nb,
    const gchar * addr_b, Emu * emu)
{
  const gchar *ccs[2] = { NULL, "cubic" };
  gchar **list = tcp_ccs ? g_strsplit (tcp_ccs, ",", 2) : NULL;
  gint i;

  if (list) {
    ccs[0] = list[0];
    ccs[1] = list[0] ? list[1] : NULL;
  }
  tcp_ref[0] = tcp_ref[1] = 0;
  for (i = 0; i < 2 && !no_tcp; i++) {
    gchar *label;
    gdouble cpu, got;

    if (i == 1 && !ccs[1])
      break;
    g_free (tcp_ref_name[i]);
    if (ccs[i]) {
      tcp_ref_name[i] = g_strdup (ccs[i]);
    } else {
      gchar *def = NULL;
      g_file_get_contents ("/proc/sys/net/ipv4/tcp_congestion_control", &def,
          NULL, NULL);
      tcp_ref_name[i] = g_strstrip (def ? def : g_strdup ("default"));
    }
    got = run_tcp (na, nb, addr_b, ccs[i], &cpu, emu);
    label = g_strdup_printf ("TCP %s", tcp_ref_name[i]);
    row (path, label, got, cpu, "one connection, 256 KiB writes");
    tcp_ref[i] = got;
    g_free (label);
  }
  g_strfreev (list);
}

static guint64
udp_rcvbuf_errors (void)
{
  gchar *text = NULL, **lines;
  guint64 v = 0;
  gint i, col = -1;

  if (!g_file_get_contents ("/proc/net/snmp", &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] && lines[i + 1]; i++) {
    gchar **h, **d;
    gint j;
    if (!g_str_has_prefix (lines[i], "Udp: ")
        || !g_str_has_prefix (lines[i + 1], "Udp: "))
      continue;
    h = g_strsplit (lines[i], " ", -1);
    d = g_strsplit (lines[i + 1], " ", -1);
    for (j = 0; h[j] && d[j]; j++)
      if (g_strcmp0 (h[j], "RcvbufErrors") == 0)
        col = j;
    if (col >= 0)
      v = g_ascii_strtoull (d[col], NULL, 10);
    g_strfreev (h);
    g_strfreev (d);
    break;
  }
  g_strfreev (lines);
  g_free (text);
  return v;
}

static void
link_rows (const gchar * path, const gchar * na, const gchar * nb,
    const gchar * addr_a, const gchar * addr_b, Emu * emu)
{
  gint i;

  for (i = 0; i < runs; i++) {
    struct sctpstat s0, s1;
    gdouble cpu = 0, got;
    gint64 connect_ms = 0;
    gchar *notes, *label;
    guint64 drops[2] = { 0, 0 }, rcvbuf_errors;

    memset (&s0, 0, sizeof (s0));
    memset (&s1, 0, sizeof (s1));
    rcvbuf_errors = udp_rcvbuf_errors ();
    got = run_link (na, nb, addr_a, addr_b, &cpu, emu, &connect_ms, &s0,
        &s1, drops);
    /* only meaningful in our own namespace (loopback) */
    rcvbuf_errors = udp_rcvbuf_errors () - rcvbuf_errors;
    /* usrsctp's T3 counter also ticks with nothing to resend: count
     * retransmitted chunks, and those the receiver already had */
    notes = g_strdup_printf ("connect %" G_GINT64_FORMAT " ms; SCTP both "
        "ends: %u DATA chunks, %u SACKs, %u retransmitted (%u fast, %u "
        "spurious); drops: %" G_GUINT64_FORMAT " DTLS queue, %"
        G_GUINT64_FORMAT " send, %" G_GUINT64_FORMAT " UDP RcvbufErrors%s",
        connect_ms, s1.sctps_senddata - s0.sctps_senddata,
        s1.sctps_sendsacks - s0.sctps_sendsacks,
        s1.sctps_sendretransdata - s0.sctps_sendretransdata,
        s1.sctps_sendfastretrans - s0.sctps_sendfastretrans,
        s1.sctps_recvdupdata - s0.sctps_recvdupdata, drops[0], drops[1],
        rcvbuf_errors, na ? " (root ns only)" : "");
    if (g_getenv ("P2P_BENCH_SCTP_DETAIL"))
      g_print ("  SCTP: rtx chunks %u, dup data in %u, rwnd drops %u, "
          "chunk-limit drops %u, window probes %u, sack timers %u, marked %u, "
          "fr in rtt %u, heartbeat timers %u\n",
          s1.sctps_sendretransdata - s0.sctps_sendretransdata,
          s1.sctps_recvdupdata - s0.sctps_recvdupdata,
          s1.sctps_datadroprwnd - s0.sctps_datadroprwnd,
          s1.sctps_datadropchklmt - s0.sctps_datadropchklmt,
          s1.sctps_timowindowprobe - s0.sctps_timowindowprobe,
          s1.sctps_timosack - s0.sctps_timosack,
          s1.sctps_markedretrans - s0.sctps_markedretrans,
          s1.sctps_fastretransinrtt - s0.sctps_fastretransinrtt,
          s1.sctps_timoheartbeat - s0.sctps_timoheartbeat);
    label = link_mtu ? g_strdup_printf ("link, MTU %d", link_mtu) :
        g_strdup ("link");
    row (path, label, got, cpu, notes);
    g_free (label);
    g_free (notes);
  }
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    {"seconds", 's', 0, G_OPTION_ARG_INT, &seconds, "per case", "S"},
    {"rtt", 0, 0, G_OPTION_ARG_INT, &rtt_ms, "emulated RTT", "MS"},
    {"loss", 0, 0, G_OPTION_ARG_DOUBLE, &loss_pct, "emulated loss each way",
        "PERCENT"},
    {"rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate_mbit,
        "emulated bottleneck each way (0: none)", "MBIT"},
    {"queue-ms", 0, 0, G_OPTION_ARG_INT, &queue_ms,
        "bottleneck queue before tail drop (default 50)", "MS"},
    {"tcp-cc", 0, 0, G_OPTION_ARG_STRING, &tcp_ccs,
          "TCP congestion controls to compare (default: system's,cubic)",
        "A[,B]"},
    {"no-tcp", 0, 0, G_OPTION_ARG_NONE, &no_tcp,
        "skip the TCP baselines (tuning runs)", NULL},
    {"no-udp", 0, 0, G_OPTION_ARG_NONE, &no_udp,
        "skip the raw UDP baseline", NULL},
    {"runs", 0, 0, G_OPTION_ARG_INT, &runs, "link runs per path", "N"},
    {"mtu", 0, 0, G_OPTION_ARG_INT, &link_mtu,
        "link datagram size (default: the link's, 1200)", "BYTES"},
    {"loopback-only", 0, 0, G_OPTION_ARG_NONE, &skip_emulated,
        "skip the emulated path", NULL},
    {"emulated-only", 0, 0, G_OPTION_ARG_NONE, &skip_loopback,
        "skip loopback", NULL},
    {NULL}
  };
  GOptionContext *opts = g_option_context_new ("- peer link vs TCP");
  GError *err = NULL;
  Emu *emu;

  gst_init (NULL, NULL);
  gst_p2p_init ();
  g_option_context_add_main_entries (opts, entries, NULL);
  if (!g_option_context_parse (opts, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (opts);
  chunk = g_bytes_new_take (g_malloc0 (1 << 20), 1 << 20);
  ns_prefix = g_strdup_printf ("p2pb%u", (guint) getpid () % 100000);

  g_print ("%d s per case; goodput counts payload received in the window\n\n",
      seconds);

  if (!skip_loopback) {
    gdouble cpu, got;

    g_print ("| path | sender | Mbit/s | %% of TCP row 1 | %% of TCP row 2 "
        "| CPU ms/MiB | notes |\n|---|---|---|---|---|---|---|\n");
    tcp_rows ("loopback", NULL, NULL, "127.0.0.1", NULL);
    if (!no_udp) {
      got = run_udp (&cpu);
      row ("loopback", "raw UDP, 1200 B datagrams", got, cpu,
          "send()/recv() per datagram, no congestion control");
    }
    link_rows ("loopback", NULL, NULL, "127.0.0.1", "127.0.0.1", NULL);
    g_print ("\n");
  }

  if (skip_emulated)
    return 0;
  if (geteuid () != 0) {
    g_print ("(emulated path skipped: needs root for namespaces and TUN)\n");
    return 0;
  }
  emu = emu_up ();
  if (!emu) {
    emu_down ();
    return 1;
  }
  {
    gchar *na = g_strdup_printf ("%s-a", ns_prefix);
    gchar *nb = g_strdup_printf ("%s-b", ns_prefix);
    gchar *label, *rate;

    rate = rate_mbit > 0 ? g_strdup_printf (", %.0f Mbit/s bottleneck "
        "(%d ms queue)", rate_mbit, queue_ms) : g_strdup ("");
    label = g_strdup_printf ("RTT %d ms, loss %.1f %% each way%s", rtt_ms,
        loss_pct, rate);
    g_print ("| path | sender | Mbit/s | %% of TCP row 1 | %% of TCP row 2 "
        "| CPU ms/MiB | notes |\n|---|---|---|---|---|---|---|\n");
    tcp_rows (label, na, nb, "10.77.0.2", emu);
    link_rows (label, na, nb, "10.77.0.1", "10.77.0.2", emu);
    g_print ("\nemulator: %" G_GUINT64_FORMAT " packets forwarded (%"
        G_GUINT64_FORMAT " bytes, largest %" G_GUINT64_FORMAT "), %"
        G_GUINT64_FORMAT " dropped at random, %" G_GUINT64_FORMAT
        " by the bottleneck queue\n", emu->forwarded, emu->forwarded_bytes,
        emu->max_len, emu->dropped, emu->queue_drops);
    g_atomic_int_set (&emu->stop, 1);
    g_free (na);
    g_free (nb);
    g_free (label);
    g_free (rate);
  }
  g_usleep (200000);
  emu_down ();
  return 0;
}
