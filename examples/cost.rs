//! One throughput workload of the comparison report, run alone, for a per-message cost
//! breakdown under outside tools (`perf record`, `strace -c -f`, `valgrind`): what
//! `benches/cost.sh` runs for each implementation and workload (`benches/README.md`, "Where a
//! message's cost goes").
//!
//! ```text
//! cargo run --release --example cost -- IMPL FLAVOR PRODUCERS CONSUMERS MESSAGES [ROUNDS]
//!   IMPL     dualq | crossbeam | kanal | flume | std
//!   FLAVOR   unbounded | rendezvous | bounded:N
//! ```
//!
//! It prints one line per round: wall and CPU nanoseconds per message, voluntary and
//! involuntary context switches per message, and minor page faults per message (all threads of
//! the process, over the round only; page faults from `getrusage` too).

#[path = "compare/impls.rs"]
#[allow(dead_code)]
mod impls;
#[path = "compare/placement.rs"]
#[allow(dead_code)]
mod placement;
#[path = "compare/usage.rs"]
#[allow(dead_code)]
mod usage;
#[path = "compare/workloads.rs"]
#[allow(dead_code)]
mod workloads;

use impls::{Crossbeam, Dualq, Flavor, Flume, Imp, Kanal, Std};
use placement::Placement;

/// Minor page faults of the whole process so far.
fn minor_faults() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid, writable `rusage`; `getrusage` only writes into it.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage failed");
    // SAFETY: zero-initialised (a valid `rusage`) and written by a successful `getrusage`.
    unsafe { usage.assume_init() }.ru_minflt as u64
}

fn run<I: Imp>(flavor: Flavor, producers: usize, consumers: usize, messages: u64, rounds: usize) {
    for round in 0..rounds {
        let faults = minor_faults();
        let run = workloads::throughput::<I>(
            flavor,
            producers,
            consumers,
            messages,
            None,
            Placement::Unpinned,
        );
        let faults = minor_faults() - faults;
        let per = |x: f64| x / run.messages as f64;
        let usage = run.usage.expect("getrusage works on Linux");
        println!(
            "{} {flavor} {producers}P/{consumers}C round {round}: {:.1} ns wall, {:.1} ns CPU, \
             {:.4} voluntary + {:.4} involuntary switches, {:.5} page faults per message \
             ({:.2} M msgs/s)",
            I::NAME,
            per(run.elapsed.as_nanos() as f64),
            per(usage.cpu.as_nanos() as f64),
            per(usage.voluntary as f64),
            per(usage.involuntary as f64),
            per(faults as f64),
            run.messages as f64 / run.elapsed.as_secs_f64() / 1e6,
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: cost IMPL FLAVOR PRODUCERS CONSUMERS MESSAGES [ROUNDS]";
    if args.len() < 5 {
        eprintln!("{usage}");
        std::process::exit(2);
    }
    let flavor = match args[1].as_str() {
        "unbounded" => Flavor::Unbounded,
        "rendezvous" => Flavor::Rendezvous,
        other => match other.strip_prefix("bounded:").map(str::parse) {
            Some(Ok(n)) if n > 0 => Flavor::Bounded(n),
            _ => {
                eprintln!("bad flavor {other:?}; {usage}");
                std::process::exit(2);
            }
        },
    };
    let number = |i: usize| -> u64 {
        args[i].parse().unwrap_or_else(|_| {
            eprintln!("bad number {:?}; {usage}", args[i]);
            std::process::exit(2)
        })
    };
    let (p, c, m) = (number(2) as usize, number(3) as usize, number(4));
    let rounds = if args.len() > 5 {
        number(5) as usize
    } else {
        3
    };
    match args[0].as_str() {
        "dualq" => run::<Dualq>(flavor, p, c, m, rounds),
        "crossbeam" => run::<Crossbeam>(flavor, p, c, m, rounds),
        "kanal" => run::<Kanal>(flavor, p, c, m, rounds),
        "flume" => run::<Flume>(flavor, p, c, m, rounds),
        "std" => run::<Std>(flavor, p, c, m, rounds),
        other => {
            eprintln!("unknown implementation {other:?}; {usage}");
            std::process::exit(2);
        }
    }
}
