/* JSON: the one writer and the one reader of oomwatch's JSON files (the
 * event log, the status file, incident.json, the analyzer's JSON output).
 *
 * Why a module of our own and not libjansson: the strings oomwatch writes
 * are file names, argv and symbol names taken from a target, i.e. bytes in
 * no promised encoding. jansson refuses a string that is not valid UTF-8
 * (json_string() returns NULL) and its reader refuses lone surrogates, so it
 * can neither write such a name nor read one back. A writer that streams to
 * a FILE* is also what every caller here wants (no tree to build for a diff
 * of 100,000 stacks). The module is small, fuzzed (tests/fuzz/fuzz_json.c)
 * and has no global state, so the analyzer library can use it too.
 *
 * Strings ("surrogateescape", as Python names it):
 * - valid UTF-8 (RFC 3629: no overlong forms, no UTF-16 surrogates, nothing
 *   above U+10FFFF) is written unchanged;
 * - each byte that is not part of a valid UTF-8 sequence, 0xXX (always
 *   0x80..0xFF), is written as the lone surrogate escape \udcXX; the reader
 *   maps it back to the byte, so every byte string round-trips exactly;
 * - '"' and '\' are escaped, and so is every control character (U+0000 to
 *   U+001F and U+007F: \b \f \n \r \t, else \u00XX);
 * - with JSON_HTML_SAFE also '<', '>', '&', U+2028 and U+2029, so the text
 *   can sit inside an HTML <script> element.
 * The output is therefore always valid UTF-8 and valid JSON (RFC 8259
 * allows lone surrogate escapes; jq shows them as U+FFFD, Python's
 * json.loads keeps them as surrogates, which
 * s.encode("utf-8", "surrogateescape") turns back into the bytes).
 *
 * Numbers: integers exactly (int64/uint64); doubles with a given number of
 * decimals; NaN and infinities are written as null.
 *
 * Errors: the writer records the first error (-EIO when the FILE* failed,
 * -EINVAL on misuse: a key outside an object, a value without a key, an
 * unbalanced end, nesting deeper than JSON_MAX_DEPTH) and then writes
 * nothing more; json_finish() returns it. Every writer function accepts a
 * NULL writer and does nothing, so optional outputs need no checks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 64

enum {
        JSON_PRETTY = 1 << 0,     /* one member per line, two-space indent, "key": value */
        JSON_HTML_SAFE = 1 << 1,  /* also escape < > & U+2028 U+2029 */
};

struct json_writer {
        FILE *out;
        unsigned flags;
        unsigned depth;
        int err;
        bool want_value;                  /* a key was written, its value is due */
        bool done;                        /* the top-level value is complete */
        char kind[JSON_MAX_DEPTH];        /* '{' or '[' per open level */
        bool nonempty[JSON_MAX_DEPTH];
};

/* Start writing one JSON value (usually an object) to out (borrowed). */
void json_init(struct json_writer *w, FILE *out, unsigned flags);

/* 0 when one complete, balanced value was written without error, else the
 * first error (-EIO, -EINVAL). Does not flush or close out. */
int json_finish(struct json_writer *w);

void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);

/* The name of the next member of the open object (escaped like a string). */
void json_key(struct json_writer *w, const char *key);

/* s as a string (NULL: null). json_string_len writes n bytes, NULs included. */
void json_string(struct json_writer *w, const char *s);
void json_string_len(struct json_writer *w, const char *s, size_t n);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
/* v with `decimals` digits after the point (0..17); NaN/inf: null. */
void json_double(struct json_writer *w, double v, int decimals);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* key and value in one call */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_kv_uint(struct json_writer *w, const char *key, uint64_t v);
void json_kv_double(struct json_writer *w, const char *key, double v, int decimals);
void json_kv_bool(struct json_writer *w, const char *key, bool v);
void json_kv_null(struct json_writer *w, const char *key);

/* Escape n bytes of s as a quoted JSON string literal into a new
 * NUL-terminated string *ret (the caller frees it). flags: JSON_HTML_SAFE.
 * Returns the length written, or -ENOMEM. */
int json_quote(const char *s, size_t n, unsigned flags, char **ret);

/* ---- reader ---------------------------------------------------------------
 * A strict RFC 8259 parser for files of our own (which a hostile target may
 * have replaced: the status file lives in a directory the target owns), with
 * the string rules above: \udc80..\udcff alone gives back the byte 0x80..0xff;
 * a surrogate pair gives its code point in UTF-8; any other lone surrogate is
 * an error; raw bytes inside strings must be valid UTF-8 or they are refused
 * (our writer never leaves them raw). Nesting is capped at JSON_MAX_DEPTH.
 * Duplicate keys are kept; json_get finds the first. */

enum json_type { JSON_T_NULL, JSON_T_BOOL, JSON_T_NUMBER, JSON_T_STRING, JSON_T_ARRAY, JSON_T_OBJECT };

struct json_value {
        enum json_type type;
        char *key;                 /* member of an object: its name (NUL-terminated) */
        size_t key_len;
        bool b;
        double num;                /* every number */
        bool is_int, is_uint;      /* an integer literal that fits int64 / uint64 */
        int64_t i;
        uint64_t u;
        char *str;                 /* string: the bytes, NUL-terminated (may hold NULs: see len) */
        size_t len;
        struct json_value *items;  /* array elements or object members, in order */
        size_t n;
};

/* Parse the len bytes of text as one JSON value (surrounding white space
 * allowed). On success *ret is a new tree the caller frees with
 * json_value_free. On failure returns -EINVAL (bad JSON) or -ENOMEM and,
 * when ret_err is not NULL, a malloc'd "line L, column C: reason". */
int json_parse(const char *text, size_t len, struct json_value **ret, char **ret_err);
void json_value_free(struct json_value *v);

/* Member key of object obj; NULL when obj is NULL, not an object, or has
 * no such member. */
const struct json_value *json_get(const struct json_value *obj, const char *key);

/* Typed look-ups of member key of obj: 0 and *ret set, -ENOENT when absent
 * (or null), -EINVAL when of another type or out of range. Strings point
 * into obj. */
int json_get_string(const struct json_value *obj, const char *key, const char **ret);
int json_get_uint(const struct json_value *obj, const char *key, uint64_t *ret);
int json_get_int(const struct json_value *obj, const char *key, int64_t *ret);

/* Write a parsed value back (numbers as integers when they were, else with
 * up to 17 significant digits). */
void json_write_value(struct json_writer *w, const struct json_value *v);
