//! `SegmentedDualQueue<T>`: a dual queue in an infinite array of cells, claimed by
//! fetch-and-add: the engine of every channel in this crate.
//!
//! The design is Kotlin's `BufferedChannel` (Koval, Alistarh & Elizarov, "Fast and Scalable
//! Channels in Kotlin Coroutines", PPoPP 2023), itself the shape of Izraelevitz & Scott's MPDQ
//! (TOPC 2017): a dual queue whose nodes are cells of an array instead of list nodes.
//!
//! # Representation
//!
//! An infinite array of cells, cut into segments of `SEG` = 32 cells (2 under loom) that are
//! linked Michael–Scott style and reclaimed with crossbeam-epoch (`segment.rs`). Two counters
//! hand out cells:
//!
//! ```text
//!          cell:  0     1     2     3     4     5     6     7
//!   seg 0: [taken][taken][ v2 ][ v3 ]                       S = 4: senders have claimed 0..4
//!                              ▲                            R = 2: receivers have claimed 0..2
//!                       next receiver claims 2, and takes v2
//!
//!   seg 0: [taken][taken][R t3][R t4]                       S = 2, R = 4: t3 and t4 wait
//!                              ▲
//!                    next sender claims 2, and hands its value to t3
//! ```
//!
//! A send claims cell `s = S++` and a receive cell `r = R++`, each with one fetch-and-add. Cell
//! `i` is shared by exactly one sender and one receiver, whoever comes first: the first to
//! arrive leaves its value (data) or its waiting self (anti-data) there, and the second meets
//! it with one CAS on the cell's state word (`cell.rs`). So senders never compete with
//! receivers for a position, and waiting receivers are served in the order of their claims:
//! **FIFO by construction**, one wake per value.
//!
//! Compared with [`DualQueue`](crate::DualQueue): one allocation per 32 elements instead of
//! one per element, no CAS retry loops on `head`/`tail` (a fetch-and-add cannot fail), and
//! cells that sit next to each other in memory.
//!
//! # Waiting
//!
//! A party at the front of its line that finds no partner first **waits actively** on its own
//! cell, pinned (a sender with its value in the cell, state `SpinSend`; a receiver on the
//! empty cell): it spins, or yields its CPU, as the side's learned waiting policy says
//! (`wait.rs`). A partner that comes meanwhile completes it with one CAS: no allocation, no
//! system call on the partner's side. Then it **parks**: it allocates a [`Waiter`](waiter) (a
//! sender moves its value into it), stores the waiter in the cell, and sleeps unpinned. From
//! then on the waiter's own state word decides the outcome (`waiter.rs`): a timeout is one CAS
//! on the waiter, and a woken thread reads its result from the waiter, not from the segment.
//! Only a party that withdrew goes back to its cell afterwards, to clean it, and only under
//! the rule of invariant 4.
//!
//! # Invariants
//!
//! 1. **One sender and one receiver per cell.** Indices come from fetch-and-adds, so each is
//!    claimed once per side. Every state change of a cell is an edge of the table in `cell.rs`;
//!    terminal states never change.
//! 2. **Values travel in index order.** The value of the `k`-th successful send cell goes to
//!    the receiver of the same cell. A party whose cell is dead (a partner withdrew, or a
//!    receiver poisoned a lagging sender's cell) claims a new cell: it had not taken effect yet.
//!    Only a receive that may not wait poisons a cell; a receive that may wait keeps its cell
//!    whatever its sender does, so no receiver that is in line can lose its place.
//! 3. **No value is lost or duplicated.** The value slot of a cell or waiter is touched by one
//!    thread at a time, as the state word says (the "who may touch" rules of `cell.rs` and
//!    `waiter.rs`); moving it out is always the act of the thread whose CAS decided it.
//! 4. **A parked party never reads its segment** once its waiter is decided, unless no other
//!    party can have reached its cell: neither the partner's counter nor (for a sender of a
//!    bounded queue) the buffer end has reached the index, and no disconnection sweep of its
//!    side has begun, all read while pinned. Then nobody else has finalized the cell, so the
//!    segment is neither removed nor passed (`segment.rs`, invariant 3), and anything that
//!    happens later retires it through the epoch after the pin (`cancel.rs`).
//! 5. **Nothing grows with timeouts.** A withdrawn cell is finalized (by its owner, or by the
//!    partner that meets it) and counted; a segment whose cells are all withdrawn is unlinked
//!    even between live ones, and counters skip over dead segments.
//! 6. **Bounded channels** keep a third counter, the buffer end `B` (starts at the capacity).
//!    A send may leave its value iff its cell is below `B` or below `R + capacity`; each
//!    receive that finishes with its cell moves `B` on by one and releases the sender of cell
//!    `B`, if it is blocked, by moving its value into the buffer. Blocked senders are therefore
//!    released in index order, one per freed slot (Kotlin's `expandBuffer`).
//!
//! # Linearization points
//!
//! * A `push` (and a buffered send): the fetch-and-add that claims its cell, or, if the claim
//!   is retried, the last one. Values leave in claim order.
//! * A `pop` that finds its value: the fetch-and-add of its claim (its cell's value is fixed
//!   from then on). A `try_pop` that returns `None` without claiming: its read of `S` (it read
//!   `R` before, and `R ≥ S`); after a claim, the CAS that withdraws its cell.
//! * A `pop` that must wait has **two** points, as in Scherer & Scott: the *request*, the
//!   fetch-and-add of its final claim (from then on it is in line: no later receiver can be
//!   served first), and the *follow-up*, the CAS of the sender that delivers to it (on the cell
//!   if it spins, on its waiter if it parked). A timed-out wait linearizes at its last read of
//!   `S` before its cancel CAS, which found that no sender had claimed its cell; once one has,
//!   the wait no longer times out (`recv_partner_due`), since later values may already have
//!   gone to later receivers. If a sender wins the cancel race, the value is returned even
//!   past the deadline. A `try_pop` claims only a cell whose sender claimed it first (a CAS
//!   on `R` below `S`), so it never stands in line.
//! * A `transfer` (rendezvous send) that waits: its claim (request), then the receiver's CAS
//!   that takes the value (follow-up); a timed-out one at its last read of `R` (and, bounded,
//!   `B`) before its cancel CAS, after which its value is never delivered; once a receiver has
//!   claimed its cell it no longer times out (`send_partner_due`). A `try_transfer` (and a
//!   bounded `try_send`) claims only a cell whose value may stay (a CAS on `S`), so the
//!   receiver it meets is one that was in line before it.
//!
//! # Progress
//!
//! "Lock-free" is not quite what holds, and this is what does. No operation takes a lock on its
//! path (the front of `front.rs` has one, taken only while a cancelled receive's value is put
//! back or taken out). A claim is a fetch-and-add, which always succeeds. But some steps wait
//! for another thread that is *between two of its own steps*, and would wait for as long as
//! that thread is descheduled:
//!
//! * a receiver, the buffer end or a sweep that finds a sender `Parking` (moving its value from
//!   the cell into its waiter) waits until the waiter is stored;
//! * a receiver that finds a parked sender being released by the buffer end waits until the
//!   value is in the cell (`Buffered`);
//! * a receive that may wait stays with a cell whose sender has claimed it and not yet written
//!   (a `try_recv` waits a bounded number of rounds, then poisons the cell and moves on);
//! * a timed-out wait, or a dropped future, whose partner has claimed its cell waits for that
//!   partner (invariant 2: leaving would serve later parties out of turn);
//! * while a channel closes (`close.rs`): a receive that claimed after the close began, and a
//!   sender that reads `R`'s bit, wait for the closer's next store (where the line stood, the
//!   final `S`); such a receive whose cell holds a waiting sender waits until the closer has
//!   settled it (released into the buffer, or refused); and a waiting sender no longer times
//!   out, since the close settles it.
//!
//! None of these waits for a partner that has not arrived: each waits for one that has already
//! taken the step that commits it, a few instructions from finishing. With every thread
//! scheduled, every operation finishes; a thread stopped for good in one of those windows (by
//! a debugger, say) can hold up the party it shares a cell with, never the rest of the queue.
//!
//! # Memory orderings
//!
//! A value or a waiter is written before the Release CAS (or store) that publishes it in a
//! cell, and read after an Acquire load of the cell; the same holds for a waiter's own state
//! word. The counters use `SeqCst`: a send that reads `B` and `R` after claiming, and a buffer
//! end or receive that reads `S` after claiming, are store-buffering pairs ("claim mine, then
//! read yours"); in the single total order of `SeqCst` operations at least one of the two sees
//! the other, so a blocked sender is never missed by the buffer end that should release it. On
//! x86 a locked read-modify-write is a full barrier already; `sync::loom_sc_fence` adds, under
//! loom only, the fence loom needs to model that.

mod batch;
mod buffer_end;
mod cancel;
mod cell;
mod claim;
mod close;
mod front;
mod recv;
mod segment;
mod send;
#[cfg(not(loom))]
mod spares;
mod waiter;

pub(crate) use claim::SendKind;
// The async futures (`channel/future.rs`) drive operations through these.
#[cfg(feature = "async")]
pub(crate) use claim::{Start, Ticket, Waiting};

use crate::patience::Patience;
use crate::sync::{AtomicU64, Ordering, Timer};
use crate::wait::WaitPolicy;
use cell::{Phase, State};
use claim::COUNT;
use crossbeam_utils::CachePadded;
use segment::List;
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};
use waiter::Outcome;

/// The largest start of the buffer end (see `with_bound`): far below the 63 bits of a counter,
/// so that it never wraps.
const MAX_BUFFER_END_START: u64 = 1 << 62;

/// How many values the queue may hold before a send waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bound {
    /// As many as memory allows (raw queue, `unbounded()`).
    Unbounded,
    /// None: a send waits for its receiver (`rendezvous()`, `bounded(0)`).
    Rendezvous,
    /// Up to this many, at least one (`bounded(n)`).
    Bounded(u64),
}

/// A lock-free, unbounded FIFO queue whose consumers can wait for data, built from cells
/// claimed by fetch-and-add: a **segmented dual queue**.
///
/// It has the same operations and guarantees as [`DualQueue`](crate::DualQueue): a `pop` on
/// an empty queue reserves its place in line and waits there; a `push` hands its value to the
/// oldest waiting consumer and wakes only that thread; [`transfer`](Self::transfer) waits until
/// a consumer has taken the value. Waiting consumers (and waiting `transfer`s) are served in
/// the order they arrived. What differs is the representation: cells in shared 32-cell
/// segments instead of one node per element, which makes it several times faster under load.
/// Every channel of [`dualq::channel`](crate::channel) runs on it.
///
/// # How it works
///
/// An infinite array of cells, cut into segments of 32 that are linked as they are needed and
/// freed (through crossbeam-epoch) once every operation has moved past them. A send claims the
/// next cell with one fetch-and-add on a counter `S`, a receive with one on `R`; cell `i`
/// belongs to the `i`-th send and the `i`-th receive, and whichever comes first leaves its
/// value, or itself waiting, in the cell:
///
/// ```text
///   seg 0: [·][·][D][D][ ][ ]…   S = 4, R = 2: values wait in cells 2 and 3
///   seg 0: [·][·][R t3][R t4][ ]…   S = 2, R = 4: t3 and t4 wait in cells 2 and 3
/// ```
///
/// The second to arrive meets the first with one compare-and-swap on the cell. So waiting
/// consumers are served in the order of their claims (FIFO by construction), one wake per
/// value. A party with nobody to meet spins on its own cell for a moment, then parks; a
/// timed-out one withdraws its cell, and segments whose cells were all withdrawn are unlinked,
/// so memory does not grow with timeouts. The design is Kotlin's channels (Koval, Alistarh &
/// Elizarov, PPoPP 2023); `src/segmented/` states the invariants and linearization points, and
/// the `trace` feature draws the cells after each step.
///
/// # Examples
///
/// ```
/// use dualq::SegmentedDualQueue;
/// use std::sync::Arc;
/// use std::thread;
///
/// let queue = Arc::new(SegmentedDualQueue::new());
/// let consumer = {
///     let queue = Arc::clone(&queue);
///     thread::spawn(move || queue.pop()) // waits: the queue is empty
/// };
/// queue.push(7);
/// assert_eq!(consumer.join().unwrap(), 7);
/// ```
pub struct SegmentedDualQueue<T> {
    /// The segments and the positions of senders, receivers and the buffer end.
    list: List<T>,
    /// Fixed at creation.
    bound: Bound,
    /// Values handed back by cancelled receives, which the next receive takes first.
    front: front::Front<T>,
    /// How a party at the front waits before parking, indexed by `claim::Side`: `[receivers,
    /// senders]`.
    spin: [CachePadded<WaitPolicy>; 2],
    /// Where the line of receivers stood when a close began (`R` then, without its bit):
    /// receivers that claimed below it were in line before the close. [`NOT_CLOSED`] until the
    /// first close publishes it, right after setting `R`'s `GONE` bit (close.rs).
    closed_from: AtomicU64,
    /// `S` when its `GONE` bit was set (without the bit): the final count of senders' claims
    /// that may carry a value (later claims see the bit and leave at once). [`NOT_CLOSED`]
    /// until whoever set the bit publishes it, right after (close.rs).
    sent_at_close: AtomicU64,
    /// The queue owns values of type `T`.
    _values: PhantomData<T>,
}

/// The value of `closed_from` and `sent_at_close` before any close.
const NOT_CLOSED: u64 = u64::MAX;

// SAFETY: values of type `T` move between threads through the queue (which needs `T: Send`);
// the queue never hands out `&T`. Every shared field is atomic, and each value slot is accessed
// by one thread at a time as the cell and waiter protocols decide.
unsafe impl<T: Send> Send for SegmentedDualQueue<T> {}
// SAFETY: as above: `&SegmentedDualQueue<T>` only lets threads move owned `T`s in and out.
unsafe impl<T: Send> Sync for SegmentedDualQueue<T> {}

impl<T> SegmentedDualQueue<T> {
    /// Creates an empty queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = dualq::SegmentedDualQueue::<i32>::new();
    /// assert!(queue.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::with_bound(Bound::Unbounded)
    }

    /// A queue for a channel with the given bound.
    pub(crate) fn with_bound(bound: Bound) -> Self {
        let buffer_end = match bound {
            // The buffer end starts at the capacity and moves on by one per receive: a start
            // near `u64::MAX` (`bounded(usize::MAX)`) would wrap on the first receive. No queue
            // can hold 2^62 values, so a larger capacity starts there and behaves as unbounded;
            // the channel still reports the capacity it was given.
            Bound::Bounded(cap) => Some(cap.min(MAX_BUFFER_END_START)),
            Bound::Unbounded | Bound::Rendezvous => None,
        };
        SegmentedDualQueue {
            list: List::new(buffer_end),
            bound,
            front: front::Front::new(),
            spin: [
                CachePadded::new(WaitPolicy::new()),
                CachePadded::new(WaitPolicy::new()),
            ],
            closed_from: AtomicU64::new(NOT_CLOSED),
            sent_at_close: AtomicU64::new(NOT_CLOSED),
            _values: PhantomData,
        }
    }

    /// Adds `value` at the back of the queue, or hands it to the oldest waiting consumer.
    /// Never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = dualq::SegmentedDualQueue::new();
    /// queue.push(1);
    /// queue.push(2);
    /// assert_eq!(queue.pop(), 1);
    /// ```
    pub fn push(&self, value: T) {
        // A raw queue is never disconnected, so a push cannot fail.
        let result = self.send(value, SendKind::Push, Patience::Async);
        debug_assert!(result.is_ok());
    }

    /// Removes the value at the front, waiting for one if the queue is empty.
    ///
    /// A waiting `pop` is served in the order it started waiting: no later `pop` or `try_pop`
    /// can take a value while it waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = dualq::SegmentedDualQueue::new();
    /// queue.push("hello");
    /// assert_eq!(queue.pop(), "hello");
    /// ```
    pub fn pop(&self) -> T {
        match self.recv(Patience::Wait(Timer::forever())) {
            Ok(value) => value,
            Err(failure) => unreachable!("an untimed pop on a raw queue failed: {failure:?}"),
        }
    }

    /// Removes the value at the front if there is one. Never waits, and never leaves a
    /// reservation behind.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = dualq::SegmentedDualQueue::new();
    /// assert_eq!(queue.try_pop(), None);
    /// queue.push(3);
    /// assert_eq!(queue.try_pop(), Some(3));
    /// ```
    pub fn try_pop(&self) -> Option<T> {
        self.recv(Patience::Now).ok()
    }

    /// Like [`pop`](Self::pop), but gives up after `timeout`, withdrawing its reservation.
    ///
    /// A value is never lost: if a producer hands one over at the moment the wait times out,
    /// it is returned even though the timeout has passed; otherwise it stays in the queue.
    /// Once a producer has claimed this pop's cell, the pop no longer times out: it waits the
    /// few steps that producer needs to store its value (longer only if that thread is
    /// preempted), because values pushed after it may already have gone to later consumers.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let queue = dualq::SegmentedDualQueue::<u8>::new();
    /// assert_eq!(queue.pop_timeout(Duration::from_millis(1)), None);
    /// assert_eq!(queue.waiting_consumers(), 0); // the reservation was withdrawn
    /// ```
    pub fn pop_timeout(&self, timeout: Duration) -> Option<T> {
        self.recv(Patience::timeout(timeout)).ok()
    }

    /// Like [`pop_timeout`](Self::pop_timeout), with a deadline instead of a duration.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let queue = dualq::SegmentedDualQueue::new();
    /// queue.push(5);
    /// assert_eq!(queue.pop_deadline(Instant::now() + Duration::from_secs(1)), Some(5));
    /// ```
    pub fn pop_deadline(&self, deadline: Instant) -> Option<T> {
        self.recv(Patience::until(Some(deadline))).ok()
    }

    /// Hands `value` to a consumer and waits until one has taken it (a synchronous handoff).
    ///
    /// If consumers wait, the oldest receives `value` at once and `transfer` returns.
    /// Otherwise `value` takes its place in line like a [`push`](Self::push), and the producer
    /// waits until a consumer takes it. Waiting producers are served in the order they
    /// arrived, in line with values pushed before and after them.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let queue = Arc::new(dualq::SegmentedDualQueue::new());
    /// let producer = {
    ///     let queue = Arc::clone(&queue);
    ///     std::thread::spawn(move || queue.transfer(42)) // returns once 42 was taken
    /// };
    /// assert_eq!(queue.pop(), 42);
    /// producer.join().unwrap();
    /// ```
    pub fn transfer(&self, value: T) {
        if let Err((_, failure)) =
            self.send(value, SendKind::Transfer, Patience::Wait(Timer::forever()))
        {
            unreachable!("an untimed transfer on a raw queue failed: {failure:?}");
        }
    }

    /// Hands `value` to a consumer that is already waiting, or gives it back. Never leaves it
    /// in the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = dualq::SegmentedDualQueue::new();
    /// assert_eq!(queue.try_transfer(1), Err(1)); // nobody waits
    /// assert!(queue.is_empty());
    /// ```
    pub fn try_transfer(&self, value: T) -> Result<(), T> {
        self.send(value, SendKind::Transfer, Patience::Now)
            .map_err(|(value, _)| value)
    }

    /// Like [`transfer`](Self::transfer), but gives up after `timeout`: the value is withdrawn
    /// and returned, and it is never also delivered. Once a consumer has claimed this
    /// transfer's cell, it no longer times out: that consumer takes the value within a few
    /// steps (as in [`pop_timeout`](Self::pop_timeout)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let queue = dualq::SegmentedDualQueue::new();
    /// assert_eq!(queue.transfer_timeout("x", Duration::from_millis(1)), Err("x"));
    /// assert!(queue.is_empty()); // withdrawn
    /// ```
    pub fn transfer_timeout(&self, value: T, timeout: Duration) -> Result<(), T> {
        self.send(value, SendKind::Transfer, Patience::timeout(timeout))
            .map_err(|(value, _)| value)
    }

    /// Like [`transfer_timeout`](Self::transfer_timeout), with a deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// let queue = dualq::SegmentedDualQueue::new();
    /// assert_eq!(queue.transfer_deadline(9, Instant::now()), Err(9));
    /// ```
    pub fn transfer_deadline(&self, value: T, deadline: Instant) -> Result<(), T> {
        self.send(value, SendKind::Transfer, Patience::until(Some(deadline)))
            .map_err(|(value, _)| value)
    }

    /// How many values the queue holds right now, including values whose producers wait in
    /// [`transfer`](Self::transfer).
    ///
    /// A snapshot that looks at every cell between the two counters: O(n), and other threads
    /// may change the count while it is taken. Meant for monitoring and tests, not for
    /// synchronisation. (The channels' `len` is O(1).)
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = dualq::SegmentedDualQueue::new();
    /// queue.push('a');
    /// queue.push('b');
    /// assert_eq!(queue.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.census().values + self.front.len()
    }

    /// Whether the queue holds no value right now (consumers may be waiting). A snapshot;
    /// O(1) when no producer is ahead of the consumers, else like [`len`](Self::len).
    pub fn is_empty(&self) -> bool {
        let (sent, received) = self.counters();
        self.front.len() == 0 && (sent <= received || self.census().values == 0)
    }

    /// O(1), for the channels' `len`: the cells claimed by producers and not yet by consumers,
    /// less the withdrawn sends among them (values buffered, sends in flight, and blocked
    /// senders), and the values handed back to the front by cancelled receives.
    pub(crate) fn cells_and_front(&self) -> (usize, usize) {
        let (sent, received) = self.counters();
        let cells = sent
            .saturating_sub(received)
            .saturating_sub(self.withdrawn_sends_ahead());
        (cells as usize, self.front.len())
    }

    /// How many consumers are waiting right now: consumers in line whose reservation has not
    /// been withdrawn.
    ///
    /// A snapshot that looks at every cell between the two counters: O(n). For monitoring and
    /// tests, not for synchronisation.
    pub fn waiting_consumers(&self) -> usize {
        self.census().consumers
    }

    /// How many producers are waiting in [`transfer`](Self::transfer) right now.
    ///
    /// A snapshot, O(n), like [`waiting_consumers`](Self::waiting_consumers).
    pub fn waiting_producers(&self) -> usize {
        self.census().producers
    }

    /// Whether a consumer is waiting right now (a snapshot, O(1)).
    pub fn has_waiting_consumer(&self) -> bool {
        let (sent, received) = self.counters();
        received > sent && self.waiting_consumers() > 0
    }

    /// Counts the values and the live waiters between the two counters.
    fn census(&self) -> Census {
        let guard = &crossbeam_epoch::pin();
        // Acquire (both): pair with the pointer CAS in `List::move_forward`. Read before the
        // counters, each pointer is at or before the segment of the cell its counter names
        // (segment.rs, invariant 3).
        let receivers_segment = self.list.receivers.segment.load(Ordering::Acquire, guard);
        let senders_segment = self.list.senders.segment.load(Ordering::Acquire, guard);
        let (sent, received) = self.counters();
        let mut census = Census::default();
        if sent > received {
            // Cells claimed by producers only: values, waiting producers, sends in flight. A
            // send in flight (`Empty` or `InBuffer`: no value written yet) is not counted: its
            // value is not in the queue yet, and a `try_pop` racing it may find nothing.
            // Counted, it made `is_empty()` say false while nothing could be popped (a history
            // the linearizability test rejected).
            self.for_each_cell(receivers_segment, received, sent, guard, |at| {
                let live = match at.cell.load().decode::<T>() {
                    State::Phase(Phase::Buffered) => {
                        census.values += 1;
                        false
                    }
                    State::Phase(Phase::SpinSend | Phase::Parking) => true,
                    // SAFETY: the cell's reference keeps the waiter alive while we are pinned
                    // (it is released through the epoch).
                    State::Sender(waiter) => unsafe { &*waiter }.state() == Outcome::Waiting,
                    _ => false,
                };
                census.values += usize::from(live);
                census.producers += usize::from(live);
            });
        } else {
            // Cells claimed by consumers only: consumers spinning, parked, or on their way.
            self.for_each_cell(senders_segment, sent, received, guard, |at| {
                census.consumers += usize::from(match at.cell.load().decode::<T>() {
                    State::Phase(Phase::Empty) => true,
                    // SAFETY: as above.
                    State::Receiver(waiter) => unsafe { &*waiter }.state() == Outcome::Waiting,
                    _ => false,
                });
            });
        }
        census
    }

    /// The senders' and receivers' counters, `S` then `R`, without their flags.
    fn counters(&self) -> (u64, u64) {
        // Relaxed (both): a snapshot for monitoring; nothing is read through it.
        let received = self.list.receivers.counter.load(Ordering::Relaxed) & COUNT;
        let sent = self.list.senders.counter.load(Ordering::Relaxed) & COUNT;
        (sent, received)
    }

    /// Where steps are recorded (feature `trace`; records nothing otherwise).
    #[inline(always)]
    #[cfg_attr(not(feature = "trace"), allow(dead_code))]
    pub(crate) fn tracer(&self) -> crate::trace::Tracer<'_> {
        self.list.tracer()
    }

    /// The bound the queue was created with.
    pub(crate) fn bound(&self) -> Bound {
        self.bound
    }
}

#[cfg(feature = "trace")]
impl<T> SegmentedDualQueue<T> {
    /// The queue's event log (feature `trace`): every step every operation took, by cell.
    pub fn trace(&self) -> &crate::trace::Trace {
        &self.list.trace
    }

    /// Draws the live segments and the counters as they are now (feature `trace`), for
    /// example `seg 0: [·][·][D][D][r][R t3][ ]×26 | S=4 R=6`.
    ///
    /// A cell shows what is in it: `[ ]` nobody yet, `[D]` a value waiting for its receiver,
    /// `[·]` a value delivered, `[s]` a sender spinning with its value, `[S t1]` a sender parked
    /// with its value (thread `t1`), `[r]` a receiver in line that has not parked (spinning, or
    /// about to), `[R t3]` a parked receiver, `[b]` room the buffer end made before the sender
    /// came, `[x]` withdrawn, `[p]` poisoned, `[c]` closed; `[ ]×26`: 26 cells nobody has
    /// reached yet. `S` and `R` count the cells senders
    /// and receivers have claimed (`B`, the buffer end, for a bounded channel). A snapshot: other
    /// threads may change the cells while it is drawn.
    pub fn picture(&self) -> String {
        let guard = &crossbeam_epoch::pin();
        let (sent, received) = self.counters();
        let mut picture = String::new();
        let mut current = self.list.head(guard);
        // SAFETY: every segment reached from the head while pinned stays allocated.
        while let Some(segment) = unsafe { current.as_ref() } {
            if !picture.is_empty() {
                picture.push_str(" | ");
            }
            picture.push_str(&format!("seg {}: ", segment.id));
            let mut labels = Vec::with_capacity(segment.cells.len());
            for (index, cell) in (segment.start()..).zip(&segment.cells) {
                let name = |waiter: *const waiter::Waiter<T>| {
                    // SAFETY: a waiter in a cell is kept alive by the cell's reference, released
                    // only through the epoch, and we are pinned.
                    unsafe { &*waiter }.thread_name().unwrap_or_default()
                };
                let label = match cell.load().decode::<T>() {
                    State::Phase(Phase::Empty) if index < received && index >= sent => {
                        "[r]".to_owned()
                    }
                    State::Phase(Phase::Empty) => "[ ]".to_owned(),
                    State::Phase(Phase::Buffered) if index >= received => "[D]".to_owned(),
                    State::Phase(Phase::Buffered | Phase::Taken) => "[·]".to_owned(),
                    State::Phase(Phase::SpinSend | Phase::Parking) => "[s]".to_owned(),
                    State::Phase(Phase::InBuffer) => "[b]".to_owned(),
                    State::Phase(Phase::CancelledRecv | Phase::CancelledSend) => "[x]".to_owned(),
                    State::Phase(Phase::Poisoned) => "[p]".to_owned(),
                    State::Phase(Phase::Closed) => "[c]".to_owned(),
                    State::Receiver(waiter) => format!("[R {}]", name(waiter)),
                    State::Sender(waiter) => format!("[S {}]", name(waiter)),
                };
                labels.push(label);
            }
            // A run of untouched cells at the end is drawn once, with its length.
            let untouched = labels.iter().rev().take_while(|l| *l == "[ ]").count();
            if untouched > 2 {
                labels.truncate(labels.len() - untouched);
                labels.push(format!("[ ]×{untouched}"));
            }
            picture.push_str(&labels.concat());
            // Acquire: pairs with the Release CAS that linked the successor.
            current = segment.next.load(Ordering::Acquire, guard).with_tag(0);
        }
        picture.push_str(&format!(" | S={sent} R={received}"));
        if let Bound::Bounded(_) = self.bound {
            // Relaxed: a snapshot for a picture.
            let end = self.list.buffer_end.counter.load(Ordering::Relaxed);
            picture.push_str(&format!(" B={end}"));
        }
        picture
    }
}

/// What a census counted.
#[derive(Default)]
struct Census {
    /// Values held (buffered, or with a waiting producer, or being sent).
    values: usize,
    /// Consumers waiting.
    consumers: usize,
    /// Producers waiting in `transfer`.
    producers: usize,
}

impl<T> Default for SegmentedDualQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for SegmentedDualQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sent, received) = self.counters();
        f.debug_struct("SegmentedDualQueue")
            .field("sent", &sent)
            .field("received", &received)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
impl<T> SegmentedDualQueue<T> {
    /// The waiting policies `[receivers, senders]`, for the policy's tests (`wait.rs`).
    pub(crate) fn wait_policies(&self) -> [&WaitPolicy; 2] {
        [&self.spin[0], &self.spin[1]]
    }
}
