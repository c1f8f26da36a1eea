//! The Morse completeness check of a landscape's census of stationary points (docs/model.md, "The Morse census and saturation").
//!
//! With λ > 0 the loss is coercive, so for a Morse function on R^n the critical points satisfy
//! `Σ_k (−1)^k c_k = χ(R^n) = 1`, where `c_k` counts **every** critical point of Hessian index
//! `k`. The database stores one point per symmetry orbit; a stored point `x` stands for
//! `|G| / |Stab(x)|` points ([`Perceptron::symmetry_group_order`],
//! [`Perceptron::stabiliser_order`]). A sum of 1 is necessary for a complete census, not
//! sufficient; any other sum proves that points are missing. Degenerate critical points (a zero
//! Hessian eigenvalue) void the argument: they are listed, not counted.
//!
//! [`morse_census`] counts the union, modulo symmetry, of the stored minima, the stored
//! transition states and the census's stationary points of any index, and cross-checks the
//! census's index-1 points against the stored transition states.

use std::fmt::Write as _;

use losscape_core::{Identity, PointSet};
use losscape_model::Perceptron;
use serde::{Deserialize, Serialize};

use crate::table::Table;
use crate::{MinimumInfo, TsInfo};

/// A stationary point recorded by the census stage (any Hessian index), as the check needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationaryInfo {
    /// Database id (unique within one landscape's census table).
    pub id: i64,
    /// Loss at the point.
    pub energy: f64,
    /// Coordinates (the flat parameter vector).
    pub coords: Vec<f64>,
    /// Number of negative Hessian eigenvalues.
    pub hessian_index: usize,
    /// Number of Hessian eigenvalues judged zero; above 0 the point is degenerate.
    pub zero_modes: usize,
}

/// Which table a counted point came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The minima table.
    Minimum,
    /// The transition-states table.
    TransitionState,
    /// The census's stationary-points table (a point matching no stored minimum or TS).
    Census,
}

/// One orbit counted in the Morse sum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountedOrbit {
    /// Where it came from.
    pub source: Source,
    /// Its id in that table.
    pub id: i64,
    /// Loss.
    pub energy: f64,
    /// Hessian index.
    pub hessian_index: usize,
    /// `|Stab(x)|`: group elements mapping the point onto itself within the distance tolerance.
    pub stabiliser: u64,
    /// `|G| / |Stab(x)|`: how many critical points the orbit holds.
    pub points: u64,
}

/// Orbits and points of one Hessian index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexCount {
    /// Hessian index `k`.
    pub index: usize,
    /// Distinct orbits (stored points) of index `k`.
    pub orbits: usize,
    /// Critical points of index `k`, `Σ |G| / |Stab|` over those orbits.
    pub points: u64,
}

/// A census point with a zero Hessian eigenvalue: not counted, and it voids the check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DegeneratePoint {
    /// Id in the census table.
    pub id: i64,
    /// Loss.
    pub energy: f64,
    /// Number of negative eigenvalues.
    pub hessian_index: usize,
    /// Number of zero eigenvalues.
    pub zero_modes: usize,
}

/// The census's index-1 points against the stored transition states, matched by
/// [`Identity::same`] (energy within tolerance, aligned distance within tolerance).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TsCrossCheck {
    /// Non-degenerate census points of index 1 (distinct orbits).
    pub census_index1: usize,
    /// Ids of the census index-1 orbits that match no stored transition state.
    pub census_unmatched: Vec<i64>,
    /// Stored transition states.
    pub stored: usize,
    /// Ids of the stored transition states that match no census index-1 point.
    pub stored_unmatched: Vec<i64>,
}

impl TsCrossCheck {
    /// Whether both sides agree exactly.
    pub fn agrees(&self) -> bool {
        self.census_unmatched.is_empty() && self.stored_unmatched.is_empty()
    }
}

/// The Morse census of one landscape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MorseCensus {
    /// `|G|`, the order of the symmetry group.
    pub group_order: u64,
    /// Orbits and points per Hessian index, for every index from 0 to the highest counted
    /// (empty when nothing was counted).
    pub by_index: Vec<IndexCount>,
    /// `Σ_k (−1)^k points_k`.
    pub morse_sum: i64,
    /// Every counted orbit, in the order counted (minima, transition states, census points).
    pub orbits: Vec<CountedOrbit>,
    /// Census points with a zero Hessian eigenvalue, not counted.
    pub degenerate: Vec<DegeneratePoint>,
    /// Census points offered (degenerate ones included); 0 when no census stage ran.
    pub census_points: usize,
    /// Census index-1 points against the stored transition states.
    pub ts_cross_check: TsCrossCheck,
    /// Anything that makes the numbers less trustworthy (a saturated group order, a
    /// stabiliser that does not divide it).
    pub warnings: Vec<String>,
}

impl MorseCensus {
    /// `morse_sum − 1`: 0 when the check passes; otherwise at least `|deficit|` points are
    /// missing.
    pub fn deficit(&self) -> i64 {
        self.morse_sum.saturating_sub(1)
    }

    /// Whether the Morse sum is 1 (necessary, not sufficient, for a complete census).
    pub fn passes(&self) -> bool {
        self.morse_sum == 1
    }

    /// Whether degenerate critical points void the check.
    pub fn voided(&self) -> bool {
        !self.degenerate.is_empty()
    }

    /// The verdict in words: "passes the Morse check (necessary, not sufficient for
    /// completeness)" or "fails by D: at least |D| points missing" with what that means in
    /// orbits ([`MorseCensus::orbits_missing`]), and a note when degenerate points void it.
    pub fn verdict(&self) -> String {
        let mut text = if self.passes() {
            "passes the Morse check (necessary, not sufficient for completeness)".to_owned()
        } else {
            let d = self.deficit();
            let orbits = self.orbits_missing();
            format!(
                "fails by {d}: at least {} points missing, that is at least {orbits} orbit{} of \
                 |G| = {} points or more smaller ones",
                d.unsigned_abs(),
                if orbits == 1 { "" } else { "s" },
                self.group_order
            )
        };
        if self.voided() {
            let _ = write!(
                text,
                "; void: {} degenerate critical point{} (zero Hessian eigenvalue) not counted",
                self.degenerate.len(),
                if self.degenerate.len() == 1 { "" } else { "s" }
            );
        }
        text
    }

    /// The fewest orbits that can make up the deficit: an orbit holds at most `|G|` points (a
    /// point no symmetry fixes), so `⌈|deficit| / |G|⌉`; 0 when the check passes.
    pub fn orbits_missing(&self) -> u64 {
        self.deficit()
            .unsigned_abs()
            .div_ceil(self.group_order.max(1))
    }

    /// Orbits and points of index `k` (zero if none).
    pub fn count(&self, k: usize) -> IndexCount {
        self.by_index.get(k).copied().unwrap_or(IndexCount {
            index: k,
            orbits: 0,
            points: 0,
        })
    }
}

/// Counts the critical points of one landscape modulo symmetry and checks the Morse sum.
///
/// Counted, each once: every stored minimum (its own `hessian_index`), every stored transition
/// state (index 1), and every non-degenerate census point that matches (by [`Identity::same`])
/// no point already counted. Census points with `zero_modes > 0` are listed in
/// [`MorseCensus::degenerate`] instead. Each orbit weighs `|G| / |Stab(x)|`, the stabiliser
/// taken with `identity.distance_tolerance` per hidden unit (see
/// [`Perceptron::stabiliser_order`]).
pub fn morse_census(
    model: &Perceptron,
    identity: &Identity,
    minima: &[MinimumInfo],
    transition_states: &[TsInfo],
    stationary: &[StationaryInfo],
) -> MorseCensus {
    let mut counter = OrbitCounter::new(model, identity);
    let mut seen = PointSet::new();
    for m in minima {
        counter.count(Source::Minimum, m.id, m.energy, &m.coords, m.hessian_index);
        seen.push(m.energy, m.coords.clone());
    }
    let mut stored_ts = PointSet::new();
    for t in transition_states {
        counter.count(Source::TransitionState, t.id, t.energy, &t.coords, 1);
        seen.push(t.energy, t.coords.clone());
        stored_ts.push(t.energy, t.coords.clone());
    }
    let census = count_census(&mut counter, identity, stationary, &mut seen, &stored_ts);
    let stored_unmatched = transition_states
        .iter()
        .filter(|t| {
            census
                .index1
                .find(model, identity, t.energy, &t.coords)
                .is_none()
        })
        .map(|t| t.id)
        .collect();
    let (by_index, morse_sum) = morse_sum(&counter.orbits);
    MorseCensus {
        group_order: counter.group_order,
        by_index,
        morse_sum,
        orbits: counter.orbits,
        degenerate: census.degenerate,
        census_points: stationary.len(),
        ts_cross_check: TsCrossCheck {
            census_index1: census.index1_ids.len(),
            census_unmatched: census.unmatched,
            stored: transition_states.len(),
            stored_unmatched,
        },
        warnings: counter.warnings,
    }
}

/// A point's symmetry number: `|Stab(x)|`, the elements of the network's symmetry group that
/// map `coords` onto itself within `identity.distance_tolerance` per hidden unit. The census
/// weighs an orbit by `|G| / |Stab(x)|` with it, and the PATHSAMPLE export writes it as the
/// point-group order, so the two cannot disagree.
pub fn point_group_order(model: &Perceptron, identity: &Identity, coords: &[f64]) -> u64 {
    model.stabiliser_order(coords, identity.distance_tolerance)
}

/// Counts orbits: each point weighs `|G| / |Stab(x)|`, with a warning where the stabiliser
/// does not divide the group order.
struct OrbitCounter<'a> {
    model: &'a Perceptron,
    identity: &'a Identity,
    group_order: u64,
    orbits: Vec<CountedOrbit>,
    warnings: Vec<String>,
}

impl<'a> OrbitCounter<'a> {
    fn new(model: &'a Perceptron, identity: &'a Identity) -> Self {
        let group_order = model.symmetry_group_order();
        let mut warnings = Vec::new();
        if group_order == u64::MAX {
            warnings.push(format!(
                "the symmetry group of N_h = {} is too large to count in 64 bits; point counts \
                 are meaningless",
                model.n_hidden()
            ));
        }
        Self {
            model,
            identity,
            group_order,
            orbits: Vec::new(),
            warnings,
        }
    }

    fn count(&mut self, source: Source, id: i64, energy: f64, coords: &[f64], index: usize) {
        let group_order = self.group_order;
        let stabiliser = point_group_order(self.model, self.identity, coords);
        if !group_order.is_multiple_of(stabiliser) {
            self.warnings.push(format!(
                "{source:?} {id}: stabiliser order {stabiliser} does not divide |G| = \
                 {group_order} (points too close to symmetric within the tolerance)"
            ));
        }
        self.orbits.push(CountedOrbit {
            source,
            id,
            energy,
            hessian_index: index,
            stabiliser,
            points: group_order / stabiliser,
        });
    }
}

/// What the census's own points add: degenerate points (listed, not counted), the distinct
/// index-1 points and their ids, and those among them that match no stored transition state.
struct CensusPoints {
    degenerate: Vec<DegeneratePoint>,
    index1: PointSet,
    index1_ids: Vec<i64>,
    unmatched: Vec<i64>,
}

/// Counts every non-degenerate census point not already `seen`, and collects the census's
/// distinct index-1 points for the cross-check against `stored_ts`.
fn count_census(
    counter: &mut OrbitCounter<'_>,
    identity: &Identity,
    stationary: &[StationaryInfo],
    seen: &mut PointSet,
    stored_ts: &PointSet,
) -> CensusPoints {
    let model = counter.model;
    let mut c = CensusPoints {
        degenerate: Vec::new(),
        index1: PointSet::new(),
        index1_ids: Vec::new(),
        unmatched: Vec::new(),
    };
    for p in stationary {
        if p.zero_modes > 0 {
            c.degenerate.push(DegeneratePoint {
                id: p.id,
                energy: p.energy,
                hessian_index: p.hessian_index,
                zero_modes: p.zero_modes,
            });
            continue;
        }
        if p.hessian_index == 1
            && c.index1
                .find(model, identity, p.energy, &p.coords)
                .is_none()
        {
            c.index1.push(p.energy, p.coords.clone());
            c.index1_ids.push(p.id);
            if stored_ts
                .find(model, identity, p.energy, &p.coords)
                .is_none()
            {
                c.unmatched.push(p.id);
            }
        }
        if seen.find(model, identity, p.energy, &p.coords).is_none() {
            counter.count(Source::Census, p.id, p.energy, &p.coords, p.hessian_index);
            seen.push(p.energy, p.coords.clone());
        }
    }
    c
}

/// Orbits and points per Hessian index, and the alternating sum `Σ_k (−1)^k c_k` (saturating).
fn morse_sum(orbits: &[CountedOrbit]) -> (Vec<IndexCount>, i64) {
    let top = orbits
        .iter()
        .map(|o| o.hessian_index + 1)
        .max()
        .unwrap_or(0);
    let mut by_index: Vec<IndexCount> = (0..top)
        .map(|index| IndexCount {
            index,
            orbits: 0,
            points: 0,
        })
        .collect();
    for o in orbits {
        let c = &mut by_index[o.hessian_index];
        c.orbits += 1;
        c.points = c.points.saturating_add(o.points);
    }
    let sum = by_index.iter().fold(0i64, |sum, c| {
        let points = i64::try_from(c.points).unwrap_or(i64::MAX);
        if c.index % 2 == 0 {
            sum.saturating_add(points)
        } else {
            sum.saturating_sub(points)
        }
    });
    (by_index, sum)
}

/// Whether a landscape's search saturated: what the run records in the `attempts` table under
/// stage `"saturate"`, key `"status"`, as the JSON detail
/// `{"saturated": bool, "rounds": n, "quiet_rounds": k}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saturation {
    /// Whether `quiet_rounds` consecutive rounds added no new point.
    pub saturated: bool,
    /// Rounds run.
    pub rounds: u64,
    /// Consecutive rounds at the end that found nothing new.
    pub quiet_rounds: u64,
    /// Whether saturation ended on a closed census (every saddle-to-saddle search from every
    /// census point ends at a census point); false in records of versions before the closure.
    #[serde(default)]
    pub closed: bool,
}

impl Saturation {
    /// The `attempts.stage` of the record.
    pub const STAGE: &'static str = "saturate";
    /// The `attempts.key` of the record.
    pub const KEY: &'static str = "status";

    /// Parses the record's detail; `None` if it is not the expected JSON.
    pub fn from_detail(detail: &str) -> Option<Self> {
        serde_json::from_str(detail).ok()
    }

    /// "saturated and closed after n rounds", "saturated after n rounds" (a record of a
    /// version before the closure), "not saturated after n rounds", or for `None` "no
    /// saturation stage run".
    pub fn describe(status: Option<&Saturation>) -> String {
        match status {
            None => "no saturation stage run".to_owned(),
            Some(s) => format!(
                "{} after {} round{}",
                match (s.saturated, s.closed) {
                    (true, true) => "saturated and closed",
                    (true, false) => "saturated",
                    (false, _) => "not saturated",
                },
                s.rounds,
                if s.rounds == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Whether a landscape's census is closed under the saddle-to-saddle searches: every search
/// from every census point ended at a census point (or failed for a recorded reason), and
/// every minimum and transition state the other searches stored is in the census. Built by
/// the runner's reader from the `closure-P-N` attempt records.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Closure {
    /// Census points.
    pub points: usize,
    /// Census points whose searches have all run and still end at census points.
    pub searched: usize,
    /// Ids of census points no search has started from yet.
    pub unsearched: Vec<i64>,
    /// Ids of census points with a search that ended at a point no longer in the census.
    pub broken: Vec<i64>,
    /// Searches run (the latest pass of every point).
    pub searches: u64,
    /// Searches among them that reached no stationary point (ran off, ran out of budget,
    /// stalled), each recorded with its reason.
    pub failed: u64,
    /// Stored minima and transition states that match no census point.
    pub stored_outside: usize,
    /// Census points first recorded as seeds from the stored minima and transition states of
    /// the other searches (the rest were found by census starts and saddle-to-saddle searches).
    pub seeded: usize,
}

impl Closure {
    /// Every census point searched from, every search ending at a census point (or failing),
    /// and every stored minimum and transition state in the census.
    pub fn closed(&self) -> bool {
        self.points > 0
            && self.unsearched.is_empty()
            && self.broken.is_empty()
            && self.stored_outside == 0
    }

    /// "closed under N saddle-to-saddle searches (F reached no stationary point)" or
    /// "not closed: …" with what is missing.
    pub fn describe(&self) -> String {
        if self.closed() {
            return format!(
                "closed under {} saddle-to-saddle searches ({} reached no stationary point)",
                self.searches, self.failed
            );
        }
        let mut why = Vec::new();
        if self.points == 0 {
            why.push("no census points".to_owned());
        }
        if !self.unsearched.is_empty() {
            why.push(format!(
                "{} point(s) not searched from",
                self.unsearched.len()
            ));
        }
        if !self.broken.is_empty() {
            why.push(format!(
                "{} point(s) whose searches reached a point no longer in the census",
                self.broken.len()
            ));
        }
        if self.stored_outside > 0 {
            why.push(format!(
                "{} stored minimum/transition state(s) not in the census",
                self.stored_outside
            ));
        }
        format!("not closed: {}", why.join(", "))
    }
}

/// How far a landscape's census is certified, from weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certificate {
    /// The Morse sum is not 1 (or degenerate points void it): points are missing, so every
    /// count is a lower bound.
    Fails,
    /// The Morse sum is 1, but the census is not closed under the searches: a cancelling
    /// pair could still be missing.
    Passes,
    /// The Morse sum is 1 and the census is closed under the saddle-to-saddle searches: the
    /// strongest statement the tool makes ("closed under the searches tried", not a proof).
    Closed,
}

impl Certificate {
    /// The level of a census with its closure (`None` when no closure search ran).
    pub fn of(census: &MorseCensus, closure: Option<&Closure>) -> Self {
        if !census.passes() || census.voided() {
            Certificate::Fails
        } else if closure.is_some_and(Closure::closed) {
            Certificate::Closed
        } else {
            Certificate::Passes
        }
    }

    /// Whether the counts are certified (complete as far as the tool can tell).
    pub fn certified(self) -> bool {
        self == Certificate::Closed
    }

    /// A few words for tables.
    pub fn describe(self) -> &'static str {
        match self {
            Certificate::Fails => "Morse check fails: counts are lower bounds",
            Certificate::Passes => "Morse check passes, census not closed",
            Certificate::Closed => "Morse check passes and census closed",
        }
    }
}

/// One landscape's row of [`census_table`].
#[derive(Debug, Clone, Copy)]
pub struct CensusRow<'a> {
    /// Landscape key.
    pub key: &'a str,
    /// Hidden units.
    pub n_hidden: usize,
    /// Regularisation strength.
    pub lambda: f64,
    /// Its census.
    pub census: &'a MorseCensus,
    /// Its saturation record, if the stage ran.
    pub saturation: Option<&'a Saturation>,
    /// Its closure under the saddle-to-saddle searches, if a closure pass ran.
    pub closure: Option<&'a Closure>,
}

/// One row per landscape: orbits and points per Hessian index (columns up to the highest index
/// of any landscape), the Morse sum, the verdict, the degenerate points, the transition-state
/// cross-check, the saturation status, the closure and the certificate. For the report's HTML
/// table and `census.csv`.
pub fn census_table(rows: &[CensusRow<'_>]) -> Table {
    let top = rows
        .iter()
        .map(|r| r.census.by_index.len())
        .max()
        .unwrap_or(0)
        .max(2);
    let mut header: Vec<String> = vec!["landscape".into(), "n_h".into(), "lambda".into()];
    for k in 0..top {
        header.push(format!("index {k} orbits"));
        header.push(format!("index {k} points"));
    }
    header.extend(
        [
            "Morse sum",
            "verdict",
            "degenerate",
            "census TS not stored",
            "stored TS not in census",
            "saturation",
            "closure",
            "certificate",
        ]
        .map(String::from),
    );
    let mut table = Table::new(header);
    for r in rows {
        let c = r.census;
        let mut row = vec![
            r.key.to_owned(),
            r.n_hidden.to_string(),
            format!("{}", r.lambda),
        ];
        for k in 0..top {
            let n = c.count(k);
            row.push(n.orbits.to_string());
            row.push(n.points.to_string());
        }
        let (census_side, stored_side) = if c.census_points == 0 {
            ("-".to_owned(), "-".to_owned())
        } else {
            (
                c.ts_cross_check.census_unmatched.len().to_string(),
                c.ts_cross_check.stored_unmatched.len().to_string(),
            )
        };
        row.extend([
            c.morse_sum.to_string(),
            c.verdict(),
            c.degenerate.len().to_string(),
            census_side,
            stored_side,
            Saturation::describe(r.saturation),
            r.closure
                .map_or_else(|| "no closure search run".to_owned(), Closure::describe),
            Certificate::of(c, r.closure).describe().to_owned(),
        ]);
        table.push_row(row);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_model::Dataset;

    fn xor(n_h: usize) -> Perceptron {
        Perceptron::new(Dataset::xor(), n_h, 1e-3).unwrap()
    }

    /// A deterministic generic point (no symmetry).
    fn generic(dim: usize, seed: f64) -> Vec<f64> {
        (0..dim)
            .map(|i| ((i as f64 + 1.0) * 0.7331 + seed).sin() * 1.7)
            .collect()
    }

    fn minimum(id: i64, energy: f64, coords: Vec<f64>) -> MinimumInfo {
        MinimumInfo {
            id,
            energy,
            accuracy: 1.0,
            coords,
            ln_prod_positive: 0.0,
            hessian_index: 0,
        }
    }

    fn ts(id: i64, energy: f64, coords: Vec<f64>) -> TsInfo {
        TsInfo {
            id,
            energy,
            accuracy: 1.0,
            coords,
            ln_prod_positive: 0.0,
            min1: 1,
            min2: 1,
            degenerate: false,
        }
    }

    fn point(id: i64, energy: f64, coords: Vec<f64>, index: usize) -> StationaryInfo {
        StationaryInfo {
            id,
            energy,
            coords,
            hessian_index: index,
            zero_modes: 0,
        }
    }

    #[test]
    fn the_origin_of_the_real_xor_model_counts_exactly_once() {
        let m = xor(2);
        let zero = vec![0.0; m.dim()];
        let e0 = std::f64::consts::LN_2;
        let c = morse_census(
            &m,
            &Identity::default(),
            &[minimum(1, e0, zero.clone())],
            &[],
            &[],
        );
        assert_eq!(c.group_order, 16);
        assert_eq!(c.orbits[0].stabiliser, 16);
        assert_eq!(
            c.by_index,
            vec![IndexCount {
                index: 0,
                orbits: 1,
                points: 1
            }]
        );
        assert_eq!(c.morse_sum, 1);
        assert!(c.passes() && !c.voided());
        assert!(c.verdict().starts_with("passes the Morse check"));
        // The same point found only by the census (as a saddle of index 3, say) counts once too.
        let c = morse_census(&m, &Identity::default(), &[], &[], &[point(4, e0, zero, 3)]);
        assert_eq!(c.count(3).points, 1);
        assert_eq!(c.morse_sum, -1);
        assert_eq!(c.deficit(), -2);
        assert_eq!(
            c.verdict(),
            "fails by -2: at least 2 points missing, that is at least 1 orbit of |G| = 16 \
             points or more smaller ones"
        );
    }

    #[test]
    fn orbits_weigh_group_order_over_stabiliser_and_are_counted_once() {
        let m = xor(2);
        let l = m.layout();
        let dim = m.dim();
        let zero = vec![0.0; dim];
        let a = generic(dim, 0.1);
        let b = generic(dim, 1.3);
        // A point with a dead unit: stabiliser 2, orbit of 8.
        let mut dead = generic(dim, 2.2);
        for k in 0..l.n_in {
            dead[l.w_ih(1, k)] = 0.0;
        }
        dead[l.b_h(1)] = 0.0;
        for i in 0..l.n_out {
            dead[l.w_ho(i, 1)] = 0.0;
        }
        // A symmetric copy of `b`: swap the two hidden units and flip one.
        let mut b_copy = b.clone();
        for j in 0..2 {
            let (s, k) = (if j == 0 { -1.0 } else { 1.0 }, 1 - j);
            for m_ in 0..l.n_in {
                b_copy[l.w_ih(j, m_)] = s * b[l.w_ih(k, m_)];
            }
            b_copy[l.b_h(j)] = s * b[l.b_h(k)];
            for i in 0..l.n_out {
                b_copy[l.w_ho(i, j)] = s * b[l.w_ho(i, k)];
            }
        }
        let minima = [
            minimum(1, std::f64::consts::LN_2, zero),
            minimum(2, 0.2, a.clone()),
        ];
        let tss = [ts(7, 0.5, b.clone()), ts(8, 0.55, dead.clone())];
        let mut degenerate = point(30, 0.9, generic(dim, 4.0), 2);
        degenerate.zero_modes = 1;
        let stationary = [
            point(20, 0.2, a, 0),                 // a stored minimum again: not counted
            point(21, 0.5, b_copy, 1),            // the stored TS 7, as a symmetric copy
            point(22, 0.7, generic(dim, 3.0), 1), // a TS not stored
            point(23, 0.8, generic(dim, 3.5), 2), // index 2, only in the census
            point(24, 0.8, generic(dim, 3.5), 2), // its duplicate
            degenerate,
        ];
        let c = morse_census(&m, &Identity::default(), &minima, &tss, &stationary);
        let counts: Vec<(usize, u64)> = c.by_index.iter().map(|n| (n.orbits, n.points)).collect();
        // index 0: origin (1) + generic (16); index 1: b (16) + dead (8) + 22 (16);
        // index 2: 23 (16).
        assert_eq!(counts, vec![(2, 17), (3, 40), (1, 16)]);
        assert_eq!(c.morse_sum, 17 - 40 + 16);
        assert!(!c.passes());
        assert_eq!(c.degenerate.len(), 1);
        assert_eq!(c.degenerate[0].id, 30);
        assert!(c.voided() && c.verdict().contains("void"));
        assert_eq!(c.census_points, 6);
        assert_eq!(
            c.ts_cross_check,
            TsCrossCheck {
                census_index1: 2,
                census_unmatched: vec![22],
                stored: 2,
                stored_unmatched: vec![8],
            }
        );
        assert!(!c.ts_cross_check.agrees());
        let sources: Vec<(Source, i64)> = c.orbits.iter().map(|o| (o.source, o.id)).collect();
        assert_eq!(
            sources,
            vec![
                (Source::Minimum, 1),
                (Source::Minimum, 2),
                (Source::TransitionState, 7),
                (Source::TransitionState, 8),
                (Source::Census, 22),
                (Source::Census, 23),
            ]
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn a_made_up_consistent_census_passes() {
        // The origin (1 point), two generic minima (16 each) and two generic transition states
        // (16 each): 1 + 32 - 32 = 1.
        let m = xor(2);
        let dim = m.dim();
        let c = morse_census(
            &m,
            &Identity::default(),
            &[
                minimum(1, 0.7, vec![0.0; dim]),
                minimum(2, 0.1, generic(dim, 0.0)),
                minimum(3, 0.2, generic(dim, 1.0)),
            ],
            &[ts(4, 0.3, generic(dim, 2.0)), ts(5, 0.4, generic(dim, 3.0))],
            &[],
        );
        assert_eq!(c.morse_sum, 1);
        assert!(c.passes());
        assert_eq!(c.census_points, 0);
        assert_eq!(c.ts_cross_check.stored_unmatched, vec![4, 5]);
    }

    #[test]
    fn saturation_records_parse_and_read_well() {
        let s = Saturation::from_detail(r#"{"saturated": true, "rounds": 5, "quiet_rounds": 3}"#)
            .unwrap();
        assert_eq!(Saturation::describe(Some(&s)), "saturated after 5 rounds");
        let s = Saturation {
            saturated: false,
            rounds: 1,
            quiet_rounds: 0,
            closed: false,
        };
        assert_eq!(
            Saturation::describe(Some(&s)),
            "not saturated after 1 round"
        );
        let s = Saturation::from_detail(
            r#"{"saturated": true, "rounds": 2, "quiet_rounds": 1, "closed": true}"#,
        )
        .unwrap();
        assert_eq!(
            Saturation::describe(Some(&s)),
            "saturated and closed after 2 rounds"
        );
        assert_eq!(Saturation::describe(None), "no saturation stage run");
        assert_eq!(Saturation::from_detail("done"), None);
    }

    #[test]
    fn the_table_has_a_column_pair_per_index_and_the_verdict() {
        let m = xor(2);
        let c = morse_census(
            &m,
            &Identity::default(),
            &[minimum(1, 0.7, vec![0.0; m.dim()])],
            &[],
            &[],
        );
        let t = census_table(&[CensusRow {
            key: "h2-l1e-3",
            n_hidden: 2,
            lambda: 1e-3,
            census: &c,
            saturation: None,
            closure: None,
        }]);
        let csv = t.to_csv();
        assert!(csv.starts_with("landscape,n_h,lambda,index 0 orbits,index 0 points,"));
        assert!(csv.contains("index 1 points,Morse sum"), "{csv}");
        assert!(csv.contains("h2-l1e-3,2,"), "{csv}");
        assert!(csv.contains(",1,1,0,0,1,\"passes the Morse check"), "{csv}");
        assert!(csv.contains("no saturation stage run"), "{csv}");
    }
}
