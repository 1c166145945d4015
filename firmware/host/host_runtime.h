/*
 * The host build's model runtime. Without TFLM: the "none" runtime, which
 * stores and checks models but runs none and says so (caps.inference "none");
 * the device announces the ops given with --ops. With TFLM (make TFLM_DIR=...
 * EXPORT_DIR=...): TensorFlow Lite Micro through firmware/runtime, the same
 * adapter the ESP32 firmware uses, and the device announces the ops its
 * generated op resolver registers.
 */
#ifndef HOST_RUNTIME_H_
#define HOST_RUNTIME_H_

#include <stddef.h>
#include <stdint.h>

#include "tm_platform.h"

#ifdef TM_HOST_TFLM
#include "tm_tflm_runtime.h"
typedef tm_tflm_runtime host_runtime;
#ifdef __cplusplus
extern "C" {
#endif
int host_runtime_init(tm_runtime *rt, host_runtime *state, const tm_platform *pf,
                      uint32_t arena_bytes);
void host_runtime_free(host_runtime *state);
size_t host_runtime_ops(const char **names, size_t max);
#ifdef __cplusplus
}
#endif
#else
#include "host_runtime_none.h"
typedef host_runtime_none host_runtime;
static inline int host_runtime_init(tm_runtime *rt, host_runtime *state, const tm_platform *pf,
                                    uint32_t arena_bytes) {
  (void)arena_bytes;
  host_runtime_none_init(rt, state, pf);
  return 0;
}
static inline void host_runtime_free(host_runtime *state) { (void)state; }
#endif

#endif /* HOST_RUNTIME_H_ */
