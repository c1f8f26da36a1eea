//! The order of the symmetry group and of a point's stabiliser, for counting how many
//! stationary points one stored orbit stands for (the Morse census of docs/model.md).
//!
//! The group `G` is the product of the data's input symmetries `σ`, the hidden-unit
//! permutations `π` and the per-unit sign flips `s`; it acts on hidden unit `j` of `x` by
//! `(g·x)_j = s_j · σ(u_{π(j)})`, where a unit's vector `u` holds its incoming weights (permuted
//! by `σ`), its bias and its outgoing weights, and leaves the output biases alone (the same
//! action [`crate::Perceptron`]'s alignment searches over). For a fixed `σ`, the elements that
//! fix `x` are the pairings `π` with signs such that every unit `j` equals `s_j · σ(u_{π(j)})`;
//! with `M[j][k]` the number of signs that make unit `j` equal to `σ(u_k)`, their number is the
//! permanent of `M`. So `|Stab(x)| = Σ_σ perm(M_σ)`, without enumerating `G`.

use crate::Perceptron;

/// Largest block handled by the subset dynamic programme (2^20 counters).
const MAX_DP_BLOCK: usize = 20;

impl Perceptron {
    /// The order of the symmetry group `G`: `N_h! · 2^N_h · |input symmetries|` (see
    /// [`Perceptron::input_symmetries`]). Saturates at `u64::MAX` (from about `N_h = 17` on).
    pub fn symmetry_group_order(&self) -> u64 {
        let nh = self.layout().n_h as u64;
        let factorial = (1..=nh).fold(1u64, |acc, k| acc.saturating_mul(k));
        let signs = if nh >= 64 { u64::MAX } else { 1u64 << nh };
        factorial
            .saturating_mul(signs)
            .saturating_mul(self.input_symmetries().len() as u64)
    }

    /// The number of elements `g` of the symmetry group with `g·x = x` within `tol`: hidden unit
    /// `j` of `g·x` counts as equal to unit `j` of `x` when the **Euclidean distance** between
    /// the two unit vectors (incoming weights, bias, outgoing weights) is at most `tol`; the
    /// output biases are fixed by every element. So two points equal unit by unit within `tol`
    /// may differ by up to `sqrt(N_h)·tol` overall.
    ///
    /// Computed as `Σ_σ perm(M_σ)` (see the module documentation) without enumerating the
    /// group: the permanent splits into the connected blocks of `M`, a block with equal entries
    /// has a closed form and the others are counted by a dynamic programme over subsets of
    /// columns, so `N_h = 8` costs microseconds. At least 1 for finite `x` (the identity), `1`
    /// for non-finite `x`; saturates at `u64::MAX` like [`Perceptron::symmetry_group_order`].
    ///
    /// # Panics
    /// If `x.len()` is not [`Perceptron::dim`].
    pub fn stabiliser_order(&self, x: &[f64], tol: f64) -> u64 {
        assert_eq!(
            x.len(),
            self.dim(),
            "a point of this network has {} coordinates",
            self.dim()
        );
        if !x.iter().all(|v| v.is_finite()) {
            return 1;
        }
        let tol = if tol.is_nan() { 0.0 } else { tol.max(0.0) };
        let l = self.layout();
        let (nh, unit) = (l.n_h, l.n_in + 1 + l.n_out);
        let units = |sigma: &[usize]| -> Vec<f64> {
            let mut out = vec![0.0; nh * unit];
            for (j, u) in out.chunks_exact_mut(unit).enumerate() {
                for (m, &s) in sigma.iter().enumerate() {
                    u[m] = x[l.w_ih(j, s)];
                }
                u[l.n_in] = x[l.b_h(j)];
                for i in 0..l.n_out {
                    u[l.n_in + 1 + i] = x[l.w_ho(i, j)];
                }
            }
            out
        };
        let reference = units(&self.input_symmetries()[0]);
        let tol2 = tol * tol;
        let mut total = 0u64;
        let mut m = vec![0u8; nh * nh];
        for sigma in self.input_symmetries() {
            let moved = units(sigma);
            for j in 0..nh {
                let a = &reference[j * unit..(j + 1) * unit];
                for k in 0..nh {
                    let b = &moved[k * unit..(k + 1) * unit];
                    let (same, opposite) = a.iter().zip(b).fold((0.0, 0.0), |(s, o), (p, q)| {
                        (s + (p - q) * (p - q), o + (p + q) * (p + q))
                    });
                    m[j * nh + k] = u8::from(same <= tol2) + u8::from(opposite <= tol2);
                }
            }
            total = total.saturating_add(permanent(&m, nh));
        }
        total.max(1)
    }
}

/// Permanent of the row-major `n × n` matrix `m` of small non-negative integers, saturating.
///
/// Splits the bipartite graph of non-zero entries into connected blocks (the permanent is the
/// product of the blocks' permanents, and 0 if a block has more rows than columns or the
/// reverse). A block whose entries are all equal to `c` has permanent `size! · c^size`; any
/// other block is counted by dynamic programming over subsets of its columns (blocks larger
/// than [`MAX_DP_BLOCK`] fall back to a depth-first search over the non-zero entries).
pub(crate) fn permanent(m: &[u8], n: usize) -> u64 {
    debug_assert_eq!(m.len(), n * n);
    // Union-find over rows 0..n and columns n..2n.
    let mut parent: Vec<usize> = (0..2 * n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for j in 0..n {
        for k in 0..n {
            if m[j * n + k] > 0 {
                let (a, b) = (root(&mut parent, j), root(&mut parent, n + k));
                parent[a] = b;
            }
        }
    }
    let mut blocks: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    let mut block_of = vec![usize::MAX; 2 * n];
    for i in 0..2 * n {
        let r = root(&mut parent, i);
        if block_of[r] == usize::MAX {
            block_of[r] = blocks.len();
            blocks.push((Vec::new(), Vec::new()));
        }
        let b = &mut blocks[block_of[r]];
        if i < n {
            b.0.push(i);
        } else {
            b.1.push(i - n);
        }
    }
    let mut product = 1u64;
    for (rows, cols) in &blocks {
        if rows.len() != cols.len() {
            return 0; // includes a row or column of zeros
        }
        let size = rows.len();
        let first = m[rows[0] * n + cols[0]];
        let constant = rows
            .iter()
            .all(|&j| cols.iter().all(|&k| m[j * n + k] == first));
        let value = if constant {
            let factorial = (1..=size as u64).fold(1u64, |acc, k| acc.saturating_mul(k));
            (0..size).fold(factorial, |acc, _| acc.saturating_mul(u64::from(first)))
        } else if size <= MAX_DP_BLOCK {
            subset_dp(m, n, rows, cols)
        } else {
            let mut used = vec![false; size];
            depth_first(m, n, rows, cols, 0, &mut used)
        };
        product = product.saturating_mul(value);
        if product == 0 {
            return 0;
        }
    }
    product
}

/// Permanent of the block `rows × cols` of `m`: `count[S]` is the number of weighted ways to
/// match the first `|S|` rows to the column set `S`.
fn subset_dp(m: &[u8], n: usize, rows: &[usize], cols: &[usize]) -> u64 {
    let size = rows.len();
    let mut count = vec![0u64; 1 << size];
    count[0] = 1;
    for set in 0..(1usize << size) {
        let ways = count[set];
        if ways == 0 {
            continue;
        }
        let filled = set.count_ones() as usize;
        if filled == size {
            continue;
        }
        let row = rows[filled];
        for (c, &col) in cols.iter().enumerate() {
            let weight = m[row * n + col];
            if set & (1 << c) == 0 && weight > 0 {
                let next = set | (1 << c);
                count[next] = count[next].saturating_add(ways.saturating_mul(u64::from(weight)));
            }
        }
    }
    count[(1 << size) - 1]
}

/// Permanent of the block by depth-first search over the non-zero entries of each row.
fn depth_first(
    m: &[u8],
    n: usize,
    rows: &[usize],
    cols: &[usize],
    r: usize,
    used: &mut [bool],
) -> u64 {
    if r == rows.len() {
        return 1;
    }
    let mut total = 0u64;
    for (c, &col) in cols.iter().enumerate() {
        let weight = m[rows[r] * n + col];
        if !used[c] && weight > 0 {
            used[c] = true;
            let rest = depth_first(m, n, rows, cols, r + 1, used);
            used[c] = false;
            total = total.saturating_add(rest.saturating_mul(u64::from(weight)));
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dataset, Layout};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn xor(n_h: usize) -> Perceptron {
        Perceptron::new(Dataset::xor(), n_h, 1e-3).unwrap()
    }

    fn random_point(rng: &mut ChaCha8Rng, dim: usize) -> Vec<f64> {
        (0..dim).map(|_| rng.random_range(-2.0..2.0)).collect()
    }

    /// Permanent by the definition, over all permutations.
    fn brute_permanent(m: &[u8], n: usize) -> u64 {
        fn go(m: &[u8], n: usize, r: usize, used: &mut [bool]) -> u64 {
            if r == n {
                return 1;
            }
            let mut total = 0;
            for c in 0..n {
                if !used[c] {
                    used[c] = true;
                    total += u64::from(m[r * n + c]) * go(m, n, r + 1, used);
                    used[c] = false;
                }
            }
            total
        }
        go(m, n, 0, &mut vec![false; n])
    }

    /// Unit vector of hidden unit `j` (incoming weights permuted by σ, bias, outgoing).
    fn unit_vector(l: Layout, w: &[f64], j: usize, sigma: &[usize]) -> Vec<f64> {
        let mut u: Vec<f64> = sigma.iter().map(|&s| w[l.w_ih(j, s)]).collect();
        u.push(w[l.b_h(j)]);
        u.extend((0..l.n_out).map(|i| w[l.w_ho(i, j)]));
        u
    }

    fn set_unit(l: Layout, w: &mut [f64], j: usize, u: &[f64]) {
        for m in 0..l.n_in {
            w[l.w_ih(j, m)] = u[m];
        }
        w[l.b_h(j)] = u[l.n_in];
        for i in 0..l.n_out {
            w[l.w_ho(i, j)] = u[l.n_in + 1 + i];
        }
    }

    /// Counts the stabiliser by applying every element of the group.
    fn brute_stabiliser(model: &Perceptron, x: &[f64], tol: f64) -> u64 {
        let l = model.layout();
        let nh = l.n_h;
        let mut perm: Vec<usize> = (0..nh).collect();
        let mut perms = Vec::new();
        fn all(perm: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
            if k == perm.len() {
                out.push(perm.clone());
                return;
            }
            for i in k..perm.len() {
                perm.swap(k, i);
                all(perm, k + 1, out);
                perm.swap(k, i);
            }
        }
        all(&mut perm, 0, &mut perms);
        let mut count = 0;
        for sigma in model.input_symmetries() {
            for p in &perms {
                for signs in 0..(1u32 << nh) {
                    let fixed = (0..nh).all(|j| {
                        let s = if signs & (1 << j) != 0 { -1.0 } else { 1.0 };
                        let mine = unit_vector(l, x, j, &(0..l.n_in).collect::<Vec<_>>());
                        let image = unit_vector(l, x, p[j], sigma);
                        let d2: f64 = mine
                            .iter()
                            .zip(&image)
                            .map(|(a, b)| (a - s * b) * (a - s * b))
                            .sum();
                        d2.sqrt() <= tol
                    });
                    count += u64::from(fixed);
                }
            }
        }
        count
    }

    #[test]
    fn group_orders() {
        assert_eq!(xor(1).symmetry_group_order(), 2 * 2);
        assert_eq!(xor(2).symmetry_group_order(), 2 * 4 * 2);
        assert_eq!(xor(3).symmetry_group_order(), 6 * 8 * 2);
        assert_eq!(xor(8).symmetry_group_order(), 40320 * 256 * 2);
        assert_eq!(xor(40).symmetry_group_order(), u64::MAX);
    }

    #[test]
    fn the_origin_is_fixed_by_the_whole_group() {
        for nh in 1..=8 {
            let m = xor(nh);
            let zero = vec![0.0; m.dim()];
            assert_eq!(m.stabiliser_order(&zero, 1e-6), m.symmetry_group_order());
        }
        // Output biases do not matter.
        let m = xor(3);
        let mut x = vec![0.0; m.dim()];
        x[m.layout().b_o(0)] = 0.3;
        assert_eq!(m.stabiliser_order(&x, 1e-6), m.symmetry_group_order());
    }

    #[test]
    fn generic_points_have_a_trivial_stabiliser() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for nh in 1..=8 {
            let m = xor(nh);
            for _ in 0..5 {
                let x = random_point(&mut rng, m.dim());
                assert_eq!(m.stabiliser_order(&x, 1e-6), 1, "N_h = {nh}");
            }
        }
    }

    #[test]
    fn dead_units_equal_units_and_input_swap_symmetric_units() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let m = xor(3);
        let l = m.layout();
        let x = random_point(&mut rng, m.dim());

        // A dead unit is fixed by its own sign flip.
        let mut dead = x.clone();
        set_unit(l, &mut dead, 1, &[0.0; 5]);
        assert_eq!(m.stabiliser_order(&dead, 1e-6), 2);
        // Two dead units: swap them, flip either.
        set_unit(l, &mut dead, 2, &[0.0; 5]);
        assert_eq!(m.stabiliser_order(&dead, 1e-6), 2 * 4);

        // Two equal units (or equal up to sign): swapping them.
        let mut twins = x.clone();
        let u0 = unit_vector(l, &x, 0, &[0, 1]);
        set_unit(l, &mut twins, 2, &u0);
        assert_eq!(m.stabiliser_order(&twins, 1e-6), 2);
        let minus: Vec<f64> = u0.iter().map(|v| -v).collect();
        set_unit(l, &mut twins, 2, &minus);
        assert_eq!(m.stabiliser_order(&twins, 1e-6), 2);

        // Every unit symmetric under the XOR input swap.
        let mut swap = x.clone();
        for j in 0..3 {
            swap[l.w_ih(j, 1)] = swap[l.w_ih(j, 0)];
        }
        assert_eq!(m.stabiliser_order(&swap, 1e-6), 2);
        // One unit mapped onto another by the swap (and a sign): swap σ combined with π.
        let mut paired = x.clone();
        let swapped: Vec<f64> = unit_vector(l, &x, 0, &[1, 0]).iter().map(|v| -v).collect();
        set_unit(l, &mut paired, 1, &swapped);
        let mut third = unit_vector(l, &x, 2, &[0, 1]);
        third[1] = third[0];
        set_unit(l, &mut paired, 2, &third);
        assert_eq!(m.stabiliser_order(&paired, 1e-6), 2);

        // Within tolerance, not beyond it.
        let mut near = twins.clone();
        near[l.b_h(2)] += 1e-8;
        assert_eq!(m.stabiliser_order(&near, 1e-6), 2);
        assert_eq!(m.stabiliser_order(&near, 1e-10), 1);
    }

    #[test]
    fn non_finite_points_count_once() {
        let m = xor(2);
        let mut x = vec![0.0; m.dim()];
        x[0] = f64::NAN;
        assert_eq!(m.stabiliser_order(&x, 1e-6), 1);
    }

    #[test]
    fn agrees_with_enumerating_the_group_on_symmetric_points() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for nh in [1, 2, 3] {
            let m = xor(nh);
            let l = m.layout();
            let mut seen_nontrivial = 0;
            for _ in 0..300 {
                let mut x = random_point(&mut rng, m.dim());
                for j in 0..nh {
                    let mut u = unit_vector(l, &x, j, &[0, 1]);
                    match rng.random_range(0..6) {
                        0 => u.fill(0.0),
                        1 if j > 0 => {
                            let k = rng.random_range(0..j);
                            let sigma: &[usize] = if rng.random_bool(0.5) {
                                &[0, 1]
                            } else {
                                &[1, 0]
                            };
                            let s = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                            u = unit_vector(l, &x, k, sigma).iter().map(|v| s * v).collect();
                        }
                        2 => u[1] = u[0],
                        _ => {}
                    }
                    set_unit(l, &mut x, j, &u);
                }
                let fast = m.stabiliser_order(&x, 1e-9);
                assert_eq!(fast, brute_stabiliser(&m, &x, 1e-9), "N_h = {nh}: {x:?}");
                assert_eq!(m.symmetry_group_order() % fast, 0, "Lagrange");
                seen_nontrivial += usize::from(fast > 1);
            }
            assert!(seen_nontrivial > 50, "too few symmetric points generated");
        }
    }

    #[test]
    fn permanents_match_the_definition() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        for n in 1..=7 {
            for trial in 0..200 {
                // Sparse matrices of 0, 1 and 2, sometimes dense.
                let zero_odds = if trial % 3 == 0 { 0.1 } else { 0.6 };
                let m: Vec<u8> = (0..n * n)
                    .map(|_| {
                        if rng.random_bool(zero_odds) {
                            0
                        } else {
                            rng.random_range(1..=2)
                        }
                    })
                    .collect();
                assert_eq!(permanent(&m, n), brute_permanent(&m, n), "{m:?}");
                let mut used = vec![false; n];
                let rows: Vec<usize> = (0..n).collect();
                assert_eq!(
                    depth_first(&m, n, &rows, &rows, 0, &mut used),
                    brute_permanent(&m, n)
                );
            }
        }
        // A big constant block uses the closed form.
        assert_eq!(permanent(&[2u8; 30 * 30], 30), u64::MAX);
        assert_eq!(permanent(&[1u8; 10 * 10], 10), 3_628_800);
    }
}
