/* Failure messages through *ret_err (errmsg.h). */
#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int err_set(char **ret_err, int r, const char *fmt, ...)
{
        va_list ap;

        if (ret_err) {
                free(*ret_err);
                va_start(ap, fmt);
                if (vasprintf(ret_err, fmt, ap) < 0)
                        *ret_err = NULL;
                va_end(ap);
        }
        return r;
}
