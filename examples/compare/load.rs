//! How busy the machine was while the report ran: the 1-minute load average at the start and
//! after each workload, and, sampled while each workload runs, how many tasks of *other*
//! processes were runnable and how much CPU time the hypervisor stole (Linux `/proc/stat`).
//!
//! Figures measured while other processes compete for the CPUs, or while the host steals
//! them, are not comparable with figures of a quiet machine (the README's handoff numbers were
//! off by 10–100× in a report that started at a load average of 6.5 and said nothing). So the
//! report records the load, and opens with a warning when it was too high to trust.
//!
//! Other processes' runnable tasks are `procs_running` of `/proc/stat` minus this process's
//! threads in state `R` (`/proc/self/task/*/stat`), sampled every [`EVERY`]; the load average
//! alone cannot tell them apart from the workload's own threads, which make it climb by design
//! (a 4P/4C workload keeps up to eight threads runnable on two CPUs).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How often the sampler looks while a workload runs.
const EVERY: Duration = Duration::from_millis(100);

/// The kernel's CPU time counters, summed over all CPUs (the `cpu` line of `/proc/stat`), in
/// clock ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct CpuTimes {
    /// Every state, idle included.
    pub(crate) total: u64,
    /// Time the hypervisor ran another guest on our virtual CPUs (`steal`).
    pub(crate) steal: u64,
}

/// Parses the `cpu` line of `/proc/stat`; `None` if it is missing. A kernel without the
/// `steal` column (before 2.6.11) reads as no steal.
pub(crate) fn parse_cpu_line(stat: &str) -> Option<CpuTimes> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal guest guest_nice: guest time is already
    // counted in user and nice.
    let total = fields.iter().take(8).sum();
    Some(CpuTimes {
        total,
        steal: fields.get(7).copied().unwrap_or(0),
    })
}

/// `procs_running` of `/proc/stat`: tasks runnable right now, machine-wide.
pub(crate) fn parse_procs_running(stat: &str) -> Option<u64> {
    stat.lines()
        .find_map(|l| l.strip_prefix("procs_running "))
        .and_then(|v| v.trim().parse().ok())
}

/// The state letter of a `/proc/<pid>/task/<tid>/stat` line (after the command name, which
/// may itself hold spaces and parentheses).
pub(crate) fn task_state(stat: &str) -> Option<char> {
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// This process's threads that are runnable right now.
fn own_running() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("stat")).ok())
        .filter(|s| task_state(s) == Some('R'))
        .count() as u64
}

/// The 1-minute load average, as a number.
pub(crate) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One look at the machine.
fn sample() -> Option<(CpuTimes, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let times = parse_cpu_line(&stat)?;
    let running = parse_procs_running(&stat)?;
    Some((times, running.saturating_sub(own_running())))
}

/// What the sampler saw during one workload.
#[derive(Clone, Debug, Default)]
pub(crate) struct Window {
    /// The 1-minute load average when the workload ended.
    pub(crate) load_after: Option<f64>,
    /// Mean and highest number of other processes' runnable tasks, over the samples.
    pub(crate) others: Option<(f64, u64)>,
    /// The share of all CPU time stolen by the host, in percent (`None` without `/proc/stat`).
    pub(crate) steal_percent: Option<f64>,
}

/// Samples the machine in a thread of its own while a workload runs.
pub(crate) struct Sampler {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<u64>>>,
    start: Option<CpuTimes>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Sampler {
    /// Starts sampling (a thread that sleeps between samples, so it hardly adds to the load it
    /// measures).
    pub(crate) fn start() -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let start = sample().map(|(times, _)| times);
        let thread = {
            let (stop, seen) = (Arc::clone(&stop), Arc::clone(&seen));
            thread::Builder::new()
                .name("load sampler".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        thread::sleep(EVERY);
                        if let Some((_, others)) = sample() {
                            seen.lock().unwrap().push(others);
                        }
                    }
                })
                .ok()
        };
        Sampler {
            stop,
            seen,
            start,
            thread,
        }
    }

    /// Stops sampling and says what it saw.
    pub(crate) fn finish(mut self) -> Window {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let end = sample();
        let seen = self.seen.lock().unwrap();
        let others = (!seen.is_empty()).then(|| {
            let mean = seen.iter().sum::<u64>() as f64 / seen.len() as f64;
            (mean, seen.iter().copied().max().unwrap_or(0))
        });
        let steal_percent = match (self.start, end) {
            (Some(a), Some((b, _))) if b.total > a.total => {
                Some(100.0 * b.steal.saturating_sub(a.steal) as f64 / (b.total - a.total) as f64)
            }
            _ => None,
        };
        Window {
            load_after: load_average(),
            others,
            steal_percent,
        }
    }
}

/// Steal above this share of the CPU time makes a workload's figures suspect.
const STEAL_WARN_PERCENT: f64 = 10.0;

/// Why the figures of the report may not be comparable with a quiet machine's, if they may
/// not: the load average at the start above the CPU count, other processes keeping (on
/// average, during a workload) more tasks runnable than the CPUs the workload left them, or
/// the host stealing more than [`STEAL_WARN_PERCENT`] of the CPU time. One line per reason,
/// naming the workloads.
pub(crate) fn warning(
    cpus: usize,
    load_at_start: Option<f64>,
    windows: &[(String, Window)],
) -> Option<String> {
    let cpus_f = cpus as f64;
    let mut reasons = Vec::new();
    if let Some(load) = load_at_start.filter(|&l| l > cpus_f) {
        reasons.push(format!(
            "the 1-minute load average was {load:.2} at the start, above the {cpus} CPUs"
        ));
    }
    let busy: Vec<String> = windows
        .iter()
        .filter_map(|(name, w)| {
            let (mean, max) = w.others?;
            // Together with the report's own main thread, the others oversubscribe the CPUs.
            (mean + 1.0 > cpus_f).then(|| format!("{name} ({mean:.1} on average, {max} at most)"))
        })
        .collect();
    if !busy.is_empty() {
        reasons.push(format!(
            "other processes kept more tasks runnable than the {cpus} CPUs could run beside the \
             report's own thread, during {} of the {} workloads: {}",
            busy.len(),
            windows.len(),
            first_few(&busy)
        ));
    }
    let stolen: Vec<String> = windows
        .iter()
        .filter_map(|(name, w)| {
            let steal = w.steal_percent?;
            (steal > STEAL_WARN_PERCENT).then(|| format!("{name} ({steal:.0} %)"))
        })
        .collect();
    if !stolen.is_empty() {
        reasons.push(format!(
            "the host stole more than {STEAL_WARN_PERCENT:.0} % of the CPU time during: {}",
            first_few(&stolen)
        ));
    }
    if reasons.is_empty() {
        return None;
    }
    let mut s = String::from(
        "> **Warning: the machine was busy with other work while this report ran.** Its \
         figures are not comparable with a quiet machine's (handoffs suffer most); rerun it \
         when the machine is idle. Why:\n",
    );
    for reason in reasons {
        let _ = writeln!(s, "> * {reason};");
    }
    Some(s)
}

/// The first few of a list of workloads, and how many more there are.
fn first_few(items: &[String]) -> String {
    const FEW: usize = 5;
    let shown = items[..items.len().min(FEW)].join("; ");
    match items.len().saturating_sub(FEW) {
        0 => shown,
        more => format!("{shown}; and {more} more (see the load table)"),
    }
}

/// The load table: one row per workload.
pub(crate) fn table(load_at_start: Option<f64>, windows: &[(String, Window)], out: &mut String) {
    let _ = writeln!(
        out,
        "### Machine load\n\n1-minute load average {} at the start. For each workload: the \
         load average when it ended (the workload's own threads count in it), the runnable \
         tasks of other processes while it ran (sampled every {} ms: mean / highest; the \
         memory workload's samples run in child processes, which count as others here), and \
         the share of CPU time the host stole.\n",
        load_at_start.map_or("unknown".into(), |l| format!("{l:.2}")),
        EVERY.as_millis()
    );
    let _ = writeln!(
        out,
        "| workload | load average after | other runnable tasks | steal |\n| --- | ---: | ---: | ---: |"
    );
    for (name, w) in windows {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} |",
            w.load_after.map_or("?".into(), |l| format!("{l:.2}")),
            w.others
                .map_or("?".into(), |(mean, max)| format!("{mean:.1} / {max}")),
            w.steal_percent.map_or("?".into(), |s| format!("{s:.1} %")),
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  100 5 50 800 10 1 2 30 0 0\ncpu0 50 2 25 400 5 0 1 15 0 0\n\
                        intr 1 2 3\nprocs_running 3\nprocs_blocked 0\n";

    #[test]
    fn reads_the_cpu_line_and_the_runnable_count() {
        let t = parse_cpu_line(STAT).unwrap();
        assert_eq!(t.total, 100 + 5 + 50 + 800 + 10 + 1 + 2 + 30);
        assert_eq!(t.steal, 30);
        assert_eq!(parse_procs_running(STAT), Some(3));
        // An old kernel without the steal column.
        assert_eq!(parse_cpu_line("cpu  1 2 3 4\n").unwrap().steal, 0);
        assert_eq!(parse_cpu_line("nothing\n"), None);
    }

    #[test]
    fn reads_a_task_state_after_a_command_with_parentheses() {
        assert_eq!(task_state("12 (a (b) c) R 1 2 3"), Some('R'));
        assert_eq!(task_state("12 (sleepy) S 1"), Some('S'));
    }

    fn window(others: f64, steal: f64) -> Window {
        Window {
            load_after: Some(1.0),
            others: Some((others, others.ceil() as u64)),
            steal_percent: Some(steal),
        }
    }

    #[test]
    fn warns_only_for_a_busy_machine_and_says_why() {
        let quiet = [("a".to_owned(), window(0.2, 0.5))];
        assert_eq!(warning(2, Some(0.3), &quiet), None);
        let w = warning(2, Some(6.5), &quiet).unwrap();
        assert!(w.contains("6.50 at the start"), "{w}");
        let busy = [("rendezvous".to_owned(), window(1.5, 0.0))];
        let w = warning(2, Some(0.1), &busy).unwrap();
        assert!(
            w.contains("1 of the 1 workloads: rendezvous (1.5 on average, 2 at most)"),
            "{w}"
        );
        let stolen = [("ping-pong".to_owned(), window(0.0, 25.0))];
        let w = warning(2, None, &stolen).unwrap();
        assert!(w.contains("ping-pong (25 %)"), "{w}");
    }
}
