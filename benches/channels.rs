//! Criterion benches: dualq's channels and raw structures next to `std::sync::mpsc`,
//! `crossbeam-channel`, `flume` and `kanal`. See `benches/README.md`.
//!
//! `cargo bench --bench channels` (add `-- --quick` for a fast pass, or a filter such as
//! `-- rendezvous`). The HTML report with its plots lands in `target/criterion/report/index.html`.
//!
//! The workloads and the per-implementation adapters are the ones of the comparison report
//! (`examples/compare/`), included here by path, so both measure the same code. Parts of them
//! only the report uses are dead code here; their unit tests run with the report's (`cargo
//! test`), and in this harness-less target a `--cfg test` build drops the `#[test]` functions
//! and leaves their imports unused.

#[path = "../examples/compare/impls.rs"]
mod impls;
#[path = "../examples/compare/placement.rs"]
#[allow(dead_code)]
#[cfg_attr(test, allow(unused_imports))]
mod placement;
#[path = "../examples/compare/usage.rs"]
#[allow(dead_code)]
#[cfg_attr(test, allow(unused_imports))]
mod usage;
#[path = "../examples/compare/workloads.rs"]
#[allow(dead_code)]
#[cfg_attr(test, allow(unused_imports))]
mod workloads;

use criterion::measurement::WallTime;
use criterion::{criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use criterion::{BenchmarkId, Throughput};
use impls::{Crossbeam, Dualq, Flavor, Flume, Imp, Kanal, RawQueue, RawSegmented, RawStack, Std};
use placement::Placement;
use std::time::Duration;

/// Messages per iteration of an unbounded throughput bench.
const UNBOUNDED_MESSAGES: u64 = 20_000;
/// Messages per iteration of a rendezvous or bounded(1) throughput bench (nearly every message
/// is a handoff).
const RENDEZVOUS_MESSAGES: u64 = 2_000;
/// Round trips per iteration of the ping-pong bench.
const ROUND_TRIPS: u64 = 1_000;

/// Calls `$f::<I>($args)` for every implementation, baseline first.
macro_rules! for_each_impl {
    ($f:ident($($arg:expr),*)) => {
        $f::<Crossbeam>($($arg),*);
        $f::<Dualq>($($arg),*);
        $f::<RawQueue>($($arg),*);
        $f::<RawStack>($($arg),*);
        $f::<RawSegmented>($($arg),*);
        $f::<Kanal>($($arg),*);
        $f::<Flume>($($arg),*);
        $f::<Std>($($arg),*);
    };
}

/// A bench id without spaces (criterion uses it for directories and filters).
fn id<I: Imp>() -> BenchmarkId {
    BenchmarkId::from_parameter(I::NAME.replace(' ', "-"))
}

/// Each iteration is one whole run (threads are spawned outside the timed part; see
/// `workloads.rs`), so the timing is taken from the run itself. Implementations without this
/// flavor are left out of the group. Threads run unpinned (placements are the report's).
fn throughput_one<I: Imp>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    flavor: Flavor,
    producers: usize,
    consumers: usize,
    messages: u64,
) {
    if !I::supports(flavor) {
        return;
    }
    g.bench_function(id::<I>(), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    workloads::throughput::<I>(
                        flavor,
                        producers,
                        consumers,
                        messages,
                        None,
                        Placement::Unpinned,
                    )
                })
                .map(|run| run.elapsed)
                .sum()
        })
    });
}

fn ping_pong_one<I: Imp>(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.bench_function(id::<I>(), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| workloads::ping_pong::<I>(ROUND_TRIPS, Placement::Unpinned).elapsed)
                .sum()
        })
    });
}

/// Short runs: a few seconds per bench, a couple of minutes for all of them.
fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500));
}

fn throughput(c: &mut Criterion) {
    let sets = [
        (Flavor::Unbounded, 1, 1),
        (Flavor::Unbounded, 4, 1),
        (Flavor::Unbounded, 4, 4),
        (Flavor::Unbounded, 8, 8),
        (Flavor::Rendezvous, 1, 1),
        (Flavor::Rendezvous, 4, 4),
        (Flavor::Bounded(1), 1, 1),
        (Flavor::Bounded(1), 4, 4),
        (Flavor::Bounded(64), 1, 1),
        (Flavor::Bounded(64), 4, 4),
    ];
    for (flavor, p, q) in sets {
        let (name, messages) = match flavor {
            Flavor::Unbounded => ("unbounded".to_string(), UNBOUNDED_MESSAGES),
            Flavor::Rendezvous => ("rendezvous".to_string(), RENDEZVOUS_MESSAGES),
            Flavor::Bounded(1) => ("bounded1".to_string(), RENDEZVOUS_MESSAGES),
            Flavor::Bounded(cap) => (format!("bounded{cap}"), UNBOUNDED_MESSAGES),
        };
        let mut g = c.benchmark_group(format!("{name}_{p}P{q}C"));
        configure(&mut g);
        g.throughput(Throughput::Elements(messages));
        for_each_impl!(throughput_one(&mut g, flavor, p, q, messages));
        g.finish();
    }
}

fn ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("ping_pong");
    configure(&mut g);
    g.throughput(Throughput::Elements(ROUND_TRIPS));
    for_each_impl!(ping_pong_one(&mut g));
    g.finish();
}

/// The group, in a module because the function the macro makes has no doc comment.
#[allow(unreachable_pub, missing_docs)]
mod group {
    use super::{ping_pong, throughput};
    use criterion::{criterion_group, Criterion};

    criterion_group! {
        name = benches;
        config = Criterion::default().nresamples(20_000);
        targets = throughput, ping_pong
    }
}

criterion_main!(group::benches);
