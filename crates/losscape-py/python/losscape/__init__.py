"""losscape from Python: the loss landscapes of small neural networks, as numpy.

* :class:`Model` -- the perceptron as a potential: ``energy``, ``energy_gradient`` (the form
  ``scipy.optimize.minimize(..., jac=True)`` takes), ``hessian``, ``hessian_vector``, symmetry
  alignment and orbit sizes, over float64 arrays in GMIN's parameter order.
* :func:`open` -- a database, read-only and safe while a run writes to it: landscapes, minima
  and transition states as dicts of numpy arrays, the Morse census, the connection graph.
* :func:`check` and :func:`run` -- ``losscape check`` and ``losscape run`` for a config file or
  a dict with its structure; progress goes to the ``logging`` logger ``"losscape"``.

Every error is a :class:`LosscapeError` carrying the message the ``losscape`` CLI prints.
"""

from ._losscape import (
    ConfigError,
    Database,
    DatabaseError,
    DataError,
    Landscape,
    LosscapeError,
    Model,
    ModelError,
    RunError,
    __version__,
    check,
    open,
    run,
)

__all__ = [
    "ConfigError",
    "Database",
    "DatabaseError",
    "DataError",
    "Landscape",
    "LosscapeError",
    "Model",
    "ModelError",
    "RunError",
    "__version__",
    "check",
    "open",
    "run",
]
