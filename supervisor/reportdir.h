/* The report directory: where incident bundles go, checked once at start.
 *
 * oomwatch usually runs as root and writes its bundles there. A directory
 * on the way that the target's user (or any user but its owner) may write
 * would let that user swap a directory for a link between two of oomwatch's
 * steps and have root write elsewhere. So every directory from / down to
 * the report directory must be:
 *   - owned by root or by oomwatch's effective user (not by the target's
 *     user, when that is another one),
 *   - writable by neither its group nor others, unless it is sticky and
 *     root's (/tmp: nobody can rename or remove what others made in it),
 *   - not writable by a group the target's user is in.
 * Missing directories are created (mode 0700) and then checked like the
 * others. The result is an fd of the report directory, held for the whole
 * run: every bundle is made through it (bundledir.h), never through a path.
 *
 * Nothing here logs; functions return >= 0 or -errno. */
#pragma once
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Who must not be able to write the report directory's path. */
struct rd_target {
        uid_t uid;            /* the target's user */
        const gid_t *gids;    /* its groups (primary and supplementary) */
        size_t n_gids;
};

/* Open (creating it and its missing parents) and check path (relative to
 * the working directory when not absolute). Returns the fd and the
 * absolute path in *ret_path (malloc'd); -EPERM with the reason in
 * *ret_err (naming the directory and who may write it) when a directory on
 * the way is refused; other -errno with *ret_err for other failures. */
int rd_open(const char *path, const struct rd_target *t, char **ret_path, char **ret_err);

/* Is a directory with this stat refused (see above)? Returns NULL when
 * fine, else a static description ("writable by its group", ...). */
const char *rd_refusal(const struct stat *st, const struct rd_target *t);
