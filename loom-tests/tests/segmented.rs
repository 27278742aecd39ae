//! Races that only the segmented queue has: cells claimed by fetch-and-add in linked segments
//! (two cells per segment under loom), segments appended, retired and removed while other
//! threads walk the list, a receiver that claims a cell before its sender has written it, and a
//! cancelled waiter that outlives its segment. Every call is recorded, and each explored
//! execution's history is checked against the dual queue's specification.
//!
//! The generic scenarios of the other files (`handoff`, `timeout`, `transfer`, `drops`,
//! `reclaim`, `mixes`) run on `SegmentedDualQueue` too; the channel races are in `channel.rs`.
#![cfg(loom)]

use dualq::SegmentedDualQueue;
use dualq_loom_tests::{model, outcome, reclaim, unexplored, Recorded, Val, Values, TIMEOUT};

type Queue = SegmentedDualQueue<Val>;

/// The senders' and receivers' counters `(S, R)`, read from `Debug` (unexplored: for tallies
/// once the threads have finished).
fn counters(q: &Queue) -> (u64, u64) {
    let text = unexplored(|| format!("{q:?}"));
    let field = |name: &str| -> u64 {
        let start = text.find(name).expect("a counter in Debug") + name.len();
        text[start..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a number")
    };
    (field("sent: "), field("received: "))
}

/// Cell 2 is the first cell of the second segment: after two values went through, a `pop` and
/// a `push` both claim it, so both walk from the first segment (their side pointers were read
/// before their claims) and race to append the second one (one CAS on `next` wins, the other
/// walks on to the winner's segment), move their pointers, and retire the first segment from
/// the head once both pointers have left it; the main thread then drives reclamation while the
/// consumer may still be walking. A lost append would strand one party in a segment the other
/// never sees (a deadlock); a segment retired while a pointer still named it, or freed while a
/// walker was pinned in it, would be read after free (the quarantine's poison).
#[test]
fn send_recv_across_a_segment_boundary() {
    model(1, || {
        let values = Values::new(3);
        let h = Recorded::<Queue>::new();
        let mut main = h.thread(0);
        for id in [0, 1] {
            main.push(values.make(id));
            let v = main.try_pop().expect("the value just pushed");
            assert_eq!(v.id(), id);
        }
        let consumer = h.spawn(1, |rec| rec.pop());
        main.push(values.make(2));
        reclaim();
        drop(main);
        let got = consumer.join();
        assert_eq!(got.id(), 2);
        reclaim();
        assert!(h.check().is_empty());
        drop((got, h));
        values.assert_all_dropped_once();
    });
}

/// A `try_pop` claims the cell of a `push` that has claimed it but not written yet (the main
/// thread's push is preempted between its fetch-and-add and its CAS): the receiver waits a
/// bounded while (one round under loom), then poisons the cell, and both move on to later cells:
/// the sender writes there, the receiver finds nothing and withdraws, or takes the value if the
/// sender got there first. The value must be delivered or stay inside for the drain, exactly
/// once; a receiver that gave up without poisoning (or a sender that did not retry after the
/// poison) would lose it.
#[test]
fn receiver_arrives_before_its_sender_writes() {
    model(2, || {
        let values = Values::new(1);
        let h = Recorded::<Queue>::new();
        let consumer = h.spawn(1, |rec| rec.try_pop());
        h.thread(0).push(values.make(0));
        let got = consumer.join();
        let poisoned = counters(h.structure()).0 > 1;
        let left = h.check();
        outcome(match (poisoned, got.is_some()) {
            (true, true) => "poisoned, then taken",
            (true, false) => "poisoned, then left inside",
            (false, true) => "taken",
            (false, false) => "missed",
        });
        assert_eq!(
            got.iter().chain(&left).map(Val::id).collect::<Vec<_>>(),
            [0]
        );
        drop((got, left, h));
        values.assert_all_dropped_once();
    });
}

/// As `receiver_arrives_before_its_sender_writes`, with a blocking `pop`: a receive that may
/// wait never poisons its sender's cell, whether that sender claimed before or after it (it
/// cannot tell which, and in the second case it was already in line: poisoning would send it
/// behind later receivers). It waits in its cell (spinning, or parked) and the sender serves it
/// there, so each side claims exactly one cell. A receiver that poisoned would leave `S = 2`; a
/// lost wake-up would deadlock.
#[test]
fn blocking_receiver_waits_for_a_lagging_sender() {
    model(2, || {
        let values = Values::new(1);
        let h = Recorded::<Queue>::new();
        let consumer = h.spawn(1, |rec| rec.pop());
        h.thread(0).push(values.make(0));
        let got = consumer.join();
        assert_eq!(counters(h.structure()), (1, 1), "one claim per side: no poison");
        outcome("served in its cell");
        assert!(h.check().is_empty());
        assert_eq!(got.id(), 0);
        drop((got, h));
        values.assert_all_dropped_once();
    });
}

/// A receiver times out in each of cells 0..4, alone (the main thread waits for it): every cell
/// of the first two segments is withdrawn, and each withdrawal moves the senders' counter past
/// its cell, while the senders' pointer stays at the first segment. Then a `pop` claims cell 4:
/// it appends the third segment and moves the receivers' pointer there, which leaves the second
/// segment with every cell withdrawn and no pointer, so the `pop` removes it from the middle of
/// the list (mark, then swing the first segment's `next`). Meanwhile the main thread's `push`
/// walks from the first segment to cell 4, through the segment being removed, and moves the
/// senders' pointer, which lets the first segment go from the head. The value must reach the
/// `pop`. Once both are done, the main thread frees what was retired and sends and receives once
/// more, each walk starting from its side's pointer: a segment freed while a pointer still named
/// it (a removal that ignored a concurrent pointer move) is read there, and the quarantine's
/// poison fails the model.
#[test]
fn withdrawn_segment_is_removed_while_a_sender_walks_it() {
    model(0, || {
        let values = Values::new(2);
        let h = Recorded::<Queue>::new();
        let setup = h.spawn(1, |rec| {
            for _ in 0..4 {
                assert!(rec.pop_timeout(TIMEOUT).is_none(), "nothing was sent");
            }
        });
        setup.join();
        assert_eq!(
            counters(h.structure()),
            (4, 4),
            "withdrawn cells are passed"
        );
        let consumer = h.spawn(2, |rec| rec.pop());
        h.thread(0).push(values.make(0));
        let got = consumer.join();
        assert_eq!(got.id(), 0);
        let mut main = h.thread(0);
        main.push(values.make(1));
        let again = main.try_pop().expect("the value just pushed");
        drop(main);
        assert!(h.check().is_empty());
        drop((got, again, h));
        values.assert_all_dropped_once();
    });
}

/// A `pop_timeout` parks in cell 1 (the last of the first segment) and times out, while the main
/// thread pushes three values: the push that meets the withdrawn cell moves on, the pushes fill
/// cells of the second segment, and a `try_pop` moves the receivers on, so both pointers leave
/// the first segment and it is retired and reclaimed. The timed-out waiter, woken unpinned, must
/// touch its cell only if no partner can have reached it yet (`clean_cancelled`: the partner's
/// counter, read while pinned, is not past its index); otherwise it would finalize its cell in
/// a freed segment (the quarantine's poison).
#[test]
fn cancelled_waiter_outlives_its_segment() {
    model(1, || {
        let values = Values::new(4);
        let h = Recorded::<Queue>::new();
        let mut main = h.thread(0);
        main.push(values.make(0));
        assert_eq!(main.try_pop().map(|v| v.id()), Some(0));
        let consumer = h.spawn(1, |rec| rec.pop_timeout(TIMEOUT));
        for id in 1..4 {
            main.push(values.make(id));
        }
        let first = main.try_pop();
        reclaim();
        drop(main);
        let got = consumer.join();
        outcome(if got.is_some() {
            "delivered"
        } else {
            "timed out"
        });
        reclaim();
        let left = h.check();
        let mut all: Vec<usize> = got.iter().chain(&first).chain(&left).map(Val::id).collect();
        all.sort_unstable();
        assert_eq!(all, [1, 2, 3]);
        drop((got, first, left, h));
        values.assert_all_dropped_once();
    });
}
