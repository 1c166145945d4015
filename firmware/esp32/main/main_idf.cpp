// ESP-IDF entry point (idf.py build, or PlatformIO's esp32dev-idf environment).
#if !defined(ARDUINO)
#include "app.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

extern "C" void app_main(void) {
  app_setup();
  for (;;) {
    app_loop();
    vTaskDelay(pdMS_TO_TICKS(10));
  }
}
#endif
