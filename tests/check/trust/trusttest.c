/* Helpers of the trust tests. See trusttest.h.
 *
 * Threads: the test's own thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "trusttest.h"

/* A swarm id as the stream index makes them: a SHA-256. */
void
trust_test_swarm (guint8 swarm[GST_P2P_HASH_SWARM_LEN], guint n)
{
  gchar *s = g_strdup_printf ("http://origin.test/live/master.m3u8\nhls:v%u",
      n);

  gst_p2p_trust_sha256 (s, strlen (s), swarm);
  g_free (s);
}

gchar *
trust_test_content (const gchar * prefix, guint64 segment_id)
{
  return g_strdup_printf ("%s-segment-%" G_GUINT64_FORMAT "-%s", prefix,
      segment_id, "payload bytes that stand for an encrypted TS segment");
}

void
trust_test_record (GstP2pHashRecord * r, guint64 segment_id,
    const gchar * content)
{
  gchar *uri = g_strdup_printf ("http://origin.test/live/v0/seg%"
      G_GUINT64_FORMAT ".ts?token=abc", segment_id);

  memset (r, 0, sizeof (*r));
  r->kind = GST_P2P_HASH_KIND_MEDIA;
  r->segment_id = segment_id;
  r->size = strlen (content);
  gst_p2p_trust_sha256 (content, r->size, r->sha256);
  gst_p2p_hash_record_set_path (r, uri);
  g_free (uri);
}

/* Segments first .. first + n - 1 of swarm @swarm_n, content made by
 * trust_test_content (@content_prefix, id). */
GBytes *
trust_test_batch (GstP2pTrustPrivateKey * key, guint swarm_n, guint64 first,
    guint n, gint64 publish_time, const gchar * content_prefix)
{
  GstP2pHashBatch *b = g_new0 (GstP2pHashBatch, 1);
  guint8 swarm[GST_P2P_HASH_SWARM_LEN];
  GError *err = NULL;
  GBytes *bytes;
  guint i;

  trust_test_swarm (swarm, swarm_n);
  gst_p2p_hash_batch_init (b, swarm, publish_time, first);
  for (i = 0; i < n; i++) {
    GstP2pHashRecord r;
    gchar *c = trust_test_content (content_prefix, first + i);

    trust_test_record (&r, first + i, c);
    fail_unless (gst_p2p_hash_batch_add (b, &r));
    g_free (c);
  }
  bytes = gst_p2p_hash_batch_sign (b, key, &err);
  fail_unless (bytes != NULL, "sign: %s", err ? err->message : "?");
  g_free (b);
  return bytes;
}
