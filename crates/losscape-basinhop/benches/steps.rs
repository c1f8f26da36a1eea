//! Basin-hopping throughput on XOR: steps (quenches) per second of one seeded chain.
//!
//! Each iteration runs a fresh chain with a fixed seed and a small step budget, and
//! `max_without_new` is raised to the budget so every chain takes exactly `STEPS` steps. Run
//! with `cargo bench -p losscape-basinhop --bench steps`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use losscape_basinhop::{BasinHoppingParams, run_chain};
use losscape_core::{Convergence, Identity};
use losscape_lbfgs::Lbfgs;
use losscape_model::{Dataset, Perceptron};

const SIZES: [usize; 3] = [2, 4, 8];
const LAMBDA: f64 = 1e-3;
/// Steps per chain.
const STEPS: usize = 40;
const SEED: u64 = 20180516;
/// The `[quench]` defaults of an experiment file.
const STOP: Convergence = Convergence {
    rms_gradient: 1e-10,
    max_iterations: 20_000,
};

fn bench(c: &mut Criterion) {
    let params = BasinHoppingParams {
        steps: STEPS,
        max_without_new: STEPS,
        ..BasinHoppingParams::default()
    };
    let lbfgs = Lbfgs::default();
    let identity = Identity::default();
    let mut group = c.benchmark_group("basin_hopping_xor");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(STEPS as u64));
    for nh in SIZES {
        let Ok(model) = Perceptron::new(Dataset::xor(), nh, LAMBDA) else {
            continue;
        };
        group.bench_with_input(BenchmarkId::from_parameter(nh), &model, |b, model| {
            b.iter(|| {
                let result = run_chain(
                    model,
                    &lbfgs,
                    &params,
                    &STOP,
                    &identity,
                    black_box(SEED),
                    &mut |_| {},
                );
                black_box(result.minima.len())
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
