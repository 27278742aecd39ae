//! A pipeline where async tasks and a pool of OS threads share channels:
//! `cargo run --release --example async_pipeline`.
//!
//! ```text
//!   producer tasks ──send_async──► jobs: bounded(8) ──recv──────► 3 worker threads ──send──┐
//!   (tokio, 2 workers)                       │                    (CPU-bound work)        │
//!                                            └──recv_async──► 1 worker task ──send_async──┤
//!                                                                                         ▼
//!                                         summary ◄── stream() ── results: unbounded ◄────┘
//! ```
//!
//! What it shows:
//!
//! * **One channel, both worlds.** The producers are async tasks, most workers are threads that
//!   block in `recv`, one worker is a task that awaits `recv_async`, and they all use the same
//!   `dualq::channel` ends. Nothing bridges the two: a blocked thread and a waiting task stand
//!   in the same FIFO line, and each value goes to whoever has waited longest.
//! * **Backpressure.** `jobs` holds 8 values; a producer's `send_async` waits (without blocking
//!   its runtime thread) while the workers are behind.
//! * **Disconnection as the end of input.** When the producers finish, their senders drop; the
//!   workers drain the channel, then `recv` fails and they stop; their result senders drop,
//!   and the summary's stream ends.
//! * **Cancellation loses nothing.** The summary task races each `recv_async` against a
//!   progress ticker in `tokio::select!`; each tick drops a pending receive, and no result is
//!   lost.

use dualq::channel::{bounded, unbounded, Receiver, Sender};
use futures::StreamExt;
use std::time::{Duration, Instant};

/// A job: find the primes in a range of numbers.
#[derive(Debug)]
struct Job {
    id: u64,
    from: u64,
    to: u64,
}

/// A job done, and who did it.
#[derive(Debug)]
struct Done {
    id: u64,
    primes: u64,
    worker: String,
}

const PRODUCERS: u64 = 4;
const JOBS_PER_PRODUCER: u64 = 40;
const SPAN: u64 = 5_000;

fn is_prime(n: u64) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

fn work(job: &Job) -> u64 {
    (job.from..job.to).filter(|&n| is_prime(n)).count() as u64
}

/// A worker thread: blocks in `recv` until a job comes, or until every producer is gone and the
/// channel is drained.
fn worker_thread(name: String, jobs: Receiver<Job>, results: Sender<Done>) {
    for job in jobs.iter() {
        let primes = work(&job);
        let done = Done {
            id: job.id,
            primes,
            worker: name.clone(),
        };
        results
            .send(done)
            .expect("the summary outlives the workers");
    }
}

/// A worker task: the same loop, awaiting instead of blocking. (CPU-heavy work belongs on
/// threads, as tokio's `spawn_blocking` says; the jobs here are small.)
async fn worker_task(jobs: Receiver<Job>, results: Sender<Done>) {
    while let Ok(job) = jobs.recv_async().await {
        let primes = work(&job);
        let done = Done {
            id: job.id,
            primes,
            worker: "task".to_string(),
        };
        results
            .send_async(done)
            .await
            .expect("the summary outlives the workers");
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let started = Instant::now();

    let (jobs_tx, jobs_rx) = bounded::<Job>(8);
    let (results_tx, results_rx) = unbounded::<Done>();

    // The thread pool: three plain threads on the same channels as the tasks.
    let threads: Vec<_> = (0..3)
        .map(|i| {
            let (jobs, results) = (jobs_rx.clone(), results_tx.clone());
            std::thread::spawn(move || worker_thread(format!("thread {i}"), jobs, results))
        })
        .collect();
    // One more worker, as a task.
    let task_worker = runtime.spawn(worker_task(jobs_rx, results_tx));

    // The producers: tasks that `send_async` into the bounded channel; they wait whenever
    // the workers are 8 jobs behind.
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let jobs = jobs_tx.clone();
            runtime.spawn(async move {
                for k in 0..JOBS_PER_PRODUCER {
                    let id = p * JOBS_PER_PRODUCER + k;
                    let job = Job {
                        id,
                        from: id * SPAN,
                        to: (id + 1) * SPAN,
                    };
                    jobs.send_async(job).await.expect("workers are running");
                }
            })
        })
        .collect();
    // Only the producers hold job senders now: when they finish, the workers' `recv` fails
    // once the channel is drained.
    drop(jobs_tx);

    // The summary: a task that reads the results and prints progress every 5 ms. Each time
    // the ticker wins the `select!`, the pending `recv_async` loses and is dropped; a result
    // that was being handed to it at that moment is not lost: it goes to the next receive.
    let summary = runtime.spawn(async move {
        let mut seen = vec![false; (PRODUCERS * JOBS_PER_PRODUCER) as usize];
        let mut per_worker = std::collections::BTreeMap::<String, u64>::new();
        let mut primes = 0;
        let mut ticks = 0;
        let mut ticker = tokio::time::interval(Duration::from_millis(5));
        loop {
            tokio::select! {
                result = results_rx.recv_async() => match result {
                    Ok(done) => {
                        assert!(!seen[done.id as usize], "job {} done twice", done.id);
                        seen[done.id as usize] = true;
                        primes += done.primes;
                        *per_worker.entry(done.worker).or_default() += 1;
                    }
                    Err(_) => break, // every worker is gone and all results are in
                },
                _ = ticker.tick() => {
                    ticks += 1;
                    if ticks % 10 == 1 {
                        println!("  ... {} jobs done", seen.iter().filter(|&&s| s).count());
                    }
                }
            }
        }
        // A stream reads to the end as well (`results_rx.stream().collect()`); here it only
        // confirms that nothing is left.
        assert!(results_rx.stream().next().await.is_none());
        assert!(seen.iter().all(|&s| s), "a job's result was lost");
        (primes, per_worker, ticks)
    });

    for producer in producers {
        runtime.block_on(producer).expect("producer panicked");
    }
    for thread in threads {
        thread.join().expect("worker thread panicked");
    }
    runtime.block_on(task_worker).expect("worker task panicked");
    let (primes, per_worker, ticks) = runtime.block_on(summary).expect("summary panicked");

    let expected = (0..PRODUCERS * JOBS_PER_PRODUCER * SPAN)
        .filter(|&n| is_prime(n))
        .count() as u64;
    assert_eq!(primes, expected);
    println!(
        "{} jobs, {primes} primes below {}, in {:.0?} ({ticks} ticks, each dropping the \
         receive it raced; no result lost)",
        PRODUCERS * JOBS_PER_PRODUCER,
        PRODUCERS * JOBS_PER_PRODUCER * SPAN,
        started.elapsed()
    );
    // Each job went to the worker that had waited longest when it was sent; a worker that was
    // busy (or not scheduled: two cores, four workers and the runtime) waited less often.
    println!("jobs per worker:");
    for (worker, jobs) in per_worker {
        println!("  {worker:>8}: {jobs}");
    }
}
