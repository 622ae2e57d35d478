#!/usr/bin/env bash
# The fuzzing campaign of CI: the wire, scenario and packetdrill fuzzers
# (libFuzzer) each run a fixed number of executions from a seed corpus: for
# the wire, every known-answer frame and text of tests/fuzz/corpus/wire; for
# scenarios, every example (scenarios/), every malformed file
# (tests/scenario/bad/) and every hostile file (tests/scenario/hostile/);
# for packetdrill, every script of tests/drill. Deterministic (-seed=1).
# Any crash, sanitizer report, leak or timeout fails the campaign; the
# input that caused it is kept in FUZZ_ARTIFACTS (default ./fuzz-artifacts).
#
# usage: tests/fuzz/run.sh BUILD_DIR
#   BUILD_DIR: a clang build with the fuzzers, e.g.
#     CC=clang meson setup build-fuzz -Db_sanitize=address,undefined \
#       -Db_lundef=false -Dwerror=false -Dc_args=-fsanitize=fuzzer-no-link
#     ninja -C build-fuzz tests/wire/fuzz-wire tests/scenario/fuzz-scenario \
#       tests/drill/fuzz-drill
# FUZZ_WIRE_RUNS, FUZZ_SCENARIO_RUNS and FUZZ_DRILL_RUNS change the number
# of executions.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR}
# The wire fuzzer found the 4-byte "GET " over-read within 60,000
# executions on every seed tried; five times that.
wire_runs=${FUZZ_WIRE_RUNS:-300000}
# A scenario execution runs a whole simulation (up to 200,000 events):
# about 11 per second on a 2-core machine, so 3,000 keep CI's fuzzing stage
# near five minutes.
scenario_runs=${FUZZ_SCENARIO_RUNS:-3000}
# A packetdrill execution parses a script and plays it (milliseconds):
# 20,000 took 33 s with ASan+UBSan on the 2-core machine, with no finding.
drill_runs=${FUZZ_DRILL_RUNS:-20000}
artifacts=${FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/wire" "$work/scenario" "$work/scenario-seeds" "$work/drill" "$work/drill-seeds"
for f in $(find "$src/tests/drill" -name '*.pkt'); do
    cp "$f" "$work/drill-seeds/$(basename "$(dirname "$f")")-$(basename "$f")"
done
for f in "$src"/scenarios/*.scn "$src"/tests/scenario/bad/*.scn "$src"/tests/scenario/hostile/*.scn; do
    d=$(basename "$(dirname "$f")")
    cp "$f" "$work/scenario-seeds/$d-$(basename "$f")"
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
run() {
    local name=$1
    shift
    echo "== $name: $*"
    if ! "$@" >"$work/$name.log" 2>&1; then
        status=1
        echo "FAIL $name"
        grep -E 'ERROR|SUMMARY|panic|Test unit written|runtime error|check failed' "$work/$name.log" | head -20
        tail -40 "$work/$name.log" >"$artifacts/$name.log-tail"
    else
        grep -E '^Done|stat::number_of_executed_units' "$work/$name.log" | tail -1
    fi
}
run wire "$build/tests/wire/fuzz-wire" -runs="$wire_runs" -seed=1 -max_len=4096 -timeout=30 \
    -rss_limit_mb=2048 -artifact_prefix="$artifacts/wire-" "$work/wire" "$src/tests/fuzz/corpus/wire"
run scenario "$build/tests/scenario/fuzz-scenario" -runs="$scenario_runs" -seed=1 -max_len=65536 \
    -timeout=120 -rss_limit_mb=4096 -dict="$src/tests/fuzz/scenario.dict" \
    -artifact_prefix="$artifacts/scenario-" "$work/scenario" "$work/scenario-seeds"
run drill "$build/tests/drill/fuzz-drill" -runs="$drill_runs" -seed=1 -max_len=16384 \
    -timeout=60 -rss_limit_mb=2048 -artifact_prefix="$artifacts/drill-" "$work/drill" \
    "$work/drill-seeds"
if [ $status -eq 0 ]; then
    echo "fuzzing: no finding"
    rmdir "$artifacts" 2>/dev/null || true
fi
exit $status
