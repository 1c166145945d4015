// The ESP32 platform layer of the device core (tm_platform.h): model slots in
// the model_a/model_b data partitions (partitions.csv), records in NVS, the
// SHA engine through mbedTLS, clocks from esp_timer and SNTP.
#ifndef TINYML_PLATFORM_ESP32_H_
#define TINYML_PLATFORM_ESP32_H_

#include <stddef.h>
#include <stdint.h>

#include "tm_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

// Fills the storage, clock and log functions of `pf` (publish and friends are the app's).
int esp32_platform_init(tm_platform *pf, char *err, size_t errcap);
// Bytes of the smaller model partition: the device's caps.flashBytes.
uint32_t esp32_slot_bytes(void);
// A 16-byte aligned tensor arena from internal RAM, or PSRAM when asked.
uint8_t *esp32_alloc_arena(size_t bytes, int psram);

#ifdef __cplusplus
}
#endif

#endif  // TINYML_PLATFORM_ESP32_H_
