//! Synchronous handoffs: `transfer` and `try_transfer` against consumers. Every call is
//! recorded, and each execution's history checked.
#![cfg(loom)]

use dualq_loom_tests::{each, model, outcome, Recorded, Subject, Values};

/// A blocking `transfer` meets a blocking `pop`, each on its own thread: loom explores the
/// producer linking and waiting (the consumer takes its node) and the consumer linking and
/// waiting (the producer fulfils it); both must return, the consumer with the value, and a
/// lost wake-up of either would show as a deadlock.
fn transfer_pop<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(1);
        let h = Recorded::<D>::new();
        let producer = {
            let v = values.make(0);
            h.spawn(1, move |rec| rec.transfer(v))
        };
        let consumer = h.spawn(2, |rec| rec.pop());
        producer.join();
        let got = consumer.join();
        assert!(h.check().is_empty());
        assert_eq!(got.id(), 0);
        drop((got, h));
        values.assert_all_dropped_once();
    });
}
each!(transfer_pop, queue: 2, stack: 2, segmented: 1);

/// `try_transfer` on the main thread races a consumer linking its reservation: it hands the
/// value over if the reservation is linked, else returns it and must not have enqueued it (a
/// value both returned and left inside would be delivered twice); if it came back, the main
/// thread pushes it so the consumer can finish.
fn try_transfer_pop<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(1);
        let h = Recorded::<D>::new();
        let consumer = h.spawn(1, |rec| rec.pop());
        {
            let mut main = h.thread(0);
            if let Err(v) = main.try_transfer(values.make(0)) {
                outcome("returned");
                main.push(v);
            } else {
                outcome("handed over");
            }
        }
        let got = consumer.join();
        assert!(h.check().is_empty());
        assert_eq!(got.id(), 0);
        drop((got, h));
        values.assert_all_dropped_once();
    });
}
each!(try_transfer_pop, queue: 3, stack: 3, segmented: 2);
