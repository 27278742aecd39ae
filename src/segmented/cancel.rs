//! Withdrawn waits: a parked party whose deadline passed or whose future was dropped, the
//! cleaning of its cell, and the counters moved past withdrawn cells.
//!
//! A parked party withdraws with one CAS on its waiter (`Waiting -> Cancelled`), the CAS its
//! partner uses to complete it, so exactly one of them wins. The cell still holds the waiter
//! pointer afterwards; it is *finalized* (moved to `CancelledRecv`/`CancelledSend`, the cell's
//! reference to the waiter released, the segment's cancellation counted) exactly once, by
//! whichever thread's CAS on the cell wins: the owner here, or a party that reaches the cell.

use super::cell::{Phase, Word};
use super::claim::{Claimed, SendKind, Side, Ticket, COUNT, GONE};
use super::segment::{Segment, SEG};
use super::waiter::Outcome;
use super::{Bound, SegmentedDualQueue};
use crate::sync::{Arc, Ordering, Timer};
use crossbeam_epoch::{self as epoch, Guard, Shared};
use std::task::Waker;

impl<T> SegmentedDualQueue<T> {
    /// Polls a parked operation's waiter: its final state, or `None` once `waker` is
    /// registered to be woken when it is decided.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub(crate) fn poll_ticket(ticket: &Ticket<T>, waker: &Waker) -> Option<Outcome> {
        ticket.waiter.poll(waker)
    }

    /// A parked send whose future was dropped: withdraws the value (dropped here) unless a
    /// receiver or the buffer end already has it, in which case the send simply happened.
    ///
    /// Like a timed-out `send`, it does not withdraw once a receiver (or the buffer end) has
    /// claimed its cell: that partner completes it within a few steps, and receivers behind it
    /// may already have been served (withdrawing then would let a later sender's value go
    /// first). It waits those steps.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub(crate) fn abandon_send(&self, ticket: Ticket<T>, kind: SendKind) {
        let outcome = Self::abandon(&ticket, || self.send_partner_due(ticket.index, kind));
        // A withdrawn or closed send gives its value back; it goes with the future.
        drop(self.send_outcome(ticket, outcome));
    }

    /// A parked receive whose future was dropped: withdraws from its place in line. A value
    /// that was already handed to it goes back to the front (`front.rs`), where the next
    /// receive finds it. As in [`abandon_send`](Self::abandon_send), it does not withdraw once
    /// its sender has claimed its cell: it waits for that value and hands it back.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub(crate) fn abandon_recv(&self, ticket: Ticket<T>) {
        let outcome = Self::abandon(&ticket, || self.recv_partner_due(ticket.index));
        let index = ticket.index;
        if let Ok(value) = self.recv_outcome(ticket, outcome) {
            self.hand_back(index, value, &epoch::pin());
        }
    }

    /// Decides a parked party's waiter as withdrawn, unless its partner is due (`partner_due`),
    /// in which case it waits for the partner's decision, as a timed-out wait does. Returns the
    /// waiter's final state.
    fn abandon(ticket: &Ticket<T>, partner_due: impl Fn() -> bool) -> Outcome {
        // A deadline that has passed: `wait` withdraws at once unless the partner is due.
        let mut now = Timer::until(Some(std::time::Instant::now()));
        ticket.waiter.wait(&mut now, || !partner_due())
    }

    /// A parked party that withdrew cleans its cell, if no other party can have reached it;
    /// otherwise the party that reaches it finalizes it (it finds the waiter cancelled).
    ///
    /// Why the segment is alive when we touch it. After our cancel CAS, the cell still holds
    /// our waiter, and four other parties may finalize it, each only after moving a counter
    /// past our index or setting a `GONE` bit: the partner (its counter), the buffer end of a
    /// bounded channel, for a sender's cell (`B`), and the two disconnection sweeps
    /// (`close.rs`: `GONE` in `R` before sweeping receivers' cells, in `S` before sweeping
    /// senders' cells). Once one of them has finalized our cell, the segment may be removed
    /// (all its cells withdrawn) and freed, so we may not read it at all.
    ///
    /// So we pin, then read those counters. If none has reached our index (and no `GONE` bit
    /// is set on the counter a sweep of our side sets), nobody else has finalized our cell,
    /// so the segment is not removed; the partner's pointer has not passed it (segment.rs,
    /// invariant 3), so it is not passed either; whatever happens from now on retires it
    /// through the epoch after our pin. If any of them has reached it, we leave the cell to
    /// that party and never look at the segment.
    pub(super) fn clean_cancelled(&self, ticket: &Ticket<T>, side: Side) {
        let guard = &epoch::pin();
        if self.cell_may_be_reached(ticket.index, side) {
            return;
        }
        let segment = Shared::from(ticket.segment);
        let at = Claimed::at(segment, ticket.index, guard);
        let raw = Arc::as_ptr(&ticket.waiter);
        let (word, to) = match side {
            Side::Sender => (Word::sender(raw), Phase::CancelledSend),
            Side::Receiver => (Word::receiver(raw), Phase::CancelledRecv),
        };
        if self.finalize(at, word, to) {
            self.pass_withdrawn(side, segment, ticket.index, guard);
        }
    }

    /// Whether a party other than the owner may have reached the `side` party's cell `index`
    /// (and so may finalize it): the partner's counter, the buffer end (senders of a bounded
    /// queue), or a disconnection sweep of the owner's side (see
    /// [`clean_cancelled`](Self::clean_cancelled)). Read while pinned.
    fn cell_may_be_reached(&self, index: u64, side: Side) -> bool {
        // SeqCst (all): read after the pin's SeqCst fence, in the total order of the claims
        // and of the `fetch_or`s that set `GONE`.
        let senders = self.list.senders.counter.load(Ordering::SeqCst);
        let receivers = self.list.receivers.counter.load(Ordering::SeqCst);
        match side {
            // `close_receivers` sets `GONE` in `S`, then sweeps senders' cells.
            Side::Sender => {
                receivers & COUNT > index
                    || senders & GONE != 0
                    || matches!(self.bound, Bound::Bounded(_))
                        && self.list.buffer_end.counter.load(Ordering::SeqCst) > index
            }
            // `close_senders` sets `GONE` in `R`, then sweeps receivers' cells.
            Side::Receiver => senders & COUNT > index || receivers & GONE != 0,
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
    pub(super) fn pass_withdrawn<'g>(
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
            Side::Receiver => (&self.list.senders.counter, Phase::CancelledRecv),
            Side::Sender => (&self.list.receivers.counter, Phase::CancelledSend),
        };
        loop {
            // SeqCst: in the total order of the claims on this counter.
            let word = partner.load(Ordering::SeqCst);
            if word & COUNT != index {
                return;
            }
            // SAFETY: the caller's segment is alive while it is pinned (it was found, or the
            // rule of `clean_cancelled` holds); later ones are found while pinned.
            let current = unsafe { Segment::checked(segment) };
            if index >= current.start() + SEG as u64 {
                segment = self.list.find(segment, current.id + 1, guard);
                // SAFETY: found while pinned.
                if unsafe { Segment::checked(segment) }.start() != index {
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
            if side == Side::Sender {
                self.count_withdrawn_sends_passed(1);
            }
            index += 1;
        }
    }
}
