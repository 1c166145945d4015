/*
 * CRC-32 as zlib, PNG and Ethernet compute it (IEEE 802.3: reflected
 * polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF); check
 * value crc32("123456789") = 0xCBF43926. Every chunk of protocol v1 carries
 * it (src/fleet/chunk.ts). The ESP32 ROM has the same function
 * (esp_rom_crc32_le); this portable one uses a 16-entry table (64 bytes).
 */
#ifndef TM_CRC32_H_
#define TM_CRC32_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint32_t tm_crc32(const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* TM_CRC32_H_ */
