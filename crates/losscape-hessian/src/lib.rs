//! Hessian analysis of stationary points: dense symmetric eigendecomposition and the checks
//! that decide whether a point may be stored as a minimum or a transition state.
//!
//! Every stationary point that enters a database goes through [`analyse`] (or, for minima and
//! Hessian-free transition states of large landscapes, [`analyse_checked`]'s count by inertia)
//! and [`verify`]: the Hessian index (number of negative eigenvalues) says what the
//! point is, zero modes make the classification (and the harmonic log-product of eigenvalues)
//! meaningless, and a large gradient means it is not stationary at all.
//!
//! The eigendecomposition uses faer, always sequentially (`Par::Seq`), so results are bit-for-bit
//! independent of the thread count. This crate depends only on losscape-core and faer; it must
//! not depend on any search algorithm, database or I/O.

#![forbid(unsafe_code)]

pub mod krylov;

use faer::Par;
use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::lblt;
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::mat::Mat;
use losscape_core::{Landscape, vec};
use serde::{Deserialize, Serialize};

/// Eigenvalues and eigenvectors of a real symmetric `n × n` matrix: all `n` of them
/// ([`symmetric_eigen`], [`analyse`]) or only the lowest ([`analyse_by_inertia`], which keeps
/// the lowest pair and counts the rest by inertia).
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// Eigenvalues in ascending order (the lowest `k`, `k <= n`).
    pub values: Vec<f64>,
    /// Eigenvectors, `k × n`: eigenvector `k` is `vectors[k*n..(k+1)*n]`, unit length.
    ///
    /// Each vector's sign is fixed so that its entry of largest magnitude (the first one on a
    /// tie) is positive, which makes the output reproducible.
    pub vectors: Vec<f64>,
}

impl Spectrum {
    /// Dimension of the matrix.
    pub fn dim(&self) -> usize {
        self.vectors.len() / self.values.len().max(1)
    }

    /// Whether every eigenpair is held (not only the lowest).
    pub fn is_complete(&self) -> bool {
        self.values.len() == self.dim()
    }

    /// Eigenvector `k` (belonging to `values[k]`); panics if `k >= values.len()`.
    pub fn vector(&self, k: usize) -> &[f64] {
        let n = self.dim();
        &self.vectors[k * n..(k + 1) * n]
    }

    /// Whether every eigenvalue and eigenvector entry is finite.
    pub fn is_finite(&self) -> bool {
        vec::all_finite(&self.values) && vec::all_finite(&self.vectors)
    }
}

/// Eigendecomposition of the symmetric `n × n` matrix `h` (row-major, `h.len() == n * n`).
///
/// The matrix is symmetrised as `(H + Hᵀ)/2` first, so tiny rounding asymmetries of an analytic
/// Hessian do not matter. If `h` holds a non-finite entry, or the (practically impossible)
/// iteration failure of the tridiagonal solver occurs, every value and vector entry is NaN;
/// [`verify`] rejects such a spectrum as [`Rejection::NonFinite`].
///
/// # Panics
/// If `h.len() != n * n` (a programming error, not something a user can cause).
pub fn symmetric_eigen(h: &[f64], n: usize) -> Spectrum {
    assert_eq!(
        h.len(),
        n * n,
        "symmetric_eigen: matrix length does not match n * n"
    );
    let failed = || Spectrum {
        values: vec![f64::NAN; n],
        vectors: vec![f64::NAN; n * n],
    };
    if !vec::all_finite(h) {
        return failed();
    }
    if n == 0 {
        return Spectrum {
            values: Vec::new(),
            vectors: Vec::new(),
        };
    }
    let a = Mat::from_fn(n, n, |i, j| 0.5 * (h[i * n + j] + h[j * n + i]));
    let mut s = Diag::<f64>::zeros(n);
    let mut u = Mat::<f64>::zeros(n, n);
    let par = Par::Seq;
    let scratch =
        evd::self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::Yes, par, Default::default());
    let mut buffer = MemBuffer::new(scratch);
    let result = evd::self_adjoint_evd(
        a.as_ref(),
        s.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut buffer),
        Default::default(),
    );
    if result.is_err() {
        return failed();
    }
    let sc = s.column_vector();
    let values: Vec<f64> = (0..n).map(|k| sc[k]).collect();
    let mut vectors = vec![0.0; n * n];
    for k in 0..n {
        let out = &mut vectors[k * n..(k + 1) * n];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u[(i, k)];
        }
        fix_sign(out);
    }
    Spectrum { values, vectors }
}

/// Eigenvectors are defined up to sign; pin it down for reproducibility: the entry of largest
/// magnitude (the first one on a tie) is made positive.
fn fix_sign(v: &mut [f64]) {
    let mut big = 0;
    for i in 1..v.len() {
        if v[i].abs() > v[big].abs() {
            big = i;
        }
    }
    if v.get(big).is_some_and(|&b| b < 0.0) {
        vec::scale(-1.0, v);
    }
}

/// Signs of the eigenvalues of a symmetric matrix and `ln |det|`, from a pivoted `LBLᵀ`
/// (Bunch–Kaufman) factorisation: by Sylvester's law of inertia the block-diagonal factor `B`
/// has as many negative, zero and positive eigenvalues as the matrix itself, and
/// `det A = det B`. Much cheaper than a full eigendecomposition at large `P` (N_h = 128,
/// P = 642: Hessian plus two factorisations 12.6 ms against 62 ms for [`analyse`], in
/// `cargo bench -p losscape-hessian --bench analyse -- verify_n128`), but no eigenvalues.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inertia {
    /// Number of negative eigenvalues.
    pub negative: usize,
    /// Number of exactly zero pivots (eigenvalues of `B`).
    pub zero: usize,
    /// Number of positive eigenvalues.
    pub positive: usize,
    /// `Σ ln |λ|` over all eigenvalues (`-inf` with a zero pivot).
    pub ln_abs_det: f64,
}

/// Inertia and `ln |det|` of `(H + Hᵀ)/2 + shift·I` for the row-major `n × n` matrix `h`,
/// or `None` if an entry (or a pivot) is not finite.
///
/// # Panics
/// If `h.len() != n * n`.
pub fn inertia(h: &[f64], n: usize, shift: f64) -> Option<Inertia> {
    assert_eq!(
        h.len(),
        n * n,
        "inertia: matrix length does not match n * n"
    );
    if !(vec::all_finite(h) && shift.is_finite()) {
        return None;
    }
    let mut a = Mat::from_fn(n, n, |i, j| {
        0.5 * (h[i * n + j] + h[j * n + i]) + if i == j { shift } else { 0.0 }
    });
    let mut sub = Diag::<f64>::zeros(n);
    let (mut fwd, mut bwd) = (vec![0usize; n], vec![0usize; n]);
    let par = Par::Seq;
    let mut buffer = MemBuffer::new(lblt::factor::cholesky_in_place_scratch::<usize, f64>(
        n,
        par,
        Default::default(),
    ));
    lblt::factor::cholesky_in_place(
        a.as_mut(),
        sub.as_mut(),
        &mut fwd,
        &mut bwd,
        par,
        MemStack::new(&mut buffer),
        Default::default(),
    );
    let sub = sub.column_vector();
    let mut out = Inertia {
        negative: 0,
        zero: 0,
        positive: 0,
        ln_abs_det: 0.0,
    };
    let mut count = |v: f64| {
        match v.partial_cmp(&0.0) {
            Some(std::cmp::Ordering::Less) => out.negative += 1,
            Some(std::cmp::Ordering::Greater) => out.positive += 1,
            _ => out.zero += 1,
        }
        v.abs().ln()
    };
    let mut ln_abs_det = 0.0;
    let mut j = 0;
    while j < n {
        if sub[j] == 0.0 || j + 1 == n {
            ln_abs_det += count(a[(j, j)]);
            j += 1;
        } else {
            // A 2 × 2 block [[p, b], [b, q]]: its eigenvalues m ± r.
            let (p, b, q) = (a[(j, j)], sub[j], a[(j + 1, j + 1)]);
            let (m, r) = (0.5 * (p + q), (0.5 * (p - q)).hypot(b));
            ln_abs_det += count(m - r) + count(m + r);
            j += 2;
        }
    }
    out.ln_abs_det = ln_abs_det;
    (!ln_abs_det.is_nan() && (ln_abs_det.is_finite() || out.zero > 0)).then_some(out)
}

/// Hessian index and number of zero modes by the rule of [`verify`] (eigenvalues below
/// `-zero_tolerance` are negative, those of magnitude at most `zero_tolerance` are zero modes),
/// from two `LBLᵀ` factorisations instead of an eigendecomposition: the eigenvalues below
/// `-tol` are the negative ones of `H + tol·I`, those above `tol` the positive ones of
/// `H - tol·I`. `None` if the Hessian or a pivot is not finite.
///
/// Counts agree with [`analyse`]'s except for eigenvalues within rounding (about `ε‖H‖`) of
/// `±zero_tolerance`, where the two computations may round differently.
pub fn modes_by_inertia(h: &[f64], n: usize, zero_tolerance: f64) -> Option<(usize, usize)> {
    let below = inertia(h, n, zero_tolerance)?;
    let above = inertia(h, n, -zero_tolerance)?;
    let index = below.negative;
    Some((index, n.saturating_sub(index + above.positive)))
}

/// Everything the Hessian says about one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Energy at the point.
    pub energy: f64,
    /// RMS gradient `|g| / sqrt(dim)` at the point.
    pub rms_gradient: f64,
    /// Hessian eigenpairs: all of them from [`analyse`], the lowest from
    /// [`analyse_by_inertia`].
    pub spectrum: Spectrum,
    /// The zero-mode tolerance `index` and `zero_modes` were counted with.
    pub zero_tolerance: f64,
    /// Number of eigenvalues below `-zero_tolerance`.
    pub index: usize,
    /// Number of eigenvalues with `|ev| <= zero_tolerance`.
    pub zero_modes: usize,
    /// Smallest eigenvalue (NaN for a zero-dimensional landscape).
    pub lowest_eigenvalue: f64,
    /// `Σ ln ev` over eigenvalues above `zero_tolerance` (the PATHSAMPLE `fvib`).
    pub ln_prod_positive: f64,
}

impl Analysis {
    /// Eigenvector of the lowest eigenvalue (empty for a zero-dimensional landscape).
    pub fn lowest_vector(&self) -> &[f64] {
        if self.spectrum.values.is_empty() {
            &[]
        } else {
            self.spectrum.vector(0)
        }
    }

    /// Whether energy, gradient and spectrum are all finite.
    pub fn is_finite(&self) -> bool {
        self.energy.is_finite() && self.rms_gradient.is_finite() && self.spectrum.is_finite()
    }
}

/// Energy, gradient and Hessian spectrum of `l` at `x`, with eigenvalues of magnitude at most
/// `zero_tolerance` counted as zero modes.
///
/// # Panics
/// If `x.len() != l.dim()`.
pub fn analyse(l: &dyn Landscape, x: &[f64], zero_tolerance: f64) -> Analysis {
    let n = l.dim();
    assert_eq!(
        x.len(),
        n,
        "analyse: coordinate length does not match the landscape"
    );
    let mut g = vec![0.0; n];
    let energy = l.energy_gradient(x, &mut g);
    let mut h = vec![0.0; n * n];
    l.hessian(x, &mut h);
    let spectrum = symmetric_eigen(&h, n);
    let (index, zero_modes) = count_modes(&spectrum.values, zero_tolerance);
    let ln_prod_positive = spectrum
        .values
        .iter()
        .filter(|&&v| v > zero_tolerance)
        .map(|v| v.ln())
        .sum();
    Analysis {
        energy,
        rms_gradient: vec::rms(&g),
        lowest_eigenvalue: spectrum.values.first().copied().unwrap_or(f64::NAN),
        spectrum,
        zero_tolerance,
        index,
        zero_modes,
        ln_prod_positive,
    }
}

/// Krylov subspace size of [`analyse_by_inertia`]'s negative eigenpair (restarted from its
/// best vector while the residual is too large).
const INERTIA_KRYLOV_DIM: usize = 30;
/// Krylov restarts allowed before [`analyse_by_inertia`] gives the point to the dense path.
const INERTIA_KRYLOV_RESTARTS: usize = 8;

/// [`analyse`] without an eigendecomposition, for large landscapes where only the lowest
/// eigenpair is needed: the index and zero modes are counted by Sylvester's law of inertia
/// ([`modes_by_inertia`], two `LBLᵀ` factorisations). At a transition state `ln Π λ₊` is
/// `ln |det H|` (a third factorisation) less `ln |λ₋|`, and the negative pair comes from the
/// Hessian-free Krylov solver warm-started from `warm`, converged to a residual of a tenth of
/// `zero_tolerance`. At a minimum one Cholesky factorisation gives `ln det H` and, by Lanczos on
/// `H⁻¹`, the lowest pair, whose value is certified to a relative 1e-6 by a last `LBLᵀ`
/// (a Ritz vector of the lowest eigenvalues where they cluster). The spectrum holds that pair.
///
/// Returns `None` where this cannot be done exactly and [`analyse`] must decide: a
/// non-finite energy, gradient or Hessian; zero modes or an index above 1 (the rejection, or a
/// survey, then wants the eigenvalues); a negative pair that did not converge or whose sign
/// disagrees with the count; a minimum's value that could not be certified.
///
/// # Panics
/// If `x.len() != l.dim()`.
pub fn analyse_by_inertia(
    l: &dyn Landscape,
    x: &[f64],
    zero_tolerance: f64,
    warm: Option<&[f64]>,
) -> Option<Analysis> {
    let n = l.dim();
    assert_eq!(
        x.len(),
        n,
        "analyse_by_inertia: coordinate length does not match the landscape"
    );
    let mut g = vec![0.0; n];
    let energy = l.energy_gradient(x, &mut g);
    if !(energy.is_finite() && vec::all_finite(&g)) || n == 0 {
        return None;
    }
    let mut h = vec![0.0; n * n];
    l.hessian(x, &mut h);
    let (index, zero_modes) = modes_by_inertia(&h, n, zero_tolerance)?;
    if zero_modes > 0 || index > 1 {
        return None;
    }
    let (lowest, mut vector, ln_abs_det) = if index == 1 {
        let ln_abs_det = inertia(&h, n, 0.0)?.ln_abs_det;
        drop(h);
        let (lowest, vector) = negative_pair(l, x, zero_tolerance, warm)?;
        (lowest, vector, ln_abs_det)
    } else {
        lowest_of_minimum(&h, n, zero_tolerance, warm)?
    };
    fix_sign(&mut vector);
    // No zero modes, so every eigenvalue other than the negative one is above the tolerance.
    let ln_prod_positive = if index == 1 {
        ln_abs_det - lowest.abs().ln()
    } else {
        ln_abs_det
    };
    Some(Analysis {
        energy,
        rms_gradient: vec::rms(&g),
        spectrum: Spectrum {
            values: vec![lowest],
            vectors: vector,
        },
        zero_tolerance,
        index,
        zero_modes,
        lowest_eigenvalue: lowest,
        ln_prod_positive,
    })
}

/// The negative eigenpair at an index-1 point, Hessian-free: it stands apart from the rest of
/// the spectrum, so the Krylov pair converges quickly to a residual well inside the tolerance
/// band; `None` if it does not, or if its sign disagrees with the count.
fn negative_pair(
    l: &dyn Landscape,
    x: &[f64],
    zero_tolerance: f64,
    warm: Option<&[f64]>,
) -> Option<(f64, Vec<f64>)> {
    // Without a usable warm start the solver begins from `krylov::generic_start`.
    let warm = warm.filter(|w| w.len() == l.dim());
    let r = krylov::lowest_mode(
        l,
        x,
        warm,
        INERTIA_KRYLOV_DIM,
        0.1 * zero_tolerance,
        INERTIA_KRYLOV_RESTARTS,
    );
    let lowest = *r.values.first()?;
    (lowest < -zero_tolerance && r.residual <= 0.1 * zero_tolerance)
        .then(|| (lowest, r.vector(0).to_vec()))
}

/// Lanczos steps at most of [`lowest_of_minimum`] on the inverse Hessian.
const SHIFT_INVERT_STEPS: usize = 40;
/// Relative accuracy to which [`lowest_of_minimum`] certifies the lowest eigenvalue.
const MINIMUM_RELATIVE_ACCURACY: f64 = 1e-6;

/// The lowest eigenpair and `ln det H` at a minimum (`H` positive definite), from the Cholesky
/// factor: `ln det H = 2 Σ ln L_ii`, and the lowest eigenvalue is the reciprocal of the largest
/// of `H⁻¹`, which Lanczos (full reorthogonalisation, a triangular solve per step) finds
/// quickly even where the small eigenvalues of `H` cluster. The value (an upper bound of the
/// lowest eigenvalue, as every Ritz value of `H⁻¹` inverted is) is then certified from below by
/// one `LBLᵀ`: no eigenvalue under `(1 - 1e-6)` times it. `None` if `H` is not positive
/// definite or the value cannot be certified.
fn lowest_of_minimum(
    h: &[f64],
    n: usize,
    zero_tolerance: f64,
    warm: Option<&[f64]>,
) -> Option<(f64, Vec<f64>, f64)> {
    use faer::linalg::cholesky::llt;
    let mut factor = Mat::from_fn(n, n, |i, j| 0.5 * (h[i * n + j] + h[j * n + i]));
    let mut buffer = MemBuffer::new(llt::factor::cholesky_in_place_scratch::<f64>(
        n,
        Par::Seq,
        Default::default(),
    ));
    llt::factor::cholesky_in_place(
        factor.as_mut(),
        Default::default(),
        Par::Seq,
        MemStack::new(&mut buffer),
        Default::default(),
    )
    .ok()?;
    let ln_det: f64 = (0..n).map(|i| 2.0 * factor[(i, i)].ln()).sum();
    let start = match warm {
        Some(w) if w.len() == n && vec::norm(w) > 0.0 => w.to_vec(),
        _ => krylov::generic_start(n),
    };
    let (mu, vector) = largest_of_inverse(&factor, n, start)?;
    let lowest = 1.0 / mu;
    let floor = lowest * (1.0 - MINIMUM_RELATIVE_ACCURACY);
    let certified =
        lowest.is_finite() && floor > zero_tolerance && inertia(h, n, -floor)?.negative == 0;
    (certified && ln_det.is_finite()).then_some((lowest, vector, ln_det))
}

/// The largest eigenpair of `H⁻¹` for the Cholesky factor `L` (lower triangle of `factor`) by
/// Lanczos with full reorthogonalisation from `start`, stopped once the Ritz residual
/// `|β y_last|` is at most 1e-12 of the value or after [`SHIFT_INVERT_STEPS`] steps.
fn largest_of_inverse(factor: &Mat<f64>, n: usize, start: Vec<f64>) -> Option<(f64, Vec<f64>)> {
    use faer::linalg::cholesky::llt;
    let steps = SHIFT_INVERT_STEPS.min(n);
    let mut q: Vec<Vec<f64>> = Vec::with_capacity(steps);
    let (mut alpha, mut beta) = (Vec::with_capacity(steps), Vec::with_capacity(steps));
    let mut next = start;
    let norm = vec::norm(&next);
    if !(norm.is_finite() && norm > 0.0) {
        return None;
    }
    vec::scale(1.0 / norm, &mut next);
    let mut rhs = Mat::<f64>::zeros(n, 1);
    for j in 0..steps {
        q.push(next);
        for i in 0..n {
            rhs[(i, 0)] = q[j][i];
        }
        llt::solve::solve_in_place_with_conj(
            factor.as_ref(),
            faer::Conj::No,
            rhs.as_mut(),
            Par::Seq,
            MemStack::new(&mut []),
        );
        let mut w: Vec<f64> = (0..n).map(|i| rhs[(i, 0)]).collect();
        alpha.push(vec::dot(&q[j], &w));
        // Full reorthogonalisation, twice: Lanczos vectors lose orthogonality exactly when a
        // Ritz value converges, which is when this is used.
        for _ in 0..2 {
            for qi in &q {
                let c = vec::dot(qi, &w);
                vec::axpy(-c, qi, &mut w);
            }
        }
        let b = vec::norm(&w);
        let k = j + 1;
        let mut t = vec![0.0; k * k];
        for i in 0..k {
            t[i * k + i] = alpha[i];
            if i + 1 < k {
                t[i * k + i + 1] = beta[i];
                t[(i + 1) * k + i] = beta[i];
            }
        }
        let s = symmetric_eigen(&t, k);
        let (mu, y) = (s.values[k - 1], s.vector(k - 1));
        if !mu.is_finite() || mu <= 0.0 {
            return None;
        }
        let converged = (b * y[k - 1]).abs() <= 1e-12 * mu;
        if converged || k == steps || b == 0.0 {
            let mut z = vec![0.0; n];
            for (yi, qi) in y.iter().zip(&q) {
                vec::axpy(*yi, qi, &mut z);
            }
            let norm = vec::norm(&z);
            vec::scale(1.0 / norm, &mut z);
            return Some((mu, z));
        }
        beta.push(b);
        next = w;
        vec::scale(1.0 / b, &mut next);
    }
    // Only reached with `steps == 0`, that is an empty landscape.
    None
}

/// The analysis a stored minimum, or a transition state found Hessian-free, is verified with:
/// [`analyse`] up to `checks.inertia_above` coordinates, where a full spectrum is cheap, and
/// [`analyse_by_inertia`] above (falling back to [`analyse`] where that cannot decide), two
/// to three times cheaper at N_h = 128. `warm` is a guess of the lowest eigenvector (the mode
/// a search followed), used above the switch only.
pub fn analyse_checked(
    l: &dyn Landscape,
    x: &[f64],
    checks: &Checks,
    warm: Option<&[f64]>,
) -> Analysis {
    if l.dim() > checks.inertia_above
        && let Some(a) = analyse_by_inertia(l, x, checks.zero_eigenvalue, warm)
    {
        return a;
    }
    analyse(l, x, checks.zero_eigenvalue)
}

/// (number of negative, number of zero) eigenvalues for a tolerance.
fn count_modes(values: &[f64], tol: f64) -> (usize, usize) {
    let index = values.iter().filter(|&&v| v < -tol).count();
    let zero = values.iter().filter(|&&v| v.abs() <= tol).count();
    (index, zero)
}

/// Thresholds a point must pass before it is stored.
///
/// `Default` is the single place these defaults are defined.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Checks {
    /// Largest RMS gradient a stationary point may have.
    pub rms_gradient: f64,
    /// Eigenvalues with magnitude at most this count as zero modes (and reject the point).
    pub zero_eigenvalue: f64,
    /// Above this many coordinates the minima a search stores and the transition states
    /// found without the dense Hessian are verified by inertia ([`analyse_checked`]) instead of
    /// a full eigendecomposition: at XOR's 642 coordinates (N_h = 128) about 25 ms against 65
    /// for a minimum, 20 against 65 for a transition state; at 162 no faster for a transition
    /// state.
    pub inertia_above: usize,
}

impl Default for Checks {
    fn default() -> Self {
        Self {
            rms_gradient: 1e-9,
            zero_eigenvalue: 1e-9,
            inertia_above: 200,
        }
    }
}

impl Checks {
    /// Checks that `rms_gradient` is finite and > 0 and `zero_eigenvalue` finite and >= 0
    /// (0 counts only exact zeros as zero modes). The experiment file is checked by this rule.
    pub fn validate(&self) -> Result<(), losscape_core::ParamError> {
        losscape_core::param::positive("rms_gradient", self.rms_gradient)?;
        if !(self.zero_eigenvalue.is_finite() && self.zero_eigenvalue >= 0.0) {
            return Err(losscape_core::ParamError::new(
                "zero_eigenvalue",
                format!(
                    "must be a finite number >= 0 (got {})",
                    self.zero_eigenvalue
                ),
            ));
        }
        Ok(())
    }
}

/// What a stationary point is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// Hessian index 0.
    Minimum,
    /// Hessian index 1 (a first-order saddle).
    TransitionState,
}

impl Kind {
    /// The Hessian index this kind requires.
    pub fn index(self) -> usize {
        match self {
            Kind::Minimum => 0,
            Kind::TransitionState => 1,
        }
    }
}

/// Why a point was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    /// Not stationary enough.
    #[error("RMS gradient {rms:e} exceeds the limit {limit:e}")]
    GradientTooLarge {
        /// RMS gradient at the point.
        rms: f64,
        /// The limit from [`Checks::rms_gradient`].
        limit: f64,
    },
    /// A Hessian eigenvalue is (numerically) zero, so the index is undetermined.
    #[error("Hessian has a zero eigenvalue ({value:e})")]
    ZeroEigenvalue {
        /// The eigenvalue of smallest magnitude.
        value: f64,
    },
    /// The Hessian index is not the one the kind requires.
    #[error("Hessian index is {index}, expected {expected}")]
    WrongIndex {
        /// Number of negative eigenvalues.
        index: usize,
        /// Index the kind requires.
        expected: usize,
    },
    /// Energy, gradient or Hessian is NaN or infinite.
    #[error("non-finite energy, gradient or Hessian")]
    NonFinite,
}

/// Accepts `a` as a point of kind `expected`, or says why not.
///
/// Checked in order: finiteness, RMS gradient `<= checks.rms_gradient`, no eigenvalue with
/// magnitude `<= checks.zero_eigenvalue`, and index (counted with the same tolerance, so the
/// tolerance used in [`analyse`] does not matter here) equal to `expected.index()`. An analysis
/// by inertia holds no full spectrum to recount: its own counts are used, so it must have been
/// made with `checks.zero_eigenvalue` (as [`analyse_checked`] does).
pub fn verify(a: &Analysis, expected: Kind, checks: &Checks) -> Result<(), Rejection> {
    if !a.is_finite() {
        return Err(Rejection::NonFinite);
    }
    // Finite by now, so a plain comparison cannot be fooled by NaN.
    if a.rms_gradient > checks.rms_gradient {
        return Err(Rejection::GradientTooLarge {
            rms: a.rms_gradient,
            limit: checks.rms_gradient,
        });
    }
    let (index, zero) = if a.spectrum.is_complete() {
        count_modes(&a.spectrum.values, checks.zero_eigenvalue)
    } else {
        // A partial spectrum was counted by inertia with the analysis's own tolerance; the
        // pipeline analyses with `checks.zero_eigenvalue`, so the two agree.
        debug_assert!(a.zero_tolerance == checks.zero_eigenvalue);
        (a.index, a.zero_modes)
    };
    if zero > 0 {
        let value = a
            .spectrum
            .values
            .iter()
            .copied()
            .min_by(|x, y| x.abs().total_cmp(&y.abs()))
            .unwrap_or(0.0);
        return Err(Rejection::ZeroEigenvalue { value });
    }
    if index != expected.index() {
        return Err(Rejection::WrongIndex {
            index,
            expected: expected.index(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_core::surfaces::{DoubleWell, FourWell, MullerBrown};

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn diagonal_spectrum_is_sorted_with_unit_vectors() {
        let h = [3.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 2.0];
        let s = symmetric_eigen(&h, 3);
        assert_eq!(s.values.len(), 3);
        for (v, want) in s.values.iter().zip([-1.0, 2.0, 3.0]) {
            assert!(close(*v, want, 1e-14), "{:?}", s.values);
        }
        assert!(close(s.vector(0)[1], 1.0, 1e-14));
        assert!(close(s.vector(1)[2], 1.0, 1e-14));
        assert!(close(s.vector(2)[0], 1.0, 1e-14));
    }

    #[test]
    fn rotated_two_by_two() {
        // R diag(-2, 5) Rᵀ with R a rotation by 30 degrees.
        let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
        let (l1, l2) = (-2.0, 5.0);
        let h = [
            l1 * c * c + l2 * s * s,
            (l1 - l2) * c * s,
            (l1 - l2) * c * s,
            l1 * s * s + l2 * c * c,
        ];
        let sp = symmetric_eigen(&h, 2);
        assert!(close(sp.values[0], -2.0, 1e-13) && close(sp.values[1], 5.0, 1e-13));
        // Eigenvector of -2 is ±(c, s); the sign convention makes the larger entry positive.
        assert!(close(sp.vector(0)[0], c, 1e-13) && close(sp.vector(0)[1], s, 1e-13));
        assert!(close(vec::norm(sp.vector(1)), 1.0, 1e-14));
        assert!(close(vec::dot(sp.vector(0), sp.vector(1)), 0.0, 1e-14));
    }

    #[test]
    fn reconstructs_a_dense_matrix() {
        let n = 7;
        let mut h = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let v = ((i * 7 + j * 3) as f64).sin() + if i == j { i as f64 } else { 0.0 };
                h[i * n + j] = v;
                h[j * n + i] = v;
            }
        }
        let s = symmetric_eigen(&h, n);
        assert!(s.values.windows(2).all(|w| w[0] <= w[1]));
        for i in 0..n {
            for j in 0..n {
                let r: f64 = (0..n)
                    .map(|k| s.values[k] * s.vector(k)[i] * s.vector(k)[j])
                    .sum();
                assert!(
                    close(r, h[i * n + j], 1e-12),
                    "({i},{j}) {r} vs {}",
                    h[i * n + j]
                );
            }
        }
        assert_eq!(s, symmetric_eigen(&h, n), "deterministic");
    }

    #[test]
    fn non_finite_matrix_gives_nan_spectrum() {
        let s = symmetric_eigen(&[1.0, f64::NAN, f64::NAN, 1.0], 2);
        assert!(!s.is_finite());
        assert!(symmetric_eigen(&[], 0).values.is_empty());
    }

    #[test]
    fn surfaces_are_classified() {
        let checks = Checks::default();
        let ok_min = |l: &dyn Landscape, x: &[f64]| {
            let a = analyse(l, x, checks.zero_eigenvalue);
            verify(&a, Kind::Minimum, &checks)
        };
        let ok_ts = |l: &dyn Landscape, x: &[f64]| {
            let a = analyse(l, x, checks.zero_eigenvalue);
            verify(&a, Kind::TransitionState, &checks)
        };
        let dw = DoubleWell::default();
        assert_eq!(ok_min(&dw, &[1.0, 0.0]), Ok(()));
        assert_eq!(ok_ts(&dw, &[0.0, 0.0]), Ok(()));
        assert_eq!(
            ok_min(&dw, &[0.0, 0.0]),
            Err(Rejection::WrongIndex {
                index: 1,
                expected: 0
            })
        );
        let a = analyse(&dw, &[0.0, 0.0], 1e-9);
        assert_eq!((a.index, a.zero_modes), (1, 0));
        assert!(close(a.lowest_eigenvalue, -4.0, 1e-14));
        assert!(close(a.lowest_vector()[0].abs(), 1.0, 1e-14));
        assert!(close(a.ln_prod_positive, 2f64.ln(), 1e-14));

        assert_eq!(ok_min(&FourWell, &[-1.0, 1.0]), Ok(()));
        assert_eq!(ok_ts(&FourWell, &[0.0, -1.0]), Ok(()));
        let origin = analyse(&FourWell, &[0.0, 0.0], 1e-9);
        assert_eq!(origin.index, 2);
        assert_eq!(
            verify(&origin, Kind::TransitionState, &checks),
            Err(Rejection::WrongIndex {
                index: 2,
                expected: 1
            })
        );

        // Literature coordinates are only 3-decimal accurate: classify, then reject on gradient.
        let loose = Checks {
            rms_gradient: 10.0,
            ..checks
        };
        for m in MullerBrown::MINIMA {
            let a = analyse(&MullerBrown, &m, 1e-9);
            assert_eq!(verify(&a, Kind::Minimum, &loose), Ok(()));
            assert!(matches!(
                verify(&a, Kind::Minimum, &checks),
                Err(Rejection::GradientTooLarge { .. })
            ));
        }
        for s in MullerBrown::SADDLES {
            let a = analyse(&MullerBrown, &s, 1e-9);
            assert_eq!(verify(&a, Kind::TransitionState, &loose), Ok(()));
        }
    }

    /// `E = x²`: the y direction is flat.
    struct Trough;
    impl Landscape for Trough {
        fn dim(&self) -> usize {
            2
        }
        fn energy(&self, x: &[f64]) -> f64 {
            x[0] * x[0]
        }
        fn energy_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
            g[0] = 2.0 * x[0];
            g[1] = 0.0;
            self.energy(x)
        }
        fn hessian(&self, _x: &[f64], h: &mut [f64]) {
            h.copy_from_slice(&[2.0, 0.0, 0.0, 0.0]);
        }
    }

    #[test]
    fn zero_eigenvalue_is_rejected() {
        let a = analyse(&Trough, &[0.0, 3.0], 1e-9);
        assert_eq!((a.index, a.zero_modes), (0, 1));
        assert!(close(a.ln_prod_positive, 2f64.ln(), 1e-14));
        assert_eq!(
            verify(&a, Kind::Minimum, &Checks::default()),
            Err(Rejection::ZeroEigenvalue { value: 0.0 })
        );
        let nan = analyse(&Trough, &[f64::NAN, 0.0], 1e-9);
        assert_eq!(
            verify(&nan, Kind::Minimum, &Checks::default()),
            Err(Rejection::NonFinite)
        );
    }

    #[test]
    fn checks_defaults_and_validation() {
        assert_eq!(
            Checks::default(),
            Checks {
                rms_gradient: 1e-9,
                zero_eigenvalue: 1e-9,
                inertia_above: 200,
            }
        );
        assert!(Checks::default().validate().is_ok());
        let bad = Checks {
            rms_gradient: -1.0,
            ..Checks::default()
        };
        assert!(bad.validate().unwrap_err().key == "rms_gradient");
    }
}
