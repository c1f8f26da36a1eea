//! A database belongs to one experiment: resuming it with a config that would change what the
//! finished work means (another seed, other search settings, another data set) is refused, so
//! a database never ends up matching neither run. Changes that only extend the work are
//! allowed: more basin-hopping chains or steps, more landscapes in the grid, stages appended.

use losscape_db::Store;
use serde_json::Value;

use crate::config::Config;
use crate::error::RunError;
use crate::experiment::Experiment;

/// Keys whose value may grow from one run to the next: raising them adds work units (new
/// chains, longer new chains) and leaves finished ones as they are.
const MAY_GROW: [&str; 3] = [
    "basin_hopping.chains",
    "basin_hopping.steps",
    "basin_hopping.max_without_new",
];

/// Keys that may change freely: they name or select, but do not change how any unit of work is
/// done. The grid is checked landscape by landscape by the store (a key reused with other
/// parameters is refused), so a new config may add or leave out landscapes.
const FREE: [&str; 3] = ["experiment.name", "landscape.n_hidden", "landscape.lambda"];

/// Refuses to run `exp` on `store` if the most recent run recorded there used a config that
/// differs from `exp`'s in more than the allowed extensions ([`differences`]).
pub(crate) fn check_same_experiment(exp: &Experiment, store: &Store) -> Result<(), RunError> {
    let runs = store.runs()?;
    let Some(last) = runs.last() else {
        return Ok(());
    };
    let earlier = match toml::from_str::<Config>(&last.config_text) {
        Ok(c) => c,
        Err(e) => {
            return Err(RunError::OtherExperiment {
                db: store.path().to_path_buf(),
                differences: vec![format!(
                    "the config of run {} cannot be read by this version of losscape ({})",
                    last.id,
                    e.message()
                )],
            });
        }
    };
    let found = differences(&earlier, &exp.config);
    if found.is_empty() {
        Ok(())
    } else {
        Err(RunError::OtherExperiment {
            db: store.path().to_path_buf(),
            differences: found,
        })
    }
}

/// What differs between the config of the database's last run (`earlier`) and `now`, beyond
/// the allowed extensions, as lines `key: <earlier> in the database, <now> in the file`.
pub fn differences(earlier: &Config, now: &Config) -> Vec<String> {
    let (Ok(a), Ok(b)) = (serde_json::to_value(earlier), serde_json::to_value(now)) else {
        return vec!["the configs cannot be compared".into()];
    };
    let mut out = Vec::new();
    diff("", &a, &b, &mut out);
    out.retain(|(key, old, new)| {
        if FREE.contains(&key.as_str()) {
            return false;
        }
        if MAY_GROW.contains(&key.as_str()) {
            return !matches!((old.as_u64(), new.as_u64()), (Some(o), Some(n)) if n >= o);
        }
        if key == "experiment.stages" {
            let (Some(o), Some(n)) = (old.as_array(), new.as_array()) else {
                return true;
            };
            return !n.starts_with(o);
        }
        true
    });
    out.into_iter()
        .map(|(key, old, new)| format!("{key}: {old} in the database, {new} in the file"))
        .collect()
}

/// Every leaf where `a` and `b` differ, none allowed, as lines `key: <a> in A, <b> in B`: for
/// parts of one merge, which must come from one and the same config.
pub fn all_differences(a: &Config, b: &Config, a_name: &str, b_name: &str) -> Vec<String> {
    let (Ok(x), Ok(y)) = (serde_json::to_value(a), serde_json::to_value(b)) else {
        return vec!["the configs cannot be compared".into()];
    };
    let mut out = Vec::new();
    diff("", &x, &y, &mut out);
    out.into_iter()
        .map(|(key, old, new)| format!("{key}: {old} in {a_name}, {new} in {b_name}"))
        .collect()
}

/// Appends the leaves (dotted key, old, new) where `a` and `b` differ. Arrays count as leaves.
fn diff(prefix: &str, a: &Value, b: &Value, out: &mut Vec<(String, Value, Value)>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                diff(
                    &key,
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ if a == b => {}
        _ => out.push((prefix.to_string(), a.clone(), b.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(text: &str) -> Config {
        Config::parse(text, Path::new("test.toml")).unwrap()
    }

    const BASE: &str = "[experiment]\nseed = 1\nstages = [\"basin_hopping\"]\n\
        [landscape]\nn_hidden = [2]\nlambda = [1e-3]\n[basin_hopping]\nchains = 4\nsteps = 10\n";

    #[test]
    fn extending_the_work_is_allowed() {
        let base = config(BASE);
        let more = config(
            &BASE
                .replace("chains = 4", "chains = 8")
                .replace("steps = 10", "steps = 20")
                .replace("n_hidden = [2]", "n_hidden = [2, 3]")
                .replace("[\"basin_hopping\"]", "[\"basin_hopping\", \"connect\"]")
                .replace("seed = 1", "seed = 1\nname = \"renamed\""),
        );
        assert_eq!(differences(&base, &more), Vec::<String>::new());
        assert_eq!(differences(&base, &base), Vec::<String>::new());
    }

    #[test]
    fn changing_what_finished_work_means_is_refused_and_named() {
        let base = config(BASE);
        let cases = [
            (
                "seed = 1",
                "seed = 2",
                "experiment.seed: 1 in the database, 2 in the file",
            ),
            ("chains = 4", "chains = 2", "basin_hopping.chains: 4"),
            ("[\"basin_hopping\"]", "[\"connect\"]", "experiment.stages"),
            (
                "steps = 10",
                "steps = 10\ntemperature = 2.0",
                "basin_hopping.temperature",
            ),
            (
                "[landscape]",
                "[dneb]\nspring = 3.0\n[landscape]",
                "dneb.spring",
            ),
        ];
        for (from, to, expect) in cases {
            let found = differences(&base, &config(&BASE.replace(from, to)));
            assert_eq!(found.len(), 1, "{to}: {found:?}");
            assert!(found[0].contains(expect), "{to}: {found:?}");
        }
    }
}

/// What earlier runs finished of one landscape of the grid, read before a run starts so the
/// run can say what it will skip and what is left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandscapeDone {
    /// The landscape's key.
    pub key: String,
    /// 0-based position in the grid.
    pub index: usize,
    /// Stages of `[experiment] stages` (by position) an earlier run finished.
    pub stages_done: Vec<crate::config::Stage>,
    /// Stages still to run.
    pub stages_left: Vec<crate::config::Stage>,
    /// Basin-hopping chains committed by earlier runs.
    pub chains_done: usize,
}

impl LandscapeDone {
    /// Whether every stage is finished.
    pub fn finished(&self) -> bool {
        self.stages_left.is_empty()
    }

    /// Whether nothing is recorded for the landscape.
    pub fn untouched(&self) -> bool {
        self.stages_done.is_empty() && self.chains_done == 0
    }
}

/// What `store` holds of every landscape of `exp`'s grid, in grid order, from the records the
/// runner writes as it commits (finished stages, committed chains). Reads only.
pub fn done_so_far(exp: &Experiment, store: &Store) -> Result<Vec<LandscapeDone>, RunError> {
    use crate::config::Stage;
    use crate::runner::{STAGES, stage_key};
    let stored = store.landscapes()?;
    let stages = &exp.config.experiment.stages;
    let mut out = Vec::new();
    for (index, point) in exp.config.landscapes().iter().enumerate() {
        let key = point.key();
        let (mut done, mut left, mut chains_done) = (Vec::new(), Vec::new(), 0);
        match stored.iter().find(|l| l.key == key) {
            Some(row) => {
                chains_done = store
                    .attempts(row.id, Stage::BasinHopping.name())?
                    .len()
                    .min(exp.config.basin_hopping.chains);
                for (position, &stage) in stages.iter().enumerate() {
                    let marked = store
                        .attempt(row.id, STAGES, &stage_key(position, stage))?
                        .is_some();
                    if marked { &mut done } else { &mut left }.push(stage);
                }
            }
            None => left.clone_from(stages),
        }
        out.push(LandscapeDone {
            key,
            index,
            stages_done: done,
            stages_left: left,
            chains_done,
        });
    }
    Ok(out)
}
