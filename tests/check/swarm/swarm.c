/* Swarm tests: viewers join the real gst-p2p-tracker on 127.0.0.1, link to
 * each other through it (ICE, DTLS, SCTP over loopback), and exchange
 * multi-megabyte segments byte-exactly; failures, hostile peers and
 * refused tokens.
 *
 * Threads: swarms live on the GstP2pLoop network thread; the test thread
 * drives them through swarmtest.h and waits with deadlines.
 */
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <gst/check/gstcheck.h>

#include "net/gstp2ploop.h"
#include "signalling/gstp2ptrackerclient.h"
#include "swarmtest.h"
#include "trackertest.h"

#define MIB (1024 * 1024)

static TestTracker *
start_tracker (gboolean with_secret)
{
  TestTracker *t = test_tracker_new (NULL, with_secret);

  fail_unless (test_tracker_start (t), "tracker did not start");
  return t;
}

/* Every viewer puts its own segment, then fetches everyone else's. */
static void
exchange (TestViewer ** v, guint n, gsize size, guint timeout_ms)
{
  GBytes **blobs = g_new0 (GBytes *, n);
  gint64 t0;
  guint i, j;

  for (i = 0; i < n; i++)
    fail_unless (test_viewer_wait_peers (v[i], n - 1, 20000),
        "viewer %u did not link to %u peers", i, n - 1);
  for (i = 0; i < n; i++) {
    blobs[i] = test_blob (1000 + i, size + i * 4099);
    test_viewer_put (v[i], 1000 + i, blobs[i]);
  }
  t0 = g_get_monotonic_time ();
  for (i = 0; i < n; i++)
    for (j = 0; j < n; j++)
      if (i != j)
        test_viewer_get (v[i], 1000 + j, timeout_ms, NULL);
  for (i = 0; i < n; i++) {
    for (j = 0; j < n; j++) {
      GBytes *got = NULL;
      gchar *err = NULL;

      if (i == j)
        continue;
      fail_unless (test_viewer_wait_get (v[i], 1000 + j, timeout_ms + 5000,
              &got, &err), "get did not end");
      fail_unless (got != NULL, "viewer %u could not get segment of %u: %s",
          i, j, err);
      fail_unless (g_bytes_equal (got, blobs[j]),
          "viewer %u got different bytes for segment of %u", i, j);
      g_bytes_unref (got);
      g_free (err);
    }
  }
  GST_INFO ("%u viewers exchanged %u segments of ~%" G_GSIZE_FORMAT
      " bytes in %" G_GINT64_FORMAT " ms", n, n * (n - 1), size,
      (g_get_monotonic_time () - t0) / 1000);
  for (i = 0; i < n; i++) {
    GstP2pSwarmStats s;

    test_viewer_stats (v[i], &s);
    fail_unless (s.bytes_from_peers >= (n - 1) * size);
    fail_unless_equals_int (s.protocol_errors, 0);
    fail_unless_equals_int (s.bans, 0);
    g_bytes_unref (blobs[i]);
  }
  g_free (blobs);
}


/* ---- viewers in other processes (swarm-viewer) ------------------------ */

typedef struct
{
  GSubprocess *proc;
  GOutputStream *in;
  GAsyncQueue *lines;
  GThread *reader;
  gchar *id;
} Child;

static gpointer
child_reader (gpointer data)
{
  Child *c = data;
  GDataInputStream *out =
      g_data_input_stream_new (g_subprocess_get_stdout_pipe (c->proc));
  gchar *line;

  while ((line = g_data_input_stream_read_line (out, NULL, NULL, NULL)))
    g_async_queue_push (c->lines, line);
  g_async_queue_push (c->lines, g_strdup ("eof"));
  g_object_unref (out);
  return NULL;
}

static void
child_say (Child * c, const gchar * format, ...)
{
  va_list args;
  gchar *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fail_unless (g_output_stream_write_all (c->in, text, strlen (text), NULL,
          NULL, NULL));
  g_output_stream_write_all (c->in, "\n", 1, NULL, NULL, NULL);
  g_output_stream_flush (c->in, NULL, NULL);
  g_free (text);
}

/* The next line starting with @prefix; other lines are logged and skipped.
 * NULL on timeout or exit. */
static gchar *
child_expect (Child * c, const gchar * prefix, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000LL;

  for (;;) {
    gint64 left = deadline - g_get_monotonic_time ();
    gchar *line;

    if (left <= 0)
      return NULL;
    line = g_async_queue_timeout_pop (c->lines, left);
    if (!line)
      return NULL;
    if (g_str_has_prefix (line, prefix))
      return line;
    GST_INFO ("child: %s", line);
    if (strcmp (line, "eof") == 0) {
      g_free (line);
      return NULL;
    }
    g_free (line);
  }
}

static void
wait_done (GObject * src, GAsyncResult * res, gpointer data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (src), res, NULL);
  *(gboolean *) data = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
wait_exit (GSubprocess * proc, guint timeout_ms)
{
  gboolean done = FALSE;

  g_subprocess_wait_async (proc, NULL, wait_done, &done);
  return test_spin_until (is_true, &done, timeout_ms);
}

static Child *
child_spawn (const gchar * url, const gchar * swarm, const gchar * extra1,
    const gchar * extra2)
{
  Child *c = g_new0 (Child, 1);
  const gchar *argv[] = { SWARM_VIEWER_PATH, "--tracker", url, "--swarm",
    swarm, extra1, extra2, NULL
  };
  GError *err = NULL;
  gchar *line;

  c->proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
      G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err);
  fail_unless (c->proc != NULL, "spawn: %s", err ? err->message : "");
  c->in = g_subprocess_get_stdin_pipe (c->proc);
  c->lines = g_async_queue_new_full (g_free);
  c->reader = g_thread_new ("child-reader", child_reader, c);
  line = child_expect (c, "joined ", 10000);
  fail_unless (line != NULL, "viewer process did not join");
  c->id = g_strdup (line + 7);
  g_free (line);
  return c;
}

static void
child_free (Child * c)
{
  if (g_subprocess_get_identifier (c->proc)) {
    g_output_stream_write_all (c->in, "quit\n", 5, NULL, NULL, NULL);
    g_output_stream_close (c->in, NULL, NULL);
    if (!wait_exit (c->proc, 5000))
      g_subprocess_force_exit (c->proc);
  }
  g_subprocess_wait (c->proc, NULL, NULL);
  g_thread_join (c->reader);
  g_async_queue_unref (c->lines);
  g_object_unref (c->proc);
  g_free (c->id);
  g_free (c);
}

GST_START_TEST (test_two_swarms)
{
  TestTracker *t = start_tracker (FALSE);
  guint8 id[32];
  TestViewer *v[2];
  guint i;

  test_swarm_id ("two", id);
  for (i = 0; i < 2; i++) {
    v[i] = test_viewer_new (id, t->url, NULL, NULL, NULL);
    test_viewer_start (v[i]);
  }
  exchange (v, 2, 4 * MIB, 20000);
  for (i = 0; i < 2; i++)
    test_viewer_free (v[i]);
  test_tracker_free (t);
}

GST_END_TEST;

GST_START_TEST (test_five_swarms)
{
  TestTracker *t = start_tracker (FALSE);
  guint8 id[32];
  TestViewer *v[5];
  guint i;

  test_swarm_id ("five", id);
  for (i = 0; i < 5; i++) {
    /* one upload at a time (the default): the others get ABSENT busy and
     * come back */
    v[i] = test_viewer_new (id, t->url, NULL, NULL, NULL);
    test_viewer_start (v[i]);
  }
  exchange (v, 5, 3 * MIB, 30000);
  for (i = 0; i < 5; i++)
    test_viewer_free (v[i]);
  test_tracker_free (t);
}

GST_END_TEST;


/* (b) five viewers, five processes: each puts a segment and gets the four
 * others, byte-exact (checked by SHA-256 of the expected blob). */
GST_START_TEST (test_five_processes)
{
  TestTracker *t = start_tracker (FALSE);
  Child *c[5];
  gchar *want[5];
  gsize size = 3 * MIB;
  guint i, j;

  for (i = 0; i < 5; i++)
    c[i] = child_spawn (t->url, "five-processes", NULL, NULL);
  for (i = 0; i < 5; i++) {
    GBytes *b = test_blob (2000 + i, size + i);
    gchar *line;

    want[i] = test_sha256 (b);
    g_bytes_unref (b);
    child_say (c[i], "peers 4 20000");
    line = child_expect (c[i], "peers", 25000);
    fail_unless (line && strcmp (line, "peers 4") == 0,
        "viewer %u did not link to the others", i);
    g_free (line);
    child_say (c[i], "put %u %u %" G_GSIZE_FORMAT, 2000 + i, 2000 + i,
        size + i);
  }
  for (i = 0; i < 5; i++) {
    gchar *line = child_expect (c[i], "ok put", 5000);
    fail_unless (line != NULL);
    g_free (line);
  }
  for (i = 0; i < 5; i++)
    for (j = 0; j < 5; j++)
      if (i != j)
        child_say (c[i], "get %u 30000", 2000 + j);
  for (i = 0; i < 5; i++) {
    for (j = 0; j < 4; j++) {
      gchar *line = child_expect (c[i], "", 40000);
      gchar **w;
      guint seg;

      fail_unless (line != NULL, "viewer %u: no answer", i);
      w = g_strsplit (line, " ", 4);
      fail_unless (strcmp (w[0], "got") == 0, "viewer %u: %s", i, line);
      seg = atoi (w[1]) - 2000;
      fail_unless (seg < 5 && seg != i);
      fail_unless_equals_uint64 (g_ascii_strtoull (w[2], NULL, 10), size + seg);
      fail_unless_equals_string (w[3], want[seg]);
      g_strfreev (w);
      g_free (line);
    }
  }
  for (i = 0; i < 5; i++) {
    child_free (c[i]);
    g_free (want[i]);
  }
  test_tracker_free (t);
}

GST_END_TEST;

typedef struct
{
  guint64 received;
  gboolean done;
  GBytes *bytes;
  GBytes *partial;
  gchar *error;
  gint64 ended;
} FetchState;

static void
on_progress (GstP2pSwarm * swarm, guint64 received, guint32 size, gpointer data)
{
  FetchState *fs = data;
  fs->received = received;
}

static void
on_fetch_done (GObject * src, GAsyncResult * res, gpointer data)
{
  FetchState *fs = data;
  GError *err = NULL;

  fs->bytes = gst_p2p_swarm_fetch_finish (GST_P2P_SWARM (src), res, NULL,
      NULL, &fs->partial, &err);
  if (err) {
    fs->error = g_strdup (err->message);
    g_error_free (err);
  }
  fs->ended = g_get_monotonic_time ();
  g_atomic_int_set (&fs->done, TRUE);
}

typedef struct
{
  TestViewer *v;
  guint64 seg;
  guint32 start;
  const gchar *peer;
  FetchState *fs;
} FetchArgs;

static gboolean
fetch_on_loop (gpointer data)
{
  FetchArgs *a = data;

  gst_p2p_swarm_fetch_async (test_viewer_swarm (a->v), a->seg, a->start,
      GST_P2P_WIRE_RANGE_END_OPEN,
      g_get_monotonic_time () + 60 * G_USEC_PER_SEC, a->peer, NULL, on_progress,
      a->fs, NULL, on_fetch_done, a->fs);
  return G_SOURCE_REMOVE;
}

static gboolean
wait_flag (gint * flag, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000LL;

  while (!g_atomic_int_get (flag) && g_get_monotonic_time () < deadline)
    g_usleep (5000);
  return g_atomic_int_get (flag);
}

/* (c) the serving peer dies (SIGKILL) in the middle of a transfer: the
 * fetch fails within a couple of seconds (stall detection, not the 60 s
 * deadline), and the rest comes from another holder, byte-exact. */
GST_START_TEST (test_peer_killed)
{
  TestTracker *t = start_tracker (FALSE);
  Child *slow, *other;
  TestViewer *me;
  guint8 id[32];
  gsize size = 24 * MIB;
  GBytes *blob = test_blob (77, size), *whole;
  FetchState fs1 = { 0, }, fs2 = { 0, };
  FetchArgs a1, a2;
  GByteArray *joined;
  gint64 killed;
  gchar *line;

  test_swarm_id ("killed", id);
  /* 4 MiB/s: the transfer takes ~6 s, plenty of time to kill it */
  slow = child_spawn (t->url, "killed", "--upload-rate=4194304", NULL);
  other = child_spawn (t->url, "killed", NULL, NULL);
  child_say (slow, "put 77 77 %" G_GSIZE_FORMAT, size);
  child_say (other, "put 77 77 %" G_GSIZE_FORMAT, size);
  me = test_viewer_new (id, t->url, NULL, NULL, NULL);
  test_viewer_start (me);
  fail_unless (test_viewer_wait_holders (me, 77, 2, 20000));

  a1 = (FetchArgs) {
  me, 77, 0, slow->id, &fs1};
  test_on_loop (fetch_on_loop, &a1);
  while (fs1.received < 4 * MIB && !g_atomic_int_get (&fs1.done))
    g_usleep (5000);
  fail_if (g_atomic_int_get (&fs1.done), "fetch ended early: %s", fs1.error);
  g_subprocess_send_signal (slow->proc, SIGKILL);
  killed = g_get_monotonic_time ();

  fail_unless (wait_flag (&fs1.done, 10000), "fetch did not fail");
  fail_unless (fs1.bytes == NULL);
  GST_INFO ("fetch failed %" G_GINT64_FORMAT " ms after the kill: %s",
      (fs1.ended - killed) / 1000, fs1.error);
  fail_unless (fs1.ended - killed < 3 * G_USEC_PER_SEC,
      "failure took %" G_GINT64_FORMAT " ms", (fs1.ended - killed) / 1000);
  fail_unless (fs1.partial != NULL && g_bytes_get_size (fs1.partial) >= 4 * MIB
      && g_bytes_get_size (fs1.partial) < size);

  /* resume from the other holder */
  a2 = (FetchArgs) {
  me, 77, g_bytes_get_size (fs1.partial), other->id, &fs2};
  test_on_loop (fetch_on_loop, &a2);
  fail_unless (wait_flag (&fs2.done, 20000));
  fail_unless (fs2.bytes != NULL, "resume failed: %s", fs2.error);
  joined = g_byte_array_new ();
  g_byte_array_append (joined, g_bytes_get_data (fs1.partial, NULL),
      g_bytes_get_size (fs1.partial));
  g_byte_array_append (joined, g_bytes_get_data (fs2.bytes, NULL),
      g_bytes_get_size (fs2.bytes));
  whole = g_byte_array_free_to_bytes (joined);
  fail_unless (g_bytes_equal (whole, blob), "resumed segment differs");

  line = child_expect (other, "ok put", 1000);
  g_free (line);
  g_bytes_unref (whole);
  g_bytes_unref (fs1.partial);
  g_bytes_unref (fs2.bytes);
  g_free (fs1.error);
  g_bytes_unref (blob);
  test_viewer_free (me);
  child_free (slow);
  child_free (other);
  test_tracker_free (t);
}

GST_END_TEST;

/* (e) a refused join surfaces the tracker's reason on the swarm. */
GST_START_TEST (test_tokens)
{
  TestTracker *t = start_tracker (TRUE);
  guint8 id[32], other_id[32];
  gchar *hex, *other_hex, *valid, *expired, *wrong, *forged, *last;
  struct
  {
    const gchar *token;
    const gchar *reason;
  } cases[5];
  guint i;

  test_swarm_id ("tokens", id);
  test_swarm_id ("tokens-other", other_id);
  hex = test_swarm_hex (id);
  other_hex = test_swarm_hex (other_id);
  valid = test_tracker_token (t, hex, "--ttl=600");
  expired = test_tracker_token (t, hex, "--expiry=1000");
  wrong = test_tracker_token (t, other_hex, NULL);
  forged = g_strdup (valid);
  last = forged + strlen (forged) - 2;
  *last = *last == 'A' ? 'B' : 'A';
  cases[0].token = valid;
  cases[0].reason = NULL;
  cases[1].token = expired;
  cases[1].reason = "token-expired";
  cases[2].token = wrong;
  cases[2].reason = "token-wrong-swarm";
  cases[3].token = forged;
  cases[3].reason = "token-forged";
  cases[4].token = NULL;
  cases[4].reason = "token-missing";

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    TestViewer *v = test_viewer_new (id, t->url, cases[i].token, NULL, NULL);
    GstP2pSwarmStats s;

    test_viewer_start (v);
    if (!cases[i].reason) {
      fail_unless (test_viewer_wait_joined (v, 5000), "valid token refused");
    } else {
      gchar *reason = test_viewer_wait_tracker_error (v, 5000);

      fail_unless_equals_string (reason, cases[i].reason);
      fail_if (test_viewer_wait_joined (v, 200));
      test_viewer_stats (v, &s);
      fail_unless (s.tracker_errors >= 1);
      g_free (reason);
    }
    test_viewer_free (v);
  }
  g_free (hex);
  g_free (other_hex);
  g_free (valid);
  g_free (expired);
  g_free (wrong);
  g_free (forged);
  test_tracker_free (t);
}

GST_END_TEST;


/* ---- a hostile viewer: a raw link speaking broken protocol ------------ */

typedef enum
{
  H_GARBAGE,                    /* bytes that are no frame */
  H_BEFORE_HELLO,               /* REQUEST before HELLO */
  H_UNKNOWN_DATA,               /* DATA for a request never made */
  H_TOO_MANY,                   /* more requests than max_requests */
  H_RETRY,                      /* a banned peer tries to link again */
} HostileMode;

typedef struct
{
  HostileMode mode;
  guint8 swarm_id[32];
  gchar *id;
  gchar *victim;
  gchar *url;
  GstP2pTrackerClient *tc;
  GstP2pLink *link;
  gchar *session;
  GPtrArray *lines;
  gint connected;
  gint got_bye;
  gint bye_reason;
  gint refused;
} Hostile;

static void
hostile_send (Hostile * h, guint stream, GByteArray * arr)
{
  GBytes *b = g_byte_array_free_to_bytes (arr);

  gst_p2p_link_send (h->link, stream, b, NULL);
  g_bytes_unref (b);
}

static void
encode (GByteArray * arr, GstP2pWireFrame * f)
{
  fail_unless (gst_p2p_wire_encode (arr, f, NULL));
}

static void
hello_frame (Hostile * h, GByteArray * arr)
{
  GstP2pWireFrame f = { 0, };

  f.type = GST_P2P_WIRE_HELLO;
  f.hello.major = 1;
  f.hello.max_requests = 4;
  f.hello.capabilities = GST_P2P_WIRE_CAP_RANGES;
  memcpy (f.hello.swarm_id, h->swarm_id, 32);
  gst_p2p_swarm_peer_wire_id (h->id, f.hello.peer_id);
  encode (arr, &f);
}

static void
request_frame (GByteArray * arr, guint32 id)
{
  GstP2pWireFrame f = { 0, };

  f.type = GST_P2P_WIRE_REQUEST;
  f.request.request_id = id;
  f.request.segment_id = 7;
  f.request.end = GST_P2P_WIRE_RANGE_END_OPEN;
  encode (arr, &f);
}

static void
misbehave (Hostile * h)
{
  GByteArray *arr = g_byte_array_new ();
  GstP2pWireFrame f = { 0, };
  static const guint8 data[10] = { 0, };
  guint i;

  switch (h->mode) {
    case H_GARBAGE:
      hello_frame (h, arr);
      hostile_send (h, 0, arr);
      arr = g_byte_array_new ();
      g_byte_array_append (arr, (const guint8 *) "not a frame at all", 18);
      hostile_send (h, 0, arr);
      break;
    case H_BEFORE_HELLO:
      request_frame (arr, 1);
      hostile_send (h, 2, arr);
      break;
    case H_UNKNOWN_DATA:
      hello_frame (h, arr);
      f.type = GST_P2P_WIRE_DATA;
      f.data.request_id = 999;
      f.data.segment_size = 100;
      f.data.payload_len = sizeof (data);
      f.data.payload = data;
      hostile_send (h, 0, arr);
      arr = g_byte_array_new ();
      encode (arr, &f);
      /* stream 1: one of the victim's own request streams */
      hostile_send (h, 1, arr);
      break;
    case H_TOO_MANY:
      hello_frame (h, arr);
      hostile_send (h, 0, arr);
      for (i = 0; i < 3; i++) {
        arr = g_byte_array_new ();
        request_frame (arr, 10 + i);
        hostile_send (h, 2 + 2 * i, arr);
      }
      break;
    case H_RETRY:
      g_byte_array_unref (arr);
      break;
  }
}

static void
hostile_on_message (GstP2pLink * link, guint stream, GBytes * msg, Hostile * h)
{
  gsize len, off = 0, used;
  const guint8 *d = g_bytes_get_data (msg, &len);
  GstP2pWireFrame f;

  while (off < len && gst_p2p_wire_parse (d + off, len - off, &used, &f,
          NULL) == GST_P2P_WIRE_FRAME) {
    off += used;
    if (f.type == GST_P2P_WIRE_BYE) {
      g_atomic_int_set (&h->bye_reason, f.bye.reason);
      g_atomic_int_set (&h->got_bye, 1);
    }
  }
}

static void
hostile_on_state (GstP2pLink * link, GstP2pLinkState state,
    const gchar * reason, Hostile * h)
{
  if (state == GST_P2P_LINK_STATE_CONNECTED) {
    g_atomic_int_set (&h->connected, 1);
    misbehave (h);
  }
}

static void
hostile_on_line (GstP2pLink * link, const gchar * line, Hostile * h)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  gchar *text;

  /* one line per message: simple, and well under the tracker's limits */
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "t");
  json_builder_add_string_value (b, "sig");
  json_builder_set_member_name (b, "s");
  json_builder_add_string_value (b, h->session);
  json_builder_set_member_name (b, "l");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, line);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  gst_p2p_tracker_client_send_signal (h->tc, h->victim, text);
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
}

static void
hostile_on_joined (GstP2pTrackerClient * tc, const gchar * id, Hostile * h)
{
  GstP2pLinkConfig config;

  test_loop_config (&config);
  config.initiator = TRUE;
  config.n_streams = GST_P2P_SWARM_LINK_STREAMS;
  h->link = gst_p2p_link_new (&config, NULL, NULL);
  gst_p2p_link_config_clear (&config);
  g_signal_connect (h->link, "local-signal", G_CALLBACK (hostile_on_line), h);
  g_signal_connect (h->link, "state-changed", G_CALLBACK (hostile_on_state), h);
  g_signal_connect (h->link, "message", G_CALLBACK (hostile_on_message), h);
  gst_p2p_link_start (h->link, NULL);
}

static void
hostile_on_signal (GstP2pTrackerClient * tc, const gchar * from,
    const gchar * payload, Hostile * h)
{
  JsonParser *p = json_parser_new ();
  JsonObject *o;
  const gchar *t;

  fail_unless (json_parser_load_from_data (p, payload, -1, NULL));
  o = json_node_get_object (json_parser_get_root (p));
  t = json_object_get_string_member (o, "t");
  if (strcmp (t, "bye") == 0) {
    GST_INFO ("hostile %s refused: %s", h->id,
        json_object_get_string_member (o, "r"));
    g_atomic_int_set (&h->refused, 1);
  } else if (strcmp (t, "sig") == 0 && h->link) {
    JsonArray *l = json_object_get_array_member (o, "l");
    guint i;

    for (i = 0; i < json_array_get_length (l); i++)
      gst_p2p_link_add_remote_signal (h->link,
          json_array_get_string_element (l, i), NULL);
  }
  g_object_unref (p);
}

static gboolean
hostile_start_on_loop (gpointer data)
{
  Hostile *h = data;
  gchar *hex = test_swarm_hex (h->swarm_id);

  h->session = g_strdup_printf ("hostile%u", h->mode);
  h->tc = g_object_new (GST_P2P_TYPE_TRACKER_CLIENT, "url", h->url, "swarm",
      hex, "peer-id", h->id, NULL);
  g_signal_connect (h->tc, "joined", G_CALLBACK (hostile_on_joined), h);
  g_signal_connect (h->tc, "signal", G_CALLBACK (hostile_on_signal), h);
  gst_p2p_tracker_client_start (h->tc);
  g_free (hex);
  return G_SOURCE_REMOVE;
}

static gboolean
hostile_free_on_loop (gpointer data)
{
  Hostile *h = data;

  if (h->link) {
    g_signal_handlers_disconnect_by_data (h->link, h);
    gst_p2p_link_close (h->link);
    g_object_unref (h->link);
  }
  g_signal_handlers_disconnect_by_data (h->tc, h);
  gst_p2p_tracker_client_stop (h->tc);
  g_object_unref (h->tc);
  return G_SOURCE_REMOVE;
}

static Hostile *
hostile_start (HostileMode mode, const gchar * id, const guint8 * swarm_id,
    const gchar * url, const gchar * victim)
{
  Hostile *h = g_new0 (Hostile, 1);

  h->mode = mode;
  h->id = g_strdup (id);
  h->url = g_strdup (url);
  h->victim = g_strdup (victim);
  memcpy (h->swarm_id, swarm_id, 32);
  test_on_loop (hostile_start_on_loop, h);
  return h;
}

static void
hostile_free (Hostile * h)
{
  test_on_loop (hostile_free_on_loop, h);
  g_free (h->id);
  g_free (h->url);
  g_free (h->victim);
  g_free (h->session);
  g_free (h);
}

/* (d) hostile peers get BYE(protocol-error), are counted and banned, and
 * cannot link again; the honest transfer from the same viewer completes. */
GST_START_TEST (test_hostile_peers)
{
  TestTracker *t = start_tracker (FALSE);
  guint8 id[32];
  TestViewer *victim, *honest;
  GBytes *blob = test_blob (7, 16 * MIB), *got = NULL;
  const HostileMode modes[] = { H_GARBAGE, H_BEFORE_HELLO, H_UNKNOWN_DATA,
    H_TOO_MANY
  };
  gchar *err = NULL;
  GstP2pSwarmStats s;
  guint i;

  test_swarm_id ("hostile", id);
  /* ids order the initiators: hostiles ("AA...") < honest < victim */
  victim = test_viewer_new (id, t->url, NULL, "zz-victim", "max-requests", 2,
      "max-uploads", 4, "upload-rate", (guint64) 6 * MIB, NULL);
  honest = test_viewer_new (id, t->url, NULL, "mm-honest", NULL);
  test_viewer_start (victim);
  test_viewer_start (honest);
  test_viewer_put (victim, 7, blob);
  fail_unless (test_viewer_wait_holders (honest, 7, 1, 20000));
  /* ~2.7 s at the victim's upload cap: the hostiles come meanwhile */
  test_viewer_get (honest, 7, 30000, "zz-victim");

  for (i = 0; i < G_N_ELEMENTS (modes); i++) {
    gchar *hid = g_strdup_printf ("AA-hostile-%u", i);
    Hostile *h = hostile_start (modes[i], hid, id, t->url, "zz-victim");
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (!g_atomic_int_get (&h->got_bye)
        && g_get_monotonic_time () < deadline)
      g_usleep (10000);
    fail_unless (g_atomic_int_get (&h->got_bye), "hostile %u got no BYE", i);
    fail_unless_equals_int (g_atomic_int_get (&h->bye_reason),
        GST_P2P_WIRE_BYE_PROTOCOL_ERROR);
    test_viewer_stats (victim, &s);
    fail_unless_equals_int (s.protocol_errors, i + 1);
    fail_unless_equals_int (s.bans, i + 1);
    fail_unless (test_viewer_is_banned (victim, hid));
    hostile_free (h);
    g_free (hid);
  }

  /* a banned peer is refused at signalling time, no link is made */
  {
    Hostile *h = hostile_start (H_RETRY, "AA-hostile-0", id, t->url,
        "zz-victim");
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (!g_atomic_int_get (&h->refused)
        && g_get_monotonic_time () < deadline)
      g_usleep (10000);
    fail_unless (g_atomic_int_get (&h->refused));
    fail_if (g_atomic_int_get (&h->connected));
    test_viewer_stats (victim, &s);
    fail_unless (s.links_refused >= 1);
    hostile_free (h);
  }

  fail_unless (test_viewer_wait_get (honest, 7, 35000, &got, &err));
  fail_unless (got != NULL, "honest transfer failed: %s", err);
  fail_unless (g_bytes_equal (got, blob));
  test_viewer_stats (victim, &s);
  fail_unless_equals_int (s.peers, 1);
  fail_unless_equals_int (s.protocol_errors, 4);
  test_viewer_stats (honest, &s);
  fail_unless_equals_int (s.protocol_errors, 0);

  g_bytes_unref (got);
  g_bytes_unref (blob);
  test_viewer_free (victim);
  test_viewer_free (honest);
  test_tracker_free (t);
}

GST_END_TEST;

/* (g) gst_p2p_swarm_ban_peer(): the link goes at once, the banned peer's
 * own attempts are refused at signalling (it has the lower id, so it is
 * the one to initiate), and it links again once the ban ends. */
GST_START_TEST (test_ban_peer)
{
  TestTracker *t = start_tracker (FALSE);
  guint8 id[32];
  TestViewer *judge, *banned;
  GstP2pSwarmStats s;
  gchar *name, *want;
  gint64 deadline;

  test_swarm_id ("ban", id);
  judge = test_viewer_new (id, t->url, NULL, "zz-judge", NULL);
  banned = test_viewer_new (id, t->url, NULL, "aa-banned", NULL);
  test_viewer_start (judge);
  test_viewer_start (banned);
  fail_unless (test_viewer_wait_peers (judge, 1, 20000), "no link");
  fail_unless (test_viewer_wait_peers (banned, 1, 20000), "no link");

  /* the tracker name is the short one, as the publisher's */
  name = test_viewer_tracker_name (judge);
  want = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "ban", -1);
  want[GST_P2P_SWARM_TRACKER_NAME_LEN] = '\0';
  fail_unless_equals_string (name, want);
  g_free (name);
  g_free (want);

  fail_unless (test_viewer_ban (judge, "aa-banned", 3 * G_USEC_PER_SEC));
  fail_unless (test_viewer_is_banned (judge, "aa-banned"));
  test_viewer_stats (judge, &s);
  fail_unless_equals_int (s.peers, 0);
  fail_unless_equals_int ((gint) s.bans, 1);
  fail_unless_equals_int (s.banned, 1);

  /* the banned side retries after 1 s and is refused before any link */
  deadline = g_get_monotonic_time () + 2500 * G_TIME_SPAN_MILLISECOND;
  do {
    g_usleep (50000);
    test_viewer_stats (judge, &s);
    fail_unless_equals_int (s.peers, 0);
    fail_unless_equals_int (s.pending, 0);
  } while (s.links_refused == 0 && g_get_monotonic_time () < deadline);
  fail_unless (s.links_refused >= 1, "banned peer not refused");

  /* the ban ends: linked again */
  fail_unless (test_viewer_wait_peers (judge, 1, 20000), "no link after ban");
  fail_if (test_viewer_is_banned (judge, "aa-banned"));

  test_viewer_free (banned);
  test_viewer_free (judge);
  test_tracker_free (t);
}

GST_END_TEST;

/* (h) two swarm ids with the same short name meet at the tracker; HELLO
 * carries the whole 32-byte id, so they part with BYE(wrong-swarm) and
 * never become peers. */
GST_START_TEST (test_short_name_collision)
{
  TestTracker *t = start_tracker (FALSE);
  guint8 id[32], other[32];
  TestViewer *a, *b;
  GstP2pSwarmStats sa, sb;
  gchar *na, *nb;
  gint64 deadline;

  test_swarm_id ("collision", id);
  memcpy (other, id, sizeof (other));
  other[31] ^= 0x01;
  a = test_viewer_new (id, t->url, NULL, "aa-one", NULL);
  b = test_viewer_new (other, t->url, NULL, "zz-two", NULL);
  test_viewer_start (a);
  test_viewer_start (b);
  na = test_viewer_tracker_name (a);
  nb = test_viewer_tracker_name (b);
  fail_unless_equals_string (na, nb);
  g_free (na);
  g_free (nb);

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  do {
    g_usleep (50000);
    test_viewer_stats (a, &sa);
    test_viewer_stats (b, &sb);
    fail_unless_equals_int (sa.peers, 0);
    fail_unless_equals_int (sb.peers, 0);
  } while (sa.protocol_errors + sb.protocol_errors == 0
      && g_get_monotonic_time () < deadline);
  /* whichever side reads the other's HELLO first refuses it and bans */
  fail_unless (sa.protocol_errors + sb.protocol_errors >= 1,
      "HELLO of another swarm accepted");
  fail_unless (sa.protocol_errors == 0 || test_viewer_is_banned (a, "zz-two"));
  fail_unless (sb.protocol_errors == 0 || test_viewer_is_banned (b, "aa-one"));
  /* and they stay apart */
  g_usleep (G_USEC_PER_SEC);
  test_viewer_stats (a, &sa);
  test_viewer_stats (b, &sb);
  fail_unless_equals_int (sa.peers, 0);
  fail_unless_equals_int (sb.peers, 0);

  test_viewer_free (a);
  test_viewer_free (b);
  test_tracker_free (t);
}

GST_END_TEST;

static Suite *
swarm_suite (void)
{
  Suite *s = suite_create ("swarm");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_two_swarms);
  tcase_add_test (tc, test_five_swarms);
  tcase_add_test (tc, test_five_processes);
  tcase_add_test (tc, test_peer_killed);
  tcase_add_test (tc, test_tokens);
  tcase_add_test (tc, test_hostile_peers);
  tcase_add_test (tc, test_ban_peer);
  tcase_add_test (tc, test_short_name_collision);
  return s;
}

GST_CHECK_MAIN (swarm);
