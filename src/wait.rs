//! How a party waits for its partner before it parks: spin, yield, or neither, learned from how
//! recent waits ended.
//!
//! A waiter that finds no partner has three ways to pass the time, each right in one regime:
//!
//! | the partner is… | best | what it costs here |
//! | --- | --- | --- |
//! | running on another CPU, about to come | **spin** on the cell or slot | a cache-line transfer, about 0.3 µs |
//! | runnable on *our* CPU, and nothing else is (one core, or two vCPUs the host time-shares) | **yield** the CPU to it | a context switch, about 1 µs; spinning would hold the CPU the partner needs until the spin runs out |
//! | blocked or slow (a paced sender), or sharing our CPU with a busy process | **park** | a futex wait and wake, 10 to 40 µs; spinning or yielding only burns CPU, and a yield hands a busy process a whole time slice |
//!
//! The regime changes from run to run on a shared machine, with the threads' placement (pinned
//! to one core, to two, or not at all) and with whatever else runs, so it is learned. Nothing
//! about the process tells it: a thread pinned to one CPU may have its partner pinned to
//! another, and a process allowed on every CPU may have both parties on one because the others
//! are busy (a machine with a single CPU needs no special case either: there the partner always
//! shares our CPU, which the first waits show). A [`WaitPolicy`] keeps, for the waiters of one
//! side of one structure, how long to spin and how many times to yield before parking, and what
//! a park has cost lately.
//!
//! # What a wait says
//!
//! A wait is judged by the CPU the waiter kept, not only by the time it took ([`Away`]). A
//! spinning waiter reads the clock every quarter microsecond or so; two readings much further
//! apart mean the thread lost its CPU in between. A yield that takes longer than a system call
//! gave the CPU to another thread. Where the clock cannot tell (the partner came at the first
//! yield, and that yield was quick: a switch to a partner that answers at once costs about as
//! much as a yield that switches nothing), a wait whose spin ran out, or that probes a yield
//! budget of zero, reads the thread's CPU time before and after the yield
//! (`CLOCK_THREAD_CPUTIME_ID`, Linux only, a system call of about 0.7 µs here, so only then):
//! wall time the thread did not run was another thread's. A parked waiter learns from the
//! thread that wakes it when, and on which CPU, it was woken ([`WakeStamp`]).
//!
//! How long the waiter was away from its CPU says who had it:
//!
//! * **never**: the partner came while we held our CPU, so it runs elsewhere;
//! * **briefly** (under [`LONG_AWAY`]), or the thread that woke us ran on the CPU we parked
//!   on: a thread that gave the CPU back soon, the partner that needed it. Spinning only
//!   delayed it;
//! * **long** (a time slice), or a wake-up that reached us a time slice late: a busy thread
//!   shares our CPU. A yield hands it a whole slice.
//!
//! # What the policy learns
//!
//! Two things, separately. **Where the partner runs** sets the spin budget `s`:
//!
//! | the wait ended… | and it says | spin budget |
//! | --- | --- | --- |
//! | any way, the partner having needed our CPU (briefly away, or woken from our CPU) | spinning delays the partner | quarters (0 below 1 µs) |
//! | while spinning, after `d`, never away | the partner runs in parallel | rises toward `2·d`; otherwise decays by 1/16, but not below a quarter of what a park costs lately (at most 40 µs) |
//! | while yielding, at the `k`-th yield, never away (`k ≥ 2`, or the first checked by CPU time) | the partner runs elsewhere and came a little after the spin | doubles (at least 1 µs) |
//! | after parking, the partner coming within 40 µs (from another CPU) | a spin twice as long would have met it | at least twice that |
//! | after parking, the partner coming later | the partner is slow: spinning only burns CPU | halves |
//! | at the first yield, unchecked; while spinning, before the clock was read; or after a long absence | nothing about the partner | unchanged |
//!
//! **Whether a yield reaches the partner** sets the yield budget `y`: a busy thread on our CPU
//! (long away, or a late wake-up) sets it to 0, and yields are then probed at intervals that
//! double while they keep finding it (16 to 4096 waits); a yield at which the partner came
//! after running on our CPU sets it to at least `2·k`; a park after yields that reached the
//! partner doubles it; a park after a slow partner halves it.
//!
//! Where parks wake late (a busy process on the CPU we wake on), the spin budget keeps up to 40
//! µs through the "decays, but not below a quarter of a park" rule: a partner that runs in
//! parallel is then met by spinning, and a missed one costs a time slice.
//!
//! So a waiter whose partner shares its CPU stops spinning within three waits (20 → 5 → 1.25 →
//! 0.3 µs, which is 0), whatever the process's affinity says, and stops yielding once it finds
//! a busy process there. A spin budget that has fallen to zero is probed on every 16th wait (a
//! 1 µs spin), so the policy notices when the regime comes back; where the partner runs in
//! parallel, yields that return at once while it comes notice it sooner. Only the parties near
//! their turn wait actively and teach the policy (the callers say how near). The others park
//! at once, except where the policy has learned that the partners share our CPU (its spin
//! budget is zero): there they yield as many times as the yield budget allows, which lets the
//! partners run and serve the line.
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
/// The longest spin, about the price of parking and being woken on an idle machine: spinning
/// longer than that can rarely pay for itself.
const MAX_SPIN: Duration = Duration::from_micros(40);
/// The most yields before parking: each is a system call, and past a few dozen the partner is
/// not waiting for our CPU.
const MAX_YIELDS: u32 = 64;
/// A yield that takes this long lost the CPU to another thread: a yield that switches nothing
/// returns in about 0.6 µs here (1 µs at the 99th percentile).
#[cfg(not(loom))]
const YIELD_AWAY: Duration = Duration::from_micros(3);
/// Two readings of the clock during a spin this far apart: the thread lost its CPU in between
/// (a spin reads the clock every quarter microsecond or so). A partner on our CPU that
/// preempts us and answers at once leaves a gap of about a microsecond; an interrupt leaves
/// 1 to 3 µs a few hundred times a second, which costs a spin budget now and then.
#[cfg(not(loom))]
const SPIN_AWAY: Duration = Duration::from_nanos(1500);
/// Away from the CPU this long: the thread that had it did not give it back soon, so it is not
/// a partner that answers and waits (microseconds) but a busy thread that ran for a time slice
/// (0.75 ms or more with Linux's default scheduler settings).
const LONG_AWAY: Duration = Duration::from_micros(200);
/// Wall time not spent on our CPU, over a yield checked by CPU time, that says the yield let
/// another thread run: far above the skew between the two clocks (tens of nanoseconds), below
/// the shortest turn a partner can take (a receive and a send).
#[cfg(all(target_os = "linux", not(loom)))]
const OFF_CPU: Duration = Duration::from_nanos(150);
/// A spin budget that is zero is tried again once in this many waits.
const PROBE_EVERY: u32 = 16;
/// The longest interval, in waits, between two probes of a yield budget that is zero because
/// yields found a busy thread on our CPU (each such probe may hand it a time slice).
const MAX_YIELD_PROBE_EVERY: u32 = 4096;
/// Rounds of doubling `spin_loop` runs (1, 2, 4, 8 hints: well under a microsecond) before a
/// spin starts reading the clock, which costs 20 to 40 ns here (about a handoff to a running
/// partner).
#[cfg(not(loom))]
const SPINS_BEFORE_CLOCK: u32 = 4;
/// `spin_loop` hints between two looks at the awaited word, once the clock runs.
#[cfg(not(loom))]
const SPINS_PER_LOOK: u32 = 8;

/// How the waiters of one side of one structure wait before they park (module docs).
#[derive(Debug)]
pub(crate) struct WaitPolicy {
    /// Spin budget in nanoseconds; 0 means "do not spin" (probed every [`PROBE_EVERY`]-th
    /// wait).
    spin_ns: AtomicU32,
    /// Yields before parking; 0 means "do not yield" (probed every `yield_probe_every`-th
    /// wait).
    yields: AtomicU32,
    /// What a park has cost lately: a moving average of how late a parked waiter ran after
    /// being woken, in nanoseconds.
    park_ns: AtomicU32,
    /// Waits between two probes of a zero yield budget: [`PROBE_EVERY`], doubled (up to
    /// [`MAX_YIELD_PROBE_EVERY`]) each time a yield finds a busy thread on our CPU.
    yield_probe_every: AtomicU32,
    /// Waits begun with a zero budget, to space the probes.
    waits: AtomicU32,
}

/// What one wait may do before it parks.
#[cfg_attr(loom, allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ThisWait {
    /// How long to spin.
    spin: Duration,
    /// How many times to yield.
    yields: u32,
    /// Whether the one yield probes a yield budget of zero.
    yield_probe: bool,
}

/// How a wait ended.
#[cfg_attr(loom, allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    /// The partner came while we spun, after this long.
    Spinning(Duration),
    /// The partner came at the `k`-th yield (1 = the first).
    Yielding(u32),
    /// The partner came after we parked.
    Parked {
        /// From the start of the clock to the wake-up (or, where the waiter does not know
        /// when it was woken, to when it ran again).
        waited: Duration,
        /// How late the thread ran after it was woken, if known.
        wake: Option<Duration>,
        /// Whether the thread that woke us ran on the CPU we parked on, if known.
        woken_from_here: Option<bool>,
    },
}

/// How long a waiter was off its CPU while it waited actively (the longest stretch), and so
/// who had the CPU meanwhile (module docs). Ordered: a wait is judged by its longest absence.
#[cfg_attr(loom, allow(dead_code))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Away {
    /// Never: every reading of the clock and every yield found the thread on its CPU.
    #[default]
    Never,
    /// Not known: the partner came at the first yield, which was quick, and the CPU time could
    /// not be read. Either the partner runs elsewhere, or it took our CPU and answered at once.
    Unknown,
    /// Briefly (under [`LONG_AWAY`]): a thread that gave the CPU back soon, the partner.
    Briefly,
    /// A time slice or more: a busy thread shares our CPU.
    Long,
}

impl Away {
    /// What an absence of `off` says, where anything from `away` on is an absence.
    #[cfg(not(loom))]
    fn of(off: Duration, away: Duration) -> Away {
        if off >= LONG_AWAY {
            Away::Long
        } else if off >= away {
            Away::Briefly
        } else {
            Away::Never
        }
    }
}

/// A side's learned state: what [`WaitPolicy`] stores, as plain numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Budgets {
    /// Spin budget in nanoseconds.
    spin_ns: u32,
    /// Yields before parking.
    yields: u32,
    /// What a park has cost lately, in nanoseconds.
    park_ns: u32,
    /// Waits between two probes of a zero yield budget.
    yield_probe_every: u32,
}

impl Budgets {
    /// Where a policy starts: a middling spin and a few yields, until waits say more.
    const INITIAL: Budgets = Budgets {
        spin_ns: MAX_SPIN.as_nanos() as u32 / 2,
        yields: 8,
        park_ns: 0,
        yield_probe_every: PROBE_EVERY,
    };

    /// The state after a wait that ended as `ended`, away from its CPU as `away` while it
    /// waited actively (the tables in the module docs).
    fn learn(self, ended: Ended, away: Away) -> Budgets {
        let (min, max) = (nanos(MIN_SPIN), nanos(MAX_SPIN));
        let Budgets {
            spin_ns: spin,
            yields,
            park_ns,
            yield_probe_every,
        } = self;
        let (wake, woken_from_here) = match ended {
            Ended::Parked {
                wake,
                woken_from_here,
                ..
            } => (wake, woken_from_here),
            _ => (None, None),
        };
        // The partner needed our CPU: it ran while we were briefly away, or woke us from it.
        let partner_here = away == Away::Briefly || woken_from_here == Some(true);
        // A busy thread shares our CPU: it held the CPU for a slice, or made our wake-up late.
        let busy_here = away == Away::Long || wake.is_some_and(|wake| wake >= LONG_AWAY);

        let spin = match ended {
            _ if partner_here => spin / 4,
            Ended::Spinning(_) if away != Away::Never => spin,
            Ended::Spinning(waited) => {
                let wanted = nanos(waited).saturating_mul(2);
                let kept = (spin - spin / 16).max(park_ns / 4);
                wanted.max(kept).clamp(min, max)
            }
            Ended::Yielding(_) if away == Away::Never => spin.saturating_mul(2).clamp(min, max),
            Ended::Yielding(_) => spin,
            Ended::Parked { waited, .. } if waited > MAX_SPIN => spin / 2,
            Ended::Parked { waited, .. } => {
                spin.max(nanos(waited).saturating_mul(2).clamp(min, max))
            }
        };

        let (yields, yield_probe_every) = match ended {
            _ if busy_here => (0, yield_probe_every.saturating_mul(2)),
            Ended::Yielding(k) if away == Away::Briefly => {
                (yields.max(k.saturating_mul(2)), yield_probe_every / 2)
            }
            Ended::Parked { waited, .. } if waited > MAX_SPIN => (yields / 2, yield_probe_every),
            Ended::Parked { .. } if away == Away::Briefly => {
                (yields.saturating_mul(2).max(2), yield_probe_every / 2)
            }
            _ => (yields, yield_probe_every),
        };

        let park_ns = match wake {
            Some(wake) => (park_ns - park_ns / 4).saturating_add(nanos(wake) / 4),
            None => park_ns,
        };

        Budgets {
            spin_ns: if spin < min { 0 } else { spin },
            yields: yields.min(MAX_YIELDS),
            park_ns,
            yield_probe_every: yield_probe_every.clamp(PROBE_EVERY, MAX_YIELD_PROBE_EVERY),
        }
    }
}

/// A duration in nanoseconds, saturating at `u32::MAX` (4.3 s): a spinner descheduled for
/// seconds must not overflow the arithmetic of [`Budgets::learn`].
fn nanos(d: Duration) -> u32 {
    u32::try_from(d.as_nanos()).unwrap_or(u32::MAX)
}

impl WaitPolicy {
    pub(crate) const fn new() -> Self {
        let Budgets {
            spin_ns,
            yields,
            park_ns,
            yield_probe_every,
        } = Budgets::INITIAL;
        WaitPolicy {
            spin_ns: AtomicU32::new(spin_ns),
            yields: AtomicU32::new(yields),
            park_ns: AtomicU32::new(park_ns),
            yield_probe_every: AtomicU32::new(yield_probe_every),
            waits: AtomicU32::new(0),
        }
    }

    /// The learned state as it stands.
    fn current(&self) -> Budgets {
        // Relaxed (all): heuristic values, not synchronising anything.
        Budgets {
            spin_ns: self.spin_ns.load(Ordering::Relaxed),
            yields: self.yields.load(Ordering::Relaxed),
            park_ns: self.park_ns.load(Ordering::Relaxed),
            yield_probe_every: self.yield_probe_every.load(Ordering::Relaxed),
        }
    }

    /// This wait's budgets, with zero budgets probed now and then.
    #[cfg_attr(loom, allow(dead_code))]
    fn budgets(&self) -> ThisWait {
        #[cfg(not(loom))]
        let fixed = |spin, yields| ThisWait {
            spin,
            yields,
            yield_probe: false,
        };
        #[cfg(not(loom))]
        match strategy() {
            Strategy::Learned => {}
            Strategy::Spin => return fixed(MAX_SPIN, 0),
            Strategy::Yield => return fixed(Duration::ZERO, MAX_YIELDS),
            Strategy::Park => return fixed(Duration::ZERO, 0),
        }
        let Budgets {
            spin_ns,
            yields,
            yield_probe_every,
            ..
        } = self.current();
        let mut this = ThisWait {
            spin: Duration::from_nanos(u64::from(spin_ns)),
            yields,
            yield_probe: false,
        };
        if spin_ns == 0 || yields == 0 {
            // Relaxed: a counter for spacing the probes, not synchronising anything.
            let wait = self.waits.fetch_add(1, Ordering::Relaxed);
            if spin_ns == 0 && wait % PROBE_EVERY == 0 {
                this.spin = MIN_SPIN;
            }
            if yields == 0 && wait % yield_probe_every.max(1) == 0 {
                this.yields = 1;
                this.yield_probe = true;
            }
        }
        this
    }

    /// Learns from how a wait ended (the tables in the module docs).
    #[cfg_attr(loom, allow(dead_code))]
    fn observe(&self, ended: Ended, away: Away) {
        let old = self.current();
        let new = old.learn(ended, away);
        // Relaxed (all): heuristic values; a racing update is simply overwritten.
        for (atomic, old, new) in [
            (&self.spin_ns, old.spin_ns, new.spin_ns),
            (&self.yields, old.yields, new.yields),
            (&self.park_ns, old.park_ns, new.park_ns),
            (
                &self.yield_probe_every,
                old.yield_probe_every,
                new.yield_probe_every,
            ),
        ] {
            if new != old {
                atomic.store(new, Ordering::Relaxed);
            }
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
            let ThisWait {
                spin,
                yields,
                yield_probe,
            } = self.budgets();
            if !spin.is_zero() {
                if let Some(waited) = spin_while(spin, clock, timer, &mut pending) {
                    self.observe(Ended::Spinning(waited), clock.away);
                    return true;
                }
            }
            // If the partner comes at the first yield, and quickly, only the CPU time tells
            // whether it ran on our CPU meanwhile (module docs). Read where the answer matters,
            // since the reading is a system call: after a spin that ran out (it may have held a
            // CPU the partner needed), and on a probe of the yields (the one yield that can
            // bring them back).
            let cpu_before = if yields > 0 && (!spin.is_zero() || yield_probe) {
                thread_cpu_time().map(|cpu| (cpu, Instant::now()))
            } else {
                None
            };
            for k in 1..=yields {
                if timer.expired() {
                    break;
                }
                let before = Instant::now();
                std::thread::yield_now();
                clock.lost_cpu(before.elapsed(), YIELD_AWAY);
                if !pending() {
                    if k == 1 && clock.away == Away::Never {
                        clock.away = match (cpu_before, thread_cpu_time()) {
                            (Some((cpu0, wall0)), Some(cpu1)) => {
                                off_cpu(wall0.elapsed(), cpu1.saturating_sub(cpu0))
                            }
                            _ => Away::Unknown,
                        };
                    }
                    self.observe(Ended::Yielding(k), clock.away);
                    return true;
                }
            }
            clock.start();
            clock.parked_on = current_cpu();
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
    /// has not expired; returns whether `pending()` turned false. How a waiter that is not near
    /// its turn waits before it parks: it never spins (its partner serves the line ahead of
    /// it first, so a spin would only take a CPU that partner may need), and it does not teach
    /// the policy (its wait is as long as that line, which says nothing about how soon a
    /// partner comes). With a yield budget of zero (a paced partner, a busy process beside us,
    /// or under loom) it returns at once and the waiter parks.
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
            Strategy::Learned => match self.current() {
                Budgets {
                    spin_ns: 0, yields, ..
                } => yields,
                _ => 0,
            },
            Strategy::Yield => MAX_YIELDS,
            Strategy::Spin | Strategy::Park => 0,
        }
    }

    /// A wait that parked is over: the policy learns how long it took (from the moment
    /// [`wait_actively`](Self::wait_actively) gave up, or earlier if it read the clock), and
    /// from `woken`, what the thread that woke the waiter recorded (a [`WakeStamp`]; `None`
    /// where the waiter keeps none).
    pub(crate) fn parked(&self, clock: &WaitClock, woken: Option<&WakeStamp>) {
        #[cfg(not(loom))]
        if let Some(start) = clock.start {
            let now = Instant::now();
            let (at, cpu) = woken.map_or((None, None), WakeStamp::read);
            // A stamp from before this wait's clock, or after now, is not this wake-up's.
            let at = at.filter(|&at| at >= start && at <= now);
            let ended = Ended::Parked {
                waited: at.unwrap_or(now).saturating_duration_since(start),
                wake: at.map(|at| now.saturating_duration_since(at)),
                woken_from_here: cpu.zip(clock.parked_on).map(|(waker, ours)| waker == ours),
            };
            self.observe(ended, clock.away);
        }
        #[cfg(loom)]
        let _ = (clock, woken);
    }
}

/// Spins for at most `budget`; returns how long it took if `pending()` turned false. Notes in
/// `clock` how long the thread was away from its CPU (gaps between two readings of the clock).
#[cfg(not(loom))]
fn spin_while(
    budget: Duration,
    clock: &mut WaitClock,
    timer: &Timer,
    pending: &mut impl FnMut() -> bool,
) -> Option<Duration> {
    for step in 0..SPINS_BEFORE_CLOCK {
        if !pending() {
            // Without a reading of the clock nobody knows whether the thread kept its CPU: a
            // partner on our CPU that woke and preempted us answers this soon too.
            clock.away = clock.away.max(Away::Unknown);
            return Some(Duration::ZERO);
        }
        for _ in 0..1u32 << step {
            std::hint::spin_loop();
        }
    }
    let start = clock.start();
    let mut last = start;
    loop {
        let done = !pending();
        // The clock after every look (about a quarter of a microsecond of spinning, a `pause`
        // costing about 27 ns here): a reading costs about a tenth of that, and readings this
        // close together show even a short absence. After the last look too: the partner may
        // have come while the thread was away, and that absence is what the policy must see.
        let now = Instant::now();
        clock.lost_cpu(now.saturating_duration_since(last), SPIN_AWAY);
        last = now;
        let waited = now.saturating_duration_since(start);
        if done {
            return Some(waited);
        }
        if waited >= budget || timer.expired() {
            return None;
        }
        // A short run of hints between looks: a `pause` costs tens of cycles on some CPUs, and
        // a partner that has just written should be seen within a fraction of a microsecond.
        for _ in 0..SPINS_PER_LOOK {
            std::hint::spin_loop();
        }
    }
}

/// What a yield checked by CPU time says: `wall` passed, of which the thread ran `cpu`.
#[cfg(all(target_os = "linux", not(loom)))]
fn off_cpu(wall: Duration, cpu: Duration) -> Away {
    match wall.saturating_sub(cpu) {
        off if off >= OFF_CPU => Away::of(off, OFF_CPU),
        _ => Away::Never,
    }
}

/// Without a thread CPU clock there is nothing to check a yield with.
#[cfg(all(not(target_os = "linux"), not(loom)))]
fn off_cpu(_wall: Duration, _cpu: Duration) -> Away {
    Away::Unknown
}

/// The CPU time the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`): a system call.
#[cfg(all(target_os = "linux", not(loom)))]
fn thread_cpu_time() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable `timespec` for the call to fill; the clock id is a
    // constant every Linux kernel since 2.6.12 knows, and an error is reported, not undefined.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    let secs = u64::try_from(now.tv_sec).ok()?;
    let nanos = u32::try_from(now.tv_nsec).ok()?;
    (rc == 0).then(|| Duration::new(secs, nanos))
}

/// No portable thread CPU clock: a quick first yield stays [`Away::Unknown`].
#[cfg(all(not(target_os = "linux"), not(loom)))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// The CPU the calling thread runs on (`sched_getcpu`: a few nanoseconds, no system call on
/// current kernels), if known.
#[cfg(all(target_os = "linux", not(loom)))]
fn current_cpu() -> Option<u32> {
    // SAFETY: `sched_getcpu` takes no arguments and reports failure as -1.
    let cpu = unsafe { libc::sched_getcpu() };
    u32::try_from(cpu).ok()
}

/// Not known where `sched_getcpu` is missing.
#[cfg(all(not(target_os = "linux"), not(loom)))]
fn current_cpu() -> Option<u32> {
    None
}

/// When a wait first read the clock, how long the thread was away from its CPU while it
/// waited actively, and where it parked. Started lazily: a short wait never reads it. Kept by a
/// parked operation until it is woken, for [`WaitPolicy::parked`].
#[derive(Debug, Default)]
pub(crate) struct WaitClock {
    /// When the wait first read the clock.
    #[cfg(not(loom))]
    start: Option<Instant>,
    /// The longest absence from the CPU so far.
    #[cfg(not(loom))]
    away: Away,
    /// The CPU the thread ran on when it gave up waiting actively, if known.
    #[cfg(not(loom))]
    parked_on: Option<u32>,
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

    /// Notes a stretch of `took` between two readings of the clock (or a yield): the thread
    /// was away from its CPU if it lasted `away` or more.
    #[cfg(not(loom))]
    fn lost_cpu(&mut self, took: Duration, away: Duration) {
        self.away = self.away.max(Away::of(took, away));
    }
}

/// What the thread that wakes a parked waiter records for the waiting policy: when it woke it,
/// and from which CPU. Written just before the unpark, read by the woken thread. A wake-up that
/// reaches the waiter a time slice late says that parking is expensive here (a busy thread
/// holds the CPU), and a waker on the waiter's own CPU says the partner needed that CPU: two
/// things the waiter cannot see while it sleeps.
#[derive(Debug, Default)]
pub(crate) struct WakeStamp {
    /// Nanoseconds from [`time_base`] to the wake-up, plus one; 0 until then.
    #[cfg(not(loom))]
    nanos: std::sync::atomic::AtomicU64,
    /// The waker's CPU, plus one; 0 if unknown.
    #[cfg(not(loom))]
    cpu: AtomicU32,
}

impl WakeStamp {
    /// Records that the waiting thread is being woken now, from this CPU. Call it just before
    /// the unpark, which publishes it to the woken thread (std: `unpark` synchronizes with the
    /// `park` it ends).
    pub(crate) fn stamp(&self) {
        #[cfg(not(loom))]
        {
            let since = Instant::now().saturating_duration_since(time_base());
            let nanos = u64::try_from(since.as_nanos()).unwrap_or(u64::MAX - 1);
            let cpu = current_cpu().map_or(0, |cpu| cpu.saturating_add(1));
            // Relaxed (both): published by the unpark that follows (see above). A waiter that
            // sees its outcome without parking may read 0, and is then judged without them.
            self.cpu.store(cpu, Ordering::Relaxed);
            self.nanos.store(nanos + 1, Ordering::Relaxed);
        }
    }

    /// When the waiter was woken, and from which CPU, where [`stamp`](Self::stamp) ran and its
    /// stores are visible.
    #[cfg(not(loom))]
    fn read(&self) -> (Option<Instant>, Option<u32>) {
        // Relaxed (both): see `stamp`.
        let at = match self.nanos.load(Ordering::Relaxed) {
            0 => None,
            n => time_base().checked_add(Duration::from_nanos(n - 1)),
        };
        let cpu = self.cpu.load(Ordering::Relaxed).checked_sub(1);
        (at, cpu)
    }
}

/// The instant every [`WakeStamp`] counts from.
#[cfg(not(loom))]
fn time_base() -> Instant {
    static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *BASE.get_or_init(Instant::now)
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
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const MIN: u32 = MIN_SPIN.as_nanos() as u32;
    const MAX: u32 = MAX_SPIN.as_nanos() as u32;

    fn us(micros: u64) -> Duration {
        Duration::from_micros(micros)
    }

    /// A park that the partner ended `waited` after the clock started; woken `wake` later, by
    /// a thread on our CPU or not.
    fn parked(waited: Duration, wake: Duration, from_here: bool) -> Ended {
        Ended::Parked {
            waited,
            wake: Some(wake),
            woken_from_here: Some(from_here),
        }
    }

    /// Applies `waits` to `state`, one after another.
    fn after(mut state: Budgets, waits: impl IntoIterator<Item = (Ended, Away)>) -> Budgets {
        for (ended, away) in waits {
            state = state.learn(ended, away);
        }
        state
    }

    /// A spinner descheduled for seconds (2.1 s and more) made `2 * nanos as u32` overflow,
    /// which panics where overflow checks are on (the test profile).
    #[test]
    fn a_spin_descheduled_for_seconds_does_not_overflow() {
        let policy = WaitPolicy::new();
        policy.observe(Ended::Spinning(Duration::from_secs(3)), Away::Never);
        assert_eq!(policy.current().spin_ns, MAX);
        policy.observe(
            parked(Duration::from_secs(5), Duration::from_secs(6), false),
            Away::Never,
        );
        policy.observe(Ended::Spinning(Duration::MAX), Away::Never);
        assert_eq!(policy.current().spin_ns, MAX);
    }

    /// Parallel partner: waits end while spinning, on our CPU. The budget tracks twice the
    /// partner's time, never falls to zero, and keeps a quarter of a park's cost.
    #[test]
    fn a_parallel_partner_keeps_the_spin_near_twice_its_service_time() {
        let state = after(
            Budgets::INITIAL,
            (0..200).map(|_| (Ended::Spinning(Duration::from_nanos(300)), Away::Never)),
        );
        assert_eq!(state.spin_ns, MIN, "2 × 0.3 µs is below the shortest spin");
        let state = state.learn(Ended::Spinning(us(7)), Away::Never);
        assert_eq!(state.spin_ns, 14_000);
        assert_eq!(state.yields, Budgets::INITIAL.yields);
        // Parks that cost 100 µs to wake from: spinning 25 µs is still the better bet.
        let slow_parks = (0..20).map(|_| (parked(us(5), us(100), false), Away::Never));
        let state = after(state, slow_parks);
        assert!(state.park_ns > 90_000, "{state:?}");
        let state = after(
            state,
            (0..200).map(|_| (Ended::Spinning(Duration::from_nanos(300)), Away::Never)),
        );
        assert_eq!(state.spin_ns, state.park_ns / 4);
    }

    /// Shared CPU: the spin runs out and the partner comes after running on our CPU (the
    /// first yield gave it the CPU, or it preempted the spin, or it woke us from our CPU). The
    /// spin budget reaches zero within three waits, from anywhere, and yields take over.
    #[test]
    fn a_partner_on_our_cpu_turns_the_spin_off_within_three_waits() {
        let high = Budgets {
            spin_ns: MAX,
            yields: 1,
            ..Budgets::INITIAL
        };
        let evidence = [
            (Ended::Yielding(1), Away::Briefly),
            (Ended::Spinning(us(30)), Away::Briefly),
            (parked(us(5), us(3), true), Away::Never),
        ];
        for (ended, away) in evidence {
            let state = after(high, [(ended, away); 3]);
            assert_eq!(state.spin_ns, 0, "{ended:?}, {away:?}");
        }
        let state = after(high, [(Ended::Yielding(3), Away::Briefly); 3]);
        assert_eq!(state.yields, 6, "at least twice the yields it took");
        // Once off, it stays off: an unchecked first yield says nothing.
        let state = after(state, [(Ended::Yielding(1), Away::Unknown); 3]);
        assert_eq!(state.spin_ns, 0);
    }

    /// The failure: a switch to a partner that answers at once is as quick as a yield
    /// that switches nothing. Judged by its duration, it read as "the partner runs elsewhere"
    /// and doubled the spin. A quick first yield now teaches nothing unless the CPU time
    /// checked it.
    #[test]
    fn a_quick_first_yield_does_not_raise_the_spin() {
        let state = Budgets {
            spin_ns: 0,
            ..Budgets::INITIAL
        };
        assert_eq!(
            after(state, [(Ended::Yielding(1), Away::Unknown); 10]),
            state
        );
    }

    /// Slow partner (a paced sender): every wait parks and the partner comes much later.
    /// Waiting actively only burns CPU: both budgets fall to zero.
    #[test]
    fn a_slow_partner_turns_spinning_and_yielding_off() {
        let state = after(
            Budgets::INITIAL,
            (0..8).map(|_| (parked(us(100), us(20), false), Away::Never)),
        );
        assert_eq!((state.spin_ns, state.yields), (0, 0), "{state:?}");
        assert_eq!(state.yield_probe_every, PROBE_EVERY);
    }

    /// A busy process on our CPU: a yield lost the CPU for a time slice, or a wake-up came a
    /// slice late. Yields stop, and their probes space out; the spin budget is left alone
    /// (the partner may still run in parallel), and a late wake-up makes spinning worth more.
    #[test]
    fn a_busy_thread_on_our_cpu_turns_yielding_off() {
        let state = Budgets::INITIAL.learn(Ended::Yielding(1), Away::Long);
        assert_eq!(state.yields, 0);
        assert_eq!(state.spin_ns, Budgets::INITIAL.spin_ns);
        assert_eq!(state.yield_probe_every, 2 * PROBE_EVERY);
        let state = after(state, [(Ended::Yielding(1), Away::Long); 20]);
        assert_eq!(state.yield_probe_every, MAX_YIELD_PROBE_EVERY);
        // Two cores, each shared with a busy process: the partner came 5 µs after we parked,
        // and the wake-up took a millisecond.
        let state = after(
            Budgets::INITIAL,
            (0..10).map(|_| (parked(us(5), us(1000), false), Away::Never)),
        );
        assert_eq!(state.yields, 0);
        let state = after(
            state,
            (0..100).map(|_| (Ended::Spinning(Duration::from_nanos(500)), Away::Never)),
        );
        assert_eq!(state.spin_ns, MAX, "{state:?}");
    }

    /// Regime change back: from a shared CPU (spin off) to a parallel partner, and from a busy
    /// CPU (yields off) to a quiet one.
    #[test]
    fn the_budgets_come_back_when_the_regime_does() {
        let shared = after(Budgets::INITIAL, [(Ended::Yielding(1), Away::Briefly); 3]);
        assert_eq!(shared.spin_ns, 0);
        // Yields that return at once while the partner comes: it runs elsewhere.
        let state = shared.learn(Ended::Yielding(2), Away::Never);
        assert_eq!(state.spin_ns, MIN);
        let state = state.learn(Ended::Spinning(us(3)), Away::Never);
        assert_eq!(state.spin_ns, 6_000);
        // A probe spin that meets the partner does it too.
        let state = shared.learn(Ended::Spinning(Duration::from_nanos(400)), Away::Never);
        assert_eq!(state.spin_ns, MIN);
        // And a park the partner ended soon, from another CPU.
        let state = shared.learn(parked(us(4), us(10), false), Away::Never);
        assert_eq!(state.spin_ns, 8_000);

        let busy = after(Budgets::INITIAL, [(Ended::Yielding(1), Away::Long); 4]);
        assert_eq!(busy.yields, 0);
        let state = busy.learn(Ended::Yielding(1), Away::Briefly);
        assert_eq!(state.yields, 2, "a probe yield reached the partner");
        assert_eq!(state.yield_probe_every, busy.yield_probe_every / 2);
    }

    /// Zero budgets are probed: the spin every 16th wait, the yields as often as the probe
    /// interval says.
    #[test]
    fn zero_budgets_are_probed() {
        if strategy() != Strategy::Learned {
            return; // DUALQ_WAIT fixes the budgets
        }
        let policy = WaitPolicy::new();
        policy.spin_ns.store(0, Ordering::Relaxed);
        policy.yields.store(0, Ordering::Relaxed);
        policy.yield_probe_every.store(64, Ordering::Relaxed);
        let waits: Vec<ThisWait> = (0..128).map(|_| policy.budgets()).collect();
        let spins = waits.iter().filter(|w| w.spin == MIN_SPIN).count();
        let yields = waits
            .iter()
            .filter(|w| w.yields == 1 && w.yield_probe)
            .count();
        assert_eq!((spins, yields), (8, 2));
        assert!(waits
            .iter()
            .all(|w| (w.spin.is_zero() || w.spin == MIN_SPIN)
                && w.yields <= 1
                && w.yield_probe == (w.yields == 1)));
    }

    /// The stress test: a ping-pong whose two threads are pinned to one CPU, each with its own
    /// `sched_setaffinity` (the process may still run on every CPU, so nothing about the
    /// process says that spinning cannot pay). Each receive's spin budget must reach zero
    /// within a bounded number of waits. Not timed: it counts waits.
    #[cfg(target_os = "linux")]
    #[test]
    fn one_core_ping_pong_turns_the_spin_off() {
        use crate::SegmentedDualQueue;
        use std::sync::Arc;

        /// Round trips before both receives must have reached a zero spin budget: each round
        /// trip is at most one wait per side, and the policy needs three.
        const WITHIN: u64 = 64;
        const ROUND_TRIPS: u64 = 2_000;

        if strategy() != Strategy::Learned {
            return; // DUALQ_WAIT fixes the budgets
        }
        let Some(cpu) = one_cpu() else {
            eprintln!("skipped: this thread cannot be pinned");
            return;
        };
        let ping = Arc::new(SegmentedDualQueue::<u64>::new());
        let pong = Arc::new(SegmentedDualQueue::<u64>::new());
        let echo = {
            let (ping, pong) = (Arc::clone(&ping), Arc::clone(&pong));
            std::thread::spawn(move || {
                assert!(pin_to(cpu), "the echo thread cannot be pinned");
                for _ in 0..ROUND_TRIPS {
                    pong.push(ping.pop() + 1);
                }
            })
        };
        let driver = std::thread::spawn(move || {
            assert!(pin_to(cpu), "the driving thread cannot be pinned");
            let spin = |queue: &SegmentedDualQueue<u64>| queue.wait_policies()[0].current();
            let mut off_at = None;
            for i in 0..ROUND_TRIPS {
                ping.push(i);
                assert_eq!(pong.pop(), i + 1);
                if off_at.is_none() && spin(&ping).spin_ns == 0 && spin(&pong).spin_ns == 0 {
                    off_at = Some(i + 1);
                }
            }
            (off_at, spin(&ping), spin(&pong))
        });
        let (off_at, ping_state, pong_state) = driver.join().expect("driver panicked");
        echo.join().expect("echo thread panicked");
        assert!(
            off_at.is_some_and(|n| n <= WITHIN),
            "spin budgets still on after {WITHIN} round trips on one CPU (off after \
             {off_at:?}; at the end: ping {ping_state:?}, pong {pong_state:?})"
        );
    }

    /// A CPU this thread may run on, if a thread may be pinned to it.
    #[cfg(target_os = "linux")]
    fn one_cpu() -> Option<usize> {
        let cpu = first_allowed_cpu()?;
        let pinned = std::thread::spawn(move || pin_to(cpu)).join();
        pinned.is_ok_and(|pinned| pinned).then_some(cpu)
    }

    /// The lowest CPU this thread may run on, if the kernel says.
    #[cfg(target_os = "linux")]
    fn first_allowed_cpu() -> Option<usize> {
        // SAFETY: an all-zero `cpu_set_t` is the empty set, which the call fills; pid 0 is the
        // calling thread.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a valid `cpu_set_t` of the size passed.
        let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
        if rc != 0 {
            return None;
        }
        (0..libc::CPU_SETSIZE as usize).find(|&cpu| {
            // SAFETY: every index is below CPU_SETSIZE, inside `set`.
            unsafe { libc::CPU_ISSET(cpu, &set) }
        })
    }

    /// Pins the calling thread to `cpu`; false if the kernel refuses.
    #[cfg(target_os = "linux")]
    fn pin_to(cpu: usize) -> bool {
        // SAFETY: an all-zero `cpu_set_t` is the empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `cpu` came from `sched_getaffinity`, so it is below CPU_SETSIZE.
        unsafe { libc::CPU_SET(cpu, &mut set) };
        // SAFETY: pid 0 is the calling thread; `set` is a valid `cpu_set_t` of the size passed.
        unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) == 0 }
    }
}
