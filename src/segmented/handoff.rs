//! Sends, receives, the buffer end, and cancellation: the cell protocol of the segmented dual
//! queue. The module docs of [`segmented`](super) state the invariants and linearization points
//! this code keeps; `cell.rs` and `waiter.rs` the two state machines it drives.

use super::cell::{
    Cell, State, BUFFERED, CANCELLED_RECV, CANCELLED_SEND, CLOSED, EMPTY, IN_BUFFER, PARKING,
    POISONED, SPIN_SEND, TAKEN,
};
use super::segment::{Position, Segment, SEG};
use super::waiter::{self as w, Waiter};
use super::SegmentedDualQueue;
use crate::sync::{current_thread, loom_sc_fence, Arc, Ordering, Timer};
use crate::trace::trace_event;
use crate::wait::WaitClock;
use crate::waiter::{Failure, Patience};
use crossbeam_epoch::{self as epoch, Guard, Shared};
use crossbeam_utils::Backoff;
use std::task::Waker;

/// Bit 63 of a side's counter: the *other* side is gone for good (set in `S` when the last
/// receiver leaves, in `R` when the last sender leaves). A claim's fetch-and-add returns it
/// with the index, so no claim can miss a disconnection that happened before it.
pub(crate) const GONE: u64 = 1 << 63;
/// The index part of a counter.
pub(crate) const COUNT: u64 = !GONE;

/// How long a receive that may not wait (`try_pop`, `try_recv`) waits for a sender that has
/// claimed its cell but not written yet before it poisons the cell (both then move on). The
/// sender is between two instructions unless it was preempted; a bounded wait keeps a stalled
/// sender from blocking the caller (crossbeam-channel #997), and poisoning at once (Kotlin)
/// would waste cells when both run. A receive that may wait never poisons: it waits in line
/// (see `recv_from_cell_slow`).
///
/// Under loom, none: the receive poisons at once. A round there is a yield, which makes the
/// lagging sender write before the receive may look again, so poisoning was out of reach of
/// every model; with no round, loom explores the sender writing before the receive's look or
/// after its poison, which covers every real outcome of the wait.
const LAGGING_SENDER_ROUNDS: u32 = if cfg!(loom) { 0 } else { 12 };

/// What a send waits for once its value has a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SendKind {
    /// Never waits: the value is buffered (`push`, unbounded channels).
    Push,
    /// Waits until a receiver has the value (`transfer`, rendezvous channels).
    Transfer,
    /// Waits only while `cap` values are ahead of the receivers (bounded channels).
    Room(u64),
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
    fn waiter<T>(self) -> Arc<Waiter<T>> {
        match self {
            Waiting::Thread => Waiter::new(current_thread()),
            Waiting::Task(waker) => Waiter::for_task(waker),
        }
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
type Claim<T> = (u64, *const Segment<T>);

/// A parked operation: its waiter, and where its cell is.
pub(crate) struct Ticket<T> {
    /// The waiter; the ticket owns one reference, the cell another.
    waiter: Arc<Waiter<T>>,
    /// The cell's segment. Dereferenced only while pinned and only under the rule in
    /// [`SegmentedDualQueue::clean_cancelled`].
    segment: *const Segment<T>,
    /// The cell's index.
    index: u64,
    /// When the wait began (for the spin policy).
    clock: WaitClock,
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

/// What a send found in its cell.
enum SendStep<T> {
    Done(Result<(), (T, Failure)>),
    /// The cell is dead for this send (a receiver gave up on it): claim another.
    Retry(T),
    Parked(Ticket<T>),
}

/// What a receive found in its cell.
enum RecvStep<T> {
    Done(Result<T, Failure>),
    /// The cell is dead for this receive: claim another. `finished` says whether the cell
    /// counts as processed by a receiver (the buffer end moves on for it).
    Retry {
        finished: bool,
    },
    Parked(Ticket<T>),
}

impl<T> SegmentedDualQueue<T> {
    // --------------------------------------------------------------------------------------
    // Sending.

    /// Sends `value` as `kind` says, waiting as `patience` allows. On failure the value comes
    /// back with the reason.
    ///
    /// The common case ([`send_fast`](Self::send_fast)) runs here, straight to `Ok(())`;
    /// everything else goes to [`send_slow`](Self::send_slow) with the claim already made.
    /// Keeping the common case apart keeps the slow path's nested result types out of it
    /// (profiled: moving them through the stack cost store-forwarding stalls on every message).
    #[inline]
    pub(crate) fn send(
        &self,
        value: T,
        kind: SendKind,
        patience: Patience,
    ) -> Result<(), (T, Failure)> {
        let guard = epoch::pin();
        if kind == SendKind::Push || matches!(patience, Patience::Wait(_)) {
            return match self.send_fast(value, kind, &guard) {
                Ok(()) => Ok(()),
                Err((value, claim)) => self.send_slow(value, kind, patience, Some(claim), guard),
            };
        }
        self.send_slow(value, kind, patience, None, guard)
    }

    /// The common case of a send that may claim a cell at once (it may buffer, or wait): claim
    /// a cell and, if it is in the senders' current segment and the value may stay there,
    /// leave the value in it. Otherwise the value comes back with the claim (its counter word,
    /// and the segment read before it) for the slow path. Shared by the blocking send and the
    /// first poll of an async one.
    #[inline(always)]
    fn send_fast(&self, value: T, kind: SendKind, guard: &Guard) -> Result<(), (T, Claim<T>)> {
        let (word, start) = Self::claim(&self.list.senders, None, guard);
        let index = word & COUNT;
        if word & GONE == 0 {
            // Recorded here once; the slow path records only the claims it makes itself.
            trace_event!(self.tracer(), index, Claimed(crate::trace::NodeKind::Data));
        }
        // SAFETY: read from the position while pinned (segment.rs, invariant 4).
        let segment = unsafe { start.deref() };
        if word & GONE == 0 && segment.id == index / SEG as u64 && self.may_buffer(index, kind) {
            let cell = &segment.cells[(index - segment.start()) as usize];
            // SAFETY: as in `send_to_cell`: the slot of a claimed, unpublished cell is ours.
            unsafe { cell.write(value) };
            // The Release half of the CAS publishes the value to the receiver.
            return match cell.cas(EMPTY, BUFFERED) {
                Ok(()) => {
                    trace_event!(self.tracer(), index, Buffered);
                    Ok(())
                }
                // SAFETY: the CAS failed, so nobody saw the value: it is ours again.
                Err(_) => Err((unsafe { cell.read() }, (word, start.as_raw()))),
            };
        }
        Err((value, (word, start.as_raw())))
    }

    /// The rest of [`send`](Self::send): every case but the common one, with the claim the
    /// fast path made (its counter word, and the segment it read before claiming), if any.
    #[cold]
    #[inline(never)]
    fn send_slow(
        &self,
        value: T,
        kind: SendKind,
        patience: Patience,
        claimed: Option<Claim<T>>,
        guard: Guard,
    ) -> Result<(), (T, Failure)> {
        let start = self.start_send_from(value, kind, &patience, Waiting::Thread, claimed, &guard);
        drop(guard);
        Self::conclude(start, patience, |ticket, timer| {
            self.finish_send(ticket, kind, timer)
        })
    }

    /// The unpinned end of a blocking operation: its result, or the wait on its ticket. The
    /// caller has dropped its guard: a thread never parks pinned (crossbeam issue #103).
    fn conclude<R>(
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

    /// The pinned part of a send: claim a cell (again, if the first is dead) and deal with it;
    /// wait there for a while if it is a thread's and the send must wait. The common case runs
    /// inline, as in [`send`](Self::send).
    #[inline]
    pub(crate) fn start_send(
        &self,
        value: T,
        kind: SendKind,
        patience: &Patience,
        how: Waiting<'_>,
        guard: &Guard,
    ) -> Start<T, Result<(), (T, Failure)>> {
        if kind == SendKind::Push || matches!(patience, Patience::Wait(_)) {
            return match self.send_fast(value, kind, guard) {
                Ok(()) => Start::Done(Ok(())),
                Err((value, claim)) => {
                    self.start_send_from(value, kind, patience, how, Some(claim), guard)
                }
            };
        }
        self.start_send_from(value, kind, patience, how, None, guard)
    }

    /// [`start_send`](Self::start_send), continuing from a claim already made (its counter
    /// word, and the segment read before it), if any.
    fn start_send_from(
        &self,
        mut value: T,
        kind: SendKind,
        patience: &Patience,
        how: Waiting<'_>,
        mut claimed: Option<Claim<T>>,
        guard: &Guard,
    ) -> Start<T, Result<(), (T, Failure)>> {
        let senders = &self.list.senders;
        // A send that may not wait (`try_transfer`, `try_send` on a bounded channel) claims
        // only a cell its value may stay in (see `claim_when`).
        let conditional = kind != SendKind::Push && !matches!(patience, Patience::Wait(_));
        loop {
            // A claim the fast path made is already recorded.
            let recorded = claimed.is_some();
            let (word, start) = if conditional {
                debug_assert!(claimed.is_none(), "the fast path claims only for waits");
                match Self::claim_when(senders, guard, |word| {
                    word & GONE == 0 && self.may_buffer(word & COUNT, kind)
                }) {
                    Ok(claim) => claim,
                    Err(word) if word & GONE != 0 => {
                        return Start::Done(Err((value, Failure::Disconnected)))
                    }
                    Err(_) => return Start::Done(Err((value, Failure::NoPartner))),
                }
            } else {
                Self::claim(senders, claimed.take(), guard)
            };
            if word & GONE != 0 {
                return Start::Done(Err((value, Failure::Disconnected)));
            }
            let index = word & COUNT;
            if !recorded {
                trace_event!(self.tracer(), index, Claimed(crate::trace::NodeKind::Data));
            }
            let Some((found, cell)) = self.cell_of(senders, start, index, guard) else {
                continue;
            };
            // SAFETY: found while pinned (segment.rs, invariant 4).
            let segment = unsafe { found.deref() };
            match self.send_to_cell(found, cell, index, value, kind, patience, how, guard) {
                SendStep::Done(result) => return Start::Done(result),
                SendStep::Parked(ticket) => return Start::Waiting(ticket),
                SendStep::Retry(back) => {
                    value = back;
                    if segment.is_dead() {
                        // Nothing here can be used any more: later sends need not try it.
                        self.skip_to(&senders.counter, segment.start() + SEG as u64);
                    }
                }
            }
        }
    }

    /// Claims the next cell of one side (or takes the claim its fast path already made):
    /// returns the counter word the fetch-and-add returned (index and `GONE` flag) and the
    /// segment the side's pointer showed just before the claim.
    #[inline]
    fn claim<'g>(
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
    fn claim_when<'g>(
        position: &Position<T>,
        guard: &'g Guard,
        wanted: impl Fn(u64) -> bool,
    ) -> Result<(u64, Shared<'g, Segment<T>>), u64> {
        loop {
            // Acquire: as in `claim`; read before the claim.
            let start = position.segment.load(Ordering::Acquire, guard);
            // SeqCst (the load and the CAS): the claim is in the total order of the claims,
            // as in `claim`.
            let word = position.counter.load(Ordering::SeqCst);
            if !wanted(word) {
                return Err(word);
            }
            if position
                .counter
                .compare_exchange(word, word + 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                return Ok((word, start));
            }
        }
    }

    /// The cell with the claimed `index`, walking from `start`, with its segment; `None` if
    /// that segment was removed (every cell up to the next live segment is dead: the side's
    /// counter is moved past them, and the caller claims again).
    #[inline]
    fn cell_of<'g>(
        &self,
        position: &Position<T>,
        start: Shared<'g, Segment<T>>,
        index: u64,
        guard: &'g Guard,
    ) -> Option<(Shared<'g, Segment<T>>, &'g Cell<T>)> {
        let found = self.list.locate(position, start, index, guard);
        // SAFETY: found while pinned (segment.rs, invariant 4); the epoch keeps it alive for
        // as long as the guard lives.
        let segment = unsafe { found.deref() };
        if segment.start() > index {
            self.skip_to(&position.counter, segment.start());
            return None;
        }
        Some((found, &segment.cells[(index - segment.start()) as usize]))
    }

    /// Whether a send in cell `index` may leave its value and return at once.
    fn may_buffer(&self, index: u64, kind: SendKind) -> bool {
        // SeqCst (both loads): the second half of "claim S, then read R / B", against a
        // receiver's "claim R, then read S" and the buffer end's "claim B, then read S". In
        // one total order, at least one side sees the other (module docs).
        loom_sc_fence();
        let receivers = || self.list.receivers.counter.load(Ordering::SeqCst) & COUNT;
        match kind {
            SendKind::Push => true,
            // A receiver that has claimed the cell will take the value: it is committed.
            SendKind::Transfer => index < receivers(),
            SendKind::Room(cap) => {
                index < self.list.buffer_end.counter.load(Ordering::SeqCst)
                    || index < receivers().saturating_add(cap)
            }
        }
    }

    /// Whether a partner has claimed the cell `index` of a waiting send (a receiver, or, on a
    /// bounded channel, the buffer end): it completes the send within a few steps, so the
    /// send may not time out any more.
    ///
    /// Why: a receive that claimed the cell has taken effect (it is in line, or took the value
    /// as the oldest one), and later receives may already have been served behind it. If the
    /// send withdrew now, that receive would have to be served by a later value, after
    /// receives that came after it (not linearizable; the linearizability test caught the
    /// symmetric case on the receiving side).
    fn send_partner_due(&self, index: u64, kind: SendKind) -> bool {
        // SeqCst (both loads): read after the send's claim and before its cancel CAS, in the
        // total order of the claims (see `may_buffer`).
        let receivers = self.list.receivers.counter.load(Ordering::SeqCst) & COUNT;
        index < receivers
            || matches!(kind, SendKind::Room(_))
                && index < self.list.buffer_end.counter.load(Ordering::SeqCst)
    }

    /// Whether the sender of cell `index` has claimed it: the receive waiting there gets that
    /// sender's value within a few steps, and may not time out any more (the mirror image of
    /// [`send_partner_due`](Self::send_partner_due): a receive that left now would leave a
    /// sender that has taken effect behind later sends already received).
    fn recv_partner_due(&self, index: u64) -> bool {
        // SeqCst: "claim R, then read S" (see `may_buffer`).
        index < self.list.senders.counter.load(Ordering::SeqCst) & COUNT
    }

    /// Whether a send that must wait in cell `index` is the next one a receiver will serve
    /// (worth spinning for).
    fn sender_is_first(&self, index: u64, kind: SendKind) -> bool {
        // Relaxed (both): a heuristic; a stale answer only costs a spin, a yield or a park.
        let receivers = self.list.receivers.counter.load(Ordering::Relaxed) & COUNT;
        match kind {
            SendKind::Push | SendKind::Transfer => index <= receivers,
            SendKind::Room(cap) => {
                index <= self.list.buffer_end.counter.load(Ordering::Relaxed)
                    || index <= receivers.saturating_add(cap)
            }
        }
    }

    /// Deals with the send's claimed cell. The common case (an empty cell and room) is inline;
    /// everything else is in [`send_to_cell_slow`](Self::send_to_cell_slow).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn send_to_cell(
        &self,
        segment: Shared<'_, Segment<T>>,
        cell: &Cell<T>,
        index: u64,
        mut value: T,
        kind: SendKind,
        patience: &Patience,
        how: Waiting<'_>,
        guard: &Guard,
    ) -> SendStep<T> {
        // No look at the state first: the CAS tells, and going straight to the write fetches
        // the cache line once, for writing.
        if self.may_buffer(index, kind) {
            // SAFETY: we claimed the cell and have not published a value in it, so the slot is
            // empty and ours: no state a sender can meet before its own CAS (empty, in buffer,
            // a parked receiver, poisoned, withdrawn, closed) lets anyone else touch the slot
            // (cell.rs, "Who may touch the value slot").
            unsafe { cell.write(value) };
            // The Release half of the CAS publishes the value to the receiver.
            match cell.cas(EMPTY, BUFFERED) {
                Ok(()) => {
                    trace_event!(self.tracer(), index, Buffered);
                    return SendStep::Done(Ok(()));
                }
                // SAFETY: the CAS failed, so nobody saw the value: it is ours again.
                Err(_) => value = unsafe { cell.read() },
            }
        }
        self.send_to_cell_slow(segment, cell, index, value, kind, patience, how, guard)
    }

    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn send_to_cell_slow(
        &self,
        segment: Shared<'_, Segment<T>>,
        cell: &Cell<T>,
        index: u64,
        mut value: T,
        kind: SendKind,
        patience: &Patience,
        how: Waiting<'_>,
        guard: &Guard,
    ) -> SendStep<T> {
        loop {
            let word = cell.load();
            match State::<T>::decode(word) {
                State::Plain(EMPTY) if self.may_buffer(index, kind) => {
                    // SAFETY: we claimed the cell and have not published it: the slot is ours
                    // and empty (cell.rs, "Who may touch the value slot").
                    unsafe { cell.write(value) };
                    // The Release half of the CAS publishes the value to the receiver.
                    match cell.cas(EMPTY, BUFFERED) {
                        Ok(()) => {
                            trace_event!(self.tracer(), index, Buffered);
                            return SendStep::Done(Ok(()));
                        }
                        // SAFETY: the CAS failed, so nobody saw the value: it is ours again.
                        Err(_) => value = unsafe { cell.read() },
                    }
                }
                State::Plain(EMPTY) => match patience {
                    Patience::Wait(timer) => {
                        let wait =
                            self.wait_in_cell(segment, cell, index, value, kind, timer, how, guard);
                        match wait {
                            Ok(step) => return step,
                            Err(back) => value = back,
                        }
                    }
                    // No room and nobody waiting: give up, and leave the cell dead.
                    Patience::Now | Patience::Async => {
                        if cell.cas(EMPTY, CANCELLED_SEND).is_ok() {
                            trace_event!(self.tracer(), index, Cancelled);
                            self.list.cell_cancelled(segment, guard);
                            self.pass_withdrawn(Side::Sender, segment, index, guard);
                            return SendStep::Done(Err((value, Failure::NoPartner)));
                        }
                    }
                },
                State::Plain(IN_BUFFER) => {
                    // SAFETY: as for `EMPTY`: the buffer end only marked the cell; the slot is
                    // still ours until our CAS publishes it.
                    unsafe { cell.write(value) };
                    match cell.cas(IN_BUFFER, BUFFERED) {
                        Ok(()) => {
                            trace_event!(self.tracer(), index, Buffered);
                            return SendStep::Done(Ok(()));
                        }
                        // SAFETY: the CAS failed, so nobody saw the value.
                        Err(_) => value = unsafe { cell.read() },
                    }
                }
                State::Receiver(waiter_ptr) => {
                    // SAFETY: the cell's reference keeps the waiter alive until whoever
                    // finalizes the cell releases it through the epoch, after we unpin.
                    let waiter = unsafe { &*waiter_ptr };
                    // SAFETY: we are the cell's sender, the only thread that delivers to its
                    // receiver, and its slot is empty.
                    unsafe { waiter.put(value) };
                    match waiter.decide(w::DELIVERED) {
                        Ok(()) => {
                            trace_event!(self.tracer(), index, Delivered);
                            waiter.wake();
                            self.finalize(segment, cell, word, TAKEN, guard);
                            return SendStep::Done(Ok(()));
                        }
                        Err(_) => {
                            // The receiver withdrew (or was closed) first.
                            // SAFETY: our delivery CAS failed, so the value we wrote is ours.
                            value = unsafe { waiter.take() };
                            self.finalize(segment, cell, word, CANCELLED_RECV, guard);
                            return SendStep::Retry(value);
                        }
                    }
                }
                State::Plain(POISONED | CANCELLED_RECV) => return SendStep::Retry(value),
                State::Plain(CLOSED) => {
                    return SendStep::Done(Err((value, Failure::Disconnected)));
                }
                other => unreachable!("a sender found its own cell {}", other.name()),
            }
        }
    }

    /// A send that must wait in its `EMPTY` cell: spin with the value in the cell, then park
    /// with it in a waiter. `Err` gives the value back if the cell changed first (re-dispatch).
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn wait_in_cell(
        &self,
        segment: Shared<'_, Segment<T>>,
        cell: &Cell<T>,
        index: u64,
        value: T,
        kind: SendKind,
        timer: &Timer,
        how: Waiting<'_>,
        guard: &Guard,
    ) -> Result<SendStep<T>, T> {
        let mut clock = WaitClock::new();
        let policy = &self.spin[1];
        // The sender next in line waits actively (on one CPU the policy yields instead of
        // spinning); the others yield if the policy's yield budget allows, or park at once.
        let first = self.sender_is_first(index, kind);
        let active = matches!(how, Waiting::Thread) && (first || policy.yields_behind());
        if !active {
            // Park at once, the value in the waiter.
            let waiter = how.waiter();
            // SAFETY: a new waiter nobody else has seen.
            unsafe { waiter.put(value) };
            let raw = Arc::into_raw(Arc::clone(&waiter));
            // The Release half of the CAS publishes the waiter and its value.
            return match cell.cas(EMPTY, State::sender(raw)) {
                Ok(()) => {
                    trace_event!(self.tracer(), index, Parked);
                    Ok(SendStep::Parked(Ticket {
                        waiter,
                        segment: segment.as_raw(),
                        index,
                        clock,
                    }))
                }
                Err(_) => {
                    // SAFETY: the CAS failed: the cell never held this reference.
                    drop(unsafe { Arc::from_raw(raw) });
                    // SAFETY: never published: the value is ours.
                    Err(unsafe { waiter.take() })
                }
            };
        }
        // SAFETY: the slot is ours until the CAS below publishes it.
        unsafe { cell.write(value) };
        if cell.cas(EMPTY, SPIN_SEND).is_err() {
            // SAFETY: the CAS failed, so nobody saw the value.
            return Err(unsafe { cell.read() });
        }
        trace_event!(self.tracer(), index, Spinning);
        if first {
            policy.wait_actively(&mut clock, timer, || cell.load() == SPIN_SEND);
        } else {
            policy.yield_behind(timer, || cell.load() == SPIN_SEND);
        }
        loop {
            match cell.load() {
                TAKEN | BUFFERED => return Ok(SendStep::Done(Ok(()))),
                CLOSED => {
                    // SAFETY: the sweep that closed a `SPIN_SEND` cell leaves the value to us;
                    // our cell went to `CLOSED` from `SPIN_SEND` itself, since a sweep takes a
                    // `BUFFERED` value as `TAKEN` (close.rs).
                    let value = unsafe { cell.read() };
                    return Ok(SendStep::Done(Err((value, Failure::Disconnected))));
                }
                SPIN_SEND if timer.expired() && !self.send_partner_due(index, kind) => {
                    if cell.cas(SPIN_SEND, CANCELLED_SEND).is_ok() {
                        trace_event!(self.tracer(), index, Cancelled);
                        // SAFETY: our CAS took the value back before anyone else moved it.
                        let value = unsafe { cell.read() };
                        self.list.cell_cancelled(segment, guard);
                        self.pass_withdrawn(Side::Sender, segment, index, guard);
                        return Ok(SendStep::Done(Err((value, Failure::TimedOut))));
                    }
                }
                SPIN_SEND => {
                    // The budget is spent: park, the value moved into a waiter.
                    let waiter = how.waiter();
                    if cell.cas(SPIN_SEND, PARKING).is_ok() {
                        // SAFETY: `PARKING` is ours: nobody else touches the slot until we
                        // store the waiter; the waiter is not published yet.
                        unsafe { waiter.put(cell.read()) };
                        let raw = Arc::into_raw(Arc::clone(&waiter));
                        cell.store(State::sender(raw));
                        trace_event!(self.tracer(), index, Parked);
                        return Ok(SendStep::Parked(Ticket {
                            waiter,
                            segment: segment.as_raw(),
                            index,
                            clock,
                        }));
                    }
                }
                other => unreachable!(
                    "a spinning sender found its cell {}",
                    State::<T>::decode(other).name()
                ),
            }
        }
    }

    /// The unpinned part of a parked send: wait for the waiter's outcome.
    pub(crate) fn finish_send(
        &self,
        ticket: Ticket<T>,
        kind: SendKind,
        timer: &mut Timer,
    ) -> Result<(), (T, Failure)> {
        let outcome = ticket
            .waiter
            .wait(timer, || !self.send_partner_due(ticket.index, kind));
        self.spin[1].parked(&ticket.clock);
        self.send_outcome(ticket, outcome)
    }

    /// What a parked send's decided waiter means for its caller.
    pub(crate) fn send_outcome(
        &self,
        ticket: Ticket<T>,
        outcome: usize,
    ) -> Result<(), (T, Failure)> {
        self.trace_outcome(&ticket, outcome);
        match outcome {
            w::TAKEN | w::BUFFERED => Ok(()),
            w::CANCELLED => {
                // SAFETY: our own CAS withdrew the value: it is ours again.
                let value = unsafe { ticket.waiter.take() };
                self.clean_cancelled(&ticket, Side::Sender);
                Err((value, Failure::TimedOut))
            }
            w::CLOSED => {
                // SAFETY: the sweep's CAS closed the waiter and leaves the value to us.
                let value = unsafe { ticket.waiter.take() };
                Err((value, Failure::Disconnected))
            }
            other => unreachable!("a parked sender ended in waiter state {other}"),
        }
    }

    // --------------------------------------------------------------------------------------
    // Receiving.

    /// Receives a value, waiting as `patience` allows.
    ///
    /// The common case ([`recv_fast`](Self::recv_fast)) runs here; everything else goes to
    /// [`recv_slow`](Self::recv_slow) with the claim already made (see [`send`](Self::send)
    /// for why).
    #[inline]
    pub(crate) fn recv(&self, patience: Patience) -> Result<T, Failure> {
        let guard = epoch::pin();
        if matches!(patience, Patience::Wait(_)) {
            return match self.recv_fast(&guard) {
                Ok(value) => Ok(value),
                Err(claim) => self.recv_slow(patience, Some(claim), guard),
            };
        }
        self.recv_slow(patience, None, guard)
    }

    /// The common case of a receive that may wait: claim a cell and, if it is in the
    /// receivers' current segment and holds its value, take it. Otherwise the claim, for the
    /// slow path. Shared by the blocking receive and the first poll of an async one.
    #[inline(always)]
    fn recv_fast(&self, guard: &Guard) -> Result<T, Claim<T>> {
        let (word, start) = Self::claim(&self.list.receivers, None, guard);
        let index = word & COUNT;
        // Recorded here once; the slow path records only the claims it makes itself.
        trace_event!(
            self.tracer(),
            index,
            Claimed(crate::trace::NodeKind::Request)
        );
        // SAFETY: read from the position while pinned (segment.rs, invariant 4).
        let segment = unsafe { start.deref() };
        if word & GONE == 0 && segment.id == index / SEG as u64 {
            let cell = &segment.cells[(index - segment.start()) as usize];
            if cell.load() == BUFFERED {
                trace_event!(self.tracer(), index, Taken);
                let value = Self::take_buffered(cell);
                self.after_take(start, index, guard);
                return Ok(value);
            }
        }
        Err((word, start.as_raw()))
    }

    /// What a receive does once it has taken a value from cell `index`: move the buffer end
    /// on, and step over withdrawn sends right behind (see `List::send_withdrawals`).
    #[inline]
    fn after_take(&self, segment: Shared<'_, Segment<T>>, index: u64, guard: &Guard) {
        self.expand_buffer(guard);
        if self.list.send_withdrawals.load(Ordering::Relaxed) {
            // A withdrawn send right behind the value we took would count in `len` until the
            // next receive passes it: step over it now, so an emptied channel reads empty.
            self.pass_withdrawn(Side::Sender, segment, index + 1, guard);
        }
    }

    /// The rest of [`recv`](Self::recv): every case but the common one, with the claim the
    /// fast path made, if any.
    #[cold]
    #[inline(never)]
    fn recv_slow(
        &self,
        patience: Patience,
        claimed: Option<Claim<T>>,
        guard: Guard,
    ) -> Result<T, Failure> {
        let start = self.start_recv_from(&patience, Waiting::Thread, claimed, &guard);
        drop(guard);
        Self::conclude(start, patience, |ticket, timer| {
            self.finish_recv(ticket, timer)
        })
    }

    /// The pinned part of a receive: claim a cell (again, if the first is dead) and deal with
    /// it; wait there for a while if it is a thread's and no value is there yet. The common
    /// case runs inline, as in [`recv`](Self::recv).
    #[inline]
    pub(crate) fn start_recv(
        &self,
        patience: &Patience,
        how: Waiting<'_>,
        guard: &Guard,
    ) -> Start<T, Result<T, Failure>> {
        if matches!(patience, Patience::Wait(_)) {
            return match self.recv_fast(guard) {
                Ok(value) => Start::Done(Ok(value)),
                Err(claim) => self.start_recv_from(patience, how, Some(claim), guard),
            };
        }
        self.start_recv_from(patience, how, None, guard)
    }

    /// [`start_recv`](Self::start_recv), continuing from a claim already made, if any.
    fn start_recv_from(
        &self,
        patience: &Patience,
        how: Waiting<'_>,
        mut claimed: Option<Claim<T>>,
        guard: &Guard,
    ) -> Start<T, Result<T, Failure>> {
        let receivers = &self.list.receivers;
        // A receive that may not wait claims only a cell whose sender has claimed it already
        // (see `claim_when`).
        let conditional = !matches!(patience, Patience::Wait(_));
        loop {
            // A claim the fast path made is already recorded.
            let recorded = claimed.is_some();
            let (word, start) = if conditional {
                // SeqCst: in the same total order as the senders' claims: read R (the word),
                // then S. R only grows, so when S is read and R ≥ S, at that instant no cell
                // below S is unclaimed: there is nothing to take.
                debug_assert!(claimed.is_none(), "the fast path claims only for waits");
                match Self::claim_when(receivers, guard, |word| {
                    word & COUNT < self.list.senders.counter.load(Ordering::SeqCst) & COUNT
                }) {
                    Ok(claim) => claim,
                    Err(word) if word & GONE != 0 => {
                        return Start::Done(Err(Failure::Disconnected))
                    }
                    Err(_) => return Start::Done(Err(Failure::NoPartner)),
                }
            } else {
                Self::claim(receivers, claimed.take(), guard)
            };
            let index = word & COUNT;
            if !recorded {
                trace_event!(
                    self.tracer(),
                    index,
                    Claimed(crate::trace::NodeKind::Request)
                );
            }
            if word & GONE != 0
                // SeqCst: no sender is left, so S is final; cells from S on will never
                // receive a value.
                && index >= self.list.senders.counter.load(Ordering::SeqCst) & COUNT
            {
                return Start::Done(Err(Failure::Disconnected));
            }
            let Some((found, cell)) = self.cell_of(receivers, start, index, guard) else {
                continue;
            };
            match self.recv_from_cell(found, cell, index, patience, how, guard) {
                RecvStep::Done(Ok(value)) => {
                    self.after_take(found, index, guard);
                    return Start::Done(Ok(value));
                }
                RecvStep::Done(Err(failure)) => {
                    self.expand_buffer(guard);
                    return Start::Done(Err(failure));
                }
                RecvStep::Parked(ticket) => {
                    self.expand_buffer(guard);
                    return Start::Waiting(ticket);
                }
                RecvStep::Retry { finished } => {
                    if finished {
                        self.expand_buffer(guard);
                    }
                }
            }
        }
    }

    /// Deals with the receive's claimed cell. The common case (a buffered value) is inline;
    /// everything else is in [`recv_from_cell_slow`](Self::recv_from_cell_slow).
    #[inline]
    fn recv_from_cell(
        &self,
        segment: Shared<'_, Segment<T>>,
        cell: &Cell<T>,
        index: u64,
        patience: &Patience,
        how: Waiting<'_>,
        guard: &Guard,
    ) -> RecvStep<T> {
        if cell.load() == BUFFERED {
            trace_event!(self.tracer(), index, Taken);
            return RecvStep::Done(Ok(Self::take_buffered(cell)));
        }
        self.recv_from_cell_slow(segment, cell, index, patience, how, guard)
    }

    /// Takes the value of a `BUFFERED` cell that belongs to the caller's receive.
    ///
    /// The state stays `BUFFERED`: a cell below `R` has been taken, and whoever looks at cells
    /// later (sweeps, the destructor, pictures) knows it by its index. Not writing the state
    /// spares a store to a cache line the senders may be writing next to.
    #[inline]
    fn take_buffered(cell: &Cell<T>) -> T {
        // SAFETY: a `BUFFERED` cell's value belongs to its receiver, the caller; the caller's
        // Acquire load of the state saw the sender's Release.
        unsafe { cell.read() }
    }

    #[cold]
    #[inline(never)]
    fn recv_from_cell_slow(
        &self,
        segment: Shared<'_, Segment<T>>,
        cell: &Cell<T>,
        index: u64,
        patience: &Patience,
        how: Waiting<'_>,
        guard: &Guard,
    ) -> RecvStep<T> {
        let backoff = Backoff::new();
        let mut lag_rounds = 0;
        let mut spun = false;
        loop {
            let word = cell.load();
            match State::<T>::decode(word) {
                State::Plain(BUFFERED) => {
                    trace_event!(self.tracer(), index, Taken);
                    return RecvStep::Done(Ok(Self::take_buffered(cell)));
                }
                State::Plain(SPIN_SEND) => {
                    if cell.cas(SPIN_SEND, TAKEN).is_ok() {
                        trace_event!(self.tracer(), index, Taken);
                        // SAFETY: our CAS took the value from the spinning sender, which no
                        // longer touches the slot.
                        return RecvStep::Done(Ok(unsafe { cell.read() }));
                    }
                }
                State::Plain(PARKING) => backoff.snooze(),
                State::Plain(EMPTY | IN_BUFFER) => {
                    // SeqCst: "claim R, then read S" (see `may_buffer`).
                    loom_sc_fence();
                    let sent = self.list.senders.counter.load(Ordering::SeqCst) & COUNT;
                    // A receive that may wait keeps its cell and waits for its sender, even
                    // one that has claimed the cell and is slow to write: the receive cannot
                    // tell whether that sender claimed before or after its own claim, and in
                    // the second case it was already in line (a waiting consumer others may
                    // have seen). Poisoning would send it to the back of the line, behind
                    // receivers that came after it, and fail a `try_transfer` meant for it
                    // (FIFO violations the linearizability test caught). Only a receive that
                    // may not wait gives up on a lagging sender.
                    let may_wait = matches!(patience, Patience::Wait(_));
                    if index < sent && !may_wait {
                        // Our sender has claimed the cell and is about to write.
                        if lag_rounds < LAGGING_SENDER_ROUNDS {
                            lag_rounds += 1;
                            backoff.snooze();
                            continue;
                        }
                        if cell.cas(word, POISONED).is_ok() {
                            trace_event!(self.tracer(), index, Poisoned);
                            return RecvStep::Retry { finished: true };
                        }
                        continue;
                    }
                    let Patience::Wait(timer) = patience else {
                        if cell.cas(word, CANCELLED_RECV).is_ok() {
                            trace_event!(self.tracer(), index, Cancelled);
                            self.list.cell_cancelled(segment, guard);
                            self.pass_withdrawn(Side::Receiver, segment, index, guard);
                            return RecvStep::Done(Err(Failure::NoPartner));
                        }
                        continue;
                    };
                    if timer.expired() {
                        if index < sent {
                            // Our sender has claimed the cell: its value comes within a few
                            // steps, and the receive may not withdraw any more (see
                            // `recv_partner_due`).
                            backoff.snooze();
                            continue;
                        }
                        // No sender had claimed the cell when we read `S`: the timeout takes
                        // effect there (a sender that claims it since finds it withdrawn).
                        if cell.cas(word, CANCELLED_RECV).is_ok() {
                            trace_event!(self.tracer(), index, Cancelled);
                            self.list.cell_cancelled(segment, guard);
                            self.pass_withdrawn(Side::Receiver, segment, index, guard);
                            return RecvStep::Done(Err(Failure::TimedOut));
                        }
                        continue;
                    }
                    let mut clock = WaitClock::new();
                    // The receiver next in line waits actively; the others yield if the
                    // policy's yield budget allows, or park at once.
                    let policy = &self.spin[0];
                    // First: no sender is due before ours (ours may have claimed already).
                    let first = index <= sent;
                    let active = matches!(how, Waiting::Thread)
                        && !spun
                        && (first || policy.yields_behind());
                    if active {
                        spun = true;
                        trace_event!(self.tracer(), index, Spinning);
                        let decided = if first {
                            policy.wait_actively(&mut clock, timer, || cell.load() == word)
                        } else {
                            policy.yield_behind(timer, || cell.load() == word)
                        };
                        if decided {
                            continue;
                        }
                        if timer.expired() {
                            continue;
                        }
                    }
                    let waiter = how.waiter();
                    let raw = Arc::into_raw(Arc::clone(&waiter));
                    // The Release half of the CAS publishes the waiter.
                    match cell.cas(word, State::receiver(raw)) {
                        Ok(()) => {
                            trace_event!(self.tracer(), index, Parked);
                            return RecvStep::Parked(Ticket {
                                waiter,
                                segment: segment.as_raw(),
                                index,
                                clock,
                            });
                        }
                        // SAFETY: the CAS failed: the cell never held this reference.
                        Err(_) => drop(unsafe { Arc::from_raw(raw) }),
                    }
                }
                State::Sender(waiter_ptr) => {
                    // SAFETY: the cell's reference keeps the waiter alive until it is released
                    // through the epoch, after we unpin.
                    let waiter = unsafe { &*waiter_ptr };
                    match waiter.decide(w::TAKEN) {
                        Ok(()) => {
                            trace_event!(self.tracer(), index, Taken);
                            // SAFETY: we won the sender's waiter: its value is ours.
                            let value = unsafe { waiter.take() };
                            waiter.wake();
                            self.finalize(segment, cell, word, TAKEN, guard);
                            return RecvStep::Done(Ok(value));
                        }
                        // The buffer end is moving the value into the cell: it will publish
                        // `BUFFERED`.
                        Err(w::BUFFERED) => backoff.snooze(),
                        Err(_) => {
                            self.finalize(segment, cell, word, CANCELLED_SEND, guard);
                            return RecvStep::Retry { finished: false };
                        }
                    }
                }
                State::Plain(CANCELLED_SEND) => return RecvStep::Retry { finished: false },
                State::Plain(CLOSED) => return RecvStep::Done(Err(Failure::Disconnected)),
                other => unreachable!("a receiver found its own cell {}", other.name()),
            }
        }
    }

    /// The unpinned part of a parked receive: wait for the waiter's outcome.
    pub(crate) fn finish_recv(&self, ticket: Ticket<T>, timer: &mut Timer) -> Result<T, Failure> {
        let outcome = ticket
            .waiter
            .wait(timer, || !self.recv_partner_due(ticket.index));
        self.spin[0].parked(&ticket.clock);
        self.recv_outcome(ticket, outcome)
    }

    /// What a parked receive's decided waiter means for its caller.
    pub(crate) fn recv_outcome(&self, ticket: Ticket<T>, outcome: usize) -> Result<T, Failure> {
        self.trace_outcome(&ticket, outcome);
        match outcome {
            // SAFETY: a delivered value is the receiver's, written before the Release CAS
            // that our Acquire load of the state saw.
            w::DELIVERED => Ok(unsafe { ticket.waiter.take() }),
            w::CANCELLED => {
                self.clean_cancelled(&ticket, Side::Receiver);
                Err(Failure::TimedOut)
            }
            w::CLOSED => Err(Failure::Disconnected),
            other => unreachable!("a parked receiver ended in waiter state {other}"),
        }
    }

    /// Records how a parked operation's wait ended (feature `trace`).
    #[cfg_attr(not(feature = "trace"), allow(unused_variables))]
    fn trace_outcome(&self, ticket: &Ticket<T>, outcome: usize) {
        #[cfg(feature = "trace")]
        if outcome == w::CANCELLED {
            trace_event!(self.tracer(), ticket.index, Cancelled);
        } else {
            trace_event!(self.tracer(), ticket.index, Woken);
        }
    }

    // --------------------------------------------------------------------------------------
    // Async tasks: a parked operation polled, or abandoned (its future dropped). Used by the
    // async futures (`channel/future.rs`).

    /// Polls a parked operation's waiter: its final state, or `None` once `waker` is
    /// registered to be woken when it is decided.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub(crate) fn poll_ticket(ticket: &Ticket<T>, waker: &Waker) -> Option<usize> {
        ticket.waiter.poll(waker)
    }

    /// A parked send whose future was dropped: withdraws the value (dropped here) unless a
    /// receiver or the buffer end already has it, in which case the send simply happened.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub(crate) fn abandon_send(&self, ticket: Ticket<T>) {
        let outcome = match ticket.waiter.decide(w::CANCELLED) {
            Ok(()) => w::CANCELLED,
            Err(winner) => winner,
        };
        // A withdrawn or closed send gives its value back; it goes with the future.
        drop(self.send_outcome(ticket, outcome));
    }

    /// A parked receive whose future was dropped: withdraws from its place in line. Returns a
    /// value that was already handed to it: the caller sends it again or drops it.
    ///
    /// The engine does not send it again itself: once the last sender is gone, a receiver
    /// that claims a cell at or past `S` leaves it untouched and reports the disconnection, so
    /// a send after that could land in a cell no receiver will ever visit, below `R`, where
    /// neither a receiver, the sweep nor the destructor would drop it. The channel knows
    /// whether a sender is still there (`channel/future.rs`, `resend`).
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub(crate) fn abandon_recv(&self, ticket: Ticket<T>) -> Option<T> {
        let outcome = match ticket.waiter.decide(w::CANCELLED) {
            Ok(()) => w::CANCELLED,
            Err(winner) => winner,
        };
        self.recv_outcome(ticket, outcome).ok()
    }

    // --------------------------------------------------------------------------------------
    // The buffer end (bounded channels).

    /// Moves the buffer end one cell on, after a receive finished with its cell: the sender of
    /// that cell may buffer, and if it is parked, it is released with its value buffered.
    /// Blocked senders are therefore released in the order of their cells: FIFO.
    #[inline]
    fn expand_buffer(&self, guard: &Guard) {
        if matches!(self.bound, super::Bound::Bounded(_)) {
            self.expand_buffer_slow(guard);
        }
    }

    fn expand_buffer_slow(&self, guard: &Guard) {
        let end = &self.list.buffer_end;
        loop {
            // Acquire: as in `start_send`; read before the claim.
            let start = end.segment.load(Ordering::Acquire, guard);
            // SeqCst: "claim B, then read S" (see `may_buffer`).
            let index = end.counter.fetch_add(1, Ordering::SeqCst);
            loom_sc_fence();
            if self.list.senders.counter.load(Ordering::SeqCst) & COUNT <= index {
                // The cell's sender has not claimed it yet; it will see room. Our pointer still
                // follows our claims, or a channel that never fills would never let a segment
                // be passed (every segment would stay allocated).
                self.list.follow(end, start, index, guard);
                return;
            }
            let found = self.list.locate(end, start, index, guard);
            // SAFETY: found while pinned.
            let segment = unsafe { found.deref() };
            if segment.start() > index {
                // Removed: every cell up to it was a withdrawn send, which frees no room.
                // Skip them; if another expansion moved B meanwhile, it covers its own cells.
                let _ = end.counter.compare_exchange(
                    index + 1,
                    segment.start(),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                );
                continue;
            }
            let cell = &segment.cells[(index - segment.start()) as usize];
            if self.expand_into(found, cell, index, guard) {
                return;
            }
        }
    }

    /// Gives the sender of `cell` its room. Returns false if the cell's send was withdrawn (the
    /// room goes to the next cell).
    #[cfg_attr(not(feature = "trace"), allow(unused_variables))]
    fn expand_into(
        &self,
        segment: Shared<'_, Segment<T>>,
        cell: &Cell<T>,
        index: u64,
        guard: &Guard,
    ) -> bool {
        let backoff = Backoff::new();
        loop {
            let word = cell.load();
            match State::<T>::decode(word) {
                State::Plain(EMPTY) => {
                    if cell.cas(EMPTY, IN_BUFFER).is_ok() {
                        return true;
                    }
                }
                State::Plain(SPIN_SEND) => {
                    if cell.cas(SPIN_SEND, BUFFERED).is_ok() {
                        trace_event!(self.tracer(), index, Released);
                        return true;
                    }
                }
                State::Plain(PARKING) => backoff.snooze(),
                State::Sender(waiter_ptr) => {
                    // SAFETY: kept alive by the cell's reference until released through the
                    // epoch, after we unpin.
                    let waiter = unsafe { &*waiter_ptr };
                    match waiter.decide(w::BUFFERED) {
                        Ok(()) => {
                            // SAFETY: we won the waiter: its value is ours, and the slot of a
                            // cell holding a parked sender is empty and touched by nobody until
                            // we publish `BUFFERED` (a receiver seeing our outcome waits for it).
                            unsafe { cell.write(waiter.take()) };
                            trace_event!(self.tracer(), index, Released);
                            waiter.wake();
                            self.finalize(segment, cell, word, BUFFERED, guard);
                            return true;
                        }
                        Err(w::CANCELLED) => {
                            self.finalize(segment, cell, word, CANCELLED_SEND, guard);
                            return false;
                        }
                        // A receiver took it directly.
                        Err(_) => return true,
                    }
                }
                State::Plain(CANCELLED_SEND) => return false,
                // Buffered, taken, poisoned, a receiver waiting or gone, closed: nothing to
                // release here.
                State::Plain(_) | State::Receiver(_) => return true,
            }
        }
    }

    // --------------------------------------------------------------------------------------
    // Shared steps.

    /// Moves `cell` from the waiter pointer `word` to the terminal `to`; if this thread's CAS
    /// did it, gives up the cell's reference to the waiter, counts a cancellation, and returns
    /// true.
    pub(super) fn finalize(
        &self,
        segment: Shared<'_, Segment<T>>,
        cell: &Cell<T>,
        word: usize,
        to: usize,
        guard: &Guard,
    ) -> bool {
        if cell.cas(word, to).is_err() {
            return false; // another thread finalized it
        }
        let waiter = match State::<T>::decode(word) {
            State::Receiver(waiter) | State::Sender(waiter) => waiter,
            State::Plain(_) => unreachable!("finalize is for cells holding a waiter"),
        };
        // SAFETY: our CAS finalized the cell, so its reference is ours to give up, once. The
        // waiter holds no value any more, or its party still holds its own reference.
        unsafe { Waiter::release_deferred(waiter, guard) };
        if to == CANCELLED_RECV || to == CANCELLED_SEND {
            self.list.cell_cancelled(segment, guard);
        }
        if to == CANCELLED_SEND {
            self.note_send_withdrawal();
        }
        true
    }

    /// Remembers that a send has withdrawn from its cell (see `List::send_withdrawals`).
    fn note_send_withdrawal(&self) {
        // Relaxed (both): a hint, not a synchronisation (see the field).
        if !self.list.send_withdrawals.load(Ordering::Relaxed) {
            self.list.send_withdrawals.store(true, Ordering::Relaxed);
        }
    }

    /// A parked party that withdrew cleans its cell, if its partner cannot reach it yet;
    /// otherwise the partner will (it finds the waiter cancelled).
    ///
    /// Why the segment is alive here: we pin, then read the partner's counter. If it has not
    /// reached our index, the partner's pointer has not passed our segment (segment.rs,
    /// invariant 3), so the segment is neither passed nor (with our cell unfinalized) removed,
    /// and it cannot be freed before we unpin. If the partner's counter has reached it, we do
    /// not touch the segment at all.
    fn clean_cancelled(&self, ticket: &Ticket<T>, side: Side) {
        let guard = &epoch::pin();
        let partner = match side {
            Side::Sender => &self.list.receivers,
            Side::Receiver => &self.list.senders,
        };
        // SeqCst: read after the pin's SeqCst fence, in the total order of the claims.
        if partner.counter.load(Ordering::SeqCst) & COUNT > ticket.index {
            return;
        }
        // SAFETY: the rule above: the segment is not freed while we are pinned.
        let segment = unsafe { &*ticket.segment };
        let cell = &segment.cells[(ticket.index - segment.start()) as usize];
        let raw = Arc::as_ptr(&ticket.waiter);
        let (word, to) = match side {
            Side::Sender => (State::sender(raw), CANCELLED_SEND),
            Side::Receiver => (State::receiver(raw), CANCELLED_RECV),
        };
        let segment = Shared::from(ticket.segment);
        if self.finalize(segment, cell, word, to, guard) {
            self.pass_withdrawn(side, segment, ticket.index, guard);
        }
    }

    /// After the `side` party of cell `index` withdrew from it, moves the partner's counter
    /// past it, and past withdrawn cells right behind it, if the partner's next claim would
    /// land there. Then `len` and `waiting_consumers` stop counting the withdrawn party as soon
    /// as nothing live is in front of it, and the partner does not visit the dead cell.
    ///
    /// Safe because every skipped cell is finalized as withdrawn (dead for the partner), and the
    /// CAS from exactly `index` fails if a partner claimed it meanwhile (that partner then finds
    /// the cell dead and claims again, as it would anyway).
    fn pass_withdrawn<'g>(
        &self,
        side: Side,
        mut segment: Shared<'g, Segment<T>>,
        mut index: u64,
        guard: &'g Guard,
    ) {
        if side == Side::Sender {
            self.note_send_withdrawal();
        }
        let (partner, dead) = match side {
            Side::Receiver => (&self.list.senders.counter, CANCELLED_RECV),
            Side::Sender => (&self.list.receivers.counter, CANCELLED_SEND),
        };
        loop {
            // SeqCst: in the total order of the claims on this counter.
            let word = partner.load(Ordering::SeqCst);
            if word & COUNT != index {
                return;
            }
            // SAFETY: the caller's segment is alive while it is pinned (it was found, or the
            // rule of `clean_cancelled` holds); later ones are found while pinned.
            let current = unsafe { segment.deref() };
            if index >= current.start() + SEG as u64 {
                segment = self.list.find(segment, current.id + 1, guard);
                // SAFETY: found while pinned.
                if unsafe { segment.deref() }.start() != index {
                    return; // a removed segment in between: claims skip it on their own
                }
                continue;
            }
            if current.cells[(index - current.start()) as usize].load() != dead {
                return;
            }
            // SeqCst: a claim like the fetch-and-adds (keeps the `GONE` bit).
            if partner
                .compare_exchange(word, word + 1, Ordering::SeqCst, Ordering::Relaxed)
                .is_err()
            {
                return;
            }
            index += 1;
        }
    }

    /// Raises a side's counter to `to` (keeping its `GONE` bit) if it is below: the cells in
    /// between are dead, and later claims need not visit them.
    fn skip_to(&self, counter: &crate::sync::AtomicU64, to: u64) {
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
                Ok(_) => return,
                Err(now) => word = now,
            }
        }
    }
}

/// Which party a ticket belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Sender,
    Receiver,
}
