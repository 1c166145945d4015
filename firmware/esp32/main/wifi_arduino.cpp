// Wi-Fi and SNTP on Arduino (WiFi.h): the station reconnects by itself; MQTT
// connects whenever Wi-Fi is up (mqtt_pubsubclient.cpp).
#if defined(ARDUINO)
#include <Arduino.h>
#include <WiFi.h>

#include "wifi_link.h"

int wifi_link_start(const char *ssid, const char *password, unsigned wait_ms) {
  WiFi.mode(WIFI_STA);
  WiFi.setAutoReconnect(true);
  WiFi.begin(ssid, password);
  configTime(0, 0, "pool.ntp.org");  // UTC; the protocol's timestamps are epoch milliseconds
  uint32_t start = millis();
  while (WiFi.status() != WL_CONNECTED && millis() - start < wait_ms) delay(100);
  if (WiFi.status() != WL_CONNECTED) {
    Serial.printf("tinyml: Wi-Fi \"%s\" not connected yet; retrying in the background\n", ssid);
    return -1;
  }
  Serial.printf("tinyml: Wi-Fi connected, %s\n", WiFi.localIP().toString().c_str());
  return 0;
}
#endif
