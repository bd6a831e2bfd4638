#!/bin/sh
# mkexpected.sh PROFILE - prints what `go tool pprof -raw PROFILE` says about a legacy
# profile, in the canonical form tests/unit/profile/test_legacy.c renders heapwatch's
# parse in: header, the samples after pprof's merge (equal stacks and labels summed,
# all-zero and frameless samples left out, first appearance first), then the
# locations they use, by address, with their mappings. The .expected files next to
# the fixtures are this script's output, and so are shared/*.expected for the public
# profiles in ../shared/testdata/profiles; regenerate (from this directory) with
#   for f in *.txt *.bin; do sh mkexpected.sh "$f" > "${f%.*}.expected"; done
#   for f in shared/*.expected; do p=$(basename "$f" .expected)
#       sh mkexpected.sh "../../../../shared/testdata/profiles/$p" > "$f"; done
set -eu
go tool pprof -raw "$1" 2>/dev/null | awk '
function pad(a) { sub(/^0x/, "", a); while (length(a) < 16) a = "0" a; return a }
/^PeriodType:/ { print "period_type " $2 " " $3; next }
/^Period:/ { print "period " $2; next }
/^Samples:/ { getline; line = "types"; for (i = 1; i <= NF; i++) line = line " " $i; print line; sec = "s"; next }
/^Locations/ { sec = "l"; next }
/^Mappings/ { sec = "m"; next }
sec == "s" && /^                [^ ]/ { lab = $1; gsub(/[][]/, "", lab); sub(/:/, "=", lab); labels[n] = labels[n] " " lab; next }
sec == "s" && /:/ {
    n++; split($0, part, ":"); vals[n] = part[1]; gsub(/^ +| +$/, "", vals[n]); gsub(/ +/, " ", vals[n])
    ids[n] = part[2]; next
}
sec == "l" && /^ *[0-9]+: 0x/ { id = $1; sub(/:/, "", id); addr[id] = $2; m = ""; if ($3 ~ /^M=/) { m = $3; sub(/M=/, "", m) }; lmap[id] = m; next }
sec == "m" && /^[0-9]+: / { split($0, f, / /); id = f[1]; sub(/:/, "", id); mp[id] = f[2] " file=" f[3] " id=" f[4]; next }
END {
    for (i = 1; i <= n; i++) {
        k = split(ids[i], x, / +/); line = ""
        for (j = 1; j <= k; j++) if (x[j] != "") line = line " " addr[x[j]]
        if (line == "") continue
        print "sample " vals[i] " @" line (labels[i] == "" ? "" : " |" labels[i])
    }
    for (id in addr) print "location " pad(addr[id]) " " (lmap[id] == "" ? "none" : mp[lmap[id]]) | "sort"
}'
