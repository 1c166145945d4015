/*
 * The device state machine; each function names its counterpart in
 * src/device/ (core.ts and the files beside it), the reference behaviour.
 */
#include "tm_device.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tm_chunk.h"
#include "tm_ed25519.h"
#include "tm_sha256.h"

static const char *const STATE_NAMES[] = {"receiving", "verifying", "testing",  "active",
                                          "failed",    "refused",   "cancelled"};

const char *tm_state_name(tm_state s) { return STATE_NAMES[s]; }

static bool is_final(tm_state s) { return s >= TM_ACTIVE; }

static void logf_(tm_device *d, const char *fmt, ...) {
  if (!d->pf->log) return;
  int n = snprintf(d->line, sizeof d->line, "device %s: ", d->cfg.id);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->line + n, sizeof d->line - (size_t)n, fmt, ap);
  va_end(ap);
  d->pf->log(d->pf->ctx, d->line);
}

static uint64_t now(tm_device *d) { return d->pf->now_ms(d->pf->ctx); }

static const char *topic(tm_device *d, const char *kind) {
  snprintf(d->topic, sizeof d->topic, "%sdevices/%s/%s", d->prefix, d->cfg.id, kind);
  return d->topic;
}

static const char *fanout_topic(tm_device *d, const char *deploy_hex) {
  snprintf(d->topic, sizeof d->topic, "%sdeploys/%s/chunk", d->prefix, deploy_hex);
  return d->topic;
}

static void publish(tm_device *d, const char *t, long len, int retain, const char *what) {
  if (len < 0) {
    logf_(d, "cannot publish the %s: it does not fit the %d-byte message buffer", what, TM_OUT_MAX);
    return;
  }
  if (d->pf->publish(d->pf->ctx, t, d->out, (size_t)len, retain)) {
    logf_(d, "publish of the %s on %s failed", what, t);
  }
}

/* ---- geometry (src/fleet/geometry.ts) -------------------------------------------- */

static uint32_t varint_bytes(uint32_t n) {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

/* A PUBLISH of `payload` bytes on `t`, QoS 1, MQTT 5 worst case (MQTT 3.1.1/5 §3.3). */
static uint32_t publish_packet_bytes(const char *t, uint32_t payload) {
  uint32_t remaining = 2 + (uint32_t)strlen(t) + 2 + 1 + payload;
  return 1 + varint_bytes(remaining) + remaining;
}

/* ---- transfer bookkeeping (src/fleet/layout.ts) -------------------------------------- */

static bool held(const tm_transfer *t, uint32_t i) { return (t->held[i >> 3] >> (i & 7)) & 1; }

static void mark_held(tm_transfer *t, uint32_t i) { t->held[i >> 3] |= (uint8_t)(1u << (i & 7)); }

static void advance_next(tm_transfer *t) {
  while (t->next < t->total && held(t, t->next)) t->next++;
}

static uint32_t section_bytes(const tm_offer *o) {
  return o->m_size + (o->is_signed ? TM_SIGNATURE_BYTES : 0);
}

static bool is_manifest(const tm_transfer *t, uint32_t i) { return i < t->offer.m_chunks; }

static uint32_t section_offset(const tm_transfer *t, uint32_t i) {
  return (is_manifest(t, i) ? i : i - t->offer.m_chunks) * t->offer.chunk_size;
}

static uint32_t expected_length(const tm_transfer *t, uint32_t i) {
  uint32_t bytes = is_manifest(t, i) ? section_bytes(&t->offer) : t->offer.size;
  uint32_t left = bytes - section_offset(t, i);
  return left < t->offer.chunk_size ? left : t->offer.chunk_size;
}

/* TransferLayout.problem: why the offer's numbers are inconsistent, or NULL. */
static const char *layout_problem(tm_device *d, const tm_offer *o) {
  uint32_t section = section_bytes(o);
  if (o->m_chunks != (section + o->chunk_size - 1) / o->chunk_size) {
    snprintf(d->why, sizeof d->why, "offer: %lu manifest chunks of %lu bytes cannot hold %lu bytes",
             (unsigned long)o->m_chunks, (unsigned long)o->chunk_size, (unsigned long)section);
    return d->why;
  }
  if (o->chunks != (uint32_t)(((uint64_t)o->size + o->chunk_size - 1) / o->chunk_size)) {
    snprintf(d->why, sizeof d->why, "offer: %lu chunks of %lu bytes cannot hold %lu bytes",
             (unsigned long)o->chunks, (unsigned long)o->chunk_size, (unsigned long)o->size);
    return d->why;
  }
  if (o->ack_every > o->window) {
    snprintf(d->why, sizeof d->why, "offer: ackEvery %lu exceeds the window of %lu",
             (unsigned long)o->ack_every, (unsigned long)o->window);
    return d->why;
  }
  return NULL;
}

/* ---- status --------------------------------------------------------------------------- */

const tm_model_ref *tm_device_model(const tm_device *d) {
  return d->serving >= 0 ? &d->table.slots[d->serving] : NULL;
}

static const tm_model_ref *previous_model(const tm_device *d) {
  if (d->serving < 0 || !d->table.present[1 - d->serving]) return NULL;
  return &d->table.slots[1 - d->serving];
}

static void announce(tm_device *d) {
  tm_caps caps = {d->cfg.max_packet, d->cfg.arena_bytes, d->cfg.flash_bytes,
                  d->cfg.window,     d->cfg.ops,         d->cfg.n_ops,
                  d->cfg.public_key != NULL, d->rt->inference};
  long n = tm_encode_status(d->out, sizeof d->out, d->cfg.id, d->cfg.profile, d->cfg.group, &caps,
                            tm_device_model(d), previous_model(d), now(d));
  publish(d, topic(d, "status"), n, 1, "status");
}

/* ---- progress reports -------------------------------------------------------------------- */

/* The record for `deploy_hex` (reused if present, else the oldest), cleared. */
static tm_finished *remember_slot(tm_device *d, const char *deploy_hex) {
  tm_finished *f = NULL;
  for (unsigned i = 0; i < TM_FINISHED_KEPT; i++) {
    if (d->finished[i].used && strcmp(d->finished[i].deploy_hex, deploy_hex) == 0) {
      f = &d->finished[i];
    }
  }
  if (!f) {
    f = &d->finished[d->finished_next];
    d->finished_next = (d->finished_next + 1) % TM_FINISHED_KEPT;
  }
  memset(f, 0, sizeof *f);
  f->used = true;
  snprintf(f->deploy_hex, sizeof f->deploy_hex, "%s", deploy_hex);
  return f;
}

/* Saves the final reports before one is sent: a restarted device still answers polls with them. */
static void save_finished(tm_device *d) {
  if (tm_finished_save(d->pf, d->finished, TM_FINISHED_KEPT, d->finished_next, d->scratch,
                       sizeof d->scratch)) {
    logf_(d, "cannot save the final reports; after a restart a poll would start a transfer again");
  }
}

static void remember(tm_device *d, const tm_transfer *t, const char *code, const char *error,
                     const char *sha256) {
  tm_finished *f = remember_slot(d, t->offer.deploy_hex);
  f->state = t->state;
  f->next = t->next;
  f->have = t->have;
  f->high = t->high;
  f->total = t->total;
  if (code) snprintf(f->code, sizeof f->code, "%s", code);
  if (error) snprintf(f->error, sizeof f->error, "%s", error);
  if (sha256) snprintf(f->sha256, sizeof f->sha256, "%s", sha256);
  save_finished(d);
}

static void publish_finished(tm_device *d, const tm_finished *f) {
  tm_progress p = {f->deploy_hex, tm_state_name(f->state), f->next, f->have, f->high, f->total,
                   NULL, 0, f->code[0] ? f->code : NULL, f->error[0] ? f->error : NULL,
                   f->sha256[0] ? f->sha256 : NULL, tm_device_model(d), now(d)};
  long n = tm_encode_progress(d->out, sizeof d->out, &p);
  publish(d, topic(d, "progress"), n, 0, "progress report");
}

static void save_transfer(tm_device *d) {
  tm_transfer *t = &d->xfer;
  /* The section first: a crash between the two leaves a bitmap that claims no more than it holds. */
  if (t->section_dirty) {
    if (tm_section_save(d->pf, t->section, section_bytes(&t->offer), d->scratch,
                        sizeof d->scratch)) {
      logf_(d, "cannot save the manifest section; a restart would start this transfer over");
    }
    t->section_dirty = false;
  }
  tm_saved_transfer s = {t->offer, t->slot, t->held};
  if (tm_transfer_save(d->pf, &s, d->scratch, sizeof d->scratch)) {
    logf_(d, "cannot save the transfer state; a restart would start this transfer over");
  }
}

/* reports.ts transfer(): what the device holds, up to 32 missing indices, and any extras. */
static void report(tm_device *d, const char *code, const char *error, const char *sha256) {
  tm_transfer *t = &d->xfer;
  uint32_t missing[TM_MAX_MISSING];
  size_t n_missing = 0;
  t->counter = 0;
  for (uint32_t i = t->next; i < t->high && n_missing < TM_MAX_MISSING; i++) {
    if (!held(t, i)) missing[n_missing++] = i;
  }
  if (is_final(t->state)) {
    remember(d, t, code, error, sha256);
  } else if (t->live && (t->section_dirty || ++t->unsaved_reports >= TM_SAVE_EVERY_REPORTS)) {
    t->unsaved_reports = 0;
    save_transfer(d);
  }
  tm_progress p = {t->offer.deploy_hex, tm_state_name(t->state), t->next, t->have, t->high,
                   t->total, missing, n_missing, code, error, sha256, tm_device_model(d), now(d)};
  long n = tm_encode_progress(d->out, sizeof d->out, &p);
  publish(d, topic(d, "progress"), n, 0, "progress report");
}

static void maybe_report(tm_device *d) {
  if (d->xfer.counter >= d->xfer.offer.ack_every) report(d, NULL, NULL, NULL);
}

/* agent.ts fanout(): chunks of a group deploy also come on {p}deploys/{deployId}/chunk. */
static void transfer_changed(tm_device *d, bool active) {
  if (!d->xfer.offer.fanout) return;
  const char *t = fanout_topic(d, d->xfer.offer.deploy_hex);
  if (active) {
    d->pf->subscribe(d->pf->ctx, t, 0);
  } else {
    d->pf->unsubscribe(d->pf->ctx, t);
  }
}

/* Ends the transfer in a final state, persistently, without reporting it yet. */
static void stop_transfer(tm_device *d, tm_state state) {
  tm_transfer *t = &d->xfer;
  t->state = state;
  t->live = false;
  tm_transfer_forget(d->pf);
  transfer_changed(d, false);
}

/* Ends the transfer in a final state and reports it (fail / cancel / refuse after a manifest). */
static void end_transfer(tm_device *d, tm_state state, const char *code, const char *error,
                         const char *sha256) {
  stop_transfer(d, state);
  report(d, code, error, sha256);
}

static void fail(tm_device *d, const char *code, const char *error, const char *sha256) {
  logf_(d, "transfer %s failed: %s; the serving model stays", d->xfer.offer.deploy_hex, error);
  end_transfer(d, TM_FAILED, code, error, sha256);
  announce(d);
}

static void cancel(tm_device *d, const char *code, const char *error) {
  logf_(d, "transfer %s cancelled: %s", d->xfer.offer.deploy_hex, error);
  end_transfer(d, TM_CANCELLED, code, error, NULL);
}

/* ---- slots and the runtime ------------------------------------------------------------------ */

static void hex_of(const uint8_t digest[32], char out[65]) {
  static const char HEX[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = HEX[digest[i] >> 4];
    out[2 * i + 1] = HEX[digest[i] & 15];
  }
  out[64] = '\0';
}

/* sha256 of a slot's first `size` bytes, read back from flash in blocks. */
static int hash_slot(tm_device *d, int slot, uint32_t size, char out[65]) {
  uint8_t digest[32];
  if (d->pf->slot_sha256) { /* e.g. the ESP32's SHA engine through mbedTLS */
    if (d->pf->slot_sha256(d->pf->ctx, slot, size, digest)) return -1;
    hex_of(digest, out);
    return 0;
  }
  tm_sha256_ctx s;
  tm_sha256_init(&s);
  for (uint32_t at = 0; at < size;) {
    size_t n = size - at < TM_READ_BLOCK ? size - at : TM_READ_BLOCK;
    if (d->pf->slot_read(d->pf->ctx, slot, at, d->scratch, n)) return -1;
    tm_sha256_update(&s, d->scratch, n);
    at += (uint32_t)n;
  }
  tm_sha256_final(&s, digest);
  hex_of(digest, out);
  return 0;
}

static const char *labels_key(int slot) { return slot ? "labels-b" : "labels-a"; }

static void load_labels(tm_device *d, int slot) {
  size_t len = 0;
  d->labels[0] = '\0';
  if (d->pf->kv_read(d->pf->ctx, labels_key(slot), d->labels, sizeof d->labels - 1, &len) == 0) {
    d->labels[len] = '\0';
  }
}

/*
 * slots.ts tryActivate(): reads, verifies and self-tests a slot; on success it
 * serves. Returns why not (in d->why) otherwise, with nothing loaded.
 */
static const char *try_activate(tm_device *d, int slot) {
  char sha[65];
  const tm_model_ref *ref = &d->table.slots[slot];
  if (!d->table.present[slot]) return "is empty";
  if (hash_slot(d, slot, ref->size, sha)) return "cannot be read";
  if (strcmp(sha, ref->sha256) != 0) {
    snprintf(d->why, sizeof d->why, "has sha256 %s, expected %s", sha, ref->sha256);
    return d->why;
  }
  char err[TM_ERROR_MAX - 20];
  err[0] = '\0';
  if (d->rt->load(d->rt->ctx, slot, ref->size, err, sizeof err)) {
    snprintf(d->why, sizeof d->why, "does not load: %s", err);
    return d->why;
  }
  if (d->rt->self_test(d->rt->ctx, err, sizeof err)) {
    d->rt->unload(d->rt->ctx);
    snprintf(d->why, sizeof d->why, "%s", err);
    return d->why;
  }
  d->serving = slot;
  load_labels(d, slot);
  return NULL;
}

/* After a failed load of another slot: the runtime holds the serving model again. */
static void reload_serving(tm_device *d, int slot) {
  char err[TM_ERROR_MAX - 20];
  d->serving = -1;
  if (slot < 0) return;
  if (d->rt->load(d->rt->ctx, slot, d->table.slots[slot].size, err, sizeof err)) {
    logf_(d, "cannot reload the serving model of slot %c: %s", 'a' + slot, err);
    return;
  }
  d->serving = slot;
}

static void write_table(tm_device *d) {
  if (tm_table_write(d->pf, &d->table)) logf_(d, "cannot write the slot table");
}

/* ---- manifest (checks.ts checkManifest) ---------------------------------------------------- */

typedef struct {
  const char *code;
  const char *error;
} refusal;

static bool has_op(const tm_device *d, const tm_json_value *name) {
  for (size_t i = 0; i < d->cfg.n_ops; i++) {
    if (tm_json_string_equals(name, d->cfg.ops[i])) return true;
  }
  return false;
}

static refusal check_manifest(tm_device *d) {
  tm_transfer *t = &d->xfer;
  tm_manifest *m = &t->manifest;
  const char *json = (const char *)t->section;
  refusal r = {NULL, NULL};
  if (tm_parse_manifest(json, t->offer.m_size, m, d->why, sizeof d->why)) {
    r.code = "E_MANIFEST";
    r.error = d->why;
    return r;
  }
  const char *field = NULL;
  unsigned long got = 0, want = 0;
  if (strcmp(m->deploy_hex, t->offer.deploy_hex) != 0) {
    snprintf(d->why, sizeof d->why, "manifest deployId %s differs from the offer's %s",
             m->deploy_hex, t->offer.deploy_hex);
    r.code = "E_MANIFEST";
    r.error = d->why;
    return r;
  }
  if (m->ref.size != t->offer.size) {
    field = "size", got = m->ref.size, want = t->offer.size;
  } else if (m->chunk_size != t->offer.chunk_size) {
    field = "chunkSize", got = m->chunk_size, want = t->offer.chunk_size;
  } else if (m->chunks != (double)t->offer.chunks) {
    field = "chunks", got = m->chunks > 4294967295.0 ? 4294967295ul : (unsigned long)m->chunks;
    want = t->offer.chunks;
  }
  if (field) {
    snprintf(d->why, sizeof d->why, "manifest %s %lu differs from the offer's %lu", field, got, want);
    r.code = "E_MANIFEST";
    r.error = d->why;
    return r;
  }
  if (d->cfg.public_key) {
    const uint8_t *sig = t->section + t->offer.m_size;
    if (!t->offer.is_signed ||
        !tm_ed25519_verify(sig, t->section, t->offer.m_size, d->cfg.public_key)) {
      r.code = "E_SIGNATURE";
      r.error = "manifest signature does not verify with the device's public key";
      return r;
    }
  }
  /*
   * TFLite Micro keeps its persistent structures (eval tensors, node and op
   * data) in the arena too: check what TFLM needs when the deployer says it;
   * an older deployer's planner bytes are a lower bound, and the runtime's
   * AllocateTensors stays the last word (E_LOAD).
   */
  uint32_t need = m->has_tflm_arena_bytes ? m->tflm_arena_bytes : m->arena_bytes;
  if (need > d->cfg.arena_bytes) {
    snprintf(d->why, sizeof d->why, "model needs a %lu-byte arena (TFLite Micro); the device has %lu",
             (unsigned long)need, (unsigned long)d->cfg.arena_bytes);
    r.code = "E_ARENA";
    r.error = d->why;
    return r;
  }
  tm_json_iter it;
  tm_json_value op;
  size_t used = 0;
  int missing = 0;
  tm_json_iter_init(&it, &m->ops);
  while (tm_json_next(&it, NULL, &op)) {
    if (has_op(d, &op)) continue;
    char name[4 * 64 + 1];
    tm_json_string(&op, name, sizeof name);
    if (missing++ == 0) used = (size_t)snprintf(d->why, sizeof d->why, "ops not supported by the device:");
    if (used < sizeof d->why) {
      used += (size_t)snprintf(d->why + used, sizeof d->why - used, "%s %s", missing > 1 ? "," : "",
                               name);
    }
  }
  if (missing) {
    r.code = "E_OPS";
    r.error = d->why;
    return r;
  }
  t->has_manifest = true;
  return r;
}

/* ---- boot -------------------------------------------------------------------------------- */

int tm_device_init(tm_device *d, const tm_device_config *cfg, const tm_platform *pf,
                   const tm_runtime *rt, char *err, size_t errcap) {
  memset(d, 0, sizeof *d);
  d->cfg = *cfg;
  d->pf = pf;
  d->rt = rt;
  d->serving = -1;
  tm_table_empty(&d->table);
  if (!cfg->id || !tm_valid_id(cfg->id)) {
    snprintf(err, errcap, "device id \"%s\" must match ^[A-Za-z0-9_.-]{1,64}$",
             cfg->id ? cfg->id : "");
    return -1;
  }
  if (cfg->group && !tm_valid_id(cfg->group)) {
    snprintf(err, errcap, "group \"%s\" must match ^[A-Za-z0-9_.-]{1,64}$", cfg->group);
    return -1;
  }
  const char *p = cfg->prefix ? cfg->prefix : "tinyml/";
  size_t n = strlen(p);
  if (n + 2 > sizeof d->prefix || strpbrk(p, "#+")) {
    snprintf(err, errcap, "topic prefix \"%s\" must be under 62 characters without + or #", p);
    return -1;
  }
  snprintf(d->prefix, sizeof d->prefix, "%s%s", p, n && p[n - 1] != '/' ? "/" : "");
  if (cfg->window < 1 || cfg->window > 64) {
    snprintf(err, errcap, "window %lu must be in [1, 64]", (unsigned long)cfg->window);
    return -1;
  }
  if (cfg->max_packet < 64) {
    snprintf(err, errcap, "max packet %lu is below the protocol's 64 bytes",
             (unsigned long)cfg->max_packet);
    return -1;
  }
  if (cfg->n_ops > TM_MAX_OPS) {
    snprintf(err, errcap, "%lu ops exceed TM_MAX_OPS (%d)", (unsigned long)cfg->n_ops, TM_MAX_OPS);
    return -1;
  }
  return 0;
}

/* core.ts restoreTransfer(). */
static void restore_transfer(tm_device *d) {
  tm_transfer *t = &d->xfer;
  tm_saved_transfer s;
  memset(t, 0, sizeof *t);
  if (tm_transfer_load(d->pf, &s, t->held, sizeof t->held, d->scratch, sizeof d->scratch)) return;
  t->offer = s.offer;
  t->slot = s.slot;
  t->total = s.offer.m_chunks + s.offer.chunks;
  if (layout_problem(d, &t->offer) || t->total > TM_MAX_CHUNKS ||
      section_bytes(&t->offer) > sizeof t->section) {
    tm_transfer_forget(d->pf);
    memset(t, 0, sizeof *t);
    return;
  }
  for (uint32_t i = 0; i < t->total; i++) {
    if (held(t, i)) {
      t->have++;
      t->high = i + 1;
    }
  }
  bool any_manifest = false;
  for (uint32_t i = 0; i < t->offer.m_chunks; i++) any_manifest |= held(t, i);
  if (any_manifest && tm_section_load(d->pf, t->section, section_bytes(&t->offer), d->scratch,
                                      sizeof d->scratch)) {
    /* The bitmap claims manifest bytes the section record does not have. */
    tm_transfer_forget(d->pf);
    memset(t, 0, sizeof *t);
    return;
  }
  if (d->serving >= 0 && t->slot == d->serving) {
    /* Written into the slot that serves now (a rollback in between): never resume into it. */
    logf_(d, "dropped the saved transfer %s: its slot %c serves", t->offer.deploy_hex, 'a' + t->slot);
    tm_transfer_forget(d->pf);
    memset(t, 0, sizeof *t);
    return;
  }
  advance_next(t);
  t->state = TM_RECEIVING;
  t->live = true;
  if (t->next >= t->offer.m_chunks) {
    refusal r = check_manifest(d);
    if (r.code) {
      logf_(d, "dropped the saved transfer %s: %s", t->offer.deploy_hex, r.error);
      tm_transfer_forget(d->pf);
      memset(t, 0, sizeof *t);
      return;
    }
    /* The slot was given up when the manifest was first verified; if the device stopped right then, now. */
    if (d->table.present[t->slot] || t->have == t->offer.m_chunks) {
      d->table.present[t->slot] = false;
      write_table(d);
      if (t->have == t->offer.m_chunks) d->pf->slot_erase(d->pf->ctx, t->slot, t->offer.size);
    }
  }
  logf_(d, "resuming transfer %s: %lu/%lu chunks held", t->offer.deploy_hex,
        (unsigned long)t->have, (unsigned long)t->total);
}

void tm_device_boot(tm_device *d) {
  tm_table_read(d->pf, &d->table);
  int first = d->table.active;
  if (first >= 0) {
    const char *problem = try_activate(d, first);
    if (problem) {
      char first_problem[TM_ERROR_MAX];
      snprintf(first_problem, sizeof first_problem, "%s", problem);
      logf_(d, "slot %c cannot serve: %s", 'a' + first, first_problem);
      d->table.present[first] = false;
      int other = 1 - first;
      const char *fallback = d->table.present[other] ? try_activate(d, other) : "is empty";
      d->table.active = fallback ? -1 : other;
      write_table(d);
      if (!fallback) {
        snprintf(d->boot_rollback, sizeof d->boot_rollback, "slot %c %.100s; rolled back to %.40s %.20s",
                 'a' + first, first_problem, d->table.slots[other].name,
                 d->table.slots[other].version);
        logf_(d, "%s", d->boot_rollback);
      }
    }
  }
  unsigned kept = tm_finished_load(d->pf, d->finished, TM_FINISHED_KEPT, d->scratch,
                                   sizeof d->scratch);
  d->finished_next = kept % TM_FINISHED_KEPT;
  restore_transfer(d);
}

int tm_device_install(tm_device *d, const uint8_t *model, size_t len, const char *name,
                      const char *version) {
  if (d->table.present[0] || d->table.present[1] || d->xfer.live) return 1;
  if (len == 0 || len > d->cfg.flash_bytes) {
    logf_(d, "built-in model of %lu bytes does not fit the %lu-byte slot", (unsigned long)len,
          (unsigned long)d->cfg.flash_bytes);
    return -1;
  }
  uint8_t digest[32];
  tm_model_ref *ref = &d->table.slots[0];
  memset(ref, 0, sizeof *ref);
  snprintf(ref->name, sizeof ref->name, "%s", name);
  snprintf(ref->version, sizeof ref->version, "%s", version);
  tm_sha256(model, len, digest);
  hex_of(digest, ref->sha256);
  ref->size = (uint32_t)len;
  if (d->pf->slot_erase(d->pf->ctx, 0, (uint32_t)len) ||
      d->pf->slot_write(d->pf->ctx, 0, 0, model, len)) {
    logf_(d, "cannot write the built-in model to slot a");
    return -1;
  }
  d->pf->kv_write(d->pf->ctx, labels_key(0), NULL, 0);
  d->table.present[0] = true;
  d->table.active = 0;
  write_table(d);
  tm_device_boot(d); /* verifies and self-tests it like any model */
  if (d->serving != 0) return -1;
  logf_(d, "installed the built-in model %s %s (%lu bytes) in slot a", name, version,
        (unsigned long)len);
  return 0;
}

int tm_device_will(tm_device *d, char *t, size_t tcap, char *payload, size_t pcap) {
  long n = tm_encode_offline(payload, pcap, d->cfg.id, d->cfg.group, now(d));
  int tn = snprintf(t, tcap, "%sdevices/%s/status", d->prefix, d->cfg.id);
  return n < 0 || tn < 0 || (size_t)tn >= tcap ? -1 : (int)n;
}

void tm_device_connected(tm_device *d) {
  d->pf->subscribe(d->pf->ctx, topic(d, "offer"), 1);
  d->pf->subscribe(d->pf->ctx, topic(d, "cmd"), 1);
  d->pf->subscribe(d->pf->ctx, topic(d, "infer"), 1);
  /* Chunks at QoS 0: a lost chunk is repaired by the protocol; QoS 1 would cost a PUBACK each. */
  d->pf->subscribe(d->pf->ctx, topic(d, "chunk"), 0);
  if (d->xfer.live) transfer_changed(d, true);
  announce(d);
}

void tm_device_going_offline(tm_device *d) {
  long n = tm_encode_offline(d->out, sizeof d->out, d->cfg.id, d->cfg.group, now(d));
  publish(d, topic(d, "status"), n, 1, "offline status");
}

/* ---- offers (core.ts onOffer) ----------------------------------------------------------------- */

static refusal check_offer(tm_device *d, const tm_offer *o) {
  refusal r = {"E_PROTOCOL", NULL};
  const char *layout = layout_problem(d, o);
  if (layout) {
    r.error = layout;
    return r;
  }
  if (o->window > d->cfg.window) {
    snprintf(d->why, sizeof d->why, "window of %lu chunks exceeds the device's %lu",
             (unsigned long)o->window, (unsigned long)d->cfg.window);
    r.error = d->why;
    return r;
  }
  for (int k = 0; k < (o->fanout ? 2 : 1); k++) {
    const char *t = k == 0 ? topic(d, "chunk") : fanout_topic(d, o->deploy_hex);
    uint32_t bytes = publish_packet_bytes(t, TM_CHUNK_HEADER_BYTES + o->chunk_size);
    if (bytes > d->cfg.max_packet) {
      snprintf(d->why, sizeof d->why,
               "a %lu-byte chunk on %.100s makes a %lu-byte packet; the device takes %lu",
               (unsigned long)o->chunk_size, t, (unsigned long)bytes,
               (unsigned long)d->cfg.max_packet);
      r.code = "E_PACKET";
      r.error = d->why;
      return r;
    }
  }
  if (o->size > d->cfg.flash_bytes) {
    snprintf(d->why, sizeof d->why, "model of %lu bytes does not fit the %lu-byte model slot",
             (unsigned long)o->size, (unsigned long)d->cfg.flash_bytes);
    r.code = "E_TOO_BIG";
    r.error = d->why;
    return r;
  }
  if ((uint64_t)o->m_chunks + o->chunks > TM_MAX_CHUNKS) {
    snprintf(d->why, sizeof d->why, "a transfer of %lu chunks exceeds the device's %d",
             (unsigned long)(o->m_chunks + o->chunks), TM_MAX_CHUNKS);
    r.code = "E_TOO_BIG";
    r.error = d->why;
    return r;
  }
  if (d->cfg.public_key && !o->is_signed) {
    r.code = "E_SIGNATURE";
    r.error = "the device accepts only signed manifests; this offer is unsigned";
    return r;
  }
  r.code = NULL;
  return r;
}

/* A refusal concerns only the offer: any transfer in progress goes on untouched. */
static void refuse(tm_device *d, const tm_offer *o, const char *code, const char *error) {
  logf_(d, "refused %s: %s", o->deploy_hex, error);
  tm_finished *f = remember_slot(d, o->deploy_hex);
  f->state = TM_REFUSED;
  f->total = o->m_chunks + o->chunks;
  snprintf(f->code, sizeof f->code, "%s", code);
  snprintf(f->error, sizeof f->error, "%s", error);
  save_finished(d);
  publish_finished(d, f);
}

static void on_offer(tm_device *d, const uint8_t *payload, size_t len) {
  tm_offer o;
  char err[160];
  if (tm_parse_offer((const char *)payload, len, &o, err, sizeof err)) {
    logf_(d, "ignored invalid offer: %s", err);
    return;
  }
  d->stats.offers++;
  tm_transfer *t = &d->xfer;
  if (t->live && t->offer.deploy_id == o.deploy_id) {
    report(d, NULL, NULL, NULL); /* a repeated offer is the deployer's poll: say what we have */
    return;
  }
  for (unsigned i = 0; i < TM_FINISHED_KEPT; i++) {
    if (d->finished[i].used && strcmp(d->finished[i].deploy_hex, o.deploy_hex) == 0) {
      publish_finished(d, &d->finished[i]);
      return;
    }
  }
  refusal r = check_offer(d, &o);
  if (r.code) {
    refuse(d, &o, r.code, r.error);
    return;
  }
  if (t->live) {
    char why[48];
    snprintf(why, sizeof why, "superseded by %s", o.deploy_hex);
    cancel(d, "E_SUPERSEDED", why);
  }
  memset(t, 0, sizeof *t);
  t->offer = o;
  t->slot = d->serving >= 0 ? 1 - d->serving : 0;
  t->total = o.m_chunks + o.chunks;
  t->state = TM_RECEIVING;
  t->live = true;
  logf_(d, "offer %s: %lu bytes in %lu chunks of %lu (+%lu manifest)", o.deploy_hex,
        (unsigned long)o.size, (unsigned long)o.chunks, (unsigned long)o.chunk_size,
        (unsigned long)o.m_chunks);
  transfer_changed(d, true);
  report(d, NULL, NULL, NULL);
}

/* ---- chunks (core.ts onChunk, finish) ------------------------------------------------------------ */

static void finish(tm_device *d) {
  tm_transfer *t = &d->xfer;
  tm_manifest *m = &t->manifest;
  char sha[65];
  t->state = TM_VERIFYING;
  report(d, NULL, NULL, NULL);
  if (hash_slot(d, t->slot, m->ref.size, sha)) {
    fail(d, "E_STORAGE", "cannot read the received model back from its slot", NULL);
    return;
  }
  if (strcmp(sha, m->ref.sha256) != 0) {
    snprintf(d->why, sizeof d->why, "sha256 of the received model is %s, manifest says %s", sha,
             m->ref.sha256);
    fail(d, "E_SHA256", d->why, sha);
    return;
  }
  t->state = TM_TESTING;
  report(d, NULL, NULL, sha);
  int before = d->serving;
  char err[TM_ERROR_MAX - 32];
  err[0] = '\0';
  if (d->rt->load(d->rt->ctx, t->slot, m->ref.size, err, sizeof err)) {
    reload_serving(d, before);
    snprintf(d->why, sizeof d->why, "model does not load: %s", err);
    fail(d, "E_LOAD", d->why, sha);
    return;
  }
  if (d->rt->self_test(d->rt->ctx, err, sizeof err)) {
    reload_serving(d, before);
    snprintf(d->why, sizeof d->why, "%s", err);
    fail(d, "E_SELFTEST", d->why, sha);
    return;
  }
  /* Labels first: until the table switches, nothing reads this slot's labels. */
  const char *labels_text = m->labels.type == TM_JSON_ARRAY ? m->labels.text : NULL;
  size_t labels_len = labels_text ? m->labels.len : 0;
  if (labels_len >= sizeof d->labels) labels_text = NULL, labels_len = 0;
  d->pf->kv_write(d->pf->ctx, labels_key(t->slot), labels_text, labels_len);
  if (labels_text) memcpy(d->labels, labels_text, labels_len);
  d->labels[labels_len] = '\0';

  const tm_model_ref *old = tm_device_model(d);
  char replaced[TM_NAME_BYTES + TM_VERSION_BYTES + 16] = "";
  if (old) snprintf(replaced, sizeof replaced, ", replacing %s %s", old->name, old->version);
  d->table.slots[t->slot] = m->ref;
  memcpy(d->table.slots[t->slot].sha256, sha, sizeof sha);
  d->table.present[t->slot] = true;
  d->table.active = t->slot;
  write_table(d); /* the switch: one atomic write */
  d->serving = t->slot;
  d->boot_rollback[0] = '\0';
  logf_(d, "model %s %s (%lu bytes) active in slot %c%s", m->ref.name, m->ref.version,
        (unsigned long)m->ref.size, 'a' + t->slot, replaced);
  end_transfer(d, TM_ACTIVE, NULL, NULL, sha);
  announce(d);
}

static void on_chunk(tm_device *d, const uint8_t *payload, size_t len) {
  tm_transfer *t = &d->xfer;
  tm_chunk c;
  char err[128];
  d->stats.chunks++;
  if (!t->live || t->state != TM_RECEIVING) {
    d->stats.foreign++;
    return;
  }
  t->counter++;
  if (tm_chunk_decode(payload, len, &c, err, sizeof err)) {
    d->stats.damaged++;
    logf_(d, "dropped a chunk: %s", err);
    maybe_report(d);
    return;
  }
  if (c.deploy_id != t->offer.deploy_id) {
    d->stats.foreign++;
    maybe_report(d);
    return;
  }
  if (c.index >= t->total || c.len != expected_length(t, c.index)) {
    d->stats.damaged++;
    if (c.index >= t->total) {
      logf_(d, "dropped chunk %lu: index not below %lu", (unsigned long)c.index,
            (unsigned long)t->total);
    } else {
      logf_(d, "dropped chunk %lu: %lu bytes, expected %lu", (unsigned long)c.index,
            (unsigned long)c.len, (unsigned long)expected_length(t, c.index));
    }
    maybe_report(d);
    return;
  }
  if (held(t, c.index)) {
    d->stats.duplicates++;
    maybe_report(d);
    return;
  }
  if (is_manifest(t, c.index)) {
    memcpy(t->section + section_offset(t, c.index), c.data, c.len);
    t->section_dirty = true;
  } else {
    /* Model chunks wait for a verified manifest: nothing of an unsigned or incompatible model is written. */
    if (!t->has_manifest) {
      d->stats.early++;
      maybe_report(d);
      return;
    }
    if (d->pf->slot_write(d->pf->ctx, t->slot, section_offset(t, c.index), c.data, c.len)) {
      snprintf(d->why, sizeof d->why, "cannot write chunk %lu to slot %c", (unsigned long)c.index,
               'a' + t->slot);
      fail(d, "E_STORAGE", d->why, NULL);
      return;
    }
  }
  mark_held(t, c.index);
  t->have++;
  if (c.index + 1 > t->high) t->high = c.index + 1;
  advance_next(t);

  if (!t->has_manifest && t->next >= t->offer.m_chunks) {
    refusal r = check_manifest(d);
    if (r.code) {
      t->live = false;
      tm_transfer_forget(d->pf);
      transfer_changed(d, false);
      tm_offer o = t->offer;
      refuse(d, &o, r.code, r.error);
      return;
    }
    /* Only now is the other slot given up: a refused manifest leaves the rollback target intact. */
    d->table.present[t->slot] = false;
    write_table(d);
    if (d->pf->slot_erase(d->pf->ctx, t->slot, t->offer.size)) {
      fail(d, "E_STORAGE", "cannot erase the model slot", NULL);
      return;
    }
  }
  if (t->have == t->total) {
    finish(d);
    return;
  }
  maybe_report(d);
}

/* ---- commands (commands.ts, core.ts rollback) -------------------------------------------------- */

static const char *switch_back(tm_device *d);

/* The rollback command: cancels an unfinished transfer, then switch_back(). */
static const char *rollback(tm_device *d) {
  if (d->serving < 0) return "no model is active, nothing to roll back from";
  /*
   * An unfinished transfer writes the slot a rollback switches to, and would
   * replace the model the operator asked for moments later: the command
   * cancels it first, persistently, before the slot table changes — a power
   * cut between the two then cannot leave a saved transfer aimed at the
   * serving slot. If its manifest had verified, the other slot was already
   * given up and the rollback itself fails, with the current model serving.
   */
  if (!d->xfer.live) return switch_back(d);
  /* Its final report goes out after the switch, so that it names the model serving then. */
  static const char *const WHY = "cancelled by a rollback command";
  logf_(d, "transfer %s cancelled: %s", d->xfer.offer.deploy_hex, WHY);
  stop_transfer(d, TM_CANCELLED);
  const char *error = switch_back(d);
  report(d, "E_CANCELLED", WHY, NULL);
  return error;
}

/* Switches to the model in the other slot after verifying it; returns why not otherwise. */
static const char *switch_back(tm_device *d) {
  int current = d->serving;
  int other = 1 - current;
  if (!d->table.present[other]) return "the other slot holds no model to roll back to";
  const char *problem = try_activate(d, other);
  if (problem) {
    char what[TM_ERROR_MAX];
    snprintf(what, sizeof what, "%s", problem);
    reload_serving(d, current);
    load_labels(d, current);
    d->table.present[other] = false;
    write_table(d);
    snprintf(d->why, sizeof d->why, "the previous model in slot %c %.160s", 'a' + other, what);
    return d->why;
  }
  d->table.active = other;
  write_table(d);
  logf_(d, "rolled back to %s %s (slot %c)", d->table.slots[other].name,
        d->table.slots[other].version, 'a' + other);
  announce(d);
  return NULL;
}

static void on_command(tm_device *d, const uint8_t *payload, size_t len) {
  tm_command c;
  char err[160];
  if (tm_parse_command((const char *)payload, len, &c, err, sizeof err)) {
    logf_(d, "ignored invalid command: %s", err);
    return;
  }
  const char *error = NULL;
  switch (c.cmd) {
    case TM_CMD_STATUS:
      break;
    case TM_CMD_CANCEL:
      if (!d->xfer.live || (c.has_deploy_id && strcmp(c.deploy_hex, d->xfer.offer.deploy_hex))) {
        snprintf(d->why, sizeof d->why, "no transfer%s%s in progress", c.has_deploy_id ? " " : "",
                 c.has_deploy_id ? c.deploy_hex : "");
        error = d->why;
      } else {
        cancel(d, "E_CANCELLED", "cancelled on command");
      }
      break;
    case TM_CMD_ROLLBACK: {
      bool transferring = d->xfer.live;
      error = rollback(d);
      /* A failed rollback that cancelled a transfer still changed what the status says (previous). */
      if (error && transferring) announce(d);
      break;
    }
  }
  char why[TM_ERROR_MAX];
  if (error) snprintf(why, sizeof why, "%s", error);
  long n = tm_encode_reply(d->out, sizeof d->out, &c, error == NULL, error ? why : NULL,
                           tm_device_model(d), previous_model(d), now(d));
  publish(d, topic(d, "reply"), n, 0, "reply");
}

/* ---- inference (agent.ts infer) ------------------------------------------------------------------- */

/* The top label when the first output has one score per label (device/runner.ts topLabel). */
static bool top_label(tm_device *d, const tm_tensor_view *out, char *label, size_t cap,
                      double *score) {
  if (!d->labels[0] || out->count < 2) return false;
  tm_json_value arr, e;
  tm_json_iter it;
  if (tm_json_parse(d->labels, strlen(d->labels), &arr, NULL, 0) || tm_json_count(&arr) != out->count) {
    return false;
  }
  size_t best = 0;
  double best_v = 0;
  for (size_t i = 0; i < out->count; i++) {
    double v;
    switch (out->dtype) {
      case TM_DTYPE_FLOAT32:
        v = ((const float *)out->data)[i];
        break;
      case TM_DTYPE_INT8:
        v = ((const int8_t *)out->data)[i];
        break;
      case TM_DTYPE_UINT8:
        v = ((const uint8_t *)out->data)[i];
        break;
      case TM_DTYPE_INT16:
        v = ((const int16_t *)out->data)[i];
        break;
      default:
        v = ((const int32_t *)out->data)[i];
    }
    if (i == 0 || v > best_v) best = i, best_v = v;
  }
  tm_json_iter_init(&it, &arr);
  for (size_t i = 0; tm_json_next(&it, NULL, &e); i++) {
    if (i == best) {
      if (tm_json_string(&e, label, cap) < 0) return false;
      *score = best_v;
      return true;
    }
  }
  return false;
}

static int run_inference(tm_device *d, const float *values, const size_t *counts, size_t entries,
                         int real, const char *source, const char *request_id,
                         const char *input_error) {
  tm_tensor_view outs[TM_MAX_TENSORS];
  size_t n_outs = 0;
  char err[TM_ERROR_MAX];
  char label[4 * 256 + 1];
  const tm_model_ref *model = tm_device_model(d);
  tm_result r = {d->cfg.id, request_id, source, model, NULL, 0, NULL, 0, -1, NULL, now(d)};
  int rc = -1;
  if (input_error) {
    r.error = input_error;
  } else if (!model) {
    r.error = "no model is active on this device";
  } else {
    uint64_t t0 = d->pf->micros(d->pf->ctx);
    err[0] = '\0';
    if (d->rt->infer(d->rt->ctx, values, counts, entries, real, outs, TM_MAX_TENSORS, &n_outs,
                     err, sizeof err)) {
      r.error = err;
    } else {
      r.latency_ms = (double)(d->pf->micros(d->pf->ctx) - t0) / 1000.0;
      r.outputs = outs;
      r.n_outputs = n_outs;
      double score;
      if (n_outs && top_label(d, &outs[0], label, sizeof label, &score)) {
        r.label = label;
        r.score = score;
      }
      rc = 0;
    }
  }
  long n = tm_encode_result(d->out, sizeof d->out, &r);
  if (n < 0 && r.n_outputs) {
    size_t values_out = 0;
    for (size_t i = 0; i < n_outs; i++) values_out += outs[i].count;
    snprintf(err, sizeof err, "a result of %lu values does not fit the device's %d-byte message buffer",
             (unsigned long)values_out, TM_OUT_MAX);
    r.outputs = NULL;
    r.n_outputs = 0;
    r.label = NULL;
    r.error = err;
    rc = -1;
    n = tm_encode_result(d->out, sizeof d->out, &r);
  }
  publish(d, topic(d, "results"), n, 0, "result");
  return rc;
}

static void on_infer(tm_device *d, const uint8_t *payload, size_t len) {
  char err[160];
  int rc = tm_parse_infer((const char *)payload, len, &d->req, err, sizeof err);
  if (rc == -1) {
    logf_(d, "ignored invalid infer request: %s", err);
    return;
  }
  run_inference(d, d->req.values, d->req.counts, d->req.entries, 0, "mqtt",
                d->req.has_request_id ? d->req.request_id : NULL, rc == -2 ? err : NULL);
}

int tm_device_infer(tm_device *d, const float *values, const size_t *counts, size_t entries) {
  return run_inference(d, values, counts, entries, 1, "sensor", NULL, NULL);
}

/* ---- dispatch (agent.ts receive, handle) ------------------------------------------------------------- */

static bool topic_is(tm_device *d, const char *t, const char *kind) {
  return strcmp(t, topic(d, kind)) == 0;
}

void tm_device_message(tm_device *d, const char *t, const uint8_t *payload, size_t len) {
  /* The PUBLISH as it reached us (MQTT 3.1.1, QoS <= 1): type, length, topic, packet id, payload. */
  uint32_t remaining = 2 + (uint32_t)strlen(t) + 2 + (uint32_t)len;
  if (len > 0x0fffffff || 1 + varint_bytes(remaining) + remaining > d->cfg.max_packet) {
    d->stats.oversize++;
    logf_(d, "dropped a %lu-byte message on %s: above %lu-byte packets", (unsigned long)len, t,
          (unsigned long)d->cfg.max_packet);
    return;
  }
  size_t deploys = strlen(d->prefix);
  if (topic_is(d, t, "chunk") ||
      (strncmp(t, d->prefix, deploys) == 0 && strncmp(t + deploys, "deploys/", 8) == 0)) {
    on_chunk(d, payload, len);
  } else if (topic_is(d, t, "offer")) {
    on_offer(d, payload, len);
  } else if (topic_is(d, t, "cmd")) {
    on_command(d, payload, len);
  } else if (topic_is(d, t, "infer")) {
    on_infer(d, payload, len);
  }
}
