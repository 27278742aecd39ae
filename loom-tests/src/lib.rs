//! The harness shared by dualq's loom model checks (`tests/*.rs`).
//!
//! Build and run it only through `run.sh`: it needs `--cfg loom --cfg crossbeam_loom` (and
//! `--cfg crossbeam_sanitize`), crossbeam-epoch's `loom` feature, and one loom 0.7 in the
//! graph. Without `crossbeam_loom` the list's pointers live in crossbeam-epoch's std atomics,
//! which loom cannot see, and a model explores far too little; this crate refuses to build then.
//!
//! What it gives the test files:
//!
//! * [`Subject`]: the structures under test, through the test kit's adapter ([`Dual`],
//!   [`Census`]), so that one scenario function runs on each of `DualQueue`, `DualStack` and
//!   `SegmentedDualQueue` ([`each!`] makes the three `#[test]`s, each with its own bound).
//! * [`Recorded`]: records every call of an execution and checks the history against the
//!   sequential specification of a dual queue or stack (the test kit's checker, the same code
//!   `tests/linearizability.rs` runs on real threads).
//! * [`Values`] and [`Val`]: test payloads that loom tracks for leaks (a lost value is an
//!   "Allocation leaked" failure) and whose drops the test kit's ledger counts (a value dropped
//!   twice, or never, fails the model).
//! * [`model`]: runs a model under a per-test preemption bound (`LOOM_MAX_PREEMPTIONS`
//!   overrides it), counts the executions loom explored, prints the count, and fails if loom
//!   explored only one.
//! * [`Quarantine`], the global allocator of every test binary: freed blocks are poisoned and
//!   held back from reuse for a while, so a read of a node after crossbeam-epoch freed it hits
//!   poisoned loom object handles and panics, instead of passing silently (loom itself does not
//!   see use-after-free of plain heap memory).
//! * [`reclaim`]: drives crossbeam-epoch to advance and free retired nodes *inside* the model.
#![cfg(loom)]
#![warn(missing_docs)]

#[cfg(not(crossbeam_loom))]
compile_error!(
    "build with RUSTFLAGS=\"--cfg loom --cfg crossbeam_loom --cfg crossbeam_sanitize\" \
     (use loom-tests/run.sh): without crossbeam_loom, loom cannot see crossbeam-epoch's atomics"
);

use dualq_testkit::lincheck::{Call, Key, Recorder, Recording};
pub use dualq_testkit::lincheck::{ChannelSpec, Ends};
use dualq_testkit::Ledger;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use dualq_testkit::{Census, Dual};
pub use loom::sync::Arc;
pub use loom::thread::yield_now;
use loom::thread::JoinHandle;

// ---------------------------------------------------------------------------------------------
// The structures under test.

/// A structure the scenarios run on: the test kit's adapter ([`Dual`], [`Census`], the same
/// traits dualq's native tests use), over loom-tracked values, and `'static` as loom's `spawn`
/// needs.
pub trait Subject: Census<Val> + 'static {}

impl<D: Census<Val> + 'static> Subject for D {}

/// The timeout of the timed operations. Its length is irrelevant under loom: a timed wait parks
/// once, then counts as expired (`src/sync.rs`), so its cancellation races every fulfilment
/// loom interleaves with it. Timed calls go on spawned threads only (loom bug #249).
pub const TIMEOUT: Duration = Duration::from_secs(1);

/// Makes three `#[test]`s, `<scenario>::queue`, `<scenario>::stack` and `<scenario>::segmented`,
/// that run the generic scenario function `<scenario>::<D: Subject>(bound)` on `DualQueue`,
/// `DualStack` and `SegmentedDualQueue`, each at its own preemption bound (the segmented queue
/// takes many more atomic steps per call, so its models often need a lower bound to stay
/// within CI's budget):
///
/// ```ignore
/// each!(push_pop, queue: 3, stack: 3, segmented: 3);
/// each!(expensive, queue: 2, stack: 2, segmented: (1, ignore = "why it does not run in CI"));
/// ```
#[macro_export]
macro_rules! each {
    ($scenario:ident, queue: $queue:tt, stack: $stack:tt, segmented: $segmented:tt) => {
        mod $scenario {
            $crate::structure_test!(queue, dualq::DualQueue<$crate::Val>, $scenario, $queue);
            $crate::structure_test!(stack, dualq::DualStack<$crate::Val>, $scenario, $stack);
            $crate::structure_test!(
                segmented,
                dualq::SegmentedDualQueue<$crate::Val>,
                $scenario,
                $segmented
            );
        }
    };
}

/// One `#[test]` of [`each!`]: `bound`, or `(bound, ignore = "reason")`.
#[doc(hidden)]
#[macro_export]
macro_rules! structure_test {
    ($test:ident, $ty:ty, $scenario:ident, ($bound:expr, ignore = $why:literal)) => {
        #[test]
        #[ignore = $why]
        fn $test() {
            super::$scenario::<$ty>($bound)
        }
    };
    ($test:ident, $ty:ty, $scenario:ident, $bound:expr) => {
        #[test]
        fn $test() {
            super::$scenario::<$ty>($bound)
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Payloads.

/// The values of one execution: the test kit's drop [`Ledger`], one per execution.
#[derive(Debug, Clone)]
pub struct Values(std::sync::Arc<Ledger>);

impl Values {
    /// Room for `n` values, with ids `0..n`. Call inside the model closure (one per execution).
    pub fn new(n: usize) -> Self {
        Values(std::sync::Arc::new(Ledger::new(n)))
    }

    /// The value with this id. Make each id once.
    pub fn make(&self, id: usize) -> Val {
        assert!(id < self.0.len(), "id {id} out of the ledger's range");
        Val {
            id,
            ledger: std::sync::Arc::clone(&self.0),
            _track: loom::alloc::Track::new(()),
        }
    }

    /// How many times value `id` has been dropped so far.
    pub fn drops(&self, id: usize) -> u32 {
        self.0.drops(id)
    }

    /// Asserts that every value was dropped exactly once. Call at the end of the model, after
    /// the structure and every value handed out were dropped.
    pub fn assert_all_dropped_once(&self) {
        self.0.assert_all_dropped_once("loom model");
    }
}

/// A test value: an id, a loom leak tracker, and a drop counted in its execution's [`Ledger`].
///
/// Loom reports "Allocation leaked" if a `Val` is never dropped (a value lost inside the
/// structure); the ledger counts a second drop (a value moved out of its cell twice, e.g.
/// delivered and also handed back), which [`Values::assert_all_dropped_once`] reports at the
/// end of the execution, after the history check has had its say.
#[derive(Debug)]
pub struct Val {
    id: usize,
    ledger: std::sync::Arc<Ledger>,
    _track: loom::alloc::Track<()>,
}

impl Val {
    /// The value's id.
    pub fn id(&self) -> usize {
        self.id
    }
}

impl Key for Val {
    fn key(&self) -> dualq_testkit::lincheck::Val {
        self.id as dualq_testkit::lincheck::Val
    }
}

impl Drop for Val {
    fn drop(&mut self) {
        self.ledger.record_drop(self.id);
    }
}

/// The id of an optional value, for assertions.
pub fn id_of(v: &Option<Val>) -> Option<usize> {
    v.as_ref().map(Val::id)
}

// ---------------------------------------------------------------------------------------------
// Histories: every call recorded, every execution's history checked.

/// A structure whose calls are recorded, for one execution: each thread makes its calls
/// through its own [`Recorder`] ([`Recorded::thread`]), and [`Recorded::check`] ends the
/// execution by checking the history against the structure's sequential specification.
///
/// The recorder stamps calls on a `std` atomic clock, which loom does not see: recording adds
/// no scheduling point, and the stamps follow the explored schedule (see
/// `dualq_testkit::lincheck::record`; `tests/harness.rs` checks both claims).
///
/// The structure is shared through a `std` `Arc`, not loom's: loom models every reference count
/// change of its own `Arc` as an atomic step, and a recorder's clone and drop on a thread that
/// races others would multiply the executions explored without checking anything of dualq's.
/// Every scenario drops the last reference on the main thread after joining the others, so the
/// structure's destructor is ordered after their calls by the joins.
#[derive(Debug)]
pub struct Recorded<D> {
    structure: std::sync::Arc<D>,
    recording: std::sync::Arc<Recording>,
}

/// The recorder of one model thread.
pub type ThreadRecorder<D> = Recorder<Val, std::sync::Arc<D>>;

impl<D: Subject> Default for Recorded<D> {
    fn default() -> Self {
        Recorded {
            structure: std::sync::Arc::new(D::default()),
            recording: Recording::causal(),
        }
    }
}

impl<D: Subject> Recorded<D> {
    /// A fresh structure and an empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// The recorder of model thread `n`: 0 for the main thread; any other `n` is a thread the
    /// main thread spawns now (it starts after everything the main thread did so far). Prefer
    /// [`Recorded::spawn`], which also reports the join.
    pub fn thread(&self, n: usize) -> ThreadRecorder<D> {
        if n != 0 {
            self.recording.fork(0, n);
        }
        self.recording.recorder(self.structure.clone(), n)
    }

    /// Spawns model thread `n` (see [`spawn`]), which makes its calls through its own recorder.
    pub fn spawn<R, F>(&self, n: usize, f: F) -> Spawned<R>
    where
        F: FnOnce(&mut ThreadRecorder<D>) -> R + Send + 'static,
        R: Send + 'static,
    {
        assert_ne!(n, 0, "thread 0 is the main thread");
        spawn_recorder(&self.recording, n, self.thread(n), f)
    }

    /// The structure itself, for calls that are not part of the history.
    pub fn structure(&self) -> &std::sync::Arc<D> {
        &self.structure
    }

    /// Ends the history, once every other thread has been joined and every recorder dropped:
    /// records what the structure reports (`waiting_consumers`, `waiting_producers`, `len`) and
    /// drains it with `try_pop`, then checks the history against the queue's or the stack's
    /// specification. A history that is not linearizable fails the model with the history, the
    /// longest legal prefix and the state it ends in. Returns the values drained.
    pub fn check(&self) -> Vec<Val> {
        self.finish(true)
    }

    /// As [`Recorded::check`], but leaves the values inside (for scenarios that test the
    /// structure's destructor): the history ends with what `len` and the waiter counts report.
    pub fn check_keeping(&self) {
        let left = self.finish(false);
        debug_assert!(left.is_empty());
    }

    fn finish(&self, drain: bool) -> Vec<Val> {
        let left = {
            let after_all = dualq_testkit::lincheck::QUIESCENT;
            self.recording.fork(0, after_all);
            let mut after = self.recording.recorder(self.structure.clone(), after_all);
            after.waiting();
            if drain {
                after.drain()
            } else {
                after.len();
                Vec::new()
            }
        };
        let history = self.recording.history(D::NAME);
        if let Err(report) = history.check_fifo(D::FIFO) {
            panic!("{report}");
        }
        count_checked();
        left
    }
}

/// Spawns model thread `n` with its recorder `rec`, and reports the join to `recording`.
fn spawn_recorder<P, R, F>(
    recording: &std::sync::Arc<Recording>,
    n: usize,
    mut rec: Recorder<Val, P>,
    f: F,
) -> Spawned<R>
where
    P: Send + 'static,
    F: FnOnce(&mut Recorder<Val, P>) -> R + Send + 'static,
    R: Send + 'static,
{
    Spawned {
        handle: spawn(move || f(&mut rec)),
        recording: std::sync::Arc::clone(recording),
        thread: n,
    }
}

/// A channel whose calls are recorded, for one execution, as [`Recorded`] does for the
/// structures: each thread makes its calls through its own recorder, with its own handles
/// ([`Ends`]), and [`RecordedChannel::check`] ends the execution by checking the history against
/// the channel's sequential specification ([`ChannelSpec`]: capacity, FIFO buffer, blocked
/// senders and receivers served in order, disconnection).
///
/// The specification starts with the number of `Sender` and `Receiver` handles the scenario
/// creates; every drop of one while other threads run goes through a recorder
/// ([`ChannelRecorder::drop_sender`], [`ChannelRecorder::drop_receiver`]).
#[derive(Debug)]
pub struct RecordedChannel {
    recording: std::sync::Arc<Recording>,
    initial: ChannelSpec,
    label: String,
}

/// The recorder of one model thread's channel calls.
pub type ChannelRecorder = Recorder<Val, Ends<Val>>;

impl RecordedChannel {
    /// An empty history of a channel that starts as `initial` (its capacity and how many
    /// handles of each kind exist); `label` names it in a report.
    pub fn new(label: &str, initial: ChannelSpec) -> Self {
        RecordedChannel {
            recording: Recording::causal(),
            initial,
            label: label.to_owned(),
        }
    }

    /// The recorder of model thread `n` (0: the main thread), making its calls with `ends`.
    pub fn thread(&self, n: usize, ends: Ends<Val>) -> ChannelRecorder {
        if n != 0 {
            self.recording.fork(0, n);
        }
        self.recording.recorder(ends, n)
    }

    /// Spawns model thread `n`, which makes its calls with `ends` through its own recorder.
    pub fn spawn<R, F>(&self, n: usize, ends: Ends<Val>, f: F) -> Spawned<R>
    where
        F: FnOnce(&mut ChannelRecorder) -> R + Send + 'static,
        R: Send + 'static,
    {
        assert_ne!(n, 0, "thread 0 is the main thread");
        spawn_recorder(&self.recording, n, self.thread(n, ends), f)
    }

    /// Ends the history, once every other thread has been joined: drains the channel with
    /// `try_recv` through `left` (handles that lived through the whole execution, counted in the
    /// initial state), if it holds a `Receiver`, then checks the history. A history that is not
    /// linearizable fails the model with the history, the longest legal prefix and the state it
    /// ends in. Returns the values drained.
    pub fn check(&self, left: Ends<Val>) -> Vec<Val> {
        let drained = {
            let after_all = dualq_testkit::lincheck::QUIESCENT;
            self.recording.fork(0, after_all);
            let mut after = self.recording.recorder(left, after_all);
            if after.target().rx.is_some() {
                after.drain()
            } else {
                Vec::new()
            }
        };
        let history = self.recording.history(&self.label);
        if let Err(report) = history.check_from(&self.initial) {
            panic!("{report}");
        }
        count_checked();
        drained
    }
}

/// A model thread spawned by [`Recorded::spawn`] or [`RecordedChannel::spawn`].
#[derive(Debug)]
pub struct Spawned<R> {
    handle: Joinable<R>,
    recording: std::sync::Arc<Recording>,
    thread: usize,
}

impl<R> Spawned<R> {
    /// Joins the thread (from the main thread) and returns what it returned; its calls then
    /// precede the main thread's next ones in the history.
    pub fn join(self) -> R {
        let r = self.handle.join().expect("a model thread panicked");
        self.recording.join(0, self.thread);
        r
    }
}

/// `has_waiting_consumer()`, recorded, with exploration off (an observer that only makes a
/// schedule determinate, like [`wait_until`]'s condition): its answer pins, in the history, a
/// request that is known to wait at this point.
pub fn observe_waiting<D: Subject>(rec: &mut ThreadRecorder<D>) -> bool {
    rec.call(|d| {
        let b = unexplored(|| d.has_waiting_consumer());
        (b, Call::HasWaitingConsumer(b))
    })
}

/// Histories checked per test: `test name -> count`.
static CHECKED: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

fn count_checked() {
    *CHECKED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(test_name())
        .or_default() += 1;
}

/// Distinct outcomes per test: `test name -> outcomes`.
static DISTINCT: Mutex<BTreeMap<String, BTreeSet<String>>> = Mutex::new(BTreeMap::new());

/// Records that this execution ended with `outcome`; [`model`] prints how many distinct ones
/// were seen (for scenarios with too many outcomes to tally one by one).
pub fn distinct_outcome(outcome: String) {
    DISTINCT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(test_name())
        .or_default()
        .insert(outcome);
}

/// The name of the running test (loom runs the model threads on the test's own thread).
fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Running a model.

/// Runs `f` under loom on every interleaving within the preemption bound: `default_bound` (plus
/// `DUALQ_LOOM_EXTRA_PREEMPTIONS`, which `run.sh --deep` sets to 1), or `LOOM_MAX_PREEMPTIONS`
/// if set. Prints the number of executions explored, and fails if loom
/// explored only one: that means the code under test used no atomic loom can see.
///
/// Returns the number of executions.
pub fn model<F>(default_bound: usize, f: F) -> usize
where
    F: Fn() + Send + Sync + 'static,
{
    let name = test_name();
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        // `run.sh --deep` adds one preemption to every test's default.
        let extra = std::env::var("DUALQ_LOOM_EXTRA_PREEMPTIONS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        builder.preemption_bound = Some(default_bound + extra);
    }
    // The spin loops of some scenarios (`wait_until`) need more than loom's default of 1,000
    // branches per execution.
    if std::env::var_os("LOOM_MAX_BRANCHES").is_none() {
        builder.max_branches = 10_000;
    }
    let bound = builder.preemption_bound;
    let executions = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&executions);
    let start = Instant::now();
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        TEARDOWN.with(Teardown::reset);
        register_with_epoch();
        f();
    });
    let n = executions.load(Ordering::Relaxed);
    let outcomes = take_outcomes(&name);
    let checked = CHECKED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&name)
        .unwrap_or(0);
    let distinct = DISTINCT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&name)
        .map_or(0, |d| d.len());
    println!(
        "loom: {name}: {n} executions, preemption bound {}, {:.1} s{}{}{}{outcomes}",
        bound.map_or("none".to_owned(), |b| b.to_string()),
        start.elapsed().as_secs_f64(),
        if checked > 0 {
            format!("; {checked} histories linearizable")
        } else {
            String::new()
        },
        if distinct > 0 {
            format!(", {distinct} distinct outcomes")
        } else {
            String::new()
        },
        if outcomes.is_empty() { "" } else { "; " },
    );
    assert!(
        n > 1,
        "{name}: loom explored only {n} execution(s); is crossbeam-epoch built for loom?"
    );
    n
}

/// How often each outcome was seen, per test: `(test name, outcome) -> executions`.
static OUTCOMES: Mutex<BTreeMap<(String, &'static str), usize>> = Mutex::new(BTreeMap::new());

/// Records that this execution ended with `outcome` (e.g. "timed out"). [`model`] prints the
/// tally, which shows that loom really explored each way a race can end, not only the most
/// likely one. Call it from the model's main thread.
pub fn outcome(outcome: &'static str) {
    let test = test_name();
    *OUTCOMES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry((test, outcome))
        .or_default() += 1;
}

/// Removes and formats the outcomes of `test`.
fn take_outcomes(test: &str) -> String {
    let mut all = OUTCOMES.lock().unwrap_or_else(|e| e.into_inner());
    let mine: Vec<_> = all.keys().filter(|(t, _)| t == test).cloned().collect();
    mine.into_iter()
        .map(|key| format!("{} {}", key.1, all.remove(&key).unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Spawns a model thread that first registers with crossbeam-epoch (see
/// [`register_with_epoch`]), then runs `f`. Join it with [`Joinable::join`].
pub fn spawn<T, F>(f: F) -> Joinable<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    TEARDOWN.with(|t| {
        t.resume();
        t.busy.set(t.busy.get() + 1);
    });
    Joinable(loom::thread::spawn(move || {
        register_with_epoch();
        let r = f();
        TEARDOWN.with(|t| {
            t.busy.set(t.busy.get() - 1);
            if t.busy.get() == 0 && t.main_joining.get() {
                t.pause();
            }
        });
        r
    }))
}

/// A model thread spawned by [`spawn`].
#[derive(Debug)]
pub struct Joinable<T>(JoinHandle<T>);

impl<T> Joinable<T> {
    /// Joins the thread from the main thread, as `std`'s `join` does.
    ///
    /// While the main thread waits here and every spawned thread has finished its work, the
    /// threads' exits (crossbeam-epoch's teardown: a pin, a push of the thread's garbage bag onto
    /// the global queue, an unpin) are run without exploring their interleavings: nothing of
    /// dualq's runs then, and exploring them multiplied the executions of every model (two idle
    /// threads: 1,024 executions at bound 1). Exploration resumes when the join returns, so a
    /// teardown that is still to come interleaves with the main thread's next calls as usual.
    pub fn join(self) -> std::thread::Result<T> {
        TEARDOWN.with(|t| {
            t.main_joining.set(true);
            if t.busy.get() == 0 {
                t.pause();
            }
        });
        let r = self.0.join();
        TEARDOWN.with(|t| {
            t.main_joining.set(false);
            t.resume();
        });
        r
    }
}

/// What decides whether a thread's exit is explored (see [`Joinable::join`]), for the execution
/// running on this OS thread (loom runs every model thread of a test on the test's own thread).
struct Teardown {
    /// Spawned model threads still running their closure.
    busy: std::cell::Cell<usize>,
    /// Whether the main thread is blocked in [`Joinable::join`].
    main_joining: std::cell::Cell<bool>,
    /// Whether exploration was stopped here (and must resume after the join).
    paused: std::cell::Cell<bool>,
}

impl Teardown {
    const fn new() -> Self {
        Teardown {
            busy: std::cell::Cell::new(0),
            main_joining: std::cell::Cell::new(false),
            paused: std::cell::Cell::new(false),
        }
    }

    /// Stops exploring until the main thread's join returns.
    fn pause(&self) {
        if !self.paused.replace(true) {
            loom::stop_exploring();
        }
    }

    /// Explores again, if [`pause`](Self::pause) stopped it.
    fn resume(&self) {
        if self.paused.replace(false) {
            loom::explore();
        }
    }

    /// A new execution starts (exploration is on again: loom resets it).
    fn reset(&self) {
        self.busy.set(0);
        self.main_joining.set(false);
        self.paused.set(false);
    }
}

thread_local! {
    static TEARDOWN: Teardown = const { Teardown::new() };
}

/// Registers the current thread with crossbeam-epoch's default collector, without exploring
/// interleavings of it.
///
/// A thread's first `pin` allocates its participant record, links it into the collector's
/// list of participants, and runs a collection: dozens of atomic operations that belong to
/// crossbeam-epoch (which has its own loom tests), not to dualq, and that multiplied the
/// executions of a three-thread model many times over. Exploration is switched off around
/// them; the pins inside dualq's operations are explored as usual.
pub fn register_with_epoch() {
    loom::stop_exploring();
    drop(crossbeam_epoch::pin());
    loom::explore();
}

/// Waits until `cond` holds, yielding to the other model threads in between.
///
/// `cond` is an *observer* (e.g. `waiting_consumers() == 2`) that only makes a schedule
/// determinate, so its own steps are run with exploration switched off: loom does not branch
/// inside it (a census walk is dozens of atomic loads, and exploring them in a spin loop made a
/// three-thread model run for minutes). The other threads' steps between two checks are
/// explored as usual. The observer still pins, and a pin is a `SeqCst` fence in the model, so
/// use it only where the schedule must be forced, not in the scenarios that look for missing
/// orderings.
pub fn wait_until(mut cond: impl FnMut() -> bool) {
    while !unexplored(&mut cond) {
        yield_now();
    }
}

/// Runs `f` with loom's exploration switched off: its steps run, but loom does not branch on
/// them (for observers, see [`wait_until`]).
pub fn unexplored<R>(f: impl FnOnce() -> R) -> R {
    loom::stop_exploring();
    let r = f();
    loom::explore();
    r
}

/// Makes crossbeam-epoch free what was retired, as far as the threads pinned right now allow.
///
/// Each `flush` moves this thread's garbage to the global queue, tries to advance the global
/// epoch once, and (with `crossbeam_sanitize`) runs every expired destructor. Garbage expires
/// two epochs after it was sealed, so three flushes free everything retired before the first,
/// unless another thread stays pinned throughout. Without this, small models free nodes only
/// when each execution's collector is dropped at its very end.
pub fn reclaim() {
    for _ in 0..3 {
        crossbeam_epoch::pin().flush();
    }
}

// ---------------------------------------------------------------------------------------------
// Use-after-free detection.

/// A global allocator that poisons freed blocks and delays their reuse (like AddressSanitizer's
/// quarantine), so that reading a freed node fails loudly inside the model.
///
/// Every loom atomic and cell is a handle (an index into the execution's object store). A node
/// read after it was freed then yields a handle of `0xD5D5…`, and loom panics with an
/// out-of-bounds index instead of silently reading whatever reused the memory. Blocks up to
/// [`Quarantine::MAX_POISONED`] bytes are poisoned and held back for the last
/// [`Quarantine::SLOTS`] frees; larger ones are freed at once.
#[derive(Debug)]
pub struct Quarantine;

/// A freed block waiting in the quarantine.
#[derive(Clone, Copy)]
struct Held {
    ptr: usize,
    size: usize,
    align: usize,
}

/// The ring of held blocks: `next` is the slot the next free evicts.
struct Ring {
    held: [Held; Quarantine::SLOTS],
    next: usize,
}

static RING: Mutex<Ring> = Mutex::new(Ring {
    held: [Held {
        ptr: 0,
        size: 0,
        align: 0,
    }; Quarantine::SLOTS],
    next: 0,
});

impl Quarantine {
    /// The byte freed memory is filled with.
    pub const POISON: u8 = 0xD5;
    /// How many freed blocks are held back from reuse.
    pub const SLOTS: usize = 1 << 14;
    /// The largest block that is poisoned and held (nodes are far smaller).
    pub const MAX_POISONED: usize = 1024;
}

// SAFETY: every method forwards to `System` with the layout it was given; a held block is
// freed later with the layout it was allocated with, and never handed out while held.
unsafe impl GlobalAlloc for Quarantine {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Reallocated blocks are buffers (Vec, String), not nodes: no quarantine.
        // SAFETY: forwarded with the caller's arguments.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() == 0 || layout.size() > Self::MAX_POISONED {
            // SAFETY: forwarded with the caller's arguments.
            return unsafe { System.dealloc(ptr, layout) };
        }
        // SAFETY: the caller gives up the block, which is `layout.size()` bytes long.
        unsafe { std::ptr::write_bytes(ptr, Self::POISON, layout.size()) };
        let evicted = {
            let mut ring = RING.lock().unwrap_or_else(|e| e.into_inner());
            let slot = ring.next;
            ring.next = (slot + 1) % Self::SLOTS;
            std::mem::replace(
                &mut ring.held[slot],
                Held {
                    ptr: ptr as usize,
                    size: layout.size(),
                    align: layout.align(),
                },
            )
        };
        if evicted.ptr != 0 {
            // SAFETY: the evicted block was freed by its owner with exactly this layout and
            // has been held (unused) since; now it is really given back.
            unsafe {
                System.dealloc(
                    evicted.ptr as *mut u8,
                    Layout::from_size_align_unchecked(evicted.size, evicted.align),
                )
            };
        }
    }
}

#[global_allocator]
static ALLOCATOR: Quarantine = Quarantine;
