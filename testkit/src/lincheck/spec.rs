//! The sequential specification of a dual queue and a dual stack, with two linearization points
//! for every blocking call.
//!
//! # Two points per blocking call
//!
//! Scherer & Scott split a partial operation (a `pop` that may have to wait) into a **request**
//! and a **follow-up**, each linearised at its own point. A blocking call is therefore recorded
//! as *two* operations over the same real-time interval; the checker may place them anywhere in
//! it, and the specification makes the request come first:
//!
//! | call (result) | request op | follow-up op |
//! | --- | --- | --- |
//! | `pop()` → `v` | `PopReq(c)` | `PopDone(c, v)` |
//! | `pop_timeout(d)` → `Some(v)` | `PopReq(c)` | `PopDone(c, v)` |
//! | `pop_timeout(d)` → `None` | `PopReq(c)` | `PopTimedOut(c)` |
//! | `transfer(v)` | `TransferReq(c, v)` | `TransferDone(c)` |
//! | `transfer_timeout(v, d)` → `Ok` | `TransferReq(c, v)` | `TransferDone(c)` |
//! | `transfer_timeout(v, d)` → `Err(v)` | `TransferReq(c, v)` | `TransferTimedOut(c, v)` |
//!
//! (`c` names the call.) `push`, `try_pop`, `try_transfer`, `is_empty` and
//! `has_waiting_consumer` are one-point operations. A census (`len`, `waiting_consumers`,
//! `waiting_producers`) is not linearizable while other threads run (it walks the list); it is
//! recorded only once the threads have finished, where it checks that the abstract state and
//! the structure agree on what is left.
//!
//! # The abstract state
//!
//! * `data`: values held, in arrival order, each with the `transfer` call waiting on it (if any);
//! * `waiting`: requests linked and not yet served, in arrival order;
//! * `got`: requests served (the value is theirs) whose follow-up has not happened yet;
//! * `taken`: transfers whose value a consumer took, whose follow-up has not happened yet.
//!
//! The structure's order decides which end serves: the queue takes the *oldest* value and
//! serves the *oldest* request; the stack the newest of both. A producer (`push`, a transfer's
//! request, a successful `try_transfer`) hands its value to the next waiting request if there is
//! one, else (push and transfer only) appends it to `data`. A consumer's request takes the next
//! value if there is one, else appends itself to `waiting`. So while any request waits, `data` is
//! empty, and no later consumer can overtake a waiting one.
//!
//! Follow-ups: `PopDone(c, v)` is legal only if request `c` was served with `v`;
//! `PopTimedOut(c)` only while `c` still waits (it withdraws it); `TransferDone(c)` only if `c`'s
//! value was taken; `TransferTimedOut(c, v)` only while `v` is still held for `c` (it withdraws
//! it, so it can never also be delivered). `try_pop` → `None` and `is_empty` → `true` need an
//! empty `data`; `try_transfer` → `Err` needs an empty `waiting`.

use super::wgl::Spec;
use std::collections::VecDeque;
use std::fmt;

/// A value pushed or transferred; every value of a history is distinct.
pub type Val = u32;
/// Names one blocking call of a history (its index in the history).
pub type CallId = u32;

/// An operation of the specification, with its observed result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `push(v)`.
    Push(Val),
    /// `try_pop()` and what it returned.
    TryPop(Option<Val>),
    /// `try_transfer(v)` and what it returned.
    TryTransfer(Val, Result<(), Val>),
    /// The request of blocking pop `c`: take a value, or wait in line.
    PopReq(CallId),
    /// The follow-up of pop `c`: it returned `v`.
    PopDone(CallId, Val),
    /// The follow-up of pop `c`: it gave up, withdrawing its request.
    PopTimedOut(CallId),
    /// The request of transfer `c` of `v`: hand it to a waiting consumer, or wait in line.
    TransferReq(CallId, Val),
    /// The follow-up of transfer `c`: a consumer took its value.
    TransferDone(CallId),
    /// The follow-up of transfer `c`: it was withdrawn and returned this value.
    TransferTimedOut(CallId, Val),
    /// `is_empty()` and what it returned.
    IsEmpty(bool),
    /// `has_waiting_consumer()` and what it returned.
    HasWaitingConsumer(bool),
    /// `len()`, taken while nothing else runs.
    Len(usize),
    /// `waiting_consumers()` and `waiting_producers()`, taken while nothing else runs.
    Waiting {
        /// Consumers waiting.
        consumers: usize,
        /// Transfers waiting.
        producers: usize,
    },
    // Channels ([`super::channel`]).
    /// The request of channel send `c` of `v`: hand it to a waiting receiver, put it in the
    /// buffer, or wait in line for room (or, every receiver gone, be refused).
    SendReq(CallId, Val),
    /// The request of channel send `c` of `v` that later timed out: it waited in line. Legal
    /// where a send request would block, and also, as for a `try_send` that says `Full`, on a
    /// bounded channel with room that no receiver waits on ([`super::channel`]).
    SendWaits(CallId, Val),
    /// The follow-up of send `c`: its value went in (it returned `Ok`).
    SendDone(CallId),
    /// The follow-up of send `c`: it gave up waiting and got `v` back.
    SendTimedOut(CallId, Val),
    /// The follow-up of send `c`: every receiver was gone; it got `v` back.
    SendDisconnected(CallId, Val),
    /// `try_send(v)` and what it returned.
    TrySend(Val, Sent),
    /// The request of channel receive `c`: take the next value, or wait in line.
    RecvReq(CallId),
    /// The follow-up of receive `c`: it returned `v`.
    RecvDone(CallId, Val),
    /// The follow-up of receive `c`: it gave up waiting.
    RecvTimedOut(CallId),
    /// The follow-up of receive `c`: the channel is empty and every sender is gone.
    RecvDisconnected(CallId),
    /// `try_recv()` and what it returned.
    TryRecv(Received),
    /// A `Sender` handle was dropped.
    DropSender,
    /// A `Receiver` handle was dropped.
    DropReceiver,
    /// A receive future dropped before it returned a value: it has no effect. It may have
    /// withdrawn from the line, or been handed a value that went back to the front
    /// (`src/segmented/front.rs`); either way the specification never saw it wait.
    RecvCancelled,
    /// A channel's `close()` and what it returned (whether this call closed the channel).
    Close(bool),
    /// A channel's `is_closed()` and what it returned.
    IsClosed(bool),
}

/// What a channel send returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sent {
    /// `Ok(())`: the value went in.
    Ok,
    /// `Full(v)` (`try_send` only).
    Full(Val),
    /// `Timeout(v)` (`send_timeout` only).
    TimedOut(Val),
    /// `Disconnected(v)`, or `SendError(v)`: every receiver is gone.
    Disconnected(Val),
}

/// What a channel receive returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Received {
    /// `Ok(v)`.
    Got(Val),
    /// `Empty` (`try_recv` only).
    Empty,
    /// `Timeout` (`recv_timeout` only).
    TimedOut,
    /// `Disconnected`, or `RecvError`: the channel is empty and every sender is gone.
    Disconnected,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Push(v) => write!(f, "push({v})"),
            Op::TryPop(r) => write!(f, "try_pop -> {r:?}"),
            Op::TryTransfer(v, r) => write!(f, "try_transfer({v}) -> {r:?}"),
            Op::PopReq(c) => write!(f, "#{c} pop: request"),
            Op::PopDone(c, v) => write!(f, "#{c} pop: follow-up, got {v}"),
            Op::PopTimedOut(c) => write!(f, "#{c} pop: follow-up, timed out"),
            Op::TransferReq(c, v) => write!(f, "#{c} transfer({v}): request"),
            Op::TransferDone(c) => write!(f, "#{c} transfer: follow-up, taken"),
            Op::TransferTimedOut(c, v) => write!(f, "#{c} transfer: follow-up, withdrawn ({v})"),
            Op::IsEmpty(b) => write!(f, "is_empty -> {b}"),
            Op::HasWaitingConsumer(b) => write!(f, "has_waiting_consumer -> {b}"),
            Op::Len(n) => write!(f, "len -> {n}"),
            Op::Waiting {
                consumers,
                producers,
            } => write!(
                f,
                "waiting consumers {consumers}, waiting producers {producers}"
            ),
            Op::SendReq(c, v) => write!(f, "#{c} send({v}): request"),
            Op::SendWaits(c, v) => write!(f, "#{c} send({v}): request, waits"),
            Op::SendDone(c) => write!(f, "#{c} send: follow-up, went in"),
            Op::SendTimedOut(c, v) => write!(f, "#{c} send: follow-up, timed out ({v} back)"),
            Op::SendDisconnected(c, v) => {
                write!(f, "#{c} send: follow-up, disconnected ({v} back)")
            }
            Op::TrySend(v, r) => write!(f, "try_send({v}) -> {r:?}"),
            Op::RecvReq(c) => write!(f, "#{c} recv: request"),
            Op::RecvDone(c, v) => write!(f, "#{c} recv: follow-up, got {v}"),
            Op::RecvTimedOut(c) => write!(f, "#{c} recv: follow-up, timed out"),
            Op::RecvDisconnected(c) => write!(f, "#{c} recv: follow-up, disconnected"),
            Op::TryRecv(r) => write!(f, "try_recv -> {r:?}"),
            Op::DropSender => write!(f, "drop a Sender"),
            Op::RecvCancelled => write!(f, "a receive future dropped: no effect"),
            Op::DropReceiver => write!(f, "drop a Receiver"),
            Op::Close(b) => write!(f, "close -> {b}"),
            Op::IsClosed(b) => write!(f, "is_closed -> {b}"),
        }
    }
}

/// The state of a dual queue (`LIFO = false`) or dual stack (`LIFO = true`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DualSpec<const LIFO: bool> {
    /// Values held, oldest first, each with the transfer call waiting on it.
    data: VecDeque<(Val, Option<CallId>)>,
    /// Requests waiting, oldest first.
    waiting: VecDeque<CallId>,
    /// Served requests awaiting their follow-up, sorted by call.
    got: Vec<(CallId, Val)>,
    /// Taken transfers awaiting their follow-up, sorted.
    taken: Vec<CallId>,
}

/// The dual queue's specification: FIFO data, FIFO requests.
pub type QueueSpec = DualSpec<false>;
/// The dual stack's specification: LIFO data, LIFO requests.
pub type StackSpec = DualSpec<true>;

pub(super) fn insert_sorted<K: Ord>(v: &mut Vec<K>, k: K) {
    let at = v.binary_search(&k).unwrap_or_else(|at| at);
    v.insert(at, k);
}

pub(super) fn remove<K: PartialEq>(v: &mut Vec<K>, k: &K) -> Option<K> {
    let at = v.iter().position(|x| x == k)?;
    Some(v.remove(at))
}

impl<const LIFO: bool> DualSpec<LIFO> {
    /// Removes the value a consumer gets next, noting the transfer it ends (if any) as taken.
    fn take_data(&mut self) -> Option<Val> {
        let (v, from) = if LIFO {
            self.data.pop_back()
        } else {
            self.data.pop_front()
        }?;
        if let Some(p) = from {
            insert_sorted(&mut self.taken, p);
        }
        Some(v)
    }

    /// Hands `v` (from transfer `from`, if any) to the request served next. False if none waits.
    fn hand_off(&mut self, v: Val, from: Option<CallId>) -> bool {
        let next = if LIFO {
            self.waiting.pop_back()
        } else {
            self.waiting.pop_front()
        };
        let Some(c) = next else {
            return false;
        };
        insert_sorted(&mut self.got, (c, v));
        if let Some(p) = from {
            insert_sorted(&mut self.taken, p);
        }
        true
    }
}

impl<const LIFO: bool> Spec for DualSpec<LIFO> {
    type Op = Op;

    fn apply(&self, op: &Op) -> Option<Self> {
        let mut s = self.clone();
        match *op {
            Op::Push(v) => {
                if !s.hand_off(v, None) {
                    s.data.push_back((v, None));
                }
            }
            Op::TryPop(None) | Op::IsEmpty(true) => (s.data.is_empty()).then_some(())?,
            Op::IsEmpty(false) => (!s.data.is_empty()).then_some(())?,
            Op::TryPop(Some(v)) => (s.take_data()? == v).then_some(())?,
            Op::TryTransfer(v, Ok(())) => s.hand_off(v, None).then_some(())?,
            Op::TryTransfer(v, Err(back)) => (back == v && s.waiting.is_empty()).then_some(())?,
            Op::HasWaitingConsumer(b) => (s.waiting.is_empty() != b).then_some(())?,
            Op::PopReq(c) => match s.take_data() {
                Some(v) => insert_sorted(&mut s.got, (c, v)),
                None => s.waiting.push_back(c),
            },
            Op::PopDone(c, v) => {
                remove(&mut s.got, &(c, v))?;
            }
            Op::PopTimedOut(c) => {
                let at = s.waiting.iter().position(|&w| w == c)?;
                s.waiting.remove(at);
            }
            Op::TransferReq(c, v) => {
                if !s.hand_off(v, Some(c)) {
                    s.data.push_back((v, Some(c)));
                }
            }
            Op::TransferDone(c) => {
                remove(&mut s.taken, &c)?;
            }
            Op::TransferTimedOut(c, v) => {
                let at = s.data.iter().position(|&d| d == (v, Some(c)))?;
                s.data.remove(at);
            }
            Op::Len(n) => (s.data.len() == n).then_some(())?,
            Op::Waiting {
                consumers,
                producers,
            } => {
                let held_by_producers = s.data.iter().filter(|d| d.1.is_some()).count();
                (s.waiting.len() == consumers && held_by_producers == producers).then_some(())?
            }
            channel_op => panic!("{channel_op} is a channel's operation, not a dual structure's"),
        }
        Some(s)
    }
}
