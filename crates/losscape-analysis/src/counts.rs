//! How many minima and transition states each landscape has: one row per `(n_h, λ)`, rendered
//! as a Markdown or CSV table, and plotted against `n_h` and against `λ`.
//!
//! Plots are drawn with plotters' SVG backend into a `String`. Text uses plotters' built-in
//! size estimate and is emitted as SVG `<text>`, so no system font library or font file is
//! needed to draw them; the browser picks the font.

use plotters::prelude::*;
use thiserror::Error;

use crate::table::{Table, fmt_f64};
use crate::{MinimumInfo, TsInfo};

/// Counts for one landscape.
#[derive(Debug, Clone, PartialEq)]
pub struct CountsRow {
    /// Hidden units.
    pub n_hidden: usize,
    /// Regularisation strength.
    pub lambda: f64,
    /// Minima counted by distinct energy (within a tolerance, as PATHSAMPLE does).
    pub minima_by_energy: usize,
    /// Minima counted by distinct structure modulo symmetry.
    pub minima_by_structure: usize,
    /// Transition states found (degenerate rearrangements included).
    pub transition_states: usize,
    /// `transition_states / minima_by_structure`.
    pub ts_per_minimum: f64,
    /// Fraction of minima that classify every training point correctly.
    pub frac_minima_correct: f64,
    /// Fraction of transition states that classify every training point correctly.
    pub frac_ts_correct: f64,
    /// Energy of the global minimum.
    pub global_min_energy: f64,
    /// Connected components of the graph of minima joined by non-degenerate transition states.
    pub components: usize,
}

/// Accuracy at or above this counts as "all training points correct".
const FULL_ACCURACY: f64 = 1.0 - 1e-9;

impl CountsRow {
    /// Computes a row from the stored points of one landscape.
    ///
    /// `minima` are taken to be distinct structures (the database stores one copy per symmetry
    /// class); minima whose energies differ by at most `energy_tolerance` from the previous one
    /// in energy order count once by energy. Transition states naming minima not in `minima` are
    /// counted but join nothing.
    pub fn from_points(
        n_hidden: usize,
        lambda: f64,
        minima: &[MinimumInfo],
        ts: &[TsInfo],
        energy_tolerance: f64,
    ) -> Self {
        let energies: Vec<f64> = minima.iter().map(|m| m.energy).collect();
        let frac = |n: usize, of: usize| {
            if of == 0 {
                f64::NAN
            } else {
                n as f64 / of as f64
            }
        };
        CountsRow {
            n_hidden,
            lambda,
            minima_by_energy: distinct_by_energy(&energies, energy_tolerance),
            minima_by_structure: minima.len(),
            transition_states: ts.len(),
            ts_per_minimum: frac(ts.len(), minima.len()),
            frac_minima_correct: frac(
                minima
                    .iter()
                    .filter(|m| m.accuracy >= FULL_ACCURACY)
                    .count(),
                minima.len(),
            ),
            frac_ts_correct: frac(
                ts.iter().filter(|t| t.accuracy >= FULL_ACCURACY).count(),
                ts.len(),
            ),
            global_min_energy: energies.iter().copied().fold(f64::NAN, f64::min),
            components: components(minima, ts),
        }
    }
}

/// Number of distinct values in `energies`, chaining values within `tolerance` of their
/// neighbour in sorted order (NaNs are ignored).
pub fn distinct_by_energy(energies: &[f64], tolerance: f64) -> usize {
    let mut e: Vec<f64> = energies.iter().copied().filter(|v| !v.is_nan()).collect();
    e.sort_by(f64::total_cmp);
    e.windows(2).filter(|w| w[1] - w[0] > tolerance).count() + usize::from(!e.is_empty())
}

/// Connected components of the graph whose vertices are `minima` and whose edges are the
/// non-degenerate transition states between them.
pub fn components(minima: &[MinimumInfo], ts: &[TsInfo]) -> usize {
    let index: std::collections::HashMap<i64, usize> =
        minima.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
    let edges = ts
        .iter()
        .filter(|t| !t.is_degenerate())
        .filter_map(|t| Some((*index.get(&t.min1)?, *index.get(&t.min2)?)));
    components_of(minima.len(), edges)
}

/// Connected components of `n` vertices joined by `edges` (pairs of vertex indices below `n`),
/// by union-find.
pub fn components_of(n: usize, edges: impl IntoIterator<Item = (usize, usize)>) -> usize {
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut a: usize) -> usize {
        while p[a] != a {
            p[a] = p[p[a]];
            a = p[a];
        }
        a
    }
    let mut count = n;
    for (a, b) in edges {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra] = rb;
            count -= 1;
        }
    }
    count
}

/// Column headings of [`counts_table`], in order.
pub const COLUMNS: [&str; 10] = [
    "n_h",
    "lambda",
    "minima (energy)",
    "minima (structure)",
    "TS",
    "TS/minimum",
    "minima 100% correct",
    "TS 100% correct",
    "global min E",
    "components",
];

/// The rows as a [`Table`] (render with [`Table::to_markdown`] or [`Table::to_csv`]).
pub fn counts_table(rows: &[CountsRow]) -> Table {
    let mut t = Table::new(COLUMNS);
    for r in rows {
        t.push_row([
            r.n_hidden.to_string(),
            format!("{}", r.lambda),
            r.minima_by_energy.to_string(),
            r.minima_by_structure.to_string(),
            r.transition_states.to_string(),
            fmt_f64(r.ts_per_minimum, 3),
            fmt_f64(r.frac_minima_correct, 3),
            fmt_f64(r.frac_ts_correct, 3),
            format!("{:.10}", r.global_min_energy),
            r.components.to_string(),
        ]);
    }
    t
}

/// Markdown table of the rows.
pub fn counts_markdown(rows: &[CountsRow]) -> String {
    counts_table(rows).to_markdown()
}

/// CSV of the rows (full precision for λ and the global minimum energy).
pub fn counts_csv(rows: &[CountsRow]) -> String {
    counts_table(rows).to_csv()
}

/// Which count a plot shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountMetric {
    /// [`CountsRow::minima_by_energy`].
    MinimaByEnergy,
    /// [`CountsRow::minima_by_structure`].
    MinimaByStructure,
    /// [`CountsRow::transition_states`].
    TransitionStates,
}

impl CountMetric {
    fn value(self, r: &CountsRow) -> usize {
        match self {
            CountMetric::MinimaByEnergy => r.minima_by_energy,
            CountMetric::MinimaByStructure => r.minima_by_structure,
            CountMetric::TransitionStates => r.transition_states,
        }
    }

    /// Axis label.
    pub fn label(self) -> &'static str {
        match self {
            CountMetric::MinimaByEnergy => "minima (distinct energies)",
            CountMetric::MinimaByStructure => "minima (distinct structures)",
            CountMetric::TransitionStates => "transition states",
        }
    }
}

/// Why a plot could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlotError {
    /// No row has a positive count and finite coordinates (a log axis cannot show zero).
    #[error("nothing to plot: no row has a positive count")]
    Empty,
    /// plotters reported an error.
    #[error("plotting failed: {0}")]
    Backend(String),
}

fn backend<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Backend(format!("{e:?}"))
}

const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// One labelled line: `(label, points sorted by x)`.
type Series = (String, Vec<(f64, f64)>);

/// Groups rows into series: `key` names the series, `x` places a row on the x axis.
fn series(
    rows: &[CountsRow],
    metric: CountMetric,
    key: impl Fn(&CountsRow) -> f64,
    label: impl Fn(f64) -> String,
    x: impl Fn(&CountsRow) -> f64,
) -> Vec<Series> {
    let mut keys: Vec<f64> = rows.iter().map(&key).filter(|k| k.is_finite()).collect();
    keys.sort_by(f64::total_cmp);
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let mut pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| key(r) == k)
                .map(|r| (x(r), metric.value(r) as f64))
                .filter(|&(x, y)| x.is_finite() && y > 0.0)
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            (label(k), pts)
        })
        .filter(|(_, pts)| !pts.is_empty())
        .collect()
}

/// Counts against the number of hidden units, one line per λ, logarithmic count axis.
/// Rows with a zero count are left out (a log axis cannot show them).
pub fn plot_counts_vs_hidden(rows: &[CountsRow], metric: CountMetric) -> Result<String, PlotError> {
    let s = series(
        rows,
        metric,
        |r| r.lambda,
        |l| format!("λ = {l}"),
        |r| r.n_hidden as f64,
    );
    draw(
        &s,
        false,
        "hidden units n_h",
        metric,
        &format!("{} vs n_h", metric.label()),
    )
}

/// Counts against λ, one line per number of hidden units, logarithmic λ and count axes.
/// Rows with a zero count or λ ≤ 0 are left out.
pub fn plot_counts_vs_lambda(rows: &[CountsRow], metric: CountMetric) -> Result<String, PlotError> {
    let s = series(
        rows,
        metric,
        |r| r.n_hidden as f64,
        |n| format!("n_h = {n}"),
        |r| r.lambda,
    )
    .into_iter()
    .map(|(l, pts)| (l, pts.into_iter().filter(|p| p.0 > 0.0).collect::<Vec<_>>()))
    .filter(|(_, pts)| !pts.is_empty())
    .collect::<Vec<_>>();
    draw(
        &s,
        true,
        "regularisation λ",
        metric,
        &format!("{} vs λ", metric.label()),
    )
}

/// Range padded so single values and lines at the edge stay visible.
fn padded(lo: f64, hi: f64, log: bool) -> (f64, f64) {
    if log {
        let (a, b) = (lo.log10(), hi.log10());
        let pad = ((b - a) * 0.08).max(0.15);
        (10f64.powf(a - pad), 10f64.powf(b + pad))
    } else {
        let pad = ((hi - lo) * 0.08).max(0.5);
        (lo - pad, hi + pad)
    }
}

fn draw(
    series: &[Series],
    log_x: bool,
    x_label: &str,
    metric: CountMetric,
    title: &str,
) -> Result<String, PlotError> {
    let all = || series.iter().flat_map(|(_, p)| p.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in all() {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        return Err(PlotError::Empty);
    }
    let (x0, x1) = padded(x0, x1, log_x);
    let (y0, y1) = padded(y0, y1, true);

    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (760, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(backend)?;
        // The legend gets its own panel on the right so it never hides a line.
        let (plot_area, legend_area) = root.split_horizontally(600);
        let mut builder = ChartBuilder::on(&plot_area);
        builder
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(65);
        // Integers without a decimal point; other tick values (e.g. half a hidden unit) unlabelled
        // on the n_h axis.
        let int_or_plain = |v: &f64| {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{}", *v as i64)
            } else {
                format!("{v}")
            }
        };
        let only_int = |v: &f64| {
            if v.fract() == 0.0 {
                format!("{}", *v as i64)
            } else {
                String::new()
            }
        };
        // The two axis kinds give different chart types, so the drawing is shared via a macro.
        macro_rules! body {
            ($chart:expr, $x_fmt:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc(x_label)
                    .y_desc(metric.label())
                    .x_label_formatter($x_fmt)
                    .y_label_formatter(&int_or_plain)
                    .light_line_style(RGBColor(235, 235, 235))
                    .draw()
                    .map_err(backend)?;
                for (i, (_, pts)) in series.iter().enumerate() {
                    let colour = COLOURS[i % COLOURS.len()];
                    chart
                        .draw_series(LineSeries::new(pts.iter().copied(), colour.stroke_width(2)))
                        .map_err(backend)?;
                    chart
                        .draw_series(pts.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                        .map_err(backend)?;
                }
            }};
        }
        if log_x {
            body!(
                builder
                    .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
                    .map_err(backend)?,
                &int_or_plain
            );
        } else {
            body!(
                builder
                    .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
                    .map_err(backend)?,
                &only_int
            );
        }
        let font = ("sans-serif", 14).into_font();
        for (i, (label, _)) in series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let y = 60 + 22 * i as i32;
            legend_area
                .draw(&PathElement::new(
                    vec![(10, y), (34, y)],
                    colour.stroke_width(3),
                ))
                .map_err(backend)?;
            legend_area
                .draw(&Text::new(label.clone(), (40, y - 7), font.clone()))
                .map_err(backend)?;
        }
        root.present().map_err(backend)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(id: i64, energy: f64, accuracy: f64) -> MinimumInfo {
        MinimumInfo {
            id,
            energy,
            accuracy,
            coords: vec![],
            ln_prod_positive: 0.0,
            hessian_index: 0,
        }
    }

    fn ts(id: i64, min1: i64, min2: i64, accuracy: f64) -> TsInfo {
        TsInfo {
            id,
            energy: 1.0,
            accuracy,
            coords: vec![],
            ln_prod_positive: 0.0,
            min1,
            min2,
            degenerate: false,
        }
    }

    fn sweep() -> Vec<CountsRow> {
        let mut rows = Vec::new();
        for n_hidden in 1..=4 {
            for (j, lambda) in [1e-4, 1e-3, 1e-2].into_iter().enumerate() {
                let minima = 3 * n_hidden * n_hidden / (j + 1);
                rows.push(CountsRow {
                    n_hidden,
                    lambda,
                    minima_by_energy: minima,
                    minima_by_structure: minima + 1,
                    transition_states: 2 * minima,
                    ts_per_minimum: 2.0,
                    frac_minima_correct: 0.5,
                    frac_ts_correct: 0.25,
                    global_min_energy: 0.01 * lambda,
                    components: 1,
                });
            }
        }
        rows
    }

    #[test]
    fn row_from_points() {
        let minima = vec![
            point(1, 0.1, 1.0),
            point(2, 0.1 + 1e-9, 0.75),
            point(3, 0.3, 1.0),
            point(4, 0.5, 0.5),
        ];
        let mut degenerate = ts(13, 3, 3, 1.0);
        degenerate.degenerate = true;
        let t = vec![
            ts(10, 1, 2, 1.0),
            ts(11, 2, 1, 0.75),
            ts(12, 1, 99, 1.0),
            degenerate,
        ];
        let r = CountsRow::from_points(2, 1e-3, &minima, &t, 1e-7);
        assert_eq!(r.minima_by_energy, 3);
        assert_eq!(r.minima_by_structure, 4);
        assert_eq!(r.transition_states, 4);
        assert_eq!(r.ts_per_minimum, 1.0);
        assert_eq!(r.frac_minima_correct, 0.5);
        assert_eq!(r.frac_ts_correct, 0.75);
        assert_eq!(r.global_min_energy, 0.1);
        // {1,2}, {3}, {4}: the degenerate saddle and the dangling one join nothing.
        assert_eq!(r.components, 3);
        let empty = CountsRow::from_points(1, 1.0, &[], &[], 1e-7);
        assert_eq!((empty.minima_by_energy, empty.components), (0, 0));
        assert!(empty.ts_per_minimum.is_nan());
    }

    #[test]
    fn tables() {
        let rows = sweep();
        let md = counts_markdown(&rows[..2]);
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("| n_h | lambda | minima (energy) |"));
        assert!(lines[2].starts_with("| 1 | 0.0001 | 3 | 4 | 6 | 2.000 | 0.500 | 0.250 |"));
        let csv = counts_csv(&rows);
        assert_eq!(csv.lines().count(), rows.len() + 1);
        assert!(csv.lines().all(|l| l.split(',').count() == COLUMNS.len()));
    }

    #[test]
    fn plots_render_text_without_system_fonts() {
        let rows = sweep();
        for metric in [
            CountMetric::MinimaByEnergy,
            CountMetric::MinimaByStructure,
            CountMetric::TransitionStates,
        ] {
            let by_h = plot_counts_vs_hidden(&rows, metric).unwrap();
            assert!(by_h.contains("<svg") && by_h.contains("</svg>"));
            assert!(by_h.contains("λ = 0.001"), "legend entry");
            assert!(by_h.contains("hidden units n_h"), "axis label");
            assert!(by_h.contains(metric.label()));
            assert!(by_h.contains("<polyline"), "lines drawn");
            let by_l = plot_counts_vs_lambda(&rows, metric).unwrap();
            assert!(by_l.contains("n_h = 4") && by_l.contains("regularisation λ"));
        }
    }

    #[test]
    fn zero_counts_are_skipped_and_empty_is_an_error() {
        let mut rows = sweep();
        for r in &mut rows {
            r.transition_states = 0;
        }
        assert_eq!(
            plot_counts_vs_hidden(&rows, CountMetric::TransitionStates),
            Err(PlotError::Empty)
        );
        assert_eq!(
            plot_counts_vs_lambda(&[], CountMetric::MinimaByEnergy),
            Err(PlotError::Empty)
        );
        rows[0].transition_states = 5;
        assert!(plot_counts_vs_lambda(&rows, CountMetric::TransitionStates).is_ok());
    }
}
