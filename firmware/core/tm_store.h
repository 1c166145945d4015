/*
 * The device's records that survive a restart, as small binary blobs with a
 * magic, a version and a CRC-32, kept through the platform's kv_* functions:
 *
 *   "slots"  which slot serves and what each slot holds (the A/B table; writing
 *            it is the one atomic switch between models, as ESP-IDF's otadata)
 *   "xfer"   an unfinished transfer: its offer, target slot and chunk bitmap
 *   "mfst"   that transfer's manifest section received so far
 *   "done"   the final reports of the last TM_FINISHED_KEPT transfers, oldest
 *            first, so that a deployer polling after a restart hears the real
 *            outcome (docs/protocol.md §7.2 rule 2)
 *
 * A record that fails its CRC reads as absent: a damaged slot table cannot
 * say which slot is good, so the device starts empty rather than serve a
 * model nobody vouches for (as src/device/store.ts does).
 */
#ifndef TM_STORE_H_
#define TM_STORE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tm_messages.h"
#include "tm_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int active; /* -1 none, 0 "a", 1 "b" */
  bool present[2];
  tm_model_ref slots[2];
} tm_slot_table;

void tm_table_empty(tm_slot_table *t);
int tm_table_read(const tm_platform *pf, tm_slot_table *t);
int tm_table_write(const tm_platform *pf, const tm_slot_table *t);

/* An unfinished transfer as saved: the offer, the slot, the bitmap of held chunks. */
typedef struct {
  tm_offer offer;
  int slot;
  const uint8_t *held; /* write: (total + 7) / 8 bytes */
} tm_saved_transfer;

int tm_transfer_save(const tm_platform *pf, const tm_saved_transfer *t, uint8_t *scratch,
                     size_t scratch_cap);
/* Reads the saved transfer into *t and its bitmap into held (cap bytes); TM_ERR_NOT_FOUND if none. */
int tm_transfer_load(const tm_platform *pf, tm_saved_transfer *t, uint8_t *held, size_t held_cap,
                     uint8_t *scratch, size_t scratch_cap);

int tm_section_save(const tm_platform *pf, const uint8_t *section, size_t len, uint8_t *scratch,
                    size_t scratch_cap);
/* Reads exactly `len` section bytes; TM_ERR_NOT_FOUND if absent, damaged or of another length. */
int tm_section_load(const tm_platform *pf, uint8_t *section, size_t len, uint8_t *scratch,
                    size_t scratch_cap);

void tm_transfer_forget(const tm_platform *pf);

typedef enum {
  TM_RECEIVING,
  TM_VERIFYING,
  TM_TESTING,
  TM_ACTIVE,
  TM_FAILED,
  TM_REFUSED,
  TM_CANCELLED,
} tm_state;

typedef struct {
  bool used;
  char deploy_hex[9];
  tm_state state;
  uint32_t next, have, high, total;
  char code[16];
  char error[TM_ERROR_MAX];
  char sha256[65];
} tm_finished;

/*
 * Saves the ring f[0..n) as "done", oldest first: from f[first] on, wrapping;
 * unused records are skipped.
 */
int tm_finished_save(const tm_platform *pf, const tm_finished *f, unsigned n, unsigned first,
                     uint8_t *scratch, size_t scratch_cap);
/* Clears f[0..cap), reads "done" into it oldest first; how many, 0 when absent or damaged. */
unsigned tm_finished_load(const tm_platform *pf, tm_finished *f, unsigned cap, uint8_t *scratch,
                          size_t scratch_cap);

#ifdef __cplusplus
}
#endif

#endif /* TM_STORE_H_ */
