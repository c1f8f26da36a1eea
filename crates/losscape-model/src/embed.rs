//! Embedding a network into one with an extra hidden unit (docs/model.md, "The loss", embedding).
//!
//! Padding a stationary point of the `n_h` network with a hidden unit whose weights are all
//! zero gives a stationary point of the `n_h + 1` network with the same energy. Its Hessian is
//! the old one plus the block `[[2λI, C], [Cᵀ, 2λI]]` over (new outgoing weights, new incoming
//! weights and bias), whose eigenvalues are `2λ ± σ_i(C)` and `2λ`: every singular value of
//! `C` above `2λ` adds one negative eigenvalue, so a minimum can become a saddle.

use crate::{ModelError, Perceptron};

impl Perceptron {
    /// Coordinates of `w` in the `n_h + 1` network: the new unit is appended as the last
    /// hidden unit with every weight (incoming, bias, outgoing) zero, in GMIN order.
    pub fn pad_hidden(&self, w: &[f64]) -> Vec<f64> {
        let old = self.layout();
        let mut new = old;
        new.n_h += 1;
        let mut out = vec![0.0; new.dim()];
        for j in 0..old.n_h {
            for k in 0..old.n_in {
                out[new.w_ih(j, k)] = w[old.w_ih(j, k)];
            }
            for i in 0..old.n_out {
                out[new.w_ho(i, j)] = w[old.w_ho(i, j)];
            }
            out[new.b_h(j)] = w[old.b_h(j)];
        }
        for i in 0..old.n_out {
            out[new.b_o(i)] = w[old.b_o(i)];
        }
        out
    }

    /// The same data and λ with `n_h` hidden units (fails only for `n_h = 0` or a network too
    /// large to represent).
    pub fn with_hidden(&self, n_h: usize) -> Result<Perceptron, ModelError> {
        Perceptron::new(self.data().clone(), n_h, self.lambda())
    }

    /// The coupling `C` (row-major `n_out × (n_in + 1)`) between a zero hidden unit's outgoing
    /// and incoming weights at `w`: `C[i][k] = (1/N) Σ_d (p_i(x_d) - [i == c(d)]) x̃_k` with
    /// `x̃ = (x_1..x_n_in, 1)`.
    pub fn embedding_coupling(&self, w: &[f64]) -> Vec<f64> {
        let l = self.layout();
        let (ni, no) = (l.n_in, l.n_out);
        let data = self.data();
        let mut c = vec![0.0; no * (ni + 1)];
        let mut p = vec![0.0; no];
        let inv_n = 1.0 / data.len() as f64;
        for (x, &label) in data.inputs.chunks_exact(ni).zip(&data.labels) {
            self.probabilities(w, x, &mut p);
            p[label] -= 1.0;
            for (row, &gi) in c.chunks_exact_mut(ni + 1).zip(&p) {
                for (ck, &xk) in row.iter_mut().zip(x) {
                    *ck += inv_n * gi * xk;
                }
                row[ni] += inv_n * gi;
            }
        }
        c
    }

    /// Singular values of [`Perceptron::embedding_coupling`], largest first (from the
    /// eigenvalues of the small symmetric `C Cᵀ`, so values far below `|C|` are resolved only
    /// to about `sqrt(ε)·|C|`; counting them against `2λ` is unaffected unless λ is tiny).
    pub fn coupling_singular_values(&self, w: &[f64]) -> Vec<f64> {
        let no = self.layout().n_out;
        let m = self.layout().n_in + 1;
        let c = self.embedding_coupling(w);
        let mut cct = vec![0.0; no * no];
        for a in 0..no {
            for b in 0..no {
                cct[a * no + b] = (0..m).map(|k| c[a * m + k] * c[b * m + k]).sum();
            }
        }
        let mut s: Vec<f64> = jacobi_eigenvalues(&mut cct, no)
            .into_iter()
            .map(|e| e.max(0.0).sqrt())
            .collect();
        s.sort_by(|a, b| b.total_cmp(a));
        s
    }

    /// Number of negative Hessian eigenvalues the padding adds at `w`: the singular values of
    /// `C` strictly above `2λ`. Meaningful at a stationary point `w`.
    pub fn predicted_added_negative(&self, w: &[f64]) -> usize {
        let threshold = 2.0 * self.lambda();
        self.coupling_singular_values(w)
            .iter()
            .filter(|&&s| s > threshold)
            .count()
    }
}

/// Eigenvalues of the symmetric row-major `n × n` matrix `a` by cyclic Jacobi rotations
/// (`a` is destroyed). Meant for the few-by-few matrices here; not a general solver.
pub(crate) fn jacobi_eigenvalues(a: &mut [f64], n: usize) -> Vec<f64> {
    const MAX_SWEEPS: usize = 100;
    let scale: f64 = a.iter().map(|v| v * v).sum::<f64>().sqrt();
    if scale.is_finite() && scale > 0.0 {
        for _ in 0..MAX_SWEEPS {
            let off: f64 = (0..n)
                .flat_map(|p| (p + 1..n).map(move |q| (p, q)))
                .map(|(p, q)| a[p * n + q] * a[p * n + q])
                .sum();
            if off.sqrt() <= 1e-15 * scale {
                break;
            }
            for p in 0..n {
                for q in p + 1..n {
                    let apq = a[p * n + q];
                    if apq == 0.0 {
                        continue;
                    }
                    // Rotation angle that zeroes a[p][q] (stable small-angle form).
                    let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                    let cos = 1.0 / (t * t + 1.0).sqrt();
                    let sin = t * cos;
                    for k in 0..n {
                        let (akp, akq) = (a[k * n + p], a[k * n + q]);
                        a[k * n + p] = cos * akp - sin * akq;
                        a[k * n + q] = sin * akp + cos * akq;
                    }
                    for k in 0..n {
                        let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                        a[p * n + k] = cos * apk - sin * aqk;
                        a[q * n + k] = sin * apk + cos * aqk;
                    }
                }
            }
        }
    }
    (0..n).map(|i| a[i * n + i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_finds_known_eigenvalues() {
        // [[2,1],[1,2]] has eigenvalues 1 and 3.
        let mut a = vec![2.0, 1.0, 1.0, 2.0];
        let mut e = jacobi_eigenvalues(&mut a, 2);
        e.sort_by(f64::total_cmp);
        assert!(
            (e[0] - 1.0).abs() < 1e-14 && (e[1] - 3.0).abs() < 1e-14,
            "{e:?}"
        );
        // A 3x3 with eigenvalues 0, 1, 3 (path graph Laplacian).
        let mut a = vec![1.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 1.0];
        let mut e = jacobi_eigenvalues(&mut a, 3);
        e.sort_by(f64::total_cmp);
        for (got, want) in e.iter().zip([0.0, 1.0, 3.0]) {
            assert!((got - want).abs() < 1e-13, "{e:?}");
        }
        // Trace and determinant preserved for a random-ish 4x4.
        let m = [
            4.0, 1.0, -2.0, 0.5, 1.0, 3.0, 0.0, 1.0, -2.0, 0.0, 5.0, -1.0, 0.5, 1.0, -1.0, 2.0,
        ];
        let mut a = m.to_vec();
        let e = jacobi_eigenvalues(&mut a, 4);
        let trace: f64 = (0..4).map(|i| m[i * 5]).sum();
        assert!((e.iter().sum::<f64>() - trace).abs() < 1e-12);
        let frob: f64 = m.iter().map(|v| v * v).sum();
        assert!((e.iter().map(|v| v * v).sum::<f64>() - frob).abs() < 1e-10);
    }
}
