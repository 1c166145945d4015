/*
 * The POSIX platform layer of the host build: model slots and records are
 * files in a data directory (records replaced by write, fsync, rename, so a
 * crash leaves the old or the new one), clocks from clock_gettime, the log on
 * stderr. MQTT functions are filled in by the program that owns the client
 * (host_device.c: libmosquitto; host_sim.c: a script).
 */
#ifndef HOST_PLATFORM_H_
#define HOST_PLATFORM_H_

#include "tm_platform.h"

typedef struct {
  char dir[512];
  /* Bytes each slot may hold; writes beyond it fail as flash would. */
  uint32_t slot_bytes;
  /* The MQTT functions' own state (the platform has one ctx: this struct). */
  void *mqtt;
} host_storage;

/* Fills the storage and clock functions of `pf`; pf->ctx is `storage`. */
void host_platform_init(tm_platform *pf, host_storage *storage, const char *dir,
                        uint32_t slot_bytes);

/* The path of a slot's file, for tests and tools. */
void host_slot_path(const host_storage *s, int slot, char *out, size_t cap);

#endif /* HOST_PLATFORM_H_ */
