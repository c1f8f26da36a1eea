//! Hessian eigen-analysis (`losscape_hessian::analyse`) of XOR minima for N_h = 2 … 32, and
//! one verification at N_h = 128 by eigendecomposition and by `LBLᵀ` inertia.
//!
//! The points are genuine minima (L-BFGS quenches from fixed random starts), because that is
//! what every stored point goes through. Run with
//! `cargo bench -p losscape-hessian --bench analyse`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use losscape_core::{Convergence, Landscape, Minimiser, seed};
use losscape_hessian::{Checks, analyse, inertia, modes_by_inertia, symmetric_eigen};
use losscape_lbfgs::Lbfgs;
use losscape_model::{Dataset, Perceptron};

const SIZES: [usize; 5] = [2, 4, 8, 16, 32];
const LAMBDA: f64 = 1e-3;
/// Half-width of the start box: `BasinHoppingParams::default().start_range`.
const START_RANGE: f64 = 5.0;
/// The `[quench]` defaults of an experiment file.
const STOP: Convergence = Convergence {
    rms_gradient: 1e-10,
    max_iterations: 20_000,
};

/// A minimum of `model` quenched from a reproducible random start.
fn minimum(model: &Perceptron, master: u64) -> Vec<f64> {
    let mut x: Vec<f64> = (0..model.dim() as u64)
        .map(|i| {
            let u = (seed::derive(master, &[i]) >> 11) as f64 / (1u64 << 53) as f64;
            START_RANGE * (2.0 * u - 1.0)
        })
        .collect();
    // An unconverged end point has the same Hessian cost, so the outcome does not matter.
    let _ = Lbfgs::default().minimise(model, &mut x, &STOP);
    x
}

fn bench(c: &mut Criterion) {
    let zero = Checks::default().zero_eigenvalue;
    let mut group = c.benchmark_group("hessian_analyse_xor");
    for nh in SIZES {
        let Ok(model) = Perceptron::new(Dataset::xor(), nh, LAMBDA) else {
            continue;
        };
        let x = minimum(&model, 2000 + nh as u64);
        group.bench_with_input(BenchmarkId::from_parameter(nh), &x, |b, x| {
            b.iter(|| analyse(&model, black_box(x), zero))
        });
    }
    group.finish();

    // The eigendecomposition alone, to show how much of `analyse` it is.
    let mut group = c.benchmark_group("symmetric_eigen_xor");
    for nh in SIZES {
        let Ok(model) = Perceptron::new(Dataset::xor(), nh, LAMBDA) else {
            continue;
        };
        let n = model.dim();
        let x = minimum(&model, 2000 + nh as u64);
        let mut h = vec![0.0; n * n];
        model.hessian(&x, &mut h);
        group.bench_with_input(BenchmarkId::from_parameter(nh), &h, |b, h| {
            b.iter(|| symmetric_eigen(black_box(h), n))
        });
    }
    group.finish();

    // One verification of a wide network's minimum (N_h = 128, P = 642): the dense analysis
    // against the Hessian plus the two `LBLᵀ` factorisations of `modes_by_inertia` (index and
    // zero modes by the rule of `verify`), and a third for `ln |det H|`.
    let mut group = c.benchmark_group("verify_n128");
    let model = Perceptron::new(Dataset::xor(), 128, LAMBDA).expect("valid network");
    let n = model.dim();
    let x = minimum(&model, 2128);
    group.bench_function("dense_eigen", |b| {
        b.iter(|| analyse(&model, black_box(&x), zero))
    });
    group.bench_function("ldlt_index", |b| {
        b.iter(|| {
            let mut h = vec![0.0; n * n];
            model.hessian(black_box(&x), &mut h);
            modes_by_inertia(&h, n, zero)
        })
    });
    group.bench_function("ldlt_index_and_log_det", |b| {
        b.iter(|| {
            let mut h = vec![0.0; n * n];
            model.hessian(black_box(&x), &mut h);
            (modes_by_inertia(&h, n, zero), inertia(&h, n, 0.0))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(15)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
