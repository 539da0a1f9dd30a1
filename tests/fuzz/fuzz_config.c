/* Fuzz entry point: the configuration parser and the MALLOC_CONF composer
 * on arbitrary file contents. A file that loads must also check, compose
 * and print without a fault; a failure always comes with a message.
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
