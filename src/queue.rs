//! `DualQueue<T>`: Scherer & Scott's lock-free dual queue (DISC 2004), with timeouts,
//! cancellation and synchronous transfer (Scherer, Lea & Scott, PPoPP 2006; Java's
//! `LinkedTransferQueue`).
//!
//! # Representation
//!
//! A Michael–Scott list with a dummy node. `head` points to the dummy; the nodes after it are
//! **data** (values) or **requests** (consumers waiting: anti-data). `tail` points to the last
//! node or, briefly, to one before it.
//!
//! ```text
//!   head                                tail
//!    │                                   │
//!    ▼                                   ▼
//!  [dummy] ──► [R t1] ──► [R ✗] ──► [R t3]        t1 and t3 wait; ✗ timed out (dead)
//! ```
//!
//! A node is **live** while its slot is `PENDING` and **dead** once decided (matched or
//! cancelled); see `slot.rs` for the slot's states:
//!
//! ```text
//!              link CAS                  match CAS (one winner)
//!   (new) ───────────────► live ──────────────────────────────► dead ──► unlinked ──► freed
//!                           │             cancel CAS              ▲   mark,   (epoch)
//!                           └─────────────────────────────────────┘   swing
//! ```
//!
//! # Invariants
//!
//! 1. **One kind at a time.** At every instant the live nodes are all data or all requests.
//!    A node of kind K is appended only after the last node `t`, and only if `t` is of kind K
//!    (so no live opposite node existed when `t` was appended, nor since) or every node from the
//!    dummy to `t` is dead.
//! 2. **Matches happen at the front.** An operation matches only the *first live* node after the
//!    dummy, so data leaves in the order it arrived and waiting consumers are served in the order
//!    their requests were linked.
//! 3. **`head` and `tail` move forward only**, along `next` pointers, and `tail` is never behind
//!    `head`. Before any node leaves the list, `tail` is moved past it, so `tail` never points to
//!    an unlinked node.
//! 4. **Leaving is mark-then-swing** (`node.rs`): the dummy leaves when `head` swings to its
//!    dead successor; a dead interior node leaves when its predecessor's `next` swings past it.
//!    The thread whose swing succeeds retires the node with crossbeam-epoch.
//! 5. The last node is never unlinked (it anchors appends). A dead last node is unlinked by the
//!    next append after it, or becomes the dummy. So dead nodes do not accumulate: a million
//!    timed-out `pop_timeout`s leave at most one dead node behind.
//!
//! # Linearization points
//!
//! * `push` (and a `transfer` that finds no consumer): the CAS that links its node after the
//!   tail; a `push` or `transfer` that finds a waiting consumer: the CAS that fulfils the first
//!   request.
//! * `pop` that finds data, and `try_pop`: the CAS that marks the first data node taken. A
//!   `try_pop` that returns `None`: the moment it reads a null `next` on the dummy, or sees that
//!   the first live node is a request.
//! * A `pop` that must wait has **two** points: the *request*, when the CAS links its node (from
//!   then on it is in line, and no later consumer can overtake it), and the *follow-up*, when a
//!   producer's CAS fulfils the node. A `pop_timeout` that gives up linearizes at its cancel CAS;
//!   if a fulfiller wins that race, the pop returns the value even past its deadline.
//! * A `transfer` that waits likewise: linked (request), then taken by a consumer (follow-up);
//!   a timed-out transfer at its cancel CAS, after which its value is never delivered.
//!
//! # Memory orderings
//!
//! Links and swings are Release CASes, and every load of `head`, `tail` or `next` is Acquire:
//! a thread that reaches a node through a pointer sees it fully initialised (its kind, its
//! value, its waiting thread). The slot's CAS is AcqRel (see `slot.rs`).

use crate::api::dual_api;
use crate::node::{
    await_taken, await_value, count_live, drop_list, first_live, unlink_marked, Census, Host, Kind,
    Linked, Node, Placed, Support, Walk, MARK,
};
use crate::patience::{Failure, Patience};
use crate::slot::TAKEN;
use crate::sync::{current_thread, Ordering};
use crate::trace::trace_event;
use crossbeam_epoch::{self as epoch, Atomic, Guard, Owned, Shared};
use crossbeam_utils::CachePadded;
use std::marker::PhantomData;

/// A lock-free, unbounded FIFO queue whose consumers can wait for data: a **dual queue**.
///
/// A `pop` on an empty queue does not spin in a retry loop or sleep on a condition variable: it
/// links a *reservation* into the queue and waits on it. The next `push` hands its value straight
/// to the oldest reservation and wakes exactly that thread. Waiting consumers are therefore
/// served in the order they arrived, one wake per value, and a waiter burns no CPU once parked.
///
/// With [`transfer`](DualQueue::transfer), producers can wait too: the queue becomes a fair
/// synchronous queue (Java's fair `SynchronousQueue`), and mixing `push` and `transfer` gives
/// Java's `LinkedTransferQueue`.
///
/// See the [crate documentation](crate) for the algorithm.
///
/// # Examples
///
/// ```
/// use dualq::DualQueue;
/// use std::sync::Arc;
/// use std::thread;
///
/// let queue = Arc::new(DualQueue::new());
/// let consumer = {
///     let queue = Arc::clone(&queue);
///     thread::spawn(move || queue.pop()) // waits: the queue is empty
/// };
/// queue.push(7);
/// assert_eq!(consumer.join().unwrap(), 7);
/// ```
pub struct DualQueue<T> {
    /// The dummy node; the nodes after it are the queue. Moves forward only.
    head: CachePadded<Atomic<Node<T>>>,
    /// The last node, or one before it while an append is finishing. Never behind `head`.
    tail: CachePadded<Atomic<Node<T>>>,
    /// Spin policies and trace.
    support: Support,
    /// The queue owns values of type `T`.
    _values: PhantomData<T>,
}

// The public operations, their docs and examples, `Default`, `Debug`, `Send` and `Sync`,
// written once for both structures (`api.rs`). They call `put`, `take`, `holds` and `census`.
dual_api!(
    DualQueue,
    name: "queue",
    next: "oldest",
    adds: "at the back of the queue",
    from: "at the front",
    order: "A waiting `pop` is served in the order it started waiting: no later `pop` or \
            `try_pop` can take a value while it waits.",
    producers: "Waiting producers are served in the order they arrived, in line with values \
                pushed before and after them.",
    first_out: "1",
);

/// The front of the queue as one scan saw it.
struct Front<'g, T> {
    /// The dummy node `head` pointed to.
    dummy: Shared<'g, Node<T>>,
    /// `dummy.next` as loaded (possibly marked).
    link: Shared<'g, Node<T>>,
    /// The first node after the dummy (`link` unmarked); never null.
    first: Shared<'g, Node<T>>,
}

impl<'g, T> Front<'g, T> {
    fn first(&self) -> &'g Node<T> {
        // SAFETY: `first` is non-null (constructor) and was reached while pinned by `'g`.
        unsafe { self.first.deref() }
    }
}

impl<T> DualQueue<T> {
    /// Creates an empty queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = dualq::DualQueue::<i32>::new();
    /// assert!(queue.is_empty());
    /// ```
    pub fn new() -> Self {
        let support = Support::new();
        let mut dummy = Node::dummy();
        dummy.trace_id = support.tracer().new_id();
        // SAFETY: the dummy is not shared yet; `unprotected` is fine for a pointer nobody else
        // can see, and `into_shared` only converts it.
        let dummy = dummy.into_shared(unsafe { epoch::unprotected() });
        DualQueue {
            head: CachePadded::new(Atomic::from(dummy)),
            tail: CachePadded::new(Atomic::from(dummy)),
            support,
            _values: PhantomData,
        }
    }

    fn census(&self) -> Census {
        let guard = &epoch::pin();
        count_live(self.after_dummy(guard), guard)
    }

    /// The node after the dummy (null if there is none).
    fn after_dummy<'g>(&self, guard: &'g Guard) -> Shared<'g, Node<T>> {
        // Acquire: as in `front`.
        let dummy = self.head.load(Ordering::Acquire, guard);
        // SAFETY: `head` always points to a node, kept alive while pinned.
        unsafe { dummy.deref() }
            .next
            .load(Ordering::Acquire, guard)
            .with_tag(0)
    }

    /// What the queue holds right now, read without changing anything: the kind of its first
    /// live node, or `None` if there is none. Nodes are appended only at the back, so the
    /// walk of `first_live` sees every node that was linked in front of the one it answers
    /// with (or, if none, every node linked when it read the last `next`).
    fn holds(&self, guard: &Guard) -> Option<Kind> {
        first_live(self.after_dummy(guard), guard)
    }

    // ----------------------------------------------------------------------------------------
    // The two operations everything above is made of.

    /// Gives `value` to the first waiting consumer, or appends it as data; with
    /// `Patience::Wait`, then waits until a consumer has taken it.
    ///
    /// On failure the value comes back with the reason.
    pub(crate) fn put(&self, value: T, patience: Patience) -> Result<(), (T, Failure)> {
        let guard = epoch::pin();
        let linked = match self.put_pinned(value, &patience, &guard) {
            Placed::Done(result) => return result,
            Placed::Linked(linked) => linked,
        };
        // Never park pinned: a parked thread would hold back reclamation for everyone
        // (crossbeam issue #103). Our own reference keeps the node alive.
        drop(guard);
        let Patience::Wait(timer) = patience else {
            unreachable!("only a waiting producer stays linked");
        };
        await_taken(self, linked, timer)
    }

    fn put_pinned(
        &self,
        value: T,
        patience: &Patience,
        guard: &Guard,
    ) -> Placed<T, Result<(), (T, Failure)>> {
        let waits = matches!(patience, Patience::Wait(_));
        // One allocation serves either way: linked as a data node, or handed to a waiting
        // consumer as the carrier of the value.
        let mut node = Node::data(value, waits.then(current_thread));
        node.trace_id = self.tracer().new_id();
        loop {
            if !matches!(patience, Patience::Now) {
                // The list owns the node, and so does the producer if it will wait.
                node.set_owners(1 + usize::from(waits));
                match self.append(node, guard) {
                    Ok(linked) if waits => {
                        return Placed::Linked(Linked::new(linked, self.is_first(linked, guard)))
                    }
                    Ok(_) => return Placed::Done(Ok(())),
                    // The queue holds live requests: fulfil the first one instead.
                    Err(back) => node = back,
                }
            }
            match self.front(guard) {
                Some(front) if front.first().kind == Kind::Request => {
                    // The waiting consumer becomes the carrier's only owner.
                    node.set_owners(1);
                    // Read before the CAS: from the CAS on, the carrier is the consumer's, and a
                    // consumer that is still spinning takes the value and frees the carrier at
                    // once, without waiting to be unparked and without the epoch.
                    #[cfg(feature = "trace")]
                    let carrier_id = node.trace_id;
                    let carrier = node.into_shared(guard);
                    match front.first().slot.complete(carrier.as_raw() as usize) {
                        Ok(wakeup) => {
                            // `carrier` may already be freed: never touch it again.
                            trace_event!(
                                self.tracer(),
                                front.first().trace_id,
                                Fulfilled {
                                    carrier: carrier_id
                                }
                            );
                            wakeup.send(&front.first().slot);
                            self.advance_head(&front, guard);
                            return Placed::Done(Ok(()));
                        }
                        Err(_) => {
                            trace_event!(
                                self.tracer(),
                                front.first().trace_id,
                                CasLost(crate::trace::CasSite::Slot)
                            );
                            // SAFETY: the CAS failed, so nobody else received the carrier; it
                            // is still ours alone.
                            node = unsafe { carrier.into_owned() };
                            // The request is dead (another producer, or a timeout): absorb it.
                            self.advance_head(&front, guard);
                        }
                    }
                }
                // No consumer waits.
                _ if matches!(patience, Patience::Now) => {
                    return Placed::Done(Err((Node::into_value(node), Failure::NoPartner)));
                }
                // The front changed under us: try appending again.
                _ => {}
            }
        }
    }

    /// Takes the first value, or links a request and waits for one (`Patience::Wait`).
    pub(crate) fn take(&self, patience: Patience) -> Result<T, Failure> {
        let guard = epoch::pin();
        let linked = match self.take_pinned(&patience, &guard) {
            Placed::Done(result) => return result,
            Placed::Linked(linked) => linked,
        };
        // Never park pinned (see `put`).
        drop(guard);
        let Patience::Wait(timer) = patience else {
            unreachable!("only a waiting consumer links a request");
        };
        await_value(self, linked, timer)
    }

    fn take_pinned(&self, patience: &Patience, guard: &Guard) -> Placed<T, Result<T, Failure>> {
        let mut request: Option<Owned<Node<T>>> = None;
        loop {
            if let Some(front) = self.front(guard) {
                let first = front.first();
                if first.kind == Kind::Data {
                    match first.slot.complete(TAKEN) {
                        Ok(wakeup) => {
                            trace_event!(self.tracer(), first.trace_id, Taken);
                            // SAFETY: our CAS took the value (PENDING -> TAKEN): it is ours
                            // alone, and the node stays alive while we are pinned.
                            let value = unsafe { first.slot.take_value() };
                            wakeup.send(&first.slot);
                            self.advance_head(&front, guard);
                            return Placed::Done(Ok(value));
                        }
                        Err(_) => {
                            trace_event!(
                                self.tracer(),
                                first.trace_id,
                                CasLost(crate::trace::CasSite::Slot)
                            );
                            self.advance_head(&front, guard);
                            continue;
                        }
                    }
                }
            }
            if !matches!(patience, Patience::Wait(_)) {
                return Placed::Done(Err(Failure::NoPartner));
            }
            let node = request.take().unwrap_or_else(|| {
                let mut node = Node::request(Some(current_thread()));
                node.trace_id = self.tracer().new_id();
                node
            });
            // Owned by the list and by this consumer, which waits on it.
            node.set_owners(2);
            match self.append(node, guard) {
                Ok(linked) => {
                    return Placed::Linked(Linked::new(linked, self.is_first(linked, guard)))
                }
                // Data arrived meanwhile: take it.
                Err(back) => request = Some(back),
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // List maintenance.

    /// Finds the first live node, absorbing the dead nodes in front of it into the dummy's
    /// place. Returns `None` if there is none (the queue is empty of both kinds).
    fn front<'g>(&self, guard: &'g Guard) -> Option<Front<'g, T>> {
        loop {
            // Acquire: pairs with the Release CAS that made this node the dummy.
            let dummy = self.head.load(Ordering::Acquire, guard);
            // SAFETY: `head` always points to a node (the dummy), kept alive while pinned.
            let link = unsafe { dummy.deref() }.next.load(Ordering::Acquire, guard);
            let first = link.with_tag(0);
            if first.is_null() {
                return None;
            }
            let front = Front { dummy, link, first };
            if front.first().slot.is_pending() {
                return Some(front);
            }
            self.advance_head(&front, guard);
        }
    }

    /// Makes the dead `front.first` the new dummy, retiring the old one. Gives up quietly if
    /// another thread changed the front first; callers re-read it.
    fn advance_head(&self, front: &Front<'_, T>, guard: &Guard) {
        let Front { dummy, link, first } = *front;
        // The tail must be past the old dummy before it freezes (invariant 3). `tail` is never
        // behind `head`, so if it is not the dummy now, it never will be again. Nodes are
        // linked only after the node `tail` points to, so if `first` has a successor, `tail`
        // reached `first` before it was linked and is past the dummy for good: then we need
        // not read `tail` at all. That matters: `tail` is written by every append, and a
        // consumer that read it on every take would pull its cache line away from producers.
        // Acquire (both): pair with the Release CASes that link a successor and move `tail`.
        // SAFETY: `first` was reached from `head` while pinned.
        let first_is_last = unsafe { first.deref() }
            .next
            .load(Ordering::Acquire, guard)
            .with_tag(0)
            .is_null();
        if first_is_last && self.tail.load(Ordering::Acquire, guard) == dummy {
            // Release: publishes `first` (reached through an Acquire load) to tail readers.
            let _ = self.tail.compare_exchange(
                dummy,
                first,
                Ordering::Release,
                Ordering::Relaxed,
                guard,
            );
        }
        // SAFETY: the dummy is reachable from `head` as we loaded it, while pinned.
        let dummy_node = unsafe { dummy.deref() };
        if link.tag() != MARK {
            // Freeze the dummy's `next` at `first`. AcqRel: Release orders the mark after our
            // reads, Acquire pairs with whoever changed `next` if we fail.
            match dummy_node.next.compare_exchange(
                link,
                link.with_tag(MARK),
                Ordering::AcqRel,
                Ordering::Acquire,
                guard,
            ) {
                Ok(_) => {}
                // Another thread froze it at the same successor: carry on with the swing.
                Err(err) if err.current == link.with_tag(MARK) => {}
                // `first` was unlinked, or the dummy froze at another successor: rescan.
                Err(_) => return,
            }
        }
        // Release: publishes the new dummy to `head` readers (Acquire).
        if self
            .head
            .compare_exchange(dummy, first, Ordering::Release, Ordering::Relaxed, guard)
            .is_ok()
        {
            trace_event!(self.tracer(), dummy_node.trace_id, Unlinked);
            trace_event!(self.tracer(), dummy_node.trace_id, Retired);
            // SAFETY: our CAS unlinked the old dummy; `head` is the only reference to a dummy
            // (its predecessor's `next` froze when it became the dummy), so no one else can.
            unsafe { Node::retire(dummy, guard) };
        }
    }

    /// Links `node` after the last node, if invariant 1 allows it. Returns the node back if the
    /// queue holds live nodes of the other kind: the caller should match them instead.
    fn append<'g>(
        &self,
        mut node: Owned<Node<T>>,
        guard: &'g Guard,
    ) -> Result<Shared<'g, Node<T>>, Owned<Node<T>>> {
        loop {
            // Acquire: pairs with the Release CASes that move `tail`.
            let tail = self.tail.load(Ordering::Acquire, guard);
            // SAFETY: `tail` never points to an unlinked node (invariant 3), and we are pinned.
            let last = unsafe { tail.deref() };
            // Acquire: pairs with the Release CAS that linked the successor.
            let next = last.next.load(Ordering::Acquire, guard);
            if !next.with_tag(0).is_null() {
                // The tail lags: help it forward (Michael & Scott) and retry.
                let _ = self.tail.compare_exchange(
                    tail,
                    next.with_tag(0),
                    Ordering::Release,
                    Ordering::Relaxed,
                    guard,
                );
                continue;
            }
            if last.kind != node.kind && !self.all_dead_through(tail, guard) {
                return Err(node);
            }
            // Release: publishes the node (its kind, value and waiter) to every Acquire load of
            // this `next`.
            match last.next.compare_exchange(
                Shared::null(),
                node,
                Ordering::Release,
                Ordering::Relaxed,
                guard,
            ) {
                Ok(linked) => {
                    #[cfg(feature = "trace")]
                    {
                        // SAFETY: just linked by us, while pinned.
                        let linked_node = unsafe { linked.deref() };
                        let kind = linked_node.kind.traced();
                        trace_event!(self.tracer(), linked_node.trace_id, Linked(kind));
                    }
                    // Release: as for the lagging-tail help above.
                    let _ = self.tail.compare_exchange(
                        tail,
                        linked,
                        Ordering::Release,
                        Ordering::Relaxed,
                        guard,
                    );
                    // `last` may have died while it was the last node, when it could not be
                    // unlinked (invariant 5); now that it has a successor, it can. (The dummy
                    // is always dead and leaves by `head` moving, not by an unlink.)
                    // Acquire: as in `front`.
                    if !last.slot.is_pending() && self.head.load(Ordering::Acquire, guard) != tail {
                        self.unlink(tail, guard);
                    }
                    return Ok(linked);
                }
                Err(err) => {
                    trace_event!(
                        self.tracer(),
                        err.new.trace_id,
                        CasLost(crate::trace::CasSite::Link)
                    );
                    node = err.new;
                }
            }
        }
    }

    /// Whether every node from the dummy through `last` is dead (the dummy always is).
    fn all_dead_through(&self, last: Shared<'_, Node<T>>, guard: &Guard) -> bool {
        // Acquire: as in `front`.
        let mut node = self.head.load(Ordering::Acquire, guard);
        loop {
            // SAFETY: reached from `head` while pinned.
            let current = unsafe { node.deref() };
            if current.slot.is_pending() {
                return false;
            }
            if node == last {
                return true;
            }
            // Acquire: pairs with the Release CAS that linked the successor.
            node = current.next.load(Ordering::Acquire, guard).with_tag(0);
            if node.is_null() {
                // `last` was passed or got a successor: the caller's CAS will fail anyway.
                return false;
            }
        }
    }

    /// Whether `node` is the first after the dummy (the next to be served: worth spinning for).
    fn is_first(&self, node: Shared<'_, Node<T>>, guard: &Guard) -> bool {
        // Acquire: as in `front`.
        let dummy = self.head.load(Ordering::Acquire, guard);
        // SAFETY: `head` always points to a node, kept alive while pinned.
        unsafe { dummy.deref() }
            .next
            .load(Ordering::Acquire, guard)
            .with_tag(0)
            == node
    }

    /// Unlinks the dead node `target`, unless it is the last node (invariant 5).
    fn unlink(&self, target: Shared<'_, Node<T>>, guard: &Guard) {
        // SAFETY: the caller holds `target` alive: it owns a reference, or reached it pinned.
        let node = unsafe { target.deref() };
        debug_assert!(!node.slot.is_pending());
        // Acquire: pairs with the Release CAS that linked the successor.
        if node
            .next
            .load(Ordering::Acquire, guard)
            .with_tag(0)
            .is_null()
        {
            return;
        }
        // A dead target at the front becomes the dummy here, and is retired with it later.
        let _ = self.front(guard);
        // Acquire: as in `front`.
        if self.head.load(Ordering::Acquire, guard) == target {
            return;
        }
        // Invariant 3: the tail must be past the target before it freezes. The target has a
        // successor, so the last node is past it.
        self.tail_to_last(guard);
        node.mark(guard);
        loop {
            // Acquire: as in `front`.
            let dummy = self.head.load(Ordering::Acquire, guard);
            if dummy == target {
                return;
            }
            // SAFETY: `head` always points to a node, kept alive while pinned.
            let dummy_node = unsafe { dummy.deref() };
            // Acquire: as in `front`.
            let link = dummy_node.next.load(Ordering::Acquire, guard);
            let start = if link.tag() == MARK {
                // The dummy is frozen; it can only leave by `head` moving onto its successor.
                let first = link.with_tag(0);
                let front = Front { dummy, link, first };
                if first == target || !front.first().slot.is_pending() {
                    self.advance_head(&front, guard);
                    continue;
                }
                &front.first().next
            } else {
                &dummy_node.next
            };
            match unlink_marked(start, target, guard, self.tracer()) {
                Walk::Unlinked | Walk::Gone => return,
                Walk::Restart => continue,
            }
        }
    }

    /// Moves `tail` to the last node.
    fn tail_to_last(&self, guard: &Guard) {
        loop {
            // Acquire: pairs with the Release CASes that move `tail`.
            let tail = self.tail.load(Ordering::Acquire, guard);
            // SAFETY: `tail` never points to an unlinked node (invariant 3), and we are pinned.
            let next = unsafe { tail.deref() }.next.load(Ordering::Acquire, guard);
            if next.with_tag(0).is_null() {
                return;
            }
            // Release: publishes the successor to tail readers.
            let _ = self.tail.compare_exchange(
                tail,
                next.with_tag(0),
                Ordering::Release,
                Ordering::Relaxed,
                guard,
            );
        }
    }
}

#[cfg(feature = "trace")]
impl<T> DualQueue<T> {
    /// Draws the list as it is now (feature `trace`), for example
    /// `head → [#1 dummy] → [R t1 #2] → [R t2 #3] ← tail`: `D` data, `R` request, the waiting
    /// thread's name, the node's trace id, and the state of decided nodes. A snapshot: other
    /// threads may change the list while it is drawn.
    pub fn picture(&self) -> String {
        let guard = &epoch::pin();
        // Acquire (both): as in `front`.
        let tail = self.tail.load(Ordering::Acquire, guard);
        let mut node = self.head.load(Ordering::Acquire, guard);
        let mut picture = String::from("head → ");
        let mut first = true;
        // SAFETY: every node reached from `head` while pinned stays allocated.
        while let Some(current) = unsafe { node.as_ref() } {
            if first {
                picture.push_str(&format!("[#{} dummy]", current.trace_id));
                first = false;
            } else {
                picture.push_str(" → ");
                picture.push_str(&current.label());
            }
            if node == tail {
                picture.push_str(" ← tail");
            }
            // Acquire: pairs with the Release CAS that linked the successor.
            node = current.next.load(Ordering::Acquire, guard).with_tag(0);
        }
        picture
    }
}

impl<T> Host<T> for DualQueue<T> {
    fn support(&self) -> &Support {
        &self.support
    }

    fn unlink_dead(&self, node: *const Node<T>) {
        let guard = &epoch::pin();
        self.unlink(Shared::from(node), guard);
    }
}

impl<T> Drop for DualQueue<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: every operation has returned (each held a borrow) and released
        // its references, and the list from `head` on is the queue's, none of it retired.
        unsafe { drop_list(&self.head) };
    }
}
