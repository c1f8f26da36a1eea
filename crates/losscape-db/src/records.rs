//! Plain record types: what goes into the database (`New*`, `RunInfo`, `LandscapeSpec`) and
//! what comes out (`*Row`, which add the database id). They carry no behaviour beyond
//! conversions, so every layer above can build them without knowing SQL.
//!
//! Floating-point columns other than energies and `lambda` may hold NaN (e.g. an accuracy that
//! was not computed): SQLite stores NaN as NULL, and the store reads NULL back as NaN.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The database id of a landscape: a type of its own, so a landscape id cannot be passed where a
/// run's (or a point's) is meant. Stored and serialised as the bare integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LandscapeId(pub i64);

/// The database id of a run (one invocation of a writer, the provenance of what it stored).
/// Stored and serialised as the bare integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

macro_rules! integer_id {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
        impl rusqlite::ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }
        impl rusqlite::types::FromSql for $t {
            fn column_result(
                v: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                i64::column_result(v).map(Self)
            }
        }
    };
}
integer_id!(LandscapeId);
integer_id!(RunId);

/// The life-cycle state of a run (the `runs.status` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Started and not (yet) finished. Left behind by a killed process until the next writer
    /// opens the database and marks it [`RunStatus::Interrupted`].
    Running,
    /// Finished normally.
    Completed,
    /// Stopped early (by the user, or by a killed process detected later); may be resumed.
    Interrupted,
    /// Stopped by an error.
    Failed,
}

impl RunStatus {
    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `runs.status` text that is none of the four known states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRunStatus(pub String);

impl fmt::Display for UnknownRunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown run status {:?} (expected running, completed, interrupted or failed)",
            self.0
        )
    }
}

impl std::error::Error for UnknownRunStatus {}

impl FromStr for RunStatus {
    type Err = UnknownRunStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "running" => Ok(RunStatus::Running),
            "completed" => Ok(RunStatus::Completed),
            "interrupted" => Ok(RunStatus::Interrupted),
            "failed" => Ok(RunStatus::Failed),
            other => Err(UnknownRunStatus(other.to_owned())),
        }
    }
}

/// Provenance of one invocation of the program, recorded when it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Version of the program that ran (e.g. `CARGO_PKG_VERSION` plus a git description).
    pub program_version: String,
    /// The command line, for the record.
    pub command: String,
    /// The full experiment configuration as it was used (e.g. the TOML with defaults filled in).
    pub config_text: String,
    /// Master random seed. Stored in the INTEGER column as the `i64` with the same bits, so
    /// seeds above `i64::MAX` appear negative to plain SQL but round-trip exactly here.
    pub seed: u64,
    /// Number of worker threads.
    pub threads: u32,
    /// Name of the local minimiser (built-in or plugin) used by the run.
    pub minimiser: String,
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRow {
    /// Database id.
    pub id: RunId,
    /// UTC start time, ISO 8601 with milliseconds (`2026-05-01T12:34:56.789Z`).
    pub started_at: String,
    /// UTC time of [`Store::finish_run`](crate::Store::finish_run); `None` while running and
    /// for runs found stale (the moment a killed process died is unknown).
    pub finished_at: Option<String>,
    /// Current state.
    pub status: RunStatus,
    /// See [`RunInfo::program_version`].
    pub program_version: String,
    /// See [`RunInfo::command`].
    pub command: String,
    /// See [`RunInfo::config_text`].
    pub config_text: String,
    /// See [`RunInfo::seed`].
    pub seed: u64,
    /// See [`RunInfo::threads`].
    pub threads: u32,
    /// See [`RunInfo::minimiser`].
    pub minimiser: String,
}

/// What identifies a landscape (one network shape, regulariser and data set) in the database.
///
/// The `key` is chosen by the caller (e.g. `"xor-h3-l1e-4"`); everything else describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandscapeSpec {
    /// Unique, caller-chosen name of the landscape.
    pub key: String,
    /// Number of network inputs.
    pub n_in: u32,
    /// Number of hidden units.
    pub n_hidden: u32,
    /// Number of network outputs.
    pub n_out: u32,
    /// Length of every coordinate vector of this landscape (number of parameters). Every stored
    /// `coords` and `negative_vector` is checked against it on write and on read.
    pub dimension: u32,
    /// Regularisation strength.
    pub lambda: f64,
    /// Name or path of the data set.
    pub dataset: String,
    /// Any further description, as JSON (opaque to this crate).
    pub config_json: String,
}

/// A landscape as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandscapeRow {
    /// Database id.
    pub id: LandscapeId,
    /// See [`LandscapeSpec::key`].
    pub key: String,
    /// See [`LandscapeSpec::n_in`].
    pub n_in: u32,
    /// See [`LandscapeSpec::n_hidden`].
    pub n_hidden: u32,
    /// See [`LandscapeSpec::n_out`].
    pub n_out: u32,
    /// See [`LandscapeSpec::dimension`].
    pub dimension: u32,
    /// See [`LandscapeSpec::lambda`].
    pub lambda: f64,
    /// See [`LandscapeSpec::dataset`].
    pub dataset: String,
    /// See [`LandscapeSpec::config_json`].
    pub config_json: String,
}

impl LandscapeRow {
    /// The specification this row was created from.
    pub fn spec(&self) -> LandscapeSpec {
        LandscapeSpec {
            key: self.key.clone(),
            n_in: self.n_in,
            n_hidden: self.n_hidden,
            n_out: self.n_out,
            dimension: self.dimension,
            lambda: self.lambda,
            dataset: self.dataset.clone(),
            config_json: self.config_json.clone(),
        }
    }
}

/// A local minimum to insert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMinimum {
    /// The landscape it belongs to.
    pub landscape_id: LandscapeId,
    /// Loss at the minimum (must not be NaN).
    pub energy: f64,
    /// Coordinates; length must equal the landscape's `dimension`.
    pub coords: Vec<f64>,
    /// RMS gradient `|g| / sqrt(P)` at `coords`.
    pub rms_gradient: f64,
    /// Number of negative Hessian eigenvalues (0 for a true minimum).
    pub hessian_index: u32,
    /// Smallest Hessian eigenvalue.
    pub lowest_eigenvalue: f64,
    /// Natural log of the product of the positive Hessian eigenvalues (PATHSAMPLE's `fvib`).
    pub ln_prod_positive: f64,
    /// Training accuracy in `[0, 1]`.
    pub accuracy: f64,
    /// How many times searches have reached it so far.
    pub times_found: i64,
    /// The run that first found it.
    pub first_run: RunId,
}

/// A local minimum as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinimumRow {
    /// Database id.
    pub id: i64,
    /// See [`NewMinimum::landscape_id`].
    pub landscape_id: LandscapeId,
    /// See [`NewMinimum::energy`].
    pub energy: f64,
    /// See [`NewMinimum::coords`].
    pub coords: Vec<f64>,
    /// See [`NewMinimum::rms_gradient`].
    pub rms_gradient: f64,
    /// See [`NewMinimum::hessian_index`].
    pub hessian_index: u32,
    /// See [`NewMinimum::lowest_eigenvalue`].
    pub lowest_eigenvalue: f64,
    /// See [`NewMinimum::ln_prod_positive`].
    pub ln_prod_positive: f64,
    /// See [`NewMinimum::accuracy`].
    pub accuracy: f64,
    /// See [`NewMinimum::times_found`].
    pub times_found: i64,
    /// See [`NewMinimum::first_run`].
    pub first_run: RunId,
}

impl MinimumRow {
    /// The record without its id (e.g. to insert it into another database).
    pub fn to_new(&self) -> NewMinimum {
        NewMinimum {
            landscape_id: self.landscape_id,
            energy: self.energy,
            coords: self.coords.clone(),
            rms_gradient: self.rms_gradient,
            hessian_index: self.hessian_index,
            lowest_eigenvalue: self.lowest_eigenvalue,
            ln_prod_positive: self.ln_prod_positive,
            accuracy: self.accuracy,
            times_found: self.times_found,
            first_run: self.first_run,
        }
    }
}

/// A transition state to insert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTs {
    /// The landscape it belongs to.
    pub landscape_id: LandscapeId,
    /// Loss at the saddle (must not be NaN).
    pub energy: f64,
    /// Coordinates; length must equal the landscape's `dimension`.
    pub coords: Vec<f64>,
    /// RMS gradient at `coords`.
    pub rms_gradient: f64,
    /// Number of negative Hessian eigenvalues (1 for a true transition state).
    pub hessian_index: u32,
    /// The (negative) Hessian eigenvalue of the reaction coordinate.
    pub negative_eigenvalue: f64,
    /// Its eigenvector; same length as `coords`.
    pub negative_vector: Vec<f64>,
    /// Natural log of the product of the positive Hessian eigenvalues.
    pub ln_prod_positive: f64,
    /// Training accuracy in `[0, 1]`.
    pub accuracy: f64,
    /// Id of the minimum on one side (same landscape).
    pub min1: i64,
    /// Id of the minimum on the other side (same landscape; equal to `min1` or a symmetry copy
    /// of it for a degenerate rearrangement).
    pub min2: i64,
    /// True for a degenerate rearrangement (both sides are symmetry copies of one minimum).
    pub degenerate: bool,
    /// How many times searches have found it so far.
    pub times_found: i64,
    /// The run that first found it.
    pub first_run: RunId,
}

/// A transition state as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TsRow {
    /// Database id.
    pub id: i64,
    /// See [`NewTs::landscape_id`].
    pub landscape_id: LandscapeId,
    /// See [`NewTs::energy`].
    pub energy: f64,
    /// See [`NewTs::coords`].
    pub coords: Vec<f64>,
    /// See [`NewTs::rms_gradient`].
    pub rms_gradient: f64,
    /// See [`NewTs::hessian_index`].
    pub hessian_index: u32,
    /// See [`NewTs::negative_eigenvalue`].
    pub negative_eigenvalue: f64,
    /// See [`NewTs::negative_vector`].
    pub negative_vector: Vec<f64>,
    /// See [`NewTs::ln_prod_positive`].
    pub ln_prod_positive: f64,
    /// See [`NewTs::accuracy`].
    pub accuracy: f64,
    /// See [`NewTs::min1`].
    pub min1: i64,
    /// See [`NewTs::min2`].
    pub min2: i64,
    /// See [`NewTs::degenerate`].
    pub degenerate: bool,
    /// See [`NewTs::times_found`].
    pub times_found: i64,
    /// See [`NewTs::first_run`].
    pub first_run: RunId,
}

impl TsRow {
    /// The record without its id.
    pub fn to_new(&self) -> NewTs {
        NewTs {
            landscape_id: self.landscape_id,
            energy: self.energy,
            coords: self.coords.clone(),
            rms_gradient: self.rms_gradient,
            hessian_index: self.hessian_index,
            negative_eigenvalue: self.negative_eigenvalue,
            negative_vector: self.negative_vector.clone(),
            ln_prod_positive: self.ln_prod_positive,
            accuracy: self.accuracy,
            min1: self.min1,
            min2: self.min2,
            degenerate: self.degenerate,
            times_found: self.times_found,
            first_run: self.first_run,
        }
    }
}

/// A verified stationary point of any Hessian index, as recorded by a census (the
/// `stationary_points` table, schema version 2). Minima and transition states found by the
/// census may appear here as well as in their own tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewStationaryPoint {
    /// The landscape it belongs to.
    pub landscape_id: LandscapeId,
    /// Loss at the point (must not be NaN).
    pub energy: f64,
    /// Coordinates; length must equal the landscape's `dimension`.
    pub coords: Vec<f64>,
    /// RMS gradient `|g| / sqrt(P)` at `coords`.
    pub rms_gradient: f64,
    /// Number of negative Hessian eigenvalues.
    pub hessian_index: u32,
    /// Number of Hessian eigenvalues judged zero (a degenerate critical point if above 0).
    pub zero_modes: u32,
    /// Smallest Hessian eigenvalue.
    pub lowest_eigenvalue: f64,
    /// Natural log of the product of the positive Hessian eigenvalues.
    pub ln_prod_positive: f64,
    /// Training accuracy in `[0, 1]`.
    pub accuracy: f64,
    /// How many times searches have reached it so far.
    pub times_found: i64,
    /// The run that first found it.
    pub first_run: RunId,
}

/// A census stationary point as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationaryPointRow {
    /// Database id.
    pub id: i64,
    /// See [`NewStationaryPoint::landscape_id`].
    pub landscape_id: LandscapeId,
    /// See [`NewStationaryPoint::energy`].
    pub energy: f64,
    /// See [`NewStationaryPoint::coords`].
    pub coords: Vec<f64>,
    /// See [`NewStationaryPoint::rms_gradient`].
    pub rms_gradient: f64,
    /// See [`NewStationaryPoint::hessian_index`].
    pub hessian_index: u32,
    /// See [`NewStationaryPoint::zero_modes`].
    pub zero_modes: u32,
    /// See [`NewStationaryPoint::lowest_eigenvalue`].
    pub lowest_eigenvalue: f64,
    /// See [`NewStationaryPoint::ln_prod_positive`].
    pub ln_prod_positive: f64,
    /// See [`NewStationaryPoint::accuracy`].
    pub accuracy: f64,
    /// See [`NewStationaryPoint::times_found`].
    pub times_found: i64,
    /// See [`NewStationaryPoint::first_run`].
    pub first_run: RunId,
}

impl StationaryPointRow {
    /// The record without its id.
    pub fn to_new(&self) -> NewStationaryPoint {
        NewStationaryPoint {
            landscape_id: self.landscape_id,
            energy: self.energy,
            coords: self.coords.clone(),
            rms_gradient: self.rms_gradient,
            hessian_index: self.hessian_index,
            zero_modes: self.zero_modes,
            lowest_eigenvalue: self.lowest_eigenvalue,
            ln_prod_positive: self.ln_prod_positive,
            accuracy: self.accuracy,
            times_found: self.times_found,
            first_run: self.first_run,
        }
    }
}

/// The recorded outcome of one unit of work, so a resumed run can skip it.
///
/// `(landscape_id, stage, key)` is unique: recording again replaces the previous outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRow {
    /// Database id.
    pub id: i64,
    /// The landscape worked on.
    pub landscape_id: LandscapeId,
    /// Pipeline stage, e.g. `"basin_hopping"` or `"connect"`.
    pub stage: String,
    /// Unit of work within the stage, e.g. `"chain-3"` or `"12-40"`.
    pub key: String,
    /// Short outcome, e.g. `"done"`, `"connected"`, `"gave_up"` (opaque to this crate).
    pub outcome: String,
    /// Free-form detail.
    pub detail: String,
    /// The run that recorded the latest outcome.
    pub run_id: RunId,
    /// UTC time the latest outcome was recorded (same format as [`RunRow::started_at`]).
    pub recorded_at: String,
}

/// The training data of an experiment, as stored (table `datasets`, schema version 3).
///
/// This crate does not interpret the data: the caller computes `sha256` and checks it against
/// the rows when it reads them back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRecord {
    /// SHA-256 of the data's contents, 64 lower-case hex digits (how it is computed is the
    /// caller's business; losscape's rule is in `docs/database.md`).
    pub sha256: String,
    /// Where the data came from: `xor`, `csv`, `mlpdata` or `import`.
    pub kind: String,
    /// The file the data were read from, as the experiment named it (empty for built-in data).
    pub source: String,
    /// Number of input features per row.
    pub n_in: u32,
    /// Number of classes.
    pub n_out: u32,
    /// Features, row-major, `n_rows * n_in` values.
    pub inputs: Vec<f64>,
    /// Class label of each row.
    pub labels: Vec<u32>,
}

impl DatasetRecord {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.labels.len()
    }
}

/// One outcome of a unit of work to record in the attempts table (see
/// [`Batch::record_attempt`](crate::Batch::record_attempt)); named fields, so the stage, key,
/// outcome and detail texts cannot be swapped silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAttempt<'a> {
    /// The landscape.
    pub landscape_id: LandscapeId,
    /// The stage (or bookkeeping namespace) the key belongs to.
    pub stage: &'a str,
    /// The unit's key, unique within `(landscape_id, stage)`.
    pub key: &'a str,
    /// Short outcome, e.g. `connected`.
    pub outcome: &'a str,
    /// Detail, usually JSON.
    pub detail: &'a str,
    /// The run recording it.
    pub run_id: RunId,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id types are only a compile-time distinction: in SQL and in text they are the bare
    /// integer, so files and `--format json` output are unchanged by them.
    #[test]
    fn ids_are_bare_integers_in_sql_and_text() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let back: (LandscapeId, RunId, i64) = conn
            .query_row(
                "SELECT ?1, ?2, ?1 + ?2",
                rusqlite::params![LandscapeId(7), RunId(1 << 41)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(back, (LandscapeId(7), RunId(1 << 41), 7 + (1 << 41)));
        assert_eq!(LandscapeId(7).to_string(), "7");
        assert_eq!(serde_json::to_string(&RunId(3)).unwrap(), "3");
    }
}

/// Wall time spent on one kind of work of one stage of a landscape, summed over the runs
/// (the `timings` table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingRow {
    /// Stage name, e.g. `"census"`.
    pub stage: String,
    /// Kind of work: `"total"` for the whole stage, or a part of it (`"closure"`, `"connect"`).
    pub kind: String,
    /// Units of that kind (searches, starts, pairs; 1 for `"total"` per run).
    pub count: i64,
    /// Wall-clock seconds.
    pub seconds: f64,
}
