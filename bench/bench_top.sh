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
#   and decoding no more than 3x the time of `gzip -dc` on the same file.
# Decoding alone is timed in-process by bench/decode_time.c (built here against
# build/libhw.a): gzip, protobuf, model and checks, the best of RUNS+2 rounds. The
# whole `heapwatch top` against `gzip -dc` is printed too.
# Wall time is taken with bash's EPOCHREALTIME around /usr/bin/time (whose %e
# has only 10 ms steps); peak RSS is /usr/bin/time's %M (KiB). /usr/bin/time
# is Debian's package `time`.
#
# Usage: bash bench/bench_top.sh        (RUNS=3 by default; HW, BIGHEAP, PPROF override)
# Exit status: 0 when it measured (targets missed or not), 1 when it could not.

set -u

BENCH_NAME=bench_top
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_setup
DECODE=$OUT/decode_time
if [ ! -x "$DECODE" ] || [ "$ROOT/bench/decode_time.c" -nt "$DECODE" ] ||
    [ "$ROOT/build/libhw.a" -nt "$DECODE" ]; then
    # shellcheck disable=SC2046 # pkg-config's words are separate arguments
    ${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror -I"$ROOT/profile" \
        -o "$DECODE" "$ROOT/bench/decode_time.c" "$ROOT/build/libhw.a" \
        $(pkg-config --libs libcurl zlib libprotobuf-c cairo jansson libmicrohttpd libgvc yaml-0.1 \
            libpcre2-8) -lm -lpthread || die "cannot build decode_time"
fi
bigheap_profile
GZ_BYTES=$(wc -c <"$PROFILE")
RAW_BYTES=$(gzip -dc "$PROFILE" | wc -c)
echo "profile: $PROFILE"
printf '  %d samples, %d distinct stacks (want >= 200000 and >= 80000)\n' "$SAMPLES" "$STACKS"
printf '  %.1f MB gzipped, %.1f MB decompressed\n' "$(echo "$GZ_BYTES" | awk '{ print $1 / 1e6 }')" \
    "$(echo "$RAW_BYTES" | awk '{ print $1 / 1e6 }')"
if [ "$SAMPLES" -lt 200000 ] || [ "$STACKS" -lt 80000 ]; then
    echo "  warning: smaller than intended; delete $PROFILE to remake it" >&2
fi

echo "timing, best of $RUNS runs:"
# shellcheck disable=SC2086
measure "$TMP/pprof.out" $PPROF -top "$PROFILE" || die "go tool pprof -top failed ($MEASURE_ERR)"
P_WALL=$WALL P_RSS=$RSS
measure "$TMP/hw.out" "$HW" top "$PROFILE" || die "heapwatch top failed ($MEASURE_ERR)"
H_WALL=$WALL H_RSS=$RSS
measure /dev/null gzip -dc "$PROFILE" || die "gzip -dc failed ($MEASURE_ERR)"
G_WALL=$WALL G_RSS=$RSS
D_WALL=$("$DECODE" "$PROFILE" $((RUNS + 2)) | awk '{ print $1 }') || die "decode_time failed"

printf '  %-20s %10s %14s\n' "" "wall s" "peak RSS KiB"
printf '  %-20s %10.3f %14d\n' "go tool pprof -top" "$P_WALL" "$P_RSS"
printf '  %-20s %10.3f %14d\n' "heapwatch top" "$H_WALL" "$H_RSS"
printf '  %-20s %10.3f %14d\n' "gzip -dc" "$G_WALL" "$G_RSS"
printf '  %-20s %10.3f %14s\n' "decode (in-process)" "$D_WALL" "-"

awk -v pw="$P_WALL" -v pm="$P_RSS" -v hw="$H_WALL" -v hm="$H_RSS" -v gw="$G_WALL" -v dw="$D_WALL" 'BEGIN {
    speed = pw / hw; mem = hm / pm; dec = dw / gw
    printf "speed:  heapwatch is %.1fx faster than pprof       (target >= 30x)   %s\n", speed, (speed >= 30 ? "ok" : "MISSED")
    printf "memory: heapwatch uses %.3f of pprof'\''s peak RSS  (target <= 0.100) %s\n", mem, (mem <= 0.1 ? "ok" : "MISSED")
    printf "decode: decoding takes %.2fx gzip -dc'\''s time      (target <= 3x)    %s\n", dec, (dec <= 3 ? "ok" : "MISSED")
    printf "        (the whole heapwatch top takes %.2fx)\n", hw / gw
}'

if cmp -s <(sed -n '/^Showing nodes accounting for/,$p' "$TMP/pprof.out") \
    <(sed -n '/^Showing nodes accounting for/,$p' "$TMP/hw.out"); then
    echo "report: identical to pprof's from 'Showing nodes accounting for' on"
else
    echo "report: DIFFERS from pprof's (see tests/e2e/test_top_vs_pprof.sh)"
fi
exit 0
