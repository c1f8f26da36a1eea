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
use losscape_core::{
    Convergence, Identity, Landscape, MinimiseError, Minimiser, PointSet, QuenchOutcome,
};
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
#[derive(Debug, Clone)]
struct Tally {
    times_found: usize,
    first_step: usize,
}

/// What a chain searches and how: the fixed inputs of every [`Chain::step`] (the "problem" of
/// the solver-state pattern; the [`Chain`] is the state).
#[derive(Clone, Copy)]
pub struct ChainSetup<'a> {
    /// The surface searched.
    pub landscape: &'a dyn Landscape,
    /// The local minimiser of every quench.
    pub minimiser: &'a dyn Minimiser,
    /// Basin-hopping parameters.
    pub params: &'a BasinHoppingParams,
    /// Convergence of every quench.
    pub quench: &'a Convergence,
    /// When two minima are the same.
    pub identity: &'a Identity,
}

/// Whether a chain goes on after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// Call [`Chain::step`] again.
    Continue,
    /// The chain has stopped; [`Chain::finish`] gives its result.
    Stop(StopReason),
}

/// The state of one basin-hopping chain between steps: everything a step reads and changes.
///
/// Drive it with [`Chain::step`] until it returns [`StepOutcome::Stop`], then
/// [`Chain::finish`]; [`run_chain`] does exactly that.
#[derive(Debug, Clone)]
pub struct Chain {
    rng: ChaCha8Rng,
    /// The minimum the chain sits in (valid when `have_current`).
    current: Vec<f64>,
    current_energy: f64,
    /// False before the first successful quench and after a restart: the next step is a start.
    have_current: bool,
    /// Scratch for the proposed point.
    trial: Vec<f64>,
    found: PointSet,
    tally: Vec<Tally>,
    best_energy: f64,
    step_size: f64,
    /// Perturbation moves and acceptances since the last step-size adjustment.
    window_moves: usize,
    window_accepted: usize,
    without_new: usize,
    without_improvement: usize,
    accepted_total: usize,
    failed: usize,
    evaluations: usize,
    first_failure: Option<String>,
    steps: usize,
}

/// A [`Chain`] between two steps as plain, serialisable data (no infinities). For a
/// bit-identical resume store it in a format that round-trips `f64` exactly (TOML does;
/// `serde_json` only with its `float_roundtrip` feature).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainCheckpoint {
    /// The ChaCha8 stream: its seed, stream and word position (high, low 64 bits).
    pub rng_seed: [u8; 32],
    /// Stream number of the generator.
    pub rng_stream: u64,
    /// Word position, high and low halves.
    pub rng_word_pos: [u64; 2],
    /// Whether the chain sits in a minimum (false: the next step starts afresh).
    pub have_current: bool,
    /// The minimum the chain sat in last (zeros before the first).
    pub current: Vec<f64>,
    /// Its energy (`None` before the first).
    pub current_energy: Option<f64>,
    /// Distinct minima so far, in discovery order.
    pub minima: Vec<FoundMinimum>,
    /// Lowest energy so far.
    pub best_energy: Option<f64>,
    /// Current step size.
    pub step_size: f64,
    /// Moves since the last step-size adjustment.
    pub window_moves: usize,
    /// Accepted moves since the last step-size adjustment.
    pub window_accepted: usize,
    /// Consecutive steps without a new minimum.
    pub without_new: usize,
    /// Consecutive steps without a lower energy.
    pub without_improvement: usize,
    /// Accepted moves.
    pub accepted: usize,
    /// Failed quenches.
    pub failed_quenches: usize,
    /// Evaluations spent.
    pub evaluations: usize,
    /// Why the first failed quench failed.
    pub first_failure: Option<String>,
    /// Steps taken.
    pub steps: usize,
}

/// What one quench added to the chain.
struct Quenched {
    new_minimum: bool,
    accepted: bool,
}

impl Chain {
    /// A chain on a landscape of `dim` coordinates that has taken no step, its random stream
    /// seeded with `seed`.
    pub fn new(dim: usize, params: &BasinHoppingParams, seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            current: vec![0.0; dim],
            current_energy: f64::INFINITY,
            have_current: false,
            trial: vec![0.0; dim],
            found: PointSet::new(),
            tally: Vec::new(),
            best_energy: f64::INFINITY,
            step_size: params.step_size,
            window_moves: 0,
            window_accepted: 0,
            without_new: 0,
            without_improvement: 0,
            accepted_total: 0,
            failed: 0,
            evaluations: 0,
            first_failure: None,
            steps: 0,
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Distinct minima found so far.
    pub fn minima(&self) -> usize {
        self.found.len()
    }

    /// Takes one step: propose, quench, accept or reject, adapt the step size, and decide
    /// whether to stop or restart. Reports the step to `observer`.
    pub fn step(
        &mut self,
        setup: &ChainSetup<'_>,
        observer: &mut dyn FnMut(&ChainEvent),
    ) -> StepOutcome {
        let params = setup.params;
        if self.steps >= params.steps {
            return StepOutcome::Stop(StopReason::Budget);
        }
        let step = self.steps;
        self.steps += 1;
        let is_move = self.have_current;
        self.propose(params, is_move);
        let Quenched {
            new_minimum,
            accepted,
        } = self.quench(setup, step, is_move, observer);
        if is_move {
            self.adapt_step_size(params, accepted);
        }
        if new_minimum {
            self.without_new = 0;
        } else {
            self.without_new += 1;
            if self.without_new >= params.max_without_new {
                return StepOutcome::Stop(StopReason::NoNewMinima);
            }
        }
        if let Some(every) = params.restart_every
            && self.have_current
            && self.without_improvement >= every
        {
            self.have_current = false;
            self.without_improvement = 0;
        }
        StepOutcome::Continue
    }

    /// Fills `trial`: the current minimum perturbed by up to the step size in every
    /// coordinate, or a random start.
    fn propose(&mut self, params: &BasinHoppingParams, is_move: bool) {
        if is_move {
            for (t, c) in self.trial.iter_mut().zip(&self.current) {
                *t = c + self.step_size * (2.0 * self.rng.random::<f64>() - 1.0);
            }
        } else {
            for t in &mut self.trial {
                *t = params.start_range * (2.0 * self.rng.random::<f64>() - 1.0);
            }
        }
    }

    /// Quenches `trial` and records the result (a minimum, or a failure).
    fn quench(
        &mut self,
        setup: &ChainSetup<'_>,
        step: usize,
        is_move: bool,
        observer: &mut dyn FnMut(&ChainEvent),
    ) -> Quenched {
        let outcome = setup
            .minimiser
            .minimise(setup.landscape, &mut self.trial, setup.quench);
        match outcome {
            Ok(out) if out.converged && out.energy.is_finite() => {
                self.evaluations += out.evaluations;
                let q = self.record_minimum(setup, step, is_move, out.energy);
                observer(&ChainEvent::Step {
                    step,
                    energy: out.energy,
                    new_minimum: q.new_minimum,
                    accepted: q.accepted,
                });
                q
            }
            other => {
                let error = self.record_failure(other);
                observer(&ChainEvent::QuenchFailed { step, error });
                Quenched {
                    new_minimum: false,
                    accepted: false,
                }
            }
        }
    }

    /// A converged quench to `energy` at `trial`: tally it, apply the Metropolis rule to a
    /// move (a start is always accepted) and track the best energy.
    fn record_minimum(
        &mut self,
        setup: &ChainSetup<'_>,
        step: usize,
        is_move: bool,
        energy: f64,
    ) -> Quenched {
        let (index, is_new) =
            self.found
                .insert(setup.landscape, setup.identity, energy, &self.trial);
        if is_new {
            self.tally.push(Tally {
                times_found: 1,
                first_step: step,
            });
        } else {
            self.tally[index].times_found += 1;
        }
        let accepted =
            !is_move || metropolis(&mut self.rng, energy - self.current_energy, setup.params);
        if accepted {
            self.current.copy_from_slice(&self.trial);
            self.current_energy = energy;
            self.have_current = true;
        }
        if energy < self.best_energy {
            self.best_energy = energy;
            self.without_improvement = 0;
        } else {
            self.without_improvement += 1;
        }
        Quenched {
            new_minimum: is_new,
            accepted,
        }
    }

    /// An unconverged or failed quench: counted, its evaluations kept, the first reason
    /// remembered. Returns the minimiser's error, if any.
    fn record_failure(
        &mut self,
        outcome: Result<QuenchOutcome, MinimiseError>,
    ) -> Option<MinimiseError> {
        self.failed += 1;
        self.without_improvement += 1;
        let error = match outcome {
            Ok(out) => {
                self.evaluations += out.evaluations;
                None
            }
            Err(e) => {
                if let MinimiseError::NonFinite { evaluations: used } = e {
                    self.evaluations += used;
                }
                Some(e)
            }
        };
        if self.first_failure.is_none() {
            self.first_failure = Some(match &error {
                Some(e) => e.to_string(),
                None => "no convergence within the quench budget".to_string(),
            });
        }
        error
    }

    /// Counts a perturbation move and, every `adjust_every` moves, shrinks the step size if
    /// too few were accepted or grows it (up to twice `start_range`) otherwise.
    fn adapt_step_size(&mut self, params: &BasinHoppingParams, accepted: bool) {
        self.accepted_total += usize::from(accepted);
        self.window_moves += 1;
        self.window_accepted += usize::from(accepted);
        if params.adjust_every > 0 && self.window_moves >= params.adjust_every {
            let ratio = self.window_accepted as f64 / self.window_moves as f64;
            self.step_size = if ratio < params.target_acceptance {
                self.step_size * params.adjust_factor
            } else {
                (self.step_size / params.adjust_factor).min(2.0 * params.start_range)
            };
            self.window_moves = 0;
            self.window_accepted = 0;
        }
    }

    /// The whole state as plain data, for a checkpoint mid-chain: [`Chain::resume`] continues
    /// bit-identically to the chain that was never stopped.
    pub fn checkpoint(&self) -> ChainCheckpoint {
        let word = self.rng.get_word_pos();
        ChainCheckpoint {
            rng_seed: self.rng.get_seed(),
            rng_stream: self.rng.get_stream(),
            rng_word_pos: [(word >> 64) as u64, word as u64],
            have_current: self.have_current,
            current: self.current.clone(),
            current_energy: self
                .current_energy
                .is_finite()
                .then_some(self.current_energy),
            minima: self.finish_minima(),
            best_energy: self.best_energy.is_finite().then_some(self.best_energy),
            step_size: self.step_size,
            window_moves: self.window_moves,
            window_accepted: self.window_accepted,
            without_new: self.without_new,
            without_improvement: self.without_improvement,
            accepted: self.accepted_total,
            failed_quenches: self.failed,
            evaluations: self.evaluations,
            first_failure: self.first_failure.clone(),
            steps: self.steps,
        }
    }

    /// The chain a [`Chain::checkpoint`] was taken of.
    pub fn resume(c: &ChainCheckpoint) -> Self {
        let mut rng = ChaCha8Rng::from_seed(c.rng_seed);
        rng.set_stream(c.rng_stream);
        rng.set_word_pos((u128::from(c.rng_word_pos[0]) << 64) | u128::from(c.rng_word_pos[1]));
        let mut found = PointSet::new();
        let mut tally = Vec::with_capacity(c.minima.len());
        for m in &c.minima {
            // Distinct when first inserted, so they keep their discovery indices.
            found.push(m.energy, m.coords.clone());
            tally.push(Tally {
                times_found: m.times_found,
                first_step: m.first_step,
            });
        }
        Self {
            rng,
            have_current: c.have_current,
            current: c.current.clone(),
            current_energy: c.current_energy.unwrap_or(f64::INFINITY),
            trial: vec![0.0; c.current.len()],
            found,
            tally,
            best_energy: c.best_energy.unwrap_or(f64::INFINITY),
            step_size: c.step_size,
            window_moves: c.window_moves,
            window_accepted: c.window_accepted,
            without_new: c.without_new,
            without_improvement: c.without_improvement,
            accepted_total: c.accepted,
            failed: c.failed_quenches,
            evaluations: c.evaluations,
            first_failure: c.first_failure.clone(),
            steps: c.steps,
        }
    }

    fn finish_minima(&self) -> Vec<FoundMinimum> {
        self.tally
            .iter()
            .enumerate()
            .map(|(i, t)| FoundMinimum {
                energy: self.found.energy(i),
                coords: self.found.point(i).to_vec(),
                times_found: t.times_found,
                first_step: t.first_step,
            })
            .collect()
    }

    /// The chain's result, given why it stopped.
    pub fn finish(self, stop: StopReason) -> ChainResult {
        ChainResult {
            minima: self.finish_minima(),
            steps: self.steps,
            accepted: self.accepted_total,
            failed_quenches: self.failed,
            first_failure: self.first_failure,
            evaluations: self.evaluations,
            final_step_size: self.step_size,
            stop,
        }
    }
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
    let setup = ChainSetup {
        landscape,
        minimiser,
        params,
        quench,
        identity,
    };
    let mut chain = Chain::new(landscape.dim(), params, seed);
    let stop = loop {
        if let StepOutcome::Stop(reason) = chain.step(&setup, observer) {
            break reason;
        }
    };
    observer(&ChainEvent::Finished {
        steps: chain.steps(),
        minima: chain.minima(),
        stop,
    });
    chain.finish(stop)
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
