#!/usr/bin/env bash
# demo.sh - `make demo`: runs a leaking Go program and a healthy one, takes two heap
# profiles of each a few seconds apart over HTTP, and shows what heapwatch sees: the
# top table, what grew between the two profiles, folded stacks and flame graphs.
# Everything it starts is stopped when it ends (or on Ctrl-C).
set -u
cd "$(dirname "$0")/.."
HW=build/heapwatch
OUT=build/demo
SECONDS_APART=${DEMO_INTERVAL:-6}
mkdir -p "$OUT"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() {
    local name=$1 fifo line
    fifo=$(mktemp -u) && mkfifo "$fifo"
    "build/examples/$name" -addr=127.0.0.1:0 -memprofilerate=4096 -duration=120s >"$fifo" &
    pids+=($!)
    read -r -t 20 line <"$fifo" || { echo "demo: $name did not start" >&2; exit 1; }
    rm -f "$fifo"
    echo "http://${line#listening on }"
}

leak=$(start unboundedmap)
ok=$(start healthy)
echo "unboundedmap (leaks) on $leak, healthy (churns) on $ok"
sleep 2
for n in leak ok; do
    url=${!n}
    curl -sf "$url/debug/pprof/heap" -o "$OUT/$n-1.pb.gz" || exit 1
done
echo "waiting ${SECONDS_APART}s for the heaps to change..."
sleep "$SECONDS_APART"
for n in leak ok; do
    url=${!n}
    curl -sf "$url/debug/pprof/heap" -o "$OUT/$n-2.pb.gz" || exit 1
done

for n in leak ok; do
    echo
    echo "=== $n: heapwatch top -nodecount=8 (in use now)"
    "$HW" top -nodecount=8 "$OUT/$n-2.pb.gz"
    echo
    echo "=== $n: heapwatch top -base (what grew in ${SECONDS_APART}s)"
    "$HW" top -nodecount=5 -base="$OUT/$n-1.pb.gz" "$OUT/$n-2.pb.gz"
    "$HW" fold "$OUT/$n-2.pb.gz" >"$OUT/$n.folded"
    if "$HW" flame --help >/dev/null 2>&1; then
        "$HW" flame -o "$OUT/$n.svg" "$OUT/$n-2.pb.gz" &&
            "$HW" flame -o "$OUT/$n.png" "$OUT/$n-2.pb.gz" &&
            "$HW" flame -base="$OUT/$n-1.pb.gz" -o "$OUT/$n-growth.svg" "$OUT/$n-2.pb.gz"
    fi
done
echo
echo "files in $OUT/: profiles (*.pb.gz, open them with go tool pprof too), folded stacks,"
echo "and flame graphs (*.svg: open in a browser; *-growth.svg: the diff)."
ls -1 "$OUT"
