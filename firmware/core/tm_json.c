#include "tm_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- checking (RFC 8259 §2-§7) ------------------------------------------ */

typedef struct {
  const char *start, *p, *end;
  char *err;
  size_t errcap;
  int failed;
} checker;

static int fail(checker *c, const char *what) {
  if (!c->failed && c->errcap) {
    snprintf(c->err, c->errcap, "%s at byte %ld", what, (long)(c->p - c->start));
  }
  c->failed = 1;
  return -1;
}

static void skip_ws(checker *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
    c->p++;
  }
}

static int is_hex(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

static int check_string(checker *c) {
  c->p++; /* opening quote */
  while (c->p < c->end) {
    unsigned char ch = (unsigned char)*c->p;
    if (ch == '"') {
      c->p++;
      return 0;
    }
    if (ch < 0x20) return fail(c, "control character in a string");
    if (ch == '\\') {
      c->p++;
      if (c->p >= c->end) break;
      char e = *c->p;
      if (e == 'u') {
        if (c->end - c->p < 5 || !is_hex(c->p[1]) || !is_hex(c->p[2]) || !is_hex(c->p[3]) ||
            !is_hex(c->p[4])) {
          return fail(c, "bad \\u escape");
        }
        c->p += 4;
      } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
        return fail(c, "bad escape");
      }
    }
    c->p++;
  }
  return fail(c, "unterminated string");
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int check_number(checker *c) {
  if (c->p < c->end && *c->p == '-') c->p++;
  if (c->p >= c->end || !is_digit(*c->p)) return fail(c, "bad number");
  if (*c->p == '0') {
    c->p++;
  } else {
    while (c->p < c->end && is_digit(*c->p)) c->p++;
  }
  if (c->p < c->end && *c->p == '.') {
    c->p++;
    if (c->p >= c->end || !is_digit(*c->p)) return fail(c, "bad fraction");
    while (c->p < c->end && is_digit(*c->p)) c->p++;
  }
  if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
    c->p++;
    if (c->p < c->end && (*c->p == '+' || *c->p == '-')) c->p++;
    if (c->p >= c->end || !is_digit(*c->p)) return fail(c, "bad exponent");
    while (c->p < c->end && is_digit(*c->p)) c->p++;
  }
  return 0;
}

static int check_literal(checker *c, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return fail(c, "unexpected token");
  c->p += n;
  return 0;
}

static int check_value(checker *c, int depth) {
  skip_ws(c);
  if (c->p >= c->end) return fail(c, "unexpected end");
  char ch = *c->p;
  if (ch == '{' || ch == '[') {
    char close = ch == '{' ? '}' : ']';
    if (depth >= TM_JSON_MAX_DEPTH) return fail(c, "nesting too deep");
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
      c->p++;
      return 0;
    }
    for (;;) {
      if (ch == '{') {
        skip_ws(c);
        if (c->p >= c->end || *c->p != '"') return fail(c, "expected a member name");
        if (check_string(c)) return -1;
        skip_ws(c);
        if (c->p >= c->end || *c->p != ':') return fail(c, "expected ':'");
        c->p++;
      }
      if (check_value(c, depth + 1)) return -1;
      skip_ws(c);
      if (c->p >= c->end) return fail(c, "unexpected end");
      if (*c->p == ',') {
        c->p++;
        continue;
      }
      if (*c->p == close) {
        c->p++;
        return 0;
      }
      return fail(c, ch == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  if (ch == '"') return check_string(c);
  if (ch == '-' || is_digit(ch)) return check_number(c);
  if (ch == 't') return check_literal(c, "true");
  if (ch == 'f') return check_literal(c, "false");
  if (ch == 'n') return check_literal(c, "null");
  return fail(c, "unexpected character");
}

static tm_json_type type_of(char ch) {
  switch (ch) {
    case '{':
      return TM_JSON_OBJECT;
    case '[':
      return TM_JSON_ARRAY;
    case '"':
      return TM_JSON_STRING;
    case 't':
      return TM_JSON_TRUE;
    case 'f':
      return TM_JSON_FALSE;
    case 'n':
      return TM_JSON_NULL;
    default:
      return TM_JSON_NUMBER;
  }
}

int tm_json_parse(const char *text, size_t len, tm_json_value *root, char *err, size_t errcap) {
  checker c = {text, text, text + len, err, errcap, 0};
  if (errcap) err[0] = '\0';
  skip_ws(&c);
  const char *begin = c.p;
  if (check_value(&c, 0)) return -1;
  const char *stop = c.p;
  skip_ws(&c);
  if (c.p != c.end) return fail(&c, "trailing characters");
  root->type = type_of(*begin);
  root->text = begin;
  root->len = (size_t)(stop - begin);
  return 0;
}

/* ---- walking a checked document ----------------------------------------- */

static const char *ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* End of the (well-formed) value starting at p. */
static const char *skip_value(const char *p, const char *end) {
  if (*p == '"') {
    for (p++; p < end && *p != '"'; p++) {
      if (*p == '\\') p++;
    }
    return p + 1;
  }
  if (*p == '{' || *p == '[') {
    int depth = 0;
    for (; p < end; p++) {
      if (*p == '"') {
        p = skip_value(p, end) - 1;
      } else if (*p == '{' || *p == '[') {
        depth++;
      } else if (*p == '}' || *p == ']') {
        if (--depth == 0) return p + 1;
      }
    }
    return end;
  }
  while (p < end && !strchr(",}] \t\n\r", *p)) p++;
  return p;
}

void tm_json_iter_init(tm_json_iter *it, const tm_json_value *container) {
  it->object = container->type == TM_JSON_OBJECT;
  if (container->type != TM_JSON_OBJECT && container->type != TM_JSON_ARRAY) {
    it->p = it->end = container->text;
    return;
  }
  it->p = container->text + 1;
  it->end = container->text + container->len - 1; /* the closing bracket */
}

static void span(tm_json_value *v, const char *p, const char *end) {
  const char *stop = skip_value(p, end);
  v->type = type_of(*p);
  v->text = p;
  v->len = (size_t)(stop - p);
}

int tm_json_next(tm_json_iter *it, tm_json_value *key, tm_json_value *value) {
  const char *p = ws(it->p, it->end);
  if (p < it->end && *p == ',') p = ws(p + 1, it->end);
  if (p >= it->end) return 0;
  if (it->object) {
    tm_json_value k;
    span(&k, p, it->end);
    if (key) *key = k;
    p = ws(p + k.len, it->end) + 1; /* ':' */
    p = ws(p, it->end);
  } else if (key) {
    key->type = TM_JSON_INVALID;
    key->text = NULL;
    key->len = 0;
  }
  span(value, p, it->end);
  it->p = p + value->len;
  return 1;
}

int tm_json_member(const tm_json_value *object, const char *name, tm_json_value *out) {
  if (object->type != TM_JSON_OBJECT) return 0;
  tm_json_iter it;
  tm_json_value k, v;
  int found = 0;
  tm_json_iter_init(&it, object);
  while (tm_json_next(&it, &k, &v)) {
    if (tm_json_string_equals(&k, name)) {
      *out = v;
      found = 1;
    }
  }
  return found;
}

int tm_json_number(const tm_json_value *v, double *out) {
  char buf[64];
  if (v->type != TM_JSON_NUMBER || v->len >= sizeof buf) return -1;
  memcpy(buf, v->text, v->len);
  buf[v->len] = '\0';
  /* The text is a checked JSON number, which strtod reads in the "C" locale. */
  *out = strtod(buf, NULL);
  return 0;
}

static unsigned hex4(const char *p) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char ch = p[i];
    v = v * 16 + (unsigned)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
  }
  return v;
}

/*
 * Calls emit(ctx, code point or byte) for the unescaped string: escapes become
 * code points (pairs joined), raw bytes pass through as bytes (>= 0 flagged by raw=1).
 */
typedef int (*unit_fn)(void *ctx, unsigned long unit, int raw);

static int unescape(const tm_json_value *v, unit_fn emit, void *ctx) {
  const char *p = v->text + 1, *end = v->text + v->len - 1;
  while (p < end) {
    if (*p != '\\') {
      if (emit(ctx, (unsigned char)*p, 1)) return -1;
      p++;
      continue;
    }
    char e = p[1];
    unsigned long cp;
    p += 2;
    switch (e) {
      case 'b':
        cp = '\b';
        break;
      case 'f':
        cp = '\f';
        break;
      case 'n':
        cp = '\n';
        break;
      case 'r':
        cp = '\r';
        break;
      case 't':
        cp = '\t';
        break;
      case 'u': {
        cp = hex4(p);
        p += 4;
        /* A high surrogate followed by an escaped low one is one code point (RFC 8259 §7). */
        if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
          unsigned low = hex4(p + 2);
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            p += 6;
          }
        }
        break;
      }
      default: /* " \ / */
        cp = (unsigned char)e;
    }
    if (emit(ctx, cp, 0)) return -1;
  }
  return 0;
}

typedef struct {
  char *buf;
  size_t cap, len;
} sink;

static int put(sink *s, unsigned char b) {
  if (s->len + 1 >= s->cap) return -1;
  s->buf[s->len++] = (char)b;
  return 0;
}

static int emit_utf8(void *ctx, unsigned long u, int raw) {
  sink *s = (sink *)ctx;
  if (raw || u < 0x80) return put(s, (unsigned char)u);
  /* A lone surrogate becomes U+FFFD, as TextEncoder writes it. */
  if (u >= 0xd800 && u <= 0xdfff) u = 0xfffd;
  if (u < 0x800) return put(s, (unsigned char)(0xc0 | u >> 6)) || put(s, 0x80 | (u & 0x3f));
  if (u < 0x10000) {
    return put(s, (unsigned char)(0xe0 | u >> 12)) || put(s, 0x80 | ((u >> 6) & 0x3f)) ||
           put(s, 0x80 | (u & 0x3f));
  }
  return put(s, (unsigned char)(0xf0 | u >> 18)) || put(s, 0x80 | ((u >> 12) & 0x3f)) ||
         put(s, 0x80 | ((u >> 6) & 0x3f)) || put(s, 0x80 | (u & 0x3f));
}

long tm_json_string(const tm_json_value *v, char *buf, size_t cap) {
  if (v->type != TM_JSON_STRING || cap == 0) return -1;
  sink s = {buf, cap, 0};
  if (unescape(v, emit_utf8, &s)) return -1;
  buf[s.len] = '\0';
  return (long)s.len;
}

static int count_cp(void *ctx, unsigned long u, int raw) {
  /* Raw UTF-8: count lead bytes only (continuation bytes are 10xxxxxx). */
  if (!raw || (u & 0xc0) != 0x80) ++*(long *)ctx;
  return 0;
}

long tm_json_string_codepoints(const tm_json_value *v) {
  long n = 0;
  if (v->type != TM_JSON_STRING) return -1;
  unescape(v, count_cp, &n);
  return n;
}

typedef struct {
  const char *s;
  size_t at;
  int differs;
} cmp;

static int compare_unit(void *ctx, unsigned long u, int raw) {
  cmp *c = (cmp *)ctx;
  char bytes[5];
  sink s = {bytes, sizeof bytes, 0};
  emit_utf8(&s, u, raw);
  for (size_t i = 0; i < s.len; i++) {
    if (c->s[c->at] == '\0' || c->s[c->at] != bytes[i]) {
      c->differs = 1;
      return -1;
    }
    c->at++;
  }
  return 0;
}

int tm_json_string_equals(const tm_json_value *v, const char *s) {
  if (v->type != TM_JSON_STRING) return 0;
  cmp c = {s, 0, 0};
  if (unescape(v, compare_unit, &c) || c.differs) return 0;
  return s[c.at] == '\0';
}

size_t tm_json_count(const tm_json_value *v) {
  if (v->type != TM_JSON_ARRAY) return 0;
  tm_json_iter it;
  tm_json_value e;
  size_t n = 0;
  tm_json_iter_init(&it, v);
  while (tm_json_next(&it, NULL, &e)) n++;
  return n;
}
