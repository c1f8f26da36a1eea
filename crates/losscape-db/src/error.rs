//! The one error type of the crate. Every variant names the database file, because a user
//! juggling several experiments needs to know which one is at fault.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Everything that can go wrong while opening, reading or writing an experiment database.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DbError {
    /// A file-system operation (reading the header, locking the file) failed.
    #[error("cannot {action} ({}): {source}", .path.display())]
    Io {
        /// The database file concerned.
        path: PathBuf,
        /// What was being attempted, e.g. "create the lock file".
        action: &'static str,
        /// The underlying operating-system error.
        #[source]
        source: std::io::Error,
    },

    /// SQLite reported an error.
    #[error("database {}: {source}", .path.display())]
    Sqlite {
        /// The database file concerned.
        path: PathBuf,
        /// The error from rusqlite / SQLite.
        #[source]
        source: rusqlite::Error,
    },

    /// A read-only open was asked for a file that does not exist.
    #[error("database {} does not exist (read-only access never creates a database)", .path.display())]
    Missing {
        /// The path that was looked for.
        path: PathBuf,
    },

    /// The file exists but is not an SQLite database at all. It was not modified.
    #[error("{} is not a losscape database: {found}; the file was left untouched", .path.display())]
    NotSqlite {
        /// The file concerned.
        path: PathBuf,
        /// What was found instead, e.g. the first bytes of the file.
        found: String,
    },

    /// The file is an SQLite database, but not one of ours (or an empty one opened read-only).
    /// It was not modified.
    #[error("{} is not a losscape database: found {found}; the file was left untouched", .path.display())]
    NotOurs {
        /// The file concerned.
        path: PathBuf,
        /// What was found, e.g. its application id and table names.
        found: String,
    },

    /// The database was written by a newer losscape whose schema this build does not know.
    /// It was not modified.
    #[error(
        "{} has losscape schema version {found}, but this program understands only up to version {supported}; use a newer losscape (the file was left untouched)",
        .path.display()
    )]
    NewerSchema {
        /// The file concerned.
        path: PathBuf,
        /// The schema version recorded in the file.
        found: i64,
        /// The newest schema version this build can read and write.
        supported: i64,
    },

    /// Another process holds the single-writer lock of this database.
    #[error(
        "database {} is busy: another losscape process{} holds it for writing (an OS lock on the file, whatever name or link it was opened by); wait for it to finish or stop it",
        .path.display(),
        .holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    Busy {
        /// The database file.
        path: PathBuf,
        /// The process holding the lock, where the OS says (Linux's `/proc/locks`).
        holder: Option<u32>,
    },

    /// A write was attempted through a store opened with [`Store::open_read_only`](crate::Store::open_read_only).
    #[error("database {} was opened read-only; cannot {action}", .path.display())]
    ReadOnly {
        /// The database file.
        path: PathBuf,
        /// The refused operation.
        action: &'static str,
    },

    /// A referenced record (run, landscape, minimum, transition state) does not exist.
    #[error("database {}: {what} not found", .path.display())]
    NotFound {
        /// The database file.
        path: PathBuf,
        /// Which record was looked for, e.g. "minimum 12".
        what: String,
    },

    /// A record handed to the store is inconsistent (wrong coordinate length, NaN energy,
    /// minima of another landscape, a landscape key reused with different parameters, ...).
    #[error("database {}: invalid record: {what}", .path.display())]
    Invalid {
        /// The database file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },

    /// Stored data violates an invariant the store itself maintains (e.g. a coordinate blob
    /// of the wrong length): the file was damaged or edited by hand.
    #[error("database {} is damaged: {what}", .path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}

impl DbError {
    /// The database file this error is about.
    pub fn path(&self) -> &Path {
        match self {
            DbError::Io { path, .. }
            | DbError::Sqlite { path, .. }
            | DbError::Missing { path }
            | DbError::NotSqlite { path, .. }
            | DbError::NotOurs { path, .. }
            | DbError::NewerSchema { path, .. }
            | DbError::Busy { path, .. }
            | DbError::ReadOnly { path, .. }
            | DbError::NotFound { path, .. }
            | DbError::Invalid { path, .. }
            | DbError::Corrupt { path, .. } => path,
        }
    }
}

impl DbError {
    /// Whether doing the same again may succeed: another process held the database, the disk
    /// was full or an I/O call failed. Everything else (a damaged or foreign file, an invalid
    /// record) fails the same way every time, so retrying is no advice for it.
    pub fn is_transient(&self) -> bool {
        use rusqlite::ErrorCode as C;
        match self {
            DbError::Busy { .. } | DbError::Io { .. } => true,
            DbError::Sqlite { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(
                    C::DatabaseBusy
                        | C::DatabaseLocked
                        | C::DiskFull
                        | C::SystemIoFailure
                        | C::OperationInterrupted
                        | C::OutOfMemory
                )
            ),
            _ => false,
        }
    }
}

/// Adapter for `map_err`: attach the database path to a rusqlite error.
pub(crate) fn sql(path: &Path) -> impl FnOnce(rusqlite::Error) -> DbError + '_ {
    move |source| DbError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Shorthand for an [`DbError::Invalid`] about `path`.
pub(crate) fn invalid(path: &Path, what: impl Into<String>) -> DbError {
    DbError::Invalid {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

/// Shorthand for a [`DbError::NotFound`] about `path`.
pub(crate) fn not_found(path: &Path, what: impl Into<String>) -> DbError {
    DbError::NotFound {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

/// Shorthand for a [`DbError::Corrupt`] about `path`.
pub(crate) fn corrupt(path: &Path, what: impl Into<String>) -> DbError {
    DbError::Corrupt {
        path: path.to_path_buf(),
        what: what.into(),
    }
}
