/* Tests of gst-p2p-tracker, each against the real binary on a free
 * loopback port: swarms, signal relay, tokens, hostile input, rate limits,
 * eviction, metrics, publish, SIGTERM; and GstP2pTrackerClient reconnecting
 * across a tracker restart.
 *
 * Threads: the raw WebSocket clients run on the test's main thread (default
 * main context); GstP2pTrackerClient runs on the GstP2pLoop thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <string.h>

#include <gst/check/gstcheck.h>

#include "gstp2p.h"
#include "net/gstp2ploop.h"
#include "signalling/gstp2ptrackerclient.h"
#include "trackertest.h"

#define T_MS 3000

static TestTracker *
start_tracker (const gchar * config, gboolean secret)
{
  TestTracker *t = test_tracker_new (config, secret);

  fail_unless (test_tracker_start (t), "tracker did not start");
  return t;
}

/* Connects, joins and returns the client after its welcome and first peer
 * list. */
static TestWs *
join (TestTracker * t, const gchar * swarm, const gchar * peer,
    const gchar * extra)
{
  TestWs *ws = test_ws_connect (t->url);
  gchar *text;
  JsonObject *o;

  fail_unless (ws != NULL);
  text = g_strdup_printf ("{\"type\":\"join\",\"swarm\":\"%s\","
      "\"peer\":\"%s\"%s}", swarm, peer, extra ? extra : "");
  test_ws_send (ws, text);
  g_free (text);
  o = test_ws_expect (ws, "welcome", T_MS);
  fail_unless_equals_string (test_json_str (o, "peer"), peer);
  fail_unless_equals_string (test_json_str (o, "swarm"), swarm);
  json_object_unref (o);
  o = test_ws_expect (ws, "peers", T_MS);
  json_object_unref (o);
  return ws;
}

static void
expect_error (TestWs * ws, const gchar * reason)
{
  JsonObject *o = test_ws_expect (ws, "error", T_MS);

  fail_unless_equals_string (test_json_str (o, "reason"), reason);
  fail_unless (test_json_str (o, "message") != NULL);
  json_object_unref (o);
}

/* The connection still answers: ping -> pong. */
static void
expect_alive (TestWs * ws)
{
  JsonObject *o;

  test_ws_send (ws, "{\"type\":\"ping\",\"seq\":7}");
  o = test_ws_expect (ws, "pong", T_MS);
  fail_unless_equals_int (json_object_get_int_member (o, "seq"), 7);
  json_object_unref (o);
}

GST_START_TEST (test_join_peers_signal)
{
  TestTracker *t = start_tracker (NULL, FALSE);
  TestWs *a, *b, *c, *d;
  JsonObject *o, *payload;
  JsonArray *peers;
  gchar *m;

  a = join (t, "live/1080p", "alice", ",\"caps\":{\"upload\":1}");
  b = test_ws_connect (t->url);
  test_ws_send (b, "{\"type\":\"join\",\"swarm\":\"live/1080p\","
      "\"peer\":\"bob\",\"token\":\"ignored-by-an-open-tracker\"}");
  json_object_unref (test_ws_expect (b, "welcome", T_MS));
  /* Bob's first peer list is Alice, with her capabilities. */
  o = test_ws_expect (b, "peers", T_MS);
  fail_unless_equals_int (json_object_get_int_member (o, "total"), 1);
  peers = json_object_get_array_member (o, "peers");
  fail_unless_equals_int (json_array_get_length (peers), 1);
  fail_unless_equals_string (test_json_str (json_array_get_object_element
          (peers, 0), "id"), "alice");
  fail_unless_equals_int (json_object_get_int_member
      (json_object_get_object_member (json_array_get_object_element (peers,
                  0), "caps"), "upload"), 1);
  json_object_unref (o);

  c = join (t, "live/720p", "carol", NULL);

  /* Alice's refreshed list holds Bob, never Carol (other swarm). */
  test_ws_send (a, "{\"type\":\"peers\"}");
  o = test_ws_expect (a, "peers", T_MS);
  peers = json_object_get_array_member (o, "peers");
  fail_unless_equals_int (json_array_get_length (peers), 1);
  fail_unless_equals_string (test_json_str (json_array_get_object_element
          (peers, 0), "id"), "bob");
  json_object_unref (o);

  /* Relay within the swarm. */
  test_ws_send (a, "{\"type\":\"signal\",\"to\":\"bob\",\"payload\":"
      "{\"ufrag\":\"uf1\",\"pwd\":\"pw1\",\"candidate\":\"candidate:1 1 UDP "
      "2122260223 127.0.0.1 50000 typ host\",\"fingerprint\":\"sha-256 "
      "AB:CD\"}}");
  o = test_ws_expect (b, "signal", T_MS);
  fail_unless_equals_string (test_json_str (o, "from"), "alice");
  payload = json_object_get_object_member (o, "payload");
  fail_unless_equals_string (test_json_str (payload, "ufrag"), "uf1");
  fail_unless_equals_string (test_json_str (payload, "fingerprint"),
      "sha-256 AB:CD");
  json_object_unref (o);

  /* No relay across swarms: Alice is told, Carol hears nothing. */
  test_ws_send (a, "{\"type\":\"signal\",\"to\":\"carol\",\"payload\":{}}");
  o = test_ws_expect (a, "error", T_MS);
  fail_unless_equals_string (test_json_str (o, "reason"), "unknown-peer");
  fail_unless_equals_string (test_json_str (o, "to"), "carol");
  json_object_unref (o);
  expect_alive (c);             /* the pong is Carol's first message */

  /* Peer ids are unique per swarm. */
  d = test_ws_connect (t->url);
  test_ws_send (d, "{\"type\":\"join\",\"swarm\":\"live/1080p\","
      "\"peer\":\"alice\"}");
  expect_error (d, "peer-id-taken");
  /* ...but a tracker-chosen id always works. */
  test_ws_send (d, "{\"type\":\"join\",\"swarm\":\"live/1080p\"}");
  o = test_ws_expect (d, "welcome", T_MS);
  fail_unless (strlen (test_json_str (o, "peer")) == 22);
  json_object_unref (o);
  json_object_unref (test_ws_expect (d, "peers", T_MS));
  test_ws_free (d);

  /* Leave: Bob drops out of Alice's view. */
  test_ws_send (b, "{\"type\":\"leave\"}");
  json_object_unref (test_ws_expect (b, "left", T_MS));
  test_ws_send (b, "{\"type\":\"signal\",\"to\":\"alice\",\"payload\":{}}");
  expect_error (b, "not-joined");
  test_ws_send (a, "{\"type\":\"peers\"}");
  o = test_ws_expect (a, "peers", T_MS);
  fail_unless_equals_int (json_object_get_int_member (o, "total"), 0);
  json_object_unref (o);

  m = test_tracker_metrics (t);
  fail_unless_equals_int (test_metric (m, "peers"), 2);
  fail_unless_equals_int (test_metric (m, "swarms"), 2);
  fail_unless_equals_int (test_metric (m,
          "messages_relayed_total{type=\"signal\"}"), 1);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"unknown-peer\"}"), 1);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"peer-id-taken\"}"), 1);
  g_free (m);

  test_ws_free (a);
  test_ws_free (b);
  test_ws_free (c);
  test_tracker_free (t);
}

GST_END_TEST;

static void
join_with_token (TestTracker * t, const gchar * swarm, const gchar * token,
    const gchar * reason)
{
  TestWs *ws = test_ws_connect (t->url);
  gchar *text = token ?
      g_strdup_printf ("{\"type\":\"join\",\"swarm\":\"%s\",\"token\":\"%s\"}",
      swarm, token) :
      g_strdup_printf ("{\"type\":\"join\",\"swarm\":\"%s\"}", swarm);
  JsonObject *o;

  test_ws_send (ws, text);
  if (reason) {
    o = test_ws_expect (ws, "error", T_MS);
    fail_unless_equals_string (test_json_str (o, "reason"), reason);
    fail_unless_equals_string (test_json_str (o, "ref"), "join");
    json_object_unref (o);
    /* The connection survives a refused join. */
    expect_alive (ws);
  } else {
    o = test_ws_expect (ws, "welcome", T_MS);
    fail_unless_equals_string (test_json_str (o, "role"), "viewer");
    json_object_unref (o);
  }
  test_ws_free (ws);
  g_free (text);
}

GST_START_TEST (test_tokens)
{
  TestTracker *t = start_tracker (NULL, TRUE);
  gchar *valid = test_tracker_token (t, "s1", "--ttl=600");
  gchar *other = test_tracker_token (t, "s2", NULL);
  gchar *expired = test_tracker_token (t, "s1", "--expiry=1000");
  gchar *forged = g_strdup (valid), *m;
  gchar *last = forged + strlen (forged) - 2;

  /* Flip one character of the MAC. */
  *last = *last == 'A' ? 'B' : 'A';

  join_with_token (t, "s1", valid, NULL);
  join_with_token (t, "s1", other, "token-wrong-swarm");
  join_with_token (t, "s1", expired, "token-expired");
  join_with_token (t, "s1", forged, "token-forged");
  join_with_token (t, "s1", NULL, "token-missing");
  join_with_token (t, "s1", "v1.v.abc.def.ghi", "token-malformed");

  m = test_tracker_metrics (t);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"token-wrong-swarm\"}"), 1);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"token-expired\"}"), 1);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"token-forged\"}"), 1);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"token-missing\"}"), 1);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"token-malformed\"}"), 1);
  fail_unless_equals_int (test_metric (m,
          "messages_received_total{type=\"join\"}"), 6);
  g_free (m);

  g_free (valid);
  g_free (other);
  g_free (expired);
  g_free (forged);
  test_tracker_free (t);
}

GST_END_TEST;

GST_START_TEST (test_publish)
{
  TestTracker *t = start_tracker (NULL, TRUE);
  gchar *vtok = test_tracker_token (t, "s1", NULL);
  gchar *ptok = test_tracker_token (t, "s1", "--role=publisher");
  gchar *extra = g_strdup_printf (",\"token\":\"%s\"", vtok);
  gchar *pextra = g_strdup_printf (",\"token\":\"%s\"", ptok);
  TestWs *v1 = join (t, "s1", "v1", extra);
  TestWs *v2 = join (t, "s1", "v2", extra);
  TestWs *pub = test_ws_connect (t->url);
  JsonObject *o;
  gchar *text;

  text = g_strdup_printf ("{\"type\":\"join\",\"swarm\":\"s1\","
      "\"peer\":\"pub\"%s}", pextra);
  test_ws_send (pub, text);
  g_free (text);
  o = test_ws_expect (pub, "welcome", T_MS);
  fail_unless_equals_string (test_json_str (o, "role"), "publisher");
  json_object_unref (o);
  /* The publisher sees the viewers; viewers never see the publisher. */
  o = test_ws_expect (pub, "peers", T_MS);
  fail_unless_equals_int (json_object_get_int_member (o, "total"), 2);
  json_object_unref (o);
  test_ws_send (v1, "{\"type\":\"peers\"}");
  o = test_ws_expect (v1, "peers", T_MS);
  fail_unless_equals_int (json_object_get_int_member (o, "total"), 1);
  json_object_unref (o);

  test_ws_send (pub, "{\"type\":\"publish\",\"payload\":{\"seq\":42,"
      "\"sha256\":\"00ff\",\"sig\":\"abc\"}}");
  o = test_ws_expect (v1, "publish", T_MS);
  fail_unless_equals_string (test_json_str (o, "from"), "pub");
  fail_unless_equals_int (json_object_get_int_member
      (json_object_get_object_member (o, "payload"), "seq"), 42);
  json_object_unref (o);
  json_object_unref (test_ws_expect (v2, "publish", T_MS));

  /* A viewer may not publish. */
  test_ws_send (v2, "{\"type\":\"publish\",\"payload\":{}}");
  expect_error (v2, "not-operator");
  expect_alive (v1);            /* and nothing reached v1 */

  test_ws_free (v1);
  test_ws_free (v2);
  test_ws_free (pub);
  g_free (vtok);
  g_free (ptok);
  g_free (extra);
  g_free (pextra);
  test_tracker_free (t);
}

GST_END_TEST;

GST_START_TEST (test_open_tracker_refuses_publish)
{
  TestTracker *t = start_tracker (NULL, FALSE);
  TestWs *a = join (t, "s", "a", NULL);

  test_ws_send (a, "{\"type\":\"publish\",\"payload\":{}}");
  expect_error (a, "not-operator");
  test_ws_free (a);
  test_tracker_free (t);
}

GST_END_TEST;

GST_START_TEST (test_hostile_input)
{
  TestTracker *t = start_tracker ("max-message-size=1024\n"
      "max-frame-size=4096\nmax-depth=8\n", FALSE);
  TestWs *ws = test_ws_connect (t->url), *ws2;
  GString *big = g_string_new ("{\"type\":\"ping\",\"pad\":\"");
  GString *deep = g_string_new ("{\"type\":\"ping\",\"x\":");
  gchar *m;
  guint i;

  /* Over max-message-size: refused before parsing, connection kept. */
  for (i = 0; i < 2000; i++)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}");
  test_ws_send (ws, big->str);
  expect_error (ws, "too-large");
  expect_alive (ws);

  test_ws_send (ws, "{\"type\":\"join\",\"swarm\":");
  expect_error (ws, "bad-json");
  test_ws_send (ws, "[1,2,3]");
  expect_error (ws, "not-object");
  for (i = 0; i < 100; i++)
    g_string_append_c (deep, '[');
  for (i = 0; i < 100; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  test_ws_send (ws, deep->str);
  expect_error (ws, "too-deep");
  test_ws_send (ws, "{\"type\":\"join\",\"swarm\":5}");
  expect_error (ws, "bad-field");
  test_ws_send (ws, "{\"type\":\"join\",\"swarm\":\"has space\"}");
  expect_error (ws, "bad-field");
  test_ws_send (ws, "{\"type\":\"join\"}");
  expect_error (ws, "missing-field");
  test_ws_send (ws, "{\"type\":\"teleport\"}");
  expect_error (ws, "unknown-type");
  test_ws_send (ws, "{\"type\":7}");
  expect_error (ws, "bad-field");
  test_ws_send (ws, "{\"type\":\"signal\",\"to\":\"x\",\"payload\":{}}");
  expect_error (ws, "not-joined");
  test_ws_send_binary (ws, 16);
  expect_error (ws, "binary-frame");
  /* Unknown fields are ignored. */
  test_ws_send (ws, "{\"type\":\"ping\",\"seq\":7,\"future\":[1,{}]}");
  json_object_unref (test_ws_expect (ws, "pong", T_MS));
  expect_alive (ws);

  /* Over max-frame-size: libsoup stops reading and closes the connection
   * (1009). The unread rest of the frame makes the kernel reset the TCP
   * connection, so the close frame may not arrive: 0 is "abnormal close". */
  ws2 = test_ws_connect (t->url);
  g_string_set_size (big, 0);
  for (i = 0; i < 8000; i++)
    g_string_append_c (big, 'y');
  test_ws_send (ws2, big->str);
  fail_unless (test_ws_wait_closed (ws2, T_MS));
  fail_unless (ws2->close_code == SOUP_WEBSOCKET_CLOSE_TOO_BIG
      || ws2->close_code == 0, "close code %u", ws2->close_code);
  test_ws_free (ws2);

  /* Still serving: the first client and new ones. */
  expect_alive (ws);
  ws2 = join (t, "s", "after", NULL);
  test_ws_free (ws2);

  m = test_tracker_metrics (t);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"too-large\"}"), 1);
  fail_unless_equals_int (test_metric (m, "rejects_total{reason=\"bad-json\"}"),
      1);
  fail_unless_equals_int (test_metric (m, "rejects_total{reason=\"too-deep\"}"),
      1);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"not-object\"}"), 1);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"bad-field\"}"), 3);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"missing-field\"}"), 1);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"unknown-type\"}"), 1);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"binary-frame\"}"), 1);
  fail_unless_equals_int (test_metric (m,
          "rejects_total{reason=\"frame-too-large\"}"), 1);
  g_free (m);

  g_string_free (big, TRUE);
  g_string_free (deep, TRUE);
  test_ws_free (ws);
  /* The tracker is still the same process: it never crashed. */
  test_tracker_kill (t, SIGTERM);
  fail_unless_equals_int (test_tracker_wait (t, 5000), 0);
  test_tracker_free (t);
}

GST_END_TEST;

GST_START_TEST (test_rate_limit)
{
  TestTracker *t = start_tracker ("rate-messages=10\nrate-messages-burst=10\n"
      "rate-violations-close=50\n", FALSE);
  TestWs *ws = test_ws_connect (t->url), *flood;
  JsonObject *o;
  guint i, pongs = 0, errors = 0;
  gchar *m;

  for (i = 0; i < 30; i++)
    test_ws_send (ws, "{\"type\":\"ping\"}");
  while ((o = test_ws_recv (ws, 500))) {
    if (g_strcmp0 (test_json_str (o, "type"), "pong") == 0)
      pongs++;
    else if (g_strcmp0 (test_json_str (o, "reason"), "rate-limited") == 0)
      errors++;
    json_object_unref (o);
  }
  /* The burst of 10 plus what refilled while the frames arrived. */
  fail_unless (pongs >= 10 && pongs < 20, "pongs: %u", pongs);
  /* One error message per second at most, however many drops. */
  fail_unless_equals_int (errors, 1);
  fail_if (ws->closed);
  /* After a second of quiet the bucket has refilled. */
  g_usleep (G_USEC_PER_SEC);
  expect_alive (ws);

  /* A sustained flood gets the connection closed (policy violation). */
  flood = test_ws_connect (t->url);
  for (i = 0; i < 200; i++)
    test_ws_send (flood, "{\"type\":\"ping\"}");
  fail_unless (test_ws_wait_closed (flood, T_MS));
  fail_unless_equals_int (flood->close_code,
      SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);

  m = test_tracker_metrics (t);
  fail_unless (test_metric (m, "rejects_total{reason=\"rate-limited\"}") >=
      50 + 30 - pongs);
  g_free (m);
  test_ws_free (flood);
  test_ws_free (ws);
  test_tracker_free (t);
}

GST_END_TEST;

GST_START_TEST (test_eviction)
{
  TestTracker *t = start_tracker ("eviction-timeout=2\n", FALSE);
  TestWs *silent = join (t, "s", "silent", NULL);
  TestWs *alive = join (t, "s", "alive", NULL);
  JsonObject *o;
  gchar *m;
  guint i;

  /* "alive" pings every 400 ms for 4 s; "silent" says nothing. */
  for (i = 0; i < 10; i++) {
    expect_alive (alive);
    g_usleep (400000);
  }
  fail_unless (test_ws_wait_closed (silent, T_MS));
  fail_unless_equals_int (silent->close_code, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  fail_if (alive->closed);

  test_ws_send (alive, "{\"type\":\"peers\"}");
  o = test_ws_expect (alive, "peers", T_MS);
  fail_unless_equals_int (json_object_get_int_member (o, "total"), 0);
  json_object_unref (o);

  m = test_tracker_metrics (t);
  fail_unless_equals_int (test_metric (m, "evictions_total"), 1);
  fail_unless_equals_int (test_metric (m, "peers"), 1);
  fail_unless_equals_int (test_metric (m, "clients"), 1);
  g_free (m);
  test_ws_free (silent);
  test_ws_free (alive);
  test_tracker_free (t);
}

GST_END_TEST;

GST_START_TEST (test_metrics_format)
{
  TestTracker *t = start_tracker (NULL, FALSE);
  TestWs *a = join (t, "s", "a", NULL);
  gchar *m = test_tracker_metrics (t);
  gchar **lines = g_strsplit (m, "\n", -1);
  GRegex *sample = g_regex_new ("^gst_p2p_tracker_[a-z_]+"
      "(\\{[a-z]+=\"[a-z0-9-]+\"\\})? [0-9]+$", 0, 0, NULL);
  guint i, samples = 0;

  for (i = 0; lines[i]; i++) {
    if (!*lines[i] || g_str_has_prefix (lines[i], "# HELP ")
        || g_str_has_prefix (lines[i], "# TYPE "))
      continue;
    fail_unless (g_regex_match (sample, lines[i], 0, NULL), "bad line: %s",
        lines[i]);
    samples++;
  }
  fail_unless (samples > 40);
  fail_unless_equals_int (test_metric (m, "clients"), 1);
  fail_unless_equals_int (test_metric (m, "peers"), 1);
  fail_unless_equals_int (test_metric (m, "swarms"), 1);
  fail_unless_equals_int (test_metric (m, "connections_total"), 1);
  fail_unless_equals_int (test_metric (m, "evictions_total"), 0);
  fail_unless_equals_int (test_metric (m,
          "messages_relayed_total{type=\"peers\"}"), 1);
  g_regex_unref (sample);
  g_strfreev (lines);
  g_free (m);
  test_ws_free (a);
  test_tracker_free (t);
}

GST_END_TEST;

GST_START_TEST (test_per_ip_limit)
{
  TestTracker *t = test_tracker_new (NULL, FALSE);
  TestWs *a, *b, *c;
  gchar *conf = g_strdup_printf ("[tracker]\nmax-clients-per-ip=2\n");

  /* Override the helper's "no limit" default. */
  g_file_set_contents (t->config_path, conf, -1, NULL);
  fail_unless (test_tracker_start (t));
  a = test_ws_connect (t->url);
  b = test_ws_connect (t->url);
  c = test_ws_connect (t->url);
  expect_error (c, "too-many-clients-per-ip");
  fail_unless (test_ws_wait_closed (c, T_MS));
  expect_alive (a);
  expect_alive (b);
  test_ws_free (a);
  test_ws_free (b);
  test_ws_free (c);
  g_free (conf);
  test_tracker_free (t);
}

GST_END_TEST;

GST_START_TEST (test_sigterm)
{
  TestTracker *t = start_tracker (NULL, FALSE);
  TestWs *a = join (t, "s", "a", NULL);

  test_tracker_kill (t, SIGTERM);
  fail_unless_equals_int (test_tracker_wait (t, 5000), 0);
  /* Clients were told the tracker is going away. */
  fail_unless (test_ws_wait_closed (a, T_MS));
  fail_unless_equals_int (a->close_code, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  test_ws_free (a);
  test_tracker_free (t);
}

GST_END_TEST;

GST_START_TEST (test_tls)
{
  TestTracker *t = test_tracker_new (NULL, FALSE);
  GTlsCertificate *cert;
  GError *err = NULL;
  gchar *url;
  TestWs *ws;
  JsonObject *o;

  t->cert_path = g_build_filename (t->dir, "cert.pem", NULL);
  t->key_path = g_build_filename (t->dir, "key.pem", NULL);
  test_make_certificate (t->cert_path, t->key_path);
  cert = g_tls_certificate_new_from_file (t->cert_path, &err);
  fail_unless (cert != NULL);
  fail_unless (test_tracker_start (t));

  url = g_strdup_printf ("wss://127.0.0.1:%u/", t->port);
  ws = test_ws_connect_tls (url, cert);
  fail_unless (ws != NULL, "no wss:// connection");
  test_ws_send (ws, "{\"type\":\"join\",\"swarm\":\"s\",\"peer\":\"tls\"}");
  o = test_ws_expect (ws, "welcome", T_MS);
  fail_unless_equals_string (test_json_str (o, "peer"), "tls");
  json_object_unref (o);
  test_ws_free (ws);
  /* Plain ws:// to a TLS listener gets nowhere. */
  fail_unless (test_ws_connect (t->url) == NULL);

  g_free (url);
  g_object_unref (cert);
  test_tracker_free (t);
}

GST_END_TEST;

/* ---------------------------------------------------------------- */
/* GstP2pTrackerClient, on the network thread */

typedef struct
{
  GMutex lock;
  GCond cond;
  const gchar *url;
  const gchar *peer;
  GstP2pTrackerClient *client;
  guint joined;
  guint peer_lists;
  gchar *last_from;
  gchar *last_payload;
  guint signals;
  GstP2pTrackerClientState state;
} Probe;

static void
probe_joined (GstP2pTrackerClient * c, const gchar * id, Probe * p)
{
  g_mutex_lock (&p->lock);
  p->joined++;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static void
probe_peers (GstP2pTrackerClient * c, gchar ** ids, gchar ** caps, Probe * p)
{
  g_mutex_lock (&p->lock);
  p->peer_lists++;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static void
probe_signal (GstP2pTrackerClient * c, const gchar * from,
    const gchar * payload, Probe * p)
{
  g_mutex_lock (&p->lock);
  g_free (p->last_from);
  g_free (p->last_payload);
  p->last_from = g_strdup (from);
  p->last_payload = g_strdup (payload);
  p->signals++;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static void
probe_state (GObject * c, GParamSpec * pspec, Probe * p)
{
  g_mutex_lock (&p->lock);
  p->state = gst_p2p_tracker_client_get_state (GST_P2P_TRACKER_CLIENT (c));
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static gboolean
probe_create (gpointer data)
{
  Probe *p = data;

  p->client = g_object_new (GST_P2P_TYPE_TRACKER_CLIENT, "url", p->url,
      "swarm", "live", "peer-id", p->peer, "caps", "{\"v\":1}",
      "backoff-min", 100, "backoff-max", 800, NULL);
  g_signal_connect (p->client, "joined", G_CALLBACK (probe_joined), p);
  g_signal_connect (p->client, "peers", G_CALLBACK (probe_peers), p);
  g_signal_connect (p->client, "signal", G_CALLBACK (probe_signal), p);
  g_signal_connect (p->client, "notify::state", G_CALLBACK (probe_state), p);
  gst_p2p_tracker_client_start (p->client);
  return G_SOURCE_REMOVE;
}

static gboolean
probe_destroy (gpointer data)
{
  Probe *p = data;

  gst_p2p_tracker_client_stop (p->client);
  g_object_unref (p->client);
  p->client = NULL;
  return G_SOURCE_REMOVE;
}

typedef struct
{
  Probe *from;
  const gchar *to;
  const gchar *payload;
  gboolean ok;
} SendCall;

static gboolean
do_send (gpointer data)
{
  SendCall *s = data;

  s->ok = gst_p2p_tracker_client_send_signal (s->from->client, s->to,
      s->payload);
  return G_SOURCE_REMOVE;
}

static gboolean
do_stats (gpointer data)
{
  gpointer *args = data;

  gst_p2p_tracker_client_get_stats (args[0], args[1]);
  return G_SOURCE_REMOVE;
}

/* Waits until *@counter reaches @n; FALSE after @ms. */
static gboolean
probe_wait (Probe * p, guint * counter, guint n, guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000LL;
  gboolean ok = TRUE;

  g_mutex_lock (&p->lock);
  while (*counter < n && ok)
    ok = g_cond_wait_until (&p->cond, &p->lock, end);
  ok = *counter >= n;
  g_mutex_unlock (&p->lock);
  return ok;
}

static gboolean
probe_wait_state (Probe * p, GstP2pTrackerClientState state, guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000LL;
  gboolean ok = TRUE;

  g_mutex_lock (&p->lock);
  while (p->state != state && ok)
    ok = g_cond_wait_until (&p->cond, &p->lock, end);
  ok = p->state == state;
  g_mutex_unlock (&p->lock);
  return ok;
}

/* Sends @payload from @a to @b through the tracker and waits until @b's
 * "signal" handler saw exactly it. */
static void
send_and_check (Probe * a, Probe * b, const gchar * payload)
{
  SendCall s = { a, b->peer, payload, FALSE };
  gint64 end = g_get_monotonic_time () + T_MS * 1000LL;
  gboolean ok = TRUE;

  gst_p2p_loop_invoke_sync (gst_p2p_loop_get_default (), do_send, &s);
  fail_unless (s.ok);
  g_mutex_lock (&b->lock);
  while (g_strcmp0 (b->last_payload, payload) != 0 && ok)
    ok = g_cond_wait_until (&b->cond, &b->lock, end);
  fail_unless_equals_string (b->last_payload, payload);
  fail_unless_equals_string (b->last_from, a->peer);
  g_mutex_unlock (&b->lock);
}

GST_START_TEST (test_client_reconnect)
{
  TestTracker *t = start_tracker (NULL, FALSE);
  GstP2pLoop *loop = gst_p2p_loop_get_default ();
  Probe a = { 0 }, b = { 0 };
  GstP2pTrackerClientStats stats;
  gpointer args[2];

  g_mutex_init (&a.lock);
  g_cond_init (&a.cond);
  g_mutex_init (&b.lock);
  g_cond_init (&b.cond);
  a.url = b.url = t->url;
  a.peer = "peer-a";
  b.peer = "peer-b";

  gst_p2p_loop_invoke_sync (loop, probe_create, &a);
  gst_p2p_loop_invoke_sync (loop, probe_create, &b);
  fail_unless (probe_wait (&a, &a.joined, 1, T_MS));
  fail_unless (probe_wait (&b, &b.joined, 1, T_MS));
  fail_unless (probe_wait (&b, &b.peer_lists, 1, T_MS));
  send_and_check (&a, &b, "{\"ufrag\":\"x\",\"end_of_candidates\":true}");

  /* Tracker dies hard; both clients notice and back off. */
  test_tracker_kill (t, SIGKILL);
  fail_unless_equals_int (test_tracker_wait (t, 5000), 128 + SIGKILL);
  fail_unless (probe_wait_state (&a, GST_P2P_TRACKER_CLIENT_BACKOFF, T_MS));
  /* Signals sent meanwhile wait in the bounded queue. */
  {
    SendCall s = { &a, "peer-b", "{\"queued\":1}", FALSE };
    gst_p2p_loop_invoke_sync (loop, do_send, &s);
    fail_unless (s.ok);
  }
  /* Let a few failed attempts pile up, then bring the tracker back. */
  g_usleep (1500 * 1000);
  fail_unless (test_tracker_start (t));
  fail_unless (probe_wait (&a, &a.joined, 2, 5000));
  fail_unless (probe_wait (&b, &b.joined, 2, 5000));

  /* Same ids after the rejoin, relay works again. */
  send_and_check (&a, &b, "{\"after\":\"restart\"}");

  args[0] = a.client;
  args[1] = &stats;
  gst_p2p_loop_invoke_sync (loop, do_stats, args);
  fail_unless_equals_int (stats.joins, 2);
  fail_unless_equals_int (stats.disconnects, 1);
  fail_unless (stats.connect_failures >= 1);
  /* The queued signal went out at the rejoin (delivered, or refused if b
   * had not rejoined yet: both are fine, it was not lost in the client). */
  fail_unless_equals_int (stats.signals_sent, 3);
  fail_unless_equals_int (stats.signals_dropped, 0);

  gst_p2p_loop_invoke_sync (loop, probe_destroy, &a);
  gst_p2p_loop_invoke_sync (loop, probe_destroy, &b);
  g_free (a.last_from);
  g_free (a.last_payload);
  g_free (b.last_from);
  g_free (b.last_payload);
  test_tracker_free (t);
}

GST_END_TEST;

static Suite *
tracker_suite (void)
{
  Suite *s = suite_create ("tracker");
  TCase *tc = tcase_create ("general");

  gst_p2p_init ();
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_join_peers_signal);
  tcase_add_test (tc, test_tokens);
  tcase_add_test (tc, test_publish);
  tcase_add_test (tc, test_open_tracker_refuses_publish);
  tcase_add_test (tc, test_hostile_input);
  tcase_add_test (tc, test_rate_limit);
  tcase_add_test (tc, test_eviction);
  tcase_add_test (tc, test_metrics_format);
  tcase_add_test (tc, test_per_ip_limit);
  tcase_add_test (tc, test_sigterm);
  tcase_add_test (tc, test_tls);
  tcase_add_test (tc, test_client_reconnect);
  return s;
}

GST_CHECK_MAIN (tracker);
