//! `close()` (issue 26) racing a blocked send, a waiting receive, a receive that frees room for
//! a blocked send, and a weak sender's `upgrade`; and `upgrade` racing the last sender's drop.
//!
//! The close models record every call and check each explored execution's history against the
//! channel specification (`ChannelSpec` with `close`: it refuses every sender still blocked and
//! every receiver still waiting, keeps the buffer for the receivers, and says whether it closed
//! the channel). The upgrade models assert outcomes (an upgrade is not an operation of the
//! specification): a channel whose senders are gone stays disconnected, and a value sent
//! through an upgraded sender is received, or given back, exactly once.
#![cfg(loom)]

use dualq::channel::{bounded, rendezvous, unbounded, RecvError};
use dualq_loom_tests::{model, outcome, spawn, ChannelSpec, Ends, RecordedChannel, Val, Values};

/// A rendezvous sender blocks in `send` while the channel is closed from the receiving side:
/// loom explores the close before the send claims its cell, between its claim and its parking,
/// and while it waits. No receiver was ever there, so the send must fail with its own value;
/// a close that missed it (the cell is past the receivers' line, which the close settles) would
/// leave it asleep forever.
#[test]
fn close_races_a_blocked_rendezvous_send() {
    model(3, || {
        let values = Values::new(1);
        let (tx, rx) = rendezvous::<Val>();
        let h = RecordedChannel::new("rendezvous", ChannelSpec::new(Some(0), 2, 1));
        let tx1 = tx.clone();
        let sender = {
            let v = values.make(0);
            h.spawn(1, Ends::sender(tx1), move |rec| rec.send(v).map_err(|v| v.id()))
        };
        let mut main = h.thread(0, Ends::both(tx, rx));
        assert!(main.close(), "the first close closes");
        assert_eq!(sender.join(), Err(0), "a send succeeded with nobody receiving");
        let ends = main.hand_over();
        drop(main);
        h.check(ends);
        values.assert_all_dropped_once();
    });
}

/// A receiver waits in `recv` on an empty unbounded channel while a sender sends one value and
/// another thread closes: the receiver gets the value if the send came first, else
/// `Err(RecvError)`, and then the send failed and got its value back; never both, never a
/// receiver left waiting. Loom explores the close's two bits against the receiver's claim (an
/// early receiver in line, or a late one that must wait for the close) and the send's claim.
///
/// Bound 1 (bound 2: 689,071 executions, 8 minutes).
#[test]
fn close_races_a_waiting_receive_and_a_send() {
    model(1, || {
        let values = Values::new(1);
        let (tx, rx) = unbounded::<Val>();
        // The main thread keeps a handle of each side, so that no thread's exit disconnects
        // the channel behind the recorded history.
        let h = RecordedChannel::new("unbounded", ChannelSpec::new(None, 2, 2));
        let (tx2, rx1) = (tx.clone(), rx.clone());
        let receiver = h.spawn(1, Ends::receiver(rx1), |rec| rec.recv().map(|v| v.id()));
        let sender = {
            let v = values.make(0);
            h.spawn(2, Ends::sender(tx2), move |rec| rec.send(v).map_err(|v| v.id()))
        };
        let mut main = h.thread(0, Ends::both(tx, rx));
        assert!(main.close(), "nobody else closes");
        let (got, sent) = (receiver.join(), sender.join());
        match (got, sent) {
            (Ok(0), Ok(())) => outcome("received before the close"),
            (Err(RecvError), Err(0)) => outcome("refused by the close"),
            other => panic!("the receive and the send disagree: {other:?}"),
        }
        let ends = main.hand_over();
        drop(main);
        h.check(ends);
        values.assert_all_dropped_once();
    });
}

/// On a full `bounded(1)`, a sender blocks while a receiver takes the buffered value and the
/// channel is closed: if the receive took effect before the close, the slot it freed belongs to
/// the blocked sender, whose send succeeds and whose value is drained after the close; if after,
/// the sender was refused at the close. The receiver gets the buffered value either way (a close
/// keeps what is in the channel). A close that refused every blocked sender, or released one the
/// receivers had not made room for, breaks the history.
///
/// The close runs on a thread of its own (`on_its_own_thread`), so that loom explores every
/// order of the three without spending preemptions on it, or on the main thread, where a
/// preemption lets the others run around it.
fn close_races_a_receive_on_a_full_bounded_channel(on_its_own_thread: bool) {
    let values = Values::new(2);
    let (tx, rx) = bounded::<Val>(1);
    let receivers = if on_its_own_thread { 3 } else { 2 };
    let h = RecordedChannel::new("bounded(1)", ChannelSpec::new(Some(1), 2, receivers));
    let (tx1, rx2) = (tx.clone(), rx.clone());
    let closer_rx = on_its_own_thread.then(|| rx.clone());
    let mut main = h.thread(0, Ends::both(tx, rx));
    main.send(values.make(0)).expect("room for one");
    let sender = {
        let v = values.make(1);
        h.spawn(1, Ends::sender(tx1), move |rec| rec.send(v).map_err(|v| v.id()))
    };
    let receiver = h.spawn(2, Ends::receiver(rx2), |rec| rec.recv().map(|v| v.id()));
    let closed = match closer_rx {
        Some(rx3) => h.spawn(3, Ends::receiver(rx3), |rec| rec.close()).join(),
        None => main.close(),
    };
    assert!(closed, "nobody else closes");
    let sent = sender.join();
    assert_eq!(receiver.join(), Ok(0), "the close keeps the buffered value");
    let ends = main.hand_over();
    drop(main);
    let left: Vec<usize> = h.check(ends).iter().map(Val::id).collect();
    match sent {
        Ok(()) => {
            outcome("room freed before the close");
            assert_eq!(left, [1], "the released value was not drained");
        }
        Err(1) => {
            outcome("refused by the close");
            assert!(left.is_empty());
        }
        Err(other) => panic!("another value came back: {other}"),
    }
    values.assert_all_dropped_once();
}

/// [`close_races_a_receive_on_a_full_bounded_channel`], the close on its own thread, at bound 0
/// (bound 1 took over 30 minutes): here loom only reached the orders in which the close comes
/// after the receive has freed the slot; the next model has the close first, and the close
/// landing inside the receive, between its claim and its move of the buffer end, is the trace
/// test `segmented_close_gives_the_room_of_a_receive_before_it_to_the_blocked_sender`.
#[test]
fn close_races_a_receive_that_frees_room_for_a_blocked_send() {
    model(0, || close_races_a_receive_on_a_full_bounded_channel(true));
}

/// [`close_races_a_receive_on_a_full_bounded_channel`], the close on the main thread, at bound
/// 1: loom explores the receive and the blocked send around the close, and reaches the close
/// before the receive frees the slot: the sender is then refused.
#[test]
fn close_before_a_receive_refuses_the_blocked_send() {
    model(1, || close_races_a_receive_on_a_full_bounded_channel(false));
}

/// A weak sender upgrades while the channel is closed from the receiving side: a sender is
/// alive, so the upgrade succeeds; a send through it before the close is received (drained),
/// one after it fails with its value back. `is_closed` through the upgraded sender agrees with
/// the outcome of its send.
#[test]
fn close_races_an_upgrade() {
    model(2, || {
        let values = Values::new(1);
        let (tx, rx) = unbounded::<Val>();
        let weak = tx.downgrade();
        let upgrader = {
            let v = values.make(0);
            spawn(move || {
                let tx = weak.upgrade().expect("a sender is alive");
                let sent = tx.send(v).map_err(|e| e.into_inner().id());
                (sent, tx.is_closed())
            })
        };
        let closer = {
            let rx = rx.clone();
            spawn(move || rx.close())
        };
        let (sent, closed_after) = upgrader.join().unwrap();
        assert!(closer.join().unwrap(), "nobody else closed it");
        assert!(closed_after || sent.is_ok(), "a send failed on an open channel");
        drop(tx);
        let drained: Vec<usize> = rx.iter().map(|v| v.id()).collect();
        match sent {
            Ok(()) => {
                outcome("sent before the close");
                assert_eq!(drained, [0]);
            }
            Err(0) => {
                outcome("refused");
                assert!(drained.is_empty());
            }
            Err(other) => panic!("another value came back: {other}"),
        }
        values.assert_all_dropped_once();
    });
}

/// A weak sender upgrades while the last (strong) sender is dropped: either the upgrade comes
/// first (it gets a sender, the channel stays connected, and its value is received before the
/// disconnection), or the drop does (`None`, and the receiver sees the disconnection). Never a
/// sender revived on a channel whose senders were all gone: loom explores the upgrade's
/// compare-and-swap against the drop's decrement and the close that follows it.
#[test]
fn upgrade_races_the_last_senders_drop() {
    model(3, || {
        let values = Values::new(1);
        let (tx, rx) = unbounded::<Val>();
        let weak = tx.downgrade();
        let upgrader = {
            let v = values.make(0);
            spawn(move || match weak.upgrade() {
                Some(tx) => {
                    tx.send(v).expect("the receiver is alive");
                    true
                }
                None => {
                    drop(v);
                    assert!(weak.upgrade().is_none(), "a disconnected channel revived");
                    false
                }
            })
        };
        drop(tx);
        let first = rx.recv().map(|v| v.id());
        let upgraded = upgrader.join().unwrap();
        if upgraded {
            outcome("upgraded first");
            assert_eq!(first, Ok(0));
            assert_eq!(rx.recv().map(|v| v.id()), Err(RecvError));
        } else {
            outcome("dropped first");
            assert_eq!(first, Err(RecvError));
        }
        assert!(rx.is_disconnected());
        values.assert_all_dropped_once();
    });
}
