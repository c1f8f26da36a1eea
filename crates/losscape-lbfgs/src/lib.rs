//! GMIN-style limited-memory BFGS: the local minimiser behind every quench in losscape.
//!
//! The search direction comes from Nocedal's (1980) two-loop recursion over the last few
//! `(s, y)` pairs; there is no line search. Instead, as in GMIN's `mylbfgs`, the step length is
//! capped at [`LbfgsParams::max_step`] and a step that raises the energy by more than it may
//! (see [`LbfgsParams::relative_rise`]) is halved (and the memory forgotten). On the small, smooth network
//! landscapes this is cheaper and more robust than a Wolfe line search, and it never jumps far
//! enough to leave the catchment basin it started in, which is what basin-hopping needs.
//!
//! This crate depends only on `losscape-core` (and serde for its parameters): no I/O, no
//! printing, no global state.

#![forbid(unsafe_code)]

use losscape_core::{Convergence, Landscape, MinimiseError, Minimiser, QuenchOutcome, vec};
use serde::{Deserialize, Serialize};

/// How many times a step that raises the energy too much is halved before the iteration is
/// abandoned. 2^-10 of `max_step` is far below any useful move.
const MAX_HALVINGS: usize = 10;

/// Tuning of the L-BFGS minimiser (the `[lbfgs]` table of an experiment file).
///
/// Defaults follow GMIN practice for small systems and are defined only in [`Default`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LbfgsParams {
    /// Number of `(s, y)` correction pairs remembered (GMIN's `M`; 4–10 is typical).
    pub memory: usize,
    /// Largest allowed step length `|Δx|` per iteration (GMIN's `MAXBFGS`).
    pub max_step: f64,
    /// Largest energy rise accepted for a step before it is halved (GMIN's `MAXERISE`), an
    /// absolute cap on top of [`LbfgsParams::relative_rise`].
    pub max_rise: f64,
    /// Largest energy rise accepted for a step, as a multiple of the decrease its first-order
    /// model predicts (`|g·d|`). An absolute tolerance alone does not scale with the landscape:
    /// next to `w = 0` at λ = 1e-3 whole barriers are about 1e-5, far below GMIN's usual 1e-4,
    /// so a quench could climb out of the basin it started in. The predicted decrease shrinks
    /// with the gradient and the step, so this rule is as strict on a flat landscape as on a
    /// steep one, and near convergence it admits only rises of round-off size.
    pub relative_rise: f64,
    /// Initial inverse-Hessian scale, used before any curvature pair is known and after a
    /// memory reset (GMIN's `DGUESS`).
    pub diag_guess: f64,
}

impl Default for LbfgsParams {
    fn default() -> Self {
        Self {
            memory: 8,
            max_step: 0.2,
            max_rise: 1e-4,
            relative_rise: 0.1,
            diag_guess: 0.1,
        }
    }
}

impl LbfgsParams {
    /// Checks that the parameters can drive a minimisation; the error names the bad key.
    pub fn validate(&self) -> Result<(), losscape_core::ParamError> {
        losscape_core::param::at_least("memory", self.memory, 1)?;
        for (key, value) in [
            ("max_step", self.max_step),
            ("max_rise", self.max_rise),
            ("relative_rise", self.relative_rise),
            ("diag_guess", self.diag_guess),
        ] {
            losscape_core::param::positive(key, value)?;
        }
        Ok(())
    }
}

/// The L-BFGS minimiser. Stateless between calls, so one instance can serve many threads.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Lbfgs {
    /// Tuning parameters (validate them with [`LbfgsParams::validate`] before use; invalid
    /// values never panic but may stop progress until `max_iterations`).
    pub params: LbfgsParams,
}

impl Lbfgs {
    /// A minimiser with the given parameters.
    pub fn new(params: LbfgsParams) -> Self {
        Self { params }
    }
}

/// The ring buffer of correction pairs and the scratch space of the two-loop recursion.
struct History {
    n: usize,
    m: usize,
    /// Pair `k` occupies `s[k*n..(k+1)*n]` (and likewise `y`).
    s: Vec<f64>,
    y: Vec<f64>,
    rho: Vec<f64>,
    alpha: Vec<f64>,
    /// Number of stored pairs (at most `m`).
    len: usize,
    /// Slot the next pair goes into.
    head: usize,
    /// Current diagonal inverse-Hessian scale `H0 = gamma I`.
    gamma: f64,
    diag_guess: f64,
}

/// Largest inverse-Hessian scale reached by doubling on negative curvature (the step cap
/// bounds the step itself; this only keeps the scale finite).
const MAX_GAMMA: f64 = 1e12;

impl History {
    fn new(n: usize, m: usize, diag_guess: f64) -> Self {
        Self {
            n,
            m,
            s: vec![0.0; n * m],
            y: vec![0.0; n * m],
            rho: vec![0.0; m],
            alpha: vec![0.0; m],
            len: 0,
            head: 0,
            gamma: diag_guess,
            diag_guess,
        }
    }

    fn reset(&mut self) {
        self.len = 0;
        self.head = 0;
        self.gamma = self.diag_guess;
    }

    /// Slot of the `k`-th newest pair (`k = 0` is the newest).
    fn slot(&self, k: usize) -> usize {
        (self.head + self.m - 1 - k) % self.m
    }

    /// Stores `s = x - x_prev`, `y = g - g_prev` if the pair has positive curvature; a pair
    /// with `yᵀs <= 0` would make the implicit inverse Hessian indefinite, so it is dropped.
    ///
    /// A dropped pair means the step crossed negative curvature, as when quenching off a
    /// saddle. Keeping the old scale there makes L-BFGS crawl: on a saddle with curvature -1e-3
    /// each step grows by only a factor `1 + gamma * 1e-3`, and a push-off quench can spend
    /// tens of thousands of iterations leaving it. Doubling the scale instead escapes in a few
    /// dozen steps; the step cap and the energy-rise check still bound every step.
    fn push(&mut self, x: &[f64], x_prev: &[f64], g: &[f64], g_prev: &[f64]) {
        // The curvature test comes first: once the memory is full, the head slot still holds
        // the oldest pair the two-loop recursion uses, so it may only be overwritten by a pair
        // that is kept.
        let (mut ys, mut yy) = (0.0, 0.0);
        for i in 0..self.n {
            let (si, yi) = (x[i] - x_prev[i], g[i] - g_prev[i]);
            ys += yi * si;
            yy += yi * yi;
        }
        if ys > 0.0 && yy > 0.0 && ys.is_finite() && yy.is_finite() {
            let at = self.head * self.n..(self.head + 1) * self.n;
            let (s, y) = (&mut self.s[at.clone()], &mut self.y[at]);
            for i in 0..self.n {
                s[i] = x[i] - x_prev[i];
                y[i] = g[i] - g_prev[i];
            }
            self.rho[self.head] = 1.0 / ys;
            self.gamma = ys / yy;
            self.head = (self.head + 1) % self.m;
            self.len = (self.len + 1).min(self.m);
        } else if ys < 0.0 && ys.is_finite() {
            self.gamma = (2.0 * self.gamma).min(MAX_GAMMA);
        }
    }

    /// Writes the quasi-Newton direction `d = -H g` (two-loop recursion, Nocedal 1980).
    fn direction(&mut self, g: &[f64], d: &mut [f64]) {
        let n = self.n;
        d.copy_from_slice(g);
        for k in 0..self.len {
            let j = self.slot(k);
            let (s, y) = (&self.s[j * n..(j + 1) * n], &self.y[j * n..(j + 1) * n]);
            let a = self.rho[j] * vec::dot(s, d);
            self.alpha[j] = a;
            vec::axpy(-a, y, d);
        }
        vec::scale(self.gamma, d);
        for k in (0..self.len).rev() {
            let j = self.slot(k);
            let (s, y) = (&self.s[j * n..(j + 1) * n], &self.y[j * n..(j + 1) * n]);
            let b = self.rho[j] * vec::dot(y, d);
            vec::axpy(self.alpha[j] - b, s, d);
        }
        vec::scale(-1.0, d);
    }
}

impl Minimiser for Lbfgs {
    fn name(&self) -> &str {
        "lbfgs"
    }

    /// Minimises from `x` in place.
    ///
    /// Iterations count accepted-or-abandoned steps; evaluations count every energy+gradient
    /// call, including the one at the start and every halved retry. On
    /// [`MinimiseError::NonFinite`], `x` holds the last point with a finite energy and gradient.
    fn minimise(
        &self,
        landscape: &dyn Landscape,
        x: &mut [f64],
        stop: &Convergence,
    ) -> Result<QuenchOutcome, MinimiseError> {
        let n = landscape.dim();
        if x.len() != n {
            return Err(MinimiseError::Dimension {
                expected: n,
                got: x.len(),
            });
        }
        let p = &self.params;
        // All buffers for the whole minimisation, allocated once.
        let mut history = History::new(n, p.memory.max(1), p.diag_guess);
        let mut g = vec![0.0; n];
        let mut g_prev = vec![0.0; n];
        let mut x_prev = vec![0.0; n];
        let mut d = vec![0.0; n];

        let mut energy = landscape.energy_gradient(x, &mut g);
        let mut evaluations = 1;
        if !(energy.is_finite() && vec::all_finite(&g)) {
            return Err(MinimiseError::NonFinite { evaluations });
        }
        let mut iterations = 0;
        loop {
            let rms_gradient = vec::rms(&g);
            let converged = rms_gradient <= stop.rms_gradient;
            if converged || iterations >= stop.max_iterations {
                return Ok(QuenchOutcome {
                    energy,
                    rms_gradient,
                    iterations,
                    evaluations,
                    converged,
                });
            }
            iterations += 1;

            descent_direction(&mut history, &g, &mut d, p.max_step);
            // The decrease the step's linear model predicts; halves with the step.
            let mut decrease = vec::dot(&d, &g).abs();

            x_prev.copy_from_slice(x);
            g_prev.copy_from_slice(&g);
            let e_prev = energy;
            let mut accepted = false;
            for halvings in 0..=MAX_HALVINGS {
                for i in 0..n {
                    x[i] = x_prev[i] + d[i];
                }
                energy = landscape.energy_gradient(x, &mut g);
                evaluations += 1;
                if !(energy.is_finite() && vec::all_finite(&g)) {
                    x.copy_from_slice(&x_prev);
                    return Err(MinimiseError::NonFinite { evaluations });
                }
                // Round-off in the energy itself is never a reason to halve.
                let noise = 64.0 * f64::EPSILON * (1.0 + e_prev.abs());
                let allowed = p.max_rise.min(p.relative_rise * decrease + noise);
                if energy - e_prev <= allowed {
                    accepted = true;
                    if halvings > 0 {
                        // The model overshot: its curvature information is stale.
                        history.reset();
                    }
                    break;
                }
                vec::scale(0.5, &mut d);
                decrease *= 0.5;
            }
            if accepted {
                history.push(x, &x_prev, &g, &g_prev);
            } else {
                energy = restart(&mut history, x, &mut g, &x_prev, &g_prev, e_prev);
            }
        }
    }
}

/// Writes the step direction for gradient `g` into `d`: the quasi-Newton direction of
/// `history` (steepest descent if that is not finite), turned downhill and capped at
/// `max_step`.
#[inline]
fn descent_direction(history: &mut History, g: &[f64], d: &mut [f64], max_step: f64) {
    history.direction(g, d);
    let mut slope = vec::dot(d, g);
    if !(slope.is_finite() && vec::all_finite(d)) {
        // A degenerate history (overflowing scale): fall back to steepest descent.
        history.reset();
        history.direction(g, d);
        slope = vec::dot(d, g);
    }
    if slope > 0.0 {
        // Without a line search an uphill quasi-Newton direction can occur after a
        // poorly conditioned update; reversing it is GMIN's remedy.
        vec::scale(-1.0, d);
    }
    let length = vec::norm(d);
    if length > max_step {
        vec::scale(max_step / length, d);
    }
}

/// After a step that rose even when halved: returns `x` and `g` to the last point and resets
/// `history` (steepest descent with the initial scale next); returns the last point's energy.
#[inline]
fn restart(
    history: &mut History,
    x: &mut [f64],
    g: &mut [f64],
    x_prev: &[f64],
    g_prev: &[f64],
    e_prev: f64,
) -> f64 {
    x.copy_from_slice(x_prev);
    g.copy_from_slice(g_prev);
    history.reset();
    e_prev
}

#[cfg(test)]
mod tests;
