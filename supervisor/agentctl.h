/* agentctl: the supervisor's side of the agent's sockets (agent_proto.h):
 * the rendezvous the whole tree inherits, and one channel (struct ac) per
 * registered process.
 *
 * Built for a single-threaded epoll loop:
 * nothing blocks, nothing logs, nothing reads a clock by itself except
 * ac_now_ms() (every time-dependent call takes the loop's "now"). Functions
 * return >= 0 on success and -errno on failure; outputs go through ret_
 * pointers, left untouched on failure.
 *
 * Use:
 *     ac_rv_prepare(&rv, &child_fd)       before fork
 *     child:  fd = ac_child_inherit(child_fd, AGENT_CHILD_FD);
 *             ac_child_env(fd, getpid(), &env);    (async-signal-safe)
 *             execve with env.fd, env.pid, env.ino and LD_PRELOAD in envp
 *     parent: close(child_fd); epoll_ctl(ADD, rv, EPOLLIN)
 *     rv readable: while (ac_rv_receive(rv, &fd, &pid) ...) ac_adopt(fd, &ac)
 *             (after checking that pid belongs to the target's tree)
 *             epoll_ctl(ADD, ac_fd(ac), EPOLLIN)
 *     readable:   ac_on_readable(ac), then drain ac_next_reply()
 *     timerfd:    ac_next_deadline() -> arm; on expiry ac_expire(ac, now),
 *                 then drain ac_next_reply()
 *     ac_request(ac, AC_OP_DUMP, now, &id)
 *     process gone (hangup): ac_free(ac)
 * ac_prepare() makes a channel pair directly (tests, drivers). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent_proto.h"

struct ac;

enum ac_op {
        AC_OP_PING,
        AC_OP_DUMP,
        AC_OP_GDUMP_ON,
        AC_OP_GDUMP_OFF,
        AC_OP_ACTIVE_ON,
        AC_OP_ACTIVE_OFF,
        _AC_OP_MAX
};

enum ac_kind {
        AC_NO_HELLO,       /* nothing heard yet (agent not loaded yet, or never: static or setuid target) */
        AC_READY,          /* jemalloc with profiling: requests are served */
        AC_NO_JEMALLOC,    /* the target has no jemalloc the agent can find */
        AC_NO_PROF,        /* jemalloc, but opt.prof is false (or not built in: prof_built) */
        AC_FAILED,         /* jemalloc with profiling, but the agent could not start */
        AC_INACTIVE,       /* jemalloc with profiling, outside profiling.processes: prof.active off */
};

/* The last hello, the current one. Strings are owned by the struct ac and
 * valid until the next ac_on_readable() or ac_free(). */
struct ac_state {
        enum ac_kind kind;
        pid_t pid;               /* the agent's getpid() (0 before a hello) */
        unsigned hellos;         /* hellos received: > 1 after an exec of the target */
        bool prof_built;         /* false: jemalloc was built without profiling */
        bool prof_active;        /* prof.active at hello time */
        bool hangup;             /* every copy of the target's end is closed */
        const char *mallctl;     /* symbol in use, "" when none */
        const char *where;       /* "dynamic" or "exe" (the executable's .symtab), "" */
        const char *version;     /* jemalloc's, "" when unknown */
        const char *prefix;      /* opt.prof_prefix, "" when unknown */
        uint64_t bad_messages;   /* datagrams rejected as malformed (never fatal) */
        uint64_t stray_replies;  /* well-formed replies to no pending request */
};

#define AC_TEXT_MAX AGENT_MSG_MAX

struct ac_reply {
        uint64_t id;
        enum ac_op op;
        int error;                  /* 0: ok; else a positive errno (ETIMEDOUT, EPIPE, the agent's) */
        char text[AC_TEXT_MAX + 1]; /* ok: the detail (dump: the file's absolute path); else the reason */
};

#define AC_TIMEOUT_MS 10000u     /* default time a request may take */
#define AC_PENDING_MAX 32u       /* requests in flight or completed but not collected */

/* Create the channel: socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC),
 * the supervisor's end non-blocking. *ret_child_fd (optional) is the end
 * for the child; it stays owned by the struct ac (closed by ac_forked() or
 * ac_free()). Returns 0, -ENOMEM, or the socketpair error. */
int ac_prepare(struct ac **ret, int *ret_child_fd);

/* The rendezvous: socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC);
 * *ret_fd is the supervisor's end (non-blocking, SO_PASSCRED),
 * *ret_child_fd the end for the tree (give it to ac_child_inherit() in the
 * child; close it in the parent after fork). Returns 0 or -errno. */
int ac_rv_prepare(int *ret_fd, int *ret_child_fd);

/* Take one registration from the rendezvous without blocking. Returns 1
 * with *ret_fd (the process's channel end, close-on-exec, owned by the
 * caller) and *ret_pid (the sender's pid, from the kernel, in our pid
 * namespace), 0 when none is waiting, -EBADMSG for a datagram that is not
 * exactly one well-formed registration with one socket and credentials
 * (dropped, every fd it carried closed: go on reading), or another -errno
 * of recvmsg. The channel was checked to be an AF_UNIX SOCK_SEQPACKET
 * socket made by the sender (SO_PEERCRED pid == *ret_pid). -EPIPE: no
 * process holds the tree's end any more (remove rv_fd from epoll). */
int ac_rv_receive(int rv_fd, int *ret_fd, pid_t *ret_pid);

/* A struct ac around a channel end received by ac_rv_receive(): made
 * non-blocking, owned by the struct ac from now on (closed by ac_free).
 * Returns 0, -ENOMEM, -errno (the fd is closed then too). */
int ac_adopt(int fd, struct ac **ret);

/* The supervisor's end, for epoll (EPOLLIN). */
int ac_fd(const struct ac *ac);

/* In the parent after fork (or after a failed fork): close the child's end.
 * Idempotent. */
void ac_forked(struct ac *ac);

/* Change the time a request may take (default AC_TIMEOUT_MS; 0 keeps it). */
void ac_set_timeout(struct ac *ac, unsigned ms);

/* In the forked child, async-signal-safe: make child_fd survive execve.
 * With want_fd >= AGENT_FD_MIN and != child_fd, move it there (dup2, which
 * leaves the new fd inheritable) and close child_fd; if that fails, or with
 * want_fd < 0, clear FD_CLOEXEC on child_fd itself. Returns the fd now
 * holding the channel, or -errno. */
int ac_child_inherit(int child_fd, int want_fd);

struct ac_child_env {
        char fd[AGENT_ENV_BUF];   /* "OOMWATCH_AGENT_FD=<n>" */
        char pid[AGENT_ENV_BUF];  /* "OOMWATCH_AGENT_PID=<pid>" */
        char ino[AGENT_ENV_BUF];  /* "OOMWATCH_AGENT_INO=<inode>" */
};

/* In the forked child, async-signal-safe, no allocation: fill the three
 * environment strings for fd (the value ac_child_inherit returned) and pid
 * (the child's getpid()). Returns 0, -EBADF (fd not open), -EINVAL. */
int ac_child_env(int fd, pid_t pid, struct ac_child_env *ret);

/* Read what the agent sent: up to a batch of datagrams, without blocking.
 * Hellos update the state; replies complete their request (collect with
 * ac_next_reply()); malformed datagrams are counted and dropped. On hangup
 * every pending request fails with EPIPE and the state's hangup is set;
 * remove the fd from epoll then (it stays readable). Returns a mask of
 * AC_EV_* (0: nothing of note), or -errno of recvmsg. */
enum {
        AC_EV_HELLO = 1,   /* a hello arrived: ac_state() changed */
        AC_EV_REPLY = 2,   /* at least one reply waits in ac_next_reply() */
        AC_EV_HANGUP = 4,  /* the channel is closed for good */
};
int ac_on_readable(struct ac *ac);

/* Send a request; *ret_id (optional) gets its id (never 0; ids only grow).
 * now_ms is CLOCK_MONOTONIC milliseconds (ac_now_ms()); the request fails
 * with ETIMEDOUT in ac_expire() unless answered within the timeout, and the
 * agent refuses to start it after that time. Returns 0;
 * -EOPNOTSUPP when the current hello says the target cannot serve requests
 * (no jemalloc, no profiling, agent failed: ac_state_reason() says why);
 * -EPIPE after hangup; -EBUSY with AC_PENDING_MAX requests in flight;
 * -EAGAIN when the channel is full; -EINVAL for a bad op; other -errno of
 * send. Before the first hello the request is sent: the agent reads it once
 * it starts. */
int ac_request(struct ac *ac, enum ac_op op, uint64_t now_ms, uint64_t *ret_id);

/* Pop one completed request, oldest completion first. Returns 1 and fills
 * *ret, or 0 when none is waiting. */
int ac_next_reply(struct ac *ac, struct ac_reply *ret);

/* The earliest deadline of a pending request (CLOCK_MONOTONIC ms). Returns
 * 1 and sets *ret_ms, or 0 when nothing is pending. */
int ac_next_deadline(const struct ac *ac, uint64_t *ret_ms);

/* Fail (ETIMEDOUT) every pending request whose deadline is <= now_ms.
 * Returns how many. */
int ac_expire(struct ac *ac, uint64_t now_ms);

/* Requests sent and not yet completed. */
unsigned ac_pending(const struct ac *ac);

const struct ac_state *ac_state(const struct ac *ac);

/* One line for humans on why requests cannot be served in state s ("" when
 * they can), e.g. "the target has no jemalloc ...". Static storage. */
const char *ac_state_reason(const struct ac_state *s);

const char *ac_op_name(enum ac_op op);

/* One word for a kind: "nohello", "ready", "nojemalloc", "noprof",
 * "failed", "inactive". Static storage. */
const char *ac_kind_name(enum ac_kind k);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t ac_now_ms(void);

/* Close both ends and free everything; NULL is fine. */
void ac_free(struct ac *ac);
