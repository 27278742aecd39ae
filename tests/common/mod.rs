//! Helpers shared by the integration tests of the structures: the test kit's adapter and drop
//! ledger (re-exported), thread CPU time, polling, a watchdog for hangs, and a small PRNG.
//!
//! Each test binary compiles this module on its own and uses only part of it.
// `pub` here means "for the test files", which `unreachable_pub` (set for the crate) cannot see.
#![allow(dead_code, unreachable_pub)]

pub mod scenarios;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

// ------------------------------------------------------------------------------------------------
// The adapter over both structures and the drop ledger live in the test kit, shared with the
// loom models.

pub use dualq_testkit::{service_order, Census, Dual, Ledger, Tracked};

/// Compile-time check: the argument type is `Send + Sync`.
pub fn assert_send_sync<T: Send + Sync>() {}

/// Compile-time check that a type is *not* `Send`: `<X as NotSend<_>>::check()` compiles only
/// if exactly one impl applies, that is if `X: Send` does not hold (else the `_` is ambiguous).
pub trait NotSend<A> {
    fn check() {}
}
impl<X: ?Sized> NotSend<()> for X {}
pub struct IsSend;
impl<X: ?Sized + Send> NotSend<IsSend> for X {}

/// As [`NotSend`], for `Sync`.
pub trait NotSync<A> {
    fn check() {}
}
impl<X: ?Sized> NotSync<()> for X {}
pub struct IsSync;
impl<X: ?Sized + Sync> NotSync<IsSync> for X {}

/// Asserts that a structure holds nothing and nobody waits on it.
#[track_caller]
pub fn assert_quiescent<T, Q: Census<T>>(q: &Q, what: &str) {
    assert!(q.is_empty(), "{}: {what}: is_empty() is false", Q::NAME);
    assert_eq!(q.len(), 0, "{}: {what}: len()", Q::NAME);
    assert!(
        !q.has_waiting_consumer(),
        "{}: {what}: has_waiting_consumer() is true",
        Q::NAME
    );
    assert_eq!(
        q.waiting_consumers(),
        0,
        "{}: {what}: waiting_consumers()",
        Q::NAME
    );
    assert_eq!(
        q.waiting_producers(),
        0,
        "{}: {what}: waiting_producers()",
        Q::NAME
    );
}

// ------------------------------------------------------------------------------------------------
// Time and waiting.

/// `DUALQ_LONG=1` asks for the long versions of the stress tests.
pub fn long() -> bool {
    std::env::var("DUALQ_LONG").is_ok_and(|v| v == "1")
}

/// `short` normally, `long` under `DUALQ_LONG=1`.
pub fn scale(short: usize, long: usize) -> usize {
    if self::long() {
        long
    } else {
        short
    }
}

/// CPU time consumed so far by the calling thread.
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is always supported
    // on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Sets the calling thread's timer slack to 1 ns, so that very short timed parks (tens of µs)
/// are not stretched to the default 50 µs slack. Only makes timeout-heavy loops faster.
pub fn tighten_timer_slack() {
    // SAFETY: prctl(PR_SET_TIMERSLACK) takes an integer argument and affects only this thread.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
}

/// Polls `cond` every 200 µs until it holds; panics with `what` after `limit`.
#[track_caller]
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting until {what}"
        );
        thread::sleep(Duration::from_micros(200));
    }
}

/// The usual limit for [`wait_until`]: generous, the machine is shared.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Aborts the whole test process if the test makes no progress for `limit`: a test whose
/// threads hang in `pop`/`transfer` (or livelock) would otherwise never end. A test that never
/// calls [`Watchdog::tick`] must finish within `limit`; one that ticks must tick at least once
/// per `limit`. Disarmed when dropped.
pub struct Watchdog {
    disarm: Option<mpsc::Sender<()>>,
    progress: std::sync::Arc<AtomicUsize>,
}

pub fn watchdog(name: &'static str, limit: Duration) -> Watchdog {
    record_panics();
    let (tx, rx) = mpsc::channel::<()>();
    let progress = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&progress);
    thread::spawn(move || {
        let mut last = 0;
        while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
            let now = seen.load(Ordering::Relaxed);
            if now == last {
                // Straight to stderr: `eprintln!` output of a test's threads is captured, and a
                // capture is lost when the process aborts.
                let mut stderr = std::io::stderr().lock();
                let _ = writeln!(
                    stderr,
                    "watchdog: test `{name}` made no progress for {limit:?} (at tick {now}): \
                     a thread hangs or livelocks; aborting"
                );
                // A failed assertion often leaves other threads blocked (so the test hangs);
                // its message would be lost with the capture.
                for panic in PANICS.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                    let _ = writeln!(stderr, "watchdog: a thread panicked earlier: {panic}");
                }
                std::process::abort();
            }
            last = now;
        }
    });
    Watchdog {
        disarm: Some(tx),
        progress,
    }
}

/// Every panic message so far, for the watchdog to print before it aborts.
static PANICS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Installs (once) a panic hook that records each panic in [`PANICS`], then runs the default
/// hook.
fn record_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(mut panics) = PANICS.lock() {
                panics.push(info.to_string());
            }
            previous(info);
        }));
    });
}

impl Watchdog {
    /// Records progress (for long loops).
    pub fn tick(&self) {
        self.progress.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Dropping the sender disconnects the channel and ends the watchdog thread.
        self.disarm.take();
    }
}

/// A barrier for two or more threads that spins (then yields) instead of sleeping, so the
/// threads leave it within a fraction of a microsecond of each other: races start aligned.
///
/// If a party panics, the others would wait for it forever; [`SpinBarrier::break_on_panic`]
/// breaks the barrier instead, and every `wait` then returns `false`.
pub struct SpinBarrier {
    parties: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    broken: std::sync::atomic::AtomicBool,
}

/// Breaks its barrier if dropped while its thread panics.
pub struct BreakOnPanic<'a>(&'a SpinBarrier);

impl Drop for BreakOnPanic<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.broken.store(true, Ordering::SeqCst);
        }
    }
}

impl SpinBarrier {
    pub fn new(parties: usize) -> Self {
        SpinBarrier {
            parties,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            broken: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A guard that breaks the barrier if the calling thread panics while holding it.
    pub fn break_on_panic(&self) -> BreakOnPanic<'_> {
        BreakOnPanic(self)
    }

    /// Waits for all parties; `false` if the barrier is broken (a party panicked).
    #[must_use]
    pub fn wait(&self) -> bool {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            // Reset before releasing: the others arrive again only after seeing the new
            // generation, which this Release store orders after the reset.
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
        } else {
            // Spin, then yield, then sleep: on an oversubscribed machine a spinning waiter
            // would keep the thread it waits for off the CPU.
            let mut spins = 0u32;
            while self.generation.load(Ordering::Acquire) == generation {
                if self.broken.load(Ordering::Relaxed) {
                    return false;
                }
                if spins < 2_000 {
                    std::hint::spin_loop();
                } else if spins < 2_100 {
                    thread::yield_now();
                } else {
                    thread::sleep(Duration::from_micros(20));
                }
                spins = spins.saturating_add(1);
            }
        }
        !self.broken.load(Ordering::Relaxed)
    }
}

/// Busy-waits for `d` (nanosecond resolution, unlike a sleep).
pub fn spin_for(d: Duration) {
    let until = Instant::now() + d;
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// Serialises the tests of one binary that need both cores to themselves (tight races between
/// two spinning threads): taken for the duration of such a test.
pub fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // A test that failed while holding the lock must not fail the others.
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ------------------------------------------------------------------------------------------------
// A small PRNG (xorshift64*), so the tests need no extra dependency.

#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // Mix the seed so that small seeds give unrelated streams; never zero.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0), near enough for tests.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Picks an index with the given weights (not all zero).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let mut x = self.below(weights.iter().map(|&w| u64::from(w)).sum());
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        unreachable!("x is below the sum of the weights")
    }

    /// Busy-waits for a random number of spin hints below `max`: shifts the relative timing of
    /// two racing threads.
    pub fn jitter(&mut self, max: u64) {
        for _ in 0..self.below(max) {
            std::hint::spin_loop();
        }
    }
}
