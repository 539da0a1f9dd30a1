/* Starting the target: fork, then in the child restore the signal mask
 * and dispositions, join the cgroup, drop privileges, set the parent-death
 * signal, change directory and execve. A failure in the child travels back
 * through a close-on-exec pipe as {stage, errno}, so the parent knows
 * whether the exec happened before it reports anything. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "agentctl.h"

enum spawn_stage {
        SPAWN_OK = 0,
        SPAWN_CGROUP,     /* joining the cgroup */
        SPAWN_GROUPS,     /* setgroups */
        SPAWN_SETGID,
        SPAWN_SETUID,
        SPAWN_PDEATHSIG,
        SPAWN_CHDIR,
        SPAWN_CHANNEL,    /* preparing the agent's channel */
        SPAWN_EXEC,
};

struct spawn_params {
        char *const *argv;
        char *const *envp;        /* complete environment */
        const char *workdir;      /* NULL: unchanged */
        bool drop;                /* change uid/gid/groups */
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t n_groups;
        int cgroup_procs_fd;      /* the child writes "0" to it; -1: stay */
        int agent_fd;             /* the agent channel's child end, inherited across exec; -1: none */
        struct ac_child_env *agent_env; /* filled in the child; envp points at its strings */
};

struct spawn_result {
        pid_t pid;                /* > 0 when a child was forked */
        enum spawn_stage stage;   /* SPAWN_OK when execve succeeded */
        int err;                  /* errno of the failed stage */
};

/* Fork and start the target. Returns 0 when the fork happened (check
 * ret->stage: the child may still have failed before or at execve, and
 * has then exited with 126 or 127; the caller reaps it as usual), or
 * -errno when nothing was started. */
int spawn_target(const struct spawn_params *p, struct spawn_result *ret);

/* Exit status for a failure at stage with errno err: 127 when the command
 * was not found, 126 when it could not be executed, 125 otherwise. */
int spawn_exit_status(enum spawn_stage stage, int err);

const char *spawn_stage_name(enum spawn_stage stage);

/* Resolve name to user and group ids and supplementary groups like
 * login would. user or group may be NULL. *ret_groups is malloc'd.
 * Returns 0, -ENOENT (no such user/group: *ret_what names which), -errno. */
int spawn_resolve_ids(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid, gid_t **ret_groups,
                      size_t *ret_n_groups, const char **ret_what);
