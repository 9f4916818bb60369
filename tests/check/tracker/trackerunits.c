/* Unit tests of the tracker's plain-function parts: join tokens, the token
 * bucket, reconnection backoff, the bounded message scanner and the config
 * file loader. The clock is always passed in.
 *
 * Threads: the test's main thread only.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "signalling/gstp2pbackoff.h"
#include "signalling/gstp2psignalmessage.h"
#include "gstp2ptokenbucket.h"
#include "gstp2ptrackerconfig.h"
#include "gstp2ptrackersecret.h"

static GBytes *
secret (const gchar * s)
{
  return g_bytes_new (s, strlen (s));
}

GST_START_TEST (test_token_roundtrip)
{
  GBytes *key = secret ("0123456789abcdef0123");
  GBytes *other = secret ("fedcba9876543210fedc");
  GstP2pTokenRole role = -1;
  gchar *tok = gst_p2p_token_make (key, "swarm-a", 2000,
      GST_P2P_TOKEN_ROLE_VIEWER);
  gchar *pub = gst_p2p_token_make (key, "swarm-a", 2000,
      GST_P2P_TOKEN_ROLE_PUBLISHER);
  gchar *bad;

  fail_unless (g_str_has_prefix (tok, "v1.v.2000."));
  fail_unless (gst_p2p_token_check (key, tok, "swarm-a", 1999, &role) == NULL);
  fail_unless_equals_int (role, GST_P2P_TOKEN_ROLE_VIEWER);
  fail_unless (gst_p2p_token_check (key, pub, "swarm-a", 2000, &role) == NULL);
  fail_unless_equals_int (role, GST_P2P_TOKEN_ROLE_PUBLISHER);

  fail_unless_equals_string (gst_p2p_token_check (key, tok,
          "swarm-a", 2001, &role), "token-expired");
  fail_unless_equals_string (gst_p2p_token_check (key, tok,
          "swarm-b", 0, &role), "token-wrong-swarm");
  fail_unless_equals_string (gst_p2p_token_check (other, tok,
          "swarm-a", 0, &role), "token-forged");
  fail_unless_equals_string (gst_p2p_token_check (key, NULL,
          "swarm-a", 0, &role), "token-missing");
  fail_unless_equals_string (gst_p2p_token_check (key, "",
          "swarm-a", 0, &role), "token-missing");

  /* Upgrading a viewer token to a publisher one breaks the MAC. */
  bad = g_strdup (tok);
  bad[3] = 'p';
  fail_unless_equals_string (gst_p2p_token_check (key, bad,
          "swarm-a", 0, &role), "token-forged");
  g_free (bad);
  /* So does extending the expiry. */
  bad = g_strdup (tok);
  bad[5] = '9';
  fail_unless_equals_string (gst_p2p_token_check (key, bad,
          "swarm-a", 0, &role), "token-forged");
  g_free (bad);

  fail_unless_equals_string (gst_p2p_token_check (key, "v1.v.x.a.b",
          "swarm-a", 0, &role), "token-malformed");
  fail_unless_equals_string (gst_p2p_token_check (key,
          "v2.v.1.a.b", "swarm-a", 0, &role), "token-malformed");
  fail_unless_equals_string (gst_p2p_token_check (key,
          "v1.q.1.a.b", "swarm-a", 0, &role), "token-malformed");
  fail_unless_equals_string (gst_p2p_token_check (key,
          "v1.v.1.a.b.c", "swarm-a", 0, &role), "token-malformed");
  fail_unless_equals_string (gst_p2p_token_check (key,
          "v1.v.1234567890123.a.b", "swarm-a", 0, &role), "token-malformed");

  g_free (tok);
  g_free (pub);
  g_bytes_unref (key);
  g_bytes_unref (other);
}

GST_END_TEST;

/* The engine's side of the format: of the tokens a viewer holds, the one
 * minted for the swarm it joins; else the first (a closed tracker then
 * says token-wrong-swarm, the useful diagnostic). */
GST_START_TEST (test_token_pick)
{
  GBytes *secret = g_bytes_new_static ("0123456789abcdef0123", 20);
  gchar *a = gst_p2p_token_make (secret, "swarm-a", 2000000000,
      GST_P2P_TOKEN_ROLE_VIEWER);
  gchar *b = gst_p2p_token_make (secret, "swarm-b", 2000000000,
      GST_P2P_TOKEN_ROLE_VIEWER);
  gchar *list = g_strdup_printf ("%s, %s\n", a, b);
  gchar *got;
  GstP2pTokenRole role;

  got = gst_p2p_token_pick (list, "swarm-b");
  fail_unless_equals_string (got, b);
  fail_unless (gst_p2p_token_check (secret, got, "swarm-b", 1000, &role) ==
      NULL);
  g_free (got);
  got = gst_p2p_token_pick (list, "swarm-c");
  fail_unless_equals_string (got, a);
  fail_unless_equals_string (gst_p2p_token_check (secret, got, "swarm-c",
          1000, &role), "token-wrong-swarm");
  g_free (got);
  fail_unless (gst_p2p_token_pick ("", "swarm-a") == NULL);
  fail_unless (gst_p2p_token_pick (NULL, "swarm-a") == NULL);
  g_free (list);
  g_free (a);
  g_free (b);
  g_bytes_unref (secret);
}

GST_END_TEST;

GST_START_TEST (test_secret_load)
{
  gchar *dir = g_dir_make_tmp ("p2p-secret-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "s", NULL);
  GError *err = NULL;
  GBytes *b;

  g_file_set_contents (path, "short\n", -1, NULL);
  fail_unless (gst_p2p_tracker_secret_load (path, &err) == NULL);
  fail_unless (err != NULL);
  g_clear_error (&err);

  g_file_set_contents (path, "0123456789abcdef\n\n", -1, NULL);
  g_chmod (path, 0600);
  b = gst_p2p_tracker_secret_load (path, &err);
  fail_unless (b != NULL);
  /* Trailing newlines are not part of the secret. */
  fail_unless_equals_int (g_bytes_get_size (b), 16);
  g_bytes_unref (b);

  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_token_bucket)
{
  GstP2pTokenBucket b;
  guint i, granted = 0;

  gst_p2p_token_bucket_init (&b, 10, 5, 0);
  for (i = 0; i < 10; i++)
    granted += gst_p2p_token_bucket_take (&b, 1, 0);
  fail_unless_equals_int (granted, 5);
  /* 100 ms refills one token. */
  fail_unless (gst_p2p_token_bucket_take (&b, 1, 100000));
  fail_if (gst_p2p_token_bucket_take (&b, 1, 100000));
  /* A long pause refills up to the burst only. */
  granted = 0;
  for (i = 0; i < 10; i++)
    granted += gst_p2p_token_bucket_take (&b, 1, 60 * G_USEC_PER_SEC);
  fail_unless_equals_int (granted, 5);
  /* Costs above the burst are never granted. */
  fail_if (gst_p2p_token_bucket_take (&b, 6, 120 * G_USEC_PER_SEC));
  /* A clock going backwards does not mint tokens. */
  fail_unless (gst_p2p_token_bucket_take (&b, 5, 120 * G_USEC_PER_SEC));
  fail_if (gst_p2p_token_bucket_take (&b, 1, 0));

  /* Rate 0 means unlimited. */
  gst_p2p_token_bucket_init (&b, 0, 1, 0);
  for (i = 0; i < 1000; i++)
    fail_unless (gst_p2p_token_bucket_take (&b, 1000, 0));
}

GST_END_TEST;

GST_START_TEST (test_backoff)
{
  guint a;

  /* Windows 100, 200, 400, 800, then capped at 1000. */
  fail_unless_equals_int (gst_p2p_backoff_delay_ms (0, 100, 1000, 0.0), 50);
  fail_unless_equals_int (gst_p2p_backoff_delay_ms (0, 100, 1000, 1.0), 100);
  fail_unless_equals_int (gst_p2p_backoff_delay_ms (2, 100, 1000, 1.0), 400);
  fail_unless_equals_int (gst_p2p_backoff_delay_ms (3, 100, 1000, 0.0), 400);
  for (a = 4; a < 100; a++) {
    fail_unless_equals_int (gst_p2p_backoff_delay_ms (a, 100, 1000, 1.0), 1000);
    fail_unless_equals_int (gst_p2p_backoff_delay_ms (a, 100, 1000, 0.0), 500);
  }
  /* Huge attempt counts neither overflow nor exceed the cap. */
  fail_unless (gst_p2p_backoff_delay_ms (G_MAXUINT, 500, 30000, 0.7) <= 30000);
  /* Out-of-range random numbers are clamped. */
  fail_unless_equals_int (gst_p2p_backoff_delay_ms (0, 100, 1000, 7.0), 100);
}

GST_END_TEST;

static gint
scan_code (const gchar * s, gsize max_size, guint depth)
{
  GError *err = NULL;
  gint code = -1;

  if (!gst_p2p_signal_message_scan (s, strlen (s), max_size, depth, &err)) {
    code = err->code;
    g_error_free (err);
  }
  return code;
}

GST_START_TEST (test_message_scan)
{
  GError *err = NULL;
  JsonObject *o;
  const gchar *str;
  gint64 v;

  fail_unless_equals_int (scan_code ("{\"a\":[[1]]}", 100, 3), -1);
  fail_unless_equals_int (scan_code ("{\"a\":[[[1]]]}", 100, 3),
      GST_P2P_SIGNAL_ERROR_TOO_DEEP);
  /* Brackets inside strings, escaped quotes included, are not nesting. */
  fail_unless_equals_int (scan_code ("{\"a\":\"[[[[\\\"[[[[\"}", 100, 2), -1);
  fail_unless_equals_int (scan_code ("{\"a\":1}", 6, 3),
      GST_P2P_SIGNAL_ERROR_TOO_LARGE);
  fail_unless_equals_int (scan_code ("{\"a\":\"\xff\"}", 100, 3),
      GST_P2P_SIGNAL_ERROR_BAD_UTF8);
  /* Embedded NUL bytes are refused. */
  fail_if (gst_p2p_signal_message_scan ("{\"a\":\0}", 7, 100, 3, NULL));

  str = "{\"s\":\"x\",\"i\":5,\"f\":1.5,\"o\":{}}";
  o = gst_p2p_signal_message_parse (str, strlen (str), 100, 3, &err);
  fail_unless (o != NULL);
  fail_unless (gst_p2p_signal_message_get_string (o, "s", TRUE, 1, &str, NULL));
  fail_if (gst_p2p_signal_message_get_string (o, "s", TRUE, 0, &str, NULL));
  fail_if (gst_p2p_signal_message_get_string (o, "i", TRUE, 10, &str, NULL));
  fail_unless (gst_p2p_signal_message_get_string (o, "absent", FALSE, 10,
          &str, NULL) && str == NULL);
  fail_if (gst_p2p_signal_message_get_string (o, "absent", TRUE, 10, &str,
          &err));
  fail_unless_equals_int (err->code, GST_P2P_SIGNAL_ERROR_MISSING_FIELD);
  g_clear_error (&err);
  fail_unless (gst_p2p_signal_message_get_int (o, "i", TRUE, 0, 5, &v, NULL));
  fail_unless_equals_int (v, 5);
  fail_if (gst_p2p_signal_message_get_int (o, "i", TRUE, 0, 4, &v, NULL));
  /* Floats are not silently truncated to integers. */
  fail_if (gst_p2p_signal_message_get_int (o, "f", TRUE, 0, 9, &v, NULL));
  json_object_unref (o);

  fail_if (gst_p2p_signal_message_parse ("[1]", 3, 100, 3, &err));
  fail_unless_equals_int (err->code, GST_P2P_SIGNAL_ERROR_NOT_OBJECT);
  g_clear_error (&err);
  fail_if (gst_p2p_signal_message_parse ("{\"a\":", 5, 100, 3, &err));
  fail_unless_equals_int (err->code, GST_P2P_SIGNAL_ERROR_BAD_JSON);
  g_clear_error (&err);

  fail_unless (gst_p2p_signal_valid_peer_id ("Ab-_09"));
  fail_if (gst_p2p_signal_valid_peer_id (""));
  fail_if (gst_p2p_signal_valid_peer_id ("a b"));
  fail_if (gst_p2p_signal_valid_peer_id ("a\"b"));
  fail_unless (gst_p2p_signal_valid_swarm_id
      ("https://cdn.example/live/master.m3u8#1080p"));
  fail_if (gst_p2p_signal_valid_swarm_id ("a\\b"));
  fail_if (gst_p2p_signal_valid_swarm_id ("caf\xc3\xa9"));
}

GST_END_TEST;

GST_START_TEST (test_config_load)
{
  gchar *dir = g_dir_make_tmp ("p2p-conf-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "c", NULL);
  GstP2pTrackerConfig c;
  GError *err = NULL;

  gst_p2p_tracker_config_init (&c);
  g_file_set_contents (path, "[tracker]\nmax-clients=5\nrate-messages=2.5\n"
      "metrics=false\nlisten=127.0.0.1:1\nunknown-key=1\n", -1, NULL);
  fail_unless (gst_p2p_tracker_config_load (&c, path, &err));
  fail_unless_equals_int (c.max_clients, 5);
  fail_unless (c.rate_messages == 2.5);
  fail_if (c.metrics);
  fail_unless_equals_string (c.listen, "127.0.0.1:1");
  /* Untouched keys keep their defaults. */
  fail_unless_equals_int (c.max_message_size, 16 * 1024);

  g_file_set_contents (path, "[tracker]\nmax-depth=1000\n", -1, NULL);
  fail_if (gst_p2p_tracker_config_load (&c, path, &err));
  g_clear_error (&err);
  g_file_set_contents (path, "[tracker]\nmax-clients=lots\n", -1, NULL);
  fail_if (gst_p2p_tracker_config_load (&c, path, &err));
  g_clear_error (&err);
  g_file_set_contents (path, "[tracker]\nmax-message-size=9000\n"
      "max-frame-size=4096\n", -1, NULL);
  fail_if (gst_p2p_tracker_config_load (&c, path, &err));
  g_clear_error (&err);

  gst_p2p_tracker_config_clear (&c);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

static Suite *
trackerunits_suite (void)
{
  Suite *s = suite_create ("trackerunits");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_token_roundtrip);
  tcase_add_test (tc, test_token_pick);
  tcase_add_test (tc, test_secret_load);
  tcase_add_test (tc, test_token_bucket);
  tcase_add_test (tc, test_backoff);
  tcase_add_test (tc, test_message_scan);
  tcase_add_test (tc, test_config_load);
  return s;
}

GST_CHECK_MAIN (trackerunits);
