/* Small file-system helpers shared by the supervisor's modules.
 *
 * The fs_*at helpers are for directories someone else may write (the dump
 * directory belongs to the target): they work through a directory fd, never
 * follow a symbolic link in the last component, never block on a FIFO or a
 * device, and accept only what they say. All return >= 0 or -errno; fds are
 * close-on-exec. */
#pragma once
#include <stdbool.h>
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

/* Is a directory with this stat writable by anyone but its owner?
 * Sticky directories owned by root (/tmp) count as not writable: nobody
 * can rename or remove what others made in them. */
bool fs_dir_shared_writable(const struct stat *st);

/* A short description of a failure of fs_open_regular ("a symbolic link",
 * "not a regular file", "not owned by oomwatch", or strerror). */
const char *fs_open_error(int r);
