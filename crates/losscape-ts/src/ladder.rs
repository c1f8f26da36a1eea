//! Saddle-to-saddle searches: from a stationary point of Hessian index `k` down to index
//! `k − 1` along its unstable modes, and up to index `k + 1` along its stable ones.
//!
//! A census sampled by Newton starts can miss points, and the Morse sum cannot see a missing
//! pair whose signed counts cancel. The stationary points of a Morse function are joined by
//! the gradient flow: the unstable manifold of an index-`k` saddle is bounded by saddles of
//! lower index, and every index-`k` saddle lies on a ridge climbed from an index-`k − 1`
//! point. Following those links from every known point (the *solution landscape* idea of Yin,
//! Zhang & Zhang, PRL 124, 090601 (2020); OPTIM's eigenvector-following along several uphill
//! modes) reaches the neighbours of each point, so a census in which every such search ends
//! at a known point is *closed* under them: the certificate that sees cancelling pairs.
//!
//! One search starts a little way along a direction `d` and then takes eigenvector-following
//! steps (the step of [`crate::ef`], per eigenmode) uphill along a *followed* subspace of
//! `target` modes and downhill along all others:
//!
//! - **down** along an unstable eigenvector `vₐ` (or `(vₐ ± v_b)/√2`, two of them combined):
//!   the other unstable directions are followed, so the search slides down the unstable
//!   manifold along `d` while staying on the ridge of the rest, to an index-`k − 1` point;
//! - **up** along a stable eigenvector `v_j`: the unstable directions and `v_j` are followed,
//!   so the search climbs the valley wall along `v_j` to an index-`k + 1` point.
//!
//! The followed subspace is carried from step to step by overlap (the eigenvectors with the
//! largest projection on the previous subspace), not by eigenvalue order, so a followed mode
//! keeps being followed when its curvature crosses another's. Once the RMS gradient is small
//! the point is polished by [`newton::solve`], which converges quadratically to the nearby
//! stationary point whatever its index; the caller checks what it reached.
//!
//! Pure: no I/O and no shared state, so the searches of one point run in parallel.

use std::fmt;

use losscape_core::param::{at_least, positive};
use losscape_core::{Landscape, ParamError, vec};
use losscape_hessian::{Analysis, analyse};
use serde::{Deserialize, Serialize};

use crate::census::hand_over;
use crate::ef::rfo_step;
use crate::newton::{self, NewtonFailure, StationaryPoint};
use crate::{Attempt, AttemptOutcome, Sink, SinkError, Toolkit};

/// `[ts.ladder]`: the saddle-to-saddle searches of the census's closure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LadderParams {
    /// Length of the first displacement along the search direction, away from the source
    /// point (where the gradient is zero and a step would have nowhere to go).
    pub push: f64,
    /// Largest step of one iteration (the eigenvector-following steps are scaled down to it).
    pub max_step: f64,
    /// Iteration budget of one search (one Hessian diagonalisation each).
    pub max_iterations: usize,
    /// A search that moves this far from its source point has run off (along the
    /// softmax-shift directions the loss is exactly quadratic and no saddle lies ahead).
    pub max_distance: f64,
    /// RMS gradient below which Newton's method takes over for the last digits.
    pub polish_below: f64,
    /// A search whose RMS gradient has not reached a new low for this many iterations, and
    /// that over them moved back and forth (net displacement under a tenth of its path), is
    /// given up as stalled: it is oscillating on a ridge or shelf with no stationary point
    /// of its kind ahead, and would spend its whole budget there.
    pub patience: usize,
    /// Whether downward searches also go along every pair of unstable modes
    /// (`(vₐ ± v_b)/√2`, both signs): the boundary of an unstable manifold of dimension `k ≥ 2`
    /// has points that no single eigenvector points at.
    pub pairs: bool,
    /// How many of the softest stable modes upward searches follow (both signs). The default
    /// covers every mode of the networks with up to 12 hidden units on XOR (`5·N_h + 2 ≤ 62`
    /// parameters), so a closed census has had every upward direction tried.
    pub up_modes: usize,
}

impl Default for LadderParams {
    fn default() -> Self {
        Self {
            push: 0.02,
            max_step: 0.5,
            max_iterations: 400,
            max_distance: 25.0,
            polish_below: 1e-6,
            patience: 60,
            pairs: true,
            up_modes: 64,
        }
    }
}

impl LadderParams {
    /// Checks every field; the error names the key and the allowed values.
    pub fn validate(&self) -> Result<(), ParamError> {
        positive("push", self.push)?;
        positive("max_step", self.max_step)?;
        at_least("max_iterations", self.max_iterations, 1)?;
        positive("max_distance", self.max_distance)?;
        positive("polish_below", self.polish_below)?;
        at_least("patience", self.patience, 1)?;
        if self.push >= self.max_distance {
            return Err(ParamError::new(
                "push",
                format!(
                    "must be below max_distance ({}) (got {})",
                    self.max_distance, self.push
                ),
            ));
        }
        Ok(())
    }
}

/// Which way one search leaves its source point. Mode numbers count in the source's Hessian
/// spectrum, ascending (0 = most negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Down along unstable mode `a`, or along `(vₐ + s·v_b)/√2` when `b` is `Some((b, s))`
    /// (`s` true for +), in the direction `positive` (+) or its opposite.
    Down {
        /// First unstable mode.
        a: usize,
        /// The second unstable mode and the sign it is combined with.
        b: Option<(usize, bool)>,
        /// Sign of the whole direction.
        positive: bool,
    },
    /// Up along stable mode `mode`, in the direction `positive` (+) or its opposite.
    Up {
        /// The stable mode.
        mode: usize,
        /// Sign of the direction.
        positive: bool,
    },
}

impl Direction {
    /// Whether the search goes down (to index `k − 1`).
    pub fn is_down(&self) -> bool {
        matches!(self, Direction::Down { .. })
    }
}

fn sign(positive: bool) -> char {
    if positive { '+' } else { '-' }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Direction::Down {
                a,
                b: None,
                positive,
            } => write!(f, "down {a}{}", sign(positive)),
            Direction::Down {
                a,
                b: Some((b, s)),
                positive,
            } => write!(f, "down {a}{}{b}{}", sign(s), sign(positive)),
            Direction::Up { mode, positive } => write!(f, "up {mode}{}", sign(positive)),
        }
    }
}

/// One saddle-to-saddle search, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// How it leaves the source.
    pub direction: Direction,
    /// The first point: the source displaced by `push` along the direction.
    pub start: Vec<f64>,
    /// Orthonormal directions followed uphill at the start (`target` of them).
    pub followed: Vec<Vec<f64>>,
    /// The Hessian index the search aims at.
    pub target: usize,
}

/// The searches from a stationary point with coordinates `x` and complete Hessian analysis
/// `a`: down along every unstable mode (and pair of them when `params.pairs`), both signs, and
/// up along the `params.up_modes` softest stable modes, both signs. Zero modes (`|λ| ≤` the
/// analysis's tolerance) are neither: no search leaves along them.
///
/// # Panics
/// If the analysis does not hold the complete spectrum.
pub fn searches(x: &[f64], a: &Analysis, params: &LadderParams) -> Vec<Search> {
    assert!(
        a.spectrum.is_complete(),
        "saddle-to-saddle searches need every Hessian eigenpair"
    );
    let n = x.len();
    let k = a.index;
    let v = |m: usize| a.spectrum.vector(m).to_vec();
    let start = |d: &[f64]| {
        let mut s = x.to_vec();
        vec::axpy(params.push, d, &mut s);
        s
    };
    let combine = |p: &[f64], q: &[f64], s: f64| -> Vec<f64> {
        p.iter()
            .zip(q)
            .map(|(p, q)| (p + s * q) * std::f64::consts::FRAC_1_SQRT_2)
            .collect()
    };
    let mut out = Vec::new();
    for positive in [true, false] {
        let sg = if positive { 1.0 } else { -1.0 };
        for m in 0..k {
            let mut d = v(m);
            vec::scale(sg, &mut d);
            out.push(Search {
                direction: Direction::Down {
                    a: m,
                    b: None,
                    positive,
                },
                start: start(&d),
                followed: (0..k).filter(|&o| o != m).map(v).collect(),
                target: k - 1,
            });
        }
    }
    if params.pairs {
        for p in 0..k {
            for q in p + 1..k {
                for s in [true, false] {
                    let t = if s { 1.0 } else { -1.0 };
                    let along = combine(a.spectrum.vector(p), a.spectrum.vector(q), t);
                    let across = combine(a.spectrum.vector(p), a.spectrum.vector(q), -t);
                    let mut followed = vec![across];
                    followed.extend((0..k).filter(|&o| o != p && o != q).map(v));
                    for positive in [true, false] {
                        let mut d = along.clone();
                        vec::scale(if positive { 1.0 } else { -1.0 }, &mut d);
                        out.push(Search {
                            direction: Direction::Down {
                                a: p,
                                b: Some((q, s)),
                                positive,
                            },
                            start: start(&d),
                            followed: followed.clone(),
                            target: k - 1,
                        });
                    }
                }
            }
        }
    }
    let stable = (k + a.zero_modes..n).take(params.up_modes);
    for mode in stable {
        for positive in [true, false] {
            let mut d = v(mode);
            vec::scale(if positive { 1.0 } else { -1.0 }, &mut d);
            let mut followed: Vec<Vec<f64>> = (0..k).map(v).collect();
            followed.push(v(mode));
            out.push(Search {
                direction: Direction::Up { mode, positive },
                start: start(&d),
                followed,
                target: k + 1,
            });
        }
    }
    out
}

/// Runs one search from `origin` (its source point) to a stationary point, polished by
/// Newton's method. The point reached may have another index than `search.target` (a search
/// can end at the source itself, or on a ridge of a different order); the caller judges it.
pub fn follow(
    l: &dyn Landscape,
    origin: &[f64],
    search: &Search,
    params: &LadderParams,
    newton_params: &newton::NewtonParams,
    zero_tolerance: f64,
) -> Result<StationaryPoint, NewtonFailure> {
    let n = l.dim();
    if search.start.len() != n || origin.len() != n {
        return Err(NewtonFailure::Dimension {
            expected: n,
            got: search.start.len().min(origin.len()),
        });
    }
    let mut x = search.start.clone();
    let mut followed = search.followed.clone();
    let mut g = vec![0.0; n];
    let mut step = vec![0.0; n];
    let mut chosen = Vec::with_capacity(followed.len());
    let (mut best, mut best_at) = (f64::INFINITY, 0);
    // The last `patience + 1` positions and the lengths of the steps between them, in rings
    // allocated once per search (slot `iteration % (patience + 1)`).
    let slots = params.patience + 1;
    let mut positions = vec![0.0; slots * n];
    let mut lengths = vec![0.0; slots];
    for iteration in 0..params.max_iterations {
        let a = analyse(l, &x, zero_tolerance);
        if !a.is_finite() {
            return Err(NewtonFailure::NonFinite {
                iterations: iteration,
            });
        }
        if a.rms_gradient <= params.polish_below {
            return newton::solve(l, &x, newton_params, zero_tolerance);
        }
        // Stalled: over the last `patience` iterations the search neither reached a new low
        // of the gradient nor got anywhere (it moved back and forth within a tenth of the
        // path it took). A climb, whose gradient grows, still moves on.
        if a.rms_gradient < best {
            (best, best_at) = (a.rms_gradient, iteration);
        }
        let slot = iteration % slots;
        positions[slot * n..(slot + 1) * n].copy_from_slice(&x);
        if iteration - best_at >= params.patience && iteration >= params.patience {
            // Steps `iteration - patience .. iteration` lead from the oldest position to `x`.
            let oldest = (iteration - params.patience) % slots;
            let path: f64 = (iteration - params.patience..iteration)
                .map(|j| lengths[j % slots])
                .sum();
            let net = vec::distance(&positions[oldest * n..(oldest + 1) * n], &x);
            if net < 0.1 * path {
                return Err(NewtonFailure::Wandering {
                    rms_gradient: a.rms_gradient,
                });
            }
        }
        track(&a, &mut followed, &mut chosen);
        l.energy_gradient(&x, &mut g);
        step.fill(0.0);
        for (i, &ev) in a.spectrum.values.iter().enumerate() {
            let u = a.spectrum.vector(i);
            let f = vec::dot(&g, u);
            let h = if chosen.contains(&i) {
                rfo_step(f, ev)
            } else {
                -rfo_step(f, ev)
            };
            vec::axpy(h, u, &mut step);
        }
        let length = vec::norm(&step);
        if length > params.max_step {
            vec::scale(params.max_step / length, &mut step);
        }
        vec::axpy(1.0, &step, &mut x);
        lengths[slot] = vec::distance(&positions[slot * n..(slot + 1) * n], &x);
        let distance = vec::distance(&x, origin);
        if distance > params.max_distance {
            return Err(NewtonFailure::RanOff { distance });
        }
    }
    let a = analyse(l, &x, zero_tolerance);
    Err(NewtonFailure::Budget {
        iterations: params.max_iterations,
        rms_gradient: a.rms_gradient,
    })
}

/// Replaces `followed` by the eigenvectors of `a` that project most onto it (as many as it
/// holds; the lower mode wins a tie) and writes their mode numbers into `chosen`.
fn track(a: &Analysis, followed: &mut Vec<Vec<f64>>, chosen: &mut Vec<usize>) {
    chosen.clear();
    let k = followed.len();
    if k == 0 {
        return;
    }
    let modes = a.spectrum.values.len();
    let mut scores: Vec<(f64, usize)> = (0..modes)
        .map(|i| {
            let u = a.spectrum.vector(i);
            let s: f64 = followed.iter().map(|f| vec::dot(f, u).powi(2)).sum();
            (s, i)
        })
        .collect();
    scores.sort_by(|p, q| q.0.total_cmp(&p.0).then(p.1.cmp(&q.1)));
    chosen.extend(scores.iter().take(k).map(|&(_, i)| i));
    chosen.sort_unstable();
    followed.clear();
    followed.extend(chosen.iter().map(|&i| a.spectrum.vector(i).to_vec()));
}

/// Result of one point's searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LadderReport {
    /// Searches run.
    pub searches: usize,
    /// Searches that ended at a stationary point the sink accepted.
    pub reached: usize,
    /// Transition states handed to the sink.
    pub transition_states: usize,
}

/// Runs every search of [`searches`] from the stationary point `x` (unless the sink says
/// `attempt` was done) and hands what they reach to the sink in search order: each point to
/// [`Sink::add_stationary`] (its id goes into the outcome's `reached`, so the caller can tell
/// later whether every search still ends at a known point), minima to [`Sink::add_minimum`],
/// verified index-1 points through push-off to [`Sink::add_ts`], each once per attempt.
pub fn run(
    tools: &Toolkit<'_>,
    sink: &mut dyn Sink,
    attempt: Attempt,
    x: &[f64],
) -> Result<LadderReport, SinkError> {
    let mut report = LadderReport::default();
    if sink.already_tried(&attempt)? {
        return Ok(report);
    }
    let params = &tools.params.ladder;
    let zero = tools.checks.zero_eigenvalue;
    let source = analyse(tools.landscape, x, zero);
    let list = if source.is_finite() {
        searches(x, &source, params)
    } else {
        Vec::new()
    };
    let works = tools.executor.census_all(list.len(), &|i| {
        let p = follow(
            tools.landscape,
            x,
            &list[i],
            params,
            &tools.params.newton,
            zero,
        )?;
        Ok(crate::census::classify(tools, p))
    });
    let mut outcome = AttemptOutcome {
        searches: list.len(),
        ..AttemptOutcome::default()
    };
    if !source.is_finite() {
        outcome
            .failures
            .push("source: non-finite energy, gradient or Hessian".into());
    }
    let mut found = Vec::new();
    for (search, work) in list.iter().zip(works) {
        report.searches += 1;
        let (point, refined) = match work {
            Ok(w) => w,
            Err(e) => {
                outcome.failures.push(format!("{}: {e}", search.direction));
                continue;
            }
        };
        let Some(id) = sink.add_stationary(&point)? else {
            outcome.failures.push(format!(
                "{}: ended at a point the checks do not accept as stationary",
                search.direction
            ));
            continue;
        };
        report.reached += 1;
        let first = !outcome.reached.contains(&id);
        outcome.reached.push(id);
        if first && hand_over(tools, sink, &point, refined, &mut outcome, &mut found)? {
            report.transition_states += 1;
        }
    }
    sink.attempt_done(&attempt, &outcome)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_core::surfaces::{FourWell, MullerBrown};

    fn analysis(l: &dyn Landscape, x: &[f64]) -> Analysis {
        analyse(l, x, 1e-9)
    }

    fn reach(l: &dyn Landscape, x: &[f64]) -> Vec<(usize, Vec<f64>)> {
        let a = analysis(l, x);
        let p = LadderParams::default();
        searches(x, &a, &p)
            .iter()
            .filter_map(|s| follow(l, x, s, &p, &newton::NewtonParams::default(), 1e-9).ok())
            .map(|s| (s.analysis.index, s.coords))
            .collect()
    }

    fn has(points: &[(usize, Vec<f64>)], index: usize, at: [f64; 2]) -> bool {
        points
            .iter()
            .any(|(k, x)| *k == index && vec::distance(x, &at) < 1e-6)
    }

    #[test]
    fn down_from_the_four_well_maximum_reaches_every_saddle() {
        // The origin is the index-2 maximum; its unstable manifold is bounded by the four
        // saddles at the edge midpoints, each along one eigenvector and its opposite.
        let found = reach(&FourWell, &[0.0, 0.0]);
        for at in [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]] {
            assert!(has(&found, 1, at), "saddle {at:?} missing from {found:?}");
        }
        // Pairs of unstable modes point at the corners' diagonals: the searches still end at
        // stationary points, never at the maximum's own index.
        assert!(found.iter().all(|(k, _)| *k <= 1), "{found:?}");
    }

    #[test]
    fn up_from_a_four_well_minimum_reaches_its_two_saddles_and_down_from_a_saddle_its_minima() {
        let up = reach(&FourWell, &[1.0, 1.0]);
        assert!(has(&up, 1, [1.0, 0.0]) && has(&up, 1, [0.0, 1.0]), "{up:?}");
        let down = reach(&FourWell, &[1.0, 0.0]);
        assert!(
            has(&down, 0, [1.0, 1.0]) && has(&down, 0, [1.0, -1.0]),
            "{down:?}"
        );
        // Up from the saddle along its stable mode climbs to the maximum.
        assert!(has(&down, 2, [0.0, 0.0]), "{down:?}");
    }

    #[test]
    fn muller_brown_minima_and_saddles_are_linked_both_ways() {
        // The deepest minimum and the saddle next to it (known from the literature).
        let minimum = newton::solve(&MullerBrown, &[-0.56, 1.44], &Default::default(), 1e-9)
            .unwrap()
            .coords;
        let up = reach(&MullerBrown, &minimum);
        let saddle = up
            .iter()
            .find(|(k, x)| *k == 1 && (MullerBrown.energy(x) + 40.66).abs() < 0.01)
            .expect("the saddle above the deepest minimum");
        let down = reach(&MullerBrown, &saddle.1);
        assert!(
            down.iter()
                .any(|(k, x)| *k == 0 && vec::distance(x, &minimum) < 1e-6),
            "{down:?}"
        );
    }

    #[test]
    fn directions_are_counted_and_named() {
        let a = analysis(&FourWell, &[0.0, 0.0]);
        let list = searches(&[0.0, 0.0], &a, &LadderParams::default());
        // Index 2 in 2 dimensions: 2 modes × 2 signs, 1 pair × 2 combinations × 2 signs.
        assert_eq!(list.len(), 8);
        assert!(list.iter().all(|s| s.target == 1 && s.followed.len() == 1));
        let names: Vec<String> = list.iter().map(|s| s.direction.to_string()).collect();
        assert!(names.contains(&"down 0+".to_owned()));
        assert!(names.contains(&"down 0-1+".to_owned()));
        let without_pairs = LadderParams {
            pairs: false,
            ..LadderParams::default()
        };
        assert_eq!(searches(&[0.0, 0.0], &a, &without_pairs).len(), 4);
    }

    #[test]
    fn a_search_that_climbs_forever_is_reported_as_run_off() {
        // A paraboloid has nothing above its minimum: every upward search runs off.
        struct Bowl;
        impl Landscape for Bowl {
            fn dim(&self) -> usize {
                2
            }
            fn energy(&self, x: &[f64]) -> f64 {
                x[0] * x[0] + 2.0 * x[1] * x[1]
            }
            fn energy_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
                g[0] = 2.0 * x[0];
                g[1] = 4.0 * x[1];
                self.energy(x)
            }
            fn hessian(&self, _: &[f64], h: &mut [f64]) {
                h.copy_from_slice(&[2.0, 0.0, 0.0, 4.0]);
            }
            fn align(&self, r: &[f64], x: &mut [f64]) -> f64 {
                vec::distance(r, x)
            }
        }
        let x = [0.0, 0.0];
        let a = analysis(&Bowl, &x);
        let p = LadderParams::default();
        for s in searches(&x, &a, &p) {
            let r = follow(&Bowl, &x, &s, &p, &Default::default(), 1e-9);
            assert!(matches!(r, Err(NewtonFailure::RanOff { .. })), "{r:?}");
        }
    }

    #[test]
    fn invalid_parameters_name_their_key() {
        let bad = LadderParams {
            push: 0.0,
            ..LadderParams::default()
        };
        assert_eq!(bad.validate().unwrap_err().key, "push");
    }
}
