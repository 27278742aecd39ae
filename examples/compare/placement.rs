//! Where the threads of a run may execute: unpinned, pinned across two cores, or all on one;
//! and whether busy processes share the CPUs with them.
//!
//! A handoff costs something different in each regime: with sender and receiver really in
//! parallel, a waiter that spins sees the value within a cache-line transfer; with both on one
//! core, a waiter that spins only burns the time slice its partner needs, and yielding or
//! parking is what lets the handoff happen. A machine whose two vCPUs are sometimes parallel and
//! sometimes time-shared moves between these regimes from run to run, so the report pins the
//! threads to make each regime explicit (`sched_setaffinity`, Linux only).
//!
//! Every thread of a workload pins itself by its [`Role`] before the start barrier, so the
//! pinning is outside the measured window; the thread that drives the workload pins itself
//! for the run's duration ([`Placement::pin_scoped`]) and gets its old affinity back after.
//!
//! A channel in production rarely has its CPUs to itself, so two placements repeat the
//! unpinned and two-core ones with **one busy process on each CPU the run uses**
//! ([`Placement::busy_cpus`], started by `busy.rs`): the threads of the run then share every
//! CPU with a process that never blocks, as on a loaded server.

use std::fmt;

/// Which side of the channel a thread works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Sends (producers, the ping-pong driver, the thread that drives and closes a run).
    Send,
    /// Receives (consumers, the ping-pong echo thread).
    Recv,
}

/// Where the threads of a run execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Affinity left alone: the scheduler places every thread.
    Unpinned,
    /// Senders on CPU `send`, receivers on CPU `recv`: every handoff crosses cores, and the
    /// threads of one side share their core.
    TwoCores {
        /// The CPU of every sending thread.
        send: usize,
        /// The CPU of every receiving thread.
        recv: usize,
    },
    /// Every thread on this one CPU: every handoff needs a context switch.
    OneCore(usize),
    /// As [`Unpinned`](Self::Unpinned), with a busy process on every CPU this process may run
    /// on.
    UnpinnedLoaded,
    /// As [`TwoCores`](Self::TwoCores), with a busy process on each of the two CPUs.
    TwoCoresLoaded {
        /// The CPU of every sending thread.
        send: usize,
        /// The CPU of every receiving thread.
        recv: usize,
    },
}

/// The names `--placements` accepts, in report order.
pub(crate) const PLACEMENT_KEYS: [&str; 5] = [
    "unpinned",
    "two-cores",
    "one-core",
    "unpinned-loaded",
    "two-cores-loaded",
];

/// What the loaded placements do to a workload's message count: a handoff that must wait for
/// a busy process's time slice costs milliseconds, so a run keeps the unloaded count only
/// where it would take hours.
pub(crate) const LOADED_SCALE: f64 = 0.1;

impl Placement {
    /// The placement named `key` (one of [`PLACEMENT_KEYS`]), pinned to `cpus` (the first one
    /// or two are used).
    pub(crate) fn from_key(key: &str, cpus: &[usize]) -> Result<Placement, String> {
        match (key, cpus) {
            ("unpinned", _) => Ok(Placement::Unpinned),
            ("two-cores", [send, recv, ..]) => Ok(Placement::TwoCores {
                send: *send,
                recv: *recv,
            }),
            ("two-cores", _) => Err("two-cores needs two CPUs (see --cpus)".into()),
            ("one-core", [cpu, ..]) => Ok(Placement::OneCore(*cpu)),
            ("one-core", []) => Err("one-core needs a CPU (see --cpus)".into()),
            ("unpinned-loaded", _) => Ok(Placement::UnpinnedLoaded),
            ("two-cores-loaded", [send, recv, ..]) => Ok(Placement::TwoCoresLoaded {
                send: *send,
                recv: *recv,
            }),
            ("two-cores-loaded", _) => Err("two-cores-loaded needs two CPUs (see --cpus)".into()),
            (other, _) => Err(format!(
                "unknown placement {other:?}; known: {}",
                PLACEMENT_KEYS.join(", ")
            )),
        }
    }

    /// The short name (as `--placements` takes it).
    pub(crate) fn key(self) -> &'static str {
        match self {
            Placement::Unpinned => PLACEMENT_KEYS[0],
            Placement::TwoCores { .. } => PLACEMENT_KEYS[1],
            Placement::OneCore(_) => PLACEMENT_KEYS[2],
            Placement::UnpinnedLoaded => PLACEMENT_KEYS[3],
            Placement::TwoCoresLoaded { .. } => PLACEMENT_KEYS[4],
        }
    }

    /// The CPU a thread of `role` runs on, or `None` when unpinned.
    pub(crate) fn cpu(self, role: Role) -> Option<usize> {
        match (self, role) {
            (Placement::Unpinned | Placement::UnpinnedLoaded, _) => None,
            (
                Placement::TwoCores { send, .. } | Placement::TwoCoresLoaded { send, .. },
                Role::Send,
            ) => Some(send),
            (
                Placement::TwoCores { recv, .. } | Placement::TwoCoresLoaded { recv, .. },
                Role::Recv,
            ) => Some(recv),
            (Placement::OneCore(cpu), _) => Some(cpu),
        }
    }

    /// Whether busy processes share the CPUs with the run.
    pub(crate) fn is_loaded(self) -> bool {
        matches!(
            self,
            Placement::UnpinnedLoaded | Placement::TwoCoresLoaded { .. }
        )
    }

    /// The CPUs that get a busy process each for a run in this placement (none unless
    /// loaded): every CPU the caller may run on, or the two CPUs of the run.
    pub(crate) fn busy_cpus(self) -> std::io::Result<Vec<usize>> {
        match self {
            Placement::UnpinnedLoaded => allowed_cpus(),
            Placement::TwoCoresLoaded { send, recv } if send == recv => Ok(vec![send]),
            Placement::TwoCoresLoaded { send, recv } => Ok(vec![send, recv]),
            Placement::Unpinned | Placement::TwoCores { .. } | Placement::OneCore(_) => {
                Ok(Vec::new())
            }
        }
    }

    /// Pins the calling thread for `role` for the rest of its life (a workload's own threads).
    /// Panics if the kernel refuses: a run that is not where it says must not report numbers.
    pub(crate) fn pin(self, role: Role) {
        if let Some(cpu) = self.cpu(role) {
            if let Err(e) = affinity::set(&[cpu]) {
                panic!("cannot pin a thread to cpu {cpu}: {e}");
            }
        }
    }

    /// Pins the calling thread for `role` until the guard drops, then restores its affinity
    /// (the caller's thread, which outlives the run).
    pub(crate) fn pin_scoped(self, role: Role) -> PinGuard {
        let Some(cpu) = self.cpu(role) else {
            return PinGuard { restore: None };
        };
        let old = affinity::get().unwrap_or_else(|e| panic!("cannot read the affinity: {e}"));
        if let Err(e) = affinity::set(&[cpu]) {
            panic!("cannot pin the driving thread to cpu {cpu}: {e}");
        }
        PinGuard { restore: Some(old) }
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placement::Unpinned => write!(f, "unpinned"),
            Placement::TwoCores { send, recv } => {
                write!(f, "two cores (senders cpu {send}, receivers cpu {recv})")
            }
            Placement::OneCore(cpu) => write!(f, "one core (cpu {cpu})"),
            Placement::UnpinnedLoaded => write!(f, "unpinned, a busy process on every CPU"),
            Placement::TwoCoresLoaded { send, recv } => write!(
                f,
                "two cores (senders cpu {send}, receivers cpu {recv}), a busy process on each"
            ),
        }
    }
}

/// Restores the affinity a thread had before [`Placement::pin_scoped`].
#[derive(Debug)]
#[must_use = "the thread is unpinned again when the guard drops"]
pub(crate) struct PinGuard {
    restore: Option<Vec<usize>>,
}

impl Drop for PinGuard {
    fn drop(&mut self) {
        if let Some(cpus) = &self.restore {
            if let Err(e) = affinity::set(cpus) {
                // Not a panic in a destructor: the next pinned run sets its own affinity, and
                // an unpinned run would be pinned by mistake, so say so loudly.
                eprintln!("compare: cannot restore the thread's affinity: {e}");
            }
        }
    }
}

/// The CPUs the calling thread may run on (ascending), or an error where affinity is not
/// supported.
pub(crate) fn allowed_cpus() -> std::io::Result<Vec<usize>> {
    affinity::get()
}

/// Checks that the kernel lets this thread run on `cpus` one at a time, and restores the
/// thread's affinity; the error names the CPU it refused.
pub(crate) fn check_cpus(cpus: &[usize]) -> Result<(), String> {
    let old = affinity::get().map_err(|e| format!("cannot read the affinity: {e}"))?;
    let tried = cpus
        .iter()
        .try_for_each(|&cpu| affinity::set(&[cpu]).map_err(|e| format!("cpu {cpu}: {e}")));
    affinity::set(&old).map_err(|e| format!("cannot restore the affinity: {e}"))?;
    tried
}

#[cfg(target_os = "linux")]
mod affinity {
    use std::io;
    use std::mem::size_of;

    fn empty() -> libc::cpu_set_t {
        // SAFETY: `cpu_set_t` is a plain bit array; all zeroes is the empty set.
        unsafe { std::mem::zeroed() }
    }

    /// Restricts the calling thread to `cpus`.
    pub(super) fn set(cpus: &[usize]) -> io::Result<()> {
        let mut set = empty();
        for &cpu in cpus {
            if cpu >= libc::CPU_SETSIZE as usize {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("cpu {cpu} is beyond CPU_SETSIZE"),
                ));
            }
            // SAFETY: `cpu` is below CPU_SETSIZE (checked above), so the bit is inside `set`.
            unsafe { libc::CPU_SET(cpu, &mut set) };
        }
        // SAFETY: pid 0 is the calling thread; `set` is a valid `cpu_set_t` of the size passed.
        let rc = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// The CPUs the calling thread may run on.
    pub(super) fn get() -> io::Result<Vec<usize>> {
        let mut set = empty();
        // SAFETY: pid 0 is the calling thread; the kernel writes at most `size` bytes of `set`.
        let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((0..libc::CPU_SETSIZE as usize)
            // SAFETY: every index is below CPU_SETSIZE, inside `set`.
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .collect())
    }
}

#[cfg(not(target_os = "linux"))]
mod affinity {
    use std::io;

    fn unsupported() -> io::Error {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "thread affinity is only supported on Linux",
        )
    }

    pub(super) fn set(_: &[usize]) -> io::Result<()> {
        Err(unsupported())
    }

    pub(super) fn get() -> io::Result<Vec<usize>> {
        Err(unsupported())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn current_cpu() -> usize {
        // SAFETY: sched_getcpu has no preconditions.
        let cpu = unsafe { libc::sched_getcpu() };
        usize::try_from(cpu).expect("sched_getcpu failed")
    }

    /// A pinned thread runs where it was pinned, for each role of a two-core placement.
    #[test]
    fn pinned_threads_run_on_their_cpu() {
        let cpus = allowed_cpus().expect("affinity");
        let (send, recv) = (cpus[0], *cpus.get(1).unwrap_or(&cpus[0]));
        let placement = Placement::TwoCores { send, recv };
        for (role, want) in [(Role::Send, send), (Role::Recv, recv)] {
            let got = std::thread::spawn(move || {
                placement.pin(role);
                // Sleep, so the scheduler gets the chance to move a thread that was not pinned.
                std::thread::sleep(std::time::Duration::from_millis(2));
                (current_cpu(), allowed_cpus().expect("affinity"))
            })
            .join()
            .expect("pinned thread panicked");
            assert_eq!(got, (want, vec![want]), "{role:?}");
        }
    }

    /// The scoped pin gives the thread its old affinity back.
    #[test]
    fn scoped_pin_restores_the_affinity() {
        std::thread::spawn(|| {
            let before = allowed_cpus().expect("affinity");
            let cpu = *before.last().expect("some cpu");
            {
                let _pinned = Placement::OneCore(cpu).pin_scoped(Role::Send);
                assert_eq!(allowed_cpus().expect("affinity"), [cpu]);
                assert_eq!(current_cpu(), cpu);
            }
            assert_eq!(allowed_cpus().expect("affinity"), before);
        })
        .join()
        .expect("thread panicked");
    }

    #[test]
    fn loaded_placements_run_where_their_unloaded_twins_do() {
        let two = Placement::TwoCoresLoaded { send: 0, recv: 1 };
        for role in [Role::Send, Role::Recv] {
            assert_eq!(
                two.cpu(role),
                Placement::TwoCores { send: 0, recv: 1 }.cpu(role)
            );
            assert_eq!(Placement::UnpinnedLoaded.cpu(role), None);
        }
        assert_eq!(two.busy_cpus().expect("cpus"), [0, 1]);
        assert_eq!(
            Placement::UnpinnedLoaded.busy_cpus().expect("cpus"),
            allowed_cpus().expect("affinity")
        );
        assert!(Placement::OneCore(0).busy_cpus().expect("cpus").is_empty());
        assert!(two.is_loaded() && !Placement::Unpinned.is_loaded());
    }

    #[test]
    fn keys_round_trip() {
        for key in PLACEMENT_KEYS {
            assert_eq!(
                Placement::from_key(key, &[0, 1]).map(Placement::key),
                Ok(key)
            );
        }
        assert!(Placement::from_key("two-cores", &[0]).is_err());
        assert!(Placement::from_key("two-cores-loaded", &[0]).is_err());
        assert!(Placement::from_key("three-cores", &[0, 1]).is_err());
    }
}
