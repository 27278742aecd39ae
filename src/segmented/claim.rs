//! What every operation of the segmented dual queue shares: claiming a cell, finding it, the
//! ticket of a parked party, and finalizing a cell that held a waiter.
//!
//! The module docs of [`segmented`](super) state the invariants and linearization points; the
//! roles have a file each: `send.rs`, `recv.rs`, `buffer_end.rs` (bounded channels) and
//! `cancel.rs` (withdrawn waits and dropped futures); `close.rs` disconnects.

use super::cell::{Cell, Phase, State, Word};
use super::segment::{Position, Segment};
use super::waiter::{Outcome, Waiter};
use super::SegmentedDualQueue;
use crate::patience::Patience;
use crate::sync::{current_thread, Arc, Ordering, Timer};
use crate::wait::WaitClock;
use crossbeam_epoch::{Guard, Shared};
use std::task::Waker;

/// Bit 63 of a side's counter: the *other* side is gone for good (set in `S` when the last
/// receiver leaves, in `R` when the last sender leaves). A claim's fetch-and-add returns it
/// with the index, so no claim can miss a disconnection that happened before it.
pub(crate) const GONE: u64 = 1 << 63;
/// The index part of a counter.
pub(crate) const COUNT: u64 = !GONE;

/// What a send waits for once its value has a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SendKind {
    /// Never waits: the value is buffered (`push`, unbounded channels).
    Push,
    /// Waits until a receiver has the value (`transfer`, rendezvous channels).
    Transfer,
    /// Waits only while the queue's capacity is taken (bounded channels; the capacity is the
    /// queue's [`Bound`](super::Bound)).
    Room,
}

/// How a party waits if it finds no partner.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Waiting<'a> {
    /// A blocking call: spin on the cell for a while (if it is next in line), then park the
    /// thread.
    Thread,
    /// An async task: register its waker at once (a task must not spin or block).
    #[cfg_attr(not(feature = "async"), allow(dead_code))] // built by `channel/future.rs`
    Task(&'a Waker),
}

impl Waiting<'_> {
    /// A waiter for this party.
    pub(super) fn waiter<T>(self) -> Arc<Waiter<T>> {
        match self {
            Waiting::Thread => Waiter::new(current_thread()),
            Waiting::Task(waker) => Waiter::for_task(waker),
        }
    }

    /// Whether the party may wait actively (spin or yield) before it parks: threads only.
    pub(super) fn is_thread(self) -> bool {
        matches!(self, Waiting::Thread)
    }
}

/// How the pinned part of an operation ended.
pub(crate) enum Start<T, R> {
    /// Finished without parking.
    Done(R),
    /// Parked in a cell: wait on the ticket, unpinned.
    Waiting(Ticket<T>),
}

/// A claim a fast path made and handed on to its slow path: the counter word the
/// fetch-and-add returned (index and `GONE` flag), and the segment the side's pointer showed
/// just before it. The pointer is valid while the pin that read it lasts: the slow path runs
/// under the same guard.
pub(super) type Claim<T> = (u64, *const Segment<T>);

/// A claimed cell and what an operation needs to work on it, under one pin.
pub(super) struct Claimed<'g, T> {
    /// The cell's segment: found while pinned, so alive as long as `guard` (segment.rs,
    /// invariant 4).
    pub(super) segment: Shared<'g, Segment<T>>,
    /// The cell.
    pub(super) cell: &'g Cell<T>,
    /// The cell's index.
    pub(super) index: u64,
    /// The pin that keeps the segment, and any waiter read from the cell, alive.
    pub(super) guard: &'g Guard,
}

impl<T> Clone for Claimed<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Claimed<'_, T> {}

impl<'g, T> Claimed<'g, T> {
    /// Cell `index` of `segment` (which holds it), under `guard`.
    pub(super) fn at(segment: Shared<'g, Segment<T>>, index: u64, guard: &'g Guard) -> Self {
        // SAFETY: the caller found `segment` while pinned by `guard` (segment.rs, invariant 4),
        // so it stays allocated for `'g`.
        let seg = unsafe { Segment::checked(segment) };
        debug_assert!(seg.start() <= index && index < seg.start() + seg.cells.len() as u64);
        Claimed {
            segment,
            cell: &seg.cells[(index - seg.start()) as usize],
            index,
            guard,
        }
    }

    /// A ticket for the party that parks in this cell with `waiter`.
    pub(super) fn ticket(self, waiter: Arc<Waiter<T>>, clock: WaitClock) -> Ticket<T> {
        Ticket {
            waiter,
            segment: self.segment.as_raw(),
            index: self.index,
            clock,
        }
    }
}

/// A parked operation: its waiter, and where its cell is.
pub(crate) struct Ticket<T> {
    /// The waiter; the ticket owns one reference, the cell another.
    pub(super) waiter: Arc<Waiter<T>>,
    /// The cell's segment. Dereferenced only while pinned and only under the rule in
    /// `cancel.rs` (`SegmentedDualQueue::clean_cancelled`): after the waiter is decided, the
    /// segment may be gone.
    pub(super) segment: *const Segment<T>,
    /// The cell's index.
    pub(super) index: u64,
    /// When the wait began (for the spin policy).
    pub(super) clock: WaitClock,
}

// SAFETY: the ticket's raw segment pointer is only dereferenced while pinned and under the
// rule of `clean_cancelled` (which does not depend on the thread); the waiter is `Send` when
// `T: Send`. A ticket moves with an async future between threads.
unsafe impl<T: Send> Send for Ticket<T> {}

impl<T> std::fmt::Debug for Ticket<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// How many places before its turn a waiting party still waits actively (spins or yields, as
/// the side's waiting policy says) instead of parking at once: as many as partners can serve
/// at the same moment, one per CPU the process may use.
///
/// Measured on bounded(64) 4P/4C, 2 CPUs (`examples/cost`, other builds stopped): with only
/// the party next in line waiting actively (the rule before), blocked senders behind it
/// parked, every release of one needed a futex wake, and the channel ran at 3.6-8.3 M msgs/s;
/// with one place more, 5.3-11.1; with two, four or eight, 10.0-11.3 in every round (crossbeam
/// 12.4-22.9 in the same runs). Under loom only the party next in line waits actively, as
/// before: the models explore parking.
pub(super) fn active_places() -> u64 {
    #[cfg(not(loom))]
    {
        static PLACES: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        *PLACES.get_or_init(|| {
            std::thread::available_parallelism().map_or(1, |cpus| cpus.get() as u64)
        })
    }
    #[cfg(loom)]
    {
        1
    }
}

/// Which party of a cell an operation is. The discriminant indexes per-side arrays (the
/// queue's waiting policies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Receiver = 0,
    Sender = 1,
}

impl<T> SegmentedDualQueue<T> {
    /// Whether an operation takes the inline fast path of its side: it may claim a cell at once
    /// (it may buffer, or it may wait). A conditional operation (`try_*` that may not wait)
    /// claims with [`claim_when`](Self::claim_when) instead.
    #[inline(always)]
    pub(super) fn claims_at_once(kind: Option<SendKind>, patience: &Patience) -> bool {
        kind == Some(SendKind::Push) || matches!(patience, Patience::Wait(_))
    }

    /// Claims the next cell of one side (or takes the claim its fast path already made):
    /// returns the counter word the fetch-and-add returned (index and `GONE` flag) and the
    /// segment the side's pointer showed just before the claim.
    #[inline]
    pub(super) fn claim<'g>(
        position: &Position<T>,
        made: Option<Claim<T>>,
        guard: &'g Guard,
    ) -> (u64, Shared<'g, Segment<T>>) {
        if let Some((word, start)) = made {
            return (word, Shared::from(start));
        }
        // Acquire: pairs with the pointer CAS in `List::move_forward`. Read before the claim, so
        // the walk to the cell only moves forward (invariant 3 of segment.rs).
        let start = position.segment.load(Ordering::Acquire, guard);
        // SeqCst: the claim is one of the store-buffering pairs of the module docs ("claim
        // mine, then read the other side's counter").
        (position.counter.fetch_add(1, Ordering::SeqCst), start)
    }

    /// Claims the next cell of one side only if `wanted` holds for the counter word at the
    /// claim (a compare-and-swap, retried while the counter moves and `wanted` still holds);
    /// else returns the word that failed it. The claims of operations that may not wait.
    ///
    /// Why not a fetch-and-add: an operation that may not wait must not count as a partner
    /// in line. A `try_pop` that claimed past `S` would meet a sender that claims the same
    /// cell after it, and a `try_transfer` whose claim passed `R` would take a receive that
    /// claims after it for one that waited: each would complete a call that, by the
    /// specification, had no partner (the linearizability test caught both). Claimed only
    /// below the other side's counter, the partner of the cell claimed it first.
    pub(super) fn claim_when<'g>(
        position: &Position<T>,
        guard: &'g Guard,
        wanted: impl Fn(u64) -> bool,
    ) -> Result<(u64, Shared<'g, Segment<T>>), u64> {
        Self::claim_many_when(position, guard, |word| u64::from(wanted(word)))
            .map(|(word, start, _)| (word, start))
    }

    /// Like [`claim_when`](Self::claim_when), for several cells at once: claims the `n`
    /// cells from the counter word's index on, where `n = how_many(word)` is decided at the
    /// claim (one compare-and-swap for all of them); returns the word, the segment read before
    /// the claim, and `n`. `Err` with the word if `how_many` says 0.
    pub(super) fn claim_many_when<'g>(
        position: &Position<T>,
        guard: &'g Guard,
        how_many: impl Fn(u64) -> u64,
    ) -> Result<(u64, Shared<'g, Segment<T>>, u64), u64> {
        loop {
            // Acquire: as in `claim`; read before the claim.
            let start = position.segment.load(Ordering::Acquire, guard);
            // SeqCst (the load and the CAS): the claim is in the total order of the claims,
            // as in `claim`.
            let word = position.counter.load(Ordering::SeqCst);
            let n = how_many(word);
            if n == 0 {
                return Err(word);
            }
            if position
                .counter
                .compare_exchange(word, word + n, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                return Ok((word, start, n));
            }
        }
    }

    /// The cell with the claimed `index`, walking from `start`. `Err` if its segment was
    /// removed: every cell from `index` up to the next live segment is dead, the side's counter
    /// is moved past them, and the caller claims again; the error says how many cells this
    /// call's move of the counter passed (beside the caller's own).
    #[inline]
    pub(super) fn cell_of<'g>(
        &self,
        position: &Position<T>,
        start: Shared<'g, Segment<T>>,
        index: u64,
        guard: &'g Guard,
    ) -> Result<Claimed<'g, T>, u64> {
        let found = self.list.locate(position, start, index, guard);
        // SAFETY: found while pinned (segment.rs, invariant 4).
        let segment = unsafe { Segment::checked(found) };
        if segment.start() > index {
            return Err(self.skip_to(&position.counter, segment.start()));
        }
        Ok(Claimed::at(found, index, guard))
    }

    /// The unpinned end of a blocking operation: its result, or the wait on its ticket. The
    /// caller has dropped its guard: a thread never parks pinned (crossbeam issue #103).
    pub(super) fn conclude<R>(
        start: Start<T, R>,
        patience: Patience,
        wait: impl FnOnce(Ticket<T>, &mut Timer) -> R,
    ) -> R {
        match start {
            Start::Done(result) => result,
            Start::Waiting(ticket) => {
                let Patience::Wait(mut timer) = patience else {
                    unreachable!("only an operation that may wait parks");
                };
                wait(ticket, &mut timer)
            }
        }
    }

    /// Moves the cell from the waiter pointer `word` to the terminal `to`; if this thread's CAS
    /// did it, gives up the cell's reference to the waiter, counts a cancellation, and returns
    /// true.
    pub(super) fn finalize(&self, at: Claimed<'_, T>, word: Word, to: Phase) -> bool {
        if at.cell.cas(word, to).is_err() {
            return false; // another thread finalized it
        }
        let waiter = match word.decode::<T>() {
            State::Receiver(waiter) | State::Sender(waiter) => waiter,
            State::Phase(_) => unreachable!("finalize is for cells holding a waiter"),
        };
        // SAFETY: our CAS finalized the cell, so its reference is ours to give up, once. The
        // waiter holds no value any more, or its party still holds its own reference.
        unsafe { Waiter::release_deferred(waiter, at.guard) };
        if to == Phase::CancelledRecv || to == Phase::CancelledSend {
            self.list.cell_cancelled(at.segment, at.guard);
        }
        if to == Phase::CancelledSend {
            self.note_send_withdrawal();
        }
        true
    }

    /// Remembers that a send has withdrawn from its cell (see `List::send_withdrawals`).
    pub(super) fn note_send_withdrawal(&self) {
        // Relaxed (both): a hint, not a synchronisation (see the field).
        if !self.list.send_withdrawals.load(Ordering::Relaxed) {
            self.list.send_withdrawals.store(true, Ordering::Relaxed);
        }
    }

    /// A send withdrew from its cell (the one place it is counted, by the thread whose CAS
    /// withdrew it): one more withdrawn cell ahead of the receivers (`List::
    /// withdrawn_sends_ahead`).
    pub(super) fn count_send_withdrawal(&self) {
        self.note_send_withdrawal();
        // Relaxed: a count for observers (see the field).
        self.list
            .withdrawn_sends_ahead
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The receivers' counter passed `cells` withdrawn send cells (a receive that found its
    /// cell withdrawn, or a move of `R` over withdrawn cells).
    pub(super) fn count_withdrawn_sends_passed(&self, cells: u64) {
        if cells > 0 {
            // Relaxed: as in `count_send_withdrawal`.
            self.list
                .withdrawn_sends_ahead
                .fetch_sub(cells, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Withdrawn send cells ahead of the receivers, never below zero (see the field).
    pub(crate) fn withdrawn_sends_ahead(&self) -> u64 {
        // Relaxed: a snapshot for observers.
        let count = self
            .list
            .withdrawn_sends_ahead
            .load(std::sync::atomic::Ordering::Relaxed);
        (count as i64).max(0) as u64
    }

    /// Raises a side's counter to `to` (keeping its `GONE` bit) if it is below: the cells in
    /// between are dead, and later claims need not visit them. Returns how many cells this
    /// call's CAS passed (0 if the counter was there already).
    pub(super) fn skip_to(&self, counter: &crate::sync::AtomicU64, to: u64) -> u64 {
        // Relaxed: only the value matters; the CAS decides.
        let mut word = counter.load(Ordering::Relaxed);
        while word & COUNT < to {
            // SeqCst: in the total order of the claims (the counter is one of them).
            match counter.compare_exchange_weak(
                word,
                (word & GONE) | to,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => return to - (word & COUNT),
                Err(now) => word = now,
            }
        }
        0
    }

    /// Records how a parked operation's wait ended (feature `trace`).
    #[cfg_attr(not(feature = "trace"), allow(unused_variables))]
    pub(super) fn trace_outcome(&self, ticket: &Ticket<T>, outcome: Outcome) {
        #[cfg(feature = "trace")]
        if outcome == Outcome::Cancelled {
            crate::trace::trace_event!(self.tracer(), ticket.index, Cancelled);
        } else {
            crate::trace::trace_event!(self.tracer(), ticket.index, Woken);
        }
    }
}
