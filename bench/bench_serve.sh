#!/usr/bin/env bash
# bench_serve.sh - the daemon at scale: examples/fleet serves net/http/pprof on
# TARGETS listeners (default 1,000), heapwatch serve scrapes each one's heap,
# allocs and goroutine profiles every INTERVAL (15 s) for DURATION (180 s) with an
# hour of history already retained (bench/histfill writes it: 240 scrapes per
# series), and this prints CPU time per scrape, CPU share of one core, peak and
# per-target RSS, and the scrape lag from /metrics. Targets: < 25% of one core and
# < 150 MB RSS for 1,000 targets with an hour of history.
#
# Environment: TARGETS, INTERVAL (seconds), DURATION (seconds), HISTORY (1h; 0 for none).
BENCH_NAME=bench_serve
. "$(dirname "$0")/lib.sh"
bench_setup
TARGETS=${TARGETS:-1000}
INTERVAL=${INTERVAL:-15}
DURATION=${DURATION:-180}
HISTORY=${HISTORY:-1h}
FLEET=$ROOT/build/examples/fleet
[ -x "$FLEET" ] || die "$FLEET is missing (run make examples)"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

: >"$TMP/fleet.out"
: >"$TMP/serve.log"
"$FLEET" -targets="$TARGETS" -addrs="$TMP/addrs" -duration=$((DURATION + 600))s >"$TMP/fleet.out" 2>&1 &
pids+=($!)
for ((i = 0; i < 300; i++)); do grep -q listening "$TMP/fleet.out" && break; sleep 0.1; done
[ -s "$TMP/addrs" ] || die "fleet did not start: $(head -c 300 "$TMP/fleet.out")"

args=() names=()
n=0
while read -r a; do
    n=$((n + 1))
    name=$(printf 't%04d' "$n")
    names+=("$name")
    args+=("-target=$name=http://$a")
done <"$TMP/addrs"
printf '%s\n' "${names[@]}" >"$TMP/names"

mkdir -p "$TMP/data"
if [ "$HISTORY" != 0 ]; then
    curl -sS -o "$TMP/one.pb.gz" "http://$(head -n 1 "$TMP/addrs")/debug/pprof/heap" || die "fleet scrape failed"
    t0=$EPOCHREALTIME
    (cd "$ROOT/bench/histfill" && go run main.go -data="$TMP/data" -profile="$TMP/one.pb.gz" \
        -targets="$TMP/names" -span="$HISTORY" -interval="${INTERVAL}s") || die "histfill failed"
    echo "history: $(find "$TMP/data" -name '*.pb.gz' | wc -l) stored scrapes written in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.0f", b-a}') s"
fi

t0=$EPOCHREALTIME
"$HW" serve -listen=127.0.0.1:0 -data="$TMP/data" -interval="${INTERVAL}s" \
    -retention_time="${HISTORY/#0/24h}" "${args[@]}" 2>"$TMP/serve.log" &
spid=$!
pids+=("$spid")
for ((i = 0; i < 600; i++)); do grep -q 'listening on' "$TMP/serve.log" && break; sleep 0.1; done
url=$(grep -o 'listening on http://[0-9.:]*' "$TMP/serve.log" | head -n 1 | sed 's/listening on //')
[ -n "$url" ] || die "serve did not start: $(head -c 500 "$TMP/serve.log")"
echo "startup (index of $(find "$TMP/data" -name index | wc -l) series loaded): $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s, RSS $(awk '/VmRSS/ {print $2}' /proc/$spid/status) KiB"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
scrapes() { curl -s "$url/metrics" | awk '/^heapwatch_scrapes_total/ {s += $2} END {print s + 0}'; }
# Three intervals of warm-up: every series makes its first request, and the workers
# read each series' last stored scrape and seed its leak tracker with up to 60
# stored scrapes once (the CPU that costs is printed apart).
sleep $((3 * INTERVAL))
echo "warm-up CPU (first scrapes, seeding leak trackers from the history): $(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$spid/stat") s"
c0=$(cpu_ticks "$spid") s0=$(scrapes) w0=$EPOCHREALTIME
sleep "$DURATION"
c1=$(cpu_ticks "$spid") s1=$(scrapes) w1=$EPOCHREALTIME
curl -s "$url/metrics" >"$TMP/metrics"
curl -s "$url/api/targets" >"$TMP/targets.json"
hz=$(getconf CLK_TCK)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$spid/status")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$spid/status")
kill -TERM "$spid"
wait "$spid" 2>/dev/null
awk -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" -v w0="$w0" -v w1="$w1" -v hz="$hz" \
    -v n="$TARGETS" 'BEGIN {
    cpu = (c1 - c0) / hz; wall = w1 - w0; sc = s1 - s0
    printf "scrapes: %d in %.0f s (%.1f/s over %d series)\n", sc, wall, sc / wall, n * 3
    printf "CPU: %.2f s = %.1f%% of one core (target < 25%%); %.3f ms per scrape\n", cpu, 100 * cpu / wall, sc ? 1000 * cpu / sc : 0
}'
errs=$(awk '/^heapwatch_scrape_errors_total/ {s += $2} END {print s + 0}' "$TMP/metrics")
echo "failed scrapes: $errs; skipped ticks: $(awk '/^heapwatch_scrapes_skipped_total/ {print $2}' "$TMP/metrics")"
if [ "$errs" != 0 ]; then
    echo "errors by reason (last error of each series that failed):"
    grep -o '"last_error": "[^"]*' "$TMP/targets.json" | sed 's/"last_error": "//; s/[0-9]\{2,\}/N/g' | sort | uniq -c | sort -rn | head -n 5
fi
echo "scrape lag: max $(awk '/^heapwatch_scrape_lag_seconds_max/ {print $2}' "$TMP/metrics") s, mean $(awk '/^heapwatch_scrape_lag_seconds_avg/ {print $2}' "$TMP/metrics") s"
echo "stored: $(awk '/^heapwatch_storage_files/ {print $2}' "$TMP/metrics") scrapes"
awk -v h="$hwm" -v r="$rss" -v n="$TARGETS" 'BEGIN {
    printf "RSS: peak %.1f MB, at the end %.1f MB (target < 150 MB); %.1f kB per target\n", h / 1024, r / 1024, r / n
}'
