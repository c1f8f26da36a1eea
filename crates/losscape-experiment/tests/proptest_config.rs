//! The experiment-file parser never panics, whatever it is given, and what it accepts is valid.

use std::path::Path;

use losscape_experiment::{Config, ConfigError};
use proptest::prelude::*;

/// Keys and values of real experiment files, recombined into near-valid TOML that reaches the
/// validation code far more often than random text does.
fn near_valid() -> impl Strategy<Value = String> {
    let section = prop::sample::select(vec![
        "experiment",
        "data",
        "landscape",
        "minimiser",
        "quench",
        "identity",
        "checks",
        "basin_hopping",
        "connect",
        "survey",
        "dneb",
        "ef",
        "pushoff",
        "nope",
    ]);
    let key = prop::sample::select(vec![
        "name",
        "seed",
        "stages",
        "kind",
        "path",
        "header",
        "n_hidden",
        "lambda",
        "memory",
        "max_step",
        "rms_gradient",
        "max_iterations",
        "energy_tolerance",
        "distance_tolerance",
        "zero_eigenvalue",
        "chains",
        "steps",
        "max_without_new",
        "temperature",
        "step_size",
        "start_range",
        "max_attempts",
        "modes",
        "spring",
        "images_per_unit",
        "min_images",
        "max_images",
        "options",
        "unknown",
    ]);
    let value = prop::sample::select(vec![
        "0",
        "1",
        "-1",
        "3",
        "1e-3",
        "0.0",
        "-0.5",
        "nan",
        "inf",
        "-inf",
        "1e308",
        "1e-320",
        "18446744073709551615",
        "9223372036854775807",
        "\"xor\"",
        "\"csv\"",
        "\"lbfgs\"",
        "\"plugin\"",
        "[]",
        "[0]",
        "[2, 3]",
        "[1e-2, -1]",
        "[nan]",
        "[\"connect\"]",
        "[\"survey\", \"basin_hopping\"]",
        "true",
        "{}",
        "\"\"",
    ]);
    prop::collection::vec((section, prop::collection::vec((key, value), 0..4)), 0..5).prop_map(
        |sections| {
            let mut text = String::new();
            for (s, kvs) in sections {
                text.push_str(&format!("[{s}]\n"));
                for (k, v) in kvs {
                    text.push_str(&format!("{k} = {v}\n"));
                }
            }
            text
        },
    )
}

fn check(text: &str) -> Result<(), TestCaseError> {
    match Config::parse(text, Path::new("fuzz.toml")) {
        Ok(c) => {
            // Accepted configs describe a usable grid.
            prop_assert!(!c.landscapes().is_empty());
            for p in c.landscapes() {
                prop_assert!(p.n_hidden >= 1);
                prop_assert!(p.lambda.is_finite() && p.lambda > 0.0);
            }
            prop_assert!(!c.experiment.stages.is_empty());
        }
        Err(e) => {
            // Every refusal names the file.
            prop_assert!(e.to_string().contains("fuzz.toml"), "{e}");
            let is_read = matches!(e, ConfigError::Read { .. });
            prop_assert!(!is_read, "parse never reads files: {}", e);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}") {
        check(&text)?;
    }

    #[test]
    fn near_valid_files_never_panic(text in near_valid()) {
        check(&text)?;
    }
}
