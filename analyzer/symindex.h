/* Symbol index: address -> symbol name for one module, built once.
 *
 * libdwfl's dwfl_module_addrinfo scans the module's whole symbol table for
 * every address, so naming A addresses in a module of S symbols costs
 * A x S (45,000 symbols in libLLVM). The index reads the table once
 * through libdwfl (dwfl_module_getsym_info, so the choice of table stays
 * libdwfl's: the file's .symtab, a separate debug file's, .dynsym, and the
 * MiniDebugInfo .gnu_debugdata table merged with .dynsym), keeps the
 * symbols sorted by address, and answers each address with binary
 * searches: O(log S) plus the symbols that actually cover the address.
 *
 * The answer is exactly dwfl_module_addrinfo's (elfutils 0.188), which is
 * what the analyzer named frames with before the index existed:
 *   - the global symbols are searched first, the local ones only when no
 *     global one fits; a symbol fits when it has a size and covers the
 *     address; among those that fit, the one libdwfl's scan keeps (the
 *     highest start, else the stronger binding GLOBAL > WEAK > LOCAL, else
 *     the smaller size, else the first in the table), replayed in table
 *     order because a stronger binding further away also wins,
 *   - no sized symbol covers the address: a symbol without size (an
 *     assembly label) in the same section, at or after the end of every
 *     symbol below the address; past the end of the last function and
 *     with no label there is no name (never the preceding symbol's),
 *   - section, file and TLS symbols, undefined and unnamed ones never.
 * tests/unit/test_symindex.c compares it with dwfl_module_addrinfo at
 * every address of purpose-built modules and at thousands of addresses of
 * the system's libc and libstdc++.
 *
 * No global state. Names point into libdwfl's string data: the index is
 * valid as long as the Dwfl holding the module. */
#pragma once

#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdint.h>

struct si_index;

/* Build the index of mod's symbol table. A module without any symbol
 * table gives an empty index (every lookup answers 0). Relocatable
 * objects (ET_REL) are not indexed: *ret is NULL and the caller keeps
 * using libdwfl for them. Returns 0, or -ENOMEM. */
int si_build(Dwfl_Module *mod, struct si_index **ret);

void si_free(struct si_index *ix);

/* The symbol naming addr (a module address, as dwfl_module_addrinfo takes
 * it): returns 1 with *ret_name (libdwfl's string, version suffix
 * included) and *ret_sym (a dense id < si_count, e.g. for caching a
 * demangled name per symbol), or 0 when no symbol names addr. */
int si_lookup(const struct si_index *ix, uint64_t addr, const char **ret_name, uint32_t *ret_sym);

/* Number of symbols indexed (those that can name an address). */
size_t si_count(const struct si_index *ix);
