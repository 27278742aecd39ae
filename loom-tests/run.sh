#!/usr/bin/env bash
# Runs dualq's loom model checks the way CI does. See README.md.
#
#   loom-tests/run.sh                 # the CI suite (per-test preemption bounds, ~6 min here)
#   loom-tests/run.sh --deep          # one more preemption for every test (much slower)
#   loom-tests/run.sh -- stack        # extra arguments go to the test binaries (a name filter)
#
# LOOM_MAX_PREEMPTIONS, if set, overrides every test's bound (the loom convention).
set -euo pipefail
cd "$(dirname "$0")"

if [[ "${1:-}" == "--deep" ]]; then
    export DUALQ_LOOM_EXTRA_PREEMPTIONS=1
    shift
fi
[[ "${1:-}" == "--" ]] && shift

# All three switches are needed, or loom cannot see crossbeam-epoch's atomics (README.md):
# --cfg loom (dualq's sync.rs), --cfg crossbeam_loom (crossbeam-epoch/utils; also needs their
# `loom` feature, set in Cargo.toml), --cfg crossbeam_sanitize (small garbage bags and full
# collections, so freed nodes really are freed inside the models).
export RUSTFLAGS="${RUSTFLAGS:-} --cfg loom --cfg crossbeam_loom --cfg crossbeam_sanitize"
# Changed RUSTFLAGS rebuild everything: keep these builds apart from the normal ones.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/loom}"

# Exactly one loom in the graph, or dualq, crossbeam-epoch and the tests would each run on a
# different model checker (and crossbeam's half would be invisible again).
looms=$(cargo tree --locked --target all -e normal --prefix none | awk '/^loom v/ { print $2 }' | sort -u)
if [[ $(wc -l <<<"$looms") -ne 1 ]]; then
    echo "expected one loom in the dependency graph, found:" >&2
    echo "$looms" >&2
    exit 1
fi

start=$SECONDS
cargo test --locked --release -- --nocapture "$@"
echo "loom suite: $((SECONDS - start)) s (build included)"
