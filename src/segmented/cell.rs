//! A cell of the segmented dual queue: one state word and one value slot.
//!
//! Cell `i` belongs to exactly one sender (the one whose fetch-and-add on `S` returned `i`) and
//! one receiver (the same on `R`); in a bounded channel, the buffer-end procedure with index
//! `i` may visit it too, and a disconnection sweep may close it. They meet here by
//! compare-and-swap on [`Cell::state`].
//!
//! # States
//!
//! | state | meaning | entered from → by | leaves to |
//! | --- | --- | --- | --- |
//! | `Empty` | nobody has decided anything | (new segment) | any state below |
//! | `InBuffer` | bounded: the buffer end reached the cell before its sender; the sender will buffer | `Empty` → buffer end | `Buffered` (sender), `Poisoned` (receiver), `Closed` |
//! | `Buffered` | the value is in the cell, and its sender has returned (or is returning) `Ok`; once the cell's index is below `R`, its receiver has taken it (the state is not rewritten) | `Empty`/`InBuffer` → sender; `SpinSend`/waiter → buffer end | `Taken` (receivers gone: a sweep takes the value and drops it) |
//! | `SpinSend` | the value is in the cell; its sender spins, pinned, until it is taken | `Empty` → sender | `Taken` (receiver), `Buffered` (buffer end), `Parking` or `CancelledSend` (sender), `Closed` |
//! | `Parking` | transient: the sender moves its value from the cell into a [`Waiter`] | `SpinSend` → sender | sender [`Waiter`] (sender) |
//! | receiver [`Waiter`] | a receiver parked here, waiting for its value | `Empty` → receiver | `Taken` (sender), `CancelledRecv`, `Closed` |
//! | sender [`Waiter`] | a sender parked here; its value is in the waiter | `Empty`/`Parking` → sender | `Taken` (receiver), `Buffered` (buffer end), `CancelledSend`, `Closed` |
//! | `Taken` | the value was handed over by a spinning or parked party, or dropped by a sweep after the receivers left | `Buffered` → sweep | terminal |
//! | `Poisoned` | a receive that may not wait (`try_pop`) gave up on a sender that had claimed the cell but not written yet; the sender restarts | `Empty`/`InBuffer` → receiver | terminal |
//! | `CancelledRecv` | the receiver withdrew (timeout, `try_recv`); a sender that comes restarts | `Empty`/receiver waiter | terminal |
//! | `CancelledSend` | the sender withdrew (timeout, `try_send`), its value back; the receiver restarts | `Empty`/`SpinSend`/sender waiter | terminal |
//! | `Closed` | a disconnection reached the cell; a spinning sender's value is still its own | `Empty`, `InBuffer`, `SpinSend`, waiters → sweep | terminal |
//!
//! Terminal states never change, and the two waiter states are left only by a CAS from the
//! exact waiter pointer, so no CAS can succeed against a recycled state.
//!
//! # Who may touch the value slot
//!
//! * The sender, from its claim until the CAS that publishes `Buffered` or `SpinSend` (and
//!   again if that CAS fails: it moves its value back out).
//! * In `Buffered`, the receiver of the cell, or a sweep once every receiver is gone.
//! * In `SpinSend`, whoever moves the state on: the receiver (`Taken`), the sender itself
//!   (`Parking`, `CancelledSend`, or `Closed` set by a sweep: the sender takes it back).
//! * The buffer end that won a parked sender's waiter writes the waiter's value into the slot
//!   before it publishes `Buffered`.
//!
//! [`Waiter`]: super::waiter::Waiter

use super::waiter::Waiter;
use crate::sync::{AtomicUsize, Ordering, UnsafeCell};
use std::mem::MaybeUninit;

/// The states of a cell that are not a waiter (the table above). Stored in the state word as
/// their discriminant; a waiter pointer is always above them (see [`Word`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub(super) enum Phase {
    Empty = 0,
    InBuffer = 1,
    Buffered = 2,
    SpinSend = 3,
    Parking = 4,
    Taken = 5,
    Poisoned = 6,
    CancelledRecv = 7,
    CancelledSend = 8,
    Closed = 9,
}

impl Phase {
    const ALL: [Phase; 10] = [
        Phase::Empty,
        Phase::InBuffer,
        Phase::Buffered,
        Phase::SpinSend,
        Phase::Parking,
        Phase::Taken,
        Phase::Poisoned,
        Phase::CancelledRecv,
        Phase::CancelledSend,
        Phase::Closed,
    ];

    /// A short name, for pictures and `Debug`.
    pub(super) fn name(self) -> &'static str {
        match self {
            Phase::Empty => "empty",
            Phase::InBuffer => "in buffer",
            Phase::Buffered => "buffered",
            Phase::SpinSend => "sender spinning",
            Phase::Parking => "sender parking",
            Phase::Taken => "taken",
            Phase::Poisoned => "poisoned",
            Phase::CancelledRecv => "receiver withdrew",
            Phase::CancelledSend => "sender withdrew",
            Phase::Closed => "closed",
        }
    }
}

/// A cell's state word as it is stored: a [`Phase`], or a waiter pointer (tagged for a sender).
/// A type of its own, so that a cell's word cannot be mixed up with a waiter's
/// [`Outcome`](super::waiter::Outcome) or a counter.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Word(usize);

/// The lowest state word that is a waiter pointer. A `Waiter` is at least 8-byte aligned (it
/// starts with an atomic word), and no allocation lives in the first page, so pointers are far
/// above the phases and their lowest bit is free for [`SENDER_TAG`].
const FIRST_POINTER: usize = 16;
/// Set on a waiter pointer when the waiter is a sender.
const SENDER_TAG: usize = 1;

impl From<Phase> for Word {
    #[inline]
    fn from(phase: Phase) -> Word {
        Word(phase as usize)
    }
}

impl PartialEq<Phase> for Word {
    #[inline]
    fn eq(&self, phase: &Phase) -> bool {
        self.0 == *phase as usize
    }
}

impl Word {
    /// The state word of a parked receiver.
    pub(super) fn receiver<T>(waiter: *const Waiter<T>) -> Word {
        let word = waiter as usize;
        debug_assert!(word >= FIRST_POINTER && word & SENDER_TAG == 0);
        Word(word)
    }

    /// The state word of a parked sender.
    pub(super) fn sender<T>(waiter: *const Waiter<T>) -> Word {
        let word = waiter as usize;
        debug_assert!(word >= FIRST_POINTER && word & SENDER_TAG == 0);
        Word(word | SENDER_TAG)
    }

    /// What the word says.
    #[inline]
    pub(super) fn decode<T>(self) -> State<T> {
        if self.0 < FIRST_POINTER {
            match Phase::ALL.get(self.0) {
                Some(&phase) => State::Phase(phase),
                None => unreachable!("a cell's state word {} is no phase", self.0),
            }
        } else if self.0 & SENDER_TAG == 0 {
            State::Receiver(self.0 as *const Waiter<T>)
        } else {
            State::Sender((self.0 & !SENDER_TAG) as *const Waiter<T>)
        }
    }
}

impl std::fmt::Debug for Word {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.decode::<()>().name())
    }
}

/// A cell's state word, decoded.
pub(super) enum State<T> {
    /// No waiter: one of the phases of the table.
    Phase(Phase),
    /// A parked receiver.
    Receiver(*const Waiter<T>),
    /// A parked sender (its value is in the waiter).
    Sender(*const Waiter<T>),
}

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for State<T> {}

impl<T> State<T> {
    /// A short name, for pictures and `Debug`.
    pub(super) fn name(self) -> &'static str {
        match self {
            State::Phase(phase) => phase.name(),
            State::Receiver(_) => "receiver parked",
            State::Sender(_) => "sender parked",
        }
    }
}

/// One cell: a state word and a value slot (see the module docs for the rules).
pub(super) struct Cell<T> {
    /// The state word (table above): a [`Word`].
    state: AtomicUsize,
    /// The value, when the state says there is one in the cell.
    value: UnsafeCell<MaybeUninit<T>>,
}

impl<T> Cell<T> {
    pub(super) fn new() -> Self {
        Cell {
            state: AtomicUsize::new(Phase::Empty as usize),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The current state.
    #[inline]
    pub(super) fn load(&self) -> Word {
        // Acquire: pairs with the Release half of every CAS and store below, so a thread that
        // reads `Buffered`/`SpinSend` sees the value written before it, and a thread that reads
        // a waiter pointer sees the waiter's fields.
        Word(self.state.load(Ordering::Acquire))
    }

    /// Moves the state from `from` to `to`; on failure returns the state that was there.
    #[inline]
    pub(super) fn cas(&self, from: impl Into<Word>, to: impl Into<Word>) -> Result<(), Word> {
        // AcqRel: Release publishes what the winner wrote before (a value, a waiter) to the
        // Acquire loads in `load`; Acquire lets the winner read what the previous state's writer
        // published (a receiver that wins `SpinSend -> TAKEN` reads the value). The failure
        // load is Acquire for the same reason as `load`.
        self.state
            .compare_exchange(
                from.into().0,
                to.into().0,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .map(|_| ())
            .map_err(Word)
    }

    /// Sets the state when no other thread can race the change (the owner of a transient
    /// state, or a thread with exclusive access to a finished cell).
    #[inline]
    pub(super) fn store(&self, to: Word) {
        // Release: pairs with the Acquire loads in `load`, as the CASes do (a parked sender's
        // waiter, stored after `Parking`, must be visible with its fields).
        self.state.store(to.0, Ordering::Release);
    }

    /// Writes a value into the slot.
    ///
    /// # Safety
    ///
    /// The caller owns the slot now (module docs), and the slot holds no value.
    #[inline]
    pub(super) unsafe fn write(&self, value: T) {
        // SAFETY: the caller owns the slot, so no other thread reads or writes it now.
        self.value.with_mut(|slot| unsafe { (*slot).write(value) });
    }

    /// Moves the value out of the slot.
    ///
    /// # Safety
    ///
    /// The slot holds a value, and the caller owns it now (module docs); nobody reads it again.
    #[inline]
    pub(super) unsafe fn read(&self) -> T {
        // SAFETY: the caller guarantees the slot is initialised and that it alone owns it.
        self.value
            .with_mut(|slot| unsafe { (*slot).assume_init_read() })
    }

    /// Writes `value` into the slot and publishes it by moving the state from `from` to `to`;
    /// if the CAS fails, nobody saw the value, and it comes back with the state that was there.
    ///
    /// # Safety
    ///
    /// As for [`write`](Self::write): the caller owns the empty slot until its CAS publishes it.
    #[inline]
    pub(super) unsafe fn offer(
        &self,
        value: T,
        from: impl Into<Word>,
        to: impl Into<Word>,
    ) -> Result<(), (T, Word)> {
        // SAFETY: the caller owns the empty slot.
        unsafe { self.write(value) };
        // The Release half of the CAS publishes the value with the state.
        self.cas(from, to).map_err(|now| {
            // SAFETY: the CAS failed, so no other thread saw the value: it is ours again.
            (unsafe { self.read() }, now)
        })
    }
}
