//! Histories as recorded: one record per API call, with the interval in which it ran.
//!
//! # Which call precedes which
//!
//! A call must be linearised after every call that *precedes* it. Between real threads, that
//! is real time: the recorder's clock is an `AcqRel` counter, so a call that returned before
//! another was invoked (in the stamps) also happens before it. Inside a loom model it is not:
//! the clock is invisible to loom, so its stamps follow the explored schedule but create no
//! happens-before, and loom lets a load return a value older than the schedule's latest store
//! when nothing orders them (a C11 relaxation real hardware has too, e.g. a store still in a
//! store buffer). Taking the schedule as real time there would fail correct code. Records made
//! in [`causal`](super::Recording::causal) mode therefore carry the happens-before the harness
//! knows for sure, as vector clocks: program order, spawn and join. Every such edge is a real
//! happens-before edge, so the check stays sound (never a false alarm); it sees less order than
//! the structure's own synchronisation creates, which a scenario can add back by observing the
//! structure from a thread that then spawns or joins (`loom-tests`' `observe_waiting`).
//!
//! [`History::events`] turns each call into the specification's operations (a blocking call
//! into its request and its follow-up, over the same interval), and [`History::check`] runs
//! the search of [`super::wgl`] on them; a failure is reported with the history drawn as a
//! timeline, the longest legal prefix the search found, and the state it ended in.

use super::spec::{CallId, Op, QueueSpec, Received, Sent, StackSpec, Val};
use super::wgl::{self, Event, Spec, Verdict};
use std::collections::BTreeMap;
use std::fmt;

/// One call of the public API and what it returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// `push(v)`.
    Push(Val),
    /// `pop()` returned this value.
    Pop(Val),
    /// `try_pop()` and what it returned.
    TryPop(Option<Val>),
    /// `pop_timeout(micros)` and what it returned.
    PopTimeout {
        /// The timeout, in microseconds (under loom a modelled one, `src/sync.rs`).
        micros: u32,
        /// The value taken, or `None` if it timed out.
        got: Option<Val>,
    },
    /// `transfer(v)` (it returned: a consumer took `v`).
    Transfer(Val),
    /// `try_transfer(v)` and what it returned.
    TryTransfer(Val, Result<(), Val>),
    /// `transfer_timeout(v, micros)` and what it returned.
    TransferTimeout {
        /// The value offered.
        v: Val,
        /// The timeout, in microseconds.
        micros: u32,
        /// `Ok` if a consumer took `v`, else the value given back.
        result: Result<(), Val>,
    },
    /// `is_empty()` and what it returned.
    IsEmpty(bool),
    /// `has_waiting_consumer()` and what it returned.
    HasWaitingConsumer(bool),
    /// `len()`, called while nothing else runs.
    Len(usize),
    /// `waiting_consumers()` and `waiting_producers()`, called while nothing else runs.
    Waiting {
        /// What `waiting_consumers()` returned.
        consumers: usize,
        /// What `waiting_producers()` returned.
        producers: usize,
    },
    /// A channel's `send(v)` (`micros: None`) or `send_timeout(v, micros)`, and what it
    /// returned.
    Send {
        /// The value offered.
        v: Val,
        /// The timeout in microseconds, for `send_timeout`.
        micros: Option<u32>,
        /// What it returned.
        result: Sent,
    },
    /// A channel's `try_send(v)` and what it returned.
    TrySend(Val, Sent),
    /// A channel's `recv()` (`micros: None`) or `recv_timeout(micros)`, and what it returned.
    Recv {
        /// The timeout in microseconds, for `recv_timeout`.
        micros: Option<u32>,
        /// What it returned.
        result: Received,
    },
    /// A channel's `try_recv()` and what it returned.
    TryRecv(Received),
    /// A `Sender` handle dropped.
    DropSender,
    /// A `Receiver` handle dropped.
    DropReceiver,
    /// A channel's `recv_async()` future, polled once, pending, and dropped.
    RecvCancelled,
    /// A channel's `close()` (on either end) and what it returned.
    Close(bool),
    /// A channel's `is_closed()` (on either end) and what it returned.
    IsClosed(bool),
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Push(v) => write!(f, "push({v})"),
            Call::Pop(v) => write!(f, "pop() -> {v}"),
            Call::TryPop(r) => write!(f, "try_pop() -> {r:?}"),
            Call::PopTimeout { micros, got } => write!(f, "pop_timeout({micros}µs) -> {got:?}"),
            Call::Transfer(v) => write!(f, "transfer({v})"),
            Call::TryTransfer(v, r) => write!(f, "try_transfer({v}) -> {r:?}"),
            Call::TransferTimeout { v, micros, result } => {
                write!(f, "transfer_timeout({v}, {micros}µs) -> {result:?}")
            }
            Call::IsEmpty(b) => write!(f, "is_empty() -> {b}"),
            Call::HasWaitingConsumer(b) => write!(f, "has_waiting_consumer() -> {b}"),
            Call::Len(n) => write!(f, "len() -> {n}"),
            Call::Waiting {
                consumers,
                producers,
            } => write!(
                f,
                "waiting_consumers() -> {consumers}, waiting_producers() -> {producers}"
            ),
            Call::Send {
                v,
                micros: None,
                result,
            } => write!(f, "send({v}) -> {result:?}"),
            Call::Send {
                v,
                micros: Some(micros),
                result,
            } => write!(f, "send_timeout({v}, {micros}µs) -> {result:?}"),
            Call::TrySend(v, result) => write!(f, "try_send({v}) -> {result:?}"),
            Call::Recv {
                micros: None,
                result,
            } => write!(f, "recv() -> {result:?}"),
            Call::Recv {
                micros: Some(micros),
                result,
            } => write!(f, "recv_timeout({micros}µs) -> {result:?}"),
            Call::TryRecv(result) => write!(f, "try_recv() -> {result:?}"),
            Call::DropSender => write!(f, "drop(Sender)"),
            Call::DropReceiver => write!(f, "drop(Receiver)"),
            Call::RecvCancelled => write!(f, "recv_async() polled once, pending, dropped"),
            Call::Close(b) => write!(f, "close() -> {b}"),
            Call::IsClosed(b) => write!(f, "is_closed() -> {b}"),
        }
    }
}

impl Call {
    /// The specification's operations for this call, which is call `c` of its history.
    fn ops(&self, c: CallId) -> Vec<Op> {
        match *self {
            Call::Push(v) => vec![Op::Push(v)],
            Call::TryPop(got) => vec![Op::TryPop(got)],
            Call::TryTransfer(v, res) => vec![Op::TryTransfer(v, res)],
            Call::IsEmpty(b) => vec![Op::IsEmpty(b)],
            Call::HasWaitingConsumer(b) => vec![Op::HasWaitingConsumer(b)],
            Call::Len(n) => vec![Op::Len(n)],
            Call::Waiting {
                consumers,
                producers,
            } => vec![Op::Waiting {
                consumers,
                producers,
            }],
            Call::Pop(v) => vec![Op::PopReq(c), Op::PopDone(c, v)],
            Call::PopTimeout { got, .. } => vec![
                Op::PopReq(c),
                match got {
                    Some(v) => Op::PopDone(c, v),
                    None => Op::PopTimedOut(c),
                },
            ],
            Call::Transfer(v) => vec![Op::TransferReq(c, v), Op::TransferDone(c)],
            Call::TransferTimeout { v, result, .. } => vec![
                Op::TransferReq(c, v),
                match result {
                    Ok(()) => Op::TransferDone(c),
                    Err(back) => Op::TransferTimedOut(c, back),
                },
            ],
            Call::TrySend(v, result) => vec![Op::TrySend(v, result)],
            Call::TryRecv(result) => vec![Op::TryRecv(result)],
            Call::DropSender => vec![Op::DropSender],
            Call::DropReceiver => vec![Op::DropReceiver],
            Call::RecvCancelled => vec![Op::RecvCancelled],
            Call::Close(b) => vec![Op::Close(b)],
            Call::IsClosed(b) => vec![Op::IsClosed(b)],
            // A send that timed out never went in: its request waited in line.
            Call::Send {
                v,
                result: Sent::TimedOut(back),
                ..
            } => vec![Op::SendWaits(c, v), Op::SendTimedOut(c, back)],
            Call::Send { v, result, .. } => vec![
                Op::SendReq(c, v),
                match result {
                    Sent::Ok => Op::SendDone(c),
                    Sent::TimedOut(back) => Op::SendTimedOut(c, back),
                    Sent::Disconnected(back) => Op::SendDisconnected(c, back),
                    // A blocking send never says `Full`: an impossible follow-up (the
                    // specification accepts no `try_send` that timed out).
                    Sent::Full(back) => Op::TrySend(v, Sent::TimedOut(back)),
                },
            ],
            Call::Recv { result, .. } => vec![
                Op::RecvReq(c),
                match result {
                    Received::Got(v) => Op::RecvDone(c, v),
                    Received::TimedOut => Op::RecvTimedOut(c),
                    Received::Disconnected => Op::RecvDisconnected(c),
                    // A blocking receive never says `Empty`: an impossible follow-up (the
                    // specification accepts no `try_recv` that timed out).
                    Received::Empty => Op::TryRecv(Received::TimedOut),
                },
            ],
        }
    }
}

/// The thread number used for calls made by the checking thread once the workers finished.
pub const QUIESCENT: usize = usize::MAX;

/// One call of a history.
#[derive(Clone, Debug)]
pub struct Record {
    /// The thread that made it, or [`QUIESCENT`].
    pub thread: usize,
    /// Clock reading before the call.
    pub inv: u64,
    /// Clock reading after it returned.
    pub ret: u64,
    /// The call and its result.
    pub call: Call,
    /// Happens-before as the harness knows it (causal recordings only; else real time).
    pub causal: Option<Causal>,
}

/// A call's place in happens-before: vector clocks over the recording's threads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Causal {
    /// For each thread, how many of its calls had returned, as far as this thread knew when it
    /// invoked the call (its vector clock).
    pub seen: BTreeMap<usize, u64>,
    /// This call's number in its own thread, counting from 1 (the thread's own clock entry
    /// once it returned).
    pub tick: u64,
}

impl Record {
    /// Whether `self` returned before `other` was invoked: in happens-before if both carry it,
    /// else in the clock's stamps.
    pub fn precedes(&self, other: &Record) -> bool {
        match (&self.causal, &other.causal) {
            (Some(a), Some(b)) => b.seen.get(&self.thread).is_some_and(|&n| n >= a.tick),
            _ => self.ret <= other.inv,
        }
    }
}

/// A recorded history: what ran, and where it came from.
#[derive(Clone, Debug)]
pub struct History {
    /// Which structure and which scenario, for the report.
    pub label: String,
    /// The calls, in any order.
    pub records: Vec<Record>,
}

impl History {
    /// The specification's operations for these calls (blocking calls split in two), each with
    /// the index of the record it came from.
    pub fn events(&self) -> (Vec<Event<Op>>, Vec<usize>) {
        let mut events = Vec::new();
        let mut origin = Vec::new();
        for (i, r) in self.records.iter().enumerate() {
            for op in r.call.ops(i as CallId) {
                events.push(Event {
                    inv: r.inv,
                    ret: r.ret,
                    after: 0,
                    op,
                });
                origin.push(i);
            }
        }
        assert!(
            events.len() <= wgl::MAX_EVENTS,
            "history too long for the checker: {} events",
            events.len()
        );
        for e in 0..events.len() {
            let record = &self.records[origin[e]];
            events[e].after = (0..events.len())
                .filter(|&f| self.records[origin[f]].precedes(record))
                .fold(0, |set, f| set | 1 << f);
        }
        (events, origin)
    }

    /// Checks the history against `S`, starting from its default state. On failure, returns a
    /// readable report.
    pub fn check<S: Spec<Op = Op> + Default + fmt::Debug>(&self) -> Result<(), String> {
        self.check_from(&S::default())
    }

    /// Checks the history against the specification starting in state `init` (a channel's
    /// capacity and handles, for instance). On failure, returns a readable report.
    pub fn check_from<S: Spec<Op = Op> + fmt::Debug>(&self, init: &S) -> Result<(), String> {
        let (events, _) = self.events();
        match wgl::check(init, &events, BUDGET) {
            Verdict::Linearizable(_) => Ok(()),
            Verdict::NotLinearizable { longest } => Err(self.report(init, &events, &longest)),
            Verdict::GaveUp { steps } => Err(format!(
                "{}: the search gave up after {steps} steps\n{self}",
                self.label
            )),
        }
    }

    /// Checks the history against the queue's specification (`fifo`) or the stack's.
    pub fn check_fifo(&self, fifo: bool) -> Result<(), String> {
        if fifo {
            self.check::<QueueSpec>()
        } else {
            self.check::<StackSpec>()
        }
    }

    /// The history, the longest legal prefix found, and the state it ends in.
    fn report<S: Spec<Op = Op> + fmt::Debug>(
        &self,
        init: &S,
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
        let mut state = init.clone();
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
        if self.records.iter().any(|r| r.causal.is_some()) {
            writeln!(
                f,
                "  (bars: the explored schedule; a call precedes another only through program \
                 order, spawn or join)"
            )?;
        }
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
