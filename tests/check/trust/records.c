/* Unit tests of the signed hash batches and the keys (gst/trust/
 * gstp2phashrecord.c, gstp2ptrustkey.c): round trips, key files in every
 * documented form, and hostile input — every flipped byte, every
 * truncation, appended bytes, random garbage, wrong keys and malformed
 * publish payloads — rejected with the right error code.
 *
 * Threads: everything runs on the test's own thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "trust/gstp2phashrecord.h"
#include "trusttest.h"

#define T0 G_GINT64_CONSTANT (1704067200000000)

static GstP2pTrustPrivateKey *
new_key (void)
{
  GError *err = NULL;
  GstP2pTrustPrivateKey *k = gst_p2p_trust_private_key_generate (&err);

  fail_unless (k != NULL, "generate: %s", err ? err->message : "?");
  return k;
}

static gboolean
parse_with (GBytes * bytes, const GstP2pTrustPublicKey * key,
    GstP2pHashBatch * out, gint * code)
{
  GError *err = NULL;
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  gboolean ok = gst_p2p_hash_batch_parse (d, len, &key, 1, out, &err);

  if (!ok) {
    fail_unless (err != NULL && err->domain == GST_P2P_TRUST_ERROR);
    *code = err->code;
    g_error_free (err);
  }
  return ok;
}

GST_START_TEST (test_round_trip)
{
  GstP2pTrustPrivateKey *key = new_key ();
  const GstP2pTrustPublicKey *pub = gst_p2p_trust_private_key_get_public (key);
  GstP2pHashBatch *in = g_new0 (GstP2pHashBatch, 1);
  GstP2pHashBatch *out = g_new0 (GstP2pHashBatch, 1);
  guint8 swarm[GST_P2P_HASH_SWARM_LEN];
  GstP2pHashRecord r;
  GError *err = NULL;
  GBytes *bytes;
  gint code = -1;
  guint i;

  trust_test_swarm (swarm, 1);
  gst_p2p_hash_batch_init (in, swarm, T0 + 123, 77);
  for (i = 0; i < GST_P2P_HASH_BATCH_MAX_RECORDS - 1; i++) {
    gchar *c = trust_test_content ("rt", 1000 + i);

    trust_test_record (&r, 1000 + i, c);
    r.offset = i * 100;
    fail_unless (gst_p2p_hash_batch_add (in, &r));
    g_free (c);
  }
  /* An init segment: keyed by path and offset, no segment id. */
  memset (&r, 0, sizeof (r));
  r.kind = GST_P2P_HASH_KIND_INIT;
  r.size = 1234;
  memset (r.sha256, 0xab, sizeof (r.sha256));
  gst_p2p_hash_record_set_path (&r, "http://o.test/live/v0/init.mp4?t=1");
  fail_unless (gst_p2p_hash_batch_add (in, &r));
  fail_if (gst_p2p_hash_batch_add (in, &r), "a full batch took a record");

  bytes = gst_p2p_hash_batch_sign (in, key, &err);
  fail_unless (bytes != NULL, "%s", err ? err->message : "?");
  fail_unless (g_bytes_get_size (bytes) <= GST_P2P_HASH_BATCH_MAX_LEN);
  fail_unless (parse_with (bytes, pub, out, &code), "code %d", code);

  fail_unless_equals_int (out->n_records, in->n_records);
  fail_unless (memcmp (out->swarm, swarm, sizeof (swarm)) == 0);
  fail_unless (memcmp (out->key_id, gst_p2p_trust_public_key_get_id (pub),
          GST_P2P_TRUST_KEY_ID_LEN) == 0);
  fail_unless_equals_int64 (out->publish_time, T0 + 123);
  fail_unless_equals_uint64 (out->sequence, 77);
  for (i = 0; i < in->n_records; i++) {
    fail_unless_equals_int (out->records[i].kind, in->records[i].kind);
    fail_unless_equals_uint64 (out->records[i].segment_id,
        in->records[i].segment_id);
    fail_unless_equals_uint64 (out->records[i].offset, in->records[i].offset);
    fail_unless_equals_uint64 (out->records[i].size, in->records[i].size);
    fail_unless (memcmp (out->records[i].sha256, in->records[i].sha256,
            32) == 0);
    fail_unless_equals_string (out->records[i].path, in->records[i].path);
  }
  fail_unless_equals_string (out->records[0].path, "/live/v0/seg1000.ts");
  fail_unless_equals_string (out->records[i - 1].path, "/live/v0/init.mp4");

  g_bytes_unref (bytes);
  g_free (in);
  g_free (out);
  gst_p2p_trust_private_key_free (key);
}

GST_END_TEST;

GST_START_TEST (test_encoder_refuses_bad_records)
{
  GstP2pTrustPrivateKey *key = new_key ();
  GstP2pHashBatch *b = g_new0 (GstP2pHashBatch, 1);
  guint8 swarm[GST_P2P_HASH_SWARM_LEN];
  GstP2pHashRecord r;
  GError *err = NULL;

  trust_test_swarm (swarm, 1);
  gst_p2p_hash_batch_init (b, swarm, T0, 1);
  /* Empty. */
  fail_if (gst_p2p_hash_batch_sign (b, key, &err));
  fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_TOO_LARGE);
  g_clear_error (&err);
  /* Size 0. */
  trust_test_record (&r, 5, "x");
  r.size = 0;
  gst_p2p_hash_batch_add (b, &r);
  fail_if (gst_p2p_hash_batch_sign (b, key, &err));
  fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_BAD_FIELD);
  g_clear_error (&err);
  /* The same segment twice. */
  gst_p2p_hash_batch_init (b, swarm, T0, 1);
  trust_test_record (&r, 5, "x");
  gst_p2p_hash_batch_add (b, &r);
  gst_p2p_hash_batch_add (b, &r);
  fail_if (gst_p2p_hash_batch_sign (b, key, &err));
  fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_BAD_FIELD);
  g_clear_error (&err);
  /* An init segment without path. */
  gst_p2p_hash_batch_init (b, swarm, T0, 1);
  trust_test_record (&r, 0, "x");
  r.kind = GST_P2P_HASH_KIND_INIT;
  r.path[0] = '\0';
  gst_p2p_hash_batch_add (b, &r);
  fail_if (gst_p2p_hash_batch_sign (b, key, &err));
  fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_BAD_FIELD);
  g_clear_error (&err);

  g_free (b);
  gst_p2p_trust_private_key_free (key);
}

GST_END_TEST;

GST_START_TEST (test_record_path)
{
  GstP2pHashRecord r;
  GString *long_uri = g_string_new ("http://o.test/");
  guint i;

  gst_p2p_hash_record_set_path (&r, "https://cdn.test:8443/a/b.ts?x=1#f");
  fail_unless_equals_string (r.path, "/a/b.ts");
  gst_p2p_hash_record_set_path (&r, "/rel/c.ts?q");
  fail_unless_equals_string (r.path, "/rel/c.ts");
  /* Cut on a character boundary: 'é' is two bytes. */
  for (i = 0; i < 200; i++)
    g_string_append (long_uri, "é");
  gst_p2p_hash_record_set_path (&r, long_uri->str + strlen ("http://o.test"));
  fail_unless (strlen (r.path) <= GST_P2P_HASH_RECORD_MAX_PATH);
  fail_unless (strlen (r.path) >= GST_P2P_HASH_RECORD_MAX_PATH - 1);
  fail_unless (g_utf8_validate (r.path, -1, NULL));
  gst_p2p_hash_record_set_path (&r, "/a\tb\x01.ts");
  fail_unless_equals_string (r.path, "/a?b?.ts");
  g_string_free (long_uri, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_every_flipped_byte_rejected)
{
  GstP2pTrustPrivateKey *key = new_key ();
  const GstP2pTrustPublicKey *pub = gst_p2p_trust_private_key_get_public (key);
  GstP2pHashBatch *out = g_new0 (GstP2pHashBatch, 1);
  GBytes *good = trust_test_batch (key, 1, 40, 3, T0, "flip");
  gsize len, i;
  const guint8 *d = g_bytes_get_data (good, &len);
  guint counts[GST_P2P_TRUST_ERROR_N] = { 0 };
  gint code = -1;

  fail_unless (parse_with (good, pub, out, &code));
  for (i = 0; i < len; i++) {
    guint8 *copy = g_memdup2 (d, len);
    GBytes *bad;

    copy[i] ^= 0x01;
    bad = g_bytes_new_take (copy, len);
    fail_if (parse_with (bad, pub, out, &code), "flipped byte %"
        G_GSIZE_FORMAT " accepted", i);
    fail_unless (out->n_records == 0);
    counts[code]++;
    g_bytes_unref (bad);
  }
  /* Past the header, every flip is caught by the signature. */
  fail_unless (counts[GST_P2P_TRUST_ERROR_BAD_SIGNATURE] > len - 80);
  fail_unless (counts[GST_P2P_TRUST_ERROR_UNKNOWN_KEY] == 8);
  fail_unless (counts[GST_P2P_TRUST_ERROR_BAD_FORMAT] >= 4);
  fail_unless (counts[GST_P2P_TRUST_ERROR_BAD_VERSION] == 1);

  g_bytes_unref (good);
  g_free (out);
  gst_p2p_trust_private_key_free (key);
}

GST_END_TEST;

GST_START_TEST (test_truncated_oversized_garbage)
{
  GstP2pTrustPrivateKey *key = new_key ();
  const GstP2pTrustPublicKey *pub = gst_p2p_trust_private_key_get_public (key);
  GstP2pHashBatch *out = g_new0 (GstP2pHashBatch, 1);
  GBytes *good = trust_test_batch (key, 1, 40, 5, T0, "trunc");
  gsize len, i;
  const guint8 *d = g_bytes_get_data (good, &len);
  GError *err = NULL;
  guint8 *big;
  GRand *rand = g_rand_new_with_seed (4242);

  /* Every proper prefix. */
  for (i = 0; i < len; i++) {
    fail_if (gst_p2p_hash_batch_parse (d, i, &pub, 1, out, &err),
        "prefix of %" G_GSIZE_FORMAT " bytes accepted", i);
    fail_unless (err->code == GST_P2P_TRUST_ERROR_TRUNCATED,
        "prefix %" G_GSIZE_FORMAT ": %s", i, err->message);
    g_clear_error (&err);
  }
  /* A byte too many. */
  big = g_malloc0 (GST_P2P_HASH_BATCH_MAX_LEN + 100);
  memcpy (big, d, len);
  fail_if (gst_p2p_hash_batch_parse (big, len + 1, &pub, 1, out, &err));
  fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_TOO_LARGE);
  g_clear_error (&err);
  /* Larger than any batch can be. */
  fail_if (gst_p2p_hash_batch_parse (big, GST_P2P_HASH_BATCH_MAX_LEN + 1,
          &pub, 1, out, &err));
  fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_TOO_LARGE);
  g_clear_error (&err);
  /* A record count above the limit. */
  GST_WRITE_UINT16_BE (big + 6, GST_P2P_HASH_BATCH_MAX_RECORDS + 1);
  fail_if (gst_p2p_hash_batch_parse (big, len, &pub, 1, out, &err));
  fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_TOO_LARGE);
  g_clear_error (&err);

  /* Random garbage, half of it behind a valid magic and version. */
  for (i = 0; i < 20000; i++) {
    gsize n = g_rand_int_range (rand, 0, 2048);
    gsize j;

    for (j = 0; j < n; j++)
      big[j] = g_rand_int_range (rand, 0, 256);
    if (i % 2 && n >= 8) {
      memcpy (big, "P2PH\x01\x00", 6);
      big[6] = 0;
      big[7] = g_rand_int_range (rand, 0, 40);
    }
    fail_if (gst_p2p_hash_batch_parse (big, n, &pub, 1, out, &err));
    fail_unless (err != NULL);
    g_clear_error (&err);
  }

  g_rand_free (rand);
  g_free (big);
  g_bytes_unref (good);
  g_free (out);
  gst_p2p_trust_private_key_free (key);
}

GST_END_TEST;

GST_START_TEST (test_wrong_key_and_bad_signature)
{
  GstP2pTrustPrivateKey *key = new_key ();
  GstP2pTrustPrivateKey *other = new_key ();
  const GstP2pTrustPublicKey *pub = gst_p2p_trust_private_key_get_public (key);
  const GstP2pTrustPublicKey *opub =
      gst_p2p_trust_private_key_get_public (other);
  const GstP2pTrustPublicKey *both[2] = { opub, pub };
  GstP2pHashBatch *out = g_new0 (GstP2pHashBatch, 1);
  GBytes *good = trust_test_batch (key, 1, 7, 2, T0, "wk");
  gsize len;
  const guint8 *d = g_bytes_get_data (good, &len);
  guint8 *forged;
  GError *err = NULL;
  gint code = -1;

  /* The other key: unknown key. */
  fail_if (parse_with (good, opub, out, &code));
  fail_unless_equals_int (code, GST_P2P_TRUST_ERROR_UNKNOWN_KEY);
  /* Several keys configured: the right one is picked by id. */
  fail_unless (gst_p2p_hash_batch_parse (d, len, both, 2, out, NULL));
  /* No key at all. */
  fail_if (gst_p2p_hash_batch_parse (d, len, NULL, 0, out, &err));
  fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_UNKNOWN_KEY);
  g_clear_error (&err);
  /* A forger who copies the right key id but signs with its own key. */
  forged = g_memdup2 (d, len);
  {
    GBytes *theirs = trust_test_batch (other, 1, 7, 2, T0, "evil");
    gsize tlen;
    const guint8 *t = g_bytes_get_data (theirs, &tlen);

    g_free (forged);
    forged = g_memdup2 (t, tlen);
    memcpy (forged + 8, gst_p2p_trust_public_key_get_id (pub), 8);
    fail_if (gst_p2p_hash_batch_parse (forged, tlen, &pub, 1, out, &err));
    fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_BAD_SIGNATURE);
    g_clear_error (&err);
    g_bytes_unref (theirs);
  }

  g_free (forged);
  g_bytes_unref (good);
  g_free (out);
  gst_p2p_trust_private_key_free (key);
  gst_p2p_trust_private_key_free (other);
}

GST_END_TEST;

GST_START_TEST (test_payload)
{
  GstP2pTrustPrivateKey *key = new_key ();
  GBytes *good = trust_test_batch (key, 1, 7, 2, T0, "pl");
  gchar *json = gst_p2p_hash_payload_new (good);
  GBytes *back;
  GError *err = NULL;
  gchar *huge;
  const gchar *bad[] = {
    "", "not json", "[]", "{}", "{\"trust\":1}", "{\"batch\":\"UDJQSA==\"}",
    "{\"trust\":\"1\",\"batch\":\"UDJQSA==\"}",
    "{\"trust\":1,\"batch\":\"U DJQSA==\"}",
    "{\"trust\":1,\"batch\":\"UDJQSA=\"}",
    "{\"trust\":1,\"batch\":\"UDJQ!A==\"}",
    "{\"trust\":1,\"batch\":7}",
  };
  guint i;

  back = gst_p2p_hash_payload_parse (json, strlen (json), &err);
  fail_unless (back != NULL, "%s", err ? err->message : "?");
  fail_unless (g_bytes_equal (back, good));
  g_bytes_unref (back);

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    fail_if (gst_p2p_hash_payload_parse (bad[i], strlen (bad[i]), &err),
        "accepted %s", bad[i]);
    fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_BAD_FORMAT);
    g_clear_error (&err);
  }
  fail_if (gst_p2p_hash_payload_parse ("{\"trust\":2,\"batch\":\"UDJQSA==\"}",
          30, &err));
  fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_BAD_VERSION);
  g_clear_error (&err);
  huge = g_strnfill (GST_P2P_HASH_PAYLOAD_MAX_LEN + 1, 'A');
  fail_if (gst_p2p_hash_payload_parse (huge, strlen (huge), &err));
  fail_unless_equals_int (err->code, GST_P2P_TRUST_ERROR_TOO_LARGE);
  g_clear_error (&err);

  g_free (huge);
  g_free (json);
  g_bytes_unref (good);
  gst_p2p_trust_private_key_free (key);
}

GST_END_TEST;

GST_START_TEST (test_key_files)
{
  GstP2pTrustPrivateKey *key = new_key (), *loaded;
  const GstP2pTrustPublicKey *pub = gst_p2p_trust_private_key_get_public (key);
  GstP2pTrustPublicKey *p;
  gchar *dir = g_dir_make_tmp ("p2p-trust-XXXXXX", NULL);
  gchar *priv_path = g_build_filename (dir, "operator.pem", NULL);
  gchar *b64_path = g_build_filename (dir, "operator.pub", NULL);
  gchar *pem_path = g_build_filename (dir, "operator-pub.pem", NULL);
  gchar *b64 = gst_p2p_trust_public_key_to_base64 (pub);
  gchar *with_nl = g_strdup_printf ("%s\n", b64);
  GError *err = NULL;
  GStatBuf st;
  gchar *cmd, *out = NULL;
  gint status = -1;
  guint8 sig[64];

  fail_unless_equals_int (strlen (b64), 44);
  fail_unless (gst_p2p_trust_private_key_save (key, priv_path, &err),
      "%s", err ? err->message : "?");
  fail_unless (g_stat (priv_path, &st) == 0);
  fail_unless_equals_int (st.st_mode & 0777, 0600);
  /* Never overwrite an operator key. */
  fail_if (gst_p2p_trust_private_key_save (key, priv_path, &err));
  g_clear_error (&err);

  loaded = gst_p2p_trust_private_key_load (priv_path, &err);
  fail_unless (loaded != NULL, "%s", err ? err->message : "?");
  fail_unless (memcmp (gst_p2p_trust_public_key_get_raw
          (gst_p2p_trust_private_key_get_public (loaded)),
          gst_p2p_trust_public_key_get_raw (pub), 32) == 0);
  /* The loaded key signs what the original verifies. */
  fail_unless (gst_p2p_trust_private_key_sign (loaded, (guint8 *) "abc", 3,
          sig, NULL));
  fail_unless (gst_p2p_trust_public_key_verify (pub, (guint8 *) "abc", 3, sig));
  fail_if (gst_p2p_trust_public_key_verify (pub, (guint8 *) "abd", 3, sig));

  /* Inline base64, a file of base64, and (from openssl) a PEM public key. */
  p = gst_p2p_trust_public_key_parse (b64, &err);
  fail_unless (p != NULL && memcmp (gst_p2p_trust_public_key_get_raw (p),
          gst_p2p_trust_public_key_get_raw (pub), 32) == 0);
  gst_p2p_trust_public_key_free (p);
  fail_unless (g_file_set_contents (b64_path, with_nl, -1, NULL));
  p = gst_p2p_trust_public_key_parse (b64_path, &err);
  fail_unless (p != NULL, "%s", err ? err->message : "?");
  gst_p2p_trust_public_key_free (p);
  if (g_file_test ("/usr/bin/openssl", G_FILE_TEST_IS_EXECUTABLE)) {
    /* The private key file is the format openssl reads. */
    cmd = g_strdup_printf ("/usr/bin/openssl pkey -in %s -pubout -out %s",
        priv_path, pem_path);
    fail_unless (g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL));
    fail_unless_equals_int (status, 0);
    g_free (cmd);
    p = gst_p2p_trust_public_key_parse (pem_path, &err);
    fail_unless (p != NULL, "%s", err ? err->message : "?");
    fail_unless (memcmp (gst_p2p_trust_public_key_get_raw (p),
            gst_p2p_trust_public_key_get_raw (pub), 32) == 0);
    gst_p2p_trust_public_key_free (p);
  }

  /* Not keys. */
  fail_if (gst_p2p_trust_public_key_parse ("AAAA", &err));
  g_clear_error (&err);
  fail_if (gst_p2p_trust_public_key_parse (priv_path, &err));
  g_clear_error (&err);
  fail_if (gst_p2p_trust_public_key_parse (dir, &err));
  g_clear_error (&err);
  fail_if (gst_p2p_trust_private_key_load (b64_path, &err));
  g_clear_error (&err);
  /* 43 valid characters and a bad one: not silently skipped. */
  out = g_strdup (b64);
  out[10] = '*';
  fail_if (gst_p2p_trust_public_key_parse (out, &err));
  g_clear_error (&err);

  g_unlink (priv_path);
  g_unlink (b64_path);
  g_unlink (pem_path);
  g_rmdir (dir);
  g_free (out);
  g_free (with_nl);
  g_free (b64);
  g_free (priv_path);
  g_free (b64_path);
  g_free (pem_path);
  g_free (dir);
  gst_p2p_trust_private_key_free (loaded);
  gst_p2p_trust_private_key_free (key);
}

GST_END_TEST;

static Suite *
trust_records_suite (void)
{
  Suite *s = suite_create ("trust-records");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_encoder_refuses_bad_records);
  tcase_add_test (tc, test_record_path);
  tcase_add_test (tc, test_every_flipped_byte_rejected);
  tcase_add_test (tc, test_truncated_oversized_garbage);
  tcase_add_test (tc, test_wrong_key_and_bad_signature);
  tcase_add_test (tc, test_payload);
  tcase_add_test (tc, test_key_files);
  return s;
}

GST_CHECK_MAIN (trust_records);
