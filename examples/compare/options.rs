//! The command line of the report (`--help` prints [`HELP`]).

use crate::placement::{Placement, PLACEMENT_KEYS};
use std::path::PathBuf;
use std::time::Duration;

/// Command-line options, parsed and checked.
#[derive(Debug)]
pub(crate) struct Options {
    pub(crate) quick: bool,
    pub(crate) rounds: usize,
    pub(crate) threads: Option<Vec<usize>>,
    pub(crate) only: Vec<String>,
    pub(crate) impls: Vec<String>,
    pub(crate) placements: Vec<Placement>,
    pub(crate) scale: f64,
    pub(crate) paces: Vec<Duration>,
    pub(crate) out: PathBuf,
    pub(crate) run_limit: Duration,
    /// Every argument after the program name, to print the command that repeats the run.
    pub(crate) args: Vec<String>,
}

pub(crate) const HELP: &str = "\
cargo run --release --example compare -- [OPTIONS]

  --quick             fewer messages and 5 rounds (about a minute on 2 cores); numbers are rough
  --rounds N          rounds per workload (default 7; --quick 5); medians are over rounds
  --threads LIST      e.g. 1,2,4,8,16: replace the fixed producer/consumer sets of the
                      unbounded, rendezvous and bounded throughput workloads by N producers /
                      N consumers for each N (a scalability sweep; adds scaling.svg)
  --only LIST         run only workloads with a word that starts with one of these
                      (comma-separated), e.g. --only rendezvous,ping or --only bounded
                      (matches bounded(1) and bounded(64), not unbounded)
  --impls LIST        run only these implementations (names as in the tables; crossbeam-channel
                      is always kept as the baseline), e.g. --impls dualq,kanal
  --placements LIST   where the threads of the handoff workloads (rendezvous, bounded,
                      saturation, ping-pong) run, each a separate row (default: all five):
                        unpinned          the scheduler decides
                        two-cores         every sending thread pinned to the first CPU of
                                          --cpus, every receiving thread to the second
                        one-core          every thread pinned to the first CPU of --cpus
                        unpinned-loaded   unpinned, with a busy process pinned to each CPU
                                          this process may run on
                        two-cores-loaded  two-cores, with a busy process pinned to each of
                                          the two CPUs
                      A busy process computes without ever blocking; the report starts them
                      before a workload's first round and kills them after its last. Loaded
                      runs send a tenth of the messages. The other workloads always run
                      unpinned.
  --cpus A,B          the CPUs the pinned placements use (default: the first two this process
                      may run on)
  --scale F           multiply every message count by F (default 1)
  --pace-us LIST      pause after each send (receiver fairness, slow senders) or receive (sender
                      fairness), microseconds (default 100,20): one fairness workload of each
                      kind per value; slow senders use the first. Pauses under 50 µs spin (the
                      pacing thread keeps a core busy), longer ones sleep
  --out DIR           where report.md, samples.csv and the SVGs go (default target/compare,
                      under $CARGO_TARGET_DIR when that is set)
  --run-limit-s N     abort if a single run takes longer than N seconds (default 300)
  -h, --help          this text

The memory workload runs each sample in a child process, this program started with the
internal option --memory-probe IMPL MESSAGES, and a busy process is this program started
with --busy-process CPU PARENT (neither for use by hand).
The async workloads (their names start with async: --only async) run every sender and
receiver as a task on one tokio multi-thread runtime with 2 workers, unpinned; their fairness
workload uses the first --pace-us value.
";

fn parse_list<T: std::str::FromStr>(s: &str, what: &str) -> Result<Vec<T>, String> {
    s.split(',')
        .filter(|x| !x.trim().is_empty())
        .map(|x| x.trim().parse().map_err(|_| format!("bad {what}: {x:?}")))
        .collect()
}

fn parse_one<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    match parse_list(s, what)?.into_iter().next() {
        Some(x) => Ok(x),
        None => Err(format!("{what} needs a value")),
    }
}

/// What the command line asks for: options to run with, or the help text.
#[derive(Debug)]
pub(crate) enum Parsed {
    Run(Box<Options>),
    Help,
}

/// A check that threads may be pinned to each of these CPUs.
pub(crate) type CpuCheck = fn(&[usize]) -> Result<(), String>;

/// Parses `args` (without the program name). `allowed_cpus` are the CPUs this process may run
/// on (the pinned placements' default), or why they are unknown; `check` tells whether the
/// pinned placements can use the CPUs chosen.
pub(crate) fn parse(
    args: Vec<String>,
    allowed_cpus: Result<Vec<usize>, String>,
    check: CpuCheck,
) -> Result<Parsed, String> {
    let mut o = Options {
        quick: false,
        rounds: 0,
        threads: None,
        only: Vec::new(),
        impls: Vec::new(),
        placements: Vec::new(),
        scale: 1.0,
        paces: vec![Duration::from_micros(100), Duration::from_micros(20)],
        out: std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(
                || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
                PathBuf::from,
            )
            .join("compare"),
        run_limit: Duration::from_secs(300),
        args: args.clone(),
    };
    let mut placement_keys: Option<Vec<String>> = None;
    let mut cpus: Option<Vec<usize>> = None;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || match inline.clone().or_else(|| it.next()) {
            Some(v) => Ok(v),
            None => Err(format!("{key} needs a value")),
        };
        match key.as_str() {
            "--quick" => o.quick = true,
            "--rounds" => o.rounds = parse_one(&value()?, "--rounds")?,
            "--threads" => o.threads = Some(parse_list(&value()?, "--threads")?),
            "--only" => o.only = parse_list(&value()?, "--only")?,
            "--impls" => o.impls = parse_list(&value()?, "--impls")?,
            "--placements" => placement_keys = Some(parse_list(&value()?, "--placements")?),
            "--cpus" => cpus = Some(parse_list(&value()?, "--cpus")?),
            "--scale" => o.scale = parse_one(&value()?, "--scale")?,
            "--pace-us" => {
                o.paces = parse_list(&value()?, "--pace-us")?
                    .into_iter()
                    .map(Duration::from_micros)
                    .collect();
                if o.paces.is_empty() {
                    return Err("--pace-us needs at least one value".into());
                }
            }
            "--out" => o.out = PathBuf::from(value()?),
            "--run-limit-s" => {
                o.run_limit = Duration::from_secs(parse_one(&value()?, "--run-limit-s")?)
            }
            "-h" | "--help" => return Ok(Parsed::Help),
            // `cargo bench` passes this to every target; ignore it.
            "--bench" => {}
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if o.rounds == 0 {
        o.rounds = if o.quick { 5 } else { 7 };
    }
    if o.threads.as_ref().is_some_and(|t| t.contains(&0)) {
        return Err("--threads counts must be at least 1".into());
    }
    if !(o.scale > 0.0 && o.scale.is_finite()) {
        return Err("--scale must be a positive number".into());
    }
    let pinning = |cpus: &Option<Vec<usize>>| -> Result<Vec<usize>, String> {
        let cpus = match cpus {
            Some(c) => c.clone(),
            None => allowed_cpus.clone()?.into_iter().take(2).collect(),
        };
        check(&cpus).map_err(|e| format!("cannot pin to the CPUs {cpus:?}: {e}"))?;
        Ok(cpus)
    };
    o.placements = match placement_keys {
        Some(keys) => {
            let pinned = keys
                .iter()
                .any(|k| k != "unpinned" && k != "unpinned-loaded");
            let cpus = if pinned { pinning(&cpus)? } else { Vec::new() };
            let mut v = Vec::new();
            for k in &keys {
                let p = Placement::from_key(k, &cpus)?;
                if !v.contains(&p) {
                    v.push(p);
                }
            }
            if v.is_empty() {
                return Err("--placements needs at least one placement".into());
            }
            v
        }
        // The default: every placement this machine allows. Without affinity, or with one CPU,
        // the pinned placements that cannot be made are left out (the report lists what ran).
        None => {
            let cpus = pinning(&cpus).unwrap_or_default();
            PLACEMENT_KEYS
                .iter()
                .filter_map(|k| Placement::from_key(k, &cpus).ok())
                .collect()
        }
    };
    Ok(Parsed::Run(Box::new(o)))
}

/// Whether `filter` (an `--only` entry) selects the workload `name`: it occurs in the name at
/// the start of a word.
pub(crate) fn selects(filter: &str, name: &str) -> bool {
    name.match_indices(filter)
        .any(|(i, _)| i == 0 || name[..i].ends_with(' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any CPU list passes: the tests must not depend on the machine's CPUs.
    fn any_cpus(_: &[usize]) -> Result<(), String> {
        Ok(())
    }

    fn parse_ok(args: &[&str]) -> Options {
        let args = args.iter().map(|s| s.to_string()).collect();
        match parse(args, Ok(vec![0, 1]), any_cpus) {
            Ok(Parsed::Run(o)) => *o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_matches_at_word_starts() {
        assert!(selects("bounded", "bounded(64) 4P/4C"));
        assert!(!selects("bounded", "unbounded 4P/4C"));
        assert!(selects("rendezvous", "slow senders rendezvous 4P/4C"));
        assert!(selects("ping", "ping-pong"));
        assert!(selects("1P/1C", "rendezvous 1P/1C"));
        assert!(selects("rendezvous 1P", "rendezvous 1P/1C"));
        assert!(!selects("P/1C", "rendezvous 1P/1C"));
    }

    #[test]
    fn quick_defaults() {
        let o = parse_ok(&["--quick"]);
        assert_eq!(o.rounds, 5);
        assert_eq!(o.paces.len(), 2);
    }

    #[test]
    fn placements_by_name() {
        let o = parse_ok(&["--placements", "one-core,unpinned"]);
        assert_eq!(o.placements, [Placement::OneCore(0), Placement::Unpinned]);
        let o = parse_ok(&["--placements=unpinned"]);
        assert_eq!(o.placements, [Placement::Unpinned]);
        let args = vec!["--placements".to_string(), "sideways".to_string()];
        assert!(parse(args, Ok(vec![0, 1]), any_cpus).is_err());
    }

    #[test]
    fn loaded_placements_by_name() {
        let o = parse_ok(&["--placements", "unpinned-loaded,two-cores-loaded"]);
        assert_eq!(
            o.placements,
            [
                Placement::UnpinnedLoaded,
                Placement::TwoCoresLoaded { send: 0, recv: 1 }
            ]
        );
        let o = parse_ok(&["--placements", "unpinned-loaded", "--cpus", "5"]);
        assert_eq!(o.placements, [Placement::UnpinnedLoaded]);
    }

    #[test]
    fn one_cpu_leaves_out_two_cores() {
        match parse(Vec::new(), Ok(vec![3]), any_cpus) {
            Ok(Parsed::Run(o)) => assert_eq!(
                o.placements,
                [
                    Placement::Unpinned,
                    Placement::OneCore(3),
                    Placement::UnpinnedLoaded
                ]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn without_affinity_only_unpinned_by_default() {
        match parse(Vec::new(), Err("no affinity here".into()), any_cpus) {
            Ok(Parsed::Run(o)) => assert_eq!(
                o.placements,
                [Placement::Unpinned, Placement::UnpinnedLoaded]
            ),
            other => panic!("{other:?}"),
        }
        let args = vec!["--placements".to_string(), "one-core".to_string()];
        assert!(parse(args, Err("no affinity here".into()), any_cpus).is_err());
    }

    #[test]
    fn bad_values_are_errors() {
        for args in [
            &["--rounds"][..],
            &["--threads", "0,2"],
            &["--scale", "-1"],
            &["--pace-us", ","],
            &["--frobnicate"],
        ] {
            let owned = args.iter().map(|s| s.to_string()).collect();
            assert!(parse(owned, Ok(vec![0, 1]), any_cpus).is_err(), "{args:?}");
        }
    }

    #[test]
    fn help() {
        assert!(matches!(
            parse(vec!["-h".into()], Ok(vec![0]), any_cpus),
            Ok(Parsed::Help)
        ));
    }
}
