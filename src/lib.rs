//! Fair blocking channels for threads and async tasks, built on lock-free **dual data
//! structures**: containers that hold either values or the consumers waiting for them.
//!
//! A receiver that finds nothing does not sleep on a condition variable shared with every other
//! receiver: it takes its own place in line and waits there. The next send hands its value
//! straight to the receiver at the front and wakes exactly that one. So waiting receivers are
//! served in the order they started waiting (threads and async tasks alike), blocked senders of
//! a bounded or rendezvous channel likewise, one send wakes one receiver, and a waiter burns no
//! CPU once it sleeps. The [`channel`] module is a drop-in for `std::sync::mpsc` and
//! crossbeam-channel, and has the handle methods flume and tokio users reach for.
//!
//! # Install
//!
//! dualq is not on crates.io yet: depend on a clone of its repository.
//!
//! ```sh
//! cargo add --path ../dualq    # from your project, with dualq cloned next to it
//! ```
//!
//! That writes `dualq = { version = "0.1.0", path = "../dualq" }` under `[dependencies]`.
//! Cargo features: `async` (on by default: futures, streams and sinks, on any runtime) and
//! `trace` (off: records every step of every operation and draws the structure, a teaching
//! aid). The library needs Rust 1.82 or newer.
//!
//! # Quick start
//!
//! ```
//! use dualq::channel;
//! use std::thread;
//!
//! // A worker pool: receivers clone, and each job goes to exactly one worker, in waiting order.
//! let (jobs, rx) = channel::bounded::<u32>(16); // at most 16 jobs wait; `send` blocks beyond
//! let workers: Vec<_> = (0..4)
//!     .map(|_| {
//!         let rx = rx.clone();
//!         thread::spawn(move || rx.iter().map(|job| job * 2).sum::<u32>())
//!     })
//!     .collect();
//! for job in 1..=100 {
//!     jobs.send(job).unwrap();
//! }
//! drop(jobs); // the workers drain the channel, then their `iter()` ends
//! let total: u32 = workers.into_iter().map(|w| w.join().unwrap()).sum();
//! assert_eq!(total, 2 * 5050);
//! ```
//!
//! The same channels serve async tasks, on any runtime, in the same line as blocked threads:
//!
//! ```
//! # futures::executor::block_on(async {
//! let (tx, rx) = dualq::channel::unbounded();
//! std::thread::spawn(move || tx.send("from a thread").unwrap());
//! assert_eq!(rx.recv_async().await, Ok("from a thread"));
//! # });
//! ```
//!
//! Coming from another crate: [std or crossbeam-channel](channel#coming-from-stdsyncmpsc-or-crossbeam-channel)
//! (the same names), [flume, tokio or async-channel](channel#coming-from-flume-tokio-or-async-channel).
//!
//! # What is inside
//!
//! | type | what it is | use it for |
//! | --- | --- | --- |
//! | [`channel`]: [`unbounded`](channel::unbounded), [`bounded`](channel::bounded), [`rendezvous`](channel::rendezvous) (and std's `channel`, `sync_channel`) | MPMC channels on a `SegmentedDualQueue`, with disconnection | almost everything: a fair drop-in for `std::sync::mpsc` and crossbeam-channel, cloneable receivers, blocked senders and receivers served in order |
//! | the channels' `send_async`, `recv_async`, streams, sinks | the same channels, from async tasks | one fair line for blocked threads and waiting tasks, on any runtime ([details](channel#async-tasks)) |
//! | [`SegmentedDualQueue`] | FIFO dual queue in 32-cell segments, cells claimed by fetch-and-add | a raw fair queue, fast under load (one allocation per 32 values) |
//! | [`DualQueue`] | Scherer & Scott's linked dual queue: one node per value | the textbook algorithm, readable step by step (`trace` feature) |
//! | [`DualStack`] | Scherer & Scott's dual stack with fulfilling nodes: LIFO, newest waiter first | throughput when order does not matter: the newest waiter is the likeliest to be spinning and in cache |
//!
//! # Dual data structures
//!
//! A dual data structure (Scherer & Scott, DISC 2004) holds either **data** (values waiting for
//! a consumer) or **anti-data**: *reservations*, consumers waiting for a value. A consumer that
//! finds no data does not loop, and does not sleep on a condition variable shared with every
//! other consumer: it links a reservation into the same list the data would be in, and waits on
//! its own node. The next producer hands its value straight into the oldest reservation and
//! wakes exactly that thread. That gives three things a lock-free queue plus a condition variable
//! cannot:
//!
//! * waiting consumers are served in a defined order (no barging, no starvation);
//! * a handoff wakes one thread (no thundering herd);
//! * a waiting thread watches a word nobody else writes until its partner arrives, so it can
//!   spin cheaply for a moment before it parks, and burns no CPU once parked.
//!
//! The three structures share one method family (`push`, `pop`, `try_pop`, `pop_timeout`,
//! `pop_deadline`, `transfer`, `try_transfer`, `transfer_timeout`, `transfer_deadline`, `len`,
//! `is_empty`) and cannot be closed: a `pop` waits forever once every producer is gone. The
//! channels add disconnection, capacities and async, on the segmented queue.
//!
//! With [`transfer`](DualQueue::transfer), producers can wait too (until a consumer has taken
//! the value): a `DualQueue` used only with `transfer` is a fair synchronous queue, a `DualStack`
//! an unfair one (Java's `SynchronousQueue` in its two modes), and mixing `push` and `transfer`
//! gives Java's `LinkedTransferQueue` (Scherer, Lea & Scott, PPoPP 2006).
//!
//! ```
//! use dualq::DualQueue;
//! use std::sync::Arc;
//! use std::thread;
//!
//! let queue = Arc::new(DualQueue::new());
//! let waiters: Vec<_> = (0..3)
//!     .map(|_| {
//!         let queue = Arc::clone(&queue);
//!         thread::spawn(move || queue.pop())
//!     })
//!     .collect();
//! for value in 0..3 {
//!     queue.push(value); // each push wakes one waiter, the one that has waited longest
//! }
//! let mut got: Vec<i32> = waiters.into_iter().map(|w| w.join().unwrap()).collect();
//! got.sort();
//! assert_eq!(got, [0, 1, 2]);
//! ```
//!
//! # How a handoff works
//!
//! Every node carries a *slot*: one atomic state word. A node is **live** while its slot is
//! `PENDING` and **dead** once one compare-and-swap (CAS) has decided its fate; no state is ever
//! left again, so each node is decided exactly once:
//!
//! ```text
//!   request: PENDING ─CAS─┬──► FULFILLED(by node m)   a producer handed over a value (in m)
//!                         └──► CANCELLED              the waiter timed out first
//!
//!   data:    PENDING ─CAS─┬──► TAKEN                  a consumer took the value
//!                         └──► CANCELLED              a transfer timed out and took it back
//! ```
//!
//! (A waiter that goes to sleep first marks its slot `PARKED`, still undecided, so that the
//! deciding CAS knows it must wake it: see "Memory and waiting".)
//!
//! Here is a `push(7)` that finds a consumer `t1` waiting in a [`DualQueue`], step by step:
//!
//! ```text
//!   1. t1 called pop() on an empty queue. It linked a request node R at the tail (a CAS on the
//!      last node's `next`) and now waits on R's slot: it spins for a moment, then parks.
//!
//!        head ─► [dummy] ─► [R: t1, PENDING] ◄─ tail
//!
//!   2. push(7) allocates a node D holding 7, reads the front of the queue and sees that the
//!      first live node is a request. It fulfils it with ONE CAS on R's slot:
//!      PENDING -> "D". That CAS both claims R (nobody else can fulfil or cancel it now) and
//!      publishes the value (it is Release; t1's read of the slot is Acquire, so t1 sees 7 in D).
//!
//!        head ─► [dummy] ─► [R: t1, FULFILLED by D] ◄─ tail        D = [7]
//!
//!   3. push unparks t1 (only t1), moves `head` forward so that R becomes the new dummy, and
//!      returns. The old dummy is retired: crossbeam-epoch frees it once no thread can still
//!      be reading it.
//!
//!        head ─► [R: dummy] ◄─ tail
//!
//!   4. t1 wakes (or was still spinning and sees the change at once), reads "D" from its slot,
//!      moves 7 out of D, frees D and returns 7.
//! ```
//!
//! If t1's `pop_timeout` expires at the same moment, t1 tries its own CAS, `PENDING ->
//! CANCELLED`. Only one of the two CASes can succeed: if push wins, t1 returns 7 even though its
//! time is up; if t1 wins, push sees the CAS fail, keeps its value and moves on to the next
//! reservation, or appends 7 as data. A value is never lost and never delivered twice.
//!
//! # Linearization points
//!
//! Each operation appears to take effect at one instant between its call and its return (it is
//! *linearizable*), except a blocking one, which has **two** instants, as in Scherer & Scott:
//!
//! * the **request**: the CAS that links the reservation. From then on the caller is in line:
//!   no consumer that arrives later can take a value before it;
//! * the **follow-up**: the CAS that fulfils it (in the producer's thread), or the CAS that
//!   cancels it (a timeout).
//!
//! A `push` takes effect when its node is linked, or when it fulfils a reservation; a `pop` that
//! finds data, when it marks the data node taken. In the [`SegmentedDualQueue`] the request is
//! the fetch-and-add that claims a cell, and the follow-up the CAS on that cell (or on the
//! waiter parked in it). Each algorithm file (`src/queue.rs`, `src/stack.rs`,
//! `src/segmented/`) lists its own points and invariants, and the tests check histories,
//! recorded from real threads and from every execution loom explores, against this two-point
//! specification.
//!
//! # Push or transfer?
//!
//! The same structure is an asynchronous queue or a synchronous one depending on how producers
//! call it:
//!
//! * [`push`](DualQueue::push) never waits: if no consumer waits, the value is linked as data
//!   and the producer moves on. Use it when producers must not be slowed down by consumers (an
//!   unbounded work queue, a log sink).
//! * [`transfer`](DualQueue::transfer) hands the value over and waits until a consumer has it.
//!   It is *backpressure of capacity zero*: producers cannot run ahead of consumers, no value
//!   sits in memory unclaimed, and when `transfer` returns the producer knows the value has been
//!   received (Java's `SynchronousQueue`, Go's unbuffered channels). Use it for handoffs where
//!   the producer must know its value was taken, or to bound memory by the number of threads.
//! * [`try_transfer`](DualQueue::try_transfer) hands over only to a consumer that is already
//!   waiting, and [`transfer_timeout`](DualQueue::transfer_timeout) waits a bounded time; both
//!   give the value back if nobody took it, and it is then never delivered.
//!
//! In the synchronous view the queue holds *waiting producers* instead of values, each with its
//! value in its node: a consumer that arrives takes the value of the oldest one (the queue) or
//! the newest one (the stack) and wakes exactly that producer. Waiting producers are served in
//! order just like waiting consumers.
//!
//! # Memory and waiting
//!
//! Unlinked nodes are reclaimed with [crossbeam-epoch](https://docs.rs/crossbeam-epoch). A
//! waiting thread does not stay pinned while it is parked (that would stop reclamation for
//! everyone); its own node stays alive because the waiter holds a second reference to it. A
//! timed-out reservation is unlinked, so memory does not grow with the number of timeouts.
//!
//! The waiter at the front of a line first waits actively, then parks; the others park at
//! once. Actively means spinning while the partner is likely running on another CPU, or
//! yielding the CPU while the partner may need it (one core, or two virtual CPUs the host
//! time-shares). How long to spin and how often to yield is learned from how recent waits
//! ended: waits that end while spinning keep the spin, waits that end at a yield turn the spin
//! off, and long waits (slow partners) shrink both, so a waiter burns almost no CPU when its
//! partner is slow. A handoff to a waiter that is spinning or yielding costs the partner no
//! system call: only a waiter that announced it was going to sleep is unparked.
//!
//! Waiting uses [`std::thread::park`], and a partner wakes a sleeping waiter with
//! [`Thread::unpark`](std::thread::Thread::unpark). In one corner (a timed wait whose deadline
//! passes just as it was about to sleep, and that loses its cancellation to the handoff) the
//! unpark reaches a thread that has already returned and leaves it its *token*: the next
//! `std::thread::park()` that thread calls, for any reason, returns at once. std allows that
//! (`park` may return spuriously, so code that parks re-checks its condition in a loop), but
//! code that parks on its own after a blocking `pop`, `transfer` or channel operation may see
//! one early return.
//!
//! The observers (`is_empty`, `has_waiting_consumer`, `len`, the waiting counts, `Debug`) only
//! read: they never change the structure, and they are snapshots that other threads may change
//! at once.
//!
//! # Verification
//!
//! The algorithms are model-checked with [loom](https://docs.rs/loom) (the repository's
//! `loom-tests/`, which runs this same code with loom's atomics, including crossbeam-epoch's):
//! every execution loom explores within its bounds is checked for linearizability against the
//! two-point specification, and so are histories recorded from real threads. Stress tests count
//! every value's drops, and a counting allocator shows that memory does not grow with
//! timeouts.

#![warn(missing_docs)]

mod api;
pub mod channel;
mod node;
mod patience;
mod queue;
mod segmented;
mod slot;
mod stack;
mod sync;
#[cfg_attr(not(feature = "trace"), doc(hidden))]
pub mod trace;
mod wait;

pub use queue::DualQueue;
pub use segmented::SegmentedDualQueue;
pub use stack::DualStack;

/// `DualQueue<T>` is `Send` and `Sync` only when `T: Send`:
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<dualq::DualQueue<std::rc::Rc<u8>>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<dualq::DualStack<std::rc::Rc<u8>>>();
/// ```
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<dualq::channel::RecvFut<'static, std::rc::Rc<u8>>>();
/// ```
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<dualq::channel::SendSink<'static, std::rc::Rc<u8>>>();
/// ```
///
/// ```
/// fn assert_send_sync<T: Send + Sync>() {}
/// assert_send_sync::<dualq::DualQueue<std::cell::Cell<u8>>>(); // Send but not Sync is enough
/// assert_send_sync::<dualq::DualStack<Vec<u8>>>();
/// assert_send_sync::<dualq::channel::Sender<std::cell::Cell<u8>>>();
/// assert_send_sync::<dualq::channel::Receiver<std::cell::Cell<u8>>>();
/// ```
#[cfg(doctest)]
struct SendSyncOnlyWhenTSend;

/// The README's examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
