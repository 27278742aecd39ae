//! Handoffs between producers (`push`) and consumers (`pop`): data path, fulfil path, and the
//! order in which waiting consumers are served. Every call is recorded, and each explored
//! execution's history is checked against the sequential specification (`Recorded::check`).
#![cfg(loom)]

use dualq_loom_tests::{each, model, observe_waiting, wait_until, Recorded, Subject, Values};

/// A consumer `pop`s while the main thread `push`es, so loom explores the push landing before,
/// during and after the consumer links its reservation; a missing Release/Acquire pair on the
/// link or on the fulfil CAS shows as a causality violation on the value cell, a lost wake-up
/// as a deadlock, and a lost or doubled value as a leak, a double drop or a history that is not
/// linearizable.
fn push_pop<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(1);
        let h = Recorded::<D>::new();
        let consumer = h.spawn(1, |rec| rec.pop());
        h.thread(0).push(values.make(0));
        let got = consumer.join();
        let left = h.check();
        assert_eq!((got.id(), left.len()), (0, 0));
        drop((got, h));
        values.assert_all_dropped_once();
    });
}
each!(push_pop, queue: 3, stack: 3, segmented: 3);

/// Two producers race each other and a consumer: loom explores both appends contending for the
/// tail (or head) while the consumer links or takes, so a lost append (two CASes succeeding on
/// one link) or a value taken twice would show as a missing value, a leak, a double drop, or a
/// history in which a value appears twice or never.
fn push_push_pop<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(2);
        let h = Recorded::<D>::new();
        let consumer = h.spawn(1, |rec| rec.pop());
        let producer = {
            let v = values.make(1);
            h.spawn(2, move |rec| rec.push(v))
        };
        h.thread(0).push(values.make(0));
        let got = consumer.join();
        producer.join();
        let left = h.check();
        assert_eq!(left.len(), 1, "the other value stays inside");
        assert_eq!(got.id() + left[0].id(), 1, "each value exactly once");
        drop((got, left, h));
        values.assert_all_dropped_once();
    });
}
each!(push_push_pop, queue: 1, stack: 1, segmented: 1);

/// Two consumers wait while the main thread pushes two values, in any interleaving with the
/// pops linking their reservations: each consumer must get exactly one value. Without the
/// one-winner slot CAS two producers could fulfil the same reservation (one value lost, one
/// consumer stuck: a deadlock), and without mark-then-swing a fulfilled node could stay linked.
/// (Both pops span the whole execution, so any service order is linearizable here: the order
/// is checked by `waiters_served_in_order`.)
fn pop_pop_push_push<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(2);
        let h = Recorded::<D>::new();
        let consumers: Vec<_> = (1..=2).map(|t| h.spawn(t, |rec| rec.pop())).collect();
        {
            let mut main = h.thread(0);
            main.push(values.make(0));
            main.push(values.make(1));
        }
        let mut got: Vec<_> = consumers.into_iter().map(|c| c.join()).collect();
        let left = h.check();
        got.sort_by_key(|v| v.id());
        assert_eq!((got[0].id(), got[1].id(), left.len()), (0, 1, 0));
        drop((got, h));
        values.assert_all_dropped_once();
    });
}
each!(pop_pop_push_push, queue: 1, stack: 1, segmented: 1);

/// Consumer A's reservation is linked before consumer B's (B is spawned once A waits, which the
/// main thread records as a `has_waiting_consumer() -> true` that pins A's request in the
/// history), and both wait before two pushes: the queue must serve A first (oldest first), the
/// stack B first (newest first). Loom explores every interleaving of the two fulfilments with
/// the waiters waking; a structure that fulfilled the wrong end hands the first value to the
/// wrong consumer, which makes the history not linearizable.
fn waiters_served_in_order<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(2);
        let h = Recorded::<D>::new();
        let d = h.structure().clone();
        let pop = |t| h.spawn(t, |rec| rec.pop());
        let (a, b) = {
            let mut main = h.thread(0);
            let a = pop(1);
            wait_until(|| d.waiting_consumers() == 1);
            assert!(observe_waiting(&mut main));
            let b = pop(2);
            wait_until(|| d.waiting_consumers() == 2);
            main.push(values.make(0));
            main.push(values.make(1));
            (a, b)
        };
        let (a, b) = (a.join(), b.join());
        let left = h.check();
        let expected = if D::FIFO { (0, 1) } else { (1, 0) };
        assert_eq!(
            (a.id(), b.id()),
            expected,
            "{} served the wrong waiter",
            D::NAME
        );
        assert!(left.is_empty());
        drop((a, b, d, h));
        values.assert_all_dropped_once();
    });
}
each!(waiters_served_in_order, queue: 2, stack: 2, segmented: 1);
