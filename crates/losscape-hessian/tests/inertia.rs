//! Inertia and log-determinant from the `LBLᵀ` factorisation against the eigendecomposition.

use losscape_core::{Convergence, Landscape, Minimiser, seed};
use losscape_hessian::{Checks, analyse, inertia, modes_by_inertia, symmetric_eigen};
use losscape_lbfgs::Lbfgs;
use losscape_model::{Dataset, Perceptron};

fn uniform(master: u64, i: u64) -> f64 {
    (seed::derive(master, &[i]) >> 11) as f64 / (1u64 << 53) as f64
}

/// A random symmetric matrix `Q diag(values) Qᵀ` (Q from the eigenvectors of a random matrix).
fn with_spectrum(values: &[f64], master: u64) -> Vec<f64> {
    let n = values.len();
    let mut r = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let v = 2.0 * uniform(master, (i * n + j) as u64) - 1.0;
            r[i * n + j] = v;
            r[j * n + i] = v;
        }
    }
    let q = symmetric_eigen(&r, n);
    let mut h = vec![0.0; n * n];
    for (k, &ev) in values.iter().enumerate() {
        let v = q.vector(k);
        for (row, &vi) in h.chunks_exact_mut(n).zip(v) {
            for (hij, &vj) in row.iter_mut().zip(v) {
                *hij += ev * vi * vj;
            }
        }
    }
    h
}

fn eigen_counts(h: &[f64], n: usize) -> (usize, usize, usize, f64) {
    let s = symmetric_eigen(h, n);
    let neg = s.values.iter().filter(|&&v| v < 0.0).count();
    let pos = s.values.iter().filter(|&&v| v > 0.0).count();
    let ln: f64 = s.values.iter().map(|v| v.abs().ln()).sum();
    (neg, n - neg - pos, pos, ln)
}

#[test]
fn random_symmetric_matrices_match_the_eigendecomposition() {
    for (case, n) in [1usize, 2, 3, 7, 20, 61, 150].into_iter().enumerate() {
        let master = 100 + case as u64;
        let h: Vec<f64> = {
            let mut h = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..=i {
                    let v = 2.0 * uniform(master, (i * n + j) as u64) - 1.0;
                    h[i * n + j] = v;
                    h[j * n + i] = v;
                }
            }
            h
        };
        let got = inertia(&h, n, 0.0).expect("finite");
        let (neg, zero, pos, ln) = eigen_counts(&h, n);
        assert_eq!(
            (got.negative, got.zero, got.positive),
            (neg, zero, pos),
            "n = {n}"
        );
        assert!(
            (got.ln_abs_det - ln).abs() <= 1e-9 * (1.0 + ln.abs()),
            "n = {n}: {} vs {ln}",
            got.ln_abs_det
        );
    }
}

#[test]
fn shifted_counts_follow_the_zero_tolerance() {
    // Known spectrum with eigenvalues just inside and just outside ±tol.
    let tol = 1e-6;
    let values = [-3.0, -2e-6, -5e-7, 0.0, 4e-7, 2e-6, 0.5, 7.0, 1e3];
    let h = with_spectrum(&values, 7);
    let n = values.len();
    let (index, zero) = modes_by_inertia(&h, n, tol).expect("finite");
    assert_eq!((index, zero), (2, 3));
    let a = analyse(&Matrix(h, n), &vec![0.0; n], tol);
    assert_eq!((a.index, a.zero_modes), (index, zero));
    // Non-finite input is refused, as `verify` refuses a non-finite spectrum.
    let mut bad = vec![1.0; 4];
    bad[1] = f64::NAN;
    assert!(inertia(&bad, 2, 0.0).is_none());
    assert!(modes_by_inertia(&bad, 2, tol).is_none());
}

/// A landscape whose Hessian is a fixed matrix (to run `analyse` on it).
struct Matrix(Vec<f64>, usize);
impl Landscape for Matrix {
    fn dim(&self) -> usize {
        self.1
    }
    fn energy(&self, _x: &[f64]) -> f64 {
        0.0
    }
    fn energy_gradient(&self, _x: &[f64], g: &mut [f64]) -> f64 {
        g.fill(0.0);
        0.0
    }
    fn hessian(&self, _x: &[f64], h: &mut [f64]) {
        h.copy_from_slice(&self.0);
    }
}

#[test]
fn xor_hessians_match_the_eigendecomposition() {
    let tol = Checks::default().zero_eigenvalue;
    let stop = Convergence {
        rms_gradient: 1e-10,
        max_iterations: 20_000,
    };
    for (n_h, lambda) in [
        (2usize, 1e-3),
        (2, 1e-10),
        (3, 1e-3),
        (3, 1e-10),
        (8, 1e-3),
        (32, 1e-3),
    ] {
        let model = Perceptron::new(Dataset::xor(), n_h, lambda).expect("valid");
        let n = model.dim();
        // w = 0 is stationary; with a tiny penalty its Hessian has eigenvalues within the zero
        // tolerance (2λ along directions the data do not curve).
        let mut points = vec![vec![0.0; n]];
        for s in 0..6u64 {
            let x: Vec<f64> = (0..n as u64)
                .map(|i| 5.0 * (2.0 * uniform(900 + s, i) - 1.0))
                .collect();
            points.push(x.clone());
            let mut q = x;
            let _ = Lbfgs::default().minimise(&model, &mut q, &stop);
            points.push(q);
        }
        let mut seen = std::collections::BTreeSet::new();
        for x in &points {
            let a = analyse(&model, x, tol);
            let mut h = vec![0.0; n * n];
            model.hessian(x, &mut h);
            let (index, zero) = modes_by_inertia(&h, n, tol).expect("finite");
            assert_eq!((index, zero), (a.index, a.zero_modes), "N_h = {n_h}");
            seen.insert((index.min(2), zero.min(1)));
            if zero == 0 {
                let got = inertia(&h, n, 0.0).expect("finite");
                let ln: f64 = a.spectrum.values.iter().map(|v| v.abs().ln()).sum();
                assert!(
                    (got.ln_abs_det - ln).abs() <= 1e-8 * (1.0 + ln.abs()),
                    "N_h = {n_h}: {} vs {ln}",
                    got.ln_abs_det
                );
            }
        }
        // Minima and saddles occur, and with the tiny penalty the degenerate w = 0.
        assert!(
            lambda < 1e-9 || seen.contains(&(0, 0)),
            "N_h = {n_h}: {seen:?}"
        );
        assert!(seen.iter().any(|&(i, _)| i > 0), "N_h = {n_h}: {seen:?}");
        assert_eq!(
            seen.iter().any(|&(_, z)| z == 1),
            lambda < 1e-9,
            "N_h = {n_h}, λ = {lambda}: {seen:?}"
        );
    }
}
