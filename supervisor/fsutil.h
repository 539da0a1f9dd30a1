/* Small file-system helpers shared by the supervisor's modules.
 *
 * The fs_*at helpers are for directories someone else may write (the dump
 * directory belongs to the target): they work through a directory fd, never
 * follow a symbolic link in the last component, never block on a FIFO or a
 * device, and accept only what they say. All return >= 0 or -errno; fds are
 * close-on-exec. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/* mkdir -p: create path and its missing parents with mode (existing
 * directories are left as they are). Returns 0 or -errno. */
int fs_mkdir_parents(const char *path, mode_t mode);

/* Open name in dir_fd read-only: O_NOFOLLOW | O_NONBLOCK, then fstat; only
 * a regular file is accepted. With owner != (uid_t)-1 it must be owned by owner and have one
 * link. Returns the fd (blocking mode restored), -ELOOP (a symbolic link),
 * -ENOTSUP (not a regular file: FIFO, device, socket, directory), -EPERM
 * (another owner, or more than one link), or the open error. st, when not
 * NULL, receives the file's stat. */
int fs_open_regular(int dir_fd, const char *name, uid_t owner, struct stat *st);

/* Create name in dir_fd anew for writing: whatever has that name (a file,
 * a symbolic link, a FIFO; not a directory) is unlinked first, then it is
 * created with O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, so the fd is a
 * new regular file of ours. Returns the fd or -errno. */
int fs_create_file(int dir_fd, const char *name, mode_t mode);

/* Rewriting a small file whole, atomically for its readers, without new
 * pages for each version. Where oomwatch shares a memory limit with its
 * target (own-cgroup mode, a pod), every page it adds is charged against
 * the target's limit; a status file or run record written anew and renamed
 * over the old one takes fresh pages at each write, just when the usage is
 * at the limit. So the new version is written over the spare (the inode
 * that held the version before last: its pages are reused, only the tail
 * beyond the new length is cut), and renameat2(RENAME_EXCHANGE) swaps the
 * two names: a reader that opens name gets one whole version. Where the
 * file system cannot exchange (or on the first write) it is a plain rename.
 * A reader that holds the file open across two rewrites may read a mix:
 * these files are read at once, in one go.
 *
 *     struct fs_rewrite rw;
 *     FILE *f = fs_rewrite_begin(&rw, dir_fd, "x.json", "x.json.tmp", 0644, &r);
 *     ... write to f ...
 *     r = fs_rewrite_end(&rw, r);
 *
 * dir_fd may be AT_FDCWD, with paths for names. The spare is reused only
 * when it is a regular file of our effective uid with one link; anything
 * else there is unlinked and a new file created (fs_create_file). */
struct fs_rewrite {
        int dir_fd;
        const char *name, *spare;
        FILE *f;
};

/* The stream to write the new version to, at offset 0 of the spare; NULL
 * with *ret_err set (-errno) on failure. */
FILE *fs_rewrite_begin(struct fs_rewrite *rw, int dir_fd, const char *name, const char *spare, mode_t mode,
                       int *ret_err);

/* Flush, cut the spare to what was written, close, swap the names. err is
 * the writer's own result (0 or -errno): when it is not 0 nothing is
 * swapped. On any failure the spare is unlinked. Returns 0 or -errno. */
int fs_rewrite_end(struct fs_rewrite *rw, int err);

/* Is a directory with this stat writable by anyone but its owner?
 * Sticky directories owned by root (/tmp) count as not writable: nobody
 * can rename or remove what others made in them. */
bool fs_dir_shared_writable(const struct stat *st);

/* A short description of a failure of fs_open_regular ("a symbolic link",
 * "not a regular file", "not owned by oomwatch", or strerror). */
const char *fs_open_error(int r);
