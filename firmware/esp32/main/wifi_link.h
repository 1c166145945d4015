// Wi-Fi station with automatic reconnection, and SNTP for the wall clock the
// protocol's timestamps use (before the first sync they are uptime, which the
// protocol allows).
#ifndef TINYML_WIFI_LINK_H_
#define TINYML_WIFI_LINK_H_

// Starts connecting; waits up to `wait_ms` for an address. 0 when connected.
int wifi_link_start(const char *ssid, const char *password, unsigned wait_ms);

#endif  // TINYML_WIFI_LINK_H_
