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
