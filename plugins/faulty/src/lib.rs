//! A test-only losscape plugin that misbehaves on request, so the host's defences can be tested
//! against a real dynamically loaded library. Its TOML sub-table has one key, `mode`:
//!
//! | mode | behaviour |
//! |---|---|
//! | `evaluate_once` (default) | evaluates the start once and reports it (converged if flat) |
//! | `panic` | panics inside `minimise` |
//! | `check_panic` | panics inside `check_config` (so already at load time) |
//! | `error` | returns a plugin error with a message |
//! | `long_message` | returns an error whose message (multi-byte text) overflows any buffer |
//! | `nan_report` | reports a NaN energy although every evaluation was finite |
//! | `nan_coords` | asks the host to evaluate at NaN coordinates |
//! | `callback_abuse` | keeps evaluating after the callback fails, then claims success |
//! | `false_energy` | evaluates the start once and reports its energy minus one |
//! | `false_convergence` | evaluates the start once and claims convergence with a zero gradient |
//!
//! The wrong-ABI and missing-symbol cases need different binaries; they live in the sibling
//! crates `faulty-abi`, `faulty-size` and `faulty-nosym`.

use losscape_plugin_api::{Evaluate, PluginError, Report, Stop, rms};
use serde::Deserialize;

/// How to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Evaluate once and report.
    #[default]
    EvaluateOnce,
    /// Panic in `minimise`.
    Panic,
    /// Panic in `check_config`.
    CheckPanic,
    /// Return an error.
    Error,
    /// Return an error with an oversized message.
    LongMessage,
    /// Report a NaN energy.
    NanReport,
    /// Evaluate at NaN coordinates.
    NanCoords,
    /// Ignore callback failures and keep calling.
    CallbackAbuse,
    /// Report an energy one below the truth.
    FalseEnergy,
    /// Claim convergence wherever it stops.
    FalseConvergence,
}

/// The plugin's config table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultyConfig {
    /// How to misbehave.
    pub mode: Mode,
}

/// Parses the config.
pub fn parse(text: &str) -> Result<FaultyConfig, PluginError> {
    toml::from_str(text).map_err(|e| PluginError::BadConfig(format!("faulty: {e}")))
}

/// The plugin's `check_config`.
pub fn check_config(text: &str) -> Result<(), PluginError> {
    if parse(text)?.mode == Mode::CheckPanic {
        panic!("faulty plugin: deliberate panic in check_config");
    }
    Ok(())
}

/// Calls to make before giving up on `callback_abuse`, so a host without a budget still gets
/// control back eventually.
const ABUSE_LIMIT: usize = 100_000_000;

/// The plugin's `minimise`.
pub fn minimise(
    config: &str,
    x: &mut [f64],
    eval: &mut Evaluate<'_>,
    stop: Stop,
) -> Result<Report, PluginError> {
    let mode = parse(config)?.mode;
    let mut grad = vec![0.0; x.len()];
    match mode {
        Mode::EvaluateOnce | Mode::CheckPanic => {
            let energy = eval(x, &mut grad)?;
            let rms_gradient = rms(&grad);
            let converged = rms_gradient <= stop.rms_gradient;
            Ok(Report {
                energy,
                rms_gradient,
                iterations: 0,
                converged,
            })
        }
        Mode::FalseEnergy | Mode::FalseConvergence => {
            let energy = eval(x, &mut grad)?;
            let lie = mode == Mode::FalseConvergence;
            let rms_gradient = if lie { 0.0 } else { rms(&grad) };
            Ok(Report {
                energy: if lie { energy } else { energy - 1.0 },
                rms_gradient,
                iterations: 0,
                converged: lie || rms_gradient <= stop.rms_gradient,
            })
        }
        Mode::Panic => panic!("faulty plugin: deliberate panic in minimise"),
        Mode::Error => Err(PluginError::Failed(
            "faulty plugin: deliberate failure".into(),
        )),
        Mode::LongMessage => Err(PluginError::Failed("€rror ".repeat(10_000))),
        Mode::NanReport => {
            eval(x, &mut grad)?;
            Ok(Report {
                energy: f64::NAN,
                rms_gradient: 0.0,
                iterations: 1,
                converged: true,
            })
        }
        Mode::NanCoords => {
            x.fill(f64::NAN);
            eval(x, &mut grad)?;
            Ok(Report {
                energy: 0.0,
                rms_gradient: 0.0,
                iterations: 1,
                converged: true,
            })
        }
        Mode::CallbackAbuse => {
            let mut energy = 0.0;
            for _ in 0..ABUSE_LIMIT {
                match eval(x, &mut grad) {
                    Ok(e) => energy = e,
                    // Deliberately ignore the failure a few more times, then lie about success.
                    Err(_) => {
                        for _ in 0..10 {
                            let _ = eval(x, &mut grad);
                        }
                        break;
                    }
                }
            }
            Ok(Report {
                energy,
                rms_gradient: 0.0,
                iterations: 1,
                converged: true,
            })
        }
    }
}

losscape_plugin_api::export_plugin!(
    name = "faulty",
    check_config = check_config,
    minimise = minimise
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_unknown_ones_are_named() {
        assert_eq!(parse("").expect("default").mode, Mode::EvaluateOnce);
        assert_eq!(
            parse("mode = \"nan_report\"").expect("ok").mode,
            Mode::NanReport
        );
        let m = parse("mode = \"explode\"").unwrap_err().to_string();
        assert!(m.contains("explode") && m.contains("callback_abuse"), "{m}");
        let m = parse("mood = \"panic\"").unwrap_err().to_string();
        assert!(m.contains("mood") && m.contains("mode"), "{m}");
    }
}
