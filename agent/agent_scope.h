/* profiling.processes in the agent: does a program image match the
 * blank-separated patterns of AGENT_ENV_SCOPE, and the environment an exec
 * gives it (agent_proto.h).
 *
 * Everything here runs where the agent may not allocate or lock: in a
 * constructor and in the exec wrappers, also in a vfork child. So no
 * fnmatch(3) (which may allocate): a matcher of its own for '*', '?' and
 * '[...]' (ranges, '!' or '^' negation), bytes only, bounded recursion. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Does name match the glob pat (plen bytes)? */
bool agent_glob(const char *pat, size_t plen, const char *name);

/* Is any of names (up to n, NULL entries skipped) matched by one of the
 * blank-separated patterns in scope? */
bool agent_scope_match(const char *scope, const char *const *names, size_t n);

/* The base name of a path (after the last '/'), or path itself. */
const char *agent_base_name(const char *path);

/* The environment the program run by exec(path, argv) should get, when
 * env has AGENT_ENV_SCOPE and AGENT_ENV_MALLOC_CONF (else returns false
 * and env is used as it is): a program in scope gets the preloaded
 * jemalloc (AGENT_ENV_JEMALLOC) first in LD_PRELOAD and the profiling
 * MALLOC_CONF; one out of scope gets neither (the agent stays in
 * LD_PRELOAD, to give them back to what it execs in turn). out has room
 * for max pointers; buf for the new strings (len bytes). Returns false
 * (use env unchanged) when anything does not fit. No allocation. */
bool agent_exec_env(char *const *env, const char *path, char *const *argv, char **out, size_t max, char *buf,
                    size_t len);
