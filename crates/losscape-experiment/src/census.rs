//! The completeness stages: `census` (Newton searches for stationary points of every index)
//! and `saturate` (rounds of the census's closure under saddle-to-saddle searches, see
//! [`crate::closure`], and of connection attempts, until nothing new turns up).
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
use losscape_ts::{Attempt, MinId, census};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

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

/// `[saturate]`: how many rounds of closure and connection may run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SaturateParams {
    /// Most rounds. A round runs the census's closure (saddle-to-saddle searches from every
    /// census point until each has been searched from) and then connection attempts between
    /// minima; saturation ends with the first round that adds no minimum, transition state or
    /// census point and leaves the census closed. A landscape still finding points after
    /// `max_rounds` is recorded as not saturated.
    pub max_rounds: usize,
    /// Per minimum, how many of its nearest minima not yet joined to it directly are tried as
    /// pairs each round (transition states on cycles of the connection graph).
    pub neighbours: usize,
}

impl Default for SaturateParams {
    fn default() -> Self {
        Self {
            max_rounds: 6,
            neighbours: 3,
        }
    }
}

impl SaturateParams {
    /// Checks every field; the error names the key and the allowed values.
    pub fn validate(&self) -> Result<(), ParamError> {
        at_least("max_rounds", self.max_rounds, 1)
    }
}

/// What a round started from (recorded before it runs). Records of versions whose rounds
/// surveyed the minima also hold `last_minimum`, which is no longer needed and is ignored.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct RoundStart {
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
    /// degenerate points), for the record.
    #[serde(default)]
    morse_passes: Option<bool>,
}

impl RoundEnd {
    /// Nothing new: the closure pass of the round was a fixed point and connection found
    /// nothing either.
    fn quiet(&self) -> bool {
        self.new_minima + self.new_transition_states + self.new_census_points == 0
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
    // From four hidden units on, the group has subspaces with several dead units and several
    // pairs of equal units (and both at once): a start picks how many. Smaller networks keep
    // the one-of-each draws (and so their seeded starts).
    let several = |rng: &mut ChaCha8Rng, most: usize| {
        if l.n_h >= 4 && most > 1 {
            1 + unit(rng) % most
        } else {
            1
        }
    };
    if kinds & 1 != 0 {
        // Dead hidden units: tanh(0) = 0 and no weight leaves them, so they stay dead.
        let dead = several(rng, l.n_h - 1);
        for j in distinct_units(l.n_h, dead, rng) {
            for k in 0..l.n_in {
                x[l.w_ih(j, k)] = 0.0;
            }
            x[l.b_h(j)] = 0.0;
            for i in 0..l.n_out {
                x[l.w_ho(i, j)] = 0.0;
            }
        }
    }
    if kinds & 2 != 0 && l.n_h >= 2 {
        // Pairs of units equal up to a sign flip.
        let pairs = several(rng, l.n_h / 2);
        let units = if pairs == 1 {
            let j = unit(rng);
            vec![j, (j + 1 + unit(rng) % (l.n_h - 1)) % l.n_h]
        } else {
            distinct_units(l.n_h, 2 * pairs, rng)
        };
        for pair in units.chunks(2) {
            let (j, k) = (pair[0], pair[1]);
            let s = if rng.random::<f64>() < 0.5 { 1.0 } else { -1.0 };
            for m in 0..l.n_in {
                x[l.w_ih(k, m)] = s * x[l.w_ih(j, m)];
            }
            x[l.b_h(k)] = s * x[l.b_h(j)];
            for i in 0..l.n_out {
                x[l.w_ho(i, k)] = s * x[l.w_ho(i, j)];
            }
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

/// `count` distinct hidden units of `n_h`, drawn uniformly (one unit drawn as
/// `onto_symmetric_subspace` always drew it, so one-unit draws are unchanged).
fn distinct_units(n_h: usize, count: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut units: Vec<usize> = (0..n_h).collect();
    for i in 0..count.min(n_h) {
        let j = i + (rng.random::<f64>() * (n_h - i) as f64) as usize % (n_h - i);
        units.swap(i, j);
    }
    units.truncate(count.min(n_h));
    units
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
    /// Returns how many neighbour pairs the round chose.
    fn connect_round(&self, store: &mut Store, round: usize) -> Result<usize, RunError> {
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
        for &pair in &pairs {
            if sink.stopping() {
                break;
            }
            attempt_pairs(&tools, &mut sink, &mut connector, &[pair]).map_err(sink_error)?;
        }
        sink.finish()?;
        Ok(pairs.len())
    }

    /// `saturate`: rounds of the census's closure and of connection attempts (to the global
    /// minimum and between unjoined neighbours) until a round adds nothing and the census is
    /// closed, or `max_rounds` rounds have run. The outcome is recorded as the landscape's
    /// [`Saturation`] record.
    ///
    /// Rounds an earlier run recorded are replayed from their records; a recorded quiet round
    /// ends the stage only if the census is still closed now (a damaged or edited database
    /// can have lost a point), so a resumed run redoes what no longer holds.
    pub(crate) fn saturate(&mut self, store: &mut Store, key: &str) -> Result<(), RunError> {
        let p = self.exp.config.saturate;
        let stage = Stage::Saturate.name();
        self.observer.event(&Event::StageStarted {
            key,
            stage: Stage::Saturate,
            units: p.max_rounds,
            already_done: 0,
        });
        let (mut round, mut closed) = (0, false);
        while round < p.max_rounds {
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
            round += 1;
            if end.quiet() && self.closure_intact(store)? {
                closed = true;
                break;
            }
        }
        let status = Saturation {
            saturated: closed,
            rounds: round as u64,
            quiet_rounds: u64::from(closed),
            closed,
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
        let started = Instant::now();
        let searches = self.closure_pass(store, round)?;
        let closure_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let pairs = self.connect_round(store, round)?;
        let connect_seconds = started.elapsed().as_secs_f64();
        store.write(|b| {
            b.add_timing(
                landscape,
                run,
                stage,
                "closure",
                searches as i64,
                closure_seconds,
            )?;
            b.add_timing(
                landscape,
                run,
                stage,
                "connect",
                pairs as i64,
                connect_seconds,
            )
        })?;
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
    fn round_records_of_earlier_versions_still_read() {
        let old = r#"{"last_minimum":3,"minima":2,"transition_states":1,"census_points":5}"#;
        let start: RoundStart = serde_json::from_str(old).unwrap();
        assert_eq!(
            (start.minima, start.transition_states, start.census_points),
            (2, 1, 5)
        );
    }

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

    #[test]
    fn wider_networks_get_starts_with_several_dead_units_and_several_equal_pairs() {
        let model = Perceptron::new(Dataset::xor(), 5, 1e-3).unwrap();
        let l = model.layout();
        let params = CensusParams {
            symmetric_fraction: 1.0,
            near_known_fraction: 0.0,
            ..CensusParams::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (mut most_dead, mut most_pairs) = (0, 0);
        for _ in 0..400 {
            let x = census_start(&model, &params, &[], &mut rng);
            assert!(model.stabiliser_order(&x, 1e-12) > 1, "{x:?}");
            let unit = |j: usize| -> Vec<f64> {
                let mut u: Vec<f64> = (0..l.n_in).map(|k| x[l.w_ih(j, k)]).collect();
                u.push(x[l.b_h(j)]);
                u.extend((0..l.n_out).map(|i| x[l.w_ho(i, j)]));
                u
            };
            let units: Vec<Vec<f64>> = (0..l.n_h).map(unit).collect();
            let dead = units.iter().filter(|u| u.iter().all(|&v| v == 0.0)).count();
            let equal = |a: &[f64], b: &[f64]| {
                a.iter().zip(b).all(|(p, q)| p == q) || a.iter().zip(b).all(|(p, q)| *p == -q)
            };
            let pairs = (0..l.n_h)
                .flat_map(|j| (j + 1..l.n_h).map(move |k| (j, k)))
                .filter(|&(j, k)| units[j].iter().any(|&v| v != 0.0) && equal(&units[j], &units[k]))
                .count();
            most_dead = most_dead.max(dead);
            most_pairs = most_pairs.max(pairs);
        }
        assert!(most_dead >= 3, "at most {most_dead} dead units");
        assert!(most_pairs >= 2, "at most {most_pairs} equal pairs");
    }
}
