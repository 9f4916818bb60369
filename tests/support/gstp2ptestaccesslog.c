/* gst-p2p test support: the origin's JSON-lines access log, parsed with
 * json-glib. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ptestaccesslog.h"

#include <json-glib/json-glib.h>
#include <string.h>

void
gst_p2p_test_access_entry_free (GstP2pTestAccessEntry * e)
{
  if (e == NULL)
    return;
  g_free (e->method);
  g_free (e->uri);
  g_free (e->args);
  g_free (e->range);
  g_free (e->user_agent);
  g_free (e->referer);
  g_free (e);
}

static gboolean
parse_line (const gchar * line, GstP2pTestAccessEntry * e, GError ** error)
{
  JsonParser *parser = json_parser_new ();
  JsonObject *o;
  gboolean ok = FALSE;
  static const gchar *required[] = { "msec", "method", "uri", "status",
    "bytes_sent", "body_bytes_sent", "range", "request_time", "connection",
    "connection_requests", "user_agent", NULL
  };
  gint i;

  if (!json_parser_load_from_data (parser, line, -1, error))
    goto out;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an object");
    goto out;
  }
  o = json_node_get_object (json_parser_get_root (parser));
  for (i = 0; required[i]; i++) {
    if (!json_object_has_member (o, required[i])) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "missing field %s", required[i]);
      goto out;
    }
  }
  e->msec = json_object_get_double_member (o, "msec");
  e->method = g_strdup (json_object_get_string_member (o, "method"));
  e->uri = g_strdup (json_object_get_string_member (o, "uri"));
  e->args = g_strdup (json_object_get_string_member_with_default (o, "args",
          ""));
  e->status = json_object_get_int_member (o, "status");
  e->bytes_sent = json_object_get_int_member (o, "bytes_sent");
  e->body_bytes_sent = json_object_get_int_member (o, "body_bytes_sent");
  e->range = g_strdup (json_object_get_string_member (o, "range"));
  e->request_time = json_object_get_double_member (o, "request_time");
  e->connection = json_object_get_int_member (o, "connection");
  e->connection_requests = json_object_get_int_member (o,
      "connection_requests");
  e->user_agent = g_strdup (json_object_get_string_member (o, "user_agent"));
  e->referer = g_strdup (json_object_get_string_member_with_default (o,
          "referer", ""));
  ok = TRUE;
out:
  g_object_unref (parser);
  return ok;
}

GPtrArray *
gst_p2p_test_access_log_read (const gchar * path, GError ** error)
{
  gchar *contents = NULL;
  gchar **lines, **l;
  GPtrArray *entries;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;

  entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_p2p_test_access_entry_free);
  lines = g_strsplit (contents, "\n", -1);
  for (l = lines; *l; l++) {
    GstP2pTestAccessEntry *e;
    GError *err = NULL;

    /* The last element is the (possibly partial) text after the last \n. */
    if (l[1] == NULL || **l == '\0')
      continue;
    e = g_new0 (GstP2pTestAccessEntry, 1);
    if (!parse_line (*l, e, &err)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "%s: bad line \"%s\": %s", path, *l, err->message);
      g_clear_error (&err);
      gst_p2p_test_access_entry_free (e);
      g_clear_pointer (&entries, g_ptr_array_unref);
      break;
    }
    g_ptr_array_add (entries, e);
  }
  g_strfreev (lines);
  g_free (contents);
  return entries;
}

guint64
gst_p2p_test_access_log_body_bytes (GPtrArray * entries,
    const gchar * uri_prefix)
{
  guint64 total = 0;
  guint i;

  for (i = 0; i < entries->len; i++) {
    GstP2pTestAccessEntry *e = g_ptr_array_index (entries, i);
    if (uri_prefix == NULL || g_str_has_prefix (e->uri, uri_prefix))
      total += e->body_bytes_sent;
  }
  return total;
}
