/* The supervisor's side of an incident bundle: dumps, directory, analysis process. */
#include "incident.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bundlefacts.h"
#include "config.h"
#include "errmsg.h"
#include "fsutil.h"
#include "reportdir.h"
#include "spawn.h"
#include "symbols.h"

/* the files of a bundle the analysis writes: the two it always has, then
 * one per format of report.formats */
static const struct {
        unsigned format;       /* CFG_FMT_*; 0: always */
        const char *name;
} outputs[] = {
        { 0, "report.txt" },
        { 0, "incident.json" },
        { CFG_FMT_COLLAPSED, "growth.collapsed" },
        { CFG_FMT_SVG, "growth.svg" },
        { CFG_FMT_DOT, "growth.dot" },
        { CFG_FMT_PPROF, "profile.pb.gz" },
        { CFG_FMT_HTML, "incident.html" },
};

static const char *const required[] = { "report.txt", "incident.json", NULL };

int inc_collect(struct bundle *b, const struct win *w, pid_t pid, inc_keep_fn keep, void *userdata)
{
        const struct win_dump *base = NULL, *newest = NULL;
        size_t n = win_count(w);

        b->base_index = b->new_index = -1;
        if (win_pair(w, pid, &base, &newest) < 0)
                (void)win_pair(w, 0, &base, &newest);
        if (newest && keep && !keep(userdata, newest->pid))
                base = newest = NULL;
        b->dumps = calloc(n ? n : 1, sizeof(*b->dumps));
        if (!b->dumps)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const struct win_dump *d = win_get(w, i);
                struct bundle_dump *bd = &b->dumps[b->n_dumps];
                if (!d || d->bad || (keep && !keep(userdata, d->pid)))
                        continue;
                bd->file = strdup(d->name);
                if (!bd->file)
                        continue;
                bd->pid = d->pid;
                bd->seq = d->seq;
                bd->kind = d->kind;
                bd->bytes = d->bytes;
                bd->baseline = d->baseline;
                if (d == base)
                        b->base_index = (int)b->n_dumps;
                if (d == newest)
                        b->new_index = (int)b->n_dumps;
                b->n_dumps++;
        }
        return 0;
}

/* The symbol cache of another user: <dir>/uid-<uid>, made by us (root) and
 * given to that user, so that no target can put what another target's
 * analysis would read there. <dir> itself must let that user pass (0711 at
 * least; an `oomwatch diff` of root's may have made it 0700 for its own
 * copies, which stay in its 0700 subdirectory). NULL when it cannot be. */
static char *cache_for(const char *dir, uid_t uid, gid_t gid)
{
        char *sub = NULL;
        struct stat st;
        int fd, r;

        if (fs_mkdir_parents(dir, 0755) < 0)
                return NULL;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        r = fstat(fd, &st) < 0 || (st.st_uid == geteuid() && (st.st_mode & 0111) != 0111 &&
                                   fchmod(fd, (st.st_mode & 07777) | 0111) < 0);
        close(fd);
        if (r || asprintf(&sub, "%s/uid-%u", dir, (unsigned)uid) < 0)
                return NULL;
        if (mkdir(sub, 0700) < 0 && errno != EEXIST)
                goto fail;
        fd = open(sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                goto fail;
        r = fstat(fd, &st) < 0 || ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) < 0) ||
            fchmod(fd, 0700) < 0;
        close(fd);
        if (r)
                goto fail;
        return sub;
fail:
        free(sub);
        return NULL;
}

int inc_ctx_open(struct inc_ctx *ctx, const struct ow_config *cfg, int dump_dir_fd, const char *dump_dir,
                 char **ret_err, char **ret_warn)
{
        const char *report_dir = cfg->report_dir ? cfg->report_dir : cfg_keys[CK_REPORT_DIR].default_text;
        struct rd_target t = { .uid = geteuid() };
        gid_t own = getegid(), *tgroups = NULL;
        const char *what = NULL;
        char *cache = NULL;
        uid_t tuid = geteuid();
        gid_t tgid = own;
        size_t tn = 0;
        int r;

        memset(ctx, 0, sizeof(*ctx));
        ctx->report_fd = ctx->program_fd = -1;
        ctx->dump_dir_fd = dump_dir_fd;
        ctx->dump_dir = dump_dir;
        *ret_err = *ret_warn = NULL;
        if (cfg->user || cfg->group) {
                r = spawn_resolve_ids(cfg->user, cfg->group, &tuid, &tgid, &tgroups, &tn, &what);
                if (r < 0)
                        return err_set(ret_err, r, "unknown %s \"%s\": %s", what ? what : "user",
                                       what && strcmp(what, "group") == 0 ? cfg->group : cfg->user,
                                       r == -ENOENT ? "no such entry" : strerror(-r));
                t = (struct rd_target){ .uid = tuid, .gids = tgroups, .n_gids = tn };
        } else {
                t = (struct rd_target){ .uid = tuid, .gids = &own, .n_gids = 1 };
        }
        ctx->dump_owner = tuid;
        r = rd_open(report_dir, &t, &ctx->report_path_, ret_err);
        free(tgroups);
        if (r < 0)
                return r;
        ctx->report_fd = r;
        ctx->report_path = ctx->report_path_;

        r = ap_open_program(&ctx->program_path_);
        if (r < 0)
                err_set(ret_warn, r, "the analysis program %s %s; incidents will have no bundle", AP_PROGRAM,
                        r == -ENOENT ? "was not found next to oomwatch or in " OOMWATCH_LIBDIR "/oomwatch"
                                     : "cannot be opened");
        ctx->program_fd = r;

        r = ap_resolve_user(cfg->report_user, cfg->user, cfg->group, &ctx->user, &ctx->groups_, &what);
        if (r < 0)
                return err_set(ret_err, r, "the analysis's %s: %s", what ? what : "user", strerror(-r));
        ctx->switch_user = geteuid() == 0;
        if (cfg->report_user && !ctx->switch_user && ctx->user.uid != geteuid())
                return err_set(ret_err, -EPERM, "%s%sreport.user '%s': only root can run the analysis as another user",
                               cfg->origin[CK_REPORT_USER] ? cfg->origin[CK_REPORT_USER] : "",
                               cfg->origin[CK_REPORT_USER] ? ": " : "", cfg->report_user);

        if (syms_cache_dir(cfg->symbol_cache, &cache) == 0 && cache) {
                if (ctx->user.uid == geteuid())
                        ctx->symbol_cache_ = cache;
                else {
                        ctx->symbol_cache_ = geteuid() == 0 ? cache_for(cache, ctx->user.uid, ctx->user.gid) : NULL;
                        free(cache);
                }
        }
        ctx->symbol_cache = ctx->symbol_cache_;
        return 0;
}

void inc_ctx_close(struct inc_ctx *ctx)
{
        if (ctx->report_fd >= 0)
                close(ctx->report_fd);
        if (ctx->program_fd >= 0)
                close(ctx->program_fd);
        free(ctx->report_path_);
        free(ctx->program_path_);
        free(ctx->symbol_cache_);
        free(ctx->groups_);
        memset(ctx, 0, sizeof(*ctx));
        ctx->report_fd = ctx->program_fd = -1;
}

/* The facts, anew (through a temporary name: a reader never sees half). */
static int write_facts(struct incident *inc, const struct inc_ctx *ctx, const struct ap_user *u)
{
        struct bf_original *orig = calloc(inc->dir.n_dumps ? inc->dir.n_dumps : 1, sizeof(*orig));
        struct bf_extra x = {
                .uid = u->uid, .gid = u->gid, .groups = (gid_t *)u->groups, .n_groups = u->n_groups,
                .dump_dir = ctx->dump_dir, .originals = orig, .outputs = inc->dir.out_names,
                .symbol_cache = ctx->symbol_cache,
        };
        FILE *f;
        int fd, r;

        if (!orig)
                return -ENOMEM;
        for (size_t i = 0; i < inc->dir.n_dumps; i++)
                if (inc->dir.dumps[i].copied)
                        orig[x.n_originals++] = (struct bf_original){ .name = inc->dir.dumps[i].name,
                                                                      .dev = inc->dir.dumps[i].orig_dev,
                                                                      .ino = inc->dir.dumps[i].orig_ino };
        fd = fs_create_file(inc->dir.fd, BF_FILE ".tmp", 0600);
        if (fd < 0) {
                free(orig);
                return fd;
        }
        f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                free(orig);
                return -ENOMEM;
        }
        errno = 0;
        r = bf_write(&inc->b, &x, f);
        if (r == -EIO && errno)
                r = -errno; /* what the stream ran into: ENOSPC, EDQUOT, EIO */
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        free(orig);
        if (r == 0 && renameat(inc->dir.fd, BF_FILE ".tmp", inc->dir.fd, BF_FILE) < 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(inc->dir.fd, BF_FILE ".tmp", 0);
        return r;
}

/* Drop dump i from the list, keeping the indexes right. */
static void drop_dump(struct bundle *b, size_t i)
{
        free(b->dumps[i].file);
        free(b->dumps[i].error);
        for (size_t j = i + 1; j < b->n_dumps; j++)
                b->dumps[j - 1] = b->dumps[j];
        b->n_dumps--;
        if (b->base_index == (int)i)
                b->base_index = -1;
        else if (b->base_index > (int)i)
                b->base_index--;
        if (b->new_index == (int)i)
                b->new_index = -1;
        else if (b->new_index > (int)i)
                b->new_index--;
}

static int spawn(struct incident *inc, const struct inc_ctx *ctx, const struct ap_user *u, bool switch_user,
                 uint64_t now_ms)
{
        char *argv[5] = { (char *)AP_PROGRAM, (char *)"bundle", NULL, NULL, NULL };
        int fds[1 + BD_MAX_OUTPUTS];
        struct ap_spawn p = {
                .program_fd = ctx->program_fd, .cwd_fd = inc->dir.fd, .user = switch_user ? u : NULL,
                .argv = argv, .fds = fds, .n_fds = 1 + inc->dir.n_outs,
                .cpu_seconds = (inc->fallback ? INC_FALLBACK_TIME_LIMIT_MS : INC_TIME_LIMIT_MS) / 1000,
                .address_space = INC_MEMORY_LIMIT, .file_size = INC_FILE_SIZE_LIMIT,
        };
        pid_t pid;
        int r;

        if (ctx->program_fd < 0)
                return -ENOENT;
        if (inc->fallback) {
                argv[2] = (char *)"--fallback";
                argv[3] = inc->why;
        }
        if (inc->facts_fd >= 0)
                close(inc->facts_fd);
        inc->facts_fd = openat(inc->dir.fd, BF_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (inc->facts_fd < 0)
                return -errno;
        fds[0] = inc->facts_fd;
        for (size_t i = 0; i < inc->dir.n_outs; i++)
                fds[1 + i] = inc->dir.out_fds[i];
        r = ap_spawn(&p, &pid);
        if (r < 0)
                return r;
        inc->analyzer = pid;
        inc->deadline_ms = now_ms + (inc->fallback ? INC_FALLBACK_TIME_LIMIT_MS : INC_TIME_LIMIT_MS);
        return 0;
}

static char *bundle_path(const struct inc_ctx *ctx, const char *name)
{
        char *p = NULL;

        if (asprintf(&p, "%s/%s", ctx->report_path, name) < 0)
                return NULL;
        return p;
}

/* No bundle: the dumps go back, the temporary directory goes. */
static void abandon(struct incident *inc, const struct inc_ctx *ctx)
{
        (void)bd_return_dumps(&inc->dir, ctx->dump_dir_fd);
        bd_discard(&inc->dir);
        if (inc->facts_fd >= 0)
                close(inc->facts_fd);
        inc->facts_fd = -1;
}

int inc_start(struct incident *inc, const struct inc_ctx *ctx, uint64_t now_ms, char **ret_err)
{
        struct bundle *b = &inc->b;
        char stamp[32], name[64];
        struct tm tm;
        time_t when = b->when.tv_sec ? b->when.tv_sec : time(NULL);
        int r;

        inc->analyzer = 0;
        inc->facts_fd = -1;
        inc->fallback = false;
        inc->why[0] = '\0';
        gmtime_r(&when, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(name, sizeof(name), "%s-%d", stamp, (int)b->pid);
        if (ctx->program_fd < 0) {
                r = err_set(ret_err, -ENOENT, "the analysis program %s was not found (installed with oomwatch in "
                                              "%s/oomwatch)", AP_PROGRAM, OOMWATCH_LIBDIR);
                goto fail_free;
        }
        r = bd_create(ctx->report_fd, name, &inc->dir);
        if (r < 0) {
                err_set(ret_err, r, "cannot create \"%s/%s%s\": %s", ctx->report_path, BD_PREFIX, name,
                        r == -EEXIST ? "every name is taken" : strerror(-r));
                goto fail_dir;
        }
        free(b->dir);
        b->dir = bundle_path(ctx, name);
        if (!b->dir) {
                r = -ENOMEM;
                goto fail_dir;
        }
        for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
                if (outputs[i].format && !(b->cfg->formats & outputs[i].format))
                        continue;
                r = bd_add_output(&inc->dir, outputs[i].name);
                if (r < 0) {
                        err_set(ret_err, r, "cannot create \"%s/%s/%s\": %s", ctx->report_path, inc->dir.tmp,
                                outputs[i].name, strerror(-r));
                        goto fail_dir;
                }
        }
        /* the names the bundle lists, before anything moves: a start that
         * finds this directory after our death knows what should be in it */
        for (size_t i = 0; i < b->n_dumps; i++) {
                char *rel = NULL;
                if (asprintf(&rel, "dumps/%s", b->dumps[i].file) < 0) {
                        r = -ENOMEM;
                        goto fail_dir;
                }
                free(b->dumps[i].file);
                b->dumps[i].file = rel;
        }
        r = write_facts(inc, ctx, &ctx->user);
        if (r < 0) {
                err_set(ret_err, r, "cannot write \"%s/%s/%s\": %s", ctx->report_path, inc->dir.tmp, BF_FILE,
                        strerror(-r));
                goto fail_dir;
        }
        for (size_t i = 0; i < b->n_dumps;) {
                const char *base = b->dumps[i].file + strlen("dumps/");
                r = bd_take_dump(&inc->dir, ctx->dump_dir_fd, base, ctx->dump_owner, ctx->user.uid, ctx->user.gid);
                if (r == 0) {
                        i++;
                        continue;
                }
                if (r == -ENOENT || r == -EPERM || r == -ELOOP || r == -ENOTSUP) {
                        /* gone meanwhile, or not the target's plain file: not evidence */
                        drop_dump(b, i);
                        continue;
                }
                err_set(ret_err, r, "cannot copy the dump \"%s\" into \"%s/%s\": %s; the dumps stay in \"%s\"", base,
                        ctx->report_path, inc->dir.tmp, strerror(-r), ctx->dump_dir);
                goto fail_dumps;
        }
        r = write_facts(inc, ctx, &ctx->user);
        if (r < 0) {
                err_set(ret_err, r, "cannot write \"%s/%s/%s\": %s; the dumps stay in \"%s\"", ctx->report_path,
                        inc->dir.tmp, BF_FILE, strerror(-r), ctx->dump_dir);
                goto fail_dumps;
        }
        r = spawn(inc, ctx, &ctx->user, ctx->switch_user, now_ms);
        if (r < 0) {
                err_set(ret_err, r, "cannot start the analysis: %s; the dumps stay in \"%s\"", strerror(-r),
                        ctx->dump_dir);
                goto fail_dumps;
        }
        return 0;
fail_dumps:
        abandon(inc, ctx);
        bundle_free(b);
        return r;
fail_dir:
        bd_discard(&inc->dir);
fail_free:
        bundle_free(b);
        return r;
}

static void describe(int wstatus, char *why, size_t len)
{
        if (WIFSIGNALED(wstatus))
                snprintf(why, len, "the analysis was killed by signal %d (%s)", WTERMSIG(wstatus),
                         WTERMSIG(wstatus) == SIGKILL   ? "time or memory limit"
                         : WTERMSIG(wstatus) == SIGXCPU ? "time limit"
                         : WTERMSIG(wstatus) == SIGXFSZ ? "file size limit"
                                                         : strsignal(WTERMSIG(wstatus)));
        else if (WEXITSTATUS(wstatus) == 127)
                snprintf(why, len, "the analysis could not be started (exit status 127)");
        else
                snprintf(why, len, "the analysis failed (exit status %d)", WEXITSTATUS(wstatus));
}

/* Which required outputs are empty: their names, for a message. */
static bool outputs_complete(const struct incident *inc, char *missing, size_t len)
{
        bool ok = true;

        missing[0] = '\0';
        for (size_t i = 0; i < inc->dir.n_outs; i++) {
                bool req = false;
                for (const char *const *q = required; *q; q++)
                        req |= strcmp(*q, inc->dir.out_names[i]) == 0;
                if (req && bd_output_size(&inc->dir, i) <= 0) {
                        size_t n = strlen(missing);
                        snprintf(missing + n, len - n, "%s%s", n ? ", " : "", inc->dir.out_names[i]);
                        ok = false;
                }
        }
        return ok;
}

/* Rename into place; the originals of copies go. 0 or -errno with why. */
static int complete(struct incident *inc, const struct inc_ctx *ctx, char *why, size_t len)
{
        int r;

        (void)unlinkat(inc->dir.fd, BF_FILE, 0);
        r = bd_finish(&inc->dir, required);
        if (r < 0) {
                snprintf(why, len, "cannot rename the bundle into \"%s/%s\": %s", ctx->report_path, inc->dir.name,
                         r == -EEXIST ? "that name and its suffixes .1 to .99 are taken" : strerror(-r));
                return r;
        }
        free(inc->b.dir);
        inc->b.dir = bundle_path(ctx, inc->dir.name);
        (void)bd_remove_originals(&inc->dir, ctx->dump_dir_fd);
        if (inc->facts_fd >= 0)
                close(inc->facts_fd);
        inc->facts_fd = -1;
        return 0;
}

int inc_finish(struct incident *inc, const struct inc_ctx *ctx, int wstatus, uint64_t now_ms, char *why,
               size_t len)
{
        char missing[128];
        bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
        int r;

        inc->analyzer = 0;
        if (ok && outputs_complete(inc, missing, sizeof(missing)))
                return complete(inc, ctx, why, len) < 0 ? (abandon(inc, ctx), -EIO) : 0;
        if (!inc->fallback) {
                if (ok)
                        snprintf(inc->why, sizeof(inc->why), "the analysis wrote no %s", missing);
                else
                        describe(wstatus, inc->why, sizeof(inc->why));
                snprintf(why, len, "%s", inc->why);
                inc->fallback = true;
                r = bd_truncate_outputs(&inc->dir);
                if (r >= 0)
                        r = spawn(inc, ctx, &ctx->user, ctx->switch_user, now_ms);
                if (r >= 0)
                        return 1;
        }
        (void)outputs_complete(inc, missing, sizeof(missing));
        snprintf(why, len, "could not write %s of \"%s\" (%s); the dumps stay in \"%s\"",
                 missing[0] ? missing : "the bundle", inc->b.dir ? inc->b.dir : ctx->report_path,
                 inc->why[0] ? inc->why : "the analysis failed", ctx->dump_dir);
        abandon(inc, ctx);
        return -EIO;
}

void inc_print_head(const struct incident *inc, FILE *out, unsigned lines)
{
        char *path = NULL, line[512];
        FILE *f;

        if (asprintf(&path, "%s/report.txt", inc->b.dir) < 0)
                return;
        f = fopen(path, "re");
        free(path);
        if (f) {
                for (unsigned i = 0; i < lines && fgets(line, sizeof(line), f); i++) {
                        if (strncmp(line, "all growth", 10) == 0)
                                break;
                        fprintf(out, "  %s", line);
                }
                fclose(f);
        }
        fprintf(out, "oomwatch: incident bundle: %s\n", inc->b.dir);
}

void inc_free(struct incident *inc)
{
        if (inc->facts_fd >= 0 && inc->dir.fd >= 0)
                close(inc->facts_fd);
        inc->facts_fd = -1;
        bd_close(&inc->dir);
        bundle_free(&inc->b);
        inc->analyzer = 0;
}

/* ---- bundles a dead supervisor left ------------------------------------------ */

struct resume {
        const struct inc_ctx *ctx;
        FILE *err;
        char **paths;
        size_t n;
};

static int read_facts(int dir_fd, char **ret_text, size_t *ret_len)
{
        int fd = fs_open_regular(dir_fd, BF_FILE, geteuid(), NULL), r;

        if (fd < 0)
                return fd;
        r = bf_read_fd(fd, ret_text, ret_len);
        close(fd);
        return r;
}

/* Visibly not a bundle, and not tried again. */
static void give_up(struct resume *rs, struct bdir *d, const char *why)
{
        char *to = NULL;

        if (asprintf(&to, "%s.incomplete", d->name) >= 0 &&
            renameat2(rs->ctx->report_fd, d->tmp, rs->ctx->report_fd, to, RENAME_NOREPLACE) == 0)
                fprintf(rs->err, "oomwatch: cannot finish the interrupted bundle \"%s/%s\" (%s): left as \"%s/%s\"\n",
                        rs->ctx->report_path, d->tmp, why, rs->ctx->report_path, to);
        else
                fprintf(rs->err, "oomwatch: cannot finish the interrupted bundle \"%s/%s\": %s\n", rs->ctx->report_path,
                        d->tmp, why);
        free(to);
}

static void resume_one(void *userdata, const char *tmp_name)
{
        struct resume *rs = userdata;
        const struct inc_ctx *ctx = rs->ctx;
        struct incident inc = { .facts_fd = -1 };
        struct bf_read_result facts;
        struct ap_user u;
        char *text = NULL, *err = NULL, why[400];
        size_t len = 0;
        int r, st;

        memset(&facts, 0, sizeof(facts));
        r = bd_adopt(ctx->report_fd, tmp_name, &inc.dir);
        if (r < 0) {
                bd_close(&inc.dir);
                return; /* someone else's now, or not ours */
        }
        r = read_facts(inc.dir.fd, &text, &len);
        if (r == -ENOENT) {
                /* died before the facts: nothing was moved in yet */
                fprintf(rs->err, "oomwatch: removing \"%s/%s\", a bundle its supervisor had only begun\n",
                        ctx->report_path, tmp_name);
                bd_discard(&inc.dir);
                return;
        }
        if (r < 0 || bf_read(text, len, &inc.b, &facts, &err) < 0) {
                snprintf(why, sizeof(why), "%s", err ? err : r < 0 ? strerror(-r) : "unreadable facts");
                give_up(rs, &inc.dir, why);
                goto out;
        }
        for (const char *const *o = facts.x.outputs; *o; o++)
                if (bd_add_output(&inc.dir, *o) < 0) {
                        give_up(rs, &inc.dir, "cannot create its files again");
                        goto out;
                }
        fprintf(rs->err, "oomwatch: finishing the bundle \"%s\" that supervisor pid %d was writing when it ended\n",
                inc.b.dir, (int)facts.x.writer);
        u = (struct ap_user){ .uid = facts.x.uid, .gid = facts.x.gid, .groups = facts.x.groups,
                              .n_groups = facts.x.n_groups };
        for (int attempt = 0; attempt < 2; attempt++) {
                inc.fallback = attempt == 1;
                r = spawn(&inc, ctx, &u, geteuid() == 0, 0);
                if (r < 0 || ap_wait(inc.analyzer, inc.fallback ? INC_FALLBACK_TIME_LIMIT_MS : INC_TIME_LIMIT_MS,
                                     &st) < 0) {
                        snprintf(why, sizeof(why), "cannot run the analysis: %s", strerror(r < 0 ? -r : errno));
                        break;
                }
                if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && outputs_complete(&inc, why, sizeof(why))) {
                        r = complete(&inc, &(struct inc_ctx){ .report_fd = ctx->report_fd,
                                                               .report_path = ctx->report_path,
                                                               .dump_dir_fd = -1 },
                                     why, sizeof(why));
                        if (r < 0)
                                break;
                        /* copies: the originals in that run's dump directory go now */
                        {
                                int dfd = open(facts.x.dump_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                                for (size_t i = 0; dfd >= 0 && i < facts.x.n_originals; i++) {
                                        struct stat sb;
                                        const struct bf_original *o = &facts.x.originals[i];
                                        if (fstatat(dfd, o->name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                                            (uint64_t)sb.st_dev == o->dev && (uint64_t)sb.st_ino == o->ino)
                                                (void)unlinkat(dfd, o->name, 0);
                                }
                                if (dfd >= 0)
                                        close(dfd);
                        }
                        fprintf(rs->err, "oomwatch: incident bundle: %s (finished after its supervisor ended)\n",
                                inc.b.dir);
                        {
                                char **v = realloc(rs->paths, (rs->n + 2) * sizeof(char *));
                                if (v) {
                                        rs->paths = v;
                                        if ((v[rs->n] = strdup(inc.b.dir)))
                                                rs->n++;
                                        v[rs->n] = NULL;
                                }
                        }
                        goto out;
                }
                if (attempt == 0) {
                        describe(st, inc.why, sizeof(inc.why));
                        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                                snprintf(inc.why, sizeof(inc.why), "the analysis wrote no report");
                        if (bd_truncate_outputs(&inc.dir) < 0)
                                break;
                        snprintf(why, sizeof(why), "%s", inc.why);
                }
        }
        give_up(rs, &inc.dir, why);
out:
        if (inc.facts_fd >= 0)
                close(inc.facts_fd);
        inc.facts_fd = -1;
        bd_close(&inc.dir);
        bundle_free(&inc.b);
        bf_read_free(&facts);
        free(text);
        free(err);
}

int inc_resume(const struct inc_ctx *ctx, FILE *err, char ***paths)
{
        struct resume rs = { .ctx = ctx, .err = err };
        int r;

        if (ctx->report_fd < 0)
                return 0;
        r = bd_find_interrupted(ctx->report_fd, resume_one, &rs);
        if (paths)
                *paths = rs.paths;
        else {
                for (size_t i = 0; i < rs.n; i++)
                        free(rs.paths[i]);
                free(rs.paths);
        }
        return r < 0 ? r : (int)rs.n;
}

/* ---- the queue ------------------------------------------------------------------- */

void incq_init(struct inc_queue *q, struct win *win, const struct inc_ctx *ctx, inc_started_fn started,
               inc_done_fn done, void *userdata)
{
        memset(q, 0, sizeof(*q));
        q->win = win;
        q->ctx = ctx;
        q->started = started;
        q->done = done;
        q->userdata = userdata;
}

static void pin_all(struct inc_queue *q, const struct bundle *b, bool pin)
{
        for (size_t i = 0; i < b->n_dumps; i++)
                (void)(pin ? win_pin(q->win, b->dumps[i].file) : win_unpin(q->win, b->dumps[i].file));
}

static void finished(struct inc_queue *q, const char *why)
{
        if (q->done)
                q->done(q->userdata, &q->run, why);
        inc_free(&q->run);
        q->running = false;
}

/* Start waiting bundles until one runs or none is left. */
static void kick(struct inc_queue *q, uint64_t now_ms)
{
        while (!q->running && q->n_waiting) {
                char *err = NULL;
                int r;

                pid_t pid = q->waiting[0].pid;

                memset(&q->run, 0, sizeof(q->run));
                q->run.b = q->waiting[0];
                memmove(&q->waiting[0], &q->waiting[1], (q->n_waiting - 1) * sizeof(q->waiting[0]));
                q->n_waiting--;
                memset(&q->waiting[q->n_waiting], 0, sizeof(q->waiting[0]));
                pin_all(q, &q->run.b, false);
                r = inc_start(&q->run, q->ctx, now_ms, &err);
                q->running = true;
                if (r < 0) {
                        /* no bundle: inc_start freed it, the dumps are where they were */
                        char why[1024];
                        q->failed_pid = pid;
                        snprintf(why, sizeof(why), "no incident bundle: %s", err ? err : strerror(-r));
                        free(err);
                        if (q->done)
                                q->done(q->userdata, NULL, why);
                        q->running = false;
                        continue;
                }
                if (q->started)
                        q->started(q->userdata, &q->run);
        }
}

int incq_push(struct inc_queue *q, struct bundle *b, uint64_t now_ms)
{
        if (q->n_waiting == INC_QUEUE_MAX) {
                bundle_free(b);
                return -ENOSPC;
        }
        q->waiting[q->n_waiting++] = *b;
        memset(b, 0, sizeof(*b));
        pin_all(q, &q->waiting[q->n_waiting - 1], true);
        kick(q, now_ms);
        return 0;
}

bool incq_idle(const struct inc_queue *q)
{
        return !q->running && q->n_waiting == 0;
}

int incq_reaped(struct inc_queue *q, pid_t pid, int wstatus, uint64_t now_ms)
{
        char why[1024];
        int r;

        if (!q->running || q->run.analyzer <= 0 || pid != q->run.analyzer)
                return 0;
        r = inc_finish(&q->run, q->ctx, wstatus, now_ms, why, sizeof(why));
        if (r == 1)
                return 1; /* the minimal report's writer runs now */
        if (r < 0) {
                char msg[1100];
                q->failed_pid = q->run.b.pid;
                snprintf(msg, sizeof(msg), "no incident bundle: %s", why);
                if (q->done)
                        q->done(q->userdata, NULL, msg);
                inc_free(&q->run);
                q->running = false;
        } else {
                finished(q, q->run.fallback ? q->run.why : NULL);
        }
        kick(q, now_ms);
        return 1;
}

int incq_deadline(const struct inc_queue *q, uint64_t *ret_ms)
{
        if (!q->running || q->run.analyzer <= 0)
                return 0;
        *ret_ms = q->run.deadline_ms;
        return 1;
}

int incq_expire(struct inc_queue *q, uint64_t now_ms)
{
        if (!q->running || q->run.analyzer <= 0 || q->run.deadline_ms > now_ms)
                return 0;
        (void)kill(q->run.analyzer, SIGKILL);
        q->run.deadline_ms = UINT64_MAX;
        return 1;
}

void incq_free(struct inc_queue *q)
{
        if (q->running && q->run.analyzer > 0) {
                (void)kill(q->run.analyzer, SIGKILL);
                (void)waitpid(q->run.analyzer, NULL, 0);
        }
        if (q->running)
                inc_free(&q->run);
        q->running = false;
        for (size_t i = 0; i < q->n_waiting; i++) {
                pin_all(q, &q->waiting[i], false);
                bundle_free(&q->waiting[i]);
        }
        q->n_waiting = 0;
}
