//! Handoffs between producers (`push`) and consumers (`pop`): data path, fulfil path, and the
//! order in which waiting consumers are served.
#![cfg(loom)]

use dualq_loom_tests::{both, model, spawn, wait_until, Arc, Dual, Values};

/// A consumer `pop`s while the main thread `push`es, so loom explores the push landing before,
/// during and after the consumer links its reservation; a missing Release/Acquire pair on the
/// link or on the fulfil CAS shows as a causality violation on the value cell, a lost wake-up
/// as a deadlock, and a lost or doubled value as a leak or double drop.
fn push_pop<D: Dual>() {
    model(3, || {
        let values = Values::new(1);
        let d = Arc::new(D::new());
        let consumer = {
            let d = d.clone();
            spawn(move || d.pop())
        };
        d.push(values.make(0));
        let got = consumer.join().unwrap();
        assert_eq!(got.id(), 0);
        assert!(d.is_empty());
        assert_eq!((d.len(), d.waiting_consumers()), (0, 0));
        drop((got, d));
        values.assert_all_dropped_once();
    });
}
both!(push_pop);

/// Two producers race each other and a consumer: loom explores both appends contending for the
/// tail (or head) while the consumer links or takes, so a lost append (two CASes succeeding on
/// one link) or a value taken twice would show as a missing value, a leak or a double drop.
fn push_push_pop<D: Dual>() {
    model(1, || {
        let values = Values::new(2);
        let d = Arc::new(D::new());
        let consumer = {
            let d = d.clone();
            spawn(move || d.pop())
        };
        let producer = {
            let d = d.clone();
            let v = values.make(1);
            spawn(move || d.push(v))
        };
        d.push(values.make(0));
        let got = consumer.join().unwrap();
        producer.join().unwrap();
        let rest = d.try_pop().expect("the other value stays inside");
        assert_eq!(got.id() + rest.id(), 1, "each value exactly once");
        assert!(d.try_pop().is_none());
        assert!(d.is_empty() && !d.has_waiting_consumer());
        drop((got, rest, d));
        values.assert_all_dropped_once();
    });
}
both!(push_push_pop);

/// Two consumers wait while the main thread pushes two values, in any interleaving with the
/// pops linking their reservations: each consumer must get exactly one value. Without the
/// one-winner slot CAS two producers could fulfil the same reservation (one value lost, one
/// consumer stuck: a deadlock), and without mark-then-swing a fulfilled node could stay linked.
fn pop_pop_push_push<D: Dual>() {
    model(1, || {
        let values = Values::new(2);
        let d = Arc::new(D::new());
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let d = d.clone();
                spawn(move || d.pop())
            })
            .collect();
        d.push(values.make(0));
        d.push(values.make(1));
        let mut ids: Vec<_> = consumers.into_iter().map(|c| c.join().unwrap()).collect();
        ids.sort_by_key(|v| v.id());
        assert_eq!((ids[0].id(), ids[1].id()), (0, 1));
        assert!(d.is_empty() && !d.has_waiting_consumer());
        drop((ids, d));
        values.assert_all_dropped_once();
    });
}
both!(pop_pop_push_push);

/// Consumer A's reservation is linked before consumer B's (B is spawned once A waits), and
/// both wait before two pushes: the queue must serve A first (oldest first), the stack B first
/// (newest first). Loom explores every interleaving of the two fulfilments with the waiters
/// waking; a structure that fulfilled the wrong end would hand the first value to the wrong
/// consumer.
fn waiters_served_in_order<D: Dual>() {
    model(2, || {
        let values = Values::new(2);
        let d = Arc::new(D::new());
        let pop = || {
            let d = d.clone();
            spawn(move || d.pop())
        };
        let a = pop();
        wait_until(|| d.waiting_consumers() == 1);
        let b = pop();
        wait_until(|| d.waiting_consumers() == 2);
        d.push(values.make(0));
        d.push(values.make(1));
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        let expected = if D::FIFO { (0, 1) } else { (1, 0) };
        assert_eq!(
            (a.id(), b.id()),
            expected,
            "{} served the wrong waiter",
            D::NAME
        );
        drop((a, b, d));
        values.assert_all_dropped_once();
    });
}
both!(waiters_served_in_order);
