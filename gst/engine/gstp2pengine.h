/* GstP2pEngine: one viewer's peer-assisted delivery, for one configuration.
 *
 * The engine is what p2phttpsrc talks to. It owns
 *  - a GstP2pStreamIndex, fed with every manifest, playlist and MPD body the
 *    sources fetch (gst_p2p_engine_feed_manifest(); never keys),
 *  - one GstP2pScheduler per swarm (rendition), fed from the index after
 *    every playlist (segments, live window),
 *  - the GstP2pSegmentStore (byte budget: store-size) and the upload gate,
 *  - the engine's own CDN fetches, which act on the scheduler's FETCH_CDN
 *    and SEED decisions ahead of the demuxer with the same request headers,
 *    cookies and user agent as the player's own fragment requests,
 * and answers every fragment request of a source
 * (gst_p2p_engine_request_fragment(), gstp2penginerequest.h): serve it from
 * the store, wait for the transfer that brings it, or fetch it from the CDN
 * (and hand the bytes back so they enter the store). docs/engine.md tells
 * the whole story.
 *
 * One engine per process and configuration (gst_p2p_engine_get_shared()),
 * or one per viewer created by an application (gst_p2p_engine_new()) and
 * given to the pipeline's sources in a GstContext of type
 * GST_P2P_ENGINE_CONTEXT_TYPE.
 *
 * Threads: the engine's state lives on the network thread (GstP2pLoop):
 * index, schedulers, swarms and decisions are only touched there. The
 * public functions may be called from any thread; they hand the work to the
 * loop and never block on the network (the few *_sync diagnostics wait for
 * the loop, never for a peer or a server). Statistics are under a mutex.
 */
#ifndef __GST_P2P_ENGINE_H__
#define __GST_P2P_ENGINE_H__

#include <gst/gst.h>

#include "stream/gstp2pstreamindex.h"

G_BEGIN_DECLS
/* Environment variables read by gst_p2p_engine_config_init_from_env(). */
#define GST_P2P_ENGINE_ENV_TRACKER     "GST_P2P_TRACKER"
#define GST_P2P_ENGINE_ENV_TOKEN       "GST_P2P_TOKEN"
#define GST_P2P_ENGINE_ENV_TRUST_KEY   "GST_P2P_TRUST_KEY"
#define GST_P2P_ENGINE_ENV_STUN        "GST_P2P_STUN"
#define GST_P2P_ENGINE_ENV_TURN        "GST_P2P_TURN"
#define GST_P2P_ENGINE_ENV_SWARM_ID    "GST_P2P_SWARM_ID"
#define GST_P2P_ENGINE_ENV_UPLOAD      "GST_P2P_UPLOAD"
/* GstContext type carrying an engine to every source of a pipeline. */
#define GST_P2P_ENGINE_CONTEXT_TYPE "gst.p2p.engine"
/* Largest manifest/playlist body fed to the index (the stream parsers'
 * limit); bigger bodies are counted and ignored. */
#define GST_P2P_ENGINE_MAX_MANIFEST_SIZE (4 * 1024 * 1024)
/**
 * GstP2pEngineConfig:
 * @tracker: tracker URL (ws:// or wss://); P2P needs one
 * @tracker_token: join token sent to the tracker, or NULL
 * @trust_key: operator public key(s) for segment hashes, or NULL
 * @stun_server: "host:port" of a STUN server, or NULL
 * @turn_server: "turn://user:pass@host:port" of a TURN server, or NULL
 * @swarm_id: swarm id template overriding the derived ones, or NULL
 *   (docs/stream.md, "Override")
 * @store_size: segment store budget in bytes
 * @upload: serve peers at all
 * @upload_rate: upload cap in bytes/s, 0: none
 * @max_uploads: concurrent uploads
 * @prefetch: act on the scheduler's prefetch decisions (CDN fetches ahead
 *   of the demuxer); FALSE leaves only the player's own requests
 *
 * Strings are copied by the engine.
 */
    typedef struct
{
  const gchar *tracker;
  const gchar *tracker_token;
  const gchar *trust_key;
  const gchar *stun_server;
  const gchar *turn_server;
  const gchar *swarm_id;
  guint64 store_size;
  gboolean upload;
  guint64 upload_rate;
  guint max_uploads;
  gboolean prefetch;
} GstP2pEngineConfig;

/**
 * GstP2pEngineStats:
 * @bytes_from_cdn: fragment bytes fetched from the CDN (sources and the
 *   engine's own prefetches)
 * @bytes_from_peers: segment bytes received from peers (DATA payload)
 * @bytes_to_peers: segment bytes sent to peers (DATA payload)
 * @peers: peers connected now, all swarms
 * @segments_from_cdn: complete fragments fetched from the CDN
 * @segments_from_peers: complete, verified segments received from peers
 * @hash_failures: peer segments that failed verification
 * @cdn_fallbacks: requests that went to the CDN after a peer or prefetch
 *   transfer failed
 * @deadline_misses: requests whose wait for a transfer ran out
 * @served_from_store: fragment requests answered from the store
 * @prefetches: engine CDN fetches (prefetch or seeding) completed
 * @prefetch_failures: engine CDN fetches that failed
 * @manifests: manifest/playlist bodies the index accepted
 * @manifests_rejected: bodies the index rejected (see the stream stats)
 * @manifests_too_large: bodies above GST_P2P_ENGINE_MAX_MANIFEST_SIZE
 * @swarms: swarms (renditions) known
 * @requests: fragment requests asked
 * @segment_bytes_from_peers: bytes of the verified segments counted in
 *   @segments_from_peers (@bytes_from_peers also counts DATA of transfers
 *   that failed or did not verify)
 * @peer_failures: peer transfers that failed (stall, timeout, refusal,
 *   link lost), before verification
 * @peer_busy: of those, requests the peer refused as busy (its upload slot
 *   was taken): the normal way a swarm spreads requests, not a fault
 * @link_failures: peer links that failed (ICE, DTLS or SCTP before HELLO,
 *   or lost without a BYE), over all swarms
 * @verify_waits: peer segments that arrived before their operator record
 *   and were held back waiting for it
 * @bans: peers banned because their segment failed verification
 * @upload_enabled: this viewer serves peers now (off: no trust key or
 *   tracker, upload=false, or a metered network)
 */
typedef struct
{
  guint64 bytes_from_cdn;
  guint64 bytes_from_peers;
  guint64 bytes_to_peers;
  guint peers;
  guint64 segments_from_cdn;
  guint64 segments_from_peers;
  guint64 hash_failures;
  guint64 cdn_fallbacks;
  guint64 deadline_misses;
  guint64 served_from_store;
  guint64 prefetches;
  guint64 prefetch_failures;
  guint64 manifests;
  guint64 manifests_rejected;
  guint64 manifests_too_large;
  guint swarms;
  guint64 requests;
  guint64 segment_bytes_from_peers;
  guint64 peer_failures;
  guint64 peer_busy;
  guint64 link_failures;
  guint64 verify_waits;
  guint64 bans;
  gboolean upload_enabled;
} GstP2pEngineStats;

#define GST_P2P_TYPE_ENGINE (gst_p2p_engine_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pEngine, gst_p2p_engine, GST_P2P, ENGINE, GObject)
     void gst_p2p_engine_config_init (GstP2pEngineConfig * config);
     void gst_p2p_engine_config_init_from_env (GstP2pEngineConfig * config);

     GstP2pEngine *gst_p2p_engine_new (const GstP2pEngineConfig * config,
    GError ** error);
     GstP2pEngine *gst_p2p_engine_get_shared (const GstP2pEngineConfig * config,
    GError ** error);

     const gchar *gst_p2p_engine_get_tracker (GstP2pEngine * engine);

/* Manifests and playlists (any thread, asynchronous). */
     void gst_p2p_engine_feed_manifest (GstP2pEngine * engine,
    const gchar * uri,
    const gchar * final_uri, GBytes * body, gint64 real_time);
     void gst_p2p_engine_note_manifest_too_large (GstP2pEngine * engine);

/* Statistics (any thread). */
     void gst_p2p_engine_get_stats (GstP2pEngine * engine,
    GstP2pEngineStats * stats);
     GstStructure *gst_p2p_engine_stats_to_structure (const GstP2pEngineStats *
    stats, const gchar * name);

/* Diagnostics: wait for the network thread (never for the network). */
     void gst_p2p_engine_get_index_stats_sync (GstP2pEngine * engine,
    GstP2pStreamIndexStats * stats);
     GstP2pStreamUriKind gst_p2p_engine_lookup_sync (GstP2pEngine * engine,
    const gchar * uri,
    gchar swarm_id[GST_P2P_STREAM_SWARM_ID_LEN + 1], guint64 * segment_id);
     gchar **gst_p2p_engine_list_swarms_sync (GstP2pEngine * engine);

/* GstContext helpers. A context without an engine switches P2P off. */
     GstContext *gst_p2p_engine_context_new (GstP2pEngine * engine);
     gboolean gst_p2p_engine_context_get (GstContext * context,
    GstP2pEngine ** engine);

G_END_DECLS
#endif /* __GST_P2P_ENGINE_H__ */
