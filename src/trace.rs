//! Watch an operation happen, step by step (cargo feature `trace`).
//!
//! With the feature on, every [`DualQueue`](crate::DualQueue) and
//! [`DualStack`](crate::DualStack) keeps an event log: each step an operation takes (a node
//! linked, a CAS lost and retried, a reservation fulfilled, a waiter spinning, parked and
//! woken, a cancellation, a node unlinked and retired), with the thread that took it and the
//! node it concerns. Read it back with `trace()`, and draw the list with `picture()`:
//!
//! ```text
//!   head → [#1 dummy] → [R t1 #2] → [R t2 #3] ← tail
//! ```
//!
//! `examples/handoff.rs` (`cargo run --example handoff --features trace`) scripts a few
//! scenarios and prints both. With the feature off, none of this exists: no field, no branch,
//! no argument evaluated on any hot path (the recording macro expands to nothing).

#[cfg(feature = "trace")]
pub use enabled::{CasSite, Event, NodeId, NodeKind, Step, Subject, Trace};

/// The handle the algorithms record through: a reference to the structure's log with the
/// feature on, a zero-sized value with it off.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tracer<'a> {
    #[cfg(feature = "trace")]
    pub(crate) log: &'a Trace,
    #[cfg(not(feature = "trace"))]
    _log: std::marker::PhantomData<&'a ()>,
}

impl Tracer<'_> {
    /// A tracer that records nothing.
    #[cfg(not(feature = "trace"))]
    pub(crate) const OFF: Tracer<'static> = Tracer {
        _log: std::marker::PhantomData,
    };
}

/// A node's identity in the trace: a number with the feature on, nothing with it off.
#[cfg(feature = "trace")]
pub(crate) type TraceId = NodeId;
/// A node's identity in the trace: a number with the feature on, nothing with it off.
#[cfg(not(feature = "trace"))]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TraceId;

/// The identity of a node before its structure numbers it.
#[cfg(feature = "trace")]
pub(crate) const UNTRACED: TraceId = 0;
/// The identity of a node before its structure numbers it.
#[cfg(not(feature = "trace"))]
pub(crate) const UNTRACED: TraceId = TraceId;

impl<'a> Tracer<'a> {
    /// A tracer that records into `log`.
    #[cfg(feature = "trace")]
    pub(crate) fn new(log: &'a Trace) -> Self {
        Tracer { log }
    }

    /// An identity for a new node.
    #[inline(always)]
    pub(crate) fn new_id(self) -> TraceId {
        #[cfg(feature = "trace")]
        return self.log.next_node_id();
        #[cfg(not(feature = "trace"))]
        return TraceId;
    }
}

/// Records a step through a [`Tracer`] about the node with trace id `$id`: `$step` is a
/// `Step` variant, written without the `Step::` prefix. Expands to nothing when the feature is
/// off, so neither argument is evaluated.
macro_rules! trace_event {
    ($tracer:expr, $id:expr, $($step:tt)+) => {{
        #[cfg(feature = "trace")]
        $tracer.log.record($id, $crate::trace::Step::$($step)+);
    }};
}
pub(crate) use trace_event;

#[cfg(feature = "trace")]
mod enabled {
    use std::fmt;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};

    /// A node's identity in a trace: numbered from 1 in order of creation, per structure (an
    /// address would be reused once the node is freed).
    pub type NodeId = u64;

    /// What a node stands for.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum NodeKind {
        /// A value.
        Data,
        /// A reservation: a consumer waiting for a value.
        Request,
    }

    /// Which compare-and-swap lost a race (the operation then retries).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum CasSite {
        /// Linking a node after the queue's last node, or on top of the stack.
        Link,
        /// Deciding a node's slot (fulfil, take, match).
        Slot,
    }

    /// One step of an operation.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Step {
        /// The node was linked into the structure. For a request this is the blocking pop's
        /// **first linearization point** (the reservation is in line).
        Linked(NodeKind),
        /// Stack: the node was pushed as a fulfilling node over a node of the other kind.
        PushedFulfilling(NodeKind),
        /// A CAS lost a race and the operation retries.
        CasLost(CasSite),
        /// The reservation was fulfilled with the value carried by node `carrier`: the blocking
        /// pop's **second linearization point** (its follow-up).
        Fulfilled {
            /// The node that carries the value to the waiter.
            carrier: NodeId,
        },
        /// A consumer took this data node's value.
        Taken,
        /// Stack: this thread found this fulfilling node, which it did not push, on top and
        /// helps it finish before doing its own operation.
        Helped,
        /// The waiter started spinning on its slot.
        Spinning,
        /// The waiter parked (slept).
        Parked,
        /// The waiter woke to find its slot decided.
        Woken,
        /// The waiter's deadline passed and its cancel CAS won: the node is withdrawn.
        Cancelled,
        /// The node was completed as disconnected (a channel closed).
        Disconnected,
        /// The node left the list (its predecessor or the head swung past it).
        Unlinked,
        /// The node was handed to the epoch collector, to be freed once no thread can read it.
        Retired,
        /// Segmented queue: a sender (`Data`) or a receiver (`Request`) claimed this cell with its
        /// fetch-and-add. For a receive that then waits, this is its **first linearization
        /// point**: it is in line.
        Claimed(NodeKind),
        /// Segmented queue: the sender left its value in the cell and returned.
        Buffered,
        /// Segmented queue: the sender handed its value to the receiver parked in this cell: the
        /// blocking receive's **second linearization point**.
        Delivered,
        /// Segmented queue: the receiver gave up on a sender that had claimed the cell but not
        /// written yet; both claim another cell.
        Poisoned,
        /// Segmented queue, bounded: a receive freed a slot, and the buffer end released the
        /// blocked sender of this cell (its value is buffered now).
        Released,
        /// Segmented queue: segment number `node` was appended to the list.
        SegmentAppended,
        /// Segmented queue: segment number `node` left the list (every side had moved past it,
        /// or all its cells were withdrawn) and went to the epoch collector.
        SegmentRetired,
    }

    /// What an event's `node` number names.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Subject {
        /// A node of a `DualQueue` or `DualStack` (its trace id).
        Node,
        /// A cell of a `SegmentedDualQueue` (its index).
        Cell,
        /// A segment of a `SegmentedDualQueue` (its number: it holds cells `32·n ..`).
        Segment,
    }

    /// A recorded step.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Event {
        /// Position in the log.
        pub seq: u64,
        /// The thread that took the step: its name, or its id if it has none.
        pub thread: String,
        /// The node, cell or segment the step concerns (see `subject`).
        pub node: NodeId,
        /// What `node` numbers.
        pub subject: Subject,
        /// What happened.
        pub step: Step,
    }

    impl fmt::Display for Event {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let subject = match self.subject {
                Subject::Node => "#",
                Subject::Cell => "cell ",
                Subject::Segment => "seg ",
            };
            let name = format!("{subject}{}", self.node);
            write!(f, "{:>4} {:>6}  {name:<8} ", self.seq, self.thread)?;
            match self.step {
                Step::Linked(NodeKind::Request) => {
                    write!(f, "linked as a request  <- pop's 1st linearization point")
                }
                Step::Linked(NodeKind::Data) => write!(f, "linked as data"),
                Step::PushedFulfilling(kind) => write!(f, "pushed as a fulfilling {kind:?} node"),
                Step::CasLost(site) => write!(f, "lost a CAS ({site:?}), retries"),
                Step::Fulfilled { carrier } => write!(
                    f,
                    "fulfilled with the value in #{carrier}  <- pop's 2nd linearization point"
                ),
                Step::Taken => write!(f, "value taken by a consumer"),
                Step::Helped => write!(f, "found on top: helped by this thread"),
                Step::Spinning => write!(f, "waiter spins"),
                Step::Parked => write!(f, "waiter parks"),
                Step::Woken => write!(f, "waiter wakes"),
                Step::Cancelled => write!(f, "cancelled (timed out)"),
                Step::Disconnected => write!(f, "disconnected"),
                Step::Unlinked => write!(f, "unlinked"),
                Step::Retired => write!(f, "retired to the epoch collector"),
                Step::Claimed(NodeKind::Data) => write!(f, "claimed by a sender"),
                Step::Claimed(NodeKind::Request) => {
                    write!(
                        f,
                        "claimed by a receiver  <- a waiting recv's 1st linearization point"
                    )
                }
                Step::Buffered => write!(f, "the sender left its value here"),
                Step::Delivered => write!(
                    f,
                    "value handed to the parked receiver  <- its 2nd linearization point"
                ),
                Step::Poisoned => write!(f, "poisoned: the receiver gave up on a late sender"),
                Step::Released => write!(f, "released: a receive freed a slot for this sender"),
                Step::SegmentAppended => write!(f, "appended to the list"),
                Step::SegmentRetired => write!(f, "left the list, retired to the epoch collector"),
            }
        }
    }

    type Hook = Arc<dyn Fn(&Event) + Send + Sync>;

    /// A structure's event log.
    #[derive(Default)]
    pub struct Trace {
        /// The events, in the order they were recorded.
        events: Mutex<Vec<Event>>,
        /// Called after each event, in the recording thread (a scripted scenario may block in
        /// it to freeze a thread in the middle of an operation).
        hook: Mutex<Option<Hook>>,
        /// The last node id handed out.
        last_node: AtomicU64,
        /// Whether this log belongs to a segmented queue (its events name cells and segments).
        cells: bool,
    }

    impl Trace {
        /// A copy of the events recorded so far.
        pub fn events(&self) -> Vec<Event> {
            self.events
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }

        /// Removes and returns the events recorded so far.
        pub fn take(&self) -> Vec<Event> {
            std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
        }

        /// Calls `hook` after every event, in the thread that recorded it. A hook may block,
        /// which freezes that thread right after the step (and while it holds its epoch pin).
        pub fn set_hook(&self, hook: impl Fn(&Event) + Send + Sync + 'static) {
            *self.hook.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
        }

        /// Removes the hook.
        pub fn clear_hook(&self) {
            *self.hook.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }

        /// Blocks until the thread named `thread` has recorded `step`, looking every
        /// millisecond. Scripted scenarios use it to order threads by what they have done
        /// ("once t1 has parked, push").
        pub fn wait_for(&self, thread: &str, step: Step) {
            let recorded = || {
                self.events
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .iter()
                    .any(|event| event.thread == thread && event.step == step)
            };
            while !recorded() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }

        pub(crate) fn next_node_id(&self) -> NodeId {
            // Relaxed: only uniqueness matters.
            self.last_node.fetch_add(1, Ordering::Relaxed) + 1
        }

        /// A log for a segmented queue: its events name cells and segments.
        pub(crate) fn for_cells() -> Self {
            Trace {
                cells: true,
                ..Trace::default()
            }
        }

        pub(crate) fn record(&self, node: NodeId, step: Step) {
            let subject = match step {
                Step::SegmentAppended | Step::SegmentRetired => Subject::Segment,
                _ if self.cells => Subject::Cell,
                _ => Subject::Node,
            };
            let current = std::thread::current();
            let thread = match current.name() {
                Some(name) => name.to_owned(),
                None => format!("{:?}", current.id()),
            };
            let event = {
                let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
                let event = Event {
                    seq: events.len() as u64,
                    thread,
                    node,
                    subject,
                    step,
                };
                events.push(event.clone());
                event
            };
            let hook = self
                .hook
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            if let Some(hook) = hook {
                hook(&event);
            }
        }
    }

    impl fmt::Debug for Trace {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Trace").finish_non_exhaustive()
        }
    }
}
