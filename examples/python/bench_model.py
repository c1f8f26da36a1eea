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
