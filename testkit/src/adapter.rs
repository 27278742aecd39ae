//! One interface over the dual structures, so that a scenario is written once and run on each.
//!
//! [`Dual`] is the method family every structure of the crate offers; [`Census`] adds the
//! waiter counts of the list-based `DualQueue` and `DualStack`. Both are implemented by
//! `impl_dual!` below, one line per structure.
//!
//! The same traits serve the native integration tests (`tests/`) and the loom models
//! (`loom-tests/`): under `--cfg loom` the structures run on loom's atomics, and so does every
//! call made through these traits.

use dualq::{DualQueue, DualStack, SegmentedDualQueue};
use std::fmt;
use std::time::{Duration, Instant};

/// The public operations shared by every dual structure of the crate.
pub trait Dual<T>: Default + fmt::Debug + Send + Sync {
    /// The type's name, for messages.
    const NAME: &'static str;
    /// `true` if waiting consumers and data are served oldest first (a queue), `false` if
    /// newest first (a stack).
    const FIFO: bool;
    /// Never blocks; hands `v` to the consumer served next, if one waits.
    fn push(&self, v: T);
    /// Takes a value, waiting for one if there is none.
    fn pop(&self) -> T;
    /// Takes a value if there is one; never waits, never leaves a reservation behind.
    fn try_pop(&self) -> Option<T>;
    /// As `pop`, giving up after `d`.
    fn pop_timeout(&self, d: Duration) -> Option<T>;
    /// As `pop`, giving up at `at`.
    fn pop_deadline(&self, at: Instant) -> Option<T>;
    /// As `push`, then waits until a consumer has taken `v`.
    fn transfer(&self, v: T);
    /// Hands `v` to a consumer that already waits, else gives it back.
    fn try_transfer(&self, v: T) -> Result<(), T>;
    /// As `transfer`, giving up (and getting `v` back) after `d`.
    fn transfer_timeout(&self, v: T, d: Duration) -> Result<(), T>;
    /// As `transfer`, giving up (and getting `v` back) at `at`.
    fn transfer_deadline(&self, v: T, at: Instant) -> Result<(), T>;
    /// How many values are held (exact only while nothing else runs).
    fn len(&self) -> usize;
    /// Whether no data is held right now.
    fn is_empty(&self) -> bool;
}

/// The waiter counts of the list-based structures.
pub trait Census<T>: Dual<T> {
    /// Whether a reservation is linked right now.
    fn has_waiting_consumer(&self) -> bool;
    /// How many consumers wait (exact only while nothing else runs).
    fn waiting_consumers(&self) -> usize;
    /// How many transfers wait (exact only while nothing else runs).
    fn waiting_producers(&self) -> usize;
}

/// Implements [`Dual`] (and, with `census`, [`Census`]) for a structure of the crate:
/// `impl_dual!(DualQueue, fifo = true, census)`. (The orphan rule puts every impl here.)
macro_rules! impl_dual {
    ($ty:ident, fifo = $fifo:expr) => {
        impl<T: Send> $crate::Dual<T> for $ty<T> {
            const NAME: &'static str = stringify!($ty);
            const FIFO: bool = $fifo;
            fn push(&self, v: T) {
                $ty::push(self, v)
            }
            fn pop(&self) -> T {
                $ty::pop(self)
            }
            fn try_pop(&self) -> Option<T> {
                $ty::try_pop(self)
            }
            fn pop_timeout(&self, d: std::time::Duration) -> Option<T> {
                $ty::pop_timeout(self, d)
            }
            fn pop_deadline(&self, at: std::time::Instant) -> Option<T> {
                $ty::pop_deadline(self, at)
            }
            fn transfer(&self, v: T) {
                $ty::transfer(self, v)
            }
            fn try_transfer(&self, v: T) -> Result<(), T> {
                $ty::try_transfer(self, v)
            }
            fn transfer_timeout(&self, v: T, d: std::time::Duration) -> Result<(), T> {
                $ty::transfer_timeout(self, v, d)
            }
            fn transfer_deadline(&self, v: T, at: std::time::Instant) -> Result<(), T> {
                $ty::transfer_deadline(self, v, at)
            }
            fn len(&self) -> usize {
                $ty::len(self)
            }
            fn is_empty(&self) -> bool {
                $ty::is_empty(self)
            }
        }
    };
    ($ty:ident, fifo = $fifo:expr, census) => {
        impl_dual!($ty, fifo = $fifo);
        impl<T: Send> $crate::Census<T> for $ty<T> {
            fn has_waiting_consumer(&self) -> bool {
                $ty::has_waiting_consumer(self)
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

impl_dual!(DualQueue, fifo = true, census);
impl_dual!(DualStack, fifo = false, census);
impl_dual!(SegmentedDualQueue, fifo = true, census);

/// The order in which `k` items offered as `0..k` (values pushed, or waiters that blocked one
/// after another) come out of a structure of type `D`.
pub fn service_order<T, D: Dual<T>>(k: usize) -> Vec<usize> {
    if D::FIFO {
        (0..k).collect()
    } else {
        (0..k).rev().collect()
    }
}
