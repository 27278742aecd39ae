//! `close()` and `is_closed()` on both ends (issue 26), rule by rule, on every flavor:
//!
//! * `close` returns true exactly once, and false on a channel a side has left;
//! * after it no send succeeds (the value comes back), receivers drain what was sent before,
//!   then see the disconnection (`recv`, `try_recv`, `drain`, `recv_many`, iterators);
//! * a sender blocked at that moment (full bounded channel, rendezvous) gets its own value back
//!   in its error; a receiver waiting with nothing left is released with `RecvError`; threads
//!   and async tasks alike, and `Sender::closed()` futures are woken;
//! * races: `close` against blocked senders, waiting receivers, the last receiver's drop, with
//!   the drop ledger: every value whose send returned `Ok` is received exactly once, every other
//!   comes back to its sender, and each is dropped exactly once.
//!
//! Race loops run a few hundred rounds; `DUALQ_LONG=1` runs ten times as many.

mod chan_support;

use chan_support::{join, rounds, spawn_blocked, Jitter, Kind, Ledger, Tracked, KINDS};
use dualq::channel::{
    unbounded, RecvError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
use std::collections::HashSet;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

// ==========================================================================================
// The rules, one at a time
// ==========================================================================================

#[test]
fn close_says_true_once_and_both_ends_see_it() {
    for kind in KINDS {
        for from_receiver in [false, true] {
            let (tx, rx) = kind.make::<u8>();
            assert!(!tx.is_closed() && !rx.is_closed(), "{kind:?}");
            let first = if from_receiver {
                rx.close()
            } else {
                tx.close()
            };
            assert!(first, "{kind:?}: the first close closes");
            assert!(!tx.close() && !rx.close(), "{kind:?}: closed already");
            assert!(tx.is_closed() && rx.is_closed(), "{kind:?}");
            assert!(tx.is_disconnected() && rx.is_disconnected(), "{kind:?}");
        }
    }
}

#[test]
fn close_on_a_channel_a_side_has_left_says_false() {
    for kind in KINDS {
        let (tx, rx) = kind.make::<u8>();
        drop(rx);
        assert!(!tx.close(), "{kind:?}: every receiver is gone already");
        let (tx, rx) = kind.make::<u8>();
        drop(tx);
        assert!(!rx.close(), "{kind:?}: every sender is gone already");
    }
}

#[test]
fn after_close_sends_fail_and_receivers_drain_then_see_the_disconnection() {
    for kind in KINDS {
        let (tx, rx) = kind.make::<u32>();
        let room = kind.room() as u32;
        for i in 0..room {
            tx.send(i).unwrap();
        }
        assert!(tx.close(), "{kind:?}");
        assert_eq!(tx.send(100), Err(SendError(100)), "{kind:?}");
        assert_eq!(
            tx.try_send(101),
            Err(TrySendError::Disconnected(101)),
            "{kind:?}"
        );
        assert_eq!(
            tx.send_timeout(102, Duration::from_millis(1)),
            Err(SendTimeoutError::Disconnected(102)),
            "{kind:?}"
        );
        let drained: Vec<u32> = rx.iter().collect();
        assert_eq!(drained, (0..room).collect::<Vec<_>>(), "{kind:?}");
        assert_eq!(rx.recv(), Err(RecvError), "{kind:?}");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected), "{kind:?}");
        assert_eq!(rx.recv_many(&mut Vec::new(), 4), Err(RecvError), "{kind:?}");
        assert_eq!(rx.drain().len(), 0, "{kind:?}");
    }
}

#[test]
fn drain_and_recv_many_take_what_was_sent_before_the_close() {
    for kind in [Kind::Unbounded, Kind::Bounded(3)] {
        let (tx, rx) = kind.make::<u32>();
        for i in 0..3 {
            tx.send(i).unwrap();
        }
        rx.close();
        let mut batch = Vec::new();
        assert_eq!(rx.recv_many(&mut batch, 2), Ok(2), "{kind:?}");
        assert_eq!(rx.drain().collect::<Vec<_>>(), [2], "{kind:?}");
        assert_eq!(batch, [0, 1], "{kind:?}");
    }
}

/// Senders blocked on a full bounded channel, or on a rendezvous channel, when it closes: each
/// gets its own value back; what was buffered before is still received.
#[test]
fn close_gives_blocked_senders_their_values_back() {
    for kind in [Kind::Bounded(1), Kind::Bounded(3), Kind::Rendezvous] {
        for from_receiver in [false, true] {
            let ledger = Ledger::leak(kind.room() + 3);
            let (tx, rx, blocked) = kind.full_with_blocked_senders(ledger);
            let first = if from_receiver {
                rx.close()
            } else {
                tx.close()
            };
            assert!(first, "{kind:?}");
            for (sender, id) in blocked.into_iter().zip(kind.room()..) {
                assert_eq!(join(sender), Err(id), "{kind:?}: its own value back");
            }
            let drained: Vec<usize> = rx.iter().map(|v| v.id()).collect();
            assert_eq!(drained, (0..kind.room()).collect::<Vec<_>>(), "{kind:?}");
            ledger.assert_all_dropped_once("blocked senders at close");
        }
    }
}

#[test]
fn close_releases_waiting_receivers_with_recv_error() {
    for kind in KINDS {
        for from_receiver in [false, true] {
            let (tx, rx) = kind.make::<u8>();
            let waiting: Vec<_> = (0..3)
                .map(|_| {
                    let rx = rx.clone();
                    spawn_blocked(move || rx.recv())
                })
                .collect();
            let timed = {
                let rx = rx.clone();
                spawn_blocked(move || rx.recv_timeout(Duration::from_secs(60)))
            };
            let first = if from_receiver {
                rx.close()
            } else {
                tx.close()
            };
            assert!(first, "{kind:?}");
            for receiver in waiting {
                assert_eq!(join(receiver), Err(RecvError), "{kind:?}");
            }
            assert!(join(timed).is_err(), "{kind:?}: a timed receive too");
        }
    }
}

/// A weak sender upgrades while a sender is alive, closed channel or not; the sender it makes
/// sends nothing into a closed channel.
#[test]
fn an_upgraded_sender_of_a_closed_channel_is_refused() {
    let (tx, rx) = unbounded::<u8>();
    let weak = tx.downgrade();
    rx.close();
    // The sender is alive, so the upgrade succeeds, but the channel stays closed.
    let upgraded = weak.upgrade().expect("a sender is alive");
    assert!(upgraded.is_closed());
    assert_eq!(upgraded.send(1), Err(SendError(1)));
}

// ==========================================================================================
// Races
// ==========================================================================================

/// What each party saw in one race round.
#[derive(Default)]
struct Outcome {
    /// Values whose send returned `Ok`.
    sent: HashSet<usize>,
    /// Values that came back in a send's error.
    refused: HashSet<usize>,
    /// Values received.
    received: Vec<usize>,
}

/// Senders that send until the channel refuses, receivers that receive until it is closed and
/// empty, and a close at a random moment from either side: every value whose send returned
/// `Ok` is received exactly once, every refused one came back to its own sender, the two sets
/// are disjoint and cover every value offered, and every value is dropped exactly once. Each
/// producer's values arrive in the order it sent them.
#[test]
fn race_close_against_blocked_senders_and_waiting_receivers() {
    const SENDERS: usize = 3;
    const RECEIVERS: usize = 2;
    const EACH: usize = 40;
    let n = rounds(150);
    let mut refused_total = 0;
    for round in 0..n {
        let kind = KINDS[round % KINDS.len()];
        let ledger = Ledger::leak(SENDERS * EACH);
        let (tx, rx) = kind.make::<Tracked>();
        let outcome = Arc::new(Mutex::new(Outcome::default()));
        let start = Arc::new(Barrier::new(SENDERS + RECEIVERS + 1));
        let mut handles = Vec::new();
        for p in 0..SENDERS {
            let (tx, outcome, start) = (tx.clone(), Arc::clone(&outcome), Arc::clone(&start));
            handles.push(thread::spawn(move || {
                start.wait();
                for i in 0..EACH {
                    let id = p * EACH + i;
                    match tx.send(ledger.value(id)) {
                        Ok(()) => outcome.lock().unwrap().sent.insert(id),
                        Err(SendError(back)) => {
                            assert_eq!(back.id(), id, "a refused send gave back another value");
                            outcome.lock().unwrap().refused.insert(id)
                        }
                    };
                }
            }));
        }
        for _ in 0..RECEIVERS {
            let (rx, outcome, start) = (rx.clone(), Arc::clone(&outcome), Arc::clone(&start));
            handles.push(thread::spawn(move || {
                start.wait();
                let mut last = [None::<usize>; SENDERS];
                for value in rx.iter() {
                    let (p, i) = (value.id() / EACH, value.id() % EACH);
                    assert!(last[p].is_none_or(|j| j < i), "producer {p} out of order");
                    last[p] = Some(i);
                    outcome.lock().unwrap().received.push(value.id());
                }
            }));
        }
        let mut jitter = Jitter::new(round as u64);
        start.wait();
        jitter.spin(20_000);
        if round % 2 == 0 {
            assert!(tx.close());
        } else {
            assert!(rx.close());
        }
        drop((tx, rx));
        for handle in handles {
            join(handle);
        }
        let outcome = outcome.lock().unwrap();
        let received: HashSet<usize> = outcome.received.iter().copied().collect();
        assert_eq!(
            received.len(),
            outcome.received.len(),
            "{kind:?}: a value twice"
        );
        assert_eq!(received, outcome.sent, "{kind:?}: received = sent Ok");
        assert!(outcome.sent.is_disjoint(&outcome.refused), "{kind:?}");
        assert_eq!(outcome.sent.len() + outcome.refused.len(), SENDERS * EACH);
        refused_total += outcome.refused.len();
        ledger.assert_all_dropped_once("close racing senders and receivers");
    }
    assert!(
        refused_total > 0,
        "no round closed before the senders were done"
    );
}

/// A close races the last receiver's drop, with values buffered and senders blocked: whatever
/// order they take effect in, every value is dropped exactly once (received values by the
/// receiver, buffered ones by the drop, refused ones by their senders), and `close` says true
/// only if the drop had not disconnected the channel first.
#[test]
fn race_close_against_the_last_receivers_drop() {
    let n = rounds(300);
    for round in 0..n {
        let kind = [Kind::Bounded(2), Kind::Rendezvous, Kind::Unbounded][round % 3];
        let ledger = Ledger::leak(kind.room() + 3);
        let (tx, rx) = kind.make::<Tracked>();
        for id in 0..kind.room() {
            tx.send(ledger.value(id)).unwrap();
        }
        let blocked: Vec<_> = (kind.room()..kind.room() + 3)
            .map(|id| {
                let tx = tx.clone();
                let value = ledger.value(id);
                thread::spawn(move || tx.send(value).is_ok())
            })
            .collect();
        let start = Arc::new(Barrier::new(2));
        let dropper = {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                drop(rx);
            })
        };
        start.wait();
        tx.close();
        join(dropper);
        assert!(tx.is_closed());
        for sender in blocked {
            let sent = join(sender);
            // No receiver ever made room: only an unbounded channel can have taken a value.
            assert!(!sent || matches!(kind, Kind::Unbounded), "{kind:?}");
        }
        drop(tx);
        ledger.assert_all_dropped_once("close racing the last receiver's drop");
    }
}

// ==========================================================================================
// Async
// ==========================================================================================

#[cfg(feature = "async")]
mod with_async {
    use super::*;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
        Pin::new(fut).poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
    }

    /// Pending futures when the channel closes: sends get their values back, receives get
    /// `RecvError` once nothing is left, `closed()` is ready.
    #[test]
    fn close_completes_pending_futures() {
        for kind in KINDS {
            let ledger = Ledger::leak(kind.room() + 2);
            let (tx, rx) = kind.make::<Tracked>();
            for id in 0..kind.room() {
                tx.send(ledger.value(id)).unwrap();
            }
            let (rx2, tx2) = (rx.clone(), tx.clone());
            let mut closed = tx2.closed();
            assert!(poll_once(&mut closed).is_pending(), "{kind:?}");
            let unbounded = matches!(kind, Kind::Unbounded);
            let mut sends: Vec<_> = (kind.room()..kind.room() + 2)
                .map(|id| tx.send_async(ledger.value(id)))
                .collect();
            for send in &mut sends {
                let pending = poll_once(send).is_pending();
                assert!(
                    pending != unbounded,
                    "{kind:?}: a send waits unless unbounded"
                );
            }
            assert!(rx.close(), "{kind:?}");
            assert!(poll_once(&mut closed).is_ready(), "{kind:?}");
            if !unbounded {
                for (send, id) in sends.iter_mut().zip(kind.room()..) {
                    match poll_once(send) {
                        Poll::Ready(Err(SendError(back))) => assert_eq!(back.id(), id),
                        other => panic!("{kind:?}: a waiting send ended {other:?} at close"),
                    }
                }
            }
            drop(sends);
            let mut drained = 0;
            while let Ok(value) = futures::executor::block_on(rx2.recv_async()) {
                drop(value);
                drained += 1;
            }
            let expected = kind.room()
                + if matches!(kind, Kind::Unbounded) {
                    2
                } else {
                    0
                };
            assert_eq!(drained, expected, "{kind:?}");
            drop(closed);
            drop((tx, tx2, rx, rx2));
            ledger.assert_all_dropped_once("pending futures at close");
        }
    }

    #[test]
    fn a_waiting_receive_future_is_released_by_close() {
        for kind in KINDS {
            let (tx, rx) = kind.make::<u8>();
            let mut receive = rx.recv_async();
            assert!(poll_once(&mut receive).is_pending(), "{kind:?}");
            assert!(tx.close());
            assert_eq!(poll_once(&mut receive), Poll::Ready(Err(RecvError)));
        }
    }

    /// Tasks sending and receiving on a tokio runtime while another task closes: the same
    /// accounting as the thread race.
    #[test]
    fn race_close_against_async_senders_and_receivers() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        const EACH: usize = 50;
        for round in 0..rounds(60) {
            let kind = KINDS[round % KINDS.len()];
            let ledger = Ledger::leak(2 * EACH);
            let (sent, refused, received) = runtime.block_on(async move {
                let (tx, rx) = kind.make::<Tracked>();
                let senders: Vec<_> = (0..2)
                    .map(|p| {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            let (mut sent, mut refused) = (Vec::new(), Vec::new());
                            for i in 0..EACH {
                                let id = p * EACH + i;
                                match tx.send_async(ledger.value(id)).await {
                                    Ok(()) => sent.push(id),
                                    Err(SendError(back)) => refused.push(back.id()),
                                }
                            }
                            (sent, refused)
                        })
                    })
                    .collect();
                let receivers: Vec<_> = (0..2)
                    .map(|_| {
                        let rx = rx.clone();
                        tokio::spawn(async move {
                            let mut got = Vec::new();
                            while let Ok(value) = rx.recv_async().await {
                                got.push(value.id());
                            }
                            got
                        })
                    })
                    .collect();
                tokio::task::yield_now().await;
                if round % 2 == 0 {
                    tx.close();
                } else {
                    rx.close();
                }
                drop((tx, rx));
                let (mut sent, mut refused, mut received) = (Vec::new(), Vec::new(), Vec::new());
                for s in senders {
                    let (s, r) = s.await.unwrap();
                    sent.extend(s);
                    refused.extend(r);
                }
                for r in receivers {
                    received.extend(r.await.unwrap());
                }
                (sent, refused, received)
            });
            let sent: HashSet<usize> = sent.into_iter().collect();
            let received_set: HashSet<usize> = received.iter().copied().collect();
            assert_eq!(
                received_set.len(),
                received.len(),
                "{kind:?}: a value twice"
            );
            assert_eq!(received_set, sent, "{kind:?}");
            assert_eq!(sent.len() + refused.len(), 2 * EACH, "{kind:?}");
            ledger.assert_all_dropped_once("async close race");
        }
    }
}
