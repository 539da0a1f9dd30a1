/* What allocator a target program uses, read from its ELF file before it
 * is started: linked against libjemalloc, a jemalloc built into it (maybe
 * with a symbol prefix, as Rust's tikv-jemallocator does), or neither.
 *
 * Returns 0 and fills *ret, or -errno (-ENOEXEC: not an ELF file, for
 * example a script). Nothing is logged. */
#pragma once
#include <stdbool.h>

struct ep_info {
        bool jemalloc;           /* the program has jemalloc, one way or the other */
        bool shared;             /* ... through a DT_NEEDED libjemalloc */
        char prefix[32];         /* symbol prefix of a built-in jemalloc: "", "je_", "_rjem_" */
        char conf_env[48];       /* the variable it reads: "MALLOC_CONF", "_RJEM_MALLOC_CONF" */
};

int ep_probe(const char *path, struct ep_info *ret);

/* Find name like execvp would (PATH search when it has no '/'); relative
 * names with a '/' are taken relative to dir (NULL: the current directory).
 * *ret is malloc'd. Returns 0 or -ENOENT / -EACCES / -ENOMEM. */
int ep_which(const char *name, const char *dir, char **ret);
