//! Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015) as a losscape
//! optimiser plugin.
//!
//! Adam keeps exponential moving averages of the gradient (`m`) and of its element-wise square
//! (`v`), corrects both for their zero initialisation, and steps by
//! `-learning_rate * m̂ / (sqrt(v̂) + epsilon)`. It is the optimiser neural networks are usually
//! trained with, which is why comparing its basins of attraction with L-BFGS's is interesting.
//! On a deterministic landscape it converges to tight tolerances only slowly; a smaller `beta2`
//! shortens its memory and speeds up the final approach.
//!
//! The plugin depends only on losscape-plugin-api (plus serde/toml for its config table).

use losscape_plugin_api::{Evaluate, PluginError, Report, Stop, rms};
use serde::Deserialize;

/// Adam's parameters: the plugin's TOML sub-table. Unknown keys are rejected.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdamConfig {
    /// Step size (`alpha` in the paper).
    pub learning_rate: f64,
    /// Decay of the gradient average, in [0, 1).
    pub beta1: f64,
    /// Decay of the squared-gradient average, in [0, 1).
    pub beta2: f64,
    /// Added to `sqrt(v̂)` so the step stays finite where the gradient vanishes.
    pub epsilon: f64,
}

impl Default for AdamConfig {
    /// The paper's defaults.
    fn default() -> Self {
        Self {
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }
}

impl AdamConfig {
    /// Parses and validates a TOML sub-table (an empty string gives the defaults).
    pub fn parse(text: &str) -> Result<Self, PluginError> {
        let cfg: Self =
            toml::from_str(text).map_err(|e| PluginError::BadConfig(format!("adam: {e}")))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<(), PluginError> {
        let bad = |key: &str, want: &str, got: f64| {
            Err(PluginError::BadConfig(format!(
                "adam: `{key}` must be {want}, got {got}"
            )))
        };
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad("learning_rate", "positive and finite", self.learning_rate);
        }
        if !(0.0..1.0).contains(&self.beta1) {
            return bad("beta1", "in [0, 1)", self.beta1);
        }
        if !(0.0..1.0).contains(&self.beta2) {
            return bad("beta2", "in [0, 1)", self.beta2);
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return bad("epsilon", "positive and finite", self.epsilon);
        }
        Ok(())
    }
}

/// Validates a config without running anything (the plugin's `check_config`).
pub fn check_config(text: &str) -> Result<(), PluginError> {
    AdamConfig::parse(text).map(|_| ())
}

/// The plugin's `minimise`: parses the config, then runs [`adam`].
pub fn minimise(
    config: &str,
    x: &mut [f64],
    eval: &mut Evaluate<'_>,
    stop: Stop,
) -> Result<Report, PluginError> {
    let cfg = AdamConfig::parse(config)?;
    adam(&cfg, x, eval, stop)
}

/// Minimises from `x` in place with Adam.
pub fn adam(
    cfg: &AdamConfig,
    x: &mut [f64],
    eval: &mut Evaluate<'_>,
    stop: Stop,
) -> Result<Report, PluginError> {
    let n = x.len();
    let mut grad = vec![0.0; n];
    let mut m = vec![0.0; n];
    let mut v = vec![0.0; n];
    let mut energy = eval(x, &mut grad)?;
    // beta^t, kept as running products rather than recomputed with powi every step.
    let (mut beta1_t, mut beta2_t) = (1.0, 1.0);
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
        beta1_t *= cfg.beta1;
        beta2_t *= cfg.beta2;
        let (c1, c2) = (1.0 - beta1_t, 1.0 - beta2_t);
        for i in 0..n {
            let g = grad[i];
            m[i] = cfg.beta1 * m[i] + (1.0 - cfg.beta1) * g;
            v[i] = cfg.beta2 * v[i] + (1.0 - cfg.beta2) * g * g;
            let m_hat = m[i] / c1;
            let v_hat = v[i] / c2;
            x[i] -= cfg.learning_rate * m_hat / (v_hat.sqrt() + cfg.epsilon);
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
    name = "adam",
    check_config = check_config,
    minimise = minimise
);

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_plugin_api::EvalError;

    fn quadratic(x: &[f64], g: &mut [f64]) -> Result<f64, EvalError> {
        let k = [1.0, 4.0];
        let mut e = 0.0;
        for i in 0..x.len() {
            let d = x[i] - 0.5;
            e += k[i] * d * d;
            g[i] = 2.0 * k[i] * d;
        }
        Ok(e)
    }

    #[test]
    fn first_step_has_length_learning_rate_per_coordinate() {
        // With bias correction, m̂ = g and v̂ = g² after one step, so each coordinate moves by
        // learning_rate * g / (|g| + eps) ≈ learning_rate against its gradient sign.
        let mut x = [2.0, -1.0];
        let stop = Stop {
            rms_gradient: 0.0,
            max_iterations: 1,
        };
        minimise("learning_rate = 0.01", &mut x, &mut quadratic, stop).expect("runs");
        assert!(
            (x[0] - 1.99).abs() < 1e-9 && (x[1] + 0.99).abs() < 1e-9,
            "{x:?}"
        );
    }

    #[test]
    fn converges_on_a_quadratic() {
        let mut x = [2.0, -1.0];
        let stop = Stop {
            rms_gradient: 1e-8,
            max_iterations: 50_000,
        };
        let cfg = "learning_rate = 0.05\nbeta2 = 0.99";
        let r = minimise(cfg, &mut x, &mut quadratic, stop).expect("runs");
        assert!(r.converged, "{r:?}");
        assert!(
            (x[0] - 0.5).abs() < 1e-7 && (x[1] - 0.5).abs() < 1e-7,
            "{x:?}"
        );
    }

    #[test]
    fn config_errors_name_the_key() {
        let m = check_config("lr = 0.1").unwrap_err().to_string();
        assert!(m.contains("`lr`") && m.contains("learning_rate"), "{m}");
        let m = check_config("beta2 = 1.0").unwrap_err().to_string();
        assert!(m.contains("beta2"), "{m}");
        assert_eq!(
            AdamConfig::parse("").expect("defaults"),
            AdamConfig::default()
        );
    }
}
