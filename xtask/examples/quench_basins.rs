//! How many evaluations a quench takes and how often it stays in the basin it started in.
//!
//! ```sh
//! cargo run --release -p xtask -- bench --no-run --sizes 2,16 --starts /tmp/starts
//! cargo run --release -p xtask --example quench_basins -- 2 /tmp/starts/starts-h2.f64 [ENDS...]
//! ```
//!
//! Quenches every start (XOR, λ = 1e-3, RMS gradient 1e-10) with the default L-BFGS and with a
//! few variants, and compares each end point with the end point of a reference quench whose
//! steps are capped at 0.01 (close to the gradient flow that defines a basin of attraction):
//! "same basin" counts the starts whose two end points lie within 1e-3 after symmetry
//! alignment. ENDS files (same raw format as the starts, for example the end points written by
//! `xtask/compare/scipy_lbfgsb.py --ends`) are compared with the same reference.

use losscape_core::{Convergence, Landscape, Minimiser};
use losscape_lbfgs::{Lbfgs, LbfgsParams};
use losscape_model::{Dataset, Perceptron};

fn read(path: &str) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n_h), Some(starts)) = (args.first().and_then(|a| a.parse().ok()), args.get(1)) else {
        eprintln!("usage: quench_basins N_H STARTS [ENDS...]");
        std::process::exit(2);
    };
    let model = Perceptron::new(Dataset::xor(), n_h, 1e-3).expect("valid network");
    let n = model.dim();
    let starts = read(starts);
    let stop = Convergence {
        rms_gradient: 1e-10,
        max_iterations: 100_000,
    };
    let quench = |p: LbfgsParams, x0: &[f64]| {
        let mut x = x0.to_vec();
        let out = Lbfgs::new(p).minimise(&model, &mut x, &stop);
        (x, out.map_or(0, |o| o.evaluations))
    };
    let reference: Vec<Vec<f64>> = starts
        .chunks_exact(n)
        .map(|x0| {
            let p = LbfgsParams {
                max_step: 0.01,
                ..LbfgsParams::default()
            };
            quench(p, x0).0
        })
        .collect();
    let same = |ends: &[Vec<f64>]| {
        ends.iter()
            .zip(&reference)
            .filter(|(e, r)| model.aligned_distance(r, e) < 1e-3)
            .count()
    };
    let d = LbfgsParams::default();
    for (label, p) in [
        ("default", d),
        ("memory 10", LbfgsParams { memory: 10, ..d }),
        ("max_step 0.5", LbfgsParams { max_step: 0.5, ..d }),
        ("max_step 1.0", LbfgsParams { max_step: 1.0, ..d }),
        (
            "relative_rise 1e9",
            LbfgsParams {
                relative_rise: 1e9,
                ..d
            },
        ),
    ] {
        let (ends, evals): (Vec<Vec<f64>>, Vec<usize>) =
            starts.chunks_exact(n).map(|x0| quench(p, x0)).unzip();
        println!(
            "losscape L-BFGS {label:18} E+G evals / quench {:6.1}   same basin as the reference: {}/{}",
            evals.iter().sum::<usize>() as f64 / evals.len().max(1) as f64,
            same(&ends),
            ends.len()
        );
    }
    for path in &args[2..] {
        let ends: Vec<Vec<f64>> = read(path).chunks_exact(n).map(<[f64]>::to_vec).collect();
        println!(
            "{path}: same basin as the reference: {}/{}",
            same(&ends),
            ends.len()
        );
    }
}
