/* Runtime detection and the profiling plan that follows; see runtime.h. */
#include "runtime.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD_MAX 256           /* bytes of a "#!" line the kernel reads (BINPRM_BUF_SIZE) */
#define SCRIPT_MAX 65536       /* bytes of a shim read to recognise it */
#define VERSION_FILE_MAX 4096
#define VERSION_DIR_DEPTH 64   /* parents searched for .python-version and the like */

const char *rt_getenv(char *const *envp, const char *name)
{
        size_t l = strlen(name);

        for (char *const *p = envp; p && *p; p++)
                if (strncmp(*p, name, l) == 0 && (*p)[l] == '=')
                        return *p + l + 1;
        return NULL;
}

const char *rt_kind_name(enum rt_kind k)
{
        static const char *const names[] = { "native", "cpython", "go", "node", "jvm", "static", "script", "unknown" };
        return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

const char *rt_kind_title(enum rt_kind k)
{
        static const char *const titles[] = { "a native program", "CPython", "Go", "Node.js (V8)", "the JVM",
                                              "a static program", "a shell script", "unknown" };
        return (unsigned)k < sizeof(titles) / sizeof(titles[0]) ? titles[k] : "unknown";
}

void rt_info_free(struct rt_info *info)
{
        free(info->command);
        free(info->program);
        free(info->via);
        free(info->interpreter);
        free(info->command_line);
        free(info->env_loss);
        free(info->pythonmalloc);
        memset(info, 0, sizeof(*info));
}

/* Read at most cap bytes of a regular file into a new NUL-terminated
 * buffer. Returns the length or -errno. */
static ssize_t read_capped(const char *path, size_t cap, char **ret)
{
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                int e = errno ? -errno : -EINVAL;
                close(fd);
                return S_ISDIR(st.st_mode) ? -EISDIR : e == 0 ? -EINVAL : e;
        }
        char *buf = malloc(cap + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        size_t n = 0;
        while (n < cap) {
                ssize_t k = read(fd, buf + n, cap - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t)k;
        }
        close(fd);
        buf[n] = '\0';
        *ret = buf;
        return (ssize_t)n;
}

static const char *base_name(const char *p)
{
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

static bool executable_file(const char *p)
{
        struct stat st;
        return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* name searched in path (':'-separated); dirs ending in "/shims" are skipped
 * when skip_shims. *ret malloc'd. Returns 0, -ENOENT or -ENOMEM. */
static int path_search(const char *name, const char *path, bool skip_shims, char **ret)
{
        if (strchr(name, '/')) {
                if (!executable_file(name))
                        return -ENOENT;
                return (*ret = strdup(name)) ? 0 : -ENOMEM;
        }
        if (!path)
                path = "/usr/local/bin:/usr/bin:/bin";
        while (*path) {
                const char *colon = strchr(path, ':');
                size_t len = colon ? (size_t)(colon - path) : strlen(path);
                bool shims = len >= 6 && strncmp(path + len - 6, "/shims", 6) == 0;
                if (!(skip_shims && shims)) {
                        char *cand = NULL;
                        if (asprintf(&cand, "%.*s%s%s", (int)len, path, len ? "/" : "", name) < 0)
                                return -ENOMEM;
                        if (executable_file(cand)) {
                                *ret = cand;
                                return 0;
                        }
                        free(cand);
                }
                path += len + (colon ? 1 : 0);
        }
        return -ENOENT;
}

/* Append ", " and a printf text to *via. */
static int via_add(char **via, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int via_add(char **via, const char *fmt, ...)
{
        va_list ap;
        char *part = NULL, *n = NULL;

        va_start(ap, fmt);
        int r = vasprintf(&part, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (*via) {
                r = asprintf(&n, "%s; %s", *via, part);
                free(part);
                if (r < 0)
                        return -ENOMEM;
                free(*via);
                *via = n;
        } else {
                *via = part;
        }
        return 0;
}

static bool is_shell(const char *interp)
{
        static const char *const shells[] = { "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox", "fish",
                                              "tcsh", "csh" };
        const char *b = base_name(interp);
        for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
                if (strcmp(b, shells[i]) == 0)
                        return true;
        return false;
}

/* "#!INTERP [ARG]" of a script's first line, like the kernel: blanks
 * around, the rest of the line one argument. Returns 0 and malloc'd
 * *ret_interp, *ret_arg (NULL when none), or -ENOEXEC / -ENOMEM. */
static int parse_shebang(const char *text, char **ret_interp, char **ret_arg)
{
        if (text[0] != '#' || text[1] != '!')
                return -ENOEXEC;
        const char *p = text + 2, *end = strchr(p, '\n');
        if (!end)
                end = p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        const char *q = p;
        while (q < end && *q != ' ' && *q != '\t')
                q++;
        if (q == p)
                return -ENOEXEC;
        const char *a = q, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
                a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
                b--;
        char *interp = strndup(p, (size_t)(q - p)), *arg = a < b ? strndup(a, (size_t)(b - a)) : NULL;
        if (!interp || (a < b && !arg)) {
                free(interp);
                free(arg);
                return -ENOMEM;
        }
        *ret_interp = interp;
        *ret_arg = arg;
        return 0;
}

/* ---- version-manager shims ------------------------------------------------- */

struct manager {
        const char *name;          /* "pyenv" */
        const char *root_env;      /* "PYENV_ROOT" */
        const char *version_env;   /* "PYENV_VERSION" */
        const char *version_file;  /* ".python-version" */
        bool prefixes;             /* "3.11" means the latest installed 3.11.x (pyenv latest) */
        bool system_last;          /* the system's program when no version has it (pyenv which) */
};

static const struct manager managers[] = {
        { "pyenv", "PYENV_ROOT", "PYENV_VERSION", ".python-version", true, true },
        { "rbenv", "RBENV_ROOT", "RBENV_VERSION", ".ruby-version", false, false },
        { "nodenv", "NODENV_ROOT", "NODENV_VERSION", ".node-version", false, false },
};

/* pyenv latest: of the versions installed under dir, the latest whose name
 * is prefix followed by '.' or '-', released ones only (no -dev, -src,
 * -latest, aN, bN, rcN), free-threaded ("3.13t") only when prefix asks for
 * it. Returns a malloc'd name, NULL when none (or ENOMEM). */
static char *latest_version(const char *dir, const char *prefix)
{
        size_t pl = strlen(prefix);
        bool t = pl >= 2 && prefix[pl - 1] == 't' && isdigit((unsigned char)prefix[pl - 2]);
        DIR *d = opendir(dir);
        char *best = NULL;
        struct dirent *e;

        if (t)
                pl--;
        while (d && (e = readdir(d))) {
                const char *n = e->d_name;
                size_t l = strlen(n);
                if (strncmp(n, prefix, pl) != 0 || (n[pl] != '.' && n[pl] != '-'))
                        continue;
                bool nt = l >= 2 && n[l - 1] == 't' && isdigit((unsigned char)n[l - 2]);
                if (nt != t)
                        continue;
                static const char *const unreleased[] = { "-dev", "-src", "-latest" };
                bool skip = false;
                for (size_t k = 0; k < 3 && !skip; k++)
                        skip = l >= strlen(unreleased[k]) && strcmp(n + l - strlen(unreleased[k]), unreleased[k]) == 0;
                size_t q = l;
                while (q > 0 && isdigit((unsigned char)n[q - 1]))
                        q--;
                if (q < l && q > 0 && (n[q - 1] == 'a' || n[q - 1] == 'b' || (q > 1 && strncmp(n + q - 2, "rc", 2) == 0)))
                        skip = true;
                if (skip || (best && strverscmp(n, best) <= 0))
                        continue;
                free(best);
                best = strdup(n);
        }
        if (d)
                closedir(d);
        return best;
}

/* The shim's `export NAME="VALUE"` (as pyenv and rbenv write them). */
static char *script_export(const char *text, const char *name)
{
        char pat[64];
        snprintf(pat, sizeof(pat), "export %s=\"", name);
        const char *p = strstr(text, pat);
        if (!p)
                return NULL;
        p += strlen(pat);
        const char *e = strpbrk(p, "\"\n");
        if (!e || *e != '"' || e == p)
                return NULL;
        return strndup(p, (size_t)(e - p));
}

/* The first version file found in dir and its parents, read into a new
 * string; NULL when none. */
static char *find_version_file(const char *dir, const char *file)
{
        char *d = dir ? strdup(dir) : getcwd(NULL, 0);
        char *text = NULL;

        for (int depth = 0; d && depth < VERSION_DIR_DEPTH; depth++) {
                char *p = NULL;
                if (asprintf(&p, "%s/%s", strcmp(d, "/") == 0 ? "" : d, file) < 0)
                        break;
                ssize_t n = read_capped(p, VERSION_FILE_MAX, &text);
                free(p);
                if (n >= 0)
                        break;
                text = NULL;
                char *slash = strrchr(d, '/');
                if (!slash || strcmp(d, "/") == 0)
                        break;
                if (slash == d)
                        d[1] = '\0';
                else
                        *slash = '\0';
        }
        free(d);
        return text;
}

/* Versions of the list text (separated by ':', blanks or new lines; '#'
 * starts a comment line) one at a time: *pos walks the text. Returns a
 * malloc'd version or NULL at the end. */
static char *next_version(const char *text, size_t *pos)
{
        for (;;) {
                const char *p = text + *pos;
                p += strspn(p, ": \t\r\n");
                if (!*p)
                        return NULL;
                if (*p == '#') {
                        p += strcspn(p, "\n");
                        *pos = (size_t)(p - text);
                        continue;
                }
                size_t len = strcspn(p, ": \t\r\n");
                *pos = (size_t)(p - text) + len;
                /* a version names a directory: nothing that walks out of it */
                if ((len == 2 && strncmp(p, "..", 2) == 0) || memchr(p, '/', len))
                        continue;
                return strndup(p, len);
        }
}

/* Is script (at path, text) a shim of a version manager? Then resolve it.
 * Returns 1 with *ret_program (malloc'd, NULL when no installed version
 * has the program) and a via text, 0 when it is no shim, or -ENOMEM. */
static int resolve_shim(const char *path, const char *text, const struct rt_env *env, char **ret_program,
                        char **via)
{
        const struct manager *m = NULL;
        for (size_t i = 0; i < sizeof(managers) / sizeof(managers[0]) && !m; i++) {
                char pat[64];
                snprintf(pat, sizeof(pat), "libexec/%s\" exec", managers[i].name);
                if (strstr(text, pat))
                        m = &managers[i];
        }
        if (!m)
                return 0;
        const char *program = base_name(path);
        char *root = script_export(text, m->root_env);
        if (!root && rt_getenv(env->envp, m->root_env))
                root = strdup(rt_getenv(env->envp, m->root_env));
        if (!root) {
                /* <root>/shims/<program> */
                root = strdup(path);
                char *s = root ? strrchr(root, '/') : NULL;
                if (s)
                        *s = '\0';
                s = root ? strrchr(root, '/') : NULL;
                if (s)
                        *s = '\0';
        }
        if (!root)
                return -ENOMEM;
        const char *from = "the environment";
        char *list = NULL;
        const char *ev = rt_getenv(env->envp, m->version_env);
        if (ev && *ev) {
                list = strdup(ev);
                from = m->version_env;
        } else if ((list = find_version_file(env->workdir, m->version_file))) {
                from = m->version_file;
        } else {
                char *gp = NULL;
                if (asprintf(&gp, "%s/version", root) >= 0 && read_capped(gp, VERSION_FILE_MAX, &list) >= 0)
                        from = "its global version file";
                else
                        list = NULL;
                free(gp);
                if (!list) {
                        list = strdup("system");
                        from = "no version set";
                }
        }
        int r = 1;
        char *found = NULL, *version = NULL, *first = NULL;
        size_t pos = 0;
        while (list && !found && (version = next_version(list, &pos))) {
                if (!first)
                        first = strdup(version);
                if (strcmp(version, "system") == 0) {
                        if (path_search(program, rt_getenv(env->envp, "PATH"), true, &found) == -ENOMEM)
                                r = -ENOMEM;
                } else {
                        char *cand = NULL, *vdir = NULL;
                        if (asprintf(&cand, "%s/versions/%s/bin/%s", root, version, program) < 0)
                                r = -ENOMEM;
                        else if (executable_file(cand))
                                found = cand;
                        else if (m->prefixes && asprintf(&vdir, "%s/versions", root) >= 0) {
                                char *latest = latest_version(vdir, version);
                                free(cand);
                                cand = NULL;
                                if (latest && asprintf(&cand, "%s/%s/bin/%s", vdir, latest, program) >= 0 &&
                                    executable_file(cand)) {
                                        found = cand;
                                        cand = NULL;
                                        char *asked = version;
                                        if (asprintf(&version, "%s (the latest %s)", latest, asked) < 0) {
                                                version = NULL;
                                                r = -ENOMEM;
                                        }
                                        free(asked);
                                }
                                free(latest);
                        }
                        if (cand != found)
                                free(cand);
                        free(vdir);
                }
                if (!found) {
                        free(version);
                        version = NULL;
                }
        }
        bool system = false;
        if (r >= 0 && !found && m->system_last) {
                if (path_search(program, rt_getenv(env->envp, "PATH"), true, &found) == -ENOMEM)
                        r = -ENOMEM;
                system = found != NULL;
        }
        if (r >= 0) {
                if (system)
                        r = via_add(via, "%s shim: version %s from %s is not installed, so the system's %s", m->name,
                                    first ? first : "?", from, program) < 0
                                    ? -ENOMEM
                                    : 1;
                else if (found)
                        r = via_add(via, "%s shim, version %s from %s", m->name, version, from) < 0 ? -ENOMEM : 1;
                else
                        r = via_add(via, "%s shim: %s is not installed for version %s from %s", m->name, program,
                                    first ? first : "?", from) < 0
                                    ? -ENOMEM
                                    : 1;
        }
        if (r == 1)
                *ret_program = found;
        else
                free(found);
        free(version);
        free(first);
        free(list);
        free(root);
        return r;
}

/* ---- wrappers: env(1) and sh -c -------------------------------------------- */

/* What the next program gets: its words, and its environment and working
 * directory as the wrappers so far changed them. */
struct hop {
        char **argv;          /* owned, NULL-terminated */
        size_t argc;
        char **envp;          /* owned, NULL-terminated; NULL: rt_env's */
        size_t envc;
        char *workdir;        /* owned; NULL: rt_env's */
        bool script;          /* argv[1] is the script of a "#!" interpreter */
        bool shebang;         /* the last hop was a "#!" line (which said how) */
};

static void strv_free(char **v)
{
        for (char **p = v; p && *p; p++)
                free(*p);
        free(v);
}

static void hop_free(struct hop *h)
{
        strv_free(h->argv);
        strv_free(h->envp);
        free(h->workdir);
        memset(h, 0, sizeof(*h));
}

/* Append a copy of s (len bytes) to the NULL-terminated *v of *n words. */
static int strv_add(char ***v, size_t *n, const char *s, size_t len)
{
        char **nv = realloc(*v, (*n + 2) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        if (!(nv[*n] = strndup(s, len)))
                return -ENOMEM;
        nv[++*n] = NULL;
        return 0;
}

/* Replace h->argv by copies of words[0 .. n). */
static int hop_set_argv(struct hop *h, char *const *words, size_t n)
{
        char **v = NULL;
        size_t k = 0;
        if (!(v = calloc(1, sizeof(*v))))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (strv_add(&v, &k, words[i], strlen(words[i])) < 0) {
                        strv_free(v);
                        return -ENOMEM;
                }
        strv_free(h->argv);
        h->argv = v;
        h->argc = k;
        return 0;
}

/* The environment the next program gets, as far as it is known. */
static char *const *hop_envp(const struct hop *h, const struct rt_env *env)
{
        return h->envp ? h->envp : env->envp;
}

/* Unset name (len bytes), then, when entry ("NAME=VALUE") is not NULL, add it. */
static int hop_setenv(struct hop *h, const struct rt_env *env, const char *name, size_t len, const char *entry)
{
        if (!h->envp) {
                if (!(h->envp = calloc(1, sizeof(*h->envp))))
                        return -ENOMEM;
                for (char *const *p = env->envp; p && *p; p++)
                        if (strv_add(&h->envp, &h->envc, *p, strlen(*p)) < 0)
                                return -ENOMEM;
        }
        size_t w = 0;
        for (size_t i = 0; i < h->envc; i++) {
                if (strncmp(h->envp[i], name, len) == 0 && h->envp[i][len] == '=')
                        free(h->envp[i]);
                else
                        h->envp[w++] = h->envp[i];
        }
        h->envc = w;
        h->envp[w] = NULL;
        return entry ? strv_add(&h->envp, &h->envc, entry, strlen(entry)) : 0;
}

/* A wrapper's change of variable name (len bytes): unset (entry NULL) or
 * set to entry ("NAME=VALUE"); word says who did it ("env -u NAME"). The
 * variables oomwatch sets for the target (LD_PRELOAD, *MALLOC_CONF) are
 * remembered as lost, a PYTHONMALLOC set as the user's. */
static int wrap_setenv(struct hop *h, const struct rt_env *env, struct rt_info *info, const char *name, size_t len,
                       const char *entry, const char *word)
{
        bool preload = len == 10 && strncmp(name, "LD_PRELOAD", 10) == 0;
        bool conf = len >= 11 && strncmp(name + len - 11, "MALLOC_CONF", 11) == 0;
        info->loses_preload |= preload;
        info->loses_conf |= conf;
        if ((preload || conf) && !info->env_loss && !(info->env_loss = strdup(word)))
                return -ENOMEM;
        if (entry && len == 12 && strncmp(name, "PYTHONMALLOC", 12) == 0) {
                free(info->pythonmalloc);
                if (!(info->pythonmalloc = strdup(entry + len + 1)))
                        return -ENOMEM;
                info->pythonmalloc_set = true;
        }
        return hop_setenv(h, env, name, len, entry);
}

/* env -i: nothing of the target's environment is left */
static int wrap_clearenv(struct hop *h, struct rt_info *info)
{
        info->loses_preload = info->loses_conf = true;
        if (!info->env_loss && !(info->env_loss = strdup("env -i")))
                return -ENOMEM;
        strv_free(h->envp);
        h->envc = 0;
        return (h->envp = calloc(1, sizeof(*h->envp))) ? 0 : -ENOMEM;
}

/* Split text into blank-separated words appended to *v (env -S without its
 * quoting and escapes, which command lines there rarely need). */
static int split_words(const char *text, char ***v, size_t *n)
{
        for (const char *p = text;;) {
                p += strspn(p, " \t\n");
                size_t len = strcspn(p, " \t\n");
                if (!len)
                        return 0;
                if (strv_add(v, n, p, len) < 0)
                        return -ENOMEM;
                p += len;
        }
}

static const char *env_long_value(const char *a, const char *name)
{
        size_t l = strlen(name);
        if (strncmp(a, name, l) != 0)
                return NULL;
        return a[l] == '=' ? a + l + 1 : a[l] ? NULL : "";
}

/* "WORD WORD ..." of words[0 .. n), cut at about 100 bytes, into *via */
static int via_words(char **via, char *const *words, size_t n)
{
        char buf[128];
        size_t len = 0;
        for (size_t i = 0; i < n && len < 100; i++)
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", words[i]);
        if (len >= 100)
                strcpy(buf + 100, "...");
        return via_add(via, "%s", buf);
}

/* Apply env(1)'s options and NAME=VALUE words in h->argv (argv[0] is env)
 * to h, like GNU env: -i (-, --ignore-environment), -u NAME (--unset),
 * -C DIR (--chdir), -S TEXT (--split-string: its words are read as
 * arguments), -0, -v, --debug and the signal options (nothing to follow).
 * Returns 1 with h->argv the program's words, 0 when env runs no program
 * (it prints the environment) or has an option it would refuse, -ENOMEM. */
static int follow_env(struct hop *h, const struct rt_env *env, struct rt_info *info)
{
        char **w = NULL;
        size_t n = 0, i = 0;
        int r = 0;
        if (!h->shebang && via_words(&info->via, h->argv, h->argc) < 0)
                return -ENOMEM;
        if (!(w = calloc(1, sizeof(*w))))
                return -ENOMEM;
        for (size_t k = 1; k < h->argc; k++)
                if (strv_add(&w, &n, h->argv[k], strlen(h->argv[k])) < 0)
                        goto nomem;
        while (i < n) {
                const char *a = w[i], *val = NULL;
                char opt = 0;
                if (strcmp(a, "--") == 0) {
                        i++;
                        break;
                }
                if (strcmp(a, "-") == 0 || strcmp(a, "--ignore-environment") == 0) {
                        opt = 'i';
                } else if (strncmp(a, "--", 2) == 0) {
                        if ((val = env_long_value(a, "--unset")))
                                opt = 'u';
                        else if ((val = env_long_value(a, "--chdir")))
                                opt = 'C';
                        else if ((val = env_long_value(a, "--split-string")))
                                opt = 'S';
                        else if (strcmp(a, "--null") != 0 && strcmp(a, "--debug") != 0 &&
                                 strcmp(a, "--list-signal-handling") != 0 && !env_long_value(a, "--default-signal") &&
                                 !env_long_value(a, "--ignore-signal") && !env_long_value(a, "--block-signal"))
                                goto out;
                        if (val && !*val)
                                val = NULL;
                } else if (a[0] == '-') {
                        /* a cluster of short options: i, 0, v; u, C, S take a value */
                        for (const char *c = a + 1; *c && !opt; c++) {
                                if (*c == 'i' && (r = wrap_clearenv(h, info)) < 0)
                                        goto out;
                                if (*c == 'u' || *c == 'C' || *c == 'S') {
                                        opt = *c;
                                        val = c[1] ? c + 1 : NULL;
                                } else if (*c != 'i' && *c != '0' && *c != 'v') {
                                        goto out;
                                }
                        }
                } else if (a[0] != '=' && strchr(a, '=')) {
                        if ((r = wrap_setenv(h, env, info, a, (size_t)(strchr(a, '=') - a), a, a)) < 0)
                                goto out;
                } else {
                        break;
                }
                if (opt == 'i' && (r = wrap_clearenv(h, info)) < 0)
                        goto out;
                if (opt && opt != 'i' && !val) {
                        if (i + 1 >= n)
                                goto out;
                        val = w[++i];
                }
                if (opt == 'u') {
                        char word[128];
                        snprintf(word, sizeof(word), "env -u %.100s", val);
                        if ((r = wrap_setenv(h, env, info, val, strlen(val), NULL, word)) < 0)
                                goto out;
                } else if (opt == 'C') {
                        const char *base = h->workdir ? h->workdir : env->workdir;
                        char *d = NULL;
                        if (val[0] == '/' || !base ? !(d = strdup(val)) : asprintf(&d, "%s/%s", base, val) < 0)
                                goto nomem;
                        free(h->workdir);
                        h->workdir = d;
                } else if (opt == 'S') {
                        /* the text's words, then the words after it */
                        char **nw = calloc(1, sizeof(*nw));
                        size_t nn = 0;
                        bool bad = !nw || split_words(val, &nw, &nn) < 0;
                        for (size_t k = i + 1; k < n && !bad; k++)
                                bad = strv_add(&nw, &nn, w[k], strlen(w[k])) < 0;
                        if (bad) {
                                strv_free(nw);
                                goto nomem;
                        }
                        strv_free(w);
                        w = nw;
                        n = nn;
                        i = 0;
                        continue;
                }
                i++;
        }
        r = i < n ? (hop_set_argv(h, w + i, n - i) < 0 ? -ENOMEM : 1) : 0;
        goto out;
nomem:
        r = -ENOMEM;
out:
        strv_free(w);
        return r;
}

/* A character of a shell word that means nothing to the shell */
static bool plain_char(char c)
{
        return isalnum((unsigned char)c) || (c && strchr("_./-+=:,@%^", c));
}

/* The words of a shell command line that is one simple command, read
 * without a shell: plain words and "$0".."$9", "$@" (quoted or not) from
 * the shell's arguments pos[0 .. npos).
 * Returns 1 and the words appended to *v, 0 when the line is more than
 * that (quotes, expansions, redirections, lists, compound commands), or
 * -ENOMEM. */
static int shell_words(const char *line, char *const *pos, size_t npos, char ***v, size_t *n)
{
        for (const char *p = line;;) {
                p += strspn(p, " \t");
                size_t len = strcspn(p, " \t");
                if (!len)
                        return *n > 0;
                const char *t = p;
                p += len;
                size_t tl = len;
                if (tl >= 4 && t[0] == '"' && t[tl - 1] == '"') {
                        t++;
                        tl -= 2;
                }
                if (tl == 2 && t[0] == '$' && (isdigit((unsigned char)t[1]) || t[1] == '@')) {
                        size_t from = t[1] == '@' ? 1 : (size_t)(t[1] - '0'), to = t[1] == '@' ? npos : from + 1;
                        if (to > npos)
                                return 0;
                        for (size_t k = from; k < to; k++)
                                if (strv_add(v, n, pos[k], strlen(pos[k])) < 0)
                                        return -ENOMEM;
                        continue;
                }
                for (size_t k = 0; k < tl; k++)
                        if (!plain_char(t[k]))
                                return 0;
                if (strv_add(v, n, t, tl) < 0)
                        return -ENOMEM;
        }
}

/* h->argv runs a shell: with "-c LINE", where LINE is one simple command
 * (shell_words), h->argv becomes that command's words (after its NAME=VALUE
 * words, which go to its environment) and 1 is returned; a line that is
 * more is kept in info->command_line and 0 returned, like a shell without
 * -c. -ENOMEM. */
static int follow_shell(struct hop *h, const struct rt_env *env, struct rt_info *info)
{
        size_t i = 1;
        bool c = false;
        for (; i < h->argc && (h->argv[i][0] == '-' || h->argv[i][0] == '+') && h->argv[i][1]; i++) {
                if (strcmp(h->argv[i], "--") == 0) {
                        i++;
                        break;
                }
                if (strcmp(h->argv[i] + 1, "o") == 0)
                        i++;
                else if (h->argv[i][0] == '-' && strchr(h->argv[i], 'c'))
                        c = true;
        }
        if (!c || i >= h->argc)
                return 0;
        char **w = calloc(1, sizeof(*w));
        size_t n = 0, k = 0;
        if (!w)
                return -ENOMEM;
        int r = shell_words(h->argv[i], h->argv + i + 1, h->argc - i - 1, &w, &n);
        /* NAME=VALUE words and "exec" before the program */
        while (r == 1 && k < n) {
                const char *eq = strchr(w[k], '=');
                if (strcmp(w[k], "exec") == 0) {
                        k++;
                } else if (eq && eq != w[k] && !isdigit((unsigned char)w[k][0]) && strcspn(w[k], "/") > (size_t)(eq - w[k])) {
                        if ((r = wrap_setenv(h, env, info, w[k], (size_t)(eq - w[k]), w[k], w[k])) >= 0)
                                r = 1;
                        k++;
                } else {
                        break;
                }
        }
        if (r == 1 && k == n)
                r = 0;
        if (r == 0 && !info->command_line && !(info->command_line = strdup(h->argv[i])))
                r = -ENOMEM;
        if (r == 1 && (via_add(&info->via, "%s -c '%.80s'", base_name(h->argv[0]), h->argv[i]) < 0 ||
                       hop_set_argv(h, w + k, n - k) < 0))
                r = -ENOMEM;
        strv_free(w);
        return r;
}

/* The program named word, for h: a name with a '/' relative to the working
 * directory, one without through the PATH the program gets. */
static int find_program(const struct hop *h, const struct rt_env *env, const char *word, char **ret)
{
        const char *dir = h->workdir ? h->workdir : env->workdir;
        if (strchr(word, '/') && word[0] != '/' && dir) {
                char *p = NULL;
                if (asprintf(&p, "%s/%s", dir, word) < 0)
                        return -ENOMEM;
                int r = path_search(p, NULL, false, ret);
                free(p);
                return r;
        }
        return path_search(word, rt_getenv(hop_envp(h, env), "PATH"), false, ret);
}

/* ---- detection -------------------------------------------------------------- */

static enum rt_kind classify(const struct ep_info *ep)
{
        if (ep->go)
                return RT_GO;
        if (ep->cpython)
                return RT_CPYTHON;
        if (ep->v8)
                return RT_NODE;
        if (ep->jvm)
                return RT_JVM;
        if (ep->is_static)
                return RT_STATIC;
        return RT_NATIVE;
}

int rt_detect(char *const *argv, const struct rt_env *env, struct rt_info *ret)
{
        struct rt_info info = { .kind = RT_UNKNOWN };
        struct hop h = { 0 };
        char *cur = NULL;
        int r;

        r = ep_which(argv[0], env->workdir, &cur);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                info.error = r;
                *ret = info;
                return 0;
        }
        size_t argc = 0;
        while (argv[argc])
                argc++;
        if (!(info.command = strdup(cur)) || hop_set_argv(&h, argv, argc) < 0)
                goto nomem;
        for (int hop = 0; hop <= RT_MAX_HOPS; hop++) {
                char *text = NULL, *interp = NULL, *arg = NULL, *next = NULL;
                const struct rt_env here = { hop_envp(&h, env), h.workdir ? h.workdir : env->workdir };
                ssize_t n = read_capped(cur, SCRIPT_MAX, &text);
                if (n < 0) {
                        info.error = (int)n;
                        break;
                }
                if (n >= 4 && memcmp(text, "\177ELF", 4) == 0) {
                        free(text);
                        const char *b = base_name(cur), *b0 = base_name(h.argv[0]);
                        bool shell = is_shell(b) || is_shell(b0);
                        if (strcmp(b, "env") == 0 || strcmp(b0, "env") == 0)
                                r = follow_env(&h, env, &info);
                        else
                                r = shell ? follow_shell(&h, env, &info) : 0;
                        if (r < 0)
                                goto nomem;
                        if (r == 1) {
                                /* after sh -c the script is gone; after env
                                 * it is still the interpreter's argument */
                                h.script = h.script && !shell;
                                h.shebang = false;
                                r = find_program(&h, env, h.argv[0], &next);
                                if (r == -ENOMEM)
                                        goto nomem;
                                if (r < 0) {
                                        info.error = r;
                                        break;
                                }
                                free(cur);
                                cur = next;
                                if (hop == RT_MAX_HOPS)
                                        info.error = -ELOOP;
                                continue;
                        }
                        if (shell && h.script && !info.command_line) {
                                /* "#!/usr/bin/env bash": a shell runs the script */
                                info.kind = RT_SCRIPT;
                                if (!(info.interpreter = strdup(cur)))
                                        goto nomem;
                                break;
                        }
                        r = ep_probe(cur, &info.ep);
                        if (r < 0) {
                                info.error = r;
                                break;
                        }
                        info.probed = true;
                        info.kind = classify(&info.ep);
                        info.program = realpath(cur, NULL);
                        if (!info.program && !(info.program = strdup(cur)))
                                goto nomem;
                        break;
                }
                char head[HEAD_MAX + 1];
                snprintf(head, sizeof(head), "%s", text);
                if (parse_shebang(head, &interp, &arg) < 0) {
                        free(text);
                        info.error = -ENOEXEC;
                        break;
                }
                char *shim_program = NULL;
                r = resolve_shim(cur, text, &here, &shim_program, &info.via);
                free(text);
                if (r < 0) {
                        free(interp);
                        free(arg);
                        goto nomem;
                }
                if (r == 1) {
                        free(interp);
                        free(arg);
                        if (!shim_program) {
                                /* a shim whose program oomwatch cannot find: its shell runs it */
                                info.kind = RT_SCRIPT;
                                if (!(info.interpreter = strdup("a version manager")))
                                        goto nomem;
                                break;
                        }
                        h.shebang = h.script = false;
                        next = shim_program;
                } else if (is_shell(interp)) {
                        info.kind = RT_SCRIPT;
                        info.interpreter = interp;
                        free(arg);
                        break;
                } else {
                        /* the kernel's argv: INTERP [ARG] SCRIPT ARGS... */
                        char *words[3] = { interp, arg ? arg : cur, cur };
                        char **v = calloc(1, sizeof(*v));
                        size_t k = 0;
                        bool bad = !v || via_add(&info.via, "#!%s%s%s", interp, arg ? " " : "", arg ? arg : "") < 0;
                        for (size_t i = 0; i < (arg ? 3u : 2u) && !bad; i++)
                                bad = strv_add(&v, &k, words[i], strlen(words[i])) < 0;
                        for (size_t i = 1; i < h.argc && !bad; i++)
                                bad = strv_add(&v, &k, h.argv[i], strlen(h.argv[i])) < 0;
                        free(arg);
                        if (bad) {
                                strv_free(v);
                                free(interp);
                                goto nomem;
                        }
                        strv_free(h.argv);
                        h.argv = v;
                        h.argc = k;
                        h.shebang = h.script = true;
                        next = interp;
                }
                free(cur);
                cur = next;
                if (hop == RT_MAX_HOPS)
                        info.error = -ELOOP;
        }
        free(cur);
        hop_free(&h);
        if (info.kind == RT_UNKNOWN && !info.error)
                info.error = -ELOOP;
        *ret = info;
        return 0;
nomem:
        free(cur);
        hop_free(&h);
        rt_info_free(&info);
        return -ENOMEM;
}

/* ---- the plan ------------------------------------------------------------- */

static const char go_note[] =
        "Go: the Go heap is managed by Go's own runtime in memory it maps itself, which jemalloc does not "
        "see%s. Use Go's heap profile: import net/http/pprof and run 'go tool pprof http://HOST/debug/pprof/heap', "
        "or write one with runtime/pprof.WriteHeapProfile; GOMEMLIMIT below the cgroup limit makes the "
        "collector work harder before the kill";
static const char node_note[] =
        "Node.js: V8 keeps JavaScript objects in its own heap, mapped outside malloc, which jemalloc does not "
        "see: the heap profile covers native memory only (Buffers, addons, libuv). For the JavaScript heap run "
        "node --heapsnapshot-near-heap-limit=1 (a heap snapshot as the V8 heap nears its limit, to open in "
        "Chrome DevTools), and keep --max-old-space-size below the cgroup limit";
static const char jvm_note[] =
        "JVM: the Java heap, metaspace, code cache and thread stacks are mapped by the JVM itself, which "
        "jemalloc does not see: the heap profile covers native allocations only (JNI, NIO, zip). Run java with "
        "-XX:NativeMemoryTracking=summary and ask 'jcmd PID VM.native_memory summary' for the JVM's own areas, "
        "and with -XX:+HeapDumpOnOutOfMemoryError for the Java heap";
static const char pymalloc_note[] =
        "CPython: %s, so CPython's own allocator serves objects of up to 512 bytes from arenas it maps with "
        "mmap, which jemalloc does not see: the heap profile misses most Python objects. Unset PYTHONMALLOC (then "
        "oomwatch sets PYTHONMALLOC=malloc) or set PYTHONMALLOC=malloc; for Python's own view use tracemalloc";

static bool pythonmalloc_is_malloc(const char *v)
{
        return strcmp(v, "malloc") == 0 || strcmp(v, "malloc_debug") == 0;
}

/* *dst = a new printf text (replacing an old one); false on ENOMEM */
static bool set(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool set(char **dst, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return false;
        free(*dst);
        *dst = s;
        return true;
}

void rt_decision_free(struct rt_decision *d)
{
        free(d->why);
        free(d->note);
        free(d->plan);
        memset(d, 0, sizeof(*d));
}

int rt_plan(const struct rt_info *info, const struct ow_config *c, const char *jemalloc_lib,
            const char *user_pythonmalloc, struct rt_decision *ret)
{
        struct rt_decision d = { 0 };
        const char *name = c->argv && c->argv[0] ? c->argv[0] : "the target";
        char *what = NULL;
        bool ok = true;

        if (info->program && info->via)
                ok = set(&what, "%s (%s: %s)", name, info->via, info->program);
        else
                ok = set(&what, "%s", name);
        if (!ok)
                return -ENOMEM;

        /* the runtime's note, whatever happens to the allocator */
        if (info->kind == RT_GO)
                ok = set(&d.note, go_note, info->ep.is_static ? "" : "; the heap profile covers cgo's C allocations only");
        else if (info->kind == RT_NODE)
                ok = set(&d.note, "%s", node_note);
        else if (info->kind == RT_JVM)
                ok = set(&d.note, "%s", jvm_note);

        if (info->pythonmalloc_set)
                user_pythonmalloc = info->pythonmalloc;
        bool own = info->probed && info->ep.jemalloc;
        if (ok && info->env_loss && (info->loses_conf || (info->loses_preload && !own))) {
                bool both = info->loses_conf && info->loses_preload && !own;
                ok = set(&d.why,
                         "%s: '%s' takes away the %s that oomwatch sets for the target, so there is no heap "
                         "profile (run the program without that, or set what it needs in oomwatch's environment)",
                         what, info->env_loss,
                         both ? "LD_PRELOAD and MALLOC_CONF" : info->loses_conf ? "MALLOC_CONF" : "LD_PRELOAD");
                goto out;
        }
        if (ok && info->command_line && !d.note)
                ok = set(&d.note,
                         "the target is a shell running a command line oomwatch does not read (sh -c '%.80s'): "
                         "jemalloc goes to the shell and what it starts, but which runtime that is, is not known; "
                         "with 'exec PROGRAM ARGS' as the whole line oomwatch follows it to the program",
                         info->command_line);
        if (ok && own && info->loses_preload)
                ok = set(&d.note,
                         "'%s' takes away LD_PRELOAD and with it oomwatch's agent: dumps come only from jemalloc's "
                         "own triggers (interval, gdump, final), none at warn_at or on request",
                         info->env_loss);
        if (ok && own) {
                d.profiling = true;
                ok = set(&d.plan, "%s has jemalloc of its own", what);
                goto out;
        }
        bool can_preload = info->probed && !info->ep.is_static;
        switch (ok ? info->kind : RT_NATIVE) {
        case RT_STATIC:
                ok = set(&d.why,
                         "%s is statically linked without jemalloc: LD_PRELOAD cannot reach a static program, so "
                         "there is no heap profile (link it with a jemalloc built with --enable-prof to get one)",
                         what);
                break;
        case RT_GO:
                if (!can_preload)
                        ok = set(&d.why,
                                 "%s is a statically linked Go program: Go allocates from memory its runtime maps "
                                 "itself, not with malloc, and nothing can be preloaded into a static program, so "
                                 "there is no heap profile",
                                 what);
                break;
        case RT_SCRIPT:
                if (c->preload_jemalloc != CFG_ON)
                        ok = set(&d.why,
                                 "%s is a shell script run by %s%s%s: oomwatch cannot tell what it starts, so "
                                 "profiling is off (run the program itself, or set profiling.preload_jemalloc = on "
                                 "to preload jemalloc into every program the script starts)",
                                 name, info->interpreter ? info->interpreter : "a shell", info->via ? "; " : "",
                                 info->via ? info->via : "");
                break;
        case RT_UNKNOWN:
                if (c->preload_jemalloc != CFG_ON)
                        ok = set(&d.why,
                                 "oomwatch cannot inspect %s (%s), so profiling is off; set "
                                 "profiling.preload_jemalloc = on to preload jemalloc anyway",
                                 name, info->error == -ENOEXEC ? "neither an ELF program nor a #! script"
                                                               : strerror(info->error ? -info->error : EINVAL));
                break;
        default:
                break;
        }
        if (ok && !d.why && c->preload_jemalloc == CFG_OFF)
                ok = set(&d.why, "%s does not use jemalloc and profiling.preload_jemalloc is off", what);
        if (ok && !d.why && !jemalloc_lib)
                ok = set(&d.why, "%s does not use jemalloc and no system libjemalloc.so.2 was found (install libjemalloc2)",
                         what);
        if (ok && !d.why)
                d.preload = d.profiling = true;
        if (ok && info->kind == RT_CPYTHON && d.preload) {
                if (user_pythonmalloc && !pythonmalloc_is_malloc(user_pythonmalloc)) {
                        char why[128];
                        snprintf(why, sizeof(why), "PYTHONMALLOC=%.40s is set in the target's environment and kept",
                                 user_pythonmalloc);
                        ok = set(&d.note, pymalloc_note, why);
                        d.note_warns = true;
                } else if (!user_pythonmalloc && !c->python_malloc) {
                        ok = set(&d.note, pymalloc_note, "profiling.python_malloc is off");
                        d.note_warns = true;
                } else if (!user_pythonmalloc) {
                        d.set_pythonmalloc = true;
                        ok = set(&d.note, "CPython: oomwatch set PYTHONMALLOC=malloc (profiling.python_malloc) so "
                                          "that Python's objects are allocated with malloc and appear in the heap "
                                          "profile");
                } else {
                        ok = set(&d.note, "CPython: PYTHONMALLOC=%.40s in the target's environment makes Python's "
                                          "objects appear in the heap profile",
                                 user_pythonmalloc);
                }
        }
        if (ok && d.preload && (info->kind == RT_SCRIPT || info->kind == RT_UNKNOWN))
                ok = set(&d.plan, "%s: preloading %s into whatever it runs (profiling.preload_jemalloc = on)", name,
                         jemalloc_lib);
        else if (ok && d.preload)
                ok = set(&d.plan, "%s does not use jemalloc: preloading %s%s", what, jemalloc_lib,
                         d.set_pythonmalloc ? " and setting PYTHONMALLOC=malloc" : "");
out:
        free(what);
        if (!ok) {
                rt_decision_free(&d);
                return -ENOMEM;
        }
        *ret = d;
        return 0;
}
