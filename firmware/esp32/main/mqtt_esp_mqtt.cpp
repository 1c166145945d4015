// The MQTT link on ESP-IDF: esp-mqtt (ESP-IDF 5.x), which runs its own task.
// Its events are copied into a bounded queue and handled in the application
// task by mqtt_link_poll(), so the device core only ever runs in one task and
// never waits on a lock esp-mqtt might hold. A full queue drops the message,
// as a device that cannot keep up would: the protocol repairs lost chunks, and
// the deployer's window (caps.window) keeps the queue from filling.
// A message longer than the receive buffer arrives in fragments
// (current_data_offset, total_data_len); they are reassembled up to max_packet.
#if !defined(ARDUINO)
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "mqtt_client.h"
#include "mqtt_link.h"
#include "tm_config.h"

namespace {

constexpr size_t SLOTS = 16;  // > caps.window (8) + offers, commands, requests
constexpr size_t TOPIC_MAX = 192;

struct Slot {
  char topic[TOPIC_MAX];
  size_t len;
  bool connect;  // a (re)connect event rather than a message
  uint8_t *payload;
};

esp_mqtt_client_handle_t client;
mqtt_link_config cfg;
Slot slots[SLOTS];
QueueHandle_t ready_q;  // indices of filled slots, in arrival order
QueueHandle_t free_q;   // indices of free slots
int filling = -1;       // the slot a fragmented message is being assembled in
size_t expected;

int take_free() {
  uint8_t i;
  return xQueueReceive(free_q, &i, 0) == pdTRUE ? i : -1;
}

void hand_over(int i) {
  uint8_t index = static_cast<uint8_t>(i);
  xQueueSend(ready_q, &index, 0);
}

void on_event(void *, esp_event_base_t, int32_t event_id, void *data) {
  auto *e = static_cast<esp_mqtt_event_handle_t>(data);
  switch (static_cast<esp_mqtt_event_id_t>(event_id)) {
    case MQTT_EVENT_CONNECTED: {
      int i = take_free();
      if (i < 0) break;
      slots[i].connect = true;
      hand_over(i);
      break;
    }
    case MQTT_EVENT_DISCONNECTED:
      ESP_LOGW("tinyml", "connection lost; esp-mqtt reconnects");
      break;
    case MQTT_EVENT_DATA: {
      if (e->current_data_offset == 0) {
        expected = static_cast<size_t>(e->total_data_len);
        filling = -1;
        if (static_cast<size_t>(e->topic_len) >= TOPIC_MAX || expected > cfg.max_packet) {
          break;  // oversize: dropped, as PubSubClient drops what exceeds its buffer
        }
        filling = take_free();
        if (filling < 0) break;  // queue full: dropped
        memcpy(slots[filling].topic, e->topic, e->topic_len);
        slots[filling].topic[e->topic_len] = '\0';
        slots[filling].connect = false;
        slots[filling].len = expected;
      }
      if (filling < 0) break;
      memcpy(slots[filling].payload + e->current_data_offset, e->data, e->data_len);
      if (static_cast<size_t>(e->current_data_offset + e->data_len) == expected) {
        hand_over(filling);
        filling = -1;
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace

int mqtt_link_start(const mqtt_link_config *config) {
  cfg = *config;
  ready_q = xQueueCreate(SLOTS, sizeof(uint8_t));
  free_q = xQueueCreate(SLOTS, sizeof(uint8_t));
  if (!ready_q || !free_q) return -1;
  for (size_t i = 0; i < SLOTS; i++) {
    slots[i].payload = static_cast<uint8_t *>(malloc(cfg.max_packet));
    if (!slots[i].payload) return -1;
    uint8_t index = static_cast<uint8_t>(i);
    xQueueSend(free_q, &index, 0);
  }
  esp_mqtt_client_config_t c = {};
  c.broker.address.hostname = cfg.host;
  c.broker.address.port = cfg.port;
  c.broker.address.transport = MQTT_TRANSPORT_OVER_TCP;
  c.credentials.client_id = cfg.client_id;
  c.credentials.username = cfg.user;
  c.credentials.authentication.password = cfg.password;
  c.session.keepalive = 15;
  c.session.last_will.topic = cfg.will_topic;
  c.session.last_will.msg = cfg.will_payload;
  c.session.last_will.msg_len = static_cast<int>(cfg.will_len);
  c.session.last_will.qos = 1;
  c.session.last_will.retain = 1;
  c.buffer.size = static_cast<int>(cfg.max_packet);
  c.buffer.out_size = TM_OUT_MAX + 256;
  c.network.reconnect_timeout_ms = 2000;
  client = esp_mqtt_client_init(&c);
  if (!client) return -1;
  esp_mqtt_client_register_event(client, static_cast<esp_mqtt_event_id_t>(ESP_EVENT_ANY_ID),
                                 on_event, nullptr);
  return esp_mqtt_client_start(client) == ESP_OK ? 0 : -1;
}

void mqtt_link_poll(void) {
  uint8_t i;
  while (xQueueReceive(ready_q, &i, 0) == pdTRUE) {
    if (slots[i].connect) {
      cfg.on_connect();
    } else {
      cfg.on_message(slots[i].topic, slots[i].payload, slots[i].len);
    }
    xQueueSend(free_q, &i, 0);
  }
}

int mqtt_link_publish(const char *topic, const void *payload, size_t len, int retain) {
  // QoS 1 for the retained status (esp-mqtt can), QoS 0 for the rest (protocol v1 §3).
  int qos = retain ? 1 : 0;
  return esp_mqtt_client_publish(client, topic, static_cast<const char *>(payload),
                                 static_cast<int>(len), qos, retain) < 0
             ? -1
             : 0;
}

int mqtt_link_subscribe(const char *topic, int qos) {
  return esp_mqtt_client_subscribe(client, topic, qos) < 0 ? -1 : 0;
}

int mqtt_link_unsubscribe(const char *topic) {
  return esp_mqtt_client_unsubscribe(client, topic) < 0 ? -1 : 0;
}
#endif
