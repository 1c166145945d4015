/*
 * SHA-256, streaming (FIPS 180-4 §6.2), written for this project. The device
 * hashes a received model as it reads it back from flash, so the whole model
 * is never in RAM. On an ESP32 the platform may use the hardware SHA engine
 * through mbedTLS instead (see firmware/esp32/src/platform_esp32.cpp); both
 * give the same digest.
 */
#ifndef TM_SHA256_H_
#define TM_SHA256_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TM_SHA256_BYTES 32

typedef struct {
  uint32_t h[8];
  uint64_t length; /* bytes hashed so far */
  uint8_t block[64];
  size_t used; /* bytes waiting in block */
} tm_sha256_ctx;

void tm_sha256_init(tm_sha256_ctx *s);
void tm_sha256_update(tm_sha256_ctx *s, const void *data, size_t len);
void tm_sha256_final(tm_sha256_ctx *s, uint8_t digest[TM_SHA256_BYTES]);

/* One call: digest of `len` bytes. */
void tm_sha256(const void *data, size_t len, uint8_t digest[TM_SHA256_BYTES]);

#ifdef __cplusplus
}
#endif

#endif /* TM_SHA256_H_ */
