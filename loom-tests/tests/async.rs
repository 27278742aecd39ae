//! The waker path of dualq's async channels (`channel/future.rs` on the engine's task waiters):
//! a future that parks leaves a waiter holding its waker, the partner decides the waiter with
//! one CAS and wakes whatever waker it finds, a re-poll replaces the waker under the waiter's
//! lock, and a dropped future withdraws with the same CAS a timeout uses.
//!
//! Futures are polled by hand with counting wakers (the counts are `std` atomics: loom does not
//! see them, so they add no scheduling point), or driven by `loom::future::block_on` where a
//! thread must wait. As everywhere in loom-tests, only spawned threads wait; the main thread
//! sends, receives without waiting, drops handles and joins.
#![cfg(loom)]

use dualq::channel::{bounded, rendezvous, unbounded, RecvError, RecvFut, SendError, TryRecvError};
use dualq_loom_tests::{model, outcome, spawn, ChannelSpec, Ends, RecordedChannel, Val, Values};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A waker that counts its wakes.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl Counter {
    fn new() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter::default());
        (Arc::clone(&counter), Waker::from(counter))
    }

    fn wakes(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

fn poll_with<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// A receive parks and its future is dropped while a sender delivers to it: the value must be
/// received exactly once in the end, whichever CAS wins (the sender's delivery: the dropped
/// receive hands it back to the front; the withdrawal: the sender moves on to the next cell).
/// Without one
/// CAS deciding between them, the value would be lost in the withdrawn waiter, or delivered
/// and also sent again (a double drop).
#[test]
fn wake_races_drop_of_pending_receive() {
    model(3, || {
        let values = Values::new(1);
        let (tx, rx) = unbounded::<Val>();
        let receiver = {
            let rx = rx.clone();
            spawn(move || {
                let (counter, waker) = Counter::new();
                let mut fut = rx.recv_async();
                let got = match poll_with(&mut fut, &waker) {
                    Poll::Ready(got) => Some(got.map(|v| v.id())),
                    Poll::Pending => None, // and dropped here
                };
                (got, counter)
            })
        };
        tx.send(values.make(0)).unwrap();
        let (got, counter) = receiver.join().unwrap();
        match got {
            Some(got) => {
                assert_eq!(got, Ok(0));
                assert_eq!(counter.wakes(), 0, "a ready future was woken");
                outcome("received at the first poll");
            }
            None => {
                // Withdrawn before the value came, or handed the value (and woken) and handed it
                // back to the front: either way it is in the channel now, once.
                assert_eq!(rx.try_recv().map(|v| v.id()), Ok(0));
                assert_eq!(rx.try_recv().map(|v| v.id()), Err(TryRecvError::Empty));
                outcome(match counter.wakes() {
                    0 => "withdrawn before the value came",
                    1 => "handed the value, dropped, handed it back",
                    n => panic!("woken {n} times"),
                });
            }
        }
        drop((tx, rx));
        values.assert_all_dropped_once();
    });
}

/// A parked receive is polled again with a new waker while a sender delivers to it: if the
/// second poll is still pending, the sender must wake the *new* waker (and not the old one),
/// or the task that now owns the future would never be woken; in every case it wakes exactly
/// one waker, once. Without the re-check of the
/// state after storing the waker (`Waiter::poll`), a delivery between the check and the store
/// would wake the old waker only: a lost wake-up.
#[test]
fn wake_races_repoll_with_a_new_waker() {
    model(3, || {
        let (tx, rx) = unbounded::<u8>();
        let receiver = {
            let rx = rx.clone();
            spawn(move || {
                let (old, old_waker) = Counter::new();
                let (new, new_waker) = Counter::new();
                let mut fut: RecvFut<'static, u8> = rx.into_recv_async();
                if let Poll::Ready(got) = poll_with(&mut fut, &old_waker) {
                    return (Some((1, got)), fut, old, new, new_waker);
                }
                let second = poll_with(&mut fut, &new_waker);
                let got = match second {
                    Poll::Ready(got) => Some((2, got)),
                    Poll::Pending => None,
                };
                (got, fut, old, new, new_waker)
            })
        };
        tx.send(7).unwrap();
        let (got, mut fut, old, new, new_waker) = receiver.join().unwrap();
        match got {
            Some((1, got)) => {
                // Served without parking: no waker was ever registered.
                assert_eq!(got, Ok(7));
                assert_eq!((old.wakes(), new.wakes()), (0, 0));
                outcome("ready at the first poll");
            }
            Some((_, got)) => {
                // The sender woke whichever waker was in place when it decided (the new one
                // if it came between the store and the re-check: a spurious wake, harmless).
                assert_eq!(got, Ok(7));
                assert_eq!(old.wakes() + new.wakes(), 1);
                outcome(if new.wakes() == 1 {
                    "ready at the second poll, new waker woken too"
                } else {
                    "ready at the second poll, old waker woken"
                });
            }
            None => {
                // The send came after the new waker was in place: it woke that one, only.
                assert_eq!((old.wakes(), new.wakes()), (0, 1));
                assert_eq!(poll_with(&mut fut, &new_waker), Poll::Ready(Ok(7)));
                outcome("woken through the new waker");
            }
        }
        drop(fut);
    });
}

/// A task waits in `recv_async` while the last sender is dropped: the drop comes before the
/// claim, between the claim and the parking of the waiter, or while it waits; in every case the
/// future must resolve to `Err(RecvError)`. A waiter parked just after the disconnection sweep
/// would never be woken (loom reports a deadlock).
#[test]
fn disconnection_races_pending_receive() {
    model(3, || {
        let (tx, rx) = unbounded::<u8>();
        let receiver = spawn(move || loom::future::block_on(rx.recv_async()));
        drop(tx);
        assert_eq!(receiver.join().unwrap(), Err(RecvError));
    });
}

/// A task waits in a rendezvous `send_async` while the last receiver is dropped: the future
/// must resolve to `Err(SendError(v))` with its own value, which the caller then drops once;
/// a lost wake-up shows as a deadlock, a value also dropped by the channel as a double drop.
#[test]
fn disconnection_races_pending_send() {
    model(3, || {
        let values = Values::new(1);
        let (tx, rx) = rendezvous::<Val>();
        let sender = {
            let v = values.make(0);
            spawn(move || match loom::future::block_on(tx.send_async(v)) {
                Err(SendError(v)) => v.id(),
                Ok(()) => panic!("a rendezvous send succeeded with no receiver"),
            })
        };
        drop(rx);
        assert_eq!(sender.join().unwrap(), 0);
        values.assert_all_dropped_once();
    });
}

/// A rendezvous send parks and its future is dropped while a receiver takes from it: the
/// value is either taken (the drop finds the send done and drops nothing) or withdrawn (dropped
/// with the future, never received). Both at once would be a double drop; neither, a leak.
#[test]
fn receive_races_drop_of_pending_send() {
    model(3, || {
        let values = Values::new(1);
        let (tx, rx) = rendezvous::<Val>();
        let sender = {
            let v = values.make(0);
            let tx = tx.clone();
            spawn(move || {
                let (_, waker) = Counter::new();
                let mut fut = tx.send_async(v);
                poll_with(&mut fut, &waker).is_ready()
                // dropped here if pending
            })
        };
        let got = rx.try_recv().map(|v| v.id());
        let ready = sender.join().unwrap();
        match got {
            Ok(id) => {
                assert_eq!(id, 0);
                outcome(if ready {
                    "taken, the send ready at its first poll"
                } else {
                    "taken from the parked send"
                });
            }
            Err(TryRecvError::Empty) => {
                assert!(!ready, "a rendezvous send was ready but nobody took it");
                outcome("withdrawn");
            }
            Err(TryRecvError::Disconnected) => panic!("the sender is still there"),
        }
        drop((tx, rx));
        values.assert_all_dropped_once();
    });
}

/// A task's receive is polled once and dropped (a `select!` that picked another branch) while
/// a sender sends two values. Whichever way the drop races the handoff (withdrawn before a
/// value came, or handed the first value and dropped), the history is checked against a
/// specification in which the dropped receive has no effect: a value handed to it is at the
/// front again, so the values are then received in the order they were sent, each once. The
/// teeth `13-hand-back-at-the-back` and `14-hand-back-drops-the-value` (the two ways the
/// channels used to do it: send it again behind later values, or drop it) are caught here.
#[test]
fn cancelled_receive_races_handoff() {
    for cap in [None, Some(2)] {
        model(2, move || {
            let values = Values::new(2);
            let (tx, rx) = match cap {
                None => unbounded::<Val>(),
                Some(n) => bounded::<Val>(n),
            };
            let h = RecordedChannel::new("cancelled receive", ChannelSpec::new(cap, 1, 2));
            let task = h.spawn(1, Ends::receiver(rx.clone()), |rec| {
                let got = rec.recv_async_once().map(|r| r.map(|v| v.id()));
                rec.drop_receiver();
                got
            });
            // Sends on these channels never wait here (at most two values, room for two), so
            // the main thread makes them.
            let mut main = h.thread(0, Ends::sender(tx));
            main.send(values.make(0)).expect("a receiver is alive");
            main.send(values.make(1)).expect("a receiver is alive");
            main.drop_sender();
            drop(main);
            let got = task.join();
            let drained: Vec<usize> = h.check(Ends::receiver(rx)).iter().map(Val::id).collect();
            match got {
                Some(got) => {
                    assert_eq!(got, Ok(0));
                    assert_eq!(drained, [1]);
                    outcome("received at the first poll");
                }
                None => {
                    assert_eq!(drained, [0, 1], "the dropped receive lost or reordered a value");
                    outcome("dropped; both values received after it, in order");
                }
            }
            values.assert_all_dropped_once();
        });
    }
}
