//! Checks of the harness itself: that loom really sees crossbeam-epoch, that the history clock
//! follows the explored schedule without adding to it, and that the quarantine allocator turns a
//! read of freed memory into a failure.
#![cfg(loom)]

use crossbeam_epoch::{self as epoch, Atomic, Owned};
use dualq_loom_tests::{model, spawn, Arc};
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

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
///
/// The failure is the expected outcome, so its panic message is kept off the output (a
/// newcomer reading a passing run would take it for a failure): this test's thread gets a
/// silent panic hook, every other thread keeps the default one.
#[test]
fn quarantine_catches_a_read_after_free() {
    const NAME: &str = "quarantine_catches_a_read_after_free";
    let default_hook = std::sync::Arc::new(std::panic::take_hook());
    {
        let default_hook = std::sync::Arc::clone(&default_hook);
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(NAME) {
                default_hook(info);
            }
        }));
    }
    let caught = std::panic::catch_unwind(|| {
        loom::model(|| {
            let boxed = Box::new(loom::sync::atomic::AtomicUsize::new(7));
            let raw: *const loom::sync::atomic::AtomicUsize = &*boxed;
            drop(boxed);
            // SAFETY: none: this is the use-after-free the allocator must make fail.
            let _ = unsafe { (*raw).load(Acquire) };
        });
    });
    let _ = std::panic::take_hook();
    if let Ok(hook) = std::sync::Arc::try_unwrap(default_hook) {
        std::panic::set_hook(hook);
    }
    assert!(
        caught.is_err(),
        "a read of freed memory went unnoticed: the quarantine allocator is not in use"
    );
}

/// Two model threads each make one loom-visible step (a `fetch_add` on a loom atomic), with
/// and without a `std` atomic stamp on either side, as the history recorder does. The stamps
/// must add no scheduling point (loom explores exactly as many executions either way), and
/// they must follow the explored schedule: ordered by their response stamps, the steps took
/// effect in the same order (the values the `fetch_add`s returned increase).
#[test]
fn std_clock_follows_the_schedule_and_adds_no_branch() {
    fn run(stamp: bool) -> usize {
        model(2, move || {
            let counter = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
            let clock = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let step = {
                let (counter, clock) = (counter.clone(), clock.clone());
                move || {
                    let tick = || stamp.then(|| clock.fetch_add(1, Relaxed));
                    let inv = tick();
                    let seen = counter.fetch_add(1, AcqRel);
                    let ret = tick();
                    (inv, seen, ret)
                }
            };
            let other = spawn(step.clone());
            let mine = step();
            let other = other.join().unwrap();
            if stamp {
                let mut by_response = [mine, other];
                by_response.sort_by_key(|&(_, _, ret)| ret);
                assert_eq!(
                    (by_response[0].1, by_response[1].1),
                    (0, 1),
                    "the stamps disagree with the schedule: {by_response:?}"
                );
            }
        })
    }
    assert_eq!(
        run(true),
        run(false),
        "the std clock changed what loom explored"
    );
}
