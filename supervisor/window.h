/* The dump window: which heap dumps in the dump directory oomwatch keeps.
 *
 * The supervisor's event loop owns an inotify watch on the dump directory
 * and feeds this module: win_add() for IN_CLOSE_WRITE / IN_MOVED_TO,
 * win_forget() for IN_DELETE / IN_MOVED_FROM, win_rescan() at start-up and
 * on IN_Q_OVERFLOW. The module never blocks for long: an event costs a few
 * system calls (fstatat, one open and an 8-byte read of a new file, and the
 * fstatat + unlinkat of what it rotates out) and amortised O(1) or O(log n)
 * work; only win_rescan() reads the directory. It logs nothing: what it
 * deletes or leaves alone is reported through win_params.note.
 *
 * Names: <prefix>.<pid>.<seq>.<kind><kseq>.heap with kind i, m or u, and
 * <prefix>.<pid>.<seq>.f.heap. Numbers are plain decimal (no sign, no
 * leading zero). Dumps of one process are ordered by seq (then kind, kseq),
 * never by mtime or by name.
 *
 * What is kept, per process: its baseline (with keep_baseline: its first
 * dump, or the dump named by win_set_baseline) plus `keep` good dumps: its
 * newest dump, its rungs, and its newest other dumps. Rungs (win_set_rung)
 * are the dumps taken as the cgroup's usage grew (a usage step, a warn_at
 * threshold): the ladder from the baseline to the newest dump, which the
 * trend reads. Past `keep`, the oldest dump that is neither a rung nor the
 * newest goes first, so that a storm of other dumps (interval, gdump)
 * never rotates the ladder away; when only rungs are left to delete, the
 * ladder is thinned: the rung whose neighbours on the ladder are closest
 * in level goes (the lowest rung's lower neighbour is level 0; on a tie,
 * the oldest), which keeps the rungs spread evenly over the growth, and
 * the top rung (the newest) goes last, so that it outlives a dump cut
 * short by the kill. Then, while the kept files
 * total more than max_bytes (or number more than max_files), the oldest
 * dump that is not part of a process's pair (baseline or, without one,
 * oldest good dump; and newest good dump) and not a rung is deleted,
 * oldest process first; then rungs, thinned as above, oldest process
 * first; when only pairs are left, the pairs of processes other than the
 * newest one go, oldest process first. The newest process's pair and
 * pinned dumps are never deleted, even if that leaves the total above
 * max_bytes. So a process never holds more than its baseline and `keep`
 * dumps besides pinned ones. "Oldest process" means the one whose newest
 * dump arrived first (win_rescan orders the processes it discovers by the
 * mtime of their newest file).
 *
 * A dump marked bad (win_mark_bad) is never returned by win_pair again and
 * is deleted as soon as it is not pinned. A process whose baseline is lost
 * (marked bad, deleted by someone else) gets its oldest good dump as its new
 * baseline when keep_baseline is on.
 *
 * Safety of deletion: only through the directory fd (unlinkat(dir_fd, name,
 * 0)), only for names this module tracks, and only after an
 * fstatat(AT_SYMLINK_NOFOLLOW) right before shows a regular file with one
 * link and the same inode that was tracked. Nothing that is not a regular
 * file is ever opened (the type is checked with fstatat first; the open uses
 * O_NONBLOCK|O_NOFOLLOW), so symlinks, FIFOs, sockets, devices and
 * directories named like dumps are never followed, read, tracked or deleted.
 * Hard links: a file that has more than one link when it appears may be
 * somebody's copy, so it is never tracked (it does not count as kept, nor
 * towards max_bytes) and never deleted. A tracked dump that gains a link
 * later stays tracked until rotation would delete it; then it is left on
 * disk and forgotten, unless the caller declared that link its own with
 * win_linked() (the incident bundle's hard link): then the dump-dir name
 * is deleted as usual and the data lives on in the bundle. A file that
 * vanished (ENOENT) is simply forgotten. Limits: the check and the
 * unlinkat are two calls, so a name swapped in that instant is removed as
 * a name (unlinkat never follows a link: no target is ever touched); a pid
 * reused by a later process is taken for the same process.
 *
 * Pointers returned by win_get() and win_pair() (and the names in them)
 * are owned by the window and stay valid until the next call that changes
 * it: win_add, win_forget, win_rescan, win_set_baseline, win_set_rung,
 * win_mark_bad, win_unpin, win_drop, win_free. To keep the files of a pair on disk across event-loop
 * iterations (the bundle step links them), pin them by name with win_pin()
 * and release them with win_unpin(). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Default (and upper) cap on the number of tracked files. */
#define WIN_MAX_FILES 100000U
/* files named like dumps but no heap profiles remembered for
 * win_sweep_cut_short (the oldest are forgotten, their files left) */
#define WIN_MAX_CUT 64U

enum win_note {
        WIN_ROTATED,       /* name was deleted by rotation; err is 0 */
        WIN_ROTATE_FAILED, /* unlinkat/fstatat of name failed with err (-errno); name is no
                            * longer tracked (a later win_rescan retries it) */
        WIN_NOT_A_DUMP,    /* name is a plain file named like a dump, complete, but it does not
                            * start with "heap_v2/" (empty, cut short, corrupt): err is -EBADMSG;
                            * it is not tracked and was not deleted (win_sweep_cut_short may
                            * delete it later) */
        WIN_CUT_SHORT_DELETED, /* win_sweep_cut_short deleted name; err is 0 */
        WIN_LEFT_ALONE,    /* name looks like a dump but is not a plain file of ours: err is
                            * -ELOOP (symlink), -EISDIR (directory), -EMLINK (more than one
                            * link), -EINVAL (FIFO, socket, device), -ESTALE (replaced by
                            * another inode); it is not tracked and was not deleted */
};

/* Called synchronously from inside the win_* call that caused it. name is
 * valid only during the call. The callback must not call back into the
 * window. */
typedef void (*win_note_fn)(void *userdata, enum win_note what, const char *name, int err);

struct win_params {
        unsigned keep;       /* newest good dumps kept per process, >= 1 */
        bool keep_baseline;  /* keep each process's first dump as its baseline */
        uint64_t max_bytes;  /* cap on the sum of st_size of kept files; 0 = none */
        unsigned max_files;  /* cap on tracked files; 0 = WIN_MAX_FILES (values above it are
                              * lowered to it) */
        win_note_fn note;    /* may be NULL */
        void *userdata;      /* passed to note */
};

struct win_dump {
        char *name;     /* file name inside the dump directory */
        pid_t pid;
        uint64_t seq;
        char kind;      /* 'i', 'm', 'u' or 'f' */
        uint64_t kseq;  /* 0 for 'f' */
        uint64_t bytes; /* st_size when last seen */
        bool baseline;
        bool pinned;
        bool bad;       /* marked by win_mark_bad */
        bool rung;      /* marked by win_set_rung */
        uint64_t level; /* a rung's level (win_set_rung), else 0 */
};

struct win;

/* dir_fd is borrowed (the caller keeps it open for the window's lifetime
 * and closes it after win_free); it should be O_DIRECTORY|O_CLOEXEC.
 * prefix is copied: a non-empty base name without '/'. The window starts
 * empty: call win_rescan() to pick up what is already there.
 * Returns 0 and stores a new window in *ret (free with win_free), or
 * -EINVAL (bad prefix, keep 0, negative fd), -ENOMEM. */
int win_new(int dir_fd, const char *prefix, const struct win_params *p, struct win **ret);

/* Frees the window; deletes nothing, closes nothing. NULL is allowed. */
void win_free(struct win *w);

/* name is complete (IN_CLOSE_WRITE / IN_MOVED_TO): checks it (name matches,
 * at most NAME_MAX, regular file with one link by fstatat
 * AT_SYMLINK_NOFOLLOW, content starts with "heap_v2/" — 8 bytes are read),
 * adds it (or refreshes it if already tracked), then rotates.
 * Returns 1 if it was added or refreshed (rotation may have deleted it
 * right away if it is older than the window), 0 if it was ignored (not our
 * name, not a regular file, hard-linked, vanished, not a heap dump; a
 * tracked entry under that name is forgotten), -ENOBUFS if max_files
 * would be exceeded and nothing else can be rotated out (everything else
 * is pinned or the newest process's pair; name is left on disk untracked),
 * or another -errno (fstatat, open or read failed other than by the file
 * vanishing or being swapped, -ENOMEM; the window is unchanged then). */
int win_add(struct win *w, const char *name);

/* name was deleted or moved away (IN_DELETE / IN_MOVED_FROM). Deletes
 * nothing. Returns 1 if it was tracked (and is forgotten now), else 0. */
int win_forget(struct win *w, const char *name);

/* Start-up and IN_Q_OVERFLOW: reads the whole directory, adds the dumps
 * not tracked yet, refreshes the tracked ones, forgets those that are gone
 * or no longer plain files, then rotates. Baselines, pins and bad marks of
 * dumps still present are kept. A file that cannot be inspected (EACCES,
 * ...) is left untracked. Returns the number of tracked files; -errno if
 * the directory could not be opened (window unchanged) or read to its end
 * (what was found is added and rotated, nothing is forgotten); -ENOBUFS as
 * for win_add (the rest of the directory is left untracked, nothing is
 * forgotten). */
int win_rescan(struct win *w);

/* A process that ends while jemalloc writes its dump leaves that file empty
 * or cut short, and nothing will finish it: each such file the window saw
 * (WIN_NOT_A_DUMP, up to WIN_MAX_CUT) whose process gone() says has ended
 * is deleted (WIN_CUT_SHORT_DELETED), after checking again that it is
 * still a plain file that is no heap profile; the others stay remembered.
 * Returns the number deleted. */
typedef bool (*win_gone_fn)(void *userdata, pid_t pid);
size_t win_sweep_cut_short(struct win *w, win_gone_fn gone, void *userdata);

/* Makes name (a dump taken on purpose as baseline) the baseline of its
 * process, replacing the previous one, which is then rotated like any
 * other dump. An explicit baseline is kept even when keep_baseline is off.
 * name need not have been added yet: it is checked and added as win_add
 * does. Returns 1 on success, 0 if name is not a usable dump (as win_add),
 * -EINVAL if it is marked bad, or -errno as win_add. */
int win_set_baseline(struct win *w, const char *name);

/* Makes name a rung of its process's ladder: a dump taken because the
 * cgroup's usage reached level bytes (see the top of this file). A rung
 * stays a rung until it is deleted; marking it again sets its level. name
 * need not have been added yet: it is checked and added as win_add does.
 * Returns 1 on success (rotation may still thin it out at once when it is
 * older than the process's other rungs), 0 if name is not a usable dump
 * (as win_add), -EINVAL if it is marked bad, or -errno as win_add. */
int win_set_rung(struct win *w, const char *name, uint64_t level);

/* The pair the incident diff uses for pid (0: the process whose newest
 * good dump arrived last). *ret_newest = its newest good dump; *ret_base =
 * its baseline, or without one its oldest good dump, or NULL when that is
 * the newest dump itself. Either pointer argument may be NULL. Returns 0,
 * or -ENOENT if the process has no good dump (outputs untouched).
 * Pointers: see the top of this file. */
int win_pair(const struct win *w, pid_t pid, const struct win_dump **ret_base,
             const struct win_dump **ret_newest);

/* The kind letter ('i', 'm', 'u' or 'f') of name when it is a dump name
 * of this window's prefix, else 0. */
char win_name_kind(const struct win *w, const char *name);

/* hold: rotation by `keep` waits (max_bytes and max_files still apply)
 * until win_hold(w, false), which rotates. For the dumps an earlier run
 * left at start-up: the rungs that run kept are not known to be rungs
 * here, and its bundle must get them all. */
void win_hold(struct win *w, bool hold);

/* Pins name: it is not deleted by rotation until unpinned as many times as
 * it was pinned (pinned dumps still count towards max_bytes). Returns 1 if
 * pinned, 0 if name is not tracked. */
int win_pin(struct win *w, const char *name);

/* Drops one pin of name; when the last pin goes, rotates (a bad dump is
 * deleted then). Returns 1 if a pin was dropped, 0 if name is not tracked
 * or not pinned. */
int win_unpin(struct win *w, const char *name);

/* The caller made one more hard link of name outside the dump directory
 * (the incident bundle): rotation may still delete name, since the data
 * stays reachable through that link. Without this call a dump with more
 * than one link is left on disk when rotated out. Returns 1 if name is
 * tracked, else 0. */
int win_linked(struct win *w, const char *name);

/* The analyzer could not parse name: it is never used as newest or base
 * again, and is deleted unless pinned (then when unpinned). If it was the
 * baseline, the process's oldest good dump becomes the baseline (with
 * keep_baseline). Returns 1 if it was tracked, else 0. */
int win_mark_bad(struct win *w, const char *name);

/* Deletes name now, as rotation would (same checks), unless it is pinned;
 * for dumps that are no longer wanted, such as an earlier run's. Returns 1
 * if it was tracked and is gone from the window, 0 if not tracked or
 * pinned. */
int win_drop(struct win *w, const char *name);

/* Number of tracked files; win_get(i) for i < win_count() in (pid, seq)
 * order, NULL when i is out of range. O(number of processes). */
size_t win_count(const struct win *w);
const struct win_dump *win_get(const struct win *w, size_t i);

/* Sum of the sizes of tracked files. */
uint64_t win_bytes(const struct win *w);
