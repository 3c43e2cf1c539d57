//! The SQLite store: the only module with SQL.
//!
//! One file, WAL journal, foreign keys on, a busy timeout long enough that two collectors
//! writing at once wait for each other instead of failing, and one transaction per user
//! action.
//!
//! Opening (SPEC "The database file"): [`Store::open_existing`] for every command but those
//! that create a database, which use [`Store::open_or_create`] (the file 0600, a folder made
//! for it 0700). An existing file this process may only read is opened read-only: reads work,
//! every write fails with a sentence naming the file. A file that is not an `owed` database,
//! or of an unknown schema version, is refused in one sentence.
//!
//! By aggregate: each kind of record has its own type over the connection, its reads on
//! `&Store` and its writes on `&mut Store` — [`Store::ledger`] ([`Ledger`]: customers,
//! documents, payments, rates, the import and lockbox writers, statements, histories, a
//! customer's detail), [`Store::queue`] ([`Queue`]: the connection's TEMP queue table),
//! [`Store::activity`] ([`Activity`]: the collector actions and what they wrote, attachments,
//! search, the team's figures), [`Store::engagement`] ([`engage::Engagement`]: reminders,
//! holds, replies and the facts the cycles read) and [`Store::users`] ([`users::Users`]).
//! [`Store`] itself keeps what belongs to the file: opening, pragmas, checkpoints,
//! transactions, the second connection [`Store::beside`], the migrations and the `meta` table
//! with the base currency every aggregate converts to.
//!
//! Each aggregate is a folder (or, for the users, a file) named after it, its type declared in
//! the folder's `mod.rs` and its methods beside their SQL in the files of the folder:
//! `ledger/` (`customers`, `documents`, `payments`, `rates`, `import`, `lockbox`,
//! `statement`, `history`, `customer_detail`), `queue/`, `activity/` (`action_writes`,
//! `activity_log`, `attachments`, `issues`, `promises`, `search`, `team`), `engage/`
//! (`facts`, `outbox`, `replies`, `outcomes`) and `users.rs`; `schema.rs` holds the
//! migrations.

/// One aggregate's type over the store (`Store::users`, `Store::ledger`, …): its reads over
/// `&Store` (`$read`), its changes, if it has any, over `&mut Store` (`$change`), the way atuin
/// keeps one store per record kind. `$what` completes "The …, to read." in the accessors' docs.
macro_rules! aggregate {
    ($(#[$doc:meta])* $name:ident, $read:ident, $($change:ident,)? $what:literal) => {
        $(#[$doc])*
        pub struct $name<S> {
            pub(in crate::store) store: S,
        }

        impl crate::store::Store {
            #[doc = concat!("The ", $what, ", to read.")]
            pub fn $read(&self) -> $name<&crate::store::Store> {
                $name { store: self }
            }

            $(
                #[doc = concat!("The ", $what, ", to change.")]
                pub fn $change(&mut self) -> $name<&mut crate::store::Store> {
                    $name { store: self }
                }
            )?
        }

        impl<S: std::ops::Deref<Target = crate::store::Store>> $name<S> {
            /// The store's connection.
            pub(in crate::store) fn conn(&self) -> &rusqlite::Connection {
                self.store.conn()
            }
        }
    };
}
pub(crate) use aggregate;

pub mod activity;
pub mod backup;
pub mod engage;
pub mod ledger;
pub mod queue;
mod schema;
pub mod time_zone;
pub mod users;

pub use activity::Activity;
pub use ledger::{Counts, Ledger};
pub use queue::Queue;

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
    /// This process may only read the file (see [`Store::open_existing`]).
    read_only: bool,
    /// The schema versions this process brought the file from and to, when it did.
    upgraded: Option<(usize, usize)>,
    /// The file opened (device and inode): a write that gets the lock on a file no longer
    /// at `path` (a demo made again, renamed over it meanwhile) is refused.
    file: Option<(u64, u64)>,
}

/// How a connection is tried, in order, until one can read the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    /// Read and write (SQLite itself falls back to reading when the file is write-protected).
    ReadWrite,
    /// Read only, sharing the write-ahead log with writers.
    ReadOnly,
    /// Read only, for a folder this process cannot write (no `-shm` file can be made there):
    /// the file is read as it is, without its log.
    Immutable,
}

/// A kind kept as text in a column (a document's, an issue event's, a user change's), read
/// back through `parse`; another spelling there is an error naming `what` it should be.
pub(crate) fn kind_column<T>(
    value: rusqlite::types::ValueRef<'_>,
    parse: fn(&str) -> Option<T>,
    what: &str,
) -> rusqlite::types::FromSqlResult<T> {
    let text = value.as_str()?;
    parse(text).ok_or_else(|| {
        rusqlite::types::FromSqlError::Other(
            format!(
                "the database keeps an unknown {what}, {}",
                crate::error::quoted(text)
            )
            .into(),
        )
    })
}

/// An exchange rate as a column keeps it (text, checked at import by
/// [`money::parse_rate`](crate::domain::money::parse_rate)). One that is not a rate — left
/// by a version that took any number, or written by hand — is an error naming it, never
/// taken as 1 (a wrong figure) nor multiplied into an overflow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StoredRate(pub crate::domain::Decimal);

impl rusqlite::types::FromSql for StoredRate {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = value.as_str()?;
        crate::domain::money::parse_rate(text)
            .map(StoredRate)
            .map_err(|e| rusqlite::types::FromSqlError::Other(unusable_rate(text, e).into()))
    }
}

/// [`StoredRate`] from its text.
pub(crate) fn stored_rate(text: &str) -> Result<crate::domain::Decimal> {
    crate::domain::money::parse_rate(text).map_err(|e| Error::runtime(unusable_rate(text, e)))
}

/// Why a stored rate cannot be used, in one sentence.
fn unusable_rate(text: &str, e: crate::domain::money::RateError) -> String {
    let why = e.to_string();
    let stop = if why.ends_with('?') { "" } else { "." };
    format!(
        "the database keeps an exchange rate owed cannot use: {} {why}{stop} Import the \
         documents or payments that carry it again with the right rate.",
        crate::error::quoted(text)
    )
}

/// The schema version this `owed` writes (the number of its migrations).
pub fn schema_version() -> usize {
    schema::MIGRATIONS.len()
}

impl Store {
    /// Opens the database at `path`, which must already exist (SPEC "The database file"):
    /// read-write when this process may write the file and its folder, else read-only, where
    /// every read works and every write fails with a sentence naming the file
    /// ([`Store::is_read_only`]). Brings an older schema up to date when it may write.
    /// Nothing is created: no database at `path` is bad input (exit 2) naming the path and
    /// how to create one.
    pub fn open_existing(path: &Path) -> Result<Store> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(Error::input(format!(
                    "{} is a folder, not a database; give --db the database file",
                    path.display()
                )));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(no_database(path, "there is no database"));
            }
            Err(e) => {
                return Err(Error::input(format!(
                    "cannot read the database {}: {e}",
                    path.display()
                )));
            }
        }
        let store = Store::connect(path, false)?;
        if store.meta(UNFINISHED_IMPORT)?.is_some() {
            return Err(Error::input(format!(
                "{} was created by an import that has not finished (it is still running, or \
                 was stopped before it committed), so it holds nothing yet: wait for it, or \
                 run `{}` into it again",
                path.display(),
                crate::error::command("import")
            )));
        }
        Ok(store)
    }

    /// Marks a database an import has just created, until an import into it commits
    /// ([`Store::import_finished`]): a first import killed half-way otherwise left an empty
    /// database that every other command took for a real, empty ledger.
    pub fn import_started(&mut self) -> Result<()> {
        self.set_meta(UNFINISHED_IMPORT, "1")
    }

    /// Takes the mark of [`Store::import_started`] away once an import has committed.
    pub fn import_finished(&mut self) -> Result<()> {
        if self.meta(UNFINISHED_IMPORT)?.is_none() {
            return Ok(());
        }
        let tx = self.write_tx()?;
        tx.execute("DELETE FROM meta WHERE key = ?1", [UNFINISHED_IMPORT])?;
        tx.commit()?;
        Ok(())
    }

    /// Opens the database at `path`, creating it when there is none: the file readable by
    /// its owner only (0600), in a folder created for it readable by its owner only (0700).
    /// Only the commands that create a database use it (`import`, `demo`); every other one
    /// opens with [`Store::open_existing`].
    pub fn open_or_create(path: &Path) -> Result<Store> {
        create_private_file(path)?;
        Store::connect(path, true)
    }

    /// Whether this process may only read the database (the file or its folder is not
    /// writable): reports, exports and the workstation work, writes fail.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Refuses to write a read-only database, with a sentence naming the file.
    pub(crate) fn ensure_writable(&self) -> Result<()> {
        if self.read_only {
            return Err(read_only_error(&self.path, NOTHING_SAVED));
        }
        Ok(())
    }

    /// Connects the first way that can read the file, then checks and updates its schema.
    fn connect(path: &Path, create: bool) -> Result<Store> {
        // The next, more modest way, when the last one failed for want of write access.
        let or_else = |attempt| {
            move |e: rusqlite::Error| {
                if cannot_write(&e) {
                    Store::try_connect(path, attempt)
                } else {
                    Err(e)
                }
            }
        };
        let mut store = Store::try_connect(path, Attempt::ReadWrite)
            .or_else(or_else(Attempt::ReadOnly))
            .or_else(or_else(Attempt::Immutable))
            .map_err(|e| open_error(path, e))?;
        if store.read_only {
            share_own_logs(path);
        }
        store.upgraded = store.migrate(create)?;
        opened_here(path);
        Ok(store)
    }

    /// One way of connecting; fails when the file cannot be read this way.
    fn try_connect(path: &Path, attempt: Attempt) -> rusqlite::Result<Store> {
        let conn = match attempt {
            Attempt::ReadWrite => Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?,
            Attempt::ReadOnly => Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?,
            Attempt::Immutable => Connection::open_with_flags(
                format!("{}?immutable=1", file_uri(path)),
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )?,
        };
        let read_only = attempt != Attempt::ReadWrite || conn.is_readonly(rusqlite::MAIN_DB)?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            read_only,
            upgraded: None,
            file: file_id(path),
        };
        store.configure()?;
        Ok(store)
    }

    /// The schema versions this process brought an older database from and to on opening
    /// it, when it did (never for a database it created): from then on an older `owed`
    /// refuses the file, so the commands say so.
    pub fn upgraded(&self) -> Option<(usize, usize)> {
        self.upgraded
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection's settings; reads the file once (so that a file this way cannot read
    /// fails here).
    fn configure(&self) -> rusqlite::Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        register_text_functions(&self.conn)?;
        // Page cache for reads is a plain memory map of the file: no copy of every page read
        // from the kernel into SQLite's cache (a third of a full pass over a million documents).
        // Writes still go through the journal; reads past the map fall back to read().
        self.conn
            .execute_batch(&format!("PRAGMA mmap_size = {MMAP_SIZE};"))?;
        // FULL: a committed action survives a power cut, not only a crash.
        self.conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA synchronous = FULL;
             PRAGMA cache_size = -32000;",
        )?;
        self.conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
        if self.read_only {
            return Ok(());
        }
        // 8 KiB pages for a new file (an existing one keeps its size): fewer, fuller pages to
        // write in a bulk import and to walk in a full pass.
        self.conn.execute_batch("PRAGMA page_size = 8192;")?;
        Ok(())
    }

    /// The write-ahead log, so that readers never wait for a writer (only when writing).
    fn use_wal(&self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        // Turning the log on needs the file to itself for a moment: while another process
        // creates the database or imports into an empty one (under a rollback journal), SQLite
        // says busy at once, without its busy timeout. Waited for here as a write would be.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        let mut pause = Duration::from_millis(5);
        let mode: String = loop {
            match self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            {
                Err(e)
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                other => break other.map_err(|e| open_error(&self.path, e))?,
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::runtime(format!(
                "{}: cannot use the WAL journal (got {mode})",
                self.path.display()
            )));
        }
        Ok(())
    }

    /// Checks the schema version and, when this process may write, turns the write-ahead
    /// log on and applies the migrations
    /// the file has not had. Refuses (one sentence, exit 2) a file that is no `owed`
    /// database, one written by a newer `owed`, and, unless `create`, a file without the
    /// schema (an empty one). Returns the versions it brought the file from and to, when it
    /// brought an existing database up to date.
    fn migrate(&mut self, create: bool) -> Result<Option<(usize, usize)>> {
        let path = self.path.display().to_string();
        let known = schema::MIGRATIONS.len();
        let (version, tables) = self.schema_state().map_err(|e| open_error(&self.path, e))?;
        let version = match usize::try_from(version) {
            Ok(v) if v <= known => v,
            Ok(v) => {
                return Err(Error::input(format!(
                    "{path} was written by a newer owed (schema {v}; this one knows up to {known}): \
                     use that owed, or a copy of the database from before"
                )));
            }
            Err(_) => {
                return Err(Error::input(format!(
                    "{path} has schema version {version}, which no owed writes: it is not an owed \
                     database, or it is damaged"
                )));
            }
        };
        if version == 0 && tables > 0 {
            return Err(Error::input(format!(
                "{path} is an SQLite database of another program, not an owed database"
            )));
        }
        if version == 0 && !create {
            return Err(no_database(
                &self.path,
                "the file is empty: there is no database",
            ));
        }
        // Only now that the file is known to be ours (setting it writes its header).
        self.use_wal()?;
        if version == known {
            return Ok(None);
        }
        if self.read_only {
            let why = match unwritable_folder(&self.path) {
                Some(folder) => format!(
                    "which this user cannot do: they may write the file but not its folder {}, \
                     where SQLite makes its journal (make the folder writable for them, or run \
                     owed once as a user who may write in it)",
                    folder.display()
                ),
                None => {
                    "which needs write access: run owed once as a user who may write it".to_string()
                }
            };
            return Err(Error::input(format!(
                "{path} was written by an older owed and needs its schema brought up to date \
                 (version {version} to {known}), {why}"
            )));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| open_error(&self.path, e))?;
        // Another process may have migrated it meanwhile.
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let version = usize::try_from(version).unwrap_or(known).min(known);
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql)
                .and_then(|()| tx.pragma_update(None, "user_version", i as i64 + 1))
                .map_err(|e| {
                    Error::runtime(format!(
                        "cannot bring {path} up to schema {}: {}",
                        i + 1,
                        sqlite_message(&e)
                    ))
                })?;
        }
        if version < schema::TIME_ZONE {
            // The zone this ledger's days are counted in: the creating (or first migrating)
            // process's, until a manager changes it (`time_zone`).
            tx.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
                [time_zone::KEY, &time_zone::of_process()],
            )?;
        }
        if version < schema::SALES_IN_BASE {
            use rusqlite::OptionalExtension;
            let base: Option<String> = tx
                .query_row(
                    "SELECT value FROM meta WHERE key = ?1",
                    [BASE_CURRENCY],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(base) = base {
                ledger::rebuild_sales(&tx, &base)?;
            }
        }
        tx.commit()?;
        Ok((version > 0 && version < known).then_some((version, known)))
    }

    /// `user_version` and the number of tables in the file.
    fn schema_state(&self) -> rusqlite::Result<(i64, i64)> {
        let version = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables = self.conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        Ok((version, tables))
    }

    /// Runs `here` (on this connection) while `there` runs on a second connection to the same
    /// file, on a thread of its own: two reads that take about as long as each other finish in
    /// about half the time on two cores. Both results; a second connection that cannot be
    /// opened, or work that panicked, is `there`'s error.
    pub fn beside<A, B: Send>(
        &self,
        here: impl FnOnce() -> A,
        there: impl FnOnce(&Store) -> Result<B> + Send,
    ) -> (A, Result<B>) {
        let path = self.path.as_path();
        std::thread::scope(|scope| {
            let second = scope.spawn(move || there(&Store::open_existing(path)?));
            let a = here();
            let b = second.join().unwrap_or_else(|_| {
                Err(Error::runtime(
                    "the work on the second connection to the database failed",
                ))
            });
            (a, b)
        })
    }

    /// The raw connection, for the store's submodules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Leaves the WAL checkpoints of this connection's commits to
    /// [`Store::checkpoint_passive`] (the workstation runs it when idle, so that a save never
    /// waits for one, and between two parts of a long save once [`Store::log_is_long`]).
    /// Once folded in, the log is cut back to [`DEFERRED_LOG_LIMIT`] at this connection's
    /// next commit, so that its length on disk says how much of it waits.
    pub fn defer_checkpoints(&self) -> Result<()> {
        self.conn().pragma_update(None, "wal_autocheckpoint", 0)?;
        self.conn()
            .pragma_update(None, "journal_size_limit", DEFERRED_LOG_LIMIT as i64)?;
        Ok(())
    }

    /// Whether the write-ahead log has grown past [`DEFERRED_LOG_LIMIT`]: a long save on a
    /// connection that defers its checkpoints folds it in before it writes on, else the log
    /// grows by every customer's pages (1.2 GB for a note to 20,000 customers, which a full
    /// disk then has no room to fold back).
    pub fn log_is_long(&self) -> bool {
        let [wal, ..] = log_files(&self.path);
        std::fs::metadata(wal).is_ok_and(|m| m.len() > DEFERRED_LOG_LIMIT)
    }

    /// Keeps this connection's TEMP tables (the workstation's queue table and its sort
    /// indexes) in memory: every filter counts over the whole table, which SQLite's small
    /// default temp cache would read back from a temporary file each time.
    pub fn temp_in_memory(&self) -> Result<()> {
        self.conn().execute_batch("PRAGMA temp_store = MEMORY;")?;
        Ok(())
    }

    /// Copies what it can of the WAL into the database without waiting for readers.
    pub fn checkpoint_passive(&self) -> Result<()> {
        self.conn()
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// How long a write waits for another connection's write lock before it fails busy
    /// ([`is_busy`]); `None`: the usual wait (30 s).
    pub fn wait_for_writers(&self, wait: Option<Duration>) -> Result<()> {
        self.conn.busy_timeout(wait.unwrap_or(BUSY_TIMEOUT))?;
        Ok(())
    }

    /// A write transaction taken at once (BEGIN IMMEDIATE), so that two writers queue on the
    /// busy timeout instead of failing half-way. Inside [`Store::in_one_write`] (an action
    /// whose checks read what it writes against), a savepoint of that transaction: the
    /// write lock is already this connection's.
    pub(crate) fn write_tx(&mut self) -> Result<WriteTx<'_>> {
        self.ensure_writable()?;
        if !self.conn.is_autocommit() {
            return Ok(WriteTx::Within(self.conn.savepoint()?));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        refuse_replaced(&tx, &self.path, self.file)?;
        Ok(WriteTx::Own(tx))
    }

    /// Runs `action` — a user action's checks and the writes they allow — in one write
    /// transaction taken at once (BEGIN IMMEDIATE, waiting out another writer on the busy
    /// timeout), committed when it succeeds and rolled back when it fails: what the checks
    /// read cannot change before the write. Two collectors promising at the same moment
    /// what a customer has open were both recorded when the checks read outside the write's
    /// transaction. The writes `action` makes through the store take savepoints of it; one
    /// already inside such a transaction runs in it. On a database this process may only
    /// read, `action` runs as it is (its checks speak first, its write is refused).
    pub fn in_one_write<T>(&mut self, action: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        if self.read_only || !self.conn.is_autocommit() {
            return action(self);
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        if let Err(e) = refuse_replaced(&self.conn, &self.path, self.file) {
            self.roll_back();
            return Err(e);
        }
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| action(self)));
        let done = match done {
            Ok(done) => done,
            Err(panic) => {
                self.roll_back();
                std::panic::resume_unwind(panic);
            }
        };
        let committed = done.and_then(|value| {
            self.conn.execute_batch("COMMIT")?;
            Ok(value)
        });
        if committed.is_err() {
            self.roll_back();
        }
        committed
    }

    /// Rolls back the transaction [`Store::in_one_write`] began, if it is still open.
    fn roll_back(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// Before the first import into an empty database: a rollback journal instead of the
    /// write-ahead log for this one transaction, so that the rows are written once into the
    /// file rather than into the log and then again into the file. A crash rolls it back all
    /// the same (the journal keeps the empty file's pages; new pages past its end are simply
    /// cut off). Only when no one else has the database open (the switch needs it alone; it
    /// is tried without waiting); true when switched: call [`Store::wal_again`] after.
    pub(crate) fn rollback_journal_if_empty(&self) -> Result<bool> {
        if self.read_only {
            return Ok(false);
        }
        let empty: bool = self.conn.query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM customers) AND NOT EXISTS (SELECT 1 FROM documents)
                AND NOT EXISTS (SELECT 1 FROM payments) AND NOT EXISTS (SELECT 1 FROM applications)",
            [],
            |r| r.get(0),
        )?;
        if !empty {
            return Ok(false);
        }
        self.rollback_journal_if_alone()
    }

    /// Before a write that mostly appends (a lockbox file's images): a rollback journal
    /// instead of the write-ahead log for this one transaction, when no one else has the
    /// database open (tried without waiting), so that the new pages are written once into the
    /// file rather than into the log and then again into the file; a crash rolls it back all
    /// the same. True when switched: call [`Store::wal_again`] after.
    pub(crate) fn rollback_journal_if_alone(&self) -> Result<bool> {
        if self.read_only {
            return Ok(false);
        }
        self.wait_for_writers(Some(Duration::ZERO))?;
        let mode = self
            .conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| {
                r.get::<_, String>(0)
            });
        self.wait_for_writers(None)?;
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
}

/// The day, in this process's time zone (the ledger's: `cli::run` takes the database's, see
/// [`time_zone`]), of a moment stored as RFC 3339 UTC text (the `at`
/// of notes, calls, follow-ups, voids …): a call logged at 20:00 in New York is that day's,
/// not the next day's, whatever UTC says. SQL reads it the same way ([`queue::day_of`]).
pub(crate) fn local_day(at: &str) -> Option<crate::domain::Date> {
    let moment = chrono::DateTime::parse_from_rfc3339(at).ok()?;
    Some(moment.with_timezone(&chrono::Local).date_naive())
}

/// The first moment of `day` in this machine's time zone, as the RFC 3339 UTC text the `at`
/// columns hold: a moment is on or before `day` (locally) when its text sorts before the
/// next day's start.
pub(crate) fn local_day_start(day: crate::domain::Date) -> String {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    let start = chrono::Local
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&chrono::Utc));
    start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Every row of `sql` (a cached statement) with `params`, each read by `row`, collected: the
/// one shape of the store's readers of many rows.
pub(crate) fn rows<T, C: FromIterator<T>>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<C> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Inserts a record that may name documents (`sql` with `values`) and links it to `dids`
/// (`link`: the insert of one (record id, did) pair, a pair already there ignored); its id.
/// A promise, an issue, an attachment, a deduction.
pub(crate) fn insert_naming_documents(
    conn: &Connection,
    sql: &str,
    values: impl rusqlite::Params,
    link: &str,
    dids: &[i64],
) -> Result<i64> {
    conn.prepare_cached(sql)?.execute(values)?;
    let id = conn.last_insert_rowid();
    let mut link = conn.prepare_cached(link)?;
    for did in dids {
        link.execute(rusqlite::params![id, did])?;
    }
    Ok(id)
}

/// Creates `dir` and the folders missing on its way, readable by their owner only (0700):
/// the database's folder, the host key's.
pub fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates the database file readable by its owner only (0600), and the folders missing on
/// its way readable by their owner only (0700), before SQLite opens it. An existing file keeps
/// its mode.
fn create_private_file(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dirs(dir)
            .map_err(|e| Error::runtime(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::runtime(format!(
            "cannot create database {}: {e}",
            path.display()
        ))),
    }
}

/// How long, in bytes, the write-ahead log of a connection that defers its checkpoints
/// ([`Store::defer_checkpoints`]) grows before it is folded into the database between two
/// writes (about SQLite's own 1,000 pages of 4 KiB; the database's pages are 8 KiB).
pub const DEFERRED_LOG_LIMIT: u64 = 4 << 20;

/// What SQLite names the files it keeps beside a database: its write-ahead log, the log's
/// shared-memory index, its rollback journal.
pub const LOG_SUFFIXES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// The files SQLite keeps beside the database at `path` ([`LOG_SUFFIXES`]).
pub fn log_files(path: &Path) -> [PathBuf; 3] {
    LOG_SUFFIXES.map(|suffix| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    })
}

/// The first of SQLite's files beside the database at `path` ([`log_files`]) that is there:
/// some program has the database open (its write-ahead log and index are removed when the
/// last connection closes), or one was killed with it open.
pub fn log_beside(path: &Path) -> Option<PathBuf> {
    log_files(path).into_iter().find(|log| log.exists())
}

/// The files (device and inode) of the databases this process has opened: a path naming one
/// of them, by any name or link, hard links included, is a database in use.
static OPENED: std::sync::Mutex<Vec<(PathBuf, (u64, u64))>> = std::sync::Mutex::new(Vec::new());

/// The device and inode of the file at `path`, links followed (`stat`: the file is not
/// opened).
fn file_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Notes the database at `path` as opened by this process (see [`database_in_use`]).
fn opened_here(path: &Path) {
    if let Some(id) = file_id(path) {
        let mut opened = OPENED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !opened.iter().any(|(_, known)| *known == id) {
            opened.push((path.to_path_buf(), id));
        }
    }
}

/// Whether `path` is a database in use: one this process has opened (the same file by any
/// name: a link, a hard link), or one whose write-ahead log or rollback journal is beside it
/// or beside the file its links lead to. Known without opening the file — which matters: a
/// process that has the database open and opens and closes the file itself drops every lock
/// SQLite holds on it (POSIX locks belong to the process, not to a descriptor), and the next
/// program to close the database deleted the log files under the running `owed serve`.
pub fn database_in_use(path: &Path) -> bool {
    if let Some(id) = file_id(path) {
        let opened = OPENED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Still that database: a file made after it was deleted may have its inode.
        if opened
            .iter()
            .any(|(db, known)| *known == id && file_id(db) == Some(id))
        {
            return true;
        }
    }
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    [path, real.as_path()]
        .iter()
        .any(|p| log_beside(p).is_some())
}

/// The folder a file stands in: its parent, or `.` for a bare name (whose parent is empty).
pub(crate) fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Removes a database file with its log and journal (an import into a new
/// file that failed). Missing files are fine.
pub fn remove_database(path: &Path) -> Result<()> {
    for p in std::iter::once(path.to_path_buf()).chain(log_files(path)) {
        match std::fs::remove_file(p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The `file:` URI of a path, for SQLite's URI parameters (`%`, `?` and `#` escaped).
fn file_uri(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut uri = String::from("file:");
    for c in text.chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri
}

/// Whether SQLite failed because this process may not write the file or its folder (then
/// the next, more modest way of opening is tried).
fn cannot_write(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{CannotOpen, PermissionDenied, ReadOnly};
    matches!(
        e.sqlite_error_code(),
        Some(ReadOnly | CannotOpen | PermissionDenied)
    )
}

/// An error of opening the file, as one sentence naming it.
fn open_error(path: &Path, e: rusqlite::Error) -> Error {
    let path = path.display();
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => Error::input(format!(
            "{path} is not an owed database (SQLite says: file is not a database)"
        )),
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::PermissionDenied) => {
            Error::input(format!(
                "cannot read the database {path}: permission denied"
            ))
        }
        // Opening writes too (the write-ahead log's index, a first import's file).
        Some(rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure) => {
            Error::runtime(format!(
                "cannot open the database {path}: {} (the disk may be full or failing), so \
                 nothing was read or saved",
                sqlite_message(&e)
            ))
        }
        Some(rusqlite::ErrorCode::DatabaseBusy) => busy_error(&path, NOTHING_SAVED),
        _ => Error::runtime(format!(
            "cannot open the database {path}: {}",
            sqlite_message(&e)
        )),
    }
}

/// What the sentences of a refused write say was lost when it was the only one: every write
/// is one transaction.
pub const NOTHING_SAVED: &str = "nothing was saved";

/// The sentence for a database another process held past the busy timeout; `unsaved` says
/// what was not saved.
fn busy_error(path: &std::path::Display<'_>, unsaved: &str) -> Error {
    Error::runtime(format!(
        "{path} was busy: another program (an import, a restore, a backup being put back) held \
         it past the {}-second wait, so {unsaved}; try again when it is done",
        BUSY_TIMEOUT.as_secs()
    ))
}

/// "There is no database at PATH", with how to create one, or where the demo is when
/// `owed demo` made one beside it (it never writes the default database itself).
fn no_database(path: &Path, what: &str) -> Error {
    let demo = path.with_file_name("demo.db");
    let demo = if path.file_name() != demo.file_name() && demo.is_file() {
        format!(
            "open the demo with `owed demo` or `owed --db {}`",
            demo.display()
        )
    } else {
        "try `owed demo`".to_string()
    };
    Error::input(format!(
        "{what} at {}: create one with `{}` (or {demo}; `{}` makes one for `owed serve`), or \
         give the right --db",
        path.display(),
        crate::error::command("import FILES..."),
        crate::error::command("user add")
    ))
}

/// A reader that may not write the database still makes SQLite's `-wal` and `-shm` beside
/// it when there are none (every connection to a database in WAL mode shares them). They are
/// made with the database file's permissions but belong to the reader, so the database's own
/// writers could no longer open them, and every write failed until someone removed them by
/// hand. The logs this user owns are therefore opened to whoever may write the folder they
/// stand in (its group, or everyone), who could replace them anyway — after every
/// connection of a reader, as SQLite sets an empty `-wal` back to the database's mode each
/// time a connection opens it (a report's second connection did).
#[cfg(unix)]
fn share_own_logs(path: &Path) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let folder = folder_of(path);
    let Ok(folder_mode) = std::fs::metadata(folder).map(|m| m.mode()) else {
        return;
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    for log in log_files(path) {
        let Ok(meta) = std::fs::symlink_metadata(&log) else {
            continue;
        };
        if !meta.is_file() || meta.uid() != me {
            continue;
        }
        let mode = meta.mode() | (folder_mode & 0o022);
        if mode != meta.mode() {
            // Best effort: a reader's report does not fail for it.
            let _ = std::fs::set_permissions(&log, std::fs::Permissions::from_mode(mode & 0o7777));
        }
    }
}

#[cfg(not(unix))]
fn share_own_logs(_path: &Path) {}

/// The sentence for a write refused because the database is read-only for this process;
/// `unsaved` says what was not saved.
fn read_only_error(path: &Path, unsaved: &str) -> Error {
    let logs = unwritable_logs(path);
    if !logs.is_empty() {
        let logs: Vec<String> = logs.iter().map(|l| l.display().to_string()).collect();
        let logs = logs.join(" and ");
        return Error::input(format!(
            "cannot write {}: this user may write it but not {logs}, made by another user \
             who opened the database, so {unsaved} (their owner, or root, can make \
             them writable for this user with `chmod g+w` or `chown`)",
            path.display(),
        ));
    }
    if let Some(folder) = unwritable_folder(path) {
        return Error::input(format!(
            "cannot write {}: this user may write the file but not its folder {}, where SQLite \
             makes its journal, so {unsaved}",
            path.display(),
            folder.display()
        ));
    }
    Error::input(format!(
        "cannot write {}: this user may only read it (the file or its folder is not \
         writable), so {unsaved}",
        path.display()
    ))
}

/// Whether this user may write the file or folder at `p` (`access`: as the system decides,
/// root included).
#[cfg(unix)]
fn writable(p: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a NUL-terminated string that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// The folder of the database at `path` when this user may write the file but not the
/// folder: SQLite cannot make its log or journal there, so the database opens read-only
/// although the file's own permissions allow writing, and a message saying "this user may
/// only read it" sends them to the wrong fix.
/// A bare file name's folder is named in full, not as `.`.
#[cfg(unix)]
fn unwritable_folder(path: &Path) -> Option<PathBuf> {
    let folder = folder_of(path);
    if !writable(path) || writable(folder) {
        return None;
    }
    Some(match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => folder.to_path_buf(),
        _ => std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf()),
    })
}

#[cfg(not(unix))]
fn unwritable_folder(_path: &Path) -> Option<PathBuf> {
    None
}

/// The log and shared-memory files beside a database this user may write (file and folder)
/// that this user may not write: a write then fails as if the database were read-only.
#[cfg(unix)]
fn unwritable_logs(path: &Path) -> Vec<PathBuf> {
    let folder = folder_of(path);
    if !writable(path) || !writable(folder) {
        return Vec::new();
    }
    log_files(path)
        .into_iter()
        .filter(|log| log.exists() && !writable(log))
        .collect()
}

#[cfg(not(unix))]
fn unwritable_logs(_path: &Path) -> Vec<PathBuf> {
    Vec::new()
}

/// SQLite's own message for an error, without the statement it came from (a migration's
/// SQL is not for the collector's screen).
fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string(),
    }
}

/// Whether `e` is another connection holding the database's write lock past the wait (an
/// import, a restore): nothing was written, and the same write may be tried again.
pub fn is_busy(e: &Error) -> bool {
    matches!(e, Error::Db(db) if db.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy))
}

/// The sentence for an SQLite error that says the database could not be written — it is
/// read-only to this user (exit 2: theirs to fix), the disk is full, the system refused to
/// read or write it, or another program held it past the wait (exit 1) — naming the file
/// instead of SQLite's words; else `None`. Every
/// write is one transaction, so a failed one saved nothing.
pub fn write_failure(path: &Path, e: &Error) -> Option<Error> {
    write_failure_then(path, e, NOTHING_SAVED)
}

/// As [`write_failure`], for a write that came after others that were saved (a note to many
/// customers, one transaction each): `unsaved` says what was not saved (`the last 12
/// customers were not saved`), where a single write's sentence says that nothing was.
pub fn write_failure_then(path: &Path, e: &Error, unsaved: &str) -> Option<Error> {
    let Error::Db(db) = e else {
        return None;
    };
    match db.sqlite_error_code()? {
        rusqlite::ErrorCode::ReadOnly => Some(read_only_error(path, unsaved)),
        rusqlite::ErrorCode::DiskFull => Some(disk_full_then(path, unsaved)),
        rusqlite::ErrorCode::DatabaseBusy => Some(busy_error(&path.display(), unsaved)),
        rusqlite::ErrorCode::SystemIoFailure => Some(Error::runtime(format!(
            "the disk is full or failing: {} could not be read or written ({}), so {unsaved}",
            path.display(),
            sqlite_message(db)
        ))),
        _ => None,
    }
}

/// The sentence for a write that found the disk full, naming the file it was for.
pub fn disk_full(path: &Path) -> Error {
    disk_full_then(path, NOTHING_SAVED)
}

/// [`disk_full`], saying what was not saved.
fn disk_full_then(path: &Path, unsaved: &str) -> Error {
    Error::runtime(format!(
        "the disk is full: {} could not be written, so {unsaved} (free some space and try \
         again)",
        path.display()
    ))
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

/// Refuses a write whose connection `conn` got the write lock on a file (`file`, opened at
/// `path`) that is no longer the one at `path`: a demo made again renamed another over it
/// while this waited, and what it wrote would be in no database. One `stat`. The connection
/// then keeps SQLite's files beside the path when it closes (they are the new database's by
/// now, and it would delete them by name).
fn refuse_replaced(conn: &Connection, path: &Path, file: Option<(u64, u64)>) -> Result<()> {
    let Some(file) = file else {
        return Ok(());
    };
    if file_id(path) == Some(file) {
        return Ok(());
    }
    keep_logs_on_close(conn);
    Err(Error::runtime(format!(
        "{} was replaced (a demo made again, or a restore) while this waited for it: nothing \
         was saved; run it again",
        path.display()
    )))
}

/// Makes `conn` leave its write-ahead log and index in place when it closes (SQLite's
/// persistent WAL), rather than delete them by name: the names may be another file's by then.
fn keep_logs_on_close(conn: &Connection) {
    let mut on: std::ffi::c_int = 1;
    // SAFETY: a valid connection handle, the main schema's name, and an int the call reads
    // and writes, as SQLITE_FCNTL_PERSIST_WAL takes.
    unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_PERSIST_WAL,
            (&raw mut on).cast(),
        );
    }
}

/// The write lock of a database held by a connection of its own (`BEGIN IMMEDIATE`) until it
/// is dropped: what replaces the file (a demo made again) holds it from its checks until the
/// new file is in place, so that no write goes into the old one meanwhile — one that waited
/// for it is refused once it gets it ([`refuse_replaced`]). The connection leaves SQLite's
/// files beside the path when it closes.
pub struct HeldWriteLock {
    conn: Connection,
    path: PathBuf,
    /// The `-shm` index, kept open until the connection is closed: closing a descriptor of a
    /// file drops every lock this process holds on it, SQLite's write lock included.
    index: Option<std::fs::File>,
}

impl HeldWriteLock {
    /// Takes the write lock of the database at `path`, waiting for another writer as a write
    /// does.
    pub fn take(path: &Path) -> Result<HeldWriteLock> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        keep_logs_on_close(&conn);
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let [_, shm, _] = log_files(path);
        Ok(HeldWriteLock {
            conn,
            path: path.to_path_buf(),
            index: std::fs::File::open(shm).ok(),
        })
    }

    /// Whether another process has the database open: its connection holds a read lock on
    /// the index's byte SQLite keeps for that (this process's own locks are not seen).
    #[cfg(unix)]
    pub fn open_elsewhere(&self) -> bool {
        use std::os::fd::AsRawFd;
        let Some(index) = &self.index else {
            return log_beside(&self.path).is_some();
        };
        // SQLite's unix VFS: the "dead man switch" byte, 128, read-locked by every
        // connection that has the index open.
        // SAFETY: a zeroed flock is a valid value of it.
        let mut lock: libc::flock = unsafe { std::mem::zeroed() };
        lock.l_type = libc::F_WRLCK as libc::c_short;
        lock.l_whence = libc::SEEK_SET as libc::c_short;
        lock.l_start = 128;
        lock.l_len = 1;
        // SAFETY: a descriptor this value owns and a lock description it only fills in.
        let rc = unsafe { libc::fcntl(index.as_raw_fd(), libc::F_GETLK, &raw mut lock) };
        rc != 0 || lock.l_type != libc::F_UNLCK as libc::c_short
    }

    /// Whether another process has the database open (without `fcntl`: its log beside it).
    #[cfg(not(unix))]
    pub fn open_elsewhere(&self) -> bool {
        log_beside(&self.path).is_some()
    }
}

impl Drop for HeldWriteLock {
    fn drop(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }
}

/// A write transaction of [`Store::write_tx`]: its own, or a savepoint of the action's
/// transaction it runs in ([`Store::in_one_write`]). Dropped without [`WriteTx::commit`],
/// what it wrote is rolled back.
pub(crate) enum WriteTx<'a> {
    Own(rusqlite::Transaction<'a>),
    Within(rusqlite::Savepoint<'a>),
}

impl WriteTx<'_> {
    /// Commits it (a savepoint: keeps its writes in the action's transaction).
    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        match self {
            WriteTx::Own(tx) => tx.commit(),
            WriteTx::Within(sp) => sp.commit(),
        }
    }

    /// Rolls what it wrote back.
    pub(crate) fn rollback(self) -> rusqlite::Result<()> {
        match self {
            WriteTx::Own(tx) => tx.rollback(),
            WriteTx::Within(mut sp) => sp.rollback(),
        }
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            WriteTx::Own(tx) => tx,
            WriteTx::Within(sp) => sp,
        }
    }
}

/// The `meta` key marking a database created by an import that has not committed yet.
const UNFINISHED_IMPORT: &str = "unfinished_import";

/// The `meta` key of the base currency, fixed at the first import.
pub(crate) const BASE_CURRENCY: &str = "base_currency";

impl Store {
    /// The base currency the database's amounts were imported in (fixed at its first
    /// import), `None` before any import.
    pub fn base_currency(&self) -> Result<Option<String>> {
        self.meta(BASE_CURRENCY)
    }

    /// Refuses (exit 2, naming both) a configured base currency other than the one fixed
    /// in the database: every base-currency figure would be relabelled, not converted.
    pub fn check_base_currency(&self, configured: &str) -> Result<()> {
        match self.base_currency()? {
            Some(fixed) if fixed != configured => {
                Err(base_currency_error(&self.path, &fixed, configured))
            }
            _ => Ok(()),
        }
    }
}

/// The sentence for a config whose base currency is not the database's.
pub(crate) fn base_currency_error(path: &Path, fixed: &str, configured: &str) -> Error {
    Error::input(format!(
        "the config's base_currency is {configured} but the database {} holds its amounts in \
         {fixed} since its first import: set base_currency = \"{fixed}\" in the config",
        path.display()
    ))
}

/// The text functions of owed's SQL: `owed_lower(text)`, the text in lower case in every
/// script (SQLite's `lower` and `LIKE` fold ASCII letters only, so "ärger" did not find
/// "Ärger GmbH"; issue reasons are compared through it); `owed_fold(text)`, the text with its
/// accents and case set aside ([`crate::domain::text::fold`]: searches compare names and ids
/// through it, so that "elan" finds "Élan Conseil", as the queue's copy in memory does);
/// `owed_nfc(text)`, a name in its composed form
/// ([`crate::domain::text::nfc`]), for the migration that composes the names stored; and the
/// collations [`NAME_ORDER`], [`NUMBER_ORDER`] and [`PERSON_ORDER`].
fn register_text_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    type Map = fn(&str) -> std::borrow::Cow<'_, str>;
    let functions: [(&str, Map); 4] = [
        ("owed_lower", crate::domain::text::lowered),
        ("owed_fold", crate::domain::text::fold),
        ("owed_nfc", crate::domain::text::nfc),
        ("owed_name_key", |t| crate::domain::text::name_key(t).into()),
    ];
    for (name, map) in functions {
        conn.create_scalar_function(
            name,
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            move |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|t| map(&t).into_owned())),
        )?;
    }
    conn.create_collation(NAME_ORDER, crate::domain::text::alphabetical)?;
    conn.create_collation(NUMBER_ORDER, crate::domain::document::number_order)?;
    conn.create_collation(PERSON_ORDER, crate::domain::text::person_order)?;
    Ok(())
}

/// The collation customers are ordered by name with ([`crate::domain::text::alphabetical`]):
/// `ORDER BY name COLLATE owed_name`. Only in queries and the session's temporary indexes,
/// never in the file's schema, so that the `sqlite3` shell and an older owed still read it.
pub(crate) const NAME_ORDER: &str = "owed_name";

/// The collation finance owners are compared and grouped with
/// ([`crate::domain::text::person_order`]: `ZOË` is `zoë`, `ＡＹŞＥ` is `ayşe`, as users are
/// told apart): `finance_owner = ?1 COLLATE owed_person`. In queries only, as [`NAME_ORDER`].
pub(crate) const PERSON_ORDER: &str = "owed_person";

/// The collation documents are ordered by number with
/// ([`crate::domain::document::number_order`]: `MR-9` before `MR-10`), as
/// [`DOCUMENT_ORDER`] uses it; like [`NAME_ORDER`], only in queries.
pub(crate) const NUMBER_ORDER: &str = "owed_number";

/// After the due date, the order of the documents `d` in every list of them: by label (the
/// number, else the id) in [`NUMBER_ORDER`], then by id
/// ([`crate::domain::document::document_order`]); a literal, for the queries kept in
/// constants (`concat!`).
macro_rules! document_order {
    () => {
        "ifnull(nullif(d.number, ''), d.id) COLLATE owed_number, d.id COLLATE owed_number"
    };
}
pub(crate) use document_order;

/// [`document_order!`], for the queries made with `format!`.
pub(crate) const DOCUMENT_ORDER: &str = document_order!();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_busy_past_the_wait_is_one_sentence_naming_it() {
        let busy = Error::Db(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        ));
        let said = write_failure(Path::new("/srv/owed/owed.db"), &busy)
            .unwrap()
            .to_string();
        assert!(said.starts_with("/srv/owed/owed.db was busy"), "{said}");
        assert!(said.contains("nothing was saved"), "{said}");
    }

    #[test]
    fn opens_with_wal_foreign_keys_and_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dir/owed.db");
        let store = Store::open_or_create(&path).unwrap();
        assert!(!store.is_read_only());
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
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            // Both folders created for it are its owner's alone.
            assert_eq!(mode(&dir.path().join("sub/dir")), 0o700);
            assert_eq!(mode(&dir.path().join("sub")), 0o700);
        }
        drop(store);
        // Reopening runs no migration twice.
        Store::open_existing(&path).unwrap();
    }

    #[test]
    fn opening_an_existing_database_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("typo/owed.db");
        let e = Store::open_existing(&path).err().unwrap();
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("owed import"), "{msg}");
        assert!(!dir.path().join("typo").exists());

        // An empty file is no database either, and stays empty.
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, "").unwrap();
        let e = Store::open_existing(&empty).err().unwrap();
        assert_eq!(e.exit_code(), 2, "{e}");
        assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);
    }

    #[test]
    fn files_that_are_no_owed_database_are_named_in_one_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "x".repeat(5000)).unwrap();
        let e = Store::open_existing(&text).err().unwrap();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().contains("notes.txt is not an owed database"),
            "{e}"
        );

        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        for open in [Store::open_existing, Store::open_or_create] {
            let e = open(&other).err().unwrap();
            assert!(e.to_string().contains("another program"), "{e}");
        }

        // Versions below zero or above the known ones: one sentence, no SQL.
        let path = dir.path().join("owed.db");
        drop(Store::open_or_create(&path).unwrap());
        for version in [-1, schema::MIGRATIONS.len() as i64 + 1] {
            Connection::open(&path)
                .unwrap()
                .pragma_update(None, "user_version", version)
                .unwrap();
            let e = Store::open_existing(&path).err().unwrap();
            let msg = e.to_string();
            assert_eq!(e.exit_code(), 2, "{msg}");
            assert!(msg.contains("owed.db"), "{msg}");
            assert!(!msg.contains("CREATE") && !msg.contains('\n'), "{msg}");
        }
    }

    /// Schema 10 marks the customers already holding a document in another currency than
    /// theirs (the base currency for one without its own), and only those.
    #[test]
    fn schema_10_marks_the_customers_billed_in_another_currency() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owed.db");
        let conn = Connection::open(&path).unwrap();
        for sql in &schema::MIGRATIONS[..9] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 9).unwrap();
        conn.execute_batch(
            "INSERT INTO meta (key, value) VALUES ('base_currency', 'USD');
             INSERT INTO customers (cid, id, name, currency) VALUES
                 (1, 'usd-with-eur', 'a', 'USD'), (2, 'eur', 'b', 'EUR'),
                 (3, 'none-in-usd', 'c', NULL), (4, 'none-with-gbp', 'd', NULL),
                 (5, 'nothing', 'e', 'EUR');
             INSERT INTO documents (did, id, cid, kind, doc_date, amount, currency, rate) VALUES
                 (1, 'd1', 1, 'invoice', 740000, 100, 'USD', '1'),
                 (2, 'd2', 1, 'invoice', 740000, 100, 'EUR', '1.1'),
                 (3, 'd3', 2, 'invoice', 740000, 100, 'EUR', '1.1'),
                 (4, 'd4', 3, 'invoice', 740000, 100, 'USD', '1'),
                 (5, 'd5', 4, 'invoice', 740000, 100, 'GBP', '1.3');",
        )
        .unwrap();
        drop(conn);
        let store = Store::open_existing(&path).unwrap();
        let marked: Vec<String> = rows(
            store.conn(),
            "SELECT id FROM customers WHERE other_currency ORDER BY cid",
            [],
            |r| r.get(0),
        )
        .unwrap();
        assert_eq!(marked, ["usd-with-eur", "none-with-gbp"]);
    }

    /// Schema 25 keeps which documents a failed or released reminder was about: a database of
    /// schema 24 gets its tables, and a release frees the claims without losing them. Run
    /// again over a database that has them (set back by hand), it creates nothing twice.
    #[test]
    fn schema_25_keeps_what_a_reminder_not_sent_was_about() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owed.db");
        drop(Store::open_or_create(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE reminder_documents_released;
             DROP TABLE reminder_releases;
             PRAGMA user_version = 24;
             INSERT INTO customers (cid, id, name) VALUES (1, 'K1', 'Kite');
             INSERT INTO documents (did, id, cid, kind, doc_date, amount, currency, rate)
                 VALUES (1, 'I1', 1, 'invoice', 740000, 100, 'USD', '1'),
                        (2, 'I2', 1, 'invoice', 740000, 100, 'USD', '1');
             INSERT INTO reminders (id, cid, at, collector, cycle, reminder, to_addr, subject,
                                    body, status)
                 VALUES (1, 1, '2026-04-30T09:00:00Z', 'alice', 'Dunning', 'Friendly',
                         'ap@kite.example', 'Reminder', 'Hello', 'pending');
             INSERT INTO reminder_documents (cycle, reminder, did, reminder_id, cycle_key,
                                             reminder_key)
                 VALUES ('Dunning', 'Friendly', 1, 1, 'dunning', 'friendly'),
                        ('Dunning', 'Friendly', 2, 1, 'dunning', 'friendly');",
        )
        .unwrap();
        drop(conn);
        let mut store = Store::open_existing(&path).unwrap();
        store
            .engagement_mut()
            .release_reminder(1, "not delivered: 550 no such user")
            .unwrap();
        let reminder = store.activity().reminders(1).unwrap().remove(0);
        assert_eq!(reminder.status, "failed");
        let ids = |docs: &[crate::domain::document::NamedDocument]| -> Vec<String> {
            docs.iter().map(|d| d.id.clone()).collect()
        };
        assert_eq!(ids(&reminder.documents), ["I1", "I2"]);
        assert!(
            store
                .engagement()
                .claimed_documents(&["Dunning"])
                .unwrap()
                .is_empty()
        );
        drop(store);
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 24)
            .unwrap();
        let store = Store::open_existing(&path).unwrap();
        assert_eq!(
            ids(&store.activity().reminders(1).unwrap()[0].documents),
            ["I1", "I2"]
        );
    }

    /// SQLite's "database or disk is full" (here: the file may not grow past its pages) and
    /// "disk I/O error" are sentences naming the file; other errors are left as they are.
    #[test]
    fn a_write_the_disk_refuses_is_one_sentence_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owed.db");
        let mut store = Store::open_or_create(&path).unwrap();
        let pages: i64 = store
            .conn()
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        store
            .conn()
            .pragma_update(None, "max_page_count", pages)
            .unwrap();
        let e = store.set_meta("big", &"x".repeat(1 << 20)).unwrap_err();
        let sentence = write_failure(&path, &e).expect("a sentence").to_string();
        assert!(
            sentence.starts_with(&format!("the disk is full: {}", path.display())),
            "{sentence}"
        );
        assert!(sentence.contains("nothing was saved"), "{sentence}");
        assert_eq!(store.meta("big").unwrap(), None);
        let io = Error::Db(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR_WRITE),
            Some("disk I/O error".into()),
        ));
        let sentence = write_failure(&path, &io).expect("a sentence").to_string();
        assert!(
            sentence.starts_with("the disk is full or failing"),
            "{sentence}"
        );
        let other = Error::Db(rusqlite::Error::QueryReturnedNoRows);
        assert!(write_failure(&path, &other).is_none());
    }

    #[test]
    fn an_older_schema_is_brought_up_to_date_or_named_in_one_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owed.db");
        drop(Store::open_or_create(&path).unwrap());
        let set_version = |v: i64| {
            Connection::open(&path)
                .unwrap()
                .pragma_update(None, "user_version", v)
                .unwrap();
        };
        // Read-only, it cannot be migrated: one sentence saying so.
        set_version(3);
        let mut store = Store::try_connect(&path, Attempt::Immutable).unwrap();
        let msg = store.migrate(false).err().unwrap().to_string();
        assert!(msg.contains("needs write access"), "{msg}");
        // A migration that fails (here: its table is already there) says so without its SQL.
        let msg = Store::open_existing(&path).err().unwrap().to_string();
        assert!(
            msg.contains("cannot bring") && msg.contains("schema 4"),
            "{msg}"
        );
        assert!(!msg.contains("CREATE") && !msg.contains('\n'), "{msg}");
    }

    #[cfg(unix)]
    #[test]
    fn the_logs_a_reader_makes_are_opened_to_the_folders_writers() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let set = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("team");
        std::fs::create_dir(&shared).unwrap();
        set(&shared, 0o2775);
        let db = shared.join("owed.db");
        let [wal, shm, _] = log_files(&db);
        for f in [&db, &wal, &shm] {
            std::fs::write(f, b"").unwrap();
            set(f, 0o644);
        }
        // The logs this user owns: writable by the folder's group, as the folder is; the
        // database itself is left as it is.
        share_own_logs(&db);
        assert_eq!(mode(&wal), 0o664);
        assert_eq!(mode(&shm), 0o664);
        assert_eq!(mode(&db), 0o644);
        // A folder only its owner writes gives nobody more.
        set(&shared, 0o755);
        set(&shm, 0o644);
        share_own_logs(&db);
        assert_eq!(mode(&shm), 0o644);
    }

    #[test]
    fn a_write_protected_file_is_opened_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owed.db");
        drop(Store::open_or_create(&path).unwrap());
        // Read-only as SQLite sees it (the permission bits do not stop root).
        let mut store = Store::open_existing(&path).unwrap();
        store.read_only = true;
        let e = store.set_meta("k", "v").err().unwrap();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("cannot write"), "{e}");
        assert!(e.to_string().contains("owed.db"), "{e}");
        let immutable = Store::try_connect(&path, Attempt::Immutable).unwrap();
        assert!(immutable.is_read_only());
        assert_eq!(immutable.ledger().counts().unwrap(), Counts::default());
    }

    #[test]
    fn the_base_currency_is_the_first_imports() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_or_create(&dir.path().join("owed.db")).unwrap();
        assert_eq!(store.base_currency().unwrap(), None);
        store.check_base_currency("EUR").unwrap();
        store.set_meta(BASE_CURRENCY, "USD").unwrap();
        store.check_base_currency("USD").unwrap();
        let msg = store.check_base_currency("EUR").err().unwrap().to_string();
        assert!(msg.contains("EUR") && msg.contains("USD"), "{msg}");
    }
}
