//! Busy processes for the loaded placements: one child process per CPU that computes without
//! ever blocking, beside the run, as on a loaded server (see `placement.rs`).
//!
//! A busy process is this executable started with the internal option [`BUSY`] and a CPU: it
//! pins itself there, says it is ready on stdout, and computes until it is killed. The report
//! starts them before a loaded workload's first round and kills them, by PID, after its last
//! ([`BusyProcesses`] kills on drop, so also when a workload panics). Where the report dies
//! without unwinding (an abort, the watchdog's exit, a signal), the children notice themselves:
//! on Linux the kernel kills them when their parent dies (`PR_SET_PDEATHSIG`), and every busy
//! process also checks every few milliseconds that its parent is still the one that started it.
//! They are the same for every implementation: started once per workload, they run through
//! every round of every implementation.

use crate::placement::{Placement, Role};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The internal option that makes this executable a busy process: `--busy-process CPU PARENT`
/// (the CPU to pin to, and the process id of the report that started it).
pub(crate) const BUSY: &str = "--busy-process";

/// What a busy process prints once it runs where it should.
const READY: &str = "ready";

/// Busy processes that run until this value drops.
#[derive(Debug)]
#[must_use = "the busy processes are killed when this drops"]
pub(crate) struct BusyProcesses {
    children: Vec<Child>,
}

impl BusyProcesses {
    /// Starts one busy process on each of `cpus` (this executable with [`BUSY`]), and returns
    /// once every one of them is pinned and computing.
    pub(crate) fn start(cpus: &[usize]) -> Result<BusyProcesses, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
        let parent = std::process::id().to_string();
        let mut busy = BusyProcesses {
            children: Vec::new(),
        };
        for &cpu in cpus {
            let child = Command::new(&exe)
                .args([BUSY, &cpu.to_string(), &parent])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start a busy process: {e}"))?;
            // Pushed at once: if a later one fails, the drop kills those already started.
            busy.children.push(child);
        }
        for child in &mut busy.children {
            let mut line = String::new();
            let stdout = child.stdout.take().expect("piped");
            BufReader::new(stdout)
                .read_line(&mut line)
                .map_err(|e| format!("a busy process did not start: {e}"))?;
            if line.trim() != READY {
                return Err(format!(
                    "busy process {} did not start (it said {line:?})",
                    child.id()
                ));
            }
        }
        Ok(busy)
    }

    /// The process ids, in the order of the CPUs.
    #[cfg(test)]
    fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }
}

impl Drop for BusyProcesses {
    fn drop(&mut self) {
        for child in &mut self.children {
            // `kill` signals this child's PID (and does nothing if it has already been reaped);
            // `wait` reaps it, so no zombie outlives the workload.
            if let Err(e) = child.kill() {
                eprintln!("compare: cannot kill busy process {}: {e}", child.id());
            }
            let _ = child.wait();
        }
    }
}

/// In a busy process: pins to `cpu`, says it is ready, and computes until the process that
/// started it (`parent`) is gone. Never returns while that parent lives.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let [cpu, parent] = args else {
        return Err(format!("{BUSY} needs a CPU and a parent process id"));
    };
    let cpu: usize = cpu.parse().map_err(|_| format!("bad CPU {cpu:?}"))?;
    let parent: u32 = parent
        .parse()
        .map_err(|_| format!("bad process id {parent:?}"))?;
    die_with_parent();
    if !parent_is(parent) {
        return Ok(()); // the report died before we could ask to die with it
    }
    Placement::OneCore(cpu).pin(Role::Send);
    println!("{READY}");
    compute_while(|| parent_is(parent));
    Ok(())
}

/// Computes (never blocking, never yielding) until `alive()` turns false; asks it every few
/// milliseconds.
fn compute_while(mut alive: impl FnMut() -> bool) {
    let mut x: u64 = 1;
    while alive() {
        for _ in 0..1_000_000 {
            // An xorshift step: cheap arithmetic the compiler cannot remove.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        std::hint::black_box(x);
    }
}

/// Whether the process that started us is still our parent (once it dies, we are re-parented).
fn parent_is(parent: u32) -> bool {
    #[cfg(unix)]
    return std::os::unix::process::parent_id() == parent;
    #[cfg(not(unix))]
    {
        let _ = parent;
        true // no portable way to ask: the report's drop and exit paths kill us
    }
}

/// Asks the kernel to kill this process when its parent dies (Linux), so that a report that
/// aborts leaves no busy process behind, not even for the few milliseconds until
/// [`parent_is`] would notice.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and affects only this process.
        let rc = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
        if rc != 0 {
            eprintln!(
                "compare: busy process: PR_SET_PDEATHSIG failed: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Whether a process with this id exists (and is not a zombie we have not reaped).
    fn exists(pid: u32) -> bool {
        // SAFETY: signal 0 only checks that the process exists and may be signalled.
        unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
    }

    /// The computing loop stops as soon as its parent is gone.
    #[test]
    fn a_busy_loop_ends_with_its_parent() {
        let mut asked = 0;
        compute_while(|| {
            asked += 1;
            asked < 3
        });
        assert_eq!(asked, 3);
        assert!(parent_is(std::os::unix::process::parent_id()));
        assert!(!parent_is(u32::MAX));
    }

    /// Children held by the guard are killed and reaped when it drops. (The test binary
    /// cannot be a busy process itself, so the children here are `sleep`s.)
    #[test]
    fn dropping_the_guard_kills_the_children() {
        let children = (0..2)
            .map(|_| {
                Command::new("sleep")
                    .arg("60")
                    .spawn()
                    .expect("cannot start sleep")
            })
            .collect();
        let busy = BusyProcesses { children };
        let pids = busy.pids();
        assert!(pids.iter().all(|&pid| exists(pid)));
        let start = Instant::now();
        drop(busy);
        assert!(start.elapsed() < Duration::from_secs(10), "drop waited");
        for pid in pids {
            assert!(!exists(pid), "process {pid} survived the drop");
        }
    }

    /// The report's arguments are checked.
    #[test]
    fn bad_arguments_are_errors() {
        assert!(run(&[]).is_err());
        assert!(run(&["x".into(), "1".into()]).is_err());
        assert!(run(&["0".into(), "y".into()]).is_err());
    }
}
