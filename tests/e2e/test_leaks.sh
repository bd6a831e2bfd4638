#!/usr/bin/env bash
# test_leaks.sh - `heapwatch leaks` on live Go programs.
#
# Runs every leaky example (unboundedmap, nocache, subslice, tickerleak,
# goroutineleak) and both controls (healthy, boundedcache) side by side at their
# default rates, and saves /debug/pprof/heap?gc=1 of each (and goroutineleak's
# /debug/pprof/goroutine) every second for SCRAPES scrapes. ?gc=1 is needed: a heap
# profile only changes when a GC cycle ends, and a program leaking 1 MiB/s at
# GOGC=100 runs a cycle only each time its heap doubles (every 5, 10, 20 s...).
#
# Then `heapwatch leaks` runs on growing prefixes of each series (3, 4, ... files)
# to find the first prefix whose verdict is `leak`, and the test asserts:
#   - each leak: verdict `leak` within MAX_SCRAPES scrapes, and on the whole series
#     with the known site (examples/README.md) as the top suspect: the site's function
#     for heaps, main.leakyWorker for the goroutine profile, and for tickerleak the
#     flat time.NewTicker with main.startPoller on its stack;
#   - each control: on the whole series no `leak` and no suspect at all; any
#     `leak` on a prefix after the warm-up (WARM scrapes) is a failure too.
# It prints how many scrapes each leak needed. About 30 s; see lib.sh for the
# environment. SCRAPES (20), MAX_SCRAPES (15) and WARM (15) may be set.

# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

SCRAPES=${SCRAPES:-20}
MAX_SCRAPES=${MAX_SCRAPES:-15}
WARM=${WARM:-15}

# NAME PROFILE SITE_FUNCTION STACK_FRAME ("-": none required)
LEAKS="unboundedmap heap main.recordRequest -
nocache heap main.(*Cache).Put -
subslice heap main.keepHeader -
tickerleak heap time.NewTicker main.startPoller
goroutineleak heap main.leakyWorker -
goroutineleak goroutine main.leakyWorker -"
CONTROLS="healthy boundedcache"

if [ ! -x "$HW" ]; then
    fail setup "$HW is missing (run make)"
    finish
fi

declare -A url
for n in unboundedmap nocache subslice tickerleak goroutineleak $CONTROLS; do
    if start_example "$n"; then
        url[$n]=$URL
        mkdir -p "$E2E_TMP/$n.heap" "$E2E_TMP/$n.goroutine"
    else
        fail "start:$n" "could not start $n"
    fi
done

# One scrape of everything at once each second; curl runs in the background so
# that a slow answer does not stretch the spacing of the others.
# Only the fetches are waited for: the examples are background jobs too.
for ((i = 1; i <= SCRAPES; i++)); do
    f=$(printf '%02d.pb.gz' "$i")
    fetches=()
    for n in "${!url[@]}"; do
        fetch "${url[$n]}/debug/pprof/heap?gc=1" "$E2E_TMP/$n.heap/$f" &
        fetches+=($!)
    done
    if [ -n "${url[goroutineleak]:-}" ]; then
        fetch "${url[goroutineleak]}/debug/pprof/goroutine" "$E2E_TMP/goroutineleak.goroutine/$f" &
        fetches+=($!)
    fi
    sleep 1
    wait "${fetches[@]}"
done
stop_all

# leaks_of DIR K: run heapwatch leaks on the first K files of DIR (text output in
# $E2E_TMP/out, stderr in $E2E_TMP/err); prints the verdict, fails on errors.
leaks_of()
{
    local dir=$1 k=$2 rc
    # shellcheck disable=SC2046 # file names are ours, without spaces
    bounded "$HW" leaks $(ls "$dir"/*.pb.gz | head -n "$k") >"$E2E_TMP/out" 2>"$E2E_TMP/err"
    rc=$?
    if sanitizer_report "$E2E_TMP/err" >"$E2E_TMP/san"; then
        echo "sanitizer: $(cat "$E2E_TMP/san")"
        return 1
    fi
    if [ $rc -ne 0 ]; then
        echo "heapwatch leaks: $(describe_status $rc): $(head -n 3 "$E2E_TMP/err")"
        return 1
    fi
    sed -n '1s/^verdict: \([a-z ]*\) (.*/\1/p' "$E2E_TMP/out"
}

# The top suspect's site and stack from the text output.
top_site()
{
    sed -nE '/^suspects:/,${/^ +1 /{s/^ +1 .*[0-9]s  //p;q}}' "$E2E_TMP/out"
}
top_stack()
{
    sed -nE '/^suspects:/,${/^ +1 /{n;s/^ +stack: //p;q}}' "$E2E_TMP/out"
}
suspect_count()
{
    awk '/^suspects:/ { s = 1; next } s && /^ +[0-9]+ / { n++ } END { print n + 0 }' "$E2E_TMP/out"
}

# first_leak DIR: the smallest prefix with the verdict leak (0: none); the
# verdicts of every prefix go to $E2E_TMP/verdicts.
first_leak()
{
    local dir=$1 k v first=0 total
    total=$(ls "$dir"/*.pb.gz 2>/dev/null | wc -l)
    : >"$E2E_TMP/verdicts"
    for ((k = 3; k <= total; k++)); do
        v=$(leaks_of "$dir" "$k") || { echo "error: $v"; return 1; }
        echo "$k $v" >>"$E2E_TMP/verdicts"
        [ "$v" = leak ] && [ $first = 0 ] && first=$k
    done
    echo "$first"
}

summary=""
while read -r n kind site frame; do
    dir=$E2E_TMP/$n.$kind
    name="leaks:$n/$kind"
    if [ "$(ls "$dir"/*.pb.gz 2>/dev/null | wc -l)" -lt "$SCRAPES" ]; then
        fail "$name" "fewer than $SCRAPES scrapes were saved"
        continue
    fi
    if ! first=$(first_leak "$dir"); then
        fail "$name" "$first"
        continue
    fi
    summary="$summary $n/$kind=$first"
    v=$(leaks_of "$dir" "$SCRAPES")
    got=$(top_site)
    stack=$(top_stack)
    if [ "$first" = 0 ] || [ "$first" -gt "$MAX_SCRAPES" ]; then
        fail "$name" "no leak verdict within $MAX_SCRAPES scrapes" "$(tr '\n' ' ' <"$E2E_TMP/verdicts")" \
            "$(head -n 12 "$E2E_TMP/out")"
    elif [ "$v" != leak ]; then
        fail "$name" "verdict on all $SCRAPES scrapes is '$v', not leak" "$(head -n 12 "$E2E_TMP/out")"
    elif [ "${got%% *}" != "$site" ]; then
        fail "$name" "top suspect is '$got', want $site" "$(head -n 14 "$E2E_TMP/out")"
    elif [ "$frame" != - ] && ! printf '%s\n' "$stack" | tr ';' '\n' | grep -qxF "$frame"; then
        fail "$name" "top suspect's stack lacks $frame" "$stack"
    else
        pass "$name (leak after $first scrapes; top suspect $got)"
    fi
done <<<"$LEAKS"

for n in $CONTROLS; do
    dir=$E2E_TMP/$n.heap
    name="leaks:$n (control)"
    if [ "$(ls "$dir"/*.pb.gz 2>/dev/null | wc -l)" -lt "$SCRAPES" ]; then
        fail "$name" "fewer than $SCRAPES scrapes were saved"
        continue
    fi
    if ! first_leak "$dir" >"$E2E_TMP/first"; then
        fail "$name" "$(cat "$E2E_TMP/first")"
        continue
    fi
    late=$(awk -v w="$WARM" '$1 >= w && $2 == "leak" { print $1 }' "$E2E_TMP/verdicts" | head -n 1)
    v=$(leaks_of "$dir" "$SCRAPES")
    s=$(suspect_count)
    if [ "$v" = leak ] || [ "$s" != 0 ]; then
        fail "$name" "verdict '$v' with $s suspects on all $SCRAPES scrapes" "$(head -n 14 "$E2E_TMP/out")"
    elif [ -n "$late" ]; then
        fail "$name" "verdict leak on the first $late scrapes" "$(tr '\n' ' ' <"$E2E_TMP/verdicts")"
    else
        pass "$name (verdict $v, no suspects)"
    fi
done

# JSON output parses and agrees with the text verdict.
dir=$E2E_TMP/unboundedmap.heap
if [ -d "$dir" ]; then
    # shellcheck disable=SC2046
    if bounded "$HW" leaks -format=json $(ls "$dir"/*.pb.gz) >"$E2E_TMP/leaks.json" 2>"$E2E_TMP/err" &&
        grep -q '"verdict": "leak"' "$E2E_TMP/leaks.json" &&
        grep -q '"site": "main.recordRequest ' "$E2E_TMP/leaks.json" &&
        { ! command -v node >/dev/null || node -e 'JSON.parse(require("fs").readFileSync(process.argv[1]))' "$E2E_TMP/leaks.json"; }; then
        pass "leaks:json"
    else
        fail "leaks:json" "JSON output is wrong" "$(head -c 600 "$E2E_TMP/leaks.json")" "$(head -n 3 "$E2E_TMP/err")"
    fi
fi

echo "scrapes to the first leak verdict (1 s apart, ?gc=1):$summary"
finish
