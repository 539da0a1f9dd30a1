/* The run record (runrecord.h). */
#include "runrecord.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "timeline.h"
#include "units.h"

#define RR_TMP_FILE ".oomwatch-run.json.tmp"
#define RR_MAX_DUMPS 100000 /* read back, at most */

struct rr {
        int dir_fd, lock_fd;
        char run_id[33];
        const char *state;
        bool armed;                /* the record is ours to write (a target was started) */
        bool dirty;
        uint64_t last_write_ms;
        unsigned errors;

        char started[40];
        pid_t sup_pid;
        char *host;
        char boot_id[40];

        pid_t target;
        char **argv;
        char *exe;
        char build_id[84];
        char target_started[40];
        unsigned run;
        const char *verdict;
        bool bundle_wanted;

        struct rr_cgroup cg;       /* strings owned (copies) */
        struct rr_counters at_spawn;

        bool last_valid;
        char last_time[40];
        uint64_t usage, anon, file, peak;

        char **bundles;
        size_t n_bundles;
        char *in_progress;
        bool keep_dumps;

        uint64_t t0_ms;            /* CLOCK_MONOTONIC ms of the target's start */
        const struct tl *tl;       /* where the samples are (borrowed), or NULL */

        const struct win *win;
        rr_keep_fn keep;
        void *keep_data;
};

static uint64_t mono_ms(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

static void strv_free(char **v)
{
        for (char **p = v; p && *p; p++)
                free(*p);
        free(v);
}

/* ---- reading back -------------------------------------------------------- */

void rr_prev_free(struct rr_prev *p)
{
        if (!p)
                return;
        free(p->state);
        free(p->run_id);
        free(p->updated);
        free(p->host);
        free(p->boot_id);
        strv_free(p->argv);
        free(p->exe);
        free(p->build_id);
        free(p->target_started);
        free(p->verdict);
        free(p->cg_mode);
        free(p->cg_path);
        free(p->container);
        free(p->limit_from);
        free(p->last_time);
        strv_free(p->dumps);
        free(p->bundle_in_progress);
        free(p->samples_start);
        free(p->sample_t_ms);
        free(p->sample_usage);
        free(p);
}

static char *get_str(const struct json_value *o, const char *key)
{
        const char *s;

        return json_get_string(o, key, &s) == 0 ? strdup(s) : NULL;
}

static uint64_t get_u64(const struct json_value *o, const char *key)
{
        uint64_t v = 0;

        (void)json_get_uint(o, key, &v);
        return v;
}

static bool get_bool(const struct json_value *o, const char *key)
{
        const struct json_value *v = json_get(o, key);

        return v && v->type == JSON_T_BOOL && v->b;
}

/* an array of strings as a NULL-terminated vector (strings that are not
 * strings, or hold NUL bytes, are left out) */
static char **get_strv(const struct json_value *o, const char *key, size_t *ret_n)
{
        const struct json_value *a = json_get(o, key);
        size_t n = a && a->type == JSON_T_ARRAY ? a->n : 0, k = 0;
        char **v;

        if (n > RR_MAX_DUMPS)
                n = RR_MAX_DUMPS;
        v = calloc(n + 1, sizeof(char *));
        if (!v)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                const struct json_value *e = &a->items[i];
                if (e->type != JSON_T_STRING || strlen(e->str) != e->len)
                        continue;
                v[k] = strdup(e->str);
                if (!v[k]) {
                        strv_free(v);
                        return NULL;
                }
                k++;
        }
        if (ret_n)
                *ret_n = k;
        return v;
}

int rr_parse(const char *text, size_t len, struct rr_prev **ret, char **ret_err)
{
        struct json_value *root = NULL;
        const struct json_value *o;
        struct rr_prev *p;
        uint64_t schema = 0;
        char *err = NULL;
        int r;

        r = json_parse(text, len, &root, &err);
        if (r < 0) {
                if (ret_err && asprintf(ret_err, "not JSON: %s", err ? err : strerror(-r)) < 0)
                        *ret_err = NULL;
                free(err);
                return r;
        }
        if (root->type != JSON_T_OBJECT || json_get_uint(root, "schema", &schema) < 0 || schema != 1 ||
            !json_get(root, "state")) {
                if (ret_err)
                        *ret_err = strdup("not a run record of schema 1");
                json_value_free(root);
                return -EINVAL;
        }
        p = calloc(1, sizeof(*p));
        if (!p) {
                json_value_free(root);
                return -ENOMEM;
        }
        p->state = get_str(root, "state");
        p->run_id = get_str(root, "run_id");
        p->updated = get_str(root, "updated");
        o = json_get(root, "supervisor");
        p->sup_pid = (pid_t)get_u64(o, "pid");
        p->host = get_str(o, "host");
        p->boot_id = get_str(o, "boot_id");
        o = json_get(root, "target");
        p->target_pid = (pid_t)get_u64(o, "pid");
        if (json_get(o, "argv"))
                p->argv = get_strv(o, "argv", NULL);
        p->exe = get_str(o, "exe");
        p->build_id = get_str(o, "build_id");
        p->target_started = get_str(o, "started");
        p->verdict = get_str(o, "verdict");
        p->run = (unsigned)get_u64(o, "run");
        o = json_get(root, "cgroup");
        p->cg_version = (int)get_u64(o, "version");
        p->cg_mode = get_str(o, "mode");
        p->cg_path = get_str(o, "path");
        p->container = get_str(o, "container");
        p->limit_from = get_str(o, "limit_from");
        p->cg_id = get_u64(o, "id");
        p->memory_limit = get_u64(o, "memory_limit");
        {
                const struct json_value *a = json_get(o, "at_spawn");
                if (a && a->type == JSON_T_OBJECT) {
                        p->at_spawn_valid = true;
                        p->at_spawn.oom_kill = get_u64(a, "oom_kill");
                        p->at_spawn.oom_group_kill = get_u64(a, "oom_group_kill");
                        p->at_spawn.oom = get_u64(a, "oom");
                }
        }
        o = json_get(root, "last");
        if (o && o->type == JSON_T_OBJECT) {
                p->last_valid = true;
                p->last_time = get_str(o, "time");
                p->usage = get_u64(o, "usage");
                p->anon = get_u64(o, "anon");
                p->file = get_u64(o, "file");
                p->peak = get_u64(o, "peak");
        }
        p->dumps = get_strv(root, "dumps", &p->n_dumps);
        p->bundle_in_progress = get_str(root, "bundle_in_progress");
        p->keep_dumps = get_bool(root, "keep_dumps");
        o = json_get(root, "samples");
        p->samples_start = get_str(o, "start");
        {
                const struct json_value *t = json_get(o, "t_ms"), *u = json_get(o, "usage");
                size_t n = t && u && t->type == JSON_T_ARRAY && u->type == JSON_T_ARRAY ? t->n : 0;
                if (u && n > u->n)
                        n = u->n;
                if (n > RR_MAX_SAMPLES)
                        n = RR_MAX_SAMPLES;
                p->sample_t_ms = calloc(n ? n : 1, sizeof(uint64_t));
                p->sample_usage = calloc(n ? n : 1, sizeof(uint64_t));
                for (size_t i = 0; p->sample_t_ms && p->sample_usage && i < n; i++) {
                        /* numbers only, ascending: anything else ends the series */
                        if (!t->items[i].is_uint || !u->items[i].is_uint ||
                            (p->n_samples && t->items[i].u < p->sample_t_ms[p->n_samples - 1]))
                                break;
                        p->sample_t_ms[p->n_samples] = t->items[i].u;
                        p->sample_usage[p->n_samples] = u->items[i].u;
                        p->n_samples++;
                }
        }
        json_value_free(root);
        if (!p->state || !p->dumps || !p->sample_t_ms || !p->sample_usage) {
                rr_prev_free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

/* The record in dir_fd, checked: a regular file of ours, not too big. */
static int read_record(int dir_fd, struct rr_prev **ret, char **ret_warn)
{
        struct stat st;
        char *buf = NULL, *err = NULL;
        size_t got = 0;
        ssize_t n;
        int fd, r;

        *ret = NULL;
        fd = openat(dir_fd, RR_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                if (r == -ENOENT)
                        return 0;
                if (asprintf(ret_warn, "cannot open it: %s", strerror(-r)) < 0)
                        *ret_warn = NULL;
                return 0;
        }
        if (fstat(fd, &st) < 0)
                st.st_mode = 0;
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_size > RR_MAX_BYTES) {
                if (asprintf(ret_warn, "%s", !S_ISREG(st.st_mode) ? "not a regular file"
                                             : st.st_uid != geteuid() ? "not owned by oomwatch's user"
                                                                      : "larger than 1 MiB") < 0)
                        *ret_warn = NULL;
                close(fd);
                return 0;
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
                got += (size_t)n;
        close(fd);
        r = rr_parse(buf, got, ret, &err);
        free(buf);
        if (r == -ENOMEM) {
                free(err);
                return r;
        }
        if (r < 0) {
                *ret_warn = err;
                return 0;
        }
        free(err);
        return 0;
}

/* ---- this run ---------------------------------------------------------------- */

static void read_boot_id(char *buf, size_t len)
{
        FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

        buf[0] = '\0';
        if (!f)
                return;
        if (fgets(buf, (int)len, f))
                buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
}

int rr_claim(int dir_fd, struct rr **ret, struct rr_prev **ret_prev, pid_t *ret_holder, char **ret_warn)
{
        unsigned char id[16];
        struct stat st;
        struct rr *r;
        int e;

        *ret_prev = NULL;
        if (ret_holder)
                *ret_holder = 0;
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->dir_fd = dir_fd;
        r->state = RR_RUNNING;
        r->lock_fd = openat(dir_fd, RR_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
        if (r->lock_fd < 0 || fstat(r->lock_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                e = r->lock_fd < 0 ? -errno : -EINVAL;
                goto fail;
        }
        if (flock(r->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                e = errno == EWOULDBLOCK ? -EBUSY : -errno;
                if (e == -EBUSY && ret_holder) {
                        struct rr_prev *p = NULL;
                        char *w = NULL;
                        if (read_record(dir_fd, &p, &w) == 0 && p)
                                *ret_holder = p->sup_pid;
                        rr_prev_free(p);
                        free(w);
                }
                goto fail;
        }
        e = read_record(dir_fd, ret_prev, ret_warn);
        if (e < 0)
                goto fail;
        if (getrandom(id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id)) {
                /* early boot without entropy: unique enough with time and pid */
                struct timespec t;
                clock_gettime(CLOCK_REALTIME, &t);
                memcpy(id, &t, sizeof(id) < sizeof(t) ? sizeof(id) : sizeof(t));
                id[0] ^= (unsigned char)getpid();
        }
        for (size_t i = 0; i < sizeof(id); i++)
                snprintf(r->run_id + 2 * i, 3, "%02x", id[i]);
        unit_format_utc(NULL, r->started, sizeof(r->started));
        r->sup_pid = getpid();
        read_boot_id(r->boot_id, sizeof(r->boot_id));
        *ret = r;
        return 0;
fail:
        if (r->lock_fd >= 0)
                close(r->lock_fd);
        free(r);
        rr_prev_free(*ret_prev);
        *ret_prev = NULL;
        return e;
}

static void cg_free_strings(struct rr_cgroup *c)
{
        free((char *)c->mode);
        free((char *)c->path);
        free((char *)c->container);
        free((char *)c->limit_from);
}

void rr_close(struct rr *r, const char *final_state)
{
        if (!r)
                return;
        if (final_state) {
                r->state = final_state;
                (void)rr_flush(r, true);
        }
        if (r->lock_fd >= 0)
                close(r->lock_fd);
        free(r->host);
        strv_free(r->argv);
        free(r->exe);
        cg_free_strings(&r->cg);
        for (size_t i = 0; i < r->n_bundles; i++)
                free(r->bundles[i]);
        free(r->bundles);
        free(r->in_progress);
        free(r);
}

void rr_set_supervisor(struct rr *r, const char *host)
{
        free(r->host);
        r->host = dup_or_null(host);
        r->dirty = true;
}

void rr_set_window(struct rr *r, const struct win *w, rr_keep_fn keep, void *userdata)
{
        r->win = w;
        r->keep = keep;
        r->keep_data = userdata;
}

void rr_set_timeline(struct rr *r, const struct tl *t)
{
        r->tl = t;
}

void rr_set_cgroup(struct rr *r, const struct rr_cgroup *c)
{
        cg_free_strings(&r->cg);
        r->cg.version = c->version;
        r->cg.id = c->id;
        r->cg.memory_limit = c->memory_limit;
        r->cg.mode = dup_or_null(c->mode);
        r->cg.path = dup_or_null(c->path);
        r->cg.container = dup_or_null(c->container);
        r->cg.limit_from = dup_or_null(c->limit_from);
        r->dirty = true;
}

void rr_target_started(struct rr *r, pid_t pid, char *const *argv, unsigned run, const struct rr_counters *at_spawn,
                       uint64_t now_ms)
{
        size_t n = 0;

        r->armed = true;
        r->state = RR_RUNNING;
        r->target = pid;
        r->run = run;
        r->verdict = NULL;
        r->bundle_wanted = false;
        r->at_spawn = *at_spawn;
        strv_free(r->argv);
        while (argv && argv[n])
                n++;
        r->argv = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; r->argv && i < n; i++)
                r->argv[i] = strdup(argv[i]);
        free(r->exe);
        r->exe = NULL;
        r->build_id[0] = '\0';
        unit_format_utc(NULL, r->target_started, sizeof(r->target_started));
        r->t0_ms = now_ms;
        r->last_valid = false;
        r->dirty = true;
        (void)rr_flush(r, true);
}

void rr_set_exe(struct rr *r, const char *exe, const char *build_id)
{
        free(r->exe);
        r->exe = dup_or_null(exe);
        snprintf(r->build_id, sizeof(r->build_id), "%s", build_id ? build_id : "");
        r->dirty = true;
}

void rr_sample(struct rr *r, uint64_t usage, uint64_t anon, uint64_t file, uint64_t peak)
{
        r->last_valid = true;
        unit_format_utc(NULL, r->last_time, sizeof(r->last_time));
        r->usage = usage;
        r->anon = anon;
        r->file = file;
        r->peak = peak;
        r->dirty = true;
        if (mono_ms() - r->last_write_ms >= RR_WRITE_MIN_MS)
                (void)rr_flush(r, false);
}

void rr_changed(struct rr *r)
{
        if (r)
                r->dirty = true;
}

void rr_target_ended(struct rr *r, const char *verdict, bool bundle_wanted)
{
        r->state = RR_BETWEEN;
        r->verdict = verdict;
        r->bundle_wanted = bundle_wanted;
        r->dirty = true;
}

void rr_bundle(struct rr *r, const char *in_progress, const char *made, bool keep_dumps)
{
        free(r->in_progress);
        r->in_progress = dup_or_null(in_progress);
        if (made) {
                char **v = realloc(r->bundles, (r->n_bundles + 1) * sizeof(char *));
                if (v) {
                        r->bundles = v;
                        r->bundles[r->n_bundles] = strdup(made);
                        if (r->bundles[r->n_bundles])
                                r->n_bundles++;
                }
        }
        r->keep_dumps = keep_dumps;
        r->dirty = true;
}

static void kv_str_or_null(struct json_writer *w, const char *key, const char *s)
{
        if (s && *s)
                json_kv_string(w, key, s);
        else
                json_kv_null(w, key);
}

/* every step-th point, then the newest: the index after i of n */
static size_t next_sample(size_t i, size_t step, size_t n)
{
        return i + step < n || i == n - 1 ? i + step : n - 1;
}

/* The timeline's points since this target's start, in ms since then: at
 * most RR_MAX_SAMPLES, every k-th of them when there are more (the newest
 * always), so that the series covers the run evenly. */
static void write_samples(const struct rr *r, struct json_writer *w)
{
        const struct tl_point *pt = NULL;
        size_t n = r->tl ? tl_points_since(r->tl, r->t0_ms, &pt) : 0;
        size_t step = n > RR_MAX_SAMPLES ? (n - 1 + RR_MAX_SAMPLES - 3) / (RR_MAX_SAMPLES - 2) : 1;

        for (int col = 0; col < 2; col++) {
                json_key(w, col ? "usage" : "t_ms");
                json_begin_array(w);
                for (size_t i = 0; i < n; i = next_sample(i, step, n))
                        json_uint(w, col ? pt[i].usage : pt[i].t_ms - r->t0_ms);
                json_end_array(w);
        }
}

static void write_record(const struct rr *r, struct json_writer *w)
{
        char now[40];

        json_begin_object(w);
        json_kv_int(w, "schema", 1);
        json_kv_string(w, "state", r->state);
        unit_format_utc(NULL, now, sizeof(now));
        json_kv_string(w, "updated", now);
        json_kv_string(w, "run_id", r->run_id);

        json_key(w, "supervisor");
        json_begin_object(w);
        json_kv_int(w, "pid", r->sup_pid);
        kv_str_or_null(w, "host", r->host);
        kv_str_or_null(w, "boot_id", r->boot_id);
        json_kv_string(w, "started", r->started);
        json_end_object(w);

        json_key(w, "target");
        if (r->target > 0) {
                json_begin_object(w);
                json_kv_int(w, "pid", r->target);
                json_key(w, "argv");
                json_begin_array(w);
                for (char **a = r->argv; a && *a; a++)
                        json_string(w, *a);
                json_end_array(w);
                kv_str_or_null(w, "exe", r->exe);
                kv_str_or_null(w, "build_id", r->build_id);
                json_kv_string(w, "started", r->target_started);
                json_kv_uint(w, "run", r->run);
                kv_str_or_null(w, "verdict", r->verdict);
                json_kv_bool(w, "bundle_wanted", r->bundle_wanted);
                json_end_object(w);
        } else {
                json_null(w);
        }

        json_key(w, "cgroup");
        json_begin_object(w);
        json_kv_int(w, "version", r->cg.version);
        kv_str_or_null(w, "mode", r->cg.mode);
        kv_str_or_null(w, "path", r->cg.path);
        kv_str_or_null(w, "container", r->cg.container);
        json_kv_uint(w, "id", r->cg.id);
        json_kv_uint(w, "memory_limit", r->cg.memory_limit);
        kv_str_or_null(w, "limit_from", r->cg.limit_from);
        json_key(w, "at_spawn");
        json_begin_object(w);
        json_kv_uint(w, "oom_kill", r->at_spawn.oom_kill);
        json_kv_uint(w, "oom_group_kill", r->at_spawn.oom_group_kill);
        json_kv_uint(w, "oom", r->at_spawn.oom);
        json_end_object(w);
        json_end_object(w);

        json_key(w, "last");
        if (r->last_valid) {
                json_begin_object(w);
                json_kv_string(w, "time", r->last_time);
                json_kv_uint(w, "usage", r->usage);
                json_kv_uint(w, "anon", r->anon);
                json_kv_uint(w, "file", r->file);
                json_kv_uint(w, "peak", r->peak);
                json_end_object(w);
        } else {
                json_null(w);
        }

        json_key(w, "dumps");
        json_begin_array(w);
        for (size_t i = 0; r->win && i < win_count(r->win); i++) {
                const struct win_dump *d = win_get(r->win, i);
                if (d && (!r->keep || r->keep(r->keep_data, d->pid)))
                        json_string(w, d->name);
        }
        json_end_array(w);
        json_key(w, "bundles");
        json_begin_array(w);
        for (size_t i = 0; i < r->n_bundles; i++)
                json_string(w, r->bundles[i]);
        json_end_array(w);
        kv_str_or_null(w, "bundle_in_progress", r->in_progress);
        json_kv_bool(w, "keep_dumps", r->keep_dumps);

        json_key(w, "samples");
        json_begin_object(w);
        json_kv_string(w, "start", r->target_started[0] ? r->target_started : r->started);
        write_samples(r, w);
        json_end_object(w);
        json_end_object(w);
}

int rr_flush(struct rr *r, bool force)
{
        struct json_writer w;
        struct fs_rewrite rw;
        FILE *f;
        int e;

        if (!r || !r->armed || (!r->dirty && !force))
                return 0;
        /* written at each sample near the limit: over the spare, so that a
         * record does not take new pages in the cgroup it shares (fsutil.h) */
        f = fs_rewrite_begin(&rw, r->dir_fd, RR_FILE, RR_TMP_FILE, 0600, &e);
        if (f) {
                json_init(&w, f, 0);
                write_record(r, &w);
                e = json_finish(&w);
                if (fputc('\n', f) == EOF)
                        e = e ? e : -EIO;
                e = fs_rewrite_end(&rw, e);
        }
        if (e) {
                r->errors++;
                return e;
        }
        r->dirty = false;
        r->last_write_ms = mono_ms();
        return 0;
}

unsigned rr_write_errors(const struct rr *r)
{
        return r ? r->errors : 0;
}

const char *rr_run_id(const struct rr *r)
{
        return r->run_id;
}

const char *rr_boot_id(const struct rr *r)
{
        return r->boot_id[0] ? r->boot_id : NULL;
}
