// The MQTT link on Arduino: PubSubClient (knolleary, 2.8). Its one buffer holds
// a whole incoming packet (setBufferSize = the announced maxPacket); outgoing
// messages, which may be longer (a status with two model references is about
// 500 bytes), are streamed with beginPublish/write/endPublish as protocol v1
// §12 recommends. PubSubClient publishes at QoS 0 only; the Will is QoS 1.
#if defined(ARDUINO)
#include <Arduino.h>
#include <PubSubClient.h>
#include <WiFi.h>
#include <string.h>

#include "mqtt_link.h"

namespace {

WiFiClient net;
PubSubClient client(net);
mqtt_link_config cfg;
uint32_t last_attempt;
bool was_connected;
// The callback's topic and payload point into PubSubClient's buffer, which the
// next publish overwrites: the core gets copies.
char topic_copy[192];
uint8_t payload_copy[2048];

void callback(char *topic, uint8_t *payload, unsigned int length) {
  size_t t = strlen(topic);
  if (t >= sizeof topic_copy || length > sizeof payload_copy) return;
  memcpy(topic_copy, topic, t + 1);
  memcpy(payload_copy, payload, length);
  cfg.on_message(topic_copy, payload_copy, length);
}

}  // namespace

int mqtt_link_start(const mqtt_link_config *config) {
  cfg = *config;
  client.setServer(cfg.host, cfg.port);
  client.setCallback(callback);
  client.setKeepAlive(15);
  client.setSocketTimeout(5);
  return client.setBufferSize(static_cast<uint16_t>(cfg.max_packet)) ? 0 : -1;
}

void mqtt_link_poll(void) {
  if (client.connected()) {
    client.loop();
    return;
  }
  if (was_connected) {
    was_connected = false;
    Serial.printf("tinyml: connection lost (state %d)\n", client.state());
  }
  if (WiFi.status() != WL_CONNECTED || millis() - last_attempt < 2000) return;
  last_attempt = millis();
  // The Will: retained, QoS 1, clean session (MQTT 3.1.1 §3.1.2.5-§3.1.2.7).
  if (client.connect(cfg.client_id, cfg.user, cfg.password, cfg.will_topic, 1, true,
                     cfg.will_payload, true)) {
    was_connected = true;
    cfg.on_connect();
  }
}

int mqtt_link_publish(const char *topic, const void *payload, size_t len, int retain) {
  if (!client.connected()) return -1;
  if (!client.beginPublish(topic, len, retain != 0)) return -1;
  size_t written = client.write(static_cast<const uint8_t *>(payload), len);
  return client.endPublish() && written == len ? 0 : -1;
}

int mqtt_link_subscribe(const char *topic, int qos) {
  return client.subscribe(topic, static_cast<uint8_t>(qos)) ? 0 : -1;
}

int mqtt_link_unsubscribe(const char *topic) { return client.unsubscribe(topic) ? 0 : -1; }
#endif
