//! Code written for flume, run unchanged on dualq after `use dualq::channel as flume;`.
//!
//! The examples live in `flume_compat/examples.rs` and name everything through `flume::`. That
//! file is included twice: under `use dualq::channel as flume;` (what a user porting to dualq
//! writes) and with flume itself, so the same source compiles and passes against both: every
//! expectation written there is flume's behaviour. They use the handle methods flume users
//! reach for (issue 26): `is_disconnected`, `sender_count`, `receiver_count`, `drain`,
//! `downgrade` and `upgrade`, and the async `send_async`/`recv_async`. Errors are only asked
//! whether they are errors: flume's `RecvError` is an enum, std's and dualq's a unit struct.

/// What a user porting flume code writes.
mod dualq_as_flume {
    use dualq::channel as flume;
    include!("flume_compat/examples.rs");
}

/// The same source on flume, the reference for every expectation.
mod flume_itself {
    include!("flume_compat/examples.rs");
}
