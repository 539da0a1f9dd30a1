/* libFuzzer entry point for the MALLOC_CONF validator and composer: random
 * [profiling] settings, a random malloc_conf value and a random dump prefix.
 *
 * Input: an 18-byte header, then "MALLOC_CONF\nPREFIX" (no '\n': no prefix
 * line, the default one is used). Header bytes, missing ones read as 0:
 *   0      flags: bit 0 interval auto, bit 1 final, bits 2-3 gdump
 *          (auto, on, off, off), bit 4 no malloc_conf at all
 *   1      lg_prof_sample (mod 41, the range cfg_set accepts)
 *   2..9   memory_limit, little-endian bytes (0 = not set)
 *   10..17 interval in bytes, when not auto (0 = interval dumps off)
 *
 * A composed string must hold exactly what was asked for: known option
 * names, each once; the prefix as prof_prefix; every user pair verbatim;
 * every other pair valid as a user pair; effective numbers that match the
 * string and that a caller can shift by. A refusal always explains itself.
 *
 * fuzz-sources: supervisor/config.c supervisor/mallconf.c supervisor/units.c
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mallconf.h"

#define HEADER 18

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le64(const uint8_t *h)
{
        uint64_t v = 0;

        for (int i = 7; i >= 0; i--)
                v = v << 8 | h[i];
        return v;
}

/* The value of name in a composed "a:b,c:d" string, malloc'd; NULL if absent. */
static char *value_of(const char *conf, const char *name)
{
        size_t nl = strlen(name);

        for (const char *p = conf; p && *p;) {
                const char *end = strchr(p, ',');
                size_t len = end ? (size_t)(end - p) : strlen(p);
                if (len > nl && memcmp(p, name, nl) == 0 && p[nl] == ':')
                        return strndup(p + nl + 1, len - nl - 1);
                p = end ? end + 1 : NULL;
        }
        return NULL;
}

static void check_composed(const struct mc_result *m, const char *user, const char *prefix)
{
        const char *conf = m->conf;
        char *rest, *w, *v;
        char *err = NULL;
        long lg;

        if (!conf)
                abort();
        /* names known and unique, prof_prefix carries the prefix */
        rest = malloc(strlen(conf) + 1);
        if (!rest)
                abort();
        w = rest;
        for (const char *p = conf; *p;) {
                const char *end = strchr(p, ','), *colon;
                size_t len = end ? (size_t)(end - p) : strlen(p);
                colon = memchr(p, ':', len);
                if (!colon || colon == p)
                        abort();
                char name[64];
                if ((size_t)(colon - p) >= sizeof(name))
                        abort();
                memcpy(name, p, (size_t)(colon - p));
                name[colon - p] = '\0';
                if (!mc_option_known(name))
                        abort();
                for (const char *q = end ? end + 1 : p + len; *q;) {
                        const char *e2 = strchr(q, ',');
                        if (strncmp(q, name, strlen(name)) == 0 && q[strlen(name)] == ':')
                                abort();        /* given twice */
                        q = e2 ? e2 + 1 : q + strlen(q);
                }
                if (strcmp(name, "prof_prefix") == 0) {
                        if (len - (size_t)(colon + 1 - p) != strlen(prefix) || memcmp(colon + 1, prefix, strlen(prefix)) != 0)
                                abort();
                } else {
                        if (w != rest)
                                *w++ = ',';
                        memcpy(w, p, len);
                        w += len;
                }
                p += len + (end ? 1 : 0);
        }
        *w = '\0';
        /* everything but prof_prefix is what a user could have written */
        if (*rest && mc_validate_pairs(rest, &err) != 0)
                abort();
        free(err);
        free(rest);

        /* the user's pairs win, verbatim */
        for (const char *p = user; p && *p;) {
                const char *end = strchr(p, ','), *colon;
                size_t len = end ? (size_t)(end - p) : strlen(p);
                colon = memchr(p, ':', len);
                char *name = strndup(p, (size_t)(colon - p));
                v = name ? value_of(conf, name) : NULL;
                if (!v || strlen(v) != len - (size_t)(colon + 1 - p) || memcmp(v, colon + 1, strlen(v)) != 0)
                        abort();
                free(v);
                free(name);
                p += len + (end ? 1 : 0);
        }

        /* effective numbers: as in the string, and usable as shift counts */
        v = value_of(conf, "lg_prof_sample");
        lg = v ? strtol(v, NULL, 10) : -2;
        if (!v || lg != m->lg_prof_sample || m->lg_prof_sample < 0 || m->lg_prof_sample > 63)
                abort();
        free(v);
        v = value_of(conf, "lg_prof_interval");
        lg = v ? strtol(v, NULL, 10) : -2;
        if (!v || lg != m->lg_prof_interval || m->lg_prof_interval < -1 || m->lg_prof_interval > 63)
                abort();
        free(v);
        v = value_of(conf, "prof");
        if (!v || m->prof != (strcmp(v, "true") == 0))
                abort();
        free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t h[HEADER] = { 0 };
        struct ow_config c;
        struct mc_result m = { 0 };
        char *text, *user, *prefix, *nl, *err = NULL;
        bool user_ok;
        int r;

        if (size > 1 << 14)
                return 0;
        memcpy(h, data, size < HEADER ? size : HEADER);
        size = size < HEADER ? 0 : size - HEADER;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data + HEADER * (size > 0), size);
        text[size] = '\0';
        user = text;
        prefix = "oomwatch-dumps/oomwatch";
        nl = strchr(text, '\n');
        if (nl) {
                *nl = '\0';
                prefix = nl + 1;
        }

        /* the validator alone */
        r = mc_validate_pairs(user, &err);
        if (r < 0 && (r != -ENOMEM && (!err || r != -EINVAL)))
                abort();
        if (r > 0)
                abort();
        user_ok = r == 0;
        free(err);
        err = NULL;

        cfg_init(&c);
        c.interval_auto = h[0] & 1;
        c.final = h[0] & 2;
        c.gdump = (h[0] >> 2 & 3) == 0 ? CFG_AUTO : (h[0] >> 2 & 3) == 1 ? CFG_ON : CFG_OFF;
        c.gdump_percent = 90;
        c.lg_prof_sample = h[1] % 41;
        c.memory_limit = le64(h + 2);
        c.interval = c.interval_auto ? 0 : le64(h + 10);
        c.malloc_conf = h[0] & 16 ? NULL : user;

        r = mc_compose(&c, prefix, &m, &err);
        if (r == 0) {
                if (err || (c.malloc_conf && !user_ok) || strchr(prefix, ','))
                        abort();        /* accepted what it should refuse */
                check_composed(&m, c.malloc_conf, prefix);
                free(m.conf);
        } else if (r == -EINVAL) {
                if (!err || ((!c.malloc_conf || user_ok) && !strchr(prefix, ',')))
                        abort();        /* refused a good input, or without a reason */
        } else if (r != -ENOMEM) {
                abort();
        }
        free(err);
        c.malloc_conf = NULL;   /* text is not the config's to free */
        cfg_free(&c);
        free(text);
        return 0;
}
