#include "tm_tflm_runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <new>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

namespace {

using tflite::MicroInterpreter;

// Room for one interpreter object, aligned for it.
struct Slot {
  alignas(MicroInterpreter) unsigned char bytes[sizeof(MicroInterpreter)];
};

MicroInterpreter *interp(tm_tflm_runtime *s) { return static_cast<MicroInterpreter *>(s->interpreter); }

void release(tm_tflm_runtime *s) {
  if (s->loaded) interp(s)->~MicroInterpreter();
  s->loaded = 0;
  s->model = nullptr;
}

size_t elements(const TfLiteTensor *t) {
  size_t n = 1;
  for (int i = 0; i < t->dims->size; i++) n *= static_cast<size_t>(t->dims->data[i]);
  return n;
}

bool dtype_of(TfLiteType type, tm_dtype *out) {
  switch (type) {
    case kTfLiteFloat32:
      *out = TM_DTYPE_FLOAT32;
      return true;
    case kTfLiteInt8:
      *out = TM_DTYPE_INT8;
      return true;
    case kTfLiteUInt8:
      *out = TM_DTYPE_UINT8;
      return true;
    case kTfLiteInt16:
      *out = TM_DTYPE_INT16;
      return true;
    case kTfLiteInt32:
      *out = TM_DTYPE_INT32;
      return true;
    default:
      return false;
  }
}

int load(void *ctx, int slot, uint32_t size, char *err, size_t errcap) {
  tm_tflm_runtime *s = static_cast<tm_tflm_runtime *>(ctx);
  release(s);
  const tm_platform *pf = s->pf;
  if (pf->slot_map) {
    if (pf->slot_map(pf->ctx, slot, size, &s->model)) {
      snprintf(err, errcap, "cannot map slot %c", 'a' + slot);
      return -1;
    }
  } else {
    if (s->copy_bytes < size) {
      free(s->copy);
      s->copy_bytes = (size + 15u) & ~15u;
      s->copy = static_cast<uint8_t *>(aligned_alloc(16, s->copy_bytes));
      if (!s->copy) {
        s->copy_bytes = 0;
        snprintf(err, errcap, "no memory for a %lu-byte model", static_cast<unsigned long>(size));
        return -1;
      }
    }
    if (pf->slot_read(pf->ctx, slot, 0, s->copy, size)) {
      snprintf(err, errcap, "cannot read slot %c", 'a' + slot);
      return -1;
    }
    s->model = s->copy;
  }
  flatbuffers::Verifier verifier(s->model, size);
  if (!tflite::VerifyModelBuffer(verifier)) {
    snprintf(err, errcap, "not a valid TFLite flatbuffer (verifier failed)");
    return -1;
  }
  const tflite::Model *model = tflite::GetModel(s->model);
  if (model->version() != TFLITE_SCHEMA_VERSION) {
    snprintf(err, errcap, "schema version %lu, TFLite Micro reads %d",
             static_cast<unsigned long>(model->version()), TFLITE_SCHEMA_VERSION);
    return -1;
  }
  if (!model->subgraphs() || model->subgraphs()->size() != 1) {
    snprintf(err, errcap, "the model must have exactly one subgraph");
    return -1;
  }
  const auto *resolver = static_cast<const tflite::MicroOpResolver *>(s->resolver);
  new (s->interpreter) MicroInterpreter(model, *resolver, s->arena, s->arena_bytes);
  s->loaded = 1;
  if (interp(s)->AllocateTensors() != kTfLiteOk) {
    snprintf(err, errcap,
             "AllocateTensors failed with a %lu-byte arena (an op the firmware does not "
             "register, or the arena is too small: TFLite Micro logged which)",
             static_cast<unsigned long>(s->arena_bytes));
    release(s);
    return -1;
  }
  s->arena_used = interp(s)->arena_used_bytes();
  for (size_t i = 0; i < interp(s)->inputs_size() + interp(s)->outputs_size(); i++) {
    bool input = i < interp(s)->inputs_size();
    TfLiteTensor *t = input ? interp(s)->input(i) : interp(s)->output(i - interp(s)->inputs_size());
    tm_dtype d;
    if (!dtype_of(t->type, &d)) {
      snprintf(err, errcap, "%s %lu has type %s; the device reads and writes float32, int8, "
               "uint8, int16 and int32", input ? "input" : "output",
               static_cast<unsigned long>(input ? i : i - interp(s)->inputs_size()),
               TfLiteTypeGetName(t->type));
      release(s);
      return -1;
    }
  }
  return 0;
}

int self_test(void *ctx, char *err, size_t errcap) {
  tm_tflm_runtime *s = static_cast<tm_tflm_runtime *>(ctx);
  if (!s->loaded) {
    snprintf(err, errcap, "no model loaded");
    return -1;
  }
  MicroInterpreter *m = interp(s);
  // Zero is a valid value of every input type (for int8 a real value near the zero point).
  for (size_t i = 0; i < m->inputs_size(); i++) memset(m->input(i)->data.raw, 0, m->input(i)->bytes);
  if (m->Invoke() != kTfLiteOk) {
    snprintf(err, errcap, "self-test inference failed: Invoke returned an error");
    return -1;
  }
  for (size_t o = 0; o < m->outputs_size(); o++) {
    const TfLiteTensor *t = m->output(o);
    if (t->type != kTfLiteFloat32) continue;  // integers are always finite
    for (size_t k = 0; k < elements(t); k++) {
      if (!isfinite(t->data.f[k])) {
        snprintf(err, errcap, "self-test inference gave %g at output %lu[%lu]",
                 static_cast<double>(t->data.f[k]), static_cast<unsigned long>(o),
                 static_cast<unsigned long>(k));
        return -1;
      }
    }
  }
  return 0;
}

// Writes `n` values into an input tensor as its type; integer types take integers in range,
// or real values that are quantized with the tensor's scale and zero point (TFLite's
// quantization spec: real = scale * (q - zero_point)).
int write_input(TfLiteTensor *t, size_t index, const float *v, size_t n, int real, char *err,
                size_t errcap) {
  double lo = 0, hi = 0;
  switch (t->type) {
    case kTfLiteFloat32:
      for (size_t k = 0; k < n; k++) t->data.f[k] = v[k];
      return 0;
    case kTfLiteInt8:
      lo = -128, hi = 127;
      break;
    case kTfLiteUInt8:
      lo = 0, hi = 255;
      break;
    case kTfLiteInt16:
      lo = -32768, hi = 32767;
      break;
    default:
      lo = -2147483648.0, hi = 2147483647.0;
  }
  for (size_t k = 0; k < n; k++) {
    double x = v[k];
    if (real && t->params.scale > 0) {
      x = round(x / t->params.scale) + t->params.zero_point;
      x = x < lo ? lo : x > hi ? hi : x;
    }
    if (x != floor(x) || x < lo || x > hi) {
      snprintf(err, errcap, "input %lu[%lu] = %g: the %s input takes integers in [%.0f, %.0f]",
               static_cast<unsigned long>(index), static_cast<unsigned long>(k), x,
               TfLiteTypeGetName(t->type), lo, hi);
      return -1;
    }
    switch (t->type) {
      case kTfLiteInt8:
        t->data.int8[k] = static_cast<int8_t>(x);
        break;
      case kTfLiteUInt8:
        t->data.uint8[k] = static_cast<uint8_t>(x);
        break;
      case kTfLiteInt16:
        t->data.i16[k] = static_cast<int16_t>(x);
        break;
      default:
        t->data.i32[k] = static_cast<int32_t>(x);
    }
  }
  return 0;
}

int infer(void *ctx, const float *values, const size_t *counts, size_t entries, int real,
          tm_tensor_view *outs, size_t max_outputs, size_t *outputs, char *err, size_t errcap) {
  tm_tflm_runtime *s = static_cast<tm_tflm_runtime *>(ctx);
  *outputs = 0;
  if (!s->loaded) {
    snprintf(err, errcap, "no model loaded");
    return -1;
  }
  MicroInterpreter *m = interp(s);
  size_t inputs = m->inputs_size();
  size_t total = 0;
  for (size_t e = 0; e < entries && e < TM_MAX_TENSORS; e++) total += counts[e];
  // One input: every value goes to it ([[...]] is the same as [...]); else one entry per input.
  if (inputs > 1 && entries != inputs) {
    snprintf(err, errcap, "model has %lu inputs; input has %lu entries",
             static_cast<unsigned long>(inputs), static_cast<unsigned long>(entries));
    return -1;
  }
  size_t at = 0;
  for (size_t i = 0; i < inputs; i++) {
    TfLiteTensor *t = m->input(i);
    size_t want = elements(t);
    size_t got = inputs == 1 ? total : counts[i];
    if (got != want) {
      snprintf(err, errcap, "input %lu takes %lu values, got %lu", static_cast<unsigned long>(i),
               static_cast<unsigned long>(want), static_cast<unsigned long>(got));
      return -1;
    }
    if (write_input(t, i, values + at, want, real, err, errcap)) return -1;
    at += want;
  }
  if (m->Invoke() != kTfLiteOk) {
    snprintf(err, errcap, "Invoke returned an error");
    return -1;
  }
  const tflite::Model *model = tflite::GetModel(s->model);
  const auto *tensors = model->subgraphs()->Get(0)->tensors();
  size_t n = m->outputs_size() < max_outputs ? m->outputs_size() : max_outputs;
  for (size_t o = 0; o < n; o++) {
    const TfLiteTensor *t = m->output(o);
    tm_tensor_view *v = &outs[o];
    const auto *meta = tensors->Get(static_cast<flatbuffers::uoffset_t>(m->outputs().Get(o)));
    v->name = meta->name() ? meta->name()->c_str() : "";
    v->rank = t->dims->size < 8 ? t->dims->size : 8;
    for (int d = 0; d < v->rank; d++) s->shapes[o][d] = t->dims->data[d];
    v->shape = s->shapes[o];
    dtype_of(t->type, &v->dtype);
    v->data = t->data.raw;
    v->count = elements(t);
  }
  *outputs = n;
  return 0;
}

void unload(void *ctx) {
  tm_tflm_runtime *s = static_cast<tm_tflm_runtime *>(ctx);
  release(s);
  free(s->copy);
  s->copy = nullptr;
  s->copy_bytes = 0;
}

Slot interpreter_storage;

}  // namespace

extern "C" void tm_tflm_runtime_setup(tm_runtime *rt, tm_tflm_runtime *state,
                                      const tm_platform *pf, const void *resolver,
                                      uint8_t *arena, size_t arena_bytes) {
  memset(state, 0, sizeof *state);
  state->pf = pf;
  state->resolver = resolver;
  state->arena = arena;
  state->arena_bytes = arena_bytes;
  state->interpreter = interpreter_storage.bytes;  // one runtime per device
  memset(rt, 0, sizeof *rt);
  rt->ctx = state;
  rt->inference = "tflm";
  rt->load = load;
  rt->self_test = self_test;
  rt->infer = infer;
  rt->unload = unload;
}

extern "C" size_t tm_tflm_registered_ops(const void *resolver, const char **names, size_t max) {
  const auto *r = static_cast<const tflite::MicroOpResolver *>(resolver);
  size_t n = 0;
  for (int op = tflite::BuiltinOperator_MIN; op <= tflite::BuiltinOperator_MAX; op++) {
    auto builtin = static_cast<tflite::BuiltinOperator>(op);
    if (r->FindOp(builtin) == nullptr) continue;
    if (n < max) names[n] = tflite::EnumNameBuiltinOperator(builtin);
    n++;
  }
  return n;
}
