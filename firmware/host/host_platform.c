#define _POSIX_C_SOURCE 200809L
#include "host_platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void host_slot_path(const host_storage *s, int slot, char *out, size_t cap) {
  snprintf(out, cap, "%s/slot-%c.tflite", s->dir, 'a' + slot);
}

static int open_slot(host_storage *s, int slot, int flags) {
  char path[600];
  host_slot_path(s, slot, path, sizeof path);
  return open(path, flags, 0644);
}

/* NOR flash erases to 0xFF: the slot file becomes `size` bytes of 0xFF. */
static int slot_erase(void *ctx, int slot, uint32_t size) {
  host_storage *s = (host_storage *)ctx;
  if (size > s->slot_bytes) return -1;
  int fd = open_slot(s, slot, O_WRONLY | O_CREAT | O_TRUNC);
  if (fd < 0) return -1;
  uint8_t ff[4096];
  memset(ff, 0xff, sizeof ff);
  int rc = 0;
  for (uint32_t at = 0; at < size && rc == 0;) {
    size_t n = size - at < sizeof ff ? size - at : sizeof ff;
    if (write(fd, ff, n) != (ssize_t)n) rc = -1;
    at += (uint32_t)n;
  }
  if (fsync(fd)) rc = -1;
  close(fd);
  return rc;
}

static int slot_write(void *ctx, int slot, uint32_t offset, const uint8_t *data, size_t len) {
  host_storage *s = (host_storage *)ctx;
  if ((uint64_t)offset + len > s->slot_bytes) return -1;
  int fd = open_slot(s, slot, O_WRONLY);
  if (fd < 0) return -1;
  int rc = pwrite(fd, data, len, offset) == (ssize_t)len ? 0 : -1;
  close(fd);
  return rc;
}

static int slot_read(void *ctx, int slot, uint32_t offset, uint8_t *buf, size_t len) {
  host_storage *s = (host_storage *)ctx;
  int fd = open_slot(s, slot, O_RDONLY);
  if (fd < 0) return -1;
  int rc = pread(fd, buf, len, offset) == (ssize_t)len ? 0 : -1;
  close(fd);
  return rc;
}

static void kv_path(const host_storage *s, const char *key, const char *suffix, char *out,
                    size_t cap) {
  snprintf(out, cap, "%s/%s.rec%s", s->dir, key, suffix);
}

static int kv_write(void *ctx, const char *key, const void *data, size_t len) {
  host_storage *s = (host_storage *)ctx;
  char path[600], tmp[610];
  kv_path(s, key, "", path, sizeof path);
  if (!data) return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
  kv_path(s, key, ".tmp", tmp, sizeof tmp);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  int rc = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
  close(fd);
  if (rc == 0) rc = rename(tmp, path); /* atomic on POSIX file systems */
  return rc;
}

static int kv_read(void *ctx, const char *key, void *buf, size_t cap, size_t *len) {
  host_storage *s = (host_storage *)ctx;
  char path[600];
  kv_path(s, key, "", path, sizeof path);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return errno == ENOENT ? TM_ERR_NOT_FOUND : -1;
  ssize_t n = read(fd, buf, cap);
  uint8_t extra;
  int too_long = n == (ssize_t)cap && read(fd, &extra, 1) == 1;
  close(fd);
  if (n < 0 || too_long) return -1;
  *len = (size_t)n;
  return 0;
}

static uint64_t now_ms(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t micros(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void log_line(void *ctx, const char *line) {
  (void)ctx;
  fprintf(stderr, "%s\n", line);
}

void host_platform_init(tm_platform *pf, host_storage *storage, const char *dir,
                        uint32_t slot_bytes) {
  memset(storage, 0, sizeof *storage);
  snprintf(storage->dir, sizeof storage->dir, "%s", dir);
  storage->slot_bytes = slot_bytes;
  mkdir(dir, 0755);
  memset(pf, 0, sizeof *pf);
  pf->ctx = storage;
  pf->slot_erase = slot_erase;
  pf->slot_write = slot_write;
  pf->slot_read = slot_read;
  pf->kv_write = kv_write;
  pf->kv_read = kv_read;
  pf->now_ms = now_ms;
  pf->micros = micros;
  pf->log = log_line;
}
