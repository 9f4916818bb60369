/* Helpers of the trust tests: batches of made-up records.
 *
 * Threads: the test's own thread.
 */
#ifndef __TRUST_TEST_H__
#define __TRUST_TEST_H__

#include "trust/gstp2phashrecord.h"

G_BEGIN_DECLS

void     trust_test_swarm  (guint8 swarm[GST_P2P_HASH_SWARM_LEN], guint n);
void     trust_test_record (GstP2pHashRecord * r, guint64 segment_id,
                            const gchar * content);
GBytes * trust_test_batch  (GstP2pTrustPrivateKey * key, guint swarm_n,
                            guint64 first, guint n, gint64 publish_time,
                            const gchar * content_prefix);
gchar *  trust_test_content (const gchar * prefix, guint64 segment_id);

G_END_DECLS

#endif /* __TRUST_TEST_H__ */
