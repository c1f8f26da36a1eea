use std::path::PathBuf;

/// An experiment file that cannot be used. Nothing has been run or stored when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read experiment file {}: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax error, unknown key or wrong type (the message names the key and position).
    #[error("{}: {message}", file.display())]
    Toml {
        /// The file.
        file: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A value out of its allowed range.
    #[error("{}: invalid value for `{key}`: {message}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Dotted key, e.g. `landscape.lambda`.
        key: String,
        /// What is allowed.
        message: String,
    },
    /// The data set named by `[data]` could not be loaded.
    #[error("{}: [data]: {source}", file.display())]
    Data {
        /// The experiment file.
        file: PathBuf,
        /// The data reader's error (names the data file and line).
        source: losscape_model::DataError,
    },
    /// The model could not be built from the data and the grid.
    #[error("{}: [landscape]: {source}", file.display())]
    Model {
        /// The experiment file.
        file: PathBuf,
        /// Why.
        source: losscape_model::ModelError,
    },
    /// The run would need more memory or threads than it can have (see
    /// [`Experiment::check_resources`](crate::Experiment::check_resources)).
    #[error("{}: {message}", file.display())]
    Resources {
        /// The experiment file.
        file: PathBuf,
        /// What is needed and what is available.
        message: String,
    },
    /// The optimiser plugin named by `[minimiser]` could not be loaded.
    #[error("{}: [minimiser]: {source}", file.display())]
    Plugin {
        /// The experiment file.
        file: PathBuf,
        /// The loader's error.
        source: losscape_plugin_host::PluginError,
    },
}

/// A run that stopped with an error. Everything committed before it stays in the database.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The database refused an operation.
    #[error(transparent)]
    Db(#[from] losscape_db::DbError),
    /// The run was interrupted (Ctrl-C); what was committed stays.
    #[error(
        "interrupted; everything committed so far is kept; run the same command again to resume"
    )]
    Interrupted,
    /// The experiment could not build one of its landscapes.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database was made by another experiment (the config of its last run differs in
    /// more than the allowed extensions); nothing was run or recorded.
    #[error(
        "database {} belongs to another experiment: {}. A database holds one experiment: resume it with its own config (changes that only extend the work are allowed: more basin_hopping chains or steps, more landscapes, stages appended) or give another --db",
        .db.display(),
        .differences.join("; ")
    )]
    OtherExperiment {
        /// The database.
        db: PathBuf,
        /// What differs, one `key: old in the database, new in the file` per entry.
        differences: Vec<String>,
    },
    /// The database was made with other training data than the experiment file now names.
    #[error(
        "{db}: the data set has changed since this database was made: stored data sha256 \
         {stored}, data now read from {source_name} sha256 {current}; restore the data file or \
         run into a new database"
    )]
    DataChanged {
        /// The database.
        db: String,
        /// Fingerprint of the copy stored in the database.
        stored: String,
        /// Fingerprint of the data the experiment file gives now.
        current: String,
        /// Where the current data came from.
        source_name: String,
    },
    /// A search could not start (its inputs were inconsistent); names the stage.
    #[error("{stage}: {message}")]
    Search {
        /// The stage, e.g. "connect".
        stage: &'static str,
        /// What went wrong.
        message: String,
    },
}
