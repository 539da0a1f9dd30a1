/* The termination log (termlog.h). */
#include "termlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cglocate.h"

#define REPORT_HEAD_MAX 16384
#define TOP_LINES 5

const char *tlog_path(const struct ow_config *cfg)
{
        if (cfg->termination_log_off)
                return NULL;
        if (cfg->termination_log)
                return cfg->termination_log;
        return access(TLOG_DEFAULT_PATH, W_OK) == 0 ? TLOG_DEFAULT_PATH : NULL;
}

static void append(char *buf, size_t len, size_t *pos, const char *s, size_t n)
{
        size_t cap = len < TLOG_MAX_BYTES + 1 ? len : TLOG_MAX_BYTES + 1;

        if (*pos + 1 >= cap)
                return;
        if (n > cap - 1 - *pos)
                n = cap - 1 - *pos;
        memcpy(buf + *pos, s, n);
        *pos += n;
        buf[*pos] = '\0';
}

/* report.txt's head: "key:   value" lines, then the first list of growers
 * ("where it grew ...:", or "top growers:") and its indented rows; the rest
 * (the full table, the trend) stays in the bundle. */
size_t tlog_compose(const char *report, const char *bundle_dir, char *buf, size_t len)
{
        static const char *const keep[] = { "verdict:", "target:", "limit:", "peak:", "oom kills:", "heap growth:",
                                            "time:", "host:" };
        size_t pos = 0;
        int top = -1;

        if (!len)
                return 0;
        buf[0] = '\0';
        append(buf, len, &pos, "oomwatch incident\n", 18);
        for (const char *p = report; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                size_t n = strcspn(p, "\n");
                if (strncmp(p, "top growers:", 12) == 0 || strncmp(p, "where it grew", 13) == 0) {
                        top = 0;
                        append(buf, len, &pos, p, n);
                        append(buf, len, &pos, "\n", 1);
                        continue;
                }
                if (top >= 0) {
                        if (n == 0 || p[0] != ' ')
                                break;
                        if (top++ < TOP_LINES) {
                                append(buf, len, &pos, p, n);
                                append(buf, len, &pos, "\n", 1);
                        }
                        continue;
                }
                if (strncmp(p, "all growth", 10) == 0)
                        break;
                for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
                        if (strncmp(p, keep[i], strlen(keep[i])) == 0 ||
                            strncmp(p, "no heap analysis:", 17) == 0) {
                                append(buf, len, &pos, p, n);
                                append(buf, len, &pos, "\n", 1);
                                break;
                        }
        }
        append(buf, len, &pos, "bundle: ", 8);
        append(buf, len, &pos, bundle_dir, strlen(bundle_dir));
        append(buf, len, &pos, "\n", 1);
        return pos;
}

int tlog_write(const char *path, const char *bundle_dir)
{
        char *rp = NULL, *report = NULL, *out;
        size_t n;
        ssize_t w;
        int fd, r;

        if (asprintf(&rp, "%s/report.txt", bundle_dir) < 0)
                return -ENOMEM;
        r = cgl_read_text(rp, REPORT_HEAD_MAX, &report);
        free(rp);
        if (r < 0)
                return r;
        out = malloc(TLOG_MAX_BYTES + 1);
        if (!out) {
                free(report);
                return -ENOMEM;
        }
        n = tlog_compose(report, bundle_dir, out, TLOG_MAX_BYTES + 1);
        free(report);
        /* O_NONBLOCK: a FIFO planted at the configured path must not stall us */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
        if (fd < 0) {
                r = -errno;
                free(out);
                return r;
        }
        w = write(fd, out, n);
        r = w < 0 ? -errno : (size_t)w != n ? -EIO : (int)n;
        if (close(fd) < 0 && r >= 0)
                r = -errno;
        free(out);
        return r;
}
