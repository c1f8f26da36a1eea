//! The experiment-file parser never panics, whatever it is given, and what it accepts is valid.

use std::path::Path;

use losscape_experiment::{Config, ConfigError, Stage};
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

/// Every leaf of the default config (all sections, every key), as a dotted path. Derived from
/// the typed tree itself, so a key added to any section is covered without listing it here.
fn leaves() -> Vec<(String, String)> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut Vec<(String, String)>) {
        match v {
            toml::Value::Table(t) => {
                for (k, x) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, x, out);
                }
            }
            leaf => {
                let (section, key) = prefix.rsplit_once('.').unwrap_or(("", prefix));
                out.push((section.to_string(), format!("{key}:{leaf}")));
            }
        }
    }
    let mut config = Config::default();
    // Every stage, so the settings of every algorithm are in play.
    config.experiment.stages = vec![
        Stage::BasinHopping,
        Stage::Census,
        Stage::Connect,
        Stage::Survey,
        Stage::Saturate,
    ];
    let value = toml::Value::try_from(&config).expect("the default config serialises");
    let mut out = Vec::new();
    walk("", &value, &mut out);
    out
}

/// Values at and beyond every boundary a numeric setting may have.
const EDGE_VALUES: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "-5.0",
    "0.0",
    "1e-300",
    "0.5",
    "1.5",
    "1e300",
    "nan",
    "inf",
    "-inf",
    "1000000",
    "[]",
    "[0.0]",
    "[-1.0]",
    "[1e-3, 1e-2]",
    "[nan]",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any config `check` accepts passes the validation every algorithm runs on its own
    /// parameters when it starts, so nothing `check` accepts can fail mid-run for its settings
    /// (after the database already holds the first stages' results).
    #[test]
    fn what_check_accepts_every_algorithm_accepts(
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), prop::sample::select(EDGE_VALUES)),
            1..4,
        )
    ) {
        let leaves = leaves();
        let mut config = toml::Value::try_from(Config {
            experiment: losscape_experiment::config::ExperimentSection {
                stages: vec![
                    Stage::BasinHopping,
                    Stage::Census,
                    Stage::Connect,
                    Stage::Survey,
                    Stage::Saturate,
                ],
                ..Default::default()
            },
            ..Config::default()
        })
        .unwrap();
        for (index, value) in &edits {
            let (section, key_value) = &leaves[index.index(leaves.len())];
            let key = key_value.split(':').next().unwrap();
            let mut table = config.as_table_mut().unwrap();
            for part in section.split('.').filter(|p| !p.is_empty()) {
                table = table.get_mut(part).and_then(toml::Value::as_table_mut).unwrap();
            }
            let parsed: toml::Value = toml::from_str::<toml::Table>(&format!("v = {value}"))
                .unwrap()
                .remove("v")
                .unwrap();
            table.insert(key.to_string(), parsed);
        }
        let text = toml::to_string(&config).unwrap();
        if let Ok(c) = Config::parse(&text, Path::new("edge.toml")) {
            let named = |r: Result<(), losscape_core::ParamError>, what: &str| -> Result<(), TestCaseError> {
                prop_assert!(r.is_ok(), "check accepted {} but {} refuses it: {:?}\n{}", what, what, r, text);
                Ok(())
            };
            named(c.basin_hopping.validate(), "basin_hopping")?;
            let ts = c.ts_params();
            named(ts.dneb.validate(), "dneb")?;
            named(ts.ef.validate(), "ef")?;
            named(ts.pushoff.validate(), "pushoff")?;
            named(ts.connect.validate(), "connect")?;
            named(ts.survey.validate(), "survey")?;
            named(ts.newton.validate(), "newton")?;
            named(c.checks.validate(), "checks")?;
            named(c.census.validate(), "census")?;
            named(c.saturate.validate(), "saturate")?;
            if let losscape_experiment::config::MinimiserSection::Lbfgs(p) = &c.minimiser {
                named(p.validate(), "lbfgs")?;
            }
            // The memory estimate is defined for whatever is accepted.
            let e = losscape_experiment::memory::estimate(&c, 2, 1, 4, 2);
            prop_assert!(e.total() >= 0.0, "{:?}", e);
        }
    }
}
