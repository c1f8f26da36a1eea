"""`losscape.Model`: the perceptron's loss, derivatives and symmetries from numpy."""

import numpy as np
import pytest

import losscape
from conftest import ROOT


def xor(n_hidden=2, lam=1e-2):
    return losscape.Model("xor", n_hidden, lam)


def point(model, seed=1):
    return np.random.default_rng(seed).normal(size=model.dim)


def test_shape_follows_gmin_layout():
    m = xor(3, 1e-3)
    # N_h * (n_in + n_out + 1) + n_out
    assert m.dim == 3 * (2 + 2 + 1) + 2
    assert (m.n_in, m.n_hidden, m.n_out, m.lam) == (2, 3, 2, 1e-3)


def test_gradient_matches_finite_differences():
    m = xor()
    w = point(m)
    e, g = m.energy_gradient(w)
    assert e == m.energy(w)
    h = 1e-6
    fd = np.array(
        [(m.energy(w + h * u) - m.energy(w - h * u)) / (2 * h) for u in np.eye(m.dim)]
    )
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(m.gradient(w), g)


def test_hessian_and_its_products_agree_with_the_gradient():
    m = xor(3)
    w = point(m, 2)
    hess = m.hessian(w)
    assert hess.shape == (m.dim, m.dim)
    np.testing.assert_allclose(hess, hess.T, atol=1e-12)
    h = 1e-6
    fd = np.array(
        [(m.gradient(w + h * u) - m.gradient(w - h * u)) / (2 * h) for u in np.eye(m.dim)]
    )
    np.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-7)
    v = point(m, 3)
    np.testing.assert_allclose(m.hessian_vector(w, v), hess @ v, rtol=1e-10, atol=1e-12)


def test_inputs_need_not_be_contiguous_float64_arrays():
    m = xor()
    w = point(m)
    e, g = m.energy_gradient(w)
    strided = np.zeros(2 * m.dim)
    strided[::2] = w
    assert m.energy_gradient(strided[::2])[0] == e
    assert m.energy(list(w)) == e
    assert m.energy(w.astype(np.float32).astype(np.float64)) == m.energy(
        w.astype(np.float32)
    )
    # The input is read, never written.
    before = w.copy()
    m.energy_gradient(w)
    np.testing.assert_array_equal(w, before)


def test_wrong_lengths_and_bad_parameters_raise_with_the_reason():
    m = xor()
    with pytest.raises(losscape.ModelError, match=r"w has 5 coordinates.*has 12"):
        m.energy(np.zeros(5))
    with pytest.raises(losscape.ModelError, match=r"v has 3 coordinates"):
        m.hessian_vector(np.zeros(12), np.zeros(3))
    with pytest.raises(losscape.ModelError):
        losscape.Model("xor", 2, -1.0)
    with pytest.raises(losscape.ModelError):
        losscape.Model("xor", 0, 1e-2)
    with pytest.raises(ValueError, match="1-D"):
        m.energy(np.zeros((3, 3)))
    assert issubclass(losscape.ModelError, losscape.LosscapeError)


def test_symmetry_copies_align_and_count():
    m = xor()
    w = point(m)
    # Swap the two hidden units (incoming weights, outgoing weights, biases) and flip the sign
    # of the first: the same network.
    n_in, n_h, n_out = m.n_in, m.n_hidden, m.n_out
    w_ih = w[: n_h * n_in].reshape(n_h, n_in)
    w_ho = w[n_h * n_in : n_h * n_in + n_out * n_h].reshape(n_out, n_h)
    b_h = w[n_h * (n_in + n_out) : n_h * (n_in + n_out + 1)]
    b_o = w[n_h * (n_in + n_out + 1) :]
    perm = [1, 0]
    sign = np.array([-1.0, 1.0])
    copy = np.concatenate(
        [
            (w_ih[perm] * sign[:, None]).ravel(),
            (w_ho[:, perm] * sign[None, :]).ravel(),
            b_h[perm] * sign,
            b_o,
        ]
    )
    assert m.energy(copy) == pytest.approx(m.energy(w), rel=1e-14)
    assert np.linalg.norm(copy - w) > 0.1
    assert m.align(w, copy) < 1e-12
    distance, aligned = m.aligned(w, copy)
    assert distance < 1e-12
    np.testing.assert_allclose(aligned, w, atol=1e-12)
    # A generic point has only the identity as stabiliser: its orbit is the whole group.
    assert m.group_order % 8 == 0
    assert m.stabiliser_order(w) == 1
    assert m.orbit_size(w) == m.group_order
    # Two identical hidden units: swapping them is a symmetry of the point too.
    twin = w.copy()
    twin[n_in : 2 * n_in] = twin[:n_in]
    twin[n_h * n_in + 1] = twin[n_h * n_in]
    twin[n_h * n_in + n_h + 1] = twin[n_h * n_in + n_h]
    twin[n_h * (n_in + n_out) + 1] = twin[n_h * (n_in + n_out)]
    assert m.stabiliser_order(twin) == 2
    assert m.orbit_size(twin) == m.group_order // 2


def test_data_from_arrays_or_files_equal_the_built_in_xor():
    w = point(xor())
    inputs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    labels = np.array([0, 1, 1, 0])
    from_arrays = losscape.Model((inputs, labels), 2, 1e-2)
    assert from_arrays.energy(w) == xor().energy(w)
    x, y = from_arrays.data
    np.testing.assert_array_equal(x, inputs)
    np.testing.assert_array_equal(y, labels)
    csv = losscape.Model(ROOT / "configs" / "data" / "xor-noisy.csv", 2, 1e-2, header=True)
    assert csv.data[0].shape == (12, 2)
    assert np.isfinite(csv.energy(w))


def test_bad_data_names_the_problem(tmp_path):
    with pytest.raises(losscape.DataError, match="negative"):
        losscape.Model((np.zeros((2, 2)), np.array([0, -1])), 2, 1e-2)
    with pytest.raises(losscape.DataError, match="rows"):
        losscape.Model((np.zeros((3, 2)), np.array([0, 1])), 2, 1e-2)
    bad = tmp_path / "bad.csv"
    bad.write_text("0,0,0\n0,x,1\n")
    with pytest.raises(losscape.DataError, match=r"bad\.csv.*x"):
        losscape.Model(bad, 2, 1e-2)
    with pytest.raises(losscape.DataError, match="kind 'json'"):
        losscape.Model(bad, 2, 1e-2, kind="json")
