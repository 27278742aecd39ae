//! Watch a handoff happen, step by step.
//!
//! ```sh
//! cargo run --example handoff --features trace
//! ```
//!
//! Three scripted scenarios, each printing the steps the threads took (from the structure's
//! trace) and a picture of the list after each phase:
//!
//! 1. **Queue: a consumer waits, a producer fulfils.** `t1` pops an empty queue: it links a
//!    reservation (the pop's first linearization point) and parks. `t2` pushes 7: one CAS on the
//!    reservation's slot hands the value over (the pop's second linearization point), and `t2`
//!    wakes `t1`.
//! 2. **Queue: a timeout races a push.** Either the push's fulfil CAS or the timeout's cancel
//!    CAS wins, never both: shown once each way, then counted over many real races.
//! 3. **Stack: a fulfilling node is helped.** `t2` pushes 5 onto a stack where `t1` waits, so it
//!    pushes a *fulfilling* node on top of `t1`'s reservation, and is then frozen (a trace hook
//!    blocks it). `t3` comes along, finds the fulfilling node on top, and finishes the handoff
//!    for `t2` before doing its own push.
//! 4. **Segmented queue: cells claimed by fetch-and-add.** Two receivers claim cells 0 and 1
//!    and park there; sends claim the same cells and meet them; later values wait in their
//!    cells; a timed-out receive withdraws its cell; and a run of values crosses into a new
//!    segment while the old one is retired.

use dualq::trace::{Event, Step, Trace};
use dualq::{DualQueue, DualStack, SegmentedDualQueue};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

fn main() {
    queue_consumer_waits_producer_fulfils();
    queue_timeout_races_push();
    stack_fulfilling_node_is_helped();
    segmented_cells_claimed_by_fetch_and_add();
}

fn queue_consumer_waits_producer_fulfils() {
    banner("1. Queue: a consumer waits, a producer fulfils");
    let queue = Arc::new(DualQueue::<u32>::new());
    let mut shown = 0;
    phase("the empty queue: just the dummy node", &queue.picture());

    let consumer = spawn_named("t1", {
        let queue = Arc::clone(&queue);
        move || queue.pop()
    });
    queue.trace().wait_for("t1", Step::Parked);
    print_new_events(queue.trace(), &mut shown);
    phase(
        "t1 called pop(): its reservation is linked and t1 sleeps",
        &queue.picture(),
    );

    spawn_named("t2", {
        let queue = Arc::clone(&queue);
        move || queue.push(7)
    })
    .join()
    .unwrap();
    let value = consumer.join().unwrap();
    print_new_events(queue.trace(), &mut shown);
    phase(
        &format!("t2 pushed 7 straight into t1's reservation; t1 woke with {value}"),
        &queue.picture(),
    );
}

fn queue_timeout_races_push() {
    banner("2. Queue: a timeout races a push");

    // The push wins: t1 is parked with a long timeout when t2 pushes.
    let queue = Arc::new(DualQueue::<u32>::new());
    let consumer = spawn_named("t1", {
        let queue = Arc::clone(&queue);
        move || queue.pop_timeout(Duration::from_secs(10))
    });
    queue.trace().wait_for("t1", Step::Parked);
    queue.push(9);
    let got = consumer.join().unwrap();
    let mut shown = 0;
    print_new_events(queue.trace(), &mut shown);
    phase(
        &format!("the fulfil CAS came first: t1 got {got:?}"),
        &queue.picture(),
    );

    // The timeout wins: t1's deadline passes before anyone pushes.
    let queue = Arc::new(DualQueue::<u32>::new());
    let got = spawn_named("t1", {
        let queue = Arc::clone(&queue);
        move || queue.pop_timeout(Duration::from_millis(1))
    })
    .join()
    .unwrap();
    queue.push(9);
    let mut shown = 0;
    print_new_events(queue.trace(), &mut shown);
    phase(
        &format!(
            "the cancel CAS came first: t1 got {got:?}, and the later push of 9 stays as data"
        ),
        &queue.picture(),
    );

    // A real race, many times: exactly one CAS wins each time.
    let (mut push_won, mut timeout_won) = (0, 0);
    for _ in 0..2000 {
        let queue = Arc::new(DualQueue::<u32>::new());
        let consumer = thread::spawn({
            let queue = Arc::clone(&queue);
            move || queue.pop_timeout(Duration::from_micros(50))
        });
        thread::sleep(Duration::from_micros(50));
        queue.push(1);
        match (consumer.join().unwrap(), queue.try_pop()) {
            (Some(1), None) => push_won += 1,
            (None, Some(1)) => timeout_won += 1,
            other => panic!("the value was lost or duplicated: {other:?}"),
        }
    }
    println!(
        "  2000 real races: the push won {push_won} times, the timeout {timeout_won} times; \
         the value was never lost and never delivered twice.\n"
    );
}

fn stack_fulfilling_node_is_helped() {
    banner("3. Stack: a fulfilling node is helped by a third thread");
    let stack = Arc::new(DualStack::<u32>::new());
    let mut shown = 0;

    let consumer = spawn_named("t1", {
        let stack = Arc::clone(&stack);
        move || stack.pop()
    });
    stack.trace().wait_for("t1", Step::Parked);
    print_new_events(stack.trace(), &mut shown);
    phase(
        "t1 called pop(): its reservation is on top",
        &stack.picture(),
    );

    // Freeze t2 right after it pushes its fulfilling node.
    let (frozen_tx, frozen_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    stack.trace().set_hook(move |event: &Event| {
        if event.thread == "t2" && matches!(event.step, Step::PushedFulfilling(_)) {
            frozen_tx.send(()).unwrap();
            release_rx.lock().unwrap().recv().unwrap();
        }
    });
    let producer = spawn_named("t2", {
        let stack = Arc::clone(&stack);
        move || stack.push(5)
    });
    frozen_rx.recv().unwrap();
    print_new_events(stack.trace(), &mut shown);
    phase(
        "t2 pushed a fulfilling node F (holding 5) over t1's reservation, then froze",
        &stack.picture(),
    );

    spawn_named("t3", {
        let stack = Arc::clone(&stack);
        move || stack.push(6)
    })
    .join()
    .unwrap();
    print_new_events(stack.trace(), &mut shown);
    phase(
        "t3 wanted to push 6, found F on top, matched it with t1's reservation and popped \
         both for t2, then pushed its own 6",
        &stack.picture(),
    );

    release_tx.send(()).unwrap();
    producer.join().unwrap();
    let value = consumer.join().unwrap();
    stack.trace().clear_hook();
    print_new_events(stack.trace(), &mut shown);
    phase(
        &format!("t2 resumed, saw its node matched, and returned; t1 woke with {value}"),
        &stack.picture(),
    );
}

fn segmented_cells_claimed_by_fetch_and_add() {
    banner("4. Segmented queue: cells claimed by fetch-and-add");
    let queue = Arc::new(SegmentedDualQueue::<u32>::new());
    let mut shown = 0;
    phase(
        "the empty queue: one segment of 32 cells; no sender (S) or receiver (R) has claimed one",
        &queue.picture(),
    );

    let mut receivers = Vec::new();
    for name in ["t1", "t2"] {
        receivers.push(spawn_named(name, {
            let queue = Arc::clone(&queue);
            move || queue.pop()
        }));
        queue.trace().wait_for(name, Step::Parked);
    }
    print_new_events(queue.trace(), &mut shown);
    phase(
        "t1 and t2 called pop(): each claimed the next cell (R=2) and, after a short wait \
         there, parked",
        &queue.picture(),
    );

    for value in 1..=4 {
        queue.push(value);
    }
    let got: Vec<u32> = receivers.into_iter().map(|r| r.join().unwrap()).collect();
    print_new_events(queue.trace(), &mut shown);
    phase(
        &format!(
            "main pushed 1, 2, 3, 4 into cells 0..4: 1 and 2 went straight to the parked \
             receivers ({got:?}), 3 and 4 wait in cells 2 and 3"
        ),
        &queue.picture(),
    );

    assert_eq!((queue.pop(), queue.pop()), (3, 4));
    let got = spawn_named("t3", {
        let queue = Arc::clone(&queue);
        move || queue.pop_timeout(Duration::from_millis(1))
    })
    .join()
    .unwrap();
    print_new_events(queue.trace(), &mut shown);
    phase(
        &format!(
            "main took 3 and 4; t3 claimed cell 4 and timed out ({got:?}): it withdrew the \
             cell, and moved S past it so that no sender wastes a claim on it"
        ),
        &queue.picture(),
    );

    for value in 0..40 {
        queue.push(value);
    }
    for _ in 0..40 {
        queue.pop();
    }
    let events = queue.trace().events();
    let mut hidden = 0;
    println!("  step thread  what     event");
    for event in &events[shown..] {
        if matches!(event.step, Step::SegmentAppended | Step::SegmentRetired) {
            println!("  {event}");
        } else {
            hidden += 1;
        }
    }
    println!("  (and {hidden} steps on cells 5..45, not shown)");
    phase(
        "40 more values went through: segment 1 was appended when cell 32 was claimed, and \
         segment 0 was retired once both senders and receivers had moved past it",
        &queue.picture(),
    );
}

/// Spawns a thread with a name (the trace records threads by name).
fn spawn_named<R: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> R + Send + 'static,
) -> thread::JoinHandle<R> {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .unwrap()
}

/// Prints the events recorded since the last call, under a header naming the columns.
fn print_new_events(trace: &Trace, shown: &mut usize) {
    let events = trace.events();
    if events.len() > *shown {
        println!("  step thread  what     event");
    }
    for event in &events[*shown..] {
        println!("  {event}");
    }
    *shown = events.len();
}

fn phase(what: &str, picture: &str) {
    println!("\n  => {what}\n     {picture}\n");
}

fn banner(title: &str) {
    println!("\n=== {title} ===\n");
}
