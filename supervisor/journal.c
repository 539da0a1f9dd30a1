/* The journal's native protocol; see journal.h. */
#include "journal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct jn {
        int fd;
        unsigned long dropped;
        char *buf;
};

int jn_open(const char *path, struct jn **ret)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct jn *j;
        int r;

        if (!path)
                path = JN_SOCKET;
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        j = calloc(1, sizeof(*j));
        if (!j || !(j->buf = malloc(JN_MAX_ENTRY))) {
                free(j);
                return -ENOMEM;
        }
        j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (j->fd < 0 || connect(j->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                r = -errno;
                jn_close(j);
                return r;
        }
        *ret = j;
        return 0;
}

void jn_close(struct jn *j)
{
        if (!j)
                return;
        if (j->fd >= 0)
                close(j->fd);
        free(j->buf);
        free(j);
}

int jn_send(struct jn *j, const struct jn_field *f, size_t n)
{
        size_t len = 0;

        for (size_t i = 0; i < n; i++) {
                size_t nl = strlen(f[i].name);
                bool binary = memchr(f[i].value, '\n', f[i].len) != NULL;
                size_t need = nl + (binary ? 1 + 8 : 1) + f[i].len + 1;
                if (len + need > JN_MAX_ENTRY)
                        return -EMSGSIZE;
                memcpy(j->buf + len, f[i].name, nl);
                len += nl;
                if (binary) {
                        uint64_t le = (uint64_t)f[i].len;
                        j->buf[len++] = '\n';
                        for (int b = 0; b < 8; b++)
                                j->buf[len++] = (char)((le >> (8 * b)) & 0xff);
                } else {
                        j->buf[len++] = '=';
                }
                memcpy(j->buf + len, f[i].value, f[i].len);
                len += f[i].len;
                j->buf[len++] = '\n';
        }
        if (send(j->fd, j->buf, len, MSG_NOSIGNAL) < 0) {
                int r = -errno;
                if (r == -EAGAIN || r == -EWOULDBLOCK) {
                        j->dropped++;
                        return -EAGAIN;
                }
                return r;
        }
        return 0;
}

unsigned long jn_dropped(const struct jn *j)
{
        return j ? j->dropped : 0;
}

char *jn_field_name(const char *key, char *buf, size_t len)
{
        size_t k = 0;
        const char *prefix = "OOMWATCH_";

        if (!len)
                return buf;
        if (len > 65)
                len = 65;
        for (const char *p = prefix; *p && k + 1 < len; p++)
                buf[k++] = *p;
        for (const unsigned char *p = (const unsigned char *)key; *p && k + 1 < len; p++)
                buf[k++] = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A')
                           : ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) ? (char)*p : '_';
        buf[k] = '\0';
        return buf;
}
