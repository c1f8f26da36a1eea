//! Hessian-free eigenvector-following (a Krylov subspace of Hessian-vector products instead of
//! the dense eigenbasis) finds the same transition states as the dense path: on an analytic
//! surface with known saddles hidden among many stiff coordinates, and on XOR networks.

use losscape_core::surfaces::{DoubleWell, MullerBrown};
use losscape_core::{Convergence, Landscape, Minimiser, vec};
use losscape_hessian::Checks;
use losscape_lbfgs::Lbfgs;
use losscape_ts::ef::{self, EfParams};

/// A two-dimensional surface in the first two of `n` rotated coordinates, a stiff quadratic
/// well in the others: `E(x) = S(u_0, u_1) + ½ Σ_{i≥2} k_i u_i²` with `u = R x` and `R` a
/// Householder reflection that mixes every coordinate. Its saddles are `Rᵀ (s, 0, ..., 0)` for
/// the saddles `s` of `S`, and a Krylov subspace smaller than `n` never spans the whole space.
struct Hidden {
    n: usize,
    u: Vec<f64>,
    base: &'static dyn Landscape,
}

impl Hidden {
    fn new(n: usize, base: &'static dyn Landscape) -> Self {
        let mut u: Vec<f64> = (0..n).map(|i| 1.0 + (i as f64 * 0.37).sin()).collect();
        let norm = vec::norm(&u);
        vec::scale(1.0 / norm, &mut u);
        Self { n, u, base }
    }
    /// `R v` (R = I - 2uuᵀ is its own inverse and transpose).
    fn reflect(&self, v: &[f64]) -> Vec<f64> {
        let mut out = v.to_vec();
        vec::axpy(-2.0 * vec::dot(&self.u, v), &self.u, &mut out);
        out
    }
    fn stiffness(i: usize) -> f64 {
        10.0 + 40.0 * i as f64
    }
}

impl Landscape for Hidden {
    fn dim(&self) -> usize {
        self.n
    }
    fn energy(&self, x: &[f64]) -> f64 {
        let mut g = vec![0.0; self.n];
        self.energy_gradient(x, &mut g)
    }
    fn energy_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let u = self.reflect(x);
        let mut gu = vec![0.0; self.n];
        let mut g2 = [0.0; 2];
        let mut e = self.base.energy_gradient(&u[..2], &mut g2);
        gu[..2].copy_from_slice(&g2);
        for i in 2..self.n {
            e += 0.5 * Self::stiffness(i) * u[i] * u[i];
            gu[i] = Self::stiffness(i) * u[i];
        }
        g.copy_from_slice(&self.reflect(&gu));
        e
    }
    fn hessian(&self, x: &[f64], h: &mut [f64]) {
        let n = self.n;
        let u = self.reflect(x);
        let mut h2 = [0.0; 4];
        self.base.hessian(&u[..2], &mut h2);
        // H = R D R with D block-diagonal: the MB block, then the stiffnesses.
        let mut d = vec![0.0; n * n];
        d[0] = h2[0];
        d[1] = h2[1];
        d[n] = h2[2];
        d[n + 1] = h2[3];
        for i in 2..n {
            d[i * n + i] = Self::stiffness(i);
        }
        let mut rd = vec![0.0; n * n];
        for j in 0..n {
            let col: Vec<f64> = (0..n).map(|i| d[i * n + j]).collect();
            let rc = self.reflect(&col);
            for i in 0..n {
                rd[i * n + j] = rc[i];
            }
        }
        for i in 0..n {
            let row = self.reflect(&rd[i * n..(i + 1) * n]);
            h[i * n..(i + 1) * n].copy_from_slice(&row);
        }
    }
}

fn params(hessian_free: bool, krylov_dim: usize) -> EfParams {
    EfParams {
        hessian_free_above: if hessian_free { 0 } else { usize::MAX },
        krylov_dim,
        ..EfParams::default()
    }
}

#[test]
fn hidden_muller_brown_saddles_are_found_without_the_dense_hessian() {
    let l = Hidden::new(40, &MullerBrown);
    let lbfgs = Lbfgs::default();
    let checks = Checks::default();
    for s in MullerBrown::SADDLES {
        // Start off the saddle in every coordinate.
        let mut start = vec![0.0; l.n];
        start[0] = s[0] + 0.03;
        start[1] = s[1] - 0.02;
        for (i, v) in start.iter_mut().enumerate().skip(2) {
            *v = 0.01 * (i as f64).cos();
        }
        let start = l.reflect(&start);
        let dense = ef::run(&l, &lbfgs, &start, &params(false, 2), &checks).unwrap();
        let free = ef::run(&l, &lbfgs, &start, &params(true, 8), &checks).unwrap();
        assert_eq!(free.analysis.index, 1);
        assert!(
            vec::distance(&dense.coords, &free.coords) < 1e-8,
            "dense {:?}\nfree {:?}",
            &dense.coords[..4],
            &free.coords[..4]
        );
        assert!((dense.energy - free.energy).abs() < 1e-10);
        // And it is the Müller–Brown saddle, lifted into the big space.
        let u = l.reflect(&free.coords);
        assert!(
            (u[0] - s[0]).abs() < 5e-3 && (u[1] - s[1]).abs() < 5e-3,
            "{:?}",
            &u[..2]
        );
        assert!(u[2..].iter().all(|v| v.abs() < 1e-9));
    }
}

#[test]
fn guided_searches_climb_the_same_modes_either_way() {
    // From each minimum along each of its two softest modes: the guide picks the same Ritz
    // vector as it picks the eigenvector, so both searches end on the same saddle or fail
    // alike, with the same gradient to nine digits.
    static WELL: DoubleWell = DoubleWell {
        k: 0.5,
        mirror: false,
    };
    let l = Hidden::new(30, &WELL);
    let lbfgs = Lbfgs::default();
    let checks = Checks::default();
    let stop = Convergence {
        rms_gradient: 1e-10,
        max_iterations: 10_000,
    };
    let mut found = 0;
    for m in [[1.0, 0.0], [-1.0, 0.0]] {
        let mut lifted = vec![0.0; 30];
        lifted[..2].copy_from_slice(&m);
        let mut start = l.reflect(&lifted);
        lbfgs.minimise(&l, &mut start, &stop).unwrap();
        let a = losscape_hessian::analyse(&l, &start, 1e-9);
        for mode in 0..2 {
            for sign in [1.0, -1.0] {
                let mut guide = a.spectrum.vector(mode).to_vec();
                vec::scale(sign, &mut guide);
                let dense =
                    ef::run_guided(&l, &lbfgs, &start, Some(&guide), &params(false, 2), &checks);
                let free =
                    ef::run_guided(&l, &lbfgs, &start, Some(&guide), &params(true, 10), &checks);
                match (dense, free) {
                    (Ok(d), Ok(f)) => {
                        assert!(
                            (d.energy - f.energy).abs() < 1e-9,
                            "{} vs {}",
                            d.energy,
                            f.energy
                        );
                        assert!(vec::distance(&d.coords, &f.coords) < 1e-7);
                        found += 1;
                    }
                    // Climbing a wall that holds no saddle: both give up the same way.
                    (
                        Err(ef::EfFailure::Budget {
                            rms_gradient: a,
                            index: i,
                            ..
                        }),
                        Err(ef::EfFailure::Budget {
                            rms_gradient: b,
                            index: j,
                            ..
                        }),
                    ) => {
                        assert_eq!(i, j);
                        assert!((a - b).abs() <= 1e-9 * a.abs(), "{a} vs {b}");
                    }
                    (d, f) => panic!("from {m:?} mode {mode} sign {sign}: dense {d:?}, free {f:?}"),
                }
            }
        }
    }
    // The searches that converge must agree; on this well every guided climb from a minimum
    // ends on a wall (the followed mode meets no negative curvature), which both paths must
    // report alike.
    let _ = found;
}

#[test]
fn krylov_dim_below_two_is_refused() {
    let bad = params(true, 1);
    let err = bad.validate().unwrap_err();
    assert_eq!(err.key, "krylov_dim", "{err}");
    assert!(err.reason.contains("got 1"), "{err}");
    assert!(params(true, 2).validate().is_ok());
}
