/* JSON writer and reader; the rules are in json.h. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when s[0]
 * does not start one (RFC 3629, table 3-7 of the Unicode standard). */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        unsigned char lo = 0x80, hi = 0xbf;
        size_t len;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f;     /* no UTF-16 surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;     /* nothing above U+10FFFF */
        } else
                return 0;
        if (n < len || s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < len; i++)
                if (s[i] < 0x80 || s[i] > 0xbf)
                        return 0;
        return len;
}

/* ---- writer ------------------------------------------------------------------ */

static void w_fail(struct json_writer *w, int err)
{
        if (!w->err)
                w->err = err;
}

static void w_put(struct json_writer *w, const char *s, size_t n)
{
        if (w->err || !n)
                return;
        if (fwrite(s, 1, n, w->out) != n)
                w_fail(w, -EIO);
}

static void w_puts(struct json_writer *w, const char *s)
{
        w_put(w, s, strlen(s));
}

static void w_newline(struct json_writer *w)
{
        if (!(w->flags & JSON_PRETTY))
                return;
        w_put(w, "\n", 1);
        for (unsigned i = 0; i < w->depth; i++)
                w_put(w, "  ", 2);
}

/* Before any value: the separator and, inside an object, the check that a
 * key came first. Returns false when nothing may be written. */
static bool w_value_start(struct json_writer *w)
{
        if (!w || w->err)
                return false;
        if (w->depth == 0) {
                if (w->done) {
                        w_fail(w, -EINVAL);    /* a second top-level value */
                        return false;
                }
                return true;
        }
        if (w->kind[w->depth - 1] == '{') {
                if (!w->want_value) {
                        w_fail(w, -EINVAL);
                        return false;
                }
                w->want_value = false;
                return true;
        }
        if (w->nonempty[w->depth - 1])
                w_put(w, ",", 1);
        w->nonempty[w->depth - 1] = true;
        w_newline(w);
        return !w->err;
}

/* After a complete top-level value. */
static void w_value_end(struct json_writer *w)
{
        if (w->depth == 0)
                w->done = true;
}

void json_init(struct json_writer *w, FILE *out, unsigned flags)
{
        memset(w, 0, sizeof(*w));
        w->out = out;
        w->flags = flags;
}

int json_finish(struct json_writer *w)
{
        if (!w)
                return 0;
        if (!w->err && (w->depth || w->want_value || !w->done))
                w_fail(w, -EINVAL);
        return w->err;
}

static void w_open(struct json_writer *w, char kind)
{
        if (!w_value_start(w))
                return;
        if (w->depth >= JSON_MAX_DEPTH) {
                w_fail(w, -EINVAL);
                return;
        }
        w_put(w, &kind, 1);
        w->kind[w->depth] = kind;
        w->nonempty[w->depth] = false;
        w->depth++;
}

static void w_close(struct json_writer *w, char kind)
{
        if (!w || w->err)
                return;
        if (w->depth == 0 || w->kind[w->depth - 1] != kind || w->want_value) {
                w_fail(w, -EINVAL);
                return;
        }
        w->depth--;
        if (w->nonempty[w->depth])
                w_newline(w);
        w_put(w, kind == '{' ? "}" : "]", 1);
        w_value_end(w);
}

void json_begin_object(struct json_writer *w)
{
        w_open(w, '{');
}

void json_end_object(struct json_writer *w)
{
        w_close(w, '{');
}

void json_begin_array(struct json_writer *w)
{
        w_open(w, '[');
}

void json_end_array(struct json_writer *w)
{
        w_close(w, '[');
}

/* The escaped body of a string literal, through put(ctx, bytes, n). */
static void escape(const char *str, size_t n, unsigned flags, void (*put)(void *, const char *, size_t), void *ctx)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *s = (const unsigned char *)str;
        size_t run = 0;     /* bytes since the last escape, written in one go */

        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                char esc[8];
                size_t elen = 0, step = 1;

                if (c == '"' || c == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)c;
                        elen = 2;
                } else if (c < 0x20 || c == 0x7f) {
                        const char *shortf = c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n"
                                             : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
                        if (shortf) {
                                memcpy(esc, shortf, 2);
                                elen = 2;
                        } else {
                                memcpy(esc, "\\u00", 4);
                                esc[4] = hex[c >> 4];
                                esc[5] = hex[c & 15];
                                elen = 6;
                        }
                } else if ((flags & JSON_HTML_SAFE) && (c == '<' || c == '>' || c == '&')) {
                        memcpy(esc, "\\u00", 4);
                        esc[4] = hex[c >> 4];
                        esc[5] = hex[c & 15];
                        elen = 6;
                } else if (c >= 0x80) {
                        step = utf8_valid_len(s + i, n - i);
                        if (step == 0) {
                                /* not UTF-8: the byte as a lone surrogate */
                                memcpy(esc, "\\udc", 4);
                                esc[4] = hex[c >> 4];
                                esc[5] = hex[c & 15];
                                elen = 6;
                                step = 1;
                        } else if ((flags & JSON_HTML_SAFE) && step == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
                                   (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
                                memcpy(esc, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                                elen = 6;
                        }
                }
                if (elen) {
                        put(ctx, str + i - run, run);
                        put(ctx, esc, elen);
                        run = 0;
                } else {
                        run += step;
                }
                i += step;
        }
        put(ctx, str + n - run, run);
}

static void w_put_cb(void *ctx, const char *s, size_t n)
{
        w_put(ctx, s, n);
}

static void w_quoted(struct json_writer *w, const char *s, size_t n)
{
        w_put(w, "\"", 1);
        escape(s, n, w->flags, w_put_cb, w);
        w_put(w, "\"", 1);
}

void json_key(struct json_writer *w, const char *key)
{
        if (!w || w->err)
                return;
        if (w->depth == 0 || w->kind[w->depth - 1] != '{' || w->want_value || !key) {
                w_fail(w, -EINVAL);
                return;
        }
        if (w->nonempty[w->depth - 1])
                w_put(w, ",", 1);
        w->nonempty[w->depth - 1] = true;
        w_newline(w);
        w_quoted(w, key, strlen(key));
        w_puts(w, (w->flags & JSON_PRETTY) ? ": " : ":");
        w->want_value = true;
}

void json_string_len(struct json_writer *w, const char *s, size_t n)
{
        if (!w_value_start(w))
                return;
        w_quoted(w, s, n);
        w_value_end(w);
}

void json_string(struct json_writer *w, const char *s)
{
        if (!s)
                json_null(w);
        else
                json_string_len(w, s, strlen(s));
}

static void w_literal(struct json_writer *w, const char *text)
{
        if (!w_value_start(w))
                return;
        w_puts(w, text);
        w_value_end(w);
}

void json_int(struct json_writer *w, int64_t v)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%lld", (long long)v);
        w_literal(w, buf);
}

void json_uint(struct json_writer *w, uint64_t v)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
        w_literal(w, buf);
}

void json_double(struct json_writer *w, double v, int decimals)
{
        char buf[400];

        if (!isfinite(v)) {
                w_literal(w, "null");
                return;
        }
        if (decimals < 0)
                decimals = 0;
        if (decimals > 17)
                decimals = 17;
        snprintf(buf, sizeof(buf), "%.*f", decimals, v);
        if (strcmp(buf, "-0") == 0 || strspn(buf, "-0.") == strlen(buf))
                snprintf(buf, sizeof(buf), "%.*f", decimals, 0.0);    /* no "-0.000" */
        w_literal(w, buf);
}

void json_bool(struct json_writer *w, bool v)
{
        w_literal(w, v ? "true" : "false");
}

void json_null(struct json_writer *w)
{
        w_literal(w, "null");
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
        json_key(w, key);
        json_string(w, s);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
        json_key(w, key);
        json_int(w, v);
}

void json_kv_uint(struct json_writer *w, const char *key, uint64_t v)
{
        json_key(w, key);
        json_uint(w, v);
}

void json_kv_double(struct json_writer *w, const char *key, double v, int decimals)
{
        json_key(w, key);
        json_double(w, v, decimals);
}

void json_kv_bool(struct json_writer *w, const char *key, bool v)
{
        json_key(w, key);
        json_bool(w, v);
}

void json_kv_null(struct json_writer *w, const char *key)
{
        json_key(w, key);
        json_null(w);
}

struct membuf {
        char *p;
        size_t len, cap;
        bool oom;
};

static void mem_put(void *ctx, const char *s, size_t n)
{
        struct membuf *m = ctx;

        if (m->oom || !n)
                return;
        if (m->len + n + 1 > m->cap) {
                size_t cap = m->cap ? m->cap : 64;
                while (cap < m->len + n + 1)
                        cap *= 2;
                char *p = realloc(m->p, cap);
                if (!p) {
                        m->oom = true;
                        return;
                }
                m->p = p;
                m->cap = cap;
        }
        memcpy(m->p + m->len, s, n);
        m->len += n;
        m->p[m->len] = '\0';
}

int json_quote(const char *s, size_t n, unsigned flags, char **ret)
{
        struct membuf m = { 0 };

        mem_put(&m, "\"", 1);
        escape(s, n, flags, mem_put, &m);
        mem_put(&m, "\"", 1);
        if (m.oom || m.len > INT32_MAX) {
                free(m.p);
                return -ENOMEM;
        }
        *ret = m.p;
        return (int)m.len;
}

void json_write_value(struct json_writer *w, const struct json_value *v)
{
        char buf[64];

        if (!w || !v)
                return;
        switch (v->type) {
        case JSON_T_NULL:
                json_null(w);
                break;
        case JSON_T_BOOL:
                json_bool(w, v->b);
                break;
        case JSON_T_NUMBER:
                if (v->is_int)
                        json_int(w, v->i);
                else if (v->is_uint)
                        json_uint(w, v->u);
                else {
                        /* a fraction stays one when read back */
                        snprintf(buf, sizeof(buf), "%.17g", v->num);
                        if (!strpbrk(buf, ".e"))
                                strcat(buf, ".0");
                        w_literal(w, buf);
                }
                break;
        case JSON_T_STRING:
                json_string_len(w, v->str, v->len);
                break;
        case JSON_T_ARRAY:
                json_begin_array(w);
                for (size_t i = 0; i < v->n; i++)
                        json_write_value(w, &v->items[i]);
                json_end_array(w);
                break;
        case JSON_T_OBJECT:
                json_begin_object(w);
                for (size_t i = 0; i < v->n && !w->err; i++) {
                        /* keys may hold any byte too */
                        if (w->nonempty[w->depth - 1])
                                w_put(w, ",", 1);
                        w->nonempty[w->depth - 1] = true;
                        w_newline(w);
                        w_quoted(w, v->items[i].key, v->items[i].key_len);
                        w_puts(w, (w->flags & JSON_PRETTY) ? ": " : ":");
                        w->want_value = true;
                        json_write_value(w, &v->items[i]);
                }
                json_end_object(w);
                break;
        }
}

/* ---- reader ------------------------------------------------------------------ */

struct parser {
        const unsigned char *s;
        size_t len, pos;
        unsigned depth;
        int err;
        const char *why;
        size_t err_pos;
};

static int p_fail(struct parser *p, int err, const char *why)
{
        if (!p->err) {
                p->err = err;
                p->why = why;
                p->err_pos = p->pos;
        }
        return err;
}

static void p_ws(struct parser *p)
{
        while (p->pos < p->len &&
               (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
                p->pos++;
}

static int hex4(struct parser *p, unsigned *ret)
{
        unsigned v = 0;

        if (p->len - p->pos < 4)
                return p_fail(p, -EINVAL, "truncated \\u escape");
        for (int i = 0; i < 4; i++) {
                unsigned char c = p->s[p->pos + (size_t)i];
                unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                           : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                           : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
                if (d == 16)
                        return p_fail(p, -EINVAL, "bad hex digit in \\u escape");
                v = v * 16 + d;
        }
        p->pos += 4;
        *ret = v;
        return 0;
}

static size_t utf8_encode(unsigned cp, char *out)
{
        if (cp < 0x80) {
                out[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char)(0xc0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char)(0xe0 | (cp >> 12));
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char)(0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        return 4;
}

/* A string literal at p->pos (on the opening quote). The decoded bytes are
 * never longer than the literal, so one buffer of that size holds them. */
static int p_string(struct parser *p, char **ret, size_t *ret_len)
{
        size_t start = ++p->pos, end = start;
        char *out;
        size_t o = 0;

        /* find the end first, to size the buffer */
        while (end < p->len && p->s[end] != '"') {
                if (p->s[end] == '\\')
                        end++;
                end++;
        }
        if (end >= p->len)
                return p_fail(p, -EINVAL, "unterminated string");
        out = malloc(end - start + 1);
        if (!out)
                return p_fail(p, -ENOMEM, "out of memory");
        while (p->pos < end) {
                unsigned char c = p->s[p->pos];
                if (c < 0x20) {
                        free(out);
                        return p_fail(p, -EINVAL, "control character in string");
                }
                if (c >= 0x80) {
                        size_t n = utf8_valid_len(p->s + p->pos, end - p->pos);
                        if (!n) {
                                free(out);
                                return p_fail(p, -EINVAL, "invalid UTF-8 in string");
                        }
                        memcpy(out + o, p->s + p->pos, n);
                        o += n;
                        p->pos += n;
                        continue;
                }
                if (c != '\\') {
                        out[o++] = (char)c;
                        p->pos++;
                        continue;
                }
                p->pos++;
                c = p->s[p->pos++];
                switch (c) {
                case '"': case '\\': case '/': out[o++] = (char)c; break;
                case 'b': out[o++] = '\b'; break;
                case 'f': out[o++] = '\f'; break;
                case 'n': out[o++] = '\n'; break;
                case 'r': out[o++] = '\r'; break;
                case 't': out[o++] = '\t'; break;
                case 'u': {
                        unsigned cp, lo;
                        if (hex4(p, &cp) < 0)
                                break;
                        if (cp >= 0xd800 && cp <= 0xdbff) {
                                if (p->pos + 6 <= end && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
                                        p->pos += 2;
                                        if (hex4(p, &lo) < 0)
                                                break;
                                        if (lo >= 0xdc00 && lo <= 0xdfff) {
                                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                                o += utf8_encode(cp, out + o);
                                                break;
                                        }
                                }
                                p_fail(p, -EINVAL, "lone high surrogate escape");
                                break;
                        }
                        if (cp >= 0xdc80 && cp <= 0xdcff) {
                                out[o++] = (char)(cp - 0xdc00);     /* a byte that was not UTF-8 */
                                break;
                        }
                        if (cp >= 0xdc00 && cp <= 0xdfff) {
                                p_fail(p, -EINVAL, "lone low surrogate escape");
                                break;
                        }
                        o += utf8_encode(cp, out + o);
                        break;
                }
                default:
                        p->pos--;
                        p_fail(p, -EINVAL, "bad escape in string");
                }
                if (p->err) {
                        free(out);
                        return p->err;
                }
        }
        p->pos = end + 1;
        out[o] = '\0';
        *ret = out;
        *ret_len = o;
        return 0;
}

static int p_number(struct parser *p, struct json_value *v)
{
        size_t start = p->pos, n;
        char buf[512], *end;
        bool integer = true;

        if (p->pos < p->len && p->s[p->pos] == '-')
                p->pos++;
        if (p->pos < p->len && p->s[p->pos] == '0')
                p->pos++;
        else if (p->pos < p->len && p->s[p->pos] >= '1' && p->s[p->pos] <= '9')
                while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
                        p->pos++;
        else
                return p_fail(p, -EINVAL, "bad number");
        if (p->pos < p->len && p->s[p->pos] == '.') {
                integer = false;
                p->pos++;
                if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
                        return p_fail(p, -EINVAL, "bad number");
                while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
                        p->pos++;
        }
        if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
                integer = false;
                p->pos++;
                if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
                        p->pos++;
                if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
                        return p_fail(p, -EINVAL, "bad number");
                while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
                        p->pos++;
        }
        n = p->pos - start;
        if (n >= sizeof(buf))
                return p_fail(p, -EINVAL, "number too long");
        memcpy(buf, p->s + start, n);
        buf[n] = '\0';
        v->type = JSON_T_NUMBER;
        errno = 0;
        v->num = strtod(buf, &end);
        if (!isfinite(v->num))
                return p_fail(p, -EINVAL, "number out of range");
        if (integer) {
                errno = 0;
                long long i = strtoll(buf, &end, 10);
                if (errno == 0 && *end == '\0') {
                        v->is_int = true;
                        v->i = i;
                }
                if (buf[0] != '-') {
                        errno = 0;
                        unsigned long long u = strtoull(buf, &end, 10);
                        if (errno == 0 && *end == '\0') {
                                v->is_uint = true;
                                v->u = u;
                        }
                } else if (v->is_int && v->i == 0) {
                        v->is_uint = true;      /* "-0" */
                        v->u = 0;
                }
        }
        return 0;
}

static int p_literal(struct parser *p, const char *word)
{
        size_t n = strlen(word);

        if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
                return p_fail(p, -EINVAL, "unexpected character");
        p->pos += n;
        return 0;
}

static void value_clear(struct json_value *v)
{
        free(v->key);
        free(v->str);
        for (size_t i = 0; i < v->n; i++)
                value_clear(&v->items[i]);
        free(v->items);
}

static int p_value(struct parser *p, struct json_value *v);

static struct json_value *p_append(struct parser *p, struct json_value *v, size_t *cap)
{
        if (v->n == *cap) {
                size_t nc = *cap ? *cap * 2 : 4;
                struct json_value *items = realloc(v->items, nc * sizeof(*items));
                if (!items) {
                        p_fail(p, -ENOMEM, "out of memory");
                        return NULL;
                }
                v->items = items;
                *cap = nc;
        }
        memset(&v->items[v->n], 0, sizeof(v->items[0]));
        return &v->items[v->n++];
}

static int p_container(struct parser *p, struct json_value *v, bool object)
{
        size_t cap = 0;
        char close = object ? '}' : ']';

        if (++p->depth > JSON_MAX_DEPTH)
                return p_fail(p, -EINVAL, "nested too deeply");
        v->type = object ? JSON_T_OBJECT : JSON_T_ARRAY;
        p->pos++;
        p_ws(p);
        if (p->pos < p->len && p->s[p->pos] == close) {
                p->pos++;
                p->depth--;
                return 0;
        }
        for (;;) {
                struct json_value *item = p_append(p, v, &cap);
                if (!item)
                        return p->err;
                p_ws(p);
                if (object) {
                        if (p->pos >= p->len || p->s[p->pos] != '"')
                                return p_fail(p, -EINVAL, "expected a member name");
                        if (p_string(p, &item->key, &item->key_len) < 0)
                                return p->err;
                        p_ws(p);
                        if (p->pos >= p->len || p->s[p->pos] != ':')
                                return p_fail(p, -EINVAL, "expected ':'");
                        p->pos++;
                }
                if (p_value(p, item) < 0)
                        return p->err;
                p_ws(p);
                if (p->pos < p->len && p->s[p->pos] == ',') {
                        p->pos++;
                        continue;
                }
                if (p->pos < p->len && p->s[p->pos] == close) {
                        p->pos++;
                        p->depth--;
                        return 0;
                }
                return p_fail(p, -EINVAL, object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
}

static int p_value(struct parser *p, struct json_value *v)
{
        p_ws(p);
        if (p->pos >= p->len)
                return p_fail(p, -EINVAL, "unexpected end of input");
        switch (p->s[p->pos]) {
        case '{':
                return p_container(p, v, true);
        case '[':
                return p_container(p, v, false);
        case '"':
                v->type = JSON_T_STRING;
                return p_string(p, &v->str, &v->len);
        case 't':
                v->type = JSON_T_BOOL;
                v->b = true;
                return p_literal(p, "true");
        case 'f':
                v->type = JSON_T_BOOL;
                return p_literal(p, "false");
        case 'n':
                v->type = JSON_T_NULL;
                return p_literal(p, "null");
        default:
                return p_number(p, v);
        }
}

int json_parse(const char *text, size_t len, struct json_value **ret, char **ret_err)
{
        struct parser p = { .s = (const unsigned char *)text, .len = len };
        struct json_value *v = calloc(1, sizeof(*v));

        if (!v)
                return -ENOMEM;
        if (p_value(&p, v) == 0) {
                p_ws(&p);
                if (p.pos < p.len)
                        p_fail(&p, -EINVAL, "text after the value");
        }
        if (p.err) {
                if (ret_err) {
                        unsigned line = 1, col = 1;
                        for (size_t i = 0; i < p.err_pos && i < len; i++) {
                                if (text[i] == '\n') {
                                        line++;
                                        col = 1;
                                } else
                                        col++;
                        }
                        if (asprintf(ret_err, "line %u, column %u: %s", line, col, p.why) < 0)
                                *ret_err = NULL;
                }
                json_value_free(v);
                return p.err;
        }
        *ret = v;
        return 0;
}

void json_value_free(struct json_value *v)
{
        if (!v)
                return;
        value_clear(v);
        free(v);
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
        size_t n;

        if (!obj || obj->type != JSON_T_OBJECT || !key)
                return NULL;
        n = strlen(key);
        for (size_t i = 0; i < obj->n; i++)
                if (obj->items[i].key_len == n && memcmp(obj->items[i].key, key, n) == 0)
                        return &obj->items[i];
        return NULL;
}

int json_get_string(const struct json_value *obj, const char *key, const char **ret)
{
        const struct json_value *v = json_get(obj, key);

        if (!v || v->type == JSON_T_NULL)
                return -ENOENT;
        if (v->type != JSON_T_STRING)
                return -EINVAL;
        *ret = v->str;
        return 0;
}

int json_get_uint(const struct json_value *obj, const char *key, uint64_t *ret)
{
        const struct json_value *v = json_get(obj, key);

        if (!v || v->type == JSON_T_NULL)
                return -ENOENT;
        if (v->type != JSON_T_NUMBER || !v->is_uint)
                return -EINVAL;
        *ret = v->u;
        return 0;
}

int json_get_int(const struct json_value *obj, const char *key, int64_t *ret)
{
        const struct json_value *v = json_get(obj, key);

        if (!v || v->type == JSON_T_NULL)
                return -ENOENT;
        if (v->type != JSON_T_NUMBER || !v->is_int)
                return -EINVAL;
        *ret = v->i;
        return 0;
}
