//! Scenarios written once against [`Dual`] and run for both structures by `tests/queue.rs` and
//! `tests/stack.rs`. Where queue and stack differ (FIFO against LIFO), the scenario asks
//! [`Dual::FIFO`] / [`service_order`] what to expect.

use super::*;
use std::collections::VecDeque;
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How many waiters the ordering scenarios block one after another.
const K: usize = 8;

// ------------------------------------------------------------------------------------------------
// 1. Order of data.

/// Single-threaded: values come out in FIFO (queue) or LIFO (stack) order, whichever of `pop`,
/// `try_pop`, `pop_timeout` or `pop_deadline` takes them.
pub fn data_leaves_in_order<Q: Census<usize>>() {
    let q = Q::default();
    for round in 0..3 {
        let n = 100 * (round + 1);
        for v in 0..n {
            q.push(v);
        }
        assert_eq!(q.len(), n);
        let mut got = Vec::with_capacity(n);
        for i in 0..n {
            let v = match i % 4 {
                0 => q.pop(),
                1 => q
                    .try_pop()
                    .expect("try_pop found no value although some are left"),
                2 => q
                    .pop_timeout(Duration::from_secs(10))
                    .expect("pop_timeout found no value although some are left"),
                _ => q
                    .pop_deadline(Instant::now())
                    .expect("pop_deadline(now) found no value although some are left"),
            };
            got.push(v);
        }
        assert_eq!(
            got,
            service_order::<usize, Q>(n),
            "{}: round {round}",
            Q::NAME
        );
        assert_quiescent(&q, "after draining");
    }
}

/// Single-threaded random walk over every non-blocking call, checked step by step against a
/// `VecDeque` used as a queue or a stack. Every value is dropped exactly once.
pub fn matches_sequential_model<Q: Census<Tracked>>(seed: u64, steps: usize) {
    let log = Ledger::leak(steps);
    let q = Q::default();
    let mut model: VecDeque<usize> = VecDeque::new();
    let mut rng = Rng::new(seed);
    let mut next = 0;
    let take_model = |model: &mut VecDeque<usize>| {
        if Q::FIFO {
            model.pop_front()
        } else {
            model.pop_back()
        }
    };
    for step in 0..steps {
        let what;
        match rng.below(16) {
            0..=5 => {
                what = "push";
                q.push(log.value(next));
                model.push_back(next);
                next += 1;
            }
            6..=8 => {
                what = "try_pop";
                assert_eq!(q.try_pop().map(|v| v.id()), take_model(&mut model));
            }
            9 => {
                what = "pop on a non-empty structure";
                if let Some(expected) = take_model(&mut model) {
                    assert_eq!(q.pop().id(), expected, "step {step}: {what}");
                }
            }
            10 => {
                what = "pop_deadline(now)";
                let got = q.pop_deadline(Instant::now()).map(|v| v.id());
                assert_eq!(got, take_model(&mut model), "step {step}: {what}");
            }
            11 => {
                what = "pop_timeout(0)";
                let got = q.pop_timeout(Duration::ZERO).map(|v| v.id());
                assert_eq!(got, take_model(&mut model), "step {step}: {what}");
            }
            12 => {
                what = "pop_timeout(20µs)";
                let got = q.pop_timeout(Duration::from_micros(20)).map(|v| v.id());
                assert_eq!(got, take_model(&mut model), "step {step}: {what}");
            }
            13 => {
                what = "try_transfer with nobody waiting";
                let back = q.try_transfer(log.value(next)).expect_err(what);
                assert_eq!(
                    back.id(),
                    next,
                    "step {step}: {what} returned another value"
                );
                next += 1;
            }
            14 => {
                what = "transfer_timeout with nobody consuming";
                let back = q
                    .transfer_timeout(log.value(next), Duration::from_micros(20))
                    .expect_err(what);
                assert_eq!(
                    back.id(),
                    next,
                    "step {step}: {what} returned another value"
                );
                next += 1;
            }
            _ => {
                what = "transfer_deadline(now)";
                let back = q
                    .transfer_deadline(log.value(next), Instant::now())
                    .expect_err(what);
                assert_eq!(
                    back.id(),
                    next,
                    "step {step}: {what} returned another value"
                );
                next += 1;
            }
        }
        assert_eq!(q.len(), model.len(), "step {step} ({what}): len");
        assert_eq!(
            q.is_empty(),
            model.is_empty(),
            "step {step} ({what}): is_empty"
        );
        assert!(
            !q.has_waiting_consumer(),
            "step {step} ({what}): a reservation was left"
        );
        assert_eq!(
            q.waiting_producers(),
            0,
            "step {step} ({what}): a producer was left"
        );
    }
    // Values still inside are dropped with the structure; nothing else may drop.
    let inside: Vec<usize> = model.iter().copied().collect();
    for &id in &inside {
        assert_eq!(log.drops(id), 0, "value {id} still inside was dropped");
    }
    drop(q);
    log.assert_dropped(0..next, 1, "sequential model");
}

/// Values pushed and transferred (by threads blocked one after another) come out in one order:
/// FIFO for the queue, LIFO for the stack. Each transfer returns once its value is taken.
pub fn push_and_transfer_mix_keeps_order<Q: Census<usize>>() {
    let _w = watchdog("push_and_transfer_mix_keeps_order", Duration::from_secs(60));
    let q = Q::default();
    let (returned_tx, returned_rx) = mpsc::channel();
    thread::scope(|s| {
        for v in 0..K {
            if v % 2 == 0 {
                q.push(v);
            } else {
                let q = &q;
                let returned_tx = returned_tx.clone();
                s.spawn(move || {
                    q.transfer(v);
                    returned_tx.send(v).unwrap();
                });
                wait_until(PATIENCE, &format!("transfer({v}) is linked"), || {
                    q.waiting_producers() == v / 2 + 1
                });
            }
            assert_eq!(q.len(), v + 1, "{}: len after offering {v}", Q::NAME);
        }
        assert!(
            returned_rx.try_recv().is_err(),
            "a transfer returned before its value was taken"
        );
        for expected in service_order::<usize, Q>(K) {
            assert_eq!(q.pop(), expected, "{}: pop order", Q::NAME);
            if expected % 2 == 1 {
                let v = returned_rx
                    .recv_timeout(PATIENCE)
                    .expect("transfer did not return after its value was taken");
                assert_eq!(v, expected, "another producer returned than the one served");
            }
        }
    });
    assert_quiescent(&q, "after the mix");
}

// ------------------------------------------------------------------------------------------------
// 2. Order of waiters.

/// `K` consumers blocked one after another (each linked before the next starts) are served by
/// `K` pushes in order: the queue serves the oldest first, the stack the newest. Timed waiters
/// (`pop_timeout`, `pop_deadline` with far deadlines) wait in the same line.
pub fn consumers_are_served_in_order<Q: Census<usize>>() {
    let _w = watchdog("consumers_are_served_in_order", Duration::from_secs(60));
    let q = Q::default();
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| {
        for k in 0..K {
            let (q, tx) = (&q, tx.clone());
            s.spawn(move || {
                let v = match k % 3 {
                    0 => q.pop(),
                    1 => q.pop_timeout(Duration::from_secs(60)).expect("timed out"),
                    _ => q
                        .pop_deadline(Instant::now() + Duration::from_secs(60))
                        .expect("timed out"),
                };
                tx.send((k, v)).unwrap();
            });
            wait_until(PATIENCE, &format!("consumer {k} is linked"), || {
                q.waiting_consumers() == k + 1
            });
        }
        assert!(q.has_waiting_consumer());
        assert!(q.is_empty());
        let order = service_order::<usize, Q>(K);
        for (v, &consumer) in order.iter().enumerate() {
            q.push(v);
            let (k, got) = rx
                .recv_timeout(PATIENCE)
                .expect("no consumer woke after a push");
            assert_eq!(
                (k, got),
                (consumer, v),
                "{}: push {v} should have served consumer {consumer}",
                Q::NAME
            );
        }
    });
    assert_quiescent(&q, "after serving every consumer");
}

/// `K` producers blocked in `transfer` one after another are served by pops in order (queue:
/// oldest first; stack: newest first), and each returns once, and only once, its value is taken.
pub fn producers_are_served_in_order<Q: Census<usize>>() {
    let _w = watchdog("producers_are_served_in_order", Duration::from_secs(60));
    let q = Q::default();
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| {
        for k in 0..K {
            let (q, tx) = (&q, tx.clone());
            s.spawn(move || {
                match k % 3 {
                    0 => q.transfer(k),
                    1 => q
                        .transfer_timeout(k, Duration::from_secs(60))
                        .expect("timed out"),
                    _ => q
                        .transfer_deadline(k, Instant::now() + Duration::from_secs(60))
                        .expect("timed out"),
                }
                tx.send(k).unwrap();
            });
            wait_until(PATIENCE, &format!("producer {k} is linked"), || {
                q.waiting_producers() == k + 1
            });
        }
        assert_eq!(q.len(), K);
        assert!(!q.has_waiting_consumer());
        for (i, expected) in service_order::<usize, Q>(K).into_iter().enumerate() {
            let v = match i % 4 {
                0 => q.pop(),
                1 => q.try_pop().expect("try_pop found no value"),
                2 => q
                    .pop_deadline(Instant::now())
                    .expect("pop_deadline(now) found no value"),
                _ => q.pop_timeout(PATIENCE).expect("pop_timeout found no value"),
            };
            assert_eq!(v, expected, "{}: pop {i}", Q::NAME);
            let returned = rx
                .recv_timeout(PATIENCE)
                .expect("the producer whose value was taken did not return");
            assert_eq!(returned, expected, "another producer returned");
            assert_eq!(q.waiting_producers(), K - i - 1);
        }
    });
    assert_quiescent(&q, "after serving every producer");
}

/// Consumers that time out while others wait around them (at the front, in the middle, at the
/// back) leave the line; the rest are still served in order.
pub fn timed_out_consumers_are_skipped<Q: Census<usize>>() {
    let _w = watchdog("timed_out_consumers_are_skipped", Duration::from_secs(60));
    let q = Q::default();
    let (tx, rx) = mpsc::channel();
    // Generous: every consumer must be linked before the timed ones give up.
    let deadline = Instant::now() + Duration::from_millis(1500);
    thread::scope(|s| {
        for k in 0..K {
            let (q, tx) = (&q, tx.clone());
            s.spawn(move || {
                let got = if k % 2 == 1 {
                    q.pop_deadline(deadline)
                } else {
                    Some(q.pop())
                };
                tx.send((k, got)).unwrap();
            });
            wait_until(PATIENCE, &format!("consumer {k} is linked"), || {
                q.waiting_consumers() == k + 1
            });
        }
        assert!(
            Instant::now() < deadline,
            "setup too slow: the timed consumers may have left before all were linked"
        );
        let mut gave_up: Vec<usize> = (0..K / 2)
            .map(|_| {
                let (k, got) = rx
                    .recv_timeout(PATIENCE)
                    .expect("timed consumer did not return");
                assert_eq!(got, None, "consumer {k} got a value nobody pushed");
                k
            })
            .collect();
        gave_up.sort_unstable();
        assert_eq!(gave_up, vec![1, 3, 5, 7], "the wrong consumers returned");
        assert!(
            Instant::now() >= deadline,
            "a timed consumer returned early"
        );
        wait_until(PATIENCE, "the timed-out reservations are gone", || {
            q.waiting_consumers() == K / 2
        });
        let untimed: Vec<usize> = (0..K).step_by(2).collect();
        let order: Vec<usize> = service_order::<usize, Q>(K / 2)
            .into_iter()
            .map(|i| untimed[i])
            .collect();
        for (v, &consumer) in order.iter().enumerate() {
            q.push(v);
            let (k, got) = rx
                .recv_timeout(PATIENCE)
                .expect("no consumer woke after a push");
            assert_eq!(
                (k, got),
                (consumer, Some(v)),
                "{}: push {v} should have served consumer {consumer}",
                Q::NAME
            );
        }
    });
    assert_quiescent(&q, "after serving the untimed consumers");
}

/// Producers in `transfer_deadline` that time out between untimed `transfer`s get their value
/// back; it is never delivered, and the others are served in order.
pub fn timed_out_producers_are_skipped<Q: Census<usize>>() {
    let _w = watchdog("timed_out_producers_are_skipped", Duration::from_secs(60));
    let q = Q::default();
    let (tx, rx) = mpsc::channel();
    let deadline = Instant::now() + Duration::from_millis(1500);
    thread::scope(|s| {
        for k in 0..K {
            let (q, tx) = (&q, tx.clone());
            s.spawn(move || {
                let result = if k % 2 == 1 {
                    q.transfer_deadline(k, deadline)
                } else {
                    q.transfer(k);
                    Ok(())
                };
                tx.send((k, result)).unwrap();
            });
            wait_until(PATIENCE, &format!("producer {k} is linked"), || {
                q.waiting_producers() == k + 1
            });
        }
        assert!(
            Instant::now() < deadline,
            "setup too slow: the timed producers may have left before all were linked"
        );
        for _ in 0..K / 2 {
            let (k, result) = rx
                .recv_timeout(PATIENCE)
                .expect("timed producer did not return");
            assert_eq!(
                k % 2,
                1,
                "untimed producer {k} returned with nobody consuming"
            );
            assert_eq!(
                result,
                Err(k),
                "timed producer {k} did not get its value back"
            );
        }
        wait_until(PATIENCE, "the timed-out transfers are gone", || {
            q.waiting_producers() == K / 2
        });
        assert_eq!(q.len(), K / 2);
        let untimed: Vec<usize> = (0..K).step_by(2).collect();
        for i in service_order::<usize, Q>(K / 2) {
            let expected = untimed[i];
            assert_eq!(q.pop(), expected, "{}: pop order", Q::NAME);
            let (k, result) = rx
                .recv_timeout(PATIENCE)
                .expect("producer did not return after its value was taken");
            assert_eq!((k, result), (expected, Ok(())));
        }
        assert_eq!(q.try_pop(), None, "a timed-out value was still delivered");
    });
    assert_quiescent(&q, "after serving the untimed producers");
}

/// A push to a waiting consumer hands the value straight to it: nobody else can take it in
/// between (no barging), and the consumer wakes within a second.
pub fn handoff_to_waiting_consumer_cannot_be_stolen<Q: Census<usize>>() {
    let _w = watchdog(
        "handoff_to_waiting_consumer_cannot_be_stolen",
        Duration::from_secs(60),
    );
    let q = Q::default();
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| {
        for (round, offer) in ["push", "try_transfer", "transfer"].into_iter().enumerate() {
            let (q, tx) = (&q, tx.clone());
            s.spawn(move || tx.send(q.pop()).unwrap());
            wait_until(PATIENCE, "the consumer is linked", || {
                q.waiting_consumers() == 1
            });
            let woken_at = Instant::now();
            match offer {
                "push" => q.push(round),
                "try_transfer" => q
                    .try_transfer(round)
                    .expect("try_transfer failed although a consumer waits"),
                _ => q.transfer(round),
            }
            assert_eq!(
                q.try_pop(),
                None,
                "{offer}: a bystander took the handed-off value"
            );
            assert_eq!(
                q.pop_deadline(Instant::now()),
                None,
                "{offer}: a bystander took the handed-off value"
            );
            let got = rx
                .recv_timeout(Duration::from_secs(1))
                .unwrap_or_else(|_| panic!("{offer}: the consumer did not wake within 1 s"));
            assert_eq!(got, round);
            assert!(woken_at.elapsed() < Duration::from_secs(1));
            assert_quiescent(q, offer);
        }
    });
}

// ------------------------------------------------------------------------------------------------
// Failed and timed pops.

/// `try_pop`, `pop_deadline(now)` and timed-out `pop_timeout`s on an empty structure leave no
/// reservation behind: a later push is not swallowed, and `try_transfer` finds nobody.
pub fn failed_pops_leave_no_reservation<Q: Census<usize>>() {
    let q = Q::default();
    for _ in 0..100 {
        assert_eq!(q.try_pop(), None);
        assert_eq!(q.pop_deadline(Instant::now()), None);
        assert_eq!(q.pop_timeout(Duration::ZERO), None);
    }
    assert_quiescent(&q, "after failed non-waiting pops");
    for _ in 0..20 {
        assert_eq!(q.pop_timeout(Duration::from_micros(200)), None);
    }
    assert_quiescent(&q, "after timed-out pops");
    assert_eq!(
        q.try_transfer(1),
        Err(1),
        "try_transfer matched a withdrawn reservation"
    );
    q.push(2);
    assert_eq!(q.len(), 1);
    assert_eq!(
        q.try_pop(),
        Some(2),
        "the pushed value went to a withdrawn reservation"
    );
    assert_quiescent(&q, "at the end");
}

/// A timed pop on an empty structure does not return before its timeout or deadline (nor
/// absurdly late), and a timed waiter wakes promptly when a value comes.
pub fn timed_pops_wait_their_time<Q: Census<usize>>() {
    let q = Q::default();
    let d = Duration::from_millis(50);
    let start = Instant::now();
    assert_eq!(q.pop_timeout(d), None);
    let waited = start.elapsed();
    assert!(waited >= d, "pop_timeout({d:?}) returned after {waited:?}");
    assert!(
        waited < d + Duration::from_secs(2),
        "pop_timeout overslept: {waited:?}"
    );

    let deadline = Instant::now() + d;
    assert_eq!(q.pop_deadline(deadline), None);
    assert!(
        Instant::now() >= deadline,
        "pop_deadline returned before its deadline"
    );
    assert_quiescent(&q, "after timed pops");

    let _w = watchdog("timed_pops_wait_their_time", Duration::from_secs(60));
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            let start = Instant::now();
            (q.pop_timeout(Duration::from_secs(30)), start.elapsed())
        });
        wait_until(PATIENCE, "the timed waiter is linked", || {
            q.has_waiting_consumer()
        });
        q.push(9);
        let (got, waited) = waiter.join().unwrap();
        assert_eq!(got, Some(9));
        assert!(waited < PATIENCE, "timed waiter was not woken by the push");
    });
    assert_quiescent(&q, "at the end");
}

/// A timeout too large to represent (`Duration::MAX`) means "wait forever": no overflow panic,
/// no immediate return; the waiter is served like an untimed one.
pub fn huge_timeouts_wait_forever<Q: Census<usize>>() {
    let _w = watchdog("huge_timeouts_wait_forever", Duration::from_secs(60));
    let q = Q::default();
    thread::scope(|s| {
        let consumer = s.spawn(|| q.pop_timeout(Duration::MAX));
        wait_until(PATIENCE, "the consumer is linked", || {
            q.has_waiting_consumer()
        });
        thread::sleep(Duration::from_millis(50));
        assert!(
            !consumer.is_finished(),
            "pop_timeout(Duration::MAX) gave up"
        );
        q.push(1);
        assert_eq!(consumer.join().unwrap(), Some(1));

        let producer = s.spawn(|| q.transfer_timeout(2, Duration::MAX));
        wait_until(PATIENCE, "the producer is linked", || {
            q.waiting_producers() == 1
        });
        thread::sleep(Duration::from_millis(50));
        assert!(
            !producer.is_finished(),
            "transfer_timeout(Duration::MAX) gave up"
        );
        assert_eq!(q.pop(), 2);
        assert_eq!(producer.join().unwrap(), Ok(()));
    });
    assert_quiescent(&q, "at the end");
}

// ------------------------------------------------------------------------------------------------
// 3. Conservation under stress.

/// Sizes and seed of a [`conservation`] run.
#[derive(Clone, Copy, Debug)]
pub struct Stress {
    pub producers: usize,
    pub consumers: usize,
    pub per_producer: usize,
    pub seed: u64,
    /// Synchronous mode: producers only `transfer`/`transfer_timeout` (no value is ever left
    /// without its producer waiting), consumers only `pop`/`pop_timeout`.
    pub synchronous: bool,
}

/// `producers` threads offer `per_producer` values each, mixing `push`, `transfer`,
/// `transfer_timeout` (short, so many time out: the value comes back and is offered again) and
/// `try_transfer`; `consumers` threads take them, mixing `pop`, `try_pop` and short
/// `pop_timeout`s. Afterwards the structure is drained. Checks: every value was delivered
/// exactly once; for the queue, each consumer saw each producer's values in the order they were
/// produced, and nothing was left behind the stop values; every value is dropped exactly once.
/// With `synchronous`, only the transfer family and waiting pops are used.
pub fn conservation<Q: Census<Tracked>>(cfg: Stress) {
    let Stress {
        producers,
        consumers,
        per_producer,
        seed,
        synchronous,
    } = cfg;
    let w = watchdog("conservation", Duration::from_secs(60));
    let n = producers * per_producer;
    // Ids `n..n + consumers` are the stop values, one per consumer.
    let log = Ledger::leak(n + consumers);
    let q = Q::default();
    let started = Instant::now();

    let (received, retries) = thread::scope(|s| {
        let (q, w) = (&q, &w);
        let consumer_threads: Vec<_> = (0..consumers)
            .map(|c| {
                s.spawn(move || {
                    tighten_timer_slack();
                    let mut rng = Rng::new(seed ^ (0xC0 + c as u64));
                    let mut got: Vec<u32> = Vec::with_capacity(2 * n / consumers);
                    loop {
                        let op = if synchronous {
                            [0, 7][rng.below(2) as usize]
                        } else {
                            rng.below(10)
                        };
                        let v = match op {
                            0..=3 => Some(q.pop()),
                            4..=6 => {
                                let v = q.try_pop();
                                if v.is_none() {
                                    thread::yield_now();
                                }
                                v
                            }
                            _ => q.pop_timeout(Duration::from_micros(rng.below(100))),
                        };
                        if let Some(v) = v {
                            w.tick();
                            let id = v.id();
                            drop(v);
                            if id >= n {
                                break;
                            }
                            got.push(id as u32);
                        }
                    }
                    got
                })
            })
            .collect();
        let producer_threads: Vec<_> = (0..producers)
            .map(|p| {
                s.spawn(move || {
                    tighten_timer_slack();
                    let mut rng = Rng::new(seed ^ (0x90 + p as u64));
                    let mut retries = 0usize;
                    for seq in 0..per_producer {
                        let mut v = log.value(p * per_producer + seq);
                        loop {
                            let op = if synchronous {
                                [5, 7][rng.below(2) as usize]
                            } else {
                                rng.below(10)
                            };
                            let back = match op {
                                0..=4 => {
                                    q.push(v);
                                    break;
                                }
                                5 | 6 => {
                                    q.transfer(v);
                                    break;
                                }
                                7 | 8 => {
                                    let d = Duration::from_micros(rng.below(200));
                                    q.transfer_timeout(v, d)
                                }
                                _ => q.try_transfer(v),
                            };
                            match back {
                                Ok(()) => break,
                                Err(back) => {
                                    assert_eq!(back.id(), p * per_producer + seq);
                                    v = back;
                                    retries += 1;
                                }
                            }
                        }
                    }
                    retries
                })
            })
            .collect();
        let retries: usize = producer_threads
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        // Every value has been offered (and, in synchronous mode, taken); one stop value per
        // consumer ends them.
        for c in 0..consumers {
            q.push(log.value(n + c));
        }
        let received: Vec<Vec<u32>> = consumer_threads
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        (received, retries)
    });

    let mut drained = Vec::new();
    while let Some(v) = q.try_pop() {
        drained.push(v.id() as u32);
    }
    assert_quiescent(&q, "after draining");

    let mut seen = vec![0u32; n];
    for &id in received.iter().flatten().chain(&drained) {
        seen[id as usize] += 1;
    }
    let wrong: Vec<(usize, u32)> = seen
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c != 1)
        .map(|(id, &c)| (id, c))
        .collect();
    assert!(
        wrong.is_empty(),
        "{}: {} value(s) not delivered exactly once; first (id, times): {:?}",
        Q::NAME,
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );

    if synchronous {
        assert!(
            drained.is_empty(),
            "{}: synchronous mode, but {} value(s) were left inside after every transfer returned",
            Q::NAME,
            drained.len()
        );
    }
    if Q::FIFO {
        assert!(
            drained.is_empty(),
            "queue: {} value(s) were still inside after every stop value (pushed last) was taken",
            drained.len()
        );
        for (c, ids) in received.iter().enumerate() {
            let mut last: Vec<Option<usize>> = vec![None; producers];
            for &id in ids {
                let (p, seq) = (id as usize / per_producer, id as usize % per_producer);
                if let Some(prev) = last[p] {
                    assert!(
                        seq > prev,
                        "queue: consumer {c} got producer {p}'s value {seq} after its value {prev}"
                    );
                }
                last[p] = Some(seq);
            }
        }
    }

    drop(q);
    log.assert_all_dropped_once(Q::NAME);
    eprintln!(
        "{} {producers}x{consumers}{}: {n} values, {} re-offered after a timeout/try, {} drained, {:?}",
        Q::NAME,
        if synchronous { " synchronous" } else { "" },
        retries,
        drained.len(),
        started.elapsed()
    );
}

// ------------------------------------------------------------------------------------------------
// 4. Timeouts racing fulfilments.

/// How the producer side of [`offer_races_pop_timeout`] offers its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    Push,
    TransferTimeout,
    TryTransfer,
}

/// Many rounds of one consumer's `pop_timeout(1..=10 µs)` racing one offer of a fresh value, the
/// two threads released together by a spinning barrier; the offer comes after a random delay of
/// 0..12 µs, so it lands before the consumer links its reservation, while it waits, around its
/// deadline (where fulfilment and cancellation race) or after it left. Exactly one outcome per
/// round:
///
/// * `Push`: the consumer got the value, XOR it is still inside (`try_pop` gets it);
/// * `TransferTimeout` / `TryTransfer`: the offer succeeded and the consumer got the value, XOR
///   the value came back and the consumer got nothing.
///
/// After every round the structure holds nothing and nobody waits on it; at the end every value
/// was dropped exactly once.
pub fn offer_races_pop_timeout<Q: Census<Tracked>>(offer: Offer, rounds: usize, seed: u64) {
    let w = watchdog("offer_races_pop_timeout", Duration::from_secs(60));
    let _cores = exclusive();
    let log = Ledger::leak(rounds);
    let q = Q::default();
    let barrier = SpinBarrier::new(2);
    let slot: Mutex<Option<Option<Tracked>>> = Mutex::new(None);
    // [consumer got it, it stayed inside / came back]
    let mut outcomes = [0usize; 2];
    thread::scope(|s| {
        s.spawn(|| {
            tighten_timer_slack();
            let mut rng = Rng::new(seed ^ 0xC);
            for _ in 0..rounds {
                if !barrier.wait() {
                    return;
                }
                let got = q.pop_timeout(Duration::from_micros(1 + rng.below(10)));
                *slot.lock().unwrap() = Some(got);
                if !barrier.wait() {
                    return;
                }
            }
        });
        tighten_timer_slack();
        // If a check below fails, release the consumer instead of leaving it at the barrier.
        let _break = barrier.break_on_panic();
        let mut rng = Rng::new(seed ^ 0x9);
        for round in 0..rounds {
            assert!(barrier.wait());
            spin_for(Duration::from_nanos(rng.below(12_000)));
            let v = log.value(round);
            let offered = match offer {
                Offer::Push => {
                    q.push(v);
                    None
                }
                Offer::TransferTimeout => {
                    Some(q.transfer_timeout(v, Duration::from_micros(1 + rng.below(10))))
                }
                Offer::TryTransfer => Some(q.try_transfer(v)),
            };
            assert!(barrier.wait());
            let got = slot
                .lock()
                .unwrap()
                .take()
                .expect("consumer left no result");
            if let Some(got) = &got {
                assert_eq!(got.id(), round, "round {round}: consumer got another value");
            }
            let consumer_got = got.is_some();
            match offered {
                None => {
                    let left = q.try_pop();
                    assert!(
                        consumer_got != left.is_some(),
                        "{} round {round}: consumer got {got:?} and try_pop got {left:?}: \
                         the value must be in exactly one place",
                        Q::NAME
                    );
                    if let Some(left) = &left {
                        assert_eq!(left.id(), round);
                    }
                }
                Some(result) => {
                    assert_eq!(
                        result.is_ok(),
                        consumer_got,
                        "{} {offer:?} round {round}: offer returned {result:?} but the consumer \
                         got {got:?}",
                        Q::NAME
                    );
                    if let Err(back) = &result {
                        assert_eq!(back.id(), round);
                    }
                    let left = q.try_pop();
                    assert!(left.is_none(), "round {round}: {left:?} was left inside");
                }
            }
            outcomes[usize::from(!consumer_got)] += 1;
            w.tick();
            assert_quiescent(&q, &format!("after round {round}"));
        }
    });
    drop(q);
    log.assert_all_dropped_once(&format!("{} {offer:?} race", Q::NAME));
    eprintln!(
        "{} {offer:?} vs pop_timeout, {rounds} rounds: consumer got it {}, not {}",
        Q::NAME,
        outcomes[0],
        outcomes[1],
    );
}

// ------------------------------------------------------------------------------------------------
// 5. Drops.

/// Values left inside are dropped exactly once when the structure is dropped, and not before;
/// values taken out are dropped by their taker only.
pub fn values_left_inside_drop_once_with_the_structure<Q: Dual<Tracked>>() {
    let log = Ledger::leak(100);
    let q = Q::default();
    for id in 0..100 {
        q.push(log.value(id));
    }
    let taken: Vec<Tracked> = (0..30).map(|_| q.try_pop().unwrap()).collect();
    assert_eq!(log.total(), 0, "a value was dropped while still owned");
    let taken_ids: Vec<usize> = taken.iter().map(Tracked::id).collect();
    drop(q);
    assert_eq!(
        log.total(),
        70,
        "the structure's drop did not drop exactly the 70 inside"
    );
    for &id in &taken_ids {
        assert_eq!(
            log.drops(id),
            0,
            "value {id}, taken out, was dropped by the structure"
        );
    }
    drop(taken);
    log.assert_all_dropped_once("values left inside");
}

/// Values that come back (`try_transfer` with nobody waiting, timed-out `transfer_timeout` and
/// `transfer_deadline`) and values a consumer receives belong to the caller: the structure never
/// drops them, even when it is dropped with cancelled nodes still inside.
pub fn values_given_back_belong_to_the_caller<Q: Census<Tracked>>() {
    let log = Ledger::leak(8);
    let q = Q::default();
    let mut mine = vec![
        q.try_transfer(log.value(0)).unwrap_err(),
        q.transfer_timeout(log.value(1), Duration::from_millis(1))
            .unwrap_err(),
        q.transfer_deadline(log.value(2), Instant::now() + Duration::from_millis(1))
            .unwrap_err(),
        q.transfer_deadline(log.value(3), Instant::now())
            .unwrap_err(),
    ];
    q.push(log.value(4));
    mine.push(q.pop_timeout(Duration::from_millis(1)).unwrap());
    q.transfer_timeout(log.value(5), Duration::from_micros(50))
        .unwrap_err(); // dropped here, by the caller
    assert_eq!(log.drops(5), 1);
    let ids: Vec<usize> = mine.iter().map(Tracked::id).collect();
    assert_eq!(
        ids,
        vec![0, 1, 2, 3, 4],
        "a call gave back another value than its own"
    );
    assert_eq!(
        log.total(),
        1,
        "a value was dropped while the caller owned it"
    );
    assert_quiescent(&q, "after giving everything back");
    drop(q);
    assert_eq!(
        log.total(),
        1,
        "dropping the structure dropped values it gave back"
    );
    drop(mine);
    log.assert_dropped(0..6, 1, "values given back");
}

/// A structure dropped with cancelled reservations and cancelled transfers inside (alone, or
/// mixed with data) drops each value it still holds exactly once and nothing else.
pub fn structure_with_cancelled_nodes_drops_cleanly<Q: Dual<Tracked>>() {
    let log = Ledger::leak(64);
    let mut next = 0;
    let mut value = || {
        next += 1;
        log.value(next - 1)
    };

    // Only cancelled reservations.
    let q = Q::default();
    for _ in 0..5 {
        assert!(q.pop_timeout(Duration::from_micros(100)).is_none());
    }
    drop(q);

    // Only cancelled transfers (their values came back).
    let q = Q::default();
    let back: Vec<Tracked> = (0..5)
        .map(|_| {
            q.transfer_timeout(value(), Duration::from_micros(100))
                .unwrap_err()
        })
        .collect();
    drop(q);
    assert_eq!(
        log.total(),
        0,
        "the structure dropped values of cancelled transfers"
    );
    drop(back);

    // Cancelled reservations, then data on top of them, some of it taken.
    let q = Q::default();
    for _ in 0..3 {
        assert!(q.pop_timeout(Duration::from_micros(100)).is_none());
    }
    for _ in 0..10 {
        q.push(value());
    }
    drop(q.try_pop().unwrap());
    let back = q
        .transfer_timeout(value(), Duration::from_micros(100))
        .unwrap_err();
    drop(back);
    drop(q);

    // Data, a cancelled transfer among it, and a consumer that timed out after the data was
    // drained.
    let q = Q::default();
    for _ in 0..4 {
        q.push(value());
    }
    drop(
        q.transfer_timeout(value(), Duration::from_micros(100))
            .unwrap_err(),
    );
    q.push(value());
    while let Some(v) = q.try_pop() {
        drop(v);
    }
    assert!(q.pop_timeout(Duration::from_micros(100)).is_none());
    q.push(value());
    drop(q);

    log.assert_dropped(0..next, 1, "structures with cancelled nodes");
    assert_eq!(log.total(), next);
}

/// Values delivered by a handoff (push or transfer to a waiting consumer, a consumer taking
/// from a waiting producer) are dropped exactly once, by the receiver.
pub fn delivered_values_drop_once<Q: Census<Tracked>>() {
    let _w = watchdog("delivered_values_drop_once", Duration::from_secs(60));
    let log = Ledger::leak(4);
    let q = Q::default();
    thread::scope(|s| {
        for (id, offer) in ["push", "transfer", "try_transfer"].into_iter().enumerate() {
            let consumer = s.spawn(|| q.pop());
            wait_until(PATIENCE, "the consumer is linked", || {
                q.has_waiting_consumer()
            });
            match offer {
                "push" => q.push(log.value(id)),
                "transfer" => q.transfer(log.value(id)),
                _ => q.try_transfer(log.value(id)).unwrap(),
            }
            let got = consumer.join().unwrap();
            assert_eq!(got.id(), id);
            assert_eq!(
                log.drops(id),
                0,
                "{offer}: dropped before the receiver dropped it"
            );
            drop(got);
        }
        let producer = s.spawn(|| q.transfer(log.value(3)));
        wait_until(PATIENCE, "the producer is linked", || {
            q.waiting_producers() == 1
        });
        let got = q.pop();
        producer.join().unwrap();
        assert_eq!((got.id(), log.drops(3)), (3, 0));
        drop(got);
    });
    drop(q);
    log.assert_all_dropped_once("delivered values");
}

// ------------------------------------------------------------------------------------------------
// 6. Blocked threads park.

/// How long the parking scenarios keep a thread blocked.
const BLOCKED_FOR: Duration = Duration::from_millis(300);

/// Asserts that a blocked thread used little CPU: under 20% of the time it was blocked.
#[track_caller]
fn assert_parked(who: &str, cpu: Duration, wall: Duration) {
    assert!(
        wall >= BLOCKED_FOR - Duration::from_millis(50),
        "{who} returned after {wall:?}, before anyone served it"
    );
    assert!(
        cpu < wall / 5,
        "{who} burnt {cpu:?} of CPU while blocked for {wall:?}: it does not park"
    );
}

/// Two consumers blocked in `pop` (the one at the front, which spins a little first, and the one
/// behind it) for ~300 ms each use far less CPU than wall time.
pub fn blocked_consumers_park<Q: Census<usize>>() {
    let _w = watchdog("blocked_consumers_park", Duration::from_secs(60));
    let q = Q::default();
    thread::scope(|s| {
        let waiters: Vec<_> = (0..2)
            .map(|k| {
                let q = &q;
                let h = s.spawn(move || {
                    let (cpu, wall) = (thread_cpu_time(), Instant::now());
                    let v = q.pop();
                    (v, thread_cpu_time() - cpu, wall.elapsed())
                });
                wait_until(PATIENCE, "the consumer is linked", || {
                    q.waiting_consumers() == k + 1
                });
                h
            })
            .collect();
        thread::sleep(BLOCKED_FOR);
        q.push(0);
        q.push(1);
        for (k, h) in waiters.into_iter().enumerate() {
            let (_, cpu, wall) = h.join().unwrap();
            assert_parked(&format!("{} consumer {k}", Q::NAME), cpu, wall);
        }
    });
}

/// Two producers blocked in `transfer` for ~300 ms each use far less CPU than wall time; so does
/// a consumer blocked in a long `pop_timeout`.
pub fn blocked_producers_park<Q: Census<usize>>() {
    let _w = watchdog("blocked_producers_park", Duration::from_secs(60));
    let q = Q::default();
    thread::scope(|s| {
        let waiters: Vec<_> = (0..2)
            .map(|k| {
                let q = &q;
                let h = s.spawn(move || {
                    let (cpu, wall) = (thread_cpu_time(), Instant::now());
                    q.transfer(k);
                    (thread_cpu_time() - cpu, wall.elapsed())
                });
                wait_until(PATIENCE, "the producer is linked", || {
                    q.waiting_producers() == k + 1
                });
                h
            })
            .collect();
        thread::sleep(BLOCKED_FOR);
        q.pop();
        q.pop();
        for (k, h) in waiters.into_iter().enumerate() {
            let (cpu, wall) = h.join().unwrap();
            assert_parked(&format!("{} producer {k}", Q::NAME), cpu, wall);
        }

        let timed = s.spawn(|| {
            let (cpu, wall) = (thread_cpu_time(), Instant::now());
            let v = q.pop_timeout(Duration::from_secs(30));
            (v, thread_cpu_time() - cpu, wall.elapsed())
        });
        wait_until(PATIENCE, "the timed consumer is linked", || {
            q.has_waiting_consumer()
        });
        thread::sleep(BLOCKED_FOR);
        q.push(5);
        let (v, cpu, wall) = timed.join().unwrap();
        assert_eq!(v, Some(5));
        assert_parked(&format!("{} timed consumer", Q::NAME), cpu, wall);
    });
    assert_quiescent(&q, "at the end");
}

// ------------------------------------------------------------------------------------------------
// 9. State queries and Debug.

/// `is_empty`, `len`, `has_waiting_consumer` and the waiting counters follow what the structure
/// holds: data, waiting consumers, or waiting producers.
pub fn state_queries_follow_contents<Q: Census<usize>>() {
    let _w = watchdog("state_queries_follow_contents", Duration::from_secs(60));
    let q = Q::default();
    assert_quiescent(&q, "new");
    q.push(1);
    q.push(2);
    assert!(!q.is_empty());
    assert_eq!(q.len(), 2);
    assert!(!q.has_waiting_consumer());
    assert_eq!((q.waiting_consumers(), q.waiting_producers()), (0, 0));
    q.try_pop().unwrap();
    assert_eq!(q.len(), 1);
    q.try_pop().unwrap();
    assert_quiescent(&q, "drained");

    thread::scope(|s| {
        let consumers: Vec<_> = (0..2)
            .map(|k| {
                let q = &q;
                let h = s.spawn(move || q.pop());
                wait_until(PATIENCE, "the consumer is linked", || {
                    q.waiting_consumers() == k + 1
                });
                h
            })
            .collect();
        assert!(q.is_empty(), "reservations are not data");
        assert_eq!(q.len(), 0);
        assert!(q.has_waiting_consumer());
        assert_eq!(q.waiting_producers(), 0);
        q.push(3);
        wait_until(PATIENCE, "one consumer is served", || {
            q.waiting_consumers() == 1
        });
        assert!(q.has_waiting_consumer());
        assert!(q.is_empty());
        q.push(4);
        let mut got: Vec<usize> = consumers.into_iter().map(|h| h.join().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, vec![3, 4]);
        assert_quiescent(&q, "consumers served");

        let producer = s.spawn(|| q.transfer(5));
        wait_until(PATIENCE, "the producer is linked", || {
            q.waiting_producers() == 1
        });
        assert!(!q.is_empty(), "a waiting transfer holds data");
        assert_eq!(q.len(), 1);
        assert!(!q.has_waiting_consumer());
        assert_eq!(q.waiting_consumers(), 0);
        q.push(6);
        assert_eq!(q.len(), 2);
        assert_eq!(q.waiting_producers(), 1);
        let mut got = vec![q.pop(), q.pop()];
        producer.join().unwrap();
        got.sort_unstable();
        assert_eq!(got, vec![5, 6]);
    });
    assert_quiescent(&q, "at the end");
}

/// `Debug` names the type and tells an empty structure, one holding data and one with waiting
/// consumers apart.
pub fn debug_output_is_informative<Q: Census<usize>>() {
    let _w = watchdog("debug_output_is_informative", Duration::from_secs(60));
    let q = Q::default();
    let empty = format!("{q:?}");
    q.push(1);
    let data = format!("{q:?}");
    assert_eq!(q.pop(), 1);
    let waiting = thread::scope(|s| {
        let consumer = s.spawn(|| q.pop());
        wait_until(PATIENCE, "the consumer is linked", || {
            q.has_waiting_consumer()
        });
        let waiting = format!("{q:?}");
        q.push(2);
        assert_eq!(consumer.join().unwrap(), 2);
        waiting
    });
    for text in [&empty, &data, &waiting] {
        assert!(
            text.contains(Q::NAME),
            "Debug output {text:?} does not name {}",
            Q::NAME
        );
    }
    assert_ne!(empty, data, "Debug cannot tell empty from holding data");
    assert_ne!(
        empty, waiting,
        "Debug cannot tell empty from consumers waiting"
    );
    assert_ne!(
        data, waiting,
        "Debug cannot tell data from consumers waiting"
    );
}

/// A test value whose `drop` panics if `panics` is set. Its `Tracked` field records the drop
/// either way (a struct's fields are still dropped when its `Drop::drop` unwinds).
pub struct Bomb {
    pub value: Tracked,
    pub panics: bool,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.panics {
            panic!("bomb {} went off", self.value.id());
        }
    }
}

/// A value whose `drop` panics while the structure is dropped does not leak the others: the
/// destructor still drops every other value inside exactly once (those before the bomb in
/// list order and those after it), and then passes the panic on to the caller. A cancelled
/// reservation and a withdrawn transfer are inside too.
pub fn a_panicking_drop_does_not_leak_the_rest<Q: Dual<Bomb>>() {
    let log = Ledger::leak(11);
    let q = Q::default();
    assert!(q.pop_timeout(Duration::from_millis(1)).is_none());
    for id in 0..10 {
        q.push(Bomb {
            value: log.value(id),
            panics: id == 5,
        });
    }
    let back = q
        .transfer_timeout(
            Bomb {
                value: log.value(10),
                panics: false,
            },
            Duration::from_millis(1),
        )
        .expect_err("nobody takes the transfer");
    assert_eq!(log.total(), 0, "a value was dropped while still owned");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(q)));
    let payload = outcome.expect_err("the bomb's panic did not reach the caller");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("bomb 5 went off"),
        "another panic than the bomb's"
    );
    assert_eq!(
        log.drops(10),
        0,
        "the withdrawn value was dropped by the structure"
    );
    drop(back);
    log.assert_all_dropped_once("values inside a structure dropped with a bomb among them");
}

/// The scenario tests every dual structure runs, as `#[test]` functions of the test file that
/// invokes it: `dualq_scenarios!(DualQueue);`. One list, so a scenario added here runs for every
/// structure (the file adds what is particular to its structure). Expects `common::*`,
/// `std::cell::Cell` and `std::rc::Rc` in scope.
#[macro_export]
macro_rules! dualq_scenarios {
    ($ty:ident) => {
        #[test]
        fn is_send_and_sync_when_values_are_send() {
            assert_send_sync::<$ty<u64>>();
            assert_send_sync::<$ty<Box<dyn FnOnce() + Send>>>();
            // `Cell` is Send but not Sync: the structure only moves values, so it is still Sync.
            assert_send_sync::<$ty<Cell<u8>>>();
            // And not when they are not.
            <$ty<Rc<u8>> as NotSend<_>>::check();
            <$ty<Rc<u8>> as NotSync<_>>::check();
        }

        #[test]
        fn default_is_empty() {
            let q: $ty<u8> = Default::default();
            assert_quiescent(&q, "default");
            assert_eq!(q.try_pop(), None);
        }

        #[test]
        fn data_leaves_in_the_structures_order() {
            $crate::common::scenarios::data_leaves_in_order::<$ty<usize>>();
        }

        #[test]
        fn matches_a_sequential_model() {
            for seed in 1..=4 {
                $crate::common::scenarios::matches_sequential_model::<$ty<Tracked>>(
                    seed,
                    scale(5_000, 100_000),
                );
            }
        }

        #[test]
        fn pushed_and_transferred_values_leave_in_order() {
            $crate::common::scenarios::push_and_transfer_mix_keeps_order::<$ty<usize>>();
        }

        #[test]
        fn waiting_consumers_are_served_in_order() {
            $crate::common::scenarios::consumers_are_served_in_order::<$ty<usize>>();
        }

        #[test]
        fn waiting_producers_are_served_in_order() {
            $crate::common::scenarios::producers_are_served_in_order::<$ty<usize>>();
        }

        #[test]
        fn timed_out_consumers_leave_the_line() {
            $crate::common::scenarios::timed_out_consumers_are_skipped::<$ty<usize>>();
        }

        #[test]
        fn timed_out_producers_leave_the_line() {
            $crate::common::scenarios::timed_out_producers_are_skipped::<$ty<usize>>();
        }

        #[test]
        fn handoff_to_a_waiting_consumer_cannot_be_stolen() {
            $crate::common::scenarios::handoff_to_waiting_consumer_cannot_be_stolen::<$ty<usize>>();
        }

        #[test]
        fn failed_pops_leave_no_reservation() {
            $crate::common::scenarios::failed_pops_leave_no_reservation::<$ty<usize>>();
        }

        #[test]
        fn timed_pops_wait_their_time() {
            $crate::common::scenarios::timed_pops_wait_their_time::<$ty<usize>>();
        }

        #[test]
        fn huge_timeouts_wait_forever() {
            $crate::common::scenarios::huge_timeouts_wait_forever::<$ty<usize>>();
        }

        #[test]
        fn every_value_delivered_once_4_producers_4_consumers() {
            $crate::common::scenarios::conservation::<$ty<Tracked>>(
                $crate::common::scenarios::Stress {
                    producers: 4,
                    consumers: 4,
                    per_producer: scale(75_000, 750_000),
                    seed: 0x51,
                    synchronous: false,
                },
            );
        }

        #[test]
        fn every_value_delivered_once_2_producers_2_consumers() {
            $crate::common::scenarios::conservation::<$ty<Tracked>>(
                $crate::common::scenarios::Stress {
                    producers: 2,
                    consumers: 2,
                    per_producer: scale(150_000, 1_500_000),
                    seed: 0x22,
                    synchronous: false,
                },
            );
        }

        #[test]
        fn pop_timeout_racing_push_loses_nothing() {
            $crate::common::scenarios::offer_races_pop_timeout::<$ty<Tracked>>(
                $crate::common::scenarios::Offer::Push,
                scale(100_000, 500_000),
                0x7,
            );
        }

        #[test]
        fn values_left_inside_drop_once_with_the_structure() {
            $crate::common::scenarios::values_left_inside_drop_once_with_the_structure::<
                $ty<Tracked>,
            >();
        }

        #[test]
        fn values_given_back_belong_to_the_caller() {
            $crate::common::scenarios::values_given_back_belong_to_the_caller::<$ty<Tracked>>();
        }

        #[test]
        fn a_structure_with_withdrawn_waiters_drops_cleanly() {
            $crate::common::scenarios::structure_with_cancelled_nodes_drops_cleanly::<$ty<Tracked>>(
            );
        }

        #[test]
        fn delivered_values_drop_once() {
            $crate::common::scenarios::delivered_values_drop_once::<$ty<Tracked>>();
        }

        #[test]
        fn blocked_consumers_park() {
            $crate::common::scenarios::blocked_consumers_park::<$ty<usize>>();
        }

        #[test]
        fn blocked_producers_park() {
            $crate::common::scenarios::blocked_producers_park::<$ty<usize>>();
        }

        #[test]
        fn state_queries_follow_contents() {
            $crate::common::scenarios::state_queries_follow_contents::<$ty<usize>>();
        }

        #[test]
        fn debug_output_is_informative() {
            $crate::common::scenarios::debug_output_is_informative::<$ty<usize>>();
            // Debug does not need `T: Debug`.
            struct Opaque;
            let q = $ty::new();
            q.push(Opaque);
            assert!(format!("{q:?}").contains(stringify!($ty)));
        }

        #[test]
        fn a_panicking_drop_does_not_leak_the_rest() {
            $crate::common::scenarios::a_panicking_drop_does_not_leak_the_rest::<
                $ty<$crate::common::scenarios::Bomb>,
            >();
        }
    };
}
