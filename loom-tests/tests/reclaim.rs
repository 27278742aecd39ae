//! Memory reclamation: nodes unlinked and freed (crossbeam-epoch, with `crossbeam_sanitize`
//! and explicit flushes so frees happen inside the model) while other threads still read them.
//! The harness's quarantine allocator poisons freed blocks, so a read of a freed node panics.
//! Every call but the list walks (`len`, `waiting_consumers`, not linearizable while others run)
//! is recorded, and each execution's history checked.
#![cfg(loom)]

use dualq_loom_tests::{each, model, outcome, reclaim, Recorded, Subject, Values};

/// A consumer takes the front node, unlinks it and drives reclamation while the main thread
/// reads the same front (`is_empty`, `has_waiting_consumer`) and walks the list (`len`,
/// `waiting_consumers`); without the readers' epoch pins (or with a node freed at unlink
/// instead of retired), a reader would dereference the freed node and hit the poison.
fn readers_pin_the_front<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(2);
        let h = Recorded::<D>::new();
        let d = h.structure().clone();
        let mut main = h.thread(0);
        main.push(values.make(0));
        main.push(values.make(1));
        let consumer = h.spawn(1, |rec| {
            let v = rec.try_pop();
            reclaim();
            v
        });
        let len = d.len();
        let empty = main.is_empty();
        let waiting = main.has_waiting_consumer() || d.waiting_consumers() != 0;
        drop(main);
        let got = consumer.join().expect("the structure held two values");
        assert!(len == 1 || len == 2);
        outcome(if len == 1 {
            "len saw the pop"
        } else {
            "len ran first"
        });
        assert!(!empty && !waiting);
        reclaim();
        let left = h.check();
        assert_eq!(left.len(), 1);
        drop((got, left, d, h));
        values.assert_all_dropped_once();
    });
}
each!(readers_pin_the_front, queue: 2, stack: 2, segmented: 2);

/// A waiting consumer's node is fulfilled, unlinked and reclaimed by the main thread (a push
/// fulfils it; for the queue a second push and a `try_pop` move the head past it) while the
/// consumer, unpinned, has yet to read its slot; the consumer's own reference must keep the
/// node alive, or it would read its state from a freed node.
fn waiter_outlives_unlink<D: Subject>(bound: usize) {
    model(bound, || {
        let values = Values::new(2);
        let h = Recorded::<D>::new();
        let consumer = h.spawn(1, |rec| rec.pop());
        let rest = {
            let mut main = h.thread(0);
            main.push(values.make(0));
            main.push(values.make(1));
            main.try_pop()
                .expect("two values, one consumer: one is left")
        };
        reclaim();
        let got = consumer.join();
        outcome(if got.id() == 0 {
            "consumer got 0"
        } else {
            "consumer got 1"
        });
        assert_eq!(got.id() + rest.id(), 1);
        reclaim();
        assert!(h.check().is_empty());
        drop((got, rest, h));
        values.assert_all_dropped_once();
    });
}
each!(waiter_outlives_unlink, queue: 2, stack: 2, segmented: 1);
