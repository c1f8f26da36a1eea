//! The stage driver of `connect` and `survey`: it runs the searches of `losscape-ts` (the
//! connect algorithm itself is `losscape_ts::connect`) and stores what they find as they go.
//!
//! The searches of `losscape-ts` report every quenched minimum, transition state and finished
//! attempt through a [`Sink`]; [`DbSink`] verifies, identifies and commits each one at once, and
//! records each attempt when it ends. A resumed run preloads the graph of minima and
//! connections from the database and skips the attempts already recorded, so it carries on
//! where the killed run stopped.

use std::collections::HashSet;

use losscape_core::PointSet;
use losscape_db::{DbError, NewStationaryPoint, NewTs, Store, Units};
use losscape_hessian::{analyse, analyse_checked};
use losscape_lbfgs::Lbfgs;
use losscape_ts::connect::{ConnectError, Connector, connect_all_to_global};
use losscape_ts::newton::StationaryPoint;
use losscape_ts::{
    Attempt, AttemptOutcome, Executor, MinId, PushOffKind, Refined, Sequential, Sink, SinkError,
    Toolkit, TsFound, TsParams, survey,
};
use rayon::prelude::*;

use crate::attempts::{SearchDetail, SearchKey, search_outcome};
use crate::config::Stage;
use crate::error::RunError;
use crate::runner::{Candidate, Event, KnownMinima, LandscapeRun, STAGES, stage_key};

/// The stages whose attempts share one key space: a pair or a mode searched by one of them is
/// not searched again by another (the search is deterministic, it would find the same).
const SEARCH_STAGES: [Stage; 4] = [
    Stage::Connect,
    Stage::Survey,
    Stage::Census,
    Stage::Saturate,
];

/// A stored point's id and coordinates.
pub(crate) type IdPoint = (i64, Vec<f64>);

/// Stores what the searches find, as they find it.
pub(crate) struct DbSink<'s, 'r> {
    run: &'s LandscapeRun<'r>,
    /// Each attempt (each round, in `connect`) is one unit, committed when it is recorded;
    /// an unfinished one is rolled back when the sink goes, so leaving a stage early (an error
    /// from the search) never leaves a unit open for the run's final status to vanish into.
    units: Units<'s>,
    stage: Stage,
    minima: KnownMinima,
    ts: PointSet,
    ts_ids: Vec<i64>,
    /// Census points already stored, with their ids.
    census: PointSet,
    census_ids: Vec<i64>,
    /// Whether attempts stay in one open unit until [`Sink::group_done`] (connection rounds).
    pub(crate) hold: bool,
    /// Attempt keys already recorded (by this or an earlier run).
    tried: HashSet<String>,
    /// Points stored (minima, transition states, census points) when the last attempt ended:
    /// what an attempt adds is recorded with it, so the census's stopping rule replays
    /// exactly on resume.
    points_before: usize,
}

/// Why [`DbSink`] stopped a search (carried through `losscape_ts::SinkError`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SinkStop {
    /// The database refused a write; the unfinished attempt's writes were rolled back.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The run was cancelled.
    #[error("interrupted")]
    Interrupted,
}

/// The run error behind a search's sink error.
pub(crate) fn sink_error(e: SinkError) -> RunError {
    match e.0.downcast::<SinkStop>() {
        Ok(stop) => match *stop {
            SinkStop::Db(e) => RunError::Db(e),
            SinkStop::Interrupted => RunError::Interrupted,
        },
        Err(other) => RunError::Search {
            stage: "store",
            message: other.to_string(),
        },
    }
}

impl<'s, 'r> DbSink<'s, 'r> {
    pub(crate) fn new(
        run: &'s LandscapeRun<'r>,
        store: &'s mut Store,
        stage: Stage,
    ) -> Result<Self, RunError> {
        let minima = KnownMinima::load(store, run.landscape_id)?;
        let mut ts = PointSet::new();
        let mut ts_ids = Vec::new();
        for t in store.transition_states(run.landscape_id)? {
            ts.push(t.energy, t.coords);
            ts_ids.push(t.id);
        }
        let mut census = PointSet::new();
        let mut census_ids = Vec::new();
        for p in store.stationary_points(run.landscape_id)? {
            census.push(p.energy, p.coords);
            census_ids.push(p.id);
        }
        let mut tried = HashSet::new();
        for s in SEARCH_STAGES {
            tried.extend(
                store
                    .attempts(run.landscape_id, s.name())?
                    .into_iter()
                    .map(|a| a.key),
            );
        }
        Ok(Self {
            run,
            units: store.units(),
            stage,
            minima,
            ts,
            ts_ids,
            census,
            census_ids,
            hold: stage == Stage::Connect,
            tried,
            points_before: 0,
        }
        .counted())
    }

    /// Minima, transition states and census points stored.
    pub(crate) fn points(&self) -> usize {
        self.minima.ids.len() + self.ts_ids.len() + self.census_ids.len()
    }

    fn counted(mut self) -> Self {
        self.points_before = self.points();
        self
    }

    /// The points census starts may be placed near: the stored minima and census points, in
    /// storage order (transition states of other searches are left out on purpose).
    pub(crate) fn census_centres(&self) -> Vec<&[f64]> {
        let minima = (0..self.minima.set.len()).map(|i| self.minima.set.point(i));
        let census = (0..self.census.len()).map(|i| self.census.point(i));
        minima.chain(census).collect()
    }

    /// The stored minima and transition states, with their ids, in storage order.
    pub(crate) fn stored_points(&self) -> (Vec<IdPoint>, Vec<IdPoint>) {
        let minima = (0..self.minima.set.len())
            .map(|i| (self.minima.ids[i], self.minima.set.point(i).to_vec()))
            .collect();
        let ts = (0..self.ts.len())
            .map(|i| (self.ts_ids[i], self.ts.point(i).to_vec()))
            .collect();
        (minima, ts)
    }

    /// Adds the stored point at `coords` to the census (analysed afresh, accepted by the
    /// same rule as any census point) as the unit `key`, unless that unit was recorded
    /// before. Returns whether the census gained a point.
    pub(crate) fn seed(&mut self, key: &str, coords: &[f64]) -> Result<bool, RunError> {
        if self.tried.contains(key) {
            return Ok(false);
        }
        let run = self.run;
        let point = StationaryPoint {
            coords: coords.to_vec(),
            analysis: analyse(run.model, coords, run.exp.config.checks.zero_eigenvalue),
            iterations: 0,
        };
        let before = self.points();
        let id = self.add_stationary(&point).map_err(sink_error)?;
        let new_points = self.points() - before;
        let detail = SearchDetail {
            new_points,
            reached: id.into_iter().collect(),
            ..SearchDetail::default()
        }
        .to_json();
        let stage = self.stage.name();
        self.write(|b| {
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: run.landscape_id,
                stage,
                key,
                outcome: if new_points > 0 { "seeded" } else { "known" },
                detail: &detail,
                run_id: run.run_id,
            })
        })
        .and_then(|()| self.units.commit())
        .map_err(|e| sink_error(self.fail(e)))?;
        self.tried.insert(key.to_owned());
        self.points_before = self.points();
        Ok(new_points > 0)
    }

    pub(crate) fn stopping(&self) -> bool {
        self.run.opts.cancelled()
    }

    pub(crate) fn finish(mut self) -> Result<(), RunError> {
        // Every attempt (every round, in `connect`) commits its own unit, so an open unit here
        // holds only writes of work that did not finish; they are dropped with it.
        self.units.rollback()?;
        if self.run.opts.cancelled() {
            Err(RunError::Interrupted)
        } else {
            Ok(())
        }
    }

    /// Stores `f`'s records inside the current attempt's unit of work, opening it if needed:
    /// what an attempt finds reaches the file together with its attempt record or not at all.
    /// A run killed mid-attempt so leaves no minimum or transition state without the attempt
    /// that found it, and the resumed run redoes the attempt from the same state.
    fn write<T>(
        &mut self,
        f: impl FnOnce(&mut losscape_db::Batch<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.units.write(f)
    }

    /// Stops the search on a database error: the unfinished attempt's writes go; what
    /// earlier attempts committed stays.
    fn fail(&mut self, e: DbError) -> SinkError {
        let _ = self.units.rollback();
        SinkError::new(SinkStop::Db(e))
    }

    fn committed(&self) {
        self.run.observer.event(&Event::UnitCommitted {
            stage: self.stage,
            minima: self.minima.ids.len(),
            transition_states: self.ts_ids.len(),
        });
    }
}

impl Sink for DbSink<'_, '_> {
    fn add_minimum(&mut self, energy: f64, coords: &[f64]) -> Result<Option<MinId>, SinkError> {
        let run = self.run;
        let analysis = analyse_checked(run.model, coords, &run.exp.config.checks, None);
        let candidate = Candidate {
            energy,
            coords: coords.to_vec(),
            times_found: 1,
            analysis,
        };
        let mut minima = std::mem::replace(
            &mut self.minima,
            KnownMinima {
                set: PointSet::new(),
                ids: Vec::new(),
            },
        );
        let result = self.write(|b| run.store_minimum(b, &mut minima, &candidate));
        self.minima = minima;
        match result {
            Ok(id) => Ok(id.map(|id| id as MinId)),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn add_ts(
        &mut self,
        ts: &TsFound,
        minus: MinId,
        plus: MinId,
        kind: PushOffKind,
    ) -> Result<(), SinkError> {
        let run = self.run;
        let identity = &run.exp.config.identity;
        let known = self.ts.find(run.model, identity, ts.energy, &ts.coords);
        let known_id = known.map(|i| self.ts_ids[i]);
        let result = self.write(|b| match known_id {
            Some(id) => b.add_ts_times_found(id, 1).map(|()| None),
            None => b
                .insert_ts(&NewTs {
                    landscape_id: run.landscape_id,
                    energy: ts.energy,
                    coords: ts.coords.clone(),
                    rms_gradient: ts.analysis.rms_gradient,
                    hessian_index: ts.analysis.index as u32,
                    negative_eigenvalue: ts.analysis.lowest_eigenvalue,
                    negative_vector: ts.analysis.lowest_vector().to_vec(),
                    ln_prod_positive: ts.analysis.ln_prod_positive,
                    accuracy: run.model.accuracy(&ts.coords),
                    min1: minus as i64,
                    min2: plus as i64,
                    degenerate: kind == PushOffKind::Degenerate || minus == plus,
                    times_found: 1,
                    first_run: run.run_id,
                })
                .map(Some),
        });
        match result {
            Ok(Some(id)) => {
                self.ts.push(ts.energy, ts.coords.clone());
                self.ts_ids.push(id);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn add_stationary(&mut self, p: &StationaryPoint) -> Result<Option<u64>, SinkError> {
        let run = self.run;
        let a = &p.analysis;
        // Converged is not enough: only points the checks accept as stationary are recorded
        // (zero modes are kept, flagged, so the census can say its certificate is void).
        if !(a.is_finite() && a.rms_gradient <= run.exp.config.checks.rms_gradient) {
            return Ok(None);
        }
        let identity = &run.exp.config.identity;
        let known = self.census.find(run.model, identity, a.energy, &p.coords);
        let known_id = known.map(|i| self.census_ids[i]);
        let result = self.write(|b| match known_id {
            Some(id) => b.add_stationary_times_found(id, 1).map(|()| None),
            None => b
                .insert_stationary_point(&NewStationaryPoint {
                    landscape_id: run.landscape_id,
                    energy: a.energy,
                    coords: p.coords.clone(),
                    rms_gradient: a.rms_gradient,
                    // Counted with the checks' zero tolerance, which the census solves with.
                    hessian_index: a.index as u32,
                    zero_modes: a.zero_modes as u32,
                    lowest_eigenvalue: a.lowest_eigenvalue,
                    ln_prod_positive: a.ln_prod_positive,
                    accuracy: run.model.accuracy(&p.coords),
                    times_found: 1,
                    first_run: run.run_id,
                })
                .map(Some),
        });
        match result {
            Ok(Some(id)) => {
                self.census.push(a.energy, p.coords.clone());
                self.census_ids.push(id);
                Ok(Some(id as u64))
            }
            Ok(None) => Ok(known_id.map(|id| id as u64)),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn already_tried(&mut self, attempt: &Attempt) -> Result<bool, SinkError> {
        // A cancelled run stops the search before its next attempt.
        if self.stopping() {
            return Err(SinkError::new(SinkStop::Interrupted));
        }
        Ok(self.tried.contains(&SearchKey(*attempt).to_string()))
    }

    fn attempt_done(
        &mut self,
        attempt: &Attempt,
        outcome: &AttemptOutcome,
    ) -> Result<(), SinkError> {
        let key = SearchKey(*attempt).to_string();
        let result = search_outcome(outcome);
        let new_points = self.points() - self.points_before;
        let detail = SearchDetail::new(outcome, new_points).to_json();
        let run = self.run;
        let stage = self.stage.name();
        // The attempt record closes the attempt's unit: all of it is committed at once. In
        // `connect` the unit stays open until the whole round is done (`group_done`).
        let hold = self.hold;
        let recorded = self
            .write(|b| {
                b.record_attempt(&losscape_db::NewAttempt {
                    landscape_id: run.landscape_id,
                    stage,
                    key: &key,
                    outcome: result,
                    detail: &detail,
                    run_id: run.run_id,
                })
            })
            .and_then(|()| if hold { Ok(()) } else { self.units.commit() });
        match recorded {
            Ok(()) => {
                self.tried.insert(key);
                self.points_before = self.points();
                self.committed();
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn group_done(&mut self) -> Result<(), SinkError> {
        self.units.commit().map_err(|e| self.fail(e))
    }
}

/// Runs the refinements of one attempt on the run's worker threads. `collect` on an indexed
/// parallel iterator keeps index order, so results do not depend on the thread count.
struct Parallel(rayon::ThreadPool);

impl Executor for Parallel {
    fn refine_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> Result<Refined, losscape_ts::RefineError> + Sync),
    ) -> Vec<Result<Refined, losscape_ts::RefineError>> {
        self.0.install(|| (0..n).into_par_iter().map(job).collect())
    }

    fn pair_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> losscape_ts::connect::PairWork + Sync),
    ) -> Vec<losscape_ts::connect::PairWork> {
        self.0.install(|| (0..n).into_par_iter().map(job).collect())
    }

    fn census_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> losscape_ts::census::StartWork + Sync),
    ) -> Vec<losscape_ts::census::StartWork> {
        self.0.install(|| (0..n).into_par_iter().map(job).collect())
    }
}

/// What a [`Toolkit`] borrows: the parameters, the quench rule, the transition-state
/// minimiser (always the built-in L-BFGS) and the executor.
pub(crate) struct TsSetup {
    pub(crate) params: TsParams,
    quench: losscape_core::Convergence,
    lbfgs: Lbfgs,
    executor: Box<dyn Executor>,
}

/// The executor for `threads` workers (sequential for one, or if no pool can be built).
fn executor(threads: usize) -> Box<dyn Executor> {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) if threads > 1 => Box::new(Parallel(pool)),
        _ => Box::new(Sequential),
    }
}

impl LandscapeRun<'_> {
    /// Everything the transition-state tools borrow, built once per stage.
    pub(crate) fn ts_setup(&self) -> TsSetup {
        TsSetup {
            params: self.exp.config.ts_params(),
            quench: self.exp.config.quench.convergence(),
            lbfgs: self.exp.ts_minimiser(),
            executor: executor(self.opts.worker_count()),
        }
    }

    pub(crate) fn toolkit<'t>(&'t self, setup: &'t TsSetup) -> Toolkit<'t> {
        Toolkit {
            executor: &*setup.executor,
            landscape: self.model,
            minimiser: &setup.lbfgs,
            params: &setup.params,
            checks: &self.exp.config.checks,
            identity: &self.exp.config.identity,
            quench: &setup.quench,
        }
    }

    /// `connect`: the missing-connection strategy from every minimum to the global minimum.
    pub(crate) fn connect(&mut self, store: &mut Store, key: &str) -> Result<(), RunError> {
        let minima = store.minima(self.landscape_id)?;
        let mut connector = Connector::new();
        for m in &minima {
            connector.add_minimum(self.model, m.id as MinId, m.energy, &m.coords);
        }
        for t in store.transition_states(self.landscape_id)? {
            connector.add_connection(t.min1 as MinId, t.min2 as MinId);
        }
        self.observer.event(&Event::StageStarted {
            key,
            stage: Stage::Connect,
            units: minima.len().saturating_sub(1),
            already_done: 0,
        });
        let setup = self.ts_setup();
        let tools = self.toolkit(&setup);
        let mut sink = DbSink::new(self, store, Stage::Connect)?;
        // Parameters were validated with the experiment, and every target comes from the
        // connector itself, so an error here means a bug; it is reported, not hidden.
        match connect_all_to_global(&tools, &mut sink, &mut connector) {
            Ok(_) => sink.finish(),
            Err(ConnectError::Sink(e)) => Err(sink_error(e)),
            Err(e) => Err(RunError::Search {
                stage: "connect",
                message: e.to_string(),
            }),
        }
    }

    /// `survey`: eigenvector-following from every stored minimum along its softest modes.
    pub(crate) fn survey(
        &mut self,
        store: &mut Store,
        key: &str,
        position: usize,
    ) -> Result<(), RunError> {
        // The minima known when the stage first started; those it finds are not surveyed in
        // turn. The last id is recorded at the start so a resumed survey works on the same set
        // rather than also on the minima the killed run had already found.
        let start_key = format!("{}-start", stage_key(position, Stage::Survey));
        let recorded = store
            .attempt(self.landscape_id, STAGES, &start_key)?
            .and_then(|a| a.detail.parse::<i64>().ok());
        let mut minima = store.minima(self.landscape_id)?;
        let last = match recorded {
            Some(last) => last,
            None => {
                let last = minima.iter().map(|m| m.id).max().unwrap_or(0);
                let (landscape, run) = (self.landscape_id, self.run_id);
                store.write(|b| {
                    b.record_attempt(&losscape_db::NewAttempt {
                        landscape_id: landscape,
                        stage: STAGES,
                        key: &start_key,
                        outcome: "started",
                        detail: &last.to_string(),
                        run_id: run,
                    })
                })?;
                last
            }
        };
        minima.retain(|m| m.id <= last);
        let setup = self.ts_setup();
        let per_minimum = 2 * setup.params.survey.mode_count(self.model.dim());
        let already = store
            .attempts(self.landscape_id, Stage::Survey.name())?
            .len();
        self.observer.event(&Event::StageStarted {
            key,
            stage: Stage::Survey,
            units: (minima.len() * per_minimum).saturating_sub(already),
            already_done: already,
        });
        let tools = self.toolkit(&setup);
        let mut sink = DbSink::new(self, store, Stage::Survey)?;
        for m in &minima {
            if sink.stopping() {
                break;
            }
            match survey::run(&tools, &mut sink, m.id as MinId, &m.coords) {
                Ok(_) => {}
                Err(survey::SurveyError::Sink(e)) => return Err(sink_error(e)),
                Err(e) => {
                    return Err(RunError::Search {
                        stage: "survey",
                        message: e.to_string(),
                    });
                }
            }
        }
        sink.finish()
    }
}
