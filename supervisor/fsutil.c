/* File-system helpers. */
#include "fsutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int fs_mkdir_parents(const char *path, mode_t mode)
{
        char *p = strdup(path);
        int r = 0;

        if (!p)
                return -ENOMEM;
        for (char *c = p + 1; *c; c++) {
                if (*c != '/')
                        continue;
                *c = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        r = -errno;
                *c = '/';
                if (r < 0)
                        break;
        }
        if (r == 0 && mkdir(p, mode) < 0 && errno != EEXIST)
                r = -errno;
        free(p);
        return r;
}
