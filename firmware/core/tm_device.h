/*
 * The device side of fleet protocol v1 in portable C: the same state machine
 * as the Node.js device (src/device/core.ts), for microcontrollers. The board
 * glue feeds it MQTT messages one at a time and calls it on (re)connect; it
 * answers through the platform's publish. It never retries: the deployer
 * does, and a repeated offer is a poll the device answers with what it holds.
 *
 *   offer ─▶ receiving ─(manifest verified)─▶ receiving ─(all chunks)─▶ verifying
 *     │          │                                              │ sha256 ok
 *     ▼          ▼                                              ▼
 *   refused   refused (signature, compatibility)            testing ─(load + self-test)─▶ active
 *                                                               │
 *                                                               └─▶ failed (old model serves)
 *   a new offer, a cancel or a rollback in any unfinished state ─▶ cancelled
 *
 * Memory: one tm_device (about 16 KB with the defaults of tm_config.h),
 * statically allocated by the caller; the core never allocates.
 */
#ifndef TM_DEVICE_H_
#define TM_DEVICE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tm_config.h"
#include "tm_messages.h"
#include "tm_platform.h"
#include "tm_store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *id;      /* ^[A-Za-z0-9_.-]{1,64}$ */
  const char *prefix;  /* topic prefix, "tinyml/" when NULL */
  const char *group;   /* or NULL */
  const char *profile; /* shown in the status, e.g. "esp32" */
  /* Largest MQTT packet the device accepts, fixed header included. */
  uint32_t max_packet;
  /* Tensor arena and model slot budgets, announced and enforced. */
  uint32_t arena_bytes;
  uint32_t flash_bytes;
  /* Most unacknowledged chunks in flight the device accepts (1..64). */
  uint32_t window;
  /* Builtin ops the runtime registers, e.g. {"FULLY_CONNECTED", "RELU"}. */
  const char *const *ops;
  size_t n_ops;
  /* Ed25519 public key (32 bytes): only signed manifests are accepted. NULL: none. */
  const uint8_t *public_key;
} tm_device_config;

typedef struct {
  uint32_t chunks;     /* chunk messages received */
  uint32_t duplicates; /* already held */
  uint32_t damaged;    /* bad header, CRC or length */
  uint32_t foreign;    /* another transfer's, or none in progress */
  uint32_t early;      /* model chunks before the manifest was verified */
  uint32_t offers;
  uint32_t oversize; /* messages above max_packet, dropped */
} tm_device_stats;

typedef struct {
  bool live;
  tm_offer offer;
  int slot;
  uint32_t total;
  uint32_t have, next, high;
  uint32_t counter;         /* chunk messages since the last report */
  uint32_t unsaved_reports; /* reports since the state was last saved */
  tm_state state;
  bool has_manifest;
  bool section_dirty;
  tm_manifest manifest;
  uint8_t held[(TM_MAX_CHUNKS + 7) / 8];
  uint8_t section[TM_MAX_MANIFEST_BYTES + TM_SIGNATURE_BYTES];
} tm_transfer;

typedef struct tm_device {
  tm_device_config cfg;
  char prefix[64];
  const tm_platform *pf;
  const tm_runtime *rt;
  tm_slot_table table;
  int serving; /* the slot whose model the runtime holds, or -1 */
  tm_transfer xfer;
  tm_finished finished[TM_FINISHED_KEPT];
  unsigned finished_next;
  tm_device_stats stats;
  char labels[TM_LABELS_MAX]; /* JSON array of the serving model's labels, or "" */
  char boot_rollback[TM_ERROR_MAX];
  char out[TM_OUT_MAX];
  char topic[TM_TOPIC_MAX];
  char why[TM_ERROR_MAX];
  char line[TM_ERROR_MAX + 96];
  tm_infer_request req;
  uint8_t scratch[TM_MAX_MANIFEST_BYTES + TM_SIGNATURE_BYTES + 16];
} tm_device;

/* Checks the configuration; -1 with the reason in err when it is unusable. */
int tm_device_init(tm_device *d, const tm_device_config *cfg, const tm_platform *pf,
                   const tm_runtime *rt, char *err, size_t errcap);

/* Loads the serving model (falling back to the other slot) and restores an unfinished transfer. */
void tm_device_boot(tm_device *d);

/*
 * First boot of a device whose slots are empty: writes a built-in model (e.g.
 * the array `tinyml export` generated) to slot a, records it in the slot
 * table and boots it as if it had been deployed. Does nothing (returns 1)
 * when any slot already holds a model; 0 when installed; -1 with the reason in
 * the log when the model cannot be written or does not load.
 */
int tm_device_install(tm_device *d, const uint8_t *model, size_t len, const char *name,
                      const char *version);

/* The Last Will to register before connecting: retained, QoS 1, on the status topic. */
int tm_device_will(tm_device *d, char *topic, size_t topic_cap, char *payload, size_t payload_cap);

/* After every (re)connect: subscribes and announces the retained status. */
void tm_device_connected(tm_device *d);

/* One MQTT message. */
void tm_device_message(tm_device *d, const char *topic, const uint8_t *payload, size_t len);

/* Before a clean disconnect: the retained status says offline. */
void tm_device_going_offline(tm_device *d);

/*
 * Runs the serving model on input read by the device itself (a sensor) and
 * publishes the result on {p}devices/{id}/results. counts[i] values belong to
 * entry i (one entry per model input; one entry for a single-input model).
 * The values are real-world readings: the runtime quantizes them for an
 * integer input tensor.
 */
int tm_device_infer(tm_device *d, const float *values, const size_t *counts, size_t entries);

/* The serving model, or NULL. */
const tm_model_ref *tm_device_model(const tm_device *d);

const char *tm_state_name(tm_state s);

#ifdef __cplusplus
}
#endif

#endif /* TM_DEVICE_H_ */
