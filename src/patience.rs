//! How long an operation may wait for its partner, and why it ended without one: shared by
//! every structure (the linked ones in `queue.rs`/`stack.rs` and the segmented queue).

use crate::sync::Timer;

/// How long an operation may wait for its partner.
#[derive(Debug)]
pub(crate) enum Patience {
    /// Never wait and never leave a node behind (`try_pop`, `try_transfer`).
    Now,
    /// Producers only: leave the value in the structure and return at once (`push`).
    Async,
    /// Link a node and wait until a partner completes it, or until the timer expires.
    Wait(Timer),
}

impl Patience {
    /// Wait until `deadline` (forever if `None`). A deadline that has already passed means
    /// [`Patience::Now`]: a timed call that cannot wait must not link a node at all.
    pub(crate) fn until(deadline: Option<std::time::Instant>) -> Self {
        let timer = Timer::until(deadline);
        if timer.is_timed() && timer.expired() {
            Patience::Now
        } else {
            Patience::Wait(timer)
        }
    }

    /// Wait for at most `timeout`. A timeout too large to represent waits forever.
    pub(crate) fn timeout(timeout: std::time::Duration) -> Self {
        Patience::until(std::time::Instant::now().checked_add(timeout))
    }
}

/// Why an operation ended without a partner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `Patience::Now` found no partner.
    NoPartner,
    /// The deadline passed first; the node was withdrawn.
    TimedOut,
    /// The other side of the channel is gone.
    Disconnected,
}
