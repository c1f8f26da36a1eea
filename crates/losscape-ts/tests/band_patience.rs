//! The band optimiser's patience: a band that does not reach `rms_force` stops once it has not
//! improved for `patience` iterations and returns its best state, instead of wandering on to
//! `max_iterations` and returning wherever it ended.

use losscape_core::{Convergence, Landscape, Minimiser, seed};
use losscape_lbfgs::Lbfgs;
use losscape_model::{Dataset, Perceptron};
use losscape_ts::dneb::{self, DnebParams};

#[test]
fn an_unconverged_band_returns_its_best_state_early() {
    let model = Perceptron::new(Dataset::xor(), 2, 1e-2).expect("valid network");
    let n = model.dim();
    let stop = Convergence {
        rms_gradient: 1e-10,
        max_iterations: 20_000,
    };
    let mut minima: Vec<Vec<f64>> = Vec::new();
    for s in 0..40u64 {
        let mut x: Vec<f64> = (0..n as u64)
            .map(|i| {
                5.0 * (2.0 * ((seed::derive(77 + s, &[i]) >> 11) as f64 / (1u64 << 53) as f64)
                    - 1.0)
            })
            .collect();
        let _ = Lbfgs::default().minimise(&model, &mut x, &stop);
        if minima.iter().all(|m| model.aligned_distance(m, &x) > 1e-3) {
            minima.push(x);
        }
    }
    assert!(minima.len() >= 3, "{} minima", minima.len());
    let off = DnebParams {
        patience: 0,
        ..DnebParams::default()
    };
    let patient = DnebParams {
        patience: 100,
        ..DnebParams::default()
    };
    let (mut stopped_early, mut compared) = (0, 0);
    for w in minima.windows(2) {
        let (Ok(last), Ok(best)) = (
            dneb::run(&model, &w[0], &w[1], &off),
            dneb::run(&model, &w[0], &w[1], &patient),
        ) else {
            continue;
        };
        if last.converged {
            // A converging band never trips the patience rule when it improves steadily.
            continue;
        }
        compared += 1;
        assert!(
            best.rms_force <= last.rms_force,
            "{} vs {}",
            best.rms_force,
            last.rms_force
        );
        stopped_early += usize::from(best.iterations < last.iterations);
        // The returned energies are those of the returned images.
        for (x, &e) in best.images.iter().zip(&best.energies) {
            assert_eq!(model.energy(x), e);
        }
    }
    assert!(
        compared > 0 && stopped_early > 0,
        "{compared} compared, {stopped_early} early"
    );
}
