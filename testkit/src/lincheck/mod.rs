//! A linearizability checker for dual data structures, and the recording of the histories it
//! checks.
//!
//! * [`wgl`]: Wing & Gong's search with Lowe's memoisation, generic over a sequential
//!   specification;
//! * [`spec`]: the specification of a dual queue and a dual stack, with two linearization points
//!   (a request and a follow-up) for every blocking call;
//! * [`channel`]: the specification of dualq's channels (bounded, unbounded, rendezvous, with
//!   disconnection), and the recording of channel calls;
//! * [`history`]: histories of API calls, split into the specification's operations and checked;
//! * [`record`]: recording such histories, from real threads or inside a loom model (the same
//!   code: a `std` clock that loom does not see).

pub mod channel;
pub mod history;
pub mod record;
pub mod spec;
pub mod wgl;

pub use channel::{ChannelSpec, Ends};
pub use history::{Call, Causal, History, Record, QUIESCENT};
pub use record::{Key, Recorder, Recording};
pub use spec::{DualSpec, Op, QueueSpec, Received, Sent, StackSpec, Val};
