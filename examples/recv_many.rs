//! Whether `Receiver::recv_many` pays: the rest of a batch taken with one claim per round (what
//! `recv_many` does, `src/segmented/batch.rs`), against a loop of `recv` and against `recv` then
//! a loop of `try_recv`, each taking up to 64 values per call.
//!
//! `cargo run --release --example recv_many`: for each workload, 9 rounds, the three ways
//! interleaved within each round; prints the median and the range of nanoseconds per value.
//! Workloads: one consumer draining a million values sent before it starts (the consumer's
//! cost alone), and one consumer against 1 and 4 producers on an unbounded channel and 4
//! producers on `bounded(64)`.

use dualq::channel::{bounded, unbounded, Receiver, Sender};
use std::thread;
use std::time::Instant;

const MESSAGES: usize = 1_000_000;
const LIMIT: usize = 64;
const ROUNDS: usize = 9;

/// How the consumer takes its values.
#[derive(Clone, Copy, Debug)]
enum Way {
    /// `recv`, one value per call.
    LoopOfRecv,
    /// `recv` for the first value of a batch, then `try_recv` until empty or 64.
    RecvThenTryRecv,
    /// `recv_many(&mut buf, 64)`.
    RecvMany,
}

const WAYS: [Way; 3] = [Way::LoopOfRecv, Way::RecvThenTryRecv, Way::RecvMany];

fn consume(rx: &Receiver<u64>, way: Way, n: usize) {
    let mut got = 0;
    let mut buf = Vec::with_capacity(LIMIT);
    while got < n {
        match way {
            Way::LoopOfRecv => {
                std::hint::black_box(rx.recv().unwrap());
                got += 1;
                continue;
            }
            Way::RecvThenTryRecv => {
                buf.push(rx.recv().unwrap());
                while buf.len() < LIMIT {
                    match rx.try_recv() {
                        Ok(v) => buf.push(v),
                        Err(_) => break,
                    }
                }
            }
            Way::RecvMany => {
                rx.recv_many(&mut buf, LIMIT).unwrap();
            }
        }
        got += buf.len();
        std::hint::black_box(&buf);
        buf.clear();
    }
}

/// One run: nanoseconds per value.
fn run(workload: &str, way: Way) -> f64 {
    let (tx, rx): (Sender<u64>, Receiver<u64>) = if workload.starts_with("bounded") {
        bounded(64)
    } else {
        unbounded()
    };
    let producers = match workload {
        "drain" => 0,
        "unbounded 1P/1C" => 1,
        _ => 4,
    };
    if producers == 0 {
        for i in 0..MESSAGES as u64 {
            tx.send(i).unwrap();
        }
        let start = Instant::now();
        consume(&rx, way, MESSAGES);
        return start.elapsed().as_nanos() as f64 / MESSAGES as f64;
    }
    let each = MESSAGES / producers;
    let start = Instant::now();
    let handles: Vec<_> = (0..producers)
        .map(|_| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..each as u64 {
                    tx.send(i).unwrap();
                }
            })
        })
        .collect();
    consume(&rx, way, each * producers);
    for h in handles {
        h.join().unwrap();
    }
    start.elapsed().as_nanos() as f64 / (each * producers) as f64
}

fn main() {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "recv_many: ns per value, median (min–max) of {ROUNDS} interleaved rounds; load average \
         at the start: {}",
        load.split_whitespace().next().unwrap_or("?")
    );
    for workload in [
        "drain",
        "unbounded 1P/1C",
        "unbounded 4P/1C",
        "bounded(64) 4P/1C",
    ] {
        let mut ns: Vec<Vec<f64>> = vec![Vec::new(); WAYS.len()];
        for round in 0..ROUNDS {
            for k in 0..WAYS.len() {
                // Rotate who goes first, so that no way always runs right after the same one.
                let i = (k + round) % WAYS.len();
                ns[i].push(run(workload, WAYS[i]));
            }
        }
        let cells: Vec<String> = WAYS
            .iter()
            .zip(&mut ns)
            .map(|(way, v)| {
                v.sort_by(f64::total_cmp);
                format!(
                    "{way:?} {:.1} ({:.1}–{:.1})",
                    v[v.len() / 2],
                    v[0],
                    v[v.len() - 1]
                )
            })
            .collect();
        println!("{workload}: {}", cells.join(" | "));
    }
}
