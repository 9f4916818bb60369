/* GstP2pRequestKind: what an HTTP request of a player is for. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstp2prequestkind.h"

/* An HLS AES-128 key is exactly 16 bytes (RFC 8216, 5.2). */
#define AES_128_KEY_SIZE 16
/* How far into a body we look for a playlist signature. */
#define SNIFF_SIZE 512

static const GEnumValue kinds[] = {
  {GST_P2P_REQUEST_UNKNOWN, "Nothing requested yet", "unknown"},
  {GST_P2P_REQUEST_FRAGMENT, "Media fragment (may come from peers)",
      "fragment"},
  {GST_P2P_REQUEST_MANIFEST, "Top-level manifest or resource", "manifest"},
  {GST_P2P_REQUEST_PLAYLIST, "Playlist or MPD reload", "playlist"},
  {GST_P2P_REQUEST_KEY, "Content key", "key"},
  {GST_P2P_REQUEST_CLOCK_SYNC, "Clock synchronisation (HEAD)", "clock-sync"},
  {GST_P2P_REQUEST_OTHER, "Other auxiliary download", "other"},
  {0, NULL, NULL}
};

GType
gst_p2p_request_kind_get_type (void)
{
  static GType type = 0;

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstP2pRequestKind",
            kinds));
  return type;
}

const gchar *
gst_p2p_request_kind_to_string (GstP2pRequestKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (kinds) - 1)
    return "invalid";
  return kinds[kind].value_nick;
}

static gboolean
is_adaptive_demuxer (GstObject * object)
{
  GstElementFactory *factory;
  const gchar *klass;

  if (!GST_IS_ELEMENT (object))
    return FALSE;
  factory = gst_element_get_factory (GST_ELEMENT (object));
  if (!factory)
    return FALSE;
  klass = gst_element_factory_get_metadata (factory,
      GST_ELEMENT_METADATA_KLASS);
  return klass && strstr (klass, "Demux") && strstr (klass, "Adaptive");
}

/**
 * gst_p2p_request_kind_from_parent:
 *
 * The legacy adaptive demuxers put each stream's source in a bin named
 * "srcbin-<pad>" whose parent is the demuxer; everything else they fetch
 * goes through GstUriDownloader, whose source has no parent.
 */
GstP2pRequestKind
gst_p2p_request_kind_from_parent (GstElement * source)
{
  GstObject *parent, *grandparent;
  GstP2pRequestKind kind;
  gchar *name;

  parent = gst_object_get_parent (GST_OBJECT (source));
  if (!parent)
    return GST_P2P_REQUEST_UNKNOWN;

  kind = GST_P2P_REQUEST_MANIFEST;
  name = gst_object_get_name (parent);
  if (name && g_str_has_prefix (name, "srcbin-")) {
    grandparent = gst_object_get_parent (parent);
    if (grandparent && is_adaptive_demuxer (grandparent))
      kind = GST_P2P_REQUEST_FRAGMENT;
    g_clear_object (&grandparent);
  }
  g_free (name);
  gst_object_unref (parent);
  return kind;
}

static gboolean
content_type_is_playlist (const gchar * type)
{
  static const gchar *playlist_types[] = {
    "application/vnd.apple.mpegurl", "application/x-mpegurl",
    "audio/mpegurl", "audio/x-mpegurl", "application/dash+xml",
  };
  guint i;

  if (!type)
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (playlist_types); i++)
    if (g_ascii_strncasecmp (type, playlist_types[i],
            strlen (playlist_types[i])) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
uri_path_has_suffix (const gchar * uri, const gchar * suffix)
{
  GUri *parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  gboolean ret = FALSE;

  if (parsed) {
    gchar *path = g_ascii_strdown (g_uri_get_path (parsed), -1);

    ret = g_str_has_suffix (path, suffix);
    g_free (path);
    g_uri_unref (parsed);
  }
  return ret;
}

static gboolean
body_is_playlist (const guint8 * head, gsize size)
{
  const gchar *data = (const gchar *) head;
  gchar *text;
  gboolean ret;

  if (!head)
    return FALSE;
  size = MIN (size, SNIFF_SIZE);
  if (size >= 7 && memcmp (data, "#EXTM3U", 7) == 0)
    return TRUE;
  /* The MPD element may follow an XML declaration and comments. */
  text = g_strndup (data, size);
  ret = strstr (text, "<MPD") != NULL;
  g_free (text);
  return ret;
}

GstP2pRequestKind
gst_p2p_request_kind_from_response (const gchar * method, const gchar * uri,
    const gchar * content_type, gint64 content_length, const guint8 * head,
    gsize head_size)
{
  if (method && g_ascii_strcasecmp (method, "HEAD") == 0)
    return GST_P2P_REQUEST_CLOCK_SYNC;
  if (content_type_is_playlist (content_type)
      || body_is_playlist (head, head_size)
      || uri_path_has_suffix (uri, ".m3u8")
      || uri_path_has_suffix (uri, ".mpd"))
    return GST_P2P_REQUEST_PLAYLIST;
  if (content_length == AES_128_KEY_SIZE || (content_length < 0 && head
          && head_size == AES_128_KEY_SIZE)
      || uri_path_has_suffix (uri, ".key"))
    return GST_P2P_REQUEST_KEY;
  return GST_P2P_REQUEST_OTHER;
}
