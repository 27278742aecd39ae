//! The public methods that `DualQueue` and `DualStack` share, written once.
//!
//! Both structures offer the same operations with the same contracts; they differ in which end
//! serves (the queue's oldest, the stack's newest). [`dual_api!`] writes the public wrappers,
//! their docs and doctests (with that one difference filled in), `Default`, `Debug`, `Send` and
//! `Sync` for a structure that provides these private items:
//!
//! * `fn put(&self, value: T, patience: Patience) -> Result<(), (T, Failure)>`
//! * `fn take(&self, patience: Patience) -> Result<T, Failure>`
//! * `fn holds(&self, guard: &Guard) -> Option<Kind>`: the kind of a live node, read only
//! * `fn census(&self) -> Census`
//! * a field `support: Support` (spin policies and trace)
//!
//! The type's own docs, `new` and the drawing of its list (`picture`) stay in its file.

/// Writes the shared public API of a dual structure (module docs).
///
/// * `$ty`: the type; `$name`: `"queue"` or `"stack"`;
/// * `$next`: which waiting consumer is served first, `"oldest"` or `"newest"`;
/// * `$adds`: where `push` puts a value (`"at the back of the queue"`); `$from`: where `pop`
///   takes one (`"at the front"`);
/// * `$order`: how waiting consumers are served, one sentence for `pop`; `$producers`: how
///   waiting producers are served, one sentence for `transfer`;
/// * `$first_out`: what `pop` returns after `push(1)`, `push(2)`.
macro_rules! dual_api {
    (
        $ty:ident,
        name: $name:literal,
        next: $next:literal,
        adds: $adds:literal,
        from: $from:literal,
        order: $order:literal,
        producers: $producers:literal,
        first_out: $first_out:literal $(,)?
    ) => {
        impl<T> $ty<T> {
            #[doc = concat!("Adds `value` ", $adds, ", or hands it straight to the ", $next)]
            /// waiting consumer (waking only that thread). Never blocks.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = dualq::", stringify!($ty), "::new();")]
            /// x.push(1);
            /// x.push(2);
            #[doc = concat!("assert_eq!(x.pop(), ", $first_out, ");")]
            /// ```
            pub fn push(&self, value: T) {
                // `Async` never waits and a bare structure has no other side to lose: it cannot
                // fail.
                let result = self.put(value, $crate::patience::Patience::Async);
                debug_assert!(result.is_ok(), "an asynchronous push failed");
            }

            #[doc = concat!(
                "Removes the value ", $from, ", waiting for one if the ", $name, " is empty."
            )]
            ///
            /// A `pop` that finds no value links a reservation and waits on it: it spins for a
            /// moment, then parks (see [the crate docs](crate#memory-and-waiting) on the unpark
            /// token a handoff may leave behind).
            #[doc = $order]
            ///
            /// # Examples
            ///
            /// ```
            /// use std::sync::Arc;
            #[doc = concat!("let x = Arc::new(dualq::", stringify!($ty), "::new());")]
            /// let consumer = {
            ///     let x = Arc::clone(&x);
            #[doc = concat!(
                "    std::thread::spawn(move || x.pop()) // waits: the ", $name, " is empty"
            )]
            /// };
            /// x.push(10);
            /// assert_eq!(consumer.join().unwrap(), 10);
            /// ```
            pub fn pop(&self) -> T {
                match self.take($crate::patience::Patience::Wait($crate::sync::Timer::forever())) {
                    Ok(value) => value,
                    Err(failure) => unreachable!("an untimed pop failed: {failure:?}"),
                }
            }

            #[doc = concat!("Removes the value ", $from, " if there is one.")]
            ///
            /// Never waits, never leaves a reservation behind, and allocates nothing when it
            /// finds no value.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = dualq::", stringify!($ty), "::new();")]
            /// assert_eq!(x.try_pop(), None);
            /// x.push(3);
            /// assert_eq!(x.try_pop(), Some(3));
            /// ```
            pub fn try_pop(&self) -> Option<T> {
                self.take($crate::patience::Patience::Now).ok()
            }

            /// Like [`pop`](Self::pop), but gives up after `timeout`, withdrawing its
            /// reservation.
            ///
            /// A value is never lost: if a producer fulfils the reservation at the moment it
            /// times out, the value is returned even though the timeout has passed; otherwise
            #[doc = concat!("the value stays in the ", $name, " for the next consumer.")]
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("let x = dualq::", stringify!($ty), "::<u8>::new();")]
            /// assert_eq!(x.pop_timeout(Duration::from_millis(1)), None);
            /// assert!(!x.has_waiting_consumer()); // the reservation was withdrawn
            /// ```
            pub fn pop_timeout(&self, timeout: std::time::Duration) -> Option<T> {
                self.take($crate::patience::Patience::timeout(timeout)).ok()
            }

            /// Like [`pop_timeout`](Self::pop_timeout), with a deadline instead of a duration.
            /// A deadline already passed never waits (it acts like
            /// [`try_pop`](Self::try_pop)).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::{Duration, Instant};
            #[doc = concat!("let x = dualq::", stringify!($ty), "::new();")]
            /// x.push(5);
            /// assert_eq!(x.pop_deadline(Instant::now() + Duration::from_secs(1)), Some(5));
            /// assert_eq!(x.pop_deadline(Instant::now()), None);
            /// ```
            pub fn pop_deadline(&self, deadline: std::time::Instant) -> Option<T> {
                self.take($crate::patience::Patience::until(Some(deadline))).ok()
            }

            /// Hands `value` to a consumer and waits until one has taken it (a synchronous
            /// handoff).
            ///
            #[doc = concat!(
                "If consumers wait, the ", $next, " receives `value` at once and `transfer`"
            )]
            /// returns. Otherwise `value` is added like a [`push`](Self::push), and the
            /// producer waits until a consumer takes it.
            #[doc = $producers]
            ///
            /// # Examples
            ///
            /// ```
            /// use std::sync::Arc;
            #[doc = concat!("let x = Arc::new(dualq::", stringify!($ty), "::new());")]
            /// let producer = {
            ///     let x = Arc::clone(&x);
            ///     std::thread::spawn(move || x.transfer(42)) // returns once 42 was taken
            /// };
            /// assert_eq!(x.pop(), 42);
            /// producer.join().unwrap();
            /// ```
            pub fn transfer(&self, value: T) {
                let patience =
                    $crate::patience::Patience::Wait($crate::sync::Timer::forever());
                if let Err((_, failure)) = self.put(value, patience) {
                    unreachable!("an untimed transfer failed: {failure:?}");
                }
            }

            /// Hands `value` to a consumer that is already waiting, or gives it back. Never
            #[doc = concat!("adds it to the ", $name, ".")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = dualq::", stringify!($ty), "::new();")]
            /// assert_eq!(x.try_transfer(1), Err(1)); // nobody waits
            /// assert!(x.is_empty());
            /// ```
            pub fn try_transfer(&self, value: T) -> Result<(), T> {
                self.put(value, $crate::patience::Patience::Now)
                    .map_err(|(value, _)| value)
            }

            /// Like [`transfer`](Self::transfer), but gives up after `timeout`: the value is
            /// withdrawn and returned, and it is never also delivered.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("let x = dualq::", stringify!($ty), "::new();")]
            /// assert_eq!(x.transfer_timeout("x", Duration::from_millis(1)), Err("x"));
            /// assert!(x.is_empty()); // withdrawn
            /// ```
            pub fn transfer_timeout(
                &self,
                value: T,
                timeout: std::time::Duration,
            ) -> Result<(), T> {
                self.put(value, $crate::patience::Patience::timeout(timeout))
                    .map_err(|(value, _)| value)
            }

            /// Like [`transfer_timeout`](Self::transfer_timeout), with a deadline. A deadline
            /// already passed never waits (it acts like [`try_transfer`](Self::try_transfer)).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Instant;
            #[doc = concat!("let x = dualq::", stringify!($ty), "::new();")]
            /// assert_eq!(x.transfer_deadline(9, Instant::now()), Err(9));
            /// ```
            pub fn transfer_deadline(
                &self,
                value: T,
                deadline: std::time::Instant,
            ) -> Result<(), T> {
                self.put(value, $crate::patience::Patience::until(Some(deadline)))
                    .map_err(|(value, _)| value)
            }

            #[doc = concat!(
                "Whether the ", $name, " holds no data right now (reservations may be waiting)."
            )]
            ///
            /// A snapshot: other threads may change it before the caller acts on it. It only
            /// reads: it never changes the structure.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = dualq::", stringify!($ty), "::new();")]
            /// assert!(x.is_empty());
            /// x.push(1);
            /// assert!(!x.is_empty());
            /// ```
            pub fn is_empty(&self) -> bool {
                self.holds(&crossbeam_epoch::pin()) != Some($crate::node::Kind::Data)
            }

            /// Whether a consumer is waiting right now (a reservation is linked).
            ///
            /// A snapshot: other threads may change it before the caller acts on it. It only
            /// reads: it never changes the structure.
            pub fn has_waiting_consumer(&self) -> bool {
                self.holds(&crossbeam_epoch::pin()) == Some($crate::node::Kind::Request)
            }

            #[doc = concat!(
                "How many values the ", $name, " holds right now (including values whose"
            )]
            /// producers wait in [`transfer`](Self::transfer)).
            ///
            #[doc = concat!(
                "A snapshot that walks the whole ", $name, ": O(n), and other threads may"
            )]
            /// change the count while it is taken. Meant for monitoring and tests, not for
            /// synchronisation.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = dualq::", stringify!($ty), "::new();")]
            /// x.push(1);
            /// x.push(2);
            /// assert_eq!(x.len(), 2);
            /// ```
            pub fn len(&self) -> usize {
                self.census().values
            }

            /// How many consumers are waiting right now (reservations linked).
            ///
            /// A snapshot, O(n), like [`len`](Self::len).
            pub fn waiting_consumers(&self) -> usize {
                self.census().consumers
            }

            /// How many producers are waiting in [`transfer`](Self::transfer) right now.
            ///
            /// A snapshot, O(n), like [`len`](Self::len).
            pub fn waiting_producers(&self) -> usize {
                self.census().producers
            }

            #[doc = concat!(
                "The ", $name, "'s event log (feature `trace`): every step every operation took."
            )]
            #[cfg(feature = "trace")]
            pub fn trace(&self) -> &$crate::trace::Trace {
                self.support.trace()
            }
        }

        impl<T> Default for $ty<T> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<T> std::fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // `holds` only reads (module docs of `node.rs`, `first_live`).
                let holds = $crate::node::holds_name(self.holds(&crossbeam_epoch::pin()));
                f.debug_struct(stringify!($ty))
                    .field("holds", &holds)
                    .finish_non_exhaustive()
            }
        }

        // SAFETY: values of type `T` move between threads through the structure (a push on one
        // thread, a pop on another), which needs `T: Send`; it never hands out `&T`, so
        // `T: Sync` is not needed. Every shared field is an atomic, and each value cell is
        // accessed by one thread at a time as the slot protocol (`slot.rs`) decides.
        unsafe impl<T: Send> Send for $ty<T> {}
        // SAFETY: as above: a shared reference only lets threads move owned `T`s in and out.
        unsafe impl<T: Send> Sync for $ty<T> {}
    };
}
pub(crate) use dual_api;
