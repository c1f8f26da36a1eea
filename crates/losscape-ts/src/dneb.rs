//! Doubly-nudged elastic band (Trygubenko & Wales, J. Chem. Phys. 120, 2082, 2004).
//!
//! A chain of images is laid on the straight line between two minima and relaxed as a whole:
//! each interior image feels the true gradient perpendicular to the path, the spring force along
//! it (which keeps the images evenly spaced) and the doubly-nudged part of the perpendicular
//! spring force (the part orthogonal to the perpendicular true gradient, which stops the band
//! from kinking without pulling it off the path). The tangent is the improved, energy-weighted
//! tangent of Henkelman & Jónsson (J. Chem. Phys. 113, 9978, 2000).
//!
//! **Band optimiser.** The nudged forces are not the gradient of any function, so there is no
//! energy to guard a step with. The band is relaxed by L-BFGS on the nudged gradient alone (the
//! OPTIM choice): two-loop recursion on the stacked interior coordinates, the whole step scaled
//! down so no image moves more than `max_step`, memory reset whenever the proposed direction is
//! not downhill with respect to the nudged gradient, and curvature pairs with `s·y <= 0`
//! skipped. All buffers are allocated once per call.

use losscape_core::ParamError;
use losscape_core::param::{at_least, positive};
use losscape_core::{Landscape, vec};
use serde::{Deserialize, Serialize};

/// Elastic-band settings. `Default` holds the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DnebParams {
    /// Spring constant between neighbouring images.
    pub spring: f64,
    /// Interior images per unit of (aligned) endpoint distance.
    pub images_per_unit: f64,
    /// Fewest interior images.
    pub min_images: usize,
    /// Most interior images.
    pub max_images: usize,
    /// Stop once the RMS nudged gradient over all interior coordinates is at or below this.
    pub rms_force: f64,
    /// Iteration budget of the band optimiser.
    pub max_iterations: usize,
    /// Largest distance any image may move in one step.
    pub max_step: f64,
    /// L-BFGS memory of the band optimiser.
    pub memory: usize,
    /// Stop once this many iterations have passed without a new smallest RMS nudged gradient,
    /// and return the band of that smallest value (0, the default: run to `rms_force` or
    /// `max_iterations` and return the last band). 100 halves the band time at N_h = 32 and
    /// keeps the quick sweep's counts, but the paper sweep stored four fewer transition states
    /// with it, on three landscapes (docs/performance.md), so it is not the default.
    pub patience: usize,
}

impl Default for DnebParams {
    fn default() -> Self {
        Self {
            spring: 50.0,
            images_per_unit: 10.0,
            min_images: 5,
            max_images: 50,
            rms_force: 1e-3,
            max_iterations: 1000,
            max_step: 0.1,
            memory: 10,
            patience: 0,
        }
    }
}

impl DnebParams {
    /// Checks every field; the message names the key and the allowed values.
    pub fn validate(&self) -> Result<(), ParamError> {
        positive("spring", self.spring)?;
        positive("images_per_unit", self.images_per_unit)?;
        positive("rms_force", self.rms_force)?;
        positive("max_step", self.max_step)?;
        at_least("min_images", self.min_images, 1)?;
        if self.max_images < self.min_images {
            return Err(ParamError::new(
                "max_images",
                format!(
                    "must be >= min_images ({}) (got {})",
                    self.min_images, self.max_images
                ),
            ));
        }
        at_least("max_iterations", self.max_iterations, 1)?;
        at_least("memory", self.memory, 1)
    }

    /// Number of interior images for endpoints `distance` apart:
    /// `clamp(round(images_per_unit * distance), min_images, max_images)`.
    pub fn image_count(&self, distance: f64) -> usize {
        let raw = (self.images_per_unit * distance).round();
        // Casting a huge or NaN float saturates; clamp does the rest.
        let raw = if raw.is_finite() && raw > 0.0 {
            raw as usize
        } else {
            0
        };
        raw.clamp(self.min_images, self.max_images)
    }
}

/// A relaxed band.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Images including both endpoints (the second endpoint as aligned to the first).
    pub images: Vec<Vec<f64>>,
    /// Energy of each image.
    pub energies: Vec<f64>,
    /// Indices into `images` of interior local maxima of the energy, highest first: the
    /// transition-state candidates.
    pub maxima: Vec<usize>,
    /// Band-optimiser iterations used.
    pub iterations: usize,
    /// Final RMS nudged gradient.
    pub rms_force: f64,
    /// Whether `rms_force <= DnebParams::rms_force` was reached.
    pub converged: bool,
}

/// Why a band could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DnebError {
    /// The parameters are invalid.
    #[error("invalid DNEB parameters: {0}")]
    Params(losscape_core::ParamError),
    /// An endpoint does not match the landscape dimension.
    #[error("endpoint has length {got}, the landscape needs {expected}")]
    Dimension {
        /// Landscape dimension.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// After symmetry alignment the endpoints coincide: there is no path to relax.
    #[error("the endpoints coincide after alignment (distance {distance:e})")]
    CoincidentEndpoints {
        /// Aligned distance.
        distance: f64,
    },
    /// An energy or gradient became NaN or infinite.
    #[error("non-finite energy or gradient on the band after {iterations} iterations")]
    NonFinite {
        /// Iterations completed.
        iterations: usize,
    },
}

/// Endpoints closer than this (after alignment) are treated as the same point.
const COINCIDENT: f64 = 1e-12;

/// Builds and relaxes a band from `start` to `end`.
///
/// `end` is first aligned to `start` with [`Landscape::align`] (on a copy), so the band joins
/// `start` to the symmetry copy of `end` nearest to it; callers need not align beforehand.
pub fn run(
    l: &dyn Landscape,
    start: &[f64],
    end: &[f64],
    params: &DnebParams,
) -> Result<Band, DnebError> {
    params.validate().map_err(DnebError::Params)?;
    let n = l.dim();
    for p in [start, end] {
        if p.len() != n {
            return Err(DnebError::Dimension {
                expected: n,
                got: p.len(),
            });
        }
    }
    let mut end = end.to_vec();
    let distance = l.align(start, &mut end);
    // `partial_cmp` so that a NaN distance is rejected too.
    if distance.partial_cmp(&COINCIDENT) != Some(std::cmp::Ordering::Greater) {
        return Err(DnebError::CoincidentEndpoints { distance });
    }
    let m = params.image_count(distance);
    let total = m + 2;

    // Flat storage: image i occupies x[i*n..(i+1)*n]; images 0 and m+1 never move.
    let mut x = vec![0.0; total * n];
    for i in 0..total {
        let t = i as f64 / (m + 1) as f64;
        for k in 0..n {
            x[i * n + k] = start[k] + t * (end[k] - start[k]);
        }
    }
    let mut work = Work::new(n, m);
    let last = (m + 1) * n;
    work.e[0] = l.energy_gradient(&x[..n], &mut work.g[..n]);
    work.e[m + 1] = l.energy_gradient(&x[last..], &mut work.g[last..]);
    if !(work.e[0].is_finite() && work.e[m + 1].is_finite()) {
        return Err(DnebError::NonFinite { iterations: 0 });
    }

    let (iterations, rms) = relax(l, params, n, m, &mut x, &mut work)?;
    let images: Vec<Vec<f64>> = x.chunks_exact(n).map(<[f64]>::to_vec).collect();
    let energies = work.e.clone();
    let maxima = band_maxima(&energies);
    Ok(Band {
        images,
        energies,
        maxima,
        iterations,
        rms_force: rms,
        converged: rms <= params.rms_force,
    })
}

/// Relaxes the band `x` (endpoint energies and gradients already in `work`) with the band
/// L-BFGS; returns the iterations used and the final RMS nudged gradient, and leaves the
/// returned band's images in `x` and its energies in `work.e`.
fn relax(
    l: &dyn Landscape,
    params: &DnebParams,
    n: usize,
    m: usize,
    x: &mut [f64],
    work: &mut Work,
) -> Result<(usize, f64), DnebError> {
    let (first_interior, last) = (n, (m + 1) * n);
    let mut iterations = 0;
    let mut rms = nudged(l, params.spring, n, m, x, work);
    if !rms.is_finite() {
        return Err(DnebError::NonFinite { iterations });
    }
    let mut lbfgs = BandLbfgs::new(m * n, params.memory);
    // The band with the smallest RMS nudged gradient so far, returned if the optimiser stops
    // improving on it: the band optimiser has no energy to guard its steps with, and bands that
    // do not reach `rms_force` were measured to wander off (kinks, several maxima) after their
    // best state rather than settle.
    let (mut best_x, mut best_e, mut best_rms, mut best_at) = (x.to_vec(), work.e.clone(), rms, 0);
    while rms > params.rms_force && iterations < params.max_iterations {
        if params.patience > 0 {
            if rms < best_rms {
                best_x.copy_from_slice(x);
                best_e.copy_from_slice(&work.e);
                (best_rms, best_at) = (rms, iterations);
            } else if iterations - best_at >= params.patience {
                break;
            }
        }
        let interior = &mut x[first_interior..last];
        lbfgs.step(interior, &work.f, n, params.max_step);
        iterations += 1;
        rms = nudged(l, params.spring, n, m, x, work);
        if !rms.is_finite() {
            return Err(DnebError::NonFinite { iterations });
        }
        lbfgs.update(&x[first_interior..last], &work.f);
    }

    if params.patience > 0 && rms > best_rms {
        x.copy_from_slice(&best_x);
        work.e.copy_from_slice(&best_e);
        rms = best_rms;
    }
    Ok((iterations, rms))
}

/// Interior local maxima, highest first. A plateau of two equal images (as a symmetric band
/// produces around a symmetric barrier) counts once, at its last image.
pub fn band_maxima(e: &[f64]) -> Vec<usize> {
    let mut maxima: Vec<usize> = (1..e.len().saturating_sub(1))
        .filter(|&i| e[i] >= e[i - 1] && e[i] > e[i + 1])
        .collect();
    maxima.sort_by(|&a, &b| e[b].total_cmp(&e[a]).then(a.cmp(&b)));
    maxima
}

/// Per-call buffers of the force evaluation.
struct Work {
    /// Energy of every image.
    e: Vec<f64>,
    /// True gradient of every image.
    g: Vec<f64>,
    /// Nudged gradient of the interior images.
    f: Vec<f64>,
    tau: Vec<f64>,
    spring: Vec<f64>,
}

impl Work {
    fn new(n: usize, m: usize) -> Self {
        Self {
            e: vec![0.0; m + 2],
            g: vec![0.0; (m + 2) * n],
            f: vec![0.0; m * n],
            tau: vec![0.0; n],
            spring: vec![0.0; n],
        }
    }
}

/// Evaluates the interior images and writes the DNEB gradient into `w.f`; returns its RMS.
///
/// Each step below is computed with the same operations in the same order as the textbook
/// sequence of dot products and vector updates (see [`update_dot`]), only with fewer sweeps
/// over the image, and each distance between neighbours is computed once (the image after
/// reuses it): results are bit-identical.
fn nudged(l: &dyn Landscape, k: f64, n: usize, m: usize, x: &[f64], w: &mut Work) -> f64 {
    for i in 1..=m {
        w.e[i] = l.energy_gradient(&x[i * n..(i + 1) * n], &mut w.g[i * n..(i + 1) * n]);
    }
    let mut behind = vec::distance(&x[n..2 * n], &x[..n]);
    for i in 1..=m {
        let (prev, cur, next) = (
            &x[(i - 1) * n..i * n],
            &x[i * n..(i + 1) * n],
            &x[(i + 1) * n..(i + 2) * n],
        );
        tangent(w.e[i - 1], w.e[i], w.e[i + 1], prev, cur, next, &mut w.tau);
        let g = &w.g[i * n..(i + 1) * n];
        let out = &mut w.f[(i - 1) * n..i * n];
        // Perpendicular true gradient and its squared norm.
        let gt = vec::dot(g, &w.tau);
        out.copy_from_slice(g);
        let g_perp_norm = update_norm2(out, &w.tau, |o, t| o + (-gt) * t).sqrt();
        // Spring gradient k(2x_i - x_{i-1} - x_{i+1}), perpendicular part.
        for kk in 0..n {
            w.spring[kk] = k * (2.0 * cur[kk] - prev[kk] - next[kk]);
        }
        let st = vec::dot(&w.spring, &w.tau);
        // Doubly-nudged part: the perpendicular spring gradient minus its component along the
        // perpendicular true gradient (out / |out| here, before the other terms are added).
        let sg = update_dot(&mut w.spring, &w.tau, out, |sp, t| sp + (-st) * t);
        if g_perp_norm > 0.0 {
            let c = sg / (g_perp_norm * g_perp_norm);
            vec::axpy(-c, out, &mut w.spring);
        }
        // Parallel spring gradient: -k (|x_{i+1}-x_i| - |x_i-x_{i-1}|) tau, which spaces the
        // images evenly (Henkelman & Jónsson 2000).
        let ahead = vec::distance(next, cur);
        let stretch = ahead - behind;
        behind = ahead;
        let along = -k * stretch;
        for ((o, &sp), &t) in out.iter_mut().zip(&w.spring).zip(&w.tau) {
            *o = (*o + sp) + along * t;
        }
    }
    vec::rms(&w.f)
}

/// Improved tangent of Henkelman & Jónsson (2000) at the middle image, unit length.
fn tangent(ep: f64, e: f64, en: f64, prev: &[f64], cur: &[f64], next: &[f64], tau: &mut [f64]) {
    let n = tau.len();
    let (up, down) = (en > e && e > ep, en < e && e < ep);
    if up || down {
        let (a, b) = if up { (next, cur) } else { (cur, prev) };
        for k in 0..n {
            tau[k] = a[k] - b[k];
        }
    } else {
        // At extrema, weight the two one-sided tangents by the energy differences so the
        // tangent turns smoothly as the image passes the top.
        let (dn, dp) = ((en - e).abs(), (ep - e).abs());
        let (big, small) = (dn.max(dp), dn.min(dp));
        let (wn, wp) = if en > ep { (big, small) } else { (small, big) };
        for k in 0..n {
            tau[k] = wn * (next[k] - cur[k]) + wp * (cur[k] - prev[k]);
        }
    }
    let mut norm = vec::norm(tau);
    if norm.is_nan() || norm <= 0.0 {
        // Flat or degenerate neighbourhood: fall back to the central difference.
        for k in 0..n {
            tau[k] = next[k] - prev[k];
        }
        norm = vec::norm(tau);
    }
    if norm > 0.0 {
        vec::scale(1.0 / norm, tau);
    }
}

/// L-BFGS on a gradient field that has no potential (no line search, capped step).
struct BandLbfgs {
    memory: usize,
    s: Vec<f64>,
    y: Vec<f64>,
    rho: Vec<f64>,
    alpha: Vec<f64>,
    /// Number of stored pairs and the slot of the newest.
    stored: usize,
    newest: usize,
    dir: Vec<f64>,
    x_prev: Vec<f64>,
    f_prev: Vec<f64>,
    /// Initial inverse-Hessian scale, from the newest pair.
    gamma: f64,
}

/// Inverse-Hessian scale before any curvature pair is known; the step cap bounds the first step.
const FIRST_GAMMA: f64 = 0.01;

impl BandLbfgs {
    fn new(len: usize, memory: usize) -> Self {
        Self {
            memory,
            s: vec![0.0; memory * len],
            y: vec![0.0; memory * len],
            rho: vec![0.0; memory],
            alpha: vec![0.0; memory],
            stored: 0,
            newest: 0,
            dir: vec![0.0; len],
            x_prev: vec![0.0; len],
            f_prev: vec![0.0; len],
            gamma: FIRST_GAMMA,
        }
    }

    /// Moves `x` along the quasi-Newton direction for gradient `f`, capping each image's move.
    fn step(&mut self, x: &mut [f64], f: &[f64], n: usize, max_step: f64) {
        self.x_prev.copy_from_slice(x);
        self.f_prev.copy_from_slice(f);
        self.direction(f);
        if vec::dot(&self.dir, f) >= 0.0 {
            // Not a descent direction for the nudged forces: forget the curvature history.
            self.stored = 0;
            self.gamma = FIRST_GAMMA;
            self.direction(f);
        }
        let longest = self.dir.chunks_exact(n).map(vec::norm).fold(0.0, f64::max);
        let scale = if longest > max_step {
            max_step / longest
        } else {
            1.0
        };
        vec::axpy(scale, &self.dir, x);
    }

    /// Records the curvature pair from the last step.
    fn update(&mut self, x: &[f64], f: &[f64]) {
        let len = x.len();
        // Test the pair before storing it: with the memory full, the next slot still holds
        // the oldest pair in use, which a rejected pair must not overwrite.
        let (mut sy, mut yy) = (0.0, 0.0);
        for k in 0..len {
            let (sk, yk) = (x[k] - self.x_prev[k], f[k] - self.f_prev[k]);
            sy += sk * yk;
            yy += yk * yk;
        }
        if !(sy > 0.0 && yy > 0.0) {
            return;
        }
        let slot = if self.stored == 0 {
            0
        } else {
            (self.newest + 1) % self.memory
        };
        let (s, y) = (
            &mut self.s[slot * len..(slot + 1) * len],
            &mut self.y[slot * len..(slot + 1) * len],
        );
        for k in 0..len {
            s[k] = x[k] - self.x_prev[k];
            y[k] = f[k] - self.f_prev[k];
        }
        self.rho[slot] = 1.0 / sy;
        self.gamma = sy / yy;
        self.newest = slot;
        self.stored = (self.stored + 1).min(self.memory);
    }

    /// Two-loop recursion: `dir = -H f`.
    ///
    /// Each pass over the band's `m * P` coordinates does one update of `dir` together with
    /// the dot product the next step needs ([`update_dot`]), so `dir` is swept about half as
    /// often as with separate dot products and updates; every value is computed by the same
    /// operations in the same order as the plain two-loop recursion (bit-identical results).
    fn direction(&mut self, f: &[f64]) {
        let len = f.len();
        let Self {
            memory,
            s,
            y,
            rho,
            alpha,
            stored,
            newest,
            dir,
            gamma,
            ..
        } = self;
        let (memory, stored, newest, gamma) = (*memory, *stored, *newest, *gamma);
        if stored == 0 {
            for (d, &fi) in dir.iter_mut().zip(f) {
                *d = -(fi * gamma);
            }
            return;
        }
        let slot = |j: usize| (newest + memory - j) % memory;
        let part = |j: usize| slot(j) * len..(slot(j) + 1) * len;
        // First loop, newest pair first; `d` is always s_j · dir for the pair about to be used.
        let mut d = update_dot(dir, f, &s[part(0)], |_, fi| fi);
        for j in 0..stored {
            let k = slot(j);
            let a = rho[k] * d;
            alpha[k] = a;
            let yk = &y[part(j)];
            d = if j + 1 < stored {
                update_dot(dir, yk, &s[part(j + 1)], |di, yi| di + (-a) * yi)
            } else {
                // Last update, the initial scaling, and y · dir of the second loop's first pair
                // (the oldest, the same pair) in one pass.
                update_dot(dir, yk, yk, |di, yi| (di + (-a) * yi) * gamma)
            };
        }
        // Second loop, oldest pair first; `d` is y_j · dir.
        for j in (0..stored).rev() {
            let k = slot(j);
            let c = alpha[k] - rho[k] * d;
            let sk = &s[part(j)];
            if j > 0 {
                d = update_dot(dir, sk, &y[part(j - 1)], |di, si| di + c * si);
            } else {
                for (di, &si) in dir.iter_mut().zip(sk) {
                    *di = -(*di + c * si);
                }
            }
        }
    }
}

/// `y[k] = update(y[k], x[k])` for every `k`, returning `s · y` of the updated `y`, summed in the
/// order of [`vec::dot`] (four partial sums over blocks of four, then the tail), so the result
/// is bit-identical to the update followed by `vec::dot(s, y)`.
#[inline]
fn update_dot(y: &mut [f64], x: &[f64], s: &[f64], update: impl Fn(f64, f64) -> f64) -> f64 {
    let n = y.len();
    assert!(x.len() == n && s.len() == n);
    let mut acc = [0.0; 4];
    let mut yc = y.chunks_exact_mut(4);
    let (xc, sc) = (x.chunks_exact(4), s.chunks_exact(4));
    let (xr, sr) = (xc.remainder(), sc.remainder());
    for ((yb, xb), sb) in (&mut yc).zip(xc).zip(sc) {
        for k in 0..4 {
            yb[k] = update(yb[k], xb[k]);
            acc[k] += sb[k] * yb[k];
        }
    }
    let tail: f64 = yc
        .into_remainder()
        .iter_mut()
        .zip(xr)
        .zip(sr)
        .map(|((yi, &xi), &si)| {
            *yi = update(*yi, xi);
            si * *yi
        })
        .sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// [`update_dot`] returning `y · y` of the updated `y` (`vec::dot(y, y)`, bit-identical).
#[inline]
fn update_norm2(y: &mut [f64], x: &[f64], update: impl Fn(f64, f64) -> f64) -> f64 {
    assert_eq!(x.len(), y.len());
    let mut acc = [0.0; 4];
    let mut yc = y.chunks_exact_mut(4);
    let xc = x.chunks_exact(4);
    let xr = xc.remainder();
    for (yb, xb) in (&mut yc).zip(xc) {
        for k in 0..4 {
            yb[k] = update(yb[k], xb[k]);
            acc[k] += yb[k] * yb[k];
        }
    }
    let tail: f64 = yc
        .into_remainder()
        .iter_mut()
        .zip(xr)
        .map(|(yi, &xi)| {
            *yi = update(*yi, xi);
            *yi * *yi
        })
        .sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_core::surfaces::{DoubleWell, MullerBrown};

    #[test]
    fn image_count_is_clamped() {
        let p = DnebParams::default();
        assert_eq!(p.image_count(2.0), 20);
        assert_eq!(p.image_count(0.1), 5);
        assert_eq!(p.image_count(100.0), 50);
        assert_eq!(p.image_count(f64::NAN), 5);
    }

    #[test]
    fn maxima_highest_first_with_plateau() {
        assert_eq!(band_maxima(&[0.0, 2.0, 1.0, 3.0, 3.0, 0.0]), vec![4, 1]);
        assert!(band_maxima(&[0.0, 1.0, 2.0]).is_empty());
    }

    #[test]
    fn double_well_band_peaks_at_the_saddle() {
        let l = DoubleWell::default();
        let band = run(&l, &[-1.0, 0.0], &[1.0, 0.0], &DnebParams::default()).unwrap();
        assert!(band.converged, "rms {}", band.rms_force);
        assert_eq!(band.images.len(), 22);
        let top = band.maxima[0];
        assert!(band.images[top][0].abs() < 0.06, "{:?}", band.images[top]);
        assert!(band.maxima.len() == 1);
    }

    #[test]
    fn muller_brown_band_has_two_maxima() {
        let (a, b) = (MullerBrown::MINIMA[0], MullerBrown::MINIMA[1]);
        let band = run(&MullerBrown, &a, &b, &DnebParams::default()).unwrap();
        assert_eq!(
            band.maxima.len(),
            2,
            "{:?} {:?}",
            band.energies,
            band.iterations
        );
        // Images are evenly spaced after relaxation.
        let d: Vec<f64> = band
            .images
            .windows(2)
            .map(|w| vec::distance(&w[0], &w[1]))
            .collect();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        assert!(d.iter().all(|x| (x - mean).abs() < 0.2 * mean), "{d:?}");
    }

    #[test]
    fn coincident_and_invalid_are_errors() {
        let l = DoubleWell::mirrored();
        assert!(matches!(
            run(&l, &[1.0, 0.0], &[-1.0, 0.0], &DnebParams::default()),
            Err(DnebError::CoincidentEndpoints { .. })
        ));
        let bad = DnebParams {
            max_images: 1,
            ..DnebParams::default()
        };
        assert!(matches!(
            run(&l, &[1.0, 0.0], &[0.0, 0.0], &bad),
            Err(DnebError::Params(_))
        ));
        assert!(bad.validate().unwrap_err().key == "max_images");
    }
}

#[cfg(test)]
mod band_lbfgs_tests {
    use super::*;

    /// A rejected curvature pair must not overwrite the oldest stored pair of a full memory.
    #[test]
    fn rejected_pair_leaves_a_full_memory_intact() {
        let fill = |o: &mut BandLbfgs| {
            for (x, f) in [([1.0, 0.0], [2.0, 0.1]), ([1.0, 1.0], [2.2, 3.1])] {
                o.update(&x, &f);
                o.x_prev.copy_from_slice(&x);
                o.f_prev.copy_from_slice(&f);
            }
        };
        let mut full = BandLbfgs::new(2, 2);
        let mut reference = BandLbfgs::new(2, 2);
        fill(&mut full);
        fill(&mut reference);
        // A step with s·y < 0 (negative curvature along it) is rejected.
        full.update(&[2.0, 1.0], &[1.0, 3.1]);
        let f = [0.3, -0.7];
        full.direction(&f);
        reference.direction(&f);
        assert_eq!(full.dir, reference.dir);
    }
}
