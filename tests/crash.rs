//! No data is lost or half-written on a crash: an import killed with SIGKILL mid-way leaves
//! the database exactly as it was, and the next import succeeds.

mod common;

use common::{command_in, demo_csv, owed_in, stdout, succeeded};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
#[cfg(unix)]
fn an_import_killed_midway_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let db = db.to_str().unwrap();
    let small = dir.path().join("small");
    let big = dir.path().join("big");
    for (out, n) in [(&small, 20), (&big, 3000)] {
        demo_csv(dir.path(), out, n, 3);
    }
    let o = owed_in(dir.path(), &["--db", db, "import", small.to_str().unwrap()]);
    succeeded(&o);
    let report = || {
        stdout(&owed_in(
            dir.path(),
            &[
                "--db",
                db,
                "--as-of",
                "2026-11-25",
                "report",
                "aging",
                "--json",
            ],
        ))
    };
    let before = report();

    // Kill the big import once it has written into its transaction for a while.
    let mut child = command_in(dir.path(), &["--db", db, "import", big.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let wal = dir.path().join("owed.db-wal");
    let start = Instant::now();
    while std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) < 512 * 1024
        && start.elapsed() < Duration::from_secs(60)
    {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import ended before it could be killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        report(),
        before,
        "a killed import left part of its rows behind"
    );

    // The database is healthy: the same import now completes.
    let o = owed_in(dir.path(), &["--db", db, "import", big.to_str().unwrap()]);
    succeeded(&o);
    assert!(stdout(&o).contains("customers.csv"), "{}", stdout(&o));
    assert_ne!(report(), before);
}

/// A first import into an empty database goes through a rollback journal rather than the
/// write-ahead log; killed mid-way, it leaves the database empty, back in WAL mode at the
/// next open, and the same import then completes.
#[test]
fn a_first_import_killed_midway_leaves_the_database_empty() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let db_s = db.to_str().unwrap();
    let big = dir.path().join("big");
    demo_csv(dir.path(), &big, 3000, 5);
    // Through owed (which opens, recovers and migrates it), then counted in SQL.
    let customers = || {
        let o = owed_in(dir.path(), &["--db", db_s, "report", "aging", "--json"]);
        succeeded(&o);
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row("SELECT count(*) FROM customers", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    // A new, empty database: what the import creates before its first row.
    drop(owed::store::Store::open_or_create(&db).unwrap());
    assert_eq!(customers(), 0, "a new, empty database");

    let mut child = command_in(dir.path(), &["--db", db_s, "import", big.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The journal appears with the first page the transaction changes.
    let journal = dir.path().join("owed.db-journal");
    let start = Instant::now();
    while !journal.exists() && start.elapsed() < Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(150));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import ended before it could be killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(customers(), 0, "a killed first import left rows behind");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(conn);

    let o = owed_in(dir.path(), &["--db", db_s, "import", big.to_str().unwrap()]);
    succeeded(&o);
    assert_eq!(customers(), 3000);
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
    let o = owed_in(
        dir.path(),
        &[
            "--db",
            db.to_str().unwrap(),
            "import",
            csv.to_str().unwrap(),
        ],
    );
    succeeded(&o);
    assert_eq!(other.counts().unwrap().customers, 50);
    assert!(!dir.path().join("owed.db-journal").exists());
}
