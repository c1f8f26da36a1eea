//! Merging chain shards: when a sweep is split into more shards than it has landscapes, each
//! shard runs every N-th basin-hopping chain of every landscape and stores each chain's minima as
//! found, on their own, with their ids in the chain's record (`ChainDetail::minima_stored`). The
//! merge identifies them here exactly as a single run does: landscape by landscape, the origin
//! first, then chain after chain in chain order, each minimum found again adding its sightings
//! to the one stored first. The merged database then holds the single run's basin-hopping
//! result, and the stages that need a landscape's whole set of minima (census, connect, survey,
//! saturation) run on it like on any other database.

use std::collections::BTreeMap;
use std::path::Path;

use losscape_db::{LandscapeId, NewMinimum, RunId, RunInfo, RunStatus, Store};
use losscape_model::Perceptron;

use crate::attempts::BasinHoppingDetail;
use crate::config::Stage;
use crate::error::RunError;
use crate::experiment::Experiment;
use crate::runner::{KnownMinima, landscape_spec};

/// What a chain merge added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChainMergeCounts {
    /// Units (chains and origins) merged now.
    pub units: usize,
    /// Minima new to the merged database.
    pub new_minima: usize,
}

/// Where a unit sorts among a landscape's units: the origin first, then the chains by
/// number (then by key).
type UnitOrder = (usize, String);

/// One unit of a part: its key, record and minima.
struct Unit {
    /// The part it comes from.
    part: std::path::PathBuf,
    key: String,
    outcome: String,
    detail: BasinHoppingDetail,
    minima: Vec<losscape_db::MinimumRow>,
}

/// Merges the chain shards `parts` of `exp` into `out`, recording one run (`command`) if
/// anything is new. Units already in `out` are skipped, so merging again adds nothing.
pub fn merge_chain_shards(
    exp: &Experiment,
    out: &mut Store,
    parts: &[&Path],
    command: &str,
    program_version: &str,
) -> Result<ChainMergeCounts, RunError> {
    let stage = Stage::BasinHopping.name();
    let mut counts = ChainMergeCounts::default();
    let mut run_id = None;
    let readers: Vec<Store> = parts
        .iter()
        .map(|p| Store::open_read_only(p))
        .collect::<Result<_, _>>()?;
    // One data set: every part's stored copy, and the merged database's, are the experiment's.
    for part in &readers {
        crate::dataset::check_unchanged(part, exp)?;
    }
    crate::dataset::check_unchanged(out, exp)?;
    for point in exp.config.landscapes() {
        let key = point.key();
        let model = exp.perceptron(&point)?;
        // Every unit of this landscape in every part, in the order a single run commits them.
        let mut units: BTreeMap<UnitOrder, Unit> = BTreeMap::new();
        for part in &readers {
            units.extend(part_units(part, &key)?);
        }
        if units.is_empty() {
            continue;
        }
        let landscape_id = out.landscape_id(&landscape_spec(exp, &point, &model))?;
        let mut known = KnownMinima::load(out, landscape_id)?;
        let followed_up = followed_up(out, landscape_id)?;
        for unit in units.into_values() {
            if out.attempt(landscape_id, stage, &unit.key)?.is_some() {
                continue;
            }
            if followed_up {
                // The later stages already used this landscape's minima: a unit identified now
                // would come after their work, which no single run does.
                return Err(RunError::Search {
                    stage: "merge",
                    message: format!(
                        "{}: {key} {} is not merged yet, but the stages after basin-hopping \
                         already ran on {key} in {}; merge every chain shard before \
                         `losscape run` (into a new database: the shards are unchanged)",
                        unit.part.display(),
                        unit.key,
                        out.path().display()
                    ),
                });
            }
            let run = match run_id {
                Some(id) => id,
                None => {
                    let id = begin_merge_run(exp, out, command, program_version)?;
                    run_id = Some(id);
                    id
                }
            };
            let target = Target {
                landscape_id,
                run,
                model: &model,
                identity: &exp.config.identity,
            };
            let new = out.write(|b| store_unit(b, &target, &mut known, &unit))?;
            counts.units += 1;
            counts.new_minima += new;
        }
    }
    if let Some(id) = run_id {
        out.finish_run(id, RunStatus::Completed)?;
    }
    Ok(counts)
}

/// Whether any stage after basin-hopping has recorded work on the landscape.
fn followed_up(out: &Store, landscape_id: LandscapeId) -> Result<bool, RunError> {
    for later in [
        Stage::Connect,
        Stage::Survey,
        Stage::Census,
        Stage::Saturate,
    ] {
        if !out.attempts(landscape_id, later.name())?.is_empty() {
            return Ok(true);
        }
    }
    Ok(!out.transition_states(landscape_id)?.is_empty())
}

/// The run that records a merge, begun when the first new unit is merged.
fn begin_merge_run(
    exp: &Experiment,
    out: &mut Store,
    command: &str,
    program_version: &str,
) -> Result<RunId, RunError> {
    let id = out.begin_run(&RunInfo {
        program_version: program_version.to_string(),
        command: command.to_string(),
        config_text: exp.text.clone(),
        seed: exp.config.experiment.seed,
        threads: 1,
        minimiser: exp.minimiser.name().to_string(),
    })?;
    crate::dataset::store_if_absent(out, exp, id)?;
    Ok(id)
}

/// Where a unit is merged to.
struct Target<'a> {
    landscape_id: LandscapeId,
    run: RunId,
    model: &'a Perceptron,
    identity: &'a losscape_core::Identity,
}

/// Stores a unit's minima (counting those already known as found again) and its record;
/// returns how many minima were new.
fn store_unit(
    b: &mut losscape_db::Batch<'_>,
    t: &Target<'_>,
    known: &mut KnownMinima,
    unit: &Unit,
) -> Result<usize, losscape_db::DbError> {
    let mut new = 0;
    for m in &unit.minima {
        if let Some(i) = known.set.find(t.model, t.identity, m.energy, &m.coords) {
            b.add_times_found(known.ids[i], m.times_found)?;
            continue;
        }
        let id = b.insert_minimum(&NewMinimum {
            landscape_id: t.landscape_id,
            first_run: t.run,
            ..m.to_new()
        })?;
        known.set.push(m.energy, m.coords.clone());
        known.ids.push(id);
        new += 1;
    }
    b.record_attempt(&losscape_db::NewAttempt {
        landscape_id: t.landscape_id,
        stage: Stage::BasinHopping.name(),
        key: &unit.key,
        outcome: &unit.outcome,
        detail: &unit.detail.to_json(),
        run_id: t.run,
    })?;
    Ok(new)
}

/// The units (the origin and the chains) of landscape `key` in one part, keyed by the order
/// a single run commits them in.
fn part_units(part: &Store, key: &str) -> Result<Vec<(UnitOrder, Unit)>, RunError> {
    let Some(row) = part.landscape_by_key(key)? else {
        return Ok(Vec::new());
    };
    let minima: BTreeMap<i64, losscape_db::MinimumRow> = part
        .minima(row.id)?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut units = Vec::new();
    for a in part.attempts(row.id, Stage::BasinHopping.name())? {
        let chain = a.key.strip_prefix("chain-").and_then(|c| c.parse().ok());
        if chain.is_none() && a.key != "origin" {
            continue;
        }
        let bad = |what: String| RunError::Search {
            stage: "merge",
            message: format!("{}: {key} {} {what}", part.path().display(), a.key),
        };
        let no_ids = || bad("lists no stored minima; is it a chain shard of this losscape?".into());
        let mut detail = BasinHoppingDetail::parse(&a.key, &a.detail).ok_or_else(no_ids)?;
        let ids = detail.take_minima_stored().ok_or_else(no_ids)?;
        let rows = ids
            .iter()
            .map(|id| {
                minima
                    .get(id)
                    .cloned()
                    .ok_or_else(|| bad(format!("names minimum {id}, which is not stored")))
            })
            .collect::<Result<_, _>>()?;
        // The origin sorts first: chain numbers shifted by one.
        let order = chain.map_or(0, |c: usize| c + 1);
        units.push((
            (order, a.key.clone()),
            Unit {
                part: part.path().to_path_buf(),
                key: a.key,
                outcome: a.outcome,
                detail,
                minima: rows,
            },
        ));
    }
    Ok(units)
}
