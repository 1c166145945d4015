// Input examples for the device's own inferences (config.h TINYML_SENSOR).
//
// 1 — analog: TINYML_ANALOG_SAMPLES readings of an ADC pin at TINYML_ANALOG_HZ,
//     scaled to volts (ESP32 ADC: 12 bits, about 0-3.3 V at 11 dB attenuation;
//     analogReadMilliVolts applies the chip's eFuse calibration).
// 2 — accelerometer: an MPU-6050 on I2C (SDA 21, SCL 22 on an ESP32 DevKit):
//     TINYML_ACCEL_SAMPLES x (x, y, z) in g at TINYML_ACCEL_HZ. Register facts
//     from the MPU-6000/6050 Register Map rev 4.2: PWR_MGMT_1 (0x6B) = 0 wakes
//     it; ACCEL_XOUT_H (0x3B) starts six big-endian bytes X, Y, Z; at the
//     default full scale of +-2 g one g is 16384 LSB (ACCEL_CONFIG 0x1C = 0).
//
// Write your own by filling a sensor_source: start() once, read() returns one
// window of real values in the order the model's input expects.
#include "sensors.h"

#include "config.h"

#if defined(ARDUINO)
#include <Arduino.h>
#include <Wire.h>

#ifndef TINYML_ANALOG_PIN
#define TINYML_ANALOG_PIN 34
#endif
#ifndef TINYML_ANALOG_SAMPLES
#define TINYML_ANALOG_SAMPLES 64
#endif
#ifndef TINYML_ANALOG_HZ
#define TINYML_ANALOG_HZ 1000
#endif
#ifndef TINYML_ACCEL_SAMPLES
#define TINYML_ACCEL_SAMPLES 32
#endif
#ifndef TINYML_ACCEL_HZ
#define TINYML_ACCEL_HZ 50
#endif

namespace {

int analog_start() {
  analogReadResolution(12);
  analogSetAttenuation(ADC_11db);
  return 0;
}

int analog_read(float *values, size_t max, size_t *count) {
  if (TINYML_ANALOG_SAMPLES > max) return -1;
  const uint32_t period_us = 1000000u / TINYML_ANALOG_HZ;
  uint32_t next = micros();
  for (size_t i = 0; i < TINYML_ANALOG_SAMPLES; i++) {
    while (static_cast<int32_t>(micros() - next) < 0) {
    }
    values[i] = analogReadMilliVolts(TINYML_ANALOG_PIN) / 1000.0f;
    next += period_us;
  }
  *count = TINYML_ANALOG_SAMPLES;
  return 0;
}

constexpr uint8_t MPU6050 = 0x68;  // AD0 low

bool mpu_write(uint8_t reg, uint8_t value) {
  Wire.beginTransmission(MPU6050);
  Wire.write(reg);
  Wire.write(value);
  return Wire.endTransmission() == 0;
}

int accel_start() {
  Wire.begin();
  Wire.setClock(400000);
  return mpu_write(0x6B, 0x00) && mpu_write(0x1C, 0x00) ? 0 : -1;
}

int accel_read(float *values, size_t max, size_t *count) {
  if (3 * TINYML_ACCEL_SAMPLES > max) return -1;
  for (size_t i = 0; i < TINYML_ACCEL_SAMPLES; i++) {
    Wire.beginTransmission(MPU6050);
    Wire.write(0x3B);
    if (Wire.endTransmission(false) != 0 || Wire.requestFrom(MPU6050, static_cast<uint8_t>(6)) != 6) {
      return -1;
    }
    for (int axis = 0; axis < 3; axis++) {
      int16_t raw = static_cast<int16_t>(Wire.read() << 8 | Wire.read());
      values[3 * i + axis] = raw / 16384.0f;
    }
    delay(1000 / TINYML_ACCEL_HZ);
  }
  *count = 3 * TINYML_ACCEL_SAMPLES;
  return 0;
}

const sensor_source ANALOG = {"analog", analog_start, analog_read};
const sensor_source ACCEL = {"mpu6050", accel_start, accel_read};

}  // namespace

const sensor_source *sensor_selected(void) {
  switch (TINYML_SENSOR) {
    case 1:
      return &ANALOG;
    case 2:
      return &ACCEL;
    default:
      return nullptr;
  }
}
#else
// The ESP-IDF build takes its input from MQTT requests; add a sensor_source here
// (ADC oneshot driver, I2C master driver) for inputs of its own.
const sensor_source *sensor_selected(void) { return nullptr; }
#endif
