/* Ed25519 keys of the operator and the viewers. See gstp2ptrustkey.h.
 *
 * Threads: keys are immutable after creation; see the header for who
 * serialises their use.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "trust/gstp2ptrustkey.h"
#include "trust/gstp2ptrusttypes.h"

/* Key files are tiny; anything bigger is not one. */
#define MAX_KEY_FILE 16384

struct _GstP2pTrustPublicKey
{
  gnutls_pubkey_t pub;
  guint8 raw[GST_P2P_TRUST_PUBLIC_KEY_LEN];
  guint8 id[GST_P2P_TRUST_KEY_ID_LEN];
};

struct _GstP2pTrustPrivateKey
{
  gnutls_privkey_t priv;
  GstP2pTrustPublicKey *public;
};

static gboolean
set_gnutls_error (GError ** error, int ret, const gchar * what)
{
  g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_KEY,
      "%s: %s", what, gnutls_strerror (ret));
  return FALSE;
}

/* The public half as raw bytes, its id, and a verifier. */
static GstP2pTrustPublicKey *
public_from_gnutls (gnutls_pubkey_t pub, GError ** error)
{
  GstP2pTrustPublicKey *key;
  gnutls_ecc_curve_t curve;
  gnutls_datum_t x = { NULL, 0 };
  guint8 digest[GST_P2P_TRUST_SHA256_LEN];
  int ret;

  if (gnutls_pubkey_get_pk_algorithm (pub, NULL) != GNUTLS_PK_EDDSA_ED25519) {
    g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_KEY,
        "not an Ed25519 key");
    gnutls_pubkey_deinit (pub);
    return NULL;
  }
  ret = gnutls_pubkey_export_ecc_raw2 (pub, &curve, &x, NULL,
      GNUTLS_EXPORT_FLAG_NO_LZ);
  if (ret < 0 || curve != GNUTLS_ECC_CURVE_ED25519
      || x.size != GST_P2P_TRUST_PUBLIC_KEY_LEN) {
    if (ret >= 0)
      gnutls_free (x.data);
    set_gnutls_error (error, ret < 0 ? ret : GNUTLS_E_INVALID_REQUEST,
        "exporting the public key");
    gnutls_pubkey_deinit (pub);
    return NULL;
  }
  key = g_new0 (GstP2pTrustPublicKey, 1);
  key->pub = pub;
  memcpy (key->raw, x.data, GST_P2P_TRUST_PUBLIC_KEY_LEN);
  gnutls_free (x.data);
  gst_p2p_trust_sha256 (key->raw, sizeof (key->raw), digest);
  memcpy (key->id, digest, GST_P2P_TRUST_KEY_ID_LEN);
  return key;
}

/**
 * gst_p2p_trust_public_key_new_raw:
 * @raw: a raw Ed25519 public key
 * @error: return location for a %GST_P2P_TRUST_ERROR_KEY
 *
 * Returns: (transfer full) (nullable): the key
 */
GstP2pTrustPublicKey *
gst_p2p_trust_public_key_new_raw (const guint8
    raw[GST_P2P_TRUST_PUBLIC_KEY_LEN], GError ** error)
{
  gnutls_pubkey_t pub;
  gnutls_datum_t x = { (guint8 *) raw, GST_P2P_TRUST_PUBLIC_KEY_LEN };
  int ret;

  g_return_val_if_fail (raw != NULL, NULL);

  if ((ret = gnutls_pubkey_init (&pub)) < 0) {
    set_gnutls_error (error, ret, "gnutls_pubkey_init");
    return NULL;
  }
  ret = gnutls_pubkey_import_ecc_raw (pub, GNUTLS_ECC_CURVE_ED25519, &x, NULL);
  if (ret < 0) {
    gnutls_pubkey_deinit (pub);
    set_gnutls_error (error, ret, "importing the raw public key");
    return NULL;
  }
  return public_from_gnutls (pub, error);
}

static GstP2pTrustPublicKey *
public_from_base64 (const gchar * text, gsize len)
{
  gchar *copy = g_strndup (text, len);
  guchar *raw;
  gsize n = 0;
  GstP2pTrustPublicKey *key = NULL;

  g_strstrip (copy);
  /* 32 bytes are exactly 44 base64 characters with one '=' of padding;
   * g_base64_decode skips invalid characters, so check them first. */
  if (strlen (copy) == 44 && copy[43] == '=' && copy[42] != '='
      && strspn (copy, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
          "0123456789+/") == 43) {
    raw = g_base64_decode (copy, &n);
    if (n == GST_P2P_TRUST_PUBLIC_KEY_LEN)
      key = gst_p2p_trust_public_key_new_raw (raw, NULL);
    g_free (raw);
  }
  g_free (copy);
  return key;
}

static gboolean
read_key_file (const gchar * path, gchar ** contents, gsize * len,
    GError ** error)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0) {
    g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_KEY,
        "%s: %s", path, g_strerror (errno));
    return FALSE;
  }
  if (!S_ISREG (st.st_mode) || st.st_size > MAX_KEY_FILE) {
    g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_KEY,
        "%s: not a key file (a regular file of at most %d bytes)", path,
        MAX_KEY_FILE);
    return FALSE;
  }
  if (!g_file_get_contents (path, contents, len, error))
    return FALSE;
  return TRUE;
}

/**
 * gst_p2p_trust_public_key_parse:
 * @spec: the base64 of a raw 32-byte Ed25519 public key, or the path of a
 *   file holding that base64 or a PEM "PUBLIC KEY"
 * @error: return location for a %GST_P2P_TRUST_ERROR_KEY
 *
 * The form of GST_P2P_TRUST_KEY and of the viewer's key property.
 *
 * Returns: (transfer full) (nullable): the key
 */
GstP2pTrustPublicKey *
gst_p2p_trust_public_key_parse (const gchar * spec, GError ** error)
{
  GstP2pTrustPublicKey *key;
  gchar *contents = NULL;
  gsize len = 0;
  gnutls_pubkey_t pub;
  gnutls_datum_t d;
  int ret;

  g_return_val_if_fail (spec != NULL, NULL);

  if ((key = public_from_base64 (spec, strlen (spec))))
    return key;
  if (!read_key_file (spec, &contents, &len, error))
    return NULL;
  if ((key = public_from_base64 (contents, len))) {
    g_free (contents);
    return key;
  }
  if ((ret = gnutls_pubkey_init (&pub)) < 0) {
    g_free (contents);
    set_gnutls_error (error, ret, "gnutls_pubkey_init");
    return NULL;
  }
  d.data = (guint8 *) contents;
  d.size = len;
  ret = gnutls_pubkey_import (pub, &d, GNUTLS_X509_FMT_PEM);
  g_free (contents);
  if (ret < 0) {
    gnutls_pubkey_deinit (pub);
    g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_KEY,
        "%s: neither the base64 of a raw Ed25519 key nor a PEM public key "
        "(%s)", spec, gnutls_strerror (ret));
    return NULL;
  }
  return public_from_gnutls (pub, error);
}

/**
 * gst_p2p_trust_public_key_copy:
 * @key: a key
 *
 * Returns: (transfer full): an independent copy
 */
GstP2pTrustPublicKey *
gst_p2p_trust_public_key_copy (const GstP2pTrustPublicKey * key)
{
  g_return_val_if_fail (key != NULL, NULL);
  return gst_p2p_trust_public_key_new_raw (key->raw, NULL);
}

const guint8 *
gst_p2p_trust_public_key_get_raw (const GstP2pTrustPublicKey * key)
{
  g_return_val_if_fail (key != NULL, NULL);
  return key->raw;
}

const guint8 *
gst_p2p_trust_public_key_get_id (const GstP2pTrustPublicKey * key)
{
  g_return_val_if_fail (key != NULL, NULL);
  return key->id;
}

/**
 * gst_p2p_trust_public_key_to_base64:
 * @key: a key
 *
 * Returns: (transfer full): the base64 of the raw key, the value of
 *   GST_P2P_TRUST_KEY
 */
gchar *
gst_p2p_trust_public_key_to_base64 (const GstP2pTrustPublicKey * key)
{
  g_return_val_if_fail (key != NULL, NULL);
  return g_base64_encode (key->raw, sizeof (key->raw));
}

/**
 * gst_p2p_trust_public_key_verify:
 * @key: the key
 * @data: the signed message
 * @size: its length
 * @signature: an Ed25519 signature
 *
 * Returns: TRUE if @signature is @key's signature of @data.
 */
gboolean
gst_p2p_trust_public_key_verify (const GstP2pTrustPublicKey * key,
    const guint8 * data, gsize size,
    const guint8 signature[GST_P2P_TRUST_SIGNATURE_LEN])
{
  gnutls_datum_t d = { (guint8 *) data, size };
  gnutls_datum_t s = { (guint8 *) signature, GST_P2P_TRUST_SIGNATURE_LEN };

  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  if (size > G_MAXUINT)
    return FALSE;
  return gnutls_pubkey_verify_data2 (key->pub, GNUTLS_SIGN_EDDSA_ED25519, 0,
      &d, &s) >= 0;
}

void
gst_p2p_trust_public_key_free (GstP2pTrustPublicKey * key)
{
  if (!key)
    return;
  gnutls_pubkey_deinit (key->pub);
  g_free (key);
}

static GstP2pTrustPrivateKey *
private_wrap (gnutls_privkey_t priv, GError ** error)
{
  GstP2pTrustPrivateKey *key;
  gnutls_pubkey_t pub;
  int ret;

  if (gnutls_privkey_get_pk_algorithm (priv, NULL) != GNUTLS_PK_EDDSA_ED25519) {
    gnutls_privkey_deinit (priv);
    g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_KEY,
        "not an Ed25519 private key");
    return NULL;
  }
  if ((ret = gnutls_pubkey_init (&pub)) < 0) {
    gnutls_privkey_deinit (priv);
    set_gnutls_error (error, ret, "gnutls_pubkey_init");
    return NULL;
  }
  if ((ret = gnutls_pubkey_import_privkey (pub, priv, 0, 0)) < 0) {
    gnutls_pubkey_deinit (pub);
    gnutls_privkey_deinit (priv);
    set_gnutls_error (error, ret, "deriving the public key");
    return NULL;
  }
  key = g_new0 (GstP2pTrustPrivateKey, 1);
  key->priv = priv;
  key->public = public_from_gnutls (pub, error);
  if (!key->public) {
    gst_p2p_trust_private_key_free (key);
    return NULL;
  }
  return key;
}

/**
 * gst_p2p_trust_private_key_generate:
 * @error: return location for a %GST_P2P_TRUST_ERROR_KEY
 *
 * Returns: (transfer full) (nullable): a new Ed25519 key pair
 */
GstP2pTrustPrivateKey *
gst_p2p_trust_private_key_generate (GError ** error)
{
  gnutls_privkey_t priv;
  int ret;

  if ((ret = gnutls_privkey_init (&priv)) < 0) {
    set_gnutls_error (error, ret, "gnutls_privkey_init");
    return NULL;
  }
  ret = gnutls_privkey_generate2 (priv, GNUTLS_PK_EDDSA_ED25519, 0, 0, NULL, 0);
  if (ret < 0) {
    gnutls_privkey_deinit (priv);
    set_gnutls_error (error, ret, "generating an Ed25519 key");
    return NULL;
  }
  return private_wrap (priv, error);
}

/**
 * gst_p2p_trust_private_key_load:
 * @path: a PEM PKCS#8 "PRIVATE KEY" file
 * @error: return location for a %GST_P2P_TRUST_ERROR_KEY
 *
 * Returns: (transfer full) (nullable): the key
 */
GstP2pTrustPrivateKey *
gst_p2p_trust_private_key_load (const gchar * path, GError ** error)
{
  gnutls_privkey_t priv;
  gchar *contents = NULL;
  gsize len = 0;
  gnutls_datum_t d;
  int ret;

  g_return_val_if_fail (path != NULL, NULL);

  if (!read_key_file (path, &contents, &len, error))
    return NULL;
  if ((ret = gnutls_privkey_init (&priv)) < 0) {
    g_free (contents);
    set_gnutls_error (error, ret, "gnutls_privkey_init");
    return NULL;
  }
  d.data = (guint8 *) contents;
  d.size = len;
  ret = gnutls_privkey_import_x509_raw (priv, &d, GNUTLS_X509_FMT_PEM, NULL,
      GNUTLS_PKCS_PLAIN);
  memset (contents, 0, len);
  g_free (contents);
  if (ret < 0) {
    gnutls_privkey_deinit (priv);
    g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_KEY,
        "%s: not a PEM private key (%s)", path, gnutls_strerror (ret));
    return NULL;
  }
  return private_wrap (priv, error);
}

/**
 * gst_p2p_trust_private_key_save:
 * @key: the key
 * @path: where to write it; must not exist yet
 * @error: return location for a %GST_P2P_TRUST_ERROR_KEY
 *
 * Writes an unencrypted PEM PKCS#8 file readable by its owner only. An
 * existing file is never overwritten: losing the operator's key would
 * make every viewer configured with it reject the stream.
 *
 * Returns: TRUE on success.
 */
gboolean
gst_p2p_trust_private_key_save (GstP2pTrustPrivateKey * key,
    const gchar * path, GError ** error)
{
  gnutls_x509_privkey_t x509;
  gnutls_datum_t out = { NULL, 0 };
  gboolean ok = FALSE;
  gssize written;
  int ret, fd;

  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if ((ret = gnutls_privkey_export_x509 (key->priv, &x509)) < 0)
    return set_gnutls_error (error, ret, "exporting the key");
  ret = gnutls_x509_privkey_export2_pkcs8 (x509, GNUTLS_X509_FMT_PEM, NULL,
      GNUTLS_PKCS_PLAIN, &out);
  gnutls_x509_privkey_deinit (x509);
  if (ret < 0)
    return set_gnutls_error (error, ret, "encoding the key");

  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_KEY,
        "%s: %s", path, g_strerror (errno));
  } else {
    written = write (fd, out.data, out.size);
    ok = written == (gssize) out.size;
    if (close (fd) != 0)
      ok = FALSE;
    if (!ok) {
      g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_KEY,
          "%s: short write", path);
      g_unlink (path);
    }
  }
  memset (out.data, 0, out.size);
  gnutls_free (out.data);
  return ok;
}

const GstP2pTrustPublicKey *
gst_p2p_trust_private_key_get_public (GstP2pTrustPrivateKey * key)
{
  g_return_val_if_fail (key != NULL, NULL);
  return key->public;
}

/**
 * gst_p2p_trust_private_key_sign:
 * @key: the key
 * @data: the message
 * @size: its length
 * @signature: (out caller-allocates): its Ed25519 signature
 * @error: return location for a %GST_P2P_TRUST_ERROR_KEY
 *
 * Returns: TRUE on success.
 */
gboolean
gst_p2p_trust_private_key_sign (GstP2pTrustPrivateKey * key,
    const guint8 * data, gsize size,
    guint8 signature[GST_P2P_TRUST_SIGNATURE_LEN], GError ** error)
{
  gnutls_datum_t d = { (guint8 *) data, size };
  gnutls_datum_t s = { NULL, 0 };
  int ret;

  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (size <= G_MAXUINT, FALSE);

  ret = gnutls_privkey_sign_data2 (key->priv, GNUTLS_SIGN_EDDSA_ED25519, 0,
      &d, &s);
  if (ret < 0)
    return set_gnutls_error (error, ret, "signing");
  if (s.size != GST_P2P_TRUST_SIGNATURE_LEN) {
    gnutls_free (s.data);
    g_set_error (error, GST_P2P_TRUST_ERROR, GST_P2P_TRUST_ERROR_KEY,
        "unexpected signature length %u", s.size);
    return FALSE;
  }
  memcpy (signature, s.data, GST_P2P_TRUST_SIGNATURE_LEN);
  gnutls_free (s.data);
  return TRUE;
}

void
gst_p2p_trust_private_key_free (GstP2pTrustPrivateKey * key)
{
  if (!key)
    return;
  gnutls_privkey_deinit (key->priv);
  gst_p2p_trust_public_key_free (key->public);
  g_free (key);
}
