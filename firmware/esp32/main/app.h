// The application: the device core wired to the ESP32 platform layer, the
// TFLite Micro runtime, the MQTT link and a sensor. main_arduino.cpp and
// main_idf.cpp call these from setup()/loop() and app_main() respectively.
#ifndef TINYML_APP_H_
#define TINYML_APP_H_

#ifdef __cplusplus
extern "C" {
#endif

void app_setup(void);
void app_loop(void);

#ifdef __cplusplus
}
#endif

#endif  // TINYML_APP_H_
