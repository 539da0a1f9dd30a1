/* The directory of an incident bundle, from the supervisor's side: built
 * aside, renamed into place when complete, never through a path someone
 * else can change.
 *
 *   <report dir>/.incomplete-<name>/     mode 0711 while it is built, locked
 *       .facts.json                      the incident's facts (bundlefacts.h)
 *       dumps/                           the dumps, moved (or copied) in
 *       report.txt, incident.json, ...   created here, written by the
 *                                        analysis through fds it is given
 *   <report dir>/<name>/                 mode 0700, the complete bundle
 *
 * Everything goes through the report directory's fd (reportdir.h) and the
 * fds opened here: mkdirat, openat with O_CREAT|O_EXCL|O_NOFOLLOW,
 * renameat2(RENAME_NOREPLACE). A name taken at the end is a collision: the
 * next suffix (".1", ...) is tried, and running out of them is an error,
 * never a fallback to a name someone else made.
 *
 * Dumps come out of the dump directory (the target's) only as regular
 * files of the target's user with one link, opened O_NOFOLLOW|O_NONBLOCK
 * and checked to be the very file that was moved; moved in by rename, or
 * across file systems copied (the original is removed once the bundle is
 * complete: bd_remove_originals). They are given to the analysis's user.
 *
 * The temporary directory is locked (flock) while a supervisor builds it:
 * one whose lock is free was left by a supervisor that died; the next start
 * finishes it (incident.h, inc_resume).
 *
 * Nothing here logs; functions return >= 0 or -errno. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define BD_PREFIX ".incomplete-"
#define BD_MAX_OUTPUTS 16

struct bd_dump {
        char *name;          /* in dumps/ and, before, in the dump directory */
        uint64_t dev, ino;   /* of the file */
        bool copied;         /* across file systems: the original is still in the dump directory */
        uint64_t orig_dev, orig_ino;
};

struct bdir {
        int report_fd;                 /* borrowed */
        char *name;                    /* the final name; after bd_finish, the one taken */
        char *tmp;                     /* BD_PREFIX + name (as created) */
        int fd;                        /* the temporary directory, locked; -1 */
        int dumps_fd;                  /* its dumps/; -1 */
        struct bd_dump *dumps;
        size_t n_dumps;
        const char *out_names[BD_MAX_OUTPUTS + 1]; /* NULL-terminated, static strings */
        int out_fds[BD_MAX_OUTPUTS];
        size_t n_outs;
};

/* Make and lock the temporary directory for name (a file name: no '/').
 * Returns 0; -EEXIST when every suffix of name is taken. */
int bd_create(int report_fd, const char *name, struct bdir *d);

/* Take dump name from dump_dir_fd: a regular file owned by owner with one
 * link; moved in, or copied across file systems; then owned by to_uid and
 * to_gid. Returns 0; -EPERM/-ELOOP/-ENOTSUP for something that is not such
 * a file (left where it is); -ENOSPC and other write errors when a copy
 * failed (nothing is left of it). */
int bd_take_dump(struct bdir *d, int dump_dir_fd, const char *name, uid_t owner, uid_t to_uid, gid_t to_gid);

/* Put the dumps back where they were: moved ones renamed back into
 * dump_dir_fd (never over an existing name), copies removed. Returns the
 * number that could not be put back. */
int bd_return_dumps(struct bdir *d, int dump_dir_fd);

/* Create output name (static string) in the temporary directory, mode 0644,
 * and keep its fd (owned by d). Returns the fd. */
int bd_add_output(struct bdir *d, const char *name);

/* Make every output empty again (for a second writer). */
int bd_truncate_outputs(struct bdir *d);

/* Size of output i, or -errno. */
int64_t bd_output_size(const struct bdir *d, size_t i);

/* Remove empty outputs that are not required (required: NULL-terminated
 * names), close the outputs, make the directory 0700 and rename it into
 * place: name, or name.1 ... name.99 when taken. Returns 0 with d->name the
 * name taken, -EEXIST when all are taken, or -errno. The directory stays
 * locked until bd_close. */
int bd_finish(struct bdir *d, const char *const *required);

/* Remove the originals of copied dumps from dump_dir_fd: only files that
 * are still the one copied (device and inode). Returns how many. */
int bd_remove_originals(const struct bdir *d, int dump_dir_fd);

/* Remove the temporary directory and everything in it (after
 * bd_return_dumps), and close. */
void bd_discard(struct bdir *d);

/* Close the fds (releases the lock) and free. Safe on a zeroed or closed d. */
void bd_close(struct bdir *d);

/* Temporary directories in report_fd whose lock is free (their supervisor
 * is gone): calls fn with each one's name (BD_PREFIX...), which it may
 * remove or rename. Returns how many were found. */
int bd_find_interrupted(int report_fd, void (*fn)(void *userdata, const char *tmp_name), void *userdata);

/* Take over an interrupted temporary directory: open and lock it (d->fd,
 * d->dumps_fd; d->name from the directory's name). Returns 0, -EBUSY when
 * someone holds its lock. */
int bd_adopt(int report_fd, const char *tmp_name, struct bdir *d);
