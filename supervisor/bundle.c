/* Incident bundle: directory, dump links, analysis, report files. */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "heap_profile.h"
#include "fsutil.h"
#include "units.h"

#define HEAD_TOP 5

static int set_err(char **ret_err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int set_err(char **ret_err, int r, const char *fmt, ...)
{
        va_list ap;

        if (ret_err) {
                va_start(ap, fmt);
                if (vasprintf(ret_err, fmt, ap) < 0)
                        *ret_err = NULL;
                va_end(ap);
        }
        return r;
}


static int copy_file(int src_dir, const char *name, int dst_dir)
{
        char buf[65536];
        int in, out, r = 0;
        ssize_t n;

        in = openat(src_dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (in < 0)
                return -errno;
        out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (out < 0) {
                r = -errno;
                close(in);
                return r;
        }
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)n) != n) {
                        r = -errno ? -errno : -EIO;
                        break;
                }
        if (n < 0)
                r = -errno;
        close(in);
        if (close(out) < 0 && r == 0)
                r = -errno;
        return r;
}

int bundle_create(struct bundle *b, const char *report_dir, int dump_dir_fd, char **ret_err)
{
        char stamp[32], *abs_report = NULL, *dumps = NULL;
        struct tm tm;
        time_t now = time(NULL);
        int dfd = -1, r;
        size_t kept = 0;

        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        if (report_dir[0] != '/') {
                char *cwd = getcwd(NULL, 0);
                if (!cwd)
                        return -errno;
                r = asprintf(&abs_report, "%s/%s", cwd, report_dir);
                free(cwd);
        } else {
                r = asprintf(&abs_report, "%s", report_dir);
        }
        if (r < 0)
                return -ENOMEM;
        r = fs_mkdir_parents(abs_report, 0700);
        if (r < 0) {
                set_err(ret_err, r, "cannot create the report directory \"%s\": %s", abs_report, strerror(-r));
                goto out;
        }
        /* a second incident within the same second gets a suffix */
        for (int i = 0; i < 100; i++) {
                free(b->dir);
                b->dir = NULL;
                if ((i ? asprintf(&b->dir, "%s/%s-%d.%d", abs_report, stamp, (int)b->pid, i)
                       : asprintf(&b->dir, "%s/%s-%d", abs_report, stamp, (int)b->pid)) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                if (mkdir(b->dir, 0700) == 0)
                        break;
                r = -errno;
                if (r != -EEXIST) {
                        set_err(ret_err, r, "cannot create \"%s\": %s", b->dir, strerror(-r));
                        goto out;
                }
        }
        if (asprintf(&dumps, "%s/dumps", b->dir) < 0) {
                r = -ENOMEM;
                goto out;
        }
        if (mkdir(dumps, 0700) < 0 || (dfd = open(dumps, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                r = -errno;
                set_err(ret_err, r, "cannot create \"%s\": %s", dumps, strerror(-r));
                goto out;
        }
        for (size_t i = 0; i < b->n_dumps; i++) {
                struct bundle_dump *d = &b->dumps[i];
                char *rel = NULL;

                r = renameat(dump_dir_fd, d->file, dfd, d->file) < 0 ? -errno : 0;
                if (r == -EXDEV)
                        r = copy_file(dump_dir_fd, d->file, dfd);
                if (r < 0 || asprintf(&rel, "dumps/%s", d->file) < 0) {
                        /* gone meanwhile: drop it and keep the indexes right */
                        if (b->base_index == (int)i)
                                b->base_index = -1;
                        if (b->new_index == (int)i)
                                b->new_index = -1;
                        free(d->file);
                        continue;
                }
                free(d->file);
                d->file = rel;
                if (b->base_index == (int)i)
                        b->base_index = (int)kept;
                if (b->new_index == (int)i)
                        b->new_index = (int)kept;
                b->dumps[kept++] = *d;
        }
        b->n_dumps = kept;
        r = 0;
out:
        if (dfd >= 0)
                close(dfd);
        free(dumps);
        free(abs_report);
        return r;
}

void json_write_string(FILE *out, const char *s)
{
        fputc('"', out);
        for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
                switch (*p) {
                case '"': fputs("\\\"", out); break;
                case '\\': fputs("\\\\", out); break;
                case '\n': fputs("\\n", out); break;
                case '\t': fputs("\\t", out); break;
                case '\r': fputs("\\r", out); break;
                default:
                        if (*p < 0x20)
                                fprintf(out, "\\u%04x", *p);
                        else
                                fputc(*p, out);
                }
        }
        fputc('"', out);
}

static FILE *open_in(const struct bundle *b, const char *name, char **ret_path)
{
        FILE *f;

        if (asprintf(ret_path, "%s/%s", b->dir, name) < 0)
                return NULL;
        f = fopen(*ret_path, "we");
        if (!f) {
                free(*ret_path);
                *ret_path = NULL;
        }
        return f;
}

/* Write name through a temporary file and rename, so readers never see half. */
static int finish(FILE *f, char *tmp_path, const struct bundle *b, const char *name)
{
        char *final = NULL;
        int r = 0;

        if (fflush(f) != 0 || ferror(f))
                r = -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && asprintf(&final, "%s/%s", b->dir, name) < 0)
                r = -ENOMEM;
        if (r == 0 && rename(tmp_path, final) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp_path);
        free(final);
        free(tmp_path);
        return r;
}

static long ms_since(const struct timespec *t0)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* bundle_write works inside the bundle directory: paths are "dumps/<name>",
 * as incident.json names them. */
static void path_of(const struct bundle *b, int i, char *buf, size_t len)
{
        snprintf(buf, len, "%s", b->dumps[i].file);
}

/* Heap total of the newest dump over the cgroup's peak: how much of what
 * the kernel counted the heap profile explains. -1 when unknown. */
static double coverage(const struct bundle *b, int64_t *ret_heap)
{
        char newer[4096];
        int64_t heap = 0;
        char *err = NULL;

        *ret_heap = -1;
        if (b->new_index < 0 || !b->peak)
                return -1;
        path_of(b, b->new_index, newer, sizeof(newer));
        if (hp_peek_total(newer, &heap, &err) < 0) {
                free(err);
                return -1;
        }
        *ret_heap = heap;
        return (double)heap / (double)b->peak;
}

static void write_summary_head(const struct bundle *b, FILE *f, const struct an_report *diff, const char *why)
{
        char s1[32], s2[32];

        fprintf(f, "oomwatch incident report\n\n");
        fprintf(f, "verdict:      %s", b->verdict);
        if (b->signal)
                fprintf(f, " (signal %d)", b->signal);
        else if (b->exit_code >= 0)
                fprintf(f, " (exit code %d)", b->exit_code);
        fputc('\n', f);
        fprintf(f, "target:       pid %d:", (int)b->pid);
        for (char *const *a = b->argv; a && *a; a++)
                fprintf(f, " %s", *a);
        fputc('\n', f);
        fprintf(f, "limit:        %s (cgroup v%d)\n", unit_format_size(b->memory_limit, s1, sizeof(s1)),
                b->cg_version);
        if (b->peak)
                fprintf(f, "peak:         %s (%.0f%% of the limit)\n", unit_format_size(b->peak, s2, sizeof(s2)),
                        b->memory_limit ? 100.0 * (double)b->peak / (double)b->memory_limit : 0.0);
        else
                fprintf(f, "peak:         unknown\n");
        fprintf(f, "oom kills:    %llu\n", (unsigned long long)b->oom_kills);
        if (b->base_index >= 0 && b->new_index >= 0)
                fprintf(f, "diff:         %s -> %s\n", b->dumps[b->base_index].file, b->dumps[b->new_index].file);
        if (diff) {
                int64_t g = an_report_total(diff);
                fprintf(f, "heap growth:  %s%s\n", g < 0 ? "-" : "",
                        unit_format_size((uint64_t)(g < 0 ? -g : g), s1, sizeof(s1)));
                fprintf(f, "\ntop growers:\n");
                for (size_t i = 0, shown = 0; i < an_report_count(diff) && shown < HEAD_TOP; i++) {
                        const char *fn;
                        int64_t flat, cum;
                        if (an_report_row(diff, i, &fn, &flat, &cum) < 0 || flat <= 0)
                                continue;
                        fprintf(f, "  %-40s %10s flat  %10s cum\n", fn,
                                unit_format_size((uint64_t)flat, s1, sizeof(s1)),
                                unit_format_size((uint64_t)(cum > 0 ? cum : 0), s2, sizeof(s2)));
                        shown++;
                }
        } else {
                fprintf(f, "\nno heap analysis: %s\n", why ? why : "no dumps");
        }
        for (size_t i = 0; i < b->n_dumps; i++)
                if (b->dumps[i].error)
                        fprintf(f, "skipped:      %s\n", b->dumps[i].error);
        {
                int64_t heap;
                double cov = coverage(b, &heap);
                if (cov >= 0) {
                        fprintf(f, "\ncoverage:     the newest dump's heap, %s, is %.0f%% of the peak\n",
                                unit_format_size((uint64_t)heap, s1, sizeof(s1)), 100 * cov);
                        if (cov < 0.5) {
                                fprintf(f, "              most of the memory was outside the jemalloc heap");
                                if (b->mem_valid)
                                        fprintf(f, ": at the last sample anonymous memory was %s and page cache %s",
                                                unit_format_size(b->mem_anon, s1, sizeof(s1)),
                                                unit_format_size(b->mem_file, s2, sizeof(s2)));
                                fprintf(f, ";\n              look at mmap, thread stacks, fragmentation, page cache\n");
                        }
                }
        }
}

static void write_json_dumps(const struct bundle *b, FILE *f)
{
        fputs("  \"dumps\": [", f);
        for (size_t i = 0; i < b->n_dumps; i++) {
                const struct bundle_dump *d = &b->dumps[i];
                fprintf(f, "%s\n    {\"file\": ", i ? "," : "");
                json_write_string(f, d->file);
                fprintf(f, ", \"pid\": %d, \"seq\": %llu, \"kind\": \"%c\", \"bytes\": %llu, \"baseline\": %s",
                        (int)d->pid, (unsigned long long)d->seq, d->kind ? d->kind : '?',
                        (unsigned long long)d->bytes, d->baseline ? "true" : "false");
                if (d->error) {
                        fputs(", \"error\": ", f);
                        json_write_string(f, d->error);
                }
                fputc('}', f);
        }
        fputs(b->n_dumps ? "\n  ],\n" : "],\n", f);
}

static void write_json_head(const struct bundle *b, FILE *f)
{
        fprintf(f, "{\n  \"schema\": 1,\n  \"verdict\": \"%s\",\n", b->verdict);
        fputs("  \"target\": {\"argv\": [", f);
        for (char *const *a = b->argv; a && *a; a++) {
                if (a != b->argv)
                        fputs(", ", f);
                json_write_string(f, *a);
        }
        fprintf(f, "], \"pid\": %d, \"exit_code\": ", (int)b->pid);
        if (b->exit_code >= 0)
                fprintf(f, "%d", b->exit_code);
        else
                fputs("null", f);
        fputs(", \"signal\": ", f);
        if (b->signal)
                fprintf(f, "%d", b->signal);
        else
                fputs("null", f);
        fputs("},\n", f);
        fprintf(f, "  \"cgroup\": {\"version\": %d, \"memory_limit\": %llu, \"peak\": ", b->cg_version,
                (unsigned long long)b->memory_limit);
        if (b->peak)
                fprintf(f, "%llu", (unsigned long long)b->peak);
        else
                fputs("null", f);
        fprintf(f, ", \"oom_kills\": %llu", (unsigned long long)b->oom_kills);
        if (b->mem_valid)
                fprintf(f, ", \"last_sample\": {\"usage\": %llu, \"anon\": %llu, \"file\": %llu}",
                        (unsigned long long)b->mem_usage, (unsigned long long)b->mem_anon,
                        (unsigned long long)b->mem_file);
        fputs("},\n", f);
        {
                int64_t heap;
                double cov = coverage(b, &heap);
                if (cov >= 0)
                        fprintf(f, "  \"coverage\": %.3f,\n  \"heap_bytes\": %lld,\n", cov, (long long)heap);
                else
                        fputs("  \"coverage\": null,\n", f);
        }
        write_json_dumps(b, f);
}

static int write_text_file(const struct bundle *b, const char *name, const struct an_report *r, enum an_format fmt)
{
        char *tmp = NULL, tname[64];
        FILE *f;

        snprintf(tname, sizeof(tname), ".%s.tmp", name);
        f = open_in(b, tname, &tmp);
        if (!f)
                return -errno;
        (void)an_render(r, fmt, f);
        return finish(f, tmp, b, name);
}

/* jeprof builds shell commands (nm, addr2line, objdump) from the program's
 * path and from every path in the dump's MAPPED_LIBRARIES. oomwatch runs it
 * with an argv, but a hostile name would still reach a shell inside it, so
 * it runs only when every such path is made of plain characters. */
static bool shell_plain(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      strchr("/._+-,@%=:", c)))
                        return false;
        }
        return true;
}

static bool dump_paths_plain(const char *path)
{
        FILE *f = fopen(path, "re");
        char line[8192];
        bool maps = false, ok = true;

        if (!f)
                return false;
        while (ok && fgets(line, sizeof(line), f)) {
                size_t n = strcspn(line, "\n");
                const char *p = line;
                if (!maps) {
                        maps = strncmp(line, "MAPPED_LIBRARIES:", 17) == 0;
                        continue;
                }
                /* address perms offset dev inode path */
                for (int field = 0; field < 5 && p < line + n; field++) {
                        p += strcspn(p, " ");
                        p += strspn(p, " ");
                }
                if (p >= line + n || *p == '[')
                        continue; /* anonymous or [heap], [stack], ... */
                if (n - (size_t)(p - line) > 10 && strncmp(line + n - 10, " (deleted)", 10) == 0)
                        n -= 10;
                ok = shell_plain(p, n - (size_t)(p - line));
        }
        fclose(f);
        return ok;
}

/* jeprof --text [--base], run with an argv (never a shell) and a time limit. */
static int run_jeprof(const struct bundle *b, FILE *out)
{
        char base[4096], newer[4096];
        bool have_base = b->base_index >= 0 && b->base_index != b->new_index;
        pid_t pid;
        int status;
        int fd = fileno(out);

        if (have_base)
                path_of(b, b->base_index, base, sizeof(base));
        path_of(b, b->new_index, newer, sizeof(newer));
        if (!shell_plain(b->exe, strlen(b->exe)) || !dump_paths_plain(newer) ||
            (have_base && !dump_paths_plain(base))) {
                fputs("(jeprof not run: the program's or a library's path has characters that jeprof would hand "
                      "to a shell)\n",
                      out);
                return -EPERM;
        }
        fflush(out);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char base_opt[4200];
                char *const with_base[] = { "jeprof", "--text", base_opt, "--", b->exe, newer, NULL };
                char *const without[] = { "jeprof", "--text", "--", b->exe, newer, NULL };
                snprintf(base_opt, sizeof(base_opt), "--base=%s", base);
                alarm(60);
                dup2(fd, 1);
                execvp("jeprof", have_base ? with_base : without);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int bundle_write(struct bundle *b)
{
        struct an_options o = { .top = b->cfg->top };
        struct an_report *diff = NULL, *trend = NULL;
        char *diff_err = NULL, *trend_err = NULL, *tmp = NULL;
        char base[4096], newer[4096];
        FILE *f;
        int r;

        if (chdir(b->dir) < 0)
                return -errno;

        /* the newest dump that parses: a dump cut short by the kill is skipped */
        while (b->new_index >= 0) {
                path_of(b, b->new_index, newer, sizeof(newer));
                if (b->base_index >= 0 && b->base_index != b->new_index)
                        path_of(b, b->base_index, base, sizeof(base));
                free(diff_err);
                diff_err = NULL;
                r = an_diff_paths(b->base_index >= 0 && b->base_index != b->new_index ? base : NULL, newer, &o,
                                  &diff, &diff_err);
                if (r >= 0)
                        break;
                /* a dump the analyzer cannot read is reported, and skipped */
                if (diff_err && !b->dumps[b->new_index].error && strstr(diff_err, b->dumps[b->new_index].file))
                        b->dumps[b->new_index].error = strdup(diff_err);
                /* step back to an older dump of the same process */
                int prev = -1;
                for (int i = b->new_index - 1; i >= 0; i--)
                        if (b->dumps[i].pid == b->dumps[b->new_index].pid && i != b->base_index) {
                                prev = i;
                                break;
                        }
                b->new_index = prev;
        }

        /* trend over the dumps of the diff's process */
        if (b->new_index >= 0) {
                const char **paths = calloc(b->n_dumps, sizeof(char *));
                size_t n = 0;
                for (size_t i = 0; paths && i <= (size_t)b->new_index; i++) {
                        if (b->dumps[i].pid != b->dumps[b->new_index].pid)
                                continue;
                        char *p = strdup(b->dumps[i].file);
                        if (p)
                                paths[n++] = p;
                }
                if (n >= 3)
                        (void)an_trend_paths(paths, n, &o, &trend, &trend_err);
                for (size_t i = 0; i < n; i++)
                        free((char *)paths[i]);
                free(paths);
        }

        /* report.txt */
        f = open_in(b, ".report.txt.tmp", &tmp);
        if (!f)
                return -errno;
        write_summary_head(b, f, diff, diff_err);
        if (diff) {
                fputs("\n", f);
                if (b->cfg->engine == CFG_ENGINE_JEPROF && b->exe) {
                        fputs("jeprof --text --base:\n", f);
                        if (run_jeprof(b, f) < 0)
                                fputs("(jeprof failed; the native analysis follows)\n", f);
                }
                fputs("all growth (flat, flat%, sum%, cum, cum%):\n", f);
                (void)an_render(diff, AN_FORMAT_TEXT, f);
        }
        if (trend && an_report_suspect_count(trend)) {
                fputs("\nsteady growth across the dumps (trend):\n", f);
                for (size_t i = 0; i < an_report_suspect_count(trend); i++) {
                        const char *fn;
                        double score;
                        int64_t g;
                        char s1[32];
                        if (an_report_suspect(trend, i, &fn, &score, &g) == 0)
                                fprintf(f, "  %-40s score %.2f  +%s\n", fn, score,
                                        unit_format_size((uint64_t)(g > 0 ? g : 0), s1, sizeof(s1)));
                }
        }
        r = finish(f, tmp, b, "report.txt");
        if (r < 0)
                goto out;

        if (diff && (b->cfg->formats & CFG_FMT_COLLAPSED))
                (void)write_text_file(b, "growth.collapsed", diff, AN_FORMAT_COLLAPSED);
        if (diff && (b->cfg->formats & CFG_FMT_SVG))
                (void)write_text_file(b, "growth.svg", diff, AN_FORMAT_SVG);
        if (diff && (b->cfg->formats & CFG_FMT_DOT))
                (void)write_text_file(b, "growth.dot", diff, AN_FORMAT_DOT);

        /* incident.json, last */
        f = open_in(b, ".incident.json.tmp", &tmp);
        if (!f) {
                r = -errno;
                goto out;
        }
        write_json_head(b, f);
        fputs("  \"diff\": ", f);
        if (diff)
                (void)an_render(diff, AN_FORMAT_JSON, f);
        else
                fputs("null", f);
        fputs(",\n  \"trend\": ", f);
        if (trend)
                (void)an_render(trend, AN_FORMAT_JSON, f);
        else
                fputs("null", f);
        if (!diff) {
                fputs(",\n  \"analysis_error\": ", f);
                json_write_string(f, diff_err ? diff_err : b->no_profile_why_set ? b->no_profile_why
                                                                           : "no heap dump was available");
        }
        fprintf(f, ",\n  \"analysis_ms\": %ld\n}\n", ms_since(&b->died));
        r = finish(f, tmp, b, "incident.json");
out:
        free(diff_err);
        free(trend_err);
        an_report_free(diff);
        an_report_free(trend);
        return r;
}

int bundle_write_fallback(struct bundle *b, const char *why)
{
        char *tmp = NULL;
        FILE *f;
        int r;

        f = open_in(b, ".report.txt.tmp", &tmp);
        if (!f)
                return -errno;
        write_summary_head(b, f, NULL, why);
        r = finish(f, tmp, b, "report.txt");
        f = open_in(b, ".incident.json.tmp", &tmp);
        if (!f)
                return -errno;
        write_json_head(b, f);
        fputs("  \"diff\": null,\n  \"trend\": null,\n  \"analysis_error\": ", f);
        json_write_string(f, why);
        fprintf(f, ",\n  \"analysis_ms\": %ld\n}\n", ms_since(&b->died));
        return r < 0 ? r : finish(f, tmp, b, "incident.json");
}

void bundle_print_head(const struct bundle *b, FILE *out, unsigned lines)
{
        char *path = NULL, line[512];
        FILE *f;

        if (asprintf(&path, "%s/report.txt", b->dir) < 0)
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
        fprintf(out, "oomwatch: incident bundle: %s\n", b->dir);
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
        memset(b, 0, sizeof(*b));
}
