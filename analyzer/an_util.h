/* Small helpers shared by the analyzer modules: error messages, checked
 * growth of arrays, string interning and hashing.
 *
 * Nothing here has global state; every object is owned by the caller. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Store a malloc'd message "FILE:LINE: reason" (or "FILE: reason" when
 * line is 0) in *ret_err if ret_err is not NULL. Returns err (a negative
 * errno) so callers can write `return au_err(...)`. */
int au_err(char **ret_err, int err, const char *file, unsigned long line,
           const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Grow *items (each elem_size bytes) so it holds at least need elements.
 * *cap is updated. Returns 0 or -ENOMEM (arrays left untouched). */
int au_grow(void *items, size_t *cap, size_t need, size_t elem_size);

/* 64-bit FNV-1a over a byte range, then mixed. */
uint64_t au_hash(const void *data, size_t len, uint64_t seed);
uint64_t au_hash_u64(uint64_t x);

/* Length of the C++ operator token at name[i] whose '<' or '>' is not a
 * template bracket ("operator<<", "operator->", "operator<=>", ...; blanks
 * after "operator" included), or 0 when none starts there. */
size_t au_operator_len(const char *name, size_t i);

/* Index of the '>' that closes the template bracket '<' at s[i] (operator
 * tokens skipped), or SIZE_MAX when it is not closed. */
size_t au_close_bracket(const char *s, size_t i);

/* String interning: each distinct string gets a dense id (0, 1, ...).
 * The pool owns copies of the strings. */
struct au_strpool {
        char **strs;
        size_t n, cap;
        uint32_t *slots;  /* open addressing, id + 1, 0 empty */
        size_t nslots;
};

void au_strpool_init(struct au_strpool *p);
void au_strpool_free(struct au_strpool *p);
/* Returns the id (>= 0) of s, adding it if new, or -ENOMEM. */
int64_t au_intern(struct au_strpool *p, const char *s);
int64_t au_intern_n(struct au_strpool *p, const char *s, size_t len);
static inline const char *au_str(const struct au_strpool *p, uint32_t id) { return p->strs[id]; }
