# shellcheck shell=bash
# lib.sh - helpers for the end-to-end tests; source it from tests/e2e/test_*.sh.
#
# It starts example programs from build/examples on free ports, keeps their
# pids so an EXIT/INT/TERM trap stops every one of them however the test ends,
# counts results, and compares heapwatch with `go tool pprof`. Every wait is
# bounded: programs get E2E_START_TIMEOUT seconds to print their "listening on"
# line, and every heapwatch/pprof/curl run goes through `bounded` (timeout(1)).
#
# Environment (all optional):
#   HW                 heapwatch binary        (default: build/heapwatch)
#   EXAMPLES           example binaries dir    (default: build/examples)
#   PPROF              reference command       (default: go tool pprof)
#   PPROF_FLAGS        extra flags for every reference run, e.g. -symbolize=none
#   E2E_TIMEOUT        seconds per command     (default: 120)
#   E2E_START_TIMEOUT  seconds for a program to start listening (default: 20)
#   E2E_MAX_LIFE       -duration given to every example, so none outlives a
#                      test killed with SIGKILL (default: 600s; flags override)
#   KEEP_TMP=1         keep the temp dir and print where it is
#
# start_example must be called directly, not in $(...): a subshell would keep
# the pid and URL to itself.

set -u

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HW=${HW:-$E2E_ROOT/build/heapwatch}
case $HW in */* | .*) HW=$(cd "$(dirname "$HW")" 2>/dev/null && pwd)/$(basename "$HW") ;; esac
EXAMPLES=${EXAMPLES:-$E2E_ROOT/build/examples}
PPROF=${PPROF:-go tool pprof}
PPROF_FLAGS=${PPROF_FLAGS:-}
E2E_TIMEOUT=${E2E_TIMEOUT:-120}
E2E_START_TIMEOUT=${E2E_START_TIMEOUT:-20}
E2E_MAX_LIFE=${E2E_MAX_LIFE:-600s}
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/heapwatch-e2e.XXXXXX") || exit 1

_e2e_pids=()
_e2e_started=0
_e2e_passed=0
_e2e_failed=0
_e2e_skipped=0

# Stop every program start_example started: SIGTERM, up to 5 s to go, then
# SIGKILL. Prints nothing on stdout, so finish's summary stays the last line.
stop_all()
{
    local pid
    for pid in "${_e2e_pids[@]}"; do
        stop_pid "$pid"
    done
    _e2e_pids=()
}

# stop_pid PID: stop one program (started by start_example) and reap it.
stop_pid()
{
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

_e2e_on_exit()
{
    stop_all
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "e2e: kept $E2E_TMP" >&2
    else
        rm -rf "$E2E_TMP"
    fi
}

trap _e2e_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# start_example NAME [flags...]: start build/examples/NAME on 127.0.0.1:0
# (and -duration=$E2E_MAX_LIFE; later flags win) and wait for its
# "listening on HOST:PORT" line. Sets and exports URL
# (http://HOST:PORT) and EXAMPLE_PID. Returns 1 (after saying why on stderr)
# if the program is missing, exits early or does not listen in time.
start_example()
{
    local name=$1 bin out err pid line="" i
    shift
    bin=$EXAMPLES/$name
    if [ ! -x "$bin" ]; then
        echo "start_example: $bin is missing (run make)" >&2
        return 1
    fi
    _e2e_started=$((_e2e_started + 1))
    out=$E2E_TMP/$name.$_e2e_started.stdout
    err=$E2E_TMP/$name.$_e2e_started.stderr
    : >"$out" # exists before the child's own redirection creates it
    "$bin" -addr=127.0.0.1:0 -duration="$E2E_MAX_LIFE" "$@" >"$out" 2>"$err" </dev/null &
    pid=$!
    _e2e_pids+=("$pid")
    for ((i = 0; i < E2E_START_TIMEOUT * 10; i++)); do
        IFS= read -r line <"$out" || true
        case $line in "listening on "*) break ;; esac
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "start_example: $name exited before listening: $(head -c 500 "$err")" >&2
            return 1
        fi
        sleep 0.1
    done
    case $line in
    "listening on "*) ;;
    *)
        echo "start_example: $name did not listen within ${E2E_START_TIMEOUT}s" >&2
        stop_pid "$pid"
        return 1
        ;;
    esac
    URL=http://${line#listening on }
    EXAMPLE_PID=$pid
    export URL EXAMPLE_PID
}

# node_json FILE EXPR: prints the JavaScript EXPR evaluated with d = FILE's JSON.
node_json()
{
    node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
             const r=eval(process.argv[2]); console.log(typeof r==="string"?r:JSON.stringify(r));' "$1" "$2"
}

# wait_for SECONDS CMD...: retries CMD every 0.5 s until it succeeds or time is up.
wait_for()
{
    local t=$1 i
    shift
    for ((i = 0; i < t * 2; i++)); do
        "$@" && return 0
        sleep 0.5
    done
    return 1
}

SERVE_PID="" SERVE_URL="" SERVE_LOG=""
# start_serve LOG ARGS...: starts `heapwatch serve -listen=127.0.0.1:0 ARGS` with
# stderr to LOG, waits for its "listening on" line and sets SERVE_PID and SERVE_URL
# (http://127.0.0.1:PORT). The EXIT trap stops it like the examples.
start_serve()
{
    local log=$1 i line=""
    shift
    SERVE_LOG=$log
    : >"$log"
    "$HW" serve -listen=127.0.0.1:0 "$@" 2>"$log" </dev/null &
    SERVE_PID=$!
    _e2e_pids+=("$SERVE_PID")
    for ((i = 0; i < 100; i++)); do
        line=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -n 1)
        [ -n "$line" ] && break
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$line" ]; then
        echo "start_serve: no listening line: $(head -c 800 "$log")" >&2
        return 1
    fi
    SERVE_URL=${line#listening on }
}

# bounded CMD...: run CMD with the per-command time limit; 124 on timeout.
bounded()
{
    timeout -k 5 "$E2E_TIMEOUT" "$@"
}

# fetch URL FILE: download with curl, bounded; fails on HTTP errors.
fetch()
{
    bounded curl -sS --fail --max-time "$E2E_TIMEOUT" -o "$2" "$1"
}

pass()
{
    _e2e_passed=$((_e2e_passed + 1))
    echo "ok   $1"
}

# fail NAME MSG [DETAIL...]: DETAIL lines are indented under the message.
fail()
{
    local name=$1 msg=$2
    shift 2
    _e2e_failed=$((_e2e_failed + 1))
    echo "FAIL $name: $msg"
    if [ $# -gt 0 ]; then
        printf '%s\n' "$@" | sed 's/^/     | /'
    fi
}

skip()
{
    _e2e_skipped=$((_e2e_skipped + 1))
    echo "skip $1: $2"
}

# finish: print "N passed, N failed[, N skipped]" as the last line and exit
# non-zero if anything failed.
finish()
{
    local s="$_e2e_passed passed, $_e2e_failed failed"
    [ "$_e2e_skipped" -gt 0 ] && s="$s, $_e2e_skipped skipped"
    echo "$s"
    [ "$_e2e_failed" -eq 0 ] && exit 0
    exit 1
}

# describe_status RC: empty for 0, else why a command ended that way.
describe_status()
{
    case $1 in
    0) ;;
    124 | 137) echo "timed out after ${E2E_TIMEOUT}s (status $1)" ;;
    *) if [ "$1" -ge 128 ]; then echo "crashed (status $1, signal $(($1 - 128)))"; else echo "exit status $1"; fi ;;
    esac
}

# run_browser NAME SCRIPT ARGS...: runs a tests/e2e/*.js browser script (cdp.js) with
# node; each of its "ok   X" / "FAIL X: why" lines counts here as a check "NAME: X"
# (its summary line does not). An exit with no FAIL line of its own fails NAME.
run_browser()
{
    local name=$1 script=$2 out line rc
    shift 2
    out=$(mktemp "$E2E_TMP/browser.XXXXXX")
    bounded node "$E2E_ROOT/tests/e2e/$script" "$@" >"$out" 2>&1
    rc=$?
    while IFS= read -r line; do
        case $line in
        "ok   "*) pass "$name: ${line#ok   }" ;;
        "FAIL "*) line=${line#FAIL }; fail "$name: ${line%%: *}" "${line#*: }" ;;
        esac
    done <"$out"
    if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
        fail "$name" "$(describe_status $rc)" "$(tail -n 5 "$out")"
    fi
}

# sanitizer_report FILE: succeed (and print the first line) if FILE, a
# captured stderr, holds an ASan/LSan/UBSan report. Sanitizers exit 1 by
# default, which would pass for a clean rejection otherwise.
sanitizer_report()
{
    grep -m 1 -E 'ERROR: (Address|Leak)Sanitizer|UndefinedBehaviorSanitizer|runtime error:' "$1"
}

# report_section: keep pprof's report from "Showing nodes accounting for" on;
# what comes before (File, Type, Time, Build ID) is not compared.
report_section()
{
    sed -n '/^Showing nodes accounting for/,$p'
}

# check_top NAME CMD SOURCE [flags...]: run `heapwatch CMD [flags] SOURCE`
# and `pprof -CMD [flags] SOURCE`, and pass if both succeed and their reports
# are byte-identical from "Showing nodes accounting for" to the end. The flags
# are pprof-style and go to both. SOURCE for heapwatch may differ from
# pprof's: use check_top_src for that.
check_top()
{
    local name=$1 src=$2
    shift 2
    check_top_src "$name" "$src" "$src" "$@"
}

# check_top_src NAME HW_SOURCE PPROF_SOURCE [flags...]
check_top_src()
{
    local name=$1 hsrc=$2 psrc=$3 d rc
    shift 3
    d=$(mktemp -d "$E2E_TMP/top.XXXXXX") || {
        fail "$name" "cannot make a temp dir in $E2E_TMP"
        return 1
    }
    # shellcheck disable=SC2086 # PPROF and PPROF_FLAGS are word lists
    bounded $PPROF $PPROF_FLAGS -top "$@" "$psrc" >"$d/pprof.out" 2>"$d/pprof.err"
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "$name" "pprof: $(describe_status $rc)" "$(head -n 5 "$d/pprof.err")"
        return 1
    fi
    bounded "$HW" top "$@" "$hsrc" >"$d/hw.out" 2>"$d/hw.err"
    rc=$?
    if sanitizer_report "$d/hw.err" >"$d/san"; then
        fail "$name" "heapwatch top: sanitizer report" "$(cat "$d/san")"
        return 1
    fi
    if [ $rc -ne 0 ]; then
        fail "$name" "heapwatch top: $(describe_status $rc)" "$(head -n 5 "$d/hw.err")"
        return 1
    fi
    report_section <"$d/pprof.out" >"$d/pprof.rep"
    report_section <"$d/hw.out" >"$d/hw.rep"
    if [ ! -s "$d/pprof.rep" ]; then
        fail "$name" "pprof printed no 'Showing nodes accounting for' line" "$(head -n 5 "$d/pprof.out")"
        return 1
    fi
    if ! cmp -s "$d/pprof.rep" "$d/hw.rep"; then
        fail "$name" "heapwatch top differs from pprof -top (- pprof, + heapwatch)" \
            "$(diff -u "$d/pprof.rep" "$d/hw.rep" | tail -n +3 | grep -m 12 '^[-+]')"
        return 1
    fi
    pass "$name"
}

# sample_types FILE: print pprof's sample types of FILE, one per line
# ("alloc_space/bytes"), from the header of `pprof -raw`. Fails if pprof
# cannot read FILE.
sample_types()
{
    local out
    # shellcheck disable=SC2086
    out=$(bounded $PPROF $PPROF_FLAGS -raw "$1" 2>/dev/null) || return 1
    printf '%s\n' "$out" | sed -n '/^Samples:/{n;p;q}' | tr -s ' ' '\n' | sed '/^$/d; s/\[dflt\]$//'
}

# raw_totals FILE: print each sample type's exact total, one "type total" per
# line, summing the sample lines of `pprof -raw` ("v1 v2 ...: loc ids").
# Values are integers; awk's doubles are exact up to 2^53.
raw_totals()
{
    # shellcheck disable=SC2086
    bounded $PPROF $PPROF_FLAGS -raw "$1" 2>/dev/null | awk '
        /^Samples:/ { getline; n = NF; for (i = 1; i <= n; i++) { t[i] = $i; sub(/\/.*/, "", t[i]) }; s = 1; next }
        /^[A-Z][a-z]+$/ { s = 0 }
        s && /^ *-?[0-9]+( +-?[0-9]+)*:/ { sub(/:.*/, ""); for (i = 1; i <= n; i++) sum[i] += $i }
        END { for (i = 1; i <= n; i++) printf "%s %.0f\n", t[i], sum[i] }'
}
