/* Chunk headers, message parsers' edge cases, and the saved records on a RAM platform. */
#include <stdlib.h>

#include "check.h"
#include "tm_chunk.h"
#include "tm_messages.h"
#include "tm_store.h"

void test_chunk(void) {
  uint8_t data[40], msg[64];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7);
  size_t n = tm_chunk_encode(0xdeadbeef, 5, data, sizeof data, msg);
  CHECK(n == 16 + sizeof data);
  tm_chunk c;
  char err[128];
  CHECK(tm_chunk_decode(msg, n, &c, err, sizeof err) == 0);
  CHECK(c.deploy_id == 0xdeadbeef && c.index == 5 && c.len == sizeof data);
  CHECK(memcmp(c.data, data, sizeof data) == 0);

  msg[20] ^= 1;
  CHECK(tm_chunk_decode(msg, n, &c, err, sizeof err) == -1 && strstr(err, "CRC-32"));
  msg[20] ^= 1;
  CHECK(tm_chunk_decode(msg, n - 1, &c, err, sizeof err) == -1 && strstr(err, "the message has"));
  CHECK(tm_chunk_decode(msg, 10, &c, err, sizeof err) == -1 && strstr(err, "shorter"));
  msg[0] = 2;
  CHECK(tm_chunk_decode(msg, n, &c, err, sizeof err) == -1 && strstr(err, "version 2"));
  msg[0] = 1;
  msg[1] = 15;
  CHECK(tm_chunk_decode(msg, n, &c, err, sizeof err) == -1 && strstr(err, "header length"));
}

void test_messages(void) {
  char err[160];
  tm_offer o;
  const char *offer =
      "{\"v\":1,\"deployId\":\"0badf00d\",\"size\":3000,\"chunkSize\":192,\"chunks\":16,"
      "\"mSize\":300,\"mChunks\":2,\"signed\":false,\"window\":8,\"ackEvery\":4,\"fanout\":true,"
      "\"extra\":{\"unknown\":\"fields are allowed\"}}";
  CHECK(tm_parse_offer(offer, strlen(offer), &o, err, sizeof err) == 0);
  CHECK(o.deploy_id == 0x0badf00d && o.chunks == 16 && o.fanout && !o.is_signed);
  const char *v2 = "{\"v\":2,\"deployId\":\"0badf00d\",\"size\":3000,\"chunkSize\":192,\"chunks\":16,"
                   "\"mSize\":300,\"mChunks\":2,\"signed\":false,\"window\":8,\"ackEvery\":4,"
                   "\"fanout\":true}";
  CHECK(tm_parse_offer(v2, strlen(v2), &o, err, sizeof err) == -1 && strstr(err, "offer.v"));
  const char *missing = "{\"v\":1}";
  CHECK(tm_parse_offer(missing, strlen(missing), &o, err, sizeof err) == -1 &&
        strstr(err, "is required"));

  tm_command c;
  const char *cmd = "{\"v\":1,\"cmd\":\"cancel\",\"requestId\":\"r1\",\"deployId\":\"0badf00d\"}";
  CHECK(tm_parse_command(cmd, strlen(cmd), &c, err, sizeof err) == 0);
  CHECK(c.cmd == TM_CMD_CANCEL && c.has_deploy_id && !strcmp(c.request_id, "r1"));
  const char *empty_id = "{\"v\":1,\"cmd\":\"status\",\"requestId\":\"\"}";
  CHECK(tm_parse_command(empty_id, strlen(empty_id), &c, err, sizeof err) == -1);

  static tm_infer_request r;
  const char *infer = "{\"v\":1,\"requestId\":\"q\",\"input\":[[1,2],[3,[4,5]]]}";
  CHECK(tm_parse_infer(infer, strlen(infer), &r, err, sizeof err) == 0);
  CHECK(r.count == 5 && r.entries == 2 && r.counts[0] == 2 && r.counts[1] == 3);
  CHECK(r.values[4] == 5.0f && r.has_request_id);
  const char *not_number = "{\"v\":1,\"input\":[1,\"x\"]}";
  CHECK(tm_parse_infer(not_number, strlen(not_number), &r, err, sizeof err) == -2);

  CHECK(tm_valid_id("esp-1.a_b"));
  CHECK(!tm_valid_id(""));
  CHECK(!tm_valid_id("a/b"));
  CHECK(!tm_valid_id("a+"));
}

/* ---- a platform whose records live in RAM ------------------------------------- */

typedef struct {
  char key[16];
  uint8_t data[8192];
  size_t len;
  int used;
} ram_record;

static ram_record records[8];

static ram_record *find(const char *key, int create) {
  for (int i = 0; i < 8; i++) {
    if (records[i].used && !strcmp(records[i].key, key)) return &records[i];
  }
  if (!create) return NULL;
  for (int i = 0; i < 8; i++) {
    if (!records[i].used) {
      records[i].used = 1;
      snprintf(records[i].key, sizeof records[i].key, "%s", key);
      return &records[i];
    }
  }
  return NULL;
}

static int ram_write(void *ctx, const char *key, const void *data, size_t len) {
  (void)ctx;
  ram_record *r = find(key, data != NULL);
  if (!data) {
    if (r) r->used = 0;
    return 0;
  }
  if (!r || len > sizeof r->data) return -1;
  memcpy(r->data, data, len);
  r->len = len;
  return 0;
}

static int ram_read(void *ctx, const char *key, void *buf, size_t cap, size_t *len) {
  (void)ctx;
  ram_record *r = find(key, 0);
  if (!r) return TM_ERR_NOT_FOUND;
  if (r->len > cap) return -1;
  memcpy(buf, r->data, r->len);
  *len = r->len;
  return 0;
}

void test_store(void) {
  tm_platform pf;
  memset(&pf, 0, sizeof pf);
  memset(records, 0, sizeof records);
  pf.kv_write = ram_write;
  pf.kv_read = ram_read;

  tm_slot_table t, back;
  tm_table_empty(&t);
  CHECK(tm_table_read(&pf, &back) == TM_ERR_NOT_FOUND && back.active == -1);
  t.active = 1;
  t.present[1] = true;
  snprintf(t.slots[1].name, sizeof t.slots[1].name, "sine \xc3\xa9");
  snprintf(t.slots[1].version, sizeof t.slots[1].version, "2");
  memset(t.slots[1].sha256, 'a', 64);
  t.slots[1].sha256[64] = '\0';
  t.slots[1].size = 2544;
  CHECK(tm_table_write(&pf, &t) == 0);
  CHECK(tm_table_read(&pf, &back) == 0);
  CHECK(back.active == 1 && back.present[1] && !back.present[0]);
  CHECK_STR(back.slots[1].name, "sine \xc3\xa9");
  CHECK(back.slots[1].size == 2544 && !strcmp(back.slots[1].sha256, t.slots[1].sha256));
  /* A damaged record reads as absent, and the device starts empty. */
  find("slots", 0)->data[7] ^= 0x40;
  CHECK(tm_table_read(&pf, &back) == TM_ERR_NOT_FOUND && back.active == -1);

  static uint8_t scratch[TM_MAX_MANIFEST_BYTES + 80];
  uint8_t held[8] = {0xff, 0x0f, 0, 0, 0, 0, 0, 0}, held_back[64];
  tm_saved_transfer s = {{0}, 1, held};
  s.offer.deploy_id = 0x0badf00d;
  s.offer.chunk_size = 192;
  s.offer.chunks = 40;
  s.offer.size = 40 * 192;
  s.offer.m_chunks = 2;
  s.offer.m_size = 300;
  s.offer.window = 8;
  s.offer.ack_every = 4;
  s.offer.fanout = true;
  CHECK(tm_transfer_save(&pf, &s, scratch, sizeof scratch) == 0);
  tm_saved_transfer s2;
  CHECK(tm_transfer_load(&pf, &s2, held_back, sizeof held_back, scratch, sizeof scratch) == 0);
  CHECK(s2.slot == 1 && s2.offer.fanout && !s2.offer.is_signed);
  CHECK(!strcmp(s2.offer.deploy_hex, "0badf00d") && memcmp(held_back, held, 6) == 0);

  uint8_t section[364], section_back[364];
  for (size_t i = 0; i < sizeof section; i++) section[i] = (uint8_t)i;
  CHECK(tm_section_save(&pf, section, sizeof section, scratch, sizeof scratch) == 0);
  CHECK(tm_section_load(&pf, section_back, sizeof section, scratch, sizeof scratch) == 0);
  CHECK(memcmp(section, section_back, sizeof section) == 0);
  CHECK(tm_section_load(&pf, section_back, 300, scratch, sizeof scratch) == TM_ERR_NOT_FOUND);
  tm_transfer_forget(&pf);
  CHECK(tm_transfer_load(&pf, &s2, held_back, sizeof held_back, scratch, sizeof scratch) ==
        TM_ERR_NOT_FOUND);

  /* Final reports: a ring saved oldest first (from `first`, wrapping), unused ones skipped. */
  static tm_finished ring[4], got[4];
  memset(ring, 0, sizeof ring);
  CHECK(tm_finished_load(&pf, got, 4, scratch, sizeof scratch) == 0);
  ring[3] = (tm_finished){true, "0000000a", TM_ACTIVE, 9, 9, 9, 9, "", "", ""};
  memset(ring[3].sha256, 'c', 64);
  ring[0] = (tm_finished){true, "0000000b", TM_REFUSED, 0, 0, 0, 9, "E_SIGNATURE", "bad", ""};
  CHECK(tm_finished_save(&pf, ring, 4, 3, scratch, sizeof scratch) == 0);
  CHECK(tm_finished_load(&pf, got, 4, scratch, sizeof scratch) == 2);
  CHECK_STR(got[0].deploy_hex, "0000000a");
  CHECK(got[0].state == TM_ACTIVE && got[0].total == 9 && !strcmp(got[0].sha256, ring[3].sha256));
  CHECK_STR(got[1].deploy_hex, "0000000b");
  CHECK(got[1].state == TM_REFUSED && !strcmp(got[1].code, "E_SIGNATURE"));
  CHECK_STR(got[1].error, "bad");
  CHECK(!got[2].used);
  /* Damaged, or claiming more records than the caller keeps: none. */
  CHECK(tm_finished_load(&pf, got, 1, scratch, sizeof scratch) == 0);
  find("done", 0)->data[12] ^= 1;
  CHECK(tm_finished_load(&pf, got, 4, scratch, sizeof scratch) == 0 && !got[0].used);
}
