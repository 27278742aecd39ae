//! Synchronous handoffs: `transfer` and `try_transfer` against consumers.
#![cfg(loom)]

use dualq_loom_tests::{both, model, outcome, spawn, Arc, Dual, Values};

/// A blocking `transfer` meets a blocking `pop`, each on its own thread: loom explores the
/// producer linking and waiting (the consumer takes its node) and the consumer linking and
/// waiting (the producer fulfils it); both must return, the consumer with the value, and a
/// lost wake-up of either would show as a deadlock.
fn transfer_pop<D: Dual>() {
    model(2, || {
        let values = Values::new(1);
        let d = Arc::new(D::new());
        let producer = {
            let d = d.clone();
            let v = values.make(0);
            spawn(move || d.transfer(v))
        };
        let consumer = {
            let d = d.clone();
            spawn(move || d.pop())
        };
        producer.join().unwrap();
        let got = consumer.join().unwrap();
        assert_eq!(got.id(), 0);
        assert!(d.is_empty() && d.waiting_producers() == 0 && d.waiting_consumers() == 0);
        drop((got, d));
        values.assert_all_dropped_once();
    });
}
both!(transfer_pop);

/// `try_transfer` on the main thread races a consumer linking its reservation: it hands the
/// value over if the reservation is linked, else returns it and must not have enqueued it (a
/// value both returned and left inside would be delivered twice); if it came back, the main
/// thread pushes it so the consumer can finish.
fn try_transfer_pop<D: Dual>() {
    model(3, || {
        let values = Values::new(1);
        let d = Arc::new(D::new());
        let consumer = {
            let d = d.clone();
            spawn(move || d.pop())
        };
        if let Err(v) = d.try_transfer(values.make(0)) {
            outcome("returned");
            assert_eq!(d.len(), 0, "try_transfer enqueued a value it returned");
            d.push(v);
        } else {
            outcome("handed over");
        }
        let got = consumer.join().unwrap();
        assert_eq!(got.id(), 0);
        assert!(d.is_empty() && d.waiting_consumers() == 0);
        drop((got, d));
        values.assert_all_dropped_once();
    });
}
both!(try_transfer_pop);
