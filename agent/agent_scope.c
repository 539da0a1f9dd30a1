/* profiling.processes in the agent: matching, and the environment of an exec. */
#include "agent_scope.h"

#include <string.h>

#include "agent_proto.h"

#define GLOB_DEPTH 16   /* '*' nesting; deeper patterns simply do not match */

/* [...] at p (plen bytes): does c fall in it? *ret_len: the class's length. */
static bool in_class(const char *p, size_t plen, unsigned char c, size_t *ret_len)
{
        size_t i = 1;
        bool neg = false, hit = false;

        if (i < plen && (p[i] == '!' || p[i] == '^')) {
                neg = true;
                i++;
        }
        for (bool first = true; i < plen && (first || p[i] != ']'); first = false) {
                unsigned char lo = (unsigned char)p[i], hi = lo;
                if (i + 2 < plen && p[i + 1] == '-' && p[i + 2] != ']') {
                        hi = (unsigned char)p[i + 2];
                        i += 3;
                } else {
                        i++;
                }
                if (c >= lo && c <= hi)
                        hit = true;
        }
        if (i >= plen) {        /* no closing ']': a literal '[' */
                *ret_len = 0;
                return c == '[';
        }
        *ret_len = i + 1;
        return hit != neg;
}

static bool glob_at(const char *p, size_t plen, const char *s, unsigned depth)
{
        while (plen) {
                size_t cl;

                switch (*p) {
                case '*':
                        if (depth >= GLOB_DEPTH)
                                return false;
                        while (plen && *p == '*') {
                                p++;
                                plen--;
                        }
                        if (!plen)
                                return true;
                        for (; *s; s++)
                                if (glob_at(p, plen, s, depth + 1))
                                        return true;
                        return false;
                case '?':
                        if (!*s)
                                return false;
                        break;
                case '[':
                        if (!*s || !in_class(p, plen, (unsigned char)*s, &cl))
                                return false;
                        if (cl) {
                                p += cl;
                                plen -= cl;
                                s++;
                                continue;
                        }
                        break;
                default:
                        if (*p != *s)
                                return false;
                }
                p++;
                plen--;
                s++;
        }
        return !*s;
}

bool agent_glob(const char *pat, size_t plen, const char *name)
{
        return glob_at(pat, plen, name, 0);
}

bool agent_scope_match(const char *scope, const char *const *names, size_t n)
{
        for (const char *p = scope; p && *p;) {
                size_t w;

                while (*p == ' ' || *p == '\t')
                        p++;
                for (w = 0; p[w] && p[w] != ' ' && p[w] != '\t'; w++)
                        ;
                for (size_t k = 0; w && k < n; k++)
                        if (names[k] && *names[k] && agent_glob(p, w, names[k]))
                                return true;
                p += w;
        }
        return false;
}

const char *agent_base_name(const char *path)
{
        const char *s = path ? strrchr(path, '/') : NULL;

        return s ? s + 1 : path;
}

/* The value of NAME=... in env, or NULL. */
static const char *env_get(char *const *env, const char *name)
{
        size_t n = strlen(name);

        for (; env && *env; env++)
                if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
                        return *env + n + 1;
        return NULL;
}

static bool is_var(const char *entry, const char *name)
{
        size_t n = strlen(name);

        return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* Append s (n bytes) at *pos of buf (len); false when it does not fit. */
static bool put(char *buf, size_t len, size_t *pos, const char *s, size_t n)
{
        if (*pos + n >= len)
                return false;
        memcpy(buf + *pos, s, n);
        *pos += n;
        buf[*pos] = '\0';
        return true;
}

bool agent_exec_env(char *const *env, const char *path, char *const *argv, char **out, size_t max, char *buf,
                    size_t len)
{
        const char *scope = env_get(env, AGENT_ENV_SCOPE), *conf = env_get(env, AGENT_ENV_MALLOC_CONF);
        const char *lib = env_get(env, AGENT_ENV_JEMALLOC), *preload = env_get(env, "LD_PRELOAD");
        const char *names[3] = { agent_base_name(path), argv ? agent_base_name(argv[0]) : NULL,
                                 argv && argv[0] ? agent_base_name(argv[1]) : NULL };
        size_t k = 0, pos = 0, libn = lib ? strlen(lib) : 0;
        bool in;

        if (!scope || !conf || !out || !buf)
                return false;
        in = agent_scope_match(scope, names, 3);
        for (char *const *e = env; *e; e++) {
                if (is_var(*e, "LD_PRELOAD") || is_var(*e, "MALLOC_CONF"))
                        continue;
                if (k + 3 >= max)
                        return false;
                out[k++] = *e;
        }
        /* LD_PRELOAD: the jemalloc oomwatch preloads, first, in scope only */
        if (preload || (in && libn)) {
                char *start = buf + pos;
                bool any = false;

                if (!put(buf, len, &pos, "LD_PRELOAD=", 11))
                        return false;
                if (in && libn) {
                        if (!put(buf, len, &pos, lib, libn))
                                return false;
                        any = true;
                }
                for (const char *p = preload; p && *p;) {
                        size_t w = strcspn(p, ": ");
                        if (w && !(libn && w == libn && memcmp(p, lib, w) == 0)) {
                                if ((any && !put(buf, len, &pos, ":", 1)) || !put(buf, len, &pos, p, w))
                                        return false;
                                any = true;
                        }
                        p += w;
                        p += strspn(p, ": ");
                }
                pos++;  /* past the NUL */
                out[k++] = start;
        }
        /* MALLOC_CONF: profiling in scope only */
        if (in) {
                char *start = buf + pos;
                if (!put(buf, len, &pos, "MALLOC_CONF=", 12) || !put(buf, len, &pos, conf, strlen(conf)))
                        return false;
                pos++;
                out[k++] = start;
        }
        out[k] = NULL;
        return true;
}
