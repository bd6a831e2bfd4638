#!/usr/bin/env bash
# bench_web.sh - the web service under load (issue 6): wrk on loopback against
# `heapwatch serve` for cached /flame.svg, uncached renders of a 5k-sample heap
# profile and /api/targets with 100 targets (requests per second and p99 latency),
# then /flame.svg of a 200k-sample profile timed next to `go tool pprof -http`'s
# flame graph page (/ui/flamegraph) on the same stored file: time, bytes sent, ratios.
#
# Targets (issue 6): cached /flame.svg > 10,000 requests/s; uncached renders of a
# 5k-sample profile p99 < 20 ms; /flame.svg of a 200k-sample profile < 0.5 s (pprof's
# web flame graph: about 40 s and 194 MB). No pass/fail: each target is printed
# beside its figure.
#
# Setup. The two profiles come from examples/bigheap (-memprofilerate=1, -sizes=3):
# -stacks=1650 gives about 5k samples, -stacks=66650 about 200k; they are cached in
# build/bench/ with their sample and stack counts (from pprof -raw, as lib.sh does)
# and remade when bigheap is newer. Each is dropped into a data directory as one
# stored scrape (DATA/<target>/heap/<time>.pb.gz, which the daemon indexes on
# start) of targets `small` and `big`, whose URLs point at a closed port with
# -interval=1h, so nothing scrapes or decodes in the background while wrk runs.
# Uncached GETs put a different title= on every request (title is part of the
# render cache's key; a wrk Lua script counts per thread), so each request loads,
# decodes and renders the stored scrape; /metrics' cache misses confirm it. POST
# /render/flame.svg renders are cached by body hash too, so they vary title= the
# same way. The /api/targets case runs a second daemon scraping examples/fleet's
# 100 listeners (heap, allocs, goroutine every 15 s) once each has been scraped;
# scraping goes on during the run. wrk runs with 2 threads and --latency; non-2xx
# answers (503 when both render slots stay busy for 3 s) and socket errors are
# printed. Machine load (loadavg) is printed first: on a shared machine the
# figures are noisy.
#
# Usage: bash bench/bench_web.sh
#   DURATION (wrk seconds, 10), CONNS (cached/api connections, 32),
#   UCONNS (uncached connections, "2 8"), HW, BIGHEAP, PPROF ("go tool pprof"),
#   FLEET (build/examples/fleet), SKIP_PPROF=1 to leave out the pprof side.
# Exit status: 0 when it measured (targets met or not), 1 when it could not.

set -u

BENCH_NAME=bench_web
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_setup
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
UCONNS=${UCONNS:-2 8}
FLEET=${FLEET:-$ROOT/build/examples/fleet}
SKIP_PPROF=${SKIP_PPROF:-0}
WRK=${WRK:-wrk}
command -v "$WRK" >/dev/null || die "wrk is missing (apt-get install wrk)"
command -v curl >/dev/null || die "curl is missing"
command -v ss >/dev/null || die "ss is missing (iproute2)"
[ -x "$FLEET" ] || die "$FLEET is missing (run make examples)"

# Everything started here is killed on exit, children first (go tool pprof runs
# the pprof binary as its child).
pids=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup()
{
    local p
    for p in "${pids[@]}"; do
        kill $(pgrep -P "$p" 2>/dev/null) "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

# sized_profile NAME STACKS: sets PROFILE, SAMPLES and STACKS for a bigheap profile
# of STACKS stacks x 3 sizes, made once into build/bench/bigheap-STACKS.pb.gz.
sized_profile()
{
    local name=$1 n=$2 counts=$OUT/bigheap-$2.counts
    PROFILE=$OUT/bigheap-$n.pb.gz
    if [ ! -s "$PROFILE" ] || [ ! -s "$counts" ] || [ "$BIGHEAP" -nt "$PROFILE" ]; then
        [ -x "$BIGHEAP" ] || die "$BIGHEAP is missing (run make)"
        echo "making $PROFILE (bigheap -memprofilerate=1 -stacks=$n, the $name profile) ..."
        rm -f "$PROFILE" "$counts"
        timeout -k 5 "$LIMIT" "$BIGHEAP" -addr=127.0.0.1:0 -memprofilerate=1 -duration=1ms \
            -stacks="$n" -sizes=3 -snapshot="$TMP/bh$n" >/dev/null 2>"$TMP/bh.err" </dev/null ||
            die "bigheap failed: $(head -n 3 "$TMP/bh.err")"
        # shellcheck disable=SC2086
        timeout -k 5 "$LIMIT" $PPROF -raw "$TMP/bh$n.pb.gz" 2>/dev/null | awk '
            /^Samples:/ { getline; s = 1; next }
            /^[A-Z][a-z]+$/ { s = 0 }
            s && /^ *-?[0-9]+( +-?[0-9]+)*:/ { n++; sub(/^[^:]*:/, ""); if (!($0 in seen)) { seen[$0] = 1; u++ } }
            END { print n + 0, u + 0 }' >"$TMP/counts" || die "pprof -raw failed"
        mv "$TMP/bh$n.pb.gz" "$PROFILE" && mv "$TMP/counts" "$counts" || exit 1
    fi
    read -r SAMPLES STACKS <"$counts" || die "cannot read $counts"
}

# start_serve LOG ARGS...: starts heapwatch serve on a free port; sets SPID and URL.
start_serve()
{
    local log=$1 i line=""
    shift
    : >"$log"
    "$HW" serve -listen=127.0.0.1:0 "$@" 2>"$log" </dev/null &
    SPID=$!
    pids+=("$SPID")
    for ((i = 0; i < 300; i++)); do
        line=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -n 1)
        [ -n "$line" ] && break
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$line" ] || die "serve did not start: $(head -c 800 "$log")"
    URL=${line#listening on }
}

metric() { # metric URL NAME: the sum of NAME's samples in URL's /metrics
    curl -s "$1/metrics" | awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $2 } END { print s + 0 }'
}

# wrk_run LABEL CONNS ARGS...: runs wrk, prints one line of results and sets RPS, P99
# (ms), P50, NREQ, NON2XX (answers >= 400, as wrk counts them) and SOCK (socket errors).
printf -v WRK_HDR '  %-44s %5s %10s %9s %9s %8s %9s' "" conns "req/s" "p50 ms" "p99 ms" "requests" "non-2xx"
wrk_run()
{
    local label=$1 c=$2
    shift 2
    "$WRK" -t2 -c"$c" -d"${DURATION}s" --timeout 10s --latency "$@" >"$TMP/wrk.out" 2>&1 ||
        die "wrk failed: $(head -c 500 "$TMP/wrk.out")"
    read -r RPS P50 P99 NREQ NON2XX SOCK < <(awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                         if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
        /^ +50% / { p50 = ms($2) } /^ +99% / { p99 = ms($2) }
        /requests in/ { n = $1 } /^Requests\/sec:/ { r = $2 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { gsub(/,/, ""); sock = $4 + $6 + $8 + $10 }
        END { printf "%s %.2f %.2f %d %d %d\n", r, p50, p99, n, bad, sock }' "$TMP/wrk.out")
    printf '  %-44s %5d %10.0f %9.2f %9.2f %8d %9d%s\n' "$label" "$c" "$RPS" "$P50" "$P99" "$NREQ" \
        "$NON2XX" "$([ "$SOCK" -gt 0 ] && echo "  socket errors $SOCK")"
    [ -n "$RPS" ] || { sed 's/^/    wrk: /' "$TMP/wrk.out"; die "could not parse wrk's output"; }
}

target_line() { # target_line WHAT VALUE OP LIMIT UNIT
    awk -v w="$1" -v v="$2" -v op="$3" -v l="$4" -v u="$5" 'BEGIN {
        ok = (op == ">" ? v > l : v < l)
        printf "  target: %-38s %s %s %s: %.2f %s  %s\n", w, op, l, u, v, u, (ok ? "ok" : "MISSED") }'
}

echo "machine: $(nproc) cores, loadavg $(cut -d' ' -f1-3 /proc/loadavg) (shared machines make these figures noisy)"

# --- profiles and the render daemon ---------------------------------------------------
sized_profile 5k 1650
SMALL=$PROFILE SMALL_SAMPLES=$SAMPLES SMALL_STACKS=$STACKS
sized_profile 200k 66650
BIG=$PROFILE BIG_SAMPLES=$SAMPLES BIG_STACKS=$STACKS
printf 'profiles: small %d samples / %d stacks (%d kB gz), big %d samples / %d stacks (%d kB gz)\n' \
    "$SMALL_SAMPLES" "$SMALL_STACKS" $(($(wc -c <"$SMALL") / 1000)) \
    "$BIG_SAMPLES" "$BIG_STACKS" $(($(wc -c <"$BIG") / 1000))

DATA=$TMP/data
stamp=$(date -u -d '-1 min' +%Y%m%dT%H%M%S.000Z)
mkdir -p "$DATA/small/heap" "$DATA/big/heap" || exit 1
cp "$SMALL" "$DATA/small/heap/$stamp.pb.gz" && cp "$BIG" "$DATA/big/heap/$stamp.pb.gz" || exit 1
# Port 9 (discard) on loopback: nothing listens, a scrape (at most one an hour) is refused.
start_serve "$TMP/serve.log" -target=small=http://127.0.0.1:9 -target=big=http://127.0.0.1:9 \
    -types=heap -interval=1h -data="$DATA"
RURL=$URL
echo "render daemon: $RURL (targets small and big, one stored scrape each, no scraping)"

# --- 200k samples: heapwatch's /flame.svg next to pprof -http's /ui/flamegraph ------------
echo
echo "200k-sample profile: one flame graph page, heapwatch vs go tool pprof -http"
fetch() { # fetch URL: prints "status seconds bytes"
    curl -s -o /dev/null --max-time "$LIMIT" -w '%{http_code} %{time_total} %{size_download}\n' "$1"
}
read -r st H_COLD H_BYTES < <(fetch "$RURL/flame.svg?target=big&type=heap")
[ "$st" = 200 ] || die "/flame.svg?target=big answered $st"
best=""
for ((i = 0; i < RUNS; i++)); do # uncached again (a new title each time), file in the page cache
    read -r st t _ < <(fetch "$RURL/flame.svg?target=big&type=heap&title=run$i")
    [ "$st" = 200 ] || die "/flame.svg?target=big&title=run$i answered $st"
    [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }' && best=$t
done
H_WARM=$best
read -r st H_HIT _ < <(fetch "$RURL/flame.svg?target=big&type=heap")
printf '  %-46s %9.3f s %10.1f MB\n' "heapwatch /flame.svg, first request" "$H_COLD" "$(awk -v b="$H_BYTES" 'BEGIN { print b / 1e6 }')"
printf '  %-46s %9.3f s\n' "heapwatch /flame.svg, uncached, best of $RUNS" "$H_WARM"
printf '  %-46s %9.4f s\n' "heapwatch /flame.svg, cached" "$H_HIT"
if [ "$SKIP_PPROF" != 1 ]; then
    # pprof reads the very file heapwatch stored; it prints "Serving web UI on
    # http://127.0.0.1:0" for port 0, so the port is read with ss.
    t0=$EPOCHREALTIME
    # shellcheck disable=SC2086
    $PPROF -http=127.0.0.1:0 -no_browser "$DATA/big/heap/$stamp.pb.gz" >"$TMP/pprof.log" 2>&1 </dev/null &
    ppid=$!
    pids+=("$ppid")
    port=""
    for ((i = 0; i < LIMIT * 10 && ${#port} == 0; i++)); do
        kill -0 "$ppid" 2>/dev/null || die "pprof -http exited: $(head -c 500 "$TMP/pprof.log")"
        if grep -q 'Serving web UI' "$TMP/pprof.log"; then
            kids=$(pgrep -P "$ppid" | paste -sd'|')
            port=$(ss -ltnpH | grep -E "pid=(${ppid}${kids:+|$kids})," | grep -o '127\.0\.0\.1:[0-9]*' | head -n 1)
        fi
        [ -n "$port" ] || sleep 0.1
    done
    [ -n "$port" ] || die "pprof -http did not start: $(head -c 500 "$TMP/pprof.log")"
    P_START=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
    read -r st P_TIME P_BYTES < <(fetch "http://$port/ui/flamegraph")
    [ "$st" = 200 ] || die "pprof's /ui/flamegraph answered $st"
    printf '  %-46s %9.3f s\n' "go tool pprof -http: start until serving" "$P_START"
    printf '  %-46s %9.3f s %10.1f MB\n' "go tool pprof -http: /ui/flamegraph" "$P_TIME" "$(awk -v b="$P_BYTES" 'BEGIN { print b / 1e6 }')"
    awk -v ht="$H_COLD" -v hb="$H_BYTES" -v pt="$P_TIME" -v pb="$P_BYTES" -v ps="$P_START" 'BEGIN {
        printf "  ratio: pprof'\''s page takes %.0fx heapwatch'\''s first request (%.0fx counting pprof'\''s start), sends %.0fx the bytes\n",
            pt / ht, (pt + ps) / ht, pb / hb }'
    kill $(pgrep -P "$ppid") "$ppid" 2>/dev/null
fi
target_line "200k-sample /flame.svg, first request" "$H_COLD" "<" 0.5 s

# --- cached /flame.svg ------------------------------------------------------------
echo
read -r st _ small_svg < <(fetch "$RURL/flame.svg?target=small&type=heap")
[ "$st" = 200 ] || die "/flame.svg?target=small answered $st"
read -r st _ big_svg < <(fetch "$RURL/flame.svg?target=big&type=heap")
[ "$st" = 200 ] || die "/flame.svg?target=big answered $st"
etag=$(curl -s -D - -o /dev/null "$RURL/flame.svg?target=small&type=heap" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" { print $2 }')
echo "cached /flame.svg (render cache hits; wrk, 2 threads, ${DURATION} s each)"
echo "$WRK_HDR"
h0=$(metric "$RURL" heapwatch_render_cache_hits_total)
wrk_run "5k-sample profile ($((small_svg / 1000)) kB SVG)" "$CONNS" "$RURL/flame.svg?target=small&type=heap"
C_SMALL=$RPS
wrk_run "200k-sample profile ($((big_svg / 1000)) kB SVG)" "$CONNS" "$RURL/flame.svg?target=big&type=heap"
C_BIG=$RPS
wrk_run "5k-sample, If-None-Match: 304, no body" "$CONNS" -H "If-None-Match: $etag" "$RURL/flame.svg?target=small&type=heap"
C_304=$RPS
# What browsers and dashboards ask for: the gzipped variant, cached as its own entry.
gz_small=$(curl -s -H 'Accept-Encoding: gzip' "$RURL/flame.svg?target=small&type=heap" | wc -c)
gz_big=$(curl -s -H 'Accept-Encoding: gzip' "$RURL/flame.svg?target=big&type=heap" | wc -c)
wrk_run "5k-sample, Accept-Encoding: gzip ($((gz_small / 1000)) kB)" "$CONNS" -H "Accept-Encoding: gzip" "$RURL/flame.svg?target=small&type=heap"
C_SMALL_GZ=$RPS
wrk_run "200k-sample, Accept-Encoding: gzip ($((gz_big / 1000)) kB)" "$CONNS" -H "Accept-Encoding: gzip" "$RURL/flame.svg?target=big&type=heap"
C_BIG_GZ=$RPS
echo "  (cache hits counted: $(($(metric "$RURL" heapwatch_render_cache_hits_total) - h0)); 304s: $(metric "$RURL" heapwatch_render_not_modified_total))"
awk -v a="$C_SMALL" -v sa="$small_svg" -v b="$C_BIG" -v sb="$big_svg" 'BEGIN {
    printf "  (plain bodies sent: %.2f GB/s of the 5k-sample SVG, %.2f GB/s of the 200k-sample one)\n",
        a * sa / 1e9, b * sb / 1e9 }'

# --- uncached renders of the 5k-sample profile ------------------------------------
cat >"$TMP/vary.lua" <<'EOF'
-- A different title= on every request, so that each one misses the render cache.
-- args: PATH-WITH-QUERY [BODY-FILE]; with a body file the requests are POSTs of it.
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
end
local n, path, method, body, headers = 0, nil, "GET", nil, {}
function init(args)
    path = args[1]
    if args[2] then
        local f = assert(io.open(args[2], "rb"))
        body = f:read("*a")
        f:close()
        method = "POST"
        headers["Content-Type"] = "application/octet-stream"
    end
end
function request()
    n = n + 1
    return wrk.format(method, path .. "&title=u" .. tid .. "." .. n, headers, body)
end
EOF
echo
echo "uncached renders of the 5k-sample profile (a new title= per request; 2 render slots)"
echo "$WRK_HDR"
U_P99=""
for c in $UCONNS; do
    m0=$(metric "$RURL" heapwatch_render_cache_misses_total)
    b0=$(metric "$RURL" heapwatch_render_busy_total)
    wrk_run "GET /flame.svg" "$c" -s "$TMP/vary.lua" "$RURL" -- "/flame.svg?target=small&type=heap"
    [ -n "$U_P99" ] || U_P99=$P99 U_RPS=$RPS U_C=$c
    echo "    (renders: $(($(metric "$RURL" heapwatch_render_cache_misses_total) - m0)) cache misses for $NREQ requests, $(($(metric "$RURL" heapwatch_render_busy_total) - b0)) refused busy)"
done
for c in $UCONNS; do
    m0=$(metric "$RURL" heapwatch_render_cache_misses_total)
    wrk_run "POST /render/flame.svg ($(($(wc -c <"$SMALL") / 1000)) kB upload)" "$c" -s "$TMP/vary.lua" "$RURL" -- "/render/flame.svg?x=1" "$SMALL"
    echo "    (renders: $(($(metric "$RURL" heapwatch_render_cache_misses_total) - m0)) cache misses for $NREQ requests)"
done
echo "  render daemon after the runs: RSS $(awk '/VmRSS/ { print $2 }' "/proc/$SPID/status") KiB, peak $(awk '/VmHWM/ { print $2 }' "/proc/$SPID/status") KiB"

# --- /api/targets with 100 targets ----------------------------------------------------
echo
"$FLEET" -targets=100 -addrs="$TMP/addrs" -duration=1h >"$TMP/fleet.out" 2>&1 </dev/null &
pids+=($!)
for ((i = 0; i < 300; i++)); do grep -q listening "$TMP/fleet.out" && break; sleep 0.1; done
[ -s "$TMP/addrs" ] || die "fleet did not start: $(head -c 300 "$TMP/fleet.out")"
args=()
n=0
while read -r a; do
    n=$((n + 1))
    args+=("-target=$(printf 't%03d' "$n")=http://$a")
done <"$TMP/addrs"
start_serve "$TMP/serve2.log" -interval=15s -data="$TMP/data2" "${args[@]}"
AURL=$URL
t0=$EPOCHREALTIME
for ((i = 0; i < 600; i++)); do # until every series has a stored scrape (first ones within 15 s)
    stored=$(curl -s "$AURL/api/targets" | grep -c '"latest_id": [1-9]')
    [ "$stored" -ge $((3 * n)) ] && break
    sleep 0.5
done
printf '/api/targets: %d targets, %d of %d series stored after %.1f s; body %d kB; scraping every 15 s goes on\n' \
    "$n" "$stored" $((3 * n)) "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" \
    $(($(curl -s "$AURL/api/targets" | wc -c) / 1000))
read -r st _ fbytes < <(fetch "$AURL/flame.svg?target=t001&type=heap")
[ "$st" = 200 ] || die "/flame.svg?target=t001 answered $st"
echo "$WRK_HDR"
wrk_run "GET /api/targets (100 targets)" "$CONNS" "$AURL/api/targets"
A_RPS=$RPS A_P99=$P99
wrk_run "cached /flame.svg of a fleet target ($((fbytes / 1000)) kB)" "$CONNS" "$AURL/flame.svg?target=t001&type=heap"
C_FLEET=$RPS
fetag=$(curl -s -D - -o /dev/null "$AURL/flame.svg?target=t001&type=heap" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" { print $2 }')
wrk_run "the same, If-None-Match: 304, no body" "$CONNS" -H "If-None-Match: $fetag" "$AURL/flame.svg?target=t001&type=heap"
F_304=$RPS
echo "  (compare the 304s of the 2-target render daemon above: the per-request cost that grows with targets)"

# --- summary --------------------------------------------------------------------
echo
echo "targets (issue 6):"
target_line "cached /flame.svg req/s, fleet target" "$C_FLEET" ">" 10000 "req/s"
target_line "cached /flame.svg req/s, 5k-sample" "$C_SMALL" ">" 10000 "req/s"
target_line "cached /flame.svg req/s, 200k-sample" "$C_BIG" ">" 10000 "req/s"
target_line "cached /flame.svg req/s, 5k, gzip" "$C_SMALL_GZ" ">" 10000 "req/s"
target_line "cached /flame.svg req/s, 200k, gzip" "$C_BIG_GZ" ">" 10000 "req/s"
target_line "cached /flame.svg req/s, 304, 2 targets" "$C_304" ">" 10000 "req/s"
target_line "cached /flame.svg req/s, 304, 100 targ." "$F_304" ">" 10000 "req/s"
target_line "uncached 5k-sample p99, $U_C conns" "$U_P99" "<" 20 ms
target_line "200k-sample /flame.svg, first request" "$H_COLD" "<" 0.5 s
echo "  (no target) /api/targets, 100 targets: $(printf '%.0f' "$A_RPS") req/s, p99 $A_P99 ms; uncached 5k-sample: $(printf '%.0f' "$U_RPS") renders/s"
exit 0
