/* The supervisor's side of the agent channel: see agentctl.h for the use and
 * agent_proto.h for the wire format. Everything the agent sends is untrusted
 * input from the target: length-capped, parsed strictly, and a malformed
 * datagram is counted and dropped, never fatal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agentctl.h"

#define READ_BATCH 64   /* datagrams per ac_on_readable(): the loop has other work */

enum slot_state { SLOT_FREE, SLOT_PENDING, SLOT_DONE };

struct slot {
        enum slot_state state;
        enum ac_op op;
        uint64_t id;
        uint64_t deadline;
        uint64_t done_order;
        int error;
        char *text;             /* malloc'd; NULL reads as "" */
};

struct ac {
        int fd;
        int child_fd;
        unsigned timeout_ms;
        uint64_t last_id;
        uint64_t done_count;
        struct slot slots[AC_PENDING_MAX];
        struct ac_state st;
        char *strs[4];          /* mallctl, where, version, prefix of st */
        char buf[AGENT_MSG_MAX + 1];
};

static const char *const op_wire[_AC_OP_MAX] = {
        [AC_OP_PING] = "ping",           [AC_OP_DUMP] = "dump",
        [AC_OP_GDUMP_ON] = "gdump on",   [AC_OP_GDUMP_OFF] = "gdump off",
        [AC_OP_ACTIVE_ON] = "active on", [AC_OP_ACTIVE_OFF] = "active off",
};

const char *ac_op_name(enum ac_op op)
{
        return (unsigned)op < _AC_OP_MAX ? op_wire[op] : "?";
}

const char *ac_kind_name(enum ac_kind k)
{
        switch (k) {
        case AC_NO_HELLO: return "nohello";
        case AC_READY: return "ready";
        case AC_NO_JEMALLOC: return "nojemalloc";
        case AC_NO_PROF: return "noprof";
        case AC_FAILED: return "failed";
        case AC_INACTIVE: return "inactive";
        }
        return "?";
}

uint64_t ac_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int ac_prepare(struct ac **ret, int *ret_child_fd)
{
        struct ac *ac;
        int sv[2], fl;

        ac = calloc(1, sizeof(*ac));
        if (!ac)
                return -ENOMEM;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                int r = -errno;

                free(ac);
                return r;
        }
        /* Only our end is non-blocking: the two ends are separate open
         * files, the agent's stays blocking. */
        fl = fcntl(sv[0], F_GETFL);
        if (fl < 0 || fcntl(sv[0], F_SETFL, fl | O_NONBLOCK) < 0) {
                int r = -errno;

                close(sv[0]);
                close(sv[1]);
                free(ac);
                return r;
        }
        ac->fd = sv[0];
        ac->child_fd = sv[1];
        ac->timeout_ms = AC_TIMEOUT_MS;
        ac->st.kind = AC_NO_HELLO;
        ac->st.mallctl = ac->st.where = ac->st.version = ac->st.prefix = "";
        *ret = ac;
        if (ret_child_fd)
                *ret_child_fd = sv[1];
        return 0;
}

int ac_rv_prepare(int *ret_fd, int *ret_child_fd)
{
        int sv[2], one = 1, fl;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        fl = fcntl(sv[0], F_GETFL);
        if (fl < 0 || fcntl(sv[0], F_SETFL, fl | O_NONBLOCK) < 0 ||
            setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
                int r = -errno;

                close(sv[0]);
                close(sv[1]);
                return r;
        }
        *ret_fd = sv[0];
        *ret_child_fd = sv[1];
        return 0;
}

/* Is fd a channel end made by pid? */
static bool channel_of(int fd, pid_t pid)
{
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        int type = 0, domain = 0;
        socklen_t l1 = sizeof(type), l2 = sizeof(domain);

        return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) == 0 && type == SOCK_SEQPACKET &&
               getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l2) == 0 && domain == AF_UNIX &&
               getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 && cred.pid == pid;
}

#define RV_MAX_FDS 8    /* fds a hostile sender may attach that we must close */

int ac_rv_receive(int rv_fd, int *ret_fd, pid_t *ret_pid)
{
        char text[64];
        char cbuf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(RV_MAX_FDS * sizeof(int))]
                __attribute__((aligned(__alignof__(struct cmsghdr))));
        struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                             .msg_controllen = sizeof(cbuf) };
        struct ucred cred = { 0 };
        bool have_cred = false;
        int fds[RV_MAX_FDS], nfd = 0;
        ssize_t n;

        do
                n = recvmsg(rv_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        if (n == 0 && mh.msg_controllen == 0)
                return -EPIPE;  /* every copy of the tree's end is closed */
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                if (cm->cmsg_level != SOL_SOCKET)
                        continue;
                if (cm->cmsg_type == SCM_RIGHTS) {
                        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                        for (size_t i = 0; i < k; i++) {
                                int fd;

                                memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                                if (nfd < RV_MAX_FDS)
                                        fds[nfd++] = fd;
                                else
                                        close(fd);
                        }
                } else if (cm->cmsg_type == SCM_CREDENTIALS && cm->cmsg_len >= CMSG_LEN(sizeof(cred))) {
                        memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
                        have_cred = true;
                }
        }
        if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || nfd != 1 || !have_cred || cred.pid <= 0 ||
            (size_t)n != sizeof(AGENT_REGISTER) - 1 || memcmp(text, AGENT_REGISTER, (size_t)n) != 0 ||
            !channel_of(fds[0], cred.pid)) {
                for (int i = 0; i < nfd; i++)
                        close(fds[i]);
                return -EBADMSG;
        }
        *ret_fd = fds[0];
        *ret_pid = cred.pid;
        return 1;
}

int ac_adopt(int fd, struct ac **ret)
{
        struct ac *ac;
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        ac = calloc(1, sizeof(*ac));
        if (!ac) {
                close(fd);
                return -ENOMEM;
        }
        ac->fd = fd;
        ac->child_fd = -1;
        ac->timeout_ms = AC_TIMEOUT_MS;
        ac->st.kind = AC_NO_HELLO;
        ac->st.mallctl = ac->st.where = ac->st.version = ac->st.prefix = "";
        *ret = ac;
        return 0;
}

int ac_fd(const struct ac *ac)
{
        return ac->fd;
}

void ac_forked(struct ac *ac)
{
        if (ac->child_fd >= 0)
                close(ac->child_fd);
        ac->child_fd = -1;
}

void ac_set_timeout(struct ac *ac, unsigned ms)
{
        if (ms)
                ac->timeout_ms = ms;
}

/* ---- child side: async-signal-safe ------------------------------------------ */

int ac_child_inherit(int child_fd, int want_fd)
{
        int fl;

        if (child_fd < 0)
                return -EBADF;
        if (want_fd >= AGENT_FD_MIN && want_fd != child_fd && dup2(child_fd, want_fd) == want_fd) {
                close(child_fd);
                return want_fd;         /* dup2 leaves the new fd inheritable */
        }
        fl = fcntl(child_fd, F_GETFD);
        if (fl < 0 || fcntl(child_fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
                return -errno;
        return child_fd;
}

/* "NAME=<v>" into buf without stdio. */
static int env_fmt(char *buf, size_t len, const char *name, uint64_t v)
{
        char digits[24];
        size_t n = 0, nl = strlen(name);

        do {
                digits[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        if (nl + 1 + n + 1 > len)
                return -EINVAL;
        memcpy(buf, name, nl);
        buf[nl] = '=';
        for (size_t i = 0; i < n; i++)
                buf[nl + 1 + i] = digits[n - 1 - i];
        buf[nl + 1 + n] = '\0';
        return 0;
}

int ac_child_env(int fd, pid_t pid, struct ac_child_env *ret)
{
        struct stat st;

        if (fd < AGENT_FD_MIN || pid <= 0)
                return -EINVAL;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISSOCK(st.st_mode))
                return -ENOTSOCK;
        if (env_fmt(ret->fd, sizeof(ret->fd), AGENT_ENV_FD, (uint64_t)fd) < 0 ||
            env_fmt(ret->pid, sizeof(ret->pid), AGENT_ENV_PID, (uint64_t)pid) < 0 ||
            env_fmt(ret->ino, sizeof(ret->ino), AGENT_ENV_INO, (uint64_t)st.st_ino) < 0)
                return -EINVAL;
        return 0;
}

/* ---- completions ----------------------------------------------------------------- */

static void complete(struct ac *ac, struct slot *s, int error, const char *text, size_t len)
{
        s->state = SLOT_DONE;
        s->error = error;
        s->done_order = ++ac->done_count;
        s->text = strndup(text, len);   /* NULL (out of memory) reads as "" */
}

int ac_next_reply(struct ac *ac, struct ac_reply *ret)
{
        struct slot *best = NULL;

        for (unsigned i = 0; i < AC_PENDING_MAX; i++) {
                struct slot *s = &ac->slots[i];

                if (s->state == SLOT_DONE && (!best || s->done_order < best->done_order))
                        best = s;
        }
        if (!best)
                return 0;
        ret->id = best->id;
        ret->op = best->op;
        ret->error = best->error;
        snprintf(ret->text, sizeof(ret->text), "%s", best->text ? best->text : "");
        free(best->text);
        *best = (struct slot){ .state = SLOT_FREE };
        return 1;
}

unsigned ac_pending(const struct ac *ac)
{
        unsigned n = 0;

        for (unsigned i = 0; i < AC_PENDING_MAX; i++)
                n += ac->slots[i].state == SLOT_PENDING;
        return n;
}

int ac_next_deadline(const struct ac *ac, uint64_t *ret_ms)
{
        uint64_t best = UINT64_MAX;
        bool any = false;

        for (unsigned i = 0; i < AC_PENDING_MAX; i++) {
                const struct slot *s = &ac->slots[i];

                if (s->state == SLOT_PENDING && s->deadline <= best) {
                        best = s->deadline;
                        any = true;
                }
        }
        if (!any)
                return 0;
        *ret_ms = best;
        return 1;
}

int ac_expire(struct ac *ac, uint64_t now_ms)
{
        const char *why = ac_state_reason(&ac->st);
        int n = 0;

        for (unsigned i = 0; i < AC_PENDING_MAX; i++) {
                struct slot *s = &ac->slots[i];
                char text[512];
                int len;

                if (s->state != SLOT_PENDING || s->deadline > now_ms)
                        continue;
                len = snprintf(text, sizeof(text), "no answer from the agent within %u ms%s%s", ac->timeout_ms,
                               *why ? ": " : "", why);
                complete(ac, s, ETIMEDOUT, text, len < 0 ? 0 : (size_t)len);
                n++;
        }
        return n;
}

static void fail_all_pending(struct ac *ac, int error, const char *text)
{
        for (unsigned i = 0; i < AC_PENDING_MAX; i++)
                if (ac->slots[i].state == SLOT_PENDING)
                        complete(ac, &ac->slots[i], error, text, strlen(text));
}

/* ---- requests ---------------------------------------------------------------------- */

int ac_request(struct ac *ac, enum ac_op op, uint64_t now_ms, uint64_t *ret_id)
{
        struct slot *s = NULL;
        char msg[96];
        uint64_t id, deadline;
        int n;

        if ((unsigned)op >= _AC_OP_MAX)
                return -EINVAL;
        if (ac->st.hangup)
                return -EPIPE;
        if (ac->st.kind != AC_NO_HELLO && ac->st.kind != AC_READY)
                return -EOPNOTSUPP;
        for (unsigned i = 0; i < AC_PENDING_MAX && !s; i++)
                if (ac->slots[i].state == SLOT_FREE)
                        s = &ac->slots[i];
        if (!s)
                return -EBUSY;
        id = ac->last_id + 1;
        deadline = now_ms + ac->timeout_ms;
        n = snprintf(msg, sizeof(msg), "req %llu %llu %s", (unsigned long long)id, (unsigned long long)deadline,
                     op_wire[op]);
        if (send(ac->fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        ac->last_id = id;
        *s = (struct slot){ .state = SLOT_PENDING, .op = op, .id = id, .deadline = deadline };
        if (ret_id)
                *ret_id = id;
        return 0;
}

/* ---- parsing --------------------------------------------------------------------------- */

/* Unsigned decimal, no sign, no leading zero, <= max; *pp moves past it. */
static int take_dec(const char **pp, const char *end, uint64_t max, uint64_t *ret)
{
        const char *p = *pp;
        uint64_t v = 0;

        if (p >= end || *p < '0' || *p > '9' || (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9'))
                return -EINVAL;
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
                unsigned d = (unsigned)(*p - '0');

                if (d > max || v > (max - d) / 10)
                        return -EINVAL;
                v = v * 10 + d;
        }
        *pp = p;
        *ret = v;
        return 0;
}

static bool take_lit(const char **pp, const char *end, const char *lit)
{
        size_t n = strlen(lit);

        if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n) != 0)
                return false;
        *pp += n;
        return true;
}

static bool token_ok(const char *p, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
                        return false;
        return true;
}

/* "ok <id>[ <detail>]" | "err <id> <errno>[ <reason>]" */
static int parse_reply(struct ac *ac, const char *p, const char *end)
{
        bool ok = take_lit(&p, end, "ok ");
        uint64_t id, err = 0;
        struct slot *s = NULL;

        if (!ok && !take_lit(&p, end, "err "))
                return -EBADMSG;
        if (take_dec(&p, end, UINT64_MAX, &id) < 0)
                return -EBADMSG;
        if (!ok && (!take_lit(&p, end, " ") || take_dec(&p, end, 4095, &err) < 0 || err == 0))
                return -EBADMSG;
        if (p < end && !take_lit(&p, end, " "))
                return -EBADMSG;
        for (unsigned i = 0; i < AC_PENDING_MAX && id; i++)
                if (ac->slots[i].state == SLOT_PENDING && ac->slots[i].id == id)
                        s = &ac->slots[i];
        if (!s) {
                ac->st.stray_replies++;
                return 0;
        }
        if (ok && s->op == AC_OP_DUMP && (p == end || *p != '/')) {
                static const char why[] = "the agent answered the dump without an absolute file name";

                complete(ac, s, EPROTO, why, sizeof(why) - 1);
                return 1;
        }
        complete(ac, s, (int)err, p, (size_t)(end - p));
        return 1;
}

static const struct {
        const char *name;
        enum ac_kind kind;
        bool prof_built;
} statuses[] = {
        { "ready", AC_READY, true },          { "noprof", AC_NO_PROF, true },
        { "noprofbuild", AC_NO_PROF, false }, { "nojemalloc", AC_NO_JEMALLOC, false },
        { "failed", AC_FAILED, true },        { "inactive", AC_INACTIVE, true },
};

/* "hello <v> key=value... prefix=<rest>" */
static int parse_hello(struct ac *ac, const char *p, const char *end)
{
        const char *val[4] = { "", "", "", "" };   /* mallctl where version prefix */
        size_t vlen[4] = { 0, 0, 0, 0 };
        uint64_t ver, pid = 0, active = 0;
        int status = -1;
        char *copies[4];

        if (!take_lit(&p, end, "hello ") || take_dec(&p, end, UINT32_MAX, &ver) < 0 || ver < 1)
                return -EBADMSG;
        while (p < end) {
                const char *tok, *eq, *tend;

                if (!take_lit(&p, end, " "))
                        return -EBADMSG;
                if (take_lit(&p, end, "prefix=")) {
                        val[3] = p;
                        vlen[3] = (size_t)(end - p);
                        p = end;
                        break;
                }
                tok = p;
                tend = memchr(p, ' ', (size_t)(end - p));
                if (!tend)
                        tend = end;
                eq = memchr(tok, '=', (size_t)(tend - tok));
                if (!eq || eq == tok || !token_ok(eq + 1, (size_t)(tend - eq - 1)))
                        return -EBADMSG;
                p = eq + 1;
#define KEY(k) ((size_t)(eq - tok) == sizeof(k) - 1 && memcmp(tok, k, sizeof(k) - 1) == 0)
                if (KEY("pid")) {
                        if (take_dec(&p, tend, INT32_MAX, &pid) < 0 || p != tend || pid == 0)
                                return -EBADMSG;
                } else if (KEY("status")) {
                        for (unsigned i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
                                if ((size_t)(tend - p) == strlen(statuses[i].name) &&
                                    memcmp(p, statuses[i].name, (size_t)(tend - p)) == 0)
                                        status = (int)i;
                        if (status < 0)
                                return -EBADMSG;
                } else if (KEY("active")) {
                        if (take_dec(&p, tend, 1, &active) < 0 || p != tend)
                                return -EBADMSG;
                } else if (KEY("mallctl") || KEY("where") || KEY("version")) {
                        int k = KEY("mallctl") ? 0 : KEY("where") ? 1 : 2;
                        bool none = tend - p == 1 && *p == '-';

                        val[k] = none ? "" : p;
                        vlen[k] = none ? 0 : (size_t)(tend - p);
                } /* else: a key of a later protocol version */
#undef KEY
                p = tend;
        }
        if (pid == 0 || status < 0)
                return -EBADMSG;
        for (unsigned k = 0; k < 4; k++) {
                copies[k] = strndup(val[k], vlen[k]);
                if (!copies[k]) {
                        while (k--)
                                free(copies[k]);
                        return -ENOMEM;
                }
        }
        for (unsigned k = 0; k < 4; k++) {
                free(ac->strs[k]);
                ac->strs[k] = copies[k];
        }
        ac->st.kind = statuses[status].kind;
        ac->st.prof_built = statuses[status].prof_built;
        ac->st.pid = (pid_t)pid;
        ac->st.prof_active = active;
        ac->st.mallctl = ac->strs[0];
        ac->st.where = ac->strs[1];
        ac->st.version = ac->strs[2];
        ac->st.prefix = ac->strs[3];
        ac->st.hellos++;
        return 1;
}

int ac_on_readable(struct ac *ac)
{
        int ev = 0;

        if (ac->st.hangup)
                return AC_EV_HANGUP;
        for (unsigned i = 0; i < READ_BATCH; i++) {
                struct iovec iov = { .iov_base = ac->buf, .iov_len = sizeof(ac->buf) };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
                const char *end;
                ssize_t n;
                int r;

                n = recvmsg(ac->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (n < 0) {
                        /* ECONNRESET: the agent's end closed with requests
                         * unread; what it sent before is still queued. */
                        if (errno == EINTR || errno == ECONNRESET)
                                continue;
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                break;
                        return ev ? ev : -errno;
                }
                if (n == 0) {
                        /* EOF, or an empty datagram: only POLLHUP tells. */
                        struct pollfd pfd = { .fd = ac->fd, .events = POLLIN };

                        if (poll(&pfd, 1, 0) >= 0 && !(pfd.revents & POLLHUP)) {
                                ac->st.bad_messages++;
                                continue;
                        }
                        ac->st.hangup = true;
                        fail_all_pending(ac, EPIPE, "the target closed the agent channel (it exited)");
                        return ev | AC_EV_HANGUP | AC_EV_REPLY;
                }
                if ((mh.msg_flags & MSG_TRUNC) || (size_t)n > AGENT_MSG_MAX || memchr(ac->buf, '\0', (size_t)n)) {
                        ac->st.bad_messages++;
                        continue;
                }
                end = ac->buf + n;
                if ((size_t)n > 6 && memcmp(ac->buf, "hello ", 6) == 0)
                        r = parse_hello(ac, ac->buf, end);
                else
                        r = parse_reply(ac, ac->buf, end);
                if (r == -ENOMEM)
                        return ev ? ev : r;
                if (r < 0)
                        ac->st.bad_messages++;
                else if (r > 0)
                        ev |= ac->buf[0] == 'h' ? AC_EV_HELLO : AC_EV_REPLY;
        }
        return ev;
}

const struct ac_state *ac_state(const struct ac *ac)
{
        return &ac->st;
}

const char *ac_state_reason(const struct ac_state *s)
{
        if (s->hangup)
                return "the target closed the agent channel (it exited)";
        switch (s->kind) {
        case AC_NO_HELLO:
                return "the agent has not reported from the target (not started yet, or it cannot load there: "
                       "a static or setuid program)";
        case AC_READY:
                return "";
        case AC_NO_JEMALLOC:
                return "the target has no jemalloc (no mallctl among its dynamic symbols or in its "
                       "executable's symbol table)";
        case AC_NO_PROF:
                return s->prof_built ? "the target's jemalloc has heap profiling off (opt.prof is false: "
                                       "MALLOC_CONF or its prefixed variant not applied?)"
                                     : "the target's jemalloc was built without heap profiling (--enable-prof)";
        case AC_FAILED:
                return "the agent could not start its thread in the target";
        case AC_INACTIVE:
                return "the process is outside profiling.processes: its profiling is off";
        }
        return "";
}

void ac_free(struct ac *ac)
{
        if (!ac)
                return;
        if (ac->fd >= 0)
                close(ac->fd);
        ac_forked(ac);
        for (unsigned i = 0; i < AC_PENDING_MAX; i++)
                free(ac->slots[i].text);
        for (unsigned k = 0; k < 4; k++)
                free(ac->strs[k]);
        free(ac);
}
