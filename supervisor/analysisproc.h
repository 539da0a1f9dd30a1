/* The analysis process: the program oomwatch-analysis (analysis/main.c), a
 * fresh process image, so the supervisor never maps the analyzer's
 * libraries (libdw, libelf) and never parses a target's files itself.
 *
 * For a bundle it runs as the target's user (or report.user), with no
 * capabilities and no way to gain any (no_new_privs), with CPU, address
 * space and file size limits, killed with the supervisor (PR_SET_PDEATHSIG),
 * in the bundle's temporary directory as its working directory, with only
 * the fds it is given: what it reads is what that user could read.
 *
 * `oomwatch diff` and `oomwatch trend` are the same program, exec'd in place
 * (ap_exec_command).
 *
 * Nothing here logs, except ap_exec_command (it is a command's front end).
 * Functions return >= 0 or -errno. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AP_PROGRAM "oomwatch-analysis"

/* Who runs the analysis. */
struct ap_user {
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t n_groups;
};

/* The program, opened (O_RDONLY|O_CLOEXEC) once at start so that later
 * analyses do not depend on paths (and run where the analysis's user could
 * not reach the program's directory). Returns the fd; -ENOENT when it is
 * not found (*ret_path NULL), else the open error. *ret_path: malloc'd. */
int ap_open_program(char **ret_path);

struct ap_spawn {
        int program_fd;
        int cwd_fd;                 /* its working directory */
        const struct ap_user *user; /* NULL: stay who we are (not root) */
        char *const *argv;          /* argv[0] the program's name */
        const int *fds;             /* given as fds 3, 4, ... in this order */
        size_t n_fds;
        uint64_t cpu_seconds;
        uint64_t address_space;     /* bytes; 0: no limit */
        uint64_t file_size;         /* bytes; 0: no limit */
};

/* Fork and exec it. Returns 0 with *ret_pid; -errno when nothing was forked.
 * A failure in the child (dropping privileges, exec) makes it exit 127
 * after saying why on stderr. */
int ap_spawn(const struct ap_spawn *p, pid_t *ret_pid);

/* Wait for pid at most timeout_ms (then SIGKILL it). Returns 0 with
 * *ret_status (waitpid's), or -errno. */
int ap_wait(pid_t pid, unsigned timeout_ms, int *ret_status);

/* `oomwatch diff|trend ARGS`: become the analysis program with the same
 * arguments. Returns (an exit status) only when it cannot. */
int ap_exec_command(int argc, char **argv);

/* The user a bundle's analysis runs as: name (report.user) when set, else
 * the target's user and group as configured (target.user, target.group),
 * else our own. *ret_groups is malloc'd. Returns 0, -ENOENT with *ret_what
 * naming what was not found. */
int ap_resolve_user(const char *name, const char *target_user, const char *target_group, struct ap_user *ret,
                    gid_t **ret_groups, const char **ret_what);
