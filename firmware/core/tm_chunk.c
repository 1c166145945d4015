#include "tm_chunk.h"

#include <stdio.h>
#include <string.h>

#include "tm_config.h"
#include "tm_crc32.h"

static uint32_t u32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32le(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int tm_chunk_decode(const uint8_t *payload, size_t len, tm_chunk *out, char *err, size_t errcap) {
  if (len < TM_CHUNK_HEADER_BYTES) {
    snprintf(err, errcap, "chunk of %lu bytes is shorter than the %d-byte header",
             (unsigned long)len, TM_CHUNK_HEADER_BYTES);
    return -1;
  }
  if (payload[0] != TM_CHUNK_VERSION) {
    snprintf(err, errcap, "chunk version %u, expected %d", payload[0], TM_CHUNK_VERSION);
    return -1;
  }
  size_t header = payload[1];
  if (header < TM_CHUNK_HEADER_BYTES) {
    snprintf(err, errcap, "chunk header length %lu < %d", (unsigned long)header,
             TM_CHUNK_HEADER_BYTES);
    return -1;
  }
  size_t data_len = (size_t)payload[2] | (size_t)payload[3] << 8;
  if (header + data_len != len) {
    snprintf(err, errcap, "chunk says %lu+%lu bytes, the message has %lu", (unsigned long)header,
             (unsigned long)data_len, (unsigned long)len);
    return -1;
  }
  uint32_t crc = u32le(payload + 12);
  uint32_t actual = tm_crc32(payload + header, data_len);
  if (crc != actual) {
    snprintf(err, errcap, "chunk CRC-32 is %08lx, header says %08lx", (unsigned long)actual,
             (unsigned long)crc);
    return -1;
  }
  out->deploy_id = u32le(payload + 4);
  out->index = u32le(payload + 8);
  out->data = payload + header;
  out->len = data_len;
  return 0;
}

size_t tm_chunk_encode(uint32_t deploy_id, uint32_t index, const uint8_t *data, size_t len,
                       uint8_t *out) {
  out[0] = TM_CHUNK_VERSION;
  out[1] = TM_CHUNK_HEADER_BYTES;
  out[2] = (uint8_t)(len & 0xff);
  out[3] = (uint8_t)(len >> 8);
  put_u32le(out + 4, deploy_id);
  put_u32le(out + 8, index);
  put_u32le(out + 12, tm_crc32(data, len));
  memcpy(out + TM_CHUNK_HEADER_BYTES, data, len);
  return TM_CHUNK_HEADER_BYTES + len;
}
