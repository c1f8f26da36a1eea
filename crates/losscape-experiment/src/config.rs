//! The typed experiment file.
//!
//! One TOML file describes a whole experiment: the data, the grid of landscapes (every pair of
//! `n_hidden` × `lambda`), the local minimiser and the parameters of every stage. Each section
//! is the parameter struct of the algorithm it configures, so every default is written exactly
//! once, in that struct's `Default` impl; unknown keys are rejected everywhere.

use std::path::{Path, PathBuf};

use losscape_basinhop::BasinHoppingParams;
use losscape_core::param;
use losscape_core::{Convergence, Identity, ParamError};
use losscape_hessian::Checks;
use losscape_lbfgs::LbfgsParams;
use losscape_ts::{
    TsParams, connect::ConnectParams, dneb::DnebParams, ef::EfParams, ladder::LadderParams,
    newton::NewtonParams, pushoff::PushOffParams, survey::SurveyParams,
};

use crate::census::{CensusParams, SaturateParams};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// The whole experiment file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Name, seed and stages.
    pub experiment: ExperimentSection,
    /// The training data.
    pub data: DataSection,
    /// The grid of landscapes.
    pub landscape: LandscapeSection,
    /// The local minimiser used by every search.
    pub minimiser: MinimiserSection,
    /// Convergence of every local minimisation whose result may be stored.
    pub quench: QuenchSection,
    /// When two stationary points are the same.
    pub identity: Identity,
    /// Verification of every point before it is stored.
    pub checks: Checks,
    /// Global search for minima.
    pub basin_hopping: BasinHoppingParams,
    /// Joining minima by transition states.
    pub connect: ConnectParams,
    /// Single-ended transition-state searches from every minimum.
    pub survey: SurveyParams,
    /// Doubly-nudged elastic band.
    pub dneb: DnebParams,
    /// Hybrid eigenvector-following.
    pub ef: EfParams,
    /// Pushing off transition states to their minima.
    pub pushoff: PushOffParams,
    /// Newton's method on the gradient (the census's solver).
    pub newton: NewtonParams,
    /// Saddle-to-saddle searches that close the census under its neighbourhood links.
    pub ladder: LadderParams,
    /// The census of stationary points of every index.
    pub census: CensusParams,
    /// Repeating the searches until they stop finding points.
    pub saturate: SaturateParams,
}

/// A stage of a run, in the order they execute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Basin-hopping for minima.
    BasinHopping,
    /// Missing-connection searches joining every minimum to the global minimum.
    Connect,
    /// Single-ended eigenvector-following from every minimum.
    Survey,
    /// Newton searches for stationary points of every index from many starts.
    Census,
    /// Rounds of census, survey and connection until K rounds find nothing new.
    Saturate,
}

impl Stage {
    /// The name used in experiment files and in the database's attempts table.
    pub fn name(self) -> &'static str {
        match self {
            Stage::BasinHopping => "basin_hopping",
            Stage::Connect => "connect",
            Stage::Survey => "survey",
            Stage::Census => "census",
            Stage::Saturate => "saturate",
        }
    }
}

/// `[experiment]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExperimentSection {
    /// Name used in reports and as the default database file name.
    pub name: String,
    /// Master seed: every random stream of the run is derived from it.
    pub seed: u64,
    /// Stages to run, in order.
    pub stages: Vec<Stage>,
}

impl Default for ExperimentSection {
    fn default() -> Self {
        Self {
            name: "experiment".into(),
            seed: 1,
            stages: vec![Stage::BasinHopping, Stage::Connect],
        }
    }
}

/// `[data]`: where the training data come from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "lowercase")]
pub enum DataSection {
    /// The four XOR points.
    #[default]
    Xor,
    /// A CSV file: features then an integer class label per row.
    Csv {
        /// Path, relative to the experiment file.
        path: PathBuf,
        /// Whether the first line is a header.
        #[serde(default)]
        header: bool,
    },
    /// GMIN's MLPdata format: the class label, then the features, per line.
    Mlpdata {
        /// Path, relative to the experiment file.
        path: PathBuf,
    },
}

/// `[landscape]`: the grid of landscapes, every `n_hidden` with every `lambda`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LandscapeSection {
    /// Hidden-unit counts.
    pub n_hidden: Vec<usize>,
    /// L2 penalties.
    pub lambda: Vec<f64>,
}

impl Default for LandscapeSection {
    fn default() -> Self {
        Self {
            n_hidden: vec![2],
            lambda: vec![1e-3],
        }
    }
}

/// `[minimiser]`: the built-in L-BFGS or an optimiser plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "lowercase")]
pub enum MinimiserSection {
    /// The built-in GMIN-style L-BFGS.
    Lbfgs(LbfgsParams),
    /// An optimiser loaded from a shared library.
    Plugin(PluginSection),
}

impl Default for MinimiserSection {
    fn default() -> Self {
        MinimiserSection::Lbfgs(LbfgsParams::default())
    }
}

/// `[minimiser]` with `kind = "plugin"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginSection {
    /// Plugin name, looked up as a shared library in `dirs` and next to the binary.
    pub name: Option<String>,
    /// Explicit path to the shared library (relative to the experiment file).
    pub path: Option<PathBuf>,
    /// Extra directories to search (relative to the experiment file).
    pub dirs: Vec<PathBuf>,
    /// The plugin's own parameters, passed to it as TOML text.
    pub options: toml::Table,
}

/// `[quench]`: convergence of stored local minimisations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuenchSection {
    /// RMS gradient at which a quench has converged (database minima need a tight value).
    pub rms_gradient: f64,
    /// Iteration budget of one quench.
    pub max_iterations: usize,
}

impl Default for QuenchSection {
    fn default() -> Self {
        Self {
            rms_gradient: 1e-10,
            max_iterations: 20_000,
        }
    }
}

impl QuenchSection {
    /// As the minimisers' stopping rule.
    pub fn convergence(&self) -> Convergence {
        Convergence {
            rms_gradient: self.rms_gradient,
            max_iterations: self.max_iterations,
        }
    }
}

/// One landscape of the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LandscapePoint {
    /// Hidden units.
    pub n_hidden: usize,
    /// L2 penalty.
    pub lambda: f64,
}

impl LandscapePoint {
    /// The key naming this landscape in the database and on the command line, e.g. `h2-l1e-3`.
    pub fn key(&self) -> String {
        format!("h{}-l{:e}", self.n_hidden, self.lambda)
    }
}

impl Config {
    /// Parses and validates an experiment file's text; `source` names it in messages.
    pub fn parse(text: &str, source: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Toml {
            file: source.to_path_buf(),
            message: e.to_string(),
        })?;
        config.validate().map_err(|e| ConfigError::Invalid {
            file: source.to_path_buf(),
            key: e.key,
            message: e.reason,
        })?;
        Ok(config)
    }

    /// The landscapes of the sweep, `n_hidden` outer, `lambda` inner, in file order.
    pub fn landscapes(&self) -> Vec<LandscapePoint> {
        self.landscape
            .n_hidden
            .iter()
            .flat_map(|&n_hidden| {
                self.landscape
                    .lambda
                    .iter()
                    .map(move |&lambda| LandscapePoint { n_hidden, lambda })
            })
            .collect()
    }

    /// The transition-state tools' parameters, gathered from their sections.
    pub fn ts_params(&self) -> TsParams {
        TsParams {
            dneb: self.dneb,
            ef: self.ef,
            pushoff: self.pushoff.clone(),
            connect: self.connect,
            survey: self.survey,
            newton: self.newton,
            ladder: self.ladder,
        }
    }

    /// Checks every value a type cannot, each section by its own rule (written once, in the
    /// crate that owns the section); the error's key is `section.key`.
    pub fn validate(&self) -> Result<(), ParamError> {
        let section = |name: &'static str| move |e: ParamError| e.in_section(name);
        self.experiment.validate().map_err(section("experiment"))?;
        self.landscape.validate().map_err(section("landscape"))?;
        self.quench.validate().map_err(section("quench"))?;
        self.identity.validate().map_err(section("identity"))?;
        self.checks.validate().map_err(section("checks"))?;
        self.minimiser.validate().map_err(section("minimiser"))?;
        self.basin_hopping
            .validate()
            .map_err(section("basin_hopping"))?;
        // The transition-state sections name themselves (`dneb.spring`).
        self.ts_params().validate()?;
        self.census.validate().map_err(section("census"))?;
        self.saturate.validate().map_err(section("saturate"))?;
        Ok(())
    }
}

impl ExperimentSection {
    /// A usable name and at least one stage.
    pub fn validate(&self) -> Result<(), ParamError> {
        check_name(&self.name).map_err(|why| ParamError::new("name", why))?;
        if self.stages.is_empty() {
            return Err(ParamError::new(
                "stages",
                "must name at least one of \"basin_hopping\", \"connect\", \"survey\", \"census\", \"saturate\"",
            ));
        }
        Ok(())
    }
}

impl LandscapeSection {
    /// At least one hidden-unit count (each >= 1) and one penalty (each finite and > 0).
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.n_hidden.is_empty() {
            return Err(ParamError::new(
                "n_hidden",
                "must list at least one hidden-unit count",
            ));
        }
        if let Some(n) = self.n_hidden.iter().find(|&&n| n == 0) {
            return Err(ParamError::new(
                "n_hidden",
                format!("every value must be >= 1 (got {n})"),
            ));
        }
        if self.lambda.is_empty() {
            return Err(ParamError::new("lambda", "must list at least one penalty"));
        }
        if let Some(x) = self.lambda.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
            return Err(ParamError::new(
                "lambda",
                format!(
                    "every value must be finite and > 0 (got {x}); with lambda = 0 the XOR minima run off to infinity"
                ),
            ));
        }
        Ok(())
    }
}

impl QuenchSection {
    /// A finite positive tolerance and at least one iteration.
    pub fn validate(&self) -> Result<(), ParamError> {
        param::positive("rms_gradient", self.rms_gradient)?;
        param::at_least("max_iterations", self.max_iterations, 1)
    }
}

impl MinimiserSection {
    /// The L-BFGS parameters by their own rule; a plugin needs exactly one of `name`, `path`
    /// (its options are the plugin's to check when it loads).
    pub fn validate(&self) -> Result<(), ParamError> {
        match self {
            MinimiserSection::Lbfgs(p) => p.validate(),
            MinimiserSection::Plugin(p) if p.name.is_none() == p.path.is_none() => Err(
                ParamError::new("name", "a plugin needs exactly one of `name` or `path`"),
            ),
            MinimiserSection::Plugin(_) => Ok(()),
        }
    }
}

/// The longest experiment name, in characters.
const MAX_NAME: usize = 100;

/// Checks an experiment name. It becomes the default database file `<name>.db` in the current
/// folder, so it must be a plain file name: letters, digits, spaces and `-_.+`, not starting
/// with `.`, `-` or a space, at most [`MAX_NAME`] characters — no folder separators, no `..`, no
/// control characters.
fn check_name(name: &str) -> Result<(), String> {
    let allowed = "letters, digits, spaces and - _ . + (not starting with . - or a space), at most 100 characters";
    let bad_char = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || " -_.+".contains(*c)));
    if name.is_empty() {
        Err(format!("must not be empty; allowed: {allowed}"))
    } else if name.chars().count() > MAX_NAME {
        Err(format!(
            "is {} characters long; allowed: {allowed}",
            name.chars().count()
        ))
    } else if let Some(c) = bad_char {
        Err(format!(
            "{name:?} contains {c:?}; the name becomes the database file <name>.db in the current folder, so allowed are {allowed}"
        ))
    } else if name.starts_with(['.', '-', ' ']) {
        Err(format!(
            "{name:?} starts with {:?}; allowed: {allowed}",
            &name[..1]
        ))
    } else {
        Ok(())
    }
}

/// Resolves a path written in an experiment file against the file's folder.
pub fn resolve(config_file: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        config_file.parent().unwrap_or(Path::new(".")).join(p)
    }
}
