#!/usr/bin/env bash
# Builds tflm_run: TensorFlow Lite Micro's interpreter and reference kernels
# (no optimized kernel directory) for the host, from a tflite-micro checkout.
# It is the oracle the goldens in test/fixtures/tflm-goldens come from; it is
# not part of the package or of CI.
#
#   TFLM=/path/to/tflite-micro FLATBUFFERS_INCLUDE=/path/to/flatbuffers/include \
#   GEMMLOWP=/path/to/gemmlowp RUY=/path/to/ruy OUT=/tmp/tflm \
#   test/oracle/tflm-reference/build.sh
#
# flatbuffers must be the version the checkout's schema_generated.h asserts
# (v25.9.23 for tflite-micro 90b983c); gemmlowp provides fixedpoint/, ruy the
# profiler instrumentation header the reference kernels include.
set -euo pipefail
: "${TFLM:?tflite-micro checkout}" "${FLATBUFFERS_INCLUDE:?flatbuffers include dir}"
: "${GEMMLOWP:?gemmlowp dir}" "${RUY:?ruy dir}"
OUT=${OUT:-/tmp/tflm}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT/obj"
FLAGS=(-std=c++17 -O2 -fno-rtti -fno-exceptions -DTF_LITE_STATIC_MEMORY -DTF_LITE_DISABLE_X86_NEON
  -I"$TFLM" -I"$FLATBUFFERS_INCLUDE" -I"$GEMMLOWP" -I"$RUY" -w)
cd "$TFLM"
# The sources TFLM's Makefile compiles (tensorflow/lite/micro/tools/make/sources.inc):
# shared TFLite sources outside experimental/ and micro/, the micro framework, and its kernels.
{
  find tensorflow -path tensorflow/lite/experimental -prune -o -path tensorflow/lite/micro -prune -o -name '*.cc' -print |
    grep -v '_test.cc$' | grep -v '^tensorflow/lite/array.cc$'
  ls tensorflow/lite/micro/*.cc tensorflow/lite/micro/arena_allocator/*.cc \
    tensorflow/lite/micro/memory_planner/*.cc tensorflow/lite/micro/tflite_bridge/*.cc \
    tensorflow/lite/micro/kernels/*.cc | grep -v '_test.cc$'
} | while read -r src; do
  obj="$OUT/obj/$(echo "$src" | tr / _).o"
  [ -f "$obj" ] || g++ "${FLAGS[@]}" -c "$src" -o "$obj"
done
g++ "${FLAGS[@]}" -c "$HERE/tflm_run.cc" -o "$OUT/tflm_run.o"
ar rcs "$OUT/libtflm.a" "$OUT"/obj/*.o
g++ -o "$OUT/tflm_run" "$OUT/tflm_run.o" "$OUT/libtflm.a"
echo "$OUT/tflm_run"
