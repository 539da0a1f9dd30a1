/* The dump directory of a run (dumpdir.h). */
#include "dumpdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "capture.h"
#include "events.h"
#include "fsutil.h"
#include "metrics.h"
#include "runopts.h"
#include "runrecord.h"
#include "spawn.h"
#include "statedir.h"
#include "tree.h"
#include "window.h"

void dd_init(struct dumpdir *d, const struct say *log)
{
        *d = (struct dumpdir){ .fd = -1, .state_fd = -1, .inotify_fd = -1, .log = log };
}

int dd_open(struct dumpdir *d, const struct ow_config *cfg)
{
        struct stat st;
        char *slash;
        bool created;
        int r;

        r = run_dump_prefix(cfg, &d->prefix);
        if (r < 0)
                return r;
        d->path = strdup(d->prefix);
        if (!d->path)
                return -ENOMEM;
        slash = strrchr(d->path, '/');
        *slash = '\0';
        created = stat(d->path, &st) < 0;
        r = fs_mkdir_parents(d->path, 0700);
        if (r < 0) {
                fprintf(stderr, "oomwatch: cannot create the dump directory \"%s\": %s\n", d->path, strerror(-r));
                return r;
        }
        d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (d->fd < 0 || fstat(d->fd, &st) < 0) {
                r = -errno;
                fprintf(stderr, "oomwatch: cannot open the dump directory \"%s\": %s\n", d->path, strerror(-r));
                return r;
        }
        if ((st.st_mode & S_IWOTH) && st.st_uid != geteuid()) {
                fprintf(stderr,
                        "oomwatch: the dump directory \"%s\" is writable by others and not owned by you; "
                        "refusing to use it (others could plant files oomwatch would read or delete)\n",
                        d->path);
                return -EPERM;
        }
        {
                char *note = NULL;
                d->state_fd = sd_open(d->fd, &note);
                if (note)
                        say(d->log, 0, "warning: %s", note);
                free(note);
                if (d->state_fd < 0) {
                        r = d->state_fd;
                        fprintf(stderr, "oomwatch: cannot make oomwatch's directory \"%s/%s\": %s\n", d->path,
                                SD_NAME, strerror(-r));
                        return r;
                }
        }
        /* a target that runs as another user writes its dumps into it */
        if (created && (cfg->user || cfg->group)) {
                uid_t uid;
                gid_t gid, *groups = NULL;
                size_t n;
                const char *what;
                r = spawn_resolve_ids(cfg->user, cfg->group, &uid, &gid, &groups, &n, &what);
                free(groups);
                if (r < 0 || fchown(d->fd, uid, gid) < 0) {
                        r = r < 0 ? r : -errno;
                        fprintf(stderr, "oomwatch: cannot give the dump directory \"%s\" to the target's %s: %s\n",
                                d->path, r == -ENOENT ? what : "user", strerror(-r));
                        return r;
                }
        }
        return 0;
}

/* The window's entry of a dump name, or NULL (it was rotated out at once). */
static const struct win_dump *window_entry(const struct dumpdir *d, const char *name)
{
        for (size_t i = 0; i < win_count(d->win); i++) {
                const struct win_dump *w = win_get(d->win, i);
                if (w && strcmp(w->name, name) == 0)
                        return w;
        }
        return NULL;
}

/* A dump the window kept: the dump event, and the baseline event when it is
 * its process's first (the window makes that the baseline). */
static void note_dump(struct dumpdir *d, const char *name)
{
        const struct win_dump *w = window_entry(d, name);
        char *path = NULL;

        if (!w || asprintf(&path, "%s/%s", d->path, name) < 0)
                return;
        pid_t pid = w->pid;
        bool baseline = w->baseline;
        evt_dump(d->evt, path, pid, w->seq, w->kind, w->bytes);
        if (baseline)
                evt_baseline(d->evt, path, pid);
        free(path);
}

static void window_note(void *userdata, enum win_note what, const char *name, int err)
{
        struct dumpdir *d = userdata;

        if (what == WIN_ROTATED) {
                char *path = NULL;
                say(d->log, 2, "rotated out %s", name);
                met_dump_rotated(d->met);
                if (asprintf(&path, "%s/%s", d->path, name) >= 0) {
                        evt_rotate(d->evt, path);
                        free(path);
                }
        }
        else if (what == WIN_ROTATE_FAILED)
                say(d->log, 0, "could not delete the old dump \"%s\": %s, ignoring", name, strerror(-err));
        else if (what == WIN_NOT_A_DUMP) {
                char *path = NULL;
                say(d->log, 0, "ignoring %s: named like a dump but not a heap profile (empty, cut short or corrupt)",
                    name);
                if (asprintf(&path, "%s/%s", d->path, name) >= 0) {
                        evt_bad_dump(d->evt, path);
                        free(path);
                }
        } else if (what == WIN_CUT_SHORT_DELETED)
                say(d->log, 2, "deleted %s: its process ended while writing it", name);
        else
                say(d->log, 1, "\"%s\" looks like a dump but is not a plain file of ours (%s); leaving it alone", name,
                    strerror(-err));
}

static bool is_old_pid(const struct dumpdir *d, pid_t pid)
{
        for (size_t i = 0; i < d->n_old_pids; i++)
                if (d->old_pids[i] == pid)
                        return true;
        return false;
}

/* Before a restart: what the previous run left in the window (its bundle,
 * if it had one, took its dumps already) is no incident's evidence, and
 * would pile up run after run. */
static void drop_previous_run(struct dumpdir *d)
{
        size_t n = win_count(d->win), k = 0;
        char **names = calloc(n ? n : 1, sizeof(char *));

        for (size_t i = 0; names && i < n; i++) {
                const struct win_dump *w = win_get(d->win, i);
                if (w && !is_old_pid(d, w->pid) && (names[k] = strdup(w->name)))
                        k++;
        }
        for (size_t i = 0; i < k; i++) {
                (void)win_drop(d->win, names[i]);
                free(names[i]);
        }
        free(names);
        if (k)
                say(d->log, 2, "dropped %zu dumps of the previous run", k);
}

/* A full dump file system (ENOSPC) cuts the next dumps short: when the
 * space left would not hold two more dumps of the size just written, the
 * oldest dumps go first (never a process's baseline or its newest dump),
 * until it would or only those are left. */
static void make_room(struct dumpdir *d, uint64_t dump_bytes)
{
        struct statvfs v;
        uint64_t need = 2 * dump_bytes;
        unsigned dropped = 0;

        for (int round = 0; round < 64; round++) {
                const struct win_dump *victim = NULL, *base, *newest;
                char *name;

                if (fstatvfs(d->fd, &v) < 0 || (uint64_t)v.f_bavail * v.f_frsize >= need)
                        break;
                for (size_t i = 0; i < win_count(d->win) && !victim; i++) {
                        const struct win_dump *w = win_get(d->win, i);
                        if (!w || w->baseline || w->pinned)
                                continue;
                        if (win_pair(d->win, w->pid, &base, &newest) == 0 && (w == newest || w == base))
                                continue;
                        victim = w;
                }
                if (!victim || !(name = strdup(victim->name)))
                        break;
                if (win_drop(d->win, name) > 0)
                        dropped++;
                free(name);
        }
        if (dropped)
                say(d->log, 0, "the dump directory is nearly full: removed the %u oldest dumps", dropped);
}

/* The pid in a dump's name "oomwatch.<pid>.<seq>...", 0 when there is none
 * (win_add checks the whole name). */
static pid_t dump_pid(const char *name)
{
        const char *p = name + sizeof(RUN_DUMP_BASENAME);
        long v = 0;

        if (strncmp(name, RUN_DUMP_BASENAME ".", sizeof(RUN_DUMP_BASENAME)) != 0)
                return 0;
        for (; *p >= '0' && *p <= '9' && v < 0x40000000; p++)
                v = v * 10 + (*p - '0');
        return *p == '.' && v > 0 && v < 0x40000000 ? (pid_t)v : 0;
}

static bool writer_gone(void *userdata, pid_t pid)
{
        (void)userdata;
        return !tree_proc_alive(pid);
}

void dd_drain(struct dumpdir *d)
{
        char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;

        while ((n = read(d->inotify_fd, buf, sizeof(buf))) > 0) {
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *ev = (struct inotify_event *)p;
                        p += sizeof(*ev) + ev->len;
                        if (ev->mask & IN_Q_OVERFLOW) {
                                say(d->log, 1, "inotify queue overflowed; rescanning the dump directory");
                                (void)win_rescan(d->win);
                                continue;
                        }
                        if (!ev->len)
                                continue;
                        if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
                                pid_t pid = dump_pid(ev->name);
                                int r = win_add(d->win, ev->name);
                                if (r <= 0)
                                        continue;
                                /* a process out of scope, or gone: not kept */
                                if (pid && cap_dump_arrived(d->cap, ev->name, pid) == 0) {
                                        say(d->log, 2, "dropped %s (pid %d: gone, or outside profiling.processes)",
                                            ev->name, (int)pid);
                                        continue;
                                }
                                {
                                        struct stat st;
                                        say(d->log, 2, "dump %s", ev->name);
                                        met_dump_written(d->met);
                                        if (fstatat(d->fd, ev->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                                                make_room(d, (uint64_t)st.st_size);
                                }
                                if (d->hooks.kept)
                                        d->hooks.kept(d->hooks.ud);
                                rr_changed(d->rr);
                                /* the events after the sample: the status, the
                                 * metrics and the run record written with them have it */
                                note_dump(d, ev->name);
                                if (d->hooks.changed)
                                        d->hooks.changed(d->hooks.ud);
                        } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
                                (void)win_forget(d->win, ev->name);
                        }
                }
        }
        (void)win_sweep_cut_short(d->win, writer_gone, NULL);
}

int dd_watch(struct dumpdir *d, const struct ow_config *cfg, struct evt *evt, struct met *met, struct rr *rr,
             bool hold)
{
        struct win_params wp = {
                .keep = cfg->keep, .keep_baseline = cfg->keep_baseline, .max_bytes = cfg->max_bytes,
                .note = window_note, .userdata = d,
        };
        int r;

        d->evt = evt;
        d->met = met;
        d->rr = rr;
        d->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (d->inotify_fd < 0) {
                r = -errno;
                fprintf(stderr, "oomwatch: event set-up failed: %s\n", strerror(-r));
                return r;
        }
        if (inotify_add_watch(d->inotify_fd, d->path, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM |
                                                              IN_ONLYDIR) < 0) {
                r = -errno;
                fprintf(stderr, "oomwatch: cannot watch \"%s\": %s\n", d->path, strerror(-r));
                return r;
        }
        r = win_new(d->fd, RUN_DUMP_BASENAME, &wp, &d->win);
        if (r < 0)
                return r;
        win_hold(d->win, hold);
        (void)win_rescan(d->win);
        return 0;
}

void dd_set_capture(struct dumpdir *d, struct capture *cap, const struct dd_hooks *hooks)
{
        d->cap = cap;
        d->hooks = *hooks;
}

static int add_old_pid(struct dumpdir *d, pid_t pid)
{
        pid_t *v = realloc(d->old_pids, (d->n_old_pids + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        d->old_pids = v;
        d->old_pids[d->n_old_pids++] = pid;
        return 0;
}

void dd_start_run(struct dumpdir *d, bool first)
{
        (void)win_sweep_cut_short(d->win, writer_gone, NULL);
        if (!first) {
                drop_previous_run(d);
                return;
        }
        /* dumps an earlier oomwatch left in the directory are not this
         * run's: kept, but never part of its bundle */
        for (size_t i = 0; i < win_count(d->win); i++) {
                const struct win_dump *w = win_get(d->win, i);
                if (d->n_old_pids && d->old_pids[d->n_old_pids - 1] == w->pid)
                        continue;
                if (add_old_pid(d, w->pid) < 0)
                        break;
        }
}

void dd_keep(struct dumpdir *d, pid_t pid)
{
        if (pid > 0 && !is_old_pid(d, pid))
                (void)add_old_pid(d, pid);
}

bool dd_of_this_run(void *userdata, pid_t pid)
{
        return !is_old_pid(userdata, pid);
}

void dd_close(struct dumpdir *d)
{
        win_free(d->win);
        d->win = NULL;
        if (d->inotify_fd >= 0)
                close(d->inotify_fd);
        if (d->fd >= 0)
                close(d->fd);
        if (d->state_fd >= 0)
                close(d->state_fd);
        d->inotify_fd = d->fd = d->state_fd = -1;
        free(d->old_pids);
        free(d->prefix);
        free(d->path);
        d->old_pids = NULL;
        d->prefix = d->path = NULL;
}
