/* Finding a jemalloc whose mallctl is not a dynamic symbol: a statically
 * linked, possibly prefixed jemalloc (Rust's tikv-jemallocator: _rjem_).
 * Runs inside the target: no allocation, bounded work, read-only. */
#pragma once
#include <stddef.h>

/* Look in the executable's own symbol table (/proc/self/exe, .symtab) for a
 * defined function "<prefix>mallctl" whose "<prefix>mallctlnametomib" is
 * defined too, <prefix> at most 32 identifier characters (possibly empty).
 * The address is checked to lie in an executable segment of the running
 * main program, and the file's program headers must equal the running
 * program's (so /proc/self/exe is the image that runs).
 *
 * Returns the function's run-time address and copies its name into name
 * (size len, NUL-terminated), or returns NULL when there is none, the file
 * has no .symtab (stripped), or anything about it looks wrong. */
void *agent_elf_find_mallctl(char *name, size_t len);
