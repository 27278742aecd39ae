//! Helpers shared by the channel test files (`tests/channel.rs`, `tests/mpsc.rs`): both flavors
//! behind one enum, the test kit's drop ledger (re-exported), a way to wait until a thread is really blocked, and a
//! join that turns a lost wake-up into a test failure instead of a hang.
//!
//! Not every test file uses every helper.
#![allow(dead_code)]

use dualq::channel::{rendezvous, unbounded, Receiver, Sender};
pub(crate) use dualq_testkit::{Ledger, Tracked};
use std::sync::mpsc as std_mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The two kinds of channel, so that a test can run against both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    Unbounded,
    Rendezvous,
}

pub(crate) const FLAVORS: [Flavor; 2] = [Flavor::Unbounded, Flavor::Rendezvous];

/// A channel holding values, the threads of the senders blocked behind them (each returns
/// what its send returned, a value given back as its id): see
/// [`Kind::full_with_blocked_senders`].
pub(crate) type FullChannel = (
    Sender<Tracked>,
    Receiver<Tracked>,
    Vec<JoinHandle<Result<(), usize>>>,
);

/// Every kind of channel, with capacities: for the tests whose rules hold on all of them.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Unbounded,
    Bounded(usize),
    Rendezvous,
}

/// The kinds most tests run on: unbounded, `bounded(1)` and `bounded(3)`, rendezvous.
pub(crate) const KINDS: [Kind; 4] = [
    Kind::Unbounded,
    Kind::Bounded(1),
    Kind::Bounded(3),
    Kind::Rendezvous,
];

impl Kind {
    pub(crate) fn make<T>(self) -> (Sender<T>, Receiver<T>) {
        match self {
            Kind::Unbounded => unbounded(),
            Kind::Bounded(cap) => dualq::channel::bounded(cap),
            Kind::Rendezvous => rendezvous(),
        }
    }

    /// How many values a test sends without a receiver: the capacity, or 5 if unbounded.
    pub(crate) fn room(self) -> usize {
        match self {
            Kind::Unbounded => 5,
            Kind::Bounded(cap) => cap,
            Kind::Rendezvous => 0,
        }
    }

    /// A channel of this kind holding the values `0..room()` of `ledger`, and three senders
    /// blocked behind them with the values `room()..room() + 3`, in that order (each blocked
    /// before the next starts). Each sender's thread returns what its send returned, the
    /// value given back as its id.
    pub(crate) fn full_with_blocked_senders(self, ledger: &'static Ledger) -> FullChannel {
        let (tx, rx) = self.make();
        for id in 0..self.room() {
            tx.send(ledger.value(id)).unwrap();
        }
        let blocked = (self.room()..self.room() + 3)
            .map(|id| {
                let tx = tx.clone();
                let value = ledger.value(id);
                spawn_blocked(move || tx.send(value).map_err(|e| e.into_inner().id()))
            })
            .collect();
        (tx, rx, blocked)
    }
}

impl Flavor {
    pub(crate) fn channel<T>(self) -> (Sender<T>, Receiver<T>) {
        match self {
            Flavor::Unbounded => unbounded(),
            Flavor::Rendezvous => rendezvous(),
        }
    }
}

/// How many rounds a race loop runs: `base`, or ten times that with `DUALQ_LONG=1`.
pub(crate) fn rounds(base: usize) -> usize {
    if std::env::var_os("DUALQ_LONG").is_some_and(|v| v == "1") {
        base * 10
    } else {
        base
    }
}

/// A generous bound for "wakes promptly": a lost wake-up never ends, a slow one on a loaded
/// two-core machine takes milliseconds.
pub(crate) const WAKE_BOUND: Duration = Duration::from_secs(1);

/// How long a thread may take to finish before we call it hung.
pub(crate) const HANG_BOUND: Duration = Duration::from_secs(20);

/// Joins `handle`, failing the test if the thread has not finished within `limit` (a thread
/// that missed a wake-up would otherwise hang the whole test binary).
pub(crate) fn join_within<R>(handle: JoinHandle<R>, limit: Duration) -> R {
    let start = Instant::now();
    while !handle.is_finished() {
        assert!(
            start.elapsed() < limit,
            "thread still running after {limit:?}: a wake-up was lost or a value never came"
        );
        thread::sleep(Duration::from_millis(1));
    }
    match handle.join() {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Joins with [`HANG_BOUND`].
pub(crate) fn join<R>(handle: JoinHandle<R>) -> R {
    join_within(handle, HANG_BOUND)
}

// ------------------------------------------------------------------------------------------
// Waiting until a thread is blocked.

/// Where to look up a thread's scheduler state, if this platform tells us.
struct Probe {
    /// `/proc/self/task/<tid>/stat` on Linux.
    stat: Option<String>,
}

impl Probe {
    /// Called on the thread to be watched.
    fn here() -> Probe {
        let stat = std::fs::read_link("/proc/thread-self")
            .ok()
            .and_then(|path| {
                path.file_name()
                    .and_then(|tid| tid.to_str())
                    .map(str::to_owned)
            })
            .map(|tid| format!("/proc/self/task/{tid}/stat"));
        Probe { stat }
    }

    /// `Some(true)` if the thread sleeps in the kernel now, `Some(false)` if it runs, `None` if
    /// it has exited (or we cannot tell).
    fn sleeping(&self) -> Option<bool> {
        let text = std::fs::read_to_string(self.stat.as_ref()?).ok()?;
        // The state letter follows the command name, which is in parentheses and may itself
        // contain spaces or parentheses: take what follows the last ')'.
        let state = text[text.rfind(')')? + 1..].trim_start().chars().next()?;
        Some(state == 'S')
    }
}

/// Waits until the thread that made `probe` sleeps in the kernel (it parked in the channel
/// operation it called right after making the probe), or has exited.
///
/// The channel has no "how many receivers wait" query, so this looks at the thread itself:
/// on Linux through `/proc`, elsewhere by a generous sleep. Either way a little extra sleep
/// follows, so that a thread caught in some other brief kernel sleep (an allocator lock) before
/// it reached the channel is very unlikely to fool us.
fn wait_until_sleeping(probe: &Probe) {
    if probe.stat.is_none() {
        thread::sleep(Duration::from_millis(50));
        return;
    }
    let start = Instant::now();
    let mut seen = 0;
    while seen < 3 {
        match probe.sleeping() {
            None => return, // it finished: the caller's checks will say whether it should have
            Some(true) => seen += 1,
            Some(false) => seen = 0,
        }
        assert!(
            start.elapsed() < HANG_BOUND,
            "the thread never blocked (it keeps running)"
        );
        thread::sleep(Duration::from_millis(2));
    }
    thread::sleep(Duration::from_millis(5));
}

/// Spawns `f` on a new thread and returns once that thread is blocked inside `f`. `f` must block
/// at once (its first action is the channel operation that waits).
pub(crate) fn spawn_blocked<R, F>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (probe_tx, probe_rx) = std_mpsc::channel();
    let handle = thread::spawn(move || {
        probe_tx.send(Probe::here()).unwrap();
        f()
    });
    let probe = probe_rx.recv().expect("the thread died before it started");
    wait_until_sleeping(&probe);
    handle
}

/// Asserts that the thread has not finished: it is still blocked. Gives it `grace` to finish
/// wrongly first.
pub(crate) fn assert_still_blocked<R>(handle: &JoinHandle<R>, grace: Duration, what: &str) {
    thread::sleep(grace);
    assert!(
        !handle.is_finished(),
        "{what} returned but should still wait"
    );
}

// ------------------------------------------------------------------------------------------

/// A small deterministic pseudo-random sequence (xorshift), to vary timings between rounds
/// without a dependency.
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new(seed: u64) -> Jitter {
        Jitter(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    /// Spins for a random short while (up to `max` spin hints).
    pub(crate) fn spin(&mut self, max: u64) {
        for _ in 0..self.below(max + 1) {
            std::hint::spin_loop();
        }
    }
}
