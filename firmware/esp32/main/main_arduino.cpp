// Arduino entry points (PlatformIO esp32dev / esp32-s3 environments).
#if defined(ARDUINO)
#include <Arduino.h>

#include "app.h"

void setup() {
  Serial.begin(115200);
  app_setup();
}

void loop() {
  app_loop();
  delay(1);  // lets the idle task run (task watchdog)
}
#endif
