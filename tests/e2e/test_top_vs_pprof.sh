#!/usr/bin/env bash
# test_top_vs_pprof.sh - heapwatch top/fold against `go tool pprof` on live Go heaps.
#
#  1. Runs every leaky example and `healthy` at -memprofilerate=4096 for a few
#     seconds, checks pprof sees each one's known allocation site, and saves
#     /debug/pprof/heap and /debug/pprof/allocs.
#  2. On each saved file, `heapwatch top` must print what `pprof -top` prints,
#     byte for byte from "Showing nodes accounting for" on: with the default
#     sample type and each of the four, plus -nodecount=10, -cum and the
#     two-dash flag form once, once read from standard input ("-") and once
#     with the URL given to heapwatch.
#  3. `heapwatch fold -sample_index=X` must add up to the exact total, which is
#     the sum of column X over the sample lines of `pprof -raw` (the total in
#     `-top`'s header is rounded, the -raw values are the profile's integers).
#  4. One -snapshot pair of unboundedmap (PREFIX.pb.gz and PREFIX.txt, written
#     with no GC in between): heapwatch must report the same functions from
#     both, each flat/cum within 1% or one unit of the printed precision.
#  5. Every profile in ../shared/testdata/profiles: where pprof reads it,
#     top must match for every sample index; where pprof rejects it,
#     heapwatch must exit 1 with a message, not crash.
#
# Run from anywhere after `make`: bash tests/e2e/test_top_vs_pprof.sh
# Takes about a minute. See lib.sh for the environment it reads.

# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

TYPES="inuse_space inuse_objects alloc_space alloc_objects"
RUN_SECONDS=${RUN_SECONDS:-4}

# Programs and the site a heap profile of each must show: NAME TYPE SITE.
# tickerleak's flat site is time.NewTicker; main.startPoller is its caller.
SITES="unboundedmap inuse_space main.recordRequest
nocache inuse_space main.(*Cache).Put
goroutineleak inuse_space main.leakyWorker
subslice inuse_space main.keepHeader
tickerleak inuse_space main.startPoller
healthy alloc_space main.handleRequest"

if [ ! -x "$HW" ]; then
    fail setup "$HW is missing (run make)"
    finish
fi

# --- 1. run the examples and save their profiles ---------------------------

declare -A url
names=$(printf '%s\n' "$SITES" | awk '{print $1}')
for n in $names; do
    if start_example "$n" -memprofilerate=4096; then
        url[$n]=$URL
    else
        fail "start:$n" "could not start $n"
    fi
done
sleep "$RUN_SECONDS"

saved=""
for n in $names; do
    [ -n "${url[$n]:-}" ] || continue
    if fetch "${url[$n]}/debug/pprof/heap" "$E2E_TMP/$n.heap.pb.gz" &&
        fetch "${url[$n]}/debug/pprof/allocs" "$E2E_TMP/$n.allocs.pb.gz"; then
        saved="$saved $n"
    else
        fail "fetch:$n" "could not fetch profiles from ${url[$n]}"
    fi
done

# The examples themselves: pprof must see each one's known site.
while read -r n type site; do
    f=$E2E_TMP/$n.heap.pb.gz
    [ -s "$f" ] || continue
    # shellcheck disable=SC2086
    if bounded $PPROF $PPROF_FLAGS -top -cum -nodecount=200 -sample_index="$type" "$f" 2>/dev/null |
        awk -v s="$site" '$6 == s { found = 1 } END { exit !found }'; then
        pass "site:$n:$site"
    else
        fail "site:$n" "pprof -top -sample_index=$type shows no $site"
    fi
done <<<"$SITES"

# --- 2. top, byte for byte ------------------------------------------------

for n in $saved; do
    for kind in heap allocs; do
        f=$E2E_TMP/$n.$kind.pb.gz
        check_top "top:$n/$kind:default" "$f"
        for t in $TYPES; do
            check_top "top:$n/$kind:$t" "$f" -sample_index="$t"
        done
    done
done

f=$E2E_TMP/unboundedmap.heap.pb.gz
if [ -s "$f" ]; then
    check_top "top:unboundedmap/heap:nodecount=10" "$f" -nodecount=10
    check_top "top:unboundedmap/heap:cum" "$f" -cum -sample_index=inuse_objects
    check_top "top:unboundedmap/heap:two-dash" "$f" --sample_index=alloc_space --nodecount=5
fi

# The profile on standard input, as SOURCE "-".
if [ -s "$f" ]; then
    bounded "$HW" top -sample_index=alloc_space - <"$f" >"$E2E_TMP/stdin.out" 2>"$E2E_TMP/stdin.err"
    rc=$?
    # shellcheck disable=SC2086
    want=$(bounded $PPROF $PPROF_FLAGS -top -sample_index=alloc_space "$f" 2>/dev/null | report_section)
    got=$(report_section <"$E2E_TMP/stdin.out")
    if san=$(sanitizer_report "$E2E_TMP/stdin.err"); then
        fail "top:stdin" "heapwatch top -: sanitizer report" "$san"
    elif [ $rc -ne 0 ]; then
        fail "top:stdin" "heapwatch top -: $(describe_status $rc)" "$(head -n 5 "$E2E_TMP/stdin.err")"
    elif [ -n "$want" ] && [ "$got" = "$want" ]; then
        pass "top:stdin"
    else
        fail "top:stdin" "heapwatch top - differs from pprof -top on the same file (- pprof, + heapwatch)" \
            "$(diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$got") | tail -n +3 | grep -m 12 '^[-+]')"
    fi
fi

# A URL given straight to heapwatch. The heap can change between two fetches
# (at any GC), so fetch before and after heapwatch and compare only when the
# two fetches read the same; retry a few times otherwise.
if [ -n "${url[unboundedmap]:-}" ]; then
    u=${url[unboundedmap]}/debug/pprof/heap
    ok=0
    for _ in 1 2 3 4 5; do
        if ! fetch "$u" "$E2E_TMP/url.before.pb.gz"; then
            fail "top:url" "cannot fetch $u"
            ok=2
            break
        fi
        bounded "$HW" top -sample_index=inuse_space "$u" >"$E2E_TMP/url.hw.out" 2>"$E2E_TMP/url.hw.err"
        rc=$?
        if ! fetch "$u" "$E2E_TMP/url.after.pb.gz"; then
            fail "top:url" "cannot fetch $u"
            ok=2
            break
        fi
        if san=$(sanitizer_report "$E2E_TMP/url.hw.err") || [ $rc -ne 0 ]; then
            fail "top:url" "heapwatch top URL: $(describe_status $rc)" "${san:-$(head -n 5 "$E2E_TMP/url.hw.err")}"
            ok=2
            break
        fi
        # shellcheck disable=SC2086
        before=$(bounded $PPROF $PPROF_FLAGS -top -sample_index=inuse_space "$E2E_TMP/url.before.pb.gz" 2>/dev/null | report_section)
        # shellcheck disable=SC2086
        after=$(bounded $PPROF $PPROF_FLAGS -top -sample_index=inuse_space "$E2E_TMP/url.after.pb.gz" 2>/dev/null | report_section)
        if [ -z "$before" ] || [ "$before" != "$after" ]; then
            continue
        fi
        got=$(report_section <"$E2E_TMP/url.hw.out")
        if [ "$got" = "$before" ]; then
            pass "top:url"
        else
            fail "top:url" "heapwatch top URL differs from pprof -top on the same heap (- pprof, + heapwatch)" \
                "$(diff -u <(printf '%s\n' "$before") <(printf '%s\n' "$got") | tail -n +3 | grep -m 12 '^[-+]')"
        fi
        ok=1
        break
    done
    [ $ok = 0 ] && fail "top:url" "the heap changed between every pair of fetches (5 tries)"
fi

# The examples are not needed any more.
stop_all

# --- 3. fold totals -------------------------------------------------------

for n in $saved; do
    f=$E2E_TMP/$n.heap.pb.gz
    totals=$(raw_totals "$f")
    if [ -z "$totals" ]; then
        fail "fold:$n" "pprof -raw gave no totals"
        continue
    fi
    for t in $TYPES; do
        want=$(printf '%s\n' "$totals" | awk -v t="$t" '$1 == t { print $2 }')
        bounded "$HW" fold -sample_index="$t" "$f" >"$E2E_TMP/fold.out" 2>"$E2E_TMP/fold.err"
        rc=$?
        if san=$(sanitizer_report "$E2E_TMP/fold.err"); then
            fail "fold:$n:$t" "heapwatch fold: sanitizer report" "$san"
            continue
        fi
        if [ $rc -ne 0 ]; then
            fail "fold:$n:$t" "heapwatch fold: $(describe_status $rc)" "$(head -n 5 "$E2E_TMP/fold.err")"
            continue
        fi
        bad=$(awk 'NF < 2 || $NF !~ /^-?[0-9]+$/ { print NR ": " $0; exit }' "$E2E_TMP/fold.out")
        if [ -n "$bad" ]; then
            fail "fold:$n:$t" "line is not 'frame;...;leaf VALUE'" "$bad"
            continue
        fi
        got=$(awk '{ s += $NF } END { printf "%.0f", s }' "$E2E_TMP/fold.out")
        if [ "$got" = "$want" ]; then
            pass "fold:$n:$t"
        else
            fail "fold:$n:$t" "folded values add up to $got, pprof -raw total is $want"
        fi
    done
done

# --- 4. snapshot pair: legacy text vs proto of one heap state -------------

# top_rows FILE: "name<TAB>flat<TAB>cum<TAB>flat_step<TAB>cum_step" per row of
# a -top report, plus "#total<TAB>total<TAB>total<TAB>step<TAB>step", values
# in base units (bytes, objects), steps the precision they were printed with.
# " (inline)" is dropped from names: the legacy text carries no inlining marks.
top_rows()
{
    awk '
    function val(s,    m, n, u, i) {
        m = 1; u = s; sub(/^-?[0-9.]+/, "", u); n = substr(s, 1, length(s) - length(u))
        if (u == "B" || u == "") m = 1
        else if (u == "kB") m = 1024
        else if (u == "MB") m = 1024 ^ 2
        else if (u == "GB") m = 1024 ^ 3
        else if (u == "TB") m = 1024 ^ 4
        else if (u == "PB") m = 1024 ^ 5
        else { bad = bad " " s; m = 1 }
        i = index(n, ".")
        step = (i ? 10 ^ -(length(n) - i) : 1) * m
        return n * m
    }
    /^Showing nodes accounting for/ {
        t = $0; sub(/ total$/, "", t); sub(/.* of /, "", t)
        v = val(t); printf "#total\t%.6g\t%.6g\t%.6g\t%.6g\n", v, v, step, step
    }
    hdr && NF >= 6 {
        f = val($1); fs = step; c = val($4); cs = step
        name = $6; for (i = 7; i <= NF; i++) name = name " " $i
        sub(/ \(inline\)$/, "", name)
        printf "%s\t%.6g\t%.6g\t%.6g\t%.6g\n", name, f, c, fs, cs
    }
    $1 == "flat" && $2 == "flat%" { hdr = 1 }
    END { if (bad != "") { print "unparsed values:" bad > "/dev/stderr"; exit 1 } }
    ' "$1"
}

# close_rows TEXT PROTO: compare two top_rows outputs; print the differences.
# A runtime.goexit row with no flat value is allowed in the text alone: the
# legacy format's "@" stacks end in the goroutine's root frame, which the
# proto writer leaves out (pprof itself shows it for the text, not the proto).
close_rows()
{
    awk -F'\t' '
    function near(a, b, s1, s2,   d, m, tol) {
        d = a - b; if (d < 0) d = -d
        m = (a > b ? a : b); if (m < 0) m = -m
        tol = m / 100; if (s1 > tol) tol = s1; if (s2 > tol) tol = s2; if (tol < 1) tol = 1
        return d <= tol
    }
    NR == FNR { f[$1] = $2; c[$1] = $3; fs[$1] = $4; cs[$1] = $5; next }
    {
        seen[$1] = 1
        if (!($1 in f)) { print "only from the proto: " $1; next }
        if (!near(f[$1], $2, fs[$1], $4) || !near(c[$1], $3, cs[$1], $5))
            printf "%s: flat %s vs %s, cum %s vs %s\n", $1, f[$1], $2, c[$1], $3
    }
    END { for (k in f) if (!(k in seen) && !(k == "runtime.goexit" && f[k] == 0)) print "only from the text: " k }
    ' "$1" "$2"
}

# A legacy heap header whose in-use and alloc totals are equal ("N: M [N: M]")
# gives pprof only the types objects and space, no inuse_*/alloc_*. That
# happens when no sampled object was freed, so take another snapshot then.
snap=$E2E_TMP/snap
for _ in 1 2 3; do
    rm -f "$snap.pb.gz" "$snap.txt"
    bounded "$EXAMPLES/unboundedmap" -addr=127.0.0.1:0 -memprofilerate=4096 -duration=3s \
        -snapshot="$snap" >"$E2E_TMP/snap.stdout" 2>"$E2E_TMP/snap.stderr" </dev/null
    snaprc=$?
    [ $snaprc -eq 0 ] || break
    head -n 1 "$snap.txt" | awk '{ gsub(/[:\[\]]/, " ") } $3 != $5 || $4 != $6 { exit 1 }' || break
done
if [ "$snaprc" -ne 0 ]; then
    fail "snapshot" "unboundedmap -snapshot: $(describe_status "$snaprc")" "$(head -n 5 "$E2E_TMP/snap.stderr")"
elif [ ! -s "$snap.pb.gz" ] || [ ! -s "$snap.txt" ]; then
    fail "snapshot" "unboundedmap -snapshot did not write $snap.pb.gz and $snap.txt"
else
    for t in $TYPES; do
        ok=1
        for src in txt pb.gz; do
            bounded "$HW" top -sample_index="$t" "$snap.$src" >"$E2E_TMP/snap.$src.top" 2>"$E2E_TMP/snap.$src.err"
            rc=$?
            if san=$(sanitizer_report "$E2E_TMP/snap.$src.err"); then
                fail "snapshot:$t" "heapwatch top snap.$src: sanitizer report" "$san"
                ok=0
                break
            fi
            if [ $rc -ne 0 ]; then
                fail "snapshot:$t" "heapwatch top snap.$src: $(describe_status $rc)" "$(head -n 5 "$E2E_TMP/snap.$src.err")"
                ok=0
                break
            fi
            if ! top_rows "$E2E_TMP/snap.$src.top" >"$E2E_TMP/snap.$src.rows" 2>"$E2E_TMP/snap.$src.rowerr" ||
                ! grep -q '^#total' "$E2E_TMP/snap.$src.rows"; then
                fail "snapshot:$t" "cannot read heapwatch's report of snap.$src" \
                    "$(head -n 3 "$E2E_TMP/snap.$src.rowerr")" "$(head -n 5 "$E2E_TMP/snap.$src.top")"
                ok=0
                break
            fi
        done
        [ $ok = 1 ] || continue
        diffs=$(close_rows "$E2E_TMP/snap.txt.rows" "$E2E_TMP/snap.pb.gz.rows" | sort)
        if [ -z "$diffs" ]; then
            pass "snapshot:$t"
        else
            fail "snapshot:$t" "the text and proto snapshots disagree" "$(printf '%s\n' "$diffs" | head -n 12)"
        fi
    done
fi

# --- 5. public profiles ---------------------------------------------------

TESTDATA=$E2E_ROOT/../shared/testdata/profiles
if [ ! -d "$TESTDATA" ]; then
    skip "testdata" "$TESTDATA is absent"
else
    for f in "$TESTDATA"/*; do
        [ -f "$f" ] || continue
        b=$(basename "$f")
        # shellcheck disable=SC2086
        bounded $PPROF $PPROF_FLAGS -top "$f" >/dev/null 2>&1
        prc=$?
        if [ $prc -eq 124 ] || [ $prc -eq 137 ]; then
            fail "data:$b" "pprof $(describe_status $prc)"
            continue
        fi
        if [ $prc -ne 0 ]; then
            bounded "$HW" top "$f" >"$E2E_TMP/rej.out" 2>"$E2E_TMP/rej.err"
            rc=$?
            if san=$(sanitizer_report "$E2E_TMP/rej.err"); then
                fail "data:$b" "heapwatch top: sanitizer report" "$san"
            elif [ $rc -eq 1 ] && [ -s "$E2E_TMP/rej.err" ]; then
                pass "data:$b:rejected"
            elif [ $rc -eq 1 ]; then
                fail "data:$b" "rejected (exit 1) but printed nothing on stderr"
            else
                fail "data:$b" "pprof rejects it, heapwatch top: $(describe_status $rc) (want exit 1)" \
                    "$(head -n 3 "$E2E_TMP/rej.err")"
            fi
            continue
        fi
        ntypes=$(sample_types "$f" | wc -l)
        if [ "$ntypes" -lt 1 ]; then
            fail "data:$b" "pprof -raw lists no sample types"
            continue
        fi
        check_top "data:$b:default" "$f"
        for ((i = 0; i < ntypes; i++)); do
            check_top "data:$b:$i" "$f" -sample_index="$i"
        done
    done
fi

finish
