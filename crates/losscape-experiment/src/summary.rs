//! Per-landscape numbers read back from the database: what a run's closing table shows.

use losscape_analysis::census::Saturation;
use losscape_analysis::counts::CountsRow;
use losscape_core::Identity;
use losscape_db::{LandscapeId, Store};

use crate::attempts::BasinHoppingDetail;

use crate::config::Stage;
use crate::error::RunError;
use crate::points::{minimum_info, stored_saturation, ts_info};

/// The headline numbers of one landscape: its counts (the one per-landscape count type of
/// the analyses, so `losscape summary`, `losscape counts` and the report agree) and what the
/// searches did.
#[derive(Debug, Clone, PartialEq)]
pub struct LandscapeSummary {
    /// Landscape key, e.g. `h2-l1e-3`.
    pub key: String,
    /// Minima, transition states, how many classify the data, components.
    pub counts: CountsRow,
    /// Basin-hopping quenches made (one per step of every chain).
    pub quenches: usize,
    /// Of those, quenches that failed (no convergence within budget, minimiser error).
    pub failed_quenches: usize,
    /// The first failed quench's reason, from the first chain (in chain order) that had one
    /// (the minimiser's or plugin's own message).
    pub first_quench_failure: Option<String>,
    /// Transition-state searches made (pair attempts and single-ended directions, in every
    /// stage that makes them).
    pub ts_searches: usize,
    /// Of those, searches that produced no transition state.
    pub failed_ts_searches: usize,
    /// The saturation stage's verdict, if one ran.
    pub saturation: Option<Saturation>,
}

/// Reads one landscape's minima and transition states and summarises them.
pub fn summarise(
    store: &Store,
    landscape_id: LandscapeId,
    identity: &Identity,
) -> Result<LandscapeSummary, RunError> {
    let row = store
        .landscapes()?
        .into_iter()
        .find(|l| l.id == landscape_id)
        .ok_or_else(|| losscape_db::DbError::NotFound {
            path: store.path().to_path_buf(),
            what: format!("landscape {landscape_id}"),
        })?;
    let minima = store.minima(landscape_id)?;
    let ts = store.transition_states(landscape_id)?;
    let (mut quenches, mut failed_quenches) = (0, 0);
    let mut first_quench_failure = None;
    for a in store.attempts(landscape_id, "basin_hopping")? {
        // Chain records carry their counts; other records (the origin) carry none.
        if let Some(BasinHoppingDetail::Chain(c)) = BasinHoppingDetail::parse(&a.key, &a.detail) {
            quenches += c.steps;
            failed_quenches += c.failed_quenches;
            if first_quench_failure.is_none() {
                first_quench_failure = c.first_failure;
            }
        }
    }
    let (mut ts_searches, mut failed_ts_searches) = (0, 0);
    for stage in [Stage::Connect, Stage::Survey, Stage::Saturate] {
        for a in store.attempts(landscape_id, stage.name())? {
            if a.key.starts_with("pair-") || a.key.starts_with("mode-") {
                ts_searches += 1;
                failed_ts_searches += usize::from(a.outcome == "no transition state");
            }
        }
    }
    let saturation = stored_saturation(store, landscape_id)?;
    let minima: Vec<_> = minima.iter().map(minimum_info).collect();
    let ts: Vec<_> = ts.iter().map(ts_info).collect();
    let counts = CountsRow::from_points(
        row.n_hidden as usize,
        row.lambda,
        &minima,
        &ts,
        identity.energy_tolerance,
    );
    Ok(LandscapeSummary {
        key: row.key,
        counts,
        quenches,
        failed_quenches,
        first_quench_failure,
        ts_searches,
        failed_ts_searches,
        saturation,
    })
}
