/* The peer wire protocol: frame structs, encoder and a bounded decoder.
 *
 * docs/protocol.md is the specification; this is its codec. Plain C over
 * plain structs: no GObject, no I/O, no clock. The transport hands it the
 * bytes of an SCTP message (gst_p2p_wire_parse()) or of a byte stream
 * (GstP2pWireDecoder); the engine decides what frames mean.
 *
 * Threads: no global state; a GstP2pWireDecoder belongs to one thread at a
 * time (in practice the network thread, GstP2pLoop).
 */
#ifndef __GST_P2P_WIRE_H__
#define __GST_P2P_WIRE_H__

#include <glib.h>

G_BEGIN_DECLS

/* Constants of protocol version 1.0 (see the Limits table of the spec). */
#define GST_P2P_WIRE_MAGIC                0x50
#define GST_P2P_WIRE_VERSION_MAJOR        1
#define GST_P2P_WIRE_VERSION_MINOR        0
#define GST_P2P_WIRE_HEADER_SIZE          8
#define GST_P2P_WIRE_DATA_HEADER_SIZE     12
#define GST_P2P_WIRE_MAX_DATA_PAYLOAD     16384
#define GST_P2P_WIRE_MAX_CONTROL_PAYLOAD  1024
/* largest payload of any frame, known or unknown type */
#define GST_P2P_WIRE_MAX_PAYLOAD \
    (GST_P2P_WIRE_DATA_HEADER_SIZE + GST_P2P_WIRE_MAX_DATA_PAYLOAD)
#define GST_P2P_WIRE_MAX_FRAME_SIZE \
    (GST_P2P_WIRE_HEADER_SIZE + GST_P2P_WIRE_MAX_PAYLOAD)
#define GST_P2P_WIRE_MAX_BITFIELD_BITS    4096
#define GST_P2P_WIRE_MAX_REQUESTS         64
#define GST_P2P_WIRE_MAX_REQUEST_SIZE     (64u * 1024 * 1024)
#define GST_P2P_WIRE_MAX_SEGMENT_SIZE     (256u * 1024 * 1024)
#define GST_P2P_WIRE_MAX_BYE_TEXT         200
#define GST_P2P_WIRE_SWARM_ID_SIZE        32
#define GST_P2P_WIRE_PEER_ID_SIZE         16
/* REQUEST end meaning "to the end of the segment" */
#define GST_P2P_WIRE_RANGE_END_OPEN       G_MAXUINT32

typedef enum
{
  GST_P2P_WIRE_HELLO = 0x01,
  GST_P2P_WIRE_BYE = 0x02,
  GST_P2P_WIRE_HAVE = 0x03,
  GST_P2P_WIRE_BITFIELD = 0x04,
  GST_P2P_WIRE_FETCHING = 0x05,
  GST_P2P_WIRE_REQUEST = 0x06,
  GST_P2P_WIRE_DATA = 0x07,
  GST_P2P_WIRE_CANCEL = 0x08,
  GST_P2P_WIRE_ABSENT = 0x09,
} GstP2pWireType;

/* Flags, per type. Unknown bits are ignored by receivers. */
#define GST_P2P_WIRE_FLAG_FETCHING_ABORTED  0x01
#define GST_P2P_WIRE_FLAG_DATA_LAST         0x01

/* HELLO capability bits */
#define GST_P2P_WIRE_CAP_RANGES    (1u << 0)
#define GST_P2P_WIRE_CAP_FETCHING  (1u << 1)

typedef enum
{
  GST_P2P_WIRE_BYE_NORMAL = 0,
  GST_P2P_WIRE_BYE_VERSION_MISMATCH = 1,
  GST_P2P_WIRE_BYE_PROTOCOL_ERROR = 2,
  GST_P2P_WIRE_BYE_WRONG_SWARM = 3,
  GST_P2P_WIRE_BYE_TOO_MANY_PEERS = 4,
  GST_P2P_WIRE_BYE_SHUTTING_DOWN = 5,
  GST_P2P_WIRE_BYE_TIMEOUT = 6,
} GstP2pWireByeReason;

typedef enum
{
  GST_P2P_WIRE_ABSENT_NOT_HAVE = 1,
  GST_P2P_WIRE_ABSENT_BUSY = 2,
  GST_P2P_WIRE_ABSENT_EVICTED = 3,
  GST_P2P_WIRE_ABSENT_BAD_RANGE = 4,
} GstP2pWireAbsentReason;

#define GST_P2P_WIRE_ERROR (gst_p2p_wire_error_quark ())

typedef enum
{
  GST_P2P_WIRE_ERROR_BAD_MAGIC,
  GST_P2P_WIRE_ERROR_VERSION,
  GST_P2P_WIRE_ERROR_TOO_LARGE,
  GST_P2P_WIRE_ERROR_TOO_SHORT,
  GST_P2P_WIRE_ERROR_BAD_RANGE,
  GST_P2P_WIRE_ERROR_BITFIELD_TOO_LARGE,
  GST_P2P_WIRE_ERROR_BAD_VALUE,
} GstP2pWireError;

/* What one parse/push produced. */
typedef enum
{
  GST_P2P_WIRE_FRAME,           /* a whole, valid frame is in *frame */
  GST_P2P_WIRE_NEED_MORE,       /* all input consumed, frame incomplete */
  GST_P2P_WIRE_SKIPPED,         /* a frame of unknown type was skipped */
  GST_P2P_WIRE_FAILED,          /* malformed input, error set */
} GstP2pWireStatus;

typedef struct
{
  guint8 major;
  guint8 minor;
  guint16 max_requests;         /* 0..GST_P2P_WIRE_MAX_REQUESTS */
  guint32 capabilities;         /* GST_P2P_WIRE_CAP_* */
  guint8 swarm_id[GST_P2P_WIRE_SWARM_ID_SIZE];
  guint8 peer_id[GST_P2P_WIRE_PEER_ID_SIZE];
} GstP2pWireHello;

typedef struct
{
  guint8 reason;                /* GstP2pWireByeReason, unknown = normal */
  gchar text[GST_P2P_WIRE_MAX_BYE_TEXT + 1];    /* NUL-terminated UTF-8 */
} GstP2pWireBye;

/* HAVE and FETCHING */
typedef struct
{
  guint64 segment_id;
} GstP2pWireSegment;

typedef struct
{
  guint64 base;
  guint16 n_bits;               /* 0..GST_P2P_WIRE_MAX_BITFIELD_BITS */
  const guint8 *bitmap;         /* (n_bits + 7) / 8 bytes, borrowed */
} GstP2pWireBitfield;

typedef struct
{
  guint32 request_id;
  guint64 segment_id;
  guint32 start;
  guint32 end;                  /* exclusive, or GST_P2P_WIRE_RANGE_END_OPEN */
} GstP2pWireRequest;

typedef struct
{
  guint32 request_id;
  guint32 offset;
  guint32 segment_size;
  guint32 payload_len;          /* 1..GST_P2P_WIRE_MAX_DATA_PAYLOAD */
  const guint8 *payload;        /* borrowed */
} GstP2pWireData;

/* CANCEL and ABSENT */
typedef struct
{
  guint32 request_id;
  guint8 reason;                /* ABSENT only: GstP2pWireAbsentReason */
} GstP2pWireReply;

/* One frame. `type` selects the member; for GST_P2P_WIRE_SKIPPED it holds
 * the unknown type and no member is set. */
typedef struct
{
  GstP2pWireType type;
  guint8 flags;
  union
  {
    GstP2pWireHello hello;
    GstP2pWireBye bye;
    GstP2pWireSegment have;
    GstP2pWireSegment fetching;
    GstP2pWireBitfield bitfield;
    GstP2pWireRequest request;
    GstP2pWireData data;
    GstP2pWireReply cancel;
    GstP2pWireReply absent;
  };
} GstP2pWireFrame;

typedef struct _GstP2pWireDecoder GstP2pWireDecoder;

GQuark           gst_p2p_wire_error_quark (void);

gboolean         gst_p2p_wire_encode (GByteArray * out,
                                      const GstP2pWireFrame * frame,
                                      GError ** error);

GstP2pWireStatus gst_p2p_wire_parse (const guint8 * data,
                                     gsize len,
                                     gsize * consumed,
                                     GstP2pWireFrame * frame,
                                     GError ** error);

GstP2pWireDecoder * gst_p2p_wire_decoder_new (gsize max_frame_size);
void             gst_p2p_wire_decoder_free (GstP2pWireDecoder * dec);
GstP2pWireStatus gst_p2p_wire_decoder_push (GstP2pWireDecoder * dec,
                                            const guint8 * data,
                                            gsize len,
                                            gsize * consumed,
                                            GstP2pWireFrame * frame,
                                            GError ** error);
gsize            gst_p2p_wire_decoder_get_max_frame_size (GstP2pWireDecoder * dec);
gsize            gst_p2p_wire_decoder_get_buffered (GstP2pWireDecoder * dec);
guint64          gst_p2p_wire_decoder_get_skipped (GstP2pWireDecoder * dec);

gboolean         gst_p2p_wire_bitfield_get (const GstP2pWireBitfield * bitfield,
                                            guint64 segment_id);
GstP2pWireByeReason gst_p2p_wire_error_to_bye_reason (const GError * error);
const gchar *    gst_p2p_wire_type_get_name (guint type);
const gchar *    gst_p2p_wire_bye_reason_get_name (guint reason);
const gchar *    gst_p2p_wire_absent_reason_get_name (guint reason);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pWireDecoder, gst_p2p_wire_decoder_free)

G_END_DECLS

#endif /* __GST_P2P_WIRE_H__ */
