#!/usr/bin/env bash
# test_badinput.sh - heapwatch must fail cleanly on bad input: exit 0 or 1 (never a
# signal or a sanitizer report), say why on stderr, and stay within its byte limit.
#
#  - truncated (every 1/16 of the length) and bit-flipped (fixed seed) copies of real
#    profiles, gzipped and plain: a fresh Go heap profile made here, plus
#    ../shared/testdata/profiles/* when present, through `top` and `fold`;
#  - a gzip bomb and a protobuf bomb under -max_bytes: a message naming the limit,
#    and a maximum RSS within BADINPUT_MAX_RSS_MB;
#  - an endless HTTP body, a 404, an HTML page and a server that never answers, from
#    a python3 server on 127.0.0.1;
#  - empty input, "-" with empty stdin, a directory, a missing file, an HTML file.
#
# Environment (all optional): HW (default build/heapwatch), BADINPUT_FLIPS (flipped
# copies of each form of the fresh profile, default 300), BADINPUT_SHARED_FLIPS (of
# each shared profile, default 16), BADINPUT_JOBS (parallel runs, default nproc),
# BADINPUT_MAX_RSS_MB (default 300; doubled for a sanitizer build). Inputs that
# fail are copied to build/e2e-findings/badinput/.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if [ -f "$ROOT/tests/e2e/lib.sh" ]; then
    # shellcheck source=tests/e2e/lib.sh
    . "$ROOT/tests/e2e/lib.sh"
else
    HW=${HW:-$ROOT/build/heapwatch}
    E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/heapwatch-e2e.XXXXXX") || exit 1
    _e2e_pids=()
    _e2e_passed=0 _e2e_failed=0 _e2e_skipped=0
    # shellcheck disable=SC2317 # called by the EXIT trap
    _badinput_cleanup()
    {
        local pid
        for pid in "${_e2e_pids[@]}"; do
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        done
        rm -rf "$E2E_TMP"
    }
    trap _badinput_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    pass() { _e2e_passed=$((_e2e_passed + 1)); echo "ok   $1"; }
    fail()
    {
        local name=$1 msg=$2
        shift 2
        _e2e_failed=$((_e2e_failed + 1))
        echo "FAIL $name: $msg"
        [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/     | /'
    }
    skip() { _e2e_skipped=$((_e2e_skipped + 1)); echo "skip $1: $2"; }
    finish()
    {
        local s="$_e2e_passed passed, $_e2e_failed failed"
        [ "$_e2e_skipped" -gt 0 ] && s="$s, $_e2e_skipped skipped"
        echo "$s"
        [ "$_e2e_failed" -eq 0 ]
        exit
    }
fi

cd "$ROOT" || exit 1
case $HW in /*) ;; *) HW=$ROOT/$HW ;; esac
T=$E2E_TMP/badinput
FINDINGS=$ROOT/build/e2e-findings/badinput
SHARED=$ROOT/../shared/testdata/profiles
JOBS=${BADINPUT_JOBS:-$(nproc 2>/dev/null || echo 2)}
FLIPS=${BADINPUT_FLIPS:-300}
SHARED_FLIPS=${BADINPUT_SHARED_FLIPS:-16}
MAX_RSS_MB=${BADINPUT_MAX_RSS_MB:-300}
mkdir -p "$T"

if [ ! -x "$HW" ]; then
    fail setup "$HW is missing (run make)"
    finish
fi
# ASan's shadow memory and quarantine add to the RSS of a sanitizer build.
if grep -q AddressSanitizer "$HW" 2>/dev/null; then
    MAX_RSS_MB=$((MAX_RSS_MB * 2))
fi
if ! command -v python3 >/dev/null 2>&1; then
    fail setup "python3 is needed to make the inputs and serve HTTP"
    finish
fi

# check.sh HW CMD FILE: runs `heapwatch CMD FILE` bounded by 20 s and prints one
# line "FAIL<TAB>CMD<TAB>FILE<TAB>why" if it ended badly, nothing otherwise.
cat >"$T/check.sh" <<'EOF'
#!/usr/bin/env bash
hw=$1 cmd=$2 file=$3
err=$(mktemp "${TMPDIR:-/tmp}/hw-badinput.XXXXXX")
timeout -k 5 20 "$hw" "$cmd" "$file" >/dev/null 2>"$err"
rc=$?
why=""
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    why="timed out (status $rc)"
elif [ $rc -ge 128 ]; then
    why="killed by signal $((rc - 128))"
elif [ $rc -gt 1 ]; then
    why="exit status $rc"
elif grep -qE 'runtime error|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer' "$err"; then
    why="sanitizer report"
elif [ $rc -eq 1 ] && [ ! -s "$err" ]; then
    why="exit status 1 without a message"
fi
if [ -n "$why" ]; then
    printf 'FAIL\t%s\t%s\t%s: %s\n' "$cmd" "$file" "$why" \
        "$(grep -m 1 -E 'runtime error|ERROR: |heapwatch:' "$err" | cut -c 1-200)"
fi
rm -f "$err"
EOF
chmod +x "$T/check.sh"

# mutate.py SRC OUTDIR NFLIPS SEED: OUTDIR/trunc-NN (the first k/16 of SRC, k = 1..15)
# and OUTDIR/flip-NNN (SRC with 1 to 4 bits flipped). The generator is seeded, so
# the copies are the same on every run and a failure can be reproduced.
cat >"$T/mutate.py" <<'EOF'
import os, random, sys
src, out, nflips, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = open(src, "rb").read()
os.makedirs(out, exist_ok=True)
for k in range(1, 16):
    open(os.path.join(out, "trunc-%02d" % k), "wb").write(data[: len(data) * k // 16])
rng = random.Random(seed)
for i in range(nflips if data else 0):
    b = bytearray(data)
    for _ in range(1 + i % 4):
        pos = rng.randrange(len(b))
        b[pos] ^= 1 << rng.randrange(8)
    open(os.path.join(out, "flip-%03d" % i), "wb").write(bytes(b))
EOF

# mutations NAME SRC NFLIPS: mutated copies of SRC run through top and fold; one
# result for all of them. A gzip SRC is also mutated after decompression, where the
# flips reach the decoders instead of stopping at gzip's CRC.
mutations()
{
    local name=$1 src=$2 nflips=$3 dir=$T/mut/$1 seed out nruns nbad f
    seed=$(cksum <<<"$name" | cut -d ' ' -f 1)
    mkdir -p "$dir"
    python3 "$T/mutate.py" "$src" "$dir/as-is" "$nflips" "$seed" || {
        fail "mutate $name" "could not make the mutated copies"
        return
    }
    if gzip -t "$src" 2>/dev/null; then
        gzip -dc "$src" >"$dir/plain.bin"
        python3 "$T/mutate.py" "$dir/plain.bin" "$dir/plain" "$nflips" "$((seed + 1))"
    fi
    find "$dir/as-is" "$dir/plain" -type f 2>/dev/null | sort |
        awk -v hw="$HW" '{ print hw; print "top"; print $0; print hw; print "fold"; print $0 }' |
        tr '\n' '\0' | xargs -0 -n 3 -P "$JOBS" "$T/check.sh" >"$dir/results"
    nruns=$(($(find "$dir/as-is" "$dir/plain" -type f 2>/dev/null | wc -l) * 2))
    nbad=$(wc -l <"$dir/results")
    if [ "$nbad" -eq 0 ]; then
        pass "mutate $name: $nruns runs"
        return
    fi
    mkdir -p "$FINDINGS/$name"
    cut -f 3 "$dir/results" | sort -u | while read -r f; do
        cp "$f" "$FINDINGS/$name/$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    fail "mutate $name" "$nbad of $nruns runs ended badly (inputs in $FINDINGS/$name)" \
        "$(sort "$dir/results" | head -n 8 | cut -f 2- | sed "s|$dir/||")"
}

# A fresh heap profile from a tiny Go program; build/examples/healthy -snapshot is the
# fallback when the Go toolchain cannot run here.
fresh_profile()
{
    local d=$T/go
    mkdir -p "$d"
    cat >"$d/main.go" <<'EOF'
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

var keep [][]byte

//go:noinline
func grow(n int) { keep = append(keep, make([]byte, n)) }

//go:noinline
func deep(n int) {
	if n == 0 {
		grow(4096)
		return
	}
	deep(n - 1)
}

func main() {
	runtime.MemProfileRate = 1
	for i := 0; i < 200; i++ {
		grow(64 + i)
		deep(i % 8)
	}
	runtime.GC()
	for _, w := range []struct {
		path  string
		debug int
	}{{os.Args[1] + ".pb.gz", 0}, {os.Args[1] + ".txt", 1}} {
		f, err := os.Create(w.path)
		if err != nil {
			panic(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, w.debug); err != nil {
			panic(err)
		}
		f.Close()
	}
}
EOF
    if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ]; then
        export GOCACHE=$T/gocache
    fi
    if (cd "$d" && GOFLAGS='' GO111MODULE=off timeout -k 5 180 go run main.go "$d/heap") \
        >"$d/go.log" 2>&1 && [ -s "$d/heap.pb.gz" ]; then
        return 0
    fi
    if [ -x "$ROOT/build/examples/healthy" ] &&
        timeout -k 5 60 "$ROOT/build/examples/healthy" -addr=127.0.0.1:0 -duration=1s \
            -snapshot="$d/heap" >>"$d/go.log" 2>&1 </dev/null && [ -s "$d/heap.pb.gz" ]; then
        return 0
    fi
    return 1
}

# expect_fail NAME PATTERN CMD...: CMD (a heapwatch run) must exit 1, without a
# sanitizer report, with a stderr matching the extended regex PATTERN.
expect_fail()
{
    local name=$1 pattern=$2 rc
    shift 2
    timeout -k 5 20 "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    if [ $rc -ne 1 ]; then
        fail "$name" "exit status $rc, want 1" "$(head -n 3 "$T/err")"
    elif grep -qE 'runtime error|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer' "$T/err"; then
        fail "$name" "sanitizer report" "$(grep -m 3 -E 'runtime error|ERROR: ' "$T/err")"
    elif ! grep -qE "$pattern" "$T/err"; then
        fail "$name" "stderr does not match /$pattern/" "$(head -n 3 "$T/err")"
    else
        pass "$name: $(head -n 1 "$T/err" | cut -c 1-160)"
    fi
}

# expect_bounded NAME PATTERN CMD...: like expect_fail, and the run's maximum RSS
# must stay under MAX_RSS_MB.
expect_bounded()
{
    local name=$1 pattern=$2 kb
    shift 2
    if [ ! -x /usr/bin/time ]; then
        expect_fail "$name" "$pattern" "$@"
        return
    fi
    expect_fail "$name" "$pattern" /usr/bin/time -f %M -o "$T/rss" "$@"
    kb=$(tail -n 1 "$T/rss" 2>/dev/null)
    case $kb in
    '' | *[!0-9]*) fail "$name (memory)" "no RSS from /usr/bin/time" ;;
    *) if [ "$kb" -gt $((MAX_RSS_MB * 1024)) ]; then
        fail "$name (memory)" "max RSS $((kb / 1024)) MB, limit $MAX_RSS_MB MB"
    else
        pass "$name (memory): max RSS $((kb / 1024)) MB"
    fi ;;
    esac
}

# --- mutated real profiles ---------------------------------------------------------

if fresh_profile; then
    mutations go-heap.pb.gz "$T/go/heap.pb.gz" "$FLIPS"
    if [ -s "$T/go/heap.txt" ]; then
        mutations go-heap.txt "$T/go/heap.txt" "$((FLIPS / 3))"
    fi
else
    fail "fresh Go profile" "neither go run nor build/examples/healthy worked" \
        "$(tail -n 5 "$T/go/go.log")"
fi
if [ -d "$SHARED" ]; then
    for f in "$SHARED"/*; do
        [ -f "$f" ] || continue
        case $f in *.expected-raw.txt) continue ;; esac
        mutations "shared-$(basename "$f")" "$f" "$SHARED_FLIPS"
    done
else
    skip "shared profiles" "$SHARED is absent"
fi

# --- bombs --------------------------------------------------------------------------

LIMIT=$((64 << 20))
# 1 GiB of zeros is about 1 MB of gzip; inflating stops at the limit.
head -c $((1 << 30)) /dev/zero | gzip -1 >"$T/bomb.gz"
expect_bounded "gzip bomb, top" "$LIMIT|limit|exceeds" "$HW" top -max_bytes=$LIMIT "$T/bomb.gz"
expect_bounded "gzip bomb, fold" "$LIMIT|limit|exceeds" "$HW" fold -max_bytes=$LIMIT "$T/bomb.gz"
# A string table holding only "" (tag 0x32, length 0), then 40 MB of empty Sample
# fields (tag 0x12, length 0): valid for a profile without sample types, and it
# inflates within the limit, but 20 million samples do not fit the arena.
python3 -c '
import gzip, sys
sys.stdout.buffer.write(gzip.compress(b"\x32\x00" + b"\x12\x00" * 20000000, 1))' >"$T/samples.pb.gz"
expect_bounded "protobuf bomb" "$LIMIT|limit|exceeds" "$HW" top -max_bytes=$LIMIT "$T/samples.pb.gz"

# --- HTTP ---------------------------------------------------------------------------

cat >"$T/server.py" <<'EOF'
import http.server, os, sys, threading, time

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            chunk = bytes(range(256)) * 256
            try:
                for _ in range(1 << 16):  # 4 GiB at most
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif self.path == "/html":
            self.reply(200, "text/html", b"<!DOCTYPE html>\n<html><body><h1>Welcome</h1></body></html>\n")
        elif self.path == "/hang":
            time.sleep(30)
        else:
            self.reply(404, "text/plain; charset=utf-8", b"404 page not found\n")

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
t = threading.Timer(300, os._exit, (0,))  # never outlive a test that lost track of us
t.daemon = True
t.start()
print(srv.server_address[1], flush=True)
srv.serve_forever()
EOF
python3 "$T/server.py" >"$T/port" 2>"$T/server.err" &
_e2e_pids+=("$!")
port=""
for _ in $(seq 100); do
    port=$(head -n 1 "$T/port" 2>/dev/null)
    [ -n "$port" ] && break
    sleep 0.1
done
if [ -z "$port" ]; then
    fail "HTTP server" "python3 server did not start" "$(head -n 5 "$T/server.err")"
else
    U=http://127.0.0.1:$port
    expect_bounded "endless HTTP body" "exceeds $((16 << 20))" \
        "$HW" top -max_bytes=$((16 << 20)) "$U/endless"
    expect_fail "HTTP 404" "HTTP 404 Not Found: 404 page not found" "$HW" top "$U/missing"
    expect_fail "HTML over HTTP" "HTML" "$HW" top "$U/html"
    expect_fail "server that never answers" "[Tt]imed? ?out" "$HW" top -timeout=2 "$U/hang"
fi
expect_fail "closed port" "[Cc]onnect" "$HW" top "http://127.0.0.1:1/heap"

# --- unusable sources ---------------------------------------------------------------

: >"$T/empty"
mkdir -p "$T/dir"
printf '<!DOCTYPE html>\n<html><head><title>pprof</title></head><body></body></html>\n' >"$T/page.html"
for cmd in top fold; do
    expect_fail "$cmd: empty file" "empty" "$HW" $cmd "$T/empty"
    expect_fail "$cmd: empty stdin" "empty" "$HW" $cmd - # expect_fail reads /dev/null
    expect_fail "$cmd: directory" "[Ii]s a directory" "$HW" $cmd "$T/dir"
    expect_fail "$cmd: missing file" "No such file" "$HW" $cmd "$T/no-such-file.pb.gz"
    expect_fail "$cmd: HTML file" "HTML" "$HW" $cmd "$T/page.html"
done

finish
