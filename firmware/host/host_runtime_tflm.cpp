// The host device's TensorFlow Lite Micro runtime (make TFLM_DIR=... EXPORT_DIR=...):
// the op resolver is the one `tinyml export --symbol g_model` generated for a
// model (EXPORT_DIR/g_model_op_resolver.h), exactly as the ESP32 firmware
// includes it, and the arena is the budget the device announces.
#include <stdlib.h>

#include "g_model_op_resolver.h"
#include "host_runtime.h"

namespace {
g_model_OpResolver resolver;
}

extern "C" int host_runtime_init(tm_runtime *rt, host_runtime *state, const tm_platform *pf,
                                 uint32_t arena_bytes) {
  if (g_model_register_ops(resolver) != kTfLiteOk) return -1;
  size_t bytes = (arena_bytes + 15u) & ~15u;
  uint8_t *arena = static_cast<uint8_t *>(aligned_alloc(16, bytes));
  if (!arena) return -1;
  tm_tflm_runtime_setup(rt, state, pf, &resolver, arena, bytes);
  return 0;
}

extern "C" void host_runtime_free(host_runtime *state) { free(state->arena); }

extern "C" size_t host_runtime_ops(const char **names, size_t max) {
  return tm_tflm_registered_ops(&resolver, names, max);
}
