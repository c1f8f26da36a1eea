//! The single-writer lock: an OS advisory lock on `<database>.lock`, held as long as a writable
//! [`Store`](crate::Store) lives.
//!
//! SQLite's own locks last one transaction; a run lasts hours and commits many transactions, so
//! two processes could interleave their work on one database. The advisory lock makes the
//! second writer fail at once instead. The OS drops it when the process dies, however it dies,
//! so a killed run never leaves a stale lock behind. The lock file itself is left in place on
//! purpose: deleting it while another process is about to lock it would let two writers lock two
//! different files of the same name.

use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::DbError;

/// A held writer lock; released when dropped.
#[derive(Debug)]
pub(crate) struct WriterLock {
    /// Keeping the handle open keeps the lock.
    _file: File,
}

/// The lock file of database `db`: `<db>.lock` in the same directory. Held (OS advisory lock)
/// by the process that has the database open for writing.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = OsString::from(db.as_os_str());
    name.push(".lock");
    PathBuf::from(name)
}

impl WriterLock {
    /// Takes the writer lock of database `db`, or fails with [`DbError::Busy`] at once.
    pub(crate) fn acquire(db: &Path) -> Result<WriterLock, DbError> {
        let lock = lock_path(db);
        let io_err = |action| {
            let lock = lock.clone();
            move |source| DbError::Io {
                path: lock,
                action,
                source,
            }
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock)
            .map_err(io_err("create the lock file"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(DbError::Busy {
                    path: db.to_path_buf(),
                    holder: read_pid(&mut file),
                    lock,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_err("lock the lock file")(e)),
        }
        // Record who holds the lock, only to make the other side's Busy message more useful;
        // failing to write it is harmless.
        let _ = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| writeln!(file, "{}", std::process::id()))
            .and_then(|()| file.flush());
        Ok(WriterLock { _file: file })
    }
}

/// The pid written by the current holder, if readable (on some systems a locked file cannot
/// be read by others; then we simply do not know).
fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}
