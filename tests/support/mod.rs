//! The `losscape` binary for the end-to-end test files (each file is its own test crate and
//! includes this module). Everything that does not need the binary's path lives in the
//! `losscape-test-support` crate.

#![allow(dead_code, unused_imports)]

use std::path::Path;
use std::process::Output;

pub use losscape_test_support::{text, uid, write_file};

/// The `losscape` binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_losscape")
}

/// Runs `losscape args` in `cwd` and waits for it.
pub fn losscape(args: &[&str], cwd: &Path) -> Output {
    losscape_test_support::run(bin(), args, cwd)
}

/// The standard output of `losscape args`, which must succeed.
pub fn ok(args: &[&str], cwd: &Path) -> String {
    losscape_test_support::stdout_of_success(&losscape(args, cwd), &format!("losscape {args:?}"))
}
