// The device's own input: a pluggable callback that fills one window of
// readings for one inference. Examples in sensors.cpp: an analog pin sampled
// at a fixed rate, and an MPU-6050 accelerometer over I2C. Readings are real
// values; the runtime quantizes them for an int8 model (tm_device_infer).
#ifndef TINYML_SENSORS_H_
#define TINYML_SENSORS_H_

#include <stddef.h>

typedef struct {
  const char *name;
  int (*start)(void);
  // Fills `max` values at most; 0 and *count when a window is ready, -1 otherwise.
  int (*read)(float *values, size_t max, size_t *count);
} sensor_source;

// The source chosen with TINYML_SENSOR (config.h), or NULL for none.
const sensor_source *sensor_selected(void);

#endif  // TINYML_SENSORS_H_
