//! No data is lost or half-written on a crash: an import killed with SIGKILL mid-way leaves
//! the database exactly as it was, and the next import succeeds.

mod common;

use common::{owed_in, stderr, stdout};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
#[cfg(unix)]
fn an_import_killed_midway_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let db = db.to_str().unwrap();
    let small = dir.path().join("small");
    let big = dir.path().join("big");
    for (out, n) in [(&small, "20"), (&big, "3000")] {
        let o = owed_in(
            dir.path(),
            &[
                "--as-of",
                "2026-11-25",
                "demo",
                "--csv",
                out.to_str().unwrap(),
                "--customers",
                n,
                "--seed",
                "3",
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = owed_in(dir.path(), &["--db", db, "import", small.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_owed"))
        .args(["--db", db, "import", big.to_str().unwrap()])
        .env("OWED_CONFIG", dir.path().join("config.toml"))
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
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("customers.csv"), "{}", stdout(&o));
    assert_ne!(report(), before);
}
