/* The supervisor's control socket: how `oomwatch dump` and `oomwatch status`
 * reach a running supervisor.
 *
 * AF_UNIX SOCK_SEQPACKET, one request per connection, one datagram each way:
 *     client:  "dump" | "dump baseline" | "where" | "status"; a dump may
 *              end in " pid=<N>": that process of the target's tree (without
 *              it the supervisor picks the one holding the most memory)
 *     server:  "ok <absolute path of the dump>" (where: "ok <dump dir>",
 *              status: "ok <the status file's JSON>")
 *              | "err <reason for humans>"
 *
 * Where it listens (svid.h names the supervisor uniquely, also across PID
 * namespaces):
 *   - run as root: /run/oomwatch/<svid>.sock, in a directory only root may
 *     write, so that no other user can take the name first; where that
 *     directory cannot be used, the abstract name "oomwatch/<svid>";
 *   - otherwise: the abstract name "oomwatch/<svid>";
 *   - always also control.sock in its state directory inside the dump
 *     directory (statedir.h): the way in for a sidecar or a node shell that
 *     shares the dump volume but not the PID or network namespace.
 * Socket files are mode 0600: another user's connect fails with EACCES.
 * The server serves only clients with its effective uid, or root
 * (SO_PEERCRED), and tells the others "permission denied". Clients check
 * the server the same way before they believe an answer: the process they
 * asked for (by pid), the owner of the state directory (by dump directory),
 * root or themselves (by socket path); an abstract name another user took
 * first is refused, never trusted.
 *
 * All fds are close-on-exec; nothing here logs. Functions return >= 0 or
 * -errno. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_MSG_MAX 65536
#define CTL_RUN_DIR "/run/oomwatch"
#define CTL_SOCK_NAME "control.sock"      /* in the state directory */
#define CTL_REFUSAL_WINDOW_MS 10000       /* refusals: one log line per window at most */

/* ---- server ----------------------------------------------------------------- */

struct ctl_server;

/* Listen as supervisor svid (non-blocking sockets), and in the state
 * directory sd_fd (-1: not there). Returns 0 with at least one socket;
 * warnings for the sockets that could not be made come back in *ret_warn
 * (malloc'd or NULL). -errno when none could. */
int ctl_listen(const char *svid, int sd_fd, struct ctl_server **ret, char **ret_warn);

/* The listening fds (for epoll): returns how many, at most max. */
int ctl_listen_fds(const struct ctl_server *s, int *fds, int max);

/* Accept one client on listen_fd (one of ctl_listen_fds) and check its
 * credentials. Returns the client fd (non-blocking), -EAGAIN when none is
 * waiting, -EPERM for a client of another user (told "permission denied"
 * and closed; counted for ctl_refusals), or -errno. */
int ctl_accept(struct ctl_server *s, int listen_fd);

/* A line to log about refused clients, at most one per
 * CTL_REFUSAL_WINDOW_MS: the first refusal at once, then the count of the
 * ones after it. flush: now, whatever the window (at exit). Returns 1 with
 * the line in buf, 0 when nothing is due. */
int ctl_refusals(struct ctl_server *s, uint64_t now_ms, bool flush, char *buf, size_t len);

/* When ctl_refusals has a line due (CLOCK_MONOTONIC ms), or UINT64_MAX. */
uint64_t ctl_refusals_deadline(const struct ctl_server *s);

/* Close the sockets (and clients) and remove their files. Safe with NULL. */
void ctl_close(struct ctl_server *s);

/* ---- the server's clients, for one epoll loop ------------------------------- */

#define CTL_CLIENTS_MAX 8                 /* at a time; more are told "busy" */

/* Register the listening sockets in epoll_fd (data.u64 = listen_tag |
 * index << 8); clients accepted later get client_tag | slot << 8. Returns
 * 0, or the -errno of the first socket that could not be registered. Safe
 * with s NULL (no server). */
int ctl_serve(struct ctl_server *s, int epoll_fd, unsigned listen_tag, unsigned client_tag);
/* The listening socket index is readable: accept every waiting client into
 * a free slot (refused ones are counted for ctl_refusals). */
void ctl_on_listen(struct ctl_server *s, unsigned index);
/* The client in slot is readable: its request, as ctl_read_request; -EBADF
 * for a free slot. */
int ctl_client_request(struct ctl_server *s, int slot, pid_t *ret_proc);
/* The client's answer comes later (a dump): no more events from it. */
void ctl_client_wait(struct ctl_server *s, int slot);
/* Answer the client in slot (text NULL: no answer, it hung up or sent
 * nonsense) and close it; nothing for a free slot. */
void ctl_client_answer(struct ctl_server *s, int slot, bool ok, const char *text);

enum ctl_request { CTL_DUMP = 1, CTL_DUMP_BASELINE, CTL_WHERE, CTL_STATUS };

/* Read the client's request. Returns a ctl_request, 0 when the client sent
 * nothing usable (or hung up), -errno. *ret_proc: the process a dump names
 * with pid=N, else 0. */
int ctl_read_request(int client_fd, pid_t *ret_proc);

/* Send the answer; the caller closes client_fd after it with ctl_hangup. */
int ctl_reply(int client_fd, bool ok, const char *text);

/* Close a client so that it still reads the answer sent to it. */
void ctl_hangup(int client_fd);

/* ---- client ----------------------------------------------------------------- */

/* How a command names a supervisor. */
struct ctl_addr {
        pid_t pid;          /* > 0: by pid (as this process sees it) */
        char *dir;          /* a dump directory: its state directory's socket */
        char *socket;       /* a socket path */
        pid_t proc;         /* a dump of this process of the target's tree; 0: the supervisor picks */
};

void ctl_addr_free(struct ctl_addr *a);

/* Ask the supervisor at a: send request and wait for the answer (at most
 * timeout_ms). Returns 0 and the answer in *ret (malloc'd); -errno with the
 * reason for humans in *ret (the supervisor's, or why it was not asked or
 * not believed). -ECONNREFUSED / -ENOENT: nobody listens there. */
int ctl_request(const struct ctl_addr *a, enum ctl_request request, unsigned timeout_ms, char **ret);

/* The pids of running `oomwatch run` supervisors other than ourselves
 * (from /proc). Returns the count; fills up to max into pids. */
int ctl_find_supervisors(pid_t *pids, int max);

/* The supervisor a command names: arg is a pid, a dump directory or a
 * socket path; with arg NULL the one running on this machine. On failure
 * prints "oomwatch <cmd>: reason" on stderr (what_else: how else to name
 * one, for the "none running" case) and returns the exit status: 125 for a
 * bad argument or several supervisors, 1 for none. Returns 0 and fills
 * *ret (free with ctl_addr_free) on success. */
int ctl_pick_supervisor(const char *cmd, const char *arg, const char *what_else, struct ctl_addr *ret);
