//! The segments of a [`SegmentedDualQueue`](super::SegmentedDualQueue) and the list that links
//! them: finding the segment of a cell, moving the side pointers forward, and reclaiming
//! segments that no operation can reach any more.
//!
//! # The list
//!
//! ```text
//!   head ─► [seg 3] ─► [seg 4] ─► [seg 7] ─► [seg 8] ─► null
//!              ▲                     ▲          ▲
//!           senders             receivers   (buffer end)
//! ```
//!
//! Segments are appended Michael–Scott style (a CAS of the last segment's `next` from null)
//! with consecutive ids; segment `k` holds cells `k·SEG .. (k+1)·SEG`. Each side of the queue
//! (senders, receivers, and the buffer end of a bounded channel) keeps a **position**: its
//! counter and a pointer to a segment at or before the one its next claim will land in. An
//! operation reads its side's pointer *before* its fetch-and-add, so the walk to its cell only
//! moves forward (the rule Kotlin's channels use).
//!
//! # How a segment leaves
//!
//! A segment may leave the list for one of two reasons:
//!
//! * **passed**: every side's pointer has moved beyond it. Pointers only move forward, so no
//!   operation that starts later can reach it; `advance_head` unlinks it from the front.
//! * **removed**: all its cells were cancelled (`CancelledRecv`/`CancelledSend`), no side
//!   pointer refers to it, and it is not the last segment. Such a segment can sit between live
//!   ones (one receiver waiting forever at the front, a million timed-out receivers behind it),
//!   so it is unlinked from the middle, and nothing grows with timeouts.
//!
//! Either way, leaving is **mark, then swing**, as for the nodes of the linked structures
//! (`node.rs`): set the `MARK` tag on the segment's `next` (frozen from then on), then CAS the
//! reference to it (the head, or the predecessor's unmarked `next`) to its successor. The thread
//! whose swing succeeds retires the segment with crossbeam-epoch, exactly once.
//!
//! A segment's **life word** (`life`) says whether it may be removed and keeps side pointers
//! off removed segments, in one atomic word (Kotlin's `cleanedAndPointers`):
//!
//! | bits | meaning |
//! | --- | --- |
//! | 0–7 | cells finalized as cancelled (0..=SEG) |
//! | 8–15 | side pointers that refer to this segment |
//! | 16 (`REMOVED`) | claimed for removal: set once, by CAS, only from exactly "SEG cancelled, no pointers" |
//!
//! A pointer move first adds itself to the target's count, which fails once `REMOVED` is set,
//! then CASes the pointer, then drops itself from the old segment's count. So a removed
//! segment never has, and never gets, a pointer.
//!
//! # Invariants
//!
//! 1. Ids strictly increase along `next`, and a pointer never moves backward.
//! 2. A side pointer refers to a segment that is linked and not marked: not removed (the life
//!    word), not passed (passing needs every pointer beyond it).
//! 3. A side pointer never moves past the segment of a cell whose index its counter has not
//!    reached: the walk stops at the first live segment whose id is at least the claimed
//!    cell's segment. Hence "counter ≤ i" (read while pinned) means that side's pointer has
//!    not passed cell `i`'s segment: the segment is not **passed**. That alone does not keep
//!    it: it is **removed** once all its cells are finalized as withdrawn, whatever the
//!    counters say. A reader that relies on this (`cancel.rs`, a withdrawn waiter cleaning its
//!    own cell) must also know that its cell is not finalized yet, so that the segment cannot
//!    have been removed before it pinned.
//! 4. Every walk starts from a pointer (or the head) read while pinned, and each segment it
//!    reaches was linked at some moment after the walker pinned (a frozen `next` still names the
//!    successor the segment had when it left), so nothing a walker can reach has been freed.

use super::cell::Cell;
use crate::sync::{AtomicU32, AtomicU64, Ordering};
use crate::trace::{trace_event, Tracer};
use crossbeam_epoch::{Atomic, Guard, Owned, Shared};
use crossbeam_utils::CachePadded;

/// Cells per segment. Two under loom, so that small models cross segment boundaries.
pub(crate) const SEG: usize = if cfg!(loom) { 2 } else { 32 };

/// Tag on a segment's `next`: the segment is leaving, and its `next` is frozen.
const MARK: usize = 1;

const CANCELLED_MASK: u32 = 0xFF;
const POINTER: u32 = 1 << 8;
const REMOVED: u32 = 1 << 16;
/// The life word of a segment that may be removed: every cell cancelled, no pointer.
const REMOVABLE: u32 = SEG as u32;

/// A run of `SEG` cells.
pub(crate) struct Segment<T> {
    /// This segment holds cells `id·SEG .. (id+1)·SEG`. Never changes.
    pub(crate) id: u64,
    /// The next segment (id greater than ours), or null for the last. Tagged `MARK` once this
    /// segment is leaving.
    pub(crate) next: Atomic<Segment<T>>,
    /// Cancelled cells, side pointers and the `REMOVED` bit (module docs).
    life: AtomicU32,
    /// The cells.
    pub(crate) cells: [Cell<T>; SEG],
    /// Debug builds: [`ALIVE`] from creation until the segment is dropped, then [`DESTROYED`],
    /// checked on every access that goes through [`Segment::checked`], so that a use after free
    /// shows up as a failed assertion (while the memory is not reused; valgrind and
    /// AddressSanitizer catch the rest). A std atomic even under loom: a check, not part of
    /// the algorithm.
    #[cfg(debug_assertions)]
    canary: std::sync::atomic::AtomicU64,
}

/// The canary of a live segment (debug builds).
#[cfg(debug_assertions)]
const ALIVE: u64 = 0x5E67_A11E_5E67_A11E;
/// The canary of a dropped segment (debug builds).
#[cfg(debug_assertions)]
const DESTROYED: u64 = 0xDEAD_5E67_DEAD_5E67;

impl<T> Segment<T> {
    fn new(id: u64, pointers: u32) -> Owned<Self> {
        Owned::new(Segment {
            id,
            next: Atomic::null(),
            life: AtomicU32::new(pointers * POINTER),
            cells: std::array::from_fn(|_| Cell::new()),
            #[cfg(debug_assertions)]
            canary: std::sync::atomic::AtomicU64::new(ALIVE),
        })
    }

    /// Makes a segment taken from the pool of spares (`spares.rs`) new again: segment `id`
    /// with `pointers` side pointers, every cell empty, no successor.
    #[cfg(not(loom))]
    fn reset(&mut self, id: u64, pointers: u32) {
        self.id = id;
        self.next = Atomic::null();
        self.life = AtomicU32::new(pointers * POINTER);
        for cell in &mut self.cells {
            // A segment leaves the list only once every party of every cell is done with it,
            // so no cell holds a value: nothing is dropped or lost here.
            *cell = Cell::new();
        }
    }

    /// Debug builds: the segment is in use again (taken from the pool of spares).
    #[cfg(not(loom))]
    pub(crate) fn mark_alive(&self) {
        #[cfg(debug_assertions)]
        // Relaxed: the pool's lock orders this with every later use.
        self.canary
            .store(ALIVE, std::sync::atomic::Ordering::Relaxed);
    }

    /// Debug builds: the segment left the list for good (freed, or put in the pool of spares);
    /// `checked` fails on it from now on.
    pub(crate) fn mark_destroyed(&self) {
        #[cfg(debug_assertions)]
        // Relaxed: read back only by a use after retirement.
        self.canary
            .store(DESTROYED, std::sync::atomic::Ordering::Relaxed);
    }

    /// The segment behind `shared`, checked not to have been dropped (debug builds).
    ///
    /// # Safety
    ///
    /// As for [`Shared::deref`]: `shared` points to a segment that the caller's pin keeps
    /// allocated (invariant 4, or the rule of the caller).
    #[inline]
    pub(crate) unsafe fn checked<'g>(shared: Shared<'g, Segment<T>>) -> &'g Segment<T> {
        // SAFETY: the caller's contract.
        let segment = unsafe { shared.deref() };
        #[cfg(debug_assertions)]
        {
            // Relaxed: a check of a value written before the segment was shared (or by its
            // drop); a use after free reads whatever is there.
            let canary = segment.canary.load(std::sync::atomic::Ordering::Relaxed);
            assert!(
                canary == ALIVE,
                "segment {} used after it was destroyed (canary {canary:#x})",
                segment.id
            );
        }
        segment
    }

    /// The index of this segment's first cell.
    pub(crate) fn start(&self) -> u64 {
        self.id * SEG as u64
    }

    /// Whether the segment was claimed for removal.
    fn is_removed(&self) -> bool {
        // Acquire: pairs with the AcqRel CAS that sets `REMOVED` (nothing is read through it;
        // Acquire keeps the reasoning local).
        self.life.load(Ordering::Acquire) & REMOVED != 0
    }

    /// Whether every cell of the segment was finalized as cancelled: no operation can use any
    /// of its cells any more.
    pub(crate) fn is_dead(&self) -> bool {
        // Acquire: pairs with the AcqRel increments in `List::cell_cancelled`.
        self.life.load(Ordering::Acquire) & CANCELLED_MASK == SEG as u32
    }

    /// Adds a side pointer, unless the segment was removed.
    fn try_add_pointer(&self) -> bool {
        // Relaxed: only the value matters; the CAS below decides.
        let mut life = self.life.load(Ordering::Relaxed);
        loop {
            if life & REMOVED != 0 {
                return false;
            }
            // AcqRel: totally ordered with the removal CAS on the same word (one of them
            // fails); nothing else is published through it.
            match self.life.compare_exchange_weak(
                life,
                life + POINTER,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => life = now,
            }
        }
    }
}

#[cfg(debug_assertions)]
impl<T> Drop for Segment<T> {
    fn drop(&mut self) {
        self.mark_destroyed();
    }
}

/// One side of the queue: its counter and the segment its next claim starts walking from.
pub(crate) struct Position<T> {
    /// Cells claimed by this side (low 63 bits), and the `GONE` flag (bit 63) that the opposite
    /// side sets when it disconnects (see `close.rs`).
    pub(crate) counter: AtomicU64,
    /// A segment at or before the segment of the next cell this side will claim.
    pub(crate) segment: Atomic<Segment<T>>,
}

/// The linked segments and the side positions.
pub(crate) struct List<T> {
    /// Senders' position: `S` and its segment.
    pub(crate) senders: CachePadded<Position<T>>,
    /// Receivers' position: `R` and its segment.
    pub(crate) receivers: CachePadded<Position<T>>,
    /// A bounded channel's buffer end: `B` and its segment. Unused (and never consulted for
    /// reclamation) otherwise.
    pub(crate) buffer_end: CachePadded<Position<T>>,
    /// The oldest segment still linked.
    head: Atomic<Segment<T>>,
    /// Whether `buffer_end` is a live position (bounded channels only).
    tracks_buffer_end: bool,
    /// Set once a send has withdrawn from its cell (only timed or `try_` sends that had to wait
    /// can). Until then receives need not look for withdrawn cells to step over, so a channel
    /// whose sends never wait (unbounded) never pays for it. A hint, not a synchronisation: a
    /// std atomic even under loom, Relaxed everywhere.
    pub(crate) send_withdrawals: std::sync::atomic::AtomicBool,
    /// Withdrawn send cells that the receivers' counter has not passed yet, as a two's
    /// complement count (it can dip below zero for a moment: a receive may pass a withdrawn
    /// cell before its sender has counted its withdrawal). `S - R` minus this is the number of
    /// values held, which the channels' O(1) `len` reports. A count for observers, not a
    /// synchronisation: a std atomic even under loom, Relaxed everywhere.
    pub(crate) withdrawn_sends_ahead: std::sync::atomic::AtomicU64,
    /// Retired segments kept for reuse (`spares.rs`); not under loom.
    #[cfg(not(loom))]
    spares: std::sync::Arc<super::spares::Spares<T>>,
    /// The event log (feature `trace`).
    #[cfg(feature = "trace")]
    pub(crate) trace: crate::trace::Trace,
}

impl<T> List<T> {
    /// A list of one segment, with every position at cell 0 (and `B` at `buffer_end`).
    pub(crate) fn new(buffer_end: Option<u64>) -> Self {
        let tracks_buffer_end = buffer_end.is_some();
        let pointers = if tracks_buffer_end { 3 } else { 2 };
        // SAFETY: the segment is not shared yet; `unprotected` is fine for a pointer nobody else
        // can see, and `into_shared` only converts it.
        let first =
            Segment::new(0, pointers).into_shared(unsafe { crossbeam_epoch::unprotected() });
        let position = |counter: u64| {
            CachePadded::new(Position {
                counter: AtomicU64::new(counter),
                segment: Atomic::from(first),
            })
        };
        List {
            senders: position(0),
            receivers: position(0),
            buffer_end: position(buffer_end.unwrap_or(0)),
            head: Atomic::from(first),
            tracks_buffer_end,
            send_withdrawals: std::sync::atomic::AtomicBool::new(false),
            withdrawn_sends_ahead: std::sync::atomic::AtomicU64::new(0),
            #[cfg(not(loom))]
            spares: super::spares::Spares::new(),
            #[cfg(feature = "trace")]
            trace: crate::trace::Trace::for_cells(),
        }
    }

    /// Where steps are recorded (feature `trace`; records nothing otherwise).
    #[inline(always)]
    #[cfg_attr(not(feature = "trace"), allow(dead_code))]
    pub(crate) fn tracer(&self) -> Tracer<'_> {
        #[cfg(feature = "trace")]
        return Tracer::new(&self.trace);
        #[cfg(not(feature = "trace"))]
        return Tracer::OFF;
    }

    /// Finds the segment of cell `index` for a side whose pointer read `start` before claiming
    /// it, appending segments as needed, and moves that side's pointer to it if this claim is
    /// the one that should (see [`moves_pointer`](Self::moves_pointer)).
    ///
    /// Returns the first segment at or after the wanted one that is not removed: if its id is
    /// larger, the cell's segment was removed (every cell in it, and in any removed segment
    /// before it, was cancelled).
    #[inline]
    pub(crate) fn locate<'g>(
        &self,
        position: &Position<T>,
        start: Shared<'g, Segment<T>>,
        index: u64,
        guard: &'g Guard,
    ) -> Shared<'g, Segment<T>> {
        // SAFETY: `start` was read from the position while pinned (invariant 4).
        if unsafe { Segment::checked(start) }.id == index / SEG as u64 {
            // The common case (SEG - 1 claims in SEG): the side's pointer is at our segment
            // already. It is not removed: our own cell in it is not finalized yet.
            return start;
        }
        self.locate_slow(position, start, index, guard)
    }

    #[cold]
    fn locate_slow<'g>(
        &self,
        position: &Position<T>,
        start: Shared<'g, Segment<T>>,
        index: u64,
        guard: &'g Guard,
    ) -> Shared<'g, Segment<T>> {
        let id = index / SEG as u64;
        let mut from = start;
        loop {
            let found = self.find(from, id, guard);
            if !Self::moves_pointer(start, found, index, guard) {
                return found;
            }
            if self.move_forward(position, found, guard) {
                return found;
            }
            // It was removed under us: walk on from it (its frozen `next` leads forward).
            from = found;
        }
    }

    /// Whether the claim of cell `index`, whose side's pointer showed `start` and whose walk
    /// ended at `found`, moves that pointer onto `found`.
    ///
    /// One claim per segment does: the claim of its first cell. Every claim of a side reads the
    /// pointer before its fetch-and-add, so when the claims cross into a new segment, all of
    /// them that read the pointer before it moved find it one segment behind. Each used to move
    /// it (a contended add to the target's life word, a CAS of the pointer, a contended
    /// subtraction): 16 % of the samples of unbounded 4P/4C went to that (`move_forward`),
    /// with 8 threads on 2 CPUs. Now the others walk one `next` from the segment before; a walk
    /// that found the pointer two or more segments behind (its first claimer is slow, or a
    /// move past withdrawn cells skipped the first cell) moves it too, so no walk grows; and so
    /// does a claim whose own segment was removed. Invariant 3 holds for every mover: it moves
    /// to the segment of its own claim, or to the first live one after it.
    #[inline]
    fn moves_pointer(
        start: Shared<'_, Segment<T>>,
        found: Shared<'_, Segment<T>>,
        index: u64,
        guard: &Guard,
    ) -> bool {
        let _ = guard;
        // SAFETY: both were read from the position or found while pinned (invariant 4).
        let (start, found) = unsafe { (Segment::checked(start), Segment::checked(found)) };
        index == found.start() || found.id != index / SEG as u64 || found.id >= start.id + 2
    }

    /// Walks from `start` to the first segment with id ≥ `id` that is not removed, appending
    /// segments past the last one. Does not move any pointer (sweeps use it as it is).
    pub(crate) fn find<'g>(
        &self,
        start: Shared<'g, Segment<T>>,
        id: u64,
        guard: &'g Guard,
    ) -> Shared<'g, Segment<T>> {
        let mut current = start;
        loop {
            // SAFETY: `current` was read from a position or reached through `next` links while
            // pinned (invariant 4), so it is not freed.
            let segment = unsafe { Segment::checked(current) };
            if segment.id >= id && !segment.is_removed() {
                return current;
            }
            // Acquire: pairs with the Release CAS that linked the successor (its cells are
            // initialised).
            let next = segment.next.load(Ordering::Acquire, guard).with_tag(0);
            if !next.is_null() {
                current = next;
                continue;
            }
            let new = self.new_segment(segment.id + 1);
            // Release: publishes the new segment's initialised cells to every Acquire load of
            // this `next`. Acquire on failure: we walk on to the winner's segment.
            match segment.next.compare_exchange(
                Shared::null(),
                new,
                Ordering::Release,
                Ordering::Acquire,
                guard,
            ) {
                Ok(linked) => {
                    trace_event!(self.tracer(), segment.id + 1, SegmentAppended);
                    // `segment` has a successor now; if it was waiting only for one to be
                    // removable, it can go.
                    self.try_remove(current, guard);
                    current = linked;
                }
                // Someone else appended first; our segment was never shared: back to the pool.
                Err(lost) => self.recycle(lost.new),
            }
        }
    }

    /// Moves `position`'s pointer toward the segment of cell `index` through the segments that
    /// exist, never appending one: the pointer stops at the last segment if `index` lies beyond
    /// it. For the buffer end, whose claims run ahead of the senders (a claim at or past `S`
    /// visits no cell, so it does not `locate`), but whose pointer must follow its claims all
    /// the same: a segment is passed only when every pointer is beyond it (Kotlin's
    /// `moveSegmentBufferEndToSpecifiedOrLast`). `start` was read from the position while
    /// pinned, before `index` was claimed, so moving to `index`'s segment keeps invariant 3.
    pub(crate) fn follow<'g>(
        &self,
        position: &Position<T>,
        start: Shared<'g, Segment<T>>,
        index: u64,
        guard: &'g Guard,
    ) {
        let id = index / SEG as u64;
        let mut current = start;
        // SAFETY: `start` was read from the position while pinned (invariant 4).
        if unsafe { Segment::checked(current) }.id >= id {
            return; // the common case: the pointer is at the claim's segment (or beyond)
        }
        loop {
            // SAFETY: read from the position or reached through `next` links while pinned
            // (invariant 4).
            let segment = unsafe { Segment::checked(current) };
            // Acquire: pairs with the Release CAS that linked the successor.
            let next = segment.next.load(Ordering::Acquire, guard).with_tag(0);
            if segment.id < id && !next.is_null() {
                current = next;
                continue;
            }
            if self.move_forward(position, current, guard) {
                return;
            }
            // `current` was removed under us, so it had a successor: its frozen `next` leads on.
            // Acquire: as above.
            current = segment.next.load(Ordering::Acquire, guard).with_tag(0);
        }
    }

    /// Moves `position`'s pointer forward to `to` (no-op if it is already there or beyond).
    /// Fails only if `to` was removed.
    fn move_forward(
        &self,
        position: &Position<T>,
        to: Shared<'_, Segment<T>>,
        guard: &Guard,
    ) -> bool {
        // SAFETY: `to` was found while pinned (invariant 4).
        let target = unsafe { Segment::checked(to) };
        loop {
            // Acquire: pairs with the AcqRel CAS below that installed it (the segment was
            // published by its link; this keeps the chain explicit).
            let current = position.segment.load(Ordering::Acquire, guard);
            // SAFETY: a position's segment is linked and not freed (invariant 2), and we are
            // pinned.
            if unsafe { Segment::checked(current) }.id >= target.id {
                return true;
            }
            if !target.try_add_pointer() {
                return false;
            }
            // AcqRel: Release publishes our count on `to` before the pointer (a thread that
            // moves the pointer on and drops the count sees our increment first); Acquire pairs
            // with the previous mover.
            match position.segment.compare_exchange(
                current,
                to,
                Ordering::AcqRel,
                Ordering::Acquire,
                guard,
            ) {
                Ok(_) => {
                    self.drop_pointer(current, guard);
                    self.advance_head(guard);
                    return true;
                }
                Err(_) => self.drop_pointer(to, guard),
            }
        }
    }

    /// Takes one side pointer off `segment`; removes the segment if that was the last thing
    /// keeping it.
    fn drop_pointer(&self, segment: Shared<'_, Segment<T>>, guard: &Guard) {
        // SAFETY: the caller just held (or just failed to install) a pointer to it while
        // pinned, so it is not freed.
        let life = unsafe { Segment::checked(segment) }
            .life
            // AcqRel: totally ordered with the other updates of the word; the thread that
            // makes it removable must see every cancellation counted before.
            .fetch_sub(POINTER, Ordering::AcqRel);
        if life - POINTER == REMOVABLE {
            self.try_remove(segment, guard);
        }
    }

    /// Counts one more cell of `segment` as cancelled (the caller's CAS finalized it as
    /// `CancelledRecv` or `CancelledSend`); removes the segment if that was the last cell.
    pub(crate) fn cell_cancelled(&self, segment: Shared<'_, Segment<T>>, guard: &Guard) {
        // SAFETY: the caller finalized a cell of this segment while pinned; the segment cannot
        // be removed before that cell is counted, so it is not freed.
        let life = unsafe { Segment::checked(segment) }
            .life
            // AcqRel: as in `drop_pointer`.
            .fetch_add(1, Ordering::AcqRel);
        debug_assert!(
            life & CANCELLED_MASK < SEG as u32,
            "a cell was cancelled twice"
        );
        if life + 1 == REMOVABLE {
            self.try_remove(segment, guard);
        }
    }

    /// Removes `segment` if it is removable and not the last segment.
    fn try_remove(&self, segment: Shared<'_, Segment<T>>, guard: &Guard) {
        // SAFETY: reached while pinned by the caller (see its callers).
        let seg = unsafe { Segment::checked(segment) };
        // Acquire: pairs with the Release CAS that appended a successor.
        if seg
            .next
            .load(Ordering::Acquire, guard)
            .with_tag(0)
            .is_null()
        {
            // The last segment anchors appends; `find` retries this once it has a successor.
            return;
        }
        // AcqRel: the one CAS that decides removal, against pointer additions on this word.
        if seg
            .life
            .compare_exchange(
                REMOVABLE,
                REMOVABLE | REMOVED,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return;
        }
        // Freeze `next`, then unlink. AcqRel: Release orders the freeze after the decision;
        // Acquire lets us read the successor it returns.
        seg.next.fetch_or(MARK, Ordering::AcqRel, guard);
        self.unlink(segment, guard);
    }

    /// A segment for id `id` at the end of the list: a spare if the pool has one, else a new
    /// allocation.
    fn new_segment(&self, id: u64) -> Owned<Segment<T>> {
        #[cfg(not(loom))]
        if let Some(mut spare) = self.spares.take() {
            spare.reset(id, 0);
            return Owned::from(spare);
        }
        Segment::new(id, 0)
    }

    /// A segment that was never shared goes back to the pool (or is freed).
    fn recycle(&self, segment: Owned<Segment<T>>) {
        #[cfg(not(loom))]
        self.spares.put(segment.into_box());
        #[cfg(loom)]
        drop(segment);
    }

    /// Hands a segment that has just been unlinked to the epoch: once no thread pinned now can
    /// still read it, it goes to the pool of spares (or is freed).
    ///
    /// # Safety
    ///
    /// The caller's CAS unlinked `segment` from the list, and it is retired exactly once.
    unsafe fn retire(&self, segment: Shared<'_, Segment<T>>, guard: &Guard) {
        #[cfg(loom)]
        // SAFETY: walkers pinned now may still read it, and the epoch defers the free past
        // them. Dropping a segment drops no `T` (its cells hold `MaybeUninit`).
        unsafe {
            guard.defer_destroy(segment)
        };
        #[cfg(not(loom))]
        {
            let spares = std::sync::Arc::clone(&self.spares);
            let raw = segment.as_raw() as usize;
            // SAFETY: (1) the caller unlinked the segment, once, so this is its one owner from
            // now on; (2) the epoch runs the function only after every thread pinned now has
            // unpinned, so no walker can still read it when it is reset or freed; (3) the
            // function drops no `T`: a retired segment holds no value (`spares.rs`), and its
            // cells hold `MaybeUninit`, so running it after `T`'s lifetime ended is sound; it
            // owns a reference to the pool, which may outlive the queue.
            unsafe {
                guard.defer_unchecked(move || {
                    let owned = Shared::from(raw as *const Segment<T>).into_owned();
                    spares.put(owned.into_box());
                })
            };
        }
    }

    /// Unlinks every marked segment from the head up to `target` (which the caller marked), so
    /// that `target` is unreachable when this returns.
    fn unlink(&self, target: Shared<'_, Segment<T>>, guard: &Guard) {
        // SAFETY: the caller holds `target` while pinned.
        let target_id = unsafe { Segment::checked(target) }.id;
        'walk: loop {
            let mut link = &self.head;
            // Acquire: pairs with the Release swings of the head and of `next` links.
            let mut current = link.load(Ordering::Acquire, guard);
            loop {
                // SAFETY: reached from the head while pinned (invariant 4).
                let Some(segment) = (unsafe { current.as_ref() }) else {
                    return;
                };
                if segment.id > target_id {
                    return; // someone else unlinked it
                }
                // Acquire: pairs with the Release CAS that linked the successor, and with the
                // AcqRel mark.
                let next = segment.next.load(Ordering::Acquire, guard);
                if next.tag() == MARK {
                    // `segment` is leaving: swing our link past it. AcqRel: Release publishes
                    // the new neighbour to walkers; Acquire on failure lets us restart safely.
                    match link.compare_exchange(
                        current,
                        next.with_tag(0),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                        guard,
                    ) {
                        Ok(_) => {
                            trace_event!(self.tracer(), segment.id, SegmentRetired);
                            // SAFETY: our CAS unlinked it, and a segment is unlinked once (the
                            // link no longer holds it).
                            unsafe { self.retire(current, guard) };
                            if current == target {
                                return;
                            }
                            current = next.with_tag(0);
                            continue;
                        }
                        Err(_) => continue 'walk,
                    }
                }
                link = &segment.next;
                current = next;
            }
        }
    }

    /// Unlinks segments from the front while every side pointer is beyond them (or they were
    /// removed).
    fn advance_head(&self, guard: &Guard) {
        loop {
            // Acquire: pairs with the Release swings of the head.
            let head = self.head.load(Ordering::Acquire, guard);
            // SAFETY: the head is linked, read while pinned.
            let first = unsafe { Segment::checked(head) };
            // Acquire: pairs with the Release CAS that linked the successor.
            let next = first.next.load(Ordering::Acquire, guard);
            if next.with_tag(0).is_null() {
                return;
            }
            let leaving =
                next.tag() == MARK || first.is_removed() || self.all_beyond(first.id, guard);
            if !leaving {
                return;
            }
            // AcqRel: as in `try_remove`. Idempotent if it was marked already.
            let successor = first
                .next
                .fetch_or(MARK, Ordering::AcqRel, guard)
                .with_tag(0);
            // Release: publishes the new head to Acquire loads of `head`.
            if self
                .head
                .compare_exchange(head, successor, Ordering::Release, Ordering::Relaxed, guard)
                .is_ok()
            {
                trace_event!(self.tracer(), first.id, SegmentRetired);
                // SAFETY: our CAS unlinked the old head (nothing else links to it: it was first),
                // once.
                unsafe { self.retire(head, guard) };
            }
        }
    }

    /// Whether every live side pointer refers to a segment with an id above `id`.
    fn all_beyond(&self, id: u64, guard: &Guard) -> bool {
        let beyond = |position: &Position<T>| {
            // Acquire: pairs with the pointer CAS in `move_forward`.
            let segment = position.segment.load(Ordering::Acquire, guard);
            // SAFETY: a position's segment is linked and not freed (invariant 2).
            unsafe { Segment::checked(segment) }.id > id
        };
        beyond(&self.senders)
            && beyond(&self.receivers)
            && (!self.tracks_buffer_end || beyond(&self.buffer_end))
    }

    /// The oldest linked segment (for pictures).
    #[cfg(feature = "trace")]
    pub(crate) fn head<'g>(&self, guard: &'g Guard) -> Shared<'g, Segment<T>> {
        // Acquire: pairs with the Release swings of the head.
        self.head.load(Ordering::Acquire, guard)
    }

    /// Frees every linked segment, calling `visit` on each first. For the destructor.
    ///
    /// # Safety
    ///
    /// No other thread can reach the list (`&mut` access to its owner), and the list is not used
    /// again.
    pub(crate) unsafe fn free_all(&mut self, mut visit: impl FnMut(&Segment<T>)) {
        // SAFETY: exclusive access: no other thread can read or free these segments.
        unsafe {
            let guard = crossbeam_epoch::unprotected();
            // Relaxed: with `&mut`, whatever made this call possible already ordered every other
            // thread's writes before it.
            let mut current = self.head.load(Ordering::Relaxed, guard);
            while let Some(segment) = current.as_ref() {
                let next = segment.next.load(Ordering::Relaxed, guard).with_tag(0);
                visit(segment);
                drop(current.into_owned());
                current = next;
            }
        }
    }
}
