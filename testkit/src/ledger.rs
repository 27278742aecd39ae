//! The drop ledger: per value, how many times it was dropped.
//!
//! Every value a test hands to a structure has an id; the ledger counts the drops of each id, so
//! a test can assert that every value was dropped exactly once (delivered and dropped by its
//! receiver, given back and dropped by the caller, or dropped with the structure), and say which
//! one was not. A value dropped twice is counted, not panicked on: a panic inside a destructor
//! that is already unwinding would abort the test binary and lose the report.
//!
//! Native tests use [`Tracked`] values of a [`Ledger::leak`]ed ledger: leaked, so that a value
//! needs no reference count (no shared counter for stress threads to fight over). The loom models
//! keep one ledger per explored execution behind an `Arc` and wrap their own value type around
//! [`Ledger::record_drop`] (their values also carry a loom leak tracker).

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// Per-id drop counters for the values of one test.
#[derive(Debug)]
pub struct Ledger {
    drops: Vec<AtomicU32>,
    /// How many drops found their counter already non-zero.
    double_drops: AtomicUsize,
}

impl Ledger {
    /// A ledger for the ids `0..n`.
    pub fn new(n: usize) -> Ledger {
        Ledger {
            drops: (0..n).map(|_| AtomicU32::new(0)).collect(),
            double_drops: AtomicUsize::new(0),
        }
    }

    /// A ledger for the ids `0..n` that lives as long as the test binary, so that values can
    /// point to it without reference counting.
    pub fn leak(n: usize) -> &'static Ledger {
        Box::leak(Box::new(Ledger::new(n)))
    }

    /// How many ids the ledger has.
    pub fn len(&self) -> usize {
        self.drops.len()
    }

    /// Whether the ledger has no ids at all.
    pub fn is_empty(&self) -> bool {
        self.drops.is_empty()
    }

    /// A new value with id `id`. Make each id once.
    pub fn value(&'static self, id: usize) -> Tracked {
        assert!(id < self.drops.len(), "id {id} out of the ledger's range");
        Tracked { id, ledger: self }
    }

    /// Counts one drop of value `id`; returns how many there were before.
    pub fn record_drop(&self, id: usize) -> u32 {
        // SeqCst, like every access to the counters: tests read them from other threads after
        // joins, and the counters are not on any hot path worth weakening.
        let before = self.drops[id].fetch_add(1, Ordering::SeqCst);
        if before != 0 {
            self.double_drops.fetch_add(1, Ordering::SeqCst);
        }
        before
    }

    /// How many times value `id` was dropped.
    pub fn drops(&self, id: usize) -> u32 {
        self.drops[id].load(Ordering::SeqCst)
    }

    /// How many drops in all.
    pub fn total(&self) -> usize {
        (0..self.drops.len())
            .map(|id| self.drops(id) as usize)
            .sum()
    }

    /// The ids dropped so far, in order; asserts that none was dropped twice.
    pub fn dropped_ids(&self) -> Vec<usize> {
        (0..self.drops.len())
            .filter(|&id| {
                let n = self.drops(id);
                assert!(n <= 1, "value {id} was dropped {n} times");
                n == 1
            })
            .collect()
    }

    /// Asserts that each id in `ids` was dropped exactly `times` times, naming the first
    /// offenders otherwise.
    #[track_caller]
    pub fn assert_dropped(&self, ids: impl IntoIterator<Item = usize>, times: u32, what: &str) {
        let bad: Vec<(usize, u32)> = ids
            .into_iter()
            .map(|id| (id, self.drops(id)))
            .filter(|&(_, d)| d != times)
            .collect();
        assert!(
            bad.is_empty(),
            "{what}: {} value(s) not dropped exactly {times} time(s); first (id, drops): {:?}",
            bad.len(),
            &bad[..bad.len().min(10)]
        );
    }

    /// Asserts that every value was dropped exactly once.
    #[track_caller]
    pub fn assert_all_dropped_once(&self, what: &str) {
        assert_eq!(
            self.double_drops.load(Ordering::SeqCst),
            0,
            "{what}: a value was dropped twice"
        );
        self.assert_dropped(0..self.drops.len(), 1, what);
    }
}

/// A value that records its drop in a [`Ledger`]. Not `Clone`: each id exists once.
pub struct Tracked {
    id: usize,
    ledger: &'static Ledger,
}

impl Tracked {
    /// The value's id.
    pub fn id(&self) -> usize {
        self.id
    }
}

impl fmt::Debug for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tracked({})", self.id)
    }
}

impl PartialEq for Tracked {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.ledger.record_drop(self.id);
    }
}
