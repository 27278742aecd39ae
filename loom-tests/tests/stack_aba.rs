//! The dual stack's matched pair against a cancellation walk and a late push (issue 17): four
//! threads, the most loom allows with the main thread.
//!
//! A `push` that finds consumer P waiting on top pushes fulfilling node F over it, matches P,
//! and then freezes F and P and pops both. Meanwhile consumer Q, below P, times out, and its
//! cancellation walk starts at `head`; and consumer N, which read `head == P` before F came,
//! tries to push its request over P. The walk must pop F and P together (`stack.rs`, invariant
//! 5): a walk that swung `head` past F alone put the matched P back on top, N's push then
//! covered it (ABA on `head`), and P stayed linked after F was retired.
//!
//! What this model can and cannot see. It checks that every value is delivered exactly once,
//! that nobody waits forever, and (through the harness's quarantine allocator) that no node is
//! read after it was freed, in every interleaving within the bound, including the schedule
//! above. It does *not* fail on the old walk: the harm a stale P does needs a later fulfilling
//! node allocated at F's freed address, and the quarantine holds freed blocks back from reuse.
//! The unit test `stack::tests::a_walk_unlinks_a_matched_fulfilling_node_with_its_partner`
//! replays the schedule step by step and fails on the old walk.
#![cfg(loom)]

use dualq::DualStack;
use dualq_loom_tests::{model, outcome, spawn, Arc, Val, Values};
use std::time::Duration;

/// Any length: under loom a timed wait expires after its first park (`src/sync.rs`).
const TIMEOUT: Duration = Duration::from_secs(1);

/// Consumers Q (times out), P (waits) and N (times out) race one `push` on the main thread; if
/// the push reached Q or N, a second push serves P. Every value must reach exactly one
/// consumer, and the stack must end with nobody waiting.
///
/// Ignored by default: 505,416 executions at bound 1, 79 s here, nearly as long as the rest
/// of the loom suite together. Run it with
/// `loom-tests/run.sh -- --ignored cancellation_walk`. (The 3-thread
/// `two_pop_timeouts_race_push::stack` covers a cancellation walk meeting a frozen pair in
/// every CI run; this one adds the late push.)
#[test]
#[ignore = "four threads, 80 s: loom-tests/run.sh -- --ignored cancellation_walk"]
fn cancellation_walk_races_a_handoff_and_a_late_push() {
    model(1, || {
        let values = Values::new(2);
        let stack = Arc::new(DualStack::<Val>::new());
        let timed = |stack: &Arc<DualStack<Val>>| {
            let stack = stack.clone();
            spawn(move || stack.pop_timeout(TIMEOUT))
        };
        let q = timed(&stack);
        let p = {
            let stack = stack.clone();
            spawn(move || stack.pop())
        };
        let n = timed(&stack);
        stack.push(values.make(0));
        let (q, n) = (q.join().unwrap(), n.join().unwrap());
        let timed_got = q.iter().chain(&n).count();
        assert!(timed_got <= 1, "one value, two consumers got it");
        if timed_got == 1 {
            outcome("a timed consumer got the first value");
            stack.push(values.make(1));
        } else {
            outcome("the waiting consumer got the first value");
            drop(values.make(1));
        }
        let p = p.join().unwrap();
        assert_eq!(p.id(), if timed_got == 1 { 1 } else { 0 });
        assert!(!stack.has_waiting_consumer() && stack.is_empty());
        assert_eq!((stack.len(), stack.waiting_consumers()), (0, 0));
        drop((q, n, p, stack));
        values.assert_all_dropped_once();
    });
}
