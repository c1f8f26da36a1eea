//! Transition states: finding the first-order saddles that connect minima.
//!
//! The methods are those of OPTIM and PATHSAMPLE (docs/model.md, "Search methods"):
//!
//! - [`dneb`]: doubly-nudged elastic band between two minima; its local maxima are candidates;
//! - [`ef`]: eigenvector-following, which refines a candidate into a verified
//!   transition state (or says why it could not);
//! - [`pushoff`]: steps off a transition state along its negative eigenvector and quenches both
//!   sides to find the two minima it connects;
//! - [`connect`]: the missing-connection strategy that chains the three above over a growing
//!   graph of minima until two target minima are joined;
//! - [`survey`]: single-ended searches from each minimum along its Hessian modes;
//! - [`newton`]: Newton's method on `∇E = 0`, which converges to stationary points of any
//!   index, and [`census`], which runs it from many starts and pushes off the index-1 points;
//! - [`ladder`]: saddle-to-saddle searches from a stationary point of index `k` down to index
//!   `k − 1` and up to `k + 1`, which close a census under its own neighbourhood links.
//!
//! Everything is written against `&dyn Landscape` and, where a local minimiser is needed,
//! `&dyn Minimiser`, so plugin optimisers work everywhere. The searches that find many points
//! ([`connect`], [`survey`]) report each minimum, transition state and attempt through a
//! [`Sink`] implemented by the caller as it happens, so a run can store them and resume.
//!
//! This crate must not depend on the model, the database or any I/O.

#![forbid(unsafe_code)]

pub mod census;
pub mod connect;
pub mod dneb;
pub mod ef;
pub mod ladder;
pub mod newton;
pub mod pushoff;
pub mod survey;

use losscape_core::{Convergence, Identity, Landscape, Minimiser, ParamError};
use losscape_hessian::Checks;
use serde::{Deserialize, Serialize};

pub use ef::{EfFailure, TsFound};
pub use pushoff::{Connects, PushOff, PushOffKind, Quenched};

/// Caller-chosen identifier of a stored minimum (for example a database row id).
pub type MinId = u64;

/// All parameters of the transition-state tools, one section per module.
///
/// Each section has its defaults in its own `Default`; unknown keys are rejected.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TsParams {
    /// Elastic band.
    pub dneb: dneb::DnebParams,
    /// Eigenvector-following.
    pub ef: ef::EfParams,
    /// Push-off from transition states.
    pub pushoff: pushoff::PushOffParams,
    /// Missing-connection strategy.
    pub connect: connect::ConnectParams,
    /// Single-ended survey.
    pub survey: survey::SurveyParams,
    /// Newton search for stationary points of any index.
    pub newton: newton::NewtonParams,
    /// Saddle-to-saddle searches (the census's closure).
    pub ladder: ladder::LadderParams,
}

impl TsParams {
    /// Validates every section; the error's key is `section.key`.
    pub fn validate(&self) -> Result<(), ParamError> {
        self.dneb.validate().map_err(|e| e.in_section("dneb"))?;
        self.ef.validate().map_err(|e| e.in_section("ef"))?;
        self.pushoff
            .validate()
            .map_err(|e| e.in_section("pushoff"))?;
        self.connect
            .validate()
            .map_err(|e| e.in_section("connect"))?;
        self.survey.validate().map_err(|e| e.in_section("survey"))?;
        self.newton.validate().map_err(|e| e.in_section("newton"))?;
        self.ladder.validate().map_err(|e| e.in_section("ladder"))?;
        Ok(())
    }
}

/// Everything a multi-step search needs: the landscape, a minimiser and all settings.
#[derive(Clone, Copy)]
pub struct Toolkit<'a> {
    /// The surface searched.
    pub landscape: &'a dyn Landscape,
    /// Local minimiser for push-off quenches and tangent-space relaxation. The runner passes
    /// the built-in L-BFGS whatever basin-hopping uses, so which transition states are found
    /// does not depend on that choice.
    pub minimiser: &'a dyn Minimiser,
    /// Algorithm parameters.
    pub params: &'a TsParams,
    /// Stationary-point checks a transition state must pass.
    pub checks: &'a Checks,
    /// When two points are the same (push-off classification, duplicate candidates).
    pub identity: &'a Identity,
    /// Convergence of the push-off quenches (database minima need a tight tolerance).
    pub quench: &'a Convergence,
    /// How the independent refinements of one attempt are run ([`Sequential`] or parallel).
    pub executor: &'a dyn Executor,
}

/// One unit of work of [`connect`] or [`survey`], as named to the [`Sink`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attempt {
    /// A double-ended search between two minima (stored with `a < b`).
    Pair {
        /// First minimum.
        a: MinId,
        /// Second minimum.
        b: MinId,
    },
    /// A single-ended search from `minimum` along its `mode`-th softest Hessian eigenvector, in
    /// direction `positive` (+) or not (-).
    Mode {
        /// Starting minimum.
        minimum: MinId,
        /// Eigenvector number, 0 = softest.
        mode: usize,
        /// Direction along the eigenvector.
        positive: bool,
    },
    /// A batch of Newton census starts, named by the caller.
    Census {
        /// Saturation round (0 for a census outside saturation).
        round: usize,
        /// Batch number within the round.
        batch: usize,
    },
    /// Every saddle-to-saddle search ([`ladder`]) from one census point, named by the caller.
    Closure {
        /// The census point searched from.
        point: u64,
        /// 0 for its first searches; a later pass that redoes them (because a point they
        /// reached is no longer known) counts up.
        pass: u64,
    },
}

impl Attempt {
    /// The pair attempt between `a` and `b`, in canonical order.
    pub fn pair(a: MinId, b: MinId) -> Self {
        Attempt::Pair {
            a: a.min(b),
            b: a.max(b),
        }
    }
}

/// What one attempt produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttemptOutcome {
    /// Transition-state candidates tried (band maxima or single-ended starts).
    pub candidates: usize,
    /// Verified transition states whose push-off gave a usable connection.
    pub transition_states: usize,
    /// Why candidates or the band failed, one line each (for logs; not for control flow).
    pub failures: Vec<String>,
    /// Ids of the stationary points the attempt's searches ended at, one per search that
    /// reached one ([`ladder::run`]; empty for other attempts).
    pub reached: Vec<u64>,
    /// Searches run ([`ladder::run`]; 0 for other attempts).
    pub searches: usize,
}

/// Why a [`Sink`] stopped the search: the sink's own error (a store that failed, a run that
/// was cancelled). The search returns it at once; the caller downcasts it to its own type.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub Box<dyn std::error::Error + Send + Sync>);

impl SinkError {
    /// Wraps the sink's error.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(e))
    }
}

/// Receives results as they are found, so the caller can store them immediately.
///
/// The caller owns identity and persistence: [`Sink::add_minimum`] decides whether a quenched
/// point is new, already known, or unacceptable. Every method may fail; the search then stops
/// and returns the [`SinkError`] (what the sink committed before stays its business).
pub trait Sink {
    /// A quenched minimum from a push-off. Return its id (new or existing), or `None` to refuse
    /// it (for example when it fails Hessian verification); a refused minimum drops the
    /// transition state that led to it.
    fn add_minimum(&mut self, energy: f64, coords: &[f64]) -> Result<Option<MinId>, SinkError>;

    /// A verified transition state joining `minus` and `plus` (equal ids for a degenerate
    /// rearrangement, see [`PushOffKind::Degenerate`]).
    fn add_ts(
        &mut self,
        ts: &TsFound,
        minus: MinId,
        plus: MinId,
        kind: PushOffKind,
    ) -> Result<(), SinkError>;

    /// A converged stationary point of any index from the Newton census or a saddle-to-saddle
    /// search (verified or with zero modes; the caller decides what to keep). Returns the
    /// point's id (new or known), or `None` when it is not kept. Index-0 points also go
    /// through [`Sink::add_minimum`] and index-1 points through push-off and [`Sink::add_ts`].
    fn add_stationary(
        &mut self,
        point: &newton::StationaryPoint,
    ) -> Result<Option<u64>, SinkError> {
        let _ = point;
        Ok(None)
    }

    /// Whether `attempt` was already made (in an earlier, resumed run) and should be skipped.
    fn already_tried(&mut self, attempt: &Attempt) -> Result<bool, SinkError> {
        let _ = attempt;
        Ok(false)
    }

    /// Called after every attempt that was made.
    fn attempt_done(
        &mut self,
        attempt: &Attempt,
        outcome: &AttemptOutcome,
    ) -> Result<(), SinkError> {
        let _ = (attempt, outcome);
        Ok(())
    }

    /// Called after a group of attempts that were chosen together (one round of
    /// [`connect::connect_all_to_global`]). A sink that persists results should keep or lose
    /// the group as a whole: the choice of a round's pairs depends on the graph before the
    /// round, so a resumed run can only reproduce whole rounds.
    fn group_done(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// A candidate refined into a verified transition state and pushed off to two minima, not yet
/// handed to any sink.
#[derive(Debug, Clone)]
pub struct Refined {
    /// The verified transition state.
    pub ts: TsFound,
    /// Its push-off (kind `Distinct` or `Degenerate`, both quenches converged).
    pub push: PushOff,
}

/// Why a candidate gave no usable transition state. The text (`ef: …`, `push-off: …`) is what
/// attempt records list as failures.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RefineError {
    /// Eigenvector-following found no verified transition state.
    #[error("ef: {0}")]
    Ef(ef::EfFailure),
    /// The push-off could not run.
    #[error("push-off: {0}")]
    PushOff(pushoff::PushOffError),
    /// The push-off ran but gave no connection (both sides the same point is `Degenerate`,
    /// which is usable).
    #[error("push-off: {0:?}")]
    Unusable(PushOffKind),
    /// A push-off quench did not converge.
    #[error("push-off: a quench did not converge")]
    NotConverged,
}

/// Runs independent refinements (EF + push-off from several starting points).
///
/// The searches stay free of threads; the caller decides how the refinements of one attempt
/// are spread over cores. Results must come back in index order, which is what keeps a run's
/// outcome independent of the number of threads.
pub trait Executor: Sync {
    /// Returns `[job(0), job(1), ..., job(n - 1)]`.
    fn refine_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> Result<Refined, RefineError> + Sync),
    ) -> Vec<Result<Refined, RefineError>>;

    /// Returns `[job(0), job(1), ..., job(n - 1)]` for whole pair attempts (band + refinement).
    fn pair_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> connect::PairWork + Sync),
    ) -> Vec<connect::PairWork>;

    /// Returns `[job(0), job(1), ..., job(n - 1)]` for Newton census starts.
    fn census_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> census::StartWork + Sync),
    ) -> Vec<census::StartWork>;
}

/// Runs every refinement on the calling thread, in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sequential;

impl Executor for Sequential {
    fn refine_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> Result<Refined, RefineError> + Sync),
    ) -> Vec<Result<Refined, RefineError>> {
        (0..n).map(job).collect()
    }

    fn pair_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> connect::PairWork + Sync),
    ) -> Vec<connect::PairWork> {
        (0..n).map(job).collect()
    }

    fn census_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> census::StartWork + Sync),
    ) -> Vec<census::StartWork> {
        (0..n).map(job).collect()
    }
}

/// Refines `start` with eigenvector-following (following `guide` while the index is 0), then pushes off.
/// The error says why the candidate gave no usable transition state.
pub fn refine(
    tools: &Toolkit<'_>,
    start: &[f64],
    guide: Option<&[f64]>,
) -> Result<Refined, RefineError> {
    let l = tools.landscape;
    let ts = ef::run_guided(
        l,
        tools.minimiser,
        start,
        guide,
        &tools.params.ef,
        tools.checks,
    )
    .map_err(RefineError::Ef)?;
    push_off(tools, ts)
}

/// Pushes off a verified transition state; the error says why it gave no usable connection.
pub fn push_off(tools: &Toolkit<'_>, ts: TsFound) -> Result<Refined, RefineError> {
    let push = pushoff::run(
        tools.landscape,
        tools.minimiser,
        &ts.coords,
        ts.energy,
        ts.analysis.lowest_vector(),
        &tools.params.pushoff,
        tools.quench,
        tools.identity,
        tools.checks.zero_eigenvalue,
        tools.params.ef.krylov_dim_for(tools.landscape.dim()),
    )
    .map_err(RefineError::PushOff)?;
    match push.kind {
        PushOffKind::Distinct | PushOffKind::Degenerate => {}
        other => return Err(RefineError::Unusable(other)),
    }
    if !(push.connects.minus.converged && push.connects.plus.converged) {
        return Err(RefineError::NotConverged);
    }
    Ok(Refined { ts, push })
}

/// A transition state handed to the sink, with the minima it joins.
pub(crate) struct Stored {
    pub(crate) minus: MinId,
    pub(crate) plus: MinId,
    pub(crate) push: PushOff,
}

/// Hands one refinement to the sink unless it failed or its saddle is already in `found`.
pub(crate) fn store_refined(
    tools: &Toolkit<'_>,
    sink: &mut dyn Sink,
    result: Result<Refined, RefineError>,
    outcome: &mut AttemptOutcome,
    found: &mut Vec<(f64, Vec<f64>)>,
) -> Result<Option<Stored>, SinkError> {
    outcome.candidates += 1;
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            outcome.failures.push(e.to_string());
            return Ok(None);
        }
    };
    let l = tools.landscape;
    if found
        .iter()
        .any(|(e, x)| tools.identity.same(l, *e, x, r.ts.energy, &r.ts.coords))
    {
        outcome
            .failures
            .push("ef: transition state already found in this attempt".into());
        return Ok(None);
    }
    found.push((r.ts.energy, r.ts.coords.clone()));
    let c = &r.push.connects;
    let Some(minus) = sink.add_minimum(c.minus.energy, &c.minus.coords)? else {
        outcome
            .failures
            .push("push-off: minus minimum refused by the caller".into());
        return Ok(None);
    };
    let Some(plus) = sink.add_minimum(c.plus.energy, &c.plus.coords)? else {
        outcome
            .failures
            .push("push-off: plus minimum refused by the caller".into());
        return Ok(None);
    };
    sink.add_ts(&r.ts, minus, plus, r.push.kind)?;
    outcome.transition_states += 1;
    Ok(Some(Stored {
        minus,
        plus,
        push: r.push,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attempt records store these texts as failures: they must read as before the type.
    #[test]
    fn refinement_errors_keep_their_recorded_text() {
        assert_eq!(
            RefineError::NotConverged.to_string(),
            "push-off: a quench did not converge"
        );
        assert_eq!(
            RefineError::Unusable(PushOffKind::BelowMinimum).to_string(),
            "push-off: BelowMinimum"
        );
        assert_eq!(
            connect::PairError::UnknownMinimum.to_string(),
            "unknown minimum"
        );
    }
}
