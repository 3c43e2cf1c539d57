//! Two collectors at once: two `owed` processes write notes to the same database file at the
//! same time; every note arrives and neither sees "database is locked".

mod common;
mod fixture;

use fixture::{Fixture, stderr};
use std::process::{Command, Stdio};

const NOTES_EACH: u32 = 250;

#[test]
fn two_processes_writing_notes_lose_none() {
    let fx = Fixture::new();
    let spawn = |collector: &str, customer: &str| {
        Command::new(env!("CARGO_BIN_EXE_owed"))
            .arg("--db")
            .arg(fx.db())
            .args(["--as", collector, "note", customer, "call log"])
            .args(["--repeat", &NOTES_EACH.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Both on the same customer, at the same time.
    let alice = spawn("alice", "V1");
    let bob = spawn("bob", "V1");
    for (name, child) in [("alice", alice), ("bob", bob)] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{name}");
    }
    let store = fx.store();
    let v1 = store.ledger().customer_key("V1").unwrap().unwrap();
    let notes = store.activity().notes(v1).unwrap();
    assert_eq!(notes.len(), 2 * NOTES_EACH as usize);
    for who in ["alice", "bob"] {
        let mut numbers: Vec<u32> = notes
            .iter()
            .filter(|n| n.collector == who)
            .map(|n| n.text.rsplit('#').next().unwrap().parse().unwrap())
            .collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=NOTES_EACH).collect::<Vec<_>>(), "{who}");
    }
}

/// While another program writes under a rollback journal (the first import into an empty
/// database, or a database being created), opening the database waits for it as a write
/// waits, instead of failing at once with "database is locked"; and two processes creating
/// one database at the same moment both succeed.
#[test]
fn opening_waits_for_a_writer_under_a_rollback_journal() {
    let fx = Fixture::new();
    let importer = rusqlite::Connection::open(fx.db()).unwrap();
    importer
        .execute_batch(
            "PRAGMA journal_mode = DELETE;
             BEGIN IMMEDIATE;
             INSERT INTO meta (key, value) VALUES ('importing', 'yes');",
        )
        .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_owed"))
            .arg("--db")
            .arg(fx.db())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let report = run(&["report", "metrics", "--json"]);
    let note = run(&["--as", "alice", "note", "V1", "called"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    importer.execute_batch("COMMIT;").unwrap();
    for (name, child) in [("report", report), ("note", note)] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
    let store = fx.store();
    let v1 = store.ledger().customer_key("V1").unwrap().unwrap();
    assert_eq!(store.activity().notes(v1).unwrap().len(), 1);

    // Two `owed user add` making one new database at once.
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("new.db");
        let add = |name: &str, key: &str| {
            Command::new(env!("CARGO_BIN_EXE_owed"))
                .arg("--db")
                .arg(&db)
                .args(["user", "add", name, "--role", "manager", "--key", key])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (
            add("dana", common::DANA_KEY),
            add("erin", common::ALICE_KEY),
        );
        for (name, child) in [("dana", a), ("erin", b)] {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}, {name}: {}",
                stderr(&out)
            );
        }
    }
}

/// Collectors recording a promise on one customer at the same moment, each of all it has
/// open, are held to it together: one is recorded, the others refused with the sentence a
/// second promise gets after the first. The checks read in the write's transaction; read
/// before it, every one found nothing promised yet and all were recorded. Another program
/// holds the write lock while they start, so that every one has begun before any writes.
#[test]
fn promises_made_at_the_same_moment_are_held_to_what_is_open_together() {
    let fx = Fixture::new();
    let blocker = rusqlite::Connection::open(fx.db()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE;").unwrap();
    let collectors = ["alice", "bob", "carol", "dave"];
    let children: Vec<_> = collectors
        .iter()
        .map(|who| {
            fixture::owed_command(
                fx.dir.path(),
                &fx.db(),
                None,
                &[
                    "--as", who, "promise", "V1", "--amount", "900", "--date", "+7d",
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_secs(3));
    blocker.execute_batch("COMMIT;").unwrap();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let recorded = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(
        recorded,
        1,
        "{:#?}",
        outs.iter().map(stderr).collect::<Vec<_>>()
    );
    for out in outs.iter().filter(|o| !o.status.success()) {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
        assert!(
            stderr(out).starts_with(
                "owed: the customer's open promises (1) already come to 900.00 USD of the \
                 900.00 USD it has open, so nothing more can be promised"
            ),
            "{}",
            stderr(out)
        );
    }
    let promises: i64 = blocker
        .query_row("SELECT count(*) FROM promises", [], |r| r.get(0))
        .unwrap();
    assert_eq!(promises, 1);
}

/// A write that gets the write lock on a database another file was renamed over meanwhile
/// (a demo made again while it waited) is refused in one sentence, and written nowhere: it
/// went into the file being replaced, said "recorded", and was gone.
#[test]
fn a_write_on_a_database_replaced_meanwhile_is_refused() {
    let fx = Fixture::new();
    let mut store = fx.store();
    let copy = fx.dir.path().join("copy.db");
    std::fs::copy(fx.db(), &copy).unwrap();
    // As `owed demo` puts a new database in place: the logs beside it removed, then renamed.
    for log in owed::store::log_files(&fx.db()) {
        let _ = std::fs::remove_file(log);
    }
    std::fs::rename(&copy, fx.db()).unwrap();
    let stamp = fixture::stamp("2026-04-01");
    let e = owed::actions::note(&mut store, &stamp, "V1", "into which file?").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{} was replaced (a demo made again, or a restore) while this waited for it: \
             nothing was saved; run it again",
            fx.db().display()
        )
    );
    drop(store);
    let notes: i64 = rusqlite::Connection::open(fx.db())
        .unwrap()
        .query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(notes, 0);
}
