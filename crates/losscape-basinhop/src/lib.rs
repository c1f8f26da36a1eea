//! Basin-hopping (Wales & Doye 1997): the global search that collects the minima of a landscape.
//!
//! One call of [`run_chain`] runs one seeded chain on one thread: a random start is quenched,
//! then every step perturbs all coordinates, quenches again and accepts the new minimum by the
//! Metropolis rule, while the step size is tuned towards a target acceptance ratio. The minima a
//! chain finds are told apart with [`losscape_core::PointSet`] and an [`Identity`].
//!
//! There is deliberately no parallelism here: the experiment runner runs many chains on a thread
//! pool and merges their results in chain order, which keeps a run reproducible whatever the
//! thread count. A chain's result is a pure function of its inputs and its seed.
//!
//! This crate depends only on `losscape-core`, serde and the seeded RNG: no I/O, no printing, no
//! global state; progress is reported through an observer callback.

#![forbid(unsafe_code)]

use losscape_core::param::{self, ParamError};
use losscape_core::{Convergence, Identity, Landscape, MinimiseError, Minimiser, PointSet};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Parameters of basin-hopping (the `[basin_hopping]` table of an experiment file).
///
/// The defaults, defined only in [`Default`], are chosen for the XOR network landscapes, whose
/// minima have energies of roughly 0.1–0.7 (ln 2 ≈ 0.69 at w = 0) and whose weights at a minimum
/// are of order 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BasinHoppingParams {
    /// Number of independent chains the runner starts (not used by [`run_chain`] itself).
    /// Default 8: several short chains from different random starts explore a multi-funnel
    /// landscape better than one long chain.
    pub chains: usize,
    /// Step budget of each chain; every step is one quench, the initial one included.
    /// Default 200.
    pub steps: usize,
    /// Stop a chain after this many consecutive steps that found no minimum new to the chain.
    /// Default 50: a quarter of the budget, long enough to climb out of a funnel once the
    /// step size has adapted, short enough not to waste effort on an exhausted region.
    pub max_without_new: usize,
    /// Metropolis temperature, in energy units. Default 0.1: about a sixth of the XOR energy
    /// range, so an uphill move of 0.1 is accepted with probability e⁻¹ ≈ 0.37 and one of 0.3
    /// with ≈ 0.05; the chain prefers low minima but does not get stuck in the lowest.
    pub temperature: f64,
    /// Initial half-width of the uniform perturbation applied to every coordinate. Default 1.0:
    /// comparable to the weights themselves, so a step usually leaves the current basin.
    pub step_size: f64,
    /// Acceptance ratio the step size is tuned towards. Default 0.5 (GMIN/pele practice).
    pub target_acceptance: f64,
    /// Perturbation moves between step-size adjustments. Default 10.
    pub adjust_every: usize,
    /// Factor applied to the step size at each adjustment: multiplied when the acceptance is
    /// below target, divided when above. Default 0.9 (gentle, as in pele).
    pub adjust_factor: f64,
    /// Random starts (and restarts) are uniform in `[-start_range, start_range]` per
    /// coordinate. Default 5.0, the range of the GMIN runs on the XOR networks.
    pub start_range: f64,
    /// If set, replace the current minimum by a fresh random start after this many consecutive
    /// steps that did not lower the chain's best energy. Default: off, because independent
    /// chains already provide diversity and `max_without_new` ends a chain that is stuck.
    pub restart_every: Option<usize>,
}

impl Default for BasinHoppingParams {
    fn default() -> Self {
        Self {
            chains: 8,
            steps: 200,
            max_without_new: 50,
            temperature: 0.1,
            step_size: 1.0,
            target_acceptance: 0.5,
            adjust_every: 10,
            adjust_factor: 0.9,
            start_range: 5.0,
            restart_every: None,
        }
    }
}

impl BasinHoppingParams {
    /// Checks every parameter; the error names the key (without the `basin_hopping.`
    /// section) and the allowed values.
    pub fn validate(&self) -> Result<(), ParamError> {
        let at_least_one = [
            ("chains", self.chains),
            ("steps", self.steps),
            ("max_without_new", self.max_without_new),
            ("adjust_every", self.adjust_every),
        ];
        for (key, value) in at_least_one {
            param::at_least(key, value, 1)?;
        }
        if self.restart_every == Some(0) {
            return Err(ParamError::new(
                "restart_every",
                "must be >= 1 or absent (got 0)",
            ));
        }
        let positive = [
            ("temperature", self.temperature),
            ("step_size", self.step_size),
            ("start_range", self.start_range),
        ];
        for (key, value) in positive {
            param::positive(key, value)?;
        }
        let fraction = [
            ("target_acceptance", self.target_acceptance),
            ("adjust_factor", self.adjust_factor),
        ];
        for (key, value) in fraction {
            if !(value > 0.0 && value < 1.0) {
                return Err(ParamError::new(
                    key,
                    format!("must be in (0, 1) (got {value})"),
                ));
            }
        }
        Ok(())
    }
}

/// A distinct minimum found by a chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundMinimum {
    /// Energy at the first discovery.
    pub energy: f64,
    /// Coordinates at the first discovery.
    pub coords: Vec<f64>,
    /// Converged quenches that ended on this minimum (at least 1).
    pub times_found: usize,
    /// Step (0-based; step 0 is the first random start) of the first discovery.
    pub first_step: usize,
}

/// Why a chain stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// The step budget ([`BasinHoppingParams::steps`]) was used up.
    Budget,
    /// [`BasinHoppingParams::max_without_new`] consecutive steps found nothing new.
    NoNewMinima,
}

/// What one chain found and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainResult {
    /// Distinct minima in order of first discovery.
    pub minima: Vec<FoundMinimum>,
    /// Steps taken (quenches attempted, the initial one included).
    pub steps: usize,
    /// Perturbation moves accepted by the Metropolis rule.
    pub accepted: usize,
    /// Quenches that did not converge or failed with an error (never recorded as minima).
    pub failed_quenches: usize,
    /// Why the first failed quench failed (the minimiser's error, or "no convergence"), so a
    /// misbehaving plugin is named in the run's record and not only counted.
    pub first_failure: Option<String>,
    /// Energy + gradient evaluations spent in quenches.
    pub evaluations: usize,
    /// Step size after the last adjustment.
    pub final_step_size: f64,
    /// Why the chain stopped.
    pub stop: StopReason,
}

/// Progress of a chain, for observers such as progress bars.
#[derive(Debug, Clone, PartialEq)]
pub enum ChainEvent {
    /// A step whose quench converged.
    Step {
        /// Step index (0-based).
        step: usize,
        /// Energy of the quenched minimum.
        energy: f64,
        /// Whether this minimum is new to the chain.
        new_minimum: bool,
        /// Whether the chain now sits in this minimum (a start, or a Metropolis acceptance).
        accepted: bool,
    },
    /// A step whose quench did not converge or failed.
    QuenchFailed {
        /// Step index (0-based).
        step: usize,
        /// The minimiser's error, if it returned one (`None`: budget exhausted).
        error: Option<MinimiseError>,
    },
    /// The chain has stopped; the same numbers are in the [`ChainResult`].
    Finished {
        /// Steps taken.
        steps: usize,
        /// Distinct minima found.
        minima: usize,
        /// Why it stopped.
        stop: StopReason,
    },
}

/// Per-minimum bookkeeping, indexed like the [`PointSet`] (insertion = discovery order).
struct Tally {
    times_found: usize,
    first_step: usize,
}

/// Runs one basin-hopping chain and returns the distinct minima it found.
///
/// Step 0 quenches a random start; each later step perturbs every coordinate of the current
/// minimum uniformly in `[-s, s]` (or, after a restart, draws a new random start), quenches
/// with `minimiser` to `quench`, and accepts the result with the Metropolis probability
/// `min(1, exp(-ΔE / temperature))`. Every `adjust_every` perturbation moves the step size `s`
/// is multiplied by `adjust_factor` if the acceptance ratio was below `target_acceptance`, and
/// divided by it otherwise; it never exceeds twice `start_range`, where a random start would
/// serve as well. Unconverged or failed quenches count as rejected moves and are never
/// recorded as minima. The chain stops after `steps` steps or after `max_without_new`
/// consecutive steps without a new minimum.
///
/// The result is a pure function of the arguments: all randomness comes from a ChaCha8 stream
/// seeded with `seed` (derive it with `losscape_core::seed::derive`). `params` should have
/// passed [`BasinHoppingParams::validate`]; invalid values do not panic (a non-positive
/// temperature accepts only downhill moves, `adjust_every = 0` disables adaptation).
pub fn run_chain(
    landscape: &dyn Landscape,
    minimiser: &dyn Minimiser,
    params: &BasinHoppingParams,
    quench: &Convergence,
    identity: &Identity,
    seed: u64,
    observer: &mut dyn FnMut(&ChainEvent),
) -> ChainResult {
    let n = landscape.dim();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut current = vec![0.0; n];
    let mut trial = vec![0.0; n];
    let mut current_energy = f64::INFINITY;
    // False before the first successful quench and after a restart: the next step is a start.
    let mut have_current = false;

    let mut found = PointSet::new();
    let mut tally: Vec<Tally> = Vec::new();
    let mut best_energy = f64::INFINITY;
    let max_step_size = 2.0 * params.start_range;
    let mut step_size = params.step_size;
    let (mut window_moves, mut window_accepted) = (0usize, 0usize);
    let (mut without_new, mut without_improvement) = (0usize, 0usize);
    let (mut accepted_total, mut failed, mut evaluations) = (0usize, 0usize, 0usize);
    let mut first_failure: Option<String> = None;
    let mut steps = 0;
    let mut stop = StopReason::Budget;

    while steps < params.steps {
        let step = steps;
        steps += 1;
        let is_move = have_current;
        if is_move {
            for (t, c) in trial.iter_mut().zip(&current) {
                *t = c + step_size * (2.0 * rng.random::<f64>() - 1.0);
            }
        } else {
            for t in &mut trial {
                *t = params.start_range * (2.0 * rng.random::<f64>() - 1.0);
            }
        }

        let outcome = minimiser.minimise(landscape, &mut trial, quench);
        let mut new_minimum = false;
        let mut accepted = false;
        match outcome {
            Ok(out) if out.converged && out.energy.is_finite() => {
                evaluations += out.evaluations;
                let (index, is_new) = found.insert(landscape, identity, out.energy, &trial);
                if is_new {
                    tally.push(Tally {
                        times_found: 1,
                        first_step: step,
                    });
                } else {
                    tally[index].times_found += 1;
                }
                new_minimum = is_new;
                accepted = !is_move || metropolis(&mut rng, out.energy - current_energy, params);
                if accepted {
                    current.copy_from_slice(&trial);
                    current_energy = out.energy;
                    have_current = true;
                }
                if out.energy < best_energy {
                    best_energy = out.energy;
                    without_improvement = 0;
                } else {
                    without_improvement += 1;
                }
                observer(&ChainEvent::Step {
                    step,
                    energy: out.energy,
                    new_minimum,
                    accepted,
                });
            }
            other => {
                failed += 1;
                without_improvement += 1;
                let error = match other {
                    Ok(out) => {
                        evaluations += out.evaluations;
                        None
                    }
                    Err(e) => {
                        if let MinimiseError::NonFinite { evaluations: used } = e {
                            evaluations += used;
                        }
                        Some(e)
                    }
                };
                if first_failure.is_none() {
                    first_failure = Some(match &error {
                        Some(e) => e.to_string(),
                        None => "no convergence within the quench budget".to_string(),
                    });
                }
                observer(&ChainEvent::QuenchFailed { step, error });
            }
        }

        if is_move {
            accepted_total += usize::from(accepted);
            window_moves += 1;
            window_accepted += usize::from(accepted);
            if params.adjust_every > 0 && window_moves >= params.adjust_every {
                let ratio = window_accepted as f64 / window_moves as f64;
                step_size = if ratio < params.target_acceptance {
                    step_size * params.adjust_factor
                } else {
                    (step_size / params.adjust_factor).min(max_step_size)
                };
                window_moves = 0;
                window_accepted = 0;
            }
        }

        if new_minimum {
            without_new = 0;
        } else {
            without_new += 1;
            if without_new >= params.max_without_new {
                stop = StopReason::NoNewMinima;
                break;
            }
        }
        if let Some(every) = params.restart_every
            && have_current
            && without_improvement >= every
        {
            have_current = false;
            without_improvement = 0;
        }
    }

    observer(&ChainEvent::Finished {
        steps,
        minima: found.len(),
        stop,
    });
    let minima = tally
        .iter()
        .enumerate()
        .map(|(i, t)| FoundMinimum {
            energy: found.energy(i),
            coords: found.point(i).to_vec(),
            times_found: t.times_found,
            first_step: t.first_step,
        })
        .collect();
    ChainResult {
        minima,
        steps,
        accepted: accepted_total,
        failed_quenches: failed,
        first_failure,
        evaluations,
        final_step_size: step_size,
        stop,
    }
}

/// The Metropolis rule: downhill always, uphill with probability `exp(-ΔE / T)`.
fn metropolis(rng: &mut ChaCha8Rng, delta: f64, params: &BasinHoppingParams) -> bool {
    if delta <= 0.0 {
        return true;
    }
    // A non-positive temperature (only possible unvalidated) is a pure descent.
    let t = params.temperature;
    t > 0.0 && rng.random::<f64>() < (-delta / t).exp()
}

#[cfg(test)]
mod tests;
