#include "host_runtime_none.h"

#include <stdio.h>
#include <string.h>

static int load(void *ctx, int slot, uint32_t size, char *err, size_t errcap) {
  host_runtime_none *s = (host_runtime_none *)ctx;
  uint8_t head[8];
  s->loaded = 0;
  if (size < sizeof head) {
    snprintf(err, errcap, "a %lu-byte file is too short for a TFLite flatbuffer", (unsigned long)size);
    return -1;
  }
  if (s->pf->slot_read(s->pf->ctx, slot, 0, head, sizeof head)) {
    snprintf(err, errcap, "cannot read slot %c", 'a' + slot);
    return -1;
  }
  if (memcmp(head + 4, "TFL3", 4) != 0) {
    snprintf(err, errcap, "file identifier is not \"TFL3\": not a TensorFlow Lite model");
    return -1;
  }
  uint32_t root = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 |
                  (uint32_t)head[3] << 24;
  if (root < sizeof head || root + 4 > size) {
    snprintf(err, errcap, "root table offset %lu is outside the %lu-byte file", (unsigned long)root,
             (unsigned long)size);
    return -1;
  }
  s->loaded = 1;
  return 0;
}

static int self_test(void *ctx, char *err, size_t errcap) {
  host_runtime_none *s = (host_runtime_none *)ctx;
  if (!s->loaded) {
    snprintf(err, errcap, "no model loaded");
    return -1;
  }
  return 0; /* nothing to run: this build has no interpreter (caps.inference "none") */
}

static int infer(void *ctx, const float *values, const size_t *counts, size_t entries, int real,
                 tm_tensor_view *outs, size_t max_outputs, size_t *outputs, char *err,
                 size_t errcap) {
  (void)ctx, (void)values, (void)counts, (void)entries, (void)real, (void)outs, (void)max_outputs;
  *outputs = 0;
  snprintf(err, errcap, "this build runs no inference (caps.inference is \"none\")");
  return -1;
}

static void unload(void *ctx) { ((host_runtime_none *)ctx)->loaded = 0; }

void host_runtime_none_init(tm_runtime *rt, host_runtime_none *state, const tm_platform *pf) {
  memset(state, 0, sizeof *state);
  state->pf = pf;
  memset(rt, 0, sizeof *rt);
  rt->ctx = state;
  rt->inference = "none";
  rt->load = load;
  rt->self_test = self_test;
  rt->infer = infer;
  rt->unload = unload;
}
