/* GstP2pRequestKind: what an HTTP request of a player is for.
 *
 * Only media fragments may ever be exchanged with peers; manifests,
 * playlists, keys, licences and clock sync always go to the origin. The
 * element decides the kind from where it sits in the pipeline (see
 * shared/reference/gstreamer-contract.md) and, for the parentless sources
 * of GstUriDownloader, from the method and the response.
 *
 * Plain functions, no state: callable from any thread.
 */
#ifndef __GST_P2P_REQUEST_KIND_H__
#define __GST_P2P_REQUEST_KIND_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstP2pRequestKind:
 * @GST_P2P_REQUEST_UNKNOWN: nothing requested yet
 * @GST_P2P_REQUEST_FRAGMENT: media segment, init segment or index range,
 *   fetched by an adaptive demuxer's stream source
 * @GST_P2P_REQUEST_MANIFEST: the pipeline's own resource: the top-level
 *   manifest or master playlist, or a progressive file
 * @GST_P2P_REQUEST_PLAYLIST: a playlist or MPD (re)load by GstUriDownloader
 * @GST_P2P_REQUEST_KEY: a content key (e.g. HLS AES-128)
 * @GST_P2P_REQUEST_CLOCK_SYNC: a HEAD request for the server's Date
 * @GST_P2P_REQUEST_OTHER: anything else the downloader fetches (xlink, ...)
 */
typedef enum
{
  GST_P2P_REQUEST_UNKNOWN,
  GST_P2P_REQUEST_FRAGMENT,
  GST_P2P_REQUEST_MANIFEST,
  GST_P2P_REQUEST_PLAYLIST,
  GST_P2P_REQUEST_KEY,
  GST_P2P_REQUEST_CLOCK_SYNC,
  GST_P2P_REQUEST_OTHER,
} GstP2pRequestKind;

GType gst_p2p_request_kind_get_type (void);
#define GST_TYPE_P2P_REQUEST_KIND (gst_p2p_request_kind_get_type ())

const gchar *     gst_p2p_request_kind_to_string (GstP2pRequestKind kind);

/* From the element's position: FRAGMENT, MANIFEST, or UNKNOWN for a
 * parentless source, whose kind depends on the response. */
GstP2pRequestKind gst_p2p_request_kind_from_parent (GstElement * source);

/* For a parentless (downloader) source, once the response is known.
 * @head: the first bytes of the body, may be NULL; @head_size of them. */
GstP2pRequestKind gst_p2p_request_kind_from_response (const gchar * method,
                                                      const gchar * uri,
                                                      const gchar * content_type,
                                                      gint64 content_length,
                                                      const guint8 * head,
                                                      gsize head_size);

G_END_DECLS

#endif /* __GST_P2P_REQUEST_KIND_H__ */
