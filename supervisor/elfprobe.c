/* ELF probe for jemalloc in a target program (libelf). */
#include "elfprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SYMBOLS 4000000

/* A jemalloc that is built in exports (or at least names) mallctl under its prefix. */
static bool match_mallctl(const char *name, struct ep_info *ret)
{
        size_t n = strlen(name), k = strlen("mallctl");

        if (n < k || strcmp(name + n - k, "mallctl") != 0 || n - k >= sizeof(ret->prefix))
                return false;
        /* "mallctl", "je_mallctl", "_rjem_mallctl"; not "xmallctlbymib" and the like */
        for (size_t i = 0; i < n - k; i++)
                if (!(name[i] == '_' || (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9')))
                        return false;
        memcpy(ret->prefix, name, n - k);
        ret->prefix[n - k] = '\0';
        return true;
}

static void set_conf_env(struct ep_info *ret)
{
        size_t j = 0;

        for (const char *p = ret->prefix; *p && j + 12 < sizeof(ret->conf_env); p++)
                ret->conf_env[j++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        strcpy(ret->conf_env + j, "MALLOC_CONF");
}

int ep_probe(const char *path, struct ep_info *ret)
{
        struct ep_info info = { 0 };
        Elf_Scn *scn = NULL;
        bool found_sym = false;
        char magic[4];
        Elf *e = NULL;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (pread(fd, magic, 4, 0) != 4 || memcmp(magic, ELFMAG, 4) != 0) {
                close(fd);
                return -ENOEXEC;
        }
        if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_begin(fd, ELF_C_READ, NULL))) {
                close(fd);
                return -ENOEXEC;
        }
        while ((scn = elf_nextscn(e, scn)) != NULL) {
                GElf_Shdr sh;
                Elf_Data *d;

                if (!gelf_getshdr(scn, &sh) || !(d = elf_getdata(scn, NULL)))
                        continue;
                if (sh.sh_type == SHT_DYNAMIC) {
                        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
                        for (size_t i = 0; i < n; i++) {
                                GElf_Dyn dyn;
                                const char *lib;
                                if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag != DT_NEEDED)
                                        continue;
                                lib = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
                                if (lib && strstr(lib, "jemalloc"))
                                        info.jemalloc = info.shared = true;
                        }
                } else if ((sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) && !found_sym) {
                        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
                        if (n > MAX_SYMBOLS)
                                n = MAX_SYMBOLS;
                        for (size_t i = 0; i < n; i++) {
                                GElf_Sym sym;
                                const char *name;
                                if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
                                    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
                                        continue;
                                name = elf_strptr(e, sh.sh_link, sym.st_name);
                                if (name && match_mallctl(name, &info)) {
                                        info.jemalloc = true;
                                        found_sym = true;
                                        break;
                                }
                        }
                }
        }
        elf_end(e);
        close(fd);
        set_conf_env(&info);
        *ret = info;
        return r;
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
