//! The census's closure under saddle-to-saddle searches, and the record that certifies it.
//!
//! A Morse sum of 1 cannot see a missing pair of points whose signed counts cancel. The
//! closure pass runs every saddle-to-saddle search of [`losscape_ts::ladder`] from every
//! census point (one unit of work per point, key `closure-P-N`), adding what they reach, until
//! every census point has been searched from. Each unit records the ids of the census points
//! its searches ended at, so whether the census is *still* closed can be judged from the
//! database alone: a unit one of whose points has gone (a damaged or edited file) no longer
//! counts, and the next run redoes it as pass `N + 1`.
//!
//! Once the searches are exhausted, seeds join the census and are searched from like every
//! other point: the minima and transition states other searches stored that the census lacks
//! (key `seed-min-ID`, `seed-ts-ID`), and the census points of the network with one hidden
//! unit fewer at the same λ, padded with a zero unit (`seed-embed-ID`): each is a stationary
//! point of this network (tanh(0) = 0), and the downward searches from it along its new
//! negative modes lead to the points the wider network has and the narrower lacks. The
//! narrower landscape is read from the same database: in a whole sweep it was run first (the
//! grid runs N_h in ascending order); a landscape shard without it simply has fewer seeds.
//!
//! Every unit is a pure function of its source point and the census before it, and units run
//! in id order, so a killed run resumes to the database an uninterrupted run writes.

use std::collections::{BTreeMap, HashSet};

use losscape_analysis::census::Closure;
use losscape_core::{Identity, PointSet};
use losscape_db::{DbError, LandscapeId, Store};
use losscape_model::Perceptron;
use losscape_ts::{Attempt, ladder};

use crate::attempts::{SearchDetail, SearchKey};
use crate::config::{LandscapePoint, Stage};
use crate::error::RunError;
use crate::runner::{Event, LandscapeRun};
use crate::store_connect::{DbSink, IdPoint, sink_error};

/// Attempt-key prefixes of the seeds: stored minima and transition states of this landscape,
/// and census points of the network with one hidden unit fewer (same λ, same database),
/// padded with a zero unit.
const SEED_MINIMUM: &str = "seed-min-";
const SEED_TS: &str = "seed-ts-";
const SEED_EMBEDDED: &str = "seed-embed-";

/// The latest closure unit of one census point.
#[derive(Debug, Clone, Default)]
struct Unit {
    pass: u64,
    reached: Vec<u64>,
    searches: u64,
}

/// The closure units and seeds recorded for a landscape.
#[derive(Debug, Default)]
struct Records {
    /// Census point id → its latest unit.
    units: BTreeMap<i64, Unit>,
    /// Seed records that added a point to the census.
    seeded: usize,
    /// Whether any closure record exists (a closure pass has run on this landscape).
    any: bool,
}

fn records(store: &Store, landscape_id: LandscapeId) -> Result<Records, DbError> {
    let mut out = Records::default();
    for a in store.attempts(landscape_id, Stage::Saturate.name())? {
        if let Ok(SearchKey(Attempt::Closure { point, pass })) = a.key.parse() {
            out.any = true;
            let d = SearchDetail::parse(&a.detail).unwrap_or_default();
            let unit = out.units.entry(point as i64).or_default();
            if pass >= unit.pass {
                *unit = Unit {
                    pass,
                    reached: d.reached,
                    searches: d.searches as u64,
                };
            }
        } else if [SEED_MINIMUM, SEED_TS, SEED_EMBEDDED]
            .iter()
            .any(|p| a.key.starts_with(p))
        {
            out.any = true;
            let d = SearchDetail::parse(&a.detail).unwrap_or_default();
            out.seeded += usize::from(d.new_points > 0);
        }
    }
    Ok(out)
}

/// The closure of one stored landscape's census, judged from its records: `None` when no
/// closure pass ever ran on it.
pub fn stored_closure(
    store: &Store,
    landscape_id: LandscapeId,
    model: &Perceptron,
    identity: &Identity,
) -> Result<Option<Closure>, DbError> {
    let records = records(store, landscape_id)?;
    if !records.any {
        return Ok(None);
    }
    let census = store.stationary_points(landscape_id)?;
    let ids: HashSet<u64> = census.iter().map(|p| p.id as u64).collect();
    let mut closure = Closure {
        points: census.len(),
        seeded: records.seeded,
        ..Closure::default()
    };
    let mut set = PointSet::new();
    for p in &census {
        set.push(p.energy, p.coords.clone());
        match records.units.get(&p.id) {
            None => closure.unsearched.push(p.id),
            Some(u) => {
                closure.searches += u.searches;
                closure.failed += u.searches.saturating_sub(u.reached.len() as u64);
                if u.reached.iter().all(|id| ids.contains(id)) {
                    closure.searched += 1;
                } else {
                    closure.broken.push(p.id);
                }
            }
        }
    }
    let outside = |energy: f64, coords: &[f64]| set.find(model, identity, energy, coords).is_none();
    closure.stored_outside = store
        .minima(landscape_id)?
        .iter()
        .filter(|m| outside(m.energy, &m.coords))
        .count()
        + store
            .transition_states(landscape_id)?
            .iter()
            .filter(|t| outside(t.energy, &t.coords))
            .count();
    Ok(Some(closure))
}

impl LandscapeRun<'_> {
    /// Whether the landscape's census is closed now (judged from the database).
    pub(crate) fn closure_intact(&self, store: &Store) -> Result<bool, RunError> {
        Ok(stored_closure(
            store,
            self.landscape_id,
            self.model,
            &self.exp.config.identity,
        )?
        .is_some_and(|c| c.closed()))
    }

    /// Whether a closure pass ran on this landscape and its census is no longer closed (a
    /// point one of its searches reached has gone): then a finished `saturate` stage is
    /// entered again, to redo what no longer holds.
    pub(crate) fn closure_broken(&self, store: &Store) -> Result<bool, RunError> {
        Ok(stored_closure(
            store,
            self.landscape_id,
            self.model,
            &self.exp.config.identity,
        )?
        .is_some_and(|c| !c.broken.is_empty() || !c.unsearched.is_empty()))
    }

    /// Runs the saddle-to-saddle searches from every census point that has none yet (or
    /// whose searches reached a point no longer in the census), then from what they found,
    /// until none is left; then adds the stored minima and transition states the census
    /// lacks as seeds and goes on from them. Returns the searches run.
    pub(crate) fn closure_pass(&self, store: &mut Store, round: usize) -> Result<usize, RunError> {
        let setup = self.ts_setup();
        let tools = self.toolkit(&setup);
        let mut searches = 0;
        loop {
            if self.opts.cancelled() {
                return Err(RunError::Interrupted);
            }
            let census = store.stationary_points(self.landscape_id)?;
            let ids: HashSet<u64> = census.iter().map(|p| p.id as u64).collect();
            let done = records(store, self.landscape_id)?;
            let pending: Vec<(i64, u64)> = census
                .iter()
                .filter_map(|p| match done.units.get(&p.id) {
                    None => Some((p.id, 0)),
                    Some(u) if !u.reached.iter().all(|id| ids.contains(id)) => {
                        Some((p.id, u.pass + 1))
                    }
                    Some(_) => None,
                })
                .collect();
            if pending.is_empty() {
                let narrower = self.narrower_census(store)?;
                let mut sink = DbSink::new(self, store, Stage::Saturate)?;
                let added = self.seed_census(narrower, &mut sink)?;
                sink.finish()?;
                if added == 0 {
                    return Ok(searches);
                }
                continue;
            }
            let key = LandscapePoint {
                n_hidden: self.model.n_hidden(),
                lambda: self.model.lambda(),
            }
            .key();
            self.observer.event(&Event::RoundStarted {
                key: &key,
                round,
                max_rounds: self.exp.config.saturate.max_rounds,
                units: pending.len(),
            });
            let mut sink = DbSink::new(self, store, Stage::Saturate)?;
            for (id, pass) in pending {
                if sink.stopping() {
                    break;
                }
                let coords = &census
                    .iter()
                    .find(|p| p.id == id)
                    .expect("pending points come from the census")
                    .coords;
                let attempt = Attempt::Closure {
                    point: id as u64,
                    pass,
                };
                searches += ladder::run(&tools, &mut sink, attempt, coords)
                    .map_err(sink_error)?
                    .searches;
            }
            sink.finish()?;
        }
    }

    /// Adds to the census, each as its own recorded unit, every stored minimum and transition
    /// state it lacks and every census point of the narrower network, padded. Returns how many
    /// were new to the census.
    fn seed_census(
        &self,
        narrower: Vec<IdPoint>,
        sink: &mut DbSink<'_, '_>,
    ) -> Result<usize, RunError> {
        let (minima, ts) = sink.stored_points();
        let mut added = 0;
        for (id, coords) in minima {
            added += usize::from(sink.seed(&format!("{SEED_MINIMUM}{id}"), &coords)?);
        }
        for (id, coords) in ts {
            added += usize::from(sink.seed(&format!("{SEED_TS}{id}"), &coords)?);
        }
        for (id, coords) in narrower {
            added += usize::from(sink.seed(&format!("{SEED_EMBEDDED}{id}"), &coords)?);
        }
        Ok(added)
    }

    /// The census points of this network with one hidden unit fewer at the same λ, if the
    /// database holds that landscape, padded with a zero unit to this network's coordinates.
    fn narrower_census(&self, store: &Store) -> Result<Vec<IdPoint>, RunError> {
        let n_hidden = self.model.n_hidden();
        if n_hidden < 2 {
            return Ok(Vec::new());
        }
        let key = LandscapePoint {
            n_hidden: n_hidden - 1,
            lambda: self.model.lambda(),
        }
        .key();
        let Some(row) = store.landscape_by_key(&key)? else {
            return Ok(Vec::new());
        };
        let narrow = self
            .model
            .with_hidden(n_hidden - 1)
            .map_err(|e| RunError::Search {
                stage: "saturate",
                message: format!("the network with one hidden unit fewer: {e}"),
            })?;
        Ok(store
            .stationary_points(row.id)?
            .into_iter()
            .map(|p| (p.id, narrow.pad_hidden(&p.coords)))
            .collect())
    }
}
