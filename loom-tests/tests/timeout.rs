//! Timed operations: a cancellation racing a fulfilment. Under loom a timed wait parks once and
//! then counts as expired (`src/sync.rs`), so every cancel CAS races every fulfil CAS that loom
//! interleaves with it. Every call is recorded, and each execution's history checked: a timed-out
//! pop that still took a value, or a withdrawn transfer that was also delivered, makes it not
//! linearizable.
#![cfg(loom)]

use dualq_loom_tests::{each, id_of, model, outcome, Recorded, Subject, Values, TIMEOUT};

/// A `pop_timeout` races a `push`: loom explores the push landing before the reservation is
/// linked (data path), while it waits (fulfil), and after it cancels (the value stays inside),
/// and the cancel CAS against the fulfil CAS; without the one-winner slot (or if a waiter that
/// lost the race to a fulfiller dropped the value), the value would be lost (leak), delivered
/// and kept (double drop), or the dead reservation would still count as waiting.
fn pop_timeout_races_push<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(1);
        let h = Recorded::<D>::new();
        let consumer = h.spawn(1, |rec| rec.pop_timeout(TIMEOUT));
        h.thread(0).push(values.make(0));
        let got = consumer.join();
        let left = h.check();
        outcome(if got.is_some() {
            "delivered"
        } else {
            "timed out"
        });
        // Delivered, or still inside for the next consumer: exactly one of the two.
        assert_eq!(
            (id_of(&got), left.iter().map(|v| v.id()).collect::<Vec<_>>()),
            if got.is_some() {
                (Some(0), vec![])
            } else {
                (None, vec![0])
            }
        );
        drop((got, left, h));
        values.assert_all_dropped_once();
    });
}
each!(pop_timeout_races_push, queue: 3, stack: 3, segmented: 3);

/// Two `pop_timeout`s race one `push`: loom explores both reservations cancelling while the
/// push fulfils one of them, including a cancelled reservation being unlinked from the middle
/// of the list while the other is fulfilled; at most one consumer may get the value, and if
/// neither does it must still be inside (nothing lost, nothing duplicated, no waiter left).
fn two_pop_timeouts_race_push<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(1);
        let h = Recorded::<D>::new();
        let consumers: Vec<_> = (1..=2)
            .map(|t| h.spawn(t, |rec| rec.pop_timeout(TIMEOUT)))
            .collect();
        h.thread(0).push(values.make(0));
        let got: Vec<_> = consumers.into_iter().map(|c| c.join()).collect();
        let left = h.check();
        let delivered = got.iter().flatten().count();
        assert!(delivered <= 1, "one value delivered twice");
        outcome(if delivered == 1 {
            "one delivered, one timed out"
        } else {
            "both timed out"
        });
        assert_eq!(
            left.len(),
            1 - delivered,
            "the value was lost or duplicated"
        );
        drop((got, left, h));
        values.assert_all_dropped_once();
    });
}
each!(two_pop_timeouts_race_push, queue: 1, stack: 1, segmented: 1);

/// A `transfer_timeout` races a blocking `pop`: loom explores the consumer taking the value just
/// before, during and after the producer's cancel CAS; the value must come back to the producer
/// XOR reach the consumer, never both (a double drop) and never neither (a leak). If it came
/// back, the main thread pushes a second value so the consumer can finish.
fn transfer_timeout_races_pop<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(2);
        let h = Recorded::<D>::new();
        let producer = {
            let v = values.make(0);
            h.spawn(1, move |rec| rec.transfer_timeout(v, TIMEOUT))
        };
        let consumer = h.spawn(2, |rec| rec.pop());
        let sent = producer.join();
        let back = sent.as_ref().err().map(|v| v.id());
        outcome(if back.is_some() {
            "withdrawn"
        } else {
            "delivered"
        });
        if back.is_some() {
            h.thread(0).push(values.make(1));
        } else {
            // Delivered: the consumer has it or is about to; the spare value is not needed.
            drop(values.make(1));
        }
        let got = consumer.join();
        assert!(h.check().is_empty());
        assert_eq!(got.id(), if back.is_some() { 1 } else { 0 });
        assert_eq!(back, if got.id() == 1 { Some(0) } else { None });
        drop((sent, got, h));
        values.assert_all_dropped_once();
    });
}
each!(transfer_timeout_races_pop, queue: 2, stack: 2, segmented: (1, ignore = "255,000 executions at bound 1 (40 s) on SegmentedDualQueue: its race is covered by drop_with_withdrawn_transfer and transfer_timeout_races_pop_timeout"));

/// A `transfer_timeout` races a `pop_timeout`: both may give up, so loom explores the
/// producer's cancel, the consumer's cancel and the match in every order; the outcomes must
/// agree (delivered to the consumer XOR returned to the producer) and both nodes must end
/// unlinked.
fn transfer_timeout_races_pop_timeout<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(1);
        let h = Recorded::<D>::new();
        let producer = {
            let v = values.make(0);
            h.spawn(1, move |rec| rec.transfer_timeout(v, TIMEOUT))
        };
        let consumer = h.spawn(2, |rec| rec.pop_timeout(TIMEOUT));
        let sent = producer.join();
        let got = consumer.join();
        assert!(h.check().is_empty());
        match (&sent, &got) {
            (Ok(()), Some(v)) => {
                outcome("delivered");
                assert_eq!(v.id(), 0)
            }
            (Err(v), None) => {
                outcome("both timed out");
                assert_eq!(v.id(), 0)
            }
            _ => panic!(
                "transfer said {:?} but pop_timeout got {:?}",
                sent.is_ok(),
                id_of(&got)
            ),
        }
        drop((sent, got, h));
        values.assert_all_dropped_once();
    });
}
each!(transfer_timeout_races_pop_timeout, queue: 2, stack: 2, segmented: 1);
