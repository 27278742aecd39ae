//! `dualq::channel`: disconnection races (the last handle of one side goes while the other side
//! sends or receives) and the buffer end of bounded channels (a receive that frees a slot
//! releases the oldest blocked sender). The channels run on `SegmentedDualQueue`, whose counters,
//! cells and waiters use the same `src/sync.rs` atomics as the rest, as do the handle counts, so
//! loom interleaves the drop of a handle with every step of the concurrent operation.
//!
//! Every call, and every drop of a handle while others run, is recorded, and each explored
//! execution's history is checked against the channel's sequential specification
//! (`ChannelSpec`: capacity, FIFO, blocked parties served in order, disconnection).
#![cfg(loom)]

use dualq::channel::{bounded, rendezvous, unbounded, RecvError};
use dualq_loom_tests::{model, outcome, ChannelSpec, Ends, RecordedChannel, Val, Values, TIMEOUT};
use std::sync::atomic::{AtomicBool, Ordering};

/// A receiver blocks in `recv` on an empty channel while the last sender is dropped: loom
/// explores the drop before the receiver claims its cell, between its claim and its parking,
/// and while it waits; in every case `recv` must return `Err(RecvError)`. Without the `GONE`
/// bit returned by the claim's fetch-and-add, or without the sweep of the cells receivers
/// claimed, a receiver parked just after the sweep would sleep forever (a deadlock).
#[test]
fn recv_races_last_sender_drop() {
    model(3, || {
        let (tx, rx) = unbounded::<Val>();
        let h = RecordedChannel::new("unbounded", ChannelSpec::new(None, 1, 1));
        let receiver = h.spawn(1, Ends::receiver(rx), |rec| rec.recv().map(|v| v.id()));
        h.thread(0, Ends::sender(tx)).drop_sender();
        assert_eq!(receiver.join(), Err(RecvError));
        assert!(h.check(Ends::none()).is_empty());
    });
}

/// A sender sends one value and then drops, racing a receiver that receives until the channel
/// says disconnected: the value must arrive before the disconnection is reported, whichever
/// comes first in time (receivers drain what was sent), and must be dropped once. If the sweep
/// closed a cell that already held a value, or a receiver trusted the `GONE` bit without
/// comparing its index with the final send counter, the value would be left behind (a leak, a
/// missing delivery, a history that is not linearizable).
#[test]
fn sends_are_drained_before_disconnection() {
    model(2, || {
        let values = Values::new(1);
        let (tx, rx) = unbounded::<Val>();
        let h = RecordedChannel::new("unbounded", ChannelSpec::new(None, 1, 1));
        let sender = {
            let v = values.make(0);
            h.spawn(1, Ends::sender(tx), move |rec| {
                rec.send(v).expect("a receiver is alive");
                rec.drop_sender();
            })
        };
        let receiver = h.spawn(2, Ends::receiver(rx), |rec| {
            let first = rec.recv().map(|v| v.id());
            let second = rec.recv().map(|v| v.id());
            (first, second)
        });
        sender.join();
        assert_eq!(receiver.join(), (Ok(0), Err(RecvError)));
        assert!(h.check(Ends::none()).is_empty());
        values.assert_all_dropped_once();
    });
}

/// A rendezvous sender blocks in `send` while the last receiver is dropped: loom explores the
/// drop before the send claims its cell, between the claim and parking, and while it waits;
/// the send must return `Err(SendError(v))` with its own value, which is then dropped once by the
/// caller, never by the channel too. A lost wake-up shows as a deadlock, a value dropped by both
/// as a double drop.
#[test]
fn rendezvous_send_races_last_receiver_drop() {
    model(3, || {
        let values = Values::new(1);
        let (tx, rx) = rendezvous::<Val>();
        let h = RecordedChannel::new("rendezvous", ChannelSpec::new(Some(0), 1, 1));
        let sender = {
            let v = values.make(0);
            h.spawn(1, Ends::sender(tx), move |rec| {
                rec.send(v).map_err(|v| v.id())
            })
        };
        h.thread(0, Ends::receiver(rx)).drop_receiver();
        let sent = sender.join();
        // The history first, so that a broken disconnection shows as a history.
        h.check(Ends::none());
        assert_eq!(sent, Err(0), "a rendezvous send succeeded with no receiver");
        values.assert_all_dropped_once();
    });
}

/// A sender sends twice on an unbounded channel while the last receiver is dropped (the race
/// that stranded values in dualq's first channels, issue 13): each send either fails and gives
/// its value back, or succeeds, and then its value must have been dropped by the time the
/// receiver's drop returns (**no stranding**), not later with the last sender; every send after
/// the drop fails. The sender notes each `Ok` in a flag the instant its send returns (no loom
/// step in between), and the main thread reads the flags the instant its drop returns: in the
/// explored schedule, that is "every send that returned `Ok` before the drop returned".
#[test]
fn unbounded_sends_race_last_receiver_drop() {
    model(2, || {
        let values = Values::new(2);
        let (tx, rx) = unbounded::<Val>();
        let h = RecordedChannel::new("unbounded", ChannelSpec::new(None, 1, 1));
        let accepted: std::sync::Arc<[AtomicBool; 2]> = std::sync::Arc::default();
        let sender = {
            let (v0, v1) = (values.make(0), values.make(1));
            let accepted = accepted.clone();
            h.spawn(1, Ends::sender(tx), move |rec| {
                for (i, v) in [v0, v1].into_iter().enumerate() {
                    match rec.send(v) {
                        Ok(()) => accepted[i].store(true, Ordering::SeqCst),
                        Err(v) => assert_eq!(v.id(), i),
                    }
                }
            })
        };
        h.thread(0, Ends::receiver(rx)).drop_receiver();
        let accepted_before: Vec<bool> =
            accepted.iter().map(|a| a.load(Ordering::SeqCst)).collect();
        for (id, &ok) in accepted_before.iter().enumerate() {
            if ok {
                assert_eq!(
                    values.drops(id),
                    1,
                    "value {id} was sent Ok before the last receiver's drop returned, and is \
                     still inside"
                );
            }
        }
        sender.join();
        let accepted_after: Vec<bool> = accepted.iter().map(|a| a.load(Ordering::SeqCst)).collect();
        assert_eq!(
            accepted_after, accepted_before,
            "a send returned Ok after the last receiver's drop had returned"
        );
        outcome(match accepted_after.iter().filter(|&&ok| ok).count() {
            0 => "both given back",
            1 => "one accepted, one given back",
            _ => "both accepted",
        });
        h.check(Ends::none());
        values.assert_all_dropped_once();
    });
}

/// A rendezvous handoff completes while the sending side disconnects: a receiver blocks in
/// `recv`, a sender hands it one value and drops. The receiver must get the value (a served
/// waiter is not also woken as disconnected), and its next `recv` must fail rather than hang.
/// Without one CAS on the waiter deciding between delivery and disconnection, the value could be
/// lost in a waiter that the sweep also closed.
#[test]
fn rendezvous_handoff_races_last_sender_drop() {
    model(1, || {
        let values = Values::new(1);
        let (tx, rx) = rendezvous::<Val>();
        let h = RecordedChannel::new("rendezvous", ChannelSpec::new(Some(0), 1, 1));
        let receiver = h.spawn(1, Ends::receiver(rx), |rec| {
            let first = rec.recv().map(|v| v.id());
            let second = rec.recv().map(|v| v.id());
            (first, second)
        });
        let sender = {
            let v = values.make(0);
            h.spawn(2, Ends::sender(tx), move |rec| {
                rec.send(v).expect("the receiver is alive");
                rec.drop_sender();
            })
        };
        sender.join();
        assert_eq!(receiver.join(), (Ok(0), Err(RecvError)));
        h.check(Ends::none());
        values.assert_all_dropped_once();
    });
}

// ---------------------------------------------------------------------------------------------
// The buffer end of bounded channels (issue 14).

/// On a full `bounded(1)`, a sender blocks while a receiver takes the buffered value: loom
/// explores the receive's claim and its move of the buffer end landing before the sender claims
/// its cell (it buffers at once), while it spins (the buffer end moves its value in), and while
/// it is parked (the buffer end wins its waiter). The sender must return once its value is in
/// the buffer, and the value must be there for the next receive. If the sender read `B` and `R`
/// before its claim, or the buffer end read `S` before its own, the two could miss each other
/// and the sender would sleep forever with a free slot (a deadlock).
#[test]
fn bounded_recv_frees_the_slot_of_a_blocked_sender() {
    model(1, || {
        let values = Values::new(2);
        let (tx, rx) = bounded::<Val>(1);
        let h = RecordedChannel::new("bounded(1)", ChannelSpec::new(Some(1), 2, 2));
        let (tx1, rx2) = (tx.clone(), rx.clone());
        let mut main = h.thread(0, Ends::both(tx, rx));
        main.send(values.make(0)).expect("room for one");
        let sender = {
            let v = values.make(1);
            h.spawn(1, Ends::sender(tx1), move |rec| rec.send(v).is_ok())
        };
        let receiver = h.spawn(2, Ends::receiver(rx2), |rec| rec.recv().map(|v| v.id()));
        assert!(sender.join());
        assert_eq!(receiver.join(), Ok(0));
        let ends = main.hand_over();
        drop(main);
        let left = h.check(ends);
        assert_eq!(left.iter().map(Val::id).collect::<Vec<_>>(), [1]);
        drop(left);
        values.assert_all_dropped_once();
    });
}

/// On a full `bounded(1)`, a sender's `send_timeout` expires while a receive frees the slot and
/// the buffer end releases it: loom explores the sender's cancel CAS on its waiter (or its cell)
/// against the buffer end's CAS. Either the send succeeded and its value is in the buffer, or it
/// timed out, got its value back, and the value is never delivered (and the freed slot stays
/// free); never both, never neither.
#[test]
fn bounded_send_timeout_races_its_release() {
    model(1, || {
        let values = Values::new(2);
        let (tx, rx) = bounded::<Val>(1);
        let h = RecordedChannel::new("bounded(1)", ChannelSpec::new(Some(1), 2, 2));
        let (tx1, rx2) = (tx.clone(), rx.clone());
        let mut main = h.thread(0, Ends::both(tx, rx));
        main.send(values.make(0)).expect("room for one");
        let sender = {
            let v = values.make(1);
            h.spawn(1, Ends::sender(tx1), move |rec| {
                rec.send_timeout(v, TIMEOUT).map_err(|e| e.into_inner())
            })
        };
        let receiver = h.spawn(2, Ends::receiver(rx2), |rec| rec.recv().map(|v| v.id()));
        let sent = sender.join();
        assert_eq!(receiver.join(), Ok(0));
        let ends = main.hand_over();
        drop(main);
        let left: Vec<usize> = h.check(ends).iter().map(Val::id).collect();
        match &sent {
            Ok(()) => {
                outcome("released");
                assert_eq!(left, [1]);
            }
            Err(v) => {
                outcome("timed out");
                assert_eq!((v.id(), left), (1, vec![]));
            }
        }
        drop(sent);
        values.assert_all_dropped_once();
    });
}

/// On a full `bounded(1)`, a sender blocks while the last receiver is dropped: the sender must
/// wake with its value back (whether it blocked before the drop, or claims its cell after it),
/// and the value in the buffer must be dropped by the time the receiver's drop returns (no
/// stranding), not when the last sender goes.
#[test]
fn bounded_blocked_sender_races_last_receiver_drop() {
    model(3, || {
        let values = Values::new(2);
        let (tx, rx) = bounded::<Val>(1);
        let h = RecordedChannel::new("bounded(1)", ChannelSpec::new(Some(1), 2, 1));
        let tx1 = tx.clone();
        let mut main = h.thread(0, Ends::both(tx, rx));
        main.send(values.make(0)).expect("room for one");
        let sender = {
            let v = values.make(1);
            h.spawn(1, Ends::sender(tx1), move |rec| {
                rec.send(v).map_err(|v| v.id())
            })
        };
        main.drop_receiver();
        assert_eq!(
            values.drops(0),
            1,
            "the buffered value outlived the last receiver"
        );
        let sent = sender.join();
        let ends = main.hand_over();
        drop(main);
        // The history first, so that a broken disconnection shows as a history.
        h.check(ends);
        assert_eq!(sent, Err(1));
        values.assert_all_dropped_once();
    });
}

/// On a full `bounded(1)`, a sender times out and withdraws (alone: the main thread waits for
/// it), then a second sender blocks behind the withdrawn cell while the main thread's
/// `try_recv` frees the slot. The buffer end reaches the withdrawn cell first: it must move on
/// and release the second sender; the slot must not be lost. Loom explores the second sender's
/// claim and wait against the receive and the buffer end's two steps. A buffer end that stopped
/// at the withdrawn cell would leave the second sender blocked with a free slot (a deadlock when
/// the main thread joins it). (The receive is the main thread's `try_recv`, not a third
/// thread's `recv`: with a receiving thread this model took 289,168 executions at bound 0.)
#[test]
fn bounded_buffer_end_skips_a_withdrawn_sender() {
    model(1, || {
        let values = Values::new(4);
        let (tx, rx) = bounded::<Val>(1);
        let h = RecordedChannel::new("bounded(1)", ChannelSpec::new(Some(1), 3, 1));
        let (tx1, tx2) = (tx.clone(), tx.clone());
        let mut main = h.thread(0, Ends::both(tx, rx));
        // Use up cell 0 first, so that the withdrawn send's claim appends the second segment
        // before the race (segment.rs's races have their own models in segmented.rs).
        main.send(values.make(3)).expect("room for one");
        assert_eq!(main.try_recv().map(|v| v.id()), Ok(3));
        main.send(values.make(0)).expect("room for one");
        let withdrawn = {
            let v = values.make(1);
            h.spawn(1, Ends::sender(tx1), move |rec| {
                rec.send_timeout(v, TIMEOUT).map_err(|e| e.into_inner())
            })
        };
        let withdrawn = withdrawn.join().expect_err("full, and nobody receives");
        assert_eq!(withdrawn.id(), 1);
        let second = {
            let v = values.make(2);
            h.spawn(2, Ends::sender(tx2), move |rec| rec.send(v).is_ok())
        };
        assert_eq!(main.try_recv().map(|v| v.id()), Ok(0));
        assert!(second.join());
        let ends = main.hand_over();
        drop(main);
        let left = h.check(ends);
        assert_eq!(left.iter().map(Val::id).collect::<Vec<_>>(), [2]);
        drop((withdrawn, left));
        values.assert_all_dropped_once();
    });
}
