#!/bin/bash
# Promise 23 with report.user: a target that runs as root, its analysis as
# the unprivileged user report.user names (nobody). The target plants the
# crafted dump of t_rel_23_analysis_reads_only_what_the_target_can (stacks in
# a program only root can read): no name from that program reaches the
# bundle or oomwatch's output, and the bundle's dumps are nobody's (handed to
# the analysis). oomwatch not running as root refuses a report.user other
# than its own user: exit 125 with FILE:LINE, the target never runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/secret_lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (a root-only program, a user to become)"
secret_build

# the target as root, report.user = nobody: the analysis is nobody, whose
# the bundle's dumps are
printf '[report]\nuser = nobody\n' > "$T/c.conf"
secret_attack "$U/rootdumps"
owners=$(stat -c %U "$BUNDLE"/dumps/* | sort -u | tr '\n' ' ')
assert_eq "$owners" "nobody " "owner of the dumps the analysis read"
assert_no_ow_cgroups

# only root may name another user: oomwatch as nobody refuses at start
printf '[report]\nuser = daemon\n' > "$U/n.conf"
chmod 0644 "$U/n.conf"
mkdir -m 0700 "$U/n" && chown nobody "$U/n"
su nobody -s /bin/sh -c "'$OW_BIN' run -q -c '$U/n.conf' -m 96M -d '$U/n/d' -r '$U/n/r' -- touch '$U/n/ran'" 2>"$T/nobody.err"
assert_eq "$?" 125 "status of nobody's oomwatch with report.user = daemon"
grep -q "$U/n.conf:2: report.user 'daemon': only root" "$T/nobody.err" || fail "no reason given: $(cat "$T/nobody.err")"
[ -e "$U/n/ran" ] && fail "the target ran"
true
