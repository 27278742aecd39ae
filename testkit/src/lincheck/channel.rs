//! The sequential specification of dualq's channels (unbounded, bounded(n), rendezvous), and the
//! recording of channel calls.
//!
//! # The specification
//!
//! A channel of capacity `n` (`None`: unbounded; `Some(0)`: rendezvous) is, sequentially:
//!
//! * `buffer`: the values in the channel, oldest first (at most `n`; a send whose value is here
//!   has returned, or is about to return, `Ok`);
//! * `blocked`: senders waiting for room (for a receiver, if `n` is 0), in the order they
//!   blocked, each with its value;
//! * `waiting`: receivers waiting for a value, in the order they blocked;
//! * the live `Sender` and `Receiver` handles.
//!
//! As for the dual structures ([`super::spec`]), a call that may wait has two linearization
//! points, a request and a follow-up:
//!
//! | call (result) | request op | follow-up op |
//! | --- | --- | --- |
//! | `send(v)`, `send_timeout(v, d)` → `Ok` | `SendReq(c, v)` | `SendDone(c)` |
//! | `send_timeout(v, d)` → `Timeout(v)` | `SendWaits(c, v)` | `SendTimedOut(c, v)` |
//! | `send(v)`, `send_timeout` → `Disconnected(v)` | `SendReq(c, v)` | `SendDisconnected(c, v)` |
//! | `recv()`, `recv_timeout(d)` → `Ok(v)` | `RecvReq(c)` | `RecvDone(c, v)` |
//! | `recv_timeout(d)` → `Timeout` | `RecvReq(c)` | `RecvTimedOut(c)` |
//! | `recv()`, `recv_timeout` → `Disconnected` | `RecvReq(c)` | `RecvDisconnected(c)` |
//!
//! `try_send`, `try_recv` and dropping a handle are one-point operations, and so is a receive
//! future dropped before it returned (`RecvCancelled`), which has **no effect**: a value that
//! was handed to it goes back to the front, so the specification never shows it waiting.
//!
//! * **A send request** hands its value to the oldest waiting receiver if one waits; else puts
//!   it at the back of the buffer if there is room and no sender is blocked before it; else the
//!   sender blocks, at the back of the line. With every receiver gone it is refused (its
//!   follow-up is `SendDisconnected`).
//! * **A receive request** takes the oldest value of the buffer, and the slot it frees goes at
//!   once to the oldest blocked sender, whose value enters the buffer (blocked senders are
//!   released in the order they blocked, one per freed slot); with a capacity of 0 it takes the
//!   oldest blocked sender's value directly. If there is no value, it waits at the back of the
//!   line, or, every sender gone, is refused (`RecvDisconnected`).
//! * Follow-ups: `SendDone(c)` only once `c`'s value went in (or was handed over);
//!   `SendTimedOut(c, v)` only while `c` is still blocked (it leaves the line, and its value is
//!   never delivered); `RecvTimedOut(c)` only while `c` still waits.
//! * **A send that timed out** waited in line: its request is `SendWaits`, which joins the back
//!   of the blocked senders. It is legal wherever a `try_send` may say `Full` (below), so on a
//!   bounded channel with room too, provided no receiver waits: a cell whose send was withdrawn
//!   still counts until a receiver passes it (`src/channel/mod.rs`), so a `send_timeout` with a
//!   short timeout that comes after a withdrawn send may time out with the slot free (the
//!   native `bounded_1_channel_histories_are_linearizable` recorded one: a `send_timeout(v,
//!   0µs)` timed out right after a timed-out send's value had left the buffer).
//! * **Disconnection.** Dropping the last `Receiver` drops every value in the buffer (nothing
//!   stays inside) and refuses every blocked sender; dropping the last `Sender` refuses every
//!   waiting receiver (values still in the buffer are received first).
//! * **`try_send`** succeeds exactly as a send request that does not block would. It may
//!   report `Full` whenever no receiver waits, **even if there is room**: dualq documents that
//!   a `try_send` on a bounded channel may see the channel full while a receive that has
//!   claimed its value is finishing, or while a withdrawn send's cell still counts
//!   (`src/channel/mod.rs`, "What try_send promises"); that it succeeds on a quiescent channel
//!   with room is a promise the native tests check, not this specification. On a rendezvous
//!   channel `Full` means exactly "no receiver waits"; an unbounded channel is never `Full`.
//! * **`try_recv`** takes a value if one is there (from the buffer, or from a blocked sender of
//!   a rendezvous channel); `Empty` only if there is none and a sender is left;
//!   `Disconnected` only if there is none and every sender is gone (or the channel is closed).
//! * **`close()`** (either end) closes the channel: every blocked sender is refused (its value
//!   comes back), every waiting receiver is refused (it waits only when there is no value),
//!   and from then on sends are refused while receives take what is in the buffer, then are
//!   refused. It returns true iff the channel was open: not closed before, and neither side
//!   gone. **`is_closed()`** is true once it was closed or a side is gone.
//!
//! # Recording
//!
//! A thread's handles travel in an [`Ends`]; its [`Recorder`] makes the channel calls on them
//! and records each. Drop a handle through the recorder ([`Recorder::drop_sender`],
//! [`Recorder::drop_receiver`]) whenever other threads may still run: a handle dropped without
//! a record would disconnect the channel behind the specification's back.

use super::history::Call;
use super::record::{Key, Recorder};
use super::spec::{insert_sorted, remove, CallId, Op, Received, Sent, Val};
use super::wgl::Spec;
use dualq::channel::{
    Receiver, RecvError, RecvTimeoutError, SendError, SendTimeoutError, Sender, TryRecvError,
    TrySendError,
};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// A waker for a future polled once: nobody waits for its wake.
struct NobodyWatches;

impl Wake for NobodyWatches {
    fn wake(self: std::sync::Arc<Self>) {}
}

/// The state of a channel (module docs).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChannelSpec {
    /// `None`: unbounded; `Some(0)`: rendezvous.
    cap: Option<usize>,
    /// Values in the channel, oldest first.
    buffer: VecDeque<Val>,
    /// Senders waiting for room, oldest first, with their values.
    blocked: VecDeque<(CallId, Val)>,
    /// Receivers waiting for a value, oldest first.
    waiting: VecDeque<CallId>,
    /// Receivers served, awaiting their follow-up; sorted.
    got: Vec<(CallId, Val)>,
    /// Sends whose value went in (or was handed over), awaiting their follow-up; sorted.
    sent: Vec<CallId>,
    /// Sends refused (every receiver gone), awaiting their follow-up; sorted.
    refused_sends: Vec<(CallId, Val)>,
    /// Receives refused (empty, every sender gone), awaiting their follow-up; sorted.
    refused_recvs: Vec<CallId>,
    /// Live `Sender` handles.
    senders: usize,
    /// Live `Receiver` handles.
    receivers: usize,
    /// Whether `close()` was called.
    closed: bool,
}

impl ChannelSpec {
    /// An empty channel of capacity `cap` (`None`: unbounded; `Some(0)`: rendezvous) with
    /// `senders` and `receivers` live handles.
    pub fn new(cap: Option<usize>, senders: usize, receivers: usize) -> Self {
        ChannelSpec {
            cap,
            buffer: VecDeque::new(),
            blocked: VecDeque::new(),
            waiting: VecDeque::new(),
            got: Vec::new(),
            sent: Vec::new(),
            refused_sends: Vec::new(),
            refused_recvs: Vec::new(),
            senders,
            receivers,
            closed: false,
        }
    }

    /// Whether no send can succeed: closed, or every receiver gone.
    fn refuses_sends(&self) -> bool {
        self.closed || self.receivers == 0
    }

    /// Whether a receive that finds no value is refused: closed, or every sender gone.
    fn refuses_empty_recvs(&self) -> bool {
        self.closed || self.senders == 0
    }

    /// Whether the channel reads closed: `close()` was called, or a side is gone.
    fn is_closed(&self) -> bool {
        self.closed || self.senders == 0 || self.receivers == 0
    }

    /// Whether a send that comes now may put its value in the buffer.
    fn has_room(&self) -> bool {
        self.blocked.is_empty() && self.cap.is_none_or(|n| self.buffer.len() < n)
    }

    /// Removes the value the next receiver gets, releasing the oldest blocked sender into the
    /// slot it frees (or, with no buffer, taking that sender's value directly).
    fn take_value(&mut self) -> Option<Val> {
        let Some(v) = self.buffer.pop_front() else {
            let (c, v) = self.blocked.pop_front()?;
            insert_sorted(&mut self.sent, c);
            return Some(v);
        };
        if let Some((c, w)) = self.blocked.pop_front() {
            self.buffer.push_back(w);
            insert_sorted(&mut self.sent, c);
        }
        Some(v)
    }

    /// Whether a send may find a bounded channel full now although it has room: no receiver
    /// waits (which would take the value at once), and a receiver is left (module docs).
    fn may_say_full(&self) -> bool {
        !self.refuses_sends() && self.cap.is_some() && self.waiting.is_empty()
    }

    /// Whether a receiver could take a value now.
    fn has_value(&self) -> bool {
        !self.buffer.is_empty() || !self.blocked.is_empty()
    }

    /// Hands `v` to the oldest waiting receiver, or puts it in the buffer if there is room.
    /// False if neither is possible (the sender would block).
    fn offer(&mut self, v: Val) -> bool {
        if let Some(r) = self.waiting.pop_front() {
            insert_sorted(&mut self.got, (r, v));
        } else if self.has_room() {
            self.buffer.push_back(v);
        } else {
            return false;
        }
        true
    }
}

impl Spec for ChannelSpec {
    type Op = Op;

    fn apply(&self, op: &Op) -> Option<Self> {
        let mut s = self.clone();
        match *op {
            Op::SendReq(c, v) => {
                if s.refuses_sends() {
                    insert_sorted(&mut s.refused_sends, (c, v));
                } else if s.offer(v) {
                    insert_sorted(&mut s.sent, c);
                } else {
                    s.blocked.push_back((c, v));
                }
            }
            Op::SendWaits(c, v) => {
                // A send blocks only on a bounded channel with no receiver waiting: so this
                // covers both a full channel and the documented spurious `Full`.
                s.may_say_full().then_some(())?;
                s.blocked.push_back((c, v));
            }
            Op::SendDone(c) => {
                remove(&mut s.sent, &c)?;
            }
            Op::SendTimedOut(c, v) => {
                let at = s.blocked.iter().position(|&b| b == (c, v))?;
                s.blocked.remove(at);
            }
            Op::SendDisconnected(c, v) => {
                remove(&mut s.refused_sends, &(c, v))?;
            }
            Op::TrySend(v, Sent::Ok) => (!s.refuses_sends() && s.offer(v)).then_some(())?,
            Op::TrySend(v, Sent::Full(back)) => (back == v && s.may_say_full()).then_some(())?,
            Op::TrySend(v, Sent::Disconnected(back)) => {
                (back == v && s.refuses_sends()).then_some(())?
            }
            Op::TrySend(_, Sent::TimedOut(_)) => return None,
            Op::RecvReq(c) => match s.take_value() {
                Some(v) => insert_sorted(&mut s.got, (c, v)),
                None if s.refuses_empty_recvs() => insert_sorted(&mut s.refused_recvs, c),
                None => s.waiting.push_back(c),
            },
            Op::RecvDone(c, v) => {
                remove(&mut s.got, &(c, v))?;
            }
            Op::RecvTimedOut(c) => {
                let at = s.waiting.iter().position(|&w| w == c)?;
                s.waiting.remove(at);
            }
            Op::RecvDisconnected(c) => {
                remove(&mut s.refused_recvs, &c)?;
            }
            Op::TryRecv(Received::Got(v)) => (s.take_value()? == v).then_some(())?,
            Op::TryRecv(Received::Empty) => {
                (!s.has_value() && !s.refuses_empty_recvs()).then_some(())?
            }
            Op::TryRecv(Received::Disconnected) => {
                (!s.has_value() && s.refuses_empty_recvs()).then_some(())?
            }
            Op::TryRecv(Received::TimedOut) => return None,
            Op::DropSender => {
                s.senders = s.senders.checked_sub(1)?;
                if s.senders == 0 {
                    for c in std::mem::take(&mut s.waiting) {
                        insert_sorted(&mut s.refused_recvs, c);
                    }
                }
            }
            Op::DropReceiver => {
                s.receivers = s.receivers.checked_sub(1)?;
                if s.receivers == 0 {
                    // Nothing stays inside: the buffered values are dropped now.
                    s.buffer.clear();
                    for b in std::mem::take(&mut s.blocked) {
                        insert_sorted(&mut s.refused_sends, b);
                    }
                }
            }
            Op::Close(first) => {
                (first != s.is_closed()).then_some(())?;
                s.closed = true;
                for b in std::mem::take(&mut s.blocked) {
                    insert_sorted(&mut s.refused_sends, b);
                }
                for c in std::mem::take(&mut s.waiting) {
                    insert_sorted(&mut s.refused_recvs, c);
                }
            }
            Op::IsClosed(b) => (b == s.is_closed()).then_some(())?,
            Op::Len(n) => (s.buffer.len() == n).then_some(())?,
            Op::RecvCancelled => {}
            dual_op => panic!("{dual_op} is a dual structure's operation, not a channel's"),
        }
        Some(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Recording channel calls.

/// The handles one thread uses: a `Sender`, a `Receiver`, or both.
pub struct Ends<T> {
    /// The thread's `Sender`, until it drops it.
    pub tx: Option<Sender<T>>,
    /// The thread's `Receiver`, until it drops it.
    pub rx: Option<Receiver<T>>,
}

impl<T> Ends<T> {
    /// No handle (a thread that only joins, or a history that ends without a drain).
    pub fn none() -> Self {
        Ends { tx: None, rx: None }
    }

    /// Both handles.
    pub fn both(tx: Sender<T>, rx: Receiver<T>) -> Self {
        Ends {
            tx: Some(tx),
            rx: Some(rx),
        }
    }

    /// A `Sender` only.
    pub fn sender(tx: Sender<T>) -> Self {
        Ends {
            tx: Some(tx),
            rx: None,
        }
    }

    /// A `Receiver` only.
    pub fn receiver(rx: Receiver<T>) -> Self {
        Ends {
            tx: None,
            rx: Some(rx),
        }
    }

    fn tx(&self) -> &Sender<T> {
        self.tx.as_ref().expect("this thread has no Sender (left)")
    }

    fn rx(&self) -> &Receiver<T> {
        self.rx
            .as_ref()
            .expect("this thread has no Receiver (left)")
    }
}

impl<T> fmt::Debug for Ends<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ends")
            .field("tx", &self.tx.is_some())
            .field("rx", &self.rx.is_some())
            .finish()
    }
}

/// A timeout as the history shows it.
fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// How a received value appears in a history.
fn received<T: Key>(r: &Result<T, Received>) -> Received {
    match r {
        Ok(v) => Received::Got(v.key()),
        Err(why) => *why,
    }
}

impl<T: Key> Recorder<T, Ends<T>> {
    /// `send(v)`: `Err(v)` if every receiver is gone.
    pub fn send(&mut self, v: T) -> Result<(), T> {
        let k = v.key();
        self.stamp(|ends| {
            let result = ends.tx().send(v).map_err(|SendError(v)| v);
            let sent = match result {
                Ok(()) => Sent::Ok,
                Err(_) => Sent::Disconnected(k),
            };
            (
                result,
                Call::Send {
                    v: k,
                    micros: None,
                    result: sent,
                },
            )
        })
    }

    /// `try_send(v)`.
    pub fn try_send(&mut self, v: T) -> Result<(), TrySendError<T>> {
        let k = v.key();
        self.stamp(|ends| {
            let result = ends.tx().try_send(v);
            let sent = match &result {
                Ok(()) => Sent::Ok,
                Err(TrySendError::Full(v)) => Sent::Full(v.key()),
                Err(TrySendError::Disconnected(v)) => Sent::Disconnected(v.key()),
            };
            (result, Call::TrySend(k, sent))
        })
    }

    /// `send_timeout(v, timeout)`.
    pub fn send_timeout(&mut self, v: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        let k = v.key();
        self.stamp(|ends| {
            let result = ends.tx().send_timeout(v, timeout);
            let sent = match &result {
                Ok(()) => Sent::Ok,
                Err(SendTimeoutError::Timeout(v)) => Sent::TimedOut(v.key()),
                Err(SendTimeoutError::Disconnected(v)) => Sent::Disconnected(v.key()),
            };
            let call = Call::Send {
                v: k,
                micros: Some(micros(timeout)),
                result: sent,
            };
            (result, call)
        })
    }

    /// `recv()`.
    pub fn recv(&mut self) -> Result<T, RecvError> {
        self.stamp(|ends| {
            let result = ends.rx().recv().map_err(|RecvError| Received::Disconnected);
            let call = Call::Recv {
                micros: None,
                result: received(&result),
            };
            (result.map_err(|_| RecvError), call)
        })
    }

    /// `try_recv()`.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.stamp(|ends| {
            let result = ends.rx().try_recv();
            let r = match &result {
                Ok(v) => Received::Got(v.key()),
                Err(TryRecvError::Empty) => Received::Empty,
                Err(TryRecvError::Disconnected) => Received::Disconnected,
            };
            (result, Call::TryRecv(r))
        })
    }

    /// `recv_timeout(timeout)`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.stamp(|ends| {
            let result = ends.rx().recv_timeout(timeout);
            let r = match &result {
                Ok(v) => Received::Got(v.key()),
                Err(RecvTimeoutError::Timeout) => Received::TimedOut,
                Err(RecvTimeoutError::Disconnected) => Received::Disconnected,
            };
            let call = Call::Recv {
                micros: Some(micros(timeout)),
                result: r,
            };
            (result, call)
        })
    }

    /// `recv_async()`, polled once with a waker nobody watches: its value if it was ready,
    /// else `None` after the future was dropped (recorded as `RecvCancelled`, a no-op).
    pub fn recv_async_once(&mut self) -> Option<Result<T, RecvError>> {
        self.stamp(|ends| {
            let waker = Waker::from(std::sync::Arc::new(NobodyWatches));
            let mut fut = ends.rx().recv_async();
            match Pin::new(&mut fut).poll(&mut Context::from_waker(&waker)) {
                Poll::Ready(result) => {
                    let got = result.map_err(|RecvError| Received::Disconnected);
                    let call = Call::Recv {
                        micros: None,
                        result: received(&got),
                    };
                    (Some(got.map_err(|_| RecvError)), call)
                }
                Poll::Pending => {
                    drop(fut);
                    (None, Call::RecvCancelled)
                }
            }
        })
    }

    /// `close()`, on this thread's `Sender` if it has one, else on its `Receiver`.
    pub fn close(&mut self) -> bool {
        self.stamp(|ends| {
            let first = match (&ends.tx, &ends.rx) {
                (Some(tx), _) => tx.close(),
                (None, Some(rx)) => rx.close(),
                (None, None) => panic!("this thread has no handle (left)"),
            };
            (first, Call::Close(first))
        })
    }

    /// `is_closed()`, on this thread's `Sender` if it has one, else on its `Receiver`.
    pub fn is_closed(&mut self) -> bool {
        self.stamp(|ends| {
            let closed = match (&ends.tx, &ends.rx) {
                (Some(tx), _) => tx.is_closed(),
                (None, Some(rx)) => rx.is_closed(),
                (None, None) => panic!("this thread has no handle (left)"),
            };
            (closed, Call::IsClosed(closed))
        })
    }

    /// Drops this thread's `Sender`.
    pub fn drop_sender(&mut self) {
        self.stamp(|ends| {
            drop(ends.tx.take().expect("this thread has no Sender (left)"));
            ((), Call::DropSender)
        })
    }

    /// Drops this thread's `Receiver`.
    pub fn drop_receiver(&mut self) {
        self.stamp(|ends| {
            drop(ends.rx.take().expect("this thread has no Receiver (left)"));
            ((), Call::DropReceiver)
        })
    }

    /// Takes this thread's handles out of the recorder, alive (nothing is recorded: no handle is
    /// dropped), for instance to hand them to the final drain.
    pub fn hand_over(&mut self) -> Ends<T> {
        std::mem::replace(self.target_mut(), Ends::none())
    }

    /// Once the other threads have finished: `try_recv()` until it finds nothing. Returns the
    /// values taken out (at most 64, in case a broken channel makes values up).
    pub fn drain(&mut self) -> Vec<T> {
        let mut left = Vec::new();
        for _ in 0..64 {
            match self.try_recv() {
                Ok(v) => left.push(v),
                Err(_) => break,
            }
        }
        left
    }
}
