//! One small adapter per implementation under test, so every workload is written once.
//!
//! Shared by the comparison report (`examples/compare.rs`) and the criterion benches
//! (`benches/channels.rs`, which includes this file with `#[path]`).
//!
//! Each adapter makes a channel of a [`Flavor`] and says how to send, receive and close.
//! Messages are `usize`. For the raw structures (`DualQueue`, `SegmentedDualQueue`,
//! `DualStack`), which have no disconnection, closing sends one [`SENTINEL`] per receiver after
//! every real message has been taken.
//!
//! Adding an implementation is one adapter here plus one line in `all_impls` (compare.rs) and
//! in `for_each_impl!` (benches/channels.rs); a raw dual structure with the crate's method
//! family is one `raw!` line and one type alias.

use dualq::{DualQueue, DualStack, SegmentedDualQueue};
use std::fmt;
use std::marker::PhantomData;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Capacity of the channel under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `send` never blocks (std `channel()`, crossbeam/flume/kanal `unbounded()`, dualq
    /// `unbounded()`, raw `push`).
    Unbounded,
    /// Zero capacity: `send` waits for a receiver (std `sync_channel(0)`, crossbeam/flume/kanal
    /// `bounded(0)`, dualq `rendezvous()`, raw `transfer`).
    Rendezvous,
    /// Room for this many values (at least 1); `send` waits while the channel is full (std
    /// `sync_channel(n)`, crossbeam/flume/kanal `bounded(n)`). The raw structures have no
    /// bounded form.
    Bounded(usize),
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Flavor::Unbounded => write!(f, "unbounded"),
            Flavor::Rendezvous => write!(f, "rendezvous"),
            Flavor::Bounded(cap) => write!(f, "bounded({cap})"),
        }
    }
}

/// The value that tells a raw-structure receiver to stop; workloads never send it.
pub(crate) const SENTINEL: usize = usize::MAX;

/// A send failed because every receiver is gone; the value is dropped (it is a `usize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Disconnected;

/// An implementation under test.
///
/// `new` makes one channel; `senders`/`receivers` turn the first handle into `n` handles (one
/// per thread); `close` is called once, with the original sending handle, after every producer
/// thread has finished and dropped its handles, and must make every receiver's `recv` return
/// `None` once the messages are drained.
///
/// A workload runs an implementation only on flavors it [`supports`](Imp::supports); one that
/// needs senders to notice a dropped receiver runs only where [`DISCONNECTS`](Imp::DISCONNECTS).
pub(crate) trait Imp: 'static {
    /// The name in tables, plots and bench ids.
    const NAME: &'static str;
    /// Whether dropping the last receiver makes `send` fail (false for the raw structures).
    const DISCONNECTS: bool = true;
    /// Sending handle.
    type Tx: Send + 'static;
    /// Receiving handle.
    type Rx: Send + 'static;
    /// Whether `new` can make this flavor.
    fn supports(flavor: Flavor) -> bool {
        let _ = flavor;
        true
    }
    /// Makes a channel. Panics on a flavor it does not [`supports`](Imp::supports).
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx);
    /// `n` sending handles for `n` threads (the original stays with the caller for `close`).
    fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx>;
    /// `n` receiving handles for `n` threads.
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx>;
    /// Sends `v`, waiting if the flavor says so; `Err` once every receiver is gone.
    fn send(tx: &Self::Tx, v: usize) -> Result<(), Disconnected>;
    /// Receives a value, waiting for one; `None` once the channel is closed and drained.
    fn recv(rx: &Self::Rx) -> Option<usize>;
    /// Closes the channel for `receivers` receivers (see the trait docs).
    fn close(tx: Self::Tx, receivers: usize);
}

fn clones<T: Clone>(x: &T, n: usize) -> Vec<T> {
    (0..n).map(|_| x.clone()).collect()
}

fn into_clones<T: Clone>(x: T, n: usize) -> Vec<T> {
    let mut v = clones(&x, n.saturating_sub(1));
    v.push(x);
    v
}

/// The adapter of a peer whose channel API has crossbeam-channel's shape: cloneable `Sender`
/// and `Receiver`, `unbounded()`, `bounded(n)` (`bounded(0)` is a rendezvous), `send(v) ->
/// Result`, `recv() -> Result`.
macro_rules! peer {
    ($(#[$doc:meta])* $imp:ident, $name:literal, $krate:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub(crate) struct $imp;

        impl Imp for $imp {
            const NAME: &'static str = $name;
            type Tx = $krate::Sender<usize>;
            type Rx = $krate::Receiver<usize>;
            fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
                match flavor {
                    Flavor::Unbounded => $krate::unbounded(),
                    Flavor::Rendezvous => $krate::bounded(0),
                    Flavor::Bounded(cap) => $krate::bounded(cap),
                }
            }
            fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx> {
                clones(tx, n)
            }
            fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
                into_clones(rx, n)
            }
            #[inline]
            fn send(tx: &Self::Tx, v: usize) -> Result<(), Disconnected> {
                tx.send(v).map_err(|_| Disconnected)
            }
            #[inline]
            fn recv(rx: &Self::Rx) -> Option<usize> {
                rx.recv().ok()
            }
            fn close(tx: Self::Tx, _: usize) {
                drop(tx);
            }
        }
    };
}

peer!(
    /// `crossbeam-channel`: `unbounded()`, `bounded(0)`, `bounded(n)`. The baseline of every
    /// ratio.
    Crossbeam,
    "crossbeam-channel",
    crossbeam_channel
);
peer!(
    /// `flume`: `unbounded()`, `bounded(0)`, `bounded(n)` (default features).
    Flume,
    "flume",
    flume
);
peer!(
    /// `kanal`: `unbounded()`, `bounded(0)`, `bounded(n)` (default features).
    Kanal,
    "kanal",
    kanal
);

/// `dualq::channel::{unbounded, rendezvous, bounded}`.
#[derive(Debug)]
pub(crate) struct Dualq;

impl Imp for Dualq {
    const NAME: &'static str = "dualq";
    type Tx = dualq::channel::Sender<usize>;
    type Rx = dualq::channel::Receiver<usize>;
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        match flavor {
            Flavor::Unbounded => dualq::channel::unbounded(),
            Flavor::Rendezvous => dualq::channel::rendezvous(),
            Flavor::Bounded(cap) => dualq::channel::bounded(cap),
        }
    }
    fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx> {
        clones(tx, n)
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        into_clones(rx, n)
    }
    #[inline]
    fn send(tx: &Self::Tx, v: usize) -> Result<(), Disconnected> {
        tx.send(v).map_err(|_| Disconnected)
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
    fn close(tx: Self::Tx, _: usize) {
        drop(tx);
    }
}

/// `std::sync::mpsc`: `channel()`, `sync_channel(0)`, `sync_channel(n)`. Its receiver is
/// single-consumer, so with more than one receiver thread it is shared behind an
/// `Arc<Mutex<Receiver>>`.
#[derive(Debug)]
pub(crate) struct Std;

/// Either kind of std sender.
#[derive(Clone, Debug)]
pub(crate) enum StdTx {
    Async(mpsc::Sender<usize>),
    Sync(mpsc::SyncSender<usize>),
}

/// A std receiver, owned by its only consumer or shared by several.
#[derive(Debug)]
pub(crate) enum StdRx {
    Owned(mpsc::Receiver<usize>),
    Shared(Arc<Mutex<mpsc::Receiver<usize>>>),
}

impl Imp for Std {
    const NAME: &'static str = "std mpsc";
    type Tx = StdTx;
    type Rx = StdRx;
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        let (tx, rx) = match flavor {
            Flavor::Unbounded => {
                let (tx, rx) = mpsc::channel();
                (StdTx::Async(tx), rx)
            }
            Flavor::Rendezvous => {
                let (tx, rx) = mpsc::sync_channel(0);
                (StdTx::Sync(tx), rx)
            }
            Flavor::Bounded(cap) => {
                let (tx, rx) = mpsc::sync_channel(cap);
                (StdTx::Sync(tx), rx)
            }
        };
        (tx, StdRx::Owned(rx))
    }
    fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx> {
        clones(tx, n)
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        match rx {
            StdRx::Owned(rx) if n == 1 => vec![StdRx::Owned(rx)],
            StdRx::Owned(rx) => {
                let shared = Arc::new(Mutex::new(rx));
                (0..n).map(|_| StdRx::Shared(Arc::clone(&shared))).collect()
            }
            StdRx::Shared(shared) => (0..n).map(|_| StdRx::Shared(Arc::clone(&shared))).collect(),
        }
    }
    #[inline]
    fn send(tx: &Self::Tx, v: usize) -> Result<(), Disconnected> {
        match tx {
            StdTx::Async(tx) => tx.send(v).map_err(|_| Disconnected),
            StdTx::Sync(tx) => tx.send(v).map_err(|_| Disconnected),
        }
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Option<usize> {
        match rx {
            StdRx::Owned(rx) => rx.recv().ok(),
            StdRx::Shared(rx) => rx.lock().expect("poisoned").recv().ok(),
        }
    }
    fn close(tx: Self::Tx, _: usize) {
        drop(tx);
    }
}

/// The operations a raw dual structure offers; lets one adapter serve them all.
pub(crate) trait Raw: Send + Sync + Default + 'static {
    /// The name in tables, plots and bench ids.
    const NAME: &'static str;
    /// Whether values leave newest first (a stack).
    const LIFO: bool;
    fn push(&self, v: usize);
    fn transfer(&self, v: usize);
    fn pop(&self) -> usize;
    fn is_empty(&self) -> bool;
}

/// Implements [`Raw`] for a dual structure with the crate's method family (`push`, `transfer`,
/// `pop`, `is_empty`).
macro_rules! raw {
    ($ty:ident, lifo: $lifo:literal) => {
        impl Raw for $ty<usize> {
            const NAME: &'static str = stringify!($ty);
            const LIFO: bool = $lifo;
            #[inline]
            fn push(&self, v: usize) {
                $ty::push(self, v);
            }
            #[inline]
            fn transfer(&self, v: usize) {
                $ty::transfer(self, v);
            }
            #[inline]
            fn pop(&self) -> usize {
                $ty::pop(self)
            }
            fn is_empty(&self) -> bool {
                $ty::is_empty(self)
            }
        }
    };
}

raw!(DualQueue, lifo: false);
raw!(DualStack, lifo: true);
raw!(SegmentedDualQueue, lifo: false);

/// A raw structure's sending handle: the structure and whether `send` is `push` or `transfer`.
#[derive(Debug)]
pub(crate) struct RawTx<S> {
    structure: Arc<S>,
    flavor: Flavor,
}

impl<S> Clone for RawTx<S> {
    fn clone(&self) -> Self {
        RawTx {
            structure: Arc::clone(&self.structure),
            flavor: self.flavor,
        }
    }
}

#[inline]
fn raw_send<S: Raw>(tx: &RawTx<S>, v: usize) {
    match tx.flavor {
        Flavor::Unbounded => tx.structure.push(v),
        Flavor::Rendezvous => tx.structure.transfer(v),
        Flavor::Bounded(_) => unreachable!("a raw structure is never made bounded"),
    }
}

/// A raw dual structure used directly: `push`/`pop` as "unbounded", `transfer`/`pop` as
/// "rendezvous"; no bounded flavor, no disconnection.
#[derive(Debug)]
pub(crate) struct RawImp<S>(PhantomData<S>);

impl<S: Raw> Imp for RawImp<S> {
    const NAME: &'static str = S::NAME;
    const DISCONNECTS: bool = false;
    type Tx = RawTx<S>;
    type Rx = Arc<S>;
    fn supports(flavor: Flavor) -> bool {
        !matches!(flavor, Flavor::Bounded(_))
    }
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        assert!(Self::supports(flavor), "{}: no {flavor} form", S::NAME);
        let structure = Arc::new(S::default());
        (
            RawTx {
                structure: Arc::clone(&structure),
                flavor,
            },
            structure,
        )
    }
    fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx> {
        clones(tx, n)
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        into_clones(rx, n)
    }
    #[inline]
    fn send(tx: &Self::Tx, v: usize) -> Result<(), Disconnected> {
        raw_send(tx, v);
        Ok(())
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Option<usize> {
        match rx.pop() {
            SENTINEL => None,
            v => Some(v),
        }
    }
    fn close(tx: Self::Tx, receivers: usize) {
        // Every producer has returned, so no value will be added; send one sentinel per
        // receiver, each receiver stops at its first. A queue hands them out after every value.
        // A stack would hand them out first, so there wait until the receivers have taken every
        // value (this polling can add some tens of µs to a DualStack run).
        while S::LIFO && !tx.structure.is_empty() {
            thread::sleep(Duration::from_micros(20));
        }
        for _ in 0..receivers {
            raw_send(&tx, SENTINEL);
        }
    }
}

/// The raw `dualq::DualQueue` (FIFO).
pub(crate) type RawQueue = RawImp<DualQueue<usize>>;

/// The raw `dualq::DualStack` (LIFO). Unfair by design (the newest waiter is served first).
pub(crate) type RawStack = RawImp<DualStack<usize>>;

/// The raw `dualq::SegmentedDualQueue` (FIFO).
pub(crate) type RawSegmented = RawImp<SegmentedDualQueue<usize>>;
