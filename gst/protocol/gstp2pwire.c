/* The peer wire protocol codec. See gstp2pwire.h and docs/protocol.md.
 *
 * Every byte handed to the parser comes from an untrusted peer: each length
 * is checked against a limit before anything is read or buffered, every
 * arithmetic on wire values is done in 64 bits, and a decoder never holds
 * more than one frame.
 *
 * Threads: no global state besides the debug category; a decoder is used by
 * one thread at a time.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/gst.h>

#include "protocol/gstp2pwire.h"

GST_DEBUG_CATEGORY_STATIC (p2p_protocol_debug);
#define GST_CAT_DEFAULT p2p_protocol_debug

static void
ensure_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (p2p_protocol_debug, "p2p-protocol", 0,
        "gst-p2p peer wire protocol");
    g_once_init_leave (&done, 1);
  }
}

G_DEFINE_QUARK (gst - p2p - wire - error - quark, gst_p2p_wire_error);

/* Big-endian access, byte by byte: wire fields sit at any alignment, and
 * GST_READ_UINT32_BE() does unaligned loads on x86, which is undefined
 * behaviour that UBSan (and other architectures) refuse. */
static inline guint16
read_u16 (const guint8 * p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static inline guint32
read_u32 (const guint8 * p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 |
      p[3];
}

static inline guint64
read_u64 (const guint8 * p)
{
  return (guint64) read_u32 (p) << 32 | read_u32 (p + 4);
}

static inline void
write_u16 (guint8 * p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

static inline void
write_u32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}

static inline void
write_u64 (guint8 * p, guint64 v)
{
  write_u32 (p, v >> 32);
  write_u32 (p + 4, v & G_MAXUINT32);
}

#define HELLO_SIZE (4 + 4 + GST_P2P_WIRE_SWARM_ID_SIZE + GST_P2P_WIRE_PEER_ID_SIZE)

/* Smallest payload of a known type, 0 for an unknown type. DATA's minimum
 * excludes the payload so an empty DATA gets its own, clearer error. */
static guint
type_min_payload (guint type)
{
  switch (type) {
    case GST_P2P_WIRE_HELLO:
      return HELLO_SIZE;
    case GST_P2P_WIRE_BYE:
      return 2;
    case GST_P2P_WIRE_HAVE:
    case GST_P2P_WIRE_FETCHING:
      return 8;
    case GST_P2P_WIRE_BITFIELD:
      return 10;
    case GST_P2P_WIRE_REQUEST:
      return 20;
    case GST_P2P_WIRE_DATA:
      return GST_P2P_WIRE_DATA_HEADER_SIZE;
    case GST_P2P_WIRE_CANCEL:
      return 4;
    case GST_P2P_WIRE_ABSENT:
      return 5;
    default:
      return 0;
  }
}

static gboolean
type_is_known (guint type)
{
  return type_min_payload (type) > 0;
}

static guint32
type_max_payload (guint type)
{
  if (type == GST_P2P_WIRE_DATA || !type_is_known (type))
    return GST_P2P_WIRE_MAX_PAYLOAD;
  return GST_P2P_WIRE_MAX_CONTROL_PAYLOAD;
}

/* Checks as much of a header as @avail bytes allow, so garbage is refused on
 * its first byte. Returns 1 when the header is complete and acceptable, 0
 * when more bytes are needed, -1 on error. @max_payload is the reader's own
 * limit, which may be smaller than the protocol's. */
static gint
check_header (const guint8 * p, gsize avail, guint32 max_payload,
    guint * type, guint32 * length, GError ** error)
{
  guint32 limit;

  if (avail >= 1 && p[0] != GST_P2P_WIRE_MAGIC) {
    g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_MAGIC,
        "bad magic 0x%02x", p[0]);
    return -1;
  }
  if (avail >= 2 && p[1] != GST_P2P_WIRE_VERSION_MAJOR) {
    g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_VERSION,
        "peer speaks protocol version %u, we speak %u", p[1],
        GST_P2P_WIRE_VERSION_MAJOR);
    return -1;
  }
  if (avail < GST_P2P_WIRE_HEADER_SIZE)
    return 0;

  *type = p[2];
  *length = read_u32 (p + 4);
  limit = MIN (type_max_payload (*type), max_payload);
  if (*length > limit) {
    g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_TOO_LARGE,
        "%s frame of %u bytes, limit %u", gst_p2p_wire_type_get_name (*type),
        *length, limit);
    return -1;
  }
  if (*length < type_min_payload (*type)) {
    g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_TOO_SHORT,
        "%s frame of %u bytes, needs %u", gst_p2p_wire_type_get_name (*type),
        *length, type_min_payload (*type));
    return -1;
  }
  return 1;
}

/* Decodes the payload of a known type whose length already passed
 * check_header(). Bytes after the last known field are ignored: later minor
 * versions may append fields. */
static gboolean
parse_payload (guint type, const guint8 * p, guint32 len,
    GstP2pWireFrame * frame, GError ** error)
{
  switch (type) {
    case GST_P2P_WIRE_HELLO:{
      GstP2pWireHello *h = &frame->hello;

      h->major = p[0];
      h->minor = p[1];
      h->max_requests = read_u16 (p + 2);
      h->capabilities = read_u32 (p + 4);
      memcpy (h->swarm_id, p + 8, GST_P2P_WIRE_SWARM_ID_SIZE);
      memcpy (h->peer_id, p + 8 + GST_P2P_WIRE_SWARM_ID_SIZE,
          GST_P2P_WIRE_PEER_ID_SIZE);
      if (h->major != GST_P2P_WIRE_VERSION_MAJOR) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_VERSION,
            "HELLO announces version %u.%u, we speak %u", h->major, h->minor,
            GST_P2P_WIRE_VERSION_MAJOR);
        return FALSE;
      }
      if (h->max_requests > GST_P2P_WIRE_MAX_REQUESTS) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_VALUE,
            "HELLO max_requests %u above limit %u", h->max_requests,
            GST_P2P_WIRE_MAX_REQUESTS);
        return FALSE;
      }
      return TRUE;
    }
    case GST_P2P_WIRE_BYE:{
      guint text_len = p[1];

      frame->bye.reason = p[0];
      if (text_len > GST_P2P_WIRE_MAX_BYE_TEXT) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_VALUE,
            "BYE text of %u bytes, limit %u", text_len,
            GST_P2P_WIRE_MAX_BYE_TEXT);
        return FALSE;
      }
      if (2 + text_len > len) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_TOO_SHORT,
            "BYE text of %u bytes in a %u-byte frame", text_len, len);
        return FALSE;
      }
      /* with an explicit length, g_utf8_validate() also refuses NUL */
      if (text_len > 0 && !g_utf8_validate ((const gchar *) p + 2, text_len,
              NULL)) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_VALUE,
            "BYE text is not valid UTF-8");
        return FALSE;
      }
      memcpy (frame->bye.text, p + 2, text_len);
      frame->bye.text[text_len] = '\0';
      return TRUE;
    }
    case GST_P2P_WIRE_HAVE:
    case GST_P2P_WIRE_FETCHING:
      /* have and fetching share their layout */
      frame->have.segment_id = read_u64 (p);
      return TRUE;
    case GST_P2P_WIRE_BITFIELD:{
      GstP2pWireBitfield *b = &frame->bitfield;
      guint n_bytes;

      b->base = read_u64 (p);
      b->n_bits = read_u16 (p + 8);
      b->bitmap = p + 10;
      if (b->n_bits > GST_P2P_WIRE_MAX_BITFIELD_BITS) {
        g_set_error (error, GST_P2P_WIRE_ERROR,
            GST_P2P_WIRE_ERROR_BITFIELD_TOO_LARGE,
            "BITFIELD of %u segments, limit %u", b->n_bits,
            GST_P2P_WIRE_MAX_BITFIELD_BITS);
        return FALSE;
      }
      n_bytes = (b->n_bits + 7) / 8;
      if (10 + n_bytes > len) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_TOO_SHORT,
            "BITFIELD of %u segments in a %u-byte frame", b->n_bits, len);
        return FALSE;
      }
      if (b->n_bits % 8 != 0 &&
          (b->bitmap[n_bytes - 1] & (0xff >> (b->n_bits % 8))) != 0) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_VALUE,
            "BITFIELD padding bits set");
        return FALSE;
      }
      if (b->n_bits > 0 && b->base > G_MAXUINT64 - (b->n_bits - 1)) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_RANGE,
            "BITFIELD base %" G_GUINT64_FORMAT " + %u segments overflows",
            b->base, b->n_bits);
        return FALSE;
      }
      return TRUE;
    }
    case GST_P2P_WIRE_REQUEST:{
      GstP2pWireRequest *r = &frame->request;

      r->request_id = read_u32 (p);
      r->segment_id = read_u64 (p + 4);
      r->start = read_u32 (p + 12);
      r->end = read_u32 (p + 16);
      if (r->end == GST_P2P_WIRE_RANGE_END_OPEN) {
        if (r->start >= GST_P2P_WIRE_MAX_SEGMENT_SIZE) {
          g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_RANGE,
              "REQUEST start %u beyond the segment size limit %u", r->start,
              GST_P2P_WIRE_MAX_SEGMENT_SIZE);
          return FALSE;
        }
      } else if (r->end <= r->start) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_RANGE,
            "REQUEST range [%u, %u) is empty or reversed", r->start, r->end);
        return FALSE;
      } else if (r->end > GST_P2P_WIRE_MAX_SEGMENT_SIZE) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_RANGE,
            "REQUEST end %u beyond the segment size limit %u", r->end,
            GST_P2P_WIRE_MAX_SEGMENT_SIZE);
        return FALSE;
      } else if (r->end - r->start > GST_P2P_WIRE_MAX_REQUEST_SIZE) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_RANGE,
            "REQUEST of %u bytes, limit %u", r->end - r->start,
            GST_P2P_WIRE_MAX_REQUEST_SIZE);
        return FALSE;
      }
      return TRUE;
    }
    case GST_P2P_WIRE_DATA:{
      GstP2pWireData *d = &frame->data;

      d->request_id = read_u32 (p);
      d->offset = read_u32 (p + 4);
      d->segment_size = read_u32 (p + 8);
      d->payload_len = len - GST_P2P_WIRE_DATA_HEADER_SIZE;
      d->payload = p + GST_P2P_WIRE_DATA_HEADER_SIZE;
      if (d->payload_len == 0) {
        /* an empty chunk makes no progress: refusing it bounds the work a
         * peer can cause per byte it sends */
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_VALUE,
            "empty DATA for request %u", d->request_id);
        return FALSE;
      }
      if (d->segment_size == 0 ||
          d->segment_size > GST_P2P_WIRE_MAX_SEGMENT_SIZE) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_VALUE,
            "DATA segment size %u outside 1..%u", d->segment_size,
            GST_P2P_WIRE_MAX_SEGMENT_SIZE);
        return FALSE;
      }
      if ((guint64) d->offset + d->payload_len > d->segment_size) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_RANGE,
            "DATA [%u, %" G_GUINT64_FORMAT ") beyond segment size %u",
            d->offset, (guint64) d->offset + d->payload_len, d->segment_size);
        return FALSE;
      }
      return TRUE;
    }
    case GST_P2P_WIRE_CANCEL:
      frame->cancel.request_id = read_u32 (p);
      frame->cancel.reason = 0;
      return TRUE;
    case GST_P2P_WIRE_ABSENT:
      frame->absent.request_id = read_u32 (p);
      frame->absent.reason = p[4];
      return TRUE;
    default:
      g_assert_not_reached ();
      return FALSE;
  }
}

static GstP2pWireStatus
parse_internal (guint32 max_payload, const guint8 * data, gsize len,
    gsize * consumed, GstP2pWireFrame * frame, GError ** error)
{
  guint type = 0;
  guint32 length = 0;
  gint r;

  *consumed = 0;
  r = check_header (data, len, max_payload, &type, &length, error);
  if (r < 0)
    return GST_P2P_WIRE_FAILED;
  if (r == 0 || len - GST_P2P_WIRE_HEADER_SIZE < length)
    return GST_P2P_WIRE_NEED_MORE;

  memset (frame, 0, sizeof (*frame));
  frame->type = type;
  frame->flags = data[3];

  if (!type_is_known (type)) {
    GST_DEBUG ("skipping frame of unknown type 0x%02x, %u bytes", type, length);
    *consumed = GST_P2P_WIRE_HEADER_SIZE + length;
    return GST_P2P_WIRE_SKIPPED;
  }
  if (!parse_payload (type, data + GST_P2P_WIRE_HEADER_SIZE, length, frame,
          error))
    return GST_P2P_WIRE_FAILED;

  GST_LOG ("%s frame, %u bytes, flags 0x%02x",
      gst_p2p_wire_type_get_name (type), length, frame->flags);
  *consumed = GST_P2P_WIRE_HEADER_SIZE + length;
  return GST_P2P_WIRE_FRAME;
}

/**
 * gst_p2p_wire_parse:
 * @data: bytes starting at a frame boundary, e.g. one SCTP message
 * @len: number of bytes at @data
 * @consumed: (out): bytes used by the frame (0 unless FRAME or SKIPPED)
 * @frame: (out caller-allocates): the frame; its pointers borrow from @data
 * @error: a #GST_P2P_WIRE_ERROR when FAILED
 *
 * Decodes the frame at the start of @data with the protocol's limits. On a
 * message transport, NEED_MORE at the end of a message means the message is
 * truncated, which is a protocol error (#GST_P2P_WIRE_ERROR_TOO_SHORT).
 *
 * Returns: what was found.
 */
GstP2pWireStatus
gst_p2p_wire_parse (const guint8 * data, gsize len, gsize * consumed,
    GstP2pWireFrame * frame, GError ** error)
{
  GstP2pWireStatus status;
  GError *err = NULL;

  ensure_debug ();
  g_return_val_if_fail (data != NULL || len == 0, GST_P2P_WIRE_FAILED);
  g_return_val_if_fail (consumed != NULL, GST_P2P_WIRE_FAILED);
  g_return_val_if_fail (frame != NULL, GST_P2P_WIRE_FAILED);

  status = parse_internal (GST_P2P_WIRE_MAX_PAYLOAD, data, len, consumed,
      frame, &err);
  if (status == GST_P2P_WIRE_FAILED) {
    GST_DEBUG ("malformed frame: %s", err->message);
    g_propagate_error (error, err);
  }
  return status;
}

static void
put_u16 (GByteArray * out, guint16 v)
{
  guint8 b[2];

  write_u16 (b, v);
  g_byte_array_append (out, b, 2);
}

static void
put_u32 (GByteArray * out, guint32 v)
{
  guint8 b[4];

  write_u32 (b, v);
  g_byte_array_append (out, b, 4);
}

static void
put_u64 (GByteArray * out, guint64 v)
{
  guint8 b[8];

  write_u64 (b, v);
  g_byte_array_append (out, b, 8);
}

/**
 * gst_p2p_wire_encode:
 * @out: where the frame is appended
 * @frame: the frame; flags are written as given
 * @error: a #GST_P2P_WIRE_ERROR when the frame breaks a protocol rule
 *
 * Appends one frame to @out. The bytes are decoded again before returning,
 * so whatever this emits is accepted by gst_p2p_wire_parse(); on failure
 * @out is left as it was.
 *
 * Returns: %TRUE if the frame was appended.
 */
gboolean
gst_p2p_wire_encode (GByteArray * out, const GstP2pWireFrame * frame,
    GError ** error)
{
  guint start, payload_len;
  guint8 header[GST_P2P_WIRE_HEADER_SIZE] = { GST_P2P_WIRE_MAGIC,
    GST_P2P_WIRE_VERSION_MAJOR, 0, 0, 0, 0, 0, 0
  };
  GstP2pWireFrame check;
  GstP2pWireStatus status;
  gsize used;
  GError *err = NULL;

  ensure_debug ();
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  /* refuse what would make us read or write out of bounds; everything else
   * is judged by decoding the result below */
  switch (frame->type) {
    case GST_P2P_WIRE_BYE:
      if (strnlen (frame->bye.text, sizeof (frame->bye.text)) >
          GST_P2P_WIRE_MAX_BYE_TEXT) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_VALUE,
            "BYE text is not NUL-terminated within %u bytes",
            GST_P2P_WIRE_MAX_BYE_TEXT);
        return FALSE;
      }
      break;
    case GST_P2P_WIRE_BITFIELD:
      if (frame->bitfield.n_bits > GST_P2P_WIRE_MAX_BITFIELD_BITS) {
        g_set_error (error, GST_P2P_WIRE_ERROR,
            GST_P2P_WIRE_ERROR_BITFIELD_TOO_LARGE,
            "BITFIELD of %u segments, limit %u", frame->bitfield.n_bits,
            GST_P2P_WIRE_MAX_BITFIELD_BITS);
        return FALSE;
      }
      g_return_val_if_fail (frame->bitfield.n_bits == 0
          || frame->bitfield.bitmap != NULL, FALSE);
      break;
    case GST_P2P_WIRE_DATA:
      if (frame->data.payload_len > GST_P2P_WIRE_MAX_DATA_PAYLOAD) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_TOO_LARGE,
            "DATA payload of %u bytes, limit %u", frame->data.payload_len,
            GST_P2P_WIRE_MAX_DATA_PAYLOAD);
        return FALSE;
      }
      g_return_val_if_fail (frame->data.payload_len == 0
          || frame->data.payload != NULL, FALSE);
      break;
    default:
      if (!type_is_known (frame->type)) {
        g_set_error (error, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_BAD_VALUE,
            "cannot encode unknown frame type 0x%02x", frame->type);
        return FALSE;
      }
      break;
  }

  start = out->len;
  header[2] = frame->type;
  header[3] = frame->flags;
  g_byte_array_append (out, header, sizeof (header));

  switch (frame->type) {
    case GST_P2P_WIRE_HELLO:{
      const GstP2pWireHello *h = &frame->hello;
      guint8 v[2] = { h->major, h->minor };

      g_byte_array_append (out, v, 2);
      put_u16 (out, h->max_requests);
      put_u32 (out, h->capabilities);
      g_byte_array_append (out, h->swarm_id, GST_P2P_WIRE_SWARM_ID_SIZE);
      g_byte_array_append (out, h->peer_id, GST_P2P_WIRE_PEER_ID_SIZE);
      break;
    }
    case GST_P2P_WIRE_BYE:{
      guint8 v[2] = { frame->bye.reason, strlen (frame->bye.text) };

      g_byte_array_append (out, v, 2);
      g_byte_array_append (out, (const guint8 *) frame->bye.text, v[1]);
      break;
    }
    case GST_P2P_WIRE_HAVE:
    case GST_P2P_WIRE_FETCHING:
      put_u64 (out, frame->have.segment_id);
      break;
    case GST_P2P_WIRE_BITFIELD:
      put_u64 (out, frame->bitfield.base);
      put_u16 (out, frame->bitfield.n_bits);
      if (frame->bitfield.n_bits > 0)
        g_byte_array_append (out, frame->bitfield.bitmap,
            (frame->bitfield.n_bits + 7) / 8);
      break;
    case GST_P2P_WIRE_REQUEST:
      put_u32 (out, frame->request.request_id);
      put_u64 (out, frame->request.segment_id);
      put_u32 (out, frame->request.start);
      put_u32 (out, frame->request.end);
      break;
    case GST_P2P_WIRE_DATA:
      put_u32 (out, frame->data.request_id);
      put_u32 (out, frame->data.offset);
      put_u32 (out, frame->data.segment_size);
      if (frame->data.payload_len > 0)
        g_byte_array_append (out, frame->data.payload, frame->data.payload_len);
      break;
    case GST_P2P_WIRE_CANCEL:
      put_u32 (out, frame->cancel.request_id);
      break;
    case GST_P2P_WIRE_ABSENT:{
      put_u32 (out, frame->absent.request_id);
      g_byte_array_append (out, &frame->absent.reason, 1);
      break;
    }
    default:
      g_assert_not_reached ();
  }

  payload_len = out->len - start - GST_P2P_WIRE_HEADER_SIZE;
  write_u32 (out->data + start + 4, payload_len);

  status = parse_internal (GST_P2P_WIRE_MAX_PAYLOAD, out->data + start,
      out->len - start, &used, &check, &err);
  if (status != GST_P2P_WIRE_FRAME) {
    g_assert (status == GST_P2P_WIRE_FAILED);
    GST_WARNING ("refusing to encode %s: %s",
        gst_p2p_wire_type_get_name (frame->type), err->message);
    g_propagate_error (error, err);
    g_byte_array_set_size (out, start);
    return FALSE;
  }
  return TRUE;
}

struct _GstP2pWireDecoder
{
  guint32 max_payload;
  /* the partial frame: header, then payload; allocated on demand, never
   * larger than header + max_payload */
  guint8 *buf;
  gsize buf_len;
  gsize buf_alloc;
  gsize need;                   /* whole size of the buffered frame, 0 = header not complete */
  /* an unknown frame being discarded as it arrives */
  gsize skip;
  guint skip_type;
  guint8 skip_flags;
  guint64 skipped;
  GError *failure;              /* sticky: a failed decoder stays failed */
};

/**
 * gst_p2p_wire_decoder_new:
 * @max_frame_size: largest frame accepted, header included; 0 for the
 *   protocol's (%GST_P2P_WIRE_MAX_FRAME_SIZE). Clamped so that every control
 *   frame still fits.
 *
 * Creates a decoder for a byte stream fed in arbitrary pieces. It never
 * holds more than @max_frame_size bytes.
 *
 * Returns: (transfer full): a new decoder.
 */
GstP2pWireDecoder *
gst_p2p_wire_decoder_new (gsize max_frame_size)
{
  GstP2pWireDecoder *dec = g_new0 (GstP2pWireDecoder, 1);

  ensure_debug ();
  if (max_frame_size == 0)
    max_frame_size = GST_P2P_WIRE_MAX_FRAME_SIZE;
  max_frame_size = CLAMP (max_frame_size,
      GST_P2P_WIRE_HEADER_SIZE + GST_P2P_WIRE_MAX_CONTROL_PAYLOAD,
      GST_P2P_WIRE_MAX_FRAME_SIZE);
  dec->max_payload = max_frame_size - GST_P2P_WIRE_HEADER_SIZE;
  return dec;
}

/**
 * gst_p2p_wire_decoder_free:
 * @dec: (transfer full) (nullable): a decoder
 */
void
gst_p2p_wire_decoder_free (GstP2pWireDecoder * dec)
{
  if (dec == NULL)
    return;
  g_free (dec->buf);
  g_clear_error (&dec->failure);
  g_free (dec);
}

/**
 * gst_p2p_wire_decoder_get_max_frame_size:
 * @dec: a decoder
 *
 * Returns: the largest frame @dec accepts, header included.
 */
gsize
gst_p2p_wire_decoder_get_max_frame_size (GstP2pWireDecoder * dec)
{
  g_return_val_if_fail (dec != NULL, 0);
  return GST_P2P_WIRE_HEADER_SIZE + dec->max_payload;
}

/**
 * gst_p2p_wire_decoder_get_buffered:
 * @dec: a decoder
 *
 * Returns: bytes of a partial frame @dec currently holds.
 */
gsize
gst_p2p_wire_decoder_get_buffered (GstP2pWireDecoder * dec)
{
  g_return_val_if_fail (dec != NULL, 0);
  return dec->buf_len;
}

/**
 * gst_p2p_wire_decoder_get_skipped:
 * @dec: a decoder
 *
 * Returns: how many frames of unknown type @dec skipped.
 */
guint64
gst_p2p_wire_decoder_get_skipped (GstP2pWireDecoder * dec)
{
  g_return_val_if_fail (dec != NULL, 0);
  return dec->skipped;
}

static GstP2pWireStatus
decoder_fail (GstP2pWireDecoder * dec, GError * err, GError ** error)
{
  GST_DEBUG ("malformed frame: %s", err->message);
  dec->failure = err;
  dec->buf_len = 0;
  dec->need = 0;
  g_propagate_error (error, g_error_copy (err));
  return GST_P2P_WIRE_FAILED;
}

static void
decoder_append (GstP2pWireDecoder * dec, const guint8 * data, gsize n)
{
  if (n == 0)
    return;
  if (dec->buf_len + n > dec->buf_alloc) {
    /* buf_len + n never exceeds header + max_payload (callers bound n) */
    dec->buf_alloc = MAX (dec->buf_len + n, GST_P2P_WIRE_HEADER_SIZE);
    dec->buf = g_realloc (dec->buf, dec->buf_alloc);
  }
  memcpy (dec->buf + dec->buf_len, data, n);
  dec->buf_len += n;
}

/* Discards up to @avail bytes of the unknown frame being skipped. */
static GstP2pWireStatus
decoder_skip (GstP2pWireDecoder * dec, gsize avail, gsize * used,
    GstP2pWireFrame * frame)
{
  gsize n = MIN (avail, dec->skip);

  dec->skip -= n;
  *used = n;
  if (dec->skip > 0)
    return GST_P2P_WIRE_NEED_MORE;

  GST_DEBUG ("skipped frame of unknown type 0x%02x", dec->skip_type);
  memset (frame, 0, sizeof (*frame));
  frame->type = dec->skip_type;
  frame->flags = dec->skip_flags;
  dec->skipped++;
  return GST_P2P_WIRE_SKIPPED;
}

/**
 * gst_p2p_wire_decoder_push:
 * @dec: a decoder
 * @data: the next bytes of the stream
 * @len: number of bytes at @data
 * @consumed: (out): how many bytes of @data were used
 * @frame: (out caller-allocates): the frame when FRAME (or the unknown type
 *   when SKIPPED). Its pointers borrow from @data or from @dec: they stay
 *   valid until the next call on @dec, and while @data is alive.
 * @error: a #GST_P2P_WIRE_ERROR when FAILED
 *
 * Consumes bytes until one result is known: call again with the rest of
 * @data (from @data + *@consumed) until everything is consumed. NEED_MORE
 * is returned only when all of @len was used. After FAILED the decoder keeps
 * failing with the same error: the link must be closed.
 *
 * Returns: what was found.
 */
GstP2pWireStatus
gst_p2p_wire_decoder_push (GstP2pWireDecoder * dec, const guint8 * data,
    gsize len, gsize * consumed, GstP2pWireFrame * frame, GError ** error)
{
  GstP2pWireStatus status;
  GError *err = NULL;
  gsize off = 0, used = 0, n;

  g_return_val_if_fail (dec != NULL, GST_P2P_WIRE_FAILED);
  g_return_val_if_fail (data != NULL || len == 0, GST_P2P_WIRE_FAILED);
  g_return_val_if_fail (consumed != NULL, GST_P2P_WIRE_FAILED);
  g_return_val_if_fail (frame != NULL, GST_P2P_WIRE_FAILED);

  *consumed = 0;
  if (dec->failure) {
    g_propagate_error (error, g_error_copy (dec->failure));
    return GST_P2P_WIRE_FAILED;
  }

  if (dec->skip > 0) {
    status = decoder_skip (dec, len, consumed, frame);
    return status;
  }

  if (dec->buf_len == 0) {
    /* fast path: a whole frame in the input is decoded in place */
    status = parse_internal (dec->max_payload, data, len, &used, frame, &err);
    if (status == GST_P2P_WIRE_FAILED)
      return decoder_fail (dec, err, error);
    if (status != GST_P2P_WIRE_NEED_MORE) {
      if (status == GST_P2P_WIRE_SKIPPED)
        dec->skipped++;
      *consumed = used;
      return status;
    }
  }

  if (dec->need == 0) {
    guint type = 0;
    guint32 length = 0;
    gint r;

    n = MIN (GST_P2P_WIRE_HEADER_SIZE - dec->buf_len, len);
    decoder_append (dec, data, n);
    off = n;
    r = check_header (dec->buf, dec->buf_len, dec->max_payload, &type,
        &length, &err);
    if (r < 0)
      return decoder_fail (dec, err, error);
    if (r == 0) {
      *consumed = off;
      return GST_P2P_WIRE_NEED_MORE;
    }
    if (!type_is_known (type)) {
      /* discard as it arrives: an unknown frame is never buffered */
      dec->skip = length;
      dec->skip_type = type;
      dec->skip_flags = dec->buf[3];
      dec->buf_len = 0;
      status = decoder_skip (dec, len - off, &used, frame);
      *consumed = off + used;
      return status;
    }
    dec->need = GST_P2P_WIRE_HEADER_SIZE + length;
  }

  n = MIN (dec->need - dec->buf_len, len - off);
  decoder_append (dec, data + off, n);
  off += n;
  *consumed = off;
  if (dec->buf_len < dec->need)
    return GST_P2P_WIRE_NEED_MORE;

  status = parse_internal (dec->max_payload, dec->buf, dec->buf_len, &used,
      frame, &err);
  /* the bytes stay in place for the frame's pointers until the next call */
  dec->buf_len = 0;
  dec->need = 0;
  if (status == GST_P2P_WIRE_FAILED)
    return decoder_fail (dec, err, error);
  g_assert (status == GST_P2P_WIRE_FRAME);
  return status;
}

/**
 * gst_p2p_wire_bitfield_get:
 * @bitfield: a decoded BITFIELD
 * @segment_id: a segment
 *
 * Returns: %TRUE if @bitfield says its sender holds @segment_id.
 */
gboolean
gst_p2p_wire_bitfield_get (const GstP2pWireBitfield * bitfield,
    guint64 segment_id)
{
  guint64 i;

  g_return_val_if_fail (bitfield != NULL, FALSE);
  if (segment_id < bitfield->base)
    return FALSE;
  i = segment_id - bitfield->base;
  if (i >= bitfield->n_bits)
    return FALSE;
  return (bitfield->bitmap[i / 8] & (0x80 >> (i % 8))) != 0;
}

/**
 * gst_p2p_wire_error_to_bye_reason:
 * @error: an error from the decoder
 *
 * Returns: the reason to send in the BYE that closes the link.
 */
GstP2pWireByeReason
gst_p2p_wire_error_to_bye_reason (const GError * error)
{
  if (error != NULL && g_error_matches (error, GST_P2P_WIRE_ERROR,
          GST_P2P_WIRE_ERROR_VERSION))
    return GST_P2P_WIRE_BYE_VERSION_MISMATCH;
  return GST_P2P_WIRE_BYE_PROTOCOL_ERROR;
}

/**
 * gst_p2p_wire_type_get_name:
 * @type: a frame type
 *
 * Returns: its name for logs, "UNKNOWN" for unknown types.
 */
const gchar *
gst_p2p_wire_type_get_name (guint type)
{
  static const gchar *names[] = { NULL, "HELLO", "BYE", "HAVE", "BITFIELD",
    "FETCHING", "REQUEST", "DATA", "CANCEL", "ABSENT"
  };

  if (type < G_N_ELEMENTS (names) && names[type] != NULL)
    return names[type];
  return "UNKNOWN";
}

/**
 * gst_p2p_wire_bye_reason_get_name:
 * @reason: a BYE reason
 *
 * Returns: its name for logs and statistics.
 */
const gchar *
gst_p2p_wire_bye_reason_get_name (guint reason)
{
  static const gchar *names[] = { "normal", "version-mismatch",
    "protocol-error", "wrong-swarm", "too-many-peers", "shutting-down",
    "timeout"
  };

  if (reason < G_N_ELEMENTS (names))
    return names[reason];
  return "unknown";
}

/**
 * gst_p2p_wire_absent_reason_get_name:
 * @reason: an ABSENT reason
 *
 * Returns: its name for logs and statistics.
 */
const gchar *
gst_p2p_wire_absent_reason_get_name (guint reason)
{
  static const gchar *names[] = { NULL, "not-have", "busy", "evicted",
    "bad-range"
  };

  if (reason < G_N_ELEMENTS (names) && names[reason] != NULL)
    return names[reason];
  return "unknown";
}
