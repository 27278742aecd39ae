//! `DualStack<T>`: Scherer & Scott's lock-free dual stack (DISC 2004), with the fulfilling-node
//! protocol, timeouts, cancellation and synchronous transfer (Scherer, Lea & Scott; Java's
//! unfair `SynchronousQueue`).
//!
//! # Why a stack
//!
//! A stack serves the *newest* waiter first. That is unfair (an old waiter can wait while new
//! ones are served), but the newest waiter is the one most likely still spinning, with its node
//! and stack still in cache, so handoffs are cheaper: Java's unfair `SynchronousQueue` is a dual
//! stack for that reason. Use [`DualQueue`](crate::DualQueue) when order matters.
//!
//! # Representation
//!
//! A Treiber stack: `head` points to the top node, each node to the one below. Nodes are data
//! or requests; the stack holds all data, all requests, or, for a moment, one **fulfilling**
//! data node on top of a request. A consumer that finds data on top takes it the Treiber way
//! (claim the node's slot, pop it); a producer that finds a waiting consumer on top cannot
//! simply pop the request, since the consumer must be told, so it pushes a fulfilling node:
//!
//! ```text
//!             push(v) finds a waiting consumer on top:
//!
//!   head ─► [R t1] ─► [R t2]          1. push a fulfilling node F (holds v) over it
//!
//!   head ─► [F: v] ─► [R t1] ─► [R t2]
//!              └──────┘                2. match: CAS t1's slot from PENDING to "F"
//!                                         (t1 wakes and reads v from F)
//!   head ─────────────────────► [R t2] 3. pop both with one CAS of head
//! ```
//!
//! Any thread that finds a fulfilling node on top **helps** it (steps 2 and 3) before doing its
//! own operation, so a fulfiller that stalls after step 1 delays nobody. If the node below the
//! fulfilling node withdrew (timed out), the helper unlinks it and matches the next one; if none
//! is left, the fulfilling node is popped alone and its owner starts over.
//!
//! ```text
//!             pop() finds data on top:
//!
//!   head ─► [D v] ─► [D w]            1. claim: CAS D's slot from PENDING to TAKEN, move v out
//!                                        (a producer waiting in transfer wakes)
//!   head ─────────► [D w]             2. pop D (mark, then one CAS of head)
//! ```
//!
//! The claim comes first because a data node can withdraw (a timed-out `transfer`): the claim
//! and the withdrawal race through the one slot CAS. A `try_pop` that finds no data allocates
//! nothing; only a consumer that will wait allocates its request.
//!
//! # Invariants
//!
//! 1. **One kind at a time.** The live plain nodes are all data or all requests. A plain node is
//!    pushed only onto an empty stack or onto a live node of its own kind (dead nodes on top are
//!    popped first); a fulfilling node (always a data node) only onto a live request.
//! 2. **Nothing is pushed onto a fulfilling node**: a thread that finds one on top helps it
//!    instead. So while a fulfilling node is on top, the node under it is the top of the rest.
//! 3. A fulfilling node `F` matches only `F.next`, and once `F.next`'s slot names `F`, `F.next`
//!    never changes: so `F` is matched iff its `next` names it, and unmatched for good once
//!    its `next` is null.
//! 4. **Leaving is mark-then-swing** (`node.rs`): a node leaves by a CAS of `head` (the top) or of
//!    its predecessor's unmarked `next` (a cancelled or taken node below the top, covered by a
//!    push that read `head` while it was live), after its own `next` is frozen. The winner of
//!    that CAS retires it with crossbeam-epoch. A dead node's owner (the canceller, the taker)
//!    makes sure it leaves: if it is no longer on top, it walks from `head` to unlink it.
//! 5. **A matched pair leaves together.** A fulfilling node is frozen over a partner only once it
//!    has matched it (one frozen unmatched has a null `next`), and every swing past a frozen
//!    fulfilling node, by a helper, the owner or a walker unlinking a cancelled node further
//!    down, freezes the partner and swings past both at once (`node::Leaving`). Two things
//!    follow:
//!    * `head` never returns to a node a fulfilling node once covered, so a push whose CAS of
//!      `head` expects that node (it read it before the fulfilling node came) fails: it cannot
//!      cover a matched partner that the match has already decided.
//!    * The partner is unlinked no later than its fulfilling node is retired. So a thread that
//!      can still reach the partner pinned before the fulfilling node was retired, and the
//!      fulfilling node's memory cannot be reused while it looks: the address in the partner's
//!      slot names no other node, and invariant 3's test (`state == fulfiller`) cannot be
//!      fooled. Retired alone, the fulfilling node could be freed while its partner stayed
//!      linked, and a later fulfilling node allocated at the same address would "match" the
//!      stale partner again: a value moved out twice, or a push that returns `Ok` without
//!      delivering its value.
//!
//! # Linearization points
//!
//! * A plain `push`, or a `pop`/`transfer` that must wait (the *request* point): the CAS of
//!   `head` that pushes its node.
//! * A `push` that finds a waiting consumer: the CAS that matches the request under its
//!   fulfilling node. Until then the request could still withdraw, and the fulfilling node
//!   would move on to the next one, so the push of the fulfilling node is *not* the point. For
//!   the waiting `pop` this same CAS is its *follow-up* point: it linearized when its request
//!   was pushed, and completes here.
//! * A `pop` that finds data: its claim CAS, when the node is still on top then. A push may
//!   have covered the node between the pop's read of `head` and its claim (a push that read
//!   `head` while the node was live); the pop then linearizes just before the first such push,
//!   when the node was on top. That is inside the pop's interval (it read `head` before), and
//!   no one else took the node in between (the claim shows it). The same holds for the
//!   follow-up of a `transfer` whose node the pop takes.
//! * A `pop_timeout` or `transfer_timeout` that gives up: its cancel CAS.
//! * `try_pop` that returns `None`: the read of `head` that saw an empty stack or a live request
//!   (after helping a fulfilling node and popping dead nodes).
//! * `is_empty` and `has_waiting_consumer` read only (`holds`): the read of the first live
//!   plain node they find, or, finding none, the second read of `head`.
//!
//! # Memory orderings
//!
//! Every push (plain or fulfilling) is a Release CAS of `head`, and every load of `head` or
//! `next` is Acquire: a thread that reaches a node sees it fully initialised (kind, fulfilling
//! flag, value, waiting thread), because the node's fields were written before the CAS that
//! published it. Slot decisions are the slot's AcqRel CAS (`slot.rs`). A match's Release
//! publishes the fulfilling node (and so its value) to the waiter, whose Acquire load of its
//! slot then reads the value. A claim's Acquire pairs with the Release push of the data node
//! (the value was written before it), and its Release with the waiting producer's Acquire load
//! of its slot. Marks are AcqRel `fetch_or`s, so a thread that finds a node frozen also sees
//! the slot decision that made it dead. No fence is needed: neither linked structure has a
//! flag to check against (the channels run on the segmented queue).

use crate::api::dual_api;
use crate::node::{
    await_taken, await_value, count_live, drop_list, first_live, unlink_marked, Census, Host, Kind,
    Leaving, Linked, Node, Placed, Support, Walk,
};
use crate::patience::{Failure, Patience};
use crate::slot::TAKEN;
use crate::sync::{current_thread, Ordering};
use crate::trace::trace_event;
use crossbeam_epoch::{self as epoch, Atomic, Guard, Owned, Shared};
use crossbeam_utils::CachePadded;
use std::marker::PhantomData;

/// A lock-free, unbounded LIFO stack whose consumers can wait for data: a **dual stack**.
///
/// Like [`DualQueue`](crate::DualQueue), a `pop` on an empty stack links a reservation and waits
/// on it, and a `push` hands its value straight to a waiting consumer, waking only that thread.
/// Unlike the queue, the *newest* waiter is served first, and data leaves newest first.
///
/// With [`transfer`](DualStack::transfer) producers can wait too, which makes it an unfair
/// synchronous queue (Java's unfair `SynchronousQueue`).
///
/// # Examples
///
/// ```
/// let stack = dualq::DualStack::new();
/// stack.push(1);
/// stack.push(2);
/// assert_eq!(stack.pop(), 2);
/// assert_eq!(stack.try_pop(), Some(1));
/// assert_eq!(stack.try_pop(), None);
/// ```
pub struct DualStack<T> {
    /// The top node, or null when the stack is empty.
    head: CachePadded<Atomic<Node<T>>>,
    /// Spin policies and trace.
    support: Support,
    /// The stack owns values of type `T`.
    _values: PhantomData<T>,
}

// The public operations, their docs and examples, `Default`, `Debug`, `Send` and `Sync`,
// written once for both structures (`api.rs`). They call `put`, `take`, `holds` and `census`.
dual_api!(
    DualStack,
    name: "stack",
    next: "newest",
    adds: "on top of the stack",
    from: "on top",
    order: "Waiting consumers are served newest first: one that starts waiting later is \
            served before this one.",
    producers: "Waiting producers are served newest first, like the values.",
    first_out: "2",
);

impl<T> DualStack<T> {
    /// Creates an empty stack.
    ///
    /// # Examples
    ///
    /// ```
    /// let stack = dualq::DualStack::<i32>::new();
    /// assert!(stack.is_empty());
    /// ```
    pub fn new() -> Self {
        DualStack {
            head: CachePadded::new(Atomic::null()),
            support: Support::new(),
            _values: PhantomData,
        }
    }

    fn census(&self) -> Census {
        let guard = &epoch::pin();
        count_live(
            // Acquire: pairs with the Release CAS that pushed the top node.
            self.head.load(Ordering::Acquire, guard),
            guard,
        )
    }

    // ----------------------------------------------------------------------------------------
    // The two operations everything above is made of.

    /// Hands `value` to the newest waiting consumer, or pushes it; with `Patience::Wait`, then
    /// waits until a consumer took it. On failure the value comes back with the reason.
    pub(crate) fn put(&self, value: T, patience: Patience) -> Result<(), (T, Failure)> {
        let guard = epoch::pin();
        let placed = self.put_pinned(value, &patience, &guard);
        // Never park pinned: a parked thread would hold back reclamation for everyone.
        drop(guard);
        match (placed, patience) {
            (Placed::Done(result), _) => result,
            (Placed::Linked(linked), Patience::Wait(timer)) => await_taken(self, linked, timer),
            (Placed::Linked(_), _) => unreachable!("only a waiting producer stays linked"),
        }
    }

    fn put_pinned(
        &self,
        value: T,
        patience: &Patience,
        guard: &Guard,
    ) -> Placed<T, Result<(), (T, Failure)>> {
        let waits = matches!(patience, Patience::Wait(_));
        let mut node = Node::data(value, waits.then(current_thread));
        node.trace_id = self.tracer().new_id();
        loop {
            let top = self.live_top(guard);
            // SAFETY: reached from `head` while pinned.
            let consumer_waits = unsafe { top.as_ref() }.is_some_and(|n| n.kind == Kind::Request);
            if consumer_waits {
                match self.push_fulfilling(node, top, guard) {
                    // The consumer reads the value from our fulfilling node when it wakes.
                    Ok(()) => return Placed::Done(Ok(())),
                    Err(back) => node = back,
                }
                continue;
            }
            if matches!(patience, Patience::Now) {
                return Placed::Done(Err((Node::into_value(node), Failure::NoPartner)));
            }
            // The list, and the producer if it will wait.
            node.set_owners(1 + usize::from(waits));
            match self.push_plain(node, top, guard) {
                // A fresh top is the next to be served: worth a spin before parking.
                Ok(linked) if waits => return Placed::Linked(Linked::new(linked, true)),
                Ok(_) => return Placed::Done(Ok(())),
                Err(back) => node = back,
            }
        }
    }

    /// Takes the value on top, or pushes a request and waits for one (`Patience::Wait`).
    pub(crate) fn take(&self, patience: Patience) -> Result<T, Failure> {
        let guard = epoch::pin();
        let placed = self.take_pinned(&patience, &guard);
        // Never park pinned (see `put`).
        drop(guard);
        match (placed, patience) {
            (Placed::Done(result), _) => result,
            (Placed::Linked(linked), Patience::Wait(timer)) => await_value(self, linked, timer),
            (Placed::Linked(_), _) => unreachable!("only a waiting consumer stays linked"),
        }
    }

    fn take_pinned(&self, patience: &Patience, guard: &Guard) -> Placed<T, Result<T, Failure>> {
        // Allocated only once the consumer must wait: a `try_pop` never allocates.
        let mut request: Option<Owned<Node<T>>> = None;
        loop {
            let top = self.live_top(guard);
            // SAFETY: reached from `head` while pinned.
            if unsafe { top.as_ref() }.is_some_and(|n| n.kind == Kind::Data) {
                match self.claim(top, guard) {
                    Some(value) => return Placed::Done(Ok(value)),
                    // Someone else decided it first: look again.
                    None => continue,
                }
            }
            if !matches!(patience, Patience::Wait(_)) {
                return Placed::Done(Err(Failure::NoPartner));
            }
            let node = request.take().unwrap_or_else(|| {
                let mut node = Node::request(Some(current_thread()));
                node.trace_id = self.tracer().new_id();
                // The list, and this consumer, which waits on it.
                node.set_owners(2);
                node
            });
            match self.push_plain(node, top, guard) {
                Ok(linked) => return Placed::Linked(Linked::new(linked, true)),
                Err(back) => request = Some(back),
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // The algorithm.

    /// The top once fulfilling and dead nodes have been dealt with: null, or a live plain node.
    fn live_top<'g>(&self, guard: &'g Guard) -> Shared<'g, Node<T>> {
        loop {
            // Acquire: pairs with the Release CAS that pushed the top node, so the node's
            // fields (kind, fulfilling flag, value, waiting thread) are visible.
            let top = self.head.load(Ordering::Acquire, guard);
            // SAFETY: reached from `head` while pinned.
            match unsafe { top.as_ref() } {
                // Invariant 2: help the fulfiller finish before doing anything else.
                Some(node) if node.fulfilling => self.help(top, guard),
                // Dead nodes on top are popped first (invariant 1).
                Some(node) if !node.slot.is_pending() => {
                    self.pop_top(top, guard);
                }
                _ => return top,
            }
        }
    }

    /// Pushes the plain `node` over `top` (null, or a live plain node of its kind). Gives the
    /// node back if `head` moved.
    fn push_plain<'g>(
        &self,
        mut node: Owned<Node<T>>,
        top: Shared<'g, Node<T>>,
        guard: &'g Guard,
    ) -> Result<Shared<'g, Node<T>>, Owned<Node<T>>> {
        // A data node that lost its CAS as a fulfilling node comes back still flagged.
        node.fulfilling = false;
        // Relaxed: the node is not shared yet; the CAS below publishes it.
        node.next.store(top, Ordering::Relaxed);
        // Release: publishes the node to the Acquire loads of `head`.
        match self
            .head
            .compare_exchange(top, node, Ordering::Release, Ordering::Relaxed, guard)
        {
            Ok(pushed) => {
                #[cfg(feature = "trace")]
                {
                    // SAFETY: just pushed by us, while pinned.
                    let node = unsafe { pushed.deref() };
                    trace_event!(self.tracer(), node.trace_id, Linked(node.kind.traced()));
                }
                Ok(pushed)
            }
            Err(err) => {
                trace_event!(
                    self.tracer(),
                    err.new.trace_id,
                    CasLost(crate::trace::CasSite::Link)
                );
                Err(err.new)
            }
        }
    }

    /// Pushes the data `node` as a fulfilling node over the live request `top`, and hands its
    /// value to a waiting consumer: to `top`, or, if it withdraws, to the next one below. Gives
    /// the value back in a fresh node if `head` moved, or if every consumer below withdrew.
    fn push_fulfilling(
        &self,
        mut node: Owned<Node<T>>,
        top: Shared<'_, Node<T>>,
        guard: &Guard,
    ) -> Result<(), Owned<Node<T>>> {
        let waits = node.slot.has_waiter();
        node.fulfilling = true;
        // Relaxed: the node is not shared yet; the CAS below publishes it.
        node.next.store(top, Ordering::Relaxed);
        // The list, and, once it matches, the consumer that reads the value from it
        // (`await_value`).
        node.set_owners(2);
        // Release: publishes the node to the Acquire loads of `head`.
        match self
            .head
            .compare_exchange(top, node, Ordering::Release, Ordering::Relaxed, guard)
        {
            Ok(fulfiller) => {
                #[cfg(feature = "trace")]
                {
                    // SAFETY: just pushed by us, while pinned.
                    let pushed = unsafe { fulfiller.deref() };
                    let kind = pushed.kind.traced();
                    trace_event!(self.tracer(), pushed.trace_id, PushedFulfilling(kind));
                }
                if self.fulfil(fulfiller, guard) {
                    Ok(())
                } else {
                    // Everyone below withdrew; a published node is never reused.
                    Err(self.renew(fulfiller, waits))
                }
            }
            Err(err) => {
                trace_event!(
                    self.tracer(),
                    err.new.trace_id,
                    CasLost(crate::trace::CasSite::Link)
                );
                Err(err.new)
            }
        }
    }

    /// Takes the value of the live data node `top`, found on top: the Treiber pop, with a claim
    /// first, so that the pop and a producer withdrawing its `transfer` cannot both have the
    /// value. Returns `None` if someone decided the node first (the withdrawal, or another
    /// pop's claim).
    fn claim(&self, top: Shared<'_, Node<T>>, guard: &Guard) -> Option<T> {
        // SAFETY: reached from `head` while pinned.
        let data = unsafe { top.deref() };
        let Ok(wakeup) = data.slot.complete(TAKEN) else {
            trace_event!(
                self.tracer(),
                data.trace_id,
                CasLost(crate::trace::CasSite::Slot)
            );
            return None;
        };
        trace_event!(self.tracer(), data.trace_id, Taken);
        // SAFETY: our CAS took the value (PENDING -> TAKEN): it is ours alone, and the node
        // stays alive while we are pinned.
        let value = unsafe { data.slot.take_value() };
        // A producer waiting in `transfer`: its value is taken. (The node is alive: pinned.)
        wakeup.send(&data.slot);
        self.unlink_taken(top, guard);
        Some(value)
    }

    /// Unlinks the data node `taken`, which the caller's claim made dead. Usually it is still
    /// on top and one CAS pops it; if not, either another thread popped it already, or a push
    /// that read `head` while it was live covered it, and a walk from `head` unlinks it.
    fn unlink_taken(&self, taken: Shared<'_, Node<T>>, guard: &Guard) {
        if !self.pop_top(taken, guard) {
            // `pop_top` froze it; a walk finds it, or finds it gone.
            let walk = unlink_marked(&self.head, taken, guard, self.tracer());
            debug_assert_ne!(walk, Walk::Restart, "`head` is a root and never frozen");
        }
    }

    /// The fulfiller's own loop: matches the node under `fulfiller`, unlinking withdrawn nodes
    /// on the way. Returns whether it matched one; if not, nobody was left, and the fulfilling
    /// node is popped and unmatched for good.
    fn fulfil(&self, fulfiller: Shared<'_, Node<T>>, guard: &Guard) -> bool {
        // SAFETY: our own node, pushed while pinned.
        let fulfilling = unsafe { fulfiller.deref() };
        loop {
            // Acquire: pairs with the Release CAS that unlinked a withdrawn node below us.
            let partner = fulfilling.next.load(Ordering::Acquire, guard).with_tag(0);
            if partner.is_null() {
                self.pop_top(fulfiller, guard);
                return false;
            }
            if self.match_or_unlink(fulfiller, partner, guard) {
                return true;
            }
        }
    }

    /// One step of finishing the fulfilling node on top, by a thread that met it there.
    fn help(&self, fulfiller: Shared<'_, Node<T>>, guard: &Guard) {
        // SAFETY: reached from `head` while pinned.
        let fulfilling = unsafe { fulfiller.deref() };
        trace_event!(self.tracer(), fulfilling.trace_id, Helped);
        // Acquire: as in `fulfil`.
        let partner = fulfilling.next.load(Ordering::Acquire, guard).with_tag(0);
        if partner.is_null() {
            self.pop_top(fulfiller, guard);
        } else {
            self.match_or_unlink(fulfiller, partner, guard);
        }
    }

    /// Matches `partner` (the node under `fulfiller`) and pops both; or, if `partner` withdrew,
    /// unlinks it. Returns whether `partner` is matched to `fulfiller`.
    fn match_or_unlink(
        &self,
        fulfiller: Shared<'_, Node<T>>,
        partner: Shared<'_, Node<T>>,
        guard: &Guard,
    ) -> bool {
        // SAFETY: `partner` was reached through the fulfilling node while pinned.
        let below = unsafe { partner.deref() };
        let matched = match below.slot.complete(fulfiller.as_raw() as usize) {
            Ok(wakeup) => {
                trace_event!(
                    self.tracer(),
                    below.trace_id,
                    Fulfilled {
                        // SAFETY: reached from `head` while pinned. The consumer may have
                        // released its reference already, but the list's is given up only
                        // through the epoch, so the node outlives our pin.
                        carrier: unsafe { fulfiller.deref() }.trace_id
                    }
                );
                wakeup.send(&below.slot);
                true
            }
            // Matched already, by the owner or another helper (invariant 3).
            Err(state) => state == fulfiller.as_raw() as usize,
        };
        if matched {
            self.pop_pair(fulfiller, guard);
        } else {
            self.unlink_below(fulfiller, partner, guard);
        }
        matched
    }

    /// Pops a matched fulfilling node and its partner with one CAS of `head`.
    fn pop_pair(&self, fulfiller: Shared<'_, Node<T>>, guard: &Guard) {
        // `pop_top` freezes the fulfilling node, then its partner (`Leaving::past`), and swings
        // `head` past both. If the swing fails, another helper, or a walker that found the
        // fulfilling node frozen, popped them both already (invariant 5).
        self.pop_top(fulfiller, guard);
    }

    /// Unlinks a withdrawn `partner` from under `fulfiller`.
    fn unlink_below(
        &self,
        fulfiller: Shared<'_, Node<T>>,
        partner: Shared<'_, Node<T>>,
        guard: &Guard,
    ) {
        // SAFETY: reached while pinned.
        let rest = unsafe { partner.deref() }.mark(guard);
        // SAFETY: reached while pinned.
        let fulfilling = unsafe { fulfiller.deref() };
        // AcqRel: Release publishes `rest` to the Acquire loads in `fulfil`/`help`; Acquire
        // pairs with the mark.
        if fulfilling
            .next
            .compare_exchange(partner, rest, Ordering::AcqRel, Ordering::Acquire, guard)
            .is_ok()
        {
            #[cfg(feature = "trace")]
            {
                // SAFETY: reached while pinned.
                let id = unsafe { partner.deref() }.trace_id;
                trace_event!(self.tracer(), id, Unlinked);
                trace_event!(self.tracer(), id, Retired);
            }
            // SAFETY: our CAS unlinked the (frozen) partner; only one swing can succeed.
            unsafe { Node::retire(partner, guard) };
        }
    }

    /// Pops `top` (a dead node, an unmatched fulfilling node, or a matched one together with
    /// its partner) if it is still on top. Returns whether this call popped it.
    fn pop_top(&self, top: Shared<'_, Node<T>>, guard: &Guard) -> bool {
        // SAFETY: reached from `head` while pinned.
        let succ = unsafe { top.deref() }.mark(guard);
        let leaving = Leaving::past(top, succ, guard);
        // Release: publishes `leaving.rest` (reached through an Acquire mark) to `head` readers.
        if self
            .head
            .compare_exchange(
                top,
                leaving.rest,
                Ordering::Release,
                Ordering::Relaxed,
                guard,
            )
            .is_ok()
        {
            // SAFETY: our CAS unlinked `top` (and its partner): `head` was the only unmarked
            // reference to it, and its frozen `next` the only one to the partner.
            unsafe { leaving.retire(guard, self.tracer()) };
            return true;
        }
        // Otherwise it was popped already, or (a dead plain node) a push that read `head`
        // while it was live covered it: it is frozen, and the walk of its owner (a cancelled
        // node's, or a taken one's taker) unlinks it (`unlink_dead`, `unlink_taken`).
        false
    }

    /// A fresh data node for the owner of a fulfilling node that found nobody to match,
    /// carrying its value over; gives up the reference a match would have used.
    fn renew(&self, fulfiller: Shared<'_, Node<T>>, waits: bool) -> Owned<Node<T>> {
        // SAFETY: our own node; we are still pinned.
        let fulfilling = unsafe { fulfiller.deref() };
        // SAFETY: the node's `next` became null without a match (invariant 3), so no consumer
        // was ever granted the value: it is still ours.
        let value = unsafe { fulfilling.slot.take_value() };
        // SAFETY: the reference reserved for the consumer was never handed out; we give it up
        // once. The list's reference was retired by whoever popped the node.
        unsafe { Node::release(fulfiller.as_raw()) };
        let mut fresh = Node::data(value, waits.then(current_thread));
        fresh.trace_id = self.tracer().new_id();
        fresh
    }

    /// What the stack holds right now, read without changing anything: the kind of a live
    /// plain node (all have one kind, invariant 1), or `None` if there is none.
    ///
    /// A snapshot: the walk skips fulfilling nodes (mid-handoff, neither side) and dead ones,
    /// and answers with the first live plain node. If it finds none, nodes pushed since it read
    /// `head` were not seen; it answers `None` only if `head` is unchanged afterwards (then
    /// every node linked at that moment was seen dead), and looks again otherwise.
    fn holds(&self, guard: &Guard) -> Option<Kind> {
        loop {
            // Acquire: as in `live_top`.
            let top = self.head.load(Ordering::Acquire, guard);
            if let Some(kind) = first_live(top, guard) {
                return Some(kind);
            }
            // Acquire: as above.
            if self.head.load(Ordering::Acquire, guard) == top {
                return None;
            }
        }
    }
}

#[cfg(feature = "trace")]
impl<T> DualStack<T> {
    /// Draws the stack as it is now, top first (feature `trace`), for example
    /// `head → [F:D t2 #4] → [R t1 #2]`: `D` data, `R` request, `F:` a fulfilling node, the
    /// waiting thread's name, the node's trace id, and the state of decided nodes. A snapshot.
    pub fn picture(&self) -> String {
        let guard = &epoch::pin();
        // Acquire: as in `live_top`.
        let mut node = self.head.load(Ordering::Acquire, guard);
        let mut picture = String::from("head");
        // SAFETY: every node reached from `head` while pinned stays allocated.
        while let Some(current) = unsafe { node.as_ref() } {
            picture.push_str(" → ");
            picture.push_str(&current.label());
            // Acquire: pairs with the Release CAS that linked the successor.
            node = current.next.load(Ordering::Acquire, guard).with_tag(0);
        }
        if picture == "head" {
            picture.push_str(" → (empty)");
        }
        picture
    }
}

impl<T> Host<T> for DualStack<T> {
    fn support(&self) -> &Support {
        &self.support
    }

    fn unlink_dead(&self, node: *const Node<T>) {
        let guard = &epoch::pin();
        let target = Shared::from(node);
        // SAFETY: the caller owns a reference to its node.
        unsafe { target.deref() }.mark(guard);
        let walk = unlink_marked(&self.head, target, guard, self.tracer());
        debug_assert_ne!(walk, Walk::Restart, "`head` is a root and never frozen");
    }
}

impl<T> Drop for DualStack<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: every operation has returned (each held a borrow) and released
        // its references, and the list from `head` on is the stack's, none of it retired.
        unsafe { drop_list(&self.head) };
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::slot::CANCELLED;

    /// Links a plain request node on top, as a waiting `pop` would (the test plays its waiter).
    fn push_request<'g>(stack: &DualStack<u32>, guard: &'g Guard) -> Shared<'g, Node<u32>> {
        let node = Node::request(Some(current_thread()));
        node.set_owners(2);
        // Acquire: pairs with the Release CAS that pushed the top node.
        let top = stack.head.load(Ordering::Acquire, guard);
        node.next.store(top, Ordering::Relaxed);
        stack
            .head
            .compare_exchange(top, node, Ordering::Release, Ordering::Relaxed, guard)
            .unwrap_or_else(|_| unreachable!("one thread"))
    }

    /// The interleaving of issue 17, replayed step by step on one thread. A `push` finds
    /// consumer P on top (over Q, whose consumer is about to time out), pushes fulfilling node
    /// F over P, matches P, and has frozen F but not yet P when Q's consumer times out and its
    /// cancellation walk, starting at `head`, finds F frozen. A walk that swung `head` past F
    /// alone left P, matched and unfrozen, on top: a push that had read `head == P` before F
    /// came then covered P (ABA on `head`), P stayed linked after F was retired, and a later
    /// fulfilling node allocated at F's address would "match" P a second time. The walk must
    /// take P with F (invariant 5).
    #[test]
    fn a_walk_unlinks_a_matched_fulfilling_node_with_its_partner() {
        let stack = DualStack::<u32>::new();
        let guard = &epoch::pin();
        let q = push_request(&stack, guard);
        let p = push_request(&stack, guard);
        // The push: F over P, owned by the list and by P's consumer once matched.
        let mut f = Node::data(7, None);
        f.fulfilling = true;
        f.next.store(p, Ordering::Relaxed);
        f.set_owners(2);
        let f = stack
            .head
            .compare_exchange(p, f, Ordering::Release, Ordering::Relaxed, guard)
            .unwrap_or_else(|_| unreachable!("one thread"));
        // SAFETY: both linked by us, and we are pinned.
        let (f_node, p_node) = unsafe { (f.deref(), p.deref()) };
        assert!(p_node.slot.complete(f.as_raw() as usize).is_ok());
        // `pop_pair` freezes F first; stop right after, before P is frozen.
        f_node.mark(guard);
        // Q's consumer times out and unlinks its node, walking from `head`.
        // SAFETY: linked by us, and we are pinned.
        assert!(unsafe { q.deref() }.slot.complete(CANCELLED).is_ok());
        stack.unlink_dead(q.as_raw());
        // Acquire: pairs with the walk's Release swing.
        let top = stack.head.load(Ordering::Acquire, guard);
        assert!(
            top != p,
            "the walk unlinked the matched fulfilling node alone: its partner is on top"
        );
        assert!(top.is_null(), "the stack should be empty now");
        // A push that read `head == P` before F came must not get in over P.
        let late = Node::request(None);
        late.next.store(p, Ordering::Relaxed);
        assert!(
            stack
                .head
                .compare_exchange(p, late, Ordering::Release, Ordering::Relaxed, guard)
                .is_err(),
            "a stale push covered a matched partner"
        );
        // The push finishes its `pop_pair` (nothing is left to pop) and P's consumer takes 7
        // from F, as `await_value` does; Q's consumer gives up its reference.
        stack.pop_pair(f, guard);
        // SAFETY: P was fulfilled by F, so F holds P's value and P's consumer owns a
        // reference to F; each reference is given up once.
        unsafe {
            assert_eq!(p_node.slot.state(), f.as_raw() as usize);
            assert_eq!(f_node.slot.take_value(), 7);
            Node::release(f.as_raw());
            Node::release(p.as_raw());
            Node::release(q.as_raw());
        }
        assert!(stack.is_empty() && !stack.has_waiting_consumer());
    }
}
