/*
 * tm-tool: the core's primitives on files and lines, so the tests can hold
 * them against the references that produce the protocol's bytes (node:crypto
 * for sha256 and Ed25519, the deployer's chunk encoder, ajv with the
 * protocol's JSON Schemas).
 *
 *   tm-tool sha256 FILE [PIECE]      digest, hashing in PIECE-byte updates
 *   tm-tool crc32 FILE
 *   tm-tool verify PUBHEX SIGHEX FILE   "valid" or "invalid"
 *   tm-tool chunk FILE               "ok DEPLOYID INDEX LEN" or "invalid: why"
 *   tm-tool parse KIND               KIND: offer|manifest|command|infer; one JSON
 *                                    text per stdin line, one verdict per line
 *   tm-tool bench-sha256 FILE REPS   seconds to hash FILE REPS times
 *   tm-tool bench-verify PUBHEX SIGHEX FILE REPS   seconds for REPS verifications
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tm_chunk.h"
#include "tm_crc32.h"
#include "tm_ed25519.h"
#include "tm_messages.h"
#include "tm_sha256.h"

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "tm-tool: cannot open %s\n", path);
    exit(2);
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  for (;;) {
    if (n == cap) buf = realloc(buf, cap *= 2);
    size_t got = fread(buf + n, 1, cap - n, f);
    if (got == 0) break;
    n += got;
  }
  fclose(f);
  *len = n;
  return buf;
}

static int unhex(const char *hex, uint8_t *out, size_t n) {
  if (strlen(hex) != 2 * n) return -1;
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (uint8_t)v;
  }
  return 0;
}

static int parse_lines(const char *kind) {
  static char line[1 << 20];
  static tm_manifest manifest;
  static tm_offer offer;
  static tm_command command;
  static tm_infer_request infer;
  char err[256];
  while (fgets(line, sizeof line, stdin)) {
    size_t len = strcspn(line, "\n");
    int rc;
    if (!strcmp(kind, "offer")) {
      rc = tm_parse_offer(line, len, &offer, err, sizeof err);
    } else if (!strcmp(kind, "manifest")) {
      rc = tm_parse_manifest(line, len, &manifest, err, sizeof err);
    } else if (!strcmp(kind, "command")) {
      rc = tm_parse_command(line, len, &command, err, sizeof err);
    } else if (!strcmp(kind, "infer")) {
      rc = tm_parse_infer(line, len, &infer, err, sizeof err);
      if (rc == -2) rc = 0; /* a valid request whose input the device answers with an error */
    } else {
      fprintf(stderr, "tm-tool: unknown kind %s\n", kind);
      return 2;
    }
    if (rc) {
      printf("invalid: %s\n", err);
    } else {
      printf("ok\n");
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tm-tool sha256|crc32|verify|chunk|parse ...\n");
    return 2;
  }
  const char *cmd = argv[1];
  size_t len = 0;
  if (!strcmp(cmd, "sha256") && argc >= 3) {
    uint8_t *data = read_file(argv[2], &len);
    size_t piece = argc >= 4 ? (size_t)strtoul(argv[3], NULL, 10) : len;
    tm_sha256_ctx s;
    uint8_t d[32];
    tm_sha256_init(&s);
    for (size_t at = 0; at < len || (len == 0 && at == 0); at += piece ? piece : 1) {
      size_t n = len - at < piece ? len - at : piece;
      tm_sha256_update(&s, data + at, n);
      if (len == 0) break;
    }
    tm_sha256_final(&s, d);
    for (int i = 0; i < 32; i++) printf("%02x", d[i]);
    printf("\n");
    free(data);
    return 0;
  }
  if (!strcmp(cmd, "crc32") && argc >= 3) {
    uint8_t *data = read_file(argv[2], &len);
    printf("%08lx\n", (unsigned long)tm_crc32(data, len));
    free(data);
    return 0;
  }
  if (!strcmp(cmd, "verify") && argc >= 5) {
    uint8_t pub[32], sig[64];
    if (unhex(argv[2], pub, 32) || unhex(argv[3], sig, 64)) {
      fprintf(stderr, "tm-tool: bad hex\n");
      return 2;
    }
    uint8_t *data = read_file(argv[4], &len);
    printf("%s\n", tm_ed25519_verify(sig, data, len, pub) ? "valid" : "invalid");
    free(data);
    return 0;
  }
  if (!strcmp(cmd, "chunk") && argc >= 3) {
    uint8_t *data = read_file(argv[2], &len);
    tm_chunk c;
    char err[160];
    if (tm_chunk_decode(data, len, &c, err, sizeof err)) {
      printf("invalid: %s\n", err);
    } else {
      printf("ok %08lx %lu %lu\n", (unsigned long)c.deploy_id, (unsigned long)c.index,
             (unsigned long)c.len);
    }
    free(data);
    return 0;
  }
  if (!strcmp(cmd, "parse") && argc >= 3) return parse_lines(argv[2]);
  if ((!strcmp(cmd, "bench-sha256") && argc >= 4) || (!strcmp(cmd, "bench-verify") && argc >= 6)) {
    int verify = cmd[6] == 'v';
    uint8_t *data = read_file(argv[verify ? 4 : 2], &len);
    long reps = strtol(argv[verify ? 5 : 3], NULL, 10);
    uint8_t pub[32], sig[64], d[32];
    int ok = 1;
    if (verify && (unhex(argv[2], pub, 32) || unhex(argv[3], sig, 64))) return 2;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long r = 0; r < reps; r++) {
      if (verify) {
        ok &= tm_ed25519_verify(sig, data, len, pub);
      } else {
        tm_sha256(data, len, d);
      }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(data);
    if (!ok) return 1;
    printf("%.9f\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
  }
  fprintf(stderr, "tm-tool: unknown or incomplete command %s\n", cmd);
  return 2;
}
