//! How robust each stationary point's classifier is: training accuracy, and accuracy on copies
//! of the training inputs with Gaussian noise added, at several noise levels.
//!
//! Every point draws its noise from its own stream, seeded from the master seed and the point's
//! kind, id and noise level ([`losscape_core::seed::derive`]), so results do not depend on the
//! order or the number of threads the points are spread over.

use losscape_core::seed;
use losscape_model::Perceptron;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use thiserror::Error;

use serde_json::json;

use crate::table::Records;
use crate::table::{Table, fmt_f64};
use crate::{MinimumInfo, PointKind, TsInfo};

/// What to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityOptions {
    /// Standard deviations of the Gaussian noise added to every input feature.
    pub sigmas: Vec<f64>,
    /// Noisy copies of the whole data set per point and noise level.
    pub samples: usize,
    /// Master seed.
    pub seed: u64,
}

impl Default for SensitivityOptions {
    fn default() -> Self {
        Self {
            sigmas: vec![0.05, 0.1, 0.2, 0.5],
            samples: 200,
            seed: 0,
        }
    }
}

/// Why the measurement could not run.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SensitivityError {
    /// A point's coordinate vector does not fit the network.
    #[error("{} {id}: {got} coordinates, the network has {expected}", kind.label())]
    Dimension {
        /// Kind of the point.
        kind: PointKind,
        /// Its id.
        id: i64,
        /// Coordinates given.
        got: usize,
        /// Parameters of the network.
        expected: usize,
    },
    /// A noise level is negative or not finite.
    #[error("noise level {0} must be finite and >= 0")]
    BadSigma(f64),
    /// `samples` was zero.
    #[error("at least one noisy sample per noise level is needed")]
    NoSamples,
}

/// The measurement for one point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSensitivity {
    /// Minimum or transition state.
    pub kind: PointKind,
    /// Its id.
    pub id: i64,
    /// Its energy (as stored).
    pub energy: f64,
    /// Accuracy on the clean training inputs.
    pub train_accuracy: f64,
    /// Mean accuracy over the noisy copies, one entry per noise level in the options' order.
    pub noisy_accuracy: Vec<f64>,
}

/// Measures every minimum and transition state of the `model` landscape (in parallel; the
/// result is the same for any thread count). Minima come first, then transition states, each in
/// input order.
pub fn measure(
    model: &Perceptron,
    minima: &[MinimumInfo],
    ts: &[TsInfo],
    opts: &SensitivityOptions,
) -> Result<Vec<PointSensitivity>, SensitivityError> {
    if let Some(&s) = opts.sigmas.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
        return Err(SensitivityError::BadSigma(s));
    }
    if opts.samples == 0 {
        return Err(SensitivityError::NoSamples);
    }
    let points: Vec<(PointKind, i64, f64, &[f64])> = minima
        .iter()
        .map(|m| (PointKind::Minimum, m.id, m.energy, m.coords.as_slice()))
        .chain(ts.iter().map(|t| {
            (
                PointKind::TransitionState,
                t.id,
                t.energy,
                t.coords.as_slice(),
            )
        }))
        .collect();
    let dim = model.dim();
    if let Some(&(kind, id, _, w)) = points.iter().find(|p| p.3.len() != dim) {
        return Err(SensitivityError::Dimension {
            kind,
            id,
            got: w.len(),
            expected: dim,
        });
    }
    Ok(points
        .par_iter()
        .map(|&(kind, id, energy, w)| measure_point(model, kind, id, energy, w, opts))
        .collect())
}

fn measure_point(
    model: &Perceptron,
    kind: PointKind,
    id: i64,
    energy: f64,
    w: &[f64],
    opts: &SensitivityOptions,
) -> PointSensitivity {
    let data = model.data();
    let mut noisy = vec![0.0; data.inputs.len()];
    let kind_tag = match kind {
        PointKind::Minimum => 0,
        PointKind::TransitionState => 1,
    };
    let noisy_accuracy = opts
        .sigmas
        .iter()
        .enumerate()
        .map(|(s, &sigma)| {
            // One stream per (point, noise level): adding a level leaves the others unchanged.
            let mut rng = ChaCha8Rng::seed_from_u64(seed::derive(
                opts.seed,
                &[kind_tag, id as u64, s as u64],
            ));
            let mut total = 0.0;
            for _ in 0..opts.samples {
                for (n, &x) in noisy.iter_mut().zip(&data.inputs) {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    *n = x + sigma * z;
                }
                total += model.accuracy_on(w, &noisy, &data.labels);
            }
            total / opts.samples as f64
        })
        .collect();
    PointSensitivity {
        kind,
        id,
        energy,
        train_accuracy: model.accuracy(w),
        noisy_accuracy,
    }
}

/// One line of the summary: a group of points and its mean accuracies.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityRow {
    /// Minimum or transition state.
    pub kind: PointKind,
    /// Energy band (0 = lowest), or `None` for all points of the kind.
    pub band: Option<usize>,
    /// Lowest and highest energy in the group.
    pub energy_range: (f64, f64),
    /// Number of points.
    pub count: usize,
    /// Mean clean training accuracy.
    pub mean_train_accuracy: f64,
    /// Mean noisy accuracy per noise level.
    pub mean_noisy_accuracy: Vec<f64>,
}

/// Summary by kind and by energy band.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityTable {
    /// The noise levels (column order).
    pub sigmas: Vec<f64>,
    /// Number of energy bands per kind.
    pub bands: usize,
    /// For each kind present: the whole kind, then its bands from lowest energy up.
    pub rows: Vec<SensitivityRow>,
}

/// Groups `points` by kind and, within each kind, into `bands` energy bands of (nearly) equal
/// counts (4 gives quartiles); empty bands are left out.
pub fn summarise(points: &[PointSensitivity], sigmas: &[f64], bands: usize) -> SensitivityTable {
    let mut rows = Vec::new();
    for kind in [PointKind::Minimum, PointKind::TransitionState] {
        let mut group: Vec<&PointSensitivity> = points.iter().filter(|p| p.kind == kind).collect();
        if group.is_empty() {
            continue;
        }
        group.sort_by(|a, b| a.energy.total_cmp(&b.energy));
        rows.push(row(kind, None, &group, sigmas.len()));
        let n = group.len();
        for b in 0..bands {
            let slice = &group[b * n / bands..(b + 1) * n / bands];
            if !slice.is_empty() {
                rows.push(row(kind, Some(b), slice, sigmas.len()));
            }
        }
    }
    SensitivityTable {
        sigmas: sigmas.to_vec(),
        bands,
        rows,
    }
}

fn row(
    kind: PointKind,
    band: Option<usize>,
    group: &[&PointSensitivity],
    n_sigma: usize,
) -> SensitivityRow {
    let n = group.len() as f64;
    let mean_noisy_accuracy = (0..n_sigma)
        .map(|s| {
            group
                .iter()
                .map(|p| p.noisy_accuracy.get(s).copied().unwrap_or(f64::NAN))
                .sum::<f64>()
                / n
        })
        .collect();
    SensitivityRow {
        kind,
        band,
        energy_range: (group[0].energy, group[group.len() - 1].energy),
        count: group.len(),
        mean_train_accuracy: group.iter().map(|p| p.train_accuracy).sum::<f64>() / n,
        mean_noisy_accuracy,
    }
}

impl SensitivityTable {
    /// As a [`Table`]: kind, band, energy range, count, training accuracy, one column per σ.
    pub fn to_table(&self) -> Table {
        let mut header = vec![
            "kind".to_string(),
            "energy band".to_string(),
            "E min".to_string(),
            "E max".to_string(),
            "points".to_string(),
            "train acc".to_string(),
        ];
        header.extend(self.sigmas.iter().map(|s| format!("acc σ={s}")));
        let mut t = Table {
            header,
            rows: Vec::new(),
        };
        for r in &self.rows {
            let band = match r.band {
                None => "all".to_string(),
                Some(b) if self.bands == 4 => format!("Q{}", b + 1),
                Some(b) => format!("{}/{}", b + 1, self.bands),
            };
            let mut cells = vec![
                r.kind.label().to_string(),
                band,
                fmt_f64(r.energy_range.0, 6),
                fmt_f64(r.energy_range.1, 6),
                r.count.to_string(),
                fmt_f64(r.mean_train_accuracy, 3),
            ];
            cells.extend(r.mean_noisy_accuracy.iter().map(|a| fmt_f64(*a, 3)));
            t.rows.push(cells);
        }
        t
    }

    /// Markdown table.
    pub fn to_markdown(&self) -> String {
        self.to_table().to_markdown()
    }

    /// The rows as records, full precision, after a `landscape` column (`sensitivity --format
    /// json|csv`): one row per group and noise level, so the columns do not depend on the σ list.
    /// `band` is null for a whole kind and counts from 1 (lowest energies) otherwise.
    pub fn push_records(&self, landscape: &str, out: &mut Records) {
        for r in &self.rows {
            for (sigma, acc) in self.sigmas.iter().zip(&r.mean_noisy_accuracy) {
                out.push(vec![
                    json!(landscape),
                    json!(r.kind.label()),
                    r.band.map_or(serde_json::Value::Null, |b| json!(b + 1)),
                    json!(self.bands),
                    Records::real(r.energy_range.0),
                    Records::real(r.energy_range.1),
                    json!(r.count),
                    Records::real(r.mean_train_accuracy),
                    Records::real(*sigma),
                    Records::real(*acc),
                ]);
            }
        }
    }

    /// The columns of [`SensitivityTable::push_records`].
    pub fn records() -> Records {
        Records::new([
            "landscape",
            "kind",
            "band",
            "bands",
            "energy_min",
            "energy_max",
            "points",
            "train_accuracy",
            "sigma",
            "noisy_accuracy",
        ])
    }

    /// CSV.
    pub fn to_csv(&self) -> String {
        self.to_table().to_csv()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_model::Dataset;

    /// A hand-made XOR solution: hidden unit 1 ≈ OR, hidden unit 2 ≈ AND, output = OR - AND.
    fn xor_solution() -> Vec<f64> {
        // Layout (n_in 2, n_h 2, n_out 2): W_ih (2x2), W_ho (2x2), b_h (2), b_o (2).
        let s = 10.0;
        vec![s, s, s, s, -s, s, s, -s, -0.5 * s, -1.5 * s, 0.5 * s, 0.0]
    }

    fn point(id: i64, energy: f64, coords: Vec<f64>) -> MinimumInfo {
        MinimumInfo {
            id,
            energy,
            accuracy: 1.0,
            coords,
            ln_prod_positive: 0.0,
            hessian_index: 0,
        }
    }

    fn setup() -> (Perceptron, Vec<MinimumInfo>, Vec<TsInfo>) {
        let model = Perceptron::new(Dataset::xor(), 2, 1e-3).unwrap();
        let minima = vec![point(1, 0.01, xor_solution()), point(2, 0.7, vec![0.0; 12])];
        let ts = vec![TsInfo {
            id: 5,
            energy: 0.4,
            accuracy: 0.5,
            coords: xor_solution().iter().map(|v| v * 0.1).collect(),
            ln_prod_positive: 0.0,
            min1: 1,
            min2: 2,
            degenerate: false,
        }];
        (model, minima, ts)
    }

    #[test]
    fn noise_lowers_accuracy_of_a_solution() {
        let (model, minima, ts) = setup();
        let opts = SensitivityOptions {
            sigmas: vec![0.0, 0.1, 1.0],
            samples: 50,
            seed: 3,
        };
        let r = measure(&model, &minima, &ts, &opts).unwrap();
        assert_eq!(r.len(), 3);
        let sol = &r[0];
        assert_eq!(sol.train_accuracy, 1.0);
        assert_eq!(sol.noisy_accuracy[0], 1.0); // σ = 0 is the clean data
        assert!(sol.noisy_accuracy[1] > 0.9);
        assert!(sol.noisy_accuracy[2] < 0.9);
        assert!(
            r.iter()
                .all(|p| p.noisy_accuracy.iter().all(|a| (0.0..=1.0).contains(a)))
        );
        assert_eq!((r[2].kind, r[2].id), (PointKind::TransitionState, 5));
    }

    #[test]
    fn independent_of_thread_count_and_repeatable() {
        let (model, minima, ts) = setup();
        let opts = SensitivityOptions {
            samples: 20,
            ..SensitivityOptions::default()
        };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| measure(&model, &minima, &ts, &opts).unwrap())
        };
        let one = run(1);
        assert_eq!(one, run(3));
        assert_eq!(one, run(1));
        let other_seed = measure(
            &model,
            &minima,
            &ts,
            &SensitivityOptions {
                seed: 9,
                ..opts.clone()
            },
        )
        .unwrap();
        assert_ne!(one, other_seed);
    }

    #[test]
    fn bad_input_is_an_error() {
        let (model, mut minima, ts) = setup();
        let opts = SensitivityOptions {
            sigmas: vec![-1.0],
            ..SensitivityOptions::default()
        };
        assert_eq!(
            measure(&model, &minima, &ts, &opts),
            Err(SensitivityError::BadSigma(-1.0))
        );
        let opts = SensitivityOptions {
            samples: 0,
            ..SensitivityOptions::default()
        };
        assert_eq!(
            measure(&model, &minima, &ts, &opts),
            Err(SensitivityError::NoSamples)
        );
        minima[1].coords.pop();
        assert!(matches!(
            measure(&model, &minima, &ts, &SensitivityOptions::default()),
            Err(SensitivityError::Dimension {
                id: 2,
                got: 11,
                expected: 12,
                ..
            })
        ));
    }

    #[test]
    fn summary_by_kind_and_band() {
        let pts: Vec<PointSensitivity> = (0..8)
            .map(|i| PointSensitivity {
                kind: if i < 6 {
                    PointKind::Minimum
                } else {
                    PointKind::TransitionState
                },
                id: i,
                energy: 10.0 - i as f64,
                train_accuracy: if i % 2 == 0 { 1.0 } else { 0.5 },
                noisy_accuracy: vec![i as f64 / 10.0],
            })
            .collect();
        let t = summarise(&pts, &[0.1], 4);
        // minima: all + 4 bands (sizes 1,2,1,2); ts: all + 2 non-empty bands.
        assert_eq!(t.rows.len(), 5 + 3);
        let all_min = &t.rows[0];
        assert_eq!((all_min.count, all_min.band), (6, None));
        assert_eq!(all_min.energy_range, (5.0, 10.0));
        assert!((all_min.mean_noisy_accuracy[0] - 0.25).abs() < 1e-12);
        assert_eq!(t.rows[1].energy_range, (5.0, 5.0)); // lowest band holds the lowest energy
        assert_eq!(t.rows[1..5].iter().map(|r| r.count).sum::<usize>(), 6);
        let md = t.to_markdown();
        assert!(
            md.contains("| kind | energy band | E min | E max | points | train acc | acc σ=0.1 |")
        );
        assert!(md.contains("| min | Q1 |"));
        assert!(md.contains("| ts | all |"));
        assert_eq!(t.to_csv().lines().count(), 9);
    }
}
