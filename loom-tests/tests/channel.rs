//! Disconnection races of `dualq::channel`: the last handle of one side goes while the other
//! side sends or receives. The channel's handle counts and the queue's `disconnect` use the
//! same `src/sync.rs` atomics as the rest, so loom interleaves the drop of a handle with every
//! step of the concurrent operation.
#![cfg(loom)]

use dualq::channel::{rendezvous, unbounded, RecvError, SendError};
use dualq_loom_tests::{model, outcome, spawn, Val, Values};

/// A receiver blocks in `recv` on an empty channel while the last sender is dropped: loom
/// explores the drop before the receiver looks, between its look and the linking of its
/// reservation, and while it waits; in every case `recv` must return `Err(RecvError)`. Without
/// the flag-then-recheck handshake in `disconnect`, a reservation linked just after the sweep
/// of waiting receivers would sleep forever (loom reports the deadlock).
#[test]
fn recv_races_last_sender_drop() {
    model(3, || {
        let (tx, rx) = unbounded::<u8>();
        let receiver = spawn(move || rx.recv());
        drop(tx);
        assert_eq!(receiver.join().unwrap(), Err(RecvError));
    });
}

/// A sender sends one value and then drops, racing a receiver that receives until the channel
/// says disconnected: the value must arrive before the disconnection is reported, whichever
/// comes first in time (receivers drain what was sent), and must be dropped once. Without the
/// ordering between the sends and the last sender's `disconnect`, the receiver could see the
/// disconnection first and the value would be left behind (reported as a leak or as a missing
/// delivery).
#[test]
fn sends_are_drained_before_disconnection() {
    model(2, || {
        let values = Values::new(1);
        let (tx, rx) = unbounded::<Val>();
        let sender = {
            let v = values.make(0);
            spawn(move || {
                tx.send(v).unwrap();
                drop(tx);
            })
        };
        let receiver = spawn(move || {
            let first = rx.recv().map(|v| v.id());
            let second = rx.recv().map(|v| v.id());
            (first, second)
        });
        sender.join().unwrap();
        assert_eq!(receiver.join().unwrap(), (Ok(0), Err(RecvError)));
        values.assert_all_dropped_once();
    });
}

/// A rendezvous sender blocks in `send` while the last receiver is dropped: loom explores the
/// drop before the send looks, between its look and linking its node, and while it waits; the
/// send must return `Err(SendError(v))` with its own value, which is then dropped once by the
/// caller, never by the channel too. A lost wake-up shows as a deadlock, a value dropped by both
/// as a double drop.
#[test]
fn rendezvous_send_races_last_receiver_drop() {
    model(3, || {
        let values = Values::new(1);
        let (tx, rx) = rendezvous::<Val>();
        let sender = {
            let v = values.make(0);
            spawn(move || match tx.send(v) {
                Err(SendError(v)) => v.id(),
                Ok(()) => panic!("a rendezvous send succeeded with no receiver"),
            })
        };
        drop(rx);
        assert_eq!(sender.join().unwrap(), 0);
        values.assert_all_dropped_once();
    });
}

/// An unbounded `send` races the drop of the last receiver: the send either fails and gives
/// its value back, or succeeds and the value is dropped by the channel (by the receiver's drain
/// or with the last handle), exactly once either way. A send that both failed and left its
/// value inside, or a drain racing the append, would show as a double drop or a leak.
#[test]
fn unbounded_send_races_last_receiver_drop() {
    model(3, || {
        let values = Values::new(1);
        let (tx, rx) = unbounded::<Val>();
        let sender = {
            let v = values.make(0);
            spawn(move || match tx.send(v) {
                Ok(()) => "accepted",
                Err(SendError(v)) => {
                    assert_eq!(v.id(), 0);
                    "given back"
                }
            })
        };
        drop(rx);
        outcome(sender.join().unwrap());
        values.assert_all_dropped_once();
    });
}

/// A rendezvous handoff completes while the sending side disconnects: a receiver blocks in
/// `recv`, a sender hands it one value and drops. The receiver must get the value (a fulfilled
/// reservation is not also woken as disconnected), and its next `recv` must fail rather than
/// hang. Without one CAS deciding between fulfil and disconnect, the value could be lost in a
/// reservation that the disconnection also claimed.
#[test]
fn rendezvous_handoff_races_last_sender_drop() {
    model(2, || {
        let values = Values::new(1);
        let (tx, rx) = rendezvous::<Val>();
        let receiver = spawn(move || {
            let first = rx.recv().map(|v| v.id());
            let second = rx.recv().map(|v| v.id());
            (first, second)
        });
        let sender = {
            let v = values.make(0);
            spawn(move || {
                tx.send(v).unwrap();
                drop(tx);
            })
        };
        sender.join().unwrap();
        assert_eq!(receiver.join().unwrap(), (Ok(0), Err(RecvError)));
        values.assert_all_dropped_once();
    });
}
