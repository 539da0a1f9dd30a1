/* The supervisor's control socket: how `oomwatch dump` asks a running
 * supervisor for a heap dump.
 *
 * An abstract AF_UNIX SOCK_SEQPACKET socket named "oomwatch/<supervisor
 * pid>" (no file to leave behind or to race on). Only clients with the
 * supervisor's effective uid, or root, are served (SO_PEERCRED).
 * One request per connection, one datagram each way:
 *     client:  "dump" | "dump baseline" | "where"
 *     server:  "ok <absolute path of the dump>" (where: "ok <dump dir>")
 *              | "err <reason for humans>"
 * All fds are close-on-exec; nothing here logs. Functions return >= 0 or
 * -errno. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CTL_MSG_MAX 4400

/* Listen as supervisor pid (non-blocking). Returns the fd. */
int ctl_listen(pid_t pid);

/* Accept one client (non-blocking fd) and check its credentials.
 * Returns the client fd, -EAGAIN when none is waiting, -EPERM for a
 * client of another user (already closed), or -errno. */
int ctl_accept(int listen_fd);

enum ctl_request { CTL_DUMP = 1, CTL_DUMP_BASELINE, CTL_WHERE };

/* Read the client's request. Returns a ctl_request, 0 when the client sent
 * nothing usable (or hung up), -errno. */
int ctl_read_request(int client_fd);

/* Send the answer; the caller closes client_fd after it. */
int ctl_reply(int client_fd, bool ok, const char *text);

/* Client: send request to supervisor pid and wait for the answer (at most
 * timeout_ms). Returns 0 and the answer (a path) in buf, or -errno with
 * the reason in buf (the supervisor's, or the connection's). */
int ctl_request(pid_t pid, enum ctl_request request, unsigned timeout_ms, char *buf, size_t len);

/* The pids of running `oomwatch run` supervisors other than ourselves
 * (from /proc). Returns the count; fills up to max into pids. */
int ctl_find_supervisors(pid_t *pids, int max);

/* The supervisor a command names: arg (a pid), or with arg NULL the one
 * running on this machine. On failure prints "oomwatch <cmd>: reason" on
 * stderr (what_else: how else to name one, for the "none running" case)
 * and returns the exit status: 125 for a bad pid or several supervisors,
 * 1 for none. Returns 0 and sets *ret on success. */
int ctl_pick_supervisor(const char *cmd, const char *arg, const char *what_else, pid_t *ret);
