//! `losscape.Model`: the perceptron as a potential over numpy arrays.

use std::path::PathBuf;

use losscape_core::{Identity, Landscape};
use losscape_model::{Dataset, Perceptron};
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::convert::{Vector, array, matrix, vector};
use crate::{DataError, ModelError, describe};

/// The single-hidden-layer tanh/softmax network of a landscape: loss, gradient, Hessian and
/// symmetry tools over flat float64 parameter vectors in GMIN's order (`W_ih` row by row,
/// `W_ho` row by row, hidden biases, output biases).
///
/// `Model(data, n_hidden, lam)` where `data` is `"xor"`, the path of a CSV or mlpdata file, or
/// a pair `(inputs, labels)` of arrays (`inputs` of shape `(rows, features)`, integer `labels`
/// in `0..n_classes`).
#[pyclass(frozen, module = "losscape")]
pub struct Model {
    pub(crate) inner: Perceptron,
}

impl Model {
    /// `w` as a vector of this network's length.
    fn point<'py>(&self, w: &Bound<'py, PyAny>, what: &str) -> PyResult<Vector<'py>> {
        let v = vector(w, what)?;
        let (got, dim) = (v.as_slice().len(), self.inner.dim());
        if got != dim {
            let l = self.inner.layout();
            return Err(ModelError::new_err(format!(
                "{what} has {got} coordinates, but this network ({} inputs, N_h = {}, {} \
                 classes) has {dim}",
                l.n_in, l.n_h, l.n_out
            )));
        }
        Ok(v)
    }
}

/// Reads the `data` argument of `Model(...)`.
fn dataset(
    data: &Bound<'_, PyAny>,
    kind: Option<&str>,
    header: bool,
    n_classes: Option<usize>,
) -> PyResult<Dataset> {
    if let Ok(s) = data.cast::<PyString>()
        && s.to_cow()? == "xor"
    {
        return Ok(Dataset::xor());
    }
    if let Ok(pair) = data.cast::<PyTuple>() {
        if pair.len() != 2 {
            return Err(DataError::new_err(format!(
                "data as a tuple must be (inputs, labels), got {} items",
                pair.len()
            )));
        }
        return from_arrays(&pair.get_item(0)?, &pair.get_item(1)?, n_classes);
    }
    let path: PathBuf = data.extract().map_err(|_| {
        DataError::new_err(
            "data must be \"xor\", the path of a CSV or mlpdata file, or a tuple (inputs, labels)",
        )
    })?;
    let kind = match kind {
        Some(k) => k.to_string(),
        None if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv")) =>
        {
            "csv".into()
        }
        None => "mlpdata".into(),
    };
    let read = match kind.as_str() {
        "csv" => Dataset::from_csv_path(&path, header),
        "mlpdata" => Dataset::from_mlpdata_path(&path),
        other => {
            return Err(DataError::new_err(format!(
                "kind '{other}' is not a data file kind; allowed: \"csv\", \"mlpdata\""
            )));
        }
    };
    read.map_err(|e| DataError::new_err(describe(&e)))
}

/// A data set from numpy arrays.
fn from_arrays(
    inputs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    n_classes: Option<usize>,
) -> PyResult<Dataset> {
    let np = inputs.py().import("numpy")?;
    let x = np.call_method1("ascontiguousarray", (inputs, "float64"))?;
    let x = x
        .cast::<PyArray2<f64>>()
        .map_err(|_| DataError::new_err("inputs must be a 2-D array of shape (rows, features)"))?;
    let n_in = x.shape()[1];
    let y = np.call_method1("ascontiguousarray", (labels, "int64"))?;
    let y = y
        .cast::<PyArray1<i64>>()
        .map_err(|_| DataError::new_err("labels must be a 1-D array of integers"))?;
    let y: PyReadonlyArray1<'_, i64> = y.readonly();
    let mut classes = Vec::with_capacity(y.len());
    for &l in y.as_slice()? {
        let l =
            usize::try_from(l).map_err(|_| DataError::new_err(format!("label {l} is negative")))?;
        classes.push(l);
    }
    let n_out = n_classes.unwrap_or_else(|| classes.iter().max().map_or(2, |m| (m + 1).max(2)));
    let features = x.readonly().as_slice()?.to_vec();
    Dataset::from_parts(n_in, n_out, features, classes).map_err(DataError::new_err)
}

#[pymethods]
impl Model {
    #[new]
    #[pyo3(signature = (data, n_hidden, lam, *, kind = None, header = false, n_classes = None))]
    fn new(
        data: &Bound<'_, PyAny>,
        n_hidden: usize,
        lam: f64,
        kind: Option<&str>,
        header: bool,
        n_classes: Option<usize>,
    ) -> PyResult<Self> {
        let data = dataset(data, kind, header, n_classes)?;
        let inner =
            Perceptron::new(data, n_hidden, lam).map_err(|e| ModelError::new_err(describe(&e)))?;
        Ok(Model { inner })
    }

    /// Number of parameters.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// Hidden units.
    #[getter]
    fn n_hidden(&self) -> usize {
        self.inner.n_hidden()
    }

    /// Regularisation strength λ.
    #[getter]
    fn lam(&self) -> f64 {
        self.inner.lambda()
    }

    /// Input features.
    #[getter]
    fn n_in(&self) -> usize {
        self.inner.layout().n_in
    }

    /// Classes (outputs).
    #[getter]
    fn n_out(&self) -> usize {
        self.inner.layout().n_out
    }

    /// The training data as `(inputs, labels)` arrays (copies).
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let d = self.inner.data();
        let x = matrix(py, d.inputs.clone(), d.n_in)?;
        let labels: Vec<i64> = d.labels.iter().map(|&l| l as i64).collect();
        PyTuple::new(
            py,
            [x.into_any(), PyArray1::from_vec(py, labels).into_any()],
        )
    }

    /// `|G|`, the order of the symmetry group (hidden-unit permutations and sign flips, times
    /// the data set's input symmetries).
    #[getter]
    fn group_order(&self) -> u64 {
        self.inner.symmetry_group_order()
    }

    /// The loss at `w`.
    fn energy(&self, w: &Bound<'_, PyAny>) -> PyResult<f64> {
        let w = self.point(w, "w")?;
        Ok(self.inner.energy(w.as_slice()))
    }

    /// `(loss, gradient)` at `w`: the form `scipy.optimize.minimize(..., jac=True)` takes.
    fn energy_gradient<'py>(
        &self,
        py: Python<'py>,
        w: &Bound<'py, PyAny>,
    ) -> PyResult<(f64, Bound<'py, PyArray1<f64>>)> {
        let w = self.point(w, "w")?;
        let x = w.as_slice();
        // Small networks are the common case: keep the gradient on the stack.
        let mut stack = [0.0; 64];
        let mut heap;
        let grad: &mut [f64] = if x.len() <= stack.len() {
            &mut stack[..x.len()]
        } else {
            heap = vec![0.0; x.len()];
            &mut heap
        };
        let e = self.inner.energy_gradient(x, grad);
        Ok((e, array(py, grad)))
    }

    /// The gradient at `w`.
    fn gradient<'py>(
        &self,
        py: Python<'py>,
        w: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(self.energy_gradient(py, w)?.1)
    }

    /// The analytic Hessian at `w`, shape `(dim, dim)`.
    fn hessian<'py>(
        &self,
        py: Python<'py>,
        w: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let w = self.point(w, "w")?;
        let n = self.inner.dim();
        let mut h = vec![0.0; n * n];
        self.inner.hessian(w.as_slice(), &mut h);
        matrix(py, h, n)
    }

    /// The Hessian-vector product `H(w) v` (the R-operator: O(dim), no Hessian is built).
    fn hessian_vector<'py>(
        &self,
        py: Python<'py>,
        w: &Bound<'py, PyAny>,
        v: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let w = self.point(w, "w")?;
        let v = self.point(v, "v")?;
        let mut out = vec![0.0; self.inner.dim()];
        self.inner
            .hessian_vector(w.as_slice(), v.as_slice(), &mut out);
        Ok(PyArray1::from_vec(py, out))
    }

    /// The Euclidean distance between `a` and the symmetry copy of `b` closest to it (neither
    /// changes).
    fn align(&self, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<f64> {
        let a = self.point(a, "a")?;
        let b = self.point(b, "b")?;
        Ok(self.inner.aligned_distance(a.as_slice(), b.as_slice()))
    }

    /// `(distance, copy)`: the symmetry copy of `x` closest to `reference`, and its distance.
    fn aligned<'py>(
        &self,
        py: Python<'py>,
        reference: &Bound<'py, PyAny>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<(f64, Bound<'py, PyArray1<f64>>)> {
        let r = self.point(reference, "reference")?;
        let mut copy = self.point(x, "x")?.as_slice().to_vec();
        let d = self.inner.align(r.as_slice(), &mut copy);
        Ok((d, PyArray1::from_vec(py, copy)))
    }

    /// `|Stab(w)|`: the symmetry operations mapping `w` onto itself, hidden unit by hidden
    /// unit within `tol` (default: the identity rule's distance tolerance).
    #[pyo3(signature = (w, tol = None))]
    fn stabiliser_order(&self, w: &Bound<'_, PyAny>, tol: Option<f64>) -> PyResult<u64> {
        let w = self.point(w, "w")?;
        let tol = tol.unwrap_or(Identity::default().distance_tolerance);
        Ok(self.inner.stabiliser_order(w.as_slice(), tol))
    }

    /// `|G| / |Stab(w)|`: how many distinct symmetry copies `w` has (the weight of its orbit in
    /// the Morse census).
    #[pyo3(signature = (w, tol = None))]
    fn orbit_size(&self, w: &Bound<'_, PyAny>, tol: Option<f64>) -> PyResult<u64> {
        Ok(self.group_order() / self.stabiliser_order(w, tol)?)
    }

    /// The fraction of training rows `w` classifies correctly.
    fn accuracy(&self, w: &Bound<'_, PyAny>) -> PyResult<f64> {
        let w = self.point(w, "w")?;
        Ok(self.inner.accuracy(w.as_slice()))
    }

    fn __repr__(&self) -> String {
        let l = self.inner.layout();
        format!(
            "Model(n_in={}, n_hidden={}, n_out={}, lam={:e}, rows={}, dim={})",
            l.n_in,
            l.n_h,
            l.n_out,
            self.inner.lambda(),
            self.inner.data().len(),
            self.inner.dim()
        )
    }
}
