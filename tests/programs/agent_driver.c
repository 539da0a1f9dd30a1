/* Test driver for the agent: starts COMMAND the way the supervisor does
 * (the rendezvous from ac_rv_prepare, fork, ac_child_inherit + ac_child_env
 * in the child, LD_PRELOAD of the agent, execve), adopts the channel every
 * process of COMMAND's tree registers, and runs a script of steps through
 * the agentctl API, printing one line per event on stdout.
 *
 *   agent_driver --agent SO [OPTIONS] STEP... -- COMMAND [ARG...]
 *
 * Options:
 *   --agent SO          the agent library (LD_PRELOAD)
 *   --fd N              move the rendezvous to fd N in the child (default AGENT_CHILD_FD)
 *   --env-fd VALUE      put VALUE in OOMWATCH_AGENT_FD instead of the real number
 *   --env-pid VALUE     put VALUE in OOMWATCH_AGENT_PID instead of the child's pid
 *   --env-ino VALUE     put VALUE in OOMWATCH_AGENT_INO instead of the socket's
 *                       inode; "none" leaves the variable out
 *   --scope PATTERNS    put PATTERNS in OOMWATCH_AGENT_SCOPE
 *   --no-inherit        leave the rendezvous close-on-exec (the variables name a closed fd)
 *   --timeout MS        request timeout (default agentctl's)
 * Requests go to the current channel: the one of the last hello the steps
 * waited for (hello, ready, ready:N), or the one chosen with use:.
 * Steps (run in order; each waits for its outcome, with a 10 s limit):
 *   hello               wait for a new hello (any status, any channel)
 *   ready               wait until a channel of COMMAND's own pid says ready;
 *                       its newest becomes current
 *   ready:N             wait until N channels said ready; the last registered
 *                       ready one becomes current
 *   use:first | use:last  the first / the newest channel becomes current
 *   ping | dump | gdump-on | gdump-off | active-on | active-off
 *                       send the request, wait for its reply
 *   raw:TEXT            send TEXT as a datagram as it is, bypassing agentctl,
 *                       and print the agent's next datagram as "raw <text>"
 *   rawbig:N            the same with a datagram of N bytes 'x'
 *   waitfile:PATH       wait until PATH exists
 *   close               shut the current channel down from this side (the agent sees EOF)
 *   sleep:MS            keep serving the channels for MS milliseconds
 *   wait                wait for COMMAND to exit
 * Output lines:
 *   register pid=<p>                a channel arrived (the kernel's pid of its sender)
 *   hello chan=<p> kind=<k> pid=<p> mallctl=<m> where=<w> active=<0|1> prefix=<...>
 *   reply <op> id=<id> ok <detail>  |  reply <op> id=<id> err <errno> <text>
 *   refused <op> <strerror>: <reason>
 *   hangup pid=<p>                  exit <status> (128+N for signal N)
 *   badregister <strerror>          a malformed registration was dropped
 * Exit status: 0 when every step completed (a refusal or an err reply counts
 * as completed: the test reads the lines), 1 when a step timed out, 2 usage. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentctl.h"

#define STEP_LIMIT_MS 10000

extern char **environ;

#define MAX_CHANS 256

struct chan {
        pid_t pid;
        struct ac *ac;
        unsigned hellos_printed;
};

static struct chan chans[MAX_CHANS];
static unsigned nchans;
static struct ac *ac;           /* the current channel (NULL: none yet) */
static int rv = -1;
static unsigned hellos_total;
static pid_t child = -1;
static pid_t started;           /* the command's pid */
static unsigned req_timeout;
static int child_status = -1;

static void reap(void)
{
        int st;

        if (child > 0 && waitpid(child, &st, WNOHANG) == child) {
                child_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                printf("exit %d\n", child_status);
                child = -1;
        }
}

static void drain_replies(struct ac *a, uint64_t want, int *got)
{
        struct ac_reply r;

        while (ac_next_reply(a, &r) > 0) {
                if (r.error)
                        printf("reply %s id=%llu err %d %s\n", ac_op_name(r.op), (unsigned long long)r.id, r.error,
                               r.text);
                else
                        printf("reply %s id=%llu ok %s\n", ac_op_name(r.op), (unsigned long long)r.id, r.text);
                if (a == ac && r.id == want)
                        *got = 1;
        }
}

static void take_registrations(void)
{
        int fd, r;
        pid_t pid;

        while ((r = ac_rv_receive(rv, &fd, &pid)) != 0) {
                struct ac *a;

                if (r == -EBADMSG) {
                        printf("badregister %s\n", strerror(-r));
                        continue;
                }
                if (r == -EPIPE) {
                        close(rv);
                        rv = -1;
                        return;
                }
                if (r < 0)
                        return;
                if (nchans == MAX_CHANS || ac_adopt(fd, &a) < 0) {
                        close(fd);
                        continue;
                }
                ac_set_timeout(a, req_timeout);
                chans[nchans++] = (struct chan){ .pid = pid, .ac = a };
                printf("register pid=%d\n", (int)pid);
        }
}

static void on_channel(struct chan *c)
{
        int ev = ac_on_readable(c->ac);

        if (ev < 0)
                return;
        if (ev & AC_EV_HELLO) {
                const struct ac_state *s = ac_state(c->ac);

                printf("hello chan=%d kind=%s pid=%d mallctl=%s where=%s active=%d prefix=%s\n", (int)c->pid,
                       ac_kind_name(s->kind), (int)s->pid, s->mallctl, s->where, s->prof_active, s->prefix);
                hellos_total++;
        }
        if (ev & AC_EV_HANGUP)
                printf("hangup pid=%d\n", (int)c->pid);
}

/* Serve the channels until done() or until_ms passes. Returns 0 when done. */
static int serve(uint64_t until_ms, int (*done)(void *), void *arg, uint64_t want, int *got)
{
        for (;;) {
                uint64_t now = ac_now_ms(), dl;
                struct pollfd pfd[MAX_CHANS + 1];
                int timeout;

                reap();
                if (done && done(arg))
                        return 0;
                if (now >= until_ms)
                        return done ? -ETIMEDOUT : 0;
                timeout = (int)(until_ms - now);
                for (unsigned i = 0; i < nchans; i++)
                        if (ac_next_deadline(chans[i].ac, &dl) > 0)
                                timeout = dl <= now ? 0 : (int)(dl - now) < timeout ? (int)(dl - now) : timeout;
                if (timeout > 50)
                        timeout = 50;   /* also watch the child */
                pfd[0] = (struct pollfd){ .fd = rv, .events = POLLIN };
                for (unsigned i = 0; i < nchans; i++)
                        pfd[i + 1] = (struct pollfd){ .fd = ac_state(chans[i].ac)->hangup ? -1 : ac_fd(chans[i].ac),
                                                      .events = POLLIN };
                if (poll(pfd, nchans + 1, timeout) < 0 && errno != EINTR)
                        return -errno;
                if (pfd[0].revents)
                        take_registrations();
                for (unsigned i = 0; i < nchans && i + 1 < MAX_CHANS + 1; i++)
                        if (pfd[i + 1].revents)
                                on_channel(&chans[i]);
                for (unsigned i = 0; i < nchans; i++) {
                        ac_expire(chans[i].ac, ac_now_ms());
                        drain_replies(chans[i].ac, want, got);
                }
        }
}

static unsigned hellos_at_start;

static int got_hello(void *arg)
{
        (void)arg;
        if (hellos_total <= hellos_at_start)
                return 0;
        /* the newest channel that said hello */
        for (unsigned i = nchans; i-- > 0;)
                if (ac_state(chans[i].ac)->hellos) {
                        ac = chans[i].ac;
                        break;
                }
        return 1;
}

/* At least *(unsigned *)arg channels said ready. The current one becomes:
 * for one, the first registered that is ready (the target's, whatever order
 * the hellos came in); for more, the last registered that is ready. */
static int got_ready(void *arg)
{
        unsigned want = *(unsigned *)arg, n = 0;
        struct ac *first = NULL, *last = NULL;

        for (unsigned i = 0; i < nchans; i++)
                if (ac_state(chans[i].ac)->kind == AC_READY) {
                        n++;
                        if (!first)
                                first = chans[i].ac;
                        last = chans[i].ac;
                }
        if (want <= 1) {
                /* the command's own (its newest image), whatever order the hellos come in */
                for (unsigned i = nchans; i-- > 0;)
                        if (chans[i].pid == started && ac_state(chans[i].ac)->kind == AC_READY) {
                                ac = chans[i].ac;
                                return 1;
                        }
                return 0;
        }
        (void)first;
        if (n < want)
                return 0;
        ac = last;
        return 1;
}

static int got_any_chan(void *arg)
{
        (void)arg;
        if (!nchans)
                return 0;
        if (!ac)
                ac = chans[0].ac;
        return 1;
}

static int got_flag(void *arg)
{
        return *(int *)arg;
}

static int file_exists(void *arg)
{
        return access(arg, F_OK) == 0;
}

static int child_gone(void *arg)
{
        (void)arg;
        return child < 0;
}

/* Send one datagram outside agentctl and print the next one received. */
static int raw_exchange(const char *msg, size_t len)
{
        char buf[AGENT_MSG_MAX + 1];
        struct pollfd pfd = { .fd = ac_fd(ac), .events = POLLIN };
        ssize_t n;

        if (send(ac_fd(ac), msg, len, MSG_NOSIGNAL) < 0)
                return -errno;
        if (poll(&pfd, 1, STEP_LIMIT_MS) <= 0)
                return -ETIMEDOUT;
        n = recv(ac_fd(ac), buf, sizeof(buf) - 1, MSG_DONTWAIT);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        printf("raw %s\n", buf);
        return 0;
}

static int run_step(const char *step)
{
        static const struct { const char *name; enum ac_op op; } ops[] = {
                { "ping", AC_OP_PING },          { "dump", AC_OP_DUMP },
                { "gdump-on", AC_OP_GDUMP_ON },  { "gdump-off", AC_OP_GDUMP_OFF },
                { "active-on", AC_OP_ACTIVE_ON }, { "active-off", AC_OP_ACTIVE_OFF },
        };
        uint64_t limit = ac_now_ms() + STEP_LIMIT_MS;
        int got = 0, r;
        unsigned want;

        if (strcmp(step, "hello") == 0) {
                hellos_at_start = hellos_total;
                return serve(limit, got_hello, NULL, 0, &got);
        }
        if (strcmp(step, "ready") == 0 || strncmp(step, "ready:", 6) == 0) {
                want = step[5] == ':' ? (unsigned)strtoul(step + 6, NULL, 10) : 1;
                return serve(limit, got_ready, &want, 0, &got);
        }
        if (strcmp(step, "use:first") == 0 || strcmp(step, "use:last") == 0) {
                if (!nchans)
                        return -ENOENT;
                ac = chans[step[4] == 'f' ? 0 : nchans - 1].ac;
                return 0;
        }
        if (strcmp(step, "wait") == 0)
                return serve(limit, child_gone, NULL, 0, &got);
        if (strncmp(step, "waitfile:", 9) == 0)
                return serve(limit, file_exists, (void *)(step + 9), 0, &got);
        if (!ac && (strcmp(step, "close") == 0 || strncmp(step, "raw", 3) == 0)) {
                /* the first channel to arrive */
                if (serve(limit, got_any_chan, NULL, 0, &got) < 0)
                        return -ETIMEDOUT;
        }
        if (strcmp(step, "close") == 0) {
                if (shutdown(ac_fd(ac), SHUT_RDWR) < 0)
                        return -errno;
                printf("closed\n");
                return 0;
        }
        if (strncmp(step, "raw:", 4) == 0)
                return raw_exchange(step + 4, strlen(step + 4));
        if (strncmp(step, "rawbig:", 7) == 0) {
                size_t len = strtoul(step + 7, NULL, 10);
                char *big = malloc(len + 1);

                if (!big)
                        return -ENOMEM;
                memset(big, 'x', len);
                r = raw_exchange(big, len);
                free(big);
                return r;
        }
        if (strncmp(step, "sleep:", 6) == 0)
                return serve(ac_now_ms() + strtoull(step + 6, NULL, 10), NULL, NULL, 0, &got);
        for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
                uint64_t id;

                if (strcmp(step, ops[i].name) != 0)
                        continue;
                if (!ac && serve(limit, got_any_chan, NULL, 0, &got) < 0)
                        return -ETIMEDOUT;
                r = ac_request(ac, ops[i].op, ac_now_ms(), &id);
                if (r < 0) {
                        printf("refused %s %s: %s\n", ac_op_name(ops[i].op), strerror(-r),
                               ac_state_reason(ac_state(ac)));
                        return 0;
                }
                return serve(limit, got_flag, &got, id, &got);
        }
        fprintf(stderr, "agent_driver: unknown step '%s'\n", step);
        return -EINVAL;
}

int main(int argc, char **argv)
{
        const char *agent = NULL, *env_fd = NULL, *env_pid = NULL, *env_ino = NULL, *scope = NULL;
        int want_fd = AGENT_CHILD_FD, inherit = 1, child_fd, i, r, n = 0;
        char **steps, **cmd, **envp, preload[4096], fdbuf[AGENT_ENV_BUF], pidbuf[AGENT_ENV_BUF],
             inobuf[AGENT_ENV_BUF], scopebuf[4096];
        static struct ac_child_env env;

        steps = calloc((size_t)argc + 1, sizeof(char *));
        if (!steps)
                return 2;
        for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
                if (strcmp(argv[i], "--agent") == 0 && i + 1 < argc)
                        agent = argv[++i];
                else if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc)
                        want_fd = atoi(argv[++i]);
                else if (strcmp(argv[i], "--env-fd") == 0 && i + 1 < argc)
                        env_fd = argv[++i];
                else if (strcmp(argv[i], "--env-pid") == 0 && i + 1 < argc)
                        env_pid = argv[++i];
                else if (strcmp(argv[i], "--env-ino") == 0 && i + 1 < argc)
                        env_ino = argv[++i];
                else if (strcmp(argv[i], "--scope") == 0 && i + 1 < argc)
                        scope = argv[++i];
                else if (strcmp(argv[i], "--no-inherit") == 0)
                        inherit = 0;
                else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
                        req_timeout = (unsigned)atoi(argv[++i]);
                else
                        steps[n++] = argv[i];
        }
        if (!agent || i + 1 >= argc) {
                fprintf(stderr, "usage: agent_driver --agent SO [OPTIONS] STEP... -- COMMAND [ARG...]\n");
                return 2;
        }
        cmd = argv + i + 1;
        setvbuf(stdout, NULL, _IOLBF, 0);

        r = ac_rv_prepare(&rv, &child_fd);
        if (r < 0) {
                fprintf(stderr, "agent_driver: ac_rv_prepare: %s\n", strerror(-r));
                return 2;
        }

        /* The environment is built before fork: the child only fills the
         * three buffers it points to (async-signal-safe). */
        for (n = 0; environ[n]; n++)
                ;
        envp = calloc((size_t)n + 6, sizeof(char *));
        if (!envp)
                return 2;
        snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", agent);
        n = 0;
        for (char **e = environ; *e; e++)
                if (strncmp(*e, "OOMWATCH_AGENT_", 15) != 0 && strncmp(*e, "LD_PRELOAD=", 11) != 0)
                        envp[n++] = *e;
        envp[n++] = preload;
        envp[n++] = env_fd ? fdbuf : env.fd;
        envp[n++] = env_pid ? pidbuf : env.pid;
        if (!env_ino || strcmp(env_ino, "none") != 0)
                envp[n++] = env_ino ? inobuf : env.ino;
        if (scope) {
                snprintf(scopebuf, sizeof(scopebuf), "%s=%s", AGENT_ENV_SCOPE, scope);
                envp[n++] = scopebuf;
        }
        envp[n] = NULL;
        if (env_ino)
                snprintf(inobuf, sizeof(inobuf), "%s=%s", AGENT_ENV_INO, env_ino);
        if (env_fd)
                snprintf(fdbuf, sizeof(fdbuf), "%s=%s", AGENT_ENV_FD, env_fd);
        if (env_pid)
                snprintf(pidbuf, sizeof(pidbuf), "%s=%s", AGENT_ENV_PID, env_pid);

        fflush(NULL);
        child = fork();
        if (child < 0)
                return 2;
        if (child == 0) {
                int fd = inherit ? ac_child_inherit(child_fd, want_fd) : child_fd;

                if (fd < 0 || ac_child_env(fd, getpid(), &env) < 0)
                        _exit(125);
                execvpe(cmd[0], cmd, envp);
                _exit(127);
        }
        close(child_fd);
        started = child;
        printf("started %d\n", (int)child);

        for (i = 0; steps[i]; i++) {
                r = run_step(steps[i]);
                if (r < 0) {
                        printf("step %s failed: %s\n", steps[i], strerror(-r));
                        if (child > 0)
                                kill(child, SIGKILL);
                        serve(ac_now_ms() + 1000, child_gone, NULL, 0, &n);
                        return 1;
                }
        }
        /* Leave nothing behind. */
        if (child > 0) {
                kill(child, SIGTERM);
                serve(ac_now_ms() + 2000, child_gone, NULL, 0, &n);
                if (child > 0)
                        kill(child, SIGKILL);
        }
        for (unsigned k = 0; k < nchans; k++)
                ac_free(chans[k].ac);
        free(envp);
        free(steps);
        return 0;
}
