//! The completeness stages: `census` (Newton searches for stationary points of every index)
//! and `saturate` (rounds of census, survey and connection until nothing new turns up).
//!
//! Both follow the runner's rules: every unit (a batch of census starts, a survey direction, a
//! pair attempt) draws from a stream seeded by its own key and is committed with its attempt
//! record, so a killed run resumes to the database an uninterrupted run would have written.
//! A saturation round records the state it started from and the pairs it chose before running
//! them, so a resumed round redoes exactly the same work.

use losscape_analysis::census::Saturation;
use losscape_core::ParamError;
use losscape_core::param::{at_least, fraction};
use losscape_core::seed;
use losscape_db::Store;
use losscape_model::Perceptron;
use losscape_ts::connect::{Connector, attempt_pairs, connect_all_to_global};
use losscape_ts::{Attempt, MinId, census, survey};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::attempts::{SearchDetail, SearchKey};
use crate::config::Stage;
use crate::error::RunError;
use crate::points::stored_morse_census;
use crate::runner::{Event, LandscapeRun};
use crate::store_connect::{DbSink, sink_error};

/// Seed-stream tag of census starts (basin-hopping uses 1).
const STREAM_CENSUS: u64 = 2;

/// `[census]`: where Newton searches start and how many.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CensusParams {
    /// Starts per batch; a batch is one unit of work, committed as a whole.
    pub batch: usize,
    /// Most batches of the `census` stage, and of the census of each saturation round.
    pub batches: usize,
    /// A census (stage or round) ends early after this many consecutive batches that stored
    /// no new point (minimum, transition state or census point of any index): small
    /// landscapes are exhausted in a few batches, large ones use the whole `batches` budget.
    pub quiet_batches: usize,
    /// Largest weight magnitude of a start. Each start draws its own scale log-uniformly in
    /// `[0.05, range]` and its weights uniformly within it, so starts near `w = 0`, where the
    /// saddles of small λ crowd, are as common as wide ones.
    pub range: f64,
    /// Fraction of starts placed on a symmetric subspace of the network (a dead hidden unit,
    /// two equal units up to sign, first-layer weights invariant under an input symmetry of
    /// the data, or two units exchanged by an input symmetry). Newton's method keeps such a start inside its subspace, which is where the
    /// saddles whose push-offs reach two copies of one minimum live.
    pub symmetric_fraction: f64,
    /// Fraction of starts placed near a stationary point already known (a stored minimum or
    /// census point, chosen uniformly), displaced by a log-uniform scale in `[0.02, 1]`.
    /// Random starts mostly fall to a few highly symmetric points; the saddles next to known
    /// points are found far more often from close by. Transition states found by other
    /// searches are never used, so the census stays an independent check of them.
    pub near_known_fraction: f64,
}

impl Default for CensusParams {
    fn default() -> Self {
        Self {
            batch: 64,
            batches: 32,
            quiet_batches: 8,
            range: 20.0,
            symmetric_fraction: 0.5,
            near_known_fraction: 0.5,
        }
    }
}

impl CensusParams {
    /// Checks every field; the error names the key and the allowed values.
    pub fn validate(&self) -> Result<(), ParamError> {
        at_least("batch", self.batch, 1)?;
        at_least("batches", self.batches, 1)?;
        at_least("quiet_batches", self.quiet_batches, 1)?;
        if !(self.range.is_finite() && self.range > 0.05) {
            return Err(ParamError::new(
                "range",
                format!("must be a finite number > 0.05 (got {})", self.range),
            ));
        }
        fraction("symmetric_fraction", self.symmetric_fraction)?;
        fraction("near_known_fraction", self.near_known_fraction)
    }
}

/// `[saturate]`: when the rounds of searching stop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SaturateParams {
    /// Consecutive quiet rounds that count as saturated (the K of DESIGN.md §2b). A round is
    /// quiet when it adds no minimum, transition state or census point (of any index) and the
    /// Morse check of the landscape passes (or is void): a failing check proves points are
    /// missing, so searching goes on until `max_rounds`.
    pub quiet_rounds: usize,
    /// Most rounds; a landscape still finding points then is recorded as not saturated.
    pub max_rounds: usize,
    /// Per minimum, how many of its nearest minima not yet joined to it directly are tried as
    /// pairs each round (transition states on cycles of the connection graph).
    pub neighbours: usize,
}

impl Default for SaturateParams {
    fn default() -> Self {
        Self {
            quiet_rounds: 2,
            max_rounds: 6,
            neighbours: 3,
        }
    }
}

impl SaturateParams {
    /// Checks every field; the error names the key and the allowed values.
    pub fn validate(&self) -> Result<(), ParamError> {
        at_least("quiet_rounds", self.quiet_rounds, 1)?;
        if self.max_rounds < self.quiet_rounds {
            return Err(ParamError::new(
                "max_rounds",
                format!(
                    "must be >= quiet_rounds ({}) (got {})",
                    self.quiet_rounds, self.max_rounds
                ),
            ));
        }
        Ok(())
    }
}

/// What a round started from (recorded before it runs).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct RoundStart {
    /// Highest minimum id: the minima this round surveys.
    last_minimum: i64,
    minima: usize,
    transition_states: usize,
    census_points: usize,
}

/// What a round added.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct RoundEnd {
    new_minima: usize,
    new_transition_states: usize,
    new_census_points: usize,
    /// For a round that found nothing new: whether the Morse check passed (or is void through
    /// degenerate points). A round that found nothing but leaves the check failing proves
    /// points are still missing, so it does not count as quiet.
    #[serde(default)]
    morse_passes: Option<bool>,
}

impl RoundEnd {
    fn quiet(&self) -> bool {
        self.new_minima + self.new_transition_states + self.new_census_points == 0
            && self.morse_passes != Some(false)
    }
}

/// A number log-uniform in `[lo, hi]`.
fn log_uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + (hi.ln() - lo.ln()) * rng.random::<f64>()).exp()
}

/// One seeded start for Newton's method: near one of `known` with probability
/// `params.near_known_fraction` (when there is any), random otherwise, and then on a symmetric
/// subspace with probability `params.symmetric_fraction`.
fn census_start(
    model: &Perceptron,
    params: &CensusParams,
    known: &[&[f64]],
    rng: &mut ChaCha8Rng,
) -> Vec<f64> {
    let mut x = near_or_random_start(model, params, known, rng);
    if rng.random::<f64>() >= params.symmetric_fraction {
        return x;
    }
    onto_symmetric_subspace(model, &mut x, rng);
    x
}

/// A start near one of `known` with probability `params.near_known_fraction` (when there is
/// any), uniformly random at a log-uniform scale otherwise.
fn near_or_random_start(
    model: &Perceptron,
    params: &CensusParams,
    known: &[&[f64]],
    rng: &mut ChaCha8Rng,
) -> Vec<f64> {
    let near = !known.is_empty() && rng.random::<f64>() < params.near_known_fraction;
    if near {
        let centre = &known[(rng.random::<f64>() * known.len() as f64) as usize % known.len()];
        let scale = log_uniform(rng, 0.02, 3.0);
        centre
            .iter()
            .map(|c| c + scale * (2.0 * rng.random::<f64>() - 1.0))
            .collect()
    } else {
        let scale = log_uniform(rng, 0.05, params.range);
        (0..model.layout().dim())
            .map(|_| scale * (2.0 * rng.random::<f64>() - 1.0))
            .collect::<Vec<f64>>()
    }
}

/// Moves `x` onto one or more symmetric subspaces of the network, each with probability one
/// half and at least one: a dead hidden unit, two units equal up to sign, first-layer weights
/// invariant under an input symmetry, or two units exchanged by an input symmetry.
fn onto_symmetric_subspace(model: &Perceptron, x: &mut [f64], rng: &mut ChaCha8Rng) {
    let l = model.layout();
    let symmetries = model.input_symmetries();
    // Each subspace with probability one half, at least one of them.
    let kinds = 1 + (rng.random::<f64>() * 15.0) as u32 % 15;
    let unit = |rng: &mut ChaCha8Rng| (rng.random::<f64>() * l.n_h as f64) as usize % l.n_h;
    if kinds & 1 != 0 {
        // A dead hidden unit: tanh(0) = 0 and no weight leaves it, so it stays dead.
        let j = unit(rng);
        for k in 0..l.n_in {
            x[l.w_ih(j, k)] = 0.0;
        }
        x[l.b_h(j)] = 0.0;
        for i in 0..l.n_out {
            x[l.w_ho(i, j)] = 0.0;
        }
    }
    if kinds & 2 != 0 && l.n_h >= 2 {
        // Two units equal up to a sign flip.
        let j = unit(rng);
        let k = (j + 1 + unit(rng) % (l.n_h - 1)) % l.n_h;
        let s = if rng.random::<f64>() < 0.5 { 1.0 } else { -1.0 };
        for m in 0..l.n_in {
            x[l.w_ih(k, m)] = s * x[l.w_ih(j, m)];
        }
        x[l.b_h(k)] = s * x[l.b_h(j)];
        for i in 0..l.n_out {
            x[l.w_ho(i, k)] = s * x[l.w_ho(i, j)];
        }
    }
    if kinds & 4 != 0 && symmetries.len() > 1 {
        // First-layer weights invariant under an input symmetry (the XOR swap): averaging a
        // unit's weights over the permutation's pairs puts it on the fixed subspace.
        let sigma = &symmetries[1 + unit(rng) % (symmetries.len() - 1)];
        for j in 0..l.n_h {
            let w: Vec<f64> = (0..l.n_in).map(|m| x[l.w_ih(j, m)]).collect();
            for m in 0..l.n_in {
                x[l.w_ih(j, m)] = 0.5 * (w[m] + w[sigma[m]]);
            }
        }
    }
    if kinds & 8 != 0 && symmetries.len() > 1 && l.n_h >= 2 {
        // Fixed by an input symmetry σ combined with swapping two units j and k: unit k is
        // unit j with its inputs permuted by σ, every other unit is σ-invariant. (On XOR: one
        // unit sees x1 as the other sees x2.)
        let sigma = &symmetries[1 + unit(rng) % (symmetries.len() - 1)];
        let j = unit(rng);
        let k = (j + 1 + unit(rng) % (l.n_h - 1)) % l.n_h;
        for m in 0..l.n_in {
            x[l.w_ih(k, m)] = x[l.w_ih(j, sigma[m])];
        }
        x[l.b_h(k)] = x[l.b_h(j)];
        for i in 0..l.n_out {
            x[l.w_ho(i, k)] = x[l.w_ho(i, j)];
        }
        for u in (0..l.n_h).filter(|&u| u != j && u != k) {
            let w: Vec<f64> = (0..l.n_in).map(|m| x[l.w_ih(u, m)]).collect();
            for m in 0..l.n_in {
                x[l.w_ih(u, m)] = 0.5 * (w[m] + w[sigma[m]]);
            }
        }
    }
}

impl LandscapeRun<'_> {
    /// The starts of census batch `batch` of `round`: a pure function of the master seed, the
    /// landscape, the batch's key and the points `known` when the batch starts (which are the
    /// same in a resumed run, since batches are committed in order).
    fn census_starts(&self, round: usize, batch: usize, known: &[&[f64]]) -> Vec<Vec<f64>> {
        let cfg = &self.exp.config;
        let seed = seed::derive(
            cfg.experiment.seed,
            &[self.index as u64, STREAM_CENSUS, round as u64, batch as u64],
        );
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..cfg.census.batch)
            .map(|_| census_start(self.model, &cfg.census, known, &mut rng))
            .collect()
    }

    /// Runs the census batches of `round` that are not done yet, until `quiet_batches`
    /// consecutive batches store nothing new or `batches` have run. Returns how many points
    /// the round's census batches stored, done ones included.
    fn census_round(&self, store: &mut Store, round: usize) -> Result<usize, RunError> {
        let cfg = &self.exp.config.census;
        // What batches of an earlier, interrupted run stored, to replay the stopping rule.
        let done: Vec<(String, usize)> = store
            .attempts(self.landscape_id, Stage::Census.name())?
            .into_iter()
            .map(|a| {
                let new = SearchDetail::parse(&a.detail).map_or(0, |d| d.new_points);
                (a.key, new)
            })
            .collect();
        let setup = self.ts_setup();
        let tools = self.toolkit(&setup);
        let mut sink = DbSink::new(self, store, Stage::Census)?;
        let (mut quiet, mut added) = (0, 0);
        for batch in 0..cfg.batches {
            if sink.stopping() || quiet >= cfg.quiet_batches {
                break;
            }
            let key = SearchKey(Attempt::Census { round, batch }).to_string();
            let new = match done.iter().find(|(k, _)| *k == key) {
                Some(&(_, new)) => new,
                None => {
                    let before = sink.points();
                    let starts = self.census_starts(round, batch, &sink.census_centres());
                    census::run(&tools, &mut sink, Attempt::Census { round, batch }, &starts)
                        .map_err(sink_error)?;
                    sink.points() - before
                }
            };
            added += new;
            quiet = if new == 0 { quiet + 1 } else { 0 };
        }
        sink.finish()?;
        Ok(added)
    }

    /// `census`: Newton searches from seeded starts (round 0).
    pub(crate) fn census(&mut self, store: &mut Store, key: &str) -> Result<(), RunError> {
        let batches = self.exp.config.census.batches;
        let mut done = 0;
        for batch in 0..batches {
            let key = SearchKey(Attempt::Census { round: 0, batch }).to_string();
            done += usize::from(
                store
                    .attempt(self.landscape_id, Stage::Census.name(), &key)?
                    .is_some(),
            );
        }
        self.observer.event(&Event::StageStarted {
            key,
            stage: Stage::Census,
            units: batches - done,
            already_done: done,
        });
        self.census_round(store, 0).map(|_| ())
    }

    /// Survey (every mode, both directions) of the minima with ids up to `last`.
    fn survey_up_to(&self, store: &mut Store, last: i64) -> Result<(), RunError> {
        let setup = self.ts_setup();
        let tools = self.toolkit(&setup);
        let minima = store.minima(self.landscape_id)?;
        let mut sink = DbSink::new(self, store, Stage::Saturate)?;
        for m in minima.iter().filter(|m| m.id <= last) {
            if sink.stopping() {
                break;
            }
            survey::run(&tools, &mut sink, m.id as MinId, &m.coords).map_err(|e| match e {
                survey::SurveyError::Sink(e) => sink_error(e),
                e => RunError::Search {
                    stage: "saturate",
                    message: e.to_string(),
                },
            })?;
        }
        sink.finish()
    }

    /// The graph of stored minima and connections, with every pair already attempted marked.
    fn connector(&self, store: &Store) -> Result<Connector, RunError> {
        let mut connector = Connector::new();
        for m in store.minima(self.landscape_id)? {
            connector.add_minimum(self.model, m.id as MinId, m.energy, &m.coords);
        }
        for t in store.transition_states(self.landscape_id)? {
            connector.add_connection(t.min1 as MinId, t.min2 as MinId);
        }
        for stage in [Stage::Connect, Stage::Saturate] {
            for a in store.attempts(self.landscape_id, stage.name())? {
                if let Some((x, y)) = SearchKey::pair(&a.key) {
                    connector.mark_tried(x, y);
                }
            }
        }
        Ok(connector)
    }

    /// Joins new minima to the global one, then tries the unjoined near neighbours of every
    /// minimum (cycles of the connection graph). The neighbour pairs are recorded before they
    /// run, so a resumed round tries the same ones.
    fn connect_round(&self, store: &mut Store, round: usize) -> Result<(), RunError> {
        let setup = self.ts_setup();
        let tools = self.toolkit(&setup);
        let search_error = |e: losscape_ts::connect::ConnectError| match e {
            losscape_ts::connect::ConnectError::Sink(e) => sink_error(e),
            e => RunError::Search {
                stage: "saturate",
                message: e.to_string(),
            },
        };
        {
            let mut connector = self.connector(store)?;
            let mut sink = DbSink::new(self, store, Stage::Saturate)?;
            sink.hold = true;
            connect_all_to_global(&tools, &mut sink, &mut connector).map_err(search_error)?;
            sink.finish()?;
        }
        let pairs_key = format!("round-{round}-pairs");
        let stage = Stage::Saturate.name();
        let pairs: Vec<(MinId, MinId)> =
            match store.attempt(self.landscape_id, stage, &pairs_key)? {
                Some(a) => serde_json::from_str(&a.detail).unwrap_or_default(),
                None => {
                    let connector = self.connector(store)?;
                    let pairs = connector.unjoined_neighbours(self.exp.config.saturate.neighbours);
                    let detail = serde_json::to_string(&pairs).unwrap_or_default();
                    let (landscape, run) = (self.landscape_id, self.run_id);
                    store.write(|b| {
                        b.record_attempt(&losscape_db::NewAttempt {
                            landscape_id: landscape,
                            stage,
                            key: &pairs_key,
                            outcome: "chosen",
                            detail: &detail,
                            run_id: run,
                        })
                    })?;
                    pairs
                }
            };
        let mut connector = self.connector(store)?;
        let mut sink = DbSink::new(self, store, Stage::Saturate)?;
        sink.hold = true;
        // One group per pair keeps every commit small; each is recorded with its attempt.
        for pair in pairs {
            if sink.stopping() {
                break;
            }
            attempt_pairs(&tools, &mut sink, &mut connector, &[pair]).map_err(sink_error)?;
        }
        sink.finish()
    }

    /// `saturate`: rounds of census, survey of every minimum along every mode, and connection
    /// attempts (to the global minimum and between unjoined neighbours), until
    /// `quiet_rounds` consecutive rounds add no minimum and no transition state, or
    /// `max_rounds` rounds have run. The outcome is recorded as the landscape's
    /// [`Saturation`] record.
    pub(crate) fn saturate(&mut self, store: &mut Store, key: &str) -> Result<(), RunError> {
        let p = self.exp.config.saturate;
        let stage = Stage::Saturate.name();
        self.observer.event(&Event::StageStarted {
            key,
            stage: Stage::Saturate,
            units: p.max_rounds,
            already_done: 0,
        });
        let (mut round, mut quiet) = (0, 0);
        while round < p.max_rounds && quiet < p.quiet_rounds {
            if self.opts.cancelled() {
                return Err(RunError::Interrupted);
            }
            let end_key = format!("round-{round}");
            let end = match store.attempt(self.landscape_id, stage, &end_key)? {
                Some(a) => serde_json::from_str::<RoundEnd>(&a.detail).ok(),
                None => None,
            };
            let end = match end {
                Some(end) => end,
                None => self.saturation_round(store, round)?,
            };
            quiet = if end.quiet() { quiet + 1 } else { 0 };
            round += 1;
            self.observer.event(&Event::UnitCommitted {
                stage: Stage::Saturate,
                minima: store.minima(self.landscape_id)?.len(),
                transition_states: store.transition_states(self.landscape_id)?.len(),
            });
        }
        let status = Saturation {
            saturated: quiet >= p.quiet_rounds,
            rounds: round as u64,
            quiet_rounds: quiet as u64,
        };
        let detail = serde_json::to_string(&status).unwrap_or_default();
        let outcome = if status.saturated {
            "saturated"
        } else {
            "not saturated"
        };
        let (landscape, run) = (self.landscape_id, self.run_id);
        store.write(|b| {
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: landscape,
                stage,
                key: Saturation::KEY,
                outcome,
                detail: &detail,
                run_id: run,
            })
        })?;
        Ok(())
    }

    /// One saturation round, from its recorded start to its recorded end.
    fn saturation_round(&self, store: &mut Store, round: usize) -> Result<RoundEnd, RunError> {
        let stage = Stage::Saturate.name();
        let (landscape, run) = (self.landscape_id, self.run_id);
        let start_key = format!("round-{round}-start");
        let start = match store.attempt(landscape, stage, &start_key)? {
            Some(a) => serde_json::from_str::<RoundStart>(&a.detail).ok(),
            None => None,
        };
        let start = match start {
            Some(s) => s,
            None => {
                let minima = store.minima(landscape)?;
                let s = RoundStart {
                    last_minimum: minima.iter().map(|m| m.id).max().unwrap_or(0),
                    minima: minima.len(),
                    transition_states: store.transition_states(landscape)?.len(),
                    census_points: store.stationary_points(landscape)?.len(),
                };
                let detail = serde_json::to_string(&s).unwrap_or_default();
                store.write(|b| {
                    b.record_attempt(&losscape_db::NewAttempt {
                        landscape_id: landscape,
                        stage,
                        key: &start_key,
                        outcome: "started",
                        detail: &detail,
                        run_id: run,
                    })
                })?;
                s
            }
        };
        // Census batches of saturation rounds are numbered from 1 (round 0 is the stage).
        self.census_round(store, round + 1)?;
        self.survey_up_to(store, start.last_minimum)?;
        self.connect_round(store, round)?;
        if self.opts.cancelled() {
            return Err(RunError::Interrupted);
        }
        let mut end = RoundEnd {
            new_minima: store.minima(landscape)?.len() - start.minima,
            new_transition_states: store.transition_states(landscape)?.len()
                - start.transition_states,
            new_census_points: store.stationary_points(landscape)?.len() - start.census_points,
            morse_passes: None,
        };
        if end.new_minima + end.new_transition_states + end.new_census_points == 0 {
            // Only computed when nothing new turned up, which on large landscapes (thousands
            // of census points, where the union costs most) is rare.
            let census =
                stored_morse_census(store, landscape, self.model, &self.exp.config.identity)?;
            end.morse_passes = Some(census.passes() || census.voided());
        }
        let detail = serde_json::to_string(&end).unwrap_or_default();
        store.write(|b| {
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: landscape,
                stage,
                key: &format!("round-{round}"),
                outcome: "done",
                detail: &detail,
                run_id: run,
            })
        })?;
        Ok(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_model::Dataset;
    use std::collections::HashSet;

    #[test]
    fn the_saturation_record_is_written_where_readers_look() {
        assert_eq!(Stage::Saturate.name(), Saturation::STAGE);
    }

    #[test]
    fn symmetric_starts_lie_on_their_subspaces() {
        let model = Perceptron::new(Dataset::xor(), 3, 1e-3).unwrap();
        let params = CensusParams {
            symmetric_fraction: 1.0,
            ..CensusParams::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut seen = HashSet::new();
        for _ in 0..200 {
            let x = census_start(&model, &params, &[], &mut rng);
            // Every symmetric start has a stabiliser beyond the identity.
            assert!(model.stabiliser_order(&x, 1e-12) > 1, "{x:?}");
            seen.insert(x.iter().filter(|v| **v == 0.0).count());
        }
        // Both kinds with and without a dead unit occur.
        assert!(seen.len() > 1);
    }
}
