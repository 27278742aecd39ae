//! Recording histories from real threads.
//!
//! A *scenario* (generated from a seed) gives each of 3–4 threads a script of 3–5 calls. A batch
//! of scenarios runs on one set of worker threads: for each scenario the workers meet at a
//! barrier (so their calls overlap), run their scripts against a fresh structure, and meet again;
//! the checking thread then records a census and drains what is left (quiescent calls, after
//! everything else). Every call is stamped before and after with `fetch_add` on one shared
//! counter: the stamps of one counter are totally ordered, so "A returned before B was invoked"
//! in the stamps implies it in real time (and, with AcqRel, that A happens before B), while
//! overlaps can only widen intervals: never a false alarm.
//!
//! Every blocking call is bounded (`pop_timeout`, `transfer_timeout`), so a history always ends
//! with no call pending. Values are distinct within a history.

use super::dual::{Call, History, Record, Val, QUIESCENT};
use dualq::{DualQueue, DualStack};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::Duration;

/// SplitMix64: a small, good-enough seeded generator (no `rand` dependency).
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the bias is negligible for small n).
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n)) as u32
    }

    /// Picks an index with the given weights.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let mut x = self.below(weights.iter().sum());
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        unreachable!()
    }
}

/// One call of a script (values are assigned when it runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Push,
    TryPop,
    PopTimeout(u32),
    TryTransfer,
    TransferTimeout(u32),
    IsEmpty,
    HasWaitingConsumer,
}

/// What a thread does just before a call, to vary the interleavings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pause {
    None,
    Spin(u32),
    Yield,
}

/// A generated scenario: one script per thread.
#[derive(Clone, Debug)]
pub(crate) struct Scenario {
    pub(crate) seed: u64,
    pub(crate) threads: Vec<Vec<(Pause, Action)>>,
}

/// Timeouts of blocking calls, in microseconds. 0 means "do not wait at all" (the call then
/// behaves like its `try_` form).
const TIMEOUTS: [u32; 5] = [0, 20, 100, 400, 1500];

/// The scenario for `seed`: 3–4 threads × 3–5 calls, from one of a few operation mixes.
pub(crate) fn scenario(seed: u64) -> Scenario {
    let mut rng = Rng::new(seed);
    // Weights of: push, try_pop, pop_timeout, try_transfer, transfer_timeout, is_empty,
    // has_waiting_consumer.
    const MIXES: [[u32; 7]; 4] = [
        [4, 2, 4, 1, 3, 1, 1], // everything
        [1, 1, 5, 2, 5, 0, 1], // mostly blocking on both sides (a synchronous queue)
        [5, 3, 3, 0, 0, 1, 1], // no transfers: producers never wait
        [3, 1, 5, 3, 1, 1, 2], // many waiting consumers, try_transfer to them
    ];
    let mix = &MIXES[rng.below(MIXES.len() as u32) as usize];
    let threads = 3 + rng.below(2) as usize;
    let scripts = (0..threads)
        .map(|_| {
            let calls = 3 + rng.below(3);
            (0..calls)
                .map(|_| {
                    let pause = match rng.below(8) {
                        0..=4 => Pause::None,
                        5 | 6 => Pause::Spin(1 + rng.below(400)),
                        _ => Pause::Yield,
                    };
                    let timeout = TIMEOUTS[rng.weighted(&[1, 2, 3, 3, 1])];
                    let action = match rng.weighted(mix) {
                        0 => Action::Push,
                        1 => Action::TryPop,
                        2 => Action::PopTimeout(timeout),
                        3 => Action::TryTransfer,
                        4 => Action::TransferTimeout(timeout),
                        5 => Action::IsEmpty,
                        _ => Action::HasWaitingConsumer,
                    };
                    (pause, action)
                })
                .collect()
        })
        .collect();
    Scenario {
        seed,
        threads: scripts,
    }
}

/// A structure under test, as the recorder drives it.
pub(crate) trait Target: Default + Sync {
    const NAME: &'static str;
    fn push(&self, v: Val);
    fn try_pop(&self) -> Option<Val>;
    fn pop_timeout(&self, d: Duration) -> Option<Val>;
    fn try_transfer(&self, v: Val) -> Result<(), Val>;
    fn transfer_timeout(&self, v: Val, d: Duration) -> Result<(), Val>;
    fn is_empty(&self) -> bool;
    fn has_waiting_consumer(&self) -> bool;
    fn len(&self) -> usize;
    fn waiting_consumers(&self) -> usize;
    fn waiting_producers(&self) -> usize;
}

macro_rules! target {
    ($ty:ident) => {
        impl Target for $ty<Val> {
            const NAME: &'static str = stringify!($ty);
            fn push(&self, v: Val) {
                $ty::push(self, v)
            }
            fn try_pop(&self) -> Option<Val> {
                $ty::try_pop(self)
            }
            fn pop_timeout(&self, d: Duration) -> Option<Val> {
                $ty::pop_timeout(self, d)
            }
            fn try_transfer(&self, v: Val) -> Result<(), Val> {
                $ty::try_transfer(self, v)
            }
            fn transfer_timeout(&self, v: Val, d: Duration) -> Result<(), Val> {
                $ty::transfer_timeout(self, v, d)
            }
            fn is_empty(&self) -> bool {
                $ty::is_empty(self)
            }
            fn has_waiting_consumer(&self) -> bool {
                $ty::has_waiting_consumer(self)
            }
            fn len(&self) -> usize {
                $ty::len(self)
            }
            fn waiting_consumers(&self) -> usize {
                $ty::waiting_consumers(self)
            }
            fn waiting_producers(&self) -> usize {
                $ty::waiting_producers(self)
            }
        }
    };
}
target!(DualQueue);
target!(DualStack);

/// Runs one call, stamped on `clock`.
fn timed(clock: &AtomicU64, thread: usize, f: impl FnOnce() -> Call) -> Record {
    // AcqRel: a stamp that reads a later value of the clock than another thread's stamp
    // synchronises with it (RMWs extend release sequences), so "A's response stamp < B's
    // invocation stamp" makes all of A happen before all of B, not only precede it in time.
    let inv = clock.fetch_add(1, Ordering::AcqRel);
    let call = f();
    let ret = clock.fetch_add(1, Ordering::AcqRel);
    Record {
        thread,
        inv,
        ret,
        call,
    }
}

/// Runs thread `thread`'s script on `target`. Values are `thread * 100 + k + 1` for the k-th
/// call, so they are distinct in a history.
fn run_script<T: Target>(
    target: &T,
    clock: &AtomicU64,
    thread: usize,
    script: &[(Pause, Action)],
) -> Vec<Record> {
    let mut out = Vec::with_capacity(script.len());
    for (k, &(pause, action)) in script.iter().enumerate() {
        match pause {
            Pause::None => {}
            Pause::Spin(n) => (0..n).for_each(|_| std::hint::spin_loop()),
            Pause::Yield => std::thread::yield_now(),
        }
        let v = (thread * 100 + k + 1) as Val;
        let us = |micros: u32| Duration::from_micros(u64::from(micros));
        out.push(timed(clock, thread, || match action {
            Action::Push => {
                target.push(v);
                Call::Push(v)
            }
            Action::TryPop => Call::TryPop(target.try_pop()),
            Action::PopTimeout(micros) => Call::PopTimeout {
                micros,
                got: target.pop_timeout(us(micros)),
            },
            Action::TryTransfer => Call::TryTransfer(v, target.try_transfer(v)),
            Action::TransferTimeout(micros) => Call::TransferTimeout {
                v,
                micros,
                result: target.transfer_timeout(v, us(micros)),
            },
            Action::IsEmpty => Call::IsEmpty(target.is_empty()),
            Action::HasWaitingConsumer => Call::HasWaitingConsumer(target.has_waiting_consumer()),
        }));
    }
    out
}

/// After the workers finished: a census, then `try_pop` until `None`.
fn quiesce<T: Target>(target: &T, clock: &AtomicU64) -> Vec<Record> {
    let mut out = vec![timed(clock, QUIESCENT, || Call::Census {
        values: target.len(),
        consumers: target.waiting_consumers(),
        producers: target.waiting_producers(),
    })];
    // Bounded, in case a broken structure makes up values.
    for _ in 0..64 {
        let r = timed(clock, QUIESCENT, || Call::TryPop(target.try_pop()));
        let done = r.call == Call::TryPop(None);
        out.push(r);
        if done {
            break;
        }
    }
    out
}

/// Runs every scenario on a fresh `T` and returns their histories, in order.
pub(crate) fn record<T: Target>(scenarios: &[Scenario]) -> Vec<History> {
    let n = scenarios.len();
    let workers = scenarios.iter().map(|s| s.threads.len()).max().unwrap_or(0);
    let targets: Vec<T> = (0..n).map(|_| T::default()).collect();
    let clocks: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
    let barrier = Barrier::new(workers + 1);
    let (targets, clocks, barrier) = (&targets, &clocks, &barrier);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    let mut mine = Vec::with_capacity(n);
                    for h in 0..n {
                        barrier.wait();
                        mine.push(match scenarios[h].threads.get(w) {
                            Some(script) => run_script(&targets[h], &clocks[h], w, script),
                            None => Vec::new(),
                        });
                        barrier.wait();
                    }
                    mine
                })
            })
            .collect();
        let mut tails = Vec::with_capacity(n);
        for h in 0..n {
            barrier.wait(); // start
            barrier.wait(); // every worker is done
            tails.push(quiesce(&targets[h], &clocks[h]));
        }
        let mut per_worker: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("a worker panicked").into_iter())
            .collect();
        tails
            .into_iter()
            .zip(scenarios)
            .map(|(tail, scenario)| {
                let mut records: Vec<Record> = per_worker
                    .iter_mut()
                    .flat_map(|w| w.next().expect("one entry per scenario"))
                    .collect();
                records.extend(tail);
                History {
                    label: format!("{} seed {:#x}", T::NAME, scenario.seed),
                    records,
                }
            })
            .collect()
    })
}
