//! Gradient descent with Barzilai–Borwein step lengths, halved until the energy does not
//! rise: the smallest useful optimiser plugin, kept out of the losscape tree to show what an
//! outside crate needs (see `plugins/README.md`).
//!
//! Config (`[minimiser.options]`): `initial_step` (0.1), the first step length.

use losscape_plugin_api::{Evaluate, PluginError, Report, Stop, rms};

/// The plugin's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Length of the first step, before the Barzilai–Borwein rule has a step to measure.
    pub initial_step: f64,
}

impl Default for Settings {
    /// 0.1: small enough not to leave the starting basin on the landscapes losscape maps.
    fn default() -> Self {
        Self { initial_step: 0.1 }
    }
}

/// Reads `key = number` lines (the TOML subset this plugin needs, to stay free of
/// dependencies); refuses any other key, naming the allowed one.
pub fn settings(text: &str) -> Result<Settings, PluginError> {
    let mut s = Settings::default();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| PluginError::BadConfig(format!("{line:?}: expected key = value")))?;
        match key.trim() {
            "initial_step" => {
                s.initial_step = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite() && *v > 0.0)
                    .ok_or_else(|| {
                        PluginError::BadConfig(format!(
                            "initial_step = {}: expected a positive number",
                            value.trim()
                        ))
                    })?;
            }
            other => {
                return Err(PluginError::BadConfig(format!(
                    "unknown key {other:?}; allowed: initial_step"
                )));
            }
        }
    }
    Ok(s)
}

fn check_config(text: &str) -> Result<(), PluginError> {
    settings(text).map(|_| ())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Descends from `x` until the RMS gradient reaches `stop.rms_gradient` or the iterations run
/// out.
pub fn minimise(
    config: &str,
    x: &mut [f64],
    eval: &mut Evaluate<'_>,
    stop: Stop,
) -> Result<Report, PluginError> {
    let mut step = settings(config)?.initial_step;
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut energy = eval(x, &mut g)?;
    let (mut trial, mut trial_g) = (vec![0.0; n], vec![0.0; n]);
    for iteration in 0..stop.max_iterations {
        let r = rms(&g);
        if r <= stop.rms_gradient {
            return Ok(Report {
                energy,
                rms_gradient: r,
                iterations: iteration,
                converged: true,
            });
        }
        loop {
            for ((t, xi), gi) in trial.iter_mut().zip(x.iter()).zip(&g) {
                *t = xi - step * gi;
            }
            let e = eval(&trial, &mut trial_g)?;
            if e <= energy {
                // Barzilai–Borwein: the step that fits the curvature seen along this move.
                let s: Vec<f64> = trial.iter().zip(x.iter()).map(|(a, b)| a - b).collect();
                let y: Vec<f64> = trial_g.iter().zip(&g).map(|(a, b)| a - b).collect();
                let sy = dot(&s, &y);
                step = if sy > 0.0 {
                    dot(&s, &s) / sy
                } else {
                    step * 2.0
                };
                x.copy_from_slice(&trial);
                g.copy_from_slice(&trial_g);
                energy = e;
                break;
            }
            step *= 0.5;
            if step < 1e-300 {
                return Err(PluginError::Failed("the step underflowed".into()));
            }
        }
    }
    Ok(Report {
        energy,
        rms_gradient: rms(&g),
        iterations: stop.max_iterations,
        converged: false,
    })
}

losscape_plugin_api::export_plugin!(
    name = "descent",
    check_config = check_config,
    minimise = minimise
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descends_to_the_minimum_of_a_quadratic() {
        let mut x = [3.0, -2.0];
        let mut eval = |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * x[0];
            g[1] = 20.0 * x[1];
            Ok(x[0] * x[0] + 10.0 * x[1] * x[1])
        };
        let stop = Stop {
            rms_gradient: 1e-10,
            max_iterations: 1000,
        };
        let r = minimise("", &mut x, &mut eval, stop).unwrap();
        assert!(
            r.converged && x.iter().all(|v| v.abs() < 1e-9),
            "{r:?} {x:?}"
        );
        assert!(settings("speed = 2").is_err());
        assert_eq!(settings("initial_step = 0.5").unwrap().initial_step, 0.5);
    }
}
