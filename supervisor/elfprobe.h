/* What allocator a target program uses, read from its ELF file before it
 * is started: linked against libjemalloc, a jemalloc built into it (maybe
 * with a symbol prefix, as Rust's tikv-jemallocator does), or neither.
 *
 * Returns 0 and fills *ret, or -errno (-ENOEXEC: not an ELF file, for
 * example a script). Nothing is logged. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ep_info {
        bool jemalloc;           /* the program has jemalloc, one way or the other */
        bool shared;             /* ... through a DT_NEEDED libjemalloc */
        char prefix[32];         /* symbol prefix of a built-in jemalloc: "", "je_", "_rjem_" */
        char conf_env[48];       /* the variable it reads: "MALLOC_CONF", "_RJEM_MALLOC_CONF" */
        /* facts for runtime.h (what the program is, not what to do about it) */
        bool is_static;          /* no PT_INTERP: no dynamic loader, so LD_PRELOAD does nothing */
        bool go;                 /* Go's .go.buildinfo or .note.go.buildid section */
        bool cpython;            /* defines Py_BytesMain or Py_Main, or needs libpython */
        bool v8;                 /* defines node:: or v8:: symbols, or needs libnode / libv8 */
        bool jvm;                /* needs libjli or libjvm, or refers to JLI_Launch / JNI_CreateJavaVM */
};

/* In the supervisor this runs the analysis program (`oomwatch-analysis
 * probe`, elfread.h) as the user ep_probe_as() named, waits for it (at
 * set-up only: it blocks) and reads its answer; -ENOEXEC also when that
 * program is missing. */
int ep_probe(const char *path, struct ep_info *ret);

/* Who ep_probe's reader runs as (the target's user: it reads only what
 * the target can); switch_user false: as we are. */
struct ap_user;
void ep_probe_as(const struct ap_user *u, bool switch_user);

/* The probe's answer as the analysis program writes it (one JSON line):
 * r, then the fields of i when r >= 0. Returns 0 or -EIO. */
int ep_probe_print(const struct ep_info *i, int r, FILE *out);

/* Find name like execvp would (PATH search when it has no '/'); relative
 * names with a '/' are taken relative to dir (NULL: the current directory).
 * *ret is malloc'd. Returns 0 or -ENOENT / -EACCES / -ENOMEM. */
int ep_which(const char *name, const char *dir, char **ret);

/* The GNU build-id of the ELF file at path (its NT_GNU_BUILD_ID note) as
 * lower-case hex into buf (len bytes, NUL-terminated). Returns the id's
 * length in bytes; -ENODATA when the file has none, -ENOEXEC when it is not
 * ELF, -ERANGE when buf is too small, -errno. */
int ep_build_id(const char *path, char *buf, size_t len);
