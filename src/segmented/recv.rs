//! Receiving: claim a cell on `R`, and take the value buffered there, take it from the sender
//! waiting there, or wait in the cell for the sender that will claim it.
//!
//! The cell protocol is the table of `cell.rs`; the invariants and linearization points are in
//! the module docs of [`segmented`](super).

use super::cell::{Phase, State, Word};
use super::claim::{active_places, Claim, Claimed, Side, Start, Ticket, Waiting, COUNT, GONE};
use super::segment::{Segment, SEG};
use super::waiter::Outcome;
use super::SegmentedDualQueue;
use crate::patience::{Failure, Patience};
use crate::sync::{loom_sc_fence, Arc, Ordering, Timer};
use crate::trace::trace_event;
use crate::wait::WaitClock;
use crossbeam_epoch::{self as epoch, Guard, Shared};
use crossbeam_utils::Backoff;

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
pub(super) const LAGGING_SENDER_ROUNDS: u32 = if cfg!(loom) { 0 } else { 12 };

/// What a receive found in its cell.
pub(super) enum RecvStep<T> {
    Done(Result<T, Failure>),
    /// The cell is dead for this receive: claim another. `finished` says whether the cell
    /// counts as processed by a receiver (the buffer end moves on for it); if not, it was a
    /// withdrawn send.
    Retry {
        finished: bool,
    },
    Parked(Ticket<T>),
}

impl<T> SegmentedDualQueue<T> {
    /// Receives a value, waiting as `patience` allows.
    ///
    /// The common case ([`recv_fast`](Self::recv_fast)) runs here; everything else goes to
    /// [`recv_slow`](Self::recv_slow) with the claim already made (see
    /// [`send`](Self::send) for why).
    #[inline]
    pub(crate) fn recv(&self, patience: Patience) -> Result<T, Failure> {
        let guard = epoch::pin();
        if self.front.len() > 0 {
            if let Some(value) = self.recv_from_front(&guard) {
                return Ok(value);
            }
        }
        let mut claimed = None;
        if Self::claims_at_once(None, &patience) {
            match self.recv_fast(&guard) {
                Ok(value) => return Ok(value),
                Err(claim) => claimed = Some(claim),
            }
        }
        self.recv_slow(patience, claimed, guard)
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
        let segment = unsafe { Segment::checked(start) };
        if word & GONE == 0 && segment.id == index / SEG as u64 {
            let cell = &segment.cells[(index - segment.start()) as usize];
            if cell.load() == Phase::Buffered {
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
    pub(super) fn after_take(&self, segment: Shared<'_, Segment<T>>, index: u64, guard: &Guard) {
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
        if self.front.len() > 0 {
            if let Some(value) = self.recv_from_front(guard) {
                return Start::Done(Ok(value));
            }
        }
        let mut claimed = None;
        if Self::claims_at_once(None, patience) {
            match self.recv_fast(guard) {
                Ok(value) => return Start::Done(Ok(value)),
                Err(claim) => claimed = Some(claim),
            }
        }
        self.start_recv_from(patience, how, claimed, guard)
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
        let conditional = !Self::claims_at_once(None, patience);
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
                    // Nothing below `S` now, and the channel is closing: whether something
                    // will come is decided once `S` is final (close.rs).
                    Err(word) if word & GONE != 0 => {
                        return Start::Done(self.recv_after_close(patience, None, guard))
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
            if word & GONE != 0 {
                // A late receive: it claimed after the close began (close.rs).
                return Start::Done(self.recv_after_close(patience, Some((word, start)), guard));
            }
            let at = match self.cell_of(receivers, start, index, guard) {
                Ok(at) => at,
                Err(skipped) => {
                    // Our cell, and every cell our move skipped, were withdrawn sends: a
                    // removed segment holds nothing else at or above `R`.
                    self.count_withdrawn_sends_passed(1 + skipped);
                    continue;
                }
            };
            match self.recv_from_cell(at, patience, how) {
                RecvStep::Done(Ok(value)) => {
                    self.after_take(at.segment, index, guard);
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
                RecvStep::Retry { finished: true } => self.expand_buffer(guard),
                RecvStep::Retry { finished: false } => self.count_withdrawn_sends_passed(1),
            }
        }
    }

    /// Deals with the receive's claimed cell. The common case (a buffered value) is inline;
    /// everything else is in [`recv_from_cell_slow`](Self::recv_from_cell_slow).
    #[inline]
    pub(super) fn recv_from_cell(
        &self,
        at: Claimed<'_, T>,
        patience: &Patience,
        how: Waiting<'_>,
    ) -> RecvStep<T> {
        if at.cell.load() == Phase::Buffered {
            trace_event!(self.tracer(), at.index, Taken);
            return RecvStep::Done(Ok(Self::take_buffered(at.cell)));
        }
        self.recv_from_cell_slow(at, patience, how)
    }

    /// Takes the value of a `Buffered` cell that belongs to the caller's receive.
    ///
    /// The state stays `Buffered`: a cell below `R` has been taken, and whoever looks at cells
    /// later (sweeps, the destructor, pictures) knows it by its index. Not writing the state
    /// spares a store to a cache line the senders may be writing next to.
    #[inline]
    fn take_buffered(cell: &super::cell::Cell<T>) -> T {
        // SAFETY: a `Buffered` cell's value belongs to its receiver, the caller; the caller's
        // Acquire load of the state saw the sender's Release.
        unsafe { cell.read() }
    }

    #[cold]
    #[inline(never)]
    fn recv_from_cell_slow(
        &self,
        at: Claimed<'_, T>,
        patience: &Patience,
        how: Waiting<'_>,
    ) -> RecvStep<T> {
        let Claimed { cell, index, .. } = at;
        let backoff = Backoff::new();
        let mut lag_rounds = 0;
        let mut spun = false;
        loop {
            let word = cell.load();
            match word.decode::<T>() {
                State::Phase(Phase::Buffered) => {
                    trace_event!(self.tracer(), index, Taken);
                    return RecvStep::Done(Ok(Self::take_buffered(cell)));
                }
                State::Phase(Phase::SpinSend) => {
                    if cell.cas(Phase::SpinSend, Phase::Taken).is_ok() {
                        trace_event!(self.tracer(), index, Taken);
                        // SAFETY: our CAS took the value from the spinning sender, which no
                        // longer touches the slot.
                        return RecvStep::Done(Ok(unsafe { cell.read() }));
                    }
                }
                State::Phase(Phase::Parking) => backoff.snooze(),
                State::Phase(Phase::Empty | Phase::InBuffer) => {
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
                        if cell.cas(word, Phase::Poisoned).is_ok() {
                            trace_event!(self.tracer(), index, Poisoned);
                            return RecvStep::Retry { finished: true };
                        }
                        continue;
                    }
                    let Patience::Wait(timer) = patience else {
                        if self.withdraw_empty(at, word) {
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
                        if self.withdraw_empty(at, word) {
                            return RecvStep::Done(Err(Failure::TimedOut));
                        }
                        continue;
                    }
                    if index >= sent && self.front.len() > 0 {
                        // Values handed back by cancelled receives go to the receivers that
                        // wait, oldest first; this one may be among them (front.rs).
                        self.drain_front_into_waiters(at.guard);
                        continue;
                    }
                    let mut clock = WaitClock::new();
                    // The receivers near their turn (`active_places`) wait actively; the
                    // others yield if the policy's yield budget allows, or park at once.
                    let policy = &self.spin[Side::Receiver as usize];
                    // Near: few senders are due before ours (ours may have claimed already).
                    let first = index < sent + active_places();
                    let active = how.is_thread() && !spun && (first || policy.yields_behind());
                    if active {
                        spun = true;
                        trace_event!(self.tracer(), index, Spinning);
                        let decided = if first {
                            policy.wait_actively(&mut clock, timer, || cell.load() == word)
                        } else {
                            policy.yield_behind(timer, || cell.load() == word)
                        };
                        if decided || timer.expired() {
                            continue;
                        }
                    }
                    let waiter = how.waiter();
                    let raw = Arc::into_raw(Arc::clone(&waiter));
                    // The Release half of the CAS publishes the waiter.
                    match cell.cas(word, Word::receiver(raw)) {
                        Ok(()) => {
                            trace_event!(self.tracer(), index, Parked);
                            return RecvStep::Parked(at.ticket(waiter, clock));
                        }
                        // SAFETY: the CAS failed: the cell never held this reference.
                        Err(_) => drop(unsafe { Arc::from_raw(raw) }),
                    }
                }
                State::Sender(waiter_ptr) => {
                    // SAFETY: the cell's reference keeps the waiter alive until it is released
                    // through the epoch, after we unpin.
                    let waiter = unsafe { &*waiter_ptr };
                    match waiter.decide(Outcome::Taken) {
                        Ok(()) => {
                            trace_event!(self.tracer(), index, Taken);
                            // SAFETY: we won the sender's waiter: its value is ours.
                            let value = unsafe { waiter.take() };
                            waiter.wake();
                            self.finalize(at, word, Phase::Taken);
                            return RecvStep::Done(Ok(value));
                        }
                        // The buffer end is moving the value into the cell: it will publish
                        // `Buffered`.
                        Err(Outcome::Buffered) => backoff.snooze(),
                        Err(_) => {
                            self.finalize(at, word, Phase::CancelledSend);
                            return RecvStep::Retry { finished: false };
                        }
                    }
                }
                State::Phase(Phase::CancelledSend) => return RecvStep::Retry { finished: false },
                State::Phase(Phase::Closed) => return RecvStep::Done(Err(Failure::Disconnected)),
                other => unreachable!("a receiver found its own cell {}", other.name()),
            }
        }
    }

    /// A receive gives up its `Empty`/`InBuffer` cell (`word`) before any waiter was in it:
    /// `try_recv` found nothing, or a timed receive expired before parking. Returns whether
    /// its CAS withdrew it (else the cell changed: look again).
    fn withdraw_empty(&self, at: Claimed<'_, T>, word: Word) -> bool {
        if at.cell.cas(word, Phase::CancelledRecv).is_err() {
            return false;
        }
        trace_event!(self.tracer(), at.index, Cancelled);
        self.list.cell_cancelled(at.segment, at.guard);
        self.pass_withdrawn(Side::Receiver, at.segment, at.index, at.guard);
        true
    }

    /// The unpinned part of a parked receive: wait for the waiter's outcome.
    pub(crate) fn finish_recv(&self, ticket: Ticket<T>, timer: &mut Timer) -> Result<T, Failure> {
        let outcome = ticket
            .waiter
            .wait(timer, || !self.recv_partner_due(ticket.index));
        self.spin[Side::Receiver as usize].parked(&ticket.clock, Some(ticket.waiter.woken()));
        self.recv_outcome(ticket, outcome)
    }

    /// Whether the sender of cell `index` has claimed it: the receive waiting there gets that
    /// sender's value within a few steps, and may not time out any more (the mirror image of
    /// [`send_partner_due`](Self::send_partner_due): a receive that left now would leave a
    /// sender that has taken effect behind later sends already received).
    pub(super) fn recv_partner_due(&self, index: u64) -> bool {
        // SeqCst: "claim R, then read S" (see `may_buffer`).
        index < self.list.senders.counter.load(Ordering::SeqCst) & COUNT
    }

    /// What a parked receive's decided waiter means for its caller.
    pub(crate) fn recv_outcome(&self, ticket: Ticket<T>, outcome: Outcome) -> Result<T, Failure> {
        self.trace_outcome(&ticket, outcome);
        match outcome {
            // SAFETY: a delivered value is the receiver's, written before the Release CAS
            // that our Acquire load of the state saw.
            Outcome::Delivered => Ok(unsafe { ticket.waiter.take() }),
            Outcome::Cancelled => {
                self.clean_cancelled(&ticket, Side::Receiver);
                Err(Failure::TimedOut)
            }
            Outcome::Closed => Err(Failure::Disconnected),
            other => unreachable!("a parked receiver ended in waiter state {other:?}"),
        }
    }
}
