/* A minimal test harness: CHECK records a failure with its line and goes on. */
#ifndef TM_TESTS_CHECK_H_
#define TM_TESTS_CHECK_H_

#include <stdio.h>
#include <stdint.h>
#include <string.h>

extern int tm_checks;
extern int tm_failures;

#define CHECK(cond)                                                    \
  do {                                                                 \
    tm_checks++;                                                       \
    if (!(cond)) {                                                     \
      tm_failures++;                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                  \
  } while (0)

#define CHECK_STR(a, b)                                                                    \
  do {                                                                                     \
    tm_checks++;                                                                           \
    if (strcmp((a), (b)) != 0) {                                                           \
      tm_failures++;                                                                       \
      fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, (a), (b));          \
    }                                                                                      \
  } while (0)

/* Hex text of `n` bytes into out (2n + 1 bytes). */
void to_hex(const uint8_t *bytes, size_t n, char *out);
/* Bytes of a hex string; returns how many. */
size_t from_hex(const char *hex, uint8_t *out, size_t cap);

void test_sha(void);
void test_ed25519(void);
void test_crc32(void);
void test_json(void);
void test_jsonw(void);
void test_chunk(void);
void test_messages(void);
void test_store(void);

#endif /* TM_TESTS_CHECK_H_ */
