/* Where a module's separate debug file comes from: libdwfl's find_debuginfo
 * callback for the symbolizer, and the cache of decompressed debug files.
 *
 * - The local search is libdwfl's own (dwfl_standard_find_debuginfo: by
 *   build-id under /usr/lib/debug/.build-id, then by debuglink next to the
 *   module, in its .debug/ and under /usr/lib/debug), so the file found,
 *   and with it every name, is the one libdwfl finds. It runs only when
 *   one of the paths it would try exists: when none does, libdwfl would go
 *   on to load libdebuginfod (and libcurl with it) only to learn that no
 *   server is configured, a few milliseconds per analysis.
 * - Debug files with compressed sections (libc6-dbg's: 3.4 MB of zlib
 *   that inflate to 10 MB and take 60-100 ms) are kept decompressed in
 *   the cache directory, keyed by build-id: "<dir>/debug/<build-id>.debug",
 *   written after an analysis from the sections libdw has inflated already
 *   (sf_cache_store), used by the next analyses instead of the original
 *   (libdw maps it and reads only what it needs). A copy is used only when
 *   it is a regular file owned by this user, not writable by others,
 *   newer than the original and of the same build-id. Files that refer to
 *   an alternate debug file (.gnu_debugaltlink, dwz) are not copied: their
 *   relative reference would not resolve from the cache. The directory is
 *   kept under a size cap, oldest use first.
 *
 * - With sf_ctx.debuginfod, a module without a local debug file is looked
 *   up by build-id on the servers $DEBUGINFOD_URLS names, through
 *   libdebuginfod (loaded with dlopen only then: an analysis without
 *   servers never maps libcurl), which keeps what it downloads in its cache
 *   ($DEBUGINFOD_CACHE_PATH). All queries of one symbolizer share one time
 *   limit (deadline_ms): after it no server is asked, and a transfer under
 *   way is given up at libdebuginfod's next progress report (about once a
 *   second), so an incident bundle is late by at most the limit.
 *
 * No global state; errors in the cache are never errors of the analysis
 * (the original is used). */
#pragma once

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

/* The settings and state shared by the modules of one symbolizer. Set the
 * settings, zero the rest; sf_ctx_free. */
struct sf_ctx {
        const char *cache_dir;   /* NULL: no cache (borrowed) */
        uint64_t cache_max;      /* bytes of the cache's debug/ directory; 0: SF_CACHE_MAX */
        bool debuginfod;         /* ask the servers of $DEBUGINFOD_URLS (libdebuginfod) */
        int64_t deadline_ms;     /* CLOCK_MONOTONIC ms after which no server is asked
                                  * and a transfer is given up; 0: none */
        const char *const *only; /* ask only for these build-ids (hex, NULL-terminated); NULL: all */
        /* state */
        void *lib;               /* dlopen handle of libdebuginfod.so.1 */
        void *client;
        bool lib_tried, expired;
        void *fn[5];             /* begin, find_debuginfo, set_progressfn, set_user_data, end */
};

#define SF_CACHE_MAX (512ULL << 20)

void sf_ctx_free(struct sf_ctx *c);

/* What debuginfod said about a module (sf_module.debuginfod). */
enum sf_debuginfod {
        SF_DI_NOT_ASKED,         /* a local file was found, or no server is configured */
        SF_DI_FOUND,
        SF_DI_NOT_FOUND,         /* no server had it */
        SF_DI_TIMED_OUT,         /* the time limit came first */
        SF_DI_FAILED,            /* libdebuginfod missing, or another error */
};

/* Per module: what the callback found. Zero-initialise; sf_module_free. */
struct sf_module {
        struct sf_ctx *ctx;      /* borrowed */
        char *source;            /* the debug file libdwfl found (not the copy) */
        bool compressed;         /* it has compressed DWARF sections */
        bool from_cache;         /* the decompressed copy is what libdwfl reads */
        bool cacheable;          /* compressed, no alternate file, a build-id: copy it */
        enum sf_debuginfod debuginfod;
        struct timespec source_mtime;
};

void sf_module_free(struct sf_module *m);

/* libdwfl's find_debuginfo callback (Dwfl_Callbacks.find_debuginfo). *userdata
 * must point to the module's struct sf_module (dwfl_module_info). The
 * returned descriptor is close-on-exec and a regular file. */
int sf_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                      const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                      char **debuginfo_file_name);

/* After the analysis: write the decompressed copy of m's debug file into
 * the cache when it is cacheable and libdw has read its DWARF (never
 * reads the DWARF for it). Returns 1 when a copy was written, 0 when there
 * was nothing to do, or -errno (nothing is left behind). */
int sf_cache_store(struct sf_module *m, Dwfl_Module *mod);
