//! The Hessian-free kernels of transition-state searches on XOR, N_h = 2, 8, 32, 128:
//!
//! - `hessian_vector`: one exact product `H v` by the R-operator (O(P));
//! - `lowest_mode/krylov` against `lowest_mode/dense`: the lowest Hessian eigenpair at a
//!   minimum, Hessian-free from a cold start (Krylov subspace of 30, residual 1e-8) and by the
//!   dense eigendecomposition;
//! - `verified_ts/default` against `verified_ts/dense`: eigenvector-following from the highest
//!   maximum of a relaxed band to a verified transition state, with the default settings
//!   (Hessian-free above `ef.hessian_free_above` parameters) and forced dense.
//!
//! Run with `cargo bench -p losscape-ts --bench hessian_free`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use losscape_core::{Convergence, Landscape, Minimiser, seed};
use losscape_hessian::{Checks, analyse, krylov};
use losscape_lbfgs::Lbfgs;
use losscape_model::{Dataset, Perceptron};
use losscape_ts::{dneb, ef};

const SIZES: [usize; 4] = [2, 8, 32, 128];
const LAMBDA: f64 = 1e-3;
const STOP: Convergence = Convergence {
    rms_gradient: 1e-10,
    max_iterations: 20_000,
};

fn random_point(n: usize, master: u64) -> Vec<f64> {
    (0..n as u64)
        .map(|i| {
            let u = (seed::derive(master, &[i]) >> 11) as f64 / (1u64 << 53) as f64;
            5.0 * (2.0 * u - 1.0)
        })
        .collect()
}

fn minimum(model: &Perceptron, master: u64) -> Vec<f64> {
    let mut x = random_point(model.dim(), master);
    let _ = Lbfgs::default().minimise(model, &mut x, &STOP);
    x
}

/// A band maximum between two distinct minima from which eigenvector-following converges
/// with the default settings (searched over a few seeds, so the bench is reproducible).
fn ts_start(model: &Perceptron) -> Option<Vec<f64>> {
    let lbfgs = Lbfgs::default();
    let checks = Checks::default();
    for master in 1..40 {
        let (a, b) = (minimum(model, 2 * master), minimum(model, 2 * master + 1));
        let Ok(band) = dneb::run(model, &a, &b, &dneb::DnebParams::default()) else {
            continue;
        };
        for &i in band.maxima.iter().take(2) {
            let start = &band.images[i];
            if ef::run(model, &lbfgs, start, &ef::EfParams::default(), &checks).is_ok() {
                return Some(start.clone());
            }
        }
    }
    None
}

fn bench(c: &mut Criterion) {
    let checks = Checks::default();
    let lbfgs = Lbfgs::default();
    let mut g = c.benchmark_group("hessian_vector");
    for n_h in SIZES {
        let model = Perceptron::new(Dataset::xor(), n_h, LAMBDA).unwrap();
        let (x, v) = (random_point(model.dim(), 7), random_point(model.dim(), 8));
        let mut out = vec![0.0; model.dim()];
        g.bench_with_input(BenchmarkId::from_parameter(n_h), &n_h, |b, _| {
            b.iter(|| model.hessian_vector(black_box(&x), black_box(&v), &mut out))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("lowest_mode");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    for n_h in SIZES {
        let model = Perceptron::new(Dataset::xor(), n_h, LAMBDA).unwrap();
        let x = minimum(&model, 3);
        g.bench_with_input(BenchmarkId::new("krylov", n_h), &n_h, |b, _| {
            b.iter(|| krylov::lowest_mode(&model, black_box(&x), None, 30, 1e-8, 8))
        });
        g.bench_with_input(BenchmarkId::new("dense", n_h), &n_h, |b, _| {
            b.iter(|| analyse(&model, black_box(&x), checks.zero_eigenvalue))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("verified_ts");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for n_h in SIZES {
        let model = Perceptron::new(Dataset::xor(), n_h, LAMBDA).unwrap();
        let Some(start) = ts_start(&model) else {
            eprintln!("N_h = {n_h}: no band maximum converged; skipped");
            continue;
        };
        let default = ef::EfParams::default();
        let dense = ef::EfParams {
            hessian_free_above: usize::MAX,
            ..default
        };
        for (name, params) in [("default", default), ("dense", dense)] {
            g.bench_with_input(BenchmarkId::new(name, n_h), &n_h, |b, _| {
                b.iter(|| ef::run(&model, &lbfgs, black_box(&start), &params, &checks))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
