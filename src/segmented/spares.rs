//! Segments that left the list, kept for the next append instead of going back to the allocator.
//!
//! A queue appends a segment every 32 claims of its busiest side and retires one as often. Each
//! retired segment is freed through crossbeam-epoch only once every thread pinned at its
//! retirement has unpinned, in batches (a thread's deferred functions run when its bag of 64
//! fills or at a collection). Allocating fresh and freeing in batches made the heap grow and
//! shrink all the time: in a cpu-clock profile of unbounded 4P/4C, malloc, free and the page
//! faults of new heap pages took about 15 % of the samples (`benches/README.md`, "Where a
//! message's cost goes").
//!
//! So a retired segment goes to this pool when the epoch says it is free (the same moment it
//! would have been freed), and `find` takes a segment from the pool before it allocates one.
//! A segment in the pool is owned by the pool alone: nobody can reach it any more (that is what
//! the epoch guarantees), and it holds no value (a segment leaves the list only once every
//! party of every cell is done with it: passed by every side, or every cell withdrawn). It is
//! reset, as if new, by the thread that takes it.
//!
//! The pool is a lock-protected stack, taken once per append and once per retirement; the
//! deferred function that fills it owns a reference to it, because it may run after the queue
//! is gone. Debug builds mark a pooled segment destroyed (`Segment::checked` catches a use
//! after retirement as it catches a use after free). Under loom segments are freed as before:
//! the pool is not part of what the models check, and its mutex would only multiply their
//! states.

use super::segment::Segment;
use std::sync::{Arc, Mutex};

/// Most segments the pool keeps: a little more than one thread's bag of deferred functions,
/// which is how many come back at once. 64 segments of 32 cells of a `usize` are 34 KiB.
const MAX_SPARES: usize = 64;

/// The pool (module docs).
pub(crate) struct Spares<T> {
    /// Retired segments, ready to be reset and reused.
    segments: Mutex<Vec<Box<Segment<T>>>>,
}

impl<T> Spares<T> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Spares {
            segments: Mutex::new(Vec::new()),
        })
    }

    /// A segment from the pool, if there is one (the caller resets it).
    pub(crate) fn take(&self) -> Option<Box<Segment<T>>> {
        let segment = self.lock().pop()?;
        segment.mark_alive();
        Some(segment)
    }

    /// Keeps `segment` for reuse, or frees it if the pool is full.
    pub(crate) fn put(&self, segment: Box<Segment<T>>) {
        segment.mark_destroyed();
        let mut segments = self.lock();
        if segments.len() < MAX_SPARES {
            segments.push(segment);
        }
        // A segment the pool does not keep is dropped here, after the lock is released.
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Box<Segment<T>>>> {
        // A panic never happens while the lock is held (pushes and pops only).
        self.segments.lock().unwrap_or_else(|e| e.into_inner())
    }
}
