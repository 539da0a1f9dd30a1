/* File-system helpers. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fs_mkdir_parents(const char *path, mode_t mode)
{
        char *p = strdup(path);
        int r = 0;

        if (!p)
                return -ENOMEM;
        for (char *c = p + 1; *c; c++) {
                if (*c != '/')
                        continue;
                *c = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        r = -errno;
                *c = '/';
                if (r < 0)
                        break;
        }
        if (r == 0 && mkdir(p, mode) < 0 && errno != EEXIST)
                r = -errno;
        free(p);
        return r;
}

/* Opened O_NONBLOCK so that a planted FIFO cannot block the open: reads
 * and writes block again. */
static void set_blocking(int fd)
{
        int fl = fcntl(fd, F_GETFL);

        if (fl >= 0)
                (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

int fs_open_regular(int dir_fd, const char *name, uid_t owner, struct stat *ret_st)
{
        struct stat st;
        int fd, r;

        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
                r = -ENOTSUP;
                goto fail;
        }
        if (owner != (uid_t)-1 && (st.st_uid != owner || st.st_nlink != 1)) {
                r = -EPERM;
                goto fail;
        }
        set_blocking(fd);
        if (ret_st)
                *ret_st = st;
        return fd;
fail:
        close(fd);
        return r;
}

int fs_create_file(int dir_fd, const char *name, mode_t mode)
{
        int fd;

        if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
                return -errno;
        fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                    mode);
        if (fd < 0)
                return -errno;
        set_blocking(fd);
        return fd;
}

FILE *fs_rewrite_begin(struct fs_rewrite *rw, int dir_fd, const char *name, const char *spare, mode_t mode,
                       int *ret_err)
{
        struct stat st, st2;
        int fd = -1;

        *rw = (struct fs_rewrite){ .dir_fd = dir_fd, .name = name, .spare = spare };
        /* looked at before it is opened: a device or FIFO planted there is
         * never opened, only unlinked */
        if (fstatat(dir_fd, spare, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            st.st_uid == geteuid() && st.st_nlink == 1) {
                fd = openat(dir_fd, spare, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                if (fd >= 0 && (fstat(fd, &st2) < 0 || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev ||
                                !S_ISREG(st2.st_mode))) {
                        close(fd);
                        fd = -1;
                }
                if (fd >= 0)
                        set_blocking(fd);
        }
        if (fd < 0)
                fd = fs_create_file(dir_fd, spare, mode);
        if (fd < 0) {
                *ret_err = fd;
                return NULL;
        }
        rw->f = fdopen(fd, "w");   /* "w" on an fd: no truncation */
        if (!rw->f) {
                *ret_err = -errno;
                close(fd);
                (void)unlinkat(dir_fd, spare, 0);
                return NULL;
        }
        *ret_err = 0;
        return rw->f;
}

int fs_rewrite_end(struct fs_rewrite *rw, int err)
{
        off_t len;

        if (!rw->f)
                return err ? err : -EBADF;
        if (fflush(rw->f) != 0 || ferror(rw->f))
                err = err ? err : -EIO;
        len = ftello(rw->f);
        if (!err && (len < 0 || ftruncate(fileno(rw->f), len) < 0))
                err = -errno;
        if (fclose(rw->f) != 0 && !err)
                err = -errno;
        rw->f = NULL;
        if (!err && renameat2(rw->dir_fd, rw->spare, rw->dir_fd, rw->name, RENAME_EXCHANGE) < 0) {
                /* ENOENT: no earlier version yet; EINVAL: the file system
                 * cannot exchange names */
                if (errno != ENOENT && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                        err = -errno;
                else if (renameat(rw->dir_fd, rw->spare, rw->dir_fd, rw->name) < 0)
                        err = -errno;
        }
        if (err)
                (void)unlinkat(rw->dir_fd, rw->spare, 0);
        return err;
}

bool fs_dir_shared_writable(const struct stat *st)
{
        if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
                return false;
        return !((st->st_mode & S_ISVTX) && st->st_uid == 0);
}

const char *fs_open_error(int r)
{
        switch (r) {
        case -ELOOP: return "a symbolic link";
        case -ENOTSUP: return "not a regular file";
        case -EPERM: return "not a file of oomwatch's own (another owner, or hard-linked)";
        default: return strerror(-r);
        }
}
