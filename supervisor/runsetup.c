/* What a run opens before its loop (runsetup.h). */
#include "runsetup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "cgroup.h"
#include "cgsetup.h"
#include "elfprobe.h"
#include "events.h"
#include "metrics.h"
#include "runrecord.h"
#include "timeline.h"

/* One supervisor per dump directory: its run record's lock. */
static int claim(struct runsetup *rs)
{
        pid_t holder = 0;
        char *warn = NULL;
        int r;

        r = rr_claim(rs->dd.state_fd, &rs->rr, &rs->prev, &holder, &warn);
        if (r == -EBUSY) {
                fprintf(stderr, "oomwatch: the dump directory \"%s\" is in use by another oomwatch%s: one "
                                "supervisor per dump directory\n", rs->dd.path, "");
                if (holder > 0)
                        fprintf(stderr, "oomwatch: (its run record names supervisor pid %d)\n", (int)holder);
                return r;
        }
        if (r < 0) {
                fprintf(stderr, "oomwatch: cannot take the dump directory \"%s\" (%s): %s\n", rs->dd.path,
                        RR_LOCK_FILE, strerror(-r));
                return r;
        }
        if (warn)
                say(rs->log, 0, "warning: ignoring the run record \"%s/%s\": %s", rs->dd.path, RR_FILE, warn);
        free(warn);
        rr_set_supervisor(rs->rr, rs->host);
        return 0;
}

static int open_reports(struct runsetup *rs)
{
        char *err = NULL, *warn = NULL;
        int r;

        r = inc_ctx_open(&rs->ictx, rs->cfg, rs->dd.fd, rs->dd.path, &err, &warn);
        if (warn)
                say(rs->log, 0, "warning: %s", warn);
        free(warn);
        if (r < 0) {
                fprintf(stderr, "oomwatch: %s\n", err ? err : strerror(-r));
                free(err);
                return r;
        }
        /* the target's program is read as the target's user */
        ep_probe_as(&rs->ictx.user, rs->ictx.switch_user);
        /* bundles whose supervisor died while it wrote them: finished first */
        if (inc_resume(&rs->ictx, stderr, &rs->resumed) <= 0) {
                for (char **d = rs->resumed; d && *d; d++)
                        free(*d);
                free(rs->resumed);
                rs->resumed = NULL;
        }
        return 0;
}

static int plan_target(struct runsetup *rs, struct ow_config *cfg, struct ac_child_env *agent_env)
{
        char *err = NULL;
        int r;

        r = mc_compose(cfg, rs->dd.prefix, &rs->mc, &err);
        if (r < 0) {
                fprintf(stderr, "oomwatch: %s\n", err ? err : strerror(-r));
                free(err);
                return r;
        }
        r = te_plan(cfg, rs->mc.conf, rs->agent_path, agent_env, say_note, (void *)rs->log, &rs->env);
        if (r < 0)
                return r;
        if (rs->agent_path && !rs->env.agent) {
                /* no profiling jemalloc: nothing the agent could dump */
                free(rs->agent_path);
                rs->agent_path = NULL;
                /* nor usage steps: interval = auto follows the limit, as
                 * without the agent (a jemalloc the plan cannot see, behind
                 * a script, still writes those) */
                cfg->agent = false;
                struct mc_result mc = { 0 };
                if (mc_compose(cfg, rs->dd.prefix, &mc, &err) >= 0) {
                        if (te_plan_set_malloc_conf(&rs->env, mc.conf) >= 0) {
                                free(rs->mc.conf);
                                rs->mc = mc;
                        } else {
                                free(mc.conf);
                        }
                }
                free(err);
        }
        if (rs->log->verbosity >= 0)
                run_print_warnings(cfg, &rs->mc, stderr);
        say(rs->log, 1, "MALLOC_CONF=%s", rs->mc.conf);
        return 0;
}

int rs_open(struct runsetup *rs, struct run_opts *o, const struct say *log, struct ac_child_env *agent_env)
{
        struct utsname u;
        int r;

        *rs = (struct runsetup){
                .cfg = &o->cfg, .log = log, .ictx = { .report_fd = -1, .program_fd = -1, .dump_dir_fd = -1 },
        };
        dd_init(&rs->dd, log);
        if (rs->cfg->agent) {
                rs->agent_path = te_find_agent();
                if (!rs->agent_path) {
                        say(log, 0, "warning: liboomwatch-agent.so was not found next to oomwatch or in %s/oomwatch; "
                                    "running without it (no dumps on demand, usage steps, warn_at, gdump = N%%, "
                                    "baseline_after)",
                            OOMWATCH_LIBDIR);
                        o->cfg.agent = false;   /* interval = auto follows the limit then */
                }
        }
        if (uname(&u) == 0)
                snprintf(rs->host, sizeof(rs->host), "%s", u.nodename);
        r = svid_self(rs->svid, sizeof(rs->svid));
        if (r < 0)
                return r;
        r = dd_open(&rs->dd, rs->cfg);
        if (r < 0)
                return r;
        r = claim(rs);
        if (r < 0)
                return r;
        r = evt_open(rs->cfg->events, rs->dd.state_fd, &rs->evt);
        if (r < 0) {
                fprintf(stderr, "oomwatch: cannot open the event log \"%s\": %s\n", rs->cfg->events, strerror(-r));
                return r;
        }
        r = open_reports(rs);
        if (r < 0)
                return r;
        r = cgs_setup(&o->cfg, log, &rs->cg, &rs->limit_from);
        if (r < 0)
                return r;
        r = met_open(rs->cfg->metrics, rs->dd.path, rs->cfg->memory_limit, &rs->met);
        if (r >= 0)
                r = met_write(rs->met);
        if (r < 0) {
                fprintf(stderr, "oomwatch: cannot write the metrics file \"%s\": %s\n", rs->cfg->metrics, strerror(-r));
                return r;
        }
        /* a mapping of its own: its pages cost memory only once samples fill them */
        rs->tl = mmap(NULL, sizeof(*rs->tl), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (rs->tl == MAP_FAILED)
                rs->tl = NULL;
        if (rs->tl)
                tl_init(rs->tl);
        {
                struct rr_cgroup rc = {
                        .version = cg_version(rs->cg), .mode = cg_is_own(rs->cg) ? "own" : "child",
                        .path = cg_path(rs->cg), .container = cg_hierarchy_path(rs->cg), .limit_from = rs->limit_from,
                        .id = cg_id(rs->cg), .memory_limit = rs->cfg->memory_limit,
                };
                rr_set_cgroup(rs->rr, &rc);
        }
        return plan_target(rs, &o->cfg, agent_env);
}

void rs_close(struct runsetup *rs)
{
        inc_ctx_close(&rs->ictx);
        free(rs->agent_path);
        rr_close(rs->rr, RR_ENDED);
        rr_prev_free(rs->prev);
        free(rs->limit_from);
        evt_close(rs->evt);
        met_close(rs->met);
        if (rs->tl)
                munmap(rs->tl, sizeof(*rs->tl));
        if (rs->cg) {
                int d = cg_destroy(rs->cg);
                if (d < 0)
                        fprintf(stderr, "oomwatch: could not remove the cgroup: %s\n", strerror(-d));
        }
        dd_close(&rs->dd);
        te_plan_free(&rs->env);
        free(rs->mc.conf);
        for (char **d = rs->resumed; d && *d; d++)
                free(*d);
        free(rs->resumed);
        *rs = (struct runsetup){ .ictx = { .report_fd = -1, .program_fd = -1, .dump_dir_fd = -1 } };
}
