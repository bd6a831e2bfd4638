#!/usr/bin/env bash
# demo.sh - `make demo`: the main job. Starts three Go programs (one leaking memory,
# one leaking goroutines, one healthy that only churns), runs `heapwatch serve`
# scraping them every 2 s, and after DEMO_SECONDS (30) shows what it found: each
# target's health and totals, the leak verdicts with their suspects, and flame
# graphs, call graphs and leak charts saved under build/demo/. Then, when run from
# a terminal, it keeps serving until Ctrl-C, for a look at the UI in a browser
# (DEMO_STAY=0 ends at once, DEMO_STAY=1 always stays). Everything it starts is
# stopped when it ends.
set -u
cd "$(dirname "$0")/.."
HW=build/heapwatch
OUT=build/demo
RUN=${DEMO_SECONDS:-30}
rm -rf "$OUT" && mkdir -p "$OUT"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME: runs build/examples/NAME on a free port; sets URL.
start() {
    local name=$1 line="" i
    "build/examples/$name" -addr=127.0.0.1:0 -duration=30m >"$OUT/$name.out" 2>&1 &
    pids+=($!)
    for ((i = 0; i < 100; i++)); do
        IFS= read -r line <"$OUT/$name.out" && [[ $line == "listening on "* ]] && break
        sleep 0.1
    done
    [[ $line == "listening on "* ]] || { echo "demo: $name did not start" >&2; exit 1; }
    URL=http://${line#listening on }
}

start unboundedmap && leak=$URL
start goroutineleak && gleak=$URL
start healthy && ok=$URL
cat >"$OUT/heapwatch.yaml" <<EOF
storage: {path: $OUT/data, retention_time: 1h}
scrape_configs:
  - job_name: demo
    scrape_interval: 2s
    params: {gc: ["1"]}   # each heap scrape forces a GC, so the profile is current
    static_configs:
      - targets: ["${leak#http://}"]
        labels: {app: unboundedmap}
      - targets: ["${gleak#http://}"]
        labels: {app: goroutineleak}
      - targets: ["${ok#http://}"]
        labels: {app: healthy}
EOF
"$HW" serve -config="$OUT/heapwatch.yaml" -listen=127.0.0.1:0 2>"$OUT/serve.log" &
pids+=($!)
api=""
for ((i = 0; i < 100; i++)); do
    api=$(grep -o 'listening on http://[0-9.:]*' "$OUT/serve.log" | head -n 1 | sed 's/listening on //')
    [ -n "$api" ] && break
    sleep 0.1
done
[ -n "$api" ] || { echo "demo: heapwatch serve did not start:" >&2; cat "$OUT/serve.log" >&2; exit 1; }
echo "heapwatch serve is scraping unboundedmap ($leak), goroutineleak ($gleak) and healthy ($ok)"
echo "every 2 s; the UI is at $api/"
echo "watching for ${RUN}s..."
sleep "$RUN"

echo
echo "== $api/api/targets (health, scrapes stored, inuse now)"
curl -s "$api/api/targets" | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const t of d) {
        const h = t.profiles.heap || {};
        const mb = ((h.totals || {}).inuse_space || 0) / 1048576;
        console.log(`${t.name.padEnd(24)} ${t.labels.app.padEnd(14)} ${t.health.padEnd(5)} ${String(h.stored).padStart(3)} scrapes  inuse ${mb.toFixed(1)} MB`);
    }'
for app in unboundedmap goroutineleak healthy; do
    for type in heap goroutine; do
        [ "$app" != healthy ] || [ "$type" = heap ] || continue
        echo
        echo "== leaks of $app ($type): $api/api/leaks?target=app=$app&type=$type"
        curl -s "$api/api/leaks?target=app=$app&type=$type" | node -e '
            const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
            if (d.error) { console.log("  " + d.error); process.exit(0); }
            console.log(`  verdict: ${d.verdict}`);
            for (const e of (d.evidence || []).slice(0, 3)) console.log(`  - ${e}`);
            for (const s of (d.suspects || []).slice(0, 3))
                console.log(`  suspect: ${s.site}  +${(s.growth_per_min || 0).toFixed(0)}/min  share ${((s.share || 0) * 100).toFixed(0)}%`);'
    done
done
curl -s -o "$OUT/unboundedmap-flame.svg" "$api/flame.svg?target=app=unboundedmap"
curl -s -o "$OUT/unboundedmap-growth.svg" "$api/flame.svg?target=app=unboundedmap&base=-20s"
curl -s -o "$OUT/unboundedmap-graph.svg" "$api/graph.svg?target=app=unboundedmap"
curl -s -o "$OUT/unboundedmap-leaks.svg" "$api/leaks.svg?target=app=unboundedmap"
curl -s -o "$OUT/healthy-flame.png" "$api/flame.png?target=app=healthy"
echo
echo "saved: $(cd "$OUT" && ls ./*.svg ./*.png | tr '\n' ' ')in $OUT/"
echo "stored scrapes (open any with go tool pprof): $OUT/data/"

stay=${DEMO_STAY:-}
[ -n "$stay" ] || { [ -t 0 ] && stay=1 || stay=0; }
if [ "$stay" = 1 ]; then
    echo
    echo "still scraping; the UI is at $api/ - Ctrl-C stops everything."
    wait
fi
