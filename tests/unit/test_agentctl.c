/* Unit tests: agentctl, the supervisor's side of the agent channel. The test
 * plays the agent on the other end of the real socketpair. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentctl.h"

static struct ac *ac;
static int agent;               /* the test's copy of the child end */

static void setup(void)
{
        int child;

        ck_assert_int_eq(ac_prepare(&ac, &child), 0);
        agent = dup(child);
        ck_assert_int_ge(agent, 0);
        ac_forked(ac);
}

static void teardown(void)
{
        ac_free(ac);
        if (agent >= 0)
                close(agent);
}

static void agent_send(const char *msg)
{
        ck_assert_int_eq(send(agent, msg, strlen(msg), 0), (ssize_t)strlen(msg));
}

/* What the supervisor sent, as a string. */
static void agent_recv(char *buf, size_t len)
{
        ssize_t n = recv(agent, buf, len - 1, MSG_DONTWAIT);

        ck_assert_int_gt(n, 0);
        buf[n] = '\0';
}

static const char hello_ready[] =
        "hello 1 pid=4242 status=ready mallctl=_rjem_mallctl where=exe active=1 version=5.3.0-0-g54eaed1d "
        "prefix=/var/tmp/dumps dir/app";

START_TEST(prepare_fds)
{
        int child, fl;
        struct ac *a;
        int type;
        socklen_t l = sizeof(type);

        ck_assert_int_eq(ac_prepare(&a, &child), 0);
        ck_assert_int_ge(ac_fd(a), 0);
        ck_assert_int_ge(child, 0);
        ck_assert(fcntl(ac_fd(a), F_GETFD) & FD_CLOEXEC);
        ck_assert(fcntl(child, F_GETFD) & FD_CLOEXEC);
        fl = fcntl(ac_fd(a), F_GETFL);
        ck_assert(fl & O_NONBLOCK);
        ck_assert(!(fcntl(child, F_GETFL) & O_NONBLOCK));
        ck_assert_int_eq(getsockopt(child, SOL_SOCKET, SO_TYPE, &type, &l), 0);
        ck_assert_int_eq(type, SOCK_SEQPACKET);
        ck_assert_int_eq(ac_state(a)->kind, AC_NO_HELLO);
        ck_assert_str_eq(ac_state(a)->prefix, "");
        ac_forked(a);
        ck_assert_int_eq(fcntl(child, F_GETFD), -1);   /* closed */
        ac_forked(a);                                   /* idempotent */
        ac_free(a);
        ac_free(NULL);
}
END_TEST

START_TEST(child_side)
{
        struct ac_child_env env;
        struct stat st;
        int sv[2], fd;
        char want[64];

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        fd = ac_child_inherit(sv[1], -1);
        ck_assert_int_eq(fd, sv[1]);
        ck_assert(!(fcntl(fd, F_GETFD) & FD_CLOEXEC));

        fd = ac_child_inherit(sv[1], AGENT_CHILD_FD);
        ck_assert_int_eq(fd, AGENT_CHILD_FD);
        ck_assert(!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
        ck_assert_int_eq(fcntl(sv[1], F_GETFD), -1);    /* moved */

        ck_assert_int_eq(ac_child_env(fd, 123456, &env), 0);
        ck_assert_int_eq(fstat(fd, &st), 0);
        ck_assert_str_eq(env.fd, "OOMWATCH_AGENT_FD=250");
        ck_assert_str_eq(env.pid, "OOMWATCH_AGENT_PID=123456");
        snprintf(want, sizeof(want), "OOMWATCH_AGENT_INO=%llu", (unsigned long long)st.st_ino);
        ck_assert_str_eq(env.ino, want);

        ck_assert_int_eq(ac_child_env(fd, 0, &env), -EINVAL);
        ck_assert_int_eq(ac_child_env(1, 5, &env), -EINVAL);   /* stdio is never the channel */
        close(fd);
        ck_assert_int_eq(ac_child_env(fd, 5, &env), -EBADF);
        ck_assert_int_eq(ac_child_inherit(-1, -1), -EBADF);
        close(sv[0]);
}
END_TEST

START_TEST(request_wire_and_ids)
{
        char buf[256];
        uint64_t id1 = 0, id2 = 0, id3 = 0;

        ck_assert_int_eq(ac_request(ac, AC_OP_DUMP, 1000, &id1), 0);   /* before hello: sent */
        ck_assert_int_eq(ac_request(ac, AC_OP_GDUMP_ON, 2000, &id2), 0);
        ck_assert_int_eq(ac_request(ac, AC_OP_ACTIVE_OFF, 2000, &id3), 0);
        ck_assert_uint_eq(id1, 1);
        ck_assert_uint_gt(id2, id1);
        ck_assert_uint_gt(id3, id2);
        agent_recv(buf, sizeof(buf));
        ck_assert_str_eq(buf, "req 1 11000 dump");
        agent_recv(buf, sizeof(buf));
        ck_assert_str_eq(buf, "req 2 12000 gdump on");
        agent_recv(buf, sizeof(buf));
        ck_assert_str_eq(buf, "req 3 12000 active off");
        ck_assert_uint_eq(ac_pending(ac), 3);
        ck_assert_int_eq(ac_request(ac, (enum ac_op)99, 0, NULL), -EINVAL);
        ck_assert_int_eq(ac_request(ac, AC_OP_PING, 0, NULL), 0);
        agent_recv(buf, sizeof(buf));
        ck_assert_str_eq(buf, "req 4 10000 ping");
        ck_assert_str_eq(ac_op_name(AC_OP_GDUMP_OFF), "gdump off");
}
END_TEST

START_TEST(hello_ready_parsed)
{
        const struct ac_state *s;

        agent_send(hello_ready);
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_HELLO);
        s = ac_state(ac);
        ck_assert_int_eq(s->kind, AC_READY);
        ck_assert_int_eq(s->pid, 4242);
        ck_assert_uint_eq(s->hellos, 1);
        ck_assert(s->prof_built);
        ck_assert(s->prof_active);
        ck_assert_str_eq(s->mallctl, "_rjem_mallctl");
        ck_assert_str_eq(s->where, "exe");
        ck_assert_str_eq(s->version, "5.3.0-0-g54eaed1d");
        ck_assert_str_eq(s->prefix, "/var/tmp/dumps dir/app");
        ck_assert_str_eq(ac_state_reason(s), "");
        ck_assert_int_eq(ac_on_readable(ac), 0);        /* drained */
}
END_TEST

START_TEST(hello_exec_replaces)
{
        uint64_t id;

        /* A wrapper without jemalloc, then the program it execs. */
        agent_send("hello 1 pid=77 status=nojemalloc mallctl=- where=- active=0 version=- prefix=");
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_HELLO);
        ck_assert_int_eq(ac_state(ac)->kind, AC_NO_JEMALLOC);
        ck_assert_str_eq(ac_state(ac)->mallctl, "");
        ck_assert_int_eq(ac_request(ac, AC_OP_DUMP, 0, &id), -EOPNOTSUPP);
        ck_assert(strstr(ac_state_reason(ac_state(ac)), "no jemalloc"));
        ck_assert_uint_eq(ac_pending(ac), 0);

        /* Unknown keys of a later version are skipped; order is free. */
        agent_send("hello 2 status=ready future=x,y pid=77 mallctl=mallctl where=dynamic prefix=");
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_HELLO);
        ck_assert_int_eq(ac_state(ac)->kind, AC_READY);
        ck_assert_uint_eq(ac_state(ac)->hellos, 2);
        ck_assert_str_eq(ac_state(ac)->where, "dynamic");
        ck_assert(!ac_state(ac)->prof_active);
        ck_assert_int_eq(ac_request(ac, AC_OP_DUMP, 0, &id), 0);
}
END_TEST

START_TEST(hello_noprof)
{
        agent_send("hello 1 pid=9 status=noprof mallctl=mallctl where=dynamic active=0 version=5.3.0 prefix=jeprof");
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_HELLO);
        ck_assert_int_eq(ac_state(ac)->kind, AC_NO_PROF);
        ck_assert(ac_state(ac)->prof_built);
        ck_assert(strstr(ac_state_reason(ac_state(ac)), "opt.prof is false"));
        ck_assert_int_eq(ac_request(ac, AC_OP_PING, 0, NULL), -EOPNOTSUPP);

        agent_send("hello 1 pid=9 status=noprofbuild mallctl=mallctl where=dynamic active=0 version=5.3.0 prefix=");
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_HELLO);
        ck_assert(!ac_state(ac)->prof_built);
        ck_assert(strstr(ac_state_reason(ac_state(ac)), "built without"));

        agent_send("hello 1 pid=9 status=failed mallctl=mallctl where=dynamic active=1 version=5.3.0 prefix=");
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_HELLO);
        ck_assert_int_eq(ac_state(ac)->kind, AC_FAILED);
        ck_assert_int_eq(ac_request(ac, AC_OP_PING, 0, NULL), -EOPNOTSUPP);
}
END_TEST

START_TEST(replies_complete_requests)
{
        struct ac_reply r;
        uint64_t d, g, p;

        agent_send(hello_ready);
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_HELLO);
        ck_assert_int_eq(ac_request(ac, AC_OP_DUMP, 0, &d), 0);
        ck_assert_int_eq(ac_request(ac, AC_OP_GDUMP_ON, 0, &g), 0);
        ck_assert_int_eq(ac_request(ac, AC_OP_PING, 0, &p), 0);
        ck_assert_int_eq(ac_next_reply(ac, &r), 0);

        /* Answers in any order; completions come out in arrival order. */
        agent_send("ok 2 on");
        agent_send("err 1 28 prof.dump failed: No space left on device");
        agent_send("ok 3");
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_REPLY);
        ck_assert_uint_eq(ac_pending(ac), 0);

        ck_assert_int_eq(ac_next_reply(ac, &r), 1);
        ck_assert_uint_eq(r.id, g);
        ck_assert_int_eq(r.op, AC_OP_GDUMP_ON);
        ck_assert_int_eq(r.error, 0);
        ck_assert_str_eq(r.text, "on");
        ck_assert_int_eq(ac_next_reply(ac, &r), 1);
        ck_assert_uint_eq(r.id, d);
        ck_assert_int_eq(r.op, AC_OP_DUMP);
        ck_assert_int_eq(r.error, ENOSPC);
        ck_assert_str_eq(r.text, "prof.dump failed: No space left on device");
        ck_assert_int_eq(ac_next_reply(ac, &r), 1);
        ck_assert_uint_eq(r.id, p);
        ck_assert_str_eq(r.text, "");
        ck_assert_int_eq(ac_next_reply(ac, &r), 0);

        /* A second answer to the same id, an unknown id, id 0: stray. */
        agent_send("ok 2 on");
        agent_send("ok 999 x");
        agent_send("err 0 22 malformed request");
        ck_assert_int_eq(ac_on_readable(ac), 0);
        ck_assert_uint_eq(ac_state(ac)->stray_replies, 3);
        ck_assert_uint_eq(ac_state(ac)->bad_messages, 0);
}
END_TEST

START_TEST(dump_reply_path)
{
        static const char path[] = "/var/tmp/dumps dir/app.4242.7.m0.heap";
        struct ac_reply r;
        uint64_t d;
        char msg[128];

        agent_send(hello_ready);
        ac_on_readable(ac);
        ck_assert_int_eq(ac_request(ac, AC_OP_DUMP, 0, &d), 0);
        snprintf(msg, sizeof(msg), "ok %llu %s", (unsigned long long)d, path);
        agent_send(msg);
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_REPLY);
        ck_assert_int_eq(ac_next_reply(ac, &r), 1);
        ck_assert_int_eq(r.error, 0);
        ck_assert_str_eq(r.text, path);

        /* ok without an absolute name is a protocol error, not a success. */
        ck_assert_int_eq(ac_request(ac, AC_OP_DUMP, 0, &d), 0);
        snprintf(msg, sizeof(msg), "ok %llu app.1.2.m0.heap", (unsigned long long)d);
        agent_send(msg);
        ac_on_readable(ac);
        ck_assert_int_eq(ac_next_reply(ac, &r), 1);
        ck_assert_int_eq(r.error, EPROTO);
}
END_TEST

START_TEST(malformed_rejected)
{
        static const char *const bad[] = {
                "hello", "hello ", "hello 1", "hello x pid=1 status=ready", "hello 0 pid=1 status=ready",
                "hello 1 pid=0 status=ready", "hello 1 pid=-1 status=ready", "hello 1 pid=12 status=bogus",
                "hello 1 status=ready", "hello 1 pid=12", "hello 1 pid=99999999999 status=ready",
                "hello 1 pid=12 status=ready active=2", "hello 1 pid=12 status=ready mallctl=a\001b",
                "hello 1 pid=12 status=ready mallctl=", "hello 1 pid=12 status=ready =x",
                "hello 1 pid=12 status=ready noequals", "hello 1 pid=12  status=ready",
                "hello 1 pid=12 status=ready ", "hello 1 pid=012 status=ready",
                "ok", "ok ", "ok x", "ok 01 x", "ok 1x", "ok -1 x", "ok 18446744073709551616 x",
                "err 1", "err 1 ", "err 1 0 x", "err 1 4096 x", "err 1 x y", "err x 5",
                "okay 1", "OK 1", "req 1 0 dump", "ping", " ok 1", "\n",
        };
        struct ac_reply r;
        char big[AGENT_MSG_MAX + 100];
        uint64_t id;
        unsigned nbad = sizeof(bad) / sizeof(bad[0]);

        ck_assert_int_eq(ac_request(ac, AC_OP_PING, 0, &id), 0);
        for (unsigned i = 0; i < nbad; i++)
                agent_send(bad[i]);
        ck_assert_int_eq(ac_on_readable(ac), 0);
        ck_assert_uint_eq(ac_state(ac)->bad_messages, nbad);

        /* A NUL inside, an empty datagram, one longer than the protocol allows. */
        ck_assert_int_eq(send(agent, "ok 1\0x", 6, 0), 6);
        ck_assert_int_eq(send(agent, "", 0, 0), 0);
        memset(big, 'a', sizeof(big));
        memcpy(big, "ok 1 /", 6);
        ck_assert_int_eq(send(agent, big, sizeof(big), 0), (ssize_t)sizeof(big));
        ck_assert_int_eq(ac_on_readable(ac), 0);
        ck_assert_uint_eq(ac_state(ac)->bad_messages, nbad + 3);
        ck_assert_int_eq(ac_state(ac)->kind, AC_NO_HELLO);
        ck_assert(!ac_state(ac)->hangup);
        ck_assert_uint_eq(ac_pending(ac), 1);

        /* Exactly the maximum is fine. */
        memset(big, 'b', AGENT_MSG_MAX);
        memcpy(big, "ok 1 ", 5);
        ck_assert_int_eq(send(agent, big, AGENT_MSG_MAX, 0), AGENT_MSG_MAX);
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_REPLY);
        ck_assert_int_eq(ac_next_reply(ac, &r), 1);
        ck_assert_uint_eq(strlen(r.text), AGENT_MSG_MAX - 5);
}
END_TEST

START_TEST(many_datagrams_batched)
{
        unsigned total = 0;
        int ev;

        for (unsigned i = 0; i < 200; i++)
                agent_send("ok 77 x");
        /* The loop gets control back between batches. */
        while ((ev = ac_on_readable(ac)) == 0 && ac_state(ac)->stray_replies < 200 && total++ < 10)
                ;
        ck_assert_int_eq(ev, 0);
        ck_assert_uint_eq(ac_state(ac)->stray_replies, 200);
        ck_assert_uint_ge(total, 3);
}
END_TEST

START_TEST(timeouts)
{
        struct ac_reply r;
        uint64_t a, b, dl = 0;
        char msg[64];

        ck_assert_int_eq(ac_next_deadline(ac, &dl), 0);
        ac_set_timeout(ac, 5000);
        ac_set_timeout(ac, 0);          /* ignored */
        ck_assert_int_eq(ac_request(ac, AC_OP_DUMP, 1000, &a), 0);
        ck_assert_int_eq(ac_request(ac, AC_OP_PING, 3000, &b), 0);
        ck_assert_int_eq(ac_next_deadline(ac, &dl), 1);
        ck_assert_uint_eq(dl, 6000);
        ck_assert_int_eq(ac_expire(ac, 5999), 0);
        ck_assert_int_eq(ac_expire(ac, 6000), 1);
        ck_assert_int_eq(ac_next_deadline(ac, &dl), 1);
        ck_assert_uint_eq(dl, 8000);
        ck_assert_int_eq(ac_next_reply(ac, &r), 1);
        ck_assert_uint_eq(r.id, a);
        ck_assert_int_eq(r.error, ETIMEDOUT);
        ck_assert_msg(strstr(r.text, "within 5000 ms") && strstr(r.text, "not reported"), "%s", r.text);

        /* A late answer to the expired request is dropped. */
        snprintf(msg, sizeof(msg), "ok %llu /x.heap", (unsigned long long)a);
        agent_send(msg);
        ck_assert_int_eq(ac_on_readable(ac), 0);
        ck_assert_uint_eq(ac_state(ac)->stray_replies, 1);
        ck_assert_int_eq(ac_next_reply(ac, &r), 0);

        ck_assert_int_eq(ac_expire(ac, UINT64_MAX), 1);
        ck_assert_int_eq(ac_next_deadline(ac, &dl), 0);
        ck_assert_int_eq(ac_next_reply(ac, &r), 1);
        ck_assert_uint_eq(r.id, b);
}
END_TEST

START_TEST(pending_cap)
{
        struct ac_reply r;
        uint64_t id;
        char buf[64];

        for (unsigned i = 0; i < AC_PENDING_MAX; i++) {
                ck_assert_int_eq(ac_request(ac, AC_OP_PING, 0, &id), 0);
                agent_recv(buf, sizeof(buf));
        }
        ck_assert_int_eq(ac_request(ac, AC_OP_PING, 0, &id), -EBUSY);
        ck_assert_uint_eq(id, AC_PENDING_MAX);          /* untouched on failure */
        agent_send("ok 5 pong");
        ac_on_readable(ac);
        /* Completed but not collected still holds its place. */
        ck_assert_int_eq(ac_request(ac, AC_OP_PING, 0, &id), -EBUSY);
        ck_assert_int_eq(ac_next_reply(ac, &r), 1);
        ck_assert_int_eq(ac_request(ac, AC_OP_PING, 0, &id), 0);
        ck_assert_uint_eq(id, AC_PENDING_MAX + 1);
}
END_TEST

START_TEST(hangup_fails_pending)
{
        struct ac_reply r;
        uint64_t id;

        agent_send(hello_ready);
        ck_assert_int_eq(ac_request(ac, AC_OP_DUMP, 0, &id), 0);
        close(agent);
        agent = -1;
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_HELLO | AC_EV_REPLY | AC_EV_HANGUP);
        ck_assert(ac_state(ac)->hangup);
        ck_assert_int_eq(ac_next_reply(ac, &r), 1);
        ck_assert_uint_eq(r.id, id);
        ck_assert_int_eq(r.error, EPIPE);
        ck_assert_int_eq(ac_request(ac, AC_OP_DUMP, 0, &id), -EPIPE);
        ck_assert_int_eq(ac_on_readable(ac), AC_EV_HANGUP);
        ck_assert(strstr(ac_state_reason(ac_state(ac)), "exited"));
        ck_assert_int_eq(ac_next_deadline(ac, &id), 0);
}
END_TEST

/* Mutated copies of valid datagrams: whatever arrives, the client neither
 * crashes nor loses count, and its state stays printable. */
START_TEST(random_datagrams_never_fatal)
{
        static const char *const base[] = {
                hello_ready, "hello 1 pid=7 status=nojemalloc mallctl=- where=- active=0 version=- prefix=",
                "ok 1 /tmp/x.1.2.m0.heap", "err 2 28 no space", "ok 3 on",
        };
        struct ac_reply r;
        unsigned seed = 12345, sent = 0, got = 0;
        uint64_t id;
        char msg[256];

        for (unsigned round = 0; round < 4000; round++) {
                const char *b = base[round % 5];
                size_t len = strlen(b);

                if (ac_pending(ac) < 3 && ac_request(ac, AC_OP_DUMP, round, &id) == 0) {
                        char drop[64];

                        ck_assert_int_gt(recv(agent, drop, sizeof(drop), MSG_DONTWAIT), 0);
                }
                memcpy(msg, b, len);
                for (unsigned k = 0, n = (seed = seed * 1103515245 + 12345) >> 28; k < n; k++) {
                        seed = seed * 1103515245 + 12345;
                        msg[(seed >> 8) % len] = (char)(seed >> 20);
                }
                seed = seed * 1103515245 + 12345;
                if ((seed >> 16) % 4 == 0)
                        len = (seed >> 4) % len;        /* truncated, maybe empty */
                ck_assert_int_eq(send(agent, msg, len, 0), (ssize_t)len);
                sent++;
                if (round % 7 == 0) {
                        ck_assert_int_ge(ac_on_readable(ac), 0);
                        while (ac_next_reply(ac, &r) > 0)
                                got++;
                        ac_expire(ac, round);
                }
                ck_assert_uint_le(strlen(ac_state(ac)->prefix), AGENT_MSG_MAX);
        }
        ck_assert_int_ge(ac_on_readable(ac), 0);
        while (ac_next_reply(ac, &r) > 0)
                got++;
        ck_assert(!ac_state(ac)->hangup);
        /* Every datagram was either rejected, stray, a hello, or a reply. */
        ck_assert_uint_gt(ac_state(ac)->bad_messages, sent / 4);
        ck_assert_uint_gt(ac_state(ac)->hellos, 0);
        ck_assert_uint_ge(ac_state(ac)->bad_messages + ac_state(ac)->stray_replies + ac_state(ac)->hellos + got,
                          sent);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("agentctl");
        TCase *tc = tcase_create("channel");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, prepare_fds);
        tcase_add_test(tc, child_side);
        tcase_add_test(tc, request_wire_and_ids);
        tcase_add_test(tc, hello_ready_parsed);
        tcase_add_test(tc, hello_exec_replaces);
        tcase_add_test(tc, hello_noprof);
        tcase_add_test(tc, replies_complete_requests);
        tcase_add_test(tc, dump_reply_path);
        tcase_add_test(tc, malformed_rejected);
        tcase_add_test(tc, many_datagrams_batched);
        tcase_add_test(tc, timeouts);
        tcase_add_test(tc, pending_cap);
        tcase_add_test(tc, hangup_fails_pending);
        tcase_add_test(tc, random_datagrams_never_fatal);
        suite_add_tcase(s, tc);
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
