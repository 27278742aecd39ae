#!/usr/bin/env python3
"""Counts the locked (atomic read-modify-write) instructions a program executed, from a
callgrind profile taken with per-instruction costs.

    valgrind --tool=callgrind --dump-instr=yes --dump-line=no --compress-strings=no \
        --compress-pos=no --callgrind-out-file=OUT PROGRAM ARGS...
    benches/locked_ops.py OUT [MESSAGES]

Prints the instructions executed (Ir), the locked instructions among them (an x86 `lock`
prefix, or `xchg` with a memory operand, which locks implicitly), both per message if MESSAGES
is given, and the functions that executed the most locked instructions.

How: callgrind reports each executed instruction's runtime address and count, per object file.
Each object's load address is found by matching the first address callgrind saw in a function
against that function's address in `nm`; `objdump -d` then says which offsets hold a locked
instruction. Used by benches/cost.sh (benches/README.md, "Where a message's cost goes").

Under valgrind the threads run one at a time, so this counts what the executed paths cost in
locked instructions, not what contention adds to each; spin loops run as they would on one CPU.
"""
import collections
import re
import subprocess
import sys


def parse(path):
    """{object: {address: Ir}}, and {object: {function: first address}}."""
    costs = collections.defaultdict(collections.Counter)
    firsts = collections.defaultdict(dict)
    obj = fn = None
    skip_next = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("ob="):
                obj = line[3:].strip()
            elif line.startswith("fn="):
                fn = line[3:].strip()
            elif line.startswith("calls="):
                skip_next = True  # the next cost line is the call's inclusive cost
            elif line[:2] == "0x" and obj is not None:
                parts = line.split()
                if skip_next:
                    skip_next = False
                    continue
                addr = int(parts[0], 16)
                ir = int(parts[1]) if len(parts) > 1 else 0
                costs[obj][addr] += ir
                if fn is not None:
                    firsts[obj].setdefault(fn, addr)
                    if addr < firsts[obj][fn]:
                        firsts[obj][fn] = addr
    return costs, firsts


def symbols(obj):
    """{demangled function name: address} from nm."""
    try:
        out = subprocess.run(["nm", "-C", "--defined-only", obj], capture_output=True,
                             text=True, check=False).stdout
    except FileNotFoundError:
        return {}
    table = {}
    for line in out.splitlines():
        m = re.match(r"([0-9a-f]+) [tTwW] (.+)", line)
        if m:
            table.setdefault(m.group(2), int(m.group(1), 16))
    return table


def load_base(obj, firsts):
    """The most common (first address seen - nm address) over the functions of `obj`."""
    table = symbols(obj)
    votes = collections.Counter()
    for name, first in firsts.items():
        addr = table.get(name)
        if addr is not None:
            votes[first - addr] += 1
    return votes.most_common(1)[0][0] if votes else None


def locked_offsets(obj):
    """{offset: function} of every instruction of `obj` that locks the bus."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", obj],
                         capture_output=True, text=True, check=False).stdout
    locked = {}
    function = "?"
    for line in out.splitlines():
        m = re.match(r"[0-9a-f]+ <(.+)>:$", line)
        if m:
            function = m.group(1)
            continue
        m = re.match(r"\s*([0-9a-f]+):\s+(.*)$", line)
        if not m:
            continue
        insn = m.group(2).strip()
        if insn.startswith("lock ") or (insn.startswith("xchg") and "(" in insn):
            locked[int(m.group(1), 16)] = function
    return locked


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    costs, firsts = parse(sys.argv[1])
    messages = float(sys.argv[2]) if len(sys.argv) > 2 else None
    total_ir = sum(sum(c.values()) for c in costs.values())
    total_locked = 0
    by_function = collections.Counter()
    for obj, counts in costs.items():
        if not obj.startswith("/"):
            continue
        base = load_base(obj, firsts[obj])
        if base is None:
            continue
        locked = locked_offsets(obj)
        for addr, ir in counts.items():
            function = locked.get(addr - base)
            if function is not None:
                total_locked += ir
                by_function[function] += ir
    per = (lambda x: f"{x / messages:.2f} per message") if messages else (lambda x: f"{x}")
    print(f"instructions: {per(total_ir)}")
    print(f"locked instructions: {per(total_locked)}")
    for function, n in by_function.most_common(8):
        print(f"  {per(n)}: {function[:110]}")


if __name__ == "__main__":
    main()
