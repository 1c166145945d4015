#include "tm_store.h"

#include <string.h>

#include "tm_crc32.h"

/* ---- a tiny little-endian record writer/reader ---------------------------------- */

typedef struct {
  uint8_t *p;
  size_t cap, len;
  int bad;
} rec;

static void w_bytes(rec *r, const void *data, size_t n) {
  if (r->bad || r->len + n > r->cap) {
    r->bad = 1;
    return;
  }
  memcpy(r->p + r->len, data, n);
  r->len += n;
}

static void w_u8(rec *r, uint8_t v) { w_bytes(r, &v, 1); }

static void w_u32(rec *r, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  w_bytes(r, b, 4);
}

static void w_str(rec *r, const char *s) {
  size_t n = strlen(s);
  w_u32(r, (uint32_t)n);
  w_bytes(r, s, n);
}

static void w_crc(rec *r) {
  if (!r->bad) w_u32(r, tm_crc32(r->p, r->len));
}

static void r_bytes(rec *r, void *out, size_t n) {
  if (r->bad || r->len + n > r->cap) {
    r->bad = 1;
    memset(out, 0, n);
    return;
  }
  memcpy(out, r->p + r->len, n);
  r->len += n;
}

static uint8_t r_u8(rec *r) {
  uint8_t v;
  r_bytes(r, &v, 1);
  return v;
}

static uint32_t r_u32(rec *r) {
  uint8_t b[4];
  r_bytes(r, b, 4);
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void r_str(rec *r, char *out, size_t cap) {
  uint32_t n = r_u32(r);
  if (n >= cap) {
    r->bad = 1;
    out[0] = '\0';
    return;
  }
  r_bytes(r, out, n);
  out[n] = '\0';
}

/* Checks the trailing CRC-32 of a record of `len` bytes. */
static int crc_ok(const uint8_t *p, size_t len) {
  if (len < 4) return 0;
  uint32_t want = (uint32_t)p[len - 4] | (uint32_t)p[len - 3] << 8 | (uint32_t)p[len - 2] << 16 |
                  (uint32_t)p[len - 1] << 24;
  return tm_crc32(p, len - 4) == want;
}

/* ---- slot table ------------------------------------------------------------------- */

static const uint8_t TABLE_MAGIC[4] = {'T', 'M', 'S', '1'};

void tm_table_empty(tm_slot_table *t) {
  memset(t, 0, sizeof *t);
  t->active = -1;
}

int tm_table_write(const tm_platform *pf, const tm_slot_table *t) {
  uint8_t buf[16 + 2 * (sizeof(tm_model_ref) + 16)];
  rec r = {buf, sizeof buf, 0, 0};
  w_bytes(&r, TABLE_MAGIC, 4);
  w_u8(&r, (uint8_t)(t->active < 0 ? 0xff : t->active));
  for (int s = 0; s < 2; s++) {
    w_u8(&r, t->present[s]);
    if (!t->present[s]) continue;
    w_str(&r, t->slots[s].name);
    w_str(&r, t->slots[s].version);
    w_bytes(&r, t->slots[s].sha256, 64);
    w_u32(&r, t->slots[s].size);
  }
  w_crc(&r);
  if (r.bad) return -1;
  return pf->kv_write(pf->ctx, "slots", buf, r.len);
}

int tm_table_read(const tm_platform *pf, tm_slot_table *t) {
  uint8_t buf[16 + 2 * (sizeof(tm_model_ref) + 16)];
  size_t len = 0;
  tm_table_empty(t);
  int rc = pf->kv_read(pf->ctx, "slots", buf, sizeof buf, &len);
  if (rc) return rc;
  if (!crc_ok(buf, len) || len < 5 || memcmp(buf, TABLE_MAGIC, 4) != 0) return TM_ERR_NOT_FOUND;
  rec r = {buf, len - 4, 4, 0};
  uint8_t active = r_u8(&r);
  tm_slot_table out;
  tm_table_empty(&out);
  out.active = active == 0xff ? -1 : active;
  for (int s = 0; s < 2; s++) {
    out.present[s] = r_u8(&r) != 0;
    if (!out.present[s]) continue;
    r_str(&r, out.slots[s].name, sizeof out.slots[s].name);
    r_str(&r, out.slots[s].version, sizeof out.slots[s].version);
    r_bytes(&r, out.slots[s].sha256, 64);
    out.slots[s].sha256[64] = '\0';
    out.slots[s].size = r_u32(&r);
  }
  if (r.bad || out.active > 1 || (out.active >= 0 && !out.present[out.active])) {
    return TM_ERR_NOT_FOUND;
  }
  *t = out;
  return 0;
}

/* ---- unfinished transfer ------------------------------------------------------------ */

static const uint8_t XFER_MAGIC[4] = {'T', 'M', 'X', '1'};
static const uint8_t MFST_MAGIC[4] = {'T', 'M', 'M', '1'};

static size_t bitmap_bytes(const tm_offer *o) {
  return ((size_t)o->m_chunks + o->chunks + 7) / 8;
}

int tm_transfer_save(const tm_platform *pf, const tm_saved_transfer *t, uint8_t *scratch,
                     size_t scratch_cap) {
  rec r = {scratch, scratch_cap, 0, 0};
  const tm_offer *o = &t->offer;
  w_bytes(&r, XFER_MAGIC, 4);
  w_u32(&r, o->deploy_id);
  w_u32(&r, o->size);
  w_u32(&r, o->chunk_size);
  w_u32(&r, o->chunks);
  w_u32(&r, o->m_size);
  w_u32(&r, o->m_chunks);
  w_u32(&r, o->window);
  w_u32(&r, o->ack_every);
  w_u8(&r, (uint8_t)(o->is_signed | o->fanout << 1));
  w_u8(&r, (uint8_t)t->slot);
  w_bytes(&r, t->held, bitmap_bytes(o));
  w_crc(&r);
  if (r.bad) return -1;
  return pf->kv_write(pf->ctx, "xfer", scratch, r.len);
}

int tm_transfer_load(const tm_platform *pf, tm_saved_transfer *t, uint8_t *held, size_t held_cap,
                     uint8_t *scratch, size_t scratch_cap) {
  size_t len = 0;
  int rc = pf->kv_read(pf->ctx, "xfer", scratch, scratch_cap, &len);
  if (rc) return rc;
  if (!crc_ok(scratch, len) || len < 4 || memcmp(scratch, XFER_MAGIC, 4) != 0) {
    return TM_ERR_NOT_FOUND;
  }
  rec r = {scratch, len - 4, 4, 0};
  tm_offer *o = &t->offer;
  memset(o, 0, sizeof *o);
  o->deploy_id = r_u32(&r);
  o->size = r_u32(&r);
  o->chunk_size = r_u32(&r);
  o->chunks = r_u32(&r);
  o->m_size = r_u32(&r);
  o->m_chunks = r_u32(&r);
  o->window = r_u32(&r);
  o->ack_every = r_u32(&r);
  uint8_t flags = r_u8(&r);
  o->is_signed = flags & 1;
  o->fanout = (flags >> 1) & 1;
  t->slot = r_u8(&r);
  static const char HEX[] = "0123456789abcdef";
  for (int i = 0; i < 8; i++) o->deploy_hex[i] = HEX[(o->deploy_id >> (28 - 4 * i)) & 15];
  o->deploy_hex[8] = '\0';
  size_t n = bitmap_bytes(o);
  if (r.bad || t->slot > 1 || n > held_cap || r.len + n != r.cap) return TM_ERR_NOT_FOUND;
  r_bytes(&r, held, n);
  t->held = held;
  return r.bad ? TM_ERR_NOT_FOUND : 0;
}

int tm_section_save(const tm_platform *pf, const uint8_t *section, size_t len, uint8_t *scratch,
                    size_t scratch_cap) {
  rec r = {scratch, scratch_cap, 0, 0};
  w_bytes(&r, MFST_MAGIC, 4);
  w_u32(&r, (uint32_t)len);
  w_bytes(&r, section, len);
  w_crc(&r);
  if (r.bad) return -1;
  return pf->kv_write(pf->ctx, "mfst", scratch, r.len);
}

int tm_section_load(const tm_platform *pf, uint8_t *section, size_t len, uint8_t *scratch,
                    size_t scratch_cap) {
  size_t got = 0;
  int rc = pf->kv_read(pf->ctx, "mfst", scratch, scratch_cap, &got);
  if (rc) return rc;
  if (!crc_ok(scratch, got) || got != len + 12 || memcmp(scratch, MFST_MAGIC, 4) != 0) {
    return TM_ERR_NOT_FOUND;
  }
  rec r = {scratch, got - 4, 4, 0};
  if (r_u32(&r) != len) return TM_ERR_NOT_FOUND;
  r_bytes(&r, section, len);
  return r.bad ? TM_ERR_NOT_FOUND : 0;
}

void tm_transfer_forget(const tm_platform *pf) {
  pf->kv_write(pf->ctx, "xfer", NULL, 0);
  pf->kv_write(pf->ctx, "mfst", NULL, 0);
}

/* ---- final reports of the last transfers ------------------------------------------------- */

static const uint8_t DONE_MAGIC[4] = {'T', 'M', 'D', '1'};

int tm_finished_save(const tm_platform *pf, const tm_finished *f, unsigned n, unsigned first,
                     uint8_t *scratch, size_t scratch_cap) {
  rec r = {scratch, scratch_cap, 0, 0};
  uint8_t used = 0;
  for (unsigned i = 0; i < n; i++) used += f[i].used;
  w_bytes(&r, DONE_MAGIC, 4);
  w_u8(&r, used);
  for (unsigned k = 0; k < n; k++) {
    const tm_finished *e = &f[(first + k) % n];
    if (!e->used) continue;
    w_bytes(&r, e->deploy_hex, 8);
    w_u8(&r, (uint8_t)e->state);
    w_u32(&r, e->next);
    w_u32(&r, e->have);
    w_u32(&r, e->high);
    w_u32(&r, e->total);
    w_str(&r, e->code);
    w_str(&r, e->error);
    w_str(&r, e->sha256);
  }
  w_crc(&r);
  if (r.bad) return -1;
  return pf->kv_write(pf->ctx, "done", scratch, r.len);
}

unsigned tm_finished_load(const tm_platform *pf, tm_finished *f, unsigned cap, uint8_t *scratch,
                          size_t scratch_cap) {
  size_t len = 0;
  memset(f, 0, cap * sizeof *f);
  if (pf->kv_read(pf->ctx, "done", scratch, scratch_cap, &len)) return 0;
  if (!crc_ok(scratch, len) || len < 5 || memcmp(scratch, DONE_MAGIC, 4) != 0) return 0;
  rec r = {scratch, len - 4, 4, 0};
  unsigned n = r_u8(&r);
  if (n > cap) return 0;
  for (unsigned i = 0; i < n; i++) {
    tm_finished *e = &f[i];
    e->used = true;
    r_bytes(&r, e->deploy_hex, 8);
    e->deploy_hex[8] = '\0';
    uint8_t state = r_u8(&r);
    e->next = r_u32(&r);
    e->have = r_u32(&r);
    e->high = r_u32(&r);
    e->total = r_u32(&r);
    r_str(&r, e->code, sizeof e->code);
    r_str(&r, e->error, sizeof e->error);
    r_str(&r, e->sha256, sizeof e->sha256);
    if (state < TM_ACTIVE || state > TM_CANCELLED) r.bad = 1;
    e->state = (tm_state)state;
  }
  if (r.bad || r.len != r.cap) {
    memset(f, 0, cap * sizeof *f);
    return 0;
  }
  return n;
}
