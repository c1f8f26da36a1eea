//! The training data kept inside the database, and the check that a resumed run uses the same.
//!
//! Kept apart from the runner's open path on purpose: it is one check (before the run is
//! recorded) and one write (after), both against the `datasets` table only.

use losscape_db::{DatasetRecord, RunId, Store};
use losscape_model::Dataset;

use crate::config::DataSection;
use crate::error::RunError;
use crate::experiment::Experiment;

/// The database record of a data set; `kind` and `source` say where it came from.
pub fn record(data: &Dataset, kind: &str, source: &str) -> DatasetRecord {
    DatasetRecord {
        sha256: data.sha256(),
        kind: kind.to_owned(),
        source: source.to_owned(),
        n_in: data.n_in as u32,
        n_out: data.n_out as u32,
        inputs: data.inputs.clone(),
        labels: data.labels.iter().map(|&l| l as u32).collect(),
    }
}

/// The record of an experiment's data.
pub fn experiment_record(exp: &Experiment) -> DatasetRecord {
    let (kind, source) = match &exp.config.data {
        DataSection::Xor => ("xor", String::new()),
        DataSection::Csv { path, .. } => ("csv", path.display().to_string()),
        DataSection::Mlpdata { path } => ("mlpdata", path.display().to_string()),
    };
    record(&exp.data, kind, &source)
}

/// Refuses to run `exp` into `store` if the store holds other training data, naming both
/// fingerprints. Passes when nothing is stored yet (a new database, or one made before data
/// sets were stored).
pub fn check_unchanged(store: &Store, exp: &Experiment) -> Result<(), RunError> {
    let Some((stored, _)) = store.dataset()? else {
        return Ok(());
    };
    let current = exp.data.sha256();
    if stored.sha256 == current {
        return Ok(());
    }
    let source_name = match &exp.config.data {
        DataSection::Xor => "the built-in XOR set".to_owned(),
        DataSection::Csv { path, .. } | DataSection::Mlpdata { path } => {
            format!("{}", crate::config::resolve(&exp.source, path).display())
        }
    };
    Err(RunError::DataChanged {
        db: store.path().display().to_string(),
        stored: stored.sha256,
        current,
        source_name,
    })
}

/// Stores the experiment's data in `store` unless a copy is there already (after
/// [`check_unchanged`] passed, that copy is the same data).
pub fn store_if_absent(store: &mut Store, exp: &Experiment, run_id: RunId) -> Result<(), RunError> {
    if store.dataset()?.is_some() {
        return Ok(());
    }
    let rec = experiment_record(exp);
    store.write(|b| b.store_dataset(&rec, Some(run_id)))?;
    Ok(())
}

/// The data set stored in a database, checked against its fingerprint; `None` if the database
/// holds none. Errors name what is wrong (a copy that does not match its own hash is corrupt).
pub fn stored(store: &Store) -> Result<Option<Dataset>, String> {
    let Some((rec, _)) = store.dataset().map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let data = Dataset::from_parts(
        rec.n_in as usize,
        rec.n_out as usize,
        rec.inputs,
        rec.labels.iter().map(|&l| l as usize).collect(),
    )
    .map_err(|e| {
        format!(
            "{}: the stored data set is invalid: {e}",
            store.path().display()
        )
    })?;
    let sha = data.sha256();
    if sha != rec.sha256 {
        return Err(format!(
            "{}: the stored data set does not match its own sha256 (stored {}, computed {sha})",
            store.path().display(),
            rec.sha256
        ));
    }
    Ok(Some(data))
}
