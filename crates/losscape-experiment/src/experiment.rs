//! A loaded, validated experiment: its config, the data set and the minimiser it names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use losscape_core::Minimiser;
use losscape_lbfgs::Lbfgs;
use losscape_model::{Dataset, Perceptron};
use losscape_plugin_host::{PluginMinimiser, PluginSource, PluginSpec};

use crate::config::{self, Config, DataSection, LandscapePoint, MinimiserSection, PluginSection};
use crate::error::ConfigError;

/// The experiment file that ships with losscape and runs when no file is given: the quick XOR
/// sweep.
pub const DEFAULT_CONFIG: &str = include_str!("../../../configs/xor-quick.toml");

/// Everything a run needs that comes from the experiment file, checked before anything is
/// stored.
pub struct Experiment {
    /// The parsed configuration.
    pub config: Config,
    /// The file's text, stored verbatim in the database's provenance.
    pub text: String,
    /// Where it came from (used in messages and to resolve relative paths).
    pub source: PathBuf,
    /// The training data.
    pub data: Dataset,
    /// The local minimiser every search uses.
    pub minimiser: Arc<dyn Minimiser>,
}

impl std::fmt::Debug for Experiment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Experiment")
            .field("source", &self.source)
            .field("minimiser", &self.minimiser.name())
            .finish_non_exhaustive()
    }
}

/// Loads the plugin a `[minimiser]` section names, the one way every command does: `path` and
/// `dirs` resolved against the experiment file `source`, `extra_dirs` (a command line's
/// `--plugin-dir`) searched after `dirs`, and `options` handed to the plugin, which refuses
/// values it cannot use.
pub fn load_plugin(
    p: &PluginSection,
    source: &Path,
    extra_dirs: &[PathBuf],
) -> Result<PluginMinimiser, ConfigError> {
    let file = source.to_path_buf();
    let source_of = match (&p.name, &p.path) {
        (_, Some(path)) => PluginSource::Path(config::resolve(source, path)),
        (Some(name), None) => PluginSource::Name(name.clone()),
        (None, None) => {
            return Err(ConfigError::Invalid {
                file,
                key: "minimiser".into(),
                message: "a plugin needs `name` or `path`".into(),
            });
        }
    };
    let spec = PluginSpec {
        source: source_of,
        search_dirs: p
            .dirs
            .iter()
            .map(|d| config::resolve(source, d))
            .chain(extra_dirs.iter().cloned())
            .collect(),
        config: toml::to_string(&p.options).unwrap_or_default(),
    };
    PluginMinimiser::load(&spec).map_err(|e| ConfigError::Plugin { file, source: e })
}

impl Experiment {
    /// Reads and checks an experiment file.
    pub fn load(path: &Path) -> Result<Experiment, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.to_path_buf(),
            source,
        })?;
        Self::from_text(text, path)
    }

    /// The built-in quick XOR experiment.
    pub fn builtin() -> Result<Experiment, ConfigError> {
        Self::from_text(
            DEFAULT_CONFIG.to_string(),
            Path::new("<built-in xor-quick.toml>"),
        )
    }

    /// Checks an experiment given as text; `source` names it and anchors relative paths.
    pub fn from_text(text: String, source: &Path) -> Result<Experiment, ConfigError> {
        let config = Config::parse(&text, source)?;
        let file = source.to_path_buf();
        let data = match &config.data {
            DataSection::Xor => Dataset::xor(),
            DataSection::Csv { path, header } => {
                Dataset::from_csv_path(config::resolve(source, path), *header).map_err(|e| {
                    ConfigError::Data {
                        file: file.clone(),
                        source: e,
                    }
                })?
            }
            DataSection::Mlpdata { path } => {
                Dataset::from_mlpdata_path(config::resolve(source, path)).map_err(|e| {
                    ConfigError::Data {
                        file: file.clone(),
                        source: e,
                    }
                })?
            }
        };
        // Build every landscape once now so impossible combinations fail before a run starts.
        for p in config.landscapes() {
            Perceptron::new(data.clone(), p.n_hidden, p.lambda).map_err(|e| {
                ConfigError::Model {
                    file: file.clone(),
                    source: e,
                }
            })?;
        }
        let minimiser: Arc<dyn Minimiser> = match &config.minimiser {
            MinimiserSection::Lbfgs(p) => Arc::new(Lbfgs::new(*p)),
            MinimiserSection::Plugin(p) => Arc::new(load_plugin(p, source, &[])?),
        };
        Ok(Experiment {
            config,
            text,
            source: file,
            data,
            minimiser,
        })
    }

    /// The minimiser of the transition-state searches (push-off quenches, tangent-space
    /// relaxation): always the built-in L-BFGS, with the `[minimiser]` settings when that names
    /// L-BFGS and its defaults otherwise. Which saddles a run finds, and which minima their
    /// push-offs reach, so do not depend on the optimiser basin-hopping is run with.
    pub fn ts_minimiser(&self) -> Lbfgs {
        match &self.config.minimiser {
            MinimiserSection::Lbfgs(p) => Lbfgs::new(*p),
            MinimiserSection::Plugin(_) => Lbfgs::default(),
        }
    }

    /// The network of one landscape of the grid.
    pub fn perceptron(&self, p: &LandscapePoint) -> Result<Perceptron, ConfigError> {
        Perceptron::new(self.data.clone(), p.n_hidden, p.lambda).map_err(|e| ConfigError::Model {
            file: self.source.clone(),
            source: e,
        })
    }

    /// A short description of the data set for the database.
    pub fn data_description(&self) -> String {
        match &self.config.data {
            DataSection::Xor => "xor".into(),
            DataSection::Csv { path, .. } => format!("csv:{}", path.display()),
            DataSection::Mlpdata { path } => format!("mlpdata:{}", path.display()),
        }
    }
}
