//! Dropping a structure that still holds values, dead reservations and withdrawn transfers:
//! every value must be dropped exactly once (by its receiver, by the producer it came back to,
//! or by the structure's destructor), and never a value that already left. The calls before
//! the drop are recorded and each execution's history checked, without the final drain (the
//! destructor is what these scenarios test).
#![cfg(loom)]

use dualq_loom_tests::{each, id_of, model, outcome, Recorded, Subject, Values, TIMEOUT};

/// A `pop_timeout` races a `push`, then the main thread pushes a second value and drops the
/// structure: loom explores the drop finding a cancelled reservation before, among or after the
/// data; the destructor must drop each value still inside once and skip dead nodes (dropping a
/// delivered value again would be a double drop, skipping a live one a leak).
fn drop_with_values_and_cancelled_reservation<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(2);
        let h = Recorded::<D>::new();
        let consumer = h.spawn(1, |rec| rec.pop_timeout(TIMEOUT));
        h.thread(0).push(values.make(0));
        let got = consumer.join();
        outcome(if got.is_some() {
            "delivered"
        } else {
            "timed out"
        });
        h.thread(0).push(values.make(1));
        h.check_keeping();
        drop(h); // the destructor drops what is left
        drop(got);
        values.assert_all_dropped_once();
    });
}
each!(drop_with_values_and_cancelled_reservation, queue: 3, stack: 3, segmented: 2);

/// A `transfer_timeout` races a `push` and a `try_pop` on the main thread, then the structure is
/// dropped: loom explores the try_pop taking the transferred value (the transfer succeeds) or
/// the pushed one while the transfer withdraws; the outcomes must agree, and the destructor
/// must not drop the withdrawn value again (it went back to the producer) nor leak the other.
fn drop_with_withdrawn_transfer<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(2);
        let h = Recorded::<D>::new();
        let producer = {
            let v = values.make(0);
            h.spawn(1, move |rec| rec.transfer_timeout(v, TIMEOUT))
        };
        let taken = {
            let mut main = h.thread(0);
            main.push(values.make(1));
            main.try_pop()
        };
        let sent = producer.join();
        outcome(if sent.is_ok() {
            "transferred"
        } else {
            "withdrawn"
        });
        h.check_keeping();
        match &sent {
            Ok(()) => assert_eq!(id_of(&taken), Some(0), "transferred, but not taken"),
            Err(v) => {
                assert_eq!(v.id(), 0);
                assert_ne!(id_of(&taken), Some(0), "withdrawn, but also taken");
            }
        }
        drop(h);
        drop((taken, sent));
        values.assert_all_dropped_once();
    });
}
each!(drop_with_withdrawn_transfer, queue: 2, stack: 2, segmented: 2);
