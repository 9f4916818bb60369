/* GstP2pSignalMessage: bounded parsing of the tracker's JSON text frames.
 * See gstp2psignalmessage.h.
 *
 * Threads: any; no shared state.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "signalling/gstp2psignalmessage.h"

G_DEFINE_QUARK (gst - p2p - signal - error - quark, gst_p2p_signal_error);

static const gchar *const reasons[] = {
  [GST_P2P_SIGNAL_ERROR_TOO_LARGE] = "too-large",
  [GST_P2P_SIGNAL_ERROR_BAD_UTF8] = "bad-utf8",
  [GST_P2P_SIGNAL_ERROR_TOO_DEEP] = "too-deep",
  [GST_P2P_SIGNAL_ERROR_BAD_JSON] = "bad-json",
  [GST_P2P_SIGNAL_ERROR_NOT_OBJECT] = "not-object",
  [GST_P2P_SIGNAL_ERROR_MISSING_FIELD] = "missing-field",
  [GST_P2P_SIGNAL_ERROR_BAD_FIELD] = "bad-field",
};

/**
 * gst_p2p_signal_error_reason:
 * @code: a #GstP2pSignalError
 *
 * Returns: the stable reason string of @code, "internal" if unknown.
 */
const gchar *
gst_p2p_signal_error_reason (gint code)
{
  if (code < 0 || code >= (gint) G_N_ELEMENTS (reasons) || !reasons[code])
    return "internal";
  return reasons[code];
}

/**
 * gst_p2p_signal_message_scan:
 * @data: the frame
 * @size: its length in bytes
 * @max_size: largest accepted frame
 * @max_depth: deepest accepted nesting of objects and arrays
 *
 * Checks the bounds of a frame in one pass without allocating: size, UTF-8
 * and nesting depth (brackets outside strings). json-glib's parser recurses
 * per nesting level, so depth must be bounded before it runs.
 *
 * Returns: TRUE if the frame may be handed to the JSON parser.
 */
gboolean
gst_p2p_signal_message_scan (const gchar * data, gsize size, gsize max_size,
    guint max_depth, GError ** error)
{
  gboolean in_string = FALSE, escaped = FALSE;
  guint depth = 0;
  gsize i;

  if (size > max_size) {
    g_set_error (error, GST_P2P_SIGNAL_ERROR, GST_P2P_SIGNAL_ERROR_TOO_LARGE,
        "message of %" G_GSIZE_FORMAT " bytes exceeds the limit of %"
        G_GSIZE_FORMAT, size, max_size);
    return FALSE;
  }
  if (!g_utf8_validate_len (data, size, NULL)) {
    g_set_error (error, GST_P2P_SIGNAL_ERROR, GST_P2P_SIGNAL_ERROR_BAD_UTF8,
        "message is not valid UTF-8");
    return FALSE;
  }

  for (i = 0; i < size; i++) {
    gchar c = data[i];

    if (in_string) {
      if (escaped)
        escaped = FALSE;
      else if (c == '\\')
        escaped = TRUE;
      else if (c == '"')
        in_string = FALSE;
      continue;
    }
    if (c == '"') {
      in_string = TRUE;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        g_set_error (error, GST_P2P_SIGNAL_ERROR,
            GST_P2P_SIGNAL_ERROR_TOO_DEEP,
            "message nests deeper than %u levels", max_depth);
        return FALSE;
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      depth--;
    }
  }
  return TRUE;
}

/**
 * gst_p2p_signal_message_parse:
 * @data: the frame (need not be NUL-terminated)
 * @size: its length in bytes
 * @max_size: largest accepted frame
 * @max_depth: deepest accepted nesting
 *
 * Returns: (transfer full) (nullable): the top-level object, or NULL with
 * @error set in the #GST_P2P_SIGNAL_ERROR domain.
 */
JsonObject *
gst_p2p_signal_message_parse (const gchar * data, gsize size, gsize max_size,
    guint max_depth, GError ** error)
{
  JsonParser *parser;
  JsonNode *root;
  JsonObject *obj = NULL;
  GError *err = NULL;

  if (!gst_p2p_signal_message_scan (data, size, max_size, max_depth, error))
    return NULL;

  /* Immutable parsers skip the per-node copy on steal. */
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, size, &err)) {
    g_set_error (error, GST_P2P_SIGNAL_ERROR, GST_P2P_SIGNAL_ERROR_BAD_JSON,
        "malformed JSON: %s", err->message);
    g_clear_error (&err);
    g_object_unref (parser);
    return NULL;
  }
  root = json_parser_steal_root (parser);
  g_object_unref (parser);

  if (root && JSON_NODE_HOLDS_OBJECT (root))
    obj = json_object_ref (json_node_get_object (root));
  else
    g_set_error (error, GST_P2P_SIGNAL_ERROR, GST_P2P_SIGNAL_ERROR_NOT_OBJECT,
        "message is not a JSON object");
  if (root)
    json_node_unref (root);
  return obj;
}

static JsonNode *
lookup (JsonObject * obj, const gchar * name, gboolean required,
    GError ** error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (!node && required)
    g_set_error (error, GST_P2P_SIGNAL_ERROR,
        GST_P2P_SIGNAL_ERROR_MISSING_FIELD, "field '%s' is required", name);
  return node;
}

/**
 * gst_p2p_signal_message_get_string:
 * @obj: a message
 * @name: field name
 * @required: whether absence is an error
 * @max_len: longest accepted value in bytes
 * @out: (out) (transfer none): the value, NULL if absent; valid while @obj is
 *
 * Returns: FALSE if the field is required and absent, not a string, or too
 * long.
 */
gboolean
gst_p2p_signal_message_get_string (JsonObject * obj, const gchar * name,
    gboolean required, gsize max_len, const gchar ** out, GError ** error)
{
  JsonNode *node = lookup (obj, name, required, error);
  const gchar *s;

  *out = NULL;
  if (!node)
    return !required;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error (error, GST_P2P_SIGNAL_ERROR, GST_P2P_SIGNAL_ERROR_BAD_FIELD,
        "field '%s' must be a string", name);
    return FALSE;
  }
  s = json_node_get_string (node);
  if (strlen (s) > max_len) {
    g_set_error (error, GST_P2P_SIGNAL_ERROR, GST_P2P_SIGNAL_ERROR_BAD_FIELD,
        "field '%s' is longer than %" G_GSIZE_FORMAT " bytes", name, max_len);
    return FALSE;
  }
  *out = s;
  return TRUE;
}

/**
 * gst_p2p_signal_message_get_object:
 * @obj: a message
 * @name: field name
 * @required: whether absence is an error
 * @out: (out) (transfer none): the object node, NULL if absent
 *
 * Returns: FALSE if the field is required and absent or not an object.
 */
gboolean
gst_p2p_signal_message_get_object (JsonObject * obj, const gchar * name,
    gboolean required, JsonNode ** out, GError ** error)
{
  JsonNode *node = lookup (obj, name, required, error);

  *out = NULL;
  if (!node)
    return !required;
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, GST_P2P_SIGNAL_ERROR, GST_P2P_SIGNAL_ERROR_BAD_FIELD,
        "field '%s' must be an object", name);
    return FALSE;
  }
  *out = node;
  return TRUE;
}

/**
 * gst_p2p_signal_message_get_int:
 * @obj: a message
 * @name: field name
 * @required: whether absence is an error
 * @min: smallest accepted value
 * @max: largest accepted value
 * @out: (out): the value, untouched if absent
 *
 * Returns: FALSE if the field is required and absent, not an integer, or out
 * of range. Floating point numbers are rejected, not truncated.
 */
gboolean
gst_p2p_signal_message_get_int (JsonObject * obj, const gchar * name,
    gboolean required, gint64 min, gint64 max, gint64 * out, GError ** error)
{
  JsonNode *node = lookup (obj, name, required, error);
  gint64 v;

  if (!node)
    return !required;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64) {
    g_set_error (error, GST_P2P_SIGNAL_ERROR, GST_P2P_SIGNAL_ERROR_BAD_FIELD,
        "field '%s' must be an integer", name);
    return FALSE;
  }
  v = json_node_get_int (node);
  if (v < min || v > max) {
    g_set_error (error, GST_P2P_SIGNAL_ERROR, GST_P2P_SIGNAL_ERROR_BAD_FIELD,
        "field '%s' is out of range", name);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

/**
 * gst_p2p_signal_valid_swarm_id:
 * @id: a swarm id
 *
 * Swarm ids are 1..128 printable ASCII characters without quotes,
 * backslashes or spaces, so URLs and hashes fit and the tracker can embed
 * them in JSON without escaping.
 */
gboolean
gst_p2p_signal_valid_swarm_id (const gchar * id)
{
  gsize i;

  for (i = 0; id[i]; i++) {
    guchar c = id[i];

    if (i >= GST_P2P_SIGNAL_MAX_SWARM_ID_LEN || c <= 0x20 || c >= 0x7f
        || c == '"' || c == '\\')
      return FALSE;
  }
  return i > 0;
}

/**
 * gst_p2p_signal_valid_peer_id:
 * @id: a peer id
 *
 * Peer ids are 1..64 characters of [A-Za-z0-9_-] (base64url).
 */
gboolean
gst_p2p_signal_valid_peer_id (const gchar * id)
{
  gsize i;

  for (i = 0; id[i]; i++) {
    guchar c = id[i];

    if (i >= GST_P2P_SIGNAL_MAX_PEER_ID_LEN
        || !(g_ascii_isalnum (c) || c == '_' || c == '-'))
      return FALSE;
  }
  return i > 0;
}

/**
 * gst_p2p_signal_node_to_string:
 * @node: a JSON node
 *
 * Returns: (transfer full): compact JSON text of @node.
 */
gchar *
gst_p2p_signal_node_to_string (JsonNode * node)
{
  JsonGenerator *gen = json_generator_new ();
  gchar *text;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  g_object_unref (gen);
  return text;
}

/**
 * gst_p2p_signal_quote:
 * @str: any UTF-8 text
 *
 * Returns: (transfer full): @str as a quoted JSON string literal.
 */
gchar *
gst_p2p_signal_quote (const gchar * str)
{
  GString *s = g_string_sized_new (strlen (str) + 2);
  const gchar *p;

  g_string_append_c (s, '"');
  for (p = str; *p; p++) {
    guchar c = *p;

    if (c == '"' || c == '\\')
      g_string_append_printf (s, "\\%c", c);
    else if (c < 0x20)
      g_string_append_printf (s, "\\u%04x", c);
    else
      g_string_append_c (s, c);
  }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}
