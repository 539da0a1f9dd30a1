/* Incident bundle: directory, dump links, analysis, report files. */
#include "bundle.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "heap_profile.h"
#include "fsutil.h"
#include "json.h"
#include "symbols.h"
#include "units.h"

#define HEAD_TOP 5

/* The analysis writes each file of the bundle through the fd the supervisor
 * created it as (analysis/main.c): it can create nothing itself. NULL with
 * errno ENOENT when the supervisor did not ask for name. */
static FILE *open_in(const struct bundle *b, const char *name)
{
        FILE *f;
        int fd;

        for (size_t i = 0; i < b->n_outs; i++) {
                if (strcmp(b->out_names[i], name) != 0)
                        continue;
                fd = dup(b->out_fds[i]);
                if (fd < 0)
                        return NULL;
                f = fdopen(fd, "w");
                if (!f)
                        close(fd);
                return f;
        }
        errno = ENOENT;
        return NULL;
}

/* Complete name: every byte written, or an error that names it. */
static int finish(FILE *f, const struct bundle *b, const char *name)
{
        int r = 0;

        errno = 0;
        if (fflush(f) != 0 || ferror(f))
                r = errno ? -errno : -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r < 0)
                fprintf(stderr, "oomwatch: cannot write \"%s/%s\": %s\n", b->dir ? b->dir : ".", name, strerror(-r));
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

/* What the heap profile is measured against: the anonymous memory of the
 * process the diff is about, when the bundle is about one process of a
 * tree, else the cgroup's peak. */
static uint64_t coverage_base(const struct bundle *b)
{
        return b->proc_mem ? b->proc_mem : b->peak;
}

/* Heap total of the newest dump over coverage_base(): how much of what the
 * kernel counted the heap profile explains. -1 when unknown. The heap is an
 * estimate: *ret_est has its standard error and sample period. */
static double coverage(const struct bundle *b, struct an_estimate *ret_est)
{
        char newer[4096];
        char *err = NULL;

        ret_est->bytes = -1;
        if (b->new_index < 0 || !coverage_base(b))
                return -1;
        path_of(b, b->new_index, newer, sizeof(newer));
        if (an_peek_estimate(newer, ret_est, &err) < 0) {
                free(err);
                ret_est->bytes = -1;
                return -1;
        }
        return (double)ret_est->bytes / (double)coverage_base(b);
}

static const char *base_name(const char *path)
{
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

/* "≈12.3 MiB" */
static const char *approx_size(uint64_t bytes, char *buf, size_t len)
{
        char s[32];
        snprintf(buf, len, "\u2248%s", unit_format_size(bytes, s, sizeof(s)));
        return buf;
}

/* The coverage line: a percentage where sampling allows one; "about all of
 * the peak" where the estimate's error band reaches 100%. */
static void write_coverage(const struct bundle *b, FILE *f)
{
        struct an_estimate est;
        char s1[48], s2[32];
        double cov = coverage(b, &est);
        char of[96];

        if (cov < 0)
                return;
        double err = 2.0 * est.stderr_bytes / (double)coverage_base(b);   /* about 95% confidence */
        if (b->proc_mem)
                snprintf(of, sizeof(of), "the process's anonymous memory (%s)", unit_format_size(b->proc_mem, s2, sizeof(s2)));
        else
                snprintf(of, sizeof(of), "the peak");
        fprintf(f, "\ncoverage:     the newest dump's heap, %s, is ", approx_size((uint64_t)est.bytes, s1, sizeof(s1)));
        if (cov - err > 1.05)
                fprintf(f, "more than %s (\u2248%.0f%%): part of it was allocated but never touched,\n"
                           "              which the kernel does not count\n", of, 100 * cov);
        else if (cov + err >= 1.0 || cov > 1.0)
                fprintf(f, "about all of %s (\u2248%.0f%%, within the sampling error of \u00b1%.0f%%)\n", of,
                        100 * cov, 100 * err > 1 ? 100 * err : 1.0);
        else
                fprintf(f, "\u2248%.0f%% of %s (\u00b1%.0f%%)\n", 100 * cov, of, 100 * err > 1 ? 100 * err : 1.0);
        if (cov < 0.5 && b->runtime_note) {
                fprintf(f, "              most of the memory was outside the jemalloc heap; %s (see runtime above)\n",
                        b->runtime_title);
        } else if (cov < 0.5) {
                fprintf(f, "              most of the memory was outside the jemalloc heap");
                if (b->mem_valid && !b->proc_mem)
                        fprintf(f, ": at the last sample anonymous memory was %s and page cache %s",
                                unit_format_size(b->mem_anon, s1, sizeof(s1)),
                                unit_format_size(b->mem_file, s2, sizeof(s2)));
                fprintf(f, ";\n              look at mmap, thread stacks, fragmentation, page cache\n");
        }
}

/* "where it grew": the sites, largest first */
static void write_sites(FILE *f, const struct an_report *diff)
{
        size_t n = an_report_site_count(diff), shown = 0;
        char s1[48], name[96];

        fprintf(f, "\nwhere it grew (first frame outside the C/C++ runtime and the allocator):\n");
        for (size_t i = 0; i < n && shown < HEAD_TOP; i++) {
                struct an_site st;
                if (an_report_site(diff, i, &st) < 0 || st.bytes <= 0)
                        continue;
                fprintf(f, "  %12s  %s", approx_size((uint64_t)st.bytes, s1, sizeof(s1)),
                        an_name_fit(st.function, 60, name, sizeof(name)));
                if (st.file && st.line)
                        fprintf(f, "  at %s:%d", base_name(st.file), st.line);
                if (st.module)
                        fprintf(f, "  in %s", base_name(st.module));
                fputc('\n', f);
                shown++;
        }
        if (!shown)
                fprintf(f, "  (nothing grew)\n");
}

/* text after label, wrapped at about 78 columns, continued under it */
static void write_wrapped(FILE *f, const char *label, const char *text)
{
        const size_t width = 78, indent = 14;
        size_t col = (size_t)fprintf(f, "%-*s", (int)indent, label);
        const char *p = text;

        while (*p) {
                size_t w = strcspn(p, " ");
                if (col > indent && col + 1 + w > width) {
                        fprintf(f, "\n%*s", (int)indent, "");
                        col = indent;
                } else if (col > indent) {
                        fputc(' ', f);
                        col++;
                }
                fwrite(p, 1, w, f);
                col += w;
                p += w;
                p += strspn(p, " ");
        }
        fputc('\n', f);
}

static const char *without_prefix(const char *why)
{
        return why && strncmp(why, "no heap profile: ", 17) == 0 ? why + 17 : why;
}

/* what the target is, whether it had a heap profile, and what its runtime
 * means for one */
static void write_runtime(const struct bundle *b, FILE *f)
{
        if (!b->runtime)
                return;
        if (!b->profiling && b->no_profile_why) {
                const char *w = without_prefix(b->no_profile_why);
                char *line = NULL;
                if (asprintf(&line, "off: %s", w) >= 0)
                        write_wrapped(f, "profiling:", line);
                free(line);
        }
        if (b->program && (strcmp(b->runtime, "native") != 0 || b->via)) {
                char *line = NULL;
                if (asprintf(&line, "%s, %s%s%s%s", b->runtime_title, b->program, b->via ? " (" : "",
                             b->via ? b->via : "", b->via ? ")" : "") >= 0)
                        write_wrapped(f, "runtime:", line);
                free(line);
        }
        if (b->runtime_note)
                write_wrapped(f, "", b->runtime_note);
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
        if (b->has_victim) {
                static const char *const rel[] = { "the target", "a child of the target",
                                                   "a descendant of the target" };
                fprintf(f, "OOM-killed:   pid %d (%s), %s", (int)b->victim_pid,
                        b->victim_command ? b->victim_command : "?", rel[b->victim_relation]);
                if (b->victim_anon)
                        fprintf(f, ", anonymous memory %s", unit_format_size(b->victim_anon, s1, sizeof(s1)));
                fprintf(f, " (%s)\n", strcmp(b->victim_source, "kmsg") == 0 ? "the kernel's record"
                                                                            : "seen by oomwatch");
        }
        if (b->unbundled_kills)
                fprintf(f, "not bundled:  %u earlier OOM kills in the tree (report.bundle_limit)\n",
                        b->unbundled_kills);
        if (b->when.tv_sec) {
                char t[40];
                fprintf(f, "time:         %s\n", unit_format_utc(&b->when, t, sizeof(t)));
        }
        if (b->host || b->container)
                fprintf(f, "host:         %s, cgroup %s\n", b->host ? b->host : "?", b->container ? b->container : "?");
        fprintf(f, "limit:        %s (cgroup v%d)\n", unit_format_size(b->memory_limit, s1, sizeof(s1)),
                b->cg_version);
        if (b->peak)
                fprintf(f, "peak:         %s (%.0f%% of the limit)\n", unit_format_size(b->peak, s2, sizeof(s2)),
                        b->memory_limit ? 100.0 * (double)b->peak / (double)b->memory_limit : 0.0);
        else
                fprintf(f, "peak:         unknown\n");
        fprintf(f, "oom kills:    %llu\n", (unsigned long long)b->oom_kills);
        if (b->unobserved) {
                char t[40];
                fprintf(f, "unobserved:   the supervisor (pid %d) ended with the target; found at the next start\n",
                        (int)b->supervisor_pid);
                if (b->mem_valid)
                        fprintf(f, "last seen:    %s, %.0f%% of the limit, at %s\n",
                                unit_format_size(b->mem_usage, s1, sizeof(s1)),
                                b->memory_limit ? 100.0 * (double)b->mem_usage / (double)b->memory_limit : 0.0,
                                b->when.tv_sec ? unit_format_utc(&b->when, t, sizeof(t)) : "?");
                if (b->counters_seen)
                        fprintf(f, "cause:        %s (since the target's start: oom_kill +%llu, oom_group_kill +%llu)\n",
                                b->unobserved_cause, (unsigned long long)b->oom_kill_rise,
                                (unsigned long long)b->oom_group_kill_rise);
                else
                        fprintf(f, "cause:        %s (that run's cgroup is gone: its OOM counters cannot be read)\n",
                                b->unobserved_cause);
        }
        write_runtime(b, f);
        if (b->base_index >= 0 && b->new_index >= 0)
                fprintf(f, "diff:         %s -> %s\n", b->dumps[b->base_index].file, b->dumps[b->new_index].file);
        if (diff) {
                int64_t g = an_report_total(diff);
                char s3[48];
                fprintf(f, "heap growth:  %s%s (estimated from jemalloc's samples, one per %s allocated)\n",
                        g < 0 ? "-" : "", approx_size((uint64_t)(g < 0 ? -g : g), s3, sizeof(s3)),
                        unit_format_size(an_report_period(diff), s2, sizeof(s2)));
                write_sites(f, diff);
                /* what to do when the top frames have no names */
                char *again = NULL;
                if (asprintf(&again, "oomwatch diff %s", b->dir) >= 0)
                        (void)syms_write_hints(f, diff, again);
                free(again);
        } else {
                if (!why && b->runtime && !b->profiling)
                        fprintf(f, "\nno heap analysis: profiling was off (see above)\n");
                else
                        fprintf(f, "\nno heap analysis: %s\n",
                                why ? why : b->no_profile_why ? b->no_profile_why : "no dumps");
        }
        for (size_t i = 0; i < b->n_dumps; i++)
                if (b->dumps[i].error)
                        fprintf(f, "skipped:      %s\n", b->dumps[i].error);
        write_coverage(b, f);
}

static void write_json_dumps(const struct bundle *b, struct json_writer *w)
{
        json_key(w, "dumps");
        json_begin_array(w);
        for (size_t i = 0; i < b->n_dumps; i++) {
                const struct bundle_dump *d = &b->dumps[i];
                char kind[2] = { d->kind ? d->kind : '?', '\0' };
                json_begin_object(w);
                json_kv_string(w, "file", d->file);
                json_kv_int(w, "pid", d->pid);
                json_kv_uint(w, "seq", d->seq);
                json_kv_string(w, "kind", kind);
                json_kv_uint(w, "bytes", d->bytes);
                json_kv_bool(w, "baseline", d->baseline);
                if (d->error)
                        json_kv_string(w, "error", d->error);
                json_end_object(w);
        }
        json_end_array(w);
}

static void str_or_null(struct json_writer *w, const char *key, const char *s)
{
        if (s && *s)
                json_kv_string(w, key, s);
        else
                json_kv_null(w, key);
}

/* verdict unobserved-kill: what the run record and that run's cgroup say */
static void write_json_unobserved(const struct bundle *b, struct json_writer *w)
{
        json_key(w, "unobserved");
        json_begin_object(w);
        json_kv_string(w, "cause", b->unobserved_cause);
        json_kv_int(w, "supervisor_pid", b->supervisor_pid);
        json_key(w, "counters");
        if (b->counters_seen) {
                json_begin_object(w);
                json_kv_uint(w, "oom_kill", b->oom_kill_rise);
                json_kv_uint(w, "oom_group_kill", b->oom_group_kill_rise);
                json_end_object(w);
        } else {
                json_null(w);
        }
        if (b->mem_valid && b->memory_limit)
                json_kv_double(w, "last_usage_percent", 100.0 * (double)b->mem_usage / (double)b->memory_limit, 1);
        else
                json_kv_null(w, "last_usage_percent");
        json_end_object(w);
}

/* incident.json's members up to "dumps"; the object is left open */
static void write_json_head(const struct bundle *b, struct json_writer *w)
{
        json_begin_object(w);
        json_kv_int(w, "schema", 1);
        json_kv_string(w, "verdict", b->verdict);
        {
                char t[40];
                str_or_null(w, "time", b->when.tv_sec ? unit_format_utc(&b->when, t, sizeof(t)) : NULL);
        }
        str_or_null(w, "host", b->host);
        str_or_null(w, "container", b->container);
        json_key(w, "target");
        json_begin_object(w);
        json_key(w, "argv");
        json_begin_array(w);
        for (char *const *a = b->argv; a && *a; a++)
                json_string(w, *a);
        json_end_array(w);
        json_kv_int(w, "pid", b->pid);
        json_key(w, "exit_code");
        if (b->exit_code >= 0)
                json_int(w, b->exit_code);
        else
                json_null(w);
        json_key(w, "signal");
        if (b->signal)
                json_int(w, b->signal);
        else
                json_null(w);
        str_or_null(w, "exe", b->exe);
        str_or_null(w, "build_id", b->build_id);
        json_end_object(w);
        if (b->has_victim) {
                static const char *const rel[] = { "target", "child", "descendant" };
                json_key(w, "victim");
                json_begin_object(w);
                json_kv_int(w, "pid", b->victim_pid);
                json_kv_string(w, "command", b->victim_command ? b->victim_command : "");
                str_or_null(w, "exe", b->victim_exe);
                json_key(w, "anon_rss");
                if (b->victim_anon)
                        json_uint(w, b->victim_anon);
                else
                        json_null(w);
                json_kv_string(w, "source", b->victim_source);
                json_kv_string(w, "relation", rel[b->victim_relation]);
                json_end_object(w);
        }
        if (b->unbundled_kills)
                json_kv_uint(w, "unbundled_kills", b->unbundled_kills);
        if (b->runtime) {
                /* what ran and what that meant for the heap profile */
                json_key(w, "runtime");
                json_begin_object(w);
                json_kv_string(w, "kind", b->runtime);
                str_or_null(w, "program", b->program);
                str_or_null(w, "via", b->via);
                json_kv_bool(w, "profiling", b->profiling);
                str_or_null(w, "why", b->profiling ? NULL : without_prefix(b->no_profile_why));
                str_or_null(w, "note", b->runtime_note);
                json_end_object(w);
        }
        json_key(w, "cgroup");
        json_begin_object(w);
        json_kv_int(w, "version", b->cg_version);
        json_kv_uint(w, "memory_limit", b->memory_limit);
        json_key(w, "peak");
        if (b->peak)
                json_uint(w, b->peak);
        else
                json_null(w);
        json_kv_uint(w, "oom_kills", b->oom_kills);
        str_or_null(w, "mode", b->cg_mode);
        str_or_null(w, "path", b->container);
        if (b->cg_id)
                json_kv_uint(w, "id", b->cg_id);
        str_or_null(w, "limit_from", b->limit_from);
        if (b->mem_valid) {
                json_key(w, "last_sample");
                json_begin_object(w);
                json_kv_uint(w, "usage", b->mem_usage);
                json_kv_uint(w, "anon", b->mem_anon);
                json_kv_uint(w, "file", b->mem_file);
                json_end_object(w);
        }
        json_end_object(w);
        if (b->unobserved)
                write_json_unobserved(b, w);
        {
                struct an_estimate est;
                double cov = coverage(b, &est);
                if (cov >= 0) {
                        json_kv_double(w, "coverage", cov, 3);
                        json_kv_string(w, "coverage_of", b->proc_mem ? "process" : "peak");
                        json_kv_int(w, "heap_bytes", est.bytes);
                        json_kv_double(w, "heap_stderr_bytes", est.stderr_bytes, 0);
                } else {
                        json_kv_null(w, "coverage");
                }
        }
        write_json_dumps(b, w);
}

/* incident.json's last members, the end of the object, and the file */
static int finish_json(struct json_writer *w, FILE *f, const struct bundle *b, const char *why)
{
        if (why)
                json_kv_string(w, "analysis_error", why);
        json_kv_int(w, "analysis_ms", ms_since(&b->died));
        {
                /* what the analysis added to the cgroup it ran in, at most
                 * (its peak RSS; it runs after the target's memory is freed) */
                struct rusage ru;
                if (getrusage(RUSAGE_SELF, &ru) == 0)
                        json_kv_int(w, "analysis_peak_rss", (int64_t)ru.ru_maxrss << 10);
        }
        json_end_object(w);
        {
                int r = json_finish(w), r2;
                (void)fputc('\n', f);
                r2 = finish(f, b, "incident.json");
                return r2 < 0 ? r2 : r;
        }
}

static int write_text_file(const struct bundle *b, const char *name, const struct an_report *r, enum an_format fmt)
{
        FILE *f = open_in(b, name);

        if (!f)
                return errno == ENOENT ? 0 : -errno;
        (void)an_render(r, fmt, f);
        return finish(f, b, name);
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
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* it goes with the analysis */
                dup2(fd, 1);
                execvp("jeprof", have_base ? with_base : without);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* trend over the dumps of the diff's process (three or more) */
static void run_trend(struct bundle *b, struct an_session *syms, struct an_report **ret, char **ret_err)
{
        if (b->new_index < 0)
                return;
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
                (void)an_session_trend(syms, paths, n, ret, ret_err);
        for (size_t i = 0; i < n; i++)
                free((char *)paths[i]);
        free(paths);
}

int bundle_write(struct bundle *b)
{
        struct an_options o = { .top = b->cfg->top, .hide = (const char *const *)b->cfg->hide };
        struct an_session *syms = NULL, *syms2 = NULL;
        char *cache = NULL;
        struct an_report *diff = NULL, *trend = NULL;
        char *diff_err = NULL, *trend_err = NULL;
        char base[4096], newer[4096];
        struct json_writer w;
        FILE *f;
        int r;

        /* the working directory is the bundle's (the supervisor's doing) */
        /* diff and trend share the symbols: each module is opened and each
         * distinct address resolved once for both */
        if ((r = syms_cache_dir(b->cfg->symbol_cache, &cache)) < 0)
                return r;
        o.symbol_cache = cache;
        /* this is the analysis child: its environment is libdebuginfod's */
        if ((r = syms_debuginfod_setup(&o, b->cfg->debuginfod_urls, (unsigned)b->cfg->debuginfod_timeout_ms,
                                       cache)) < 0) {
                free(cache);
                return r;
        }
        bool servers = o.debuginfod;
        o.debuginfod = false;     /* first without: see below */
        if ((r = an_session_new(&o, &syms)) < 0) {
                free(cache);
                return r;
        }

        /* the newest dump that parses: a dump cut short by the kill is skipped */
        while (b->new_index >= 0) {
                path_of(b, b->new_index, newer, sizeof(newer));
                if (b->base_index >= 0 && b->base_index != b->new_index)
                        path_of(b, b->base_index, base, sizeof(base));
                free(diff_err);
                diff_err = NULL;
                r = an_session_diff(syms, b->base_index >= 0 && b->base_index != b->new_index ? base : NULL,
                                    newer, &diff, &diff_err);
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

        run_trend(b, syms, &trend, &trend_err);

        /* Top frames without names and debuginfod servers configured: the
         * same analysis again, asking the servers for those modules only
         * (within debuginfod_timeout). Without servers, or when every top
         * frame has a name, nothing is asked and nothing waits. */
        char **ids = diff && servers ? syms_unnamed_build_ids(diff) : NULL;
        if (ids) {
                struct an_options o2 = o;
                struct an_report *d2 = NULL, *t2 = NULL;
                char *e2 = NULL;
                o2.debuginfod = true;
                o2.debuginfod_build_ids = (const char *const *)ids;
                if (an_session_new(&o2, &syms2) == 0 &&
                    an_session_diff(syms2, b->base_index >= 0 && b->base_index != b->new_index ? base : NULL, newer,
                                    &d2, &e2) == 0) {
                        an_report_free(diff);
                        diff = d2;
                        if (trend) {
                                run_trend(b, syms2, &t2, &e2);
                                if (t2) {
                                        an_report_free(trend);
                                        trend = t2;
                                }
                        }
                }
                free(e2);
        }

        /* report.txt */
        f = open_in(b, "report.txt");
        if (!f) {
                r = -errno;
                goto out;
        }
        write_summary_head(b, f, diff, diff_err);
        if (diff) {
                fputs("\n", f);
                if (b->cfg->engine == CFG_ENGINE_JEPROF && b->exe) {
                        fputs("jeprof --text --base:\n", f);
                        if (run_jeprof(b, f) < 0)
                                fputs("(jeprof failed; the native analysis follows)\n", f);
                }
                fputs("all growth in MiB (flat, flat%, sum%, cum, cum%; estimates):\n", f);
                (void)an_render(diff, AN_FORMAT_TEXT, f);
        }
        if (trend && an_report_suspect_count(trend)) {
                fputs("\nsteady growth across the dumps (trend):\n", f);
                for (size_t i = 0; i < an_report_suspect_count(trend); i++) {
                        const char *fn;
                        double score;
                        int64_t g;
                        char s1[48], name[96];
                        if (an_report_suspect(trend, i, &fn, &score, &g) == 0)
                                fprintf(f, "  %-40s score %.2f  +%s\n", an_name_fit(fn, 60, name, sizeof(name)),
                                        score, approx_size((uint64_t)(g > 0 ? g : 0), s1, sizeof(s1)));
                }
        }
        r = finish(f, b, "report.txt");
        if (r < 0)
                goto out;

        if (diff && (b->cfg->formats & CFG_FMT_COLLAPSED))
                (void)write_text_file(b, "growth.collapsed", diff, AN_FORMAT_COLLAPSED);
        if (diff && (b->cfg->formats & CFG_FMT_SVG))
                (void)write_text_file(b, "growth.svg", diff, AN_FORMAT_SVG);
        if (diff && (b->cfg->formats & CFG_FMT_DOT))
                (void)write_text_file(b, "growth.dot", diff, AN_FORMAT_DOT);
        if (diff && (b->cfg->formats & CFG_FMT_PPROF))
                (void)write_text_file(b, "profile.pb.gz", diff, AN_FORMAT_PPROF);
        if (b->cfg->formats & CFG_FMT_HTML) {
                f = open_in(b, "incident.html");
                if (f) {
                        (void)bundle_page(b, diff, trend, f);
                        (void)finish(f, b, "incident.html");
                }
        }

        /* incident.json, last */
        f = open_in(b, "incident.json");
        if (!f) {
                r = -errno;
                goto out;
        }
        json_init(&w, f, JSON_PRETTY);
        write_json_head(b, &w);
        json_key(&w, "diff");
        if (diff)
                (void)an_render_json(diff, &w);
        else
                json_null(&w);
        json_key(&w, "trend");
        if (trend)
                (void)an_render_json(trend, &w);
        else
                json_null(&w);
        /* the modules' build-ids: what re-symbolizing the bundle later needs */
        if (diff)
                syms_write_json_modules(&w, diff);
        r = finish_json(&w, f, b,
                        diff ? NULL : diff_err ? diff_err : b->no_profile_why ? b->no_profile_why
                                                                                  : "no heap dump was available");
        /* the bundle is complete: keep what helps the next analysis */
        if (r >= 0) {
                (void)an_session_save(syms);
                if (syms2)
                        (void)an_session_save(syms2);
        }
out:
        free(diff_err);
        free(trend_err);
        an_report_free(diff);
        an_report_free(trend);
        an_session_free(syms);
        an_session_free(syms2);
        syms_free_ids(ids);
        free(cache);
        return r;
}

int bundle_write_fallback(struct bundle *b, const char *why)
{
        struct json_writer w;
        FILE *f;
        int r;

        f = open_in(b, "report.txt");
        if (!f)
                return -errno;
        write_summary_head(b, f, NULL, why);
        r = finish(f, b, "report.txt");
        f = open_in(b, "incident.json");
        if (!f)
                return -errno;
        json_init(&w, f, JSON_PRETTY);
        write_json_head(b, &w);
        json_kv_null(&w, "diff");
        json_kv_null(&w, "trend");
        {
                int r2 = finish_json(&w, f, b, why);
                return r < 0 ? r : r2;
        }
}
