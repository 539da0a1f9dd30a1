/* cgsetup: the target's cgroup as a run of the supervisor sets it up.
 *
 *   cgs_setup()    open the cgroup (cg_open, or cg_open_own in own mode),
 *                  decide the limit that applies and create the target's
 *                  cgroup with it: in own mode the effective limit of
 *                  oomwatch's cgroup and its ancestors (none: -EINVAL); in
 *                  child mode cfg->memory_limit, lowered below an
 *                  ancestor's limit that is not above it (policy.h's
 *                  pol_child_limit, with a warning). cfg->memory_limit
 *                  becomes that limit, before anything (interval,
 *                  thresholds, status, report) uses it. *ret_cg is set as
 *                  soon as the cgroup is open, also when a later step fails
 *                  (the caller destroys it with cg_destroy); *ret_limit_from
 *                  (malloc'd, or NULL) names the ancestor whose limit
 *                  applies when it is not the target's own. On failure the
 *                  reason is printed on stderr. Returns 0 or -errno.
 *   cgs_reclaim()  remove the cgroups of supervisors that are gone
 *                  (cg_reclaim); nothing in own mode. Says what it did. */
#pragma once
#include "config.h"
#include "say.h"

struct cg;

int cgs_setup(struct ow_config *cfg, const struct say *l, struct cg **ret_cg, char **ret_limit_from);
void cgs_reclaim(struct cg *cg, const struct ow_config *cfg, const struct say *l);
