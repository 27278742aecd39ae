//! Operation mixes: 2–3 threads, each with a short script of calls drawn from `push`, `pop`,
//! `try_pop`, `pop_timeout`, `transfer`, `try_transfer`, `transfer_timeout` and the observers
//! `is_empty` and `has_waiting_consumer`. Every call is recorded, and each explored execution's
//! history is checked against the sequential specification (a queue's or a stack's, with two
//! linearization points per blocking call); the model prints how many distinct outcomes (the
//! results of all calls) it saw.
//!
//! The main thread (the first script) makes only calls that never block (loom bug #249).
//! Untimed blocking calls appear only where every execution can finish: each untimed `pop` is
//! sure to find a value and each untimed `transfer` a consumer, or loom reports a deadlock.
#![cfg(loom)]

use dualq_loom_tests::{
    distinct_outcome, model, Recorded, Subject, ThreadRecorder, Val, Values, TIMEOUT,
};

/// One call of a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    Push,
    Pop,
    TryPop,
    PopTimeout,
    Transfer,
    TryTransfer,
    TransferTimeout,
    IsEmpty,
    HasWaitingConsumer,
}

use Act::*;

impl Act {
    /// Whether the call offers a value.
    fn offers(self) -> bool {
        matches!(self, Push | Transfer | TryTransfer | TransferTimeout)
    }

    /// Whether the call may wait for another thread.
    fn blocks(self) -> bool {
        matches!(self, Pop | PopTimeout | Transfer | TransferTimeout)
    }
}

/// Makes one thread's calls, in order, each offering the next of `offered` if it offers a
/// value. Returns the values the thread ends up holding (taken, or given back) and what each
/// call returned, in words.
fn run<D: Subject>(
    rec: &mut ThreadRecorder<D>,
    script: &[Act],
    offered: Vec<Val>,
) -> (Vec<Val>, String) {
    let mut offered = offered.into_iter();
    let mut held = Vec::new();
    let mut words = Vec::new();
    let keep = |v: Option<Val>, held: &mut Vec<Val>| {
        let word = v.as_ref().map_or("-".to_owned(), |v| v.id().to_string());
        held.extend(v);
        word
    };
    for &act in script {
        let word = match act {
            Push => {
                rec.push(offered.next().expect("a value to offer"));
                "ok".to_owned()
            }
            Transfer => {
                rec.transfer(offered.next().expect("a value to offer"));
                "ok".to_owned()
            }
            TryTransfer => {
                let back = rec.try_transfer(offered.next().expect("a value to offer"));
                keep(back.err(), &mut held)
            }
            TransferTimeout => {
                let back = rec.transfer_timeout(offered.next().expect("a value to offer"), TIMEOUT);
                keep(back.err(), &mut held)
            }
            Pop => {
                let v = rec.pop();
                keep(Some(v), &mut held)
            }
            TryPop => {
                let v = rec.try_pop();
                keep(v, &mut held)
            }
            PopTimeout => {
                let v = rec.pop_timeout(TIMEOUT);
                keep(v, &mut held)
            }
            IsEmpty => rec.is_empty().to_string(),
            HasWaitingConsumer => rec.has_waiting_consumer().to_string(),
        };
        words.push(format!("{act:?}:{word}"));
    }
    (held, words.join(" "))
}

/// Runs `scripts` (the first on the main thread, each other on a thread of its own) under loom
/// at preemption bound `bound`, checking every execution's history and that every value is
/// dropped exactly once.
fn mix<D: Subject>(bound: usize, scripts: &'static [&'static [Act]]) {
    assert!(
        scripts[0].iter().all(|a| !a.blocks()),
        "the main thread must not block (loom bug #249)"
    );
    let offers: Vec<usize> = scripts
        .iter()
        .map(|s| s.iter().filter(|a| a.offers()).count())
        .collect();
    model(bound, move || {
        let values = Values::new(offers.iter().sum());
        let h = Recorded::<D>::new();
        // Ids in script order: thread t offers the ids after those of threads 0..t.
        let mut ids = 0..;
        let mut offered: Vec<Vec<Val>> = offers
            .iter()
            .map(|&n| ids.by_ref().take(n).map(|id| values.make(id)).collect())
            .collect();
        let others: Vec<_> = (1..scripts.len())
            .map(|t| {
                let mine = std::mem::take(&mut offered[t]);
                h.spawn(t, move |rec| run(rec, scripts[t], mine))
            })
            .collect();
        let mut results = vec![run(
            &mut h.thread(0),
            scripts[0],
            std::mem::take(&mut offered[0]),
        )];
        results.extend(others.into_iter().map(|t| t.join()));
        let left = h.check();
        let outcome: Vec<&str> = results.iter().map(|(_, words)| words.as_str()).collect();
        distinct_outcome(format!("{} | left {}", outcome.join(" | "), left.len()));
        drop((results, left, h));
        values.assert_all_dropped_once();
    });
}

/// `mix!(name, queue: 2, stack: 2, segmented: 1, [[main's calls], [thread 1's calls], …])`
/// makes `name::queue`, `name::stack` and `name::segmented`, each at its preemption bound.
macro_rules! mix {
    ($name:ident, queue: $q:expr, stack: $s:expr, segmented: $g:expr, $scripts:expr) => {
        mod $name {
            use super::*;
            const SCRIPTS: &[&[Act]] = &$scripts;
            #[test]
            fn queue() {
                mix::<dualq::DualQueue<Val>>($q, SCRIPTS)
            }
            #[test]
            fn stack() {
                mix::<dualq::DualStack<Val>>($s, SCRIPTS)
            }
            #[test]
            fn segmented() {
                mix::<dualq::SegmentedDualQueue<Val>>($g, SCRIPTS)
            }
        }
    };
}

// Data order: two pushes in real-time order, then a try_pop and a timed pop racing them. A
// value served out of order, or a timed-out pop that still took one (or lost it), shows.
mix!(
    push_push_vs_try_pop_pop_timeout,
    queue: 2,
    stack: 2,
    segmented: 2,
    [&[Push, Push], &[TryPop, PopTimeout]]
);

// A waiting pop against try_transfer and push: try_transfer may hand over only to a waiter
// already linked, and must not leave its value inside when it fails.
mix!(
    try_transfer_push_vs_pop_timeout,
    queue: 2,
    stack: 2,
    segmented: 2,
    [&[TryTransfer, Push], &[PopTimeout]]
);

// A transfer against a pop, with the main thread observing: is_empty must see the transferred
// value only while it is inside, has_waiting_consumer only a request that is linked.
mix!(
    transfer_vs_pop_observed,
    queue: 2,
    stack: 2,
    segmented: 1,
    [&[IsEmpty, HasWaitingConsumer], &[Transfer], &[Pop]]
);

// Both sides time out: a withdrawn transfer must never also be taken, a timed-out pop must
// never also take, and whatever is left after both must still be there for the drain.
mix!(
    transfer_timeout_vs_pop_timeout_and_try_pop,
    queue: 1,
    stack: 1,
    segmented: 1,
    [&[TryPop, Push], &[TransferTimeout], &[PopTimeout]]
);
