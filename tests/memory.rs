//! Memory does not grow with the number of timeouts: a cancelled reservation or transfer is
//! unlinked and reclaimed, also when it sits behind a waiter that never times out.
//!
//! This binary installs a counting global allocator (bytes currently allocated, and the peak
//! since a reset), so its tests take a lock and run one at a time. Epoch reclamation is lazy:
//! before measuring, [`settle`] pins and flushes a few dozen times, so that garbage whose grace
//! period has passed is actually freed.
//!
//! Sizes: each loop runs `200_000` timed operations by default (a node that leaked per timeout
//! would show as ~10 MiB, far above the 1 MiB bound) and `1_000_000` under `DUALQ_LONG=1`.
//! Timeouts are a few microseconds, so that every call really links a node and cancels it
//! (a deadline already passed on entry would return at once without linking);
//! `tiny_timeouts_really_link` checks that they do.
//!
//! Not built with the `trace` feature: a tracer keeps every event it records, by design, so
//! memory there grows with the number of operations.

#![cfg(not(feature = "trace"))]

mod common;

use common::*;
use dualq::channel;
use dualq::{DualQueue, DualStack, SegmentedDualQueue};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

// ------------------------------------------------------------------------------------------------
// The counting allocator.

struct Counting;

/// Bytes currently allocated.
static CURRENT: AtomicIsize = AtomicIsize::new(0);
/// Highest value of `CURRENT` since the last [`reset_peak`].
static PEAK: AtomicIsize = AtomicIsize::new(0);
/// Number of allocations (not bytes) ever made.
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = CURRENT.fetch_add(bytes as isize, Ordering::Relaxed) + bytes as isize;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    CURRENT.fetch_sub(bytes as isize, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; the counters are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ------------------------------------------------------------------------------------------------
// Measuring.

/// The bound on growth: far below what one leaked node per timeout would cost.
const BOUND: isize = 1 << 20;

/// Timed operations per loop.
fn iterations() -> usize {
    scale(200_000, 1_000_000)
}

/// The allocator is global: one measuring test at a time.
fn lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Lets epoch reclamation catch up, then returns the bytes currently allocated.
fn settle() -> isize {
    for _ in 0..64 {
        crossbeam_epoch::pin().flush();
    }
    CURRENT.load(Ordering::SeqCst)
}

fn reset_peak() {
    PEAK.store(CURRENT.load(Ordering::SeqCst), Ordering::SeqCst);
}

/// Runs `op` `n` times after a warm-up, and asserts that neither the bytes outstanding at the end
/// (after [`settle`]) nor the peak during the loop grew by [`BOUND`] or more.
fn assert_bounded(what: &str, n: usize, mut op: impl FnMut()) {
    tighten_timer_slack();
    for _ in 0..n / 20 {
        op();
    }
    let before = settle();
    reset_peak();
    let start = Instant::now();
    for _ in 0..n {
        op();
    }
    let took = start.elapsed();
    let peak = PEAK.load(Ordering::SeqCst) - before;
    let after = settle() - before;
    eprintln!("{what}: {n} ops in {took:?}; outstanding {after:+} B, peak {peak:+} B");
    assert!(
        after < BOUND,
        "{what}: {after} more bytes outstanding after {n} operations: memory grows with timeouts"
    );
    assert!(
        peak < 4 * BOUND,
        "{what}: the peak grew by {peak} bytes over {n} operations"
    );
}

/// A few microseconds: long enough to link and cancel, short enough for a million of them.
const TINY: Duration = Duration::from_micros(2);

// ------------------------------------------------------------------------------------------------
// The tests.

/// The timeouts used below really link a reservation (a sampling thread sees a waiting
/// consumer), and for the queue, which allocates its request node only when it links it, every
/// call allocates.
fn tiny_timeouts_really_link<Q: Census<u64>>() {
    let _lock = lock();
    let q = Q::default();
    let seen = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                if q.has_waiting_consumer() {
                    seen.fetch_add(1, Ordering::Relaxed);
                }
                thread::yield_now();
            }
        });
        // Stops the sampler however this scope ends: a failed assertion below must fail the
        // test, not leave the scope waiting for the sampler forever.
        struct StopOnExit<'a>(&'a AtomicBool);
        impl Drop for StopOnExit<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let _stop = StopOnExit(&done);
        tighten_timer_slack();
        let allocations = ALLOCATIONS.load(Ordering::SeqCst);
        for _ in 0..20_000 {
            assert_eq!(q.pop_timeout(TINY), None);
        }
        let allocations = ALLOCATIONS.load(Ordering::SeqCst) - allocations;
        // A call preempted between reading the clock and checking its deadline may find it
        // passed and return without linking: allow 1% of those.
        // The linked queue allocates its request node only when it links it (the segmented one
        // claims a cell, which allocates only once per segment).
        if Q::NAME == "DualQueue" {
            assert!(
                allocations >= 19_800,
                "only {allocations} allocations for 20000 pop_timeout({TINY:?}): they do not link"
            );
        }
        // Keep going (up to 10 s) until the sampler, which may be scheduled rarely on a busy
        // machine, has caught a reservation.
        let start = Instant::now();
        while seen.load(Ordering::Relaxed) == 0 && start.elapsed() < Duration::from_secs(10) {
            assert_eq!(q.pop_timeout(TINY), None);
        }
    });
    assert!(
        seen.load(Ordering::Relaxed) > 0,
        "{}: no pop_timeout({TINY:?}) was ever seen waiting",
        Q::NAME
    );
}

#[test]
fn tiny_timeouts_really_link_queue() {
    tiny_timeouts_really_link::<DualQueue<u64>>();
}

#[test]
fn tiny_timeouts_really_link_stack() {
    tiny_timeouts_really_link::<DualStack<u64>>();
}

/// (a) Timed-out `pop_timeout`s on an empty structure leave no garbage behind.
fn pop_timeouts_on_an_empty_structure<Q: Census<u64>>() {
    let _lock = lock();
    let q = Q::default();
    assert_bounded(
        &format!("{} pop_timeout on empty", Q::NAME),
        iterations(),
        || {
            assert_eq!(q.pop_timeout(TINY), None);
        },
    );
    assert_quiescent(&q, "after the loop");
}

#[test]
fn pop_timeouts_on_an_empty_segmented_queue_do_not_grow_memory() {
    pop_timeouts_on_an_empty_structure::<SegmentedDualQueue<u64>>();
}

#[test]
fn pop_timeouts_on_an_empty_queue_do_not_grow_memory() {
    pop_timeouts_on_an_empty_structure::<DualQueue<u64>>();
}

#[test]
fn pop_timeouts_on_an_empty_stack_do_not_grow_memory() {
    pop_timeouts_on_an_empty_structure::<DualStack<u64>>();
}

/// (b) The hard case: an untimed `pop` waits first in line (the queue's front, the stack's
/// bottom), so timed-out reservations linked after it cannot leave by the front; they must be
/// unlinked from the middle. Then one push releases the untimed waiter.
fn pop_timeouts_behind_an_untimed_waiter<Q: Census<u64>>() {
    let _lock = lock();
    let _w = watchdog(
        "pop_timeouts_behind_an_untimed_waiter",
        Duration::from_secs(300),
    );
    let q = Q::default();
    thread::scope(|s| {
        let waiter = s.spawn(|| q.pop());
        wait_until(PATIENCE, "the untimed waiter is linked", || {
            q.waiting_consumers() == 1
        });
        assert_bounded(
            &format!("{} pop_timeout behind an untimed pop", Q::NAME),
            iterations(),
            || assert_eq!(q.pop_timeout(TINY), None),
        );
        assert_eq!(q.waiting_consumers(), 1);
        q.push(42);
        assert_eq!(
            waiter.join().unwrap(),
            42,
            "the untimed waiter got another value"
        );
    });
    assert_quiescent(&q, "after releasing the untimed waiter");
}

#[test]
fn pop_timeouts_behind_an_untimed_waiter_do_not_grow_memory_queue() {
    pop_timeouts_behind_an_untimed_waiter::<DualQueue<u64>>();
}

#[test]
fn pop_timeouts_behind_an_untimed_waiter_do_not_grow_memory_stack() {
    pop_timeouts_behind_an_untimed_waiter::<DualStack<u64>>();
}

/// (c) Timed-out `transfer_timeout`s with nobody consuming leave no garbage behind.
fn transfer_timeouts_without_consumers<Q: Census<u64>>() {
    let _lock = lock();
    let q = Q::default();
    let mut v = 0;
    assert_bounded(
        &format!("{} transfer_timeout, no consumer", Q::NAME),
        iterations(),
        || {
            v += 1;
            assert_eq!(q.transfer_timeout(v, TINY), Err(v));
        },
    );
    assert_quiescent(&q, "after the loop");
}

#[test]
fn transfer_timeouts_without_consumers_do_not_grow_memory_queue() {
    transfer_timeouts_without_consumers::<DualQueue<u64>>();
}

#[test]
fn transfer_timeouts_without_consumers_do_not_grow_memory_stack() {
    transfer_timeouts_without_consumers::<DualStack<u64>>();
}

/// (c') The data-side hard case: an untimed `transfer` waits first in line, and timed-out
/// transfers pile up after it. Then one pop releases the untimed producer.
fn transfer_timeouts_behind_an_untimed_transfer<Q: Census<u64>>() {
    let _lock = lock();
    let _w = watchdog(
        "transfer_timeouts_behind_an_untimed_transfer",
        Duration::from_secs(300),
    );
    let q = Q::default();
    thread::scope(|s| {
        let producer = s.spawn(|| q.transfer(0));
        wait_until(PATIENCE, "the untimed producer is linked", || {
            q.waiting_producers() == 1
        });
        let mut v = 0;
        assert_bounded(
            &format!("{} transfer_timeout behind an untimed transfer", Q::NAME),
            iterations(),
            || {
                v += 1;
                assert_eq!(q.transfer_timeout(v, TINY), Err(v));
            },
        );
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop(), 0, "a timed-out value was delivered");
        producer.join().unwrap();
    });
    assert_quiescent(&q, "after releasing the untimed producer");
}

#[test]
fn transfer_timeouts_behind_an_untimed_transfer_do_not_grow_memory_queue() {
    transfer_timeouts_behind_an_untimed_transfer::<DualQueue<u64>>();
}

#[test]
fn transfer_timeouts_behind_an_untimed_transfer_do_not_grow_memory_stack() {
    transfer_timeouts_behind_an_untimed_transfer::<DualStack<u64>>();
}

/// Alternating timed-out pops and transfers: the one dead node a structure may keep changes
/// kind every time.
fn alternating_timeouts<Q: Census<u64>>() {
    let _lock = lock();
    let q = Q::default();
    let mut v = 0;
    assert_bounded(
        &format!("{} alternating timeouts", Q::NAME),
        iterations(),
        || {
            v += 1;
            if v % 2 == 0 {
                assert_eq!(q.pop_timeout(TINY), None);
            } else {
                assert_eq!(q.transfer_timeout(v, TINY), Err(v));
            }
        },
    );
    assert_quiescent(&q, "after the loop");
}

#[test]
fn alternating_pop_and_transfer_timeouts_do_not_grow_memory_queue() {
    alternating_timeouts::<DualQueue<u64>>();
}

#[test]
fn alternating_pop_and_transfer_timeouts_do_not_grow_memory_stack() {
    alternating_timeouts::<DualStack<u64>>();
}

/// Concurrent timeouts (4 threads on the same structure, half the usual number of operations in
/// all, behind an untimed waiter of the same side): cancelled nodes next to each other are unlinked by racing threads, and none may be
/// left behind. `consumers`: the threads time out in `pop_timeout` behind an untimed `pop`;
/// otherwise in `transfer_timeout` behind an untimed `transfer`.
fn concurrent_timeouts_behind_an_untimed_waiter<Q: Census<u64>>(consumers: bool) {
    let _lock = lock();
    let w = watchdog("concurrent_timeouts", Duration::from_secs(60));
    let q = Q::default();
    let what = if consumers {
        "pop_timeout"
    } else {
        "transfer_timeout"
    };
    let run = |per_thread: usize| {
        thread::scope(|s| {
            for _ in 0..4 {
                let (q, w) = (&q, &w);
                s.spawn(move || {
                    tighten_timer_slack();
                    for i in 0..per_thread as u64 {
                        if consumers {
                            assert_eq!(q.pop_timeout(TINY), None);
                        } else {
                            assert_eq!(q.transfer_timeout(i, TINY), Err(i));
                        }
                        w.tick();
                    }
                });
            }
        });
    };
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            if consumers {
                q.pop()
            } else {
                q.transfer(7);
                7
            }
        });
        wait_until(PATIENCE, "the untimed waiter is linked", || {
            q.waiting_consumers() + q.waiting_producers() == 1
        });
        run(iterations() / 80);
        let before = settle();
        reset_peak();
        let start = Instant::now();
        run(iterations() / 8);
        let took = start.elapsed();
        let peak = PEAK.load(Ordering::SeqCst) - before;
        let after = settle() - before;
        eprintln!(
            "{} concurrent {what}s: {} ops in {took:?}; outstanding {after:+} B, peak {peak:+} B",
            Q::NAME,
            iterations() / 2
        );
        assert!(
            after < BOUND,
            "{}: {after} more bytes outstanding after concurrent {what}s",
            Q::NAME
        );
        assert!(
            peak < 4 * BOUND,
            "{}: the peak grew by {peak} bytes",
            Q::NAME
        );
        assert_eq!(q.waiting_consumers() + q.waiting_producers(), 1);
        if consumers {
            q.push(7);
        } else {
            assert_eq!(q.pop(), 7);
        }
        assert_eq!(waiter.join().unwrap(), 7);
    });
    assert_quiescent(&q, "at the end");
}

#[test]
fn concurrent_pop_timeouts_behind_an_untimed_pop_do_not_grow_memory_queue() {
    concurrent_timeouts_behind_an_untimed_waiter::<DualQueue<u64>>(true);
}

#[test]
fn concurrent_pop_timeouts_behind_an_untimed_pop_do_not_grow_memory_stack() {
    concurrent_timeouts_behind_an_untimed_waiter::<DualStack<u64>>(true);
}

#[test]
fn concurrent_transfer_timeouts_behind_an_untimed_transfer_do_not_grow_memory_queue() {
    concurrent_timeouts_behind_an_untimed_waiter::<DualQueue<u64>>(false);
}

#[test]
fn concurrent_transfer_timeouts_behind_an_untimed_transfer_do_not_grow_memory_stack() {
    concurrent_timeouts_behind_an_untimed_waiter::<DualStack<u64>>(false);
}

/// Dropping a structure frees every node and every value still inside, including cancelled
/// nodes: the bytes outstanding return to where they were.
fn dropping_frees_everything<Q: Dual<Box<[u64; 8]>>>() {
    let _lock = lock();
    tighten_timer_slack();
    let before = settle();
    {
        let q = Q::default();
        for _ in 0..10 {
            assert!(q.pop_timeout(TINY).is_none());
        }
        for i in 0..20_000u64 {
            q.push(Box::new([i; 8]));
        }
        for _ in 0..10_000 {
            q.try_pop().unwrap();
        }
        q.transfer_timeout(Box::new([0; 8]), TINY).unwrap_err();
        assert_eq!(q.len(), 10_000);
    }
    let after = settle() - before;
    assert!(
        after < 64 * 1024,
        "{}: {after} bytes still allocated after dropping the structure",
        Q::NAME
    );
}

#[test]
fn dropping_a_queue_frees_its_nodes_and_values() {
    dropping_frees_everything::<DualQueue<Box<[u64; 8]>>>();
}

#[test]
fn dropping_a_segmented_queue_frees_its_segments_and_values() {
    dropping_frees_everything::<SegmentedDualQueue<Box<[u64; 8]>>>();
}

#[test]
fn dropping_a_stack_frees_its_nodes_and_values() {
    dropping_frees_everything::<DualStack<Box<[u64; 8]>>>();
}

/// A value whose drop panics while the structure is dropped: the destructor still frees every
/// node and every other value, then passes the panic on (`a_panicking_drop_does_not_leak_the_rest`
/// in `tests/queue.rs` and `tests/stack.rs` counts the values' drops; this counts the bytes).
fn a_panicking_drop_frees_everything<Q: Dual<Bomb>>() {
    let _lock = lock();
    let before = settle();
    {
        let q = Q::default();
        for i in 0..20_000u64 {
            q.push(Bomb(Box::new([i; 8]), i == 10_000));
        }
        // No report for the expected panic: printing a backtrace would allocate (and cache)
        // debug info, which this test would count. The lock keeps the other tests of this
        // binary, whose panics the silent hook would hide, from running meanwhile.
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(q)));
        std::panic::set_hook(report);
        assert!(
            outcome.is_err(),
            "the bomb's panic did not reach the caller"
        );
    }
    let after = settle() - before;
    assert!(
        after < 64 * 1024,
        "{}: {after} bytes still allocated after a drop that panicked",
        Q::NAME
    );
}

/// Panics in `drop` if its flag is set; the box is freed either way.
struct Bomb(#[allow(dead_code)] Box<[u64; 8]>, bool);

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.1 {
            panic!("bomb");
        }
    }
}

#[test]
fn a_panicking_value_drop_still_frees_a_queue() {
    a_panicking_drop_frees_everything::<DualQueue<Bomb>>();
}

#[test]
fn a_panicking_value_drop_still_frees_a_stack() {
    a_panicking_drop_frees_everything::<DualStack<Bomb>>();
}

/// A `try_pop` that finds nothing allocates nothing: a request node is allocated only by a
/// consumer that will wait. (The stack used to allocate one, push nothing, and free it.)
fn failed_try_pops_do_not_allocate<Q: Dual<u64>>() {
    let _lock = lock();
    let q = Q::default();
    // Register this thread with the epoch collector first: that allocates, once.
    assert_eq!(q.try_pop(), None);
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..100_000 {
        assert_eq!(q.try_pop(), None);
    }
    let allocations = ALLOCATIONS.load(Ordering::SeqCst) - before;
    // Other threads of the test harness may allocate meanwhile: allow a few.
    assert!(
        allocations < 100,
        "{}: {allocations} allocations in 100000 failed try_pops",
        Q::NAME
    );
}

#[test]
fn failed_try_pops_on_an_empty_queue_do_not_allocate() {
    failed_try_pops_do_not_allocate::<DualQueue<u64>>();
}

#[test]
fn failed_try_pops_on_an_empty_stack_do_not_allocate() {
    failed_try_pops_do_not_allocate::<DualStack<u64>>();
}

// ------------------------------------------------------------------------------------------------
// The segmented queue and its channels: the same tests run above for `SegmentedDualQueue`;
// these are about the channels themselves.

#[test]
fn tiny_timeouts_really_link_segmented() {
    tiny_timeouts_really_link::<SegmentedDualQueue<u64>>();
}

#[test]
fn pop_timeouts_behind_an_untimed_waiter_do_not_grow_memory_segmented() {
    pop_timeouts_behind_an_untimed_waiter::<SegmentedDualQueue<u64>>();
}

#[test]
fn transfer_timeouts_without_consumers_do_not_grow_memory_segmented() {
    transfer_timeouts_without_consumers::<SegmentedDualQueue<u64>>();
}

#[test]
fn transfer_timeouts_behind_an_untimed_transfer_do_not_grow_memory_segmented() {
    transfer_timeouts_behind_an_untimed_transfer::<SegmentedDualQueue<u64>>();
}

#[test]
fn alternating_pop_and_transfer_timeouts_do_not_grow_memory_segmented() {
    alternating_timeouts::<SegmentedDualQueue<u64>>();
}

#[test]
fn concurrent_pop_timeouts_behind_an_untimed_pop_do_not_grow_memory_segmented() {
    concurrent_timeouts_behind_an_untimed_waiter::<SegmentedDualQueue<u64>>(true);
}

#[test]
fn concurrent_transfer_timeouts_behind_an_untimed_transfer_do_not_grow_memory_segmented() {
    concurrent_timeouts_behind_an_untimed_waiter::<SegmentedDualQueue<u64>>(false);
}

/// A million (with `DUALQ_LONG=1`) `recv_timeout`s on an idle channel, then one send: memory
/// stays flat (withdrawn cells are skipped and their segments reclaimed), and the send still
/// reaches the next receiver.
#[test]
fn recv_timeouts_on_an_idle_channel_do_not_grow_memory() {
    let _lock = lock();
    let (tx, rx) = channel::unbounded::<u64>();
    assert_bounded("channel recv_timeout", iterations(), || {
        assert_eq!(
            rx.recv_timeout(TINY),
            Err(channel::RecvTimeoutError::Timeout)
        );
    });
    tx.send(5).unwrap();
    assert_eq!(rx.recv(), Ok(5));
}

/// The same behind a receiver that waits forever: its cell stays, the withdrawn ones behind it
/// are unlinked segment by segment.
#[test]
fn recv_timeouts_behind_a_waiting_receiver_do_not_grow_memory() {
    let _lock = lock();
    let (tx, rx) = channel::unbounded::<u64>();
    thread::scope(|s| {
        let first = {
            let rx = rx.clone();
            s.spawn(move || rx.recv())
        };
        wait_until(PATIENCE, "the first receiver waits", || {
            rx.try_recv().is_err() && first_is_waiting(&first)
        });
        assert_bounded("recv_timeout behind a waiter", iterations(), || {
            assert_eq!(
                rx.recv_timeout(TINY),
                Err(channel::RecvTimeoutError::Timeout)
            );
        });
        tx.send(1).unwrap();
        assert_eq!(first.join().unwrap(), Ok(1));
    });
}

/// Whether the thread is still running its receive (it has not returned).
fn first_is_waiting<R>(handle: &thread::ScopedJoinHandle<'_, R>) -> bool {
    thread::sleep(Duration::from_millis(20));
    !handle.is_finished()
}

/// Timed-out sends on a full bounded channel do not grow memory either.
#[test]
fn send_timeouts_on_a_full_bounded_channel_do_not_grow_memory() {
    let _lock = lock();
    let (tx, rx) = channel::bounded::<u64>(1);
    tx.send(0).unwrap();
    assert_bounded("bounded send_timeout", iterations(), || {
        assert!(matches!(
            tx.send_timeout(1, TINY),
            Err(channel::SendTimeoutError::Timeout(1))
        ));
    });
    assert_eq!(rx.recv(), Ok(0));
    tx.send(2).unwrap();
    assert_eq!(rx.recv(), Ok(2));
}

/// A bounded channel whose receiver keeps up (it never fills) gives its used segments back:
/// traffic alone must not grow memory, whatever the capacity.
#[test]
fn traffic_through_a_bounded_channel_that_never_fills_does_not_grow_memory() {
    let _lock = lock();
    for cap in [1, 2, 64] {
        let (tx, rx) = channel::bounded::<u64>(cap);
        let mut next = 0u64;
        assert_bounded(
            &format!("bounded({cap}) send then recv"),
            iterations(),
            || {
                tx.send(next).unwrap();
                assert_eq!(rx.recv(), Ok(next));
                next += 1;
            },
        );
    }
}

/// A burst of a million values: the channel holds about one segment per 32 values (not one
/// node per value), gives the memory back once drained, and again once dropped full.
#[test]
fn a_burst_is_freed_after_drain_and_after_drop() {
    let _lock = lock();
    const BURST: u64 = 1_000_000;
    let before = settle();
    reset_peak();
    let (tx, rx) = channel::unbounded::<u64>();
    for i in 0..BURST {
        tx.send(i).unwrap();
    }
    let peak = PEAK.load(Ordering::SeqCst) - before;
    // 8 bytes of value and 8 of state per cell, a segment header per 32: about 16.5 MiB.
    let per_value = peak as f64 / BURST as f64;
    eprintln!("burst of {BURST}: peak {peak} B ({per_value:.1} B per value)");
    assert!(
        per_value < 20.0,
        "{per_value:.1} bytes per buffered u64: more than a cell and its share of a segment"
    );
    for i in 0..BURST {
        assert_eq!(rx.recv(), Ok(i));
    }
    let drained = settle() - before;
    eprintln!("after draining: {drained:+} B outstanding");
    assert!(drained < BOUND, "{drained} bytes still held after draining");
    for i in 0..BURST {
        tx.send(i).unwrap();
    }
    drop((tx, rx));
    let dropped = settle() - before;
    eprintln!("after dropping a full channel: {dropped:+} B outstanding");
    assert!(dropped < BOUND, "{dropped} bytes still held after dropping");
}
