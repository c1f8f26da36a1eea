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
//! Above [`EfParams::hessian_free_above`] coordinates the Hessian is never formed during the
//! search: each macro-iteration takes the same step over the Ritz pairs of a block Krylov
//! subspace of Hessian-vector products started from the previous lowest mode, the tracked
//! guide and the gradient ([`losscape_hessian::krylov`]). A dense macro-iteration costs O(P³);
//! this one O(m P) for products and O(m² P) for orthogonalisation with `m =`
//! [`EfParams::krylov_dim`], about ten times cheaper at N_h = 128.
//!
//! A point is returned only after [`losscape_hessian::verify`] accepts it as a transition state,
//! on the dense Hessian's full spectrum in both modes.

use losscape_core::ParamError;
use losscape_core::param::{at_least, positive};
use losscape_core::{Convergence, Landscape, MinimiseError, Minimiser, Restricted, vec};
use losscape_hessian::{
    Analysis, Checks, Kind, Rejection, analyse, analyse_checked, krylov, verify,
};
use serde::{Deserialize, Serialize};

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
    /// Landscapes with more coordinates than this are searched Hessian-free: each
    /// macro-iteration finds the followed mode and the step on a Krylov subspace of
    /// Hessian-vector products (warm-started from the previous eigenvector) instead of
    /// diagonalising the dense Hessian, which costs O(P³) and dominates above a hundred or so
    /// parameters. The final index check of a converged point is always dense. 0 searches
    /// every landscape Hessian-free.
    pub hessian_free_above: usize,
    /// Largest Krylov subspace (Hessian-vector products per macro-iteration) of the
    /// Hessian-free search; at least 2, so that it holds the followed mode and the gradient.
    pub krylov_dim: usize,
}

impl Default for EfParams {
    fn default() -> Self {
        Self {
            rms_gradient: 1e-10,
            max_iterations: 200,
            max_uphill_step: 0.5,
            initial_uphill_step: 0.1,
            tangent_iterations: 0,
            hessian_free_above: 100,
            krylov_dim: 30,
        }
    }
}

impl EfParams {
    /// The Krylov subspace size to use on a landscape of `dim` coordinates, or `None` where the
    /// dense Hessian is used (see [`EfParams::hessian_free_above`]).
    pub fn krylov_dim_for(&self, dim: usize) -> Option<usize> {
        (dim > self.hessian_free_above).then_some(self.krylov_dim)
    }

    /// Checks every field; the message names the key and the allowed values.
    pub fn validate(&self) -> Result<(), ParamError> {
        positive("rms_gradient", self.rms_gradient)?;
        positive("max_uphill_step", self.max_uphill_step)?;
        positive("initial_uphill_step", self.initial_uphill_step)?;
        if self.initial_uphill_step > self.max_uphill_step {
            return Err(ParamError::new(
                "initial_uphill_step",
                format!(
                    "must be <= max_uphill_step ({}) (got {})",
                    self.max_uphill_step, self.initial_uphill_step
                ),
            ));
        }
        at_least("max_iterations", self.max_iterations, 1)?;
        if self.krylov_dim < 2 {
            return Err(ParamError::new(
                "krylov_dim",
                format!(
                    "must be >= 2, the followed mode and the gradient (got {})",
                    self.krylov_dim
                ),
            ));
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
    Params(losscape_core::ParamError),
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
pub(crate) fn rfo_step(f: f64, ev: f64) -> f64 {
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
    check_dimensions(n, x0, guide)?;
    let tracked = guide.map(unit_guide);
    if params.krylov_dim_for(n).is_some() {
        return run_hessian_free(l, minimiser, x0, tracked, params, checks);
    }
    run_dense(l, minimiser, x0, tracked, params, checks)
}

/// Checks that the start point and the guide (if any) have the landscape's dimension `n`.
fn check_dimensions(n: usize, x0: &[f64], guide: Option<&[f64]>) -> Result<(), EfFailure> {
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
    Ok(())
}

/// The guide scaled to unit length (left as it is when it is zero): the first tracked mode.
fn unit_guide(guide: &[f64]) -> Vec<f64> {
    let mut t = guide.to_vec();
    let norm = vec::norm(&t);
    if norm > 0.0 {
        vec::scale(1.0 / norm, &mut t);
    }
    t
}

/// The stopping rule of the hybrid method's tangent-space relaxation.
fn tangent_stop(params: &EfParams) -> Convergence {
    Convergence {
        rms_gradient: params.rms_gradient,
        max_iterations: params.tangent_iterations,
    }
}

/// The failure when the macro-iteration budget runs out; `last` is the RMS gradient and the
/// index at the last point.
fn budget_failure(params: &EfParams, last: (f64, usize)) -> EfFailure {
    EfFailure::Budget {
        iterations: params.max_iterations,
        rms_gradient: last.0,
        index: last.1,
    }
}

/// Moves `x` by `step` and returns the new trust radius, judged by how well `predicted`
/// matched the actual energy change from `energy`.
fn apply_step(
    l: &dyn Landscape,
    x: &mut [f64],
    step: &[f64],
    energy: f64,
    predicted: f64,
    trust: f64,
    params: &EfParams,
) -> f64 {
    vec::axpy(1.0, step, x);
    update_trust(trust, l.energy(x) - energy, predicted, energy, params)
}

/// Eigenvector-following on the dense Hessian, diagonalised at every macro-iteration;
/// `tracked` is the unit guide, if any.
fn run_dense(
    l: &dyn Landscape,
    minimiser: &dyn Minimiser,
    x0: &[f64],
    mut tracked: Option<Vec<f64>>,
    params: &EfParams,
    checks: &Checks,
) -> Result<TsFound, EfFailure> {
    let n = l.dim();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut step = vec![0.0; n];
    let mut trust = params.initial_uphill_step;
    let tangent_stop = tangent_stop(params);
    let mut last = (f64::NAN, 0);

    for iteration in 0..params.max_iterations {
        let a = analyse(l, &x, checks.zero_eigenvalue);
        if !a.is_finite() {
            return Err(EfFailure::NonFinite {
                iterations: iteration,
            });
        }
        last = (a.rms_gradient, a.index);
        // Index 0 at a stationary point is a minimum: the search climbs out of it below.
        if a.rms_gradient <= params.rms_gradient
            && let Some(done) = converged(&a, &x, iteration, checks)
        {
            return done;
        }

        // Which eigenvector to climb along.
        let k = match (&mut tracked, a.index) {
            (Some(t), 0) => follow_guide(n, &|i| a.spectrum.vector(i), t),
            _ => 0,
        };
        // One eigenvector-following step in the full eigenbasis (the Hessian is diagonalised
        // anyway): uphill along mode `k`, downhill along every other mode. Minimising only a
        // few tangent-space iterations instead (restarting the minimiser's memory at every
        // macro-step) left most single-ended searches short of convergence after hundreds of
        // iterations.
        let energy = l.energy_gradient(&x, &mut g);
        let predicted = eigen_step(
            &a.spectrum.values,
            &|i| a.spectrum.vector(i),
            k,
            &g,
            trust,
            tracked.as_deref(),
            checks.zero_eigenvalue,
            &mut step,
        );
        trust = apply_step(l, &mut x, &step, energy, predicted, trust, params);

        if params.tangent_iterations > 0 {
            relax_tangent(
                l,
                minimiser,
                a.spectrum.vector(k),
                &mut x,
                &tangent_stop,
                iteration,
            )?;
        }
    }
    Err(budget_failure(params, last))
}

/// The hybrid method's tangent-space relaxation: minimises in the space orthogonal to the
/// followed mode, for at most `stop.max_iterations` iterations.
fn relax_tangent(
    l: &dyn Landscape,
    minimiser: &dyn Minimiser,
    followed: &[f64],
    x: &mut [f64],
    stop: &Convergence,
    iteration: usize,
) -> Result<(), EfFailure> {
    let restricted = Restricted::new(l, vec![followed.to_vec()]);
    minimiser
        .minimise(&restricted, x, stop)
        .map(drop)
        .map_err(|e| match e {
            MinimiseError::NonFinite { .. } => EfFailure::NonFinite {
                iterations: iteration + 1,
            },
            other => EfFailure::Minimiser(other),
        })
}

/// The outcome at a point whose gradient has converged, judged from its full (dense) analysis
/// `a`: a verified transition state, or why it is not one; `None` at a minimum, which the
/// search climbs out of. Shared by the dense and the Hessian-free paths.
fn converged(
    a: &Analysis,
    x: &[f64],
    iteration: usize,
    checks: &Checks,
) -> Option<Result<TsFound, EfFailure>> {
    if a.index == 1 && a.zero_modes == 0 {
        return Some(match verify(a, Kind::TransitionState, checks) {
            Ok(()) => Ok(TsFound {
                energy: a.energy,
                coords: x.to_vec(),
                analysis: a.clone(),
                iterations: iteration,
            }),
            Err(r) => Err(EfFailure::Rejected(r)),
        });
    }
    if a.zero_modes > 0 {
        return Some(Err(EfFailure::Rejected(Rejection::ZeroEigenvalue {
            value: a.lowest_eigenvalue,
        })));
    }
    if a.index >= 2 {
        return Some(Err(EfFailure::WrongIndex { index: a.index }));
    }
    None
}

/// Writes one eigenvector-following step into `step` and returns the energy change its
/// quadratic model predicts.
///
/// The modes are `values[i]` with unit vectors `vector(i)` (a full eigenbasis, or the Ritz
/// pairs of a subspace that holds the gradient): uphill along mode `k`, downhill along every
/// other, each component the rational-function step of Munro & Wales that stays bounded on flat
/// modes, the whole step capped by the trust radius.
#[allow(clippy::too_many_arguments)]
fn eigen_step<'v>(
    values: &[f64],
    vector: &dyn Fn(usize) -> &'v [f64],
    k: usize,
    g: &[f64],
    trust: f64,
    tracked: Option<&[f64]>,
    zero_eigenvalue: f64,
    step: &mut [f64],
) -> f64 {
    step.fill(0.0);
    let mut predicted = 0.0;
    for (i, &ev) in values.iter().enumerate() {
        let v = vector(i);
        let f = vec::dot(g, v);
        let h = if i == k {
            if ev < -zero_eigenvalue {
                rfo_step(f, ev)
            } else {
                // Positive curvature: the model has no maximum along v, so climb a full step.
                let direction = if f != 0.0 {
                    f.signum()
                } else {
                    match tracked {
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
        vec::axpy(h, v, step);
    }
    let length = vec::norm(step);
    if length > trust {
        let shrink = trust / length;
        vec::scale(shrink, step);
        predicted *= shrink;
    }
    predicted
}

/// The trust radius after a step: grown when the quadratic model predicted the energy change
/// well, shrunk otherwise.
fn update_trust(trust: f64, actual: f64, predicted: f64, energy: f64, params: &EfParams) -> f64 {
    if predicted.abs() > 1e-12 * (1.0 + energy.abs()) {
        let ratio = actual / predicted;
        if (0.5..=2.0).contains(&ratio) {
            return (trust * 1.5).min(params.max_uphill_step);
        }
        return (trust * 0.5).max(1e-6 * params.max_uphill_step);
    }
    trust
}

/// The mode to climb while the Hessian looks positive definite and a guide is tracked: the one
/// with the largest overlap with `t` (the softer on an exact tie); `t` becomes that mode,
/// signed to agree with it.
fn follow_guide<'v>(count: usize, vector: &dyn Fn(usize) -> &'v [f64], t: &mut [f64]) -> usize {
    let k = (0..count)
        .max_by(|&i, &j| {
            let (oi, oj) = (vec::dot(vector(i), t).abs(), vec::dot(vector(j), t).abs());
            oi.total_cmp(&oj).then(j.cmp(&i))
        })
        .unwrap_or(0);
    let v = vector(k);
    let sign = if vec::dot(v, t) < 0.0 { -1.0 } else { 1.0 };
    for (ti, vi) in t.iter_mut().zip(v) {
        *ti = sign * vi;
    }
    k
}

/// Residual `|H z - θ z|` at which the subspace stops growing: 0, so every macro-iteration
/// uses all [`EfParams::krylov_dim`] vectors. Stopping as soon as the lowest pair had
/// converged (a few products from the warm start) left the downhill part of the step, a
/// Galerkin Newton step on the gradient's Krylov space, too crude: searches at N_h = 32 and
/// 128 stalled at RMS gradients near 1e-9 for the whole budget.
const RITZ_TOLERANCE: f64 = 0.0;

/// Eigenvector-following without a dense Hessian (see [`EfParams::hessian_free_above`]).
///
/// Each macro-iteration builds a block Krylov subspace from the previous lowest Ritz vector,
/// the tracked guide (if any) and the gradient, and takes the same step as the dense method
/// over the subspace's Ritz pairs. The gradient lies in the subspace, so the step accounts for
/// all of it; the stiff directions it misses get no step at all, which only slows convergence
/// down. A point is accepted only after [`analyse_checked`] (dense, or by inertia above
/// `checks.inertia_above` coordinates) and [`verify`].
fn run_hessian_free(
    l: &dyn Landscape,
    minimiser: &dyn Minimiser,
    x0: &[f64],
    mut tracked: Option<Vec<f64>>,
    params: &EfParams,
    checks: &Checks,
) -> Result<TsFound, EfFailure> {
    let n = l.dim();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut step = vec![0.0; n];
    let mut mode: Option<Vec<f64>> = None;
    // Without it, searches started on a symmetric subspace never saw its negative modes
    // (tests/hessian_free.rs, no census: the saddle next to w = 0 was missed).
    let generic = krylov::generic_start(n);
    let mut trust = params.initial_uphill_step;
    let tangent_stop = tangent_stop(params);
    let mut last = (f64::NAN, 0);
    for iteration in 0..params.max_iterations {
        let energy = l.energy_gradient(&x, &mut g);
        if !(energy.is_finite() && vec::all_finite(&g)) {
            return Err(EfFailure::NonFinite {
                iterations: iteration,
            });
        }
        let rms = vec::rms(&g);
        if rms <= params.rms_gradient
            && let Some(done) = converged_checked(l, &x, mode.as_deref(), iteration, checks)
        {
            return done;
        }
        let mut starts: Vec<&[f64]> = Vec::with_capacity(4);
        starts.extend(mode.as_deref());
        starts.extend(tracked.as_deref());
        starts.push(&g);
        starts.push(&generic);
        let r = ritz_pairs(l, &x, &starts, params, iteration)?;
        let index = ritz_index(&r.values, checks.zero_eigenvalue);
        last = (rms, index);
        let k = match (&mut tracked, index) {
            (Some(t), 0) => follow_guide(r.len(), &|i| r.vector(i), t),
            _ => 0,
        };
        let predicted = eigen_step(
            &r.values,
            &|i| r.vector(i),
            k,
            &g,
            trust,
            tracked.as_deref(),
            checks.zero_eigenvalue,
            &mut step,
        );
        trust = apply_step(l, &mut x, &step, energy, predicted, trust, params);
        if params.tangent_iterations > 0 {
            relax_tangent(l, minimiser, r.vector(k), &mut x, &tangent_stop, iteration)?;
        }
        mode = Some(r.vector(0).to_vec());
    }
    Err(budget_failure(params, last))
}

/// The Hessian-free search's outcome at a point whose gradient has converged, from the
/// analysis verification uses there (see [`converged`]), warm-started from the mode the search
/// followed; `None` at a minimum, which the search climbs out of.
fn converged_checked(
    l: &dyn Landscape,
    x: &[f64],
    mode: Option<&[f64]>,
    iteration: usize,
    checks: &Checks,
) -> Option<Result<TsFound, EfFailure>> {
    let a = analyse_checked(l, x, checks, mode);
    if !a.is_finite() {
        return Some(Err(EfFailure::NonFinite {
            iterations: iteration,
        }));
    }
    converged(&a, x, iteration, checks)
}

/// The Ritz pairs of the block Krylov subspace grown from `starts` at `x`, or a failure if any
/// of them is not finite.
fn ritz_pairs(
    l: &dyn Landscape,
    x: &[f64],
    starts: &[&[f64]],
    params: &EfParams,
    iteration: usize,
) -> Result<krylov::Ritz, EfFailure> {
    let r = krylov::ritz(l, x, starts, params.krylov_dim, RITZ_TOLERANCE);
    if !(vec::all_finite(&r.values) && vec::all_finite(&r.vectors)) {
        return Err(EfFailure::NonFinite {
            iterations: iteration,
        });
    }
    Ok(r)
}

/// The number of Ritz values below `-zero_eigenvalue`. The Ritz values bound the lowest
/// eigenvalues from above, so this never overcounts the Hessian index.
fn ritz_index(values: &[f64], zero_eigenvalue: f64) -> usize {
    values.iter().filter(|&&v| v < -zero_eigenvalue).count()
}
