//! Hessian-free eigenpairs: Rayleigh–Ritz on a block Krylov subspace built from
//! Hessian-vector products.
//!
//! A dense eigendecomposition costs O(P³) and a dense Hessian O(P²) memory; at a few hundred
//! parameters that dominates a transition-state search although it only needs the lowest mode
//! and the gradient's components along the stiff ones. The subspace here is spanned by a few
//! start vectors `s_1..s_b` (the previous lowest eigenvector, the gradient) and their images
//! `H s, H² s, ...`, orthonormalised as they are made (classical Gram–Schmidt applied twice,
//! so the basis stays orthogonal to round-off without Lanczos's loss of orthogonality). The
//! Rayleigh quotient `T = Qᵀ H Q` is diagonalised densely (it is at most `max_dim` square) and
//! its eigenpairs, mapped back by `Q`, are the Ritz pairs. Every start vector lies in the
//! subspace, so a vector started from (the gradient, say) is represented exactly; the lowest
//! Ritz value converges to the lowest eigenvalue from above, fastest when a start vector is
//! already close to its eigenvector (the warm start eigenvector-following provides).
//!
//! Cost: one Hessian-vector product per basis vector plus O(m² P) arithmetic for `m` basis
//! vectors; no P × P matrix is ever formed.

use losscape_core::{Landscape, vec};

use crate::symmetric_eigen;

/// Ritz pairs of the Hessian on a Krylov subspace (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Ritz {
    /// Ritz values, ascending.
    pub values: Vec<f64>,
    /// Ritz vectors, one per value: vector `k` is `vectors[k*n..(k+1)*n]`, unit length.
    pub vectors: Vec<f64>,
    /// `|H z_0 - θ_0 z_0|` of the lowest pair: how far it is from an exact eigenpair.
    pub residual: f64,
    /// Hessian-vector products spent.
    pub products: usize,
}

impl Ritz {
    /// Number of Ritz pairs (the subspace dimension).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the subspace is empty (every start vector was zero).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Ritz vector `k` (of `values[k]`).
    pub fn vector(&self, k: usize) -> &[f64] {
        let n = self.vectors.len() / self.values.len().max(1);
        &self.vectors[k * n..(k + 1) * n]
    }
}

/// The orthonormal basis and its Hessian images, grown one vector at a time.
struct Basis<'a> {
    l: &'a dyn Landscape,
    x: &'a [f64],
    n: usize,
    q: Vec<f64>,
    hq: Vec<f64>,
    /// `T = Qᵀ H Q`, row-major with stride `cap`.
    t: Vec<f64>,
    cap: usize,
    len: usize,
    scratch: Vec<f64>,
}

impl<'a> Basis<'a> {
    fn new(l: &'a dyn Landscape, x: &'a [f64], cap: usize) -> Self {
        let n = l.dim();
        Self {
            l,
            x,
            n,
            q: vec![0.0; cap * n],
            hq: vec![0.0; cap * n],
            t: vec![0.0; cap * cap],
            cap,
            len: 0,
            scratch: vec![0.0; n],
        }
    }

    fn q(&self, k: usize) -> &[f64] {
        &self.q[k * self.n..(k + 1) * self.n]
    }

    fn hq(&self, k: usize) -> &[f64] {
        &self.hq[k * self.n..(k + 1) * self.n]
    }

    /// Adds the part of `v` orthogonal to the basis, if it is not negligible; returns whether a
    /// vector was added.
    fn add(&mut self, v: &[f64]) -> bool {
        if self.len == self.cap {
            return false;
        }
        let original = vec::norm(v);
        if !(original.is_finite() && original > 0.0) {
            return false;
        }
        let mut w = std::mem::take(&mut self.scratch);
        w.copy_from_slice(v);
        vec::scale(1.0 / original, &mut w);
        // Twice is enough (Giraud et al. 2005): the result is orthogonal to working precision.
        for _ in 0..2 {
            for k in 0..self.len {
                let c = vec::dot(self.q(k), &w);
                vec::axpy(-c, &self.q[k * self.n..(k + 1) * self.n], &mut w);
            }
        }
        let norm = vec::norm(&w);
        // What is left after removing the basis is round-off: the subspace already holds v.
        let added = norm > 1e-8;
        if added {
            vec::scale(1.0 / norm, &mut w);
            let k = self.len;
            let n = self.n;
            self.q[k * n..(k + 1) * n].copy_from_slice(&w);
            let (x, l) = (self.x, self.l);
            l.hessian_vector(x, &w, &mut self.hq[k * n..(k + 1) * n]);
            for i in 0..=k {
                let tik = vec::dot(self.q(i), self.hq(k));
                self.t[i * self.cap + k] = tik;
                self.t[k * self.cap + i] = tik;
            }
            self.len += 1;
        }
        self.scratch = w;
        added
    }

    /// Ritz pairs of the current basis. `all` maps every Ritz vector back (else only the
    /// lowest, to measure its residual).
    fn ritz(&self, all: bool) -> Ritz {
        let (m, n) = (self.len, self.n);
        let mut t = vec![0.0; m * m];
        for i in 0..m {
            t[i * m..(i + 1) * m].copy_from_slice(&self.t[i * self.cap..i * self.cap + m]);
        }
        let small = symmetric_eigen(&t, m);
        let count = if all { m } else { m.min(1) };
        let mut vectors = vec![0.0; count * n];
        let mut residual = f64::NAN;
        let mut hz = vec![0.0; n];
        for k in 0..count {
            let y = small.vector(k);
            let z = &mut vectors[k * n..(k + 1) * n];
            for (j, &yj) in y.iter().enumerate() {
                vec::axpy(yj, self.q(j), z);
            }
            if k == 0 {
                hz.fill(0.0);
                for (j, &yj) in y.iter().enumerate() {
                    vec::axpy(yj, self.hq(j), &mut hz);
                }
                vec::axpy(-small.values[0], z, &mut hz);
                residual = vec::norm(&hz);
            }
        }
        Ritz {
            values: if all {
                small.values
            } else {
                small.values[..count].to_vec()
            },
            vectors,
            residual,
            products: m,
        }
    }
}

/// A fixed vector with no structure (a quasi-random sequence), reproducible.
///
/// Adding it to the start vectors keeps a Krylov subspace from being trapped in an invariant
/// subspace of the Hessian: at a point fixed by a symmetry (a dead hidden unit, two equal units,
/// the XOR input swap) the gradient and a symmetric mode span only the symmetric sector, and the
/// negative mode that leads off the symmetric subspace would never be seen.
pub fn generic_start(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 1.0 + (i as f64 * 0.618_034).fract())
        .collect()
}

/// Ritz pairs of the Hessian of `l` at `x` on the block Krylov subspace of `starts`.
///
/// The basis grows by whole blocks (the images of the newest vector of each start) until the
/// lowest Ritz pair's residual `|H z - θ z|` is at most `tolerance`, the subspace is invariant
/// (it then holds exact eigenpairs), or it has `max_dim` vectors. Every start vector lies in
/// the returned subspace. Deterministic: the same inputs give the same bits.
pub fn ritz(
    l: &dyn Landscape,
    x: &[f64],
    starts: &[&[f64]],
    max_dim: usize,
    tolerance: f64,
) -> Ritz {
    let n = l.dim();
    let mut basis = Basis::new(l, x, max_dim.clamp(1, n.max(1)));
    for s in starts {
        basis.add(s);
    }
    if basis.len == 0 {
        // Every start was zero: begin from a fixed vector, reproducibly.
        basis.add(&generic_start(n));
    }
    let mut next = 0;
    loop {
        let block = basis.len - next;
        if block == 0 || basis.len == basis.cap {
            break;
        }
        // Grow by one block: the image of each of the newest `block` vectors.
        let end = basis.len;
        let mut grew = false;
        while next < end {
            let image = basis.hq(next).to_vec();
            grew |= basis.add(&image);
            next += 1;
        }
        if !grew {
            break;
        }
        if tolerance > 0.0 && basis.ritz(false).residual <= tolerance {
            break;
        }
    }
    basis.ritz(true)
}

/// The lowest eigenpair of the Hessian of `l` at `x`, Hessian-free.
///
/// `warm` (for example the eigenvector found at a nearby point) starts the search; a good warm
/// start converges in a handful of products. The subspace is restarted from the best vector so
/// far up to `restarts` times while the residual exceeds `tolerance`. Returns the Ritz value,
/// its unit vector, the residual and the products spent.
pub fn lowest_mode(
    l: &dyn Landscape,
    x: &[f64],
    warm: Option<&[f64]>,
    max_dim: usize,
    tolerance: f64,
    restarts: usize,
) -> Ritz {
    let mut r = ritz(l, x, warm.as_slice(), max_dim, tolerance);
    let mut products = r.products;
    for _ in 0..restarts {
        if r.residual <= tolerance || r.len() < max_dim.min(l.dim()) {
            break;
        }
        let start = r.vector(0).to_vec();
        r = ritz(l, x, &[&start], max_dim, tolerance);
        products += r.products;
    }
    r.products = products;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_core::surfaces::{FourWell, MullerBrown};

    /// `E = ½ Σ d_i (Rx)_i²` for a fixed rotation-like orthogonal `R`: a quadratic with known
    /// eigenvalues `d` and eigenvectors the rows of `R`.
    struct Quadratic {
        d: Vec<f64>,
        /// Orthogonal matrix (rows are eigenvectors), row-major.
        r: Vec<f64>,
    }

    impl Quadratic {
        fn new(d: Vec<f64>) -> Self {
            let n = d.len();
            // A Householder reflection I - 2uuᵀ is orthogonal and mixes every coordinate.
            let u: Vec<f64> = (0..n).map(|i| ((i + 1) as f64).sqrt()).collect();
            let uu = vec::dot(&u, &u);
            let mut r = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    r[i * n + j] = f64::from(u8::from(i == j)) - 2.0 * u[i] * u[j] / uu;
                }
            }
            Self { d, r }
        }
        fn row(&self, i: usize) -> &[f64] {
            let n = self.d.len();
            &self.r[i * n..(i + 1) * n]
        }
    }

    impl Landscape for Quadratic {
        fn dim(&self) -> usize {
            self.d.len()
        }
        fn energy(&self, x: &[f64]) -> f64 {
            (0..self.dim())
                .map(|i| 0.5 * self.d[i] * vec::dot(self.row(i), x).powi(2))
                .sum()
        }
        fn energy_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
            g.fill(0.0);
            for i in 0..self.dim() {
                let c = vec::dot(self.row(i), x);
                vec::axpy(self.d[i] * c, self.row(i), g);
            }
            self.energy(x)
        }
        fn hessian(&self, _x: &[f64], h: &mut [f64]) {
            let n = self.dim();
            for a in 0..n {
                for b in 0..n {
                    h[a * n + b] = (0..n)
                        .map(|i| self.d[i] * self.r[i * n + a] * self.r[i * n + b])
                        .sum();
                }
            }
        }
    }

    #[test]
    fn finds_the_lowest_eigenpair_of_a_known_quadratic() {
        let n = 60;
        let mut d: Vec<f64> = (0..n).map(|i| 0.1 + i as f64 * 0.05).collect();
        d[37] = -0.7;
        let q = Quadratic::new(d);
        let x = vec![0.0; n];
        let r = lowest_mode(&q, &x, None, 30, 1e-10, 10);
        assert!((r.values[0] + 0.7).abs() < 1e-10, "{}", r.values[0]);
        assert!(r.residual <= 1e-10);
        let overlap = vec::dot(r.vector(0), q.row(37)).abs();
        assert!((overlap - 1.0).abs() < 1e-10, "overlap {overlap}");
        // A warm start next to the answer converges with far fewer products.
        let mut warm = q.row(37).to_vec();
        warm[0] += 1e-3;
        let w = lowest_mode(&q, &x, Some(&warm), 30, 1e-10, 10);
        assert!((w.values[0] + 0.7).abs() < 1e-10);
        assert!(w.products < r.products, "{} vs {}", w.products, r.products);
    }

    #[test]
    fn a_full_subspace_reproduces_the_dense_spectrum() {
        for (l, x) in [
            (&FourWell as &dyn Landscape, [0.3, -0.8]),
            (&MullerBrown, [-0.82, 0.62]),
        ] {
            let g = {
                let mut g = vec![0.0; 2];
                l.energy_gradient(&x, &mut g);
                g
            };
            let r = ritz(l, &x, &[&[1.0, 0.0], &g], 10, 0.0);
            let mut h = vec![0.0; 4];
            l.hessian(&x, &mut h);
            let dense = symmetric_eigen(&h, 2);
            assert_eq!(r.len(), 2);
            for k in 0..2 {
                assert!(
                    (r.values[k] - dense.values[k]).abs() < 1e-9 * dense.values[k].abs().max(1.0)
                );
                assert!((vec::dot(r.vector(k), dense.vector(k)).abs() - 1.0).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn every_start_vector_lies_in_the_subspace() {
        let n = 40;
        let q = Quadratic::new((0..n).map(|i| 1.0 + i as f64).collect());
        let x = vec![0.0; n];
        let g: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let e0: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i == 3))).collect();
        let r = ritz(&q, &x, &[&e0, &g], 8, 0.0);
        assert_eq!(r.len(), 8);
        // Expanding g in the Ritz vectors loses nothing.
        let mut back = vec![0.0; n];
        for k in 0..r.len() {
            vec::axpy(vec::dot(&g, r.vector(k)), r.vector(k), &mut back);
        }
        assert!(vec::distance(&back, &g) < 1e-12 * vec::norm(&g));
        // The lowest Ritz value bounds the lowest eigenvalue (1) from above.
        assert!(r.values[0] >= 1.0 - 1e-12);
        assert_eq!(r, ritz(&q, &x, &[&e0, &g], 8, 0.0), "deterministic");
    }
}
