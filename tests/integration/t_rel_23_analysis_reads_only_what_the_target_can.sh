#!/bin/bash
# Promise 23: the analysis reads only what the target could read (and the
# supervisor links neither libdw nor libelf: it parses nothing). The target
# runs as nobody. Before it starts its service it plants a dump of its own,
# newer than any jemalloc will write, whose stacks point into a program only
# root can read (mode 0700 file in a 0700 directory, with DWARF): as root the
# analyzer would name its functions and source lines (checked: `oomwatch diff`
# run by root does). After the OOM kill, none of those names reaches the
# bundle (report.txt, growth.*, incident.json) or oomwatch's stderr; the
# bundle is made all the same (the secret program's frames stay addresses).
# (t_rel_23_report_user_is_who_reads: the same as report.user.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/secret_lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (a root-only program, the target as nobody)"
# the supervisor (root) parses no ELF or DWARF of anyone's: it does not even map the libraries
needed=$(readelf -d "$BUILD/oomwatch" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case " $needed" in *" libdw"* | *" libelf"*) fail "oomwatch links an ELF/DWARF parser: $needed" ;; esac
secret_build

# the target as nobody: the analysis is nobody too
printf '[target]\nuser = nobody\n' > "$T/c.conf"
secret_attack "$U/dumps"
assert_no_ow_cgroups

