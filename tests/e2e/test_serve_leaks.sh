#!/usr/bin/env bash
# test_serve_leaks.sh - leak detection in the daemon, on live Go programs.
#
# Starts every leaky example (unboundedmap, nocache, subslice, tickerleak,
# goroutineleak) and both controls (healthy, boundedcache) at their default rates,
# and `heapwatch serve` scraping heap and goroutine profiles of each every second.
# The config adds ?gc=1 to every scrape (params: {gc: ["1"]}): a heap profile only
# changes when a GC cycle ends, and at GOGC=100 a program leaking 1 MiB/s would run
# one only each time its heap doubles. A target nothing listens on stays unscraped.
#
# Then it polls /api/leaks of every series once a second and asserts:
#   - each leak: verdict `leak` within MAX_SCRAPES scrapes (the report's own count;
#     6 to 10 on an idle or loaded dev machine, 13 once on CI for tickerleak, whose
#     ~1 MiB/s is only about two sampled objects a second at the default
#     MemProfileRate, so its rank test needs more points when a slow machine lowers the
#     rate; the verdicts and their reasons are printed when one is late),
#     with the known site (examples/README.md) as the top suspect: the site's function
#     for heaps, main.leakyWorker for goroutines, for tickerleak the flat
#     time.NewTicker with main.startPoller on its stack;
#   - each control, heap and goroutine: never `leak` (boundedcache: not after a
#     warm-up of WARM scrapes: its LRU fills for about 4 s, and until the flat part of
#     the window outweighs the rise the verdict may be growing or even leak, seen up
#     to 11 scrapes), and after CONTROL_SCRAPES scrapes no `leak` and no suspect;
#   - /api/targets carries the verdicts, per type and per target (the worst), none
#     for a target scraped for allocs only (a second job on unboundedmap's address);
#   - /metrics has the suspect growth of a leaky heap and goroutine series and the
#     verdict gauges, label values escaped;
#   - /leaks.svg is well-formed XML (xmllint) and /leaks.png a PNG of the asked size;
#     an unchanged report answers If-None-Match with 304;
#   - 400 for bad parameters and ambiguous label matchers, 404 for unknown targets and
#     for types without leak detection (allocs), 503 before a target's first scrape;
#   - the UI's script parses and asks for /api/leaks and /leaks.svg;
#   - SIGTERM stops the daemon with status 0 and no sanitizer report.
# It prints the scrapes each leak needed. About 40 s; see lib.sh for the environment.
# MAX_SCRAPES (20), CONTROL_SCRAPES (20), WARM (15) and DEADLINE (60 s) may be set.
set -u
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

MAX_SCRAPES=${MAX_SCRAPES:-20}
CONTROL_SCRAPES=${CONTROL_SCRAPES:-20}
WARM=${WARM:-15}
DEADLINE=${DEADLINE:-60}

# NAME TYPE SITE_FUNCTION STACK_FRAME ("-": none required)
LEAKS="unboundedmap heap main.recordRequest -
nocache heap main.(*Cache).Put -
subslice heap main.keepHeader -
tickerleak heap time.NewTicker main.startPoller
goroutineleak heap main.leakyWorker -
goroutineleak goroutine main.leakyWorker -"
CONTROLS="healthy boundedcache"



# status PATH FILE: GET PATH into FILE, prints the HTTP status.
status() { bounded curl -sS --max-time 20 -o "$2" -w '%{http_code}' "$SERVE_URL$1"; }

T=$E2E_TMP
for tool in node xmllint; do
    command -v $tool >/dev/null || { skip setup "$tool is missing"; finish; }
done
if [ ! -x "$HW" ]; then
    fail setup "$HW is missing (run make)"
    finish
fi

args=()
for n in unboundedmap nocache subslice tickerleak goroutineleak $CONTROLS; do
    start_example "$n" || { fail "start:$n" "could not start $n"; finish; }
    args+=("-target=$n=$URL")
    [ "$n" = unboundedmap ] && ALLOCS=allocsonly/${URL#http://}
done
args+=("-target=nothing=http://127.0.0.1:1")
cat >"$T/gc.yaml" <<EOF
scrape_configs:
  - job_name: heapwatch
    params: {gc: ["1"]}
  - job_name: allocsonly
    scrape_interval: 1s
    static_configs: [{targets: ["${ALLOCS#allocsonly/}"]}]
    profiling_config: {pprof_config: {heap: {enabled: false}, goroutine: {enabled: false}}}
EOF
start_serve "$T/serve.log" -config="$T/gc.yaml" "${args[@]}" -types=heap,goroutine \
    -interval=1s -data="$T/data" || { fail start "heapwatch serve"; finish; }

# --- polling ---------------------------------------------------------------------
# poll: fetches /api/leaks of every series at once and prints, one line each,
# "NAME TYPE VERDICT SCRAPES SUSPECTS TOP_FUNCTION TOP_STACK REASON" (stack ';'-joined;
# the reason is the first line of the evidence, spaces and all).
poll()
{
    local n k pids=()
    rm -rf "$T/poll" && mkdir -p "$T/poll"
    for n in unboundedmap nocache subslice tickerleak goroutineleak $CONTROLS; do
        for k in heap goroutine; do
            bounded curl -sS --max-time 10 -o "$T/poll/$n.$k.json" \
                "$SERVE_URL/api/leaks?target=$n&type=$k" 2>/dev/null &
            pids+=($!)
        done
    done
    wait "${pids[@]}"
    node -e '
        const fs = require("fs"), dir = process.argv[1];
        for (const f of fs.readdirSync(dir).sort()) {
            const [n, k] = f.split(".");
            let d; try { d = JSON.parse(fs.readFileSync(dir + "/" + f, "utf8")); } catch (e) { d = {}; }
            if (!d.verdict) { console.log(n, k, "error", 0, 0, "-", "-", "-"); continue; }
            const s = d.suspects[0] || {}, site = s.site || "-";
            console.log(n, k, d.verdict.replace(/ /g, "_"), d.window.scrapes, d.suspects.length,
                        site.split(" ")[0], (s.stack || ["-"]).join(";"), (d.evidence || ["-"])[0]);
        }' "$T/poll"
}

declare -A first top stack late
start=$SECONDS
while :; do
    poll >"$T/lines"
    sed "s/^/$((SECONDS - start)) /" "$T/lines" >>"$T/history"
    while read -r n k v sc ns fn st _; do
        if grep -q "^$n $k " <<<"$LEAKS"; then
            if [ "$v" = leak ] && [ -z "${first[$n.$k]:-}" ]; then
                first[$n.$k]=$sc top[$n.$k]=$fn stack[$n.$k]=$st
            fi
        elif [[ " $CONTROLS " == *" $n "* ]] && [ "$v" = leak ] && [ -z "${late[$n.$k]:-}" ]; then
            if [ "$n" != boundedcache ] || [ "$sc" -gt "$WARM" ]; then
                late[$n.$k]="leak after $sc scrapes ($ns suspects, top $fn)"
            fi
        fi
    done <"$T/lines"
    done_leaks=1
    while read -r n k site frame; do
        [ -n "${first[$n.$k]:-}" ] || done_leaks=0
    done <<<"$LEAKS"
    controls_scraped=$(awk -v c=" $CONTROLS " -v m="$CONTROL_SCRAPES" \
        'index(c, " " $1 " ") && $4 >= m { n++ } END { print n + 0 }' "$T/lines")
    [ "$done_leaks" = 1 ] && [ "$controls_scraped" -ge 4 ] && break
    [ $((SECONDS - start)) -ge "$DEADLINE" ] && break
    sleep 1
done

# verdicts NAME TYPE: the verdicts of one series as they changed, with their reasons.
verdicts()
{
    awk -v n="$1" -v k="$2" '$2 == n && $3 == k && $4 != "error" && $4 != last {
        r = ""; for (i = 9; i <= NF; i++) r = r " " $i
        printf "after %s scrapes:%s\n", $5, r; last = $4 }' "$T/history"
}

summary=""
while read -r n k site frame; do
    name="serve-leaks:$n/$k"
    f=${first[$n.$k]:-}
    summary="$summary $n/$k=${f:-never}"
    if [ -z "$f" ]; then
        fail "$name" "no leak verdict within ${DEADLINE}s" "$(grep "^$n $k " "$T/lines")"
    elif [ "$f" -gt "$MAX_SCRAPES" ]; then
        fail "$name" "leak only after $f scrapes (want <= $MAX_SCRAPES)" "$(verdicts "$n" "$k")"
    elif [ "${top[$n.$k]}" != "$site" ]; then
        fail "$name" "top suspect is ${top[$n.$k]}, want $site" "${stack[$n.$k]}"
    elif [ "$frame" != - ] && ! tr ';' '\n' <<<"${stack[$n.$k]}" | grep -qxF "$frame"; then
        fail "$name" "top suspect's stack lacks $frame" "${stack[$n.$k]}"
    else
        pass "$name (leak after $f scrapes; top suspect $site)"
    fi
done <<<"$LEAKS"

for n in $CONTROLS; do
    for k in heap goroutine; do
        name="serve-leaks:$n/$k (control)"
        read -r _ _ v sc ns fn _ < <(grep "^$n $k " "$T/lines")
        if [ -n "${late[$n.$k]:-}" ]; then
            fail "$name" "${late[$n.$k]}" "verdicts by scrape count: $(awk -v n="$n" -v k="$k" \
                '$2 == n && $3 == k { printf "%s:%s ", $5, $4 }' "$T/history")"
        elif [ "${sc:-0}" -lt "$CONTROL_SCRAPES" ]; then
            fail "$name" "only ${sc:-0} scrapes in ${DEADLINE}s"
        elif [ "$v" = leak ] || [ "$ns" != 0 ]; then
            fail "$name" "verdict $v with $ns suspects after $sc scrapes (top $fn)"
        else
            pass "$name (verdict $v after $sc scrapes, no suspects)"
        fi
    done
done

# --- /api/targets and /metrics ------------------------------------------------------
# The periodic reports behind them refresh every 4 intervals: wait for one.
targets_ok()
{
    status /api/targets "$T/targets.json" >/dev/null &&
        [ "$(node_json "$T/targets.json" "d.find(t=>t.name==='unboundedmap').leak_verdict")" = leak ]
}
for ((i = 0; i < 20; i++)); do targets_ok && break; sleep 0.5; done
got=$(node_json "$T/targets.json" "['unboundedmap','goroutineleak','healthy'].map(n=>{const t=d.find(x=>x.name===n);
    return n+':'+t.leak_verdict+'/'+t.profiles.heap.leak_verdict+'/'+t.profiles.goroutine.leak_verdict}).join(' ')")
got="$got allocsonly:$(node_json "$T/targets.json" "(t=>t.leak_verdict+'/'+t.profiles.allocs.leak_verdict)(d.find(x=>x.name==='$ALLOCS'))")"
if [[ $got == "unboundedmap:leak/leak/"* && $got == *"goroutineleak:leak/"*"/leak"* && $got != *healthy:leak* &&
    $got == *"allocsonly:null/null" ]]; then
    pass "targets:leak_verdict per type and target ($got)"
else
    fail "targets:leak_verdict" "got $got"
fi
status /metrics "$T/metrics.txt" >/dev/null
bytes=$(grep -c '^heapwatch_leak_suspect_growth_bytes_per_second{target="unboundedmap",type="heap",site="main.recordRequest [^"]*"} [0-9.e+]*$' "$T/metrics.txt")
gor=$(grep -c '^heapwatch_leak_suspect_growth_goroutines_per_second{target="goroutineleak",type="goroutine",site="main.leakyWorker [^"]*"} [0-9.e+]*$' "$T/metrics.txt")
vleak=$(grep -c '^heapwatch_leak_verdict{target="unboundedmap",type="heap"} 3$' "$T/metrics.txt")
vhealthy=$(grep -c '^heapwatch_leak_verdict{target="healthy",type="heap"} [012]$' "$T/metrics.txt")
helps=$(grep -c '^# TYPE heapwatch_leak_[a-z_]* gauge$' "$T/metrics.txt")
# A site is a line: a leak may show as two suspects of one function (two lines).
if [ "$bytes" -ge 1 ] && [ "$gor" -ge 1 ] && [ "$vleak" = 1 ] && [ "$vhealthy" = 1 ] && [ "$helps" = 3 ]; then
    pass "metrics:suspect growth (bytes, goroutines) and verdict gauges"
else
    fail "metrics" "bytes $bytes, goroutines $gor, leak gauge $vleak, healthy gauge $vhealthy, TYPE lines $helps" \
        "$(grep heapwatch_leak "$T/metrics.txt" | head -n 20)"
fi

# --- the chart ---------------------------------------------------------------------
code=$(status "/leaks.svg?target=unboundedmap" "$T/chart.svg")
if [ "$code" = 200 ] && xmllint --noout "$T/chart.svg" 2>"$T/xmllint.err" &&
    grep -q '<title>unboundedmap (heap): ' "$T/chart.svg" && grep -q 'main.recordRequest' "$T/chart.svg"; then
    pass "chart:SVG well-formed, titled, names its suspect"
else
    fail "chart:SVG" "status $code" "$(head -n 3 "$T/xmllint.err")" "$(head -c 300 "$T/chart.svg")"
fi
code=$(status "/leaks.png?target=goroutineleak&type=goroutine&width=640&height=300" "$T/chart.png")
dims=$(od -An -tu1 -j16 -N8 "$T/chart.png" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
if [ "$code" = 200 ] && [ "$(head -c 8 "$T/chart.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
    [ "$dims" = 640x300 ]; then
    pass "chart:PNG 640x300"
else
    fail "chart:PNG" "status $code, size $dims" "$(head -c 200 "$T/chart.png")"
fi
not_modified=0
for ((i = 0; i < 3; i++)); do
    etag=$(bounded curl -sS -D - -o /dev/null "$SERVE_URL/leaks.svg?target=healthy" | tr -d '\r' |
        sed -n 's/^[Ee][Tt]ag: //p')
    code=$(bounded curl -sS -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
        "$SERVE_URL/leaks.svg?target=healthy")
    [ "$code" = 304 ] && not_modified=1 && break
done
if [ "$not_modified" = 1 ]; then pass "chart:If-None-Match gives 304"; else fail "chart:304" "status $code for ETag $etag"; fi

# --- errors --------------------------------------------------------------------------
check_status() { # check_status WANT PATH
    local code
    code=$(status "$2" "$T/err.json")
    if [ "$code" = "$1" ] && node_json "$T/err.json" "d.error" >"$T/err.msg"; then
        pass "errors:$2 -> $1 ($(head -c 120 "$T/err.msg"))"
    else
        fail "errors:$2" "status $code, want $1" "$(head -c 300 "$T/err.json")"
    fi
}
check_status 400 "/api/leaks"
check_status 400 "/api/leaks?target=unboundedmap&at=-1m"
check_status 400 "/leaks.svg?target=unboundedmap&width=50"
check_status 400 "/leaks.png?target=unboundedmap&height=x"
check_status 400 "/api/leaks?target=job%3Dheapwatch"
check_status 404 "/api/leaks?target=nosuch"
check_status 404 "/api/leaks?target=unboundedmap&type=allocs"
check_status 404 "/api/leaks?target=$ALLOCS&type=allocs"
check_status 404 "/api/leaks?target=unboundedmap&type=nosuch"
check_status 503 "/api/leaks?target=nothing"
inst=$(node_json "$T/targets.json" "d.find(t=>t.name==='unboundedmap').labels.instance||''")
if [ -n "$inst" ]; then
    code=$(status "/api/leaks?target=%7Bjob%3D%22heapwatch%22,instance%3D%22$inst%22%7D" "$T/m.json")
    if [ "$code" = 200 ] && [ "$(node_json "$T/m.json" "d.kind")" = heap ]; then
        pass "errors:label matcher {job=\"heapwatch\",instance=\"$inst\"} resolves"
    else
        fail "errors:label matcher" "status $code" "$(head -c 300 "$T/m.json")"
    fi
fi

# --- the UI ---------------------------------------------------------------------------
status / "$T/ui.html" >/dev/null
if node -e 'const h=require("fs").readFileSync(process.argv[1],"utf8");
        const s=h.slice(h.indexOf("<script>")+8,h.indexOf("</script>")); new Function(s);
        if(!/\/api\/leaks\?/.test(s)||!/\/leaks\.svg\?/.test(s)||!/focus/.test(s)) process.exit(1);' "$T/ui.html"; then
    pass "ui:script parses, shows verdicts, charts and suspects"
else
    fail "ui" "the script does not parse or lacks the leak section"
fi

# --- SIGTERM ----------------------------------------------------------------------------
kill -TERM "$SERVE_PID"
for ((i = 0; i < 100; i++)); do
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
done
wait "$SERVE_PID"
rc=$?
if [ "$rc" = 0 ]; then pass "sigterm:exit 0"; else fail "sigterm" "status $rc" "$(tail -n 5 "$T/serve.log")"; fi
if sanitizer_report "$T/serve.log" >/dev/null; then
    fail "sanitizers" "report in the daemon's log" "$(grep -A8 Sanitizer "$T/serve.log" | head -n 30)"
fi

for n in $CONTROLS; do
    for k in heap goroutine; do
        echo "control $n/$k verdicts (scrapes:verdict, as they changed):$(awk -v n="$n" -v k="$k" \
            '$2 == n && $3 == k && $4 != "error" && $4 != last { printf " %s:%s", $5, $4; last = $4 }' "$T/history")"
    done
done
echo "scrapes to the first leak verdict (1 s apart, ?gc=1, polled each second):$summary"
finish
