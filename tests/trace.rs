//! The trace of scripted scenarios (feature `trace`): the sequence of steps must stay true as
//! the code changes. Run with `cargo test --features trace --test trace`.
#![cfg(feature = "trace")]

use dualq::trace::{CasSite, Event, NodeKind, Step};
use dualq::{DualQueue, DualStack};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

fn spawn_named<R: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> R + Send + 'static,
) -> thread::JoinHandle<R> {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .unwrap()
}

/// The steps that do not depend on timing: no spinning/parking/waking (a waiter may or may not
/// still be spinning when its partner arrives), no lost CASes.
fn structural(events: &[Event]) -> Vec<(String, u64, Step)> {
    events
        .iter()
        .filter(|event| {
            !matches!(
                event.step,
                Step::Spinning | Step::Parked | Step::Woken | Step::CasLost(_)
            )
        })
        .map(|event| (event.thread.clone(), event.node, event.step))
        .collect()
}

fn step(thread: &str, node: u64, step: Step) -> (String, u64, Step) {
    (thread.to_owned(), node, step)
}

/// A timeout long enough that the waiter has parked before it expires, whatever its waiting
/// policy does first (a spin of at most 40 µs, then yields, each of which may hand a busy
/// machine's other threads a time slice): the timeout tests wait for `Parked` before they go on.
const PARKED_WITHIN: Duration = Duration::from_millis(500);

/// Freezes thread `name` right after it records a step that `at` accepts, until the returned
/// sender is used (the hook blocks that thread, pinned). The receiver hears once it is frozen.
fn freeze_after(
    trace: &dualq::trace::Trace,
    name: &'static str,
    at: impl Fn(&Step) -> bool + Send + Sync + 'static,
) -> (mpsc::Receiver<()>, mpsc::Sender<()>) {
    let (frozen_tx, frozen_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    trace.set_hook(move |event| {
        if event.thread == name && at(&event.step) {
            frozen_tx.send(()).unwrap();
            release_rx.lock().unwrap().recv().unwrap();
        }
    });
    (frozen_rx, release_tx)
}

#[test]
fn queue_pop_waits_then_push_fulfils() {
    let queue = Arc::new(DualQueue::<u32>::new());
    let consumer = spawn_named("t1", {
        let queue = Arc::clone(&queue);
        move || queue.pop()
    });
    queue.trace().wait_for("t1", Step::Parked);
    assert_eq!(queue.picture(), "head → [#1 dummy] → [R t1 #2] ← tail");
    spawn_named("t2", {
        let queue = Arc::clone(&queue);
        move || queue.push(7)
    })
    .join()
    .unwrap();
    assert_eq!(consumer.join().unwrap(), 7);

    let events = queue.trace().events();
    assert_eq!(
        structural(&events),
        [
            // t1's reservation (#2) is linked: the pop's first linearization point.
            step("t1", 2, Step::Linked(NodeKind::Request)),
            // t2 fulfils it with the node carrying 7 (#3): the pop's second point.
            step("t2", 2, Step::Fulfilled { carrier: 3 }),
            // t2 moves the head: the old dummy leaves and is retired; #2 is the new dummy.
            step("t2", 1, Step::Unlinked),
            step("t2", 1, Step::Retired),
        ]
    );
    // t1 parked before t2 came (we waited for it), so it was woken.
    let parked = events.iter().position(|e| e.step == Step::Parked).unwrap();
    let woken = events.iter().position(|e| e.step == Step::Woken).unwrap();
    let fulfilled = events
        .iter()
        .position(|e| matches!(e.step, Step::Fulfilled { .. }))
        .unwrap();
    assert!(parked < fulfilled && fulfilled < woken);
    assert_eq!(queue.picture(), "head → [#2 dummy] ← tail");
}

#[test]
fn queue_timeout_cancels_and_a_later_push_appends() {
    let me = thread::current().name().unwrap().to_owned();
    let queue = DualQueue::<u32>::new();
    assert_eq!(queue.pop_timeout(Duration::from_millis(1)), None);
    queue.push(9);
    assert_eq!(
        structural(&queue.trace().events()),
        [
            step(&me, 2, Step::Linked(NodeKind::Request)),
            step(&me, 2, Step::Cancelled),
            // The cancelled reservation was the last node, so it stayed until the push linked
            // data after it; then it was absorbed into the dummy's place.
            step(&me, 3, Step::Linked(NodeKind::Data)),
            step(&me, 1, Step::Unlinked),
            step(&me, 1, Step::Retired),
        ]
    );
    assert_eq!(queue.picture(), "head → [#2 dummy] → [D #3] ← tail");
}

#[test]
fn stack_fulfilling_node_is_helped_by_a_third_thread() {
    let stack = Arc::new(DualStack::<u32>::new());
    let consumer = spawn_named("t1", {
        let stack = Arc::clone(&stack);
        move || stack.pop()
    });
    stack.trace().wait_for("t1", Step::Parked);

    let (frozen_rx, release_tx) = freeze_after(stack.trace(), "t2", |step| {
        matches!(step, Step::PushedFulfilling(_))
    });
    let producer = spawn_named("t2", {
        let stack = Arc::clone(&stack);
        move || stack.push(5)
    });
    frozen_rx.recv().unwrap();
    assert_eq!(stack.picture(), "head → [F:D #2] → [R t1 #1]");

    spawn_named("t3", {
        let stack = Arc::clone(&stack);
        move || stack.push(6)
    })
    .join()
    .unwrap();
    assert_eq!(stack.picture(), "head → [D #3]");
    release_tx.send(()).unwrap();
    producer.join().unwrap();
    assert_eq!(consumer.join().unwrap(), 5);
    stack.trace().clear_hook();

    assert_eq!(
        structural(&stack.trace().events()),
        [
            step("t1", 1, Step::Linked(NodeKind::Request)),
            step("t2", 2, Step::PushedFulfilling(NodeKind::Data)),
            // t3 finds t2's fulfilling node on top and finishes the handoff for it.
            step("t3", 2, Step::Helped),
            step("t3", 1, Step::Fulfilled { carrier: 2 }),
            step("t3", 2, Step::Unlinked),
            step("t3", 2, Step::Retired),
            step("t3", 1, Step::Unlinked),
            step("t3", 1, Step::Retired),
            step("t3", 3, Step::Linked(NodeKind::Data)),
        ]
    );
    assert_eq!(stack.try_pop(), Some(6));
}

#[test]
fn a_lost_cas_is_recorded() {
    // Two threads appending to one queue at once must sometimes lose the link CAS; run until a
    // loss shows up in the trace. It is a race: the pushers start together (a barrier), and it
    // gets up to 20 s, since on a busy machine the two threads may rarely run at the same time.
    let queue = Arc::new(DualQueue::<u32>::new());
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let together = Arc::new(std::sync::Barrier::new(2));
        let pushers: Vec<_> = (0..2)
            .map(|_| {
                let (queue, together) = (Arc::clone(&queue), Arc::clone(&together));
                thread::spawn(move || {
                    together.wait();
                    (0..2000).for_each(|i| queue.push(i))
                })
            })
            .collect();
        pushers.into_iter().for_each(|p| p.join().unwrap());
        if queue
            .trace()
            .take()
            .iter()
            .any(|e| e.step == Step::CasLost(CasSite::Link))
        {
            return;
        }
    }
    panic!("no lost link CAS was ever recorded");
}

/// `is_empty`, `has_waiting_consumer`, `len` and `Debug` only read. Here the queue's front is a
/// cancelled reservation, which any operation would absorb into the dummy's place; the
/// observers must leave it there and record no step.
#[test]
fn queue_observers_change_nothing() {
    let me = thread::current().name().unwrap().to_owned();
    let queue = DualQueue::<u32>::new();
    assert_eq!(queue.pop_timeout(Duration::from_millis(1)), None);
    let picture = queue.picture();
    assert_eq!(
        picture,
        format!("head → [#1 dummy] → [R {me} #2 cancelled] ← tail")
    );
    queue.trace().take();
    assert!(queue.is_empty());
    assert!(!queue.has_waiting_consumer());
    assert_eq!(queue.len(), 0);
    assert!(format!("{queue:?}").contains("nothing"));
    assert_eq!(queue.trace().take(), [], "an observer took a step");
    assert_eq!(queue.picture(), picture, "an observer changed the queue");
}

/// The stack's observers only read too: with a fulfilling node frozen on top (its producer
/// stopped right after pushing it), they report the consumer under it as waiting, without
/// helping the handoff along.
#[test]
fn stack_observers_change_nothing() {
    let stack = Arc::new(DualStack::<u32>::new());
    let consumer = spawn_named("t1", {
        let stack = Arc::clone(&stack);
        move || stack.pop()
    });
    stack.trace().wait_for("t1", Step::Parked);
    let (frozen_rx, release_tx) = freeze_after(stack.trace(), "t2", |step| {
        matches!(step, Step::PushedFulfilling(_))
    });
    let producer = spawn_named("t2", {
        let stack = Arc::clone(&stack);
        move || stack.push(5)
    });
    frozen_rx.recv().unwrap();
    let picture = stack.picture();
    assert_eq!(picture, "head → [F:D #2] → [R t1 #1]");
    let before = stack.trace().events().len();
    assert!(
        stack.is_empty(),
        "the value in a fulfilling node is not held"
    );
    assert!(stack.has_waiting_consumer(), "t1 waits until it is matched");
    assert_eq!((stack.len(), stack.waiting_consumers()), (0, 1));
    assert!(format!("{stack:?}").contains("waiting consumers"));
    assert_eq!(
        stack.trace().events()[before..],
        [],
        "an observer took a step"
    );
    assert_eq!(stack.picture(), picture, "an observer changed the stack");
    release_tx.send(()).unwrap();
    producer.join().unwrap();
    assert_eq!(consumer.join().unwrap(), 5);
    stack.trace().clear_hook();
}

// ------------------------------------------------------------------------------------------
// The segmented queue: events name cells (and segments), pictures show cells and counters.

#[test]
fn segmented_recv_waits_then_send_delivers() {
    use dualq::trace::Subject;
    use dualq::SegmentedDualQueue;
    let queue = Arc::new(SegmentedDualQueue::<u32>::new());
    let consumer = spawn_named("t1", {
        let queue = Arc::clone(&queue);
        move || queue.pop()
    });
    queue.trace().wait_for("t1", Step::Parked);
    assert!(
        queue.picture().starts_with("seg 0: [R t1][ ]×31"),
        "{}",
        queue.picture()
    );
    spawn_named("t2", {
        let queue = Arc::clone(&queue);
        move || queue.push(7)
    })
    .join()
    .unwrap();
    assert_eq!(consumer.join().unwrap(), 7);
    let events = queue.trace().events();
    assert!(events.iter().all(|event| event.subject == Subject::Cell));
    assert_eq!(
        structural(&events),
        [
            step("t1", 0, Step::Claimed(NodeKind::Request)),
            step("t2", 0, Step::Claimed(NodeKind::Data)),
            step("t2", 0, Step::Delivered),
        ]
    );
    assert_eq!(queue.picture(), "seg 0: [·][ ]×31 | S=1 R=1");
}

#[test]
fn segmented_values_wait_in_their_cells_and_segments_come_and_go() {
    use dualq::trace::Subject;
    use dualq::SegmentedDualQueue;
    let queue = SegmentedDualQueue::<u32>::new();
    queue.push(1);
    queue.push(2);
    assert_eq!(queue.picture(), "seg 0: [D][D][ ]×30 | S=2 R=0");
    assert_eq!(queue.pop(), 1);
    assert_eq!(queue.picture(), "seg 0: [·][D][ ]×30 | S=2 R=1");
    assert_eq!(queue.pop_timeout(Duration::ZERO), Some(2));
    // An empty queue: `try_pop` sees R = S and claims nothing.
    assert_eq!(queue.try_pop(), None);
    assert_eq!(queue.picture(), "seg 0: [·][·][ ]×30 | S=2 R=2");
    for value in 0..40 {
        queue.push(value);
    }
    for value in 0..40 {
        assert_eq!(queue.pop(), value);
    }
    let segments: Vec<(u64, Step)> = queue
        .trace()
        .events()
        .iter()
        .filter(|event| event.subject == Subject::Segment)
        .map(|event| (event.node, event.step))
        .collect();
    assert_eq!(
        segments,
        [(1, Step::SegmentAppended), (0, Step::SegmentRetired)]
    );
    assert!(
        queue.picture().starts_with("seg 1: "),
        "{}",
        queue.picture()
    );
}

/// A parked `pop_timeout` whose sender has claimed its cell (and is frozen before writing)
/// does not time out: a later push is already buffered behind it, so a pop that left now
/// would have been overtaken by that value's receiver. Before the fix the pop returned `None`
/// at its deadline and the frozen push went to the back of the line.
#[test]
fn segmented_a_receive_whose_sender_has_claimed_its_cell_does_not_time_out() {
    use dualq::SegmentedDualQueue;
    let queue = Arc::new(SegmentedDualQueue::<u32>::new());
    let consumer = spawn_named("t1", {
        let queue = Arc::clone(&queue);
        move || queue.pop_timeout(PARKED_WITHIN)
    });
    queue.trace().wait_for("t1", Step::Parked);
    let (frozen, release) = freeze_after(queue.trace(), "t2", |step| {
        *step == Step::Claimed(NodeKind::Data)
    });
    let producer = spawn_named("t2", {
        let queue = Arc::clone(&queue);
        move || queue.push(1)
    });
    frozen.recv().unwrap();
    queue.push(2);
    thread::sleep(PARKED_WITHIN + Duration::from_millis(100)); // past the deadline
    assert!(
        !consumer.is_finished(),
        "the pop left a cell its sender has claimed"
    );
    release.send(()).unwrap();
    producer.join().unwrap();
    queue.trace().clear_hook();
    assert_eq!(consumer.join().unwrap(), Some(1));
    assert_eq!(queue.try_pop(), Some(2));
}

/// The mirror image: a parked `transfer_timeout` whose receiver has claimed its cell (and is
/// frozen before taking) does not time out; the receiver gets its value.
#[test]
fn segmented_a_transfer_whose_receiver_has_claimed_its_cell_does_not_time_out() {
    use dualq::SegmentedDualQueue;
    let queue = Arc::new(SegmentedDualQueue::<u32>::new());
    let producer = spawn_named("t1", {
        let queue = Arc::clone(&queue);
        move || queue.transfer_timeout(1, PARKED_WITHIN)
    });
    queue.trace().wait_for("t1", Step::Parked);
    let (frozen, release) = freeze_after(queue.trace(), "t2", |step| {
        *step == Step::Claimed(NodeKind::Request)
    });
    let consumer = spawn_named("t2", {
        let queue = Arc::clone(&queue);
        move || queue.pop()
    });
    frozen.recv().unwrap();
    thread::sleep(PARKED_WITHIN + Duration::from_millis(100)); // past the deadline
    assert!(
        !producer.is_finished(),
        "the transfer left a cell its receiver has claimed"
    );
    release.send(()).unwrap();
    queue.trace().clear_hook();
    assert_eq!(consumer.join().unwrap(), 1);
    assert_eq!(producer.join().unwrap(), Ok(()));
}

/// The tests that need a retired segment really freed run one at a time: another test's pinned
/// thread holds the epoch back.
static EPOCH_TESTS: Mutex<()> = Mutex::new(());

/// Advances crossbeam-epoch's global epoch far enough that what was retired before is freed
/// (other threads of the test binary unpin within the pauses).
fn let_the_epoch_free_retired_segments() {
    for _ in 0..32 {
        crossbeam_epoch::pin().flush();
        thread::sleep(Duration::from_micros(200));
    }
}

/// A parked `send_timeout` that has withdrawn (its waiter is `Cancelled`) but not yet cleaned its
/// cell, while another party finalizes that cell and the segment goes: the sender must not touch
/// the segment afterwards. Here the third party is the buffer end of a bounded channel; the
/// review found the same with the disconnection sweeps. Before the fix, the withdrawn sender read
/// the freed segment (a failed canary assertion in debug builds; a heap use after free under
/// AddressSanitizer and valgrind).
#[test]
fn segmented_a_withdrawn_sender_does_not_touch_a_segment_the_buffer_end_removed() {
    use dualq::channel::{bounded, SendTimeoutError};
    const SEG: u64 = 32;
    let _alone = EPOCH_TESTS.lock().unwrap_or_else(|e| e.into_inner());
    let (tx, rx) = bounded::<u64>(1);
    tx.send(0).unwrap(); // cell 0: the channel is full
    let wait = Duration::from_millis(1);
    // Cells 1..2·SEG-1 are withdrawn sends: the rest of segment 0 and all of segment 1 but its
    // last cell, which the frozen sender takes.
    for v in 1..2 * SEG - 1 {
        assert_eq!(tx.send_timeout(v, wait), Err(SendTimeoutError::Timeout(v)));
    }
    let (frozen, release) = freeze_after(tx.trace(), "victim", |step| *step == Step::Cancelled);
    let victim = spawn_named("victim", {
        let tx = tx.clone();
        move || tx.send_timeout(2 * SEG - 1, wait)
    });
    frozen.recv().unwrap(); // withdrawn (waiter cancelled), cell not yet cleaned
                            // One more withdrawn send in segment 2 moves the senders' pointer past segment 1.
    assert_eq!(
        tx.send_timeout(99, wait),
        Err(SendTimeoutError::Timeout(99))
    );
    // The receive frees a slot: the buffer end walks over the withdrawn cells, finalizes the
    // frozen sender's, and segment 1, now all withdrawn, is removed and retired.
    assert_eq!(rx.recv(), Ok(0));
    let_the_epoch_free_retired_segments();
    release.send(()).unwrap();
    let result = victim.join();
    tx.trace().clear_hook();
    assert!(
        matches!(result, Ok(Err(SendTimeoutError::Timeout(_)))),
        "the withdrawn sender failed: {result:?}"
    );
    assert_eq!(rx.try_recv().ok(), None);
}

/// The same with the other kind of third party: the disconnection sweep of the last receiver's
/// drop finalizes the withdrawn sender's cell, and the segment, all withdrawn, is removed.
#[test]
fn segmented_a_withdrawn_sender_does_not_touch_a_segment_the_disconnection_removed() {
    use dualq::channel::{rendezvous, SendTimeoutError};
    const SEG: u64 = 32;
    let _alone = EPOCH_TESTS.lock().unwrap_or_else(|e| e.into_inner());
    let (tx, rx) = rendezvous::<u64>();
    let wait = Duration::from_millis(1);
    for v in 0..2 * SEG - 1 {
        assert_eq!(tx.send_timeout(v, wait), Err(SendTimeoutError::Timeout(v)));
    }
    let (frozen, release) = freeze_after(tx.trace(), "victim", |step| *step == Step::Cancelled);
    let victim = spawn_named("victim", {
        let tx = tx.clone();
        move || tx.send_timeout(2 * SEG - 1, wait)
    });
    frozen.recv().unwrap();
    assert_eq!(
        tx.send_timeout(99, wait),
        Err(SendTimeoutError::Timeout(99))
    );
    drop(rx); // the sweep finalizes the frozen sender's cell; segment 1 is removed
    let_the_epoch_free_retired_segments();
    release.send(()).unwrap();
    let result = victim.join();
    tx.trace().clear_hook();
    assert!(
        matches!(result, Ok(Err(SendTimeoutError::Timeout(_)))),
        "the withdrawn sender failed: {result:?}"
    );
}

/// Polls `fut` once with a waker nobody watches.
fn poll_once<F: std::future::Future + Unpin>(fut: &mut F) -> std::task::Poll<F::Output> {
    let waker = futures::task::noop_waker();
    std::pin::Pin::new(fut).poll(&mut std::task::Context::from_waker(&waker))
}

/// Dropping a receive future whose sender has claimed its cell (and is frozen before writing)
/// does not withdraw it: the drop waits for that sender, whose value then goes to the front,
/// ahead of a value sent after it. Before the fix the drop withdrew at once, and the frozen
/// sender, finding its cell withdrawn, went to the back of the line: behind the later value.
#[test]
fn segmented_a_dropped_receive_waits_for_a_sender_that_has_claimed_its_cell() {
    use dualq::channel::unbounded;
    let (tx, rx) = unbounded::<u32>();
    let mut fut = rx.clone().into_recv_async();
    assert!(poll_once(&mut fut).is_pending()); // parked in cell 0
    let (frozen, release) = freeze_after(tx.trace(), "sender", |step| {
        *step == Step::Claimed(NodeKind::Data)
    });
    let sender = spawn_named("sender", {
        let tx = tx.clone();
        move || tx.send(1)
    });
    frozen.recv().unwrap(); // it has claimed cell 0, and not written
    tx.trace().clear_hook();
    tx.send(2).unwrap(); // cell 1, after it
    let dropper = thread::spawn(move || drop(fut));
    thread::sleep(Duration::from_millis(50));
    assert!(
        !dropper.is_finished(),
        "the dropped receive withdrew from a cell its sender had claimed"
    );
    release.send(()).unwrap();
    sender.join().unwrap().unwrap();
    dropper.join().unwrap();
    assert_eq!(
        rx.try_recv(),
        Ok(1),
        "the value of the earlier send came second"
    );
    assert_eq!(rx.try_recv(), Ok(2));
}

/// The mirror image, the review's scenario: on a rendezvous channel, senders' futures A
/// (cell 0) and B (cell 1) are parked, receiver r0 has claimed cell 0 and is frozen before
/// taking, r1 takes B. Dropping A's future then must not withdraw A: r0 is due to take it.
/// Before the fix A withdrew, and r0 went to the back of the line and timed out.
#[test]
fn segmented_a_dropped_send_waits_for_a_receiver_that_has_claimed_its_cell() {
    use dualq::channel::rendezvous;
    let (tx, rx) = rendezvous::<u32>();
    let mut a = tx.clone().into_send_async(1);
    let mut b = tx.clone().into_send_async(2);
    assert!(poll_once(&mut a).is_pending()); // cell 0
    assert!(poll_once(&mut b).is_pending()); // cell 1
    let (frozen, release) = freeze_after(tx.trace(), "r0", |step| {
        *step == Step::Claimed(NodeKind::Request)
    });
    let r0 = spawn_named("r0", {
        let rx = rx.clone();
        move || rx.recv_timeout(Duration::from_millis(500))
    });
    frozen.recv().unwrap(); // r0 has claimed cell 0
    tx.trace().clear_hook();
    assert_eq!(rx.recv(), Ok(2)); // r1 takes B from cell 1
    assert!(poll_once(&mut b).is_ready());
    let dropper = thread::spawn(move || drop(a));
    thread::sleep(Duration::from_millis(50));
    assert!(
        !dropper.is_finished(),
        "the dropped send withdrew from a cell its receiver had claimed"
    );
    release.send(()).unwrap();
    dropper.join().unwrap();
    assert_eq!(r0.join().unwrap(), Ok(1), "r0 lost its place in line");
}

/// A timed send on a full bounded channel does not time out once a receive has claimed its
/// value and so made room, even before that receive moves the buffer end (it is frozen in
/// between here): the room is there, and the buffer end gives it to the send within a few
/// steps. Before the fix the send timed out and reported a channel full that had room.
#[test]
fn segmented_a_timed_send_does_not_time_out_once_a_receive_has_made_room() {
    use dualq::channel::bounded;
    let (tx, rx) = bounded::<u32>(1);
    tx.send(0).unwrap();
    let sender = spawn_named("sender", {
        let tx = tx.clone();
        move || tx.send_timeout(1, Duration::from_millis(30))
    });
    tx.trace().wait_for("sender", Step::Claimed(NodeKind::Data));
    let (frozen, release) = freeze_after(tx.trace(), "receiver", |step| {
        *step == Step::Claimed(NodeKind::Request)
    });
    let receiver = spawn_named("receiver", {
        let rx = rx.clone();
        move || rx.recv()
    });
    frozen.recv().unwrap(); // it has claimed cell 0: the slot is free, B has not moved
    tx.trace().clear_hook();
    thread::sleep(Duration::from_millis(80)); // past the send's deadline
    release.send(()).unwrap();
    assert_eq!(receiver.join().unwrap(), Ok(0));
    assert_eq!(
        sender.join().unwrap(),
        Ok(()),
        "the send timed out with room for it"
    );
    assert_eq!(rx.try_recv(), Ok(1));
}

/// A close that comes while a receive has claimed the only buffered value but not yet moved the
/// buffer end (it is frozen in between here): the receive came first, so the room it frees goes
/// to the sender blocked behind it, whose send succeeds, and whose value is drained after the
/// close. A close that refused every waiting sender would fail that send although the receive
/// that made room for it took effect before the close.
#[test]
fn segmented_close_gives_the_room_of_a_receive_before_it_to_the_blocked_sender() {
    use dualq::channel::{bounded, RecvError};
    let (tx, rx) = bounded::<u32>(1);
    tx.send(0).unwrap();
    let sender = spawn_named("sender", {
        let tx = tx.clone();
        move || tx.send(1)
    });
    tx.trace().wait_for("sender", Step::Claimed(NodeKind::Data));
    let (frozen, release) = freeze_after(tx.trace(), "receiver", |step| {
        *step == Step::Claimed(NodeKind::Request)
    });
    let receiver = spawn_named("receiver", {
        let rx = rx.clone();
        move || rx.recv()
    });
    frozen.recv().unwrap(); // it has claimed cell 0, and B has not moved
    tx.trace().clear_hook();
    assert!(tx.close());
    release.send(()).unwrap();
    assert_eq!(receiver.join().unwrap(), Ok(0));
    assert_eq!(
        sender.join().unwrap(),
        Ok(()),
        "the room the receive made was lost"
    );
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.recv(), Err(RecvError));
}

/// On a rendezvous channel, a receive that claimed the cell of a waiting sender before a close
/// (frozen right after its claim here) still takes that sender's value: it was in line first.
/// Senders waiting where no receiver has claimed are refused.
#[test]
fn segmented_close_leaves_a_waiting_sender_to_the_receive_that_claimed_its_cell() {
    use dualq::channel::{rendezvous, RecvError, SendError};
    let (tx, rx) = rendezvous::<u32>();
    let first = spawn_named("first", {
        let tx = tx.clone();
        move || tx.send(1)
    });
    tx.trace().wait_for("first", Step::Parked);
    let second = spawn_named("second", {
        let tx = tx.clone();
        move || tx.send(2)
    });
    tx.trace().wait_for("second", Step::Parked);
    let (frozen, release) = freeze_after(tx.trace(), "receiver", |step| {
        *step == Step::Claimed(NodeKind::Request)
    });
    let receiver = spawn_named("receiver", {
        let rx = rx.clone();
        move || rx.recv()
    });
    frozen.recv().unwrap(); // it has claimed cell 0, the first sender's
    tx.trace().clear_hook();
    assert!(rx.close());
    assert_eq!(
        second.join().unwrap(),
        Err(SendError(2)),
        "nobody claimed its cell"
    );
    release.send(()).unwrap();
    assert_eq!(receiver.join().unwrap(), Ok(1));
    assert_eq!(first.join().unwrap(), Ok(()));
    assert_eq!(rx.recv(), Err(RecvError));
}
