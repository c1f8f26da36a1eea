//! The model's hot paths on XOR: energy + gradient and the dense Hessian for N_h = 2 … 32, and
//! the energy + gradient against a hand-written scalar loop at N_h = 4.
//!
//! The model's `energy_gradient` should stay within 1.5x of `hand_written`; run with
//! `cargo bench -p losscape-model --bench energy_gradient`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use losscape_core::{Landscape, seed};
use losscape_model::{Dataset, Perceptron};

const NH: usize = 4;
const LAMBDA: f64 = 1e-4;
const XS: [[f64; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
const CS: [usize; 4] = [0, 1, 1, 0];

/// Network widths of the scaling benchmarks.
const SIZES: [usize; 5] = [2, 4, 8, 16, 32];
/// Penalty of the scaling benchmarks (the value of the XOR landscapes).
const SCALING_LAMBDA: f64 = 1e-3;

/// The XOR loss and gradient with every size a constant, in GMIN order.
fn hand_written(w: &[f64], g: &mut [f64]) -> f64 {
    let (o_ho, o_bh, o_bo) = (2 * NH, 4 * NH, 5 * NH);
    g.fill(0.0);
    let mut e = 0.0;
    for (x, &c) in XS.iter().zip(&CS) {
        let mut h = [0.0; NH];
        for j in 0..NH {
            h[j] = (w[o_bh + j] + w[2 * j] * x[0] + w[2 * j + 1] * x[1]).tanh();
        }
        let mut y = [w[o_bo], w[o_bo + 1]];
        for i in 0..2 {
            for j in 0..NH {
                y[i] += w[o_ho + i * NH + j] * h[j];
            }
        }
        let m = y[0].max(y[1]);
        let lse = m + ((y[0] - m).exp() + (y[1] - m).exp()).ln();
        e += lse - y[c];
        let mut dy = [(y[0] - lse).exp() / 4.0, (y[1] - lse).exp() / 4.0];
        dy[c] -= 0.25;
        for i in 0..2 {
            g[o_bo + i] += dy[i];
            for j in 0..NH {
                g[o_ho + i * NH + j] += dy[i] * h[j];
            }
        }
        for j in 0..NH {
            let b = (dy[0] * w[o_ho + j] + dy[1] * w[o_ho + NH + j]) * (1.0 - h[j] * h[j]);
            g[o_bh + j] += b;
            g[2 * j] += b * x[0];
            g[2 * j + 1] += b * x[1];
        }
    }
    let mut penalty = 0.0;
    for (gk, &wk) in g.iter_mut().zip(w) {
        penalty += wk * wk;
        *gk += 2.0 * LAMBDA * wk;
    }
    e / 4.0 + LAMBDA * penalty
}

/// A reproducible point with coordinates uniform in `[-2, 2]`, the scale of XOR minima.
fn point(n: usize, stream: u64) -> Vec<f64> {
    (0..n as u64)
        .map(|i| {
            let u = (seed::derive(stream, &[i]) >> 11) as f64 / (1u64 << 53) as f64;
            4.0 * u - 2.0
        })
        .collect()
}

fn versus_hand_loop(c: &mut Criterion) {
    let Ok(model) = Perceptron::new(Dataset::xor(), NH, LAMBDA) else {
        return;
    };
    let n = model.dim();
    let w: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 13) as f64 / 6.5 - 1.0)
        .collect();
    let (mut g1, mut g2) = (vec![0.0; n], vec![0.0; n]);
    let e1 = model.energy_gradient(&w, &mut g1);
    let e2 = hand_written(&w, &mut g2);
    assert!(
        (e1 - e2).abs() < 1e-14,
        "the baseline computes a different energy"
    );
    c.bench_function("xor_nh4/model", |b| {
        b.iter(|| model.energy_gradient(black_box(&w), black_box(&mut g1)))
    });
    c.bench_function("xor_nh4/hand_written", |b| {
        b.iter(|| hand_written(black_box(&w), black_box(&mut g2)))
    });
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("xor_energy_gradient");
    for nh in SIZES {
        let Ok(model) = Perceptron::new(Dataset::xor(), nh, SCALING_LAMBDA) else {
            continue;
        };
        let w = point(model.dim(), nh as u64);
        let mut g = vec![0.0; model.dim()];
        group.bench_with_input(BenchmarkId::from_parameter(nh), &w, |b, w| {
            b.iter(|| model.energy_gradient(black_box(w), black_box(&mut g)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("xor_hessian");
    for nh in SIZES {
        let Ok(model) = Perceptron::new(Dataset::xor(), nh, SCALING_LAMBDA) else {
            continue;
        };
        let n = model.dim();
        let w = point(n, nh as u64);
        let mut h = vec![0.0; n * n];
        group.bench_with_input(BenchmarkId::from_parameter(nh), &w, |b, w| {
            b.iter(|| model.hessian(black_box(w), black_box(&mut h)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Nanosecond kernels: a short window still gives tight intervals, and keeps `cargo bench`
    // quick on small machines.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = versus_hand_loop, scaling
}
criterion_main!(benches);
