//! `owed attach` and `owed attachment get` through the real binary: the exact bytes come
//! back (their SHA-256 as `sha256sum` computes it), the same bytes are stored once, a file
//! over `max_attachment_mb` or one that cannot be read is refused in one sentence and nothing
//! is written, a collector attaches only on their own customers, and a hostile file name
//! reaches no terminal raw.

mod common;
mod fixture;

use common::{json_of, refused, succeeded};
use fixture::{Fixture, stderr, stdout};
use rusqlite::Connection;
use serde_json::Value;

const AS: [&str; 4] = ["--as-of", "2026-04-01", "--as", "alice"];

fn run(fx: &Fixture, args: &[&str]) -> std::process::Output {
    let all: Vec<&str> = AS.iter().chain(args).copied().collect();
    fx.owed(&all)
}

fn count(fx: &Fixture, table: &str) -> i64 {
    Connection::open(fx.db())
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Bytes no text file has: every byte value, then a pseudo-random tail.
fn binary(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|i| {
            if i < 256 {
                i as u8
            } else {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 33) as u8
            }
        })
        .collect()
}

/// `owed attach CUSTOMER FILE EXTRA`.
fn attach(
    fx: &Fixture,
    customer: &str,
    file: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["attach", customer, file.to_str().unwrap()];
    args.extend(extra);
    run(fx, &args)
}

/// The attachments of `customer` in `owed activity --json` as of today (they are dated when
/// they are kept: the activity of the fixture's earlier day leaves them out).
fn attachments(fx: &Fixture, customer: &str) -> Vec<Value> {
    let v = json_of(&fx.owed(&["--as", "alice", "activity", customer, "--json"]));
    v["activity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "attachment")
        .cloned()
        .collect()
}

#[test]
fn bytes_round_trip_and_the_same_bytes_are_stored_once() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    let bytes = binary(300_000, 7);
    std::fs::write(dir.join("remittance.bin"), &bytes).unwrap();
    std::fs::write(dir.join("copy.bin"), &bytes).unwrap();
    std::fs::write(dir.join("po.txt"), "Signed PO 4711\n").unwrap();

    let out = run(
        &fx,
        &[
            "attach",
            "V1",
            dir.join("remittance.bin").to_str().unwrap(),
            dir.join("po.txt").to_str().unwrap(),
            "--document",
            "I1",
            "--",
            "remittance",
            "and",
            "PO",
        ],
    );
    succeeded(&out);
    let said = stdout(&out);
    assert!(
        said.starts_with("Attachments 1 remittance.bin (293.0 KB), 2 po.txt (15 B) kept for V1"),
        "{said}"
    );
    assert!(said.contains("on I1"), "{said}");

    // Listed in the activity with name, sha256 and size, as sha256sum sees the file.
    let listed = attachments(&fx, "V1");
    assert_eq!(listed.len(), 2);
    let remittance = listed
        .iter()
        .find(|a| a["name"] == "remittance.bin")
        .unwrap();
    let sum = std::process::Command::new("sha256sum")
        .arg(dir.join("remittance.bin"))
        .output()
        .unwrap();
    let expected = String::from_utf8(sum.stdout).unwrap();
    assert_eq!(
        remittance["sha256"],
        expected.split_whitespace().next().unwrap()
    );
    assert_eq!(remittance["bytes"], 300_000);
    assert_eq!(remittance["collector"], "alice");
    assert_eq!(remittance["documents"], serde_json::json!(["I1"]));
    assert_eq!(remittance["text"], "remittance and PO");

    // The exact bytes come back.
    let id = remittance["id"].as_i64().unwrap().to_string();
    let back = dir.join("back.bin");
    let out = run(
        &fx,
        &["attachment", "get", &id, "-o", back.to_str().unwrap()],
    );
    succeeded(&out);
    assert_eq!(std::fs::read(&back).unwrap(), bytes);
    let out = run(&fx, &["attachment", "get", &id, "-o", "-"]);
    assert_eq!(out.stdout, bytes);

    // The same bytes under another name: a second entry, no second copy.
    assert_eq!(count(&fx, "blobs"), 2);
    let out = attach(&fx, "V1", &dir.join("copy.bin"), &[]);
    succeeded(&out);
    assert_eq!(count(&fx, "attachments"), 3);
    assert_eq!(count(&fx, "blobs"), 2);
    let listed = attachments(&fx, "V1");
    assert_eq!(listed[0]["name"], "copy.bin");
    assert_eq!(listed[0]["sha256"], remittance["sha256"]);

    // An attachment that does not exist.
    let out = run(
        &fx,
        &["attachment", "get", "99", "-o", back.to_str().unwrap()],
    );
    refused(&out, 2, "attachment 99 does not exist");
}

/// `attachment get 1 -o owed.db` by a slip of the keyboard must not replace the ledger with
/// the attachment: the database, another database under any name and a database's
/// write-ahead log are refused as an export refuses them, and each is as it was.
#[test]
fn an_attachment_is_never_written_over_a_database() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    std::fs::write(dir.join("po.txt"), "Signed PO 4711\n").unwrap();
    succeeded(&attach(&fx, "V1", &dir.join("po.txt"), &[]));
    let before = fx.fingerprint();
    let copy = dir.join("other-ledger");
    std::fs::copy(fx.db(), &copy).unwrap();
    // The log of a database no process has open (the database's own is removed when the
    // last connection closes, so it is tried but not read back).
    let copy_wal = dir.join("other-ledger-wal");
    std::fs::write(&copy_wal, b"unsaved pages").unwrap();
    let wal = dir.join("owed.db-wal");
    for target in [fx.db(), copy, copy_wal, wal] {
        let bytes = std::fs::read(&target).ok();
        let out = run(
            &fx,
            &["attachment", "get", "1", "-o", target.to_str().unwrap()],
        );
        refused(&out, 2, "is a database (or one of its files)");
        if bytes.is_some() {
            assert_eq!(std::fs::read(&target).ok(), bytes, "{}", target.display());
        }
    }
    assert_eq!(fx.fingerprint(), before);
    // Any other file is written, whole.
    let back = dir.join("po-back.txt");
    succeeded(&run(
        &fx,
        &["attachment", "get", "1", "-o", back.to_str().unwrap()],
    ));
    assert_eq!(std::fs::read(&back).unwrap(), b"Signed PO 4711\n");
}

#[test]
fn oversized_or_unreadable_files_are_refused_and_nothing_is_written() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    std::fs::write(dir.join("config.toml"), "max_attachment_mb = 1\n").unwrap();
    std::fs::write(dir.join("small.txt"), "fine").unwrap();
    std::fs::write(dir.join("big.tif"), binary(1024 * 1024 + 1, 3)).unwrap();
    std::fs::write(dir.join("exact.bin"), binary(1024 * 1024, 4)).unwrap();
    let before = fx.fingerprint();
    let small = dir.join("small.txt");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                small.display().to_string(),
                dir.join("big.tif").display().to_string(),
            ],
            "big.tif` is 1,048,577 bytes, more than the 1,048,576 bytes (1 MiB) that \
             max_attachment_mb = 1 allows, so nothing was attached",
        ),
        (
            vec![
                small.display().to_string(),
                dir.join("gone.pdf").display().to_string(),
            ],
            "cannot read",
        ),
        (
            vec![dir.display().to_string()],
            "is a folder, not a file, so nothing was attached",
        ),
    ];
    // A device (or a pipe, whose opening would wait for a writer) is refused before it is
    // opened: /dev/null would have been attached as an empty file called `null`.
    #[cfg(unix)]
    let cases = {
        let mut cases = cases;
        cases.push((
            vec!["/dev/null".to_string()],
            "`/dev/null` is not a plain file (a pipe, a socket or a device), so nothing was \
             attached",
        ));
        cases
    };
    for (files, expected) in cases {
        let mut args = vec!["attach", "V1"];
        args.extend(files.iter().map(String::as_str));
        let out = run(&fx, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(expected), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert_eq!(fx.fingerprint(), before);
        assert_eq!(count(&fx, "attachments"), 0);
        assert_eq!(count(&fx, "blobs"), 0);
    }
    // Unknown customer or document: nothing either.
    let out = attach(&fx, "V9", &small, &[]);
    assert!(
        stderr(&out).contains("customer `V9` does not exist"),
        "{}",
        stderr(&out)
    );
    let out = attach(&fx, "V1", &small, &["--document", "I3"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(count(&fx, "attachments"), 0);
    // Exactly the limit is fine.
    let out = attach(&fx, "V1", &dir.join("exact.bin"), &[]);
    succeeded(&out);
    assert_eq!(count(&fx, "blobs"), 1);
}

#[test]
fn a_collector_attaches_only_on_their_own_customers() {
    let fx = Fixture::new();
    let mut store = fx.store();
    let stamp = owed::domain::action_checks::Stamp {
        role: owed::domain::users::Role::Collector,
        verified: false,
        ..fixture::stamp("2026-04-01")
    };
    let files = [owed::store::activity::attachments::NewFile {
        name: "po.pdf".into(),
        bytes: b"%PDF-1.4".to_vec(),
    }];
    let form = |customer| owed::actions::AttachForm {
        customer,
        files: &files,
        documents: &[],
        text: None,
    };
    // V2's finance owner is bob.
    let e = owed::actions::attach(&mut store, &stamp, &form("V2")).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("its finance owner is bob"), "{e}");
    assert_eq!(count(&fx, "blobs"), 0);
    owed::actions::attach(&mut store, &stamp, &form("V1")).unwrap();
    assert_eq!(count(&fx, "attachments"), 1);
}

/// `owed attach V1` of a new file `name` of the fixture's folder holding `text`.
fn attach_new(fx: &Fixture, name: &str, text: &str) -> std::process::Output {
    let path = fx.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    attach(fx, "V1", &path, &[])
}

#[test]
fn a_hostile_file_name_is_shown_not_obeyed() {
    let fx = Fixture::new();
    let name = "inv\u{1b}[2J\u{1b}]0;pwned\u{7}.pdf";
    let out = attach_new(&fx, name, "%PDF-1.4\n");
    succeeded(&out);
    assert!(!out.stdout.contains(&0x1b), "{:?}", stdout(&out));
    let out = fx.owed(&["--as", "alice", "activity", "V1"]);
    let shown = stdout(&out);
    assert!(
        !out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07),
        "{shown:?}"
    );
    assert!(shown.contains("attachment 1: inv"), "{shown}");
    // JSON keeps the name as it is, escaped as JSON escapes it.
    assert_eq!(attachments(&fx, "V1")[0]["name"], name);
}

/// `owed attachment get -o FILE` says what it wrote on one line, the file name shown as
/// `owed attach` and `owed activity` show it: its newline was printed raw, breaking the line.
#[test]
fn the_written_confirmation_shows_the_name_on_one_line() {
    let fx = Fixture::new();
    let out = attach_new(&fx, "weird\nname\u{1b}[31m.txt", "sixteen bytes!!\n");
    let said = stdout(&out);
    assert!(said.contains("weird↵name␛[31m.txt"), "{said}");
    let back = fx.dir.path().join("back\nhere.txt");
    let out = run(
        &fx,
        &["attachment", "get", "1", "-o", back.to_str().unwrap()],
    );
    succeeded(&out);
    let shown = stdout(&out);
    assert_eq!(shown.lines().count(), 1, "{shown:?}");
    assert!(
        shown.starts_with("Attachment 1 (weird↵name␛[31m.txt, 16 bytes) written to ")
            && shown.trim_end().ends_with("back↵here.txt."),
        "{shown:?}"
    );
    assert_eq!(std::fs::read(&back).unwrap(), b"sixteen bytes!!\n");
}

/// A database in use is not attached, and not even opened: closing it would drop the locks
/// this process's own connection holds on it (POSIX locks are the process's).
#[test]
fn a_database_in_use_is_not_attached() {
    let fx = Fixture::new();
    let store = owed::store::Store::open_existing(&fx.db()).unwrap();
    // By its name, and by a hard link (no log beside it).
    let hard = fx.dir.path().join("ledger.pdf");
    std::fs::hard_link(fx.db(), &hard).unwrap();
    for path in [fx.db(), hard] {
        let Err(e) = owed::actions::read_attachments(&[path], 10) else {
            panic!("the database in use was attached");
        };
        assert!(e.to_string().contains("is a database in use"), "{e}");
    }
    drop(store);
}

/// SPEC: `owed attach CUSTOMER FILE... [--document ID] [TEXT]`. The TEXT was taken for a file
/// (`cannot read `signed PO``, exit 2) unless it followed `--` or `--text`: after at least one
/// file, a last word that is no file and does not look like a file's name (white space in
/// it, or neither a folder nor an extension) is the TEXT. A misspelt file name is still
/// refused as a missing file, and `--` and `--text` still work.
#[test]
fn the_last_word_is_the_text_when_it_is_no_file_name() {
    let fx = Fixture::new();
    let dir = fx.dir.path();
    std::fs::create_dir(dir.join("att")).unwrap();
    std::fs::write(dir.join("att/b.txt"), "PO 4711\n").unwrap();
    std::fs::write(dir.join("att/c.txt"), "PO 4712\n").unwrap();
    let b = dir.join("att/b.txt");
    let b = b.to_str().unwrap();
    let c = dir.join("att/c.txt");
    let c = c.to_str().unwrap();
    let before = fx.fingerprint();
    // Misspelt files: refused as files, nothing written.
    for typo in ["b.txtt", "att/c.pdf"] {
        let out = run(&fx, &["attach", "V1", b, typo]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("cannot read `{typo}`")), "{err}");
        assert_eq!(fx.fingerprint(), before);
    }
    // A lone argument after the customer is a file, whatever it looks like.
    let out = run(&fx, &["attach", "V1", "signed PO"]);
    assert!(
        stderr(&out).contains("cannot read `signed PO`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fx.fingerprint(), before);

    let mut kept = 0;
    for (args, text, files) in [
        (vec![b, "signed PO"], "signed PO", 1),
        (
            vec![b, c, "--document", "I1", "remittance"],
            "remittance",
            2,
        ),
        (vec![b, "--text", "cheque 5001"], "cheque 5001", 1),
        (vec![b, "--", "signed", "PO"], "signed PO", 1),
    ] {
        let mut all = vec!["attach", "V1"];
        all.extend(&args);
        succeeded(&run(&fx, &all));
        kept += files;
        let listed = attachments(&fx, "V1");
        assert_eq!(listed.len(), kept, "{args:?}: {listed:?}");
        assert!(
            listed.iter().filter(|a| a["text"] == text).count() >= files,
            "{args:?}: {listed:?}"
        );
        assert!(listed.iter().all(|a| a["name"] != text), "{listed:?}");
    }
    // A file of that name in the working folder is a file.
    std::fs::write(dir.join("remittance"), "a remittance advice\n").unwrap();
    let out = fixture::owed_command(
        dir,
        &fx.db(),
        None,
        &["--as", "alice", "attach", "V1", b, "remittance"],
    )
    .current_dir(dir)
    .output()
    .unwrap();
    succeeded(&out);
    let listed = attachments(&fx, "V1");
    assert_eq!(listed.len(), kept + 2, "{listed:?}");
    assert!(
        listed.iter().any(|a| a["name"] == "remittance"),
        "{listed:?}"
    );
}
