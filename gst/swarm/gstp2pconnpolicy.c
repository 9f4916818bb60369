/* GstP2pConnPolicy: connection decisions of a swarm. See gstp2pconnpolicy.h.
 *
 * Threads: plain functions, any thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "signalling/gstp2pbackoff.h"
#include "swarm/gstp2pconnpolicy.h"

/**
 * gst_p2p_conn_limits_init:
 *
 * The defaults: 8 links, 4 handshakes at once, retries from 1 s to 60 s,
 * forget after 5 failures in a row, first ban 10 minutes.
 */
void
gst_p2p_conn_limits_init (GstP2pConnLimits * limits)
{
  limits->max_peers = GST_P2P_CONN_DEFAULT_MAX_PEERS;
  limits->max_pending = GST_P2P_CONN_DEFAULT_MAX_PENDING;
  limits->retry_min_ms = GST_P2P_CONN_DEFAULT_RETRY_MIN_MS;
  limits->retry_max_ms = GST_P2P_CONN_DEFAULT_RETRY_MAX_MS;
  limits->max_failures = GST_P2P_CONN_DEFAULT_MAX_FAILURES;
  limits->ban_ms = GST_P2P_CONN_DEFAULT_BAN_MS;
}

/**
 * gst_p2p_conn_we_initiate:
 *
 * Returns: whether @local_id starts the link with @remote_id: the lower id
 * (byte order) does. Equal ids never link.
 */
gboolean
gst_p2p_conn_we_initiate (const gchar * local_id, const gchar * remote_id)
{
  return strcmp (local_id, remote_id) < 0;
}

static GstP2pConnVerdict
check_entry (const GstP2pConnLimits * limits, const GstP2pConnEntry * e,
    gint64 now)
{
  if (e->state != GST_P2P_CONN_IDLE)
    return GST_P2P_CONN_BUSY;
  if (gst_p2p_conn_is_banned (e, now))
    return GST_P2P_CONN_BANNED;
  return GST_P2P_CONN_OK;
}

/**
 * gst_p2p_conn_may_connect:
 * @n_links: our links now, connecting or connected
 * @n_pending: of which still in their handshake
 *
 * Whether to start a link (or knock) to this peer now.
 */
GstP2pConnVerdict
gst_p2p_conn_may_connect (const GstP2pConnLimits * limits,
    const GstP2pConnEntry * e, guint n_links, guint n_pending, gint64 now)
{
  GstP2pConnVerdict v = check_entry (limits, e, now);

  if (v != GST_P2P_CONN_OK)
    return v;
  if (limits->max_failures && e->failures >= limits->max_failures)
    return GST_P2P_CONN_GAVE_UP;
  if (now < e->next_attempt)
    return GST_P2P_CONN_BACKOFF;
  if (n_links >= limits->max_peers)
    return GST_P2P_CONN_FULL;
  if (n_pending >= limits->max_pending)
    return GST_P2P_CONN_PENDING_FULL;
  return GST_P2P_CONN_OK;
}

/**
 * gst_p2p_conn_may_accept:
 *
 * Whether to answer a link the peer started. Backoff does not apply: the
 * peer decided to try again, and a working link is what we want; failures
 * and bans do.
 */
GstP2pConnVerdict
gst_p2p_conn_may_accept (const GstP2pConnLimits * limits,
    const GstP2pConnEntry * e, guint n_links, guint n_pending, gint64 now)
{
  if (gst_p2p_conn_is_banned (e, now))
    return GST_P2P_CONN_BANNED;
  if (e->state != GST_P2P_CONN_IDLE)
    return GST_P2P_CONN_BUSY;
  if (n_links >= limits->max_peers)
    return GST_P2P_CONN_FULL;
  if (n_pending >= limits->max_pending)
    return GST_P2P_CONN_PENDING_FULL;
  return GST_P2P_CONN_OK;
}

/**
 * gst_p2p_conn_failed:
 * @random01: uniform in [0, 1)
 *
 * A link attempt (or a knock) failed, or a link died before being useful:
 * back to IDLE and wait the next backoff window.
 */
void
gst_p2p_conn_failed (const GstP2pConnLimits * limits, GstP2pConnEntry * e,
    gint64 now, gdouble random01)
{
  guint ms = gst_p2p_backoff_delay_ms (e->failures, limits->retry_min_ms,
      limits->retry_max_ms, random01);

  e->state = GST_P2P_CONN_IDLE;
  e->failures++;
  e->next_attempt = now + (gint64) ms *1000;
}

/**
 * gst_p2p_conn_connected:
 *
 * HELLO exchanged: the failure streak ends.
 */
void
gst_p2p_conn_connected (GstP2pConnEntry * e)
{
  e->state = GST_P2P_CONN_CONNECTED;
  e->failures = 0;
}

/**
 * gst_p2p_conn_closed:
 *
 * A working link ended normally: reconnect no sooner than retry_min_ms.
 */
void
gst_p2p_conn_closed (const GstP2pConnLimits * limits, GstP2pConnEntry * e,
    gint64 now)
{
  e->state = GST_P2P_CONN_IDLE;
  e->next_attempt = now + (gint64) limits->retry_min_ms * 1000;
}

/**
 * gst_p2p_conn_ban:
 *
 * The peer broke the protocol: no link for ban_ms, doubled at each repeat,
 * capped at GST_P2P_CONN_MAX_BAN_MS.
 */
void
gst_p2p_conn_ban (const GstP2pConnLimits * limits, GstP2pConnEntry * e,
    gint64 now)
{
  guint64 ms = limits->ban_ms;
  guint i;

  for (i = 0; i < e->bans && ms < GST_P2P_CONN_MAX_BAN_MS; i++)
    ms *= 2;
  ms = MIN (ms, GST_P2P_CONN_MAX_BAN_MS);
  e->bans++;
  e->state = GST_P2P_CONN_IDLE;
  e->banned_until = now + (gint64) ms *1000;
}

/**
 * gst_p2p_conn_ban_for:
 * @duration_us: how long, in microseconds; <= 0 applies ban_ms doubled at
 *   each repeat, as gst_p2p_conn_ban()
 *
 * A ban decided outside the link (e.g. a segment from the peer failed
 * verification): no link for @duration_us, capped at
 * GST_P2P_CONN_MAX_BAN_MS; a longer ban already running is kept. The link
 * state is left to the caller, who closes the link and records how it
 * ended.
 */
void
gst_p2p_conn_ban_for (const GstP2pConnLimits * limits, GstP2pConnEntry * e,
    gint64 now, gint64 duration_us)
{
  guint64 ms = limits->ban_ms;
  guint i;

  if (duration_us > 0) {
    duration_us = MIN (duration_us, (gint64) GST_P2P_CONN_MAX_BAN_MS * 1000);
  } else {
    for (i = 0; i < e->bans && ms < GST_P2P_CONN_MAX_BAN_MS; i++)
      ms *= 2;
    duration_us = (gint64) MIN (ms, GST_P2P_CONN_MAX_BAN_MS) * 1000;
  }
  e->bans++;
  e->banned_until = MAX (e->banned_until, now + duration_us);
}

gboolean
gst_p2p_conn_is_banned (const GstP2pConnEntry * e, gint64 now)
{
  return e->banned_until > now;
}

/**
 * gst_p2p_conn_seen:
 *
 * The tracker listed the peer again: a peer we gave up on gets one more
 * attempt once its last backoff window is over (bans stay).
 */
void
gst_p2p_conn_seen (const GstP2pConnLimits * limits, GstP2pConnEntry * e,
    gint64 now)
{
  e->last_seen = now;
  if (limits->max_failures && e->failures >= limits->max_failures
      && now >= e->next_attempt)
    e->failures--;
}

const gchar *
gst_p2p_conn_verdict_get_name (GstP2pConnVerdict v)
{
  switch (v) {
    case GST_P2P_CONN_OK:
      return "ok";
    case GST_P2P_CONN_FULL:
      return "too-many-peers";
    case GST_P2P_CONN_PENDING_FULL:
      return "too-many-handshakes";
    case GST_P2P_CONN_BANNED:
      return "banned";
    case GST_P2P_CONN_BACKOFF:
      return "backoff";
    case GST_P2P_CONN_GAVE_UP:
      return "gave-up";
    case GST_P2P_CONN_BUSY:
      return "busy";
  }
  return "unknown";
}
