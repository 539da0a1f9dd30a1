/* The supervisor's own directory inside the dump directory. */
#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

#define ASIDE_TRIES 20

static bool ours(const struct stat *st)
{
        return S_ISDIR(st->st_mode) && st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static int move_aside(int dump_dir_fd, char **ret_note)
{
        char aside[64];

        for (int i = 0; i < ASIDE_TRIES; i++) {
                snprintf(aside, sizeof(aside), SD_NAME ".untrusted.%lld.%d", (long long)time(NULL), i);
                if (renameat(dump_dir_fd, SD_NAME, dump_dir_fd, aside) == 0) {
                        free(*ret_note);
                        if (asprintf(ret_note,
                                     "\"" SD_NAME "\" in the dump directory was not oomwatch's (another owner, "
                                     "not a directory, or writable by others): moved it aside to \"%s\"",
                                     aside) < 0)
                                *ret_note = NULL;
                        return 0;
                }
                if (errno == ENOENT)
                        return 0;
                if (errno != EEXIST && errno != ENOTEMPTY)
                        return -errno;
        }
        return -EEXIST;
}

int sd_open(int dump_dir_fd, char **ret_note)
{
        struct stat st;
        int fd = -1, r;

        *ret_note = NULL;
        for (int tries = 0; tries < ASIDE_TRIES; tries++) {
                if (mkdirat(dump_dir_fd, SD_NAME, 0755) < 0 && errno != EEXIST)
                        return -errno;
                fd = openat(dump_dir_fd, SD_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0 && fstat(fd, &st) == 0 && ours(&st))
                        break;
                if (fd >= 0)
                        close(fd);
                fd = -1;
                r = move_aside(dump_dir_fd, ret_note);
                if (r < 0)
                        return r;
        }
        if (fd < 0)
                return -EEXIST;
        /* a umask may have taken bits we want readers to have */
        if ((st.st_mode & 07777) != 0755)
                (void)fchmod(fd, 0755);
        return fd;
}

int sd_open_reader(const char *dump_dir, uid_t *ret_owner, char **ret_err)
{
        struct stat st;
        int dfd, fd, r;

        *ret_err = NULL;
        dfd = open(dump_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        fd = openat(dfd, SD_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = fd < 0 ? -errno : 0;
        close(dfd);
        if (r == -ELOOP || r == -ENOTDIR) {
                if (asprintf(ret_err, "\"%s/" SD_NAME "\" is not a directory: not oomwatch's, ignoring it",
                             dump_dir) < 0)
                        *ret_err = NULL;
                return -EPERM;
        }
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
                if (asprintf(ret_err,
                             "\"%s/" SD_NAME "\" belongs to uid %u%s, not to root or you: not oomwatch's (the "
                             "target may have planted it), ignoring it",
                             dump_dir, (unsigned)st.st_uid,
                             st.st_mode & (S_IWGRP | S_IWOTH) ? " and others may write it" : "") < 0)
                        *ret_err = NULL;
                close(fd);
                return -EPERM;
        }
        *ret_owner = st.st_uid;
        return fd;
}

int sd_read(const char *dump_dir, const char *name, size_t max, char **ret_text, char **ret_err)
{
        uid_t owner;
        char *buf;
        size_t n = 0;
        ssize_t k;
        int sd, fd;

        sd = sd_open_reader(dump_dir, &owner, ret_err);
        if (sd < 0) {
                if (!*ret_err && asprintf(ret_err, "\"%s/" SD_NAME "\": %s", dump_dir, strerror(-sd)) < 0)
                        *ret_err = NULL;
                return sd;
        }
        fd = fs_open_regular(sd, name, owner, NULL);
        close(sd);
        if (fd < 0) {
                if (asprintf(ret_err, "\"%s/" SD_NAME "/%s\": %s", dump_dir, name, fs_open_error(fd)) < 0)
                        *ret_err = NULL;
                return fd;
        }
        buf = malloc(max + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (n < max && (k = read(fd, buf + n, max - n)) > 0)
                n += (size_t)k;
        close(fd);
        buf[n] = '\0';
        *ret_text = buf;
        return 0;
}
