//! Behaviours of std's `sync::mpsc` test suite, re-expressed for dualq.
//!
//! std's suite (its `channel` and `sync_channel` tests) checks what every user of a channel
//! relies on: values arrive in order, a dropped end is noticed by the other, nothing blocks
//! forever once the other side is gone, timeouts time out, iterators end. The same behaviours
//! are checked here in our own words, against both of dualq's flavors wherever the behaviour
//! makes sense for both: `unbounded` stands in for std's `channel`, `rendezvous` for
//! `sync_channel(0)`. Tests that would block a single thread on a rendezvous send run the
//! send on a second thread instead. Behaviours that only concern std's internals (its
//! flavor upgrades, its runtime) become the nearest user-visible behaviour.
//!
//! Stress loops run a few hundred to a few thousand rounds; `DUALQ_LONG=1` runs ten times as
//! many.

mod chan_support;

use chan_support::{
    assert_still_blocked, join, rounds, spawn_blocked, Flavor, Ledger, Tracked, FLAVORS,
};
use dualq::channel::{
    rendezvous, unbounded, RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError,
};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

const GRACE: Duration = Duration::from_millis(30);

// ------------------------------------------------------------------------------------------
// Smoke tests

#[test]
fn smoke() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        thread::scope(|s| {
            s.spawn(|| tx.send(1).unwrap());
            assert_eq!(rx.recv(), Ok(1), "{flavor:?}");
        });
    }
}

#[test]
fn smoke_single_thread_unbounded() {
    let (tx, rx) = unbounded();
    tx.send(1).unwrap();
    assert_eq!(rx.recv(), Ok(1));
}

#[test]
fn smoke_unit_values() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<()>();
        thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..100 {
                    tx.send(()).unwrap();
                }
            });
            for _ in 0..100 {
                assert_eq!(rx.recv(), Ok(()));
            }
        });
        drop(tx);
        assert_eq!(rx.recv(), Err(RecvError));
    }
}

#[test]
fn smoke_shared() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let tx2 = tx.clone();
        thread::scope(|s| {
            s.spawn(|| tx.send(1).unwrap());
            assert_eq!(rx.recv(), Ok(1));
            s.spawn(|| tx2.send(2).unwrap());
            assert_eq!(rx.recv(), Ok(2));
        });
    }
}

#[test]
fn smoke_threads() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let sender = thread::spawn(move || {
            for i in 0..10 {
                tx.send(i).unwrap();
            }
        });
        for i in 0..10 {
            assert_eq!(rx.recv(), Ok(i), "{flavor:?}");
        }
        join(sender);
        assert_eq!(rx.recv(), Err(RecvError));
    }
}

#[test]
fn smoke_port_gone() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        drop(rx);
        assert_eq!(tx.send(1), Err(SendError(1)), "{flavor:?}");
    }
}

#[test]
fn smoke_shared_port_gone() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let tx2 = tx.clone();
        drop(rx);
        assert_eq!(tx.send(1), Err(SendError(1)));
        assert_eq!(tx2.send(2), Err(SendError(2)));
    }
}

#[test]
fn smoke_shared_port_gone2() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        drop(rx);
        let tx2 = tx.clone();
        drop(tx);
        assert_eq!(tx2.send(1), Err(SendError(1)), "{flavor:?}");
    }
}

#[test]
fn port_gone_concurrent() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let receiver = thread::spawn(move || {
            rx.recv().unwrap();
        });
        // Once the receiver has taken one value and gone, sending fails: the loop ends.
        let mut sent = 0usize;
        while tx.send(1).is_ok() {
            sent += 1;
        }
        assert!(sent >= 1, "{flavor:?}: the receiver's value was never sent");
        if flavor == Flavor::Rendezvous {
            assert_eq!(
                sent, 1,
                "a rendezvous send succeeded with nobody to take it"
            );
        }
        join(receiver);
    }
}

#[test]
fn port_gone_concurrent_shared() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let tx2 = tx.clone();
        let receiver = thread::spawn(move || {
            rx.recv().unwrap();
        });
        let mut sent = 0usize;
        while tx.send(1).is_ok() && tx2.send(2).is_ok() {
            sent += 1;
        }
        assert_eq!(tx.send(3), Err(SendError(3)));
        assert_eq!(tx2.send(4), Err(SendError(4)));
        if flavor == Flavor::Rendezvous {
            assert_eq!(sent, 0, "only one value could be taken");
        }
        join(receiver);
    }
}

#[test]
fn smoke_chan_gone() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        drop(tx);
        assert_eq!(rx.recv(), Err(RecvError), "{flavor:?}");
    }
}

#[test]
fn smoke_chan_gone_shared() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<()>();
        let tx2 = tx.clone();
        thread::scope(|s| {
            s.spawn(|| tx.send(()).unwrap());
            s.spawn(|| tx2.send(()).unwrap());
            assert_eq!(rx.recv(), Ok(()));
            assert_eq!(rx.recv(), Ok(()));
        });
        drop((tx, tx2));
        assert_eq!(rx.recv(), Err(RecvError), "{flavor:?}");
    }
}

#[test]
fn chan_gone_concurrent() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(1).unwrap();
        });
        let mut got = 0;
        while rx.recv().is_ok() {
            got += 1;
        }
        assert_eq!(got, 2, "{flavor:?}");
        join(sender);
    }
}

// ------------------------------------------------------------------------------------------
// Stress

#[test]
fn stress() {
    for flavor in FLAVORS {
        let n = rounds(10_000);
        let (tx, rx) = flavor.channel();
        let sender = thread::spawn(move || {
            for i in 0..n {
                tx.send(i).unwrap();
            }
        });
        for i in 0..n {
            assert_eq!(rx.recv(), Ok(i));
        }
        join(sender);
        assert_eq!(rx.recv(), Err(RecvError));
    }
}

#[test]
fn stress_shared() {
    const SENDERS: usize = 8;
    for flavor in FLAVORS {
        let per_sender = rounds(1_000);
        let (tx, rx) = flavor.channel::<usize>();
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let tx = tx.clone();
                thread::spawn(move || {
                    for _ in 0..per_sender {
                        tx.send(s).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let mut counts = [0usize; SENDERS];
        for _ in 0..SENDERS * per_sender {
            counts[rx.recv().unwrap()] += 1;
        }
        for s in senders {
            join(s);
        }
        assert_eq!(counts, [per_sender; SENDERS], "{flavor:?}");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }
}

/// Not in std (its receiver cannot be cloned): the same with several receivers.
#[test]
fn stress_shared_many_receivers() {
    const SENDERS: usize = 4;
    const RECEIVERS: usize = 4;
    for flavor in FLAVORS {
        let per_sender = rounds(1_000);
        let (tx, rx) = flavor.channel::<usize>();
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let tx = tx.clone();
                thread::spawn(move || {
                    for _ in 0..per_sender {
                        tx.send(s).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let receivers: Vec<_> = (0..RECEIVERS)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || {
                    let mut counts = [0usize; SENDERS];
                    for s in rx.iter() {
                        counts[s] += 1;
                    }
                    counts
                })
            })
            .collect();
        drop(rx);
        for s in senders {
            join(s);
        }
        let mut totals = [0usize; SENDERS];
        for r in receivers {
            for (total, n) in totals.iter_mut().zip(join(r)) {
                *total += n;
            }
        }
        assert_eq!(totals, [per_sender; SENDERS], "{flavor:?}");
    }
}

#[test]
fn send_from_outside_and_recv_from_outside() {
    // std: a value sent from the main thread to a spawned one, and the other way round.
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        let receiver = thread::spawn(move || (0..1000).map(|_| rx.recv().unwrap()).sum::<i32>());
        for _ in 0..1000 {
            tx.send(1).unwrap();
        }
        assert_eq!(join(receiver), 1000);

        let (tx, rx) = flavor.channel::<i32>();
        let sender = thread::spawn(move || {
            for _ in 0..1000 {
                tx.send(1).unwrap();
            }
        });
        assert_eq!((0..1000).map(|_| rx.recv().unwrap()).sum::<i32>(), 1000);
        join(sender);
    }
}

#[test]
fn no_runtime_ping_pong_between_threads() {
    for flavor in FLAVORS {
        let (tx1, rx1) = flavor.channel::<i32>();
        let (tx2, rx2) = flavor.channel::<i32>();
        let a = thread::spawn(move || {
            assert_eq!(rx1.recv(), Ok(1));
            tx2.send(2).unwrap();
        });
        let b = thread::spawn(move || {
            tx1.send(1).unwrap();
            assert_eq!(rx2.recv(), Ok(2));
        });
        join(a);
        join(b);
    }
}

// ------------------------------------------------------------------------------------------
// Oneshot: one value, one thread or two

#[test]
fn oneshot_single_thread_close_port_first() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        drop(rx);
        drop(tx);
    }
}

#[test]
fn oneshot_single_thread_close_chan_first() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        drop(tx);
        drop(rx);
    }
}

#[test]
fn oneshot_single_thread_send_port_close() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<Box<i32>>();
        drop(rx);
        let SendError(back) = tx.send(Box::new(0)).unwrap_err();
        assert_eq!(*back, 0, "{flavor:?}");
    }
}

#[test]
fn oneshot_single_thread_recv_chan_close() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        drop(tx);
        assert_eq!(rx.recv(), Err(RecvError));
        // Asking again gives the same answer.
        assert_eq!(rx.recv(), Err(RecvError));
    }
}

#[test]
fn oneshot_single_thread_send_then_recv() {
    let (tx, rx) = unbounded::<Box<i32>>();
    tx.send(Box::new(10)).unwrap();
    assert_eq!(rx.recv().map(|b| *b), Ok(10));
}

#[test]
fn oneshot_single_thread_try_send_open() {
    let (tx, rx) = unbounded();
    assert_eq!(tx.try_send(10), Ok(()));
    assert_eq!(rx.recv(), Ok(10));
    // A rendezvous channel has no room: with no receiver waiting, the value comes back.
    let (tx, _rx) = rendezvous();
    assert_eq!(tx.try_send(10), Err(TrySendError::Full(10)));
}

#[test]
fn oneshot_single_thread_try_send_closed() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        drop(rx);
        assert_eq!(tx.try_send(10), Err(TrySendError::Disconnected(10)));
    }
}

#[test]
fn oneshot_single_thread_try_recv_open() {
    let (tx, rx) = unbounded();
    tx.send(10).unwrap();
    assert_eq!(rx.try_recv(), Ok(10));
}

#[test]
fn oneshot_single_thread_try_recv_closed() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        drop(tx);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }
}

#[test]
fn oneshot_single_thread_try_recv_closed_with_data() {
    let (tx, rx) = unbounded();
    tx.send(10).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(10));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn oneshot_single_thread_peek_data() {
    let (tx, rx) = unbounded();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(10).unwrap();
    assert_eq!(rx.try_recv(), Ok(10));
}

#[test]
fn oneshot_single_thread_peek_close() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        drop(tx);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }
}

#[test]
fn oneshot_single_thread_peek_open() {
    for flavor in FLAVORS {
        let (_tx, rx) = flavor.channel::<i32>();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}

#[test]
fn oneshot_multi_task_recv_then_send() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<Box<i32>>();
        let receiver = spawn_blocked(move || rx.recv().map(|b| *b));
        tx.send(Box::new(10)).unwrap();
        assert_eq!(join(receiver), Ok(10), "{flavor:?}");
    }
}

#[test]
fn oneshot_multi_task_recv_then_close() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<Box<i32>>();
        let receiver = spawn_blocked(move || rx.recv().map(|b| *b));
        drop(tx);
        assert_eq!(join(receiver), Err(RecvError), "{flavor:?}");
    }
}

#[test]
fn oneshot_multi_thread_close_stress() {
    for flavor in FLAVORS {
        for _ in 0..rounds(500) {
            let (tx, rx) = flavor.channel::<i32>();
            let t = thread::spawn(move || drop(rx));
            drop(tx);
            join(t);
        }
    }
}

#[test]
fn oneshot_multi_thread_send_close_stress() {
    for flavor in FLAVORS {
        for _ in 0..rounds(500) {
            let (tx, rx) = flavor.channel::<i32>();
            let t = thread::spawn(move || drop(rx));
            let result = tx.send(1);
            // Nobody ever receives: a rendezvous send can only fail (after the drop); an
            // unbounded one may succeed first.
            if flavor == Flavor::Rendezvous {
                assert_eq!(result, Err(SendError(1)));
            }
            join(t);
            assert_eq!(tx.send(2), Err(SendError(2)));
        }
    }
}

#[test]
fn oneshot_multi_thread_recv_close_stress() {
    for flavor in FLAVORS {
        for _ in 0..rounds(500) {
            let (tx, rx) = flavor.channel::<i32>();
            let receiver = thread::spawn(move || rx.recv());
            let closer = thread::spawn(move || drop(tx));
            assert_eq!(join(receiver), Err(RecvError), "{flavor:?}");
            join(closer);
        }
    }
}

#[test]
fn oneshot_multi_thread_send_recv_stress() {
    for flavor in FLAVORS {
        for _ in 0..rounds(500) {
            let (tx, rx) = flavor.channel::<Box<i32>>();
            let sender = thread::spawn(move || tx.send(Box::new(10)));
            let receiver = thread::spawn(move || rx.recv().map(|b| *b));
            assert_eq!(join(receiver), Ok(10), "{flavor:?}");
            assert_eq!(join(sender), Ok(()));
        }
    }
}

#[test]
fn stream_send_recv_stress() {
    // std passes the rest of a stream from thread to thread; here a relay of threads, each
    // forwarding the values it receives to the next channel.
    for flavor in FLAVORS {
        let n = rounds(2_000);
        let (first_tx, mut rx) = flavor.channel::<Box<usize>>();
        let mut relays = Vec::new();
        for _ in 0..4 {
            let (tx, next_rx) = flavor.channel();
            let input = rx;
            relays.push(thread::spawn(move || {
                for v in input {
                    tx.send(v).unwrap();
                }
            }));
            rx = next_rx;
        }
        let feeder = thread::spawn(move || {
            for i in 0..n {
                first_tx.send(Box::new(i)).unwrap();
            }
        });
        for i in 0..n {
            assert_eq!(rx.recv().map(|b| *b), Ok(i), "{flavor:?}");
        }
        join(feeder);
        for r in relays {
            join(r);
        }
        assert_eq!(rx.recv(), Err(RecvError));
    }
}

// ------------------------------------------------------------------------------------------
// Timeouts

#[test]
fn oneshot_single_thread_recv_timeout() {
    let (tx, rx) = unbounded();
    tx.send(()).unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Ok(()));
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Timeout)
    );
    tx.send(()).unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Ok(()));
}

#[test]
fn stress_recv_timeout_two_threads() {
    for flavor in FLAVORS {
        let n = rounds(1_000);
        let (tx, rx) = flavor.channel();
        let sender = thread::spawn(move || {
            for i in 0..n {
                if i % 100 == 0 {
                    thread::sleep(Duration::from_millis(2));
                }
                tx.send(1usize).unwrap();
            }
        });
        let mut received = 0;
        let mut timeouts = 0;
        loop {
            match rx.recv_timeout(Duration::from_millis(1)) {
                Ok(v) => received += v,
                Err(RecvTimeoutError::Timeout) => timeouts += 1,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        join(sender);
        assert_eq!(received, n, "{flavor:?} ({timeouts} timeouts)");
    }
}

#[test]
fn recv_timeout_then_more_senders() {
    // std: a timed-out receive followed by cloning the sender (which upgrades std's channel)
    // must keep working. Here: the same sequence, and the clone is a full sender.
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(1)),
            Err(RecvTimeoutError::Timeout)
        );
        let tx2 = tx.clone();
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(1)),
            Err(RecvTimeoutError::Timeout)
        );
        thread::scope(|s| {
            s.spawn(|| tx2.send(5).unwrap());
            assert_eq!(rx.recv_timeout(Duration::from_secs(20)), Ok(5));
        });
        drop(tx);
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(1)),
            Err(RecvTimeoutError::Timeout),
            "a clone remains"
        );
        drop(tx2);
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(1)),
            Err(RecvTimeoutError::Disconnected)
        );
    }
}

#[test]
fn stress_recv_timeout_shared() {
    const SENDERS: usize = 4;
    for flavor in FLAVORS {
        let per_sender = rounds(500);
        let (tx, rx) = flavor.channel::<usize>();
        let senders: Vec<_> = (0..SENDERS)
            .map(|_| {
                let tx = tx.clone();
                thread::spawn(move || {
                    for i in 0..per_sender {
                        if i % 100 == 0 {
                            thread::sleep(Duration::from_millis(1));
                        }
                        tx.send(1).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let mut received = 0;
        loop {
            match rx.recv_timeout(Duration::from_millis(1)) {
                Ok(v) => received += v,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        for s in senders {
            join(s);
        }
        assert_eq!(received, SENDERS * per_sender, "{flavor:?}");
    }
}

#[test]
fn very_long_recv_timeout_wont_panic() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<()>();
        let receiver = spawn_blocked(move || rx.recv_timeout(Duration::from_secs(u64::MAX)));
        tx.send(()).unwrap();
        assert_eq!(join(receiver), Ok(()), "{flavor:?}");
    }
}

#[test]
fn recv_a_lot() {
    let n = rounds(10_000);
    let (tx, rx) = unbounded();
    for _ in 0..n {
        tx.send(()).unwrap();
    }
    for _ in 0..n {
        rx.recv().unwrap();
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn shared_recv_timeout() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel();
        let total = 5;
        let senders: Vec<_> = (0..total)
            .map(|_| {
                let tx = tx.clone();
                thread::spawn(move || tx.send(()).unwrap())
            })
            .collect();
        for _ in 0..total {
            rx.recv().unwrap();
        }
        for s in senders {
            join(s);
        }
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(1)),
            Err(RecvTimeoutError::Timeout)
        );
        thread::scope(|s| {
            s.spawn(|| tx.send(()).unwrap());
            assert_eq!(rx.recv_timeout(Duration::from_secs(20)), Ok(()));
        });
    }
}

#[test]
fn shared_chan_stress() {
    for flavor in FLAVORS {
        let threads = 8;
        let (tx, rx) = flavor.channel();
        let senders: Vec<_> = (0..threads)
            .map(|_| {
                let tx = tx.clone();
                thread::spawn(move || tx.send(()).unwrap())
            })
            .collect();
        for _ in 0..threads {
            rx.recv().unwrap();
        }
        for s in senders {
            join(s);
        }
    }
}

// ------------------------------------------------------------------------------------------
// Iterators

#[test]
fn test_nested_recv_iter() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        let (total_tx, total_rx) = flavor.channel::<i32>();
        let summer = thread::spawn(move || {
            let mut acc = 0;
            for x in rx.iter() {
                acc += x;
            }
            total_tx.send(acc).unwrap();
        });
        for _ in 0..3 {
            tx.send(2).unwrap();
        }
        drop(tx);
        assert_eq!(total_rx.recv(), Ok(6), "{flavor:?}");
        join(summer);
    }
}

#[test]
fn test_recv_iter_break() {
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        let (count_tx, count_rx) = flavor.channel();
        let counter = thread::spawn(move || {
            let mut count = 0;
            for x in rx.iter() {
                if count >= 4 {
                    break;
                }
                count += x;
            }
            count_tx.send(count).unwrap();
            // `rx` is dropped when the thread ends.
        });
        // The counter takes values until it has seen 4, then one more and stops.
        let mut sent = 0;
        while tx.send(2).is_ok() {
            sent += 1;
            if sent == 3 {
                break;
            }
        }
        assert_eq!(count_rx.recv(), Ok(4), "{flavor:?}");
        join(counter);
        // The counter has gone: the channel is closed on its side.
        assert_eq!(tx.send(2), Err(SendError(2)));
    }
}

#[test]
fn test_recv_try_iter() {
    // A worker answers each request with a response; the main thread collects answers with
    // `try_iter` as they become ready, until all have come.
    for flavor in FLAVORS {
        let (request_tx, request_rx) = flavor.channel::<i32>();
        let (response_tx, response_rx) = unbounded::<i32>();
        let worker = thread::spawn(move || {
            for r in request_rx.iter() {
                response_tx.send(r * 10).unwrap();
            }
        });
        let mut answers = Vec::new();
        for r in 1..=5 {
            request_tx.send(r).unwrap();
            // Wait for one answer, then take whatever else is ready without blocking.
            answers.push(response_rx.recv().unwrap());
            answers.extend(response_rx.try_iter());
        }
        drop(request_tx);
        join(worker);
        answers.extend(response_rx.try_iter());
        assert_eq!(answers, [10, 20, 30, 40, 50], "{flavor:?}");
        assert_eq!(response_rx.try_iter().next(), None);
    }
}

#[test]
fn test_recv_into_iter_owned() {
    let mut iter = {
        let (tx, rx) = unbounded();
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        rx.into_iter()
    };
    assert_eq!(iter.next(), Some(1));
    assert_eq!(iter.next(), Some(2));
    assert_eq!(iter.next(), None);
}

#[test]
fn test_recv_into_iter_borrowed() {
    let (tx, rx) = unbounded();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    drop(tx);
    let mut iter = (&rx).into_iter();
    assert_eq!(iter.next(), Some(1));
    assert_eq!(iter.next(), Some(2));
    assert_eq!(iter.next(), None);
}

#[test]
fn test_recv_into_iter_rendezvous() {
    let (tx, rx) = rendezvous();
    let sender = thread::spawn(move || {
        tx.send(1).unwrap();
        tx.send(2).unwrap();
    });
    assert_eq!(rx.into_iter().collect::<Vec<_>>(), [1, 2]);
    join(sender);
}

// ------------------------------------------------------------------------------------------
// State sequences

#[test]
fn try_recv_states() {
    // The other thread moves through the states step by step on our signal: empty, one value
    // ready, then gone.
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<i32>();
        let (go_tx, go_rx) = unbounded::<()>();
        let (done_tx, done_rx) = unbounded::<()>();
        let stepper = thread::spawn(move || {
            go_rx.recv().unwrap();
            // Unbounded: the value is in the channel before `done`. Rendezvous: the send blocks
            // until we take it, so `done` comes after.
            if flavor == Flavor::Unbounded {
                tx.send(1).unwrap();
                done_tx.send(()).unwrap();
            } else {
                done_tx.send(()).unwrap();
                tx.send(1).unwrap();
            }
            go_rx.recv().unwrap();
            drop(tx);
            done_tx.send(()).unwrap();
        });
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        go_tx.send(()).unwrap();
        done_rx.recv().unwrap();
        // The value is ready (for rendezvous, once the sender is blocked in send).
        let got = loop {
            match rx.try_recv() {
                Err(TryRecvError::Empty) if flavor == Flavor::Rendezvous => thread::yield_now(),
                other => break other,
            }
        };
        assert_eq!(got, Ok(1), "{flavor:?}");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        go_tx.send(()).unwrap();
        done_rx.recv().unwrap();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        join(stepper);
    }
}

#[test]
fn destroy_shared_port_when_sender_still_active() {
    // std: a receiver blocked while a sender is cloned and the clone dropped again must still
    // get the original sender's value, and must not see a disconnection.
    for flavor in FLAVORS {
        let (tx, rx) = flavor.channel::<()>();
        let receiver = spawn_blocked(move || rx.recv());
        let tx2 = tx.clone();
        drop(tx2);
        assert_still_blocked(&receiver, GRACE, "recv after a clone was dropped");
        tx.send(()).unwrap();
        assert_eq!(join(receiver), Ok(()), "{flavor:?}");
    }
}

#[test]
fn issue_32114_send_fails_on_a_receiverless_channel_every_time() {
    for flavor in FLAVORS {
        let (tx, _) = flavor.channel();
        assert_eq!(tx.send(123), Err(SendError(123)));
        assert_eq!(tx.send(123), Err(SendError(123)), "{flavor:?}");
    }
}

// ------------------------------------------------------------------------------------------
// From std's `sync_channel(0)` tests: rendezvous only

#[test]
fn rendezvous_send1_receiver_gone_in_another_thread() {
    let (tx, rx) = rendezvous::<i32>();
    let t = thread::spawn(move || drop(rx));
    assert_eq!(tx.send(1), Err(SendError(1)));
    join(t);
}

#[test]
fn rendezvous_send2_receiver_takes_it() {
    let (tx, rx) = rendezvous::<i32>();
    let t = thread::spawn(move || rx.recv());
    assert_eq!(tx.send(1), Ok(()));
    assert_eq!(join(t), Ok(1));
}

#[test]
fn rendezvous_send4_two_senders_receiver_gone() {
    let (tx, rx) = rendezvous::<i32>();
    let tx2 = tx.clone();
    let barrier = Arc::new(Barrier::new(3));
    let senders: Vec<_> = [tx, tx2]
        .into_iter()
        .map(|tx| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                tx.send(1)
            })
        })
        .collect();
    barrier.wait();
    drop(rx);
    for s in senders {
        assert_eq!(join(s), Err(SendError(1)));
    }
}

#[test]
fn rendezvous_try_send1() {
    let (tx, _rx) = rendezvous::<i32>();
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
}

#[test]
fn rendezvous_issue_15761_repeated_request_response() {
    // A server answers each request over a rendezvous channel while the client keeps asking;
    // repeated many times, no round may hang.
    for _ in 0..rounds(100) {
        let (req_tx, req_rx) = rendezvous::<()>();
        let (resp_tx, resp_rx) = rendezvous::<()>();
        let server = thread::spawn(move || {
            for _ in 0..100 {
                req_rx.recv().unwrap();
                resp_tx.send(()).unwrap();
            }
        });
        for _ in 0..100 {
            req_tx.send(()).unwrap();
            resp_rx.recv().unwrap();
        }
        join(server);
    }
}

#[test]
fn rendezvous_recv_timeout_with_a_late_sender() {
    let (tx, rx) = rendezvous::<i32>();
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Timeout)
    );
    let sender = thread::spawn(move || tx.send(1));
    assert_eq!(rx.recv_timeout(Duration::from_secs(20)), Ok(1));
    assert_eq!(join(sender), Ok(()));
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Disconnected)
    );
}

// ------------------------------------------------------------------------------------------
// Drops: std checks that nothing leaks; here every value counts its drops.

#[test]
fn drop_full() {
    let ledger = Ledger::leak(1);
    let (tx, rx) = unbounded::<Tracked>();
    tx.send(ledger.value(0)).unwrap();
    drop((tx, rx));
    ledger.assert_all_dropped_once("drop full");
}

#[test]
fn drop_full_shared() {
    let ledger = Ledger::leak(2);
    let (tx, rx) = unbounded::<Tracked>();
    let tx2 = tx.clone();
    tx.send(ledger.value(0)).unwrap();
    tx2.send(ledger.value(1)).unwrap();
    drop((tx, tx2));
    assert_eq!(ledger.total(), 0, "values dropped before the receiver went");
    drop(rx);
    ledger.assert_all_dropped_once("drop full shared");
}

#[test]
fn drop_stress_values_each_dropped_once() {
    for flavor in FLAVORS {
        let n = rounds(2_000);
        let ledger = Ledger::leak(n);
        let (tx, rx) = flavor.channel::<Tracked>();
        let sender = {
            thread::spawn(move || {
                for id in 0..n {
                    tx.send(ledger.value(id)).unwrap();
                }
            })
        };
        for id in 0..n / 2 {
            assert_eq!(rx.recv().map(|v| v.id()), Ok(id));
        }
        match flavor {
            // The rest waits in the channel and is dropped with the receiver.
            Flavor::Unbounded => {
                join(sender);
                drop(rx);
            }
            // The rest is taken one by one (the sender waits for each).
            Flavor::Rendezvous => {
                assert_eq!(rx.iter().count(), n - n / 2);
                join(sender);
            }
        }
        ledger.assert_all_dropped_once("drop stress values each dropped once");
    }
}
