//! Embedding stationary points of the `n_h` network into the `n_h + 1` network (docs/model.md, "The loss").
//!
//! Padding a stationary point with a hidden unit whose weights are all zero leaves the energy
//! unchanged and the gradient zero. The Hessian gains a block whose eigenvalues are `2λ ± σ_i`
//! (σ_i the singular values of the coupling `C`) and `2λ`, so each `σ_i > 2λ` adds one negative
//! eigenvalue: a minimum of the small network can be a saddle of the larger one. For every
//! point this module checks stationarity and energy after padding, computes the index in the
//! larger network and compares it with the prediction, and looks the padded point up among the
//! stationary points found in the larger landscape.

use losscape_core::{Identity, Landscape, PointSet};
use losscape_hessian::{Analysis, analyse};
use losscape_model::{ModelError, Perceptron};
use rayon::prelude::*;
use thiserror::Error;

use serde_json::{Value, json};

use crate::table::Records;
use crate::table::Table;
use crate::{MinimumInfo, PointKind, TsInfo};

/// Tolerances of the check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmbeddingOptions {
    /// Hessian eigenvalues with magnitude at most this count as zero (not negative).
    pub zero_tolerance: f64,
    /// Largest RMS gradient of the padded point that still counts as stationary.
    pub gradient_tolerance: f64,
    /// Largest `|ΔE|` between the point and its padded copy.
    pub energy_tolerance: f64,
    /// When the padded point is the same as a stationary point of the larger landscape.
    pub identity: Identity,
}

impl Default for EmbeddingOptions {
    fn default() -> Self {
        Self {
            zero_tolerance: 1e-8,
            gradient_tolerance: 1e-6,
            energy_tolerance: 1e-10,
            identity: Identity::default(),
        }
    }
}

/// Why the check could not run.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EmbeddingError {
    /// The larger network could not be built.
    #[error("cannot build the network with one more hidden unit: {0}")]
    Model(#[from] ModelError),
    /// A point's coordinates do not fit its network.
    #[error("{} {id}: {got} coordinates, the {network} network has {expected}", kind.label())]
    Dimension {
        /// Kind of the point.
        kind: PointKind,
        /// Its id.
        id: i64,
        /// Coordinates given.
        got: usize,
        /// Parameters of the network.
        expected: usize,
        /// "smaller" or "larger".
        network: &'static str,
    },
}

/// The outcome for one stationary point.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingRow {
    /// Minimum or transition state of the `n_h` network.
    pub kind: PointKind,
    /// Its id.
    pub id: i64,
    /// Its energy, recomputed in the `n_h` network.
    pub energy: f64,
    /// Its Hessian index in the `n_h` network (stored for minima; 1 for transition states).
    pub original_index: usize,
    /// `|E(padded) - E(point)|`.
    pub delta_energy: f64,
    /// RMS gradient of the padded point in the `n_h + 1` network.
    pub padded_rms_gradient: f64,
    /// Whether the padded point passes both stationarity tolerances.
    pub stationary: bool,
    /// Negative eigenvalues of the padded point's Hessian.
    pub computed_index: usize,
    /// Eigenvalues within the zero tolerance (a near-tie `σ ≈ 2λ` shows up here).
    pub zero_modes: usize,
    /// Lowest Hessian eigenvalue of the padded point.
    pub lowest_eigenvalue: f64,
    /// Singular values of `C` above `2λ` ([`Perceptron::predicted_added_negative`]).
    pub predicted_added: usize,
    /// `original_index + predicted_added`.
    pub predicted_index: usize,
    /// Whether the computed index equals the predicted one.
    pub agrees: bool,
    /// The stationary point of the `n_h + 1` landscape the padded point is, if any.
    pub found_as: Option<(PointKind, i64)>,
}

/// Pads every minimum and transition state of `small` with a zero hidden unit and checks it in
/// the network with one more hidden unit; `larger_minima`/`larger_ts` are the stationary points
/// already found in that larger landscape. Rows: minima first, then transition states.
pub fn embed_points(
    small: &Perceptron,
    minima: &[MinimumInfo],
    ts: &[TsInfo],
    larger_minima: &[MinimumInfo],
    larger_ts: &[TsInfo],
    opts: &EmbeddingOptions,
) -> Result<Vec<EmbeddingRow>, EmbeddingError> {
    let large = small.with_hidden(small.n_hidden() + 1)?;
    let points: Vec<(PointKind, i64, usize, &[f64])> = minima
        .iter()
        .map(|m| {
            (
                PointKind::Minimum,
                m.id,
                m.hessian_index,
                m.coords.as_slice(),
            )
        })
        .chain(
            ts.iter()
                .map(|t| (PointKind::TransitionState, t.id, 1, t.coords.as_slice())),
        )
        .collect();
    check_dims(
        points.iter().map(|p| (p.0, p.1, p.3.len())),
        small.dim(),
        "smaller",
    )?;
    let known: Vec<(PointKind, i64, f64, &[f64])> = larger_minima
        .iter()
        .map(|m| (PointKind::Minimum, m.id, m.energy, m.coords.as_slice()))
        .chain(larger_ts.iter().map(|t| {
            (
                PointKind::TransitionState,
                t.id,
                t.energy,
                t.coords.as_slice(),
            )
        }))
        .collect();
    check_dims(
        known.iter().map(|p| (p.0, p.1, p.3.len())),
        large.dim(),
        "larger",
    )?;
    let mut set = PointSet::new();
    for &(_, _, e, x) in &known {
        set.push(e, x.to_vec());
    }
    Ok(points
        .par_iter()
        .map(|&(kind, id, original_index, w)| {
            let row = embed_one(small, &large, w, opts);
            let found_as = set
                .find(&large, &opts.identity, row.energy_large, &row.padded)
                .map(|i| (known[i].0, known[i].1));
            row.into_row(kind, id, original_index, found_as, opts)
        })
        .collect())
}

/// One padded point analysed in the larger network, before it is looked up there.
struct Padded {
    padded: Vec<f64>,
    energy: f64,
    energy_large: f64,
    analysis: Analysis,
    predicted_added: usize,
}

impl Padded {
    fn into_row(
        self,
        kind: PointKind,
        id: i64,
        original_index: usize,
        found_as: Option<(PointKind, i64)>,
        opts: &EmbeddingOptions,
    ) -> EmbeddingRow {
        let a = self.analysis;
        let delta_energy = (self.energy_large - self.energy).abs();
        let predicted_index = original_index + self.predicted_added;
        EmbeddingRow {
            kind,
            id,
            energy: self.energy,
            original_index,
            delta_energy,
            padded_rms_gradient: a.rms_gradient,
            stationary: a.rms_gradient <= opts.gradient_tolerance
                && delta_energy <= opts.energy_tolerance,
            computed_index: a.index,
            zero_modes: a.zero_modes,
            lowest_eigenvalue: a.lowest_eigenvalue,
            predicted_added: self.predicted_added,
            predicted_index,
            agrees: a.index == predicted_index,
            found_as,
        }
    }
}

/// Pads `w` with a zero hidden unit and analyses it in `large`.
fn embed_one(small: &Perceptron, large: &Perceptron, w: &[f64], opts: &EmbeddingOptions) -> Padded {
    let padded = small.pad_hidden(w);
    let analysis = analyse(large, &padded, opts.zero_tolerance);
    Padded {
        energy: small.energy(w),
        energy_large: analysis.energy,
        predicted_added: small.predicted_added_negative(w),
        padded,
        analysis,
    }
}

fn check_dims(
    points: impl Iterator<Item = (PointKind, i64, usize)>,
    expected: usize,
    network: &'static str,
) -> Result<(), EmbeddingError> {
    for (kind, id, got) in points {
        if got != expected {
            return Err(EmbeddingError::Dimension {
                kind,
                id,
                got,
                expected,
                network,
            });
        }
    }
    Ok(())
}

/// The rows as a [`Table`].
pub fn embedding_table(rows: &[EmbeddingRow]) -> Table {
    let mut t = Table::new([
        "kind",
        "id",
        "E",
        "|ΔE|",
        "rms grad (padded)",
        "stationary",
        "index",
        "added (pred.)",
        "index (pred.)",
        "index (computed)",
        "zero modes",
        "agrees",
        "found in n_h+1",
    ]);
    for r in rows {
        t.push_row([
            r.kind.label().to_string(),
            r.id.to_string(),
            format!("{:.10}", r.energy),
            format!("{:.1e}", r.delta_energy),
            format!("{:.1e}", r.padded_rms_gradient),
            yes_no(r.stationary).to_string(),
            r.original_index.to_string(),
            r.predicted_added.to_string(),
            r.predicted_index.to_string(),
            r.computed_index.to_string(),
            r.zero_modes.to_string(),
            yes_no(r.agrees).to_string(),
            r.found_as
                .map_or("no".to_string(), |(k, id)| format!("{} {id}", k.label())),
        ]);
    }
    t
}

/// The rows as records (`embedding --format json|csv`), every number in full precision;
/// `found_kind`/`found_id` are null for a point not found in the larger landscape.
pub fn embedding_records(from: &str, to: &str, rows: &[EmbeddingRow]) -> Records {
    let mut r = Records::new([
        "from",
        "to",
        "kind",
        "id",
        "energy",
        "delta_energy",
        "padded_rms_gradient",
        "stationary",
        "hessian_index",
        "predicted_added",
        "predicted_index",
        "computed_index",
        "zero_modes",
        "lowest_eigenvalue",
        "agrees",
        "found_kind",
        "found_id",
    ]);
    for e in rows {
        r.push(vec![
            json!(from),
            json!(to),
            json!(e.kind.label()),
            json!(e.id),
            Records::real(e.energy),
            Records::real(e.delta_energy),
            Records::real(e.padded_rms_gradient),
            json!(e.stationary),
            json!(e.original_index),
            json!(e.predicted_added),
            json!(e.predicted_index),
            json!(e.computed_index),
            json!(e.zero_modes),
            Records::real(e.lowest_eigenvalue),
            json!(e.agrees),
            e.found_as.map_or(Value::Null, |(k, _)| json!(k.label())),
            e.found_as.map_or(Value::Null, |(_, id)| json!(id)),
        ]);
    }
    r
}

/// Markdown table of the rows.
pub fn embedding_markdown(rows: &[EmbeddingRow]) -> String {
    embedding_table(rows).to_markdown()
}

/// CSV of the rows.
pub fn embedding_csv(rows: &[EmbeddingRow]) -> String {
    embedding_table(rows).to_csv()
}

/// Counts for a one-line summary: `(rows, stationary, index agrees, found in the larger
/// landscape)`.
pub fn embedding_summary(rows: &[EmbeddingRow]) -> (usize, usize, usize, usize) {
    (
        rows.len(),
        rows.iter().filter(|r| r.stationary).count(),
        rows.iter().filter(|r| r.agrees).count(),
        rows.iter().filter(|r| r.found_as.is_some()).count(),
    )
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_model::Dataset;

    fn origin(model: &Perceptron, id: i64) -> MinimumInfo {
        let w = vec![0.0; model.dim()];
        let a = analyse(model, &w, 1e-8);
        MinimumInfo {
            id,
            energy: a.energy,
            accuracy: model.accuracy(&w),
            coords: w,
            ln_prod_positive: a.ln_prod_positive,
            hessian_index: a.index,
        }
    }

    #[test]
    fn xor_origin_stays_a_minimum_for_small_and_large_lambda() {
        for lambda in [1e-4, 1.0] {
            let small = Perceptron::new(Dataset::xor(), 1, lambda).unwrap();
            let large = small.with_hidden(2).unwrap();
            let m = origin(&small, 1);
            // w = 0 is stationary with E = ln 2; XOR's balanced, symmetric data make C = 0.
            assert!((m.energy - 2f64.ln()).abs() < 1e-14);
            let larger_minima = vec![origin(&large, 77)];
            let rows = embed_points(
                &small,
                std::slice::from_ref(&m),
                &[],
                &larger_minima,
                &[],
                &EmbeddingOptions::default(),
            )
            .unwrap();
            let r = &rows[0];
            assert!(r.stationary && r.delta_energy < 1e-14 && r.padded_rms_gradient < 1e-14);
            assert_eq!(r.predicted_added, 0);
            assert_eq!(r.computed_index, r.original_index);
            assert!(r.agrees);
            assert_eq!(r.found_as, Some((PointKind::Minimum, 77)));
            // Not found among unrelated points.
            let elsewhere = MinimumInfo {
                coords: vec![1.0; large.dim()],
                ..larger_minima[0].clone()
            };
            let rows = embed_points(
                &small,
                &[m],
                &[],
                &[elsewhere],
                &[],
                &EmbeddingOptions::default(),
            )
            .unwrap();
            assert_eq!(rows[0].found_as, None);
        }
    }

    /// Label = first input: balanced classes keep w = 0 stationary, but C ≠ 0
    /// (C[0] = (1/4, 0, 0), one singular value 1/(2√2) ≈ 0.354).
    fn first_input() -> Dataset {
        Dataset {
            n_in: 2,
            n_out: 2,
            inputs: vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0],
            labels: vec![0, 0, 1, 1],
        }
    }

    #[test]
    fn padding_adds_a_negative_eigenvalue_when_the_coupling_beats_two_lambda() {
        let sigma = 0.25 * 2f64.sqrt();
        for (lambda, added) in [(0.05, 1), (0.5, 0)] {
            assert_eq!(2.0 * lambda < sigma, added == 1);
            let small = Perceptron::new(first_input(), 1, lambda).unwrap();
            let m = origin(&small, 3);
            // The small network's own zero-weight unit already carries the same instability.
            assert_eq!(m.hessian_index, added);
            let rows =
                embed_points(&small, &[m], &[], &[], &[], &EmbeddingOptions::default()).unwrap();
            let r = &rows[0];
            assert!(r.stationary);
            assert_eq!(r.predicted_added, added);
            assert_eq!(r.computed_index, 2 * added);
            assert!(r.agrees);
            assert_eq!(r.found_as, None);
            if added == 1 {
                assert!((r.lowest_eigenvalue - (2.0 * lambda - sigma)).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn transition_states_start_from_index_one_and_tables_render() {
        let small = Perceptron::new(first_input(), 1, 0.05).unwrap();
        let m = origin(&small, 3);
        let t = TsInfo {
            id: 9,
            energy: m.energy,
            accuracy: m.accuracy,
            coords: m.coords.clone(),
            ln_prod_positive: 0.0,
            min1: 3,
            min2: 3,
            degenerate: true,
        };
        let rows = embed_points(
            &small,
            std::slice::from_ref(&m),
            &[t],
            &[],
            &[],
            &EmbeddingOptions::default(),
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[1].kind,
                rows[1].original_index,
                rows[1].predicted_index
            ),
            (PointKind::TransitionState, 1, 2)
        );
        assert_eq!(embedding_summary(&rows), (2, 2, 2, 0));
        let md = embedding_markdown(&rows);
        assert!(md.lines().nth(2).unwrap().starts_with("| min | 3 | 0.6"));
        assert!(md.contains("| ts | 9 |"));
        assert_eq!(embedding_csv(&rows).lines().count(), 3);
    }

    #[test]
    fn lookup_in_the_larger_landscape_uses_symmetry_alignment() {
        let small = Perceptron::new(Dataset::xor(), 1, 0.01).unwrap();
        let large = small.with_hidden(2).unwrap();
        let w = vec![0.3, -0.7, 1.1, -0.4, 0.2, 0.05, -0.1];
        let padded = small.pad_hidden(&w);
        // The same network with the zero unit first and the real unit's signs flipped.
        let l = large.layout();
        let mut copy = vec![0.0; large.dim()];
        for k in 0..2 {
            copy[l.w_ih(1, k)] = -padded[l.w_ih(0, k)];
        }
        for i in 0..2 {
            copy[l.w_ho(i, 1)] = -padded[l.w_ho(i, 0)];
            copy[l.b_o(i)] = padded[l.b_o(i)];
        }
        copy[l.b_h(1)] = -padded[l.b_h(0)];
        let e = large.energy(&copy);
        assert!((e - small.energy(&w)).abs() < 1e-12);
        let m = MinimumInfo {
            id: 1,
            energy: e,
            accuracy: 0.5,
            coords: w,
            ln_prod_positive: 0.0,
            hessian_index: 0,
        };
        let other = MinimumInfo {
            id: 42,
            coords: copy,
            ..m.clone()
        };
        let rows = embed_points(
            &small,
            &[m],
            &[],
            &[other],
            &[],
            &EmbeddingOptions::default(),
        );
        let rows = rows.unwrap();
        assert_eq!(rows[0].found_as, Some((PointKind::Minimum, 42)));
        // Not a stationary point, so the check says so.
        assert!(!rows[0].stationary);
    }

    #[test]
    fn wrong_dimensions_are_errors() {
        let small = Perceptron::new(Dataset::xor(), 1, 0.1).unwrap();
        let mut m = origin(&small, 1);
        let large_pt = MinimumInfo {
            id: 2,
            coords: vec![0.0; 3],
            ..m.clone()
        };
        assert!(matches!(
            embed_points(
                &small,
                std::slice::from_ref(&m),
                &[],
                &[large_pt],
                &[],
                &EmbeddingOptions::default()
            ),
            Err(EmbeddingError::Dimension {
                network: "larger",
                got: 3,
                expected: 12,
                ..
            })
        ));
        m.coords.push(0.0);
        assert!(matches!(
            embed_points(&small, &[m], &[], &[], &[], &EmbeddingOptions::default()),
            Err(EmbeddingError::Dimension {
                network: "smaller",
                got: 8,
                expected: 7,
                ..
            })
        ));
    }
}
