/* HLS playlist parser (RFC 8216). See gstp2phlsplaylist.h.
 *
 * One pass over the lines, with the state RFC 8216 says carries from tag to
 * URI line (EXTINF, EXT-X-BYTERANGE, EXT-X-DISCONTINUITY, ...) or to every
 * later segment (EXT-X-KEY, EXT-X-MAP). Key and init URIs are GRefStrings
 * shared by all the segments they apply to: a 4 MiB playlist of 100 000
 * segments under one long key URI must not cost 100 000 copies.
 *
 * Threads: no shared state besides the debug category.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "stream/gstp2phlsplaylist.h"
#include "stream/gstp2pstreamparse.h"

#define GST_CAT_DEFAULT GST_CAT_STREAM

#define MAX_ATTRS 32

/* Longer segments or target durations are nonsense, and capping them keeps
 * every sum of durations far from overflowing. */
#define MAX_DURATION (24 * 3600 * GST_SECOND)

typedef struct
{
  const gchar *name;
  const gchar *value;
  gboolean quoted;
} Attr;

typedef struct
{
  const GstP2pStreamLimits *limits;
  GstP2pStreamBudget budget;
  GUri *base;
  GstP2pHlsPlaylist *pl;
  guint line_no;
  GHashTable *key_set;

  /* Applies to the next URI line only. */
  gboolean have_extinf;
  GstClockTime extinf;
  gboolean have_range;
  gboolean range_has_offset;
  guint64 range_length;
  guint64 range_offset;
  gboolean discontinuity;
  gboolean gap;
  gint64 pdt;
  gboolean have_stream_inf;
  GstP2pHlsVariant stream_inf;

  /* In force until replaced. */
  GstP2pHlsKeyMethod key_method;
  gchar *key_uri;
  gchar *key_format;
  guint8 key_iv[16];
  gboolean key_iv_explicit;
  gchar *init_uri;
  GstP2pStreamRange init_range;
  guint64 disc_seq;
  GstClockTime position;
  gint64 next_pdt;
  GstClockTime longest;
  gboolean tags_master;
  gboolean tags_media;
  gboolean have_target;
} Ctx;

static void
variant_clear (GstP2pHlsVariant * v)
{
  g_free (v->uri);
  g_free (v->codecs);
  g_free (v->audio);
  g_free (v->video);
  g_free (v->subtitles);
  memset (v, 0, sizeof (*v));
}

static void
rendition_clear (GstP2pHlsRendition * r)
{
  g_free (r->group_id);
  g_free (r->name);
  g_free (r->language);
  g_free (r->uri);
}

static void
segment_clear (GstP2pHlsSegment * s)
{
  g_free (s->uri);
  if (s->key_uri)
    g_ref_string_release (s->key_uri);
  if (s->key_format)
    g_ref_string_release (s->key_format);
  if (s->init_uri)
    g_ref_string_release (s->init_uri);
}

/**
 * gst_p2p_hls_playlist_free:
 * @playlist: (nullable): a playlist from gst_p2p_hls_playlist_parse()
 */
void
gst_p2p_hls_playlist_free (GstP2pHlsPlaylist * playlist)
{
  if (playlist == NULL)
    return;
  g_free (playlist->uri);
  g_array_unref (playlist->variants);
  g_array_unref (playlist->renditions);
  g_array_unref (playlist->segments);
  g_ptr_array_unref (playlist->key_uris);
  g_free (playlist);
}

static gboolean
fail (Ctx * ctx, GError ** error, GstP2pStreamError code, const gchar * what)
{
  gst_p2p_stream_set_error (error, code, "HLS line %u: %s", ctx->line_no, what);
  return FALSE;
}

static gchar *
ctx_strdup (Ctx * ctx, const gchar * s, GError ** error)
{
  gsize n;

  if (s == NULL)
    return NULL;
  n = strlen (s) + 1;
  if (!gst_p2p_stream_budget_take (&ctx->budget, n, error))
    return NULL;
  return g_strndup (s, n);
}

/* An absolute URI for @ref, charged to the budget. */
static gchar *
ctx_resolve (Ctx * ctx, const gchar * ref, GError ** error)
{
  gchar *abs = gst_p2p_stream_resolve_uri (ctx->base, ref);

  if (abs == NULL) {
    fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_URI, "unresolvable URI");
    return NULL;
  }
  if (!gst_p2p_stream_budget_take (&ctx->budget, strlen (abs) + 1, error)) {
    g_free (abs);
    return NULL;
  }
  return abs;
}

/* Splits an attribute list in place: NAME=value,NAME="quoted",... */
static gboolean
parse_attrs (Ctx * ctx, gchar * s, Attr * attrs, guint * n_attrs,
    GError ** error)
{
  guint n = 0;

  while (*s == ' ' || *s == '\t')
    s++;
  while (*s != '\0') {
    gchar *name = s, *value;
    gboolean quoted = FALSE;

    while (g_ascii_isalnum (*s) || *s == '-')
      s++;
    if (s == name || *s != '=')
      return fail (ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
          "malformed attribute list");
    *s++ = '\0';
    if (*s == '"') {
      value = ++s;
      while (*s != '\0' && *s != '"')
        s++;
      if (*s != '"')
        return fail (ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
            "unterminated quoted string");
      *s++ = '\0';
      quoted = TRUE;
    } else {
      value = s;
      while (*s != '\0' && *s != ',')
        s++;
    }
    while (*s == ' ' || *s == '\t')
      *s++ = '\0';
    if (*s == ',')
      *s++ = '\0';
    else if (*s != '\0')
      return fail (ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
          "garbage after attribute value");
    while (*s == ' ' || *s == '\t')
      s++;
    if (n == MAX_ATTRS)
      return fail (ctx, error, GST_P2P_STREAM_ERROR_TOO_MANY,
          "too many attributes");
    attrs[n].name = name;
    attrs[n].value = value;
    attrs[n].quoted = quoted;
    n++;
  }
  *n_attrs = n;
  return TRUE;
}

static const Attr *
find_attr (const Attr * attrs, guint n, const gchar * name)
{
  guint i;

  for (i = 0; i < n; i++)
    if (strcmp (attrs[i].name, name) == 0)
      return &attrs[i];
  return NULL;
}

static gboolean
attr_uint64 (Ctx * ctx, const Attr * a, guint64 * out, GError ** error)
{
  if (a->quoted || !gst_p2p_stream_parse_uint64 (a->value, strlen (a->value),
          out)) {
    gchar *msg = g_strdup_printf ("bad integer in %s", a->name);

    fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE, msg);
    g_free (msg);
    return FALSE;
  }
  return TRUE;
}

/* "length[@offset]" */
static gboolean
parse_byterange (Ctx * ctx, const gchar * s, guint64 * length,
    gboolean * has_offset, guint64 * offset, GError ** error)
{
  const gchar *at = strchr (s, '@');
  gsize len_len = at ? (gsize) (at - s) : strlen (s);
  guint64 end;

  if (!gst_p2p_stream_parse_uint64 (s, len_len, length) || *length == 0)
    return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
        "bad byte range length");
  *has_offset = at != NULL;
  *offset = 0;
  if (at && !gst_p2p_stream_parse_uint64 (at + 1, strlen (at + 1), offset))
    return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
        "bad byte range offset");
  if (!g_uint64_checked_add (&end, *offset, *length))
    return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
        "byte range overflows");
  return TRUE;
}

static gboolean
attr_string (Ctx * ctx, const Attr * attrs, guint n, const gchar * name,
    gchar ** out, GError ** error)
{
  const Attr *a = find_attr (attrs, n, name);

  *out = NULL;
  if (a == NULL)
    return TRUE;
  *out = ctx_strdup (ctx, a->value, error);
  return *out != NULL;
}

static gboolean
attr_yes (const Attr * attrs, guint n, const gchar * name)
{
  const Attr *a = find_attr (attrs, n, name);

  return a != NULL && strcmp (a->value, "YES") == 0;
}

static gboolean
add_key_uri (Ctx * ctx, const gchar * uri, GError ** error)
{
  gchar *copy;

  if (g_hash_table_contains (ctx->key_set, uri))
    return TRUE;
  if (ctx->pl->key_uris->len >= ctx->limits->max_items)
    return fail (ctx, error, GST_P2P_STREAM_ERROR_TOO_MANY, "too many keys");
  copy = ctx_strdup (ctx, uri, error);
  if (copy == NULL)
    return FALSE;
  g_ptr_array_add (ctx->pl->key_uris, copy);
  g_hash_table_add (ctx->key_set, copy);
  return TRUE;
}

static gboolean
parse_hex_iv (const gchar * s, guint8 iv[16])
{
  gsize len, i;

  if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    return FALSE;
  s += 2;
  len = strlen (s);
  if (len == 0 || len > 32)
    return FALSE;
  memset (iv, 0, 16);
  /* Right-aligned: "0x1" is the integer 1. */
  for (i = 0; i < len; i++) {
    gint d = g_ascii_xdigit_value (s[len - 1 - i]);

    if (d < 0)
      return FALSE;
    iv[15 - i / 2] |= (i % 2) ? d << 4 : d;
  }
  return TRUE;
}

static gboolean
handle_key (Ctx * ctx, Attr * attrs, guint n, gboolean session, GError ** error)
{
  const Attr *method = find_attr (attrs, n, "METHOD");
  const Attr *uri = find_attr (attrs, n, "URI");
  const Attr *iv = find_attr (attrs, n, "IV");
  const Attr *format = find_attr (attrs, n, "KEYFORMAT");
  GstP2pHlsKeyMethod m;
  gchar *abs = NULL;

  if (method == NULL)
    return fail (ctx, error, GST_P2P_STREAM_ERROR_MISSING,
        "EXT-X-KEY without METHOD");
  if (strcmp (method->value, "NONE") == 0)
    m = GST_P2P_HLS_KEY_NONE;
  else if (strcmp (method->value, "AES-128") == 0)
    m = GST_P2P_HLS_KEY_AES_128;
  else if (strcmp (method->value, "SAMPLE-AES") == 0)
    m = GST_P2P_HLS_KEY_SAMPLE_AES;
  else if (strcmp (method->value, "SAMPLE-AES-CTR") == 0)
    m = GST_P2P_HLS_KEY_SAMPLE_AES_CTR;
  else
    m = GST_P2P_HLS_KEY_OTHER;

  if (m != GST_P2P_HLS_KEY_NONE) {
    if (uri == NULL || !uri->quoted)
      return fail (ctx, error, GST_P2P_STREAM_ERROR_MISSING,
          "EXT-X-KEY without a quoted URI");
    abs = ctx_resolve (ctx, uri->value, error);
    if (abs == NULL || !add_key_uri (ctx, abs, error)) {
      g_free (abs);
      return FALSE;
    }
  }
  if (session) {
    g_free (abs);
    return TRUE;
  }

  /* Several keys with different KEYFORMATs may be in force at once; the
   * segment records the identity one if there is one. Every URI is in
   * key_uris either way. */
  if (m != GST_P2P_HLS_KEY_NONE && ctx->key_method != GST_P2P_HLS_KEY_NONE
      && format != NULL && strcmp (format->value, "identity") != 0
      && (ctx->key_format == NULL
          || strcmp (ctx->key_format, "identity") == 0)) {
    g_free (abs);
    return TRUE;
  }

  if (ctx->key_uri)
    g_ref_string_release (ctx->key_uri);
  if (ctx->key_format)
    g_ref_string_release (ctx->key_format);
  ctx->key_uri = abs ? g_ref_string_new (abs) : NULL;
  ctx->key_format = (m != GST_P2P_HLS_KEY_NONE && format) ?
      g_ref_string_new (format->value) : NULL;
  g_free (abs);
  ctx->key_method = m;
  ctx->key_iv_explicit = FALSE;
  memset (ctx->key_iv, 0, 16);
  if (m != GST_P2P_HLS_KEY_NONE && iv != NULL) {
    if (iv->quoted || !parse_hex_iv (iv->value, ctx->key_iv))
      return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE, "bad IV");
    ctx->key_iv_explicit = TRUE;
  }
  return TRUE;
}

static gboolean
handle_map (Ctx * ctx, Attr * attrs, guint n, GError ** error)
{
  const Attr *uri = find_attr (attrs, n, "URI");
  const Attr *range = find_attr (attrs, n, "BYTERANGE");
  gchar *abs;

  if (uri == NULL || !uri->quoted)
    return fail (ctx, error, GST_P2P_STREAM_ERROR_MISSING,
        "EXT-X-MAP without a quoted URI");
  memset (&ctx->init_range, 0, sizeof (ctx->init_range));
  if (range != NULL) {
    gboolean has_offset;

    /* No implicit offset here: an omitted offset means 0. */
    if (!range->quoted || !parse_byterange (ctx, range->value,
            &ctx->init_range.length, &has_offset, &ctx->init_range.offset,
            error))
      return range->quoted ? FALSE : fail (ctx, error,
          GST_P2P_STREAM_ERROR_BAD_VALUE, "unquoted BYTERANGE");
    ctx->init_range.set = TRUE;
  }
  abs = ctx_resolve (ctx, uri->value, error);
  if (abs == NULL)
    return FALSE;
  if (ctx->init_uri)
    g_ref_string_release (ctx->init_uri);
  ctx->init_uri = g_ref_string_new (abs);
  g_free (abs);
  return TRUE;
}

static gboolean
handle_stream_inf (Ctx * ctx, Attr * attrs, guint n, gboolean iframes,
    GError ** error)
{
  GstP2pHlsVariant v = { 0, };
  const Attr *a;

  if (ctx->pl->variants->len >= ctx->limits->max_items)
    return fail (ctx, error, GST_P2P_STREAM_ERROR_TOO_MANY,
        "too many variants");
  if ((a = find_attr (attrs, n, "BANDWIDTH")) == NULL)
    return fail (ctx, error, GST_P2P_STREAM_ERROR_MISSING,
        "variant without BANDWIDTH");
  if (!attr_uint64 (ctx, a, &v.bandwidth, error))
    return FALSE;
  if ((a = find_attr (attrs, n, "AVERAGE-BANDWIDTH")) != NULL &&
      !attr_uint64 (ctx, a, &v.average_bandwidth, error))
    return FALSE;
  if ((a = find_attr (attrs, n, "RESOLUTION")) != NULL) {
    const gchar *x = strchr (a->value, 'x');
    guint64 w, h;

    if (x == NULL || a->quoted
        || !gst_p2p_stream_parse_uint64 (a->value, x - a->value, &w)
        || !gst_p2p_stream_parse_uint64 (x + 1, strlen (x + 1), &h)
        || w > G_MAXINT || h > G_MAXINT)
      return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
          "bad RESOLUTION");
    v.width = w;
    v.height = h;
  }
  v.iframes_only = iframes;
  if (!attr_string (ctx, attrs, n, "CODECS", &v.codecs, error) ||
      !attr_string (ctx, attrs, n, "AUDIO", &v.audio, error) ||
      !attr_string (ctx, attrs, n, "VIDEO", &v.video, error) ||
      !attr_string (ctx, attrs, n, "SUBTITLES", &v.subtitles, error))
    goto failed;

  if (iframes) {
    if ((a = find_attr (attrs, n, "URI")) == NULL || !a->quoted) {
      fail (ctx, error, GST_P2P_STREAM_ERROR_MISSING,
          "EXT-X-I-FRAME-STREAM-INF without URI");
      goto failed;
    }
    if ((v.uri = ctx_resolve (ctx, a->value, error)) == NULL)
      goto failed;
    g_array_append_val (ctx->pl->variants, v);
    return TRUE;
  }
  if (ctx->have_stream_inf) {
    fail (ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
        "EXT-X-STREAM-INF without URI");
    goto failed;
  }
  ctx->stream_inf = v;
  ctx->have_stream_inf = TRUE;
  return TRUE;

failed:
  variant_clear (&v);
  return FALSE;
}

static gboolean
handle_media (Ctx * ctx, Attr * attrs, guint n, GError ** error)
{
  static const gchar *types[] = { "AUDIO", "VIDEO", "SUBTITLES",
    "CLOSED-CAPTIONS"
  };
  GstP2pHlsRendition r = { 0, };
  const Attr *type = find_attr (attrs, n, "TYPE");
  const Attr *uri = find_attr (attrs, n, "URI");
  guint i;

  if (ctx->pl->renditions->len >= ctx->limits->max_items)
    return fail (ctx, error, GST_P2P_STREAM_ERROR_TOO_MANY,
        "too many renditions");
  if (type == NULL || find_attr (attrs, n, "GROUP-ID") == NULL
      || find_attr (attrs, n, "NAME") == NULL)
    return fail (ctx, error, GST_P2P_STREAM_ERROR_MISSING,
        "EXT-X-MEDIA without TYPE, GROUP-ID or NAME");
  for (i = 0; i < G_N_ELEMENTS (types); i++)
    if (strcmp (type->value, types[i]) == 0)
      break;
  if (i == G_N_ELEMENTS (types))
    return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
        "unknown EXT-X-MEDIA TYPE");
  r.type = i;
  r.is_default = attr_yes (attrs, n, "DEFAULT");
  r.autoselect = attr_yes (attrs, n, "AUTOSELECT");
  if (!attr_string (ctx, attrs, n, "GROUP-ID", &r.group_id, error) ||
      !attr_string (ctx, attrs, n, "NAME", &r.name, error) ||
      !attr_string (ctx, attrs, n, "LANGUAGE", &r.language, error))
    goto failed;
  if (uri != NULL && r.type != GST_P2P_HLS_MEDIA_CLOSED_CAPTIONS &&
      (r.uri = ctx_resolve (ctx, uri->value, error)) == NULL)
    goto failed;
  g_array_append_val (ctx->pl->renditions, r);
  return TRUE;

failed:
  rendition_clear (&r);
  return FALSE;
}

static gboolean
handle_uri_line (Ctx * ctx, const gchar * line, GError ** error)
{
  GstP2pHlsPlaylist *pl = ctx->pl;
  GstP2pHlsSegment s = { 0, };
  guint64 seq;

  if (ctx->have_stream_inf) {
    ctx->stream_inf.uri = ctx_resolve (ctx, line, error);
    if (ctx->stream_inf.uri == NULL)
      return FALSE;
    g_array_append_val (pl->variants, ctx->stream_inf);
    memset (&ctx->stream_inf, 0, sizeof (ctx->stream_inf));
    ctx->have_stream_inf = FALSE;
    return TRUE;
  }
  if (!ctx->have_extinf)
    return fail (ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
        "URI without EXTINF or EXT-X-STREAM-INF");
  if (pl->segments->len >= ctx->limits->max_segments)
    return fail (ctx, error, GST_P2P_STREAM_ERROR_TOO_MANY,
        "too many segments");
  if (!g_uint64_checked_add (&seq, pl->media_sequence, pl->segments->len))
    return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
        "media sequence overflows");

  s.uri = ctx_resolve (ctx, line, error);
  if (s.uri == NULL)
    return FALSE;
  s.sequence = seq;
  s.duration = ctx->extinf;
  s.start = ctx->position;
  s.discontinuity = ctx->discontinuity;
  s.gap = ctx->gap;
  if (ctx->discontinuity && !g_uint64_checked_add (&ctx->disc_seq,
          ctx->disc_seq, 1)) {
    g_free (s.uri);
    return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
        "discontinuity sequence overflows");
  }
  s.discontinuity_sequence = ctx->disc_seq;

  if (ctx->have_range) {
    s.range.set = TRUE;
    s.range.length = ctx->range_length;
    if (ctx->range_has_offset) {
      s.range.offset = ctx->range_offset;
    } else {
      /* RFC 8216 4.3.2.2: continues the previous segment's sub-range of
       * the same resource. */
      GstP2pHlsSegment *prev = pl->segments->len ? &g_array_index (pl->segments,
          GstP2pHlsSegment, pl->segments->len - 1) : NULL;

      if (prev == NULL || !prev->range.set || strcmp (prev->uri, s.uri) != 0) {
        g_free (s.uri);
        return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
            "implicit byte range offset without a previous sub-range "
            "of the same resource");
      }
      s.range.offset = prev->range.offset + prev->range.length;
    }
    if (!g_uint64_checked_add (&seq, s.range.offset, s.range.length)) {
      g_free (s.uri);
      return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
          "byte range overflows");
    }
  }

  if (ctx->pdt >= 0)
    ctx->next_pdt = ctx->pdt;
  s.program_date_time = ctx->next_pdt;
  if (ctx->next_pdt >= 0) {
    gint64 step = s.duration / GST_USECOND;

    ctx->next_pdt = ctx->next_pdt > G_MAXINT64 - step ? -1 :
        ctx->next_pdt + step;
  }

  s.key_method = ctx->key_method;
  if (ctx->key_uri)
    s.key_uri = g_ref_string_acquire (ctx->key_uri);
  if (ctx->key_format)
    s.key_format = g_ref_string_acquire (ctx->key_format);
  memcpy (s.iv, ctx->key_iv, 16);
  s.iv_explicit = ctx->key_iv_explicit;
  if (s.key_method == GST_P2P_HLS_KEY_AES_128 && !s.iv_explicit) {
    guint i;

    for (i = 0; i < 8; i++)
      s.iv[15 - i] = (s.sequence >> (8 * i)) & 0xff;
  }
  if (ctx->init_uri) {
    s.init_uri = g_ref_string_acquire (ctx->init_uri);
    s.init_range = ctx->init_range;
  }

  if (!g_uint64_checked_add (&ctx->position, ctx->position, s.duration) ||
      ctx->position == GST_CLOCK_TIME_NONE) {
    segment_clear (&s);
    return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
        "playlist duration overflows");
  }
  ctx->longest = MAX (ctx->longest, s.duration);
  g_array_append_val (pl->segments, s);

  ctx->have_extinf = FALSE;
  ctx->have_range = FALSE;
  ctx->discontinuity = FALSE;
  ctx->gap = FALSE;
  ctx->pdt = -1;
  return TRUE;
}

static gboolean
is_tag (const gchar * line, const gchar * tag, const gchar ** value)
{
  gsize n = strlen (tag);

  if (strncmp (line, tag, n) != 0)
    return FALSE;
  if (line[n] == ':') {
    *value = line + n + 1;
    return TRUE;
  }
  if (line[n] == '\0') {
    *value = line + n;
    return TRUE;
  }
  return FALSE;
}

static gboolean
handle_tag (Ctx * ctx, gchar * line, GError ** error)
{
  GstP2pHlsPlaylist *pl = ctx->pl;
  Attr attrs[MAX_ATTRS];
  guint n_attrs = 0;
  const gchar *v;
  guint64 u;

#define ATTRS() \
  G_STMT_START { \
    if (!parse_attrs (ctx, (gchar *) v, attrs, &n_attrs, error)) \
      return FALSE; \
  } G_STMT_END

  if (is_tag (line, "#EXTINF", &v)) {
    const gchar *comma = strchr (v, ',');
    gsize len = comma ? (gsize) (comma - v) : strlen (v);

    ctx->tags_media = TRUE;
    if (ctx->have_extinf)
      return fail (ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
          "EXTINF without URI");
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
      len--;
    if (!gst_p2p_stream_parse_seconds (v, len, &ctx->extinf)
        || ctx->extinf > MAX_DURATION)
      return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
          "bad EXTINF duration");
    ctx->have_extinf = TRUE;
  } else if (is_tag (line, "#EXT-X-BYTERANGE", &v)) {
    ctx->tags_media = TRUE;
    if (!parse_byterange (ctx, v, &ctx->range_length,
            &ctx->range_has_offset, &ctx->range_offset, error))
      return FALSE;
    ctx->have_range = TRUE;
  } else if (is_tag (line, "#EXT-X-TARGETDURATION", &v)) {
    ctx->tags_media = TRUE;
    if (!gst_p2p_stream_parse_uint64 (v, strlen (v), &u)
        || u > MAX_DURATION / GST_SECOND)
      return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
          "bad EXT-X-TARGETDURATION");
    pl->target_duration = u * GST_SECOND;
    ctx->have_target = TRUE;
  } else if (is_tag (line, "#EXT-X-MEDIA-SEQUENCE", &v)) {
    ctx->tags_media = TRUE;
    /* After a segment it would renumber segments already numbered. */
    if (pl->segments->len > 0 || ctx->have_extinf)
      return fail (ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
          "EXT-X-MEDIA-SEQUENCE after the first segment");
    if (!gst_p2p_stream_parse_uint64 (v, strlen (v), &pl->media_sequence))
      return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
          "bad EXT-X-MEDIA-SEQUENCE");
  } else if (is_tag (line, "#EXT-X-DISCONTINUITY-SEQUENCE", &v)) {
    ctx->tags_media = TRUE;
    if (pl->segments->len > 0 || ctx->have_extinf)
      return fail (ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
          "EXT-X-DISCONTINUITY-SEQUENCE after the first segment");
    if (!gst_p2p_stream_parse_uint64 (v, strlen (v),
            &pl->discontinuity_sequence))
      return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
          "bad EXT-X-DISCONTINUITY-SEQUENCE");
    ctx->disc_seq = pl->discontinuity_sequence;
  } else if (is_tag (line, "#EXT-X-DISCONTINUITY", &v)) {
    ctx->tags_media = TRUE;
    ctx->discontinuity = TRUE;
  } else if (is_tag (line, "#EXT-X-GAP", &v)) {
    ctx->tags_media = TRUE;
    ctx->gap = TRUE;
  } else if (is_tag (line, "#EXT-X-PROGRAM-DATE-TIME", &v)) {
    ctx->tags_media = TRUE;
    if (!gst_p2p_stream_parse_datetime (v, &ctx->pdt))
      return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
          "bad EXT-X-PROGRAM-DATE-TIME");
  } else if (is_tag (line, "#EXT-X-ENDLIST", &v)) {
    ctx->tags_media = TRUE;
    pl->endlist = TRUE;
  } else if (is_tag (line, "#EXT-X-I-FRAMES-ONLY", &v)) {
    ctx->tags_media = TRUE;
    pl->iframes_only = TRUE;
  } else if (is_tag (line, "#EXT-X-PLAYLIST-TYPE", &v)) {
    ctx->tags_media = TRUE;
    if (strcmp (v, "VOD") == 0)
      pl->type = GST_P2P_HLS_PLAYLIST_TYPE_VOD;
    else if (strcmp (v, "EVENT") == 0)
      pl->type = GST_P2P_HLS_PLAYLIST_TYPE_EVENT;
    else
      return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
          "bad EXT-X-PLAYLIST-TYPE");
  } else if (is_tag (line, "#EXT-X-KEY", &v)) {
    ctx->tags_media = TRUE;
    ATTRS ();
    return handle_key (ctx, attrs, n_attrs, FALSE, error);
  } else if (is_tag (line, "#EXT-X-MAP", &v)) {
    ctx->tags_media = TRUE;
    ATTRS ();
    return handle_map (ctx, attrs, n_attrs, error);
  } else if (is_tag (line, "#EXT-X-STREAM-INF", &v)) {
    ctx->tags_master = TRUE;
    ATTRS ();
    return handle_stream_inf (ctx, attrs, n_attrs, FALSE, error);
  } else if (is_tag (line, "#EXT-X-I-FRAME-STREAM-INF", &v)) {
    ctx->tags_master = TRUE;
    ATTRS ();
    return handle_stream_inf (ctx, attrs, n_attrs, TRUE, error);
  } else if (is_tag (line, "#EXT-X-MEDIA", &v)) {
    ctx->tags_master = TRUE;
    ATTRS ();
    return handle_media (ctx, attrs, n_attrs, error);
  } else if (is_tag (line, "#EXT-X-SESSION-KEY", &v)) {
    ctx->tags_master = TRUE;
    ATTRS ();
    return handle_key (ctx, attrs, n_attrs, TRUE, error);
  } else if (is_tag (line, "#EXT-X-VERSION", &v)) {
    if (!gst_p2p_stream_parse_uint64 (v, strlen (v), &u) || u == 0 || u > 1000)
      return fail (ctx, error, GST_P2P_STREAM_ERROR_BAD_VALUE,
          "bad EXT-X-VERSION");
    pl->version = u;
  }
  /* Comments and unknown tags are ignored (RFC 8216 4.1). */
  return TRUE;
#undef ATTRS
}

/**
 * gst_p2p_hls_playlist_detect:
 * @data: (array length=size): the beginning of a body
 * @size: its size
 *
 * Returns: TRUE if @data starts with "#EXTM3U", after an optional UTF-8
 * BOM and blank lines.
 */
gboolean
gst_p2p_hls_playlist_detect (const gchar * data, gsize size)
{
  gsize i = 0;

  if (data == NULL)
    return FALSE;
  if (size >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    i = 3;
  while (i < size && g_ascii_isspace (data[i]))
    i++;
  return size - i >= 7 && memcmp (data + i, "#EXTM3U", 7) == 0;
}

/**
 * gst_p2p_hls_playlist_parse:
 * @data: (array length=size): the complete playlist body
 * @size: its size in bytes
 * @uri: (nullable): the URI it was fetched from, after redirects: relative
 *   URIs are resolved against it (without it they must be absolute)
 * @limits: (nullable): limits, NULL for the defaults
 * @error: a GST_P2P_STREAM_ERROR on failure
 *
 * Parses a master or media playlist.
 *
 * Returns: (transfer full) (nullable): the playlist, NULL on error.
 */
GstP2pHlsPlaylist *
gst_p2p_hls_playlist_parse (const gchar * data, gsize size,
    const gchar * uri, const GstP2pStreamLimits * limits, GError ** error)
{
  GstP2pStreamLimits defaults;
  GstP2pHlsPlaylist *pl;
  GString *line;
  Ctx ctx = { 0, };
  gboolean ok = FALSE, header = FALSE;
  gsize pos = 0;

  g_return_val_if_fail (data != NULL || size == 0, NULL);

  if (limits == NULL) {
    gst_p2p_stream_limits_init (&defaults);
    limits = &defaults;
  }
  if (size > limits->max_size) {
    gst_p2p_stream_set_error (error, GST_P2P_STREAM_ERROR_TOO_LARGE,
        "playlist of %" G_GSIZE_FORMAT " bytes exceeds %" G_GSIZE_FORMAT,
        size, limits->max_size);
    return NULL;
  }
  if (!g_utf8_validate_len (data, size, NULL)) {
    gst_p2p_stream_set_error (error, GST_P2P_STREAM_ERROR_SYNTAX,
        "playlist is not valid UTF-8 text");
    return NULL;
  }

  pl = g_new0 (GstP2pHlsPlaylist, 1);
  pl->version = 1;
  pl->variants = g_array_new (FALSE, TRUE, sizeof (GstP2pHlsVariant));
  g_array_set_clear_func (pl->variants, (GDestroyNotify) variant_clear);
  pl->renditions = g_array_new (FALSE, TRUE, sizeof (GstP2pHlsRendition));
  g_array_set_clear_func (pl->renditions, (GDestroyNotify) rendition_clear);
  pl->segments = g_array_new (FALSE, TRUE, sizeof (GstP2pHlsSegment));
  g_array_set_clear_func (pl->segments, (GDestroyNotify) segment_clear);
  pl->key_uris = g_ptr_array_new_with_free_func (g_free);

  ctx.limits = limits;
  ctx.budget.max = limits->max_output;
  ctx.pl = pl;
  ctx.pdt = -1;
  ctx.next_pdt = -1;
  ctx.key_set = g_hash_table_new (g_str_hash, g_str_equal);
  line = g_string_sized_new (256);

  if (uri != NULL) {
    ctx.base = g_uri_parse (uri, G_URI_FLAGS_ENCODED, NULL);
    if (ctx.base == NULL) {
      gst_p2p_stream_set_error (error, GST_P2P_STREAM_ERROR_BAD_URI,
          "playlist URI is not absolute");
      goto done;
    }
    pl->uri = g_strdup (uri);
  }

  if (size >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    pos = 3;
  while (pos < size) {
    const gchar *nl = memchr (data + pos, '\n', size - pos);
    gsize end = nl ? (gsize) (nl - data) : size;
    gsize len = end - pos;
    const gchar *start = data + pos;

    pos = end + 1;
    ctx.line_no++;
    if (len > limits->max_line) {
      fail (&ctx, error, GST_P2P_STREAM_ERROR_TOO_LARGE, "line too long");
      goto done;
    }
    while (len > 0 && g_ascii_isspace (start[len - 1]))
      len--;
    while (len > 0 && (*start == ' ' || *start == '\t')) {
      start++;
      len--;
    }
    if (len == 0)
      continue;
    g_string_truncate (line, 0);
    g_string_append_len (line, start, len);

    if (!header) {
      if (strcmp (line->str, "#EXTM3U") != 0) {
        fail (&ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
            "not an HLS playlist (no #EXTM3U)");
        goto done;
      }
      header = TRUE;
      continue;
    }
    if (line->str[0] == '#') {
      if (strncmp (line->str, "#EXT", 4) == 0
          && !handle_tag (&ctx, line->str, error))
        goto done;
    } else if (!handle_uri_line (&ctx, line->str, error)) {
      goto done;
    }
    if (ctx.tags_master && ctx.tags_media) {
      fail (&ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
          "mixes master and media playlist tags");
      goto done;
    }
  }

  if (!header) {
    gst_p2p_stream_set_error (error, GST_P2P_STREAM_ERROR_SYNTAX,
        "empty playlist");
    goto done;
  }
  /* A tag waiting for its URI line means the body was cut short. */
  if (ctx.have_extinf || ctx.have_stream_inf || ctx.have_range) {
    fail (&ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
        "truncated playlist: tag without URI at the end");
    goto done;
  }
  if (!ctx.tags_master && !ctx.tags_media) {
    fail (&ctx, error, GST_P2P_STREAM_ERROR_SYNTAX,
        "neither a master nor a media playlist");
    goto done;
  }
  pl->kind = ctx.tags_master ? GST_P2P_HLS_PLAYLIST_MASTER :
      GST_P2P_HLS_PLAYLIST_MEDIA;
  pl->duration = ctx.position;
  if (!ctx.have_target && pl->kind == GST_P2P_HLS_PLAYLIST_MEDIA)
    pl->target_duration = gst_util_uint64_scale_ceil (ctx.longest, 1,
        GST_SECOND) * GST_SECOND;
  GST_DEBUG ("parsed %s playlist %s: %u variants, %u renditions, %u "
      "segments from %" G_GUINT64_FORMAT "%s", ctx.tags_master ? "master" :
      "media", GST_STR_NULL (uri), pl->variants->len, pl->renditions->len,
      pl->segments->len, pl->media_sequence, pl->endlist ? ", ended" : "");
  ok = TRUE;

done:
  if (ctx.have_stream_inf)
    variant_clear (&ctx.stream_inf);
  if (ctx.key_uri)
    g_ref_string_release (ctx.key_uri);
  if (ctx.key_format)
    g_ref_string_release (ctx.key_format);
  if (ctx.init_uri)
    g_ref_string_release (ctx.init_uri);
  if (ctx.base)
    g_uri_unref (ctx.base);
  g_hash_table_unref (ctx.key_set);
  g_string_free (line, TRUE);
  if (!ok) {
    gst_p2p_hls_playlist_free (pl);
    return NULL;
  }
  return pl;
}
