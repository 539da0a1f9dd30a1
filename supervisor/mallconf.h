/* MALLOC_CONF: validation of user-supplied jemalloc option pairs and
 * composition of the string the target gets.
 *
 * jemalloc parses MALLOC_CONF as name:value pairs separated by ','. A
 * malformed or unknown pair makes jemalloc print a warning and carry on
 * with that option unset, so oomwatch checks the pairs itself first. */
#pragma once
#include <stdbool.h>

#include "config.h"

/* Check "name:value[,name:value...]" against jemalloc 5.3's option names
 * and value kinds: whole numbers must fit in 64 bits, lg_prof_sample must
 * be from 0 to 63 and lg_prof_interval from -1 to 63. Returns 0, or
 * -EINVAL with *ret_why (malloc'd, owned by the caller) naming the
 * offending pair and how to fix it; -ENOMEM. */
int mc_validate_pairs(const char *pairs, char **ret_why);

/* Is name a jemalloc option oomwatch knows of? */
bool mc_option_known(const char *name);

struct mc_result {
        char *conf;                /* the MALLOC_CONF value, malloc'd */
        int lg_prof_sample;        /* effective, after the user's pairs; 0..63 */
        int lg_prof_interval;      /* effective, -1..63; -1 = interval dumps off */
        bool prof;                 /* effective prof: false means no dumps at all */
};

/* Compose the MALLOC_CONF for a run of c's target: profiling options
 * from the [profiling] keys and the memory limit, prof_prefix = prefix
 * (the dump dir plus the file name prefix; must not contain ','), then the
 * user's malloc_conf pairs, each replacing the composed pair of the same
 * name. Returns 0 and fills *ret (free ret->conf), or -EINVAL with
 * *ret_why, or -ENOMEM. */
int mc_compose(const struct ow_config *c, const char *prefix, struct mc_result *ret, char **ret_why);
