//! Everything that can go wrong between a database and a report.

use std::path::PathBuf;

use thiserror::Error;

/// Why a command of this crate failed.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The database could not be read or written.
    #[error(transparent)]
    Db(#[from] losscape_db::DbError),
    /// The stored (or given) experiment file is not valid.
    #[error(transparent)]
    Config(#[from] losscape_experiment::ConfigError),
    /// The network could not be built.
    #[error(transparent)]
    Model(#[from] losscape_model::ModelError),
    /// The training data could not be read.
    #[error(transparent)]
    Data(#[from] losscape_model::DataError),
    /// PATHSAMPLE files could not be read.
    #[error(transparent)]
    Pathsample(#[from] losscape_analysis::pathsample::PathsampleError),
    /// A disconnectivity graph could not be built.
    #[error(transparent)]
    Disconnectivity(#[from] losscape_analysis::disconnectivity::DisconnectivityError),
    /// The embedding check could not run.
    #[error(transparent)]
    Embedding(#[from] losscape_analysis::embedding::EmbeddingError),
    /// The sensitivity measurement could not run.
    #[error(transparent)]
    Sensitivity(#[from] losscape_analysis::sensitivity::SensitivityError),
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] losscape_analysis::counts::PlotError),
    /// A figure could not be rendered to PNG.
    #[error(transparent)]
    Raster(#[from] crate::raster::RasterError),
    /// An optimiser plugin could not be loaded.
    #[error(transparent)]
    Plugin(#[from] losscape_plugin_host::PluginError),
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// `--landscape` (or `--from`/`--to`) named a landscape the database does not hold.
    #[error("no landscape '{key}' in {db}; it has: {available}")]
    UnknownLandscape {
        /// The key asked for.
        key: String,
        /// The database.
        db: String,
        /// The keys it holds, comma separated (or "none").
        available: String,
    },
    /// An argument or a combination of inputs makes no sense.
    #[error("{0}")]
    Invalid(String),
    /// Imported points do not belong to the landscape they were imported into.
    #[error("import refused, nothing was stored: {0}")]
    ImportMismatch(String),
}

impl ReportError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ReportError {
        let path = path.into();
        move |source| ReportError::Io { path, source }
    }
}
