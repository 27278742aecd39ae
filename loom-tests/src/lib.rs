//! The harness shared by dualq's loom model checks (`tests/*.rs`).
//!
//! Build and run it only through `run.sh`: it needs `--cfg loom --cfg crossbeam_loom` (and
//! `--cfg crossbeam_sanitize`), crossbeam-epoch's `loom` feature, and one loom 0.7 in the
//! graph. Without `crossbeam_loom` the list's pointers live in crossbeam-epoch's std atomics,
//! which loom cannot see, and a model explores far too little; this crate refuses to build then.
//!
//! What it gives the test files:
//!
//! * [`Dual`]: the operations the scenarios use, implemented by `DualQueue` and `DualStack`,
//!   so that one scenario function runs on both ([`both!`] makes the two `#[test]`s).
//! * [`Values`] and [`Val`]: test payloads that loom tracks for leaks (a lost value is an
//!   "Allocation leaked" failure) and that count their own drops (a value dropped twice, or
//!   never, fails the model).
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

use dualq::{DualQueue, DualStack};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use loom::sync::Arc;
pub use loom::thread::yield_now;
use loom::thread::JoinHandle;

// ---------------------------------------------------------------------------------------------
// The structures under test.

/// The operations a scenario may use, on either structure. Timed operations use a one-second
/// timeout, which under loom means "park once, then the deadline has passed" (`src/sync.rs`), so
/// their cancellation races every fulfilment loom interleaves with it.
pub trait Dual: Send + Sync + 'static {
    /// `"queue"` or `"stack"`.
    const NAME: &'static str;
    /// Whether waiting consumers are served oldest first (queue) or newest first (stack).
    const FIFO: bool;
    /// An empty structure.
    fn new() -> Self;
    /// `push`: never blocks.
    fn push(&self, v: Val);
    /// `pop`: blocks; call it on a spawned thread only (loom bug #249).
    fn pop(&self) -> Val;
    /// `try_pop`: never blocks.
    fn try_pop(&self) -> Option<Val>;
    /// `pop_timeout(1 s)`: call it on a spawned thread only.
    fn pop_timeout(&self) -> Option<Val>;
    /// `transfer`: blocks; spawned threads only.
    fn transfer(&self, v: Val);
    /// `try_transfer`: never blocks.
    fn try_transfer(&self, v: Val) -> Result<(), Val>;
    /// `transfer_timeout(v, 1 s)`: spawned threads only.
    fn transfer_timeout(&self, v: Val) -> Result<(), Val>;
    /// `is_empty`: a pinned look at the front.
    fn is_empty(&self) -> bool;
    /// `has_waiting_consumer`: a pinned look at the front.
    fn has_waiting_consumer(&self) -> bool;
    /// `len`: a pinned walk of the whole list.
    fn len(&self) -> usize;
    /// `waiting_consumers`: a pinned walk of the whole list.
    fn waiting_consumers(&self) -> usize;
    /// `waiting_producers`: a pinned walk of the whole list.
    fn waiting_producers(&self) -> usize;
}

/// The timeout of the timed operations (its length is irrelevant under loom).
const TIMEOUT: Duration = Duration::from_secs(1);

macro_rules! impl_dual {
    ($ty:ident, $name:literal, $fifo:literal) => {
        impl Dual for $ty<Val> {
            const NAME: &'static str = $name;
            const FIFO: bool = $fifo;
            fn new() -> Self {
                $ty::new()
            }
            fn push(&self, v: Val) {
                $ty::push(self, v)
            }
            fn pop(&self) -> Val {
                $ty::pop(self)
            }
            fn try_pop(&self) -> Option<Val> {
                $ty::try_pop(self)
            }
            fn pop_timeout(&self) -> Option<Val> {
                $ty::pop_timeout(self, TIMEOUT)
            }
            fn transfer(&self, v: Val) {
                $ty::transfer(self, v)
            }
            fn try_transfer(&self, v: Val) -> Result<(), Val> {
                $ty::try_transfer(self, v)
            }
            fn transfer_timeout(&self, v: Val) -> Result<(), Val> {
                $ty::transfer_timeout(self, v, TIMEOUT)
            }
            fn is_empty(&self) -> bool {
                $ty::is_empty(self)
            }
            fn has_waiting_consumer(&self) -> bool {
                $ty::has_waiting_consumer(self)
            }
            fn len(&self) -> usize {
                $ty::len(self)
            }
            fn waiting_consumers(&self) -> usize {
                $ty::waiting_consumers(self)
            }
            fn waiting_producers(&self) -> usize {
                $ty::waiting_producers(self)
            }
        }
    };
}

impl_dual!(DualQueue, "queue", true);
impl_dual!(DualStack, "stack", false);

/// Makes two `#[test]`s, `<scenario>::queue` and `<scenario>::stack`, that run the generic
/// scenario function `<scenario>::<D: Dual>()` on each structure.
///
/// `both!(name, ignore_queue = "reason")` (or `ignore_stack`) marks one of them `#[ignore]`,
/// for a scenario that documents a known bug of that structure.
#[macro_export]
macro_rules! both {
    ($scenario:ident) => {
        mod $scenario {
            #[test]
            fn queue() {
                super::$scenario::<dualq::DualQueue<$crate::Val>>()
            }
            #[test]
            fn stack() {
                super::$scenario::<dualq::DualStack<$crate::Val>>()
            }
        }
    };
    ($scenario:ident, ignore_queue = $why:literal) => {
        mod $scenario {
            #[test]
            #[ignore = $why]
            fn queue() {
                super::$scenario::<dualq::DualQueue<$crate::Val>>()
            }
            #[test]
            fn stack() {
                super::$scenario::<dualq::DualStack<$crate::Val>>()
            }
        }
    };
    ($scenario:ident, ignore_stack = $why:literal) => {
        mod $scenario {
            #[test]
            fn queue() {
                super::$scenario::<dualq::DualQueue<$crate::Val>>()
            }
            #[test]
            #[ignore = $why]
            fn stack() {
                super::$scenario::<dualq::DualStack<$crate::Val>>()
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Payloads.

/// The values of one execution, and how often each was dropped.
///
/// The counters are std atomics on purpose: loom does not see them, so they add no scheduling
/// points, and loom runs one thread at a time, so they are exact.
#[derive(Debug)]
pub struct Values {
    drops: Vec<AtomicUsize>,
}

impl Values {
    /// Room for `n` values, with ids `0..n`. Call inside the model closure (one per execution).
    pub fn new(n: usize) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Values {
            drops: (0..n).map(|_| AtomicUsize::new(0)).collect(),
        })
    }

    /// The value with this id. Make each id once.
    pub fn make(self: &std::sync::Arc<Self>, id: usize) -> Val {
        assert!(id < self.drops.len());
        Val {
            id,
            log: std::sync::Arc::clone(self),
            _track: loom::alloc::Track::new(()),
        }
    }

    /// Asserts that every value was dropped exactly once. Call at the end of the model, after
    /// the structure and every value handed out were dropped.
    pub fn assert_all_dropped_once(&self) {
        for (id, drops) in self.drops.iter().enumerate() {
            let drops = drops.load(Ordering::Relaxed);
            assert_eq!(drops, 1, "value {id} was dropped {drops} times, not once");
        }
    }
}

/// A test value: an id, a loom leak tracker, and a drop counter.
///
/// Loom reports "Allocation leaked" if a `Val` is never dropped (a value lost inside the
/// structure); the drop counter panics the moment one is dropped twice (a value moved out of
/// its cell twice, e.g. delivered and also handed back).
#[derive(Debug)]
pub struct Val {
    id: usize,
    log: std::sync::Arc<Values>,
    _track: loom::alloc::Track<()>,
}

impl Val {
    /// The value's id.
    pub fn id(&self) -> usize {
        self.id
    }
}

impl Drop for Val {
    fn drop(&mut self) {
        let before = self.log.drops[self.id].fetch_add(1, Ordering::Relaxed);
        assert_eq!(before, 0, "value {} dropped twice", self.id);
    }
}

/// The id of an optional value, for assertions.
pub fn id_of(v: &Option<Val>) -> Option<usize> {
    v.as_ref().map(Val::id)
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
    let name = std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_owned();
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
        register_with_epoch();
        f();
    });
    let n = executions.load(Ordering::Relaxed);
    let outcomes = take_outcomes(&name);
    println!(
        "loom: {name}: {n} executions, preemption bound {}, {:.1} s{}{outcomes}",
        bound.map_or("none".to_owned(), |b| b.to_string()),
        start.elapsed().as_secs_f64(),
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
    let test = std::thread::current().name().unwrap_or("").to_owned();
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
/// [`register_with_epoch`]), then runs `f`.
pub fn spawn<T, F>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    loom::thread::spawn(move || {
        register_with_epoch();
        f()
    })
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
    loop {
        loom::stop_exploring();
        let done = cond();
        loom::explore();
        if done {
            return;
        }
        yield_now();
    }
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
