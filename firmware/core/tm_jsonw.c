#include "tm_jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void tm_jsonw_init(tm_jsonw *w, char *buf, size_t cap) {
  memset(w, 0, sizeof *w);
  w->buf = buf;
  w->cap = cap;
  if (cap) buf[0] = '\0';
}

static void put(tm_jsonw *w, const char *s, size_t n) {
  if (w->overflow) return;
  if (w->cap == 0 || w->len + n >= w->cap) {
    w->overflow = 1;
    return;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
  w->buf[w->len] = '\0';
}

static void puts_(tm_jsonw *w, const char *s) { put(w, s, strlen(s)); }

/* Before any value: a comma if the container already has one. */
static void before_value(tm_jsonw *w) {
  if (w->after_key) {
    w->after_key = 0;
    return;
  }
  if (w->filled[w->depth]) put(w, ",", 1);
  w->filled[w->depth] = 1;
}

static void open_(tm_jsonw *w, char open, char close) {
  before_value(w);
  put(w, &open, 1);
  if (w->depth >= TM_JSONW_MAX_DEPTH) {
    w->overflow = 1;
    return;
  }
  w->depth++;
  w->filled[w->depth] = 0;
  w->closer[w->depth] = close;
}

void tm_jsonw_object(tm_jsonw *w) { open_(w, '{', '}'); }
void tm_jsonw_array(tm_jsonw *w) { open_(w, '[', ']'); }

void tm_jsonw_end(tm_jsonw *w) {
  if (w->depth == 0) {
    w->overflow = 1;
    return;
  }
  put(w, &w->closer[w->depth], 1);
  w->depth--;
}

void tm_jsonw_key(tm_jsonw *w, const char *key) {
  tm_jsonw_string(w, key);
  put(w, ":", 1);
  w->after_key = 1;
}

void tm_jsonw_string_n(tm_jsonw *w, const char *s, size_t len) {
  before_value(w);
  put(w, "\"", 1);
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    char esc[8];
    switch (ch) {
      case '"':
        puts_(w, "\\\"");
        break;
      case '\\':
        puts_(w, "\\\\");
        break;
      case '\n':
        puts_(w, "\\n");
        break;
      case '\r':
        puts_(w, "\\r");
        break;
      case '\t':
        puts_(w, "\\t");
        break;
      default:
        if (ch < 0x20) { /* RFC 8259 §7: control characters must be escaped */
          snprintf(esc, sizeof esc, "\\u%04x", ch);
          puts_(w, esc);
        } else {
          put(w, (const char *)&s[i], 1);
        }
    }
  }
  put(w, "\"", 1);
}

void tm_jsonw_string(tm_jsonw *w, const char *s) { tm_jsonw_string_n(w, s, strlen(s)); }

void tm_jsonw_u64(tm_jsonw *w, uint64_t v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  char out[24];
  for (int i = 0; i < n; i++) out[i] = digits[n - 1 - i];
  before_value(w);
  put(w, out, (size_t)n);
}

void tm_jsonw_i64(tm_jsonw *w, int64_t v) {
  if (v < 0) {
    before_value(w);
    put(w, "-", 1);
    w->after_key = 1; /* the digits continue this value */
    tm_jsonw_u64(w, (uint64_t)(-(v + 1)) + 1);
    return;
  }
  tm_jsonw_u64(w, (uint64_t)v);
}

void tm_jsonw_number(tm_jsonw *w, double v) {
  if (!isfinite(v)) {
    tm_jsonw_null(w);
    return;
  }
  char text[32];
  /* Integers (counts, int8 values) print exactly; others with float32 precision. */
  if (v == (double)(int64_t)v && fabs(v) < 9007199254740992.0) {
    tm_jsonw_i64(w, (int64_t)v);
    return;
  }
  snprintf(text, sizeof text, "%.9g", v);
  before_value(w);
  puts_(w, text);
}

void tm_jsonw_bool(tm_jsonw *w, int v) {
  before_value(w);
  puts_(w, v ? "true" : "false");
}

void tm_jsonw_null(tm_jsonw *w) {
  before_value(w);
  puts_(w, "null");
}

void tm_jsonw_raw(tm_jsonw *w, const char *json, size_t len) {
  before_value(w);
  put(w, json, len);
}

long tm_jsonw_finish(tm_jsonw *w) {
  if (w->overflow || w->depth != 0) return -1;
  return (long)w->len;
}
