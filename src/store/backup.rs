//! A copy of the whole database while collectors work on it (`owed backup FILE`).
//!
//! `VACUUM INTO` writes the database as one read transaction sees it — every committed action
//! up to that moment, none half — into a new file, without stopping anyone: readers and
//! writers go on meanwhile. The copy is made beside its target under a temporary name,
//! readable by its owner only (it holds the whole ledger), checked (SQLite's `quick_check`,
//! the schema version, what it holds), flushed to the disk, and only then renamed onto the
//! target: an existing backup of that name is replaced whole or not at all, and a copy that
//! fails (a full disk, a folder that goes away) leaves nothing behind.
//!
//! `owed restore FILE` goes the other way, into the database in use: the backup is copied
//! beside the database, brought up to this `owed`'s schema and checked there (the backup
//! itself is only read); the database as it is is backed up first (so a restore can be
//! undone) while the restore already holds the database's write lock, so that nothing saved
//! meanwhile is in neither; then SQLite's backup API writes the copy's pages into the
//! database in that one write transaction. Other processes — collectors' workstations,
//! `owed serve` — see the restored data as another commit: all of it or, when the restore
//! fails, none of it. Where there is no database yet (a new server), [`restore_new`] makes
//! it: the checked copy is renamed into place.

use super::{Store, sqlite_message};
use crate::domain::action_checks::Stamp;
use crate::domain::users::{SystemChange, Work, may};
use crate::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a backup holds, read back from the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCopy {
    /// The copy's size.
    pub bytes: u64,
    pub customers: u64,
    pub documents: u64,
    /// Records of the customers' activity log: every entry of their timelines and what was
    /// done to them (see `store::activity::ACTIVITY_TABLES`), the owner changes of imports
    /// included.
    pub activity: u64,
    /// Who may log in to `owed serve`: name → (role, keys).
    pub users: Users,
}

/// Users by name: their role and their keys (algorithm and blob).
pub type Users = std::collections::BTreeMap<String, (String, std::collections::BTreeSet<String>)>;

impl BackupCopy {
    /// `3 customers, 41 documents, 12 activity entries`.
    pub fn describe(&self) -> String {
        format!(
            "{} customers, {} documents, {} activity entries",
            self.customers, self.documents, self.activity
        )
    }

    /// What putting this copy in place does to the users of `owed serve` who are `now`, in
    /// a sentence (`None`: nothing): a user removed since the backup comes back with their
    /// keys, one added since is gone — a change of who may log in, said before and after.
    pub fn users_change(&self, now: &Users) -> Option<String> {
        let mut said = Vec::new();
        for (name, (role, keys)) in &self.users {
            match now.get(name) {
                None => said.push(format!("{name} ({role}) comes back")),
                Some((was, _)) if was != role => {
                    said.push(format!("{name} is {role} again, not {was}"))
                }
                Some((_, had)) if had != keys => {
                    said.push(format!("{name}'s keys are as they were then"))
                }
                Some(_) => {}
            }
        }
        for (name, (role, _)) in now {
            if !self.users.contains_key(name) {
                said.push(format!("{name} ({role}) is gone"));
            }
        }
        (!said.is_empty()).then(|| format!("users of owed serve: {}", said.join(", ")))
    }
}

/// The rows of `table` (an append-only log keyed by `id`) that `now` holds past the last one
/// the backup `restored` holds: recorded since the backup was taken. With `other_than`, the
/// rows that condition (SQL over the row, of its one parameter) and its parameter pick are
/// passed over.
fn recorded_since(
    restored: &Connection,
    now: &Connection,
    table: &str,
    other_than: Option<(&str, &str)>,
) -> Result<u64> {
    let last: i64 = restored.query_row(
        &format!("SELECT ifnull(max(id), 0) FROM {table}"),
        [],
        |r| r.get(0),
    )?;
    let since = format!("SELECT count(*) FROM {table} WHERE id > ?1");
    let n: i64 = match other_than {
        None => now.query_row(&since, [last], |r| r.get(0))?,
        Some((condition, value)) => now.query_row(
            &format!("{since} AND NOT ({condition})"),
            rusqlite::params![last, value],
            |r| r.get(0),
        )?,
    };
    Ok(n.unsigned_abs())
}

/// A path as the system's log names it: whole (the folder an `owed` ran in says nothing
/// afterwards), as the log of imports names its files.
fn whole(path: &Path) -> PathBuf {
    path.canonicalize()
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The system log's words for a backup of the database `db` to `target` that holds `copy`:
/// `/srv/owed.db to /backups/b4.db (114688 bytes; 3 customers, …)`.
fn backup_detail(db: &Path, target: &Path, copy: &BackupCopy) -> String {
    format!(
        "{} to {} ({} bytes; {})",
        whole(db).display(),
        whole(target).display(),
        copy.bytes,
        copy.describe()
    )
}

/// What a restore did: what the database holds now, and where what it held before is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The database after the restore.
    pub now: BackupCopy,
    /// The backup of the database as it was, taken first.
    pub kept: PathBuf,
    pub kept_copy: BackupCopy,
}

impl Store {
    /// The users of `owed serve` this database has now (see [`BackupCopy::users_change`]).
    pub fn serve_users(&self) -> Result<Users> {
        users_of(&self.conn)
    }

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
        let (dir, name) = folder_and_name(target, "back up to")?;
        let name = name.as_os_str();
        let target = dir.join(name);
        if self.is_this_database(&target) {
            return Err(Error::input(format!(
                "{shown} is the database itself: give the backup another name"
            )));
        }
        refuse_open_database(&target)?;
        let partial = hidden_beside(&dir, name, "partial");
        let replacing = target.exists();
        let result = self.copy_into(&partial).and_then(|version| {
            let copy = check_copy(&partial, Some(version))?;
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

    /// Records in the system's log (`owed user log`, kind `backup`) that `by` backed the
    /// database up to `target`, which holds `copy`: who, when, the whole paths, its size and
    /// what it holds. Written once the backup is in place, in the database: the backup holds
    /// the log as it was before, without its own entry (which a restore of it does not count
    /// as lost). A database this user may only read records nothing, and says nothing of it:
    /// the backup of it is made all the same.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`] when the entry cannot be written (a full disk): the backup is made.
    pub fn log_backup(&mut self, by: &Stamp, target: &Path, copy: &BackupCopy) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        let detail = backup_detail(&self.path, target, copy);
        let logged = self.write_tx().and_then(|tx| {
            super::users::log(&tx, by, SystemChange::Backup, "", &detail)?;
            tx.commit()?;
            Ok(())
        });
        logged.map_err(|e| {
            Error::runtime(format!(
                "the backup {} is made, but the system's log of {} cannot record it: {}",
                whole(target).display(),
                self.path.display(),
                backup_failure(&e)
            ))
        })
    }

    /// `VACUUM INTO` an empty file made for it, readable by its owner only; the database's
    /// schema version, which the copy must have.
    fn copy_into(&self, partial: &Path) -> Result<i64> {
        // Read through SQLite's page cache, not the memory map: a copy of a large database
        // must not map all of it into this process on a server the team shares.
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        self.conn.execute_batch("PRAGMA mmap_size = 0;")?;
        let copied = vacuum_into(&self.conn, partial);
        self.conn
            .execute_batch(&format!("PRAGMA mmap_size = {};", super::MMAP_SIZE))?;
        copied?;
        Ok(version)
    }

    /// Whether `path` is this database's file or one of its logs.
    fn is_this_database(&self, path: &Path) -> bool {
        let Ok(db) = self.path.canonicalize() else {
            return false;
        };
        // A target that does not exist yet is compared as given.
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        path == db || super::log_files(&db).contains(&path)
    }

    /// Checks the backup `source` as a restore would — copied beside the database, brought up
    /// to this `owed`'s schema, SQLite's `quick_check` — and says what it holds, changing
    /// nothing (the copy is removed).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a source that is missing, the database itself, not an SQLite
    /// database, another program's, or written by a newer `owed`; [`Error::Runtime`] when
    /// the copy cannot be made (a full disk) or fails its check.
    pub fn check_backup(&self, source: &Path) -> Result<BackupCopy> {
        let staged = self.stage(source)?;
        let copy = check_copy(&staged.0, None).map_err(|e| damaged(source, e));
        drop(staged);
        copy
    }

    /// How many of the database's customers (by their billing system's id) the database
    /// file `other` holds too, and how many it holds: a backup sharing none with a database
    /// that has some is of another database. Read through `other` attached read-only.
    ///
    /// # Errors
    ///
    /// When `other` cannot be read as an `owed` database.
    pub fn customers_in_common(&self, other: &Path) -> Result<(u64, u64)> {
        let uri = format!("{}?mode=ro", super::file_uri(other));
        self.conn.execute("ATTACH DATABASE ?1 AS other", [uri])?;
        let counted = self.conn.query_row(
            "SELECT (SELECT count(*) FROM main.customers c
                      WHERE EXISTS (SELECT 1 FROM other.customers o WHERE o.id = c.id)),
                    (SELECT count(*) FROM other.customers)",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        );
        self.conn.execute("DETACH DATABASE other", [])?;
        let (shared, theirs) = counted?;
        Ok((
            u64::try_from(shared).unwrap_or(0),
            u64::try_from(theirs).unwrap_or(0),
        ))
    }

    /// Replaces everything in the database with the backup `source`, as the module's
    /// documentation describes; the database as it was is backed up to `keep` first.
    ///
    /// # Errors
    ///
    /// As [`Store::check_backup`] and [`Store::backup_to`] (for `keep`), and
    /// [`Error::Runtime`] when the pages cannot be written (then nothing changed).
    pub fn restore_from(&mut self, source: &Path, keep: &Path, by: &Stamp) -> Result<Restored> {
        may(&by.actor(), Work::Restore, None).map_err(Error::Input)?;
        self.ensure_writable()?;
        // The copy of the database as it was goes to a new file: never over another backup,
        // least of all the one being restored.
        if keep.exists() {
            return Err(Error::input(format!(
                "{} already exists: the database as it is is kept in a new file; give --keep \
                 another name",
                keep.display()
            )));
        }
        let staged = self.stage(source)?;
        let restored = check_copy(&staged.0, None).map_err(|e| damaged(source, e))?;
        let from = Connection::open(&staged.0)?;
        // The pages go in through a connection of their own, which takes the database's write
        // lock first (a backup's first step locks its destination until it is done): from then
        // on nobody commits, and the copy of the database as it was, made next, holds every
        // action saved before the restore — none can fall between the two.
        let mut into = Connection::open(&self.path)?;
        into.busy_timeout(super::BUSY_TIMEOUT)?;
        // Written through SQLite's page cache, not a memory map of the whole file.
        into.execute_batch("PRAGMA mmap_size = 0;")?;
        let cannot = |why: String, kept: Option<&Path>| {
            Error::runtime(format!(
                "cannot restore into {}: {why}; the database is as it was{}",
                self.path.display(),
                kept.map(|k| format!(" (and also kept in {})", k.display()))
                    .unwrap_or_default()
            ))
        };
        let backup = rusqlite::backup::Backup::new(&from, &mut into)?;
        if !locked(&backup).map_err(|e| cannot(backup_failure(&Error::Db(e)), None))? {
            return Err(cannot("another process kept it busy".into(), None));
        }
        let kept_copy = self.backup_to(keep)?;
        // The system's log says who restored what, in the restored data itself: written
        // into the copy (through the backup's own source connection, which the backup then
        // copies too), it comes with the restore or not at all. It says what the restore
        // undid that the restored log cannot: the users' changes, and the imports and
        // entries of this log recorded since the backup (which only the kept copy holds).
        let mut undone = Vec::new();
        if let Some(change) = restored.users_change(&kept_copy.users) {
            undone.push(format!("it changes the {change}"));
        }
        let source_whole = whole(source).display().to_string();
        // The backup's own entry (made once it was in place: the backup holds the log of
        // before) is no loss.
        let own_entry = (
            "kind = 'backup' AND instr(detail, ' to ' || ?2 || ' (') > 0",
            source_whole.as_str(),
        );
        for (table, what, other_than) in [
            ("imports", "import", None),
            ("system_log", "entry of this log", Some(own_entry)),
        ] {
            let n = recorded_since(&from, &self.conn, table, other_than)?;
            if n > 0 {
                let what = match (n, what) {
                    (1, w) => w.to_string(),
                    (_, "import") => "imports".to_string(),
                    _ => "entries of this log".to_string(),
                };
                undone.push(format!("{n} {what} recorded since the backup"));
            }
        }
        let undone = if undone.is_empty() {
            String::new()
        } else {
            format!("; {} (in the kept copy only)", undone.join("; "))
        };
        super::users::log(
            &from,
            by,
            SystemChange::Restore,
            "",
            &format!(
                "{} from {source_whole} ({}); the database as it was ({}) is kept in {}{undone}",
                whole(&self.path).display(),
                restored.describe(),
                kept_copy.describe(),
                whole(keep).display()
            ),
        )?;
        let written = copy_pages(&backup);
        drop(backup);
        let failure = match written {
            Ok(true) => None,
            Ok(false) => Some("another process kept it busy".to_string()),
            Err(e) => Some(backup_failure(&Error::Db(e))),
        };
        if let Some(why) = failure {
            return Err(cannot(why, Some(keep)));
        }
        drop(into);
        drop(from);
        drop(staged);
        // The pages are the checked copy's, as they were: what the database holds now.
        let now = holdings(&self.conn, &self.path)?;
        Ok(Restored {
            now,
            kept: keep.to_path_buf(),
            kept_copy,
        })
    }

    /// A copy of the backup `source` beside the database, brought up to this `owed`'s
    /// schema (the source itself is only read); removed when dropped.
    fn stage(&self, source: &Path) -> Result<Staged> {
        let shown = source.display();
        if !source.is_file() {
            return Err(Error::input(format!(
                "{shown}: there is no backup file there"
            )));
        }
        if self.is_this_database(source) {
            return Err(Error::input(format!(
                "{shown} is the database itself, not a backup of it"
            )));
        }
        let db = self.path.canonicalize()?;
        let dir = db
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let name = db.file_name().unwrap_or_default();
        let staged = Staged(hidden_beside(&dir, name, "restore"));
        let copy = open_copy(source, &staged)?;
        if let (Some(theirs), Some(ours)) = (copy.base_currency()?, self.base_currency()?)
            && theirs != ours
        {
            return Err(Error::input(format!(
                "{shown} holds its amounts in {theirs}, the database {} in {ours}: it is not a \
                 backup of this database",
                self.path.display()
            )));
        }
        Ok(staged)
    }
}

/// Makes the database at `target`, where there is none, from the backup `source` — a new
/// server after the old one was lost. The backup is copied beside `target` under a hidden
/// name, brought up to this `owed`'s schema and checked as for a restore, the restore is
/// written into its system log by `name` (with the role the backup's users give that name,
/// else the file's owner's, a manager's), and the copy is flushed to the disk and renamed
/// into place: the database is there whole, or not at all. With `write` false, it is only
/// checked, and nothing is left behind.
///
/// # Errors
///
/// [`Error::Input`] when `target` exists (`owed restore` replaces a database in use through
/// [`Store::restore_from`]), its folder does not, the source is not a backup this `owed`
/// reads, or `name` may not restore; [`Error::Runtime`] when the copy cannot be written or
/// fails its check (then nothing is left at `target`).
pub fn restore_new(
    source: &Path,
    target: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    today: crate::domain::Date,
    write: bool,
) -> Result<BackupCopy> {
    let shown = source.display();
    if target.exists() {
        return Err(Error::input(format!(
            "{} exists: `owed restore` replaces a database through it",
            target.display()
        )));
    }
    if !source.is_file() {
        return Err(Error::input(format!(
            "{shown}: there is no backup file there"
        )));
    }
    let (dir, file) = folder_and_name(target, "restore into")?;
    let file = file.as_os_str();
    let target = dir.join(file);
    let staged = Staged(hidden_beside(&dir, file, "restore"));
    let store = open_copy(source, &staged)?;
    let actor = store.users().local_actor(name)?;
    may(&actor, Work::Restore, None).map_err(Error::Input)?;
    let by = Stamp::for_actor(&actor, now, today).map_err(Error::Input)?;
    let copy = check_copy(&staged.0, None).map_err(|e| damaged(source, e))?;
    if !write {
        return Ok(copy);
    }
    super::users::log(
        &store.conn,
        &by,
        SystemChange::Restore,
        "",
        &format!(
            "{} made from {} ({}): there was no database there",
            target.display(),
            whole(source).display(),
            copy.describe()
        ),
    )?;
    // Everything in the one file before it is renamed into place.
    store
        .conn
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    let made = holdings(&store.conn, &staged.0)?;
    drop(store);
    let placed = std::fs::File::open(&staged.0)
        .and_then(|f| f.sync_all())
        .and_then(|()| std::fs::rename(&staged.0, &target));
    placed.map_err(|e| {
        Error::runtime(format!(
            "cannot restore into {}: {e}; nothing was written",
            target.display()
        ))
    })?;
    if let Ok(folder) = std::fs::File::open(&dir) {
        let _ = folder.sync_all();
    }
    Ok(made)
}

/// Refuses a file with SQLite's logs beside it (`-wal`, `-shm`, `-journal`): a database some
/// program has open, or one left so by a crash. A copy renamed over it would have the old log
/// played over it when next opened — a backup reported checked, then found malformed.
fn refuse_open_database(target: &Path) -> Result<()> {
    match super::log_beside(target) {
        Some(log) => Err(Error::input(format!(
            "{} is a database in use ({} is beside it): a copy put in its place would be \
             damaged by that log; give the backup another name",
            target.display(),
            log.display()
        ))),
        None => Ok(()),
    }
}

/// The folder `target` is in (which must exist: canonical) and its file name; `doing` says
/// what could not be done in the messages ("back up to").
fn folder_and_name(target: &Path, doing: &str) -> Result<(PathBuf, std::ffi::OsString)> {
    let shown = target.display();
    let name = target
        .file_name()
        .ok_or_else(|| Error::input(format!("cannot {doing} {shown}: it names no file")))?;
    let folder = super::folder_of(target);
    let dir = folder.canonicalize().map_err(|e| {
        Error::input(format!(
            "cannot {doing} {shown}: its folder {}: {e}",
            folder.display()
        ))
    })?;
    Ok((dir, name.to_os_string()))
}

/// Copies the backup `source` into `staged` page by page (not `VACUUM INTO`, which builds
/// every index again: a source in use, or with a log beside it, is read as one moment sees
/// it) and opens the copy, which checks it is an owed database this `owed` can read and
/// brings an older one up to date; the messages name the backup, not the copy.
fn open_copy(source: &Path, staged: &Staged) -> Result<Store> {
    let shown = source.display().to_string();
    if std::fs::metadata(source).is_ok_and(|m| m.len() == 0) {
        return Err(Error::input(format!(
            "{shown} is empty: it is not a backup; nothing changed"
        )));
    }
    let from = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let copied = private_file(&staged.0).and_then(|()| {
        let mut to = Connection::open(&staged.0)?;
        match copy_pages(&rusqlite::backup::Backup::new(&from, &mut to)?)? {
            true => Ok(()),
            false => Err(Error::runtime("another process kept it busy")),
        }
    });
    copied.map_err(|e| match e.sqlite_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            Error::input(format!("{shown} is not an SQLite database"))
        }
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => damaged(source, e),
        _ => Error::runtime(format!(
            "cannot copy {shown} beside the database: {}; nothing changed",
            backup_failure(&e)
        )),
    })?;
    drop(from);
    let staged_name = staged.0.display().to_string();
    Store::open_existing(&staged.0).map_err(|e| match e {
        Error::Input(text) => Error::input(text.replace(&staged_name, &shown)),
        // A copy that fails to open and fails SQLite's check is the backup's damage (the copy
        // is made page for page).
        Error::Runtime(text) if !passes_check(&staged.0) => damaged(
            source,
            Error::runtime(text.rsplit(": ").next().unwrap_or_default().to_string()),
        ),
        Error::Runtime(text) => Error::runtime(text.replace(&staged_name, &shown)),
        // What SQLite cannot read of a copy made whole is the backup's damage.
        e @ Error::Db(_) => damaged(source, e),
        e => e,
    })
}

/// Whether SQLite's `quick_check` finds the file at `path` sound.
fn passes_check(path: &Path) -> bool {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)))
        .is_ok_and(|check| check == "ok")
}

/// A backup SQLite cannot read whole, or whose check fails: bad input, said in one line
/// (SQLite's own report runs over many: its first line says enough).
fn damaged(source: &Path, e: Error) -> Error {
    match e {
        Error::Input(_) => e,
        _ => {
            let why = backup_failure(&e);
            let first = why.lines().next().unwrap_or_default().trim();
            Error::input(format!(
                "{} is damaged: SQLite cannot read it whole ({first}); it is not a backup owed \
                 can restore, and nothing changed",
                source.display()
            ))
        }
    }
}

/// A file made for a copy, removed (with its logs) when dropped.
struct Staged(PathBuf);

impl Drop for Staged {
    fn drop(&mut self) {
        for p in std::iter::once(self.0.clone()).chain(super::log_files(&self.0)) {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// `.NAME.WHAT-PID` in `dir`: a hidden name beside a file for a copy of it (or a folder of
/// it) in the making; what processes no longer running left under such names is removed.
pub(crate) fn hidden_beside(dir: &Path, name: &std::ffi::OsStr, what: &str) -> PathBuf {
    clear_left_behind(dir, name, what);
    if COPIES.contains(&what) {
        clear_killed_copies(dir);
    }
    let mut hidden = std::ffi::OsString::from(".");
    hidden.push(name);
    hidden.push(format!(".{what}-{}", std::process::id()));
    dir.join(hidden)
}

/// Removes what a backup, a restore or a demo killed part-way (`kill -9`, a power cut) left
/// beside `name`: its hidden copies (and their logs) and folders (a demo's CSVs) named for a
/// process that is no longer running. A nightly backup killed each night left a hidden copy
/// of the whole database each time. (Linux, where `/proc` says which processes run;
/// elsewhere they stay.)
fn clear_left_behind(dir: &Path, name: &std::ffi::OsStr, what: &str) {
    let prefix = format!(".{}.{what}-", name.to_string_lossy());
    clear_of_dead_processes(dir, |file| {
        file.strip_prefix(&prefix)?.split('-').next()?.parse().ok()
    });
}

/// What the hidden copies of a backup (`.NAME.partial-PID`) and of a restore
/// (`.NAME.restore-PID`) are called after.
const COPIES: [&str; 2] = ["partial", "restore"];

/// Removes what backups and restores killed part-way left in `dir`, whatever file they were
/// for: cron's dated nightly backups (`owed-2026-12-01.db`, `owed-2026-12-02.db`, …) and the
/// stamped copies a restore keeps each have a name of their own, so the next one, which
/// looks for leftovers of its own name, never saw them. Only what is certainly such a copy
/// goes: a file named `.NAME.partial-PID` or `.NAME.restore-PID` exactly, made by a process
/// no longer running, empty or starting as an SQLite database does, with SQLite's logs of
/// it. (Linux, where `/proc` says which processes run; elsewhere they stay.)
fn clear_killed_copies(dir: &Path) {
    each_left_by_dead_process(dir, copy_made_by, |entry| {
        let copy = entry.path();
        if is_sqlite_or_empty(&copy) {
            for p in super::log_files(&copy).into_iter().chain([copy]) {
                let _ = std::fs::remove_file(p);
            }
        }
    });
}

/// The process that made the copy of a backup or restore named `file` (`.NAME.partial-PID`,
/// `.NAME.restore-PID`); `None` for any other name, SQLite's logs of a copy included.
fn copy_made_by(file: &str) -> Option<u32> {
    let (head, pid) = COPIES
        .iter()
        .find_map(|what| file.rsplit_once(&format!(".{what}-")))?;
    if head.len() < 2 || !head.starts_with('.') || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether the file at `path` (not a link) is empty or starts with SQLite's header: a copy
/// SQLite was writing when its process was killed.
fn is_sqlite_or_empty(path: &Path) -> bool {
    use std::io::Read;
    if !std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path)
        .and_then(|f| f.take(16).read_to_end(&mut head))
        .is_ok_and(|n| n == 0 || head == b"SQLite format 3\0")
}

/// Removes the files of `dir` that `made_by` says a process made (its id, from the file's
/// name) when that process is no longer running: what a writer killed part-way left. This
/// process's own, and a running one's, are kept. (Linux, where `/proc` says which processes
/// run; elsewhere they stay.)
pub fn clear_of_dead_processes(dir: &Path, made_by: impl Fn(&str) -> Option<u32>) {
    each_left_by_dead_process(dir, made_by, |entry| {
        // Not followed when a link: only what the process made itself is removed.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        } else {
            let _ = std::fs::remove_file(entry.path());
        }
    });
}

/// Calls `each` with every entry of `dir` that `made_by` says a process made (its id, from
/// the entry's name) when that process is no longer running. (Linux, where `/proc` says
/// which processes run; elsewhere nothing is.)
fn each_left_by_dead_process(
    dir: &Path,
    made_by: impl Fn(&str) -> Option<u32>,
    mut each: impl FnMut(&std::fs::DirEntry),
) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if made_by(&entry.file_name().to_string_lossy()).is_some_and(gone) {
            each(&entry);
        }
    }
}

/// Whether the process `pid` is no longer running (and is not this one).
fn gone(pid: u32) -> bool {
    pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
}

/// Makes an empty file readable by its owner only; an existing one is an error.
fn private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?;
    Ok(())
}

/// Writes every page of the backup's source into its destination in one step (SQLite's
/// backup API): one write transaction there. `false` when another process kept the
/// destination locked through its busy timeout and a few tries more.
fn copy_pages(backup: &rusqlite::backup::Backup<'_, '_>) -> rusqlite::Result<bool> {
    step_until(backup, -1, |r| {
        matches!(r, rusqlite::backup::StepResult::Done)
    })
}

/// Takes the destination's write lock for `backup` (its first step, of no page), waiting with
/// the destination's busy timeout and then a few times more; false when another process kept
/// it.
fn locked(backup: &rusqlite::backup::Backup<'_, '_>) -> rusqlite::Result<bool> {
    step_until(backup, 0, |_| true)
}

/// Steps `backup` by `pages` (-1: all) until a step that is not refused for a lock is `done`,
/// ten steps at the most, 200 ms apart after a refusal; false when none was.
fn step_until(
    backup: &rusqlite::backup::Backup<'_, '_>,
    pages: std::os::raw::c_int,
    done: impl Fn(rusqlite::backup::StepResult) -> bool,
) -> rusqlite::Result<bool> {
    use rusqlite::backup::StepResult;
    for _ in 0..10 {
        match backup.step(pages)? {
            StepResult::Busy | StepResult::Locked => {
                std::thread::sleep(Duration::from_millis(200));
            }
            result if done(result) => return Ok(true),
            _ => {}
        }
    }
    Ok(false)
}

/// `VACUUM INTO` a new file readable by its owner only.
fn vacuum_into(conn: &Connection, path: &Path) -> Result<()> {
    private_file(path)?;
    let to = path
        .to_str()
        .ok_or_else(|| Error::input(format!("{} is not UTF-8", path.display())))?;
    conn.execute("VACUUM INTO ?1", [to])?;
    Ok(())
}

/// Opens the copy read-only and checks it: SQLite's `quick_check`, the database's schema
/// `version`, and what it holds.
fn check_copy(path: &Path, version: Option<i64>) -> Result<BackupCopy> {
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
    if let Some(version) = version
        && copied != version
    {
        return Err(Error::runtime(format!(
            "the copy is of schema version {copied}, not the database's {version}"
        )));
    }
    holdings(&conn, path)
}

/// What a database holds: its size, customers, documents and activity entries.
fn holdings(conn: &Connection, path: &Path) -> Result<BackupCopy> {
    let count = |table: &str| -> Result<u64> {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    };
    let by_import = count(&format!("({})", super::activity::IMPORT_OWNER_CHANGES))?;
    let activity = super::activity::ACTIVITY_TABLES
        .iter()
        .map(|t| count(t))
        .sum::<Result<u64>>()?
        + by_import;
    Ok(BackupCopy {
        bytes: std::fs::metadata(path)?.len(),
        customers: count("customers")?,
        documents: count("documents")?,
        activity,
        users: users_of(conn)?,
    })
}

/// The users of a database, with their roles and keys.
pub(crate) fn users_of(conn: &Connection) -> Result<Users> {
    let mut users = Users::new();
    let mut stmt = conn.prepare(
        "SELECT u.name, u.role, k.algorithm || ' ' || k.blob
           FROM users u LEFT JOIN user_keys k ON k.uid = u.uid",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let entry = users
            .entry(r.get(0)?)
            .or_insert_with(|| (r.get(1).unwrap_or_default(), Default::default()));
        if let Some(key) = r.get::<_, Option<String>>(2)? {
            entry.1.insert(key);
        }
    }
    Ok(users)
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
