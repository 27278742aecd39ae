//! A linearizability checker for dual data structures (used by `tests/linearizability.rs`).
//!
//! * [`wgl`]: Wing & Gong's search with Lowe's memoisation, generic over a sequential
//!   specification;
//! * [`dual`]: the specification of a dual queue and a dual stack (two linearization points per
//!   blocking call), and histories of API calls;
//! * [`record`]: recording such histories from real threads.

pub(crate) mod dual;
pub(crate) mod record;
pub(crate) mod wgl;
