/* Small file-system helpers shared by the supervisor's modules. */
#pragma once
#include <sys/types.h>

/* mkdir -p: create path and its missing parents with mode (existing
 * directories are left as they are). Returns 0 or -errno. */
int fs_mkdir_parents(const char *path, mode_t mode);
