//! The SVG plots of the comparison report (plotters, SVG backend only).

use crate::report::{fmt_num, Results, Sample};
use crate::stats::min_max;
use crate::Kind;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::error::Error;
use std::path::Path;
use std::time::Duration;

/// A fixed color per implementation, so every panel and plot agrees.
fn color(name: &str) -> RGBColor {
    match name {
        "crossbeam-channel" => RGBColor(31, 119, 180),
        "dualq" => RGBColor(214, 39, 40),
        "DualQueue" => RGBColor(255, 127, 14),
        "DualStack" => RGBColor(140, 86, 75),
        "kanal" => RGBColor(44, 160, 44),
        "flume" => RGBColor(148, 103, 189),
        "std mpsc" => RGBColor(127, 127, 127),
        "SegmentedDualQueue" => RGBColor(227, 119, 194),
        "async-channel" => RGBColor(188, 189, 34),
        "tokio mpsc" => RGBColor(0, 0, 0),
        _ => RGBColor(23, 190, 207),
    }
}

/// A short label for a bar.
fn short(name: &str) -> &str {
    match name {
        "crossbeam-channel" => "crossbeam",
        "std mpsc" => "std",
        "SegmentedDualQueue" => "Segmented",
        other => other,
    }
}

type Res = Result<bool, Box<dyn Error>>;

/// Whether a workload's results go to the waits plot (else to the throughput plot).
fn is_fairness(kind: &Kind) -> bool {
    matches!(kind, Kind::Fairness { .. } | Kind::SenderFairness { .. })
}

/// One panel per workload (and placement) other than fairness: the headline metric per
/// implementation, bar = median over rounds, whisker = min–max. `names` are every
/// implementation (for the legend). Returns `Ok(false)` when there is nothing to draw.
pub(crate) fn throughput(path: &Path, results: &[Results], names: &[&str]) -> Res {
    let panels: Vec<&Results> = results
        .iter()
        .filter(|r| !is_fairness(&r.workload.kind))
        .collect();
    if panels.is_empty() {
        return Ok(false);
    }
    let cols = panels.len().min(3);
    let rows = panels.len().div_ceil(cols);
    let (w, h) = (420 * cols as u32, 320 * rows as u32 + 40);
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE)?;
    let (legend, body) = root.split_vertically(40);
    draw_legend(&legend, names)?;
    for (area, r) in body.split_evenly((rows, cols)).iter().zip(&panels) {
        let n = r.names.len();
        let (unit, up) = r.headline_unit();
        let medians: Vec<f64> = (0..n).map(|i| r.headline(i)).collect();
        let ranges: Vec<(f64, f64)> = (0..n).map(|i| min_max(&r.headline_column(i))).collect();
        let top = ranges
            .iter()
            .map(|&(_, hi)| hi)
            .chain(medians.iter().copied())
            .filter(|x| x.is_finite())
            .fold(0.0f64, f64::max);
        let top = if top > 0.0 { top * 1.15 } else { 1.0 };
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!(
                    "{} — {unit} ({})",
                    r.workload.short_title(),
                    if up {
                        "higher is better"
                    } else {
                        "lower is better"
                    }
                ),
                ("sans-serif", 14),
            )
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(48)
            // Integer ranges are inclusive in plotters: 0..n-1 gives n segments.
            .build_cartesian_2d((0..n.saturating_sub(1).max(1)).into_segmented(), 0.0..top)?;
        let names = r.names.clone();
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i).map_or("", |s| short(s)).to_string(),
                _ => String::new(),
            })
            .x_label_style(("sans-serif", 10))
            .y_desc(unit)
            .draw()?;
        for (i, name) in r.names.iter().enumerate() {
            let m = medians[i];
            if !m.is_finite() {
                continue;
            }
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), m),
                ],
                color(name).filled(),
            );
            bar.set_margin(0, 0, 6, 6);
            chart.draw_series(std::iter::once(bar))?;
            let (lo, hi) = ranges[i];
            if lo.is_finite() && hi.is_finite() {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![
                        (SegmentValue::CenterOf(i), lo),
                        (SegmentValue::CenterOf(i), hi),
                    ],
                    BLACK.stroke_width(1),
                )))?;
            }
            let label_style = ("sans-serif", 10)
                .into_text_style(area)
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            chart.draw_series(std::iter::once(Text::new(
                fmt_num(m),
                (SegmentValue::CenterOf(i), m.max(hi_or(ranges[i].1, m))),
                label_style,
            )))?;
        }
    }
    root.present()?;
    Ok(true)
}

fn hi_or(hi: f64, m: f64) -> f64 {
    if hi.is_finite() {
        hi
    } else {
        m
    }
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    names: &[&str],
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let mut x = 10i32;
    for name in names {
        area.draw(&Rectangle::new(
            [(x, 14), (x + 14, 28)],
            color(name).filled(),
        ))?;
        area.draw(&Text::new(
            name.to_string(),
            (x + 18, 15),
            ("sans-serif", 13),
        ))?;
        x += 30 + 8 * name.len() as i32;
    }
    Ok(())
}

/// The fairness workloads: the distribution of waits (CDF, log scale, pooled over rounds) and
/// the per-thread share of messages (sorted, averaged over rounds). One row per fairness
/// workload (receivers waiting in `recv`, or senders waiting in `send`).
pub(crate) fn waits(path: &Path, results: &[Results]) -> Res {
    let fair: Vec<&Results> = results
        .iter()
        .filter(|r| is_fairness(&r.workload.kind))
        .collect();
    if fair.is_empty() {
        return Ok(false);
    }
    let root = SVGBackend::new(path, (1200, 480 * fair.len() as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    for (row, r) in root.split_evenly((fair.len(), 1)).iter().zip(fair) {
        waits_row(row, r)?;
    }
    root.present()?;
    Ok(true)
}

fn waits_row<DB: DrawingBackend>(
    row: &DrawingArea<DB, plotters::coord::Shift>,
    r: &Results,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let (left, right) = row.split_horizontally(720);
    let (call, waiter) = match r.workload.kind {
        Kind::SenderFairness { .. } => ("send", "sender"),
        _ => ("recv", "receiver"),
    };

    // Pooled waits per implementation, in µs, sorted.
    let pooled: Vec<Vec<f64>> = r
        .samples
        .iter()
        .map(|rounds| {
            let mut v: Vec<f64> = rounds
                .iter()
                .filter_map(|s| match s {
                    Sample::Fair(_, f) => Some(f.waits.iter().map(us)),
                    _ => None,
                })
                .flatten()
                .collect();
            v.sort_by(f64::total_cmp);
            v
        })
        .collect();
    let lo = pooled
        .iter()
        .filter_map(|v| v.first().copied())
        .fold(f64::INFINITY, f64::min)
        .max(0.1);
    let hi = pooled
        .iter()
        .filter_map(|v| v.last().copied())
        .fold(0.0, f64::max)
        .max(lo * 10.0);
    let mut chart = ChartBuilder::on(&left)
        .caption(
            format!(
                "{}: wait per {call} (CDF, pooled over rounds)",
                r.workload.name
            ),
            ("sans-serif", 15),
        )
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d((lo..hi * 1.2).log_scale(), 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("wait (µs, log scale)")
        .y_desc("fraction of deliveries ≤ wait")
        .draw()?;
    for (name, v) in r.names.iter().zip(&pooled) {
        if v.is_empty() {
            continue;
        }
        let step = (v.len() / 600).max(1);
        let n = v.len() as f64;
        let points: Vec<(f64, f64)> = v
            .iter()
            .enumerate()
            .filter(|(k, _)| k % step == 0 || *k == v.len() - 1)
            .map(|(k, &x)| (x.max(lo), (k + 1) as f64 / n))
            .collect();
        let c = color(name);
        chart
            .draw_series(LineSeries::new(points, c.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;

    // Per-thread shares, sorted descending, averaged over rounds.
    let shares: Vec<Vec<f64>> = r
        .samples
        .iter()
        .map(|rounds| {
            let mut acc: Vec<f64> = Vec::new();
            let mut k = 0.0f64;
            for s in rounds {
                if let Sample::Fair(_, f) = s {
                    let total: u64 = f.counts.iter().sum();
                    let mut c: Vec<f64> = f
                        .counts
                        .iter()
                        .map(|&x| 100.0 * x as f64 / total.max(1) as f64)
                        .collect();
                    c.sort_by(|a, b| b.total_cmp(a));
                    acc.resize(c.len(), 0.0);
                    acc.iter_mut().zip(&c).for_each(|(a, x)| *a += x);
                    k += 1.0;
                }
            }
            acc.iter().map(|a| a / k.max(1.0)).collect()
        })
        .collect();
    let threads = shares.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let top = shares
        .iter()
        .flatten()
        .copied()
        .fold(0.0, f64::max)
        .max(100.0 / threads as f64)
        * 1.1;
    let mut chart = ChartBuilder::on(&right)
        .caption(
            format!("share of messages per {waiter} (sorted, mean over rounds)"),
            ("sans-serif", 15),
        )
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(1usize..threads, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc(format!("{waiter} rank"))
        .y_desc("% of messages")
        .draw()?;
    for (name, v) in r.names.iter().zip(&shares) {
        let c = color(name);
        chart.draw_series(LineSeries::new(
            v.iter().enumerate().map(|(k, &x)| (k + 1, x)),
            c.stroke_width(2),
        ))?;
    }
    Ok(())
}

fn us(d: &Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The scalability sweep (`--threads`): throughput against N producers / N consumers, one line
/// per implementation, one panel per flavor and placement.
pub(crate) fn scaling(path: &Path, results: &[Results]) -> Res {
    let mut panels: Vec<(String, Vec<(usize, &Results)>)> = Vec::new();
    for r in results {
        if let Kind::Throughput {
            flavor,
            producers,
            consumers,
            pace: None,
            tasks: false,
            ..
        } = r.workload.kind
        {
            if producers != consumers {
                continue;
            }
            let label = format!("{flavor} · {}", r.workload.placement.key());
            match panels.iter_mut().find(|(l, _)| *l == label) {
                Some((_, v)) => v.push((producers, r)),
                None => panels.push((label, vec![(producers, r)])),
            }
        }
    }
    panels.retain(|(_, v)| v.len() > 1);
    if panels.is_empty() {
        return Ok(false);
    }
    let cols = panels.len().min(3);
    let rows = panels.len().div_ceil(cols);
    let root = SVGBackend::new(path, (620 * cols as u32, 460 * rows as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    for (area, (label, points)) in root.split_evenly((rows, cols)).iter().zip(&panels) {
        let names = &points[0].1.names;
        // Evenly spaced N values (as given to --threads), labelled with N.
        let ns: Vec<usize> = points.iter().map(|p| p.0).collect();
        let series: Vec<Vec<(usize, f64)>> = (0..names.len())
            .map(|i| {
                points
                    .iter()
                    .enumerate()
                    .map(|(k, (_, r))| (k, r.headline(i)))
                    .filter(|(_, y)| y.is_finite())
                    .collect()
            })
            .collect();
        let top = series
            .iter()
            .flatten()
            .map(|p| p.1)
            .fold(0.0, f64::max)
            .max(1e-9)
            * 1.15;
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{label}: Mmsg/s at N producers / N consumers"),
                ("sans-serif", 15),
            )
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(0..ns.len() - 1, 0.0..top)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(ns.len())
            .x_label_formatter(&|k| ns.get(*k).map_or(String::new(), |n| n.to_string()))
            .x_desc("N")
            .y_desc("Mmsg/s (median)")
            .draw()?;
        for (name, s) in names.iter().zip(series) {
            let c = color(name);
            chart
                .draw_series(LineSeries::new(s.clone(), c.stroke_width(2)))?
                .label(*name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
            chart.draw_series(s.into_iter().map(|p| Circle::new(p, 3, c.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(true)
}
