//! Reading a database into the plain inputs of the analyses: the stored experiment (for the
//! data set and the identity rule), and per landscape its network and its points.
//!
//! This is the one place that loads and selects landscapes: the `losscape` read commands, the
//! analysis commands and the report all go through [`select`], [`read_points`] and
//! [`read_landscapes`].

use std::path::{Path, PathBuf};

use losscape_analysis::{MinimumInfo, TsInfo};
use losscape_core::Identity;
use losscape_db::{LandscapeRow, RunRow, Store};
use losscape_experiment::Config;
use losscape_experiment::config::{self, DataSection};
use losscape_model::{Dataset, Perceptron};

use crate::ReportError;

/// The experiment a database was made with, as far as the analyses need it.
#[derive(Debug, Clone)]
pub struct StoredExperiment {
    /// The parsed config of the newest run whose config text parses (the default config if no
    /// run has one, e.g. a database filled only by an import of foreign files).
    pub config: Config,
    /// The run that config came from, if any.
    pub run: Option<RunRow>,
    /// The training data: the copy stored in the database when there is one (schema version
    /// 3 on), else what the config names, read from its file.
    pub data: Dataset,
    /// Where `data` came from and its SHA-256, for provenance.
    pub data_origin: String,
}

/// The path a stored config's relative paths (data files, plugins) are resolved against: a
/// name in the database's folder, where a run usually starts from.
pub fn stored_config_source(store: &Store) -> PathBuf {
    store.path().with_file_name("<stored config>")
}

impl StoredExperiment {
    /// Reads the runs of `store`. Relative data paths in the stored config are resolved
    /// against the database's folder (where a run usually starts from).
    pub fn read(store: &Store) -> Result<StoredExperiment, ReportError> {
        let runs = store.runs()?;
        let source = stored_config_source(store);
        let found = runs
            .iter()
            .rev()
            .find_map(|r| Config::parse(&r.config_text, &source).ok().map(|c| (c, r)));
        let (config, run) = match found {
            Some((c, r)) => (c, Some(r.clone())),
            None => (Config::default(), None),
        };
        // The stored copy is what the runs used; the file may have changed since.
        let (data, data_origin) = match losscape_experiment::dataset::stored(store)
            .map_err(ReportError::Invalid)?
        {
            Some(d) => {
                let origin = match store.dataset()? {
                    Some((rec, _)) if !rec.source.is_empty() => {
                        format!("{} ({})", rec.kind, rec.source)
                    }
                    Some((rec, _)) => rec.kind,
                    None => String::new(),
                };
                let text = format!(
                    "{origin}, {} rows, {} inputs, {} classes, sha256 {}; the copy stored in the \
                     database",
                    d.len(),
                    d.n_in,
                    d.n_out,
                    d.sha256()
                );
                (d, text)
            }
            None => {
                let d = dataset(&config, &source)?;
                let text = format!(
                    "{} rows, {} inputs, {} classes, sha256 {}; read from the file the config \
                     names (the database stores no copy: made before schema version 3)",
                    d.len(),
                    d.n_in,
                    d.n_out,
                    d.sha256()
                );
                (d, text)
            }
        };
        Ok(StoredExperiment {
            config,
            run,
            data,
            data_origin,
        })
    }

    /// The network of a stored landscape.
    pub fn model(&self, l: &LandscapeRow) -> Result<Perceptron, ReportError> {
        let model = Perceptron::new(self.data.clone(), l.n_hidden as usize, l.lambda)?;
        if model.dim() != l.dimension as usize {
            return Err(ReportError::Invalid(format!(
                "landscape {} has {} parameters but the stored data set gives {}: the database \
                 was made with other data",
                l.key,
                l.dimension,
                model.dim()
            )));
        }
        Ok(model)
    }
}

/// The data set a config names; relative paths are resolved against `source`'s folder.
pub fn dataset(config: &Config, source: &Path) -> Result<Dataset, ReportError> {
    Ok(match &config.data {
        DataSection::Xor => Dataset::xor(),
        DataSection::Csv { path, header } => {
            Dataset::from_csv_path(config::resolve(source, path), *header)?
        }
        DataSection::Mlpdata { path } => Dataset::from_mlpdata_path(config::resolve(source, path))?,
    })
}

/// One stored landscape with its network and points, ready for the analyses.
#[derive(Debug, Clone)]
pub struct LandscapeData {
    /// The stored landscape.
    pub row: LandscapeRow,
    /// Its network.
    pub model: Perceptron,
    /// Its minima, in id order.
    pub minima: Vec<MinimumInfo>,
    /// Its transition states, in id order.
    pub ts: Vec<TsInfo>,
    /// How often the searches reached each minimum (`times_found`), by minimum id.
    pub hits: std::collections::HashMap<i64, i64>,
}

impl LandscapeData {
    /// Reads one landscape.
    pub fn read(
        store: &Store,
        exp: &StoredExperiment,
        row: &LandscapeRow,
    ) -> Result<LandscapeData, ReportError> {
        let model = exp.model(row)?;
        let hits = store
            .minima(row.id)?
            .iter()
            .map(|m| (m.id, m.times_found))
            .collect();
        let (minima, ts) = read_points(store, row)?;
        Ok(LandscapeData {
            row: row.clone(),
            model,
            minima,
            ts,
            hits,
        })
    }

    /// Hidden units.
    pub fn n_hidden(&self) -> usize {
        self.row.n_hidden as usize
    }

    /// Regularisation strength.
    pub fn lambda(&self) -> f64 {
        self.row.lambda
    }
}

/// The stored minima and transition states of one landscape, in id order, without its network
/// (for what needs no data set: paths, counts).
pub fn read_points(
    store: &Store,
    row: &LandscapeRow,
) -> Result<(Vec<MinimumInfo>, Vec<TsInfo>), ReportError> {
    let minima = store.minima(row.id)?.iter().map(minimum_info).collect();
    let ts = store
        .transition_states(row.id)?
        .iter()
        .map(ts_info)
        .collect();
    Ok((minima, ts))
}

/// The identity rule of the newest run's config (the default rule when there is no run or its
/// config does not parse): what `losscape summary` counts distinct energies with.
pub fn stored_identity(store: &Store) -> Result<Identity, ReportError> {
    let runs = store.runs()?;
    Ok(runs
        .last()
        .and_then(|r| Config::parse(&r.config_text, Path::new("<stored config>")).ok())
        .map(|c| c.identity)
        .unwrap_or_default())
}

/// Reads every landscape of `store` (or only `key`), in database order.
pub fn read_landscapes(
    store: &Store,
    exp: &StoredExperiment,
    key: Option<&str>,
) -> Result<Vec<LandscapeData>, ReportError> {
    select(store, key)?
        .iter()
        .map(|l| LandscapeData::read(store, exp, l))
        .collect()
}

/// The landscapes selected by `key` (all when `None`), or an error listing the keys there are.
pub fn select(store: &Store, key: Option<&str>) -> Result<Vec<LandscapeRow>, ReportError> {
    let all = store.landscapes()?;
    let Some(key) = key else { return Ok(all) };
    let chosen: Vec<LandscapeRow> = all.iter().filter(|l| l.key == key).cloned().collect();
    if chosen.is_empty() {
        return Err(unknown(store, key, &all));
    }
    Ok(chosen)
}

/// The one landscape called `key`.
pub fn select_one(store: &Store, key: &str) -> Result<LandscapeRow, ReportError> {
    let all = store.landscapes()?;
    all.iter()
        .find(|l| l.key == key)
        .cloned()
        .ok_or_else(|| unknown(store, key, &all))
}

pub use losscape_experiment::points::{minimum_info, stationary_info, ts_info};

fn unknown(store: &Store, key: &str, all: &[LandscapeRow]) -> ReportError {
    let keys: Vec<&str> = all.iter().map(|l| l.key.as_str()).collect();
    ReportError::UnknownLandscape {
        key: key.to_string(),
        db: store.path().display().to_string(),
        available: if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        },
    }
}
