/* The incident bundle: <report dir>/<UTC YYYYmmddTHHMMSSZ>-<pid>/ with
 * report.txt, incident.json, growth.collapsed, growth.svg and dumps/.
 *
 * struct bundle holds the facts of an incident. The supervisor fills them
 * and makes the directory (incident.h, bundledir.h); the analysis program
 * (analysis/main.c) gets them (bundlefacts.h) and writes the files with
 * bundle_write(), or bundle_write_fallback() when the analysis failed, each
 * through the fd the supervisor created it as (b->out_names, b->out_fds),
 * in the bundle's temporary directory as its working directory. Only the
 * analysis program links these two (and with them the analyzer);
 * bundle_free() is everyone's (bundlefacts.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"

struct tl;

struct bundle_dump {
        char *file;        /* relative to the bundle: "dumps/<name>" */
        pid_t pid;
        uint64_t seq;
        char kind;
        uint64_t bytes;
        bool baseline;
        char *error;       /* why the analysis could not use it ("FILE:LINE: reason"), or NULL */
};

struct bundle {
        char *dir;                 /* absolute bundle directory */
        const struct ow_config *cfg;
        const char *verdict;       /* "oom-kill", "exit", "signal", "exec-failed" */
        char *const *argv;
        char *exe;                 /* absolute path of the target's program, or NULL (for jeprof) */
        pid_t pid;
        int exit_code;             /* -1: none */
        int signal;                /* 0: none */
        int cg_version;
        uint64_t memory_limit;
        uint64_t peak;             /* 0: unknown */
        uint64_t oom_kills;        /* rise of the cgroup's counter during this run */
        bool mem_valid;            /* the last sample of the cgroup's memory before the end: */
        uint64_t mem_usage, mem_anon, mem_file;
        char *no_profile_why;      /* why the target has no heap profile, when known (malloc'd) */
        /* what the target is (runtime.h), when known; borrowed, outlive the bundle */
        const char *runtime;       /* rt_kind_name(): "cpython", "go", ... */
        const char *runtime_title; /* rt_kind_title(): "CPython", ... */
        const char *program;       /* the ELF file that ran, or NULL */
        const char *via;           /* how it was reached from the command, or NULL */
        const char *runtime_note;  /* what the runtime means for the heap profile, or NULL */
        bool profiling;            /* the target was given a profiling jemalloc */
        struct timespec died;      /* CLOCK_MONOTONIC, for analysis_ms */
        /* identity, so that bundles from a fleet can be told apart */
        struct timespec when;      /* CLOCK_REALTIME of the end ("time"); 0: unknown */
        const char *host;          /* the host (in a pod: the pod's) name, or NULL (borrowed) */
        const char *container;     /* the target's cgroup as the hierarchy names it (borrowed) */
        const char *cg_mode;       /* "child" or "own" (static) */
        const char *limit_from;    /* the cgroup directory whose limit applied, or NULL (borrowed) */
        uint64_t cg_id;            /* the cgroup's id (v2: the inode of its directory); 0: unknown */
        char build_id[84];         /* the exe's GNU build-id, hex; "": none */
        /* verdict unobserved-kill: the run ended with its supervisor, found
         * in the run record at the next start; when is the last sample's time */
        bool unobserved;
        const char *unobserved_cause;  /* POL_CAUSE_* (static) */
        bool counters_seen;            /* that run's cgroup still showed its counters */
        uint64_t oom_kill_rise, oom_group_kill_rise;
        pid_t supervisor_pid;          /* that run's supervisor */
        const struct tl *timeline; /* the run's usage samples and marks (timeline.h), or NULL (borrowed) */
        /* the OOM killer's victim (incident.json "victim"), when there was one */
        bool has_victim;
        pid_t victim_pid;
        char *victim_command;      /* malloc'd */
        char *victim_exe;          /* malloc'd, or NULL when unknown */
        uint64_t victim_anon;      /* bytes of anonymous memory when killed; 0: unknown */
        const char *victim_source; /* "kmsg" (the kernel named it) or "observed" (static) */
        enum bundle_relation { BUNDLE_TARGET, BUNDLE_CHILD, BUNDLE_DESCENDANT } victim_relation;
        /* the memory of the process the diff is about, when that is not the
         * whole cgroup (a process of a tree): coverage is measured against it */
        uint64_t proc_mem;
        unsigned unbundled_kills;  /* OOM kills in the tree left without a bundle since the last one */
        struct bundle_dump *dumps; /* ordered by (pid, seq) */
        size_t n_dumps;
        int base_index, new_index; /* into dumps; -1: none */
        /* the analysis: the files it writes, each through its fd (borrowed) */
        const char *const *out_names;
        const int *out_fds;
        size_t n_outs;
};

/* Analyse and write every file of the bundle (incident.json last). A file
 * that cannot be written is named on stderr. Returns 0 or -errno. */
int bundle_write(struct bundle *b);

/* Write report.txt and incident.json saying why there is no analysis. */
int bundle_write_fallback(struct bundle *b, const char *why);

void bundle_free(struct bundle *b);

/* incident.html of b (bundle_page.c) to out, from the analysis' diff and
 * trend (either may be NULL) and b's timeline. Run inside the bundle
 * directory. Returns 0 or -errno. */
struct an_report;
int bundle_page(const struct bundle *b, const struct an_report *diff, const struct an_report *trend, FILE *out);

