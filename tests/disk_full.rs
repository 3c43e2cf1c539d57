//! A full disk: a write that cannot happen says so in one sentence naming the database, and
//! changes nothing; with room again, the database is whole and takes the same write.
//!
//! The full disk is a file size limit on the `owed` process (the shell's `ulimit -f`, that is
//! `RLIMIT_FSIZE`), with `SIGXFSZ` ignored so that a write past the limit fails (`EFBIG`) as
//! a write to a full disk fails (`ENOSPC`), instead of killing the process. The limit is
//! 32 KiB a file: enough to open the database (its shared-memory index is 32 KiB), too little
//! for the write-ahead log of any change.

mod common;
mod fixture;

use common::{on_a_disk_with_room, succeeded};
use fixture::{Fixture, owed_command, stderr};
use std::process::{Command, Output};

/// Room left on the "disk", per file, in KiB.
const ROOM_KIB: u32 = 32;

/// `command` run with every file it writes limited to [`ROOM_KIB`].
fn on_a_full_disk(command: Command) -> Output {
    on_a_disk_with_room(command, ROOM_KIB)
}

/// Asserts that `out` failed (exit 1) with one sentence naming the database and saying that
/// nothing was saved.
#[track_caller]
fn says_nothing_was_saved(out: &Output, fx: &Fixture) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let db = fx.db().display().to_string();
    assert!(err.starts_with("owed: the disk is full"), "{err}");
    assert!(err.contains(&db), "{err}");
    assert!(err.contains("nothing was saved"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// The fixture with a demo portfolio of `customers` customers imported into it.
fn with_a_demo(customers: u32) -> Fixture {
    let fx = Fixture::new();
    let csv = fx.dir.path().join("more");
    let n = customers.to_string();
    succeeded(&fx.owed(&["demo", "--csv", csv.to_str().unwrap(), "--customers", &n]));
    succeeded(&fx.owed(&["import", csv.to_str().unwrap()]));
    fx
}

/// SQLite's own check of the whole file.
fn integrity(fx: &Fixture) -> String {
    let conn = rusqlite::Connection::open(fx.db()).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_note_on_a_full_disk_says_so_and_saves_nothing() {
    let fx = Fixture::new();
    let before = fx.fingerprint();
    let note = ["note", "V1", "called", "them"];
    let out = on_a_full_disk(owed_command(
        fx.dir.path(),
        &fx.db(),
        Some("2026-04-01"),
        &note,
    ));
    says_nothing_was_saved(&out, &fx);
    assert_eq!(fx.fingerprint(), before);
    assert_eq!(integrity(&fx), "ok");
    // With room again, the same note is saved.
    let saved = succeeded(&fx.owed(&[&["--as-of", "2026-04-01"][..], &note].concat()));
    assert!(saved.contains("Note 1 recorded for V1"), "{saved}");
    assert_ne!(fx.fingerprint(), before);
}

#[test]
fn an_import_on_a_full_disk_changes_nothing() {
    let fx = Fixture::new();
    let csv = fx.dir.path().join("more");
    succeeded(&fx.owed(&["demo", "--csv", csv.to_str().unwrap(), "--customers", "50"]));
    let metrics = || succeeded(&fx.owed(&["--as-of", "2026-04-01", "report", "metrics", "--json"]));
    let (before, figures) = (fx.fingerprint(), metrics());
    let import = ["import", csv.to_str().unwrap()];
    let out = on_a_full_disk(owed_command(fx.dir.path(), &fx.db(), None, &import));
    says_nothing_was_saved(&out, &fx);
    assert_eq!(fx.fingerprint(), before);
    assert_eq!(metrics(), figures);
    assert_eq!(integrity(&fx), "ok");
    // With room again, the same import goes through.
    succeeded(&fx.owed(&import));
    assert_ne!(metrics(), figures);
}

/// With no room even for the write-ahead log's index (32 KiB), the database cannot be opened:
/// one sentence naming it and the likely cause; nothing is written.
#[test]
fn no_room_to_open_is_said_in_one_sentence() {
    let fx = Fixture::new();
    let before = fx.fingerprint();
    let out = on_a_disk_with_room(
        owed_command(
            fx.dir.path(),
            &fx.db(),
            Some("2026-04-01"),
            &["note", "V1", "hello"],
        ),
        8,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let db = fx.db().display().to_string();
    assert!(
        err.starts_with(&format!("owed: cannot open the database {db}:")),
        "{err}"
    );
    assert!(err.contains("the disk may be full or failing"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(fx.fingerprint(), before);
}

/// An xlsx export the disk has no room for says so in owed's one sentence naming the file —
/// nothing else: the xlsx library's zip writer, dropped unfinished, used to print
/// `ZipWriter::drop: failed to finalize archive: …` on standard error first — and leaves no
/// file behind. The room is the whole workbook's less a KiB: the archive's last bytes (its
/// directory of many worksheets, one row each) are what cannot be written.
#[test]
fn an_xlsx_export_on_a_full_disk_says_so_in_one_sentence() {
    let fx = with_a_demo(50);
    let dir = fx.dir.path();
    let export = |file: &std::path::Path| {
        let file = file.to_str().unwrap().to_string();
        ["export", "documents", "--rows-per-sheet", "1", "-o"]
            .map(String::from)
            .into_iter()
            .chain([file])
            .collect::<Vec<_>>()
    };
    let whole = dir.join("whole.xlsx");
    let args = export(&whole);
    succeeded(&fx.owed(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    let room = u32::try_from(std::fs::metadata(&whole).unwrap().len() / 1024 - 1).unwrap();
    assert!(
        room > ROOM_KIB,
        "the database needs {ROOM_KIB} KiB to open: {room}"
    );
    let target = dir.join("documents.xlsx");
    let args = export(&target);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = on_a_disk_with_room(owed_command(dir, &fx.db(), None, &args), room);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(&format!("owed: cannot write {}: ", target.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!target.exists());
    let left: Vec<String> = common::names_in(dir)
        .into_iter()
        .filter(|n| n.contains(".partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// An xlsx export whose temporary files find no room (the xlsx library writes each worksheet
/// to one in the temporary folder, and panicked when a write to it failed) says so in one
/// sentence naming that folder, and leaves no file behind.
#[test]
fn an_xlsx_export_without_room_for_its_temporary_files_says_so() {
    let fx = with_a_demo(300);
    let dir = fx.dir.path();
    let temp = dir.join("tmp");
    std::fs::create_dir(&temp).unwrap();
    let target = dir.join("documents.xlsx");
    let args = ["export", "documents", "-o", target.to_str().unwrap()];
    let mut command = owed_command(dir, &fx.db(), None, &args);
    command.env("TMPDIR", &temp);
    let out = on_a_full_disk(command);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(&format!(
            "owed: could not write the workbook's temporary files in {}",
            temp.display()
        )),
        "{err}"
    );
    assert!(err.contains("nothing was exported"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!target.exists());
    // With room again, the same export is written.
    succeeded(&fx.owed(&args));
    assert!(target.exists());
    // A temporary folder that is not there is named in a sentence of owed's.
    std::fs::remove_file(&target).unwrap();
    let mut command = owed_command(dir, &fx.db(), None, &args);
    command.env("TMPDIR", dir.join("nowhere"));
    let out = command.output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(&format!(
            "owed: could not make the workbook's temporary files in {}",
            dir.join("nowhere").display()
        )),
        "{err}"
    );
    assert!(!target.exists());
}
