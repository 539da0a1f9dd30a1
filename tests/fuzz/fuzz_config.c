/* Fuzz entry point: the configuration parser and the MALLOC_CONF composer
 * on arbitrary file contents. A file that loads holds only values in the
 * ranges config.h and configs/oomwatch.conf document, and must also check,
 * compose and print without a fault; a failure always comes with a message.
 *
 * fuzz-sources: supervisor/config.c supervisor/mallconf.c supervisor/units.c
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mallconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every value a loaded file can leave in *c is one cfg_set accepts. */
static void check_loaded(const struct ow_config *c)
{
        int lg = cfg_lg_prof_interval(c);

        if (c->argv && !c->argv[0])
                abort();
        if ((unsigned)c->restart > CFG_RESTART_ALWAYS || c->restart_delay_ms > INT32_MAX ||
            c->max_restarts > 1000000)
                abort();
        if ((c->memory_limit && c->memory_limit < (4ULL << 20)) || c->memory_limit > UINT64_MAX / 2 ||
            c->swap > UINT64_MAX / 2 || c->n_warn_at > CFG_MAX_WARN_AT)
                abort();
        for (unsigned i = 0; i < c->n_warn_at; i++)
                if (c->warn_at[i] < 1 || c->warn_at[i] > 99 || (i && c->warn_at[i - 1] >= c->warn_at[i]))
                        abort();        /* not sorted, not unique or out of range */
        if (c->lg_prof_sample > 40 || (!c->interval_auto && c->interval &&
                                       (c->interval < (4ULL << 10) || c->interval > (1ULL << 40))))
                abort();
        if (lg < -1 || lg > 62 || (c->gdump == CFG_AUTO && (c->gdump_percent < 1 || c->gdump_percent > 99)))
                abort();
        if (c->keep < 1 || c->keep > 10000 || c->baseline_after_ms < -1 || c->baseline_after_ms > INT32_MAX ||
            c->max_bytes < (1ULL << 20) || c->max_bytes > UINT64_MAX / 2)
                abort();
        if ((c->dump_dir && (!*c->dump_dir || strchr(c->dump_dir, ','))) ||
            (c->parent && strstr(c->parent, "..")))
                abort();
        if ((unsigned)c->report_on > CFG_REPORT_ON_ALWAYS || c->top < 1 || c->top > 10000 ||
            (c->formats & ~(CFG_FMT_TEXT | CFG_FMT_JSON | CFG_FMT_COLLAPSED | CFG_FMT_SVG | CFG_FMT_DOT | CFG_FMT_PPROF | CFG_FMT_HTML)) ||
            (c->formats & (CFG_FMT_TEXT | CFG_FMT_JSON)) != (CFG_FMT_TEXT | CFG_FMT_JSON))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static FILE *devnull;
        struct ow_config c;
        struct mc_result m = { 0 };
        char *text, *err = NULL;
        int r;

        if (size > 1 << 16)
                return 0;
        if (!devnull && !(devnull = fopen("/dev/null", "we")))
                abort();
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        cfg_init(&c);
        r = cfg_load_string(&c, "fuzz.conf", text, &err);
        if (r < 0 && r != -ENOMEM && (!err || strncmp(err, "fuzz.conf:", 10) != 0))
                abort();        /* a content error names FILE:LINE */
        if (r == 0) {
                if (err)
                        abort();
                check_loaded(&c);
                (void)cfg_check(&c, false, &err);
                free(err);
                err = NULL;
                r = mc_compose(&c, "/tmp/oomwatch", &m, &err);
                if (r == 0)
                        free(m.conf);
                else if (r != -ENOMEM)
                        abort();        /* a loaded malloc_conf was validated already */
                cfg_print(&c, devnull);
        }
        /* the raw bytes as a malloc_conf value too */
        free(err);
        err = NULL;
        r = mc_validate_pairs(text, &err);
        if (r < 0 && r != -ENOMEM && !err)
                abort();
        free(err);
        cfg_free(&c);
        free(text);
        return 0;
}
