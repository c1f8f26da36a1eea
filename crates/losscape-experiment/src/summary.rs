//! Per-landscape numbers read back from the database: what a run's closing table shows.

use losscape_core::Identity;
use losscape_db::Store;

use crate::error::RunError;

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
}

impl LandscapeSummary {
    /// Transition states per minimum (by structure); `None` without minima.
    pub fn ts_ratio(&self) -> Option<f64> {
        (self.minima_by_structure > 0)
            .then(|| self.transition_states as f64 / self.minima_by_structure as f64)
    }
}

/// Number of distinct values when values closer than `tol` to their sorted neighbour merge.
pub fn distinct_within(values: &mut [f64], tol: f64) -> usize {
    values.sort_by(f64::total_cmp);
    let mut count = 0;
    let mut last = None;
    for &v in values.iter() {
        if last.is_none_or(|l: f64| v - l > tol) {
            count += 1;
        }
        last = Some(v);
    }
    count
}

/// Connected components of `n` nodes joined by `edges` (union-find).
pub fn components(n: usize, edges: impl IntoIterator<Item = (usize, usize)>) -> usize {
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut count = n;
    for (a, b) in edges {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra] = rb;
            count -= 1;
        }
    }
    count
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
    for a in store.attempts(landscape_id, "basin_hopping")? {
        // Chain records carry their counts as JSON; other records (the origin) carry none.
        if let Ok(detail) = serde_json::from_str::<serde_json::Value>(&a.detail) {
            let count = |k: &str| detail.get(k).and_then(|v| v.as_u64()).unwrap_or(0) as usize;
            quenches += count("steps");
            failed_quenches += count("failed_quenches");
        }
    }
    let mut energies: Vec<f64> = minima.iter().map(|m| m.energy).collect();
    let position = |id: i64| minima.iter().position(|m| m.id == id);
    let edges: Vec<(usize, usize)> = ts
        .iter()
        .filter_map(|t| Some((position(t.min1)?, position(t.min2)?)))
        .collect();
    Ok(LandscapeSummary {
        key: row.key,
        n_hidden: row.n_hidden as usize,
        lambda: row.lambda,
        minima_by_energy: distinct_within(&mut energies, identity.energy_tolerance),
        minima_by_structure: minima.len(),
        lowest_energy: minima.iter().map(|m| m.energy).min_by(f64::total_cmp),
        correct_minima: minima.iter().filter(|m| m.accuracy >= 1.0).count(),
        transition_states: ts.len(),
        degenerate_ts: ts.iter().filter(|t| t.degenerate).count(),
        correct_ts: ts.iter().filter(|t| t.accuracy >= 1.0).count(),
        components: components(minima.len(), edges),
        quenches,
        failed_quenches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_energies_merge_within_tolerance() {
        assert_eq!(
            distinct_within(&mut [0.1, 0.1 + 1e-9, 0.2, 0.30000001], 1e-7),
            3
        );
        assert_eq!(distinct_within(&mut [], 1e-7), 0);
    }

    #[test]
    fn union_find_counts_components() {
        assert_eq!(components(4, [(0, 1), (2, 3)]), 2);
        assert_eq!(components(4, [(0, 1), (1, 2), (2, 3), (3, 0)]), 1);
        assert_eq!(components(3, []), 3);
    }
}
