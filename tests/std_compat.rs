//! Code written for `std::sync::mpsc`, run unchanged on dualq after `use dualq::channel as
//! mpsc;`.
//!
//! The examples live in `std_compat/examples.rs` and name everything through `mpsc::`. That file
//! is included twice: under `use dualq::channel as mpsc;` (what a user porting to dualq writes)
//! and under `use std::sync::mpsc;`, so the same source is shown to compile and pass against
//! std itself: every expectation written there (including the error texts) is std's behaviour,
//! not dualq's idea of it.
//!
//! Where they come from (each says so again at its test): the examples of std's documentation
//! (the `std::sync::mpsc` module page, `channel`, `sync_channel`, `Sender`, `SyncSender`,
//! `Receiver` and its iterators), re-expressed: `println!` became assertions, and sleeps of
//! seconds became joins or short sleeps. The worker pool has the shape of the thread pool in
//! *The Rust Programming Language* (chapter 20: one receiver behind an `Arc<Mutex<_>>`), the
//! pipeline and the remaining idioms are the common patterns of std channel code. None is
//! copied from std's or crossbeam's test files.

/// What a user porting std code writes.
mod dualq_as_mpsc {
    use dualq::channel as mpsc;
    include!("std_compat/examples.rs");
}

/// The same source on std, the reference for every expectation.
mod std_mpsc {
    use std::sync::mpsc;
    include!("std_compat/examples.rs");
}
