//! Synchronous handoff on both structures: `transfer`, `try_transfer`, `transfer_timeout`,
//! `transfer_deadline`. Each scenario is written once, generic over [`Dual`], and instantiated
//! as `queue::<name>` and `stack::<name>`. Long versions: `DUALQ_LONG=1`.

mod common;

use common::scenarios::{self, Offer, Stress};
use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// `try_transfer` with nobody waiting gives the value back and leaves nothing behind, also when
/// the structure already holds data (which is not a consumer).
fn try_transfer_without_a_waiting_consumer_gives_the_value_back<Q: Census<usize>>() {
    let q = Q::default();
    assert_eq!(q.try_transfer(1), Err(1));
    assert_quiescent(&q, "after a failed try_transfer");
    assert_eq!(q.try_pop(), None);
    q.push(2);
    assert_eq!(
        q.try_transfer(3),
        Err(3),
        "try_transfer treated data as a consumer"
    );
    assert_eq!(q.len(), 1, "try_transfer enqueued its value");
    assert_eq!(q.waiting_producers(), 0);
    assert_eq!(q.try_pop(), Some(2));
    assert_eq!(
        q.try_pop(),
        None,
        "a failed try_transfer left its value inside"
    );
    assert_quiescent(&q, "at the end");
}

/// `try_transfer` hands the value to a consumer already blocked in `pop`, and `transfer` to a
/// waiting consumer returns at once; both leave nothing behind.
fn transfer_to_a_waiting_consumer_completes_at_once<Q: Census<usize>>() {
    let _w = watchdog("transfer_to_a_waiting_consumer", Duration::from_secs(60));
    let q = Q::default();
    thread::scope(|s| {
        for (v, how) in [
            "try_transfer",
            "transfer",
            "transfer_timeout",
            "transfer_deadline",
        ]
        .into_iter()
        .enumerate()
        {
            let consumer = s.spawn(|| q.pop());
            wait_until(PATIENCE, "the consumer is linked", || {
                q.has_waiting_consumer()
            });
            let start = Instant::now();
            let result = match how {
                "try_transfer" => q.try_transfer(v),
                "transfer" => {
                    q.transfer(v);
                    Ok(())
                }
                "transfer_timeout" => q.transfer_timeout(v, Duration::from_secs(60)),
                _ => q.transfer_deadline(v, Instant::now() + Duration::from_secs(60)),
            };
            assert_eq!(result, Ok(()), "{how} to a waiting consumer failed");
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "{how} to a waiting consumer took {:?}",
                start.elapsed()
            );
            assert_eq!(
                consumer.join().unwrap(),
                v,
                "{how}: the consumer got another value"
            );
            assert_quiescent(&q, how);
        }
    });
}

/// A deadline that has passed when `transfer_deadline` / `transfer_timeout(0)` is called acts
/// like `try_transfer`: handed over if a consumer waits, else given back without waiting.
fn expired_deadline_acts_like_try_transfer<Q: Census<usize>>() {
    let _w = watchdog(
        "expired_deadline_acts_like_try_transfer",
        Duration::from_secs(60),
    );
    let q = Q::default();
    assert_eq!(q.transfer_deadline(1, Instant::now()), Err(1));
    assert_eq!(q.transfer_timeout(2, Duration::ZERO), Err(2));
    assert_quiescent(&q, "after expired transfers");
    thread::scope(|s| {
        let consumer = s.spawn(|| q.pop());
        wait_until(PATIENCE, "the consumer is linked", || {
            q.has_waiting_consumer()
        });
        assert_eq!(q.transfer_deadline(3, Instant::now()), Ok(()));
        assert_eq!(consumer.join().unwrap(), 3);
        let consumer = s.spawn(|| q.pop());
        wait_until(PATIENCE, "the consumer is linked", || {
            q.has_waiting_consumer()
        });
        assert_eq!(q.transfer_timeout(4, Duration::ZERO), Ok(()));
        assert_eq!(consumer.join().unwrap(), 4);
    });
    assert_quiescent(&q, "at the end");
}

/// `transfer` (and its timed forms with long timeouts) does not return while nobody has taken
/// the value, and returns within a second once someone has.
fn transfer_returns_only_once_the_value_is_taken<Q: Census<usize>>() {
    let _w = watchdog("transfer_returns_only_once_taken", Duration::from_secs(60));
    let q = Q::default();
    let returned = AtomicBool::new(false);
    thread::scope(|s| {
        for (v, how) in ["transfer", "transfer_timeout", "transfer_deadline"]
            .into_iter()
            .enumerate()
        {
            returned.store(false, Ordering::SeqCst);
            let (q, returned) = (&q, &returned);
            let producer = s.spawn(move || {
                let result = match how {
                    "transfer" => {
                        q.transfer(v);
                        Ok(())
                    }
                    "transfer_timeout" => q.transfer_timeout(v, Duration::from_secs(60)),
                    _ => q.transfer_deadline(v, Instant::now() + Duration::from_secs(60)),
                };
                returned.store(true, Ordering::SeqCst);
                result
            });
            wait_until(PATIENCE, "the producer is linked", || {
                q.waiting_producers() == 1
            });
            thread::sleep(Duration::from_millis(200));
            assert!(
                !returned.load(Ordering::SeqCst),
                "{how} returned although nobody took its value"
            );
            assert_eq!(q.len(), 1);
            let taken_at = Instant::now();
            assert_eq!(q.pop(), v);
            wait_until(Duration::from_secs(1), "the producer returns", || {
                returned.load(Ordering::SeqCst)
            });
            assert!(taken_at.elapsed() < Duration::from_secs(1));
            assert_eq!(producer.join().unwrap(), Ok(()), "{how} reported a failure");
            assert_quiescent(q, how);
        }
    });
}

/// A timed-out `transfer_timeout` gives the value back after its timeout, and the value never
/// arrives later: not for a later `try_pop`, nor for a waiting consumer; values pushed before it
/// stay.
fn timed_out_transfer_is_never_delivered<Q: Census<usize>>() {
    let _w = watchdog(
        "timed_out_transfer_is_never_delivered",
        Duration::from_secs(60),
    );
    let q = Q::default();
    let d = Duration::from_millis(50);
    let start = Instant::now();
    assert_eq!(q.transfer_timeout(1, d), Err(1));
    assert!(
        start.elapsed() >= d,
        "transfer_timeout gave up after {:?}",
        start.elapsed()
    );
    assert_eq!(q.try_pop(), None, "the withdrawn value was still delivered");
    assert_eq!(q.pop_timeout(Duration::from_millis(20)), None);
    assert_quiescent(&q, "after a timed-out transfer");

    let deadline = Instant::now() + d;
    assert_eq!(q.transfer_deadline(2, deadline), Err(2));
    assert!(
        Instant::now() >= deadline,
        "transfer_deadline gave up early"
    );
    assert_quiescent(&q, "after a timed-out transfer_deadline");

    // Behind (queue) or on top of (stack) data nobody takes.
    q.push(10);
    q.push(11);
    assert_eq!(q.transfer_timeout(3, Duration::from_millis(20)), Err(3));
    assert_eq!(q.len(), 2);
    assert_eq!(q.waiting_producers(), 0);
    let mut rest = vec![q.try_pop().unwrap(), q.try_pop().unwrap()];
    rest.sort_unstable();
    assert_eq!(rest, vec![10, 11], "the withdrawn value was delivered");
    assert_quiescent(&q, "at the end");

    // A consumer that arrives after the timeout gets nothing.
    assert_eq!(q.transfer_timeout(4, Duration::from_millis(10)), Err(4));
    thread::scope(|s| {
        let consumer = s.spawn(|| q.pop_timeout(Duration::from_millis(100)));
        assert_eq!(consumer.join().unwrap(), None);
    });
    assert_quiescent(&q, "after the late consumer");
}

/// `K` consumers blocked one after another are served in order (queue: oldest first; stack:
/// newest first) by the transfer family.
fn transfers_serve_waiting_consumers_in_order<Q: Census<usize>>() {
    const K: usize = 8;
    let _w = watchdog(
        "transfers_serve_waiting_consumers_in_order",
        Duration::from_secs(60),
    );
    let q = Q::default();
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| {
        for k in 0..K {
            let (q, tx) = (&q, tx.clone());
            s.spawn(move || tx.send((k, q.pop())).unwrap());
            wait_until(PATIENCE, "the consumer is linked", || {
                q.waiting_consumers() == k + 1
            });
        }
        for (v, consumer) in service_order::<usize, Q>(K).into_iter().enumerate() {
            let result = match v % 4 {
                0 => q.try_transfer(v),
                1 => {
                    q.transfer(v);
                    Ok(())
                }
                2 => q.transfer_timeout(v, Duration::from_secs(60)),
                _ => q.transfer_deadline(v, Instant::now() + Duration::from_secs(60)),
            };
            assert_eq!(result, Ok(()));
            let (k, got) = rx.recv_timeout(PATIENCE).expect("no consumer woke");
            assert_eq!(
                (k, got),
                (consumer, v),
                "{}: transfer {v} served the wrong consumer",
                Q::NAME
            );
        }
    });
    assert_quiescent(&q, "at the end");
}

/// Two threads bounce a counter through two structures (one each way) with `transfer` and
/// `pop` for many rounds: every value arrives, in order, and both structures end empty.
fn ping_pong<Q: Census<u64>>(rounds: u64) {
    let w = watchdog("ping_pong", Duration::from_secs(60));
    let there = Q::default();
    let back = Q::default();
    thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..rounds {
                let v = there.pop();
                back.transfer(v + 1);
            }
        });
        for i in 0..rounds {
            there.transfer(2 * i);
            assert_eq!(back.pop(), 2 * i + 1, "round {i}");
            w.tick();
        }
    });
    assert_quiescent(&there, "there");
    assert_quiescent(&back, "back");
}

/// Instantiates the generic scenarios above for one structure.
macro_rules! transfer_tests {
    ($module:ident, $ty:ident) => {
        mod $module {
            use super::*;
            use dualq::$ty;

            #[test]
            fn try_transfer_without_a_waiting_consumer_gives_the_value_back() {
                super::try_transfer_without_a_waiting_consumer_gives_the_value_back::<$ty<usize>>();
            }

            #[test]
            fn transfer_to_a_waiting_consumer_completes_at_once() {
                super::transfer_to_a_waiting_consumer_completes_at_once::<$ty<usize>>();
            }

            #[test]
            fn expired_deadline_acts_like_try_transfer() {
                super::expired_deadline_acts_like_try_transfer::<$ty<usize>>();
            }

            #[test]
            fn transfer_returns_only_once_the_value_is_taken() {
                super::transfer_returns_only_once_the_value_is_taken::<$ty<usize>>();
            }

            #[test]
            fn timed_out_transfer_is_never_delivered() {
                super::timed_out_transfer_is_never_delivered::<$ty<usize>>();
            }

            #[test]
            fn transfers_serve_waiting_consumers_in_order() {
                super::transfers_serve_waiting_consumers_in_order::<$ty<usize>>();
            }

            #[test]
            fn transfer_timeout_racing_pop_timeout_delivers_xor_gives_back() {
                scenarios::offer_races_pop_timeout::<$ty<Tracked>>(
                    Offer::TransferTimeout,
                    scale(50_000, 300_000),
                    0x71,
                );
            }

            #[test]
            fn try_transfer_racing_pop_timeout_delivers_xor_gives_back() {
                scenarios::offer_races_pop_timeout::<$ty<Tracked>>(
                    Offer::TryTransfer,
                    scale(50_000, 300_000),
                    0x72,
                );
            }

            #[test]
            fn synchronous_mode_delivers_every_value_once() {
                scenarios::conservation::<$ty<Tracked>>(Stress {
                    producers: 3,
                    consumers: 3,
                    per_producer: scale(20_000, 300_000),
                    seed: 0x5,
                    synchronous: true,
                });
            }

            #[test]
            fn ping_pong_over_transfer_and_pop() {
                super::ping_pong::<$ty<u64>>(scale(100_000, 1_000_000) as u64);
            }
        }
    };
}

transfer_tests!(queue, DualQueue);
transfer_tests!(stack, DualStack);
