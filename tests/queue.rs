//! Behaviour of `DualQueue`: FIFO data, oldest waiter served first, conservation under stress,
//! timeouts racing fulfilments, drops, parking, state queries.
//!
//! The scenarios live in `common/scenarios.rs` and run for `DualStack` too (`tests/stack.rs`).
//! Long versions: `DUALQ_LONG=1`.

mod common;

use common::scenarios::{self, Offer, Stress};
use common::*;
use dualq::DualQueue;
use std::cell::Cell;
use std::rc::Rc;

#[test]
fn is_send_and_sync_when_values_are_send() {
    assert_send_sync::<DualQueue<u64>>();
    assert_send_sync::<DualQueue<Box<dyn FnOnce() + Send>>>();
    // `Cell` is Send but not Sync: the queue only moves values, so it is still Sync.
    assert_send_sync::<DualQueue<Cell<u8>>>();
    // And not when they are not.
    <DualQueue<Rc<u8>> as NotSend<_>>::check();
    <DualQueue<Rc<u8>> as NotSync<_>>::check();
}

#[test]
fn default_is_an_empty_queue() {
    let q: DualQueue<u8> = Default::default();
    assert_quiescent(&q, "default");
    assert_eq!(q.try_pop(), None);
}

#[test]
fn data_leaves_oldest_first() {
    scenarios::data_leaves_in_order::<DualQueue<usize>>();
}

#[test]
fn matches_a_sequential_fifo_model() {
    for seed in 1..=4 {
        scenarios::matches_sequential_model::<DualQueue<Tracked>>(seed, scale(5_000, 100_000));
    }
}

#[test]
fn pushed_and_transferred_values_leave_oldest_first() {
    scenarios::push_and_transfer_mix_keeps_order::<DualQueue<usize>>();
}

#[test]
fn waiting_consumers_are_served_oldest_first() {
    scenarios::consumers_are_served_in_order::<DualQueue<usize>>();
}

#[test]
fn waiting_producers_are_served_oldest_first() {
    scenarios::producers_are_served_in_order::<DualQueue<usize>>();
}

#[test]
fn timed_out_consumers_leave_the_line() {
    scenarios::timed_out_consumers_are_skipped::<DualQueue<usize>>();
}

#[test]
fn timed_out_producers_leave_the_line() {
    scenarios::timed_out_producers_are_skipped::<DualQueue<usize>>();
}

#[test]
fn handoff_to_a_waiting_consumer_cannot_be_stolen() {
    scenarios::handoff_to_waiting_consumer_cannot_be_stolen::<DualQueue<usize>>();
}

#[test]
fn failed_pops_leave_no_reservation() {
    scenarios::failed_pops_leave_no_reservation::<DualQueue<usize>>();
}

#[test]
fn timed_pops_wait_their_time() {
    scenarios::timed_pops_wait_their_time::<DualQueue<usize>>();
}

#[test]
fn huge_timeouts_wait_forever() {
    scenarios::huge_timeouts_wait_forever::<DualQueue<usize>>();
}

#[test]
fn every_value_delivered_once_4_producers_4_consumers() {
    scenarios::conservation::<DualQueue<Tracked>>(Stress {
        producers: 4,
        consumers: 4,
        per_producer: scale(75_000, 750_000),
        seed: 0x51,
        synchronous: false,
    });
}

#[test]
fn every_value_delivered_once_2_producers_2_consumers() {
    scenarios::conservation::<DualQueue<Tracked>>(Stress {
        producers: 2,
        consumers: 2,
        per_producer: scale(150_000, 1_500_000),
        seed: 0x22,
        synchronous: false,
    });
}

#[test]
fn pop_timeout_racing_push_loses_nothing() {
    scenarios::offer_races_pop_timeout::<DualQueue<Tracked>>(
        Offer::Push,
        scale(100_000, 500_000),
        0x7,
    );
}

#[test]
fn values_left_inside_drop_once_with_the_queue() {
    scenarios::values_left_inside_drop_once_with_the_structure::<DualQueue<Tracked>>();
}

#[test]
fn values_given_back_belong_to_the_caller() {
    scenarios::values_given_back_belong_to_the_caller::<DualQueue<Tracked>>();
}

#[test]
fn queue_with_cancelled_nodes_drops_cleanly() {
    scenarios::structure_with_cancelled_nodes_drops_cleanly::<DualQueue<Tracked>>();
}

#[test]
fn delivered_values_drop_once() {
    scenarios::delivered_values_drop_once::<DualQueue<Tracked>>();
}

#[test]
fn blocked_consumers_park() {
    scenarios::blocked_consumers_park::<DualQueue<usize>>();
}

#[test]
fn blocked_producers_park() {
    scenarios::blocked_producers_park::<DualQueue<usize>>();
}

#[test]
fn state_queries_follow_contents() {
    scenarios::state_queries_follow_contents::<DualQueue<usize>>();
}

#[test]
fn debug_output_is_informative() {
    scenarios::debug_output_is_informative::<DualQueue<usize>>();
    // Debug does not need `T: Debug`.
    struct Opaque;
    let q = DualQueue::new();
    q.push(Opaque);
    assert!(format!("{q:?}").contains("DualQueue"));
}

#[test]
fn a_panicking_drop_does_not_leak_the_rest() {
    scenarios::a_panicking_drop_does_not_leak_the_rest::<DualQueue<scenarios::Bomb>>();
}
