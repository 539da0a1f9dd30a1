/* Symbolization set-up and hints shared by the bundle and the CLI; see
 * symbols.h. */
#include "symbols.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer.h"
#include "fsutil.h"
#include "json.h"

int syms_debuginfod_setup(struct an_options *o, const char *urls, unsigned timeout_ms, const char *cache_dir)
{
        if (urls && strcmp(urls, "off") == 0)
                urls = "";
        else if (urls && strcmp(urls, "env") != 0 && setenv("DEBUGINFOD_URLS", urls, 1) < 0)
                return -ENOMEM;
        const char *env = getenv("DEBUGINFOD_URLS");
        if (!urls || strcmp(urls, "env") == 0)
                urls = env ? env : "";
        if (!urls[0]) {
                /* no servers: libdw must not ask any on its own either */
                (void)unsetenv("DEBUGINFOD_URLS");
                o->debuginfod = false;
                return 0;
        }
        o->debuginfod = true;
        o->debuginfod_ms = timeout_ms;
        char *path = NULL;
        if (cache_dir && !getenv("DEBUGINFOD_CACHE_PATH")) {
                if (asprintf(&path, "%s/debuginfod", cache_dir) < 0)
                        return -ENOMEM;
                /* libdebuginfod creates only the last directory; failing
                 * that, it finds nothing */
                (void)fs_mkdir_parents(path, 0700);
                int r = setenv("DEBUGINFOD_CACHE_PATH", path, 1);
                free(path);
                if (r < 0)
                        return -ENOMEM;
        }
        if (timeout_ms) {
                /* whole seconds, at least 1: libdebuginfod's units */
                char s[32];
                snprintf(s, sizeof(s), "%u", (timeout_ms + 999) / 1000);
                if ((!getenv("DEBUGINFOD_TIMEOUT") && setenv("DEBUGINFOD_TIMEOUT", s, 1) < 0) ||
                    (!getenv("DEBUGINFOD_MAXTIME") && setenv("DEBUGINFOD_MAXTIME", s, 1) < 0))
                        return -ENOMEM;
        }
        return 0;
}

char **syms_unnamed_build_ids(const struct an_report *r)
{
        size_t n = 0, count = an_report_module_count(r);
        char **ids = calloc(count + 1, sizeof(*ids));
        if (!ids)
                return NULL;
        for (size_t i = 0; i < count; i++) {
                struct an_module m;
                if (an_report_module(r, i, &m) == 0 && m.unnamed && m.build_id && !(ids[n++] = strdup(m.build_id))) {
                        syms_free_ids(ids);
                        return NULL;
                }
        }
        if (!n) {
                free(ids);
                return NULL;
        }
        return ids;
}

void syms_free_ids(char **ids)
{
        for (char **p = ids; p && *p; p++)
                free(*p);
        free(ids);
}

static const char *base_name(const char *p)
{
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

unsigned syms_write_hints(FILE *f, const struct an_report *r, const char *again)
{
        unsigned n = 0;
        for (size_t i = 0; i < an_report_module_count(r); i++) {
                struct an_module m;
                if (an_report_module(r, i, &m) < 0 || !m.unnamed)
                        continue;
                if (!n++)
                        fputc('\n', f);
                fprintf(f, "no names for %u of the top functions: address%s in %s (build-id %s)\n", m.unnamed,
                        m.unnamed == 1 ? "" : "es", base_name(m.path), m.build_id ? m.build_id : "unknown");
                if (!m.readable) {
                        fprintf(f, "  %s cannot be read here (gone, or not the file the dumps were made with):\n"
                                   "  name the executable with oomwatch diff --binary PATH, or analyse where it is.\n",
                                m.path);
                        continue;
                }
                fprintf(f, "  %s has no symbols there", m.path);
                if (m.debuginfod)
                        fprintf(f, "; debuginfod: %s", m.debuginfod);
                fputs(".\n  To name them, install its debug symbols (the distribution's -dbgsym or -dbg\n"
                      "  package: found by build-id under /usr/lib/debug/.build-id/), or name a\n"
                      "  debuginfod server (report.debuginfod_urls; DEBUGINFOD_URLS for oomwatch diff)",
                      f);
                if (again)
                        fprintf(f, ",\n  then run: %s", again);
                fputs(".\n", f);
        }
        return n;
}

void syms_write_json_modules(struct json_writer *w, const struct an_report *r)
{
        json_key(w, "modules");
        json_begin_array(w);
        for (size_t i = 0; i < an_report_module_count(r); i++) {
                struct an_module m;
                if (an_report_module(r, i, &m) < 0)
                        continue;
                json_begin_object(w);
                json_kv_string(w, "path", m.path);
                if (m.build_id)
                        json_kv_string(w, "build_id", m.build_id);
                else
                        json_kv_null(w, "build_id");
                if (m.debug_file)
                        json_kv_string(w, "debug_file", m.debug_file);
                else
                        json_kv_null(w, "debug_file");
                if (m.debuginfod)
                        json_kv_string(w, "debuginfod", m.debuginfod);
                json_kv_uint(w, "unnamed_functions", m.unnamed);
                json_end_object(w);
        }
        json_end_array(w);
}
