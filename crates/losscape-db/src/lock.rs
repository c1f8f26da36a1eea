//! The single-writer lock: an OS advisory lock (`flock`) on the database file itself, held as
//! long as a writable [`Store`](crate::Store) lives.
//!
//! SQLite's own locks last one transaction; a run lasts hours and commits many transactions, so
//! two processes could interleave their work on one database. The advisory lock makes the
//! second writer fail at once instead. It is taken on the file's inode, not on a name: a
//! symbolic link or a hard link to the database reaches the same lock, so two writers cannot
//! slip past each other through two names. The OS drops it when the process dies, however it
//! dies, so a killed run never leaves a stale lock behind, and no lock file is ever created.
//!
//! `flock` locks are independent of the POSIX record locks SQLite takes on the same file (on
//! local Linux file systems), so holding one never blocks SQLite. The one interaction is that
//! closing *any* descriptor of a file drops the process's POSIX locks on it; the lock's
//! descriptor is therefore closed only after the store's SQLite connection (see the field order
//! of [`Store`](crate::Store)).

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::DbError;

/// A held writer lock; released when dropped.
#[derive(Debug)]
pub(crate) struct WriterLock {
    /// Keeping the handle open keeps the lock.
    _file: File,
}

/// How often [`WriterLock::acquire`] retries when the file at the path was replaced between
/// opening and locking it (a race with another process creating or renaming the file).
const RETRIES: usize = 8;

impl WriterLock {
    /// Takes the writer lock of the database file at `db`, creating an empty file there if none
    /// exists, or fails with [`DbError::Busy`] at once. `shown` is the path as the user gave it,
    /// used in messages.
    ///
    /// After locking, the path is checked to still name the locked file: had another process
    /// replaced the file in between, the lock would guard a file nobody uses, so it retries.
    pub(crate) fn acquire(db: &Path, shown: &Path) -> Result<WriterLock, DbError> {
        let io_err = |action| {
            move |source| DbError::Io {
                path: shown.to_path_buf(),
                action,
                source,
            }
        };
        for _ in 0..RETRIES {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(db)
                .map_err(io_err("open the database file for writing"))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let meta = file
                        .metadata()
                        .map_err(io_err("inspect the database file"))?;
                    return Err(DbError::Busy {
                        path: shown.to_path_buf(),
                        holder: flock_holder(meta.dev(), meta.ino()),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io_err("lock the database file")(e)),
            }
            let locked = file
                .metadata()
                .map_err(io_err("inspect the database file"))?;
            match std::fs::metadata(db) {
                Ok(now) if now.dev() == locked.dev() && now.ino() == locked.ino() => {
                    return Ok(WriterLock { _file: file });
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("inspect the database file")(e)),
            }
        }
        Err(DbError::Io {
            path: shown.to_path_buf(),
            action: "lock the database file",
            source: io::Error::other("the file kept being replaced by another process"),
        })
    }
}

/// The process holding an `flock` on the file `(dev, ino)`, read from Linux's `/proc/locks`
/// (`N: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE 0 EOF`, device numbers in hex). Only to make
/// the Busy message more useful: `None` where the table is unavailable or does not say.
fn flock_holder(dev: u64, ino: u64) -> Option<u32> {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let want = format!("{major:02x}:{minor:02x}:{ino}");
    let table = std::fs::read_to_string("/proc/locks").ok()?;
    table.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let kind = fields.iter().position(|f| *f == "FLOCK")?;
        let pid = fields.get(kind + 3)?;
        let file = fields.get(kind + 4)?;
        (*file == want).then(|| pid.parse().ok()).flatten()
    })
}

/// The file a database path finally names: symbolic links resolved, so the lock, SQLite and its
/// `-wal`/`-journal` companions all work on the real file. A path that does not exist yet is
/// resolved through its folder.
pub(crate) fn real_path(db: &Path) -> Result<PathBuf, DbError> {
    match std::fs::canonicalize(db) {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let name = db.file_name().ok_or_else(|| DbError::Io {
                path: db.to_path_buf(),
                action: "use the database path",
                source: io::Error::other("the path does not name a file"),
            })?;
            let parent = match db.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let folder = std::fs::canonicalize(parent).map_err(|source| DbError::Io {
                path: db.to_path_buf(),
                action: "find the database's folder",
                source,
            })?;
            Ok(folder.join(name))
        }
        Err(source) => Err(DbError::Io {
            path: db.to_path_buf(),
            action: "resolve the database path",
            source,
        }),
    }
}
