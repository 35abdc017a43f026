//! SVG charts drawn with `plotters`' SVG backend. Each function returns one self-contained
//! `<svg>` document as a string, ready to be inlined in the HTML report.

mod diagram;

use std::ops::Range;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use thousands::Separable;

pub use diagram::state_diagram;

use crate::error::{CliError, CliResult};

/// Chart width in pixels.
pub const WIDTH: u32 = 600;
/// Chart height in pixels.
pub const HEIGHT: u32 = 360;

const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREEN: RGBColor = RGBColor(44, 160, 44);
const RED: RGBColor = RGBColor(214, 39, 40);
const GREY: RGBColor = RGBColor(120, 120, 120);
const DARK: RGBColor = RGBColor(60, 60, 90);
/// The colours of successive series.
const SERIES: [RGBColor; 4] = [BLUE, ORANGE, GREEN, RED];

/// Font sizes as `plotters` takes them; its SVG output writes `size / 1.24` px, so titles
/// are about 14.5 px and ticks, axis names, legends and annotations about 11.3 px.
const TITLE_FONT: u32 = 18;
const TEXT_FONT: u32 = 14;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn draw_err<E: std::fmt::Debug>(e: E) -> CliError {
    CliError::analysis("chart", format!("{e:?}"))
}

/// Runs a drawing closure on a fresh SVG canvas and returns the SVG text.
fn svg(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> CliResult<()>) -> CliResult<String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    Ok(text)
}

/// A titled chart over `x` × `y` with the usual margins, `y_label_area` pixels for the
/// labels on its left and `right` pixels of margin on its right.
fn chart<'a, 'b>(
    root: &'a Area<'b>,
    title: &str,
    y_label_area: u32,
    right: u32,
    (x, y): (Range<f64>, Range<f64>),
) -> CliResult<Chart<'a, 'b>> {
    ChartBuilder::on(root)
        .caption(title, ("sans-serif", TITLE_FONT))
        .margin(10)
        .margin_right(right)
        .x_label_area_size(40)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(x, y)
        .map_err(draw_err)
}

/// Mesh (axes, ticks and grid) with readable ticks; callers add their own settings.
fn mesh<'m, 'a, 'b>(
    chart: &'m mut Chart<'a, 'b>,
) -> MeshStyle<'a, 'm, RangedCoordf64, RangedCoordf64, SVGBackend<'b>> {
    let mut mesh = chart.configure_mesh();
    mesh.label_style(("sans-serif", TEXT_FONT));
    mesh
}

/// The series legend, on a white box with a black border.
fn legend<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, position: SeriesLabelPosition) -> CliResult<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", TEXT_FONT))
        .position(position)
        .draw()
        .map_err(draw_err)
}

/// Text of the usual size and `color`, anchored horizontally at `h` and centred vertically.
fn text_style(color: &RGBColor, h: HPos) -> TextStyle<'static> {
    ("sans-serif", TEXT_FONT)
        .into_font()
        .color(color)
        .pos(Pos::new(h, VPos::Center))
}

fn label_at(labels: &[String], x: f64) -> String {
    let i = x.floor();
    if (x - i - 0.5).abs() < 1e-9 && i >= 0.0 {
        labels.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// The step between the labelled periods of a time axis of `n` periods: at most about
/// eight labels, so they never overlap.
fn label_step(n: usize) -> usize {
    n.div_ceil(8).max(1)
}

/// The label of the period at `x` when it is one of every `step`-th, else nothing.
fn every_nth_label(labels: &[String], x: f64, step: usize) -> String {
    if (x.floor() as usize).is_multiple_of(step) {
        label_at(labels, x)
    } else {
        String::new()
    }
}

fn max_or_one(values: impl Iterator<Item = f64>) -> f64 {
    let m = values.filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    if m > 0.0 { m } else { 1.0 }
}

/// Bars for labelled values, one or more series side by side (`series` = name, values
/// aligned with `labels`).
pub fn bars(
    title: &str,
    labels: &[String],
    series: &[(&str, &[f64])],
    y_desc: &str,
) -> CliResult<String> {
    bars_with_reference(title, labels, series, y_desc, None)
}

/// Tick text of a value axis: whole numbers with thousands separators; when every value
/// drawn is a whole number (counts), ticks between whole numbers are left blank.
fn value_tick(v: f64, counts: bool) -> String {
    if (v - v.round()).abs() < 1e-9 {
        (v.round() as i64).separate_with_commas()
    } else if counts {
        String::new()
    } else {
        let digits = if v.abs() >= 10.0 { 1 } else { 2 };
        let text = format!("{v:.digits$}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Whether every finite value is a whole number.
fn all_whole(values: impl Iterator<Item = f64>) -> bool {
    values
        .filter(|v| v.is_finite())
        .all(|v| (v - v.round()).abs() < 1e-9)
}

/// [`bars`] with a dashed line across the chart at `reference` (a lift of 1, a target).
pub fn bars_with_reference(
    title: &str,
    labels: &[String],
    series: &[(&str, &[f64])],
    y_desc: &str,
    reference: Option<f64>,
) -> CliResult<String> {
    let counts = all_whole(series.iter().flat_map(|(_, v)| v.iter().copied()));
    let tick = |v: &f64| value_tick(*v, counts);
    let n = labels.len().max(1) as f64;
    let top = max_or_one(
        series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .chain(reference),
    ) * 1.1;
    // Long category names read better on a horizontal chart (categories down the side,
    // first on top).
    let horizontal = labels.iter().map(|l| l.chars().count()).sum::<usize>() > 50;
    let height = if horizontal {
        (labels.len() as u32 * 34 + 110).max(HEIGHT)
    } else {
        HEIGHT
    };
    let flipped: Vec<String> = labels.iter().rev().cloned().collect();
    let down_the_side = |y: &f64| label_at(&flipped, *y);
    let along_the_bottom = |x: &f64| label_at(labels, *x);
    let width = 0.8 / series.len().max(1) as f64;
    // The bar of value `v` at position `i` of series `s` of `m` values.
    let bar = |s: usize, m: usize, i: usize, v: f64| {
        if horizontal {
            let y0 = (m - 1 - i) as f64 + 0.9 - (s as f64 + 1.0) * width;
            [(0.0, y0), (v.max(0.0), y0 + width)]
        } else {
            let x0 = i as f64 + 0.1 + s as f64 * width;
            [(x0, 0.0), (x0 + width, v.max(0.0))]
        }
    };
    svg((WIDTH, height), |root| {
        let (label_area, ranges) = if horizontal {
            (130, (0.0..top, 0.0..n))
        } else {
            (60, (0.0..n, 0.0..top))
        };
        let mut chart = chart(root, title, label_area, 10, ranges)?;
        let mut mesh = mesh(&mut chart);
        if horizontal {
            mesh.disable_y_mesh()
                .y_labels(labels.len() * 2 + 1)
                .y_label_formatter(&down_the_side)
                .x_label_formatter(&tick)
                .x_desc(y_desc);
        } else {
            mesh.disable_x_mesh()
                .x_labels(labels.len() * 2 + 1)
                .x_label_formatter(&along_the_bottom)
                .y_label_formatter(&tick)
                .y_desc(y_desc);
        }
        mesh.draw().map_err(draw_err)?;
        for (s, (name, values)) in series.iter().enumerate() {
            let color = SERIES[s % SERIES.len()];
            let m = values.len();
            chart
                .draw_series(
                    values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| Rectangle::new(bar(s, m, i, *v), color.filled())),
                )
                .map_err(draw_err)?
                .label(*name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
                });
        }
        if let Some(r) = reference {
            let line = if horizontal {
                vec![(r, 0.0), (r, n)]
            } else {
                vec![(0.0, r), (n, r)]
            };
            chart
                .draw_series(DashedLineSeries::new(line, 6, 4, DARK.stroke_width(2)))
                .map_err(draw_err)?;
        }
        if series.len() > 1 {
            let position = if horizontal {
                SeriesLabelPosition::LowerRight
            } else {
                SeriesLabelPosition::UpperRight
            };
            legend(&mut chart, position)?;
        }
        Ok(())
    })
}

/// Point estimates with their confidence intervals for labelled groups (`points` = label,
/// value, low, high), groups down the side, first on top; a dashed line marks `reference`.
pub fn intervals(
    title: &str,
    points: &[(String, f64, f64, f64)],
    x_range: (f64, f64),
    reference: f64,
    x_desc: &str,
) -> CliResult<String> {
    let n = points.len().max(1) as f64;
    let height = (points.len() as u32 * 34 + 110).max(HEIGHT);
    let flipped: Vec<String> = points.iter().rev().map(|p| p.0.clone()).collect();
    let y_of = |i: usize| (points.len() - 1 - i) as f64 + 0.5;
    svg((WIDTH, height), |root| {
        let mut chart = chart(root, title, 130, 30, (x_range.0..x_range.1, 0.0..n))?;
        mesh(&mut chart)
            .disable_y_mesh()
            .y_labels(points.len() * 2 + 1)
            .y_label_formatter(&|y| label_at(&flipped, *y))
            .x_desc(x_desc)
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(reference, 0.0), (reference, n)],
                GREY.stroke_width(1),
            )))
            .map_err(draw_err)?;
        let finite = |p: &(usize, &(String, f64, f64, f64))| {
            p.1.1.is_finite() && p.1.2.is_finite() && p.1.3.is_finite()
        };
        chart
            .draw_series(points.iter().enumerate().filter(finite).map(|(i, p)| {
                PathElement::new(vec![(p.2, y_of(i)), (p.3, y_of(i))], BLUE.stroke_width(3))
            }))
            .map_err(draw_err)?;
        chart
            .draw_series(
                points
                    .iter()
                    .enumerate()
                    .filter(finite)
                    .map(|(i, p)| Circle::new((p.1, y_of(i)), 5, DARK.filled())),
            )
            .map_err(draw_err)?;
        Ok(())
    })
}

fn heat_color(t: f64) -> RGBColor {
    // White to dark blue.
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(247.0, 8.0), lerp(251.0, 48.0), lerp(255.0, 107.0))
}

/// Width of a heat map's colour bar, its ticks and their description, in pixels.
const COLOUR_BAR_WIDTH: u32 = 110;

/// A heat map: `values[y][x]`, each cell coloured by its value on the scale of the colour
/// bar at the right (described by `bar_desc`) and annotated with the value formatted by
/// `fmt` when the cells are few enough to read. Cells whose value is not finite (a
/// combination that cannot occur, a period not reached yet) are left blank.
#[allow(clippy::too_many_arguments)]
pub fn heatmap(
    title: &str,
    x_labels: &[String],
    y_labels: &[String],
    values: &[Vec<f64>],
    x_desc: &str,
    y_desc: &str,
    bar_desc: &str,
    fmt: &dyn Fn(f64) -> String,
) -> CliResult<String> {
    let nx = x_labels.len().max(1) as f64;
    let ny = y_labels.len().max(1) as f64;
    let finite = || values.iter().flatten().copied().filter(|v| v.is_finite());
    let low = finite().fold(f64::INFINITY, f64::min).min(0.0);
    let high = finite().fold(f64::NEG_INFINITY, f64::max);
    let high = if high > low { high } else { low + 1.0 };
    let scale = |v: f64| (v - low) / (high - low);
    let annotate = x_labels.len() * y_labels.len() <= 144;
    // Long names (segments) down the side get the room they need; long names along the
    // bottom are turned to read upwards.
    let longest = |labels: &[String]| labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let y_area = (longest(y_labels) as u32 * 8 + 30).max(60);
    let turned = longest(x_labels) > 6;
    let x_area = if turned {
        longest(x_labels) as u32 * 8 + 30
    } else {
        40
    };
    svg((WIDTH + COLOUR_BAR_WIDTH, HEIGHT + 20 + x_area), |root| {
        let (left, right) = root.split_horizontally(WIDTH);
        let mut chart = ChartBuilder::on(&left)
            .caption(title, ("sans-serif", TITLE_FONT))
            .margin(10)
            .x_label_area_size(x_area)
            .y_label_area_size(y_area)
            .build_cartesian_2d(0.0..nx, 0.0..ny)
            .map_err(draw_err)?;
        // Turned labels are drawn below, each ending just under its column.
        let x_ticks = if turned { 0 } else { x_labels.len() * 2 + 1 };
        mesh(&mut chart)
            .disable_mesh()
            .x_labels(x_ticks)
            .y_labels(y_labels.len() * 2 + 1)
            .x_label_formatter(&|x| label_at(x_labels, *x))
            .y_label_formatter(&|y| label_at(y_labels, *y))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(draw_err)?;
        if turned {
            let style = TextStyle::from(
                ("sans-serif", TEXT_FONT)
                    .into_font()
                    .transform(FontTransform::Rotate270),
            )
            .pos(Pos::new(HPos::Right, VPos::Center));
            for (i, label) in x_labels.iter().enumerate() {
                let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
                left.draw(&Text::new(label.clone(), (x, y + 8), style.clone()))
                    .map_err(draw_err)?;
            }
        }
        for (yi, row) in values.iter().enumerate() {
            for (xi, v) in row.iter().enumerate() {
                if !v.is_finite() {
                    continue;
                }
                let (x, y) = (xi as f64, yi as f64);
                let t = scale(*v);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1.0, y + 1.0)],
                        heat_color(t).filled(),
                    )))
                    .map_err(draw_err)?;
                if annotate {
                    let color = if t > 0.5 { WHITE } else { BLACK };
                    let style = text_style(&color, HPos::Center);
                    chart
                        .draw_series(std::iter::once(Text::new(
                            fmt(*v),
                            (x + 0.5, y + 0.5),
                            style,
                        )))
                        .map_err(draw_err)?;
                }
            }
        }
        colour_bar(&right, low, high, bar_desc, x_area, fmt)
    })
}

/// The colour bar of a heat map: the scale from `low` (bottom) to `high` (top) with ticks
/// formatted by `fmt` and the scale's description beside them.
fn colour_bar(
    area: &Area<'_>,
    low: f64,
    high: f64,
    desc: &str,
    x_area: u32,
    fmt: &dyn Fn(f64) -> String,
) -> CliResult<()> {
    let mut bar = ChartBuilder::on(area)
        // The same top and bottom as the heat map beside it.
        .margin_top(10 + TITLE_FONT + 10)
        .margin_bottom(10)
        .margin_right(45)
        .x_label_area_size(x_area)
        .right_y_label_area_size(45)
        .build_cartesian_2d(0.0..1.0, low..high)
        .map_err(draw_err)?
        .set_secondary_coord(0.0..1.0, low..high);
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .disable_y_axis()
        .draw()
        .map_err(draw_err)?;
    bar.configure_secondary_axes()
        .label_style(("sans-serif", TEXT_FONT))
        .y_labels(5)
        .y_label_formatter(&|v| fmt(*v))
        .y_desc(desc)
        .draw()
        .map_err(draw_err)?;
    let steps = 50;
    let step = (high - low) / steps as f64;
    bar.draw_series((0..steps).map(|i| {
        let y0 = low + i as f64 * step;
        Rectangle::new(
            [(0.0, y0), (1.0, y0 + step)],
            heat_color((i as f64 + 0.5) / steps as f64).filled(),
        )
    }))
    .map_err(draw_err)?;
    bar.draw_series(std::iter::once(Rectangle::new(
        [(0.0, low), (1.0, high)],
        BLACK.stroke_width(1),
    )))
    .map_err(draw_err)?;
    Ok(())
}

/// Lines through points, each series (name, points) in its own colour; optional reference
/// diagonal from (0,0) to (1,1) for Lorenz/Pareto curves.
pub fn lines(
    title: &str,
    series: &[(&str, Vec<(f64, f64)>)],
    x_desc: &str,
    y_desc: &str,
    diagonal: bool,
) -> CliResult<String> {
    let xs = || series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0));
    let ys = || series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1));
    let x_min = xs().fold(f64::INFINITY, f64::min).min(0.0);
    let x_max = max_or_one(xs());
    let y_min = ys().fold(f64::INFINITY, f64::min).min(0.0);
    let y_max = max_or_one(ys()) * 1.05;
    svg((WIDTH, HEIGHT), |root| {
        let mut chart = chart(root, title, 60, 10, (x_min..x_max, y_min..y_max))?;
        mesh(&mut chart)
            .x_label_formatter(&|v| value_tick(*v, false))
            .y_label_formatter(&|v| value_tick(*v, false))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(draw_err)?;
        if diagonal {
            chart
                .draw_series(LineSeries::new(
                    vec![(0.0, 0.0), (1.0, 1.0)],
                    GREY.stroke_width(1),
                ))
                .map_err(draw_err)?
                .label("equality")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREY));
        }
        for (i, (name, points)) in series.iter().enumerate() {
            let color = SERIES[i % SERIES.len()];
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(draw_err)?
                .label(*name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// A histogram of values in `[lo, hi]` with `bins` equal bins (values beyond either end
/// count in the bin at that end), the count of each bin on the y axis described by `y_desc`
/// (customers, tickets).
pub fn histogram(
    title: &str,
    values: &[f64],
    (lo, hi): (f64, f64),
    bins: usize,
    x_desc: &str,
    y_desc: &str,
) -> CliResult<String> {
    let bins = bins.max(1);
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0u64; bins];
    for v in values.iter().filter(|v| v.is_finite()) {
        let i = (((v - lo) / width).floor().max(0.0) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let top = max_or_one(counts.iter().map(|c| *c as f64)) * 1.1;
    svg((WIDTH, HEIGHT), |root| {
        let mut chart = chart(root, title, 60, 10, (lo..hi, 0.0..top))?;
        mesh(&mut chart)
            .disable_x_mesh()
            .x_label_formatter(&|v| value_tick(*v, false))
            .y_label_formatter(&|v| value_tick(*v, true))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, c)| {
                let x0 = lo + i as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width * 0.95, *c as f64)], BLUE.filled())
            }))
            .map_err(draw_err)?;
        Ok(())
    })
}

/// Bars of a value per period (`points` = period label, value), in order, with at most
/// about eight period labels so they never overlap; negative values go below the axis.
pub fn period_bars(title: &str, points: &[(String, f64)], y_desc: &str) -> CliResult<String> {
    let labels: Vec<String> = points.iter().map(|p| p.0.clone()).collect();
    let n = points.len().max(1) as f64;
    let top = max_or_one(points.iter().map(|p| p.1)) * 1.1;
    let bottom = points.iter().map(|p| p.1).fold(0.0_f64, f64::min) * 1.1;
    let step = label_step(points.len());
    svg((WIDTH, HEIGHT), |root| {
        let mut chart = chart(root, title, 80, 10, (0.0..n, bottom..top))?;
        mesh(&mut chart)
            .disable_x_mesh()
            .x_labels(points.len() * 2 + 1)
            .x_label_formatter(&|x| every_nth_label(&labels, *x, step))
            .y_label_formatter(&|v| value_tick(*v, false))
            .y_desc(y_desc)
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(points.iter().enumerate().map(|(i, p)| {
                let x0 = i as f64 + 0.1;
                let color = if p.1 < 0.0 { RED } else { BLUE };
                Rectangle::new([(x0, 0.0), (x0 + 0.8, p.1)], color.filled())
            }))
            .map_err(draw_err)?;
        Ok(())
    })
}

/// A funnel: one centred horizontal bar per stage, widest first, labelled with the count.
pub fn funnel(title: &str, stages: &[String], counts: &[f64]) -> CliResult<String> {
    let n = stages.len().max(1);
    let max = max_or_one(counts.iter().copied());
    svg((WIDTH, HEIGHT), |root| {
        let area = root
            .titled(title, ("sans-serif", TITLE_FONT))
            .map_err(draw_err)?;
        let (w, h) = area.dim_in_pixel();
        let row = (h as f64 - 10.0) / n as f64;
        let label_w = 150.0;
        let bar_max = w as f64 - label_w - 20.0;
        for (i, (stage, count)) in stages.iter().zip(counts).enumerate() {
            let bw = (count / max * bar_max).max(2.0);
            let x0 = label_w + (bar_max - bw) / 2.0;
            let y0 = i as f64 * row + 5.0;
            let rect = [
                (x0 as i32, y0 as i32),
                ((x0 + bw) as i32, (y0 + row * 0.8) as i32),
            ];
            area.draw(&Rectangle::new(
                rect,
                BLUE.mix(0.85 - 0.1 * i as f64).filled(),
            ))
            .map_err(draw_err)?;
            let y = (y0 + row * 0.4) as i32;
            for (text, x, h) in [
                (stage.clone(), label_w - 8.0, HPos::Right),
                (format!("{count:.0}"), label_w + bar_max / 2.0, HPos::Center),
            ] {
                area.draw(&Text::new(text, (x as i32, y), text_style(&BLACK, h)))
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    })
}

/// A trend line with a shaded confidence band: points are (period label, value, low, high);
/// the periods whose `small[i]` is true (a sample too small to read much into) are marked
/// with hollow red circles, explained by the legend as `small_label`.
pub fn trend_with_band(
    title: &str,
    points: &[(String, f64, f64, f64)],
    y_desc: &str,
    small: &[bool],
    small_label: &str,
) -> CliResult<String> {
    let labels: Vec<String> = points.iter().map(|p| p.0.clone()).collect();
    let n = points.len().max(1) as f64;
    let finite = |v: f64| v.is_finite();
    let lo = points
        .iter()
        .map(|p| p.2)
        .filter(|v| finite(*v))
        .fold(f64::INFINITY, f64::min);
    let hi = points
        .iter()
        .map(|p| p.3)
        .filter(|v| finite(*v))
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo < hi {
        (lo, hi)
    } else {
        (lo.min(0.0) - 1.0, hi.max(0.0) + 1.0)
    };
    let pad = (hi - lo) * 0.05;
    let step = label_step(points.len());
    svg((WIDTH, HEIGHT), |root| {
        let mut chart = chart(root, title, 60, 10, (0.0..n, (lo - pad)..(hi + pad)))?;
        mesh(&mut chart)
            .disable_x_mesh()
            .x_labels(points.len() * 2 + 1)
            .x_label_formatter(&|x| every_nth_label(&labels, *x, step))
            .y_label_formatter(&|v| value_tick(*v, false))
            .y_desc(y_desc)
            .draw()
            .map_err(draw_err)?;
        let band: Vec<(f64, f64)> = points
            .iter()
            .enumerate()
            .filter(|(_, p)| finite(p.3))
            .map(|(i, p)| (i as f64 + 0.5, p.3))
            .chain(
                points
                    .iter()
                    .enumerate()
                    .rev()
                    .filter(|(_, p)| finite(p.2))
                    .map(|(i, p)| (i as f64 + 0.5, p.2)),
            )
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.2).filled())))
            .map_err(draw_err)?;
        chart
            .draw_series(LineSeries::new(
                points
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| finite(p.1))
                    .map(|(i, p)| (i as f64 + 0.5, p.1)),
                BLUE.stroke_width(2),
            ))
            .map_err(draw_err)?;
        let is_small = |i: usize| small.get(i).copied().unwrap_or(false);
        chart
            .draw_series(
                points
                    .iter()
                    .enumerate()
                    .filter(|(i, p)| finite(p.1) && !is_small(*i))
                    .map(|(i, p)| Circle::new((i as f64 + 0.5, p.1), 3, BLUE.filled())),
            )
            .map_err(draw_err)?;
        if (0..points.len()).any(is_small) {
            chart
                .draw_series(
                    points
                        .iter()
                        .enumerate()
                        .filter(|(i, p)| finite(p.1) && is_small(*i))
                        .map(|(i, p)| Circle::new((i as f64 + 0.5, p.1), 5, RED.stroke_width(2))),
                )
                .map_err(draw_err)?
                .label(small_label)
                .legend(|(x, y)| Circle::new((x + 5, y), 5, RED.stroke_width(2)));
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(svg: &str) {
        assert!(svg.starts_with("<svg"), "starts with <svg");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.len() > 500);
    }

    #[test]
    fn every_chart_kind_renders() {
        let labels: Vec<String> = ["a", "b & c", "<d>"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let s = bars(
            "t",
            &labels,
            &[("x", &[1.0, 2.0, 3.0]), ("y", &[0.5, 0.2, 0.3])],
            "n",
        )
        .expect("bars");
        valid(&s);
        assert!(
            s.contains("b &amp; c") && s.contains("&lt;d&gt;"),
            "labels escaped"
        );
        valid(
            &heatmap(
                "h",
                &labels,
                &labels,
                &[vec![1.0, 2.0, 3.0], vec![0.0; 3], vec![f64::NAN; 3]],
                "x",
                "y",
                "count",
                &|v| format!("{v:.0}"),
            )
            .expect("heat"),
        );
        valid(
            &lines(
                "l",
                &[("s", vec![(0.0, 0.0), (0.5, 0.8), (1.0, 1.0)])],
                "x",
                "y",
                true,
            )
            .expect("lines"),
        );
        valid(
            &histogram("p", &[0.1, 0.5, 0.9, 1.0], (0.0, 1.0), 10, "p", "customers").expect("hist"),
        );
        valid(
            &period_bars(
                "r",
                &[("2024-01".into(), 10.0), ("2024-02".into(), -2.0)],
                "USD",
            )
            .expect("period bars"),
        );
        valid(&funnel("f", &labels, &[10.0, 5.0, 2.0]).expect("funnel"));
        valid(
            &trend_with_band(
                "t",
                &[
                    ("2024-01".into(), 10.0, 5.0, 15.0),
                    ("2024-02".into(), 12.0, 8.0, 16.0),
                ],
                "NPS",
                &[false, true],
                "fewer than 30 answers",
            )
            .expect("trend"),
        );
        let machine = crm_lifecycle::MachineDefinition::new("m", "new")
            .with_terminal("closed")
            .with_reopenable("closed")
            .with_transition(crm_lifecycle::TransitionDef::new("new", "assign", "open"))
            .with_transition(crm_lifecycle::TransitionDef::new("open", "close", "closed"))
            .with_transition(crm_lifecycle::TransitionDef::new(
                "closed", "reopen", "open",
            ))
            .build()
            .expect("machine");
        valid(&state_diagram("m", &machine).expect("diagram"));
    }

    #[test]
    fn intervals_draw_one_whisker_and_dot_per_finite_group() {
        let points = vec![
            ("Champions".to_string(), 40.0, 20.0, 60.0),
            ("Lost".to_string(), -30.0, -50.0, -10.0),
            ("no answers".to_string(), f64::NAN, f64::NAN, f64::NAN),
        ];
        let s = intervals("NPS by segment", &points, (-100.0, 100.0), 0.0, "NPS").expect("chart");
        valid(&s);
        assert_eq!(s.matches("<circle").count(), 2, "a dot per finite group");
        assert!(s.contains("Champions") && s.contains("no answers"));
        assert!(!s.contains("NaN"));
        valid(&intervals("empty", &[], (0.0, 1.0), 0.5, "x").expect("empty"));
    }

    #[test]
    fn heat_maps_leave_impossible_cells_blank_and_carry_a_colour_bar() {
        let labels = vec!["a".to_string(), "b".to_string()];
        let fmt = |v: f64| format!("{v:.0}");
        let draw = |values: &[Vec<f64>]| {
            heatmap("h", &labels, &labels, values, "x", "y", "customers", &fmt).expect("heat")
        };
        let full = draw(&[vec![1.0, 4.0], vec![2.0, 3.0]]);
        let blank = draw(&[vec![1.0, f64::NAN], vec![2.0, 3.0]]);
        valid(&full);
        assert_eq!(
            full.matches("<rect").count(),
            blank.matches("<rect").count() + 1,
            "one cell fewer"
        );
        assert!(!blank.contains("NaN"));
        assert!(
            blank.contains(">\ncustomers\n<"),
            "the colour bar is described"
        );
        // Long column names are turned (and still written out).
        let long: Vec<String> = ["Champions", "Hibernating"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let turned = heatmap(
            "m",
            &long,
            &labels,
            &[vec![1.0, 2.0], vec![3.0, 4.0]],
            "x",
            "",
            "n",
            &fmt,
        )
        .expect("turned");
        assert!(turned.contains("Hibernating") && turned.contains("rotate"));
    }

    #[test]
    fn count_axes_have_whole_ticks_and_references_are_drawn() {
        let labels: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        let counts = bars("t", &labels, &[("n", &[1.0, 2.0])], "customers").expect("bars");
        assert!(!counts.contains(">\n0.5\n<") && !counts.contains(">\n1.5\n<"));
        assert!(counts.contains(">\n2\n<"));
        let plain = bars("t", &labels, &[("lift", &[0.4, 1.6])], "lift").expect("bars");
        let with_line =
            bars_with_reference("t", &labels, &[("lift", &[0.4, 1.6])], "lift", Some(1.0))
                .expect("bars");
        assert!(with_line.matches("<polyline").count() > plain.matches("<polyline").count());
        assert_eq!(value_tick(1234.0, true), "1,234");
        assert_eq!(value_tick(0.25, false), "0.25");
        assert_eq!(value_tick(1.5, false), "1.5");
        assert_eq!(value_tick(-12.5, false), "-12.5");
        assert_eq!(value_tick(0.25, true), "");
    }

    #[test]
    fn empty_inputs_do_not_fail() {
        valid(&bars("t", &[], &[("x", &[])], "n").expect("bars"));
        valid(&histogram("p", &[], (0.0, 1.0), 10, "p", "customers").expect("hist"));
        valid(&histogram("p", &[3.0], (3.0, 3.0), 10, "p", "customers").expect("one value"));
        valid(&period_bars("r", &[], "USD").expect("period bars"));
        valid(&trend_with_band("t", &[], "NPS", &[], "small").expect("trend"));
    }
}
