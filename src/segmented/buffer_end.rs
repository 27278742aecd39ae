//! The buffer end of a bounded channel (Kotlin's `expandBuffer`): a third counter `B` that each
//! finished receive moves on by one cell, releasing the sender of that cell if it is blocked.
//!
//! A send may leave its value in cell `i` iff `i < B` or `i < R + capacity` (`send.rs`,
//! `may_buffer`). When a receive is done with its cell (it took a value, parked, or failed), one
//! more slot is free: the buffer end claims the next cell `b = B++` and gives its sender the
//! room. If that sender has not come yet, it will see `b < B`; if it is spinning or parked with
//! its value, its value is moved into the cell as `Buffered` and it is released. So blocked
//! senders are released in the order of their cells, one per freed slot: **FIFO**. A withdrawn
//! send frees no room, and the buffer end moves on to the next cell for it.

use super::cell::{Phase, State};
use super::claim::{Claimed, COUNT};
use super::segment::Segment;
use super::waiter::Outcome;
use super::{Bound, SegmentedDualQueue};
use crate::sync::{loom_sc_fence, Ordering};
use crate::trace::trace_event;
use crossbeam_epoch::Guard;
use crossbeam_utils::Backoff;

impl<T> SegmentedDualQueue<T> {
    /// Moves the buffer end one cell on, after a receive finished with its cell: the sender of
    /// that cell may buffer, and if it is parked, it is released with its value buffered.
    #[inline]
    pub(super) fn expand_buffer(&self, guard: &Guard) {
        if matches!(self.bound, Bound::Bounded(_)) {
            self.expand_buffer_slow(guard);
        }
    }

    fn expand_buffer_slow(&self, guard: &Guard) {
        let end = &self.list.buffer_end;
        loop {
            // Acquire: as in `claim`; read before the claim.
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
            let segment = unsafe { Segment::checked(found) };
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
            if self.expand_into(Claimed::at(found, index, guard)) {
                return;
            }
        }
    }

    /// Gives the sender of the cell its room. Returns false if the cell's send was withdrawn
    /// (the room goes to the next cell).
    pub(super) fn expand_into(&self, at: Claimed<'_, T>) -> bool {
        let Claimed { cell, .. } = at;
        let backoff = Backoff::new();
        loop {
            let word = cell.load();
            match word.decode::<T>() {
                State::Phase(Phase::Empty) => {
                    if cell.cas(Phase::Empty, Phase::InBuffer).is_ok() {
                        return true;
                    }
                }
                State::Phase(Phase::SpinSend) => {
                    if cell.cas(Phase::SpinSend, Phase::Buffered).is_ok() {
                        trace_event!(self.tracer(), at.index, Released);
                        return true;
                    }
                }
                State::Phase(Phase::Parking) => backoff.snooze(),
                State::Sender(waiter_ptr) => {
                    // SAFETY: kept alive by the cell's reference until released through the
                    // epoch, after we unpin.
                    let waiter = unsafe { &*waiter_ptr };
                    match waiter.decide(Outcome::Buffered) {
                        Ok(()) => {
                            // SAFETY: we won the waiter: its value is ours, and the slot of a
                            // cell holding a parked sender is empty and touched by nobody until
                            // we publish `Buffered` (a receiver seeing our outcome waits for it).
                            unsafe { cell.write(waiter.take()) };
                            trace_event!(self.tracer(), at.index, Released);
                            waiter.wake();
                            self.finalize(at, word, Phase::Buffered);
                            return true;
                        }
                        Err(Outcome::Cancelled) => {
                            self.finalize(at, word, Phase::CancelledSend);
                            return false;
                        }
                        // A receiver took it directly.
                        Err(_) => return true,
                    }
                }
                State::Phase(Phase::CancelledSend) => return false,
                // Buffered, taken, poisoned, a receiver waiting or gone, closed: nothing to
                // release here.
                State::Phase(_) | State::Receiver(_) => return true,
            }
        }
    }
}
