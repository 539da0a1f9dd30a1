#!/bin/bash
# Promise 24: oomwatch never writes as root through a path the target can
# change. The attack: the report directory belongs to the target's user
# (nobody), which plants symbolic links under every name a bundle could get
# (the name for each of the next seconds, with the suffixes .1 to .99),
# pointing at a directory of root's elsewhere. oomwatch refuses to start
# (exit 125, before the target runs) and names the directory and why: the
# link's target gets nothing. So for a parent of the report directory that
# nobody owns, one writable by a group nobody is in, and one anyone may write
# (not sticky). A sticky directory of root's on the way (like /tmp) is fine.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (oomwatch as root, the target as nobody)"
ow_user_build
printf '[target]\nuser = nobody\n' > "$T/c.conf"
mkdir -m 0700 "$T/elsewhere"

refused() { # DIR WHAT: oomwatch with report dir DIR exits 125 naming WHAT, the target never starts
        local dir=$1 what=$2 out
        rm -f "$U/started"
        out=$("$OW_BIN" run -c "$T/c.conf" -m 64M -d "$U/dumps" -r "$dir" -- touch "$U/started" 2>&1)
        assert_eq "$?" 125 "status with the report directory $dir"
        [ -e "$U/started" ] && fail "the target ran with the report directory $dir"
        grep -q "refusing the report directory" <<<"$out" || fail "no refusal for $dir: $out"
        grep -qF "$what" <<<"$out" || fail "the refusal for $dir does not say '$what': $out"
        echo "$dir: $out"
}

# 1. the report directory is the target's, with links planted under every name
R=$U/reports-of-nobody
mkdir "$R"
chown nobody "$R"
now=$(date +%s)
su nobody -s /bin/sh -c "
        for t in \$(seq $now $((now + 30))); do
                s=\$(date -u -d @\$t +%Y%m%dT%H%M%SZ)
                for p in \$(seq 2 2 40); do ln -s '$T/elsewhere' '$R/'\$s-\$p 2>/dev/null; done
        done" || true
refused "$R" "owned by the target's user"
[ -z "$(ls -A "$T/elsewhere")" ] || fail "oomwatch wrote through a planted link: $(ls -A "$T/elsewhere")"

# 2. a parent the target owns; 3. one writable by a group of nobody's; 4. by anyone
mkdir -p "$U/p2/reports" && chown nobody "$U/p2"
refused "$U/p2/reports" "owned by the target's user"
mkdir -p "$U/p3/reports" && chgrp nogroup "$U/p3" && chmod 0775 "$U/p3"
refused "$U/p3/reports" "writable by a group of the target's user"
mkdir -p "$U/p4/reports" && chmod 0777 "$U/p4"
refused "$U/p4/reports" "writable by others"

# 5. a sticky directory of root's on the way is fine; the missing part is made 0700
mkdir "$U/p5" && chmod 1777 "$U/p5"
"$OW_BIN" run -c "$T/c.conf" -m 64M -d "$U/dumps" -r "$U/p5/reports" -- true 2>"$T/err" ||
        fail "a report directory under a sticky root-owned directory was refused: $(cat "$T/err")"
assert_eq "$(stat -c '%U %a' "$U/p5/reports")" "root 700" "owner and mode of the report directory made"
assert_no_ow_cgroups
