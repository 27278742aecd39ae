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
# The tracer's work between a claim and the next step widens the races between the segmented
# queue's claims and its writes; its linearizability histories found three bugs that way.
cargo test --locked --features trace --test linearizability segmented
cargo run --locked --quiet --features trace --example handoff > /dev/null
# A withdrawn waiter must not touch a segment another party removed (issue 25): the two trace
# tests that force that race, under valgrind where it is installed (it reports the read of freed
# memory that the debug canary might miss if the memory were reused).
if command -v valgrind > /dev/null; then
    bin=$(cargo test --locked --features trace --test trace --no-run --message-format=json 2>/dev/null |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
    valgrind --quiet --error-exitcode=9 "$bin" withdrawn_sender --test-threads=1 > /dev/null
fi

step "the docs, every feature on: no intra-doc link may be broken"
RUSTDOCFLAGS="-D rustdoc::broken_intra_doc_links" cargo doc --locked --quiet --no-deps --all-features

step "the library's use of std against its rust-version (Cargo.toml)"
cargo clippy --locked --quiet --lib --all-features -- -D clippy::incompatible_msrv

if [ -x loom-tests/run.sh ]; then
    step "loom model checks"
    loom-tests/run.sh
fi

echo "== all tests passed in $((SECONDS - start)) s"
