//! The extension module behind the `losscape` Python package: the perceptron as a potential
//! over numpy arrays ([`model`]), read-only access to databases ([`db`]) and running
//! experiments with Ctrl-C and `logging` handled the Python way ([`run`]).
//!
//! A thin edge like the CLI: it converts between Python and the library crates and holds no
//! algorithm of its own. Errors carry the messages the CLI prints, as subclasses of
//! `losscape.LosscapeError`.

mod convert;
mod db;
mod model;
mod run;

use pyo3::prelude::*;

pyo3::create_exception!(
    losscape,
    LosscapeError,
    pyo3::exceptions::PyException,
    "Base class of every error losscape raises; the message is the one the CLI prints."
);
pyo3::create_exception!(
    losscape,
    ConfigError,
    LosscapeError,
    "An experiment config that cannot be used: the message names the file (or `<config dict>`), \
     the key and the allowed values."
);
pyo3::create_exception!(
    losscape,
    DataError,
    LosscapeError,
    "A data set that cannot be read or used (the message names the file and the line)."
);
pyo3::create_exception!(
    losscape,
    ModelError,
    LosscapeError,
    "A network that cannot be built, or a point of the wrong length for it."
);
pyo3::create_exception!(
    losscape,
    DatabaseError,
    LosscapeError,
    "A database that cannot be read, or a landscape key it does not hold."
);
pyo3::create_exception!(
    losscape,
    RunError,
    LosscapeError,
    "A run that stopped with an error; what it committed is kept in the database."
);

/// The error and its causes on one line, each cause once (the CLI's `describe`): library
/// errors often quote their cause in their own message.
pub(crate) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = String::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
}

/// The module `losscape._losscape`; `losscape/__init__.py` re-exports it.
#[pymodule]
fn _losscape(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("LosscapeError", py.get_type::<LosscapeError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    m.add("RunError", py.get_type::<RunError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<model::Model>()?;
    m.add_class::<db::Database>()?;
    m.add_class::<db::Landscape>()?;
    m.add_function(wrap_pyfunction!(db::open, m)?)?;
    m.add_function(wrap_pyfunction!(run::check, m)?)?;
    m.add_function(wrap_pyfunction!(run::run, m)?)?;
    Ok(())
}
