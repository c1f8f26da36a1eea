//! The losscape experiment database: one SQLite file per experiment.
//!
//! It holds plain records — runs (provenance), landscapes, minima, transition states and
//! attempts (which units of work are done, so an interrupted run can resume) — and knows nothing
//! about neural networks or search algorithms. Every stage of the pipeline reads what earlier
//! stages stored here.
//!
//! # Guarantees
//! - **Crash safety.** Every write runs in a transaction ([`Store::write`]) in WAL mode with
//!   `synchronous = FULL`: a killed process loses nothing it committed and leaves nothing half
//!   written. Runs it left `running` are marked `interrupted` by the next writer.
//! - **One writer.** [`Store::open`] holds an OS advisory lock on the database file itself (its
//!   inode, so symbolic and hard links reach the same lock) for the store's lifetime; a second
//!   writer gets [`DbError::Busy`]. Readers ([`Store::open_read_only`]) may run at any time, also
//!   where they cannot write (a read-only folder): they then read a private copy.
//! - **Safe creation.** A writer killed while it creates a database leaves at worst a hot
//!   journal, which the next writer rolls back once it has judged the file on a private copy.
//! - **Shards merge unchanged.** A shard of a sweep ([`Store::set_shard`]) numbers its rows of
//!   every table from its own id base (`meta.id_base`), so [`Store::merge_shard`] copies them
//!   with their ids, and what refers to an id (a transition state's minima, a record's run, the
//!   keys of finished work) stays valid.
//! - **Regular files only.** A folder, FIFO, device or socket is refused before it is opened.
//! - **Other files are never touched.** A file that is not SQLite, an SQLite database that is
//!   not ours (its `PRAGMA application_id` is not [`APPLICATION_ID`] or its `meta` table does
//!   not say `format = 'losscape'`), or one with a newer [`SCHEMA_VERSION`] is refused with an
//!   error naming the file and what was found, before anything writes to it.
//!
//! # File format (schema version 3; every table and column in `docs/database.md`)
//! Tables `meta(key, value)` (`format = 'losscape'`, `schema_version = 3`), `runs`,
//! `landscapes`, `minima`, `transition_states`, `attempts`, (since version 2)
//! `stationary_points` — the census record of verified stationary points of any Hessian index,
//! with the columns of `minima` plus `zero_modes` — and (since version 3) `datasets`, the
//! training data with its SHA-256, with indexes on `(landscape_id, energy)`. Coordinate vectors (`coords`, `negative_vector`) are BLOBs of
//! little-endian IEEE-754 `f64`s, 8 bytes per value, no header (see [`blob`]); their length must
//! equal the landscape's `dimension`, checked on write and on read. Timestamps are UTC text,
//! `YYYY-MM-DDTHH:MM:SS.sssZ`. NaN in an optional REAL column is stored as NULL.
//!
//! Older files are upgraded to version 3 when opened for writing, in the same transaction that
//! checks them (create the missing tables, bump `meta.schema_version`), so the upgrade happens
//! entirely or not at all. A read-only store never migrates: it reads an older file as it is,
//! with no stationary points (version 1) and no stored data set (versions 1 and 2).
//!
//! This crate must not depend on any other losscape crate.

#![forbid(unsafe_code)]

pub mod blob;
mod error;
mod lock;
mod merge;
mod records;
mod schema;
mod store;

pub use error::DbError;
pub use merge::{MergeCounts, SHARD_ID_BITS, Shard};
pub use records::{
    AttemptRow, DatasetRecord, LandscapeId, LandscapeRow, LandscapeSpec, MinimumRow, NewAttempt,
    NewMinimum, NewStationaryPoint, NewTs, RunId, RunInfo, RunRow, RunStatus, StationaryPointRow,
    TimingRow, TsRow, UnknownRunStatus,
};
pub use schema::{APPLICATION_ID, FORMAT, SCHEMA_VERSION};
pub use store::{Batch, Store, Units};
