/*
 * The runtime of the host build without TensorFlow Lite Micro: it stores
 * and checks models but runs none. load() checks what can be checked without
 * an interpreter — the flatbuffer's size, its "TFL3" file identifier and that
 * its root table offset lies inside the file (FlatBuffers binary format:
 * u32 root offset, then the 4-byte identifier) — and self_test() has nothing
 * to run. The device says so in its status (caps.inference = "none"), and an
 * inference request gets an error result, never a made-up output.
 */
#ifndef HOST_RUNTIME_NONE_H_
#define HOST_RUNTIME_NONE_H_

#include "tm_platform.h"

typedef struct {
  const tm_platform *pf;
  int loaded;
} host_runtime_none;

void host_runtime_none_init(tm_runtime *rt, host_runtime_none *state, const tm_platform *pf);

#endif /* HOST_RUNTIME_NONE_H_ */
