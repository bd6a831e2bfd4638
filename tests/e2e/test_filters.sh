#!/usr/bin/env bash
# test_filters.sh - pprof's focus filters in `heapwatch top` against `go tool pprof -top`.
#
#  1. A fresh heap of unboundedmap (-memprofilerate=4096, a few seconds), and
#  2. every ../shared/testdata profile pprof reads (skipped when absent):
#     with each filter set below and each sample index, top must print what
#     `pprof -top` prints, byte for byte from "Showing nodes accounting for" on.
#     The "Active filters:" block above it must match too (checked once per set).
#  3. A regexp that does not compile is a usage error (exit 2) naming the flag.
#
# Run from anywhere after `make`: bash tests/e2e/test_filters.sh

# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

RUN_SECONDS=${RUN_SECONDS:-3}
SHARED=${SHARED:-$E2E_ROOT/../shared/testdata/profiles}

# One filter set per line, pprof-style flags given to both tools.
SETS='-focus=runtime
-ignore=runtime
-hide=runtime
-show=main
-show_from=main
-prune_from=runtime
-tagfocus=1kb:
-tagignore=:512b
-tagfocus=bytes=64b:8kb
-focus=main -ignore=mallocgc -cum
-show=runtime -hide=mallocgc -nodecount=10
-show_from=^runtime\.(mallocgc|newobject)$ -lines
-tagfocus=thread_id=2756158:2756160
-tagfocus=thread_name:parca'

if [ ! -x "$HW" ]; then
    fail setup "$HW is missing (run make)"
    finish
fi

# active_filters FILE: the "Active filters:" block of a report, if any.
active_filters()
{
    sed -n '/^Active filters:/,/^Showing nodes/p' "$1" | sed '$d'
}

# check_set NAME SOURCE SAMPLE_INDEX FLAGS...
check_set()
{
    local name=$1 src=$2 si=$3 d
    shift 3
    check_top "$name" "$src" -sample_index="$si" "$@" || return
    [ "$si" = 0 ] || return 0 # the block does not depend on the sample type
    d=$E2E_TMP/af
    # shellcheck disable=SC2086
    bounded $PPROF $PPROF_FLAGS -top -sample_index="$si" "$@" "$src" >"$d.p" 2>/dev/null
    bounded "$HW" top -sample_index="$si" "$@" "$src" >"$d.h" 2>/dev/null
    if [ "$(active_filters "$d.p")" != "$(active_filters "$d.h")" ]; then
        fail "$name:active" "Active filters block differs" "$(diff <(active_filters "$d.p") <(active_filters "$d.h"))"
    fi
}

# sample_count FILE: how many sample types pprof sees.
sample_count()
{
    sample_types "$1" | wc -l
}

files=()
if start_example unboundedmap -memprofilerate=4096; then
    sleep "$RUN_SECONDS"
    if fetch "$URL/debug/pprof/heap?gc=1" "$E2E_TMP/unboundedmap.pb.gz"; then
        files+=("$E2E_TMP/unboundedmap.pb.gz")
    else
        fail fetch:unboundedmap "could not fetch the heap profile"
    fi
    stop_pid "$EXAMPLE_PID"
else
    fail start:unboundedmap "could not start unboundedmap"
fi
if [ -d "$SHARED" ]; then
    for f in "$SHARED"/*.pb.gz "$SHARED"/*.pprof; do
        [ -f "$f" ] && files+=("$f")
    done
else
    skip shared "$SHARED is absent"
fi

for f in "${files[@]}"; do
    n=$(sample_count "$f") || continue
    [ "$n" -gt 0 ] || continue
    while IFS= read -r set; do
        for ((i = 0; i < n; i++)); do
            # shellcheck disable=SC2086 # a set is a word list
            check_set "$(basename "$f") $i $set" "$f" "$i" $set
        done
    done <<<"$SETS"
done

# --- 3. bad regexps --------------------------------------------------------
if [ ${#files[@]} -gt 0 ]; then
    for flag in focus ignore hide show show_from prune_from tagfocus; do
        bounded "$HW" top "-$flag=a(" "${files[0]}" >/dev/null 2>"$E2E_TMP/err"
        rc=$?
        if [ $rc -eq 2 ] && grep -q "parsing $flag regexp" "$E2E_TMP/err"; then
            pass "bad regexp -$flag"
        else
            fail "bad regexp -$flag" "want exit 2 and 'parsing $flag regexp', got $rc" "$(head -3 "$E2E_TMP/err")"
        fi
    done
fi

finish
