//! Which plugin to load and where to look for it.

use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
use std::path::{Path, PathBuf};

use crate::PluginError;

/// Where a plugin comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// A short name such as `fire`, looked up in the search directories (see
    /// [`library_file_names`]).
    Name(String),
    /// An explicit path to the shared library.
    Path(PathBuf),
}

/// Everything needed to load one plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSpec {
    /// The plugin's name or path.
    pub source: PluginSource,
    /// Directories searched (in order) for a plugin given by name, before the directory of the
    /// running executable.
    pub search_dirs: Vec<PathBuf>,
    /// The plugin's TOML sub-table as text (empty for the plugin's defaults).
    pub config: String,
}

impl PluginSpec {
    /// A plugin looked up by name, with no extra search directories and an empty config.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            source: PluginSource::Name(name.into()),
            search_dirs: Vec::new(),
            config: String::new(),
        }
    }

    /// A plugin at an explicit path, with an empty config.
    pub fn at_path(path: impl Into<PathBuf>) -> Self {
        Self {
            source: PluginSource::Path(path.into()),
            search_dirs: Vec::new(),
            config: String::new(),
        }
    }

    /// Adds a search directory (searched after those added before).
    pub fn search_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.search_dirs.push(dir.into());
        self
    }

    /// Sets the config text.
    pub fn config(mut self, toml_text: impl Into<String>) -> Self {
        self.config = toml_text.into();
        self
    }

    /// Resolves the spec to an existing library file, or lists every path tried.
    pub(crate) fn resolve(&self) -> Result<PathBuf, PluginError> {
        match &self.source {
            PluginSource::Path(path) => {
                if path.is_file() {
                    Ok(path.clone())
                } else if path.exists() {
                    Err(PluginError::NotAFile { path: path.clone() })
                } else {
                    Err(PluginError::NotFound {
                        name: path.display().to_string(),
                        searched: vec![path.clone()],
                    })
                }
            }
            PluginSource::Name(name) => {
                validate_name(name)?;
                let exe_dir = std::env::current_exe()
                    .ok()
                    .and_then(|exe| exe.parent().map(Path::to_path_buf));
                let mut searched = Vec::new();
                for dir in self.search_dirs.iter().chain(exe_dir.as_ref()) {
                    for file in library_file_names(name) {
                        let candidate = dir.join(file);
                        if candidate.is_file() {
                            return Ok(candidate);
                        }
                        searched.push(candidate);
                    }
                }
                Err(PluginError::NotFound {
                    name: name.clone(),
                    searched,
                })
            }
        }
    }
}

/// Library file names tried for a plugin called `name`, in order: the platform's plain name
/// (`libfire.so` on Linux) and the name cargo gives a plugin crate called `losscape-plugin-NAME`
/// (`liblosscape_plugin_fire.so`).
pub fn library_file_names(name: &str) -> [String; 2] {
    [
        format!("{DLL_PREFIX}{name}{DLL_SUFFIX}"),
        format!(
            "{DLL_PREFIX}losscape_plugin_{}{DLL_SUFFIX}",
            name.replace('-', "_")
        ),
    ]
}

/// A name must not be able to reach outside the search directories.
fn validate_name(name: &str) -> Result<(), PluginError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(PluginError::InvalidName {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_platform_and_crate_conventions() {
        let [plain, crate_style] = library_file_names("faulty-abi");
        assert_eq!(plain, format!("{DLL_PREFIX}faulty-abi{DLL_SUFFIX}"));
        assert_eq!(
            crate_style,
            format!("{DLL_PREFIX}losscape_plugin_faulty_abi{DLL_SUFFIX}")
        );
    }

    #[test]
    fn names_cannot_escape_the_search_directories() {
        for bad in ["", "../fire", "a/b", "fire.so", "x y"] {
            let e = PluginSpec::named(bad).resolve().unwrap_err();
            assert!(matches!(e, PluginError::InvalidName { .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn not_found_lists_every_place_searched() {
        let spec = PluginSpec::named("no-such-plugin").search_dir("/nonexistent/a");
        let PluginError::NotFound { searched, .. } = spec.resolve().unwrap_err() else {
            panic!("expected NotFound");
        };
        // Two names in the given directory, then two next to the test executable.
        assert_eq!(searched.len(), 4);
        assert!(searched[0].starts_with("/nonexistent/a"));
        let exe_dir = std::env::current_exe()
            .expect("exe")
            .parent()
            .expect("dir")
            .to_path_buf();
        assert!(searched[3].starts_with(exe_dir));
    }
}
