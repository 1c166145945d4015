/*
 * Ed25519 signature verification (RFC 8032 §5.1.7), written for this project
 * from the RFC: a device that holds the deployer's public key accepts a
 * manifest only when its signature verifies (docs/protocol.md, "Signatures").
 * Verification only: a device never signs. Inputs are public, so nothing here
 * needs to run in constant time.
 */
#ifndef TM_ED25519_H_
#define TM_ED25519_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TM_ED25519_PUBLIC_KEY_BYTES 32
#define TM_ED25519_SIGNATURE_BYTES 64

/*
 * 1 when `signature` is a valid Ed25519 signature of `message` under
 * `public_key`, 0 otherwise (including a malformed key or signature, or S not
 * below the group order). Checks the cofactorless equation [S]B = R + [k]A,
 * which RFC 8032 §5.1.7 allows, and compares R by its encoding.
 */
int tm_ed25519_verify(const uint8_t signature[TM_ED25519_SIGNATURE_BYTES], const uint8_t *message,
                      size_t len, const uint8_t public_key[TM_ED25519_PUBLIC_KEY_BYTES]);

#ifdef __cplusplus
}
#endif

#endif /* TM_ED25519_H_ */
