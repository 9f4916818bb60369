/* p2p-lab-delay: a user-space delay line for the lab's peer traffic.
 *
 * This kernel has no netem, so the lab's router ("core" namespace) steers
 * UDP packets forwarded between viewers into a TUN device (a fwmark and a
 * routing table, see tests/lab/lab.py). This program reads each IPv4 packet
 * from the TUN, holds it for d(src) + d(dst) — the one-way delays of the
 * sender's and the receiver's access links — and writes it back into the
 * TUN, from where the kernel routes it to the receiver. Packets are real:
 * ICE, DTLS and SCTP see a real path with that delay (and the upload caps
 * of htb on each viewer's egress). Optional random loss drops a packet the
 * way a router would (never with a send error at the sender).
 *
 * Delays: a file of "ADDRESS MILLISECONDS" lines, addresses in 10.0.0.0/8
 * (indexed by their low 16 bits). Unknown addresses have no delay.
 *
 * Single thread: poll() on the TUN with the next release time as timeout,
 * a binary heap of queued packets ordered by release time (then arrival).
 * Bounded: at most --max-queue packets are held, more are dropped and
 * counted. SIGTERM/SIGINT print the counters as one JSON line and exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_PACKET 2048

typedef struct
{
  uint64_t release;             /* monotonic µs */
  uint64_t seq;
  uint16_t len;
  unsigned char *data;
} Packet;

static Packet *heap;
static size_t heap_len, heap_cap;
static unsigned char **pool;
static size_t pool_len;
static uint32_t delay_us[65536];
static volatile sig_atomic_t stop;

static struct
{
  uint64_t packets, bytes, delayed, dropped_queue, dropped_loss, not_ipv4;
  uint64_t max_queue, write_errors;
} stats;

static uint64_t
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
before (const Packet * a, const Packet * b)
{
  return a->release < b->release || (a->release == b->release
      && a->seq < b->seq);
}

static void
heap_push (Packet p)
{
  size_t i = heap_len++;

  while (i > 0) {
    size_t parent = (i - 1) / 2;

    if (!before (&p, &heap[parent]))
      break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = p;
}

static Packet
heap_pop (void)
{
  Packet top = heap[0], last = heap[--heap_len];
  size_t i = 0;

  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    const Packet *best = &last;

    if (l < heap_len && before (&heap[l], best)) {
      m = l;
      best = &heap[l];
    }
    if (r < heap_len && before (&heap[r], best))
      m = r;
    if (m == i)
      break;
    heap[i] = heap[m];
    i = m;
  }
  if (heap_len > 0)
    heap[i] = last;
  return top;
}

static uint32_t
addr_delay (const unsigned char *a)
{
  if (a[0] != 10)
    return 0;
  return delay_us[(a[2] << 8) | a[3]];
}

static int
load_delays (const char *path)
{
  FILE *f = fopen (path, "r");
  char line[256];

  if (!f) {
    perror (path);
    return -1;
  }
  while (fgets (line, sizeof (line), f)) {
    unsigned a, b, c, d;
    double ms;

    if (sscanf (line, "%u.%u.%u.%u %lf", &a, &b, &c, &d, &ms) != 5)
      continue;
    if (a != 10 || b > 255 || c > 255 || d > 255 || ms < 0 || ms > 10000)
      continue;
    delay_us[(c << 8) | d] = (uint32_t) (ms * 1000);
  }
  fclose (f);
  return 0;
}

static void
on_signal (int sig)
{
  stop = 1;
}

static void
usage (void)
{
  fprintf (stderr, "usage: p2p-lab-delay --tun NAME --delays FILE "
      "[--loss PERCENT] [--max-queue PACKETS] [--seed N]\n");
  exit (2);
}

int
main (int argc, char **argv)
{
  const char *tun = NULL, *delays = NULL;
  double loss = 0;
  size_t max_queue = 20000;
  unsigned seed = 1;
  struct ifreq ifr;
  struct sigaction sa;
  uint64_t seq = 0;
  int fd, i;

  for (i = 1; i < argc; i++) {
    if (i + 1 >= argc)
      usage ();
    if (!strcmp (argv[i], "--tun"))
      tun = argv[++i];
    else if (!strcmp (argv[i], "--delays"))
      delays = argv[++i];
    else if (!strcmp (argv[i], "--loss"))
      loss = atof (argv[++i]) / 100.0;
    else if (!strcmp (argv[i], "--max-queue"))
      max_queue = strtoul (argv[++i], NULL, 10);
    else if (!strcmp (argv[i], "--seed"))
      seed = strtoul (argv[++i], NULL, 10);
    else
      usage ();
  }
  if (!tun || !delays || max_queue < 1 || max_queue > 1000000
      || strlen (tun) >= IFNAMSIZ)
    usage ();
  if (load_delays (delays) < 0)
    return 1;
  srandom (seed);

  fd = open ("/dev/net/tun", O_RDWR | O_NONBLOCK);
  if (fd < 0) {
    perror ("/dev/net/tun");
    return 1;
  }
  memset (&ifr, 0, sizeof (ifr));
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy (ifr.ifr_name, tun, IFNAMSIZ - 1);
  if (ioctl (fd, TUNSETIFF, &ifr) < 0) {
    perror ("TUNSETIFF");
    return 1;
  }

  heap_cap = max_queue;
  heap = calloc (heap_cap, sizeof (Packet));
  pool = calloc (heap_cap + 1, sizeof (unsigned char *));
  if (!heap || !pool)
    return 1;

  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = on_signal;
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  printf ("{\"event\":\"ready\",\"tun\":\"%s\"}\n", tun);
  fflush (stdout);

  while (!stop) {
    struct pollfd pfd = { fd, POLLIN, 0 };
    uint64_t now = now_us ();
    int timeout = -1, n;

    /* release what is due */
    while (heap_len > 0 && heap[0].release <= now) {
      Packet p = heap_pop ();

      if (write (fd, p.data, p.len) < 0)
        stats.write_errors++;
      pool[pool_len++] = p.data;
    }
    if (heap_len > 0)
      timeout = (int) ((heap[0].release - now + 999) / 1000);

    n = poll (&pfd, 1, timeout);
    if (n < 0 && errno != EINTR)
      break;
    if (n <= 0 || !(pfd.revents & POLLIN))
      continue;

    /* take everything that is waiting */
    for (;;) {
      unsigned char *buf;
      ssize_t len;
      Packet p;

      buf = pool_len ? pool[--pool_len] : malloc (MAX_PACKET);
      if (!buf)
        return 1;
      len = read (fd, buf, MAX_PACKET);
      if (len <= 0) {
        pool[pool_len++] = buf;
        break;
      }
      stats.packets++;
      stats.bytes += len;
      if (len < 20 || (buf[0] >> 4) != 4) {
        stats.not_ipv4++;       /* only IPv4 is routed here */
        pool[pool_len++] = buf;
        continue;
      }
      if (loss > 0 && random () < loss * RAND_MAX) {
        stats.dropped_loss++;
        pool[pool_len++] = buf;
        continue;
      }
      if (heap_len >= heap_cap) {
        stats.dropped_queue++;
        pool[pool_len++] = buf;
        continue;
      }
      p.release = now_us () + addr_delay (buf + 12) + addr_delay (buf + 16);
      p.seq = seq++;
      p.len = (uint16_t) len;
      p.data = buf;
      heap_push (p);
      stats.delayed++;
      if (heap_len > stats.max_queue)
        stats.max_queue = heap_len;
    }
  }

  printf ("{\"event\":\"stats\",\"packets\":%llu,\"bytes\":%llu,"
      "\"delayed\":%llu,\"dropped_queue\":%llu,\"dropped_loss\":%llu,"
      "\"not_ipv4\":%llu,\"max_queue\":%llu,\"write_errors\":%llu}\n",
      (unsigned long long) stats.packets, (unsigned long long) stats.bytes,
      (unsigned long long) stats.delayed,
      (unsigned long long) stats.dropped_queue,
      (unsigned long long) stats.dropped_loss,
      (unsigned long long) stats.not_ipv4,
      (unsigned long long) stats.max_queue,
      (unsigned long long) stats.write_errors);
  fflush (stdout);
  close (fd);
  return 0;
}
