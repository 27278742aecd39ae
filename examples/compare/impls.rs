//! One small adapter per implementation under test, so every workload is written once.
//!
//! Shared by the comparison report (`examples/compare.rs`) and the criterion benches
//! (`benches/channels.rs`, which includes this file with `#[path]`).
//!
//! Each adapter makes a channel of one of two flavors and says how to send, receive and close.
//! Messages are `usize`. For the raw `DualQueue` / `DualStack`, which have no disconnection,
//! closing sends one [`SENTINEL`] per receiver after every real message has been taken.

use dualq::{DualQueue, DualStack};
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
}

/// The value that tells a raw-structure receiver to stop; workloads never send it.
pub(crate) const SENTINEL: usize = usize::MAX;

/// An implementation under test.
///
/// `new` makes one channel; `senders`/`receivers` turn the first handle into `n` handles (one
/// per thread); `close` is called once, with the original sending handle, after every producer
/// thread has finished and dropped its handles, and must make every receiver's `recv` return
/// `None` once the messages are drained.
pub(crate) trait Imp: 'static {
    /// The name in tables, plots and bench ids.
    const NAME: &'static str;
    /// Sending handle.
    type Tx: Send + 'static;
    /// Receiving handle.
    type Rx: Send + 'static;
    /// Makes a channel.
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx);
    /// `n` sending handles for `n` threads (the original stays with the caller for `close`).
    fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx>;
    /// `n` receiving handles for `n` threads.
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx>;
    /// Sends `v`, waiting if the flavor says so. Panics on a disconnected channel.
    fn send(tx: &Self::Tx, v: usize);
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

/// `dualq::channel::{unbounded, rendezvous}`.
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
        }
    }
    fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx> {
        clones(tx, n)
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        into_clones(rx, n)
    }
    #[inline]
    fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).expect("dualq: receivers gone");
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
    fn close(tx: Self::Tx, _: usize) {
        drop(tx);
    }
}

/// `std::sync::mpsc`: `channel()` / `sync_channel(0)`. Its receiver is single-consumer, so
/// with more than one receiver thread it is shared behind an `Arc<Mutex<Receiver>>`.
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
        match flavor {
            Flavor::Unbounded => {
                let (tx, rx) = mpsc::channel();
                (StdTx::Async(tx), StdRx::Owned(rx))
            }
            Flavor::Rendezvous => {
                let (tx, rx) = mpsc::sync_channel(0);
                (StdTx::Sync(tx), StdRx::Owned(rx))
            }
        }
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
    fn send(tx: &Self::Tx, v: usize) {
        match tx {
            StdTx::Async(tx) => tx.send(v),
            StdTx::Sync(tx) => tx.send(v),
        }
        .expect("std: receiver gone");
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

/// `crossbeam-channel`: `unbounded()` / `bounded(0)`. The baseline of every ratio.
#[derive(Debug)]
pub(crate) struct Crossbeam;

impl Imp for Crossbeam {
    const NAME: &'static str = "crossbeam-channel";
    type Tx = crossbeam_channel::Sender<usize>;
    type Rx = crossbeam_channel::Receiver<usize>;
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        match flavor {
            Flavor::Unbounded => crossbeam_channel::unbounded(),
            Flavor::Rendezvous => crossbeam_channel::bounded(0),
        }
    }
    fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx> {
        clones(tx, n)
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        into_clones(rx, n)
    }
    #[inline]
    fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).expect("crossbeam: receivers gone");
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
    fn close(tx: Self::Tx, _: usize) {
        drop(tx);
    }
}

/// `flume`: `unbounded()` / `bounded(0)` (default features).
#[derive(Debug)]
pub(crate) struct Flume;

impl Imp for Flume {
    const NAME: &'static str = "flume";
    type Tx = flume::Sender<usize>;
    type Rx = flume::Receiver<usize>;
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        match flavor {
            Flavor::Unbounded => flume::unbounded(),
            Flavor::Rendezvous => flume::bounded(0),
        }
    }
    fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx> {
        clones(tx, n)
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        into_clones(rx, n)
    }
    #[inline]
    fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).expect("flume: receivers gone");
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
    fn close(tx: Self::Tx, _: usize) {
        drop(tx);
    }
}

/// `kanal`: `unbounded()` / `bounded(0)` (default features).
#[derive(Debug)]
pub(crate) struct Kanal;

impl Imp for Kanal {
    const NAME: &'static str = "kanal";
    type Tx = kanal::Sender<usize>;
    type Rx = kanal::Receiver<usize>;
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        match flavor {
            Flavor::Unbounded => kanal::unbounded(),
            Flavor::Rendezvous => kanal::bounded(0),
        }
    }
    fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx> {
        clones(tx, n)
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        into_clones(rx, n)
    }
    #[inline]
    fn send(tx: &Self::Tx, v: usize) {
        tx.send(v).expect("kanal: receivers gone");
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Option<usize> {
        rx.recv().ok()
    }
    fn close(tx: Self::Tx, _: usize) {
        drop(tx);
    }
}

/// The operations a raw dual structure offers; lets one adapter serve both.
pub(crate) trait Raw: Send + Sync + Default + 'static {
    /// Whether values leave newest first (a stack).
    const LIFO: bool;
    fn push(&self, v: usize);
    fn transfer(&self, v: usize);
    fn pop(&self) -> usize;
    fn is_empty(&self) -> bool;
}

impl Raw for DualQueue<usize> {
    const LIFO: bool = false;
    #[inline]
    fn push(&self, v: usize) {
        DualQueue::push(self, v);
    }
    #[inline]
    fn transfer(&self, v: usize) {
        DualQueue::transfer(self, v);
    }
    #[inline]
    fn pop(&self) -> usize {
        DualQueue::pop(self)
    }
    fn is_empty(&self) -> bool {
        DualQueue::is_empty(self)
    }
}

impl Raw for DualStack<usize> {
    const LIFO: bool = true;
    #[inline]
    fn push(&self, v: usize) {
        DualStack::push(self, v);
    }
    #[inline]
    fn transfer(&self, v: usize) {
        DualStack::transfer(self, v);
    }
    #[inline]
    fn pop(&self) -> usize {
        DualStack::pop(self)
    }
    fn is_empty(&self) -> bool {
        DualStack::is_empty(self)
    }
}

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

fn raw_new<S: Raw>(flavor: Flavor) -> (RawTx<S>, Arc<S>) {
    let structure = Arc::new(S::default());
    (
        RawTx {
            structure: Arc::clone(&structure),
            flavor,
        },
        structure,
    )
}

#[inline]
fn raw_send<S: Raw>(tx: &RawTx<S>, v: usize) {
    match tx.flavor {
        Flavor::Unbounded => tx.structure.push(v),
        Flavor::Rendezvous => tx.structure.transfer(v),
    }
}

#[inline]
fn raw_recv<S: Raw>(rx: &Arc<S>) -> Option<usize> {
    match rx.pop() {
        SENTINEL => None,
        v => Some(v),
    }
}

fn raw_close<S: Raw>(tx: RawTx<S>, receivers: usize) {
    // Every producer has returned, so no value will be added; send one sentinel per receiver,
    // each receiver stops at its first. A queue hands them out after every value. A stack would
    // hand them out first, so there wait until the receivers have taken every value (this
    // polling can add some tens of µs to a DualStack run).
    while S::LIFO && !tx.structure.is_empty() {
        thread::sleep(Duration::from_micros(20));
    }
    for _ in 0..receivers {
        raw_send(&tx, SENTINEL);
    }
}

/// The raw `dualq::DualQueue` (FIFO): `push`/`pop` as "unbounded", `transfer`/`pop` as
/// "rendezvous".
#[derive(Debug)]
pub(crate) struct RawQueue;

impl Imp for RawQueue {
    const NAME: &'static str = "DualQueue";
    type Tx = RawTx<DualQueue<usize>>;
    type Rx = Arc<DualQueue<usize>>;
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        raw_new(flavor)
    }
    fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx> {
        clones(tx, n)
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        into_clones(rx, n)
    }
    #[inline]
    fn send(tx: &Self::Tx, v: usize) {
        raw_send(tx, v);
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Option<usize> {
        raw_recv(rx)
    }
    fn close(tx: Self::Tx, receivers: usize) {
        raw_close(tx, receivers);
    }
}

/// The raw `dualq::DualStack` (LIFO): `push`/`pop` as "unbounded", `transfer`/`pop` as
/// "rendezvous". Unfair by design (the newest waiter is served first).
#[derive(Debug)]
pub(crate) struct RawStack;

impl Imp for RawStack {
    const NAME: &'static str = "DualStack";
    type Tx = RawTx<DualStack<usize>>;
    type Rx = Arc<DualStack<usize>>;
    fn new(flavor: Flavor) -> (Self::Tx, Self::Rx) {
        raw_new(flavor)
    }
    fn senders(tx: &Self::Tx, n: usize) -> Vec<Self::Tx> {
        clones(tx, n)
    }
    fn receivers(rx: Self::Rx, n: usize) -> Vec<Self::Rx> {
        into_clones(rx, n)
    }
    #[inline]
    fn send(tx: &Self::Tx, v: usize) {
        raw_send(tx, v);
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Option<usize> {
        raw_recv(rx)
    }
    fn close(tx: Self::Tx, receivers: usize) {
        raw_close(tx, receivers);
    }
}
