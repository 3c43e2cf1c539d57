//! `owed demo`: the generated portfolio goes through the real import, is deterministic, and
//! is reused rather than regenerated.

mod common;
mod fixture;

use common::demo_csv;
use fixture::{owed_command, owed_ok, owed_on, stderr};
use std::path::Path;

const AS_OF: Option<&str> = Some("2026-11-25");

/// `owed demo --no-tui --customers N` on `db` as of the demo's date.
fn demo(dir: &Path, db: &Path, customers: &str) -> std::process::Output {
    owed_on(
        dir,
        db,
        AS_OF,
        &["demo", "--no-tui", "--customers", customers],
    )
}

#[test]
fn the_demo_database_is_created_once_then_reused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let first = demo(dir.path(), &db, "60");
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let said = |o: &std::process::Output, words: &str| {
        let err = stderr(o);
        assert!(err.contains(words), "`{words}` in: {err}");
    };
    said(&first, "customers.csv 60 inserted");
    said(&demo(dir.path(), &db, "60"), "using the demo database");
    // Another size regenerates it.
    said(&demo(dir.path(), &db, "30"), "customers.csv 30 inserted");
}

#[test]
fn the_demo_csvs_import_to_the_same_portfolio_and_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        demo_csv(dir.path(), out, 40, 7);
    }
    for file in [
        "customers.csv",
        "documents.csv",
        "payments.csv",
        "applications.csv",
        "exchange_rates.csv",
    ] {
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(!x.is_empty(), "{file} is empty");
        assert_eq!(x, y, "{file} differs between two runs with the same seed");
    }
    let db = dir.path().join("x.db");
    let o = owed_ok(dir.path(), &db, None, &["import", a.to_str().unwrap()]);
    assert!(o.contains("customers.csv 40 inserted"), "{o}");
    // The demo is aged: something is overdue as of its date.
    let m = owed_ok(dir.path(), &db, AS_OF, &["report", "metrics", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&m).unwrap();
    let overdue: f64 = v["overdue"].as_str().unwrap().parse().unwrap();
    assert!(overdue > 0.0, "nothing overdue in the demo: {v}");
}

/// `owed report … | head`: the reader goes away after a few bytes; owed stops quietly with
/// exit code 0 instead of panicking on the closed pipe.
#[test]
fn a_reader_that_stops_early_ends_the_report_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    owed_ok(
        dir.path(),
        &db,
        None,
        &["demo", "--no-tui", "--customers", "400"],
    );
    let mut child = owed_command(dir.path(), &db, AS_OF, &["report", "aging", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The read end is closed here; the report (over 100 KB) cannot all fit in the pipe.
    let out = child.wait_with_output().unwrap();
    assert!(head.starts_with(b"{\"as_of\":\"2026-11-25\""));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}
