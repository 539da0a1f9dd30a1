/* What a program is, read from its ELF file with libelf: the analysis
 * program's side of elfprobe.h (the supervisor itself does not parse a
 * target's ELF file with libelf; it runs `oomwatch-analysis probe`). */
#include "elfread.h"

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

static bool starts(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* what one DT_NEEDED entry says */
static void needed_lib(const char *lib, struct ep_info *info)
{
        if (strstr(lib, "jemalloc"))
                info->jemalloc = info->shared = true;
        if (starts(lib, "libpython"))
                info->cpython = true;
        if (starts(lib, "libnode.") || starts(lib, "libv8"))
                info->v8 = true;
        if (starts(lib, "libjli.") || starts(lib, "libjvm."))
                info->jvm = true;
}

/* what one symbol says; defined: not SHN_UNDEF */
static void symbol(const char *name, bool defined, bool func, struct ep_info *info, bool *found_mallctl)
{
        if (defined && func && !*found_mallctl && match_mallctl(name, info)) {
                info->jemalloc = true;
                *found_mallctl = true;
        }
        if (defined && (strcmp(name, "Py_BytesMain") == 0 || strcmp(name, "Py_Main") == 0))
                info->cpython = true;
        if (defined && (starts(name, "_ZN4node") || starts(name, "_ZN2v88internal")))
                info->v8 = true;
        if (strcmp(name, "JLI_Launch") == 0 || strcmp(name, "JNI_CreateJavaVM") == 0)
                info->jvm = true;
}

int ep_read_info(const char *path, struct ep_info *ret)
{
        struct ep_info info = { 0 };
        Elf_Scn *scn = NULL;
        bool found_sym = false;
        size_t shstrndx = 0, nph = 0;
        char magic[4];
        Elf *e = NULL;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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
        /* no PT_INTERP: nothing runs before the program's own code */
        info.is_static = true;
        if (elf_getphdrnum(e, &nph) == 0) {
                for (size_t i = 0; i < nph; i++) {
                        GElf_Phdr ph;
                        if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP)
                                info.is_static = false;
                }
        }
        if (elf_getshdrstrndx(e, &shstrndx) != 0)
                shstrndx = 0;
        while ((scn = elf_nextscn(e, scn)) != NULL) {
                GElf_Shdr sh;
                Elf_Data *d;
                const char *sname;

                if (!gelf_getshdr(scn, &sh))
                        continue;
                sname = shstrndx ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
                if (sname && (strcmp(sname, ".go.buildinfo") == 0 || strcmp(sname, ".note.go.buildid") == 0))
                        info.go = true;
                if (sh.sh_type == SHT_NOBITS || !(d = elf_getdata(scn, NULL)))
                        continue;
                if (sh.sh_type == SHT_DYNAMIC) {
                        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
                        for (size_t i = 0; i < n; i++) {
                                GElf_Dyn dyn;
                                const char *lib;
                                if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag != DT_NEEDED)
                                        continue;
                                lib = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
                                if (lib)
                                        needed_lib(lib, &info);
                        }
                } else if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) {
                        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
                        if (n > MAX_SYMBOLS)
                                n = MAX_SYMBOLS;
                        for (size_t i = 0; i < n; i++) {
                                GElf_Sym sym;
                                const char *name;
                                if (!gelf_getsym(d, (int)i, &sym) || !sym.st_name)
                                        continue;
                                name = elf_strptr(e, sh.sh_link, sym.st_name);
                                if (name)
                                        symbol(name, sym.st_shndx != SHN_UNDEF, GELF_ST_TYPE(sym.st_info) == STT_FUNC,
                                               &info, &found_sym);
                        }
                }
        }
        elf_end(e);
        close(fd);
        set_conf_env(&info);
        *ret = info;
        return r;
}
