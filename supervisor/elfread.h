/* The libelf reading behind ep_probe() (elfprobe.h), linked only into the
 * analysis program: `oomwatch-analysis probe PATH` runs it, as the target's
 * user, for the supervisor. Same contract as ep_probe. */
#pragma once
#include "elfprobe.h"

int ep_read_info(const char *path, struct ep_info *ret);
