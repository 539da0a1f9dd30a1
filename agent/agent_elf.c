/* Symbol table scan of the running executable for a static jemalloc's
 * mallctl. The file is mapped read-only, checked field by field against its
 * size, scanned once, unmapped; its .symtab/.strtab pages are then dropped
 * from the page cache (they are charged to the target's memory cgroup).
 *
 * The scan is two sequential passes: first the string table, for the
 * offsets where "mallctl" and "mallctlnametomib" end a string; then the
 * symbol table, for defined functions whose name ends at one of them. Names
 * may share storage ("je_mallctl" also holds "mallctl"), so a symbol's name
 * is any start offset up to PREFIX_MAX bytes before such an end. */
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_elf.h"

#define PREFIX_MAX 32
#define HITS_MAX 16                       /* occurrences of each name kept */
#define FILE_MAX ((uint64_t)4 << 30)      /* larger executables are not scanned */
#define SYMS_MAX (8u << 20)               /* symbols scanned at most */
#define CANDIDATES_MAX 8                  /* "...mallctl" symbols checked for a companion */

#if __SIZEOF_POINTER__ == 8
#define NATIVE_CLASS ELFCLASS64
#else
#define NATIVE_CLASS ELFCLASS32
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

struct hits {
        size_t at[HITS_MAX];    /* strtab offset where the name starts */
        unsigned n;
};

struct main_prog {
        ElfW(Addr) bias;
        const ElfW(Phdr) *phdr;
        ElfW(Half) phnum;
        bool found;
};

static int main_prog_cb(struct dl_phdr_info *info, size_t size, void *data)
{
        struct main_prog *m = data;

        (void)size;
        /* The first object is the main program. */
        m->bias = info->dlpi_addr;
        m->phdr = info->dlpi_phdr;
        m->phnum = info->dlpi_phnum;
        m->found = true;
        return 1;
}

static bool in_exec_segment(const struct main_prog *m, ElfW(Addr) addr)
{
        for (ElfW(Half) i = 0; i < m->phnum; i++) {
                const ElfW(Phdr) *p = &m->phdr[i];

                if (p->p_type == PT_LOAD && (p->p_flags & PF_X) && addr >= m->bias + p->p_vaddr &&
                    addr - (m->bias + p->p_vaddr) < p->p_memsz)
                        return true;
        }
        return false;
}

static void find_ends(const char *str, size_t len, const char *needle, size_t nlen, struct hits *h)
{
        const char *p = str, *end = str + len;

        h->n = 0;
        while (h->n < HITS_MAX && p < end) {
                const char *q = memmem(p, (size_t)(end - p), needle, nlen);

                if (!q)
                        break;
                h->at[h->n++] = (size_t)(q - str);
                p = q + nlen;
        }
}

/* The length of the prefix when the name at off ends in one of h's hits
 * (the hit is the needle's start), or -1. */
static int prefix_len(const char *str, size_t off, const struct hits *h)
{
        for (unsigned i = 0; i < h->n; i++) {
                size_t at = h->at[i];

                if (off > at || at - off > PREFIX_MAX)
                        continue;
                for (size_t k = off; k < at; k++) {
                        char c = str[k];

                        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9')))
                                return -1;
                }
                return (int)(at - off);
        }
        return -1;
}

static bool is_func_in_text(const ElfW(Sym) *s, const ElfW(Shdr) *sh, unsigned shnum)
{
        unsigned t = ELF64_ST_TYPE(s->st_info);

        return t == STT_FUNC && s->st_shndx != SHN_UNDEF && s->st_shndx < shnum && s->st_value != 0 &&
               (sh[s->st_shndx].sh_flags & SHF_EXECINSTR);
}

struct range {
        uint64_t off, len;
};

/* The symbol and string tables' file ranges go to drop[0..1]. */
static void *scan(const unsigned char *f, size_t size, char *name, size_t len, struct range drop[2])
{
        static const char ctl[] = "mallctl", n2m[] = "mallctlnametomib";
        const ElfW(Ehdr) *eh = (const void *)f;
        const ElfW(Shdr) *sh, *symsh = NULL, *strsh;
        const ElfW(Sym) *syms;
        const char *str;
        struct hits hctl, hn2m;
        struct main_prog m = { 0 };
        size_t nsyms, best_at = 0;
        int best_plen = -1;
        unsigned candidates = 0;
        ElfW(Addr) best_val = 0;
        uint64_t sho;

        if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
            eh->e_ident[EI_CLASS] != NATIVE_CLASS || eh->e_ident[EI_DATA] != NATIVE_DATA ||
            (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) || eh->e_shentsize != sizeof(ElfW(Shdr)) ||
            eh->e_shnum == 0 || eh->e_phentsize != sizeof(ElfW(Phdr)))
                return NULL;
        sho = eh->e_shoff;
        if (sho > size || (size - sho) / sizeof(ElfW(Shdr)) < eh->e_shnum || sho % sizeof(void *))
                return NULL;
        if (eh->e_phoff > size || (size - eh->e_phoff) / sizeof(ElfW(Phdr)) < eh->e_phnum)
                return NULL;

        /* /proc/self/exe must be the image that runs (not ld.so started
         * by hand with the program as its argument). */
        dl_iterate_phdr(main_prog_cb, &m);
        if (!m.found || m.phnum != eh->e_phnum ||
            memcmp(f + eh->e_phoff, m.phdr, (size_t)m.phnum * sizeof(ElfW(Phdr))) != 0)
                return NULL;

        sh = (const void *)(f + sho);
        for (unsigned i = 0; i < eh->e_shnum; i++)
                if (sh[i].sh_type == SHT_SYMTAB) {
                        symsh = &sh[i];
                        break;
                }
        if (!symsh || symsh->sh_link == 0 || symsh->sh_link >= eh->e_shnum ||
            symsh->sh_entsize != sizeof(ElfW(Sym)))
                return NULL;
        strsh = &sh[symsh->sh_link];
        if (strsh->sh_type != SHT_STRTAB || symsh->sh_offset > size || symsh->sh_size > size - symsh->sh_offset ||
            symsh->sh_offset % sizeof(void *) || strsh->sh_offset > size ||
            strsh->sh_size > size - strsh->sh_offset || strsh->sh_size == 0)
                return NULL;
        drop[0] = (struct range){ symsh->sh_offset, symsh->sh_size };
        drop[1] = (struct range){ strsh->sh_offset, strsh->sh_size };
        syms = (const void *)(f + symsh->sh_offset);
        nsyms = symsh->sh_size / sizeof(ElfW(Sym));
        if (nsyms > SYMS_MAX)
                nsyms = SYMS_MAX;
        str = (const char *)(f + strsh->sh_offset);

        /* Needles with their NUL: a whole-name suffix match. */
        find_ends(str, strsh->sh_size, ctl, sizeof(ctl), &hctl);
        find_ends(str, strsh->sh_size, n2m, sizeof(n2m), &hn2m);
        if (hctl.n == 0 || hn2m.n == 0)
                return NULL;

        for (size_t i = 0; i < nsyms; i++) {
                const ElfW(Sym) *s = &syms[i];
                int plen;

                if (!is_func_in_text(s, sh, eh->e_shnum) || s->st_name >= strsh->sh_size)
                        continue;
                plen = prefix_len(str, s->st_name, &hctl);
                if (plen < 0 || (best_plen >= 0 && best_plen <= plen))
                        continue;       /* keep the shortest prefix */
                if (++candidates > CANDIDATES_MAX)
                        break;
                /* Its companion, same prefix, must be a defined function too. */
                for (size_t j = 0; j < nsyms; j++) {
                        const ElfW(Sym) *c = &syms[j];

                        if (is_func_in_text(c, sh, eh->e_shnum) && c->st_name < strsh->sh_size &&
                            prefix_len(str, c->st_name, &hn2m) == plen &&
                            memcmp(str + c->st_name, str + s->st_name, (size_t)plen) == 0) {
                                best_plen = plen;
                                best_at = s->st_name;
                                best_val = s->st_value;
                                break;
                        }
                }
        }
        if (best_plen < 0 || (size_t)best_plen + sizeof(ctl) > len)
                return NULL;
        if (eh->e_type == ET_EXEC)
                m.bias = 0;
        if (!in_exec_segment(&m, m.bias + best_val))
                return NULL;
        memcpy(name, str + best_at, (size_t)best_plen);
        memcpy(name + best_plen, ctl, sizeof(ctl));
        return (void *)(m.bias + best_val);
}

void *agent_elf_find_mallctl(char *name, size_t len)
{
        struct range drop[2] = { { 0, 0 }, { 0, 0 } };
        struct stat st;
        void *map, *fn = NULL;
        int fd;

        fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > FILE_MAX) {
                close(fd);
                return NULL;
        }
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
                fn = scan(map, (size_t)st.st_size, name, len, drop);
                munmap(map, (size_t)st.st_size);
                /* Symbol tables are not part of the loaded image: let the
                 * kernel drop what the scan brought in, ignoring failure. */
                for (unsigned i = 0; i < 2; i++)
                        if (drop[i].len)
                                (void)posix_fadvise(fd, (off_t)drop[i].off, (off_t)drop[i].len,
                                                    POSIX_FADV_DONTNEED);
        }
        close(fd);
        return fn;
}
