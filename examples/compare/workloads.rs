//! The workloads, each written once, generic over the implementation ([`Imp`]).
//!
//! Every workload checks that exactly the messages sent were received (count and sum, or each
//! reply in ping-pong), so a broken channel cannot produce a fast number: it panics instead.
//! Threads are spawned before the clock starts and released together (see [`Start`]); a run
//! lasts from the earliest worker's start to the last receiver's return.

use crate::cpu::process_cpu;
use crate::impls::{Flavor, Imp};
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// What one run of a workload measured.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Run {
    /// Wall time from the earliest worker start to the last receiver's return.
    pub(crate) elapsed: Duration,
    /// Process CPU time (user + system, all threads) over the same window, where measurable.
    pub(crate) cpu: Option<Duration>,
    /// Messages delivered (round trips for ping-pong).
    pub(crate) messages: u64,
}

/// Starts a run in two steps: every thread (the caller included) meets at `ready`, the caller
/// reads the CPU clock while the others wait at `go`, then everyone passes `go`. So the CPU
/// window excludes thread start-up, and the wall clock is read by the workers themselves after
/// `go` (on a loaded machine the caller may run late; the workers' earliest start is the start).
struct Start {
    ready: Barrier,
    go: Barrier,
}

impl Start {
    fn new(threads: usize) -> Arc<Start> {
        Arc::new(Start {
            ready: Barrier::new(threads + 1),
            go: Barrier::new(threads + 1),
        })
    }

    /// In a worker: waits for the start, returns when it started.
    fn worker(&self) -> Instant {
        self.ready.wait();
        self.go.wait();
        Instant::now()
    }

    /// In the caller: starts the workers, returns the CPU time at the start.
    fn release(&self) -> Option<Duration> {
        self.ready.wait();
        let cpu = process_cpu();
        self.go.wait();
        cpu
    }
}

/// A run from its earliest worker start to its latest receiver end.
fn finish(
    starts: impl IntoIterator<Item = Instant>,
    ends: impl IntoIterator<Item = Instant>,
    cpu0: Option<Duration>,
    messages: u64,
) -> Run {
    let cpu = match (cpu0, process_cpu()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let t0 = starts.into_iter().min().expect("no start");
    let t1 = ends.into_iter().max().expect("no end");
    Run {
        elapsed: t1.saturating_duration_since(t0),
        cpu,
        messages,
    }
}

/// Below this a pause spins (sleeping cannot be that short); from it on, the thread sleeps.
pub(crate) const SPIN_BELOW: Duration = Duration::from_micros(50);

/// The sender's pause between two sends: a spin on the clock when shorter than
/// [`SPIN_BELOW`] (that sender then keeps a core busy), a sleep otherwise.
fn pause(pace: Duration) {
    if pace.is_zero() {
        return;
    }
    if pace < SPIN_BELOW {
        let until = Instant::now() + pace;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    } else {
        thread::sleep(pace);
    }
}

/// Sum of `0..n`.
fn triangle(n: u64) -> u64 {
    n.wrapping_mul(n.wrapping_sub(1)) / 2
}

/// `producers` threads send `0..messages` (split into contiguous ranges) to `consumers` threads
/// that receive until the channel is closed. With `pace`, each producer sleeps that long after
/// every send ("slow senders": the receivers spend their time waiting).
pub(crate) fn throughput<I: Imp>(
    flavor: Flavor,
    producers: usize,
    consumers: usize,
    messages: u64,
    pace: Option<Duration>,
) -> Run {
    assert!(producers > 0 && consumers > 0);
    let (tx, rx) = I::new(flavor);
    let start = Start::new(producers + consumers);
    let senders: Vec<_> = I::senders(&tx, producers)
        .into_iter()
        .enumerate()
        .map(|(p, tx)| {
            let start = Arc::clone(&start);
            let from = messages * p as u64 / producers as u64;
            let to = messages * (p as u64 + 1) / producers as u64;
            thread::spawn(move || {
                let t0 = start.worker();
                match pace {
                    None => {
                        for v in from..to {
                            I::send(&tx, black_box(v as usize));
                        }
                    }
                    Some(pace) => {
                        for v in from..to {
                            I::send(&tx, v as usize);
                            pause(pace);
                        }
                    }
                }
                t0
            })
        })
        .collect();
    let receivers: Vec<_> = I::receivers(rx, consumers)
        .into_iter()
        .map(|rx| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let t0 = start.worker();
                let (mut count, mut sum) = (0u64, 0u64);
                while let Some(v) = I::recv(&rx) {
                    count += 1;
                    sum = sum.wrapping_add(v as u64);
                }
                (t0, Instant::now(), count, sum)
            })
        })
        .collect();
    let cpu0 = start.release();
    let mut starts = Vec::with_capacity(producers + consumers);
    for s in senders {
        starts.push(s.join().expect("producer panicked"));
    }
    I::close(tx, consumers);
    let (mut count, mut sum) = (0u64, 0u64);
    let mut ends = Vec::with_capacity(consumers);
    for r in receivers {
        let (t0, t1, c, s) = r.join().expect("consumer panicked");
        starts.push(t0);
        ends.push(t1);
        count += c;
        sum = sum.wrapping_add(s);
    }
    let run = finish(starts, ends, cpu0, count);
    assert_eq!(
        (count, sum),
        (messages, triangle(messages)),
        "{}: received (count, sum) differ from what was sent",
        I::NAME
    );
    run
}

/// Round trips over two unbounded channels: this thread sends `i` on the first, an echo thread
/// answers `i + 1` on the second, `round_trips` times. `Run::messages` counts round trips.
pub(crate) fn ping_pong<I: Imp>(round_trips: u64) -> Run {
    let (ping_tx, ping_rx) = I::new(Flavor::Unbounded);
    let (pong_tx, pong_rx) = I::new(Flavor::Unbounded);
    let ping_rx = I::receivers(ping_rx, 1).pop().expect("one receiver");
    let pong_rx = I::receivers(pong_rx, 1).pop().expect("one receiver");
    let start = Start::new(1);
    let echo = {
        let start = Arc::clone(&start);
        thread::spawn(move || {
            start.worker();
            let mut count = 0u64;
            while let Some(v) = I::recv(&ping_rx) {
                I::send(&pong_tx, v + 1);
                count += 1;
            }
            count
        })
    };
    let cpu0 = start.release();
    // This thread drives the round trips, so its own clock is the right one.
    let t0 = Instant::now();
    let mut wrong = 0u64;
    for i in 0..round_trips as usize {
        I::send(&ping_tx, black_box(i));
        let reply = I::recv(&pong_rx).expect("echo thread gone");
        wrong += u64::from(reply != i + 1);
    }
    let run = finish([t0], [Instant::now()], cpu0, round_trips);
    I::close(ping_tx, 1);
    let echoed = echo.join().expect("echo thread panicked");
    assert_eq!(
        (echoed, wrong),
        (round_trips, 0),
        "{}: ping-pong echoed a wrong count or value",
        I::NAME
    );
    run
}

/// One `recv` call of one receiver in the fairness workload.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wait {
    /// Just before `recv` was called.
    pub(crate) start: Instant,
    /// Just after it returned.
    pub(crate) end: Instant,
    /// Whether it returned a message (the last call of each receiver returns "closed").
    pub(crate) delivered: bool,
}

/// What one run of the fairness workload measured.
#[derive(Debug)]
pub(crate) struct FairRun {
    /// Time, CPU and messages (as for the other workloads).
    pub(crate) run: Run,
    /// Every `recv` call, per receiver, in call order.
    pub(crate) waits: Vec<Vec<Wait>>,
    /// When the sender started sending (the receivers' first calls began before it).
    pub(crate) sending_from: Instant,
}

/// `receivers` threads loop `recv` on an unbounded channel, timing each call; one sender,
/// after letting them all block, sends `0..messages` with a sleep of `pace` after each send,
/// so that the receivers really wait. Fairness metrics are computed from the waits afterwards.
pub(crate) fn fairness<I: Imp>(receivers: usize, messages: u64, pace: Duration) -> FairRun {
    let (tx, rx) = I::new(Flavor::Unbounded);
    // The receivers meet at `ready` first (then block in `recv`); the sender and the caller
    // then start the sending together.
    let ready = Arc::new(Barrier::new(receivers + 1));
    let start = Start::new(1);
    let sender = {
        let tx = I::senders(&tx, 1).pop().expect("one sender");
        let start = Arc::clone(&start);
        thread::spawn(move || {
            let t0 = start.worker();
            for v in 0..messages as usize {
                I::send(&tx, v);
                pause(pace);
            }
            t0
        })
    };
    let threads: Vec<_> = I::receivers(rx, receivers)
        .into_iter()
        .map(|rx| {
            let ready = Arc::clone(&ready);
            // Room for every message: an unfair channel may give them all to one receiver,
            // and no allocation should happen between two waits.
            let mut waits = Vec::with_capacity(messages as usize + 1);
            thread::spawn(move || {
                ready.wait();
                let mut sum = 0u64;
                loop {
                    let start = Instant::now();
                    let got = I::recv(&rx);
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
    ready.wait();
    // Let every receiver reach `recv` and block (and stop spinning, for the channels that spin
    // before they park) before the clock and the first message start.
    thread::sleep(Duration::from_millis(20));
    let cpu0 = start.release();
    let t0 = sender.join().expect("sender panicked");
    I::close(tx, receivers);
    let mut all = Vec::with_capacity(receivers);
    let mut sum = 0u64;
    for t in threads {
        let (waits, s) = t.join().expect("receiver panicked");
        sum = sum.wrapping_add(s);
        all.push(waits);
    }
    let count = all.iter().flatten().filter(|w| w.delivered).count() as u64;
    let ends = all.iter().filter_map(|w| w.last().map(|w| w.end));
    let run = finish([t0], ends, cpu0, count);
    assert_eq!(
        (count, sum),
        (messages, triangle(messages)),
        "{}: received (count, sum) differ from what was sent",
        I::NAME
    );
    FairRun {
        run,
        waits: all,
        sending_from: t0,
    }
}
