#!/usr/bin/env bash
# Runs every suite that `make test` promises: the cmocka unit tests built plain and
# with ASan+UBSan, the end-to-end scripts (real Go programs, real HTTP) against both
# binaries, and a short libFuzzer run. Each suite reports its own counts; this adds
# them up and ends with one "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0
failures=()
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=86}

# Adds the counts from a suite's output: cmocka's summary lines, or a plain
# "N passed, N failed[, N skipped]" line. A suite that crashed or printed no count
# but exited non-zero counts as one failure.
tally() {
    local name=$1 rc=$2 out=$3 p f s
    p=$(grep -oE '^\[  PASSED  \] [0-9]+' <<<"$out" | awk '{s+=$NF} END {print s+0}')
    f=$(grep -oE '^\[  FAILED  \] [0-9]+' <<<"$out" | awk '{s+=$NF} END {print s+0}')
    s=0
    if [ "$p" = 0 ] && [ "$f" = 0 ]; then
        local line
        line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
        if [ -n "$line" ]; then
            p=$(sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/' <<<"$line")
            f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
            s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
        fi
    fi
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        f=1
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    if [ "$f" != 0 ]; then
        failures+=("$name")
        # The lines that say what went wrong, not the passing checks before them.
        printf '%s\n' "$out" | grep -v '^ok ' | tail -n 60
    fi
    printf '%-48s %4d passed %4d failed %4d skipped\n' "$name" "$p" "$f" "$s"
}

run_suite() {
    local name=$1 out rc
    shift
    out=$(timeout "${SUITE_TIMEOUT:-600}" "$@" 2>&1)
    rc=$?
    tally "$name" "$rc" "$out"
}

for t in build/tests/*/test_* build/san/tests/*/test_*; do
    [ -x "$t" ] || continue
    run_suite "${t#build/}" "$t"
done

# The sanitized binary runs every e2e suite but the filter matrix (over a thousand
# pprof comparisons): filters run under the sanitizers in test_filter and in the
# other suites, and the matrix would take most of CI's budget a second time.
for flavour in build/heapwatch build/san/heapwatch; do
    for t in tests/e2e/test_*.sh; do
        [ -f "$t" ] || continue
        if [ "$flavour" = build/san/heapwatch ] && [ "$(basename "$t")" = test_filters.sh ]; then
            continue
        fi
        run_suite "$(basename "$t") [${flavour#build/}]" env HW="$flavour" bash "$t"
    done
done

if [ -x tests/fuzz/run.sh ] && ls build/fuzz/fuzz_* >/dev/null 2>&1; then
    run_suite "fuzz (${FUZZ_SECONDS:-5}s each)" env FUZZ_SECONDS="${FUZZ_SECONDS:-5}" tests/fuzz/run.sh
fi

if [ "${#failures[@]}" -gt 0 ]; then
    echo "failed suites: ${failures[*]}"
fi
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
