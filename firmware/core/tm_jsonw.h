/*
 * A bounded JSON writer for the messages the device publishes: it writes into
 * a fixed buffer and remembers if anything did not fit, so a caller checks
 * once at the end (tm_jsonw_finish) instead of after every field. Commas are
 * placed by the writer; nesting is limited to TM_JSONW_MAX_DEPTH.
 */
#ifndef TM_JSONW_H_
#define TM_JSONW_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TM_JSONW_MAX_DEPTH 8

typedef struct {
  char *buf;
  size_t cap;
  size_t len;
  int overflow;
  int depth;
  /* Whether the container at each depth already holds a value. */
  uint8_t filled[TM_JSONW_MAX_DEPTH + 1];
  /* The bracket that closes each level. */
  char closer[TM_JSONW_MAX_DEPTH + 1];
  /* A key was just written: the next value needs no comma. */
  int after_key;
} tm_jsonw;

void tm_jsonw_init(tm_jsonw *w, char *buf, size_t cap);
void tm_jsonw_object(tm_jsonw *w);
void tm_jsonw_array(tm_jsonw *w);
void tm_jsonw_end(tm_jsonw *w); /* closes the innermost object or array */
void tm_jsonw_key(tm_jsonw *w, const char *key);
void tm_jsonw_string(tm_jsonw *w, const char *s);
/* A string of `len` bytes (may hold NULs, which are escaped). */
void tm_jsonw_string_n(tm_jsonw *w, const char *s, size_t len);
void tm_jsonw_u64(tm_jsonw *w, uint64_t v);
void tm_jsonw_i64(tm_jsonw *w, int64_t v);
/* A finite number with 9 significant digits (float32 round-trips); null if not finite. */
void tm_jsonw_number(tm_jsonw *w, double v);
void tm_jsonw_bool(tm_jsonw *w, int v);
void tm_jsonw_null(tm_jsonw *w);
/* Already-serialized JSON (e.g. a value kept from a checked document). */
void tm_jsonw_raw(tm_jsonw *w, const char *json, size_t len);

/* The text's length (NUL-terminated in buf), or -1 if it did not fit or is unbalanced. */
long tm_jsonw_finish(tm_jsonw *w);

#ifdef __cplusplus
}
#endif

#endif /* TM_JSONW_H_ */
