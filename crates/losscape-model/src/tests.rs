//! Tests of the network: derivatives against finite differences, symmetries, alignment and
//! the embedding identities.

use losscape_core::{Landscape, fd, vec};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Dataset, Layout, ModelError, Perceptron};

fn xor(n_h: usize, lambda: f64) -> Perceptron {
    Perceptron::new(Dataset::xor(), n_h, lambda).unwrap()
}

/// A three-class, three-input set with no input symmetry.
fn three_class() -> Dataset {
    let text = "0.1,0.9,-0.3,0\n0.8,0.2,0.5,1\n-0.5,-0.4,0.9,2\n0.3,0.3,0.3,1\n-1,0.5,0,2\n0.7,-0.8,0.2,0\n";
    Dataset::parse_csv(text, false, "three.csv").unwrap()
}

fn random_point(rng: &mut ChaCha8Rng, dim: usize, scale: f64) -> Vec<f64> {
    (0..dim).map(|_| rng.random_range(-scale..scale)).collect()
}

/// Applies a hidden-unit permutation `perm` (new unit j = old unit perm[j]), sign flips and
/// an input permutation `sigma` (new W_ih[j][k] = old W_ih[j][sigma[k]]).
fn transform(l: Layout, w: &[f64], perm: &[usize], flips: &[bool], sigma: &[usize]) -> Vec<f64> {
    let mut out = w.to_vec();
    for j in 0..l.n_h {
        let k = perm[j];
        let s = if flips[j] { -1.0 } else { 1.0 };
        for m in 0..l.n_in {
            out[l.w_ih(j, m)] = s * w[l.w_ih(k, sigma[m])];
        }
        out[l.b_h(j)] = s * w[l.b_h(k)];
        for i in 0..l.n_out {
            out[l.w_ho(i, j)] = s * w[l.w_ho(i, k)];
        }
    }
    out
}

#[test]
fn construction_rejects_bad_arguments_with_allowed_values() {
    let e = Perceptron::new(Dataset::xor(), 0, 1e-4).unwrap_err();
    assert_eq!(e, ModelError::NoHiddenUnits);
    assert!(e.to_string().contains("at least 1"));
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = Perceptron::new(Dataset::xor(), 2, bad).unwrap_err();
        assert!(e.to_string().contains("finite number > 0"), "{e}");
    }
    let empty = Dataset {
        n_in: 2,
        n_out: 2,
        inputs: vec![],
        labels: vec![],
    };
    assert_eq!(
        Perceptron::new(empty, 2, 1e-4).unwrap_err(),
        ModelError::EmptyData
    );
    let ragged = Dataset {
        n_in: 2,
        n_out: 2,
        inputs: vec![0.0; 3],
        labels: vec![0, 1],
    };
    assert!(matches!(
        Perceptron::new(ragged, 2, 1e-4),
        Err(ModelError::InconsistentData(_))
    ));
    let label = Dataset {
        n_in: 1,
        n_out: 2,
        inputs: vec![0.0, 1.0],
        labels: vec![0, 2],
    };
    assert!(matches!(
        Perceptron::new(label, 2, 1e-4),
        Err(ModelError::InconsistentData(_))
    ));
    assert!(matches!(
        Perceptron::new(Dataset::xor(), usize::MAX / 2, 1e-4),
        Err(ModelError::TooLarge { .. })
    ));
    let m = xor(3, 1e-4);
    assert_eq!((m.dim(), m.n_hidden(), m.lambda()), (17, 3, 1e-4));
    assert_eq!(m.data(), &Dataset::xor());
}

#[test]
fn derivatives_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut models: Vec<Perceptron> = (1..=4).map(|n_h| xor(n_h, 1e-3)).collect();
    models.push(Perceptron::new(three_class(), 3, 0.01).unwrap());
    models.push(Perceptron::new(three_class(), 1, 0.01).unwrap());
    for m in &models {
        for _ in 0..4 {
            let w = random_point(&mut rng, m.dim(), 2.0);
            let ge = fd::gradient_error(m, &w, 1e-6);
            let he = fd::hessian_error(m, &w, 1e-5);
            assert!(ge < 1e-8, "n_h={} gradient error {ge}", m.n_hidden());
            assert!(he < 1e-7, "n_h={} Hessian error {he}", m.n_hidden());
            // energy() and energy_gradient() agree.
            let mut g = vec![0.0; m.dim()];
            let e = m.energy_gradient(&w, &mut g);
            assert!((e - m.energy(&w)).abs() < 1e-14 * e.abs().max(1.0));
        }
    }
}

/// Largest difference between the R-operator product `H v` and the dense Hessian times `v`,
/// relative to the product's size.
fn hvp_error_against_dense(m: &Perceptron, w: &[f64], v: &[f64]) -> f64 {
    let n = m.dim();
    let mut h = vec![0.0; n * n];
    m.hessian(w, &mut h);
    let mut hv = vec![0.0; n];
    m.hessian_vector(w, v, &mut hv);
    let scale = vec::norm(&hv).max(1.0);
    h.chunks_exact(n)
        .zip(&hv)
        .map(|(row, &got)| (vec::dot(row, v) - got).abs() / scale)
        .fold(0.0, f64::max)
}

#[test]
fn hessian_vector_products_match_the_dense_hessian_and_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let mut models: Vec<Perceptron> = [1, 2, 3, 8, 9, 70]
        .iter()
        .map(|&n_h| xor(n_h, 1e-3))
        .collect();
    models.push(Perceptron::new(three_class(), 3, 0.01).unwrap());
    models.push(Perceptron::new(three_class(), 1, 0.01).unwrap());
    for m in &models {
        let n = m.dim();
        for _ in 0..3 {
            let w = random_point(&mut rng, n, 2.0);
            let v = random_point(&mut rng, n, 1.0);
            let e = hvp_error_against_dense(m, &w, &v);
            assert!(
                e < 1e-13,
                "n_h={} H v differs from the dense Hessian by {e}",
                m.n_hidden()
            );
            // Central difference of the analytic gradient along v.
            let t = 1e-5;
            let (mut gp, mut gm, mut hv) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            let (mut xp, mut xm) = (w.clone(), w.clone());
            vec::axpy(t, &v, &mut xp);
            vec::axpy(-t, &v, &mut xm);
            m.energy_gradient(&xp, &mut gp);
            m.energy_gradient(&xm, &mut gm);
            m.hessian_vector(&w, &v, &mut hv);
            let fd_err = (0..n)
                .map(|i| ((gp[i] - gm[i]) / (2.0 * t) - hv[i]).abs())
                .fold(0.0, f64::max);
            assert!(
                fd_err < 1e-7,
                "n_h={} H v differs from finite differences by {fd_err}",
                m.n_hidden()
            );
        }
    }
    // At w = 0 the Hessian is known in closed form on the output biases: 2λ plus the softmax
    // curvature (1/N) Σ_d (diag(p) - p pᵀ) with p uniform, i.e. 1/4 - 1/4 on the diagonal
    // pair: H e_{b_o(0)} has 1/4 + 2λ at b_o(0) and -1/4 at b_o(1).
    let m = xor(2, 1e-3);
    let l = m.layout();
    let w = vec![0.0; m.dim()];
    let mut e0 = vec![0.0; m.dim()];
    e0[l.b_o(0)] = 1.0;
    let mut hv = vec![0.0; m.dim()];
    m.hessian_vector(&w, &e0, &mut hv);
    assert!((hv[l.b_o(0)] - (0.25 + 2e-3)).abs() < 1e-15, "{hv:?}");
    assert!((hv[l.b_o(1)] + 0.25).abs() < 1e-15, "{hv:?}");
}

#[test]
fn wide_networks_use_the_heap_path_correctly() {
    // 70 hidden units and 20 classes exceed the stack buffers.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let rows = 25;
    let inputs: Vec<f64> = (0..rows * 2).map(|_| rng.random_range(-1.0..1.0)).collect();
    let labels: Vec<usize> = (0..rows).map(|d| d % 20).collect();
    let data = Dataset {
        n_in: 2,
        n_out: 20,
        inputs,
        labels,
    };
    let m = Perceptron::new(data, 70, 1e-3).unwrap();
    let w = random_point(&mut rng, m.dim(), 0.5);
    assert!(fd::gradient_error(&m, &w, 1e-6) < 1e-8);
    let mut g = vec![0.0; m.dim()];
    assert!((m.energy_gradient(&w, &mut g) - m.energy(&w)).abs() < 1e-13);
    let v = random_point(&mut rng, m.dim(), 1.0);
    let e = hvp_error_against_dense(&m, &w, &v);
    assert!(
        e < 1e-13,
        "heap-path H v differs from the dense Hessian by {e}"
    );
}

#[test]
fn origin_is_stationary_with_energy_ln_n_out() {
    for n_h in 1..=4 {
        let m = xor(n_h, 1e-4);
        let w = vec![0.0; m.dim()];
        let mut g = vec![1.0; m.dim()];
        let e = m.energy_gradient(&w, &mut g);
        assert!((e - 2f64.ln()).abs() < 1e-15);
        assert!(g.iter().all(|&v| v == 0.0), "{g:?}");
    }
    let m = Perceptron::new(three_class(), 2, 1e-4).unwrap();
    let w = vec![0.0; m.dim()];
    assert!((m.energy(&w) - 3f64.ln()).abs() < 1e-15);
}

#[test]
fn energy_is_invariant_under_symmetries() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let m = xor(4, 1e-3);
    let l = m.layout();
    let w = random_point(&mut rng, m.dim(), 3.0);
    let e = m.energy(&w);
    for (perm, flips, sigma) in [
        ([1, 0, 2, 3], [false; 4], [0, 1]),
        ([0, 1, 2, 3], [true, false, false, true], [0, 1]),
        ([0, 1, 2, 3], [false; 4], [1, 0]),
        ([3, 2, 0, 1], [false, true, true, false], [1, 0]),
    ] {
        let v = transform(l, &w, &perm, &flips, &sigma);
        assert!(
            (m.energy(&v) - e).abs() < 1e-14,
            "{perm:?} {flips:?} {sigma:?}"
        );
    }
    // Swapping inputs is not a symmetry of the three-class set.
    let m3 = Perceptron::new(three_class(), 2, 1e-3).unwrap();
    assert_eq!(m3.input_symmetries().len(), 1);
}

#[test]
fn huge_weights_stay_finite() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for m in [
        xor(4, 1e-4),
        Perceptron::new(three_class(), 3, 1e-4).unwrap(),
    ] {
        let w: Vec<f64> = random_point(&mut rng, m.dim(), 1.0)
            .iter()
            .map(|v| v * 1e3)
            .collect();
        let mut g = vec![0.0; m.dim()];
        let e = m.energy_gradient(&w, &mut g);
        assert!(e.is_finite() && vec::all_finite(&g), "{e} {g:?}");
        let mut h = vec![0.0; m.dim() * m.dim()];
        m.hessian(&w, &mut h);
        assert!(vec::all_finite(&h));
        let mut p = vec![0.0; m.data().n_out];
        m.probabilities(&w, m.data().input(0), &mut p);
        assert!(vec::all_finite(&p) && (p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn symmetric_copies_align_back_exactly() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let m = xor(4, 1e-3);
    let l = m.layout();
    for _ in 0..20 {
        let w = random_point(&mut rng, m.dim(), 3.0);
        let mut perm = [0, 1, 2, 3];
        for i in (1..4).rev() {
            perm.swap(i, rng.random_range(0..=i));
        }
        let flips: Vec<bool> = (0..4).map(|_| rng.random_range(0..2) == 1).collect();
        let sigma = if rng.random_range(0..2) == 1 {
            [1, 0]
        } else {
            [0, 1]
        };
        let mut copy = transform(l, &w, &perm, &flips, &sigma);
        assert!((m.energy(&copy) - m.energy(&w)).abs() < 1e-13);
        let d = m.align(&w, &mut copy);
        assert!(d < 1e-12, "{d}");
        assert_eq!(copy, w);
        assert!(m.aligned_distance(&w, &transform(l, &w, &perm, &flips, &sigma)) < 1e-12);
    }
}

#[test]
fn alignment_is_optimal_over_all_symmetries() {
    // Brute force over 3! permutations × 2³ signs × 2 input swaps.
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let m = xor(3, 1e-3);
    let l = m.layout();
    let perms = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for _ in 0..10 {
        let a = random_point(&mut rng, m.dim(), 2.0);
        let b = random_point(&mut rng, m.dim(), 2.0);
        let mut best = f64::INFINITY;
        for perm in perms {
            for bits in 0..8 {
                let flips = [bits & 1 == 1, bits & 2 == 2, bits & 4 == 4];
                for sigma in [[0, 1], [1, 0]] {
                    best = best.min(vec::distance(&a, &transform(l, &b, &perm, &flips, &sigma)));
                }
            }
        }
        let mut c = b.clone();
        let d = m.align(&a, &mut c);
        assert!((d - best).abs() < 1e-12, "{d} vs {best}");
        assert!((vec::distance(&a, &c) - d).abs() < 1e-15);
        assert!((m.energy(&c) - m.energy(&b)).abs() < 1e-13);
    }
}

#[test]
fn different_points_with_equal_energy_stay_apart() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let m = xor(2, 0.1);
    let a = random_point(&mut rng, m.dim(), 2.0);
    let ea = m.energy(&a);
    assert!(ea > 2f64.ln() + 0.1);
    // Bisect along a random ray from the origin (E = ln 2 there) for a point with E(b) = E(a).
    let dir = random_point(&mut rng, m.dim(), 1.0);
    let (mut lo, mut hi) = (0.0, 1.0);
    while m.energy(&dir.iter().map(|v| v * hi).collect::<Vec<_>>()) < ea {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if m.energy(&dir.iter().map(|v| v * mid).collect::<Vec<_>>()) < ea {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let b: Vec<f64> = dir.iter().map(|v| v * hi).collect();
    assert!((m.energy(&b) - ea).abs() < 1e-10);
    let d = m.aligned_distance(&a, &b);
    assert!(d > 0.1, "distinct points aligned to {d}");
}

#[test]
fn prediction_and_accuracy() {
    // A hand-made XOR solution: h1 = tanh(5(x1+x2) - 2.5) ("or"), h2 = tanh(5(x1+x2) - 7.5)
    // ("and"); class 1 iff or and not and.
    let m = xor(2, 1e-4);
    let l = m.layout();
    let mut w = vec![0.0; m.dim()];
    for k in 0..2 {
        w[l.w_ih(0, k)] = 5.0;
        w[l.w_ih(1, k)] = 5.0;
    }
    w[l.b_h(0)] = -2.5;
    w[l.b_h(1)] = -7.5;
    w[l.w_ho(1, 0)] = 4.0;
    w[l.w_ho(1, 1)] = -4.0;
    w[l.b_o(1)] = -3.0;
    assert_eq!(m.accuracy(&w), 1.0);
    let d = m.data();
    assert_eq!(m.accuracy_on(&w, &d.inputs, &[1, 0, 0, 1]), 0.0);
    assert!(m.accuracy_on(&w, &d.inputs, &[1]).is_nan());
    // At w = 0 every output ties: the lowest index wins.
    let zero = vec![0.0; m.dim()];
    assert_eq!(m.predict(&zero, &[0.3, 0.7]), 0);
    assert_eq!(m.accuracy(&zero), 0.5);
    let mut p = [0.0; 2];
    m.probabilities(&zero, &[1.0, 1.0], &mut p);
    assert_eq!(p, [0.5, 0.5]);
}

#[test]
fn padding_keeps_energy_and_gradient() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    for m in [
        xor(2, 1e-3),
        Perceptron::new(three_class(), 2, 1e-3).unwrap(),
    ] {
        let big = m.with_hidden(m.n_hidden() + 1).unwrap();
        assert_eq!(big.n_hidden(), 3);
        // w = 0: stationary before and after.
        let zero = m.pad_hidden(&vec![0.0; m.dim()]);
        let mut g = vec![1.0; big.dim()];
        big.energy_gradient(&zero, &mut g);
        assert!(vec::norm(&g) < 1e-12);
        // A general point: the padded gradient is (g, 0) in the new order.
        let w = random_point(&mut rng, m.dim(), 2.0);
        let mut g_old = vec![0.0; m.dim()];
        let e_old = m.energy_gradient(&w, &mut g_old);
        let padded = big_point_check(&m, &big, &w);
        let mut g_new = vec![0.0; big.dim()];
        let e_new = big.energy_gradient(&padded, &mut g_new);
        assert!((e_new - e_old).abs() < 1e-14);
        assert!((vec::norm(&g_new) - vec::norm(&g_old)).abs() < 1e-12);
        let expected = m.pad_hidden(&g_old);
        for (a, b) in g_new.iter().zip(&expected) {
            assert!((a - b).abs() < 1e-13, "{g_new:?} vs {expected:?}");
        }
    }
}

/// Pads `w` and checks every old parameter landed at its new index.
fn big_point_check(m: &Perceptron, big: &Perceptron, w: &[f64]) -> Vec<f64> {
    let padded = m.pad_hidden(w);
    let (o, n) = (m.layout(), big.layout());
    assert_eq!(padded.len(), n.dim());
    for j in 0..o.n_h {
        for k in 0..o.n_in {
            assert_eq!(padded[n.w_ih(j, k)], w[o.w_ih(j, k)]);
        }
        for i in 0..o.n_out {
            assert_eq!(padded[n.w_ho(i, j)], w[o.w_ho(i, j)]);
        }
        assert_eq!(padded[n.b_h(j)], w[o.b_h(j)]);
    }
    for i in 0..o.n_out {
        assert_eq!(padded[n.b_o(i)], w[o.b_o(i)]);
    }
    let j = o.n_h;
    let new_unit: Vec<usize> = (0..=n.n_in)
        .map(|k| n.incoming(j, k))
        .chain((0..n.n_out).map(|i| n.w_ho(i, j)))
        .collect();
    assert!(new_unit.iter().all(|&i| padded[i] == 0.0));
    padded
}

#[test]
fn padded_hessian_is_old_plus_coupling_block() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for m in [
        xor(2, 1e-3),
        Perceptron::new(three_class(), 2, 2e-3).unwrap(),
    ] {
        let big = m.with_hidden(m.n_hidden() + 1).unwrap();
        let (o, n) = (m.layout(), big.layout());
        let w = random_point(&mut rng, m.dim(), 1.5);
        let padded = m.pad_hidden(&w);
        let (dp, db) = (m.dim(), big.dim());
        let mut h_old = vec![0.0; dp * dp];
        m.hessian(&w, &mut h_old);
        let mut h_new = vec![0.0; db * db];
        big.hessian(&padded, &mut h_new);

        // Where each old coordinate went: pad the unit vectors.
        let old_to_new: Vec<usize> = (0..dp)
            .map(|a| {
                let mut e = vec![0.0; dp];
                e[a] = 1.0;
                m.pad_hidden(&e).iter().position(|&v| v == 1.0).unwrap()
            })
            .collect();
        let j = o.n_h;
        let outgoing: Vec<usize> = (0..n.n_out).map(|i| n.w_ho(i, j)).collect();
        let incoming: Vec<usize> = (0..=n.n_in).map(|k| n.incoming(j, k)).collect();
        let new_idx: Vec<usize> = outgoing.iter().chain(&incoming).copied().collect();

        for a in 0..dp {
            for b in 0..dp {
                let diff = h_new[old_to_new[a] * db + old_to_new[b]] - h_old[a * dp + b];
                assert!(diff.abs() < 1e-13, "old block differs by {diff}");
            }
            for &b in &new_idx {
                assert!(h_new[old_to_new[a] * db + b].abs() < 1e-14, "cross term");
            }
        }
        let c = m.embedding_coupling(&w);
        let (no, m1) = (o.n_out, o.n_in + 1);
        let two_lambda = 2.0 * m.lambda();
        for (r, &a) in new_idx.iter().enumerate() {
            for (s, &b) in new_idx.iter().enumerate() {
                let expected = if r == s {
                    two_lambda
                } else if r < no && s >= no {
                    c[r * m1 + (s - no)]
                } else if r >= no && s < no {
                    c[s * m1 + (r - no)]
                } else {
                    0.0
                };
                let got = h_new[a * db + b];
                assert!(
                    (got - expected).abs() < 1e-14,
                    "({r},{s}) {got} vs {expected}"
                );
            }
        }
    }
}

#[test]
fn coupling_predicts_added_negative_eigenvalues() {
    let m = xor(1, 1e-4);
    let zero = vec![0.0; m.dim()];
    // At w = 0, p = 1/2: C[i] = (1/4) Σ_d (1/2 - [i = c]) x̃ = ±(0, 0, 0)... the XOR sums cancel:
    // Σ over class-0 rows of x̃ equals Σ over class-1 rows, so C = 0 and nothing is added.
    let c = m.embedding_coupling(&zero);
    assert!(c.iter().all(|v| v.abs() < 1e-15), "{c:?}");
    assert_eq!(m.predicted_added_negative(&zero), 0);

    // A point where C is large: the prediction counts singular values above 2λ.
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let w = random_point(&mut rng, m.dim(), 2.0);
    let s = m.coupling_singular_values(&w);
    let cm = m.embedding_coupling(&w);
    let frob: f64 = cm.iter().map(|v| v * v).sum();
    assert!((s.iter().map(|v| v * v).sum::<f64>() - frob).abs() < 1e-14);
    // Softmax rows of C - onehot sum to zero over outputs, so with 2 outputs C has rank <= 1.
    assert!(s[1] < 1e-12, "{s:?}");
    let expected = usize::from(s[0] > 2.0 * m.lambda());
    assert_eq!(m.predicted_added_negative(&w), expected);
    let stiff = Perceptron::new(Dataset::xor(), 1, s[0]).unwrap();
    assert_eq!(stiff.predicted_added_negative(&w), 0);
}

/// Plain gradient descent to a tight stationary point (the minimisers live in other crates).
fn descend(m: &Perceptron, w: &mut [f64], step: f64, iterations: usize) -> f64 {
    let mut g = vec![0.0; m.dim()];
    for _ in 0..iterations {
        m.energy_gradient(w, &mut g);
        vec::axpy(-step, &g, w);
    }
    m.energy_gradient(w, &mut g);
    vec::rms(&g)
}

fn negative_count(m: &Perceptron, w: &[f64]) -> usize {
    let n = m.dim();
    let mut h = vec![0.0; n * n];
    m.hessian(w, &mut h);
    crate::embed::jacobi_eigenvalues(&mut h, n)
        .iter()
        .filter(|&&e| e < 0.0)
        .count()
}

#[test]
fn embedding_block_spectrum_and_prediction_at_minima() {
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let mut saw_added = false;
    for lambda in [1e-3, 1e-2] {
        let m = xor(1, lambda);
        let big = m.with_hidden(2).unwrap();
        for _ in 0..6 {
            let mut w = random_point(&mut rng, m.dim(), 3.0);
            let rms = descend(&m, &mut w, 0.5, 20_000);
            if rms > 1e-9 || negative_count(&m, &w) != 0 {
                continue;
            }
            // The block [[2λI, C],[Cᵀ, 2λI]] has eigenvalues 2λ ± σ_i and 2λ.
            let c = m.embedding_coupling(&w);
            let (no, m1) = (2, 3);
            let nb = no + m1;
            let mut block = vec![0.0; nb * nb];
            for r in 0..nb {
                block[r * nb + r] = 2.0 * lambda;
            }
            for i in 0..no {
                for k in 0..m1 {
                    block[i * nb + no + k] = c[i * m1 + k];
                    block[(no + k) * nb + i] = c[i * m1 + k];
                }
            }
            let mut got = crate::embed::jacobi_eigenvalues(&mut block, nb);
            got.sort_by(f64::total_cmp);
            let s = m.coupling_singular_values(&w);
            let mut want: Vec<f64> = s
                .iter()
                .flat_map(|&v| [2.0 * lambda + v, 2.0 * lambda - v])
                .collect();
            want.push(2.0 * lambda);
            want.sort_by(f64::total_cmp);
            // Singular values come from eigenvalues of C Cᵀ, so a zero one is only resolved to
            // about sqrt(ε)·|C|.
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-8, "{got:?} vs {want:?}");
            }
            // Predicted against computed: negatives of the padded Hessian.
            let predicted = m.predicted_added_negative(&w);
            assert_eq!(negative_count(&big, &m.pad_hidden(&w)), predicted);
            saw_added |= predicted > 0;
        }
    }
    assert!(
        saw_added,
        "no minimum of the 1-unit network became a saddle"
    );
}
