#!/usr/bin/env bash
# bench_top.sh - time `heapwatch top` against `go tool pprof -top` on one big heap profile.
#
# Builds nothing: run `make` first (it builds build/heapwatch and build/examples/*).
# The profile comes from examples/bigheap run with -memprofilerate=1 (every
# allocation recorded): about 300k samples over 100k distinct stacks. It is
# cached in build/bench/ with its counts and remade when the bigheap binary is
# newer. Then each command runs RUNS times; the best wall time and the largest
# peak RSS are printed, with the ratios and the targets:
#   heapwatch >= 30x faster than pprof, <= 1/10 of its memory,
#   and no more than 3x the time of `gzip -dc` on the same file.
# Wall time is taken with bash's EPOCHREALTIME around /usr/bin/time (whose %e
# has only 10 ms steps); peak RSS is /usr/bin/time's %M (KiB). /usr/bin/time
# is Debian's package `time`.
#
# Usage: bash bench/bench_top.sh        (RUNS=3 by default; HW, BIGHEAP, PPROF override)
# Exit status: 0 when it measured (targets missed or not), 1 when it could not.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HW=${HW:-$ROOT/build/heapwatch}
BIGHEAP=${BIGHEAP:-$ROOT/build/examples/bigheap}
PPROF=${PPROF:-go tool pprof}
RUNS=${RUNS:-3}
LIMIT=${LIMIT:-600} # seconds any one command may take
OUT=$ROOT/build/bench
PROFILE=$OUT/bigheap.pb.gz
COUNTS=$OUT/bigheap.counts
TIME=/usr/bin/time

die()
{
    echo "bench_top: $*" >&2
    exit 1
}

[ -x "$HW" ] || die "$HW is missing (run make)"
[ -x "$BIGHEAP" ] || die "$BIGHEAP is missing (run make)"
[ -x "$TIME" ] || die "$TIME is missing (apt-get install time)"
[ -n "${EPOCHREALTIME:-}" ] || die "needs bash 5 (EPOCHREALTIME)"
mkdir -p "$OUT" || exit 1

TMP=$(mktemp -d "${TMPDIR:-/tmp}/heapwatch-bench.XXXXXX") || exit 1
# Every command runs in the foreground under timeout(1), so nothing outlives
# the script; only the temp dir needs removing.
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- the profile ----------------------------------------------------------

if [ ! -s "$PROFILE" ] || [ ! -s "$COUNTS" ] || [ "$BIGHEAP" -nt "$PROFILE" ]; then
    echo "making $PROFILE (bigheap -memprofilerate=1) ..."
    rm -f "$PROFILE" "$COUNTS"
    # bigheap builds its heap before it listens, then -duration starts.
    timeout -k 5 "$LIMIT" "$BIGHEAP" -addr=127.0.0.1:0 -memprofilerate=1 -duration=1ms \
        -snapshot="$TMP/bigheap" >/dev/null 2>"$TMP/bigheap.err" </dev/null ||
        die "bigheap failed: $(head -n 3 "$TMP/bigheap.err")"
    # Count samples and distinct stacks (location-id lists) from pprof -raw.
    # shellcheck disable=SC2086
    timeout -k 5 "$LIMIT" $PPROF -raw "$TMP/bigheap.pb.gz" 2>/dev/null | awk '
        /^Samples:/ { getline; s = 1; next }
        /^[A-Z][a-z]+$/ { s = 0 }
        s && /^ *-?[0-9]+( +-?[0-9]+)*:/ { n++; sub(/^[^:]*:/, ""); if (!($0 in seen)) { seen[$0] = 1; u++ } }
        END { print n + 0, u + 0 }' >"$TMP/counts" || die "pprof -raw failed"
    mv "$TMP/bigheap.pb.gz" "$PROFILE" && mv "$TMP/counts" "$COUNTS" || exit 1
fi
read -r SAMPLES STACKS <"$COUNTS" || die "cannot read $COUNTS"
GZ_BYTES=$(wc -c <"$PROFILE")
RAW_BYTES=$(gzip -dc "$PROFILE" | wc -c)
echo "profile: $PROFILE"
printf '  %d samples, %d distinct stacks (want >= 200000 and >= 80000)\n' "$SAMPLES" "$STACKS"
printf '  %.1f MB gzipped, %.1f MB decompressed\n' "$(echo "$GZ_BYTES" | awk '{ print $1 / 1e6 }')" \
    "$(echo "$RAW_BYTES" | awk '{ print $1 / 1e6 }')"
if [ "$SAMPLES" -lt 200000 ] || [ "$STACKS" -lt 80000 ]; then
    echo "  warning: smaller than intended; delete $PROFILE to remake it" >&2
fi

# --- timing ---------------------------------------------------------------

# measure NAME OUTFILE CMD...: run CMD RUNS times with stdout to OUTFILE; set
# WALL (best seconds) and RSS (largest peak KiB). Dies if CMD fails.
measure()
{
    local name=$1 out=$2 i t0 t1 w m best="" peak=0 rc
    shift 2
    for ((i = 0; i < RUNS; i++)); do
        t0=$EPOCHREALTIME
        timeout -k 5 "$LIMIT" "$TIME" -f '%e %M' -o "$TMP/time" "$@" >"$out" 2>"$TMP/err"
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

echo "timing, best of $RUNS runs:"
# shellcheck disable=SC2086
measure "go tool pprof -top" "$TMP/pprof.out" $PPROF -top "$PROFILE"
P_WALL=$WALL P_RSS=$RSS
measure "heapwatch top" "$TMP/hw.out" "$HW" top "$PROFILE"
H_WALL=$WALL H_RSS=$RSS
measure "gzip -dc" /dev/null gzip -dc "$PROFILE"
G_WALL=$WALL G_RSS=$RSS

printf '  %-20s %10s %14s\n' "" "wall s" "peak RSS KiB"
printf '  %-20s %10.3f %14d\n' "go tool pprof -top" "$P_WALL" "$P_RSS"
printf '  %-20s %10.3f %14d\n' "heapwatch top" "$H_WALL" "$H_RSS"
printf '  %-20s %10.3f %14d\n' "gzip -dc" "$G_WALL" "$G_RSS"

awk -v pw="$P_WALL" -v pm="$P_RSS" -v hw="$H_WALL" -v hm="$H_RSS" -v gw="$G_WALL" 'BEGIN {
    speed = pw / hw; mem = hm / pm; dec = hw / gw
    printf "speed:  heapwatch is %.1fx faster than pprof       (target >= 30x)   %s\n", speed, (speed >= 30 ? "ok" : "MISSED")
    printf "memory: heapwatch uses %.3f of pprof'\''s peak RSS  (target <= 0.100) %s\n", mem, (mem <= 0.1 ? "ok" : "MISSED")
    printf "decode: heapwatch takes %.2fx gzip -dc'\''s time     (target <= 3x)    %s\n", dec, (dec <= 3 ? "ok" : "MISSED")
}'

if cmp -s <(sed -n '/^Showing nodes accounting for/,$p' "$TMP/pprof.out") \
    <(sed -n '/^Showing nodes accounting for/,$p' "$TMP/hw.out"); then
    echo "report: identical to pprof's from 'Showing nodes accounting for' on"
else
    echo "report: DIFFERS from pprof's (see tests/e2e/test_top_vs_pprof.sh)"
fi
exit 0
