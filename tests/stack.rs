//! Behaviour of `DualStack`: LIFO data, newest waiter served first, conservation under stress,
//! timeouts racing fulfilments, drops, parking, state queries.
//!
//! The scenarios live in `common/scenarios.rs`; `dualq_scenarios!` runs the same list for every
//! structure (`tests/queue.rs`, `tests/segmented.rs`). Long versions: `DUALQ_LONG=1`.

mod common;

use common::*;
use dualq::DualStack;
use std::cell::Cell;
use std::rc::Rc;

dualq_scenarios!(DualStack);
