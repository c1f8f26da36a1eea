//! Building the workspace's plugins from tests.
//!
//! Cargo does not promise to build cdylib workspace members before an integration test runs,
//! so tests that load real plugins build them here, once per process, with `$CARGO build` into
//! a separate target directory (`<target>/plugin-tests`) so the nested build never waits on the
//! lock of the build that is running the test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Every plugin crate of the workspace.
pub const WORKSPACE_PLUGINS: [&str; 7] = [
    "losscape-plugin-fire",
    "losscape-plugin-adam",
    "losscape-plugin-faulty",
    "losscape-plugin-faulty-abi",
    "losscape-plugin-faulty-size",
    "losscape-plugin-faulty-nosym",
    "losscape-plugin-faulty-null",
];

/// Builds all [`WORKSPACE_PLUGINS`] (once per process) and returns the folder holding the
/// libraries. Meant for tests run by `cargo test`, whose executables live in
/// `<target>/<profile>/deps/`.
pub fn built_plugin_dir() -> Result<&'static Path, String> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = DIR.get_or_init(|| {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let target = exe
            .ancestors()
            .nth(3)
            .ok_or("unexpected test executable location")?
            .join("plugin-tests");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        // The workspace manifest: `-p` names resolve against the whole workspace.
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
        let mut cmd = Command::new(cargo);
        cmd.arg("build")
            .arg("--quiet")
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target);
        for p in WORKSPACE_PLUGINS {
            cmd.args(["-p", p]);
        }
        let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "building the plugins failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(target.join("debug"))
    });
    built.as_deref().map_err(Clone::clone)
}
