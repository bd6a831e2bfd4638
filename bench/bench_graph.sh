#!/usr/bin/env bash
# bench_graph.sh - time `heapwatch graph -o x.svg` against `go tool pprof -svg` on the
# big heap profile of bench_top.sh, for inuse_space and alloc_space.
#
# Builds nothing: run `make` first. The profile is build/bench/bigheap.pb.gz, made
# by bench/bench_top.sh (run it once), or here straight from examples/bigheap at
# -memprofilerate=1 when missing. pprof needs graphviz's `dot` program on PATH
# (Debian's package graphviz); heapwatch lays out in-process with libgvc. Both
# commands include the layout. Each runs RUNS times, in turn, in the same run of
# this script; the best wall time and the largest peak RSS are printed with the
# ratio and the target: heapwatch >= 20x faster than pprof.
# The DOT both produce before layout is compared too (pprof -dot against
# heapwatch -format=dot), as a check that the speed is for the same graph.
#
# Usage: bash bench/bench_graph.sh     (RUNS=3 by default; HW, BIGHEAP, PPROF override)
# Exit status: 0 when it measured (target missed or not), 1 when it could not.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HW=${HW:-$ROOT/build/heapwatch}
BIGHEAP=${BIGHEAP:-$ROOT/build/examples/bigheap}
PPROF=${PPROF:-go tool pprof}
RUNS=${RUNS:-3}
LIMIT=${LIMIT:-600}
PROFILE=${PROFILE:-$ROOT/build/bench/bigheap.pb.gz}
TIME=/usr/bin/time

die()
{
    echo "bench_graph: $*" >&2
    exit 1
}

[ -x "$HW" ] || die "$HW is missing (run make)"
[ -x "$TIME" ] || die "$TIME is missing (apt-get install time)"
command -v dot >/dev/null || die "graphviz's dot is missing (pprof -svg needs it: apt-get install graphviz)"
[ -n "${EPOCHREALTIME:-}" ] || die "needs bash 5 (EPOCHREALTIME)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/heapwatch-bench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

if [ ! -s "$PROFILE" ]; then
    [ -x "$BIGHEAP" ] || die "$BIGHEAP is missing (run make)"
    echo "making $PROFILE (bigheap -memprofilerate=1) ..."
    mkdir -p "$(dirname "$PROFILE")" || exit 1
    timeout -k 5 "$LIMIT" "$BIGHEAP" -addr=127.0.0.1:0 -memprofilerate=1 -duration=1ms \
        -snapshot="$TMP/bigheap" >/dev/null 2>"$TMP/bigheap.err" </dev/null ||
        die "bigheap failed: $(head -n 3 "$TMP/bigheap.err")"
    mv "$TMP/bigheap.pb.gz" "$PROFILE" || exit 1
fi
echo "profile: $PROFILE ($(wc -c <"$PROFILE") bytes gzipped)"

# measure NAME CMD...: run CMD RUNS times; set WALL (best seconds) and RSS (largest
# peak KiB). Dies if CMD fails.
measure()
{
    local name=$1 i t0 t1 w m best="" peak=0 rc
    shift
    for ((i = 0; i < RUNS; i++)); do
        t0=$EPOCHREALTIME
        timeout -k 5 "$LIMIT" "$TIME" -f '%e %M' -o "$TMP/time" "$@" >/dev/null 2>"$TMP/err"
        rc=$?
        t1=$EPOCHREALTIME
        [ $rc -eq 0 ] || die "$name failed (status $rc): $(head -n 3 "$TMP/err")"
        w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
        m=$(awk 'END { print $2 }' "$TMP/time")
        if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$w; fi
        [ "$m" -gt "$peak" ] && peak=$m
    done
    WALL=$best
    RSS=$peak
}

echo "timing, best of $RUNS runs (layout included):"
printf '  %-12s %-28s %10s %14s\n' "" "" "wall s" "peak RSS KiB"
worst=""
for si in inuse_space alloc_space; do
    # shellcheck disable=SC2086
    measure "pprof -svg" $PPROF -svg -sample_index=$si -output "$TMP/p.svg" "$PROFILE"
    P_WALL=$WALL P_RSS=$RSS
    measure "heapwatch graph" "$HW" graph -sample_index=$si -o "$TMP/h.svg" "$PROFILE"
    H_WALL=$WALL H_RSS=$RSS
    printf '  %-12s %-28s %10.3f %14d\n' "$si" "go tool pprof -svg" "$P_WALL" "$P_RSS"
    printf '  %-12s %-28s %10.3f %14d\n' "$si" "heapwatch graph -o x.svg" "$H_WALL" "$H_RSS"
    ratio=$(awk -v p="$P_WALL" -v h="$H_WALL" 'BEGIN { printf "%.1f", p / h }')
    printf '  %-12s heapwatch is %sx faster than pprof (target >= 20x) %s\n' "$si" "$ratio" \
        "$(awk -v r="$ratio" 'BEGIN { print (r >= 20 ? "ok" : "MISSED") }')"
    if [ -z "$worst" ] || awk -v a="$ratio" -v b="$worst" 'BEGIN { exit !(a < b) }'; then worst=$ratio; fi
    # shellcheck disable=SC2086
    timeout -k 5 "$LIMIT" $PPROF -dot -sample_index=$si "$PROFILE" >"$TMP/p.dot" 2>/dev/null
    timeout -k 5 "$LIMIT" "$HW" graph -format=dot -sample_index=$si "$PROFILE" >"$TMP/h.dot" 2>/dev/null
    if cmp -s "$TMP/p.dot" "$TMP/h.dot"; then
        printf '  %-12s DOT identical to pprof -dot\n' "$si"
    else
        printf '  %-12s DOT DIFFERS from pprof -dot (see tests/e2e/test_graph.sh)\n' "$si"
    fi
done
echo "speed: worst ratio ${worst}x (target >= 20x) $(awk -v r="$worst" 'BEGIN { print (r >= 20 ? "ok" : "MISSED") }')"
exit 0
