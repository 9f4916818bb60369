/* GstP2pTrustDb: the viewer's verified segment hashes, and the check every
 * peer-delivered segment passes before a byte of it goes downstream.
 *
 * The engine feeds it the payloads of the tracker's "publish" messages
 * (gst_p2p_trust_db_add_payload(), from the tracker client's "publish"
 * signal on the network thread); only batches signed by a configured
 * operator key are kept. Then, for a segment received from peers:
 *
 *   switch (gst_p2p_trust_db_verify (db, info.swarm_digest,
 *           info.segment_id, data, size)) {
 *     case GST_P2P_TRUST_VERDICT_OK:       hand the bytes to the demuxer
 *     case GST_P2P_TRUST_VERDICT_UNKNOWN:  no operator hash (yet): wait for
 *                                          it within the deadline, or CDN
 *     case GST_P2P_TRUST_VERDICT_BAD_SIZE:
 *     case GST_P2P_TRUST_VERDICT_MISMATCH: the peer sent other bytes: drop
 *                                          them, penalise it, CDN
 *   }
 *
 * gst_p2p_trust_db_lookup() gives the expected size and hash up front (to
 * stop a transfer that grows past the size). Held per swarm: the records of
 * the last `window` segment ids below the highest one seen, and up to 16
 * init segments; at most `max_swarms` swarms (least recently updated
 * evicted). A newer batch (publish time) wins over an older one for the
 * same segment; a newer batch whose ids are all far below the window means
 * the stream restarted its numbering, and replaces the swarm's records.
 *
 * The weaker "first CDN copy" mode (off by default, docs/trust.md) only
 * adds hashes of the viewer's own CDN downloads for its own use; peers
 * always need the operator's hash.
 *
 * Threads: thread-safe (one mutex); streaming threads and the network
 * thread call it. Hashing runs outside the lock. No GMainContext, no
 * hidden clock: "now" is a parameter.
 */
#ifndef __GST_P2P_TRUST_DB_H__
#define __GST_P2P_TRUST_DB_H__

#include <gst/gst.h>

#include "trust/gstp2ptrusttypes.h"
#include "trust/gstp2phashrecord.h"

G_BEGIN_DECLS

/* Environment variables read by gst_p2p_trust_db_config_init(). */
#define GST_P2P_TRUST_KEY_ENV "GST_P2P_TRUST_KEY"
#define GST_P2P_TRUST_MODE_ENV "GST_P2P_TRUST_MODE"

#define GST_P2P_TRUST_DB_DEFAULT_WINDOW 1024
#define GST_P2P_TRUST_DB_DEFAULT_MAX_SWARMS 64
#define GST_P2P_TRUST_DB_MAX_KEYS 4
#define GST_P2P_TRUST_DB_MAX_INIT 16

/**
 * GstP2pTrustMode:
 * @GST_P2P_TRUST_MODE_OPERATOR: peer bytes need an operator-signed hash
 *   (default)
 * @GST_P2P_TRUST_MODE_FIRST_CDN_COPY: additionally remember the hashes of
 *   segments this viewer fetched from the CDN, for its own re-use
 *   (gst_p2p_trust_db_note_cdn_copy(), gst_p2p_trust_db_verify_own());
 *   peer bytes still need the operator's hash
 */
typedef enum
{
  GST_P2P_TRUST_MODE_OPERATOR,
  GST_P2P_TRUST_MODE_FIRST_CDN_COPY,
} GstP2pTrustMode;

/**
 * GstP2pTrustDbConfig:
 * @keys: (nullable): operator public keys, comma-separated (at most
 *   GST_P2P_TRUST_DB_MAX_KEYS, for rotation), each the base64 of a raw
 *   Ed25519 key or a file path (gst_p2p_trust_public_key_parse()); NULL:
 *   none, every peer segment is UNKNOWN. Meant for a "trust-key" property
 *   and GST_P2P_TRUST_KEY.
 * @mode: see #GstP2pTrustMode; GST_P2P_TRUST_MODE ("operator" or
 *   "first-cdn-copy")
 * @window: segment ids kept per swarm below the highest seen
 * @max_swarms: swarms kept
 */
typedef struct
{
  const gchar *keys;
  GstP2pTrustMode mode;
  guint window;
  guint max_swarms;
} GstP2pTrustDbConfig;

/**
 * GstP2pTrustVerdict:
 * @GST_P2P_TRUST_VERDICT_OK: size and SHA-256 match the trusted record
 * @GST_P2P_TRUST_VERDICT_UNKNOWN: no trusted record for this segment
 * @GST_P2P_TRUST_VERDICT_BAD_SIZE: the size differs (not hashed)
 * @GST_P2P_TRUST_VERDICT_MISMATCH: same size, other bytes
 */
typedef enum
{
  GST_P2P_TRUST_VERDICT_OK,
  GST_P2P_TRUST_VERDICT_UNKNOWN,
  GST_P2P_TRUST_VERDICT_BAD_SIZE,
  GST_P2P_TRUST_VERDICT_MISMATCH,
} GstP2pTrustVerdict;

/**
 * GstP2pTrustSource:
 * @GST_P2P_TRUST_SOURCE_OPERATOR: a record signed by the operator
 * @GST_P2P_TRUST_SOURCE_CDN_COPY: this viewer's own CDN download
 *   (first-cdn-copy mode only)
 */
typedef enum
{
  GST_P2P_TRUST_SOURCE_OPERATOR,
  GST_P2P_TRUST_SOURCE_CDN_COPY,
} GstP2pTrustSource;

/**
 * GstP2pTrustExpected:
 * @size: exact byte count
 * @sha256: SHA-256 of those bytes
 * @source: where the hash comes from
 * @publish_time: the batch's publish time (operator), or when the viewer
 *   noted its CDN copy
 */
typedef struct
{
  guint64 size;
  guint8 sha256[GST_P2P_TRUST_SHA256_LEN];
  GstP2pTrustSource source;
  gint64 publish_time;
} GstP2pTrustExpected;

/**
 * GstP2pTrustDbStats:
 * @batches: batches accepted
 * @records: records added or replaced
 * @rejected: payloads/batches refused, by #GstP2pTrustError code
 * @stale: records ignored: older than what is held, or below the window
 * @conflicts: records that disagreed with a held one (the newer won)
 * @restarts: swarms reset because the stream restarted its numbering
 * @evicted: records evicted (window, swarm LRU, restarts)
 * @verified: segments that matched
 * @unknown: segments asked about without a trusted record
 * @failures: segments that did not match (bad size or hash)
 * @bytes_verified: bytes hashed by verify calls
 * @cdn_copies: CDN copies noted (first-cdn-copy mode)
 * @cdn_mismatches: operator records that differ from this viewer's own CDN
 *   copy of the segment (the CDN served other bytes than the origin)
 * @swarms: swarms held
 * @entries: records held (media and init)
 */
typedef struct
{
  guint64 batches;
  guint64 records;
  guint64 rejected[GST_P2P_TRUST_ERROR_N];
  guint64 stale;
  guint64 conflicts;
  guint64 restarts;
  guint64 evicted;
  guint64 verified;
  guint64 unknown;
  guint64 failures;
  guint64 bytes_verified;
  guint64 cdn_copies;
  guint64 cdn_mismatches;
  guint swarms;
  guint entries;
} GstP2pTrustDbStats;

typedef struct _GstP2pTrustDb GstP2pTrustDb;

void               gst_p2p_trust_db_config_init (GstP2pTrustDbConfig * config);
gboolean           gst_p2p_trust_mode_from_string (const gchar * str,
                                                   GstP2pTrustMode * mode);

GstP2pTrustDb *    gst_p2p_trust_db_new        (const GstP2pTrustDbConfig * config,
                                                GError ** error);
void               gst_p2p_trust_db_free       (GstP2pTrustDb * db);

gint               gst_p2p_trust_db_add_payload (GstP2pTrustDb * db,
                                                 const gchar * payload_json,
                                                 gsize size,
                                                 gint64 now,
                                                 GError ** error);
gint               gst_p2p_trust_db_add_batch  (GstP2pTrustDb * db,
                                                const guint8 * data,
                                                gsize size,
                                                gint64 now,
                                                GError ** error);

gboolean           gst_p2p_trust_db_lookup     (GstP2pTrustDb * db,
                                                const guint8 swarm[GST_P2P_HASH_SWARM_LEN],
                                                guint64 segment_id,
                                                GstP2pTrustExpected * expected);
gboolean           gst_p2p_trust_db_lookup_init (GstP2pTrustDb * db,
                                                 const guint8 swarm[GST_P2P_HASH_SWARM_LEN],
                                                 const gchar * path,
                                                 guint64 offset,
                                                 GstP2pTrustExpected * expected);

GstP2pTrustVerdict gst_p2p_trust_db_verify     (GstP2pTrustDb * db,
                                                const guint8 swarm[GST_P2P_HASH_SWARM_LEN],
                                                guint64 segment_id,
                                                gconstpointer data,
                                                gsize size);
GstP2pTrustVerdict gst_p2p_trust_db_verify_buffer (GstP2pTrustDb * db,
                                                   const guint8 swarm[GST_P2P_HASH_SWARM_LEN],
                                                   guint64 segment_id,
                                                   GstBuffer * buffer);

gboolean           gst_p2p_trust_db_note_cdn_copy (GstP2pTrustDb * db,
                                                   const guint8 swarm[GST_P2P_HASH_SWARM_LEN],
                                                   guint64 segment_id,
                                                   gconstpointer data,
                                                   gsize size,
                                                   gint64 now);
GstP2pTrustVerdict gst_p2p_trust_db_verify_own (GstP2pTrustDb * db,
                                                const guint8 swarm[GST_P2P_HASH_SWARM_LEN],
                                                guint64 segment_id,
                                                gconstpointer data,
                                                gsize size);

GstP2pTrustMode    gst_p2p_trust_db_get_mode   (GstP2pTrustDb * db);
guint              gst_p2p_trust_db_get_n_keys (GstP2pTrustDb * db);
void               gst_p2p_trust_db_get_stats  (GstP2pTrustDb * db,
                                                GstP2pTrustDbStats * stats);

const gchar *      gst_p2p_trust_verdict_to_string (GstP2pTrustVerdict verdict);

G_END_DECLS

#endif /* __GST_P2P_TRUST_DB_H__ */
