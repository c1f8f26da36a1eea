//! One L-BFGS quench to an RMS gradient of 1e-10 on XOR for N_h = 2 … 32.
//!
//! An iteration quenches the same fixed set of random starts (uniform in the basin-hopping
//! start range), so the reported throughput is quenches per second averaged over starts whose
//! quench lengths differ widely. Run with `cargo bench -p losscape-lbfgs --bench quench`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use losscape_core::{Convergence, Minimiser, seed};
use losscape_lbfgs::Lbfgs;
use losscape_model::{Dataset, Perceptron};

const SIZES: [usize; 5] = [2, 4, 8, 16, 32];
const LAMBDA: f64 = 1e-3;
/// Starts quenched per iteration.
const STARTS: usize = 16;
/// Half-width of the start box: `BasinHoppingParams::default().start_range`.
const START_RANGE: f64 = 5.0;
/// The `[quench]` defaults of an experiment file.
const STOP: Convergence = Convergence {
    rms_gradient: 1e-10,
    max_iterations: 20_000,
};

/// `STARTS` reproducible points uniform in `[-START_RANGE, START_RANGE]^n`, concatenated.
fn starts(n: usize, master: u64) -> Vec<f64> {
    (0..(n * STARTS) as u64)
        .map(|i| {
            let u = (seed::derive(master, &[i]) >> 11) as f64 / (1u64 << 53) as f64;
            START_RANGE * (2.0 * u - 1.0)
        })
        .collect()
}

fn quench(c: &mut Criterion) {
    let lbfgs = Lbfgs::default();
    let mut group = c.benchmark_group("lbfgs_quench_xor");
    // Milliseconds per iteration: equal-sized samples, no linear ramp of iteration counts.
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(STARTS as u64));
    for nh in SIZES {
        let Ok(model) = Perceptron::new(Dataset::xor(), nh, LAMBDA) else {
            continue;
        };
        let n = model.dim();
        let x0 = starts(n, 1000 + nh as u64);
        let mut x = x0.clone();
        group.bench_with_input(BenchmarkId::from_parameter(nh), &x0, |b, x0| {
            b.iter(|| {
                x.copy_from_slice(x0);
                let mut evaluations = 0;
                for xs in x.chunks_exact_mut(n) {
                    if let Ok(out) = lbfgs.minimise(&model, xs, &STOP) {
                        evaluations += out.evaluations;
                    }
                }
                black_box(evaluations)
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
    targets = quench
}
criterion_main!(benches);
