"""Type stubs of the Rust extension module (see the package docstring)."""

import os
import pathlib
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

ArrayLike = Union[npt.NDArray[np.float64], Sequence[float]]
PathLike = Union[str, "os.PathLike[str]"]
Config = Union[PathLike, Dict[str, Any]]

class LosscapeError(Exception):
    """Base class of every error losscape raises; the message is the one the CLI prints."""

class ConfigError(LosscapeError):
    """An experiment config that cannot be used (names the file, the key, the allowed values)."""

class DataError(LosscapeError):
    """A data set that cannot be read or used (names the file and the line)."""

class ModelError(LosscapeError):
    """A network that cannot be built, or a point of the wrong length for it."""

class DatabaseError(LosscapeError):
    """A database that cannot be read, or a landscape key it does not hold."""

class RunError(LosscapeError):
    """A run that stopped with an error; what it committed is kept in the database."""

class Model:
    """The tanh/softmax perceptron of a landscape as a potential over float64 vectors.

    ``data`` is ``"xor"``, the path of a CSV or mlpdata file (``kind`` by extension unless
    given; ``header`` for a CSV header line) or a pair ``(inputs, labels)`` of arrays.
    Parameters are in GMIN's order: ``W_ih`` row by row, ``W_ho`` row by row, hidden biases,
    output biases. Contiguous float64 arrays are read without a copy.
    """

    def __init__(
        self,
        data: Union[str, PathLike, Tuple[npt.ArrayLike, npt.ArrayLike]],
        n_hidden: int,
        lam: float,
        *,
        kind: Optional[str] = None,
        header: bool = False,
        n_classes: Optional[int] = None,
    ) -> None: ...
    @property
    def dim(self) -> int:
        """Number of parameters."""
    @property
    def n_hidden(self) -> int:
        """Hidden units."""
    @property
    def lam(self) -> float:
        """Regularisation strength."""
    @property
    def n_in(self) -> int:
        """Input features."""
    @property
    def n_out(self) -> int:
        """Classes."""
    @property
    def data(self) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """The training data as ``(inputs, labels)`` (copies)."""
    @property
    def group_order(self) -> int:
        """``|G|``, the order of the symmetry group."""
    def energy(self, w: ArrayLike) -> float:
        """The loss at ``w``."""
    def energy_gradient(self, w: ArrayLike) -> Tuple[float, npt.NDArray[np.float64]]:
        """``(loss, gradient)`` at ``w``, for ``scipy.optimize.minimize(..., jac=True)``."""
    def gradient(self, w: ArrayLike) -> npt.NDArray[np.float64]:
        """The gradient at ``w``."""
    def hessian(self, w: ArrayLike) -> npt.NDArray[np.float64]:
        """The analytic Hessian at ``w``, shape ``(dim, dim)``."""
    def hessian_vector(self, w: ArrayLike, v: ArrayLike) -> npt.NDArray[np.float64]:
        """``H(w) v`` by the R-operator, without building the Hessian."""
    def align(self, a: ArrayLike, b: ArrayLike) -> float:
        """Distance between ``a`` and the symmetry copy of ``b`` closest to it."""
    def aligned(
        self, reference: ArrayLike, x: ArrayLike
    ) -> Tuple[float, npt.NDArray[np.float64]]:
        """``(distance, copy)``: the symmetry copy of ``x`` closest to ``reference``."""
    def stabiliser_order(self, w: ArrayLike, tol: Optional[float] = None) -> int:
        """``|Stab(w)|``: symmetry operations that map ``w`` onto itself within ``tol``."""
    def orbit_size(self, w: ArrayLike, tol: Optional[float] = None) -> int:
        """``|G| / |Stab(w)|``: the number of distinct symmetry copies of ``w``."""
    def accuracy(self, w: ArrayLike) -> float:
        """Fraction of training rows classified correctly."""

class Landscape:
    """One landscape of a database."""

    @property
    def key(self) -> str:
        """The key the CLI prints, e.g. ``h3-l1e-2``."""
    @property
    def n_hidden(self) -> int: ...
    @property
    def lam(self) -> float: ...
    @property
    def n_in(self) -> int: ...
    @property
    def n_out(self) -> int: ...
    @property
    def dim(self) -> int: ...
    def model(self) -> Model:
        """The network of this landscape on the data set stored in the database."""
    def minima(self) -> Dict[str, npt.NDArray[Any]]:
        """Minima in id order: ``id``, ``energy``, ``coords`` ``(n, dim)``, ``rms_gradient``,
        ``hessian_index``, ``lowest_eigenvalue``, ``ln_prod_positive``, ``accuracy``,
        ``times_found``, ``first_run``."""
    def transition_states(self) -> Dict[str, npt.NDArray[Any]]:
        """Transition states in id order: as minima, plus ``negative_eigenvalue``,
        ``negative_vector`` ``(n, dim)``, ``min1``, ``min2``, ``degenerate``."""
    def stationary_points(self) -> Dict[str, npt.NDArray[Any]]:
        """The census's stationary points of any index, with ``zero_modes``."""
    def edges(self) -> Dict[str, npt.NDArray[Any]]:
        """The connection graph: ``ts``, ``min1``, ``min2``, ``energy``, ``degenerate``."""
    def to_networkx(self) -> Any:
        """The connection graph as a ``networkx.MultiGraph`` (nodes: minima)."""
    def census(self) -> Dict[str, Any]:
        """The Morse census as ``losscape census --format json`` prints it, plus arrays
        ``index``, ``orbits_by_index``, ``points_by_index``."""

class Database:
    """A losscape database opened read-only."""

    @property
    def path(self) -> pathlib.Path:
        """The file this database was opened from."""
    def landscapes(self) -> List[Landscape]: ...
    def landscape(self, key: str) -> Landscape: ...
    def __getitem__(self, key: str) -> Landscape: ...
    def keys(self) -> List[str]: ...
    def summary(self) -> List[Dict[str, Any]]:
        """Per landscape, the counts ``losscape summary --format json`` prints."""
    def runs(self) -> List[Dict[str, Any]]:
        """The runs that wrote the database, oldest first."""

def open(path: PathLike) -> Database:
    """Opens a database read-only (safe while a run writes to it)."""

def check(config: Config) -> Dict[str, Any]:
    """``losscape check``: ``source``, ``minimiser``, ``memory_bytes``, ``landscapes``, ``text``."""

def run(config: Config, db: PathLike, threads: int = 0) -> List[Dict[str, Any]]:
    """``losscape run CONFIG --db DB``: creates or resumes ``db``; progress to ``logging``.

    Ctrl-C stops after the units in hand are committed and raises ``KeyboardInterrupt``.
    """
