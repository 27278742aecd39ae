//! The one place that chooses between std and [loom] primitives.
//!
//! Every atomic, cell, thread handle and clock the algorithms touch is imported from here, so
//! that the loom model checks in `loom-tests/` run exactly the code users run. Build with
//! `RUSTFLAGS="--cfg loom --cfg crossbeam_loom"` (and crossbeam-epoch's `loom` feature) to get
//! the loom versions; crossbeam-epoch then switches its own atomics to loom as well, so node
//! reclamation is explored too.
//!
//! Loom has no clock and no `park_timeout`. [`Timer`] therefore models a timed wait: under loom
//! a timed park returns at once, and the deadline counts as passed after that first wait. A
//! cancellation then races every fulfilment loom interleaves with it, which covers both "timed
//! out" and "fulfilled just in time".
//!
//! The timed park must not `yield_now` under loom: a yielding thread is not scheduled again
//! until another thread has taken a step, and continuing it after that costs a preemption, so
//! the cancel path sat behind two extra preemptions and loom (within the bounds `loom-tests/`
//! can afford) only ever explored the fulfiller winning. Without the yield, the cancel CAS
//! follows the waiter's last check of its slot, and loom explores the fulfil CAS landing on
//! either side of it.
//!
//! [loom]: https://docs.rs/loom

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicU32, AtomicU64, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, AtomicU64, AtomicUsize, Ordering};

#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex};

#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex};

#[cfg(not(loom))]
pub(crate) use std::thread::{current as current_thread, Thread};

#[cfg(loom)]
pub(crate) use loom::thread::{current as current_thread, Thread};

use std::time::Instant;

/// An `UnsafeCell` with loom's closure-based API, so the same code compiles under both.
///
/// Under loom, every `with`/`with_mut` is an access the model checker tracks: a hand-off that
/// is not ordered by an atomic shows up as a causality violation.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    #[inline]
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a pointer for writing.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// Restores, under loom, what two `SeqCst` read-modify-writes followed by `SeqCst` loads
/// already guarantee on real hardware and in the C++ memory model: in the store-buffering
/// pattern "RMW x; load y" against "RMW y; load x", at least one load sees the other RMW.
///
/// Loom models `SeqCst` accesses as `AcqRel` (loom-tests/README.md), so without a fence it would
/// explore executions in which both loads miss, which no real execution can produce. Outside
/// loom this is nothing: the `SeqCst` accesses themselves are the proof, and on x86 the locked
/// RMW is already a full barrier.
#[inline(always)]
pub(crate) fn loom_sc_fence() {
    #[cfg(loom)]
    fence(Ordering::SeqCst);
}

/// How long a waiter may wait: forever, or until a deadline.
///
/// The std version reads the clock; the loom version has none and expires after its first
/// timed park (see the module docs).
#[derive(Debug)]
pub(crate) struct Timer {
    deadline: Option<Instant>,
    #[cfg(loom)]
    waited: bool,
}

impl Timer {
    /// A timer that never expires.
    pub(crate) fn forever() -> Self {
        Self::until(None)
    }

    /// A timer that expires at `deadline` (never, if `None`).
    pub(crate) fn until(deadline: Option<Instant>) -> Self {
        Timer {
            deadline,
            #[cfg(loom)]
            waited: false,
        }
    }

    /// Whether a deadline was given at all.
    pub(crate) fn is_timed(&self) -> bool {
        self.deadline.is_some()
    }

    /// Whether the deadline has passed.
    pub(crate) fn expired(&self) -> bool {
        #[cfg(not(loom))]
        {
            self.deadline.is_some_and(|d| Instant::now() >= d)
        }
        #[cfg(loom)]
        {
            self.deadline.is_some() && self.waited
        }
    }

    /// Time left before the deadline, if there is one (`ZERO` once it has passed).
    #[cfg(not(loom))]
    pub(crate) fn remaining(&self) -> Option<std::time::Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Parks the current thread until it is unparked, the deadline passes, or a spurious
    /// wake-up. Callers re-check their condition in a loop.
    pub(crate) fn park(&mut self) {
        #[cfg(not(loom))]
        match self.remaining() {
            None => std::thread::park(),
            Some(left) if left.is_zero() => {}
            Some(left) => std::thread::park_timeout(left),
        }
        #[cfg(loom)]
        if self.deadline.is_some() {
            // No clock: after one timed park the deadline has passed. No yield here (module
            // docs): the slot loads and CASes around this call are the scheduling points.
            self.waited = true;
        } else {
            loom::thread::park();
        }
    }
}
