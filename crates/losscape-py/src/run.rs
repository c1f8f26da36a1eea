//! `losscape.check(config)` and `losscape.run(config, db)`: what `losscape check` and
//! `losscape run` do, for a config file or a dict with the file's structure.
//!
//! A dict is written as TOML and read by the same parser as a file, so its errors are the
//! CLI's (a bad key is named with its dotted path). A run works in a thread of its own with the
//! GIL released; the calling thread forwards the runner's events to `logging` and polls for
//! signals, and Ctrl-C sets the runner's cancel flag, so the units in hand are committed and
//! `KeyboardInterrupt` is raised once the run has stopped: everything committed is kept and the
//! same call resumes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use losscape_db::Store;
use losscape_experiment::{Event, Experiment, Observer, RunError as Failure, RunOptions};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::db::summary_dict;
use crate::{ConfigError, DatabaseError, RunError, describe};

/// What messages call a config given as a dict (its relative paths are taken from the current
/// folder).
const DICT_SOURCE: &str = "<config dict>";

/// How often the calling thread looks for Ctrl-C and new events while a run works.
const POLL: Duration = Duration::from_millis(50);

/// `logging` levels.
const DEBUG: i32 = 10;
const INFO: i32 = 20;
const WARNING: i32 = 30;

/// A Python value as TOML; `key` is its dotted path, for the error.
fn to_toml(value: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
    let name = |k: &str| {
        if key.is_empty() {
            k.to_string()
        } else {
            format!("{key}.{k}")
        }
    };
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(toml::Value::Boolean(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(toml::Value::Integer(value.extract()?));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(value.extract()?));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(toml::Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = value.cast::<PyDict>() {
        let mut table = toml::Table::new();
        for (k, v) in d.iter() {
            let k: String = k.extract().map_err(|_| {
                ConfigError::new_err(format!(
                    "{DICT_SOURCE}: invalid key in `{}`: keys must be strings, got {}",
                    if key.is_empty() { "<top level>" } else { key },
                    k.repr().map(|r| r.to_string()).unwrap_or_default()
                ))
            })?;
            let item = to_toml(&v, &name(&k))?;
            table.insert(k, item);
        }
        return Ok(toml::Value::Table(table));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items = value
            .try_iter()?
            .map(|item| to_toml(&item?, key))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(toml::Value::Array(items));
    }
    // numpy scalars and other number types.
    if value.hasattr("__index__")? {
        return Ok(toml::Value::Integer(value.extract()?));
    }
    if let Ok(f) = value.extract::<f64>() {
        return Ok(toml::Value::Float(f));
    }
    Err(ConfigError::new_err(format!(
        "{DICT_SOURCE}: invalid value for `{key}`: a {} cannot be written in an experiment file \
         (allowed: str, int, float, bool, list, dict)",
        value.get_type().name()?
    )))
}

/// The experiment a config argument names: a path to a TOML file, or a dict.
fn experiment(config: &Bound<'_, PyAny>) -> PyResult<Experiment> {
    let loaded = if let Ok(d) = config.cast::<PyDict>() {
        let text = toml::to_string(&to_toml(d.as_any(), "")?)
            .map_err(|e| ConfigError::new_err(format!("{DICT_SOURCE}: {e}")))?;
        Experiment::from_text(text, Path::new(DICT_SOURCE))
    } else {
        let path: PathBuf = config.extract().map_err(|_| {
            ConfigError::new_err("config must be the path of an experiment file or a dict")
        })?;
        Experiment::load(&path)
    };
    loaded.map_err(|e| ConfigError::new_err(describe(&e)))
}

/// Checks a config (a TOML file's path or a dict with its structure) as `losscape check`
/// does, without touching any database. Returns a dict: `source`, `minimiser`, `memory_bytes`
/// (the estimate for one thread per core), `landscapes` (a dict per landscape: `key`,
/// `n_hidden`, `lambda`) and `text` (what `losscape check` prints).
#[pyfunction]
pub fn check<'py>(py: Python<'py>, config: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let exp = experiment(config)?;
    let memory = exp.memory_estimate(0);
    let bytes = losscape_experiment::memory::bytes;
    let mut text = format!(
        "{}: ok, minimiser {}, memory estimate {} ({} thread(s) × {} for {}, plus {} shared)\n",
        exp.source.display(),
        exp.minimiser.name(),
        bytes(memory.total()),
        memory.threads,
        bytes(memory.per_thread),
        memory.largest,
        bytes(memory.shared),
    );
    let landscapes = PyList::empty(py);
    for p in exp.config.landscapes() {
        text.push_str(&format!(
            "  {}  (n_hidden {}, lambda {:e})\n",
            p.key(),
            p.n_hidden,
            p.lambda
        ));
        let d = PyDict::new(py);
        d.set_item("key", p.key())?;
        d.set_item("n_hidden", p.n_hidden)?;
        d.set_item("lambda", p.lambda)?;
        landscapes.append(d)?;
    }
    let out = PyDict::new(py);
    out.set_item("source", exp.source.display().to_string())?;
    out.set_item("minimiser", exp.minimiser.name())?;
    out.set_item("memory_bytes", memory.total())?;
    out.set_item("landscapes", landscapes)?;
    out.set_item("text", text)?;
    Ok(out)
}

/// Sends the runner's events, as log records, to the calling thread.
struct Forward(mpsc::Sender<(i32, String)>);

impl Observer for Forward {
    fn event(&self, event: &Event<'_>) {
        let record = match event {
            Event::LandscapeStarted { key, index, total } => {
                (INFO, format!("landscape {key} ({}/{total})", index + 1))
            }
            Event::StageStarted {
                key,
                stage,
                units,
                already_done,
            } => (
                INFO,
                format!(
                    "{key}: {}: {units} unit(s) to do, {already_done} done by earlier runs",
                    stage.name()
                ),
            ),
            Event::StageSkipped { key, stage } => (
                INFO,
                format!(
                    "{key}: {}: finished by an earlier run, skipped",
                    stage.name()
                ),
            ),
            Event::RoundStarted {
                key,
                round,
                max_rounds,
                units,
            } => (
                INFO,
                format!(
                    "{key}: saturate round {}/{max_rounds}: closure pass of {units} unit(s)",
                    round + 1
                ),
            ),
            Event::UnitCommitted {
                stage,
                minima,
                transition_states,
            } => (
                DEBUG,
                format!(
                    "{}: unit committed ({minima} minima, {transition_states} transition states)",
                    stage.name()
                ),
            ),
            Event::LandscapeFinished(s) => (
                INFO,
                format!(
                    "{}: done, {} minima, {} transition states, lowest energy {}",
                    s.key,
                    s.counts.minima_by_energy,
                    s.counts.transition_states,
                    s.counts
                        .lowest_energy()
                        .map_or("-".into(), |e| format!("{e:.8}"))
                ),
            ),
        };
        // The receiver lives until the run returns; a send cannot fail before.
        let _ = self.0.send(record);
    }
}

/// Runs a config (a TOML file's path or a dict) into the database `db`, creating it or
/// resuming it as `losscape run CONFIG --db DB --threads N` does. Progress goes to the
/// `logging` logger `"losscape"`. Returns one dict per landscape with the counts `losscape
/// summary --format json` prints.
///
/// Ctrl-C stops the run after the units in hand are committed, then raises
/// `KeyboardInterrupt`; the same call resumes where it stopped.
#[pyfunction]
#[pyo3(signature = (config, db, threads = 0))]
pub fn run<'py>(
    py: Python<'py>,
    config: &Bound<'py, PyAny>,
    db: PathBuf,
    threads: usize,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    // Everything the user wrote is checked before the database is touched.
    let exp = experiment(config)?;
    exp.check_resources(threads)
        .map_err(|e| ConfigError::new_err(describe(&e)))?;
    let mut store = Store::open(&db).map_err(|e| DatabaseError::new_err(describe(&e)))?;
    let logger = py
        .import("logging")?
        .call_method1("getLogger", ("losscape",))?;
    let log = |level: i32, text: &str| logger.call_method1("log", (level, "%s", text));
    let earlier = store
        .runs()
        .map_err(|e| DatabaseError::new_err(describe(&e)))?
        .len();
    if earlier > 0 {
        log(
            INFO,
            &format!(
                "resuming {} ({earlier} earlier run(s)): finished stages and committed units \
                 are skipped",
                db.display()
            ),
        )?;
    }
    let cancel = AtomicBool::new(false);
    let opts = RunOptions {
        threads,
        command: format!(
            "python: losscape.run({:?}, {:?}, threads={threads})",
            exp.source.display().to_string(),
            db.display().to_string()
        ),
        program_version: format!("losscape-py {}", env!("CARGO_PKG_VERSION")),
        cancel: Some(&cancel),
        shard: None,
    };
    let (tx, rx) = mpsc::channel();
    // The first Python error seen while the run works: Ctrl-C, or a failing log handler. Either
    // stops the run (committed work is kept) and is raised when it has stopped.
    let mut raised: Option<PyErr> = None;
    let outcome = std::thread::scope(|s| {
        let worker = s.spawn(|| losscape_experiment::run(&exp, &mut store, &opts, &Forward(tx)));
        let mut rx = Some(rx);
        loop {
            let receiver = rx.take().expect("the receiver is put back every round");
            let (got, receiver) = py.detach(move || (receiver.recv_timeout(POLL), receiver));
            rx = Some(receiver);
            let problem = match got {
                Ok((level, text)) => log(level, &text).err(),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let problem = problem.or_else(|| py.check_signals().err());
            if let Some(e) = problem {
                cancel.store(true, Ordering::SeqCst);
                if raised.is_none() {
                    let _ = log(
                        WARNING,
                        &format!(
                            "stopping: finishing the units in hand; everything committed is kept \
                             in {}",
                            db.display()
                        ),
                    );
                    raised = Some(e);
                }
            }
        }
        py.detach(|| worker.join())
    });
    let outcome = outcome.map_err(|_| RunError::new_err("the run's worker thread panicked"))?;
    if let Some(e) = raised {
        let _ = log(
            WARNING,
            &format!(
                "interrupted: everything committed is kept in {}; the same call resumes",
                db.display()
            ),
        );
        return Err(e);
    }
    match outcome {
        Ok(summaries) => {
            for s in summaries.iter().filter(|s| s.failed_quenches > 0) {
                log(
                    WARNING,
                    &format!(
                        "{}: {} of {} basin-hopping quenches failed{}",
                        s.key,
                        s.failed_quenches,
                        s.quenches,
                        s.first_quench_failure
                            .as_deref()
                            .map(|f| format!("; the first: {f}"))
                            .unwrap_or_default()
                    ),
                )?;
            }
            summaries.iter().map(|s| summary_dict(py, s)).collect()
        }
        // Refused before any work: nothing to keep, nothing to resume.
        Err(e @ Failure::DataChanged { .. }) => Err(RunError::new_err(describe(&e))),
        Err(e) => Err(RunError::new_err(format!(
            "run stopped; committed work is kept in {}: {}",
            db.display(),
            describe(&e)
        ))),
    }
}
