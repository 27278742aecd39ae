//! [`RecvStream`] (a `futures_core::Stream` of the received values) and [`SendSink`] (a
//! `futures_sink::Sink` that sends): the async futures of `future.rs`, one after the other.
//!
//! A stream is a receive future that goes back to idle after each value, so between two items
//! it holds nothing, and while it waits it is a parked receive like any other (same FIFO line,
//! same cancellation: dropping it while it waits loses no value). A sink holds at most one send
//! in flight: `start_send` hands it the value, and `poll_ready`, `poll_flush` and `poll_close`
//! drive it until it is sent.

use super::future::{End, Receiving, Sending};
use super::{Receiver, SendError, Sender};
use crate::segmented::SendKind;
use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The values of a [`Receiver`], as a [`Stream`](futures_core::Stream): see [`Receiver::stream`] and
/// [`Receiver::into_stream`]. Ends (`None`) once the channel is empty and every sender is gone.
///
/// It is `Send` when `T: Send`, and `Unpin`. Dropping it while it waits for an item loses no
/// value, as for [`RecvFut`](super::RecvFut).
#[must_use = "streams do nothing unless polled"]
pub struct RecvStream<'a, T> {
    receiver: End<'a, Receiver<T>>,
    receiving: Receiving<T>,
    ended: bool,
}

/// A [`Sink`](futures_sink::Sink) that sends into a channel: see [`Sender::sink`] and [`Sender::into_sink`]. Its
/// error is [`SendError`], which gives back the value that could not be sent (every receiver
/// is gone).
///
/// It holds one send at a time. On an unbounded channel, [`start_send`](Sink::start_send)
/// sends at once (it never waits); on a bounded or rendezvous channel the value waits in the
/// sink and is sent when the sink is next polled (`poll_ready`, `poll_flush` or `poll_close`),
/// taking its place in the line of waiting senders then. As the `Sink` contract says, a value
/// is sent for sure only once `poll_flush` (or the next `poll_ready`) has returned `Ok`:
/// dropping the sink with a value not yet sent drops that value, and dropping it while the
/// send waits withdraws it as a dropped [`SendFut`](super::SendFut) does. Closing the sink
/// flushes it; the channel disconnects when the sink's sender is dropped.
///
/// It is `Send` when `T: Send`, and `Unpin`.
#[must_use = "sinks do nothing unless polled"]
pub struct SendSink<'a, T> {
    sender: End<'a, Sender<T>>,
    sending: Sending<T>,
}

// Neither pins its value: `T` only moves by value.
impl<T> Unpin for RecvStream<'_, T> {}
impl<T> Unpin for SendSink<'_, T> {}

impl<T> Receiver<T> {
    /// The values of this receiver as a [`Stream`], for async tasks. Each item is received as
    /// by [`recv_async`](Self::recv_async), in the same FIFO line as every other receiver;
    /// the stream ends once the channel is empty and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use futures::StreamExt;
    ///
    /// let (tx, rx) = dualq::channel::bounded(2);
    /// std::thread::spawn(move || (0..5).for_each(|i| tx.send(i).unwrap()));
    /// let got: Vec<i32> = block_on(rx.stream().collect());
    /// assert_eq!(got, [0, 1, 2, 3, 4]);
    /// ```
    pub fn stream(&self) -> RecvStream<'_, T> {
        RecvStream {
            receiver: End::Borrowed(self),
            receiving: Receiving::Idle,
            ended: false,
        }
    }

    /// Like [`stream`](Self::stream), but the stream owns the receiver (it is `'static` when
    /// `T` is, so a task can own it).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use futures::StreamExt;
    ///
    /// let (tx, rx) = dualq::channel::unbounded();
    /// let sum = tokio::spawn(rx.into_stream().fold(0, |sum, x| async move { sum + x }));
    /// for i in 1..=4 {
    ///     tx.send(i).unwrap();
    /// }
    /// drop(tx);
    /// assert_eq!(sum.await.unwrap(), 10);
    /// # }
    /// ```
    pub fn into_stream(self) -> RecvStream<'static, T> {
        RecvStream {
            receiver: End::Owned(self),
            receiving: Receiving::Idle,
            ended: false,
        }
    }
}

impl<T> Sender<T> {
    /// A [`Sink`] that sends into this channel, for async tasks (see [`SendSink`] for when
    /// a value is sent).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use futures::{stream, SinkExt, StreamExt};
    ///
    /// let (tx, rx) = dualq::channel::bounded(1);
    /// let reader = std::thread::spawn(move || rx.iter().collect::<Vec<_>>());
    /// block_on(stream::iter([1, 2, 3]).map(Ok).forward(tx.sink())).unwrap();
    /// drop(tx);
    /// assert_eq!(reader.join().unwrap(), [1, 2, 3]);
    /// ```
    pub fn sink(&self) -> SendSink<'_, T> {
        SendSink {
            sender: End::Borrowed(self),
            sending: Sending::Finished,
        }
    }

    /// Like [`sink`](Self::sink), but the sink owns the sender: the channel's sending side
    /// disconnects when the sink is dropped (if it holds the last sender).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use futures::SinkExt;
    ///
    /// let (tx, rx) = dualq::channel::rendezvous();
    /// let reader = std::thread::spawn(move || rx.iter().collect::<Vec<_>>());
    /// let mut sink = tx.into_sink();
    /// sink.send("a").await.unwrap(); // returns once the thread has taken it
    /// sink.send("b").await.unwrap();
    /// drop(sink); // the last sender: the reader's iteration ends
    /// assert_eq!(reader.join().unwrap(), ["a", "b"]);
    /// # }
    /// ```
    pub fn into_sink(self) -> SendSink<'static, T> {
        SendSink {
            sender: End::Owned(self),
            sending: Sending::Finished,
        }
    }
}

impl<T> Stream for RecvStream<'_, T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        this.receiving
            .poll(&this.receiver.channel, cx)
            .map(|result| match result {
                Ok(value) => Some(value),
                Err(_) => {
                    // No sender can ever come back: the stream stays ended.
                    this.ended = true;
                    None
                }
            })
    }
}

impl<T> FusedStream for RecvStream<'_, T> {
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

impl<T> SendSink<'_, T> {
    /// Drives the send in flight, if any, to its end.
    fn poll_sent(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        if self.sending.is_finished() {
            return Poll::Ready(Ok(()));
        }
        self.sending.poll(&self.sender.channel, cx)
    }
}

impl<T> Sink<T> for SendSink<'_, T> {
    type Error = SendError<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_sent(cx)
    }

    /// # Panics
    ///
    /// If a send is still in flight: `poll_ready` must have returned `Ok` first (the `Sink`
    /// contract).
    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        assert!(
            this.sending.is_finished(),
            "SendSink::start_send called while a send was in flight (poll_ready first)"
        );
        if this.sender.channel.send_kind() == SendKind::Push {
            // Never waits: send now, so the value is in the channel even if the sink is
            // dropped unflushed.
            return this.sender.send(item);
        }
        this.sending = Sending::Idle(item);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_sent(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_sent(cx)
    }
}

impl<T> Drop for RecvStream<'_, T> {
    fn drop(&mut self) {
        // Before the fields drop: an owned receiver may be the last one.
        self.receiving.abandon(&self.receiver.channel);
    }
}

impl<T> Drop for SendSink<'_, T> {
    fn drop(&mut self) {
        // Before the fields drop: an owned sender may be the last one.
        self.sending.abandon(&self.sender.channel);
    }
}

impl<T> fmt::Debug for RecvStream<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvStream")
            .field("waiting", &matches!(self.receiving, Receiving::Waiting(_)))
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for SendSink<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendSink")
            .field("in_flight", &!self.sending.is_finished())
            .finish_non_exhaustive()
    }
}
