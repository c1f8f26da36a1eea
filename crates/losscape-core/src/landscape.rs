use crate::vec;

/// An energy surface over a flat coordinate vector of fixed length.
///
/// Implementations must be pure functions of the coordinates (no interior state), so that one
/// landscape can be shared by many threads and every search is reproducible. The trait is
/// object-safe: minimiser plugins and wrappers take `&dyn Landscape`.
pub trait Landscape: Send + Sync {
    /// Number of coordinates.
    fn dim(&self) -> usize;

    /// Energy at `x` (`x.len() == self.dim()`).
    fn energy(&self, x: &[f64]) -> f64;

    /// Energy at `x`, with the gradient written into `grad` (same length as `x`).
    ///
    /// Hot path: implementations should not allocate.
    fn energy_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64;

    /// Dense Hessian at `x`, written row-major into `hess` (length `dim * dim`, symmetric).
    fn hessian(&self, x: &[f64], hess: &mut [f64]);

    /// Hessian-vector product `H(x) v`, written into `out` (all three of length `dim`).
    ///
    /// The default builds the dense Hessian, which costs O(dim²) time and memory per product:
    /// fine for small analytic surfaces, wrong for large models. Landscapes that are searched
    /// at a few hundred coordinates override it with an O(dim) product (the perceptron uses
    /// the R-operator), which is what makes the Hessian-free eigenvector methods pay off.
    fn hessian_vector(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        let n = self.dim();
        let mut h = vec![0.0; n * n];
        self.hessian(x, &mut h);
        for (o, row) in out.iter_mut().zip(h.chunks_exact(n)) {
            *o = vec::dot(row, v);
        }
    }

    /// Rewrites `x` into the symmetry-equivalent copy closest to `reference` and returns the
    /// Euclidean distance between them after alignment.
    ///
    /// Surfaces without symmetries keep the default, which leaves `x` alone.
    fn align(&self, reference: &[f64], x: &mut [f64]) -> f64 {
        vec::distance(reference, x)
    }

    /// Distance between two points after optimal symmetry alignment; neither input changes.
    fn aligned_distance(&self, a: &[f64], b: &[f64]) -> f64 {
        let mut copy = b.to_vec();
        self.align(a, &mut copy)
    }
}

/// A landscape seen only in the subspace orthogonal to a set of orthonormal directions.
///
/// The energy is unchanged; the gradient has its components along the directions removed.
/// Hybrid eigenvector-following minimises in the tangent space of the uphill eigenvector with
/// exactly this view.
pub struct Restricted<'a> {
    inner: &'a dyn Landscape,
    directions: Vec<Vec<f64>>,
}

impl<'a> Restricted<'a> {
    /// Wraps `inner`, projecting out `directions` (each must be unit length and mutually
    /// orthogonal).
    pub fn new(inner: &'a dyn Landscape, directions: Vec<Vec<f64>>) -> Self {
        Self { inner, directions }
    }

    /// Removes the restricted directions from `v` in place.
    pub fn project(&self, v: &mut [f64]) {
        for d in &self.directions {
            let c = vec::dot(d, v);
            vec::axpy(-c, d, v);
        }
    }
}

impl Landscape for Restricted<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn energy(&self, x: &[f64]) -> f64 {
        self.inner.energy(x)
    }
    fn energy_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let e = self.inner.energy_gradient(x, grad);
        self.project(grad);
        e
    }
    fn hessian(&self, x: &[f64], hess: &mut [f64]) {
        // P H P with P = I - sum d d^T, so the restricted directions carry zero curvature.
        self.inner.hessian(x, hess);
        let n = self.dim();
        let mut col = vec![0.0; n];
        for j in 0..n {
            for i in 0..n {
                col[i] = hess[i * n + j];
            }
            self.project(&mut col);
            for i in 0..n {
                hess[i * n + j] = col[i];
            }
        }
        let mut row = vec![0.0; n];
        for i in 0..n {
            row.copy_from_slice(&hess[i * n..(i + 1) * n]);
            self.project(&mut row);
            hess[i * n..(i + 1) * n].copy_from_slice(&row);
        }
    }
    fn hessian_vector(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        // P H P v, matching `hessian`.
        let mut pv = v.to_vec();
        self.project(&mut pv);
        self.inner.hessian_vector(x, &pv, out);
        self.project(out);
    }
    fn align(&self, reference: &[f64], x: &mut [f64]) -> f64 {
        vec::distance(reference, x)
    }
}
