#!/usr/bin/env bash
# run.sh - runs every built libFuzzer target (build/fuzz/fuzz_X) for FUZZ_SECONDS
# seconds each and ends with one "N passed, N failed" line. A target passes when
# libFuzzer exits 0: no crash, sanitizer report, leak, broken invariant, input
# slower than -timeout or run over -rss_limit_mb.
#
# Each target starts from a copy of tests/fuzz/corpus/X in a temp dir, so what
# libFuzzer adds never lands in the repository; ../shared/testdata files are added
# to that copy when present. A failing target's crash input and log are kept in
# build/fuzz/findings/ (reproduce with: build/fuzz/fuzz_X FILE).
#
# Usage: tests/fuzz/run.sh [X ...]     (default: every build/fuzz/fuzz_* binary)
# Environment: FUZZ_SECONDS (default 10), FUZZ_BUILD (default build/fuzz),
#              FUZZ_ARGS (extra libFuzzer flags), FUZZ_MAX_SEED_KB (default 64),
#              KEEP_TMP=1.
set -u
cd "$(dirname "$0")/../.." || exit 1

seconds=${FUZZ_SECONDS:-10}
build=${FUZZ_BUILD:-build/fuzz}
shared=../shared/testdata
findings=$build/findings
tmp=$(mktemp -d "${TMPDIR:-/tmp}/heapwatch-fuzz.XXXXXX") || exit 1
passed=0 failed=0

cleanup()
{
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "fuzz: kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# LeakSanitizer needs ptrace-like access that some containers deny; a leak
# check that cannot run is reported by libFuzzer as its own failure.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# add_seeds DIR FILE...: copy the files that exist into DIR.
add_seeds()
{
    local dir=$1 f
    shift
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$dir/"
    done
    return 0
}

# add_gunzipped DIR FILE...: the decompressed content of the gzip files, for
# the plain-protobuf target.
add_gunzipped()
{
    local dir=$1 f
    shift
    for f in "$@"; do
        [ -f "$f" ] || continue
        gzip -dc "$f" >"$dir/$(basename "$f").raw" 2>/dev/null || rm -f "$dir/$(basename "$f").raw"
    done
    return 0
}

# seed_corpus NAME DIR: fill DIR with the seeds for target NAME.
seed_corpus()
{
    local name=$1 dir=$2
    mkdir -p "$dir"
    if [ -d "tests/fuzz/corpus/$name" ]; then
        cp -R "tests/fuzz/corpus/$name/." "$dir/"
    fi
    case $name in
    pprof)
        add_gunzipped "$dir" "$shared"/profiles/*.pb.gz
        add_seeds "$dir" "$shared"/profiles/*.pprof
        ;;
    gzip_pprof)
        # profile_decode sniffs every format, so every seed is a good start.
        local d
        for d in tests/fuzz/corpus/*/; do
            cp -R "$d." "$dir/"
        done
        add_seeds "$dir" "$shared"/profiles/* "$shared"/folded/*
        ;;
    legacy)
        add_seeds "$dir" "$shared"/profiles/*.txt "$shared"/profiles/*.cpu
        ;;
    folded)
        add_seeds "$dir" "$shared"/folded/*
        ;;
    esac
    # Big seeds cost far more per run than they add in coverage (each mutation of
    # a 600 KB profile decodes all of it), and libFuzzer takes -max_len from the
    # largest seed: keep the small ones. The e2e tests run the big files whole.
    find "$dir" -type f -size "+${FUZZ_MAX_SEED_KB:-64}k" -delete
}

targets=()
if [ $# -gt 0 ]; then
    for n in "$@"; do
        targets+=("$build/fuzz_${n#fuzz_}")
    done
else
    for t in "$build"/fuzz_*; do
        [ -f "$t" ] && [ -x "$t" ] && targets+=("$t")
    done
fi

for bin in "${targets[@]}"; do
    name=$(basename "$bin")
    name=${name#fuzz_}
    if [ ! -x "$bin" ]; then
        echo "FAIL fuzz_$name: $bin is missing (make fuzz builds it)"
        failed=$((failed + 1))
        continue
    fi
    corpus=$tmp/$name/corpus
    artifacts=$tmp/$name/artifacts
    log=$tmp/$name/log
    mkdir -p "$artifacts"
    seed_corpus "$name" "$corpus"
    nseeds=$(find "$corpus" -type f | wc -l)
    # The outer timeout is a backstop for a libFuzzer that does not stop by itself.
    # shellcheck disable=SC2086 # FUZZ_ARGS is a word list
    timeout -k 10 $((seconds + 120)) "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} \
        "$corpus" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   fuzz_$name: ${runs:-?} runs in ${seconds}s from $nseeds seeds"
    else
        failed=$((failed + 1))
        mkdir -p "$findings"
        cp "$log" "$findings/fuzz_$name.log"
        cp "$artifacts"/* "$findings/" 2>/dev/null
        echo "FAIL fuzz_$name: libFuzzer exited $rc; log and inputs in $findings/"
        find "$artifacts" -type f -printf '     | input: %f\n'
        grep -m 1 -E 'ERROR: |runtime error|fuzz invariant broken|deadly signal|out-of-memory|timeout' \
            "$log" | sed 's/^/     | /'
        grep -m 12 -E '^ +#[0-9]+ ' "$log" | sed 's/^/     | /'
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
