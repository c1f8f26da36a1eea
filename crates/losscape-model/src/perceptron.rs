//! The network, its loss and the analytic derivatives.

use losscape_core::Landscape;

use crate::{Dataset, Layout};

/// Hidden units that fit the small stack buffers of the hot path.
const SMALL_H: usize = 8;
/// Outputs that fit the small stack buffers of the hot path.
const SMALL_O: usize = 4;
/// Hidden units that fit the large stack buffers of the hot path; wider networks use a heap
/// buffer allocated once per call.
pub const STACK_HIDDEN: usize = 64;
/// Outputs that fit the large stack buffers of the hot path; more use a heap buffer.
pub const STACK_OUTPUTS: usize = 16;
/// Largest number of parameters a network may have (the dense Hessian of this many is already
/// 8 GiB).
pub const MAX_PARAMETERS: usize = 1 << 15;

/// Why a network could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// `n_hidden == 0`.
    #[error("the number of hidden units must be at least 1, got 0")]
    NoHiddenUnits,
    /// `lambda` is not a positive finite number.
    #[error(
        "the regularisation lambda must be a finite number > 0 (with 0 the XOR minima run off to infinity), got {0}"
    )]
    BadLambda(f64),
    /// The data set has no rows.
    #[error("the data set is empty: need at least 1 row")]
    EmptyData,
    /// The data set's fields contradict each other (only possible for hand-built data sets).
    #[error("inconsistent data set: {0}")]
    InconsistentData(String),
    /// Too many parameters.
    #[error("the network would have {got} parameters; at most {max} are supported", max = MAX_PARAMETERS)]
    TooLarge {
        /// Parameters requested (saturated at `usize::MAX`).
        got: usize,
    },
}

/// A single-hidden-layer perceptron with tanh hidden units, linear outputs and softmax
/// cross-entropy, L2-regularised on every parameter (docs/model.md, "The loss"):
///
/// `E(w) = -(1/N) Σ_d ln softmax(y(x_d))_{c(d)} + λ Σ w²`.
///
/// Coordinates are in the GMIN order described by [`Layout`].
///
/// `energy_gradient` is the hot path of every search: it does not allocate for networks of up
/// to [`STACK_HIDDEN`] hidden units and [`STACK_OUTPUTS`] outputs (per-row scratch lives on the
/// stack; wider networks allocate one scratch buffer per call), and two-input two-class
/// problems such as XOR run a copy specialised to those sizes. The benchmark
/// `benches/energy_gradient.rs` compares it with a hand-written XOR loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Perceptron {
    data: Dataset,
    layout: Layout,
    lambda: f64,
    /// The data set's input symmetries, computed once because alignment needs them every call.
    symmetries: Vec<Vec<usize>>,
}

impl Perceptron {
    /// Builds the network for `data` with `n_hidden` tanh units and regularisation `lambda`.
    pub fn new(data: Dataset, n_hidden: usize, lambda: f64) -> Result<Self, ModelError> {
        if n_hidden == 0 {
            return Err(ModelError::NoHiddenUnits);
        }
        if !(lambda.is_finite() && lambda > 0.0) {
            return Err(ModelError::BadLambda(lambda));
        }
        if data.labels.is_empty() {
            return Err(ModelError::EmptyData);
        }
        check_data(&data)?;
        let dim = n_hidden
            .checked_mul(data.n_in + data.n_out + 1)
            .and_then(|d| d.checked_add(data.n_out))
            .unwrap_or(usize::MAX);
        if dim > MAX_PARAMETERS {
            return Err(ModelError::TooLarge { got: dim });
        }
        let layout = Layout {
            n_in: data.n_in,
            n_h: n_hidden,
            n_out: data.n_out,
        };
        let symmetries = data.input_symmetries();
        Ok(Self {
            data,
            layout,
            lambda,
            symmetries,
        })
    }

    /// Number of hidden units.
    pub fn n_hidden(&self) -> usize {
        self.layout.n_h
    }

    /// Regularisation strength λ.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// The training data.
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// The input-column permutations that map the data onto itself, identity first (see
    /// [`Dataset::input_symmetries`]).
    pub fn input_symmetries(&self) -> &[Vec<usize>] {
        &self.symmetries
    }

    /// Shape and parameter indices.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Number of parameters, `n_h*n_in + n_out*n_h + n_h + n_out`.
    pub fn dim(&self) -> usize {
        self.layout.dim()
    }

    /// Softmax output probabilities of the network `w` for one `input`, written into `out`
    /// (length `n_out`).
    pub fn probabilities(&self, w: &[f64], input: &[f64], out: &mut [f64]) {
        let nh = self.layout.n_h;
        if nh <= STACK_HIDDEN {
            let mut h = [0.0; STACK_HIDDEN];
            self.logits(w, input, &mut h[..nh], out);
        } else {
            let mut h = vec![0.0; nh];
            self.logits(w, input, &mut h, out);
        }
        softmax_in_place(out);
    }

    /// Predicted class of `input`: the output with the largest probability, the lowest index
    /// on ties.
    pub fn predict(&self, w: &[f64], input: &[f64]) -> usize {
        let (nh, no) = (self.layout.n_h, self.layout.n_out);
        if nh <= STACK_HIDDEN && no <= STACK_OUTPUTS {
            let (mut h, mut y) = ([0.0; STACK_HIDDEN], [0.0; STACK_OUTPUTS]);
            self.logits(w, input, &mut h[..nh], &mut y[..no]);
            argmax(&y[..no])
        } else {
            let (mut h, mut y) = (vec![0.0; nh], vec![0.0; no]);
            self.logits(w, input, &mut h, &mut y);
            argmax(&y)
        }
    }

    /// Fraction of the training rows that `w` classifies correctly.
    pub fn accuracy(&self, w: &[f64]) -> f64 {
        self.accuracy_on(w, &self.data.inputs, &self.data.labels)
    }

    /// Fraction of the rows of `inputs` (row-major, `n_in` columns) whose prediction equals
    /// the matching entry of `labels`.
    ///
    /// Returns NaN when there are no rows or `inputs.len() != labels.len() * n_in`.
    pub fn accuracy_on(&self, w: &[f64], inputs: &[f64], labels: &[usize]) -> f64 {
        let ni = self.layout.n_in;
        if labels.is_empty() || inputs.len() != labels.len() * ni {
            return f64::NAN;
        }
        let correct = inputs
            .chunks_exact(ni)
            .zip(labels)
            .filter(|&(x, &c)| self.predict(w, x) == c)
            .count();
        correct as f64 / labels.len() as f64
    }

    /// Hidden activations `h` and output logits `y` for one input.
    fn logits(&self, w: &[f64], x: &[f64], h: &mut [f64], y: &mut [f64]) {
        let l = self.layout;
        let (w_ih, rest) = w.split_at(l.n_h * l.n_in);
        let (w_ho, rest) = rest.split_at(l.n_out * l.n_h);
        let (b_h, b_o) = rest.split_at(l.n_h);
        hidden(w_ih, b_h, x, l.n_in, h);
        for ((yi, row), &b) in y.iter_mut().zip(w_ho.chunks_exact(l.n_h)).zip(b_o) {
            *yi = b + dot(row, h);
        }
    }

    /// The energy and gradient kernel with caller-provided scratch: `h` holds `2 * n_h`
    /// values (activations, then back-propagated errors), `p` holds `n_out`.
    ///
    /// The shape is passed in (it must equal the layout's) so that callers can pass literal
    /// sizes: inlined with constants, the short input and output loops are fully unrolled.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn energy_gradient_with(
        &self,
        w: &[f64],
        g: &mut [f64],
        h: &mut [f64],
        p: &mut [f64],
        ni: usize,
        nh: usize,
        no: usize,
    ) -> f64 {
        debug_assert_eq!(
            self.layout,
            Layout {
                n_in: ni,
                n_h: nh,
                n_out: no
            }
        );
        let (w_ih, rest) = w.split_at(nh * ni);
        let (w_ho, rest) = rest.split_at(no * nh);
        let (b_h, b_o) = rest.split_at(nh);
        g.fill(0.0);
        let (g_ih, rest) = g.split_at_mut(nh * ni);
        let (g_ho, rest) = rest.split_at_mut(no * nh);
        let (g_bh, g_bo) = rest.split_at_mut(nh);
        let (h, beta) = h.split_at_mut(nh);
        let beta = &mut beta[..nh];
        let p = &mut p[..no];
        let inv_n = 1.0 / self.data.len() as f64;

        let mut loss = 0.0;
        for (x, &c) in self.data.inputs.chunks_exact(ni).zip(&self.data.labels) {
            hidden(w_ih, b_h, x, ni, h);
            loss += output_errors(w_ho, b_o, h, p, c, nh, inv_n);
            let grads = RowGradients {
                g_ih: &mut *g_ih,
                g_ho: &mut *g_ho,
                g_bh: &mut *g_bh,
                g_bo: &mut *g_bo,
            };
            back_propagate(grads, w_ho, x, h, beta, p, ni, nh);
        }

        let two_lambda = 2.0 * self.lambda;
        let mut penalty = 0.0;
        for (gi, &wi) in g.iter_mut().zip(w) {
            penalty += wi * wi;
            *gi += two_lambda * wi;
        }
        loss * inv_n + self.lambda * penalty
    }

    /// The Hessian-vector kernel (Pearlmutter's R-operator: the directional derivative of the
    /// back-propagated gradient along `v`), with caller-provided scratch: `s` holds `4 * n_h`
    /// values (activations, their R-derivatives, back-propagated errors and their
    /// R-derivatives), `p` holds `2 * n_out` (output errors and their R-derivatives).
    ///
    /// One product costs about two gradients and never forms the P × P Hessian, so Lanczos
    /// and eigenvector-following stay O(P) per product at any width.
    fn hessian_vector_with(
        &self,
        w: &[f64],
        v: &[f64],
        out: &mut [f64],
        s: &mut [f64],
        p: &mut [f64],
    ) {
        let Layout {
            n_in: ni,
            n_h: nh,
            n_out: no,
        } = self.layout;
        let (w_ih, rest) = w.split_at(nh * ni);
        let (w_ho, rest) = rest.split_at(no * nh);
        let (b_h, b_o) = rest.split_at(nh);
        let (v_ih, rest) = v.split_at(nh * ni);
        let (v_ho, rest) = rest.split_at(no * nh);
        let (v_bh, v_bo) = rest.split_at(nh);
        out.fill(0.0);
        let (o_ih, rest) = out.split_at_mut(nh * ni);
        let (o_ho, rest) = rest.split_at_mut(no * nh);
        let (o_bh, o_bo) = rest.split_at_mut(nh);
        let (h, rest) = s.split_at_mut(nh);
        let (rh, rest) = rest.split_at_mut(nh);
        let (beta, rbeta) = rest.split_at_mut(nh);
        let rbeta = &mut rbeta[..nh];
        let (d, rd) = p.split_at_mut(no);
        let rd = &mut rd[..no];
        let inv_n = 1.0 / self.data.len() as f64;

        for (x, &c) in self.data.inputs.chunks_exact(ni).zip(&self.data.labels) {
            hidden(w_ih, b_h, x, ni, h);
            // R{a_j} = v_b[j] + Σ_k v_W[j][k] x_k, R{h_j} = (1 - h_j²) R{a_j}.
            for ((rhj, (vrow, &vb)), &hj) in
                rh.iter_mut().zip(v_ih.chunks_exact(ni).zip(v_bh)).zip(&*h)
            {
                *rhj = (1.0 - hj * hj) * (vb + dot(vrow, x));
            }
            // Logits y and their R-derivatives, then the output errors and theirs.
            output_r_errors((w_ho, v_ho), (b_o, v_bo), (h, rh), (d, rd), c, nh, inv_n);

            let grads = RowGradients {
                g_ih: &mut *o_ih,
                g_ho: &mut *o_ho,
                g_bh: &mut *o_bh,
                g_bo: &mut *o_bo,
            };
            r_back_propagate(
                grads,
                w_ho,
                v_ho,
                x,
                (h, rh),
                (beta, rbeta),
                (d, rd),
                ni,
                nh,
            );
        }
        let two_lambda = 2.0 * self.lambda;
        for (o, &vi) in out.iter_mut().zip(v) {
            *o += two_lambda * vi;
        }
    }

    /// The energy kernel with caller-provided scratch (`n_h` and `n_out` values).
    fn energy_with(&self, w: &[f64], h: &mut [f64], y: &mut [f64]) -> f64 {
        let ni = self.layout.n_in;
        let mut loss = 0.0;
        for (x, &c) in self.data.inputs.chunks_exact(ni).zip(&self.data.labels) {
            self.logits(w, x, h, y);
            loss += log_sum_exp(y) - y[c];
        }
        loss / self.data.len() as f64 + self.lambda * dot(w, w)
    }
}

/// Writes the Jacobian of the logits with respect to the weights at one sample `xd` (rows:
/// outputs, each of length `l.dim()`) into `jac`, from the hidden activations `h` and the
/// hidden-to-output weights `w_ho`.
#[inline(always)]
fn logit_jacobian(l: &Layout, w_ho: &[f64], h: &[f64], xd: &[f64], jac: &mut [f64]) {
    let (ni, nh, no) = (l.n_in, l.n_h, l.n_out);
    let n = l.dim();
    let xt = |k: usize| if k < ni { xd[k] } else { 1.0 };
    jac.fill(0.0);
    for i in 0..no {
        let row = &mut jac[i * n..(i + 1) * n];
        for j in 0..nh {
            let dh = 1.0 - h[j] * h[j];
            let wdh = w_ho[i * nh + j] * dh;
            for k in 0..=ni {
                row[l.incoming(j, k)] = wdh * xt(k);
            }
            row[l.w_ho(i, j)] = h[j];
        }
        row[l.b_o(i)] = 1.0;
    }
}

/// Adds one sample's softmax curvature term `inv_n Jᵀ S J = inv_n (Σ_i p_i J_iᵀ J_i - v vᵀ)`
/// with `v = Jᵀ p` to the row-major `hess`; `v` is scratch of length `l.dim()`.
#[inline(always)]
fn add_softmax_curvature(
    l: &Layout,
    jac: &[f64],
    p: &[f64],
    inv_n: f64,
    v: &mut [f64],
    hess: &mut [f64],
) {
    let (no, n) = (l.n_out, l.dim());
    v.fill(0.0);
    for i in 0..no {
        let row = &jac[i * n..(i + 1) * n];
        let pi = p[i] * inv_n;
        for (vb, &r) in v.iter_mut().zip(row) {
            *vb += p[i] * r;
        }
        for (a, &ra) in row.iter().enumerate() {
            if ra == 0.0 {
                continue;
            }
            let s = pi * ra;
            for (hb, &rb) in hess[a * n..(a + 1) * n].iter_mut().zip(row) {
                *hb += s * rb;
            }
        }
    }
    for (a, &va) in v.iter().enumerate() {
        let s = inv_n * va;
        for (hb, &vb) in hess[a * n..(a + 1) * n].iter_mut().zip(&*v) {
            *hb -= s * vb;
        }
    }
}

impl Landscape for Perceptron {
    fn dim(&self) -> usize {
        self.layout.dim()
    }

    fn energy(&self, x: &[f64]) -> f64 {
        debug_assert_eq!(x.len(), self.dim());
        let (nh, no) = (self.layout.n_h, self.layout.n_out);
        if nh <= STACK_HIDDEN && no <= STACK_OUTPUTS {
            let (mut h, mut y) = ([0.0; STACK_HIDDEN], [0.0; STACK_OUTPUTS]);
            self.energy_with(x, &mut h[..nh], &mut y[..no])
        } else {
            let (mut h, mut y) = (vec![0.0; nh], vec![0.0; no]);
            self.energy_with(x, &mut h, &mut y)
        }
    }

    /// The hot path. Per-row scratch lives on the stack (a small buffer for up to
    /// 8 hidden units and 4 outputs, a larger one for up to [`STACK_HIDDEN`] hidden units and
    /// [`STACK_OUTPUTS`] outputs); only wider networks allocate, once per call.
    fn energy_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        debug_assert_eq!(x.len(), self.dim());
        debug_assert_eq!(grad.len(), self.dim());
        let Layout {
            n_in: ni,
            n_h: nh,
            n_out: no,
        } = self.layout;
        if nh <= SMALL_H && no <= SMALL_O {
            let (mut h, mut p) = ([0.0; 2 * SMALL_H], [0.0; SMALL_O]);
            if (ni, no) == (2, 2) {
                // XOR-shaped problems, the main workload: a copy specialised to these sizes.
                self.energy_gradient_with(x, grad, &mut h, &mut p, 2, nh, 2)
            } else {
                self.energy_gradient_with(x, grad, &mut h, &mut p, ni, nh, no)
            }
        } else if nh <= STACK_HIDDEN && no <= STACK_OUTPUTS {
            let (mut h, mut p) = ([0.0; 2 * STACK_HIDDEN], [0.0; STACK_OUTPUTS]);
            self.energy_gradient_with(x, grad, &mut h, &mut p, ni, nh, no)
        } else {
            let (mut h, mut p) = (vec![0.0; 2 * nh], vec![0.0; no]);
            self.energy_gradient_with(x, grad, &mut h, &mut p, ni, nh, no)
        }
    }

    /// Analytic Hessian `(1/N) Σ_d (Jᵀ S J + Σ_i g_i ∇²y_i) + 2λ I`, where `J = ∂y/∂w`,
    /// `S = diag(p) - p pᵀ` is the softmax curvature and `g = p - onehot(c)`.
    fn hessian(&self, x: &[f64], hess: &mut [f64]) {
        let l = self.layout;
        let (ni, nh, no) = (l.n_in, l.n_h, l.n_out);
        let n = l.dim();
        debug_assert_eq!(hess.len(), n * n);
        hess.fill(0.0);
        let w_ho = &x[l.w_ho(0, 0)..l.w_ho(0, 0) + no * nh];
        // Scratch, allocated once per call.
        let mut h = vec![0.0; nh];
        let mut p = vec![0.0; no];
        let mut jac = vec![0.0; no * n];
        let mut v = vec![0.0; n];
        let inv_n = 1.0 / self.data.len() as f64;

        for (xd, &c) in self.data.inputs.chunks_exact(ni).zip(&self.data.labels) {
            self.logits(x, xd, &mut h, &mut p);
            softmax_in_place(&mut p);
            let xt = |k: usize| if k < ni { xd[k] } else { 1.0 };

            logit_jacobian(&l, w_ho, &h, xd, &mut jac);
            add_softmax_curvature(&l, &jac, &p, inv_n, &mut v, hess);
            // Second derivatives of the logits, weighted by g = p - onehot(c).
            for j in 0..nh {
                let dh = 1.0 - h[j] * h[j];
                let d2h = -2.0 * h[j] * dh;
                let mut t = 0.0;
                for i in 0..no {
                    let gi = (p[i] - if i == c { 1.0 } else { 0.0 }) * inv_n;
                    t += gi * w_ho[i * nh + j];
                    for k in 0..=ni {
                        let (a, b) = (l.w_ho(i, j), l.incoming(j, k));
                        let s = gi * dh * xt(k);
                        hess[a * n + b] += s;
                        hess[b * n + a] += s;
                    }
                }
                let t = t * d2h;
                for k in 0..=ni {
                    for m in 0..=ni {
                        hess[l.incoming(j, k) * n + l.incoming(j, m)] += t * xt(k) * xt(m);
                    }
                }
            }
        }
        let two_lambda = 2.0 * self.lambda;
        for a in 0..n {
            hess[a * n + a] += two_lambda;
        }
    }

    /// Exact `H v` by the R-operator in O(P): no Hessian is formed. Scratch lives on the
    /// stack up to [`STACK_HIDDEN`] hidden units and [`STACK_OUTPUTS`] outputs.
    fn hessian_vector(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        debug_assert_eq!(x.len(), self.dim());
        debug_assert_eq!(v.len(), self.dim());
        debug_assert_eq!(out.len(), self.dim());
        let (nh, no) = (self.layout.n_h, self.layout.n_out);
        if nh <= STACK_HIDDEN && no <= STACK_OUTPUTS {
            let (mut s, mut p) = ([0.0; 4 * STACK_HIDDEN], [0.0; 2 * STACK_OUTPUTS]);
            self.hessian_vector_with(x, v, out, &mut s, &mut p);
        } else {
            let (mut s, mut p) = (vec![0.0; 4 * nh], vec![0.0; 2 * no]);
            self.hessian_vector_with(x, v, out, &mut s, &mut p);
        }
    }

    fn align(&self, reference: &[f64], x: &mut [f64]) -> f64 {
        crate::align::align(self, reference, x)
    }
}

/// Checks the invariants the parsers guarantee, for data sets built by hand.
fn check_data(d: &Dataset) -> Result<(), ModelError> {
    let bad = |m: String| Err(ModelError::InconsistentData(m));
    if d.n_in == 0 {
        return bad("n_in is 0: need at least 1 input feature".into());
    }
    if d.n_out < 2 {
        return bad(format!("n_out is {}: need at least 2 classes", d.n_out));
    }
    if d.n_in.checked_mul(d.labels.len()) != Some(d.inputs.len()) {
        return bad(format!(
            "{} feature values for {} rows of {} features",
            d.inputs.len(),
            d.labels.len(),
            d.n_in
        ));
    }
    if let Some((row, &c)) = d.labels.iter().enumerate().find(|&(_, &c)| c >= d.n_out) {
        return bad(format!(
            "row {} has label {c}, labels must be below n_out = {}",
            row + 1,
            d.n_out
        ));
    }
    if let Some(pos) = d.inputs.iter().position(|v| !v.is_finite()) {
        return bad(format!("row {} has a non-finite feature", pos / d.n_in + 1));
    }
    Ok(())
}

/// `h_j = tanh(b_j + Σ_k W[j][k] x_k)`.
#[inline(always)]
fn hidden(w_ih: &[f64], b_h: &[f64], x: &[f64], n_in: usize, h: &mut [f64]) {
    for ((hj, row), &b) in h.iter_mut().zip(w_ih.chunks_exact(n_in)).zip(b_h) {
        *hj = (b + dot(row, x)).tanh();
    }
}

#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0, |s, (x, y)| s + x * y)
}

fn log_sum_exp(y: &[f64]) -> f64 {
    let m = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    m + y.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

fn softmax_in_place(y: &mut [f64]) {
    let m = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut z = 0.0;
    for v in y.iter_mut() {
        *v = (*v - m).exp();
        z += *v;
    }
    for v in y.iter_mut() {
        *v /= z;
    }
}

fn argmax(y: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in y.iter().enumerate().skip(1) {
        if v > y[best] {
            best = i;
        }
    }
    best
}

/// The output scores of one data row (hidden activations `h`), their softmax and the row's
/// loss term −ln p_c, which it returns; leaves in `p` the output errors
/// dE/dy / N = (softmax − onehot(c)) / N. Part of the energy-gradient kernel: inlined into it so
/// the short output loop is unrolled with the kernel's literal sizes.
#[inline(always)]
fn output_errors(
    w_ho: &[f64],
    b_o: &[f64],
    h: &[f64],
    p: &mut [f64],
    c: usize,
    nh: usize,
    inv_n: f64,
) -> f64 {
    let mut ymax = f64::NEG_INFINITY;
    for ((pi, row), &b) in p.iter_mut().zip(w_ho.chunks_exact(nh)).zip(b_o) {
        *pi = b + dot(row, h);
        ymax = ymax.max(*pi);
    }
    let yc = p[c];
    let mut z = 0.0;
    for pi in p.iter_mut() {
        *pi = (*pi - ymax).exp();
        z += *pi;
    }
    // p becomes dE_d/dy / N = (softmax - onehot) / N.
    let scale = inv_n / z;
    for pi in p.iter_mut() {
        *pi *= scale;
    }
    p[c] -= inv_n;
    // -ln p_c = ln Σ exp(y) - y_c, evaluated with the shift ymax (log-sum-exp).
    ymax + z.ln() - yc
}

/// The output errors of one data row and their R-derivatives along `v`: `d` becomes
/// (softmax − onehot(c)) / N and `rd` its directional derivative, from the activations `h`
/// and theirs `rh`. Part of the Hessian-vector kernel, inlined into it.
#[inline(always)]
fn output_r_errors(
    (w_ho, v_ho): (&[f64], &[f64]),
    (b_o, v_bo): (&[f64], &[f64]),
    (h, rh): (&[f64], &[f64]),
    (d, rd): (&mut [f64], &mut [f64]),
    c: usize,
    nh: usize,
    inv_n: f64,
) {
    let no = d.len();
    // Logits y and their R-derivatives.
    let mut ymax = f64::NEG_INFINITY;
    for i in 0..no {
        let (row, vrow) = (&w_ho[i * nh..(i + 1) * nh], &v_ho[i * nh..(i + 1) * nh]);
        d[i] = b_o[i] + dot(row, h);
        rd[i] = v_bo[i] + dot(vrow, h) + dot(row, rh);
        ymax = ymax.max(d[i]);
    }
    let mut z = 0.0;
    for di in d.iter_mut() {
        *di = (*di - ymax).exp();
        z += *di;
    }
    // d = softmax, then R{d} = p ⊙ (R{y} - pᵀ R{y}), both scaled by 1/N; d = (p - onehot)/N.
    let mut mean = 0.0;
    for (di, &ry) in d.iter_mut().zip(&*rd) {
        *di /= z;
        mean += *di * ry;
    }
    for (rdi, &di) in rd.iter_mut().zip(&*d) {
        *rdi = di * (*rdi - mean) * inv_n;
    }
    for di in d.iter_mut() {
        *di *= inv_n;
    }
    d[c] -= inv_n;
}

/// Adds one data row's Hessian-vector product: the R-derivative of the back-propagation, from
/// the output errors `d` and their R-derivatives `rd`, the activations `h` and theirs `rh`,
/// through the output weights (errors into `beta`, theirs into `rbeta`, scratch of `n_h`) and
/// the tanh units. Part of the Hessian-vector kernel, inlined into it.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn r_back_propagate(
    g: RowGradients<'_>,
    w_ho: &[f64],
    v_ho: &[f64],
    x: &[f64],
    (h, rh): (&[f64], &[f64]),
    (beta, rbeta): (&mut [f64], &mut [f64]),
    (d, rd): (&[f64], &[f64]),
    ni: usize,
    nh: usize,
) {
    let no = d.len();
    beta.fill(0.0);
    rbeta.fill(0.0);
    for i in 0..no {
        let (di, rdi) = (d[i], rd[i]);
        g.g_bo[i] += rdi;
        let at = i * nh..(i + 1) * nh;
        let (orow, row, vrow) = (&mut g.g_ho[at.clone()], &w_ho[at.clone()], &v_ho[at]);
        for j in 0..nh {
            orow[j] += rdi * h[j] + di * rh[j];
            beta[j] += di * row[j];
            rbeta[j] += rdi * row[j] + di * vrow[j];
        }
    }
    for j in 0..nh {
        let dh = 1.0 - h[j] * h[j];
        // R{β_j (1 - h_j²)} = R{β_j} (1 - h_j²) - 2 β_j h_j R{h_j}.
        let rback = rbeta[j] * dh - 2.0 * beta[j] * h[j] * rh[j];
        g.g_bh[j] += rback;
        for (ok, &xk) in g.g_ih[j * ni..(j + 1) * ni].iter_mut().zip(x) {
            *ok += rback * xk;
        }
    }
}

/// The four gradient blocks one data row adds to (input-to-hidden, hidden-to-output, hidden
/// biases, output biases).
struct RowGradients<'a> {
    g_ih: &'a mut [f64],
    g_ho: &'a mut [f64],
    g_bh: &'a mut [f64],
    g_bo: &'a mut [f64],
}

/// Adds one data row's gradient, back-propagating its output errors `p` through the output
/// weights (into `beta`, scratch of `n_h`) and the tanh units (activations `h`, input `x`).
/// Part of the energy-gradient kernel, inlined into it.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn back_propagate(
    g: RowGradients<'_>,
    w_ho: &[f64],
    x: &[f64],
    h: &[f64],
    beta: &mut [f64],
    p: &[f64],
    ni: usize,
    nh: usize,
) {
    beta.fill(0.0);
    for (((g_row, gb), row), &di) in g
        .g_ho
        .chunks_exact_mut(nh)
        .zip(g.g_bo.iter_mut())
        .zip(w_ho.chunks_exact(nh))
        .zip(p)
    {
        *gb += di;
        for (((gij, &hj), bj), &wij) in g_row.iter_mut().zip(h).zip(beta.iter_mut()).zip(row) {
            *gij += di * hj;
            *bj += di * wij;
        }
    }
    for (((g_row, gb), &bj), &hj) in g
        .g_ih
        .chunks_exact_mut(ni)
        .zip(g.g_bh.iter_mut())
        .zip(&*beta)
        .zip(h)
    {
        let back = bj * (1.0 - hj * hj);
        *gb += back;
        for (gk, &xk) in g_row.iter_mut().zip(x) {
            *gk += back * xk;
        }
    }
}
