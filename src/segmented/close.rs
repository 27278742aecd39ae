//! Closing, for the channels built on the segmented queue, and dropping what is left.
//!
//! # The bits
//!
//! Each of the two counters has a `GONE` bit (bit 63), set once with a `fetch_or` and never
//! cleared:
//!
//! * `GONE` in `S`: **no send can succeed any more.** Every later claim of a sender returns it
//!   with its index and stops before touching a cell. Set by [`close`](SegmentedDualQueue::close)
//!   (a `close()` call, or the last sender's drop) and by the last receiver's drop. Its
//!   `fetch_or` is the **linearization point** of whichever of them comes first, which is
//!   therefore the one that closed the channel (`close` returns whether it was).
//! * `GONE` in `R`: **the line of receivers is closed.** Set by `close` just before `S`'s bit;
//!   the `R` it found is kept in `closed_from`. A receiver whose claim returns the bit is *late*:
//!   it claimed after the close began, and it takes effect after the close.
//!
//! # Closing
//!
//! After `close`, receivers drain the values sent before it, then see the disconnection;
//! senders waiting at that moment (for a receiver on a rendezvous channel, for room on a bounded
//! one) get their values back, except those the receivers already in line make room for. In
//! order:
//!
//! 1. `R`'s bit: `from = R` (`closed_from`). The receivers that claimed below `from` (*early*)
//!    were in line before the close and run the ordinary protocol (`recv.rs`) to its end,
//!    taking the value of their cell, from a waiting sender too, and moving the buffer end on.
//! 2. `S`'s bit (the linearization point): `sent = S` is final.
//! 3. The senders' cells `from..sent`, which no early receiver claimed, are settled by the
//!    close, in order. Unbounded: nothing (no send waits; one still writing its value was
//!    claimed before the close and completes). Rendezvous: every waiting or still-writing
//!    sender is refused (`Closed`: its value comes back). Bounded(`cap`): the room the early
//!    receivers free goes, as always, to the first `cap` live cells from `from` on (`B` ends
//!    there: each early receive moves it one live cell on); the close releases those senders as
//!    the buffer end would (`expand_into`), and refuses the rest.
//! 4. The receivers' cells `sent..R`: early receivers waiting there are woken with
//!    `Disconnected`, empty cells closed.
//!
//! A late receiver first waits for step 2 (a few instructions of the closer), so that it takes
//! effect after it; then, at or past `sent`, it fails at once; below it, it takes the value of
//! its cell once step 3 (or the sender still writing) has settled the cell, or moves on past a
//! refused one. It never takes a value from a waiting sender, and never moves the buffer end:
//! after the close, room goes to nobody. A sender that reads `R`'s bit counts only the early
//! receivers (`closed_from`) when it decides whether its value may stay, and no longer times
//! out: step 3 settles it.
//!
//! So the state the close sees is exactly a sequential channel's at that instant: the early
//! receivers' values and the room they free are theirs, the values in `from..` up to the room
//! stay to be drained, every other waiting sender is refused, every waiting receiver with
//! nothing left is refused, and no send comes after.
//!
//! # The last handle of a side
//!
//! * **last sender gone**: [`close`](SegmentedDualQueue::close), with no sender to settle.
//! * **last receiver gone** ([`close_receivers`](SegmentedDualQueue::close_receivers)): only
//!   `S`'s bit; cells `R..S` belong to senders that no receiver will serve. Buffered values are
//!   taken and dropped now (every value whose send returned `Ok` is dropped by the time the
//!   receiver's drop returns: nothing is stranded; `Taken`, so a released sender still
//!   spinning on its cell sees its send succeed); every other sender is refused. Values
//!   handed back to the front by cancelled receives (`front.rs`) are dropped too.
//!
//! A `T::drop` that panics does not stop a sweep or the destructor: the rest are still dropped,
//! and the first panic is resumed at the end (as `Vec` does).

use super::cell::{Phase, State};
use super::claim::{Claimed, COUNT, GONE};
use super::front::Handed;
use super::recv::LAGGING_SENDER_ROUNDS;
use super::segment::{Segment, SEG};
use super::waiter::{Outcome, Waiter};
use super::{Bound, SegmentedDualQueue, NOT_CLOSED};
use crate::patience::{Failure, Patience};
use crate::sync::{Arc, Ordering};
use crate::trace::trace_event;
use crossbeam_epoch::{self as epoch, Guard, Shared};
use crossbeam_utils::Backoff;
use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

/// The first panic of a run of drops, kept to be resumed once every value is dropped.
#[derive(Default)]
pub(crate) struct Panics(Option<Box<dyn Any + Send + 'static>>);

impl Panics {
    /// Drops `value`, catching a panic of its `drop`.
    pub(crate) fn drop_value<T>(&mut self, value: T) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
            self.0.get_or_insert(payload);
        }
    }

    /// Resumes the first panic caught, if any.
    pub(crate) fn resume(self) {
        if let Some(payload) = self.0 {
            resume_unwind(payload);
        }
    }
}

impl<T> SegmentedDualQueue<T> {
    /// Whether the channel is closed: no send can succeed any more (module docs). O(1).
    pub(crate) fn is_closed(&self) -> bool {
        // SeqCst: in the total order of the claims and of the `fetch_or` that sets the bit.
        self.list.senders.counter.load(Ordering::SeqCst) & GONE != 0
    }

    /// Closes the channel (module docs, "Closing"): no send succeeds after this; receivers
    /// drain what was sent, then fail; waiting senders that get no room are refused, waiting
    /// receivers with nothing left are woken. Returns whether this call closed the channel
    /// (false if it was closed already, or a side was gone). Also the last sender's drop.
    pub(crate) fn close(&self) -> bool {
        let guard = &epoch::pin();
        // Read before the bit, the receivers' pointer is at or before the segment of cell
        // `from` (segment.rs, invariant 3), and our pin keeps it: step 3 walks from it. (Late
        // receivers may move the pointer past cells that wait to be settled.)
        let receivers_segment = self.list.receivers.segment.load(Ordering::Acquire, guard);
        // SeqCst: in the total order of the claims. The first closer publishes where the line
        // of receivers stood (Release, for the readers that wait for it in `closed_from`), and
        // settles the senders after it; a later one finds them settled, or being settled.
        let line = self.list.receivers.counter.fetch_or(GONE, Ordering::SeqCst);
        let first_of_the_line = line & GONE == 0;
        if first_of_the_line {
            self.closed_from.store(line & COUNT, Ordering::Release);
        }
        let word = self.stop_senders();
        let sent = self.final_sent();
        if first_of_the_line {
            self.settle_senders(receivers_segment, line & COUNT, sent, guard);
        }
        // SeqCst: in the total order of the claims; receivers that claim later see the bit.
        let claimed = self.list.receivers.counter.load(Ordering::SeqCst) & COUNT;
        // Acquire: pairs with the pointer CAS in `List::move_forward`. `S` is final, so the
        // senders' pointer is at or before cell `sent`'s segment for good.
        let senders_segment = self.list.senders.segment.load(Ordering::Acquire, guard);
        self.close_waiting_receivers(senders_segment, sent, claimed, self.closed_from(), guard);
        word & GONE == 0
    }

    /// Sets `S`'s bit (module docs) and returns the word it found; whoever sets it first
    /// publishes the final `S` in `sent_at_close`.
    fn stop_senders(&self) -> u64 {
        // SeqCst: the linearization point of the first to set it; every later claim of a sender
        // sees the bit (and still moves `S` on, which is why the final `S` is kept apart).
        let word = self.list.senders.counter.fetch_or(GONE, Ordering::SeqCst);
        if word & GONE == 0 {
            // Release: pairs with the Acquire load in `final_sent`.
            self.sent_at_close.store(word & COUNT, Ordering::Release);
        }
        word
    }

    /// Where the line of receivers stood when the close began (module docs): valid once `R`'s
    /// `GONE` bit is set. Waits the few steps until the closer has published it.
    pub(super) fn closed_from(&self) -> u64 {
        // Acquire: pairs with the closer's Release store.
        Self::published(&self.closed_from)
    }

    /// The value a closer stores in `slot` right after setting a bit, waiting for it the few
    /// steps in between.
    fn published(slot: &crate::sync::AtomicU64) -> u64 {
        let backoff = Backoff::new();
        loop {
            // Acquire: pairs with the closer's Release store.
            let value = slot.load(Ordering::Acquire);
            if value != NOT_CLOSED {
                return value;
            }
            backoff.snooze();
        }
    }

    /// How many receivers are in line for a sender deciding whether its value may stay: `R`,
    /// or, once the close began, only the receivers that claimed before it.
    #[inline]
    pub(super) fn receivers_in_line(&self) -> u64 {
        // SeqCst: as the callers' other loads ("claim S, then read R").
        let word = self.list.receivers.counter.load(Ordering::SeqCst);
        if word & GONE == 0 {
            word & COUNT
        } else {
            self.closed_from()
        }
    }

    /// Step 3 of the close: the senders of cells `from..sent`, which no early receiver claimed.
    fn settle_senders<'g>(
        &self,
        start: Shared<'g, Segment<T>>,
        from: u64,
        sent: u64,
        guard: &'g Guard,
    ) {
        let mut room = match self.bound {
            // No send waits, and one still writing its value completes.
            Bound::Unbounded => return,
            Bound::Rendezvous => 0,
            Bound::Bounded(cap) => cap,
        };
        self.for_each_cell(start, from, sent, guard, |at| {
            if room == 0 {
                self.refuse_sender(at);
            } else if self.expand_into(at) {
                // A live cell: it has the room the buffer end would give it.
                room -= 1;
            }
        });
    }

    /// Refuses the sender of a cell that will get neither a receiver nor room: it gets its
    /// value back with `Disconnected` (or, still writing, finds the cell closed). A value
    /// already buffered is left to the caller.
    fn refuse_sender(&self, at: Claimed<'_, T>) {
        let backoff = Backoff::new();
        loop {
            let word = at.cell.load();
            match word.decode::<T>() {
                State::Phase(Phase::Empty | Phase::InBuffer | Phase::SpinSend) => {
                    // A spinning sender finds `Closed` and takes its value back.
                    if at.cell.cas(word, Phase::Closed).is_ok() {
                        return;
                    }
                }
                State::Phase(Phase::Parking) => backoff.snooze(),
                State::Sender(waiter_ptr) => {
                    // SAFETY: kept alive by the cell's reference until released through the
                    // epoch, after we unpin.
                    let waiter = unsafe { &*waiter_ptr };
                    match waiter.decide(Outcome::Closed) {
                        Ok(()) => {
                            waiter.wake();
                            self.finalize(at, word, Phase::Closed);
                            return;
                        }
                        // The buffer end or a close is moving the value into the cell: it will
                        // publish `Buffered` (the caller deals with a buffered value).
                        Err(Outcome::Buffered) => backoff.snooze(),
                        // A receiver took it, or the sender withdrew or was refused already.
                        Err(_) => {
                            self.finalize(at, word, Phase::CancelledSend);
                            return;
                        }
                    }
                }
                // Buffered (the caller's), taken, poisoned, withdrawn, closed.
                _ => return,
            }
        }
    }

    /// Step 4 of the close: cells `sent..claimed` belong to receivers that no sender will
    /// serve. Values handed back to the front by cancelled receives go first to the early
    /// receivers there (cells below `from`), oldest to oldest, the close acting as the sender
    /// of their cells (no sender can claim them any more); then empty cells are closed (a
    /// receiver still on its way finds `Closed`), and parked receivers are woken with
    /// `Disconnected`, oldest first.
    fn close_waiting_receivers<'g>(
        &self,
        start: Shared<'g, Segment<T>>,
        sent: u64,
        claimed: u64,
        from: u64,
        guard: &'g Guard,
    ) {
        let backoff = Backoff::new();
        let mut handed_back = None;
        self.for_each_cell(start, sent, claimed, guard, |at| {
            if at.index < from {
                if handed_back.is_none() && self.front.len() > 0 {
                    handed_back = self.front.pop();
                }
                if let Some((index, value)) = handed_back.take() {
                    match self.hand_to_cell(at, value) {
                        Handed::Taken => return,
                        // The receiver withdrew, or the cell is closed: the next one.
                        Handed::Withdrawn(back) | Handed::Closed(back) => {
                            handed_back = Some((index, back));
                        }
                    }
                }
            }
            let cell = at.cell;
            loop {
                let word = cell.load();
                match word.decode::<T>() {
                    State::Phase(Phase::Empty | Phase::InBuffer) => {
                        if cell.cas(word, Phase::Closed).is_ok() {
                            return;
                        }
                    }
                    State::Receiver(waiter_ptr) => {
                        // SAFETY: kept alive by the cell's reference until released through the
                        // epoch, after we unpin.
                        let waiter = unsafe { &*waiter_ptr };
                        match waiter.decide(Outcome::Closed) {
                            Ok(()) => {
                                trace_event!(self.tracer(), at.index, Disconnected);
                                waiter.wake();
                                self.finalize(at, word, Phase::Closed);
                            }
                            Err(_) => {
                                self.finalize(at, word, Phase::CancelledRecv);
                            }
                        }
                        return;
                    }
                    State::Phase(Phase::Parking) => backoff.snooze(),
                    // Withdrawn, poisoned, already closed, or a value (a sender's cell skipped
                    // into this range is dead): nothing to do.
                    _ => return,
                }
            }
        });
        if let Some((index, value)) = handed_back {
            // No early receiver was left for it: back to the front, for the late ones.
            self.front.insert(index, value);
        }
    }

    /// The final `S`, once the close has set its bit: only cells below it may carry a value.
    /// Waits the few steps between the two bits of a close (module docs), so that a late
    /// receiver takes effect after it.
    pub(super) fn final_sent(&self) -> u64 {
        Self::published(&self.sent_at_close)
    }

    /// A late receive (module docs): its claim (if it made one) returned `R`'s bit. Takes the
    /// value of the next cell that has one below the final `S`, or a value handed back to the
    /// front by a cancelled receive, or fails.
    #[cold]
    pub(super) fn recv_after_close(
        &self,
        patience: &Patience,
        mut claimed: Option<(u64, Shared<'_, Segment<T>>)>,
        guard: &Guard,
    ) -> Result<T, Failure> {
        let sent = self.final_sent();
        let receivers = &self.list.receivers;
        let may_wait = matches!(patience, Patience::Wait(_));
        loop {
            let claim = match claimed.take() {
                // A claimed cell is visited first: below `sent`, it may hold a value that only
                // its claimant would take.
                Some(claim) => Ok(claim),
                None => match self.take_from_front(guard) {
                    // Values handed back are older than any cell (front.rs).
                    Some(value) => return Ok(value),
                    // Past the final `S` nothing will come: a conditional claim stops there.
                    None if !may_wait => {
                        Self::claim_when(receivers, guard, |word| word & COUNT < sent)
                    }
                    None => Ok(Self::claim(receivers, None, guard)),
                },
            };
            let index = match claim {
                Ok((word, _)) => word & COUNT,
                Err(_) => sent,
            };
            if index >= sent {
                // Nothing will come to this cell; a value handed back meanwhile still may.
                return self.take_from_front(guard).ok_or(Failure::Disconnected);
            }
            let Ok((_, start)) = claim else {
                unreachable!("a failed claim has no cell below `sent`");
            };
            match self.cell_of(receivers, start, index, guard) {
                Ok(at) => {
                    if let Some(value) = self.take_after_close(at, may_wait) {
                        return Ok(value);
                    }
                }
                // A removed segment holds only withdrawn sends at or above `R` (recv.rs).
                Err(skipped) => self.count_withdrawn_sends_passed(1 + skipped),
            }
        }
    }

    /// The oldest value handed back to the front by a cancelled receive, for a receive about
    /// to claim a cell: as [`recv_from_front`](Self::recv_from_front) while the channel is
    /// open; once a close has begun, the close has settled the receivers that were waiting, and
    /// the oldest value goes to whoever asks.
    pub(super) fn take_from_front(&self, guard: &Guard) -> Option<T> {
        // SeqCst: in the total order of the claims and of the close's `fetch_or`.
        if self.list.receivers.counter.load(Ordering::SeqCst) & GONE != 0 {
            return self.front.pop().map(|(_, value)| value);
        }
        self.recv_from_front(guard)
    }

    /// A late receiver's claimed cell below the final `S`: its value once the cell is settled,
    /// or `None` for a dead cell (refused, withdrawn, poisoned). Never takes a value from a
    /// waiting sender and never moves the buffer end (module docs).
    pub(super) fn take_after_close(&self, at: Claimed<'_, T>, may_wait: bool) -> Option<T> {
        let backoff = Backoff::new();
        let mut lag_rounds = 0;
        loop {
            let word = at.cell.load();
            match word.decode::<T>() {
                State::Phase(Phase::Buffered) => {
                    trace_event!(self.tracer(), at.index, Taken);
                    // SAFETY: a `Buffered` cell's value belongs to its receiver, us; the
                    // Acquire load of the state saw the sender's Release.
                    return Some(unsafe { at.cell.read() });
                }
                // A sender still writing its value (claimed before the close): as in
                // `recv.rs`, a receive that may not wait passes it after a few rounds.
                State::Phase(Phase::Empty | Phase::InBuffer)
                    if !may_wait && lag_rounds >= LAGGING_SENDER_ROUNDS =>
                {
                    if at.cell.cas(word, Phase::Poisoned).is_ok() {
                        trace_event!(self.tracer(), at.index, Poisoned);
                        return None;
                    }
                }
                // A sender still writing, or waiting for the close to settle it.
                State::Phase(Phase::Empty | Phase::InBuffer | Phase::SpinSend | Phase::Parking)
                | State::Sender(_) => {
                    lag_rounds += 1;
                    backoff.snooze();
                }
                State::Phase(Phase::CancelledSend) => {
                    self.count_withdrawn_sends_passed(1);
                    return None;
                }
                State::Phase(_) => return None,
                State::Receiver(_) => unreachable!("a late receiver found a receiver in its cell"),
            }
        }
    }

    /// The last receiver is gone: senders fail from now on, and nothing stays inside (module
    /// docs). Resumes the first panic of a value's `drop`, after dropping the rest.
    pub(crate) fn close_receivers(&self) {
        let mut panics = Panics::default();
        {
            let guard = &epoch::pin();
            // A close may have set the bit already; `S` is final either way.
            self.stop_senders();
            let sent = self.final_sent();
            // SeqCst: in the total order of the claims.
            let claimed = self.list.receivers.counter.load(Ordering::SeqCst) & COUNT;
            // Acquire: pairs with the pointer CAS in `List::move_forward`. No receiver is left,
            // so `R` is final and the pointer at or before cell `claimed`'s segment.
            let start = self.list.receivers.segment.load(Ordering::Acquire, guard);
            self.for_each_cell(start, claimed, sent, guard, |at| loop {
                // `Taken`, not `Closed`: the sweep takes a buffered value in place of the
                // receiver. A sender that the buffer end released from `SpinSend` may not
                // have looked at its cell yet; `Closed` would tell it that the value in the
                // cell is still its own, and it would return (and later drop) the value we
                // drop here.
                if at.cell.cas(Phase::Buffered, Phase::Taken).is_ok() {
                    // SAFETY: a buffered value belongs to the cell's receiver, and no receiver
                    // is left: our CAS made it ours.
                    panics.drop_value(unsafe { at.cell.read() });
                    return;
                }
                // Refuses a sender; returns once the cell is settled, or buffered (by a close
                // running beside us: then loop and drop the value).
                self.refuse_sender(at);
                if at.cell.load() != Phase::Buffered {
                    return;
                }
            });
        }
        // Values handed back by cancelled receives are the receivers' too.
        for (_, value) in self.front.take_all() {
            panics.drop_value(value);
        }
        panics.resume();
    }

    /// Visits cells `from..to` in index order, walking from `start`, a segment at or before
    /// `from`'s read while pinned by `guard` (a side's pointer whose counter has not passed
    /// `from`: segment.rs, invariant 3).
    pub(super) fn for_each_cell<'g>(
        &self,
        start: Shared<'g, Segment<T>>,
        from: u64,
        to: u64,
        guard: &'g Guard,
        mut visit: impl FnMut(Claimed<'g, T>),
    ) where
        T: 'g,
    {
        if from >= to {
            return;
        }
        let mut index = from;
        let mut current = self.list.find(start, index / SEG as u64, guard);
        loop {
            // SAFETY: found while pinned (segment.rs, invariant 4).
            let segment = unsafe { Segment::checked(current) };
            // A removed segment in between holds only withdrawn cells: skip to the next one.
            index = index.max(segment.start());
            while index < to && index < segment.start() + SEG as u64 {
                visit(Claimed::at(current, index, guard));
                index += 1;
            }
            if index >= to {
                return;
            }
            current = self.list.find(current, segment.id + 1, guard);
        }
    }
}

impl<T> Drop for SegmentedDualQueue<T> {
    fn drop(&mut self) {
        let mut panics = Panics::default();
        // Relaxed: `&mut self` ordered every other thread's writes before us.
        let received = self.list.receivers.counter.load(Ordering::Relaxed) & COUNT;
        // SAFETY: `&mut self`: no other thread can reach the list, and it is not used again.
        unsafe {
            self.list.free_all(|segment| {
                for (index, cell) in (segment.start()..).zip(&segment.cells) {
                    match cell.load().decode::<T>() {
                        // SAFETY: a buffered cell at or above `R` was never claimed by a
                        // receiver (below `R`, its receiver took the value), and we have
                        // exclusive access.
                        State::Phase(Phase::Buffered) if index >= received => {
                            panics.drop_value(cell.read())
                        }
                        // A waiter whose party never came back (a leaked future): give up the
                        // cell's reference; the party's own keeps whatever it holds.
                        // SAFETY: the cell's reference, from `Arc::into_raw`, released once.
                        State::Receiver(waiter) | State::Sender(waiter) => {
                            drop(Arc::<Waiter<T>>::from_raw(waiter))
                        }
                        _ => {}
                    }
                }
            });
        }
        for (_, value) in self.front.take_all() {
            panics.drop_value(value);
        }
        // Segments retired while the queue ran wait in epoch garbage bags until collected.
        // Hand this thread's bag to the global collector and collect a few times, so the
        // memory goes back now: the last segments of a burst sit at the top of the heap, and
        // while one of them is still allocated the allocator cannot return the rest to the
        // system (measured: the resident set of a drained 1M burst fell from 16 MiB to 0.1 MiB
        // after three rounds, and not after one).
        for _ in 0..4 {
            epoch::pin().flush();
        }
        panics.resume();
    }
}
