/* handlers.c — what the demo service does with memory.
 *
 * Heap profiles must name process_normal, process_leak, process_dump,
 * process_oom_burst and cache_insert. Each is therefore PROFILED_FRAME
 * (never inlined, cloned or merged), calls malloc itself rather than through
 * a helper, and does work after the call (touching and linking the memory), so
 * malloc is never a tail call: the handler's frame is on the stack whenever it
 * allocates. -fno-omit-frame-pointer comes from the Makefile.
 *
 * Memory that is "in use" stays reachable: leaked chunks and the cache live on
 * lists headed by globals, the way a real leak keeps growing a container.
 * Chunks are filled with a non-zero byte so every page is resident (and so the
 * compiler cannot turn malloc+memset into a lazily-zeroed calloc).
 */
#include "handlers.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jemalloc/jemalloc.h>

#define PROFILED_FRAME __attribute__((noinline, noipa))

#define MIB (1024ULL * 1024ULL)
#define CHUNK_BYTES MIB
#define OOM_BURST_CAP_MB (64ULL * 1024ULL)      /* 64 GiB */
#define DUMP_DIR_SCAN_MAX 100000                /* directory entries looked at */

struct chunk {
        struct chunk *next;
};

struct cache_entry {
        struct cache_entry *next;
        size_t bytes;
};

static struct chunk *leaked;            /* never freed: the leak */
static unsigned long long leaked_mb;
static struct chunk *burst;             /* process_oom_burst's allocations */

static struct cache_entry *cache_head, *cache_tail;     /* oldest first */
static unsigned long long cache_bytes;
static unsigned long long cache_cap_bytes = 32 * MIB;

static unsigned long long requests_served;
static bool prof_on;

/* The exact name jemalloc gives a manual dump reaches us through its dump
 * hook, called on the dumping thread: only our own prof.dump calls, made with
 * dump_name_capture set, are recorded. */
typedef void (*prof_dump_hook_fn)(const char *filename);
static prof_dump_hook_fn prev_dump_hook;
static __thread char *dump_name_capture;        /* PATH_MAX + 1 bytes */

void reply_set(struct reply *r, unsigned status, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(r->body, sizeof(r->body), fmt, ap);
        va_end(ap);
        if (n < 0) {
                r->body[0] = '\0';
                n = 0;
        }
        r->status = status;
        r->len = (size_t)n < sizeof(r->body) ? (size_t)n : sizeof(r->body) - 1;
}

/* Runs inside jemalloc with its dump lock held: no allocation, no locks. */
static void on_prof_dump(const char *filename)
{
        if (prev_dump_hook)
                prev_dump_hook(filename);
        if (dump_name_capture) {
                size_t n = strnlen(filename, PATH_MAX);

                memcpy(dump_name_capture, filename, n);
                dump_name_capture[n] = '\0';
        }
}

int handlers_init(void)
{
        prof_dump_hook_fn hook = on_prof_dump;
        size_t sz = sizeof(prof_on);

        if (mallctl("opt.prof", &prof_on, &sz, NULL, 0) != 0)
                prof_on = false;        /* jemalloc built without profiling */
        if (!prof_on)
                return 0;
        /* Absent from older jemalloc; process_dump then scans the directory. */
        sz = sizeof(prev_dump_hook);
        if (mallctl("experimental.hooks.prof_dump", &prev_dump_hook, &sz, &hook, sizeof(hook)) != 0)
                prev_dump_hook = NULL;
        return 1;
}

void handlers_cleanup(void)
{
        while (cache_head) {
                struct cache_entry *e = cache_head;

                cache_head = e->next;
                free(e);
        }
        cache_tail = NULL;
        cache_bytes = 0;
}

void cache_set_cap_mb(unsigned long long cap_mb)
{
        cache_cap_bytes = cap_mb * MIB;
}

PROFILED_FRAME void process_normal(struct reply *r)
{
        size_t size = 4096 + (requests_served % 8) * 512;
        char *page = malloc(size);

        if (!page) {
                reply_set(r, 500, "out of memory\n");
                return;
        }
        requests_served++;
        snprintf(page, size,
                 "leaky-server ok\n"
                 "requests: %llu\n"
                 "leaked: %llu MiB\n"
                 "cache: %llu of %llu MiB\n",
                 requests_served, leaked_mb, cache_bytes / MIB, cache_cap_bytes / MIB);
        reply_set(r, 200, "%s", page);
        free(page);
}

PROFILED_FRAME void process_leak(struct reply *r, unsigned long long mb)
{
        unsigned long long done;

        for (done = 0; done < mb; done++) {
                struct chunk *c = malloc(CHUNK_BYTES);

                if (!c)
                        break;
                memset(c, 0xa5, CHUNK_BYTES);
                c->next = leaked;
                leaked = c;
        }
        leaked_mb += done;
        if (done < mb)
                reply_set(r, 500, "out of memory after leaking %llu of %llu MiB (total %llu MiB)\n",
                          done, mb, leaked_mb);
        else
                reply_set(r, 200, "leaked %llu MiB (total %llu MiB)\n", mb, leaked_mb);
}

/* Parses "<base>.<pid>.<seq>.m<mseq>.heap"; returns seq, or -1 when name is
 * not a manual dump of process pid. */
static long long manual_dump_seq(const char *name, const char *base, pid_t pid)
{
        size_t blen = strlen(base);
        unsigned long long v, seq;
        char *end;

        if (strncmp(name, base, blen) != 0 || name[blen] != '.')
                return -1;
        name += blen + 1;
        errno = 0;
        v = strtoull(name, &end, 10);
        if (errno || end == name || *end != '.' || v != (unsigned long long)pid)
                return -1;
        name = end + 1;
        seq = strtoull(name, &end, 10);
        if (errno || end == name || end[0] != '.' || end[1] != 'm' || seq > LLONG_MAX)
                return -1;
        name = end + 2;
        strtoull(name, &end, 10);
        if (errno || end == name || strcmp(end, ".heap") != 0)
                return -1;
        return (long long)seq;
}

/* Fallback without the dump hook: the newest manual dump of this process in
 * the prefix's directory, newest by jemalloc's per-process sequence number
 * (never by mtime). Writes the path into out (PATH_MAX + 1 bytes).
 * Returns 0, or -ENOENT / -ENAMETOOLONG / -errno of opendir. */
static int find_newest_manual_dump(char *out)
{
        const char *prefix = NULL;
        size_t sz = sizeof(prefix);
        char dir[PATH_MAX + 1];
        const char *base, *slash;
        long long best = -1;
        struct dirent *de;
        unsigned n = 0;
        DIR *d;

        if (mallctl("opt.prof_prefix", &prefix, &sz, NULL, 0) != 0 || !prefix)
                return -ENOENT;
        slash = strrchr(prefix, '/');
        if (slash) {
                size_t dlen = slash == prefix ? 1 : (size_t)(slash - prefix);

                if (dlen > PATH_MAX)
                        return -ENAMETOOLONG;
                memcpy(dir, prefix, dlen);
                dir[dlen] = '\0';
                base = slash + 1;
        } else {
                strcpy(dir, ".");
                base = prefix;
        }
        d = opendir(dir);
        if (!d)
                return -errno;
        while ((de = readdir(d)) && n++ < DUMP_DIR_SCAN_MAX) {
                long long seq = manual_dump_seq(de->d_name, base, getpid());

                if (seq > best) {
                        int w = slash ? snprintf(out, PATH_MAX + 1, "%s/%s", dir, de->d_name)
                                      : snprintf(out, PATH_MAX + 1, "%s", de->d_name);

                        if (w > 0 && w <= PATH_MAX)
                                best = seq;
                }
        }
        closedir(d);
        return best < 0 ? -ENOENT : 0;
}

PROFILED_FRAME void process_dump(struct reply *r)
{
        char name[PATH_MAX + 1] = "";
        char *cwd = NULL;
        int e;

        if (!prof_on) {
                reply_set(r, 503, "heap profiling is off: start with MALLOC_CONF=prof:true "
                          "(and a jemalloc built with --enable-prof)\n");
                return;
        }
        dump_name_capture = name;
        e = mallctl("prof.dump", NULL, NULL, NULL, 0);
        dump_name_capture = NULL;
        if (e != 0) {
                reply_set(r, 503, "prof.dump failed: %s (is prof_prefix empty or its directory "
                          "not writable?)\n", strerror(e));
                return;
        }
        if (!name[0] && (e = find_newest_manual_dump(name)) < 0) {
                reply_set(r, 500, "dump written but its file was not found: %s\n", strerror(-e));
                return;
        }
        if (name[0] != '/')
                cwd = getcwd(NULL, 0);
        if (cwd)
                reply_set(r, 200, "%s/%s\n", cwd, name);
        else
                reply_set(r, 200, "%s\n", name);
        free(cwd);
}

PROFILED_FRAME void process_oom_burst(struct reply *r)
{
        unsigned long long mb;

        /* process_leak's loop, repeated on purpose: a shared helper would
         * be the frame the profile names. */
        for (mb = 0; mb < OOM_BURST_CAP_MB; mb++) {
                struct chunk *c = malloc(CHUNK_BYTES);

                if (!c)
                        break;
                memset(c, 0x5a, CHUNK_BYTES);
                c->next = burst;
                burst = c;
        }
        while (burst) {
                struct chunk *c = burst;

                burst = c->next;
                free(c);
        }
        reply_set(r, 500, "still alive after allocating %llu MiB: no memory limit applies "
                  "(run /oom under a cgroup memory limit)\n", mb);
}

PROFILED_FRAME void cache_insert(struct reply *r, unsigned long long mb)
{
        size_t bytes = mb * MIB;
        struct cache_entry *e;
        unsigned evicted = 0;

        while (cache_head && cache_bytes + bytes > cache_cap_bytes) {
                e = cache_head;
                cache_head = e->next;
                if (!cache_head)
                        cache_tail = NULL;
                cache_bytes -= e->bytes;
                free(e);
                evicted++;
        }
        e = malloc(bytes);
        if (!e) {
                reply_set(r, 500, "out of memory\n");
                return;
        }
        memset(e, 0x3c, bytes);
        e->next = NULL;
        e->bytes = bytes;
        if (cache_tail)
                cache_tail->next = e;
        else
                cache_head = e;
        cache_tail = e;
        cache_bytes += bytes;
        reply_set(r, 200, "cached %llu MiB, evicted %u entries (cache %llu of %llu MiB)\n",
                  mb, evicted, cache_bytes / MIB, cache_cap_bytes / MIB);
}
