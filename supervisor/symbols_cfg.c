/* The parts of symbols.h the supervisor itself uses (where the cache is,
 * whether debuginfod URLs are well-formed): in a file of their own, so
 * that the supervisor links none of the analyzer. */
#include "symbols.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *syms_default_cache(void)
{
        char *p = NULL;
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        int n;
        if (geteuid() == 0)
                n = asprintf(&p, "/var/cache/oomwatch");
        else if (xdg && xdg[0] == '/')
                n = asprintf(&p, "%s/oomwatch", xdg);
        else if (home && home[0] == '/')
                n = asprintf(&p, "%s/.cache/oomwatch", home);
        else
                return NULL;
        return n < 0 ? NULL : p;
}

int syms_cache_dir(const char *value, char **ret)
{
        char *p = NULL;
        if (!value || strcmp(value, "auto") == 0)
                p = syms_default_cache();
        else if (strcmp(value, "off") != 0 && !(p = strdup(value)))
                return -ENOMEM;
        *ret = p;
        return 0;
}

int syms_check_urls(const char *value, const char **ret_reason)
{
        if (!value || strcmp(value, "env") == 0 || strcmp(value, "off") == 0)
                return 0;
        size_t n = 0;
        for (const char *p = value; *p;) {
                p += strspn(p, " \t");
                size_t len = strcspn(p, " \t");
                if (!len)
                        break;
                if (!(strncmp(p, "http://", 7) == 0 && len > 7) && !(strncmp(p, "https://", 8) == 0 && len > 8) &&
                    !(strncmp(p, "file://", 7) == 0 && len > 7)) {
                        *ret_reason = "expected env, off, or URLs (http://, https://, file://) separated by blanks";
                        return -EINVAL;
                }
                for (size_t i = 0; i < len; i++)
                        if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] == 0x7f) {
                                *ret_reason = "a URL with a control character";
                                return -EINVAL;
                        }
                n++;
                p += len;
        }
        if (!n) {
                *ret_reason = "expected env, off, or at least one URL";
                return -EINVAL;
        }
        return 0;
}
