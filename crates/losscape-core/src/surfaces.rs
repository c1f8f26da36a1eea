//! Small analytic surfaces whose stationary points are known, for testing every algorithm.
//!
//! | surface | minima | transition states |
//! |---|---|---|
//! | [`DoubleWell`] | (±1, 0), E = 0 | (0, 0), E = 1 |
//! | [`FourWell`] | (±1, ±1), E = 0 | (0, ±1), (±1, 0), E = 1 (and a maximum at 0) |
//! | [`MullerBrown`] | three, E ≈ -146.70, -108.17, -80.77 | two, E ≈ -72.25, -40.66 |
//!
//! [`DoubleWell::mirrored`] declares x -> -x a symmetry, so its two minima are one structure and
//! its saddle is a degenerate rearrangement, as happens on the network landscapes.

use crate::{Landscape, vec};

/// `E = (x² - 1)² + k y²`: two minima at (±1, 0) joined by one saddle at the origin.
#[derive(Debug, Clone, Copy)]
pub struct DoubleWell {
    /// Curvature across the path (`k`).
    pub k: f64,
    /// Whether the mirror x -> -x counts as a symmetry for alignment.
    pub mirror: bool,
}

impl Default for DoubleWell {
    fn default() -> Self {
        Self {
            k: 1.0,
            mirror: false,
        }
    }
}

impl DoubleWell {
    /// The double well with the mirror x -> -x as a symmetry.
    pub fn mirrored() -> Self {
        Self {
            k: 1.0,
            mirror: true,
        }
    }
}

impl Landscape for DoubleWell {
    fn dim(&self) -> usize {
        2
    }
    fn energy(&self, x: &[f64]) -> f64 {
        (x[0] * x[0] - 1.0).powi(2) + self.k * x[1] * x[1]
    }
    fn energy_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
        g[0] = 4.0 * x[0] * (x[0] * x[0] - 1.0);
        g[1] = 2.0 * self.k * x[1];
        self.energy(x)
    }
    fn hessian(&self, x: &[f64], h: &mut [f64]) {
        h.copy_from_slice(&[12.0 * x[0] * x[0] - 4.0, 0.0, 0.0, 2.0 * self.k]);
    }
    fn align(&self, reference: &[f64], x: &mut [f64]) -> f64 {
        let direct = vec::distance(reference, x);
        if self.mirror {
            let flipped = [-x[0], x[1]];
            let d = vec::distance(reference, &flipped);
            if d < direct {
                x[0] = -x[0];
                return d;
            }
        }
        direct
    }
}

/// `E = (x² - 1)² + (y² - 1)²`: four minima at (±1, ±1), four saddles at the edge midpoints
/// and a maximum (index 2) at the origin. Opposite corners need two transition states.
#[derive(Debug, Clone, Copy, Default)]
pub struct FourWell;

impl Landscape for FourWell {
    fn dim(&self) -> usize {
        2
    }
    fn energy(&self, x: &[f64]) -> f64 {
        (x[0] * x[0] - 1.0).powi(2) + (x[1] * x[1] - 1.0).powi(2)
    }
    fn energy_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
        g[0] = 4.0 * x[0] * (x[0] * x[0] - 1.0);
        g[1] = 4.0 * x[1] * (x[1] * x[1] - 1.0);
        self.energy(x)
    }
    fn hessian(&self, x: &[f64], h: &mut [f64]) {
        h.copy_from_slice(&[12.0 * x[0] * x[0] - 4.0, 0.0, 0.0, 12.0 * x[1] * x[1] - 4.0]);
    }
}

/// The Müller–Brown surface (Müller & Brown 1979), the classic test of saddle searches.
#[derive(Debug, Clone, Copy, Default)]
pub struct MullerBrown;

const MB_A: [f64; 4] = [-200.0, -100.0, -170.0, 15.0];
const MB_LA: [f64; 4] = [-1.0, -1.0, -6.5, 0.7];
const MB_LB: [f64; 4] = [0.0, 0.0, 11.0, 0.6];
const MB_LC: [f64; 4] = [-10.0, -10.0, -6.5, 0.7];
const MB_X0: [f64; 4] = [1.0, 0.0, -0.5, -1.0];
const MB_Y0: [f64; 4] = [0.0, 0.5, 1.5, 1.0];

impl MullerBrown {
    /// Approximate minima (literature values, 3 decimals).
    pub const MINIMA: [[f64; 2]; 3] = [[-0.558, 1.442], [0.623, 0.028], [-0.050, 0.467]];
    /// Approximate transition states (literature values, 3 decimals).
    pub const SADDLES: [[f64; 2]; 2] = [[-0.822, 0.624], [0.212, 0.293]];
}

impl Landscape for MullerBrown {
    fn dim(&self) -> usize {
        2
    }
    fn energy(&self, x: &[f64]) -> f64 {
        let mut g = [0.0; 2];
        self.energy_gradient(x, &mut g)
    }
    fn energy_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let (mut e, mut gx, mut gy) = (0.0, 0.0, 0.0);
        for i in 0..4 {
            let (dx, dy) = (x[0] - MB_X0[i], x[1] - MB_Y0[i]);
            let t = MB_A[i] * (MB_LA[i] * dx * dx + MB_LB[i] * dx * dy + MB_LC[i] * dy * dy).exp();
            e += t;
            gx += t * (2.0 * MB_LA[i] * dx + MB_LB[i] * dy);
            gy += t * (MB_LB[i] * dx + 2.0 * MB_LC[i] * dy);
        }
        g[0] = gx;
        g[1] = gy;
        e
    }
    fn hessian(&self, x: &[f64], h: &mut [f64]) {
        let (mut hxx, mut hxy, mut hyy) = (0.0, 0.0, 0.0);
        for i in 0..4 {
            let (dx, dy) = (x[0] - MB_X0[i], x[1] - MB_Y0[i]);
            let t = MB_A[i] * (MB_LA[i] * dx * dx + MB_LB[i] * dx * dy + MB_LC[i] * dy * dy).exp();
            let px = 2.0 * MB_LA[i] * dx + MB_LB[i] * dy;
            let py = MB_LB[i] * dx + 2.0 * MB_LC[i] * dy;
            hxx += t * (px * px + 2.0 * MB_LA[i]);
            hxy += t * (px * py + MB_LB[i]);
            hyy += t * (py * py + 2.0 * MB_LC[i]);
        }
        h.copy_from_slice(&[hxx, hxy, hxy, hyy]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fd;

    fn surfaces() -> Vec<Box<dyn Landscape>> {
        vec![
            Box::new(DoubleWell::default()),
            Box::new(FourWell),
            Box::new(MullerBrown),
        ]
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for s in surfaces() {
            for p in [[0.3, -0.7], [-0.9, 1.2], [0.05, 0.45]] {
                let scale = s.energy(&p).abs().max(1.0);
                assert!(fd::gradient_error(s.as_ref(), &p, 1e-6) < 1e-6 * scale);
                assert!(fd::hessian_error(s.as_ref(), &p, 1e-6) < 1e-5 * scale);
            }
        }
    }

    #[test]
    fn known_points_are_stationary() {
        let mut g = [0.0; 2];
        assert_eq!(
            DoubleWell::default().energy_gradient(&[0.0, 0.0], &mut g),
            1.0
        );
        assert_eq!(g, [0.0, 0.0]);
        assert_eq!(FourWell.energy_gradient(&[1.0, -1.0], &mut g), 0.0);
        assert_eq!(g, [0.0, 0.0]);
        for p in MullerBrown::MINIMA.iter().chain(&MullerBrown::SADDLES) {
            MullerBrown.energy_gradient(p, &mut g);
            // Three-decimal literature coordinates: the gradient is small, not zero.
            assert!(vec::norm(&g) < 5.0, "{p:?} {g:?}");
        }
    }

    #[test]
    fn mirror_alignment_maps_minima_together() {
        let s = DoubleWell::mirrored();
        let mut x = [-1.0, 0.0];
        assert_eq!(s.align(&[1.0, 0.0], &mut x), 0.0);
        assert_eq!(x, [1.0, 0.0]);
        assert_eq!(
            DoubleWell::default().aligned_distance(&[1.0, 0.0], &[-1.0, 0.0]),
            2.0
        );
    }
}
