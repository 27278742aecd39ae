//! The comparison report: `cargo run --release --example compare [-- OPTIONS]`.
//!
//! Runs every workload on every implementation (dualq's channels, the raw `DualQueue` and
//! `DualStack`, `std::sync::mpsc`, `crossbeam-channel`, `flume`, `kanal`), interleaved round by
//! round (round 1: every implementation in turn, round 2: all again, ...; the starting
//! implementation rotates), and reports medians over the rounds with ratios against
//! `crossbeam-channel` taken in the same run, plus process CPU seconds per million messages.
//!
//! Workloads (messages are `usize`; every run checks that exactly the messages sent arrived):
//!
//! * `unbounded NP/NC`: N producers send M messages in total to N consumers that receive until
//!   the channel closes. Default sets 1P/1C, 4P/1C, 4P/4C, 8P/8C.
//! * `rendezvous NP/NC`: the same on a zero-capacity channel. 1P/1C and 4P/4C.
//! * `ping-pong`: round trips over two unbounded channels (one echo thread).
//! * `fairness 8 receivers`: 8 receivers blocked in `recv`, one sender sends with a pause after
//!   each message. Reports the share of messages delivered while an older waiter still waited
//!   ("overtaken %"), inversions per message, Jain's index over per-receiver counts, and the
//!   p50/p99/max wait of a `recv`.
//! * `slow senders rendezvous 4P/4C`: each sender pauses after every send, so receivers spend
//!   their time waiting; the number that matters is CPU seconds per million messages (a
//!   receiver that spins instead of parking shows up here).
//!
//! Output: a markdown report on stdout and in `target/compare/report.md`, every sample in
//! `target/compare/samples.csv`, and the plots `target/compare/throughput.svg` (one panel per
//! workload) and `target/compare/waits.svg` (fairness: wait-time distribution and per-receiver
//! shares), and with `--threads` also `target/compare/scaling.svg` (throughput against N). Progress
//! goes to stderr, one line per workload. See `--help` for the options and `benches/README.md`
//! for what each workload and metric means.

#[path = "compare/cpu.rs"]
mod cpu;
#[path = "compare/impls.rs"]
mod impls;
#[path = "compare/plot.rs"]
mod plot;
#[path = "compare/stats.rs"]
mod stats;
#[path = "compare/workloads.rs"]
mod workloads;

use impls::{Crossbeam, Dualq, Flavor, Flume, Imp, Kanal, RawQueue, RawStack, Std};
use stats::{median, min_max, Fairness};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use workloads::{FairRun, Run};

/// The name of the baseline implementation for every ratio.
const BASELINE: &str = Crossbeam::NAME;

/// One implementation, as a set of monomorphised workload functions.
#[derive(Clone, Copy)]
struct Entry {
    name: &'static str,
    throughput: fn(Flavor, usize, usize, u64, Option<Duration>) -> Run,
    ping_pong: fn(u64) -> Run,
    fairness: fn(usize, u64, Duration) -> FairRun,
}

fn entry<I: Imp>() -> Entry {
    Entry {
        name: I::NAME,
        throughput: workloads::throughput::<I>,
        ping_pong: workloads::ping_pong::<I>,
        fairness: workloads::fairness::<I>,
    }
}

/// Every implementation, baseline first.
fn all_impls() -> Vec<Entry> {
    vec![
        entry::<Crossbeam>(),
        entry::<Dualq>(),
        entry::<RawQueue>(),
        entry::<RawStack>(),
        entry::<Kanal>(),
        entry::<Flume>(),
        entry::<Std>(),
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
    },
    PingPong {
        round_trips: u64,
    },
    Fairness {
        receivers: usize,
        messages: u64,
        pace: Duration,
    },
}

#[derive(Clone, Debug)]
struct Workload {
    name: String,
    kind: Kind,
}

/// One run's result.
enum Sample {
    Run(Run),
    Fair(Run, Fairness),
}

impl Sample {
    fn run(&self) -> &Run {
        match self {
            Sample::Run(r) | Sample::Fair(r, _) => r,
        }
    }
}

/// Command-line options.
#[derive(Debug)]
struct Options {
    quick: bool,
    rounds: usize,
    threads: Option<Vec<usize>>,
    only: Vec<String>,
    impls: Vec<String>,
    scale: f64,
    paces: Vec<Duration>,
    out: PathBuf,
    run_limit: Duration,
}

const HELP: &str = "\
cargo run --release --example compare -- [OPTIONS]

  --quick             fewer messages and 5 rounds (under a minute on 2 cores); numbers are rough
  --rounds N          rounds per workload (default 7; --quick 5); medians are over rounds
  --threads LIST      e.g. 1,2,4,8,16: replace the fixed producer/consumer sets of the
                      unbounded and rendezvous throughput workloads by N producers/N consumers
                      for each N (a scalability sweep)
  --only LIST         run only workloads whose name contains one of these (comma-separated),
                      e.g. --only rendezvous,ping
  --impls LIST        run only these implementations (names as in the table; crossbeam-channel
                      is always kept as the baseline), e.g. --impls dualq,kanal
  --scale F           multiply every message count by F (default 1)
  --pace-us LIST      pause after each send in the paced workloads, microseconds (default
                      100,20): one fairness workload per value; slow senders use the first.
                      Pauses under 50 µs spin (the sender keeps a core busy), longer ones sleep
  --out DIR           where report.md, samples.csv and the SVGs go (default target/compare,
                      under $CARGO_TARGET_DIR when that is set)
  --run-limit-s N     abort if a single run takes longer than N seconds (default 300)
  -h, --help          this text
";

fn parse_list<T: std::str::FromStr>(s: &str, what: &str) -> Vec<T> {
    s.split(',')
        .filter(|x| !x.trim().is_empty())
        .map(|x| {
            x.trim()
                .parse()
                .unwrap_or_else(|_| fail(&format!("bad {what}: {x:?}")))
        })
        .collect()
}

fn fail(msg: &str) -> ! {
    eprintln!("compare: {msg}\n\n{HELP}");
    std::process::exit(2);
}

fn parse_options() -> Options {
    let mut o = Options {
        quick: false,
        rounds: 0,
        threads: None,
        only: Vec::new(),
        impls: Vec::new(),
        scale: 1.0,
        paces: vec![Duration::from_micros(100), Duration::from_micros(20)],
        out: std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(
                || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
                PathBuf::from,
            )
            .join("compare"),
        run_limit: Duration::from_secs(300),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .unwrap_or_else(|| fail(&format!("{key} needs a value")))
        };
        match key.as_str() {
            "--quick" => o.quick = true,
            "--rounds" => o.rounds = parse_list(&value(), "--rounds")[0],
            "--threads" => o.threads = Some(parse_list(&value(), "--threads")),
            "--only" => o.only = parse_list(&value(), "--only"),
            "--impls" => o.impls = parse_list(&value(), "--impls"),
            "--scale" => o.scale = parse_list(&value(), "--scale")[0],
            "--pace-us" => {
                o.paces = parse_list(&value(), "--pace-us")
                    .into_iter()
                    .map(Duration::from_micros)
                    .collect();
                if o.paces.is_empty() {
                    fail("--pace-us needs at least one value");
                }
            }
            "--out" => o.out = PathBuf::from(value()),
            "--run-limit-s" => {
                o.run_limit = Duration::from_secs(parse_list(&value(), "--run-limit-s")[0])
            }
            "-h" | "--help" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            // `cargo bench` passes this to every target; ignore it.
            "--bench" => {}
            other => fail(&format!("unknown option {other:?}")),
        }
    }
    if o.rounds == 0 {
        o.rounds = if o.quick { 5 } else { 7 };
    }
    if o.threads.as_ref().is_some_and(|t| t.contains(&0)) {
        fail("--threads counts must be at least 1");
    }
    o
}

/// The workloads to run, with message counts for a full or a quick run.
fn workloads(o: &Options) -> Vec<Workload> {
    let n = |full: u64, quick: u64| {
        let base = if o.quick { quick } else { full };
        ((base as f64 * o.scale).round() as u64).max(1)
    };
    let (unbounded_m, rendezvous_m) = (n(1_000_000, 100_000), n(100_000, 10_000));
    let mut w = Vec::new();
    let throughput = |flavor, p, c| {
        let (label, messages) = match flavor {
            Flavor::Unbounded => ("unbounded", unbounded_m),
            Flavor::Rendezvous => ("rendezvous", rendezvous_m),
        };
        Workload {
            name: format!("{label} {p}P/{c}C"),
            kind: Kind::Throughput {
                flavor,
                producers: p,
                consumers: c,
                messages,
                pace: None,
            },
        }
    };
    match &o.threads {
        None => {
            for (p, c) in [(1, 1), (4, 1), (4, 4), (8, 8)] {
                w.push(throughput(Flavor::Unbounded, p, c));
            }
            for (p, c) in [(1, 1), (4, 4)] {
                w.push(throughput(Flavor::Rendezvous, p, c));
            }
        }
        Some(ts) => {
            for &t in ts {
                w.push(throughput(Flavor::Unbounded, t, t));
            }
            for &t in ts {
                w.push(throughput(Flavor::Rendezvous, t, t));
            }
        }
    }
    w.push(Workload {
        name: "ping-pong".into(),
        kind: Kind::PingPong {
            round_trips: n(50_000, 5_000),
        },
    });
    for &pace in &o.paces {
        let how = if pace < workloads::SPIN_BELOW {
            "spin"
        } else {
            "sleep"
        };
        w.push(Workload {
            name: format!("fairness 8 receivers, pace {} µs {how}", pace.as_micros()),
            kind: Kind::Fairness {
                receivers: 8,
                messages: n(4_000, 600),
                pace,
            },
        });
    }
    w.push(Workload {
        name: "slow senders rendezvous 4P/4C".into(),
        kind: Kind::Throughput {
            flavor: Flavor::Rendezvous,
            producers: 4,
            consumers: 4,
            messages: n(8_000, 1_200),
            pace: Some(o.paces[0]),
        },
    });
    if !o.only.is_empty() {
        w.retain(|w| o.only.iter().any(|s| w.name.contains(s.as_str())));
    }
    w
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
    *CURRENT.lock().expect("poisoned") = Some((format!("{} / {}", w.name, e.name), Instant::now()));
    let sample = match w.kind {
        Kind::Throughput {
            flavor,
            producers,
            consumers,
            messages,
            pace,
        } => Sample::Run((e.throughput)(flavor, producers, consumers, messages, pace)),
        Kind::PingPong { round_trips } => Sample::Run((e.ping_pong)(round_trips)),
        Kind::Fairness {
            receivers,
            messages,
            pace,
        } => {
            let r = (e.fairness)(receivers, messages, pace);
            Sample::Fair(r.run, stats::fairness(&r.waits, r.sending_from))
        }
    };
    *CURRENT.lock().expect("poisoned") = None;
    sample
}

/// Results of one workload: `samples[impl][round]`.
pub(crate) struct Results {
    workload: Workload,
    names: Vec<&'static str>,
    samples: Vec<Vec<Sample>>,
}

/// Messages per second of a run.
fn rate(r: &Run) -> f64 {
    r.messages as f64 / r.elapsed.as_secs_f64()
}

/// CPU seconds per million messages of a run (NaN where CPU time is not measurable).
fn cpu_per_million(r: &Run) -> f64 {
    match r.cpu {
        Some(cpu) => cpu.as_secs_f64() / (r.messages as f64 / 1e6),
        None => f64::NAN,
    }
}

impl Results {
    fn column(&self, i: usize, f: impl Fn(&Sample) -> f64) -> Vec<f64> {
        self.samples[i].iter().map(f).collect()
    }

    fn baseline(&self) -> Option<usize> {
        self.names.iter().position(|n| *n == BASELINE)
    }

    /// The headline metric of this workload for one sample.
    fn headline_value(&self, s: &Sample) -> f64 {
        match self.workload.kind {
            Kind::Throughput { pace: None, .. } => rate(s.run()) / 1e6,
            Kind::Throughput { pace: Some(_), .. } => cpu_per_million(s.run()),
            Kind::PingPong { .. } => s.run().elapsed.as_secs_f64() * 1e6 / s.run().messages as f64,
            Kind::Fairness { .. } => match s {
                Sample::Fair(_, f) => f.overtaken_pct,
                Sample::Run(_) => f64::NAN,
            },
        }
    }

    /// The headline metric of implementation `i`, one value per round.
    fn headline_column(&self, i: usize) -> Vec<f64> {
        self.column(i, |s| self.headline_value(s))
    }

    /// The headline metric of implementation `i`: the median over rounds.
    fn headline(&self, i: usize) -> f64 {
        median(&self.headline_column(i))
    }

    /// The headline metric's unit, and whether higher is better.
    fn headline_unit(&self) -> (&'static str, bool) {
        match self.workload.kind {
            Kind::Throughput { pace: None, .. } => ("Mmsg/s", true),
            Kind::Throughput { pace: Some(_), .. } => ("CPU-s per M msgs", false),
            Kind::PingPong { .. } => ("µs per round trip", false),
            Kind::Fairness { .. } => ("overtaken %", false),
        }
    }
}

fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        "n/a".into()
    } else if x == 0.0 {
        "0".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

fn ratio(x: f64, base: f64) -> String {
    if x.is_nan() || base.is_nan() || base == 0.0 {
        "n/a".into()
    } else {
        format!("{:.2}×", x / base)
    }
}

/// The markdown table of one workload.
fn table(r: &Results, out: &mut String) {
    let base = r.baseline();
    let med = |i: usize, f: &dyn Fn(&Sample) -> f64| median(&r.column(i, f));
    let cpu = |s: &Sample| cpu_per_million(s.run());
    let _ = writeln!(out, "### {}\n", r.workload.name);
    match r.workload.kind {
        Kind::Throughput {
            pace: None,
            messages,
            ..
        } => {
            let _ = writeln!(
                out,
                "{messages} messages per run. Higher throughput is better; ratio = impl / crossbeam.\n"
            );
            let _ = writeln!(
                out,
                "| implementation | Mmsg/s (median) | min – max | vs crossbeam | CPU-s per M msgs |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---:|");
            let tput = |s: &Sample| rate(s.run()) / 1e6;
            let b = base.map_or(f64::NAN, |b| med(b, &tput));
            for (i, name) in r.names.iter().enumerate() {
                let m = med(i, &tput);
                let (lo, hi) = min_max(&r.column(i, tput));
                let _ = writeln!(
                    out,
                    "| {name} | {} | {} – {} | {} | {} |",
                    fmt_num(m),
                    fmt_num(lo),
                    fmt_num(hi),
                    ratio(m, b),
                    fmt_num(med(i, &cpu)),
                );
            }
        }
        Kind::Throughput {
            pace: Some(pace),
            messages,
            ..
        } => {
            let _ = writeln!(
                out,
                "{messages} messages per run, each sender sleeping {} µs after every send. \
                 Lower CPU is better; ratio = impl / crossbeam.\n",
                pace.as_micros()
            );
            let _ = writeln!(
                out,
                "| implementation | CPU-s per M msgs (median) | min – max | vs crossbeam | msgs/s achieved |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---:|");
            let b = base.map_or(f64::NAN, |b| med(b, &cpu));
            for (i, name) in r.names.iter().enumerate() {
                let m = med(i, &cpu);
                let (lo, hi) = min_max(&r.column(i, cpu));
                let _ = writeln!(
                    out,
                    "| {name} | {} | {} – {} | {} | {} |",
                    fmt_num(m),
                    fmt_num(lo),
                    fmt_num(hi),
                    ratio(m, b),
                    fmt_num(med(i, &|s| rate(s.run()))),
                );
            }
        }
        Kind::PingPong { round_trips } => {
            let _ = writeln!(
                out,
                "{round_trips} round trips per run over two unbounded channels. Lower is better; \
                 ratio = impl / crossbeam (time).\n"
            );
            let _ = writeln!(
                out,
                "| implementation | µs per round trip (median) | min – max | vs crossbeam | CPU-s per M round trips |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---:|");
            let lat = |s: &Sample| s.run().elapsed.as_secs_f64() * 1e6 / s.run().messages as f64;
            let b = base.map_or(f64::NAN, |b| med(b, &lat));
            for (i, name) in r.names.iter().enumerate() {
                let m = med(i, &lat);
                let (lo, hi) = min_max(&r.column(i, lat));
                let _ = writeln!(
                    out,
                    "| {name} | {} | {} – {} | {} | {} |",
                    fmt_num(m),
                    fmt_num(lo),
                    fmt_num(hi),
                    ratio(m, b),
                    fmt_num(med(i, &cpu)),
                );
            }
        }
        Kind::Fairness {
            receivers,
            messages,
            pace,
        } => {
            let _ = writeln!(
                out,
                "{receivers} receivers loop on `recv`; one sender sends {messages} messages, \
                 pausing {} µs after each (a pause under {} µs is a spin, so the sender keeps a \
                 core busy and the CPU column includes it; a longer one is a sleep, and the \
                 receivers really block). *Overtaken %*: deliveries made while another receiver \
                 that started waiting earlier still waited. *Inversions/msg*: such (older waiter, \
                 delivery) pairs per message. *Jain*: (Σx)²/(n·Σx²) over per-receiver counts \
                 (1 = equal shares, {:.3} = one receiver takes all). Waits are per `recv` call that \
                 returned a message. Every column is the median over rounds; lower is better \
                 except Jain.\n",
                pace.as_micros(),
                workloads::SPIN_BELOW.as_micros(),
                1.0 / receivers as f64
            );
            let _ = writeln!(
                out,
                "| implementation | overtaken % | inversions/msg | Jain | p50 wait µs | p99 wait µs | p99 vs crossbeam | max wait µs | CPU-s per M msgs |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            let fair = |f: fn(&Fairness) -> f64| {
                move |s: &Sample| match s {
                    Sample::Fair(_, x) => f(x),
                    Sample::Run(_) => f64::NAN,
                }
            };
            let p99 = fair(|f| f.wait_quantile(0.99).as_secs_f64() * 1e6);
            let b = base.map_or(f64::NAN, |b| med(b, &p99));
            for (i, name) in r.names.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "| {name} | {} | {} | {:.3} | {} | {} | {} | {} | {} |",
                    fmt_num(med(i, &fair(|f| f.overtaken_pct))),
                    fmt_num(med(i, &fair(|f| f.inversions_per_msg))),
                    med(i, &fair(|f| f.jain)),
                    fmt_num(med(i, &fair(|f| f.wait_quantile(0.5).as_secs_f64() * 1e6))),
                    fmt_num(med(i, &p99)),
                    ratio(med(i, &p99), b),
                    fmt_num(med(i, &fair(|f| f.wait_quantile(1.0).as_secs_f64() * 1e6))),
                    fmt_num(med(i, &cpu)),
                );
            }
        }
    }
    let _ = writeln!(out);
}

/// A per-sample metric: its label, whether higher is better, and how to read it.
type Metric = (&'static str, bool, fn(&Sample) -> f64);

fn fair_metric(s: &Sample, f: fn(&Fairness) -> f64) -> f64 {
    match s {
        Sample::Fair(_, x) => f(x),
        Sample::Run(_) => f64::NAN,
    }
}

/// The metrics of a workload that the summary shows.
fn summary_metrics(kind: &Kind) -> Vec<Metric> {
    let cpu: Metric = ("CPU-s per M msgs", false, |s| cpu_per_million(s.run()));
    match kind {
        Kind::Throughput { pace: None, .. } => {
            vec![("Mmsg/s", true, |s| rate(s.run()) / 1e6), cpu]
        }
        Kind::Throughput { pace: Some(_), .. } => vec![cpu],
        Kind::PingPong { .. } => vec![
            ("µs per round trip", false, |s| {
                s.run().elapsed.as_secs_f64() * 1e6 / s.run().messages as f64
            }),
            ("CPU-s per M round trips", false, |s| {
                cpu_per_million(s.run())
            }),
        ],
        Kind::Fairness { .. } => vec![
            ("overtaken %", false, |s| {
                fair_metric(s, |f| f.overtaken_pct)
            }),
            ("Jain", true, |s| fair_metric(s, |f| f.jain)),
            ("p99 wait µs", false, |s| {
                fair_metric(s, |f| f.wait_quantile(0.99).as_secs_f64() * 1e6)
            }),
            cpu,
        ],
    }
}

/// One line per (workload, metric), one column per implementation (medians), plus dualq's
/// ratio to crossbeam-channel and to kanal.
fn summary(results: &[Results], out: &mut String) {
    let Some(first) = results.first() else {
        return;
    };
    let names = &first.names;
    let find = |n: &str| names.iter().position(|x| *x == n);
    let (dualq, kanal) = (find(Dualq::NAME), find(Kanal::NAME));
    let base = find(BASELINE);
    let _ = writeln!(
        out,
        "### Summary (medians over rounds; ↑ higher is better, ↓ lower is better)\n"
    );
    let _ = write!(out, "| workload | metric |");
    for n in names {
        let _ = write!(out, " {n} |");
    }
    let _ = write!(out, " dualq ÷ crossbeam | dualq ÷ kanal |\n|---|---|");
    for _ in names {
        let _ = write!(out, "---:|");
    }
    let _ = writeln!(out, "---:|---:|");
    for r in results {
        for (label, up, f) in summary_metrics(&r.workload.kind) {
            let _ = write!(
                out,
                "| {} | {label} {} |",
                r.workload.name,
                if up { "↑" } else { "↓" }
            );
            let medians: Vec<f64> = (0..r.names.len())
                .map(|i| median(&r.column(i, f)))
                .collect();
            for m in &medians {
                let _ = write!(out, " {} |", fmt_num(*m));
            }
            let at = |i: Option<usize>| i.map_or(f64::NAN, |i| medians[i]);
            let _ = writeln!(
                out,
                " {} | {} |",
                ratio(at(dualq), at(base)),
                ratio(at(dualq), at(kanal))
            );
        }
    }
    let _ = writeln!(out);
}

fn csv(results: &[Results]) -> String {
    let mut s = String::from(
        "workload,implementation,round,elapsed_s,messages,cpu_s,overtaken_pct,inversions_per_msg,jain,p50_wait_us,p99_wait_us,max_wait_us\n",
    );
    for r in results {
        for (i, name) in r.names.iter().enumerate() {
            for (round, sample) in r.samples[i].iter().enumerate() {
                let run = sample.run();
                let _ = write!(
                    s,
                    "{},{},{},{:.6},{},{}",
                    r.workload.name,
                    name,
                    round + 1,
                    run.elapsed.as_secs_f64(),
                    run.messages,
                    run.cpu
                        .map_or(String::new(), |c| format!("{:.6}", c.as_secs_f64())),
                );
                match sample {
                    Sample::Fair(_, f) => {
                        let _ = writeln!(
                            s,
                            ",{:.4},{:.4},{:.4},{:.1},{:.1},{:.1}",
                            f.overtaken_pct,
                            f.inversions_per_msg,
                            f.jain,
                            f.wait_quantile(0.5).as_secs_f64() * 1e6,
                            f.wait_quantile(0.99).as_secs_f64() * 1e6,
                            f.wait_quantile(1.0).as_secs_f64() * 1e6,
                        );
                    }
                    Sample::Run(_) => s.push_str(",,,,,,\n"),
                }
            }
        }
    }
    s
}

fn main() {
    let o = parse_options();
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
    start_watchdog(o.run_limit);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let started = Instant::now();
    let mut results = Vec::new();
    for (k, w) in workloads.iter().enumerate() {
        let t = Instant::now();
        eprint!(
            "[{}/{}] {:<32} {} impls × {} rounds ...",
            k + 1,
            workloads.len(),
            w.name,
            impls.len(),
            o.rounds
        );
        let mut samples: Vec<Vec<Sample>> = impls.iter().map(|_| Vec::new()).collect();
        for round in 0..o.rounds {
            // Rotate who goes first, so no implementation always runs right after the same one.
            for j in 0..impls.len() {
                let i = (j + round) % impls.len();
                samples[i].push(run_one(&impls[i], w));
            }
        }
        let r = Results {
            workload: w.clone(),
            names: impls.iter().map(|e| e.name).collect(),
            samples,
        };
        let (unit, _) = r.headline_unit();
        let line: Vec<String> = (0..impls.len())
            .map(|i| format!("{} {}", impls[i].name, fmt_num(r.headline(i))))
            .collect();
        eprintln!(
            " {:.1} s; {unit}: {}",
            t.elapsed().as_secs_f64(),
            line.join(", ")
        );
        results.push(r);
    }

    let mut report = String::new();
    let _ = writeln!(
        report,
        "## dualq comparison report{}\n",
        if o.quick {
            " (--quick: rough numbers)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        report,
        "{cores} cores ({} {}), {} rounds per workload, implementations interleaved round by \
         round; medians over rounds; ratios against {BASELINE} from the same run. CPU = process \
         user+system time (getrusage) over the run. Total time {:.0} s. Command: `{}`.\n",
        std::env::consts::OS,
        std::env::consts::ARCH,
        o.rounds,
        started.elapsed().as_secs_f64(),
        std::env::args().collect::<Vec<_>>().join(" "),
    );
    summary(&results, &mut report);
    for r in &results {
        table(r, &mut report);
    }
    print!("{report}");

    if let Err(e) = std::fs::create_dir_all(&o.out) {
        fail(&format!("cannot create {}: {e}", o.out.display()));
    }
    let write = |name: &str, text: &str| {
        let path = o.out.join(name);
        match std::fs::write(&path, text) {
            Ok(()) => eprintln!("wrote {}", path.display()),
            Err(e) => eprintln!("compare: cannot write {}: {e}", path.display()),
        }
    };
    write("report.md", &report);
    write("samples.csv", &csv(&results));
    let plots = [
        (
            "throughput.svg",
            plot::throughput(&o.out.join("throughput.svg"), &results),
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
