//! Recording histories: each call stamped before and after on one clock.
//!
//! A [`Recording`] is one history in the making: a clock and the records made so far. Each
//! thread that takes part gets a [`Recorder`], which makes the calls on the structure and records
//! each with its arguments and results (values by their [`Key`]); a recorder hands its records to
//! the recording when it is dropped, so a thread's calls are not slowed by a shared lock.
//!
//! # The clock
//!
//! Every call is stamped before and after with `fetch_add` on one `std` atomic counter. Between
//! real threads, the stamps of one counter are totally ordered, so "A returned before B was
//! invoked" in the stamps implies it in real time (and, with `AcqRel`, that A happens before B),
//! while overlaps can only widen intervals: never a false alarm.
//!
//! Inside a loom model the same code is exact and free: loom runs one model thread at a time, and
//! switches threads only at the operations it models (its own atomics, cells, parks), so the
//! stamps follow the explored schedule; a `std` atomic is invisible to loom, so stamping adds no
//! scheduling point and no execution (`loom-tests/tests/harness.rs` checks both). But for the
//! same reason the stamps create no happens-before there, so a loom recording is made in
//! [`Recording::causal`] mode: each call also records a vector clock of the program order,
//! spawns ([`Recording::fork`]) and joins ([`Recording::join`]) the harness tells it about, and
//! precedence is taken from those (see [`super::history`]).
//!
//! Every value of a history must be distinct (the specification tells values apart by key).

use super::history::{Call, Causal, History, Record};
use super::spec::Val;
use crate::{Census, Dual, Tracked};
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a value appears in a history.
pub trait Key {
    /// The value's name in the history; distinct for distinct values of one history.
    fn key(&self) -> Val;
}

impl Key for Val {
    fn key(&self) -> Val {
        *self
    }
}

impl Key for Tracked {
    fn key(&self) -> Val {
        self.id() as Val
    }
}

/// One history being recorded: the clock, and the records of the recorders dropped so far.
#[derive(Debug, Default)]
pub struct Recording {
    /// Whether calls carry vector clocks (and precedence is happens-before, not the stamps).
    causal: bool,
    /// Each thread's vector clock (causal recordings only).
    clocks: Mutex<BTreeMap<usize, BTreeMap<usize, u64>>>,
    clock: AtomicU64,
    records: Mutex<Vec<Record>>,
    /// Recorders not yet dropped (their records are not in `records` yet).
    live: AtomicUsize,
}

impl Recording {
    /// An empty recording for real threads: a call precedes another if it returned before the
    /// other was invoked, in real time.
    pub fn new() -> Arc<Recording> {
        Arc::default()
    }

    /// An empty recording whose precedence is the happens-before of program order and of the
    /// spawns and joins reported by [`fork`](Self::fork) and [`join`](Self::join) (for loom).
    pub fn causal() -> Arc<Recording> {
        Arc::new(Recording {
            causal: true,
            ..Recording::default()
        })
    }

    /// Thread `child` starts after everything `parent` did so far (call it just before the
    /// spawn, or before `child`'s first recorder for a thread that runs after `parent`).
    pub fn fork(&self, parent: usize, child: usize) {
        let mut clocks = self.clocks.lock().unwrap_or_else(|e| e.into_inner());
        let inherited = clocks.get(&parent).cloned().unwrap_or_default();
        merge(clocks.entry(child).or_default(), &inherited);
    }

    /// Thread `parent` has joined `child`: everything `child` did precedes what `parent` does
    /// next.
    pub fn join(&self, parent: usize, child: usize) {
        let mut clocks = self.clocks.lock().unwrap_or_else(|e| e.into_inner());
        let finished = clocks.get(&child).cloned().unwrap_or_default();
        merge(clocks.entry(parent).or_default(), &finished);
    }

    /// The vector clock of `thread` now.
    fn seen_by(&self, thread: usize) -> BTreeMap<usize, u64> {
        let clocks = self.clocks.lock().unwrap_or_else(|e| e.into_inner());
        clocks.get(&thread).cloned().unwrap_or_default()
    }

    /// Counts a call of `thread` as returned; its number in the thread.
    fn returned(&self, thread: usize) -> u64 {
        let mut clocks = self.clocks.lock().unwrap_or_else(|e| e.into_inner());
        let own = clocks.entry(thread).or_default().entry(thread).or_default();
        *own += 1;
        *own
    }

    /// A recorder for the calls of `thread` on `target` (a reference, or a shared pointer that a
    /// spawned thread can own).
    pub fn recorder<T, P>(self: &Arc<Self>, target: P, thread: usize) -> Recorder<T, P> {
        self.live.fetch_add(1, Ordering::SeqCst);
        Recorder {
            target,
            recording: Arc::clone(self),
            thread,
            records: Vec::new(),
            _values: PhantomData,
        }
    }

    /// The history, taken out of the recording. Drop (or join the threads of) every recorder
    /// first: a recorder still alive keeps its records.
    pub fn history(&self, label: impl Into<String>) -> History {
        let live = self.live.load(Ordering::SeqCst);
        assert_eq!(
            live, 0,
            "{live} recorder(s) still alive: their calls would be missing"
        );
        let records = std::mem::take(&mut *self.records.lock().unwrap_or_else(|e| e.into_inner()));
        History {
            label: label.into(),
            records,
        }
    }

    /// One stamp of the clock.
    fn tick(&self) -> u64 {
        // AcqRel: a stamp that reads a later value of the clock than another thread's stamp
        // synchronises with it (RMWs extend release sequences), so "A's response stamp < B's
        // invocation stamp" makes all of A happen before all of B, not only precede it in time.
        self.clock.fetch_add(1, Ordering::AcqRel)
    }
}

/// Makes one thread's calls on a structure and records them.
#[derive(Debug)]
pub struct Recorder<T, P> {
    target: P,
    recording: Arc<Recording>,
    thread: usize,
    records: Vec<Record>,
    /// `fn() -> T`: the recorder passes values on, it does not hold them (and stays `Send`).
    _values: PhantomData<fn() -> T>,
}

impl<T, P> Drop for Recorder<T, P> {
    fn drop(&mut self) {
        let mut all = self
            .recording
            .records
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        all.append(&mut self.records);
        self.recording.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `into` learns everything `from` knows.
fn merge(into: &mut BTreeMap<usize, u64>, from: &BTreeMap<usize, u64>) {
    for (&thread, &n) in from {
        let known = into.entry(thread).or_default();
        *known = (*known).max(n);
    }
}

/// A timeout as the history shows it.
fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

impl<T, P> Recorder<T, P> {
    /// What the calls are made on (a structure, or a thread's channel handles), for calls that
    /// are not to be recorded.
    pub fn target(&self) -> &P {
        &self.target
    }

    /// As [`target`](Self::target), mutably.
    pub fn target_mut(&mut self) -> &mut P {
        &mut self.target
    }

    /// Makes one call on the target between two stamps, and records what `f` says it was.
    pub(super) fn stamp<R>(&mut self, f: impl FnOnce(&mut P) -> (R, Call)) -> R {
        let recording = &*self.recording;
        let seen = recording.causal.then(|| recording.seen_by(self.thread));
        let inv = recording.tick();
        let (result, call) = f(&mut self.target);
        let ret = recording.tick();
        let causal = seen.map(|seen| Causal {
            seen,
            tick: recording.returned(self.thread),
        });
        self.records.push(Record {
            thread: self.thread,
            inv,
            ret,
            call,
            causal,
        });
        result
    }
}

impl<T: Key, P: Deref> Recorder<T, P>
where
    P::Target: Dual<T>,
{
    /// Makes one call between two stamps. `f` makes the call and says what to record; use it
    /// for calls the methods below do not cover.
    pub fn call<R>(&mut self, f: impl FnOnce(&P::Target) -> (R, Call)) -> R {
        self.stamp(|target| f(target))
    }

    /// `push(v)`.
    pub fn push(&mut self, v: T) {
        let k = v.key();
        self.call(|d| (d.push(v), Call::Push(k)))
    }

    /// `pop()`.
    pub fn pop(&mut self) -> T {
        self.call(|d| {
            let v = d.pop();
            let call = Call::Pop(v.key());
            (v, call)
        })
    }

    /// `try_pop()`.
    pub fn try_pop(&mut self) -> Option<T> {
        self.call(|d| {
            let got = d.try_pop();
            let call = Call::TryPop(got.as_ref().map(Key::key));
            (got, call)
        })
    }

    /// `pop_timeout(timeout)`.
    pub fn pop_timeout(&mut self, timeout: Duration) -> Option<T> {
        self.call(|d| {
            let got = d.pop_timeout(timeout);
            let call = Call::PopTimeout {
                micros: micros(timeout),
                got: got.as_ref().map(Key::key),
            };
            (got, call)
        })
    }

    /// `transfer(v)`.
    pub fn transfer(&mut self, v: T) {
        let k = v.key();
        self.call(|d| (d.transfer(v), Call::Transfer(k)))
    }

    /// `try_transfer(v)`.
    pub fn try_transfer(&mut self, v: T) -> Result<(), T> {
        let k = v.key();
        self.call(|d| {
            let result = d.try_transfer(v);
            let call = Call::TryTransfer(k, result.as_ref().map(|_| ()).map_err(Key::key));
            (result, call)
        })
    }

    /// `transfer_timeout(v, timeout)`.
    pub fn transfer_timeout(&mut self, v: T, timeout: Duration) -> Result<(), T> {
        let k = v.key();
        self.call(|d| {
            let result = d.transfer_timeout(v, timeout);
            let call = Call::TransferTimeout {
                v: k,
                micros: micros(timeout),
                result: result.as_ref().map(|_| ()).map_err(Key::key),
            };
            (result, call)
        })
    }

    /// `is_empty()`.
    pub fn is_empty(&mut self) -> bool {
        self.call(|d| {
            let b = d.is_empty();
            (b, Call::IsEmpty(b))
        })
    }

    /// `len()`; only while no other thread runs (it is not linearizable otherwise).
    pub fn len(&mut self) -> usize {
        self.call(|d| {
            let n = d.len();
            (n, Call::Len(n))
        })
    }

    /// Once the other threads have finished: `len()`, then `try_pop()` until it finds nothing.
    /// Returns the values taken out. Stops after 64 values, in case a broken structure makes
    /// values up.
    pub fn drain(&mut self) -> Vec<T> {
        self.len();
        let mut left = Vec::new();
        for _ in 0..64 {
            match self.try_pop() {
                Some(v) => left.push(v),
                None => break,
            }
        }
        left
    }
}

impl<T: Key, P: Deref> Recorder<T, P>
where
    P::Target: Census<T>,
{
    /// `has_waiting_consumer()`.
    pub fn has_waiting_consumer(&mut self) -> bool {
        self.call(|d| {
            let b = d.has_waiting_consumer();
            (b, Call::HasWaitingConsumer(b))
        })
    }

    /// `waiting_consumers()` and `waiting_producers()`; only while no other thread runs.
    pub fn waiting(&mut self) -> (usize, usize) {
        self.call(|d| {
            let (consumers, producers) = (d.waiting_consumers(), d.waiting_producers());
            (
                (consumers, producers),
                Call::Waiting {
                    consumers,
                    producers,
                },
            )
        })
    }
}
