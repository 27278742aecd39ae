//! The handoff slot: one atomic state word that decides, exactly once, how a node ends.
//!
//! Every node of a [`DualQueue`](crate::DualQueue) or [`DualStack`](crate::DualStack) carries a
//! [`Slot`]. Whoever changes the state away from [`PENDING`] with a compare-and-swap owns the
//! outcome; every other contender sees its CAS fail and gives way. This is the pattern of std's
//! `mpmc::Context::try_select`: fulfilment and timeout race through one CAS, and exactly one
//! wins.
//!
//! # States
//!
//! | state | request node (a consumer waits for a value) | data node (holds a value) |
//! | --- | --- | --- |
//! | `PENDING` | waiting; nobody has decided | the value is in the slot, nobody has taken it |
//! | `PARKED` | as `PENDING`, and the waiter is asleep (or about to be): whoever decides must unpark it | as `PENDING`, and the producer (in `transfer`) is asleep |
//! | `CANCELLED` | the waiter timed out and withdrew | the producer timed out and took its value back |
//! | `TAKEN` | — | a consumer claimed the value |
//! | address of a node `m` | fulfilled: the value is in `m`'s slot, and the waiter owns one reference to `m` | — |
//!
//! Every state but `PENDING` and `PARKED` is final, and `PARKED` is reached only from
//! `PENDING` (by the waiter): the word is decided at most once, and no CAS from an undecided
//! state can ever succeed against a recycled one (no ABA on the slot). Node addresses are aligned
//! to at least 8 bytes and are never 0..=3, so the two kinds of values cannot be confused.
//!
//! # Who may touch the value cell
//!
//! * While `PENDING`, a data node's value belongs to the structure; nobody reads it.
//! * The thread whose CAS moved the state away from `PENDING` decides who owns the value next:
//!   the consumer that wrote `TAKEN`, or the producer that wrote `CANCELLED`. Only that thread
//!   moves the value out, exactly once.
//! * A request node's value cell is never used: its value arrives in another node, named by
//!   the state.
//!
//! # Waiting
//!
//! The owner of a node waits with [`Slot::wait`] *without* an epoch guard (a thread that parks
//! while pinned would stop memory reclamation for everyone, crossbeam issue #103). The node stays
//! alive because the waiter owns a reference to it (see `node.rs`). A completer, on the other
//! hand, is pinned while it completes the slot, and the slot's node is linked (the list owns
//! it, and an unlinked node is freed only through the epoch), so it may still read that node,
//! and the thread handle in it, after its CAS has published the outcome.
//!
//! The node *named* by a fulfilled state is another matter. From the fulfil CAS on, the value
//! in it belongs to the waiter, and a waiter that is still spinning (not parked) sees the state
//! at once, takes the value and releases the node without waiting to be unparked; the queue's
//! carrier, which the list never owned, is then freed on the spot. So a fulfiller reads
//! whatever it needs from the carrier *before* its CAS, and never touches it afterwards.
//!
//! A waiter that is about to sleep first says so on the state word itself (`PENDING` →
//! `PARKED`, by CAS), and a completer unparks only a waiter that said so: a handoff to a waiter
//! that is still spinning or yielding costs no system call on the completer's side. Lost
//! wake-ups cannot happen, because it is one word: either the completer's CAS comes first (the
//! waiter's CAS to `PARKED` fails, and it sees the outcome without sleeping), or the waiter's
//! does (the completer finds `PARKED`, decides from it, and unparks). The thread handle is
//! written before the node is published and never changes, and an `unpark` that comes before
//! the `park` leaves a token that makes the `park` return at once.
//!
//! A token can still be left over in one corner: a timed waiter that said `PARKED`, found its
//! deadline passed before it slept, and lost its cancel CAS to a completer, returns without
//! parking, and the completer's unpark then reaches a thread that is no longer waiting. The
//! next `std::thread::park()` that thread calls, for whatever reason, returns at once. std
//! allows that (`park` may return spuriously, so every caller re-checks its condition in a
//! loop), and the crate docs say so to users; our own waits re-read their slot after every
//! park.

use crate::patience::Failure;
use crate::sync::{AtomicUsize, Ordering, Thread, Timer, UnsafeCell};
use crate::trace::{trace_event, TraceId, Tracer};
use crate::wait::{WaitClock, WaitPolicy};
use std::mem::MaybeUninit;

/// Initial state: undecided.
pub(crate) const PENDING: usize = 0;
/// The owner withdrew (a timeout, or a `try_*` that found no partner).
pub(crate) const CANCELLED: usize = 1;
/// A consumer claimed this data node's value.
pub(crate) const TAKEN: usize = 3;
/// Undecided, and the waiter is asleep (or about to be): a completer must unpark it.
const PARKED: usize = 4;

/// Whether a state word is undecided (`PENDING` or `PARKED`).
#[inline]
fn undecided(state: usize) -> bool {
    state == PENDING || state == PARKED
}

/// What a successful [`Slot::complete`] owes the waiter: an unpark, if it had gone to sleep.
#[must_use = "a completer must wake the waiter it decided for"]
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Wakeup(bool);

impl Wakeup {
    /// Unparks the waiter of `slot` if it went to sleep before the decision; no system call
    /// otherwise (it is spinning or yielding, and sees the outcome itself).
    #[inline]
    pub(crate) fn send<T>(self, slot: &Slot<T>) {
        if self.0 {
            slot.wake();
        }
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
        undecided(self.state.load(Ordering::Acquire))
    }

    /// The current state word.
    #[inline]
    pub(crate) fn state(&self) -> usize {
        // Acquire: pairs with the AcqRel CAS in `complete`; a waiter that reads the address of
        // the node carrying its value must also see that value.
        self.state.load(Ordering::Acquire)
    }

    /// Tries to decide the slot: moves it from `PENDING` or `PARKED` to `outcome`. Exactly one
    /// caller ever succeeds.
    ///
    /// On success the caller owns the outcome (see the module docs), and gets a [`Wakeup`] that
    /// it must [`send`](Wakeup::send) if it is not the waiter itself (it unparks the waiter only
    /// if the waiter went to sleep). On failure, returns the state that won.
    #[inline]
    pub(crate) fn complete(&self, outcome: usize) -> Result<Wakeup, usize> {
        debug_assert!(!undecided(outcome));
        let mut expected = PENDING;
        loop {
            // AcqRel. Release: publishes what the winner wrote before (a carrier node's value,
            // for a fulfilment) to the waiter's Acquire load in `state`/`wait`. Acquire: a
            // consumer that claims a data node reads the value the producer wrote before it
            // linked the node; a waiter that cancels synchronises with nothing it has not
            // already seen, but the failure load is Acquire so that a loser reads the winner's
            // value (pairs with this same CAS).
            match self.state.compare_exchange(
                expected,
                outcome,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(Wakeup(expected == PARKED)),
                // The waiter went to sleep meanwhile: decide from there, and wake it.
                Err(PARKED) if expected == PENDING => expected = PARKED,
                Err(winner) => return Err(winner),
            }
        }
    }

    /// Unparks the thread waiting on this slot, if there is one. Reached through
    /// [`Wakeup::send`] only: call it only after a successful [`complete`](Self::complete) that
    /// found the waiter asleep, and only while the node is still alive (completers are pinned,
    /// so it is).
    #[inline]
    fn wake(&self) {
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
    /// cancels it. Returns the final state.
    ///
    /// A waiter that loses the race to a completer returns the completer's outcome even though
    /// its deadline has passed: the value must not be lost.
    ///
    /// With a `policy` (given to the waiter at the front, the next to be served), the waiter
    /// first waits actively, spinning or yielding as the policy has learned (`wait.rs`), then
    /// parks; without one it parks at once.
    ///
    /// `tracer` and `id` record the waiter's steps (feature `trace`).
    #[cfg_attr(not(feature = "trace"), allow(unused_variables))]
    pub(crate) fn wait(
        &self,
        timer: &mut Timer,
        policy: Option<&WaitPolicy>,
        tracer: Tracer<'_>,
        id: TraceId,
    ) -> usize {
        debug_assert!(self.waiter.is_some(), "only a node with a waiter may wait");
        let Some(policy) = policy else {
            return self.park_until_decided(timer, tracer, id);
        };
        trace_event!(tracer, id, Spinning);
        let mut clock = WaitClock::new();
        if policy.wait_actively(&mut clock, timer, || self.is_pending()) {
            return self.state();
        }
        let state = self.park_until_decided(timer, tracer, id);
        policy.parked(&clock, None);
        state
    }

    /// Parks until the slot is decided, or cancels it once `timer` expires. Says `PARKED`
    /// before the first sleep, so that the completer knows to unpark.
    #[cfg_attr(not(feature = "trace"), allow(unused_variables))]
    fn park_until_decided(&self, timer: &mut Timer, tracer: Tracer<'_>, id: TraceId) -> usize {
        let mut parked = false;
        loop {
            let state = self.state();
            if !undecided(state) {
                if parked {
                    trace_event!(tracer, id, Woken);
                }
                return state;
            }
            if timer.expired() {
                // We are the waiter: a successful cancel owes nobody a wake-up.
                return match self.complete(CANCELLED) {
                    Ok(_) => {
                        trace_event!(tracer, id, Cancelled);
                        CANCELLED
                    }
                    Err(winner) => winner,
                };
            }
            if state == PENDING {
                // Relaxed on success: nothing is published, only the word's order matters (a
                // completer that comes after this CAS sees `PARKED` and unparks). Acquire on
                // failure: the outcome we then read carries the completer's writes (pairs with
                // the Release of its CAS in `complete`).
                if self
                    .state
                    .compare_exchange(PENDING, PARKED, Ordering::Relaxed, Ordering::Acquire)
                    .is_err()
                {
                    continue;
                }
                trace_event!(tracer, id, Parked);
                parked = true;
            }
            timer.park();
        }
    }

    /// Moves the value out if the slot still holds it: for the destructor of a structure.
    ///
    /// # Safety
    ///
    /// The caller has exclusive access to the node (`&mut` to the structure), and the node is a
    /// data node whose value was never moved out while `PENDING` (true of every data node).
    pub(crate) unsafe fn take_pending_value(&self) -> Option<T> {
        if self.state() == PENDING {
            // SAFETY: a pending data node still holds its value, and the caller has exclusive
            // access, so nobody else takes it.
            Some(unsafe { self.take_value() })
        } else {
            None
        }
    }
}

impl<T> Slot<T> {
    /// The state's name, for `Debug` and pictures.
    pub(crate) fn state_name(&self) -> &'static str {
        match self.state() {
            PENDING => "pending",
            CANCELLED => "cancelled",
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

impl Failure {
    /// The failure a final slot state stands for: `CANCELLED`, the one state in which a
    /// waiter's own node ends without a partner.
    pub(crate) fn from_state(state: usize) -> Self {
        match state {
            CANCELLED => Failure::TimedOut,
            _ => {
                debug_assert!(false, "slot state {state:#x} is not a failure");
                Failure::TimedOut
            }
        }
    }
}
