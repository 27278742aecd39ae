//! A worker pool fed through one shared channel, run four ways: on `dualq::channel` (cloned
//! receivers), on `std::sync::mpsc` (the receiver shared behind `Arc<Mutex<_>>`, the usual way,
//! since std's receiver cannot be cloned), on `dualq::channel` ported from that std code with
//! the `Arc<Mutex<_>>` kept, and on `crossbeam-channel` (cloned receivers).
//!
//! ```text
//! cargo run --release --example worker_pool [workers] [bursts]
//! ```
//!
//! Eight workers each loop: `recv` a job, run it (about 50 µs of busy work), repeat. A
//! dispatcher sends the jobs in bursts of four, one burst per millisecond, so at any moment
//! some workers are busy and the others wait in `recv`. The work is the same for all three
//! channels; only the way waiting workers are picked differs.
//!
//! # What to look for
//!
//! For each worker the report prints its **share** of the jobs and its **worst wait**: the
//! longest time it spent in `recv` before a job came (from the moment it started waiting, or
//! from the first dispatch if it started earlier; a wait that no job ended counts until the
//! dispatcher stopped, so a worker that starves shows it).
//!
//! * `dualq`: a worker that calls `recv` on an empty channel joins the back of a line, and each
//!   send hands its job to the worker at the front. Shares come out (nearly) equal and every
//!   worker's worst wait is about the same: the time for the line to turn over once (workers /
//!   burst size periods, 2 ms with the defaults). A worker that just finished a job cannot
//!   jump the line.
//! * `std` + `Mutex`: the worker holding the mutex waits in `recv`; the others wait for the
//!   mutex. A worker coming back from a job can take the mutex before the thread the last
//!   unlock woke gets to it, so hot workers tend to win again, and the shares and worst waits
//!   spread out.
//! * `dualq + Mutex`: the std version after `use dualq::channel as mpsc;`, with the shared
//!   receiver kept behind its mutex. It compiles and runs, but the mutex decides who waits in
//!   `recv`, exactly as with std, so the fairness that is the reason to switch is lost. **Drop
//!   the mutex when porting: clone the receiver instead** (`dualq` receivers are `Clone` and
//!   `Sync`).
//! * `crossbeam-channel`: a send wakes one waiting receiver, but that receiver must then race
//!   for the job; a worker that is already running (back from its previous job) can take it
//!   first, and the woken one goes back to sleep.
//!
//! The summary lines give the spread of the shares (min and max), Jain's fairness index
//! (1.0 means perfectly equal shares; 1/n means one worker did everything), the worst wait
//! over all workers. A last line, apart, is about the run rather than the channel: the longest
//! gap between two bursts. A gap well over the period means the dispatcher itself was held up
//! (the machine was busy elsewhere), and every worker's wait in that run includes it. Exact
//! numbers vary from run to run and machine to machine (the effect is strongest with fewer
//! cores than workers); the structure of the run does not.

use std::env;
use std::sync::{mpsc as std_mpsc, Arc, Barrier, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// A job: its number. Running it means spinning for `JOB_WORK`.
type Job = u64;

const JOB_WORK: Duration = Duration::from_micros(50);
const BURST: usize = 4;
const BURST_EVERY: Duration = Duration::from_millis(1);

/// What one worker reports when the channel closes.
#[derive(Clone, Copy, Debug, Default)]
struct WorkerStats {
    jobs: usize,
    worst_wait: Duration,
}

/// One run of the pool.
struct Run {
    workers: Vec<WorkerStats>,
    /// The longest time between two bursts: the period, unless the dispatcher was held up.
    longest_gap: Duration,
}

/// Runs the pool on one kind of channel: `(workers, bursts)`.
type PoolFn = fn(usize, usize) -> Run;

/// One summary line's cell: `(run, jobs)`.
type SummaryFn = fn(&Run, usize) -> String;

/// The receiving side as a worker sees it: `None` once the channel is closed.
type Take = Box<dyn FnMut() -> Option<Job> + Send>;

/// Runs the pool once: `takes[i]` is worker i's way to receive, `send` the dispatcher's.
fn run_pool(takes: Vec<Take>, mut send: impl FnMut(Job), bursts: usize) -> Run {
    let workers = takes.len();
    let start_line = Arc::new(Barrier::new(workers + 1));
    let first_dispatch: Arc<OnceLock<Instant>> = Arc::new(OnceLock::new());
    let closed: Arc<OnceLock<Instant>> = Arc::new(OnceLock::new());
    let handles: Vec<_> = takes
        .into_iter()
        .map(|mut take| {
            let start_line = Arc::clone(&start_line);
            let first_dispatch = Arc::clone(&first_dispatch);
            let closed = Arc::clone(&closed);
            thread::spawn(move || {
                let mut stats = WorkerStats::default();
                start_line.wait();
                loop {
                    let began = Instant::now();
                    let job = take();
                    // Both instants are set before the sends (the close) that end this wait.
                    let t0 = *first_dispatch
                        .get()
                        .expect("woken before the first dispatch");
                    let Some(job) = job else {
                        // The last wait, ended by the close: it counts up to the moment the
                        // dispatcher stopped (a worker that never got a job waited all along).
                        let end = *closed.get().expect("closed without a close time");
                        let wait = end.saturating_duration_since(began.max(t0));
                        stats.worst_wait = stats.worst_wait.max(wait);
                        break;
                    };
                    let wait = Instant::now().saturating_duration_since(began.max(t0));
                    stats.worst_wait = stats.worst_wait.max(wait);
                    stats.jobs += 1;
                    work(job);
                }
                stats
            })
        })
        .collect();
    start_line.wait();
    // Let every worker reach `recv` before the first job.
    thread::sleep(Duration::from_millis(20));
    let t0 = Instant::now();
    first_dispatch.set(t0).unwrap();
    let mut next_job = 0;
    let mut due = t0;
    let mut last_burst = t0;
    let mut longest_gap = Duration::ZERO;
    for _ in 0..bursts {
        let now = Instant::now();
        longest_gap = longest_gap.max(now - last_burst);
        last_burst = now;
        for _ in 0..BURST {
            send(next_job);
            next_job += 1;
        }
        // One burst per period. After a stall (the machine was busy elsewhere) the schedule
        // restarts from now instead of catching up with a flood of bursts, which would hand
        // a backlog to whichever worker happens to be running.
        due = (due + BURST_EVERY).max(now);
        if let Some(left) = due.checked_duration_since(Instant::now()) {
            thread::sleep(left);
        }
    }
    closed.set(Instant::now()).unwrap();
    drop(send); // closes the channel: workers drain what is left and stop
    let workers = handles.into_iter().map(|h| h.join().unwrap()).collect();
    Run {
        workers,
        longest_gap,
    }
}

/// The job: busy work for `JOB_WORK`, so a worker stays on its core while it runs.
fn work(job: Job) {
    let until = Instant::now() + JOB_WORK;
    let mut x = job;
    while Instant::now() < until {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
    }
    std::hint::black_box(x);
}

fn with_dualq(workers: usize, bursts: usize) -> Run {
    let (tx, rx) = dualq::channel::unbounded::<Job>();
    let takes = (0..workers)
        .map(|_| {
            let rx = rx.clone();
            Box::new(move || rx.recv().ok()) as Take
        })
        .collect();
    drop(rx);
    run_pool(takes, move |job| tx.send(job).unwrap(), bursts)
}

fn with_std(workers: usize, bursts: usize) -> Run {
    let (tx, rx) = std_mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let takes = (0..workers)
        .map(|_| {
            let rx = Arc::clone(&rx);
            // The lock is held while waiting in `recv`, and released as soon as a job came.
            Box::new(move || rx.lock().unwrap().recv().ok()) as Take
        })
        .collect();
    drop(rx);
    run_pool(takes, move |job| tx.send(job).unwrap(), bursts)
}

/// The std version ported with `use dualq::channel as mpsc;` and nothing else changed: the
/// receiver is still shared behind a mutex.
fn with_dualq_behind_a_mutex(workers: usize, bursts: usize) -> Run {
    use dualq::channel as mpsc;
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let takes = (0..workers)
        .map(|_| {
            let rx = Arc::clone(&rx);
            Box::new(move || rx.lock().unwrap().recv().ok()) as Take
        })
        .collect();
    drop(rx);
    run_pool(takes, move |job| tx.send(job).unwrap(), bursts)
}

fn with_crossbeam(workers: usize, bursts: usize) -> Run {
    let (tx, rx) = crossbeam_channel::unbounded::<Job>();
    let takes = (0..workers)
        .map(|_| {
            let rx = rx.clone();
            Box::new(move || rx.recv().ok()) as Take
        })
        .collect();
    drop(rx);
    run_pool(takes, move |job| tx.send(job).unwrap(), bursts)
}

/// Jain's fairness index of the shares: (Σx)² / (n·Σx²).
fn jain(stats: &[WorkerStats]) -> f64 {
    let sum: f64 = stats.iter().map(|s| s.jobs as f64).sum();
    let squares: f64 = stats.iter().map(|s| (s.jobs as f64).powi(2)).sum();
    if squares == 0.0 {
        return 1.0;
    }
    sum * sum / (stats.len() as f64 * squares)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let mut args = env::args().skip(1);
    let workers: usize = args
        .next()
        .map_or(8, |a| a.parse().expect("workers: a number"));
    let bursts: usize = args
        .next()
        .map_or(300, |a| a.parse().expect("bursts: a number"));
    assert!(
        workers > 0 && bursts > 0,
        "need at least one worker and one burst"
    );
    let jobs = bursts * BURST;

    println!(
        "Worker pool: {workers} workers, {jobs} jobs in bursts of {BURST} every {}, \
         each job ~{} µs of work; {} CPU(s).",
        ms(BURST_EVERY),
        JOB_WORK.as_micros(),
        thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "Per worker: share of the jobs (fair share {:.1}%) and worst wait in recv.\n",
        100.0 / workers as f64
    );

    let runs: [(&str, PoolFn); 4] = [
        ("dualq (fair)", with_dualq),
        ("std mpsc + Mutex", with_std),
        ("dualq + Mutex", with_dualq_behind_a_mutex),
        ("crossbeam-channel", with_crossbeam),
    ];
    let results: Vec<(&str, Run)> = runs
        .iter()
        .map(|(name, run)| (*name, run(workers, bursts)))
        .collect();

    for (name, run) in &results {
        let done: usize = run.workers.iter().map(|s| s.jobs).sum();
        assert_eq!(done, jobs, "{name}: jobs lost or duplicated");
    }

    const COL: usize = 24;
    print!("{:<8}", "worker");
    for (name, _) in &results {
        print!("{name:>COL$}");
    }
    println!();
    print!("{:<8}", "");
    for _ in &results {
        print!("{:>COL$}", "share    worst wait");
    }
    println!();
    for w in 0..workers {
        print!("{w:<8}");
        for (_, run) in &results {
            let s = run.workers[w];
            let share = 100.0 * s.jobs as f64 / jobs as f64;
            print!(
                "{:>COL$}",
                format!("{share:5.1}%  {:>10}", ms(s.worst_wait))
            );
        }
        println!();
    }
    println!("{}", "-".repeat(8 + COL * results.len()));
    let summary: [(&str, SummaryFn); 3] = [
        ("min/max", |run, jobs| {
            let min = run.workers.iter().map(|w| w.jobs).min().unwrap_or(0);
            let max = run.workers.iter().map(|w| w.jobs).max().unwrap_or(0);
            let pct = |n: usize| 100.0 * n as f64 / jobs as f64;
            format!("{:.1}% / {:.1}%", pct(min), pct(max))
        }),
        ("Jain", |run, _| format!("{:.3}", jain(&run.workers))),
        ("worst", |run, _| {
            ms(run
                .workers
                .iter()
                .map(|w| w.worst_wait)
                .max()
                .unwrap_or_default())
        }),
    ];
    for (label, line) in summary {
        print!("{label:<8}");
        for (_, run) in &results {
            print!("{:>COL$}", line(run, jobs));
        }
        println!();
    }
    println!(
        "\nmin/max: the smallest and largest share; Jain: Jain's fairness index, 1.000 = equal \
         shares;\nworst: the longest any worker waited in recv."
    );
    println!("\nThe dispatcher, not the channel: the longest pause between two bursts in each run");
    print!("{:<8}", "gap");
    for (_, run) in &results {
        print!("{:>COL$}", ms(run.longest_gap));
    }
    println!(
        "\n(the period is {}; more means the machine held the dispatcher up, and every wait in \
         that run includes it).",
        ms(BURST_EVERY)
    );
}
