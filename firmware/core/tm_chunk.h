/*
 * The binary chunk of protocol v1 (src/fleet/chunk.ts): a 16-byte
 * little-endian header, then the data.
 *
 *   offset size field
 *   0      u8   version (1)
 *   1      u8   header length (16; a receiver skips a longer header)
 *   2      u16  data length
 *   4      u32  deploy id (the offer's 8 hex digits as a number)
 *   8      u32  chunk index (manifest section first, then the model)
 *   12     u32  CRC-32 (IEEE, as zlib) of the data
 *   16     ...  data
 */
#ifndef TM_CHUNK_H_
#define TM_CHUNK_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uint32_t deploy_id;
  uint32_t index;
  const uint8_t *data;
  size_t len;
} tm_chunk;

/* 0 and the chunk, or -1 with why it is damaged or foreign (in err). */
int tm_chunk_decode(const uint8_t *payload, size_t len, tm_chunk *out, char *err, size_t errcap);

/* Encodes a chunk into out (TM_CHUNK_HEADER_BYTES + len bytes); for tests and tools. */
size_t tm_chunk_encode(uint32_t deploy_id, uint32_t index, const uint8_t *data, size_t len,
                       uint8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* TM_CHUNK_H_ */
