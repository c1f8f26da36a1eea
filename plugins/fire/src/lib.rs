//! FIRE, the Fast Inertial Relaxation Engine (Bitzek, Koskinen, Gähler, Moseler, Gumbsch,
//! Phys. Rev. Lett. 97, 170201, 2006), as a losscape optimiser plugin.
//!
//! FIRE runs damped molecular dynamics with unit masses: each step mixes the velocity towards the
//! force direction, speeds up (larger time step, less mixing) while the power `P = F·v` stays
//! positive, and stops dead (zero velocity, smaller time step) as soon as it turns uphill. The
//! integrator is semi-implicit Euler, and a step longer than `max_step` is scaled back.
//!
//! The plugin depends only on losscape-plugin-api (plus serde/toml for its config table).

use losscape_plugin_api::{Evaluate, PluginError, Report, Stop, rms};
use serde::Deserialize;

/// FIRE's parameters: the `[minimiser.fire]`-style TOML sub-table. Unknown keys are rejected.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FireConfig {
    /// Initial time step.
    pub dt: f64,
    /// Largest time step.
    pub dt_max: f64,
    /// Uphill-free steps required before the time step may grow.
    pub n_min: usize,
    /// Time-step growth factor (> 1).
    pub f_inc: f64,
    /// Time-step shrink factor after an uphill step (in (0, 1)).
    pub f_dec: f64,
    /// Initial (and reset) velocity-mixing parameter (in (0, 1)).
    pub alpha_start: f64,
    /// Mixing-parameter decay factor (in (0, 1]).
    pub f_alpha: f64,
    /// Longest displacement allowed in one step (Euclidean norm).
    pub max_step: f64,
}

impl Default for FireConfig {
    /// Bitzek et al.'s recommended values; `dt` and `dt_max` suit landscapes whose curvatures
    /// are of order 1-100 (smaller for stiffer surfaces).
    fn default() -> Self {
        Self {
            dt: 0.1,
            dt_max: 1.0,
            n_min: 5,
            f_inc: 1.1,
            f_dec: 0.5,
            alpha_start: 0.1,
            f_alpha: 0.99,
            max_step: 0.5,
        }
    }
}

impl FireConfig {
    /// Parses and validates a TOML sub-table (an empty string gives the defaults).
    pub fn parse(text: &str) -> Result<Self, PluginError> {
        let cfg: Self =
            toml::from_str(text).map_err(|e| PluginError::BadConfig(format!("fire: {e}")))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<(), PluginError> {
        let bad = |key: &str, want: &str, got: f64| {
            Err(PluginError::BadConfig(format!(
                "fire: `{key}` must be {want}, got {got}"
            )))
        };
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(self.dt) {
            return bad("dt", "positive and finite", self.dt);
        }
        if !(self.dt_max.is_finite() && self.dt_max >= self.dt) {
            return bad("dt_max", "finite and at least dt", self.dt_max);
        }
        if !(self.f_inc.is_finite() && self.f_inc >= 1.0) {
            return bad("f_inc", "at least 1", self.f_inc);
        }
        if !(self.f_dec > 0.0 && self.f_dec < 1.0) {
            return bad("f_dec", "in (0, 1)", self.f_dec);
        }
        if !(self.alpha_start > 0.0 && self.alpha_start < 1.0) {
            return bad("alpha_start", "in (0, 1)", self.alpha_start);
        }
        if !(self.f_alpha > 0.0 && self.f_alpha <= 1.0) {
            return bad("f_alpha", "in (0, 1]", self.f_alpha);
        }
        if !positive(self.max_step) {
            return bad("max_step", "positive and finite", self.max_step);
        }
        Ok(())
    }
}

/// Validates a config without running anything (the plugin's `check_config`).
pub fn check_config(text: &str) -> Result<(), PluginError> {
    FireConfig::parse(text).map(|_| ())
}

/// The plugin's `minimise`: parses the config, then runs [`fire`].
pub fn minimise(
    config: &str,
    x: &mut [f64],
    eval: &mut Evaluate<'_>,
    stop: Stop,
) -> Result<Report, PluginError> {
    let cfg = FireConfig::parse(config)?;
    fire(&cfg, x, eval, stop)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

/// Minimises from `x` in place with FIRE.
pub fn fire(
    cfg: &FireConfig,
    x: &mut [f64],
    eval: &mut Evaluate<'_>,
    stop: Stop,
) -> Result<Report, PluginError> {
    let n = x.len();
    let mut grad = vec![0.0; n];
    let mut velocity = vec![0.0; n];
    let mut energy = eval(x, &mut grad)?;
    let mut dt = cfg.dt;
    let mut alpha = cfg.alpha_start;
    let mut steps_since_uphill = 0usize;
    let mut iterations = 0usize;
    loop {
        let rms_gradient = rms(&grad);
        let converged = rms_gradient <= stop.rms_gradient;
        if converged || iterations >= stop.max_iterations {
            return Ok(Report {
                energy,
                rms_gradient,
                iterations,
                converged,
            });
        }
        // The force is -grad, so the power F·v is -grad·v.
        let power = -dot(&grad, &velocity);
        if power > 0.0 {
            let v_norm = dot(&velocity, &velocity).sqrt();
            let f_norm = dot(&grad, &grad).sqrt();
            // f_norm > 0 here: the power is positive.
            let mix = alpha * v_norm / f_norm;
            for (v, g) in velocity.iter_mut().zip(&grad) {
                *v = (1.0 - alpha) * *v - mix * g;
            }
            if steps_since_uphill > cfg.n_min {
                dt = (dt * cfg.f_inc).min(cfg.dt_max);
                alpha *= cfg.f_alpha;
            }
            steps_since_uphill += 1;
        } else if power < 0.0 {
            velocity.fill(0.0);
            dt *= cfg.f_dec;
            alpha = cfg.alpha_start;
            steps_since_uphill = 0;
        }
        // power == 0: at rest (the first step) or exactly sideways; just integrate.
        for (v, g) in velocity.iter_mut().zip(&grad) {
            *v -= dt * g;
        }
        let step_norm = dt * dot(&velocity, &velocity).sqrt();
        let scale = if step_norm > cfg.max_step {
            cfg.max_step / step_norm
        } else {
            1.0
        };
        for (xi, v) in x.iter_mut().zip(&velocity) {
            *xi += scale * dt * v;
        }
        energy = eval(x, &mut grad)?;
        iterations += 1;
        if !energy.is_finite() {
            return Err(PluginError::NonFinite(format!(
                "energy {energy} after step {iterations}"
            )));
        }
    }
}

losscape_plugin_api::export_plugin!(
    name = "fire",
    check_config = check_config,
    minimise = minimise
);

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_plugin_api::EvalError;

    /// E = sum k_i (x_i - c_i)^2 with mixed curvatures.
    fn quadratic(x: &[f64], g: &mut [f64]) -> Result<f64, EvalError> {
        let k = [1.0, 10.0, 0.3];
        let mut e = 0.0;
        for i in 0..x.len() {
            let d = x[i] - (i as f64 - 1.0);
            e += k[i] * d * d;
            g[i] = 2.0 * k[i] * d;
        }
        Ok(e)
    }

    #[test]
    fn converges_on_a_quadratic_to_tight_tolerance() {
        let mut x = [4.0, -3.0, 2.0];
        let stop = Stop {
            rms_gradient: 1e-10,
            max_iterations: 10_000,
        };
        let r = minimise("", &mut x, &mut quadratic, stop).expect("runs");
        assert!(r.converged, "{r:?}");
        assert!(r.rms_gradient <= 1e-10);
        for (i, xi) in x.iter().enumerate() {
            assert!((xi - (i as f64 - 1.0)).abs() < 1e-9, "{x:?}");
        }
        assert!(r.energy < 1e-18);
    }

    #[test]
    fn steps_respect_max_step() {
        let mut x = [100.0, 0.0, 1.0];
        let mut last = x;
        let mut longest: f64 = 0.0;
        let mut eval = |p: &[f64], g: &mut [f64]| {
            let d: f64 = p
                .iter()
                .zip(&last)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt();
            longest = longest.max(d);
            last.copy_from_slice(p);
            quadratic(p, g)
        };
        let stop = Stop {
            rms_gradient: 1e-8,
            max_iterations: 50,
        };
        minimise("max_step = 0.2\ndt = 0.05", &mut x, &mut eval, stop).expect("runs");
        assert!(longest <= 0.2 + 1e-12, "{longest}");
    }

    #[test]
    fn budget_exhaustion_is_reported_not_an_error() {
        let mut x = [4.0, -3.0, 2.0];
        let stop = Stop {
            rms_gradient: 1e-12,
            max_iterations: 3,
        };
        let r = minimise("", &mut x, &mut quadratic, stop).expect("runs");
        assert!(!r.converged);
        assert_eq!(r.iterations, 3);
    }

    #[test]
    fn config_errors_name_the_key() {
        let e = check_config("dt = 0.1\ndtmax = 2.0").unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("dtmax") && m.contains("dt_max") && m.contains("f_alpha"),
            "{m}"
        );
        let e = check_config("f_dec = 1.5").unwrap_err().to_string();
        assert!(e.contains("f_dec"), "{e}");
        assert!(check_config("dt = \"fast\"").is_err());
        assert_eq!(
            FireConfig::parse("").expect("defaults"),
            FireConfig::default()
        );
        assert_eq!(FireConfig::parse("n_min = 3").expect("ok").n_min, 3);
    }

    #[test]
    fn callback_failure_stops_immediately() {
        let mut calls = 0;
        let mut eval = |p: &[f64], g: &mut [f64]| {
            calls += 1;
            if calls > 2 {
                Err(EvalError { status: 7 })
            } else {
                quadratic(p, g)
            }
        };
        let mut x = [4.0, -3.0, 2.0];
        let stop = Stop {
            rms_gradient: 1e-12,
            max_iterations: 100,
        };
        let e = minimise("", &mut x, &mut eval, stop).unwrap_err();
        assert_eq!(e, PluginError::Callback(EvalError { status: 7 }));
        assert_eq!(calls, 3);
    }
}
