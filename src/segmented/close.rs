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
//!   get a value. Empty cells are closed (a receiver still on its way finds `CLOSED`); parked
//!   receivers are woken with `Disconnected`, oldest first. Cells below `S` keep their values
//!   for the receivers that drain them.
//! * **last receiver gone** (`close_receivers`): cells `R..S` belong to senders that no
//!   receiver will serve. Buffered values are taken and dropped now (every value whose send
//!   returned `Ok` is dropped by the time the receiver's drop returns: nothing is stranded;
//!   `TAKEN`, so a released sender still spinning on its cell sees its send succeed); cells not
//!   yet written are closed (their send fails and returns its value); spinning and parked
//!   senders get their value back with `Disconnected`.
//!
//! A `T::drop` that panics does not stop a sweep or the destructor: the rest are still dropped,
//! and the first panic is resumed at the end (as `Vec` does).

use super::cell::{
    Cell, State, BUFFERED, CANCELLED_RECV, CANCELLED_SEND, CLOSED, EMPTY, IN_BUFFER, PARKING,
    SPIN_SEND, TAKEN,
};
use super::handoff::{COUNT, GONE};
use super::segment::{Position, Segment, SEG};
use super::waiter::{self as w, Waiter};
use super::SegmentedDualQueue;
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
    /// The last sender is gone: receivers drain what was sent, then fail (module docs).
    pub(crate) fn close_senders(&self) {
        let guard = &epoch::pin();
        // SeqCst (both): in the total order of the claims.
        let claimed = self.list.receivers.counter.fetch_or(GONE, Ordering::SeqCst) & COUNT;
        let sent = self.list.senders.counter.load(Ordering::SeqCst) & COUNT;
        let backoff = Backoff::new();
        self.for_each_cell(
            &self.list.senders,
            sent,
            claimed,
            guard,
            |segment, cell, _index| {
                loop {
                    let word = cell.load();
                    match State::<T>::decode(word) {
                        State::Plain(EMPTY | IN_BUFFER) => {
                            if cell.cas(word, CLOSED).is_ok() {
                                return;
                            }
                        }
                        State::Receiver(waiter_ptr) => {
                            // SAFETY: kept alive by the cell's reference until released through the
                            // epoch, after we unpin.
                            let waiter = unsafe { &*waiter_ptr };
                            match waiter.decide(w::CLOSED) {
                                Ok(()) => {
                                    trace_event!(self.tracer(), _index, Disconnected);
                                    waiter.wake();
                                    self.finalize(segment, cell, word, CLOSED, guard);
                                }
                                Err(_) => {
                                    self.finalize(segment, cell, word, CANCELLED_RECV, guard);
                                }
                            }
                            return;
                        }
                        State::Plain(PARKING) => backoff.snooze(),
                        // Withdrawn, poisoned, already closed, or a value (a sender's cell skipped
                        // into this range is dead): nothing to do.
                        _ => return,
                    }
                }
            },
        );
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
            self.for_each_cell(
                &self.list.receivers,
                claimed,
                sent,
                guard,
                |segment, cell, _index| loop {
                    let word = cell.load();
                    match State::<T>::decode(word) {
                        State::Plain(EMPTY | IN_BUFFER | SPIN_SEND) => {
                            // A spinning sender finds `CLOSED` and takes its value back.
                            if cell.cas(word, CLOSED).is_ok() {
                                return;
                            }
                        }
                        State::Plain(BUFFERED) => {
                            // `TAKEN`, not `CLOSED`: the sweep takes the value in place of the
                            // receiver. A sender that the buffer end released from `SPIN_SEND`
                            // may not have looked at its cell yet; `CLOSED` would tell it that
                            // the value in the cell is still its own, and it would return (and
                            // later drop) the value we drop here.
                            if cell.cas(BUFFERED, TAKEN).is_ok() {
                                // SAFETY: a buffered value belongs to the cell's receiver, and no
                                // receiver is left: our CAS made it ours.
                                panics.drop_value(unsafe { cell.read() });
                                return;
                            }
                        }
                        State::Plain(PARKING) => backoff.snooze(),
                        State::Sender(waiter_ptr) => {
                            // SAFETY: as in `close_senders`.
                            let waiter = unsafe { &*waiter_ptr };
                            match waiter.decide(w::CLOSED) {
                                Ok(()) => {
                                    waiter.wake();
                                    self.finalize(segment, cell, word, CLOSED, guard);
                                }
                                Err(_) => {
                                    self.finalize(segment, cell, word, CANCELLED_SEND, guard);
                                }
                            }
                            return;
                        }
                        _ => return,
                    }
                },
            );
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
        mut visit: impl FnMut(Shared<'g, Segment<T>>, &Cell<T>, u64),
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
            let segment = unsafe { current.deref() };
            // A removed segment in between holds only withdrawn cells: skip to the next one.
            index = index.max(segment.start());
            while index < to && index < segment.start() + SEG as u64 {
                visit(
                    current,
                    &segment.cells[(index - segment.start()) as usize],
                    index,
                );
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
                    match State::<T>::decode(cell.load()) {
                        // SAFETY: a buffered cell at or above `R` was never claimed by a
                        // receiver (below `R`, its receiver took the value), and we have
                        // exclusive access.
                        State::Plain(BUFFERED) if index >= received => {
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
