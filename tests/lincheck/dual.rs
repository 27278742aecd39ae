//! The sequential specification of a dual queue and a dual stack, with two linearization points
//! for every blocking call, and the histories it judges.
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
//! | `pop_timeout(d)` → `Some(v)` | `PopReq(c)` | `PopDone(c, v)` |
//! | `pop_timeout(d)` → `None` | `PopReq(c)` | `PopTimedOut(c)` |
//! | `transfer_timeout(v, d)` → `Ok` | `TransferReq(c, v)` | `TransferDone(c)` |
//! | `transfer_timeout(v, d)` → `Err(v)` | `TransferReq(c, v)` | `TransferTimedOut(c, v)` |
//!
//! (`c` names the call.) `push`, `try_pop`, `try_transfer`, `is_empty` and
//! `has_waiting_consumer` are one-point operations. A census (`len`, `waiting_consumers`,
//! `waiting_producers`) is not linearizable while other threads run (it walks the list); it is
//! recorded only once the threads have finished.
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

use super::wgl::{self, Event, Spec, Verdict};
use std::collections::VecDeque;
use std::fmt;

/// A value pushed or transferred; every value of a history is distinct.
pub(crate) type Val = u32;
/// Names one blocking call of a history (its index in the history).
pub(crate) type CallId = u32;

/// An operation of the specification, with its observed result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    Push(Val),
    TryPop(Option<Val>),
    /// `try_transfer(v)` and what it returned.
    TryTransfer(Val, Result<(), Val>),
    PopReq(CallId),
    PopDone(CallId, Val),
    PopTimedOut(CallId),
    TransferReq(CallId, Val),
    TransferDone(CallId),
    /// The transfer was withdrawn and returned this value.
    TransferTimedOut(CallId, Val),
    IsEmpty(bool),
    HasWaitingConsumer(bool),
    /// `len`, `waiting_consumers` and `waiting_producers`, taken while nothing else runs.
    Census {
        values: usize,
        consumers: usize,
        producers: usize,
    },
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
            Op::Census {
                values,
                consumers,
                producers,
            } => write!(
                f,
                "census: len {values}, waiting consumers {consumers}, waiting producers {producers}"
            ),
        }
    }
}

/// The state of a dual queue (`LIFO = false`) or dual stack (`LIFO = true`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Dual<const LIFO: bool> {
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
pub(crate) type QueueSpec = Dual<false>;
/// The dual stack's specification: LIFO data, LIFO requests.
pub(crate) type StackSpec = Dual<true>;

fn insert_sorted<K: Ord>(v: &mut Vec<K>, k: K) {
    let at = v.binary_search(&k).unwrap_or_else(|at| at);
    v.insert(at, k);
}

fn remove<K: PartialEq>(v: &mut Vec<K>, k: &K) -> Option<K> {
    let at = v.iter().position(|x| x == k)?;
    Some(v.remove(at))
}

impl<const LIFO: bool> Dual<LIFO> {
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

impl<const LIFO: bool> Spec for Dual<LIFO> {
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
            Op::Census {
                values,
                consumers,
                producers,
            } => {
                let held_by_producers = s.data.iter().filter(|d| d.1.is_some()).count();
                (s.data.len() == values
                    && s.waiting.len() == consumers
                    && held_by_producers == producers)
                    .then_some(())?
            }
        }
        Some(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Histories as recorded: one record per API call.

/// One call of the public API and what it returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    Push(Val),
    TryPop(Option<Val>),
    PopTimeout {
        micros: u32,
        got: Option<Val>,
    },
    TryTransfer(Val, Result<(), Val>),
    TransferTimeout {
        v: Val,
        micros: u32,
        result: Result<(), Val>,
    },
    IsEmpty(bool),
    HasWaitingConsumer(bool),
    Census {
        values: usize,
        consumers: usize,
        producers: usize,
    },
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Push(v) => write!(f, "push({v})"),
            Call::TryPop(r) => write!(f, "try_pop() -> {r:?}"),
            Call::PopTimeout { micros, got } => write!(f, "pop_timeout({micros}µs) -> {got:?}"),
            Call::TryTransfer(v, r) => write!(f, "try_transfer({v}) -> {r:?}"),
            Call::TransferTimeout { v, micros, result } => {
                write!(f, "transfer_timeout({v}, {micros}µs) -> {result:?}")
            }
            Call::IsEmpty(b) => write!(f, "is_empty() -> {b}"),
            Call::HasWaitingConsumer(b) => write!(f, "has_waiting_consumer() -> {b}"),
            Call::Census {
                values,
                consumers,
                producers,
            } => write!(
                f,
                "len() -> {values}, waiting_consumers() -> {consumers}, waiting_producers() -> {producers}"
            ),
        }
    }
}

/// The thread number used for calls made by the checking thread once the workers finished.
pub(crate) const QUIESCENT: usize = usize::MAX;

/// One call of a history.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    /// The worker that made it, or [`QUIESCENT`].
    pub(crate) thread: usize,
    /// Clock reading before the call.
    pub(crate) inv: u64,
    /// Clock reading after it returned.
    pub(crate) ret: u64,
    pub(crate) call: Call,
}

/// A recorded history: what ran, and where it came from.
#[derive(Clone, Debug)]
pub(crate) struct History {
    /// Which structure and which scenario (seed), for the report.
    pub(crate) label: String,
    pub(crate) records: Vec<Record>,
}

impl History {
    /// The specification's operations for these calls (blocking calls split in two), each with
    /// the index of the record it came from.
    pub(crate) fn events(&self) -> (Vec<Event<Op>>, Vec<usize>) {
        let mut events = Vec::new();
        let mut origin = Vec::new();
        for (i, r) in self.records.iter().enumerate() {
            let c = i as CallId;
            let ops = match r.call {
                Call::Push(v) => vec![Op::Push(v)],
                Call::TryPop(got) => vec![Op::TryPop(got)],
                Call::TryTransfer(v, res) => vec![Op::TryTransfer(v, res)],
                Call::IsEmpty(b) => vec![Op::IsEmpty(b)],
                Call::HasWaitingConsumer(b) => vec![Op::HasWaitingConsumer(b)],
                Call::Census {
                    values,
                    consumers,
                    producers,
                } => vec![Op::Census {
                    values,
                    consumers,
                    producers,
                }],
                Call::PopTimeout { got, .. } => vec![
                    Op::PopReq(c),
                    match got {
                        Some(v) => Op::PopDone(c, v),
                        None => Op::PopTimedOut(c),
                    },
                ],
                Call::TransferTimeout { v, result, .. } => vec![
                    Op::TransferReq(c, v),
                    match result {
                        Ok(()) => Op::TransferDone(c),
                        Err(back) => Op::TransferTimedOut(c, back),
                    },
                ],
            };
            for op in ops {
                events.push(Event {
                    inv: r.inv,
                    ret: r.ret,
                    op,
                });
                origin.push(i);
            }
        }
        (events, origin)
    }

    /// Checks the history against `S`. On failure, returns a readable report.
    pub(crate) fn check<S: Spec<Op = Op> + Default + fmt::Debug>(&self) -> Result<(), String> {
        let (events, _) = self.events();
        match wgl::check(&S::default(), &events, BUDGET) {
            Verdict::Linearizable(_) => Ok(()),
            Verdict::NotLinearizable { longest } => Err(self.report::<S>(&events, &longest)),
            Verdict::GaveUp { steps } => Err(format!(
                "{}: the search gave up after {steps} steps\n{self}",
                self.label
            )),
        }
    }

    /// The history, the longest legal prefix found, and the state it ends in.
    fn report<S: Spec<Op = Op> + Default + fmt::Debug>(
        &self,
        events: &[Event<Op>],
        longest: &[usize],
    ) -> String {
        use fmt::Write;
        let mut out = format!("NOT LINEARIZABLE: {}\n{self}", self.label);
        let _ = writeln!(
            out,
            "  longest legal prefix ({} of {} ops):",
            longest.len(),
            events.len()
        );
        let mut state = S::default();
        for &i in longest {
            let _ = writeln!(out, "    {}", events[i].op);
            state = state.apply(&events[i].op).expect("a legal prefix");
        }
        let _ = writeln!(out, "  state after it: {state:?}");
        let _ = writeln!(out, "  ops left, none of which fits next:");
        for (i, e) in events.iter().enumerate() {
            if !longest.contains(&i) {
                let _ = writeln!(out, "    [{:>3}..{:>3}] {}", e.inv, e.ret, e.op);
            }
        }
        out
    }
}

/// The search's step budget; a 40-op history needs a few thousand.
const BUDGET: u64 = 50_000_000;

impl fmt::Display for History {
    /// One line per call, by invocation time, with a bar showing its interval.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut order: Vec<usize> = (0..self.records.len()).collect();
        order.sort_by_key(|&i| (self.records[i].inv, i));
        let end = self.records.iter().map(|r| r.ret).max().unwrap_or(0);
        let start = self.records.iter().map(|r| r.inv).min().unwrap_or(0);
        // One column per clock tick, if that fits on a line.
        let width = (end - start + 1) as usize;
        let bars = width <= 100;
        for i in order {
            let r = &self.records[i];
            let who = if r.thread == QUIESCENT {
                "after".to_string()
            } else {
                format!("t{}", r.thread)
            };
            write!(f, "  #{i:<3} {who:>5} [{:>4}..{:>4}] ", r.inv, r.ret)?;
            if bars {
                let (a, b) = ((r.inv - start) as usize, (r.ret - start) as usize);
                let bar: String = (0..width)
                    .map(|x| match x {
                        _ if x == a => '[',
                        _ if x == b => ']',
                        _ if x > a && x < b => '-',
                        _ => ' ',
                    })
                    .collect();
                write!(f, "{bar} ")?;
            }
            writeln!(f, "{}", r.call)?;
        }
        Ok(())
    }
}
