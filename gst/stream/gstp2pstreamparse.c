/* Strict scalar parsing and URI helpers shared by the stream parsers. See
 * gstp2pstreamparse.h.
 *
 * Threads: only the debug category is shared (initialised once).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "stream/gstp2pstreamparse.h"

GstDebugCategory *
gst_p2p_stream_debug_category (void)
{
  static gsize cat = 0;

  if (g_once_init_enter (&cat)) {
    GstDebugCategory *c = NULL;

    GST_DEBUG_CATEGORY_INIT (c, "p2p-stream", 0,
        "gst-p2p manifests, playlists and the stream index");
    g_once_init_leave (&cat, (gsize) c);
  }
  return (GstDebugCategory *) cat;
}

void
gst_p2p_stream_set_error (GError ** error, GstP2pStreamError code,
    const gchar * format, ...)
{
  va_list args;
  gchar *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  GST_CAT_DEBUG (GST_CAT_STREAM, "rejected (%s): %s",
      gst_p2p_stream_error_reason (code), msg);
  g_set_error_literal (error, GST_P2P_STREAM_ERROR, code, msg);
  g_free (msg);
}

gboolean
gst_p2p_stream_budget_take (GstP2pStreamBudget * budget, gsize n,
    GError ** error)
{
  if (n > budget->max || budget->used > budget->max - n) {
    gst_p2p_stream_set_error (error, GST_P2P_STREAM_ERROR_TOO_LARGE,
        "parsed output exceeds %" G_GSIZE_FORMAT " bytes", budget->max);
    return FALSE;
  }
  budget->used += n;
  return TRUE;
}

gboolean
gst_p2p_stream_parse_uint64 (const gchar * s, gsize len, guint64 * out)
{
  guint64 v = 0;
  gsize i;

  if (s == NULL || len == 0)
    return FALSE;
  for (i = 0; i < len; i++) {
    guint d;

    if (s[i] < '0' || s[i] > '9')
      return FALSE;
    d = s[i] - '0';
    if (v > (G_MAXUINT64 - d) / 10)
      return FALSE;
    v = v * 10 + d;
  }
  *out = v;
  return TRUE;
}

/* "int[.frac]" seconds scaled by @unit_ns into nanoseconds. */
static gboolean
parse_scaled (const gchar * s, gsize len, guint64 unit_ns, guint64 * out)
{
  gsize i = 0, int_len;
  guint64 whole, frac = 0, scale = unit_ns, ns;

  while (i < len && s[i] >= '0' && s[i] <= '9')
    i++;
  int_len = i;
  if (int_len == 0 || !gst_p2p_stream_parse_uint64 (s, int_len, &whole))
    return FALSE;
  if (i < len) {
    if (s[i] != '.' || i + 1 == len)
      return FALSE;
    for (i++; i < len; i++) {
      if (s[i] < '0' || s[i] > '9')
        return FALSE;
      /* Digits finer than a nanosecond are validated and ignored. */
      if (scale >= 10) {
        scale /= 10;
        frac += (guint64) (s[i] - '0') * scale;
      }
    }
  }
  if (!g_uint64_checked_mul (&ns, whole, unit_ns) ||
      !g_uint64_checked_add (&ns, ns, frac) || ns == GST_CLOCK_TIME_NONE)
    return FALSE;
  *out = ns;
  return TRUE;
}

gboolean
gst_p2p_stream_parse_seconds (const gchar * s, gsize len, GstClockTime * out)
{
  guint64 v;

  if (s == NULL || !parse_scaled (s, len, GST_SECOND, &v))
    return FALSE;
  *out = v;
  return TRUE;
}

gboolean
gst_p2p_stream_parse_xs_duration (const gchar * s, GstClockTime * out)
{
  static const struct
  {
    gchar unit;
    gboolean time_part;
    guint64 ns;
  } units[] = {
    {'Y', FALSE, 365 * 24 * 3600 * GST_SECOND},
    {'M', FALSE, 30 * 24 * 3600 * GST_SECOND},
    {'D', FALSE, 24 * 3600 * GST_SECOND},
    {'H', TRUE, 3600 * GST_SECOND},
    {'M', TRUE, 60 * GST_SECOND},
    {'S', TRUE, GST_SECOND},
  };
  guint next = 0, parts = 0;
  gboolean in_time = FALSE;
  guint64 total = 0;
  const gchar *p;

  if (s == NULL)
    return FALSE;
  while (g_ascii_isspace (*s))
    s++;
  if (*s != 'P')
    return FALSE;
  p = s + 1;
  while (*p != '\0' && !g_ascii_isspace (*p)) {
    const gchar *start = p;
    guint64 v;
    guint u;

    if (*p == 'T') {
      if (in_time)
        return FALSE;
      in_time = TRUE;
      p++;
      if (*p == '\0')
        return FALSE;
      continue;
    }
    while ((*p >= '0' && *p <= '9') || *p == '.')
      p++;
    if (p == start || *p == '\0')
      return FALSE;
    /* Units must come in order, each at most once, in their part. */
    for (u = next; u < G_N_ELEMENTS (units); u++)
      if (units[u].unit == *p && units[u].time_part == in_time)
        break;
    if (u == G_N_ELEMENTS (units))
      return FALSE;
    /* Only seconds may carry a fraction. */
    if (units[u].unit != 'S' && memchr (start, '.', p - start) != NULL)
      return FALSE;
    if (!parse_scaled (start, p - start, units[u].ns, &v) ||
        !g_uint64_checked_add (&total, total, v))
      return FALSE;
    next = u + 1;
    parts++;
    p++;
  }
  while (g_ascii_isspace (*p))
    p++;
  if (*p != '\0' || parts == 0 || total == GST_CLOCK_TIME_NONE)
    return FALSE;
  *out = total;
  return TRUE;
}

gboolean
gst_p2p_stream_parse_datetime (const gchar * s, gint64 * out_us)
{
  GTimeZone *utc;
  GDateTime *dt;
  gchar *copy;
  gint64 secs;

  if (s == NULL || strlen (s) > 64)
    return FALSE;
  copy = g_strstrip (g_strdup (s));
  utc = g_time_zone_new_utc ();
  dt = g_date_time_new_from_iso8601 (copy, utc);
  g_time_zone_unref (utc);
  g_free (copy);
  if (dt == NULL)
    return FALSE;
  secs = g_date_time_to_unix (dt);
  /* GDateTime spans years 1..9999: this never overflows. */
  *out_us = secs * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
  g_date_time_unref (dt);
  return TRUE;
}

gchar *
gst_p2p_stream_resolve_uri (GUri * base, const gchar * ref)
{
  GUri *u;
  gchar *s;

  if (ref == NULL || *ref == '\0')
    return NULL;
  if (base != NULL)
    u = g_uri_parse_relative (base, ref, G_URI_FLAGS_ENCODED, NULL);
  else
    u = g_uri_parse (ref, G_URI_FLAGS_ENCODED, NULL);
  if (u == NULL)
    return NULL;
  s = g_uri_to_string (u);
  g_uri_unref (u);
  return s;
}

gchar *
gst_p2p_stream_uri_strip_query (const gchar * uri)
{
  gsize n = strcspn (uri, "?#");

  return g_strndup (uri, n);
}
