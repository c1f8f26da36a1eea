//! How many minima and transition states each landscape has: one row per `(n_h, λ)`, rendered
//! as a Markdown or CSV table, and plotted against `n_h` and against `λ`.
//!
//! Plots are SVG documents from [`crate::plot`]: integer N_h ticks, λ on a log axis labelled
//! by decades, a count axis that is logarithmic only when the counts span a wide range.

use thiserror::Error;

use crate::plot::{
    LinePlot, Series, count_axis, integer_axis, log_axis, plain_number, power_of_ten,
};

use serde_json::{Value, json};

use crate::table::{Records, Table, fmt_f64};
use crate::union_find::UnionFind;
use crate::{MinimumInfo, TsInfo, classifies_all};

/// Counts for one landscape: the one per-landscape count type, shown by `losscape counts`, the
/// report and (with the run's search statistics) `losscape summary`.
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
    /// Of those, stored as degenerate rearrangements (both sides are copies of one minimum).
    pub degenerate_ts: usize,
    /// Minima that classify the data ([`classifies_all`]).
    pub correct_minima: usize,
    /// Transition states that classify the data ([`classifies_all`]).
    pub correct_ts: usize,
    /// `transition_states / minima_by_structure`.
    pub ts_per_minimum: f64,
    /// Fraction of minima that classify every training point correctly (`NaN` without minima).
    pub frac_minima_correct: f64,
    /// Fraction of transition states that classify every training point correctly.
    pub frac_ts_correct: f64,
    /// Energy of the global minimum (`NaN` without minima).
    pub global_min_energy: f64,
    /// Connected components of the graph of minima joined by non-degenerate transition states.
    pub components: usize,
    /// Whether the census certifies the counts ([`crate::census::Certificate::Closed`]: Morse
    /// sum 1, no degenerate point, closed under the saddle-to-saddle searches); otherwise the
    /// plots draw them with open markers.
    /// [`CountsRow::from_points`] cannot know and leaves it `false`; the report sets it from
    /// the census.
    pub certified: bool,
    /// Critical points of index 0 counted with their symmetry copies (`Σ |G| / |Stab|` over
    /// the minima's orbits, from the census); `None` where no census was read. The paper's
    /// programs may have counted copies separately: with orbits and points a reader can
    /// compare either way.
    pub minima_points: Option<u64>,
    /// The same for index 1 (transition states, degenerate rearrangements included).
    pub ts_points: Option<u64>,
}

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
        let correct_minima = minima.iter().filter(|m| classifies_all(m.accuracy)).count();
        let correct_ts = ts.iter().filter(|t| classifies_all(t.accuracy)).count();
        CountsRow {
            n_hidden,
            lambda,
            minima_by_energy: distinct_by_energy(&energies, energy_tolerance),
            minima_by_structure: minima.len(),
            transition_states: ts.len(),
            degenerate_ts: ts.iter().filter(|t| t.degenerate).count(),
            correct_minima,
            correct_ts,
            ts_per_minimum: frac(ts.len(), minima.len()),
            frac_minima_correct: frac(correct_minima, minima.len()),
            frac_ts_correct: frac(correct_ts, ts.len()),
            global_min_energy: energies.iter().copied().fold(f64::NAN, f64::min),
            components: components(minima, ts),
            certified: false,
            minima_points: None,
            ts_points: None,
        }
    }
}

impl CountsRow {
    /// Energy of the global minimum, `None` without minima.
    pub fn lowest_energy(&self) -> Option<f64> {
        Some(self.global_min_energy).filter(|e| !e.is_nan())
    }

    /// Transition states per minimum (by structure), `None` without minima.
    pub fn ts_ratio(&self) -> Option<f64> {
        Some(self.ts_per_minimum).filter(|r| !r.is_nan())
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
    let mut sets = UnionFind::new(n);
    n - edges.into_iter().filter(|&(a, b)| sets.union(a, b)).count()
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

/// The rows as records (`counts --format json|csv`), one per landscape `keys[i]`: the column
/// names and meanings of `summary`'s records (counts, not fractions), every number in full
/// precision, then the fractions under names of their own.
pub fn counts_records(keys: &[String], rows: &[CountsRow]) -> Records {
    let mut r = Records::new(COUNT_COLUMNS.iter().copied().chain([
        "fraction_minima_correct",
        "fraction_ts_correct",
        "minima_points",
        "ts_points",
        "certified",
    ]));
    for (key, c) in keys.iter().zip(rows) {
        let mut row = c.record_values(key);
        row.extend([
            Records::real(c.frac_minima_correct),
            Records::real(c.frac_ts_correct),
            c.minima_points.map_or(Value::Null, |n| json!(n)),
            c.ts_points.map_or(Value::Null, |n| json!(n)),
            json!(c.certified),
        ]);
        r.push(row);
    }
    r
}

/// The columns every per-landscape record of counts starts with (`counts`, `summary`), in
/// the order of [`CountsRow::record_values`]: one name for one number everywhere.
pub const COUNT_COLUMNS: [&str; 12] = [
    "landscape",
    "n_hidden",
    "lambda",
    "minima_by_energy",
    "minima_by_structure",
    "lowest_energy",
    "correct_minima",
    "transition_states",
    "degenerate_ts",
    "correct_ts",
    "ts_per_minimum",
    "components",
];

impl CountsRow {
    /// The values of [`COUNT_COLUMNS`] for this row of landscape `key`, in full precision.
    pub fn record_values(&self, key: &str) -> Vec<Value> {
        vec![
            json!(key),
            json!(self.n_hidden),
            Records::real(self.lambda),
            json!(self.minima_by_energy),
            json!(self.minima_by_structure),
            self.lowest_energy().map_or(Value::Null, Records::real),
            json!(self.correct_minima),
            json!(self.transition_states),
            json!(self.degenerate_ts),
            json!(self.correct_ts),
            self.ts_ratio().map_or(Value::Null, Records::real),
            json!(self.components),
        ]
    }
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
    /// No row has a count and finite coordinates.
    #[error("nothing to plot: no row has a count")]
    Empty,
    /// Every point has the same x value: a line plot of one point says nothing.
    #[error("only one value of {0} in the sweep: a plot against it would show a single point")]
    SinglePoint(&'static str),
}

/// Size of the count plots in pixels.
pub const PLOT_SIZE: (f64, f64) = (760.0, 480.0);

/// `λ = 10⁻³` for powers of ten, `λ = 0.002` otherwise.
fn lambda_label(l: f64) -> String {
    let e = l.log10().round();
    if l > 0.0 && (10f64.powi(e as i32) - l).abs() <= 1e-12 * l {
        format!("λ = {}", power_of_ten(e as i32))
    } else {
        format!("λ = {}", plain_number(l))
    }
}

/// One labelled line: `(label, points (x, count, lower bound) sorted by x)`.
type Points = (String, Vec<(f64, f64, bool)>);

/// Groups rows into series: `key` names the series, `x` places a row on the x axis.
fn series(
    rows: &[CountsRow],
    metric: CountMetric,
    key: impl Fn(&CountsRow) -> f64,
    label: impl Fn(f64) -> String,
    x: impl Fn(&CountsRow) -> f64,
) -> Vec<Points> {
    let mut keys: Vec<f64> = rows.iter().map(&key).filter(|k| k.is_finite()).collect();
    keys.sort_by(f64::total_cmp);
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let mut pts: Vec<(f64, f64, bool)> = rows
                .iter()
                .filter(|r| key(r) == k)
                .map(|r| (x(r), metric.value(r) as f64, !r.certified))
                .filter(|&(x, _, _)| x.is_finite())
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            (label(k), pts)
        })
        .filter(|(_, pts)| !pts.is_empty())
        .collect()
}

/// The finished plot of `points` on `x`, with a count axis chosen from the values; zero counts
/// are dropped where the count axis is logarithmic (it is only when there are none).
fn finish(
    points: Vec<Points>,
    x: crate::plot::Axis,
    metric: CountMetric,
    title: String,
) -> LinePlot {
    let values: Vec<f64> = points
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .collect();
    let y = count_axis(metric.label(), &values);
    LinePlot {
        title,
        x,
        y,
        series: points
            .into_iter()
            .map(|(label, points)| Series {
                label,
                lower_bounds: points.iter().map(|p| p.2).collect(),
                points: points.iter().map(|p| (p.0, p.1)).collect(),
            })
            .collect(),
    }
}

/// Distinct x values of the series.
fn distinct_x(points: &[Points]) -> Vec<f64> {
    let mut xs: Vec<f64> = points
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.0))
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    xs
}

/// Counts against the number of hidden units, one line per λ: integer N_h ticks, a linear
/// count axis unless the counts span more than [`crate::plot::LOG_RATIO`]. Refused
/// ([`PlotError::SinglePoint`]) when the sweep has one N_h only.
pub fn plot_counts_vs_hidden(rows: &[CountsRow], metric: CountMetric) -> Result<String, PlotError> {
    let s = series(
        rows,
        metric,
        |r| r.lambda,
        lambda_label,
        |r| r.n_hidden as f64,
    );
    let xs = distinct_x(&s);
    match xs.len() {
        0 => return Err(PlotError::Empty),
        1 => return Err(PlotError::SinglePoint("N_h")),
        _ => {}
    }
    let x = integer_axis("hidden units N_h", xs[0] as i64, xs[xs.len() - 1] as i64);
    let plot = finish(s, x, metric, format!("{} vs N_h", metric.label()));
    Ok(plot.to_svg(PLOT_SIZE.0, PLOT_SIZE.1))
}

/// Counts against λ, one line per number of hidden units, on a logarithmic λ axis labelled by
/// decades. Rows with λ ≤ 0 are left out; refused ([`PlotError::SinglePoint`]) when the sweep
/// has one λ only.
pub fn plot_counts_vs_lambda(rows: &[CountsRow], metric: CountMetric) -> Result<String, PlotError> {
    let s: Vec<Points> = series(
        rows,
        metric,
        |r| r.n_hidden as f64,
        |n| format!("N_h = {n}"),
        |r| r.lambda,
    )
    .into_iter()
    .map(|(l, pts)| (l, pts.into_iter().filter(|p| p.0 > 0.0).collect::<Vec<_>>()))
    .filter(|(_, pts)| !pts.is_empty())
    .collect();
    let xs = distinct_x(&s);
    match xs.len() {
        0 => return Err(PlotError::Empty),
        1 => return Err(PlotError::SinglePoint("λ")),
        _ => {}
    }
    let x = log_axis("regularisation λ", xs[0], xs[xs.len() - 1]);
    let plot = finish(s, x, metric, format!("{} vs λ", metric.label()));
    Ok(plot.to_svg(PLOT_SIZE.0, PLOT_SIZE.1))
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
                    degenerate_ts: 0,
                    correct_minima: minima.div_ceil(2),
                    correct_ts: minima / 2,
                    ts_per_minimum: 2.0,
                    frac_minima_correct: 0.5,
                    frac_ts_correct: 0.25,
                    global_min_energy: 0.01 * lambda,
                    components: 1,
                    certified: n_hidden < 4,
                    minima_points: None,
                    ts_points: None,
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
        assert_eq!((r.correct_minima, r.correct_ts, r.degenerate_ts), (2, 3, 1));
        assert_eq!(r.lowest_energy(), Some(0.1));
        assert_eq!(r.ts_ratio(), Some(1.0));
        assert_eq!(r.global_min_energy, 0.1);
        // {1,2}, {3}, {4}: the degenerate saddle and the dangling one join nothing.
        assert_eq!(r.components, 3);
        let empty = CountsRow::from_points(1, 1.0, &[], &[], 1e-7);
        assert_eq!((empty.minima_by_energy, empty.components), (0, 0));
        assert!(empty.ts_per_minimum.is_nan());
        assert_eq!((empty.lowest_energy(), empty.ts_ratio()), (None, None));
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
    fn plots_label_their_axes_and_series() {
        let rows = sweep();
        for metric in [
            CountMetric::MinimaByEnergy,
            CountMetric::MinimaByStructure,
            CountMetric::TransitionStates,
        ] {
            let by_h = plot_counts_vs_hidden(&rows, metric).unwrap();
            assert!(by_h.contains("<svg") && by_h.contains("</svg>"));
            assert!(by_h.contains("λ = 10⁻³"), "legend entry");
            assert!(by_h.contains("hidden units N<tspan"), "axis label");
            // N_h = 4 is not certified in `sweep`: open markers, and the legend says why.
            assert!(by_h.contains(r#"fill="white""#) && by_h.contains("open: lower bound"));
            assert!(by_h.contains(metric.label()));
            assert!(by_h.contains("<polyline"), "lines drawn");
            let by_l = plot_counts_vs_lambda(&rows, metric).unwrap();
            assert!(by_l.contains(">h</tspan> = 4") && by_l.contains("regularisation λ"));
            assert!(by_l.contains(">10⁻³</text>"), "decade tick labels");
        }
        // Every count certified: filled markers only, no lower-bound key.
        let certified: Vec<CountsRow> = rows
            .into_iter()
            .map(|r| CountsRow {
                certified: true,
                ..r
            })
            .collect();
        let svg = plot_counts_vs_hidden(&certified, CountMetric::MinimaByStructure).unwrap();
        assert!(!svg.contains("lower bound"));
    }

    #[test]
    fn a_sweep_of_one_lambda_or_one_n_h_draws_no_line_plot_against_it() {
        let rows: Vec<CountsRow> = sweep().into_iter().filter(|r| r.lambda == 1e-3).collect();
        assert_eq!(
            plot_counts_vs_lambda(&rows, CountMetric::MinimaByStructure),
            Err(PlotError::SinglePoint("λ"))
        );
        assert!(plot_counts_vs_hidden(&rows, CountMetric::MinimaByStructure).is_ok());
        let rows: Vec<CountsRow> = sweep().into_iter().filter(|r| r.n_hidden == 1).collect();
        assert_eq!(
            plot_counts_vs_hidden(&rows, CountMetric::MinimaByStructure),
            Err(PlotError::SinglePoint("N_h"))
        );
    }

    #[test]
    fn zero_counts_are_drawn_on_a_linear_axis_and_empty_is_an_error() {
        let mut rows = sweep();
        for r in &mut rows {
            r.transition_states = 0;
        }
        rows[0].transition_states = 5;
        let svg = plot_counts_vs_hidden(&rows, CountMetric::TransitionStates).unwrap();
        assert!(svg.contains(">0</text>"), "a linear axis from 0");
        assert_eq!(
            plot_counts_vs_lambda(&[], CountMetric::MinimaByEnergy),
            Err(PlotError::Empty)
        );
    }
}
