/* The stream index. See gstp2pstreamindex.h and docs/stream.md.
 *
 * Entries (segments and init segments) live in one hash table keyed by
 * "normalised URI without query|range", and each segment is also linked
 * into its rendition's queue, ordered by segment id, which gives the
 * "next segments" walk and cheap eviction from the old end.
 *
 * Threads: none of its own; the owner serialises calls.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "stream/gstp2pstreamindex.h"
#include "stream/gstp2phlsplaylist.h"
#include "stream/gstp2pdashmpd.h"
#include "stream/gstp2pstreamparse.h"

#define GST_CAT_DEFAULT GST_CAT_STREAM

#define MAX_INITS_PER_RENDITION 16
#define MAX_FORBIDDEN 8192
#define MAX_VARIANTS 16384

typedef struct _Rendition Rendition;

typedef struct
{
  GList link;                   /* in rendition->entries (segments only) */
  gchar *key;
  gchar *uri;
  Rendition *rendition;
  gboolean init;
  guint64 id;
  GstP2pStreamRange range;
  GstClockTime duration;
  GstClockTime start;
} Entry;

struct _Rendition
{
  gchar *key;                   /* playlist, manifest, identity */
  gchar swarm_id[GST_P2P_STREAM_SWARM_ID_LEN + 1];
  guint8 digest[GST_P2P_STREAM_SWARM_DIGEST_LEN];
  GQueue entries;
  GPtrArray *inits;
  gboolean keep_query;
  gboolean live;
  gint64 updated;               /* "now" of the last update */
  GstClockTime edge;            /* end of its last listed segment */
  GstClockTime typical;         /* segment duration, for extrapolation */
  guint64 last_id;              /* id of its last listed segment */
  gboolean has_template;
  GstP2pDashTemplate tmpl;
  guint template_window;
};

/* What a master playlist says about one of its media playlists. */
typedef struct
{
  gchar *manifest;              /* the master's URI */
  gchar *identity;
} Variant;

struct _GstP2pStreamIndex
{
  GstP2pStreamIndexConfig config;
  gchar *swarm_template;
  GRegex *token_regex;
  GHashTable *entries;          /* key -> Entry, not owned */
  GHashTable *renditions;       /* key -> Rendition, owned */
  GHashTable *variants;         /* normalised playlist URI -> Variant */
  GHashTable *forbidden;        /* normalised URI -> GstP2pStreamUriKind */
  guint n_entries;
  GstP2pStreamIndexStats stats;
};

/* A segment as a parser listed it, before it becomes an Entry. */
typedef struct
{
  const gchar *uri;
  GstP2pStreamRange range;
  guint64 id;
  GstClockTime duration;
  GstClockTime start;
} NewSeg;

const gchar *
gst_p2p_stream_uri_kind_to_string (GstP2pStreamUriKind kind)
{
  static const gchar *names[] = { "unknown", "segment", "init", "key",
    "licence", "manifest"
  };

  if ((guint) kind >= G_N_ELEMENTS (names))
    return "invalid";
  return names[kind];
}

/**
 * gst_p2p_stream_index_config_init:
 * @config: the configuration to fill with the defaults
 *
 * Default swarm template, no path token rule, path identities, a margin of
 * 8 segments, 64 renditions, 400 000 entries, default parser limits.
 */
void
gst_p2p_stream_index_config_init (GstP2pStreamIndexConfig * config)
{
  g_return_if_fail (config != NULL);
  memset (config, 0, sizeof (*config));
  config->window_margin = 8;
  config->max_renditions = 64;
  config->max_entries = 400000;
  gst_p2p_stream_limits_init (&config->limits);
}

void
gst_p2p_stream_segment_info_clear (GstP2pStreamSegmentInfo * info)
{
  if (info == NULL)
    return;
  g_free (info->uri);
  info->uri = NULL;
}

/* ---- URIs ---- */

/* Normalised absolute URI: scheme and host lowercased, default port and dot
 * segments removed, query and fragment dropped unless @keep_query. */
static gchar *
normalise (const gchar * uri, gboolean keep_query)
{
  GUri *u, *n;
  gchar *s;

  if (uri == NULL)
    return NULL;
  u = g_uri_parse (uri, G_URI_FLAGS_ENCODED | G_URI_FLAGS_SCHEME_NORMALIZE,
      NULL);
  if (u == NULL || g_uri_get_host (u) == NULL) {
    if (u)
      g_uri_unref (u);
    return keep_query ? g_strdup (uri) : gst_p2p_stream_uri_strip_query (uri);
  }
  {
    gchar *host = g_ascii_strdown (g_uri_get_host (u), -1);

    n = g_uri_build (g_uri_get_flags (u), g_uri_get_scheme (u),
        g_uri_get_userinfo (u), host, g_uri_get_port (u), g_uri_get_path (u),
        keep_query ? g_uri_get_query (u) : NULL, NULL);
    g_free (host);
  }
  s = g_uri_to_string (n);
  g_uri_unref (n);
  g_uri_unref (u);
  return s;
}

static gchar *
entry_key (const gchar * uri, const GstP2pStreamRange * range,
    gboolean keep_query)
{
  gchar *n = normalise (uri, keep_query);
  gchar *k;

  if (range && range->set)
    k = g_strdup_printf ("%s|%" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT, n,
        range->offset, range->length);
  else
    k = g_strdup_printf ("%s|", n);
  g_free (n);
  return k;
}

/* The path of @uri with token-like segments removed. */
static gchar *
clean_path (GstP2pStreamIndex * index, const gchar * path)
{
  gchar **parts;
  GString *out;
  guint i;

  if (index->token_regex == NULL)
    return g_strdup (path);
  parts = g_strsplit (path, "/", -1);
  out = g_string_new (NULL);
  for (i = 0; parts[i]; i++) {
    if (i > 0 && *parts[i] != '\0'
        && g_regex_match (index->token_regex, parts[i], 0, NULL))
      continue;
    if (i > 0)
      g_string_append_c (out, '/');
    g_string_append (out, parts[i]);
  }
  g_strfreev (parts);
  return g_string_free (out, FALSE);
}

/* ---- swarm ids ---- */

/**
 * gst_p2p_stream_index_swarm_id:
 * @index: the index (its template and token rule apply)
 * @manifest_uri: the manifest's URI as requested
 * @identity: the rendition's identity string
 * @id: (out): the short id, hex, NUL-terminated
 * @digest: (out) (optional): the full SHA-256
 *
 * Computes a swarm id the way the index does for its renditions.
 *
 * Returns: FALSE if @manifest_uri is not an absolute URI.
 */
gboolean
gst_p2p_stream_index_swarm_id (GstP2pStreamIndex * index,
    const gchar * manifest_uri, const gchar * identity,
    gchar id[GST_P2P_STREAM_SWARM_ID_LEN + 1],
    guint8 digest[GST_P2P_STREAM_SWARM_DIGEST_LEN])
{
  GUri *u;
  GString *key;
  GChecksum *sum;
  gchar *host, *path, *port, *manifest;
  guint8 buf[GST_P2P_STREAM_SWARM_DIGEST_LEN];
  gsize len = sizeof (buf);
  const gchar *p;

  u = g_uri_parse (manifest_uri, G_URI_FLAGS_ENCODED |
      G_URI_FLAGS_SCHEME_NORMALIZE, NULL);
  if (u == NULL)
    return FALSE;
  host = g_ascii_strdown (g_uri_get_host (u) ? g_uri_get_host (u) : "", -1);
  path = clean_path (index, g_uri_get_path (u));
  port = g_uri_get_port (u) > 0 ? g_strdup_printf (":%d",
      g_uri_get_port (u)) : g_strdup ("");
  manifest = g_strdup_printf ("%s://%s%s%s", g_uri_get_scheme (u), host, port,
      path);

  key = g_string_new (NULL);
  for (p = index->swarm_template; *p; p++) {
    if (p[0] == '{' && p[1] == '{') {
      g_string_append_c (key, '{');
      p++;
    } else if (*p == '{') {
      const gchar *end = strchr (p, '}');
      gsize n = end - p - 1;

      /* The template was validated in gst_p2p_stream_index_new(). */
      if (n == 8 && strncmp (p + 1, "manifest", n) == 0)
        g_string_append (key, manifest);
      else if (n == 6 && strncmp (p + 1, "scheme", n) == 0)
        g_string_append (key, g_uri_get_scheme (u));
      else if (n == 4 && strncmp (p + 1, "host", n) == 0)
        g_string_append (key, host);
      else if (n == 4 && strncmp (p + 1, "port", n) == 0)
        g_string_append (key, port);
      else if (n == 4 && strncmp (p + 1, "path", n) == 0)
        g_string_append (key, path);
      else if (n == 9 && strncmp (p + 1, "rendition", n) == 0)
        g_string_append (key, identity);
      p = end;
    } else {
      g_string_append_c (key, *p);
    }
  }

  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) key->str, key->len);
  g_checksum_get_digest (sum, buf, &len);
  g_strlcpy (id, g_checksum_get_string (sum), GST_P2P_STREAM_SWARM_ID_LEN + 1);
  if (digest)
    memcpy (digest, buf, sizeof (buf));
  GST_LOG ("swarm %s <- \"%s\"", id, key->str);

  g_checksum_free (sum);
  g_string_free (key, TRUE);
  g_free (manifest);
  g_free (port);
  g_free (path);
  g_free (host);
  g_uri_unref (u);
  return TRUE;
}

static gboolean
validate_template (const gchar * t, gboolean * has_rendition, GError ** error)
{
  static const gchar *names[] = { "manifest", "scheme", "host", "port",
    "path", "rendition"
  };
  const gchar *p;

  *has_rendition = FALSE;
  for (p = t; *p; p++) {
    const gchar *end;
    guint i;

    if (p[0] == '{' && p[1] == '{') {
      p++;
      continue;
    }
    if (*p != '{')
      continue;
    end = strchr (p, '}');
    if (end == NULL) {
      gst_p2p_stream_set_error (error, GST_P2P_STREAM_ERROR_SYNTAX,
          "swarm template: unterminated {");
      return FALSE;
    }
    for (i = 0; i < G_N_ELEMENTS (names); i++)
      if ((gsize) (end - p - 1) == strlen (names[i]) &&
          strncmp (p + 1, names[i], end - p - 1) == 0)
        break;
    if (i == G_N_ELEMENTS (names)) {
      gst_p2p_stream_set_error (error, GST_P2P_STREAM_ERROR_UNSUPPORTED,
          "swarm template: unknown placeholder");
      return FALSE;
    }
    if (i == 5)
      *has_rendition = TRUE;
    p = end;
  }
  return TRUE;
}

/* ---- life cycle ---- */

static void
variant_free (Variant * v)
{
  g_free (v->manifest);
  g_free (v->identity);
  g_free (v);
}

static void
entry_free (Entry * e)
{
  g_free (e->key);
  g_free (e->uri);
  g_free (e);
}

static void
rendition_free (Rendition * r)
{
  g_free (r->key);
  g_ptr_array_unref (r->inits);
  g_free (r->tmpl.media);
  g_free (r->tmpl.base_uri);
  g_free (r->tmpl.representation_id);
  g_free (r);
}

/**
 * gst_p2p_stream_index_new:
 * @config: (nullable): configuration, NULL for the defaults; strings are
 *   copied
 * @error: a GST_P2P_STREAM_ERROR or G_REGEX_ERROR for a bad template or
 *   pattern
 *
 * Returns: (transfer full) (nullable): a new index.
 */
GstP2pStreamIndex *
gst_p2p_stream_index_new (const GstP2pStreamIndexConfig * config,
    GError ** error)
{
  GstP2pStreamIndex *index;
  GstP2pStreamIndexConfig defaults;
  gboolean has_rendition = TRUE;
  const gchar *t;

  if (config == NULL) {
    gst_p2p_stream_index_config_init (&defaults);
    config = &defaults;
  }
  t = config->swarm_template ? config->swarm_template :
      "{manifest}\n{rendition}";
  if (!validate_template (t, &has_rendition, error))
    return NULL;

  index = g_new0 (GstP2pStreamIndex, 1);
  index->config = *config;
  index->config.swarm_template = NULL;
  index->config.path_token_pattern = NULL;
  index->config.max_renditions = MAX (config->max_renditions, 1);
  index->swarm_template = has_rendition ? g_strdup (t) :
      g_strconcat (t, "\n{rendition}", NULL);
  if (config->path_token_pattern) {
    gchar *anchored = g_strdup_printf ("^(?:%s)$",
        config->path_token_pattern);

    index->token_regex = g_regex_new (anchored, G_REGEX_OPTIMIZE, 0, error);
    g_free (anchored);
    if (index->token_regex == NULL) {
      g_free (index->swarm_template);
      g_free (index);
      return NULL;
    }
  }
  index->entries = g_hash_table_new (g_str_hash, g_str_equal);
  index->renditions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) rendition_free);
  index->variants = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) variant_free);
  index->forbidden = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  return index;
}

static void
remove_entry (GstP2pStreamIndex * index, Entry * e)
{
  Rendition *r = e->rendition;

  g_hash_table_remove (index->entries, e->key);
  if (e->init) {
    g_ptr_array_remove_fast (r->inits, e);
  } else {
    g_queue_unlink (&r->entries, &e->link);
    index->n_entries--;
  }
  entry_free (e);
}

static void
drop_rendition (GstP2pStreamIndex * index, Rendition * r)
{
  GList *l;

  while ((l = g_queue_peek_head_link (&r->entries)) != NULL) {
    remove_entry (index, l->data);
    index->stats.evicted++;
  }
  while (r->inits->len > 0)
    remove_entry (index, g_ptr_array_index (r->inits, 0));
  g_hash_table_remove (index->renditions, r->key);
}

/**
 * gst_p2p_stream_index_free:
 * @index: (nullable): an index
 */
void
gst_p2p_stream_index_free (GstP2pStreamIndex * index)
{
  GHashTableIter it;
  gpointer r;

  if (index == NULL)
    return;
  g_hash_table_iter_init (&it, index->renditions);
  while (g_hash_table_iter_next (&it, NULL, &r)) {
    Rendition *rd = r;
    GList *l;

    while ((l = g_queue_pop_head_link (&rd->entries)) != NULL)
      entry_free (l->data);
    g_ptr_array_set_free_func (rd->inits, (GDestroyNotify) entry_free);
  }
  g_hash_table_unref (index->renditions);
  g_hash_table_unref (index->entries);
  g_hash_table_unref (index->variants);
  g_hash_table_unref (index->forbidden);
  if (index->token_regex)
    g_regex_unref (index->token_regex);
  g_free (index->swarm_template);
  g_free (index);
}

/* ---- renditions and entries ---- */

static void
forbid (GstP2pStreamIndex * index, const gchar * uri, GstP2pStreamUriKind kind)
{
  if (uri == NULL)
    return;
  /* Bounded: forgetting is safe, the next refresh lists them again, and
   * p2phttpsrc classifies keys and playlists by position anyway. */
  if (g_hash_table_size (index->forbidden) >= MAX_FORBIDDEN)
    g_hash_table_remove_all (index->forbidden);
  g_hash_table_replace (index->forbidden, normalise (uri, FALSE),
      GINT_TO_POINTER (kind));
}

static Rendition *
get_rendition (GstP2pStreamIndex * index, const gchar * manifest,
    const gchar * identity, const gchar * playlist)
{
  /* The manifest is part of the key: a media playlist first played on its
   * own and later announced by a master playlist changes swarm. */
  gchar *m = normalise (manifest, FALSE);
  gchar *key = g_strdup_printf ("%s\n%s\n%s", playlist, m, identity);
  Rendition *r = g_hash_table_lookup (index->renditions, key);

  g_free (m);

  if (r != NULL) {
    g_free (key);
    return r;
  }
  while (g_hash_table_size (index->renditions) >= index->config.max_renditions) {
    GHashTableIter it;
    gpointer v;
    Rendition *oldest = NULL;

    g_hash_table_iter_init (&it, index->renditions);
    while (g_hash_table_iter_next (&it, NULL, &v))
      if (oldest == NULL || ((Rendition *) v)->updated < oldest->updated)
        oldest = v;
    GST_DEBUG ("evicting rendition %s", oldest->swarm_id);
    drop_rendition (index, oldest);
  }
  r = g_new0 (Rendition, 1);
  r->key = key;
  r->inits = g_ptr_array_new ();
  g_queue_init (&r->entries);
  if (!gst_p2p_stream_index_swarm_id (index, manifest, identity, r->swarm_id,
          r->digest))
    gst_p2p_stream_index_swarm_id (index, "invalid:", identity, r->swarm_id,
        r->digest);
  g_hash_table_insert (index->renditions, r->key, r);
  GST_INFO ("rendition %s: manifest %s, identity \"%s\"", r->swarm_id,
      manifest, identity);
  return r;
}

static void
add_init (GstP2pStreamIndex * index, Rendition * r, const gchar * uri,
    const GstP2pStreamRange * range)
{
  gchar *key;
  Entry *e;

  if (uri == NULL)
    return;
  key = entry_key (uri, range, FALSE);
  e = g_hash_table_lookup (index->entries, key);
  if (e != NULL) {
    g_free (key);
    return;
  }
  if (r->inits->len >= MAX_INITS_PER_RENDITION)
    remove_entry (index, g_ptr_array_index (r->inits, 0));
  e = g_new0 (Entry, 1);
  e->key = key;
  e->uri = g_strdup (uri);
  e->rendition = r;
  e->init = TRUE;
  if (range)
    e->range = *range;
  g_ptr_array_add (r->inits, e);
  g_hash_table_insert (index->entries, e->key, e);
}

/* Inserts @e into @r's queue in id order; new ones normally go last. */
static void
queue_insert (Rendition * r, Entry * e)
{
  GList *l = g_queue_peek_tail_link (&r->entries);

  while (l != NULL && ((Entry *) l->data)->id > e->id)
    l = l->prev;
  if (l == NULL)
    g_queue_push_head_link (&r->entries, &e->link);
  else
    g_queue_insert_after_link (&r->entries, l, &e->link);
}

/* Merges a playlist's segments (in order) into @r, then evicts. */
static void
update_rendition (GstP2pStreamIndex * index, Rendition * r, NewSeg * segs,
    guint n, gboolean live, GstClockTime typical, gint64 now)
{
  GHashTable *seen;
  gboolean keep_query = FALSE;
  guint i, kept = 0;
  GList *l;

  /* If stripping queries would merge two segments, this rendition's URIs
   * differ only by their query (seg.php?n=1): keep the query. */
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (i = 0; i < n && !keep_query; i++) {
    gchar *k = entry_key (segs[i].uri, &segs[i].range, FALSE);

    if (!g_hash_table_add (seen, k))
      keep_query = TRUE;
  }
  g_hash_table_unref (seen);
  if (keep_query != r->keep_query) {
    while ((l = g_queue_peek_head_link (&r->entries)) != NULL)
      remove_entry (index, l->data);
    r->keep_query = keep_query;
  }

  for (i = 0; i < n; i++) {
    gchar *key = entry_key (segs[i].uri, &segs[i].range, r->keep_query);
    Entry *e = g_hash_table_lookup (index->entries, key);

    if (e != NULL && (e->rendition != r || e->init || e->id != segs[i].id)) {
      remove_entry (index, e);
      e = NULL;
    }
    if (e == NULL) {
      e = g_new0 (Entry, 1);
      e->link.data = e;
      e->key = key;
      e->uri = g_strdup (segs[i].uri);
      e->rendition = r;
      e->id = segs[i].id;
      e->range = segs[i].range;
      g_hash_table_insert (index->entries, e->key, e);
      queue_insert (r, e);
      index->n_entries++;
    } else {
      g_free (key);
    }
    e->duration = segs[i].duration;
    e->start = segs[i].start;
  }

  r->live = live;
  r->updated = now;
  if (typical > 0)
    r->typical = typical;
  if (n > 0) {
    r->last_id = segs[n - 1].id;
    r->edge = segs[n - 1].start + segs[n - 1].duration;

    /* Keep the window and a margin behind it. */
    for (l = g_queue_peek_tail_link (&r->entries); l; l = l->prev) {
      if (((Entry *) l->data)->id < segs[0].id)
        kept++;
    }
    while (kept > index->config.window_margin) {
      remove_entry (index, g_queue_peek_head (&r->entries));
      index->stats.evicted++;
      kept--;
    }
  }

  /* And the total. */
  while (index->n_entries > index->config.max_entries) {
    GHashTableIter it;
    gpointer v;
    Rendition *oldest = NULL;

    g_hash_table_iter_init (&it, index->renditions);
    while (g_hash_table_iter_next (&it, NULL, &v))
      if (v != r && (oldest == NULL ||
              ((Rendition *) v)->updated < oldest->updated))
        oldest = v;
    if (oldest != NULL) {
      drop_rendition (index, oldest);
    } else {
      remove_entry (index, g_queue_peek_head (&r->entries));
      index->stats.evicted++;
    }
  }
}

/* ---- HLS ---- */

static gchar *
hls_variant_identity (GstP2pStreamIndex * index,
    const GstP2pHlsVariant * v, const GstP2pHlsRendition * rd)
{
  gchar *path, *id;
  GUri *u;

  if (index->config.hls_identity_attributes) {
    if (v)
      return g_strdup_printf ("hls:BANDWIDTH=%" G_GUINT64_FORMAT
          ",RESOLUTION=%ux%u,CODECS=%s%s", v->bandwidth, v->width, v->height,
          v->codecs ? v->codecs : "", v->iframes_only ? ",IFRAMES" : "");
    return g_strdup_printf ("hls:TYPE=%d,GROUP-ID=%s,NAME=%s,LANGUAGE=%s",
        rd->type, rd->group_id, rd->name, rd->language ? rd->language : "");
  }
  u = g_uri_parse (v ? v->uri : rd->uri, G_URI_FLAGS_ENCODED, NULL);
  if (u == NULL)
    return g_strdup ("hls:");
  path = clean_path (index, g_uri_get_path (u));
  id = g_strdup_printf ("hls:%s", path);
  g_free (path);
  g_uri_unref (u);
  return id;
}

static void
add_variant (GstP2pStreamIndex * index, const gchar * manifest,
    const gchar * playlist_uri, gchar * identity)
{
  Variant *v;

  if (g_hash_table_size (index->variants) >= MAX_VARIANTS)
    g_hash_table_remove_all (index->variants);
  v = g_new0 (Variant, 1);
  v->manifest = g_strdup (manifest);
  v->identity = identity;
  g_hash_table_replace (index->variants, normalise (playlist_uri, FALSE), v);
  forbid (index, playlist_uri, GST_P2P_STREAM_URI_MANIFEST);
}

static void
add_hls_master (GstP2pStreamIndex * index, const gchar * uri,
    GstP2pHlsPlaylist * pl)
{
  guint i;

  for (i = 0; i < pl->variants->len; i++) {
    GstP2pHlsVariant *v = &g_array_index (pl->variants, GstP2pHlsVariant, i);

    add_variant (index, uri, v->uri, hls_variant_identity (index, v, NULL));
  }
  for (i = 0; i < pl->renditions->len; i++) {
    GstP2pHlsRendition *r = &g_array_index (pl->renditions,
        GstP2pHlsRendition, i);

    if (r->uri)
      add_variant (index, uri, r->uri, hls_variant_identity (index, NULL, r));
  }
}

static void
add_hls_media (GstP2pStreamIndex * index, const gchar * uri,
    GstP2pHlsPlaylist * pl, gint64 now)
{
  gchar *norm = normalise (uri, FALSE);
  Variant *v = g_hash_table_lookup (index->variants, norm);
  gchar *identity = NULL;
  Rendition *r;
  NewSeg *segs;
  GstClockTime offset = 0;
  gboolean anchored = FALSE;
  guint i, n = 0;

  if (v == NULL) {
    /* A media playlist played directly: it is its own manifest. */
    GUri *u = g_uri_parse (uri, G_URI_FLAGS_ENCODED, NULL);
    gchar *path = u ? clean_path (index, g_uri_get_path (u)) : g_strdup ("");

    identity = g_strdup_printf ("hls:%s", path);
    g_free (path);
    if (u)
      g_uri_unref (u);
  }
  r = get_rendition (index, v ? v->manifest : uri,
      v ? v->identity : identity, norm);

  /* HLS times are relative to the playlist: anchor them to what the
   * rendition already knows, so starts stay comparable across reloads. */
  for (i = 0; i < pl->segments->len && !anchored; i++) {
    GstP2pHlsSegment *s = &g_array_index (pl->segments, GstP2pHlsSegment, i);
    gchar *key = entry_key (s->uri, &s->range, r->keep_query);
    Entry *e = g_hash_table_lookup (index->entries, key);

    g_free (key);
    if (e && e->rendition == r && e->id == s->sequence) {
      offset = e->start - MIN (e->start, s->start);
      anchored = TRUE;
    }
  }
  if (!anchored && r->entries.length > 0 && pl->segments->len > 0) {
    GstP2pHlsSegment *s0 = &g_array_index (pl->segments, GstP2pHlsSegment, 0);

    if (s0->sequence > r->last_id)
      offset = r->edge + (s0->sequence - r->last_id - 1) *
          MIN (pl->target_duration, GST_SECOND * 3600);
  }

  segs = g_new0 (NewSeg, pl->segments->len + 1);
  for (i = 0; i < pl->segments->len; i++) {
    GstP2pHlsSegment *s = &g_array_index (pl->segments, GstP2pHlsSegment, i);

    if (s->key_uri)
      forbid (index, s->key_uri, GST_P2P_STREAM_URI_KEY);
    if (s->init_uri)
      add_init (index, r, s->init_uri, &s->init_range);
    if (s->gap)
      continue;
    segs[n].uri = s->uri;
    segs[n].range = s->range;
    segs[n].id = s->sequence;
    segs[n].duration = s->duration;
    segs[n].start = offset + s->start;
    n++;
  }
  for (i = 0; i < pl->key_uris->len; i++)
    forbid (index, g_ptr_array_index (pl->key_uris, i), GST_P2P_STREAM_URI_KEY);
  update_rendition (index, r, segs, n, !pl->endlist, pl->target_duration, now);
  g_free (segs);
  g_free (identity);
  g_free (norm);
}

/* ---- DASH ---- */

static void
add_dash_representation (GstP2pStreamIndex * index, const gchar * uri,
    const gchar * norm, GstP2pDashMpd * mpd, GstP2pDashPeriod * p,
    GstP2pDashAdaptationSet * as, GstP2pDashRepresentation * rep, gint64 now)
{
  gchar *identity, *pid;
  Rendition *r;
  NewSeg *segs;
  guint i;

  pid = p->id ? g_strdup (p->id) : g_strdup_printf ("@%" G_GUINT64_FORMAT,
      p->start);
  identity = g_strdup_printf ("dash:period=%s;set=%s;rep=%s;bandwidth=%"
      G_GUINT64_FORMAT, pid, as->id ? as->id : "", rep->id, rep->bandwidth);
  r = get_rendition (index, uri, identity, norm);
  add_init (index, r, rep->init_uri, &rep->init_range);

  segs = g_new0 (NewSeg, rep->segments->len + 1);
  for (i = 0; i < rep->segments->len; i++) {
    GstP2pDashSegment *s = &g_array_index (rep->segments, GstP2pDashSegment,
        i);

    segs[i].uri = s->uri;
    segs[i].range = s->range;
    segs[i].id = s->id;
    segs[i].duration = s->duration_ns;
    segs[i].start = s->start;
  }
  update_rendition (index, r, segs, rep->segments->len, mpd->dynamic,
      rep->segments->len ? segs[0].duration : 0, now);
  g_free (segs);

  /* A live template without timeline is listed again at lookup time. */
  g_free (r->tmpl.media);
  g_free (r->tmpl.base_uri);
  g_free (r->tmpl.representation_id);
  memset (&r->tmpl, 0, sizeof (r->tmpl));
  r->has_template = mpd->dynamic &&
      rep->addressing == GST_P2P_DASH_ADDRESSING_TEMPLATE &&
      rep->tmpl.media != NULL;
  if (r->has_template) {
    r->tmpl = rep->tmpl;
    r->tmpl.media = g_strdup (rep->tmpl.media);
    r->tmpl.base_uri = g_strdup (rep->tmpl.base_uri);
    r->tmpl.representation_id = g_strdup (rep->tmpl.representation_id);
    r->template_window = MAX (rep->segments->len, 1);
  }
  g_free (identity);
  g_free (pid);
}

static void
add_dash (GstP2pStreamIndex * index, const gchar * uri, GstP2pDashMpd * mpd,
    gint64 now)
{
  gchar *norm = normalise (uri, FALSE);
  guint i, j, k;

  for (i = 0; i < mpd->licence_uris->len; i++)
    forbid (index, g_ptr_array_index (mpd->licence_uris, i),
        GST_P2P_STREAM_URI_LICENCE);
  for (i = 0; i < mpd->periods->len; i++) {
    GstP2pDashPeriod *p = &g_array_index (mpd->periods, GstP2pDashPeriod, i);

    for (j = 0; j < p->adaptation_sets->len; j++) {
      GstP2pDashAdaptationSet *as = &g_array_index (p->adaptation_sets,
          GstP2pDashAdaptationSet, j);

      for (k = 0; k < as->representations->len; k++)
        add_dash_representation (index, uri, norm, mpd, p, as,
            &g_array_index (as->representations, GstP2pDashRepresentation,
                k), now);
    }
  }
  g_free (norm);
}

/* Lists live templates again when at least a segment has been published
 * since they were last listed. Updating may evict other renditions, so the
 * due ones are collected by key first. */
static void
refresh_templates (GstP2pStreamIndex * index, gint64 now)
{
  GHashTableIter it;
  gpointer v;
  GPtrArray *due = NULL;
  guint d;

  g_hash_table_iter_init (&it, index->renditions);
  while (g_hash_table_iter_next (&it, NULL, &v)) {
    Rendition *r = v;

    if (!r->has_template || r->typical == 0 || now <= r->updated ||
        (guint64) (now - r->updated) * 1000 < r->typical)
      continue;
    if (due == NULL)
      due = g_ptr_array_new_with_free_func (g_free);
    g_ptr_array_add (due, g_strdup (r->key));
  }
  for (d = 0; due != NULL && d < due->len; d++) {
    Rendition *r = g_hash_table_lookup (index->renditions,
        g_ptr_array_index (due, d));
    GArray *segs;
    NewSeg *ns;
    guint i;

    if (r == NULL)
      continue;
    segs = g_array_new (FALSE, TRUE, sizeof (GstP2pDashSegment));
    g_array_set_clear_func (segs, (GDestroyNotify) gst_p2p_dash_segment_clear);
    if (gst_p2p_dash_template_generate (&r->tmpl, now,
            MIN (r->template_window, index->config.limits.max_segments), segs,
            NULL)) {
      ns = g_new0 (NewSeg, segs->len + 1);
      for (i = 0; i < segs->len; i++) {
        GstP2pDashSegment *s = &g_array_index (segs, GstP2pDashSegment, i);

        ns[i].uri = s->uri;
        ns[i].id = s->id;
        ns[i].duration = s->duration_ns;
        ns[i].start = s->start;
      }
      update_rendition (index, r, ns, segs->len, TRUE, r->typical, now);
      g_free (ns);
    }
    g_array_unref (segs);
  }
  if (due)
    g_ptr_array_unref (due);
}

/**
 * gst_p2p_stream_index_add_manifest:
 * @index: the index
 * @uri: the URI that was requested (its identity: swarm ids and playlist
 *   matching use it)
 * @final_uri: (nullable): the URI after redirects (the base for relative
 *   URIs), NULL if the same
 * @data: (array length=size): the complete body
 * @size: its size
 * @now: the fetch time, microseconds since the epoch
 * @error: a GST_P2P_STREAM_ERROR on failure
 *
 * Parses a master or media playlist or an MPD and updates the index. A
 * rejected body changes nothing but the statistics.
 *
 * Returns: TRUE if @data was parsed.
 */
gboolean
gst_p2p_stream_index_add_manifest (GstP2pStreamIndex * index,
    const gchar * uri, const gchar * final_uri, const gchar * data,
    gsize size, gint64 now, GError ** error)
{
  GError *err = NULL;
  const gchar *base = final_uri ? final_uri : uri;

  g_return_val_if_fail (index != NULL && uri != NULL, FALSE);

  forbid (index, uri, GST_P2P_STREAM_URI_MANIFEST);
  if (final_uri)
    forbid (index, final_uri, GST_P2P_STREAM_URI_MANIFEST);

  if (gst_p2p_hls_playlist_detect (data, size)) {
    GstP2pHlsPlaylist *pl = gst_p2p_hls_playlist_parse (data, size, base,
        &index->config.limits, &err);

    if (pl != NULL) {
      if (pl->kind == GST_P2P_HLS_PLAYLIST_MASTER) {
        add_hls_master (index, uri, pl);
        for (guint i = 0; i < pl->key_uris->len; i++)
          forbid (index, g_ptr_array_index (pl->key_uris, i),
              GST_P2P_STREAM_URI_KEY);
      } else {
        add_hls_media (index, uri, pl, now);
      }
      gst_p2p_hls_playlist_free (pl);
    }
  } else if (gst_p2p_dash_mpd_detect (data, size)) {
    GstP2pDashMpd *mpd = gst_p2p_dash_mpd_parse (data, size, base, now,
        &index->config.limits, &err);

    if (mpd != NULL) {
      add_dash (index, uri, mpd, now);
      gst_p2p_dash_mpd_free (mpd);
    }
  } else {
    gst_p2p_stream_set_error (&err, GST_P2P_STREAM_ERROR_SYNTAX,
        "neither an HLS playlist nor a DASH MPD");
  }

  if (err != NULL) {
    if (err->domain == GST_P2P_STREAM_ERROR && err->code >= 0
        && err->code < GST_P2P_STREAM_ERROR_N)
      index->stats.rejected[err->code]++;
    GST_WARNING ("rejected %s: %s", uri, err->message);
    g_propagate_error (error, err);
    return FALSE;
  }
  index->stats.manifests++;
  return TRUE;
}

/* ---- lookups ---- */

static Entry *
find_entry (GstP2pStreamIndex * index, const gchar * uri,
    const GstP2pStreamRange * range)
{
  gchar *key = entry_key (uri, range, FALSE);
  Entry *e = g_hash_table_lookup (index->entries, key);

  g_free (key);
  if (e != NULL && !e->rendition->keep_query)
    return e;
  key = entry_key (uri, range, TRUE);
  e = g_hash_table_lookup (index->entries, key);
  g_free (key);
  return e;
}

static void
fill_info (Entry * e, gint64 now, GstP2pStreamSegmentInfo * info)
{
  Rendition *r = e->rendition;
  GstClockTime edge = r->edge, end = e->start + e->duration;
  guint64 after = 0;
  GList *l;

  info->uri = g_strdup (e->uri);
  memcpy (info->swarm_id, r->swarm_id, sizeof (info->swarm_id));
  memcpy (info->swarm_digest, r->digest, sizeof (info->swarm_digest));
  info->segment_id = e->id;
  info->range = e->range;
  info->duration = e->duration;
  info->start = e->start;
  info->live = r->live;
  for (l = e->link.next; l; l = l->next)
    if (((Entry *) l->data)->id <= r->last_id)
      after++;
  if (r->live && now > r->updated) {
    GstClockTime since = (guint64) (now - r->updated) * 1000;

    edge += since;
    if (r->typical > 0)
      after += since / r->typical;
  }
  info->edge_segments = after;
  info->edge_distance = edge > end ? edge - end : 0;
}

/**
 * gst_p2p_stream_index_lookup:
 * @index: the index
 * @uri: the URI a fragment request is for
 * @range: (nullable): its byte range, NULL or unset for the whole resource
 * @now: microseconds since the epoch
 * @info: (out caller-allocates) (optional): filled for
 *   %GST_P2P_STREAM_URI_SEGMENT (clear it afterwards)
 *
 * Returns: what @uri is: a segment (with @info), an init segment, one of
 * the URIs that never go to peers, or unknown.
 */
GstP2pStreamUriKind
gst_p2p_stream_index_lookup (GstP2pStreamIndex * index, const gchar * uri,
    const GstP2pStreamRange * range, gint64 now, GstP2pStreamSegmentInfo * info)
{
  Entry *e;
  gchar *norm;
  gpointer kind;

  g_return_val_if_fail (index != NULL && uri != NULL,
      GST_P2P_STREAM_URI_UNKNOWN);
  if (info)
    memset (info, 0, sizeof (*info));
  index->stats.lookups++;

  e = find_entry (index, uri, range);
  if (e == NULL) {
    refresh_templates (index, now);
    e = find_entry (index, uri, range);
  }
  if (e != NULL) {
    index->stats.hits++;
    if (e->init)
      return GST_P2P_STREAM_URI_INIT;
    if (info)
      fill_info (e, now, info);
    GST_LOG ("%s: swarm %s segment %" G_GUINT64_FORMAT, uri,
        e->rendition->swarm_id, e->id);
    return GST_P2P_STREAM_URI_SEGMENT;
  }
  norm = normalise (uri, FALSE);
  if (g_hash_table_lookup_extended (index->forbidden, norm, NULL, &kind)) {
    g_free (norm);
    return GPOINTER_TO_INT (kind);
  }
  g_free (norm);
  GST_LOG ("%s: unknown", uri);
  return GST_P2P_STREAM_URI_UNKNOWN;
}

/**
 * gst_p2p_stream_index_next_segments:
 * @index: the index
 * @uri: a segment's URI
 * @range: (nullable): its byte range
 * @now: microseconds since the epoch
 * @max: size of @infos
 * @infos: (out caller-allocates) (array length=max): filled with the
 *   segments that follow it in its rendition, in order (clear each)
 *
 * Returns: the number of @infos filled.
 */
guint
gst_p2p_stream_index_next_segments (GstP2pStreamIndex * index,
    const gchar * uri, const GstP2pStreamRange * range, gint64 now,
    guint max, GstP2pStreamSegmentInfo * infos)
{
  Entry *e;
  GList *l;
  guint n = 0;

  g_return_val_if_fail (index != NULL && uri != NULL, 0);
  refresh_templates (index, now);
  e = find_entry (index, uri, range);
  if (e == NULL || e->init)
    return 0;
  for (l = e->link.next; l && n < max; l = l->next) {
    memset (&infos[n], 0, sizeof (infos[n]));
    fill_info (l->data, now, &infos[n]);
    n++;
  }
  return n;
}

/**
 * gst_p2p_stream_index_is_forbidden:
 * @index: the index
 * @uri: a URI
 *
 * Returns: TRUE if @uri is a key, licence, manifest or playlist URI the
 * index has seen: such a URI must never be exchanged with peers.
 */
gboolean
gst_p2p_stream_index_is_forbidden (GstP2pStreamIndex * index, const gchar * uri)
{
  gchar *norm;
  gboolean found;

  g_return_val_if_fail (index != NULL && uri != NULL, TRUE);
  norm = normalise (uri, FALSE);
  found = g_hash_table_contains (index->forbidden, norm);
  g_free (norm);
  return found;
}

/**
 * gst_p2p_stream_index_get_stats:
 * @index: the index
 * @stats: (out caller-allocates): its counters
 */
void
gst_p2p_stream_index_get_stats (GstP2pStreamIndex * index,
    GstP2pStreamIndexStats * stats)
{
  g_return_if_fail (index != NULL && stats != NULL);
  *stats = index->stats;
  stats->renditions = g_hash_table_size (index->renditions);
  stats->entries = index->n_entries;
}
