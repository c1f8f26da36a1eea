//! Numpy in and out: borrowed views of contiguous float64 arrays, copies of anything else.

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;

/// A float64 vector from Python: the numpy array's own memory when it is a contiguous float64
/// array (no copy), else a copy made by `numpy.ascontiguousarray(x, dtype=float64)` (lists,
/// other dtypes, strided views).
pub(crate) enum Vector<'py> {
    /// A borrowed view of the caller's array.
    Borrowed(PyReadonlyArray1<'py, f64>),
    /// A converted copy.
    Owned(Vec<f64>),
}

impl Vector<'_> {
    /// The values.
    pub(crate) fn as_slice(&self) -> &[f64] {
        match self {
            // A contiguous 1-D array always has a slice; checked when the view was made.
            Vector::Borrowed(a) => a.as_slice().unwrap_or(&[]),
            Vector::Owned(v) => v,
        }
    }
}

/// Reads `obj` as a 1-D float64 vector; `what` names the argument in the error.
pub(crate) fn vector<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Vector<'py>> {
    if let Ok(a) = obj.extract::<PyReadonlyArray1<'py, f64>>() {
        if a.as_slice().is_ok() {
            return Ok(Vector::Borrowed(a));
        }
        return Ok(Vector::Owned(a.as_array().to_vec()));
    }
    let np = obj.py().import("numpy")?;
    let converted = np
        .call_method1("ascontiguousarray", (obj, "float64"))
        .map_err(|e| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "{what} must be a 1-D array of numbers: {e}"
            ))
        })?;
    let array = converted.cast::<PyArray1<f64>>().map_err(|_| {
        let ndim = converted
            .getattr("ndim")
            .and_then(|n| n.extract::<usize>())
            .unwrap_or(0);
        pyo3::exceptions::PyValueError::new_err(format!(
            "{what} must be a 1-D array of numbers, got {ndim} dimension(s)"
        ))
    })?;
    Ok(Vector::Owned(array.readonly().as_slice()?.to_vec()))
}

/// A new numpy array holding `values`.
pub(crate) fn array<'py>(py: Python<'py>, values: &[f64]) -> Bound<'py, PyArray1<f64>> {
    PyArray1::from_slice(py, values)
}

/// A new `(rows, len / rows)` numpy array from row-major `values` (an empty `(0, cols)` array
/// when there are no rows).
pub(crate) fn matrix<'py>(
    py: Python<'py>,
    values: Vec<f64>,
    cols: usize,
) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
    use numpy::IntoPyArray;
    let rows = values.len().checked_div(cols).unwrap_or(0);
    let a = numpy::ndarray::Array2::from_shape_vec((rows, cols), values)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(a.into_pyarray(py))
}
