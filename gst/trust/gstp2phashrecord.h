/* GstP2pHashBatch: the operator's signed segment hashes.
 *
 * A record says: in swarm S, segment N has exactly SIZE bytes whose SHA-256
 * is H (the URI path, without query, is informative). The publisher batches
 * the records of one swarm (all new segments of a playlist update, at most
 * GST_P2P_HASH_BATCH_MAX_RECORDS) under one Ed25519 signature, so one
 * tracker message carries them. Byte layout (big-endian), docs/trust.md:
 *
 *   header   "P2PH" u8:version=1 u8:flags=0 u16:n_records(1..32)
 *            key_id[8] swarm[32] i64:publish_time_us u64:sequence     64 B
 *   record   u8:kind(0 media, 1 init) u8:0 u16:path_len(0..256)
 *            u64:segment_id u64:offset u64:size(1..2^32) sha256[32]
 *            path[path_len] (UTF-8, no control characters)        60 B + path
 *   trailer  signature[64] = Ed25519(key, "gst-p2p-hash-batch\n" ||
 *            every byte before the signature)
 *
 * On the tracker the batch travels as the publish payload
 * {"trust":1,"batch":"<base64>"}.
 *
 * Parsing is bounded and total: the input comes through the tracker relay
 * and is hostile until the signature verifies. Structure, exact length, key
 * id, signature and then every field are checked; any failure is one
 * GST_P2P_TRUST_ERROR code.
 *
 * Threads: plain functions and data; callable from any thread (signing and
 * verifying follow the key's rule, gstp2ptrustkey.h).
 */
#ifndef __GST_P2P_HASH_RECORD_H__
#define __GST_P2P_HASH_RECORD_H__

#include <gst/gst.h>

#include "trust/gstp2ptrusttypes.h"
#include "trust/gstp2ptrustkey.h"

G_BEGIN_DECLS

#define GST_P2P_HASH_BATCH_VERSION 1
#define GST_P2P_HASH_BATCH_MAX_RECORDS 32
#define GST_P2P_HASH_RECORD_MAX_PATH 256
/* Larger segments are refused: no live segment is 4 GiB. */
#define GST_P2P_HASH_RECORD_MAX_SIZE (G_GUINT64_CONSTANT (1) << 32)
#define GST_P2P_HASH_SWARM_LEN 32
#define GST_P2P_HASH_BATCH_HEADER_LEN 64
#define GST_P2P_HASH_RECORD_FIXED_LEN 60
#define GST_P2P_HASH_BATCH_MAX_LEN (GST_P2P_HASH_BATCH_HEADER_LEN + \
    GST_P2P_HASH_BATCH_MAX_RECORDS * (GST_P2P_HASH_RECORD_FIXED_LEN + \
        GST_P2P_HASH_RECORD_MAX_PATH) + GST_P2P_TRUST_SIGNATURE_LEN)
/* The JSON publish payload: base64 of the largest batch plus the wrapper;
 * it stays below the tracker's default 16 KiB message limit. */
#define GST_P2P_HASH_PAYLOAD_MAX_LEN \
    ((GST_P2P_HASH_BATCH_MAX_LEN + 2) / 3 * 4 + 64)

typedef enum
{
  GST_P2P_HASH_KIND_MEDIA = 0,
  GST_P2P_HASH_KIND_INIT = 1,
} GstP2pHashKind;

/**
 * GstP2pHashRecord:
 * @kind: a media segment, or an init segment (no segment id: keyed by
 *   @path and @offset)
 * @segment_id: the stream index's segment id (HLS media sequence, DASH
 *   $Number$/$Time$); 0 for init segments
 * @offset: first byte within the resource (byte-range segments), else 0
 * @size: exact number of bytes, 1..GST_P2P_HASH_RECORD_MAX_SIZE
 * @sha256: SHA-256 of exactly those bytes, as served (still encrypted)
 * @path: the URI path without query, NUL-terminated; informative for media
 *   segments, part of the key for init segments
 */
typedef struct
{
  GstP2pHashKind kind;
  guint64 segment_id;
  guint64 offset;
  guint64 size;
  guint8 sha256[GST_P2P_TRUST_SHA256_LEN];
  gchar path[GST_P2P_HASH_RECORD_MAX_PATH + 1];
} GstP2pHashRecord;

/**
 * GstP2pHashBatch:
 * @key_id: id of the key that signed it (set by sign and parse)
 * @swarm: the full swarm id (GstP2pStreamSegmentInfo.swarm_digest)
 * @publish_time: when the publisher hashed it, microseconds since the
 *   epoch (the publisher's clock); a newer batch wins a conflict
 * @sequence: the publisher's counter, for logs
 * @n_records: records used
 * @records: the records
 */
typedef struct
{
  guint8 key_id[GST_P2P_TRUST_KEY_ID_LEN];
  guint8 swarm[GST_P2P_HASH_SWARM_LEN];
  gint64 publish_time;
  guint64 sequence;
  guint n_records;
  GstP2pHashRecord records[GST_P2P_HASH_BATCH_MAX_RECORDS];
} GstP2pHashBatch;

void       gst_p2p_hash_batch_init      (GstP2pHashBatch * batch,
                                         const guint8 swarm[GST_P2P_HASH_SWARM_LEN],
                                         gint64 publish_time,
                                         guint64 sequence);
gboolean   gst_p2p_hash_batch_add       (GstP2pHashBatch * batch,
                                         const GstP2pHashRecord * record);

void       gst_p2p_hash_record_set_path (GstP2pHashRecord * record,
                                         const gchar * uri);

GBytes *   gst_p2p_hash_batch_sign      (const GstP2pHashBatch * batch,
                                         GstP2pTrustPrivateKey * key,
                                         GError ** error);
gboolean   gst_p2p_hash_batch_parse     (const guint8 * data,
                                         gsize size,
                                         const GstP2pTrustPublicKey * const * keys,
                                         guint n_keys,
                                         GstP2pHashBatch * batch,
                                         GError ** error);

gchar *    gst_p2p_hash_payload_new     (GBytes * signed_batch);
GBytes *   gst_p2p_hash_payload_parse   (const gchar * payload_json,
                                         gsize size,
                                         GError ** error);

G_END_DECLS

#endif /* __GST_P2P_HASH_RECORD_H__ */
