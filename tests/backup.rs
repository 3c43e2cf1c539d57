//! `owed backup FILE` through the real binary: the copy is the whole database (reports,
//! activity and attachments read from it are the original's), private, consistent while
//! another process writes, and a backup that cannot be made leaves nothing behind and an
//! existing backup whole.

mod common;
mod fixture;

use common::{names_in, on_a_disk_with_room, refused, succeeded};
use fixture::{Fixture, owed_command, owed_ok};
use std::path::{Path, PathBuf};

/// The notes' ids in a database.
fn note_ids(db: &Path) -> Vec<i64> {
    common::rows(db, "SELECT id FROM notes ORDER BY id", |r| r.get(0))
}

#[test]
fn a_backup_is_the_whole_database_checked_and_readable_by_its_owner_only() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    succeeded(&fx.owed(&["--as-of", "2026-04-01", "note", "V1", "called", "them"]));
    let remittance = dir.join("remittance.txt");
    std::fs::write(&remittance, b"paid INV-1 in full\n").unwrap();
    succeeded(&fx.owed(&[
        "--as-of",
        "2026-04-01",
        "attach",
        "V1",
        remittance.to_str().unwrap(),
    ]));
    std::fs::create_dir(dir.join("backups")).unwrap();
    let copy = dir.join("backups").join("owed-2026-04-01.db");

    let said = succeeded(&fx.owed(&["backup", copy.to_str().unwrap()]));
    assert!(said.starts_with("Backed up "), "{said}");
    assert!(said.contains("3 customers"), "{said}");
    assert!(said.contains("checked"), "{said}");
    assert_eq!(names_in(&dir.join("backups")), ["owed-2026-04-01.db"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // Everything read from the copy is what the original says.
    for args in [
        &["report", "metrics", "--json"][..],
        &["report", "aging", "--json"],
        &["activity", "V1", "--json"],
        &["user", "list", "--json"],
    ] {
        let original = owed_ok(dir, &fx.db(), Some("2026-04-01"), args);
        let backed_up = owed_ok(dir, &copy, Some("2026-04-01"), args);
        assert_eq!(backed_up, original, "{args:?}");
    }
    // As of today: the file was attached today.
    let activity: serde_json::Value =
        serde_json::from_str(&owed_ok(dir, &copy, None, &["activity", "V1", "--json"])).unwrap();
    let attachment = activity["activity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "attachment")
        .expect("the attachment is in the copy");
    let id = attachment["id"].to_string();
    let out = dir.join("copy.txt");
    owed_ok(
        dir,
        &copy,
        None,
        &["attachment", "get", &id, "-o", out.to_str().unwrap()],
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"paid INV-1 in full\n");
}

#[test]
fn a_backup_taken_while_another_process_writes_holds_every_note_up_to_one_moment() {
    let fx = Fixture::new();
    let dir = fx.dir.path().to_path_buf();
    let db = fx.db();
    let writer = {
        let (dir, db) = (dir.clone(), db.clone());
        std::thread::spawn(move || {
            for i in 0..30 {
                owed_ok(
                    &dir,
                    &db,
                    Some("2026-04-01"),
                    &["note", "V1", &format!("note {i}")],
                );
            }
        })
    };
    let mut seen = Vec::new();
    for k in 0..4 {
        let copy = dir.join(format!("during-{k}.db"));
        succeeded(&fx.owed(&["backup", copy.to_str().unwrap()]));
        let ids = note_ids(&copy);
        // Notes are committed one at a time in order: a copy of one moment holds the first n.
        let first_n: Vec<i64> = (1..=ids.len() as i64).collect();
        assert_eq!(ids, first_n, "copy {k} holds a moment's notes, none half");
        seen.push(ids.len());
        std::thread::sleep(std::time::Duration::from_millis(40));
    }
    writer.join().unwrap();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    let last = backed_up(&fx, "after.db");
    assert_eq!(note_ids(&last).len(), 30);
}

#[test]
fn a_backup_that_cannot_be_made_leaves_nothing_and_an_old_backup_whole() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    let before = fx.fingerprint();
    let db = fx.db();
    let wal = format!("{}-wal", db.display());
    let missing = dir.join("no-such-folder").join("b.db");
    for (target, says) in [
        (db.to_str().unwrap(), "is the database itself"),
        (wal.as_str(), "is the database itself"),
        (dir.to_str().unwrap(), "is a folder"),
        (missing.to_str().unwrap(), "its folder"),
    ] {
        refused(&fx.owed(&["backup", target]), 2, says);
    }
    assert!(!dir.join("no-such-folder").exists());

    // A full disk: the copy cannot be written; the backup of that name stays as it was, and
    // no part of the new one is left.
    let old = backed_up(&fx, "backup.db");
    let old_bytes = std::fs::read(&old).unwrap();
    succeeded(&fx.owed(&["--as-of", "2026-04-01", "note", "V2", "after the backup"]));
    let listed = names_in(dir);
    let out = on_a_disk_with_room(
        owed_command(dir, &db, None, &["backup", old.to_str().unwrap()]),
        64,
    );
    let err = refused(&out, 1, "cannot back up to");
    assert!(err.contains("the disk is full"), "{err}");
    assert!(
        err.contains("the backup already there is as it was"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(std::fs::read(&old).unwrap(), old_bytes);
    assert_eq!(names_in(dir), listed, "no partial file left");
    let new = dir.join("new.db");
    let out = on_a_disk_with_room(
        owed_command(dir, &db, None, &["backup", new.to_str().unwrap()]),
        64,
    );
    refused(&out, 1, "nothing was written");
    assert!(!new.exists());
    assert_eq!(names_in(dir), listed);
    // With room, the same backup replaces the old one whole.
    succeeded(&fx.owed(&["backup", old.to_str().unwrap()]));
    assert_eq!(note_ids(&old).len(), 1);
    // Not a database some program has open (its log beside it): the log would be played over
    // the copy renamed in its place, and the "checked" backup read as malformed.
    let in_use = dir.join("in-use.db");
    std::fs::copy(&old, &in_use).unwrap();
    let conn = rusqlite::Connection::open(&in_use).unwrap();
    conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    let in_use_bytes = std::fs::read(&in_use).unwrap();
    refused(
        &fx.owed(&["backup", in_use.to_str().unwrap()]),
        2,
        "is a database in use",
    );
    assert_eq!(std::fs::read(&in_use).unwrap(), in_use_bytes);
    drop(conn);
    assert_ne!(fx.fingerprint(), before, "the note after the first backup");
}

/// A fixture's fingerprint without the system's log (where a restore records itself).
/// `owed backup` of the fixture's database to `name` in its folder; the backup's path.
fn backed_up(fx: &Fixture, name: &str) -> PathBuf {
    let path = fx.dir.path().join(name);
    succeeded(&fx.owed(&["backup", path.to_str().unwrap()]));
    path
}

fn data_of(fx: &Fixture) -> String {
    let fingerprint = fx.fingerprint();
    let (data, _log) = fingerprint.split_once("system_log\n").unwrap();
    data.to_string()
}

#[test]
fn a_restore_puts_the_backup_back_after_keeping_the_database_as_it_was() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    let db = fx.db();
    succeeded(&fx.owed(&["--as-of", "2026-04-01", "note", "V1", "before"]));
    let backup = backed_up(&fx, "backup.db");
    let at_backup = data_of(&fx);
    succeeded(&fx.owed(&["--as-of", "2026-04-01", "note", "V1", "after"]));
    let after = data_of(&fx);
    let listed = names_in(dir);

    // Without --yes: the backup is checked and what would happen said; nothing changes.
    let out = fx.owed(&["restore", backup.to_str().unwrap()]);
    let err = refused(&out, 2, "nothing restored");
    assert!(err.contains("--yes"), "{err}");
    assert!(
        common::stdout(&out).contains("is a sound backup: 3 customers"),
        "{}",
        common::stdout(&out)
    );
    assert_eq!(data_of(&fx), after);
    assert_eq!(names_in(dir), listed, "no copy left behind");

    let kept = dir.join("kept.db");
    let said = succeeded(&fx.owed(&[
        "restore",
        backup.to_str().unwrap(),
        "--yes",
        "--keep",
        kept.to_str().unwrap(),
    ]));
    assert!(said.starts_with("Restored "), "{said}");
    assert!(said.contains("kept in"), "{said}");
    assert_eq!(data_of(&fx), at_backup, "the database is the backup");
    assert_eq!(note_ids(&db).len(), 1);
    // What was there is kept, and restoring it undoes the restore.
    assert_eq!(note_ids(&kept).len(), 2);
    // --keep never replaces a file: not the backup being restored, not another backup.
    let backup_bytes = std::fs::read(&backup).unwrap();
    let kept_bytes = std::fs::read(&kept).unwrap();
    for keep in [&backup, &kept] {
        let out = fx.owed(&[
            "restore",
            backup.to_str().unwrap(),
            "--yes",
            "--keep",
            keep.to_str().unwrap(),
        ]);
        refused(
            &out,
            2,
            "already exists: the database as it is is kept in a new file",
        );
    }
    assert_eq!(std::fs::read(&backup).unwrap(), backup_bytes);
    assert_eq!(std::fs::read(&kept).unwrap(), kept_bytes);
    assert_eq!(data_of(&fx), at_backup, "nothing restored again");
    let mut expected = listed.clone();
    expected.push("kept.db".into());
    expected.sort();
    assert_eq!(names_in(dir), expected, "only the kept copy is new");
    succeeded(&fx.owed(&["restore", kept.to_str().unwrap(), "--yes"]));
    assert_eq!(data_of(&fx), after);
    // The default keeps it beside the database, stamped.
    let kept_by_default: Vec<String> = names_in(dir)
        .into_iter()
        .filter(|n| n.starts_with("owed.db.before-restore-"))
        .collect();
    assert_eq!(kept_by_default.len(), 1, "{:?}", names_in(dir));
    // Reports read the restored database as they read the original.
    assert_eq!(
        owed_ok(
            dir,
            &db,
            Some("2026-04-01"),
            &["report", "metrics", "--json"]
        ),
        owed_ok(
            dir,
            &kept,
            Some("2026-04-01"),
            &["report", "metrics", "--json"]
        )
    );
}

#[test]
fn a_restore_while_another_process_saves_loses_none_of_its_notes() {
    let fx = Fixture::new();
    let dir = fx.dir.path().to_path_buf();
    let db = fx.db();
    let backup = backed_up(&fx, "backup.db");
    // Notes saved one after another before, while and after the restore runs: each that
    // says it was recorded is either in the database as it was (kept) or in the database
    // after.
    let restored = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (dir, db) = (dir.clone(), db.clone());
        let restored = std::sync::Arc::clone(&restored);
        std::thread::spawn(move || {
            let mut saved = Vec::new();
            let mut after = 0;
            for i in 0.. {
                if restored.load(std::sync::atomic::Ordering::SeqCst) {
                    after += 1;
                    if after > 3 {
                        break;
                    }
                }
                let text = format!("note {i}");
                let o = owed_command(&dir, &db, Some("2026-04-01"), &["note", "V1", &text])
                    .output()
                    .unwrap();
                if o.status.success() {
                    saved.push(text);
                }
            }
            saved
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let kept = dir.join("kept.db");
    succeeded(&fx.owed(&[
        "restore",
        backup.to_str().unwrap(),
        "--yes",
        "--keep",
        kept.to_str().unwrap(),
    ]));
    restored.store(true, std::sync::atomic::Ordering::SeqCst);
    let saved = writer.join().unwrap();
    let texts = |db: &Path| common::rows(db, "SELECT text FROM notes", |r| r.get::<_, String>(0));
    let (before, after) = (texts(&kept), texts(&db));
    assert!(!after.is_empty(), "notes were saved after the restore");
    let lost: Vec<&String> = saved
        .iter()
        .filter(|t| !before.contains(t) && !after.contains(t))
        .collect();
    assert!(
        lost.is_empty(),
        "lost {lost:?}; kept {before:?}; now {after:?}"
    );
}

/// On a new server there is no database yet: the backup becomes it (after a check without
/// `--yes`, which writes nothing), whole, private, and with the restore in its system log.
#[test]
fn a_restore_where_there_is_no_database_makes_it_from_the_backup() {
    let fx = Fixture::new();
    succeeded(&fx.owed(&["--as-of", "2026-04-01", "note", "V1", "kept"]));
    let backup = backed_up(&fx, "backup.db");
    let at_backup = data_of(&fx);

    let restored = Fixture {
        dir: tempfile::tempdir().unwrap(),
    };
    let server = restored.dir.path();
    let db = restored.db();
    let restore = |args: &[&str]| {
        let mut all = vec!["restore", backup.to_str().unwrap()];
        all.extend(args);
        owed_command(server, &db, None, &all).output().unwrap()
    };
    let out = restore(&[]);
    let err = refused(&out, 2, "nothing restored: `owed --db ");
    assert!(
        err.contains("--yes` makes") && err.contains("(there is no database there yet)"),
        "{err}"
    );
    assert!(
        common::stdout(&out).contains("is a sound backup: 3 customers"),
        "{}",
        common::stdout(&out)
    );
    assert_eq!(names_in(server), ["config.toml"], "nothing written");
    // On a disk without room for it: refused, and nothing is left behind.
    let args = ["restore", backup.to_str().unwrap(), "--yes"];
    let out = on_a_disk_with_room(owed_command(server, &db, None, &args), 32);
    let err = refused(&out, 1, "nothing changed");
    assert!(err.contains("disk"), "{err}");
    assert_eq!(names_in(server), ["config.toml"], "nothing left behind");

    let said = succeeded(&restore(&["--yes"]));
    assert!(said.starts_with("Restored "), "{said}");
    assert!(
        said.contains("There was no database there before"),
        "{said}"
    );
    assert_eq!(
        names_in(server),
        ["config.toml", "owed.db"],
        "no copy left behind"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "it holds the whole ledger");
    }
    assert_eq!(data_of(&restored), at_backup);
    assert_eq!(note_ids(&db).len(), 1);
    let log = owed_ok(server, &db, None, &["user", "log", "--json"]);
    assert!(
        log.contains("\"restore\"") && log.contains("there was no database there"),
        "{log}"
    );
    // Once there, it is restored into as any database: with --yes only, keeping it first.
    let out = restore(&[]);
    refused(&out, 2, "replaces everything in");
}

/// `sh -c COMMAND` with `owed` the binary under test and `OWED_DB` naming `live`: a
/// command a message suggested, typed as printed in a shell whose default database is
/// another.
fn followed(command: &str, live: &Path) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("owed() {{ \"$OWED_BIN\" \"$@\"; }}; {command}"))
        .env("OWED_BIN", env!("CARGO_BIN_EXE_owed"))
        .env("OWED_DB", live)
        .env_remove("OWED_CONFIG")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// The text between `from` and the next `to` in `text`.
fn between<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} in {text}"))
        + from.len();
    let len = text[start..]
        .find(to)
        .unwrap_or_else(|| panic!("{to:?} in {text}"));
    &text[start..start + len]
}

/// The commands a restore suggests act on the database it was run with: with `OWED_DB` set
/// to the live database, `owed --db restored/copy.db restore b.db --yes` said "`owed restore
/// restored/copy.db.before-restore-… --yes` puts it back", and that, run as printed, restored
/// over the live database.
#[test]
fn the_commands_a_restore_suggests_act_on_the_database_it_was_given() {
    let fx = Fixture::new();
    succeeded(&fx.owed(&["--as-of", "2026-04-01", "note", "V1", "in the backup"]));
    let backup = backed_up(&fx, "backup.db");
    let live = fx.db();
    let live_data = data_of(&fx);
    // A copy elsewhere, in a folder a shell must be given quoted, with a note more.
    let folder = fx.dir.path().join("restored it's");
    std::fs::create_dir(&folder).unwrap();
    let copy = folder.join("copy.db");
    let config = fx.dir.path().join("config.toml");
    let on_copy = |args: &[&str]| {
        common::owed_with(&copy, &config)
            .args(args)
            .env("OWED_DB", &live)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    // No database there yet: the suggested command makes it from the backup.
    let err = refused(
        &on_copy(&["restore", backup.to_str().unwrap()]),
        2,
        "nothing restored",
    );
    let suggested = between(&err, "nothing restored: `", "`");
    assert!(suggested.starts_with("owed --db '"), "{suggested}");
    succeeded(&followed(suggested, &live));
    assert_eq!(note_ids(&copy).len(), 1, "the copy was made");
    assert_eq!(data_of(&fx), live_data, "the live database is as it was");
    succeeded(&on_copy(&[
        "--as-of",
        "2026-04-01",
        "note",
        "V1",
        "in the copy",
    ]));
    // Restored again, the copy as it was is kept, and the suggested command puts it back
    // there, not over the live database.
    let said = succeeded(&on_copy(&["restore", backup.to_str().unwrap(), "--yes"]));
    let put_back = between(&said, "(`", "` puts it back)");
    assert!(put_back.starts_with("owed --db '"), "{put_back}");
    assert!(put_back.contains(" --config "), "{put_back}");
    assert_eq!(note_ids(&copy).len(), 1);
    // (Kept again first, under a name stamped to the second: not the one being put back.)
    std::thread::sleep(std::time::Duration::from_millis(1100));
    succeeded(&followed(put_back, &live));
    assert_eq!(note_ids(&copy).len(), 2, "the copy as it was is back");
    assert_eq!(data_of(&fx), live_data, "the live database is as it was");
}

#[test]
fn a_backup_that_is_not_one_of_this_database_is_refused_and_nothing_changes() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    let db = fx.db();
    let good = backed_up(&fx, "good.db");
    let newer = dir.join("newer.db");
    std::fs::copy(&good, &newer).unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let other_currency = dir.join("eur.db");
    std::fs::copy(&good, &other_currency).unwrap();
    rusqlite::Connection::open(&other_currency)
        .unwrap()
        .execute(
            "UPDATE meta SET value = 'EUR' WHERE key = 'base_currency'",
            [],
        )
        .unwrap();
    let foreign = dir.join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x);")
        .unwrap();
    let junk = dir.join("junk.db");
    std::fs::write(
        &junk,
        "not a database at all, but long enough to be read as one....",
    )
    .unwrap();
    // Empty, cut short, or with pages overwritten: said in one line, as bad input (the cut
    // one was exit 1 "cannot copy … beside the database", the damaged one SQLite's raw report
    // or "vtable constructor failed", the empty one advice to create a database).
    let empty = dir.join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let good_bytes = std::fs::read(&good).unwrap();
    let cut = dir.join("cut.db");
    std::fs::write(&cut, &good_bytes[..good_bytes.len() / 3]).unwrap();
    let damaged = dir.join("damaged.db");
    let mut bytes = good_bytes.clone();
    let page = 8192;
    for b in &mut bytes[2 * page..] {
        *b = 0x5a;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let before = fx.fingerprint();
    let listed = names_in(dir);
    let wal = format!("{}-wal", db.display());
    for (source, says) in [
        (empty.to_str().unwrap(), "is empty: it is not a backup"),
        (
            cut.to_str().unwrap(),
            "is damaged: SQLite cannot read it whole",
        ),
        (
            damaged.to_str().unwrap(),
            "is damaged: SQLite cannot read it whole",
        ),
        ("missing.db", "there is no backup file there"),
        (db.to_str().unwrap(), "is the database itself"),
        (wal.as_str(), "is the database itself"),
        (junk.to_str().unwrap(), "is not an SQLite database"),
        (foreign.to_str().unwrap(), "another program"),
        (newer.to_str().unwrap(), "written by a newer owed"),
        (
            other_currency.to_str().unwrap(),
            "not a backup of this database",
        ),
    ] {
        let err = refused(&fx.owed(&["restore", source, "--yes"]), 2, says);
        assert!(err.contains(source), "names the file: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert_eq!(fx.fingerprint(), before, "{source}");
        assert_eq!(names_in(dir), listed, "{source}: nothing left behind");
    }
    // The database cannot be kept first (its copy's folder is missing): nothing changes.
    let keep = dir.join("no-such-folder").join("kept.db");
    let args = [
        "restore",
        good.to_str().unwrap(),
        "--yes",
        "--keep",
        keep.to_str().unwrap(),
    ];
    refused(&fx.owed(&args), 2, "its folder");
    assert_eq!(fx.fingerprint(), before);
    assert_eq!(names_in(dir), listed);
    // No room for the copy it checks first: nothing changes either.
    let out = on_a_disk_with_room(
        owed_command(
            dir,
            &db,
            None,
            &["restore", good.to_str().unwrap(), "--yes"],
        ),
        64,
    );
    let err = refused(&out, 1, "nothing changed");
    assert!(err.contains("the disk is full"), "{err}");
    assert_eq!(fx.fingerprint(), before);
    assert_eq!(names_in(dir), listed);
}

#[test]
fn a_workstation_open_on_the_database_shows_what_was_restored() {
    let fx = Fixture::new();
    let db = fx.db();
    let backup = backed_up(&fx, "backup.db");
    let mut d = fixture::Driver::new(&db, "alice", (120, 40));
    let promised = |d: &fixture::Driver| d.app.summary.as_ref().unwrap().metrics.open_p2p_amount;
    let at_backup = promised(&d);
    // Another process records a promise, then restores the backup: the open workstation
    // follows both, as it follows any other process's commit.
    let poll = |d: &mut fixture::Driver| {
        for answer in d.source.poll_changes() {
            let fx = owed::tui::update::response(&mut d.app, answer);
            d.run(fx);
        }
    };
    succeeded(&fx.owed(&[
        "--as-of",
        fixture::AS_OF,
        "promise",
        "V1",
        "--amount",
        "100",
        "--date",
        "2026-05-15",
    ]));
    poll(&mut d);
    assert_eq!(promised(&d), at_backup + owed::domain::Decimal::from(100));
    succeeded(&fx.owed(&["restore", backup.to_str().unwrap(), "--yes"]));
    poll(&mut d);
    assert_eq!(promised(&d), at_backup);
}

/// `owed backup`/`restore` with `args`, run in the fixture's folder (so that relative paths are
/// relative to it); stdout.
fn owed_here(fx: &Fixture, args: &[&str]) -> String {
    let out = owed_command(fx.dir.path(), &fx.db(), Some("2026-04-01"), args)
        .current_dir(fx.dir.path())
        .output()
        .unwrap();
    succeeded(&out)
}

/// The number before `activity entries` in `said` (the first one).
fn activity_entries(said: &str) -> u64 {
    let (head, _) = said.split_once(" activity entries").expect(said);
    head.rsplit(' ').next().unwrap().parse().unwrap()
}

/// The system's log (`owed user log --json`).
fn system_log(fx: &Fixture) -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(&succeeded(&fx.owed(&["user", "log", "--json"])))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Every backup is in the system's log (who, when, the whole path, its size), the restore
/// names its backup by its whole path, and both count every kind of activity the timeline
/// shows: a backup by anyone left no trace, a restore logged the backup's path as typed
/// (`from b4.db`), and holds, owner changes and reminders were not counted, so a backup
/// taken after them said the same as the one before, and a restore undoing them looked as if
/// it lost nothing.
#[test]
fn backups_are_logged_and_backups_and_restores_count_every_kind_of_activity() {
    let fx = Fixture::new();
    let dir = fx.dir.path().canonicalize().unwrap();
    let db = dir.join("owed.db");
    succeeded(&fx.owed(&["--as-of", "2026-04-01", "note", "V1", "called"]));
    let said = owed_here(&fx, &["--as", "erin", "backup", "b4.db"]);
    let at_b4 = activity_entries(&said);
    assert_eq!(at_b4, 1, "{said}");
    let b4 = dir.join("b4.db");
    let log = system_log(&fx);
    assert_eq!(log.len(), 1, "{log:?}");
    let entry = &log[0];
    assert_eq!(entry["kind"], "backup", "{entry}");
    assert_eq!(entry["actor"], "erin", "{entry}");
    assert!(entry["at"].as_str().unwrap().ends_with('Z'), "{entry}");
    let size = std::fs::metadata(&b4).unwrap().len();
    assert_eq!(
        entry["detail"],
        format!(
            "{} to {} ({size} bytes; 3 customers, 6 documents, 1 activity entries)",
            db.display(),
            b4.display()
        ),
        "{entry}"
    );
    // A backup holds the database as it was before its own entry.
    let in_b4: i64 = common::rows(&b4, "SELECT count(*) FROM system_log", |r| r.get(0))[0];
    assert_eq!(in_b4, 0);

    // A hold, its release, an owner change, a call, a follow-up and its completion, a
    // promise and its void, an issue and its resolution: each is counted.
    for args in [
        &["engage", "hold", "V1", "--until", "+19d", "PO pending"][..],
        &["engage", "hold", "V1", "--until", "release"],
        &["assign", "V1", "bob"],
        &["call", "V1", "--outcome", "no_answer"],
        &["followup", "V1", "--date", "+2d", "call back"],
        &["done", "1"],
        &["promise", "V1", "--amount", "100", "--date", "2026-04-10"],
        &["void-promise", "1"],
        &["dispute", "V1", "--reason", "pricing"],
        &["resolve", "1"],
    ] {
        let mut all = vec!["--as-of", "2026-04-01"];
        all.extend_from_slice(args);
        succeeded(&fx.owed(&all));
    }
    let said = owed_here(&fx, &["backup", "b5.db"]);
    assert_eq!(activity_entries(&said), at_b4 + 10, "{said}");

    // The restore: by the backup's whole path in the log, with both counts.
    let said = owed_here(&fx, &["restore", "b4.db", "--yes", "--keep", "kept.db"]);
    assert!(
        said.contains(&format!(
            "from b4.db: 3 customers, 6 documents, {at_b4} activity entries"
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "The database as it was (3 customers, 6 documents, {} activity entries)",
            at_b4 + 10
        )),
        "{said}"
    );
    let log = system_log(&fx);
    let restore = log.last().unwrap();
    assert_eq!(restore["kind"], "restore", "{restore}");
    let detail = restore["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(&format!(
            "{} from {} (3 customers, 6 documents, {at_b4} activity entries); the database as \
             it was (3 customers, 6 documents, {} activity entries) is kept in {}",
            db.display(),
            b4.display(),
            at_b4 + 10,
            dir.join("kept.db").display()
        )),
        "{detail}"
    );
    // What the restored log lacks is only in the kept copy: b5's entry, not b4's own.
    assert!(
        detail.ends_with("; 1 entry of this log recorded since the backup (in the kept copy only)"),
        "{detail}"
    );
    // The as-of date dates no backup: one given a date after today (a view of the future) is
    // made and logged, as a restore is, though every dated write is refused then.
    let later = owed_command(
        fx.dir.path(),
        &fx.db(),
        Some("2099-01-01"),
        &["backup", "b9.db"],
    )
    .current_dir(fx.dir.path())
    .output()
    .unwrap();
    succeeded(&later);
    assert!(dir.join("b9.db").is_file());
    let logged = system_log(&fx);
    assert_eq!(logged.last().unwrap()["kind"], "backup", "{logged:?}");
}

/// A restore changes who may log in to `owed serve`: a user removed since the backup comes
/// back with their keys, one added since is gone. The check and the restore say so (they
/// listed customers, documents and activity only).
#[test]
fn a_restore_says_which_users_come_back_and_which_go() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    let add = |name: &str, key: &str, role: &str| {
        succeeded(&fx.owed(&[
            "--as", "root", "user", "add", name, "--key", key, "--role", role,
        ]));
    };
    add("dana", common::DANA_KEY, "manager");
    add("carl", common::ALICE_KEY, "auditor");
    let backup = backed_up(&fx, "backup.db");
    succeeded(&fx.owed(&["--as", "dana", "user", "remove", "carl"]));
    let out = fx.owed(&["--as", "dana", "restore", backup.to_str().unwrap()]);
    refused(&out, 2, "nothing restored");
    let said = common::stdout(&out);
    assert!(
        said.contains("It changes the users of owed serve: carl (auditor) comes back."),
        "{said}"
    );
    let said = succeeded(&fx.owed(&["--as", "dana", "restore", backup.to_str().unwrap(), "--yes"]));
    assert!(
        said.contains("It changed the users of owed serve: carl (auditor) comes back."),
        "{said}"
    );
    // Restoring again changes no user: nothing said of them.
    let kept: Vec<String> = names_in(dir)
        .into_iter()
        .filter(|n| n.starts_with("owed.db.before-restore-"))
        .collect();
    let said = succeeded(&fx.owed(&[
        "--as",
        "dana",
        "restore",
        dir.join(&kept[0]).to_str().unwrap(),
        "--yes",
        "--keep",
        dir.join("again.db").to_str().unwrap(),
    ]));
    assert!(
        said.contains("It changed the users of owed serve: carl (auditor) is gone."),
        "{said}"
    );
}

/// What a backup killed part-way (`kill -9` of cron's job) left beside its file — a hidden
/// copy of the whole database named for its process — is removed by the next backup to that
/// file; a copy of a process still running is left to it.
#[cfg(target_os = "linux")]
#[test]
fn a_backup_clears_what_a_killed_one_left_behind() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    let cut_short = b"a copy cut short".as_slice();
    // A process id past any that runs (Linux's largest is 4194304).
    let dead = leave(
        dir,
        &[
            (".nightly.db.partial-4194999".into(), cut_short),
            (".nightly.db.partial-4194999-journal".into(), cut_short),
        ],
    );
    // A running process's copy stays.
    let alive = format!(".nightly.db.partial-{}", std::process::id());
    let mut kept = leave(dir, &[(alive, cut_short)]);
    succeeded(&fx.owed(&["backup", dir.join("nightly.db").to_str().unwrap()]));
    kept.push("nightly.db".into());
    assert_cleared(dir, &dead, &kept);
}

/// Writes each of `files` (a name and its bytes) in `folder`, as a backup or a restore killed
/// part-way leaves them; returns their names.
fn leave(folder: &Path, files: &[(String, &[u8])]) -> Vec<String> {
    for (name, bytes) in files {
        std::fs::write(folder.join(name), bytes).unwrap();
    }
    files.iter().map(|(name, _)| name.clone()).collect()
}

/// Asserts that none of `dead` is left in `folder` and that all of `kept` are there.
#[track_caller]
fn assert_cleared(folder: &Path, dead: &[String], kept: &[String]) {
    let names = names_in(folder);
    for name in dead {
        assert!(!names.contains(name), "{name} left: {names:?}");
    }
    for name in kept {
        assert!(names.contains(name), "{name} removed: {names:?}");
    }
}

/// What backups and restores killed part-way left for other file names in the folder —
/// cron's dated nightly backups (`owed-2026-12-01.db`, `owed-2026-12-02.db`, …), the stamped
/// copy a restore keeps, a restore's staged copy — is removed by the next backup or restore
/// there: each kept a hidden copy of the whole database for good, the next night's backup
/// looking only for leftovers of its own name. Only files that are certainly such copies go:
/// the exact hidden name with the id of a process no longer running, empty or an SQLite
/// file, with SQLite's logs of them.
#[cfg(target_os = "linux")]
#[test]
fn a_backup_or_restore_clears_what_killed_ones_left_for_any_name() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    let bk = dir.join("bk");
    std::fs::create_dir(&bk).unwrap();
    let sqlite = b"SQLite format 3\0 and the pages cut short".as_slice();
    // Process ids past any that runs (Linux's largest is 4194304); the test's own runs.
    let alive = std::process::id();
    let dead: Vec<(String, &[u8])> = vec![
        (".owed-2026-12-01.db.partial-4194901".into(), sqlite),
        (".owed-2026-12-01.db.partial-4194901-journal".into(), b"j"),
        (".owed-2026-12-02.db.partial-4194902".into(), b""),
        (".owed-2026-12-02.db.partial-4194902-journal".into(), b"j"),
        (
            ".owed.db.before-restore-20261201-020000.partial-4194903".into(),
            sqlite,
        ),
        (".owed.db.restore-4194904".into(), sqlite),
        (".owed.db.restore-4194904-wal".into(), b"w"),
        (".owed.db.restore-4194904-shm".into(), b"s"),
    ];
    let kept: Vec<(String, &[u8])> = vec![
        // A running process's copy.
        (format!(".owed-2026-12-03.db.partial-{alive}"), sqlite),
        (format!(".owed-2026-12-03.db.partial-{alive}-journal"), b"j"),
        // Not an SQLite file: not owed's copy, whatever its name.
        (".notes.txt.partial-4194905".into(), b"my notes"),
        // Not the exact name.
        (".owed-2026-12-04.db.partial-4194906.old".into(), sqlite),
        ("owed-2026-12-04.db.partial-4194906".into(), sqlite),
        (".owed-2026-12-04.db.partial-".into(), sqlite),
        (".partial-4194907".into(), sqlite),
        // A log whose copy is not there.
        (".owed-2026-12-05.db.partial-4194908-journal".into(), b"j"),
    ];
    let (gone, stay) = (leave(&bk, &dead), leave(&bk, &kept));
    succeeded(&fx.owed(&["backup", bk.join("owed-2026-12-09.db").to_str().unwrap()]));
    assert_cleared(&bk, &gone, &stay);
    assert!(bk.join("owed-2026-12-09.db").is_file());

    // A restore, in the database's folder, where it keeps the database first.
    let (gone, stay) = (leave(dir, &dead), leave(dir, &kept));
    let backup = bk.join("owed-2026-12-09.db");
    succeeded(&fx.owed(&["restore", backup.to_str().unwrap(), "--yes"]));
    assert_cleared(dir, &gone, &stay);
}

/// A backup of another database (no customer in common with the one it replaces) is warned
/// of, in the check and before a restore with --yes: it was "a sound backup" and restored
/// without a word. A backup of the database itself is not.
#[test]
fn a_backup_of_another_database_is_warned_of() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    let other = dir.join("other.db");
    owed_ok(
        dir,
        &other,
        Some("2026-04-01"),
        &["demo", "--no-tui", "--customers", "20"],
    );
    let warning = format!(
        "warning: {} shares no customer with {} (its 20 customers against the database's 3): \
         it looks like a backup of another database\n",
        other.display(),
        fx.db().display()
    );
    let out = fx.owed(&["restore", other.to_str().unwrap()]);
    refused(&out, 2, "nothing restored");
    assert!(
        common::stderr(&out).starts_with(&warning),
        "{}",
        common::stderr(&out)
    );
    let out = fx.owed(&["restore", other.to_str().unwrap(), "--yes"]);
    succeeded(&out);
    assert_eq!(common::stderr(&out), warning);
    // A backup of the database itself says nothing of the kind.
    let own = backed_up(&fx, "own.db");
    let out = fx.owed(&["restore", own.to_str().unwrap()]);
    assert!(
        !common::stderr(&out).contains("warning"),
        "{}",
        common::stderr(&out)
    );
}
