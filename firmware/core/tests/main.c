/* The core's C unit tests; `make SAN=1` runs them under ASan and UBSan. */
#include <stdio.h>

#include "check.h"

int tm_checks = 0;
int tm_failures = 0;

void to_hex(const uint8_t *bytes, size_t n, char *out) {
  static const char HEX[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = HEX[bytes[i] >> 4];
    out[2 * i + 1] = HEX[bytes[i] & 15];
  }
  out[2 * n] = '\0';
}

size_t from_hex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = strlen(hex) / 2;
  for (size_t i = 0; i < n && i < cap; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
  return n < cap ? n : cap;
}

int main(void) {
  struct {
    const char *name;
    void (*run)(void);
  } suites[] = {
      {"sha", test_sha},     {"ed25519", test_ed25519}, {"crc32", test_crc32},
      {"json", test_json},   {"jsonw", test_jsonw},     {"chunk", test_chunk},
      {"messages", test_messages}, {"store", test_store},
  };
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
    int before = tm_failures;
    suites[i].run();
    printf("%-9s %s\n", suites[i].name, tm_failures == before ? "ok" : "FAILED");
  }
  printf("%d checks, %d failed\n", tm_checks, tm_failures);
  return tm_failures ? 1 : 0;
}
