//! Basins of attraction per optimiser.
//!
//! Which minimum a local optimiser reaches from a given start depends on the optimiser as well
//! as on the landscape: L-BFGS, FIRE and Adam carve the same surface into different basins.
//! [`basins_of_attraction`] quenches one set of seeded random starts with each minimiser,
//! identifies the end points across all minimisers in one shared [`PointSet`] (so symmetry
//! copies count as one minimum), and reports, per minimiser, the fraction of starts that ended
//! in each minimum, the failures, and the evaluations spent.
//!
//! A minimiser's word that it converged is not enough to call an end point a minimum: a
//! gradient method started in a symmetric subspace (two hidden units alike, say) stays in it and
//! can converge to a saddle. Every converged end point is therefore verified by the rule stored
//! points pass ([`losscape_hessian::verify`] on [`losscape_hessian::analyse_checked`]): only an
//! end point of Hessian index 0 without zero modes is a minimum; saddles, degenerate end points
//! and end points whose gradient fails the check are counted apart, per minimiser. This crate
//! depends on losscape-core, losscape-hessian and the seeded random-number generators only: no
//! I/O, no threads, no global state.

#![forbid(unsafe_code)]

use losscape_core::{Convergence, Identity, Landscape, MinimiseError, Minimiser, PointSet, seed};
use losscape_hessian::{Checks, Kind, Rejection, analyse_checked, verify};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One distinct minimum found by any of the minimisers.
#[derive(Debug, Clone, PartialEq)]
pub struct BasinMinimum {
    /// Its energy.
    pub energy: f64,
    /// Coordinates of the first copy found.
    pub coords: Vec<f64>,
}

/// How one minimiser carved the starts into basins.
#[derive(Debug, Clone, PartialEq)]
pub struct MinimiserBasins {
    /// The minimiser's name.
    pub name: String,
    /// `counts[k]`: starts that ended in minimum `k` of [`BasinsReport::minima`].
    pub counts: Vec<usize>,
    /// `fractions[k] = counts[k] / n_starts`.
    pub fractions: Vec<f64>,
    /// Per start, the minimum reached (`None` for a failure).
    pub assignments: Vec<Option<usize>>,
    /// Starts whose minimisation ran out of iterations, or whose end point (the minimiser
    /// said converged) fails the gradient check of the verification or is not finite.
    pub unconverged: usize,
    /// Starts that converged to a saddle: a verified stationary point of Hessian index >= 1.
    pub saddles: usize,
    /// Starts that converged to a stationary point with a zero Hessian eigenvalue, whose index
    /// is undetermined.
    pub degenerate: usize,
    /// Starts whose minimisation returned an error.
    pub errors: usize,
    /// The first error message, if any, for diagnosis.
    pub first_error: Option<String>,
    /// Energy + gradient evaluations over all starts (including failed ones where known).
    pub evaluations: usize,
}

impl MinimiserBasins {
    /// Starts that did not end in a verified minimum (errors, unconverged, saddles and
    /// degenerate end points).
    pub fn failures(&self) -> usize {
        self.errors + self.unconverged + self.saddles + self.degenerate
    }

    /// Fraction of starts that did not end in a minimum.
    pub fn failure_fraction(&self) -> f64 {
        if self.assignments.is_empty() {
            0.0
        } else {
            self.failures() as f64 / self.assignments.len() as f64
        }
    }
}

/// The result of [`basins_of_attraction`].
#[derive(Debug, Clone, PartialEq)]
pub struct BasinsReport {
    /// Number of random starts each minimiser was given.
    pub n_starts: usize,
    /// The distinct minima found by any minimiser, sorted by energy (lowest first).
    pub minima: Vec<BasinMinimum>,
    /// One entry per minimiser, in the order given.
    pub minimisers: Vec<MinimiserBasins>,
}

/// The random starts used by [`basins_of_attraction`]: start `i` has its own stream derived
/// from `seed` and `i` (so a start does not depend on how many others there are), with every
/// coordinate uniform in `[-range, range)`.
pub fn random_starts(dim: usize, n_starts: usize, range: f64, seed: u64) -> Vec<Vec<f64>> {
    (0..n_starts)
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed::derive(seed, &[i as u64]));
            // Mapping a unit sample cannot panic, whatever `range` is (a range sampler would on
            // a negative or NaN width).
            (0..dim)
                .map(|_| range * (2.0 * rng.random::<f64>() - 1.0))
                .collect()
        })
        .collect()
}

/// How the starts are quenched and their end points judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BasinsRule<'a> {
    /// When a quench stops.
    pub stop: &'a Convergence,
    /// When two minima are the same (symmetry-aware via [`Landscape::align`]).
    pub identity: &'a Identity,
    /// What a converged end point must pass to count as a minimum (the stored points' rule).
    pub checks: &'a Checks,
}

/// Quenches the same `n_starts` seeded random starts (see [`random_starts`]) with each
/// minimiser, verifies every converged end point with `rule.checks`, and reports the basin
/// fractions of each minimiser over one shared, energy-sorted list of the verified minima.
pub fn basins_of_attraction(
    landscape: &dyn Landscape,
    minimisers: &[&dyn Minimiser],
    n_starts: usize,
    start_range: f64,
    seed: u64,
    rule: &BasinsRule<'_>,
) -> BasinsReport {
    let starts = random_starts(landscape.dim(), n_starts, start_range, seed);
    let mut found = PointSet::new();
    // Assignments hold PointSet insertion indices until the set is complete.
    let mut per_minimiser: Vec<MinimiserBasins> = minimisers
        .iter()
        .map(|m| quench_starts(landscape, *m, &starts, rule, &mut found))
        .collect();
    let (rank, minima) = rank_by_energy(&found);
    for basins in &mut per_minimiser {
        basins.counts = vec![0; found.len()];
        for a in basins.assignments.iter_mut().flatten() {
            *a = rank[*a];
            basins.counts[*a] += 1;
        }
        basins.fractions = basins
            .counts
            .iter()
            .map(|&c| {
                if n_starts == 0 {
                    0.0
                } else {
                    c as f64 / n_starts as f64
                }
            })
            .collect();
    }
    BasinsReport {
        n_starts,
        minima,
        minimisers: per_minimiser,
    }
}

/// Quenches every start with `m`; end points verified as minima go into `found`, and each
/// start's assignment is the insertion index of its end point there (`None`: not converged,
/// error, saddle or degenerate).
fn quench_starts(
    landscape: &dyn Landscape,
    m: &dyn Minimiser,
    starts: &[Vec<f64>],
    rule: &BasinsRule<'_>,
    found: &mut PointSet,
) -> MinimiserBasins {
    let mut x = vec![0.0; landscape.dim()];
    let mut basins = MinimiserBasins {
        name: m.name().to_owned(),
        counts: Vec::new(),
        fractions: Vec::new(),
        assignments: Vec::with_capacity(starts.len()),
        unconverged: 0,
        saddles: 0,
        degenerate: 0,
        errors: 0,
        first_error: None,
        evaluations: 0,
    };
    for start in starts {
        x.copy_from_slice(start);
        let assignment = match m.minimise(landscape, &mut x, rule.stop) {
            Ok(out) => {
                basins.evaluations += out.evaluations;
                if !out.converged {
                    basins.unconverged += 1;
                    None
                } else {
                    let analysis = analyse_checked(landscape, &x, rule.checks, None);
                    match verify(&analysis, Kind::Minimum, rule.checks) {
                        Ok(()) => Some(found.insert(landscape, rule.identity, out.energy, &x).0),
                        Err(Rejection::WrongIndex { .. }) => {
                            basins.saddles += 1;
                            None
                        }
                        Err(Rejection::ZeroEigenvalue { .. }) => {
                            basins.degenerate += 1;
                            None
                        }
                        Err(Rejection::GradientTooLarge { .. } | Rejection::NonFinite) => {
                            basins.unconverged += 1;
                            None
                        }
                    }
                }
            }
            Err(e) => {
                if let MinimiseError::NonFinite { evaluations } = e {
                    basins.evaluations += evaluations;
                }
                basins.errors += 1;
                basins.first_error.get_or_insert_with(|| e.to_string());
                None
            }
        };
        basins.assignments.push(assignment);
    }
    basins
}

/// The rank of every found minimum by energy (ties by discovery order, so the result is
/// deterministic), indexed by insertion index, and the minima in rank order.
fn rank_by_energy(found: &PointSet) -> (Vec<usize>, Vec<BasinMinimum>) {
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by(|&a, &b| found.energy(a).total_cmp(&found.energy(b)).then(a.cmp(&b)));
    let mut rank = vec![0; found.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    let minima = order
        .iter()
        .map(|&i| BasinMinimum {
            energy: found.energy(i),
            coords: found.point(i).to_vec(),
        })
        .collect();
    (rank, minima)
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_core::surfaces::{DoubleWell, FourWell, MullerBrown};
    use losscape_core::{QuenchOutcome, vec};

    /// Steepest descent with a fixed step factor and a cap on the step length.
    struct Descent {
        name: &'static str,
        factor: f64,
        cap: f64,
    }

    impl Minimiser for Descent {
        fn name(&self) -> &str {
            self.name
        }
        fn minimise(
            &self,
            l: &dyn Landscape,
            x: &mut [f64],
            stop: &Convergence,
        ) -> Result<QuenchOutcome, MinimiseError> {
            let mut g = vec![0.0; x.len()];
            let mut energy = l.energy_gradient(x, &mut g);
            let mut iterations = 0;
            while vec::rms(&g) > stop.rms_gradient && iterations < stop.max_iterations {
                let len = self.factor * vec::norm(&g);
                let alpha = if len > self.cap { self.cap / len } else { 1.0 };
                vec::axpy(-alpha * self.factor, &g, x);
                energy = l.energy_gradient(x, &mut g);
                iterations += 1;
                if !energy.is_finite() {
                    return Err(MinimiseError::NonFinite {
                        evaluations: iterations + 1,
                    });
                }
            }
            let rms_gradient = vec::rms(&g);
            Ok(QuenchOutcome {
                energy,
                rms_gradient,
                iterations,
                evaluations: iterations + 1,
                converged: rms_gradient <= stop.rms_gradient,
            })
        }
    }

    /// Fails on every start with x[0] > 0.
    struct HalfBroken;

    impl Minimiser for HalfBroken {
        fn name(&self) -> &str {
            "half-broken"
        }
        fn minimise(
            &self,
            l: &dyn Landscape,
            x: &mut [f64],
            stop: &Convergence,
        ) -> Result<QuenchOutcome, MinimiseError> {
            if x[0] > 0.0 {
                return Err(MinimiseError::External {
                    name: "half-broken".into(),
                    message: "no".into(),
                });
            }
            Descent {
                name: "",
                factor: 0.05,
                cap: 0.1,
            }
            .minimise(l, x, stop)
        }
    }

    /// The stored points' checks, with the gradient limit of the quenches' own stop.
    fn checks_for(stop: &Convergence) -> Checks {
        Checks {
            rms_gradient: stop.rms_gradient,
            ..Checks::default()
        }
    }

    const STOP: Convergence = Convergence {
        rms_gradient: 1e-9,
        max_iterations: 20_000,
    };

    #[test]
    fn four_well_basins_are_the_quadrants() {
        let small = Descent {
            name: "small",
            factor: 0.02,
            cap: 0.1,
        };
        let large = Descent {
            name: "large",
            factor: 0.05,
            cap: 0.3,
        };
        let (n, r, seed) = (200, 2.0, 7);
        let report = basins_of_attraction(
            &FourWell,
            &[&small, &large],
            n,
            r,
            seed,
            &BasinsRule {
                stop: &STOP,
                identity: &Identity::default(),
                checks: &checks_for(&STOP),
            },
        );
        assert_eq!(report.n_starts, n);
        assert_eq!(report.minima.len(), 4);
        for m in &report.minima {
            assert!(m.energy.abs() < 1e-12);
            assert!(
                m.coords.iter().all(|c| (c.abs() - 1.0).abs() < 1e-6),
                "{m:?}"
            );
        }
        // Steps never cross an axis from [-2, 2] (factor * 4|x|(x²-1) < |x|), so every start
        // ends in the corner of its own quadrant.
        let starts = random_starts(2, n, r, seed);
        for basins in &report.minimisers {
            assert_eq!(basins.failures(), 0);
            for (start, a) in starts.iter().zip(&basins.assignments) {
                let corner = &report.minima[a.expect("converged")].coords;
                assert_eq!(corner[0].signum(), start[0].signum());
                assert_eq!(corner[1].signum(), start[1].signum());
            }
            assert_eq!(basins.counts.iter().sum::<usize>(), n);
            assert!((basins.fractions.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(basins.evaluations > n);
        }
        assert_eq!(report.minimisers[0].counts, report.minimisers[1].counts);
        // Uniform starts: each quadrant gets a fair share.
        assert!(
            report.minimisers[0]
                .fractions
                .iter()
                .all(|&f| (0.15..0.35).contains(&f))
        );
    }

    #[test]
    fn muller_brown_minima_are_shared_and_sorted() {
        let careful = Descent {
            name: "careful",
            factor: 1e-4,
            cap: 0.01,
        };
        let bold = Descent {
            name: "bold",
            factor: 1e-4,
            cap: 0.2,
        };
        let stop = Convergence {
            rms_gradient: 1e-6,
            max_iterations: 50_000,
        };
        let report = basins_of_attraction(
            &MullerBrown,
            &[&careful, &bold],
            60,
            1.0,
            3,
            &BasinsRule {
                stop: &stop,
                identity: &Identity::default(),
                checks: &checks_for(&stop),
            },
        );
        let energies: Vec<f64> = report.minima.iter().map(|m| m.energy).collect();
        assert_eq!(energies.len(), 3, "{energies:?}");
        for (e, want) in energies.iter().zip([-146.6995, -108.1667, -80.7678]) {
            assert!((e - want).abs() < 1e-3, "{energies:?}");
        }
        for basins in &report.minimisers {
            assert_eq!(basins.failures(), 0, "{}", basins.name);
            assert!(
                basins.counts.iter().all(|&c| c > 0),
                "{}: {:?}",
                basins.name,
                basins.counts
            );
        }
        assert_eq!(report.minimisers[1].name, "bold");
    }

    #[test]
    fn failures_are_counted_and_symmetric_copies_merged() {
        let good = Descent {
            name: "good",
            factor: 0.05,
            cap: 0.1,
        };
        let stop = Convergence {
            rms_gradient: 1e-9,
            max_iterations: 10_000,
        };
        let id = Identity::default();
        let report = basins_of_attraction(
            &DoubleWell::mirrored(),
            &[&good, &HalfBroken],
            50,
            2.0,
            11,
            &BasinsRule {
                stop: &stop,
                identity: &id,
                checks: &checks_for(&stop),
            },
        );
        // The mirror makes (±1, 0) one structure.
        assert_eq!(report.minima.len(), 1);
        assert_eq!(report.minimisers[0].counts, vec![50]);
        let broken = &report.minimisers[1];
        let positive = random_starts(2, 50, 2.0, 11)
            .iter()
            .filter(|s| s[0] > 0.0)
            .count();
        assert_eq!(broken.errors, positive);
        assert_eq!(broken.counts, vec![50 - positive]);
        assert!((broken.failure_fraction() - positive as f64 / 50.0).abs() < 1e-12);
        assert!(
            broken
                .first_error
                .as_deref()
                .is_some_and(|m| m.contains("half-broken"))
        );

        // Without the symmetry the two wells are distinct minima.
        let report = basins_of_attraction(
            &DoubleWell::default(),
            &[&good],
            50,
            2.0,
            11,
            &BasinsRule {
                stop: &stop,
                identity: &id,
                checks: &checks_for(&stop),
            },
        );
        assert_eq!(report.minima.len(), 2);
        let tight = Convergence {
            rms_gradient: 1e-9,
            max_iterations: 2,
        };
        let report = basins_of_attraction(
            &DoubleWell::default(),
            &[&good],
            10,
            2.0,
            11,
            &BasinsRule {
                stop: &tight,
                identity: &id,
                checks: &checks_for(&tight),
            },
        );
        assert_eq!(report.minimisers[0].unconverged, 10);
        assert!(report.minima.is_empty());
    }

    /// Descent confined to the line x = 0: the gradient across it vanishes there, so it
    /// converges to a saddle of the four-well surface, as a network's gradient descent started
    /// with two hidden units alike stays in that subspace.
    struct OnAxis;

    impl Minimiser for OnAxis {
        fn name(&self) -> &str {
            "on-axis"
        }
        fn minimise(
            &self,
            l: &dyn Landscape,
            x: &mut [f64],
            stop: &Convergence,
        ) -> Result<QuenchOutcome, MinimiseError> {
            x[0] = 0.0;
            Descent {
                name: "",
                factor: 0.05,
                cap: 0.3,
            }
            .minimise(l, x, stop)
        }
    }

    #[test]
    fn converged_saddles_are_counted_as_saddles_not_minima() {
        let good = Descent {
            name: "good",
            factor: 0.05,
            cap: 0.3,
        };
        let id = Identity::default();
        let checks = checks_for(&STOP);
        let rule = BasinsRule {
            stop: &STOP,
            identity: &id,
            checks: &checks,
        };
        let report = basins_of_attraction(&FourWell, &[&OnAxis, &good], 40, 2.0, 9, &rule);
        // Only the descent's four corners are minima; the saddles (0, ±1) are not among them.
        assert_eq!(report.minima.len(), 4, "{:?}", report.minima);
        assert!(report.minima.iter().all(|m| m.coords[0].abs() > 0.5));
        let on_axis = &report.minimisers[0];
        assert_eq!(on_axis.saddles, 40, "{on_axis:?}");
        assert_eq!(
            (on_axis.unconverged, on_axis.errors, on_axis.degenerate),
            (0, 0, 0)
        );
        assert!(on_axis.counts.iter().all(|&c| c == 0));
        assert!(on_axis.assignments.iter().all(Option::is_none));
        assert_eq!(on_axis.failures(), 40);
        assert_eq!(report.minimisers[1].failures(), 0);
    }

    #[test]
    fn starts_are_seeded_in_range_and_prefix_stable() {
        let a = random_starts(3, 20, 1.5, 42);
        assert_eq!(a, random_starts(3, 20, 1.5, 42));
        assert_ne!(a, random_starts(3, 20, 1.5, 43));
        assert_eq!(a[..5], random_starts(3, 5, 1.5, 42)[..]);
        assert!(a.iter().flatten().all(|c| (-1.5..1.5).contains(c)));
        // A negative range cannot panic; it spans the same interval.
        assert!(
            random_starts(2, 5, -1.0, 1)
                .iter()
                .flatten()
                .all(|c| c.abs() <= 1.0)
        );
    }

    #[test]
    fn reports_are_deterministic() {
        let m = Descent {
            name: "d",
            factor: 0.05,
            cap: 0.2,
        };
        let run = || {
            basins_of_attraction(
                &FourWell,
                &[&m],
                30,
                2.0,
                5,
                &BasinsRule {
                    stop: &STOP,
                    identity: &Identity::default(),
                    checks: &checks_for(&STOP),
                },
            )
        };
        assert_eq!(run(), run());
        let empty = basins_of_attraction(
            &FourWell,
            &[&m],
            0,
            2.0,
            5,
            &BasinsRule {
                stop: &STOP,
                identity: &Identity::default(),
                checks: &checks_for(&STOP),
            },
        );
        assert!(empty.minima.is_empty() && empty.minimisers[0].fractions.is_empty());
    }
}
