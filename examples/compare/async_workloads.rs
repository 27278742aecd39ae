//! The async workloads: the channels used from tasks on one tokio multi-thread runtime with two
//! worker threads, through one small adapter per implementation ([`AsyncImp`]).
//!
//! Peers: dualq (`send_async`/`recv_async`), flume (`send_async`/`recv_async`), kanal's async
//! API (`unbounded_async`/`bounded_async`), async-channel, and tokio's own `tokio::sync::mpsc`,
//! whose receiver is single-consumer: it runs only where one task receives.
//!
//! Every run checks that exactly the messages sent were received (count and sum), as the
//! thread workloads do. Tasks are spawned when the run starts (spawning is a few hundred
//! nanoseconds each, inside the measured time, for every implementation alike); the run lasts
//! until the last receiving task has returned.

use crate::impls::{Disconnected, Flavor};
use crate::usage::process_usage;
use crate::workloads::{FairRun, Run, Wait};
use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How many worker threads the runtime has.
pub(crate) const WORKERS: usize = 2;

/// The runtime every async workload runs on, built once.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .thread_name("compare-worker")
            .build()
            .expect("a tokio runtime")
    })
}

/// An implementation's async API. Handles are per task; `recv` takes `&mut` because tokio's
/// receiver needs it.
pub(crate) trait AsyncImp: 'static {
    /// The name in tables (the same as the thread adapter's, where there is one).
    const NAME: &'static str;
    /// Whether more than one task may receive (false: tokio's mpsc).
    const MULTI_CONSUMER: bool = true;
    /// A sending handle; each sending task gets a clone.
    type Tx: Clone + Send + 'static;
    type Rx: Send + 'static;
    /// Whether `new` can make this flavor.
    fn supports(flavor: Flavor) -> bool {
        let _ = flavor;
        true
    }
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx);
    /// `n` receiving handles (`n` = 1 where not [`MULTI_CONSUMER`](AsyncImp::MULTI_CONSUMER)).
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx>;
    fn send(tx: &Self::Tx, v: usize) -> impl Future<Output = Result<(), Disconnected>> + Send;
    /// `None` once every sender is gone and the channel is drained.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<usize>> + Send;
}

fn clones<T: Clone>(x: T, n: usize) -> Vec<T> {
    let mut v: Vec<T> = (1..n).map(|_| x.clone()).collect();
    v.push(x);
    v
}

/// dualq: `send_async` / `recv_async`.
#[derive(Debug)]
pub(crate) struct DualqTasks;

impl AsyncImp for DualqTasks {
    const NAME: &'static str = "dualq";
    type Tx = dualq::channel::Sender<usize>;
    type Rx = dualq::channel::Receiver<usize>;
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        match flavor {
            Flavor::Unbounded => dualq::channel::unbounded(),
            Flavor::Rendezvous => dualq::channel::rendezvous(),
            Flavor::Bounded(cap) => dualq::channel::bounded(cap),
        }
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        clones(rx, n)
    }
    async fn send(tx: &Self::Tx, v: usize) -> Result<(), Disconnected> {
        tx.send_async(v).await.map_err(|_| Disconnected)
    }
    async fn recv(rx: &mut Self::Rx) -> Option<usize> {
        rx.recv_async().await.ok()
    }
}

/// flume: `send_async` / `recv_async`.
#[derive(Debug)]
pub(crate) struct FlumeTasks;

impl AsyncImp for FlumeTasks {
    const NAME: &'static str = "flume";
    type Tx = flume::Sender<usize>;
    type Rx = flume::Receiver<usize>;
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        match flavor {
            Flavor::Unbounded => flume::unbounded(),
            Flavor::Rendezvous => flume::bounded(0),
            Flavor::Bounded(cap) => flume::bounded(cap),
        }
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        clones(rx, n)
    }
    async fn send(tx: &Self::Tx, v: usize) -> Result<(), Disconnected> {
        tx.send_async(v).await.map_err(|_| Disconnected)
    }
    async fn recv(rx: &mut Self::Rx) -> Option<usize> {
        rx.recv_async().await.ok()
    }
}

/// kanal's async API: `unbounded_async` / `bounded_async`, `send(v).await` / `recv().await`.
#[derive(Debug)]
pub(crate) struct KanalTasks;

impl AsyncImp for KanalTasks {
    const NAME: &'static str = "kanal";
    type Tx = kanal::AsyncSender<usize>;
    type Rx = kanal::AsyncReceiver<usize>;
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        match flavor {
            Flavor::Unbounded => kanal::unbounded_async(),
            Flavor::Rendezvous => kanal::bounded_async(0),
            Flavor::Bounded(cap) => kanal::bounded_async(cap),
        }
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        clones(rx, n)
    }
    async fn send(tx: &Self::Tx, v: usize) -> Result<(), Disconnected> {
        tx.send(v).await.map_err(|_| Disconnected)
    }
    async fn recv(rx: &mut Self::Rx) -> Option<usize> {
        rx.recv().await.ok()
    }
}

/// async-channel: `unbounded()` / `bounded(n)`; it has no zero-capacity form.
#[derive(Debug)]
pub(crate) struct AsyncChannel;

impl AsyncImp for AsyncChannel {
    const NAME: &'static str = "async-channel";
    type Tx = async_channel::Sender<usize>;
    type Rx = async_channel::Receiver<usize>;
    fn supports(flavor: Flavor) -> bool {
        flavor != Flavor::Rendezvous
    }
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        match flavor {
            Flavor::Unbounded => async_channel::unbounded(),
            Flavor::Bounded(cap) => async_channel::bounded(cap),
            Flavor::Rendezvous => panic!("async-channel has no rendezvous form"),
        }
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        clones(rx, n)
    }
    async fn send(tx: &Self::Tx, v: usize) -> Result<(), Disconnected> {
        tx.send(v).await.map_err(|_| Disconnected)
    }
    async fn recv(rx: &mut Self::Rx) -> Option<usize> {
        rx.recv().await.ok()
    }
}

/// `tokio::sync::mpsc`: `unbounded_channel()` / `channel(n)`; one receiver, no zero capacity.
#[derive(Debug)]
pub(crate) struct TokioMpsc;

/// Either kind of tokio sender.
#[derive(Clone, Debug)]
pub(crate) enum TokioTx {
    Unbounded(tokio::sync::mpsc::UnboundedSender<usize>),
    Bounded(tokio::sync::mpsc::Sender<usize>),
}

/// Either kind of tokio receiver.
#[derive(Debug)]
pub(crate) enum TokioRx {
    Unbounded(tokio::sync::mpsc::UnboundedReceiver<usize>),
    Bounded(tokio::sync::mpsc::Receiver<usize>),
}

impl AsyncImp for TokioMpsc {
    const NAME: &'static str = "tokio mpsc";
    const MULTI_CONSUMER: bool = false;
    type Tx = TokioTx;
    type Rx = TokioRx;
    fn supports(flavor: Flavor) -> bool {
        flavor != Flavor::Rendezvous
    }
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        match flavor {
            Flavor::Unbounded => {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                (TokioTx::Unbounded(tx), TokioRx::Unbounded(rx))
            }
            Flavor::Bounded(cap) => {
                let (tx, rx) = tokio::sync::mpsc::channel(cap);
                (TokioTx::Bounded(tx), TokioRx::Bounded(rx))
            }
            Flavor::Rendezvous => panic!("tokio's mpsc has no rendezvous form"),
        }
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        assert_eq!(n, 1, "tokio's mpsc receiver is single-consumer");
        vec![rx]
    }
    async fn send(tx: &Self::Tx, v: usize) -> Result<(), Disconnected> {
        match tx {
            TokioTx::Unbounded(tx) => tx.send(v).map_err(|_| Disconnected),
            TokioTx::Bounded(tx) => tx.send(v).await.map_err(|_| Disconnected),
        }
    }
    async fn recv(rx: &mut Self::Rx) -> Option<usize> {
        match rx {
            TokioRx::Unbounded(rx) => rx.recv().await,
            TokioRx::Bounded(rx) => rx.recv().await,
        }
    }
}

/// Why `I` cannot run a workload with `consumers` receivers on `flavor`, if it cannot.
pub(crate) fn cannot_run<I: AsyncImp>(flavor: Flavor, consumers: usize) -> Option<String> {
    if !I::supports(flavor) {
        return Some(format!(
            "no async {} form",
            crate::report::flavor_family(flavor)
        ));
    }
    if consumers > 1 && !I::MULTI_CONSUMER {
        return Some("single-consumer receiver".into());
    }
    None
}

/// Sum of `0..n`.
fn triangle(n: u64) -> u64 {
    n.wrapping_mul(n.wrapping_sub(1)) / 2
}

/// `producers` tasks send `0..messages` (contiguous ranges) to `consumers` tasks that receive
/// until the channel closes (every producer's sender dropped).
pub(crate) fn throughput<I: AsyncImp>(
    flavor: Flavor,
    producers: usize,
    consumers: usize,
    messages: u64,
) -> Run {
    assert!(producers > 0 && consumers > 0);
    let rt = runtime();
    let (tx, rx) = I::new(flavor);
    let usage0 = process_usage();
    let t0 = Instant::now();
    let senders: Vec<_> = (0..producers as u64)
        .map(|p| {
            let tx = tx.clone();
            let (from, to) = (
                messages * p / producers as u64,
                messages * (p + 1) / producers as u64,
            );
            rt.spawn(async move {
                for v in from..to {
                    if I::send(&tx, std::hint::black_box(v as usize))
                        .await
                        .is_err()
                    {
                        panic!("{}: send failed while receivers were there", I::NAME);
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let receivers: Vec<_> = I::receivers(rx, consumers)
        .into_iter()
        .map(|mut rx| {
            rt.spawn(async move {
                let (mut count, mut sum) = (0u64, 0u64);
                while let Some(v) = I::recv(&mut rx).await {
                    count += 1;
                    sum = sum.wrapping_add(v as u64);
                }
                (Instant::now(), count, sum)
            })
        })
        .collect();
    for s in senders {
        rt.block_on(s).expect("producer task panicked");
    }
    let (mut count, mut sum, mut t1, mut shares) = (0u64, 0u64, t0, Vec::new());
    for r in receivers {
        let (end, c, s) = rt.block_on(r).expect("consumer task panicked");
        t1 = t1.max(end);
        shares.push(c);
        count += c;
        sum = sum.wrapping_add(s);
    }
    let usage = match (usage0, process_usage()) {
        (Some(a), Some(b)) => Some(b.since(a)),
        _ => None,
    };
    assert_eq!(
        (count, sum),
        (messages, triangle(messages)),
        "{}: received (count, sum) differ from what was sent",
        I::NAME
    );
    Run {
        elapsed: t1.saturating_duration_since(t0),
        usage,
        messages,
        shares,
    }
}

/// The sender's pause between two sends, in a task: it yields to the runtime until `pace` has
/// passed (tokio's timer has millisecond resolution), so it keeps one worker busy, but lets the
/// tasks it woke run on that worker too.
async fn pause(pace: Duration) {
    let until = Instant::now() + pace;
    while Instant::now() < until {
        tokio::task::yield_now().await;
    }
}

/// `receivers` tasks loop `recv` on an unbounded channel, timing each call; one sender task,
/// once they all wait, sends `0..messages` with a pause of `pace` after each. The fairness
/// metrics of the thread workload apply to the receiving tasks' waits (a wait ends when the
/// task runs again after its value came, so scheduling delay counts as waiting).
pub(crate) fn fairness<I: AsyncImp>(receivers: usize, messages: u64, pace: Duration) -> FairRun {
    let rt = runtime();
    let (tx, rx) = I::new(Flavor::Unbounded);
    let tasks: Vec<_> = I::receivers(rx, receivers)
        .into_iter()
        .map(|mut rx| {
            // Room for every message: an unfair channel may give them all to one receiver.
            let mut waits = Vec::with_capacity(messages as usize + 1);
            rt.spawn(async move {
                let mut sum = 0u64;
                loop {
                    let start = Instant::now();
                    let got = I::recv(&mut rx).await;
                    let end = Instant::now();
                    waits.push(Wait {
                        start,
                        end,
                        delivered: got.is_some(),
                    });
                    match got {
                        Some(v) => sum = sum.wrapping_add(v as u64),
                        None => break,
                    }
                }
                (waits, sum)
            })
        })
        .collect();
    // Let every receiving task reach `recv` and wait before the first message.
    std::thread::sleep(Duration::from_millis(20));
    let usage0 = process_usage();
    let sender = rt.spawn(async move {
        let t0 = Instant::now();
        for v in 0..messages as usize {
            if I::send(&tx, v).await.is_err() {
                panic!("{}: send failed while receivers were there", I::NAME);
            }
            pause(pace).await;
        }
        t0
    });
    let t0 = rt.block_on(sender).expect("sender task panicked");
    let mut all = Vec::with_capacity(receivers);
    let mut sum = 0u64;
    for t in tasks {
        let (waits, s) = rt.block_on(t).expect("receiver task panicked");
        sum = sum.wrapping_add(s);
        all.push(waits);
    }
    let usage = match (usage0, process_usage()) {
        (Some(a), Some(b)) => Some(b.since(a)),
        _ => None,
    };
    let shares: Vec<u64> = all
        .iter()
        .map(|w| w.iter().filter(|w| w.delivered).count() as u64)
        .collect();
    let count: u64 = shares.iter().sum();
    assert_eq!(
        (count, sum),
        (messages, triangle(messages)),
        "{}: received (count, sum) differ from what was sent",
        I::NAME
    );
    let t1 = all
        .iter()
        .filter_map(|w| w.last().map(|w| w.end))
        .max()
        .unwrap_or(t0);
    FairRun {
        run: Run {
            elapsed: t1.saturating_duration_since(t0),
            usage,
            messages,
            shares,
        },
        waits: all,
        sending_from: t0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs every async workload an adapter can run, small; each checks its own deliveries.
    fn every_workload<I: AsyncImp>() {
        for flavor in [Flavor::Unbounded, Flavor::Rendezvous, Flavor::Bounded(3)] {
            for (p, c) in [(1, 1), (3, 2)] {
                if cannot_run::<I>(flavor, c).is_some() {
                    continue;
                }
                let run = throughput::<I>(flavor, p, c, 300);
                assert_eq!(run.shares.iter().sum::<u64>(), 300, "{flavor} {p}P/{c}C");
            }
        }
        if I::MULTI_CONSUMER {
            let fair = fairness::<I>(3, 30, Duration::ZERO);
            assert_eq!(fair.run.shares.iter().sum::<u64>(), 30);
            assert_eq!(fair.waits.len(), 3);
        }
    }

    #[test]
    fn every_async_adapter_runs_every_workload_it_supports() {
        every_workload::<DualqTasks>();
        every_workload::<FlumeTasks>();
        every_workload::<KanalTasks>();
        every_workload::<AsyncChannel>();
        every_workload::<TokioMpsc>();
    }

    #[test]
    fn single_consumer_and_missing_flavors_are_reported() {
        assert!(cannot_run::<TokioMpsc>(Flavor::Unbounded, 1).is_none());
        assert!(cannot_run::<TokioMpsc>(Flavor::Unbounded, 4).is_some());
        assert!(cannot_run::<AsyncChannel>(Flavor::Rendezvous, 1).is_some());
        assert!(cannot_run::<DualqTasks>(Flavor::Rendezvous, 4).is_none());
    }
}
