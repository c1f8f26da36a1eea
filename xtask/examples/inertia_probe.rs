//! The verification of a point by inertia against the dense eigendecomposition, timed.
//!
//! ```sh
//! cargo run --release -p xtask --example inertia_probe -- 128
//! ```
//!
//! Quenches six random XOR starts (λ = 1e-3, the seeds and start range of `cargo xtask bench`),
//! relaxes a band between each consecutive pair of minima and follows eigenvectors from its two
//! highest maxima, then times, at every minimum and transition state, [`analyse`] (the full
//! spectrum) and [`analyse_by_inertia`] (`LBLᵀ` counts; at minima the Cholesky factor and
//! Lanczos on `H⁻¹`, cold-started; at transition states the Krylov negative pair warm-started
//! from a perturbed copy of the dense lowest vector, as eigenvector-following warm-starts it
//! from the mode it followed). A `-` means the inertia path could not decide and
//! would have handed the point to the dense check.

use std::time::Instant;

use losscape_core::{Minimiser, seed};
use losscape_experiment::Config;
use losscape_hessian::{Analysis, analyse, analyse_by_inertia};
use losscape_lbfgs::Lbfgs;
use losscape_model::{Dataset, Perceptron};

/// Master seed of `cargo xtask bench`'s random starts.
const SEED: u64 = 20180516;

fn report(what: &str, dense: &Analysis, dense_ms: f64, light: Option<Analysis>, light_ms: f64) {
    let decided = light.map_or("-".to_string(), |a| format!("{:e}", a.lowest_eigenvalue));
    println!(
        "{what}: index {}, lowest eigenvalue {:e}: dense {dense_ms:.2} ms | inertia {light_ms:.2} ms, {decided}",
        dense.index, dense.lowest_eigenvalue
    );
}

fn main() {
    let n_h: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .expect("usage: inertia_probe N_H");
    let config = Config::default();
    let model = Perceptron::new(Dataset::xor(), n_h, 1e-3).expect("valid network");
    let n = losscape_core::Landscape::dim(&model);
    let (stop, tol) = (config.quench.convergence(), config.checks.zero_eigenvalue);
    let lbfgs = Lbfgs::default();
    let timed = |f: &dyn Fn() -> Option<Analysis>| {
        let t = Instant::now();
        let a = f();
        (a, t.elapsed().as_secs_f64() * 1e3)
    };
    let mut minima: Vec<Vec<f64>> = Vec::new();
    for i in 0..6u64 {
        let mut x: Vec<f64> = (0..n as u64)
            .map(|k| {
                let u =
                    (seed::derive(SEED, &[n_h as u64, i, k, 7]) >> 11) as f64 / (1u64 << 53) as f64;
                config.basin_hopping.start_range * (2.0 * u - 1.0)
            })
            .collect();
        if lbfgs.minimise(&model, &mut x, &stop).is_err() {
            continue;
        }
        let (dense, dense_ms) = timed(&|| Some(analyse(&model, &x, tol)));
        let (light, light_ms) = timed(&|| analyse_by_inertia(&model, &x, tol, None));
        report("minimum", &dense.expect("dense"), dense_ms, light, light_ms);
        minima.push(x);
    }
    let params = config.ts_params();
    for pair in minima.windows(2) {
        let Ok(band) = losscape_ts::dneb::run(&model, &pair[0], &pair[1], &params.dneb) else {
            continue;
        };
        for &m in band.maxima.iter().take(2) {
            let found = losscape_ts::ef::run_guided(
                &model,
                &lbfgs,
                &band.images[m],
                None,
                &params.ef,
                &config.checks,
            );
            let Ok(ts) = found else { continue };
            let x = &ts.coords;
            let (dense, dense_ms) = timed(&|| Some(analyse(&model, x, tol)));
            let dense = dense.expect("dense");
            let warm: Vec<f64> = dense
                .lowest_vector()
                .iter()
                .enumerate()
                .map(|(k, v)| v + 1e-3 * ((k % 7) as f64 - 3.0) / 3.0)
                .collect();
            let (light, light_ms) = timed(&|| analyse_by_inertia(&model, x, tol, Some(&warm)));
            report("transition state", &dense, dense_ms, light, light_ms);
        }
    }
}
