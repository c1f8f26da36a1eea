//! Helpers shared by losscape's tests, in one place so that each exists once.
//!
//! This crate is `publish = false` and only ever a dev-dependency: test machinery (running
//! cargo, walking up from the test executable) stays out of the crates researchers link.

pub mod html;
pub mod plugins;
pub mod process;

pub use html::tags_balanced;
pub use plugins::{WORKSPACE_PLUGINS, built_plugin_dir};
pub use process::{run, stdout_of_success, text, uid, write_file};

/// Whether the exhaustive versions of the long loops run (`LOSSCAPE_EXHAUSTIVE=1`): by default
/// a loop samples its range more coarsely, so `cargo test --workspace` stays within minutes on
/// 2 cores; the exhaustive version samples it finely, for a release or a change to the code it
/// guards.
pub fn exhaustive() -> bool {
    std::env::var_os("LOSSCAPE_EXHAUSTIVE").is_some_and(|v| !v.is_empty() && v != "0")
}
