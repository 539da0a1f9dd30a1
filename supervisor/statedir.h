/* The supervisor's own directory inside the dump directory:
 * <dump dir>/.oomwatch/, owned by the supervisor's effective user, mode
 * 0755, where it keeps what must not be the target's to change: the status
 * file, the run record, the control socket for sidecars and node shells.
 *
 * The dump directory belongs to the target, which may rename this
 * directory away and put a forged one in its place. The supervisor works
 * only through the fd it opened (a rename does not move it elsewhere);
 * readers check the directory they find (sd_open_reader) and refuse one
 * that is not the supervisor's. (One live supervisor per dump directory:
 * the run record's lock, runrecord.h, in this directory.)
 *
 * Nothing here logs; functions return >= 0 or -errno. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#define SD_NAME ".oomwatch"

/* Open, creating it when missing, the state directory in dump_dir_fd.
 * Anything else under that name (a file, a link, a directory of another
 * owner or writable by others) is renamed aside to
 * ".oomwatch.untrusted.<time>.<n>" and a fresh directory made; *ret_note
 * (malloc'd, may be NULL) then says so for a warning. Returns the fd. */
int sd_open(int dump_dir_fd, char **ret_note);

/* For a client: open dump_dir/.oomwatch and check it: a directory (not a
 * link), owned by root or by the caller's effective user, writable by
 * nobody else. Returns the fd and the owner in *ret_owner, -ENOENT, or
 * -EPERM with the reason in *ret_err (malloc'd). */
int sd_open_reader(const char *dump_dir, uid_t *ret_owner, char **ret_err);

/* For a client: the file name of dump_dir's state directory (checked as
 * sd_open_reader does; the file must be a regular file of the directory's
 * owner with one link), at most max bytes, NUL-terminated, into *ret_text
 * (malloc'd). -errno with the reason in *ret_err (malloc'd). */
int sd_read(const char *dump_dir, const char *name, size_t max, char **ret_text, char **ret_err);
