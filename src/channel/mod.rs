//! Fair multi-producer multi-consumer channels on a [`DualQueue`], shaped like
//! `std::sync::mpsc`.
//!
//! * [`unbounded`]: `send` never blocks (it is the queue's `push`).
//! * [`rendezvous`]: capacity zero; `send` waits until a receiver has taken the value (the
//!   queue's `transfer`).
//!
//! Both ends can be cloned: any number of senders and receivers. Method names, error types and
//! error texts follow `std::sync::mpsc`, so switching is a change of import:
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
//! This is the reason to pick these channels. A receiver that blocks in `recv` links a
//! reservation at the back of the queue and waits on it; a `send` hands its value to the
//! reservation at the front and wakes exactly that receiver. So:
//!
//! * **blocked receivers are served in the order they blocked**: no receiver can barge in ahead
//!   of one that is already waiting, however fast it loops;
//! * **one send wakes one receiver**: no thundering herd, no receiver woken for nothing;
//! * blocked rendezvous senders are likewise served in the order they blocked.
//!
//! Channels whose receivers wait on a condition variable or a waker list and then race for the
//! value let a receiver that is already running take message after message while others sleep.
//! The crate's comparison report (`cargo run --release --example compare`) measures this.
//!
//! # Disconnection
//!
//! When the last [`Sender`] is dropped, receivers first drain what is left, then get
//! `Disconnected`; receivers blocked at that moment wake at once. When the last [`Receiver`] is
//! dropped, sends fail and return their value in the error, a sender blocked in a rendezvous
//! `send` wakes with its value back, and values left in an unbounded channel are dropped. Every
//! value is delivered exactly once or dropped exactly once.
//!
//! ```
//! use dualq::channel::{rendezvous, SendError};
//!
//! let (tx, rx) = rendezvous::<String>();
//! drop(rx);
//! assert_eq!(tx.send("lost?".to_string()), Err(SendError("lost?".to_string())));
//! ```

mod error;

pub use error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};

use crate::node::Kind;
use crate::sync::{Arc, AtomicUsize, Ordering, Timer};
use crate::waiter::{Failure, Patience};
use crate::DualQueue;
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
    Channel::open(Flavor::Unbounded)
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
    Channel::open(Flavor::Rendezvous)
}

/// Which kind of channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    /// `send` is `push`.
    Unbounded,
    /// `send` is `transfer`.
    Rendezvous,
}

/// The state both ends share.
struct Channel<T> {
    /// The values, or the blocked receivers, or the blocked rendezvous senders.
    queue: DualQueue<T>,
    /// Live `Sender` handles; the last one to go disconnects the receiving side.
    senders: AtomicUsize,
    /// Live `Receiver` handles; the last one to go disconnects the sending side.
    receivers: AtomicUsize,
    /// Unbounded or rendezvous; fixed at creation.
    flavor: Flavor,
}

impl<T> Channel<T> {
    fn open(flavor: Flavor) -> (Sender<T>, Receiver<T>) {
        let channel = Arc::new(Channel {
            queue: DualQueue::new(),
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
            flavor,
        });
        (
            Sender {
                channel: Arc::clone(&channel),
            },
            Receiver { channel },
        )
    }

    /// How a send waits, given how long it may.
    fn send_patience(&self, timer: Option<Timer>) -> Patience {
        match (self.flavor, timer) {
            (Flavor::Unbounded, _) => Patience::Async,
            (Flavor::Rendezvous, None) => Patience::Now,
            (Flavor::Rendezvous, Some(timer)) => Patience::Wait(timer),
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
    /// Sends `value`: on an unbounded channel it never blocks; on a rendezvous channel it waits
    /// until a receiver has taken the value.
    ///
    /// Fails, giving the value back, if every receiver is gone (also if the last one goes
    /// while a rendezvous send waits).
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
        let patience = self.channel.send_patience(Some(Timer::forever()));
        self.channel
            .queue
            .put(value, patience)
            .map_err(|(value, _)| SendError(value))
    }

    /// Sends `value` without blocking. A rendezvous channel accepts it only if a receiver is
    /// already waiting (`Full` otherwise); an unbounded one always does while receivers remain.
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
        let patience = self.channel.send_patience(None);
        self.channel
            .queue
            .put(value, patience)
            .map_err(|(value, failure)| match failure {
                Failure::Disconnected => TrySendError::Disconnected(value),
                Failure::NoPartner | Failure::TimedOut => TrySendError::Full(value),
            })
    }

    /// Like [`send`](Self::send), but a rendezvous send gives up after `timeout`, withdrawing
    /// the value, which is then never delivered. An unbounded send never waits.
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
        let patience = match self.channel.flavor {
            Flavor::Unbounded => Patience::Async,
            Flavor::Rendezvous => Patience::until(deadline),
        };
        self.channel
            .queue
            .put(value, patience)
            .map_err(|(value, failure)| match failure {
                Failure::Disconnected => SendTimeoutError::Disconnected(value),
                Failure::NoPartner | Failure::TimedOut => SendTimeoutError::Timeout(value),
            })
    }

    /// How many values wait in the channel right now (a snapshot, O(n)). On a rendezvous
    /// channel, the number of senders blocked in `send`.
    pub fn len(&self) -> usize {
        self.channel.queue.len()
    }

    /// Whether no value waits in the channel right now (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.channel.queue.is_empty()
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
            .take(Patience::Wait(Timer::forever()))
            .map_err(|_| RecvError)
    }

    /// Receives a value if one is ready, without waiting.
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
            .take(Patience::Now)
            .map_err(|failure| match failure {
                Failure::Disconnected => TryRecvError::Disconnected,
                Failure::NoPartner | Failure::TimedOut => TryRecvError::Empty,
            })
    }

    /// Like [`recv`](Self::recv), but gives up after `timeout`. A value handed over at the
    /// moment the timeout expires is returned, never lost.
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
            .take(Patience::until(deadline))
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

    /// How many values wait in the channel right now (a snapshot, O(n)).
    pub fn len(&self) -> usize {
        self.channel.queue.len()
    }

    /// Whether no value waits in the channel right now (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.channel.queue.is_empty()
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
        // AcqRel: each sender's Release decrement orders its sends before the last sender's
        // Acquire, so the disconnection below comes after every send (receivers drain them all).
        if self.channel.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.channel.queue.disconnect(Kind::Data);
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // AcqRel: as in `Sender::drop`.
        if self.channel.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.channel.queue.disconnect(Kind::Request);
            if self.channel.flavor == Flavor::Unbounded {
                // Nobody can receive them any more: drop the values now rather than with the
                // last sender. (A rendezvous channel holds no values, only blocked senders, and
                // the disconnection just gave them their values back.)
                while self.channel.queue.take(Patience::Now).is_ok() {}
            }
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("flavor", &self.channel.flavor)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("flavor", &self.channel.flavor)
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
