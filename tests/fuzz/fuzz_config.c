/* Fuzz entry point: the configuration parser and the MALLOC_CONF composer
 * on arbitrary file contents. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mallconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ow_config c;
        struct mc_result m = { 0 };
        char *text, *err = NULL;

        if (size > 1 << 16)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        cfg_init(&c);
        if (cfg_load_string(&c, "fuzz.conf", text, &err) == 0) {
                free(err);
                err = NULL;
                (void)cfg_check(&c, false, &err);
                if (mc_compose(&c, "/tmp/oomwatch", &m, &err) == 0)
                        free(m.conf);
        }
        /* the raw bytes as a malloc_conf value too */
        free(err);
        err = NULL;
        (void)mc_validate_pairs(text, &err);
        free(err);
        cfg_free(&c);
        free(text);
        return 0;
}
