//! Lock-free dual data structures. (Crate docs are written in full below, once the API settles.)

pub mod channel;
mod node;
mod queue;
mod stack;
mod sync;
mod waiter;

pub use queue::DualQueue;
pub use stack::DualStack;
