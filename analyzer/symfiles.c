/* Separate debug files: libdwfl's search, the decompressed cache; see
 * symfiles.h. */
#include "symfiles.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "an_util.h"

#define DEBUG_ROOT "/usr/lib/debug"

void sf_module_free(struct sf_module *m)
{
        free(m->source);
        m->source = NULL;
}

static int build_id_hex(Dwfl_Module *mod, char *buf, size_t len)
{
        const unsigned char *bits;
        GElf_Addr vaddr;
        int n = dwfl_module_build_id(mod, &bits, &vaddr);
        if (n < 3 || n > 64 || (size_t)n * 2 + 1 > len)
                return -ENOENT;
        for (int i = 0; i < n; i++)
                snprintf(buf + 2 * i, 3, "%02x", bits[i]);
        return n;
}

/* ---- debuginfod ------------------------------------------------------------ */

/* libdebuginfod's API (elfutils/debuginfod.h), looked up with dlsym */
typedef void *(*di_begin_fn)(void);
typedef int (*di_find_fn)(void *client, const unsigned char *build_id, int len, char **path);
typedef int (*di_progressfn)(void *client, long a, long b);
typedef void (*di_set_progress_fn)(void *client, di_progressfn fn);
typedef void (*di_set_user_fn)(void *client, void *data);
typedef void *(*di_get_user_fn)(void *client);
typedef void (*di_end_fn)(void *client);

static int64_t now_ms(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static bool past_deadline(const struct sf_ctx *c)
{
        return c->deadline_ms > 0 && now_ms() >= c->deadline_ms;
}

#define DI_SONAME "libdebuginfod.so.1"

/* libdebuginfod calls it while it connects and downloads: non-zero gives
 * up. The context is the client's user data; the library is already
 * loaded (RTLD_NOLOAD finds it without any state of our own). */
static int di_progress(void *client, long a, long b)
{
        (void)a;
        (void)b;
        void *h = dlopen(DI_SONAME, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
        di_get_user_fn get = h ? (di_get_user_fn)dlsym(h, "debuginfod_get_user_data") : NULL;
        struct sf_ctx *c = get ? get(client) : NULL;
        if (h)
                dlclose(h);
        return c && past_deadline(c) ? 1 : 0;
}

/* the client, loading libdebuginfod on first use; NULL when unusable */
static void *di_client(struct sf_ctx *c)
{
        if (c->lib_tried)
                return c->client;
        c->lib_tried = true;
        static const char *const names[] = { "debuginfod_begin", "debuginfod_find_debuginfo",
                                             "debuginfod_set_progressfn", "debuginfod_set_user_data",
                                             "debuginfod_end" };
        c->lib = dlopen(DI_SONAME, RTLD_LAZY | RTLD_LOCAL);
        if (!c->lib)
                return NULL;
        for (size_t i = 0; i < 5; i++)
                if (!(c->fn[i] = dlsym(c->lib, names[i])))
                        return NULL;
        c->client = ((di_begin_fn)c->fn[0])();
        if (c->client) {
                ((di_set_user_fn)c->fn[3])(c->client, c);
                ((di_set_progress_fn)c->fn[2])(c->client, di_progress);
        }
        return c->client;
}

/* Ask the servers for mod's debug file. Returns a close-on-exec fd of a
 * regular file in libdebuginfod's cache (and its path), or -1. */
static int di_find(struct sf_module *m, Dwfl_Module *mod, char **ret_path)
{
        struct sf_ctx *c = m->ctx;
        const unsigned char *bits;
        GElf_Addr vaddr;
        int n = dwfl_module_build_id(mod, &bits, &vaddr);
        if (!c || !c->debuginfod || n <= 0)
                return -1;
        if (c->only) {
                char hex[2 * 64 + 1];
                bool wanted = false;
                if (build_id_hex(mod, hex, sizeof(hex)) < 0)
                        return -1;
                for (const char *const *p = c->only; *p && !wanted; p++)
                        wanted = strcmp(*p, hex) == 0;
                if (!wanted)
                        return -1;
        }
        if (c->expired || past_deadline(c)) {
                c->expired = true;
                m->debuginfod = SF_DI_TIMED_OUT;
                return -1;
        }
        void *client = di_client(c);
        if (!client) {
                m->debuginfod = SF_DI_FAILED;
                return -1;
        }
        char *path = NULL;
        int fd = ((di_find_fn)c->fn[1])(client, bits, n, &path);
        struct stat st;
        if (fd >= 0 && (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
                close(fd);
                fd = -EIO;
        }
        if (fd < 0) {
                free(path);
                if (past_deadline(c)) {
                        c->expired = true;
                        m->debuginfod = SF_DI_TIMED_OUT;
                } else
                        m->debuginfod = fd == -ENOENT ? SF_DI_NOT_FOUND : SF_DI_FAILED;
                return -1;
        }
        m->debuginfod = SF_DI_FOUND;
        *ret_path = path;
        return fd;
}

void sf_ctx_free(struct sf_ctx *c)
{
        if (c->client && c->fn[4])
                ((di_end_fn)c->fn[4])(c->client);
        c->client = NULL;
        /* libdebuginfod stays loaded: it initialises libcurl (and its TLS
         * libraries) for the process, which do not unload cleanly; a later
         * dlopen only counts a reference */
        c->lib = NULL;
}

/* Does dir/sub/name exist and is it not the module itself (libdwfl's
 * try_open skips the main file by another name)? */
static bool exists(const struct stat *main_st, const char *dir, const char *sub, const char *name)
{
        char *p = NULL;
        int n = dir && sub ? asprintf(&p, "%s/%s/%s", dir, sub, name)
                : dir      ? asprintf(&p, "%s/%s", dir, name)
                : sub      ? asprintf(&p, "%s/%s", sub, name)
                           : asprintf(&p, "%s", name);
        if (n < 0)
                return true;   /* cannot tell: let libdwfl look */
        struct stat st;
        bool yes = stat(p, &st) == 0 && !(main_st && st.st_dev == main_st->st_dev && st.st_ino == main_st->st_ino);
        free(p);
        return yes;
}

/* Could libdwfl's search by debuglink find link for a module in dir? The
 * places find_debuginfo_in_path tries with the default path
 * ":.debug:/usr/lib/debug" (a superset is harmless: it only lets libdwfl
 * look). base: also try the module's own name (libdwfl does when it
 * invented the link name), but not in dir itself. */
static bool link_candidate(const struct stat *main_st, const char *dir, const char *link, const char *base)
{
        for (int k = 0; k < (base ? 2 : 1); k++) {
                const char *name = k ? base : link;
                if ((!k && exists(main_st, dir, NULL, name)) || exists(main_st, dir, ".debug", name) ||
                    exists(main_st, DEBUG_ROOT, NULL, name))
                        return true;
                /* /usr/lib/debug/<dir>, then with its leading components cut off */
                for (const char *sub = dir; sub && *sub;) {
                        while (*sub == '/')
                                sub++;
                        if (*sub && exists(main_st, DEBUG_ROOT, sub, name))
                                return true;
                        sub = strchr(sub, '/');
                }
        }
        return false;
}

static bool dir_candidates(const struct stat *main_st, const char *file, const char *link, bool invented)
{
        const char *slash = strrchr(file, '/');
        char *dir = slash ? strndup(file, (size_t)(slash - file)) : NULL;
        const char *base = slash ? slash + 1 : file;
        if (slash && !dir)
                return true;
        bool yes = link_candidate(main_st, dir ? (dir[0] ? dir : "/") : NULL, link, invented ? base : NULL);
        free(dir);
        return yes;
}

/* Does any file exist that libdwfl's local search could return? */
static bool local_candidate(Dwfl_Module *mod, const char *file_name, const char *debuglink)
{
        const unsigned char *bits;
        GElf_Addr vaddr;
        int n = dwfl_module_build_id(mod, &bits, &vaddr);
        if (n >= 3 && n <= 64) {
                char name[sizeof DEBUG_ROOT "/.build-id/xx/" + 2 * 64 + sizeof ".debug"];
                int k = snprintf(name, sizeof(name), DEBUG_ROOT "/.build-id/%02x/", bits[0]);
                for (int i = 1; i < n; i++)
                        k += snprintf(name + k, sizeof(name) - (size_t)k, "%02x", bits[i]);
                snprintf(name + k, sizeof(name) - (size_t)k, ".debug");
                if (exists(NULL, NULL, NULL, name))
                        return true;
        }
        if (!file_name)
                return false;
        /* an alternate (dwz) file, or a link with a directory in it: the
         * rules differ, let libdwfl look */
        if (debuglink && strchr(debuglink, '/'))
                return true;
        struct stat main_st, *ms = stat(file_name, &main_st) == 0 ? &main_st : NULL;
        char *invented = NULL;
        const char *link = debuglink;
        if (!link) {
                const char *b = strrchr(file_name, '/');
                if (asprintf(&invented, "%s.debug", b ? b + 1 : file_name) < 0)
                        return true;
                link = invented;
        }
        bool yes = dir_candidates(ms, file_name, link, !debuglink);
        if (!yes && strchr(file_name, '/')) {
                char *canon = realpath(file_name, NULL);
                if (canon && strcmp(canon, file_name) != 0)
                        yes = dir_candidates(ms, canon, link, !debuglink);
                free(canon);
        }
        free(invented);
        return yes;
}

/* ---- the cache ------------------------------------------------------------- */


/* what the file at fd is made of: compressed DWARF, an alternate link */
static void examine(int fd, bool *ret_compressed, bool *ret_altlink)
{
        *ret_compressed = *ret_altlink = false;
        Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        size_t shstrndx;
        if (!e || elf_getshdrstrndx(e, &shstrndx) < 0) {
                elf_end(e);
                return;
        }
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(e, scn)) != NULL) {
                GElf_Shdr mem, *sh = gelf_getshdr(scn, &mem);
                const char *name = sh ? elf_strptr(e, shstrndx, sh->sh_name) : NULL;
                if (!name)
                        continue;
                if (strcmp(name, ".gnu_debugaltlink") == 0)
                        *ret_altlink = true;
                if ((strncmp(name, ".debug_", 7) == 0 && (sh->sh_flags & SHF_COMPRESSED)) ||
                    strncmp(name, ".zdebug_", 8) == 0)
                        *ret_compressed = true;
        }
        elf_end(e);
}

static char *cache_path(const struct sf_ctx *cfg, const char *hex)
{
        char *p = NULL;
        if (asprintf(&p, "%s/debug/%s.debug", cfg->cache_dir, hex) < 0)
                return NULL;
        return p;
}

static bool same_build_id(int fd, Dwfl_Module *mod)
{
        const unsigned char *bits;
        GElf_Addr vaddr;
        int n = dwfl_module_build_id(mod, &bits, &vaddr);
        Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        const void *id = NULL;
        ssize_t m = e ? dwelf_elf_gnu_build_id(e, &id) : -1;
        bool same = n > 0 && m == n && memcmp(id, bits, (size_t)n) == 0;
        elf_end(e);
        return same;
}

static bool newer_or_same(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/* The cached copy for mod, or -1. */
static int cache_open(const struct sf_module *m, Dwfl_Module *mod, const char *hex, char **ret_path)
{
        char *p = cache_path(m->ctx, hex);
        if (!p)
                return -1;
        int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
            (st.st_mode & 022) || !newer_or_same(&st.st_mtim, &m->source_mtime) || !same_build_id(fd, mod)) {
                if (fd >= 0)
                        close(fd);
                free(p);
                return -1;
        }
        (void)futimens(fd, NULL);   /* its last use, for the size cap */
        *ret_path = p;
        return fd;
}

/* the path libdwfl's search by build-id tries first, or NULL */
static char *build_id_path(const char *hex)
{
        char *p = NULL;
        if (asprintf(&p, DEBUG_ROOT "/.build-id/%.2s/%s.debug", hex, hex + 2) < 0)
                return NULL;
        return p;
}

int sf_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                      const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                      char **debuginfo_file_name)
{
        struct sf_module *m = userdata ? *userdata : NULL;
        char hex[2 * 64 + 1];
        char *by_id = NULL;
        struct stat st;
        bool first = m && !m->source;   /* not the alternate file of a debug file */
        if (first && m->ctx && m->ctx->cache_dir && build_id_hex(mod, hex, sizeof(hex)) >= 0 &&
            (by_id = build_id_path(hex)) && stat(by_id, &st) == 0) {
                /* A copy in the cache stands in for the distribution's file
                 * before libdwfl opens that: once it has, it keeps its own
                 * handle on it whatever the callback returns. */
                m->source_mtime = st.st_mtim;
                char *cached = NULL;
                int cfd = cache_open(m, mod, hex, &cached);
                if (cfd >= 0) {
                        m->source = by_id;
                        m->from_cache = true;
                        free(*debuginfo_file_name);
                        *debuginfo_file_name = cached;
                        return cfd;
                }
        }
        int fd = -1;
        bool looked = local_candidate(mod, file_name, debuglink_file);
        if (looked)
                fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                                  debuglink_crc, debuginfo_file_name);
        if (first && m->ctx && m->ctx->debuginfod && looked) {
                /* libdwfl's search ends with its own query of the servers
                 * of $DEBUGINFOD_URLS (a file from there has no name) */
                if (fd >= 0 && !*debuginfo_file_name)
                        m->debuginfod = SF_DI_FOUND;
                else if (fd < 0)
                        m->debuginfod = SF_DI_NOT_FOUND;
        }
        if (fd < 0 && first && !looked && m->debuginfod == SF_DI_NOT_ASKED) {
                /* nothing here: the servers, if any, once per module (never
                 * for an alternate file: they are asked by build-id only) */
                char *path = NULL;
                fd = di_find(m, mod, &path);
                if (fd >= 0) {
                        free(*debuginfo_file_name);
                        *debuginfo_file_name = path;
                        m->source = strdup(path);
                }
                free(by_id);
                return fd;
        }
        if (fd < 0) {
                free(by_id);
                return fd;
        }
        /* elfutils opens debug files without O_CLOEXEC: set it, and use
         * only regular files */
        if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                free(*debuginfo_file_name);
                *debuginfo_file_name = NULL;
                free(by_id);
                return -1;
        }
        if (!first) {
                free(by_id);
                return fd;
        }
        m->source = *debuginfo_file_name ? strdup(*debuginfo_file_name) : NULL;
        m->source_mtime = st.st_mtim;
        /* only the distribution's file by build-id is copied: the next
         * analysis finds the copy by the same path */
        bool altlink;
        if (by_id && m->source && strcmp(by_id, m->source) == 0) {
                examine(fd, &m->compressed, &altlink);
                m->cacheable = m->compressed && !altlink;
        }
        free(by_id);
        return fd;
}

/* Copy the ELF in as it is in memory (sections libdw inflated, inflated)
 * into fd. Returns 0 or -EIO. */
static int write_copy(Elf *in, int fd)
{
        GElf_Ehdr eh;
        size_t shstrndx, nph;
        if (!gelf_getehdr(in, &eh) || elf_getshdrstrndx(in, &shstrndx) < 0 || shstrndx >= SHN_LORESERVE ||
            elf_getphdrnum(in, &nph) < 0)
                return -EIO;
        Elf *out = elf_begin(fd, ELF_C_WRITE, NULL);
        if (!out)
                return -EIO;
        int r = -EIO;
        if (!gelf_newehdr(out, gelf_getclass(in)))
                goto out;
        GElf_Ehdr oh;
        if (!gelf_getehdr(out, &oh))
                goto out;
        memcpy(oh.e_ident, eh.e_ident, EI_NIDENT);
        oh.e_type = eh.e_type;
        oh.e_machine = eh.e_machine;
        oh.e_version = eh.e_version;
        oh.e_entry = eh.e_entry;
        oh.e_flags = eh.e_flags;
        oh.e_shstrndx = (GElf_Half)shstrndx;
        if (!gelf_update_ehdr(out, &oh))
                goto out;
        if (nph) {
                if (!gelf_newphdr(out, nph))
                        goto out;
                for (size_t i = 0; i < nph; i++) {
                        GElf_Phdr ph;
                        if (!gelf_getphdr(in, (int)i, &ph) || !gelf_update_phdr(out, (int)i, &ph))
                                goto out;
                }
        }
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(in, scn)) != NULL) {
                GElf_Shdr sh;
                Elf_Scn *os = elf_newscn(out);
                if (!gelf_getshdr(scn, &sh) || !os)
                        goto out;
                Elf_Data *d = NULL;
                while ((d = elf_getdata(scn, d)) != NULL) {
                        Elf_Data *od = elf_newdata(os);
                        if (!od)
                                goto out;
                        od->d_buf = d->d_buf;
                        od->d_type = d->d_type;
                        od->d_size = d->d_size;
                        od->d_align = d->d_align;
                        od->d_off = d->d_off;
                        od->d_version = d->d_version;
                }
                if (!gelf_update_shdr(os, &sh))
                        goto out;
        }
        if (elf_update(out, ELF_C_WRITE) >= 0)
                r = 0;
out:
        elf_end(out);
        return r;
}

struct cached_file {
        char *name;
        off_t size;
        struct timespec mtime;
};

static int cmp_oldest(const void *a, const void *b)
{
        const struct cached_file *x = a, *y = b;
        if (x->mtime.tv_sec != y->mtime.tv_sec)
                return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : x->mtime.tv_nsec > y->mtime.tv_nsec;
}

/* Remove the least recently used copies until the directory holds at most
 * max bytes. Only regular files named "<hex>.debug" are considered. */
static void cache_trim(int dfd, uint64_t max)
{
        int fd = dup(dfd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct cached_file *files = NULL;
        size_t n = 0, cap = 0;
        uint64_t total = 0;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                size_t len = strlen(e->d_name);
                struct stat st;
                if (len < 7 || strcmp(e->d_name + len - 6, ".debug") != 0 || e->d_name[0] == '.' ||
                    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (au_grow(&files, &cap, n + 1, sizeof(*files)) < 0 || !(files[n].name = strdup(e->d_name)))
                        break;
                files[n].size = st.st_size;
                files[n].mtime = st.st_mtim;
                total += (uint64_t)st.st_size;
                n++;
        }
        closedir(d);
        qsort(files, n, sizeof(*files), cmp_oldest);
        for (size_t i = 0; i < n && total > max; i++)
                if (unlinkat(dfd, files[i].name, 0) == 0)
                        total -= (uint64_t)files[i].size;
        for (size_t i = 0; i < n; i++)
                free(files[i].name);
        free(files);
}

static int open_dir(int at, const char *path, bool create)
{
        if (create && mkdirat(at, path, 0700) < 0 && errno != EEXIST)
                return -errno;
        int fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
                close(fd);
                return -EPERM;
        }
        return fd;
}

int sf_cache_store(struct sf_module *m, Dwfl_Module *mod)
{
        if (!m->cacheable || !m->ctx || !m->ctx->cache_dir)
                return 0;
        m->cacheable = false;
        /* only when libdw read the DWARF already: dwfl_module_getdwarf
         * returns what it has then */
        Dwarf_Addr bias;
        GElf_Addr mbias;
        Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
        Elf *in = dw ? dwarf_getelf(dw) : NULL;
        if (!in || in == dwfl_module_getelf(mod, &mbias))
                return 0;
        char hex[2 * 64 + 1];
        if (build_id_hex(mod, hex, sizeof(hex)) < 0)
                return 0;
        uint64_t max = m->ctx->cache_max ? m->ctx->cache_max : SF_CACHE_MAX;
        int top = open(m->ctx->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (top < 0 && errno == ENOENT) {
                /* the directory and its missing parents, private */
                char *p = strdup(m->ctx->cache_dir);
                if (!p)
                        return -ENOMEM;
                for (char *c = p + 1; *c; c++)
                        if (*c == '/') {
                                *c = '\0';
                                (void)mkdir(p, 0700);
                                *c = '/';
                        }
                int e = mkdir(p, 0700) < 0 && errno != EEXIST ? -errno : 0;
                free(p);
                if (e < 0)
                        return e;
                top = open(m->ctx->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (top < 0)
                return -errno;
        int dfd = open_dir(top, "debug", true);
        close(top);
        if (dfd < 0)
                return dfd;
        char tmp[sizeof ".tmp.XXXXXX" + 2 * 64 + 8], final[2 * 64 + sizeof ".debug"];
        snprintf(final, sizeof(final), "%s.debug", hex);
        snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", hex, (int)getpid());
        int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                int e = -errno;
                close(dfd);
                return e;
        }
        int r = write_copy(in, fd);
        struct stat st;
        if (r == 0 && (fstat(fd, &st) < 0 || (uint64_t)st.st_size > max / 2))
                r = -EFBIG;     /* larger than half the cap: not worth keeping */
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dfd, tmp, dfd, final) < 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(dfd, tmp, 0);
        else
                cache_trim(dfd, max);
        close(dfd);
        return r < 0 ? r : 1;
}
