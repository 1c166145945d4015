/*
 * The host build's model runtime: TensorFlow Lite Micro when built with
 * TFLM_DIR (make TFLM_DIR=...; firmware/runtime/tm_tflm_runtime.cpp, the same
 * adapter the ESP32 firmware uses), else the "none" runtime, which stores
 * and checks models but runs none and says so (caps.inference "none").
 */
#ifndef HOST_RUNTIME_H_
#define HOST_RUNTIME_H_

#ifdef TM_HOST_TFLM
#include "tm_tflm_runtime.h"
typedef tm_tflm_runtime host_runtime;
#define host_runtime_init tm_tflm_runtime_init
#else
#include "host_runtime_none.h"
typedef host_runtime_none host_runtime;
#define host_runtime_init host_runtime_none_init
#endif

#endif /* HOST_RUNTIME_H_ */
