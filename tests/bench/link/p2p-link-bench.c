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

static gint seconds = 5;
static gint rtt_ms = 50;
static gdouble loss_pct = 0.5;
static gboolean skip_emulated, skip_loopback;
static gchar *ns_prefix;

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
  gint stop;
  gint64 cpu_us;                /* this thread's CPU, updated as it runs */
  guint64 dropped, forwarded;
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
        else
          e->forwarded++;
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
  if (!g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
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
  e->rand = g_rand_new_with_seed (42);
  g_thread_unref (g_thread_new ("emu", emu_thread, e));
  return e;
}

/* ---- TCP -------------------------------------------------------------- */

typedef struct
{
  const gchar *ns;
  const gchar *addr;
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
  shutdown (fd, SHUT_RDWR);
  close (fd);
  g_free (buf);
  return NULL;
}

static gdouble
run_tcp (const gchar * ns_a, const gchar * ns_b, const gchar * addr_b,
    gdouble * cpu, Emu * emu)
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
  g_main_loop_quit (e->loop);
  return G_SOURCE_REMOVE;
}

static gdouble
run_link (const gchar * ns_a, const gchar * ns_b, const gchar * addr_a,
    const gchar * addr_b, gdouble * cpu, Emu * emu, gint64 * connect_ms)
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
  g_main_context_invoke (a.ctx, start_pump, &a);
  g_usleep (seconds * G_USEC_PER_SEC);
  got = g_atomic_pointer_get (&b.received);
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
  return got;
}

/* ---- main -------------------------------------------------------------- */

static void
row (const gchar * path, gdouble tcp, gdouble tcp_cpu, gdouble lnk,
    gdouble lnk_cpu, gint64 connect_ms)
{
  gdouble mbit_t = tcp * 8 / seconds / 1e6, mbit_l = lnk * 8 / seconds / 1e6;
  gdouble cpb_t = tcp > 0 ? tcp_cpu / (tcp / 1048576.0) * 1000 : 0;
  gdouble cpb_l = lnk > 0 ? lnk_cpu / (lnk / 1048576.0) * 1000 : 0;

  g_print ("| %s | %.1f | %.1f | %.0f %% | %.2f | %.2f | %.1fx | %"
      G_GINT64_FORMAT " |\n", path, mbit_t, mbit_l,
      tcp > 0 ? 100 * lnk / tcp : 0, cpb_t, cpb_l, cpb_t > 0 ? cpb_l / cpb_t :
      0, connect_ms);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    {"seconds", 's', 0, G_OPTION_ARG_INT, &seconds, "per case", "S"},
    {"rtt", 0, 0, G_OPTION_ARG_INT, &rtt_ms, "emulated RTT", "MS"},
    {"loss", 0, 0, G_OPTION_ARG_DOUBLE, &loss_pct, "emulated loss each way",
        "PERCENT"},
    {"loopback-only", 0, 0, G_OPTION_ARG_NONE, &skip_emulated,
        "skip the emulated path", NULL},
    {"emulated-only", 0, 0, G_OPTION_ARG_NONE, &skip_loopback,
        "skip loopback", NULL},
    {NULL}
  };
  GOptionContext *opts = g_option_context_new ("- peer link vs TCP");
  GError *err = NULL;
  gdouble tcp, tcp_cpu, lnk, lnk_cpu;
  gint64 connect_ms = 0;
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
  g_print ("| path | TCP Mbit/s | link Mbit/s | link/TCP | TCP CPU ms/MiB "
      "| link CPU ms/MiB | CPU ratio | link connect ms |\n");
  g_print ("|---|---|---|---|---|---|---|---|\n");

  if (!skip_loopback) {
    tcp = run_tcp (NULL, NULL, "127.0.0.1", &tcp_cpu, NULL);
    lnk = run_link (NULL, NULL, "127.0.0.1", "127.0.0.1", &lnk_cpu, NULL,
        &connect_ms);
    row ("loopback", tcp, tcp_cpu, lnk, lnk_cpu, connect_ms);
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
    gchar *label = g_strdup_printf ("RTT %d ms, loss %.1f %% each way",
        rtt_ms, loss_pct);

    tcp = run_tcp (na, nb, "10.77.0.2", &tcp_cpu, emu);
    lnk = run_link (na, nb, "10.77.0.1", "10.77.0.2", &lnk_cpu, emu,
        &connect_ms);
    row (label, tcp, tcp_cpu, lnk, lnk_cpu, connect_ms);
    g_print ("\nemulator: %" G_GUINT64_FORMAT " packets forwarded, %"
        G_GUINT64_FORMAT " dropped\n", emu->forwarded, emu->dropped);
    g_atomic_int_set (&emu->stop, 1);
    g_free (na);
    g_free (nb);
    g_free (label);
  }
  g_usleep (200000);
  emu_down ();
  return 0;
}
