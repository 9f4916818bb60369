/* GstP2pDashMpd: a bounded, total parser of DASH MPDs (ISO/IEC 23009-1).
 *
 * The engine parses every MPD p2phttpsrc fetches to know the Periods,
 * AdaptationSets and Representations (the swarms) and, per Representation,
 * the segments: absolute URI (BaseURL resolved at every level, templates
 * expanded), byte range, segment id, media time and duration.
 *
 * Segment addressing: SegmentTemplate with SegmentTimeline (S t/d/r, r=-1
 * repeated up to the next S, the Period end, or "now" for a dynamic MPD),
 * SegmentTemplate with @duration (for a dynamic MPD, the segments available
 * at the wall-clock time given by the caller, within timeShiftBufferDepth),
 * SegmentList and SegmentBase (init and index ranges only: the media ranges
 * live in the sidx box, not in the MPD).
 *
 * Segment id: the $Number$ of the segment when the media template uses
 * $Number$ (SegmentList: startNumber + position), else its $Time$.
 *
 * XML safety: the input is size-limited and valid UTF-8, a DOCTYPE or
 * entity declaration is refused before libxml2 sees the bytes, libxml2 runs
 * with XML_PARSE_NONET and without XML_PARSE_NOENT / DTD loading, and the
 * element tree is depth-limited. Every number is overflow-checked; segments
 * generated from a timeline or a duration are capped (the most recent ones
 * are kept for a dynamic MPD).
 *
 * Threads: plain functions and data; an MPD is immutable once parsed. There
 * is no hidden clock: the wall-clock time is a parameter.
 */
#ifndef __GST_P2P_DASH_MPD_H__
#define __GST_P2P_DASH_MPD_H__

#include <gst/gst.h>
#include "stream/gstp2pstreamtypes.h"

G_BEGIN_DECLS

typedef enum
{
  GST_P2P_DASH_ADDRESSING_NONE,
  GST_P2P_DASH_ADDRESSING_BASE,
  GST_P2P_DASH_ADDRESSING_LIST,
  GST_P2P_DASH_ADDRESSING_TEMPLATE,
  GST_P2P_DASH_ADDRESSING_TIMELINE,
} GstP2pDashAddressing;

/**
 * GstP2pDashSegment:
 * @uri: absolute URI
 * @range: mediaRange (SegmentList), else unset
 * @id: the segment id: @number or @time (see the file comment)
 * @number: $Number$
 * @time: $Time$, in the Representation's timescale (presentation time,
 *   before presentationTimeOffset is subtracted)
 * @duration: in the Representation's timescale
 * @start: start on the MPD timeline (Period start + (time - PTO) /
 *   timescale), nanoseconds; for a dynamic MPD add availabilityStartTime
 *   for the wall clock
 * @duration_ns: @duration in nanoseconds
 */
typedef struct
{
  gchar *uri;
  GstP2pStreamRange range;
  guint64 id;
  guint64 number;
  guint64 time;
  guint64 duration;
  GstClockTime start;
  GstClockTime duration_ns;
} GstP2pDashSegment;

/**
 * GstP2pDashTemplate:
 * @media: the media template (with $...$ identifiers)
 * @base_uri: the Representation's resolved BaseURL
 * @representation_id: for $RepresentationID$
 * @bandwidth: for $Bandwidth$
 * @start_number: first $Number$ of the Period
 * @timescale: units per second (at least 1)
 * @presentation_time_offset: PTO in @timescale units
 * @duration: segment duration in @timescale units (at least 1)
 * @period_start: Period start on the MPD timeline, ns
 * @period_duration: ns, GST_CLOCK_TIME_NONE if open
 * @dynamic: MPD@type is dynamic
 * @availability_start_time: MPD@availabilityStartTime, microseconds since
 *   the epoch (-1 if absent)
 * @time_shift_buffer_depth: ns, GST_CLOCK_TIME_NONE if absent
 *
 * What it takes to list the segments of a SegmentTemplate with @duration
 * and no timeline at any wall-clock time: see
 * gst_p2p_dash_template_generate().
 */
typedef struct
{
  gchar *media;
  gchar *base_uri;
  gchar *representation_id;
  guint64 bandwidth;
  guint64 start_number;
  guint64 timescale;
  guint64 presentation_time_offset;
  guint64 duration;
  GstClockTime period_start;
  GstClockTime period_duration;
  gboolean dynamic;
  gint64 availability_start_time;
  GstClockTime time_shift_buffer_depth;
} GstP2pDashTemplate;

/**
 * GstP2pDashRepresentation:
 * @id: Representation@id
 * @bandwidth: @bandwidth, bits/s
 * @codecs: (nullable): @codecs, inherited from the AdaptationSet
 * @mime_type: (nullable): @mimeType, inherited from the AdaptationSet
 * @width: @width (0 if absent)
 * @height: @height (0 if absent)
 * @base_uri: the resolved BaseURL
 * @addressing: how segments are described
 * @id_is_number: segment ids are $Number$ (else $Time$)
 * @timescale: units per second of @segments' times
 * @init_uri: (nullable): initialization segment
 * @init_range: its byte range
 * @index_range: SegmentBase@indexRange (the sidx)
 * @segments: array of #GstP2pDashSegment, in order
 * @tmpl: for %GST_P2P_DASH_ADDRESSING_TEMPLATE: the parameters to regenerate
 *   @segments at another time
 */
typedef struct
{
  gchar *id;
  guint64 bandwidth;
  gchar *codecs;
  gchar *mime_type;
  guint width;
  guint height;
  gchar *base_uri;
  GstP2pDashAddressing addressing;
  gboolean id_is_number;
  guint64 timescale;
  gchar *init_uri;
  GstP2pStreamRange init_range;
  GstP2pStreamRange index_range;
  GArray *segments;
  GstP2pDashTemplate tmpl;
} GstP2pDashRepresentation;

/**
 * GstP2pDashAdaptationSet:
 * @id: (nullable): @id
 * @content_type: (nullable): @contentType
 * @mime_type: (nullable): @mimeType
 * @lang: (nullable): @lang
 * @representations: array of #GstP2pDashRepresentation
 */
typedef struct
{
  gchar *id;
  gchar *content_type;
  gchar *mime_type;
  gchar *lang;
  GArray *representations;
} GstP2pDashAdaptationSet;

/**
 * GstP2pDashPeriod:
 * @id: (nullable): @id
 * @start: on the MPD timeline, ns (from @start, or the previous Period's
 *   end)
 * @duration: ns, GST_CLOCK_TIME_NONE if unknown (last Period of a live MPD)
 * @adaptation_sets: array of #GstP2pDashAdaptationSet
 */
typedef struct
{
  gchar *id;
  GstClockTime start;
  GstClockTime duration;
  GArray *adaptation_sets;
} GstP2pDashPeriod;

/**
 * GstP2pDashMpd:
 * @uri: (nullable): the URI it was parsed against
 * @dynamic: MPD@type="dynamic"
 * @now: the wall-clock time it was parsed for, microseconds since the epoch
 * @availability_start_time: microseconds since the epoch, -1 if absent
 * @publish_time: microseconds since the epoch, -1 if absent
 * @media_presentation_duration: ns or GST_CLOCK_TIME_NONE, like all the
 *   durations below
 * @min_buffer_time: minBufferTime
 * @time_shift_buffer_depth: timeShiftBufferDepth
 * @minimum_update_period: minimumUpdatePeriod
 * @suggested_presentation_delay: suggestedPresentationDelay
 * @max_segment_duration: maxSegmentDuration
 * @periods: array of #GstP2pDashPeriod
 * @licence_uris: licence server URIs found in ContentProtection elements
 *   (Laurl / laurl elements, licenseUrl attributes): never for peers
 */
typedef struct
{
  gchar *uri;
  gboolean dynamic;
  gint64 now;
  gint64 availability_start_time;
  gint64 publish_time;
  GstClockTime media_presentation_duration;
  GstClockTime min_buffer_time;
  GstClockTime time_shift_buffer_depth;
  GstClockTime minimum_update_period;
  GstClockTime suggested_presentation_delay;
  GstClockTime max_segment_duration;
  GArray *periods;
  GPtrArray *licence_uris;
} GstP2pDashMpd;

GstP2pDashMpd *gst_p2p_dash_mpd_parse  (const gchar * data,
                                        gsize size,
                                        const gchar * uri,
                                        gint64 now,
                                        const GstP2pStreamLimits * limits,
                                        GError ** error);
void           gst_p2p_dash_mpd_free   (GstP2pDashMpd * mpd);

/* TRUE if @data looks like an XML document whose root is MPD. */
gboolean       gst_p2p_dash_mpd_detect (const gchar * data,
                                        gsize size);

gboolean       gst_p2p_dash_template_generate (const GstP2pDashTemplate * tmpl,
                                               gint64 now,
                                               guint max_segments,
                                               GArray * segments,
                                               GError ** error);
void           gst_p2p_dash_segment_clear     (GstP2pDashSegment * segment);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pDashMpd, gst_p2p_dash_mpd_free)

G_END_DECLS

#endif /* __GST_P2P_DASH_MPD_H__ */
