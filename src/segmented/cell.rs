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
//! | `EMPTY` | nobody has decided anything | (new segment) | any state below |
//! | `IN_BUFFER` | bounded: the buffer end reached the cell before its sender; the sender will buffer | `EMPTY` → buffer end | `BUFFERED` (sender), `POISONED` (receiver), `CLOSED` |
//! | `BUFFERED` | the value is in the cell, and its sender has returned (or is returning) `Ok`; once the cell's index is below `R`, its receiver has taken it (the state is not rewritten) | `EMPTY`/`IN_BUFFER` → sender; `SPIN_SEND`/waiter → buffer end | `TAKEN` (receivers gone: a sweep takes the value and drops it) |
//! | `SPIN_SEND` | the value is in the cell; its sender spins, pinned, until it is taken | `EMPTY` → sender | `TAKEN` (receiver), `BUFFERED` (buffer end), `PARKING` or `CANCELLED_SEND` (sender), `CLOSED` |
//! | `PARKING` | transient: the sender moves its value from the cell into a [`Waiter`] | `SPIN_SEND` → sender | sender [`Waiter`] (sender) |
//! | receiver [`Waiter`] | a receiver parked here, waiting for its value | `EMPTY` → receiver | `TAKEN` (sender), `CANCELLED_RECV`, `CLOSED` |
//! | sender [`Waiter`] | a sender parked here; its value is in the waiter | `EMPTY`/`PARKING` → sender | `TAKEN` (receiver), `BUFFERED` (buffer end), `CANCELLED_SEND`, `CLOSED` |
//! | `TAKEN` | the value was handed over by a spinning or parked party, or dropped by a sweep after the receivers left | `BUFFERED` → sweep | terminal |
//! | `POISONED` | the receiver gave up on a sender that had claimed the cell but not written yet; the sender restarts | `EMPTY`/`IN_BUFFER` → receiver | terminal |
//! | `CANCELLED_RECV` | the receiver withdrew (timeout, `try_recv`); a sender that comes restarts | `EMPTY`/receiver waiter | terminal |
//! | `CANCELLED_SEND` | the sender withdrew (timeout, `try_send`), its value back; the receiver restarts | `EMPTY`/`SPIN_SEND`/sender waiter | terminal |
//! | `CLOSED` | a disconnection reached the cell; a spinning sender's value is still its own | `EMPTY`, `IN_BUFFER`, `SPIN_SEND`, waiters → sweep | terminal |
//!
//! Terminal states never change, and the two waiter states are left only by a CAS from the
//! exact waiter pointer, so no CAS can succeed against a recycled state.
//!
//! # Who may touch the value slot
//!
//! * The sender, from its claim until the CAS that publishes `BUFFERED` or `SPIN_SEND` (and
//!   again if that CAS fails: it moves its value back out).
//! * In `BUFFERED`, the receiver of the cell, or a sweep once every receiver is gone.
//! * In `SPIN_SEND`, whoever moves the state on: the receiver (`TAKEN`), the sender itself
//!   (`PARKING`, `CANCELLED_SEND`, or `CLOSED` set by a sweep: the sender takes it back).
//! * The buffer end that won a parked sender's waiter writes the waiter's value into the slot
//!   before it publishes `BUFFERED`.
//!
//! [`Waiter`]: super::waiter::Waiter

use super::waiter::Waiter;
use crate::sync::{AtomicUsize, Ordering, UnsafeCell};
use std::mem::MaybeUninit;

pub(super) const EMPTY: usize = 0;
pub(super) const IN_BUFFER: usize = 1;
pub(super) const BUFFERED: usize = 2;
pub(super) const SPIN_SEND: usize = 3;
pub(super) const PARKING: usize = 4;
pub(super) const TAKEN: usize = 5;
pub(super) const POISONED: usize = 6;
pub(super) const CANCELLED_RECV: usize = 7;
pub(super) const CANCELLED_SEND: usize = 8;
pub(super) const CLOSED: usize = 9;

/// The lowest state word that is a waiter pointer. A `Waiter` is at least 8-byte aligned (it
/// starts with an atomic word), and no allocation lives in the first page, so pointers are far
/// above the constants and their lowest bit is free for [`SENDER_TAG`].
const FIRST_POINTER: usize = 16;
/// Set on a waiter pointer when the waiter is a sender.
const SENDER_TAG: usize = 1;

/// A cell's state word, decoded.
pub(super) enum State<T> {
    /// One of the constants above.
    Plain(usize),
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
    pub(super) fn decode(word: usize) -> Self {
        if word < FIRST_POINTER {
            State::Plain(word)
        } else if word & SENDER_TAG == 0 {
            State::Receiver(word as *const Waiter<T>)
        } else {
            State::Sender((word & !SENDER_TAG) as *const Waiter<T>)
        }
    }

    /// The state word of a parked receiver.
    pub(super) fn receiver(waiter: *const Waiter<T>) -> usize {
        let word = waiter as usize;
        debug_assert!(word >= FIRST_POINTER && word & SENDER_TAG == 0);
        word
    }

    /// The state word of a parked sender.
    pub(super) fn sender(waiter: *const Waiter<T>) -> usize {
        let word = waiter as usize;
        debug_assert!(word >= FIRST_POINTER && word & SENDER_TAG == 0);
        word | SENDER_TAG
    }

    /// A short name, for pictures and `Debug`.
    pub(super) fn name(self) -> &'static str {
        match self {
            State::Plain(EMPTY) => "empty",
            State::Plain(IN_BUFFER) => "in buffer",
            State::Plain(BUFFERED) => "buffered",
            State::Plain(SPIN_SEND) => "sender spinning",
            State::Plain(PARKING) => "sender parking",
            State::Plain(TAKEN) => "taken",
            State::Plain(POISONED) => "poisoned",
            State::Plain(CANCELLED_RECV) => "receiver withdrew",
            State::Plain(CANCELLED_SEND) => "sender withdrew",
            State::Plain(CLOSED) => "closed",
            State::Plain(_) => "invalid",
            State::Receiver(_) => "receiver parked",
            State::Sender(_) => "sender parked",
        }
    }
}

/// One cell: a state word and a value slot (see the module docs for the rules).
pub(super) struct Cell<T> {
    /// The state word (table above).
    state: AtomicUsize,
    /// The value, when the state says there is one in the cell.
    value: UnsafeCell<MaybeUninit<T>>,
}

impl<T> Cell<T> {
    pub(super) fn new() -> Self {
        Cell {
            state: AtomicUsize::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The current state.
    #[inline]
    pub(super) fn load(&self) -> usize {
        // Acquire: pairs with the Release half of every CAS and store below, so a thread that
        // reads `BUFFERED`/`SPIN_SEND` sees the value written before it, and a thread that reads
        // a waiter pointer sees the waiter's fields.
        self.state.load(Ordering::Acquire)
    }

    /// Moves the state from `from` to `to`; on failure returns the state that was there.
    #[inline]
    pub(super) fn cas(&self, from: usize, to: usize) -> Result<(), usize> {
        // AcqRel: Release publishes what the winner wrote before (a value, a waiter) to the
        // Acquire loads in `load`; Acquire lets the winner read what the previous state's writer
        // published (a receiver that wins `SPIN_SEND -> TAKEN` reads the value). The failure
        // load is Acquire for the same reason as `load`.
        self.state
            .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
    }

    /// Sets the state when no other thread can race the change (the owner of a transient
    /// state, or a thread with exclusive access to a finished cell).
    #[inline]
    pub(super) fn store(&self, to: usize) {
        // Release: pairs with the Acquire loads in `load`, as the CASes do (a parked sender's
        // waiter, stored after `PARKING`, must be visible with its fields).
        self.state.store(to, Ordering::Release);
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
}
