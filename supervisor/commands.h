/* Subcommand entry points of the oomwatch program.
 *
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand itself) and returns the process exit status: 0 on success,
 * OW_EXIT_USAGE (125) for bad usage, bad input or an internal failure, or
 * as the subcommand documents. They print their own diagnostics on stderr,
 * prefixed "oomwatch <subcommand>: ". */
#pragma once

enum {
        OW_EXIT_USAGE = 125,   /* oomwatch itself failed: usage, config, set-up */
        OW_EXIT_NOEXEC = 126,  /* target found but not executable */
        OW_EXIT_NOTFOUND = 127 /* target not found */
};

int cmd_run(int argc, char **argv);
/* in the analysis program (analysis/main.c); oomwatch execs it for these */
int cmd_diff(int argc, char **argv);
int cmd_trend(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_status(int argc, char **argv);
