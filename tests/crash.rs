//! No data is lost or half-written on a crash: an import killed with SIGKILL mid-way leaves
//! the database exactly as it was, and the next import succeeds.

mod common;

use common::{command_in, demo_csv, kill_when, owed_db, owed_in, stdout, succeeded, value};
use std::path::Path;
use std::time::Duration;

/// Starts `owed import FOLDER` on `dir/owed.db` and kills it as [`common::kill_when`] does.
fn kill_import_when(
    dir: &Path,
    folder: &Path,
    poll: Duration,
    settle: Duration,
    ready: impl Fn() -> bool,
) {
    let db = dir.join("owed.db");
    let args = [
        "--db",
        db.to_str().unwrap(),
        "import",
        folder.to_str().unwrap(),
    ];
    kill_when(command_in(dir, &args), poll, settle, ready);
}

/// A folder with a tempdir's export of 3,000 customers (`big`) and the database path beside
/// it, for a first import to be killed.
fn big_export() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let big = dir.path().join("big");
    demo_csv(dir.path(), &big, 3000, 5);
    (dir, db, big)
}

#[test]
#[cfg(unix)]
fn an_import_killed_midway_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let small = dir.path().join("small");
    let big = dir.path().join("big");
    for (out, n) in [(&small, 20), (&big, 3000)] {
        demo_csv(dir.path(), out, n, 3);
    }
    let o = owed_db(dir.path(), &db, &["import", small.to_str().unwrap()]);
    succeeded(&o);
    let report = || {
        let args = ["--as-of", "2026-11-25", "report", "aging", "--json"];
        stdout(&owed_db(dir.path(), &db, &args))
    };
    let before = report();

    // Kill the big import once it has written into its transaction for a while.
    let wal = dir.path().join("owed.db-wal");
    let wal_len = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    kill_import_when(
        dir.path(),
        &big,
        Duration::from_millis(5),
        Duration::ZERO,
        || wal_len() >= 512 * 1024,
    );
    assert_eq!(
        report(),
        before,
        "a killed import left part of its rows behind"
    );

    // The database is healthy: the same import now completes.
    let o = owed_db(dir.path(), &db, &["import", big.to_str().unwrap()]);
    succeeded(&o);
    assert!(stdout(&o).contains("customers.csv"), "{}", stdout(&o));
    assert_ne!(report(), before);
}

/// A first import into an empty database goes through a rollback journal rather than the
/// write-ahead log; killed mid-way, it leaves the database empty, back in WAL mode at the
/// next open, and the same import then completes.
#[test]
fn a_first_import_killed_midway_leaves_the_database_empty() {
    let (dir, db, big) = big_export();
    // Through owed (which opens, recovers and migrates it), then counted in SQL.
    let customers = || {
        succeeded(&owed_db(dir.path(), &db, &["report", "aging", "--json"]));
        value::<i64>(&db, "SELECT count(*) FROM customers")
    };
    // A new, empty database: what the import creates before its first row.
    drop(owed::store::Store::open_or_create(&db).unwrap());
    assert_eq!(customers(), 0, "a new, empty database");

    // The journal appears with the first page the transaction changes.
    let journal = dir.path().join("owed.db-journal");
    let (poll, settle) = (Duration::from_millis(2), Duration::from_millis(150));
    kill_import_when(dir.path(), &big, poll, settle, || journal.exists());

    assert_eq!(customers(), 0, "a killed first import left rows behind");
    assert_eq!(value::<String>(&db, "PRAGMA journal_mode"), "wal");

    let o = owed_db(dir.path(), &db, &["import", big.to_str().unwrap()]);
    succeeded(&o);
    assert_eq!(customers(), 3000);
}

/// An import that creates the database and is killed before it commits leaves a database
/// that says so: every other command refuses it (it is not an empty ledger) until an import
/// into it completes.
#[test]
fn a_database_whose_creating_import_was_killed_is_refused_until_imported() {
    let (dir, db, big) = big_export();
    let journal = dir.path().join("owed.db-journal");
    // Killed in its ledger's transaction (the journal of a first import), once the mark is in
    // the file: the journal also comes and goes while the new file is put in WAL mode, and a
    // kill then (the process starved on a busy machine) leaves a file with no database in it.
    let marked = || {
        std::fs::read(&db).is_ok_and(|bytes| bytes.windows(17).any(|w| w == b"unfinished_import"))
    };
    let (poll, settle) = (Duration::from_millis(2), Duration::from_millis(150));
    kill_import_when(dir.path(), &big, poll, settle, || {
        journal.exists() && marked()
    });

    let o = owed_db(dir.path(), &db, &["report", "aging", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(
        said.contains("was created by an import that has not finished"),
        "{said}"
    );
    assert!(o.stdout.is_empty());

    let o = owed_db(dir.path(), &db, &["import", big.to_str().unwrap()]);
    succeeded(&o);
    succeeded(&owed_db(dir.path(), &db, &["report", "aging", "--json"]));
    assert_eq!(value::<i64>(&db, "SELECT count(*) FROM customers"), 3000);
}

/// With a collector's workstation holding the database open, the first import cannot have
/// it alone: it stays on the write-ahead log and still completes.
#[test]
fn a_first_import_beside_an_open_connection_keeps_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let csv = dir.path().join("csv");
    let o = owed_in(
        dir.path(),
        &["demo", "--csv", csv.to_str().unwrap(), "--customers", "50"],
    );
    succeeded(&o);
    let other = owed::store::Store::open_or_create(&db).unwrap();
    let o = owed_db(dir.path(), &db, &["import", csv.to_str().unwrap()]);
    succeeded(&o);
    assert_eq!(other.ledger().counts().unwrap().customers, 50);
    assert!(!dir.path().join("owed.db-journal").exists());
}
