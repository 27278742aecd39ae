//! The front of the line: values handed back by receives that were cancelled after a sender had
//! handed them a value (a dropped `RecvFut` or `RecvStream`), kept where the next receive finds
//! them first.
//!
//! # Why a front
//!
//! A sender that meets a parked receiver writes its value into that receiver's waiter. If the
//! receiver was an async task whose future is then dropped (a `select!` that picked another
//! branch), the value is in the dropped future, at a cell below `R`: no other receiver will
//! ever visit that cell. Sending it again at the back of the line (what the channels did
//! before) put it behind values sent after it. The contract is that a cancelled receive is a
//! no-op: the value stays at the front, and the next receive gets it, before anything sent
//! later, whether or not senders remain.
//!
//! # How
//!
//! The front is a short list of `(cell index, value)`, oldest cell first, behind a lock, with a
//! count that every receive reads once (one load of a cache line that changes only when a value
//! is handed back). Two rules keep the waiting receivers' line intact:
//!
//! * **No waiting receiver** (`R ≤ S`): a receive that finds the front non-empty takes the
//!   oldest value from it instead of claiming a cell. Every front value is older than every
//!   value in the cells (its cell is below `R`, theirs are at `R` or above).
//! * **Receivers waiting** (`S < R`): the front values go to them, in their order: the front is
//!   *drained into cell `S`*, by a conditional claim of `S` (only while `S < R`: cell `S` then
//!   belongs to the oldest receiver in line) and an ordinary send of the oldest front value into
//!   it. The hand-back does this, and so does every receive that is about to wait (a receive
//!   whose claim came after the hand-back read `R`, which it might otherwise miss: "push, then
//!   read `R`" against "claim `R`, then read the count", a store-buffering pair of `SeqCst`
//!   accesses in which at least one side sees the other).
//!
//! # Linearization
//!
//! A hand-back is not an operation of the specification: the cancelled receive never happened,
//! and its value was at the front all along. With one receiver (the `select!` loop of a task),
//! that is exactly what every history shows. With several receivers a receive that runs at the
//! same moment as the hand-back may be served a later value first (it claimed its cell before
//! the value came back); the hand-back never loses or duplicates a value.
//!
//! # Capacity
//!
//! A handed-back value was delivered to a waiting receiver, so it never took a slot of a
//! bounded channel's buffer, and taking it from the front frees none. While it waits at the
//! front, a bounded channel may therefore hold one value more than its capacity (per value
//! handed back); `len` counts it.

use super::claim::{Claimed, Waiting, COUNT, GONE};
use super::send::SendStep;
use super::{SegmentedDualQueue, SendKind};
use crate::patience::Patience;
use crate::sync::{AtomicUsize, Mutex, Ordering};
use crossbeam_epoch::Guard;
use std::collections::VecDeque;

/// Values handed back by cancelled receives (module docs).
pub(crate) struct Front<T> {
    /// How many values `values` holds. Read by every receive before it claims a cell; written
    /// under the lock.
    len: AtomicUsize,
    /// `(cell index, value)`, ascending by index: the oldest value first.
    values: Mutex<VecDeque<(u64, T)>>,
}

impl<T> Front<T> {
    pub(crate) fn new() -> Self {
        Front {
            len: AtomicUsize::new(0),
            values: Mutex::new(VecDeque::new()),
        }
    }

    /// How many values wait at the front.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        // SeqCst: the second half of a receive's "claim R, then read the count" (module docs).
        self.len.load(Ordering::SeqCst)
    }

    /// Puts `value`, handed to the receive of cell `index`, back in its place.
    pub(super) fn insert(&self, index: u64, value: T) {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        let at = values.partition_point(|&(other, _)| other < index);
        values.insert(at, (index, value));
        // SeqCst: the first half of the hand-back's "push, then read R" (module docs); under
        // the lock, so the count always equals the length once the lock is released.
        self.len.store(values.len(), Ordering::SeqCst);
    }

    /// Takes the oldest value, if any.
    pub(super) fn pop(&self) -> Option<(u64, T)> {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        let oldest = values.pop_front();
        // SeqCst: as in `insert`.
        self.len.store(values.len(), Ordering::SeqCst);
        oldest
    }

    /// Takes every value (the last receiver is gone, or the queue is dropped).
    pub(crate) fn take_all(&self) -> VecDeque<(u64, T)> {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        // SeqCst: as in `insert`.
        self.len.store(0, Ordering::SeqCst);
        std::mem::take(&mut *values)
    }
}

impl<T> SegmentedDualQueue<T> {
    /// A cancelled receive of cell `index` had been handed `value`: it goes back to the front
    /// (module docs), to the oldest waiting receiver if there is one.
    pub(crate) fn hand_back(&self, index: u64, value: T, guard: &Guard) {
        self.front.insert(index, value);
        self.drain_front_into_waiters(guard);
    }

    /// A receive, before it claims a cell: the oldest front value if no receiver waits; if some
    /// do, the front goes to them first, and the caller claims its cell behind them.
    #[cold]
    #[inline(never)]
    pub(super) fn recv_from_front(&self, guard: &Guard) -> Option<T> {
        while self.front.len() > 0 {
            if self.receivers_wait() {
                self.drain_front_into_waiters(guard);
                return None;
            }
            if let Some((_, value)) = self.front.pop() {
                return Some(value);
            }
        }
        None
    }

    /// Whether receivers have claimed cells no sender has claimed yet: `S < R`.
    fn receivers_wait(&self) -> bool {
        // SeqCst (both): the second half of the hand-back's "push, then read R", in the total
        // order of the claims.
        let received = self.list.receivers.counter.load(Ordering::SeqCst) & COUNT;
        let sent = self.list.senders.counter.load(Ordering::SeqCst) & COUNT;
        sent < received
    }

    /// Sends front values into the cells of waiting receivers, oldest value to the oldest
    /// receiver, while both are there (module docs).
    pub(super) fn drain_front_into_waiters(&self, guard: &Guard) {
        let senders = &self.list.senders;
        while self.front.len() > 0 {
            let Some((index, mut value)) = self.front.pop() else {
                return;
            };
            loop {
                // Only a cell a receiver has claimed: that receiver is the oldest one waiting.
                let claim = Self::claim_when(senders, guard, |word| {
                    word & GONE == 0
                        // SeqCst: in the total order of the claims.
                        && word & COUNT
                            < self.list.receivers.counter.load(Ordering::SeqCst) & COUNT
                });
                let Ok((word, start)) = claim else {
                    // Nobody waits (or every receiver is gone): the value stays at the front.
                    self.front.insert(index, value);
                    return;
                };
                let Ok(at) = self.cell_of(senders, start, word & COUNT, guard) else {
                    continue;
                };
                match self.hand_to_cell(at, value) {
                    Handed::Taken => break,
                    // The receiver withdrew: the next one in line.
                    Handed::Withdrawn(back) => value = back,
                    // Disconnected: the receivers there are released; keep the value.
                    Handed::Closed(back) => {
                        self.front.insert(index, back);
                        return;
                    }
                }
            }
        }
    }

    /// Hands a front value to the receiver of `at`, a cell the caller claimed as its sender
    /// (a push never waits: the cell's receiver is there or on its way).
    pub(super) fn hand_to_cell(&self, at: Claimed<'_, T>, value: T) -> Handed<T> {
        match self.send_to_cell(at, value, SendKind::Push, &Patience::Async, Waiting::Thread) {
            SendStep::Done(Ok(())) => Handed::Taken,
            SendStep::Retry(back) => Handed::Withdrawn(back),
            SendStep::Done(Err((back, _))) => Handed::Closed(back),
            SendStep::Parked(_) => unreachable!("a push never parks"),
        }
    }
}

/// What [`SegmentedDualQueue::hand_to_cell`] did with a value.
pub(super) enum Handed<T> {
    /// The cell's receiver has it.
    Taken,
    /// The receiver withdrew from the cell: the value comes back.
    Withdrawn(T),
    /// A disconnection closed the cell: the value comes back.
    Closed(T),
}
