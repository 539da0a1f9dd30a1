/* The facts of an incident, between the supervisor and the analysis program. */
#include "bundlefacts.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "timeline.h"

#define SCHEMA 1

enum ftype { F_STR, F_STR_OWNED, F_INT, F_PID, F_U64, F_BOOL, F_TS, F_BUF, F_ENUM, F_UNSIGNED };

struct field {
        const char *key;
        enum ftype type;
        size_t off;
        size_t size; /* F_BUF */
};

#define FLD(k, t) { #k, t, offsetof(struct bundle, k), 0 }

/* every scalar field of struct bundle the writer reads */
static const struct field fields[] = {
        FLD(verdict, F_STR),
        FLD(exe, F_STR_OWNED),
        FLD(pid, F_PID),
        FLD(exit_code, F_INT),
        FLD(signal, F_INT),
        FLD(cg_version, F_INT),
        FLD(memory_limit, F_U64),
        FLD(peak, F_U64),
        FLD(oom_kills, F_U64),
        FLD(mem_valid, F_BOOL),
        FLD(mem_usage, F_U64),
        FLD(mem_anon, F_U64),
        FLD(mem_file, F_U64),
        FLD(no_profile_why, F_STR_OWNED),
        FLD(runtime, F_STR),
        FLD(runtime_title, F_STR),
        FLD(program, F_STR),
        FLD(via, F_STR),
        FLD(runtime_note, F_STR),
        FLD(profiling, F_BOOL),
        FLD(died, F_TS),
        FLD(when, F_TS),
        FLD(host, F_STR),
        FLD(container, F_STR),
        FLD(cg_mode, F_STR),
        FLD(limit_from, F_STR),
        FLD(cg_id, F_U64),
        { "build_id", F_BUF, offsetof(struct bundle, build_id), sizeof(((struct bundle *)0)->build_id) },
        FLD(unobserved, F_BOOL),
        FLD(unobserved_cause, F_STR),
        FLD(counters_seen, F_BOOL),
        FLD(oom_kill_rise, F_U64),
        FLD(oom_group_kill_rise, F_U64),
        FLD(supervisor_pid, F_PID),
        FLD(has_victim, F_BOOL),
        FLD(victim_pid, F_PID),
        FLD(victim_command, F_STR_OWNED),
        FLD(victim_exe, F_STR_OWNED),
        FLD(victim_anon, F_U64),
        FLD(victim_source, F_STR),
        FLD(victim_relation, F_ENUM),
        FLD(proc_mem, F_U64),
        FLD(unbundled_kills, F_UNSIGNED),
        FLD(base_index, F_INT),
        FLD(new_index, F_INT),
};

static void write_field(struct json_writer *w, const struct bundle *b, const struct field *f)
{
        const char *p = (const char *)b + f->off;

        switch (f->type) {
        case F_STR:
        case F_STR_OWNED: {
                const char *s = *(const char *const *)p;
                if (s)
                        json_kv_string(w, f->key, s);
                else
                        json_kv_null(w, f->key);
                break;
        }
        case F_INT: json_kv_int(w, f->key, *(const int *)p); break;
        case F_PID: json_kv_int(w, f->key, *(const pid_t *)p); break;
        case F_ENUM: json_kv_int(w, f->key, (int)*(const enum bundle_relation *)p); break;
        case F_UNSIGNED: json_kv_uint(w, f->key, *(const unsigned *)p); break;
        case F_U64: json_kv_uint(w, f->key, *(const uint64_t *)p); break;
        case F_BOOL: json_kv_bool(w, f->key, *(const bool *)p); break;
        case F_TS: {
                const struct timespec *t = (const struct timespec *)p;
                json_key(w, f->key);
                json_begin_array(w);
                json_int(w, t->tv_sec);
                json_int(w, t->tv_nsec);
                json_end_array(w);
                break;
        }
        case F_BUF: json_kv_string(w, f->key, p); break;
        }
}

static void write_timeline(struct json_writer *w, const struct tl *t)
{
        json_key(w, "timeline");
        if (!t) {
                json_null(w);
                return;
        }
        json_begin_object(w);
        json_kv_uint(w, "t0_ms", t->t0_ms);
        json_key(w, "t0_wall");
        json_begin_array(w);
        json_int(w, t->t0_wall.tv_sec);
        json_int(w, t->t0_wall.tv_nsec);
        json_end_array(w);
        json_kv_uint(w, "min_gap_ms", t->min_gap_ms);
        json_key(w, "points");
        json_begin_array(w);
        for (size_t i = 0; i < t->n_points; i++) {
                json_begin_array(w);
                json_uint(w, t->points[i].t_ms);
                json_uint(w, t->points[i].usage);
                json_end_array(w);
        }
        json_end_array(w);
        json_key(w, "marks");
        json_begin_array(w);
        for (size_t i = 0; i < t->n_marks; i++) {
                json_begin_array(w);
                json_uint(w, t->marks[i].t_ms);
                json_string(w, t->marks[i].kind);
                json_string(w, t->marks[i].label);
                json_end_array(w);
        }
        json_end_array(w);
        json_end_object(w);
}

int bf_write(const struct bundle *b, const struct bf_extra *x, FILE *f)
{
        const struct ow_config *c = b->cfg;
        struct json_writer w;

        json_init(&w, f, 0);
        json_begin_object(&w);
        json_kv_int(&w, "schema", SCHEMA);
        json_kv_string(&w, "dir", b->dir);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
                write_field(&w, b, &fields[i]);
        json_key(&w, "argv");
        json_begin_array(&w);
        for (char *const *a = b->argv; a && *a; a++)
                json_string(&w, *a);
        json_end_array(&w);
        json_key(&w, "dumps");
        json_begin_array(&w);
        for (size_t i = 0; i < b->n_dumps; i++) {
                const struct bundle_dump *d = &b->dumps[i];
                char kind[2] = { d->kind, 0 };
                json_begin_object(&w);
                json_kv_string(&w, "file", d->file);
                json_kv_int(&w, "pid", d->pid);
                json_kv_uint(&w, "seq", d->seq);
                json_kv_string(&w, "kind", kind);
                json_kv_uint(&w, "bytes", d->bytes);
                json_kv_bool(&w, "baseline", d->baseline);
                if (d->error)
                        json_kv_string(&w, "error", d->error);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_key(&w, "config");
        json_begin_object(&w);
        json_kv_uint(&w, "top", c ? c->top : 0);
        json_kv_uint(&w, "formats", c ? c->formats : 0);
        json_kv_int(&w, "engine", c ? (int64_t)c->engine : 0);
        json_key(&w, "hide");
        if (c && c->hide) {
                json_begin_array(&w);
                for (char **h = c->hide; *h; h++)
                        json_string(&w, *h);
                json_end_array(&w);
        } else {
                json_null(&w);
        }
        if (x->symbol_cache)
                json_kv_string(&w, "symbol_cache", x->symbol_cache);
        else
                json_kv_null(&w, "symbol_cache");
        if (c && c->debuginfod_urls)
                json_kv_string(&w, "debuginfod_urls", c->debuginfod_urls);
        else
                json_kv_null(&w, "debuginfod_urls");
        json_kv_uint(&w, "debuginfod_timeout_ms", c ? c->debuginfod_timeout_ms : 0);
        json_end_object(&w);
        write_timeline(&w, b->timeline);
        json_key(&w, "analysis");
        json_begin_object(&w);
        json_kv_uint(&w, "uid", x->uid);
        json_kv_uint(&w, "gid", x->gid);
        json_key(&w, "groups");
        json_begin_array(&w);
        for (size_t i = 0; i < x->n_groups; i++)
                json_uint(&w, x->groups[i]);
        json_end_array(&w);
        json_end_object(&w);
        json_kv_string(&w, "dump_dir", x->dump_dir);
        json_kv_int(&w, "writer", getpid());
        json_key(&w, "originals");
        json_begin_array(&w);
        for (size_t i = 0; i < x->n_originals; i++) {
                json_begin_object(&w);
                json_kv_string(&w, "name", x->originals[i].name);
                json_kv_uint(&w, "dev", x->originals[i].dev);
                json_kv_uint(&w, "ino", x->originals[i].ino);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_key(&w, "outputs");
        json_begin_array(&w);
        for (const char *const *o = x->outputs; o && *o; o++)
                json_string(&w, *o);
        json_end_array(&w);
        json_end_object(&w);
        if (json_finish(&w) < 0 || fputc('\n', f) == EOF || fflush(f) != 0)
                return -EIO;
        return 0;
}

/* ---- reading ---------------------------------------------------------------- */

static int bad(char **ret_err, const char *what)
{
        free(*ret_err);
        if (asprintf(ret_err, "the incident's facts: %s", what) < 0)
                *ret_err = NULL;
        return -EINVAL;
}

static int read_field(const struct json_value *o, struct bundle *b, const struct field *f)
{
        const struct json_value *v = json_get(o, f->key);
        char *p = (char *)b + f->off;
        int64_t i;
        uint64_t u;

        if (!v)
                return -EINVAL;
        switch (f->type) {
        case F_STR:
        case F_STR_OWNED:
                if (v->type == JSON_T_NULL) {
                        *(char **)p = NULL;
                        return 0;
                }
                if (v->type != JSON_T_STRING || strlen(v->str) != v->len)
                        return -EINVAL;
                if (f->type == F_STR) {
                        *(const char **)p = v->str;
                } else if (!(*(char **)p = strdup(v->str))) {
                        return -ENOMEM;
                }
                return 0;
        case F_INT:
        case F_PID:
                if (json_get_int(o, f->key, &i) < 0 || i < INT32_MIN || i > INT32_MAX)
                        return -EINVAL;
                if (f->type == F_INT)
                        *(int *)p = (int)i;
                else
                        *(pid_t *)p = (pid_t)i;
                return 0;
        case F_U64:
                if (json_get_uint(o, f->key, &u) < 0)
                        return -EINVAL;
                *(uint64_t *)p = u;
                return 0;
        case F_ENUM:
                if (json_get_int(o, f->key, &i) < 0 || i < BUNDLE_TARGET || i > BUNDLE_DESCENDANT)
                        return -EINVAL;
                *(enum bundle_relation *)p = (enum bundle_relation)i;
                return 0;
        case F_UNSIGNED:
                if (json_get_uint(o, f->key, &u) < 0 || u > UINT32_MAX)
                        return -EINVAL;
                *(unsigned *)p = (unsigned)u;
                return 0;
        case F_BOOL:
                if (v->type != JSON_T_BOOL)
                        return -EINVAL;
                *(bool *)p = v->b;
                return 0;
        case F_TS:
                if (v->type != JSON_T_ARRAY || v->n != 2 || !v->items[0].is_int || !v->items[1].is_int ||
                    v->items[1].i < 0 || v->items[1].i >= 1000000000)
                        return -EINVAL;
                ((struct timespec *)p)->tv_sec = (time_t)v->items[0].i;
                ((struct timespec *)p)->tv_nsec = (long)v->items[1].i;
                return 0;
        case F_BUF:
                if (v->type != JSON_T_STRING || v->len >= f->size || strlen(v->str) != v->len)
                        return -EINVAL;
                memcpy(p, v->str, v->len + 1);
                return 0;
        }
        return -EINVAL;
}

static int read_strv(const struct json_value *a, char ***ret, size_t max)
{
        char **v;

        if (!a || a->type != JSON_T_ARRAY || a->n > max)
                return -EINVAL;
        v = calloc(a->n + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < a->n; i++) {
                if (a->items[i].type != JSON_T_STRING || strlen(a->items[i].str) != a->items[i].len) {
                        free(v);
                        return -EINVAL;
                }
                v[i] = a->items[i].str;
        }
        *ret = v;
        return 0;
}

static int read_dumps(const struct json_value *a, struct bundle *b)
{
        if (!a || a->type != JSON_T_ARRAY || a->n > 1000000)
                return -EINVAL;
        b->dumps = calloc(a->n ? a->n : 1, sizeof(*b->dumps));
        if (!b->dumps)
                return -ENOMEM;
        for (size_t i = 0; i < a->n; i++) {
                const struct json_value *o = &a->items[i];
                struct bundle_dump *d = &b->dumps[i];
                const char *file, *kind, *error;
                int64_t pid;
                uint64_t seq, bytes;
                const struct json_value *base = json_get(o, "baseline");

                if (json_get_string(o, "file", &file) < 0 || json_get_int(o, "pid", &pid) < 0 ||
                    json_get_uint(o, "seq", &seq) < 0 || json_get_string(o, "kind", &kind) < 0 ||
                    json_get_uint(o, "bytes", &bytes) < 0 || !base || base->type != JSON_T_BOOL ||
                    strncmp(file, "dumps/", 6) != 0 || strchr(file + 6, '/') || strlen(kind) != 1)
                        return -EINVAL;
                d->file = strdup(file);
                if (!d->file)
                        return -ENOMEM;
                b->n_dumps++;
                d->pid = (pid_t)pid;
                d->seq = seq;
                d->kind = kind[0];
                d->bytes = bytes;
                d->baseline = base->b;
                if (json_get_string(o, "error", &error) == 0 && !(d->error = strdup(error)))
                        return -ENOMEM;
        }
        return 0;
}

static int read_config(const struct json_value *o, struct bf_read_result *res)
{
        struct ow_config *c = &res->cfg;
        const struct json_value *hide = json_get(o, "hide");
        uint64_t top, formats;
        int64_t engine;
        const char *cache;

        if (!o || json_get_uint(o, "top", &top) < 0 || top > 100000 || json_get_uint(o, "formats", &formats) < 0 ||
            json_get_int(o, "engine", &engine) < 0 || (engine != CFG_ENGINE_NATIVE && engine != CFG_ENGINE_JEPROF))
                return -EINVAL;
        c->top = (unsigned)top;
        c->formats = (unsigned)formats;
        c->engine = (enum cfg_engine)engine;
        if (hide && hide->type != JSON_T_NULL) {
                char **v = NULL;
                int r = read_strv(hide, &v, 4096);
                if (r < 0)
                        return r;
                /* cfg_free frees each pattern */
                c->hide = calloc(hide->n + 1, sizeof(char *));
                for (size_t i = 0; c->hide && i < hide->n; i++)
                        if (!(c->hide[i] = strdup(v[i])))
                                r = -ENOMEM;
                free(v);
                if (!c->hide || r < 0)
                        return -ENOMEM;
        }
        free(c->symbol_cache);
        c->symbol_cache = strdup(json_get_string(o, "symbol_cache", &cache) == 0 ? cache : "off");
        if (!c->symbol_cache)
                return -ENOMEM;
        res->x.symbol_cache = c->symbol_cache;
        {
                const char *urls;
                uint64_t ms = 0;
                if (json_get_string(o, "debuginfod_urls", &urls) == 0 && !(c->debuginfod_urls = strdup(urls)))
                        return -ENOMEM;
                if (json_get_uint(o, "debuginfod_timeout_ms", &ms) == 0)
                        c->debuginfod_timeout_ms = ms;
        }
        return 0;
}

static int copy_str(char *dst, size_t len, const struct json_value *v)
{
        if (v->type != JSON_T_STRING || v->len >= len || strlen(v->str) != v->len)
                return -EINVAL;
        memcpy(dst, v->str, v->len + 1);
        return 0;
}

static int read_timeline(const struct json_value *o, struct bf_read_result *res)
{
        const struct json_value *pts, *marks, *wall;
        struct tl *t;

        if (!o || o->type == JSON_T_NULL)
                return 0;
        pts = json_get(o, "points");
        marks = json_get(o, "marks");
        wall = json_get(o, "t0_wall");
        if (!pts || pts->type != JSON_T_ARRAY || pts->n > TL_MAX_POINTS || !marks || marks->type != JSON_T_ARRAY ||
            marks->n > TL_MAX_MARKS || !wall || wall->type != JSON_T_ARRAY || wall->n != 2 || !wall->items[0].is_int ||
            !wall->items[1].is_int)
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        res->timeline = t;
        tl_init(t);
        if (json_get_uint(o, "t0_ms", &t->t0_ms) < 0)
                return -EINVAL;
        (void)json_get_uint(o, "min_gap_ms", &t->min_gap_ms);
        t->t0_wall.tv_sec = (time_t)wall->items[0].i;
        t->t0_wall.tv_nsec = (long)wall->items[1].i;
        for (size_t i = 0; i < pts->n; i++) {
                const struct json_value *p = &pts->items[i];
                if (p->type != JSON_T_ARRAY || p->n != 2 || !p->items[0].is_uint || !p->items[1].is_uint)
                        return -EINVAL;
                t->points[i] = (struct tl_point){ p->items[0].u, p->items[1].u };
        }
        t->n_points = pts->n;
        for (size_t i = 0; i < marks->n; i++) {
                const struct json_value *m = &marks->items[i];
                if (m->type != JSON_T_ARRAY || m->n != 3 || !m->items[0].is_uint ||
                    copy_str(t->marks[i].kind, sizeof(t->marks[i].kind), &m->items[1]) < 0 ||
                    copy_str(t->marks[i].label, sizeof(t->marks[i].label), &m->items[2]) < 0)
                        return -EINVAL;
                t->marks[i].t_ms = m->items[0].u;
                if (strcmp(t->marks[i].kind, "dump") == 0)
                        t->n_dump_marks++;
        }
        t->n_marks = marks->n;
        return 0;
}

static int read_extra(const struct json_value *t, struct bf_extra *x)
{
        const struct json_value *an = json_get(t, "analysis"), *g, *orig;
        uint64_t uid, gid;

        if (!an || json_get_uint(an, "uid", &uid) < 0 || json_get_uint(an, "gid", &gid) < 0 || uid > UINT32_MAX - 1 ||
            gid > UINT32_MAX - 1)
                return -EINVAL;
        x->uid = (uid_t)uid;
        x->gid = (gid_t)gid;
        g = json_get(an, "groups");
        if (!g || g->type != JSON_T_ARRAY || g->n > BF_MAX_GROUPS)
                return -EINVAL;
        x->groups = calloc(g->n ? g->n : 1, sizeof(gid_t));
        if (!x->groups)
                return -ENOMEM;
        for (size_t i = 0; i < g->n; i++) {
                if (!g->items[i].is_uint || g->items[i].u > UINT32_MAX - 1)
                        return -EINVAL;
                x->groups[x->n_groups++] = (gid_t)g->items[i].u;
        }
        if (json_get_string(t, "dump_dir", &x->dump_dir) < 0)
                return -EINVAL;
        {
                int64_t w;
                if (json_get_int(t, "writer", &w) == 0 && w > 0 && w <= INT32_MAX)
                        x->writer = (pid_t)w;
        }
        orig = json_get(t, "originals");
        if (!orig || orig->type != JSON_T_ARRAY || orig->n > 1000000)
                return -EINVAL;
        x->originals = calloc(orig->n ? orig->n : 1, sizeof(*x->originals));
        if (!x->originals)
                return -ENOMEM;
        for (size_t i = 0; i < orig->n; i++) {
                const struct json_value *o = &orig->items[i];
                const char *name;
                struct bf_original *b = &x->originals[x->n_originals];
                if (json_get_string(o, "name", &name) < 0 || strchr(name, '/') || json_get_uint(o, "dev", &b->dev) < 0 ||
                    json_get_uint(o, "ino", &b->ino) < 0)
                        return -EINVAL;
                b->name = (char *)name;
                x->n_originals++;
        }
        {
                char **outs = NULL;
                int r = read_strv(json_get(t, "outputs"), &outs, BF_MAX_OUTPUTS);
                if (r < 0)
                        return r;
                for (char **o = outs; *o; o++)
                        if (!**o || strchr(*o, '/') || (*o)[0] == '.') {
                                free(outs);
                                return -EINVAL;
                        }
                x->outputs = (const char *const *)outs;
        }
        return 0;
}

int bf_read(const char *text, size_t len, struct bundle *b, struct bf_read_result *res, char **ret_err)
{
        const char *dir;
        uint64_t schema;
        char *perr = NULL;
        char **argv = NULL;
        int r;

        memset(b, 0, sizeof(*b));
        memset(res, 0, sizeof(*res));
        cfg_init(&res->cfg);
        *ret_err = NULL;
        r = json_parse(text, len, &res->tree, &perr);
        if (r < 0) {
                r = r == -ENOMEM ? r : bad(ret_err, perr ? perr : "not JSON");
                free(perr);
                return r;
        }
        if (res->tree->type != JSON_T_OBJECT || json_get_uint(res->tree, "schema", &schema) < 0 || schema != SCHEMA)
                return bad(ret_err, "not of schema 1");
        if (json_get_string(res->tree, "dir", &dir) < 0)
                return bad(ret_err, "no dir");
        if (!(b->dir = strdup(dir)))
                return -ENOMEM;
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                r = read_field(res->tree, b, &fields[i]);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        char what[64];
                        snprintf(what, sizeof(what), "bad or missing \"%s\"", fields[i].key);
                        return bad(ret_err, what);
                }
        }
        r = read_strv(json_get(res->tree, "argv"), &argv, 1 << 16);
        if (r < 0)
                return r == -ENOMEM ? r : bad(ret_err, "bad argv");
        b->argv = res->argv = argv;
        r = read_dumps(json_get(res->tree, "dumps"), b);
        if (r < 0)
                return r == -ENOMEM ? r : bad(ret_err, "bad dumps");
        if (b->base_index < -1 || b->base_index >= (int)b->n_dumps || b->new_index < -1 ||
            b->new_index >= (int)b->n_dumps)
                return bad(ret_err, "base_index or new_index out of range");
        r = read_config(json_get(res->tree, "config"), res);
        if (r < 0)
                return r == -ENOMEM ? r : bad(ret_err, "bad config");
        b->cfg = &res->cfg;
        r = read_timeline(json_get(res->tree, "timeline"), res);
        if (r < 0)
                return r == -ENOMEM ? r : bad(ret_err, "bad timeline");
        b->timeline = res->timeline;
        r = read_extra(res->tree, &res->x);
        if (r < 0)
                return r == -ENOMEM ? r : bad(ret_err, "bad analysis, dump_dir, originals or outputs");
        return 0;
}

int bf_read_fd(int fd, char **ret_text, size_t *ret_len)
{
        size_t cap = 1 << 16, n = 0;
        char *buf = malloc(cap + 1);
        ssize_t k = 0;

        while (buf && (k = read(fd, buf + n, cap - n)) > 0) {
                n += (size_t)k;
                if (n == cap) {
                        char *g = cap >= BF_MAX_BYTES ? NULL : realloc(buf, cap * 2 + 1);
                        if (!g) {
                                free(buf);
                                return -EFBIG;
                        }
                        buf = g;
                        cap *= 2;
                }
        }
        if (!buf)
                return -ENOMEM;
        if (k < 0) {
                free(buf);
                return -errno;
        }
        buf[n] = '\0';
        *ret_text = buf;
        *ret_len = n;
        return 0;
}

void bf_read_free(struct bf_read_result *res)
{
        free(res->x.groups);
        free(res->x.originals);
        free((void *)res->x.outputs);
        free(res->argv);
        free(res->timeline);
        cfg_free(&res->cfg);
        json_value_free(res->tree);
        memset(res, 0, sizeof(*res));
}

void bundle_free(struct bundle *b)
{
        for (size_t i = 0; i < b->n_dumps; i++) {
                free(b->dumps[i].file);
                free(b->dumps[i].error);
        }
        free(b->dumps);
        free(b->dir);
        free(b->exe);
        free(b->no_profile_why);
        free(b->victim_command);
        free(b->victim_exe);
        memset(b, 0, sizeof(*b));
}
