//! A census of stationary points of every index from many starts.
//!
//! Each start is solved with [`newton::solve`]; every converged point goes to the sink
//! ([`Sink::add_stationary`]), minima also as minima ([`Sink::add_minimum`]), and index-1 points
//! that pass transition-state verification are pushed off and stored like the transition states
//! of the other searches ([`crate::push_off`]). The caller chooses the starts (random, or on the
//! symmetric subspaces of its model); a batch of starts is one [`Attempt::Census`].

use losscape_hessian::{Kind, verify};

use crate::newton::{self, NewtonFailure, StationaryPoint};
use crate::{
    Attempt, AttemptOutcome, RefineError, Refined, Sink, SinkError, Toolkit, TsFound, push_off,
    store_refined,
};

/// What one start produced: the converged point, and for a verified index-1 point the result
/// of its push-off. `Err` says why the start gave nothing.
pub type StartWork = Result<(StationaryPoint, Option<Result<Refined, RefineError>>), NewtonFailure>;

/// Result of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CensusReport {
    /// Starts solved.
    pub starts: usize,
    /// Starts that converged to a stationary point.
    pub converged: usize,
    /// Transition states handed to the sink.
    pub transition_states: usize,
}

/// Solves one start and, for a verified transition state, pushes it off. Pure: touches no
/// shared state, so many run at once.
pub fn start_work(tools: &Toolkit<'_>, start: &[f64]) -> StartWork {
    let p = newton::solve(
        tools.landscape,
        start,
        &tools.params.newton,
        tools.checks.zero_eigenvalue,
    )?;
    Ok(classify(tools, p))
}

/// A converged point with, when it is a verified index-1 point, the result of its push-off.
/// Pure, like [`start_work`].
pub fn classify(
    tools: &Toolkit<'_>,
    p: StationaryPoint,
) -> (StationaryPoint, Option<Result<Refined, RefineError>>) {
    let p = newton::refine(
        tools.landscape,
        p,
        &tools.params.newton,
        tools.checks.zero_eigenvalue,
    );
    let a = &p.analysis;
    let refined =
        (a.index == 1 && verify(a, Kind::TransitionState, tools.checks).is_ok()).then(|| {
            push_off(
                tools,
                TsFound {
                    coords: p.coords.clone(),
                    energy: a.energy,
                    analysis: a.clone(),
                    iterations: p.iterations,
                },
            )
        });
    (p, refined)
}

/// Runs the batch `attempt` of `starts` (unless the sink says it was done) and stores what it
/// finds in start order.
pub fn run(
    tools: &Toolkit<'_>,
    sink: &mut dyn Sink,
    attempt: Attempt,
    starts: &[Vec<f64>],
) -> Result<CensusReport, SinkError> {
    let mut report = CensusReport::default();
    if sink.already_tried(&attempt)? {
        return Ok(report);
    }
    let works = tools
        .executor
        .census_all(starts.len(), &|i| start_work(tools, &starts[i]));
    let mut outcome = AttemptOutcome::default();
    let mut found = Vec::new();
    for work in works {
        report.starts += 1;
        let (point, refined) = match work {
            Ok(w) => w,
            Err(e) => {
                outcome.failures.push(format!("newton: {e}"));
                continue;
            }
        };
        report.converged += 1;
        sink.add_stationary(&point)?;
        if hand_over(tools, sink, &point, refined, &mut outcome, &mut found)? {
            report.transition_states += 1;
        }
    }
    sink.attempt_done(&attempt, &outcome)?;
    Ok(report)
}

/// Hands a census point on as what it also is: a minimum to [`Sink::add_minimum`], a verified
/// index-1 point (with its push-off `refined`) as a transition state. Returns whether a
/// transition state was stored.
pub(crate) fn hand_over(
    tools: &Toolkit<'_>,
    sink: &mut dyn Sink,
    point: &StationaryPoint,
    refined: Option<Result<Refined, RefineError>>,
    outcome: &mut AttemptOutcome,
    found: &mut Vec<(f64, Vec<f64>)>,
) -> Result<bool, SinkError> {
    let a = &point.analysis;
    if a.index == 0 && a.zero_modes == 0 {
        sink.add_minimum(a.energy, &point.coords)?;
    }
    Ok(match refined {
        Some(r) => store_refined(tools, sink, r, outcome, found)?.is_some(),
        None => false,
    })
}
