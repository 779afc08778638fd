//! The report's charts as SVG, drawn with plotters' SVG backend (no font backend: the
//! browser lays out the text). Each function returns one `<svg>` element as a string;
//! plotters escapes every text it writes, so names from `fabula.yaml` cannot break out.

use fabula_eval::leaderboard::Estimate;
use fabula_eval::report::tradeoff::Tradeoff;
use fabula_eval::report::{AgreementMatrix, Curve, HeatRow, RadarSeries, TypeInfo};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::f64::consts::PI;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A drawing failed (plotters reports layout errors this way); the page shows the
/// message instead of the chart.
#[derive(Debug)]
pub struct ChartError(String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chart not drawn: {}", self.0)
    }
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> ChartError {
        ChartError(e.to_string())
    }
}

type Result<T> = std::result::Result<T, ChartError>;

const FONT: &str = "sans-serif";
const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
const GRID: RGBColor = RGBColor(0xcc, 0xcc, 0xcc);

/// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xb2),
    RGBColor(0xd5, 0x5e, 0x00),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0xe6, 0x9f, 0x00),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0xf0, 0xe4, 0x42),
];

/// The colour of the `n`th model, the same in every chart.
pub fn colour(n: usize) -> RGBColor {
    PALETTE[n % PALETTE.len()]
}

/// The colour as CSS (`#0072b2`), for legends in HTML.
pub fn css(n: usize) -> String {
    let RGBColor(r, g, b) = colour(n);
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn svg(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Result<()>) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(out)
}

/// A score 0..=100 as a colour from pale red through pale yellow to green.
fn heat(score: f64) -> RGBColor {
    let t = (score / 100.0).clamp(0.0, 1.0);
    let (a, b, u) = if t < 0.5 {
        ((0xf4, 0xa5, 0x82), (0xfd, 0xe7, 0x9b), t * 2.0)
    } else {
        ((0xfd, 0xe7, 0x9b), (0x74, 0xc4, 0x76), (t - 0.5) * 2.0)
    };
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * u).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn centred(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Center))
}

fn anchored(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
        .color(&INK)
        .pos(Pos::new(h, v))
}

/// Model × task type: each cell the model's score on the type, coloured by it.
pub fn heatmap(types: &[TypeInfo], rows: &[HeatRow]) -> Result<String> {
    let cells = rows
        .iter()
        .map(|r| {
            r.cells
                .iter()
                .map(|c| match c {
                    Some(e) => (heat(e.score), format!("{:.0}", e.score)),
                    None => (NO_DATA, "–".to_string()),
                })
                .collect()
        })
        .collect::<Vec<_>>();
    grid(
        &types.iter().map(|t| t.label.clone()).collect::<Vec<_>>(),
        &rows.iter().map(|r| r.model.clone()).collect::<Vec<_>>(),
        &cells,
        false,
    )
}

/// Kendall's tau-b between each pair of judges, -1..=1, as a small heatmap.
pub fn agreement(a: &AgreementMatrix) -> Result<String> {
    let cells = a
        .tau
        .iter()
        .enumerate()
        .map(|(y, row)| {
            row.iter()
                .enumerate()
                .map(|(x, v)| match v {
                    Some(t) => (heat((t + 1.0) * 50.0), format!("{t:.2}")),
                    None if x == y => (RGBColor(0xf6, 0xf6, 0xf6), "·".to_string()),
                    None => (NO_DATA, "–".to_string()),
                })
                .collect()
        })
        .collect::<Vec<_>>();
    grid(&a.judges, &a.judges, &cells, true)
}

const NO_DATA: RGBColor = RGBColor(0xee, 0xee, 0xee);

/// A table of coloured, labelled cells: `cells[row][column]` as (fill, text), column
/// labels above (turned upright when `upright`, for long names), row labels left.
fn grid(
    columns: &[String],
    rows: &[String],
    cells: &[Vec<(RGBColor, String)>],
    upright: bool,
) -> Result<String> {
    let longest = |v: &[String]| v.iter().map(|s| s.chars().count()).max().unwrap_or(4) as u32;
    let label_w = 20 + 8 * longest(rows);
    let top = if upright {
        (20 + 8 * longest(columns)).min(140)
    } else {
        40
    };
    let (w, h) = (74, 40);
    let size = (
        label_w + w * columns.len().max(1) as u32 + 20,
        top + h * rows.len().max(1) as u32 + 20,
    );
    svg(size, |root| {
        let cell = |x: usize, y: usize| {
            let x0 = (label_w + w * x as u32) as i32;
            let y0 = (top + h * y as u32) as i32;
            ((x0, y0), (x0 + w as i32 - 2, y0 + h as i32 - 2))
        };
        for (x, label) in columns.iter().enumerate() {
            let ((x0, y0), (x1, _)) = cell(x, 0);
            let style = if upright {
                anchored(12, HPos::Left, VPos::Center).transform(FontTransform::Rotate270)
            } else {
                centred(13)
            };
            root.draw(&Text::new(label.clone(), ((x0 + x1) / 2, y0 - 12), style))?;
        }
        for (y, (label, row)) in rows.iter().zip(cells).enumerate() {
            let ((_, y0), (_, y1)) = cell(0, y);
            root.draw(&Text::new(
                label.clone(),
                (label_w as i32 - 8, (y0 + y1) / 2),
                anchored(13, HPos::Right, VPos::Center),
            ))?;
            for (x, (fill, text)) in row.iter().enumerate() {
                let (a, b) = cell(x, y);
                root.draw(&Rectangle::new([a, b], fill.filled()))?;
                root.draw(&Text::new(
                    text.clone(),
                    ((a.0 + b.0) / 2, (a.1 + b.1) / 2),
                    centred(14),
                ))?;
            }
        }
        Ok(())
    })
}

/// One model's radar over `axes` (0..=1 each); missing values are drawn at 0.
pub fn radar(axes: &[String], series: &RadarSeries, n: usize) -> Result<String> {
    let size = (520, 440);
    svg(size, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(4)
            .build_cartesian_2d(-1.8f64..1.8f64, -1.4f64..1.4f64)?;
        let k = axes.len().max(1);
        let at = |i: usize, r: f64| {
            let a = PI / 2.0 - 2.0 * PI * i as f64 / k as f64;
            (r * a.cos(), r * a.sin())
        };
        for level in [0.25, 0.5, 0.75, 1.0] {
            let mut ring: Vec<(f64, f64)> = (0..k).map(|i| at(i, level)).collect();
            ring.push(ring[0]);
            chart.draw_series(std::iter::once(PathElement::new(
                ring,
                GRID.stroke_width(1),
            )))?;
        }
        for (i, axis) in axes.iter().enumerate() {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), at(i, 1.0)],
                GRID.stroke_width(1),
            )))?;
            let (x, y) = at(i, 1.08);
            // Left or right of the spoke, never centred on it: the labels of the
            // near-vertical spokes would overlap.
            let h = if x >= -1e-9 { HPos::Left } else { HPos::Right };
            let v = if y > 0.05 {
                VPos::Bottom
            } else if y < -0.05 {
                VPos::Top
            } else {
                VPos::Center
            };
            chart.draw_series(std::iter::once(Text::new(
                axis.clone(),
                (x, y),
                anchored(10, h, v),
            )))?;
        }
        let c = colour(n);
        let points: Vec<(f64, f64)> = series
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| at(i, v.unwrap_or(0.0).clamp(0.0, 1.0)))
            .collect();
        if !points.is_empty() {
            chart.draw_series(std::iter::once(Polygon::new(points.clone(), c.mix(0.25))))?;
            let mut outline = points.clone();
            outline.push(points[0]);
            chart.draw_series(std::iter::once(PathElement::new(
                outline,
                c.stroke_width(2),
            )))?;
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, c.filled())))?;
        }
        Ok(())
    })
}

/// Score against `x` (cost or latency): each configuration with its 95% interval, the
/// Pareto frontier as a line, the recommended configuration ringed.
pub fn tradeoff(
    t: &Tradeoff,
    x_label: &str,
    x_format: fn(f64) -> String,
    colour_of: impl Fn(&str) -> usize,
    recommended: Option<&str>,
) -> Result<String> {
    let size = (560, 360);
    svg(size, |root| {
        let max_x = t.points.iter().map(|p| p.x).fold(0.0f64, f64::max);
        let x_hi = if max_x > 0.0 { max_x * 1.25 } else { 1.0 };
        let lo = t.points.iter().map(|p| p.ci_low).fold(100.0f64, f64::min);
        let hi = t.points.iter().map(|p| p.ci_high).fold(0.0f64, f64::max);
        let (y_lo, y_hi) = if lo <= hi {
            ((lo - 8.0).max(0.0).floor(), (hi + 8.0).min(100.0).ceil())
        } else {
            (0.0, 100.0)
        };
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(48)
            .build_cartesian_2d(0f64..x_hi, y_lo..y_hi)?;
        axes(&mut chart, x_label, "score (0–100)", None, &|v| {
            x_format(*v)
        })?;
        let frontier: Vec<(f64, f64)> = t.frontier().map(|p| (p.x, p.score)).collect();
        if frontier.len() > 1 {
            chart.draw_series(LineSeries::new(frontier, INK.stroke_width(1)))?;
        }
        for p in &t.points {
            let c = colour(colour_of(&p.model));
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(p.x, p.ci_low), (p.x, p.ci_high)],
                c.stroke_width(2),
            )))?;
            let dot: ShapeStyle = if p.on_frontier {
                c.filled()
            } else {
                c.stroke_width(2)
            };
            chart.draw_series(std::iter::once(Circle::new((p.x, p.score), 6, dot)))?;
            if recommended == Some(p.model.as_str()) {
                chart.draw_series(std::iter::once(Circle::new(
                    (p.x, p.score),
                    11,
                    INK.stroke_width(2),
                )))?;
            }
            chart.draw_series(std::iter::once(Text::new(
                p.model.clone(),
                (p.x, p.score),
                anchored(12, HPos::Left, VPos::Bottom),
            )))?;
        }
        Ok(())
    })
}

/// The programmatic score of each version (first draft … final) per model.
pub fn improvement(series: &[Curve], colour_of: impl Fn(&str) -> usize) -> Result<String> {
    let versions = series
        .iter()
        .map(|s| s.points.len())
        .max()
        .unwrap_or(1)
        .max(2);
    svg((520, 300), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(48)
            .build_cartesian_2d(0.8f64..versions as f64 + 0.2, 0f64..100f64)?;
        let label = |v: &f64| {
            let n = v.round() as usize;
            if (v - n as f64).abs() > 1e-6 {
                String::new()
            } else if n == versions {
                "final".to_string()
            } else {
                format!("draft {n}")
            }
        };
        axes(
            &mut chart,
            "version",
            "programmatic score",
            Some(versions),
            &label,
        )?;
        for s in series {
            let c = colour(colour_of(&s.model));
            let line: Vec<(f64, f64)> = s
                .points
                .iter()
                .enumerate()
                .map(|(i, (v, _))| (i as f64 + 1.0, *v))
                .collect();
            chart.draw_series(LineSeries::new(line.clone(), c.stroke_width(2)))?;
            chart.draw_series(line.iter().map(|p| Circle::new(*p, 4, c.filled())))?;
        }
        Ok(())
    })
}

type Plane<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The axes, grid and labels every x–y chart shares.
fn axes(
    chart: &mut Plane<'_, '_>,
    x_desc: &str,
    y_desc: &str,
    x_labels: Option<usize>,
    x_format: &dyn Fn(&f64) -> String,
) -> Result<()> {
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(RGBColor(0xee, 0xee, 0xee))
        .bold_line_style(GRID)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(x_format)
        .label_style((FONT, 12).into_font().color(&INK))
        .axis_desc_style((FONT, 13).into_font().color(&INK));
    if let Some(n) = x_labels {
        mesh.x_labels(n);
    }
    mesh.draw()?;
    Ok(())
}

/// A score and its interval on a 0–100 bar, for a table cell.
pub fn interval(e: &Estimate, n: usize) -> Result<String> {
    svg((160, 18), |root| {
        let x = |v: f64| (4.0 + v.clamp(0.0, 100.0) * 1.52).round() as i32;
        root.draw(&Rectangle::new(
            [(x(0.0), 8), (x(100.0), 10)],
            GRID.filled(),
        ))?;
        let c = colour(n);
        root.draw(&Rectangle::new(
            [(x(e.ci_low), 4), (x(e.ci_high).max(x(e.ci_low) + 1), 14)],
            c.mix(0.35).filled(),
        ))?;
        root.draw(&Circle::new((x(e.score), 9), 4, c.filled()))?;
        Ok(())
    })
}
