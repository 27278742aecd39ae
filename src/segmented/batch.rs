//! Receiving what is ready with one claim: the values after the first of a `recv_many`, and a
//! `drain`.
//!
//! A receive that may not wait claims only a cell whose sender has claimed it first
//! (`claim.rs`, `claim_when`): one compare-and-swap on `R` per value. Here one
//! compare-and-swap claims every such cell up to a limit: `R` moves from `r` to `r + n`, with
//! `n = min(limit, S − r, end − r)` (`end`: a drain takes no cell a send claimed after the drain
//! began). Each claimed cell is then dealt with as a `try_recv` deals with its own (`recv.rs`,
//! with `Patience::Now`): a value is taken, from the cell or from the sender waiting there; a
//! sender caught between its claim and its write is waited for a few rounds, then passed (its
//! cell poisoned: it claims again, behind the batch); a dead cell gives nothing. All of it under
//! one pin per claim, and a claim covers at most [`ROUND`] cells, so a long drain does not hold
//! back the reclamation of the segments it empties.
//!
//! # Linearization
//!
//! The claim is the linearization point of every value the round takes: at that instant its
//! `n` cells are the oldest `n` that senders have claimed and receivers have not, so a round is
//! `n` `try_recv`s in a row with nothing in between. A cell that turns out dead yields nothing
//! (its sender withdrew, or was poisoned and takes effect later, at its next claim), and the
//! batch claims again while it has room and cells are left below `S` (and `end`).
//!
//! # Why one claim per round
//!
//! A `try_recv` is slow for a batch: it claims conditionally (a load of `S`, then a
//! compare-and-swap on `R`), pins the epoch, and goes through the general receive path, per
//! value. A round pays the claim and the pin once. Measured with `examples/recv_many.rs`
//! (limit 64, a loaded 2-core machine): draining values already sent, 9–10 ns per value
//! against 37–41 ns for `recv` then `try_recv` and 16–18 ns for a loop of blocking `recv`s
//! (which take the fast path); with producers running, about as fast as the loop of `recv`s
//! (`Receiver::recv_many`'s docs give the figures).

use super::claim::{Claimed, Waiting, COUNT, GONE};
use super::recv::RecvStep;
use super::segment::Segment;
use super::SegmentedDualQueue;
use crate::patience::Patience;
use crate::sync::Ordering;
#[cfg(feature = "trace")]
use crate::trace::trace_event;
use crossbeam_epoch::{self as epoch, Guard, Shared};

/// The most cells one claim of a batch covers (two segments' worth). A round holds one pin.
const ROUND: u64 = 64;

impl<T> SegmentedDualQueue<T> {
    /// How many cells senders have claimed so far: the `end` of a [`take_ready`] that must not
    /// take what is sent after this call.
    ///
    /// [`take_ready`]: Self::take_ready
    pub(crate) fn sent_so_far(&self) -> u64 {
        // SeqCst: in the total order of the claims (module docs): every send whose claim comes
        // before this load is below the returned index.
        self.list.senders.counter.load(Ordering::SeqCst) & COUNT
    }

    /// Appends to `buf`, in order, up to `max` values that are in the queue now, from cells
    /// below `end`, without waiting; returns how many (module docs). Values handed back to the
    /// front by cancelled receives (`front.rs`) come first: they are older than every cell.
    pub(crate) fn take_ready(&self, buf: &mut Vec<T>, max: usize, end: u64) -> usize {
        let receivers = &self.list.receivers;
        let mut taken = 0;
        while taken < max {
            let guard = &epoch::pin();
            if self.front.len() > 0 {
                if let Some(value) = self.take_from_front(guard) {
                    buf.push(value);
                    taken += 1;
                    continue;
                }
            }
            let wanted = (max - taken) as u64;
            // SeqCst (the load of S): "read R (the word), then S", as in a `try_recv`'s claim:
            // R only grows, so the cells `r..S` were claimed by senders and by no receiver.
            let claim = Self::claim_many_when(receivers, guard, |word| {
                let first = word & COUNT;
                let sent = self.list.senders.counter.load(Ordering::SeqCst) & COUNT;
                sent.min(end).saturating_sub(first).min(wanted).min(ROUND)
            });
            let Ok((word, start, n)) = claim else {
                return taken;
            };
            let first = word & COUNT;
            #[cfg(feature = "trace")]
            for index in first..first + n {
                trace_event!(
                    self.tracer(),
                    index,
                    Claimed(crate::trace::NodeKind::Request)
                );
            }
            if word & GONE != 0 {
                // Claimed after a close began: late (close.rs).
                self.take_late_cells(first, start, n, buf, &mut taken, guard);
            } else {
                self.take_cells(first, start, n, buf, &mut taken, guard);
            }
        }
        taken
    }

    /// The cells `first..first + n` of a round: each dealt with as a `try_recv` deals with its
    /// own cell (`recv.rs`).
    fn take_cells<'g>(
        &self,
        first: u64,
        mut start: Shared<'g, Segment<T>>,
        n: u64,
        buf: &mut Vec<T>,
        taken: &mut usize,
        guard: &'g Guard,
    ) {
        for index in first..first + n {
            let Some(at) = self.round_cell(&mut start, index, guard) else {
                continue;
            };
            match self.recv_from_cell(at, &Patience::Now, Waiting::Thread) {
                RecvStep::Done(Ok(value)) => {
                    self.after_take(at.segment, index, guard);
                    buf.push(value);
                    *taken += 1;
                }
                // A cell the other side closed: it gives nothing, and counts as finished.
                RecvStep::Done(Err(_)) => self.expand_buffer(guard),
                RecvStep::Retry { finished: true } => self.expand_buffer(guard),
                RecvStep::Retry { finished: false } => self.count_withdrawn_sends_passed(1),
                RecvStep::Parked(_) => unreachable!("a receive that may not wait parked"),
            }
        }
    }

    /// Cell `index` of a round, walking on from `start` (which follows the walk); `None` if
    /// its segment was removed.
    fn round_cell<'g>(
        &self,
        start: &mut Shared<'g, Segment<T>>,
        index: u64,
        guard: &'g Guard,
    ) -> Option<Claimed<'g, T>> {
        match self.cell_of(&self.list.receivers, *start, index, guard) {
            Ok(at) => {
                *start = at.segment;
                Some(at)
            }
            Err(skipped) => {
                // A removed segment holds only withdrawn sends at or above `R` (recv.rs).
                self.count_withdrawn_sends_passed(1 + skipped);
                None
            }
        }
    }

    /// The cells `first..first + n` of a round whose claim was late: each taken as a late
    /// receive takes its cell (close.rs), after the close has made `S` final.
    fn take_late_cells<'g>(
        &self,
        first: u64,
        mut start: Shared<'g, Segment<T>>,
        n: u64,
        buf: &mut Vec<T>,
        taken: &mut usize,
        guard: &'g Guard,
    ) {
        // Takes effect after the close: waits for its last step. Cells at or past the final
        // `S` were claimed by senders the close refused: nothing comes there.
        let sent = self.final_sent();
        for index in first..(first + n).min(sent) {
            let Some(at) = self.round_cell(&mut start, index, guard) else {
                continue;
            };
            if let Some(value) = self.take_after_close(at, false) {
                buf.push(value);
                *taken += 1;
            }
        }
    }
}
