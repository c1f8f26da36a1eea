"""Cost of one model call from Python, and of reading a database into numpy.

    python examples/python/bench_model.py [DATABASE]

Times `Model.energy_gradient` at N_h = 2 (XOR) and a few larger networks with `timeit`
(best of 7 repeats), and, given a database, how long reading every landscape's minima and
transition states into numpy takes. docs/python.md quotes the numbers.
"""

import platform
import sys
import timeit

import numpy as np

import losscape


def numpy_energy_gradient(model):
    """The same loss and gradient written in plain numpy, as a Python potential would be: the
    yardstick for the extension's cost per call. Checked against the extension below."""
    x, labels = model.data
    n_in, n_h, n_out = model.n_in, model.n_hidden, model.n_out
    onehot = np.eye(n_out)[labels]
    rows, lam = len(labels), model.lam

    def energy_gradient(w):
        w_ih = w[: n_h * n_in].reshape(n_h, n_in)
        w_ho = w[n_h * n_in : n_h * (n_in + n_out)].reshape(n_out, n_h)
        b_h = w[n_h * (n_in + n_out) : n_h * (n_in + n_out + 1)]
        b_o = w[n_h * (n_in + n_out + 1) :]
        h = np.tanh(x @ w_ih.T + b_h)
        y = h @ w_ho.T + b_o
        y = y - y.max(axis=1, keepdims=True)
        p = np.exp(y)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[onehot.astype(bool)]).mean() + lam * w @ w
        g_y = (p - onehot) / rows
        g_h = (g_y @ w_ho) * (1.0 - h * h)
        grad = np.concatenate(
            [(g_h.T @ x).ravel(), (g_y.T @ h).ravel(), g_h.sum(axis=0), g_y.sum(axis=0)]
        )
        return loss, grad + 2.0 * lam * w

    return energy_gradient


def per_call(stmt, number):
    """Seconds per call: the best of 7 repeats of `number` calls."""
    return min(timeit.repeat(stmt, number=number, repeat=7)) / number


def main():
    print(f"losscape {losscape.__version__}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, {platform.processor() or platform.machine()}")
    for n_hidden in (2, 8, 32):
        model = losscape.Model("xor", n_hidden, 1e-3)
        w = np.random.default_rng(0).normal(size=model.dim)
        eg = per_call(lambda: model.energy_gradient(w), 200_000 // n_hidden)
        e = per_call(lambda: model.energy(w), 200_000 // n_hidden)
        print(f"N_h = {n_hidden:2d} (dim {model.dim:3d}): energy_gradient {eg * 1e6:.3f} us, "
              f"energy {e * 1e6:.3f} us per call")
    model = losscape.Model("xor", 2, 1e-3)
    w = np.random.default_rng(0).normal(size=model.dim)
    reference = numpy_energy_gradient(model)
    e, g = model.energy_gradient(w)
    e_np, g_np = reference(w)
    assert abs(e - e_np) < 1e-12 and np.allclose(g, g_np, rtol=1e-10, atol=1e-12)
    print(f"N_h =  2, the same loss and gradient in plain numpy: "
          f"{per_call(lambda: reference(w), 20_000) * 1e6:.3f} us per call")
    as_list = list(w)
    print(f"N_h =  2, a list instead of an array: "
          f"{per_call(lambda: model.energy_gradient(as_list), 50_000) * 1e6:.3f} us per call")
    if len(sys.argv) > 1:
        path = sys.argv[1]

        def read_all():
            db = losscape.open(path)
            n = 0
            for l in db.landscapes():
                n += len(l.minima()["id"]) + len(l.transition_states()["id"])
            return n

        points = read_all()
        seconds = min(timeit.repeat(read_all, number=1, repeat=3))
        print(f"{path}: {points} minima and transition states read into numpy in "
              f"{seconds:.3f} s")


if __name__ == "__main__":
    main()
