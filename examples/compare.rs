//! The comparison report: `cargo run --release --example compare [-- OPTIONS]`.
//!
//! Runs every workload on every implementation that can run it (dualq's channels, the raw
//! `DualQueue`, `SegmentedDualQueue` and `DualStack`, `std::sync::mpsc`, `crossbeam-channel`,
//! `flume`, `kanal`),
//! interleaved round by round (round 1: every implementation in turn, round 2: all again, ...;
//! the starting implementation rotates), and reports medians over the rounds with ratios against
//! `crossbeam-channel` taken in the same run, plus process CPU seconds and context switches per
//! message.
//!
//! Workloads (messages are `usize`; every run checks that exactly the messages sent arrived):
//!
//! * `unbounded NP/NC`: N producers send M messages in total to N consumers that receive until
//!   the channel closes. Default sets 1P/1C, 4P/1C, 4P/4C, 8P/8C.
//! * `rendezvous NP/NC`: the same on a zero-capacity channel. 1P/1C and 4P/4C.
//! * `bounded(1) NP/NC`, `bounded(64) NP/NC`: the same on bounded channels. 1P/1C and 4P/4C.
//! * `saturation rendezvous 4P/8C`: 4 senders flat out, 8 receivers; throughput and Jain's
//!   index over the receivers' shares.
//! * `ping-pong`: round trips over two unbounded channels (one echo thread).
//! * `fairness 8 receivers`: 8 receivers blocked in `recv`, one sender sends with a pause after
//!   each message. Reports the share of messages delivered while an older waiter still waited
//!   ("overtaken %"), inversions per message, Jain's index over per-receiver counts, and the
//!   p50/p99/max wait of a `recv`.
//! * `sender fairness 8 senders, bounded(4)` (and `rendezvous`): the mirror image: 8 senders
//!   blocked in `send`, one receiver receives with a pause after each message; the same metrics
//!   over the senders.
//! * `memory burst unbounded`: one thread sends M messages into an unbounded channel, then
//!   receives them, then drops the channel, in a child process of its own; the resident set
//!   size above the start at its peak, after the drain and after the drop.
//! * `slow senders rendezvous 4P/4C`: each sender pauses after every send, so receivers spend
//!   their time waiting; the number that matters is CPU seconds per million messages (a
//!   receiver that spins instead of parking shows up here).
//!
//! * `async unbounded 1P/1C`, `async unbounded 4P/4C`, `async bounded(64) 4P/4C`, `async
//!   fairness 8 receiver tasks`: the same on async tasks (one tokio multi-thread runtime, 2
//!   workers) through each channel's async API, against flume, kanal, async-channel and
//!   tokio's mpsc (one receiver only); see `async_workloads.rs`. The report puts them in a
//!   section of their own, with ratios against flume.
//!
//! The handoff workloads (rendezvous, bounded, saturation, ping-pong) run once per placement:
//! unpinned, pinned across two cores (senders on one, receivers on the other), pinned to one
//! core, and the first two again with a busy process on each of their CPUs (a tenth of the
//! messages: a handoff may wait for a busy process's time slice); see `placement.rs` and
//! `busy.rs`.
//!
//! Output: a markdown report on stdout and in `target/compare/report.md` (it starts with the
//! machine, the date, the commit and the command that repeats it), every sample in
//! `target/compare/samples.csv`, and the plots `target/compare/throughput.svg` (one panel per
//! workload and placement) and `target/compare/waits.svg` (fairness: wait-time distribution and
//! per-thread shares), and with `--threads` also `target/compare/scaling.svg` (throughput
//! against N). Progress goes to stderr, one line per workload. See `--help` for the options and
//! `benches/README.md` for what each workload and metric means.

#[path = "compare/async_workloads.rs"]
mod async_workloads;
#[path = "compare/busy.rs"]
mod busy;
#[path = "compare/impls.rs"]
mod impls;
#[path = "compare/load.rs"]
mod load;
#[path = "compare/machine.rs"]
mod machine;
#[path = "compare/options.rs"]
mod options;
#[path = "compare/placement.rs"]
mod placement;
#[path = "compare/plot.rs"]
mod plot;
#[path = "compare/report.rs"]
mod report;
#[path = "compare/stats.rs"]
mod stats;
#[path = "compare/usage.rs"]
mod usage;
#[path = "compare/workloads.rs"]
mod workloads;

use async_workloads::{AsyncChannel, AsyncImp, DualqTasks, FlumeTasks, KanalTasks, TokioMpsc};
use impls::{Crossbeam, Dualq, Flavor, Flume, Imp, Kanal, RawQueue, RawSegmented, RawStack, Std};
use options::{Options, Parsed, HELP};
use placement::Placement;
use report::{fmt_num, Results, Sample};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use workloads::{Burst, FairRun, Run};

/// The name of the baseline implementation for every ratio of the thread workloads.
const BASELINE: &str = Crossbeam::NAME;

/// The baseline of the async workloads (crossbeam-channel has no async API).
const ASYNC_BASELINE: &str = FlumeTasks::NAME;

/// One implementation: what it can run, and its monomorphised workload functions.
#[derive(Clone, Copy)]
struct Entry {
    name: &'static str,
    /// The thread workloads; `None` for an async-only peer.
    threads: Option<ThreadFns>,
    /// The async workloads; `None` without an async API.
    tasks: Option<TaskFns>,
}

/// The workload functions of a thread adapter ([`Imp`]).
#[derive(Clone, Copy)]
struct ThreadFns {
    supports: fn(Flavor) -> bool,
    disconnects: bool,
    throughput: fn(Flavor, usize, usize, u64, Option<Duration>, Placement) -> Run,
    ping_pong: fn(u64, Placement) -> Run,
    fairness: fn(usize, u64, Duration, Placement) -> FairRun,
    sender_fairness: fn(Flavor, usize, u64, Duration, Placement) -> FairRun,
    burst: fn(u64) -> Option<(Run, Burst)>,
}

/// The workload functions of an async adapter ([`AsyncImp`]).
#[derive(Clone, Copy)]
struct TaskFns {
    cannot_run: fn(Flavor, usize) -> Option<String>,
    throughput: fn(Flavor, usize, usize, u64) -> Run,
    fairness: fn(usize, u64, Duration) -> FairRun,
}

fn thread_fns<I: Imp>() -> ThreadFns {
    ThreadFns {
        supports: I::supports,
        disconnects: I::DISCONNECTS,
        throughput: workloads::throughput::<I>,
        ping_pong: workloads::ping_pong::<I>,
        fairness: workloads::fairness::<I>,
        sender_fairness: workloads::sender_fairness::<I>,
        burst: workloads::burst::<I>,
    }
}

fn task_fns<A: AsyncImp>() -> TaskFns {
    TaskFns {
        cannot_run: async_workloads::cannot_run::<A>,
        throughput: async_workloads::throughput::<A>,
        fairness: async_workloads::fairness::<A>,
    }
}

/// An implementation with threads only.
fn entry<I: Imp>() -> Entry {
    Entry {
        name: I::NAME,
        threads: Some(thread_fns::<I>()),
        tasks: None,
    }
}

/// An implementation with both APIs (one name).
fn entry_both<I: Imp, A: AsyncImp>() -> Entry {
    assert_eq!(I::NAME, A::NAME);
    Entry {
        name: I::NAME,
        threads: Some(thread_fns::<I>()),
        tasks: Some(task_fns::<A>()),
    }
}

/// An async-only peer.
fn entry_tasks<A: AsyncImp>() -> Entry {
    Entry {
        name: A::NAME,
        threads: None,
        tasks: Some(task_fns::<A>()),
    }
}

impl Entry {
    /// Why this implementation cannot run a workload, or `None` if it can.
    fn cannot_run(&self, kind: &Kind) -> Option<String> {
        if kind.on_tasks() {
            let Some(tasks) = self.tasks else {
                return Some("no async API".into());
            };
            return match *kind {
                Kind::Throughput {
                    flavor, consumers, ..
                } => (tasks.cannot_run)(flavor, consumers),
                Kind::Fairness { receivers, .. } => {
                    (tasks.cannot_run)(Flavor::Unbounded, receivers)
                }
                _ => unreachable!("no other workload runs on tasks"),
            };
        }
        let Some(threads) = self.threads else {
            return Some("async only".into());
        };
        let flavor = match *kind {
            Kind::Throughput { flavor, .. } | Kind::SenderFairness { flavor, .. } => flavor,
            Kind::PingPong { .. } | Kind::Fairness { .. } | Kind::Burst { .. } => Flavor::Unbounded,
        };
        if !(threads.supports)(flavor) {
            return Some(format!("no {} form", report::flavor_family(flavor)));
        }
        if matches!(kind, Kind::SenderFairness { .. }) && !threads.disconnects {
            return Some("no disconnection to stop the senders with".into());
        }
        None
    }

    fn threads(&self) -> &ThreadFns {
        self.threads
            .as_ref()
            .expect("an async-only peer was given a thread workload")
    }

    fn tasks(&self) -> &TaskFns {
        self.tasks
            .as_ref()
            .expect("an implementation without async API was given an async workload")
    }
}

/// Every implementation, baseline first.
fn all_impls() -> Vec<Entry> {
    vec![
        entry::<Crossbeam>(),
        entry_both::<Dualq, DualqTasks>(),
        entry::<RawQueue>(),
        entry::<RawSegmented>(),
        entry::<RawStack>(),
        entry_both::<Kanal, KanalTasks>(),
        entry_both::<Flume, FlumeTasks>(),
        entry::<Std>(),
        entry_tasks::<AsyncChannel>(),
        entry_tasks::<TokioMpsc>(),
    ]
}

/// What a workload does.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Throughput (paced = slow senders).
    Throughput {
        flavor: Flavor,
        producers: usize,
        consumers: usize,
        messages: u64,
        pace: Option<Duration>,
        /// More receivers than the senders can keep busy: the summary shows Jain's index over
        /// the receivers too.
        saturation: bool,
        /// Senders and receivers are async tasks on the runtime (`async_workloads.rs`).
        tasks: bool,
    },
    PingPong {
        round_trips: u64,
    },
    /// Waiting receivers, a paced sender.
    Fairness {
        receivers: usize,
        messages: u64,
        pace: Duration,
        /// Receivers and sender are async tasks on the runtime (`async_workloads.rs`).
        tasks: bool,
    },
    /// Waiting senders, a paced receiver.
    SenderFairness {
        flavor: Flavor,
        senders: usize,
        messages: u64,
        pace: Duration,
    },
    /// Memory of a burst of messages nobody receives yet (in a child process).
    Burst {
        messages: u64,
    },
}

impl Kind {
    /// Whether senders and receivers are async tasks (the async section of the report).
    fn on_tasks(&self) -> bool {
        matches!(
            self,
            Kind::Throughput { tasks: true, .. } | Kind::Fairness { tasks: true, .. }
        )
    }

    /// The implementation every ratio of this workload is taken against.
    fn baseline(&self) -> &'static str {
        if self.on_tasks() {
            ASYNC_BASELINE
        } else {
            BASELINE
        }
    }

    /// This workload with its message count scaled by `factor` (at least one message).
    fn scaled(mut self, factor: f64) -> Kind {
        let count = match &mut self {
            Kind::Throughput { messages, .. }
            | Kind::Fairness { messages, .. }
            | Kind::SenderFairness { messages, .. }
            | Kind::Burst { messages } => messages,
            Kind::PingPong { round_trips } => round_trips,
        };
        *count = ((*count as f64 * factor).round() as u64).max(1);
        self
    }

    /// Whether every message is a handoff between threads that wait for each other (so where
    /// the threads run decides its cost): these run once per placement.
    fn is_handoff(&self) -> bool {
        match self {
            Kind::Throughput {
                flavor,
                pace: None,
                tasks: false,
                ..
            } => *flavor != Flavor::Unbounded,
            Kind::PingPong { .. } => true,
            _ => false,
        }
    }
}

#[derive(Clone, Debug)]
struct Workload {
    /// What runs, e.g. "rendezvous 1P/1C" (what `--only` matches).
    name: String,
    kind: Kind,
    placement: Placement,
}

impl Workload {
    /// The name with the placement, for headings and progress lines.
    fn title(&self) -> String {
        format!("{} · {}", self.name, self.placement)
    }

    /// The name with the placement's short name, for plot captions.
    fn short_title(&self) -> String {
        format!("{} · {}", self.name, self.placement.key())
    }
}

/// The workloads to run, with message counts for a full or a quick run.
fn workloads(o: &Options) -> Vec<Workload> {
    let n = |full: u64, quick: u64| {
        let base = if o.quick { quick } else { full };
        ((base as f64 * o.scale).round() as u64).max(1)
    };
    let messages = |flavor: Flavor| match flavor {
        Flavor::Unbounded => n(1_000_000, 100_000),
        Flavor::Rendezvous => n(100_000, 10_000),
        // Nearly every message of bounded(1) is a handoff: counted like rendezvous.
        Flavor::Bounded(1) => n(100_000, 10_000),
        Flavor::Bounded(_) => n(1_000_000, 100_000),
    };
    let throughput = |flavor: Flavor, p: usize, c: usize| {
        (
            format!("{flavor} {p}P/{c}C"),
            Kind::Throughput {
                flavor,
                producers: p,
                consumers: c,
                messages: messages(flavor),
                pace: None,
                saturation: false,
                tasks: false,
            },
        )
    };
    let mut w: Vec<(String, Kind)> = Vec::new();
    let flavors = [
        Flavor::Unbounded,
        Flavor::Rendezvous,
        Flavor::Bounded(1),
        Flavor::Bounded(64),
    ];
    for flavor in flavors {
        let sets: Vec<(usize, usize)> = match (&o.threads, flavor) {
            (Some(ts), _) => ts.iter().map(|&t| (t, t)).collect(),
            (None, Flavor::Unbounded) => vec![(1, 1), (4, 1), (4, 4), (8, 8)],
            (None, _) => vec![(1, 1), (4, 4)],
        };
        for (p, c) in sets {
            w.push(throughput(flavor, p, c));
        }
    }
    w.push((
        "saturation rendezvous 4P/8C".into(),
        Kind::Throughput {
            flavor: Flavor::Rendezvous,
            producers: 4,
            consumers: 8,
            messages: messages(Flavor::Rendezvous),
            pace: None,
            saturation: true,
            tasks: false,
        },
    ));
    w.push((
        "ping-pong".into(),
        Kind::PingPong {
            round_trips: n(50_000, 5_000),
        },
    ));
    let how = |pace: Duration| {
        if pace < workloads::SPIN_BELOW {
            "spin"
        } else {
            "sleep"
        }
    };
    for &pace in &o.paces {
        w.push((
            format!(
                "fairness 8 receivers, pace {} µs {}",
                pace.as_micros(),
                how(pace)
            ),
            Kind::Fairness {
                receivers: 8,
                messages: n(4_000, 600),
                pace,
                tasks: false,
            },
        ));
    }
    for flavor in [Flavor::Bounded(4), Flavor::Rendezvous] {
        for &pace in &o.paces {
            w.push((
                format!(
                    "sender fairness 8 senders, {flavor}, pace {} µs {}",
                    pace.as_micros(),
                    how(pace)
                ),
                Kind::SenderFairness {
                    flavor,
                    senders: 8,
                    messages: n(4_000, 600),
                    pace,
                },
            ));
        }
    }
    w.push((
        "memory burst unbounded".into(),
        Kind::Burst {
            messages: n(1_000_000, 100_000),
        },
    ));
    w.push((
        "slow senders rendezvous 4P/4C".into(),
        Kind::Throughput {
            flavor: Flavor::Rendezvous,
            producers: 4,
            consumers: 4,
            messages: n(8_000, 1_200),
            pace: Some(o.paces[0]),
            saturation: false,
            tasks: false,
        },
    ));
    // The async section: tasks on one tokio multi-thread runtime with two workers.
    for (flavor, p, c) in [
        (Flavor::Unbounded, 1, 1),
        (Flavor::Unbounded, 4, 4),
        (Flavor::Bounded(64), 4, 4),
    ] {
        w.push((
            format!("async {flavor} {p}P/{c}C"),
            Kind::Throughput {
                flavor,
                producers: p,
                consumers: c,
                messages: messages(flavor),
                pace: None,
                saturation: false,
                tasks: true,
            },
        ));
    }
    w.push((
        format!(
            "async fairness 8 receiver tasks, pace {} µs",
            o.paces[0].as_micros()
        ),
        Kind::Fairness {
            receivers: 8,
            messages: n(4_000, 600),
            pace: o.paces[0],
            tasks: true,
        },
    ));
    if !o.only.is_empty() {
        w.retain(|(name, _)| o.only.iter().any(|f| options::selects(f, name)));
    }
    let mut placed = Vec::new();
    for (name, kind) in w {
        let placements = if kind.is_handoff() {
            &o.placements[..]
        } else {
            &[Placement::Unpinned][..]
        };
        for &placement in placements {
            placed.push(Workload {
                name: name.clone(),
                kind: if placement.is_loaded() {
                    kind.scaled(placement::LOADED_SCALE)
                } else {
                    kind
                },
                placement,
            });
        }
    }
    placed
}

/// The run in progress, for the watchdog.
static CURRENT: Mutex<Option<(String, Instant)>> = Mutex::new(None);

/// Aborts the process if one run takes longer than `limit` (a hung implementation must not
/// hang an unattended report).
fn start_watchdog(limit: Duration) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        if let Some((what, since)) = CURRENT.lock().expect("poisoned").as_ref() {
            if since.elapsed() > limit {
                eprintln!(
                    "compare: {what} has run for over {} s; aborting (see --run-limit-s)",
                    limit.as_secs()
                );
                std::process::exit(3);
            }
        }
    });
}

fn run_one(e: &Entry, w: &Workload) -> Sample {
    *CURRENT.lock().expect("poisoned") =
        Some((format!("{} / {}", w.title(), e.name), Instant::now()));
    let p = w.placement;
    let sample = match w.kind {
        Kind::Throughput {
            flavor,
            producers,
            consumers,
            messages,
            tasks: true,
            ..
        } => Sample::Run((e.tasks().throughput)(
            flavor, producers, consumers, messages,
        )),
        Kind::Throughput {
            flavor,
            producers,
            consumers,
            messages,
            pace,
            tasks: false,
            ..
        } => Sample::Run((e.threads().throughput)(
            flavor, producers, consumers, messages, pace, p,
        )),
        Kind::PingPong { round_trips } => Sample::Run((e.threads().ping_pong)(round_trips, p)),
        Kind::Fairness {
            receivers,
            messages,
            pace,
            tasks,
        } => {
            let r = if tasks {
                (e.tasks().fairness)(receivers, messages, pace)
            } else {
                (e.threads().fairness)(receivers, messages, pace, p)
            };
            Sample::Fair(r.run, stats::fairness(&r.waits, r.sending_from))
        }
        Kind::SenderFairness {
            flavor,
            senders,
            messages,
            pace,
        } => {
            let r = (e.threads().sender_fairness)(flavor, senders, messages, pace, p);
            Sample::Fair(r.run, stats::fairness(&r.waits, r.sending_from))
        }
        Kind::Burst { messages } => memory_probe(e.name, messages),
    };
    *CURRENT.lock().expect("poisoned") = None;
    sample
}

/// The hidden option with which the report runs a memory burst in a child process of its own.
const MEMORY_PROBE: &str = "--memory-probe";

/// Runs the burst of `name` in a fresh child process (this executable with [`MEMORY_PROBE`]),
/// so that neither the high-water mark nor the heap of earlier workloads blur its memory.
fn memory_probe(name: &str, messages: u64) -> Sample {
    let child = std::env::current_exe().and_then(|exe| {
        std::process::Command::new(exe)
            .args([MEMORY_PROBE, name, &messages.to_string()])
            .output()
    });
    let output = match child {
        Ok(out) if out.status.success() => out.stdout,
        Ok(out) => fail(&format!(
            "the memory probe of {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => fail(&format!("cannot run the memory probe of {name}: {e}")),
    };
    let fields: Vec<u64> = String::from_utf8_lossy(&output)
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let run = |elapsed| Run {
        elapsed,
        usage: None,
        messages,
        shares: vec![messages],
    };
    match fields[..] {
        [nanos, peak, drained, dropped] => Sample::Mem(
            run(Duration::from_nanos(nanos)),
            Some(Burst {
                peak,
                drained,
                dropped,
            }),
        ),
        // No /proc/self/status on this system: nothing to report, the cells read n/a.
        _ => Sample::Mem(run(Duration::ZERO), None),
    }
}

/// In the child process: runs the burst and prints "elapsed_ns peak drained dropped" (bytes),
/// or nothing where memory cannot be read.
fn run_memory_probe(args: &[String]) {
    let [name, messages] = args else {
        fail(&format!(
            "{MEMORY_PROBE} needs an implementation and a count"
        ));
    };
    let messages: u64 = messages
        .parse()
        .unwrap_or_else(|_| fail(&format!("bad message count {messages:?}")));
    let Some(entry) = all_impls().into_iter().find(|e| e.name == name) else {
        fail(&format!("unknown implementation {name:?}"));
    };
    if let Some((run, b)) = (entry.threads().burst)(messages) {
        println!(
            "{} {} {} {}",
            run.elapsed.as_nanos(),
            b.peak,
            b.drained,
            b.dropped
        );
    }
}

/// Runs one workload on every implementation that can run it, interleaved round by round.
/// In a loaded placement, busy processes run beside every round of every implementation.
fn run_workload(impls: &[Entry], w: &Workload, rounds: usize) -> Results {
    let (able, skipped): (Vec<&Entry>, Vec<&Entry>) =
        impls.iter().partition(|e| e.cannot_run(&w.kind).is_none());
    let cpus = w
        .placement
        .busy_cpus()
        .unwrap_or_else(|e| fail(&format!("cannot tell where to start busy processes: {e}")));
    let _busy = busy::BusyProcesses::start(&cpus).unwrap_or_else(|e| fail(&e));
    let mut samples: Vec<Vec<Sample>> = able.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        // Rotate who goes first, so no implementation always runs right after the same one.
        for j in 0..able.len() {
            let i = (j + round) % able.len();
            samples[i].push(run_one(able[i], w));
        }
    }
    Results {
        workload: w.clone(),
        names: able.iter().map(|e| e.name).collect(),
        skipped: skipped
            .iter()
            .filter_map(|e| e.cannot_run(&w.kind).map(|why| (e.name, why)))
            .collect(),
        samples,
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("compare: {msg}\n\n{HELP}");
    std::process::exit(2);
}

/// The report's opening: where, when and how it ran.
fn preamble(
    o: &Options,
    results: &[Results],
    load_at_start: Option<String>,
    date: &str,
    took: Duration,
) -> String {
    let mut s = String::new();
    let usable = std::thread::available_parallelism().map_or(0, |n| n.get());
    let online = machine::online_cpus().map_or("?".into(), |n| n.to_string());
    let row = |s: &mut String, k: &str, v: &str| {
        let _ = writeln!(s, "| {k} | {v} |");
    };
    let _ = writeln!(s, "| | |\n|---|---|");
    row(&mut s, "date", date);
    row(
        &mut s,
        "machine",
        &format!(
            "{online} CPUs online, {usable} usable by this process; {}; {}; {}",
            machine::cpu_model(),
            machine::kernel(),
            std::env::consts::ARCH
        ),
    );
    row(
        &mut s,
        "load (1-minute average)",
        &format!(
            "{} at the start, {} at the end",
            load_at_start.as_deref().unwrap_or("?"),
            machine::load_average().as_deref().unwrap_or("?")
        ),
    );
    row(
        &mut s,
        "code",
        &format!(
            "dualq {}; {}",
            machine::commit().as_deref().unwrap_or("(commit unknown)"),
            machine::rustc().as_deref().unwrap_or("rustc unknown")
        ),
    );
    let args: Vec<String> = o
        .args
        .iter()
        .map(|a| {
            if a.contains(' ') {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect();
    row(
        &mut s,
        "repeat",
        &format!(
            "`cargo run --release --example compare{}{}`",
            if args.is_empty() { "" } else { " -- " },
            args.join(" ")
        ),
    );
    row(
        &mut s,
        "rounds",
        &format!(
            "{} per workload. Within a workload and placement the implementations are \
             interleaved: each round runs every implementation once, the first one rotating \
             from round to round. Tables show the median over rounds (min – max beside)",
            o.rounds
        ),
    );
    let placements: Vec<String> = o
        .placements
        .iter()
        .map(|p| match p {
            Placement::TwoCores { send, recv } => match machine::smt_siblings(*send, *recv) {
                Some(true) => format!("{p}, SMT siblings of one core"),
                Some(false) => format!("{p}, not SMT siblings"),
                None => p.to_string(),
            },
            p => p.to_string(),
        })
        .collect();
    row(
        &mut s,
        "placements",
        &format!(
            "the handoff workloads (rendezvous, bounded, saturation, ping-pong) once per \
             placement: {}; pinned means every thread of the run, peers alike. A busy process \
             is a child of the report that computes without ever blocking, pinned to its CPU, \
             started before the workload's first round and killed after its last, so every \
             implementation runs beside the same ones; loaded runs send a tenth of the \
             messages. The other workloads run unpinned",
            placements.join("; ")
        ),
    );
    row(
        &mut s,
        "CPU, context switches",
        "process user+system time and voluntary/involuntary context switches (getrusage \
         RUSAGE_SELF, every thread) from the release of the run's threads to their join, per \
         message. Voluntary: a thread blocked (futex, park, sleep); involuntary: preempted, or \
         gave the core away with sched_yield while runnable",
    );
    row(
        &mut s,
        "baseline",
        &format!(
            "ratios against {BASELINE} from the same run ({ASYNC_BASELINE} in the async \
             section)"
        ),
    );
    // Which implementations were left out of some workloads, and why (one line each).
    let mut not_run: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in results {
        for (name, why) in &r.skipped {
            match not_run.iter_mut().find(|(n, _)| n == name) {
                Some((_, whys)) if whys.contains(&why.as_str()) => {}
                Some((_, whys)) => whys.push(why),
                None => not_run.push((name, vec![why])),
            }
        }
    }
    if !not_run.is_empty() {
        let lines: Vec<String> = not_run
            .iter()
            .map(|(name, whys)| format!("{name}: {}", whys.join(", ")))
            .collect();
        row(
            &mut s,
            "not run",
            &format!(
                "where an implementation lacks what a workload needs ({}); its cells read —",
                lines.join("; ")
            ),
        );
    }
    row(
        &mut s,
        "total time",
        &format!("{:.0} s", took.as_secs_f64()),
    );
    s
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == MEMORY_PROBE) {
        run_memory_probe(&args[1..]);
        return;
    }
    if args.first().is_some_and(|a| a == busy::BUSY) {
        if let Err(e) = busy::run(&args[1..]) {
            fail(&e);
        }
        return;
    }
    let allowed = placement::allowed_cpus().map_err(|e| e.to_string());
    let o = match options::parse(args, allowed, placement::check_cpus) {
        Ok(Parsed::Run(o)) => o,
        Ok(Parsed::Help) => {
            print!("{HELP}");
            return;
        }
        Err(e) => fail(&e),
    };
    let mut impls = all_impls();
    if !o.impls.is_empty() {
        let known: Vec<&str> = impls.iter().map(|e| e.name).collect();
        for want in &o.impls {
            if !known.contains(&want.as_str()) {
                fail(&format!(
                    "unknown implementation {want:?}; known: {known:?}"
                ));
            }
        }
        impls.retain(|e| e.name == BASELINE || o.impls.iter().any(|w| w == e.name));
    }
    let workloads = workloads(&o);
    if workloads.is_empty() {
        fail("--only matched no workload");
    }
    let date = machine::now_utc();
    let load_at_start = machine::load_average();
    start_watchdog(o.run_limit);
    let started = Instant::now();
    let mut results = Vec::new();
    // How busy the machine was during each workload (load.rs).
    let mut windows = Vec::new();
    for (k, w) in workloads.iter().enumerate() {
        let t = Instant::now();
        eprint!(
            "[{}/{}] {:<48} {} rounds ...",
            k + 1,
            workloads.len(),
            w.title(),
            o.rounds
        );
        let sampler = load::Sampler::start();
        let r = run_workload(&impls, w, o.rounds);
        windows.push((w.title(), sampler.finish()));
        let (unit, _) = r.headline_unit();
        let line: Vec<String> = (0..r.names.len())
            .map(|i| format!("{} {}", r.names[i], fmt_num(r.headline(i))))
            .collect();
        eprintln!(
            " {:.1} s; {unit}: {}",
            t.elapsed().as_secs_f64(),
            line.join(", ")
        );
        results.push(r);
    }

    let mut text = String::new();
    let _ = writeln!(
        text,
        "## dualq comparison report{}\n",
        if o.quick {
            " (--quick: rough numbers)"
        } else {
            ""
        }
    );
    let start_load = load_at_start.as_deref().and_then(|l| l.parse().ok());
    let cpus = machine::online_cpus()
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if let Some(warning) = load::warning(cpus, start_load, &windows) {
        text.push_str(&warning);
        text.push('\n');
    }
    text.push_str(&preamble(
        &o,
        &results,
        load_at_start,
        &date,
        started.elapsed(),
    ));
    text.push('\n');
    load::table(start_load, &windows, &mut text);
    let names: Vec<&'static str> = impls.iter().map(|e| e.name).collect();
    let (on_tasks, on_threads): (Vec<&Results>, Vec<&Results>) =
        results.iter().partition(|r| r.workload.kind.on_tasks());
    if !on_threads.is_empty() {
        report::summary(&on_threads, &names, &[BASELINE, Kanal::NAME], &mut text);
        for r in on_threads {
            report::table(r, &mut text);
        }
    }
    if !on_tasks.is_empty() {
        let _ = writeln!(
            text,
            "## Async: tasks on a tokio multi-thread runtime ({} workers)\n\n\
             Every sender and receiver is a task on one runtime, through each channel's async \
             API (dualq `send_async`/`recv_async`, flume's, kanal's `AsyncSender`/\
             `AsyncReceiver`, async-channel, tokio's `mpsc`, the last where one task \
             receives). Unpinned; ratios against {ASYNC_BASELINE}.\n",
            async_workloads::WORKERS
        );
        report::summary(
            &on_tasks,
            &names,
            &[ASYNC_BASELINE, Kanal::NAME, AsyncChannel::NAME],
            &mut text,
        );
        for r in on_tasks {
            report::table(r, &mut text);
        }
    }
    print!("{text}");

    if let Err(e) = std::fs::create_dir_all(&o.out) {
        fail(&format!("cannot create {}: {e}", o.out.display()));
    }
    let write = |name: &str, contents: &str| {
        let path = o.out.join(name);
        match std::fs::write(&path, contents) {
            Ok(()) => eprintln!("wrote {}", path.display()),
            Err(e) => eprintln!("compare: cannot write {}: {e}", path.display()),
        }
    };
    write("report.md", &text);
    write("samples.csv", &report::csv(&results));
    let plots = [
        (
            "throughput.svg",
            plot::throughput(&o.out.join("throughput.svg"), &results, &names),
        ),
        ("waits.svg", plot::waits(&o.out.join("waits.svg"), &results)),
    ];
    // The scaling plot only for a sweep (`--threads`).
    let scaling = o.threads.is_some().then(|| {
        (
            "scaling.svg",
            plot::scaling(&o.out.join("scaling.svg"), &results),
        )
    });
    for (name, result) in plots.into_iter().chain(scaling) {
        match result {
            Ok(true) => eprintln!("wrote {}", o.out.join(name).display()),
            Ok(false) => {}
            Err(e) => eprintln!("compare: cannot draw {name}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loaded placement runs the same handoff workloads with a tenth of the messages; the
    /// other workloads run unpinned and unloaded only.
    #[test]
    fn loaded_placements_send_a_tenth() {
        let args = [
            "--placements",
            "unpinned,unpinned-loaded",
            "--only",
            "ping,rendezvous 1P,slow",
        ];
        let o = match options::parse(
            args.iter().map(|a| a.to_string()).collect(),
            Ok(vec![0, 1]),
            |_| Ok(()),
        ) {
            Ok(Parsed::Run(o)) => o,
            other => panic!("{other:?}"),
        };
        let count = |w: &Workload| match w.kind {
            Kind::Throughput { messages, .. } => messages,
            Kind::PingPong { round_trips } => round_trips,
            other => panic!("unexpected workload {other:?}"),
        };
        let placed = workloads(&o);
        for name in ["ping-pong", "rendezvous 1P/1C"] {
            let of = |p: Placement| {
                let w = placed.iter().find(|w| w.name == name && w.placement == p);
                count(w.unwrap_or_else(|| panic!("{name} not run {p}")))
            };
            assert_eq!(
                of(Placement::UnpinnedLoaded) * 10,
                of(Placement::Unpinned),
                "{name}"
            );
        }
        let slow: Vec<Placement> = placed
            .iter()
            .filter(|w| w.name.starts_with("slow"))
            .map(|w| w.placement)
            .collect();
        assert_eq!(slow, [Placement::Unpinned]);
    }
}
