#!/usr/bin/env bash
# test_web.sh - the web service's render endpoints against real Go programs over real
# HTTP: two examples scraped every second by `heapwatch serve`, then every endpoint
# checked against the CLI on the very file the service stored (fetched back through
# /profile.pb.gz): flame.svg frame titles, flame.png width, flame.json, graph.dot,
# folded, top.json against `go tool pprof -top`; at= by id and by time, base= diffs,
# delta=1 on allocs; ETags, 304s and Cache-Control; the error statuses (400 naming the
# parameter, 404, 413, 503); POST /render/* with a profile and a folded file; hostile
# names escaped in the SVG and the UI; the UI in headless Chromium.
set -u
. "$(dirname "$0")/lib.sh"



# get PATH FILE [curl args...]: fetch into FILE, headers into FILE.h; prints the status.
get()
{
    local p=$1 f=$2
    shift 2
    bounded curl -sS --max-time 60 -D "$f.h" -o "$f" -w '%{http_code}' "$@" "$SERVE_URL$p"
}
header() { grep -i "^$1:" "$2.h" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
urlenc() { node -e 'console.log(encodeURIComponent(process.argv[1]))' "$1"; }

# expect NAME WANT_STATUS PATH [WORD] [curl args...]: the status, and WORD in the error.
expect()
{
    local name=$1 want=$2 p=$3 word=${4:-} got
    shift 3
    [ $# -gt 0 ] && shift
    got=$(get "$p" "$T/x" "$@")
    if [ "$got" != "$want" ]; then
        fail "$name" "status $got, want $want" "$(head -c 300 "$T/x")"
    elif [ "$want" -ge 400 ] && ! node_json "$T/x" 'd.error' >/dev/null 2>&1; then
        fail "$name" "error body is not JSON {\"error\": ...}" "$(head -c 300 "$T/x")"
    elif [ -n "$word" ] && ! grep -q -- "$word" "$T/x"; then
        fail "$name" "error does not name $word" "$(head -c 300 "$T/x")"
    else
        pass "$name"
    fi
}

titles() { tr '\n' ' ' <"$1" | grep -o '<title>[^<]*</title>' | sort; }
png_width() { od -An -tu1 -j16 -N4 "$1" | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}'; }
stored_file() # stored_file TARGETDIR TYPE ID: the path of a stored scrape
{
    local id=$3
    echo "$DATA/$1/$2/$(date -u -d "@$((id / 1000))" +%Y%m%dT%H%M%S).$(printf %03d $((id % 1000)))Z.pb.gz"
}

T=$E2E_TMP
DATA=$T/data
HOSTILE='<script>alert(1)</script>'
for c in node curl; do
    command -v $c >/dev/null || { skip all "needs $c"; finish; }
done

# --- start ----------------------------------------------------------------------------
start_example unboundedmap || { fail start unboundedmap; finish; }
A=$URL
start_example healthy -rate=200 || { fail start healthy; finish; }
B=$URL
start_serve "$T/serve.log" -target="api=$A" -target="$HOSTILE=$B" -target="dead=http://127.0.0.1:1" \
    -interval=1s -data="$DATA" || { fail start "heapwatch serve"; finish; }

# 503 before anything is stored is only certain for the target that never answers.
expect "error: no scrape yet is 503" 503 "/flame.svg?target=dead" "dead"

stored() { # stored TARGET TYPE N: at least N scrapes stored
    get "/api/profiles?target=$(urlenc "$1")&type=$2" "$T/p.json" >/dev/null &&
        [ "$(node_json "$T/p.json" 'Array.isArray(d) ? d.length : 0')" -ge "$3" ]
}
if wait_for 30 stored api heap 3 && wait_for 10 stored api allocs 3 && wait_for 10 stored "$HOSTILE" heap 1; then
    pass "serve: 3 scrapes stored"
else
    fail "serve: 3 scrapes stored" "timed out" "$(tail -n 5 "$T/serve.log")"
    finish
fi

get "/api/profiles?target=api&type=heap" "$T/heap.json" >/dev/null
ID=$(node_json "$T/heap.json" 'd[d.length-1].id')
ID1=$(node_json "$T/heap.json" 'd[d.length-2].id')
TIME=$(node_json "$T/heap.json" 'd[d.length-1].time')
F=$(stored_file api heap "$ID")
F1=$(stored_file api heap "$ID1")
Q="target=api&type=heap&at=$ID"

# --- /profile.pb.gz -------------------------------------------------------------------
code=$(get "/profile.pb.gz?$Q" "$T/raw.pb.gz")
if [ "$code" = 200 ] && cmp -s "$T/raw.pb.gz" "$F"; then
    pass "profile.pb.gz: byte-identical to the stored file"
else
    fail "profile.pb.gz: byte-identical to the stored file" "status $code" "$F"
fi
# shellcheck disable=SC2086
if bounded $PPROF $PPROF_FLAGS -top "$SERVE_URL/profile.pb.gz?$Q" >"$T/pp.url" 2>"$T/pp.err" &&
    bounded $PPROF $PPROF_FLAGS -top "$F" >"$T/pp.file" 2>/dev/null &&
    [ "$(report_section <"$T/pp.url")" = "$(report_section <"$T/pp.file")" ] && [ -s "$T/pp.url" ]; then
    pass "profile.pb.gz: go tool pprof -top reads the URL"
else
    fail "profile.pb.gz: go tool pprof -top reads the URL" "differs or failed" "$(head -n 5 "$T/pp.err")"
fi

# --- flame ----------------------------------------------------------------------------
code=$(get "/flame.svg?$Q" "$T/f.svg")
"$HW" flame -o "$T/cli.svg" "$F"
if [ "$code" = 200 ] && xmllint --noout "$T/f.svg" 2>"$T/xmlerr" && [ "$(header content-type "$T/f.svg")" = image/svg+xml ]; then
    pass "flame.svg: well-formed image/svg+xml"
else
    fail "flame.svg: well-formed image/svg+xml" "status $code" "$(head -n 3 "$T/xmlerr")"
fi
if [ "$(titles "$T/f.svg")" = "$(titles "$T/cli.svg")" ] && [ "$(titles "$T/f.svg" | wc -l)" -gt 3 ]; then
    pass "flame.svg: frame titles equal heapwatch flame's ($(titles "$T/f.svg" | wc -l))"
else
    fail "flame.svg: frame titles equal heapwatch flame's" "differ" "$(diff <(titles "$T/cli.svg") <(titles "$T/f.svg") | head -n 6)"
fi
code=$(get "/flame.png?$Q&width=640" "$T/f.png")
if [ "$code" = 200 ] && [ "$(header content-type "$T/f.png")" = image/png ] && [ "$(png_width "$T/f.png")" = 640 ]; then
    pass "flame.png: a PNG 640 pixels wide"
else
    fail "flame.png: a PNG 640 pixels wide" "status $code, width $(png_width "$T/f.png")"
fi
code=$(get "/flame.json?$Q" "$T/f.json")
"$HW" flame -format=json "$F" >"$T/cli.json"
if [ "$code" = 200 ] && node_json "$T/f.json" 'd.name' >/dev/null && cmp -s "$T/f.json" "$T/cli.json"; then
    pass "flame.json: parses, equals heapwatch flame -format=json"
else
    fail "flame.json: parses, equals heapwatch flame -format=json" "status $code"
fi

# --- graph, folded, top ----------------------------------------------------------------
code=$(get "/graph.dot?$Q" "$T/g.dot")
"$HW" graph -format=dot "$F" >"$T/cli.dot"
if [ "$code" = 200 ] && cmp -s "$T/g.dot" "$T/cli.dot"; then
    pass "graph.dot: equals heapwatch graph -format=dot"
else
    fail "graph.dot: equals heapwatch graph -format=dot" "status $code" "$(diff "$T/cli.dot" "$T/g.dot" | head -n 4)"
fi
code=$(get "/graph.svg?$Q" "$T/g.svg")
if [ "$code" = 200 ] && xmllint --noout "$T/g.svg" 2>/dev/null; then pass "graph.svg: well-formed"; else fail "graph.svg: well-formed" "status $code"; fi
code=$(get "/graph.png?$Q" "$T/g.png")
if [ "$code" = 200 ] && [ "$(head -c 4 "$T/g.png" | od -An -c | tr -d ' ')" = '211PNG' ]; then pass "graph.png: a PNG"; else fail "graph.png: a PNG" "status $code"; fi
code=$(get "/folded?$Q" "$T/f.folded")
"$HW" fold "$F" >"$T/cli.folded"
if [ "$code" = 200 ] && [ -s "$T/f.folded" ] && cmp -s "$T/f.folded" "$T/cli.folded"; then
    pass "folded: equals heapwatch fold"
else
    fail "folded: equals heapwatch fold" "status $code"
fi
code=$(get "/top.json?$Q" "$T/top.json")
node -e '
const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
for (const r of d.rows)
  console.log(r.flat_text.padStart(10) + " " + r.flat_pct_text + " " + r.sum_pct_text + " " +
              r.cum_text.padStart(10) + " " + r.cum_pct_text + "  " + r.name + (r.inline ? " (" + r.inline + ")" : ""));' \
    "$T/top.json" >"$T/top.rows" 2>"$T/top.err"
report_section <"$T/pp.file" | sed '1,/^ *flat  flat%/d' >"$T/pp.rows"
if [ "$code" = 200 ] && [ -s "$T/top.rows" ] && cmp -s "$T/top.rows" "$T/pp.rows"; then
    pass "top.json: every row equals go tool pprof -top ($(wc -l <"$T/top.rows") rows)"
else
    fail "top.json: every row equals go tool pprof -top" "status $code" "$(diff "$T/pp.rows" "$T/top.rows" | head -n 6)"
fi
tot=$(node_json "$T/top.json" 'd.total')
code=$(get "/api/summary?$Q" "$T/sum.json")
want=$(raw_totals "$F" | awk '$1 == "inuse_space" {print $2}')
got=$(node_json "$T/sum.json" 'd.sample_types.find(t => t.type === "inuse_space").total')
if [ "$code" = 200 ] && [ "$got" = "$want" ] && [ "$(node_json "$T/sum.json" 'd.top.length > 0')" = true ] && [ "$tot" = "$want" ]; then
    pass "api/summary: totals equal pprof -raw's ($got)"
else
    fail "api/summary: totals equal pprof -raw's" "status $code, got $got, top.json $tot, want $want"
fi

# --- at, base, delta --------------------------------------------------------------------
get "/flame.svg?$Q" "$T/e1" >/dev/null
get "/flame.svg?target=api&type=heap&at=$TIME" "$T/e2" >/dev/null
if [ -n "$(header etag "$T/e1")" ] && [ "$(header etag "$T/e1")" = "$(header etag "$T/e2")" ]; then
    pass "at=<time> resolves to the scrape at that time (same ETag as at=<id>)"
else
    fail "at=<time> resolves to the scrape at that time" "$(header etag "$T/e1") vs $(header etag "$T/e2")"
fi
"$HW" fold -base="$F1" "$F" >"$T/cli.diff"
code=$(get "/folded?$Q&base=$ID1" "$T/diff.folded")
if [ "$code" = 200 ] && cmp -s "$T/diff.folded" "$T/cli.diff"; then
    pass "base=<id>: folded equals heapwatch fold -base"
else
    fail "base=<id>: folded equals heapwatch fold -base" "status $code"
fi
"$HW" flame -base="$F1" -o "$T/cli.diff.svg" "$F"
code=$(get "/flame.svg?$Q&base=$ID1" "$T/diff.svg")
if [ "$code" = 200 ] && grep -q 'Differential' "$T/diff.svg" && [ "$(titles "$T/diff.svg")" = "$(titles "$T/cli.diff.svg")" ]; then
    pass "base=<id>: flame.svg is heapwatch flame -base's diff"
else
    fail "base=<id>: flame.svg is heapwatch flame -base's diff" "status $code"
fi
code=$(get "/flame.svg?target=api&type=heap&base=-2s" "$T/rel.svg")
if [ "$code" = 200 ] && grep -q 'Differential' "$T/rel.svg" && [ "$(header cache-control "$T/rel.svg")" = no-cache ]; then
    pass "base=-2s: a diff against the scrape 2 s ago"
else
    fail "base=-2s: a diff against the scrape 2 s ago" "status $code" "$(head -c 200 "$T/rel.svg")"
fi
get "/api/profiles?target=api&type=allocs" "$T/allocs.json" >/dev/null
AID=$(node_json "$T/allocs.json" 'd[d.length-1].id')
AID1=$(node_json "$T/allocs.json" 'd[d.length-2].id')
"$HW" fold -sample_index=alloc_space -base="$(stored_file api allocs "$AID1")" "$(stored_file api allocs "$AID")" >"$T/cli.delta"
code=$(get "/folded?target=api&type=allocs&at=$AID&delta=1" "$T/delta.folded")
if [ "$code" = 200 ] && [ -s "$T/delta.folded" ] && cmp -s "$T/delta.folded" "$T/cli.delta"; then
    pass "delta=1: allocs minus the previous scrape (alloc_space)"
else
    fail "delta=1: allocs minus the previous scrape" "status $code" "$(diff "$T/cli.delta" "$T/delta.folded" | head -n 4)"
fi
code=$(get "/flame.svg?target=api&type=allocs&at=$AID&delta=1" "$T/delta.svg")
if [ "$code" = 200 ] && xmllint --noout "$T/delta.svg" 2>/dev/null && grep -q 'delta since' "$T/delta.svg"; then
    pass "delta=1: flame.svg"
else
    fail "delta=1: flame.svg" "status $code"
fi
expect "delta=1 on goroutine is 400 naming delta" 400 "/flame.svg?target=api&type=goroutine&delta=1" "delta"

# --- caching ----------------------------------------------------------------------------
etag=$(header etag "$T/e1")
code=$(get "/flame.svg?$Q" "$T/c304" -H "If-None-Match: $etag")
if [ "$code" = 304 ] && [ ! -s "$T/c304" ]; then pass "If-None-Match: 304 without a body"; else fail "If-None-Match: 304" "status $code"; fi
if [ "$(header cache-control "$T/e1")" = "public, max-age=31536000, immutable" ]; then
    pass "at=<id>: Cache-Control immutable"
else
    fail "at=<id>: Cache-Control immutable" "$(header cache-control "$T/e1")"
fi
get "/flame.svg?target=api&type=heap" "$T/l1" >/dev/null
l1=$(header etag "$T/l1")
changed() { get "/flame.svg?target=api&type=heap" "$T/l2" >/dev/null && [ "$(header etag "$T/l2")" != "$l1" ]; }
if [ "$(header cache-control "$T/l1")" = no-cache ] && wait_for 10 changed; then
    pass "at=latest: no-cache, and the ETag changes with a new scrape"
else
    fail "at=latest: no-cache, and the ETag changes with a new scrape" "$(header cache-control "$T/l1") $l1"
fi
t0=$(date +%s%N)
get "/flame.svg?$Q" "$T/hit" >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
if cmp -s "$T/hit" "$T/f.svg"; then pass "cache: a repeated render is the same bytes (${ms} ms)"; else fail "cache: repeat" "differs"; fi

# gzip: text goes compressed to clients that ask, with its own ETag; PNG never.
for path in "/flame.svg?target=api&type=heap" "/top.json?target=api&type=heap" "/folded?target=api&type=heap"; do
    get "$path" "$T/plain" >/dev/null
    st=$(get "$path" "$T/gz" -H 'Accept-Encoding: gzip')
    if [ "$(wc -c <"$T/plain")" -lt 1024 ]; then
        # Bodies under 1 kB go plain: gzip would not pay for itself.
        [ "$st" = 200 ] && [ -z "$(header content-encoding "$T/gz")" ] && cmp -s "$T/gz" "$T/plain" &&
            pass "gzip:$path (small, sent plain)" || fail "gzip:$path" "small body mangled"
        continue
    fi
    if [ "$st" = 200 ] && [ "$(header content-encoding "$T/gz")" = gzip ] &&
        gzip -dc "$T/gz" | cmp -s - "$T/plain" &&
        [ "$(header etag "$T/gz")" != "$(header etag "$T/plain")" ] &&
        [ "$(header vary "$T/gz")" = Accept-Encoding ]; then
        pass "gzip:$path ($(wc -c <"$T/plain") -> $(wc -c <"$T/gz") bytes)"
    else
        fail "gzip:$path" "status $st, encoding '$(header content-encoding "$T/gz")'" "$(head -c 300 "$T/gz.h")"
    fi
done
get "/flame.png?target=api&type=heap" "$T/png" -H 'Accept-Encoding: gzip' >/dev/null
if [ -z "$(header content-encoding "$T/png")" ]; then pass "gzip:png sent as is"; else fail "gzip:png" "encoded"; fi

# --- targets by label ---------------------------------------------------------------------
inst=${A#http://}
get "/flame.svg?at=$ID&type=heap&target=$(urlenc "{job=\"heapwatch\",instance=\"$inst\"}")" "$T/lab" >/dev/null
if [ "$(header etag "$T/lab")" = "$etag" ]; then pass "target={job=...,instance=...} selects the target"; else fail "target by labels" "$(head -c 200 "$T/lab")"; fi
expect "target=job=heapwatch (3 targets) is 400" 400 "/flame.svg?target=job%3Dheapwatch" "target"

# --- errors -------------------------------------------------------------------------------
expect "error: unknown target is 404" 404 "/flame.svg?target=nope" "nope"
expect "error: unknown type is 404" 404 "/flame.svg?target=api&type=mutexes" "mutexes"
expect "error: unknown id is 404" 404 "/flame.svg?target=api&at=1000" "1000"
expect "error: missing target is 400" 400 "/flame.svg" "target"
expect "error: bad width is 400 naming width" 400 "/flame.svg?target=api&width=abc" "width"
expect "error: bad at is 400 naming at" 400 "/flame.svg?target=api&at=yesterday" "at"
expect "error: bad regexp is 400 naming focus" 400 "/top.json?target=api&focus=(" "focus"
expect "error: bad sample_index is 400" 400 "/top.json?target=api&sample_index=cpu" "sample_index"
expect "error: nodecount too big is 400" 400 "/graph.svg?target=api&nodecount=100000" "nodecount"
head -c $((17 << 20)) /dev/zero >"$T/big"
expect "error: upload too large is 413" 413 "/render/flame.svg" "" --data-binary "@$T/big"
expect "error: empty upload is 400" 400 "/render/flame.svg" "" --data-binary ""
expect "error: garbage upload is 400" 400 "/render/flame.svg" "" --data-binary "not a profile at all"

# --- uploads --------------------------------------------------------------------------------
code=$(get "/render/folded" "$T/up.folded" --data-binary "@$F")
if [ "$code" = 200 ] && cmp -s "$T/up.folded" "$T/cli.folded"; then pass "POST /render/folded: equals heapwatch fold"; else fail "POST /render/folded" "status $code"; fi
printf 'main.main;main.a 5\nmain.main;main.b 3\n' >"$T/small.folded"
code=$(get "/render/flame.svg" "$T/up.svg" --data-binary "@$T/small.folded")
"$HW" flame -o "$T/cli.small.svg" "$T/small.folded"
if [ "$code" = 200 ] && [ "$(titles "$T/up.svg")" = "$(titles "$T/cli.small.svg")" ]; then
    pass "POST /render/flame.svg: a folded file, titles as heapwatch flame"
else
    fail "POST /render/flame.svg: a folded file" "status $code"
fi
code=$(get "/render/top.json?sample_index=alloc_space" "$T/up.top" --data-binary "@$F")
if [ "$code" = 200 ] && [ "$(node_json "$T/up.top" 'd.type')" = alloc_space ]; then pass "POST /render/top.json: sample_index"; else fail "POST /render/top.json" "status $code"; fi
code=$(get "/render/flame.png?width=300" "$T/up.png" --data-binary "@$T/small.folded")
if [ "$code" = 200 ] && [ "$(png_width "$T/up.png")" = 300 ]; then pass "POST /render/flame.png"; else fail "POST /render/flame.png" "status $code"; fi
SHARED=$E2E_ROOT/../shared/testdata/profiles
if [ -f "$SHARED/pprof-heap-nomappings.pb.gz" ]; then
    for f in pprof-heap-nomappings.pb.gz parca-alloc_objects.pb.gz eno-heap.pb.gz; do
        [ -f "$SHARED/$f" ] || continue
        code=$(get "/render/flame.svg" "$T/sh.svg" --data-binary "@$SHARED/$f")
        "$HW" flame -o "$T/sh.cli.svg" "$SHARED/$f" 2>/dev/null
        if [ "$code" = 200 ] && [ "$(titles "$T/sh.svg")" = "$(titles "$T/sh.cli.svg")" ]; then
            pass "POST /render/flame.svg: testdata $f"
        else
            fail "POST /render/flame.svg: testdata $f" "status $code" "$(head -c 200 "$T/sh.svg")"
        fi
        code=$(get "/render/graph.dot" "$T/sh.dot" --data-binary "@$SHARED/$f")
        "$HW" graph -format=dot "$SHARED/$f" >"$T/sh.cli.dot" 2>/dev/null
        if [ "$code" = 200 ] && cmp -s "$T/sh.dot" "$T/sh.cli.dot"; then pass "POST /render/graph.dot: testdata $f"; else fail "POST /render/graph.dot: testdata $f" "status $code"; fi
    done
else
    skip "POST /render: shared testdata" "../shared/testdata absent"
fi

# --- hostile names ------------------------------------------------------------------------------
printf 'main.main;</text><script>window.hwPwned=1</script> 7\nmain.main;<img src=x onerror=alert(1)> 3\n' >"$T/hostile.folded"
code=$(get "/render/flame.svg" "$T/h.svg" --data-binary "@$T/hostile.folded")
if [ "$code" = 200 ] && xmllint --noout "$T/h.svg" 2>/dev/null && ! grep -q '<script>window' "$T/h.svg" &&
    ! grep -q '<img' "$T/h.svg" && grep -q '&lt;script&gt;window' "$T/h.svg"; then
    pass "hostile: folded frame names escaped in the SVG"
else
    fail "hostile: folded frame names escaped in the SVG" "status $code"
fi
code=$(get "/render/top.json" "$T/h.json" --data-binary "@$T/hostile.folded")
if [ "$code" = 200 ] && ! grep -q '<' "$T/h.json" && node_json "$T/h.json" 'd.rows.length' >/dev/null; then
    pass "hostile: top.json escapes < for HTML"
else
    fail "hostile: top.json escapes < for HTML" "status $code"
fi
code=$(get "/flame.svg?target=$(urlenc "$HOSTILE")" "$T/ht.svg")
if [ "$code" = 200 ] && xmllint --noout "$T/ht.svg" 2>/dev/null && ! grep -q '<script>alert' "$T/ht.svg"; then
    pass "hostile: a target named $HOSTILE, its flame.svg escapes the name"
else
    fail "hostile: target name in flame.svg" "status $code"
fi
code=$(get "/" "$T/ui.html")
if [ "$code" = 200 ] && [ "$(header content-type "$T/ui.html")" = "text/html; charset=utf-8" ] &&
    ! grep -qiE 'src="?https?:|href="?https?:' "$T/ui.html"; then
    pass "ui: served, no external requests"
else
    fail "ui: served, no external requests" "status $code"
fi

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -n "$CHROMIUM" ]; then
    prof=$(mktemp -d "$T/chrome.XXXXXX")
    bounded "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$prof" \
        --virtual-time-budget=8000 --dump-dom "$SERVE_URL/" >"$T/dom.html" 2>"$T/chrome.err"
    if grep -q 'id="targets"' "$T/dom.html" && grep -q '>api<' "$T/dom.html" &&
        grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/dom.html" && ! grep -q '<script>alert' "$T/dom.html"; then
        pass "ui: headless Chromium shows the targets, the hostile name as text"
    else
        fail "ui: headless Chromium shows the targets" "no targets table" "$(head -c 400 "$T/dom.html")" "$(tail -n 3 "$T/chrome.err")"
    fi
    if grep -q '<svg[^>]*class="spark"[^>]*><title>inuse_space over [0-9]* scrapes' "$T/dom.html" &&
        grep -q '<polyline points="1.0,[0-9.]* ' "$T/dom.html"; then
        pass "ui: targets carry a sparkline of inuse over the stored scrapes"
    else
        fail "ui: sparkline" "no sparkline" "$(grep -o '<svg[^>]*spark[^>]*>.\{0,200\}' "$T/dom.html" | head -n 2)"
    fi
    bounded "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$prof" \
        --virtual-time-budget=10000 --dump-dom "$SERVE_URL/#target=api&type=heap" >"$T/dom2.html" 2>>"$T/chrome.err"
    if grep -q 'id="toptable"' "$T/dom2.html" && grep -q 'main.recordRequest' "$T/dom2.html" &&
        grep -q '<object[^>]*flame.svg' "$T/dom2.html"; then
        pass "ui: the target page shows the flame graph and the top table"
    else
        fail "ui: the target page" "missing parts" "$(grep -o 'class="error"[^<]*<' "$T/dom2.html" | head -n 2)"
    fi
    # Interactions: click a target, change the sample type and the base, follow links.
    if command -v node >/dev/null 2>&1; then
        CHROMIUM=$CHROMIUM run_browser "ui browser" ui_browser.js "$SERVE_URL" api
    else
        skip "ui browser" "node missing"
    fi
else
    skip "ui: headless Chromium" "chromium missing"
fi

if sanitizer_report "$T/serve.log" >"$T/san"; then
    fail "serve: sanitizer report" "$(cat "$T/san")"
fi
kill -TERM "$SERVE_PID" 2>/dev/null
for ((i = 0; i < 100; i++)); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
wait "$SERVE_PID" 2>/dev/null
rc=$?
if [ "$rc" = 0 ] && ! sanitizer_report "$T/serve.log" >"$T/san"; then
    pass "serve: SIGTERM exits 0, no sanitizer report"
else
    fail "serve: SIGTERM exits 0, no sanitizer report" "status $rc" "$(cat "$T/san" 2>/dev/null)" "$(tail -n 5 "$T/serve.log")"
fi
finish
