/* What the target really runs, and what that means for a heap profile.
 *
 * rt_detect() follows the command to the ELF program that will execute the
 * code: a script's "#!" line to its interpreter (also through
 * "#!/usr/bin/env NAME"), a version manager's shim (pyenv, rbenv, nodenv:
 * a shell script in <root>/shims that execs <root>/versions/<v>/bin/NAME)
 * to the version it selects (pyenv: a prefix such as "3.11" to the latest
 * installed 3.11.x; a version not installed to the system's program), a
 * command run through env(1) (its options and NAME=VALUE words applied to
 * the environment the program gets) or through "sh -c LINE" when LINE is
 * one simple command ("exec PROG ARGS", "$0"/"$@" from the shell's
 * arguments), and probes that ELF file (elfprobe.h) for its
 * runtime: CPython, Go, V8/Node.js, the JVM, a static program, or a plain
 * dynamically linked one. A shell script oomwatch cannot see through is
 * RT_SCRIPT.
 *
 * rt_plan() decides, from that and the configuration, whether jemalloc is
 * preloaded, whether CPython gets PYTHONMALLOC=malloc, whether there will be
 * a heap profile at all, and the sentences that say why (for the log, the
 * report, `oomwatch status` and the event log) and what the runtime's own
 * tool is when the heap profile cannot explain its memory.
 *
 * Pure logic on files and strings: no logging, no global state, nothing
 * but reads (each capped). Functions return >= 0 or -errno; outputs are
 * left untouched on failure. */
#pragma once
#include <stdbool.h>

#include "config.h"
#include "elfprobe.h"

enum rt_kind {
        RT_NATIVE,   /* a dynamically linked program: malloc can be jemalloc's */
        RT_CPYTHON,
        RT_GO,
        RT_NODE,     /* V8: Node.js or a program embedding V8 */
        RT_JVM,
        RT_STATIC,   /* statically linked, not Go: LD_PRELOAD cannot reach it */
        RT_SCRIPT,   /* a shell script that runs who knows what */
        RT_UNKNOWN,  /* not found, not readable, neither ELF nor script */
};

#define RT_MAX_HOPS 8   /* "#!" interpreters, shims, env and sh -c followed */

/* What detection reads besides the files: the environment the target gets
 * (for PATH, PYENV_VERSION, ...; NULL: none) and its working directory
 * (NULL: the current one). Borrowed. */
struct rt_env {
        char *const *envp;
        const char *workdir;
};

struct rt_info {
        enum rt_kind kind;
        char *command;       /* the command's file as found (PATH search), or NULL */
        char *program;       /* the ELF file that runs, or NULL (RT_SCRIPT, RT_UNKNOWN) */
        char *via;           /* how program was reached ("#!/usr/bin/env python3",
                              * "pyenv shim, version 3.11.7"), or NULL when it is the command */
        char *interpreter;   /* RT_SCRIPT: the shell named by "#!" */
        struct ep_info ep;   /* of program, when there is one */
        bool probed;         /* ep is valid */
        int error;           /* RT_UNKNOWN: -errno of finding or reading the command */
        char *command_line;  /* a "sh -c" LINE not followed (more than one simple command), or NULL */
        char *env_loss;      /* the wrapper word that takes away what oomwatch sets for the
                              * target ("env -i", "env -u LD_PRELOAD"), or NULL */
        bool loses_preload;  /* LD_PRELOAD unset or replaced on the way */
        bool loses_conf;     /* a *MALLOC_CONF unset or replaced on the way */
        bool pythonmalloc_set; /* a wrapper set or unset PYTHONMALLOC: pythonmalloc is its value */
        char *pythonmalloc;
};

/* Detect what the command argv (NULL-terminated, argv[0] the program)
 * runs. Returns 0 and fills *ret (free with rt_info_free;
 * a command that cannot be found or read gives RT_UNKNOWN with ret->error),
 * or -ENOMEM. */
int rt_detect(char *const *argv, const struct rt_env *env, struct rt_info *ret);
void rt_info_free(struct rt_info *info);

/* "native", "cpython", "go", "node", "jvm", "static", "script", "unknown" */
const char *rt_kind_name(enum rt_kind k);
/* "CPython", "Go", "Node.js (V8)", ... for sentences */
const char *rt_kind_title(enum rt_kind k);

/* The environment's value of name, or NULL. */
const char *rt_getenv(char *const *envp, const char *name);

struct rt_decision {
        bool preload;          /* preload the system libjemalloc */
        bool set_pythonmalloc; /* add PYTHONMALLOC=malloc */
        bool profiling;        /* the target will have a profiling jemalloc */
        char *why;             /* !profiling: why, one sentence for users; else NULL */
        char *note;            /* what the runtime means for the heap profile and its own
                                * tool, or NULL when nothing needs saying */
        char *plan;            /* for the verbose log: what was done, or NULL */
        bool note_warns;       /* the note says the profile will miss most of the memory */
};

/* Decide for info under c. jemalloc_lib: the system libjemalloc found, or
 * NULL. user_pythonmalloc: PYTHONMALLOC in the target's environment, or
 * NULL (a wrapper's, info->pythonmalloc, wins). Returns 0 and fills *ret (strings malloc'd: rt_decision_free), or
 * -ENOMEM. */
int rt_plan(const struct rt_info *info, const struct ow_config *c, const char *jemalloc_lib,
            const char *user_pythonmalloc, struct rt_decision *ret);
void rt_decision_free(struct rt_decision *d);
