//! What a channel handle tells and does besides one send or receive (issue 26): the handle
//! counts, disconnection, weak senders, `recv_many` and its async form, and the `closed()`
//! future, rule by rule, on every flavor, with the drop ledger wherever values move.
//!
//! Race loops run a few hundred rounds; `DUALQ_LONG=1` runs ten times as many.

mod chan_support;

use chan_support::{join, rounds, spawn_blocked, Kind, Ledger, Tracked, KINDS, WAKE_BOUND};
use dualq::channel::{bounded, unbounded, RecvError, TryRecvError, WeakSender};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

// ==========================================================================================
// Counts and disconnection
// ==========================================================================================

#[test]
fn counts_follow_clones_and_drops_and_weak_senders_do_not_count() {
    for kind in KINDS {
        let (tx, rx) = kind.make::<u8>();
        assert_eq!((tx.sender_count(), tx.receiver_count()), (1, 1), "{kind:?}");
        let tx2 = tx.clone();
        let rx2 = rx.clone();
        let rx3 = rx.clone();
        let weak = tx.downgrade();
        let weak2 = weak.clone();
        assert_eq!((rx.sender_count(), rx.receiver_count()), (2, 3), "{kind:?}");
        assert_eq!(weak.sender_count(), 2, "{kind:?}");
        drop(tx2);
        drop((rx2, rx3));
        assert_eq!((tx.sender_count(), tx.receiver_count()), (1, 1), "{kind:?}");
        let upgraded = weak2.upgrade().expect("a sender is alive");
        assert_eq!(rx.sender_count(), 2, "{kind:?}");
        drop((upgraded, tx));
        assert_eq!(rx.sender_count(), 0, "{kind:?}");
        assert_eq!(weak.sender_count(), 0, "{kind:?}");
    }
}

#[test]
fn the_sending_side_sees_the_receivers_leave() {
    for kind in KINDS {
        let (tx, rx) = kind.make::<u8>();
        let rx2 = rx.clone();
        assert!(!tx.is_disconnected() && !tx.is_closed(), "{kind:?}");
        drop(rx);
        assert!(!tx.is_disconnected(), "{kind:?}: one receiver is left");
        drop(rx2);
        assert!(tx.is_disconnected() && tx.is_closed(), "{kind:?}");
        assert!(tx.send(1).is_err(), "{kind:?}");
    }
}

#[test]
fn the_receiving_side_sees_the_senders_leave_and_still_drains() {
    for kind in [Kind::Unbounded, Kind::Bounded(4)] {
        let (tx, rx) = kind.make();
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert!(!rx.is_disconnected(), "{kind:?}");
        drop(tx);
        assert!(rx.is_disconnected() && rx.is_closed(), "{kind:?}");
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2], "{kind:?}");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected), "{kind:?}");
    }
}

// ==========================================================================================
// Weak senders
// ==========================================================================================

#[test]
fn a_weak_sender_does_not_keep_a_waiting_receiver_waiting() {
    for kind in KINDS {
        let (tx, rx) = kind.make::<u8>();
        let weak = tx.downgrade();
        let receiver = spawn_blocked(move || rx.recv());
        drop(tx);
        assert_eq!(join(receiver), Err(RecvError), "{kind:?}");
        assert!(
            weak.upgrade().is_none(),
            "{kind:?}: the senders are gone for good"
        );
    }
}

#[test]
fn an_upgraded_sender_sends_and_keeps_the_channel_connected() {
    for kind in KINDS {
        let (tx, rx) = kind.make::<u8>();
        let weak = tx.downgrade();
        let upgraded = weak.upgrade().expect("the sender is alive");
        drop(tx);
        assert!(
            !rx.is_disconnected(),
            "{kind:?}: the upgraded sender counts"
        );
        let sender = thread::spawn(move || upgraded.send(7));
        assert_eq!(rx.recv(), Ok(7), "{kind:?}");
        join(sender).unwrap();
        assert_eq!(rx.recv(), Err(RecvError), "{kind:?}");
    }
}

#[test]
fn weak_senders_are_clone_send_sync_and_debug() {
    fn send_sync<X: Send + Sync + Clone>() {}
    send_sync::<WeakSender<Vec<u8>>>();
    let (tx, _rx) = unbounded::<u8>();
    let weak = tx.downgrade();
    assert_eq!(
        format!("{weak:?}"),
        "WeakSender { sender_count: 1, .. }",
        "Debug says how many senders are alive"
    );
}

/// An upgrade races the drop of the last sender, every round: either the upgrade wins (the
/// channel stays connected, and the value sent through the upgraded sender is received before
/// the disconnection), or the drop wins (the upgrade returns `None`, and the receiver sees the
/// disconnection). Never a sender on a channel the receiver already saw disconnected, and never
/// a lost value.
#[test]
fn race_upgrade_against_the_last_senders_drop() {
    let n = rounds(400);
    let ledger = Ledger::leak(n);
    let mut upgrades = 0;
    for round in 0..n {
        let (tx, rx) = unbounded::<Tracked>();
        let weak = tx.downgrade();
        let start = Arc::new(Barrier::new(2));
        let upgrader = {
            let start = Arc::clone(&start);
            let value = ledger.value(round);
            thread::spawn(move || {
                start.wait();
                match weak.upgrade() {
                    Some(tx) => {
                        tx.send(value).expect("the receiver is alive");
                        true
                    }
                    None => {
                        drop(value);
                        false
                    }
                }
            })
        };
        start.wait();
        drop(tx);
        let got: Vec<usize> = rx.iter().map(|v| v.id()).collect();
        let upgraded = join(upgrader);
        upgrades += usize::from(upgraded);
        let expected: &[usize] = if upgraded { &[round] } else { &[] };
        assert_eq!(got, expected, "round {round}: upgraded = {upgraded}");
    }
    ledger.assert_all_dropped_once("upgrade racing the last drop");
    eprintln!("{upgrades} of {n} upgrades won the race");
}

// ==========================================================================================
// recv_many
// ==========================================================================================

#[test]
fn recv_many_with_limit_zero_returns_at_once() {
    for kind in KINDS {
        let (tx, rx) = kind.make::<u8>();
        let mut buf = vec![9];
        assert_eq!(
            rx.recv_many(&mut buf, 0),
            Ok(0),
            "{kind:?}: an empty channel"
        );
        drop(tx);
        assert_eq!(
            rx.recv_many(&mut buf, 0),
            Ok(0),
            "{kind:?}: a disconnected one"
        );
        assert_eq!(buf, [9], "{kind:?}");
    }
}

#[test]
fn recv_many_takes_what_is_there_in_order_up_to_the_limit_and_appends() {
    for kind in [Kind::Unbounded, Kind::Bounded(4)] {
        let (tx, rx) = kind.make();
        for i in 0..4 {
            tx.send(i).unwrap();
        }
        let mut buf = vec![-1];
        assert_eq!(rx.recv_many(&mut buf, 3), Ok(3), "{kind:?}");
        assert_eq!(buf, [-1, 0, 1, 2], "{kind:?}");
        assert_eq!(
            rx.recv_many(&mut buf, 3),
            Ok(1),
            "{kind:?}: only one was left"
        );
        assert_eq!(buf, [-1, 0, 1, 2, 3], "{kind:?}");
        tx.send(4).unwrap();
        drop(tx);
        assert_eq!(rx.recv_many(&mut buf, 10), Ok(1), "{kind:?}: drained first");
        assert_eq!(rx.recv_many(&mut buf, 10), Err(RecvError), "{kind:?}");
        assert_eq!(buf, [-1, 0, 1, 2, 3, 4], "{kind:?}");
    }
}

#[test]
fn recv_many_waits_for_the_first_value() {
    for kind in KINDS {
        let (tx, rx) = kind.make::<u32>();
        let receiver = spawn_blocked(move || {
            let mut buf = Vec::new();
            let got = rx.recv_many(&mut buf, 8);
            (got, buf)
        });
        tx.send(5).unwrap();
        let (got, buf) = join(receiver);
        assert_eq!(got, Ok(buf.len()), "{kind:?}");
        assert_eq!(buf[0], 5, "{kind:?}");
    }
}

#[test]
fn recv_many_releases_blocked_senders_in_order() {
    for kind in [Kind::Bounded(1), Kind::Bounded(2), Kind::Rendezvous] {
        let ledger = Ledger::leak(kind.room() + 3);
        let (_tx, rx, blocked) = kind.full_with_blocked_senders(ledger);
        let mut buf = Vec::new();
        let mut total = 0;
        while total < kind.room() + 3 {
            total += rx.recv_many(&mut buf, 16).unwrap();
        }
        let ids: Vec<usize> = buf.iter().map(Tracked::id).collect();
        assert_eq!(ids, (0..kind.room() + 3).collect::<Vec<_>>(), "{kind:?}");
        for sender in blocked {
            join(sender).unwrap();
        }
        drop(buf);
        ledger.assert_all_dropped_once("recv_many from blocked senders");
    }
}

/// Several producers, one `recv_many` consumer: every value arrives exactly once, and each
/// producer's values arrive in the order it sent them.
#[test]
fn recv_many_under_concurrent_producers_keeps_each_producers_order() {
    const PRODUCERS: usize = 4;
    const EACH: usize = 2_000;
    for kind in [Kind::Unbounded, Kind::Bounded(3), Kind::Rendezvous] {
        let ledger = Ledger::leak(PRODUCERS * EACH);
        let (tx, rx) = kind.make::<Tracked>();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let tx = tx.clone();
                thread::spawn(move || {
                    for i in 0..EACH {
                        tx.send(ledger.value(p * EACH + i)).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let mut next = [0usize; PRODUCERS];
        let mut buf = Vec::new();
        let mut batches = 0;
        while let Ok(n) = rx.recv_many(&mut buf, 7) {
            assert!((1..=7).contains(&n), "{kind:?}: a batch of {n}");
            batches += 1;
            for value in buf.drain(..) {
                let (p, i) = (value.id() / EACH, value.id() % EACH);
                assert_eq!(i, next[p], "{kind:?}: producer {p}'s values out of order");
                next[p] += 1;
            }
        }
        assert_eq!(next, [EACH; PRODUCERS], "{kind:?}");
        assert!(batches <= PRODUCERS * EACH, "{kind:?}");
        for producer in producers {
            join(producer);
        }
        ledger.assert_all_dropped_once("recv_many");
    }
}

// ==========================================================================================
// drain
// ==========================================================================================

#[test]
fn drain_takes_what_is_there_in_order_and_never_waits() {
    for kind in KINDS {
        let (tx, rx) = kind.make::<u32>();
        assert_eq!(rx.drain().len(), 0, "{kind:?}: empty, and it did not wait");
        let cap = match kind {
            Kind::Unbounded => 5,
            Kind::Bounded(cap) => cap as u32,
            Kind::Rendezvous => 0,
        };
        for i in 0..cap {
            tx.send(i).unwrap();
        }
        let drained = rx.drain();
        assert_eq!(drained.len(), cap as usize, "{kind:?}");
        assert_eq!(
            format!("{drained:?}"),
            format!("Drain {{ len: {cap}, .. }}"),
            "{kind:?}"
        );
        assert_eq!(drained.collect::<Vec<_>>(), (0..cap).collect::<Vec<_>>());
        assert!(rx.is_empty(), "{kind:?}");
        drop(tx);
        assert_eq!(rx.drain().len(), 0, "{kind:?}: disconnected and empty");
    }
}

#[test]
fn drain_leaves_values_sent_after_it_began() {
    let (tx, rx) = unbounded();
    tx.send(1).unwrap();
    let drained = rx.drain();
    tx.send(2).unwrap();
    assert_eq!(drained.collect::<Vec<_>>(), [1]);
    assert_eq!(rx.try_recv(), Ok(2));
}

/// On a bounded or rendezvous channel, the values of senders blocked when the drain began are
/// part of it: the drain makes room and releases them, in order, and their sends succeed.
#[test]
fn drain_releases_senders_blocked_when_it_began() {
    for kind in [Kind::Bounded(1), Kind::Bounded(2), Kind::Rendezvous] {
        let ledger = Ledger::leak(kind.room() + 3);
        let (_tx, rx, blocked) = kind.full_with_blocked_senders(ledger);
        let drained: Vec<usize> = rx.drain().map(|v| v.id()).collect();
        assert_eq!(
            drained,
            (0..kind.room() + 3).collect::<Vec<_>>(),
            "{kind:?}"
        );
        for sender in blocked {
            assert_eq!(join(sender), Ok(()), "{kind:?}");
        }
        ledger.assert_all_dropped_once("drain from blocked senders");
    }
}

/// A producer that never stops does not keep a drain going: it ends at the sends that had begun
/// when it was called, and takes them in order.
#[test]
fn drain_ends_while_a_producer_keeps_sending() {
    let (tx, rx) = unbounded::<u64>();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let producer = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                tx.send(i).unwrap();
                i += 1;
            }
        })
    };
    while rx.len() < 10_000 {
        thread::yield_now();
    }
    let mut expected = 0;
    for _ in 0..20 {
        for value in rx.drain() {
            assert_eq!(value, expected, "drained out of order");
            expected += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    join(producer);
    assert!(expected >= 10_000);
}

/// Values taken by a drain are dropped exactly once: by the caller, or with the iterator if it
/// is dropped early; a drain racing other receivers shares the values with them, each once.
#[test]
fn drained_values_are_delivered_or_dropped_once() {
    let ledger = Ledger::leak(100);
    let (tx, rx) = unbounded();
    for id in 0..100 {
        tx.send(ledger.value(id)).unwrap();
    }
    let mut drained = rx.drain();
    let first: Vec<usize> = drained.by_ref().take(10).map(|v| v.id()).collect();
    assert_eq!(first, (0..10).collect::<Vec<_>>());
    drop(drained);
    ledger.assert_all_dropped_once("a drain dropped early");

    const N: usize = 20_000;
    let ledger = Ledger::leak(N);
    let (tx, rx) = unbounded();
    let receivers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || rx.iter().count())
        })
        .collect();
    let mut drained = 0;
    for id in 0..N {
        tx.send(ledger.value(id)).unwrap();
        if id % 97 == 0 {
            drained += rx.drain().count();
        }
    }
    drop(tx);
    let received: usize = receivers.into_iter().map(join).sum();
    assert_eq!(drained + received + rx.drain().count(), N);
    ledger.assert_all_dropped_once("a drain racing receivers");
}

// ==========================================================================================
// Async: recv_many_async and closed()
// ==========================================================================================

#[cfg(feature = "async")]
mod with_async {
    use super::*;
    use futures::executor::block_on;
    use futures::future::FusedFuture;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Wake, Waker};

    /// A waker that counts its wakes.
    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker::default());
        (Arc::clone(&counter), Waker::from(counter))
    }

    fn poll_with<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
        Pin::new(fut).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn recv_many_async_waits_then_takes_what_is_there() {
        for kind in KINDS {
            let (tx, rx) = kind.make::<u32>();
            let mut buf = Vec::new();
            let (counter, waker) = counting_waker();
            let mut fut = rx.recv_many_async(&mut buf, 3);
            assert!(poll_with(&mut fut, &waker).is_pending(), "{kind:?}");
            let sender = thread::spawn(move || {
                for i in 0..5 {
                    tx.send(i).unwrap();
                }
            });
            let start = std::time::Instant::now();
            while counter.0.load(Ordering::SeqCst) == 0 {
                assert!(start.elapsed() < WAKE_BOUND, "{kind:?}: never woken");
                thread::yield_now();
            }
            let got = match poll_with(&mut fut, &waker) {
                Poll::Ready(got) => got.unwrap(),
                Poll::Pending => panic!("{kind:?}: woken but not ready"),
            };
            assert!(fut.is_terminated());
            drop(fut);
            assert!((1..=3).contains(&got), "{kind:?}");
            while buf.len() < 5 {
                block_on(rx.recv_many_async(&mut buf, 3)).unwrap();
            }
            assert_eq!(buf, [0, 1, 2, 3, 4], "{kind:?}");
            join(sender);
            assert_eq!(block_on(rx.recv_many_async(&mut buf, 3)), Err(RecvError));
            assert_eq!(block_on(rx.recv_many_async(&mut buf, 0)), Ok(0));
        }
    }

    /// A `recv_many_async` dropped while it waits for its first value loses no value: the next
    /// receiver gets it (a sender stays alive, as for `RecvFut`: see the channel docs).
    #[test]
    fn a_dropped_pending_recv_many_loses_no_value() {
        for kind in KINDS {
            let ledger = Ledger::leak(1);
            let (tx, rx) = kind.make::<Tracked>();
            let mut buf = Vec::new();
            let mut fut = rx.recv_many_async(&mut buf, 4);
            assert!(poll_with(&mut fut, futures::task::noop_waker_ref()).is_pending());
            let sender = {
                let tx = tx.clone();
                thread::spawn(move || tx.send(ledger.value(0)).unwrap())
            };
            thread::sleep(Duration::from_millis(5));
            drop(fut);
            assert!(buf.is_empty(), "{kind:?}: a pending future appends nothing");
            assert_eq!(rx.recv().map(|v| v.id()), Ok(0), "{kind:?}");
            join(sender);
            drop(tx);
            ledger.assert_all_dropped_once("dropped recv_many");
        }
    }

    #[test]
    fn closed_is_pending_while_a_receiver_is_left_and_woken_when_the_last_goes() {
        for kind in KINDS {
            let (tx, rx) = kind.make::<u8>();
            let rx2 = rx.clone();
            let (counter, waker) = counting_waker();
            let mut closed = tx.closed();
            assert!(poll_with(&mut closed, &waker).is_pending(), "{kind:?}");
            assert!(
                poll_with(&mut closed, &waker).is_pending(),
                "{kind:?}: a re-poll"
            );
            drop(rx);
            assert_eq!(counter.0.load(Ordering::SeqCst), 0, "{kind:?}: one is left");
            drop(rx2);
            assert_eq!(counter.0.load(Ordering::SeqCst), 1, "{kind:?}: woken once");
            assert!(poll_with(&mut closed, &waker).is_ready(), "{kind:?}");
            assert!(
                poll_with(&mut closed, &waker).is_ready(),
                "{kind:?}: stays ready"
            );
            assert!(
                poll_with(&mut tx.closed(), &waker).is_ready(),
                "{kind:?}: a new one is ready at its first poll"
            );
        }
    }

    /// Many `closed()` futures polled and dropped in turn, and many waiting at once: each
    /// waiting one is woken exactly once, and the dropped ones are not woken.
    #[test]
    fn closed_wakes_every_waiting_future_once_and_forgets_dropped_ones() {
        let (tx, rx) = unbounded::<u8>();
        let (dropped_counter, dropped_waker) = counting_waker();
        for _ in 0..100 {
            let mut closed = tx.closed();
            assert!(poll_with(&mut closed, &dropped_waker).is_pending());
        }
        let waiting: Vec<_> = (0..10)
            .map(|_| {
                let (counter, waker) = counting_waker();
                let mut closed = tx.closed();
                assert!(poll_with(&mut closed, &waker).is_pending());
                (counter, closed)
            })
            .collect();
        drop(rx);
        assert_eq!(dropped_counter.0.load(Ordering::SeqCst), 0);
        for (counter, _closed) in &waiting {
            assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        }
    }

    /// tokio's pattern: a producer stops when nobody listens any more.
    #[test]
    fn a_producer_task_stops_when_the_receiver_goes() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (tx, rx) = bounded::<u32>(2);
            let producer = tokio::spawn(async move {
                let mut sent = 0;
                loop {
                    tokio::select! {
                        _ = tx.closed() => return sent,
                        result = tx.send_async(sent) => match result {
                            Ok(()) => sent += 1,
                            Err(_) => return sent,
                        },
                    }
                }
            });
            for i in 0..10 {
                assert_eq!(rx.recv_async().await, Ok(i));
            }
            drop(rx);
            let sent = tokio::time::timeout(Duration::from_secs(10), producer)
                .await
                .expect("the producer stopped")
                .unwrap();
            // Values 0..=9 were received; the send of 9 may have been taken straight from
            // the waiting producer, whose `select!` may then pick `closed()` over that send.
            assert!(sent >= 9, "{sent} sends returned Ok");
        });
    }
}
