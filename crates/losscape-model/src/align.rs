//! Symmetry alignment: input-column symmetries of the data, hidden-unit permutations and
//! hidden-unit sign flips, solved exactly with the Hungarian method.

use losscape_core::vec;

use crate::Perceptron;

/// Rewrites `x` into the symmetry copy closest to `reference`; returns the distance.
///
/// For every input symmetry σ of the data the best pairing of hidden units (each with its own
/// sign) is an assignment problem: the cost of giving reference unit `j` the `x` unit `k` is
/// `min_s |u_ref_j - s·u_x_k|²`, where a unit's vector `u` holds its incoming weights, its
/// bias and its outgoing weights. The output biases are unaffected by every symmetry.
pub(crate) fn align(model: &Perceptron, reference: &[f64], x: &mut [f64]) -> f64 {
    let l = model.layout();
    let (ni, nh, no) = (l.n_in, l.n_h, l.n_out);
    if !vec::all_finite(reference) || !vec::all_finite(x) {
        return vec::distance(reference, x);
    }
    let unit = ni + 1 + no;
    // Unit vectors of the reference, and of x under the current σ.
    let mut u_ref = vec![0.0; nh * unit];
    let mut u_x = vec![0.0; nh * unit];
    let identity: Vec<usize> = (0..ni).collect();
    gather_units(model, reference, &identity, &mut u_ref);

    let mut cost = vec![0.0; nh * nh];
    let mut flip = vec![false; nh * nh];
    let mut assign = vec![0usize; nh];
    let mut scratch = Hungarian::new(nh);
    // Best σ (index into the symmetry list), its assignment and its signs.
    let mut best_total = f64::INFINITY;
    let mut best_sigma = 0;
    let mut best_assign: Vec<usize> = (0..nh).collect();
    let mut best_flip = vec![false; nh];

    let symmetries = model.input_symmetries();
    for (index, sigma) in symmetries.iter().enumerate() {
        gather_units(model, x, sigma, &mut u_x);
        for j in 0..nh {
            let r = &u_ref[j * unit..(j + 1) * unit];
            for k in 0..nh {
                let c = &u_x[k * unit..(k + 1) * unit];
                // Summed directly (not via |a|²+|b|²-2|a·b|) so identical units cost exactly 0.
                let (same, opposite) = r.iter().zip(c).fold((0.0, 0.0), |(s, o), (a, b)| {
                    (s + (a - b) * (a - b), o + (a + b) * (a + b))
                });
                cost[j * nh + k] = same.min(opposite);
                flip[j * nh + k] = opposite < same;
            }
        }
        let total = scratch.solve(&cost, &mut assign);
        // Strictly better only: ties keep the earlier σ (the identity comes first).
        if total < best_total {
            best_total = total;
            best_sigma = index;
            best_assign.copy_from_slice(&assign);
            for (j, f) in best_flip.iter_mut().enumerate() {
                *f = flip[j * nh + assign[j]];
            }
        }
    }

    let sigma = &symmetries[best_sigma];
    let original = x.to_vec();
    for (j, (&k, &flipped)) in best_assign.iter().zip(&best_flip).enumerate() {
        let s = if flipped { -1.0 } else { 1.0 };
        for (m, &sm) in sigma.iter().enumerate() {
            x[l.w_ih(j, m)] = s * original[l.w_ih(k, sm)];
        }
        x[l.b_h(j)] = s * original[l.b_h(k)];
        for i in 0..no {
            x[l.w_ho(i, j)] = s * original[l.w_ho(i, k)];
        }
    }
    vec::distance(reference, x)
}

/// Writes each hidden unit's vector (incoming weights permuted by σ, bias, outgoing weights).
fn gather_units(model: &Perceptron, w: &[f64], sigma: &[usize], out: &mut [f64]) {
    let l = model.layout();
    let unit = l.n_in + 1 + l.n_out;
    for (j, u) in out.chunks_exact_mut(unit).enumerate() {
        for (m, &s) in sigma.iter().enumerate() {
            u[m] = w[l.w_ih(j, s)];
        }
        u[l.n_in] = w[l.b_h(j)];
        for i in 0..l.n_out {
            u[l.n_in + 1 + i] = w[l.w_ho(i, j)];
        }
    }
}

/// Kuhn–Munkres for a square cost matrix in O(n³), with reusable scratch.
///
/// Shortest augmenting paths with row/column potentials: each row is added in turn and
/// connected to a free column along reduced costs kept non-negative by the potentials.
pub(crate) struct Hungarian {
    n: usize,
    /// Row potentials (index 0 is a sentinel).
    u: Vec<f64>,
    /// Column potentials (index 0 is a sentinel).
    v: Vec<f64>,
    /// `row_of[col]`: 1-based row matched to column `col` (0 = free).
    row_of: Vec<usize>,
    /// Predecessor column on the current augmenting path.
    way: Vec<usize>,
    min_reduced: Vec<f64>,
    used: Vec<bool>,
}

impl Hungarian {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            n,
            u: vec![0.0; n + 1],
            v: vec![0.0; n + 1],
            row_of: vec![0; n + 1],
            way: vec![0; n + 1],
            min_reduced: vec![0.0; n + 1],
            used: vec![false; n + 1],
        }
    }

    /// Minimum-cost perfect matching of the row-major `n × n` `cost`: writes `assign[row] =
    /// column` and returns the total cost. Non-finite costs fall back to the identity.
    pub(crate) fn solve(&mut self, cost: &[f64], assign: &mut [usize]) -> f64 {
        let n = self.n;
        debug_assert_eq!(cost.len(), n * n);
        if !cost.iter().all(|c| c.is_finite()) {
            for (i, a) in assign.iter_mut().enumerate() {
                *a = i;
            }
            return (0..n).map(|i| cost[i * n + i]).sum();
        }
        self.u.fill(0.0);
        self.v.fill(0.0);
        self.row_of.fill(0);
        self.way.fill(0);
        for row in 1..=n {
            self.row_of[0] = row;
            let mut col = 0;
            self.min_reduced.fill(f64::INFINITY);
            self.used.fill(false);
            // Grow the alternating tree until it reaches a free column.
            loop {
                self.used[col] = true;
                let r = self.row_of[col];
                let mut delta = f64::INFINITY;
                let mut next = 0;
                for j in 1..=n {
                    if self.used[j] {
                        continue;
                    }
                    let reduced = cost[(r - 1) * n + (j - 1)] - self.u[r] - self.v[j];
                    if reduced < self.min_reduced[j] {
                        self.min_reduced[j] = reduced;
                        self.way[j] = col;
                    }
                    if self.min_reduced[j] < delta {
                        delta = self.min_reduced[j];
                        next = j;
                    }
                }
                if next == 0 {
                    // Cannot happen with finite costs; guards against an endless loop.
                    break;
                }
                for j in 0..=n {
                    if self.used[j] {
                        self.u[self.row_of[j]] += delta;
                        self.v[j] -= delta;
                    } else {
                        self.min_reduced[j] -= delta;
                    }
                }
                col = next;
                if self.row_of[col] == 0 {
                    break;
                }
            }
            // Flip the matching along the augmenting path.
            while col != 0 {
                let prev = self.way[col];
                self.row_of[col] = self.row_of[prev];
                col = prev;
            }
        }
        for j in 1..=n {
            if self.row_of[j] > 0 {
                assign[self.row_of[j] - 1] = j - 1;
            }
        }
        (0..n).map(|i| cost[i * n + assign[i]]).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn brute_force(cost: &[f64], n: usize) -> f64 {
        fn go(cost: &[f64], n: usize, row: usize, used: &mut Vec<bool>) -> f64 {
            if row == n {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for c in 0..n {
                if !used[c] {
                    used[c] = true;
                    best = best.min(cost[row * n + c] + go(cost, n, row + 1, used));
                    used[c] = false;
                }
            }
            best
        }
        go(cost, n, 0, &mut vec![false; n])
    }

    #[test]
    fn hungarian_matches_brute_force() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in 1..=6 {
            let mut h = Hungarian::new(n);
            let mut assign = vec![0; n];
            for trial in 0..30 {
                let cost: Vec<f64> = (0..n * n)
                    .map(|_| {
                        // Integer costs in some trials to create ties.
                        if trial % 2 == 0 {
                            rng.random_range(0..4) as f64
                        } else {
                            rng.random_range(0.0..10.0)
                        }
                    })
                    .collect();
                let total = h.solve(&cost, &mut assign);
                let mut sorted = assign.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, (0..n).collect::<Vec<_>>());
                assert!(
                    (total - brute_force(&cost, n)).abs() < 1e-9,
                    "n={n} {cost:?}"
                );
            }
        }
    }

    #[test]
    fn hungarian_survives_non_finite_costs() {
        let mut h = Hungarian::new(2);
        let mut assign = [9, 9];
        h.solve(&[f64::NAN, 1.0, 2.0, f64::INFINITY], &mut assign);
        assert_eq!(assign, [0, 1]);
    }
}
