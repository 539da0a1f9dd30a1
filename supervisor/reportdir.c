/* The report directory and the checks on its path. */
#include "reportdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "fsutil.h"

static bool in_groups(gid_t g, const struct rd_target *t)
{
        for (size_t i = 0; i < t->n_gids; i++)
                if (t->gids[i] == g)
                        return true;
        return false;
}

const char *rd_refusal(const struct stat *st, const struct rd_target *t)
{
        bool other_target = t && t->uid != geteuid();

        if (!S_ISDIR(st->st_mode))
                return "not a directory";
        if (other_target && st->st_uid == t->uid)
                return "owned by the target's user";
        if (st->st_uid != 0 && st->st_uid != geteuid())
                return "owned by another user";
        if (other_target && (st->st_mode & S_IWGRP) && in_groups(st->st_gid, t) &&
            !((st->st_mode & S_ISVTX) && st->st_uid == 0))
                return "writable by a group of the target's user";
        if (fs_dir_shared_writable(st))
                return st->st_mode & S_IWOTH ? "writable by others" : "writable by its group";
        return NULL;
}

/* Absolute, with "." and ".." resolved against the existing directories:
 * the longest existing prefix through realpath(3), then the rest. */
static int absolute(const char *path, char **ret)
{
        char *abs = NULL, *head, *cut, *real;
        int r;

        if (path[0] == '/') {
                abs = strdup(path);
        } else {
                char *cwd = getcwd(NULL, 0);
                if (!cwd)
                        return -errno;
                r = asprintf(&abs, "%s/%s", cwd, path);
                free(cwd);
                if (r < 0)
                        abs = NULL;
        }
        if (!abs)
                return -ENOMEM;
        /* find the longest prefix that exists */
        head = strdup(abs);
        if (!head) {
                free(abs);
                return -ENOMEM;
        }
        for (;;) {
                real = realpath(head, NULL);
                if (real)
                        break;
                cut = strrchr(head, '/');
                if (!cut || cut == head) {
                        real = strdup("/");
                        head[1] = '\0';
                        break;
                }
                *cut = '\0';
        }
        if (!real) {
                free(head);
                free(abs);
                return -ENOMEM;
        }
        {
                const char *rest = abs + strlen(head);
                char *out = NULL;
                while (*rest == '/')
                        rest++;
                if (strstr(rest, "/../") || strncmp(rest, "../", 3) == 0 || strcmp(rest, "..") == 0) {
                        free(real);
                        free(head);
                        free(abs);
                        return -EINVAL;
                }
                r = asprintf(&out, "%s%s%s", real, strcmp(real, "/") == 0 || !*rest ? "" : "/", rest);
                free(real);
                free(head);
                free(abs);
                if (r < 0)
                        return -ENOMEM;
                /* no trailing '/' */
                for (size_t n = strlen(out); n > 1 && out[n - 1] == '/'; n--)
                        out[n - 1] = '\0';
                *ret = out;
        }
        return 0;
}

int rd_open(const char *path, const struct rd_target *t, char **ret_path, char **ret_err)
{
        char *abs = NULL, *p, *comp, *save = NULL, *sofar = NULL;
        struct stat st;
        const char *why;
        int fd, next, r;

        *ret_err = NULL;
        r = absolute(path, &abs);
        if (r < 0)
                return err_set(ret_err, r, "the report directory \"%s\": %s", path,
                               r == -EINVAL ? "\"..\" after a directory that does not exist" : strerror(-r));
        fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                goto fail_errno;
        }
        sofar = strdup("");
        p = strdup(abs);
        if (!sofar || !p) {
                free(p);
                r = -ENOMEM;
                goto fail_errno;
        }
        for (comp = strtok_r(p, "/", &save);; comp = strtok_r(NULL, "/", &save)) {
                if (fstat(fd, &st) < 0) {
                        r = -errno;
                        free(p);
                        goto fail_errno;
                }
                why = rd_refusal(&st, t);
                if (why) {
                        r = err_set(ret_err, -EPERM,
                                    "refusing the report directory \"%s\": \"%s\" is %s (owner uid %u, mode %04o): "
                                    "whoever may write it could redirect what oomwatch writes there",
                                    abs, *sofar ? sofar : "/", why, (unsigned)st.st_uid,
                                    (unsigned)(st.st_mode & 07777));
                        free(p);
                        goto fail;
                }
                if (!comp)
                        break;
                {
                        char *n = NULL;
                        if (asprintf(&n, "%s/%s", sofar, comp) < 0) {
                                free(p);
                                r = -ENOMEM;
                                goto fail_errno;
                        }
                        free(sofar);
                        sofar = n;
                }
                if (mkdirat(fd, comp, 0700) < 0 && errno != EEXIST) {
                        r = -errno;
                        free(p);
                        r = err_set(ret_err, r, "cannot create the report directory \"%s\": %s", sofar,
                                    strerror(-r));
                        goto fail;
                }
                /* a link on the way was resolved above; one now is someone's doing */
                next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        r = -errno;
                        free(p);
                        r = err_set(ret_err, r, "cannot open the report directory \"%s\": %s", sofar,
                                    r == -ELOOP || r == -ENOTDIR ? "it is not a directory (a symbolic link?)"
                                                                 : strerror(-r));
                        goto fail;
                }
                close(fd);
                fd = next;
        }
        free(p);
        free(sofar);
        *ret_path = abs;
        return fd;
fail_errno:
        r = err_set(ret_err, r, "the report directory \"%s\": %s", abs, strerror(-r));
fail:
        if (fd >= 0)
                close(fd);
        free(sofar);
        free(abs);
        return r;
}
