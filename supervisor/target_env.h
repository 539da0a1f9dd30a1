/* What the target starts with: its environment, planned once per
 * supervisor before the first start.
 *
 *  - MALLOC_CONF (and, for a program with a built-in prefixed jemalloc,
 *    the variable that one reads, e.g. _RJEM_MALLOC_CONF);
 *  - LD_PRELOAD: the system libjemalloc for a program without jemalloc
 *    (profiling.preload_jemalloc), then the agent, then whatever
 *    LD_PRELOAD the supervisor itself was given; what the program really
 *    is (a script's interpreter, a pyenv shim's python, CPython, Go, a
 *    static program, ...) decides whether preloading can work (runtime.h);
 *  - PYTHONMALLOC=malloc for CPython with preloaded jemalloc
 *    (profiling.python_malloc), unless the environment sets PYTHONMALLOC;
 *  - with profiling.processes: OOMWATCH_AGENT_SCOPE, OOMWATCH_AGENT_MALLOC_CONF
 *    and OOMWATCH_AGENT_JEMALLOC (agent_proto.h);
 *  - the agent's three variables (agent_proto.h), whose values the spawned
 *    child fills in after fork, in its own copy of the struct
 *    ac_child_env that the plan's envp points into.
 *
 * Nothing here logs: what the plan decided, and why, comes back through
 * the note callback (level 0: a warning for every run, 1: verbose).
 * Functions return >= 0 or -errno; outputs are left untouched on failure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "agentctl.h"
#include "config.h"
#include "runtime.h"

typedef void (*te_note_fn)(void *userdata, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct te_plan {
        char **envp;          /* NULL-terminated; envp[0..n_owned) are malloc'd, the agent's
                               * strings after them point into the caller's ac_child_env */
        size_t n_owned;
        bool has_jemalloc;    /* the target will have jemalloc: its own or preloaded */
        char *preload;        /* the libjemalloc preloaded, or NULL */
        char *conf_env;       /* the prefixed jemalloc's variable, or NULL for plain MALLOC_CONF */
        bool set_pythonmalloc; /* PYTHONMALLOC=malloc is in envp */
        bool agent;           /* the agent is in envp: only with a profiling jemalloc */
        /* what the target is and what that means (runtime.h), for the log,
         * the status file, the event log and the report */
        enum rt_kind runtime;
        char *program;        /* the ELF file that runs, or NULL */
        char *via;            /* how it was reached from the command, or NULL */
        char *why;            /* !has_jemalloc: why there is no heap profile, or NULL */
        char *note;           /* the runtime's note (its own memory, its own tool), or NULL */
};

/* The agent library: next to the oomwatch executable, in <prefix>/lib/oomwatch/
 * relative to it, or in the configured LIBDIR. Returns a malloc'd path, or
 * NULL when none is readable. */
char *te_find_agent(void);

/* A file that comes with oomwatch (the agent, the analysis program): next
 * to the oomwatch executable, in <prefix>/lib/oomwatch/ relative to it, or
 * in LIBDIR/oomwatch, accessible with mode (R_OK, X_OK). Returns a malloc'd
 * path, or NULL. */
char *te_find_companion(const char *name, int mode);

/* Plan the environment of c's target from the supervisor's own environ:
 * malloc_conf is the composed MALLOC_CONF (mallconf.h); agent_path NULL
 * means no agent (then agent_env is not used). agent_env must outlive the
 * plan. Returns 0 and fills *ret (free with te_plan_free), or -ENOMEM. */
int te_plan(const struct ow_config *c, const char *malloc_conf, const char *agent_path,
            struct ac_child_env *agent_env, te_note_fn note, void *userdata, struct te_plan *ret);

void te_plan_free(struct te_plan *p);

/* Replace the MALLOC_CONF of a plan without an agent (and the prefixed
 * jemalloc's variable). Returns 0, or -ENOMEM (the plan unchanged). */
int te_plan_set_malloc_conf(struct te_plan *p, const char *malloc_conf);

/* Make the agent's three variables empty and inert (no channel this start). */
void te_agent_env_inert(struct ac_child_env *agent_env);
