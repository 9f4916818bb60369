/* libFuzzer target for the peer wire protocol codec (gst/protocol/gstp2pwire.c).
 *
 * Each input goes through the stateless parser frame by frame, and through
 * two decoders (protocol limit and smallest limit) fed in pieces whose sizes
 * derive from the input. Checked invariants, any violation aborts:
 *  - every result is a frame, a skip, a wait or an error of the codec's
 *    domain with a message;
 *  - a decoded frame re-encodes, and the encoding is a prefix of the frame's
 *    own bytes (the codec is canonical; only ignored trailing bytes differ);
 *  - the decoder tells the same story as the parser, whatever the splits;
 *  - a decoder never buffers more than its maximum frame size.
 * Build and run: docs/protocol.md, "Fuzzing".
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/gstp2pwire.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define MAX_RESULTS 4096

static void
check (gboolean ok)
{
  if (!ok)
    abort ();
}

/* Checks one result; @raw is where the frame started in the input. */
static gint
check_result (GstP2pWireStatus st, const GstP2pWireFrame * f,
    const GError * err, const guint8 * raw, gsize raw_len)
{
  GByteArray *b;

  switch (st) {
    case GST_P2P_WIRE_FRAME:
      check (err == NULL);
      b = g_byte_array_new ();
      check (gst_p2p_wire_encode (b, f, NULL));
      if (raw != NULL) {
        check (b->len <= raw_len);
        /* same header but for the length, same leading payload bytes */
        check (memcmp (b->data, raw, 4) == 0);
        check (memcmp (b->data + 8, raw + 8, b->len - 8) == 0);
      }
      g_byte_array_unref (b);
      return st;
    case GST_P2P_WIRE_SKIPPED:
    case GST_P2P_WIRE_NEED_MORE:
      check (err == NULL);
      return st;
    case GST_P2P_WIRE_FAILED:
      check (err != NULL && err->domain == GST_P2P_WIRE_ERROR);
      check (err->code >= GST_P2P_WIRE_ERROR_BAD_MAGIC &&
          err->code <= GST_P2P_WIRE_ERROR_BAD_VALUE);
      check (err->message != NULL && err->message[0] != '\0');
      return 100 + err->code;
    default:
      abort ();
  }
}

static void
run_decoder (const guint8 * data, gsize size, gsize max_frame,
    const gint * expect, guint n_expect, guint32 seed)
{
  GstP2pWireDecoder *dec = gst_p2p_wire_decoder_new (max_frame);
  gsize pos = 0;
  guint k = 0;

  while (pos < size) {
    gsize piece, off = 0;

    seed = seed * 1103515245 + 12345;
    piece = MIN (1 + (seed >> 16) % 64, size - pos);
    while (off < piece) {
      GstP2pWireFrame f;
      GError *err = NULL;
      gsize used = 0;
      GstP2pWireStatus st = gst_p2p_wire_decoder_push (dec,
          data + pos + off, piece - off, &used, &f, &err);
      gint v = check_result (st, &f, err, NULL, 0);

      g_clear_error (&err);
      check (used <= piece - off);
      check (gst_p2p_wire_decoder_get_buffered (dec) <=
          gst_p2p_wire_decoder_get_max_frame_size (dec));
      off += used;
      if (st == GST_P2P_WIRE_NEED_MORE) {
        check (off == piece);
        break;
      }
      if (expect != NULL) {
        check (k < n_expect && expect[k] == v);
        k++;
      }
      if (st == GST_P2P_WIRE_FAILED)
        goto done;
    }
    pos += piece;
  }
  if (expect != NULL)
    check (k + 1 == n_expect && expect[k] == GST_P2P_WIRE_NEED_MORE);
done:
  gst_p2p_wire_decoder_free (dec);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gint seq[MAX_RESULTS];
  guint n = 0;
  gsize pos = 0;
  guint32 seed = 0x12345678;
  gsize i;

  /* the stateless parser, frame after frame */
  while (n < MAX_RESULTS) {
    GstP2pWireFrame f;
    GError *err = NULL;
    gsize used = 0;
    GstP2pWireStatus st = gst_p2p_wire_parse (data + pos, size - pos, &used,
        &f, &err);

    seq[n++] = check_result (st, &f, err, data + pos, used);
    g_clear_error (&err);
    check (used <= size - pos);
    if (st != GST_P2P_WIRE_FRAME && st != GST_P2P_WIRE_SKIPPED)
      break;
    check (used >= GST_P2P_WIRE_HEADER_SIZE);
    pos += used;
  }
  if (n == MAX_RESULTS)
    return 0;                   /* cannot happen: frames are >= 8 bytes */

  for (i = 0; i < MIN (size, 16); i++)
    seed = seed * 31 + data[i];
  run_decoder (data, size, 0, seq, n, seed);
  /* the smallest decoder may refuse larger frames earlier, never crash */
  run_decoder (data, size, 1, NULL, 0, seed ^ 0x5555);
  return 0;
}
