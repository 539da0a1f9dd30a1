/* Symbolizer: heap-profile addresses to function names, on elfutils libdwfl.
 *
 * Each address is mapped through the dump's MAPPED_LIBRARIES to a module
 * (the executable or a shared library) and a file offset, converted to the
 * module's ELF address with its PT_LOAD headers (so PIE and prelinked
 * libraries work alike), and looked up in that module:
 *   - where DWARF exists (in the file or a separate debug file found by
 *     build-id under /usr/lib/debug/.build-id or by debuglink): the function
 *     and the functions inlined into it down to the address, named like
 *     addr2line names them; file:line on request (sym_location),
 *   - otherwise the function from .symtab, else .dynsym (libdwfl picks the
 *     best table, also from the debug file), without its @VERSION suffix,
 *   - C++ names demangled with __cxa_demangle (libstdc++ is loaded with
 *     dlopen on first use, so C programs do not link it), then shortened
 *     like jeprof's ShortFunctionName (argument lists and template arguments
 *     removed),
 *   - "module+0xOFF" when nothing is known, "0xADDR" outside every mapping.
 *
 * One libdwfl session per module (a Dwfl holding one ELF, reported at its
 * link-time addresses) lives as long as the context; every distinct
 * (module, address) is resolved once and cached.
 *
 * The caller applies jeprof's FixCallerAddresses: it looks up addr - 1 for
 * every frame but the leaf.
 *
 * Why libdwfl rather than libelf+libdw by hand: it already implements the
 * symbol-table choice (.symtab in the file or its debug file, .dynsym,
 * MiniDebugInfo), the build-id/debuglink search for separate debug files
 * and the CU lookup by address; we only supply the address mapping. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "an_util.h"
#include "heap_profile.h"

struct sym_ctx;
struct sym_space;

/* What one address resolved to. names[first .. first+n) in the context's
 * name list (sym_names) are ids in the string pool, innermost (inlined)
 * frame first, the physical function last. */
struct sym_result {
        uint32_t first;
        uint32_t n;
        uint32_t mod;       /* where it was found, for sym_location */
        uint64_t vaddr;
        bool has_loc;       /* DWARF covers it */
        bool alloc;         /* a frame of the allocator itself */
};

/* "file:line" of the innermost frame of r as a pool id in *ret_id, or -1
 * when unknown. Looked up on demand because line tables are the biggest
 * part of the DWARF: only reported rows pay for them. Returns 0 or -ENOMEM. */
int sym_location(struct sym_ctx *c, const struct sym_result *r, int64_t *ret_id);

/* Create a symbolizer storing names in pool (not owned; must outlive it).
 * Returns 0 and *ret (free with sym_ctx_free), or -ENOMEM. */
int sym_ctx_new(struct au_strpool *pool, struct sym_ctx **ret);
void sym_ctx_free(struct sym_ctx *c);

/* The address space of one dump: its mappings bound to the context's
 * modules. binary, if not NULL, replaces the executable's path (the first
 * executable mapping in MAPPED_LIBRARIES). The profile must outlive the
 * space. Returns 0 and *ret (free with sym_space_free), or -ENOMEM. */
int sym_space_new(struct sym_ctx *c, const struct hp_profile *p, const char *binary,
                  struct sym_space **ret);
void sym_space_free(struct sym_space *s);

/* Resolve addr (already adjusted by the caller). The returned result points
 * into the context and stays valid until the next sym_lookup call. Returns 0
 * or -ENOMEM. */
int sym_lookup(struct sym_space *s, uint64_t addr, struct sym_result *ret);

/* The name list sym_result.first indexes. */
const uint32_t *sym_names(const struct sym_ctx *c);

/* jeprof's ShortFunctionName on a demangled name: drops argument lists
 * (with a trailing const), template arguments and a leading return type.
 * Returns a malloc'd string or NULL on ENOMEM. */
char *sym_short_name(const char *name);

/* True when a (short) function name is an allocator entry point or
 * internal: malloc family, operator new/new[], je_*, prof_*, imalloc*. */
bool sym_is_alloc_name(const char *name);

/* Number of modules opened and addresses resolved (for tests/benchmarks). */
void sym_stats(const struct sym_ctx *c, unsigned *ret_modules, unsigned long *ret_lookups);
