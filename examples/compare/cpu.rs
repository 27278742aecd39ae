//! Process CPU time (user + system, all threads) from `getrusage(RUSAGE_SELF)`.

use std::time::Duration;

/// CPU time this process has used so far, or `None` where `getrusage` is not available.
#[cfg(unix)]
pub(crate) fn process_cpu() -> Option<Duration> {
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
    Some(tv(usage.ru_utime) + tv(usage.ru_stime))
}

/// CPU time this process has used so far, or `None` where `getrusage` is not available.
#[cfg(not(unix))]
pub(crate) fn process_cpu() -> Option<Duration> {
    None
}
