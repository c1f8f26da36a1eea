//! Eigenvector-following (Munro & Wales, Phys. Rev. B 59, 3969, 1999).
//!
//! Each macro-iteration diagonalises the Hessian and steps uphill along one eigenvector (the
//! lowest, or while the Hessian is still positive definite the one a guide direction selects)
//! and downhill along all the others. Along a mode with gradient component F and curvature ev
//! the step is `h = 2F / (|ev| (1 + sqrt(1 + 4F²/ev²)))` (uphill: the sign of F; downhill: the
//! opposite), which stays bounded on flat modes; along the followed mode while its eigenvalue is
//! still positive (climbing out of a well) it is a full trust-radius step uphill. The whole
//! step is capped by a trust radius that grows after steps whose energy change the local
//! quadratic model predicted well and shrinks after the others. With
//! [`EfParams::tangent_iterations`] > 0 a few iterations of any [`Minimiser`] on the
//! [`Restricted`] landscape that hides the followed eigenvector follow each step: the hybrid
//! method, meant for systems too large to diagonalise; on these small landscapes the full
//! eigenbasis is already at hand and converges far more often.
//!
//! A point is returned only after [`losscape_hessian::verify`] accepts it as a transition state.

use losscape_core::{Convergence, Landscape, MinimiseError, Minimiser, Restricted, vec};
use losscape_hessian::{Analysis, Checks, Kind, Rejection, analyse, verify};
use serde::{Deserialize, Serialize};

use crate::dneb::positive;

/// Eigenvector-following settings. `Default` holds the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EfParams {
    /// Converged once the RMS gradient is at or below this (and the index is 1).
    pub rms_gradient: f64,
    /// Macro-iteration budget (one Hessian diagonalisation each).
    pub max_iterations: usize,
    /// Largest uphill step (upper bound of the trust radius).
    pub max_uphill_step: f64,
    /// Trust radius at the start.
    pub initial_uphill_step: f64,
    /// Minimiser iterations in the tangent space after each macro-iteration's
    /// eigenvector-following step (the hybrid method of Munro & Wales); 0, the default, takes
    /// the downhill steps in the Hessian's eigenbasis instead, which converges far more often
    /// on these small landscapes.
    pub tangent_iterations: usize,
}

impl Default for EfParams {
    fn default() -> Self {
        Self {
            rms_gradient: 1e-10,
            max_iterations: 200,
            max_uphill_step: 0.5,
            initial_uphill_step: 0.1,
            tangent_iterations: 0,
        }
    }
}

impl EfParams {
    /// Checks every field; the message names the key and the allowed values.
    pub fn validate(&self) -> Result<(), String> {
        positive("rms_gradient", self.rms_gradient)?;
        positive("max_uphill_step", self.max_uphill_step)?;
        positive("initial_uphill_step", self.initial_uphill_step)?;
        if self.initial_uphill_step > self.max_uphill_step {
            return Err(format!(
                "initial_uphill_step = {}: must be <= max_uphill_step ({})",
                self.initial_uphill_step, self.max_uphill_step
            ));
        }
        if self.max_iterations < 1 {
            return Err("max_iterations = 0: must be >= 1".into());
        }
        Ok(())
    }
}

/// A verified transition state.
#[derive(Debug, Clone, PartialEq)]
pub struct TsFound {
    /// Coordinates.
    pub coords: Vec<f64>,
    /// Energy.
    pub energy: f64,
    /// Hessian analysis at `coords` (index 1, no zero modes).
    pub analysis: Analysis,
    /// Macro-iterations used.
    pub iterations: usize,
}

/// Why eigenvector-following produced no transition state.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EfFailure {
    /// The parameters are invalid.
    #[error("invalid EF parameters: {0}")]
    Params(String),
    /// The start point does not match the landscape dimension.
    #[error("start point has length {got}, the landscape needs {expected}")]
    Dimension {
        /// Landscape dimension.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// The budget ran out; `index` is the Hessian index at the last point (0: the followed
    /// mode climbed a wall without meeting negative curvature, as stiff modes of a coercive
    /// loss do; >= 2: wandering among higher saddles).
    #[error("{}", budget_message(*iterations, *rms_gradient, *index))]
    Budget {
        /// Macro-iterations used.
        iterations: usize,
        /// RMS gradient at the last point.
        rms_gradient: f64,
        /// Hessian index at the last point.
        index: usize,
    },
    /// Converged to a stationary point of the wrong index (a higher-order saddle).
    #[error("converged to a stationary point of index {index}")]
    WrongIndex {
        /// Hessian index.
        index: usize,
    },
    /// Converged, but the point failed verification (zero modes, for example).
    #[error("converged point rejected: {0}")]
    Rejected(Rejection),
    /// Energy, gradient or Hessian became NaN or infinite.
    #[error("non-finite energy, gradient or Hessian after {iterations} iterations")]
    NonFinite {
        /// Macro-iterations completed.
        iterations: usize,
    },
    /// The tangent-space minimiser failed.
    #[error("tangent-space minimisation failed: {0}")]
    Minimiser(MinimiseError),
}

fn budget_message(iterations: usize, rms_gradient: f64, index: usize) -> String {
    let why = match index {
        0 => "the followed mode met no negative curvature",
        1 => "near a saddle but not converged",
        _ => "among higher-index saddles",
    };
    format!(
        "no convergence in {iterations} iterations ({why}; RMS gradient {rms_gradient:e}, index {index})"
    )
}

/// The eigenvector-following step along one eigendirection with gradient component `f` and
/// curvature `ev`: `2F / (|ev| (1 + sqrt(1 + 4F²/ev²)))`, uphill (the sign of `f`). Bounded by
/// `|f| / |ev|` on stiff modes and by 1 on flat ones.
fn rfo_step(f: f64, ev: f64) -> f64 {
    if f == 0.0 {
        return 0.0;
    }
    let e = ev.abs();
    if e == 0.0 {
        return f.signum();
    }
    2.0 * f / (e * (1.0 + (1.0 + 4.0 * f * f / (ev * ev)).sqrt()))
}

/// Refines `x0` into a transition state, always following the lowest Hessian eigenvector.
pub fn run(
    l: &dyn Landscape,
    minimiser: &dyn Minimiser,
    x0: &[f64],
    params: &EfParams,
    checks: &Checks,
) -> Result<TsFound, EfFailure> {
    run_guided(l, minimiser, x0, None, params, checks)
}

/// Like [`run`], but while the Hessian has no negative eigenvalue the uphill step follows the
/// eigenvector with the largest overlap with `guide` (tracked from step to step) instead of the
/// lowest one. This is what makes a single-ended search from a minimum climb along the mode it
/// was started on. `guide` need not be normalised.
pub fn run_guided(
    l: &dyn Landscape,
    minimiser: &dyn Minimiser,
    x0: &[f64],
    guide: Option<&[f64]>,
    params: &EfParams,
    checks: &Checks,
) -> Result<TsFound, EfFailure> {
    params.validate().map_err(EfFailure::Params)?;
    let n = l.dim();
    if x0.len() != n {
        return Err(EfFailure::Dimension {
            expected: n,
            got: x0.len(),
        });
    }
    if let Some(gd) = guide
        && gd.len() != n
    {
        return Err(EfFailure::Dimension {
            expected: n,
            got: gd.len(),
        });
    }
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut step = vec![0.0; n];
    let mut tracked: Option<Vec<f64>> = guide.map(|gd| {
        let mut t = gd.to_vec();
        let norm = vec::norm(&t);
        if norm > 0.0 {
            vec::scale(1.0 / norm, &mut t);
        }
        t
    });
    let mut trust = params.initial_uphill_step;
    let tangent_stop = Convergence {
        rms_gradient: params.rms_gradient,
        max_iterations: params.tangent_iterations,
    };
    let mut last = (f64::NAN, 0);

    for iteration in 0..params.max_iterations {
        let a = analyse(l, &x, checks.zero_eigenvalue);
        if !a.is_finite() {
            return Err(EfFailure::NonFinite {
                iterations: iteration,
            });
        }
        last = (a.rms_gradient, a.index);
        if a.rms_gradient <= params.rms_gradient {
            if a.index == 1 && a.zero_modes == 0 {
                return match verify(&a, Kind::TransitionState, checks) {
                    Ok(()) => Ok(TsFound {
                        energy: a.energy,
                        coords: x,
                        analysis: a,
                        iterations: iteration,
                    }),
                    Err(r) => Err(EfFailure::Rejected(r)),
                };
            }
            if a.zero_modes > 0 {
                return Err(EfFailure::Rejected(Rejection::ZeroEigenvalue {
                    value: a.lowest_eigenvalue,
                }));
            }
            if a.index >= 2 {
                return Err(EfFailure::WrongIndex { index: a.index });
            }
            // Index 0 at a stationary point: a minimum. Keep climbing out of it below.
        }

        // Which eigenvector to climb along.
        let k = match (&mut tracked, a.index) {
            (Some(t), 0) => {
                let k = (0..n)
                    .max_by(|&i, &j| {
                        let (oi, oj) = (
                            vec::dot(a.spectrum.vector(i), t).abs(),
                            vec::dot(a.spectrum.vector(j), t).abs(),
                        );
                        // Prefer the softer mode on an exact tie.
                        oi.total_cmp(&oj).then(j.cmp(&i))
                    })
                    .unwrap_or(0);
                let v = a.spectrum.vector(k);
                let sign = if vec::dot(v, t) < 0.0 { -1.0 } else { 1.0 };
                for (ti, vi) in t.iter_mut().zip(v) {
                    *ti = sign * vi;
                }
                k
            }
            _ => 0,
        };
        // One eigenvector-following step in the full eigenbasis (the Hessian is diagonalised
        // anyway): uphill along mode `k`, downhill along every other mode, each component the
        // rational-function step of Munro & Wales that stays bounded on flat modes, the whole
        // step capped by the trust radius. Minimising only a few tangent-space iterations
        // instead (restarting the minimiser's memory at every macro-step) left most
        // single-ended searches short of convergence after hundreds of iterations.
        let energy = l.energy_gradient(&x, &mut g);
        step.fill(0.0);
        let mut predicted = 0.0;
        for i in 0..n {
            let v = a.spectrum.vector(i);
            let ev = a.spectrum.values[i];
            let f = vec::dot(&g, v);
            let h = if i == k {
                if ev < -checks.zero_eigenvalue {
                    rfo_step(f, ev)
                } else {
                    // Positive curvature: the model has no maximum along v, so climb a full
                    // step.
                    let direction = if f != 0.0 {
                        f.signum()
                    } else {
                        match &tracked {
                            Some(t) if vec::dot(v, t) < 0.0 => -1.0,
                            _ => 1.0,
                        }
                    };
                    direction * trust
                }
            } else {
                -rfo_step(f, ev)
            };
            let h = h.clamp(-trust, trust);
            predicted += f * h + 0.5 * ev * h * h;
            vec::axpy(h, v, &mut step);
        }
        let length = vec::norm(&step);
        if length > trust {
            let shrink = trust / length;
            vec::scale(shrink, &mut step);
            predicted *= shrink;
        }
        vec::axpy(1.0, &step, &mut x);

        // Trust-radius update from how well the quadratic model predicted the energy change.
        let actual = l.energy(&x) - energy;
        if predicted.abs() > 1e-12 * (1.0 + energy.abs()) {
            let ratio = actual / predicted;
            if (0.5..=2.0).contains(&ratio) {
                trust = (trust * 1.5).min(params.max_uphill_step);
            } else {
                trust = (trust * 0.5).max(1e-6 * params.max_uphill_step);
            }
        }

        if params.tangent_iterations > 0 {
            let restricted = Restricted::new(l, vec![a.spectrum.vector(k).to_vec()]);
            minimiser
                .minimise(&restricted, &mut x, &tangent_stop)
                .map_err(|e| match e {
                    MinimiseError::NonFinite { .. } => EfFailure::NonFinite {
                        iterations: iteration + 1,
                    },
                    other => EfFailure::Minimiser(other),
                })?;
        }
    }
    Err(EfFailure::Budget {
        iterations: params.max_iterations,
        rms_gradient: last.0,
        index: last.1,
    })
}
