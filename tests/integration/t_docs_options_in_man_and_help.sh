#!/bin/bash
# The manual pages and the program cannot drift apart:
# - every command in `oomwatch --help` has a subsection in oomwatch.1, and
#   every subsection names a real command;
# - every option in `oomwatch COMMAND --help` has an entry under that command
#   in oomwatch.1, and every option an entry there names exists in that help;
# - the defaults `oomwatch run --help` shows ([key = value], (default N))
#   are the ones oomwatch.1 gives;
# - every key `oomwatch config` prints, and every key configs/oomwatch.conf
#   shows, has an entry in its section of oomwatch.conf.5, and every entry
#   there is a real key; each entry says "Default:", with the value
#   configs/oomwatch.conf sets where it sets one.
# The checks read the roff source (no groff needed). They run on the real
# pages, which must pass, and then on altered copies (an option's entry
# removed, a key invented, a default changed), which must fail: the test
# proves it can see drift.
# OOMWATCH_MAN1 / OOMWATCH_MAN5 point it at other copies of the pages.
. "$(dirname "$0")/lib.sh"

OW=$BUILD/oomwatch
[ -x "$OW" ] || fail "$OW is not built"
MAN1=${OOMWATCH_MAN1:-$REPO/docs/man/oomwatch.1}
MAN5=${OOMWATCH_MAN5:-$REPO/docs/man/oomwatch.conf.5}
CONF=$REPO/configs/oomwatch.conf
for f in "$MAN1" "$MAN5" "$CONF"; do [ -f "$f" ] || fail "$f is missing"; done

# roff source -> one line per .TP entry: SCOPE<TAB>TAG<TAB>BODY, in plain text.
# SCOPE: "-" under .SH OPTIONS, the command under .SS "oomwatch CMD", the
# section under .SS "[section]", "" elsewhere. Also SUBSECTION<TAB>CMD lines.
roff_entries() {
        awk '
        function plain(s) {
                gsub(/\\f(\[[^]]*\]|\(..|.)/, "", s)
                gsub(/\\-/, "-", s); gsub(/\\&/, "", s); gsub(/\\e/, "\\", s)
                gsub(/\\\(aq/, "\047", s); gsub(/\\\(dq/, "\"", s)
                gsub(/\\\(em/, "--", s); gsub(/\\\(bu/, "*", s)
                return s
        }
        function text(s) {         # a macro line loses its name and quotes
                if (s ~ /^\.[A-Za-z]+/) { sub(/^\.[A-Za-z]+[ \t]*/, "", s); gsub(/"/, "", s) }
                return plain(s)
        }
        function flush() {
                if (have) print scope "\t" tag "\t" body
                have = 0; body = ""
        }
        /^\.\\"/ { next }
        /^\.SH/ { flush(); s = $0; sub(/^\.SH[ \t]*/, "", s); gsub(/"/, "", s)
                  scope = (s == "OPTIONS") ? "-" : ""; next }
        /^\.SS/ { flush(); s = $0; sub(/^\.SS[ \t]*/, "", s); gsub(/"/, "", s)
                  if (s ~ /^oomwatch [a-z]+$/) { scope = substr(s, 10); print "SUBSECTION\t" scope }
                  else if (s ~ /^\[[a-z]+\]$/) { scope = s; print "SUBSECTION\t" s }
                  else scope = ""
                  next }
        /^\.TP/ { flush(); want_tag = 1; next }
        /^\.(PP|LP|P|IP|RS|RE)([ \t]|$)/ { flush(); next }
        want_tag { tag = text($0); want_tag = 0; have = 1; next }
        have { body = body " " text($0) }
        END { flush() }
        ' "$1"
}

# Options named in a text: -x and --long-name at the start or after a blank or comma.
option_tokens() {
        grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[ ,]*//' | sort -u
}

# The option part of `--help` lines that describe options.
help_option_lines() {
        sed -nE 's/^ {1,8}(-[^ ].*)$/\1/p' | sed -E 's/ {2,}.*//'
}

# Is $1 a whole line of $2? (A test in the shell: the checks below ask it
# thousands of times, and a grep each was most of the test's time.)
has_line() { [[ $'\n'$2$'\n' == *$'\n'"$1"$'\n'* ]]; }

# Checks the pages given; prints each problem, returns the number found.
check_pages() {
        local man1=$1 man5=$2 problems=0 e1 e5 cmds cmd opt o key val body line sect
        e1=$(roff_entries "$man1") || return 1
        e5=$(roff_entries "$man5") || return 1
        p() { echo "  $*"; problems=$((problems + 1)); }

        # commands, both ways
        cmds=$("$OW" --help | awk '/^Commands:/ { f = 1; next } f && /^$/ { exit }
                                   f && /^  [a-z]/ { print $1 }')
        [ -n "$cmds" ] || p "no commands found in 'oomwatch --help'"
        for cmd in $cmds; do
                has_line "SUBSECTION	$cmd" "$e1" ||
                        p "oomwatch.1 has no subsection \"oomwatch $cmd\" (a command in oomwatch --help)"
        done
        for cmd in $(sed -n 's/^SUBSECTION\t\([a-z]*\)$/\1/p' <<<"$e1"); do
                has_line "$cmd" "$cmds" ||
                        p "oomwatch.1 documents a command \"oomwatch $cmd\" that oomwatch --help does not list"
        done

        # options, per command ("-": oomwatch's own), both ways
        for cmd in - $cmds; do
                local help man_opts help_opts
                if [ "$cmd" = - ]; then
                        help=$("$OW" --help) || p "oomwatch --help failed"
                        help_opts=$(grep -E '^ +oomwatch ' <<<"$help" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
                else
                        help=$("$OW" "$cmd" --help) || p "oomwatch $cmd --help failed"
                        help_opts=$(help_option_lines <<<"$help" | option_tokens)
                fi
                man_opts=$(awk -F'\t' -v s="$cmd" '$1 == s { print $2 }' <<<"$e1" | option_tokens)
                for o in $help_opts; do
                        has_line "$o" "$man_opts" ||
                                p "oomwatch.1 lacks option $o of '${cmd/#-/oomwatch} --help'"
                done
                for o in $man_opts; do
                        has_line "$o" "$help_opts" ||
                                p "oomwatch.1 lists $o under '${cmd/#-/oomwatch}', which its --help does not know"
                done

                # defaults shown in the help: [section.key = value] and (default value)
                [ "$cmd" = - ] && continue
                local re_key='\[([a-z_]+\.[a-z_]+) = ([^]]+)\]' re_req='\[([a-z_]+\.[a-z_]+); required\]'
                local re_def='\(default ([^ )]+)\)'
                while IFS= read -r line; do
                        # help_option_lines and the first --option, in the shell
                        [[ $line =~ ^\ {1,8}(-[^ ].*)$ ]] || continue
                        opt=${BASH_REMATCH[1]}
                        opt=${opt%%  *}
                        [[ $opt =~ --[a-z][a-z-]* ]] || continue
                        opt=${BASH_REMATCH[0]}
                        body=$(awk -F'\t' -v s="$cmd" -v o="$opt" \
                                '$1 == s && (" " $2 " ") ~ ("[ ,]" o "[ ,]") { print $3 }' <<<"$e1")
                        if [[ $line =~ $re_key ]]; then
                                key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
                                [[ $body == *"$key"* ]] || p "oomwatch.1: $opt does not name its key $key"
                                grep -qiE -- "default:? $val([ .;,)]|$)" <<<"$body" ||
                                        p "oomwatch.1: $opt does not give the default $val ('$cmd --help' does)"
                        elif [[ $line =~ $re_req ]]; then
                                [[ $body == *"${BASH_REMATCH[1]}"* ]] ||
                                        p "oomwatch.1: $opt does not name its key ${BASH_REMATCH[1]}"
                                [[ $body == *required* ]] || p "oomwatch.1: $opt does not say it is required"
                        elif [[ $line =~ $re_def ]]; then
                                val=${BASH_REMATCH[1]}
                                grep -qiE -- "default:? $val([ .;,)]|$)" <<<"$body" ||
                                        p "oomwatch.1: $opt does not give the default $val ('$cmd --help' does)"
                        fi
                done < <(awk '/^ +-/ { if (l != "") print l; l = $0; next }
                              /^                    / && l != "" { l = l " " $0; next }
                              { if (l != "") print l; l = "" }
                              END { if (l != "") print l }' <<<"$help")
        done

        # configuration keys: the program's, the shipped file's, the page's
        local prog_keys file_keys page_keys
        prog_keys=$("$OW" config "$CONF" 2>/dev/null | awk '
                /^\[[a-z]+\]$/ { s = $0; next }
                /^[a-z_]+ +=/ && s != "" { print s "\t" $1 }' | sort -u)
        [ -n "$prog_keys" ] || p "'oomwatch config $CONF' printed no keys"
        file_keys=$(awk '
                /^\[[a-z]+\]/ { s = $1; next }
                s != "" && match($0, /^#?[a-z_]+ *=/) { k = $0; sub(/^#/, "", k); sub(/ *=.*/, "", k); print s "\t" k }' \
                "$CONF" | sort -u)
        page_keys=$(awk -F'\t' '$1 ~ /^\[[a-z]+\]$/ { split($2, w, /[ =]/); print $1 "\t" w[1] }' <<<"$e5" | sort -u)
        while IFS=$'\t' read -r sect key; do
                [ -n "$key" ] || continue
                has_line "$sect	$key" "$page_keys" || p "oomwatch.conf.5 lacks key $key of $sect ('oomwatch config' has it)"
        done <<<"$prog_keys"
        while IFS=$'\t' read -r sect key; do
                [ -n "$key" ] || continue
                has_line "$sect	$key" "$prog_keys" ||
                        p "configs/oomwatch.conf shows key $key in $sect, which 'oomwatch config' does not know"
        done <<<"$file_keys"
        while IFS=$'\t' read -r sect key; do
                [ -n "$key" ] || continue
                has_line "$sect	$key" "$prog_keys" ||
                        p "oomwatch.conf.5 documents $key in $sect, which 'oomwatch config' does not know"
                has_line "$sect	$key" "$file_keys" ||
                        p "oomwatch.conf.5 documents $key in $sect, which configs/oomwatch.conf does not show"
        done <<<"$page_keys"
        for sect in $(cut -f1 <<<"$prog_keys" | sort -u); do
                has_line "SUBSECTION	$sect" "$e5" || p "oomwatch.conf.5 has no subsection \"$sect\""
        done

        # defaults: every entry has one; where the shipped file sets a key, the same value
        local -A key_body=()
        while IFS=$'\t' read -r sect key body; do
                key_body["$sect	$key"]+=${key_body["$sect	$key"]+$'\n'}$body
                [[ $body == *Default:* ]] || p "oomwatch.conf.5: $sect $key gives no Default:"
        done < <(awk -F'\t' '$1 ~ /^\[[a-z]+\]$/ { split($2, w, /[ =]/); print $1 "\t" w[1] "\t" $3 }' <<<"$e5")
        while IFS=$'\t' read -r sect key val; do
                body=${key_body["$sect	$key"]-}
                [ -n "$body" ] || continue     # reported above
                grep -qE -- "Default: ${val//./\\.}([ .;,)]|\$)" <<<"$body" ||
                        p "oomwatch.conf.5: $sect $key should say 'Default: $val' as configs/oomwatch.conf does"
        done < <(awk '/^\[[a-z]+\]/ { s = $1; next }
                      s != "" && /^[a-z_]+ *=/ { k = $0; sub(/ *=.*/, "", k); v = $0; sub(/^[^=]*= */, "", v)
                                                 sub(/ +$/, "", v); print s "\t" k "\t" v }' "$CONF")
        return "$problems"
}

check_pages "$MAN1" "$MAN5" >"$T/real" 2>&1
n=$?
if [ "$n" != 0 ]; then
        cat "$T/real"
        fail "$n problem(s) between the manual pages and the program"
fi

# The checks must see drift: each altered copy has to be caught.
mutate() { # NAME FILE SED-SCRIPT: copy FILE to $T/NAME with the script applied
        sed "$3" "$2" >"$T/$1"
        cmp -s "$2" "$T/$1" && fail "alteration '$1' changed nothing: the self-test is stale"
        return 0
}
mutate no_keep.1 "$MAN1" '/^\.BR \\-k ", " \\-\\-keep/,/^\.TP/{/^\.TP/!d}'
mutate bogus_opt.1 "$MAN1" '/^\.SS "oomwatch diff"/a .TP\n.B \\-\\-bogus\nNot an option.'
mutate wrong_default.1 "$MAN1" '/^\.BR \\-k ", " \\-\\-keep/,/^\.TP/s/^\.BR 8 ;$/.BR 9 ;/'
mutate wrong_interval.1 "$MAN1" '/\\-\\-interval/,/^\.TP/s/^\.BR auto )\.$/.BR off )./'
mutate no_trend.1 "$MAN1" 's/^\.SS "oomwatch trend"/.SS "Trend"/'
mutate no_swap.5 "$MAN5" '/^\\fBswap\\fR/s/swap/swop/'
mutate bogus_key.5 "$MAN5" '/^\.SS "\[dumps\]"/a .TP\n\\fBbogus\\fR = \\fIN\\fR\nNot a key. Default: 1.'
mutate wrong_default.5 "$MAN5" 's/^(1 to 10000)\. Default: 20\.$/(1 to 10000). Default: 25./'
for m in no_keep.1 bogus_opt.1 wrong_default.1 wrong_interval.1 no_trend.1; do
        check_pages "$T/$m" "$MAN5" >"$T/out" 2>&1 && fail "altered page $m passed the checks"
        echo "caught $m: $(head -n 1 "$T/out")"
done
for m in no_swap.5 bogus_key.5 wrong_default.5; do
        check_pages "$MAN1" "$T/$m" >"$T/out" 2>&1 && fail "altered page $m passed the checks"
        echo "caught $m: $(head -n 1 "$T/out")"
done
exit 0
