/* The target's cgroup for this supervisor (cgroup.h does the work): which
 * one (a child of the parent, or in own mode oomwatch's own), the memory
 * limit that really applies to it, and the stale cgroups of supervisors
 * that are gone. What it finds is said through say.h (warnings) or, when
 * set-up fails, printed as the error that makes `oomwatch run` exit 125. */
#include "cgsetup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "policy.h"
#include "units.h"

void cgs_reclaim(struct cg *cg, const struct ow_config *cfg, const struct say *l)
{
        char *report = NULL;
        int n;

        if (cfg->cgroup_mode == CFG_CGROUP_OWN)
                return;
        n = cg_reclaim(cg, &report);
        if (n > 0)
                say(l, 1, "removed %d stale cgroup%s of supervisors that are gone", n, n == 1 ? "" : "s");
        if (report)
                say(l, 0, "warning: %s", report);
        free(report);
}

int cgs_setup(struct ow_config *c, const struct say *l, struct cg **ret_cg, char **ret_limit_from)
{
        const char *origin = c->origin[CK_MEMORY_LIMIT] ? c->origin[CK_MEMORY_LIMIT] : "cgroup.memory_limit";
        uint64_t anc = 0, limit = c->memory_limit, room = 0;
        char *err = NULL, *where = NULL, l1[32], l2[32], l3[32];
        enum pol_limit fit = POL_LIMIT_FITS;
        int r;

        r = c->cgroup_mode == CFG_CGROUP_OWN ? cg_open_own(ret_cg, &err) : cg_open(c->parent, ret_cg, &err);
        if (r < 0)
                goto fail;
        r = cg_ancestor_limit(*ret_cg, &anc, &where);
        if (c->cgroup_mode == CFG_CGROUP_OWN) {
                if (r < 0 || !anc) {
                        if (r < 0)
                                fprintf(stderr, "oomwatch: cannot read the memory limits of \"%s\" and its "
                                                "ancestors: %s\n", cg_path(*ret_cg), strerror(-r));
                        else
                                fprintf(stderr, "oomwatch: own-cgroup mode: neither oomwatch's cgroup \"%s\" nor "
                                                "an ancestor it can see has a memory limit; give the container "
                                                "one (Kubernetes: resources.limits.memory), or use "
                                                "--cgroup-mode child with -m\n", cg_path(*ret_cg));
                        free(where);
                        return r < 0 ? r : -EINVAL;
                }
                c->memory_limit = anc;
                say(l, 1, "own-cgroup mode: supervising in %s (cgroup v%d), limit %s set by %s", cg_path(*ret_cg),
                    cg_version(*ret_cg), unit_format_size(anc, l1, sizeof(l1)), where);
                *ret_limit_from = where;
                return 0;
        }
        if (r < 0) {
                say(l, 0, "warning: cannot read the memory limits of the cgroups above \"%s\": %s; ignoring",
                    cg_path(*ret_cg), strerror(-r));
                anc = 0;
        }
        fit = pol_child_limit(c->memory_limit, anc, &limit, &room);
        unit_format_size(c->memory_limit, l1, sizeof(l1));
        unit_format_size(anc, l2, sizeof(l2));
        unit_format_size(limit, l3, sizeof(l3));
        if (fit == POL_LIMIT_CAPPED)
                say(l, 0, "warning: the memory limit %s (%s) is not below the limit of the ancestor cgroup \"%s\", "
                          "%s, where the kernel would OOM-kill first, oomwatch included: the target's cgroup gets "
                          "%s instead, which leaves room for oomwatch and the bundle, and that is the limit "
                          "oomwatch uses (thresholds, report)",
                    l1, origin, where, l2, l3);
        else if (fit == POL_LIMIT_TIGHT)
                say(l, 0, "warning: the memory limit %s (%s) is less than %s below the limit of the ancestor "
                          "cgroup \"%s\", %s: an OOM kill there may take oomwatch too, and then the bundle waits "
                          "for the next start",
                    l1, origin, unit_format_size(room, l3, sizeof(l3)), where, l2);
        c->memory_limit = limit;
        if (fit != POL_LIMIT_CAPPED) {
                free(where);
                where = NULL;
        }
        *ret_limit_from = where;
        r = cg_create(*ret_cg, c->memory_limit, c->swap, &err);
        if (r < 0)
                goto fail;
        return 0;
fail:
        fprintf(stderr, "oomwatch: cgroup set-up failed: %s\n", err ? err : strerror(-r));
        free(err);
        return r;
}
