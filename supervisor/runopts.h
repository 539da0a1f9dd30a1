/* The command line of `oomwatch run` and the settings derived from it
 * that `oomwatch config` prints too. */
#pragma once
#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "mallconf.h"

/* File name prefix of the target's dumps inside the dump dir. */
#define RUN_DUMP_BASENAME "oomwatch"

struct run_opts {
        struct ow_config cfg;
        int verbosity;  /* -1 quiet, 0 normal, 1+ verbose */
};

/* Parse `run`'s argv (argv[0] = "run"): load -c FILE first, then apply
 * every option on top (the command line wins), then the target command
 * after the options or "--". Returns 0; 1 when --help was printed;
 * -EINVAL with *ret_err (malloc'd) for usage and configuration errors.
 * On success the caller owns o->cfg (cfg_free). */
int run_parse_args(int argc, char **argv, struct run_opts *o, char **ret_err);

/* Print `run --help` to out. */
void run_usage(FILE *out);

/* The absolute dump prefix for c: "<dump dir, absolute>/oomwatch".
 * *ret is malloc'd. Returns 0 or -errno. */
int run_dump_prefix(const struct ow_config *c, char **ret);

/* Warn about settings that work but are probably not what the user wants
 * (sampling finer than 2^10 bytes, profiling switched off, ...). */
void run_print_warnings(const struct ow_config *c, const struct mc_result *mc, FILE *out);
