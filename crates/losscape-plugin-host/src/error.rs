use std::path::PathBuf;

use losscape_core::MinimiseError;

/// Why a plugin could not be loaded or a minimisation through it failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PluginError {
    /// The name could reach outside the search directories or is empty.
    #[error(
        "invalid plugin name {name:?}: use ASCII letters, digits, '-' and '_' (or give a path)"
    )]
    InvalidName {
        /// The name given.
        name: String,
    },
    /// No library file was found.
    #[error(
        "plugin '{name}' not found; searched: {}{}",
        list(searched),
        build_hint(name)
    )]
    NotFound {
        /// The name (or path) asked for.
        name: String,
        /// Every path tried, in order.
        searched: Vec<PathBuf>,
    },
    /// The path names something that is not a file (a folder, say).
    #[error(
        "plugin path {} is not a shared library file but {}",
        path.display(),
        if path.is_dir() { "a folder (give the library file in it, or the folder as `dirs` with a `name`)" } else { "not a regular file" }
    )]
    NotAFile {
        /// The path given.
        path: PathBuf,
    },
    /// The file is not a shared library of this platform (checked before the loader sees it).
    #[error("plugin path {} is not a shared library: it is {kind}", path.display())]
    NotALibrary {
        /// The file.
        path: PathBuf,
        /// What it looks like instead.
        kind: &'static str,
    },
    /// The dynamic loader refused the file.
    #[error("cannot load plugin library {}: {message}", path.display())]
    Open {
        /// The library file.
        path: PathBuf,
        /// The loader's message.
        message: String,
    },
    /// The library does not export the entry function.
    #[error("{} is not a losscape plugin: it does not export `{symbol}` ({message})", path.display())]
    MissingSymbol {
        /// The library file.
        path: PathBuf,
        /// The symbol looked for.
        symbol: &'static str,
        /// The loader's message.
        message: String,
    },
    /// The entry function returned a null table.
    #[error("plugin {} returned no plugin table (null pointer)", path.display())]
    NullTable {
        /// The library file.
        path: PathBuf,
    },
    /// The plugin speaks another ABI version.
    #[error(
        "plugin {} was built for plugin ABI version {found}, but this losscape speaks version \
         {expected}; rebuild the plugin against this losscape-plugin-api",
        path.display()
    )]
    AbiVersion {
        /// The library file.
        path: PathBuf,
        /// Version in the plugin's table.
        found: u32,
        /// Version this host implements.
        expected: u32,
    },
    /// The plugin's table has the right version but the wrong size.
    #[error(
        "plugin {} declares a {found}-byte plugin table, but ABI version {version} tables are \
         {expected} bytes; it was built against a mismatched losscape-plugin-api",
        path.display()
    )]
    TableSize {
        /// The library file.
        path: PathBuf,
        /// The ABI version (which matched).
        version: u32,
        /// Size in the plugin's table.
        found: u32,
        /// Size this host expects.
        expected: u32,
    },
    /// The table's name is missing or not UTF-8.
    #[error("plugin {} has an invalid name in its table: {reason}", path.display())]
    BadTableName {
        /// The library file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The table names no function (a null pointer) where the ABI requires one.
    #[error("plugin {} has a null `{function}` function in its plugin table", path.display())]
    NullFunction {
        /// The library file.
        path: PathBuf,
        /// The table field that is null.
        function: &'static str,
    },
    /// The coordinate vector does not match the landscape.
    #[error("coordinate vector has length {got}, the landscape needs {expected}")]
    Dimension {
        /// Landscape dimension.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// The plugin rejected its configuration.
    #[error("plugin '{name}' rejected its configuration: {message}")]
    BadConfig {
        /// Plugin name.
        name: String,
        /// The plugin's message (names the key and the allowed keys).
        message: String,
    },
    /// The plugin panicked (the panic was caught inside the plugin).
    #[error("plugin '{name}' panicked: {message}")]
    Panic {
        /// Plugin name.
        name: String,
        /// The plugin's message.
        message: String,
    },
    /// The plugin returned an error status.
    #[error("plugin '{name}' failed ({}, status {status}): {message}",
        losscape_plugin_api::status::name(*status))]
    Failed {
        /// Plugin name.
        name: String,
        /// The status code.
        status: i32,
        /// The plugin's message.
        message: String,
    },
    /// The landscape panicked during an evaluation requested by the plugin.
    #[error("the landscape panicked during an evaluation requested by plugin '{name}': {message}")]
    CallbackPanic {
        /// Plugin name.
        name: String,
        /// The panic message.
        message: String,
    },
    /// A NaN or infinity appeared: in coordinates the plugin asked to evaluate, in the
    /// landscape's energy or gradient, or in the plugin's final report or coordinates.
    #[error("plugin '{name}': non-finite {what} (after {evaluations} evaluations)")]
    NonFinite {
        /// Plugin name.
        name: String,
        /// Where the value appeared.
        what: String,
        /// Evaluations made so far.
        evaluations: usize,
    },
    /// The plugin kept asking for evaluations past the budget.
    #[error(
        "plugin '{name}' exceeded its evaluation budget of {budget} \
         (for max_iterations = {max_iterations})"
    )]
    BudgetExceeded {
        /// Plugin name.
        name: String,
        /// Evaluations allowed.
        budget: usize,
        /// The iteration limit the budget derives from.
        max_iterations: usize,
    },
    /// The plugin's final report does not hold at the point it returned (its energy differs
    /// from the landscape's there, or it claims a convergence the gradient denies). Counted as
    /// a failed minimisation: nothing a plugin merely asserts is stored.
    #[error(
        "plugin '{name}' reported {claim}, but the landscape at the point it returned gives \
         {actual}; its result was discarded"
    )]
    FalseReport {
        /// Plugin name.
        name: String,
        /// What the plugin reported.
        claim: String,
        /// What the host recomputed.
        actual: String,
    },
    /// The plugin passed null, overlapping or wrongly sized buffers to the callback.
    #[error("plugin '{name}' passed invalid buffers to the evaluation callback: {message}")]
    BadCallbackArguments {
        /// Plugin name.
        name: String,
        /// What was wrong.
        message: String,
    },
}

/// How to get a plugin that was asked for by name: every command that loads plugins resolves
/// them through [`crate::PluginSpec`], so they all print this.
fn build_hint(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plain {
        return String::new();
    }
    format!(
        ". To build a plugin of the losscape workspace, run `cargo build --release -p \
         losscape-plugin-{name}` in it: the library is written to `target/release/`, where a \
         losscape built by the same cargo finds it next to its binary. Otherwise name the \
         library's folder in `dirs` of `[minimiser]` (run, check) or with `--plugin-dir` \
         (basins), or give the file itself as `path`"
    )
}

fn list(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

impl PluginError {
    /// Name of the plugin involved, for errors raised after loading.
    pub fn plugin_name(&self) -> Option<&str> {
        match self {
            Self::BadConfig { name, .. }
            | Self::Panic { name, .. }
            | Self::Failed { name, .. }
            | Self::CallbackPanic { name, .. }
            | Self::NonFinite { name, .. }
            | Self::BudgetExceeded { name, .. }
            | Self::FalseReport { name, .. }
            | Self::BadCallbackArguments { name, .. } => Some(name),
            _ => None,
        }
    }
}

impl From<PluginError> for MinimiseError {
    /// Non-finite values and dimension mismatches keep their core meaning; everything else is an
    /// external optimiser failure carrying the full message.
    fn from(e: PluginError) -> Self {
        match e {
            PluginError::NonFinite { evaluations, .. } => MinimiseError::NonFinite { evaluations },
            PluginError::Dimension { expected, got } => MinimiseError::Dimension { expected, got },
            other => MinimiseError::External {
                name: other.plugin_name().unwrap_or("plugin").to_owned(),
                message: other.to_string(),
            },
        }
    }
}
