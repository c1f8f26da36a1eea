//! Drives the stages of an experiment into its database.
//!
//! Reproducibility rests on two rules. Every unit of work (a basin-hopping chain, a connection
//! attempt) draws its random numbers from a stream derived from the master seed and the unit's
//! name, never from a shared generator. And units that run in parallel are committed in their
//! index order, whatever order they finish in, so database ids and contents do not depend on the
//! thread count. A unit is committed together with its attempt record in one transaction, which
//! is what lets a killed run resume: committed units are skipped, the rest are redone from their
//! own seeds and give the same results.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use losscape_basinhop::{ChainResult, run_chain};
use losscape_core::{PointSet, seed};
use losscape_db::{
    LandscapeId, LandscapeSpec, NewMinimum, RunId, RunInfo, RunStatus, Shard, Store,
};
use losscape_hessian::{Analysis, Kind, analyse, analyse_checked, verify};
use losscape_model::Perceptron;

use crate::config::{LandscapePoint, Stage};
use crate::error::RunError;
use crate::experiment::Experiment;
use crate::summary::{LandscapeSummary, summarise};

/// The `timings.kind` of a whole stage.
pub(crate) const TOTAL: &str = "total";

/// Seed-stream tags, so the streams of different stages never coincide.
const STREAM_BASIN_HOPPING: u64 = 1;

/// What a run reports while it works, for progress bars and logs.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    /// A landscape of the grid is starting.
    LandscapeStarted {
        /// Its key.
        key: &'a str,
        /// 0-based position in the grid.
        index: usize,
        /// Landscapes in the grid.
        total: usize,
    },
    /// A stage of the current landscape is starting with this many units of work.
    StageStarted {
        /// The landscape's key.
        key: &'a str,
        /// The stage.
        stage: Stage,
        /// Units to do in this run (already committed units are not counted).
        units: usize,
        /// Units already committed by an earlier run.
        already_done: usize,
    },
    /// A stage of the current landscape was finished by an earlier run and is skipped.
    StageSkipped {
        /// The landscape's key.
        key: &'a str,
        /// The stage.
        stage: Stage,
    },
    /// A pass of a saturation round's closure starts with this many units of work (its
    /// census points not yet searched from); the units it commits follow as
    /// [`Event::UnitCommitted`]. Rounds and passes are not known in advance, but the units of
    /// one pass are.
    RoundStarted {
        /// The landscape's key.
        key: &'a str,
        /// 0-based saturation round.
        round: usize,
        /// `[saturate] max_rounds`.
        max_rounds: usize,
        /// Units of this pass.
        units: usize,
    },
    /// One unit was committed.
    UnitCommitted {
        /// The stage.
        stage: Stage,
        /// Minima stored so far for the landscape.
        minima: usize,
        /// Transition states stored so far for the landscape.
        transition_states: usize,
    },
    /// A landscape is finished.
    LandscapeFinished(&'a LandscapeSummary),
}

/// Receives [`Event`]s; called from the committing thread only.
pub trait Observer {
    /// Handles one event.
    fn event(&self, event: &Event<'_>);
}

/// An observer that ignores everything (`--quiet`, tests).
impl Observer for () {
    fn event(&self, _: &Event<'_>) {}
}

/// How to run, beyond what the experiment file says.
#[derive(Debug, Default)]
pub struct RunOptions<'a> {
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// The command line, stored in provenance.
    pub command: String,
    /// The program's version and build, stored in provenance (e.g.
    /// `losscape 0.1.0 (rev 1a2b3c4, release build)`).
    pub program_version: String,
    /// Set from outside (Ctrl-C) to stop after committing the units in hand.
    pub cancel: Option<&'a AtomicBool>,
    /// Run only this shard of the sweep: the landscapes whose position in the grid is
    /// `index` modulo `count`, every stage (see [`losscape_db::Shard`]).
    pub shard: Option<Shard>,
}

impl RunOptions<'_> {
    /// The shard, when it splits the basin-hopping chains of every landscape (more shards than
    /// landscapes) rather than whole landscapes.
    pub(crate) fn chain_shard(&self, landscapes: usize) -> Option<Shard> {
        self.shard.filter(|s| s.count > landscapes as u64)
    }
}

impl RunOptions<'_> {
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    pub(crate) fn worker_count(&self) -> usize {
        crate::memory::worker_count(self.threads)
    }
}

/// Runs every stage of `exp` on every landscape of its grid, committing into `store`.
///
/// Returns one summary per landscape. On interruption or error the run is marked as such in
/// the database and everything committed stays.
pub fn run(
    exp: &Experiment,
    store: &mut Store,
    opts: &RunOptions<'_>,
    observer: &dyn Observer,
) -> Result<Vec<LandscapeSummary>, RunError> {
    // Nothing is recorded for a run that cannot fit, nor for one that would mix experiments
    // or data sets.
    exp.check_resources(opts.threads)?;
    crate::dataset::check_unchanged(store, exp)?;
    crate::resume::check_same_experiment(exp, store)?;
    check_shard(exp, store, opts.shard)?;
    let run_id = store.begin_run(&RunInfo {
        // Library callers that do not say which build they are still leave a version behind.
        program_version: if opts.program_version.is_empty() {
            concat!("losscape ", env!("CARGO_PKG_VERSION")).to_owned()
        } else {
            opts.program_version.clone()
        },
        command: opts.command.clone(),
        config_text: exp.text.clone(),
        seed: exp.config.experiment.seed,
        threads: opts.worker_count() as u32,
        minimiser: exp.minimiser.name().to_string(),
    })?;
    let result = crate::dataset::store_if_absent(store, exp, run_id)
        .and_then(|()| run_grid(exp, store, opts, observer, run_id));
    let status = match &result {
        Ok(_) => RunStatus::Completed,
        Err(RunError::Interrupted) => RunStatus::Interrupted,
        Err(_) => RunStatus::Failed,
    };
    // Recording the outcome must not hide the run's own error.
    let finished = store.finish_run(run_id, status);
    let summaries = result?;
    finished?;
    Ok(summaries)
}

fn run_grid(
    exp: &Experiment,
    store: &mut Store,
    opts: &RunOptions<'_>,
    observer: &dyn Observer,
    run_id: RunId,
) -> Result<Vec<LandscapeSummary>, RunError> {
    let grid = exp.config.landscapes();
    let chain_shard = opts.chain_shard(grid.len());
    let mut summaries = Vec::with_capacity(grid.len());
    for (index, point) in grid.iter().enumerate() {
        // A shard runs its own landscapes; every landscape keeps its position in the grid (its
        // seeds derive from it), so a shard finds exactly what the whole sweep finds there.
        // With more shards than landscapes, every shard runs its share of every landscape's
        // basin-hopping chains instead (and nothing else).
        if chain_shard.is_none()
            && opts
                .shard
                .is_some_and(|s| index as u64 % s.count != s.index)
        {
            continue;
        }
        let key = point.key();
        observer.event(&Event::LandscapeStarted {
            key: &key,
            index,
            total: grid.len(),
        });
        let model = exp.perceptron(point)?;
        let landscape_id = store.landscape_id(&landscape_spec(exp, point, &model))?;
        let mut ctx = LandscapeRun {
            exp,
            opts,
            observer,
            run_id,
            landscape_id,
            index,
            model: &model,
            chain_shard,
        };
        run_stages(&mut ctx, store, &key)?;
        let summary = summarise(store, landscape_id, &exp.config.identity)?;
        observer.event(&Event::LandscapeFinished(&summary));
        summaries.push(summary);
    }
    Ok(summaries)
}

/// Runs the stages of `[experiment] stages` on one landscape, in order, skipping those an
/// earlier run finished and marking each as finished when it is done.
fn run_stages(ctx: &mut LandscapeRun<'_>, store: &mut Store, key: &str) -> Result<(), RunError> {
    for (position, &stage) in ctx.exp.config.experiment.stages.iter().enumerate() {
        if ctx.opts.cancelled() {
            return Err(RunError::Interrupted);
        }
        if ctx.chain_shard.is_some() {
            // Only chains, and no stage is marked finished: the merged database runs
            // the rest once it holds every chain.
            if stage == Stage::BasinHopping {
                ctx.basin_hopping(store, key)?;
            }
            continue;
        }
        // A connect or survey stage that finished in an earlier run is not run again: a
        // stage named twice (connect, survey, connect) must not redo its first occurrence
        // with what later stages found, or a resumed run would diverge from an
        // uninterrupted one. Basin-hopping is always entered: its chains are skipped one by
        // one, so raising `chains` in the file adds just the new chains.
        // A finished `saturate` is entered again when its census is no longer closed (a
        // point its searches reached has gone from the file): it redoes just those searches.
        let marker = stage_key(position, stage);
        if stage != Stage::BasinHopping
            && store.attempt(ctx.landscape_id, STAGES, &marker)?.is_some()
            && !(stage == Stage::Saturate && ctx.closure_broken(store)?)
        {
            ctx.observer.event(&Event::StageSkipped { key, stage });
            continue;
        }
        let started = Instant::now();
        match stage {
            Stage::BasinHopping => ctx.basin_hopping(store, key)?,
            Stage::Connect => ctx.connect(store, key)?,
            Stage::Survey => ctx.survey(store, key, position)?,
            Stage::Census => ctx.census(store, key)?,
            Stage::Saturate => ctx.saturate(store, key)?,
        }
        let seconds = started.elapsed().as_secs_f64();
        store.write(|b| {
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: ctx.landscape_id,
                stage: STAGES,
                key: &marker,
                outcome: "done",
                detail: "{}",
                run_id: ctx.run_id,
            })?;
            b.add_timing(
                ctx.landscape_id,
                ctx.run_id,
                stage.name(),
                TOTAL,
                1,
                seconds,
            )
        })?;
    }
    Ok(())
}

/// The most shards a sweep splits into: one per basin-hopping chain of every landscape.
pub fn max_shards(exp: &Experiment) -> u64 {
    (exp.config.landscapes().len() * exp.config.basin_hopping.chains) as u64
}

/// Refuses a shard spec the sweep cannot be split by, and running a shard's database as another
/// shard or as a whole sweep; marks a new shard's database.
fn check_shard(exp: &Experiment, store: &mut Store, shard: Option<Shard>) -> Result<(), RunError> {
    let landscapes = exp.config.landscapes().len() as u64;
    match (store.shard()?, shard) {
        (_, Some(s)) if s.count == 0 || s.index >= s.count => Err(RunError::Search {
            stage: "shard",
            message: format!(
                "--shard {s}: the index must be below the count, and the count at least 1"
            ),
        }),
        (_, Some(s)) if s.count > max_shards(exp) => Err(RunError::Search {
            stage: "shard",
            message: format!(
                "--shard {s}: the sweep has {landscapes} landscape(s) of {} basin-hopping chain(s), so it splits into at most {} shards",
                exp.config.basin_hopping.chains,
                max_shards(exp)
            ),
        }),
        (Some(held), None) => Err(RunError::Search {
            stage: "shard",
            message: format!(
                "{} holds shard {held} of a sweep: resume it with --shard {held}, or merge it with `losscape merge`",
                store.path().display()
            ),
        }),
        (_, Some(s)) => Ok(store.set_shard(s)?),
        (None, None) => Ok(()),
    }
}

pub(crate) fn landscape_spec(
    exp: &Experiment,
    p: &LandscapePoint,
    model: &Perceptron,
) -> LandscapeSpec {
    LandscapeSpec {
        key: p.key(),
        n_in: exp.data.n_in as u32,
        n_hidden: p.n_hidden as u32,
        n_out: exp.data.n_out as u32,
        dimension: model.dim() as u32,
        lambda: p.lambda,
        dataset: exp.data_description(),
        config_json:
            serde_json::json!({ "n_hidden": p.n_hidden, "lambda": p.lambda, "dim": model.dim() })
                .to_string(),
    }
}

/// The state shared by the stages of one landscape.
pub(crate) struct LandscapeRun<'a> {
    pub exp: &'a Experiment,
    pub opts: &'a RunOptions<'a>,
    pub observer: &'a dyn Observer,
    pub run_id: RunId,
    pub landscape_id: LandscapeId,
    /// Position in the grid, part of every seed path.
    pub index: usize,
    pub model: &'a Perceptron,
    /// Set when this run is a shard of the basin-hopping chains ([`RunOptions::chain_shard`]):
    /// then every chain's minima are stored as found, each chain on its own (not identified
    /// with other chains' minima), and its record lists their ids, so the merge can identify
    /// them in chain order exactly as a single run does.
    pub chain_shard: Option<Shard>,
}

/// A minimum found by a search, with its Hessian analysis, waiting to be identified and stored.
pub(crate) struct Candidate {
    pub energy: f64,
    pub coords: Vec<f64>,
    pub times_found: i64,
    pub analysis: Analysis,
}

/// The distinct minima already stored for a landscape, with their database ids.
pub(crate) struct KnownMinima {
    pub set: PointSet,
    pub ids: Vec<i64>,
}

impl KnownMinima {
    /// No minima known.
    pub fn empty() -> Self {
        Self {
            set: PointSet::new(),
            ids: Vec::new(),
        }
    }

    pub fn load(store: &Store, landscape_id: LandscapeId) -> Result<Self, RunError> {
        let mut set = PointSet::new();
        let mut ids = Vec::new();
        for m in store.minima(landscape_id)? {
            set.push(m.energy, m.coords);
            ids.push(m.id);
        }
        Ok(Self { set, ids })
    }
}

impl LandscapeRun<'_> {
    fn seed(&self, stream: u64, unit: u64) -> u64 {
        seed::derive(
            self.exp.config.experiment.seed,
            &[self.index as u64, stream, unit],
        )
    }

    /// Verifies a candidate minimum and stores it, or counts another sighting of a known one.
    /// Returns the database id, or `None` when the point failed verification.
    pub fn store_minimum(
        &self,
        batch: &mut losscape_db::Batch<'_>,
        known: &mut KnownMinima,
        c: &Candidate,
    ) -> Result<Option<i64>, losscape_db::DbError> {
        if verify(&c.analysis, Kind::Minimum, &self.exp.config.checks).is_err() {
            return Ok(None);
        }
        let id = &self.exp.config.identity;
        if let Some(i) = known.set.find(self.model, id, c.energy, &c.coords) {
            batch.add_times_found(known.ids[i], c.times_found)?;
            return Ok(Some(known.ids[i]));
        }
        let row = batch.insert_minimum(&NewMinimum {
            landscape_id: self.landscape_id,
            energy: c.energy,
            coords: c.coords.clone(),
            rms_gradient: c.analysis.rms_gradient,
            hessian_index: c.analysis.index as u32,
            lowest_eigenvalue: c.analysis.lowest_eigenvalue,
            ln_prod_positive: c.analysis.ln_prod_positive,
            accuracy: self.model.accuracy(&c.coords),
            times_found: c.times_found,
            first_run: self.run_id,
        })?;
        known.set.push(c.energy, c.coords.clone());
        known.ids.push(row);
        Ok(Some(row))
    }

    /// `w = 0` is stationary on every network landscape (tanh(0) = 0 and the penalty's
    /// gradient vanishes there) but its basin is small, so random starts can miss it. It is
    /// analysed directly, once per landscape, and stored if it is a minimum.
    fn origin(&self, store: &mut Store, known: &mut KnownMinima) -> Result<(), RunError> {
        let stage = Stage::BasinHopping.name();
        if store.attempt(self.landscape_id, stage, "origin")?.is_some() {
            return Ok(());
        }
        let zero = vec![0.0; self.model.dim()];
        let analysis = analyse(self.model, &zero, self.exp.config.checks.zero_eigenvalue);
        let candidate = Candidate {
            energy: analysis.energy,
            coords: zero,
            times_found: 1,
            analysis,
        };
        store.write(|b| {
            let stored = self.store_minimum(b, known, &candidate)?;
            let outcome = if stored.is_some() {
                "minimum"
            } else {
                "not a minimum"
            };
            let detail = crate::attempts::OriginDetail {
                energy: candidate.energy,
                index: candidate.analysis.index,
                minima_stored: self.chain_shard.map(|_| stored.into_iter().collect()),
            };
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: self.landscape_id,
                stage,
                key: "origin",
                outcome,
                detail: &crate::attempts::BasinHoppingDetail::Origin(detail).to_json(),
                run_id: self.run_id,
            })
        })?;
        Ok(())
    }

    /// The chains of this landscape that this run (or chain shard) still has to run; reports
    /// the stage's start.
    fn chains_to_run(&self, store: &Store, key: &str) -> Result<Vec<usize>, RunError> {
        let stage = Stage::BasinHopping.name();
        // One query for the finished chains, not one per chain: `chains` may be large.
        let finished: std::collections::HashSet<String> = store
            .attempts(self.landscape_id, stage)?
            .into_iter()
            .map(|a| a.key)
            .collect();
        let chains = self.exp.config.basin_hopping.chains;
        // A chain shard takes every N-th chain of the sweep, counted over the landscapes in
        // grid order; the origin goes with the landscape's position.
        let split = self.chain_shard;
        let index = self.index;
        let mine =
            |c: usize| split.is_none_or(|s| (index * chains + c) as u64 % s.count == s.index);
        let todo: Vec<usize> = (0..chains)
            .filter(|&c| mine(c) && !finished.contains(&chain_key(c)))
            .collect();
        self.observer.event(&Event::StageStarted {
            key,
            stage: Stage::BasinHopping,
            units: todo.len(),
            already_done: (0..chains).filter(|&c| mine(c)).count() - todo.len(),
        });
        Ok(todo)
    }

    /// Stores one finished chain's minima and records the chain, in one batch. In a chain
    /// shard the minima are identified only among the chain's own (`known` is then unused).
    fn commit_chain(
        &self,
        b: &mut losscape_db::Batch<'_>,
        known: &mut KnownMinima,
        chain: usize,
        result: &ChainResult,
        candidates: &[Candidate],
    ) -> Result<(), losscape_db::DbError> {
        let split = self.chain_shard;
        let mut rejected = 0;
        let mut own = KnownMinima::empty();
        let mut stored = Vec::new();
        for c in candidates {
            let into = if split.is_some() {
                &mut own
            } else {
                &mut *known
            };
            match self.store_minimum(b, into, c)? {
                Some(id) => stored.push(id),
                None => rejected += 1,
            }
        }
        let detail = crate::attempts::ChainDetail {
            accepted: result.accepted,
            distinct_minima: result.minima.len(),
            evaluations: result.evaluations,
            failed_quenches: result.failed_quenches,
            first_failure: result.first_failure.clone(),
            minima_stored: split.map(|_| stored),
            rejected,
            steps: result.steps,
        };
        b.record_attempt(&losscape_db::NewAttempt {
            landscape_id: self.landscape_id,
            stage: Stage::BasinHopping.name(),
            key: &chain_key(chain),
            outcome: "done",
            detail: &crate::attempts::BasinHoppingDetail::Chain(detail).to_json(),
            run_id: self.run_id,
        })
    }

    /// Basin-hopping: independent seeded chains in parallel, committed in chain order.
    fn basin_hopping(&mut self, store: &mut Store, key: &str) -> Result<(), RunError> {
        let cfg = &self.exp.config;
        let todo = self.chains_to_run(store, key)?;
        let (split, index) = (self.chain_shard, self.index);
        let mut known = KnownMinima::load(store, self.landscape_id)?;
        if split.is_none_or(|s| index as u64 % s.count == s.index) {
            if split.is_some() {
                self.origin(store, &mut KnownMinima::empty())?;
            } else {
                self.origin(store, &mut known)?;
            }
        }
        let quench = cfg.quench.convergence();
        let checks = &cfg.checks;
        let model = self.model;
        let minimiser = &*self.exp.minimiser;
        let seeds: Vec<u64> = todo
            .iter()
            .map(|&c| self.seed(STREAM_BASIN_HOPPING, c as u64))
            .collect();
        let work = |slot: usize| -> (ChainResult, Vec<Candidate>) {
            let result = run_chain(
                model,
                minimiser,
                &cfg.basin_hopping,
                &quench,
                &cfg.identity,
                seeds[slot],
                &mut |_| {},
            );
            let candidates = result
                .minima
                .iter()
                .map(|m| Candidate {
                    energy: m.energy,
                    coords: m.coords.clone(),
                    times_found: m.times_found as i64,
                    analysis: analyse_checked(model, &m.coords, checks, None),
                })
                .collect();
            (result, candidates)
        };
        let mut commit_error = None;
        let committed =
            ordered_parallel(todo.len(), self.opts, work, |slot, (result, candidates)| {
                let outcome = store
                    .write(|b| self.commit_chain(b, &mut known, todo[slot], &result, &candidates));
                match outcome {
                    Ok(()) => {
                        self.observer.event(&Event::UnitCommitted {
                            stage: Stage::BasinHopping,
                            minima: known.ids.len(),
                            transition_states: 0,
                        });
                        true
                    }
                    Err(e) => {
                        commit_error = Some(e);
                        false
                    }
                }
            });
        if let Some(e) = commit_error {
            return Err(e.into());
        }
        if committed < todo.len() {
            return Err(RunError::Interrupted);
        }
        Ok(())
    }
}

/// The pseudo-stage under which finished stages (and the survey's starting set) are recorded
/// in the attempts table.
pub(crate) const STAGES: &str = "stages";

/// The attempts-table key of the stage at `position` of `[experiment] stages`.
pub(crate) fn stage_key(position: usize, stage: Stage) -> String {
    format!("{position}-{}", stage.name())
}

fn chain_key(c: usize) -> String {
    format!("chain-{c}")
}

/// Runs `work(0..n)` on the run's worker threads and hands each result to `commit` in index
/// order, on the calling thread, as soon as all lower indices are committed.
///
/// Stops handing out new units once `opts.cancel` is set or `commit` returns false; returns how
/// many units were committed (always a prefix `0..k`, which is what makes resuming exact).
pub(crate) fn ordered_parallel<T: Send>(
    n: usize,
    opts: &RunOptions<'_>,
    work: impl Fn(usize) -> T + Sync,
    mut commit: impl FnMut(usize, T) -> bool,
) -> usize {
    let workers = opts.worker_count().min(n.max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, Option<T>)>();
    let mut committed = 0;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(workers).build();
    std::thread::scope(|scope| {
        let (next, stop, work) = (&next, &stop, &work);
        let produce = move || {
            let body = |tx: mpsc::Sender<(usize, Option<T>)>| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    break;
                }
                let halted = stop.load(Ordering::SeqCst) || opts.cancelled();
                let out = if halted { None } else { Some(work(i)) };
                if tx.send((i, out)).is_err() {
                    break;
                }
            };
            match &pool {
                Ok(pool) => pool.scope(|s| {
                    for _ in 0..workers {
                        let tx = tx.clone();
                        s.spawn(move |_| body(tx));
                    }
                }),
                // No pool could be built: run on this thread alone.
                Err(_) => body(tx.clone()),
            }
            drop(tx);
        };
        scope.spawn(produce);
        let mut pending = BTreeMap::new();
        let mut halted = false;
        for (i, out) in rx.iter() {
            pending.insert(i, out);
            while !halted {
                let Some(out) = pending.remove(&committed) else {
                    break;
                };
                let accepted = match out {
                    Some(value) => commit(committed, value),
                    None => false,
                };
                if accepted {
                    committed += 1;
                } else {
                    halted = true;
                    stop.store(true, Ordering::SeqCst);
                }
            }
        }
    });
    committed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_parallel_commits_in_index_order() {
        for threads in [1, 2, 4] {
            let opts = RunOptions {
                threads,
                ..Default::default()
            };
            let mut seen = Vec::new();
            let n = ordered_parallel(
                20,
                &opts,
                |i| {
                    // Uneven work so completion order differs from index order.
                    std::thread::sleep(std::time::Duration::from_millis((20 - i as u64) % 7));
                    i * i
                },
                |i, v| {
                    seen.push((i, v));
                    true
                },
            );
            assert_eq!(n, 20);
            assert_eq!(seen, (0..20).map(|i| (i, i * i)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn ordered_parallel_stops_at_a_refused_commit() {
        let opts = RunOptions {
            threads: 2,
            ..Default::default()
        };
        let n = ordered_parallel(10, &opts, |i| i, |i, _| i < 4);
        assert_eq!(n, 4);
    }

    #[test]
    fn cancellation_commits_a_prefix() {
        let cancel = AtomicBool::new(true);
        let opts = RunOptions {
            threads: 2,
            cancel: Some(&cancel),
            ..Default::default()
        };
        assert_eq!(ordered_parallel(10, &opts, |i| i, |_, _| true), 0);
    }
}
