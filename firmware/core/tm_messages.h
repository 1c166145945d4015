/*
 * The JSON messages of fleet protocol v1 (src/fleet/messages.ts holds their
 * JSON Schemas): parsing and validating what the device receives (offer,
 * manifest, command, infer request) by the same rules as those schemas, and
 * encoding what it publishes (status, Last Will, progress, reply, result) so
 * that they validate there. A message that fails validation is never acted
 * upon; unknown fields are allowed, a different major version `v` is refused.
 */
#ifndef TM_MESSAGES_H_
#define TM_MESSAGES_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tm_config.h"
#include "tm_json.h"
#include "tm_jsonw.h"
#include "tm_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/* name, version, sha256 and size of a model: what slots hold and statuses name. */
typedef struct {
  char name[TM_NAME_BYTES];
  char version[TM_VERSION_BYTES];
  char sha256[65]; /* lowercase hex */
  uint32_t size;
} tm_model_ref;

typedef struct {
  uint32_t deploy_id;
  char deploy_hex[9];
  uint32_t size;
  uint32_t chunk_size;
  uint32_t chunks;
  uint32_t m_size;
  uint32_t m_chunks;
  bool is_signed;
  uint32_t window;
  uint32_t ack_every;
  bool fanout;
} tm_offer;

typedef enum {
  TM_QUANT_FLOAT32,
  TM_QUANT_FLOAT16,
  TM_QUANT_INT8,
  TM_QUANT_INT16,
  TM_QUANT_MIXED,
} tm_quantization;

typedef struct {
  tm_model_ref ref;
  char deploy_hex[9];
  uint32_t chunk_size;
  double chunks; /* the schema bounds it below only; compared with the offer's */
  uint32_t arena_bytes;      /* the planner's bytes (a "tinyml" runtime's need) */
  bool has_tflm_arena_bytes; /* tflmArenaBytes present (deployers since protocol 1.1) */
  uint32_t tflm_arena_bytes; /* what TFLite Micro needs: planned + persistent */
  tm_quantization quantization;
  /* The ops array and labels array as they appear in the manifest's text. */
  tm_json_value ops;
  tm_json_value labels; /* type TM_JSON_INVALID when absent */
} tm_manifest;

typedef enum { TM_CMD_ROLLBACK, TM_CMD_CANCEL, TM_CMD_STATUS } tm_command_name;

typedef struct {
  tm_command_name cmd;
  char request_id[4 * 64 + 1];
  bool has_deploy_id;
  char deploy_hex[9];
} tm_command;

typedef struct {
  bool has_request_id;
  char request_id[4 * 64 + 1];
  /* Every number of `input`, flattened in order, and how many came from each entry. */
  float values[TM_MAX_INPUT_VALUES];
  size_t count;
  size_t counts[TM_MAX_TENSORS];
  size_t entries;
} tm_infer_request;

/* Each parser returns 0, or -1 with the first problem in err (e.g. "offer.window must be ..."). */
int tm_parse_offer(const char *json, size_t len, tm_offer *out, char *err, size_t errcap);
int tm_parse_manifest(const char *json, size_t len, tm_manifest *out, char *err, size_t errcap);
int tm_parse_command(const char *json, size_t len, tm_command *out, char *err, size_t errcap);
int tm_parse_infer(const char *json, size_t len, tm_infer_request *out, char *err, size_t errcap);

/* A device or group id: ^[A-Za-z0-9_.-]{1,64}$, safe as one topic level. */
bool tm_valid_id(const char *id);

/* ---- encoding ---------------------------------------------------------------- */

typedef struct {
  uint32_t max_packet;
  uint32_t arena_bytes;
  uint32_t flash_bytes;
  uint32_t window;
  const char *const *ops;
  size_t n_ops;
  bool verify; /* holds a public key: accepts only signed manifests */
  const char *inference; /* "tflm", or "none" for a build that only stores models */
} tm_caps;

void tm_write_ref(tm_jsonw *w, const tm_model_ref *ref); /* null when ref is NULL */

long tm_encode_status(char *buf, size_t cap, const char *id, const char *profile,
                      const char *group, const tm_caps *caps, const tm_model_ref *model,
                      const tm_model_ref *previous, uint64_t ts);
/* The Last Will: {v, id, online:false, ts}. */
/* The offline status (Last Will, clean stop); it names the group, so a group deploy can report the member offline. */
long tm_encode_offline(char *buf, size_t cap, const char *id, const char *group, uint64_t ts);

typedef struct {
  const char *deploy_hex;
  const char *state;
  uint32_t next, have, high, total;
  const uint32_t *missing;
  size_t n_missing;
  const char *code;  /* or NULL */
  const char *error; /* or NULL */
  const char *sha256; /* or NULL */
  const tm_model_ref *serving;
  uint64_t ts;
} tm_progress;

long tm_encode_progress(char *buf, size_t cap, const tm_progress *p);

long tm_encode_reply(char *buf, size_t cap, const tm_command *cmd, bool ok, const char *error,
                     const tm_model_ref *model, const tm_model_ref *previous, uint64_t ts);

typedef struct {
  const char *device_id;
  const char *request_id; /* or NULL */
  const char *source;     /* "mqtt", or "sensor" for the device's own input callback */
  const tm_model_ref *model;
  const tm_tensor_view *outputs;
  size_t n_outputs;
  const char *label; /* or NULL */
  double score;
  double latency_ms; /* < 0: absent */
  const char *error; /* or NULL */
  uint64_t ts;
} tm_result;

long tm_encode_result(char *buf, size_t cap, const tm_result *r);

#ifdef __cplusplus
}
#endif

#endif /* TM_MESSAGES_H_ */
