/* Unit tests: finding the memory cgroup from mountinfo and /proc/self/cgroup
 * texts (the layouts of real hosts and containers), and the effective limit
 * of a cgroup and its ancestors (on a directory tree made here). */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cglocate.h"

/* this project's machines: memory on v1, an empty v2 at /sys/fs/cgroup/unified */
static const char hybrid_mi[] =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char hybrid_pc[] = "9:name=systemd:/\n4:memory:/process_api/5eaa\n1:cpu:/\n0::/\n";

/* Docker on a v1 host: the container's own cgroup bind-mounted, host paths in /proc */
static const char docker_v1_mi[] =
        "700 699 0:33 /docker/abc123 /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime master:15 - cgroup "
        "cgroup rw,memory\n"
        "701 699 0:34 /docker/abc123 /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct\n";
static const char docker_v1_pc[] = "12:cpu,cpuacct:/docker/abc123\n7:memory:/docker/abc123\n0::/docker/abc123\n";

/* Kubernetes on v2: private cgroup namespace, read-only cgroup2 mount */
static const char k8s_v2_mi[] =
        "1200 1190 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup ro\n";
static const char k8s_v2_pc[] = "0::/\n";

/* a v2 host: systemd's unit, and a mount point with a space (escaped) */
static const char host_v2_mi[] =
        "24 1 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
        "90 24 0:22 / /mnt/cg\\040two rw - cgroup2 cgroup2 rw\n";
static const char host_v2_pc[] = "0::/system.slice/myservice.service\n";

START_TEST(hybrid_host_uses_v1)
{
        struct cgl_location l;

        ck_assert_int_eq(cgl_locate(hybrid_mi, hybrid_pc, &l), 0);
        ck_assert_int_eq(l.version, 1);
        ck_assert_str_eq(l.mount, "/sys/fs/cgroup/memory");
        ck_assert_str_eq(l.rel, "/process_api/5eaa");
        ck_assert_str_eq(l.path, "/sys/fs/cgroup/memory/process_api/5eaa");
        ck_assert_str_eq(l.hier, "/process_api/5eaa");
        cgl_location_free(&l);
}
END_TEST

START_TEST(docker_v1_bind_mount_root)
{
        struct cgl_location l;

        ck_assert_int_eq(cgl_locate(docker_v1_mi, docker_v1_pc, &l), 0);
        ck_assert_int_eq(l.version, 1);
        ck_assert_str_eq(l.rel, "/");
        ck_assert_str_eq(l.path, "/sys/fs/cgroup/memory");
        ck_assert_str_eq(l.hier, "/docker/abc123");
        cgl_location_free(&l);
}
END_TEST

START_TEST(kubernetes_v2_namespace)
{
        struct cgl_location l;

        ck_assert_int_eq(cgl_locate(k8s_v2_mi, k8s_v2_pc, &l), 0);
        ck_assert_int_eq(l.version, 2);
        ck_assert_str_eq(l.path, "/sys/fs/cgroup");
        ck_assert_str_eq(l.rel, "/");
        ck_assert_str_eq(l.hier, "/");
        cgl_location_free(&l);
}
END_TEST

START_TEST(v2_host_prefers_sys_fs_cgroup)
{
        struct cgl_location l;
        char mi[512];

        ck_assert_int_eq(cgl_locate(host_v2_mi, host_v2_pc, &l), 0);
        ck_assert_str_eq(l.path, "/sys/fs/cgroup/system.slice/myservice.service");
        cgl_location_free(&l);
        /* only the other mount: its escaped name comes back unescaped */
        snprintf(mi, sizeof(mi), "%s", strchr(host_v2_mi, '\n') + 1);
        ck_assert_int_eq(cgl_locate(mi, host_v2_pc, &l), 0);
        ck_assert_str_eq(l.path, "/mnt/cg two/system.slice/myservice.service");
        cgl_location_free(&l);
}
END_TEST

START_TEST(not_found_and_malformed)
{
        struct cgl_location l;

        /* no memory hierarchy at all */
        ck_assert_int_eq(cgl_locate("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n", "0::/\n", &l), -ENODEV);
        /* the mount shows another container's cgroup */
        ck_assert_int_eq(cgl_locate(docker_v1_mi, "7:memory:/docker/other\n", &l), -ENOENT);
        /* a sibling whose name starts like the root is not below it */
        ck_assert_int_eq(cgl_locate(docker_v1_mi, "7:memory:/docker/abc1234\n", &l), -ENOENT);
        /* no memory line */
        ck_assert_int_eq(cgl_locate(hybrid_mi, "1:cpu:/\n", &l), -ENOENT);
        ck_assert_int_eq(cgl_locate(hybrid_mi, "4:memory:relative\n", &l), -EINVAL);
        ck_assert_int_eq(cgl_locate(k8s_v2_mi, "0::/gone (deleted)\n", &l), -ENOENT);
        /* truncated mountinfo lines are skipped, not read past */
        ck_assert_int_eq(cgl_locate("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup", hybrid_pc, &l), -ENODEV);
        ck_assert_int_eq(cgl_locate("", "", &l), -ENODEV);
}
END_TEST

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
        (void)st;
        (void)f;
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void put(const char *dir, const char *name, const char *value)
{
        char p[512];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        f = fopen(p, "w");
        ck_assert_ptr_nonnull(f);
        fputs(value, f);
        fclose(f);
}

START_TEST(effective_limit_is_the_smallest_on_the_way_up)
{
        char root[] = "/tmp/oomwatch-cgl.XXXXXX", a[600], b[600], c[600], sib[600], *where = NULL;
        uint64_t v = 1;

        ck_assert_ptr_nonnull(mkdtemp(root));
        snprintf(a, sizeof(a), "%s/a", root);
        snprintf(b, sizeof(b), "%s/a/b", root);
        snprintf(c, sizeof(c), "%s/a/b/c", root);
        snprintf(sib, sizeof(sib), "%s/a/sibling", root);
        ck_assert_int_eq(mkdir(a, 0700), 0);
        ck_assert_int_eq(mkdir(b, 0700), 0);
        ck_assert_int_eq(mkdir(c, 0700), 0);
        ck_assert_int_eq(mkdir(sib, 0700), 0);
        /* v2: the root has no memory.max */
        put(a, "memory.max", "83886080\n");
        put(b, "memory.max", "max\n");
        put(c, "memory.max", "134217728\n");
        put(sib, "memory.max", "1048576\n");
        ck_assert_int_eq(cgl_effective_limit(root, c, 2, &v, &where), 0);
        ck_assert_uint_eq(v, 80ULL << 20);
        ck_assert_str_eq(where, a);
        free(where);
        /* the mount itself counts (a container's namespace root has a limit) */
        put(root, "memory.max", "67108864\n");
        ck_assert_int_eq(cgl_effective_limit(root, c, 2, &v, &where), 0);
        ck_assert_uint_eq(v, 64ULL << 20);
        ck_assert_str_eq(where, root);
        free(where);
        /* nothing limited: v1's "unlimited" value and max */
        put(root, "memory.limit_in_bytes", "9223372036854771712\n");
        put(a, "memory.limit_in_bytes", "9223372036854771712\n");
        ck_assert_int_eq(cgl_effective_limit(root, a, 1, &v, &where), 0);
        ck_assert_uint_eq(v, 0);
        ck_assert_ptr_null(where);
        /* garbage is an error, not "no limit" */
        put(a, "memory.limit_in_bytes", "12abc\n");
        ck_assert_int_eq(cgl_effective_limit(root, a, 1, &v, NULL), -EINVAL);
        /* dir must be below mount */
        ck_assert_int_eq(cgl_effective_limit(a, root, 2, &v, NULL), -EINVAL);
        ck_assert_int_eq(cgl_effective_limit(c, sib, 2, &v, NULL), -EINVAL);

        ck_assert_int_eq(nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("cglocate");
        TCase *t = tcase_create("locate");

        tcase_add_test(t, hybrid_host_uses_v1);
        tcase_add_test(t, docker_v1_bind_mount_root);
        tcase_add_test(t, kubernetes_v2_namespace);
        tcase_add_test(t, v2_host_prefers_sys_fs_cgroup);
        tcase_add_test(t, not_found_and_malformed);
        tcase_add_test(t, effective_limit_is_the_smallest_on_the_way_up);
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
