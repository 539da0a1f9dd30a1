/* handlers.h — the demo service's request handlers and the memory they own.
 *
 * Each handler fills a struct reply (status + text body) and never fails in
 * any other way. The names process_normal, process_leak, process_dump,
 * process_oom_burst and cache_insert are part of the demo contract: they are
 * the frames heap profiles must show, so they are never inlined, cloned or
 * tail-called (see handlers.c).
 *
 * Not thread-safe: all handlers run on the HTTP server's single thread;
 * handlers_cleanup runs after that thread is gone.
 */
#pragma once

#include <limits.h>
#include <stddef.h>

#define REPLY_MAX (PATH_MAX + 256)

struct reply {
        unsigned status;        /* HTTP status */
        size_t len;             /* bytes used in body, without the NUL */
        char body[REPLY_MAX];   /* NUL-terminated text, ends with '\n' */
};

/* Formats the body (truncated to REPLY_MAX - 1 bytes) and sets the status. */
void reply_set(struct reply *r, unsigned status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Reads jemalloc's profiling settings and hooks its dump-file notification.
 * Returns 1 when heap profiling is on, 0 when it is off or unavailable. */
int handlers_init(void);

/* Frees the cache (leaked chunks stay leaked, as in the real thing). */
void handlers_cleanup(void);

/* Sets the cache cap in MiB (default 32). */
void cache_set_cap_mb(unsigned long long cap_mb);

/* GET /: builds a small page in a scratch buffer, frees it; 200. */
void process_normal(struct reply *r);

/* GET /leak?mb=N: leaks mb MiB in touched 1 MiB chunks kept on a list; 200,
 * or 500 when malloc fails part-way (what was leaked stays leaked). */
void process_leak(struct reply *r, unsigned long long mb);

/* GET /dump: mallctl("prof.dump"); 200 with the absolute path of the file
 * jemalloc wrote, 503 when profiling is off or the dump failed, 500 when the
 * dump succeeded but its file name cannot be found. */
void process_dump(struct reply *r);

/* GET /oom: allocates touched 1 MiB chunks until the kernel kills the process.
 * Returns only if that does not happen within OOM_BURST_CAP_MB or malloc
 * fails; then it frees everything and answers 500. */
void process_oom_burst(struct reply *r);

/* GET /cache?mb=N: evicts the oldest entries until mb MiB fit under the cap,
 * then adds one touched mb MiB entry; 200. Requires 1 <= mb <= cap. */
void cache_insert(struct reply *r, unsigned long long mb);
