/* dumpdir: the dump directory of a run of the supervisor, where the
 * target's dumps arrive.
 *
 *   dd_open()   make it (0700, with its parents; given to the target's user
 *               when oomwatch made it), open it, refuse one that others may
 *               write and we do not own, open its state directory
 *               (statedir.h). Errors are printed on stderr.
 *   dd_watch()  the inotify watch and the window (window.h) over it, with
 *               what is there already; the window's notes become lines and
 *               events (rotate, bad_dump).
 *   dd_drain()  the inotify fd is readable: complete dumps (IN_CLOSE_WRITE,
 *               IN_MOVED_TO) enter the window, capture decides whether they
 *               stay (cap_dump_arrived), a nearly full file system loses the
 *               oldest dumps (never a baseline or a process's newest), the
 *               dump and baseline events follow; deletions leave the window;
 *               an overflow rescans.
 *   runs        dumps an earlier supervisor left, and dumps kept as the
 *               evidence of a bundle that could not be made, are of no run:
 *               never in a bundle of this one (dd_of_this_run), never dropped
 *               at a restart (dd_start_run).
 *
 * The fields above "private" are the caller's to read. Functions return
 * >= 0 or -errno. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "say.h"

struct capture;
struct evt;
struct met;
struct rr;
struct win;

struct dd_hooks {
        void (*kept)(void *ud);       /* a dump stays, before its events: the loop samples the memory */
        void (*changed)(void *ud);    /* after them: the status file follows */
        void *ud;
};

struct dumpdir {
        char *path;          /* absolute */
        char *prefix;        /* absolute prefix of the dumps' names (runopts.h) */
        int fd;              /* the directory, O_DIRECTORY */
        int state_fd;        /* its .oomwatch/ (statedir.h) */
        int inotify_fd;      /* -1 before dd_watch */
        struct win *win;     /* NULL before dd_watch */
        /* private */
        const struct say *log;
        struct evt *evt;
        struct met *met;
        struct rr *rr;
        struct capture *cap;
        struct dd_hooks hooks;
        pid_t *old_pids;     /* processes of no run of ours with dumps in the window */
        size_t n_old_pids;
};

/* No allocation: fds -1, nothing open (dd_close is safe after it). */
void dd_init(struct dumpdir *d, const struct say *log);
int dd_open(struct dumpdir *d, const struct ow_config *cfg);
/* evt, met and rr borrowed (NULL allowed for met); errors printed. hold:
 * the window keeps every dump found now until win_hold(d->win, false)
 * (an earlier run's, for its bundle). */
int dd_watch(struct dumpdir *d, const struct ow_config *cfg, struct evt *evt, struct met *met, struct rr *rr,
             bool hold);
/* capture (borrowed), and the hooks, for dd_drain. */
void dd_set_capture(struct dumpdir *d, struct capture *cap, const struct dd_hooks *hooks);
void dd_drain(struct dumpdir *d);

/* A target starts: at the first start the dumps in the window are of no
 * run of ours (an earlier supervisor's); at a restart the previous run's
 * are dropped (its bundle, if it had one, took its dumps already). */
void dd_start_run(struct dumpdir *d, bool first);
/* The dumps of pid are evidence of a bundle that could not be made: they
 * stay, for no bundle of this run. */
void dd_keep(struct dumpdir *d, pid_t pid);
/* pid's dumps are this run's (an inc_keep_fn / rr_keep_fn; userdata: d). */
bool dd_of_this_run(void *userdata, pid_t pid);

/* Free the window, close the fds. */
void dd_close(struct dumpdir *d);
