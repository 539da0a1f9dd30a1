/* Verdict, exit status, report and restart decisions. */
#include "policy.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

const char *pol_verdict(bool exec_failed, int wstatus, bool oom_counted, bool final)
{
        bool sigkill = WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL;

        if (exec_failed)
                return POL_VERDICT_EXEC_FAILED;
        if (sigkill && oom_counted)
                return POL_VERDICT_OOM;
        if (sigkill && !final)
                return NULL;
        return WIFSIGNALED(wstatus) ? POL_VERDICT_SIGNAL : POL_VERDICT_EXIT;
}

const char *pol_unobserved_cause(bool seen, uint64_t oom_kill_rise, uint64_t group_kill_rise)
{
        if (!seen)
                return POL_CAUSE_UNKNOWN;
        if (group_kill_rise)
                return POL_CAUSE_GROUP_OOM;
        return oom_kill_rise ? POL_CAUSE_OOM : POL_CAUSE_NO_OOM;
}

enum pol_limit pol_child_limit(uint64_t requested, uint64_t ancestor, uint64_t *ret_limit, uint64_t *ret_room)
{
        uint64_t room = ancestor / 4 < POL_HEADROOM ? ancestor / 4 : POL_HEADROOM;

        *ret_room = room;
        *ret_limit = requested;
        if (!ancestor || requested + room <= ancestor)
                return POL_LIMIT_FITS;
        if (requested < ancestor)
                return POL_LIMIT_TIGHT;
        /* whole pages: the kernel rounds limits down to them anyway */
        *ret_limit = (ancestor - room) & ~4095ULL;
        return POL_LIMIT_CAPPED;
}

int pol_exit_status(int wstatus)
{
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return 128;
}

static bool is_oom(const char *verdict)
{
        return verdict && strcmp(verdict, POL_VERDICT_OOM) == 0;
}

bool pol_wants_report(enum cfg_report_on on, const char *verdict, int status)
{
        switch (on) {
        case CFG_REPORT_ON_OOM:
                return is_oom(verdict);
        case CFG_REPORT_ON_EXIT:
                return is_oom(verdict) || status != 0;
        case CFG_REPORT_ON_ALWAYS:
                return true;
        }
        return false;
}

bool pol_restart(enum cfg_restart policy, const char *verdict, int status, bool exec_failed, bool stopping,
                 unsigned restarts, unsigned max_restarts)
{
        bool again;

        switch (policy) {
        case CFG_RESTART_ALWAYS:
                again = true;
                break;
        case CFG_RESTART_ON_FAILURE:
                again = status != 0;
                break;
        case CFG_RESTART_ON_OOM:
                again = is_oom(verdict);
                break;
        default:
                again = false;
        }
        return again && !exec_failed && !stopping && restarts < max_restarts;
}

uint64_t pol_restart_delay(uint64_t base_ms, unsigned restarts, uint64_t cap_ms)
{
        uint64_t d = base_ms;

        for (unsigned i = 0; i < restarts && d < cap_ms; i++)
                d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
        return d > cap_ms ? cap_ms : d;
}

int pol_exit_status_tree(int status, unsigned tree_kills, bool stopping)
{
        if (status == 0 && tree_kills > 0 && !stopping)
                return POL_EXIT_TREE_OOM;
        return status;
}

bool pol_rate_allow(struct pol_rate *r, unsigned limit, uint64_t window_ms, uint64_t now_ms)
{
        if (limit > POL_RATE_MAX)
                limit = POL_RATE_MAX;
        if (limit == 0 || r->total >= POL_MAX_TREE_BUNDLES)
                return false;
        /* forget what fell out of the window (the ring holds the newest n) */
        while (r->n) {
                unsigned oldest = (r->head + POL_RATE_MAX - r->n) % POL_RATE_MAX;
                if (now_ms >= r->t[oldest] && now_ms - r->t[oldest] < window_ms)
                        break;
                r->n--;
        }
        if (r->n >= limit)
                return false;
        r->t[r->head] = now_ms;
        r->head = (r->head + 1) % POL_RATE_MAX;
        r->n++;
        r->total++;
        return true;
}
