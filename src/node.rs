//! The list cell shared by the dual queue and the dual stack, and the unlinking rules both obey.
//!
//! # A node and its owners
//!
//! A [`Node`] is a [`Slot`] (the handoff state, the value cell, the waiting thread) plus a `next`
//! link and a reference count. A node can have up to two owners, each of which calls
//! [`Node::release`] exactly once; the last one frees it:
//!
//! * **the list**, from the moment the node is linked until it is unlinked. The thread whose CAS
//!   unlinks it *retires* that reference through crossbeam-epoch, so the node outlives every
//!   thread that was pinned while it was reachable.
//! * **the waiting thread** (a blocking `pop`, or a producer in `transfer`), which parks
//!   *unpinned* and still needs its node when it wakes.
//! * or, for a node that carries a value to a waiting consumer (the queue's unlinked carrier,
//!   the stack's fulfilling data node), **that consumer**, which reads the value after it wakes.
//!
//! # Unlinking: mark, then swing
//!
//! Nodes leave a list from the front (the queue's head, the stack's top) or, when cancelled,
//! from the middle. Two removals must never unlink the same node, or unlink a node through a
//! predecessor that has itself left the list (that would leave the node reachable after it was
//! retired, a use-after-free). So every removal follows Harris and Michael:
//!
//! 1. **mark**: set the [`MARK`] tag on the leaving node's `next`. A marked `next` is frozen: no
//!    CAS that expects an unmarked pointer can change it, so nothing can be linked or unlinked
//!    *through* a leaving node.
//! 2. **swing**: CAS the reference to the leaving node (the head, or the predecessor's unmarked
//!    `next`) from the node to its frozen successor. The thread whose CAS succeeds retires it.
//!    A stack's fulfilling node frozen over its matched partner takes the partner with it: one
//!    swing, past both ([`Leaving`]).
//!
//! Every `next` points the same way in age (the queue's to younger nodes: appends link younger
//! nodes; the stack's to older ones: a push links its node over the top), and a swing replaces
//! a node by its successor, so the linked nodes always form one chain ordered by age, and
//! walking `next` pointers always moves one way along it. A walk that starts while pinned never
//! reaches freed memory: a node reached through a frozen `next` was still linked when that
//! `next` froze, which was after the walker pinned.

use crate::patience::Failure;
use crate::slot::{Slot, TAKEN};
use crate::sync::{AtomicUsize, Ordering, Thread, Timer};
#[cfg(feature = "trace")]
use crate::trace::trace_event;
use crate::trace::{TraceId, Tracer, UNTRACED};
use crate::wait::WaitPolicy;
use crossbeam_epoch::{Atomic, Guard, Owned, Shared};
use crossbeam_utils::CachePadded;
use std::fmt;

/// Tag on a node's `next`: the node is leaving the list, and its `next` is frozen.
pub(crate) const MARK: usize = 1;

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Holds a value (`push`, `transfer`).
    Data,
    /// Anti-data: a consumer that waits for a value (`pop`).
    Request,
}

#[cfg(feature = "trace")]
impl Kind {
    /// The public name of this kind, for the trace.
    pub(crate) fn traced(self) -> crate::trace::NodeKind {
        match self {
            Kind::Data => crate::trace::NodeKind::Data,
            Kind::Request => crate::trace::NodeKind::Request,
        }
    }
}

/// A node of a dual queue or dual stack.
pub(crate) struct Node<T> {
    /// The younger neighbour. Tagged with [`MARK`] once this node is leaving the list.
    pub(crate) next: Atomic<Node<T>>,
    /// Data or request. Written before the node is published, never changed afterwards.
    pub(crate) kind: Kind,
    /// Stack only: this node was pushed to fulfil the node below it. Written before the node is
    /// published, never changed afterwards.
    pub(crate) fulfilling: bool,
    /// How many owners will still call [`Node::release`] (module docs).
    refs: AtomicUsize,
    /// The handoff state, the value, and the waiting thread.
    pub(crate) slot: Slot<T>,
    /// The node's number in its structure's trace (feature `trace`); zero-sized otherwise.
    /// Written before the node is published.
    pub(crate) trace_id: TraceId,
}

impl<T> Node<T> {
    /// A data node holding `value`. Set its owners with [`set_owners`](Self::set_owners) before
    /// publishing it.
    pub(crate) fn data(value: T, waiter: Option<Thread>) -> Owned<Self> {
        Owned::new(Node {
            next: Atomic::null(),
            kind: Kind::Data,
            fulfilling: false,
            refs: AtomicUsize::new(0),
            slot: Slot::holding(value, waiter),
            trace_id: UNTRACED,
        })
    }

    /// A request node (a reservation) for a consumer that may wait. Set its owners before
    /// publishing it.
    pub(crate) fn request(waiter: Option<Thread>) -> Owned<Self> {
        Owned::new(Node {
            next: Atomic::null(),
            kind: Kind::Request,
            fulfilling: false,
            refs: AtomicUsize::new(0),
            slot: Slot::empty(waiter),
            trace_id: UNTRACED,
        })
    }

    /// A dead node, owned by the list only: the queue's initial dummy.
    pub(crate) fn dummy() -> Owned<Self> {
        Owned::new(Node {
            next: Atomic::null(),
            kind: Kind::Data,
            fulfilling: false,
            refs: AtomicUsize::new(1),
            slot: Slot::dead(),
            trace_id: UNTRACED,
        })
    }

    /// Sets how many owners the node will have once published.
    ///
    /// Called on a node nobody else can see yet; the CAS that publishes it is a Release and
    /// orders this store before any other thread's access.
    pub(crate) fn set_owners(&self, owners: usize) {
        // Relaxed: the node is not shared yet; its publishing CAS (Release) carries this store.
        self.refs.store(owners, Ordering::Relaxed);
    }

    /// Gives up one ownership; the last owner frees the node.
    ///
    /// Never drops a value: values are moved out when consumed, and a structure's destructor
    /// drops the ones left inside.
    ///
    /// # Safety
    ///
    /// * `node` points to a live node, and the caller owns one of its references, which it
    ///   gives up here and never uses again.
    pub(crate) unsafe fn release(node: *const Node<T>) {
        // SAFETY: the caller owns a reference, so the node is alive.
        let refs = unsafe { &(*node).refs };
        // Most nodes (every pushed value) have the list as their only owner. The count only
        // falls, so if it reads 1 while we own a reference, ours is the last: free without the
        // locked decrement. Acquire: pairs with the Release decrements of earlier owners, as
        // the fence below does.
        if refs.load(Ordering::Acquire) == 1 {
            // SAFETY: as below: no owner is left but us, and the node came from a `Box`.
            drop(unsafe { Box::from_raw(node as *mut Node<T>) });
            return;
        }
        // Release: our last accesses to the node happen before the free by whichever owner
        // drops the count to zero (pairs with the Acquire fence below), as in `Arc::drop`.
        if refs.fetch_sub(1, Ordering::Release) == 1 {
            crate::sync::fence(Ordering::Acquire);
            // SAFETY: the count reached zero, so no owner is left: nobody else can reach the
            // node, and it came from `Owned::new` (a `Box`).
            drop(unsafe { Box::from_raw(node as *mut Node<T>) });
        }
    }

    /// Retires the list's reference to a node the caller just unlinked: it is released once no
    /// thread pinned now can still be reading it.
    ///
    /// # Safety
    ///
    /// The caller's CAS unlinked `node` (it is unreachable from the structure's roots), and no
    /// one else will retire it.
    pub(crate) unsafe fn retire(node: Shared<'_, Node<T>>, guard: &Guard) {
        let raw = node.as_raw();
        // SAFETY: (1) `node` is unreachable, so only threads pinned now can hold it, and the
        // epoch defers this call until they have all unpinned. (2) The closure only calls
        // `release`, which frees the node without touching `T` (the value cell is
        // `MaybeUninit`), so running it after `T`'s lifetime has ended is sound. (3) We own the
        // list's reference, given up exactly once here.
        unsafe { guard.defer_unchecked(move || Node::release(raw)) };
    }

    /// Moves the value out of a data node nobody else has seen, and frees the node.
    pub(crate) fn into_value(node: Owned<Self>) -> T {
        // SAFETY: an unpublished data node still holds its value, and `Owned` is exclusive.
        let value = unsafe { node.slot.take_value() };
        drop(node);
        value
    }

    /// The node as drawn in a picture: kind (`D`ata, `R`equest, `F:` fulfilling), the waiting
    /// thread, the trace id, and the state once decided. E.g. `[R t1 #2]`, `[D #5 taken]`.
    #[cfg(feature = "trace")]
    pub(crate) fn label(&self) -> String {
        let mut label = String::from("[");
        if self.fulfilling {
            label.push_str("F:");
        }
        label.push(match self.kind {
            Kind::Data => 'D',
            Kind::Request => 'R',
        });
        if let Some(name) = self.slot.waiter_name() {
            label.push(' ');
            label.push_str(name);
        }
        label.push_str(&format!(" #{}", self.trace_id));
        if !self.slot.is_pending() {
            label.push(' ');
            label.push_str(match (self.kind, self.slot.state_name()) {
                (Kind::Request, "matched") => "fulfilled",
                (Kind::Data, "matched") => "taken",
                (_, name) => name,
            });
        }
        label.push(']');
        label
    }

    /// Freezes this node's `next` (step 1 of a removal). Idempotent. Returns the frozen
    /// successor (unmarked).
    pub(crate) fn mark<'g>(&self, guard: &'g Guard) -> Shared<'g, Node<T>> {
        // AcqRel: Acquire so the successor we return is safe to read (pairs with the Release
        // CAS that linked it); Release so a thread that sees the mark also sees the decision
        // that made this node dead (its slot CAS happened before).
        self.next
            .fetch_or(MARK, Ordering::AcqRel, guard)
            .with_tag(0)
    }
}

/// Frees the nodes of a list, from `head` to the end, and drops the values still in them: a
/// structure's destructor.
///
/// A value whose `drop` panics does not leak the rest: as `Vec` does, the remaining nodes are
/// still freed and their values dropped while the panic unwinds, and then the panic goes on to
/// the caller. (A second panic during that unwinding aborts the process, as it does for `Vec`.)
///
/// # Safety
///
/// * The caller has exclusive access to the list (`&mut` to its structure), so every waiter
///   has returned and given up its reference: the list's is the only one left to each node.
/// * No node from `head` on has been retired: the list still owns each of them.
pub(crate) unsafe fn drop_list<T>(head: &Atomic<Node<T>>) {
    // SAFETY: exclusive access: nothing can be retired or freed under us, so no pin is needed.
    let guard = unsafe { crossbeam_epoch::unprotected() };
    // Relaxed: as for each `next` in `drop_nodes`.
    let first = head.load(Ordering::Relaxed, guard).as_raw();
    // SAFETY: the caller's contract.
    unsafe { drop_nodes(first, guard) }
}

/// [`drop_list`] from the node `first` on.
///
/// # Safety
///
/// As for [`drop_list`], for the nodes from `first` on.
unsafe fn drop_nodes<T>(first: *const Node<T>, guard: &Guard) {
    /// Frees the rest of the list if dropping a value unwinds.
    struct Rest<'g, T>(*const Node<T>, &'g Guard);
    impl<T> Drop for Rest<'_, T> {
        fn drop(&mut self) {
            // SAFETY: the nodes after the one whose value panicked are still the list's, and
            // the caller's exclusive access holds for them.
            unsafe { drop_nodes(self.0, self.1) }
        }
    }
    let mut node = first;
    while !node.is_null() {
        // SAFETY: owned by the list and not yet freed (contract; we free each node only after
        // reading its `next`).
        let current = unsafe { &*node };
        // Relaxed: with exclusive access, whatever made it exclusive (a join, the last `Arc`
        // going) already ordered every other thread's writes before us.
        let next = current
            .next
            .load(Ordering::Relaxed, guard)
            .with_tag(0)
            .as_raw();
        // Move the value out first, so that the node is freed even if dropping it panics.
        let value = match current.kind {
            // SAFETY: exclusive access to a data node, whose value nobody moved out while it
            // was pending (taking one decides the slot first).
            Kind::Data => unsafe { current.slot.take_pending_value() },
            Kind::Request => None,
        };
        // SAFETY: the list's reference, the last one (contract), given up once.
        unsafe { Node::release(node) };
        node = next;
        let rest = Rest(node, guard);
        drop(value);
        std::mem::forget(rest);
    }
}

/// A node the caller linked and now waits on, unpinned.
pub(crate) struct Linked<T> {
    /// The node; the caller owns one reference to it.
    pub(crate) node: *const Node<T>,
    /// Whether it was first in line when linked (worth a short spin before parking).
    pub(crate) spin: bool,
}

impl<T> Linked<T> {
    pub(crate) fn new(node: Shared<'_, Node<T>>, spin: bool) -> Self {
        Linked {
            node: node.as_raw(),
            spin,
        }
    }
}

/// How the pinned part of an operation ended.
pub(crate) enum Placed<T, R> {
    /// Finished without waiting.
    Done(R),
    /// Linked a node that the caller must now wait on, unpinned.
    Linked(Linked<T>),
}

/// What a structure keeps besides its list: how long its waiters spin, and its event log
/// (feature `trace`).
#[derive(Debug)]
pub(crate) struct Support {
    /// How long the waiter at the front spins before parking: `[consumers, producers]`.
    spin: [CachePadded<WaitPolicy>; 2],
    /// The event log (feature `trace`).
    #[cfg(feature = "trace")]
    trace: crate::trace::Trace,
}

impl Support {
    pub(crate) fn new() -> Self {
        Support {
            spin: [
                CachePadded::new(WaitPolicy::new()),
                CachePadded::new(WaitPolicy::new()),
            ],
            #[cfg(feature = "trace")]
            trace: crate::trace::Trace::default(),
        }
    }

    /// The spin policy for waiters of `kind` at the front.
    pub(crate) fn spin_policy(&self, kind: Kind) -> &WaitPolicy {
        &self.spin[usize::from(kind == Kind::Data)]
    }

    /// Where steps are recorded (feature `trace`; records nothing otherwise).
    pub(crate) fn tracer(&self) -> Tracer<'_> {
        #[cfg(feature = "trace")]
        return Tracer::new(&self.trace);
        #[cfg(not(feature = "trace"))]
        return Tracer::OFF;
    }

    /// The event log.
    #[cfg(feature = "trace")]
    pub(crate) fn trace(&self) -> &crate::trace::Trace {
        &self.trace
    }
}

/// What a structure provides to the threads that wait in it.
pub(crate) trait Host<T> {
    /// Unlinks the dead `node` (pinning as needed). The caller still owns a reference to it.
    fn unlink_dead(&self, node: *const Node<T>);

    /// The structure's spin policies and trace.
    fn support(&self) -> &Support;

    /// The spin policy for waiters of `kind` at the front.
    fn spin_policy(&self, kind: Kind) -> &WaitPolicy {
        self.support().spin_policy(kind)
    }

    /// Where steps are recorded (feature `trace`; records nothing otherwise).
    fn tracer(&self) -> Tracer<'_> {
        self.support().tracer()
    }
}

/// A consumer's wait, shared by both structures: waits on the linked request until it is
/// fulfilled (and returns the value), or times out (and unlinks it). Gives up the caller's
/// reference to its node.
pub(crate) fn await_value<T>(
    list: &impl Host<T>,
    request: Linked<T>,
    mut timer: Timer,
) -> Result<T, Failure> {
    // SAFETY: we own a reference to our node, so it outlives the wait.
    let node = unsafe { &*request.node };
    let spin = request.spin.then(|| list.spin_policy(Kind::Request));
    let state = node
        .slot
        .wait(&mut timer, spin, list.tracer(), node.trace_id);
    if state > TAKEN {
        // Fulfilled: `state` is the address of the node that carries our value, and the fulfil
        // CAS gave us one reference to it.
        let carrier = state as *const Node<T>;
        // SAFETY: the fulfiller wrote the value before its Release CAS and we read the state
        // with Acquire; the carrier's value is ours alone, taken once.
        let value = unsafe { (*carrier).slot.take_value() };
        // SAFETY: we own one reference to the carrier and one to our node; each is released
        // once and never used afterwards.
        unsafe {
            Node::release(carrier);
            Node::release(request.node);
        }
        return Ok(value);
    }
    list.unlink_dead(request.node);
    // SAFETY: we own one reference to our node, released once.
    unsafe { Node::release(request.node) };
    Err(Failure::from_state(state))
}

/// A waiting producer's wait (`transfer`), shared by both structures: waits until a consumer
/// takes the value, or until it is withdrawn (and comes back). Gives up the caller's reference.
pub(crate) fn await_taken<T>(
    list: &impl Host<T>,
    data: Linked<T>,
    mut timer: Timer,
) -> Result<(), (T, Failure)> {
    // SAFETY: we own a reference to our node, so it outlives the wait.
    let node = unsafe { &*data.node };
    let spin = data.spin.then(|| list.spin_policy(Kind::Data));
    let state = node
        .slot
        .wait(&mut timer, spin, list.tracer(), node.trace_id);
    // A consumer took the value.
    if state == TAKEN {
        // SAFETY: we own one reference to our node, released once.
        unsafe { Node::release(data.node) };
        return Ok(());
    }
    // SAFETY: our own cancel CAS decided the slot, so the value is still in it and is ours
    // again.
    let value = unsafe { node.slot.take_value() };
    list.unlink_dead(data.node);
    // SAFETY: we own one reference to our node, released once.
    unsafe { Node::release(data.node) };
    Err((value, Failure::from_state(state)))
}

/// How many live nodes of each sort a walk counted (see `count_live`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Census {
    /// Live data nodes: values held.
    pub(crate) values: usize,
    /// Live request nodes: consumers waiting.
    pub(crate) consumers: usize,
    /// Live data nodes with a waiting producer (`transfer`).
    pub(crate) producers: usize,
}

/// Counts the live plain nodes from `first` to the end of the list. A snapshot: nodes come and
/// go while it walks. Fulfilling nodes are counted with neither side (they are mid-handoff).
pub(crate) fn count_live<T>(first: Shared<'_, Node<T>>, guard: &Guard) -> Census {
    let mut census = Census::default();
    let mut node = first;
    // SAFETY: every node reached while pinned stays allocated (module docs).
    while let Some(current) = unsafe { node.as_ref() } {
        if !current.fulfilling && current.slot.is_pending() {
            match current.kind {
                Kind::Data => {
                    census.values += 1;
                    census.producers += usize::from(current.slot.has_waiter());
                }
                Kind::Request => census.consumers += 1,
            }
        }
        // Acquire: pairs with the Release CAS that linked the successor.
        node = current.next.load(Ordering::Acquire, guard).with_tag(0);
    }
    census
}

/// What leaves a list when a link swings past a frozen node: the node, and, if it is a stack's
/// fulfilling node frozen over its partner, that partner as well.
///
/// A fulfilling node is frozen over a partner only once it has matched it (a node frozen
/// unmatched has a null `next`), and the two must leave together (`stack.rs`, invariant 5): a
/// swing past the fulfilling node alone would leave the matched partner linked after the
/// fulfilling node was retired, naming in its slot an address the allocator may hand out again.
/// So every swing past a frozen node, whoever makes it, takes the partner with it. Queue nodes
/// are never fulfilling: for them this is just the node.
pub(crate) struct Leaving<'g, T> {
    /// The frozen node the swing passes.
    node: Shared<'g, Node<T>>,
    /// Its matched partner, frozen too; null if the node leaves alone.
    partner: Shared<'g, Node<T>>,
    /// What the swing links in their place (unmarked).
    pub(crate) rest: Shared<'g, Node<T>>,
}

impl<'g, T> Leaving<'g, T> {
    /// What leaves with the frozen `node`, whose frozen successor is `succ` (unmarked).
    /// Freezes the partner, if there is one.
    ///
    /// `node` must have been reached while pinned by `guard`.
    pub(crate) fn past(
        node: Shared<'g, Node<T>>,
        succ: Shared<'g, Node<T>>,
        guard: &'g Guard,
    ) -> Self {
        // SAFETY: reached while pinned (caller), so not freed.
        let frozen = unsafe { node.deref() };
        // SAFETY: `node`'s frozen successor, reached while pinned: a node reached through a
        // frozen `next` is not freed (module docs).
        let partner = unsafe { succ.as_ref() };
        match partner {
            Some(partner) if frozen.fulfilling => Leaving {
                node,
                partner: succ,
                // Freezing a frozen partner again is harmless (`mark` is idempotent).
                rest: partner.mark(guard),
            },
            _ => Leaving {
                node,
                partner: Shared::null(),
                rest: succ,
            },
        }
    }

    /// Retires what left.
    ///
    /// # Safety
    ///
    /// The caller's swing (a CAS from `node` to `rest`) succeeded: it unlinked the node and its
    /// partner, and no one else can unlink them again.
    #[cfg_attr(not(feature = "trace"), allow(unused_variables))]
    pub(crate) unsafe fn retire(self, guard: &Guard, tracer: Tracer<'_>) {
        for node in [self.node, self.partner] {
            if node.is_null() {
                continue;
            }
            #[cfg(feature = "trace")]
            {
                // SAFETY: reached while pinned.
                let id = unsafe { node.deref() }.trace_id;
                trace_event!(tracer, id, Unlinked);
                trace_event!(tracer, id, Retired);
            }
            // SAFETY: unlinked by the caller's swing (contract), retired once here.
            unsafe { Node::retire(node, guard) };
        }
    }
}

/// The kind of the first live plain node from `first` on, skipping dead and fulfilling nodes,
/// or `None` if the walk reaches the end without one. Reads only: it neither helps nor unlinks.
///
/// Each node's state is read once; a node found dead stays dead, and nothing is ever inserted
/// between two linked nodes. So the answer held at the moment of its last read: the live node
/// found was live then, and, if none was found, every node linked after `first` then had been
/// seen dead. (Nodes linked *before* `first`, the stack's newer top, the caller must rule out.)
pub(crate) fn first_live<T>(first: Shared<'_, Node<T>>, guard: &Guard) -> Option<Kind> {
    let mut node = first;
    // SAFETY: every node reached while pinned stays allocated (module docs).
    while let Some(current) = unsafe { node.as_ref() } {
        if !current.fulfilling && current.slot.is_pending() {
            return Some(current.kind);
        }
        // Acquire: pairs with the Release CAS that linked the successor.
        node = current.next.load(Ordering::Acquire, guard).with_tag(0);
    }
    None
}

/// What a structure's `Debug` says it holds, from [`first_live`].
pub(crate) fn holds_name(first_live: Option<Kind>) -> &'static str {
    match first_live {
        None => "nothing",
        Some(Kind::Data) => "data",
        Some(Kind::Request) => "waiting consumers",
    }
}

/// The result of trying to unlink a node by walking from a link.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Walk {
    /// Our swing unlinked the target (and we retired it).
    Unlinked,
    /// The target was no longer linked: another thread unlinked it. The walk reached the
    /// target's frozen successor, or the end of the list, without meeting it.
    Gone,
    /// The link the walk started from is itself frozen; the caller must fix its front and retry.
    Restart,
}

/// Unlinks `target`, which the caller has marked, by walking from `start` (the stack's head or
/// the queue's dummy's `next`), and unlinks every other marked node it passes on the way.
///
/// The start link must belong to something that is not leaving the list (the stack's head is a
/// root; the caller checks the queue's dummy).
#[cfg_attr(not(feature = "trace"), allow(unused_variables))]
pub(crate) fn unlink_marked<T>(
    start: &Atomic<Node<T>>,
    target: Shared<'_, Node<T>>,
    guard: &Guard,
    tracer: Tracer<'_>,
) -> Walk {
    // The target's frozen successor. Linked nodes form one chain ordered by age, and the walk
    // moves one way along it; so while the target is linked, every path from the start to its
    // successor passes through it, and a walk that reaches the successor without meeting the
    // target proves it gone. (Without this, a walk for a node another thread already unlinked
    // would run to the end of the list.)
    // SAFETY: the caller owns a reference to the target, or reached it while pinned.
    // Acquire: pairs with the Release CAS that linked the successor.
    let frozen = unsafe { target.deref() }
        .next
        .load(Ordering::Acquire, guard);
    debug_assert_eq!(
        frozen.tag(),
        MARK,
        "unlink_marked: the target was not marked"
    );
    let after = frozen.with_tag(0);
    'retry: loop {
        let mut link = start;
        // Acquire: pairs with the Release CAS that linked the node we are about to read.
        let mut curr = link.load(Ordering::Acquire, guard);
        if curr.tag() == MARK {
            return Walk::Restart;
        }
        loop {
            if curr == after && !after.is_null() {
                return Walk::Gone;
            }
            // SAFETY: `curr` was reached from `start` while we are pinned, so it is not freed
            // (module docs, last paragraph).
            let Some(node) = (unsafe { curr.as_ref() }) else {
                return Walk::Gone;
            };
            // Acquire: as above.
            let succ = node.next.load(Ordering::Acquire, guard);
            if succ.tag() == MARK {
                // `node` is leaving (with its partner, if it has one): swing our link past it.
                let leaving = Leaving::past(curr, succ.with_tag(0), guard);
                let rest = leaving.rest;
                // AcqRel on success: Release publishes the new neighbour to walkers that load
                // `link` (Acquire); Acquire pairs with the mark (AcqRel fetch_or). Acquire on
                // failure: we restart from values that are safe to read.
                match link.compare_exchange(curr, rest, Ordering::AcqRel, Ordering::Acquire, guard)
                {
                    Ok(_) => {
                        // SAFETY: our CAS unlinked them; the swing is the only way a marked
                        // node leaves, and it succeeds once (the link no longer holds it).
                        unsafe { leaving.retire(guard, tracer) };
                        // The target is a plain node, never a partner (a partner is matched,
                        // the target withdrew).
                        if curr == target {
                            return Walk::Unlinked;
                        }
                        curr = rest;
                        continue;
                    }
                    Err(_) => continue 'retry,
                }
            }
            // The target is marked (checked on entry), so the walk never gets past it here.
            debug_assert!(curr != target, "unlink_marked: the target was not marked");
            link = &node.next;
            curr = succ;
        }
    }
}

impl<T> fmt::Debug for Node<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("kind", &self.kind)
            .field("fulfilling", &self.fulfilling)
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}
