//! Behaviour of `SegmentedDualQueue`: the scenarios every structure runs (FIFO data, oldest
//! waiter served first, conservation under stress, timeouts racing fulfilments, drops, parking,
//! state queries). Their runs cross many segment boundaries; what memory the segments take and
//! give back is in `tests/memory.rs`, linearizability in `tests/linearizability.rs`.
//!
//! The scenarios live in `common/scenarios.rs`; `dualq_scenarios!` runs the same list for every
//! structure (`tests/queue.rs`, `tests/stack.rs`). Long versions: `DUALQ_LONG=1`.

mod common;

use common::*;
use dualq::SegmentedDualQueue;
use std::cell::Cell;
use std::rc::Rc;

dualq_scenarios!(SegmentedDualQueue);
