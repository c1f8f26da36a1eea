//! Pushing off a transition state to find the two minima it connects.
//!
//! From the saddle, step `±step` along its negative eigenvector and quench each side. If both
//! quenches reach the very same point the step was too small (or the saddle is not really one),
//! so the next, larger step in [`PushOffParams::steps`] is tried.

use losscape_core::ParamError;
use losscape_core::param::positive;
use losscape_core::{Convergence, Identity, Landscape, MinimiseError, Minimiser, vec};
use losscape_hessian::{analyse, krylov};
use serde::{Deserialize, Serialize};

/// Push-off settings. `Default` holds the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushOffParams {
    /// Step lengths along the negative eigenvector, tried in order while both sides reach the
    /// same point (or a quench does not converge).
    pub steps: Vec<f64>,
    /// How often a quench that converged to a point with a negative Hessian eigenvalue (a
    /// saddle inside a symmetric subspace) is perturbed along that eigenvector and continued.
    pub escapes: usize,
}

impl Default for PushOffParams {
    fn default() -> Self {
        Self {
            steps: vec![0.01, 0.02],
            escapes: 3,
        }
    }
}

impl PushOffParams {
    /// Checks every field; the message names the key and the allowed values.
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.steps.is_empty() {
            return Err(empty_steps());
        }
        for &s in &self.steps {
            positive("steps", s)?;
        }
        Ok(())
    }
}

/// The error of an empty `steps` list.
fn empty_steps() -> ParamError {
    ParamError::new("steps", "must list at least one step length (got [])")
}

/// A minimum reached by a push-off quench.
#[derive(Debug, Clone, PartialEq)]
pub struct Quenched {
    /// Energy.
    pub energy: f64,
    /// Coordinates.
    pub coords: Vec<f64>,
    /// RMS gradient reached.
    pub rms_gradient: f64,
    /// Whether the quench met its convergence criterion.
    pub converged: bool,
}

/// The two minima on either side of a transition state.
#[derive(Debug, Clone, PartialEq)]
pub struct Connects {
    /// Reached from `ts - step * v`.
    pub minus: Quenched,
    /// Reached from `ts + step * v`.
    pub plus: Quenched,
}

/// How the two sides of a push-off relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PushOffKind {
    /// Two different minima: an ordinary transition state.
    Distinct,
    /// Two different copies of one minimum related by a symmetry (aligned distance small, raw
    /// distance not): a degenerate rearrangement. Store and count it, flag it, and leave it
    /// out of disconnectivity graphs.
    Degenerate,
    /// Both sides reached the very same coordinates: the push-off failed.
    SamePoint,
    /// The transition state is not above both minima: reject it.
    BelowMinimum,
}

/// Result of [`run`].
#[derive(Debug, Clone, PartialEq)]
pub struct PushOff {
    /// The two quenched minima (from the last step tried).
    pub connects: Connects,
    /// Their classification.
    pub kind: PushOffKind,
    /// The step length that produced them.
    pub step: f64,
}

/// Why a push-off could not be carried out at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PushOffError {
    /// The parameters are invalid.
    #[error("invalid push-off parameters: {0}")]
    Params(losscape_core::ParamError),
    /// Coordinates or direction do not match the landscape dimension.
    #[error("vector has length {got}, the landscape needs {expected}")]
    Dimension {
        /// Landscape dimension.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// The direction has zero or non-finite length.
    #[error("push-off direction has no usable length")]
    BadDirection,
    /// A quench failed.
    #[error("quench failed: {0}")]
    Minimiser(#[from] MinimiseError),
}

/// Classifies the two sides of a push-off from a transition state at energy `ts_energy`.
///
/// In order: [`PushOffKind::BelowMinimum`] if either side is not below the saddle,
/// [`PushOffKind::SamePoint`] if the sides agree without symmetry alignment,
/// [`PushOffKind::Degenerate`] if they agree only after alignment, else
/// [`PushOffKind::Distinct`].
pub fn classify_pushoff(
    l: &dyn Landscape,
    identity: &Identity,
    ts_energy: f64,
    minus: (f64, &[f64]),
    plus: (f64, &[f64]),
) -> PushOffKind {
    if !(ts_energy > minus.0 && ts_energy > plus.0) {
        return PushOffKind::BelowMinimum;
    }
    let energies_agree = (minus.0 - plus.0).abs() <= identity.energy_tolerance;
    if energies_agree && vec::distance(minus.1, plus.1) <= identity.distance_tolerance {
        return PushOffKind::SamePoint;
    }
    if identity.same(l, minus.0, minus.1, plus.0, plus.1) {
        return PushOffKind::Degenerate;
    }
    PushOffKind::Distinct
}

/// Pushes off the transition state `ts` (energy `ts_energy`) along `direction` (its
/// negative-curvature eigenvector; normalised here) and quenches both sides with `stop`;
/// eigenvalues below `-zero_tolerance` at a quenched point make it a saddle to escape from.
/// With `krylov_dim = Some(m)` that check finds the lowest eigenpair Hessian-free on a Krylov
/// subspace of at most `m` vectors (warm-started from `direction`) instead of diagonalising the
/// dense Hessian; it only decides whether to escape, the minima found are verified by the
/// caller as always.
///
/// Steps from [`PushOffParams::steps`] are tried in order until both quenches converge and the
/// sides are not [`PushOffKind::SamePoint`]; the last attempt is returned in any case, so the
/// caller sees why it failed.
#[allow(clippy::too_many_arguments)]
pub fn run(
    l: &dyn Landscape,
    minimiser: &dyn Minimiser,
    ts: &[f64],
    ts_energy: f64,
    direction: &[f64],
    params: &PushOffParams,
    stop: &Convergence,
    identity: &Identity,
    zero_tolerance: f64,
    krylov_dim: Option<usize>,
) -> Result<PushOff, PushOffError> {
    params.validate().map_err(PushOffError::Params)?;
    let norm = direction_norm(l.dim(), ts, direction)?;
    let sides = Sides {
        l,
        minimiser,
        ts,
        direction,
        norm,
        params,
        stop,
        zero_tolerance,
        krylov_dim,
    };
    let mut result = None;
    for &step in &params.steps {
        let side = |sign: f64| sides.quench(step, sign);
        let connects = Connects {
            minus: side(-1.0)?,
            plus: side(1.0)?,
        };
        let kind = classify_pushoff(
            l,
            identity,
            ts_energy,
            (connects.minus.energy, &connects.minus.coords),
            (connects.plus.energy, &connects.plus.coords),
        );
        let done =
            kind != PushOffKind::SamePoint && connects.minus.converged && connects.plus.converged;
        result = Some(PushOff {
            connects,
            kind,
            step,
        });
        if done {
            break;
        }
    }
    // `steps` is non-empty (validated), so at least one attempt was made.
    result.ok_or(PushOffError::Params(empty_steps()))
}

/// Checks that `ts` and `direction` have the landscape's dimension `n` and returns the length
/// of `direction`, which must be finite and positive.
fn direction_norm(n: usize, ts: &[f64], direction: &[f64]) -> Result<f64, PushOffError> {
    for v in [ts, direction] {
        if v.len() != n {
            return Err(PushOffError::Dimension {
                expected: n,
                got: v.len(),
            });
        }
    }
    let norm = vec::norm(direction);
    if !(norm.is_finite() && norm > 0.0) {
        return Err(PushOffError::BadDirection);
    }
    Ok(norm)
}

/// Everything one side's quench of a push-off needs (the arguments of [`run`]).
struct Sides<'a> {
    l: &'a dyn Landscape,
    minimiser: &'a dyn Minimiser,
    ts: &'a [f64],
    direction: &'a [f64],
    /// Length of `direction`.
    norm: f64,
    params: &'a PushOffParams,
    stop: &'a Convergence,
    zero_tolerance: f64,
    krylov_dim: Option<usize>,
}

impl Sides<'_> {
    /// Quenches from `ts + sign * step * direction / norm`, escaping along negative modes of
    /// the quenched point up to [`PushOffParams::escapes`] times.
    fn quench(&self, step: f64, sign: f64) -> Result<Quenched, MinimiseError> {
        let (l, minimiser, stop) = (self.l, self.minimiser, self.stop);
        let mut x = self.ts.to_vec();
        vec::axpy(sign * step / self.norm, self.direction, &mut x);
        let mut q = minimiser.minimise(l, &mut x, stop)?;
        for _ in 0..self.params.escapes {
            if !q.converged {
                break;
            }
            let (lowest, v) =
                lowest_mode(l, &x, self.direction, self.zero_tolerance, self.krylov_dim);
            if !(lowest.is_finite() && lowest < -self.zero_tolerance && vec::all_finite(&v)) {
                break;
            }
            // Leave the subspace along the negative mode, away from the transition state.
            let away: f64 = v
                .iter()
                .zip(&x)
                .zip(self.ts)
                .map(|((v, x), t)| v * (x - t))
                .sum();
            vec::axpy(if away < 0.0 { -step } else { step }, &v, &mut x);
            q = minimiser.minimise(l, &mut x, stop)?;
        }
        Ok(Quenched {
            energy: q.energy,
            coords: x,
            rms_gradient: q.rms_gradient,
            converged: q.converged,
        })
    }
}

/// The lowest Hessian eigenvalue at `x` and its unit vector: dense, or with `krylov_dim` on a
/// Krylov subspace warm-started from `warm` (restarted until its residual is well below
/// `zero_tolerance`, or a few times at most).
fn lowest_mode(
    l: &dyn Landscape,
    x: &[f64],
    warm: &[f64],
    zero_tolerance: f64,
    krylov_dim: Option<usize>,
) -> (f64, Vec<f64>) {
    match krylov_dim {
        None => {
            let a = analyse(l, x, zero_tolerance);
            (a.lowest_eigenvalue, a.lowest_vector().to_vec())
        }
        Some(m) => {
            let r = krylov::lowest_mode(l, x, Some(warm), m, 0.1 * zero_tolerance, 8);
            let v = if r.is_empty() {
                Vec::new()
            } else {
                r.vector(0).to_vec()
            };
            (r.values.first().copied().unwrap_or(f64::NAN), v)
        }
    }
}
