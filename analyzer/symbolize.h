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
 *     looked up in the module's symbol index (symindex.h), which gives
 *     dwfl_module_addrinfo's answer without scanning the table each time,
 *   - C++ names demangled with __cxa_demangle (libstdc++ is loaded with
 *     dlopen on first use, so C programs do not link it), then shortened
 *     like jeprof's ShortFunctionName (argument lists removed) but with the
 *     template arguments kept ("Shard<4>::append", not "Shard::append"),
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
        uint32_t mod;       /* its module, for sym_location; UINT32_MAX outside every mapping */
        uint64_t vaddr;
        bool has_loc;       /* DWARF covers it */
        bool alloc;         /* a frame of the allocator itself */
        bool unnamed;       /* no symbol: named "module+0xOFF" (or "0xADDR") */
};

/* "file:line" of the innermost frame of r as a pool id in *ret_id, or -1
 * when unknown. Looked up on demand because line tables are the biggest
 * part of the DWARF: only reported rows pay for them. Returns 0 or -ENOMEM. */
int sym_location(struct sym_ctx *c, const struct sym_result *r, int64_t *ret_id);

/* Source file and line of the k-th name of r (0: the innermost): for k = 0
 * the line of the address itself, for an outer function the line of its
 * call of the inlined function nested in it (DW_AT_call_file/_line), so an
 * inlined std::vector::push_back inside f() gives the line in f() that
 * calls it. *ret_file is a pool id or -1 (unknown), *ret_line 0 when
 * unknown. The inlined instances come from the indexes naming the address
 * built; the file names and lines need the unit's line table, which libdw
 * reads whole (the largest part of the DWARF): for a report's few rows
 * only. Returns 0 or -ENOMEM. */
int sym_frame_source(struct sym_ctx *c, const struct sym_result *r, uint32_t k, int64_t *ret_file,
                     int *ret_line);

/* Path of module mod (sym_result.mod) as the dump names it, owned by the
 * context; NULL for an address outside every mapping. */
const char *sym_module_path(const struct sym_ctx *c, uint32_t mod);

/* The GNU build-id of module mod as lower-case hex into buf (at least
 * 2 * 20 + 1 bytes for SHA-1 ids): returns its length in bytes, 0 (buf "")
 * when the module has none or cannot be read, -ERANGE when buf is too
 * small. Opens the module if no lookup did yet. */
int sym_module_build_id(struct sym_ctx *c, uint32_t mod, char *buf, size_t len);

/* What the symbolizer knows about module mod: the path the dumps name,
 * how many distinct addresses it resolved in it, the separate debug file
 * its names came from (NULL: none or in the file itself) and what
 * debuginfod said (enum sf_debuginfod: 0 not asked). */
struct sym_module_info {
        const char *path;
        unsigned long addresses;
        const char *debug_file;
        int debuginfod;
        bool readable;      /* its file could be opened as an ELF module */
};
size_t sym_module_count(const struct sym_ctx *c);
void sym_module_info(const struct sym_ctx *c, uint32_t mod, struct sym_module_info *ret);

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

/* Where separate debug files come from (symfiles.h): the cache of
 * decompressed copies (cache_dir borrowed; NULL: none) and debuginfod (at
 * most debuginfod_ms from now for all queries; 0: no limit of our own; only
 * for the build-ids debuginfod_only lists, when not NULL: borrowed). */
void sym_ctx_set_files(struct sym_ctx *c, const char *cache_dir, uint64_t cache_max, bool debuginfod,
                       unsigned debuginfod_ms, const char *const *debuginfod_only);

/* Write decompressed copies of the compressed debug files whose DWARF was
 * read into the cache (symfiles.h). Returns how many were written. */
int sym_cache_store(struct sym_ctx *c);

/* The string of a pool id the context returned (names, sym_location,
 * sym_frame_source), valid as long as the pool. */
const char *sym_str(const struct sym_ctx *c, uint32_t id);

/* jeprof's ShortFunctionName on a demangled name, template arguments kept:
 * drops argument lists (with a trailing const; parentheses inside template
 * arguments stay) and a leading return type (before "word::" or
 * "word<...>::", or before a function template's name at the end).
 * Returns a malloc'd string or NULL on ENOMEM. */
char *sym_short_name(const char *name);

/* True when a (short) function name is an allocator entry point or
 * internal: malloc family, operator new/new[], je_*, prof_*, imalloc*. */
bool sym_is_alloc_name(const char *name);

/* Number of modules opened and addresses resolved (for tests/benchmarks). */
void sym_stats(const struct sym_ctx *c, unsigned *ret_modules, unsigned long *ret_lookups);
