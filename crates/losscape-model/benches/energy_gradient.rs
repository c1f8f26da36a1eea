//! The hot path against a hand-written scalar loop for XOR with 4 hidden units.
//!
//! The model's `energy_gradient` should stay within 1.5x of `hand_written`; run with
//! `cargo bench -p losscape-model`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use losscape_core::Landscape;
use losscape_model::{Dataset, Perceptron};

const NH: usize = 4;
const LAMBDA: f64 = 1e-4;
const XS: [[f64; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
const CS: [usize; 4] = [0, 1, 1, 0];

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

fn bench(c: &mut Criterion) {
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

criterion_group!(benches, bench);
criterion_main!(benches);
