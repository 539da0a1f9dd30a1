/* The directory of an incident bundle: built aside, renamed into place. */
#include "bundledir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

#define MAX_SUFFIX 100

static int open_locked_dir(int at, const char *name)
{
        struct stat st;
        int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
                close(fd);
                return -EPERM;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                close(fd);
                return r;
        }
        return fd;
}

static void init(struct bdir *d, int report_fd)
{
        memset(d, 0, sizeof(*d));
        d->report_fd = report_fd;
        d->fd = d->dumps_fd = -1;
}

int bd_create(int report_fd, const char *name, struct bdir *d)
{
        int r = -EEXIST;

        init(d, report_fd);
        if (!*name || strchr(name, '/'))
                return -EINVAL;
        d->name = strdup(name);
        if (!d->name)
                return -ENOMEM;
        for (int i = 0; i < MAX_SUFFIX; i++) {
                free(d->tmp);
                d->tmp = NULL;
                if ((i ? asprintf(&d->tmp, BD_PREFIX "%s.%d", name, i) : asprintf(&d->tmp, BD_PREFIX "%s", name)) < 0)
                        return -ENOMEM;
                /* 0711: the analysis, as another user, finds what it is given
                 * by name (its working directory), and can list or change nothing */
                if (mkdirat(report_fd, d->tmp, 0711) == 0) {
                        r = 0;
                        break;
                }
                r = -errno;
                if (r != -EEXIST)
                        return r;
        }
        if (r < 0)
                return r;
        d->fd = open_locked_dir(report_fd, d->tmp);
        if (d->fd < 0)
                return d->fd;
        /* whatever the umask took */
        if (fchmod(d->fd, 0711) < 0 || mkdirat(d->fd, "dumps", 0711) < 0)
                return -errno;
        d->dumps_fd = openat(d->fd, "dumps", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d->dumps_fd < 0 || fchmod(d->dumps_fd, 0711) < 0)
                return -errno;
        return 0;
}

int bd_adopt(int report_fd, const char *tmp_name, struct bdir *d)
{
        const char *base = tmp_name + strlen(BD_PREFIX);

        init(d, report_fd);
        if (strncmp(tmp_name, BD_PREFIX, strlen(BD_PREFIX)) != 0 || !*base || strchr(tmp_name, '/'))
                return -EINVAL;
        d->tmp = strdup(tmp_name);
        d->name = strdup(base);
        if (!d->tmp || !d->name)
                return -ENOMEM;
        d->fd = open_locked_dir(report_fd, d->tmp);
        if (d->fd < 0)
                return d->fd;
        d->dumps_fd = openat(d->fd, "dumps", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return d->dumps_fd < 0 ? -errno : 0;
}

static int copy_fd(int in, int out)
{
        char *buf = malloc(1 << 16);
        ssize_t n;
        int r = 0;

        if (!buf)
                return -ENOMEM;
        while ((n = read(in, buf, 1 << 16)) > 0) {
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(out, buf + off, (size_t)(n - off));
                        if (w < 0) {
                                r = -errno;
                                goto out;
                        }
                        off += w;
                }
        }
        if (n < 0)
                r = -errno;
out:
        free(buf);
        return r;
}

int bd_take_dump(struct bdir *d, int dump_dir_fd, const char *name, uid_t owner, uid_t to_uid, gid_t to_gid)
{
        struct bd_dump *v, e = { 0 };
        struct stat st, moved;
        int in, r;

        in = fs_open_regular(dump_dir_fd, name, owner, &st);
        if (in < 0)
                return in;
        e.name = strdup(name);
        if (!e.name) {
                close(in);
                return -ENOMEM;
        }
        e.dev = st.st_dev;
        e.ino = st.st_ino;
        r = renameat2(dump_dir_fd, name, d->dumps_fd, name, RENAME_NOREPLACE) < 0 ? -errno : 0;
        if (r == 0) {
                /* the target may have swapped the name since it was opened */
                if (fstatat(d->dumps_fd, name, &moved, AT_SYMLINK_NOFOLLOW) < 0 || moved.st_dev != st.st_dev ||
                    moved.st_ino != st.st_ino) {
                        if (renameat2(d->dumps_fd, name, dump_dir_fd, name, RENAME_NOREPLACE) < 0)
                                (void)unlinkat(d->dumps_fd, name, 0);
                        r = -EPERM;
                        goto fail;
                }
        } else if (r == -EXDEV) {
                int out = openat(d->dumps_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (out < 0) {
                        r = -errno;
                        goto fail;
                }
                r = copy_fd(in, out);
                if (r == 0 && fstat(out, &moved) < 0)
                        r = -errno;
                if (close(out) < 0 && r == 0)
                        r = -errno;
                if (r < 0) {
                        (void)unlinkat(d->dumps_fd, name, 0); /* no partial copies */
                        goto fail;
                }
                e.copied = true;
                e.orig_dev = e.dev;
                e.orig_ino = e.ino;
                e.dev = moved.st_dev;
                e.ino = moved.st_ino;
        } else {
                goto fail;
        }
        /* the analysis runs as to_uid: the dumps must be its to read */
        if (fchownat(d->dumps_fd, name, to_uid, to_gid, AT_SYMLINK_NOFOLLOW) < 0 && geteuid() == 0) {
                r = -errno;
                (void)bd_return_dumps(&(struct bdir){ .dumps_fd = d->dumps_fd, .dumps = &e, .n_dumps = 1 }, dump_dir_fd);
                goto fail;
        }
        close(in);
        v = realloc(d->dumps, (d->n_dumps + 1) * sizeof(*v));
        if (!v) {
                (void)bd_return_dumps(&(struct bdir){ .dumps_fd = d->dumps_fd, .dumps = &e, .n_dumps = 1 }, dump_dir_fd);
                free(e.name);
                return -ENOMEM;
        }
        d->dumps = v;
        d->dumps[d->n_dumps++] = e;
        return 0;
fail:
        close(in);
        free(e.name);
        return r;
}

int bd_return_dumps(struct bdir *d, int dump_dir_fd)
{
        int left = 0;

        for (size_t i = 0; i < d->n_dumps; i++) {
                struct bd_dump *e = &d->dumps[i];
                if (e->copied) {
                        (void)unlinkat(d->dumps_fd, e->name, 0);
                        continue;
                }
                if (renameat2(d->dumps_fd, e->name, dump_dir_fd, e->name, RENAME_NOREPLACE) < 0)
                        left++;
        }
        return left;
}

int bd_add_output(struct bdir *d, const char *name)
{
        int fd;

        if (d->n_outs == BD_MAX_OUTPUTS)
                return -E2BIG;
        fd = fs_create_file(d->fd, name, 0644);
        if (fd < 0)
                return fd;
        (void)fchmod(fd, 0644);
        d->out_names[d->n_outs] = name;
        d->out_fds[d->n_outs++] = fd;
        d->out_names[d->n_outs] = NULL;
        return fd;
}

int bd_truncate_outputs(struct bdir *d)
{
        for (size_t i = 0; i < d->n_outs; i++)
                if (ftruncate(d->out_fds[i], 0) < 0 || lseek(d->out_fds[i], 0, SEEK_SET) < 0)
                        return -errno;
        return 0;
}

int64_t bd_output_size(const struct bdir *d, size_t i)
{
        struct stat st;

        if (i >= d->n_outs)
                return -EINVAL;
        return fstat(d->out_fds[i], &st) < 0 ? -errno : (int64_t)st.st_size;
}

static bool is_required(const char *name, const char *const *required)
{
        for (; required && *required; required++)
                if (strcmp(*required, name) == 0)
                        return true;
        return false;
}

int bd_finish(struct bdir *d, const char *const *required)
{
        char *final = NULL;
        int r = -EEXIST;

        for (size_t i = 0; i < d->n_outs; i++) {
                if (bd_output_size(d, i) == 0 && !is_required(d->out_names[i], required))
                        (void)unlinkat(d->fd, d->out_names[i], 0);
                close(d->out_fds[i]);
                d->out_fds[i] = -1;
        }
        d->n_outs = 0;
        d->out_names[0] = NULL;
        if (fchmod(d->fd, 0700) < 0)
                return -errno;
        for (int i = 0; i < MAX_SUFFIX; i++) {
                free(final);
                if ((i ? asprintf(&final, "%s.%d", d->name, i) : asprintf(&final, "%s", d->name)) < 0)
                        return -ENOMEM;
                if (renameat2(d->report_fd, d->tmp, d->report_fd, final, RENAME_NOREPLACE) == 0) {
                        r = 0;
                        break;
                }
                r = -errno;
                if (r != -EEXIST)
                        break;
        }
        if (r < 0) {
                free(final);
                return r;
        }
        free(d->name);
        d->name = final;
        free(d->tmp);
        d->tmp = NULL;
        return 0;
}

int bd_remove_originals(const struct bdir *d, int dump_dir_fd)
{
        struct stat st;
        int n = 0;

        for (size_t i = 0; i < d->n_dumps; i++) {
                const struct bd_dump *e = &d->dumps[i];
                if (!e->copied || fstatat(dump_dir_fd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    (uint64_t)st.st_dev != e->orig_dev || (uint64_t)st.st_ino != e->orig_ino)
                        continue;
                if (unlinkat(dump_dir_fd, e->name, 0) == 0)
                        n++;
        }
        return n;
}

/* Remove every entry of dir fd (files, and one level of directories). */
static void empty_dir(int fd)
{
        int dfd = dup(fd);
        DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
        struct dirent *e;

        if (!dir) {
                if (dfd >= 0)
                        close(dfd);
                return;
        }
        while ((e = readdir(dir)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && unlinkat(fd, e->d_name, 0) < 0 &&
                    errno == EISDIR) {
                        int sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0) {
                                empty_dir(sub);
                                close(sub);
                        }
                        (void)unlinkat(fd, e->d_name, AT_REMOVEDIR);
                }
        closedir(dir);
}

void bd_discard(struct bdir *d)
{
        for (size_t i = 0; i < d->n_outs; i++)
                if (d->out_fds[i] >= 0)
                        close(d->out_fds[i]);
        d->n_outs = 0;
        if (d->fd >= 0) {
                empty_dir(d->fd);
                if (d->tmp)
                        (void)unlinkat(d->report_fd, d->tmp, AT_REMOVEDIR);
        }
        bd_close(d);
}

void bd_close(struct bdir *d)
{
        for (size_t i = 0; i < d->n_outs; i++)
                if (d->out_fds[i] >= 0)
                        close(d->out_fds[i]);
        if (d->dumps_fd >= 0)
                close(d->dumps_fd);
        if (d->fd >= 0)
                close(d->fd);
        for (size_t i = 0; i < d->n_dumps; i++)
                free(d->dumps[i].name);
        free(d->dumps);
        free(d->name);
        free(d->tmp);
        init(d, d->report_fd);
}

int bd_find_interrupted(int report_fd, void (*fn)(void *userdata, const char *tmp_name), void *userdata)
{
        int dfd = dup(report_fd), n = 0;
        DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
        struct dirent *e;
        char **names = NULL;
        size_t k = 0;

        if (!dir) {
                if (dfd >= 0)
                        close(dfd);
                return -errno;
        }
        rewinddir(dir);
        while ((e = readdir(dir))) {
                char **v;
                int fd;
                if (strncmp(e->d_name, BD_PREFIX, strlen(BD_PREFIX)) != 0)
                        continue;
                fd = openat(report_fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                        close(fd);
                        continue; /* being built */
                }
                close(fd);
                v = realloc(names, (k + 1) * sizeof(*v));
                if (!v || !(v[k] = strdup(e->d_name))) {
                        names = v ? v : names;
                        break;
                }
                names = v;
                k++;
        }
        closedir(dir);
        /* the callback renames and removes: not while the directory is read */
        for (size_t i = 0; i < k; i++) {
                if (fn)
                        fn(userdata, names[i]);
                free(names[i]);
                n++;
        }
        free(names);
        return n;
}
