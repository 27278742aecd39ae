//! Fair multi-producer multi-consumer channels, shaped like `std::sync::mpsc` and
//! crossbeam-channel, on a [`SegmentedDualQueue`]: cells claimed by fetch-and-add. For
//! threads and async tasks alike ([Async tasks](#async-tasks)).
//!
//! * [`unbounded`] (std's [`channel`]): `send` never blocks.
//! * [`bounded`]`(n)` (std's [`sync_channel`]): up to `n` values wait in the channel; a `send`
//!   beyond that blocks until a receive frees a slot. `bounded(0)` is [`rendezvous`].
//! * [`rendezvous`]: capacity zero; `send` waits until a receiver has taken the value.
//!
//! Both ends can be cloned: any number of senders and receivers. Method names, error types and
//! error texts follow `std::sync::mpsc`, so switching is a change of import
//! (`use dualq::channel as mpsc;`):
//!
//! ```
//! use dualq::channel::{unbounded, RecvTimeoutError};
//! use std::time::Duration;
//!
//! let (tx, rx) = unbounded();
//! std::thread::spawn(move || tx.send("ping").unwrap());
//! assert_eq!(rx.recv(), Ok("ping"));
//! // The sender is gone and the channel is empty: no value can ever arrive.
//! assert_eq!(rx.recv_timeout(Duration::from_secs(1)), Err(RecvTimeoutError::Disconnected));
//! ```
//!
//! # Fairness
//!
//! This is the reason to pick these channels. Each send and each receive claims a numbered cell
//! with one fetch-and-add; the `k`-th value goes to the `k`-th receiver. A receiver that finds
//! no value waits in its cell, and the send that claims that cell hands its value straight to it
//! and wakes exactly that receiver. So:
//!
//! * **blocked receivers are served in the order they blocked**: no receiver can barge in ahead
//!   of one that is already waiting, however fast it loops;
//! * **one send wakes one receiver**: no thundering herd, no receiver woken for nothing;
//! * **blocked senders are served in the order they blocked**, in rendezvous and bounded
//!   channels alike: each receive that frees a slot releases the oldest blocked sender, with one
//!   wake, and its value enters the buffer in its turn.
//!
//! Channels whose receivers wait on a condition variable or a waker list and then race for the
//! value let a receiver that is already running take message after message while others sleep.
//! The crate's comparison report (`cargo run --release --example compare`) measures this.
//!
//! # Disconnection
//!
//! When the last [`Sender`] is dropped, receivers first drain what is left, then get
//! `Disconnected`; receivers blocked at that moment wake at once. When the last [`Receiver`] is
//! dropped, sends fail and return their value in the error, blocked senders wake with their
//! value back, and values still in the channel are dropped before that drop returns: no value
//! whose `send` returned `Ok` stays inside. Every value is delivered exactly once or dropped
//! exactly once, also when a value's `drop` panics (the others are still dropped, then the
//! panic continues).
//!
//! ```
//! use dualq::channel::{rendezvous, SendError};
//!
//! let (tx, rx) = rendezvous::<String>();
//! drop(rx);
//! assert_eq!(tx.send("lost?".to_string()), Err(SendError("lost?".to_string())));
//! ```
//!
//! ## Closing without dropping a handle
//!
//! [`Sender::close`] and [`Receiver::close`] close the channel while every handle stays alive:
//! from then on no send succeeds (the value comes back in the error), receivers take what was
//! sent before and then see the disconnection, a receiver waiting with nothing left wakes with
//! `RecvError`, and a sender waiting for room or for a receiver gets its value back, unless
//! the receivers already in line made room for it or take it. `close` returns true for the
//! call that closed the channel. [`is_closed`](Sender::is_closed) (tokio's and
//! async-channel's name) and [`is_disconnected`](Sender::is_disconnected) (flume's) say
//! whether no send can succeed any more: closed, or a side gone. With `async`,
//! [`Sender::closed`] is a future that is ready from then on. The last sender's drop closes the
//! channel the same way.
//!
//! ```
//! use dualq::channel::{bounded, RecvError};
//!
//! let (tx, rx) = bounded(8);
//! tx.send("accepted").unwrap();
//! rx.close(); // stop the producers, keep what they sent
//! assert!(tx.send("refused").is_err());
//! assert_eq!(rx.recv(), Ok("accepted"));
//! assert_eq!(rx.recv(), Err(RecvError));
//! ```
//!
//! # Async tasks
//!
//! With the cargo feature `async` (on by default) both ends also serve async tasks, on any
//! runtime (only `std::task::Waker` is used): [`Sender::send_async`] and
//! [`Receiver::recv_async`] return futures, [`Receiver::stream`] is a `futures_core::Stream`
//! of the values, [`Sender::sink`] a `futures_sink::Sink`; the `into_*` forms own their handle
//! and are `'static`, so they can be spawned. All of them are `Send` when `T` is, and `Unpin`.
//!
//! Threads and tasks share one channel, and **one line**: a task waiting in `recv_async` claims
//! its cell exactly as a blocked `recv` does, so blocked threads and waiting tasks are served
//! in the order they started waiting, and each send wakes exactly one of them (a thread is
//! unparked, a task's waker woken). The same holds for senders waiting on a full bounded or a
//! rendezvous channel.
//!
//! ```
//! use dualq::channel::bounded;
//! use futures::executor::block_on;
//!
//! let (requests, worker_rx) = bounded::<u32>(4);
//! let (worker_tx, replies) = bounded::<u32>(4);
//! // A plain thread serves requests that async code sends.
//! let worker = std::thread::spawn(move || {
//!     for n in worker_rx {
//!         worker_tx.send(n * n).unwrap();
//!     }
//! });
//! block_on(async {
//!     for n in 1..=3 {
//!         requests.send_async(n).await.unwrap();
//!         assert_eq!(replies.recv_async().await, Ok(n * n));
//!     }
//! });
//! drop(requests); // the worker's loop ends
//! worker.join().unwrap();
//! ```
//!
//! A future that can finish at once (a value is there, there is room, a receiver waits) does
//! so on its first poll, and registers nothing and allocates nothing. Otherwise it parks once:
//! one allocation, a waiter that holds a clone of the task's waker. Later polls allocate
//! nothing, and clone the waker again only if the task's waker changed; a future polled again
//! with a new waker is woken through the new one.
//!
//! ## Cancellation
//!
//! Dropping a future is how a task stops waiting (a `select!` that picks another branch, a
//! timeout, an aborted task). It is decided by the same compare-and-swap that decides a
//! timed-out `recv_timeout` against the send that reaches it, so exactly one of them wins:
//!
//! * A dropped [`RecvFut`] (or a [`RecvStream`] dropped while it waits for an item) **is a
//!   no-op**: it loses no value and reorders none. If it withdrew in time, the next value goes
//!   to the next receiver in line. If a value had already been handed to it, that value goes
//!   back to the **front** of the channel: the next receive gets it, before anything sent
//!   later, whether or not senders remain (it is dropped only with the channel, like every
//!   other value), and receivers already waiting get it first, oldest first. So one producer's
//!   values keep their order through any number of cancellations, on every flavor, and the
//!   `tokio::select!` loop over several channels loses nothing. While a handed-back value
//!   waits at the front it counts in [`len`](Receiver::len); it never took a slot of a bounded
//!   channel's buffer, so the channel may hold one value more than its capacity until it is
//!   received. One corner: with several receivers, a receive that runs at the very moment of
//!   the drop (it claimed its place before the value came back) may be served a later value
//!   first.
//! * A dropped future whose partner has already claimed its place (a sender about to hand it a
//!   value, or a receiver about to take its value) does not withdraw: the drop waits the few
//!   steps that partner needs, as a timed-out `recv_timeout` or `send_timeout` does, so no one
//!   behind it in line is served out of turn.
//! * A dropped [`SendFut`] **withdraws its value**, which is dropped with the future, unless a
//!   receiver has already taken it (or, on a bounded channel, it already has its room), in
//!   which case the send simply happened. Never both.
//! * A [`SendSink`] dropped while its send waits withdraws it in the same way; a value given to
//!   `start_send` that was never polled is dropped unsent (on a bounded or rendezvous channel:
//!   flush a sink before dropping it). On an unbounded channel `start_send` sends at once.
//!
//! ## Forgotten futures
//!
//! A future that is `mem::forget`-ten while it waits is never withdrawn, and the channel does
//! not wait for it:
//!
//! * a forgotten **receive** keeps its place in line. The value that reaches it is never
//!   received, and never dropped (it is leaked with the forgotten future); every receiver
//!   behind it is served as usual, so one forgotten future costs one value, never a stuck
//!   channel.
//! * a forgotten **send** still delivers its value when a receiver (or room in a bounded
//!   channel) reaches it; if every receiver goes first, the value is leaked with the future.
//!
//! # What `try_send` promises on a bounded channel
//!
//! `try_send` on a bounded channel succeeds when fewer than `n` values are ahead of the
//! receivers, counting the cells senders have claimed and receivers have not: it never lets
//! the channel hold more than `n` values. It may report `Full` although a slot is about to be
//! free: while a receive that has claimed its value is still finishing, or while a cell whose
//! send was withdrawn (a timed-out `send_timeout`, a failed `try_send`) still counts until a
//! receiver passes it. With no operation in flight and fewer than `n` values buffered, it
//! always succeeds. (Kotlin's channels, whose algorithm this is, make the same exception.) And
//! a `try_send` never slips in ahead of senders blocked on a full channel: a receive that frees
//! a slot gives it to the oldest blocked sender at once.
//!
//! # Coming from `std::sync::mpsc` or crossbeam-channel
//!
//! Code written for std compiles and runs after `use dualq::channel as mpsc;` (the crate's
//! `tests/std_compat.rs` runs the same std programs against both). From crossbeam-channel, the
//! constructors and methods have the same names.
//!
//! | `std::sync::mpsc` | crossbeam-channel | `dualq::channel` |
//! | --- | --- | --- |
//! | `channel()` | `unbounded()` | [`channel`], [`unbounded`] |
//! | `sync_channel(n)`, `sync_channel(0)` | `bounded(n)`, `bounded(0)` | [`sync_channel`], [`bounded`]; `bounded(0)` is [`rendezvous`] |
//! | `Sender`, `SyncSender` | `Sender` | [`Sender`]; [`SyncSender`] is an alias of it |
//! | `Receiver` (not `Clone`) | `Receiver` | [`Receiver`] (`Clone`, `Sync`) |
//! | `send`, `try_send` (`SyncSender` only), `recv`, `try_recv`, `recv_timeout` | same | same, on every sender |
//! | `send_timeout`, `recv_deadline` (unstable) | `send_timeout`, `send_deadline`, `recv_deadline` | same |
//! | `iter`, `try_iter`, `into_iter` | same | same |
//! | the error types | same names and variants | std's names, variants, `Display` and `Debug` texts |
//! | — | `len`, `is_empty`, `is_full`, `capacity`, `same_channel` | same (see the differences below) |
//! | — | — | `send_async`, `recv_async`, `stream`, `sink` (feature `async`) |
//! | — | `select!`, `Select`, `after`, `tick`, `never` | not available |
//! | — | — | the handle methods of flume, tokio and async-channel ([below](#coming-from-flume-tokio-or-async-channel)) |
//!
//! **Drop the `Mutex`.** std's receiver cannot be cloned, so std code shares it as
//! `Arc<Mutex<Receiver<T>>>`. That still compiles here, but then the mutex decides which waiting
//! thread gets the next value, as with std, and the fairness that is the reason to switch is
//! lost: in the crate's `worker_pool` example (8 workers, 1200 jobs, 2 cores) the shares were
//! 12.5 % each (Jain 1.000) with cloned receivers and 8.9–14.0 % (Jain 0.985) with the mutex
//! kept. Clone the receiver instead: `let rx = rx.clone();` in each worker.
//!
//! Differences worth knowing:
//!
//! * Receivers are `Clone` and `Sync`; every value goes to exactly one receiver, and waiting
//!   receivers (threads and async tasks) are served in the order they started waiting.
//! * Blocked senders of a bounded or rendezvous channel are served in the order they blocked.
//!   std and crossbeam wake a sender that must race again for the slot.
//! * [`Sender::len`] is O(1) and counts what senders have claimed and receivers have not: a
//!   send still in flight counts, and so does a send withdrawn from a full bounded channel (a
//!   timed-out `send_timeout`) until a receiver passes its place. A rendezvous channel's `len`
//!   is 0 and `is_full` is true, as in crossbeam.
//! * When the last [`Receiver`] is dropped, the values still inside are dropped at once, not
//!   when the last sender goes too.
//! * `SyncSender` is the same type as `Sender`: a trait implemented for both std types
//!   conflicts here (E0119); implement it once.
//! * A thread that blocked in a channel operation may, rarely, find one early return in its
//!   next `std::thread::park()` (a stray unpark token; see the crate docs, "Memory and
//!   waiting").
//! * The raw structures ([`DualQueue`](crate::DualQueue), [`DualStack`](crate::DualStack),
//!   [`SegmentedDualQueue`]) cannot be closed: a `pop` waits forever once every producer is
//!   gone. Use a channel when consumers must learn that no value will come.
//!
//! # Coming from flume, tokio or async-channel
//!
//! The handle methods those crates' users reach for are here under their names. The async
//! operations keep flume's names (`send_async`, `recv_async`): `send` and `recv` are the
//! blocking calls of std, so a tokio program writes `tx.send_async(v).await` where it wrote
//! `tx.send(v).await`.
//!
//! | flume | tokio `mpsc` | async-channel | `dualq::channel` |
//! | --- | --- | --- | --- |
//! | `unbounded()`, `bounded(n)` | `unbounded_channel()`, `channel(n)` | `unbounded()`, `bounded(n)` | [`unbounded`], [`bounded`] |
//! | `send_async`, `recv_async`, `stream`, `sink` | `send(v).await`, `recv().await` | `send(v).await`, `recv().await` | [`Sender::send_async`], [`Receiver::recv_async`], [`Receiver::stream`], [`Sender::sink`] |
//! | `is_disconnected` | `is_closed` | `is_closed` | [`Sender::is_disconnected`], [`Sender::is_closed`] (the same answer), on both ends |
//! | `sender_count`, `receiver_count` | `strong_count` | `sender_count`, `receiver_count` | [`Sender::sender_count`], [`Sender::receiver_count`], on both ends |
//! | `Sender::downgrade`, `WeakSender::upgrade` | same | same | [`Sender::downgrade`], [`WeakSender::upgrade`] |
//! | `drain` | — | — | [`Receiver::drain`] |
//! | — | `Receiver::close` | `close` on either end (returns whether it closed) | [`Sender::close`], [`Receiver::close`] (return whether they closed) |
//! | — | `Sender::closed().await` | — | [`Sender::closed`] |
//! | — | `recv_many(&mut buf, limit).await` | — | [`Receiver::recv_many`], [`Receiver::recv_many_async`] |
//!
//! Differences worth knowing:
//!
//! * `close` closes the channel for both sides, from either end: senders are refused at once;
//!   receivers drain, then see the disconnection. tokio's closes from the receiver only.
//! * A [`WeakSender`] upgrades while any sender is alive, also on a closed channel (its sends
//!   are then refused), as tokio's does; once every sender is gone, never again.
//! * `drain` takes, at once and in order, the values of the sends that began before it, also
//!   those of senders blocked on a full channel (it releases them as it makes room).

#[cfg(feature = "async")]
mod closed;
mod error;
#[cfg(feature = "async")]
mod future;
mod handles;
#[cfg(feature = "async")]
mod stream;

#[cfg(feature = "async")]
pub use closed::{ClosedFut, RecvManyFut};
pub use error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
#[cfg(feature = "async")]
pub use future::{RecvFut, SendFut};
pub use handles::{Drain, WeakSender};
#[cfg(feature = "async")]
pub use stream::{RecvStream, SendSink};

use crate::patience::{Failure, Patience};
use crate::segmented::{Bound, SendKind};
use crate::sync::{Arc, AtomicUsize, Ordering, Timer};
use crate::SegmentedDualQueue;
use std::fmt;
use std::time::{Duration, Instant};

/// Creates a channel of unbounded capacity: `send` never blocks.
///
/// # Examples
///
/// ```
/// let (tx, rx) = dualq::channel::unbounded();
/// for i in 0..3 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// assert_eq!(rx.iter().collect::<Vec<_>>(), [0, 1, 2]);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    Channel::open(Bound::Unbounded)
}

/// Creates a channel that holds up to `cap` values: a `send` beyond that waits until a receive
/// frees a slot. Blocked senders are released in the order they blocked, one per freed slot.
/// `bounded(0)` is [`rendezvous`]: each send waits for its receiver.
///
/// # Examples
///
/// ```
/// use dualq::channel::{bounded, TrySendError};
///
/// let (tx, rx) = bounded(2);
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// assert!(tx.is_full());
/// assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
/// assert_eq!(rx.recv(), Ok(1));
/// tx.try_send(3).unwrap(); // the receive freed a slot
/// assert_eq!(rx.iter().take(2).collect::<Vec<_>>(), [2, 3]);
/// ```
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    if cap == 0 {
        Channel::open(Bound::Rendezvous)
    } else {
        Channel::open(Bound::Bounded(cap as u64))
    }
}

/// Creates a channel of capacity zero: each `send` waits until a receiver has taken its value.
///
/// # Examples
///
/// ```
/// use dualq::channel::{rendezvous, TrySendError};
///
/// let (tx, rx) = rendezvous();
/// assert_eq!(tx.try_send(1), Err(TrySendError::Full(1))); // no receiver waits
/// let handle = std::thread::spawn(move || tx.send(2)); // waits for the receiver
/// assert_eq!(rx.recv(), Ok(2));
/// handle.join().unwrap().unwrap();
/// ```
pub fn rendezvous<T>() -> (Sender<T>, Receiver<T>) {
    Channel::open(Bound::Rendezvous)
}

/// std's name for [`unbounded`]: `use dualq::channel as mpsc;` keeps `mpsc::channel()` working.
///
/// # Examples
///
/// ```
/// use dualq::channel as mpsc;
///
/// let (tx, rx) = mpsc::channel();
/// std::thread::spawn(move || tx.send(10).unwrap());
/// assert_eq!(rx.recv().unwrap(), 10);
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    unbounded()
}

/// std's name for [`bounded`]: `mpsc::sync_channel(n)` keeps working after
/// `use dualq::channel as mpsc;`. `sync_channel(0)` is a rendezvous channel, as in std.
///
/// # Examples
///
/// ```
/// use dualq::channel as mpsc;
///
/// let (tx, rx) = mpsc::sync_channel(1);
/// tx.send(1).unwrap(); // fits in the buffer
/// std::thread::spawn(move || tx.send(2).unwrap()); // waits until the first is received
/// assert_eq!(rx.recv().unwrap(), 1);
/// assert_eq!(rx.recv().unwrap(), 2);
/// ```
pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    bounded(bound)
}

/// std's name for the sending half of a [`sync_channel`]. Every dualq [`Sender`] is one type,
/// whatever the channel's capacity, so this is an alias.
pub type SyncSender<T> = Sender<T>;

/// The state both ends share.
struct Channel<T> {
    /// The values, the blocked receivers and the blocked senders, in line.
    queue: SegmentedDualQueue<T>,
    /// Live `Sender` handles; the last one to go disconnects the receiving side.
    senders: AtomicUsize,
    /// Live `Receiver` handles; the last one to go disconnects the sending side.
    receivers: AtomicUsize,
    /// The tasks waiting in `Sender::closed`, woken when the channel closes.
    #[cfg(feature = "async")]
    closed_wakers: closed::ClosedWakers,
}

impl<T> Channel<T> {
    fn open(bound: Bound) -> (Sender<T>, Receiver<T>) {
        let channel = Arc::new(Channel {
            queue: SegmentedDualQueue::with_bound(bound),
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
            #[cfg(feature = "async")]
            closed_wakers: closed::ClosedWakers::default(),
        });
        (
            Sender {
                channel: Arc::clone(&channel),
            },
            Receiver { channel },
        )
    }

    /// What a send waits for on this channel.
    fn send_kind(&self) -> SendKind {
        match self.queue.bound() {
            Bound::Unbounded => SendKind::Push,
            Bound::Rendezvous => SendKind::Transfer,
            Bound::Bounded(_) => SendKind::Room,
        }
    }

    fn send(&self, value: T, patience: Patience) -> Result<(), (T, Failure)> {
        #[cfg(dualq_barging)]
        let value = match self.barge(value, &patience) {
            Ok(()) => return Ok(()),
            Err(value) => value,
        };
        self.queue.send(value, self.send_kind(), patience)
    }

    /// An experiment, not the channel (built only with `--cfg dualq_barging`): a blocking send
    /// on a bounded channel first retries `try_send` under a short backoff, as crossbeam's
    /// senders do, and takes a slot that frees up meanwhile *ahead of the senders already
    /// blocked in line*; only then does it join the line. `benches/README.md` measures it
    /// beside the real channel to show what keeping blocked senders in order costs.
    #[cfg(dualq_barging)]
    fn barge(&self, mut value: T, patience: &Patience) -> Result<(), T> {
        if self.send_kind() != SendKind::Room || !matches!(patience, Patience::Wait(_)) {
            return Err(value);
        }
        let backoff = crossbeam_utils::Backoff::new();
        loop {
            match self.queue.send(value, SendKind::Room, Patience::Now) {
                Ok(()) => return Ok(()),
                Err((back, _)) => value = back,
            }
            if backoff.is_completed() {
                return Err(value);
            }
            backoff.snooze();
        }
    }

    /// Values in the channel right now: buffered ones (blocked senders' values are not in the
    /// channel yet: at most the capacity), and values handed back by cancelled receives.
    fn len(&self) -> usize {
        let (cells, front) = self.queue.cells_and_front();
        front
            + match self.queue.bound() {
                Bound::Unbounded => cells,
                Bound::Rendezvous => 0,
                Bound::Bounded(cap) => cells.min(cap as usize),
            }
    }

    fn capacity(&self) -> Option<usize> {
        match self.queue.bound() {
            Bound::Unbounded => None,
            Bound::Rendezvous => Some(0),
            Bound::Bounded(cap) => Some(cap as usize),
        }
    }

    fn is_full(&self) -> bool {
        self.capacity().is_some_and(|cap| self.len() >= cap)
    }

    /// Gives up one sender handle's count; the last one disconnects the receiving side.
    fn release_sender(&self) {
        // AcqRel: each sender's Release decrement orders its sends before the last sender's
        // Acquire, so the disconnection below comes after every send (receivers drain them all).
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.queue.close();
        }
    }
}

/// The sending half of a channel. Clone it for more producers.
pub struct Sender<T> {
    channel: Arc<Channel<T>>,
}

/// The receiving half of a channel. Clone it for more consumers: each value goes to exactly
/// one receiver, and blocked receivers are served in the order they blocked.
pub struct Receiver<T> {
    channel: Arc<Channel<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`. On an unbounded channel it never blocks; on a bounded one it waits while
    /// the channel is full; on a rendezvous channel it waits until a receiver has taken the
    /// value.
    ///
    /// Fails, giving the value back, if every receiver is gone (also if the last one goes
    /// while the send waits).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = dualq::channel::unbounded();
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.channel
            .send(value, Patience::Wait(Timer::forever()))
            .map_err(|(value, _)| SendError(value))
    }

    /// Sends `value` without blocking: `Full` if a bounded channel is full (see the
    /// [module docs](self) for exactly when) or if no receiver waits on a rendezvous channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use dualq::channel::{unbounded, TrySendError};
    /// let (tx, rx) = unbounded();
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// drop(rx);
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Disconnected(2)));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.channel
            .send(value, Patience::Now)
            .map_err(|(value, failure)| match failure {
                Failure::Disconnected => TrySendError::Disconnected(value),
                Failure::NoPartner | Failure::TimedOut => TrySendError::Full(value),
            })
    }

    /// Like [`send`](Self::send), but gives up after `timeout`, withdrawing the value, which is
    /// then never delivered. A send that would not block (unbounded, or room in a bounded
    /// channel) ignores the timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use dualq::channel::{rendezvous, SendTimeoutError};
    /// use std::time::Duration;
    /// let (tx, _rx) = rendezvous();
    /// assert_eq!(
    ///     tx.send_timeout(5, Duration::from_millis(1)),
    ///     Err(SendTimeoutError::Timeout(5))
    /// );
    /// ```
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_deadline_opt(value, Instant::now().checked_add(timeout))
    }

    /// Like [`send_timeout`](Self::send_timeout), with a deadline.
    pub fn send_deadline(&self, value: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.send_deadline_opt(value, Some(deadline))
    }

    fn send_deadline_opt(
        &self,
        value: T,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<T>> {
        self.channel.send(value, Patience::until(deadline)).map_err(
            |(value, failure)| match failure {
                Failure::Disconnected => SendTimeoutError::Disconnected(value),
                Failure::NoPartner | Failure::TimedOut => SendTimeoutError::Timeout(value),
            },
        )
    }

    /// How many values are buffered in the channel right now: never more than the capacity,
    /// always 0 for a rendezvous channel (a blocked sender's value is not in the channel).
    ///
    /// O(1), a snapshot. It counts what senders have claimed and receivers have not: a send
    /// still in flight counts, and so does a send withdrawn from a full bounded channel (a
    /// timed-out `send_timeout`) until a receiver passes its place.
    pub fn len(&self) -> usize {
        self.channel.len()
    }

    /// Whether no value is buffered right now (always true for a rendezvous channel).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the channel is full right now: never for an unbounded channel, always for a
    /// rendezvous channel.
    pub fn is_full(&self) -> bool {
        self.channel.is_full()
    }

    /// The channel's capacity: `None` if unbounded, `Some(0)` for a rendezvous channel.
    pub fn capacity(&self) -> Option<usize> {
        self.channel.capacity()
    }

    /// Whether `self` and `other` send into the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.channel, &other.channel)
    }
}

impl<T> Receiver<T> {
    /// Receives the next value, waiting for one if the channel is empty.
    ///
    /// Fails only when the channel is empty and every sender is gone; a receiver blocked at the
    /// moment the last sender goes wakes at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use dualq::channel::{unbounded, RecvError};
    /// let (tx, rx) = unbounded();
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.recv(), Ok(1)); // drained first
    /// assert_eq!(rx.recv(), Err(RecvError));
    /// ```
    pub fn recv(&self) -> Result<T, RecvError> {
        self.channel
            .queue
            .recv(Patience::Wait(Timer::forever()))
            .map_err(|_| RecvError)
    }

    /// Receives a value if one is ready, without waiting.
    ///
    /// It does not wait for a value to come. It may wait a few steps for a sender that has
    /// already claimed the value's place and is writing it (a bounded number of rounds; then it
    /// gives up on that place and reports `Empty`).
    ///
    /// # Examples
    ///
    /// ```
    /// use dualq::channel::{unbounded, TryRecvError};
    /// let (tx, rx) = unbounded::<i32>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.channel
            .queue
            .recv(Patience::Now)
            .map_err(|failure| match failure {
                Failure::Disconnected => TryRecvError::Disconnected,
                Failure::NoPartner | Failure::TimedOut => TryRecvError::Empty,
            })
    }

    /// Like [`recv`](Self::recv), but gives up after `timeout`. A value handed over at the
    /// moment the timeout expires is returned, never lost; and once a sender has claimed this
    /// receive's place in line, the receive waits the few steps that sender needs instead of
    /// timing out (later values may already have gone to later receivers).
    ///
    /// # Examples
    ///
    /// ```
    /// use dualq::channel::{unbounded, RecvTimeoutError};
    /// use std::time::Duration;
    /// let (_tx, rx) = unbounded::<i32>();
    /// assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_deadline_opt(Instant::now().checked_add(timeout))
    }

    /// Like [`recv_timeout`](Self::recv_timeout), with a deadline.
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.recv_deadline_opt(Some(deadline))
    }

    fn recv_deadline_opt(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        self.channel
            .queue
            .recv(Patience::until(deadline))
            .map_err(|failure| match failure {
                Failure::Disconnected => RecvTimeoutError::Disconnected,
                Failure::NoPartner | Failure::TimedOut => RecvTimeoutError::Timeout,
            })
    }

    /// A blocking iterator: yields values until the channel is empty and every sender is gone.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { receiver: self }
    }

    /// A non-blocking iterator: yields the values ready now.
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { receiver: self }
    }

    /// How many values are buffered in the channel right now (see [`Sender::len`]).
    pub fn len(&self) -> usize {
        self.channel.len()
    }

    /// Whether no value is buffered right now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the channel is full right now (see [`Sender::is_full`]).
    pub fn is_full(&self) -> bool {
        self.channel.is_full()
    }

    /// The channel's capacity: `None` if unbounded, `Some(0)` for a rendezvous channel.
    pub fn capacity(&self) -> Option<usize> {
        self.channel.capacity()
    }

    /// Whether `self` and `other` receive from the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.channel, &other.channel)
    }
}

#[cfg(feature = "trace")]
impl<T> Sender<T> {
    /// The event log of the channel's queue (feature `trace`): every step of every operation,
    /// by cell. The same log as [`Receiver::trace`].
    pub fn trace(&self) -> &crate::trace::Trace {
        self.channel.queue.trace()
    }

    /// The channel's cells as they are now (feature `trace`); see
    /// [`SegmentedDualQueue::picture`].
    pub fn picture(&self) -> String {
        self.channel.queue.picture()
    }
}

#[cfg(feature = "trace")]
impl<T> Receiver<T> {
    /// The event log of the channel's queue (feature `trace`); see [`Sender::trace`].
    pub fn trace(&self) -> &crate::trace::Trace {
        self.channel.queue.trace()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        // Relaxed: a new handle is made from a live one, so the count is at least 1 and cannot
        // reach zero concurrently; nothing is published by the increment (as in `Arc::clone`).
        self.channel.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            channel: Arc::clone(&self.channel),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        // Relaxed: as in `Sender::clone`.
        self.channel.receivers.fetch_add(1, Ordering::Relaxed);
        Receiver {
            channel: Arc::clone(&self.channel),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.channel.release_sender();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // AcqRel: as in `Sender::drop`.
        if self.channel.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Tasks waiting in `Sender::closed` are woken once the sending side is closed, also
            // if a value's drop panics below.
            let _wake = self.channel.wake_closed_on_drop();
            // Drops every value left inside, and gives blocked senders their values back,
            // before this drop returns (a panicking value's drop is resumed after the rest).
            self.channel.queue.close_receivers();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

/// A blocking iterator over a [`Receiver`]'s values; see [`Receiver::iter`].
#[derive(Debug)]
pub struct Iter<'a, T> {
    receiver: &'a Receiver<T>,
}

/// A non-blocking iterator over the values ready now; see [`Receiver::try_iter`].
#[derive(Debug)]
pub struct TryIter<'a, T> {
    receiver: &'a Receiver<T>,
}

/// An owning blocking iterator; see `impl IntoIterator for Receiver`.
#[derive(Debug)]
pub struct IntoIter<T> {
    receiver: Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.try_recv().ok()
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { receiver: self }
    }
}
