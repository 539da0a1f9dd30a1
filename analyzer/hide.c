/* Which frames are the runtime's, not the user's: the default patterns and
 * the check of a pattern (analyzer.h). A file of its own so that a program
 * that only validates report.hide (the supervisor's config) links nothing
 * else of the analyzer. */
#include <errno.h>
#include <string.h>

#include "analyzer.h"

/* The C and C++ runtime and the allocators. Allocator entry points
 * (malloc, operator new, jemalloc) are also dropped from every stack before
 * anything else (docs/ANALYZER.md); they are listed so that the list says
 * what "runtime" means on its own. */
const char *const an_default_hide[] = {
        /* modules: the C library, the dynamic loader, libstdc++, libgcc_s, allocators */
        "*/libc.so*", "*/libc-*.so", "*/libm.so*", "*/libpthread.so*", "*/libdl.so*", "*/librt.so*",
        "*/ld-linux*", "*/ld-*.so*", "*/libstdc++.so*", "*/libgcc_s.so*", "*/libjemalloc*", "*/libtcmalloc*",
        /* the C++ standard library and ABI, also where inlined into the program */
        "std::*", "__gnu_cxx::*", "__cxxabiv1::*", "__cxa_*", "operator new*", "operator delete*",
        /* the C library where it is linked in statically */
        "malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign", "aligned_alloc", "memalign",
        "valloc", "pvalloc", "strdup", "strndup", "asprintf", "vasprintf", "getline", "getdelim",
        "open_memstream", "__libc_*", "__GI_*", "_IO_*", "_dl_*", "__interceptor_*",
        /* CPython's allocator functions */
        "PyMem_*", "_PyMem_*", "PyObject_Malloc", "PyObject_Calloc", "PyObject_Realloc", "_PyObject_Malloc",
        "_PyObject_Calloc", "_PyObject_Realloc",
        /* PostgreSQL's memory contexts (palloc over malloc) and its string
         * buffer (StringInfo, what std::string is to C++) */
        "palloc", "palloc0", "palloc_extended", "palloc_aligned", "repalloc", "repalloc0", "repalloc_huge",
        "repalloc_extended", "MemoryContextAlloc*", "MemoryContextStrdup", "pstrdup", "pnstrdup", "AllocSet*",
        "Generation*Alloc*", "SlabAlloc*", "enlargeStringInfo", "appendStringInfo*", "appendBinaryStringInfo*",
        NULL,
};

int an_hide_check(const char *pattern, const char **ret_reason)
{
        if (!pattern || !*pattern) {
                *ret_reason = "an empty pattern";
                return -EINVAL;
        }
        if (strlen(pattern) > AN_HIDE_MAX_LEN) {
                *ret_reason = "a pattern longer than 256 characters";
                return -EINVAL;
        }
        for (const unsigned char *p = (const unsigned char *)pattern; *p; p++)
                if (*p < 0x20 || *p == 0x7f) {
                        *ret_reason = "a control character in a pattern";
                        return -EINVAL;
                }
        return 0;
}
