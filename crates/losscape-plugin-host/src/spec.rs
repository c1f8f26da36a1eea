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
            PluginSource::Path(given) => {
                let path = anchored(given);
                if path.is_file() {
                    check_library_kind(&path)?;
                    Ok(path)
                } else if path.exists() {
                    Err(PluginError::NotAFile { path: path.clone() })
                } else {
                    Err(PluginError::NotFound {
                        name: given.display().to_string(),
                        searched: vec![path],
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
                        let candidate = anchored(&dir.join(file));
                        if candidate.is_file() {
                            check_library_kind(&candidate)?;
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

/// A relative path made absolute against the current folder. The dynamic loader searches the
/// system's library folders for a path without a `/` (`libz.so.1`), so a relative path handed
/// to it as written could load a system library instead of the file next to the config.
fn anchored(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::path::absolute(path).unwrap_or_else(|_| Path::new(".").join(path))
    }
}

/// The first bytes of a shared library on this platform, so a file that is something else is
/// refused with what it is instead of the loader's often misleading message.
const LIBRARY_MAGIC: &[&[u8]] = if cfg!(target_os = "windows") {
    &[b"MZ"]
} else if cfg!(target_vendor = "apple") {
    &[
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
    ]
} else {
    &[b"\x7fELF"]
};

/// Refuses a file that cannot be a shared library of this platform, saying what it looks like.
fn check_library_kind(path: &Path) -> Result<(), PluginError> {
    use std::io::Read;
    let mut head = Vec::with_capacity(512);
    let read = std::fs::File::open(path).and_then(|f| f.take(512).read_to_end(&mut head));
    if read.is_err() {
        // Unreadable: the loader's own error says why.
        return Ok(());
    }
    if LIBRARY_MAGIC.iter().any(|m| head.starts_with(m)) {
        return Ok(());
    }
    let kind = if head.is_empty() {
        "an empty file"
    } else if std::str::from_utf8(&head).is_ok() {
        "a text file"
    } else {
        "a binary file of another format"
    };
    Err(PluginError::NotALibrary {
        path: path.to_path_buf(),
        kind,
    })
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

    #[test]
    fn relative_paths_never_reach_the_loaders_search() {
        // Without a folder, the loader would look for `libz.so.1` in the system's folders.
        let path = anchored(Path::new("libz.so.1"));
        assert!(path.is_absolute(), "{}", path.display());
        assert_eq!(
            path,
            std::env::current_dir().expect("cwd").join("libz.so.1")
        );
        let e = PluginSpec::at_path("no-such-lib.so").resolve().unwrap_err();
        let PluginError::NotFound { searched, .. } = e else {
            panic!("expected NotFound")
        };
        assert!(searched[0].is_absolute());
    }

    #[test]
    fn files_that_are_no_library_are_named_for_what_they_are() {
        let dir = std::env::temp_dir().join(format!("losscape-spec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        for (file, bytes, kind) in [
            ("empty.so", &b""[..], "an empty file"),
            ("text.so", &b"[minimiser]\n"[..], "a text file"),
            (
                "data.so",
                &[0u8, 159, 146, 150][..],
                "a binary file of another format",
            ),
        ] {
            let path = dir.join(file);
            std::fs::write(&path, bytes).expect("write");
            let e = PluginSpec::at_path(&path).resolve().unwrap_err();
            assert!(
                matches!(&e, PluginError::NotALibrary { kind: k, .. } if *k == kind),
                "{file}: {e}"
            );
            assert!(e.to_string().contains(kind), "{e}");
        }
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
