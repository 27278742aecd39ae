//! What the report says about where and when it ran: the machine, the date, the code.
//!
//! Read from `/proc` and from two commands (`git`, `rustc`); anything unavailable reads as
//! "unknown" rather than failing the report.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The first line of `path` that starts with `key`, after its colon (as in `/proc/cpuinfo`).
fn proc_field(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// The CPU model, e.g. "AMD EPYC 7B13" (`model name` in `/proc/cpuinfo`; on machines that do
/// not report one, the `CPU part`, else "unknown").
pub(crate) fn cpu_model() -> String {
    proc_field("/proc/cpuinfo", "model name")
        .or_else(|| proc_field("/proc/cpuinfo", "CPU part").map(|p| format!("CPU part {p}")))
        .unwrap_or_else(|| "unknown".into())
}

/// Processors the kernel lists in `/proc/cpuinfo` (all online CPUs, not only those this
/// process may use).
pub(crate) fn online_cpus() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    Some(text.lines().filter(|l| l.starts_with("processor")).count()).filter(|&n| n > 0)
}

/// The kernel release, e.g. "6.18.44".
pub(crate) fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| format!("{} {}", std::env::consts::OS, s.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.to_string())
}

/// The 1-minute load average, as the kernel prints it.
pub(crate) fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_string)
}

/// Whether two CPUs are hardware threads of one core (from sysfs; `None` when unknown).
pub(crate) fn smt_siblings(a: usize, b: usize) -> Option<bool> {
    let path = format!("/sys/devices/system/cpu/cpu{a}/topology/thread_siblings_list");
    let list = std::fs::read_to_string(path).ok()?;
    Some(cpu_list(list.trim()).contains(&b))
}

/// Parses a kernel CPU list such as "0-3,8,10-11".
pub(crate) fn cpu_list(s: &str) -> Vec<usize> {
    s.split(',')
        .filter_map(|part| match part.split_once('-') {
            Some((a, b)) => Some((a.trim().parse().ok()?..=b.trim().parse().ok()?).collect()),
            None => part.trim().parse().ok().map(|c| vec![c]),
        })
        .flatten()
        .collect()
}

/// The first line a command prints, if it runs and succeeds.
fn first_line(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok().filter(|o| o.status.success())?;
    String::from_utf8(out.stdout)
        .ok()?
        .lines()
        .next()
        .map(str::to_string)
}

/// The commit this report measured (`git describe --always --dirty` in the crate).
pub(crate) fn commit() -> Option<String> {
    first_line(
        Command::new("git")
            .args(["describe", "--always", "--dirty", "--abbrev=10"])
            .current_dir(env!("CARGO_MANIFEST_DIR")),
    )
}

/// The compiler on PATH (normally the one cargo just built the report with).
pub(crate) fn rustc() -> Option<String> {
    first_line(Command::new("rustc").arg("--version"))
}

/// Now, in UTC, as "YYYY-MM-DD HH:MM UTC".
pub(crate) fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        s / 3600,
        s / 60 % 60
    )
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, which counts in 400-year eras starting on March 1st).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_782), (2026, 11, 25));
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(cpu_list("0-3,8,10-11"), [0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(cpu_list("5"), [5]);
        assert_eq!(cpu_list(""), Vec::<usize>::new());
    }
}
