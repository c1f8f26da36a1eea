//! `losscape.open(path)`: a database, read-only, as numpy arrays.
//!
//! Everything goes through the loaders the CLI and the report use (`Store::open_read_only`,
//! `losscape_report::data`, `losscape_report::analyses`), so the arrays hold what `losscape
//! minima`, `losscape ts` and `losscape census` print, and reading is safe while a run writes.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use losscape_db::{LandscapeRow, Store};
use losscape_experiment::{LandscapeSummary, summarise};
use losscape_report::analyses::morse_censuses;
use losscape_report::data::{LandscapeData, StoredExperiment, select_one, stored_identity};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::matrix;
use crate::model::Model;
use crate::{DatabaseError, describe};

/// A losscape database opened read-only (see `losscape.open`).
#[pyclass(frozen, module = "losscape")]
pub struct Database {
    store: Mutex<Store>,
    path: PathBuf,
}

impl Database {
    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while reading leaves nothing half-written: the store is read-only.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A database error as the `DatabaseError` the CLI's message would be.
fn db_err(e: impl std::error::Error + 'static) -> PyErr {
    DatabaseError::new_err(describe(&e))
}

/// Opens the losscape database at `path` for reading only: never creates, migrates, locks or
/// writes anything, and works while a run is writing to it.
#[pyfunction]
pub fn open(path: PathBuf) -> PyResult<Database> {
    let store = Store::open_read_only(&path).map_err(|e| {
        DatabaseError::new_err(format!(
            "cannot read database {}: {}",
            path.display(),
            describe(&e)
        ))
    })?;
    Ok(Database {
        store: Mutex::new(store),
        path,
    })
}

/// One landscape summary as a dict with the columns of `losscape summary --format json`.
pub(crate) fn summary_dict<'py>(
    py: Python<'py>,
    s: &LandscapeSummary,
) -> PyResult<Bound<'py, PyDict>> {
    let c = &s.counts;
    let d = PyDict::new(py);
    d.set_item("landscape", &s.key)?;
    d.set_item("n_hidden", c.n_hidden)?;
    d.set_item("lambda", c.lambda)?;
    d.set_item("minima_by_energy", c.minima_by_energy)?;
    d.set_item("minima_by_structure", c.minima_by_structure)?;
    d.set_item("lowest_energy", c.lowest_energy())?;
    d.set_item("correct_minima", c.correct_minima)?;
    d.set_item("transition_states", c.transition_states)?;
    d.set_item("degenerate_ts", c.degenerate_ts)?;
    d.set_item("correct_ts", c.correct_ts)?;
    d.set_item("ts_per_minimum", c.ts_ratio())?;
    d.set_item("components", c.components)?;
    d.set_item("saturated", s.saturation.map(|x| x.saturated))?;
    d.set_item("saturation_rounds", s.saturation.map(|x| x.rounds))?;
    d.set_item("closed", s.saturation.map(|x| x.closed))?;
    Ok(d)
}

#[pymethods]
impl Database {
    /// The file this database was opened from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The landscapes, in database order.
    fn landscapes(slf: &Bound<'_, Self>) -> PyResult<Vec<Landscape>> {
        let rows = slf.get().store().landscapes().map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|row| Landscape {
                db: slf.clone().unbind(),
                row,
            })
            .collect())
    }

    /// The landscape called `key` (as the CLI prints it, e.g. `h3-l1e-2`); the error lists the
    /// keys there are.
    fn landscape(slf: &Bound<'_, Self>, key: &str) -> PyResult<Landscape> {
        let row = select_one(&slf.get().store(), key).map_err(db_err)?;
        Ok(Landscape {
            db: slf.clone().unbind(),
            row,
        })
    }

    fn __getitem__(slf: &Bound<'_, Self>, key: &str) -> PyResult<Landscape> {
        Self::landscape(slf, key)
    }

    /// The landscape keys, in database order.
    fn keys(&self) -> PyResult<Vec<String>> {
        let rows = self.store().landscapes().map_err(db_err)?;
        Ok(rows.into_iter().map(|l| l.key).collect())
    }

    /// One dict per landscape with the counts `losscape summary --format json` prints.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let store = self.store();
        let identity = stored_identity(&store).map_err(db_err)?;
        let rows = store.landscapes().map_err(db_err)?;
        rows.iter()
            .map(|l| {
                let s = summarise(&store, l.id, &identity).map_err(db_err)?;
                summary_dict(py, &s)
            })
            .collect()
    }

    /// The runs that wrote this database, oldest first, as dicts (`id`, `status`,
    /// `started_at`, `finished_at`, `command`, `program_version`, `seed`, `threads`,
    /// `minimiser`, `config_text`).
    fn runs<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let runs = self.store().runs().map_err(db_err)?;
        runs.iter()
            .map(|r| {
                let d = PyDict::new(py);
                d.set_item("id", r.id.0)?;
                d.set_item("status", r.status.as_str())?;
                d.set_item("started_at", &r.started_at)?;
                d.set_item("finished_at", &r.finished_at)?;
                d.set_item("command", &r.command)?;
                d.set_item("program_version", &r.program_version)?;
                d.set_item("seed", r.seed)?;
                d.set_item("threads", r.threads)?;
                d.set_item("minimiser", &r.minimiser)?;
                d.set_item("config_text", &r.config_text)?;
                Ok(d)
            })
            .collect()
    }

    fn __repr__(&self) -> String {
        format!("losscape.open({:?})", self.path.display().to_string())
    }
}

/// One landscape of a database: its key and network, its points as numpy arrays, its Morse
/// census and its connection graph.
#[pyclass(frozen, module = "losscape")]
pub struct Landscape {
    db: Py<Database>,
    row: LandscapeRow,
}

impl Landscape {
    fn with_store<T>(&self, py: Python<'_>, f: impl FnOnce(&Store) -> PyResult<T>) -> PyResult<T> {
        let db = self.db.bind(py).get();
        let store = db.store();
        f(&store)
    }
}

#[pymethods]
impl Landscape {
    /// The key the CLI prints, e.g. `h3-l1e-2`.
    #[getter]
    fn key(&self) -> &str {
        &self.row.key
    }

    /// Hidden units.
    #[getter]
    fn n_hidden(&self) -> u32 {
        self.row.n_hidden
    }

    /// Regularisation strength λ.
    #[getter]
    fn lam(&self) -> f64 {
        self.row.lambda
    }

    /// Input features.
    #[getter]
    fn n_in(&self) -> u32 {
        self.row.n_in
    }

    /// Classes (outputs).
    #[getter]
    fn n_out(&self) -> u32 {
        self.row.n_out
    }

    /// Number of parameters (the length of every coordinate vector).
    #[getter]
    fn dim(&self) -> u32 {
        self.row.dimension
    }

    /// The network of this landscape, on the data set stored in the database.
    fn model(&self, py: Python<'_>) -> PyResult<Model> {
        self.with_store(py, |store| {
            let exp = StoredExperiment::read(store).map_err(db_err)?;
            let inner = exp.model(&self.row).map_err(db_err)?;
            Ok(Model { inner })
        })
    }

    /// The minima, in id order, as a dict of arrays: `id`, `energy`, `coords` (shape
    /// `(n, dim)`), `rms_gradient`, `hessian_index`, `lowest_eigenvalue`, `ln_prod_positive`
    /// (ln of the product of the positive Hessian eigenvalues), `accuracy`, `times_found`,
    /// `first_run`.
    fn minima<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let rows = self.with_store(py, |s| s.minima(self.row.id).map_err(db_err))?;
        let dim = self.row.dimension as usize;
        let d = PyDict::new(py);
        type Row = losscape_db::MinimumRow;
        let f = |g: fn(&Row) -> f64| -> Vec<f64> { rows.iter().map(g).collect() };
        let i = |g: fn(&Row) -> i64| -> Vec<i64> { rows.iter().map(g).collect() };
        d.set_item("id", PyArray1::from_vec(py, i(|m| m.id)))?;
        d.set_item("energy", PyArray1::from_vec(py, f(|m| m.energy)))?;
        let coords: Vec<f64> = rows.iter().flat_map(|m| m.coords.iter().copied()).collect();
        d.set_item("coords", matrix(py, coords, dim)?)?;
        d.set_item(
            "rms_gradient",
            PyArray1::from_vec(py, f(|m| m.rms_gradient)),
        )?;
        d.set_item(
            "hessian_index",
            PyArray1::from_vec(py, i(|m| i64::from(m.hessian_index))),
        )?;
        d.set_item(
            "lowest_eigenvalue",
            PyArray1::from_vec(py, f(|m| m.lowest_eigenvalue)),
        )?;
        d.set_item(
            "ln_prod_positive",
            PyArray1::from_vec(py, f(|m| m.ln_prod_positive)),
        )?;
        d.set_item("accuracy", PyArray1::from_vec(py, f(|m| m.accuracy)))?;
        d.set_item("times_found", PyArray1::from_vec(py, i(|m| m.times_found)))?;
        d.set_item("first_run", PyArray1::from_vec(py, i(|m| m.first_run.0)))?;
        Ok(d)
    }

    /// The transition states, in id order, as a dict of arrays: `id`, `energy`, `coords`,
    /// `rms_gradient`, `hessian_index`, `negative_eigenvalue`, `negative_vector` (shape `(n,
    /// dim)`), `ln_prod_positive`, `accuracy`, `min1`, `min2` (the minima it joins),
    /// `degenerate` (bool), `times_found`, `first_run`.
    fn transition_states<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let rows = self.with_store(py, |s| s.transition_states(self.row.id).map_err(db_err))?;
        let dim = self.row.dimension as usize;
        let d = PyDict::new(py);
        let f = |g: fn(&losscape_db::TsRow) -> f64| -> Vec<f64> { rows.iter().map(g).collect() };
        let i = |g: fn(&losscape_db::TsRow) -> i64| -> Vec<i64> { rows.iter().map(g).collect() };
        d.set_item("id", PyArray1::from_vec(py, i(|t| t.id)))?;
        d.set_item("energy", PyArray1::from_vec(py, f(|t| t.energy)))?;
        let coords: Vec<f64> = rows.iter().flat_map(|t| t.coords.iter().copied()).collect();
        d.set_item("coords", matrix(py, coords, dim)?)?;
        d.set_item(
            "rms_gradient",
            PyArray1::from_vec(py, f(|t| t.rms_gradient)),
        )?;
        d.set_item(
            "hessian_index",
            PyArray1::from_vec(py, i(|t| i64::from(t.hessian_index))),
        )?;
        d.set_item(
            "negative_eigenvalue",
            PyArray1::from_vec(py, f(|t| t.negative_eigenvalue)),
        )?;
        let vectors: Vec<f64> = rows
            .iter()
            .flat_map(|t| t.negative_vector.iter().copied())
            .collect();
        d.set_item("negative_vector", matrix(py, vectors, dim)?)?;
        d.set_item(
            "ln_prod_positive",
            PyArray1::from_vec(py, f(|t| t.ln_prod_positive)),
        )?;
        d.set_item("accuracy", PyArray1::from_vec(py, f(|t| t.accuracy)))?;
        d.set_item("min1", PyArray1::from_vec(py, i(|t| t.min1)))?;
        d.set_item("min2", PyArray1::from_vec(py, i(|t| t.min2)))?;
        let degenerate: Vec<bool> = rows.iter().map(|t| t.degenerate).collect();
        d.set_item("degenerate", PyArray1::from_vec(py, degenerate))?;
        d.set_item("times_found", PyArray1::from_vec(py, i(|t| t.times_found)))?;
        d.set_item("first_run", PyArray1::from_vec(py, i(|t| t.first_run.0)))?;
        Ok(d)
    }

    /// The census's stationary points of any Hessian index, in id order: `id`, `energy`,
    /// `coords`, `rms_gradient`, `hessian_index`, `zero_modes`, `lowest_eigenvalue`,
    /// `ln_prod_positive`, `accuracy`, `times_found`, `first_run`.
    fn stationary_points<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let rows = self.with_store(py, |s| s.stationary_points(self.row.id).map_err(db_err))?;
        let dim = self.row.dimension as usize;
        let d = PyDict::new(py);
        type Row = losscape_db::StationaryPointRow;
        let f = |g: fn(&Row) -> f64| -> Vec<f64> { rows.iter().map(g).collect() };
        let i = |g: fn(&Row) -> i64| -> Vec<i64> { rows.iter().map(g).collect() };
        d.set_item("id", PyArray1::from_vec(py, i(|p| p.id)))?;
        d.set_item("energy", PyArray1::from_vec(py, f(|p| p.energy)))?;
        let coords: Vec<f64> = rows.iter().flat_map(|p| p.coords.iter().copied()).collect();
        d.set_item("coords", matrix(py, coords, dim)?)?;
        d.set_item(
            "rms_gradient",
            PyArray1::from_vec(py, f(|p| p.rms_gradient)),
        )?;
        d.set_item(
            "hessian_index",
            PyArray1::from_vec(py, i(|p| i64::from(p.hessian_index))),
        )?;
        d.set_item(
            "zero_modes",
            PyArray1::from_vec(py, i(|p| i64::from(p.zero_modes))),
        )?;
        d.set_item(
            "lowest_eigenvalue",
            PyArray1::from_vec(py, f(|p| p.lowest_eigenvalue)),
        )?;
        d.set_item(
            "ln_prod_positive",
            PyArray1::from_vec(py, f(|p| p.ln_prod_positive)),
        )?;
        d.set_item("accuracy", PyArray1::from_vec(py, f(|p| p.accuracy)))?;
        d.set_item("times_found", PyArray1::from_vec(py, i(|p| p.times_found)))?;
        d.set_item("first_run", PyArray1::from_vec(py, i(|p| p.first_run.0)))?;
        Ok(d)
    }

    /// The connection graph as edge arrays, one edge per transition state: `ts`, `min1`,
    /// `min2`, `energy` (the transition state's), `degenerate`.
    fn edges<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let rows = self.with_store(py, |s| s.transition_states(self.row.id).map_err(db_err))?;
        let d = PyDict::new(py);
        d.set_item(
            "ts",
            PyArray1::from_vec(py, rows.iter().map(|t| t.id).collect()),
        )?;
        d.set_item(
            "min1",
            PyArray1::from_vec(py, rows.iter().map(|t| t.min1).collect()),
        )?;
        d.set_item(
            "min2",
            PyArray1::from_vec(py, rows.iter().map(|t| t.min2).collect()),
        )?;
        d.set_item(
            "energy",
            PyArray1::from_vec(py, rows.iter().map(|t| t.energy).collect()),
        )?;
        d.set_item(
            "degenerate",
            PyArray1::from_vec(py, rows.iter().map(|t| t.degenerate).collect()),
        )?;
        Ok(d)
    }

    /// The connection graph as a `networkx.MultiGraph` (networkx must be installed): a node per
    /// minimum (attribute `energy`), an edge per transition state keyed by its id (attributes
    /// `energy`, `degenerate`; a degenerate rearrangement is a self-loop).
    fn to_networkx<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (minima, ts) = self.with_store(py, |s| {
            Ok((
                s.minima(self.row.id).map_err(db_err)?,
                s.transition_states(self.row.id).map_err(db_err)?,
            ))
        })?;
        let nx = py.import("networkx")?;
        let g = nx.call_method0("MultiGraph")?;
        g.getattr("graph")?.set_item("landscape", &self.row.key)?;
        for m in &minima {
            let attrs = PyDict::new(py);
            attrs.set_item("energy", m.energy)?;
            g.call_method("add_node", (m.id,), Some(&attrs))?;
        }
        for t in &ts {
            let attrs = PyDict::new(py);
            attrs.set_item("key", t.id)?;
            attrs.set_item("energy", t.energy)?;
            attrs.set_item("degenerate", t.degenerate)?;
            g.call_method("add_edge", (t.min1, t.min2), Some(&attrs))?;
        }
        Ok(g)
    }

    /// The Morse census (`losscape census --format json` for this landscape, as a dict), plus
    /// the arrays `index`, `orbits_by_index` and `points_by_index` (one entry per Hessian index).
    fn census<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let text = self.with_store(py, |store| {
            let exp = StoredExperiment::read(store).map_err(db_err)?;
            let data = LandscapeData::read(store, &exp, &self.row).map_err(db_err)?;
            let censuses = morse_censuses(store, &[data], &exp.config.identity).map_err(db_err)?;
            let value = censuses[0].to_json();
            Ok(value.to_string())
        })?;
        let json = py.import("json")?;
        let d = json.call_method1("loads", (text,))?.cast_into::<PyDict>()?;
        let by_index = d
            .get_item("by_index")?
            .ok_or_else(|| DatabaseError::new_err("the census has no `by_index`"))?
            .cast_into::<PyList>()?;
        let column = |name: &str| -> PyResult<Vec<u64>> {
            by_index
                .iter()
                .map(|row| row.get_item(name)?.extract::<u64>())
                .collect()
        };
        // The per-orbit list keeps its name; the per-index counts get array names of their own.
        d.set_item("index", PyArray1::from_vec(py, column("index")?))?;
        d.set_item("orbits_by_index", PyArray1::from_vec(py, column("orbits")?))?;
        d.set_item("points_by_index", PyArray1::from_vec(py, column("points")?))?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Landscape(key={:?}, n_hidden={}, lam={:e}, dim={})",
            self.row.key, self.row.n_hidden, self.row.lambda, self.row.dimension
        )
    }
}
