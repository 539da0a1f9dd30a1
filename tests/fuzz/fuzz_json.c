/* Fuzz entry point: the JSON writer and reader (common/json.c).
 *
 * 1. The input as a byte string (any bytes: UTF-8, invalid sequences,
 *    control characters, NULs), written as a value and as a key, plain and
 *    HTML-safe: the text must be valid UTF-8 without raw control characters
 *    (and without '<' when HTML-safe), and reading it back must give the
 *    same bytes.
 * 2. The input as JSON text: when it parses, writing the tree back (compact
 *    and pretty) and parsing that must give an equal tree, and writing that
 *    again the same text.
 *
 * fuzz-sources: common/json.c
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *write_tree(const struct json_value *v, unsigned flags, size_t *ret_len)
{
        struct json_writer w;
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        if (!f)
                abort();
        json_init(&w, f, flags);
        json_write_value(&w, v);
        if (json_finish(&w) != 0)
                abort();
        if (fclose(f) != 0)
                abort();
        *ret_len = len;
        return text;
}

/* valid UTF-8, no raw byte below 0x20 or 0x7f (but the newlines of pretty output) */
static void check_text(const char *text, size_t len, bool html, bool pretty)
{
        const unsigned char *s = (const unsigned char *)text;

        for (size_t i = 0; i < len;) {
                unsigned char c = s[i];
                size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                         : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
                if (n == 0 || i + n > len || (c < 0x20 && !(pretty && c == '\n')) || c == 0x7f || (html && (c == '<' || c == '>' || c == '&')))
                        abort();
                for (size_t k = 1; k < n; k++)
                        if ((s[i + k] & 0xc0) != 0x80)
                                abort();
                if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] > 0x9f) ||
                    (c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] > 0x8f))
                        abort();
                i += n;
        }
}

static bool equal(const struct json_value *a, const struct json_value *b)
{
        if (a->type != b->type || a->key_len != b->key_len || (a->key_len && memcmp(a->key, b->key, a->key_len)))
                return false;
        switch (a->type) {
        case JSON_T_NULL:
                return true;
        case JSON_T_BOOL:
                return a->b == b->b;
        case JSON_T_NUMBER:
                if (a->is_int != b->is_int || a->is_uint != b->is_uint)
                        return false;
                return a->is_int ? a->i == b->i : a->is_uint ? a->u == b->u : a->num == b->num;
        case JSON_T_STRING:
                return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
        case JSON_T_ARRAY:
        case JSON_T_OBJECT:
                if (a->n != b->n)
                        return false;
                for (size_t i = 0; i < a->n; i++)
                        if (!equal(&a->items[i], &b->items[i]))
                                return false;
                return true;
        }
        return false;
}

static void bytes_round_trip(const uint8_t *data, size_t size, unsigned flags)
{
        struct json_writer w;
        struct json_value *v = NULL;
        char *text = NULL, *key, *err = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        /* as a key the bytes stop at the first NUL (keys are C strings) */
        key = malloc(size + 1);
        if (!f || !key)
                abort();
        memcpy(key, data, size);
        key[size] = '\0';
        json_init(&w, f, flags);
        json_begin_object(&w);
        json_key(&w, "v");
        json_string_len(&w, (const char *)data, size);
        json_key(&w, key);
        json_begin_array(&w);
        json_string(&w, key);
        json_end_array(&w);
        json_end_object(&w);
        if (json_finish(&w) != 0 || fclose(f) != 0)
                abort();
        check_text(text, len, flags & JSON_HTML_SAFE, false);
        if (json_parse(text, len, &v, &err) != 0) {
                fprintf(stderr, "fuzz_json: our own output does not parse: %s\n%s\n", err, text);
                abort();
        }
        const struct json_value *s = json_get(v, "v");
        if (!s || s->type != JSON_T_STRING || s->len != size || memcmp(s->str, data, size) != 0)
                abort();
        size_t klen = strlen(key);
        if (v->n != 2 || v->items[1].key_len != klen || memcmp(v->items[1].key, key, klen) != 0 ||
            v->items[1].type != JSON_T_ARRAY || v->items[1].n != 1 || v->items[1].items[0].len != klen ||
            memcmp(v->items[1].items[0].str, key, klen) != 0)
                abort();
        /* json_quote is the same escaping */
        char *q = NULL;
        int qn = json_quote((const char *)data, size, flags, &q);
        if (qn < 0 || strncmp(text + 5, q, (size_t)qn) != 0)   /* text starts {"v": */
                abort();
        free(q);
        json_value_free(v);
        free(key);
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct json_value *v = NULL, *v2 = NULL;
        char *err = NULL;

        if (size > 1 << 16)
                return 0;
        bytes_round_trip(data, size, 0);
        bytes_round_trip(data, size, JSON_HTML_SAFE);

        if (json_parse((const char *)data, size, &v, &err) != 0) {
                if (!err || strncmp(err, "line ", 5) != 0)
                        abort();        /* every refusal says where */
                free(err);
                return 0;
        }
        for (unsigned flags = 0; flags <= (JSON_PRETTY | JSON_HTML_SAFE); flags++) {
                size_t n1, n2;
                char *t1 = write_tree(v, flags, &n1), *t2;
                check_text(t1, n1, flags & JSON_HTML_SAFE, flags & JSON_PRETTY);
                if (json_parse(t1, n1, &v2, &err) != 0) {
                        fprintf(stderr, "fuzz_json: rewritten tree does not parse: %s\n%s\n", err, t1);
                        abort();
                }
                if (!equal(v, v2))
                        abort();
                t2 = write_tree(v2, flags, &n2);
                if (n1 != n2 || memcmp(t1, t2, n1) != 0)
                        abort();
                json_value_free(v2);
                free(t1);
                free(t2);
        }
        json_value_free(v);
        return 0;
}
