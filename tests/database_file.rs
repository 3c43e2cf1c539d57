//! SPEC "The database file", through the real binary: only `import` and `demo` create a
//! database; every other command on a path without one exits 2 naming it and creates nothing;
//! a database this user may only read serves reports, exports and the workstation (saying so
//! in its title bar) and refuses writes naming the file; the base currency is fixed at the
//! first import; files that are no `owed` database, and dates past the calendar, are refused
//! in one sentence.

mod common;

use common::{
    command_in, owed_db, owed_in, read_chunks, refused, stderr, stdout, succeeded, write_fixture,
};
use portable_pty::CommandBuilder;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const AS_OF: &str = "2026-04-30";

/// The uid `owed` runs as when the test runs as root, whom permission bits do not stop.
const NOBODY: u32 = 65534;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Imports the fixture into `dir/data/owed.db` (the folder `data` made by the import).
fn imported(dir: &Path) -> PathBuf {
    let csv = dir.join("csv");
    write_fixture(&csv, |_, t| t.to_string());
    let db = dir.join("data/owed.db");
    let o = owed_db(dir, &db, &["import", csv.to_str().unwrap()]);
    succeeded(&o);
    db
}

/// A database this test's `owed` runs may read but not write: the file write-protected and,
/// with `folder_too`, its folder as well. When the test runs as root, `owed` runs as
/// `nobody`. Permissions are given back on drop, so that the folder can be removed.
struct ReadOnly {
    dir: tempfile::TempDir,
    db: PathBuf,
    root: bool,
}

impl ReadOnly {
    fn new(folder_too: bool) -> ReadOnly {
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o755);
        let db = imported(dir.path());
        let root = std::fs::metadata(&db).unwrap().uid() == 0;
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        chmod(&out, 0o777);
        chmod(&db, 0o444);
        // The folder: writable by the reader or not (when root, the reader is nobody).
        let writable = if root { 0o777 } else { 0o755 };
        chmod(
            db.parent().unwrap(),
            if folder_too { 0o555 } else { writable },
        );
        ReadOnly { dir, db, root }
    }

    /// Runs `owed --db DB ARGS` as the reader.
    fn owed(&self, args: &[&str]) -> Output {
        let mut all = vec!["--db", self.db.to_str().unwrap()];
        all.extend_from_slice(args);
        let mut command = command_in(self.dir.path(), &all);
        if self.root {
            command.uid(NOBODY).gid(NOBODY);
        }
        command.output().unwrap()
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        chmod(self.db.parent().unwrap(), 0o755);
        chmod(&self.db, 0o644);
    }
}

#[test]
fn a_read_only_database_serves_reports_and_exports_and_refuses_writes() {
    for folder_too in [false, true] {
        let ro = ReadOnly::new(folder_too);
        let aging = ["report", "aging", "--as-of", AS_OF, "--json"];
        let db = ro.db.to_str().unwrap().to_string();
        let as_writer = owed_in(
            ro.dir.path(),
            &[&["--db", db.as_str()][..], &aging].concat(),
        );
        succeeded(&as_writer);
        let bytes = std::fs::read(&ro.db).unwrap();

        let o = ro.owed(&aging);
        succeeded(&o);
        assert_eq!(stdout(&o), stdout(&as_writer), "the same report read-only");
        for args in [
            &["report", "metrics", "--as-of", AS_OF][..],
            &["report", "forecast", "--as-of", AS_OF],
            &["activity", "K1", "--json"],
            &["engage", "outbox"],
        ] {
            let o = ro.owed(args);
            assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        }
        let sheet = ro.dir.path().join("out/aging.csv");
        let o = ro.owed(&[
            "export",
            "aging",
            "--format",
            "csv",
            "-o",
            sheet.to_str().unwrap(),
        ]);
        succeeded(&o);
        assert!(
            std::fs::read_to_string(&sheet)
                .unwrap()
                .contains("Kite Supplies")
        );

        // Writes fail with a sentence naming the file, and write nothing.
        let csv = ro.dir.path().join("csv");
        for args in [
            &["--as", "alice", "note", "K1", "Called"][..],
            &["import", csv.to_str().unwrap()],
        ] {
            let o = ro.owed(args);
            let msg = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {msg}");
            assert!(msg.contains(&format!("cannot write {db}")), "{msg}");
            assert_eq!(msg.trim().lines().count(), 1, "{msg}");
        }
        assert_eq!(std::fs::read(&ro.db).unwrap(), bytes, "the file changed");
    }
}

/// A backup of a database this user may only read is made, and not logged: the system's log
/// is in the database, which it cannot write. Nothing is said of it, and nothing changes.
#[test]
fn a_backup_of_a_database_this_user_may_only_read_is_made_and_not_logged() {
    for folder_too in [false, true] {
        let ro = ReadOnly::new(folder_too);
        let bytes = std::fs::read(&ro.db).unwrap();
        let copy = ro.dir.path().join("out/backup.db");
        let o = ro.owed(&["backup", copy.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stdout(&o).starts_with("Backed up "), "{}", stdout(&o));
        assert_eq!(stderr(&o), "", "nothing said of the log");
        assert!(copy.exists());
        assert_eq!(std::fs::read(&ro.db).unwrap(), bytes, "the file changed");
        let entries: i64 = rusqlite::Connection::open_with_flags(
            &ro.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap()
        .query_row("SELECT count(*) FROM system_log", [], |r| r.get(0))
        .unwrap();
        assert_eq!(entries, 0, "folder_too: {folder_too}");
    }
}

/// A database this user may write in a folder they may not (SQLite cannot make its journal
/// there, so it opens read-only) is said to be so: the folder is named as the cause, not the
/// user. An older schema's update was "needs write access: run owed once as a user who may
/// write it", to the user who may write it.
#[test]
fn a_database_in_a_folder_this_user_may_not_write_names_the_folder() {
    let ro = ReadOnly::new(true);
    let folder = ro.db.parent().unwrap().to_path_buf();
    chmod(&ro.db, 0o666);
    let (db, shown) = (ro.db.display(), folder.display());
    let o = ro.owed(&["--as", "alice", "note", "K1", "Called"]);
    let msg = refused(&o, 2, &format!("cannot write {db}"));
    assert!(
        msg.contains(&format!(
            "this user may write the file but not its folder {shown}, where SQLite makes its \
             journal"
        )),
        "{msg}"
    );
    assert_eq!(msg.trim().lines().count(), 1, "{msg}");
    // An older schema: only its number matters, as it is refused before any migration.
    chmod(&folder, 0o755);
    rusqlite::Connection::open(&ro.db)
        .unwrap()
        .pragma_update(None, "user_version", 13)
        .unwrap();
    chmod(&folder, 0o555);
    let bytes = std::fs::read(&ro.db).unwrap();
    let o = ro.owed(&["report", "aging", "--as-of", AS_OF]);
    let msg = refused(
        &o,
        2,
        &format!(
            "{db} was written by an older owed and needs its schema brought up to date \
             (version 13 to {}), which this user cannot do: they may write the file but not \
             its folder {shown}, where SQLite makes its journal",
            owed::store::schema_version()
        ),
    );
    assert!(!msg.contains("as a user who may write it"), "{msg}");
    assert_eq!(msg.trim().lines().count(), 1, "{msg}");
    assert_eq!(std::fs::read(&ro.db).unwrap(), bytes, "the file changed");
}

#[test]
fn the_workstation_opens_a_read_only_database_and_says_so() {
    let ro = ReadOnly::new(true);
    let owed = env!("CARGO_BIN_EXE_owed");
    let args = [
        "--db",
        ro.db.to_str().unwrap(),
        "--as",
        "alice",
        "--as-of",
        AS_OF,
    ];
    // portable-pty cannot change users: as root, through setpriv.
    let mut cmd = if ro.root {
        let mut cmd = CommandBuilder::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", owed]);
        cmd
    } else {
        CommandBuilder::new(owed)
    };
    cmd.args(args);
    cmd.cwd(ro.dir.path());
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", ro.dir.path());
    cmd.env("XDG_CONFIG_HOME", ro.dir.path().join("config"));
    cmd.env("OWED_CONFIG", ro.dir.path().join("config.toml"));
    cmd.env_remove("OWED_DB");
    cmd.env_remove("OWED_THEME");
    let (mut child, master) = common::in_pty(cmd, 30, 200);
    let mut reader = master.try_clone_reader().unwrap();
    let mut writer = master.take_writer().unwrap();
    let parser = Arc::new(Mutex::new(vt100::Parser::new(
        std::num::NonZeroU16::new(30).unwrap(),
        std::num::NonZeroU16::new(200).unwrap(),
        0,
    )));
    let sink = Arc::clone(&parser);
    std::thread::spawn(move || {
        read_chunks(&mut reader, |bytes| sink.lock().unwrap().process(bytes));
    });
    let wait_for = |texts: &[&str]| {
        let start = Instant::now();
        loop {
            let screen = parser.lock().unwrap().screen().contents();
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "waited for {texts:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let screen = wait_for(&["Kite Supplies", "as of 2026-04-30"]);
    let title = screen.lines().next().unwrap_or_default();
    assert!(title.contains("read-only"), "the title bar: {title}");
    // A note cannot be saved: the status line says why, naming the file.
    writer.write_all(b"nCalled\r").unwrap();
    writer.flush().unwrap();
    let s = wait_for(&["cannot write", "owed.db"]);
    eprintln!("{s}");
    // Esc asks before throwing away what was typed; `x` throws it away.
    writer.write_all(b"\x1b").unwrap();
    writer.flush().unwrap();
    wait_for(&["throw it away"]);
    writer.write_all(b"x").unwrap();
    writer.flush().unwrap();
    wait_for(&["Thrown away; nothing was saved."]);
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "owed did not exit; the screen shows:\n{}",
            parser.lock().unwrap().screen().contents()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.exit_code(), 0);
}

#[test]
fn every_command_but_import_and_demo_refuses_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("typo/typo.db");
    let db_s = db.to_str().unwrap();
    let out = dir.path().join("aging.xlsx");
    for args in [
        &["report", "aging"][..],
        &["report", "metrics", "--json"],
        &["report", "forecast"],
        &["export", "aging", "-o", out.to_str().unwrap()],
        &["--as", "alice", "note", "K1", "Called"],
        &["activity", "K1"],
        &["engage", "outbox"],
        &["inbox", "import", dir.path().to_str().unwrap()],
        &["backtest", "--from", "2026-01-01", "--to", "2026-02-01"],
    ] {
        let o = owed_db(dir.path(), db_s, args);
        let msg = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {msg}");
        assert!(
            msg.contains(&format!("there is no database at {db_s}")),
            "{msg}"
        );
        // The command it suggests creates it there, not in the default place.
        assert!(
            msg.contains(&format!("create one with `owed --db {db_s} --config ")),
            "{msg}"
        );
        assert!(msg.contains(" import FILES...`"), "{msg}");
        assert_eq!(msg.trim().lines().count(), 1, "{msg}");
        assert!(stdout(&o).is_empty(), "{args:?} printed figures");
    }
    assert!(!dir.path().join("typo").exists(), "something was created");
    assert!(!out.exists());

    // An import whose input does not exist creates nothing either.
    let o = owed_db(dir.path(), db_s, &["import", "/nonexistent/billing"]);
    refused(&o, 2, "/nonexistent/billing");
    assert!(!dir.path().join("typo").exists(), "something was created");
}

/// `owed demo` without --db writes demo.db beside the default database, never owed.db: the
/// default database missing, the message names the demo beside it rather than sending the
/// collector to make it again.
#[test]
fn a_missing_database_names_the_demo_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let db_s = db.to_str().unwrap();
    let before = stderr(&owed_db(dir.path(), db_s, &["report", "aging"]));
    assert!(before.contains("try `owed demo`"), "{before}");

    let demo = dir.path().join("demo.db");
    let made = owed_db(
        dir.path(),
        demo.to_str().unwrap(),
        &["--as-of", AS_OF, "demo", "--no-tui", "--customers", "20"],
    );
    succeeded(&made);
    let o = owed_db(dir.path(), db_s, &["report", "aging"]);
    let says = format!(
        "open the demo with `owed demo` or `owed --db {}`",
        demo.display()
    );
    refused(&o, 2, &says);
    assert!(!db.exists(), "the default database was created");
}

#[test]
fn a_new_database_is_its_owners_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported(dir.path());
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(db.parent().unwrap()), 0o700);
}

#[test]
fn files_that_are_no_owed_database_are_named_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("README.md");
    std::fs::write(&text, "# Not a database\n".repeat(200)).unwrap();
    let o = owed_db(dir.path(), &text, &["report", "aging"]);
    let msg = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{msg}");
    assert!(msg.contains("README.md is not an owed database"), "{msg}");

    let db = imported(dir.path());
    for version in [-1, 999] {
        rusqlite::Connection::open(&db)
            .unwrap()
            .pragma_update(None, "user_version", version)
            .unwrap();
        let o = owed_db(dir.path(), &db, &["report", "aging"]);
        let msg = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{msg}");
        assert!(msg.contains("owed.db"), "{msg}");
        assert_eq!(msg.trim().lines().count(), 1, "one sentence: {msg}");
        assert!(!msg.contains("CREATE"), "{msg}");
    }
}

#[test]
fn the_base_currency_is_fixed_at_the_first_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported(dir.path());
    let db = db.to_str().unwrap();
    let euro = dir.path().join("euro");
    std::fs::create_dir(&euro).unwrap();
    std::fs::write(euro.join("config.toml"), "base_currency = \"EUR\"\n").unwrap();
    let csv = dir.path().join("csv");
    for args in [
        &["report", "aging"][..],
        &[
            "export",
            "aging",
            "-o",
            dir.path().join("a.xlsx").to_str().unwrap(),
        ],
        &["import", csv.to_str().unwrap()],
    ] {
        let o = owed_db(&euro, db, args);
        let msg = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {msg}");
        assert!(msg.contains("base_currency is EUR"), "{msg}");
        assert!(msg.contains("in USD since its first import"), "{msg}");
    }
    // The same config as at the import still works.
    let o = owed_db(dir.path(), db, &["report", "aging"]);
    succeeded(&o);

    // The demo keeps working in either currency (it makes a new portfolio for another).
    let demo = dir.path().join("demo.db");
    let demo = demo.to_str().unwrap();
    for folder in [dir.path(), euro.as_path()] {
        let o = owed_db(folder, demo, &["demo", "--no-tui", "--customers", "20"]);
        succeeded(&o);
        let o = owed_db(folder, demo, &["report", "aging"]);
        succeeded(&o);
    }
}

#[test]
fn as_of_dates_stay_within_the_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported(dir.path());
    let db = db.to_str().unwrap();
    let o = owed_db(
        dir.path(),
        db,
        &["--as-of", "9999-12-31", "report", "forecast"],
    );
    let msg = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{msg}");
    assert!(msg.contains("1900-01-01 to 9000-12-31"), "{msg}");
    assert!(!stdout(&o).contains("+10000"), "{}", stdout(&o));
    // The last date of the calendar still has room for the forecast's horizon.
    let o = owed_db(
        dir.path(),
        db,
        &["--as-of", "9000-12-31", "report", "forecast", "--json"],
    );
    succeeded(&o);
    let out = stdout(&o);
    assert!(out.contains("\"9001-"), "{out}");
    assert!(!out.contains("\"+"), "{out}");
}
