//! What a run costs the process: CPU time and context switches, from `getrusage(RUSAGE_SELF)`.
//!
//! `RUSAGE_SELF` sums every thread of the process, including threads that have exited (Linux
//! folds an exiting thread's counts into the process's before `join` can observe the exit;
//! the test below checks that), so a delta taken around a workload counts every thread the
//! workload spawned. The caller takes the first reading once every worker thread exists and
//! waits at the start barrier, and the second after joining them: thread creation is outside
//! the window; what is inside besides the workload is the start barrier and the joins, at most
//! about two context switches per thread per run.
//!
//! The second reading must come after the joins, not merely after the work: the kernel adds a
//! running thread's CPU time to the process's total only when the thread is descheduled or at
//! a timer tick, so a thread still spinning on another core at the reading is missing up to a
//! tick (several milliseconds) of CPU.
//!
//! Linux counts a switch as *voluntary* when the thread blocks (sleeps on a futex, parks,
//! sleeps) and as *involuntary* otherwise: preempted at the end of its time slice, or giving the
//! core away with `sched_yield` while still runnable. So a channel whose waiters yield shows
//! involuntary switches, one whose waiters park shows voluntary ones.

use std::time::Duration;

/// Resources used by the process so far (or, as a difference, over a window).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    /// User + system CPU time of all threads.
    pub(crate) cpu: Duration,
    /// Context switches where a thread blocked.
    pub(crate) voluntary: u64,
    /// Context switches where a runnable thread was preempted or yielded.
    pub(crate) involuntary: u64,
}

impl Usage {
    /// What was used between `earlier` and `self` (saturating: counters never go back, but a
    /// CPU clock rounded differently might).
    pub(crate) fn since(self, earlier: Usage) -> Usage {
        Usage {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            voluntary: self.voluntary.saturating_sub(earlier.voluntary),
            involuntary: self.involuntary.saturating_sub(earlier.involuntary),
        }
    }
}

/// What this process has used so far, or `None` where `getrusage` is not available.
#[cfg(unix)]
pub(crate) fn process_usage() -> Option<Usage> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid, writable `rusage`; `getrusage` only writes into it.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: it was zero-initialised (a valid `rusage`) and `getrusage` succeeded.
    let usage = unsafe { usage.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Some(Usage {
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        voluntary: usage.ru_nvcsw as u64,
        involuntary: usage.ru_nivcsw as u64,
    })
}

/// What this process has used so far, or `None` where `getrusage` is not available.
#[cfg(not(unix))]
pub(crate) fn process_usage() -> Option<Usage> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The CPU time the calling thread has used.
    fn thread_cpu() -> Duration {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `t` is a valid, writable timespec; the clock id is a constant the kernel knows.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
        assert_eq!(rc, 0, "clock_gettime");
        Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
    }

    /// A thread that blocked n times, spun for a while and has exited still shows in the
    /// process's counts: the report's window ends after the joins and relies on it.
    #[test]
    fn exited_threads_are_counted() {
        const SLEEPS: u64 = 20;
        const SPIN: Duration = Duration::from_millis(20);
        let before = process_usage().expect("getrusage");
        std::thread::spawn(|| {
            for _ in 0..SLEEPS {
                // Every sleep blocks the thread: one voluntary switch each.
                std::thread::sleep(Duration::from_millis(1));
            }
            while thread_cpu() < SPIN {
                std::hint::spin_loop();
            }
        })
        .join()
        .expect("worker panicked");
        let used = process_usage().expect("getrusage").since(before);
        assert!(
            used.voluntary >= SLEEPS,
            "{} voluntary switches after {SLEEPS} sleeps on an exited thread",
            used.voluntary
        );
        assert!(
            used.cpu >= SPIN,
            "{:?} of CPU counted for an exited thread that used {SPIN:?}",
            used.cpu
        );
    }
}
