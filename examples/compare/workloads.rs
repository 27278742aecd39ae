//! The workloads, each written once, generic over the implementation ([`Imp`]).
//!
//! Every workload checks that exactly the messages sent were received (count and sum, or each
//! reply in ping-pong, or each sender's sequence in sender fairness), so a broken channel cannot
//! produce a fast number: it panics instead. Threads are spawned, and pinned where the
//! [`Placement`] says, before the clock starts and are released together (see [`Start`]); a run
//! lasts from the earliest worker's start to the last receiver's return.

use crate::impls::{Flavor, Imp};
use crate::placement::{Placement, Role};
use crate::usage::{process_usage, Usage};
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// What one run of a workload measured.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    /// Wall time from the earliest worker start to the last receiver's return.
    pub(crate) elapsed: Duration,
    /// What the process used (CPU time, context switches; all threads) over the same window,
    /// where measurable.
    pub(crate) usage: Option<Usage>,
    /// Messages delivered (round trips for ping-pong).
    pub(crate) messages: u64,
    /// Messages per receiving thread (per sending thread in the sender-fairness workload), for
    /// Jain's index.
    pub(crate) shares: Vec<u64>,
}

/// Starts a run in two steps: every thread (the caller included) meets at `ready`, the caller
/// reads the process's usage while the others wait at `go`, then everyone passes `go`. So the
/// usage window excludes thread start-up and pinning, and the wall clock is read by the workers
/// themselves after `go` (on a loaded machine the caller may run late; the workers' earliest
/// start is the start).
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

    /// In the caller: starts the workers, returns the usage at the start.
    fn release(&self) -> Option<Usage> {
        self.ready.wait();
        let usage = process_usage();
        self.go.wait();
        usage
    }
}

/// A run from its earliest worker start to its latest receiver end, its usage from `usage0` to
/// now. Call it once every thread of the run has been joined (see `usage.rs`).
fn finish(
    starts: impl IntoIterator<Item = Instant>,
    ends: impl IntoIterator<Item = Instant>,
    usage0: Option<Usage>,
    messages: u64,
    shares: Vec<u64>,
) -> Run {
    let usage = match (usage0, process_usage()) {
        (Some(a), Some(b)) => Some(b.since(a)),
        _ => None,
    };
    let t0 = starts.into_iter().min().expect("no start");
    let t1 = ends.into_iter().max().expect("no end");
    Run {
        elapsed: t1.saturating_duration_since(t0),
        usage,
        messages,
        shares,
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

/// Sends in a workload where the receivers outlive the senders: a failure is a broken channel.
#[inline]
fn send<I: Imp>(tx: &I::Tx, v: usize) {
    if I::send(tx, v).is_err() {
        panic!("{}: send failed while receivers were still there", I::NAME);
    }
}

/// `producers` threads send `0..messages` (split into contiguous ranges) to `consumers` threads
/// that receive until the channel is closed. With `pace`, each producer pauses that long after
/// every send ("slow senders": the receivers spend their time waiting).
pub(crate) fn throughput<I: Imp>(
    flavor: Flavor,
    producers: usize,
    consumers: usize,
    messages: u64,
    pace: Option<Duration>,
    placement: Placement,
) -> Run {
    assert!(producers > 0 && consumers > 0);
    let (tx, rx) = I::new(flavor);
    // This thread joins and closes; it counts as a sender.
    let _pinned = placement.pin_scoped(Role::Send);
    let start = Start::new(producers + consumers);
    let senders: Vec<_> = I::senders(&tx, producers)
        .into_iter()
        .enumerate()
        .map(|(p, tx)| {
            let start = Arc::clone(&start);
            let from = messages * p as u64 / producers as u64;
            let to = messages * (p as u64 + 1) / producers as u64;
            thread::spawn(move || {
                placement.pin(Role::Send);
                let t0 = start.worker();
                match pace {
                    None => {
                        for v in from..to {
                            send::<I>(&tx, black_box(v as usize));
                        }
                    }
                    Some(pace) => {
                        for v in from..to {
                            send::<I>(&tx, v as usize);
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
                placement.pin(Role::Recv);
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
    let usage0 = start.release();
    let mut starts = Vec::with_capacity(producers + consumers);
    for s in senders {
        starts.push(s.join().expect("producer panicked"));
    }
    I::close(tx, consumers);
    let (mut count, mut sum) = (0u64, 0u64);
    let mut ends = Vec::with_capacity(consumers);
    let mut shares = Vec::with_capacity(consumers);
    for r in receivers {
        let (t0, t1, c, s) = r.join().expect("consumer panicked");
        starts.push(t0);
        ends.push(t1);
        shares.push(c);
        count += c;
        sum = sum.wrapping_add(s);
    }
    let run = finish(starts, ends, usage0, count, shares);
    assert_eq!(
        (count, sum),
        (messages, triangle(messages)),
        "{}: received (count, sum) differ from what was sent",
        I::NAME
    );
    run
}

/// Round trips over two unbounded channels: this thread sends `i` on the first, an echo thread
/// answers `i + 1` on the second, `round_trips` times. `Run::messages` counts round trips. This
/// thread has the sender's place, the echo thread the receiver's.
pub(crate) fn ping_pong<I: Imp>(round_trips: u64, placement: Placement) -> Run {
    let _pinned = placement.pin_scoped(Role::Send);
    let (ping_tx, ping_rx) = I::new(Flavor::Unbounded);
    let (pong_tx, pong_rx) = I::new(Flavor::Unbounded);
    let ping_rx = I::receivers(ping_rx, 1).pop().expect("one receiver");
    let pong_rx = I::receivers(pong_rx, 1).pop().expect("one receiver");
    let start = Start::new(1);
    let echo = {
        let start = Arc::clone(&start);
        thread::spawn(move || {
            placement.pin(Role::Recv);
            start.worker();
            let mut count = 0u64;
            while let Some(v) = I::recv(&ping_rx) {
                send::<I>(&pong_tx, v + 1);
                count += 1;
            }
            count
        })
    };
    let usage0 = start.release();
    // This thread drives the round trips, so its own clock is the right one.
    let t0 = Instant::now();
    let mut wrong = 0u64;
    for i in 0..round_trips as usize {
        send::<I>(&ping_tx, black_box(i));
        let reply = I::recv(&pong_rx).expect("echo thread gone");
        wrong += u64::from(reply != i + 1);
    }
    let t1 = Instant::now();
    I::close(ping_tx, 1);
    let echoed = echo.join().expect("echo thread panicked");
    // Read the usage only now: the kernel adds a thread's CPU time to the process's when it
    // is descheduled or at a tick, so an echo thread still spinning on another core would be
    // missing up to a tick of CPU, which is all of a short run.
    let run = finish([t0], [t1], usage0, round_trips, vec![round_trips]);
    assert_eq!(
        (echoed, wrong),
        (round_trips, 0),
        "{}: ping-pong echoed a wrong count or value",
        I::NAME
    );
    run
}

/// One blocking call (a `recv`, or a `send` in the sender-fairness workload) of one thread.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wait {
    /// Just before the call.
    pub(crate) start: Instant,
    /// Just after it returned.
    pub(crate) end: Instant,
    /// Whether it went through (the last call of each thread fails: channel closed, or
    /// receiver gone).
    pub(crate) delivered: bool,
}

/// What one run of a fairness workload measured.
#[derive(Debug)]
pub(crate) struct FairRun {
    /// Time, CPU and messages (as for the other workloads).
    pub(crate) run: Run,
    /// Every blocking call, per waiting thread, in call order.
    pub(crate) waits: Vec<Vec<Wait>>,
    /// When service began: the sender's first send, or the paced receiver's first receive
    /// (the waiting threads' first calls began before it).
    pub(crate) sending_from: Instant,
}

/// `receivers` threads loop `recv` on an unbounded channel, timing each call; one sender,
/// after letting them all block, sends `0..messages` with a pause of `pace` after each send,
/// so that the receivers really wait. Fairness metrics are computed from the waits afterwards.
pub(crate) fn fairness<I: Imp>(
    receivers: usize,
    messages: u64,
    pace: Duration,
    placement: Placement,
) -> FairRun {
    let _pinned = placement.pin_scoped(Role::Send);
    let (tx, rx) = I::new(Flavor::Unbounded);
    // The receivers meet at `ready` first (then block in `recv`); the sender and the caller
    // then start the sending together.
    let ready = Arc::new(Barrier::new(receivers + 1));
    let start = Start::new(1);
    let sender = {
        let tx = I::senders(&tx, 1).pop().expect("one sender");
        let start = Arc::clone(&start);
        thread::spawn(move || {
            placement.pin(Role::Send);
            let t0 = start.worker();
            for v in 0..messages as usize {
                send::<I>(&tx, v);
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
                placement.pin(Role::Recv);
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
    let usage0 = start.release();
    let t0 = sender.join().expect("sender panicked");
    I::close(tx, receivers);
    let mut all = Vec::with_capacity(receivers);
    let mut sum = 0u64;
    for t in threads {
        let (waits, s) = t.join().expect("receiver panicked");
        sum = sum.wrapping_add(s);
        all.push(waits);
    }
    let shares: Vec<u64> = all
        .iter()
        .map(|w| w.iter().filter(|w| w.delivered).count() as u64)
        .collect();
    let count = shares.iter().sum();
    let ends = all.iter().filter_map(|w| w.last().map(|w| w.end));
    let run = finish([t0], ends, usage0, count, shares);
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

/// `senders` threads loop `send` on a channel of `flavor` (bounded or rendezvous), timing each
/// call; one receiver, after letting them fill the channel and block, receives `messages`
/// values with a pause of `pace` after each, then drops its end, which fails every send still
/// waiting. So the senders really wait, and the metrics of [`fairness`] apply to their sends:
/// a send that completes while an older one still waits was overtaken.
///
/// Sender `id` sends `id, id + senders, id + 2·senders, ...`; the receiver checks that each
/// sender's values arrive complete and in order, and afterwards that no sender had more values
/// received than sends accepted and that at most the capacity was accepted but not received.
pub(crate) fn sender_fairness<I: Imp>(
    flavor: Flavor,
    senders: usize,
    messages: u64,
    pace: Duration,
    placement: Placement,
) -> FairRun {
    let capacity = match flavor {
        Flavor::Bounded(cap) => cap as u64,
        Flavor::Rendezvous => 0,
        Flavor::Unbounded => panic!("senders never wait on an unbounded channel"),
    };
    assert!(
        I::DISCONNECTS,
        "{}: sender fairness needs disconnection",
        I::NAME
    );
    let _pinned = placement.pin_scoped(Role::Send);
    let (tx, rx) = I::new(flavor);
    let ready = Arc::new(Barrier::new(senders + 1));
    let start = Start::new(1);
    let threads: Vec<_> = I::senders(&tx, senders)
        .into_iter()
        .enumerate()
        .map(|(id, tx)| {
            let ready = Arc::clone(&ready);
            // Room for every send but the first few: an unfair channel may let one sender
            // through every time, and no allocation should happen between two waits.
            let mut waits = Vec::with_capacity(messages as usize + capacity as usize + 2);
            thread::spawn(move || {
                placement.pin(Role::Send);
                ready.wait();
                for seq in 0.. {
                    let start = Instant::now();
                    let sent = I::send(&tx, seq * senders + id);
                    let end = Instant::now();
                    waits.push(Wait {
                        start,
                        end,
                        delivered: sent.is_ok(),
                    });
                    if sent.is_err() {
                        break;
                    }
                }
                waits
            })
        })
        .collect();
    let receiver = {
        let rx = I::receivers(rx, 1).pop().expect("one receiver");
        let start = Arc::clone(&start);
        thread::spawn(move || {
            placement.pin(Role::Recv);
            let t0 = start.worker();
            let mut next = vec![0usize; senders];
            for _ in 0..messages {
                let v = I::recv(&rx).expect("the senders keep the channel open");
                let (id, seq) = (v % senders, v / senders);
                assert_eq!(
                    seq,
                    next[id],
                    "{}: sender {id}'s values arrived out of order or twice",
                    I::NAME
                );
                next[id] += 1;
                pause(pace);
            }
            let t1 = Instant::now();
            // The disconnection: every sender's next (or pending) send fails.
            drop(rx);
            (t0, t1, next)
        })
    };
    ready.wait();
    // Let every sender fill the channel and block (and stop spinning, for the channels that
    // spin before they park) before the clock and the first receive start.
    thread::sleep(Duration::from_millis(20));
    let usage0 = start.release();
    let (t0, t1, received) = receiver.join().expect("receiver panicked");
    let all: Vec<Vec<Wait>> = threads
        .into_iter()
        .map(|t| t.join().expect("sender panicked"))
        .collect();
    drop(tx);
    let shares: Vec<u64> = all
        .iter()
        .map(|w| w.iter().filter(|w| w.delivered).count() as u64)
        .collect();
    for (id, (&accepted, &got)) in shares.iter().zip(&received).enumerate() {
        assert!(
            got as u64 <= accepted,
            "{}: sender {id} had {got} values received but only {accepted} sends accepted",
            I::NAME
        );
    }
    let accepted: u64 = shares.iter().sum();
    assert!(
        accepted >= messages && accepted - messages <= capacity,
        "{}: {accepted} sends accepted, {messages} received, capacity {capacity}",
        I::NAME
    );
    let run = finish([t0], [t1], usage0, messages, shares);
    FairRun {
        run,
        waits: all,
        sending_from: t0,
    }
}

/// Memory of a burst, in bytes above the resident set size before the channel was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Burst {
    /// The peak (the process's high-water mark) while the burst was inside.
    pub(crate) peak: u64,
    /// Once every message was received, the channel still alive.
    pub(crate) drained: u64,
    /// Once the channel was dropped.
    pub(crate) dropped: u64,
}

/// Resident set size and its high-water mark, in bytes (Linux `/proc/self/status`).
fn rss() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        let kib: u64 = line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// One thread sends `messages` values into an unbounded channel nobody receives from, then
/// receives them all, then drops the channel; the resident set size is read at each step.
/// Meant for a fresh process (the report runs it in a child: a high-water mark and a heap
/// shaped by earlier workloads would blur it). `None` where `/proc/self/status` is missing.
pub(crate) fn burst<I: Imp>(messages: u64) -> Option<(Run, Burst)> {
    let (base, _) = rss()?;
    let t0 = Instant::now();
    let (tx, rx) = I::new(Flavor::Unbounded);
    let rx = I::receivers(rx, 1).pop().expect("one receiver");
    for v in 0..messages as usize {
        send::<I>(&tx, black_box(v));
    }
    let (_, peak) = rss()?;
    let mut sum = 0u64;
    for _ in 0..messages {
        let v = I::recv(&rx).expect("the sender is still there");
        sum = sum.wrapping_add(v as u64);
    }
    assert_eq!(
        sum,
        triangle(messages),
        "{}: the burst came back wrong",
        I::NAME
    );
    let (drained, _) = rss()?;
    drop(tx);
    drop(rx);
    let (dropped, _) = rss()?;
    let run = Run {
        elapsed: t0.elapsed(),
        usage: None,
        messages,
        shares: vec![messages],
    };
    let above = |x: u64| x.saturating_sub(base);
    Some((
        run,
        Burst {
            peak: above(peak),
            drained: above(drained),
            dropped: above(dropped),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impls::{Crossbeam, Dualq, Flume, Kanal, RawQueue, RawSegmented, RawStack, Std};
    use crate::placement::allowed_cpus;

    /// Runs every workload the adapter supports, small; each checks its own deliveries.
    fn every_workload<I: Imp>() {
        let flavors = [
            Flavor::Unbounded,
            Flavor::Rendezvous,
            Flavor::Bounded(1),
            Flavor::Bounded(3),
        ];
        for flavor in flavors.into_iter().filter(|&f| I::supports(f)) {
            let run = throughput::<I>(flavor, 3, 2, 300, None, Placement::Unpinned);
            assert_eq!((run.messages, run.shares.len()), (300, 2), "{flavor}");
            assert_eq!(run.shares.iter().sum::<u64>(), 300, "{flavor}");
        }
        assert_eq!(ping_pong::<I>(50, Placement::Unpinned).messages, 50);
        // Its numbers mean something only in a process of its own (other tests allocate
        // meanwhile); here it checks the deliveries.
        if cfg!(target_os = "linux") {
            assert_eq!(burst::<I>(2_000).map(|(run, _)| run.messages), Some(2_000));
        }
        let fair = fairness::<I>(3, 30, Duration::ZERO, Placement::Unpinned);
        assert_eq!(fair.run.shares.iter().sum::<u64>(), 30);
        assert_eq!(fair.waits.len(), 3);
        if !I::DISCONNECTS {
            return;
        }
        for flavor in [Flavor::Bounded(2), Flavor::Rendezvous] {
            if !I::supports(flavor) {
                continue;
            }
            let fair = sender_fairness::<I>(flavor, 3, 60, Duration::ZERO, Placement::Unpinned);
            assert_eq!(fair.waits.len(), 3, "{flavor}");
            for waits in &fair.waits {
                // Every sender's last send is the one the dropped receiver failed.
                assert!(waits.last().is_some_and(|w| !w.delivered), "{flavor}");
                assert!(
                    waits[..waits.len() - 1].iter().all(|w| w.delivered),
                    "{flavor}"
                );
            }
        }
    }

    #[test]
    fn every_adapter_runs_every_workload_it_supports() {
        every_workload::<Crossbeam>();
        every_workload::<Dualq>();
        every_workload::<RawQueue>();
        every_workload::<RawStack>();
        every_workload::<RawSegmented>();
        every_workload::<Kanal>();
        every_workload::<Flume>();
        every_workload::<Std>();
    }

    /// The pinned placements run the same workloads, every thread where it was put.
    #[cfg(target_os = "linux")]
    #[test]
    fn pinned_runs_deliver() {
        let cpus = allowed_cpus().expect("affinity");
        let two = Placement::TwoCores {
            send: cpus[0],
            recv: *cpus.get(1).unwrap_or(&cpus[0]),
        };
        for placement in [Placement::OneCore(cpus[0]), two] {
            let run = throughput::<Crossbeam>(Flavor::Rendezvous, 2, 2, 200, None, placement);
            assert_eq!(run.shares.iter().sum::<u64>(), 200);
            assert_eq!(ping_pong::<Dualq>(50, placement).messages, 50);
        }
        // The caller's scoped pin is undone.
        assert_eq!(allowed_cpus().expect("affinity"), cpus);
    }
}
