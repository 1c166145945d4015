/*
 * The model runtime on TensorFlow Lite Micro, behind the core's tm_runtime
 * interface: the ESP32 firmware's, and the host device's when built with
 * TFLM_DIR. One MicroInterpreter at a time in one caller-provided arena (a
 * microcontroller has RAM for one); the model is read in place when the
 * platform maps slots (slot_map), else copied into a 16-byte aligned buffer
 * (TFLM reads tensors in place and needs that alignment).
 *
 * Loading checks, in order: the flatbuffer verifies (a damaged model must not
 * crash the device), its schema version is TFLite's 3, and AllocateTensors
 * succeeds with the arena and op resolver — an op the resolver lacks, or an
 * arena too small, fails here with TFLM's own message in the log.
 */
#ifndef TM_TFLM_RUNTIME_H_
#define TM_TFLM_RUNTIME_H_

#include <stddef.h>
#include <stdint.h>

#include "tm_config.h"
#include "tm_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const tm_platform *pf;
  const void *resolver; /* a tflite::MicroOpResolver */
  uint8_t *arena;
  size_t arena_bytes;
  /* Where the model is: mapped flash, or copy (owned, 16-byte aligned). */
  const uint8_t *model;
  uint8_t *copy;
  size_t copy_bytes;
  /* Storage for the MicroInterpreter (placement new), and whether it holds one. */
  void *interpreter;
  int loaded;
  size_t arena_used;
  tm_tensor_view views[TM_MAX_TENSORS];
  int32_t shapes[TM_MAX_TENSORS][8];
} tm_tflm_runtime;

/*
 * `resolver` is the app's tflite::MicroMutableOpResolver (see the op resolver
 * `tinyml export` generates); `arena` must be 16-byte aligned.
 */
void tm_tflm_runtime_setup(tm_runtime *rt, tm_tflm_runtime *state, const tm_platform *pf,
                           const void *resolver, uint8_t *arena, size_t arena_bytes);

/*
 * The builtin ops `resolver` registers, by their TFLite names (what the device
 * announces in caps.ops), found by asking the resolver for every builtin
 * operator. Returns how many; fills at most `max` names.
 */
size_t tm_tflm_registered_ops(const void *resolver, const char **names, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* TM_TFLM_RUNTIME_H_ */
