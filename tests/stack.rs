//! Behaviour of `DualStack`: LIFO data, newest waiter served first, conservation under stress,
//! timeouts racing fulfilments, drops, parking, state queries.
//!
//! The scenarios live in `common/scenarios.rs` and run for `DualQueue` too (`tests/queue.rs`).
//! Long versions: `DUALQ_LONG=1`.

mod common;

use common::scenarios::{self, Offer, Stress};
use common::*;
use dualq::DualStack;
use std::cell::Cell;
use std::rc::Rc;

#[test]
fn is_send_and_sync_when_values_are_send() {
    assert_send_sync::<DualStack<u64>>();
    assert_send_sync::<DualStack<Box<dyn FnOnce() + Send>>>();
    // `Cell` is Send but not Sync: the stack only moves values, so it is still Sync.
    assert_send_sync::<DualStack<Cell<u8>>>();
    // And not when they are not.
    <DualStack<Rc<u8>> as NotSend<_>>::check();
    <DualStack<Rc<u8>> as NotSync<_>>::check();
}

#[test]
fn default_is_an_empty_stack() {
    let q: DualStack<u8> = Default::default();
    assert_quiescent(&q, "default");
    assert_eq!(q.try_pop(), None);
}

#[test]
fn data_leaves_newest_first() {
    scenarios::data_leaves_in_order::<DualStack<usize>>();
}

#[test]
fn matches_a_sequential_lifo_model() {
    for seed in 1..=4 {
        scenarios::matches_sequential_model::<DualStack<Tracked>>(seed, scale(5_000, 100_000));
    }
}

#[test]
fn pushed_and_transferred_values_leave_newest_first() {
    scenarios::push_and_transfer_mix_keeps_order::<DualStack<usize>>();
}

#[test]
fn waiting_consumers_are_served_newest_first() {
    scenarios::consumers_are_served_in_order::<DualStack<usize>>();
}

#[test]
fn waiting_producers_are_served_newest_first() {
    scenarios::producers_are_served_in_order::<DualStack<usize>>();
}

#[test]
fn timed_out_consumers_leave_the_line() {
    scenarios::timed_out_consumers_are_skipped::<DualStack<usize>>();
}

#[test]
fn timed_out_producers_leave_the_line() {
    scenarios::timed_out_producers_are_skipped::<DualStack<usize>>();
}

#[test]
fn handoff_to_a_waiting_consumer_cannot_be_stolen() {
    scenarios::handoff_to_waiting_consumer_cannot_be_stolen::<DualStack<usize>>();
}

#[test]
fn failed_pops_leave_no_reservation() {
    scenarios::failed_pops_leave_no_reservation::<DualStack<usize>>();
}

#[test]
fn timed_pops_wait_their_time() {
    scenarios::timed_pops_wait_their_time::<DualStack<usize>>();
}

#[test]
fn huge_timeouts_wait_forever() {
    scenarios::huge_timeouts_wait_forever::<DualStack<usize>>();
}

#[test]
fn every_value_delivered_once_4_producers_4_consumers() {
    scenarios::conservation::<DualStack<Tracked>>(Stress {
        producers: 4,
        consumers: 4,
        per_producer: scale(75_000, 750_000),
        seed: 0x51,
        synchronous: false,
    });
}

#[test]
fn every_value_delivered_once_2_producers_2_consumers() {
    scenarios::conservation::<DualStack<Tracked>>(Stress {
        producers: 2,
        consumers: 2,
        per_producer: scale(150_000, 1_500_000),
        seed: 0x22,
        synchronous: false,
    });
}

#[test]
fn pop_timeout_racing_push_loses_nothing() {
    scenarios::offer_races_pop_timeout::<DualStack<Tracked>>(
        Offer::Push,
        scale(100_000, 500_000),
        0x7,
    );
}

#[test]
fn values_left_inside_drop_once_with_the_stack() {
    scenarios::values_left_inside_drop_once_with_the_structure::<DualStack<Tracked>>();
}

#[test]
fn values_given_back_belong_to_the_caller() {
    scenarios::values_given_back_belong_to_the_caller::<DualStack<Tracked>>();
}

#[test]
fn stack_with_cancelled_nodes_drops_cleanly() {
    scenarios::structure_with_cancelled_nodes_drops_cleanly::<DualStack<Tracked>>();
}

#[test]
fn delivered_values_drop_once() {
    scenarios::delivered_values_drop_once::<DualStack<Tracked>>();
}

#[test]
fn blocked_consumers_park() {
    scenarios::blocked_consumers_park::<DualStack<usize>>();
}

#[test]
fn blocked_producers_park() {
    scenarios::blocked_producers_park::<DualStack<usize>>();
}

#[test]
fn state_queries_follow_contents() {
    scenarios::state_queries_follow_contents::<DualStack<usize>>();
}

#[test]
fn debug_output_is_informative() {
    scenarios::debug_output_is_informative::<DualStack<usize>>();
    // Debug does not need `T: Debug`.
    struct Opaque;
    let q = DualStack::new();
    q.push(Opaque);
    assert!(format!("{q:?}").contains("DualStack"));
}

#[test]
fn a_panicking_drop_does_not_leak_the_rest() {
    scenarios::a_panicking_drop_does_not_leak_the_rest::<DualStack<scenarios::Bomb>>();
}
