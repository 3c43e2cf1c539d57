//! The SQLite store: the only module with SQL.
//!
//! One file, WAL journal, foreign keys on, a busy timeout long enough that two collectors
//! writing at once wait for each other instead of failing, and one transaction per user
//! action. The file is created with mode 0600 (its directory when missing).

pub mod actions;
pub mod activity;
pub mod customer_detail;
pub mod customers;
pub mod documents;
pub mod engage;
pub mod forms;
pub mod history;
pub mod import;
pub mod issues;
pub mod ledger;
pub mod promises;
pub mod queue;
pub mod queue_counts;
pub mod queue_risk;
pub mod rates;
mod schema;
pub mod team;
pub mod users;

use crate::{Error, Result};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another collector's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Bytes of the database file read through a memory map (SQLite caps it at 2 GiB).
const MMAP_SIZE: i64 = 2 * 1024 * 1024 * 1024 - 65536;

/// An open database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating when missing) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        create_private_file(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| Error::runtime(format!("cannot open database {}: {e}", path.display())))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // 8 KiB pages for a new file (an existing one keeps its size): fewer, fuller pages to
        // write in a bulk import and to walk in a full pass.
        self.conn.execute_batch("PRAGMA page_size = 8192;")?;
        // Page cache for reads is a plain memory map of the file: no copy of every page read
        // from the kernel into SQLite's cache (a third of a full pass over a million documents).
        // Writes still go through the journal; reads past the map fall back to read().
        self.conn
            .execute_batch(&format!("PRAGMA mmap_size = {MMAP_SIZE};"))?;
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::runtime(format!(
                "{}: cannot use the WAL journal (got {mode})",
                self.path.display()
            )));
        }
        // FULL: a committed action survives a power cut, not only a crash.
        self.conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA synchronous = FULL;
             PRAGMA cache_size = -32000;",
        )?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let version = usize::try_from(version).unwrap_or(0);
        if version > schema::MIGRATIONS.len() {
            return Err(Error::runtime(format!(
                "{} was written by a newer owed (schema {version}, this one knows {})",
                self.path.display(),
                schema::MIGRATIONS.len()
            )));
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The raw connection, for the store's submodules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A write transaction taken at once (BEGIN IMMEDIATE), so that two writers queue on the
    /// busy timeout instead of failing half-way.
    pub(crate) fn write_tx(&mut self) -> Result<rusqlite::Transaction<'_>> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// Before the first import into an empty database: a rollback journal instead of the
    /// write-ahead log for this one transaction, so that the rows are written once into the
    /// file rather than into the log and then again into the file. A crash rolls it back all
    /// the same (the journal keeps the empty file's pages; new pages past its end are simply
    /// cut off). Only when no one else has the database open (the switch needs it alone; it
    /// is tried without waiting); true when switched: call [`Store::wal_again`] after.
    pub(crate) fn rollback_journal_if_empty(&self) -> Result<bool> {
        let empty: bool = self.conn.query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM customers) AND NOT EXISTS (SELECT 1 FROM documents)
                AND NOT EXISTS (SELECT 1 FROM payments) AND NOT EXISTS (SELECT 1 FROM applications)",
            [],
            |r| r.get(0),
        )?;
        if !empty {
            return Ok(false);
        }
        self.conn.busy_timeout(Duration::ZERO)?;
        let mode = self
            .conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| {
                r.get::<_, String>(0)
            });
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(mode.is_ok_and(|m| m.eq_ignore_ascii_case("delete")))
    }

    /// Back to the write-ahead log after [`Store::rollback_journal_if_empty`].
    pub(crate) fn wal_again(&self) -> Result<()> {
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::runtime(format!(
                "{}: cannot use the WAL journal again after the import (got {mode})",
                self.path.display()
            )));
        }
        Ok(())
    }

    /// Turns SQLite's foreign-key checks on or off for this connection (outside a
    /// transaction; inside one SQLite ignores it).
    pub(crate) fn set_foreign_keys(&self, on: bool) -> Result<()> {
        self.conn.execute_batch(if on {
            "PRAGMA foreign_keys = ON;"
        } else {
            "PRAGMA foreign_keys = OFF;"
        })?;
        Ok(())
    }

    /// Folds the write-ahead log into the database file (before copying the file).
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// SQLite's `data_version`: changes when another connection commits.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Row counts of the billing tables, for summaries and tests.
    pub fn counts(&self) -> Result<Counts> {
        let count = |table: &str| -> Result<u64> {
            let n: i64 =
                self.conn
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            Ok(n.unsigned_abs())
        };
        Ok(Counts {
            customers: count("customers")?,
            documents: count("documents")?,
            payments: count("payments")?,
            applications: count("applications")?,
            exchange_rates: count("exchange_rates")?,
        })
    }
}

/// Row counts of the billing tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub customers: u64,
    pub documents: u64,
    pub payments: u64,
    pub applications: u64,
    pub exchange_rates: u64,
}

/// Creates the database file (and its directory) readable by its owner only, before SQLite
/// opens it. An existing file keeps its mode.
fn create_private_file(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::runtime(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| Error::runtime(format!("cannot create database {}: {e}", path.display())))?;
    Ok(())
}

impl Store {
    /// A value from the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Sets a value in the `meta` table.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        let tx = self.write_tx()?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_with_wal_foreign_keys_and_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dir/owed.db");
        let store = Store::open(&path).unwrap();
        let fk: i64 = store
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let version: i64 = store
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, schema::MIGRATIONS.len());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(store);
        // Reopening runs no migration twice.
        Store::open(&path).unwrap();
    }
}
