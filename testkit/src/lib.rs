//! dualq's test harness, shared by the integration tests (`tests/`, as a dev-dependency) and the
//! loom models (`loom-tests/`, built with `--cfg loom`): one copy of each idea.
//!
//! * [`Dual`] and [`Census`]: one interface over the structures, so a scenario is written once;
//! * [`Ledger`] and [`Tracked`]: drop counting per value;
//! * [`lincheck`]: the linearizability checker and the recording of histories.
//!
//! It depends on nothing but dualq and `std`, so that under `--cfg loom` it adds no second loom
//! to the loom models' dependency graph: it reaches loom only through dualq's own operations.
//! (The loom-only parts, such as the values loom tracks for leaks and the model runner, live in
//! `loom-tests/src/lib.rs`.)

mod adapter;
mod ledger;
pub mod lincheck;

pub use adapter::{service_order, Census, Dual};
pub use ledger::{Ledger, Tracked};
