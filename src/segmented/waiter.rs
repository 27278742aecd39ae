//! A parked party of the segmented dual queue: the state word that decides, exactly once, how
//! its wait ends, the value it hands over or receives, and how to wake it.
//!
//! A sender or receiver that has spun for its budget and found no partner allocates a
//! [`Waiter`] and stores a pointer to it in its cell. From then on the **waiter's state word**,
//! not the cell, decides the outcome, by one CAS away from `Waiting`:
//!
//! | state | receiver's waiter | sender's waiter |
//! | --- | --- | --- |
//! | `Waiting` | nobody has decided | nobody has decided; the value is in the waiter |
//! | `Delivered` | a sender wrote the value into the waiter, then won | — |
//! | `Taken` | — | a receiver won and moves the value out of the waiter |
//! | `Buffered` | — | the buffer end won and moves the value into the cell (bounded channels) |
//! | `Cancelled` | the receiver withdrew (deadline passed, future dropped) | the sender withdrew and takes its value back |
//! | `Closed` | the other side disconnected | the other side disconnected; the sender takes its value back |
//!
//! Every state but `Waiting` is final. The winner of the CAS owns the value slot afterwards
//! (for `Delivered`, `Cancelled` and `Closed` that is the waiting party itself).
//!
//! # Who keeps a waiter alive
//!
//! A waiter is shared through an [`Arc`]: one reference belongs to the waiting party, one to
//! the cell. The cell's reference is released by whichever thread finalizes the cell (moves it
//! from the waiter pointer to a terminal state), **through the epoch** (`release_deferred`):
//! other pinned threads (the partner, the buffer end, a sweep) may have read the pointer from
//! the cell and still be about to look at the waiter. The waiting party parks without an epoch
//! guard and, once woken, never touches the segment again unless the rule in `cancel.rs`
//! (`clean_cancelled`) says the segment is still alive.
//!
//! A woken thread reads its outcome from the waiter alone: a value for a receiver travels in
//! the waiter, never in the segment, so the segment may be reclaimed while the receiver sleeps.
//!
//! # Lost wake-ups
//!
//! The thread handle is written before the waiter is published (the Release that stores its
//! pointer in the cell) and never changes. A resumer first wins the CAS, then unparks; the
//! waiter re-reads its state before every park, and an `unpark` that comes before the `park`
//! leaves a token that makes the `park` return at once. That token may outlive the wait: a
//! thread woken by its state change (not by the token) can carry a stray token into a later
//! `thread::park()` of its own, which then returns early, as std allows for any `park`.

use crate::sync::{Arc, AtomicUsize, Mutex, Ordering, Thread, Timer, UnsafeCell};
use crate::wait::WakeStamp;
use crossbeam_epoch::Guard;
use std::mem::MaybeUninit;
use std::task::Waker;

/// A waiter's state word (the table above). Every outcome but `Waiting` is final.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub(crate) enum Outcome {
    Waiting = 0,
    Delivered = 1,
    Taken = 2,
    Buffered = 3,
    Cancelled = 4,
    Closed = 5,
}

impl Outcome {
    const ALL: [Outcome; 6] = [
        Outcome::Waiting,
        Outcome::Delivered,
        Outcome::Taken,
        Outcome::Buffered,
        Outcome::Cancelled,
        Outcome::Closed,
    ];

    #[inline]
    fn from_word(word: usize) -> Outcome {
        match Outcome::ALL.get(word) {
            Some(&outcome) => outcome,
            None => unreachable!("a waiter's state word {word} is no outcome"),
        }
    }
}

/// A parked sender or receiver (module docs).
pub(crate) struct Waiter<T> {
    /// The state word (table above): changed once, by CAS from `Waiting`.
    state: AtomicUsize,
    /// A receiver's value once `Delivered`; a sender's value until it is taken or comes back.
    /// Owned as the state says (module docs).
    value: UnsafeCell<MaybeUninit<T>>,
    /// How to wake the waiting party. The variant is chosen before the waiter is published
    /// and never changes.
    wake: Wake,
    /// When a parked thread was woken, for the waiting policy (`wait.rs`).
    woken: WakeStamp,
}

/// Who waits on a [`Waiter`].
enum Wake {
    /// A parked thread (blocking calls). Never changes.
    Thread(Thread),
    /// An async task: the waker of its latest poll. The lock is taken by the task when it
    /// registers a new waker and by the winner of `decide` when it wakes the task, never for
    /// anything else, and `Waker::wake` runs after it is released.
    Task(Mutex<Option<Waker>>),
}

impl<T> Waiter<T> {
    /// A waiter for `thread`, with an empty value slot (a sender fills it with
    /// [`put`](Self::put) before publishing the waiter).
    pub(super) fn new(thread: Thread) -> Arc<Self> {
        Self::with(Wake::Thread(thread))
    }

    /// A waiter for an async task whose current waker is `waker`.
    pub(super) fn for_task(waker: &Waker) -> Arc<Self> {
        Self::with(Wake::Task(Mutex::new(Some(waker.clone()))))
    }

    fn with(wake: Wake) -> Arc<Self> {
        Arc::new(Waiter {
            state: AtomicUsize::new(Outcome::Waiting as usize),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            wake,
            woken: WakeStamp::default(),
        })
    }

    /// The current state.
    #[inline]
    pub(super) fn state(&self) -> Outcome {
        // Acquire: pairs with the AcqRel CAS in `decide`; a receiver that reads `Delivered`
        // sees the value written before it.
        Outcome::from_word(self.state.load(Ordering::Acquire))
    }

    /// Moves the state from `Waiting` to `outcome`. Exactly one caller ever succeeds; on
    /// failure, returns the state that won.
    #[inline]
    pub(super) fn decide(&self, outcome: Outcome) -> Result<(), Outcome> {
        debug_assert_ne!(outcome, Outcome::Waiting);
        // AcqRel. Release: publishes a delivered value (written into the slot before this CAS)
        // to the waiter's Acquire in `state`. Acquire: a receiver or buffer end that wins a
        // sender's waiter reads the value the sender wrote before publishing the waiter (that
        // publication already synchronised through the cell; this keeps the chain explicit).
        // The failure load is Acquire so a loser reads the winner's outcome consistently.
        self.state
            .compare_exchange(
                Outcome::Waiting as usize,
                outcome as usize,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .map(|_| ())
            .map_err(Outcome::from_word)
    }

    /// Wakes the waiting party: unparks its thread, or wakes its task. Called by the winner of
    /// [`decide`](Self::decide), which still holds (through the cell) a reference that keeps
    /// the waiter alive.
    #[inline]
    pub(super) fn wake(&self) {
        match &self.wake {
            Wake::Thread(thread) => {
                self.woken.stamp();
                thread.unpark();
            }
            Wake::Task(slot) => {
                let waker = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
        }
    }

    /// What the thread that woke this waiter recorded for the waiting policy.
    pub(super) fn woken(&self) -> &WakeStamp {
        &self.woken
    }

    /// The waiting thread's name, for pictures (feature `trace`); `task` for an async task.
    #[cfg(feature = "trace")]
    pub(super) fn thread_name(&self) -> Option<String> {
        match &self.wake {
            Wake::Thread(thread) => thread.name().map(str::to_owned),
            Wake::Task(_) => Some("task".to_owned()),
        }
    }

    /// An async task polls its wait: the final state if it is decided, else `None` after
    /// `waker` has been registered (replacing the waker of an earlier poll).
    ///
    /// No wake is lost: the decider CASes the state, then takes the waker under the lock; we
    /// store the waker under the lock, then read the state again. Either the decider's lock
    /// comes after ours and takes the new waker, or ours comes after its CAS and we see the
    /// decided state.
    #[cfg_attr(not(feature = "async"), allow(dead_code))] // reached through `poll_ticket`
    pub(super) fn poll(&self, waker: &Waker) -> Option<Outcome> {
        let state = self.state();
        if state != Outcome::Waiting {
            return Some(state);
        }
        let Wake::Task(slot) = &self.wake else {
            unreachable!("a thread's waiter is not polled");
        };
        {
            let mut current = slot.lock().unwrap_or_else(|e| e.into_inner());
            match &*current {
                Some(old) if old.will_wake(waker) => {}
                _ => *current = Some(waker.clone()),
            }
        }
        match self.state() {
            Outcome::Waiting => None,
            decided => Some(decided),
        }
    }

    /// Writes a value into the slot: the value a receiver will get, or a parking sender's own.
    ///
    /// # Safety
    ///
    /// The slot is empty, and the caller is its only possible user now: the cell's sender
    /// delivering to a receiver's waiter (the receiver reads only after `Delivered`), or a
    /// sender filling its own waiter before publishing it.
    #[inline]
    pub(super) unsafe fn put(&self, value: T) {
        // SAFETY: the caller is the only thread that reads or writes the slot now.
        self.value.with_mut(|slot| unsafe { (*slot).write(value) });
    }

    /// Moves the value out.
    ///
    /// # Safety
    ///
    /// The slot holds a value and the caller owns it (module docs: it won the state, or it is
    /// the waiting party after `Delivered`, `Cancelled` or `Closed`, or a sender whose delivery
    /// CAS just failed and takes back what it wrote).
    #[inline]
    pub(super) unsafe fn take(&self) -> T {
        // SAFETY: the caller guarantees the slot is initialised and owned by it alone.
        self.value
            .with_mut(|slot| unsafe { (*slot).assume_init_read() })
    }

    /// Parks until the state leaves `Waiting`, or until `timer` expires; then, if still
    /// undecided, cancels. Returns the final state (never `Waiting`).
    ///
    /// A waiter that loses its cancel CAS to a resumer returns the resumer's outcome, even past
    /// its deadline: a value must not be lost.
    pub(super) fn wait(&self, timer: &mut Timer, may_withdraw: impl Fn() -> bool) -> Outcome {
        loop {
            let state = self.state();
            if state != Outcome::Waiting {
                return state;
            }
            if timer.expired() {
                if !may_withdraw() {
                    // The partner has claimed the cell and decides this waiter within a few
                    // steps: the wait is no longer the caller's to end (see the caller).
                    crate::sync::yield_now();
                    continue;
                }
                return match self.decide(Outcome::Cancelled) {
                    Ok(()) => Outcome::Cancelled,
                    Err(winner) => winner,
                };
            }
            timer.park();
        }
    }

    /// Gives up the cell's reference to `waiter` once no thread pinned now can still read it.
    ///
    /// # Safety
    ///
    /// The caller finalized the cell that held `waiter` (its CAS moved the cell from the
    /// waiter pointer to a terminal state), so the cell's reference is the caller's to give up,
    /// exactly once; and the waiter holds no value any more, or the waiting party still holds
    /// its own reference (so the deferred drop never drops a `T`).
    pub(super) unsafe fn release_deferred(waiter: *const Waiter<T>, guard: &Guard) {
        let raw = waiter as usize;
        // SAFETY: (1) the pointer came from `Arc::into_raw` when the waiter was stored in the
        // cell, and that reference is released exactly once, here. (2) The epoch runs the
        // closure only after every thread pinned now has unpinned, so a thread that read the
        // pointer from the cell cannot see the waiter freed under it. (3) The closure drops a
        // `Waiter<T>` whose value slot is `MaybeUninit`: no `T` is dropped, so running it after
        // `T`'s lifetime has ended is sound; the thread handle it drops is `'static`.
        unsafe {
            guard.defer_unchecked(move || drop(Arc::from_raw(raw as *const Waiter<T>)));
        }
    }
}

// SAFETY: a waiter moves a `T` from one thread to another (which needs `T: Send`) and never
// hands out `&T` (so `T: Sync` is not needed). Its value slot is accessed by one thread at a
// time, as the state word decides (module docs); every other field is atomic, immutable, or
// behind a lock.
unsafe impl<T: Send> Send for Waiter<T> {}
// SAFETY: as above: `&Waiter<T>` only lets threads move owned `T`s in and out under the state
// word's rules.
unsafe impl<T: Send> Sync for Waiter<T> {}

impl<T> std::fmt::Debug for Waiter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiter")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}
