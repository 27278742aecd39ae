#!/usr/bin/env bash
# Shows that the loom suite has teeth: applies one deliberate bug (a patch in this folder) to
# dualq's src/, runs every loom test on its own (a loom failure aborts the whole test binary,
# so one binary per test keeps the others running), prints for each test whether it caught the
# bug and loom's first message, then reverts the patch. Never commit an applied patch.
#
#   loom-tests/teeth/run.sh loom-tests/teeth/1-relaxed-slot-cas.patch [name filter]
set -euo pipefail
patch=$(realpath "$1")
filter=${2:-}
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
if ! git diff --quiet -- src; then
    echo "src/ has uncommitted changes; refusing to patch it" >&2
    exit 2
fi
git apply "$patch"
trap 'git checkout -- src' EXIT
export RUSTFLAGS="--cfg loom --cfg crossbeam_loom --cfg crossbeam_sanitize"
export CARGO_TARGET_DIR="$root/loom-tests/target/loom"
echo "== $(basename "$patch" .patch)"
bins=$(cargo test --release --manifest-path loom-tests/Cargo.toml --no-run 2>&1 |
    sed -n 's/.*Executable tests\/[a-z_]*\.rs (\(.*\))/\1/p')
for bin in $bins; do
    [[ "$bin" == /* ]] || bin="$root/$bin"
    [[ "$(basename "$bin")" == harness-* ]] && continue
    for test in $("$bin" --list --format terse | sed -n 's/: test$//p' | grep -- "$filter"); do
        out=$("$bin" --exact "$test" --test-threads=1 2>&1) && rc=0 || rc=$?
        if [[ $rc -eq 0 ]]; then
            echo "passed  $test"
        else
            msg=$(awk '/panicked at/ { getline m; print m; exit }' <<<"$out")
            echo "CAUGHT  $test: ${msg:-exit $rc}"
        fi
    done
done
