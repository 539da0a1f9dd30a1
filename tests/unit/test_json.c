/* Unit tests: the JSON writer and reader (common/json.c): exact output for
 * the escaping rules, byte strings that round-trip, refusals that say where,
 * misuse of the writer reported instead of half-written output. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct out {
        FILE *f;
        char *text;
        size_t len;
        struct json_writer w;
};

static struct json_writer *open_out(struct out *o, unsigned flags)
{
        o->text = NULL;
        o->len = 0;
        o->f = open_memstream(&o->text, &o->len);
        ck_assert_ptr_nonnull(o->f);
        json_init(&o->w, o->f, flags);
        return &o->w;
}

/* close and return the text (the caller frees it); *ret_err the writer's result */
static char *close_out(struct out *o, int *ret_err)
{
        *ret_err = json_finish(&o->w);
        fclose(o->f);
        return o->text;
}

static char *quote(const char *s, size_t n, unsigned flags)
{
        char *q = NULL;
        ck_assert_int_ge(json_quote(s, n, flags, &q), 2);
        return q;
}

START_TEST(utf8_passes_unchanged)
{
        const char *s = "dümps/日本語/😀/ελληνικά";
        char *q = quote(s, strlen(s), 0);
        ck_assert_int_eq(strlen(q), strlen(s) + 2);
        ck_assert_int_eq(memcmp(q + 1, s, strlen(s)), 0);
        free(q);
}
END_TEST

START_TEST(invalid_bytes_as_lone_surrogates)
{
        /* Latin-1 é, a stray continuation byte, an overlong '/', a UTF-8
         * encoded surrogate, a code point above U+10FFFF, a cut-off sequence */
        const char s[] = "caf\xe9 \x80 \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe6\x97";
        char *q = quote(s, sizeof(s) - 1, 0);
        ck_assert_str_eq(q, "\"caf\\udce9 \\udc80 \\udcc0\\udcaf \\udced\\udca0\\udc80 "
                            "\\udcf4\\udc90\\udc80\\udc80 \\udce6\\udc97\"");
        free(q);
}
END_TEST

START_TEST(controls_and_quotes_escaped)
{
        const char s[] = "a\"b\\c\n\t\r\b\f\x01\x1f\x7f/";
        char *q = quote(s, sizeof(s) - 1, 0);
        ck_assert_str_eq(q, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f/\"");
        free(q);
        /* a NUL inside the bytes */
        q = quote("x\0y", 3, 0);
        ck_assert_str_eq(q, "\"x\\u0000y\"");
        free(q);
}
END_TEST

START_TEST(html_safe)
{
        const char s[] = "</script><b>&\xe2\x80\xa8\xe2\x80\xa9";
        char *q = quote(s, sizeof(s) - 1, JSON_HTML_SAFE);
        ck_assert_str_eq(q, "\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026\\u2028\\u2029\"");
        free(q);
        q = quote(s, sizeof(s) - 1, 0);
        ck_assert_ptr_nonnull(strstr(q, "</script>"));
        free(q);
}
END_TEST

START_TEST(every_byte_round_trips)
{
        char bytes[512];
        struct json_value *v = NULL;
        char *err = NULL;

        /* every byte value, alone and next to each other */
        for (int i = 0; i < 256; i++) {
                bytes[i] = (char)i;
                bytes[256 + i] = (char)(255 - i);
        }
        char *q = quote(bytes, sizeof(bytes), 0);
        ck_assert_int_eq(json_parse(q, strlen(q), &v, &err), 0);
        ck_assert_int_eq(v->type, JSON_T_STRING);
        ck_assert_uint_eq(v->len, sizeof(bytes));
        ck_assert_int_eq(memcmp(v->str, bytes, sizeof(bytes)), 0);
        json_value_free(v);
        free(q);
}
END_TEST

START_TEST(compact_and_pretty)
{
        struct out o;
        struct json_writer *w = open_out(&o, 0);
        int err;

        json_begin_object(w);
        json_kv_int(w, "a", -5);
        json_kv_uint(w, "b", UINT64_MAX);
        json_kv_double(w, "c", 0.98123, 3);
        json_kv_double(w, "nan", 0.0 / 0.0, 2);
        json_kv_double(w, "negzero", -0.0001, 2);
        json_kv_string(w, "s", NULL);
        json_key(w, "arr");
        json_begin_array(w);
        json_bool(w, true);
        json_null(w);
        json_begin_object(w);
        json_end_object(w);
        json_end_array(w);
        json_end_object(w);
        char *t = close_out(&o, &err);
        ck_assert_int_eq(err, 0);
        ck_assert_str_eq(t, "{\"a\":-5,\"b\":18446744073709551615,\"c\":0.981,\"nan\":null,\"negzero\":0.00,"
                            "\"s\":null,\"arr\":[true,null,{}]}");
        free(t);

        w = open_out(&o, JSON_PRETTY);
        json_begin_object(w);
        json_kv_int(w, "a", 1);
        json_key(w, "l");
        json_begin_array(w);
        json_int(w, 2);
        json_end_array(w);
        json_key(w, "e");
        json_begin_array(w);
        json_end_array(w);
        json_end_object(w);
        t = close_out(&o, &err);
        ck_assert_int_eq(err, 0);
        ck_assert_str_eq(t, "{\n  \"a\": 1,\n  \"l\": [\n    2\n  ],\n  \"e\": []\n}");
        free(t);
}
END_TEST

START_TEST(misuse_reported)
{
        struct out o;
        struct json_writer *w;
        int err;
        char *t;

        w = open_out(&o, 0);            /* value without a key */
        json_begin_object(w);
        json_int(w, 1);
        json_end_object(w);
        t = close_out(&o, &err);
        ck_assert_int_eq(err, -EINVAL);
        free(t);

        w = open_out(&o, 0);            /* unbalanced */
        json_begin_array(w);
        t = close_out(&o, &err);
        ck_assert_int_eq(err, -EINVAL);
        free(t);

        w = open_out(&o, 0);            /* wrong end */
        json_begin_array(w);
        json_end_object(w);
        t = close_out(&o, &err);
        ck_assert_int_eq(err, -EINVAL);
        free(t);

        w = open_out(&o, 0);            /* too deep */
        for (int i = 0; i <= JSON_MAX_DEPTH; i++)
                json_begin_array(w);
        t = close_out(&o, &err);
        ck_assert_int_eq(err, -EINVAL);
        free(t);

        w = open_out(&o, 0);            /* two top-level values */
        json_int(w, 1);
        json_int(w, 2);
        t = close_out(&o, &err);
        ck_assert_int_eq(err, -EINVAL);
        free(t);

        /* a NULL writer is a no-op */
        json_begin_object(NULL);
        json_kv_string(NULL, "k", "v");
        ck_assert_int_eq(json_finish(NULL), 0);
}
END_TEST

START_TEST(write_error_is_eio)
{
        FILE *f = fopen("/dev/full", "we");
        struct json_writer w;

        ck_assert_ptr_nonnull(f);
        setvbuf(f, NULL, _IONBF, 0);
        json_init(&w, f, 0);
        json_begin_object(&w);
        json_kv_string(&w, "k", "v");
        json_end_object(&w);
        ck_assert_int_eq(json_finish(&w), -EIO);
        fclose(f);
}
END_TEST

START_TEST(reader_values)
{
        const char *text = " {\"a\": [1, -2, 1.5e3, true, false, null], \"s\": \"\\u00e9\\ud83d\\ude00\\udcff\\/\","
                           " \"big\": 18446744073709551615, \"neg\": -9223372036854775808, \"a\": 0} ";
        struct json_value *v = NULL;
        const struct json_value *a;
        const char *s;
        uint64_t u;
        int64_t i;

        ck_assert_int_eq(json_parse(text, strlen(text), &v, NULL), 0);
        a = json_get(v, "a");           /* the first of two */
        ck_assert_int_eq(a->type, JSON_T_ARRAY);
        ck_assert_uint_eq(a->n, 6);
        ck_assert(a->items[0].is_int && a->items[0].i == 1);
        ck_assert(a->items[1].is_int && a->items[1].i == -2 && !a->items[1].is_uint);
        ck_assert(!a->items[2].is_int && a->items[2].num == 1500.0);
        ck_assert(a->items[3].b && !a->items[4].b && a->items[5].type == JSON_T_NULL);
        ck_assert_int_eq(json_get_string(v, "s", &s), 0);
        ck_assert_str_eq(s, "\xc3\xa9\xf0\x9f\x98\x80\xff/");
        ck_assert_int_eq(json_get_uint(v, "big", &u), 0);
        ck_assert(u == UINT64_MAX);
        ck_assert_int_eq(json_get_int(v, "big", &i), -EINVAL);
        ck_assert_int_eq(json_get_int(v, "neg", &i), 0);
        ck_assert(i == INT64_MIN);
        ck_assert_int_eq(json_get_uint(v, "neg", &u), -EINVAL);
        ck_assert_int_eq(json_get_uint(v, "none", &u), -ENOENT);
        ck_assert_int_eq(json_get_string(v, "big", &s), -EINVAL);
        ck_assert_ptr_null(json_get(a, "x"));
        json_value_free(v);
}
END_TEST

static void refused(const char *text, const char *want)
{
        struct json_value *v = NULL;
        char *err = NULL;

        ck_assert_int_eq(json_parse(text, strlen(text), &v, &err), -EINVAL);
        ck_assert_ptr_null(v);
        ck_assert_msg(err && strcmp(err, want) == 0, "\"%s\": got \"%s\", want \"%s\"", text, err, want);
        free(err);
}

START_TEST(reader_refusals)
{
        refused("", "line 1, column 1: unexpected end of input");
        refused("{\"a\":1,}", "line 1, column 8: expected a member name");
        refused("[1]\n x", "line 2, column 2: text after the value");
        refused("[\"\\ud800\"]", "line 1, column 9: lone high surrogate escape");
        refused("[\"\\udc7f\"]", "line 1, column 9: lone low surrogate escape");
        refused("[\"\xff\"]", "line 1, column 3: invalid UTF-8 in string");
        refused("[\"a\nb\"]", "line 1, column 4: control character in string");
        refused("[01]", "line 1, column 3: expected ',' or ']'");
        refused("[1e999]", "line 1, column 7: number out of range");
        refused("[\"\\x\"]", "line 1, column 4: bad escape in string");
        refused("\"abc", "line 1, column 2: unterminated string");
        refused("tru", "line 1, column 1: unexpected character");
        char deep[2 * JSON_MAX_DEPTH + 3];
        memset(deep, '[', JSON_MAX_DEPTH + 1);
        memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
        deep[2 * JSON_MAX_DEPTH + 2] = '\0';
        refused(deep, "line 1, column 65: nested too deeply");
}
END_TEST

START_TEST(write_value_round_trip)
{
        const char *text = "{\"k\\udcff\":[1,-0,2.5,5.0,\"x\"],\"o\":{}}";
        struct json_value *v = NULL;
        struct out o;
        int err;

        ck_assert_int_eq(json_parse(text, strlen(text), &v, NULL), 0);
        ck_assert_uint_eq(v->items[0].key_len, 2);
        json_write_value(open_out(&o, 0), v);
        char *t = close_out(&o, &err);
        ck_assert_int_eq(err, 0);
        ck_assert_str_eq(t, "{\"k\\udcff\":[1,0,2.5,5.0,\"x\"],\"o\":{}}");
        free(t);
        json_value_free(v);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("json");
        TCase *t = tcase_create("writer");
        tcase_add_test(t, utf8_passes_unchanged);
        tcase_add_test(t, invalid_bytes_as_lone_surrogates);
        tcase_add_test(t, controls_and_quotes_escaped);
        tcase_add_test(t, html_safe);
        tcase_add_test(t, every_byte_round_trips);
        tcase_add_test(t, compact_and_pretty);
        tcase_add_test(t, misuse_reported);
        tcase_add_test(t, write_error_is_eio);
        suite_add_tcase(s, t);
        t = tcase_create("reader");
        tcase_add_test(t, reader_values);
        tcase_add_test(t, reader_refusals);
        tcase_add_test(t, write_value_round_trip);
        suite_add_tcase(s, t);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
