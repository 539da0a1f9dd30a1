/* The facts of an incident, handed from the supervisor to the analysis
 * program (a fresh process image, as another user: it cannot share the
 * supervisor's memory) and kept in the bundle's temporary directory, so that
 * a bundle interrupted by the supervisor's death can be finished by the next
 * start.
 *
 * One JSON object (common/json), schema 1: every field of struct bundle the
 * writer (bundle.h) uses, under its own name; "config" {top, formats, engine,
 * hide [...], symbol_cache, debuginfod_urls, debuginfod_timeout_ms};
 * "timeline" (timeline.h: t0, points, marks, or null); "analysis" {uid, gid, groups [...]} (who runs
 * it); "dump_dir" (where the dumps came from); "originals" [{name, dev,
 * ino}] (dumps copied across file systems, removed from the dump directory
 * once the bundle is complete); "outputs" [names the writer fills]; "dir"
 * (the bundle's final path, for messages).
 *
 * Adding a field of struct bundle: one line in the table in bundlefacts.c.
 *
 * bf_read() points the bundle's borrowed strings into the parsed tree
 * (struct bf_read_result.tree): free the tree after the bundle. Functions
 * return >= 0 or -errno; nothing is logged. */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "bundle.h"
#include "config.h"

#define BF_FILE ".facts.json"
#define BF_MAX_BYTES (16 << 20)
#define BF_MAX_GROUPS 256
#define BF_MAX_OUTPUTS 64

struct bf_original {
        char *name;
        uint64_t dev, ino;
};

struct bf_extra {
        uid_t uid;                    /* the analysis's user and groups */
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        const char *dump_dir;
        struct bf_original *originals;
        size_t n_originals;
        const char *const *outputs;   /* NULL-terminated */
        const char *symbol_cache;     /* resolved directory, or NULL: none */
        pid_t writer;                 /* the supervisor that wrote the facts (set by bf_write) */
};

/* Write b (with the config subset of b->cfg) and x to f. Returns 0 or -EIO. */
int bf_write(const struct bundle *b, const struct bf_extra *x, FILE *f);

struct bf_read_result {
        struct json_value *tree;      /* owns every borrowed string below and in b */
        struct ow_config cfg;         /* b->cfg points here: free with cfg_free */
        struct bf_extra x;            /* groups, originals, outputs: malloc'd (bf_read_free) */
        char **argv;                  /* b->argv: the array (its strings are the tree's) */
        struct tl *timeline;          /* b->timeline, or NULL */
};

/* Parse text (len bytes) into *b (zeroed first) and *res. Returns 0,
 * -EINVAL with *ret_err (malloc'd) for text that is not facts of schema 1,
 * or -ENOMEM. */
int bf_read(const char *text, size_t len, struct bundle *b, struct bf_read_result *res, char **ret_err);

/* Read the whole of fd (at most BF_MAX_BYTES), NUL-terminated, into
 * *ret_text (malloc'd). Returns 0, -EFBIG, -ENOMEM or the read error. */
int bf_read_fd(int fd, char **ret_text, size_t *ret_len);

/* Free what bf_read made (after bundle_free of the bundle). */
void bf_read_free(struct bf_read_result *res);
