/*
 * SHA-512 (FIPS 180-4 §6.4), written for this project. Ed25519 needs it
 * (RFC 8032 §5.1: H is SHA-512); nothing else on the device does.
 */
#ifndef TM_SHA512_H_
#define TM_SHA512_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TM_SHA512_BYTES 64

typedef struct {
  uint64_t h[8];
  uint64_t length; /* bytes hashed so far (messages below 2^61 bytes) */
  uint8_t block[128];
  size_t used;
} tm_sha512_ctx;

void tm_sha512_init(tm_sha512_ctx *s);
void tm_sha512_update(tm_sha512_ctx *s, const void *data, size_t len);
void tm_sha512_final(tm_sha512_ctx *s, uint8_t digest[TM_SHA512_BYTES]);

#ifdef __cplusplus
}
#endif

#endif /* TM_SHA512_H_ */
