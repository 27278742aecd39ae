//! The contract of `bounded(n)` (the module docs of `dualq::channel`, issue 14), rule by rule:
//!
//! * a send blocks while `n` values are buffered and resumes when a receive frees a slot;
//!   `try_send` gives `Full(value)` at capacity; `send_timeout` / `send_deadline` give the
//!   value back; capacities 1, 2 and 64;
//! * `len` / `is_empty` / `is_full` / `capacity` on all three flavors, and std's names;
//! * **blocked senders are served in the order they blocked**, one per freed slot, also when
//!   some of them give up meanwhile;
//! * what `try_send` promises: with nothing in flight and fewer than `n` values buffered it
//!   succeeds, and under concurrency the channel never holds more than `n` values;
//! * disconnection from either side, with drop counting: blocked senders get their values back,
//!   nothing stays inside once the last `Receiver`'s drop returns, a panicking `drop` among the
//!   leftovers does not leak the others;
//! * stress: many senders and receivers on `bounded(1)` and `bounded(4)`, every value
//!   delivered exactly once.
//!
//! Rendezvous (`bounded(0)`) runs wherever a rule holds for it too; `tests/channel.rs` has the
//! rendezvous and unbounded rules of their own. Race loops run a few hundred to a few thousand
//! rounds; `DUALQ_LONG=1` runs ten times as many.

mod chan_support;

use chan_support::{
    assert_still_blocked, join, join_within, rounds, spawn_blocked, Jitter, Ledger, Tracked,
    WAKE_BOUND,
};
use dualq::channel::{
    bounded, channel, rendezvous, sync_channel, unbounded, Receiver, RecvError, RecvTimeoutError,
    SendError, SendTimeoutError, Sender, SyncSender, TryRecvError, TrySendError,
};
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Long enough for a thread that should stay blocked to return wrongly; short enough to keep
/// the suite fast.
const GRACE: Duration = Duration::from_millis(30);

/// Long enough that a timed send given it only ends by a receive or a disconnection.
const LONG: Duration = Duration::from_secs(60);

/// The capacities of the basic rules: the smallest, a small one, and more than a segment's
/// worth of cells (32).
const CAPACITIES: [usize; 3] = [1, 2, 64];

/// Capacities for the rules that hold for a rendezvous channel too (`bounded(0)`).
const WITH_RENDEZVOUS: [usize; 4] = [0, 1, 2, 4];

/// A deadline that has passed.
fn past() -> Instant {
    let now = Instant::now();
    now.checked_sub(Duration::from_secs(1)).unwrap_or(now)
}

/// A `bounded(cap)` channel holding the values `0..cap` of `ledger`, sent without blocking.
fn filled(cap: usize, ledger: &'static Ledger) -> (Sender<Tracked>, Receiver<Tracked>) {
    let (tx, rx) = bounded(cap);
    for id in 0..cap {
        tx.try_send(ledger.value(id))
            .expect("a send into a channel with room failed");
    }
    (tx, rx)
}

fn ids(values: &[Tracked]) -> Vec<usize> {
    values.iter().map(Tracked::id).collect()
}

// ==========================================================================================
// A line of blocked senders
// ==========================================================================================

/// How a sender in line waits.
#[derive(Clone, Copy, Debug)]
enum Patience {
    /// Until a receive or a disconnection: `send`, `send_timeout(LONG)` and
    /// `send_deadline(now + LONG)` take turns by position, so all three stand in the same line.
    Stay,
    /// Gives up after this long (`send_timeout`).
    Quit(Duration),
}

type SendResult = Result<(), SendTimeoutError<Tracked>>;

/// Senders blocked one after another in a full channel, each with a value whose id says who
/// sent it. Each sender that stays reports its id on `returned` the moment its send returns.
struct Line {
    senders: Vec<(usize, JoinHandle<SendResult>)>,
    returned: std_mpsc::Receiver<usize>,
}

impl Line {
    /// Blocks one sender per `(id, patience)`, in that order: each is parked in its send before
    /// the next one starts.
    fn block(
        tx: &Sender<Tracked>,
        ledger: &'static Ledger,
        members: impl IntoIterator<Item = (usize, Patience)>,
    ) -> Line {
        let (report, returned) = std_mpsc::channel();
        let senders = members
            .into_iter()
            .enumerate()
            .map(|(position, (id, patience))| {
                let tx = tx.clone();
                let report = report.clone();
                let value = ledger.value(id);
                let handle = spawn_blocked(move || {
                    match patience {
                        // Joined on its own: it reports nothing.
                        Patience::Quit(after) => tx.send_timeout(value, after),
                        Patience::Stay => {
                            let result = match position % 3 {
                                0 => tx.send(value).map_err(SendTimeoutError::from),
                                1 => tx.send_timeout(value, LONG),
                                _ => tx.send_deadline(value, Instant::now() + LONG),
                            };
                            report.send(id).unwrap();
                            result
                        }
                    }
                });
                (id, handle)
            })
            .collect();
        Line { senders, returned }
    }

    /// Asserts that the sender of `id`, and no other, returns now (after one freed slot).
    #[track_caller]
    fn expect_release(&self, id: usize, what: &str) {
        assert_eq!(
            self.returned.recv_timeout(WAKE_BOUND),
            Ok(id),
            "{what}: the sender of value {id} should have been released"
        );
        if let Ok(other) = self.returned.recv_timeout(GRACE) {
            panic!(
                "{what}: one freed slot released the sender of {id} and also the sender of {other}"
            );
        }
    }

    /// Asserts that no sender has returned.
    #[track_caller]
    fn expect_none_released(&self, what: &str) {
        if let Ok(id) = self.returned.recv_timeout(GRACE) {
            panic!("{what}: the sender of {id} returned without a freed slot");
        }
    }

    /// Joins the sender of `id` (which must have returned or be about to), taking it out of
    /// the line.
    fn join(&mut self, id: usize) -> SendResult {
        let at = self
            .senders
            .iter()
            .position(|(sender, _)| *sender == id)
            .expect("no such sender in line");
        let (_, handle) = self.senders.remove(at);
        join(handle)
    }

    /// Joins every sender left, asserting that each send returned `Ok`.
    fn join_all_ok(self, what: &str) {
        for (id, handle) in self.senders {
            if let Err(e) = join(handle) {
                panic!("{what}: the sender of {id} failed: {e:?}");
            }
        }
    }
}

// ==========================================================================================
// Capacity: blocking, try_send, timeouts
// ==========================================================================================

#[test]
fn sends_up_to_capacity_never_block_then_try_send_is_full() {
    for cap in CAPACITIES {
        let ledger = Ledger::leak(cap + 2);
        let (tx, rx) = bounded(cap);
        for id in 0..cap {
            assert_eq!(tx.len(), id, "cap {cap}");
            assert!(!tx.is_full(), "cap {cap}: full with {id} values");
            // On this thread: a send into a channel with room must not block.
            tx.send(ledger.value(id)).unwrap();
        }
        assert_eq!((tx.len(), rx.len()), (cap, cap));
        assert!(tx.is_full() && rx.is_full(), "cap {cap}");
        assert!(!tx.is_empty(), "cap {cap}");
        match tx.try_send(ledger.value(cap)) {
            Err(TrySendError::Full(back)) => {
                assert_eq!(back.id(), cap);
                assert_eq!(
                    ledger.drops(cap),
                    0,
                    "the channel dropped the value it gave back"
                );
            }
            other => panic!("cap {cap}: try_send into a full channel gave {other:?}"),
        }
        assert_eq!(tx.len(), cap, "cap {cap}: a failed try_send changed len");
        // One receive frees one slot.
        assert_eq!(rx.recv().map(|v| v.id()), Ok(0));
        assert!(!tx.is_full());
        tx.try_send(ledger.value(cap + 1)).unwrap();
        assert!(tx.is_full());
        let rest: Vec<Tracked> = rx.try_iter().collect();
        let mut expected: Vec<usize> = (1..cap).collect();
        expected.push(cap + 1);
        assert_eq!(ids(&rest), expected, "cap {cap}: FIFO order");
        assert!(rx.is_empty());
        assert_eq!(rx.len(), 0);
        drop(rest);
        ledger.assert_all_dropped_once("sends up to capacity, then try_send is full");
    }
}

#[test]
fn send_blocks_while_full_and_resumes_when_a_receive_frees_a_slot() {
    for cap in CAPACITIES {
        let ledger = Ledger::leak(cap + 1);
        let (tx, rx) = filled(cap, ledger);
        let extra = ledger.value(cap);
        let tx2 = tx.clone();
        let blocked = spawn_blocked(move || tx2.send(extra));
        assert_still_blocked(&blocked, GRACE, "a send into a full channel");
        assert_eq!(
            rx.len(),
            cap,
            "cap {cap}: a blocked sender's value counted beyond cap"
        );
        assert_eq!(rx.recv().map(|v| v.id()), Ok(0));
        assert_eq!(
            join_within(blocked, WAKE_BOUND).map_err(|e| e.0.id()),
            Ok(())
        );
        assert_eq!(rx.len(), cap, "cap {cap}: the released value is buffered");
        let rest: Vec<usize> = (1..=cap).map(|_| rx.recv().unwrap().id()).collect();
        assert_eq!(rest, (1..=cap).collect::<Vec<_>>(), "cap {cap}: FIFO order");
        assert_eq!(rx.try_recv().map(|v| v.id()), Err(TryRecvError::Empty));
        ledger.assert_all_dropped_once("send blocks while full");
    }
}

#[test]
fn send_timeout_and_send_deadline_give_the_value_back_when_full() {
    for cap in CAPACITIES {
        let ledger = Ledger::leak(cap + 5);
        let (tx, rx) = filled(cap, ledger);
        let start = Instant::now();
        let timed_out = [
            tx.send_timeout(ledger.value(cap), Duration::from_millis(20)),
            tx.send_timeout(ledger.value(cap + 1), Duration::ZERO),
            tx.send_deadline(
                ledger.value(cap + 2),
                Instant::now() + Duration::from_millis(5),
            ),
            tx.send_deadline(ledger.value(cap + 3), past()),
        ];
        assert!(
            start.elapsed() >= Duration::from_millis(25),
            "cap {cap}: a send on a full channel gave up before its timeout"
        );
        for (k, result) in timed_out.into_iter().enumerate() {
            match result {
                Err(SendTimeoutError::Timeout(back)) => {
                    assert_eq!(back.id(), cap + k);
                    assert_eq!(ledger.drops(cap + k), 0, "dropped although given back");
                }
                other => panic!("cap {cap}: timed send {k} on a full channel gave {other:?}"),
            }
        }
        // The withdrawn values are never delivered: the receiver sees the buffer, then the
        // value sent after the timeouts.
        assert_eq!(rx.recv().map(|v| v.id()), Ok(0));
        tx.send_timeout(ledger.value(cap + 4), LONG).unwrap();
        let mut expected: Vec<usize> = (1..cap).collect();
        expected.push(cap + 4);
        let rest: Vec<Tracked> = rx.try_iter().collect();
        assert_eq!(ids(&rest), expected, "cap {cap}");
        drop(rest);
        ledger.assert_all_dropped_once("timed sends on a full channel");
    }
}

#[test]
fn a_timed_send_with_room_ignores_its_timeout() {
    let (tx, rx) = bounded(2);
    // A deadline that has passed and a zero timeout still send when there is room.
    tx.send_deadline(1, past()).unwrap();
    tx.send_timeout(2, Duration::ZERO).unwrap();
    assert_eq!(
        tx.send_deadline(3, past()),
        Err(SendTimeoutError::Timeout(3))
    );
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn a_huge_send_timeout_waits_instead_of_panicking() {
    let (tx, rx) = bounded(1);
    tx.send(0).unwrap();
    let tx2 = tx.clone();
    let blocked = spawn_blocked(move || tx2.send_timeout(1, Duration::MAX));
    assert_still_blocked(&blocked, GRACE, "send_timeout(Duration::MAX)");
    assert_eq!(rx.recv(), Ok(0));
    assert_eq!(join(blocked), Ok(()));
    assert_eq!(rx.recv(), Ok(1));
}

#[test]
fn try_send_hands_the_value_to_a_waiting_receiver_of_an_empty_channel() {
    let (tx, rx) = bounded(1);
    let blocked = spawn_blocked(move || rx.recv());
    tx.try_send(5).unwrap();
    assert_eq!(join_within(blocked, WAKE_BOUND), Ok(5));
}

// ==========================================================================================
// len, is_empty, is_full, capacity; std's names
// ==========================================================================================

#[test]
fn len_never_exceeds_the_capacity_with_senders_blocked() {
    for cap in [1, 2, 4] {
        let ledger = Ledger::leak(cap + 5);
        let (tx, rx) = filled(cap, ledger);
        let line = Line::block(&tx, ledger, (cap..cap + 5).map(|id| (id, Patience::Stay)));
        assert_eq!((tx.len(), rx.len()), (cap, cap), "cap {cap}");
        assert!(tx.is_full() && rx.is_full());
        for j in 0..cap + 5 {
            assert!(
                rx.len() <= cap,
                "cap {cap}: len {} beyond capacity",
                rx.len()
            );
            drop(rx.recv().unwrap());
            if j < 5 {
                line.expect_release(cap + j, "len with senders blocked");
            }
        }
        assert_eq!(rx.len(), 0);
        line.join_all_ok("len with senders blocked");
        ledger.assert_all_dropped_once("len with senders blocked");
    }
}

#[test]
fn len_is_full_is_empty_and_capacity_on_all_three_flavors() {
    // Unbounded: never full.
    let (tx, rx) = unbounded();
    assert_eq!((tx.capacity(), rx.capacity()), (None, None));
    for i in 0..100 {
        tx.send(i).unwrap();
    }
    assert_eq!((tx.len(), rx.len()), (100, 100));
    assert!(!tx.is_full() && !rx.is_full() && !rx.is_empty());

    // Bounded.
    for cap in CAPACITIES {
        let (tx, rx) = bounded(cap);
        assert_eq!((tx.capacity(), rx.capacity()), (Some(cap), Some(cap)));
        assert!(tx.is_empty() && rx.is_empty() && !tx.is_full());
        for i in 0..cap {
            tx.send(i).unwrap();
            assert_eq!(rx.len(), i + 1);
        }
        assert!(tx.is_full() && rx.is_full() && !tx.is_empty());
    }

    // Rendezvous, by both names: full, empty and of length 0, even with a sender blocked or a
    // receiver waiting.
    for (tx, rx) in [rendezvous::<u8>(), bounded::<u8>(0)] {
        assert_eq!((tx.capacity(), rx.capacity()), (Some(0), Some(0)));
        assert!(tx.is_full() && rx.is_full() && tx.is_empty() && rx.is_empty());
        assert_eq!(tx.len(), 0);
        let tx2 = tx.clone();
        let sender = spawn_blocked(move || tx2.send(1));
        assert_eq!(
            (tx.len(), rx.len()),
            (0, 0),
            "a blocked sender's value counted"
        );
        assert!(rx.is_empty() && rx.is_full());
        assert_eq!(rx.recv(), Ok(1));
        join(sender).unwrap();
        let rx2 = rx.clone();
        let receiver = spawn_blocked(move || rx2.recv());
        assert!(tx.is_full() && tx.is_empty());
        assert_eq!(tx.len(), 0);
        tx.send(2).unwrap();
        assert_eq!(join(receiver), Ok(2));
    }
}

#[test]
fn std_names_are_the_same_channels() {
    let (tx, rx): (SyncSender<u8>, Receiver<u8>) = sync_channel(3);
    assert_eq!(tx.capacity(), Some(3));
    // `SyncSender` is `Sender`: one type for every capacity.
    let as_sender: &Sender<u8> = &tx;
    assert!(as_sender.same_channel(&tx.clone()));
    tx.send(1).unwrap();
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(sync_channel::<u8>(0).0.capacity(), Some(0));
    let (tx, rx) = channel::<u8>();
    assert_eq!((tx.capacity(), rx.capacity()), (None, None));
    // Handles of different channels are never the same channel, clones always are.
    let (other_tx, other_rx) = bounded::<u8>(3);
    assert!(!tx.same_channel(&other_tx) && !rx.same_channel(&other_rx));
    assert!(other_rx.same_channel(&other_rx.clone()));
}

#[test]
fn len_is_exact_again_once_a_receiver_passes_withdrawn_sends() {
    // A withdrawn send (a timed-out `send_timeout`) counts in `len` until a receiver passes
    // its place (documented); a receive that finds nothing has passed every place.
    for cap in [1, 2, 3] {
        let (tx, rx) = bounded(cap);
        for i in 0..cap {
            tx.send(i).unwrap();
        }
        for i in 0..3 {
            assert_eq!(
                tx.send_timeout(100 + i, Duration::from_micros(50)),
                Err(SendTimeoutError::Timeout(100 + i))
            );
        }
        assert_eq!(
            rx.try_iter().collect::<Vec<_>>(),
            (0..cap).collect::<Vec<_>>()
        );
        // try_iter ended with a receive that found nothing.
        assert_eq!(
            rx.len(),
            0,
            "cap {cap}: len counts withdrawn sends a receiver passed"
        );
        assert!(rx.is_empty() && !rx.is_full());
        // And every slot is usable again.
        for i in 0..cap {
            tx.try_send(i).unwrap();
        }
        assert!(matches!(tx.try_send(9), Err(TrySendError::Full(9))));
    }
}

#[test]
fn len_and_is_full_do_not_count_a_withdrawn_send_behind_buffered_values() {
    // The review's case: bounded(2), send 0 and 1, a send_timeout times out, one receive: one
    // value is buffered. Before the fix len() said 2 and is_full() true (the withdrawn cell
    // counted until a receiver passed it), while try_send succeeded.
    for cap in [2, 3, 5] {
        let (tx, rx) = bounded(cap);
        for i in 0..cap {
            tx.send(i).unwrap();
        }
        for i in 0..2 {
            assert_eq!(
                tx.send_timeout(100 + i, Duration::from_micros(50)),
                Err(SendTimeoutError::Timeout(100 + i))
            );
        }
        assert_eq!(tx.len(), cap, "cap {cap}: full");
        assert_eq!(rx.recv(), Ok(0));
        assert_eq!(rx.len(), cap - 1, "cap {cap}: len counts withdrawn sends");
        assert!(!tx.is_full(), "cap {cap}: is_full with a free slot");
        tx.try_send(7).unwrap();
        assert_eq!(tx.len(), cap, "cap {cap}");
        assert!(tx.is_full(), "cap {cap}");
        assert!(matches!(tx.try_send(8), Err(TrySendError::Full(8))));
        let rest: Vec<usize> = rx.try_iter().collect();
        assert_eq!(rest, (1..cap).chain([7]).collect::<Vec<_>>(), "cap {cap}");
        assert_eq!(rx.len(), 0, "cap {cap}");
    }
}

#[test]
fn a_capacity_of_usize_max_is_reported_and_never_fills() {
    // The buffer end starts at the capacity; at usize::MAX it used to wrap on the first
    // receive, and later sends were treated as landing in a removed segment.
    let (tx, rx) = bounded::<usize>(usize::MAX);
    assert_eq!(tx.capacity(), Some(usize::MAX));
    for round in 0..3 {
        for i in 0..100 {
            tx.try_send(i).unwrap();
        }
        assert_eq!(rx.len(), 100, "round {round}");
        assert!(!rx.is_full());
        assert_eq!(
            rx.try_iter().collect::<Vec<_>>(),
            (0..100).collect::<Vec<_>>()
        );
        assert_eq!(tx.send_timeout(5, Duration::ZERO), Ok(()));
        assert_eq!(rx.try_recv(), Ok(5));
    }
}

// ==========================================================================================
// Fairness: blocked senders are served in the order they blocked, one per freed slot
// ==========================================================================================

const LINE: usize = 6;

#[test]
fn blocked_senders_are_released_in_the_order_they_blocked() {
    for cap in WITH_RENDEZVOUS {
        let what = format!("bounded({cap})");
        // Values 0..cap fill the buffer; sender k of the line sends value cap + k.
        let ledger = Ledger::leak(cap + LINE);
        let (tx, rx) = filled(cap, ledger);
        let line = Line::block(
            &tx,
            ledger,
            (cap..cap + LINE).map(|id| (id, Patience::Stay)),
        );
        line.expect_none_released(&what);
        for j in 0..cap + LINE {
            let got = rx.recv().unwrap();
            assert_eq!(got.id(), j, "{what}: values must arrive in the order sent");
            if j < LINE {
                // Receive j freed the slot of (or, in a rendezvous, took the value of) sender j.
                line.expect_release(cap + j, &what);
                if j + 1 < LINE {
                    assert_eq!(rx.len(), cap, "{what}: the buffer refilled");
                }
            }
        }
        assert_eq!(rx.try_recv().map(|v| v.id()), Err(TryRecvError::Empty));
        line.join_all_ok(&what);
        ledger.assert_all_dropped_once(&what);
    }
}

#[test]
fn a_sender_that_gives_up_leaves_the_line_and_the_next_takes_the_slot() {
    // Position 0 gives up while it is first in line, 2 and 3 while others are ahead of them.
    let quits = |position: usize| match position {
        0 => Some(Duration::from_millis(100)),
        2 | 3 => Some(Duration::from_millis(300)),
        _ => None,
    };
    for cap in WITH_RENDEZVOUS {
        let what = format!("bounded({cap}) with senders giving up");
        let ledger = Ledger::leak(cap + 7);
        let (tx, rx) = filled(cap, ledger);
        let mut line = Line::block(
            &tx,
            ledger,
            (0..7).map(|k| {
                let patience = quits(k).map_or(Patience::Stay, Patience::Quit);
                (cap + k, patience)
            }),
        );
        let gave_up = |line: &mut Line, k: usize| {
            let id = cap + k;
            match line.join(id) {
                Err(SendTimeoutError::Timeout(back)) => {
                    assert_eq!(back.id(), id);
                    assert_eq!(ledger.drops(id), 0, "{what}: dropped although given back");
                }
                other => panic!("{what}: sender {k} should have timed out, got {other:?}"),
            }
        };
        gave_up(&mut line, 0);
        // The first receive releases sender 1, which now stands first.
        let mut received = vec![rx.recv().unwrap()];
        line.expect_release(cap + 1, &what);
        gave_up(&mut line, 2);
        gave_up(&mut line, 3);
        // Each further receive releases the next sender still in line: 4, 5, 6.
        for k in [4, 5, 6] {
            received.push(rx.recv().unwrap());
            line.expect_release(cap + k, &what);
        }
        received.extend(rx.try_iter());
        let mut expected: Vec<usize> = (0..cap).collect();
        expected.extend([1, 4, 5, 6].map(|k| cap + k));
        assert_eq!(
            ids(&received),
            expected,
            "{what}: a withdrawn value was delivered"
        );
        line.join_all_ok(&what);
        drop(received);
        ledger.assert_all_dropped_once(&what);
    }
}

#[test]
fn k_receives_release_exactly_the_first_k_blocked_senders() {
    const CAP: usize = 2;
    let what = "back-to-back receives";
    let ledger = Ledger::leak(CAP + LINE);
    let (tx, rx) = filled(CAP, ledger);
    let line = Line::block(
        &tx,
        ledger,
        (CAP..CAP + LINE).map(|id| (id, Patience::Stay)),
    );
    let first: Vec<Tracked> = (0..3).map(|_| rx.recv().unwrap()).collect();
    assert_eq!(ids(&first), [0, 1, 2]);
    // Three freed slots: the first three senders return (in any order: they run at once).
    let mut released: Vec<usize> = (0..3)
        .map(|_| {
            line.returned
                .recv_timeout(WAKE_BOUND)
                .expect("a sender was not released")
        })
        .collect();
    released.sort_unstable();
    assert_eq!(released, [CAP, CAP + 1, CAP + 2], "{what}");
    line.expect_none_released(what);
    assert_eq!(rx.len(), CAP);
    let rest: Vec<Tracked> = rx.iter().take(CAP + LINE - 3).collect();
    assert_eq!(ids(&rest), (3..CAP + LINE).collect::<Vec<_>>(), "{what}");
    line.join_all_ok(what);
    drop((first, rest));
    ledger.assert_all_dropped_once(what);
}

#[test]
fn a_receive_moves_the_released_value_into_the_channel_before_it_returns() {
    // The buffer end moves a released sender's value into the freed slot itself, so a
    // non-blocking drain sees it without waiting for the sender's thread to run.
    for cap in [1, 2, 4] {
        let ledger = Ledger::leak(cap + 3);
        let (tx, rx) = filled(cap, ledger);
        let line = Line::block(&tx, ledger, (cap..cap + 3).map(|id| (id, Patience::Stay)));
        let drained: Vec<Tracked> = rx.try_iter().collect();
        assert_eq!(
            ids(&drained),
            (0..cap + 3).collect::<Vec<_>>(),
            "bounded({cap})"
        );
        line.join_all_ok("try_iter with senders blocked");
        drop(drained);
        ledger.assert_all_dropped_once("try_iter with senders blocked");
    }
}

#[test]
fn blocked_receivers_of_a_bounded_channel_are_served_in_the_order_they_blocked() {
    let (tx, rx) = bounded::<usize>(2);
    let line: Vec<_> = (0..LINE)
        .map(|k| {
            let rx = rx.clone();
            spawn_blocked(move || match k % 3 {
                0 => rx.recv().ok(),
                1 => rx.recv_timeout(LONG).ok(),
                _ => rx.recv_deadline(Instant::now() + LONG).ok(),
            })
        })
        .collect();
    for v in 0..LINE {
        tx.send(v).unwrap();
    }
    let got: Vec<_> = line.into_iter().map(join).collect();
    assert_eq!(got, (0..LINE).map(Some).collect::<Vec<_>>());
}

/// A sender's timeout races the receive that would release it: either it was released (its
/// value arrives next) or it withdrew (its value is back and never arrives); never both,
/// never neither, and the slot is usable either way.
#[test]
fn race_a_blocked_senders_timeout_against_its_release() {
    for cap in [1, 2] {
        let mut jitter = Jitter::new(cap as u64);
        let (mut released, mut withdrawn) = (0, 0);
        for round in 0..rounds(1_000) {
            let ledger = Ledger::leak(cap + 2);
            let (tx, rx) = filled(cap, ledger);
            let wait = Duration::from_micros(jitter.below(400));
            let spin = jitter.below(20_000);
            let value = ledger.value(cap);
            let tx2 = tx.clone();
            let sender = thread::spawn(move || tx2.send_timeout(value, wait));
            for _ in 0..spin {
                std::hint::spin_loop();
            }
            let mut got: Vec<Tracked> = vec![rx.recv().unwrap()];
            match join(sender) {
                Ok(()) => {
                    released += 1;
                    got.extend((0..cap).map(|_| rx.recv_timeout(WAKE_BOUND).unwrap()));
                    assert_eq!(ids(&got), (0..=cap).collect::<Vec<_>>(), "round {round}");
                }
                Err(SendTimeoutError::Timeout(back)) => {
                    withdrawn += 1;
                    assert_eq!(back.id(), cap);
                    assert_eq!(
                        ledger.drops(cap),
                        0,
                        "round {round}: given back and dropped"
                    );
                    got.extend(rx.try_iter());
                    assert_eq!(ids(&got), (0..cap).collect::<Vec<_>>(), "round {round}");
                }
                Err(other) => panic!("round {round}: {other:?}"),
            }
            // Nothing is in flight and the channel is empty: a try_send must succeed.
            assert_eq!(rx.try_recv().map(|v| v.id()), Err(TryRecvError::Empty));
            tx.try_send(ledger.value(cap + 1))
                .unwrap_or_else(|e| panic!("round {round}: try_send on an empty channel: {e:?}"));
            assert_eq!(rx.recv().map(|v| v.id()), Ok(cap + 1));
            drop((got, tx, rx));
            ledger.assert_dropped(0..cap + 2, 1, "timeout against release");
        }
        eprintln!("bounded({cap}): {released} released, {withdrawn} withdrawn");
    }
}

// ==========================================================================================
// What try_send promises
// ==========================================================================================

/// One thread runs a random mix of every operation (so nothing is ever in flight), with
/// timed-out sends on a full channel and failed or timed-out receives on an empty one leaving
/// withdrawn cells behind, and checks each result against a plain FIFO of capacity `cap`.
/// `try_send` must succeed exactly when fewer than `cap` values are buffered.
#[test]
fn try_send_succeeds_whenever_fewer_than_n_are_buffered_and_nothing_is_in_flight() {
    for cap in [1, 2, 3, 8] {
        let (tx, rx) = bounded::<u64>(cap);
        let mut model = std::collections::VecDeque::new();
        let mut jitter = Jitter::new(7 + cap as u64);
        let tiny = Duration::from_micros(20);
        for (step, next) in (0..rounds(6_000)).zip(0u64..) {
            let full = model.len() == cap;
            let at = format!("bounded({cap}), step {step}, {} buffered", model.len());
            match jitter.below(10) {
                0 | 1 => {
                    let result = tx.try_send(next);
                    if full {
                        assert_eq!(result, Err(TrySendError::Full(next)), "{at}");
                    } else {
                        assert_eq!(result, Ok(()), "{at}: try_send failed with room");
                        model.push_back(next);
                    }
                }
                2 => {
                    let result = if jitter.below(2) == 0 {
                        tx.send_timeout(next, tiny)
                    } else {
                        tx.send_deadline(next, past())
                    };
                    if full {
                        assert_eq!(result, Err(SendTimeoutError::Timeout(next)), "{at}");
                    } else {
                        assert_eq!(result, Ok(()), "{at}: a timed send failed with room");
                        model.push_back(next);
                    }
                }
                3 => {
                    // A burst of timed-out sends on a full channel: enough withdrawn cells to
                    // fill whole segments (they are unlinked).
                    if full {
                        for _ in 0..jitter.below(80) {
                            assert_eq!(
                                tx.send_timeout(next, Duration::ZERO),
                                Err(SendTimeoutError::Timeout(next)),
                                "{at}"
                            );
                        }
                    } else {
                        tx.send(next).unwrap();
                        model.push_back(next);
                    }
                }
                4 | 5 => assert_eq!(
                    rx.try_recv(),
                    model.pop_front().ok_or(TryRecvError::Empty),
                    "{at}"
                ),
                6 => assert_eq!(
                    rx.recv_timeout(tiny),
                    model.pop_front().ok_or(RecvTimeoutError::Timeout),
                    "{at}"
                ),
                7 => {
                    if model.is_empty() {
                        // A burst of timed-out receives on an empty channel.
                        for _ in 0..jitter.below(80) {
                            assert_eq!(
                                rx.recv_deadline(past()),
                                Err(RecvTimeoutError::Timeout),
                                "{at}"
                            );
                        }
                    } else {
                        assert_eq!(rx.recv().ok(), model.pop_front(), "{at}");
                    }
                }
                _ => {
                    let len = tx.len();
                    assert!(
                        (model.len()..=cap).contains(&len),
                        "{at}: len {len} outside {}..={cap}",
                        model.len()
                    );
                    assert_eq!(tx.is_full(), len == cap, "{at}");
                    assert_eq!(rx.is_empty(), len == 0, "{at}");
                    if model.len() == cap {
                        assert!(tx.is_full(), "{at}");
                    }
                }
            }
        }
    }
}

/// Senders (`try_send`, `send`, `send_timeout`) and receivers (`try_recv`, `recv_timeout`)
/// race; receivers pause now and then so that the senders fill the channel. After each
/// accepted send, the sender checks a lower bound of what the channel holds:
///
/// * `accepted` counts sends after they returned `Ok` (so it never exceeds the sends that
///   took effect);
/// * `begun` counts receives before they start, minus those that found nothing, after they
///   return (so it never falls below the receives that took effect).
///
/// Reading `accepted` (incremented) and then `begun`, `accepted - begun` is at most what the
/// channel held at the moment of the increment; it must never exceed the capacity.
#[test]
fn under_concurrency_the_channel_never_holds_more_than_n() {
    const SENDERS: usize = 3;
    const RECEIVERS: usize = 2;
    for cap in [1, 2, 4] {
        let per_sender = rounds(4_000);
        let total = SENDERS * per_sender;
        let ledger = Ledger::leak(total);
        let (tx, rx) = bounded::<Tracked>(cap);
        let accepted = AtomicI64::new(0);
        let begun = AtomicI64::new(0);
        let worst = AtomicI64::new(i64::MIN);
        let received = AtomicUsize::new(0);
        let seen: Vec<Vec<usize>> = thread::scope(|s| {
            for p in 0..SENDERS {
                let (tx, accepted, begun, worst) = (tx.clone(), &accepted, &begun, &worst);
                s.spawn(move || {
                    let mut jitter = Jitter::new(100 + p as u64);
                    for id in p * per_sender..(p + 1) * per_sender {
                        let mut value = ledger.value(id);
                        loop {
                            let outcome = match jitter.below(4) {
                                0 => tx.send(value).map_err(|e| Some(e.0)),
                                1 => tx
                                    .send_timeout(value, Duration::from_micros(jitter.below(50)))
                                    .map_err(|e| match e {
                                        SendTimeoutError::Timeout(v) => Some(v),
                                        SendTimeoutError::Disconnected(_) => None,
                                    }),
                                _ => tx.try_send(value).map_err(|e| match e {
                                    TrySendError::Full(v) => Some(v),
                                    TrySendError::Disconnected(_) => None,
                                }),
                            };
                            match outcome {
                                Ok(()) => break,
                                Err(Some(back)) => {
                                    value = back;
                                    thread::yield_now();
                                }
                                Err(None) => panic!("disconnected while receivers remain"),
                            }
                        }
                        let held = accepted.fetch_add(1, Ordering::SeqCst) + 1
                            - begun.load(Ordering::SeqCst);
                        worst.fetch_max(held, Ordering::SeqCst);
                    }
                });
            }
            drop(tx);
            let receivers: Vec<_> = (0..RECEIVERS)
                .map(|c| {
                    let (rx, begun, received) = (rx.clone(), &begun, &received);
                    s.spawn(move || {
                        let mut jitter = Jitter::new(200 + c as u64);
                        let mut got = Vec::new();
                        while received.load(Ordering::SeqCst) < total {
                            if jitter.below(64) == 0 {
                                thread::sleep(Duration::from_micros(300));
                            }
                            begun.fetch_add(1, Ordering::SeqCst);
                            let result = if jitter.below(3) == 0 {
                                rx.recv_timeout(Duration::from_micros(200)).ok()
                            } else {
                                rx.try_recv().ok()
                            };
                            match result {
                                Some(value) => {
                                    received.fetch_add(1, Ordering::SeqCst);
                                    got.push(value.id());
                                }
                                None => {
                                    begun.fetch_sub(1, Ordering::SeqCst);
                                }
                            }
                        }
                        got
                    })
                })
                .collect();
            receivers.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let worst = worst.load(Ordering::SeqCst);
        eprintln!("bounded({cap}): at most {worst} held (lower bound)");
        assert!(
            worst <= cap as i64,
            "bounded({cap}) held at least {worst} values at once"
        );
        check_delivered_once(&seen, SENDERS, per_sender, "never more than n");
        drop(rx);
        ledger.assert_all_dropped_once("never more than n");
    }
}

/// Every id of `0..senders * per_sender` was received exactly once, and each receiver got each
/// sender's values in the order they were sent (sender `p` sent ids `p * per_sender..` in
/// order).
fn check_delivered_once(seen: &[Vec<usize>], senders: usize, per_sender: usize, what: &str) {
    let mut all: Vec<usize> = seen.iter().flatten().copied().collect();
    all.sort_unstable();
    let expected: Vec<usize> = (0..senders * per_sender).collect();
    if all != expected {
        let unique: HashSet<usize> = all.iter().copied().collect();
        let missing = expected.iter().filter(|id| !unique.contains(id)).count();
        panic!(
            "{what}: {} values received, {} distinct, {missing} missing",
            all.len(),
            unique.len()
        );
    }
    for (c, got) in seen.iter().enumerate() {
        let mut last = vec![None; senders];
        for &id in got {
            let p = id / per_sender;
            assert!(
                last[p].is_none_or(|prev| prev < id),
                "{what}: receiver {c} got {id} after {:?} from sender {p}",
                last[p]
            );
            last[p] = Some(id);
        }
    }
}

// ==========================================================================================
// Disconnection
// ==========================================================================================

#[test]
fn receivers_drain_then_get_disconnected_when_the_last_sender_goes() {
    for cap in CAPACITIES {
        let (tx, rx) = bounded(cap);
        for i in 0..cap {
            tx.send(i).unwrap();
        }
        let tx2 = tx.clone();
        drop(tx);
        assert_eq!(rx.recv(), Ok(0), "cap {cap}: a sender remains");
        drop(tx2);
        let rest: Vec<usize> = rx.iter().collect();
        assert_eq!(
            rest,
            (1..cap).collect::<Vec<_>>(),
            "cap {cap}: drained in order"
        );
        assert_eq!(rx.recv(), Err(RecvError));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(rx.recv_timeout(LONG), Err(RecvTimeoutError::Disconnected));
        assert_eq!(
            rx.recv_deadline(past()),
            Err(RecvTimeoutError::Disconnected)
        );
    }
}

#[test]
fn blocked_senders_finish_before_the_receivers_see_disconnected() {
    // Blocked senders hold sender handles: the channel disconnects only after the last of them
    // has sent and gone, and every value comes out first, in order.
    let ledger = Ledger::leak(4);
    let (tx, rx) = filled(1, ledger);
    let line = Line::block(&tx, ledger, (1..4).map(|id| (id, Patience::Stay)));
    drop(tx);
    let got: Vec<Tracked> = rx.iter().collect();
    assert_eq!(ids(&got), [0, 1, 2, 3]);
    assert_eq!(
        rx.try_recv().map(|v| v.id()),
        Err(TryRecvError::Disconnected)
    );
    line.join_all_ok("senders blocked at the last sender's drop");
    drop(got);
    ledger.assert_all_dropped_once("senders blocked at the last sender's drop");
}

#[test]
fn blocked_receivers_of_a_bounded_channel_wake_when_the_last_sender_goes() {
    let (tx, rx) = bounded::<u8>(2);
    let receivers: Vec<_> = (0..3)
        .map(|k| {
            let rx = rx.clone();
            spawn_blocked(move || match k {
                0 => rx.recv().map_err(RecvTimeoutError::from),
                1 => rx.recv_timeout(LONG),
                _ => rx.recv_deadline(Instant::now() + LONG),
            })
        })
        .collect();
    drop(tx);
    for receiver in receivers {
        assert_eq!(
            join_within(receiver, WAKE_BOUND),
            Err(RecvTimeoutError::Disconnected)
        );
    }
}

#[test]
fn blocked_senders_get_their_values_back_when_the_last_receiver_goes() {
    for cap in WITH_RENDEZVOUS {
        let what = format!("bounded({cap})");
        let ledger = Ledger::leak(cap + 4 + 4);
        let (tx, rx) = filled(cap, ledger);
        let mut line = Line::block(&tx, ledger, (cap..cap + 4).map(|id| (id, Patience::Stay)));
        let rx2 = rx.clone();
        drop(rx);
        line.expect_none_released(&format!("{what}: a receiver remains"));
        assert_eq!(
            ledger.total(),
            0,
            "{what}: dropped while a receiver remained"
        );
        drop(rx2);
        // Nothing stays inside once the drop returned: the buffered values are dropped.
        ledger.assert_dropped(0..cap, 1, &format!("{what}: buffered values"));
        for id in cap..cap + 4 {
            let back = match line.join(id) {
                Err(SendTimeoutError::Disconnected(back)) => back,
                other => panic!("{what}: sender of {id} gave {other:?}"),
            };
            assert_eq!(back.id(), id, "{what}: a sender got another's value");
            assert_eq!(ledger.drops(id), 0, "{what}: given back and dropped");
        }
        // Later sends fail at once, with their value.
        let base = cap + 4;
        let errors = [
            tx.send(ledger.value(base)).map_err(|SendError(v)| v.id()),
            tx.try_send(ledger.value(base + 1)).map_err(|e| match e {
                TrySendError::Disconnected(v) => v.id(),
                TrySendError::Full(_) => usize::MAX,
            }),
            tx.send_timeout(ledger.value(base + 2), LONG)
                .map_err(|e| match e {
                    SendTimeoutError::Disconnected(v) => v.id(),
                    SendTimeoutError::Timeout(_) => usize::MAX,
                }),
            tx.send_deadline(ledger.value(base + 3), Instant::now() + LONG)
                .map_err(|e| match e {
                    SendTimeoutError::Disconnected(v) => v.id(),
                    SendTimeoutError::Timeout(_) => usize::MAX,
                }),
        ];
        assert_eq!(errors, [0, 1, 2, 3].map(|k| Err(base + k)), "{what}");
        drop(tx);
        ledger.assert_all_dropped_once(&what);
    }
}

/// Senders send as fast as they can (blocking when full) while the last receiver drops after a
/// random number of receives. Once its drop returns, every value whose send returned `Ok` (or
/// is about to) has been dropped: received and dropped by the receiver, or dropped by the
/// channel. Every send after that fails with its value.
#[test]
fn race_nothing_stays_inside_once_the_last_receivers_drop_returns() {
    const SENDERS: usize = 3;
    const PER_SENDER: usize = 64;
    const PROBE: usize = SENDERS * PER_SENDER;
    for cap in [1, 4] {
        let mut jitter = Jitter::new(40 + cap as u64);
        for round in 0..rounds(300) {
            let what = format!("bounded({cap}), round {round}");
            let ledger = Ledger::leak(PROBE + 1);
            let (tx, rx) = bounded::<Tracked>(cap);
            let start = std::sync::Barrier::new(SENDERS + 1);
            let to_receive = jitter.below(20) as usize;
            let (dropped_at_return, outcomes) = thread::scope(|s| {
                let senders: Vec<_> = (0..SENDERS)
                    .map(|p| {
                        let (tx, start) = (tx.clone(), &start);
                        s.spawn(move || {
                            start.wait();
                            let mut ok = Vec::new();
                            for id in p * PER_SENDER..(p + 1) * PER_SENDER {
                                match tx.send(ledger.value(id)) {
                                    Ok(()) => ok.push(id),
                                    Err(SendError(back)) => return (ok, Some(back)),
                                }
                            }
                            (ok, None)
                        })
                    })
                    .collect();
                start.wait();
                for _ in 0..to_receive {
                    drop(rx.recv().unwrap());
                }
                drop(rx);
                // Read right after the drop returned. Senders drop nothing themselves: a value
                // given back travels to this thread in the outcome.
                let dropped: Vec<u32> = (0..PROBE).map(|id| ledger.drops(id)).collect();
                let outcomes: Vec<_> = senders.into_iter().map(|h| h.join().unwrap()).collect();
                (dropped, outcomes)
            });
            let mut attempted = HashSet::new();
            for (ok, back) in outcomes {
                for id in ok {
                    assert_eq!(
                        dropped_at_return[id], 1,
                        "{what}: value {id} was sent (Ok) but not dropped when the last \
                         receiver's drop returned"
                    );
                    attempted.insert(id);
                }
                if let Some(back) = back {
                    assert_eq!(ledger.drops(back.id()), 0, "{what}: given back and dropped");
                    attempted.insert(back.id());
                }
            }
            // A later send fails with its value.
            match tx.try_send(ledger.value(PROBE)) {
                Err(TrySendError::Disconnected(back)) => assert_eq!(back.id(), PROBE),
                other => panic!("{what}: a send after the last receiver went gave {other:?}"),
            }
            drop(tx);
            for id in 0..PROBE {
                let expected = u32::from(attempted.contains(&id));
                assert_eq!(ledger.drops(id), expected, "{what}: drops of value {id}");
            }
        }
    }
}

/// A sender that waits (spinning, then parked) behind a full `bounded(1)` is released by a
/// receive, and the last receiver drops right after it. Its send either succeeded (its value
/// then went into the channel and was dropped there) or failed with its value back; never
/// both: a value given back must not also have been dropped.
#[test]
fn race_a_released_sender_against_the_last_receivers_drop() {
    let mut jitter = Jitter::new(77);
    for round in 0..rounds(2_000) {
        let ledger = Ledger::leak(2);
        let (tx, rx) = filled(1, ledger);
        let value = ledger.value(1);
        let sender = thread::spawn(move || tx.send(value));
        jitter.spin(20_000);
        assert_eq!(rx.recv().map(|v| v.id()), Ok(0));
        drop(rx);
        match join(sender) {
            Ok(()) => assert_eq!(
                ledger.drops(1),
                1,
                "round {round}: sent, but not dropped by the last receiver's drop"
            ),
            Err(SendError(back)) => {
                assert_eq!(
                    ledger.drops(1),
                    0,
                    "round {round}: the value was dropped by the channel and also given back"
                );
                drop(back);
            }
        }
        ledger.assert_all_dropped_once(&format!("round {round}"));
    }
}

// ==========================================================================================
// A panicking drop among the leftovers
// ==========================================================================================

/// A value whose `drop` panics if armed; its `Tracked` field is still dropped (and counted).
#[derive(Debug)]
struct Bomb {
    value: Tracked,
    armed: bool,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.armed {
            panic!("bomb {} went off", self.value.id());
        }
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_panicking_drop_among_the_leftovers_does_not_leak_the_others() {
    for armed in [vec![1], vec![0, 3]] {
        let what = format!("bombs {armed:?} among 4 buffered values");
        let ledger = Ledger::leak(7);
        let (tx, rx) = bounded::<Bomb>(4);
        for id in 0..4 {
            let bomb = Bomb {
                value: ledger.value(id),
                armed: armed.contains(&id),
            };
            tx.send(bomb).unwrap();
        }
        // Two senders blocked behind the full buffer keep their (harmless) values.
        let blocked: Vec<_> = (4..6)
            .map(|id| {
                let tx = tx.clone();
                let bomb = Bomb {
                    value: ledger.value(id),
                    armed: false,
                };
                spawn_blocked(move || tx.send(bomb))
            })
            .collect();
        let panic = catch_unwind(AssertUnwindSafe(move || drop(rx)))
            .expect_err("the value's panic should continue after the drop");
        assert_eq!(
            panic_text(&*panic),
            format!("bomb {} went off", armed[0]),
            "{what}: the first panic continues"
        );
        ledger.assert_dropped(0..4, 1, &what);
        for (k, handle) in blocked.into_iter().enumerate() {
            let SendError(back) =
                join(handle).expect_err("a blocked sender was not given back its value");
            assert_eq!(back.value.id(), 4 + k, "{what}");
            assert_eq!(ledger.drops(4 + k), 0, "{what}: given back and dropped");
        }
        // The channel is disconnected for good.
        let late = Bomb {
            value: ledger.value(6),
            armed: false,
        };
        assert!(matches!(tx.send(late), Err(SendError(b)) if b.value.id() == 6));
        drop(tx);
        ledger.assert_all_dropped_once(&what);
    }
}

// ==========================================================================================
// Stress
// ==========================================================================================

/// Many senders and receivers with blocking calls on small capacities: every value is
/// delivered exactly once, each receiver sees each sender's values in order, and the receivers
/// end with `Disconnected` once the senders are gone.
#[test]
fn stress_many_senders_and_receivers_every_value_delivered_exactly_once() {
    const SENDERS: usize = 4;
    const RECEIVERS: usize = 4;
    for cap in [1, 4] {
        let per_sender = rounds(10_000);
        let ledger = Ledger::leak(SENDERS * per_sender);
        let (tx, rx) = bounded::<Tracked>(cap);
        let seen: Vec<Vec<usize>> = thread::scope(|s| {
            for p in 0..SENDERS {
                let tx = tx.clone();
                s.spawn(move || {
                    for id in p * per_sender..(p + 1) * per_sender {
                        tx.send(ledger.value(id)).unwrap();
                    }
                });
            }
            drop(tx);
            let receivers: Vec<_> = (0..RECEIVERS)
                .map(|_| {
                    let rx = rx.clone();
                    s.spawn(move || rx.iter().map(|value| value.id()).collect::<Vec<_>>())
                })
                .collect();
            receivers.into_iter().map(|h| h.join().unwrap()).collect()
        });
        check_delivered_once(
            &seen,
            SENDERS,
            per_sender,
            &format!("stress bounded({cap})"),
        );
        assert_eq!(
            rx.try_recv().map(|v| v.id()),
            Err(TryRecvError::Disconnected)
        );
        drop(rx);
        ledger.assert_all_dropped_once("stress");
    }
}

/// A send withdrawn right behind the last buffered value does not keep an emptied channel
/// looking non-empty: `while !rx.is_empty() { rx.recv() }` ends.
#[test]
fn an_emptied_channel_reads_empty_although_a_send_behind_the_last_value_withdrew() {
    let (tx, rx) = bounded::<u32>(1);
    tx.send(1).unwrap();
    assert_eq!(
        tx.send_timeout(2, std::time::Duration::from_millis(5)),
        Err(dualq::channel::SendTimeoutError::Timeout(2))
    );
    let mut got = Vec::new();
    while !rx.is_empty() {
        got.push(rx.recv().unwrap());
    }
    assert_eq!(got, [1]);
    assert_eq!((rx.len(), rx.is_full()), (0, false));
    tx.send(3).unwrap();
    assert_eq!(rx.recv(), Ok(3));
}
