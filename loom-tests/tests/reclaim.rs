//! Memory reclamation: nodes unlinked and freed (crossbeam-epoch, with `crossbeam_sanitize`
//! and explicit flushes so frees happen inside the model) while other threads still read them.
//! The harness's quarantine allocator poisons freed blocks, so a read of a freed node panics.
#![cfg(loom)]

use dualq_loom_tests::{both, model, outcome, reclaim, spawn, Arc, Dual, Values};

/// A consumer takes the front node, unlinks it and drives reclamation while the main thread
/// reads the same front (`is_empty`, `has_waiting_consumer`) and walks the list (`len`,
/// `waiting_consumers`); without the readers' epoch pins (or with a node freed at unlink
/// instead of retired), a reader would dereference the freed node and hit the poison.
fn readers_pin_the_front<D: Dual>() {
    model(2, || {
        let values = Values::new(2);
        let d = Arc::new(D::new());
        d.push(values.make(0));
        d.push(values.make(1));
        let consumer = {
            let d = d.clone();
            spawn(move || {
                let v = d.try_pop();
                reclaim();
                v
            })
        };
        let len = d.len();
        let empty = d.is_empty();
        let waiting = d.has_waiting_consumer() || d.waiting_consumers() != 0;
        let got = consumer
            .join()
            .unwrap()
            .expect("the structure held two values");
        assert!(len == 1 || len == 2);
        outcome(if len == 1 {
            "len saw the pop"
        } else {
            "len ran first"
        });
        assert!(!empty && !waiting);
        assert_eq!(d.len(), 1);
        reclaim();
        drop((got, d));
        values.assert_all_dropped_once();
    });
}
both!(readers_pin_the_front);

/// A waiting consumer's node is fulfilled, unlinked and reclaimed by the main thread (a push
/// fulfils it; for the queue a second push and a `try_pop` move the head past it) while the
/// consumer, unpinned, has yet to read its slot; the consumer's own reference must keep the
/// node alive, or it would read its state from a freed node.
fn waiter_outlives_unlink<D: Dual>() {
    model(2, || {
        let values = Values::new(2);
        let d = Arc::new(D::new());
        let consumer = {
            let d = d.clone();
            spawn(move || d.pop())
        };
        d.push(values.make(0));
        d.push(values.make(1));
        let rest = d.try_pop().expect("two values, one consumer: one is left");
        reclaim();
        let got = consumer.join().unwrap();
        outcome(if got.id() == 0 {
            "consumer got 0"
        } else {
            "consumer got 1"
        });
        assert_eq!(got.id() + rest.id(), 1);
        reclaim();
        drop((got, rest, d));
        values.assert_all_dropped_once();
    });
}
both!(waiter_outlives_unlink);
