//! What a channel end can tell about its channel, and what it can do besides sending or
//! receiving one value: the handle counts, disconnection and closing, weak senders, draining,
//! and receiving in batches. The names are flume's, tokio's and async-channel's; permits are in
//! `permit.rs`, the async forms (`closed`, `recv_many_async`) in `closed.rs`.
//!
//! # Closed, disconnected
//!
//! The channel is *closed* from the moment no send can succeed any more: [`Sender::close`] or
//! [`Receiver::close`] was called, or the last `Receiver` is gone, or the last `Sender` is
//! gone. One bit of the senders' counter in the engine says so (`segmented/close.rs`); every
//! one of those four events sets it with one `fetch_or`, and the first of them closes the
//! channel. So [`is_closed`](Sender::is_closed) and [`is_disconnected`](Sender::is_disconnected)
//! are one question (tokio and async-channel say *closed*, flume *disconnected*), and
//! [`close`](Sender::close) returns true exactly when its own `fetch_or` was the first.
//!
//! # Weak senders
//!
//! A [`WeakSender`] holds the channel's memory but not a place among its senders: it does not
//! keep the receivers waiting. [`WeakSender::upgrade`] adds one to the sender count only while
//! it is not zero (a compare-and-swap loop, as `std::sync::Weak::upgrade` does), so a count
//! that reached zero stays there: once the last `Sender`'s drop has begun, no upgrade can
//! succeed, and a disconnected channel is never revived.

use super::{Channel, Receiver, RecvError, Sender};
use crate::sync::{Arc, Ordering};
use std::fmt;
use std::marker::PhantomData;

impl<T> Channel<T> {
    /// Live `Sender` handles (a snapshot).
    fn sender_count(&self) -> usize {
        // Relaxed: a snapshot; nothing is read through it.
        self.senders.load(Ordering::Relaxed)
    }

    /// Live `Receiver` handles (a snapshot).
    fn receiver_count(&self) -> usize {
        // Relaxed: as in `sender_count`.
        self.receivers.load(Ordering::Relaxed)
    }

    /// Counts one more sender, if a sender is alive; false (and nothing counted) once the
    /// count has reached zero: a channel whose senders are gone stays disconnected (module
    /// docs, "Weak senders").
    pub(super) fn add_sender(&self) -> bool {
        // Relaxed (load and CAS): as in `Sender::clone`: the count is at least 1 when the CAS
        // succeeds, and the increment publishes nothing; the new sender's drop orders its sends
        // before any disconnection (`release_sender`).
        self.senders
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n > 0).then(|| n + 1)
            })
            .is_ok()
    }

    /// Whether no send can succeed any more (module docs).
    pub(super) fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// Closes the channel (module docs); true if this call closed it.
    fn close(&self) -> bool {
        // Woken after the close, by the guard's drop.
        let _wake = self.wake_closed_on_drop();
        self.queue.close()
    }

    /// A guard that wakes the tasks waiting in `Sender::closed` when it is dropped. Whatever
    /// closes the channel makes one first, so that the wake happens after the close, also if a
    /// value's `drop` panics on the way.
    pub(super) fn wake_closed_on_drop(&self) -> WakeClosed<'_, T> {
        WakeClosed(self)
    }
}

/// See [`Channel::wake_closed_on_drop`].
pub(super) struct WakeClosed<'a, T>(
    #[cfg_attr(not(feature = "async"), allow(dead_code))] &'a Channel<T>,
);

impl<T> Drop for WakeClosed<'_, T> {
    fn drop(&mut self) {
        #[cfg(feature = "async")]
        self.0.closed_wakers.wake_all();
    }
}

impl<T> Sender<T> {
    /// How many [`Sender`]s this channel has now (clones count, [`WeakSender`]s do not). A
    /// snapshot: other threads may clone or drop senders at any time.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = dualq::channel::unbounded::<u8>();
    /// let tx2 = tx.clone();
    /// let _weak = tx.downgrade();
    /// assert_eq!(tx.sender_count(), 2);
    /// drop(tx2);
    /// assert_eq!(tx.sender_count(), 1);
    /// ```
    pub fn sender_count(&self) -> usize {
        self.channel.sender_count()
    }

    /// How many [`Receiver`]s this channel has now. A snapshot.
    pub fn receiver_count(&self) -> usize {
        self.channel.receiver_count()
    }

    /// Whether the channel is disconnected: no send can succeed any more, because every
    /// receiver is gone or the channel was [closed](Self::close). flume's name for
    /// [`is_closed`](Self::is_closed); the two always agree.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = dualq::channel::unbounded::<u8>();
    /// assert!(!tx.is_disconnected());
    /// drop(rx);
    /// assert!(tx.is_disconnected());
    /// assert!(tx.send(1).is_err());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        self.channel.is_closed()
    }

    /// Whether the channel is closed: no send can succeed any more, because it was closed
    /// ([`Sender::close`], [`Receiver::close`]) or every receiver is gone. tokio's and
    /// async-channel's name for [`is_disconnected`](Self::is_disconnected).
    pub fn is_closed(&self) -> bool {
        self.channel.is_closed()
    }

    /// Closes the channel without dropping a handle: from now on no send succeeds (it fails
    /// and gives its value back, as when every receiver is gone); receivers still take the
    /// values sent before, then see the disconnection. A sender waiting at that moment for
    /// room (bounded) or for a receiver (rendezvous) gets its value back in its error, unless
    /// the receivers already waiting in line make room for it or take it. A receiver waiting
    /// with nothing left to take is woken with `RecvError`. Tasks waiting in
    /// [`Sender::closed`] are woken.
    ///
    /// Returns true if this call closed the channel; false if it was closed already (by a
    /// `close` on either side, or because every sender or every receiver is gone).
    ///
    /// # Examples
    ///
    /// ```
    /// use dualq::channel::{bounded, SendError, RecvError};
    ///
    /// let (tx, rx) = bounded(4);
    /// tx.send(1).unwrap();
    /// assert!(tx.close());
    /// assert!(!tx.close()); // closed already
    /// assert_eq!(tx.send(2), Err(SendError(2)));
    /// assert_eq!(rx.recv(), Ok(1)); // sent before the close: still received
    /// assert_eq!(rx.recv(), Err(RecvError));
    /// ```
    pub fn close(&self) -> bool {
        self.channel.close()
    }

    /// A weak handle to this channel: it can make a [`Sender`] again
    /// ([`upgrade`](WeakSender::upgrade)) as long as some sender is alive, but it does not
    /// count as one, so it never keeps the receivers waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use dualq::channel::{unbounded, RecvError};
    ///
    /// let (tx, rx) = unbounded::<&str>();
    /// let weak = tx.downgrade();
    /// weak.upgrade().unwrap().send("via an upgraded sender").unwrap();
    /// drop(tx); // the last sender: the weak one does not count
    /// assert_eq!(rx.recv(), Ok("via an upgraded sender"));
    /// assert_eq!(rx.recv(), Err(RecvError));
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender {
            channel: Arc::clone(&self.channel),
        }
    }
}

impl<T> Receiver<T> {
    /// How many [`Sender`]s this channel has now ([`WeakSender`]s do not count). A snapshot.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = dualq::channel::unbounded::<u8>();
    /// assert_eq!(rx.sender_count(), 1);
    /// drop(tx);
    /// assert_eq!(rx.sender_count(), 0);
    /// ```
    pub fn sender_count(&self) -> usize {
        self.channel.sender_count()
    }

    /// How many [`Receiver`]s this channel has now (clones count). A snapshot.
    pub fn receiver_count(&self) -> usize {
        self.channel.receiver_count()
    }

    /// Whether the channel is disconnected: every sender is gone, or the channel was
    /// [closed](Self::close). Values sent before may still be waiting to be received:
    /// receivers drain them first, then see the disconnection. flume's name for
    /// [`is_closed`](Self::is_closed); the two always agree.
    ///
    /// # Examples
    ///
    /// ```
    /// use dualq::channel::{unbounded, TryRecvError};
    ///
    /// let (tx, rx) = unbounded();
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert!(rx.is_disconnected());
    /// assert_eq!(rx.try_recv(), Ok(1)); // drained first
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn is_disconnected(&self) -> bool {
        self.channel.is_closed()
    }

    /// Whether the channel is closed: it was closed ([`Sender::close`], [`Receiver::close`]) or
    /// every sender is gone. Values sent before may still be waiting to be received. tokio's
    /// and async-channel's name for [`is_disconnected`](Self::is_disconnected).
    pub fn is_closed(&self) -> bool {
        self.channel.is_closed()
    }

    /// Closes the channel without dropping a handle: from now on no send succeeds (it fails
    /// and gives its value back, as when every receiver is gone); receivers still take the
    /// values sent before, then see the disconnection. A sender waiting at that moment for
    /// room (bounded) or for a receiver (rendezvous) gets its value back in its error, unless
    /// the receivers already waiting in line make room for it or take it. A receiver waiting
    /// with nothing left to take is woken with `RecvError`. Tasks waiting in
    /// [`Sender::closed`] are woken.
    ///
    /// Returns true if this call closed the channel; false if it was closed already (by a
    /// `close` on either side, or because every sender or every receiver is gone).
    ///
    /// tokio's `Receiver::close` (here it returns whether it closed the channel, as
    /// async-channel's does): stop the producers, then drain what they sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use dualq::channel::unbounded;
    ///
    /// let (tx, rx) = unbounded();
    /// let producer = std::thread::spawn(move || {
    ///     let mut n = 0;
    ///     while tx.send(n).is_ok() {
    ///         n += 1;
    ///     }
    ///     n // how many were sent before the close
    /// });
    /// while rx.len() < 10 {
    ///     std::thread::yield_now();
    /// }
    /// rx.close();
    /// let drained = rx.iter().count(); // ends once what was sent is received
    /// assert_eq!(drained, producer.join().unwrap());
    /// ```
    pub fn close(&self) -> bool {
        self.channel.close()
    }

    /// Receives up to `limit` values into `buf`, in order: waits for the first as
    /// [`recv`](Self::recv) does, then takes what else is in the channel at once, without
    /// waiting again. Returns how many values it appended; `buf` keeps what it held and grows
    /// as needed.
    ///
    /// `Ok(0)` only if `limit` is 0 (then it returns at once). Fails only as `recv` does: the
    /// channel is empty and every sender is gone (or the channel was closed).
    ///
    /// The values after the first are claimed together: one compare-and-swap claims every cell
    /// whose value has been sent, up to the limit, under one epoch pin (the crate's
    /// `src/segmented/batch.rs`), where a loop of `try_recv` pays a conditional claim and a pin
    /// per value. Measured with the crate's `examples/recv_many.rs` (limit 64, two runs on a
    /// 2-core machine that other work kept at a load average of 5–9, medians of 9 interleaved
    /// rounds): draining a million values already sent took 9–10 ns per value, against 16–18
    /// ns for a loop of `recv` and 37–41 ns for `recv` then `try_recv`; while one or four
    /// producers sent, `recv_many` and a loop of `recv` were within each other's noise (31–41
    /// against 38–39 ns), both ahead of `recv` then `try_recv` (50–64 ns). So batching pays
    /// when values wait in the channel, and costs nothing when they do not.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = dualq::channel::unbounded();
    /// for i in 0..5 {
    ///     tx.send(i).unwrap();
    /// }
    /// let mut batch = Vec::new();
    /// assert_eq!(rx.recv_many(&mut batch, 3), Ok(3));
    /// assert_eq!(rx.recv_many(&mut batch, 3), Ok(2)); // what was left
    /// assert_eq!(batch, [0, 1, 2, 3, 4]);
    /// ```
    pub fn recv_many(&self, buf: &mut Vec<T>, limit: usize) -> Result<usize, RecvError> {
        if limit == 0 {
            return Ok(0);
        }
        buf.push(self.recv()?);
        Ok(1 + self.take_ready(buf, limit - 1))
    }

    /// Appends up to `max` values that are in the channel now, without waiting; returns how
    /// many. The rest of a batch, after its first value.
    pub(super) fn take_ready(&self, buf: &mut Vec<T>, max: usize) -> usize {
        self.channel.queue.take_ready(buf, max, u64::MAX)
    }

    /// Takes every value that is in the channel now, in order, and returns an iterator over
    /// them: the values of the sends that began before this call and that no other receiver
    /// takes first (on a bounded or rendezvous channel, that includes the values of senders
    /// blocked at that moment, which the drain releases as it makes room). Never waits; values
    /// sent after the call stay in the channel. flume's `drain`.
    ///
    /// The values are taken at once (dropping the iterator early drops the rest with it), and
    /// the iterator knows how many it holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = dualq::channel::unbounded();
    /// for i in 0..3 {
    ///     tx.send(i).unwrap();
    /// }
    /// let drained = rx.drain();
    /// tx.send(3).unwrap(); // after the drain: not in it
    /// assert_eq!(drained.len(), 3);
    /// assert_eq!(drained.collect::<Vec<_>>(), [0, 1, 2]);
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// ```
    pub fn drain(&self) -> Drain<'_, T> {
        let queue = &self.channel.queue;
        let mut values = Vec::new();
        queue.take_ready(&mut values, usize::MAX, queue.sent_so_far());
        Drain {
            values: values.into_iter(),
            _receiver: PhantomData,
        }
    }
}

/// The values a [`Receiver::drain`] took from the channel, oldest first.
pub struct Drain<'a, T> {
    values: std::vec::IntoIter<T>,
    /// Borrows the receiver, as flume's `Drain` does.
    _receiver: PhantomData<&'a Receiver<T>>,
}

impl<T> Iterator for Drain<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.values.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.values.size_hint()
    }
}

impl<T> ExactSizeIterator for Drain<'_, T> {}

impl<T> fmt::Debug for Drain<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drain")
            .field("len", &self.values.len())
            .finish_non_exhaustive()
    }
}

/// A sender that does not keep the channel connected: see [`Sender::downgrade`].
///
/// It is `Clone` and `Send`/`Sync` when `T: Send`, like a [`Sender`]. It keeps the channel's
/// memory allocated (not its values: those go when the last receiver does), and makes a
/// `Sender` again with [`upgrade`](Self::upgrade) while at least one sender is alive.
pub struct WeakSender<T> {
    channel: Arc<Channel<T>>,
}

impl<T> WeakSender<T> {
    /// A [`Sender`] for the channel, if a sender is still alive; `None` once every `Sender` is
    /// gone (from the moment the last one's drop has begun). A channel whose senders are gone
    /// is disconnected for good: no upgrade revives it. A channel that was closed while
    /// senders remain still upgrades, but its sends fail (see [`Sender::is_closed`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = dualq::channel::unbounded::<u32>();
    /// let weak = tx.downgrade();
    /// let worker = std::thread::spawn(move || {
    ///     // Sends only while the main sender lives.
    ///     if let Some(tx) = weak.upgrade() {
    ///         tx.send(1).unwrap();
    ///     }
    /// });
    /// worker.join().unwrap();
    /// drop(tx);
    /// assert_eq!(rx.iter().collect::<Vec<_>>(), [1]);
    /// ```
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.channel.add_sender().then(|| Sender {
            channel: Arc::clone(&self.channel),
        })
    }

    /// How many [`Sender`]s the channel has now (weak ones do not count). A snapshot.
    pub fn sender_count(&self) -> usize {
        self.channel.sender_count()
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender {
            channel: Arc::clone(&self.channel),
        }
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender")
            .field("sender_count", &self.sender_count())
            .finish_non_exhaustive()
    }
}
