/* Helpers shared by the analyzer modules; see an_util.h. */
#include "an_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int au_err(char **ret_err, int err, const char *file, unsigned long line,
           const char *fmt, ...)
{
        if (!ret_err)
                return err;
        char *reason = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&reason, fmt, ap);
        va_end(ap);
        if (r < 0)
                reason = NULL;
        char *msg = NULL;
        if (line > 0)
                r = asprintf(&msg, "%s:%lu: %s", file ? file : "-", line, reason ? reason : "error");
        else
                r = asprintf(&msg, "%s: %s", file ? file : "-", reason ? reason : "error");
        free(reason);
        *ret_err = r < 0 ? NULL : msg;
        return err;
}

int au_grow(void *items, size_t *cap, size_t need, size_t elem_size)
{
        void **p = items;
        if (need <= *cap)
                return 0;
        size_t ncap = *cap ? *cap : 16;
        while (ncap < need) {
                if (ncap > SIZE_MAX / 2)
                        return -ENOMEM;
                ncap *= 2;
        }
        if (ncap > SIZE_MAX / elem_size)
                return -ENOMEM;
        void *n = realloc(*p, ncap * elem_size);
        if (!n)
                return -ENOMEM;
        *p = n;
        *cap = ncap;
        return 0;
}

uint64_t au_hash_u64(uint64_t x)
{
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return x;
}

uint64_t au_hash(const void *data, size_t len, uint64_t seed)
{
        const unsigned char *b = data;
        uint64_t h = 0xcbf29ce484222325ULL ^ seed;
        for (size_t i = 0; i < len; i++) {
                h ^= b[i];
                h *= 0x100000001b3ULL;
        }
        return au_hash_u64(h);
}

void au_strpool_init(struct au_strpool *p)
{
        memset(p, 0, sizeof(*p));
}

void au_strpool_free(struct au_strpool *p)
{
        for (size_t i = 0; i < p->n; i++)
                free(p->strs[i]);
        free(p->strs);
        free(p->slots);
        memset(p, 0, sizeof(*p));
}

static int strpool_rehash(struct au_strpool *p, size_t nslots)
{
        uint32_t *s = calloc(nslots, sizeof(*s));
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < p->n; i++) {
                uint64_t h = au_hash(p->strs[i], strlen(p->strs[i]), 0);
                size_t j = h & (nslots - 1);
                while (s[j])
                        j = (j + 1) & (nslots - 1);
                s[j] = (uint32_t)i + 1;
        }
        free(p->slots);
        p->slots = s;
        p->nslots = nslots;
        return 0;
}

int64_t au_intern_n(struct au_strpool *p, const char *str, size_t len)
{
        if ((p->n + 1) * 2 > p->nslots) {
                if (p->n >= UINT32_MAX / 4)
                        return -ENOMEM;
                int r = strpool_rehash(p, p->nslots ? p->nslots * 2 : 256);
                if (r < 0)
                        return r;
        }
        uint64_t h = au_hash(str, len, 0);
        size_t j = h & (p->nslots - 1);
        while (p->slots[j]) {
                const char *c = p->strs[p->slots[j] - 1];
                if (strncmp(c, str, len) == 0 && c[len] == '\0')
                        return p->slots[j] - 1;
                j = (j + 1) & (p->nslots - 1);
        }
        int r = au_grow(&p->strs, &p->cap, p->n + 1, sizeof(*p->strs));
        if (r < 0)
                return r;
        char *copy = strndup(str, len);
        if (!copy)
                return -ENOMEM;
        p->strs[p->n] = copy;
        p->slots[j] = (uint32_t)p->n + 1;
        return (int64_t)p->n++;
}

int64_t au_intern(struct au_strpool *p, const char *s)
{
        return au_intern_n(p, s, strlen(s));
}

size_t au_operator_len(const char *name, size_t i)
{
        static const char kw[] = "operator";
        size_t k = sizeof(kw) - 1;
        if (strncmp(name + i, kw, k) != 0)
                return 0;
        /* a whole word: not "cooperator<int>" */
        if (i > 0) {
                char c = name[i - 1];
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
                        return 0;
        }
        size_t j = i + k;
        while (name[j] == ' ')
                j++;
        /* the longest operator token; what follows it may be a template's '<' */
        static const char *const ops[] = { "<=>", "<<=", ">>=", "->*", "<<", ">>", "<=", ">=", "->", "<", ">" };
        for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
                if (strncmp(name + j, ops[o], strlen(ops[o])) == 0)
                        return j + strlen(ops[o]) - i;
        return 0;
}

size_t au_close_bracket(const char *s, size_t i)
{
        unsigned d = 0;
        for (size_t j = i; s[j]; j++) {
                size_t op = au_operator_len(s, j);
                if (op) {
                        j += op - 1;
                        continue;
                }
                if (s[j] == '<')
                        d++;
                else if (s[j] == '>' && --d == 0)
                        return j;
        }
        return SIZE_MAX;
}
