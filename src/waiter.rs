//! The handoff slot: one atomic state word that decides, exactly once, how a node ends.
//!
//! Every node of a [`DualQueue`](crate::DualQueue) or [`DualStack`](crate::DualStack) carries a
//! [`Slot`]. Whoever changes the state away from [`PENDING`] with a compare-and-swap owns the
//! outcome; every other contender sees its CAS fail and gives way. This is the pattern of std's
//! `mpmc::Context::try_select`: fulfilment, timeout and disconnection race through one CAS, and
//! exactly one wins.
//!
//! # States
//!
//! | state | request node (a consumer waits for a value) | data node (holds a value) |
//! | --- | --- | --- |
//! | `PENDING` | waiting; nobody has decided | the value is in the slot, nobody has taken it |
//! | `CANCELLED` | the waiter timed out and withdrew | the producer timed out and took its value back |
//! | `DISCONNECTED` | the channel closed: no value will come | the channel closed: the producer takes its value back |
//! | `TAKEN` | — | a consumer claimed the value (queue) |
//! | address of a node `m` | fulfilled: the value is in `m`'s slot, and the waiter owns one reference to `m` | matched by the consumer whose fulfilling node is `m` (stack) |
//!
//! Every state but `PENDING` is final: the word changes at most once, so no CAS from `PENDING`
//! can ever succeed against a recycled state (no ABA on the slot). Node addresses are aligned
//! to at least 8 bytes and are never 0..=3, so the two kinds of values cannot be confused.
//!
//! # Who may touch the value cell
//!
//! * While `PENDING`, a data node's value belongs to the structure; nobody reads it.
//! * The thread whose CAS moved the state away from `PENDING` decides who owns the value next:
//!   the consumer that wrote `TAKEN` (or whose fulfilling node is named), or the producer that
//!   wrote `CANCELLED`/`DISCONNECTED`. Only that thread moves the value out, exactly once.
//! * A request node's value cell is never used: its value arrives in another node, named by
//!   the state.
//!
//! # Waiting
//!
//! The owner of a node waits with [`Slot::wait`] *without* an epoch guard (a thread that parks
//! while pinned would stop memory reclamation for everyone, crossbeam issue #103). The node stays
//! alive because the waiter owns a reference to it (see `node.rs`). A fulfiller, on the other
//! hand, is pinned while it completes the slot, so it may still read the node, and the thread
//! handle in it, after its CAS has published the outcome.
//!
//! Lost wake-ups cannot happen: the thread handle is written before the node is published and
//! never changes; a completer CASes the state and then unparks; the waiter re-reads the state
//! before every park, and an `unpark` that comes before the `park` leaves a token that makes
//! the `park` return at once.

use crate::sync::{self, AtomicUsize, Ordering, Thread, Timer, UnsafeCell};
use crate::trace::{trace_event, TraceId, Tracer};
use crossbeam_utils::Backoff;
use std::mem::MaybeUninit;
use std::time::Duration;
#[cfg(not(loom))]
use std::time::Instant;

/// Initial state: undecided.
pub(crate) const PENDING: usize = 0;
/// The owner withdrew (a timeout, or a `try_*` that found no partner).
pub(crate) const CANCELLED: usize = 1;
/// The channel on top of the structure was disconnected while this node waited.
pub(crate) const DISCONNECTED: usize = 2;
/// A consumer claimed this data node's value.
pub(crate) const TAKEN: usize = 3;

/// The shortest spin budget: a partner that is already running reaches us within this.
// Under loom a waiter spins one round and never adapts (see `Slot::wait`).
#[cfg_attr(loom, allow(dead_code))]
const MIN_SPIN: Duration = Duration::from_micros(1);
/// The longest spin budget, about the price of parking and being woken (a futex round trip is
/// about 40 µs here): spinning longer than that can never pay for itself.
const MAX_SPIN: Duration = Duration::from_micros(40);

/// How long a waiter at the front spins before it parks, adapted to how long waits last.
///
/// A handoff to a thread spinning on its own slot costs a cache-line transfer (about 0.3 µs);
/// to a parked thread, a futex wake (tens of µs). So spinning pays when the partner comes soon,
/// and only burns CPU when it does not. After each wait the policy looks at how long it took:
///
/// * at most [`MAX_SPIN`]: a spin of that length would have avoided the park, so the budget
///   rises to twice the wait (if it was lower); otherwise it decays slowly;
/// * longer (slow partners, paced senders): spinning was useless, so the budget halves,
///   down to [`MIN_SPIN`].
///
/// One policy per structure and side (waiting consumers, waiting producers), shared by the
/// threads that wait there. It is a heuristic: its atomics are std's even under loom, and a
/// lost update only costs time.
#[derive(Debug)]
#[cfg_attr(loom, allow(dead_code))]
pub(crate) struct SpinPolicy {
    /// The current budget in nanoseconds.
    budget_ns: std::sync::atomic::AtomicU32,
}

impl SpinPolicy {
    pub(crate) const fn new() -> Self {
        SpinPolicy {
            budget_ns: std::sync::atomic::AtomicU32::new(MAX_SPIN.as_nanos() as u32 / 2),
        }
    }

    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn budget(&self) -> Duration {
        // Relaxed: a heuristic value, not synchronising anything.
        Duration::from_nanos(u64::from(self.budget_ns.load(Ordering::Relaxed)))
    }

    /// Adapts the budget to a wait (spin and park) that lasted `waited`.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn observe(&self, waited: Duration) {
        let min = MIN_SPIN.as_nanos() as u32;
        let max = MAX_SPIN.as_nanos() as u32;
        // Relaxed (both): a heuristic value; a racing update is simply overwritten.
        let old = self.budget_ns.load(Ordering::Relaxed);
        let new = if waited <= MAX_SPIN {
            let wanted = (2 * waited.as_nanos() as u32).min(max);
            wanted.max(old - old / 16)
        } else {
            old / 2
        }
        .max(min);
        if new != old {
            self.budget_ns.store(new, Ordering::Relaxed);
        }
    }
}

/// Spins while `pending()` holds, for at most `policy`'s budget or until `timer` expires.
/// Returns whether `pending()` turned false.
///
/// First a few rounds of `spin_loop` hints without looking at the clock (a clock read costs
/// about 40 ns on this project's machine, longer than a handoff to a running partner); then
/// crossbeam's `Backoff::snooze` (`spin_loop` hints, then yields) with the clock read every
/// fourth round, from the moment `clock` starts. Under loom, one look and no yield: enough to
/// explore "decided while spinning" (the partner runs between the claim and the look) without
/// an unbounded loop in the model. A yield there would make the partner take its next step
/// before the spinner could go on, so every park (and every timeout) sat behind one more
/// preemption, as `Timer::park` explains in `sync.rs`.
pub(crate) fn spin_while(
    policy: &SpinPolicy,
    timer: &Timer,
    clock: &mut WaitClock,
    mut pending: impl FnMut() -> bool,
) -> bool {
    #[cfg(not(loom))]
    {
        for step in 0..SPINS_BEFORE_CLOCK {
            if !pending() {
                return true;
            }
            for _ in 0..1u32 << step {
                std::hint::spin_loop();
            }
        }
        let start = clock.start_now();
        let budget = policy.budget();
        let backoff = Backoff::new();
        let mut rounds: u32 = 0;
        loop {
            if !pending() {
                return true;
            }
            rounds = rounds.wrapping_add(1);
            if rounds % 4 == 0 && (start.elapsed() >= budget || timer.expired()) {
                return false;
            }
            backoff.snooze();
        }
    }
    #[cfg(loom)]
    {
        let _ = (policy, timer, clock);
        !pending()
    }
}

/// Rounds of doubling `spin_loop` runs (1, 2, 4, 8 hints: well under a microsecond) before
/// [`spin_while`] starts reading the clock.
#[cfg(not(loom))]
const SPINS_BEFORE_CLOCK: u32 = 4;

/// Measures how long a wait (spin and park) took, for [`SpinPolicy::observe`], from the moment
/// its spin first read the clock. A wait that ended before that is not measured (it was short,
/// and the clock read would have cost more than it). Nothing under loom, which has no clock.
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

    /// Starts the clock if it has not started, and returns when it started.
    #[cfg(not(loom))]
    fn start_now(&mut self) -> Instant {
        *self.start.get_or_insert_with(Instant::now)
    }

    /// Tells `policy` how long the wait lasted, if the clock started.
    pub(crate) fn observe(&self, policy: &SpinPolicy) {
        #[cfg(not(loom))]
        if let Some(start) = self.start {
            policy.observe(start.elapsed());
        }
        #[cfg(loom)]
        let _ = policy;
    }
}

/// The handoff slot of a node. See the module docs for the state table.
pub(crate) struct Slot<T> {
    /// The state word (table above). Changed only by CAS from `PENDING`, exactly once.
    state: AtomicUsize,
    /// A data node's value. Initialised at construction for data nodes, never for request
    /// nodes. Access rules: "Who may touch the value cell" above.
    value: UnsafeCell<MaybeUninit<T>>,
    /// The thread that waits on this slot, if any: set before the node is published, never
    /// changed afterwards, so completers read it without synchronisation beyond the publication.
    waiter: Option<Thread>,
}

impl<T> Slot<T> {
    /// A slot with no value, for a request.
    pub(crate) fn empty(waiter: Option<Thread>) -> Self {
        Slot {
            state: AtomicUsize::new(PENDING),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            waiter,
        }
    }

    /// A slot holding `value`, for a data node.
    pub(crate) fn holding(value: T, waiter: Option<Thread>) -> Self {
        Slot {
            state: AtomicUsize::new(PENDING),
            value: UnsafeCell::new(MaybeUninit::new(value)),
            waiter,
        }
    }

    /// A slot that is already dead (for a queue's initial dummy node).
    pub(crate) fn dead() -> Self {
        Slot {
            state: AtomicUsize::new(CANCELLED),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            waiter: None,
        }
    }

    /// Whether a thread waits (or will wait) on this slot.
    #[inline]
    pub(crate) fn has_waiter(&self) -> bool {
        self.waiter.is_some()
    }

    /// Whether the slot is still undecided.
    #[inline]
    pub(crate) fn is_pending(&self) -> bool {
        // Acquire: pairs with the AcqRel CAS in `complete`, so a caller that sees a final state
        // also sees what the completer wrote before it (used by scans that skip dead nodes).
        self.state.load(Ordering::Acquire) == PENDING
    }

    /// The current state word.
    #[inline]
    pub(crate) fn state(&self) -> usize {
        // Acquire: pairs with the AcqRel CAS in `complete`; a waiter that reads the address of
        // the node carrying its value must also see that value.
        self.state.load(Ordering::Acquire)
    }

    /// Tries to move the slot from `PENDING` to `outcome`. Exactly one caller ever succeeds.
    ///
    /// On success the caller owns the outcome (see the module docs) and must then call
    /// [`wake`](Self::wake) if it is not the waiter itself. On failure, returns the state that
    /// won.
    #[inline]
    pub(crate) fn complete(&self, outcome: usize) -> Result<(), usize> {
        debug_assert_ne!(outcome, PENDING);
        // AcqRel. Release: publishes what the winner wrote before (a carrier node's value, for
        // a fulfilment) to the waiter's Acquire load in `state`/`wait`. Acquire: a consumer that
        // claims a data node reads the value the producer wrote before it linked the node; a
        // waiter that cancels synchronises with nothing it has not already seen, but the failure
        // load is Acquire so that a loser reads the winner's value (pairs with this same CAS).
        self.state
            .compare_exchange(PENDING, outcome, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
    }

    /// Unparks the thread waiting on this slot, if there is one.
    ///
    /// Call only after a successful [`complete`](Self::complete), and only while the node is
    /// still alive (completers are pinned, so it is).
    #[inline]
    pub(crate) fn wake(&self) {
        if let Some(thread) = &self.waiter {
            thread.unpark();
        }
    }

    /// Moves the value out of the cell.
    ///
    /// # Safety
    ///
    /// * The cell holds a value (a data node, and nobody moved it out before).
    /// * The caller owns the value: it won the CAS that decided this slot (or the one that
    ///   matched this node's state to it), or it has `&mut` access to the whole structure.
    #[inline]
    pub(crate) unsafe fn take_value(&self) -> T {
        // `with_mut`: moving out is an exclusive access, and under loom two concurrent takes
        // would be reported as a race.
        // SAFETY: the caller guarantees the cell is initialised and that nobody else reads or
        // writes it now or later.
        self.value
            .with_mut(|cell| unsafe { (*cell).assume_init_read() })
    }

    /// Waits until the slot is decided, or until `timer` expires; then, if still undecided,
    /// cancels it. Returns the final state (never `PENDING`).
    ///
    /// A waiter that loses the race to a completer returns the completer's outcome even though
    /// its deadline has passed: the value must not be lost.
    ///
    /// With a `spin` policy (given to the waiter at the front, the next to be served), the
    /// waiter first spins (crossbeam's `Backoff::snooze`: `spin_loop` hints, then yields) for the
    /// policy's budget, then parks.
    ///
    /// `tracer` and `id` record the waiter's steps (feature `trace`).
    #[cfg_attr(not(feature = "trace"), allow(unused_variables))]
    pub(crate) fn wait(
        &self,
        timer: &mut Timer,
        spin: Option<&SpinPolicy>,
        tracer: Tracer<'_>,
        id: TraceId,
    ) -> usize {
        debug_assert!(self.waiter.is_some(), "only a node with a waiter may wait");
        match spin {
            Some(policy) if sync::spinning_helps() => {
                #[cfg(not(loom))]
                {
                    trace_event!(tracer, id, Spinning);
                    let start = Instant::now();
                    let budget = policy.budget();
                    let backoff = Backoff::new();
                    let mut rounds: u32 = 0;
                    let state = loop {
                        let state = self.state();
                        if state != PENDING {
                            break state;
                        }
                        // Reading the clock costs about as much as a short snooze, and a
                        // handoff to a spinning waiter is a fraction of a microsecond: look at
                        // it every fourth round only.
                        rounds = rounds.wrapping_add(1);
                        if rounds % 4 == 0 && (start.elapsed() >= budget || timer.expired()) {
                            break self.park_until_decided(timer, tracer, id);
                        }
                        backoff.snooze();
                    };
                    policy.observe(start.elapsed());
                    state
                }
                #[cfg(loom)]
                {
                    // One look before parking: enough to explore "decided while spinning".
                    let _ = policy;
                    Backoff::new().snooze();
                    self.park_until_decided(timer, tracer, id)
                }
            }
            _ => self.park_until_decided(timer, tracer, id),
        }
    }

    /// Parks until the slot is decided, or cancels it once `timer` expires.
    #[cfg_attr(not(feature = "trace"), allow(unused_variables))]
    fn park_until_decided(&self, timer: &mut Timer, tracer: Tracer<'_>, id: TraceId) -> usize {
        let mut parked = false;
        loop {
            let state = self.state();
            if state != PENDING {
                if parked {
                    trace_event!(tracer, id, Woken);
                }
                return state;
            }
            if timer.expired() {
                return match self.complete(CANCELLED) {
                    Ok(()) => {
                        trace_event!(tracer, id, Cancelled);
                        CANCELLED
                    }
                    Err(winner) => winner,
                };
            }
            if !parked {
                trace_event!(tracer, id, Parked);
                parked = true;
            }
            timer.park();
        }
    }

    /// Drops the value if the slot still holds it. For the destructor of a structure.
    ///
    /// # Safety
    ///
    /// The caller has exclusive access to the node (`&mut` to the structure), and the node is a
    /// data node whose value was never moved out while `PENDING` (true of every data node).
    pub(crate) unsafe fn drop_value_if_pending(&self) {
        if self.state() == PENDING {
            // SAFETY: a pending data node still holds its value, and the caller has exclusive
            // access, so nobody else takes it.
            drop(unsafe { self.take_value() });
        }
    }
}

impl<T> Slot<T> {
    /// The state's name, for `Debug` and pictures.
    pub(crate) fn state_name(&self) -> &'static str {
        match self.state() {
            PENDING => "pending",
            CANCELLED => "cancelled",
            DISCONNECTED => "disconnected",
            TAKEN => "taken",
            _ => "matched",
        }
    }

    /// The waiting thread's name, if there is a waiting thread and it has a name.
    #[cfg(feature = "trace")]
    pub(crate) fn waiter_name(&self) -> Option<&str> {
        self.waiter.as_ref().and_then(|thread| thread.name())
    }
}

impl<T> std::fmt::Debug for Slot<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("state", &self.state_name())
            .finish_non_exhaustive()
    }
}

/// How long an operation may wait for its partner.
#[derive(Debug)]
pub(crate) enum Patience {
    /// Never wait and never leave a node behind (`try_pop`, `try_transfer`).
    Now,
    /// Producers only: leave the value in the structure and return at once (`push`).
    Async,
    /// Link a node and wait until a partner completes it, or until the timer expires.
    Wait(Timer),
}

impl Patience {
    /// Wait until `deadline` (forever if `None`). A deadline that has already passed means
    /// [`Patience::Now`]: a timed call that cannot wait must not link a node at all.
    pub(crate) fn until(deadline: Option<std::time::Instant>) -> Self {
        let timer = Timer::until(deadline);
        if timer.is_timed() && timer.expired() {
            Patience::Now
        } else {
            Patience::Wait(timer)
        }
    }

    /// Wait for at most `timeout`. A timeout too large to represent waits forever.
    pub(crate) fn timeout(timeout: std::time::Duration) -> Self {
        Patience::until(std::time::Instant::now().checked_add(timeout))
    }
}

/// Why an operation ended without a partner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `Patience::Now` found no partner.
    NoPartner,
    /// The deadline passed first; the node was withdrawn.
    TimedOut,
    /// The other side of the channel is gone.
    Disconnected,
}

impl Failure {
    /// The failure a final slot state (other than a match) stands for.
    pub(crate) fn from_state(state: usize) -> Self {
        match state {
            DISCONNECTED => Failure::Disconnected,
            _ => Failure::TimedOut,
        }
    }
}
