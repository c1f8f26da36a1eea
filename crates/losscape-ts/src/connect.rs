//! The missing-connection strategy of PATHSAMPLE/OPTIM (Wales, J. Chem. Phys. 130, 204111,
//! 2009, and docs/model.md, "Search methods").
//!
//! The known minima form a complete graph. An edge costs nothing if a transition state already
//! joins its two minima, otherwise a cost growing with their aligned distance
//! ([`EdgeWeight`]); pairs already tried without success cost `tried_penalty` times more. The
//! cheapest path between the two targets (Dijkstra) therefore prefers known connections and
//! short hops; its first untried, unjoined edge is the next pair to attempt with
//! DNEB → EF on each band maximum → push-off. Every minimum and transition state found joins the
//! graph, and the path is recomputed, until the targets are joined or the attempts run out.
//!
//! [`Connector`] is the graph and the choice of the next pair (a state machine the caller can
//! drive itself); [`run`] drives it with the algorithms of this crate and reports every result
//! through a [`Sink`] as it happens.

use losscape_core::ParamError;
use losscape_core::param::at_least;
use std::collections::{HashMap, HashSet};

use losscape_core::Landscape;
use serde::{Deserialize, Serialize};

use crate::{
    Attempt, AttemptOutcome, MinId, RefineError, Refined, Sink, SinkError, Toolkit, dneb, refine,
    store_refined,
};

/// How an unjoined pair's aligned distance `d` turns into an edge cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeWeight {
    /// `d`.
    Distance,
    /// `d²`: favours several short hops over one long one, as PATHSAMPLE does.
    DistanceSquared,
}

/// Connection settings. `Default` holds the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectParams {
    /// Most pair attempts (DNEB runs) one [`run`] call may make.
    pub max_attempts: usize,
    /// Cost of an unjoined edge.
    pub weight: EdgeWeight,
    /// Factor multiplying the cost of a pair already tried without success.
    pub tried_penalty: f64,
    /// Most band maxima refined with EF per attempt (highest first).
    pub candidates_per_band: usize,
    /// Targets [`connect_all_to_global`] works on at once: each round picks the next pair of
    /// up to this many targets from the same graph, runs those attempts side by side, then
    /// stores them in order. A fixed number (not the thread count), so results do not depend
    /// on the machine; 1 is the strictly sequential strategy.
    pub batch: usize,
}

impl Default for ConnectParams {
    fn default() -> Self {
        Self {
            max_attempts: 20,
            weight: EdgeWeight::DistanceSquared,
            tried_penalty: 1e3,
            candidates_per_band: 5,
            batch: 4,
        }
    }
}

impl ConnectParams {
    /// Checks every field; the message names the key and the allowed values.
    pub fn validate(&self) -> Result<(), ParamError> {
        at_least("max_attempts", self.max_attempts, 1)?;
        if !(self.tried_penalty.is_finite() && self.tried_penalty >= 1.0) {
            return Err(ParamError::new(
                "tried_penalty",
                format!("must be a finite number >= 1 (got {})", self.tried_penalty),
            ));
        }
        at_least("candidates_per_band", self.candidates_per_band, 1)?;
        at_least("batch", self.batch, 1)
    }
}

/// What to do next for a target pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// The targets are joined; the minima along a joining path, first target first.
    Connected(Vec<MinId>),
    /// Attempt this pair next.
    Try(MinId, MinId),
    /// Every unjoined edge on the cheapest path was tried already: nothing left to attempt.
    Exhausted,
}

/// Why a connection run could not start.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A target minimum is not in the graph.
    #[error("minimum {0} is not known to the connector")]
    UnknownMinimum(MinId),
    /// Invalid parameters.
    #[error("invalid parameters: {0}")]
    Params(losscape_core::ParamError),
    /// The sink stopped the search.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// The graph of known minima, their known connections and the pairs tried.
#[derive(Debug, Clone, Default)]
pub struct Connector {
    ids: Vec<MinId>,
    index: HashMap<MinId, usize>,
    energies: Vec<f64>,
    coords: Vec<Vec<f64>>,
    /// Aligned distances, `dist[i][j]` for `j < i`.
    dist: Vec<Vec<f64>>,
    /// Direct transition-state connections, adjacency by node.
    joined: Vec<HashSet<usize>>,
    tried: HashSet<(usize, usize)>,
}

fn key(i: usize, j: usize) -> (usize, usize) {
    (i.min(j), i.max(j))
}

impl Connector {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of minima.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no minima.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Ids of all minima, in insertion order.
    pub fn ids(&self) -> &[MinId] {
        &self.ids
    }

    /// Whether `id` is known.
    pub fn contains(&self, id: MinId) -> bool {
        self.index.contains_key(&id)
    }

    /// Energy and coordinates of a known minimum.
    pub fn minimum(&self, id: MinId) -> Option<(f64, &[f64])> {
        self.index
            .get(&id)
            .map(|&i| (self.energies[i], self.coords[i].as_slice()))
    }

    /// Adds a minimum (its aligned distances to all known minima are computed now). Returns
    /// `false` if `id` was already known, in which case nothing changes.
    pub fn add_minimum(
        &mut self,
        l: &dyn Landscape,
        id: MinId,
        energy: f64,
        coords: &[f64],
    ) -> bool {
        if self.index.contains_key(&id) {
            return false;
        }
        let row = self
            .coords
            .iter()
            .map(|c| l.aligned_distance(c, coords))
            .collect();
        self.index.insert(id, self.ids.len());
        self.ids.push(id);
        self.energies.push(energy);
        self.coords.push(coords.to_vec());
        self.dist.push(row);
        self.joined.push(HashSet::new());
        true
    }

    /// Records that a transition state joins `a` and `b`. Returns `false` (and changes nothing)
    /// if either is unknown or `a == b` (a degenerate rearrangement adds no edge).
    pub fn add_connection(&mut self, a: MinId, b: MinId) -> bool {
        match (self.index.get(&a), self.index.get(&b)) {
            (Some(&i), Some(&j)) if i != j => {
                self.joined[i].insert(j);
                self.joined[j].insert(i);
                true
            }
            _ => false,
        }
    }

    /// Records that the pair `a`, `b` was attempted (its edge cost is penalised from now on).
    pub fn mark_tried(&mut self, a: MinId, b: MinId) {
        if let (Some(&i), Some(&j)) = (self.index.get(&a), self.index.get(&b)) {
            self.tried.insert(key(i, j));
        }
    }

    /// Whether the pair was attempted.
    pub fn was_tried(&self, a: MinId, b: MinId) -> bool {
        match (self.index.get(&a), self.index.get(&b)) {
            (Some(&i), Some(&j)) => self.tried.contains(&key(i, j)),
            _ => false,
        }
    }

    /// Whether a chain of transition states joins `a` and `b`.
    pub fn connected(&self, a: MinId, b: MinId) -> bool {
        match (self.index.get(&a), self.index.get(&b)) {
            (Some(&i), Some(&j)) => self.component(i).contains(&j),
            _ => false,
        }
    }

    fn component(&self, start: usize) -> HashSet<usize> {
        let mut seen = HashSet::from([start]);
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            for &j in &self.joined[i] {
                if seen.insert(j) {
                    stack.push(j);
                }
            }
        }
        seen
    }

    fn cost(&self, i: usize, j: usize, params: &ConnectParams) -> f64 {
        if self.joined[i].contains(&j) {
            return 0.0;
        }
        let d = if i > j {
            self.dist[i][j]
        } else {
            self.dist[j][i]
        };
        let w = match params.weight {
            EdgeWeight::Distance => d,
            EdgeWeight::DistanceSquared => d * d,
        };
        if self.tried.contains(&key(i, j)) {
            w * params.tried_penalty
        } else {
            w
        }
    }

    /// Cheapest path from `a` to `b` over the complete graph (dense Dijkstra), as node indices.
    fn cheapest_path(&self, a: usize, b: usize, params: &ConnectParams) -> Vec<usize> {
        let n = self.ids.len();
        let mut best = vec![f64::INFINITY; n];
        let mut prev = vec![usize::MAX; n];
        let mut done = vec![false; n];
        best[a] = 0.0;
        for _ in 0..n {
            // Ties broken by the lower index keep the choice deterministic.
            let Some(u) = (0..n)
                .filter(|&i| !done[i] && best[i].is_finite())
                .min_by(|&i, &j| best[i].total_cmp(&best[j]).then(i.cmp(&j)))
            else {
                break;
            };
            done[u] = true;
            if u == b {
                break;
            }
            for v in 0..n {
                if !done[v] && v != u {
                    let c = best[u] + self.cost(u, v, params);
                    if c < best[v] {
                        best[v] = c;
                        prev[v] = u;
                    }
                }
            }
        }
        let mut path = vec![b];
        let mut cur = b;
        while cur != a && prev[cur] != usize::MAX {
            cur = prev[cur];
            path.push(cur);
        }
        path.reverse();
        path
    }

    /// What to do next to join `a` and `b`.
    pub fn next_pair(
        &self,
        a: MinId,
        b: MinId,
        params: &ConnectParams,
    ) -> Result<Next, ConnectError> {
        let i = *self.index.get(&a).ok_or(ConnectError::UnknownMinimum(a))?;
        let j = *self.index.get(&b).ok_or(ConnectError::UnknownMinimum(b))?;
        let path = self.cheapest_path(i, j, params);
        if path.first() != Some(&i) {
            // Unreachable only through non-finite distances: nothing sensible to try.
            return Ok(Next::Exhausted);
        }
        let open = path
            .windows(2)
            .find(|w| !self.joined[w[0]].contains(&w[1]) && !self.tried.contains(&key(w[0], w[1])));
        Ok(match open {
            Some(w) => Next::Try(self.ids[w[0]], self.ids[w[1]]),
            None if path.windows(2).all(|w| self.joined[w[0]].contains(&w[1])) => {
                Next::Connected(path.iter().map(|&k| self.ids[k]).collect())
            }
            None => Next::Exhausted,
        })
    }
}

/// Result of a connection run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectReport {
    /// Whether the targets are joined.
    pub connected: bool,
    /// Minima along the joining path (empty if not connected).
    pub path: Vec<MinId>,
    /// Pair attempts made (attempts the sink reported as already tried are not counted).
    pub attempts: usize,
    /// Transition states handed to the sink.
    pub transition_states: usize,
}

/// Tries to join minima `a` and `b` (both already in `connector`), attempting pairs until they
/// are joined, every candidate pair was tried, or `max_attempts` pairs were attempted.
///
/// To resume a run, load the stored minima and connections into `connector` first
/// ([`Connector::add_minimum`], [`Connector::add_connection`]); pairs for which
/// [`Sink::already_tried`] answers `true` are then marked tried and skipped without counting
/// towards `max_attempts`.
pub fn run(
    tools: &Toolkit<'_>,
    sink: &mut dyn Sink,
    connector: &mut Connector,
    a: MinId,
    b: MinId,
) -> Result<ConnectReport, ConnectError> {
    let params = &tools.params.connect;
    tools.params.validate().map_err(ConnectError::Params)?;
    let mut report = ConnectReport::default();
    loop {
        match connector.next_pair(a, b, params)? {
            Next::Connected(path) => {
                report.connected = true;
                report.path = path;
                return Ok(report);
            }
            Next::Exhausted => return Ok(report),
            Next::Try(x, y) => {
                connector.mark_tried(x, y);
                let attempt = Attempt::pair(x, y);
                if sink.already_tried(&attempt)? {
                    continue;
                }
                if report.attempts >= params.max_attempts {
                    return Ok(report);
                }
                report.attempts += 1;
                let outcome = attempt_pair(tools, sink, connector, x, y)?;
                report.transition_states += outcome.transition_states;
                sink.attempt_done(&attempt, &outcome)?;
            }
        }
    }
}

/// Why a pair attempt produced no band to refine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PairError {
    /// The elastic band failed.
    #[error("dneb: {0}")]
    Band(dneb::DnebError),
    /// An end of the pair is not in the connector.
    #[error("unknown minimum")]
    UnknownMinimum,
}

/// The refinements of one band's maxima, in band order.
pub type Refinements = Vec<Result<Refined, RefineError>>;

/// The pure part of one pair attempt: the band and the refinement of its maxima. `Err` says
/// why the band itself failed.
pub type PairWork = Result<Refinements, PairError>;

/// DNEB between two minima, then EF + push-off from the band's highest maxima (through the
/// toolkit's executor). Touches no shared state, so several can run at once.
pub fn pair_work(tools: &Toolkit<'_>, cx: &[f64], cy: &[f64]) -> PairWork {
    let band = dneb::run(tools.landscape, cx, cy, &tools.params.dneb).map_err(PairError::Band)?;
    let starts: Vec<usize> = band
        .maxima
        .iter()
        .take(tools.params.connect.candidates_per_band)
        .copied()
        .collect();
    Ok(tools.executor.refine_all(starts.len(), &|i| {
        refine(tools, &band.images[starts[i]], None)
    }))
}

/// Hands a finished pair attempt to the sink and the graph; returns what it produced.
fn store_pair(
    tools: &Toolkit<'_>,
    sink: &mut dyn Sink,
    connector: &mut Connector,
    work: PairWork,
) -> Result<AttemptOutcome, SinkError> {
    let mut outcome = AttemptOutcome::default();
    let refined = match work {
        Ok(r) => r,
        Err(e) => {
            outcome.failures.push(e.to_string());
            return Ok(outcome);
        }
    };
    let mut found = Vec::new();
    for r in refined {
        if let Some(s) = store_refined(tools, sink, r, &mut outcome, &mut found)? {
            let c = &s.push.connects;
            connector.add_minimum(tools.landscape, s.minus, c.minus.energy, &c.minus.coords);
            connector.add_minimum(tools.landscape, s.plus, c.plus.energy, &c.plus.coords);
            connector.add_connection(s.minus, s.plus);
        }
    }
    Ok(outcome)
}

/// One attempt: DNEB between `x` and `y`, EF from the band maxima, push-off, record.
fn attempt_pair(
    tools: &Toolkit<'_>,
    sink: &mut dyn Sink,
    connector: &mut Connector,
    x: MinId,
    y: MinId,
) -> Result<AttemptOutcome, SinkError> {
    let work = match (connector.minimum(x), connector.minimum(y)) {
        (Some((_, cx)), Some((_, cy))) => pair_work(tools, cx, cy),
        _ => Err(PairError::UnknownMinimum),
    };
    store_pair(tools, sink, connector, work)
}

/// Tries to join every minimum of `connector` to the lowest one.
///
/// Targets are taken in order of increasing energy, `params.batch` at a time; minima found on
/// the way become targets too. Each round asks the graph for the next pair of every active
/// target, runs those pair attempts together through the toolkit's executor, and stores their
/// results in target order before the next round. A target is done when it is joined, when
/// nothing is left to try, or after `max_attempts` attempts. Returns, for each minimum other
/// than the lowest, whether it ended up joined.
pub fn connect_all_to_global(
    tools: &Toolkit<'_>,
    sink: &mut dyn Sink,
    connector: &mut Connector,
) -> Result<Vec<(MinId, bool)>, ConnectError> {
    let params = &tools.params.connect;
    tools.params.validate().map_err(ConnectError::Params)?;
    let mut handled: HashSet<MinId> = HashSet::new();
    let mut results: Vec<MinId> = Vec::new();
    // Active targets with the attempts spent on each.
    let mut active: Vec<(MinId, usize)> = Vec::new();
    loop {
        // Recomputed each round: new minima (possibly a new global minimum) appear as we go.
        let mut order: Vec<usize> = (0..connector.len()).collect();
        order.sort_by(|&i, &j| {
            connector.energies[i]
                .total_cmp(&connector.energies[j])
                .then(i.cmp(&j))
        });
        let Some(&g) = order.first() else {
            return Ok(Vec::new());
        };
        let global = connector.ids[g];
        active.retain(|&(id, _)| id != global);
        while active.len() < params.batch {
            let Some(id) = order
                .iter()
                .map(|&i| connector.ids[i])
                .find(|&id| id != global && !handled.contains(&id))
            else {
                break;
            };
            handled.insert(id);
            results.push(id);
            active.push((id, 0));
        }
        if active.is_empty() {
            return Ok(results
                .into_iter()
                .map(|id| (id, connector.connected(global, id)))
                .collect());
        }
        // The next pair of every active target, from the same graph; a pair two targets both
        // want is attempted once.
        let mut pairs: Vec<(MinId, MinId)> = Vec::new();
        let mut still = Vec::new();
        for &(target, spent) in &active {
            if spent >= params.max_attempts {
                continue;
            }
            match connector.next_pair(global, target, params)? {
                Next::Connected(_) | Next::Exhausted => {}
                Next::Try(x, y) => {
                    still.push((target, spent));
                    if !pairs.contains(&(x, y)) {
                        pairs.push((x, y));
                    }
                }
            }
        }
        let made = attempt_pairs(tools, sink, connector, &pairs)?;
        // Every active target spent one attempt this round (or none was left to make).
        let spent = usize::from(made > 0);
        active = still.into_iter().map(|(t, n)| (t, n + spent)).collect();
    }
}

/// Attempts `pairs` as one group: pairs an earlier run already made (per
/// [`Sink::already_tried`]) are marked tried and skipped, the others run side by side through
/// the toolkit's executor and are stored in the order given, then [`Sink::group_done`] is
/// called. Returns the number of attempts made.
pub fn attempt_pairs(
    tools: &Toolkit<'_>,
    sink: &mut dyn Sink,
    connector: &mut Connector,
    pairs: &[(MinId, MinId)],
) -> Result<usize, SinkError> {
    let mut todo = Vec::new();
    for &(x, y) in pairs {
        connector.mark_tried(x, y);
        if !sink.already_tried(&Attempt::pair(x, y))? {
            todo.push((x, y));
        }
    }
    let ends: Vec<(Vec<f64>, Vec<f64>)> = todo
        .iter()
        .filter_map(|&(x, y)| {
            Some((
                connector.minimum(x)?.1.to_vec(),
                connector.minimum(y)?.1.to_vec(),
            ))
        })
        .collect();
    let works = tools
        .executor
        .pair_all(ends.len(), &|i| pair_work(tools, &ends[i].0, &ends[i].1));
    for (&(x, y), work) in todo.iter().zip(works) {
        let outcome = store_pair(tools, sink, connector, work)?;
        sink.attempt_done(&Attempt::pair(x, y), &outcome)?;
    }
    sink.group_done()?;
    Ok(todo.len())
}

impl Connector {
    /// Pairs of known minima that no transition state joins directly and that were not tried,
    /// each minimum with its `k` nearest such partners by aligned distance, in a deterministic
    /// order. Searching them after the graph is connected finds the transition states that
    /// close cycles, which a spanning tree of connections never needs.
    pub fn unjoined_neighbours(&self, k: usize) -> Vec<(MinId, MinId)> {
        let n = self.ids.len();
        let mut out: Vec<(MinId, MinId)> = Vec::new();
        for i in 0..n {
            let mut near: Vec<usize> = (0..n)
                .filter(|&j| {
                    j != i && !self.joined[i].contains(&j) && !self.tried.contains(&key(i, j))
                })
                .collect();
            let d = |j: usize| {
                if i > j {
                    self.dist[i][j]
                } else {
                    self.dist[j][i]
                }
            };
            near.sort_by(|&a, &b| d(a).total_cmp(&d(b)).then(a.cmp(&b)));
            for &j in near.iter().take(k) {
                let pair = (self.ids[i.min(j)], self.ids[i.max(j)]);
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_core::surfaces::FourWell;

    #[test]
    fn next_pair_prefers_short_hops_and_known_edges() {
        let l = FourWell;
        let p = ConnectParams::default();
        let mut c = Connector::new();
        c.add_minimum(&l, 10, 0.0, &[1.0, 1.0]);
        c.add_minimum(&l, 20, 0.0, &[-1.0, -1.0]);
        assert_eq!(c.next_pair(10, 20, &p).unwrap(), Next::Try(10, 20));
        c.mark_tried(10, 20);
        assert_eq!(c.next_pair(10, 20, &p).unwrap(), Next::Exhausted);
        c.add_minimum(&l, 30, 0.0, &[1.0, -1.0]);
        c.add_connection(30, 20);
        // d² = 4 via the new minimum beats the penalised direct edge (8 * 1000).
        assert_eq!(c.next_pair(10, 20, &p).unwrap(), Next::Try(10, 30));
        c.add_connection(10, 30);
        assert_eq!(
            c.next_pair(10, 20, &p).unwrap(),
            Next::Connected(vec![10, 30, 20])
        );
        assert!(c.connected(20, 10));
        assert!(matches!(
            c.next_pair(10, 99, &p),
            Err(ConnectError::UnknownMinimum(99))
        ));
    }
}
