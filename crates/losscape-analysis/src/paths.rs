//! Paths between minima: the sequence of transition states whose highest saddle is lowest.

use std::collections::{BTreeMap, BTreeSet};

use crate::TsInfo;

/// One step of a path: over a transition state to the next minimum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathStep {
    /// Id of the transition state crossed.
    pub ts_id: i64,
    /// Its energy.
    pub ts_energy: f64,
    /// Id of the minimum reached.
    pub minimum: i64,
}

/// Among all paths from minimum `from` to minimum `to` over the non-degenerate transition
/// states `ts`, the one whose highest transition state is lowest (Dijkstra on the bottleneck).
///
/// Returns the steps in order (empty when `from == to`), or `None` when the two minima lie in
/// different components. Ties between equally high paths are broken by minimum id.
pub fn minimax_path(ts: &[TsInfo], from: i64, to: i64) -> Option<Vec<PathStep>> {
    let edges: Vec<&TsInfo> = ts.iter().filter(|t| !t.is_degenerate()).collect();
    let mut best: BTreeMap<i64, f64> = BTreeMap::new();
    let mut prev: BTreeMap<i64, (i64, PathStep)> = BTreeMap::new();
    let mut done = BTreeSet::new();
    best.insert(from, f64::NEG_INFINITY);
    loop {
        let (&node, &cost) = best
            .iter()
            .filter(|(n, _)| !done.contains(*n))
            .min_by(|a, b| a.1.total_cmp(b.1))?;
        if node == to {
            break;
        }
        done.insert(node);
        for t in &edges {
            let other = if t.min1 == node {
                t.min2
            } else if t.min2 == node {
                t.min1
            } else {
                continue;
            };
            let c = cost.max(t.energy);
            if !done.contains(&other) && best.get(&other).is_none_or(|&old| c < old) {
                best.insert(other, c);
                let step = PathStep {
                    ts_id: t.id,
                    ts_energy: t.energy,
                    minimum: other,
                };
                prev.insert(other, (node, step));
            }
        }
    }
    let mut steps = Vec::new();
    let mut at = to;
    while at != from {
        let (p, step) = prev[&at];
        steps.push(step);
        at = p;
    }
    steps.reverse();
    Some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::points::fixtures::ts;

    fn step(ts_id: i64, ts_energy: f64, minimum: i64) -> PathStep {
        PathStep {
            ts_id,
            ts_energy,
            minimum,
        }
    }

    #[test]
    fn minimax_prefers_the_lower_highest_barrier() {
        // 1-2 directly over a high barrier, or 1-3-2 over two lower ones.
        let t = [ts(10, 5.0, 1, 2), ts(11, 2.0, 1, 3), ts(12, 3.0, 3, 2)];
        assert_eq!(
            minimax_path(&t, 1, 2),
            Some(vec![step(11, 2.0, 3), step(12, 3.0, 2)])
        );
        assert_eq!(minimax_path(&t, 1, 4), None);
        assert_eq!(minimax_path(&t, 2, 2), Some(vec![]));
    }

    #[test]
    fn degenerate_rearrangements_are_no_steps() {
        let mut low = ts(20, 1.0, 1, 2);
        low.degenerate = true;
        let t = [low, ts(21, 4.0, 1, 2), ts(22, 0.5, 2, 2)];
        assert_eq!(minimax_path(&t, 1, 2), Some(vec![step(21, 4.0, 2)]));
    }
}
