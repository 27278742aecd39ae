//! Disconnection, for the channels built on the segmented queue, and dropping what is left.
//!
//! A side is gone when its last handle has been dropped, so no operation of that side runs any
//! more and its counter is final. The other side's counter gets the `GONE` bit, with one
//! `fetch_or` that also returns how far that side had claimed; every later claim of that side
//! sees the bit in its own fetch-and-add and stops before touching a cell. The cells claimed
//! before the bit are exactly the ones between the two counters, and a sweep visits each of
//! them, in index order, and settles it:
//!
//! * **last sender gone** (`close_senders`): cells `S..R` belong to receivers that will never
//!   get a value. Empty cells are closed (a receiver still on its way finds `Closed`); parked
//!   receivers are woken with `Disconnected`, oldest first. Cells below `S` keep their values
//!   for the receivers that drain them.
//! * **last receiver gone** (`close_receivers`): cells `R..S` belong to senders that no
//!   receiver will serve. Buffered values are taken and dropped now (every value whose send
//!   returned `Ok` is dropped by the time the receiver's drop returns: nothing is stranded;
//!   `Taken`, so a released sender still spinning on its cell sees its send succeed); cells not
//!   yet written are closed (their send fails and returns its value); spinning and parked
//!   senders get their value back with `Disconnected`. Values handed back to the front by
//!   cancelled receives (`front.rs`) are dropped too.
//!
//! A `T::drop` that panics does not stop a sweep or the destructor: the rest are still dropped,
//! and the first panic is resumed at the end (as `Vec` does).

use super::cell::{Phase, State};
use super::claim::{Claimed, COUNT, GONE};
use super::segment::{Position, Segment, SEG};
use super::waiter::{Outcome, Waiter};
use super::SegmentedDualQueue;
use crate::sync::{Arc, Ordering};
use crate::trace::trace_event;
use crossbeam_epoch::{self as epoch, Guard};
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
    /// Whether a side is gone: no send can succeed any more, or no value will come after the
    /// ones already sent. O(1).
    pub(crate) fn is_closed(&self) -> bool {
        // SeqCst (both): in the total order of the claims and of the `fetch_or`s that set the
        // bits.
        let sent = self.list.senders.counter.load(Ordering::SeqCst);
        let claimed = self.list.receivers.counter.load(Ordering::SeqCst);
        (sent | claimed) & GONE != 0
    }

    /// The last sender is gone: receivers drain what was sent, then fail (module docs).
    pub(crate) fn close_senders(&self) {
        let guard = &epoch::pin();
        // SeqCst (both): in the total order of the claims.
        let claimed = self.list.receivers.counter.fetch_or(GONE, Ordering::SeqCst) & COUNT;
        let sent = self.list.senders.counter.load(Ordering::SeqCst) & COUNT;
        let backoff = Backoff::new();
        self.for_each_cell(&self.list.senders, sent, claimed, guard, |at| {
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
    }

    /// The last receiver is gone: senders fail from now on, and nothing stays inside (module
    /// docs). Resumes the first panic of a value's `drop`, after dropping the rest.
    pub(crate) fn close_receivers(&self) {
        let mut panics = Panics::default();
        {
            let guard = &epoch::pin();
            // SeqCst (both): in the total order of the claims.
            let sent = self.list.senders.counter.fetch_or(GONE, Ordering::SeqCst) & COUNT;
            let claimed = self.list.receivers.counter.load(Ordering::SeqCst) & COUNT;
            let backoff = Backoff::new();
            self.for_each_cell(&self.list.receivers, claimed, sent, guard, |at| loop {
                let cell = at.cell;
                let word = cell.load();
                match word.decode::<T>() {
                    State::Phase(Phase::Empty | Phase::InBuffer | Phase::SpinSend) => {
                        // A spinning sender finds `Closed` and takes its value back.
                        if cell.cas(word, Phase::Closed).is_ok() {
                            return;
                        }
                    }
                    State::Phase(Phase::Buffered) => {
                        // `Taken`, not `Closed`: the sweep takes the value in place of the
                        // receiver. A sender that the buffer end released from `SpinSend`
                        // may not have looked at its cell yet; `Closed` would tell it that
                        // the value in the cell is still its own, and it would return (and
                        // later drop) the value we drop here.
                        if cell.cas(Phase::Buffered, Phase::Taken).is_ok() {
                            // SAFETY: a buffered value belongs to the cell's receiver, and no
                            // receiver is left: our CAS made it ours.
                            panics.drop_value(unsafe { cell.read() });
                            return;
                        }
                    }
                    State::Phase(Phase::Parking) => backoff.snooze(),
                    State::Sender(waiter_ptr) => {
                        // SAFETY: as in `close_senders`.
                        let waiter = unsafe { &*waiter_ptr };
                        match waiter.decide(Outcome::Closed) {
                            Ok(()) => {
                                waiter.wake();
                                self.finalize(at, word, Phase::Closed);
                            }
                            Err(_) => {
                                self.finalize(at, word, Phase::CancelledSend);
                            }
                        }
                        return;
                    }
                    _ => return,
                }
            });
        }
        // Values handed back by cancelled receives are the receivers' too.
        for (_, value) in self.front.take_all() {
            panics.drop_value(value);
        }
        panics.resume();
    }

    /// Visits cells `from..to` in index order, walking from `position`'s segment (which is at
    /// or before `from`'s: the side whose counter is `from` has not passed it).
    pub(super) fn for_each_cell<'g>(
        &self,
        position: &Position<T>,
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
        // Acquire: pairs with the pointer CAS in `List::move_forward`.
        let start = position.segment.load(Ordering::Acquire, guard);
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
