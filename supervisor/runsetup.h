/* runsetup: what a run of the supervisor opens before its event loop, in
 * this order, each failure printed (then `oomwatch run` exits 125):
 *
 *   the agent library (not found: a warning, no agent), the host's name,
 *   the supervisor's name (svid.h), the dump directory (dumpdir.h) and its
 *   run record, taken for this supervisor alone (runrecord.h: what an
 *   earlier one left comes back in prev), the event log, the report
 *   directory and the analysis program (incident.h), then the bundles a
 *   dead supervisor left half made, finished (resumed), the cgroup
 *   (cgsetup.h), the metrics file, the timeline (a mapping of its own:
 *   its pages cost memory only once samples fill them), MALLOC_CONF and
 *   the target's environment (target_env.h).
 *
 * The fields are the caller's to read; rs_close() closes and frees what
 * was opened, also after a failed rs_open(). */
#pragma once
#include <stdbool.h>

#include "agentctl.h"
#include "dumpdir.h"
#include "incident.h"
#include "mallconf.h"
#include "runopts.h"
#include "say.h"
#include "svid.h"
#include "target_env.h"

struct cg;
struct evt;
struct met;
struct rr;
struct rr_prev;
struct tl;

struct runsetup {
        const struct ow_config *cfg;
        const struct say *log;
        char *agent_path;          /* NULL: no agent (none found, or nothing it could dump) */
        char host[256];            /* uname's nodename, "" unknown */
        char svid[SVID_MAX];       /* our name for the cgroup and the control socket */
        struct dumpdir dd;
        struct rr *rr;             /* the run record in the dump directory */
        struct rr_prev *prev;      /* what an earlier supervisor left there, or NULL */
        struct evt *evt;           /* the event log and status file */
        struct inc_ctx ictx;       /* the report directory, the analysis program and its user */
        char **resumed;            /* the bundles finished at start, NULL-terminated, or NULL */
        struct cg *cg;
        char *limit_from;          /* the cgroup whose limit applies, when not the target's own */
        struct met *met;           /* the Prometheus textfile */
        struct tl *tl;             /* the run's samples and marks, or NULL */
        struct mc_result mc;
        struct te_plan env;        /* what the target starts with */
};

/* agent_env: where te_plan writes the agent's variables (launch.h's, it
 * must outlive the plan). Returns 0 or -errno. */
int rs_open(struct runsetup *rs, struct run_opts *o, const struct say *log, struct ac_child_env *agent_env);
void rs_close(struct runsetup *rs);
