#!/usr/bin/env bash
# Builds tflite-micro's interpreter with its reference kernels and arena.cc,
# for the hand-run TFLM oracle (README.md). Needs a tflite-micro checkout
# (TFLM=...), g++, flatc 2.x with libflatbuffers-dev (Debian: flatbuffers-compiler,
# libflatbuffers-dev) and gemmlowp's fixedpoint headers (libgemmlowp-dev).
set -euo pipefail
TFLM=${TFLM:-/work/ref/tflm}
OUT=${OUT:-/tmp/tflm-oracle}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT/inc/tensorflow/lite/schema" "$OUT/inc/tensorflow/compiler/mlir/lite/schema" "$OUT/inc/ruy/profiler"

# tflite-micro pins flatbuffers 25; regenerate its schema header for the
# installed flatc/libflatbuffers (flatc 2.0 does not know "(deprecated)" on
# enum values and union members).
sed -e 's/ = 205 (deprecated),/ = 205,/' -e 's/ReduceWindowOptions (deprecated),/ReduceWindowOptions,/' \
  "$TFLM/tensorflow/compiler/mlir/lite/schema/schema.fbs" > "$OUT/schema.fbs"
flatc --cpp --gen-object-api -o "$OUT/inc/tensorflow/lite/schema" "$OUT/schema.fbs"
cp "$OUT/inc/tensorflow/lite/schema/schema_generated.h" "$OUT/inc/tensorflow/compiler/mlir/lite/schema/"
# ruy's profiler labels, which the reference kernels include, compile to nothing.
cat > "$OUT/inc/ruy/profiler/instrumentation.h" <<'H'
#pragma once
namespace ruy { namespace profiler { class ScopeLabel { public: template <typename... A> explicit ScopeLabel(A...) {} }; } }
H

cd "$TFLM"
KERNELS="activations activations_common add add_common concatenation conv conv_common depthwise_conv
  depthwise_conv_common fully_connected fully_connected_common kernel_util leaky_relu leaky_relu_common
  logistic logistic_common maximum_minimum micro_tensor_utils mul mul_common pad pad_common pooling
  pooling_common quantize quantize_common dequantize dequantize_common reduce reduce_common reshape
  reshape_common softmax softmax_common svdf svdf_common tanh decompress decompress_common"
SRCS=$(ls tensorflow/lite/micro/*.cc tensorflow/lite/micro/memory_planner/*.cc \
  tensorflow/lite/micro/arena_allocator/*.cc tensorflow/lite/micro/tflite_bridge/*.cc \
  tensorflow/lite/core/api/*.cc tensorflow/lite/core/c/*.cc tensorflow/lite/kernels/*.cc \
  tensorflow/lite/kernels/internal/*.cc tensorflow/compiler/mlir/lite/schema/schema_utils.cc \
  tensorflow/compiler/mlir/lite/core/api/error_reporter.cc | grep -v '_test.cc\|mock_\|fake_')
for k in $KERNELS; do SRCS="$SRCS tensorflow/lite/micro/kernels/$k.cc"; done
FLAGS="-std=c++17 -O1 -DTF_LITE_STATIC_MEMORY -fno-rtti -fno-exceptions -w -I$OUT/inc -I$TFLM -I/usr/include/gemmlowp"
OBJS=""
for src in $SRCS; do
  obj="$OUT/obj/${src%.cc}.o"
  mkdir -p "$(dirname "$obj")"
  [ -f "$obj" ] || g++ $FLAGS -c "$src" -o "$obj"
  OBJS="$OBJS $obj"
done
# An archive, so the linker takes only the objects the harness needs.
rm -f "$OUT/libtflm.a"
ar rcs "$OUT/libtflm.a" $OBJS
g++ $FLAGS "$HERE/arena.cc" "$OUT/libtflm.a" -o "$OUT/arena"
echo "built $OUT/arena"
