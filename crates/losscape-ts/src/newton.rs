//! Stationary points of any Hessian index: Newton's method on `∇E = 0` with a trust region.
//!
//! Minimisers find minima and eigenvector-following finds index-1 saddles; a census that is to
//! be checked against the Morse relation (docs/model.md, "The Morse census and saturation") needs every critical point, whatever
//! its index. Newton's method on the gradient converges to whichever stationary point is near,
//! so many starts sample all of them. Each iteration diagonalises the exact Hessian `H` and
//! takes the Levenberg–Marquardt step `h = -Σ λᵢ Fᵢ / (λᵢ² + μ) vᵢ` (`Fᵢ = g·vᵢ`) for the
//! merit `½|g|²`: `μ = 0` (the Newton step) when it fits the trust radius, otherwise the `μ`
//! that puts it on the radius. The radius follows the agreement of the actual and the
//! Gauss–Newton-predicted decrease of the merit. Because the step is built from `g` and `H`
//! alone, a start on a symmetric subspace (a dead hidden unit, two equal units) stays on it,
//! which is how the saddles inside those subspaces are reached on purpose.

use losscape_core::ParamError;
use losscape_core::param::{at_least, positive};
use losscape_core::{Landscape, vec};
use losscape_hessian::{Analysis, analyse};
use serde::{Deserialize, Serialize};

/// Newton census settings. `Default` holds the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewtonParams {
    /// Converged once the RMS gradient is at or below this.
    pub rms_gradient: f64,
    /// Iteration budget (one Hessian diagonalisation each).
    pub max_iterations: usize,
    /// Trust radius at the start.
    pub initial_trust: f64,
    /// Largest trust radius.
    pub max_trust: f64,
    /// A converged point with a Hessian eigenvalue of magnitude below this is refined further
    /// ([`refine`]): a point converged to RMS gradient `g` is known only to about `g / |λ|`
    /// along a mode of curvature `λ`, so at small λ (soft modes of 1e-8 at λ = 1e-5) one
    /// symmetry orbit could otherwise be stored twice, or a soft mode judged zero.
    pub refine_below: f64,
}

impl Default for NewtonParams {
    fn default() -> Self {
        Self {
            rms_gradient: 1e-11,
            max_iterations: 300,
            initial_trust: 0.2,
            max_trust: 1.0,
            refine_below: 1e-4,
        }
    }
}

impl NewtonParams {
    /// Checks every field; the message names the key and the allowed values.
    pub fn validate(&self) -> Result<(), ParamError> {
        positive("rms_gradient", self.rms_gradient)?;
        positive("initial_trust", self.initial_trust)?;
        positive("max_trust", self.max_trust)?;
        positive("refine_below", self.refine_below)?;
        if self.initial_trust > self.max_trust {
            return Err(ParamError::new(
                "initial_trust",
                format!(
                    "must be <= max_trust ({}) (got {})",
                    self.max_trust, self.initial_trust
                ),
            ));
        }
        at_least("max_iterations", self.max_iterations, 1)
    }
}

/// A converged stationary point (not yet verified: it may have zero modes).
#[derive(Debug, Clone, PartialEq)]
pub struct StationaryPoint {
    /// Coordinates.
    pub coords: Vec<f64>,
    /// Hessian analysis at `coords`.
    pub analysis: Analysis,
    /// Iterations used.
    pub iterations: usize,
}

/// Why a Newton search found no stationary point.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NewtonFailure {
    /// The parameters are invalid.
    #[error("invalid Newton parameters: {0}")]
    Params(losscape_core::ParamError),
    /// The start point does not match the landscape dimension.
    #[error("start point has length {got}, the landscape needs {expected}")]
    Dimension {
        /// Landscape dimension.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// The budget ran out.
    #[error("no convergence in {iterations} iterations (RMS gradient {rms_gradient:e})")]
    Budget {
        /// Iterations used.
        iterations: usize,
        /// RMS gradient at the last point.
        rms_gradient: f64,
    },
    /// The trust radius collapsed: a local minimum of `|g|²` that is not a stationary point.
    #[error("stalled at RMS gradient {rms_gradient:e} (a minimum of |g|, not a zero)")]
    Stalled {
        /// RMS gradient where it stalled.
        rms_gradient: f64,
    },
    /// A saddle-to-saddle search moved farther from its source than allowed
    /// ([`crate::ladder::LadderParams::max_distance`]): nothing stationary lay ahead.
    #[error("ran off to distance {distance:.3e} from its source")]
    RanOff {
        /// Distance from the source when it stopped.
        distance: f64,
    },
    /// A saddle-to-saddle search went back and forth without reaching a new low of the
    /// gradient ([`crate::ladder::LadderParams::patience`]).
    #[error("wandered without progress (RMS gradient {rms_gradient:e})")]
    Wandering {
        /// RMS gradient when it was given up.
        rms_gradient: f64,
    },
    /// Energy, gradient or Hessian became NaN or infinite (the search ran off).
    #[error("non-finite energy, gradient or Hessian after {iterations} iterations")]
    NonFinite {
        /// Iterations completed.
        iterations: usize,
    },
}

/// The RMS gradient [`refine`] aims at: the limit of double precision for these losses.
const REFINED_RMS_GRADIENT: f64 = 1e-15;

/// Refines a converged point that has a soft Hessian mode (`|λ| < params.refine_below`) by
/// more Newton iterations towards [`REFINED_RMS_GRADIENT`], and returns the refined point if
/// that converged; otherwise (no soft mode, or the refinement stalled within the tiny region
/// where Newton's model holds) the point as it was.
pub fn refine(
    l: &dyn Landscape,
    p: StationaryPoint,
    params: &NewtonParams,
    zero_tolerance: f64,
) -> StationaryPoint {
    let soft = p
        .analysis
        .spectrum
        .values
        .iter()
        .any(|v| v.abs() < params.refine_below);
    if !soft || p.analysis.rms_gradient <= REFINED_RMS_GRADIENT {
        return p;
    }
    let tight = NewtonParams {
        rms_gradient: REFINED_RMS_GRADIENT,
        max_iterations: 30,
        ..*params
    };
    match solve(l, &p.coords, &tight, zero_tolerance) {
        Ok(r) => StationaryPoint {
            iterations: p.iterations + r.iterations,
            ..r
        },
        Err(_) => p,
    }
}

/// Smallest trust radius before the search is declared stalled.
const MIN_TRUST: f64 = 1e-12;

/// Solves `∇E = 0` from `x0`.
pub fn solve(
    l: &dyn Landscape,
    x0: &[f64],
    params: &NewtonParams,
    zero_tolerance: f64,
) -> Result<StationaryPoint, NewtonFailure> {
    params.validate().map_err(NewtonFailure::Params)?;
    let n = l.dim();
    if x0.len() != n {
        return Err(NewtonFailure::Dimension {
            expected: n,
            got: x0.len(),
        });
    }
    let mut x = x0.to_vec();
    let mut trial = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut f = vec![0.0; n];
    let mut step = vec![0.0; n];
    let mut trust = params.initial_trust;
    let mut a = analyse(l, &x, zero_tolerance);
    for iteration in 0..params.max_iterations {
        if !a.is_finite() {
            return Err(NewtonFailure::NonFinite {
                iterations: iteration,
            });
        }
        if a.rms_gradient <= params.rms_gradient {
            return Ok(StationaryPoint {
                coords: x,
                analysis: a,
                iterations: iteration,
            });
        }
        l.energy_gradient(&x, &mut g);
        let values = &a.spectrum.values;
        for (i, fi) in f.iter_mut().enumerate() {
            *fi = vec::dot(&g, a.spectrum.vector(i));
        }
        let merit = 0.5 * vec::dot(&g, &g);
        // Inner loop: shrink the radius until a step lowers the merit.
        loop {
            let mu = damping(values, &f, trust);
            let model = damped_step(&a, &f, mu, &mut step);
            trial.copy_from_slice(&x);
            vec::axpy(1.0, &step, &mut trial);
            l.energy_gradient(&trial, &mut g);
            let new_merit = 0.5 * vec::dot(&g, &g);
            let ratio = merit_ratio(merit, new_merit, model);
            trust = next_trust(trust, ratio, vec::norm(&step), params.max_trust);
            if new_merit.is_finite() && new_merit < merit {
                std::mem::swap(&mut x, &mut trial);
                break;
            }
            if trust < MIN_TRUST {
                return Err(NewtonFailure::Stalled {
                    rms_gradient: a.rms_gradient,
                });
            }
        }
        a = analyse(l, &x, zero_tolerance);
    }
    if a.is_finite() && a.rms_gradient <= params.rms_gradient {
        return Ok(StationaryPoint {
            coords: x,
            analysis: a,
            iterations: params.max_iterations,
        });
    }
    Err(NewtonFailure::Budget {
        iterations: params.max_iterations,
        rms_gradient: a.rms_gradient,
    })
}

/// Writes the Levenberg–Marquardt step with damping `mu` into `step`, composed in the
/// eigenbasis of `a` from the gradient components `f`, and returns the Gauss–Newton model's
/// merit `½|∇E|²` after it.
fn damped_step(a: &Analysis, f: &[f64], mu: f64, step: &mut [f64]) -> f64 {
    let values = &a.spectrum.values;
    step.fill(0.0);
    let mut model = 0.0;
    for i in 0..values.len().min(f.len()) {
        let c = -values[i] * f[i] / (values[i] * values[i] + mu);
        let r = f[i] + values[i] * c;
        model += 0.5 * r * r;
        vec::axpy(c, a.spectrum.vector(i), step);
    }
    model
}

/// Actual over predicted decrease of the merit (-1 when the model predicts no decrease).
fn merit_ratio(merit: f64, new_merit: f64, model: f64) -> f64 {
    let predicted = merit - model;
    if predicted > 0.0 {
        (merit - new_merit) / predicted
    } else {
        -1.0
    }
}

/// The trust radius after a step of `length` whose merit decrease was `ratio` of the
/// predicted one: doubled (up to `max_trust`) after a good step that hit the radius, cut to a
/// quarter of the step after a poor one, unchanged otherwise.
fn next_trust(trust: f64, ratio: f64, length: f64, max_trust: f64) -> f64 {
    if ratio > 0.75 && length >= 0.99 * trust {
        (2.0 * trust).min(max_trust)
    } else if ratio <= 0.25 || ratio.is_nan() {
        0.25 * length.min(trust)
    } else {
        trust
    }
}

/// The Levenberg–Marquardt parameter `μ >= 0` whose step `-Σ λᵢFᵢ/(λᵢ²+μ) vᵢ` has length at
/// most `trust`: 0 when the Newton step fits, else found by bisection on `log μ` (the length
/// falls monotonically as `μ` grows).
fn damping(values: &[f64], f: &[f64], trust: f64) -> f64 {
    let length = |mu: f64| -> f64 {
        values
            .iter()
            .zip(f)
            .map(|(&l, &fi)| {
                let d = l * l + mu;
                if d > 0.0 { (l * fi / d).powi(2) } else { 0.0 }
            })
            .sum::<f64>()
            .sqrt()
    };
    let newton = length(0.0);
    if newton.is_finite() && newton <= trust {
        return 0.0;
    }
    let (mut lo, mut hi) = (1e-300_f64, 1.0_f64);
    while length(hi) > trust && hi < 1e300 {
        hi *= 100.0;
    }
    for _ in 0..200 {
        let mid = (lo * hi).sqrt();
        if length(mid) > trust {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi / lo < 1.0 + 1e-6 {
            break;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_core::surfaces::{DoubleWell, MullerBrown};

    #[test]
    fn finds_the_double_well_saddle_and_minima() {
        let l = DoubleWell::default();
        let near_saddle = solve(&l, &[0.1, 0.05], &NewtonParams::default(), 1e-9).unwrap();
        assert_eq!(near_saddle.analysis.index, 1);
        let near_min = solve(&l, &[0.8, 0.1], &NewtonParams::default(), 1e-9).unwrap();
        assert_eq!(near_min.analysis.index, 0);
    }

    #[test]
    fn muller_brown_from_a_grid_finds_all_five_points() {
        // The three minima and two saddles known from the literature.
        let l = MullerBrown;
        let mut found: Vec<(f64, usize)> = Vec::new();
        for i in 0..15 {
            for j in 0..15 {
                let x0 = [-1.5 + 2.5 * i as f64 / 14.0, -0.5 + 2.5 * j as f64 / 14.0];
                if let Ok(p) = solve(&l, &x0, &NewtonParams::default(), 1e-9) {
                    let e = p.analysis.energy;
                    if !found.iter().any(|(f, _)| (f - e).abs() < 1e-6) {
                        found.push((e, p.analysis.index));
                    }
                }
            }
        }
        for (e, index) in [
            (-146.70, 0),
            (-108.17, 0),
            (-80.77, 0),
            (-72.25, 1),
            (-40.66, 1),
        ] {
            assert!(
                found.iter().any(|f| (f.0 - e).abs() < 0.01 && f.1 == index),
                "{e} (index {index}) not among {found:?}"
            );
        }
    }

    #[test]
    fn stays_on_a_symmetric_subspace() {
        // The double well is mirror-symmetric in y; a start with y = 0 keeps y = 0 exactly.
        let l = DoubleWell::default();
        let p = solve(&l, &[0.3, 0.0], &NewtonParams::default(), 1e-9).unwrap();
        assert_eq!(p.coords[1], 0.0);
    }

    #[test]
    fn a_point_with_a_soft_mode_is_refined_to_where_it_really_is() {
        // Curvature 2e-6 across: converged to RMS gradient 1e-11, y is still off by ~5e-6.
        let l = DoubleWell {
            k: 1e-6,
            mirror: false,
        };
        let params = NewtonParams::default();
        let rough = StationaryPoint {
            coords: vec![1.0, 4e-6],
            analysis: analyse(&l, &[1.0, 4e-6], 1e-9),
            iterations: 0,
        };
        assert!(rough.analysis.rms_gradient <= params.rms_gradient);
        let fine = refine(&l, rough.clone(), &params, 1e-9);
        assert!(fine.coords[1].abs() < 1e-9, "{:?}", fine.coords);
        assert!(fine.analysis.rms_gradient <= 1e-15);
        // A point without a soft mode is left as it is.
        let stiff = solve(&DoubleWell::default(), &[0.9, 0.5], &params, 1e-9).unwrap();
        assert_eq!(
            refine(&DoubleWell::default(), stiff.clone(), &params, 1e-9),
            stiff
        );
    }

    #[test]
    fn invalid_parameters_are_reported() {
        let bad = NewtonParams {
            initial_trust: 2.0,
            ..NewtonParams::default()
        };
        assert!(bad.validate().unwrap_err().key == "initial_trust");
    }
}
