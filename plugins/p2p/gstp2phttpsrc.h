/* p2phttpsrc: HTTP/HTTPS source for players, peer-assisted for fragments. */
#ifndef __GST_P2P_HTTP_SRC_H__
#define __GST_P2P_HTTP_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_P2P_HTTP_SRC (gst_p2p_http_src_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pHttpSrc, gst_p2p_http_src, GST, P2P_HTTP_SRC,
    GstPushSrc);

GST_ELEMENT_REGISTER_DECLARE (p2phttpsrc);

G_END_DECLS

#endif /* __GST_P2P_HTTP_SRC_H__ */
