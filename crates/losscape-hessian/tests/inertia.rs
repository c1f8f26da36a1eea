//! Inertia and log-determinant from the `LBLᵀ` factorisation against the eigendecomposition.

use losscape_core::surfaces::MullerBrown;
use losscape_core::{Convergence, Landscape, Minimiser, seed};
use losscape_hessian::{
    Checks, Kind, analyse, analyse_by_inertia, analyse_checked, inertia, modes_by_inertia,
    symmetric_eigen, verify,
};
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

/// Compares the analysis by inertia with the dense one wherever the former decides.
fn assert_same_analysis(l: &dyn Landscape, x: &[f64], tol: f64, what: &str) -> Option<usize> {
    let dense = analyse(l, x, tol);
    let light = analyse_by_inertia(l, x, tol, None)?;
    assert!(!light.spectrum.is_complete() || l.dim() == 1, "{what}");
    assert_eq!(
        (light.index, light.zero_modes),
        (dense.index, dense.zero_modes),
        "{what}"
    );
    assert_eq!(light.energy.to_bits(), dense.energy.to_bits(), "{what}");
    assert_eq!(
        light.rms_gradient.to_bits(),
        dense.rms_gradient.to_bits(),
        "{what}"
    );
    let (a, b) = (light.lowest_eigenvalue, dense.lowest_eigenvalue);
    assert!(
        (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
        "{what}: {a} vs {b}"
    );
    let cos = light
        .lowest_vector()
        .iter()
        .zip(dense.lowest_vector())
        .map(|(p, q)| p * q)
        .sum::<f64>();
    // The vector is unique only if the lowest eigenvalue is simple (always at index 1; XOR
    // minima often have a repeated lowest eigenvalue, 2λ along dead units).
    let gap = dense
        .spectrum
        .values
        .get(1)
        .map_or(f64::INFINITY, |v| v - b);
    if gap > 1e-6 {
        assert!(cos.abs() >= 1.0 - 1e-6, "{what}: |cos| = {}", cos.abs());
    }
    let (a, b) = (light.ln_prod_positive, dense.ln_prod_positive);
    assert!(
        (a - b).abs() <= 1e-8 * (1.0 + b.abs()),
        "{what}: {a} vs {b}"
    );
    Some(light.index)
}

#[test]
fn analysis_by_inertia_matches_the_dense_analysis() {
    let tol = Checks::default().zero_eigenvalue;
    // Müller-Brown: its minima and saddles are index 0 and 1, both decided by inertia.
    let mb = MullerBrown;
    for (points, index) in [
        (&MullerBrown::MINIMA[..], 0),
        (&MullerBrown::SADDLES[..], 1),
    ] {
        for p in points {
            let got = assert_same_analysis(&mb, p, tol, "Müller-Brown");
            assert_eq!(got, Some(index), "Müller-Brown at {p:?}");
        }
    }
    // XOR: quenched minima and random points (curvature of every index).
    let stop = Convergence {
        rms_gradient: 1e-10,
        max_iterations: 20_000,
    };
    let mut seen = [0usize; 2];
    for n_h in [2usize, 4, 8, 32] {
        let model = Perceptron::new(Dataset::xor(), n_h, 1e-3).expect("valid");
        let n = model.dim();
        for s in 0..6u64 {
            let amplitude = [0.3, 1.0, 2.0][s as usize % 3];
            let x: Vec<f64> = (0..n as u64)
                .map(|i| amplitude * (2.0 * uniform(700 + s, i) - 1.0))
                .collect();
            let mut q = x.clone();
            let _ = Lbfgs::default().minimise(&model, &mut q, &stop);
            // Points on the line between two minima: index 1 near the top.
            let other: Vec<f64> = q.iter().map(|v| -v).collect();
            let line = (1..8).map(|k| {
                let t = f64::from(k) / 8.0;
                q.iter()
                    .zip(&other)
                    .map(|(a, b)| a + t * (b - a))
                    .collect::<Vec<f64>>()
            });
            for p in [x, q.clone()].into_iter().chain(line) {
                let dense = analyse(&model, &p, tol);
                let got = assert_same_analysis(&model, &p, tol, &format!("N_h = {n_h}"));
                // Index 0 and 1 without zero modes are always decided by inertia; the rest
                // goes to the dense path.
                let decidable = dense.index <= 1 && dense.zero_modes == 0;
                assert_eq!(got.is_some(), decidable, "N_h = {n_h}: {dense:?}");
                if let Some(i) = got {
                    seen[i] += 1;
                }
            }
        }
    }
    assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");
}

#[test]
fn degenerate_points_go_to_the_dense_analysis() {
    // w = 0 with a tiny penalty has eigenvalues within the zero tolerance.
    let model = Perceptron::new(Dataset::xor(), 3, 1e-10).expect("valid");
    let origin = vec![0.0; model.dim()];
    let tol = Checks::default().zero_eigenvalue;
    assert!(analyse(&model, &origin, tol).zero_modes > 0);
    assert!(analyse_by_inertia(&model, &origin, tol, None).is_none());
    let checks = Checks {
        inertia_above: 0,
        ..Checks::default()
    };
    let a = analyse_checked(&model, &origin, &checks, None);
    assert!(
        a.spectrum.is_complete(),
        "the fallback is the full spectrum"
    );
    assert_eq!(a, analyse(&model, &origin, tol));
}

#[test]
fn verification_switches_to_inertia_above_the_threshold() {
    let model = Perceptron::new(Dataset::xor(), 4, 1e-3).expect("valid");
    let n = model.dim();
    let mut x: Vec<f64> = (0..n as u64).map(|i| uniform(31, i) - 0.5).collect();
    let stop = Convergence {
        rms_gradient: 1e-10,
        max_iterations: 20_000,
    };
    Lbfgs::default()
        .minimise(&model, &mut x, &stop)
        .expect("converges");
    let below = Checks {
        inertia_above: n,
        ..Checks::default()
    };
    let above = Checks {
        inertia_above: n - 1,
        ..Checks::default()
    };
    let dense = analyse_checked(&model, &x, &below, None);
    let light = analyse_checked(&model, &x, &above, None);
    assert!(dense.spectrum.is_complete());
    assert_eq!(dense.spectrum.values.len(), n);
    assert!(!light.spectrum.is_complete());
    assert_eq!(light.spectrum.values.len(), 1);
    assert_eq!(light.lowest_vector().len(), n);
    assert_eq!(verify(&dense, Kind::Minimum, &below), Ok(()));
    assert_eq!(verify(&light, Kind::Minimum, &above), Ok(()));
    assert!(verify(&light, Kind::TransitionState, &above).is_err());
}
