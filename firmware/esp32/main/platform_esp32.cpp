// ESP32 platform layer. Facts it relies on (ESP-IDF Programming Guide):
// - esp_partition_erase_range takes offsets and sizes that are multiples of the
//   flash sector (4096 bytes); esp_partition_write may write anywhere already
//   erased (NOR flash only clears bits).
// - esp_partition_mmap maps a partition into the data address space through the
//   flash cache, so TFLite Micro reads the model in place; IDF flushes the cache
//   for written ranges, and we unmap a slot before erasing or writing it anyway.
// - NVS replaces a key's value atomically (the old entry is erased only after the
//   new one is written), which is what the slot table's switch needs.
#include "platform_esp32.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "esp_heap_caps.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "esp_partition.h"
#include "esp_timer.h"
#include "mbedtls/sha256.h"
#include "nvs.h"
#include "nvs_flash.h"

namespace {

const char *TAG = "tinyml";
constexpr uint32_t SECTOR = 4096;

#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 0, 0)
using map_handle = esp_partition_mmap_handle_t;
constexpr auto MAP_DATA = ESP_PARTITION_MMAP_DATA;
#else
using map_handle = spi_flash_mmap_handle_t;
constexpr auto MAP_DATA = SPI_FLASH_MMAP_DATA;
#endif

const esp_partition_t *parts[2];
map_handle maps[2];
const uint8_t *mapped[2];
nvs_handle_t nvs;

void unmap(int slot) {
  if (!mapped[slot]) return;
  esp_partition_munmap(maps[slot]);
  mapped[slot] = nullptr;
}

int slot_erase(void *, int slot, uint32_t size) {
  const esp_partition_t *p = parts[slot];
  uint32_t bytes = (size + SECTOR - 1) / SECTOR * SECTOR;
  if (bytes > p->size) return -1;
  unmap(slot);
  // ~45 ms per 4 KB sector (a 100 KB model: about 1.1 s); the deployer resends what
  // arrives meanwhile and does not fit the TCP window.
  return esp_partition_erase_range(p, 0, bytes) == ESP_OK ? 0 : -1;
}

int slot_write(void *, int slot, uint32_t offset, const uint8_t *data, size_t len) {
  unmap(slot);
  return esp_partition_write(parts[slot], offset, data, len) == ESP_OK ? 0 : -1;
}

int slot_read(void *, int slot, uint32_t offset, uint8_t *buf, size_t len) {
  return esp_partition_read(parts[slot], offset, buf, len) == ESP_OK ? 0 : -1;
}

int slot_map(void *, int slot, uint32_t size, const uint8_t **data) {
  if (size > parts[slot]->size) return -1;
  if (!mapped[slot]) {
    const void *ptr = nullptr;
    if (esp_partition_mmap(parts[slot], 0, parts[slot]->size, MAP_DATA, &ptr, &maps[slot]) !=
        ESP_OK) {
      return -1;
    }
    mapped[slot] = static_cast<const uint8_t *>(ptr);
  }
  *data = mapped[slot];
  return 0;
}

// sha256 on the SHA accelerator (IDF's mbedTLS port uses it), over the mapped slot.
int slot_sha256(void *ctx, int slot, uint32_t size, uint8_t digest[32]) {
  const uint8_t *data;
  if (slot_map(ctx, slot, size, &data)) return -1;
  mbedtls_sha256_context sha;
  mbedtls_sha256_init(&sha);
  mbedtls_sha256_starts(&sha, 0);
  mbedtls_sha256_update(&sha, data, size);
  mbedtls_sha256_finish(&sha, digest);
  mbedtls_sha256_free(&sha);
  return 0;
}

int kv_write(void *, const char *key, const void *data, size_t len) {
  esp_err_t e = data ? nvs_set_blob(nvs, key, data, len) : nvs_erase_key(nvs, key);
  if (e == ESP_ERR_NVS_NOT_FOUND) e = ESP_OK;  // deleting what is not there
  if (e == ESP_OK) e = nvs_commit(nvs);
  return e == ESP_OK ? 0 : -1;
}

int kv_read(void *, const char *key, void *buf, size_t cap, size_t *len) {
  size_t size = 0;
  esp_err_t e = nvs_get_blob(nvs, key, nullptr, &size);
  if (e == ESP_ERR_NVS_NOT_FOUND) return TM_ERR_NOT_FOUND;
  if (e != ESP_OK || size > cap) return -1;
  if (nvs_get_blob(nvs, key, buf, &size) != ESP_OK) return -1;
  *len = size;
  return 0;
}

uint64_t now_ms(void *) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  // Before SNTP has set the clock (year < 2020) the protocol's timestamps are uptime.
  if (tv.tv_sec > 1577836800) return static_cast<uint64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
  return static_cast<uint64_t>(esp_timer_get_time() / 1000);
}

uint64_t micros(void *) { return static_cast<uint64_t>(esp_timer_get_time()); }

void log_line(void *, const char *line) { ESP_LOGI(TAG, "%s", line); }

}  // namespace

extern "C" int esp32_platform_init(tm_platform *pf, char *err, size_t errcap) {
  esp_err_t e = nvs_flash_init();
  if (e == ESP_ERR_NVS_NO_FREE_PAGES || e == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    // A partition from another layout: start it over (the device forgets its slot table).
    nvs_flash_erase();
    e = nvs_flash_init();
  }
  if (e != ESP_OK || nvs_open("tinyml", NVS_READWRITE, &nvs) != ESP_OK) {
    snprintf(err, errcap, "cannot open NVS: %s", esp_err_to_name(e));
    return -1;
  }
  const char *labels[2] = {"model_a", "model_b"};
  for (int i = 0; i < 2; i++) {
    parts[i] = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY,
                                        labels[i]);
    if (!parts[i]) {
      snprintf(err, errcap, "no \"%s\" partition: flash with partitions.csv", labels[i]);
      return -1;
    }
  }
  memset(pf, 0, sizeof *pf);
  pf->slot_erase = slot_erase;
  pf->slot_write = slot_write;
  pf->slot_read = slot_read;
  pf->slot_sha256 = slot_sha256;
  pf->slot_map = slot_map;
  pf->kv_write = kv_write;
  pf->kv_read = kv_read;
  pf->now_ms = now_ms;
  pf->micros = micros;
  pf->log = log_line;
  return 0;
}

extern "C" uint32_t esp32_slot_bytes(void) {
  return parts[0]->size < parts[1]->size ? parts[0]->size : parts[1]->size;
}

extern "C" uint8_t *esp32_alloc_arena(size_t bytes, int psram) {
  uint32_t caps = psram ? MALLOC_CAP_SPIRAM : (MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT);
  return static_cast<uint8_t *>(heap_caps_aligned_alloc(16, bytes, caps));
}
