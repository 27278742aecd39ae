#!/usr/bin/env bash
# Where a message's cost goes: for each implementation and workload, what one message costs in
# CPU time, context switches, page faults, futex and sched_yield calls, instructions and locked
# instructions, and the functions a cpu-clock profile finds the time in. Writes
# target/cost/breakdown.md (benches/README.md, "Where a message's cost goes", explains each
# column and how to read it).
#
#   benches/cost.sh                      # dualq, crossbeam, kanal on the issue's four workloads
#   IMPLS="dualq crossbeam" benches/cost.sh
#   WORKLOADS="unbounded:4:4" benches/cost.sh
#
# Needs perf, strace, valgrind (callgrind), objdump/nm and python3 besides the Rust toolchain.
# Measure on a quiet machine (the script prints the load average it starts with).
set -euo pipefail
cd "$(dirname "$0")/.."
IMPLS=${IMPLS:-"dualq crossbeam kanal"}
WORKLOADS=${WORKLOADS:-"unbounded:4:4 unbounded:8:8 bounded:64:4:1 bounded:64:4:4"}
MESSAGES=${MESSAGES:-1000000}
# Under valgrind the threads run one at a time and everything is ~50x slower.
GRIND_MESSAGES=${GRIND_MESSAGES:-100000}
out=target/cost
mkdir -p "$out"
cargo build --release --quiet --example cost
bin=target/release/examples/cost
report=$out/breakdown.md
{
    echo "# Per-message cost breakdown"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
    echo
    echo "| workload | impl | M msgs/s | CPU ns | vol. sw | invol. sw | page faults | futex | sched_yield | instructions | locked |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} >"$report"
profiles=$out/profiles.md
echo "# Profiles (cpu-clock, top functions)" >"$profiles"

for w in $WORKLOADS; do
    IFS=: read -r kind a b c <<<"$w"
    if [[ $kind == bounded ]]; then flavor="bounded:$a" p=$b cons=$c; else flavor=$kind p=$a cons=$b; fi
    for impl in $IMPLS; do
        # The median round of five, by throughput.
        line=$("$bin" "$impl" "$flavor" "$p" "$cons" "$MESSAGES" 5 |
            sort -t'(' -k2 -n | sed -n 3p)
        rate=$(sed -E 's/.*\(([0-9.]+) M msgs\/s\).*/\1/' <<<"$line")
        cpu=$(sed -E 's/.* ([0-9.]+) ns CPU.*/\1/' <<<"$line")
        vol=$(sed -E 's/.* ([0-9.]+) voluntary.*/\1/' <<<"$line")
        invol=$(sed -E 's/.* ([0-9.]+) involuntary.*/\1/' <<<"$line")
        faults=$(sed -E 's/.* ([0-9.]+) page faults.*/\1/' <<<"$line")
        strace -f -c -o "$out/strace.txt" "$bin" "$impl" "$flavor" "$p" "$cons" "$MESSAGES" 1 >/dev/null
        calls() { awk -v s="$1" -v m="$MESSAGES" '$NF == s { printf "%.4f", $4 / m; found=1 } END { if (!found) printf "0" }' "$out/strace.txt"; }
        valgrind --tool=callgrind --dump-instr=yes --dump-line=no --compress-strings=no \
            --compress-pos=no --callgrind-out-file="$out/callgrind.out" \
            "$bin" "$impl" "$flavor" "$p" "$cons" "$GRIND_MESSAGES" 1 >/dev/null 2>&1
        grind=$(python3 benches/locked_ops.py "$out/callgrind.out" "$GRIND_MESSAGES")
        ir=$(sed -nE 's/^instructions: ([0-9.]+).*/\1/p' <<<"$grind")
        locked=$(sed -nE 's/^locked instructions: ([0-9.]+).*/\1/p' <<<"$grind")
        echo "| $flavor ${p}P/${cons}C | $impl | $rate | $cpu | $vol | $invol | $faults | $(calls futex) | $(calls sched_yield) | $ir | $locked |" >>"$report"
        perf record -q -e cpu-clock -F 4999 -o "$out/perf.data" \
            "$bin" "$impl" "$flavor" "$p" "$cons" "$MESSAGES" 1 >/dev/null 2>&1
        {
            echo
            echo "## $impl, $flavor ${p}P/${cons}C"
            echo
            echo '```'
            { perf report -i "$out/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
                grep -E '^ +[0-9]' | head -12 | cut -c1-110; } || true
            echo '```'
            echo
            echo "Locked instructions by function (callgrind, $GRIND_MESSAGES messages):"
            echo
            echo '```'
            echo "$grind"
            echo '```'
        } >>"$profiles"
    done
done
cat "$report"
echo
echo "profiles: $profiles"
