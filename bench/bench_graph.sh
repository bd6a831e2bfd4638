#!/usr/bin/env bash
# bench_graph.sh - time `heapwatch graph -o x.svg` against `go tool pprof -svg` on the
# big heap profile of bench_top.sh, for inuse_space and alloc_space.
#
# Builds nothing: run `make` first. The profile is build/bench/bigheap.pb.gz (shared
# with bench_top.sh through bench/lib.sh, made from examples/bigheap when missing),
# or $PROFILE. pprof needs graphviz's `dot` program on PATH
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

BENCH_NAME=bench_graph
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_setup
command -v dot >/dev/null || die "graphviz's dot is missing (pprof -svg needs it: apt-get install graphviz)"
if [ -n "${PROFILE:-}" ]; then
    [ -s "$PROFILE" ] || die "$PROFILE is missing"
else
    bigheap_profile
fi
echo "profile: $PROFILE ($(wc -c <"$PROFILE") bytes gzipped)"

echo "timing, best of $RUNS runs (layout included):"
printf '  %-12s %-28s %10s %14s\n' "" "" "wall s" "peak RSS KiB"
worst=""
for si in inuse_space alloc_space; do
    # shellcheck disable=SC2086
    measure /dev/null $PPROF -svg -sample_index=$si -output "$TMP/p.svg" "$PROFILE" ||
        die "pprof -svg failed ($MEASURE_ERR)"
    P_WALL=$WALL P_RSS=$RSS
    measure /dev/null "$HW" graph -sample_index=$si -o "$TMP/h.svg" "$PROFILE" ||
        die "heapwatch graph failed ($MEASURE_ERR)"
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
