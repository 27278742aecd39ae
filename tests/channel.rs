//! The contract of `dualq::channel` (DESIGN.md, section `dualq::channel`), rule by rule, for
//! both flavors wherever a rule applies to both:
//!
//! * basic sending and receiving, timeouts and deadlines, `len`/`is_empty`;
//! * disconnection from either side, including threads blocked at that moment;
//! * drop accounting: every value is delivered, handed back in an error, or dropped exactly once;
//! * races between disconnection, timeouts and handoffs, run for many rounds;
//! * fairness: blocked receivers (and blocked rendezvous senders) are served in the order they
//!   blocked, and nobody barges in ahead of them;
//! * rendezvous specifics;
//! * the error types (texts equal std's, traits, conversions);
//! * `Send`/`Sync`/`Clone` of the handles; the iterators.
//!
//! Race loops run a few thousand rounds; `DUALQ_LONG=1` runs ten times as many.

mod chan_support;

use chan_support::{
    assert_still_blocked, join, join_within, rounds, spawn_blocked, Flavor, Jitter, Ledger,
    Tracked, FLAVORS, WAKE_BOUND,
};
use dualq::channel::{
    rendezvous, unbounded, IntoIter, Iter, Receiver, RecvError, RecvTimeoutError, SendError,
    SendTimeoutError, Sender, TryIter, TryRecvError, TrySendError,
};
use std::cell::Cell;
use std::collections::HashSet;
use std::error::Error;
use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// A short grace period: long enough for a thread that should still be blocked to return
/// wrongly, short enough to keep the suite fast.
const GRACE: Duration = Duration::from_millis(30);

/// Long enough that a timed operation given it only ends by a partner or a disconnection.
const LONG: Duration = Duration::from_secs(60);

/// A deadline that has passed.
fn past() -> Instant {
    let now = Instant::now();
    now.checked_sub(Duration::from_secs(1)).unwrap_or(now)
}

// ==========================================================================================
// Basics
// ==========================================================================================

#[test]
fn unbounded_send_never_blocks_and_keeps_fifo_order() {
    let (tx, rx) = unbounded();
    for i in 0..1000 {
        tx.send(i).unwrap();
    }
    assert_eq!(tx.len(), 1000);
    for i in 0..1000 {
        assert_eq!(rx.recv(), Ok(i));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn every_send_method_delivers_on_unbounded() {
    let (tx, rx) = unbounded();
    tx.send(1).unwrap();
    tx.try_send(2).unwrap();
    tx.send_timeout(3, Duration::ZERO).unwrap();
    tx.send_deadline(4, past()).unwrap();
    tx.send_timeout(5, Duration::MAX).unwrap();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
}

#[test]
fn every_receive_method_takes_a_ready_value() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        // Values are ready: in an unbounded channel as data, in a rendezvous one as blocked
        // senders (a timed receive with no time left still takes a ready value).
        let sender = thread::spawn(move || {
            for i in 0..5 {
                tx.send(i).unwrap();
            }
        });
        if flavor == Flavor::Unbounded {
            join(sender);
            assert_eq!(rx.len(), 5);
            assert_eq!(rx.recv(), Ok(0));
            assert_eq!(rx.try_recv(), Ok(1));
            assert_eq!(rx.recv_timeout(Duration::ZERO), Ok(2));
            assert_eq!(rx.recv_deadline(past()), Ok(3));
            assert_eq!(rx.recv_timeout(Duration::MAX), Ok(4));
        } else {
            assert_eq!(rx.recv(), Ok(0));
            let mut next = 1;
            // Each of these may find the sender between two sends: retry on Empty/Timeout.
            while next < 5 {
                let got = match next {
                    1 => rx.try_recv().ok(),
                    2 => rx.recv_timeout(Duration::ZERO).ok(),
                    3 => rx.recv_deadline(past()).ok(),
                    _ => rx.recv_timeout(Duration::MAX).ok(),
                };
                if let Some(v) = got {
                    assert_eq!(v, next);
                    next += 1;
                } else {
                    thread::yield_now();
                }
            }
            join(sender);
        }
        assert_eq!(rx.recv(), Err(RecvError), "{flavor:?}");
    }
}

#[test]
fn recv_waits_for_a_later_send() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let receiver = spawn_blocked(move || rx.recv());
        assert_still_blocked(&receiver, GRACE, "recv on an empty channel");
        tx.send(42).unwrap();
        assert_eq!(join(receiver), Ok(42), "{flavor:?}");
    }
}

#[test]
fn try_recv_and_timed_recv_on_an_empty_channel() {
    for flavor in FLAVORS {
        let (_tx, rx) = flavor.channel::<i32>();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        let timeout = Duration::from_millis(20);
        let start = Instant::now();
        assert_eq!(rx.recv_timeout(timeout), Err(RecvTimeoutError::Timeout));
        assert!(start.elapsed() >= timeout, "recv_timeout returned early");
        let deadline = Instant::now() + timeout;
        assert_eq!(rx.recv_deadline(deadline), Err(RecvTimeoutError::Timeout));
        assert!(Instant::now() >= deadline, "recv_deadline returned early");
        assert_eq!(
            rx.recv_timeout(Duration::ZERO),
            Err(RecvTimeoutError::Timeout)
        );
        assert_eq!(rx.recv_deadline(past()), Err(RecvTimeoutError::Timeout));
    }
}

#[test]
fn recv_timeout_succeeds_when_a_value_comes_in_time() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let receiver = spawn_blocked(move || rx.recv_timeout(LONG));
        tx.send(7).unwrap();
        assert_eq!(join(receiver), Ok(7), "{flavor:?}");
        let (tx, rx) = flavor.channel();
        let receiver = spawn_blocked(move || rx.recv_deadline(Instant::now() + LONG));
        tx.send(8).unwrap();
        assert_eq!(join(receiver), Ok(8), "{flavor:?}");
    }
}

#[test]
fn a_huge_timeout_waits_forever_instead_of_panicking() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let receiver = spawn_blocked(move || rx.recv_timeout(Duration::MAX));
        tx.send(1).unwrap();
        assert_eq!(join(receiver), Ok(1));
    }
    let (tx, rx) = rendezvous();
    let sender = spawn_blocked(move || tx.send_timeout(2, Duration::MAX));
    assert_eq!(rx.recv(), Ok(2));
    assert_eq!(join(sender), Ok(()));
}

#[test]
fn mpmc_every_value_reaches_exactly_one_receiver() {
    const SENDERS: usize = 3;
    const RECEIVERS: usize = 3;
    const PER_SENDER: usize = 5_000;
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<(usize, usize)>();
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let tx = tx.clone();
                thread::spawn(move || {
                    for i in 0..PER_SENDER {
                        tx.send((s, i)).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let receivers: Vec<_> = (0..RECEIVERS)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || rx.iter().collect::<Vec<_>>())
            })
            .collect();
        drop(rx);
        for s in senders {
            join(s);
        }
        let mut seen = HashSet::new();
        for r in receivers {
            let got = join(r);
            // One receiver sees each sender's values in the order they were sent (FIFO).
            let mut last = [None; SENDERS];
            for &(s, i) in &got {
                assert!(
                    last[s] < Some(i),
                    "{flavor:?}: sender {s}'s values out of order"
                );
                last[s] = Some(i);
                assert!(seen.insert((s, i)), "{flavor:?}: ({s}, {i}) received twice");
            }
        }
        assert_eq!(seen.len(), SENDERS * PER_SENDER, "{flavor:?}: values lost");
    }
}

#[test]
fn len_and_is_empty_unbounded() {
    let (tx, rx) = unbounded();
    assert_eq!((tx.len(), rx.len()), (0, 0));
    assert!(tx.is_empty() && rx.is_empty());
    for i in 0..3 {
        tx.send(i).unwrap();
    }
    assert_eq!((tx.len(), rx.len()), (3, 3));
    assert!(!tx.is_empty() && !rx.is_empty());
    rx.recv().unwrap();
    assert_eq!(rx.len(), 2);
    rx.recv().unwrap();
    rx.recv().unwrap();
    assert!(rx.is_empty());
    // A blocked receiver is not a value.
    let rx2 = rx.clone();
    let receiver = spawn_blocked(move || rx2.recv());
    assert_eq!(rx.len(), 0);
    assert!(rx.is_empty());
    tx.send(9).unwrap();
    assert_eq!(join(receiver), Ok(9));
    // After disconnection the values still count until drained.
    tx.send(10).unwrap();
    drop(tx);
    assert_eq!(rx.len(), 1);
    rx.recv().unwrap();
    assert_eq!(rx.len(), 0);
}

#[test]
fn a_rendezvous_channel_buffers_nothing_even_with_blocked_senders() {
    let (tx, rx) = rendezvous();
    assert_eq!((tx.capacity(), rx.capacity()), (Some(0), Some(0)));
    assert_eq!(tx.len(), 0);
    assert!(tx.is_empty() && rx.is_empty());
    assert!(
        tx.is_full() && rx.is_full(),
        "a rendezvous channel is always full"
    );
    let senders: Vec<_> = (0..3)
        .map(|i| {
            let tx = tx.clone();
            spawn_blocked(move || tx.send(i))
        })
        .collect();
    // A blocked sender's value is not in the channel (as in crossbeam-channel's zero flavor).
    assert_eq!((tx.len(), rx.len()), (0, 0));
    assert!(tx.is_empty() && rx.is_full());
    for (i, handle) in senders.into_iter().enumerate() {
        assert_eq!(rx.recv(), Ok(i));
        assert_eq!(join(handle), Ok(()));
    }
    // Nor is a blocked receiver.
    let receiver = spawn_blocked(move || rx.recv());
    assert_eq!(tx.len(), 0);
    tx.send(5).unwrap();
    assert_eq!(join(receiver), Ok(5));
}

#[test]
fn handles_debug_without_debug_values() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<Opaque>();
        assert!(format!("{tx:?}").starts_with("Sender"));
        assert!(format!("{rx:?}").starts_with("Receiver"));
    }
    // The iterators derive Debug (as std's do), so they need `T: Debug`.
    let (_tx, rx) = unbounded::<i32>();
    assert!(format!("{:?}", rx.iter()).starts_with("Iter"));
    assert!(format!("{:?}", rx.try_iter()).starts_with("TryIter"));
    assert!(format!("{:?}", rx.into_iter()).starts_with("IntoIter"));
}

// ==========================================================================================
// Send / Sync / Clone
// ==========================================================================================

#[test]
fn handles_are_send_sync_and_clone_when_values_are_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    fn clone<T: Clone>() {}
    // `Cell` is `Send` but not `Sync`: the handles must not require more than `T: Send`.
    type V = Cell<u32>;
    send_sync::<Sender<V>>();
    send_sync::<Receiver<V>>();
    clone::<Sender<V>>();
    clone::<Receiver<V>>();
    send::<IntoIter<V>>();
    send::<Iter<'static, V>>();
    send::<TryIter<'static, V>>();
    send::<SendError<V>>();
    send::<TrySendError<V>>();
    send::<SendTimeoutError<V>>();
    send_sync::<RecvError>();
    send_sync::<TryRecvError>();
    send_sync::<RecvTimeoutError>();

    // And they really work that way: a `Cell` sent across threads, one receiver shared by
    // reference between scoped threads.
    let (tx, rx) = unbounded::<V>();
    let total = Cell::new(0);
    thread::scope(|s| {
        for t in 0..2 {
            let tx = tx.clone();
            s.spawn(move || {
                for i in 0..100 {
                    tx.send(Cell::new(t * 100 + i)).unwrap();
                }
            });
        }
        let rx = &rx;
        let readers: Vec<_> = (0..2)
            .map(|_| s.spawn(move || (0..100).map(|_| rx.recv().unwrap().get()).sum::<u32>()))
            .collect();
        total.set(readers.into_iter().map(|r| r.join().unwrap()).sum());
    });
    assert_eq!(total.get(), (0..200).sum::<u32>());
}

// ==========================================================================================
// Disconnection
// ==========================================================================================

#[test]
fn last_sender_gone_receivers_drain_then_disconnected() {
    let (tx, rx) = unbounded();
    let tx2 = tx.clone();
    for i in 0..3 {
        tx.send(i).unwrap();
    }
    drop(tx);
    // One sender remains: still connected.
    assert_eq!(rx.try_recv(), Ok(0));
    tx2.send(3).unwrap();
    drop(tx2);
    let rx2 = rx.clone();
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx2.try_recv(), Ok(2));
    assert_eq!(rx.recv_timeout(LONG), Ok(3));
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(rx2.recv(), Err(RecvError));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(rx.recv_timeout(LONG), Err(RecvTimeoutError::Disconnected));
    assert_eq!(
        rx.recv_deadline(Instant::now() + LONG),
        Err(RecvTimeoutError::Disconnected)
    );
    assert_eq!(
        rx.recv_timeout(Duration::ZERO),
        Err(RecvTimeoutError::Disconnected)
    );
    // A receiver cloned after disconnection sees it too.
    assert_eq!(rx.clone().try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn last_sender_gone_rendezvous_is_disconnected_at_once() {
    let (tx, rx) = rendezvous::<i32>();
    let tx2 = tx.clone();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(5)),
        Err(RecvTimeoutError::Timeout)
    );
    drop(tx2);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(rx.recv_timeout(LONG), Err(RecvTimeoutError::Disconnected));
}

/// What a blocked receiver saw, and when it returned.
type Woken = (bool, Instant);

#[test]
fn blocked_receivers_all_wake_when_the_last_sender_goes() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        let tx2 = tx.clone();
        let mut waiters = Vec::new();
        for kind in 0..5 {
            let rx = rx.clone();
            waiters.push(spawn_blocked(move || -> Woken {
                let disconnected = match kind {
                    0 => rx.recv() == Err(RecvError),
                    1 => rx.recv_timeout(LONG) == Err(RecvTimeoutError::Disconnected),
                    2 => {
                        rx.recv_deadline(Instant::now() + LONG)
                            == Err(RecvTimeoutError::Disconnected)
                    }
                    3 => rx.iter().next().is_none(),
                    _ => rx.recv_timeout(Duration::MAX) == Err(RecvTimeoutError::Disconnected),
                };
                (disconnected, Instant::now())
            }));
        }
        // Not the last sender: nobody wakes.
        drop(tx2);
        for w in &waiters {
            assert_still_blocked(w, GRACE, "a receive after a non-last sender dropped");
        }
        let dropped_at = Instant::now();
        drop(tx);
        for (kind, w) in waiters.into_iter().enumerate() {
            let (disconnected, at) = join_within(w, Duration::from_secs(5));
            assert!(
                disconnected,
                "{flavor:?}: receiver {kind} got no Disconnected"
            );
            let took = at.duration_since(dropped_at);
            assert!(
                took < WAKE_BOUND,
                "{flavor:?}: receiver {kind} woke {took:?} after the disconnection"
            );
        }
    }
}

#[test]
fn last_receiver_gone_sends_fail_with_the_value() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<String>();
        let rx2 = rx.clone();
        drop(rx);
        // One receiver remains: an unbounded send still succeeds, a rendezvous try is Full.
        match flavor {
            Flavor::Unbounded => tx.send("kept".into()).unwrap(),
            Flavor::Rendezvous => assert_eq!(
                tx.try_send("no taker".into()),
                Err(TrySendError::Full("no taker".into()))
            ),
        }
        drop(rx2);
        assert_eq!(tx.send("a".into()), Err(SendError("a".into())));
        assert_eq!(
            tx.try_send("b".into()),
            Err(TrySendError::Disconnected("b".into()))
        );
        assert_eq!(
            tx.send_timeout("c".into(), LONG),
            Err(SendTimeoutError::Disconnected("c".into()))
        );
        assert_eq!(
            tx.send_timeout("d".into(), Duration::ZERO),
            Err(SendTimeoutError::Disconnected("d".into()))
        );
        assert_eq!(
            tx.send_deadline("e".into(), Instant::now() + LONG),
            Err(SendTimeoutError::Disconnected("e".into()))
        );
        // A sender cloned afterwards is disconnected as well.
        assert_eq!(tx.clone().send("f".into()), Err(SendError("f".into())));
    }
}

#[test]
fn blocked_rendezvous_senders_all_wake_when_the_last_receiver_goes() {
    let (tx, rx) = rendezvous::<String>();
    let rx2 = rx.clone();
    let mut waiters = Vec::new();
    for kind in 0..4usize {
        let tx2 = tx.clone();
        // Returns once the sender is blocked in its send (parked: it is in line).
        let handle = spawn_blocked(move || {
            let value = format!("value {kind}");
            let back = match kind {
                0 => tx2.send(value).err().map(|SendError(v)| v),
                1 => match tx2.send_timeout(value, LONG) {
                    Err(SendTimeoutError::Disconnected(v)) => Some(v),
                    _ => None,
                },
                2 => match tx2.send_deadline(value, Instant::now() + LONG) {
                    Err(SendTimeoutError::Disconnected(v)) => Some(v),
                    _ => None,
                },
                _ => match tx2.send_timeout(value, Duration::MAX) {
                    Err(SendTimeoutError::Disconnected(v)) => Some(v),
                    _ => None,
                },
            };
            (back, Instant::now())
        });
        waiters.push(handle);
    }
    drop(rx);
    for w in &waiters {
        assert_still_blocked(w, GRACE, "a send after a non-last receiver dropped");
    }
    let dropped_at = Instant::now();
    drop(rx2);
    for (kind, w) in waiters.into_iter().enumerate() {
        let (back, at) = join_within(w, Duration::from_secs(5));
        assert_eq!(
            back,
            Some(format!("value {kind}")),
            "sender {kind} did not get its value back with Disconnected"
        );
        let took = at.duration_since(dropped_at);
        assert!(took < WAKE_BOUND, "sender {kind} woke {took:?} late");
    }
    assert_eq!(tx.len(), 0);
}

#[test]
fn disconnection_is_final_even_if_handles_are_cloned_later() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        drop(tx);
        let rx2 = rx.clone();
        assert_eq!(rx2.try_recv(), Err(TryRecvError::Disconnected));
        let (tx, rx) = flavor.channel::<i32>();
        drop(rx);
        let tx2 = tx.clone();
        drop(tx);
        assert_eq!(tx2.send(1), Err(SendError(1)));
    }
}

// ==========================================================================================
// Drop accounting
// ==========================================================================================

#[test]
fn unbounded_leftovers_are_dropped_once_when_the_last_receiver_goes() {
    let ledger = Ledger::leak(11);
    let (tx, rx) = unbounded();
    for id in 0..10 {
        tx.send(ledger.value(id)).unwrap();
    }
    let kept: Vec<Tracked> = (0..3).map(|_| rx.recv().unwrap()).collect();
    assert_eq!(kept.iter().map(Tracked::id).collect::<Vec<_>>(), [0, 1, 2]);
    let rx2 = rx.clone();
    drop(rx);
    assert_eq!(ledger.total(), 0, "dropped while a receiver remained");
    drop(rx2);
    // The sender is still alive, but nobody can receive: the leftovers are dropped now.
    assert_eq!(ledger.dropped_ids(), (3..10).collect::<Vec<_>>());
    // A send now hands the value back instead of keeping it.
    let SendError(back) = tx.send(ledger.value(10)).unwrap_err();
    assert_eq!(back.id(), 10);
    assert_eq!(ledger.drops(10), 0);
    drop(back);
    drop(tx);
    // Received values belong to the caller: the channel never dropped them.
    assert_eq!(ledger.dropped_ids(), (3..11).collect::<Vec<_>>());
    drop(kept);
    ledger.assert_all_dropped_once(
        "unbounded leftovers are dropped once when the last receiver goes",
    );
}

#[test]
fn unbounded_leftovers_outlive_the_senders_for_the_receivers() {
    let ledger = Ledger::leak(5);
    let (tx, rx) = unbounded();
    for id in 0..5 {
        tx.send(ledger.value(id)).unwrap();
    }
    drop(tx);
    assert_eq!(
        ledger.total(),
        0,
        "values dropped while a receiver could still drain them"
    );
    assert_eq!(rx.recv().map(|v| v.id()), Ok(0));
    assert_eq!(ledger.dropped_ids(), [0]);
    drop(rx);
    ledger.assert_all_dropped_once("unbounded leftovers outlive the senders for the receivers");
}

#[test]
fn values_are_dropped_once_whichever_handle_goes_last() {
    for senders_last in [false, true] {
        let ledger = Ledger::leak(6);
        let (tx, rx) = unbounded();
        let (tx2, rx2) = (tx.clone(), rx.clone());
        for id in 0..6 {
            tx.send(ledger.value(id)).unwrap();
        }
        if senders_last {
            drop((rx, rx2));
            assert_eq!(ledger.total(), 6);
            drop((tx, tx2));
        } else {
            drop((tx, tx2, rx));
            assert_eq!(ledger.total(), 0);
            drop(rx2);
        }
        ledger.assert_all_dropped_once("values are dropped once whichever handle goes last");
    }
}

#[test]
fn values_handed_back_in_errors_are_not_also_dropped_by_the_channel() {
    let ledger = Ledger::leak(4);
    // A rendezvous send that times out.
    let (tx, rx) = rendezvous();
    let back = tx
        .send_timeout(ledger.value(0), Duration::from_millis(5))
        .unwrap_err();
    assert!(back.is_timeout());
    assert_eq!(ledger.total(), 0);
    // A rendezvous try_send that finds no receiver.
    let full = tx.try_send(ledger.value(1)).unwrap_err();
    assert!(full.is_full());
    assert_eq!(ledger.total(), 0);
    // A blocked send woken by disconnection.
    let tx2 = tx.clone();
    let value = ledger.value(2);
    let blocked = spawn_blocked(move || tx2.send(value));
    drop(rx);
    let disconnected = join(blocked).unwrap_err();
    assert_eq!(ledger.total(), 0);
    // An unbounded send after the receivers left.
    let (utx, urx) = unbounded();
    drop(urx);
    let gone = utx.send(ledger.value(3)).unwrap_err();
    drop((tx, utx));
    assert_eq!(
        ledger.total(),
        0,
        "the channel dropped a value it handed back"
    );
    assert_eq!(
        [
            back.into_inner().id(),
            full.into_inner().id(),
            disconnected.into_inner().id(),
            gone.into_inner().id()
        ],
        [0, 1, 2, 3]
    );
    ledger.assert_all_dropped_once(
        "values handed back in errors are not also dropped by the channel",
    );
}

#[test]
fn received_values_are_not_dropped_by_the_channel() {
    for flavor in FLAVORS {
        let ledger = Ledger::leak(3);
        let (tx, rx) = flavor.channel();
        let sender = {
            thread::spawn(move || {
                for id in 0..3 {
                    tx.send(ledger.value(id)).unwrap();
                }
            })
        };
        let got: Vec<Tracked> = rx.iter().collect();
        join(sender);
        drop(rx);
        assert_eq!(ledger.total(), 0, "{flavor:?}");
        assert_eq!(got.iter().map(Tracked::id).collect::<Vec<_>>(), [0, 1, 2]);
        drop(got);
        ledger.assert_all_dropped_once("received values are not dropped by the channel");
    }
}

// ==========================================================================================
// Races with disconnection and timeouts
// ==========================================================================================

/// The last sender drops (after sending 0..=2 values) while a receiver is on its way into, or
/// blocked in, `recv`/`recv_timeout`. The receiver must get every value, then Disconnected,
/// and never hang.
#[test]
fn race_last_sender_drop_vs_blocked_receiver() {
    for flavor in FLAVORS {
        let mut jitter = Jitter::new(1);
        for round in 0..rounds(2_000) {
            let (tx, rx) = flavor.channel::<usize>();
            let count = round % 3;
            let spin = jitter.below(2_000);
            let sender = thread::spawn(move || {
                for i in 0..count {
                    tx.send(i).unwrap();
                }
                for _ in 0..spin {
                    std::hint::spin_loop();
                }
                // tx drops here
            });
            let got = if round % 2 == 0 {
                let receiver = thread::spawn(move || {
                    let got: Vec<usize> = rx.iter().collect();
                    (got, rx.try_recv())
                });
                let (got, after) = join(receiver);
                assert_eq!(after, Err(TryRecvError::Disconnected));
                got
            } else {
                let mut got = Vec::new();
                loop {
                    match rx.recv_timeout(Duration::from_secs(20)) {
                        Ok(v) => got.push(v),
                        Err(RecvTimeoutError::Disconnected) => break,
                        Err(RecvTimeoutError::Timeout) => {
                            panic!("{flavor:?} round {round}: a disconnection was missed")
                        }
                    }
                }
                got
            };
            join(sender);
            assert_eq!(
                got,
                (0..count).collect::<Vec<_>>(),
                "{flavor:?} round {round}"
            );
        }
    }
}

/// The last receiver drops (after taking 0..=2 values) while the sender is on its way into, or
/// blocked in, a rendezvous `send`/`send_timeout`. Values the receiver took count as sent;
/// the next send fails with its value back; nothing is dropped twice or lost.
#[test]
fn race_last_receiver_drop_vs_blocked_rendezvous_sender() {
    let mut jitter = Jitter::new(2);
    for round in 0..rounds(2_000) {
        let ledger = Ledger::leak(4);
        let (tx, rx) = rendezvous::<Tracked>();
        let taken = round % 3;
        let timed = round % 2 == 1;
        let sender = {
            thread::spawn(move || {
                let mut ok = Vec::new();
                for id in 0..4 {
                    let result = if timed {
                        tx.send_timeout(ledger.value(id), Duration::from_secs(20))
                            .map_err(|e| {
                                assert!(e.is_disconnected(), "timed out: a wake-up was missed");
                                e.into_inner()
                            })
                    } else {
                        tx.send(ledger.value(id)).map_err(SendError::into_inner)
                    };
                    match result {
                        Ok(()) => ok.push(id),
                        Err(back) => return (ok, Some(back.id())),
                    }
                }
                (ok, None)
            })
        };
        let got: Vec<usize> = (0..taken).map(|_| rx.recv().unwrap().id()).collect();
        jitter.spin(2_000);
        drop(rx);
        let (ok, back) = join(sender);
        let expected: Vec<usize> = (0..taken).collect();
        assert_eq!(got, expected, "round {round}");
        assert_eq!(
            ok, expected,
            "round {round}: sends reported Ok that nobody took"
        );
        assert_eq!(back, Some(taken), "round {round}: the failed send's value");
        // Ids 0..=taken were made, each dropped exactly once; later ids were never made.
        assert_eq!(
            ledger.dropped_ids(),
            (0..=taken).collect::<Vec<_>>(),
            "round {round}"
        );
    }
}

/// Two senders keep sending while the only receiver takes some values and drops. Each value
/// must be delivered, or handed back in an error, or (unbounded only, sent before the
/// disconnection) dropped by the channel, exactly once.
#[test]
fn race_concurrent_sends_vs_last_receiver_drop() {
    const PER_SENDER: usize = 8;
    const SENDERS: usize = 2;
    for flavor in FLAVORS {
        let mut jitter = Jitter::new(3);
        for round in 0..rounds(1_000) {
            let ledger = Ledger::leak(SENDERS * PER_SENDER);
            let (tx, rx) = flavor.channel::<Tracked>();
            let senders: Vec<_> = (0..SENDERS)
                .map(|s| {
                    let tx = tx.clone();
                    thread::spawn(move || {
                        let (mut ok, mut back) = (Vec::new(), Vec::new());
                        for i in 0..PER_SENDER {
                            let value = ledger.value(s * PER_SENDER + i);
                            let result = match (flavor, i % 3) {
                                (_, 0) => tx.send(value).map_err(SendError::into_inner),
                                (Flavor::Unbounded, 1) => tx.try_send(value).map_err(|e| {
                                    assert!(e.is_disconnected(), "unbounded try_send Full");
                                    e.into_inner()
                                }),
                                _ => tx
                                    .send_timeout(value, Duration::from_secs(20))
                                    .map_err(|e| {
                                        assert!(e.is_disconnected(), "a wake-up was missed");
                                        e.into_inner()
                                    }),
                            };
                            match result {
                                Ok(()) => {
                                    assert!(back.is_empty(), "a send succeeded after Disconnected");
                                    ok.push(s * PER_SENDER + i);
                                }
                                Err(v) => back.push(v.id()),
                            }
                        }
                        (ok, back)
                    })
                })
                .collect();
            drop(tx);
            let take = jitter.below((SENDERS * PER_SENDER) as u64 + 1) as usize;
            let mut delivered = Vec::new();
            for _ in 0..take {
                let v = rx.recv().expect("senders are still sending");
                delivered.push(v.id());
            }
            jitter.spin(1_000);
            drop(rx);
            let (mut ok, mut back) = (HashSet::new(), HashSet::new());
            for s in senders {
                let (o, b) = join(s);
                ok.extend(o);
                back.extend(b);
            }
            // Every value was made exactly once; by now every handle is gone.
            ledger.assert_all_dropped_once("race concurrent sends vs last receiver drop");
            let delivered_set: HashSet<usize> = delivered.iter().copied().collect();
            assert_eq!(
                delivered_set.len(),
                delivered.len(),
                "a value delivered twice"
            );
            assert!(
                delivered_set.is_disjoint(&back),
                "{flavor:?} round {round}: a value both delivered and handed back"
            );
            assert!(ok.is_disjoint(&back));
            assert_eq!(ok.len() + back.len(), SENDERS * PER_SENDER);
            match flavor {
                // A rendezvous send succeeds exactly when a receiver took its value.
                Flavor::Rendezvous => assert_eq!(ok, delivered_set, "round {round}"),
                Flavor::Unbounded => assert!(delivered_set.is_subset(&ok), "round {round}"),
            }
        }
    }
}

/// Rendezvous `send_timeout` against `recv_timeout`, both with tiny timeouts so that
/// cancellations race handoffs all the time: a value is received exactly when its send
/// returned `Ok`, a timed-out value is never received, and nothing is lost or dropped twice.
#[test]
fn race_rendezvous_send_timeout_vs_recv_timeout() {
    let values = rounds(20_000);
    let ledger = Ledger::leak(values);
    let (tx, rx) = rendezvous::<Tracked>();
    let sender = {
        thread::spawn(move || {
            let mut jitter = Jitter::new(4);
            let mut ok = Vec::new();
            let mut timed_out = 0;
            for id in 0..values {
                let timeout = Duration::from_micros(jitter.below(30));
                match tx.send_timeout(ledger.value(id), timeout) {
                    Ok(()) => ok.push(id),
                    Err(SendTimeoutError::Timeout(v)) => {
                        assert_eq!(v.id(), id);
                        timed_out += 1;
                    }
                    Err(SendTimeoutError::Disconnected(_)) => panic!("receiver still alive"),
                }
            }
            (ok, timed_out)
        })
    };
    let mut jitter = Jitter::new(5);
    let mut got = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_micros(jitter.below(30))) {
            Ok(v) => got.push(v.id()),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    let (ok, timed_out) = join(sender);
    eprintln!(
        "rendezvous timeouts: {} delivered, {timed_out} timed out",
        ok.len()
    );
    assert_eq!(
        got, ok,
        "received values differ from the sends that succeeded"
    );
    assert_eq!(ok.len() + timed_out, values);
    // Each value was dropped exactly once: by us (received) or by the sender (handed back).
    ledger.assert_all_dropped_once("race rendezvous send timeout vs recv timeout");
}

/// Unbounded sends against `recv_timeout`/`recv_deadline` with tiny timeouts: a receive that
/// times out must never swallow a value.
#[test]
fn race_unbounded_recv_timeout_never_loses_a_value() {
    let values = rounds(20_000);
    let (tx, rx) = unbounded::<usize>();
    let sender = thread::spawn(move || {
        let mut jitter = Jitter::new(6);
        for i in 0..values {
            tx.send(i).unwrap();
            jitter.spin(300);
        }
    });
    let mut jitter = Jitter::new(7);
    let mut next = 0;
    loop {
        let wait = Duration::from_micros(jitter.below(20));
        let result = if next % 2 == 0 {
            rx.recv_timeout(wait)
        } else {
            rx.recv_deadline(Instant::now() + wait)
        };
        match result {
            Ok(v) => {
                assert_eq!(v, next, "a value was lost or reordered");
                next += 1;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    join(sender);
    assert_eq!(next, values);
}

/// Receivers that time out while others stay blocked must not disturb the line: every value
/// still goes to a waiting receiver, each exactly once.
#[test]
fn race_timeouts_among_blocked_receivers() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<usize>();
        let patient: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || rx.iter().collect::<Vec<_>>())
            })
            .collect();
        let impatient = {
            let rx = rx.clone();
            thread::spawn(move || {
                let mut jitter = Jitter::new(8);
                let mut got = Vec::new();
                loop {
                    match rx.recv_timeout(Duration::from_micros(jitter.below(50))) {
                        Ok(v) => got.push(v),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return got,
                    }
                }
            })
        };
        drop(rx);
        let values = rounds(10_000);
        let mut jitter = Jitter::new(9);
        for i in 0..values {
            tx.send(i).unwrap();
            jitter.spin(500);
        }
        drop(tx);
        let mut all: Vec<usize> = join(impatient);
        for p in patient {
            all.extend(join(p));
        }
        all.sort_unstable();
        assert_eq!(all, (0..values).collect::<Vec<_>>(), "{flavor:?}");
    }
}

// ==========================================================================================
// Fairness
// ==========================================================================================

const LINE: usize = 8;

#[test]
fn blocked_receivers_are_served_in_the_order_they_blocked() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<usize>();
        // Receiver k blocks only after receiver k-1 is blocked.
        let line: Vec<_> = (0..LINE)
            .map(|k| {
                let rx = rx.clone();
                spawn_blocked(move || match k % 3 {
                    0 => rx.recv().ok(),
                    1 => rx.recv_timeout(LONG).ok(),
                    _ => rx.recv_deadline(Instant::now() + LONG).ok(),
                })
            })
            .collect();
        // Sends back to back: each value goes straight to the oldest waiting receiver.
        for v in 0..LINE {
            tx.send(v).unwrap();
        }
        let got: Vec<_> = line.into_iter().map(join).collect();
        assert_eq!(
            got,
            (0..LINE).map(Some).collect::<Vec<_>>(),
            "{flavor:?}: receiver k should get value k"
        );
    }
}

#[test]
fn blocked_receivers_are_served_in_order_by_paced_sends() {
    let (tx, rx) = unbounded::<usize>();
    let (report_tx, report_rx) = std_mpsc::channel();
    let line: Vec<_> = (0..LINE)
        .map(|k| {
            let rx = rx.clone();
            let report = report_tx.clone();
            spawn_blocked(move || {
                let v = rx.recv().unwrap();
                report.send((k, v)).unwrap();
            })
        })
        .collect();
    for v in 0..LINE {
        tx.send(v).unwrap();
        thread::sleep(Duration::from_millis(3));
    }
    for handle in line {
        join(handle);
    }
    let mut reports: Vec<(usize, usize)> = report_rx.try_iter().collect();
    reports.sort_unstable();
    assert_eq!(reports, (0..LINE).map(|k| (k, k)).collect::<Vec<_>>());
}

#[test]
fn a_running_receiver_cannot_barge_ahead_of_a_blocked_one() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        let rx2 = rx.clone();
        let blocked = spawn_blocked(move || rx2.recv());
        // The value goes to the waiting receiver at the moment of the send: a receiver that
        // polls right after it finds nothing.
        match flavor {
            Flavor::Unbounded => tx.send(1).unwrap(),
            Flavor::Rendezvous => tx.try_send(1).unwrap(),
        }
        assert_eq!(
            rx.try_recv(),
            Err(TryRecvError::Empty),
            "{flavor:?}: barged"
        );
        assert_eq!(join(blocked), Ok(1));
    }
}

#[test]
fn a_receiver_that_gives_up_leaves_the_line_without_a_value() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<usize>();
        let first = {
            let rx = rx.clone();
            spawn_blocked(move || rx.recv())
        };
        let quitter = {
            let rx = rx.clone();
            spawn_blocked(move || rx.recv_timeout(Duration::from_millis(50)))
        };
        let third = {
            let rx = rx.clone();
            spawn_blocked(move || rx.recv())
        };
        assert_eq!(join(quitter), Err(RecvTimeoutError::Timeout));
        tx.send(0).unwrap();
        tx.send(1).unwrap();
        assert_eq!(join(first), Ok(0), "{flavor:?}");
        assert_eq!(join(third), Ok(1), "{flavor:?}");
    }
}

#[test]
fn blocked_rendezvous_senders_are_served_in_the_order_they_blocked() {
    let (tx, rx) = rendezvous::<usize>();
    let line: Vec<_> = (0..LINE)
        .map(|k| {
            let tx2 = tx.clone();
            // Sender k is in line once it is blocked (parked) in its send.
            spawn_blocked(move || match k % 3 {
                0 => tx2.send(k).is_ok(),
                1 => tx2.send_timeout(k, LONG).is_ok(),
                _ => tx2.send_deadline(k, Instant::now() + LONG).is_ok(),
            })
        })
        .collect();
    let got: Vec<usize> = (0..LINE)
        .map(|k| {
            thread::sleep(Duration::from_millis(2));
            if k % 2 == 0 {
                rx.recv().unwrap()
            } else {
                rx.try_recv().unwrap()
            }
        })
        .collect();
    assert_eq!(got, (0..LINE).collect::<Vec<_>>());
    for handle in line {
        assert!(join(handle), "a served sender did not return Ok");
    }
}

#[test]
fn a_rendezvous_sender_that_gives_up_leaves_the_line() {
    let (tx, rx) = rendezvous::<usize>();
    let mut handles = Vec::new();
    for k in 0..3 {
        let tx2 = tx.clone();
        // Sender k is in line once it is blocked (parked) in its send.
        handles.push(spawn_blocked(move || {
            if k == 1 {
                tx2.send_timeout(k, Duration::from_millis(200))
            } else {
                tx2.send(k).map_err(Into::into)
            }
        }));
    }
    let third = handles.pop().unwrap();
    let quitter = handles.pop().unwrap();
    let first = handles.pop().unwrap();
    assert_eq!(join(quitter), Err(SendTimeoutError::Timeout(1)));
    assert_eq!(rx.recv(), Ok(0));
    assert_eq!(rx.recv(), Ok(2), "the withdrawn value was delivered");
    assert_eq!(join(first), Ok(()));
    assert_eq!(join(third), Ok(()));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

// ==========================================================================================
// Rendezvous specifics
// ==========================================================================================

#[test]
fn rendezvous_try_send_is_full_without_a_waiting_receiver() {
    let (tx, rx) = rendezvous();
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
    // A receiver that merely exists, or polls, is not waiting.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    // Nothing was left behind by the failed attempts.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(tx.len(), 0);
}

#[test]
fn rendezvous_try_send_succeeds_with_a_waiting_receiver() {
    let (tx, rx) = rendezvous();
    let receiver = spawn_blocked(move || rx.recv());
    // The receiver is blocked; allow for the rare case where it was caught before it linked.
    let start = Instant::now();
    loop {
        match tx.try_send(5) {
            Ok(()) => break,
            Err(TrySendError::Full(_)) if start.elapsed() < Duration::from_secs(20) => {
                thread::sleep(Duration::from_millis(1))
            }
            Err(e) => panic!("try_send to a waiting receiver failed: {e:?}"),
        }
    }
    assert_eq!(join(receiver), Ok(5));
}

#[test]
fn rendezvous_send_timeout_gives_the_value_back_and_never_delivers_it() {
    let (tx, rx) = rendezvous();
    let timeout = Duration::from_millis(20);
    let start = Instant::now();
    assert_eq!(
        tx.send_timeout(1, timeout),
        Err(SendTimeoutError::Timeout(1))
    );
    assert!(start.elapsed() >= timeout, "send_timeout returned early");
    assert_eq!(
        tx.send_deadline(2, Instant::now() + timeout),
        Err(SendTimeoutError::Timeout(2))
    );
    assert_eq!(
        tx.send_timeout(3, Duration::ZERO),
        Err(SendTimeoutError::Timeout(3))
    );
    assert_eq!(
        tx.send_deadline(4, past()),
        Err(SendTimeoutError::Timeout(4))
    );
    // None of them arrives later, whether a receiver polls or waits.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(30)),
        Err(RecvTimeoutError::Timeout)
    );
    assert_eq!(tx.len(), 0);
    // And the channel still works.
    let receiver = spawn_blocked(move || rx.recv());
    tx.send(9).unwrap();
    assert_eq!(join(receiver), Ok(9));
}

#[test]
fn rendezvous_send_timeout_succeeds_when_a_receiver_comes() {
    let (tx, rx) = rendezvous();
    let sender = thread::spawn(move || tx.send_timeout(3, LONG));
    assert_eq!(rx.recv(), Ok(3));
    assert_eq!(join(sender), Ok(()));
}

#[test]
fn rendezvous_send_returns_only_after_a_receiver_took_the_value() {
    let (tx, rx) = rendezvous();
    let ledger = Ledger::leak(1);
    let sender = {
        let value = ledger.value(0);
        spawn_blocked(move || tx.send(value).is_ok())
    };
    assert_still_blocked(&sender, Duration::from_millis(50), "a rendezvous send");
    assert_eq!(ledger.total(), 0);
    let value = rx.recv().unwrap();
    assert!(join(sender), "the send did not report success");
    assert_eq!(value.id(), 0);
    drop(value);
    ledger.assert_all_dropped_once("rendezvous send returns only after a receiver took the value");
}

#[test]
fn rendezvous_holds_no_values_of_its_own() {
    // An unbounded channel would accept these; a rendezvous channel only hands over.
    let (tx, rx) = rendezvous();
    for i in 0..10 {
        assert!(tx.try_send(i).unwrap_err().is_full());
        assert!(tx
            .send_timeout(i, Duration::from_micros(100))
            .unwrap_err()
            .is_timeout());
    }
    drop(tx);
    assert_eq!(rx.try_iter().count(), 0);
    assert_eq!(rx.recv(), Err(RecvError));
}

#[test]
fn rendezvous_try_recv_takes_from_a_blocked_sender() {
    let (tx, rx) = rendezvous();
    let sender = spawn_blocked({
        let tx = tx.clone();
        move || tx.send(11)
    });
    assert_eq!(rx.try_recv(), Ok(11));
    assert_eq!(join(sender), Ok(()));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn rendezvous_ping_pong() {
    let (ping_tx, ping_rx) = rendezvous();
    let (pong_tx, pong_rx) = rendezvous();
    let n = rounds(5_000);
    let echo = thread::spawn(move || {
        for v in ping_rx.iter() {
            pong_tx.send(v + 1).unwrap();
        }
    });
    for i in 0..n {
        ping_tx.send(i).unwrap();
        assert_eq!(pong_rx.recv(), Ok(i + 1));
    }
    drop(ping_tx);
    join(echo);
    assert_eq!(pong_rx.recv(), Err(RecvError));
}

// ==========================================================================================
// Error types
// ==========================================================================================

/// Neither `Debug` nor `Display` nor `PartialEq`.
struct Opaque;

#[test]
fn error_texts_equal_std() {
    assert_eq!(
        SendError(Opaque).to_string(),
        std_mpsc::SendError(Opaque).to_string()
    );
    assert_eq!(
        TrySendError::Full(Opaque).to_string(),
        std_mpsc::TrySendError::Full(Opaque).to_string()
    );
    assert_eq!(
        TrySendError::Disconnected(Opaque).to_string(),
        std_mpsc::TrySendError::Disconnected(Opaque).to_string()
    );
    assert_eq!(RecvError.to_string(), std_mpsc::RecvError.to_string());
    assert_eq!(
        TryRecvError::Empty.to_string(),
        std_mpsc::TryRecvError::Empty.to_string()
    );
    // `TryRecvError::Disconnected`: see `try_recv_error_disconnected_text_is_std_s`.
    assert_eq!(
        RecvTimeoutError::Timeout.to_string(),
        std_mpsc::RecvTimeoutError::Timeout.to_string()
    );
    assert_eq!(
        RecvTimeoutError::Disconnected.to_string(),
        std_mpsc::RecvTimeoutError::Disconnected.to_string()
    );
    // std's `SendTimeoutError` is not stable yet; these are its texts.
    assert_eq!(
        SendTimeoutError::Timeout(Opaque).to_string(),
        "timed out waiting on send operation"
    );
    assert_eq!(
        SendTimeoutError::Disconnected(Opaque).to_string(),
        "sending on a disconnected channel"
    );
}

/// Regression: dualq once said "receiving on an empty and disconnected channel"
/// (crossbeam-channel's text) where std says "receiving on a closed channel", so code that
/// matched on or showed std's message saw a difference after switching.
#[test]
fn try_recv_error_disconnected_text_is_std_s() {
    assert_eq!(
        TryRecvError::Disconnected.to_string(),
        std_mpsc::TryRecvError::Disconnected.to_string()
    );
}

#[test]
fn error_debug_needs_no_debug_value() {
    // Each compiles without `Opaque: Debug` and names what happened.
    assert!(format!("{:?}", SendError(Opaque)).contains("SendError"));
    assert!(format!("{:?}", TrySendError::Full(Opaque)).contains("Full"));
    assert!(format!("{:?}", TrySendError::Disconnected(Opaque)).contains("Disconnected"));
    assert!(format!("{:?}", SendTimeoutError::Timeout(Opaque)).contains("SendTimeoutError"));
    assert!(format!("{:?}", SendTimeoutError::Disconnected(Opaque)).contains("SendTimeoutError"));
    // These match std's exactly.
    assert_eq!(
        format!("{:?}", SendError(Opaque)),
        format!("{:?}", std_mpsc::SendError(Opaque))
    );
    assert_eq!(
        format!("{RecvError:?}"),
        format!("{:?}", std_mpsc::RecvError)
    );
    for (ours, theirs) in [
        (TryRecvError::Empty, std_mpsc::TryRecvError::Empty),
        (
            TryRecvError::Disconnected,
            std_mpsc::TryRecvError::Disconnected,
        ),
    ] {
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
    }
    for (ours, theirs) in [
        (
            RecvTimeoutError::Timeout,
            std_mpsc::RecvTimeoutError::Timeout,
        ),
        (
            RecvTimeoutError::Disconnected,
            std_mpsc::RecvTimeoutError::Disconnected,
        ),
    ] {
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
    }
}

/// Regression: `TrySendError`'s and `SendTimeoutError`'s Debug once wrote a *quoted string*
/// (`"Full(..)"`, because `str`'s Debug was called) where std writes `TrySendError::Full(..)`,
/// and `SendTimeoutError`'s Debug did not say which variant it was.
#[test]
fn send_error_debug_is_std_s_and_unquoted() {
    for text in [
        format!("{:?}", TrySendError::Full(Opaque)),
        format!("{:?}", TrySendError::Disconnected(Opaque)),
        format!("{:?}", SendTimeoutError::Timeout(Opaque)),
        format!("{:?}", SendTimeoutError::Disconnected(Opaque)),
    ] {
        assert!(!text.contains('"'), "Debug output {text} has quote marks");
    }
    assert_eq!(
        format!("{:?}", TrySendError::Full(Opaque)),
        format!("{:?}", std_mpsc::TrySendError::Full(Opaque))
    );
    assert_eq!(
        format!("{:?}", TrySendError::Disconnected(Opaque)),
        format!("{:?}", std_mpsc::TrySendError::Disconnected(Opaque))
    );
    assert_ne!(
        format!("{:?}", SendTimeoutError::Timeout(Opaque)),
        format!("{:?}", SendTimeoutError::Disconnected(Opaque)),
        "the two variants look the same"
    );
}

#[test]
fn error_trait_impls_are_std_s() {
    fn std_like<T: Error + PartialEq + Eq + Clone + Copy + Send + Sync + 'static>() {}
    std_like::<SendError<u8>>();
    std_like::<TrySendError<u8>>();
    std_like::<SendTimeoutError<u8>>();
    std_like::<RecvError>();
    std_like::<TryRecvError>();
    std_like::<RecvTimeoutError>();
    // Error without any bound on T.
    fn error<T: Error>() {}
    error::<SendError<Opaque>>();
    error::<TrySendError<Opaque>>();
    error::<SendTimeoutError<Opaque>>();

    // Equality compares variant and value.
    assert_eq!(SendError(1), SendError(1));
    assert_ne!(SendError(1), SendError(2));
    assert_ne!(TrySendError::Full(1), TrySendError::Disconnected(1));
    assert_ne!(
        SendTimeoutError::Timeout(1),
        SendTimeoutError::Disconnected(1)
    );
    assert_ne!(TryRecvError::Empty, TryRecvError::Disconnected);
    assert_ne!(RecvTimeoutError::Timeout, RecvTimeoutError::Disconnected);
    let e = TrySendError::Full(3);
    let copy = e;
    assert_eq!(e.clone(), copy);
}

#[test]
fn errors_give_the_value_back_and_say_what_they_are() {
    assert_eq!(SendError("a").into_inner(), "a");
    assert_eq!(SendError("a").0, "a");
    assert_eq!(TrySendError::Full("b").into_inner(), "b");
    assert_eq!(TrySendError::Disconnected("c").into_inner(), "c");
    assert_eq!(SendTimeoutError::Timeout("d").into_inner(), "d");
    assert_eq!(SendTimeoutError::Disconnected("e").into_inner(), "e");

    assert!(TrySendError::Full(()).is_full());
    assert!(!TrySendError::Full(()).is_disconnected());
    assert!(TrySendError::Disconnected(()).is_disconnected());
    assert!(!TrySendError::Disconnected(()).is_full());
    assert!(SendTimeoutError::Timeout(()).is_timeout());
    assert!(!SendTimeoutError::Timeout(()).is_disconnected());
    assert!(SendTimeoutError::Disconnected(()).is_disconnected());
    assert!(!SendTimeoutError::Disconnected(()).is_timeout());
    assert!(TryRecvError::Empty.is_empty());
    assert!(!TryRecvError::Empty.is_disconnected());
    assert!(TryRecvError::Disconnected.is_disconnected());
    assert!(!TryRecvError::Disconnected.is_empty());
    assert!(RecvTimeoutError::Timeout.is_timeout());
    assert!(!RecvTimeoutError::Timeout.is_disconnected());
    assert!(RecvTimeoutError::Disconnected.is_disconnected());
    assert!(!RecvTimeoutError::Disconnected.is_timeout());
}

#[test]
fn error_conversions() {
    assert_eq!(
        TrySendError::from(SendError(1)),
        TrySendError::Disconnected(1)
    );
    assert_eq!(
        SendTimeoutError::from(SendError(2)),
        SendTimeoutError::Disconnected(2)
    );
    assert_eq!(TryRecvError::from(RecvError), TryRecvError::Disconnected);
    assert_eq!(
        RecvTimeoutError::from(RecvError),
        RecvTimeoutError::Disconnected
    );

    // `?` applies them.
    fn relay(tx: &Sender<i32>, rx: &Receiver<i32>) -> Result<i32, TrySendError<i32>> {
        tx.send(5)?;
        Ok(rx.try_recv().unwrap_or(0))
    }
    fn wait(rx: &Receiver<i32>) -> Result<i32, RecvTimeoutError> {
        Ok(rx.recv()?)
    }
    let (tx, rx) = unbounded();
    assert_eq!(relay(&tx, &rx), Ok(5));
    drop(tx);
    assert_eq!(wait(&rx), Err(RecvTimeoutError::Disconnected));
    let (tx, rx) = unbounded();
    drop(rx);
    let rx2 = unbounded().1;
    assert_eq!(relay(&tx, &rx2), Err(TrySendError::Disconnected(5)));
}

#[test]
fn errors_work_as_boxed_dyn_error() {
    fn send_it(tx: &Sender<u32>) -> Result<(), Box<dyn Error + Send + Sync>> {
        tx.send(1)?;
        Ok(())
    }
    fn recv_it(rx: &Receiver<u32>) -> Result<u32, Box<dyn Error>> {
        Ok(rx.recv()?)
    }
    let (tx, rx) = unbounded();
    drop(rx);
    let err = send_it(&tx).unwrap_err();
    assert_eq!(err.to_string(), "sending on a closed channel");
    assert!(err.source().is_none());
    assert_eq!(
        err.downcast_ref::<SendError<u32>>(),
        Some(&SendError(1)),
        "the boxed error is our SendError with the value inside"
    );
    let (tx, rx) = unbounded();
    drop(tx);
    let err = recv_it(&rx).unwrap_err();
    assert_eq!(err.to_string(), "receiving on a closed channel");
    assert!(err.is::<RecvError>());
    let boxed: Vec<Box<dyn Error>> = vec![
        Box::new(TrySendError::Full(0u8)),
        Box::new(SendTimeoutError::Timeout(0u8)),
        Box::new(TryRecvError::Empty),
        Box::new(RecvTimeoutError::Timeout),
    ];
    for e in boxed {
        assert!(!e.to_string().is_empty());
    }
}

// ==========================================================================================
// Iterators
// ==========================================================================================

#[test]
fn iter_drains_then_ends_at_disconnection() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let sender = thread::spawn(move || {
            for i in 0..100 {
                tx.send(i).unwrap();
            }
        });
        assert_eq!(rx.iter().collect::<Vec<_>>(), (0..100).collect::<Vec<_>>());
        join(sender);
        // Ended for good.
        assert_eq!(rx.iter().next(), None);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }
}

#[test]
fn iter_waits_while_senders_remain() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let reader = spawn_blocked(move || rx.iter().take(2).collect::<Vec<_>>());
        tx.send(1).unwrap();
        assert_still_blocked(&reader, GRACE, "iter().take(2) after one value");
        tx.send(2).unwrap();
        assert_eq!(join(reader), [1, 2], "{flavor:?}");
    }
}

#[test]
fn try_iter_yields_only_what_is_ready() {
    let (tx, rx) = unbounded();
    assert_eq!(rx.try_iter().next(), None);
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    // Does not block although the sender is alive.
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert_eq!(rx.try_iter().next(), None);
    tx.send(5).unwrap();
    drop(tx);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [5]);
    assert_eq!(rx.try_iter().next(), None);

    // Rendezvous: what is ready is the blocked senders' values.
    let (tx, rx) = rendezvous();
    assert_eq!(rx.try_iter().next(), None);
    let senders: Vec<_> = (0..2)
        .map(|i| {
            let tx2 = tx.clone();
            spawn_blocked(move || tx2.send(i))
        })
        .collect();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [0, 1]);
    for s in senders {
        assert_eq!(join(s), Ok(()));
    }
    assert_eq!(rx.try_iter().next(), None);
}

#[test]
fn into_iter_owned_and_borrowed() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let sender = thread::spawn(move || {
            for i in 0..6 {
                tx.send(i).unwrap();
            }
        });
        let mut borrowed = Vec::new();
        for v in &rx {
            borrowed.push(v);
            if v == 2 {
                break;
            }
        }
        assert_eq!(borrowed, [0, 1, 2]);
        // The receiver is still usable after a borrowing loop; the owning loop consumes it.
        let owned: Vec<i32> = rx.into_iter().collect();
        assert_eq!(owned, [3, 4, 5], "{flavor:?}");
        join(sender);
    }
}

#[test]
fn into_iter_owned_drops_the_receiver_when_done() {
    let (tx, rx) = unbounded();
    tx.send(1).unwrap();
    let mut it = rx.into_iter();
    assert_eq!(it.next(), Some(1));
    drop(it);
    // The iterator owned the only receiver.
    assert_eq!(tx.send(2), Err(SendError(2)));
}
