/* Function names shortened to a display width; see an_name_fit in
 * analyzer.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "an_util.h"
#include "analyzer.h"

/* Depth of each '<' at its position (1 = outermost), 0 elsewhere; the
 * largest depth in *ret_max. */
static void bracket_depths(const char *name, size_t len, unsigned char *depth, unsigned *ret_max)
{
        unsigned d = 0, max = 0;
        for (size_t i = 0; i < len; i++) {
                depth[i] = 0;
                size_t op = au_operator_len(name, i);
                if (op) {
                        memset(depth + i, 0, op);
                        i += op - 1;
                        continue;
                }
                if (name[i] == '<') {
                        d++;
                        depth[i] = d > 255 ? 255 : (unsigned char)d;
                        if (d > max)
                                max = d;
                } else if (name[i] == '>' && d > 0) {
                        d--;
                }
        }
        *ret_max = max;
}

/* Copy s into out with every bracket group opened at depth >= level and
 * longer than "<...>" replaced by "<...>"; out has room for len + 1 bytes
 * (the result is never longer). Returns the new length. */
static size_t collapse(const char *s, size_t len, const unsigned char *depth, unsigned level, char *out)
{
        size_t w = 0;
        for (size_t i = 0; i < len;) {
                if (depth[i] >= level) {
                        size_t j = au_close_bracket(s, i);   /* s is NUL-terminated at len */
                        if (j != SIZE_MAX && j < len && j + 1 - i > 5) {
                                memcpy(out + w, "<...>", 5);
                                w += 5;
                                i = j + 1;
                                continue;
                        }
                }
                out[w++] = s[i++];
        }
        out[w] = '\0';
        return w;
}

const char *an_name_fit(const char *name, size_t width, char *buf, size_t len)
{
        size_t n = strlen(name);
        if (!len)
                return "";
        if (n <= width && n < len) {
                memcpy(buf, name, n + 1);
                return buf;
        }
        char *s = malloc(n + 1);
        unsigned char *depth = malloc(n + 1);
        if (s && depth) {
                unsigned max;
                bracket_depths(name, n, depth, &max);
                memcpy(s, name, n + 1);
                /* collapse the innermost arguments first, then outwards */
                for (unsigned level = max; level >= 1 && strlen(s) > width; level--)
                        collapse(name, n, depth, level, s);
        }
        const char *src = s ? s : name;
        n = strlen(src);
        if (n <= width && n < len) {
                memcpy(buf, src, n + 1);
        } else {
                /* still too long: keep the head and the tail (the function's
                 * own name) around "..." */
                size_t w = width < len ? width : len - 1;
                if (w < 8) {
                        memcpy(buf, src, w);
                        buf[w] = '\0';
                } else {
                        size_t tail = (w - 3) / 2, head = w - 3 - tail;
                        memcpy(buf, src, head);
                        memcpy(buf + head, "...", 3);
                        memcpy(buf + head + 3, src + n - tail, tail);
                        buf[w] = '\0';
                }
        }
        free(s);
        free(depth);
        return buf;
}
