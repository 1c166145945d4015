#include "tm_messages.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- validation helpers (the rules of src/fleet/messages.ts) ----------------- */

typedef struct {
  tm_json_value obj;
  const char *root; /* "offer", "manifest", ... */
  char *err;
  size_t errcap;
  int failed;
} vctx;

static int problem(vctx *v, const char *field, const char *what) {
  if (!v->failed && v->errcap) snprintf(v->err, v->errcap, "%s.%s %s", v->root, field, what);
  v->failed = 1;
  return -1;
}

static int open_object(vctx *v, const char *json, size_t len, const char *root, char *err,
                       size_t errcap) {
  char why[96];
  v->root = root;
  v->err = err;
  v->errcap = errcap;
  v->failed = 0;
  if (tm_json_parse(json, len, &v->obj, why, sizeof why)) {
    if (errcap) snprintf(err, errcap, "%s message is not valid JSON: %s", root, why);
    return -1;
  }
  if (v->obj.type != TM_JSON_OBJECT) {
    if (errcap) snprintf(err, errcap, "%s must be an object", root);
    return -1;
  }
  return 0;
}

/* 1 present, 0 absent-and-optional, -1 absent-and-required (problem reported). */
static int member(vctx *v, const char *field, int required, tm_json_value *out) {
  if (tm_json_member(&v->obj, field, out)) return 1;
  if (required) return problem(v, field, "is required");
  return 0;
}

/* JSON Schema "integer" (a number with no fraction, as ajv checks it) within [min, max]. */
static int integer(vctx *v, const char *field, int required, double min, double max,
                   uint32_t *out) {
  tm_json_value m;
  double d;
  int has = member(v, field, required, &m);
  if (has <= 0) return has;
  if (tm_json_number(&m, &d) || !isfinite(d) || d != floor(d)) {
    return problem(v, field, "must be an integer");
  }
  if (d < min || d > max) {
    char what[80];
    snprintf(what, sizeof what, "must be an integer in [%.0f, %.0f]", min, max);
    return problem(v, field, what);
  }
  if (out) *out = (uint32_t)d;
  return 1;
}

/* An integer with only a lower bound (the manifest's "chunks": the schema sets no maximum). */
static int integer_unbounded(vctx *v, const char *field, double min, double *out) {
  tm_json_value m;
  double d;
  int has = member(v, field, 1, &m);
  if (has <= 0) return has;
  if (tm_json_number(&m, &d) || isnan(d) || (isfinite(d) && d != floor(d))) {
    return problem(v, field, "must be an integer");
  }
  if (d < min) return problem(v, field, "is below its minimum");
  *out = d;
  return 1;
}

static int number(vctx *v, const char *field, int required) {
  tm_json_value m;
  double d;
  int has = member(v, field, required, &m);
  if (has <= 0) return has;
  if (tm_json_number(&m, &d)) return problem(v, field, "must be a number");
  return 1;
}

static int boolean(vctx *v, const char *field, int required, bool *out) {
  tm_json_value m;
  int has = member(v, field, required, &m);
  if (has <= 0) return has;
  if (m.type != TM_JSON_TRUE && m.type != TM_JSON_FALSE) return problem(v, field, "must be a boolean");
  *out = m.type == TM_JSON_TRUE;
  return 1;
}

/* The "v" const: protocol major version 1 (any JSON number equal to 1). */
static int version(vctx *v) {
  tm_json_value m;
  double d;
  if (member(v, "v", 1, &m) < 0) return -1;
  if (tm_json_number(&m, &d) || d != TM_PROTOCOL_VERSION) {
    return problem(v, "v", "must be protocol version 1");
  }
  return 0;
}

/* A string of `n` lowercase hex digits: ^[0-9a-f]{n}$. */
static int hex_string(vctx *v, const char *field, int required, size_t n, char *out) {
  tm_json_value m;
  char buf[72];
  int has = member(v, field, required, &m);
  if (has <= 0) return has;
  long len = tm_json_string(&m, buf, sizeof buf);
  if (len != (long)n) return problem(v, field, "must be a string of lowercase hex digits");
  for (size_t i = 0; i < n; i++) {
    if (!((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f'))) {
      return problem(v, field, "must be a string of lowercase hex digits");
    }
  }
  if (out) memcpy(out, buf, n + 1);
  return 1;
}

/* A string of at most `max_cp` code points (JSON Schema maxLength), at least `min_cp`. */
static int text(vctx *v, const char *field, int required, long min_cp, long max_cp, char *out,
                size_t cap) {
  tm_json_value m;
  int has = member(v, field, required, &m);
  if (has <= 0) return has;
  if (m.type != TM_JSON_STRING) return problem(v, field, "must be a string");
  long cp = tm_json_string_codepoints(&m);
  if (cp < min_cp || cp > max_cp) {
    char what[64];
    snprintf(what, sizeof what, "must have %ld to %ld characters", min_cp, max_cp);
    return problem(v, field, what);
  }
  if (out && tm_json_string(&m, out, cap) < 0) return problem(v, field, "is too long to keep");
  return 1;
}

/* An array of strings, each of at most max_cp code points, at most max_items of them. */
static int string_array(vctx *v, const char *field, int required, size_t max_items, long max_cp,
                        tm_json_value *out) {
  tm_json_value m, e;
  tm_json_iter it;
  size_t n = 0;
  int has = member(v, field, required, &m);
  if (has <= 0) return has;
  if (m.type != TM_JSON_ARRAY) return problem(v, field, "must be an array");
  tm_json_iter_init(&it, &m);
  while (tm_json_next(&it, NULL, &e)) {
    if (++n > max_items) return problem(v, field, "has too many items");
    long cp = tm_json_string_codepoints(&e);
    if (cp < 0 || cp > max_cp) return problem(v, field, "must hold strings within the length limit");
  }
  if (out) *out = m;
  return 1;
}

bool tm_valid_id(const char *id) {
  size_t n = strlen(id);
  if (n < 1 || n > TM_ID_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = id[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

static uint32_t hex_u32(const char *h) {
  uint32_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 4 | (uint32_t)(h[i] <= '9' ? h[i] - '0' : h[i] - 'a' + 10);
  return v;
}

/* ---- parsers ------------------------------------------------------------------ */

int tm_parse_offer(const char *json, size_t len, tm_offer *o, char *err, size_t errcap) {
  vctx v;
  memset(o, 0, sizeof *o);
  if (open_object(&v, json, len, "offer", err, errcap)) return -1;
  version(&v);
  hex_string(&v, "deployId", 1, 8, o->deploy_hex);
  integer(&v, "size", 1, 1, 4294967295.0, &o->size);
  integer(&v, "chunkSize", 1, 16, 65535, &o->chunk_size);
  integer(&v, "chunks", 1, 1, 4294967295.0, &o->chunks);
  integer(&v, "mSize", 1, 2, TM_MAX_MANIFEST_BYTES, &o->m_size);
  integer(&v, "mChunks", 1, 1, 4096, &o->m_chunks);
  boolean(&v, "signed", 1, &o->is_signed);
  integer(&v, "window", 1, 1, 64, &o->window);
  integer(&v, "ackEvery", 1, 1, 64, &o->ack_every);
  boolean(&v, "fanout", 1, &o->fanout);
  if (v.failed) return -1;
  o->deploy_id = hex_u32(o->deploy_hex);
  return 0;
}

static const char *const QUANTIZATIONS[] = {"float32", "float16", "int8", "int16", "mixed"};

/* inputScaling: an object whose values are numbers or arrays of numbers. */
static int input_scaling(vctx *v) {
  tm_json_value m, k, e, x;
  tm_json_iter it, inner;
  if (member(v, "inputScaling", 0, &m) <= 0) return 0;
  if (m.type != TM_JSON_OBJECT) return problem(v, "inputScaling", "must be an object");
  tm_json_iter_init(&it, &m);
  while (tm_json_next(&it, &k, &e)) {
    if (e.type == TM_JSON_NUMBER) continue;
    if (e.type != TM_JSON_ARRAY) return problem(v, "inputScaling", "values must be numbers or arrays of numbers");
    tm_json_iter_init(&inner, &e);
    while (tm_json_next(&inner, NULL, &x)) {
      if (x.type != TM_JSON_NUMBER) return problem(v, "inputScaling", "arrays must hold numbers");
    }
  }
  return 0;
}

int tm_parse_manifest(const char *json, size_t len, tm_manifest *mf, char *err, size_t errcap) {
  vctx v;
  tm_json_value m;
  memset(mf, 0, sizeof *mf);
  mf->labels.type = TM_JSON_INVALID;
  if (open_object(&v, json, len, "manifest", err, errcap)) return -1;
  /* Required first (the schema's "required" list), then each property's rule. */
  static const char *const REQUIRED[] = {"v",      "deployId",  "name",   "version", "format",
                                         "size",   "sha256",    "chunkSize", "chunks", "arenaBytes",
                                         "ops",    "quantization", "createdAt"};
  for (size_t i = 0; i < sizeof REQUIRED / sizeof REQUIRED[0]; i++) {
    if (member(&v, REQUIRED[i], 1, &m) < 0) return -1;
  }
  version(&v);
  hex_string(&v, "deployId", 1, 8, mf->deploy_hex);
  text(&v, "name", 1, 0, TM_NAME_CODEPOINTS, mf->ref.name, sizeof mf->ref.name);
  text(&v, "version", 1, 0, TM_VERSION_CODEPOINTS, mf->ref.version, sizeof mf->ref.version);
  if (member(&v, "format", 1, &m) > 0 && !tm_json_string_equals(&m, "tflite")) {
    problem(&v, "format", "must be \"tflite\"");
  }
  integer(&v, "size", 1, 0, 4294967295.0, &mf->ref.size);
  hex_string(&v, "sha256", 1, 64, mf->ref.sha256);
  integer(&v, "chunkSize", 1, 16, 65535, &mf->chunk_size);
  integer_unbounded(&v, "chunks", 1, &mf->chunks);
  integer(&v, "arenaBytes", 1, 0, 4294967295.0, &mf->arena_bytes);
  mf->has_tflm_arena_bytes =
      integer(&v, "tflmArenaBytes", 0, 0, 4294967295.0, &mf->tflm_arena_bytes) > 0;
  string_array(&v, "ops", 1, 256, 64, &mf->ops);
  if (member(&v, "quantization", 1, &m) > 0) {
    size_t q = 0;
    while (q < 5 && !tm_json_string_equals(&m, QUANTIZATIONS[q])) q++;
    if (q == 5) {
      problem(&v, "quantization", "must be one of float32, float16, int8, int16, mixed");
    } else {
      mf->quantization = (tm_quantization)q;
    }
  }
  string_array(&v, "labels", 0, 1024, 256, &mf->labels);
  input_scaling(&v);
  number(&v, "createdAt", 1);
  return v.failed ? -1 : 0;
}

int tm_parse_command(const char *json, size_t len, tm_command *c, char *err, size_t errcap) {
  vctx v;
  tm_json_value m;
  memset(c, 0, sizeof *c);
  if (open_object(&v, json, len, "command", err, errcap)) return -1;
  version(&v);
  if (member(&v, "cmd", 1, &m) > 0) {
    if (tm_json_string_equals(&m, "rollback")) {
      c->cmd = TM_CMD_ROLLBACK;
    } else if (tm_json_string_equals(&m, "cancel")) {
      c->cmd = TM_CMD_CANCEL;
    } else if (tm_json_string_equals(&m, "status")) {
      c->cmd = TM_CMD_STATUS;
    } else {
      problem(&v, "cmd", "must be one of rollback, cancel, status");
    }
  }
  text(&v, "requestId", 1, 1, 64, c->request_id, sizeof c->request_id);
  if (hex_string(&v, "deployId", 0, 8, c->deploy_hex) > 0) c->has_deploy_id = true;
  return v.failed ? -1 : 0;
}

/* Appends every number under `e` (nested arrays flattened, as src/util/arrays.ts flatten does). */
static int flatten(const tm_json_value *e, tm_infer_request *r, char *err, size_t errcap,
                   int depth) {
  if (e->type == TM_JSON_NUMBER) {
    double d;
    if (tm_json_number(e, &d) || !isfinite(d)) {
      snprintf(err, errcap, "input[%lu] is not a finite number", (unsigned long)r->count);
      return -1;
    }
    if (r->count >= TM_MAX_INPUT_VALUES) {
      snprintf(err, errcap, "input has more than the device's %d values", TM_MAX_INPUT_VALUES);
      return -1;
    }
    r->values[r->count++] = (float)d;
    return 0;
  }
  if (e->type != TM_JSON_ARRAY || depth > 8) {
    snprintf(err, errcap, "input[%lu] is not a number", (unsigned long)r->count);
    return -1;
  }
  tm_json_iter it;
  tm_json_value x;
  tm_json_iter_init(&it, e);
  while (tm_json_next(&it, NULL, &x)) {
    if (flatten(&x, r, err, errcap, depth + 1)) return -1;
  }
  return 0;
}

int tm_parse_infer(const char *json, size_t len, tm_infer_request *r, char *err, size_t errcap) {
  vctx v;
  tm_json_value m;
  r->has_request_id = false;
  r->request_id[0] = '\0';
  r->count = r->entries = 0;
  if (open_object(&v, json, len, "inferRequest", err, errcap)) return -1;
  version(&v);
  if (text(&v, "requestId", 0, 0, 64, r->request_id, sizeof r->request_id) > 0) {
    r->has_request_id = true;
  }
  if (member(&v, "input", 1, &m) > 0 && m.type != TM_JSON_ARRAY) {
    problem(&v, "input", "must be an array");
  }
  if (v.failed) return -1;
  /* Valid request; what follows are problems of the input, answered with an error result. */
  tm_json_iter it;
  tm_json_value e;
  tm_json_iter_init(&it, &m);
  while (tm_json_next(&it, NULL, &e)) {
    size_t before = r->count;
    if (flatten(&e, r, err, errcap, 0)) return -2;
    if (r->entries < TM_MAX_TENSORS) r->counts[r->entries] = r->count - before;
    r->entries++;
  }
  return 0;
}

/* ---- encoders ----------------------------------------------------------------- */

void tm_write_ref(tm_jsonw *w, const tm_model_ref *ref) {
  if (!ref) {
    tm_jsonw_null(w);
    return;
  }
  tm_jsonw_object(w);
  tm_jsonw_key(w, "name");
  tm_jsonw_string(w, ref->name);
  tm_jsonw_key(w, "version");
  tm_jsonw_string(w, ref->version);
  tm_jsonw_key(w, "sha256");
  tm_jsonw_string(w, ref->sha256);
  tm_jsonw_key(w, "size");
  tm_jsonw_u64(w, ref->size);
  tm_jsonw_end(w);
}

static void head(tm_jsonw *w, char *buf, size_t cap) {
  tm_jsonw_init(w, buf, cap);
  tm_jsonw_object(w);
  tm_jsonw_key(w, "v");
  tm_jsonw_u64(w, TM_PROTOCOL_VERSION);
}

long tm_encode_status(char *buf, size_t cap, const char *id, const char *profile,
                      const char *group, const tm_caps *caps, const tm_model_ref *model,
                      const tm_model_ref *previous, uint64_t ts) {
  tm_jsonw w;
  head(&w, buf, cap);
  tm_jsonw_key(&w, "id");
  tm_jsonw_string(&w, id);
  tm_jsonw_key(&w, "online");
  tm_jsonw_bool(&w, 1);
  if (profile) {
    tm_jsonw_key(&w, "profile");
    tm_jsonw_string(&w, profile);
  }
  if (group) {
    tm_jsonw_key(&w, "group");
    tm_jsonw_string(&w, group);
  }
  tm_jsonw_key(&w, "caps");
  tm_jsonw_object(&w);
  tm_jsonw_key(&w, "maxPacket");
  tm_jsonw_u64(&w, caps->max_packet);
  tm_jsonw_key(&w, "arenaBytes");
  tm_jsonw_u64(&w, caps->arena_bytes);
  tm_jsonw_key(&w, "flashBytes");
  tm_jsonw_u64(&w, caps->flash_bytes);
  tm_jsonw_key(&w, "slots");
  tm_jsonw_u64(&w, 2);
  tm_jsonw_key(&w, "window");
  tm_jsonw_u64(&w, caps->window);
  tm_jsonw_key(&w, "ops");
  tm_jsonw_array(&w);
  for (size_t i = 0; i < caps->n_ops; i++) tm_jsonw_string(&w, caps->ops[i]);
  tm_jsonw_end(&w);
  tm_jsonw_key(&w, "verify");
  tm_jsonw_string(&w, caps->verify ? "ed25519" : "none");
  /* The arena budget is a TensorFlow Lite Micro arena: deployers check tflmArenaBytes against it. */
  tm_jsonw_key(&w, "runtime");
  tm_jsonw_string(&w, "tflm");
  /* Whether this build runs models at all ("none": it only stores them). */
  tm_jsonw_key(&w, "inference");
  tm_jsonw_string(&w, caps->inference);
  tm_jsonw_end(&w);
  tm_jsonw_key(&w, "model");
  tm_write_ref(&w, model);
  tm_jsonw_key(&w, "previous");
  tm_write_ref(&w, previous);
  tm_jsonw_key(&w, "ts");
  tm_jsonw_u64(&w, ts);
  tm_jsonw_end(&w);
  return tm_jsonw_finish(&w);
}

long tm_encode_offline(char *buf, size_t cap, const char *id, const char *group, uint64_t ts) {
  tm_jsonw w;
  head(&w, buf, cap);
  tm_jsonw_key(&w, "id");
  tm_jsonw_string(&w, id);
  tm_jsonw_key(&w, "online");
  tm_jsonw_bool(&w, 0);
  if (group) {
    tm_jsonw_key(&w, "group");
    tm_jsonw_string(&w, group);
  }
  tm_jsonw_key(&w, "ts");
  tm_jsonw_u64(&w, ts);
  tm_jsonw_end(&w);
  return tm_jsonw_finish(&w);
}

long tm_encode_progress(char *buf, size_t cap, const tm_progress *p) {
  tm_jsonw w;
  head(&w, buf, cap);
  tm_jsonw_key(&w, "deployId");
  tm_jsonw_string(&w, p->deploy_hex);
  tm_jsonw_key(&w, "state");
  tm_jsonw_string(&w, p->state);
  tm_jsonw_key(&w, "next");
  tm_jsonw_u64(&w, p->next);
  tm_jsonw_key(&w, "have");
  tm_jsonw_u64(&w, p->have);
  tm_jsonw_key(&w, "high");
  tm_jsonw_u64(&w, p->high);
  tm_jsonw_key(&w, "total");
  tm_jsonw_u64(&w, p->total);
  if (p->n_missing) {
    tm_jsonw_key(&w, "missing");
    tm_jsonw_array(&w);
    for (size_t i = 0; i < p->n_missing; i++) tm_jsonw_u64(&w, p->missing[i]);
    tm_jsonw_end(&w);
  }
  if (p->code) {
    tm_jsonw_key(&w, "code");
    tm_jsonw_string(&w, p->code);
  }
  if (p->error) {
    tm_jsonw_key(&w, "error");
    tm_jsonw_string(&w, p->error);
  }
  if (p->sha256) {
    tm_jsonw_key(&w, "sha256");
    tm_jsonw_string(&w, p->sha256);
  }
  tm_jsonw_key(&w, "serving");
  tm_write_ref(&w, p->serving);
  tm_jsonw_key(&w, "ts");
  tm_jsonw_u64(&w, p->ts);
  tm_jsonw_end(&w);
  return tm_jsonw_finish(&w);
}

static const char *const COMMANDS[] = {"rollback", "cancel", "status"};

long tm_encode_reply(char *buf, size_t cap, const tm_command *cmd, bool ok, const char *error,
                     const tm_model_ref *model, const tm_model_ref *previous, uint64_t ts) {
  tm_jsonw w;
  head(&w, buf, cap);
  tm_jsonw_key(&w, "requestId");
  tm_jsonw_string(&w, cmd->request_id);
  tm_jsonw_key(&w, "cmd");
  tm_jsonw_string(&w, COMMANDS[cmd->cmd]);
  tm_jsonw_key(&w, "ok");
  tm_jsonw_bool(&w, ok);
  if (error) {
    tm_jsonw_key(&w, "error");
    tm_jsonw_string(&w, error);
  }
  tm_jsonw_key(&w, "model");
  tm_write_ref(&w, model);
  tm_jsonw_key(&w, "previous");
  tm_write_ref(&w, previous);
  tm_jsonw_key(&w, "ts");
  tm_jsonw_u64(&w, ts);
  tm_jsonw_end(&w);
  return tm_jsonw_finish(&w);
}

static const char *const DTYPES[] = {"float32", "int8", "uint8", "int16", "int32"};

static double element(const tm_tensor_view *t, size_t i) {
  switch (t->dtype) {
    case TM_DTYPE_FLOAT32:
      return ((const float *)t->data)[i];
    case TM_DTYPE_INT8:
      return ((const int8_t *)t->data)[i];
    case TM_DTYPE_UINT8:
      return ((const uint8_t *)t->data)[i];
    case TM_DTYPE_INT16:
      return ((const int16_t *)t->data)[i];
    case TM_DTYPE_INT32:
      return ((const int32_t *)t->data)[i];
  }
  return NAN;
}

long tm_encode_result(char *buf, size_t cap, const tm_result *r) {
  tm_jsonw w;
  head(&w, buf, cap);
  tm_jsonw_key(&w, "deviceId");
  tm_jsonw_string(&w, r->device_id);
  if (r->request_id) {
    tm_jsonw_key(&w, "requestId");
    tm_jsonw_string(&w, r->request_id);
  }
  if (r->source) {
    tm_jsonw_key(&w, "source");
    tm_jsonw_string(&w, r->source);
  }
  tm_jsonw_key(&w, "model");
  if (r->model) {
    tm_jsonw_object(&w);
    tm_jsonw_key(&w, "name");
    tm_jsonw_string(&w, r->model->name);
    tm_jsonw_key(&w, "version");
    tm_jsonw_string(&w, r->model->version);
    tm_jsonw_key(&w, "sha256");
    tm_jsonw_string(&w, r->model->sha256);
    tm_jsonw_end(&w);
  } else {
    tm_jsonw_null(&w);
  }
  if (r->n_outputs) {
    tm_jsonw_key(&w, "outputs");
    tm_jsonw_array(&w);
    for (size_t i = 0; i < r->n_outputs; i++) {
      const tm_tensor_view *t = &r->outputs[i];
      tm_jsonw_object(&w);
      tm_jsonw_key(&w, "name");
      tm_jsonw_string(&w, t->name ? t->name : "");
      tm_jsonw_key(&w, "shape");
      tm_jsonw_array(&w);
      for (int d = 0; d < t->rank; d++) tm_jsonw_i64(&w, t->shape[d]);
      tm_jsonw_end(&w);
      tm_jsonw_key(&w, "dtype");
      tm_jsonw_string(&w, DTYPES[t->dtype]);
      tm_jsonw_key(&w, "data");
      tm_jsonw_array(&w);
      for (size_t k = 0; k < t->count; k++) tm_jsonw_number(&w, element(t, k));
      tm_jsonw_end(&w);
      tm_jsonw_end(&w);
    }
    tm_jsonw_end(&w);
  }
  if (r->label) {
    tm_jsonw_key(&w, "label");
    tm_jsonw_string(&w, r->label);
    tm_jsonw_key(&w, "score");
    tm_jsonw_number(&w, r->score);
  }
  if (r->latency_ms >= 0) {
    tm_jsonw_key(&w, "latencyMs");
    tm_jsonw_number(&w, r->latency_ms);
  }
  if (r->error) {
    tm_jsonw_key(&w, "error");
    tm_jsonw_string(&w, r->error);
  }
  tm_jsonw_key(&w, "ts");
  tm_jsonw_u64(&w, r->ts);
  tm_jsonw_end(&w);
  return tm_jsonw_finish(&w);
}
