/*
 * What the device core needs from a board, and nothing more: model slots in
 * flash, small records that survive a restart, MQTT publish/subscribe, a
 * clock, a log — and a model runtime. firmware/host/ implements them with
 * POSIX files and libmosquitto; firmware/esp32/ with ESP-IDF partitions, NVS,
 * PubSubClient and TensorFlow Lite Micro.
 *
 * Every function returns 0 on success and a negative value on failure.
 */
#ifndef TM_PLATFORM_H_
#define TM_PLATFORM_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TM_ERR_NOT_FOUND (-2)

typedef struct tm_platform {
  void *ctx;

  /* Model slots 0 ("a") and 1 ("b"). erase prepares `size` bytes (NOR flash erases to 0xFF). */
  int (*slot_erase)(void *ctx, int slot, uint32_t size);
  int (*slot_write)(void *ctx, int slot, uint32_t offset, const uint8_t *data, size_t len);
  int (*slot_read)(void *ctx, int slot, uint32_t offset, uint8_t *buf, size_t len);
  /*
   * Optional (NULL: the core hashes what slot_read returns with tm_sha256):
   * the sha256 of a slot's first `size` bytes by other means, e.g. mbedTLS on
   * the ESP32's SHA accelerator over the memory-mapped partition.
   */
  int (*slot_sha256)(void *ctx, int slot, uint32_t size, uint8_t digest[32]);
  /*
   * Optional: the slot's first `size` bytes in memory, for a runtime that reads
   * the model in place (ESP-IDF's esp_partition_mmap maps flash into the data
   * address space, so a model needs no RAM copy). NULL: the runtime reads it.
   */
  int (*slot_map)(void *ctx, int slot, uint32_t size, const uint8_t **data);

  /*
   * Records that survive a restart, each replaced atomically (a crash leaves
   * the old or the new record, never half): "slots", "xfer", "mfst", "done",
   * "labels-a", "labels-b". data == NULL deletes. kv_read returns
   * TM_ERR_NOT_FOUND when the record does not exist.
   */
  int (*kv_write)(void *ctx, const char *key, const void *data, size_t len);
  int (*kv_read)(void *ctx, const char *key, void *buf, size_t cap, size_t *len);

  /* MQTT: the device publishes at QoS 0 (as PubSubClient does); retain for the status. */
  int (*publish)(void *ctx, const char *topic, const void *payload, size_t len, int retain);
  int (*subscribe)(void *ctx, const char *topic, int qos);
  int (*unsubscribe)(void *ctx, const char *topic);

  /* Wall clock in ms since the Unix epoch when known (SNTP), else since boot. */
  uint64_t (*now_ms)(void *ctx);
  /* A monotonic microsecond clock for latencies. */
  uint64_t (*micros)(void *ctx);
  void (*log)(void *ctx, const char *line);
} tm_platform;

typedef enum {
  TM_DTYPE_FLOAT32,
  TM_DTYPE_INT8,
  TM_DTYPE_UINT8,
  TM_DTYPE_INT16,
  TM_DTYPE_INT32,
} tm_dtype;

/* An output tensor as the runtime exposes it after an inference (valid until the next call). */
typedef struct {
  const char *name;
  const int32_t *shape;
  int rank;
  tm_dtype dtype;
  const void *data;
  size_t count;
} tm_tensor_view;

/*
 * The model runtime. One model is loaded at a time (a microcontroller has
 * RAM for one tensor arena): the core loads the new slot, self-tests it, and
 * reloads the old slot if the new one fails, all before it handles another
 * message, so no request ever sees a half-loaded model.
 */
typedef struct tm_runtime {
  void *ctx;
  /* "tflm" when inference runs, "none" for a build that only stores models. */
  const char *inference;
  /* Loads the model of `size` bytes in `slot`; on failure says why in err. */
  int (*load)(void *ctx, int slot, uint32_t size, char *err, size_t errcap);
  /* One inference on all-zero inputs whose outputs must all be finite. */
  int (*self_test)(void *ctx, char *err, size_t errcap);
  /*
   * Runs the loaded model. `values` holds every input's values in order;
   * counts[i] is how many belong to entry i of the request. With real == 0
   * they are the tensor's own values (an int8 input takes integers in
   * [-128, 127], as `tinyml run` and the Node.js agent take them); with
   * real == 1 they are real-world readings (a sensor), which the runtime
   * quantizes with the input tensor's scale and zero point (TFLite's
   * q = round(x / scale) + zero_point, clamped). Fills up to `max_outputs`
   * views and sets *outputs.
   */
  int (*infer)(void *ctx, const float *values, const size_t *counts, size_t entries, int real,
               tm_tensor_view *outs, size_t max_outputs, size_t *outputs, char *err,
               size_t errcap);
  void (*unload)(void *ctx);
} tm_runtime;

#ifdef __cplusplus
}
#endif

#endif /* TM_PLATFORM_H_ */
