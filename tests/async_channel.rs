//! The async side of `dualq::channel` (issue 16): `send_async`/`recv_async`, streams and sinks,
//! on every flavor, mixed with blocking threads on the same channel.
//!
//! * basics on each flavor, under tokio's multi-thread runtime and `futures::executor`;
//! * a future that is ready at its first poll registers nothing and allocates nothing, and a
//!   re-poll allocates nothing (a counting allocator in this binary);
//! * async waiters stand in the same FIFO line as blocked threads (futures polled by hand, so
//!   the order in which they start waiting is exact);
//! * wake-ups: through the latest waker; on disconnection;
//! * cancellation: a dropped pending future loses no value and never delivers a withdrawn one,
//!   checked value by value with the test kit's drop ledger; races under tokio with timeouts;
//! * what a `mem::forget`-ten future does;
//! * streams and sinks; `Send`/`Unpin`.
//!
//! Race loops run a dozen rounds of a few hundred values each; `DUALQ_LONG=1` runs ten times as
//! many rounds.
#![cfg(feature = "async")]

mod chan_support;

use chan_support::{join, rounds, spawn_blocked, Kind, Ledger, Tracked, KINDS};
use dualq::channel::{
    bounded, rendezvous, unbounded, RecvError, RecvFut, RecvStream, SendError, SendFut, SendSink,
    Sender,
};
use futures::executor::{block_on, LocalPool};
use futures::future::FusedFuture;
use futures::stream::FusedStream;
use futures::task::LocalSpawnExt;
use futures::{SinkExt, StreamExt};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

// ==========================================================================================
// Helpers
// ==========================================================================================

/// A waker that counts its wakes; `Arc::strong_count` tells how many clones are held
/// elsewhere (a registered waker is a clone).
#[derive(Default)]
struct CountingWaker {
    wakes: AtomicUsize,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    fn new() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&counter));
        (counter, waker)
    }

    fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

/// Polls `fut` once with `waker`.
fn poll_with<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// Polls `fut` once with a waker nobody watches.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    poll_with(fut, futures::task::noop_waker_ref())
}

/// A tokio runtime like the one the report uses: multi-thread, two workers.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// The test kit's ledger and its values `0..n`.
fn ledger(n: usize) -> (&'static Ledger, Vec<Tracked>) {
    let ledger = Ledger::leak(n);
    (ledger, (0..n).map(|id| ledger.value(id)).collect())
}

// A global allocator that counts this thread's allocations, so a test can assert that an
// operation allocated nothing.
struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the counter is a
// thread-local `Cell` with a const initialiser, which never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// How many allocations this thread made while running `f`.
fn allocations_in<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCATIONS.with(Cell::get);
    let result = f();
    (ALLOCATIONS.with(Cell::get) - before, result)
}

// ==========================================================================================
// Basics
// ==========================================================================================

#[test]
fn every_flavor_delivers_in_order_between_tasks() {
    let rt = runtime();
    for kind in KINDS {
        let (tx, rx) = kind.make();
        let producer = rt.spawn(async move {
            for i in 0..2_000u32 {
                tx.send_async(i).await.unwrap();
            }
        });
        let consumer = rt.spawn(async move {
            let mut got = Vec::new();
            while let Ok(v) = rx.recv_async().await {
                got.push(v);
            }
            got
        });
        rt.block_on(producer).unwrap();
        let got = rt.block_on(consumer).unwrap();
        assert_eq!(got, (0..2_000).collect::<Vec<_>>(), "{kind:?}");
    }
}

#[test]
fn sync_and_async_ends_mix_on_every_flavor() {
    // Two producer threads, two producer tasks, two consumer threads, two consumer tasks, all
    // on one channel: every value arrives exactly once.
    const PER_PRODUCER: usize = 2_000;
    let rt = runtime();
    for kind in KINDS {
        let (ledger, values) = ledger(4 * PER_PRODUCER);
        let (tx, rx) = kind.make::<Tracked>();
        let mut chunks: Vec<Vec<Tracked>> = Vec::new();
        let mut values = values.into_iter();
        for _ in 0..4 {
            chunks.push(values.by_ref().take(PER_PRODUCER).collect());
        }
        let mut threads = Vec::new();
        let mut tasks = Vec::new();
        for (i, chunk) in chunks.into_iter().enumerate() {
            let tx = tx.clone();
            if i % 2 == 0 {
                threads.push(thread::spawn(move || {
                    for v in chunk {
                        tx.send(v).unwrap();
                    }
                    Vec::new()
                }));
            } else {
                tasks.push(rt.spawn(async move {
                    for v in chunk {
                        tx.send_async(v).await.unwrap();
                    }
                    Vec::new()
                }));
            }
        }
        drop(tx);
        for _ in 0..2 {
            let thread_rx = rx.clone();
            threads.push(thread::spawn(move || {
                thread_rx.iter().map(|v| v.id()).collect::<Vec<_>>()
            }));
            let rx = rx.clone();
            tasks.push(rt.spawn(async move {
                let mut ids = Vec::new();
                while let Ok(v) = rx.recv_async().await {
                    ids.push(v.id());
                }
                ids
            }));
        }
        drop(rx);
        let mut ids: Vec<usize> = threads.into_iter().flat_map(join).collect();
        for task in tasks {
            ids.extend(rt.block_on(task).unwrap());
        }
        ids.sort_unstable();
        assert_eq!(ids, (0..4 * PER_PRODUCER).collect::<Vec<_>>(), "{kind:?}");
        ledger.assert_all_dropped_once(&format!("{kind:?}"));
    }
}

#[test]
fn a_single_threaded_executor_runs_senders_and_receivers_as_tasks() {
    // Everything on one thread: a task that blocked or spun instead of returning `Pending`
    // would hang this test.
    for kind in KINDS {
        let mut pool = LocalPool::new();
        let spawner = pool.spawner();
        let (tx, rx) = kind.make::<usize>();
        let total = Arc::new(AtomicUsize::new(0));
        for p in 0..4 {
            let tx = tx.clone();
            spawner
                .spawn_local(async move {
                    for i in 0..100 {
                        tx.send_async(p * 100 + i).await.unwrap();
                    }
                })
                .unwrap();
        }
        drop(tx);
        for _ in 0..3 {
            let rx = rx.clone();
            let total = Arc::clone(&total);
            spawner
                .spawn_local(async move {
                    let mut stream = rx.stream();
                    while let Some(v) = stream.next().await {
                        total.fetch_add(v, Ordering::SeqCst);
                    }
                })
                .unwrap();
        }
        drop(rx);
        pool.run();
        assert_eq!(total.load(Ordering::SeqCst), (0..400).sum(), "{kind:?}");
    }
}

#[test]
fn owned_futures_can_be_spawned_and_release_their_end() {
    let rt = runtime();
    let (tx, rx) = rendezvous();
    let receiver = rt.spawn(rx.into_recv_async());
    rt.block_on(tx.clone().into_send_async(3)).unwrap();
    assert_eq!(rt.block_on(receiver).unwrap(), Ok(3));
    // The owned receiver went with its future: the channel has no receiver left.
    assert_eq!(tx.send(4), Err(SendError(4)));
}

// ==========================================================================================
// First poll, re-poll: nothing registered, nothing allocated
// ==========================================================================================

#[test]
#[cfg_attr(
    feature = "trace",
    ignore = "the `trace` feature records every step of every operation in a growing log"
)]
fn a_future_ready_at_its_first_poll_registers_and_allocates_nothing() {
    let (counter, waker) = CountingWaker::new();
    // Warm up: this thread's first epoch pin registers it with the collector (an allocation
    // of crossbeam-epoch's, once per thread), and the first segment exists already.
    let (tx, rx) = bounded::<u32>(4);
    tx.send(0).unwrap();
    assert_eq!(rx.try_recv(), Ok(0));

    tx.send(1).unwrap();
    let (allocated, polled) = allocations_in(|| poll_with(&mut rx.recv_async(), &waker));
    assert_eq!(polled, Poll::Ready(Ok(1)));
    assert_eq!(allocated, 0, "a ready receive allocated");

    let (allocated, polled) = allocations_in(|| poll_with(&mut tx.send_async(2), &waker));
    assert_eq!(polled, Poll::Ready(Ok(())));
    assert_eq!(allocated, 0, "a send with room allocated");
    assert_eq!(rx.try_recv(), Ok(2));

    // Neither kept a clone of the waker, and nothing woke it.
    assert_eq!(Arc::strong_count(&counter), 2);
    assert_eq!(counter.wakes(), 0);
}

#[test]
fn a_rendezvous_send_to_a_blocked_thread_is_ready_at_once() {
    let (counter, waker) = CountingWaker::new();
    let (tx, rx) = rendezvous();
    let receiver = spawn_blocked(move || rx.recv());
    assert_eq!(
        poll_with(&mut tx.send_async(9), &waker),
        Poll::Ready(Ok(()))
    );
    assert_eq!(join(receiver), Ok(9));
    assert_eq!(Arc::strong_count(&counter), 2, "the waker was registered");
}

#[test]
fn a_pending_future_registers_once_and_a_repoll_allocates_nothing() {
    let (counter, waker) = CountingWaker::new();
    let (tx, rx) = unbounded::<u32>();
    // Warm up the thread's epoch registration.
    tx.send(0).unwrap();
    assert_eq!(rx.try_recv(), Ok(0));

    let mut fut = rx.recv_async();
    assert_eq!(poll_with(&mut fut, &waker), Poll::Pending);
    assert_eq!(Arc::strong_count(&counter), 3, "the waiter holds one clone");
    for _ in 0..100 {
        let (allocated, polled) = allocations_in(|| poll_with(&mut fut, &waker));
        assert_eq!(polled, Poll::Pending);
        assert_eq!(allocated, 0, "a re-poll allocated");
    }
    assert_eq!(
        Arc::strong_count(&counter),
        3,
        "re-polls cloned the same waker again"
    );
    tx.send(5).unwrap();
    assert_eq!(counter.wakes(), 1);
    assert_eq!(poll_with(&mut fut, &waker), Poll::Ready(Ok(5)));
    assert!(fut.is_terminated());
}

#[test]
#[should_panic(expected = "polled after it completed")]
fn polling_a_completed_receive_panics() {
    let (tx, rx) = unbounded();
    tx.send(1).unwrap();
    let mut fut = rx.recv_async();
    assert_eq!(poll_once(&mut fut), Poll::Ready(Ok(1)));
    let _ = poll_once(&mut fut);
}

#[test]
#[should_panic(expected = "polled after it completed")]
fn polling_a_completed_send_panics() {
    let (tx, _rx) = unbounded();
    let mut fut = tx.send_async(1);
    assert_eq!(poll_once(&mut fut), Poll::Ready(Ok(())));
    let _ = poll_once(&mut fut);
}

// ==========================================================================================
// One FIFO line for threads and tasks
// ==========================================================================================

#[test]
fn async_receivers_are_served_in_the_order_they_started_waiting() {
    let (tx, rx) = unbounded();
    let mut futs: Vec<RecvFut<'_, usize>> = (0..8).map(|_| rx.recv_async()).collect();
    for fut in &mut futs {
        assert_eq!(poll_once(fut), Poll::Pending);
    }
    for i in 0..8 {
        tx.send(i).unwrap();
    }
    for (i, fut) in futs.iter_mut().enumerate() {
        assert_eq!(poll_once(fut), Poll::Ready(Ok(i)), "receiver {i}");
    }
}

#[test]
fn threads_and_tasks_wait_in_one_line() {
    // Thread, task, thread, task, each waiting before the next starts: values 0..4 go to them
    // in that order.
    let (tx, rx) = unbounded::<usize>();
    let first = {
        let rx = rx.clone();
        spawn_blocked(move || rx.recv())
    };
    let mut second = rx.recv_async();
    assert_eq!(poll_once(&mut second), Poll::Pending);
    let third = {
        let rx = rx.clone();
        spawn_blocked(move || rx.recv())
    };
    let mut fourth = rx.recv_async();
    assert_eq!(poll_once(&mut fourth), Poll::Pending);
    for i in 0..4 {
        tx.send(i).unwrap();
    }
    assert_eq!(join(first), Ok(0));
    assert_eq!(block_on(second), Ok(1));
    assert_eq!(join(third), Ok(2));
    assert_eq!(block_on(fourth), Ok(3));
}

#[test]
fn blocked_senders_threads_and_tasks_are_served_in_order() {
    for kind in [Kind::Rendezvous, Kind::Bounded(1)] {
        let (tx, rx) = kind.make::<usize>();
        let buffered = match kind {
            Kind::Bounded(_) => {
                tx.send(100).unwrap(); // fills the channel: the senders below wait
                1
            }
            _ => 0,
        };
        let mut first = tx.send_async(0);
        assert_eq!(poll_once(&mut first), Poll::Pending);
        let second = {
            let tx = tx.clone();
            spawn_blocked(move || tx.send(1))
        };
        let mut third = tx.send_async(2);
        assert_eq!(poll_once(&mut third), Poll::Pending);
        let got: Vec<usize> = (0..3 + buffered).map(|_| rx.recv().unwrap()).collect();
        let expected: Vec<usize> = if buffered == 1 {
            vec![100, 0, 1, 2]
        } else {
            vec![0, 1, 2]
        };
        assert_eq!(got, expected, "{kind:?}");
        assert_eq!(poll_once(&mut first), Poll::Ready(Ok(())));
        assert_eq!(join(second), Ok(()));
        assert_eq!(poll_once(&mut third), Poll::Ready(Ok(())));
    }
}

// ==========================================================================================
// Wake-ups
// ==========================================================================================

#[test]
fn a_repoll_with_a_new_waker_is_woken_through_the_new_one() {
    let (tx, rx) = unbounded();
    let (old, old_waker) = CountingWaker::new();
    let (new, new_waker) = CountingWaker::new();
    let mut fut = rx.recv_async();
    assert_eq!(poll_with(&mut fut, &old_waker), Poll::Pending);
    assert_eq!(poll_with(&mut fut, &new_waker), Poll::Pending);
    assert_eq!(Arc::strong_count(&old), 2, "the old waker is still held");
    tx.send(1).unwrap();
    assert_eq!((old.wakes(), new.wakes()), (0, 1));
    assert_eq!(poll_with(&mut fut, &new_waker), Poll::Ready(Ok(1)));

    // The same for a send.
    let (tx, rx) = rendezvous();
    let mut fut = tx.send_async(2);
    assert_eq!(poll_with(&mut fut, &old_waker), Poll::Pending);
    assert_eq!(poll_with(&mut fut, &new_waker), Poll::Pending);
    assert_eq!(rx.recv(), Ok(2));
    assert_eq!((old.wakes(), new.wakes()), (0, 2));
    assert_eq!(poll_with(&mut fut, &new_waker), Poll::Ready(Ok(())));
}

#[test]
fn disconnection_wakes_pending_futures() {
    // The last sender goes: a waiting receive wakes with `RecvError`.
    let (counter, waker) = CountingWaker::new();
    let (tx, rx) = unbounded::<u8>();
    let mut fut = rx.recv_async();
    assert_eq!(poll_with(&mut fut, &waker), Poll::Pending);
    drop(tx);
    assert_eq!(counter.wakes(), 1);
    assert_eq!(poll_with(&mut fut, &waker), Poll::Ready(Err(RecvError)));

    // The last receiver goes: a waiting send wakes with its value back.
    for kind in [Kind::Rendezvous, Kind::Bounded(1)] {
        let (ledger, mut values) = ledger(2);
        let (tx, rx) = kind.make::<Tracked>();
        if let Kind::Bounded(_) = kind {
            tx.send(values.pop().unwrap()).unwrap(); // id 1 fills the channel
        } else {
            drop(values.pop());
        }
        let (counter, waker) = CountingWaker::new();
        let mut fut = tx.send_async(values.pop().unwrap());
        assert_eq!(poll_with(&mut fut, &waker), Poll::Pending);
        drop(rx); // drops the buffered value
        assert_eq!(counter.wakes(), 1, "{kind:?}");
        match poll_with(&mut fut, &waker) {
            Poll::Ready(Err(SendError(v))) => assert_eq!(v.id(), 0, "{kind:?}"),
            other => panic!("{kind:?}: {other:?}"),
        }
        ledger.assert_all_dropped_once(&format!("{kind:?}"));
    }
}

#[test]
fn disconnection_ends_streams_and_fails_sinks() {
    let rt = runtime();
    let (tx, rx) = bounded(2);
    let task = rt.spawn(async move { rx.into_stream().collect::<Vec<u8>>().await });
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(rt.block_on(task).unwrap(), [1]);

    let (tx, rx) = rendezvous::<String>();
    let mut sink = tx.sink();
    let receiver = thread::spawn(move || {
        let first = rx.recv();
        drop(rx);
        first
    });
    rt.block_on(sink.send("taken".into())).unwrap();
    assert_eq!(join(receiver).as_deref(), Ok("taken"));
    let err = rt.block_on(sink.send("back".into())).unwrap_err();
    assert_eq!(err.into_inner(), "back");
}

// ==========================================================================================
// Cancellation: dropped futures, value by value
// ==========================================================================================

#[test]
fn a_dropped_pending_receive_gives_up_its_place() {
    let (tx, rx) = unbounded();
    let mut first = rx.recv_async();
    let mut second = rx.recv_async();
    assert_eq!(poll_once(&mut first), Poll::Pending);
    assert_eq!(poll_once(&mut second), Poll::Pending);
    drop(first); // withdrawn before any value reached it
    tx.send(7).unwrap();
    assert_eq!(poll_once(&mut second), Poll::Ready(Ok(7)));
}

/// The user's case (issue 25): a task's receive is handed a value, the producer finishes,
/// and `select!` drops the receive. The value stays at the front: the next receive gets it,
/// although every sender is gone (before the fix: `Err(RecvError)`).
#[test]
fn a_value_handed_to_a_dropped_receive_is_received_after_the_senders_left() {
    let (tx, rx) = unbounded::<String>();
    let mut fut = rx.recv_async();
    assert!(poll_once(&mut fut).is_pending()); // the task waits
    tx.send("important".into()).unwrap(); // Ok: handed to the waiting future
    drop(tx); // the producer is done
    drop(fut); // select! picked the other branch
    assert_eq!(rx.recv().as_deref(), Ok("important"));
    assert_eq!(rx.recv(), Err(RecvError));
}

/// A value handed to a dropped receive goes back to the front, ahead of what the same producer
/// sent after it, on every flavor; the drop ledger sees each value once.
#[test]
fn a_value_handed_to_a_dropped_receive_stays_ahead_of_later_values() {
    for kind in KINDS {
        let (ledger, mut values) = ledger(2);
        let (tx, rx) = kind.make::<Tracked>();
        let mut first = rx.recv_async();
        assert_eq!(poll_once(&mut first).map(|_| ()), Poll::Pending);
        tx.send(values.remove(0)).unwrap(); // handed to `first`, which is never polled again
        let later = {
            let tx = tx.clone();
            let value = values.remove(0);
            let send = move || tx.send(value).is_ok();
            if let Kind::Rendezvous = kind {
                spawn_blocked(send) // waits in line for a receiver
            } else {
                // It fits in the buffer (a bounded(1) channel's slot is free: `first` waited).
                let sent = thread::spawn(send);
                while !sent.is_finished() {
                    thread::yield_now();
                }
                sent
            }
        };
        drop(first);
        assert_eq!(
            ledger.drops(0),
            0,
            "{kind:?}: the dropped future dropped the value"
        );
        let ids: Vec<usize> = (0..2).map(|_| rx.recv().unwrap().id()).collect();
        assert_eq!(
            ids,
            [0, 1],
            "{kind:?}: the handed-back value went behind a later one"
        );
        assert!(join(later), "{kind:?}");
        ledger.assert_all_dropped_once(&format!("{kind:?}"));
    }
}
/// A handed-back value is in the channel: `len` counts it, on a bounded channel too (where it
/// may stand beside a full buffer), and on a rendezvous channel.
#[test]
fn len_counts_a_value_handed_back_to_the_front() {
    for kind in [Kind::Bounded(1), Kind::Rendezvous, Kind::Unbounded] {
        let (tx, rx) = kind.make::<u32>();
        let mut first = rx.recv_async();
        assert!(poll_once(&mut first).is_pending());
        tx.send(1).unwrap(); // handed to `first`
        assert_eq!(rx.len(), 0, "{kind:?}: the value is the future's");
        drop(first);
        assert_eq!(
            rx.len(),
            1,
            "{kind:?}: the handed-back value is not counted"
        );
        assert!(!rx.is_empty(), "{kind:?}");
        if let Kind::Bounded(_) = kind {
            tx.send(2).unwrap(); // the buffer's slot is free: the value never took it
            assert_eq!(
                rx.len(),
                2,
                "{kind:?}: a full buffer and a handed-back value"
            );
            assert!(rx.is_full(), "{kind:?}");
            assert_eq!(rx.try_recv(), Ok(1));
            assert_eq!(rx.try_recv(), Ok(2));
        } else {
            assert_eq!(rx.try_recv(), Ok(1));
        }
        assert_eq!(rx.len(), 0, "{kind:?}");
    }
}

/// The loop of every tokio program: one task selects over two channels and a timer, each
/// channel fed by a thread that sends `0..N` and leaves. Every value arrives once and in order
/// per channel, on every flavor, while `select!` keeps dropping the losing receives (the user's
/// report: 35 of 40 runs lost a value; rendezvous and bounded(1) reordered 31-89 per 20,000).
#[test]
fn a_select_loop_over_two_channels_loses_and_reorders_nothing() {
    const N: u32 = 2000;
    let rt = runtime();
    for kind in [
        Kind::Unbounded,
        Kind::Bounded(1),
        Kind::Bounded(4),
        Kind::Rendezvous,
    ] {
        for round in 0..rounds(40) / 4 {
            let (tx_a, rx_a) = kind.make::<u32>();
            let (tx_b, rx_b) = kind.make::<u32>();
            let feed =
                |tx: Sender<u32>| thread::spawn(move || (0..N).for_each(|i| tx.send(i).unwrap()));
            let feeders = [feed(tx_a), feed(tx_b)];
            let (got_a, got_b) = rt.block_on(async move {
                let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
                let (mut a_open, mut b_open) = (true, true);
                while a_open || b_open {
                    tokio::select! {
                        v = rx_a.recv_async(), if a_open => match v {
                            Ok(v) => got_a.push(v),
                            Err(RecvError) => a_open = false,
                        },
                        v = rx_b.recv_async(), if b_open => match v {
                            Ok(v) => got_b.push(v),
                            Err(RecvError) => b_open = false,
                        },
                        _ = tokio::time::sleep(Duration::from_micros(50)) => {}
                    }
                }
                (got_a, got_b)
            });
            for feeder in feeders {
                join(feeder);
            }
            let expected: Vec<u32> = (0..N).collect();
            assert!(
                got_a == expected,
                "{kind:?} round {round}: channel a lost or reordered values"
            );
            assert!(
                got_b == expected,
                "{kind:?} round {round}: channel b lost or reordered values"
            );
        }
    }
}

#[test]
fn a_dropped_pending_send_withdraws_its_value() {
    for kind in [Kind::Rendezvous, Kind::Bounded(1)] {
        let (ledger, mut values) = ledger(2);
        let (tx, rx) = kind.make::<Tracked>();
        let filler = values.pop().unwrap(); // id 1
        if let Kind::Bounded(_) = kind {
            tx.send(filler).unwrap();
        } else {
            drop(filler);
        }
        let mut fut = tx.send_async(values.pop().unwrap());
        assert!(poll_once(&mut fut).is_pending());
        drop(fut);
        assert_eq!(
            ledger.drops(0),
            1,
            "{kind:?}: the withdrawn value was not dropped"
        );
        // Only the filler (bounded) is inside; the withdrawn value never arrives.
        let ids: Vec<usize> = rx.try_iter().map(|v| v.id()).collect();
        let expected: &[usize] = if let Kind::Bounded(_) = kind {
            &[1]
        } else {
            &[]
        };
        assert_eq!(ids, expected, "{kind:?}");
        // The withdrawn send left no hole: the next send is served.
        let (ledger2, mut more) = self::ledger(1);
        let waiting = {
            let rx = rx.clone();
            thread::spawn(move || rx.recv().map(|v| v.id()))
        };
        tx.send(more.pop().unwrap()).unwrap();
        assert_eq!(join(waiting), Ok(0));
        ledger.assert_all_dropped_once(&format!("{kind:?}"));
        ledger2.assert_all_dropped_once(&format!("{kind:?}"));
    }
}

#[test]
fn a_send_taken_before_its_future_is_dropped_was_sent() {
    let (ledger, mut values) = ledger(1);
    let (tx, rx) = rendezvous::<Tracked>();
    let mut fut = tx.send_async(values.pop().unwrap());
    assert!(poll_once(&mut fut).is_pending());
    let got = rx.recv().unwrap(); // takes the value from the parked send
    drop(fut); // too late to withdraw: the value is not dropped here
    assert_eq!(ledger.drops(0), 0);
    assert_eq!(got.id(), 0);
    drop(got);
    ledger.assert_all_dropped_once("taken");
}

#[test]
fn a_recv_stream_dropped_while_waiting_loses_no_value() {
    let (tx, rx) = unbounded::<u32>();
    let mut stream = rx.stream();
    let mut waiter = rx.recv_async();
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(stream.poll_next_unpin(&mut cx), Poll::Pending);
    assert_eq!(poll_once(&mut waiter), Poll::Pending);
    tx.send(1).unwrap(); // handed to the stream's pending receive
    drop(stream);
    assert_eq!(poll_once(&mut waiter), Poll::Ready(Ok(1)));
}

/// Receivers keep cancelling their receives (tokio timeouts, some very short), senders never
/// cancel: every value must still be received exactly once.
#[test]
fn race_cancelled_receives_lose_no_value() {
    let rt = runtime();
    for (round, kind) in (0..rounds(12)).zip(KINDS.iter().cycle()) {
        const N: usize = 600;
        let (ledger, values) = ledger(N);
        let (tx, rx) = kind.make::<Tracked>();
        let producer = thread::spawn(move || {
            for (i, v) in values.into_iter().enumerate() {
                tx.send(v).unwrap();
                if i % 64 == 0 {
                    thread::sleep(Duration::from_micros(50));
                }
            }
        });
        let receivers: Vec<_> = (0..4)
            .map(|r| {
                let rx = rx.clone();
                rt.spawn(async move {
                    let mut ids = Vec::new();
                    let mut i = round + r;
                    loop {
                        i += 1;
                        let limit = Duration::from_micros((i % 7) as u64 * 30);
                        match tokio::time::timeout(limit, rx.recv_async()).await {
                            Ok(Ok(v)) => ids.push(v.id()),
                            Ok(Err(RecvError)) => return ids,
                            Err(_elapsed) => {} // the receive was dropped, pending
                        }
                    }
                })
            })
            .collect();
        drop(rx);
        join(producer);
        let mut ids: Vec<usize> = Vec::new();
        for r in receivers {
            ids.extend(rt.block_on(r).unwrap());
        }
        ids.sort_unstable();
        assert_eq!(
            ids,
            (0..N).collect::<Vec<_>>(),
            "{kind:?}: a value was lost"
        );
        ledger.assert_all_dropped_once(&format!("{kind:?}"));
    }
}

/// Senders keep cancelling their sends on full channels; receivers never cancel: each value is
/// received or withdrawn (dropped with its future), exactly one of the two, and every send that
/// returned `Ok` is received.
#[test]
fn race_cancelled_sends_deliver_or_withdraw_each_value_once() {
    let rt = runtime();
    for (round, kind) in (0..rounds(12)).zip([Kind::Rendezvous, Kind::Bounded(2)].iter().cycle()) {
        const N: usize = 400;
        let (ledger, values) = ledger(N);
        let (tx, rx) = kind.make::<Tracked>();
        let mut chunks: Vec<Vec<Tracked>> = vec![Vec::new(), Vec::new(), Vec::new()];
        for (i, v) in values.into_iter().enumerate() {
            chunks[i % 3].push(v);
        }
        let senders: Vec<_> = chunks
            .into_iter()
            .enumerate()
            .map(|(s, chunk)| {
                let tx = tx.clone();
                rt.spawn(async move {
                    let mut accepted = Vec::new();
                    for (i, v) in chunk.into_iter().enumerate() {
                        let id = v.id();
                        let limit = Duration::from_micros(((i + s + round) % 5) as u64 * 40);
                        if let Ok(sent) = tokio::time::timeout(limit, tx.send_async(v)).await {
                            sent.unwrap();
                            accepted.push(id);
                        }
                    }
                    accepted
                })
            })
            .collect();
        drop(tx);
        let receiver = thread::spawn(move || {
            let mut ids = Vec::new();
            while let Ok(v) = rx.recv() {
                ids.push(v.id());
                if ids.len() % 16 == 0 {
                    thread::sleep(Duration::from_micros(100));
                }
            }
            ids
        });
        let mut accepted: Vec<usize> = Vec::new();
        for s in senders {
            accepted.extend(rt.block_on(s).unwrap());
        }
        let received = join(receiver);
        for id in &accepted {
            assert!(
                received.contains(id),
                "{kind:?}: accepted value {id} never arrived"
            );
        }
        ledger.assert_all_dropped_once(&format!("{kind:?}"));
    }
}

// ==========================================================================================
// Forgotten futures
// ==========================================================================================

#[test]
fn a_forgotten_receive_keeps_its_place_and_the_line_moves_on() {
    let (ledger, values) = ledger(3);
    let (tx, rx) = unbounded::<Tracked>();
    let mut forgotten = rx.recv_async();
    assert!(poll_once(&mut forgotten).is_pending());
    std::mem::forget(forgotten);
    for v in values {
        tx.send(v).unwrap();
    }
    // Value 0 reached the forgotten receive: nobody receives it, and it is never dropped (it
    // is leaked with the forgotten future). The others are served as usual.
    let ids: Vec<usize> = rx.try_iter().map(|v| v.id()).collect();
    assert_eq!(ids, [1, 2]);
    drop((tx, rx));
    assert_eq!(
        (ledger.drops(0), ledger.drops(1), ledger.drops(2)),
        (0, 1, 1)
    );
}

#[test]
fn a_forgotten_send_still_delivers() {
    let (tx, rx) = rendezvous();
    let mut forgotten = tx.send_async("still sent");
    assert!(poll_once(&mut forgotten).is_pending());
    std::mem::forget(forgotten);
    assert_eq!(rx.recv(), Ok("still sent"));
}

// ==========================================================================================
// Streams and sinks
// ==========================================================================================

#[test]
fn streams_and_sinks_carry_a_pipeline() {
    // numbers (threads) -> stage 1 (task: stream -> map -> sink) -> stage 2 (task: stream).
    let rt = runtime();
    for kind in KINDS {
        let (tx1, rx1) = kind.make::<u64>();
        let (tx2, rx2) = kind.make::<u64>();
        let stage1 = rt.spawn(async move {
            rx1.into_stream()
                .map(|x| Ok(x * 2))
                .forward(tx2.into_sink())
                .await
        });
        let stage2 = rt.spawn(async move { rx2.into_stream().collect::<Vec<u64>>().await });
        let producers: Vec<_> = (0..2u64)
            .map(|p| {
                let tx1 = tx1.clone();
                thread::spawn(move || (p * 500..(p + 1) * 500).for_each(|x| tx1.send(x).unwrap()))
            })
            .collect();
        drop(tx1);
        producers.into_iter().for_each(join);
        rt.block_on(stage1).unwrap().unwrap();
        let mut got = rt.block_on(stage2).unwrap();
        got.sort_unstable();
        assert_eq!(
            got,
            (0..1000).map(|x| x * 2).collect::<Vec<_>>(),
            "{kind:?}"
        );
    }
}

#[test]
fn a_stream_ends_once_and_stays_ended() {
    let (tx, rx) = unbounded::<u8>();
    let mut stream = rx.stream();
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(block_on(stream.next()), Some(1));
    assert!(!stream.is_terminated());
    assert_eq!(block_on(stream.next()), None);
    assert!(stream.is_terminated());
    assert_eq!(block_on(stream.next()), None);
}

#[test]
fn an_unbounded_sink_sends_at_start_send() {
    let (tx, rx) = unbounded();
    let mut sink = tx.sink();
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(sink.poll_ready_unpin(&mut cx).is_ready());
    sink.start_send_unpin(1).unwrap();
    drop(sink); // never flushed: on an unbounded channel the value is in already
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn a_bounded_sink_sends_when_polled_and_withdraws_when_dropped() {
    let (ledger, mut values) = ledger(3);
    let (tx, rx) = bounded::<Tracked>(1);
    let mut sink = tx.sink();
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    sink.start_send_unpin(values.remove(0)).unwrap(); // id 0: sent at the flush
    assert!(matches!(
        sink.poll_flush_unpin(&mut cx),
        Poll::Ready(Ok(()))
    ));
    assert!(matches!(
        sink.poll_ready_unpin(&mut cx),
        Poll::Ready(Ok(()))
    ));
    sink.start_send_unpin(values.remove(0)).unwrap(); // id 1: the channel is full
    assert!(sink.poll_flush_unpin(&mut cx).is_pending());
    drop(sink); // withdraws id 1
    assert_eq!(ledger.drops(1), 1);
    let mut sink = tx.sink();
    sink.start_send_unpin(values.remove(0)).unwrap(); // id 2: never polled
    drop(sink);
    assert_eq!(ledger.drops(2), 1);
    assert_eq!(rx.try_iter().map(|v| v.id()).collect::<Vec<_>>(), [0]);
    ledger.assert_all_dropped_once("sink");
}

#[test]
#[should_panic(expected = "poll_ready first")]
fn start_send_while_a_send_is_in_flight_panics() {
    let (tx, _rx) = rendezvous();
    let mut sink = tx.sink();
    sink.start_send_unpin(1).unwrap();
    assert!(poll_once(&mut sink.flush()).is_pending());
    let _ = sink.start_send_unpin(2);
}

// ==========================================================================================
// Types
// ==========================================================================================

#[test]
fn futures_streams_and_sinks_are_send_and_unpin() {
    fn send_unpin<X: Send + Unpin>() {}
    // `PhantomPinned` is `Send` but not `Unpin`: the futures stay `Unpin` all the same.
    type NotUnpin = std::marker::PhantomPinned;
    send_unpin::<SendFut<'static, NotUnpin>>();
    send_unpin::<RecvFut<'static, NotUnpin>>();
    send_unpin::<RecvStream<'static, NotUnpin>>();
    send_unpin::<SendSink<'static, NotUnpin>>();
    send_unpin::<SendFut<'_, String>>();
    send_unpin::<RecvFut<'_, Vec<u8>>>();
    // tokio can spawn them.
    fn spawnable<F: Future + Send + 'static>(_: &F) {}
    let (tx, rx) = unbounded::<String>();
    spawnable(&tx.clone().into_send_async(String::new()));
    spawnable(&rx.clone().into_recv_async());
    spawnable(&rx.into_stream().into_future());
    spawnable(&futures::stream::empty().forward(tx.into_sink()));
}

#[test]
fn debug_output_says_what_the_future_does() {
    let (tx, rx) = unbounded::<u8>();
    let mut fut = rx.recv_async();
    assert!(format!("{fut:?}").contains("waiting: false"));
    assert!(poll_once(&mut fut).is_pending());
    assert!(format!("{fut:?}").contains("waiting: true"));
    assert!(format!("{:?}", tx.send_async(1)).starts_with("SendFut"));
    assert!(format!("{:?}", rx.stream()).starts_with("RecvStream"));
    assert!(format!("{:?}", tx.sink()).starts_with("SendSink"));
}
