//! A copy of the whole database while collectors work on it (`owed backup FILE`).
//!
//! `VACUUM INTO` writes the database as one read transaction sees it — every committed action
//! up to that moment, none half — into a new file, without stopping anyone: readers and
//! writers go on meanwhile. The copy is made beside its target under a temporary name,
//! readable by its owner only (it holds the whole ledger), checked (SQLite's `quick_check`,
//! the schema version, what it holds), flushed to the disk, and only then renamed onto the
//! target: an existing backup of that name is replaced whole or not at all, and a copy that
//! fails (a full disk, a folder that goes away) leaves nothing behind.

use super::{Store, sqlite_message};
use crate::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// What a backup holds, read back from the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupCopy {
    /// The copy's size.
    pub bytes: u64,
    pub customers: u64,
    pub documents: u64,
    /// Entries of the activity log (notes, promises, issues, follow-ups, calls, attachments).
    pub activity: u64,
}

impl Store {
    /// Copies the database to `target` as described in the module's documentation.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a target that is the database itself (or its log), a folder, or in
    /// a folder that does not exist; [`Error::Runtime`] when the copy cannot be written (the
    /// disk is full, the folder is not writable) or does not pass its check. Either way there
    /// is no file left under the temporary name, and an existing `target` is as it was.
    pub fn backup_to(&self, target: &Path) -> Result<BackupCopy> {
        let shown = target.display();
        if target.is_dir() {
            return Err(Error::input(format!(
                "{shown} is a folder: give the backup's file name in it"
            )));
        }
        let name = target
            .file_name()
            .ok_or_else(|| Error::input(format!("{shown} names no file for the backup")))?;
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = dir.canonicalize().map_err(|e| {
            Error::input(format!(
                "cannot back up to {shown}: its folder {}: {e}",
                dir.display()
            ))
        })?;
        let target = dir.join(name);
        if let Ok(db) = self.path.canonicalize() {
            let beside = |suffix: &str| {
                let mut p = db.clone().into_os_string();
                p.push(suffix);
                PathBuf::from(p)
            };
            if target == db
                || ["-wal", "-shm", "-journal"]
                    .iter()
                    .any(|s| beside(s) == target)
            {
                return Err(Error::input(format!(
                    "{shown} is the database itself: give the backup another name"
                )));
            }
        }
        let mut partial_name = std::ffi::OsString::from(".");
        partial_name.push(name);
        partial_name.push(format!(".partial-{}", std::process::id()));
        let partial = dir.join(partial_name);
        let replacing = target.exists();
        let result = self.copy_into(&partial).and_then(|version| {
            let copy = check_copy(&partial, version)?;
            std::fs::File::open(&partial)?.sync_all()?;
            std::fs::rename(&partial, &target)?;
            // The rename itself reaches the disk with its folder.
            if let Ok(folder) = std::fs::File::open(&dir) {
                let _ = folder.sync_all();
            }
            Ok(copy)
        });
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        result.map_err(|e| match e {
            Error::Input(_) => e,
            e => Error::runtime(format!(
                "cannot back up to {}: {}; {}",
                target.display(),
                backup_failure(&e),
                if replacing {
                    "the backup already there is as it was"
                } else {
                    "nothing was written"
                }
            )),
        })
    }

    /// `VACUUM INTO` an empty file made for it, readable by its owner only; the database's
    /// schema version, which the copy must have.
    fn copy_into(&self, partial: &Path) -> Result<i64> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(partial)?;
        let to = partial
            .to_str()
            .ok_or_else(|| Error::input(format!("{} is not UTF-8", partial.display())))?;
        // Read through SQLite's page cache, not the memory map: a copy of a large database
        // must not map all of it into this process on a server the team shares.
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        self.conn.execute_batch("PRAGMA mmap_size = 0;")?;
        let copied = self.conn.execute("VACUUM INTO ?1", [to]);
        self.conn
            .execute_batch(&format!("PRAGMA mmap_size = {};", super::MMAP_SIZE))?;
        copied?;
        Ok(version)
    }
}

/// Opens the copy read-only and checks it: SQLite's `quick_check`, the database's schema
/// `version`, and what it holds.
fn check_copy(path: &Path, version: i64) -> Result<BackupCopy> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(Error::runtime(format!(
            "the copy failed its check: {check}"
        )));
    }
    let copied: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if copied != version {
        return Err(Error::runtime(format!(
            "the copy is of schema version {copied}, not the database's {version}"
        )));
    }
    let count = |table: &str| -> Result<u64> {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    };
    let activity = [
        "notes",
        "promises",
        "issues",
        "followups",
        "calls",
        "attachments",
    ]
    .iter()
    .map(|t| count(t))
    .sum::<Result<u64>>()?;
    Ok(BackupCopy {
        bytes: std::fs::metadata(path)?.len(),
        customers: count("customers")?,
        documents: count("documents")?,
        activity,
    })
}

/// Why a copy could not be made, in words: SQLite's "disk is full", else its message or the
/// system's.
fn backup_failure(e: &Error) -> String {
    match e {
        Error::Db(db) => match db.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => "the disk is full".into(),
            Some(rusqlite::ErrorCode::SystemIoFailure) => {
                format!("the disk is full or failing ({})", sqlite_message(db))
            }
            Some(rusqlite::ErrorCode::CannotOpen) => {
                "the file cannot be opened there (is the folder writable?)".into()
            }
            _ => sqlite_message(db),
        },
        Error::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => "the disk is full".into(),
        Error::Io(io) => io.to_string(),
        Error::Runtime(text) => text.clone(),
        other => other.to_string(),
    }
}
