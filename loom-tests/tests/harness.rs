//! Checks of the harness itself: that loom really sees crossbeam-epoch, and that the quarantine
//! allocator turns a read of freed memory into a failure.
#![cfg(loom)]

use crossbeam_epoch::{self as epoch, Atomic, Owned};
use dualq_loom_tests::{model, spawn, Arc};
use std::sync::atomic::Ordering::{AcqRel, Acquire};

/// Two threads swap a crossbeam-epoch `Atomic` and nothing else: loom must explore both orders.
/// If crossbeam-epoch were built on std atomics (`--cfg loom` without `--cfg crossbeam_loom`),
/// loom would see no shared access and explore one execution, and every other model here would
/// silently check far less than it claims.
#[test]
fn loom_sees_crossbeam_epoch_atomics() {
    let n = model(2, || {
        let slot = Arc::new(Atomic::<u8>::null());
        let other = {
            let slot = slot.clone();
            spawn(move || {
                let guard = &epoch::pin();
                let old = slot.swap(Owned::new(1), AcqRel, guard);
                // SAFETY: the swap unlinked `old`; nobody else retires it.
                unsafe { retire(old, guard) };
            })
        };
        {
            let guard = &epoch::pin();
            let old = slot.swap(Owned::new(2), AcqRel, guard);
            // SAFETY: as above.
            unsafe { retire(old, guard) };
        }
        other.join().unwrap();
        // SAFETY: both threads are done; the last value is unlinked here.
        unsafe { drop(slot.load(Acquire, epoch::unprotected()).into_owned()) };
    });
    assert!(n >= 2);
}

/// # Safety
/// `old` is unlinked and retired once.
unsafe fn retire(old: epoch::Shared<'_, u8>, guard: &epoch::Guard) {
    if !old.is_null() {
        // SAFETY: per the contract.
        unsafe { guard.defer_destroy(old) };
    }
}

/// A node read after it was freed: the quarantine allocator poisons the freed block, so the
/// read of the loom atomic inside it fails (loom alone would read freed memory silently).
#[test]
#[should_panic]
fn quarantine_catches_a_read_after_free() {
    loom::model(|| {
        let boxed = Box::new(loom::sync::atomic::AtomicUsize::new(7));
        let raw: *const loom::sync::atomic::AtomicUsize = &*boxed;
        drop(boxed);
        // SAFETY: none: this is the use-after-free the allocator must make fail.
        let _ = unsafe { (*raw).load(Acquire) };
    });
}
