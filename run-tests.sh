#!/usr/bin/env bash
# Runs every test of dualq: unit, integration, stress, linearizability and doc tests, then the
# loom model checks (loom-tests/, a separate crate built with --cfg loom). Needs only the Rust
# toolchain. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")"

echo "== cargo test (optimised test profile, debug assertions on)"
cargo test --locked

echo "== the trace feature: scripted scenarios and the handoff example"
cargo test --locked --features trace --test trace
cargo run --locked --quiet --features trace --example handoff > /dev/null

if [ -x loom-tests/run.sh ]; then
    echo "== loom model checks"
    loom-tests/run.sh
fi
