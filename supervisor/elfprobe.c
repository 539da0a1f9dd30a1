/* What a target program is, from its ELF file, without parsing it in the
 * supervisor: ep_probe runs the analysis program (`oomwatch-analysis
 * probe`, elfread.c, libelf) as the target's user; ep_build_id reads the
 * one note it needs by hand, with every offset checked. */
#include "elfprobe.h"

#include <elf.h>
#include <link.h> /* ElfW */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysisproc.h"
#include "json.h"

#define PROBE_TIMEOUT_MS 10000
#define PROBE_OUT_MAX 4096
#define NOTE_MAX (16 << 10)
#define PHDRS_MAX 256

static struct ap_user probe_user;
static bool probe_switch;

void ep_probe_as(const struct ap_user *u, bool switch_user)
{
        probe_user = *u;
        probe_switch = switch_user;
}

static void put_str(struct ep_info *info, const struct json_value *o, const char *key, char *dst, size_t len)
{
        const char *v;

        (void)info;
        if (json_get_string(o, key, &v) == 0 && strlen(v) < len)
                memcpy(dst, v, strlen(v) + 1);
}

static bool get_bool(const struct json_value *o, const char *key)
{
        const struct json_value *v = json_get(o, key);

        return v && v->type == JSON_T_BOOL && v->b;
}

int ep_probe(const char *path, struct ep_info *ret)
{
        char *prog = NULL, out[PROBE_OUT_MAX + 1], *argv[4] = { (char *)AP_PROGRAM, (char *)"probe", NULL, NULL };
        int pfd, fds[2] = { -1, -1 }, cwd = -1, st = 0, r;
        struct json_value *v = NULL;
        struct ep_info info = { 0 };
        size_t n = 0;
        ssize_t k;
        pid_t pid;
        int64_t res;

        pfd = ap_open_program(&prog);
        free(prog);
        if (pfd < 0)
                return -ENOEXEC; /* without the analysis program: nothing is known */
        argv[2] = (char *)path;
        if (pipe2(fds, O_CLOEXEC) < 0 || (cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                r = -errno;
                goto out;
        }
        {
                struct ap_spawn p = { .program_fd = pfd, .cwd_fd = cwd, .user = probe_switch ? &probe_user : NULL,
                                      .argv = argv, .fds = &fds[1], .n_fds = 1, .cpu_seconds = 5,
                                      .address_space = 1ULL << 30, .file_size = 1 };
                r = ap_spawn(&p, &pid);
        }
        close(fds[1]);
        fds[1] = -1;
        if (r < 0)
                goto out;
        while (n < PROBE_OUT_MAX && (k = read(fds[0], out + n, PROBE_OUT_MAX - n)) > 0)
                n += (size_t)k;
        out[n] = '\0';
        r = ap_wait(pid, PROBE_TIMEOUT_MS, &st);
        if (r < 0)
                goto out;
        r = -ENOEXEC;
        if (json_parse(out, n, &v, NULL) < 0 || v->type != JSON_T_OBJECT || json_get_int(v, "r", &res) < 0)
                goto out;
        if (res < 0) {
                r = res < -4095 ? -EIO : (int)res;
                goto out;
        }
        info.jemalloc = get_bool(v, "jemalloc");
        info.shared = get_bool(v, "shared");
        info.is_static = get_bool(v, "static");
        info.go = get_bool(v, "go");
        info.cpython = get_bool(v, "cpython");
        info.v8 = get_bool(v, "v8");
        info.jvm = get_bool(v, "jvm");
        put_str(&info, v, "prefix", info.prefix, sizeof(info.prefix));
        put_str(&info, v, "conf_env", info.conf_env, sizeof(info.conf_env));
        if (!info.conf_env[0])
                snprintf(info.conf_env, sizeof(info.conf_env), "MALLOC_CONF");
        *ret = info;
        r = 0;
out:
        json_value_free(v);
        if (fds[0] >= 0)
                close(fds[0]);
        if (fds[1] >= 0)
                close(fds[1]);
        if (cwd >= 0)
                close(cwd);
        close(pfd);
        return r;
}

int ep_probe_print(const struct ep_info *i, int r, FILE *out)
{
        struct json_writer w;

        json_init(&w, out, 0);
        json_begin_object(&w);
        json_kv_int(&w, "r", r);
        if (r >= 0) {
                json_kv_bool(&w, "jemalloc", i->jemalloc);
                json_kv_bool(&w, "shared", i->shared);
                json_kv_string(&w, "prefix", i->prefix);
                json_kv_string(&w, "conf_env", i->conf_env);
                json_kv_bool(&w, "static", i->is_static);
                json_kv_bool(&w, "go", i->go);
                json_kv_bool(&w, "cpython", i->cpython);
                json_kv_bool(&w, "v8", i->v8);
                json_kv_bool(&w, "jvm", i->jvm);
        }
        json_end_object(&w);
        fputc('\n', out);
        return json_finish(&w) < 0 || fflush(out) != 0 ? -EIO : 0;
}

int ep_which(const char *name, const char *dir, char **ret)
{
        const char *path;
        int r = -ENOENT;

        if (strchr(name, '/')) {
                if (name[0] == '/' || !dir)
                        *ret = strdup(name);
                else if (asprintf(ret, "%s/%s", dir, name) < 0)
                        *ret = NULL;
                return *ret ? 0 : -ENOMEM;
        }
        path = getenv("PATH");
        if (!path)
                path = "/usr/local/bin:/usr/bin:/bin";
        while (*path) {
                const char *colon = strchr(path, ':');
                size_t len = colon ? (size_t)(colon - path) : strlen(path);
                char *cand = NULL;

                if (asprintf(&cand, "%.*s%s%s", (int)len, path, len ? "/" : "", name) < 0)
                        return -ENOMEM;
                if (access(cand, X_OK) == 0) {
                        *ret = cand;
                        return 0;
                }
                if (errno == EACCES)
                        r = -EACCES;
                free(cand);
                path += len + (colon ? 1 : 0);
        }
        return r;
}

/* The GNU build-id from the PT_NOTE segments, by hand: the native byte
 * order and word size only (what runs here), every offset and size checked
 * against the file. */
int ep_build_id(const char *path, char *buf, size_t len)
{
        ElfW(Ehdr) eh;
        ElfW(Phdr) ph;
        struct stat st;
        unsigned char *note = NULL;
        int fd, r = -ENODATA;

        if (len < 3)
                return -ERANGE;
        /* O_NONBLOCK: the target's program path must not stall us on a FIFO */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
            memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            eh.e_ident[EI_DATA] != ELFDATA2LSB ||
#else
            eh.e_ident[EI_DATA] != ELFDATA2MSB ||
#endif
            eh.e_phentsize != sizeof(ph) || eh.e_phnum > PHDRS_MAX) {
                close(fd);
                return -ENOEXEC;
        }
        note = malloc(NOTE_MAX);
        for (unsigned i = 0; note && r == -ENODATA && i < eh.e_phnum; i++) {
                size_t off = 0, got;
                if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) != (ssize_t)sizeof(ph) ||
                    ph.p_type != PT_NOTE || ph.p_filesz < sizeof(ElfW(Nhdr)) || ph.p_filesz > NOTE_MAX ||
                    ph.p_offset > (uint64_t)st.st_size || ph.p_filesz > (uint64_t)st.st_size - ph.p_offset)
                        continue;
                got = (size_t)ph.p_filesz;
                if (pread(fd, note, got, (off_t)ph.p_offset) != (ssize_t)got)
                        continue;
                while (off + sizeof(ElfW(Nhdr)) <= got) {
                        ElfW(Nhdr) nh;
                        size_t name_off, desc_off, next;
                        memcpy(&nh, note + off, sizeof(nh));
                        name_off = off + sizeof(nh);
                        desc_off = name_off + ((nh.n_namesz + 3u) & ~3u);
                        next = desc_off + ((nh.n_descsz + 3u) & ~3u);
                        if (nh.n_namesz > got || nh.n_descsz > got || desc_off > got || next > got || next <= off)
                                break;
                        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(note + name_off, "GNU", 4) == 0 &&
                            nh.n_descsz > 0 && desc_off + nh.n_descsz <= got) {
                                if (nh.n_descsz * 2 + 1 > len) {
                                        r = -ERANGE;
                                        break;
                                }
                                for (size_t j = 0; j < nh.n_descsz; j++)
                                        snprintf(buf + 2 * j, 3, "%02x", note[desc_off + j]);
                                r = (int)nh.n_descsz;
                                break;
                        }
                        off = next;
                }
        }
        free(note);
        close(fd);
        return note ? r : -ENOMEM;
}
