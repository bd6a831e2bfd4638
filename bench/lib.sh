# shellcheck shell=bash
# shellcheck disable=SC2034 # WALL, CPU, RSS, MEASURE_ERR, SAMPLES, STACKS are for the caller
# lib.sh - what the benchmarks share; source it after setting BENCH_NAME.
#
# bench_setup checks the tools and makes TMP (removed on exit); measure runs a command
# RUNS times; bigheap_profile makes (once) and caches the big heap profile that the top
# and graph benchmarks both use, with its sample and stack counts. Wall time comes
# from bash's EPOCHREALTIME around /usr/bin/time (whose %e has 10 ms steps); CPU and
# peak RSS from /usr/bin/time (Debian's package `time`).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HW=${HW:-$ROOT/build/heapwatch}
BIGHEAP=${BIGHEAP:-$ROOT/build/examples/bigheap}
PPROF=${PPROF:-go tool pprof}
RUNS=${RUNS:-3}
LIMIT=${LIMIT:-600} # seconds any one command may take
OUT=$ROOT/build/bench
TIME=/usr/bin/time

die()
{
    echo "${BENCH_NAME:-bench}: $*" >&2
    exit 1
}

bench_setup()
{
    [ -x "$HW" ] || die "$HW is missing (run make)"
    [ -x "$TIME" ] || die "$TIME is missing (apt-get install time)"
    [ -n "${EPOCHREALTIME:-}" ] || die "needs bash 5 (EPOCHREALTIME)"
    mkdir -p "$OUT" || exit 1
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/heapwatch-bench.XXXXXX") || exit 1
    trap 'rm -rf "$TMP"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
}

# measure OUTFILE CMD...: runs CMD RUNS times with stdout to OUTFILE; sets WALL (best
# seconds), CPU (user+system seconds of that run) and RSS (largest peak KiB). Returns
# 1 when a run fails, with the start of its stderr in MEASURE_ERR.
measure()
{
    local out=$1 i t0 t1 wall line best="" rc
    shift
    RSS=0 MEASURE_ERR=""
    for ((i = 0; i < RUNS; i++)); do
        t0=$EPOCHREALTIME
        timeout -k 5 "$LIMIT" "$TIME" -f '%U %S %M' -o "$TMP/time" "$@" >"$out" 2>"$TMP/err"
        rc=$?
        t1=$EPOCHREALTIME
        if [ $rc -ne 0 ]; then
            MEASURE_ERR="status $rc: $(head -n 3 "$TMP/err")"
            return 1
        fi
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
        line=$(tail -n 1 "$TMP/time")
        if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$wall
            CPU=$(echo "$line" | awk '{ printf "%.2f", $1 + $2 }')
        fi
        RSS=$(echo "$line $RSS" | awk '{ print (($3 > $4) ? $3 : $4) }')
    done
    WALL=$best
}

# bigheap_profile: sets PROFILE, SAMPLES and STACKS, making build/bench/bigheap.pb.gz
# with examples/bigheap (-memprofilerate=1) when it is missing or older than bigheap.
bigheap_profile()
{
    local counts=$OUT/bigheap.counts
    PROFILE=$OUT/bigheap.pb.gz
    if [ ! -s "$PROFILE" ] || [ ! -s "$counts" ] || [ "$BIGHEAP" -nt "$PROFILE" ]; then
        [ -x "$BIGHEAP" ] || die "$BIGHEAP is missing (run make)"
        echo "making $PROFILE (bigheap -memprofilerate=1) ..."
        rm -f "$PROFILE" "$counts"
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
        mv "$TMP/bigheap.pb.gz" "$PROFILE" && mv "$TMP/counts" "$counts" || exit 1
    fi
    read -r SAMPLES STACKS <"$counts" || die "cannot read $counts"
}
