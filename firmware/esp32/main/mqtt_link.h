// The MQTT client behind the device: PubSubClient on Arduino
// (mqtt_pubsubclient.cpp), esp-mqtt on ESP-IDF (mqtt_esp_mqtt.cpp). Both
// register the Last Will before each connect, call on_connect after each
// (re)connect and deliver whole messages to on_message one at a time.
#ifndef TINYML_MQTT_LINK_H_
#define TINYML_MQTT_LINK_H_

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *host;
  uint16_t port;
  const char *client_id;
  const char *user;     // NULL for none
  const char *password; // NULL for none
  const char *will_topic;
  const char *will_payload;
  size_t will_len;
  // Largest incoming packet (the client's receive buffer).
  size_t max_packet;
  void (*on_connect)(void);
  void (*on_message)(const char *topic, const uint8_t *payload, size_t len);
} mqtt_link_config;

int mqtt_link_start(const mqtt_link_config *config);
// Arduino: runs the client and reconnects; ESP-IDF: nothing (esp-mqtt has its own task).
void mqtt_link_poll(void);
int mqtt_link_publish(const char *topic, const void *payload, size_t len, int retain);
int mqtt_link_subscribe(const char *topic, int qos);
int mqtt_link_unsubscribe(const char *topic);

#endif  // TINYML_MQTT_LINK_H_
