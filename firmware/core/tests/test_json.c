/* The JSON reader against RFC 8259's grammar, and the writer against the reader. */
#include <math.h>

#include "check.h"
#include "tm_json.h"
#include "tm_jsonw.h"

static int parses(const char *text) {
  tm_json_value v;
  char err[96];
  return tm_json_parse(text, strlen(text), &v, err, sizeof err) == 0;
}

void test_json(void) {
  static const char *const valid[] = {
      "{}", "[]", " {\"a\" : [1, 2, {\"b\": null}] } ", "1", "-0", "1e5", "1.5E-3", "-12.25e+2",
      "\"\\u00e9\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "true", "false", "null", "[[[[]]]]", "\"\xc3\xa9\"",
  };
  static const char *const invalid[] = {
      "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "\"\\x\"", "\"a\\u12\"", "tru",
      "{\"a\" 1}", "[1 2]", "\"a\tb\"", "{} x", "\"unterminated", "{1:2}", "[,1]", "-", "1e",
      "nul", "[\"a\",]", "{\"a\":}", "\"\\", "\"\\u00e\"",
  };
  for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
    if (!parses(valid[i])) fprintf(stderr, "should parse: %s\n", valid[i]);
    CHECK(parses(valid[i]));
  }
  for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
    if (parses(invalid[i])) fprintf(stderr, "should not parse: %s\n", invalid[i]);
    CHECK(!parses(invalid[i]));
  }

  /* Depth: 32 levels are fine, 33 are refused (TM_JSON_MAX_DEPTH), without recursion trouble. */
  char deep[80];
  memset(deep, '[', 32);
  memset(deep + 32, ']', 32);
  deep[64] = '\0';
  CHECK(parses(deep));
  memset(deep, '[', 33);
  memset(deep + 33, ']', 33);
  deep[66] = '\0';
  CHECK(!parses(deep));

  /* Members: a repeated name means its last value, as JSON.parse. */
  const char *doc = "{\"a\":1,\"b\":{\"a\":7},\"a\":[2,3],\"s\":\"x\\u0041\\ud83d\\ude00\\u00e9\"}";
  tm_json_value root, v;
  char err[96];
  CHECK(tm_json_parse(doc, strlen(doc), &root, err, sizeof err) == 0);
  CHECK(tm_json_member(&root, "a", &v) && v.type == TM_JSON_ARRAY && tm_json_count(&v) == 2);
  CHECK(tm_json_member(&root, "b", &v) && v.type == TM_JSON_OBJECT);
  CHECK(!tm_json_member(&root, "missing", &v));
  CHECK(tm_json_member(&root, "s", &v));
  char text[32];
  CHECK(tm_json_string(&v, text, sizeof text) == 1 + 1 + 4 + 2);
  CHECK_STR(text, "xA\xf0\x9f\x98\x80\xc3\xa9");
  CHECK(tm_json_string_codepoints(&v) == 4); /* the surrogate pair is one code point */
  CHECK(tm_json_string_equals(&v, "xA\xf0\x9f\x98\x80\xc3\xa9"));
  CHECK(!tm_json_string_equals(&v, "xA"));
  CHECK(tm_json_string(&v, text, 4) == -1); /* does not fit: refused, not cut */

  double d;
  const char *num = "[-12.25e+2, 4294967295, 1e400]";
  tm_json_iter it;
  CHECK(tm_json_parse(num, strlen(num), &root, err, sizeof err) == 0);
  tm_json_iter_init(&it, &root);
  CHECK(tm_json_next(&it, NULL, &v) && tm_json_number(&v, &d) == 0 && d == -1225.0);
  CHECK(tm_json_next(&it, NULL, &v) && tm_json_number(&v, &d) == 0 && d == 4294967295.0);
  CHECK(tm_json_next(&it, NULL, &v) && tm_json_number(&v, &d) == 0 && isinf(d));
  CHECK(!tm_json_next(&it, NULL, &v));

  /* The error names where it went wrong. */
  CHECK(tm_json_parse("[1,,2]", 6, &root, err, sizeof err) == -1);
  CHECK(strstr(err, "at byte 3") != NULL);
}

void test_jsonw(void) {
  char buf[256];
  tm_jsonw w;
  tm_jsonw_init(&w, buf, sizeof buf);
  tm_jsonw_object(&w);
  tm_jsonw_key(&w, "s");
  tm_jsonw_string(&w, "q\"b\\n\n\x01\xc3\xa9");
  tm_jsonw_key(&w, "n");
  tm_jsonw_array(&w);
  tm_jsonw_number(&w, 1);
  tm_jsonw_number(&w, -5);
  tm_jsonw_number(&w, 0.5);
  tm_jsonw_number(&w, 1e-7);
  tm_jsonw_number(&w, NAN);
  tm_jsonw_i64(&w, -9000000000LL);
  tm_jsonw_u64(&w, 18446744073709551615ULL);
  tm_jsonw_end(&w);
  tm_jsonw_key(&w, "o");
  tm_jsonw_object(&w);
  tm_jsonw_end(&w);
  tm_jsonw_key(&w, "b");
  tm_jsonw_bool(&w, 1);
  tm_jsonw_end(&w);
  long n = tm_jsonw_finish(&w);
  CHECK(n > 0);
  CHECK_STR(buf,
            "{\"s\":\"q\\\"b\\\\n\\n\\u0001\xc3\xa9\",\"n\":[1,-5,0.5,1e-07,null,"
            "-9000000000,18446744073709551615],\"o\":{},\"b\":true}");
  /* What it writes, the reader reads back. */
  tm_json_value root, v;
  char err[64], s[32];
  CHECK(tm_json_parse(buf, (size_t)n, &root, err, sizeof err) == 0);
  CHECK(tm_json_member(&root, "s", &v) && tm_json_string(&v, s, sizeof s) > 0);
  CHECK_STR(s, "q\"b\\n\n\x01\xc3\xa9");

  /* Too small a buffer: reported once at the end, never written past. */
  char small[8];
  tm_jsonw_init(&w, small, sizeof small);
  tm_jsonw_object(&w);
  tm_jsonw_key(&w, "long key");
  tm_jsonw_u64(&w, 1);
  tm_jsonw_end(&w);
  CHECK(tm_jsonw_finish(&w) == -1);
  CHECK(strlen(small) < sizeof small);

  /* Unbalanced: an object left open is an error. */
  tm_jsonw_init(&w, buf, sizeof buf);
  tm_jsonw_object(&w);
  CHECK(tm_jsonw_finish(&w) == -1);
}
