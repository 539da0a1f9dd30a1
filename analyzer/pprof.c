/* pprof export: a report's first and last dump as a gzipped profile.proto
 * (the format of google/pprof's proto/profile.proto, read by `go tool
 * pprof`, Pyroscope and Parca), written with protobuf.h and zlib.
 *
 * - sample types: inuse_objects (count) and inuse_space (bytes) of the last
 *   dump, growth_objects and growth_space of the last over the first (the
 *   default sample type); every count sampling-corrected like the rest of
 *   the analyzer, before any subtraction;
 * - one sample per distinct stack, leaf first, with the allocator's own
 *   frames removed like jeprof's RemoveUninterestingFrames (so pprof's flat
 *   column agrees with `oomwatch diff`);
 * - one location per distinct (module, address), its lines the inlined
 *   functions innermost first and the physical function last, with
 *   file:line where DWARF has them;
 * - one mapping per module, with its file name and GNU build-id; the
 *   program's own mapping first (pprof takes mapping[0] for the binary).
 *
 * Addresses of callers are the return address minus one (what was
 * symbolized). The dumps are read again (a report keeps function paths, not
 * addresses), symbolized by the report's own symbolizer, whose cache already
 * holds every address. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "an_util.h"
#include "heap_profile.h"
#include "protobuf.h"
#include "report.h"
#include "symbolize.h"

/* field numbers of perftools.profiles (profile.proto) */
enum { PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
       PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9, PROFILE_DURATION_NANOS = 10,
       PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14 };
enum { VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2 };
enum { MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3, MAPPING_FILE_OFFSET = 4,
       MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6, MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8,
       MAPPING_HAS_LINE_NUMBERS = 9, MAPPING_HAS_INLINE_FRAMES = 10 };
enum { LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum { FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4 };

#define NVALUES 4   /* inuse_objects, inuse_space, growth_objects, growth_space */

/* index + 1 by hash, open addressing; each table keeps its entries' hashes */
struct pp_table {
        uint32_t *slots;
        size_t nslots;
        uint64_t *hashes;
        size_t n, cap;
};

struct pp_map {
        uint32_t mod;
        uint64_t start, limit, offset;
        uint32_t filename, build_id;     /* string table ids */
        bool has_files, has_lines, has_inline;
};

struct pp_loc {
        uint32_t mod;            /* UINT32_MAX: outside every mapping */
        uint64_t key;            /* the address looked up */
        uint64_t address;
        uint32_t map;            /* index + 1 into maps, 0 none */
        uint32_t first, nlines;  /* into lines */
};

struct pp_line {
        uint32_t func;           /* index into funcs */
        int64_t line;
};

struct pp_func {
        uint32_t name, file;     /* string table ids */
};

struct pp_sample {
        uint32_t off, n;         /* location indexes in ids */
        double v[NVALUES];
};

struct pp {
        const struct an_report *r;
        struct sym_ctx *sym;      /* the report's */
        struct au_strpool str;    /* the profile's string table */
        struct pp_table loc_t, func_t, sample_t;
        struct pp_loc *locs;
        size_t nlocs, cap_locs;
        struct pp_line *lines;
        size_t nlines, cap_lines;
        struct pp_func *funcs;
        size_t nfuncs, cap_funcs;
        struct pp_map *maps;
        size_t nmaps, cap_maps;
        uint32_t *map_of_mod;     /* per module: index + 1 into maps */
        size_t cap_map_of_mod;
        struct pp_sample *samples;
        size_t nsamples, cap_samples;
        uint32_t *ids;
        size_t nids, cap_ids;
        uint32_t *tmp;            /* the stack being translated */
        size_t ntmp, cap_tmp;
        char *exe;                /* the first executable mapping's path of the last dump */
};

static int table_rehash(struct pp_table *t, size_t ns)
{
        uint32_t *s = calloc(ns, sizeof(*s));
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
                size_t j = t->hashes[i] & (ns - 1);
                while (s[j])
                        j = (j + 1) & (ns - 1);
                s[j] = (uint32_t)i + 1;
        }
        free(t->slots);
        t->slots = s;
        t->nslots = ns;
        return 0;
}

/* The slot for hash h: *ret_slot points at it; it holds index + 1 of the
 * first entry with that hash for which eq() is true, or 0 (a free slot,
 * to fill with table_add). */
typedef bool (*pp_eq)(const struct pp *pp, uint32_t idx, const void *key);

static int table_find(struct pp *pp, struct pp_table *t, uint64_t h, pp_eq eq, const void *key, uint32_t **ret_slot)
{
        if ((t->n + 1) * 2 > t->nslots) {
                if (t->n >= UINT32_MAX / 4)
                        return -ENOMEM;
                int e = table_rehash(t, t->nslots ? t->nslots * 2 : 256);
                if (e < 0)
                        return e;
        }
        size_t j = h & (t->nslots - 1);
        while (t->slots[j] && !(t->hashes[t->slots[j] - 1] == h && eq(pp, t->slots[j] - 1, key)))
                j = (j + 1) & (t->nslots - 1);
        *ret_slot = &t->slots[j];
        return 0;
}

static int table_add(struct pp_table *t, uint32_t *slot, uint64_t h)
{
        if (au_grow(&t->hashes, &t->cap, t->n + 1, sizeof(*t->hashes)) < 0)
                return -ENOMEM;
        t->hashes[t->n] = h;
        *slot = (uint32_t)++t->n;
        return 0;
}

static void table_free(struct pp_table *t)
{
        free(t->slots);
        free(t->hashes);
}

static int64_t str_id(struct pp *pp, const char *s)
{
        return au_intern(&pp->str, s ? s : "");
}

/* ---- functions, mappings, locations -------------------------------------- */

struct func_key {
        uint32_t name, file;
};

static bool func_eq(const struct pp *pp, uint32_t idx, const void *key)
{
        const struct func_key *k = key;
        return pp->funcs[idx].name == k->name && pp->funcs[idx].file == k->file;
}

static int64_t func_get(struct pp *pp, uint32_t name, uint32_t file)
{
        struct func_key k = { name, file };
        uint64_t h = au_hash(&k, sizeof(k), 1);
        uint32_t *slot;
        int e = table_find(pp, &pp->func_t, h, func_eq, &k, &slot);
        if (e < 0)
                return e;
        if (*slot)
                return *slot - 1;
        if (au_grow(&pp->funcs, &pp->cap_funcs, pp->nfuncs + 1, sizeof(*pp->funcs)) < 0 ||
            table_add(&pp->func_t, slot, h) < 0)
                return -ENOMEM;
        pp->funcs[pp->nfuncs] = (struct pp_func){ name, file };
        return (int64_t)pp->nfuncs++;
}

/* The mapping of module mod, made from the dump's mapping holding addr. */
static int64_t map_get(struct pp *pp, const struct hp_profile *p, uint32_t mod, uint64_t addr)
{
        if (mod < pp->cap_map_of_mod && pp->map_of_mod[mod])
                return pp->map_of_mod[mod] - 1;
        if (mod >= pp->cap_map_of_mod) {
                size_t cap = pp->cap_map_of_mod;
                if (au_grow(&pp->map_of_mod, &cap, (size_t)mod + 1, sizeof(*pp->map_of_mod)) < 0)
                        return -ENOMEM;
                memset(pp->map_of_mod + pp->cap_map_of_mod, 0, (cap - pp->cap_map_of_mod) * sizeof(*pp->map_of_mod));
                pp->cap_map_of_mod = cap;
        }
        if (au_grow(&pp->maps, &pp->cap_maps, pp->nmaps + 1, sizeof(*pp->maps)) < 0)
                return -ENOMEM;
        struct pp_map *m = &pp->maps[pp->nmaps];
        memset(m, 0, sizeof(*m));
        m->mod = mod;
        for (size_t i = 0; i < p->nmaps; i++)
                if (p->maps[i].exec && addr >= p->maps[i].start && addr < p->maps[i].end) {
                        m->start = p->maps[i].start;
                        m->limit = p->maps[i].end;
                        m->offset = p->maps[i].offset;
                        break;
                }
        char bid[2 * 64 + 1];
        if (sym_module_build_id(pp->sym, mod, bid, sizeof(bid)) < 0)
                bid[0] = '\0';
        int64_t fn = str_id(pp, sym_module_path(pp->sym, mod)), bi = str_id(pp, bid);
        if (fn < 0 || bi < 0)
                return -ENOMEM;
        m->filename = (uint32_t)fn;
        m->build_id = (uint32_t)bi;
        pp->map_of_mod[mod] = (uint32_t)++pp->nmaps;
        return (int64_t)pp->nmaps - 1;
}

struct loc_key {
        uint32_t mod;
        uint64_t key;
};

static bool loc_eq(const struct pp *pp, uint32_t idx, const void *key)
{
        const struct loc_key *k = key;
        return pp->locs[idx].mod == k->mod && pp->locs[idx].key == k->key;
}

/* The location of res (looked up at addr in p); its lines on first sight. */
static int64_t loc_get(struct pp *pp, const struct hp_profile *p, const struct sym_result *res, uint64_t addr)
{
        /* by address: the dumps of one process share them (a module's
         * address would not do: unreadable modules have none) */
        struct loc_key k = { res->mod, addr };
        uint64_t h = au_hash_u64(k.key ^ ((uint64_t)k.mod << 40));
        uint32_t *slot;
        int e = table_find(pp, &pp->loc_t, h, loc_eq, &k, &slot);
        if (e < 0)
                return e;
        if (*slot)
                return *slot - 1;
        if (au_grow(&pp->locs, &pp->cap_locs, pp->nlocs + 1, sizeof(*pp->locs)) < 0 ||
            au_grow(&pp->lines, &pp->cap_lines, pp->nlines + res->n, sizeof(*pp->lines)) < 0 ||
            table_add(&pp->loc_t, slot, h) < 0)
                return -ENOMEM;
        struct pp_loc *l = &pp->locs[pp->nlocs];
        *l = (struct pp_loc){ .mod = k.mod, .key = k.key, .address = addr, .first = (uint32_t)pp->nlines,
                              .nlines = res->n };
        struct pp_map *m = NULL;
        if (res->mod != UINT32_MAX) {
                int64_t mi = map_get(pp, p, res->mod, addr);
                if (mi < 0)
                        return mi;
                l->map = (uint32_t)mi + 1;
                m = &pp->maps[mi];
                m->has_inline |= res->n > 1;
        }
        const uint32_t *names = sym_names(pp->sym);
        for (uint32_t i = 0; i < res->n; i++) {
                int64_t file = -1, fid, nid, fn;
                int line = 0;
                uint32_t name = names[res->first + i];
                e = sym_frame_source(pp->sym, res, i, &file, &line);
                if (e < 0)
                        return e;
                names = sym_names(pp->sym);
                nid = str_id(pp, sym_str(pp->sym, name));
                fid = str_id(pp, file >= 0 ? sym_str(pp->sym, (uint32_t)file) : "");
                if (nid < 0 || fid < 0 || (fn = func_get(pp, (uint32_t)nid, (uint32_t)fid)) < 0)
                        return -ENOMEM;
                pp->lines[pp->nlines++] = (struct pp_line){ (uint32_t)fn, line };
                if (m) {
                        m->has_files |= file >= 0;
                        m->has_lines |= line > 0;
                }
        }
        return (int64_t)pp->nlocs++;
}

/* ---- samples ------------------------------------------------------------- */

static bool sample_eq(const struct pp *pp, uint32_t idx, const void *key)
{
        const struct pp_sample *s = &pp->samples[idx];
        (void)key;
        return s->n == pp->ntmp && memcmp(pp->ids + s->off, pp->tmp, pp->ntmp * sizeof(*pp->tmp)) == 0;
}

/* Add the stack in pp->tmp with its counts to column col (0: last dump, 1: first). */
static int sample_add(struct pp *pp, double objs, double bytes, int col)
{
        uint64_t h = au_hash(pp->tmp, pp->ntmp * sizeof(*pp->tmp), pp->ntmp);
        uint32_t *slot;
        int e = table_find(pp, &pp->sample_t, h, sample_eq, NULL, &slot);
        if (e < 0)
                return e;
        if (!*slot) {
                if (pp->nids + pp->ntmp > UINT32_MAX ||
                    au_grow(&pp->samples, &pp->cap_samples, pp->nsamples + 1, sizeof(*pp->samples)) < 0 ||
                    au_grow(&pp->ids, &pp->cap_ids, pp->nids + pp->ntmp, sizeof(*pp->ids)) < 0 ||
                    table_add(&pp->sample_t, slot, h) < 0)
                        return -ENOMEM;
                memcpy(pp->ids + pp->nids, pp->tmp, pp->ntmp * sizeof(*pp->tmp));
                pp->samples[pp->nsamples++] = (struct pp_sample){ .off = (uint32_t)pp->nids, .n = (uint32_t)pp->ntmp };
                pp->nids += pp->ntmp;
        }
        struct pp_sample *s = &pp->samples[*slot - 1];
        s->v[2 * col] += objs;
        s->v[2 * col + 1] += bytes;
        return 0;
}

/* Every stack of the dump at path into column col. */
static int load_dump(struct pp *pp, const char *path, int col)
{
        struct hp_profile *p = NULL;
        struct sym_space *sp = NULL;
        int e = hp_parse_file(path, &pp->r->limits, &p, NULL);
        if (e < 0)
                return e;
        e = sym_space_new(pp->sym, p, pp->r->binary, &sp);
        if (e >= 0 && col == 0 && !pp->exe) {
                const char *exe = pp->r->binary;
                for (size_t i = 0; !exe && i < p->nmaps; i++)
                        if (p->maps[i].exec && p->maps[i].path && p->maps[i].path[0] == '/')
                                exe = p->maps[i].path;
                if (exe && !(pp->exe = strdup(exe)))
                        e = -ENOMEM;
        }
        for (size_t i = 0; e >= 0 && i < p->nstacks; i++) {
                const struct hp_stack *st = &p->stacks[i];
                pp->ntmp = 0;
                for (uint32_t f = 0; e >= 0 && f < st->nframes; f++) {
                        uint64_t a = p->frames[st->first + f] - (f > 0);
                        struct sym_result res;
                        int64_t li;
                        if ((e = sym_lookup(sp, a, &res)) < 0)
                                break;
                        if (res.alloc) {
                                pp->ntmp = 0;   /* the allocator and everything below it */
                                continue;
                        }
                        if ((li = loc_get(pp, p, &res, a)) < 0 ||
                            au_grow(&pp->tmp, &pp->cap_tmp, pp->ntmp + 1, sizeof(*pp->tmp)) < 0) {
                                e = li < 0 ? (int)li : -ENOMEM;
                                break;
                        }
                        pp->tmp[pp->ntmp++] = (uint32_t)li;
                }
                if (e >= 0 && pp->ntmp)
                        e = sample_add(pp, st->objs, st->bytes, col);
        }
        sym_space_free(sp);
        hp_profile_free(p);
        return e;
}

/* ---- encoding ------------------------------------------------------------ */

static void value_type(struct pb_buf *prof, struct pb_buf *msg, uint32_t field, int64_t type, int64_t unit)
{
        pb_reset(msg);
        pb_int64(msg, VALUETYPE_TYPE, type);
        pb_int64(msg, VALUETYPE_UNIT, unit);
        pb_message(prof, field, msg);
}

static int64_t mtime_ns(const char *path)
{
        struct stat st;
        if (!path || stat(path, &st) < 0)
                return 0;
        return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

static int encode(struct pp *pp, struct pb_buf *prof)
{
        struct pb_buf msg = { 0 }, sub = { 0 };
        const char *base = pp->r->dumps[0], *last = pp->r->dumps[pp->r->ndumps - 1];
        int64_t t_objs = str_id(pp, "inuse_objects"), t_space = str_id(pp, "inuse_space"),
                g_objs = str_id(pp, "growth_objects"), g_space = str_id(pp, "growth_space"),
                u_count = str_id(pp, "count"), u_bytes = str_id(pp, "bytes"), space = str_id(pp, "space");
        char *comment = NULL;
        int64_t cid = -1;
        uint64_t *lids = NULL;
        uint32_t *map_id = NULL;
        size_t cap_lids = 0;
        int e = 0;

        if (asprintf(&comment, "oomwatch: growth = %s - %s", last, base ? base : "an empty heap") < 0 ||
            (cid = str_id(pp, comment)) < 0 || t_objs < 0 || t_space < 0 || g_objs < 0 || g_space < 0 ||
            u_count < 0 || u_bytes < 0 || space < 0) {
                e = -ENOMEM;
                goto out;
        }
        value_type(prof, &msg, PROFILE_SAMPLE_TYPE, t_objs, u_count);
        value_type(prof, &msg, PROFILE_SAMPLE_TYPE, t_space, u_bytes);
        value_type(prof, &msg, PROFILE_SAMPLE_TYPE, g_objs, u_count);
        value_type(prof, &msg, PROFILE_SAMPLE_TYPE, g_space, u_bytes);

        /* the program's mapping first */
        map_id = calloc(pp->nmaps ? pp->nmaps : 1, sizeof(*map_id));
        if (!map_id) {
                e = -ENOMEM;
                goto out;
        }
        {
                uint32_t next = 1;
                for (size_t i = 0; pp->exe && i < pp->nmaps; i++)
                        if (strcmp(au_str(&pp->str, pp->maps[i].filename), pp->exe) == 0) {
                                map_id[i] = next++;
                                break;
                        }
                for (size_t i = 0; i < pp->nmaps; i++)
                        if (!map_id[i])
                                map_id[i] = next++;
        }

        for (size_t i = 0; i < pp->nsamples; i++) {
                const struct pp_sample *s = &pp->samples[i];
                int64_t v[NVALUES] = { rep_llr(s->v[0]), rep_llr(s->v[1]), rep_llr(s->v[0] - s->v[2]),
                                       rep_llr(s->v[1] - s->v[3]) };
                if (!v[0] && !v[1] && !v[2] && !v[3])
                        continue;
                if (au_grow(&lids, &cap_lids, s->n, sizeof(*lids)) < 0) {
                        e = -ENOMEM;
                        goto out;
                }
                for (uint32_t k = 0; k < s->n; k++)
                        lids[k] = (uint64_t)pp->ids[s->off + k] + 1;
                pb_reset(&msg);
                pb_packed_uint64(&msg, SAMPLE_LOCATION_ID, lids, s->n);
                pb_packed_int64(&msg, SAMPLE_VALUE, v, NVALUES);
                pb_message(prof, PROFILE_SAMPLE, &msg);
        }
        for (size_t i = 0; i < pp->nmaps; i++) {
                const struct pp_map *m = &pp->maps[i];
                pb_reset(&msg);
                pb_uint64(&msg, MAPPING_ID, map_id[i]);
                pb_uint64(&msg, MAPPING_MEMORY_START, m->start);
                pb_uint64(&msg, MAPPING_MEMORY_LIMIT, m->limit);
                pb_uint64(&msg, MAPPING_FILE_OFFSET, m->offset);
                pb_int64(&msg, MAPPING_FILENAME, m->filename);
                pb_int64(&msg, MAPPING_BUILD_ID, m->build_id);
                pb_bool(&msg, MAPPING_HAS_FUNCTIONS, true);
                pb_bool(&msg, MAPPING_HAS_FILENAMES, m->has_files);
                pb_bool(&msg, MAPPING_HAS_LINE_NUMBERS, m->has_lines);
                pb_bool(&msg, MAPPING_HAS_INLINE_FRAMES, m->has_inline);
                pb_message(prof, PROFILE_MAPPING, &msg);
        }
        for (size_t i = 0; i < pp->nlocs; i++) {
                const struct pp_loc *l = &pp->locs[i];
                pb_reset(&msg);
                pb_uint64(&msg, LOCATION_ID, i + 1);
                pb_uint64(&msg, LOCATION_MAPPING_ID, l->map ? map_id[l->map - 1] : 0);
                pb_uint64(&msg, LOCATION_ADDRESS, l->address);
                for (uint32_t k = 0; k < l->nlines; k++) {
                        const struct pp_line *ln = &pp->lines[l->first + k];
                        pb_reset(&sub);
                        pb_uint64(&sub, LINE_FUNCTION_ID, (uint64_t)ln->func + 1);
                        pb_int64(&sub, LINE_LINE, ln->line);
                        pb_message(&msg, LOCATION_LINE, &sub);
                }
                pb_message(prof, PROFILE_LOCATION, &msg);
        }
        for (size_t i = 0; i < pp->nfuncs; i++) {
                const struct pp_func *f = &pp->funcs[i];
                pb_reset(&msg);
                pb_uint64(&msg, FUNCTION_ID, i + 1);
                pb_int64(&msg, FUNCTION_NAME, f->name);
                pb_int64(&msg, FUNCTION_SYSTEM_NAME, f->name);
                pb_int64(&msg, FUNCTION_FILENAME, f->file);
                pb_message(prof, PROFILE_FUNCTION, &msg);
        }
        {
                int64_t t1 = mtime_ns(last), t0 = mtime_ns(base);
                pb_int64(prof, PROFILE_TIME_NANOS, t0 ? t0 : t1);
                pb_int64(prof, PROFILE_DURATION_NANOS, t0 && t1 > t0 ? t1 - t0 : 0);
        }
        value_type(prof, &msg, PROFILE_PERIOD_TYPE, space, u_bytes);
        pb_int64(prof, PROFILE_PERIOD, (int64_t)pp->r->period);
        pb_packed_int64(prof, PROFILE_COMMENT, &cid, 1);
        pb_int64(prof, PROFILE_DEFAULT_SAMPLE_TYPE, g_space);
        /* the string table last: everything above has interned its strings */
        for (size_t i = 0; i < pp->str.n; i++)
                pb_bytes(prof, PROFILE_STRING_TABLE, au_str(&pp->str, (uint32_t)i), strlen(au_str(&pp->str, (uint32_t)i)));
        e = prof->err ? prof->err : msg.err ? msg.err : sub.err;
out:
        free(comment);
        free(lids);
        free(map_id);
        pb_free(&msg);
        pb_free(&sub);
        return e;
}

static int write_gzip(const uint8_t *data, size_t n, FILE *out)
{
        unsigned char buf[65536];
        z_stream z;
        int zr, e = 0;

        memset(&z, 0, sizeof(z));
        if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return -ENOMEM;
        z.next_in = (Bytef *)data;
        do {
                size_t chunk = n > (1u << 30) ? (1u << 30) : n;
                z.avail_in = (uInt)chunk;
                n -= chunk;
                do {
                        z.next_out = buf;
                        z.avail_out = sizeof(buf);
                        zr = deflate(&z, n ? Z_NO_FLUSH : Z_FINISH);
                        if (zr == Z_STREAM_ERROR) {
                                e = -EIO;
                                break;
                        }
                        size_t have = sizeof(buf) - z.avail_out;
                        if (have && fwrite(buf, 1, have, out) != have) {
                                e = -EIO;
                                break;
                        }
                } while (z.avail_out == 0);
        } while (!e && n);
        deflateEnd(&z);
        return e;
}

int rep_render_pprof(const struct an_report *r, FILE *out)
{
        /* the symbolizer of the report's session learns the addresses only
         * the export looks up; nothing the report shows changes */
        struct pp pp = { .r = r, .sym = r->sym };
        struct pb_buf prof = { 0 };
        int e;

        au_strpool_init(&pp.str);
        e = str_id(&pp, "") == 0 && pp.sym ? 0 : -ENOMEM;
        if (e >= 0)
                e = load_dump(&pp, r->dumps[r->ndumps - 1], 0);
        if (e >= 0 && r->dumps[0] && r->ndumps > 1)
                e = load_dump(&pp, r->dumps[0], 1);
        if (e >= 0)
                e = encode(&pp, &prof);
        if (e >= 0)
                e = write_gzip(prof.data, prof.len, out);
        pb_free(&prof);
        table_free(&pp.loc_t);
        table_free(&pp.func_t);
        table_free(&pp.sample_t);
        free(pp.locs);
        free(pp.lines);
        free(pp.funcs);
        free(pp.maps);
        free(pp.map_of_mod);
        free(pp.samples);
        free(pp.ids);
        free(pp.tmp);
        free(pp.exe);
        au_strpool_free(&pp.str);
        return e;
}
