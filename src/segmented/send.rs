//! Sending: claim a cell on `S`, and leave the value there (buffered), hand it to the receiver
//! waiting there, or wait in the cell for a receiver (rendezvous) or for room (bounded).
//!
//! The cell protocol is the table of `cell.rs`; the invariants and linearization points are in
//! the module docs of [`segmented`](super).

use super::cell::{Phase, State};
use super::claim::{
    active_places, Claim, Claimed, SendKind, Side, Start, Ticket, Waiting, COUNT, GONE,
};
use super::segment::{Segment, SEG};
use super::waiter::Outcome;
use super::{Bound, SegmentedDualQueue};
use crate::patience::{Failure, Patience};
use crate::sync::{loom_sc_fence, Arc, Ordering, Timer};
use crate::trace::trace_event;
use crate::wait::WaitClock;
use crossbeam_epoch::{self as epoch, Guard};

/// What a send found in its cell.
pub(super) enum SendStep<T> {
    Done(Result<(), (T, Failure)>),
    /// The cell is dead for this send (a receiver gave up on it): claim another.
    Retry(T),
    Parked(Ticket<T>),
}

impl<T> SegmentedDualQueue<T> {
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
        let mut claimed = None;
        let mut value = value;
        if Self::claims_at_once(Some(kind), &patience) {
            match self.send_fast(value, kind, &guard) {
                Ok(()) => return Ok(()),
                Err((back, claim)) => (value, claimed) = (back, Some(claim)),
            }
        }
        self.send_slow(value, kind, patience, claimed, guard)
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
        let segment = unsafe { Segment::checked(start) };
        if word & GONE == 0 && segment.id == index / SEG as u64 && self.may_buffer(index, kind) {
            let cell = &segment.cells[(index - segment.start()) as usize];
            // SAFETY: as in `send_to_cell`: the slot of a claimed, unpublished cell is ours.
            return match unsafe { cell.offer(value, Phase::Empty, Phase::Buffered) } {
                Ok(()) => {
                    trace_event!(self.tracer(), index, Buffered);
                    Ok(())
                }
                Err((value, _)) => Err((value, (word, start.as_raw()))),
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
        let mut claimed = None;
        let mut value = value;
        if Self::claims_at_once(Some(kind), patience) {
            match self.send_fast(value, kind, guard) {
                Ok(()) => return Start::Done(Ok(())),
                Err((back, claim)) => (value, claimed) = (back, Some(claim)),
            }
        }
        self.start_send_from(value, kind, patience, how, claimed, guard)
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
        let conditional = !Self::claims_at_once(Some(kind), patience);
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
            let Ok(at) = self.cell_of(senders, start, index, guard) else {
                continue;
            };
            match self.send_to_cell(at, value, kind, patience, how) {
                SendStep::Done(result) => return Start::Done(result),
                SendStep::Parked(ticket) => return Start::Waiting(ticket),
                SendStep::Retry(back) => {
                    value = back;
                    // SAFETY: found while pinned (segment.rs, invariant 4).
                    let segment = unsafe { Segment::checked(at.segment) };
                    if segment.is_dead() {
                        // Nothing here can be used any more: later sends need not try it.
                        self.skip_to(&senders.counter, segment.start() + SEG as u64);
                    }
                }
            }
        }
    }

    /// The capacity of a bounded queue (0 for the others).
    #[inline]
    fn capacity(&self) -> u64 {
        match self.bound {
            Bound::Bounded(cap) => cap,
            Bound::Unbounded | Bound::Rendezvous => 0,
        }
    }

    /// Whether a send in cell `index` may leave its value and return at once.
    #[inline]
    pub(super) fn may_buffer(&self, index: u64, kind: SendKind) -> bool {
        // SeqCst (both loads): the second half of "claim S, then read R / B", against a
        // receiver's "claim R, then read S" and the buffer end's "claim B, then read S". In
        // one total order, at least one side sees the other (module docs).
        loom_sc_fence();
        // Once a close has begun, only the receivers in line before it count (close.rs).
        let receivers = || self.receivers_in_line();
        match kind {
            SendKind::Push => true,
            // A receiver that has claimed the cell will take the value: it is committed.
            SendKind::Transfer => index < receivers(),
            SendKind::Room => {
                index < self.list.buffer_end.counter.load(Ordering::SeqCst)
                    || index < receivers().saturating_add(self.capacity())
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
    ///
    /// On a bounded channel the same holds once there is room for the cell (`may_buffer`), even
    /// before the buffer end has reached it: a receive has claimed its cell and will move the
    /// buffer end within a few steps (a send that timed out then would report a full channel
    /// that had room).
    pub(super) fn send_partner_due(&self, index: u64, kind: SendKind) -> bool {
        // Read after the send's claim and before its cancel CAS, in the total order of the
        // claims (see `may_buffer`). A push never waits, so it is never due. Once a close has
        // begun, the close settles the send (close.rs): it no longer times out.
        kind != SendKind::Push
            && (self.list.receivers.counter.load(Ordering::SeqCst) & GONE != 0
                || self.may_buffer(index, kind))
    }

    /// Whether a send that must wait in cell `index` is within [`active_places`] of its turn:
    /// the next cell a receiver (or the buffer end) will serve, or one of the few after it
    /// (worth waiting for actively).
    fn sender_near_turn(&self, index: u64, kind: SendKind) -> bool {
        // Relaxed (both): a heuristic; a stale answer only costs a spin, a yield or a park.
        let receivers = self.list.receivers.counter.load(Ordering::Relaxed) & COUNT;
        let turn = match kind {
            SendKind::Push | SendKind::Transfer => receivers,
            SendKind::Room => self
                .list
                .buffer_end
                .counter
                .load(Ordering::Relaxed)
                .max(receivers.saturating_add(self.capacity())),
        };
        index < turn.saturating_add(active_places())
    }

    /// Deals with the send's claimed cell. The common case (an empty cell and room) is inline;
    /// everything else is in [`send_to_cell_slow`](Self::send_to_cell_slow).
    #[inline]
    pub(super) fn send_to_cell(
        &self,
        at: Claimed<'_, T>,
        mut value: T,
        kind: SendKind,
        patience: &Patience,
        how: Waiting<'_>,
    ) -> SendStep<T> {
        // No look at the state first: the CAS tells, and going straight to the write fetches
        // the cache line once, for writing.
        if self.may_buffer(at.index, kind) {
            // SAFETY: we claimed the cell and have not published a value in it, so the slot is
            // empty and ours: no state a sender can meet before its own CAS (empty, in buffer,
            // a parked receiver, poisoned, withdrawn, closed) lets anyone else touch the slot
            // (cell.rs, "Who may touch the value slot").
            match unsafe { at.cell.offer(value, Phase::Empty, Phase::Buffered) } {
                Ok(()) => {
                    trace_event!(self.tracer(), at.index, Buffered);
                    return SendStep::Done(Ok(()));
                }
                Err((back, _)) => value = back,
            }
        }
        self.send_to_cell_slow(at, value, kind, patience, how)
    }

    #[cold]
    #[inline(never)]
    fn send_to_cell_slow(
        &self,
        at: Claimed<'_, T>,
        mut value: T,
        kind: SendKind,
        patience: &Patience,
        how: Waiting<'_>,
    ) -> SendStep<T> {
        let Claimed { cell, index, .. } = at;
        loop {
            let word = cell.load();
            match word.decode::<T>() {
                State::Phase(Phase::Empty) if self.may_buffer(index, kind) => {
                    // SAFETY: we claimed the cell and have not published it: the slot is ours
                    // and empty (cell.rs, "Who may touch the value slot").
                    match unsafe { cell.offer(value, Phase::Empty, Phase::Buffered) } {
                        Ok(()) => {
                            trace_event!(self.tracer(), index, Buffered);
                            return SendStep::Done(Ok(()));
                        }
                        Err((back, _)) => value = back,
                    }
                }
                State::Phase(Phase::Empty) => match patience {
                    Patience::Wait(timer) => match self.wait_in_cell(at, value, kind, timer, how) {
                        Ok(step) => return step,
                        Err(back) => value = back,
                    },
                    // No room and nobody waiting: give up, and leave the cell dead.
                    Patience::Now | Patience::Async => {
                        if cell.cas(Phase::Empty, Phase::CancelledSend).is_ok() {
                            trace_event!(self.tracer(), index, Cancelled);
                            self.count_send_withdrawal();
                            self.list.cell_cancelled(at.segment, at.guard);
                            self.pass_withdrawn(Side::Sender, at.segment, index, at.guard);
                            return SendStep::Done(Err((value, Failure::NoPartner)));
                        }
                    }
                },
                State::Phase(Phase::InBuffer) => {
                    // SAFETY: as for `Empty`: the buffer end only marked the cell; the slot is
                    // still ours until our CAS publishes it.
                    match unsafe { cell.offer(value, Phase::InBuffer, Phase::Buffered) } {
                        Ok(()) => {
                            trace_event!(self.tracer(), index, Buffered);
                            return SendStep::Done(Ok(()));
                        }
                        Err((back, _)) => value = back,
                    }
                }
                State::Receiver(waiter_ptr) => {
                    // SAFETY: the cell's reference keeps the waiter alive until whoever
                    // finalizes the cell releases it through the epoch, after we unpin.
                    let waiter = unsafe { &*waiter_ptr };
                    // SAFETY: we are the cell's sender, the only thread that delivers to its
                    // receiver, and its slot is empty.
                    unsafe { waiter.put(value) };
                    match waiter.decide(Outcome::Delivered) {
                        Ok(()) => {
                            trace_event!(self.tracer(), index, Delivered);
                            waiter.wake();
                            self.finalize(at, word, Phase::Taken);
                            return SendStep::Done(Ok(()));
                        }
                        Err(_) => {
                            // The receiver withdrew (or was closed) first.
                            // SAFETY: our delivery CAS failed, so the value we wrote is ours.
                            value = unsafe { waiter.take() };
                            self.finalize(at, word, Phase::CancelledRecv);
                            return SendStep::Retry(value);
                        }
                    }
                }
                State::Phase(Phase::Poisoned | Phase::CancelledRecv) => {
                    return SendStep::Retry(value)
                }
                State::Phase(Phase::Closed) => {
                    return SendStep::Done(Err((value, Failure::Disconnected)));
                }
                other => unreachable!("a sender found its own cell {}", other.name()),
            }
        }
    }

    /// A send that must wait in its `Empty` cell: spin with the value in the cell, then park
    /// with it in a waiter. `Err` gives the value back if the cell changed first (re-dispatch).
    #[inline(never)]
    fn wait_in_cell(
        &self,
        at: Claimed<'_, T>,
        value: T,
        kind: SendKind,
        timer: &Timer,
        how: Waiting<'_>,
    ) -> Result<SendStep<T>, T> {
        let Claimed { cell, index, .. } = at;
        let mut clock = WaitClock::new();
        let policy = &self.spin[Side::Sender as usize];
        // The senders near their turn wait actively (on one CPU the policy yields instead of
        // spinning); the others yield if the policy's yield budget allows, or park at once.
        let first = self.sender_near_turn(index, kind);
        let active = how.is_thread() && (first || policy.yields_behind());
        if !active {
            // Park at once, the value in the waiter.
            let waiter = how.waiter();
            // SAFETY: a new waiter nobody else has seen.
            unsafe { waiter.put(value) };
            let raw = Arc::into_raw(Arc::clone(&waiter));
            // The Release half of the CAS publishes the waiter and its value.
            return match cell.cas(Phase::Empty, super::cell::Word::sender(raw)) {
                Ok(()) => {
                    trace_event!(self.tracer(), index, Parked);
                    Ok(SendStep::Parked(at.ticket(waiter, clock)))
                }
                Err(_) => {
                    // SAFETY: the CAS failed: the cell never held this reference.
                    drop(unsafe { Arc::from_raw(raw) });
                    // SAFETY: never published: the value is ours.
                    Err(unsafe { waiter.take() })
                }
            };
        }
        // SAFETY: the slot is ours until the CAS publishes it.
        if let Err((value, _)) = unsafe { cell.offer(value, Phase::Empty, Phase::SpinSend) } {
            return Err(value);
        }
        trace_event!(self.tracer(), index, Spinning);
        if first {
            policy.wait_actively(&mut clock, timer, || cell.load() == Phase::SpinSend);
        } else {
            policy.yield_behind(timer, || cell.load() == Phase::SpinSend);
        }
        loop {
            let word = cell.load();
            match word.decode::<T>() {
                State::Phase(Phase::Taken | Phase::Buffered) => return Ok(SendStep::Done(Ok(()))),
                State::Phase(Phase::Closed) => {
                    // SAFETY: the sweep that closed a `SpinSend` cell leaves the value to us;
                    // our cell went to `Closed` from `SpinSend` itself, since a sweep takes a
                    // `Buffered` value as `Taken` (close.rs).
                    let value = unsafe { cell.read() };
                    return Ok(SendStep::Done(Err((value, Failure::Disconnected))));
                }
                State::Phase(Phase::SpinSend)
                    if timer.expired() && !self.send_partner_due(index, kind) =>
                {
                    if cell.cas(Phase::SpinSend, Phase::CancelledSend).is_ok() {
                        trace_event!(self.tracer(), index, Cancelled);
                        self.count_send_withdrawal();
                        // SAFETY: our CAS took the value back before anyone else moved it.
                        let value = unsafe { cell.read() };
                        self.list.cell_cancelled(at.segment, at.guard);
                        self.pass_withdrawn(Side::Sender, at.segment, index, at.guard);
                        return Ok(SendStep::Done(Err((value, Failure::TimedOut))));
                    }
                }
                State::Phase(Phase::SpinSend) => {
                    // The budget is spent: park, the value moved into a waiter.
                    let waiter = how.waiter();
                    if cell.cas(Phase::SpinSend, Phase::Parking).is_ok() {
                        // SAFETY: `Parking` is ours: nobody else touches the slot until we
                        // store the waiter; the waiter is not published yet.
                        unsafe { waiter.put(cell.read()) };
                        let raw = Arc::into_raw(Arc::clone(&waiter));
                        cell.store(super::cell::Word::sender(raw));
                        trace_event!(self.tracer(), index, Parked);
                        return Ok(SendStep::Parked(at.ticket(waiter, clock)));
                    }
                }
                other => unreachable!("a spinning sender found its cell {}", other.name()),
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
        self.spin[Side::Sender as usize].parked(&ticket.clock, Some(ticket.waiter.woken()));
        self.send_outcome(ticket, outcome)
    }

    /// What a parked send's decided waiter means for its caller.
    pub(crate) fn send_outcome(
        &self,
        ticket: Ticket<T>,
        outcome: Outcome,
    ) -> Result<(), (T, Failure)> {
        self.trace_outcome(&ticket, outcome);
        match outcome {
            Outcome::Taken | Outcome::Buffered => Ok(()),
            Outcome::Cancelled => {
                self.count_send_withdrawal();
                // SAFETY: our own CAS withdrew the value: it is ours again.
                let value = unsafe { ticket.waiter.take() };
                self.clean_cancelled(&ticket, Side::Sender);
                Err((value, Failure::TimedOut))
            }
            Outcome::Closed => {
                // SAFETY: the sweep's CAS closed the waiter and leaves the value to us.
                let value = unsafe { ticket.waiter.take() };
                Err((value, Failure::Disconnected))
            }
            other => unreachable!("a parked sender ended in waiter state {other:?}"),
        }
    }
}
