#!/usr/bin/env bash
# Runs every test of dualq: unit, integration, stress, linearizability and doc tests, the trace
# feature, the check of the library against its declared Rust version, then the loom model
# checks (loom-tests/, a separate crate built with --cfg loom). Needs only the Rust toolchain
# (1.95: see the README). CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")"
start=$SECONDS
step() { echo "== $1 (at $((SECONDS - start)) s)"; }

step "cargo test (optimised test profile, debug assertions on)"
cargo test --locked

step "the trace feature: scripted scenarios and the handoff example"
cargo test --locked --features trace --test trace
cargo run --locked --quiet --features trace --example handoff > /dev/null

step "the library's use of std against its rust-version (Cargo.toml)"
cargo clippy --locked --quiet --lib --all-features -- -D clippy::incompatible_msrv

if [ -x loom-tests/run.sh ]; then
    step "loom model checks"
    loom-tests/run.sh
fi

echo "== all tests passed in $((SECONDS - start)) s"
