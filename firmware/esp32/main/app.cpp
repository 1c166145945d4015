// The device application, shared by the Arduino and ESP-IDF builds.
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "g_model.h"
#include "g_model_op_resolver.h"
#include "mqtt_link.h"
#include "platform_esp32.h"
#include "sensors.h"
#include "tm_device.h"
#include "tm_tflm_runtime.h"
#include "wifi_link.h"

namespace {

tm_device device;  // ~17 KB of static RAM (tm_config.h budgets)
tm_platform platform;
tm_runtime runtime;
tm_tflm_runtime runtime_state;
// Registers exactly the ops of the model main/model was exported from: the device
// announces these (caps.ops) and the deployer refuses models that need others.
g_model_OpResolver resolver;
const char *ops[TM_MAX_OPS];
uint8_t public_key[32];
SemaphoreHandle_t core_lock;  // esp-mqtt calls in from its own task
const sensor_source *sensor;
float window[TM_MAX_INPUT_VALUES];
uint32_t last_inference_ms;
bool ready;

void log_text(const char *text) { platform.log(nullptr, text); }

bool parse_key(const char *hex, uint8_t out[32]) {
  if (strlen(hex) != 64) return false;
  for (int i = 0; i < 32; i++) {
    char two[3] = {hex[2 * i], hex[2 * i + 1], 0};
    char *end;
    out[i] = static_cast<uint8_t>(strtoul(two, &end, 16));
    if (*end) return false;
  }
  return true;
}

int publish(void *, const char *topic, const void *payload, size_t len, int retain) {
  return mqtt_link_publish(topic, payload, len, retain);
}
int subscribe(void *, const char *topic, int qos) { return mqtt_link_subscribe(topic, qos); }
int unsubscribe(void *, const char *topic) { return mqtt_link_unsubscribe(topic); }

void on_connect() {
  xSemaphoreTake(core_lock, portMAX_DELAY);
  tm_device_connected(&device);
  xSemaphoreGive(core_lock);
}

void on_message(const char *topic, const uint8_t *payload, size_t len) {
  xSemaphoreTake(core_lock, portMAX_DELAY);
  tm_device_message(&device, topic, payload, len);
  xSemaphoreGive(core_lock);
}

uint32_t uptime_ms() { return static_cast<uint32_t>(platform.micros(nullptr) / 1000); }

}  // namespace

extern "C" void app_setup(void) {
  char err[160];
  core_lock = xSemaphoreCreateMutex();
  if (esp32_platform_init(&platform, err, sizeof err)) {
    printf("tinyml: %s\n", err);
    return;
  }
  platform.publish = publish;
  platform.subscribe = subscribe;
  platform.unsubscribe = unsubscribe;

  if (g_model_register_ops(resolver) != kTfLiteOk) {
    log_text("cannot register the op resolver's ops");
    return;
  }
  uint8_t *arena = esp32_alloc_arena(TINYML_ARENA_BYTES, TINYML_ARENA_IN_PSRAM);
  if (!arena) {
    snprintf(err, sizeof err, "no memory for a %d-byte tensor arena", TINYML_ARENA_BYTES);
    log_text(err);
    return;
  }
  tm_tflm_runtime_setup(&runtime, &runtime_state, &platform, &resolver, arena,
                        TINYML_ARENA_BYTES);

  tm_device_config cfg = {};
  cfg.id = TINYML_DEVICE_ID;
  cfg.prefix = TINYML_PREFIX;
  cfg.group = TINYML_GROUP[0] ? TINYML_GROUP : nullptr;
  cfg.profile = "esp32";
  cfg.max_packet = TINYML_MAX_PACKET;
  cfg.arena_bytes = TINYML_ARENA_BYTES;
  cfg.flash_bytes = esp32_slot_bytes();
  cfg.window = TINYML_WINDOW;
  cfg.n_ops = tm_tflm_registered_ops(&resolver, ops, TM_MAX_OPS);
  cfg.ops = ops;
  if (TINYML_PUBLIC_KEY_HEX[0]) {
    if (!parse_key(TINYML_PUBLIC_KEY_HEX, public_key)) {
      log_text("TINYML_PUBLIC_KEY_HEX must be 64 hex digits; refusing to start unprotected");
      return;
    }
    cfg.public_key = public_key;
  }
  if (tm_device_init(&device, &cfg, &platform, &runtime, err, sizeof err)) {
    log_text(err);
    return;
  }
  tm_device_boot(&device);
#if TINYML_INSTALL_BUILTIN_MODEL
  tm_device_install(&device, g_model, g_model_len, TINYML_BUILTIN_NAME, TINYML_BUILTIN_VERSION);
#endif

  wifi_link_start(TINYML_WIFI_SSID, TINYML_WIFI_PASSWORD, 20000);
  static char will_topic[TM_TOPIC_MAX], will[256];  // id and group of 64 characters each
  int will_len = tm_device_will(&device, will_topic, sizeof will_topic, will, sizeof will);
  static char client_id[80];
  snprintf(client_id, sizeof client_id, "tinyml-device-%s", TINYML_DEVICE_ID);
  mqtt_link_config link = {};
  link.host = TINYML_BROKER_HOST;
  link.port = TINYML_BROKER_PORT;
  link.client_id = client_id;
  link.user = TINYML_MQTT_USER[0] ? TINYML_MQTT_USER : nullptr;
  link.password = TINYML_MQTT_PASSWORD[0] ? TINYML_MQTT_PASSWORD : nullptr;
  link.will_topic = will_topic;
  link.will_payload = will;
  link.will_len = will_len > 0 ? static_cast<size_t>(will_len) : 0;
  link.max_packet = TINYML_MAX_PACKET;
  link.on_connect = on_connect;
  link.on_message = on_message;
  if (mqtt_link_start(&link)) {
    log_text("cannot start the MQTT client");
    return;
  }
  sensor = sensor_selected();
  if (sensor && sensor->start() != 0) {
    snprintf(err, sizeof err, "sensor %s did not start; inference on MQTT requests only",
             sensor->name);
    log_text(err);
    sensor = nullptr;
  }
  ready = true;
}

extern "C" void app_loop(void) {
  if (!ready) {
    vTaskDelay(pdMS_TO_TICKS(1000));
    return;
  }
  mqtt_link_poll();
  if (!sensor || uptime_ms() - last_inference_ms < TINYML_SENSOR_PERIOD_MS) return;
  size_t n = 0;
  if (sensor->read(window, TM_MAX_INPUT_VALUES, &n) != 0) return;
  last_inference_ms = uptime_ms();
  size_t counts[1] = {n};
  xSemaphoreTake(core_lock, portMAX_DELAY);
  if (tm_device_model(&device)) tm_device_infer(&device, window, counts, 1);
  xSemaphoreGive(core_lock);
}
