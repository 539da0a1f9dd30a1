/* File-system helpers. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
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

int fs_open_regular(int dir_fd, const char *name, uid_t owner, struct stat *ret_st)
{
        struct stat st;
        int fd, fl, r;

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
        fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
                (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
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
        {
                int fl = fcntl(fd, F_GETFL);
                if (fl >= 0)
                        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        }
        return fd;
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
