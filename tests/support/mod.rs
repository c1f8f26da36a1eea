//! Helpers shared by the end-to-end test files (each file is its own test crate and includes
//! this module).

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The `losscape` binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_losscape")
}

/// Runs `losscape args` in `cwd` and waits for it.
pub fn losscape(args: &[&str], cwd: &Path) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the losscape binary runs")
}

/// Everything a run printed, stdout then stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
