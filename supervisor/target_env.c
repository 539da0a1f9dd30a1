/* The target's environment: allocator plan, MALLOC_CONF, LD_PRELOAD, agent. */
#include "target_env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfprobe.h"

extern char **environ;

static const char *const jemalloc_paths[] = {
        "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2",
        "/usr/lib64/libjemalloc.so.2", "/usr/lib/libjemalloc.so.2", "/usr/local/lib/libjemalloc.so.2",
};

static const char *system_jemalloc(void)
{
        for (size_t i = 0; i < sizeof(jemalloc_paths) / sizeof(jemalloc_paths[0]); i++)
                if (access(jemalloc_paths[i], R_OK) == 0)
                        return jemalloc_paths[i];
        return NULL;
}

struct noter {
        te_note_fn fn;
        void *userdata;
};

#define NOTE(n, level, ...)                                          \
        do {                                                         \
                if ((n)->fn)                                         \
                        (n)->fn((n)->userdata, (level), __VA_ARGS__); \
        } while (0)

static char *dup_or_null(const char *s, bool *ok)
{
        char *d = s ? strdup(s) : NULL;
        if (s && !d)
                *ok = false;
        return d;
}

/* Decide what the target's allocator gets: the prefixed variable of a
 * built-in prefixed jemalloc, or LD_PRELOAD of the system libjemalloc (and
 * PYTHONMALLOC=malloc for CPython) where preloading can work at all. */
static int plan_allocator(const struct ow_config *c, const struct noter *n, struct te_plan *p)
{
        struct rt_env env = { .envp = environ, .workdir = c->workdir };
        struct rt_info info;
        struct rt_decision d;
        const char *lib = system_jemalloc();
        bool ok = true;
        int r;

        r = rt_detect(c->argv, &env, &info);
        if (r < 0)
                return r;
        r = rt_plan(&info, c, lib, getenv("PYTHONMALLOC"), &d);
        if (r < 0) {
                rt_info_free(&info);
                return r;
        }
        p->runtime = info.kind;
        p->program = dup_or_null(info.program, &ok);
        p->via = dup_or_null(info.via, &ok);
        p->why = dup_or_null(d.why, &ok);
        p->note = dup_or_null(d.note, &ok);
        p->has_jemalloc = d.profiling;
        p->set_pythonmalloc = d.set_pythonmalloc;
        if (d.preload)
                p->preload = dup_or_null(lib, &ok);
        if (info.probed && info.ep.jemalloc && strcmp(info.ep.conf_env, "MALLOC_CONF") != 0) {
                p->conf_env = dup_or_null(info.ep.conf_env, &ok);
                NOTE(n, 1, "%s has a built-in jemalloc with the prefix '%s': it reads %s", c->argv[0],
                     info.ep.prefix, info.ep.conf_env);
        }
        if (d.plan && *d.plan)
                NOTE(n, 1, "%s", d.plan);
        if (d.why)
                NOTE(n, 0, "warning: no heap profile: %s", d.why);
        if (d.note)
                NOTE(n, d.note_warns ? 0 : 1, "note: %s", d.note);
        rt_decision_free(&d);
        rt_info_free(&info);
        return ok ? 0 : -ENOMEM;
}

static bool is_var(const char *entry, const char *name)
{
        size_t l = strlen(name);

        return strncmp(entry, name, l) == 0 && entry[l] == '=';
}

static void te_plan_free_fields(struct te_plan *p)
{
        free(p->preload);
        free(p->conf_env);
        free(p->program);
        free(p->via);
        free(p->why);
        free(p->note);
        memset(p, 0, sizeof(*p));
}

int te_plan(const struct ow_config *c, const char *malloc_conf, const char *agent_path,
            struct ac_child_env *agent_env, te_note_fn note, void *userdata, struct te_plan *ret)
{
        struct noter n = { note, userdata };
        struct te_plan p = { 0 };
        const char *old_preload = getenv("LD_PRELOAD");
        size_t count = 0, k = 0;
        char **e = NULL;
        int r;

        r = plan_allocator(c, &n, &p);
        if (r < 0)
                goto fail;
        /* without a profiling jemalloc the agent could not take a dump */
        if (!p.has_jemalloc)
                agent_path = NULL;
        p.agent = agent_path != NULL;
        for (char **q = environ; *q; q++)
                count++;
        e = calloc(count + 12, sizeof(char *));
        if (!e)
                goto nomem;
        for (char **q = environ; *q; q++) {
                if (is_var(*q, "MALLOC_CONF") || is_var(*q, "LD_PRELOAD") ||
                    strncmp(*q, "OOMWATCH_AGENT_", 15) == 0 || (p.conf_env && is_var(*q, p.conf_env)))
                        continue;
                e[k] = strdup(*q);
                if (!e[k])
                        goto nomem;
                k++;
        }
        if (asprintf(&e[k], "MALLOC_CONF=%s", malloc_conf) < 0)
                goto nomem;
        k++;
        if (p.set_pythonmalloc) {
                if (!(e[k] = strdup("PYTHONMALLOC=malloc")))
                        goto nomem;
                k++;
        }
        if (p.conf_env) {
                if (asprintf(&e[k], "%s=%s", p.conf_env, malloc_conf) < 0)
                        goto nomem;
                k++;
        }
        if (p.preload || agent_path || (old_preload && *old_preload)) {
                if (asprintf(&e[k], "LD_PRELOAD=%s%s%s%s%s", p.preload ? p.preload : "",
                             p.preload && agent_path ? ":" : "", agent_path ? agent_path : "",
                             (p.preload || agent_path) && old_preload && *old_preload ? ":" : "",
                             old_preload ? old_preload : "") < 0)
                        goto nomem;
                k++;
        }
        if (agent_path && c->processes) {
                /* the agent gives a program exec'd in scope the jemalloc and
                 * MALLOC_CONF it takes away from one out of scope */
                if (asprintf(&e[k], "%s=%s", AGENT_ENV_SCOPE, c->processes) < 0)
                        goto nomem;
                k++;
                if (asprintf(&e[k], "%s=%s", AGENT_ENV_MALLOC_CONF, malloc_conf) < 0)
                        goto nomem;
                k++;
                if (p.preload) {
                        if (asprintf(&e[k], "%s=%s", AGENT_ENV_JEMALLOC, p.preload) < 0)
                                goto nomem;
                        k++;
                }
        }
        p.n_owned = k;
        if (agent_path) {
                /* filled in by the child after fork, in its copy of *agent_env */
                e[k++] = agent_env->fd;
                e[k++] = agent_env->pid;
                e[k++] = agent_env->ino;
        }
        e[k] = NULL;
        p.envp = e;
        *ret = p;
        return 0;
nomem:
        r = -ENOMEM;
fail:
        for (size_t i = 0; e && i < k; i++)
                free(e[i]);
        free(e);
        te_plan_free_fields(&p);
        return r;
}

void te_plan_free(struct te_plan *p)
{
        for (size_t i = 0; p->envp && i < p->n_owned; i++)
                free(p->envp[i]);
        free(p->envp);
        te_plan_free_fields(p);
}

int te_plan_set_malloc_conf(struct te_plan *p, const char *malloc_conf)
{
        for (size_t i = 0; p->envp && i < p->n_owned; i++) {
                const char *name = is_var(p->envp[i], "MALLOC_CONF") ? "MALLOC_CONF"
                                   : p->conf_env && is_var(p->envp[i], p->conf_env) ? p->conf_env
                                                                                     : NULL;
                char *n = NULL;
                if (!name)
                        continue;
                if (asprintf(&n, "%s=%s", name, malloc_conf) < 0)
                        return -ENOMEM;
                free(p->envp[i]);
                p->envp[i] = n;
        }
        return 0;
}

void te_agent_env_inert(struct ac_child_env *agent_env)
{
        snprintf(agent_env->fd, sizeof(agent_env->fd), "%s=", AGENT_ENV_FD);
        snprintf(agent_env->pid, sizeof(agent_env->pid), "%s=", AGENT_ENV_PID);
        snprintf(agent_env->ino, sizeof(agent_env->ino), "%s=", AGENT_ENV_INO);
}

/* dir/name when it is accessible with mode, else NULL */
static char *companion_at(const char *dir, const char *name, int mode)
{
        char *p = NULL;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return NULL;
        if (access(p, mode) != 0) {
                free(p);
                return NULL;
        }
        return p;
}

/* installed: <prefix>/bin/oomwatch and <prefix>/lib/oomwatch/ */
char *te_find_companion(const char *name, int mode)
{
        char *self = realpath("/proc/self/exe", NULL), *p = NULL, *slash;

        if (self && (slash = strrchr(self, '/'))) {
                *slash = '\0';
                p = companion_at(self, name, mode);
                if (!p && (slash = strrchr(self, '/'))) {
                        char *lib = NULL;
                        *slash = '\0';
                        if (asprintf(&lib, "%s/lib/oomwatch", self) >= 0)
                                p = companion_at(lib, name, mode);
                        free(lib);
                }
        }
        free(self);
        return p ? p : companion_at(OOMWATCH_LIBDIR "/oomwatch", name, mode);
}

char *te_find_agent(void)
{
        return te_find_companion("liboomwatch-agent.so", R_OK);
}
