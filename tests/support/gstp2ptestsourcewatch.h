/* gst-p2p test support: sees every URI source element the process creates and
 * every HTTP response each one delivers.
 *
 * GstP2pTestSourceWatch registers (once per process) an in-process GstTracer
 * hook on "element-new", so it sees sources no bin exposes: GstUriDownloader's
 * parentless sources (playlists, keys) as well as the adaptive demuxers'
 * fragment sources. On each source's src pad a probe delimits responses with
 * the sticky "http-headers" event (one per response, before its first buffer)
 * and EOS, hashes the bytes (SHA-256), and records the URI, status, request
 * Range, the source's "request-kind" (if it has one), its place in the
 * pipeline and, when a docroot is mapped, the SHA-256 of the same byte range
 * of the file on disk, taken when the response starts and again when it ends
 * (live playlists are rewritten in place; either version is the truth).
 *
 * Thread-safety: probes run on streaming threads; every accessor locks. Call
 * _free() after the pipelines are stopped; probes on sources that outlive the
 * watch become no-ops.
 */
#ifndef __GST_P2P_TEST_SOURCE_WATCH_H__
#define __GST_P2P_TEST_SOURCE_WATCH_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  guint index;                  /* order in which responses started */
  gchar *factory;               /* e.g. "p2phttpsrc" */
  gchar *element_path;          /* gst_object_get_path_string() at headers */
  gboolean parentless;          /* no parent at headers time (downloader) */
  gboolean in_srcbin;           /* parent named "srcbin-*" (fragments) */
  gchar *uri;                   /* "uri" of http-headers */
  gchar *redirection_uri;       /* or NULL */
  guint status;                 /* "http-status-code" */
  gchar *method;                /* source's "method" property, or "GET" */
  gchar *request_kind;          /* nick of "request-kind", NULL if none */
  gchar *request_headers;       /* serialised, for messages */
  gchar *range;                 /* request "Range" header or NULL */
  guint64 range_start;
  gint64 range_end;             /* exclusive; -1 = to the end */
  guint64 bytes;
  gchar *sha256;                /* of the delivered bytes */
  gboolean complete;            /* ended with EOS (not flush/next response) */
  /* Docroot mapping (NULL if not mapped / not under the base URI): */
  gchar *local_path;
  gchar *expected_sha256_start;
  gchar *expected_sha256_end;
  guint64 expected_size_start;
  guint64 expected_size_end;
  gchar *expected_error;        /* why no expectation could be computed */
} GstP2pTestResponse;

typedef struct _GstP2pTestSourceWatch GstP2pTestSourceWatch;

GstP2pTestSourceWatch * gst_p2p_test_source_watch_new (void);

/* Responses whose URI starts with @base_uri are compared with files under
 * @docroot (same relative path, query ignored). */
void        gst_p2p_test_source_watch_map_docroot (GstP2pTestSourceWatch * watch,
                                                   const gchar * base_uri,
                                                   const gchar * docroot);

/* Snapshot (element-type GstP2pTestResponse), finished responses first
 * in start order; open responses are included with complete = FALSE. */
GPtrArray * gst_p2p_test_source_watch_get_responses (GstP2pTestSourceWatch * watch);

/* Factory names of every URI source created since _new(), one entry per
 * element (element-type utf8). */
GPtrArray * gst_p2p_test_source_watch_get_created (GstP2pTestSourceWatch * watch);

guint       gst_p2p_test_source_watch_count_created (GstP2pTestSourceWatch * watch,
                                                     const gchar * factory);

/* Buffers seen with no open response (no http-headers event before them). */
guint64     gst_p2p_test_source_watch_get_orphan_bytes (GstP2pTestSourceWatch * watch);

/* TRUE if the delivered bytes equal the file range on disk (at start or at
 * end of the response). */
gboolean    gst_p2p_test_response_matches_disk (const GstP2pTestResponse * r);

/* One line for assertion messages (caller frees). */
gchar *     gst_p2p_test_response_describe (const GstP2pTestResponse * r);

void        gst_p2p_test_source_watch_free (GstP2pTestSourceWatch * watch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pTestSourceWatch, gst_p2p_test_source_watch_free)

G_END_DECLS

#endif /* __GST_P2P_TEST_SOURCE_WATCH_H__ */
