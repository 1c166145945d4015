#include "tm_crc32.h"

/* crc of each 4-bit value under the reflected polynomial, so a byte takes two lookups. */
static const uint32_t NIBBLE[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
    0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t tm_crc32(const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data;
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < len; i++) {
    c ^= p[i];
    c = (c >> 4) ^ NIBBLE[c & 15];
    c = (c >> 4) ^ NIBBLE[c & 15];
  }
  return c ^ 0xffffffffu;
}
