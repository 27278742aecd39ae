//! The report's text: the markdown tables (summary and one per workload) and the CSV of every
//! sample.

use crate::impls::{Dualq, Flavor, Imp};
use crate::stats::{jain, median, min_max, Fairness};
use crate::workloads::{self, Burst, Run};
use crate::{Kind, Workload};
use std::fmt::Write as _;

/// One run's result.
#[derive(Debug)]
pub(crate) enum Sample {
    Run(Run),
    Fair(Run, Fairness),
    /// A memory burst; `None` where memory could not be read.
    Mem(Run, Option<Burst>),
}

impl Sample {
    pub(crate) fn run(&self) -> &Run {
        match self {
            Sample::Run(r) | Sample::Fair(r, _) | Sample::Mem(r, _) => r,
        }
    }
}

/// Results of one workload: `samples[impl][round]` for the implementations in `names`.
#[derive(Debug)]
pub(crate) struct Results {
    pub(crate) workload: Workload,
    /// The implementations that ran, in the order of the columns.
    pub(crate) names: Vec<&'static str>,
    /// The implementations that cannot run this workload, and why.
    pub(crate) skipped: Vec<(&'static str, String)>,
    pub(crate) samples: Vec<Vec<Sample>>,
}

/// Messages per second of a run.
pub(crate) fn rate(r: &Run) -> f64 {
    r.messages as f64 / r.elapsed.as_secs_f64()
}

/// CPU seconds per million messages of a run (NaN where CPU time is not measurable).
pub(crate) fn cpu_per_million(r: &Run) -> f64 {
    match r.usage {
        Some(u) => u.cpu.as_secs_f64() / (r.messages as f64 / 1e6),
        None => f64::NAN,
    }
}

/// Context switches per message: (voluntary, involuntary); NaN where not measurable.
pub(crate) fn switches_per_msg(r: &Run) -> (f64, f64) {
    match r.usage {
        Some(u) => {
            let m = r.messages as f64;
            (u.voluntary as f64 / m, u.involuntary as f64 / m)
        }
        None => (f64::NAN, f64::NAN),
    }
}

fn total_switches_per_msg(r: &Run) -> f64 {
    let (v, i) = switches_per_msg(r);
    v + i
}

/// Jain's index over a run's per-thread shares; NaN with a single thread (nothing to share).
pub(crate) fn shares_jain(r: &Run) -> f64 {
    if r.shares.len() > 1 {
        jain(&r.shares)
    } else {
        f64::NAN
    }
}

fn latency_us(r: &Run) -> f64 {
    r.elapsed.as_secs_f64() * 1e6 / r.messages as f64
}

fn fair_metric(s: &Sample, f: fn(&Fairness) -> f64) -> f64 {
    match s {
        Sample::Fair(_, x) => f(x),
        _ => f64::NAN,
    }
}

/// A memory figure of a burst in MiB; NaN for other samples or where memory was not readable.
fn mem_mib(s: &Sample, f: fn(&Burst) -> u64) -> f64 {
    match s {
        Sample::Mem(_, Some(b)) => f(b) as f64 / (1024.0 * 1024.0),
        _ => f64::NAN,
    }
}

impl Results {
    pub(crate) fn column(&self, i: usize, f: impl Fn(&Sample) -> f64) -> Vec<f64> {
        self.samples[i].iter().map(f).collect()
    }

    /// The median of a metric for the implementation called `name`; NaN if it did not run.
    fn median_of(&self, name: &str, f: &dyn Fn(&Sample) -> f64) -> f64 {
        self.names
            .iter()
            .position(|n| *n == name)
            .map_or(f64::NAN, |i| median(&self.column(i, f)))
    }

    /// The headline metric of this workload for one sample.
    fn headline_value(&self, s: &Sample) -> f64 {
        match self.workload.kind {
            Kind::Throughput { pace: None, .. } => rate(s.run()) / 1e6,
            Kind::Throughput { pace: Some(_), .. } => cpu_per_million(s.run()),
            Kind::PingPong { .. } => latency_us(s.run()),
            Kind::Fairness { .. } | Kind::SenderFairness { .. } => {
                fair_metric(s, |f| f.overtaken_pct)
            }
            Kind::Burst { .. } => mem_mib(s, |b| b.peak),
        }
    }

    /// The headline metric of implementation `i`, one value per round.
    pub(crate) fn headline_column(&self, i: usize) -> Vec<f64> {
        self.column(i, |s| self.headline_value(s))
    }

    /// The headline metric of implementation `i`: the median over rounds.
    pub(crate) fn headline(&self, i: usize) -> f64 {
        median(&self.headline_column(i))
    }

    /// The headline metric's unit, and whether higher is better.
    pub(crate) fn headline_unit(&self) -> (&'static str, bool) {
        match self.workload.kind {
            Kind::Throughput { pace: None, .. } => ("Mmsg/s", true),
            Kind::Throughput { pace: Some(_), .. } => ("CPU-s per M msgs", false),
            Kind::PingPong { .. } => ("µs per round trip", false),
            Kind::Fairness { .. } | Kind::SenderFairness { .. } => ("overtaken %", false),
            Kind::Burst { .. } => ("peak RSS MiB", false),
        }
    }
}

pub(crate) fn fmt_num(x: f64) -> String {
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

/// A table row: the implementation's name, then the cells.
fn row(out: &mut String, name: &str, cells: &[String]) {
    let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
}

/// A table's header line and alignment line; the first column is left-aligned.
fn header(out: &mut String, columns: &[&str]) {
    let _ = writeln!(out, "| {} |", columns.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(columns.len() - 1));
}

/// An implementation's name in ratio labels ("vs crossbeam", "dualq ÷ flume").
pub(crate) fn short_name(name: &str) -> &str {
    match name {
        "crossbeam-channel" => "crossbeam",
        other => other,
    }
}

/// The markdown table of one workload.
pub(crate) fn table(r: &Results, out: &mut String) {
    let baseline = r.workload.kind.baseline();
    let base = r.names.iter().position(|n| *n == baseline);
    let short = short_name(baseline);
    let vs = format!("vs {short}");
    let med = |i: usize, f: &dyn Fn(&Sample) -> f64| median(&r.column(i, f));
    let cpu = |s: &Sample| cpu_per_million(s.run());
    let vol = |s: &Sample| switches_per_msg(s.run()).0;
    let invol = |s: &Sample| switches_per_msg(s.run()).1;
    let _ = writeln!(out, "### {}\n", r.workload.title());
    match r.workload.kind {
        Kind::Throughput {
            pace: None,
            messages,
            consumers,
            tasks,
            ..
        } => {
            let _ = writeln!(
                out,
                "{messages} messages per run{}. Higher throughput is better; ratio = impl / \
                 {short}. Context switches are per message (voluntary: a thread blocked; \
                 involuntary: preempted or yielded).{}\n",
                if tasks {
                    format!(
                        ", every sender and receiver an async task on one tokio multi-thread \
                         runtime with {} worker threads",
                        crate::async_workloads::WORKERS
                    )
                } else {
                    String::new()
                },
                if consumers > 1 {
                    " Jain: (Σx)²/(n·Σx²) over the receivers' message counts."
                } else {
                    ""
                }
            );
            let mut columns = vec![
                "implementation",
                "Mmsg/s (median)",
                "min – max",
                &vs,
                "CPU-s per M msgs",
                "switches/msg vol.",
                "invol.",
            ];
            if consumers > 1 {
                columns.push("Jain (receivers)");
            }
            header(out, &columns);
            let tput = |s: &Sample| rate(s.run()) / 1e6;
            let b = base.map_or(f64::NAN, |b| med(b, &tput));
            for (i, name) in r.names.iter().enumerate() {
                let m = med(i, &tput);
                let (lo, hi) = min_max(&r.column(i, tput));
                let mut cells = vec![
                    fmt_num(m),
                    format!("{} – {}", fmt_num(lo), fmt_num(hi)),
                    ratio(m, b),
                    fmt_num(med(i, &cpu)),
                    fmt_num(med(i, &vol)),
                    fmt_num(med(i, &invol)),
                ];
                if consumers > 1 {
                    cells.push(format!("{:.3}", med(i, &|s| shares_jain(s.run()))));
                }
                row(out, name, &cells);
            }
        }
        Kind::Throughput {
            pace: Some(pace),
            messages,
            ..
        } => {
            let _ = writeln!(
                out,
                "{messages} messages per run, each sender pausing {} µs after every send. \
                 Lower CPU is better; ratio = impl / {short}. Context switches per message.\n",
                pace.as_micros()
            );
            header(
                out,
                &[
                    "implementation",
                    "CPU-s per M msgs (median)",
                    "min – max",
                    &vs,
                    "switches/msg vol.",
                    "invol.",
                    "msgs/s achieved",
                ],
            );
            let b = base.map_or(f64::NAN, |b| med(b, &cpu));
            for (i, name) in r.names.iter().enumerate() {
                let m = med(i, &cpu);
                let (lo, hi) = min_max(&r.column(i, cpu));
                row(
                    out,
                    name,
                    &[
                        fmt_num(m),
                        format!("{} – {}", fmt_num(lo), fmt_num(hi)),
                        ratio(m, b),
                        fmt_num(med(i, &vol)),
                        fmt_num(med(i, &invol)),
                        fmt_num(med(i, &|s| rate(s.run()))),
                    ],
                );
            }
        }
        Kind::PingPong { round_trips } => {
            let _ = writeln!(
                out,
                "{round_trips} round trips per run over two unbounded channels. Lower is better; \
                 ratio = impl / {short} (time). CPU and context switches per round trip.\n"
            );
            header(
                out,
                &[
                    "implementation",
                    "µs per round trip (median)",
                    "min – max",
                    &vs,
                    "CPU-s per M round trips",
                    "switches/trip vol.",
                    "invol.",
                ],
            );
            let lat = |s: &Sample| latency_us(s.run());
            let b = base.map_or(f64::NAN, |b| med(b, &lat));
            for (i, name) in r.names.iter().enumerate() {
                let m = med(i, &lat);
                let (lo, hi) = min_max(&r.column(i, lat));
                row(
                    out,
                    name,
                    &[
                        fmt_num(m),
                        format!("{} – {}", fmt_num(lo), fmt_num(hi)),
                        ratio(m, b),
                        fmt_num(med(i, &cpu)),
                        fmt_num(med(i, &vol)),
                        fmt_num(med(i, &invol)),
                    ],
                );
            }
        }
        Kind::Fairness {
            receivers,
            messages,
            pace,
            tasks: true,
        } => {
            let _ = writeln!(
                out,
                "{receivers} receiver tasks loop on their receive (`recv_async` or the peer's \
                 equivalent); one sender task sends {messages} messages, pausing {} µs after \
                 each by yielding to the runtime until the pause has passed (tokio's timer has \
                 millisecond resolution), so it keeps one of the {} worker threads busy. A wait \
                 lasts until the receiving task runs again, so scheduling delay counts. \
                 *Overtaken %*: deliveries made while another receiver that started waiting \
                 earlier still waited. *Inversions/msg*: such (older waiter, delivery) pairs per \
                 message. *Jain*: (Σx)²/(n·Σx²) over per-receiver counts (1 = equal shares, \
                 {:.3} = one receiver takes all). Every column is the median over rounds; lower \
                 is better except Jain.\n",
                pace.as_micros(),
                crate::async_workloads::WORKERS,
                1.0 / receivers as f64
            );
            fairness_rows(r, base, &vs, out);
        }
        Kind::Fairness {
            receivers,
            messages,
            pace,
            tasks: false,
        } => {
            let _ = writeln!(
                out,
                "{receivers} receivers loop on `recv`; one sender sends {messages} messages, \
                 pausing {} µs after each ({}). *Overtaken %*: deliveries made while another \
                 receiver that started waiting earlier still waited. *Inversions/msg*: such \
                 (older waiter, delivery) pairs per message. *Jain*: (Σx)²/(n·Σx²) over \
                 per-receiver counts (1 = equal shares, {:.3} = one receiver takes all). Waits \
                 are per `recv` call that returned a message. Every column is the median over \
                 rounds; lower is better except Jain.\n",
                pace.as_micros(),
                pace_words(pace, "sender", "receivers"),
                1.0 / receivers as f64
            );
            fairness_rows(r, base, &vs, out);
        }
        Kind::SenderFairness {
            flavor,
            senders,
            messages,
            pace,
        } => {
            let _ = writeln!(
                out,
                "{senders} senders loop on `send` into a {flavor} channel; one receiver takes \
                 {messages} messages, pausing {} µs after each ({}), then drops its end. \
                 *Overtaken %*: sends that completed while another sender that started waiting \
                 earlier still waited. *Inversions/msg*: such (older waiter, completed send) \
                 pairs per message. *Jain*: (Σx)²/(n·Σx²) over per-sender counts of accepted \
                 sends (1 = equal shares, {:.3} = one sender takes all). Waits are per `send` \
                 call that was accepted. Every column is the median over rounds; lower is \
                 better except Jain.\n",
                pace.as_micros(),
                pace_words(pace, "receiver", "senders"),
                1.0 / senders as f64
            );
            fairness_rows(r, base, &vs, out);
        }
        Kind::Burst { messages } => {
            let _ = writeln!(
                out,
                "One thread sends {messages} messages into an unbounded channel that nobody \
                 receives from yet, then receives them all, then drops the channel; each run in \
                 a fresh child process. Resident set size above the start, in MiB: at its peak \
                 (the high-water mark), once drained (channel alive), once dropped. What is \
                 still held after the drop is memory the allocator kept or the channel leaked. \
                 Lower is better; ratio = impl / {short} (peak).\n"
            );
            header(
                out,
                &[
                    "implementation",
                    "peak MiB (median)",
                    "min – max",
                    &vs,
                    "drained MiB",
                    "dropped MiB",
                    "Mmsg/s (send all, receive all, drop)",
                ],
            );
            let peak = |s: &Sample| mem_mib(s, |b| b.peak);
            let b = base.map_or(f64::NAN, |b| med(b, &peak));
            for (i, name) in r.names.iter().enumerate() {
                let m = med(i, &peak);
                let (lo, hi) = min_max(&r.column(i, peak));
                row(
                    out,
                    name,
                    &[
                        fmt_num(m),
                        format!("{} – {}", fmt_num(lo), fmt_num(hi)),
                        ratio(m, b),
                        fmt_num(med(i, &|s| mem_mib(s, |b| b.drained))),
                        fmt_num(med(i, &|s| mem_mib(s, |b| b.dropped))),
                        fmt_num(med(i, &|s| rate(s.run()) / 1e6)),
                    ],
                );
            }
        }
    }
    if !r.skipped.is_empty() {
        let list: Vec<String> = r
            .skipped
            .iter()
            .map(|(name, why)| format!("{name} ({why})"))
            .collect();
        let _ = writeln!(out, "\nNot run here: {}.", list.join("; "));
    }
    let _ = writeln!(out);
}

/// How a pause is taken, in words.
fn pace_words(pace: std::time::Duration, pacer: &str, waiters: &str) -> String {
    if pace < workloads::SPIN_BELOW {
        format!(
            "under {} µs the pause is a spin, so the {pacer} keeps a core busy and the CPU \
             column includes it",
            workloads::SPIN_BELOW.as_micros()
        )
    } else {
        format!("a sleep: the {waiters} really block")
    }
}

fn fairness_rows(r: &Results, base: Option<usize>, vs: &str, out: &mut String) {
    let p99_vs = format!("p99 {vs}");
    let med = |i: usize, f: &dyn Fn(&Sample) -> f64| median(&r.column(i, f));
    header(
        out,
        &[
            "implementation",
            "overtaken %",
            "inversions/msg",
            "Jain",
            "p50 wait µs",
            "p99 wait µs",
            &p99_vs,
            "max wait µs",
            "CPU-s per M msgs",
            "switches/msg",
        ],
    );
    let fair = |f: fn(&Fairness) -> f64| move |s: &Sample| fair_metric(s, f);
    let p99 = fair(|f| f.wait_quantile(0.99).as_secs_f64() * 1e6);
    let b = base.map_or(f64::NAN, |b| med(b, &p99));
    for (i, name) in r.names.iter().enumerate() {
        row(
            out,
            name,
            &[
                fmt_num(med(i, &fair(|f| f.overtaken_pct))),
                fmt_num(med(i, &fair(|f| f.inversions_per_msg))),
                format!("{:.3}", med(i, &fair(|f| f.jain))),
                fmt_num(med(i, &fair(|f| f.wait_quantile(0.5).as_secs_f64() * 1e6))),
                fmt_num(med(i, &p99)),
                ratio(med(i, &p99), b),
                fmt_num(med(i, &fair(|f| f.wait_quantile(1.0).as_secs_f64() * 1e6))),
                fmt_num(med(i, &|s| cpu_per_million(s.run()))),
                fmt_num(med(i, &|s| total_switches_per_msg(s.run()))),
            ],
        );
    }
}

/// A per-sample metric: its label, whether higher is better, and how to read it.
type Metric = (&'static str, bool, fn(&Sample) -> f64);

/// The metrics of a workload that the summary shows.
fn summary_metrics(kind: &Kind) -> Vec<Metric> {
    let cpu: Metric = ("CPU-s per M msgs", false, |s| cpu_per_million(s.run()));
    let switches: Metric = ("context switches per msg", false, |s| {
        total_switches_per_msg(s.run())
    });
    match *kind {
        Kind::Throughput {
            pace: None,
            saturation,
            ..
        } => {
            let tput: Metric = ("Mmsg/s", true, |s| rate(s.run()) / 1e6);
            let mut v = vec![tput, cpu];
            if kind.is_handoff() {
                v.push(switches);
            }
            if saturation {
                v.push(("Jain (receivers)", true, |s| shares_jain(s.run())));
            }
            v
        }
        Kind::Throughput { pace: Some(_), .. } => vec![cpu],
        Kind::PingPong { .. } => vec![
            ("µs per round trip", false, |s| latency_us(s.run())),
            ("CPU-s per M round trips", false, |s| {
                cpu_per_million(s.run())
            }),
            ("context switches per round trip", false, |s| {
                total_switches_per_msg(s.run())
            }),
        ],
        Kind::Fairness { .. } | Kind::SenderFairness { .. } => vec![
            ("overtaken %", false, |s| {
                fair_metric(s, |f| f.overtaken_pct)
            }),
            ("Jain", true, |s| fair_metric(s, |f| f.jain)),
            ("p99 wait µs", false, |s| {
                fair_metric(s, |f| f.wait_quantile(0.99).as_secs_f64() * 1e6)
            }),
            cpu,
        ],
        Kind::Burst { .. } => vec![
            ("peak RSS MiB", false, |s| mem_mib(s, |b| b.peak)),
            ("RSS after drop MiB", false, |s| mem_mib(s, |b| b.dropped)),
        ],
    }
}

/// One line per (workload, placement, metric), one column per implementation in `names` that
/// ran any of `results` (medians; "—" where it did not run), plus dualq's ratio to each
/// implementation in `against`.
pub(crate) fn summary(
    results: &[&Results],
    names: &[&'static str],
    against: &[&str],
    out: &mut String,
) {
    let names: Vec<&'static str> = names
        .iter()
        .copied()
        .filter(|n| results.iter().any(|r| r.names.contains(n)))
        .collect();
    let _ = writeln!(
        out,
        "### Summary (medians over rounds; ↑ higher is better, ↓ lower is better; — not run)\n"
    );
    let ratios: Vec<String> = against
        .iter()
        .map(|a| format!("dualq ÷ {}", short_name(a)))
        .collect();
    let mut columns = vec!["workload", "placement", "metric"];
    columns.extend(&names);
    columns.extend(ratios.iter().map(String::as_str));
    let _ = writeln!(out, "| {} |", columns.join(" | "));
    let _ = writeln!(
        out,
        "|---|---|---|{}",
        "---:|".repeat(names.len() + against.len())
    );
    for r in results {
        for (label, up, f) in summary_metrics(&r.workload.kind) {
            let _ = write!(
                out,
                "| {} | {} | {label} {} |",
                r.workload.name,
                r.workload.placement.key(),
                if up { "↑" } else { "↓" }
            );
            for n in &names {
                if r.names.contains(n) {
                    let _ = write!(out, " {} |", fmt_num(r.median_of(n, &f)));
                } else {
                    let _ = write!(out, " — |");
                }
            }
            let at = |n: &str| r.median_of(n, &f);
            for a in against {
                let _ = write!(out, " {} |", ratio(at(Dualq::NAME), at(a)));
            }
            let _ = writeln!(out);
        }
    }
    let _ = writeln!(out);
}

/// A CSV field: quoted when it holds a comma, a quote or a line break (workload names do).
fn csv_field(x: &str) -> String {
    if x.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", x.replace('"', "\"\""))
    } else {
        x.to_string()
    }
}

/// Every sample, one line each.
pub(crate) fn csv(results: &[Results]) -> String {
    let mut s = String::from(
        "workload,placement,implementation,round,elapsed_s,messages,cpu_s,voluntary_switches,\
         involuntary_switches,jain,overtaken_pct,inversions_per_msg,p50_wait_us,p99_wait_us,\
         max_wait_us,rss_peak_bytes,rss_drained_bytes,rss_dropped_bytes\n",
    );
    for r in results {
        for (i, name) in r.names.iter().enumerate() {
            for (round, sample) in r.samples[i].iter().enumerate() {
                let run = sample.run();
                let usage = |f: fn(&crate::usage::Usage) -> String| {
                    run.usage.as_ref().map_or(String::new(), f)
                };
                let _ = write!(
                    s,
                    "{},{},{},{},{:.6},{},{},{},{}",
                    csv_field(&r.workload.name),
                    r.workload.placement.key(),
                    name,
                    round + 1,
                    run.elapsed.as_secs_f64(),
                    run.messages,
                    usage(|u| format!("{:.6}", u.cpu.as_secs_f64())),
                    usage(|u| u.voluntary.to_string()),
                    usage(|u| u.involuntary.to_string()),
                );
                match sample {
                    Sample::Fair(_, f) => {
                        let _ = writeln!(
                            s,
                            ",{:.4},{:.4},{:.4},{:.1},{:.1},{:.1},,,",
                            f.jain,
                            f.overtaken_pct,
                            f.inversions_per_msg,
                            f.wait_quantile(0.5).as_secs_f64() * 1e6,
                            f.wait_quantile(0.99).as_secs_f64() * 1e6,
                            f.wait_quantile(1.0).as_secs_f64() * 1e6,
                        );
                    }
                    Sample::Run(run) => {
                        let j = shares_jain(run);
                        let j = if j.is_nan() {
                            String::new()
                        } else {
                            format!("{j:.4}")
                        };
                        let _ = writeln!(s, ",{j},,,,,,,,");
                    }
                    Sample::Mem(_, b) => {
                        let b = b.map_or(",,".into(), |b| {
                            format!("{},{},{}", b.peak, b.drained, b.dropped)
                        });
                        let _ = writeln!(s, ",,,,,,,{b}");
                    }
                }
            }
        }
    }
    s
}

/// A flavor's family name, for reasons ("bounded(n)" for any capacity).
pub(crate) fn flavor_family(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Unbounded => "unbounded",
        Flavor::Rendezvous => "rendezvous",
        Flavor::Bounded(_) => "bounded(n)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::Placement;
    use crate::workloads::Wait;
    use std::time::{Duration, Instant};

    /// Splits a CSV line into fields, honouring quotes.
    fn fields(line: &str) -> Vec<String> {
        let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => out.push(std::mem::take(&mut cur)),
                (c, _) => cur.push(c),
            }
        }
        out.push(cur);
        out
    }

    /// Every line of the CSV has the header's columns, whatever the workload is called (the
    /// fairness workloads' names hold commas).
    #[test]
    fn csv_lines_have_the_header_columns() {
        let t0 = Instant::now();
        let wait = Wait {
            start: t0,
            end: t0 + Duration::from_micros(5),
            delivered: true,
        };
        let run = Run {
            elapsed: Duration::from_millis(1),
            usage: None,
            messages: 1,
            shares: vec![1],
        };
        let fair = crate::stats::fairness(&[vec![wait]], t0);
        let results = [Results {
            workload: Workload {
                name: "fairness 8 receivers, pace 20 µs spin".into(),
                kind: Kind::Fairness {
                    receivers: 1,
                    messages: 1,
                    pace: Duration::from_micros(20),
                    tasks: false,
                },
                placement: Placement::Unpinned,
            },
            names: vec!["dualq"],
            skipped: Vec::new(),
            samples: vec![vec![
                Sample::Fair(run.clone(), fair),
                Sample::Run(run.clone()),
                Sample::Mem(run.clone(), None),
                Sample::Mem(
                    run,
                    Some(Burst {
                        peak: 3,
                        drained: 2,
                        dropped: 1,
                    }),
                ),
            ]],
        }];
        let text = csv(&results);
        let mut lines = text.lines();
        let columns = fields(lines.next().expect("header")).len();
        for line in lines {
            let f = fields(line);
            assert_eq!(f.len(), columns, "{line}");
            assert_eq!(f[0], "fairness 8 receivers, pace 20 µs spin");
        }
    }

    #[test]
    fn csv_fields_with_commas_are_quoted() {
        assert_eq!(csv_field("ping-pong"), "ping-pong");
        assert_eq!(
            csv_field("fairness 8 receivers, pace 20 µs spin"),
            "\"fairness 8 receivers, pace 20 µs spin\""
        );
        assert_eq!(csv_field("a \"b\", c"), "\"a \"\"b\"\", c\"");
    }
}
