/*
 * A small JSON reader (RFC 8259) for the protocol's messages, written for this
 * project: no allocation, no recursion beyond TM_JSON_MAX_DEPTH, values are
 * spans of the caller's buffer. tm_json_parse checks the whole document once;
 * the accessors then walk it without re-checking.
 *
 * Semantics follow JSON.parse, which the Node.js side uses: a repeated member
 * name means its last value (tm_json_member), strings may hold any UTF-8.
 * Differences, each one a refusal rather than a different reading: nesting
 * deeper than TM_JSON_MAX_DEPTH, and numbers longer than 63 characters.
 */
#ifndef TM_JSON_H_
#define TM_JSON_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TM_JSON_MAX_DEPTH 32

typedef enum {
  TM_JSON_INVALID = 0,
  TM_JSON_OBJECT,
  TM_JSON_ARRAY,
  TM_JSON_STRING,
  TM_JSON_NUMBER,
  TM_JSON_TRUE,
  TM_JSON_FALSE,
  TM_JSON_NULL,
} tm_json_type;

/* A value: its type and its text (for a string, with the quotes). */
typedef struct {
  tm_json_type type;
  const char *text;
  size_t len;
} tm_json_value;

/*
 * Checks `len` bytes as one JSON document (surrounding whitespace allowed).
 * Returns 0 and sets *root, or -1 with a reason in `err` (which names the
 * byte offset).
 */
int tm_json_parse(const char *text, size_t len, tm_json_value *root, char *err, size_t errcap);

/* Iterates the members of an object or the elements of an array. */
typedef struct {
  const char *p;
  const char *end;
  int object;
} tm_json_iter;

void tm_json_iter_init(tm_json_iter *it, const tm_json_value *container);
/* 1 and the next member (key is NULL for arrays), or 0 at the end. */
int tm_json_next(tm_json_iter *it, tm_json_value *key, tm_json_value *value);

/* The value of member `name` (the last one if repeated): 1 when found. */
int tm_json_member(const tm_json_value *object, const char *name, tm_json_value *out);

/* A number's value; -1 when it is not a number or has more than 63 characters. */
int tm_json_number(const tm_json_value *v, double *out);

/*
 * A string's unescaped UTF-8 (NUL-terminated). Returns its byte length, or -1
 * when it is not a string or does not fit `cap` (NUL included).
 */
long tm_json_string(const tm_json_value *v, char *buf, size_t cap);

/*
 * A string's length in Unicode code points, as JSON Schema's maxLength counts
 * it (a surrogate pair is one); -1 when `v` is not a string.
 */
long tm_json_string_codepoints(const tm_json_value *v);

/* 1 when `v` is a string whose unescaped value equals `s`. */
int tm_json_string_equals(const tm_json_value *v, const char *s);

/* Elements of an array (0 for anything else). */
size_t tm_json_count(const tm_json_value *v);

#ifdef __cplusplus
}
#endif

#endif /* TM_JSON_H_ */
