/* The incident bundle: <report dir>/<UTC YYYYmmddTHHMMSSZ>-<pid>/ with
 * report.txt, incident.json, growth.collapsed, growth.svg and dumps/.
 *
 * bundle_create() runs in the supervisor: it makes the directory and
 * moves (or, across file systems, copies) the run's dumps into dumps/ at
 * once, so that no rotation can take them away and the next run of the
 * target starts with a dump directory of its own. bundle_write() does the analysis and
 * writes the files; the supervisor runs it in a forked child with a time
 * and memory limit. bundle_write_fallback() writes a minimal report when
 * that child failed. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"

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
        bool no_profile_why_set;
        char no_profile_why[160];  /* why the target has no heap profile, when known */
        struct timespec died;      /* CLOCK_MONOTONIC, for analysis_ms */
        struct bundle_dump *dumps; /* ordered by (pid, seq) */
        size_t n_dumps;
        int base_index, new_index; /* into dumps; -1: none */
};

/* Make the bundle directory (mode 0700, parents as needed) and move
 * b->dumps (on entry: bare names inside dump_dir_fd, malloc'd) into
 * dumps/; on return their file is "dumps/<name>". A dump that cannot be
 * moved or copied is dropped from the list (and the indexes adjusted).
 * Sets b->dir. Returns 0 or -errno with *ret_err. */
int bundle_create(struct bundle *b, const char *report_dir, int dump_dir_fd, char **ret_err);

/* Analyse and write every file of the bundle; incident.json last, so its
 * presence means the bundle is complete. Returns 0 or -errno. */
int bundle_write(struct bundle *b);

/* Write report.txt and incident.json saying why there is no analysis. */
int bundle_write_fallback(struct bundle *b, const char *why);

/* Print the head of report.txt (verdict, limit, peak, top growers) and
 * the bundle path to out. */
void bundle_print_head(const struct bundle *b, FILE *out, unsigned lines);

void bundle_free(struct bundle *b);

/* JSON string literal of s (escaped, quoted) to out. */
void json_write_string(FILE *out, const char *s);
