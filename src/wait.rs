//! How a party waits for its partner before it parks: spin, yield, or neither, learned from how
//! recent waits ended.
//!
//! A waiter that finds no partner has three ways to pass the time, each right in one regime:
//!
//! | the partner is… | best | what it costs here |
//! | --- | --- | --- |
//! | running on another CPU, about to come | **spin** on the cell or slot | a cache-line transfer, about 0.3 µs |
//! | runnable on *our* CPU (one core, or two vCPUs the host time-shares) | **yield** the CPU to it | a context switch, about 2 µs; spinning would burn our whole time slice |
//! | blocked, or slow (a paced sender) | **park** | a futex wait and wake, about 40 µs across cores; spinning or yielding only burns CPU |
//!
//! The regime changes from run to run on a shared machine, and with the threads' placement
//! (pinned to one core, to two, or not at all), so it is learned. A [`WaitPolicy`] keeps two
//! budgets, shared by the waiters of one side of one structure: how long to spin and how many
//! times to yield before parking. After each wait it looks at how the wait ended:
//!
//! | the wait ended… | what it says | spin budget | yield budget |
//! | --- | --- | --- | --- |
//! | while spinning, after `d` | the partner runs in parallel | rises toward `2·d` (decays by 1/16 otherwise) | unchanged |
//! | at the `k`-th yield, and a yield gave our CPU away (it took 2 µs or more) | the partner needed our CPU: spinning only delays it | halves (0 below 1 µs) | at least `2·k` |
//! | at the `k`-th yield, every yield returning at once | the partner runs on another CPU and came a little after the spin budget | doubles (at least 1 µs) | unchanged |
//! | after parking, within 40 µs | the budgets were too small | at least 1 µs | doubles (at least 2) |
//! | after parking, later | the partner is slow: waiting actively only burns CPU | halves | halves |
//!
//! On a machine with a single CPU nothing spins (the partner cannot run meanwhile). Threads
//! pinned to one CPU are not told apart: their partner may be pinned to another (spinning
//! pays) or to the same one (the yields that end their waits turn the spin off). A budget that
//! has fallen to zero is probed again on every 16th wait (a 1 µs spin, or a
//! single yield), so the policy notices when the regime comes back. Only the party at the front
//! of its line spins and teaches the policy. The others park at once, except where the policy
//! has learned that the partners share our CPU (its spin budget is zero): there they yield as
//! many times as the yield budget allows, which lets the partners run and serve the line
//! (see the callers).
//!
//! The policy is a heuristic: its atomics are std's even under loom, and a racing update only
//! costs time. Under loom there is no clock: a wait looks once and then parks.
//!
//! To measure what each way of waiting costs on its own, the environment variable `DUALQ_WAIT`
//! fixes the strategy for the whole process: `spin`, `yield` or `park` (see [`Strategy`]).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
#[cfg(not(loom))]
use std::time::Instant;

use crate::sync::Timer;

/// The shortest useful spin: a partner that is already running reaches us within this.
const MIN_SPIN: Duration = Duration::from_micros(1);
/// The longest spin, about the price of parking and being woken: spinning longer than that can
/// never pay for itself.
const MAX_SPIN: Duration = Duration::from_micros(40);
/// The most yields before parking: each is a system call, and past a few dozen the partner is
/// not waiting for our CPU.
const MAX_YIELDS: u32 = 64;
/// A yield that takes this long gave the CPU to another thread (a context switch here costs
/// about 2 µs); one that returns sooner found nothing else to run on this CPU.
#[cfg(not(loom))]
const SWITCHED: Duration = Duration::from_micros(2);
/// A budget that is zero is tried again once in this many waits.
const PROBE_EVERY: u32 = 16;
/// Rounds of doubling `spin_loop` runs (1, 2, 4, 8 hints: well under a microsecond) before a
/// spin starts reading the clock, which costs about 40 ns here (more than a handoff to a running
/// partner).
#[cfg(not(loom))]
const SPINS_BEFORE_CLOCK: u32 = 4;
/// `spin_loop` hints between two looks at the awaited word, once the clock runs.
#[cfg(not(loom))]
const SPINS_PER_LOOK: u32 = 8;

/// How the waiters of one side of one structure wait before they park (module docs).
#[derive(Debug)]
pub(crate) struct WaitPolicy {
    /// Spin budget in nanoseconds; 0 means "do not spin" (probed now and then).
    spin_ns: AtomicU32,
    /// Yields before parking; 0 means "do not yield" (probed now and then).
    yields: AtomicU32,
    /// Waits begun, to probe zero budgets every [`PROBE_EVERY`]-th time.
    waits: AtomicU32,
}

/// How a wait ended.
#[cfg_attr(loom, allow(dead_code))]
#[derive(Clone, Copy, Debug)]
enum Ended {
    /// The partner came while we spun, after this long.
    Spinning(Duration),
    /// The partner came at the `k`-th yield (1 = the first); `switched`: some yield gave our CPU
    /// to another thread (it took long enough for a context switch), rather than returning at
    /// once because nothing else was runnable here.
    Yielding { k: u32, switched: bool },
    /// The partner came after we parked; the whole wait lasted this long.
    Parked(Duration),
}

impl WaitPolicy {
    pub(crate) const fn new() -> Self {
        WaitPolicy {
            spin_ns: AtomicU32::new(MAX_SPIN.as_nanos() as u32 / 2),
            yields: AtomicU32::new(8),
            waits: AtomicU32::new(0),
        }
    }

    /// This wait's budgets: (spin, yields), with zero budgets probed now and then.
    #[cfg_attr(loom, allow(dead_code))]
    fn budgets(&self) -> (Duration, u32) {
        #[cfg(not(loom))]
        match strategy() {
            Strategy::Learned => {}
            Strategy::Spin => return (MAX_SPIN, 0),
            Strategy::Yield => return (Duration::ZERO, MAX_YIELDS),
            Strategy::Park => return (Duration::ZERO, 0),
        }
        // Relaxed (all three): heuristic values, not synchronising anything.
        let mut spin = Duration::from_nanos(u64::from(self.spin_ns.load(Ordering::Relaxed)));
        let mut yields = self.yields.load(Ordering::Relaxed);
        if spin.is_zero() || yields == 0 {
            let probe = self.waits.fetch_add(1, Ordering::Relaxed) % PROBE_EVERY == 0;
            if probe {
                spin = spin.max(MIN_SPIN);
                yields = yields.max(1);
            }
        }
        (spin, yields)
    }

    /// Learns from how a wait ended (the table in the module docs).
    #[cfg_attr(loom, allow(dead_code))]
    fn observe(&self, ended: Ended) {
        let min = MIN_SPIN.as_nanos() as u32;
        let max = MAX_SPIN.as_nanos() as u32;
        // Relaxed (all): heuristic values; a racing update is simply overwritten.
        let spin = self.spin_ns.load(Ordering::Relaxed);
        let yields = self.yields.load(Ordering::Relaxed);
        let (new_spin, new_yields) = match ended {
            Ended::Spinning(waited) => {
                let wanted = (2 * waited.as_nanos() as u32).min(max);
                (wanted.max(spin - spin / 16).max(min), yields)
            }
            Ended::Yielding { k, switched: true } => (spin / 2, yields.max(2 * k).min(MAX_YIELDS)),
            Ended::Yielding {
                switched: false, ..
            } => ((2 * spin).clamp(min, max), yields),
            Ended::Parked(waited) if waited <= MAX_SPIN => {
                (spin.max(min), (2 * yields).clamp(2, MAX_YIELDS))
            }
            Ended::Parked(_) => (spin / 2, yields / 2),
        };
        let new_spin = if new_spin < min { 0 } else { new_spin };
        if new_spin != spin {
            self.spin_ns.store(new_spin, Ordering::Relaxed);
        }
        if new_yields != yields {
            self.yields.store(new_yields, Ordering::Relaxed);
        }
    }
}

impl WaitPolicy {
    /// Spins, then yields, as the budgets say, while `pending()` holds and `timer` has not
    /// expired. Returns whether `pending()` turned false; if it did not, the caller parks, and
    /// calls [`parked`](Self::parked) with the same `clock` once the wait is over.
    pub(crate) fn wait_actively(
        &self,
        clock: &mut WaitClock,
        timer: &Timer,
        mut pending: impl FnMut() -> bool,
    ) -> bool {
        #[cfg(not(loom))]
        {
            let (spin, yields) = self.budgets();
            if !spin.is_zero() && may_spin() {
                if let Some(ended) = spin_while(spin, clock, timer, &mut pending) {
                    self.observe(ended);
                    return true;
                }
            }
            let mut switched = false;
            for k in 1..=yields {
                if timer.expired() {
                    break;
                }
                let before = Instant::now();
                std::thread::yield_now();
                switched |= before.elapsed() >= SWITCHED;
                if !pending() {
                    self.observe(Ended::Yielding { k, switched });
                    return true;
                }
            }
            clock.start();
            false
        }
        #[cfg(loom)]
        {
            // One look before parking, and no yield: enough to explore "decided while waiting"
            // (the partner runs between the claim and the look) without an unbounded loop in
            // the model. Loom only: a yield here (`Backoff::snooze` is one under loom) makes the
            // partner take its next step before the waiter may go on, so every park, and so
            // every timeout, sat behind one more preemption than the models can afford.
            let _ = (clock, timer);
            !pending()
        }
    }

    /// Yields, at most the yield budget's number of times, while `pending()` holds and `timer`
    /// has not expired; returns whether `pending()` turned false. How a waiter that is not first
    /// in its line waits before it parks: it never spins (its partner serves the line ahead of
    /// it first, so a spin would only take a CPU that partner may need), and it does not teach
    /// the policy (its wait is as long as that line, which says nothing about how soon a
    /// partner comes). With a yield budget of zero (a paced partner, or under loom) it returns
    /// at once and the waiter parks.
    pub(crate) fn yield_behind(&self, timer: &Timer, mut pending: impl FnMut() -> bool) -> bool {
        #[cfg(not(loom))]
        {
            for _ in 0..self.yields_behind_budget() {
                if timer.expired() {
                    break;
                }
                std::thread::yield_now();
                if !pending() {
                    return true;
                }
            }
            false
        }
        #[cfg(loom)]
        {
            let _ = (timer, &mut pending);
            false
        }
    }

    /// Whether a waiter behind others would yield before parking (see
    /// [`yield_behind`](Self::yield_behind)); if not, it parks at once.
    pub(crate) fn yields_behind(&self) -> bool {
        #[cfg(not(loom))]
        return self.yields_behind_budget() > 0;
        #[cfg(loom)]
        false
    }

    /// How many times a waiter behind others yields: the yield budget, but only where the
    /// policy has learned that spinning does not pay (its spin budget is zero: the partners
    /// share our CPU). Where partners run in parallel the front waiter spins, and the waiters
    /// behind it park at once: yielding there only takes turns on a CPU with the threads just
    /// woken, and delays them (a paced workload's receivers overtook each other in 10% of
    /// deliveries parking and in 50% yielding).
    #[cfg(not(loom))]
    fn yields_behind_budget(&self) -> u32 {
        match strategy() {
            // Relaxed (both): heuristic values (see `budgets`).
            Strategy::Learned if self.spin_ns.load(Ordering::Relaxed) == 0 => {
                self.yields.load(Ordering::Relaxed)
            }
            Strategy::Learned => 0,
            Strategy::Yield => MAX_YIELDS,
            Strategy::Spin | Strategy::Park => 0,
        }
    }

    /// A wait that parked is over: the policy learns how long it took (from the moment
    /// [`wait_actively`](Self::wait_actively) gave up, or earlier if it read the clock).
    pub(crate) fn parked(&self, clock: &WaitClock) {
        #[cfg(not(loom))]
        if let Some(start) = clock.start {
            self.observe(Ended::Parked(start.elapsed()));
        }
        #[cfg(loom)]
        let _ = clock;
    }
}

/// Spins for at most `budget`; `Some` if `pending()` turned false.
#[cfg(not(loom))]
fn spin_while(
    budget: Duration,
    clock: &mut WaitClock,
    timer: &Timer,
    pending: &mut impl FnMut() -> bool,
) -> Option<Ended> {
    for step in 0..SPINS_BEFORE_CLOCK {
        if !pending() {
            return Some(Ended::Spinning(Duration::ZERO));
        }
        for _ in 0..1u32 << step {
            std::hint::spin_loop();
        }
    }
    let start = clock.start();
    let mut rounds: u32 = 0;
    loop {
        if !pending() {
            return Some(Ended::Spinning(start.elapsed()));
        }
        rounds = rounds.wrapping_add(1);
        // The clock every 16th round (about a microsecond of spinning): it costs more than a
        // look at the cell, which the waiter owns and which stays in its cache.
        if rounds % 16 == 0 && (start.elapsed() >= budget || timer.expired()) {
            return None;
        }
        // A short run of hints between looks: a `pause` costs tens of cycles on some CPUs, and
        // a partner that has just written should be seen within a fraction of a microsecond.
        for _ in 0..SPINS_PER_LOOK {
            std::hint::spin_loop();
        }
    }
}

/// When a wait first read the clock. Started lazily: a short wait never reads it. Kept by a
/// parked operation until it is woken, for [`WaitPolicy::parked`].
#[derive(Debug, Default)]
pub(crate) struct WaitClock {
    #[cfg(not(loom))]
    start: Option<Instant>,
}

impl WaitClock {
    /// A clock that has not started.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Starts the clock if it has not started; returns when it started.
    #[cfg(not(loom))]
    fn start(&mut self) -> Instant {
        *self.start.get_or_insert_with(Instant::now)
    }
}

/// A fixed waiting strategy, for measuring what each one costs in each placement (the
/// comparison report's handoff workloads): the environment variable `DUALQ_WAIT` set to
/// `spin` (always spin for the longest budget, then park), `yield` (never spin, yield up to the
/// most yields, then park) or `park` (park at once). Unset or anything else: the learned policy
/// of this module. Read once per process.
#[cfg(not(loom))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    Learned,
    Spin,
    Yield,
    Park,
}

#[cfg(not(loom))]
fn strategy() -> Strategy {
    static STRATEGY: std::sync::OnceLock<Strategy> = std::sync::OnceLock::new();
    *STRATEGY.get_or_init(|| match std::env::var("DUALQ_WAIT").as_deref() {
        Ok("spin") => Strategy::Spin,
        Ok("yield") => Strategy::Yield,
        Ok("park") => Strategy::Park,
        _ => Strategy::Learned,
    })
}

/// Whether the process may run on more than one CPU (otherwise a partner cannot run while we
/// spin). Read once: the affinity of the thread that asks first, usually the main thread, as
/// the process's.
#[cfg(not(loom))]
fn may_spin() -> bool {
    static MULTI_CPU: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MULTI_CPU.get_or_init(|| std::thread::available_parallelism().is_ok_and(|cpus| cpus.get() > 1))
}
