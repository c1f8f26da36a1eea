//! Records shared by the store's test files (each file is its own test crate and includes this
//! module).

#![allow(dead_code)]

use losscape_db::{LandscapeSpec, RunInfo};

/// Parameters of the landscapes of these tests: a 2-2-1 network, 2*2 + 2 + 2*1 + 1 weights.
pub const DIM: u32 = 9;

/// The provenance of a test run with `seed`.
pub fn run_info(seed: u64) -> RunInfo {
    RunInfo {
        program_version: "losscape 0.1.0 (test)".into(),
        command: "losscape run xor.toml".into(),
        config_text: "[network]\nhidden = 2\n".into(),
        seed,
        threads: 2,
        minimiser: "lbfgs".into(),
    }
}

/// A landscape of dimension [`DIM`] named `key`.
pub fn spec(key: &str) -> LandscapeSpec {
    LandscapeSpec {
        key: key.into(),
        n_in: 2,
        n_hidden: 2,
        n_out: 1,
        dimension: DIM,
        lambda: 1e-4,
        dataset: "xor".into(),
        config_json: r#"{"activation":"tanh"}"#.into(),
    }
}
