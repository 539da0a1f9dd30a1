#!/bin/bash
# Promise 19: the privilege drop is exact. The target (self_report) prints
# its Uid/Gid/Groups lines from /proc/self/status:
#   user = nobody                 uid, gid and groups as `id nobody` says
#   user = <a member of a group>  the same, with its supplementary groups
#   user = nobody, group = daemon the group replaces the primary group
#   user = 12345 (no passwd entry) uid = gid = 12345, that group only
#   group = daemon (no user)      still root, gid and groups daemon only
# A failed drop means no exec, exit 125 and no cgroup left: an unknown user
# or group, and a drop refused by the kernel (oomwatch run without
# CAP_SETGID/CAP_SETUID through setpriv: setgroups fails).
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to change users"
id nobody >/dev/null 2>&1 || skip "no user nobody"
cc -O1 -o "$T/self_report" "$REPO/tests/programs/self_report.c" || fail "cc failed"
chmod 0711 "$T"

ids() { # CONFIG-LINES... : run self_report with them; print "uid gid groups"
        printf '[target]\n' > "$T/c.conf"
        printf '%s\n' "$@" >> "$T/c.conf"
        "$OW_BIN" run -q -c "$T/c.conf" -m 32M -d "$T/dumps" -r "$T/reports" -- "$T/self_report" \
                >"$T/out" 2>"$T/err" || fail "$*: status $? ($(cat "$T/err"))"
        awk '$1 == "Uid:" { u = $2 " " $3 " " $4 " " $5 }
             $1 == "Gid:" { g = $2 " " $3 " " $4 " " $5 }
             $1 == "Groups:" { $1 = ""; sub(/^ +/, ""); gr = $0 }
             END { print u " / " g " / " gr }' "$T/out"
}
nu=$(id -u nobody) ng=$(id -g nobody) ngroups=$(id -G nobody | tr ' ' '\n' | sort -n | xargs)
daemon=$(getent group daemon | cut -d: -f3)
[ -n "$daemon" ] || skip "no group daemon"

got=$(ids "user = nobody")
groups=$(echo "${got##* / }" | tr ' ' '\n' | sort -n | xargs)
assert_eq "${got% / *} / $groups" "$nu $nu $nu $nu / $ng $ng $ng $ng / $ngroups" "user = nobody"
echo "user = nobody: $got"

# a user with supplementary groups, where this system has one
multi=$(getent group | awk -F: '$4 != "" { split($4, m, ","); print m[1]; exit }')
if [ -n "$multi" ] && id "$multi" >/dev/null 2>&1; then
        got=$(ids "user = $multi")
        groups=$(echo "${got##* / }" | tr ' ' '\n' | sort -n | xargs)
        u=$(id -u "$multi") g=$(id -g "$multi")
        assert_eq "${got% / *} / $groups" "$u $u $u $u / $g $g $g $g / $(id -G "$multi" | tr ' ' '\n' | sort -n | xargs)" \
                "user = $multi"
        echo "user = $multi (supplementary groups): $got"
fi

got=$(ids "user = nobody" "group = daemon")
assert_eq "$got" "$nu $nu $nu $nu / $daemon $daemon $daemon $daemon / $daemon" "user = nobody, group = daemon"
echo "user = nobody, group = daemon: $got"

got=$(ids "user = 12345")
assert_eq "$got" "12345 12345 12345 12345 / 12345 12345 12345 12345 / 12345" "user = 12345"
echo "user = 12345: $got"

got=$(ids "group = daemon")
assert_eq "$got" "0 0 0 0 / $daemon $daemon $daemon $daemon / $daemon" "group = daemon"
echo "group = daemon: $got"

marker=$T/started
for conf in "user = no-such-user-oomwatch" "group = no-such-group-oomwatch"; do
        printf '[target]\n%s\n' "$conf" > "$T/c.conf"
        "$OW_BIN" run -c "$T/c.conf" -m 32M -d "$T/dumps" -r "$T/reports" -- touch "$marker" 2>"$T/err"
        assert_eq "$?" 125 "status for $conf"
        grep -q "no-such-" "$T/err" || fail "$conf: the error does not name it: $(cat "$T/err")"
        [ -e "$marker" ] && fail "$conf: the target ran"
done

command -v setpriv >/dev/null || skip "no setpriv(1) for the refused drop"
printf '[target]\nuser = nobody\n' > "$T/c.conf"
setpriv --bounding-set -setgid,-setuid --inh-caps -setgid,-setuid -- \
        "$OW_BIN" run -c "$T/c.conf" -m 32M -d "$T/dumps" -r "$T/reports" -- touch "$marker" 2>"$T/err"
assert_eq "$?" 125 "status when the kernel refuses the drop"
grep -q "setgroups\|setgid\|setuid" "$T/err" || fail "the refused drop is not explained: $(cat "$T/err")"
[ -e "$marker" ] && fail "the target ran although the drop failed"
echo "refused drop: $(head -n 1 "$T/err")"
assert_no_ow_cgroups
