/* GstP2pDtls: DTLS 1.2 over an ICE component. See gstp2pdtls.h.
 *
 * Threads: everything runs on the GMainContext given at creation: GnuTLS is
 * only ever entered from gst_p2p_dtls_*() calls and the retransmission timer
 * attached to that context, so one session is never used concurrently.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <gst/gst.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/dtls.h>
#include <gnutls/crypto.h>

#include "transport/gstp2pdtls.h"

GST_DEBUG_CATEGORY_STATIC (p2p_dtls_debug);
#define GST_CAT_DEFAULT p2p_dtls_debug

/* Datagrams waiting for GnuTLS (mostly early flights before we started). */
#define MAX_QUEUED_DATAGRAMS 512
#define MAX_DATAGRAM 65535
#define RETRANS_TIMEOUT_MS 1000
#define PRIORITY "NORMAL:-VERS-ALL:+VERS-DTLS1.2"

struct _GstP2pDtls
{
  GMainContext *context;
  GstP2pDtlsCallbacks callbacks;
  gpointer data;

  gnutls_certificate_credentials_t cred;
  gnutls_session_t session;
  gchar *local_fingerprint;
  guint8 remote_fp[GST_P2P_DTLS_FINGERPRINT_LEN];
  gboolean have_remote_fp;
  gboolean mismatch;

  GstP2pDtlsState state;
  GQueue incoming;
  GSource *timer;
  GstP2pDtlsStats stats;
  guint8 *recv_buf;
};

static void
dtls_init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (p2p_dtls_debug, "p2p-dtls", 0,
        "gst-p2p DTLS (GnuTLS) layer");
    g_once_init_leave (&done, 1);
  }
}

static gchar *
fingerprint_to_text (const guint8 * fp)
{
  GString *s = g_string_sized_new (GST_P2P_DTLS_FINGERPRINT_LEN * 3);
  guint i;

  for (i = 0; i < GST_P2P_DTLS_FINGERPRINT_LEN; i++)
    g_string_append_printf (s, i ? ":%02X" : "%02X", fp[i]);
  return g_string_free (s, FALSE);
}

/**
 * gst_p2p_dtls_parse_fingerprint:
 * @text: "AB:CD:..." (32 hex pairs separated by colons, any case)
 *
 * Returns: %TRUE and the raw digest in @out if @text is exactly that.
 */
gboolean
gst_p2p_dtls_parse_fingerprint (const gchar * text,
    guint8 out[GST_P2P_DTLS_FINGERPRINT_LEN])
{
  guint i;

  for (i = 0; i < GST_P2P_DTLS_FINGERPRINT_LEN; i++) {
    const gchar *p = text + i * 3;
    gint hi, lo;

    hi = g_ascii_xdigit_value (p[0]);
    if (hi < 0)
      return FALSE;
    lo = g_ascii_xdigit_value (p[1]);
    if (lo < 0)
      return FALSE;
    if (p[2] != (i + 1 == GST_P2P_DTLS_FINGERPRINT_LEN ? '\0' : ':'))
      return FALSE;
    out[i] = (hi << 4) | lo;
  }
  return TRUE;
}

/* An ephemeral self-signed ECDSA P-256 certificate: it only names a key
 * whose hash the peer learns out of band. */
static gboolean
make_certificate (GstP2pDtls * dtls, GError ** error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t der = { NULL, 0 };
  guint8 serial[16];
  guint8 fp[GST_P2P_DTLS_FINGERPRINT_LEN];
  size_t fp_len = sizeof (fp);
  time_t now = time (NULL);
  int ret;

  if ((ret = gnutls_x509_privkey_init (&key)) < 0
      || (ret = gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
              GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0
      || (ret = gnutls_x509_crt_init (&crt)) < 0
      || (ret = gnutls_x509_crt_set_version (crt, 3)) < 0
      || (ret = gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof (serial))) < 0)
    goto fail;
  serial[0] &= 0x7f;            /* a positive INTEGER */
  if ((ret = gnutls_x509_crt_set_serial (crt, serial, sizeof (serial))) < 0
      || (ret = gnutls_x509_crt_set_activation_time (crt, now - 86400)) < 0
      || (ret = gnutls_x509_crt_set_expiration_time (crt,
              now + 30 * 86400)) < 0
      || (ret = gnutls_x509_crt_set_dn (crt, "CN=gst-p2p", NULL)) < 0
      || (ret = gnutls_x509_crt_set_key (crt, key)) < 0
      || (ret = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256,
              0)) < 0
      || (ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der)) < 0
      || (ret = gnutls_fingerprint (GNUTLS_DIG_SHA256, &der, fp,
              &fp_len)) < 0
      || (ret = gnutls_certificate_allocate_credentials (&dtls->cred)) < 0
      || (ret = gnutls_certificate_set_x509_key (dtls->cred, &crt, 1, key)) < 0)
    goto fail;

  dtls->local_fingerprint = fingerprint_to_text (fp);
  gnutls_free (der.data);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
  return TRUE;

fail:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
      "could not create the DTLS certificate: %s", gnutls_strerror (ret));
  gnutls_free (der.data);
  if (crt)
    gnutls_x509_crt_deinit (crt);
  if (key)
    gnutls_x509_privkey_deinit (key);
  return FALSE;
}

static int
verify_cb (gnutls_session_t session)
{
  GstP2pDtls *dtls = gnutls_session_get_ptr (session);
  const gnutls_datum_t *peers;
  unsigned int n_peers = 0;
  guint8 fp[GST_P2P_DTLS_FINGERPRINT_LEN];
  size_t fp_len = sizeof (fp);

  peers = gnutls_certificate_get_peers (session, &n_peers);
  if (!peers || n_peers < 1 || !dtls->have_remote_fp
      || gnutls_fingerprint (GNUTLS_DIG_SHA256, &peers[0], fp, &fp_len) < 0
      || fp_len != sizeof (fp)
      || memcmp (fp, dtls->remote_fp, sizeof (fp)) != 0) {
    dtls->mismatch = TRUE;
    dtls->stats.fingerprint_mismatches++;
    GST_WARNING ("peer certificate does not match the pinned fingerprint");
    return GNUTLS_E_CERTIFICATE_ERROR;
  }
  GST_DEBUG ("peer certificate matches the pinned fingerprint");
  return 0;
}

static ssize_t
push_cb (gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
  GstP2pDtls *dtls = ptr;

  /* Datagram semantics: a refused send is a lost packet, not EAGAIN. */
  dtls->callbacks.send (dtls, buf, len, dtls->data);
  return len;
}

static ssize_t
pull_cb (gnutls_transport_ptr_t ptr, void *buf, size_t size)
{
  GstP2pDtls *dtls = ptr;
  GBytes *bytes = g_queue_pop_head (&dtls->incoming);
  gsize len;
  const guint8 *data;

  if (!bytes) {
    gnutls_transport_set_errno (dtls->session, EAGAIN);
    return -1;
  }
  data = g_bytes_get_data (bytes, &len);
  len = MIN (len, size);
  memcpy (buf, data, len);
  g_bytes_unref (bytes);
  return len;
}

static int
pull_timeout_cb (gnutls_transport_ptr_t ptr, unsigned int ms)
{
  GstP2pDtls *dtls = ptr;

  /* Never wait: the main loop calls us back when a datagram arrives. */
  return g_queue_is_empty (&dtls->incoming) ? 0 : 1;
}

static void
cancel_timer (GstP2pDtls * dtls)
{
  if (dtls->timer) {
    g_source_destroy (dtls->timer);
    g_source_unref (dtls->timer);
    dtls->timer = NULL;
  }
}

static void
set_state (GstP2pDtls * dtls, GstP2pDtlsState state, const gchar * reason)
{
  if (dtls->state == state || dtls->state == GST_P2P_DTLS_STATE_FAILED
      || dtls->state == GST_P2P_DTLS_STATE_CLOSED)
    return;
  GST_INFO ("DTLS state %d -> %d (%s)", dtls->state, state,
      reason ? reason : "");
  dtls->state = state;
  if (state != GST_P2P_DTLS_STATE_HANDSHAKING)
    cancel_timer (dtls);
  if (dtls->callbacks.state_changed)
    dtls->callbacks.state_changed (dtls, state, reason, dtls->data);
}

static void read_records (GstP2pDtls * dtls);
static void do_handshake (GstP2pDtls * dtls);

static gboolean
timer_cb (gpointer user_data)
{
  GstP2pDtls *dtls = user_data;

  g_source_unref (dtls->timer);
  dtls->timer = NULL;
  do_handshake (dtls);
  return G_SOURCE_REMOVE;
}

static void
do_handshake (GstP2pDtls * dtls)
{
  int ret;

  if (dtls->state != GST_P2P_DTLS_STATE_HANDSHAKING)
    return;

  do {
    ret = gnutls_handshake (dtls->session);
    /* Non-fatal alerts and the like: keep going while input is queued. */
  } while (ret < 0 && ret != GNUTLS_E_AGAIN && !gnutls_error_is_fatal (ret)
      && !g_queue_is_empty (&dtls->incoming));

  if (ret == 0) {
    gchar *desc = gnutls_session_get_desc (dtls->session);
    GST_INFO ("handshake done: %s, data MTU %u", desc,
        gnutls_dtls_get_data_mtu (dtls->session));
    gnutls_free (desc);
    set_state (dtls, GST_P2P_DTLS_STATE_CONNECTED, NULL);
    /* Records that arrived together with the last flight. */
    read_records (dtls);
    return;
  }

  if (ret == GNUTLS_E_AGAIN || !gnutls_error_is_fatal (ret)) {
    guint ms = gnutls_dtls_get_timeout (dtls->session);

    cancel_timer (dtls);
    dtls->timer = g_timeout_source_new (MAX (ms, 1));
    g_source_set_callback (dtls->timer, timer_cb, dtls, NULL);
    g_source_attach (dtls->timer, dtls->context);
    return;
  }

  /* Tell the peer now (bad_certificate, ...) rather than let it retransmit
   * until its own deadline. */
  gnutls_alert_send_appropriate (dtls->session, ret);
  if (dtls->mismatch) {
    set_state (dtls, GST_P2P_DTLS_STATE_FAILED,
        "DTLS: peer certificate does not match its signalled fingerprint");
  } else {
    gchar *reason = g_strdup_printf ("DTLS handshake failed: %s",
        gnutls_strerror (ret));
    set_state (dtls, GST_P2P_DTLS_STATE_FAILED, reason);
    g_free (reason);
  }
}

static void
read_records (GstP2pDtls * dtls)
{
  while (dtls->state == GST_P2P_DTLS_STATE_CONNECTED) {
    ssize_t ret = gnutls_record_recv (dtls->session, dtls->recv_buf,
        MAX_DATAGRAM);

    if (ret > 0) {
      if (dtls->callbacks.recv)
        dtls->callbacks.recv (dtls, dtls->recv_buf, ret, dtls->data);
    } else if (ret == 0) {
      set_state (dtls, GST_P2P_DTLS_STATE_CLOSED, "DTLS closed by the peer");
    } else if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) {
      break;
    } else if (!gnutls_error_is_fatal (ret)) {
      /* Forged or damaged records are dropped, as DTLS intends. */
      dtls->stats.bad_records++;
      GST_LOG ("dropped record: %s", gnutls_strerror (ret));
    } else {
      gchar *reason = g_strdup_printf ("DTLS receive failed: %s",
          gnutls_strerror (ret));
      set_state (dtls, GST_P2P_DTLS_STATE_FAILED, reason);
      g_free (reason);
    }
  }
}

/**
 * gst_p2p_dtls_new:
 *
 * Creates the session state and a fresh certificate; nothing is sent until
 * gst_p2p_dtls_start(). Datagrams received before that are queued.
 */
GstP2pDtls *
gst_p2p_dtls_new (GMainContext * context,
    const GstP2pDtlsCallbacks * callbacks, gpointer data, GError ** error)
{
  GstP2pDtls *dtls;

  dtls_init_debug ();
  g_return_val_if_fail (callbacks->send != NULL, NULL);

  dtls = g_new0 (GstP2pDtls, 1);
  dtls->context = g_main_context_ref (context);
  dtls->callbacks = *callbacks;
  dtls->data = data;
  g_queue_init (&dtls->incoming);
  if (!make_certificate (dtls, error)) {
    gst_p2p_dtls_free (dtls);
    return NULL;
  }
  gnutls_certificate_set_verify_function (dtls->cred, verify_cb);
  GST_DEBUG ("local fingerprint %s", dtls->local_fingerprint);
  return dtls;
}

void
gst_p2p_dtls_free (GstP2pDtls * dtls)
{
  if (!dtls)
    return;
  cancel_timer (dtls);
  if (dtls->session)
    gnutls_deinit (dtls->session);
  if (dtls->cred)
    gnutls_certificate_free_credentials (dtls->cred);
  g_queue_clear_full (&dtls->incoming, (GDestroyNotify) g_bytes_unref);
  g_free (dtls->local_fingerprint);
  g_free (dtls->recv_buf);
  g_main_context_unref (dtls->context);
  g_free (dtls);
}

const gchar *
gst_p2p_dtls_get_local_fingerprint (GstP2pDtls * dtls)
{
  return dtls->local_fingerprint;
}

gboolean
gst_p2p_dtls_set_remote_fingerprint (GstP2pDtls * dtls, const gchar * text,
    GError ** error)
{
  guint8 fp[GST_P2P_DTLS_FINGERPRINT_LEN];

  if (!gst_p2p_dtls_parse_fingerprint (text, fp)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "malformed SHA-256 fingerprint");
    return FALSE;
  }
  if (dtls->have_remote_fp && memcmp (fp, dtls->remote_fp, sizeof (fp))) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "remote fingerprint already pinned to another value");
    return FALSE;
  }
  memcpy (dtls->remote_fp, fp, sizeof (fp));
  dtls->have_remote_fp = TRUE;
  return TRUE;
}

gboolean
gst_p2p_dtls_has_remote_fingerprint (GstP2pDtls * dtls)
{
  return dtls->have_remote_fp;
}

/**
 * gst_p2p_dtls_start:
 * @client: DTLS role
 * @mtu: largest datagram to emit (UDP payload)
 * @timeout_ms: handshake deadline
 *
 * Starts the handshake; the client sends its first flight at once.
 */
gboolean
gst_p2p_dtls_start (GstP2pDtls * dtls, gboolean client, guint mtu,
    guint timeout_ms, GError ** error)
{
  int ret;

  g_return_val_if_fail (dtls->state == GST_P2P_DTLS_STATE_NEW, FALSE);
  g_return_val_if_fail (dtls->have_remote_fp, FALSE);

  if ((ret = gnutls_init (&dtls->session, (client ? GNUTLS_CLIENT :
                  GNUTLS_SERVER) | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK)) < 0)
    goto fail;
  if ((ret = gnutls_priority_set_direct (dtls->session, PRIORITY, NULL)) < 0
      || (ret = gnutls_credentials_set (dtls->session,
              GNUTLS_CRD_CERTIFICATE, dtls->cred)) < 0)
    goto fail;
  if (!client)
    gnutls_certificate_server_set_request (dtls->session, GNUTLS_CERT_REQUIRE);
  gnutls_session_set_ptr (dtls->session, dtls);
  gnutls_transport_set_ptr (dtls->session, dtls);
  gnutls_transport_set_push_function (dtls->session, push_cb);
  gnutls_transport_set_pull_function (dtls->session, pull_cb);
  gnutls_transport_set_pull_timeout_function (dtls->session, pull_timeout_cb);
  gnutls_dtls_set_mtu (dtls->session, mtu);
  gnutls_dtls_set_timeouts (dtls->session, RETRANS_TIMEOUT_MS, timeout_ms);

  dtls->recv_buf = g_malloc (MAX_DATAGRAM);
  GST_DEBUG ("starting handshake as %s", client ? "client" : "server");
  set_state (dtls, GST_P2P_DTLS_STATE_HANDSHAKING, NULL);
  do_handshake (dtls);
  return TRUE;

fail:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
      "could not set up the DTLS session: %s", gnutls_strerror (ret));
  return FALSE;
}

/**
 * gst_p2p_dtls_receive:
 *
 * Feeds one datagram from the wire. Callbacks may run from here.
 */
void
gst_p2p_dtls_receive (GstP2pDtls * dtls, const guint8 * buf, gsize len)
{
  if (dtls->state == GST_P2P_DTLS_STATE_CLOSED
      || dtls->state == GST_P2P_DTLS_STATE_FAILED)
    return;
  if (len == 0 || len > MAX_DATAGRAM
      || g_queue_get_length (&dtls->incoming) >= MAX_QUEUED_DATAGRAMS) {
    dtls->stats.dropped_datagrams++;
    return;
  }
  g_queue_push_tail (&dtls->incoming, g_bytes_new (buf, len));

  if (dtls->state == GST_P2P_DTLS_STATE_HANDSHAKING)
    do_handshake (dtls);
  else if (dtls->state == GST_P2P_DTLS_STATE_CONNECTED)
    read_records (dtls);
}

/**
 * gst_p2p_dtls_send:
 *
 * Encrypts one record of at most gst_p2p_dtls_get_data_mtu() bytes.
 */
gboolean
gst_p2p_dtls_send (GstP2pDtls * dtls, const guint8 * buf, gsize len)
{
  ssize_t ret;

  if (dtls->state != GST_P2P_DTLS_STATE_CONNECTED)
    return FALSE;
  ret = gnutls_record_send (dtls->session, buf, len);
  if (ret != (ssize_t) len) {
    GST_LOG ("record send of %" G_GSIZE_FORMAT " failed: %s", len,
        ret < 0 ? gnutls_strerror (ret) : "short");
    return FALSE;
  }
  return TRUE;
}

guint
gst_p2p_dtls_get_data_mtu (GstP2pDtls * dtls)
{
  return dtls->session ? gnutls_dtls_get_data_mtu (dtls->session) : 0;
}

/**
 * gst_p2p_dtls_close:
 *
 * Sends close_notify if connected and moves to CLOSED.
 */
void
gst_p2p_dtls_close (GstP2pDtls * dtls)
{
  if (dtls->state == GST_P2P_DTLS_STATE_CONNECTED)
    gnutls_bye (dtls->session, GNUTLS_SHUT_WR);
  set_state (dtls, GST_P2P_DTLS_STATE_CLOSED, "closed locally");
}

GstP2pDtlsState
gst_p2p_dtls_get_state (GstP2pDtls * dtls)
{
  return dtls->state;
}

void
gst_p2p_dtls_get_stats (GstP2pDtls * dtls, GstP2pDtlsStats * stats)
{
  *stats = dtls->stats;
}
