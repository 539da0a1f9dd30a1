/* Unit tests: tree.c, the target's process tree — its /proc parsers and the
 * registry of processes and channels (driven through real socketpairs, with
 * the cgroup membership check replaced). */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tree.h"

/* ---- parsers ------------------------------------------------------------------- */

START_TEST(statm_parsed)
{
        uint64_t rss = 1, anon = 1;

        ck_assert_int_eq(tree_parse_statm("765 437 408 5 0 123 0\n", 4096, &rss, &anon), 0);
        ck_assert_uint_eq(rss, 437ULL * 4096);
        ck_assert_uint_eq(anon, 29ULL * 4096);
        /* shared above resident (a race between the fields): no negative anon */
        ck_assert_int_eq(tree_parse_statm("10 5 9 1 0 1 0", 4096, &rss, &anon), 0);
        ck_assert_uint_eq(anon, 0);
        rss = anon = 7;
        ck_assert_int_eq(tree_parse_statm("", 4096, &rss, &anon), -EINVAL);
        ck_assert_int_eq(tree_parse_statm("12 x 3", 4096, &rss, &anon), -EINVAL);
        ck_assert_int_eq(tree_parse_statm("1 18446744073709551615 0", 4096, &rss, &anon), -EINVAL);
        ck_assert_int_eq(tree_parse_statm("1 99999999999999999999999 0", 4096, &rss, &anon), -EINVAL);
        ck_assert_uint_eq(rss, 7);      /* untouched on failure */
        ck_assert_uint_eq(anon, 7);
}
END_TEST

START_TEST(cgroup_lines_matched)
{
        const char *v1 = "12:pids:/x\n4:memory:/a/b/oomwatch.1\n0::/other\n";
        const char *v1_joint = "3:cpu,memory,cpuacct:/svc\n";
        const char *v2 = "0::/a/oomwatch.7/sub\n";

        ck_assert(tree_cgroup_has(v1, "/a/b/oomwatch.1", 1));
        ck_assert(!tree_cgroup_has(v1, "/a/b/oomwatch.10", 1));
        ck_assert(!tree_cgroup_has(v1, "/a/b/oomwatch", 1));
        ck_assert(!tree_cgroup_has(v1, "/other", 1));       /* the unified line is not memory on v1 */
        ck_assert(tree_cgroup_has(v1, "/other", 2));
        ck_assert(tree_cgroup_has(v1_joint, "/svc", 1));
        ck_assert(tree_cgroup_has(v2, "/a/oomwatch.7", 2)); /* below it */
        ck_assert(!tree_cgroup_has(v2, "/a/oomwatch.7/sub/deeper", 2));
        ck_assert(!tree_cgroup_has(v2, "/a/oomwatch.7", 1));
        ck_assert(tree_cgroup_has(v2, "/", 2));
        ck_assert(!tree_cgroup_has("", "/a", 2));
        ck_assert(!tree_cgroup_has("garbage without colons\n", "/a", 1));
}
END_TEST

START_TEST(stat_parsed)
{
        pid_t ppid = 0;
        char state = '?';
        bool exiting = true;

        ck_assert_int_eq(tree_parse_stat("42 (srv) S 7 42 42 0 -1 4194560 ...", &ppid, &state, &exiting), 0);
        ck_assert_int_eq(ppid, 7);
        ck_assert_int_eq(state, 'S');
        ck_assert(!exiting);
        /* a task name with ") Z" in it: the last ')' counts */
        ck_assert_int_eq(tree_parse_stat("42 (a) Z 1 (b) R 9 1 1 0 -1 4194564 0", &ppid, &state, &exiting), 0);
        ck_assert_int_eq(ppid, 9);
        ck_assert_int_eq(state, 'R');
        ck_assert(exiting);     /* PF_EXITING (0x4) */
        ck_assert_int_eq(tree_parse_stat("42 (a) Z 1", &ppid, &state, &exiting), -EINVAL);
        ck_assert_int_eq(tree_parse_stat("no parenthesis", &ppid, &state, &exiting), -EINVAL);
}
END_TEST

START_TEST(cmdline_formatted)
{
        char buf[17];

        tree_format_cmdline("gunicorn\0app:app\0\0", 18, buf, sizeof(buf));
        ck_assert_str_eq(buf, "gunicorn app:app");
        tree_format_cmdline("a\tb\x1b""c\0", 6, buf, sizeof(buf));
        ck_assert_str_eq(buf, "a?b?c");
        tree_format_cmdline("0123456789abcdefghij", 20, buf, sizeof(buf));
        ck_assert_str_eq(buf, "0123456789abcdef");
        tree_format_cmdline("", 0, buf, sizeof(buf));
        ck_assert_str_eq(buf, "");
}
END_TEST

/* ---- the registry -------------------------------------------------------------- */

struct seen {
        int hellos, replies, execs, gones;
        pid_t last_pid;
        enum ac_kind last_kind;
        enum tree_end last_end;
        int last_error;
        char last_text[64];
};

static struct seen seen;

static void on_hello(void *ud, const struct tree_proc *p, const struct ac_state *st)
{
        (void)ud;
        seen.hellos++;
        seen.last_pid = p->pid;
        seen.last_kind = st->kind;
}

static void on_reply(void *ud, const struct tree_proc *p, const struct ac_reply *r)
{
        (void)ud;
        seen.replies++;
        seen.last_pid = p->pid;
        seen.last_error = r->error;
        snprintf(seen.last_text, sizeof(seen.last_text), "%.63s", r->text);
}

static void on_exec(void *ud, const struct tree_proc *p)
{
        (void)ud;
        seen.execs++;
        seen.last_pid = p->pid;
}

static void on_gone(void *ud, const struct tree_proc *p)
{
        (void)ud;
        seen.gones++;
        seen.last_pid = p->pid;
        seen.last_end = p->end;
}

static bool member_all(void *ud, pid_t pid)
{
        (void)ud;
        return pid > 0;
}

static int ep = -1;
static struct tree *t;

/* A pid no process can have. */
static pid_t no_such_pid(void)
{
        FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
        long max = 4194304;

        if (f) {
                if (fscanf(f, "%ld", &max) != 1)
                        max = 4194304;
                fclose(f);
        }
        return (pid_t)max;  /* pids are below pid_max */
}

static void setup(void)
{
        struct tree_params p = {
                .max_channels = 4, .epoll_tag = 7, .member = member_all,
                .hooks = { .hello = on_hello, .reply = on_reply, .exec = on_exec, .gone = on_gone },
        };

        memset(&seen, 0, sizeof(seen));
        ep = epoll_create1(EPOLL_CLOEXEC);
        ck_assert_int_ge(ep, 0);
        p.epoll_fd = ep;
        ck_assert_int_eq(tree_new(&p, &t), 0);
        tree_start_run(t, 1);
}

static void teardown(void)
{
        tree_free(t);
        close(ep);
}

/* Register pid's channel; returns the agent's end. */
static int attach(pid_t pid)
{
        int sv[2];
        bool full = false;

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        ck_assert_int_eq(tree_attach(t, pid, sv[0], &full), 1);
        ck_assert(!full);
        return sv[1];
}

/* Hand every ready channel's event to the tree. */
static void pump(void)
{
        struct epoll_event evs[8];
        int n = epoll_wait(ep, evs, 8, 100);

        for (int i = 0; i < n; i++) {
                ck_assert_uint_eq(evs[i].data.u64 & 0xff, 7);
                tree_on_channel(t, (unsigned)(evs[i].data.u64 >> 8), ac_now_ms());
        }
}

static void say(int fd, const char *msg)
{
        ck_assert_int_eq(send(fd, msg, strlen(msg), 0), (ssize_t)strlen(msg));
}

START_TEST(channel_hello_request_reply_gone)
{
        pid_t pid = no_such_pid();
        int agent = attach(pid);
        const struct tree_proc *p;
        char buf[128];
        uint64_t id = 0;
        ssize_t n;

        ck_assert_uint_eq(tree_count(t), 1);
        p = tree_find(t, pid);
        ck_assert_ptr_nonnull(p);
        ck_assert(p->has_channel);
        ck_assert_int_eq(p->agent, AC_NO_HELLO);
        say(agent, "hello 2 pid=99 status=ready mallctl=mallctl where=dynamic active=1 version=5.3.0 prefix=/d/x");
        pump();
        ck_assert_int_eq(seen.hellos, 1);
        ck_assert_int_eq(seen.last_pid, pid);  /* the registration's pid, not the hello's */
        ck_assert_int_eq(tree_find(t, pid)->agent, AC_READY);

        ck_assert_int_eq(tree_request(t, pid, AC_OP_DUMP, ac_now_ms(), &id), 0);
        n = recv(agent, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        ck_assert_int_gt(n, 0);
        buf[n] = '\0';
        ck_assert(strncmp(buf, "req 1 ", 6) == 0);
        snprintf(buf, sizeof(buf), "ok %llu /d/x.%d.0.m0.heap", (unsigned long long)id, (int)pid);
        say(agent, buf);
        pump();
        ck_assert_int_eq(seen.replies, 1);
        ck_assert_int_eq(seen.last_error, 0);
        ck_assert(strstr(seen.last_text, ".m0.heap") != NULL);

        /* a pid the tree does not know: -ESRCH */
        ck_assert_int_eq(tree_request(t, pid - 1, AC_OP_DUMP, ac_now_ms(), &id), -ESRCH);

        /* the agent's end closes and /proc has no such pid: gone, remembered */
        close(agent);
        pump();
        ck_assert_int_eq(seen.gones, 1);
        ck_assert_int_eq(seen.last_end, TREE_EXITED);
        ck_assert_uint_eq(tree_count(t), 0);
        ck_assert_uint_eq(tree_recent_count(t), 1);
        p = tree_find(t, pid);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p->end, TREE_EXITED);
        ck_assert_int_eq(tree_request(t, pid, AC_OP_DUMP, ac_now_ms(), &id), -ESRCH);
        tree_forget(t, pid);
        ck_assert_ptr_null(tree_find(t, pid));
}
END_TEST

START_TEST(pending_request_fails_at_hangup)
{
        pid_t pid = no_such_pid();
        int agent = attach(pid);
        uint64_t id;

        ck_assert_int_eq(tree_request(t, pid, AC_OP_DUMP, ac_now_ms(), &id), 0);
        close(agent);
        pump();
        ck_assert_int_eq(seen.replies, 1);
        ck_assert_int_eq(seen.last_error, EPIPE);
        ck_assert_int_eq(seen.gones, 1);
}
END_TEST

START_TEST(hangup_of_a_live_process_is_an_exec)
{
        pid_t child = fork();
        int agent, agent2;

        if (child == 0) {
                pause();
                _exit(0);
        }
        ck_assert_int_gt(child, 0);
        agent = attach(child);
        close(agent);
        pump();
        ck_assert_int_eq(seen.execs, 1);
        ck_assert_int_eq(seen.gones, 0);
        ck_assert_ptr_nonnull(tree_find(t, child));
        ck_assert(!tree_find(t, child)->has_channel);
        /* the new image registers again: a channel again, no second exec */
        agent2 = attach(child);
        ck_assert(tree_find(t, child)->has_channel);
        ck_assert_int_eq(seen.execs, 1);
        /* and a third registration while one is open is another image */
        {
                int a3 = attach(child);
                ck_assert_int_eq(seen.execs, 2);
                close(a3);
        }
        close(agent2);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
}
END_TEST

START_TEST(channels_capped)
{
        int agents[4], sv[2];
        bool full = false;
        pid_t base = no_such_pid() - 10;

        for (int i = 0; i < 4; i++)
                agents[i] = attach(base + i);
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        ck_assert_int_eq(tree_attach(t, base + 5, sv[0], &full), 0);    /* sv[0] closed by the tree */
        ck_assert(full);
        ck_assert_uint_eq(tree_refused_channels(t), 1);
        ck_assert_ptr_null(tree_find(t, base + 5));
        close(sv[1]);
        for (int i = 0; i < 4; i++)
                close(agents[i]);
        pump();
        ck_assert_int_eq(seen.gones, 4);
        /* room again */
        close(attach(base + 6));
}
END_TEST

START_TEST(recent_keeps_the_killed_and_the_largest)
{
        pid_t base = no_such_pid() - 100;

        /* 20 victims the tree never saw, with growing memory */
        for (int i = 0; i < 20; i++)
                ck_assert_ptr_nonnull(tree_mark_killed(t, base + i, "w", (uint64_t)(i + 1) << 20));
        ck_assert_uint_eq(tree_recent_count(t), TREE_RECENT_MAX);
        /* the 4 smallest went */
        for (int i = 0; i < 4; i++)
                ck_assert_ptr_null(tree_find(t, base + i));
        for (int i = 4; i < 20; i++) {
                const struct tree_proc *p = tree_find(t, base + i);
                ck_assert_ptr_nonnull(p);
                ck_assert_int_eq(p->end, TREE_KILLED);
                ck_assert_uint_eq(p->anon, (uint64_t)(i + 1) << 20);
                ck_assert_str_eq(p->cmd, "[w]");
        }
        /* newest first */
        ck_assert_int_eq(tree_recent(t, 0)->pid, base + 19);
        /* an exited process does not push out a killed one */
        {
                int a = attach(base + 50);
                close(a);
                pump();
                ck_assert_ptr_null(tree_find(t, base + 50));
                ck_assert_uint_eq(tree_recent_count(t), TREE_RECENT_MAX);
        }
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("tree");
        TCase *p = tcase_create("parsers");
        TCase *r = tcase_create("registry");

        tcase_add_test(p, statm_parsed);
        tcase_add_test(p, cgroup_lines_matched);
        tcase_add_test(p, stat_parsed);
        tcase_add_test(p, cmdline_formatted);
        suite_add_tcase(s, p);
        tcase_add_checked_fixture(r, setup, teardown);
        tcase_add_test(r, channel_hello_request_reply_gone);
        tcase_add_test(r, pending_request_fails_at_hangup);
        tcase_add_test(r, hangup_of_a_live_process_is_an_exec);
        tcase_add_test(r, channels_capped);
        tcase_add_test(r, recent_keeps_the_killed_and_the_largest);
        suite_add_tcase(s, r);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
