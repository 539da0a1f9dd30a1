/* How oomwatch sets up symbolization for the analyzer, in the bundle's
 * analysis and in `oomwatch diff`/`trend`, and what it tells the user when
 * frames have no names.
 *
 * The symbol cache holds decompressed copies of compressed separate debug
 * files (analyzer/symfiles.h) and, under debuginfod/, what debuginfod
 * servers sent. "auto" is /var/cache/oomwatch for root, else
 * $XDG_CACHE_HOME/oomwatch or $HOME/.cache/oomwatch: the supervisor and a
 * later `oomwatch diff` of the same user share it.
 *
 * debuginfod: servers are asked only when configured (the report key
 * debuginfod_urls, else $DEBUGINFOD_URLS), for the modules that have no
 * debug file here, by build-id, within one time limit for the whole
 * analysis; libdebuginfod reads its settings from the environment, so the
 * functions here set it: they are for a process that runs analyses (the
 * analysis child, the command line), not for the supervisor's loop. */
#pragma once

#include <stdio.h>

struct an_options;
struct an_report;
struct json_writer;

/* The directory "auto" names for the current user: malloc'd, or NULL when
 * there is none (no HOME) or on ENOMEM. */
char *syms_default_cache(void);

/* value of a cache setting: "off" -> NULL, "auto" (or NULL) ->
 * syms_default_cache(), else a copy. *ret is malloc'd (or NULL). Returns 0
 * or -ENOMEM. */
int syms_cache_dir(const char *value, char **ret);

/* Is value a debuginfod_urls setting: "env", "off", or URLs (http://,
 * https://, file://) separated by blanks? Returns 0 or -EINVAL with a
 * static *ret_reason. */
int syms_check_urls(const char *value, const char **ret_reason);

/* Set up debuginfod for the analyses of this process: urls is the setting
 * ("env" or NULL: $DEBUGINFOD_URLS as it is; "off": none; else the URLs,
 * put into $DEBUGINFOD_URLS), timeout_ms the limit for all queries of one
 * analysis (0: libdebuginfod's own limits only). With servers, sets
 * o->debuginfod and o->debuginfod_ms, $DEBUGINFOD_CACHE_PATH to
 * cache_dir/debuginfod unless it is set (cache_dir NULL: libdebuginfod's
 * default), and DEBUGINFOD_TIMEOUT/DEBUGINFOD_MAXTIME from the limit
 * unless they are set. Without servers, unsets $DEBUGINFOD_URLS so that
 * libdw does not ask on its own. Returns 0 or -ENOMEM. */
int syms_debuginfod_setup(struct an_options *o, const char *urls, unsigned timeout_ms, const char *cache_dir);

/* The build-ids of the modules in which r's top functions have no name,
 * for a second analysis that asks debuginfod servers for just those
 * (an_options.debuginfod_build_ids): a malloc'd NULL-terminated list (free
 * with syms_free_ids), or NULL when there are none (or on ENOMEM). */
char **syms_unnamed_build_ids(const struct an_report *r);
void syms_free_ids(char **ids);

/* For each module in which the report's top functions have no name: one
 * paragraph saying so, with the module's build-id and how to get names
 * (its debug symbols, or a debuginfod server), and what debuginfod said;
 * then how to name them afterwards: `oomwatch diff again`. Prints nothing
 * when every top function has a name. Returns the number of modules. */
unsigned syms_write_hints(FILE *f, const struct an_report *r, const char *again);

/* "modules": [{"path", "build_id", "debug_file", "debuginfod", "unnamed_functions"}]
 * as a member of the object w is in. */
void syms_write_json_modules(struct json_writer *w, const struct an_report *r);
