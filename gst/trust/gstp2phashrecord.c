/* Signed batches of segment hashes: encoding, signing, bounded parsing. See
 * gstp2phashrecord.h for the layout.
 *
 * Threads: no state; callable from any thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "trust/gstp2phashrecord.h"
#include "signalling/gstp2psignalmessage.h"

#define GST_CAT_DEFAULT (gst_p2p_trust_debug_category ())

static const guint8 magic[4] = { 'P', '2', 'P', 'H' };

/* Domain separation: this key signs nothing else, but a signature over a
 * batch must never be mistaken for one over another kind of message. */
#define SIGN_CONTEXT "gst-p2p-hash-batch\n"

/**
 * gst_p2p_hash_batch_init:
 * @batch: the batch to reset
 * @swarm: the swarm all its records belong to
 * @publish_time: microseconds since the epoch
 * @sequence: the publisher's batch counter
 */
void
gst_p2p_hash_batch_init (GstP2pHashBatch * batch,
    const guint8 swarm[GST_P2P_HASH_SWARM_LEN], gint64 publish_time,
    guint64 sequence)
{
  g_return_if_fail (batch != NULL && swarm != NULL);

  memset (batch->key_id, 0, sizeof (batch->key_id));
  memcpy (batch->swarm, swarm, GST_P2P_HASH_SWARM_LEN);
  batch->publish_time = publish_time;
  batch->sequence = sequence;
  batch->n_records = 0;
}

/**
 * gst_p2p_hash_batch_add:
 * @batch: a batch
 * @record: a record to copy into it
 *
 * Returns: FALSE if the batch is full.
 */
gboolean
gst_p2p_hash_batch_add (GstP2pHashBatch * batch,
    const GstP2pHashRecord * record)
{
  g_return_val_if_fail (batch != NULL && record != NULL, FALSE);

  if (batch->n_records >= GST_P2P_HASH_BATCH_MAX_RECORDS)
    return FALSE;
  batch->records[batch->n_records++] = *record;
  return TRUE;
}

/**
 * gst_p2p_hash_record_set_path:
 * @record: a record
 * @uri: an absolute URI or a path
 *
 * Stores the path of @uri without query or fragment, cut to
 * GST_P2P_HASH_RECORD_MAX_PATH bytes on a character boundary, with control
 * characters replaced by '?'.
 */
void
gst_p2p_hash_record_set_path (GstP2pHashRecord * record, const gchar * uri)
{
  const gchar *path = uri, *end;
  gsize len;
  GUri *u = NULL;

  g_return_if_fail (record != NULL && uri != NULL);

  if (strstr (uri, "://") && (u = g_uri_parse (uri, G_URI_FLAGS_ENCODED, NULL)))
    path = g_uri_get_path (u);
  len = strcspn (path, "?#");
  if (len > GST_P2P_HASH_RECORD_MAX_PATH)
    len = GST_P2P_HASH_RECORD_MAX_PATH;
  /* Never cut inside a character, nor keep invalid bytes. */
  g_utf8_validate (path, len, &end);
  len = end - path;
  memcpy (record->path, path, len);
  record->path[len] = '\0';
  for (gsize i = 0; i < len; i++)
    if ((guint8) record->path[i] < 0x20 || record->path[i] == 0x7f)
      record->path[i] = '?';
  if (u)
    g_uri_unref (u);
}

static gboolean
path_valid (const gchar * p, gsize len)
{
  gsize i;

  if (!g_utf8_validate (p, len, NULL))
    return FALSE;
  for (i = 0; i < len; i++)
    if ((guint8) p[i] < 0x20 || p[i] == 0x7f)
      return FALSE;
  return TRUE;
}

/* Field rules shared by the encoder (our own mistakes) and the parser. */
static gboolean
check_records (const GstP2pHashBatch * batch, GError ** error)
{
  guint i, j;

  if (batch->n_records == 0
      || batch->n_records > GST_P2P_HASH_BATCH_MAX_RECORDS) {
    g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_TOO_LARGE,
        "%u records (1..%u allowed)", batch->n_records,
        GST_P2P_HASH_BATCH_MAX_RECORDS);
    return FALSE;
  }
  for (i = 0; i < batch->n_records; i++) {
    const GstP2pHashRecord *r = &batch->records[i];
    gsize plen = strnlen (r->path, GST_P2P_HASH_RECORD_MAX_PATH + 1);

    if ((r->kind != GST_P2P_HASH_KIND_MEDIA
            && r->kind != GST_P2P_HASH_KIND_INIT)
        || r->size == 0 || r->size > GST_P2P_HASH_RECORD_MAX_SIZE
        || r->offset > G_MAXUINT64 - r->size
        || plen > GST_P2P_HASH_RECORD_MAX_PATH || !path_valid (r->path, plen)
        || (r->kind == GST_P2P_HASH_KIND_INIT && (plen == 0
                || r->segment_id != 0))) {
      g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_BAD_FIELD,
          "record %u: invalid kind, size, offset or path", i);
      return FALSE;
    }
    /* One fact per segment: a batch that says two things is refused. */
    for (j = 0; j < i; j++) {
      const GstP2pHashRecord *o = &batch->records[j];

      if (o->kind == r->kind && (r->kind == GST_P2P_HASH_KIND_MEDIA ?
              o->segment_id == r->segment_id :
              (o->offset == r->offset && strcmp (o->path, r->path) == 0))) {
        g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_BAD_FIELD,
            "records %u and %u are the same segment", j, i);
        return FALSE;
      }
    }
  }
  return TRUE;
}

static gboolean
sign_or_verify (const guint8 * body, gsize body_len,
    GstP2pTrustPrivateKey * priv, const GstP2pTrustPublicKey * pub,
    guint8 sig[GST_P2P_TRUST_SIGNATURE_LEN], GError ** error)
{
  gsize ctx_len = strlen (SIGN_CONTEXT);
  guint8 *msg = g_malloc (ctx_len + body_len);
  gboolean ok;

  memcpy (msg, SIGN_CONTEXT, ctx_len);
  memcpy (msg + ctx_len, body, body_len);
  if (priv)
    ok = gst_p2p_trust_private_key_sign (priv, msg, ctx_len + body_len, sig,
        error);
  else
    ok = gst_p2p_trust_public_key_verify (pub, msg, ctx_len + body_len, sig);
  g_free (msg);
  return ok;
}

/**
 * gst_p2p_hash_batch_sign:
 * @batch: a batch with 1..GST_P2P_HASH_BATCH_MAX_RECORDS valid records
 * @key: the operator's key
 * @error: return location for a #GstP2pTrustError
 *
 * Returns: (transfer full) (nullable): the signed encoding
 */
GBytes *
gst_p2p_hash_batch_sign (const GstP2pHashBatch * batch,
    GstP2pTrustPrivateKey * key, GError ** error)
{
  const GstP2pTrustPublicKey *pub;
  guint8 *buf, *p;
  gsize len = GST_P2P_HASH_BATCH_HEADER_LEN;
  guint i;

  g_return_val_if_fail (batch != NULL && key != NULL, NULL);

  if (!check_records (batch, error))
    return NULL;
  for (i = 0; i < batch->n_records; i++)
    len += GST_P2P_HASH_RECORD_FIXED_LEN + strlen (batch->records[i].path);
  buf = g_malloc0 (len + GST_P2P_TRUST_SIGNATURE_LEN);
  pub = gst_p2p_trust_private_key_get_public (key);

  p = buf;
  memcpy (p, magic, 4);
  p[4] = GST_P2P_HASH_BATCH_VERSION;
  p[5] = 0;
  GST_WRITE_UINT16_BE (p + 6, batch->n_records);
  memcpy (p + 8, gst_p2p_trust_public_key_get_id (pub),
      GST_P2P_TRUST_KEY_ID_LEN);
  memcpy (p + 16, batch->swarm, GST_P2P_HASH_SWARM_LEN);
  GST_WRITE_UINT64_BE (p + 48, (guint64) batch->publish_time);
  GST_WRITE_UINT64_BE (p + 56, batch->sequence);
  p += GST_P2P_HASH_BATCH_HEADER_LEN;
  for (i = 0; i < batch->n_records; i++) {
    const GstP2pHashRecord *r = &batch->records[i];
    gsize plen = strlen (r->path);

    p[0] = r->kind;
    p[1] = 0;
    GST_WRITE_UINT16_BE (p + 2, plen);
    GST_WRITE_UINT64_BE (p + 4, r->segment_id);
    GST_WRITE_UINT64_BE (p + 12, r->offset);
    GST_WRITE_UINT64_BE (p + 20, r->size);
    memcpy (p + 28, r->sha256, GST_P2P_TRUST_SHA256_LEN);
    memcpy (p + GST_P2P_HASH_RECORD_FIXED_LEN, r->path, plen);
    p += GST_P2P_HASH_RECORD_FIXED_LEN + plen;
  }
  g_assert ((gsize) (p - buf) == len);
  if (!sign_or_verify (buf, len, key, NULL, p, error)) {
    g_free (buf);
    return NULL;
  }
  return g_bytes_new_take (buf, len + GST_P2P_TRUST_SIGNATURE_LEN);
}

static gboolean
fail (GError ** error, GstP2pTrustError code, const gchar * msg)
{
  g_set_error_literal (error, GST_P2P_TRUST_ERROR, code, msg);
  return FALSE;
}

/**
 * gst_p2p_hash_batch_parse:
 * @data: a signed batch, hostile
 * @size: its length
 * @keys: (array length=n_keys): the public keys to accept
 * @n_keys: their number
 * @batch: (out caller-allocates): the records, valid only on success
 * @error: return location for a #GstP2pTrustError
 *
 * Checks the structure and exact length, finds the key by its id, verifies
 * the signature, then every field. Nothing in @batch is to be trusted
 * unless this returns TRUE.
 *
 * Returns: TRUE if @data is a valid batch signed by one of @keys.
 */
gboolean
gst_p2p_hash_batch_parse (const guint8 * data, gsize size,
    const GstP2pTrustPublicKey * const *keys, guint n_keys,
    GstP2pHashBatch * batch, GError ** error)
{
  const GstP2pTrustPublicKey *key = NULL;
  const guint8 *p;
  gsize pos, plen;
  guint n, i;

  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (batch != NULL, FALSE);

  batch->n_records = 0;
  if (size > GST_P2P_HASH_BATCH_MAX_LEN)
    return fail (error, GST_P2P_TRUST_ERROR_TOO_LARGE, "batch too large");
  if (size < 4 || memcmp (data, magic, 4) != 0)
    return fail (error, size < 4 ? GST_P2P_TRUST_ERROR_TRUNCATED :
        GST_P2P_TRUST_ERROR_BAD_FORMAT, "not a hash batch");
  if (size < 5)
    return fail (error, GST_P2P_TRUST_ERROR_TRUNCATED, "truncated header");
  if (data[4] != GST_P2P_HASH_BATCH_VERSION)
    return fail (error, GST_P2P_TRUST_ERROR_BAD_VERSION,
        "unknown batch version");
  if (size < GST_P2P_HASH_BATCH_HEADER_LEN + GST_P2P_TRUST_SIGNATURE_LEN)
    return fail (error, GST_P2P_TRUST_ERROR_TRUNCATED, "truncated header");
  if (data[5] != 0)
    return fail (error, GST_P2P_TRUST_ERROR_BAD_FORMAT, "reserved flags set");
  n = GST_READ_UINT16_BE (data + 6);
  if (n == 0 || n > GST_P2P_HASH_BATCH_MAX_RECORDS)
    return fail (error, GST_P2P_TRUST_ERROR_TOO_LARGE, "bad record count");

  /* Walk the record lengths: the signature must sit exactly at the end. */
  pos = GST_P2P_HASH_BATCH_HEADER_LEN;
  for (i = 0; i < n; i++) {
    if (size - pos < GST_P2P_HASH_RECORD_FIXED_LEN)
      return fail (error, GST_P2P_TRUST_ERROR_TRUNCATED, "truncated record");
    plen = GST_READ_UINT16_BE (data + pos + 2);
    if (plen > GST_P2P_HASH_RECORD_MAX_PATH)
      return fail (error, GST_P2P_TRUST_ERROR_TOO_LARGE, "path too long");
    pos += GST_P2P_HASH_RECORD_FIXED_LEN;
    if (size - pos < plen)
      return fail (error, GST_P2P_TRUST_ERROR_TRUNCATED, "truncated path");
    pos += plen;
  }
  if (size - pos < GST_P2P_TRUST_SIGNATURE_LEN)
    return fail (error, GST_P2P_TRUST_ERROR_TRUNCATED, "truncated signature");
  if (size - pos > GST_P2P_TRUST_SIGNATURE_LEN)
    return fail (error, GST_P2P_TRUST_ERROR_TOO_LARGE,
        "bytes after the signature");

  for (i = 0; i < n_keys && !key; i++)
    if (keys[i] && memcmp (gst_p2p_trust_public_key_get_id (keys[i]),
            data + 8, GST_P2P_TRUST_KEY_ID_LEN) == 0)
      key = keys[i];
  if (!key)
    return fail (error, GST_P2P_TRUST_ERROR_UNKNOWN_KEY,
        "signed by a key that is not configured");
  if (!sign_or_verify (data, pos, NULL, key, (guint8 *) data + pos, NULL))
    return fail (error, GST_P2P_TRUST_ERROR_BAD_SIGNATURE,
        "the signature does not verify");

  memcpy (batch->key_id, data + 8, GST_P2P_TRUST_KEY_ID_LEN);
  memcpy (batch->swarm, data + 16, GST_P2P_HASH_SWARM_LEN);
  batch->publish_time = (gint64) GST_READ_UINT64_BE (data + 48);
  batch->sequence = GST_READ_UINT64_BE (data + 56);
  p = data + GST_P2P_HASH_BATCH_HEADER_LEN;
  for (i = 0; i < n; i++) {
    GstP2pHashRecord *r = &batch->records[i];

    if (p[1] != 0) {
      batch->n_records = 0;
      return fail (error, GST_P2P_TRUST_ERROR_BAD_FORMAT,
          "reserved record byte set");
    }
    r->kind = p[0];
    plen = GST_READ_UINT16_BE (p + 2);
    r->segment_id = GST_READ_UINT64_BE (p + 4);
    r->offset = GST_READ_UINT64_BE (p + 12);
    r->size = GST_READ_UINT64_BE (p + 20);
    memcpy (r->sha256, p + 28, GST_P2P_TRUST_SHA256_LEN);
    memcpy (r->path, p + GST_P2P_HASH_RECORD_FIXED_LEN, plen);
    r->path[plen] = '\0';
    /* An embedded NUL would hide the rest of the path from checks. */
    if (strlen (r->path) != plen) {
      batch->n_records = 0;
      return fail (error, GST_P2P_TRUST_ERROR_BAD_FIELD, "NUL in path");
    }
    p += GST_P2P_HASH_RECORD_FIXED_LEN + plen;
  }
  batch->n_records = n;
  if (!check_records (batch, error)) {
    batch->n_records = 0;
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_p2p_hash_payload_new:
 * @signed_batch: from gst_p2p_hash_batch_sign()
 *
 * Returns: (transfer full): the JSON object to publish through the tracker
 */
gchar *
gst_p2p_hash_payload_new (GBytes * signed_batch)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (signed_batch, &len);
  gchar *b64 = g_base64_encode (d, len);
  gchar *json = g_strdup_printf ("{\"trust\":1,\"batch\":\"%s\"}", b64);

  g_free (b64);
  return json;
}

static gboolean
base64_valid (const gchar * s, gsize len)
{
  static const gchar alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  gsize body;

  if (len == 0 || len % 4 != 0)
    return FALSE;
  body = len;
  if (s[len - 1] == '=')
    body--;
  if (s[len - 2] == '=')
    body--;
  return strspn (s, alphabet) == body;
}

/**
 * gst_p2p_hash_payload_parse:
 * @payload_json: the payload of a tracker "publish" message, hostile
 * @size: its length
 * @error: return location for a #GstP2pTrustError
 *
 * Unwraps {"trust":1,"batch":"<base64>"}; the batch is not verified yet
 * (gst_p2p_hash_batch_parse()).
 *
 * Returns: (transfer full) (nullable): the batch bytes
 */
GBytes *
gst_p2p_hash_payload_parse (const gchar * payload_json, gsize size,
    GError ** error)
{
  JsonObject *obj;
  const gchar *b64 = NULL;
  gint64 version = 0;
  GBytes *bytes = NULL;
  gsize len;
  guchar *raw;

  g_return_val_if_fail (payload_json != NULL || size == 0, NULL);

  if (size > GST_P2P_HASH_PAYLOAD_MAX_LEN) {
    fail (error, GST_P2P_TRUST_ERROR_TOO_LARGE, "payload too large");
    return NULL;
  }
  obj = gst_p2p_signal_message_parse (payload_json, size,
      GST_P2P_HASH_PAYLOAD_MAX_LEN, 4, NULL);
  if (!obj) {
    fail (error, GST_P2P_TRUST_ERROR_BAD_FORMAT, "payload is not JSON");
    return NULL;
  }
  if (!gst_p2p_signal_message_get_int (obj, "trust", TRUE, 0, G_MAXINT,
          &version, NULL)
      || !gst_p2p_signal_message_get_string (obj, "batch", TRUE,
          GST_P2P_HASH_PAYLOAD_MAX_LEN, &b64, NULL)) {
    fail (error, GST_P2P_TRUST_ERROR_BAD_FORMAT,
        "payload lacks \"trust\" or \"batch\"");
  } else if (version != 1) {
    fail (error, GST_P2P_TRUST_ERROR_BAD_VERSION, "unknown payload version");
  } else if (!base64_valid (b64, strlen (b64))) {
    fail (error, GST_P2P_TRUST_ERROR_BAD_FORMAT, "batch is not base64");
  } else {
    raw = g_base64_decode (b64, &len);
    bytes = g_bytes_new_take (raw, len);
  }
  json_object_unref (obj);
  return bytes;
}
