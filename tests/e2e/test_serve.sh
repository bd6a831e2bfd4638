#!/usr/bin/env bash
# test_serve.sh - `heapwatch serve` as the daemon, against real Go programs over
# real HTTP:
#  1. config checks: `serve -check` on the example configs, and error paths;
#  2. several example programs and every misbehaving endpoint of examples/badtarget
#     (hang, slow, HTML page, HTML 500, JSON, plain text, endless body, truncated
#     profile) scraped every second: good targets are scraped on schedule (gaps
#     between stored scrapes, lag), bad ones are down with the right reason and
#     nothing of theirs is stored;
#  3. one target killed (down) and restarted on the same port (up again): its allocs
#     deltas are never negative and the restart is marked;
#  4. SIGHUP with a changed config (a target added) and with a broken one (kept);
#  5. the daemon killed with SIGKILL while scraping, restarted on the same data:
#     every file it renamed into place is indexed, no temporary file remains, and
#     every stored profile opens with `go tool pprof`;
#  6. SIGTERM stops it with status 0.
set -u
. "$(dirname "$0")/lib.sh"



api() { bounded curl -sS --max-time 20 -o "$2" "$SERVE_URL$1"; }


T=$E2E_TMP
DATA=$T/data

# --- 1. config checks -------------------------------------------------------
for c in "$E2E_ROOT"/examples/configs/*.yaml; do
    [ -f "$c" ] || continue
    n=check:$(basename "$c")
    if bounded "$HW" serve -check -config="$c" >"$T/check.out" 2>"$T/check.err" &&
        grep -q '^scrape_configs:' "$T/check.out"; then
        pass "$n"
    else
        fail "$n" "serve -check rejected an example config" "$(head -n 5 "$T/check.err")"
    fi
done
printf 'scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ["127.0.0.1:1"]\n    bogus_key: 1\n' >"$T/bad.yaml"
bounded "$HW" serve -check -config="$T/bad.yaml" >/dev/null 2>"$T/bad.err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'bad.yaml:5' "$T/bad.err" && grep -q 'bogus_key' "$T/bad.err"; then
    pass "check:unknown key names file:line"
else
    fail "check:unknown key names file:line" "status $rc" "$(cat "$T/bad.err")"
fi
bounded "$HW" serve -check -target=api=http://127.0.0.1:6060 -interval=5s >"$T/flags.out" 2>&1
if grep -q 'api heap http://127.0.0.1:6060/debug/pprof/heap' "$T/flags.out"; then
    pass "check:flag targets"
else
    fail "check:flag targets" "unexpected -check output" "$(head -n 40 "$T/flags.out")"
fi

# --- 2. good and bad targets --------------------------------------------------
start_example unboundedmap || { fail start "unboundedmap"; finish; }
GOOD1=${URL#http://}
start_example healthy -rate=200 || { fail start "healthy"; finish; }
GOOD2=${URL#http://}
start_example nocache || { fail start "nocache"; finish; }
RESTART=${URL#http://} RESTART_PID=$EXAMPLE_PID
start_example badtarget -slow=300ms || { fail start "badtarget"; finish; }
BAD=${URL#http://}

write_config() { # write_config FILE [EXTRA_TARGET]
    {
        echo "storage: {path: $DATA, retention_count: 500}"
        echo "limits: {max_body_bytes: 2MiB}"
        echo "scrape_configs:"
        echo "  - job_name: good"
        echo "    scrape_interval: 1s"
        echo "    static_configs:"
        echo "      - targets: [\"$GOOD1\", \"$GOOD2\", \"$RESTART\"${2:+, \"$2\"}]"
        echo "        labels: {team: mem}"
        echo "  - job_name: sd"
        echo "    scrape_interval: 1s"
        echo "    file_sd_configs: [{files: [\"$T/sd/*.json\"]}]"
        echo "    profiling_config: {pprof_config: {allocs: {enabled: false}, goroutine: {enabled: false}}}"
        for p in hang slow html html500 json text big trunc; do
            echo "  - job_name: $p"
            echo "    scrape_interval: 1s"
            echo "    scrape_timeout: 800ms"
            echo "    static_configs: [{targets: [\"$BAD\"]}]"
            echo "    profiling_config: {path_prefix: /$p, pprof_config: {allocs: {enabled: false}, goroutine: {enabled: false}}}"
        done
    } >"$1"
}
mkdir -p "$T/sd"
echo '[]' >"$T/sd/a.json"
write_config "$T/serve.yaml"
start_serve "$T/serve.log" -config="$T/serve.yaml" || { fail start "heapwatch serve"; finish; }

enough_scrapes() {
    api /api/targets "$T/targets.json" &&
        [ "$(node_json "$T/targets.json" "d.filter(t=>t.job==='good').every(t=>Object.values(t.profiles).every(p=>p.stored>=5))")" = true ]
}
if wait_for 30 enough_scrapes; then
    pass "schedule:every good target x type stored 5 scrapes"
else
    fail "schedule:every good target x type stored 5 scrapes" "timed out" "$(head -c 1500 "$T/targets.json")"
fi

# Stored ids are request start times: the gaps show the schedule held while the
# bad endpoints hung, timed out and streamed.
for t in "good/$GOOD1" "good/$GOOD2"; do
    api "/api/profiles?target=$t&type=heap" "$T/p.json"
    gaps=$(node_json "$T/p.json" "d.slice(1).map((e,i)=>e.id-d[i].id).join(' ')")
    bad=$(node_json "$T/p.json" "d.slice(1).map((e,i)=>e.id-d[i].id).filter(g=>g<700||g>1400).length")
    if [ "$bad" = 0 ]; then
        pass "schedule:$t heap gaps within 700..1400 ms ($gaps)"
    else
        fail "schedule:$t heap gaps" "$bad gap(s) off the 1 s schedule" "$gaps"
    fi
done
api /metrics "$T/metrics.txt"
lag=$(awk '/^heapwatch_scrape_lag_seconds_max/ {print $2}' "$T/metrics.txt")
if awk -v l="$lag" 'BEGIN {exit !(l != "" && l < 0.3)}'; then
    pass "schedule:max scrape lag ${lag}s (< 0.3 s) with hanging targets"
else
    fail "schedule:max scrape lag" "lag ${lag:-missing}s" "$(grep lag "$T/metrics.txt")"
fi

check_bad() { # check_bad JOB PATTERN
    local err
    err=$(node_json "$T/targets.json" "(d.find(t=>t.job==='$1')||{profiles:{heap:{}}}).profiles.heap.health+' '+(d.find(t=>t.job==='$1')||{profiles:{heap:{}}}).profiles.heap.last_error")
    if [[ $err == down* ]] && grep -qiE "$2" <<<"$err"; then
        pass "bad:$1 down: ${err#down }"
    else
        fail "bad:$1" "want down with /$2/" "$err"
    fi
}
api /api/targets "$T/targets.json"
check_bad hang 'timeout|timed out'
check_bad html 'HTML page'
check_bad html500 'status 500'
check_bad json 'JSON'
check_bad text 'not a profile|no pprof'
check_bad big 'larger than max_body_bytes'
check_bad trunc 'not a profile|truncated|unexpected end'
slow=$(node_json "$T/targets.json" "d.find(t=>t.job==='slow').profiles.heap.health")
if [ "$slow" = up ]; then pass "bad:slow (300 ms) still up"; else fail "bad:slow" "health $slow"; fi
stored_bad=$(for p in hang html html500 json text big trunc; do
    find "$DATA" -path "*$p*" -type f ! -name target.json ! -name index 2>/dev/null
done)
if [ -z "$stored_bad" ]; then
    pass "bad:nothing stored from failing endpoints"
else
    fail "bad:nothing stored from failing endpoints" "files found" "$stored_bad"
fi
n=$(grep -c 'hang/[^ ]* heap: down' "$SERVE_LOG")
if [ "$n" = 1 ]; then
    pass "log:failures logged once per state change"
else
    fail "log:failures logged once per state change" "$n 'down' lines for hang" "$(grep hang "$SERVE_LOG" | head)"
fi

# --- 3. restart of a target ----------------------------------------------------
kill -KILL "$RESTART_PID"
wait "$RESTART_PID" 2>/dev/null
is_down() { api /api/targets "$T/targets.json" && [ "$(node_json "$T/targets.json" "d.find(t=>t.name==='good/$RESTART').health")" = down ]; }
if wait_for 10 is_down; then pass "restart:killed target is down"; else fail "restart:killed target is down" "still $(node_json "$T/targets.json" "d.find(t=>t.name==='good/$RESTART').health")"; fi
start_example nocache -addr="$RESTART" || fail "restart" "cannot restart nocache on $RESTART"
is_up() { api /api/targets "$T/targets.json" && [ "$(node_json "$T/targets.json" "d.find(t=>t.name==='good/$RESTART').profiles.allocs.health")" = up ]; }
if wait_for 10 is_up; then pass "restart:target up again"; else fail "restart:target up again" "not up"; fi
sleep 2.5
api "/api/profiles?target=good/$RESTART&type=allocs" "$T/p.json"
neg=$(node_json "$T/p.json" "d.filter(e=>e.alloc_delta&&(e.alloc_delta.alloc_space<0||e.alloc_delta.alloc_objects<0)).length")
restarts=$(node_json "$T/p.json" "d.filter(e=>e.restart).length")
deltas=$(node_json "$T/p.json" "d.filter(e=>e.alloc_delta).length")
if [ "$neg" = 0 ] && [ "$restarts" -ge 1 ] && [ "$deltas" -ge 3 ]; then
    pass "restart:no negative alloc delta, $restarts restart marked, $deltas deltas"
else
    fail "restart:alloc deltas" "negative $neg, restarts $restarts, deltas $deltas" "$(head -c 2000 "$T/p.json")"
fi

# --- 4. SIGHUP ------------------------------------------------------------------
start_example boundedcache || fail start boundedcache
EXTRA=${URL#http://}
write_config "$T/serve.yaml" "$EXTRA"
kill -HUP "$SERVE_PID"
has_extra() { api /api/targets "$T/targets.json" && [ "$(node_json "$T/targets.json" "(d.find(t=>t.name==='good/$EXTRA')||{}).health")" = up ]; }
if wait_for 10 has_extra; then pass "sighup:added target scraped"; else fail "sighup:added target scraped" "not there"; fi
echo "scrape_configs: [{job_name: x, no_such_key: 1}]" >"$T/serve.yaml"
kill -HUP "$SERVE_PID"
sleep 1.5
api /api/targets "$T/targets.json"
if grep -q 'keeping the running config' "$SERVE_LOG" &&
    [ "$(node_json "$T/targets.json" "d.filter(t=>t.job==='good').length")" = 4 ]; then
    pass "sighup:bad config reported, old one kept"
else
    fail "sighup:bad config" "not kept" "$(tail -n 5 "$SERVE_LOG")"
fi
write_config "$T/serve.yaml" "$EXTRA"

# file_sd: a target file written in place (tmp + rename, as tools do) is picked up.
printf '[{"targets": ["%s"], "labels": {"via": "file_sd"}}]\n' "$GOOD1" >"$T/sd/.b.tmp"
mv "$T/sd/.b.tmp" "$T/sd/b.json"
has_sd() { api /api/targets "$T/targets.json" && [ "$(node_json "$T/targets.json" "(d.find(t=>t.name==='sd/$GOOD1')||{labels:{}}).labels.via+' '+(d.find(t=>t.name==='sd/$GOOD1')||{}).health")" = "file_sd up" ]; }
if wait_for 10 has_sd; then pass "file_sd:new target file picked up and scraped"; else fail "file_sd:new target file" "not scraped" "$(head -c 600 "$T/targets.json")"; fi
echo '{"broken": ' >"$T/sd/c.json"
sleep 2
api /api/targets "$T/targets.json"
if grep -q 'c.json' "$SERVE_LOG" && [ "$(node_json "$T/targets.json" "(d.find(t=>t.name==='sd/$GOOD1')||{}).health")" = up ]; then
    pass "file_sd:a broken file is reported, the others kept"
else
    fail "file_sd:broken file" "not reported or targets lost" "$(grep -i 'discovery' "$SERVE_LOG" | tail -n 3)"
fi
rm -f "$T/sd/c.json"

# --- 5. SIGKILL while scraping, restart on the same data ------------------------
sleep 0.7
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
files_before=$(find "$DATA" -type f -name '*.pb*' ! -path '*/corrupt/*' | sort)
start_serve "$T/serve2.log" -config="$T/serve.yaml" || { fail start "heapwatch serve again"; finish; }
tmpfiles=$(find "$DATA" -name '.tmp*' | head)
if [ -z "$tmpfiles" ]; then pass "crash:no temporary files after restart"; else fail "crash:temporary files left" "" "$tmpfiles"; fi
missing=0 total=0
api /api/targets "$T/targets.json"
for f in $files_before; do
    total=$((total + 1))
    [ -f "$f" ] || missing=$((missing + 1))
done
indexed=$(node_json "$T/targets.json" "d.reduce((s,t)=>s+Object.values(t.profiles).reduce((a,p)=>a+p.stored,0),0)")
if [ "$missing" = 0 ] && [ "$indexed" -ge "$total" ]; then
    pass "crash:all $total files kept and indexed ($indexed indexed now)"
else
    fail "crash:files after SIGKILL" "$missing of $total missing, $indexed indexed"
fi
# Every stored file opens with pprof: one merged -raw run per target and type.
bad_open=0
for d in $(find "$DATA" -mindepth 2 -maxdepth 2 -type d ! -name corrupt); do
    set -- $(find "$d" -maxdepth 1 -type f -name '*.pb*')
    [ $# -gt 0 ] || continue
    if ! bounded $PPROF -raw "$@" >/dev/null 2>"$T/pprof.err"; then
        bad_open=$((bad_open + 1))
        echo "pprof cannot open $d: $(head -n 2 "$T/pprof.err")"
    fi
done
if [ "$bad_open" = 0 ]; then pass "crash:every stored profile opens with go tool pprof"; else fail "crash:pprof" "$bad_open directories with unreadable files"; fi

# --- 6. SIGTERM -------------------------------------------------------------------
kill -TERM "$SERVE_PID"
rc=0
for ((i = 0; i < 100; i++)); do
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$SERVE_PID" 2>/dev/null; then
    fail "sigterm:stops" "still running after 10 s"
else
    wait "$SERVE_PID"
    rc=$?
    if [ "$rc" = 0 ] && [ -z "$(find "$DATA" -name '.tmp*')" ]; then
        pass "sigterm:exit 0, no temporary files"
    else
        fail "sigterm:exit" "status $rc" "$(tail -n 5 "$T/serve2.log")"
    fi
fi
if sanitizer_report "$T/serve.log" >/dev/null || sanitizer_report "$T/serve2.log" >/dev/null; then
    fail "sanitizers" "report in the daemon's log" "$(grep -A5 Sanitizer "$T"/serve*.log | head -n 20)"
fi
finish
