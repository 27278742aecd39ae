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

/// Estimated advance width of `c`, in units of the font size: DejaVu Sans's metrics (the
/// sans-serif face SVG renderers fall back to on Linux), rounded; other glyphs count as an
/// average letter. Used to lay labels and titles out so that they neither overlap nor clip.
fn glyph_width(c: char) -> f64 {
    match c {
        ' ' | '.' | ',' | ':' | ';' | '·' | '\'' | '|' => 0.32,
        'i' | 'j' | 'l' | 'I' | 'J' => 0.28,
        'f' | 't' | '(' | ')' | '[' | ']' | '/' | '-' => 0.37,
        'r' => 0.41,
        's' | 'z' | 'c' => 0.53,
        'k' | 'v' | 'x' | 'y' => 0.59,
        'm' => 0.97,
        'w' => 0.82,
        'M' | 'W' => 0.92,
        '%' | '—' => 0.95,
        '–' => 0.5,
        'A'..='Z' => 0.70,
        _ => 0.63,
    }
}

/// Estimated width in pixels of `text` at font size `size` (see [`glyph_width`]).
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    text.chars().map(glyph_width).sum::<f64>() * size
}

/// The largest font size from `size` down to `min` at which every line fits in `width`
/// pixels; `min` if none does.
fn fitting_size(lines: &[String], width: f64, size: f64, min: f64) -> f64 {
    let widest = lines.iter().map(|l| text_width(l, 1.0)).fold(0.0, f64::max);
    if widest <= 0.0 {
        return size;
    }
    (width / widest).clamp(min, size)
}

/// A title laid out in `width` pixels: its parts joined by `sep` on one line at `size` if that
/// fits, else the parts on lines of their own, each as large as fits (never below 9 px).
/// Returns the lines and their font size.
fn title_lines(parts: &[String], sep: &str, width: f64, size: f64) -> (Vec<String>, f64) {
    let one = vec![parts.join(sep)];
    if text_width(&one[0], size) <= width {
        return (one, size);
    }
    let lines = parts.to_vec();
    let fitted = fitting_size(&lines, width, size, 9.0);
    (lines, fitted)
}

/// Draws `lines` centered in `area`, from its top, and returns the height they took.
fn draw_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    lines: &[String],
    size: f64,
) -> Result<u32, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let line_h = (size * 1.3).ceil() as i32;
    let style = ("sans-serif", size)
        .into_text_style(area)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (k, line) in lines.iter().enumerate() {
        area.draw(&Text::new(
            line.clone(),
            (w as i32 / 2, 4 + k as i32 * line_h),
            style.clone(),
        ))?;
    }
    Ok((8 + lines.len() as i32 * line_h) as u32)
}

/// A compact tick label: 0.0001 … 0.5, 1, 20, 300, 4k, 50k, 600k, 7M (three significant
/// digits at most).
pub(crate) fn tick_label(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    significant(x, 3) + suffix
}

/// `x` with at most `digits` significant digits, without trailing zeros: 0.00042, 1.5, 120.
pub(crate) fn significant(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return if x.is_nan() { "n/a".into() } else { "0".into() };
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// How a panel maps values to heights: linear from 0, or log10 from a power of ten below the
/// smallest value. Log when the values span more than [`LOG_ABOVE`]×, so that the smallest bar
/// stays readable beside the tallest.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scale {
    Linear { top: f64 },
    Log { floor: f64, top: f64 },
}

/// Largest ÷ smallest value from which a panel draws on a log scale.
const LOG_ABOVE: f64 = 20.0;

impl Scale {
    /// The scale for these values (medians and whisker ends; non-positive ones ignored).
    fn for_values(values: &[f64]) -> Scale {
        let positive: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let hi = positive.iter().copied().fold(0.0f64, f64::max);
        let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
        if hi <= 0.0 {
            return Scale::Linear { top: 1.0 };
        }
        if hi / lo > LOG_ABOVE {
            // Whole decades, at least half a decade below the smallest value (so that its
            // bar shows), with room above the tallest bar for its label.
            Scale::Log {
                floor: (lo.log10() - 0.5).floor(),
                top: (hi * 1.8).log10().ceil(),
            }
        } else {
            Scale::Linear { top: hi * 1.15 }
        }
    }

    /// The axis range, in the panel's coordinates.
    fn range(self) -> std::ops::Range<f64> {
        match self {
            Scale::Linear { top } => 0.0..top,
            Scale::Log { floor, top } => floor..top,
        }
    }

    /// Where `v` goes on the axis (clamped to it).
    fn y(self, v: f64) -> f64 {
        match self {
            Scale::Linear { top } => v.clamp(0.0, top),
            Scale::Log { floor, top } => {
                if v > 0.0 {
                    v.log10().clamp(floor, top)
                } else {
                    floor
                }
            }
        }
    }

    /// The label of an axis tick at `y` (log: only whole decades are labelled).
    fn label(self, y: f64) -> String {
        match self {
            Scale::Linear { .. } => tick_label(y),
            Scale::Log { .. } => {
                if (y - y.round()).abs() < 1e-9 {
                    tick_label(10f64.powf(y.round()))
                } else {
                    String::new()
                }
            }
        }
    }

    /// The labels the axis may show, to size its label area.
    fn candidate_labels(self) -> Vec<String> {
        match self {
            Scale::Linear { top } => (0..=10)
                .map(|k| tick_label(top * k as f64 / 10.0))
                .collect(),
            Scale::Log { floor, top } => {
                let (a, b) = (floor as i32, top as i32);
                (a..=b).map(|e| tick_label(10f64.powi(e))).collect()
            }
        }
    }

    /// How many ticks to ask the mesh for (log: one per decade).
    fn ticks(self) -> usize {
        match self {
            Scale::Linear { .. } => 8,
            Scale::Log { floor, top } => (top - floor) as usize + 1,
        }
    }
}

/// The x labels of a bar panel: one per bar, each on one or two lines (a CamelCase name split
/// in two), at one font size for the panel, and on two staggered rows when even that does not
/// fit beside its neighbours.
#[derive(Debug, PartialEq)]
struct XLabels {
    /// Each label's lines.
    lines: Vec<Vec<String>>,
    size: f64,
    /// Whether every other label goes one row lower.
    staggered: bool,
}

/// Splits a CamelCase name before its inner capitals' last run ("DualQueue" → "Dual",
/// "Queue"); other names stay whole.
fn split_camel(name: &str) -> Vec<String> {
    let cut = name
        .char_indices()
        .skip(1)
        .filter(|(_, c)| c.is_uppercase())
        .map(|(i, _)| i)
        .next();
    match cut {
        Some(i) => vec![name[..i].to_string(), name[i..].to_string()],
        None => vec![name.to_string()],
    }
}

impl XLabels {
    /// Lays out `names` under bars `slot` pixels apart.
    fn layout(names: &[&str], slot: f64) -> XLabels {
        const SIZE: f64 = 10.0;
        const MIN: f64 = 8.0;
        let room = slot - 4.0;
        let whole: Vec<Vec<String>> = names.iter().map(|n| vec![short(n).to_string()]).collect();
        let widest = |labels: &[Vec<String>]| {
            labels
                .iter()
                .flatten()
                .map(|l| text_width(l, 1.0))
                .fold(0.0, f64::max)
        };
        if widest(&whole) * SIZE <= room {
            return XLabels {
                lines: whole,
                size: SIZE,
                staggered: false,
            };
        }
        let split: Vec<Vec<String>> = names.iter().map(|n| split_camel(short(n))).collect();
        let size = (room / widest(&split)).min(SIZE);
        if size >= MIN {
            return XLabels {
                lines: split,
                size,
                staggered: false,
            };
        }
        // Staggered, a label may take the room of two slots.
        let size = ((2.0 * slot - 4.0) / widest(&split)).clamp(MIN.min(SIZE), SIZE);
        XLabels {
            lines: split,
            size,
            staggered: true,
        }
    }

    /// The height of the label area.
    fn height(&self) -> u32 {
        let lines = self.lines.iter().map(Vec::len).max().unwrap_or(1);
        let rows = lines * if self.staggered { 2 } else { 1 };
        (rows as f64 * self.size * 1.25 + 14.0).ceil() as u32
    }
}

/// One panel per workload (and placement) other than fairness: the headline metric per
/// implementation, bar = median over rounds, whisker = min–max, the median printed above.
/// Titles and labels are laid out from their estimated widths so that they neither overlap
/// nor clip, and a panel whose values span more than [`LOG_ABOVE`]× is drawn on a log scale.
/// `names` are every implementation (for the legend). Returns `Ok(false)` when there is
/// nothing to draw.
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
    // Wide enough for about 64 px per bar beside the axis, so that names fit under their bars.
    let most_bars = panels.iter().map(|r| r.names.len()).max().unwrap_or(1) as u32;
    let w = (64 * most_bars + 110).max(460) * cols as u32;
    let legend_lines = legend_rows(names, w as f64 - 20.0);
    let legend_h = 12 + 20 * legend_lines.len() as u32;
    let h = 340 * rows as u32 + legend_h;
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE)?;
    let (legend, body) = root.split_vertically(legend_h);
    draw_legend(&legend, &legend_lines)?;
    for (area, r) in body.split_evenly((rows, cols)).iter().zip(&panels) {
        bar_panel(area, r)?;
    }
    root.present()?;
    Ok(true)
}

fn bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    r: &Results,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let n = r.names.len();
    let (unit, up) = r.headline_unit();
    let parts = [
        r.workload.short_title(),
        format!(
            "{unit} ({})",
            if up {
                "higher is better"
            } else {
                "lower is better"
            }
        ),
    ];
    let (lines, size) = title_lines(&parts, " — ", w as f64 - 16.0, 14.0);
    let title_h = draw_title(area, &lines, size)?;
    let (_, body) = area.split_vertically(title_h);

    let medians: Vec<f64> = (0..n).map(|i| r.headline(i)).collect();
    let ranges: Vec<(f64, f64)> = (0..n).map(|i| min_max(&r.headline_column(i))).collect();
    let scale = Scale::for_values(
        &medians
            .iter()
            .copied()
            .chain(ranges.iter().map(|&(_, hi)| hi))
            .collect::<Vec<_>>(),
    );
    const TICK_SIZE: f64 = 10.0;
    const DESC_SIZE: f64 = 11.0;
    const MARGIN: u32 = 8;
    let desc = if matches!(scale, Scale::Log { .. }) {
        format!("{unit} (log scale)")
    } else {
        unit.to_string()
    };
    let widest_tick = scale
        .candidate_labels()
        .iter()
        .map(|l| text_width(l, TICK_SIZE))
        .fold(0.0, f64::max);
    let y_area = (widest_tick + DESC_SIZE * 1.4 + 14.0).ceil() as u32;
    let slot = (w - y_area - 2 * MARGIN) as f64 / n.max(1) as f64;
    let x_labels = XLabels::layout(&r.names, slot);

    let mut chart = ChartBuilder::on(&body)
        .margin(MARGIN)
        .x_label_area_size(x_labels.height())
        .y_label_area_size(y_area)
        // Integer ranges are inclusive in plotters: 0..n-1 gives n segments.
        .build_cartesian_2d(
            (0..n.saturating_sub(1).max(1)).into_segmented(),
            scale.range(),
        )?;
    let label = |y: &f64| scale.label(*y);
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .disable_x_mesh()
        // The x labels are drawn below, as laid out.
        .x_label_formatter(&|_| String::new())
        .y_labels(scale.ticks())
        .y_label_formatter(&label)
        .y_label_style(("sans-serif", TICK_SIZE))
        .axis_desc_style(("sans-serif", DESC_SIZE))
        .y_desc(desc)
        .draw()?;
    for (i, name) in r.names.iter().enumerate() {
        let m = medians[i];
        if !m.is_finite() {
            continue;
        }
        let base = scale.range().start;
        let mut bar = Rectangle::new(
            [
                (SegmentValue::Exact(i), base),
                (SegmentValue::Exact(i + 1), scale.y(m)),
            ],
            color(name).filled(),
        );
        bar.set_margin(0, 0, 6, 6);
        chart.draw_series(std::iter::once(bar))?;
        let (lo, hi) = ranges[i];
        if lo.is_finite() && hi.is_finite() {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![
                    (SegmentValue::CenterOf(i), scale.y(lo)),
                    (SegmentValue::CenterOf(i), scale.y(hi)),
                ],
                BLACK.stroke_width(1),
            )))?;
        }
        // fmt_num prints 0.000 below a thousandth: three significant digits instead.
        let value = if m.abs() < 0.001 {
            significant(m, 2)
        } else {
            fmt_num(m)
        };
        let value_size = fitting_size(std::slice::from_ref(&value), slot - 2.0, 10.0, 7.0);
        let label_style = ("sans-serif", value_size)
            .into_text_style(area)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        chart.draw_series(std::iter::once(Text::new(
            value,
            (SegmentValue::CenterOf(i), scale.y(m.max(hi_or(hi, m)))),
            label_style,
        )))?;
    }
    // The x labels, under their bars, as laid out.
    let (x0, y0) = area.get_base_pixel();
    let line_h = (x_labels.size * 1.25).ceil() as i32;
    let style = ("sans-serif", x_labels.size)
        .into_text_style(area)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let lines_per_row = x_labels.lines.iter().map(Vec::len).max().unwrap_or(1) as i32;
    for (i, lines) in x_labels.lines.iter().enumerate() {
        let (bx, by) = chart.backend_coord(&(SegmentValue::CenterOf(i), scale.range().start));
        let row = if x_labels.staggered {
            (i % 2) as i32
        } else {
            0
        };
        for (k, line) in lines.iter().enumerate() {
            // Below the axis's tick marks.
            let y = by - y0 + 9 + (row * lines_per_row + k as i32) * line_h;
            area.draw(&Text::new(line.clone(), (bx - x0, y), style.clone()))?;
        }
    }
    Ok(())
}

fn hi_or(hi: f64, m: f64) -> f64 {
    if hi.is_finite() {
        hi
    } else {
        m
    }
}

/// The legend's entries, split into rows that fit in `width` pixels (13 px text).
fn legend_rows<'a>(names: &[&'a str], width: f64) -> Vec<Vec<&'a str>> {
    let mut rows: Vec<Vec<&str>> = vec![Vec::new()];
    let mut x = 0.0;
    for &name in names {
        let entry = LEGEND_SWATCH + text_width(name, 13.0) + LEGEND_GAP;
        if x + entry > width && !rows.last().is_some_and(Vec::is_empty) {
            rows.push(Vec::new());
            x = 0.0;
        }
        rows.last_mut().unwrap().push(name);
        x += entry;
    }
    rows
}

/// Room for an entry's color box and the space after it, and between entries.
const LEGEND_SWATCH: f64 = 18.0;
const LEGEND_GAP: f64 = 16.0;

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    rows: &[Vec<&str>],
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    for (k, row) in rows.iter().enumerate() {
        let y = 8 + 20 * k as i32;
        let mut x = 10.0;
        for name in row {
            let xi = x as i32;
            area.draw(&Rectangle::new(
                [(xi, y + 2), (xi + 14, y + 16)],
                color(name).filled(),
            ))?;
            area.draw(&Text::new(
                name.to_string(),
                (xi + LEGEND_SWATCH as i32, y + 3),
                ("sans-serif", 13),
            ))?;
            x += LEGEND_SWATCH + text_width(name, 13.0) + LEGEND_GAP;
        }
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
    let (left_w, _) = left.dim_in_pixel();
    let (lines, size) = title_lines(
        &[
            format!("{}:", r.workload.name),
            format!("wait per {call} (CDF, pooled over rounds)"),
        ],
        " ",
        left_w as f64 - 20.0,
        15.0,
    );
    let title_h = draw_title(&left, &lines, size)?;
    let (_, left) = left.split_vertically(title_h);
    // Label whole decades only (and 2 and 5 times them when the axis spans less than two), so
    // that the labels of a narrow log axis do not run into each other.
    let decades = (hi * 1.2 / lo).log10();
    let x_label = move |v: &f64| {
        let mantissa = v / 10f64.powf(v.log10().floor());
        let near = |k: f64| (mantissa - k).abs() < 1e-6 * k;
        if near(1.0) || near(10.0) || decades < 2.0 && (near(2.0) || near(5.0)) {
            tick_label(*v)
        } else {
            String::new()
        }
    };
    let mut chart = ChartBuilder::on(&left)
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d((lo..hi * 1.2).log_scale(), 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_label_formatter(&x_label)
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
    let (right_w, _) = right.dim_in_pixel();
    let (lines, size) = title_lines(
        &[
            format!("share of messages per {waiter}"),
            "(sorted, mean over rounds)".to_string(),
        ],
        " ",
        right_w as f64 - 20.0,
        15.0,
    );
    let title_h = draw_title(&right, &lines, size)?;
    let (_, right) = right.split_vertically(title_h);
    let mut chart = ChartBuilder::on(&right)
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
        let (area_w, _) = area.dim_in_pixel();
        let (lines, size) = title_lines(
            &[
                format!("{label}:"),
                "Mmsg/s at N producers / N consumers".to_string(),
            ],
            " ",
            area_w as f64 - 20.0,
            15.0,
        );
        let title_h = draw_title(area, &lines, size)?;
        let (_, area) = area.split_vertically(title_h);
        let mut chart = ChartBuilder::on(&area)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_compact_and_keep_small_values() {
        assert_eq!(tick_label(0.0001), "0.0001");
        assert_eq!(tick_label(0.00042), "0.00042");
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(tick_label(1500.0), "1.5k");
        assert_eq!(tick_label(10_000.0), "10k");
        assert_eq!(tick_label(3e6), "3M");
        assert_eq!(tick_label(0.0), "0");
    }

    #[test]
    fn a_panel_whose_bars_span_decades_is_drawn_on_a_log_scale() {
        assert_eq!(
            Scale::for_values(&[1.0, 2.0, 10.0]),
            Scale::Linear { top: 11.5 }
        );
        let log = Scale::for_values(&[0.001, 0.2, 5.0]);
        assert_eq!(
            log,
            Scale::Log {
                floor: -4.0,
                top: 1.0
            }
        );
        // The smallest bar is a fifth of the axis tall, not a hairline.
        let axis = log.range().end - log.range().start;
        assert!(log.y(0.001) - log.range().start >= 0.2 * axis);
        assert_eq!(log.label(-2.0), "0.01");
        assert_eq!(log.label(-2.5), "");
    }

    #[test]
    fn titles_split_and_shrink_to_fit() {
        let parts = [
            "saturation rendezvous 4P/8C · two-cores".to_string(),
            "Mmsg/s (higher is better)".to_string(),
        ];
        let (lines, size) = title_lines(&parts, " — ", 1000.0, 14.0);
        assert_eq!((lines.len(), size), (1, 14.0));
        let (lines, size) = title_lines(&parts, " — ", 300.0, 14.0);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| text_width(l, size) <= 300.0), "{size}");
    }

    #[test]
    fn x_labels_fit_their_slots() {
        let names = [
            "crossbeam-channel",
            "dualq",
            "DualQueue",
            "SegmentedDualQueue",
            "DualStack",
            "kanal",
            "flume",
            "std mpsc",
        ];
        for slot in [40.0, 50.0, 64.0, 90.0] {
            let l = XLabels::layout(&names, slot);
            let room = if l.staggered { 2.0 * slot } else { slot };
            for lines in &l.lines {
                for line in lines {
                    assert!(
                        text_width(line, l.size) <= room - 4.0 + 1e-9,
                        "{line} at {slot}"
                    );
                }
            }
            assert!(l.size >= 8.0 || l.staggered, "{slot}: {l:?}");
        }
        assert_eq!(
            XLabels::layout(&names, 90.0).lines[2],
            ["DualQueue".to_string()],
            "room enough: whole names"
        );
        assert_eq!(split_camel("DualQueue"), ["Dual", "Queue"]);
        assert_eq!(split_camel("crossbeam"), ["crossbeam"]);
    }

    #[test]
    fn the_legend_wraps_by_measured_width() {
        let names = [
            "crossbeam-channel",
            "dualq",
            "SegmentedDualQueue",
            "tokio mpsc",
        ];
        let rows = legend_rows(&names, 300.0);
        assert!(rows.len() >= 2);
        for row in &rows {
            let width: f64 = row
                .iter()
                .map(|n| LEGEND_SWATCH + text_width(n, 13.0) + LEGEND_GAP)
                .sum();
            assert!(width <= 300.0 || row.len() == 1);
        }
        assert_eq!(legend_rows(&names, 2000.0).len(), 1);
    }
}
