/* GstP2pSignalMessage: bounded parsing of the tracker's JSON text frames.
 *
 * Both ends of the signalling protocol (docs/signalling.md) use it: the
 * gst-p2p-tracker server and GstP2pTrackerClient. Every frame is hostile
 * until proven otherwise, so the size, UTF-8 validity and nesting depth are
 * checked by a linear scan BEFORE json-glib sees a byte, and field accessors
 * reject wrong types instead of coercing them. Unknown fields are ignored.
 *
 * Threads: plain functions without shared state, callable from any thread.
 * Only GLib and json-glib are used, so the tracker program can compile this
 * file without linking GStreamer.
 */
#ifndef __GST_P2P_SIGNAL_MESSAGE_H__
#define __GST_P2P_SIGNAL_MESSAGE_H__

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Limits that are part of the protocol, not of one deployment. */
#define GST_P2P_SIGNAL_MAX_SWARM_ID_LEN 128
#define GST_P2P_SIGNAL_MAX_PEER_ID_LEN  64
#define GST_P2P_SIGNAL_MAX_TOKEN_LEN    256
#define GST_P2P_SIGNAL_DEFAULT_MAX_SIZE  (16 * 1024)
#define GST_P2P_SIGNAL_DEFAULT_MAX_DEPTH 16

#define GST_P2P_SIGNAL_ERROR (gst_p2p_signal_error_quark ())

/**
 * GstP2pSignalError:
 * @GST_P2P_SIGNAL_ERROR_TOO_LARGE: the frame exceeds the size limit
 * @GST_P2P_SIGNAL_ERROR_BAD_UTF8: the frame is not valid UTF-8
 * @GST_P2P_SIGNAL_ERROR_TOO_DEEP: objects/arrays nest deeper than allowed
 * @GST_P2P_SIGNAL_ERROR_BAD_JSON: json-glib could not parse the frame
 * @GST_P2P_SIGNAL_ERROR_NOT_OBJECT: the top level is not a JSON object
 * @GST_P2P_SIGNAL_ERROR_MISSING_FIELD: a required field is absent
 * @GST_P2P_SIGNAL_ERROR_BAD_FIELD: a field has the wrong type or shape
 *
 * Each code has a stable reason string (gst_p2p_signal_error_reason()) that
 * travels in error messages and labels the tracker's reject counters.
 */
typedef enum
{
  GST_P2P_SIGNAL_ERROR_TOO_LARGE,
  GST_P2P_SIGNAL_ERROR_BAD_UTF8,
  GST_P2P_SIGNAL_ERROR_TOO_DEEP,
  GST_P2P_SIGNAL_ERROR_BAD_JSON,
  GST_P2P_SIGNAL_ERROR_NOT_OBJECT,
  GST_P2P_SIGNAL_ERROR_MISSING_FIELD,
  GST_P2P_SIGNAL_ERROR_BAD_FIELD,
} GstP2pSignalError;

GQuark        gst_p2p_signal_error_quark   (void);
const gchar * gst_p2p_signal_error_reason  (gint code);

gboolean      gst_p2p_signal_message_scan  (const gchar * data,
                                            gsize size,
                                            gsize max_size,
                                            guint max_depth,
                                            GError ** error);
JsonObject *  gst_p2p_signal_message_parse (const gchar * data,
                                            gsize size,
                                            gsize max_size,
                                            guint max_depth,
                                            GError ** error);

gboolean      gst_p2p_signal_message_get_string (JsonObject * obj,
                                                 const gchar * name,
                                                 gboolean required,
                                                 gsize max_len,
                                                 const gchar ** out,
                                                 GError ** error);
gboolean      gst_p2p_signal_message_get_object (JsonObject * obj,
                                                 const gchar * name,
                                                 gboolean required,
                                                 JsonNode ** out,
                                                 GError ** error);
gboolean      gst_p2p_signal_message_get_int    (JsonObject * obj,
                                                 const gchar * name,
                                                 gboolean required,
                                                 gint64 min,
                                                 gint64 max,
                                                 gint64 * out,
                                                 GError ** error);

gboolean      gst_p2p_signal_valid_swarm_id (const gchar * id);
gboolean      gst_p2p_signal_valid_peer_id  (const gchar * id);

gchar *       gst_p2p_signal_node_to_string (JsonNode * node);
gchar *       gst_p2p_signal_quote          (const gchar * str);

G_END_DECLS

#endif /* __GST_P2P_SIGNAL_MESSAGE_H__ */
