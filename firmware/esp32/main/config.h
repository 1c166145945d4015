// Device configuration. Every value can also be set from the build, e.g. in
// platformio.ini: build_flags = -DTINYML_WIFI_SSID=\"lab\" -DTINYML_DEVICE_ID=\"esp32-7\"
#ifndef TINYML_CONFIG_H_
#define TINYML_CONFIG_H_

// ---- network ---------------------------------------------------------------
#ifndef TINYML_WIFI_SSID
#define TINYML_WIFI_SSID "your-ssid"
#endif
#ifndef TINYML_WIFI_PASSWORD
#define TINYML_WIFI_PASSWORD "your-password"
#endif
#ifndef TINYML_BROKER_HOST
#define TINYML_BROKER_HOST "192.168.1.10"
#endif
#ifndef TINYML_BROKER_PORT
#define TINYML_BROKER_PORT 1883
#endif
// MQTT user and password ("" for none), e.g. for Mosquitto's password_file (docs/fleet.md).
#ifndef TINYML_MQTT_USER
#define TINYML_MQTT_USER ""
#endif
#ifndef TINYML_MQTT_PASSWORD
#define TINYML_MQTT_PASSWORD ""
#endif

// ---- identity --------------------------------------------------------------
// ^[A-Za-z0-9_.-]{1,64}$; also the MQTT client id "tinyml-device-<id>".
#ifndef TINYML_DEVICE_ID
#define TINYML_DEVICE_ID "esp32-1"
#endif
#ifndef TINYML_GROUP
#define TINYML_GROUP ""
#endif
#ifndef TINYML_PREFIX
#define TINYML_PREFIX "tinyml/"
#endif
// The deployer's Ed25519 public key as 64 hex digits (`tinyml keygen` prints it).
// When set, the device accepts only manifests signed with the matching key.
#ifndef TINYML_PUBLIC_KEY_HEX
#define TINYML_PUBLIC_KEY_HEX ""
#endif

// ---- limits (announced in the status, enforced by the device) -----------------
// Largest incoming MQTT packet, header included: PubSubClient's buffer (its default is 256).
#ifndef TINYML_MAX_PACKET
#define TINYML_MAX_PACKET 256
#endif
// Chunks in flight: 8 x 256-byte packets stay well inside lwIP's 5744-byte TCP window.
#ifndef TINYML_WINDOW
#define TINYML_WINDOW 8
#endif
// Tensor arena, allocated from the heap at start (docs/esp32.md, "Memory").
#ifndef TINYML_ARENA_BYTES
#define TINYML_ARENA_BYTES (100 * 1024)
#endif
// 1: put the arena in PSRAM (ESP32-WROVER, ESP32-S3 with PSRAM): larger, slower.
#ifndef TINYML_ARENA_IN_PSRAM
#define TINYML_ARENA_IN_PSRAM 0
#endif

// ---- built-in model -------------------------------------------------------------
// 1: on a first boot (both slots empty) install main/model/g_model.* (from
// `tinyml export`) into slot a, so the device serves before any deploy.
#ifndef TINYML_INSTALL_BUILTIN_MODEL
#define TINYML_INSTALL_BUILTIN_MODEL 1
#endif
#ifndef TINYML_BUILTIN_NAME
#define TINYML_BUILTIN_NAME "builtin"
#endif
#ifndef TINYML_BUILTIN_VERSION
#define TINYML_BUILTIN_VERSION "0"
#endif

// ---- sensor ---------------------------------------------------------------------
// 0: none (inference on MQTT requests only); 1: analog pin window; 2: MPU-6050 accelerometer.
#ifndef TINYML_SENSOR
#define TINYML_SENSOR 0
#endif
// One inference every this many milliseconds, on one window of readings.
#ifndef TINYML_SENSOR_PERIOD_MS
#define TINYML_SENSOR_PERIOD_MS 1000
#endif

#endif  // TINYML_CONFIG_H_
