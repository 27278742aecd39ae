//! The async forms of the handle methods (feature `async`): [`Sender::closed`], a future ready
//! once no send can succeed any more, and [`Receiver::recv_many_async`].
//!
//! # Waking `closed` futures at no cost to sends and receives
//!
//! A task waiting in `closed()` is not in the channel's line: no send or receive looks for it.
//! Its waker sits in [`ClosedWakers`], a small table under a mutex that only three things touch:
//! a `closed()` future when it is polled or dropped, and the two events that close a channel
//! while a sender is alive (a `close()` call, the last receiver's drop), each once, after the
//! engine's closed bit is set. The hot paths never read the table.
//!
//! No wake-up is lost between a poll and a close: the closer sets the engine's bit, then marks
//! the table `closed` and takes its wakers, under the mutex; a poll that finds the table not yet
//! marked (under the same mutex) leaves its waker for the closer to take. A poll that comes
//! later finds the mark, or the bit, and is ready.

use super::future::Receiving;
use super::{Channel, Receiver, RecvError, Sender};
use crate::sync::Mutex;
use futures_core::future::FusedFuture;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// The wakers of the tasks waiting in [`Sender::closed`] (module docs).
#[derive(Default)]
pub(super) struct ClosedWakers {
    table: Mutex<Table>,
}

/// The table of [`ClosedWakers`]: one slot per waiting future, reused after it is dropped.
#[derive(Default)]
struct Table {
    /// A future's waker, at the index the future keeps; `None` in a free slot.
    slots: Vec<Option<Waker>>,
    /// Indices of free slots.
    free: Vec<usize>,
    /// The channel has closed and the wakers were taken: nothing is stored any more.
    closed: bool,
}

impl ClosedWakers {
    /// Runs `f` on the table, under the lock.
    fn with_table<R>(&self, f: impl FnOnce(&mut Table) -> R) -> R {
        // No panic can happen while the lock is held (the closures only move wakers and
        // indices), but a poisoned lock would still hold a consistent table: use it as it is.
        let mut table = self
            .table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut table)
    }

    /// Leaves `waker` in the future's slot (taking one if it has none). False if the channel
    /// has closed meanwhile: the future is ready.
    fn register(&self, slot: &mut Option<usize>, waker: &Waker) -> bool {
        self.with_table(|table| {
            if table.closed {
                return false;
            }
            match *slot {
                Some(at) => match &mut table.slots[at] {
                    Some(old) if old.will_wake(waker) => {}
                    stored => *stored = Some(waker.clone()),
                },
                None => {
                    let at = match table.free.pop() {
                        Some(at) => {
                            table.slots[at] = Some(waker.clone());
                            at
                        }
                        None => {
                            table.slots.push(Some(waker.clone()));
                            table.slots.len() - 1
                        }
                    };
                    *slot = Some(at);
                }
            }
            true
        })
    }

    /// Frees the future's slot, if it has one.
    fn deregister(&self, slot: &mut Option<usize>) {
        if let Some(at) = slot.take() {
            self.with_table(|table| {
                // Once closed, the slots are gone with the wakers.
                if !table.closed {
                    table.slots[at] = None;
                    table.free.push(at);
                }
            });
        }
    }

    /// The channel has closed (its engine bit is set): wakes every waiting future, once.
    pub(super) fn wake_all(&self) {
        let wakers = self.with_table(|table| {
            table.closed = true;
            table.free = Vec::new();
            std::mem::take(&mut table.slots)
        });
        // Woken outside the lock: a waker may run code that polls the future again.
        wakers.into_iter().flatten().for_each(Waker::wake);
    }
}

impl fmt::Debug for ClosedWakers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClosedWakers").finish_non_exhaustive()
    }
}

/// The future of [`Sender::closed`]: ready once no send can succeed any more.
///
/// It is `Send` when `T: Send`, `Unpin`, and may be dropped at any time (its waker is removed).
#[must_use = "futures do nothing unless polled"]
pub struct ClosedFut<'a, T> {
    channel: &'a Channel<T>,
    /// Where this future's waker is in the channel's table, once it has waited.
    slot: Option<usize>,
}

/// The future of [`Receiver::recv_many_async`]: receives up to `limit` values into the
/// buffer, as [`Receiver::recv_many`] does.
///
/// It is `Send` when `T: Send`, `Unpin`, and cancel-safe as a [`RecvFut`](super::RecvFut) is:
/// dropped while it waits for its first value, it loses none. Once ready it has appended every
/// value it took.
#[must_use = "futures do nothing unless polled"]
pub struct RecvManyFut<'a, T> {
    receiver: &'a Receiver<T>,
    buf: &'a mut Vec<T>,
    limit: usize,
    receiving: Receiving<T>,
    finished: bool,
}

// Neither pins anything: `T` only moves by value.
impl<T> Unpin for ClosedFut<'_, T> {}
impl<T> Unpin for RecvManyFut<'_, T> {}

impl<T> Sender<T> {
    /// A future that is ready once no send can succeed any more: every receiver is gone, or the
    /// channel was closed ([`close`](Self::close) on either side). tokio's `Sender::closed`;
    /// use it to stop producing when nobody listens any more.
    ///
    /// Waiting costs the channel nothing: no send or receive looks for the waiting task, which
    /// is woken by the close or by the last receiver's drop.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = dualq::channel::bounded::<u32>(8);
    /// let producer = tokio::spawn(async move {
    ///     let mut n = 0;
    ///     loop {
    ///         tokio::select! {
    ///             _ = tx.closed() => return n, // nobody listens any more
    ///             sent = tx.send_async(n) => if sent.is_ok() { n += 1 },
    ///         }
    ///     }
    /// });
    /// assert_eq!(rx.recv_async().await, Ok(0));
    /// drop(rx);
    /// assert!(producer.await.unwrap() >= 1);
    /// # }
    /// ```
    pub fn closed(&self) -> ClosedFut<'_, T> {
        ClosedFut {
            channel: &self.channel,
            slot: None,
        }
    }
}

impl<T> Receiver<T> {
    /// Receives up to `limit` values into `buf` from an async task: the future waits for the
    /// first value as [`recv_async`](Self::recv_async) does (in the same line as every other
    /// receiver), then takes what else is in the channel at once. See
    /// [`recv_many`](Self::recv_many).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = dualq::channel::unbounded();
    /// tokio::spawn(async move {
    ///     for i in 0..4 {
    ///         tx.send_async(i).await.unwrap();
    ///     }
    /// });
    /// let mut got = Vec::new();
    /// while rx.recv_many_async(&mut got, 3).await.is_ok() {}
    /// assert_eq!(got, [0, 1, 2, 3]);
    /// # }
    /// ```
    pub fn recv_many_async<'a>(&'a self, buf: &'a mut Vec<T>, limit: usize) -> RecvManyFut<'a, T> {
        RecvManyFut {
            receiver: self,
            buf,
            limit,
            receiving: Receiving::Idle,
            finished: false,
        }
    }
}

impl<T> Future for ClosedFut<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.channel.is_closed()
            || !this
                .channel
                .closed_wakers
                .register(&mut this.slot, cx.waker())
        {
            this.channel.closed_wakers.deregister(&mut this.slot);
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl<T> FusedFuture for ClosedFut<'_, T> {
    /// Never: a `closed()` future may be polled again after it was ready (it stays ready).
    fn is_terminated(&self) -> bool {
        false
    }
}

impl<T> Drop for ClosedFut<'_, T> {
    fn drop(&mut self) {
        self.channel.closed_wakers.deregister(&mut self.slot);
    }
}

impl<T> Future for RecvManyFut<'_, T> {
    type Output = Result<usize, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            !this.finished,
            "a dualq recv_many future was polled after it completed"
        );
        if this.limit == 0 {
            this.finished = true;
            return Poll::Ready(Ok(0));
        }
        let first = match this.receiving.poll(&this.receiver.channel, cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        this.finished = true;
        Poll::Ready(first.map(|value| {
            this.buf.push(value);
            1 + this.receiver.take_ready(this.buf, this.limit - 1)
        }))
    }
}

impl<T> FusedFuture for RecvManyFut<'_, T> {
    fn is_terminated(&self) -> bool {
        self.finished
    }
}

impl<T> Drop for RecvManyFut<'_, T> {
    fn drop(&mut self) {
        self.receiving.abandon(&self.receiver.channel);
    }
}

impl<T> fmt::Debug for ClosedFut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClosedFut")
            .field("waiting", &self.slot.is_some())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for RecvManyFut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvManyFut")
            .field("limit", &self.limit)
            .field("waiting", &matches!(self.receiving, Receiving::Waiting(_)))
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}
