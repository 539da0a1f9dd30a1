/* Test driver for the agent: starts COMMAND the way the supervisor does
 * (socketpair from ac_prepare, fork, ac_child_inherit + ac_child_env in the
 * child, LD_PRELOAD of the agent, execve) and runs a script of steps against
 * it through the agentctl API, printing one line per event on stdout.
 *
 *   agent_driver --agent SO [OPTIONS] STEP... -- COMMAND [ARG...]
 *
 * Options:
 *   --agent SO          the agent library (LD_PRELOAD)
 *   --fd N              move the channel to fd N in the child (default AGENT_CHILD_FD)
 *   --env-fd VALUE      put VALUE in OOMWATCH_AGENT_FD instead of the real number
 *   --env-pid VALUE     put VALUE in OOMWATCH_AGENT_PID instead of the child's pid
 *   --env-ino VALUE     put VALUE in OOMWATCH_AGENT_INO instead of the socket's
 *                       inode; "none" leaves the variable out
 *   --no-inherit        leave the channel close-on-exec (the variables name a closed fd)
 *   --timeout MS        request timeout (default agentctl's)
 * Steps (run in order; each waits for its outcome, with a 10 s limit):
 *   hello               wait for a hello (any status)
 *   ready               wait for a hello with status ready
 *   ping | dump | gdump-on | gdump-off | active-on | active-off
 *                       send the request, wait for its reply
 *   raw:TEXT            send TEXT as a datagram as it is, bypassing agentctl,
 *                       and print the agent's next datagram as "raw <text>"
 *   rawbig:N            the same with a datagram of N bytes 'x'
 *   waitfile:PATH       wait until PATH exists
 *   close               shut the channel down from this side (the agent sees EOF)
 *   sleep:MS            keep serving the channel for MS milliseconds
 *   wait                wait for COMMAND to exit
 * Output lines:
 *   hello kind=<k> pid=<p> mallctl=<m> where=<w> active=<0|1> prefix=<...>
 *   reply <op> id=<id> ok <detail>  |  reply <op> id=<id> err <errno> <text>
 *   refused <op> <strerror>: <reason>
 *   exit <status>     (128+N for signal N)          hangup
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

static struct ac *ac;
static pid_t child = -1;
static int child_status = -1;

static const char *kind_name(enum ac_kind k)
{
        switch (k) {
        case AC_NO_HELLO: return "nohello";
        case AC_READY: return "ready";
        case AC_NO_JEMALLOC: return "nojemalloc";
        case AC_NO_PROF: return "noprof";
        case AC_FAILED: return "failed";
        }
        return "?";
}

static void reap(void)
{
        int st;

        if (child > 0 && waitpid(child, &st, WNOHANG) == child) {
                child_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                printf("exit %d\n", child_status);
                child = -1;
        }
}

static void drain_replies(uint64_t want, int *got)
{
        struct ac_reply r;

        while (ac_next_reply(ac, &r) > 0) {
                if (r.error)
                        printf("reply %s id=%llu err %d %s\n", ac_op_name(r.op), (unsigned long long)r.id, r.error,
                               r.text);
                else
                        printf("reply %s id=%llu ok %s\n", ac_op_name(r.op), (unsigned long long)r.id, r.text);
                if (r.id == want)
                        *got = 1;
        }
}

/* Serve the channel until done() or until_ms passes. Returns 0 when done. */
static int serve(uint64_t until_ms, int (*done)(void *), void *arg, uint64_t want, int *got)
{
        for (;;) {
                uint64_t now = ac_now_ms(), dl;
                struct pollfd pfd = { .fd = ac_fd(ac), .events = POLLIN };
                int timeout, ev;

                reap();
                if (done && done(arg))
                        return 0;
                if (now >= until_ms)
                        return done ? -ETIMEDOUT : 0;
                timeout = (int)(until_ms - now);
                if (ac_next_deadline(ac, &dl) > 0)
                        timeout = dl <= now ? 0 : (int)(dl - now) < timeout ? (int)(dl - now) : timeout;
                if (timeout > 50)
                        timeout = 50;   /* also watch the child */
                if (ac_state(ac)->hangup)
                        pfd.fd = -1;
                if (poll(&pfd, 1, timeout) < 0 && errno != EINTR)
                        return -errno;
                if (pfd.revents) {
                        ev = ac_on_readable(ac);
                        if (ev < 0)
                                return ev;
                        if (ev & AC_EV_HELLO) {
                                const struct ac_state *s = ac_state(ac);

                                printf("hello kind=%s pid=%d mallctl=%s where=%s active=%d prefix=%s\n",
                                       kind_name(s->kind), (int)s->pid, s->mallctl, s->where, s->prof_active,
                                       s->prefix);
                        }
                        if (ev & AC_EV_HANGUP)
                                printf("hangup\n");
                }
                ac_expire(ac, ac_now_ms());
                drain_replies(want, got);
        }
}

static unsigned hellos_at_start;

static int got_hello(void *arg)
{
        (void)arg;
        return ac_state(ac)->hellos > hellos_at_start;
}

static int got_ready(void *arg)
{
        (void)arg;
        return ac_state(ac)->kind == AC_READY;
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

        if (strcmp(step, "hello") == 0) {
                hellos_at_start = ac_state(ac)->hellos;
                return serve(limit, got_hello, NULL, 0, &got);
        }
        if (strcmp(step, "ready") == 0)
                return serve(limit, got_ready, NULL, 0, &got);
        if (strcmp(step, "wait") == 0)
                return serve(limit, child_gone, NULL, 0, &got);
        if (strncmp(step, "waitfile:", 9) == 0)
                return serve(limit, file_exists, (void *)(step + 9), 0, &got);
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
        const char *agent = NULL, *env_fd = NULL, *env_pid = NULL, *env_ino = NULL;
        int want_fd = AGENT_CHILD_FD, inherit = 1, child_fd, i, r, n = 0;
        unsigned timeout = 0;
        char **steps, **cmd, **envp, preload[4096], fdbuf[AGENT_ENV_BUF], pidbuf[AGENT_ENV_BUF],
             inobuf[AGENT_ENV_BUF];
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
                else if (strcmp(argv[i], "--no-inherit") == 0)
                        inherit = 0;
                else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
                        timeout = (unsigned)atoi(argv[++i]);
                else
                        steps[n++] = argv[i];
        }
        if (!agent || i + 1 >= argc) {
                fprintf(stderr, "usage: agent_driver --agent SO [OPTIONS] STEP... -- COMMAND [ARG...]\n");
                return 2;
        }
        cmd = argv + i + 1;
        setvbuf(stdout, NULL, _IOLBF, 0);

        r = ac_prepare(&ac, &child_fd);
        if (r < 0) {
                fprintf(stderr, "agent_driver: ac_prepare: %s\n", strerror(-r));
                return 2;
        }
        ac_set_timeout(ac, timeout);

        /* The environment is built before fork: the child only fills the
         * three buffers it points to (async-signal-safe). */
        for (n = 0; environ[n]; n++)
                ;
        envp = calloc((size_t)n + 5, sizeof(char *));
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
        ac_forked(ac);
        printf("started %d\n", (int)child);

        for (i = 0; steps[i]; i++) {
                r = run_step(steps[i]);
                if (r < 0) {
                        printf("step %s failed: %s\n", steps[i], strerror(-r));
                        if (child > 0)
                                kill(child, SIGKILL);
                        serve(ac_now_ms() + 1000, child_gone, NULL, 0, &n);
                        ac_free(ac);
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
        ac_free(ac);
        free(envp);
        free(steps);
        return 0;
}
