/* Unit tests: kmsg.c's parser of the kernel's OOM records (as Linux 6.1 and
 * 6.18 write them) and the match of their cgroup paths. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"

static const char oom_kill[] =
        "6,30485,2320956578,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
        "oom_memcg=/process_api/c0f8/oomwatch.30082,task_memcg=/process_api/c0f8/oomwatch.30082,task=glibc_leak,"
        "pid=30116,uid=0\n";
static const char killed[] =
        "3,30486,2320956593,-;Memory cgroup out of memory: Killed process 30116 (glibc_leak) total-vm:56696kB, "
        "anon-rss:31488kB, file-rss:3544kB, shmem-rss:0kB, UID:0 pgtables:148kB oom_score_adj:0\n";

static enum kmsg_kind parse(const char *text, struct kmsg_record *r)
{
        return kmsg_parse(text, strlen(text), r);
}

START_TEST(oom_kill_line)
{
        struct kmsg_record r;

        ck_assert_int_eq(parse(oom_kill, &r), KMSG_OOM_KILL);
        ck_assert_int_eq(r.pid, 30116);
        ck_assert_str_eq(r.task, "glibc_leak");
        ck_assert_uint_eq(r.memcg_len, strlen("/process_api/c0f8/oomwatch.30082"));
        ck_assert(strncmp(r.memcg, "/process_api/c0f8/oomwatch.30082", r.memcg_len) == 0);
}
END_TEST

START_TEST(killed_line)
{
        struct kmsg_record r;

        ck_assert_int_eq(parse(killed, &r), KMSG_KILLED);
        ck_assert_int_eq(r.pid, 30116);
        ck_assert_str_eq(r.task, "glibc_leak");
        ck_assert_uint_eq(r.anon_rss, 31488ULL * 1024);
        /* the global OOM killer's prefix is another */
        ck_assert_int_eq(parse("3,1,1,-;Out of memory: Killed process 7 (a b) total-vm:1kB, anon-rss:2kB, file-rss:0kB\n",
                               &r), KMSG_KILLED);
        ck_assert_int_eq(r.pid, 7);
        ck_assert_str_eq(r.task, "a b");
        ck_assert_uint_eq(r.anon_rss, 2048);
}
END_TEST

START_TEST(hostile_task_names)
{
        struct kmsg_record r;

        /* a task named to look like more fields: the last ",pid=" counts */
        ck_assert_int_eq(parse("6,1,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/x,task_memcg=/x,"
                               "task=a,pid=1,uid=0,pid=42,uid=1000\n", &r), KMSG_OOM_KILL);
        ck_assert_int_eq(r.pid, 42);
        ck_assert_str_eq(r.task, "a,pid=1,uid=0");
        /* a name with ") total-vm:" inside */
        ck_assert_int_eq(parse("3,1,1,-;Memory cgroup out of memory: Killed process 9 (x) total-vm:) "
                               "total-vm:5kB, anon-rss:4kB, file-rss:0kB\n", &r), KMSG_KILLED);
        ck_assert_int_eq(r.pid, 9);
        ck_assert_uint_eq(r.anon_rss, 4096);
        /* control characters do not reach the name */
        ck_assert_int_eq(parse("6,1,1,-;oom-kill:task_memcg=/x,task=a\tb,pid=3,uid=0\n", &r), KMSG_OOM_KILL);
        ck_assert_str_eq(r.task, "a?b");
}
END_TEST

START_TEST(group_and_other_lines)
{
        struct kmsg_record r;

        ck_assert_int_eq(parse("6,1,1,-;Tasks in /a/oomwatch.5 are going to be killed due to memory.oom.group set\n", &r),
                         KMSG_GROUP);
        ck_assert_uint_eq(r.memcg_len, strlen("/a/oomwatch.5"));
        ck_assert(strncmp(r.memcg, "/a/oomwatch.5", r.memcg_len) == 0);
        ck_assert_int_eq(parse("6,2,1,-;eth0: link up\n", &r), KMSG_OTHER);
        ck_assert_int_eq(parse("no semicolon at all", &r), KMSG_OTHER);
        ck_assert_int_eq(parse("6,1,1,-;oom-kill:task_memcg=/x,task=a,pid=0,uid=0\n", &r), KMSG_OTHER);
        ck_assert_int_eq(parse("6,1,1,-;oom-kill:task_memcg=/x,task=a,pid=12", &r), KMSG_OTHER);
        ck_assert_int_eq(parse("3,1,1,-;Memory cgroup out of memory: Killed process x (y) total-vm:1kB, anon-rss:2kB\n", &r),
                         KMSG_OTHER);
        ck_assert_int_eq(parse("3,1,1,-;Memory cgroup out of memory: Killed process 5 (y) total-vm:1kB\n", &r),
                         KMSG_OTHER);
        /* continuation lines after the message are not part of it */
        ck_assert_int_eq(parse("6,1,1,-;eth0: up\n SUBSYSTEM=net\n DEVICE=oom-kill:task_memcg=/x,task=a,pid=1,uid=0\n",
                               &r), KMSG_OTHER);
}
END_TEST

START_TEST(cgroup_paths_matched)
{
        const char *ours = "/process_api/c0f8/oomwatch.300";

#define M(p) kmsg_memcg_match((p), strlen(p), ours)
        ck_assert_int_eq(M("/process_api/c0f8/oomwatch.300"), 2);
        ck_assert_int_eq(M("/process_api/c0f8/oomwatch.300/inner"), 2);    /* below ours */
        ck_assert_int_eq(M("/process_api/c0f8/oomwatch.3000"), 0);
        ck_assert_int_eq(M("/process_api/c0f8/oomwatch.30"), 0);
        ck_assert_int_eq(M("/other"), 0);
        ck_assert_int_eq(M("/kubepods/pod1/process_api/c0f8/oomwatch.300"), 1);  /* another namespace's root */
        ck_assert_int_eq(M(""), 0);
#undef M
        ck_assert_int_eq(kmsg_memcg_match("/a", 2, "/"), 2);
        ck_assert_int_eq(kmsg_memcg_match("/a", 2, ""), 0);
        ck_assert_int_eq(kmsg_memcg_match("/a", 2, "a"), 0);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("kmsg");
        TCase *t = tcase_create("records");

        tcase_add_test(t, oom_kill_line);
        tcase_add_test(t, killed_line);
        tcase_add_test(t, hostile_task_names);
        tcase_add_test(t, group_and_other_lines);
        tcase_add_test(t, cgroup_paths_matched);
        suite_add_tcase(s, t);
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
