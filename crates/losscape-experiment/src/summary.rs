//! Per-landscape numbers read back from the database: what a run's closing table shows.

use losscape_analysis::census::Saturation;
use losscape_analysis::counts::{components_of, distinct_by_energy};
use losscape_core::Identity;
use losscape_db::Store;

use crate::config::Stage;
use crate::error::RunError;
use crate::points::stored_saturation;

/// The headline numbers of one landscape.
#[derive(Debug, Clone, PartialEq)]
pub struct LandscapeSummary {
    /// Landscape key, e.g. `h2-l1e-3`.
    pub key: String,
    /// Hidden units.
    pub n_hidden: usize,
    /// L2 penalty.
    pub lambda: f64,
    /// Minima with distinct energies (within the identity's energy tolerance), as PATHSAMPLE
    /// counts them.
    pub minima_by_energy: usize,
    /// Minima distinct modulo the symmetries (what the database stores).
    pub minima_by_structure: usize,
    /// Lowest minimum energy, if any minimum is stored.
    pub lowest_energy: Option<f64>,
    /// Minima that classify every training point correctly.
    pub correct_minima: usize,
    /// Stored transition states (degenerate rearrangements included).
    pub transition_states: usize,
    /// Of those, degenerate rearrangements (both sides are copies of one minimum).
    pub degenerate_ts: usize,
    /// Transition states that classify every training point correctly.
    pub correct_ts: usize,
    /// Connected components of the graph of minima joined by transition states.
    pub components: usize,
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

impl LandscapeSummary {
    /// Transition states per minimum (by structure); `None` without minima.
    pub fn ts_ratio(&self) -> Option<f64> {
        (self.minima_by_structure > 0)
            .then(|| self.transition_states as f64 / self.minima_by_structure as f64)
    }
}

/// Reads one landscape's minima and transition states and summarises them.
pub fn summarise(
    store: &Store,
    landscape_id: i64,
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
        // Chain records carry their counts as JSON; other records (the origin) carry none.
        if let Ok(detail) = serde_json::from_str::<serde_json::Value>(&a.detail) {
            let count = |k: &str| detail.get(k).and_then(|v| v.as_u64()).unwrap_or(0) as usize;
            quenches += count("steps");
            failed_quenches += count("failed_quenches");
            if first_quench_failure.is_none() {
                first_quench_failure = detail
                    .get("first_failure")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
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
    let energies: Vec<f64> = minima.iter().map(|m| m.energy).collect();
    let position = |id: i64| minima.iter().position(|m| m.id == id);
    let edges: Vec<(usize, usize)> = ts
        .iter()
        .filter_map(|t| Some((position(t.min1)?, position(t.min2)?)))
        .collect();
    Ok(LandscapeSummary {
        key: row.key,
        n_hidden: row.n_hidden as usize,
        lambda: row.lambda,
        minima_by_energy: distinct_by_energy(&energies, identity.energy_tolerance),
        minima_by_structure: minima.len(),
        lowest_energy: minima.iter().map(|m| m.energy).min_by(f64::total_cmp),
        correct_minima: minima.iter().filter(|m| m.accuracy >= 1.0).count(),
        transition_states: ts.len(),
        degenerate_ts: ts.iter().filter(|t| t.degenerate).count(),
        correct_ts: ts.iter().filter(|t| t.accuracy >= 1.0).count(),
        components: components_of(minima.len(), edges),
        quenches,
        failed_quenches,
        first_quench_failure,
        ts_searches,
        failed_ts_searches,
        saturation,
    })
}
