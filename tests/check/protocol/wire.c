/* Unit tests of the peer wire protocol codec (gst/protocol/gstp2pwire.c):
 * round trips, the exact byte layout, incremental decoding in any split,
 * every limit on both sides, and a seeded random-input test that must
 * never crash and must always end in a frame or a clean error.
 *
 * Threads: everything runs on the test's own thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "protocol/gstp2pwire.h"

#define NO_ERROR (-1)

/* libcheck's fail_unless() reports every passing assertion to the parent
 * process through a pipe; these only call into libcheck on failure, which
 * keeps the loops below (millions of checks) fast. */
#define expect(cond, ...) G_STMT_START {                                \
  if (G_UNLIKELY (!(cond)))                                             \
    fail ("%s:%d: %s", __FILE__, __LINE__, #cond);                      \
} G_STMT_END
#define expect_not(cond) expect (!(cond))
#define expect_eq(a, b) G_STMT_START {                                  \
  guint64 _a = (guint64) (a), _b = (guint64) (b);                       \
  if (G_UNLIKELY (_a != _b))                                            \
    fail ("%s:%d: %s == %" G_GINT64_FORMAT ", expected %s == %"         \
        G_GINT64_FORMAT, __FILE__, __LINE__, #a, (gint64) _a, #b,       \
        (gint64) _b);                                                   \
} G_STMT_END

static guint8 data_payload[GST_P2P_WIRE_MAX_DATA_PAYLOAD];
static guint8 bitmap_payload[GST_P2P_WIRE_MAX_BITFIELD_BITS / 8];

static void
fill_patterns (void)
{
  guint i;

  for (i = 0; i < sizeof (data_payload); i++)
    data_payload[i] = (i * 7 + 3) & 0xff;
  for (i = 0; i < sizeof (bitmap_payload); i++)
    bitmap_payload[i] = (i * 13 + 5) & 0xff;
}

/* One frame of every type, with distinctive values. */
static guint
make_samples (GstP2pWireFrame * s)
{
  guint n = 0, i;

  memset (s, 0, sizeof (GstP2pWireFrame) * 9);

  s[n].type = GST_P2P_WIRE_HELLO;
  s[n].hello.major = GST_P2P_WIRE_VERSION_MAJOR;
  s[n].hello.minor = 7;
  s[n].hello.max_requests = 12;
  s[n].hello.capabilities = GST_P2P_WIRE_CAP_RANGES | GST_P2P_WIRE_CAP_FETCHING
      | 0x80000000u;
  for (i = 0; i < GST_P2P_WIRE_SWARM_ID_SIZE; i++)
    s[n].hello.swarm_id[i] = 0xa0 + i;
  for (i = 0; i < GST_P2P_WIRE_PEER_ID_SIZE; i++)
    s[n].hello.peer_id[i] = 0x10 + i;
  n++;

  s[n].type = GST_P2P_WIRE_BYE;
  s[n].bye.reason = GST_P2P_WIRE_BYE_WRONG_SWARM;
  g_strlcpy (s[n].bye.text, "swarm mismatch: caf\xc3\xa9",
      sizeof (s[n].bye.text));
  n++;

  s[n].type = GST_P2P_WIRE_HAVE;
  s[n].have.segment_id = G_GUINT64_CONSTANT (0x0102030405060708);
  n++;

  s[n].type = GST_P2P_WIRE_BITFIELD;
  s[n].bitfield.base = 1000;
  s[n].bitfield.n_bits = 24;
  s[n].bitfield.bitmap = (const guint8 *) "\xf0\x0f\x81";
  n++;

  s[n].type = GST_P2P_WIRE_FETCHING;
  s[n].flags = GST_P2P_WIRE_FLAG_FETCHING_ABORTED;
  s[n].fetching.segment_id = 4242;
  n++;

  s[n].type = GST_P2P_WIRE_REQUEST;
  s[n].request.request_id = 0xdeadbeef;
  s[n].request.segment_id = G_MAXUINT64;
  s[n].request.start = 100;
  s[n].request.end = 200000;
  n++;

  s[n].type = GST_P2P_WIRE_DATA;
  s[n].flags = GST_P2P_WIRE_FLAG_DATA_LAST;
  s[n].data.request_id = 77;
  s[n].data.offset = 16384;
  s[n].data.segment_size = 16384 + 5000;
  s[n].data.payload_len = 5000;
  s[n].data.payload = data_payload;
  n++;

  s[n].type = GST_P2P_WIRE_CANCEL;
  s[n].cancel.request_id = 78;
  n++;

  s[n].type = GST_P2P_WIRE_ABSENT;
  s[n].absent.request_id = 79;
  s[n].absent.reason = GST_P2P_WIRE_ABSENT_EVICTED;
  n++;

  return n;
}

static void
assert_frame_equal (const GstP2pWireFrame * a, const GstP2pWireFrame * b)
{
  expect_eq (a->type, b->type);
  expect_eq (a->flags, b->flags);
  switch (a->type) {
    case GST_P2P_WIRE_HELLO:
      expect_eq (a->hello.major, b->hello.major);
      expect_eq (a->hello.minor, b->hello.minor);
      expect_eq (a->hello.max_requests, b->hello.max_requests);
      expect_eq (a->hello.capabilities, b->hello.capabilities);
      expect (memcmp (a->hello.swarm_id, b->hello.swarm_id,
              GST_P2P_WIRE_SWARM_ID_SIZE) == 0);
      expect (memcmp (a->hello.peer_id, b->hello.peer_id,
              GST_P2P_WIRE_PEER_ID_SIZE) == 0);
      break;
    case GST_P2P_WIRE_BYE:
      expect_eq (a->bye.reason, b->bye.reason);
      expect (strcmp (a->bye.text, b->bye.text) == 0);
      break;
    case GST_P2P_WIRE_HAVE:
    case GST_P2P_WIRE_FETCHING:
      expect_eq (a->have.segment_id, b->have.segment_id);
      break;
    case GST_P2P_WIRE_BITFIELD:
      expect_eq (a->bitfield.base, b->bitfield.base);
      expect_eq (a->bitfield.n_bits, b->bitfield.n_bits);
      if (a->bitfield.n_bits > 0)
        expect (memcmp (a->bitfield.bitmap, b->bitfield.bitmap,
                (a->bitfield.n_bits + 7) / 8) == 0);
      break;
    case GST_P2P_WIRE_REQUEST:
      expect_eq (a->request.request_id, b->request.request_id);
      expect_eq (a->request.segment_id, b->request.segment_id);
      expect_eq (a->request.start, b->request.start);
      expect_eq (a->request.end, b->request.end);
      break;
    case GST_P2P_WIRE_DATA:
      expect_eq (a->data.request_id, b->data.request_id);
      expect_eq (a->data.offset, b->data.offset);
      expect_eq (a->data.segment_size, b->data.segment_size);
      expect_eq (a->data.payload_len, b->data.payload_len);
      expect (memcmp (a->data.payload, b->data.payload,
              a->data.payload_len) == 0);
      break;
    case GST_P2P_WIRE_CANCEL:
    case GST_P2P_WIRE_ABSENT:
      expect_eq (a->absent.request_id, b->absent.request_id);
      expect_eq (a->absent.reason, b->absent.reason);
      break;
    default:
      fail ("unexpected frame type %d", a->type);
  }
}

/* Encodes @f, asserting success, and returns the bytes. */
static GByteArray *
encode_ok (const GstP2pWireFrame * f)
{
  GByteArray *out = g_byte_array_new ();
  GError *err = NULL;

  if (!gst_p2p_wire_encode (out, f, &err))
    fail ("encoding %s failed: %s", gst_p2p_wire_type_get_name (f->type),
        err->message);
  return out;
}

static gint
encode_error (const GstP2pWireFrame * f)
{
  GByteArray *out = g_byte_array_new ();
  GError *err = NULL;
  gint code;

  g_byte_array_append (out, (const guint8 *) "xyz", 3);
  if (gst_p2p_wire_encode (out, f, &err)) {
    g_byte_array_unref (out);
    return NO_ERROR;
  }
  expect (err != NULL);
  expect (err->domain == GST_P2P_WIRE_ERROR);
  /* a refused frame leaves the output untouched */
  expect_eq (out->len, 3);
  code = err->code;
  g_error_free (err);
  g_byte_array_unref (out);
  return code;
}

/* A frame as raw bytes, with any header values. */
static GByteArray *
raw_frame (guint8 magic, guint8 version, guint8 type, guint8 flags,
    guint32 length, const guint8 * payload, gsize payload_len)
{
  GByteArray *out = g_byte_array_new ();
  guint8 h[8] = { magic, version, type, flags };

  GST_WRITE_UINT32_BE (h + 4, length);
  g_byte_array_append (out, h, 8);
  if (payload_len > 0)
    g_byte_array_append (out, payload, payload_len);
  return out;
}

static GByteArray *
raw (guint8 type, const guint8 * payload, gsize payload_len)
{
  return raw_frame (GST_P2P_WIRE_MAGIC, GST_P2P_WIRE_VERSION_MAJOR, type, 0,
      payload_len, payload, payload_len);
}

/* Decodes @bytes three ways (stateless parse, decoder in one piece,
 * decoder byte by byte) and checks they agree on one error. Returns its
 * code, or NO_ERROR when all three decoded one whole frame. */
static gint
decode_code (GByteArray * bytes)
{
  GstP2pWireFrame f;
  GstP2pWireStatus st;
  GstP2pWireDecoder *dec;
  GError *err = NULL;
  gsize used, i;
  gint code = NO_ERROR, code2 = NO_ERROR;

  st = gst_p2p_wire_parse (bytes->data, bytes->len, &used, &f, &err);
  expect (st == GST_P2P_WIRE_FRAME || st == GST_P2P_WIRE_FAILED,
      "status %d", st);
  if (st == GST_P2P_WIRE_FAILED) {
    expect (err && err->domain == GST_P2P_WIRE_ERROR);
    expect (err->message && err->message[0]);
    code = err->code;
    g_clear_error (&err);
  } else {
    expect_eq (used, bytes->len);
  }

  dec = gst_p2p_wire_decoder_new (0);
  st = gst_p2p_wire_decoder_push (dec, bytes->data, bytes->len, &used, &f,
      &err);
  if (code == NO_ERROR) {
    expect_eq (st, GST_P2P_WIRE_FRAME);
    expect_eq (used, bytes->len);
  } else {
    expect_eq (st, GST_P2P_WIRE_FAILED);
    expect_eq (err->code, code);
    g_clear_error (&err);
  }
  gst_p2p_wire_decoder_free (dec);

  dec = gst_p2p_wire_decoder_new (0);
  for (i = 0; i < bytes->len; i++) {
    st = gst_p2p_wire_decoder_push (dec, bytes->data + i, 1, &used, &f, &err);
    if (st == GST_P2P_WIRE_FAILED) {
      code2 = err->code;
      g_clear_error (&err);
      break;
    }
    expect_eq (used, 1);
    expect_eq (st, i + 1 < bytes->len ? GST_P2P_WIRE_NEED_MORE :
        GST_P2P_WIRE_FRAME);
  }
  expect_eq (code2, code);
  gst_p2p_wire_decoder_free (dec);

  g_byte_array_unref (bytes);
  return code;
}

GST_START_TEST (test_roundtrip_every_type)
{
  GstP2pWireFrame s[9], f;
  guint n = make_samples (s), i;

  expect_eq (n, 9);
  for (i = 0; i < n; i++) {
    GByteArray *b = encode_ok (&s[i]);
    GError *err = NULL;
    gsize used = 0;

    expect_eq (gst_p2p_wire_parse (b->data, b->len, &used, &f,
            &err), GST_P2P_WIRE_FRAME);
    expect (err == NULL);
    expect_eq (used, b->len);
    assert_frame_equal (&s[i], &f);
    /* payload pointers borrow from the input, no copy */
    if (f.type == GST_P2P_WIRE_DATA)
      expect (f.data.payload == b->data + 8 + 12);
    g_byte_array_unref (b);
  }
}

GST_END_TEST;

GST_START_TEST (test_exact_bytes)
{
  GstP2pWireFrame f = { 0 };
  GByteArray *b;
  static const guint8 have[] = { 0x50, 0x01, 0x03, 0x00, 0, 0, 0, 8,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
  };
  static const guint8 request[] = { 0x50, 0x01, 0x06, 0x00, 0, 0, 0, 20,
    0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0x01, 0x02,
    0, 0, 0, 0x10, 0xff, 0xff, 0xff, 0xff
  };
  static const guint8 data[] = { 0x50, 0x01, 0x07, 0x01, 0, 0, 0, 15,
    0, 0, 0, 9, 0, 0, 0x40, 0, 0, 0, 0x40, 0x03, 'a', 'b', 'c'
  };

  f.type = GST_P2P_WIRE_HAVE;
  f.have.segment_id = G_GUINT64_CONSTANT (0x0102030405060708);
  b = encode_ok (&f);
  expect_eq (b->len, sizeof (have));
  expect (memcmp (b->data, have, sizeof (have)) == 0);
  g_byte_array_unref (b);

  memset (&f, 0, sizeof (f));
  f.type = GST_P2P_WIRE_REQUEST;
  f.request.request_id = 0xdeadbeef;
  f.request.segment_id = 0x0102;
  f.request.start = 16;
  f.request.end = GST_P2P_WIRE_RANGE_END_OPEN;
  b = encode_ok (&f);
  expect_eq (b->len, sizeof (request));
  expect (memcmp (b->data, request, sizeof (request)) == 0);
  g_byte_array_unref (b);

  memset (&f, 0, sizeof (f));
  f.type = GST_P2P_WIRE_DATA;
  f.flags = GST_P2P_WIRE_FLAG_DATA_LAST;
  f.data.request_id = 9;
  f.data.offset = 0x4000;
  f.data.segment_size = 0x4003;
  f.data.payload = (const guint8 *) "abc";
  f.data.payload_len = 3;
  b = encode_ok (&f);
  expect_eq (b->len, sizeof (data));
  expect (memcmp (b->data, data, sizeof (data)) == 0);
  g_byte_array_unref (b);
}

GST_END_TEST;

/* All samples plus unknown frames, in one stream, and what must come out. */
static GByteArray *
make_stream (GstP2pWireFrame * s, guint * n_samples, GArray * expected)
{
  GByteArray *stream = g_byte_array_new ();
  guint n = make_samples (s), round, i;

  for (round = 0; round < 3; round++) {
    for (i = 0; i < n; i++) {
      GByteArray *b = encode_ok (&s[i]);
      gint idx = i;

      g_byte_array_append (stream, b->data, b->len);
      g_array_append_val (expected, idx);
      g_byte_array_unref (b);
      if (i == 2 + round) {
        /* a frame from a future minor version, empty or not */
        GByteArray *u = raw (0x40 + round, data_payload, round * 600);

        g_byte_array_append (stream, u->data, u->len);
        idx = -1;
        g_array_append_val (expected, idx);
        g_byte_array_unref (u);
      }
    }
  }
  *n_samples = n;
  return stream;
}

/* Feeds @stream in pieces chosen by @rand (or one byte at a time if NULL)
 * and checks the exact sequence of frames and skips. */
static void
feed_stream (GByteArray * stream, GstP2pWireFrame * s, GArray * expected,
    GRand * rand)
{
  GstP2pWireDecoder *dec = gst_p2p_wire_decoder_new (0);
  GstP2pWireFrame f;
  gsize pos = 0, skipped = 0;
  guint next = 0;

  while (pos < stream->len) {
    gsize piece = rand ? g_rand_int_range (rand, 1, 3 * 16404) : 1;
    gsize off = 0, used;

    piece = MIN (piece, stream->len - pos);
    while (off < piece) {
      GError *err = NULL;
      GstP2pWireStatus st = gst_p2p_wire_decoder_push (dec,
          stream->data + pos + off, piece - off, &used, &f, &err);

      expect (err == NULL, "error %s", err ? err->message : "");
      expect (used <= piece - off);
      expect (gst_p2p_wire_decoder_get_buffered (dec) <=
          GST_P2P_WIRE_MAX_FRAME_SIZE);
      off += used;
      if (st == GST_P2P_WIRE_NEED_MORE) {
        expect_eq (off, piece);
        break;
      }
      expect (next < expected->len);
      if (st == GST_P2P_WIRE_SKIPPED) {
        expect_eq (g_array_index (expected, gint, next), -1);
        skipped++;
      } else {
        gint idx = g_array_index (expected, gint, next);

        expect_eq (st, GST_P2P_WIRE_FRAME);
        expect (idx >= 0);
        assert_frame_equal (&s[idx], &f);
      }
      next++;
    }
    pos += piece;
  }
  expect_eq (next, expected->len);
  expect_eq (gst_p2p_wire_decoder_get_skipped (dec), skipped);
  expect_eq (skipped, 3);
  expect_eq (gst_p2p_wire_decoder_get_buffered (dec), 0);
  gst_p2p_wire_decoder_free (dec);
}

GST_START_TEST (test_byte_by_byte)
{
  GstP2pWireFrame s[9];
  GArray *expected = g_array_new (FALSE, FALSE, sizeof (gint));
  guint n;
  GByteArray *stream = make_stream (s, &n, expected);

  feed_stream (stream, s, expected, NULL);
  g_byte_array_unref (stream);
  g_array_unref (expected);
}

GST_END_TEST;

GST_START_TEST (test_random_splits)
{
  GstP2pWireFrame s[9];
  GArray *expected = g_array_new (FALSE, FALSE, sizeof (gint));
  guint n, i;
  GByteArray *stream = make_stream (s, &n, expected);
  GRand *rand = g_rand_new_with_seed (20261122);

  for (i = 0; i < 300; i++)
    feed_stream (stream, s, expected, rand);
  /* small pieces too: splits inside headers and fields */
  for (i = 0; i < 300; i++) {
    GstP2pWireDecoder *dec = gst_p2p_wire_decoder_new (0);
    GstP2pWireFrame f;
    gsize pos = 0, used;
    guint frames = 0;

    while (pos < stream->len) {
      /* MIN() evaluates its arguments twice: draw first */
      gsize piece = g_rand_int_range (rand, 1, 20), off = 0;

      piece = MIN (piece, stream->len - pos);

      while (off < piece) {
        GstP2pWireStatus st = gst_p2p_wire_decoder_push (dec,
            stream->data + pos + off, piece - off, &used, &f, NULL);

        expect_not (st == GST_P2P_WIRE_FAILED);
        off += used;
        if (st == GST_P2P_WIRE_FRAME || st == GST_P2P_WIRE_SKIPPED) {
          expect (st == GST_P2P_WIRE_SKIPPED ||
              f.type == s[g_array_index (expected, gint, frames)].type);
          frames++;
        }
      }
      pos += piece;
    }
    expect_eq (frames, expected->len);
    gst_p2p_wire_decoder_free (dec);
  }
  g_rand_free (rand);
  g_byte_array_unref (stream);
  g_array_unref (expected);
}

GST_END_TEST;

GST_START_TEST (test_truncated_waits)
{
  GstP2pWireFrame s[9], f;
  guint n = make_samples (s), i;
  gsize cut, used;

  for (i = 0; i < n; i++) {
    GByteArray *b = encode_ok (&s[i]);

    for (cut = 0; cut < b->len; cut++) {
      GstP2pWireDecoder *dec = gst_p2p_wire_decoder_new (0);
      GError *err = NULL;

      expect_eq (gst_p2p_wire_parse (b->data, cut, &used, &f,
              &err), GST_P2P_WIRE_NEED_MORE);
      expect (err == NULL);
      expect_eq (used, 0);

      expect_eq (gst_p2p_wire_decoder_push (dec, b->data, cut,
              &used, &f, &err), GST_P2P_WIRE_NEED_MORE);
      expect (err == NULL);
      expect_eq (used, cut);
      expect_eq (gst_p2p_wire_decoder_get_buffered (dec), cut);
      /* the rest completes it */
      expect_eq (gst_p2p_wire_decoder_push (dec, b->data + cut,
              b->len - cut, &used, &f, &err), GST_P2P_WIRE_FRAME);
      expect_eq (used, b->len - cut);
      assert_frame_equal (&s[i], &f);
      gst_p2p_wire_decoder_free (dec);
    }
    g_byte_array_unref (b);
  }
}

GST_END_TEST;

GST_START_TEST (test_oversized_length)
{
  GstP2pWireDecoder *dec;
  GstP2pWireFrame f;
  GError *err = NULL;
  GByteArray *b;
  gsize used;
  guint i;
  static const guint types[] = { GST_P2P_WIRE_HELLO, GST_P2P_WIRE_BYE,
    GST_P2P_WIRE_HAVE, GST_P2P_WIRE_BITFIELD, GST_P2P_WIRE_FETCHING,
    GST_P2P_WIRE_REQUEST, GST_P2P_WIRE_CANCEL, GST_P2P_WIRE_ABSENT
  };

  /* control frames: above 1024 is refused on the header alone */
  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    b = raw_frame (0x50, 1, types[i], 0, GST_P2P_WIRE_MAX_CONTROL_PAYLOAD + 1,
        NULL, 0);
    expect_eq (decode_code (b), GST_P2P_WIRE_ERROR_TOO_LARGE);
  }
  b = raw_frame (0x50, 1, GST_P2P_WIRE_DATA, 0, GST_P2P_WIRE_MAX_PAYLOAD + 1,
      NULL, 0);
  expect_eq (decode_code (b), GST_P2P_WIRE_ERROR_TOO_LARGE);
  b = raw_frame (0x50, 1, GST_P2P_WIRE_DATA, 0, G_MAXUINT32, NULL, 0);
  expect_eq (decode_code (b), GST_P2P_WIRE_ERROR_TOO_LARGE);
  b = raw_frame (0x50, 1, 0xee, 0, GST_P2P_WIRE_MAX_PAYLOAD + 1, NULL, 0);
  expect_eq (decode_code (b), GST_P2P_WIRE_ERROR_TOO_LARGE);

  /* the decoder fails with the header and holds nothing afterwards */
  dec = gst_p2p_wire_decoder_new (0);
  b = raw_frame (0x50, 1, GST_P2P_WIRE_DATA, 0, 1 << 30, NULL, 0);
  expect_eq (gst_p2p_wire_decoder_push (dec, b->data, 7, &used,
          &f, NULL), GST_P2P_WIRE_NEED_MORE);
  expect_eq (gst_p2p_wire_decoder_push (dec, b->data + 7, 1,
          &used, &f, &err), GST_P2P_WIRE_FAILED);
  expect (g_error_matches (err, GST_P2P_WIRE_ERROR,
          GST_P2P_WIRE_ERROR_TOO_LARGE));
  g_clear_error (&err);
  expect_eq (gst_p2p_wire_decoder_get_buffered (dec), 0);
  g_byte_array_unref (b);
  gst_p2p_wire_decoder_free (dec);

  /* a decoder with a smaller limit: the largest control frame still fits,
   * a DATA above its limit does not */
  dec = gst_p2p_wire_decoder_new (2048);
  expect_eq (gst_p2p_wire_decoder_get_max_frame_size (dec), 2048);
  memset (&f, 0, sizeof (f));
  f.type = GST_P2P_WIRE_DATA;
  f.data.segment_size = 100000;
  f.data.payload = data_payload;
  f.data.payload_len = 2048 - 8 - 12;
  b = encode_ok (&f);
  expect_eq (gst_p2p_wire_decoder_push (dec, b->data, b->len,
          &used, &f, &err), GST_P2P_WIRE_FRAME);
  g_byte_array_unref (b);
  f.data.payload_len++;
  b = encode_ok (&f);
  expect_eq (gst_p2p_wire_decoder_push (dec, b->data, 8,
          &used, &f, &err), GST_P2P_WIRE_FAILED);
  expect (g_error_matches (err, GST_P2P_WIRE_ERROR,
          GST_P2P_WIRE_ERROR_TOO_LARGE));
  g_clear_error (&err);
  g_byte_array_unref (b);
  gst_p2p_wire_decoder_free (dec);

  dec = gst_p2p_wire_decoder_new (1);
  expect_eq (gst_p2p_wire_decoder_get_max_frame_size (dec),
      8 + GST_P2P_WIRE_MAX_CONTROL_PAYLOAD);
  gst_p2p_wire_decoder_free (dec);
  dec = gst_p2p_wire_decoder_new (G_MAXSIZE);
  expect_eq (gst_p2p_wire_decoder_get_max_frame_size (dec),
      GST_P2P_WIRE_MAX_FRAME_SIZE);
  gst_p2p_wire_decoder_free (dec);
}

GST_END_TEST;

GST_START_TEST (test_too_short)
{
  static const struct
  {
    guint type, min;
  } t[] = {
    {GST_P2P_WIRE_HELLO, 56}, {GST_P2P_WIRE_BYE, 2}, {GST_P2P_WIRE_HAVE, 8},
    {GST_P2P_WIRE_BITFIELD, 10}, {GST_P2P_WIRE_FETCHING, 8},
    {GST_P2P_WIRE_REQUEST, 20}, {GST_P2P_WIRE_DATA, 12},
    {GST_P2P_WIRE_CANCEL, 4}, {GST_P2P_WIRE_ABSENT, 5},
  };
  guint8 zeros[64] = { 0 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (t); i++) {
    expect_eq (decode_code (raw (t[i].type, zeros, t[i].min - 1)),
        GST_P2P_WIRE_ERROR_TOO_SHORT);
    expect_eq (decode_code (raw (t[i].type, zeros, 0)),
        GST_P2P_WIRE_ERROR_TOO_SHORT);
  }
}

GST_END_TEST;

GST_START_TEST (test_unknown_type_skipped)
{
  GstP2pWireDecoder *dec;
  GstP2pWireFrame f, have = { 0 };
  GByteArray *stream, *u, *h;
  gsize used, i;
  GstP2pWireStatus st;
  guint got_have = 0, got_skip = 0;

  have.type = GST_P2P_WIRE_HAVE;
  have.have.segment_id = 5;
  h = encode_ok (&have);
  u = raw_frame (0x50, 1, 0x00, 0xff, GST_P2P_WIRE_MAX_PAYLOAD, data_payload,
      GST_P2P_WIRE_MAX_PAYLOAD - 12);
  g_byte_array_append (u, data_payload, 12);

  /* stateless */
  expect_eq (gst_p2p_wire_parse (u->data, u->len, &used, &f,
          NULL), GST_P2P_WIRE_SKIPPED);
  expect_eq (used, u->len);
  expect_eq (f.type, 0x00);
  expect_eq (f.flags, 0xff);

  /* byte by byte, an unknown frame is discarded, never buffered */
  stream = g_byte_array_new ();
  g_byte_array_append (stream, h->data, h->len);
  g_byte_array_append (stream, u->data, u->len);
  g_byte_array_append (stream, h->data, h->len);
  dec = gst_p2p_wire_decoder_new (0);
  for (i = 0; i < stream->len; i++) {
    st = gst_p2p_wire_decoder_push (dec, stream->data + i, 1, &used, &f, NULL);
    expect_eq (used, 1);
    expect (gst_p2p_wire_decoder_get_buffered (dec) <= 8 + 8);
    if (st == GST_P2P_WIRE_FRAME) {
      expect_eq (f.type, GST_P2P_WIRE_HAVE);
      got_have++;
    } else if (st == GST_P2P_WIRE_SKIPPED) {
      expect_eq (f.type, 0x00);
      got_skip++;
    } else {
      expect_eq (st, GST_P2P_WIRE_NEED_MORE);
    }
  }
  expect_eq (got_have, 2);
  expect_eq (got_skip, 1);
  expect_eq (gst_p2p_wire_decoder_get_skipped (dec), 1);
  gst_p2p_wire_decoder_free (dec);

  /* in one piece: HAVE, SKIPPED, HAVE */
  dec = gst_p2p_wire_decoder_new (0);
  expect_eq (gst_p2p_wire_decoder_push (dec, stream->data,
          stream->len, &used, &f, NULL), GST_P2P_WIRE_FRAME);
  i = used;
  expect_eq (gst_p2p_wire_decoder_push (dec, stream->data + i,
          stream->len - i, &used, &f, NULL), GST_P2P_WIRE_SKIPPED);
  i += used;
  expect_eq (gst_p2p_wire_decoder_push (dec, stream->data + i,
          stream->len - i, &used, &f, NULL), GST_P2P_WIRE_FRAME);
  expect_eq (i + used, stream->len);
  gst_p2p_wire_decoder_free (dec);

  /* empty unknown frame, and unknown flags on a known frame are kept */
  expect_eq (gst_p2p_wire_parse ((const guint8 *)
          "\x50\x01\x7f\x00\x00\x00\x00\x00", 8, &used, &f, NULL),
      GST_P2P_WIRE_SKIPPED);
  expect_eq (used, 8);
  h->data[3] = 0xa5;
  expect_eq (gst_p2p_wire_parse (h->data, h->len, &used, &f,
          NULL), GST_P2P_WIRE_FRAME);
  expect_eq (f.flags, 0xa5);
  expect_eq (f.have.segment_id, 5);

  /* the encoder refuses unknown types */
  memset (&f, 0, sizeof (f));
  f.type = 0x42;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_VALUE);

  g_byte_array_unref (stream);
  g_byte_array_unref (u);
  g_byte_array_unref (h);
}

GST_END_TEST;

GST_START_TEST (test_trailing_bytes_ignored)
{
  GstP2pWireFrame s[9], f;
  guint n = make_samples (s), i;

  for (i = 0; i < n; i++) {
    GByteArray *b;
    gsize used;

    if (s[i].type == GST_P2P_WIRE_DATA)
      continue;                 /* DATA's payload runs to the end */
    b = encode_ok (&s[i]);
    /* a later minor version appended 3 bytes */
    g_byte_array_append (b, (const guint8 *) "\x01\x02\x03", 3);
    GST_WRITE_UINT32_BE (b->data + 4, GST_READ_UINT32_BE (b->data + 4) + 3);
    expect_eq (gst_p2p_wire_parse (b->data, b->len, &used, &f,
            NULL), GST_P2P_WIRE_FRAME);
    expect_eq (used, b->len);
    assert_frame_equal (&s[i], &f);
    expect_eq (decode_code (b), NO_ERROR);
  }
}

GST_END_TEST;

GST_START_TEST (test_bad_magic_and_version)
{
  GstP2pWireDecoder *dec;
  GstP2pWireFrame f, s[9];
  GByteArray *b;
  GError *err = NULL;
  gsize used;

  make_samples (s);

  b = encode_ok (&s[2]);
  b->data[0] = 0x51;
  expect_eq (decode_code (b), GST_P2P_WIRE_ERROR_BAD_MAGIC);

  /* higher and lower major versions */
  b = encode_ok (&s[2]);
  b->data[1] = 2;
  expect_eq (decode_code (b), GST_P2P_WIRE_ERROR_VERSION);
  b = encode_ok (&s[2]);
  b->data[1] = 0;
  expect_eq (decode_code (b), GST_P2P_WIRE_ERROR_VERSION);

  /* HELLO's own major must match */
  f = s[0];
  f.hello.major = 2;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_VERSION);
  b = encode_ok (&s[0]);
  b->data[8] = 2;
  expect_eq (decode_code (b), GST_P2P_WIRE_ERROR_VERSION);

  /* refused at the first bad byte, and the failure is sticky */
  dec = gst_p2p_wire_decoder_new (0);
  expect_eq (gst_p2p_wire_decoder_push (dec, (const guint8 *)
          "\x50", 1, &used, &f, NULL), GST_P2P_WIRE_NEED_MORE);
  expect_eq (gst_p2p_wire_decoder_push (dec, (const guint8 *)
          "\x09", 1, &used, &f, &err), GST_P2P_WIRE_FAILED);
  expect (g_error_matches (err, GST_P2P_WIRE_ERROR,
          GST_P2P_WIRE_ERROR_VERSION));
  expect_eq (gst_p2p_wire_error_to_bye_reason (err),
      GST_P2P_WIRE_BYE_VERSION_MISMATCH);
  g_clear_error (&err);
  b = encode_ok (&s[2]);
  expect_eq (gst_p2p_wire_decoder_push (dec, b->data, b->len,
          &used, &f, &err), GST_P2P_WIRE_FAILED);
  expect_eq (used, 0);
  expect (g_error_matches (err, GST_P2P_WIRE_ERROR,
          GST_P2P_WIRE_ERROR_VERSION));
  g_clear_error (&err);
  g_byte_array_unref (b);
  gst_p2p_wire_decoder_free (dec);

  dec = gst_p2p_wire_decoder_new (0);
  expect_eq (gst_p2p_wire_decoder_push (dec, (const guint8 *)
          "G", 1, &used, &f, &err), GST_P2P_WIRE_FAILED);
  expect (g_error_matches (err, GST_P2P_WIRE_ERROR,
          GST_P2P_WIRE_ERROR_BAD_MAGIC));
  expect_eq (gst_p2p_wire_error_to_bye_reason (err),
      GST_P2P_WIRE_BYE_PROTOCOL_ERROR);
  g_clear_error (&err);
  gst_p2p_wire_decoder_free (dec);

  /* nothing at all is not an error */
  dec = gst_p2p_wire_decoder_new (0);
  expect_eq (gst_p2p_wire_decoder_push (dec, NULL, 0, &used, &f,
          NULL), GST_P2P_WIRE_NEED_MORE);
  expect_eq (used, 0);
  gst_p2p_wire_decoder_free (dec);
}

GST_END_TEST;

static gint
roundtrip_code (const GstP2pWireFrame * f)
{
  GByteArray *b;
  GstP2pWireFrame g;
  gsize used;
  gint code = encode_error (f);

  if (code != NO_ERROR)
    return code;
  b = encode_ok (f);
  expect_eq (gst_p2p_wire_parse (b->data, b->len, &used, &g,
          NULL), GST_P2P_WIRE_FRAME);
  assert_frame_equal (f, &g);
  expect_eq (decode_code (b), NO_ERROR);
  return NO_ERROR;
}

GST_START_TEST (test_limits_hello)
{
  GstP2pWireFrame s[9], f;
  GByteArray *b;

  make_samples (s);
  f = s[0];
  f.hello.max_requests = 0;
  expect_eq (roundtrip_code (&f), NO_ERROR);
  f.hello.max_requests = GST_P2P_WIRE_MAX_REQUESTS;
  expect_eq (roundtrip_code (&f), NO_ERROR);
  f.hello.minor = 255;
  f.hello.capabilities = G_MAXUINT32;
  expect_eq (roundtrip_code (&f), NO_ERROR);
  f.hello.max_requests = GST_P2P_WIRE_MAX_REQUESTS + 1;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_VALUE);

  b = encode_ok (&s[0]);
  GST_WRITE_UINT16_BE (b->data + 8 + 2, G_MAXUINT16);
  expect_eq (decode_code (b), GST_P2P_WIRE_ERROR_BAD_VALUE);
}

GST_END_TEST;

GST_START_TEST (test_limits_bye)
{
  GstP2pWireFrame f = { 0 };
  guint8 p[260];

  f.type = GST_P2P_WIRE_BYE;
  expect_eq (roundtrip_code (&f), NO_ERROR);
  f.bye.reason = 255;
  memset (f.bye.text, 'x', GST_P2P_WIRE_MAX_BYE_TEXT);
  expect_eq (roundtrip_code (&f), NO_ERROR);
  /* no NUL within the array */
  memset (f.bye.text, 'x', sizeof (f.bye.text));
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_VALUE);
  g_strlcpy (f.bye.text, "bad \xff utf-8", sizeof (f.bye.text));
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_VALUE);

  memset (p, 'y', sizeof (p));
  p[0] = 0;
  p[1] = GST_P2P_WIRE_MAX_BYE_TEXT + 1;
  expect_eq (decode_code (raw (GST_P2P_WIRE_BYE, p, 2 + 201)),
      GST_P2P_WIRE_ERROR_BAD_VALUE);
  p[1] = 10;
  expect_eq (decode_code (raw (GST_P2P_WIRE_BYE, p, 2 + 9)),
      GST_P2P_WIRE_ERROR_TOO_SHORT);
  p[5] = 0;                     /* embedded NUL */
  expect_eq (decode_code (raw (GST_P2P_WIRE_BYE, p, 2 + 10)),
      GST_P2P_WIRE_ERROR_BAD_VALUE);
  p[5] = 0xc3;                  /* truncated UTF-8 sequence */
  p[6] = 'a';
  expect_eq (decode_code (raw (GST_P2P_WIRE_BYE, p, 2 + 10)),
      GST_P2P_WIRE_ERROR_BAD_VALUE);
}

GST_END_TEST;

GST_START_TEST (test_limits_bitfield)
{
  GstP2pWireFrame f = { 0 };
  guint8 p[10 + 520] = { 0 };
  GByteArray *b;
  guint n;
  static const guint sizes[] = { 0, 1, 7, 8, 9, 4095, 4096 };

  f.type = GST_P2P_WIRE_BITFIELD;
  f.bitfield.bitmap = bitmap_payload;
  for (n = 0; n < G_N_ELEMENTS (sizes); n++) {
    guint8 copy[512];
    guint bits = sizes[n];

    memcpy (copy, bitmap_payload, sizeof (copy));
    if (bits % 8)
      copy[bits / 8] &= 0xff << (8 - bits % 8);
    f.bitfield.n_bits = bits;
    f.bitfield.bitmap = copy;
    f.bitfield.base = G_MAXUINT64 - (bits ? bits - 1 : 0);
    expect_eq (roundtrip_code (&f), NO_ERROR);
  }

  f.bitfield.bitmap = bitmap_payload;
  f.bitfield.base = 0;
  f.bitfield.n_bits = GST_P2P_WIRE_MAX_BITFIELD_BITS + 1;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BITFIELD_TOO_LARGE);

  /* 4097 bits on the wire */
  GST_WRITE_UINT16_BE (p + 8, GST_P2P_WIRE_MAX_BITFIELD_BITS + 1);
  expect_eq (decode_code (raw (GST_P2P_WIRE_BITFIELD, p,
              sizeof (p))), GST_P2P_WIRE_ERROR_BITFIELD_TOO_LARGE);
  GST_WRITE_UINT16_BE (p + 8, G_MAXUINT16);
  expect_eq (decode_code (raw (GST_P2P_WIRE_BITFIELD, p,
              sizeof (p))), GST_P2P_WIRE_ERROR_BITFIELD_TOO_LARGE);

  /* bitmap shorter than n_bits */
  GST_WRITE_UINT16_BE (p + 8, 17);
  expect_eq (decode_code (raw (GST_P2P_WIRE_BITFIELD, p,
              10 + 2)), GST_P2P_WIRE_ERROR_TOO_SHORT);
  /* padding bits set */
  p[10 + 2] = 0x40;
  expect_eq (decode_code (raw (GST_P2P_WIRE_BITFIELD, p,
              10 + 3)), GST_P2P_WIRE_ERROR_BAD_VALUE);
  p[10 + 2] = 0x80;
  expect_eq (decode_code (raw (GST_P2P_WIRE_BITFIELD, p, 10 + 3)), NO_ERROR);
  /* base + n_bits - 1 overflows */
  GST_WRITE_UINT64_BE (p, G_MAXUINT64 - 15);
  expect_eq (decode_code (raw (GST_P2P_WIRE_BITFIELD, p,
              10 + 3)), GST_P2P_WIRE_ERROR_BAD_RANGE);
  GST_WRITE_UINT64_BE (p, G_MAXUINT64 - 16);
  expect_eq (decode_code (raw (GST_P2P_WIRE_BITFIELD, p, 10 + 3)), NO_ERROR);

  /* bit order: MSB first */
  memset (&f, 0, sizeof (f));
  f.type = GST_P2P_WIRE_BITFIELD;
  f.bitfield.base = 100;
  f.bitfield.n_bits = 12;
  f.bitfield.bitmap = (const guint8 *) "\x81\x10";
  b = encode_ok (&f);
  {
    GstP2pWireFrame g;
    gsize used;

    expect_eq (gst_p2p_wire_parse (b->data, b->len, &used, &g,
            NULL), GST_P2P_WIRE_FRAME);
    expect_not (gst_p2p_wire_bitfield_get (&g.bitfield, 99));
    expect (gst_p2p_wire_bitfield_get (&g.bitfield, 100));
    expect_not (gst_p2p_wire_bitfield_get (&g.bitfield, 101));
    expect (gst_p2p_wire_bitfield_get (&g.bitfield, 107));
    expect_not (gst_p2p_wire_bitfield_get (&g.bitfield, 108));
    expect (gst_p2p_wire_bitfield_get (&g.bitfield, 111));
    expect_not (gst_p2p_wire_bitfield_get (&g.bitfield, 112));
    expect_not (gst_p2p_wire_bitfield_get (&g.bitfield, G_MAXUINT64));
  }
  g_byte_array_unref (b);
}

GST_END_TEST;

GST_START_TEST (test_limits_request)
{
  GstP2pWireFrame f = { 0 };
  const guint32 maxseg = GST_P2P_WIRE_MAX_SEGMENT_SIZE;
  const guint32 maxreq = GST_P2P_WIRE_MAX_REQUEST_SIZE;

  f.type = GST_P2P_WIRE_REQUEST;
  f.request.request_id = G_MAXUINT32;
  f.request.segment_id = G_MAXUINT64;
  f.request.start = 0;
  f.request.end = 1;
  expect_eq (roundtrip_code (&f), NO_ERROR);
  f.request.request_id = 0;
  f.request.segment_id = 0;
  f.request.end = GST_P2P_WIRE_RANGE_END_OPEN;
  expect_eq (roundtrip_code (&f), NO_ERROR);
  f.request.start = maxseg - 1;
  expect_eq (roundtrip_code (&f), NO_ERROR);
  f.request.start = maxseg;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_RANGE);

  /* end < start and end == start */
  f.request.start = 10;
  f.request.end = 9;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_RANGE);
  f.request.end = 10;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_RANGE);

  /* request size */
  f.request.start = 0;
  f.request.end = maxreq;
  expect_eq (roundtrip_code (&f), NO_ERROR);
  f.request.end = maxreq + 1;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_RANGE);

  /* segment size */
  f.request.start = maxseg - maxreq;
  f.request.end = maxseg;
  expect_eq (roundtrip_code (&f), NO_ERROR);
  f.request.start++;
  f.request.end++;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_RANGE);
  f.request.start = G_MAXUINT32 - 2;
  f.request.end = G_MAXUINT32 - 1;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_RANGE);

  /* and the same on the wire */
  {
    guint8 p[20] = { 0 };

    GST_WRITE_UINT32_BE (p + 12, 500);
    GST_WRITE_UINT32_BE (p + 16, 499);
    expect_eq (decode_code (raw (GST_P2P_WIRE_REQUEST, p, 20)),
        GST_P2P_WIRE_ERROR_BAD_RANGE);
    GST_WRITE_UINT32_BE (p + 16, 501);
    expect_eq (decode_code (raw (GST_P2P_WIRE_REQUEST, p, 20)), NO_ERROR);
  }
}

GST_END_TEST;

GST_START_TEST (test_limits_data)
{
  GstP2pWireFrame f = { 0 };
  guint8 p[12 + 4];

  f.type = GST_P2P_WIRE_DATA;
  f.data.request_id = G_MAXUINT32;
  f.data.payload = data_payload;
  f.data.payload_len = 1;
  f.data.segment_size = 1;
  expect_eq (roundtrip_code (&f), NO_ERROR);

  f.data.payload_len = GST_P2P_WIRE_MAX_DATA_PAYLOAD;
  f.data.segment_size = GST_P2P_WIRE_MAX_SEGMENT_SIZE;
  f.data.offset = GST_P2P_WIRE_MAX_SEGMENT_SIZE - f.data.payload_len;
  expect_eq (roundtrip_code (&f), NO_ERROR);
  f.data.offset++;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_RANGE);
  f.data.offset = 0;
  f.data.payload_len = GST_P2P_WIRE_MAX_DATA_PAYLOAD + 1;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_TOO_LARGE);

  /* zero-length DATA */
  f.data.payload_len = 0;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_VALUE);
  memset (p, 0, sizeof (p));
  GST_WRITE_UINT32_BE (p + 8, 100);
  expect_eq (decode_code (raw (GST_P2P_WIRE_DATA, p, 12)),
      GST_P2P_WIRE_ERROR_BAD_VALUE);

  /* segment size 0 and above the limit */
  f.data.payload_len = 1;
  f.data.segment_size = 0;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_VALUE);
  f.data.segment_size = GST_P2P_WIRE_MAX_SEGMENT_SIZE + 1;
  expect_eq (encode_error (&f), GST_P2P_WIRE_ERROR_BAD_VALUE);

  /* offset + length wraps 32 bits: caught in 64-bit arithmetic */
  GST_WRITE_UINT32_BE (p + 4, G_MAXUINT32);
  GST_WRITE_UINT32_BE (p + 8, 100);
  expect_eq (decode_code (raw (GST_P2P_WIRE_DATA, p, 16)),
      GST_P2P_WIRE_ERROR_BAD_RANGE);
  GST_WRITE_UINT32_BE (p + 4, 96);
  expect_eq (decode_code (raw (GST_P2P_WIRE_DATA, p, 16)), NO_ERROR);
  GST_WRITE_UINT32_BE (p + 4, 97);
  expect_eq (decode_code (raw (GST_P2P_WIRE_DATA, p, 16)),
      GST_P2P_WIRE_ERROR_BAD_RANGE);
}

GST_END_TEST;

GST_START_TEST (test_limits_ids)
{
  GstP2pWireFrame f = { 0 };
  guint i;
  static const guint64 ids[] = { 0, 1, G_MAXUINT32, G_MAXUINT64 - 1,
    G_MAXUINT64
  };

  for (i = 0; i < G_N_ELEMENTS (ids); i++) {
    memset (&f, 0, sizeof (f));
    f.type = GST_P2P_WIRE_HAVE;
    f.have.segment_id = ids[i];
    expect_eq (roundtrip_code (&f), NO_ERROR);
    f.type = GST_P2P_WIRE_FETCHING;
    f.flags = 0xff;
    expect_eq (roundtrip_code (&f), NO_ERROR);
    memset (&f, 0, sizeof (f));
    f.type = GST_P2P_WIRE_CANCEL;
    f.cancel.request_id = (guint32) ids[i];
    expect_eq (roundtrip_code (&f), NO_ERROR);
    memset (&f, 0, sizeof (f));
    f.type = GST_P2P_WIRE_ABSENT;
    f.absent.request_id = (guint32) ids[i];
    f.absent.reason = (guint8) ids[i];
    expect_eq (roundtrip_code (&f), NO_ERROR);
  }
}

GST_END_TEST;

GST_START_TEST (test_names)
{
  GError *err = NULL;

  fail_unless_equals_string (gst_p2p_wire_type_get_name (GST_P2P_WIRE_HELLO),
      "HELLO");
  fail_unless_equals_string (gst_p2p_wire_type_get_name (GST_P2P_WIRE_ABSENT),
      "ABSENT");
  fail_unless_equals_string (gst_p2p_wire_type_get_name (0), "UNKNOWN");
  fail_unless_equals_string (gst_p2p_wire_type_get_name (200), "UNKNOWN");
  fail_unless_equals_string (gst_p2p_wire_bye_reason_get_name
      (GST_P2P_WIRE_BYE_PROTOCOL_ERROR), "protocol-error");
  fail_unless_equals_string (gst_p2p_wire_bye_reason_get_name (99), "unknown");
  fail_unless_equals_string (gst_p2p_wire_absent_reason_get_name
      (GST_P2P_WIRE_ABSENT_BUSY), "busy");
  fail_unless_equals_string (gst_p2p_wire_absent_reason_get_name (0),
      "unknown");
  g_set_error (&err, GST_P2P_WIRE_ERROR, GST_P2P_WIRE_ERROR_TOO_SHORT, "x");
  expect_eq (gst_p2p_wire_error_to_bye_reason (err),
      GST_P2P_WIRE_BYE_PROTOCOL_ERROR);
  g_clear_error (&err);
}

GST_END_TEST;

/* Checks one result of a random input: a frame that re-encodes to an equal
 * frame, a skip, a wait, or a clean error. */
static void
check_result (GstP2pWireStatus st, const GstP2pWireFrame * f, GError * err)
{
  switch (st) {
    case GST_P2P_WIRE_FRAME:{
      GByteArray *b;
      GstP2pWireFrame g;
      gsize used;

      expect (err == NULL);
      b = encode_ok (f);
      expect_eq (gst_p2p_wire_parse (b->data, b->len, &used, &g,
              NULL), GST_P2P_WIRE_FRAME);
      assert_frame_equal (f, &g);
      g_byte_array_unref (b);
      break;
    }
    case GST_P2P_WIRE_SKIPPED:
    case GST_P2P_WIRE_NEED_MORE:
      expect (err == NULL);
      break;
    case GST_P2P_WIRE_FAILED:
      expect (err != NULL);
      expect (err->domain == GST_P2P_WIRE_ERROR);
      expect (err->code >= GST_P2P_WIRE_ERROR_BAD_MAGIC &&
          err->code <= GST_P2P_WIRE_ERROR_BAD_VALUE);
      expect (err->message != NULL && err->message[0] != '\0');
      break;
    default:
      fail ("status %d", st);
  }
}

/* A random input: noise, or valid frames with a few bytes mutated, cut or
 * extended, with the header kept plausible often enough to reach every
 * payload check. */
static GByteArray *
random_input (GRand * rand, GstP2pWireFrame * s, guint n_samples)
{
  GByteArray *in = g_byte_array_new ();
  guint kind = g_rand_int_range (rand, 0, 4), i, n;

  if (kind == 0) {
    n = g_rand_int_range (rand, 0, 80);
    for (i = 0; i < n; i++) {
      guint8 c = g_rand_int_range (rand, 0, 256);

      g_byte_array_append (in, &c, 1);
    }
    if (n >= 2 && g_rand_boolean (rand)) {
      in->data[0] = GST_P2P_WIRE_MAGIC;
      in->data[1] = GST_P2P_WIRE_VERSION_MAJOR;
    }
    return in;
  }

  n = g_rand_int_range (rand, 1, 4);
  for (i = 0; i < n; i++) {
    GByteArray *b = encode_ok (&s[g_rand_int_range (rand, 0, n_samples)]);

    g_byte_array_append (in, b->data, b->len);
    g_byte_array_unref (b);
  }
  n = g_rand_int_range (rand, 1, 6);
  for (i = 0; i < n; i++) {
    guint pos = g_rand_int_range (rand, 0, in->len);

    switch (g_rand_int_range (rand, 0, 6)) {
      case 0:                  /* flip a bit */
        in->data[pos] ^= 1 << g_rand_int_range (rand, 0, 8);
        break;
      case 1:                  /* an interesting value */
      {
        static const guint8 v[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe };

        in->data[pos] = v[g_rand_int_range (rand, 0, G_N_ELEMENTS (v))];
        break;
      }
      case 2:                  /* cut */
        g_byte_array_set_size (in, pos);
        break;
      case 3:                  /* random byte */
        in->data[pos] = g_rand_int_range (rand, 0, 256);
        break;
      case 4:                  /* small length change of the first frame */
        if (in->len >= 8)
          GST_WRITE_UINT32_BE (in->data + 4, GST_READ_UINT32_BE (in->data + 4)
              + g_rand_int_range (rand, -3, 4));
        break;
      case 5:                  /* another type with the same payload */
        if (in->len >= 8)
          in->data[2] = g_rand_int_range (rand, 0, 12);
        break;
    }
    if (in->len == 0)
      break;
  }
  return in;
}

GST_START_TEST (test_random_bytes)
{
  GRand *rand = g_rand_new_with_seed (0x9e3779b9);
  GstP2pWireFrame s[9];
  guint n = make_samples (s), iter;
  guint frames = 0, failures = 0, waits = 0, skips = 0;
  guint codes[GST_P2P_WIRE_ERROR_BAD_VALUE + 1] = { 0 };

  for (iter = 0; iter < 100000; iter++) {
    GByteArray *in = random_input (rand, s, n);
    GstP2pWireDecoder *dec = gst_p2p_wire_decoder_new (0);
    GArray *seq = g_array_new (FALSE, FALSE, sizeof (gint));
    gsize pos = 0, used;
    GstP2pWireStatus st = GST_P2P_WIRE_NEED_MORE;
    GstP2pWireFrame f;
    guint k = 0;

    /* the stateless parser, frame after frame */
    while (TRUE) {
      GError *err = NULL;
      gint v;

      st = gst_p2p_wire_parse (in->data + pos, in->len - pos, &used, &f, &err);
      check_result (st, &f, err);
      expect (used <= in->len - pos);
      v = st == GST_P2P_WIRE_FAILED ? 100 + err->code : (gint) st;
      g_array_append_val (seq, v);
      if (st == GST_P2P_WIRE_FAILED)
        codes[err->code]++;
      g_clear_error (&err);
      if (st != GST_P2P_WIRE_FRAME && st != GST_P2P_WIRE_SKIPPED)
        break;
      expect (used > 0);
      frames += st == GST_P2P_WIRE_FRAME;
      skips += st == GST_P2P_WIRE_SKIPPED;
      pos += used;
    }
    failures += st == GST_P2P_WIRE_FAILED;
    waits += st == GST_P2P_WIRE_NEED_MORE;

    /* the decoder, in random pieces, must tell the same story */
    pos = 0;
    st = GST_P2P_WIRE_NEED_MORE;
    while (pos < in->len) {
      gsize piece = g_rand_int_range (rand, 1, 40), off = 0;

      piece = MIN (piece, in->len - pos);

      while (off < piece) {
        GError *err = NULL;
        gint v;

        st = gst_p2p_wire_decoder_push (dec, in->data + pos + off,
            piece - off, &used, &f, &err);
        check_result (st, &f, err);
        expect (gst_p2p_wire_decoder_get_buffered (dec) <=
            GST_P2P_WIRE_MAX_FRAME_SIZE);
        off += used;
        if (st == GST_P2P_WIRE_NEED_MORE) {
          g_clear_error (&err);
          break;
        }
        v = st == GST_P2P_WIRE_FAILED ? 100 + err->code : (gint) st;
        expect (k < seq->len);
        expect_eq (v, g_array_index (seq, gint, k));
        k++;
        g_clear_error (&err);
        if (st == GST_P2P_WIRE_FAILED)
          goto done;
      }
      pos += piece;
    }
    /* the input ended: the parser waited for more, or had nothing left */
    expect_eq (k + 1, seq->len);
    expect_eq (g_array_index (seq, gint, k), GST_P2P_WIRE_NEED_MORE);
  done:
    g_array_unref (seq);
    gst_p2p_wire_decoder_free (dec);
    g_byte_array_unref (in);
  }
  GST_INFO ("100000 inputs: %u frames, %u skipped, %u errors, %u waits",
      frames, skips, failures, waits);
  /* not vacuous: every outcome and every error code was reached */
  expect (frames > 10000);
  expect (skips > 100);
  expect (failures > 10000);
  expect (waits > 10000);
  for (iter = 0; iter < G_N_ELEMENTS (codes); iter++)
    expect (codes[iter] > 0, "error code %u never reached", iter);
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
protocol_suite (void)
{
  Suite *s = suite_create ("protocol");
  TCase *tc = tcase_create ("wire");

  fill_patterns ();
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_roundtrip_every_type);
  tcase_add_test (tc, test_exact_bytes);
  tcase_add_test (tc, test_byte_by_byte);
  tcase_add_test (tc, test_random_splits);
  tcase_add_test (tc, test_truncated_waits);
  tcase_add_test (tc, test_oversized_length);
  tcase_add_test (tc, test_too_short);
  tcase_add_test (tc, test_unknown_type_skipped);
  tcase_add_test (tc, test_trailing_bytes_ignored);
  tcase_add_test (tc, test_bad_magic_and_version);
  tcase_add_test (tc, test_limits_hello);
  tcase_add_test (tc, test_limits_bye);
  tcase_add_test (tc, test_limits_bitfield);
  tcase_add_test (tc, test_limits_request);
  tcase_add_test (tc, test_limits_data);
  tcase_add_test (tc, test_limits_ids);
  tcase_add_test (tc, test_names);
  tcase_add_test (tc, test_random_bytes);
  return s;
}

GST_CHECK_MAIN (protocol);
