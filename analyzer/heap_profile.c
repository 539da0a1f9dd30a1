/* heap_v2 parser and sampling correction; see heap_profile.h. */
#include "heap_profile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "an_util.h"

double hp_scale_factor(uint64_t objs, uint64_t bytes, uint64_t period)
{
        if (objs == 0 || period == 0)
                return 1.0;
        double ratio = ((double)bytes / (double)objs) / (double)period;
        /* 1 - exp(-ratio), computed without cancellation for small ratios */
        double p = -expm1(-ratio);
        if (!(p > 0.0))
                return 1.0;
        return 1.0 / p;
}

static void limits_fill(struct hp_limits *l, const struct hp_limits *in)
{
        if (in)
                *l = *in;
        else
                memset(l, 0, sizeof(*l));
        if (!l->max_bytes)
                l->max_bytes = HP_DEFAULT_MAX_BYTES;
        if (!l->max_frames)
                l->max_frames = HP_DEFAULT_MAX_FRAMES;
        if (!l->max_stacks)
                l->max_stacks = HP_DEFAULT_MAX_STACKS;
        if (!l->max_line)
                l->max_line = HP_DEFAULT_MAX_LINE;
        if (!l->max_maps)
                l->max_maps = HP_DEFAULT_MAX_MAPS;
}

void hp_profile_free(struct hp_profile *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->nmaps; i++)
                free(p->maps[i].path);
        free(p->maps);
        free(p->stacks);
        free(p->frames);
        free(p->name);
        free(p);
}

/* ---- small cursor parsers over one line (s .. e) ---------------------- */

struct cur {
        const char *s, *e;
};

static void skip_ws(struct cur *c)
{
        while (c->s < c->e && (*c->s == ' ' || *c->s == '\t'))
                c->s++;
}

static bool eat(struct cur *c, char ch)
{
        if (c->s < c->e && *c->s == ch) {
                c->s++;
                return true;
        }
        return false;
}

static bool parse_dec(struct cur *c, uint64_t *ret)
{
        uint64_t v = 0;
        const char *start = c->s;
        while (c->s < c->e && *c->s >= '0' && *c->s <= '9') {
                unsigned d = (unsigned)(*c->s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
                c->s++;
        }
        if (c->s == start)
                return false;
        *ret = v;
        return true;
}

/* hex digit value + 1 by character, 0 for the others: the addresses of
 * every frame go through here (a table, not three range tests a digit) */
#define HEXD(ch, v) [ch] = (v) + 1
static const uint8_t hex_digit[256] = {
        HEXD('0', 0), HEXD('1', 1), HEXD('2', 2), HEXD('3', 3), HEXD('4', 4), HEXD('5', 5), HEXD('6', 6),
        HEXD('7', 7), HEXD('8', 8), HEXD('9', 9), HEXD('a', 10), HEXD('b', 11), HEXD('c', 12), HEXD('d', 13),
        HEXD('e', 14), HEXD('f', 15), HEXD('A', 10), HEXD('B', 11), HEXD('C', 12), HEXD('D', 13), HEXD('E', 14),
        HEXD('F', 15),
};
#undef HEXD

static bool parse_hex(struct cur *c, uint64_t *ret)
{
        uint64_t v = 0;
        const char *start = c->s;
        unsigned d;
        while (c->s < c->e && (d = hex_digit[(unsigned char)*c->s]) != 0) {
                if (v >> 60)
                        return false;
                v = (v << 4) | (d - 1);
                c->s++;
        }
        if (c->s == start)
                return false;
        *ret = v;
        return true;
}

/* at end of token: end of line or blank */
static bool at_sep(const struct cur *c)
{
        return c->s == c->e || *c->s == ' ' || *c->s == '\t';
}

/* ---- the parser ----------------------------------------------------------- */

enum pstate { ST_HEADER, ST_PRE, ST_STACK_NEW, ST_STACK, ST_MAPS };

struct parser {
        const char *name;
        struct hp_limits lim;
        bool totals_only;
        struct hp_profile *p;
        char **ret_err;
        unsigned long line;
        unsigned long stack_line;   /* line of the pending '@' */
        enum pstate st;
        size_t nmaplines;
};

#define PERR(ps, err, ...) au_err((ps)->ret_err, (err), (ps)->name, (ps)->line, __VA_ARGS__)

static int parse_counts(struct parser *ps, struct cur *c, bool *ret_star,
                        uint64_t v[4])
{
        /* t*: or t<N>: */
        if (!eat(c, 't'))
                return PERR(ps, -EBADMSG, "expected a 't*:' or 'tN:' count line");
        bool star = eat(c, '*');
        if (!star) {
                uint64_t tid;
                if (!parse_dec(c, &tid))
                        return PERR(ps, -EBADMSG, "bad thread id in count line");
        }
        if (!eat(c, ':'))
                return PERR(ps, -EBADMSG, "expected ':' after thread id");
        for (int i = 0; i < 4; i++) {
                skip_ws(c);
                if (i == 2 && !eat(c, '['))
                        return PERR(ps, -EBADMSG, "expected '[' before cumulative counts");
                skip_ws(c);
                if (!parse_dec(c, &v[i]))
                        return PERR(ps, -EBADMSG, "bad number in count line (want a decimal integer)");
                skip_ws(c);
                if (i % 2 == 0 && !eat(c, ':'))
                        return PERR(ps, -EBADMSG, "expected ':' between objects and bytes");
        }
        if (!eat(c, ']'))
                return PERR(ps, -EBADMSG, "expected ']' after cumulative counts");
        skip_ws(c);
        if (c->s != c->e)
                return PERR(ps, -EBADMSG, "trailing garbage after count line");
        *ret_star = star;
        return 0;
}

static int parse_stack_line(struct parser *ps, struct cur *c)
{
        struct hp_profile *p = ps->p;
        if (p->nstacks >= ps->lim.max_stacks)
                return PERR(ps, -E2BIG, "more than %u stacks", ps->lim.max_stacks);
        size_t first = p->nframes;
        uint32_t n = 0;
        for (;;) {
                skip_ws(c);
                if (c->s == c->e)
                        break;
                uint64_t a;
                if (!eat(c, '0') || !(eat(c, 'x') || eat(c, 'X')) || !parse_hex(c, &a) || !at_sep(c))
                        return PERR(ps, -EBADMSG, "bad address in stack (want 0x<hex>)");
                if (++n > ps->lim.max_frames)
                        return PERR(ps, -E2BIG, "stack has more than %u frames", ps->lim.max_frames);
                if (!ps->totals_only) {
                        if (p->nframes >= UINT32_MAX)
                                return PERR(ps, -E2BIG, "too many frames in total");
                        if (p->nframes >= p->cap_frames &&
                            au_grow(&p->frames, &p->cap_frames, p->nframes + 1, sizeof(*p->frames)) < 0)
                                return PERR(ps, -ENOMEM, "out of memory");
                        p->frames[p->nframes++] = a;
                }
        }
        if (n == 0)
                return PERR(ps, -EBADMSG, "stack with no addresses");
        if (au_grow(&p->stacks, &p->cap_stacks, p->nstacks + 1, sizeof(*p->stacks)) < 0)
                return PERR(ps, -ENOMEM, "out of memory");
        struct hp_stack *s = &p->stacks[p->nstacks];
        memset(s, 0, sizeof(*s));
        s->first = ps->totals_only ? 0 : (uint32_t)first;
        s->nframes = ps->totals_only ? 0 : n;
        ps->stack_line = ps->line;
        ps->st = ST_STACK_NEW;
        return 0;
}

static int finish_stack(struct parser *ps)
{
        if (ps->st == ST_STACK_NEW) {
                unsigned long l = ps->line;
                ps->line = ps->stack_line;
                int r = PERR(ps, -EBADMSG, "stack has no 't*:' count line");
                ps->line = l;
                return r;
        }
        if (ps->st == ST_STACK)
                ps->p->nstacks++;
        return 0;
}

static int parse_map_line(struct parser *ps, struct cur *c)
{
        if (++ps->nmaplines > ps->lim.max_maps)
                return PERR(ps, -E2BIG, "more than %u mapping lines", ps->lim.max_maps);
        uint64_t start, end, off, inode;
        if (!parse_hex(c, &start) || !eat(c, '-') || !parse_hex(c, &end) || !at_sep(c) || end < start)
                return PERR(ps, -EBADMSG, "bad address range in MAPPED_LIBRARIES");
        skip_ws(c);
        const char *perms = c->s;
        while (c->s < c->e && !at_sep(c))
                c->s++;
        if (c->s - perms != 4)
                return PERR(ps, -EBADMSG, "bad permissions in MAPPED_LIBRARIES");
        skip_ws(c);
        if (!parse_hex(c, &off) || !at_sep(c))
                return PERR(ps, -EBADMSG, "bad offset in MAPPED_LIBRARIES");
        skip_ws(c);
        const char *dev = c->s;
        while (c->s < c->e && !at_sep(c))
                c->s++;
        if (c->s == dev)
                return PERR(ps, -EBADMSG, "missing device in MAPPED_LIBRARIES");
        skip_ws(c);
        if (!parse_dec(c, &inode) || !at_sep(c))
                return PERR(ps, -EBADMSG, "bad inode in MAPPED_LIBRARIES");
        skip_ws(c);
        if (ps->totals_only || perms[2] != 'x' || c->s == c->e || *c->s != '/')
                return 0;       /* only executable file mappings matter */
        size_t len = (size_t)(c->e - c->s);
        static const char deleted[] = " (deleted)";
        if (len > sizeof(deleted) - 1 && memcmp(c->e - (sizeof(deleted) - 1), deleted, sizeof(deleted) - 1) == 0)
                len -= sizeof(deleted) - 1;
        struct hp_profile *p = ps->p;
        if (au_grow(&p->maps, &p->cap_maps, p->nmaps + 1, sizeof(*p->maps)) < 0)
                return PERR(ps, -ENOMEM, "out of memory");
        char *path = strndup(c->s, len);
        if (!path)
                return PERR(ps, -ENOMEM, "out of memory");
        /* /proc/PID/maps writes a newline in a path as "\012" */
        for (char *r = path, *w = path;; r++) {
                if (r[0] == '\\' && r[1] == '0' && r[2] == '1' && r[3] == '2') {
                        *w++ = '\n';
                        r += 3;
                } else if (!(*w++ = *r)) {
                        break;
                }
        }
        p->maps[p->nmaps++] = (struct hp_map){ .start = start, .end = end, .offset = off,
                                               .exec = true, .path = path };
        return 0;
}

static int parse_line(struct parser *ps, const char *s, const char *e)
{
        struct cur c = { s, e };
        /* trim blanks and CR at both ends */
        while (c.s < c.e && (*c.s == ' ' || *c.s == '\t' || *c.s == '\r'))
                c.s++;
        while (c.e > c.s && (c.e[-1] == ' ' || c.e[-1] == '\t' || c.e[-1] == '\r'))
                c.e--;

        if (ps->st == ST_HEADER) {
                static const char magic[] = "heap_v2/";
                uint64_t period;
                if ((size_t)(c.e - c.s) < sizeof(magic) - 1 || memcmp(c.s, magic, sizeof(magic) - 1) != 0)
                        return PERR(ps, -EBADMSG, "not a heap_v2 profile (bad header)");
                c.s += sizeof(magic) - 1;
                if (!parse_dec(&c, &period) || c.s != c.e || period == 0)
                        return PERR(ps, -EBADMSG, "bad sample period in header (want heap_v2/<N>, N > 0)");
                ps->p->period = period;
                ps->st = ST_PRE;
                return 0;
        }
        if (ps->st == ST_MAPS)
                return c.s == c.e ? 0 : parse_map_line(ps, &c);

        if (c.s == c.e)
                return 0;
        size_t len = (size_t)(c.e - c.s);
        if ((len == 17 && memcmp(c.s, "MAPPED_LIBRARIES:", 17) == 0) ||
            (len >= 15 && memcmp(c.s, "--- Memory map:", 15) == 0)) {
                int r = finish_stack(ps);
                if (r < 0)
                        return r;
                ps->st = ST_MAPS;
                return 0;
        }
        if (*c.s == '@') {
                int r = finish_stack(ps);
                if (r < 0)
                        return r;
                c.s++;
                if (!at_sep(&c))
                        return PERR(ps, -EBADMSG, "expected a blank after '@'");
                return parse_stack_line(ps, &c);
        }
        if (*c.s == 't') {
                bool star = false;
                uint64_t v[4];
                int r = parse_counts(ps, &c, &star, v);
                if (r < 0)
                        return r;
                if (ps->st == ST_PRE || !star)
                        return 0;       /* header totals and per-thread lines */
                if (ps->st == ST_STACK)
                        return PERR(ps, -EBADMSG, "second 't*:' line for one stack");
                struct hp_stack *st = &ps->p->stacks[ps->p->nstacks];
                double f = hp_scale_factor(v[0], v[1], ps->p->period);
                st->raw_objs = v[0];
                st->raw_bytes = v[1];
                st->objs = (double)v[0] * f;
                st->bytes = (double)v[1] * f;
                ps->p->total_objs += st->objs;
                ps->p->total_bytes += st->bytes;
                if (v[0] > 0 && f > 1.0)
                        ps->p->total_var += st->bytes * st->bytes * (1.0 - 1.0 / f) / (double)v[0];
                ps->st = ST_STACK;
                return 0;
        }
        return PERR(ps, -EBADMSG, "unexpected line (want '@ <addresses>', a count line or MAPPED_LIBRARIES:)");
}

static int parse_buf(const char *data, size_t size, const char *name,
                     const struct hp_limits *lim, bool totals_only,
                     struct hp_profile **ret, char **ret_err)
{
        struct parser ps = { .name = name, .totals_only = totals_only, .ret_err = ret_err,
                             .st = ST_HEADER };
        limits_fill(&ps.lim, lim);
        if (size > ps.lim.max_bytes)
                return au_err(ret_err, -EFBIG, name, 0, "dump larger than %llu bytes",
                              (unsigned long long)ps.lim.max_bytes);
        if (size == 0)
                return au_err(ret_err, -EBADMSG, name, 1, "empty dump");

        ps.p = calloc(1, sizeof(*ps.p));
        if (!ps.p || !(ps.p->name = strdup(name))) {
                hp_profile_free(ps.p);
                return au_err(ret_err, -ENOMEM, name, 0, "out of memory");
        }
        int r = 0;
        const char *s = data, *end = data + size;
        bool complete_line = true;
        while (s < end) {
                ps.line++;
                size_t room = (size_t)(end - s);
                const char *nl = memchr(s, '\n', room < (size_t)ps.lim.max_line + 1 ? room : (size_t)ps.lim.max_line + 1);
                if (!nl && room > ps.lim.max_line) {
                        r = PERR(&ps, -E2BIG, "line longer than %u bytes", ps.lim.max_line);
                        goto fail;
                }
                const char *le = nl ? nl : end;
                complete_line = nl != NULL;
                if (memchr(s, '\0', (size_t)(le - s))) {
                        r = PERR(&ps, -EBADMSG, "NUL byte in dump");
                        goto fail;
                }
                r = parse_line(&ps, s, le);
                if (r < 0)
                        goto fail;
                s = nl ? nl + 1 : end;
        }
        if (ps.st != ST_MAPS) {
                r = ps.st == ST_STACK_NEW
                        ? PERR(&ps, -EBADMSG, "truncated: stack at line %lu has no counts", ps.stack_line)
                        : PERR(&ps, -EBADMSG, "truncated: no MAPPED_LIBRARIES section");
                goto fail;
        }
        if (!complete_line) {
                r = PERR(&ps, -EBADMSG, "truncated: last line has no newline");
                goto fail;
        }
        *ret = ps.p;
        return 0;
fail:
        hp_profile_free(ps.p);
        return r;
}

int hp_parse_mem(const char *data, size_t size, const char *name,
                 const struct hp_limits *lim, struct hp_profile **ret,
                 char **ret_err)
{
        return parse_buf(data, size, name ? name : "-", lim, false, ret, ret_err);
}

/* Read the whole file, refusing more than max bytes. */
static int read_capped(const char *path, uint64_t max, char **ret_buf, size_t *ret_len,
                       char **ret_err)
{
        /* O_NONBLOCK: a FIFO planted where a dump should be must not hang us */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return au_err(ret_err, -errno, path, 0, "cannot open: %s", strerror(errno));
        struct stat st;
        if (fstat(fd, &st) < 0) {
                int e = errno;
                close(fd);
                return au_err(ret_err, -e, path, 0, "cannot stat: %s", strerror(e));
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                return au_err(ret_err, -EINVAL, path, 0, "not a regular file");
        }
        if ((uint64_t)st.st_size > max) {
                close(fd);
                return au_err(ret_err, -EFBIG, path, 0, "dump larger than %llu bytes",
                              (unsigned long long)max);
        }
        size_t cap = (size_t)st.st_size + 1, len = 0;
        char *buf = malloc(cap);
        if (!buf) {
                close(fd);
                return au_err(ret_err, -ENOMEM, path, 0, "out of memory");
        }
        for (;;) {
                if (len == cap) {
                        /* the file grew while we read it */
                        if (cap > max) {
                                free(buf);
                                close(fd);
                                return au_err(ret_err, -EFBIG, path, 0, "dump larger than %llu bytes",
                                              (unsigned long long)max);
                        }
                        if (au_grow(&buf, &cap, cap + 1, 1) < 0) {
                                free(buf);
                                close(fd);
                                return au_err(ret_err, -ENOMEM, path, 0, "out of memory");
                        }
                }
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        free(buf);
                        close(fd);
                        return au_err(ret_err, -e, path, 0, "read error: %s", strerror(e));
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        if (len > max) {
                free(buf);
                return au_err(ret_err, -EFBIG, path, 0, "dump larger than %llu bytes",
                              (unsigned long long)max);
        }
        *ret_buf = buf;
        *ret_len = len;
        return 0;
}

static int parse_path(const char *path, const struct hp_limits *lim, bool totals_only,
                      struct hp_profile **ret, char **ret_err)
{
        struct hp_limits l;
        limits_fill(&l, lim);
        char *buf = NULL;
        size_t len = 0;
        int r = read_capped(path, l.max_bytes, &buf, &len, ret_err);
        if (r < 0)
                return r;
        r = parse_buf(buf, len, path, &l, totals_only, ret, ret_err);
        free(buf);
        return r;
}

int hp_parse_file(const char *path, const struct hp_limits *lim,
                  struct hp_profile **ret, char **ret_err)
{
        return parse_path(path, lim, false, ret, ret_err);
}

int hp_peek_total(const char *path, int64_t *ret_bytes, char **ret_err)
{
        struct hp_profile *p;
        int r = parse_path(path, NULL, true, &p, ret_err);
        if (r < 0)
                return r;
        double t = p->total_bytes;
        hp_profile_free(p);
        *ret_bytes = t >= 9.2e18 ? INT64_MAX : (int64_t)llround(t);
        return 0;
}

int hp_peek(const char *path, struct hp_estimate *ret, char **ret_err)
{
        struct hp_profile *p;
        int r = parse_path(path, NULL, true, &p, ret_err);
        if (r < 0)
                return r;
        double t = p->total_bytes;
        *ret = (struct hp_estimate){ .bytes = t >= 9.2e18 ? INT64_MAX : (int64_t)llround(t),
                                     .stderr_bytes = sqrt(p->total_var), .period = p->period };
        hp_profile_free(p);
        return 0;
}

static bool parse_num_field(const char **s, unsigned long long *ret)
{
        const char *p = *s;
        unsigned long long v = 0;
        if (!isdigit((unsigned char)*p))
                return false;
        while (isdigit((unsigned char)*p)) {
                unsigned d = (unsigned)(*p - '0');
                if (v > (ULLONG_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
                p++;
        }
        *s = p;
        *ret = v;
        return true;
}

int hp_dump_name_parse(const char *path, struct hp_dump_name *ret)
{
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t len = strlen(base);
        if (len < 5 || strcmp(base + len - 5, ".heap") != 0)
                return -EINVAL;
        /* walk back over ".<pid>.<seq>.<kind><kseq>" from the end, since the
         * prefix may itself contain dots */
        const char *end = base + len - 5;
        const char *d3 = NULL, *d2 = NULL, *d1 = NULL;
        /* index arithmetic: a pointer may not step before base */
        for (size_t i = (size_t)(end - base); i-- > 0;) {
                const char *q = base + i;
                if (*q != '.')
                        continue;
                if (!d3)
                        d3 = q;
                else if (!d2)
                        d2 = q;
                else {
                        d1 = q;
                        break;
                }
        }
        if (!d1)
                return -EINVAL;
        struct hp_dump_name n = { 0 };
        unsigned long long pid;
        const char *s = d1 + 1;
        if (!parse_num_field(&s, &pid) || s != d2 || pid == 0 || pid > 0x7fffffff)
                return -EINVAL;
        s = d2 + 1;
        if (!parse_num_field(&s, &n.seq) || s != d3)
                return -EINVAL;
        s = d3 + 1;
        n.kind = *s++;
        if (n.kind == 'f') {
                if (s != end)
                        return -EINVAL;
        } else if (n.kind == 'i' || n.kind == 'm' || n.kind == 'u') {
                if (!parse_num_field(&s, &n.kseq) || s != end)
                        return -EINVAL;
        } else
                return -EINVAL;
        n.pid = (long)pid;
        *ret = n;
        return 0;
}
