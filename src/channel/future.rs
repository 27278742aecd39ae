//! Async sends and receives: [`SendFut`] and [`RecvFut`], and the two small state machines
//! they share with [`RecvStream`](super::RecvStream) and [`SendSink`](super::SendSink).
//!
//! # One line for threads and tasks
//!
//! An async operation is the blocking operation on the same cells (`segmented/send.rs` and
//! `segmented/recv.rs`): it claims its cell with the same fetch-and-add, so an async receiver
//! stands in the same FIFO
//! line as blocked threads, and the `k`-th value goes to the `k`-th receiver whichever kind it
//! is. Only the way it waits differs. A thread spins on its cell for a moment, then parks; a
//! task must do neither, so a task that finds no partner parks at once: it leaves a waiter in
//! its cell that holds its waker (not a thread handle), and its future returns `Pending`. The
//! partner that arrives decides the waiter with one CAS and wakes that waker, exactly as it
//! would unpark a thread.
//!
//! # States
//!
//! | state | what the future holds | a poll |
//! | --- | --- | --- |
//! | idle | nothing (a send: its value) | claims a cell; `Ready` if a partner or room was there (nothing is registered, nothing allocated), else parks (one waiter, the waker cloned into it) and returns `Pending` |
//! | waiting | the ticket of its parked waiter | `Ready` if the waiter was decided; else leaves this poll's waker in the waiter (replacing the previous one, unless it would wake the same task) and returns `Pending` |
//! | finished | nothing | a future panics (polled after `Ready`); a stream or sink goes back to idle |
//!
//! A wake-up is never lost between the two: the poll stores its waker under the waiter's lock
//! and then reads the state again, the decider changes the state and then takes the waker under
//! the same lock (`segmented/waiter.rs`, `Waiter::poll`).
//!
//! # Dropping a waiting future
//!
//! A drop withdraws the waiter with the CAS a timeout uses (`Waiting -> Cancelled`), so exactly
//! one of the withdrawal and the partner wins:
//!
//! * a **receive** that wins leaves its place in line (the next value goes to the next
//!   receiver); one that loses had a value handed to it, which goes back to the front of the
//!   channel (`segmented/front.rs`): the next receive gets it, before anything sent later.
//!   No value is lost or reordered, whether or not senders remain.
//!
//! Neither withdraws once its partner has claimed its cell: the drop waits for that partner, as
//! a timed-out blocking call does.
//! * a **send** that wins takes its value back and drops it with the future; one that loses was
//!   already taken (or buffered): the value was sent. Never both.
//!
//! # Forgetting a waiting future
//!
//! `mem::forget` skips the drop, so nothing is withdrawn. A forgotten **receive** keeps its
//! place in line: the value that reaches it is never received by anyone, and is leaked with
//! the forgotten waiter (never dropped). Every other receiver is served as usual: the line moves
//! past it. A forgotten **send** still delivers its value when a receiver (or room in a bounded
//! channel) reaches it; if every receiver goes first, its value is leaked. The channel's other
//! operations never wait for a forgotten future.

use super::{Channel, Receiver, RecvError, SendError, Sender};
use crate::patience::{Failure, Patience};
use crate::segmented::{Start, Ticket, Waiting};
use crate::sync::Timer;
use crate::SegmentedDualQueue;
use futures_core::future::FusedFuture;
use std::fmt;
use std::future::Future;
use std::mem;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A channel end that a future, stream or sink borrows (`recv_async`, `stream`, ...) or owns
/// (`into_recv_async`, `into_stream`, ...).
#[derive(Debug)]
pub(super) enum End<'a, E> {
    Borrowed(&'a E),
    Owned(E),
}

impl<E> Deref for End<'_, E> {
    type Target = E;

    fn deref(&self) -> &E {
        match self {
            End::Borrowed(end) => end,
            End::Owned(end) => end,
        }
    }
}

/// How a task waits: forever (a dropped future is its only way out).
fn forever() -> Patience {
    Patience::Wait(Timer::forever())
}

/// A receive in progress (module docs, "States").
#[derive(Debug)]
pub(super) enum Receiving<T> {
    /// Not started, or finished: the next poll starts a receive.
    Idle,
    /// Parked in a cell.
    Waiting(Ticket<T>),
}

impl<T> Receiving<T> {
    /// Polls the receive (starting it if idle). Back to `Idle` once `Ready`.
    pub(super) fn poll(
        &mut self,
        channel: &Channel<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, RecvError>> {
        let queue = &channel.queue;
        // `self` is matched in place and written only when its state changes: moving it out
        // and back on every poll cost a store-forwarding stall per message (profiled).
        let result = match self {
            Receiving::Idle => {
                // Pinned only for the claim: the guard is gone before `Pending` is returned.
                let guard = crossbeam_epoch::pin();
                match queue.start_recv(&forever(), Waiting::Task(cx.waker()), &guard) {
                    Start::Done(result) => result,
                    Start::Waiting(ticket) => {
                        *self = Receiving::Waiting(ticket);
                        return Poll::Pending;
                    }
                }
            }
            Receiving::Waiting(ticket) => {
                let Some(outcome) = SegmentedDualQueue::poll_ticket(ticket, cx.waker()) else {
                    return Poll::Pending;
                };
                let Receiving::Waiting(ticket) = mem::replace(self, Receiving::Idle) else {
                    unreachable!("matched as waiting just above");
                };
                queue.recv_outcome(ticket, outcome)
            }
        };
        Poll::Ready(result.map_err(|failure| {
            // An untimed wait ends only with a value or the senders' disconnection.
            debug_assert_eq!(failure, Failure::Disconnected);
            RecvError
        }))
    }

    /// Withdraws a parked receive (its future or stream was dropped). A value already handed to
    /// it goes back to the front of the channel (module docs).
    pub(super) fn abandon(&mut self, channel: &Channel<T>) {
        if let Receiving::Waiting(ticket) = mem::replace(self, Receiving::Idle) {
            channel.queue.abandon_recv(ticket);
        }
    }
}

/// A send in progress (module docs, "States").
#[derive(Debug)]
pub(super) enum Sending<T> {
    /// Not started: the value to send.
    Idle(T),
    /// Parked in a cell, its value in the waiter.
    Waiting(Ticket<T>),
    /// Returned `Ready` (or, in a sink, nothing to send).
    Finished,
}

impl<T> Sending<T> {
    /// Polls the send (starting it if idle). `Finished` once `Ready`.
    ///
    /// # Panics
    ///
    /// If already `Finished`.
    pub(super) fn poll(
        &mut self,
        channel: &Channel<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        let queue = &channel.queue;
        // As in `Receiving::poll`: `self` is written only when its state changes.
        let result = match self {
            Sending::Idle(_) => {
                let Sending::Idle(value) = mem::replace(self, Sending::Finished) else {
                    unreachable!("matched as idle just above");
                };
                // Pinned only for the claim: the guard is gone before `Pending` is returned.
                let guard = crossbeam_epoch::pin();
                let kind = channel.send_kind();
                match queue.start_send(value, kind, &forever(), Waiting::Task(cx.waker()), &guard) {
                    Start::Done(result) => result,
                    Start::Waiting(ticket) => {
                        *self = Sending::Waiting(ticket);
                        return Poll::Pending;
                    }
                }
            }
            Sending::Waiting(ticket) => {
                let Some(outcome) = SegmentedDualQueue::poll_ticket(ticket, cx.waker()) else {
                    return Poll::Pending;
                };
                let Sending::Waiting(ticket) = mem::replace(self, Sending::Finished) else {
                    unreachable!("matched as waiting just above");
                };
                queue.send_outcome(ticket, outcome)
            }
            Sending::Finished => panic!("a dualq send future was polled after it completed"),
        };
        Poll::Ready(result.map_err(|(value, failure)| {
            // An untimed wait ends only when the value is sent or the receivers are gone.
            debug_assert_eq!(failure, Failure::Disconnected);
            SendError(value)
        }))
    }

    /// Withdraws a parked send (its future or sink was dropped): its value is dropped here
    /// unless a receiver already took it (module docs). An unstarted value is simply dropped.
    pub(super) fn abandon(&mut self, channel: &Channel<T>) {
        if let Sending::Waiting(ticket) = mem::replace(self, Sending::Finished) {
            channel.queue.abandon_send(ticket, channel.send_kind());
        }
    }

    /// Whether the send has returned `Ready` (or there is none).
    pub(super) fn is_finished(&self) -> bool {
        matches!(self, Sending::Finished)
    }
}

/// The future of [`Sender::send_async`] and [`Sender::into_send_async`]: resolves to `Ok(())`
/// once the value is in the channel (unbounded, or room in a bounded channel) or taken by a
/// receiver (rendezvous), or to `Err(SendError(value))` if every receiver is gone.
///
/// It is `Send` when `T: Send`, always `Unpin`, and cancel-safe: dropping it while it waits
/// withdraws the value, which is dropped with the future, unless a receiver has already taken
/// it; never both. What a `mem::forget`-ten future does is in the
/// [channel docs](super#forgotten-futures).
#[must_use = "futures do nothing unless polled"]
pub struct SendFut<'a, T> {
    sender: End<'a, Sender<T>>,
    sending: Sending<T>,
}

/// The future of [`Receiver::recv_async`] and [`Receiver::into_recv_async`]: resolves to the
/// next value, or to `Err(RecvError)` once the channel is empty and every sender is gone.
///
/// It is `Send` when `T: Send`, always `Unpin`, and cancel-safe: dropping it while it waits
/// loses no value and reorders none (a value already handed to it goes back to the front of the
/// channel, where the next receive gets it). What
/// a `mem::forget`-ten future does is in the [channel docs](super#forgotten-futures).
#[must_use = "futures do nothing unless polled"]
pub struct RecvFut<'a, T> {
    receiver: End<'a, Receiver<T>>,
    receiving: Receiving<T>,
    finished: bool,
}

// The futures never pin their value or anything else: they move `T` by value only.
impl<T> Unpin for SendFut<'_, T> {}
impl<T> Unpin for RecvFut<'_, T> {}

impl<T> Sender<T> {
    /// Sends `value` from an async task: the future resolves once the value is sent (see
    /// [`send`](Self::send) for when that is on each kind of channel), or fails with the value
    /// back if every receiver is gone.
    ///
    /// The future waits in the same FIFO line as threads blocked in `send`. Dropping it while
    /// it waits withdraws the value (dropped with the future) unless a receiver already took
    /// it.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::executor::block_on;
    ///
    /// let (tx, rx) = dualq::channel::rendezvous();
    /// let receiver = std::thread::spawn(move || rx.recv()); // a thread, on the same channel
    /// block_on(tx.send_async("hello")).unwrap(); // resolves once the thread has taken it
    /// assert_eq!(receiver.join().unwrap(), Ok("hello"));
    /// ```
    pub fn send_async(&self, value: T) -> SendFut<'_, T> {
        SendFut {
            sender: End::Borrowed(self),
            sending: Sending::Idle(value),
        }
    }

    /// Like [`send_async`](Self::send_async), but the future owns the sender (it is `'static`
    /// when `T` is, so it can be spawned); the sender is dropped with the future.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = dualq::channel::bounded(1);
    /// tokio::spawn(tx.into_send_async(5));
    /// assert_eq!(rx.recv_async().await, Ok(5));
    /// # }
    /// ```
    pub fn into_send_async(self, value: T) -> SendFut<'static, T> {
        SendFut {
            sender: End::Owned(self),
            sending: Sending::Idle(value),
        }
    }
}

impl<T> Receiver<T> {
    /// Receives the next value from an async task, waiting for one if the channel is empty;
    /// fails once the channel is empty and every sender is gone.
    ///
    /// The future waits in the same FIFO line as threads blocked in `recv`: blocked threads
    /// and waiting tasks are served in the order they started waiting. Dropping it while it
    /// waits loses no value.
    ///
    /// # Examples
    ///
    /// ```
    /// use dualq::channel::{unbounded, RecvError};
    /// use futures::executor::block_on;
    ///
    /// let (tx, rx) = unbounded();
    /// std::thread::spawn(move || tx.send(7).unwrap()); // a thread sends, a task receives
    /// assert_eq!(block_on(rx.recv_async()), Ok(7));
    /// assert_eq!(block_on(rx.recv_async()), Err(RecvError)); // the sender is gone
    /// ```
    pub fn recv_async(&self) -> RecvFut<'_, T> {
        RecvFut {
            receiver: End::Borrowed(self),
            receiving: Receiving::Idle,
            finished: false,
        }
    }

    /// Like [`recv_async`](Self::recv_async), but the future owns the receiver (it is
    /// `'static` when `T` is, so it can be spawned); the receiver is dropped with the future.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = dualq::channel::unbounded();
    /// let task = tokio::spawn(rx.into_recv_async());
    /// tx.send_async(1).await.unwrap();
    /// assert_eq!(task.await.unwrap(), Ok(1));
    /// # }
    /// ```
    pub fn into_recv_async(self) -> RecvFut<'static, T> {
        RecvFut {
            receiver: End::Owned(self),
            receiving: Receiving::Idle,
            finished: false,
        }
    }
}

impl<T> Future for SendFut<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.sending.poll(&this.sender.channel, cx)
    }
}

impl<T> FusedFuture for SendFut<'_, T> {
    fn is_terminated(&self) -> bool {
        self.sending.is_finished()
    }
}

impl<T> Future for RecvFut<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            !this.finished,
            "a dualq receive future was polled after it completed"
        );
        let result = this.receiving.poll(&this.receiver.channel, cx);
        this.finished = result.is_ready();
        result
    }
}

impl<T> FusedFuture for RecvFut<'_, T> {
    fn is_terminated(&self) -> bool {
        self.finished
    }
}

impl<T> Drop for SendFut<'_, T> {
    fn drop(&mut self) {
        // Before the fields drop: an owned sender may be the last one.
        self.sending.abandon(&self.sender.channel);
    }
}

impl<T> Drop for RecvFut<'_, T> {
    fn drop(&mut self) {
        // Before the fields drop: an owned receiver may be the last one.
        self.receiving.abandon(&self.receiver.channel);
    }
}

impl<T> fmt::Debug for SendFut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFut")
            .field("waiting", &matches!(self.sending, Sending::Waiting(_)))
            .field("finished", &self.sending.is_finished())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for RecvFut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFut")
            .field("waiting", &matches!(self.receiving, Receiving::Waiting(_)))
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}
