/*
 * sha256/sha512 against the examples of FIPS 180-4 (NIST CSRC example values),
 * Ed25519 against RFC 8032 §7.1 tests 1-3, CRC-32 against its check value.
 * The tests in test/firmware/ also hold these against node:crypto on
 * random inputs.
 */
#include <stdlib.h>

#include "check.h"
#include "tm_crc32.h"
#include "tm_ed25519.h"
#include "tm_sha256.h"
#include "tm_sha512.h"

static void sha256_hex(const void *data, size_t len, char out[65]) {
  uint8_t d[32];
  tm_sha256(data, len, d);
  to_hex(d, 32, out);
}

void test_sha(void) {
  char hex[129];
  sha256_hex("abc", 3, hex);
  CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  sha256_hex("", 0, hex);
  CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  sha256_hex(two_blocks, strlen(two_blocks), hex);
  CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

  /* One million 'a', fed in uneven pieces to exercise the block buffering. */
  tm_sha256_ctx s;
  uint8_t d[64];
  char *a = malloc(1000000);
  memset(a, 'a', 1000000);
  tm_sha256_init(&s);
  for (size_t at = 0, piece = 1; at < 1000000; piece = piece * 7 % 1000 + 1) {
    size_t n = 1000000 - at < piece ? 1000000 - at : piece;
    tm_sha256_update(&s, a + at, n);
    at += n;
  }
  tm_sha256_final(&s, d);
  to_hex(d, 32, hex);
  CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  free(a);

  tm_sha512_ctx s5;
  tm_sha512_init(&s5);
  tm_sha512_update(&s5, "abc", 3);
  tm_sha512_final(&s5, d);
  to_hex(d, 64, hex);
  CHECK_STR(hex,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  const char *two = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                    "klmnopqrlmnopqrsmnopqrstnopqrstu";
  tm_sha512_init(&s5);
  tm_sha512_update(&s5, two, strlen(two));
  tm_sha512_final(&s5, d);
  to_hex(d, 64, hex);
  CHECK_STR(hex,
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
            "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

typedef struct {
  const char *public_key, *message, *signature;
} rfc8032_case;

/* RFC 8032 §7.1, TEST 1-3 (checked against node:crypto's signer from the same seeds). */
static const rfc8032_case RFC8032[] = {
    {"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
     "b46bd25bf5f0595bbe24655141438e7a100b"},
    {"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f1"
     "1d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984d"
     "c6594a7c15e9716ed28dc027beceea1ec40a"},
};

/* L, little-endian: S + L is the same scalar but must be refused (RFC 8032 §5.1.7 step 1). */
static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                              0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                              0, 0, 0, 0x10};

void test_ed25519(void) {
  for (size_t i = 0; i < sizeof RFC8032 / sizeof RFC8032[0]; i++) {
    uint8_t pub[32], sig[64], msg[8];
    from_hex(RFC8032[i].public_key, pub, 32);
    from_hex(RFC8032[i].signature, sig, 64);
    size_t n = from_hex(RFC8032[i].message, msg, sizeof msg);
    CHECK(tm_ed25519_verify(sig, msg, n, pub) == 1);

    uint8_t bad[64];
    memcpy(bad, sig, 64);
    bad[0] ^= 1; /* R */
    CHECK(tm_ed25519_verify(bad, msg, n, pub) == 0);
    memcpy(bad, sig, 64);
    bad[40] ^= 0x10; /* S */
    CHECK(tm_ed25519_verify(bad, msg, n, pub) == 0);
    uint8_t other[8];
    memcpy(other, msg, sizeof msg);
    other[0] ^= 1;
    CHECK(tm_ed25519_verify(sig, other, n ? n : 1, pub) == 0);
    uint8_t wrong_key[32];
    from_hex(RFC8032[(i + 1) % 3].public_key, wrong_key, 32);
    CHECK(tm_ed25519_verify(sig, msg, n, wrong_key) == 0);

    /* S + L: a non-canonical S must be refused even though it is congruent. */
    memcpy(bad, sig, 64);
    unsigned carry = 0;
    for (int k = 0; k < 32; k++) {
      unsigned v = bad[32 + k] + L[k] + carry;
      bad[32 + k] = (uint8_t)v;
      carry = v >> 8;
    }
    CHECK(tm_ed25519_verify(bad, msg, n, pub) == 0);
  }
  /* A public key whose y is not below p (y = p) decodes to no point. */
  uint8_t sig[64], msg[1] = {0}, p_key[32];
  from_hex(RFC8032[0].signature, sig, 64);
  memset(p_key, 0xff, 32);
  p_key[0] = 0xed;
  p_key[31] = 0x7f;
  CHECK(tm_ed25519_verify(sig, msg, 0, p_key) == 0);
}

void test_crc32(void) {
  CHECK(tm_crc32("123456789", 9) == 0xcbf43926u);
  CHECK(tm_crc32("", 0) == 0);
}
