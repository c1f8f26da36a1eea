//! Time of the elastic band alone, with a fingerprint of what it returns.
//!
//! ```sh
//! cargo run --release -p xtask --example band_time -- 32 [PAIRS] [REPEAT] [PATIENCE]
//! ```
//!
//! Quenches random XOR starts (λ = 1e-3, the seeds and start range of `cargo xtask bench`) until
//! PAIRS (default 6) pairs of consecutive distinct minima are found, as the bench's pair
//! attempts are made, then relaxes the band of every pair REPEAT times (default 3) and prints
//! the fastest time per band (with `[dneb] patience` = PATIENCE if given, else the default), the images and iterations per band, and an FNV-1a hash of every
//! bit of the returned bands (images, energies, maxima, iterations, RMS force), so that a change
//! meant to be pure speed can be checked to return bit-identical bands.

use std::time::Instant;

use losscape_core::{Landscape, Minimiser, seed};
use losscape_experiment::Config;
use losscape_hessian::analyse;
use losscape_lbfgs::Lbfgs;
use losscape_model::{Dataset, Perceptron};
use losscape_ts::dneb::{self, Band};

/// Master seed of `cargo xtask bench`'s random starts.
const SEED: u64 = 20180516;

fn fnv(hash: &mut u64, bits: u64) {
    for b in bits.to_le_bytes() {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x100_0000_01b3);
    }
}

fn fingerprint(hash: &mut u64, band: &Band) {
    for v in band.images.iter().flatten().chain(&band.energies) {
        fnv(hash, v.to_bits());
    }
    for &i in &band.maxima {
        fnv(hash, i as u64);
    }
    fnv(hash, band.iterations as u64);
    fnv(hash, band.rms_force.to_bits());
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .expect("usage: band_time N_H [PAIRS] [REPEAT] [PATIENCE]")
        })
        .collect();
    let n_h = *args
        .first()
        .expect("usage: band_time N_H [PAIRS] [REPEAT] [PATIENCE]");
    let wanted = args.get(1).copied().unwrap_or(6);
    let repeat = args.get(2).copied().unwrap_or(3).max(1);
    let config = Config::default();
    let model = Perceptron::new(Dataset::xor(), n_h, 1e-3).expect("valid network");
    let n = model.dim();
    let (stop, zero) = (config.quench.convergence(), config.checks.zero_eigenvalue);
    let range = config.basin_hopping.start_range;
    let lbfgs = Lbfgs::default();
    let mut minima: Vec<Vec<f64>> = Vec::new();
    let mut pairs = Vec::new();
    for i in 0.. {
        if pairs.len() == wanted || i > 100_000 {
            break;
        }
        let mut x: Vec<f64> = (0..n as u64)
            .map(|k| {
                let u =
                    (seed::derive(SEED, &[n_h as u64, i, k, 7]) >> 11) as f64 / (1u64 << 53) as f64;
                range * (2.0 * u - 1.0)
            })
            .collect();
        if lbfgs.minimise(&model, &mut x, &stop).is_err() || analyse(&model, &x, zero).index != 0 {
            continue;
        }
        if let Some(p) = minima.last()
            && model.aligned_distance(p, &x) > config.identity.distance_tolerance
        {
            pairs.push((minima.len() - 1, minima.len()));
        }
        minima.push(x);
    }
    let mut params = config.ts_params().dneb;
    if let Some(&p) = args.get(3) {
        params.patience = p;
    }
    let mut best = f64::INFINITY;
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let (mut images, mut iterations) = (0, 0);
    for r in 0..repeat {
        let mut h = 0xcbf2_9ce4_8422_2325_u64;
        let (mut im, mut it) = (0, 0);
        let started = Instant::now();
        for &(a, b) in &pairs {
            if let Ok(band) = dneb::run(&model, &minima[a], &minima[b], &params) {
                fingerprint(&mut h, &band);
                im += band.images.len() - 2;
                it += band.iterations;
            }
        }
        best = best.min(started.elapsed().as_secs_f64());
        assert!(r == 0 || h == hash, "bands differ between repeats");
        (hash, images, iterations) = (h, im, it);
    }
    let count = pairs.len().max(1) as f64;
    println!(
        "N_h = {n_h} (P = {n}), patience {}: {} bands, {:.2} ms / band (best of {repeat}), {:.1} images, \
         {:.0} iterations / band, fingerprint {hash:016x}",
        params.patience,
        pairs.len(),
        best * 1e3 / count,
        images as f64 / count,
        iterations as f64 / count,
    );
}
