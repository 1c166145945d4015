// Wi-Fi and SNTP on ESP-IDF 5.x (esp_wifi, esp_netif, esp_sntp): a station
// that reconnects on every disconnect.
#if !defined(ARDUINO)
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_netif_sntp.h"
#include "esp_wifi.h"
#include "freertos/FreeRTOS.h"
#include "freertos/event_groups.h"
#include "wifi_link.h"

namespace {

EventGroupHandle_t events;
constexpr EventBits_t GOT_IP = 1;

void on_event(void *, esp_event_base_t base, int32_t id, void *) {
  if (base == WIFI_EVENT && (id == WIFI_EVENT_STA_START || id == WIFI_EVENT_STA_DISCONNECTED)) {
    esp_wifi_connect();
  } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
    xEventGroupSetBits(events, GOT_IP);
  }
}

}  // namespace

int wifi_link_start(const char *ssid, const char *password, unsigned wait_ms) {
  events = xEventGroupCreate();
  ESP_ERROR_CHECK(esp_netif_init());
  ESP_ERROR_CHECK(esp_event_loop_create_default());
  esp_netif_create_default_wifi_sta();
  wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
  ESP_ERROR_CHECK(esp_wifi_init(&init));
  esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_event, nullptr, nullptr);
  esp_event_handler_instance_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_event, nullptr, nullptr);
  wifi_config_t config = {};
  strncpy(reinterpret_cast<char *>(config.sta.ssid), ssid, sizeof config.sta.ssid - 1);
  strncpy(reinterpret_cast<char *>(config.sta.password), password, sizeof config.sta.password - 1);
  ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
  ESP_ERROR_CHECK(esp_wifi_set_config(WIFI_IF_STA, &config));
  ESP_ERROR_CHECK(esp_wifi_start());
  esp_sntp_config_t sntp = ESP_NETIF_SNTP_DEFAULT_CONFIG("pool.ntp.org");
  esp_netif_sntp_init(&sntp);
  EventBits_t bits = xEventGroupWaitBits(events, GOT_IP, pdFALSE, pdTRUE, pdMS_TO_TICKS(wait_ms));
  if (!(bits & GOT_IP)) {
    ESP_LOGW("tinyml", "Wi-Fi \"%s\" not connected yet; retrying in the background", ssid);
    return -1;
  }
  return 0;
}
#endif
